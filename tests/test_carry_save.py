"""The MAC whose fixed accumulator keeps its sum in carry-save form (``MacSpec(acc_stages=2,
acc_adder="carry_save")``, hwgen.gen.accumulate.accumulate_carry_save): the loop adds each term with a full
adder per bit and no carry chain, the second stage adds the two vectors up. Same contract as one stage
(bit-exact sums, wrap-around, sticky NaN / inf, restart, backpressure, latency = pipeline).
"""

import dataclasses
import json

import pytest
from amaranth import C
from mac_batches import check_batch, emit_with_broken

from hwgen.gen import accumulate
from hwgen.gen.build import emit_spec
from hwgen.sim.runner import SIMULATORS
from hwgen.specs import MacSpec

FP8 = {"a": "fp8_e4m3fn", "b": "fp8_e4m3fn"}


def test_the_spec_names_the_adder():
    spec = MacSpec(**FP8, pipeline=5, acc_stages=2, acc_adder="carry_save")
    assert (spec.module_name, spec.label) == ("mac_fp8_e4m3fn_fixed_p5_acc2_carry_save",
                                              "fp8_e4m3fn p5 acc2 carry_save")
    assert json.loads(spec.to_json())["acc_adder"] == "carry_save"
    assert MacSpec.from_json(spec.to_json()) == spec
    assert spec.targets is None and not spec.needs_dsps  # portable Verilog, fabric only


@pytest.mark.parametrize(("options", "message"), [
    ({"acc_adder": "carry_save"}, r"^acc_adder carry_save needs acc_stages 2, 3, 4 \(the carry-save loop, "
                                  r"then the sum of its two vectors in the other stages\)$"),
    ({"pipeline": 5, "acc_stages": 3}, r"^acc_stages 3 needs acc_adder carry_save \(the split into halves "
                                       r"has 2 stages\)$"),
    ({"pipeline": 3, "acc_stages": 4, "acc_adder": "carry_save"},
     r"^acc_stages 4 needs pipeline 4 or more \(every stage is a pipeline stage\)$"),
    ({"acc": "fp32", "acc_stages": 2, "acc_adder": "carry_save"},
     r"^acc_stages 2 splits a fixed accumulator's addition, not fp32's$"),
    ({"a": "int8", "b": "int8", "dsp": "sb_mac16", "acc_stages": 2, "acc_adder": "carry_save"},
     r"^acc_stages 2 and dsp sb_mac16 exclude each other"),
    ({"acc_adder": "carry-save"},
     r"^acc_adder must be one of inferred, ccu2c, carry_save, not 'carry-save'$"),
])
def test_what_the_adder_refuses(options, message):
    with pytest.raises(ValueError, match=message):
        MacSpec(**{**FP8, **options})


def test_an_fmax_search_tries_each_number_of_pieces_one_depth_further():
    tried = MacSpec.fmax_candidates(FP8, "ice40")
    assert tried[-4:] == tuple((depth, (("acc_stages", stages), ("acc_adder", "carry_save")))
                               for depth, stages in [(6, 3), (7, 3), (7, 4), (8, 4)])  # fp8: 3 or 4 cuts
    # a design that names its accumulator stages keeps them (on ecp5 its product is also tried without the
    # LUT6 tables)
    assert {options for _, options in MacSpec.fmax_candidates({**FP8, "acc_stages": 3,
                                                              "acc_adder": "carry_save"}, "ecp5")} == {
        (), (("product_logic", "cells"),)}


def test_the_manifest_and_header_name_the_adder(tmp_path):
    verilog, manifest = emit_spec(MacSpec("int8", "int8", pipeline=2, acc_stages=2, acc_adder="carry_save"),
                                  tmp_path)
    details = json.loads(manifest.read_text())
    assert (details["acc_stages"], details["acc_adder"], details["latency"]) == (2, "carry_save", 2)
    assert "//   acc_adder:   carry_save" in verilog.read_text()


# --- simulation ------------------------------------------------------------------------------------------

UNITS = {  # id -> (spec, exhaustive pairs first)
    "int8-p2": (MacSpec("int8", "int8", pipeline=2, acc_stages=2, acc_adder="carry_save"), True),
    "int8-wrap16-p3": (MacSpec("int8", "int8", "fixed:16", pipeline=3, acc_stages=2, acc_adder="carry_save"),
                       True),
    "fp8_e4m3fn-p5": (MacSpec(**FP8, pipeline=5, acc_stages=2, acc_adder="carry_save"), True),
    "fp8_e5m2-p3": (MacSpec("fp8_e5m2", "fp8_e5m2", pipeline=3, acc_stages=2, acc_adder="carry_save"), True),
    "fp4_e2m1-wrap9-p2": (MacSpec("fp4_e2m1", "fp4_e2m1", "fixed:9", pipeline=2, acc_stages=2,
                                  acc_adder="carry_save"), True),
    "dint4-fp6_e2m3-p5": (MacSpec("dint4", "fp6_e2m3", pipeline=5, acc_stages=2, acc_adder="carry_save"),
                          False),
    "fp6_e3m2-lmul-p3": (MacSpec("fp6_e3m2", "fp6_e3m2", pipeline=3, mul="lmul", acc_stages=2,
                                 acc_adder="carry_save"), False),
    # the sum of the two vectors in two and three pieces, each with the carry out of the piece below
    "fp8_e4m3fn-acc3-p6": (MacSpec(**FP8, pipeline=6, acc_stages=3, acc_adder="carry_save"), True),
    "int8-wrap16-acc3-p3": (MacSpec("int8", "int8", "fixed:16", pipeline=3, acc_stages=3,
                                    acc_adder="carry_save"), True),
    "fp8_e5m2-acc4-p4": (MacSpec("fp8_e5m2", "fp8_e5m2", pipeline=4, acc_stages=4, acc_adder="carry_save"),
                         True),
    "fp4_e2m1-acc4-p7": (MacSpec("fp4_e2m1", "fp4_e2m1", terms=8, pipeline=7, acc_stages=4,
                                 acc_adder="carry_save"), False),
}
BROKEN = "plus-one-dropped"


@pytest.fixture(scope="module")
def manifests(tmp_path_factory) -> dict:
    # The bug bit 0 of the carries exists for: a negative minifloat term loses the +1 of its two's
    # complement (the loop adds the ones' complement alone).
    original = accumulate.accumulate_carry_save

    def without_plus_one(m, o, item, advance, acc, term, *stages):
        original(m, o, item, advance, acc, dataclasses.replace(term, carry_in=C(0, 1)), *stages)

    def patch(monkeypatch):
        monkeypatch.setattr(accumulate, "accumulate_carry_save", without_plus_one)

    broken = (BROKEN, UNITS["fp4_e2m1-wrap9-p2"][0], "mac_fp4_carry_save_plus_one_dropped")
    return emit_with_broken(UNITS, tmp_path_factory.mktemp("carry_save_units"), broken, patch)


@pytest.mark.tools
@pytest.mark.parametrize("simulator", SIMULATORS)
def test_every_unit_matches_the_golden_model_with_stalls(manifests, tmp_path, simulator):
    check_batch(manifests, UNITS, (BROKEN, UNITS["fp4_e2m1-wrap9-p2"][0]), simulator, tmp_path)
