"""The MAC's fixed accumulator on instantiated ECP5 CCU2C carry cells (``MacSpec(acc_adder="ccu2c")``,
hwgen.gen.ccu2c).

What the variant promises: the portable MAC's contract (valid / ready with backpressure, restart after
``last``, sticky NaN / inf flags, bit-exact and wrapping sums, latency = pipeline) with the restart
inside the carry cells' LUTs instead of a LUT per bit in front of them; synthesis for ecp5 only, with
or without DSPs, refused in one line elsewhere; an Fmax search on ecp5 tries it beside the inferred
adder.
"""

import itertools
import json
import re

import pytest
from mac_batches import check_batch, emit_with_broken

from hwgen.cli import main
from hwgen.fpga.sweep_config import parse_config
from hwgen.fpga.units import generate_design
from hwgen.fpga.yosys_flow import SynthOptions, synthesize
from hwgen.gen import ccu2c
from hwgen.gen.build import emit_spec
from hwgen.sim.runner import SIMULATORS
from hwgen.specs import MacSpec

INT8 = {"a": "int8", "b": "int8"}


# --- the cell's function -----------------------------------------------------------------------------


def ccu2c_half(init: int, a: int, b: int, c: int, carry: int) -> tuple[int, int]:
    """(sum, carry out) of one CCU2C half as the ECP5 cell computes them (INJECT1 "NO", D = 1): the LUT4
    with D = 1 is the propagate, the LUT2 of A and B (INIT[3:0]) the generate."""
    propagate = init >> (8 + c * 4 + b * 2 + a) & 1
    generate = init >> (b * 2 + a) & 1
    return propagate ^ carry, (carry if propagate else generate)


def test_the_cell_adds_the_addend_to_the_restarted_accumulator():
    """Every input of one half against Python integers: (restart ? 0 : a) + b + carry."""
    for a, b, restart, carry in itertools.product((0, 1), repeat=4):
        expected = (0 if restart else a) + b + carry
        assert ccu2c_half(ccu2c.RESTART_ADD_INIT, a, b, restart, carry) == (expected & 1, expected >> 1)


def test_a_chain_of_halves_is_the_wide_sum():
    """Bit by bit through the carry chain, 7 bits, every restart: the wrapped two's complement sum."""
    width = 7
    for acc, addend, restart, carry_in in itertools.product(range(0, 128, 5), range(-64, 64, 7), (0, 1),
                                                            (0, 1)):
        carry, total = carry_in, 0
        for bit in range(width):
            s, carry = ccu2c_half(ccu2c.RESTART_ADD_INIT, acc >> bit & 1, addend >> bit & 1, restart, carry)
            total |= s << bit
        assert total == ((0 if restart else acc) + addend + carry_in) % (1 << width)


# --- the spec ----------------------------------------------------------------------------------------


def test_the_adder_is_in_the_spec_only_when_it_is_not_the_default():
    portable = MacSpec("int8", "int8")
    assert "acc_adder" not in json.loads(portable.to_json())  # stored designs keep their identity
    chained = MacSpec("int8", "int8", acc_adder="ccu2c")
    assert json.loads(chained.to_json())["acc_adder"] == "ccu2c"
    assert (chained.module_name, chained.label) == ("mac_int8_fixed_ccu2c", "int8 ccu2c")
    assert MacSpec.from_json(chained.to_json()) == chained
    assert (chained.targets, chained.needs_dsps) == (("ecp5",), False)


@pytest.mark.parametrize(("options", "message"), [
    ({**INT8, "acc": "fp32"}, r"^acc_adder ccu2c builds a fixed accumulator's adder, not fp32's$"),
    ({**INT8, "dsp": "sb_mac16"}, r"^acc_adder ccu2c and dsp sb_mac16 exclude each other"),
    ({**INT8, "acc_stages": 2}, r"^acc_adder ccu2c and acc_stages 2 exclude each other"),
])
def test_what_the_ccu2c_adder_refuses(options, message):
    with pytest.raises(ValueError, match=message):
        MacSpec(**options, acc_adder="ccu2c")
    unknown = r"^acc_adder must be one of inferred, ccu2c, carry_save, not 'carry4'$"
    with pytest.raises(ValueError, match=unknown):
        MacSpec("int8", "int8", acc_adder="carry4")


