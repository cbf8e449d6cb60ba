"""The MAC's fourth cut point, inside the product aligner (``window``, hwgen.specs.mac.mac_cut_points): the
window the fine shift makes is registered with the coarse shift, and the select that places it runs one
stage later. Same contract at every depth (bit-exact sums, wrap-around, sticky NaN / inf, restart,
backpressure, latency = pipeline).
"""

import pytest
from amaranth import Module, Signal
from mac_batches import check_batch, emit_with_broken

from hwgen.formats import BlockFormat, listed_formats
from hwgen.gen import exact_product, mac
from hwgen.gen.build import build_unit, emit_spec
from hwgen.gen.operands import split_operand
from hwgen.sim.runner import SIMULATORS
from hwgen.specs import MacSpec
from hwgen.specs.mac import FINE_SHIFT_BITS, split_product, tabulated


@pytest.mark.parametrize(("options", "cuts"), [
    ({"a": "fp8_e4m3fn", "b": "fp8_e4m3fn"}, ("product", "operands", "term", "window")),
    ({"a": "fp6_e3m2", "b": "fp6_e3m2"}, ("product", "operands", "term", "window")),  # 4-bit exponent sum
    ({"a": "fp8_e5m2", "b": "int8"}, ("product", "operands", "term", "window")),
    ({"a": "fp6_e2m3", "b": "fp6_e2m3"}, ("product", "operands", "term")),  # 3-bit sum: one shift step
    ({"a": "fp4_e2m1", "b": "fp4_e2m1"}, ("product", "operands", "term")),  # a table, no aligner
    ({"a": "fp8_e4m3fn", "b": "fp8_e4m3fn", "mul": "lmul"}, ("product", "operands", "term")),
    ({"a": "fp8_e4m3fn", "b": "fp8_e4m3fn", "acc": "fp32"}, ("product", "operands", "term")),
    ({"a": "int8", "b": "int8"}, ("product", "operands")),
])
def test_which_macs_have_the_window_cut(options, cuts):
    assert MacSpec(**options).cut_points == cuts


def test_the_spec_has_the_window_cut_exactly_where_the_generator_aligns_in_two_steps():
    # The spec states the exponent sum's width from the formats (Amaranth-free); the generator gets it
    # from split_operand. Every pair of the registry's scalar formats, both ways.
    scalars = [f for f in listed_formats() if not isinstance(f, BlockFormat)]
    m = Module()  # collects the decode logic, never elaborated
    m._MustUse__silence = True
    checked = 0
    for a in scalars:
        for b in scalars:
            try:
                spec = MacSpec(a.name, b.name)
            except ValueError:  # an accumulator wider than a fixed one allows (fp32 x fp32)
                continue
            shift = (split_operand(m, a, Signal(a.bits), "a").exponent
                     + split_operand(m, b, Signal(b.bits), "b").exponent)
            two_steps = (split_product(a, b, spec.accumulator, spec.mul)
                         and not tabulated(a, b, spec.accumulator, spec.mul) and len(shift) > FINE_SHIFT_BITS)
            assert ("window" in spec.cut_points) == two_steps, (a.name, b.name)
            checked += 1
    assert checked > 200


def test_the_window_is_registered_from_the_fifth_stage_on(tmp_path):
    for pipeline, registered in ((4, False), (5, True), (6, True)):
        verilog, _ = emit_spec(MacSpec("fp8_e4m3fn", "fp8_e4m3fn", pipeline=pipeline), tmp_path)
        text = verilog.read_text()
        assert ("window_window <=" in text) == registered and ("window_coarse <=" in text) == registered
        assert ("input0_a <=" in text) == (pipeline == 6)  # beyond the last cut: input registers
    # the spec's depth is the unit's latency with the window registered too
    unit = build_unit(MacSpec("fp8_e4m3fn", "fp8_e4m3fn", pipeline=5))
    assert (unit.latency, unit.pipeline) == (5, 5)
    unit._MustUse__silence = True


UNITS = {  # id -> (spec, exhaustive pairs first)
    "fp8_e4m3fn-p5": (MacSpec("fp8_e4m3fn", "fp8_e4m3fn", pipeline=5), True),
    "fp8_e5m2-p5": (MacSpec("fp8_e5m2", "fp8_e5m2", pipeline=5), True),
    "fp6_e3m2-wrap20-p5": (MacSpec("fp6_e3m2", "fp6_e3m2", "fixed:20", pipeline=5), True),
    "fp8_e5m2-int8-p6": (MacSpec("fp8_e5m2", "int8", pipeline=6), False),
    # with the accumulator split in halves, and in carry-save form added up in three pieces
    "fp8_e4m3fn-acc2-p6": (MacSpec("fp8_e4m3fn", "fp8_e4m3fn", pipeline=6, acc_stages=2), False),
    "fp8_e4m3fn-acc4-p8": (MacSpec("fp8_e4m3fn", "fp8_e4m3fn", terms=8, pipeline=8, acc_stages=4,
                                   acc_adder="carry_save"), True),
}
BROKEN = "coarse-shift-one-bit-low"


@pytest.fixture(scope="module")
def manifests(tmp_path_factory) -> dict:
    # The bug a register between the steps invites: the coarse shift taken from the wrong bits of the
    # exponent sum (one too low, overlapping the fine shift the window has applied already).
    original = exact_product.align_window

    def overlapping(m, magnitude, shift):
        window, _ = original(m, magnitude, shift)
        return window, shift[FINE_SHIFT_BITS - 1:]

    def patch(monkeypatch):
        monkeypatch.setattr(mac, "align_window", overlapping)

    broken = (BROKEN, UNITS["fp8_e4m3fn-p5"][0], "mac_fp8_window_coarse_overlaps")
    return emit_with_broken(UNITS, tmp_path_factory.mktemp("window_units"), broken, patch)


@pytest.mark.tools
@pytest.mark.parametrize("simulator", SIMULATORS)
def test_every_unit_matches_the_golden_model_with_stalls(manifests, tmp_path, simulator):
    check_batch(manifests, UNITS, (BROKEN, UNITS["fp8_e4m3fn-p5"][0]), simulator, tmp_path)
