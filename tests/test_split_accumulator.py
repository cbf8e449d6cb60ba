"""The MAC whose fixed accumulator adds in two stages (``MacSpec(acc_stages=2)``,
hwgen.gen.accumulate.accumulate_in_two_stages): the low half adds and registers its carry, the high
half adds one clock edge later. Same contract as one stage (bit-exact sums, sticky NaN / inf, restart,
backpressure, latency = pipeline), each carry chain half as long.
"""

import hashlib
import json

import pytest
from mac_batches import check_batch

from hwgen.fpga.fmax import Candidate
from hwgen.gen.build import emit_spec
from hwgen.sim.runner import SIMULATORS
from hwgen.specs import MacSpec


def test_the_option_is_in_the_spec_only_when_it_is_not_the_default():
    assert "acc_stages" not in json.loads(MacSpec("fp8_e4m3fn", "fp8_e4m3fn").to_json())
    split = MacSpec("fp8_e4m3fn", "fp8_e4m3fn", pipeline=4, acc_stages=2)
    assert json.loads(split.to_json())["acc_stages"] == 2
    assert (split.module_name, split.label) == ("mac_fp8_e4m3fn_fixed_p4_acc2", "fp8_e4m3fn p4 acc2")
    assert MacSpec.from_json(split.to_json()) == split


@pytest.mark.parametrize(("options", "message"), [
    ({"acc_stages": 5}, r"^acc_stages must be one of 1, 2, 3, 4, not 5$"),
    ({"acc_stages": True}, r"^acc_stages must be one of 1, 2, 3, 4, not True$"),
    ({"acc_stages": 2.0}, r"^acc_stages must be one of 1, 2, 3, 4, not 2\.0$"),
    ({"acc": "fp32", "acc_stages": 2}, r"^acc_stages 2 splits a fixed accumulator's addition, not fp32's$"),
    ({"pipeline": 1, "acc_stages": 2}, r"^acc_stages 2 needs pipeline 2 or more \(every stage is a pipeline "
                                       r"stage\)$"),
])
def test_what_the_split_refuses(options, message):
    with pytest.raises(ValueError, match=message):
        MacSpec(**{"a": "fp8_e4m3fn", "b": "fp8_e4m3fn", **options})


def test_the_split_and_the_sb_mac16_mapping_exclude_each_other():
    with pytest.raises(ValueError, match=r"^acc_stages 2 and dsp sb_mac16 exclude each other"):
        MacSpec("int8", "int8", dsp="sb_mac16", acc_stages=2)


def test_an_fmax_search_tries_the_split_once_every_cut_point_has_its_register():
    split = (("acc_stages", 2),)

    def csa(*depths):
        return [(depth, (("acc_stages", stages), ("acc_adder", "carry_save"))) for depth, stages in depths]

    # fp8_e4m3fn has four cut points (its aligner's window among them), fp4_e2m1 (a table) three
    fp8, fp4 = {"a": "fp8_e4m3fn", "b": "fp8_e4m3fn"}, {"a": "fp4_e2m1", "b": "fp4_e2m1"}
    assert MacSpec(**fp8).cut_points == ("product", "operands", "term", "window")
    assert MacSpec(**fp4).cut_points == ("product", "operands", "term")
    assert MacSpec("int8", "int8").cut_points == ("product", "operands")
    assert MacSpec.fmax_candidates(fp4, "ice40", dsp=False) == (  # (with DSPs: decode integer beside)
        (1, ()), (2, ()), (3, ()), (4, ()), (5, split), *csa((5, 2), (6, 3), (7, 4)))
    # the split and the carry-save sums beside the window's depth and after it
    assert MacSpec.fmax_candidates(fp8, "ice40") == (
        (1, ()), (2, ()), (3, ()), (4, ()), (5, ()), (5, split), *csa((5, 2)), (6, split),
        *csa((6, 2), (6, 3), (7, 3), (7, 4), (8, 4)))
    assert MacSpec.fmax_candidates({**fp8, "acc": "fp32"}, "ecp5") == ((1, ()), (2, ()), (3, ()), (4, ()))
    # a design that names the split keeps it at every depth it allows, with each of the split's adders
    # (on asic also with the product without LUT6 tables, at the depths of the cut points)
    adder, cells = (("acc_adder", "carry_save"),), (("product_logic", "cells"),)
    assert MacSpec.fmax_candidates({**fp8, "acc_stages": 2}, "asic") == tuple(
        (depth, placement) for depth in range(2, 7) for placement in ((), cells, adder)
        if placement != cells or depth <= 5)
    printed = [str(Candidate(depth, options)) for depth, options in MacSpec.fmax_candidates(fp4, "ecp5")]
    assert printed == [*(f"{depth}{placement}" for depth in range(1, 5)  # as printed
                         for placement in ("", " ccu2c", " cells_product", " int_decode")),
                       "5 acc2", "5 acc2 carry_save", "6 acc3 carry_save", "7 acc4 carry_save"]


