"""ASIC power from switching activity (hwgen.fpga.asic_power and the modules it runs): known
activities give known power, the mapped MAC's outputs are checked against the golden model (and a
wrong netlist is caught), OpenSTA agrees where it can take the same activities, and bad input is one
line."""

import json
import re
from dataclasses import replace
from pathlib import Path
from types import MappingProxyType

import numpy as np
import pytest

from hwgen import toolchain
from hwgen.fpga import activity, sta_power
from hwgen.fpga.asic import synthesize_asic
from hwgen.fpga.asic_power import measure_asic_power, netlist_power
from hwgen.fpga.gate_sim import ActivityError
from hwgen.fpga.liberty import read_liberty
from hwgen.fpga.mapped_netlist import CellInstance, MappedNetlist, netlist_from_verilog, read_mapped_netlist
from hwgen.fpga.netlist_sim import cell_groups, output_columns, simulation_sdf, simulation_verilog
from hwgen.fpga.sta_check import sta_check
from hwgen.fpga.units import get_unit

FIXTURES = Path(__file__).parent / "fixtures" / "asic_power"
CLOCK_NS = 10.0
WINDOW = 400  # measured cycles of the xor8 runs
START = 4  # xor8's registers hold stream data from edge 2 on


def osu018():
    # No skip: `make test` installs the library, and a missing one fails here naming its package.
    return toolchain.find_liberty("osu018")


def one_line(error: pytest.ExceptionInfo) -> str:
    message = str(error.value)
    assert "\n" not in message
    return message


# --- the Liberty reader and the report parsers (no tools) --------------------------------------------


def test_power_table_lookup_matches_a_hand_interpolation():
    liberty = read_liberty(osu018().liberty)
    # AND2X1, Y's internal power related to A, rise: rows are loads 0.025 / 0.075 pF, columns slews
    # 0.18 / 0.42 ns (values copied from osu018_stdcells.lib); the point is in the middle of both.
    rows = ((0.018863, 0.033136), (0.019558, 0.033444))
    by_slew = [low + (high - low) * (0.30 - 0.18) / (0.42 - 0.18) for low, high in rows]
    by_hand = by_slew[0] + (by_slew[1] - by_slew[0]) * (0.05 - 0.025) / (0.075 - 0.025)
    arc = liberty.cells["AND2X1"].pins["Y"].power[0]
    assert arc.related_pin == "A"
    assert arc.rise.at(0.30, 0.05) == pytest.approx(by_hand, rel=1e-12)
    # DFFPOSX1's clock pin below its table (first slew 0.06 ns): extrapolated along the first segment.
    clock = liberty.cells["DFFPOSX1"].pins["CLK"].power[0]
    assert clock.fall.at(0.0) == pytest.approx(0.11034 - 0.06 * (0.129769 - 0.11034) / 0.18, rel=1e-12)
    assert liberty.voltage == 1.8
    assert liberty.cells["AND2X1"].leakage_nw == 0.0746794


def test_parses_opensta_power_reports():
    totals = sta_power.parse_power_totals((FIXTURES / "mac_int8_vectorless_power.rpt").read_text())
    assert (totals.internal_w, totals.switching_w, totals.leakage_w) == (4.13588062e-03, 1.28505554e-03,
                                                                       5.85141890e-08)
    rows = sta_power.parse_instance_power((FIXTURES / "mac_int8_instances_head.rpt").read_text())
    assert list(rows)[:2] == ["_1411_", "_1412_"]
    assert rows["_1411_"].internal_w == 2.21405335e-05
    with pytest.raises(ValueError, match=r"^power report has no 'Leakage' column or no 'Total' row$"):
        sta_power.parse_power_totals("Total 1 2 3\n")


# --- the netlist and SDF that Icarus simulates (no tools) ---------------------------------------------