def test_the_cli_refuses_other_targets_in_one_line_and_allows_no_dsp(tmp_path, capsys):
    code = main(["synth", "mac", "--a", "int8", "--b", "int8", "--acc-adder", "ccu2c", "--target", "ice40",
                 "--work-dir", str(tmp_path / "work")])
    error = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(error) == 1 and error[0].endswith("--target ice40: int8 ccu2c synthesizes for "
                                                               "ecp5 only")
    assert not (tmp_path / "work").exists()
    assert MacSpec("int8", "int8", acc_adder="ccu2c").check_target("ecp5", dsp=False) == "ecp5"


def test_an_fmax_search_on_ecp5_tries_the_ccu2c_adder_after_the_inferred_one_at_each_depth():
    chain, split = (("acc_adder", "ccu2c"),), (("acc_stages", 2),)
    csa = [(depth, (("acc_stages", stages), ("acc_adder", "carry_save"))) for depth, stages in
           [(5, 2), (6, 3), (7, 4)]]
    expected = ((1, ()), (1, chain), (2, ()), (2, chain), (3, ()), (3, chain), (4, ()), (4, chain),
                (5, split), *csa)
    assert MacSpec.fmax_candidates(INT8, "ecp5") == expected
    assert MacSpec.fmax_candidates(INT8, "ecp5", dsp=False) == expected  # fabric: with or without DSPs
    assert (2, chain) not in MacSpec.fmax_candidates(INT8, "ice40")
    assert MacSpec.fmax_candidates({**INT8, "acc_adder": "ccu2c"}, "ecp5") == (
        (1, ()), (2, ()), (3, ()), (4, ()))
    assert MacSpec.fmax_candidates({**INT8, "acc": "fp32"}, "ecp5") == ((1, ()), (2, ()), (3, ()), (4, ()))


def test_a_sweep_measures_the_adder_on_ecp5_with_and_without_dsps():
    unit = {"kind": "mac", "formats": ["int8"], "params": {"acc_adder": "ccu2c", "pipeline": 3}}
    plan = parse_config({"units": [unit], "targets": {"ecp5": {"dsp": [True, False]}, "ice40": {}}})
    (design,) = plan.designs
    assert [(flow.target, flow.dsp) for flow in plan.flows_for(design)] == [("ecp5", True), ("ecp5", False)]
    with pytest.raises(ValueError, match=r"^units\[0\]: int8 p2 ccu2c synthesizes for ecp5 only: name it in "
                                         r"\[targets\]"):
        parse_config({"units": [{**unit, "params": {"acc_adder": "ccu2c", "pipeline": 2}}],
                      "targets": {"ice40": {}}})


# --- the Verilog ---------------------------------------------------------------------------------------


def test_the_verilog_instantiates_one_cell_per_two_bits_and_carries_the_models(tmp_path):
    spec = MacSpec("int8", "int8", "fixed:17", pipeline=2, acc_adder="ccu2c")
    verilog, manifest = emit_spec(spec, tmp_path)
    text = verilog.read_text()
    assert len(re.findall(r"^\s*CCU2C #\(", text, re.M)) == 9  # 17 bits: the last cell's upper half idle
    model = text[text.index("`ifndef SYNTHESIS"):]
    assert model.startswith("`ifndef SYNTHESIS\n`ifndef HWGEN_CCU2C_MODEL\n`define HWGEN_CCU2C_MODEL\n"
                            "module LUT4(")
    assert "specify" not in model and "module CCU2C(" in model and "module LUT2(" in model
    details = json.loads(manifest.read_text())
    assert details["primitives"] == {"CCU2C": "ecp5"} and details["acc_adder"] == "ccu2c"
    assert "dsp" not in details
    assert ccu2c.simulation_model() in text


