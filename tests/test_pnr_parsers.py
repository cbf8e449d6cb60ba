"""nextpnr reports, the I/O harness and the row columns, from captured tool output (no tools run),
plus one real Yosys run checking that the harness keeps every flip-flop it adds."""

import json
import re
from pathlib import Path

import pytest

from hwgen.fpga import io_harness
from hwgen.fpga.pnr import PnrOptions, get_device, last_error, nextpnr_args, parse_report
from hwgen.fpga.points import _cell_columns, _pnr_columns
from hwgen.fpga.yosys_flow import parse_stat

FIXTURES = Path(__file__).parent / "fixtures"
REPORTS = FIXTURES / "nextpnr_report"
STATS = FIXTURES / "flow_stat"

# Ports of mac_int4_fixed_k4_p1 (hwgen generate mac --a int4 --b int4 --terms 4 --pipeline 1), the
# design of the captured fixtures.
MAC_INT4_PORTS = [
    {"name": "clk", "dir": "in", "width": 1}, {"name": "rst", "dir": "in", "width": 1},
    {"name": "i__payload", "dir": "in", "width": 9}, {"name": "i__valid", "dir": "in", "width": 1},
    {"name": "i__ready", "dir": "out", "width": 1}, {"name": "o__payload", "dir": "out", "width": 13},
    {"name": "o__valid", "dir": "out", "width": 1}, {"name": "o__ready", "dir": "in", "width": 1},
]


def report(name):
    return json.loads((REPORTS / f"{name}.json").read_text())


def test_parses_captured_ice40_report():
    parsed = parse_report(report("ice40_mac_int4_harness"))
    assert dict(parsed.fmax) == {"clk$SB_IO_IN_$glb_clk": 56.060096740722656}  # the report's "achieved"
    assert dict(parsed.constraint) == {"clk$SB_IO_IN_$glb_clk": 100.0}
    assert parsed.fmax_mhz == 56.060096740722656
    assert parsed.used_bels() == {"ICESTORM_LC": (92, 5280), "SB_GB": (1, 8), "SB_IO": (4, 39)}
    assert parsed.used("ICESTORM_DSP") == 0 and parsed.used("NO_SUCH_BEL") == 0


def test_parses_captured_ecp5_report_from_text():
    parsed = parse_report((REPORTS / "ecp5_mac_int4_harness.json").read_text())
    assert parsed.fmax_mhz == 109.05125427246094  # the report's "achieved"
    assert parsed.used_bels() == {"DCCA": (1, 56), "MULT18X18D": (1, 28), "TRELLIS_COMB": (33, 24288),
                                  "TRELLIS_FF": (28, 24288), "TRELLIS_IO": (4, 197)}


def test_slowest_clock_is_the_fmax():
    data = report("ice40_mac_int4_harness")
    data["fmax"]["other_clk"] = {"achieved": 12.5, "constraint": 100}
    assert parse_report(data).fmax_mhz == 12.5


def test_design_without_clocks_has_no_fmax():
    data = report("ice40_mac_int4_harness")
    del data["fmax"]
    assert parse_report(data).fmax_mhz is None


def test_report_without_utilization_is_rejected():
    with pytest.raises(ValueError, match=r"^nextpnr report has no 'utilization' section$"):
        parse_report({"fmax": {}})


def test_pnr_columns_of_a_row():
    ice40 = _pnr_columns("ice40", parse_report(report("ice40_mac_int4_harness")))
    assert ice40 == {"pnr_logic_cells": 92, "pnr_dsps": 0, "pnr_brams": 0, "fmax_mhz": 56.06,
                     "pnr_utilization": '{"ICESTORM_LC": [92, 5280], "SB_GB": [1, 8], "SB_IO": [4, 39]}',
                     "pnr_critical_path": "dut.i__payload_SB_DFF_Q_5_DFFLC.O -> "
                                          "dut.acc_SB_DFFE_Q_D_SB_LUT4_O_LC.I3: 9 logic cells, "
                                          "7.83 ns logic + 10.01 ns routing"}
    ecp5 = _pnr_columns("ecp5", parse_report(report("ecp5_mac_int4_harness")))
    assert (ecp5["pnr_logic_cells"], ecp5["pnr_ffs"], ecp5["pnr_dsps"]) == (33, 28, 1)
    assert ecp5["fmax_mhz"] == 109.051