def test_the_manifest_and_header_name_the_split(tmp_path):
    verilog, manifest = emit_spec(MacSpec("int8", "int8", pipeline=2, acc_stages=2), tmp_path)
    details = json.loads(manifest.read_text())
    assert (details["acc_stages"], details["latency"], details["pipeline"]) == (2, 2, 2)
    assert "//   acc_stages:  2" in verilog.read_text()


# --- simulation ------------------------------------------------------------------------------------------

UNITS = {  # id -> (spec, exhaustive pairs first)
    "int8-p2": (MacSpec("int8", "int8", pipeline=2, acc_stages=2), True),
    "fp8_e4m3fn-p4": (MacSpec("fp8_e4m3fn", "fp8_e4m3fn", pipeline=4, acc_stages=2), True),
    "fp8_e5m2-p3": (MacSpec("fp8_e5m2", "fp8_e5m2", pipeline=3, acc_stages=2), True),
    "fp4_e2m1-wrap9-p2": (MacSpec("fp4_e2m1", "fp4_e2m1", "fixed:9", pipeline=2, acc_stages=2), True),
    "dint4-fp6_e2m3-p5": (MacSpec("dint4", "fp6_e2m3", pipeline=5, acc_stages=2), False),
    "fp6_e3m2-lmul-p3": (MacSpec("fp6_e3m2", "fp6_e3m2", pipeline=3, mul="lmul", acc_stages=2), False),
    # a term narrower than the low half: only its sign reaches the high half
    "int4-k2^20-p2": (MacSpec("int4", "int4", terms=1 << 20, pipeline=2, acc_stages=2), True),
}
BROKEN = "carry-dropped"


@pytest.fixture(scope="module")
def manifests(tmp_path_factory) -> dict:
    folder = tmp_path_factory.mktemp("split_units")
    found = {key: emit_spec(spec, folder)[1] for key, (spec, _) in UNITS.items()}
    # The bug the carry register exists for: the high half adds the term without the low half's carry
    # (the good unit's Verilog with that one operand tied to 0).
    good = json.loads(found["int8-p2"].read_text())
    text = (folder / good["verilog"]).read_text()
    assert text.count("{ 1'h0, acc_carry }") == 1, "the high half's addition changed"
    name = "mac_int8_acc2_carry_dropped"
    broken = text.replace(good["module"], name).replace("{ 1'h0, acc_carry }", "2'h0")
    (folder / f"{name}.v").write_text(broken)
    found[BROKEN] = folder / f"{name}.json"
    digest = hashlib.sha256(broken.encode()).hexdigest()
    found[BROKEN].write_text(json.dumps({**good, "module": name, "verilog": f"{name}.v", "sha256": digest}))
    return found


@pytest.mark.tools
@pytest.mark.parametrize("simulator", SIMULATORS)
def test_every_unit_matches_the_golden_model_with_stalls(manifests, tmp_path, simulator):
    check_batch(manifests, UNITS, (BROKEN, UNITS["int8-p2"][0]), simulator, tmp_path)