# --- simulation: the contract on Icarus and Verilator --------------------------------------------------

UNITS = {  # id -> (spec, exhaustive pairs first)
    "int8-p1": (MacSpec("int8", "int8", pipeline=1, acc_adder="ccu2c"), True),
    "int8-wrap17-p2": (MacSpec("int8", "int8", "fixed:17", pipeline=2, acc_adder="ccu2c"), True),
    "dint4-int8-p4": (MacSpec("dint4", "int8", pipeline=4, acc_adder="ccu2c"), True),
    "fp4-p3": (MacSpec("fp4_e2m1", "fp4_e2m1", pipeline=3, acc_adder="ccu2c"), True),
    "fp8_e5m2-p1": (MacSpec("fp8_e5m2", "fp8_e5m2", pipeline=1, acc_adder="ccu2c"), True),
}
BROKEN = "restart-keeps-the-sum"


@pytest.fixture(scope="module")
def manifests(tmp_path_factory) -> dict:
    # The bug the restart input exists for: a chain whose LUTs ignore it adds to the last sum.
    ignores_restart = ccu2c.cell_init(lambda a, b, c: a ^ b, lambda a, b: a)
    return emit_with_broken(UNITS, tmp_path_factory.mktemp("ccu2c_units"),
                            (BROKEN, MacSpec("int8", "int8", pipeline=1, acc_adder="ccu2c"),
                             "mac_int8_ccu2c_restart_keeps_the_sum"),
                            lambda patch: patch.setattr(ccu2c, "RESTART_ADD_INIT", ignores_restart))


@pytest.mark.tools
@pytest.mark.parametrize("simulator", SIMULATORS)
def test_the_contract_matches_the_golden_model_with_stalls_in_one_build(manifests, tmp_path, simulator):
    # several units in one build: the models' include guard defines CCU2C, LUT4 and LUT2 once
    check_batch(manifests, UNITS, (BROKEN, UNITS["int8-p1"][0]), simulator, tmp_path)


# --- synthesis --------------------------------------------------------------------------------------------


@pytest.mark.tools
@pytest.mark.parametrize("dsp", [True, False])
def test_ecp5_keeps_the_chain_and_drops_the_restart_luts(tmp_path, dsp):
    counts = {}
    for adder in ("inferred", "ccu2c"):
        design = generate_design(MacSpec("int8", "int8", terms=8, pipeline=1, acc_adder=adder))
        unit = tmp_path / f"{design.module}.v"
        unit.write_text(design.verilog)
        counts[adder] = synthesize(unit, design.module, "ecp5", options=SynthOptions(dsp=dsp),
                                   work_dir=tmp_path / adder).cells
    inferred, chained = counts["inferred"], counts["ccu2c"]
    width = MacSpec("int8", "int8", terms=8).accumulator.width
    assert chained.by_type["CCU2C"] >= (width + 1) // 2 and chained.ffs == inferred.ffs
    # the restart's LUT per accumulator bit is gone (measured: 22 -> 3 with the DSP, 475 -> 290 without)
    assert chained.luts <= inferred.luts - width + 3


@pytest.mark.tools
@pytest.mark.parametrize("target", ["xc7", "ice40", "gates"])
def test_other_targets_refuse_in_one_line(tmp_path, target):
    design = generate_design(MacSpec("int8", "int8", terms=8, pipeline=1, acc_adder="ccu2c"))
    unit = tmp_path / f"{design.module}.v"
    unit.write_text(design.verilog)
    with pytest.raises(ValueError, match=rf"^{design.module} instantiates CCU2C, an ecp5 primitive: "
                                         rf"synthesize it for target ecp5, not {target}$"):
        synthesize(unit, design.module, target, work_dir=tmp_path / "s")