@pytest.mark.parametrize("name", ["ice40_mac_int4_harness", "ecp5_mac_int4_harness"])
def test_the_critical_path_adds_up_to_the_fmax_period(name):
    parsed = parse_report(report(name))
    logic, routing = (float(part.split(" ns")[0].split()[-1]) for part in parsed.critical_path.split(" + "))
    assert logic + routing == pytest.approx(1000 / parsed.fmax_mhz, abs=0.011)  # two rounded terms
    assert parsed.critical_path.startswith("dut.i__payload_")  # from the unit's input register


def test_a_report_without_a_register_to_register_path_has_none():
    data = report("ice40_mac_int4_harness")
    data["critical_paths"] = [path for path in data["critical_paths"] if path["from"] != path["to"]]
    assert parse_report(data).critical_path is None


def test_failed_run_message_is_the_last_error_line():
    log = REPORTS / "ice40_does_not_fit.log"
    assert last_error(log, "") == ("ERROR: Unable to place cell 'dut.fold_SB_DFF_Q_300_DFFLC', no BELs "
                                   "remaining to implement cell type 'ICESTORM_LC'")
    assert last_error(FIXTURES / "missing.log", "warning\nSegmentation fault\n") == "Segmentation fault"
    assert last_error(FIXTURES / "missing.log", "") is None


def test_nextpnr_arguments():
    args = nextpnr_args("ice40", "../synth/netlist.json", PnrOptions(freq_mhz=48, seed=7))
    assert args[:4] == ["--up5k", "--package", "sg48", "--pcf-allow-unconstrained"]
    assert " ".join(args[4:]) == ("--freq 48 --seed 7 --timing-allow-fail --json ../synth/netlist.json "
                                  "--report report.json -q -l nextpnr.log")
    assert nextpnr_args("ecp5", "n.json", PnrOptions())[:4] == ["--25k", "--package", "CABGA256",
                                                                "--lpf-allow-unconstrained"]


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"seed": -1}, r"^seed must be an integer between 0 and 2\^31 - 1, not -1$"),
    ({"seed": True}, r"^seed must be an integer between 0 and 2\^31 - 1, not True$"),
    ({"freq_mhz": 0}, r"^freq_mhz must be a positive number, not 0$"),
])
def test_pnr_options_are_validated(kwargs, message):
    with pytest.raises(ValueError, match=message):
        PnrOptions(**kwargs)


def test_only_ice40_and_ecp5_are_placed():
    assert get_device("ice40").tool == "nextpnr-ice40"
    with pytest.raises(ValueError, match=r"^place and route is available for ice40, ecp5, not 'xc7'$"):
        get_device("xc7")


def test_cell_columns_of_a_row():
    gates = _cell_columns(parse_stat(json.loads((STATS / "gates_mac_int4.json").read_text()),
                                     "mac_int4_fixed_k4_p1", "gates"), "gates")
    assert (gates["gates"], gates["ffs"], gates["muxes"]) == (203, 12, 0)
    assert (gates["transistors"], gates["transistors_complete"]) == (1590, True)
    # A gate netlist has no LUTs, carries, DSPs or RAMs at all: NULL, not a count of 0.
    assert [gates[c] for c in ("luts", "carries", "dsps", "brams", "lutrams")] == [None] * 5
    ice40 = _cell_columns(parse_stat(json.loads((STATS / "ice40_mac_int4.json").read_text()),
                                     "mac_int4_fixed_k4_p1", "ice40"), "ice40")
    assert (ice40["luts"], ice40["ffs"], ice40["carries"], ice40["dsps"]) == (74, 12, 7, 0)  # no DSP used
    assert [ice40[c] for c in ("gates", "muxes", "lutrams", "inverters", "transistors")] == [None] * 5
    assert json.loads(ice40["cells_by_type"]) == {"SB_CARRY": 7, "SB_DFFE": 10, "SB_DFFESR": 2, "SB_LUT4": 74}