def small_netlist() -> MappedNetlist:
    """Five cells on a 2-bit input bus, a clock and a 2-bit output bus; one pin tied to 0."""
    cells = [CellInstance("u0", "INVX1", MappingProxyType({"A": 3, "Y": 5}), frozenset({"Y"})),
             CellInstance("u1", "NAND2X1", MappingProxyType({"A": 4, "B": "0", "Y": 6}), frozenset({"Y"})),
             CellInstance("u2", "XOR2X1", MappingProxyType({"A": 5, "B": 6, "Y": 7}), frozenset({"Y"})),
             CellInstance("f0", "DFFPOSX1", MappingProxyType({"CLK": 2, "D": 7, "Q": 8}), frozenset({"Q"})),
             CellInstance("u3", "BUFX2", MappingProxyType({"A": 8, "Y": 9}), frozenset({"Y"}))]
    ports = {"clk": ("input", (2,)), "a": ("input", (3, 4)), "y": ("output", (9, "1"))}
    return MappedNetlist("small", MappingProxyType(ports), tuple(cells))


def test_the_simulation_netlist_has_a_wire_per_net_bit_and_the_cells_in_groups():
    netlist = small_netlist()
    verilog = simulation_verilog(netlist)
    # 5 cells: groups of ceil(sqrt(5)) = 3, so two groups, each a module whose ports are its nets.
    assert cell_groups(netlist) == {"u0": "_group0_", "u1": "_group0_", "u2": "_group0_",
                                    "f0": "_group1_", "u3": "_group1_"}
    assert "module asic_power_group0(_net3_, _net4_, _net5_, _net6_, _net7_);" in verilog
    assert "  NAND2X1 u1 (.A(_net4_), .B(1'b0), .Y(_net6_));" in verilog
    group0, group1 = verilog.split("module asic_power_group1")
    assert "  output _net7_;" in group0 and "  input _net7_;" in group1  # driven by u2, read by f0
    assert "  asic_power_group1 _group1_ (_net2_, _net7_, _net8_, _net9_);" in verilog
    for line in ("  input [1:0] a;", "  output [1:0] y;", "  assign _net4_ = a[1];",
                 "  assign y[0] = _net9_;", "  assign y[1] = 1'b1;"):
        assert line in verilog
    assert not re.search(r"wire \[", verilog)  # no vector nets: a bit's change moves one bit
    clash = replace(netlist, cells=(*netlist.cells[:4], replace(netlist.cells[4], name="_group1_")))
    with pytest.raises(ValueError, match=r"^small uses the name _group1_, which the simulation netlist "):
        simulation_verilog(clash)


def test_the_simulation_sdf_puts_each_instance_in_its_group_with_the_max_delay():
    sdf = ('(DELAYFILE (DIVIDER /) (CELL (CELLTYPE "small") (INSTANCE) (DELAY (ABSOLUTE\n'
           '    (INTERCONNECT a[0] u0/A (0.0220::0.0220)))))\n'
           ' (CELL (CELLTYPE "BUFX2") (INSTANCE u3)\n'
           '  (DELAY (ABSOLUTE (IOPATH A Y (0.1::0.2) (0.3::0.4))))))\n')
    rewritten = simulation_sdf(sdf, small_netlist())
    assert "(INSTANCE _group1_/u3)\n  (DELAY (ABSOLUTE (IOPATH A Y (0.2:0.2:0.2) (0.4:0.4:0.4))))" in (
        rewritten)
    assert "(INSTANCE) " in rewritten
    with pytest.raises(ActivityError) as caught:
        simulation_sdf(sdf.replace("u3", "u9"), small_netlist())
    assert one_line(caught) == "the SDF names an instance u9 that small does not have"


# --- known activity, known power (a registered 8-bit XOR mapped to osu018) ----------------------------


@pytest.fixture(scope="module")
def xor8(tmp_path_factory):
    osu018()
    work = tmp_path_factory.mktemp("xor8")
    return synthesize_asic(FIXTURES / "xor8.v", "xor8", "osu018", CLOCK_NS, work_dir=work)


def toggling(p: float, count: int, seed: int) -> list[int]:
    """8-bit words whose bits each flip with probability p from one word to the next."""
    flips = np.random.default_rng(seed).random((count, 8)) < p
    return [int(word) for word in (np.cumsum(flips, axis=0) % 2) @ (1 << np.arange(8))]