def test_harness_adds_exactly_its_own_flip_flops_in_the_captured_run():
    # Captured: the unit alone, and the unit inside its harness (same Yosys, same target).
    unit = parse_stat((STATS / "ice40_mac_int4.json").read_text(), "mac_int4_fixed_k4_p1", "ice40")
    wrapped = parse_stat((STATS / "ice40_mac_int4_harness.json").read_text(), "mac_int4_fixed_k4_p1_harness",
                         "ice40")
    # 11 input bits shifted in, 15 output bits reduced 15 -> 4 -> 1.
    assert io_harness.harness_flip_flops(MAC_INT4_PORTS) == 11 + 4 + 1
    assert wrapped.ffs == unit.ffs + io_harness.harness_flip_flops(MAC_INT4_PORTS)


def test_harness_connects_every_port_bit_once():
    text = io_harness.harness_verilog("mac_int4_fixed_k4_p1", MAC_INT4_PORTS)
    assert "module mac_int4_fixed_k4_p1_harness (input wire clk, input wire rst, input wire din, " \
           "output wire dout);" in text
    instance = re.search(r"mac_int4_fixed_k4_p1 dut \((.*)\);", text)[1]
    assert instance == (".clk(clk), .rst(rst), .i__payload(sipo[8:0]), .i__valid(sipo[9:9]), "
                        ".o__ready(sipo[10:10]), .i__ready(y[0:0]), .o__payload(y[13:1]), "
                        ".o__valid(y[14:14])")
    assert "always @(posedge clk) xr1_0 <= {^y[14:12], ^y[11:8], ^y[7:4], ^y[3:0]};" in text
    assert text.rstrip().endswith("assign dout = xr2[0];\nendmodule")


def test_long_shift_registers_are_chains_of_chunks():
    lines = io_harness.shift_register("s", "din", 2 * io_harness.CHUNK + 3)
    assert lines[0] == f"  wire [{2 * io_harness.CHUNK + 2}:0] s;"
    always = [line for line in lines if "always" in line]
    assert len(always) == 3
    # Each chunk's head is fed from the source and the previous chunk's head, not its tail.
    assert always[1].endswith(f"s[{io_harness.CHUNK}], din ^ s[0]}};")
    assert always[2].endswith(f"din ^ s[{io_harness.CHUNK}]}};")


@pytest.mark.parametrize(("inputs", "outputs", "chain"), [(11, 14, 3), (10, 3, 0), (5, 5, 0), (0, 2, 2)])
def test_null_unit_has_the_requested_ports(inputs, outputs, chain):
    text, ports = io_harness.null_unit("null_test", inputs, outputs)
    bits = io_harness.port_bits(ports)
    assert (bits.input_bits, bits.output_bits, bits.clock, bits.reset) == (inputs, outputs, "clk", "rst")
    assert (f"wire [{chain - 1}:0] chain;" in text) == bool(chain)
    if inputs > outputs:  # every input bit is folded into some output bit
        taps = re.findall(r"x\[(\d+)\]", text)
        assert sorted(map(int, taps)) == list(range(inputs))


def test_port_errors():
    with pytest.raises(ValueError, match=r"^a unit without outputs cannot be measured"):
        io_harness.port_bits([{"name": "a", "dir": "in", "width": 3}])
    with pytest.raises(ValueError, match=r"^port 'a' direction must be 'in' or 'out', not 'inout'$"):
        io_harness.port_bits([{"name": "a", "dir": "inout", "width": 3}])
    with pytest.raises(ValueError, match=r"^port name must be a plain Verilog identifier, not 'a b'$"):
        io_harness.port_bits([{"name": "a b", "dir": "in", "width": 3}])


@pytest.mark.tools
def test_harness_around_a_null_unit_keeps_every_flip_flop(tmp_path):
    """Real Yosys: nothing of the harness or the unit is optimized away (FFs add up exactly)."""
    from hwgen.fpga.yosys_flow import synthesize

    unit, ports = io_harness.null_unit("null_t", 300, 20)  # inputs folded 15 to 1 (> CHUNK bits shifted in)
    (tmp_path / "null_t.v").write_text(unit)
    (tmp_path / "harness.v").write_text(io_harness.harness_verilog("null_t", ports))
    result = synthesize([tmp_path / "null_t.v", tmp_path / "harness.v"], "null_t_harness", "ice40",
                        work_dir=tmp_path / "synth")
    assert result.cells.ffs == io_harness.harness_flip_flops(ports) == 300 + 5 + 2 + 1
    assert result.cells.luts > 0