def run_xor8(xor8, p: float, work: Path):
    a, b = toggling(p, START + WINDOW + 1, 1), toggling(p, START + WINDOW + 1, 2)
    result = netlist_power(xor8.netlist, "xor8", "osu018", CLOCK_NS, {"a": a, "b": b}, START, WINDOW,
                           work_dir=work)
    # y at edge j is ra ^ rb after edge j - 1, i.e. a ^ b sampled at edge j - 2.
    y = output_columns(result.activity)["y"]
    assert y[START:] == [x ^ z for x, z in zip(a[START - 2:], b[START - 2:], strict=False)][:len(y) - START]
    return result


@pytest.mark.tools
def test_inputs_that_never_change_cost_only_the_clock_pins(xor8, tmp_path):
    still = run_xor8(xor8, 0.0, tmp_path / "still")
    assert set(still.activity.toggles.values()) == {0}
    assert still.energy.switching_pj == 0.0
    assert still.data_uw == 0.0
    # What is left is exactly the 24 flip-flops' clock pins: a rising and a falling edge per period,
    # each at the ideal clock's 0 ns slew, extrapolated from the Liberty's first two table points.
    text = osu018().liberty.read_text()
    pin = re.search(r"cell \(DFFPOSX1\).*?pin\(CLK\)(.*?)min_pulse_width", text, re.DOTALL)[1]
    edges = [[float(x) for x in values.split(",")[:2]] for values in re.findall(r'values \("([^"]*)"\)', pin)]
    per_cycle = sum(v0 - 0.06 * (v1 - v0) / (0.24 - 0.06) for v0, v1 in edges)  # pJ, rise + fall
    assert xor8.cells_by_type["DFFPOSX1"] == 24
    assert still.dynamic_uw == pytest.approx(24 * per_cycle / CLOCK_NS * 1e3, rel=1e-9)
    # "Near zero" is the data's share: zero. The clock pins stay, 55 % of the dynamic power of this
    # flip-flop-heavy datapath with its inputs toggling at p = 0.5 (11 % for the int8 MAC).
    busy = run_xor8(xor8, 0.5, tmp_path / "busy")
    assert 0.4 < still.dynamic_uw / busy.dynamic_uw < 0.7


@pytest.mark.tools
def test_twice_the_input_toggle_rate_roughly_doubles_the_data_power(xor8, tmp_path):
    slow, fast = run_xor8(xor8, 0.1, tmp_path / "p10"), run_xor8(xor8, 0.2, tmp_path / "p20")
    input_rate = [sum(r.activity.toggles[bit] for bit in r.activity.duty) for r in (slow, fast)]
    assert 1.8 < input_rate[1] / input_rate[0] < 2.2
    # Not exactly 2: an XOR output toggles with probability 2p(1 - p), 0.18 and 0.32 here (ratio 1.78).
    ratio = fast.data_uw / slow.data_uw
    assert 1.7 <= ratio <= 2.3, ratio
    # The clock pins do not care: the whole dynamic power grows by much less.
    assert fast.dynamic_uw - slow.dynamic_uw == pytest.approx(fast.data_uw - slow.data_uw, rel=1e-9)


@pytest.mark.tools
def test_this_opensta_recomputes_annotated_pin_activities(tmp_path):
    """Why the Liberty computation, not OpenSTA's report_power, is the product's number."""
    osu018()
    netlist = tmp_path / "inverter.v"
    netlist.write_text("module inverter(clk, a, y);\n  input clk, a;\n  output y;\n  wire n;\n"
                       "  DFFPOSX1 f (.CLK(clk), .D(a), .Q(n));\n  INVX1 u (.A(n), .Y(y));\nendmodule\n")
    result = netlist_power(netlist, "inverter", "osu018", CLOCK_NS, {"a": [0, 1] * 20}, 2, 30,
                           work_dir=tmp_path / "run")
    prologue = result.sta_prologue + "set_power_activity -input_ports [get_ports a] -activity 1 -duty 0.5\n"
    per_instance = {}
    for rate in (1.0, 0.25):
        commands = f"sta::set_power_pin_activity [get_pins f/Q] {rate} 0.5\n"
        per_instance[rate] = sta_power.sta_power(prologue, commands, result.work_dir, "sta", None,
                                                 instances=True)
    # f/Q's switching power follows the input port's activity (propagated through D), not the pin's.
    assert per_instance[1.0]["f"].switching_w == per_instance[0.25]["f"].switching_w > 0


# --- the int8 MAC on the project's operand stream ------------------------------------------------------


@pytest.fixture(scope="module")
def mac_int8(tmp_path_factory):
    osu018()
    design = get_unit("mac").generate({"a": "int8", "b": "int8"})
    work = tmp_path_factory.mktemp("mac_int8")
    (work / "mac.v").write_text(design.verilog)
    return design, synthesize_asic(work / "mac.v", design.module, "osu018", CLOCK_NS, work_dir=work)


@pytest.mark.tools
def test_mapped_mac_matches_the_golden_model_and_has_a_power(mac_int8, tmp_path):
    design, synth = mac_int8
    power = measure_asic_power(design, synth.netlist, "osu018", CLOCK_NS, macs=256, work_dir=tmp_path)
    assert power.outputs_match and power.checked >= 16  # dot products of K = 16 items
    assert power.macs == 256 and power.nets > 700
    assert power.dynamic_uw == pytest.approx(power.internal_uw + power.switching_uw)
    assert power.energy_pj_per_mac == pytest.approx(power.dynamic_uw * CLOCK_NS / 1e3 + power.leakage_nw
                                                    * CLOCK_NS * 1e-6)
    assert 20 < power.energy_pj_per_mac < 200  # osu018 (0.18 um, 1.8 V): about 60 pJ at 2048 MACs
    # What the flow measured before the simulation netlist and testbench were made faster (commit
    # 67f1e8e): the same transitions, so the same energy.
    assert (power.toggles, power.energy_pj_per_mac) == (127780, pytest.approx(61.66892995851317, rel=1e-12))
    assert power.leakage_nw == pytest.approx(power.sta_leakage_nw, rel=1e-5)  # OpenSTA sums in float
    assert set(power.summary()) >= {"energy_pj_per_mac", "dynamic_uw", "leakage_nw", "power_method"}


@pytest.mark.tools
def test_the_netlist_synthesis_reads_back_is_the_one_yosys_reads_here(mac_int8, tmp_path):
    design, synth = mac_int8  # the sweep passes AsicSynthResult.netlist_json and saves a Yosys run
    here = netlist_from_verilog(synth.netlist, design.module, osu018(), tmp_path, None)
    assert read_mapped_netlist(json.loads(synth.netlist_json.read_text()), design.module) == here


@pytest.mark.tools
def test_a_netlist_with_one_wrong_gate_is_caught(mac_int8, tmp_path):
    design, synth = mac_int8
    wrong = tmp_path / "wrong.v"
    wrong.write_text(synth.netlist.read_text().replace("XNOR2X1", "XOR2X1", 1))
    with pytest.raises(ActivityError) as caught:
        measure_asic_power(design, wrong, "osu018", CLOCK_NS, macs=64, work_dir=tmp_path / "run")
    assert "the golden model says" in one_line(caught)


@pytest.mark.tools
def test_a_clock_shorter_than_the_critical_path_is_caught(mac_int8, tmp_path):
    design, synth = mac_int8  # its critical path is about 3.5 ns
    with pytest.raises(ActivityError) as caught:
        measure_asic_power(design, synth.netlist, "osu018", 2.0, macs=64, work_dir=tmp_path)
    assert "timed simulation at 2 ns" in one_line(caught)


@pytest.mark.tools
def test_opensta_agrees_where_it_takes_the_same_activities(mac_int8, tmp_path):
    design, synth = mac_int8
    # Any stream will do (both sides see the same transitions), after 40 cycles of filling the pipeline.
    count = 40 + 128 + 1
    stimulus = {"rst": [1, 1] + [0] * (count - 2), "i__payload": toggling(0.5, count, 3),
                "i__valid": [1] * count, "o__ready": [1] * count}
    result = netlist_power(synth.netlist, design.module, "osu018", CLOCK_NS, stimulus, 40, 128,
                           work_dir=tmp_path)
    check = sta_check(result)
    assert check.slew_difference_ns < 1e-6
    assert check.switching_uw == pytest.approx(check.liberty_switching_uw, rel=1e-5)
    assert check.leakage_nw == pytest.approx(check.liberty_leakage_nw, rel=1e-6)
    assert check.simple_cells > 400 and check.internal_difference < 1e-5
    assert check.simple_internal_uw == pytest.approx(check.liberty_simple_internal_uw, rel=0.02)
    # This OpenSTA charges each clock edge the rise and the fall energy of the clock pin.
    assert check.clock_pins_uw == pytest.approx(2 * check.liberty_clock_pins_uw, rel=1e-6)


@pytest.mark.tools
def test_int8_multiplier_is_checked_and_priced(tmp_path):
    osu018()
    design = get_unit("mul").generate({"a": "int8", "b": "int8"})
    (tmp_path / "mul.v").write_text(design.verilog)
    synth = synthesize_asic(tmp_path / "mul.v", design.module, "osu018", CLOCK_NS, work_dir=tmp_path)
    power = measure_asic_power(design, synth.netlist, "osu018", CLOCK_NS, macs=64, work_dir=tmp_path / "run")
    assert power.unit == "mul" and power.checked >= 64 and power.energy_pj_per_mac > 0


# --- bad input -------------------------------------------------------------------------------------------


@pytest.mark.tools
@pytest.mark.parametrize(("options", "error", "message"), [
    ({"distribution": "uniform"}, ValueError,
     r"^distribution must be one of gaussian, laplace, not 'uniform'$"),
    ({"macs": 0}, ValueError, r"^macs must be between 1 and 1048576, not 0$"),
    ({"macs": "64"}, TypeError, r"^macs must be an int, not str$"),
    ({"seed": -1}, ValueError, r"^seed must be 0 or more, not -1$"),
    ({"clock_ns": 0}, ValueError, r"^clock_ns must be a number of nanoseconds between "),
    ({"library": "tsmc7"}, ValueError, r"^unknown cell library 'tsmc7'; known libraries: "),
    ({"mapped_netlist": "nothing.v"}, ValueError, r"^no mapped netlist .*nothing\.v$"),
])
def test_bad_arguments_are_one_line_errors(mac_int8, tmp_path, options, error, message):
    design, synth = mac_int8
    arguments = {"mapped_netlist": synth.netlist, "library": "osu018", "clock_ns": CLOCK_NS, "macs": 16,
                 **options}
    if arguments["mapped_netlist"] == "nothing.v":
        arguments["mapped_netlist"] = tmp_path / "nothing.v"
    with pytest.raises(error, match=message) as caught:
        measure_asic_power(design, work_dir=tmp_path, **arguments)
    one_line(caught)


@pytest.mark.tools
def test_a_design_that_is_no_mac_or_multiplier_is_refused(mac_int8, tmp_path):
    design, synth = mac_int8
    units = ", ".join(activity.UNITS)  # the units whose streams activity knows (mac, mul, ...)
    with pytest.raises(ValueError, match=rf"^design unit must be one of {units}, not 'systolic'$"):
        measure_asic_power(replace(design, unit="systolic"), synth.netlist, work_dir=tmp_path)
    with pytest.raises(TypeError, match=r"^design must be a GeneratedDesign \(hwgen.fpga.units\), not str$"):
        measure_asic_power("mac_int8_fixed", synth.netlist, work_dir=tmp_path)


def test_a_liberty_file_that_does_not_parse_is_one_line(tmp_path):
    broken = tmp_path / "broken.lib"
    broken.write_text("library(broken) {\n  cell (INVX1) { area : 16; pin(A) { direction : input;\n")
    with pytest.raises(ValueError) as caught:
        read_liberty(broken)
    assert one_line(caught) == f"{broken} is not a Liberty file: it ends inside a group"
    broken.write_text("cell (INVX1) { }\n")
    with pytest.raises(ValueError, match=r"does not start with library \(\.\.\.\)$"):
        read_liberty(broken)
    with pytest.raises(ValueError, match=r"^no Liberty file .*missing\.lib$"):
        read_liberty(tmp_path / "missing.lib")


@pytest.mark.tools
def test_a_missing_input_column_is_one_line(xor8, tmp_path):
    with pytest.raises(ValueError, match=r"^no stimulus for input port b of xor8$"):
        netlist_power(xor8.netlist, "xor8", "osu018", CLOCK_NS, {"a": [0] * 8}, 2, 4, work_dir=tmp_path)
