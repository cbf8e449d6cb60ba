"""Gate-level energy: unit-delay toggle counting, load weighting, the measurement (hwgen.fpga) and the
models over stored numbers (hwgen.cost_models.energy: the FPGA estimate, the Horowitz anchor)."""

import ast
import json
import types
from pathlib import Path

import numpy as np
import pytest

from hwgen.cost_models import energy
from hwgen.fpga import activity, gate_energy, gate_sim
from hwgen.fpga.units import get_unit
from hwgen.fpga.yosys_flow import synthesize

# A 4-bit counter built from gates (bits are Yosys net numbers), plus h = q0 ^ ~q0: always 1, but
# with unit delays ~q0 arrives one unit after q0, so h pulses low for one unit on every count.
CLK, Q, D0, D1, D2, D3, C2, C3, H = 2, (3, 4, 5, 6), 7, 8, 9, 10, 11, 12, 13


def _cell(kind, **pins):
    return {"type": kind, "connections": {pin: [bit] for pin, bit in pins.items()}}


COUNTER_JSON = {"modules": {"counter": {
    "ports": {"clk": {"direction": "input", "bits": [CLK]},
              "q": {"direction": "output", "bits": list(Q)},
              "h": {"direction": "output", "bits": [H]}},
    "cells": {
        **{f"ff{i}": _cell("$_DFF_P_", C=CLK, D=d, Q=Q[i]) for i, d in enumerate((D0, D1, D2, D3))},
        "not0": _cell("$_NOT_", A=Q[0], Y=D0),
        "xor1": _cell("$_XOR_", A=Q[1], B=Q[0], Y=D1),
        "and2": _cell("$_AND_", A=Q[1], B=Q[0], Y=C2),
        "xor2": _cell("$_XOR_", A=Q[2], B=C2, Y=D2),
        "and3": _cell("$_AND_", A=Q[2], B=C2, Y=C3),
        "xor3": _cell("$_XOR_", A=Q[3], B=C3, Y=D3),
        "h": _cell("$_XOR_", A=Q[0], B=D0, Y=H),
    },
    "netnames": {"q": {"bits": list(Q), "attributes": {"init": "0000"}}},
}}}

WINDOW = 32  # cycles: two full counts, starting at count 0
COUNTER_TB = f"""`timescale 1ns/1ns
module counter_tb;
  reg clk = 1'b0;
  wire [3:0] q;
  wire h;
  {gate_sim.SIM_MODULE} dut(.clk(clk), .q(q), .h(h));
  always #10 clk = ~clk;
  initial begin
    #320;  // 16 rising edges: the counter is back at 0 and settled
    $dumpfile("{gate_sim.VCD_NAME}");
    $dumpvars(1, dut);
    #{20 * WINDOW};
    $finish;
  end
endmodule
"""

# Per 32 cycles, worked out by hand for unit delays (see the comments).
EXPECTED_TOGGLES = {
    Q[0]: 32, Q[1]: 16, Q[2]: 8, Q[3]: 4,
    D0: 32,  # ~q0
    H: 64,  # a one-unit pulse per count: 2 toggles per cycle
    D1: 16, C2: 16,  # q1 and q0 change together: no glitch, the functional 2 per 4 counts
    D2: 24,  # q2 ^ c2: c2 lags q2 by one unit; 3->4 and 7->0 glitch (2 each), 2->3 and 6->7 (1 each)
    C3: 16,  # q2 & c2: a glitch at 3->4, one change at 6->7 and at 7->0, per 8 counts
    D3: 20,  # q3 ^ c3: 10 per 16 counts (glitches at 3->4, 7->8, 11->12, 15->0)
}
# Cell input pins driven + 1 for a driving cell (every net here is driven by a cell).
EXPECTED_LOADS = {Q[0]: 5, Q[1]: 3, Q[2]: 3, Q[3]: 2, D0: 3, D1: 2, D2: 2, D3: 2, C2: 3, C3: 2, H: 1}


@pytest.fixture(scope="module")
def counter():
    return gate_sim.read_netlist(COUNTER_JSON, "counter")


def test_counter_netlist_is_read(counter):
    assert counter.depth == 3  # q2 -> and2 ... : q0 -> and2 -> and3 -> xor3
    assert len(counter.gates) == 7 and len(counter.flops) == 4
    assert counter.clock_bits == {CLK}
    assert set(counter.nets) == set(EXPECTED_TOGGLES)
    assert [f.init for f in counter.flops] == ["0"] * 4


@pytest.mark.tools
def test_unit_delay_toggles_of_a_counter_are_exact(counter, tmp_path):
    toggles = gate_sim.run_simulation(counter, COUNTER_TB, "counter_tb", tmp_path)
    assert toggles == EXPECTED_TOGGLES


def test_loads_are_fanout_pins_plus_driver(counter):
    assert gate_energy.net_loads(counter) == EXPECTED_LOADS


def test_energy_weights_toggles_by_load_and_adds_clock_pins(counter):
    found = activity.Activity("counter", counter, EXPECTED_TOGGLES, cycles=WINDOW, items=WINDOW, checked=0,
                              icarus="i")
    design = types.SimpleNamespace(module="counter", unit="mac", sha256="0" * 64)
    result = gate_energy.energy_of(found, design, "gaussian", 0, 16)
    data = sum(EXPECTED_TOGGLES[n] * EXPECTED_LOADS[n] for n in EXPECTED_TOGGLES)
    assert data == 600
    assert result.data_energy_per_mac == 600 / WINDOW
    assert result.clock_energy_per_mac == 2 * 4  # 4 clock pins, 2 transitions per cycle
    assert result.energy_per_mac == (600 + 2 * WINDOW * 4) / WINDOW
    assert result.toggles == sum(EXPECTED_TOGGLES.values())
    assert result.mean_toggle_rate == pytest.approx(result.toggles / (11 * WINDOW))


def test_primary_inputs_have_no_driver_load():
    netlist = gate_sim.read_netlist({"modules": {"m": {
        "ports": {"a": {"direction": "input", "bits": [2, 3]}, "y": {"direction": "output", "bits": [4]}},
        "cells": {"g": _cell("$_NAND_", A=2, B=3, Y=4), "g2": _cell("$_ORNOT_", A=2, B="1", Y=5)},
    }}}, "m")
    assert gate_energy.net_loads(netlist) == {2: 2, 3: 1, 4: 1, 5: 1}


def test_netlist_with_an_unknown_cell_is_rejected():
    bad = {"modules": {"m": {"ports": {}, "cells": {"u": _cell("$_AOI3_", A=2, B=3, C=4, Y=5)}}}}
    with pytest.raises(gate_sim.ActivityError, match=r"\$_AOI3_ is not a gate or flip-flop"):
        gate_sim.read_netlist(bad, "m")


# -- operand streams -----------------------------------------------------------------------------

def test_stream_is_quantized_per_tensor_with_max_scaling():
    x_a, x_b = activity.samples("laplace", 10, seed=3)
    assert x_a.shape == (1, activity.TENSOR) and not np.array_equal(x_a, x_b)
    codes = activity.quantize("int8", x_a)
    assert np.abs(codes.astype(np.int8)).max() == 127  # the tensor's largest magnitude -> 127
    assert activity.quantize("uint8", x_a).max() == 255
    again = activity.samples("laplace", 10, seed=3)[0]
    np.testing.assert_array_equal(again, x_a)


def test_payload_words_pack_and_unpack():
    fields = {"a": (0, 4), "b": (4, 4), "last": (8, 1)}
    values = {"a": np.array([0xF, 3]), "b": np.array([-1, 2]), "last": np.array([True, False])}
    words = activity.pack_words(fields, values)
    assert words == [0x1FF, 0x023]  # -1 in 4 bits is 0xF
    assert activity.unpack_words(fields, words) == {"a": [0xF, 3], "b": [0xF, 2], "last": [1, 0]}


# -- measurements (tools) ------------------------------------------------------------------------

MACS = 96


def _mac(fmt):
    return get_unit("mac").generate({"a": fmt, "b": fmt, "acc": "fixed", "terms": 64, "pipeline": 3})


@pytest.mark.tools
def test_int8_mac_is_checked_and_fp4_is_cheaper(tmp_path):
    baseline = gate_energy.baseline_design()
    base = gate_energy.measure_energy(baseline, macs=MACS, work_dir=tmp_path)
    # Every dot product (K = 16) whose last item left the MAC by the window's end is checked exactly
    # against the golden MAC: items 0 .. 32 + 96 - latency - 1 hold 7 whole dot products.
    latency = baseline.details["latency"]
    assert base.checked == (activity.WARMUP_CYCLES + MACS - latency) // activity.DEFAULT_TERMS == 7
    fp4 = gate_energy.measure_energy(_mac("fp4_e2m1"), macs=MACS, work_dir=tmp_path)
    assert 0 < fp4.energy_per_mac / base.energy_per_mac < 1
    assert fp4.gates < base.gates
    assert not list(tmp_path.rglob(gate_sim.VCD_NAME))  # the VCDs are removed unless asked to keep them


@pytest.mark.tools
def test_same_seed_same_numbers_other_seed_other_numbers(tmp_path):
    design = get_unit("mul").generate({"a": "int4", "b": "int4"})
    first = gate_energy.measure_energy(design, "laplace", MACS, seed=5, work_dir=tmp_path / "one")
    again = gate_energy.measure_energy(design, "laplace", MACS, seed=5, work_dir=tmp_path / "two")
    other = gate_energy.measure_energy(design, "laplace", MACS, seed=6, work_dir=tmp_path / "two")
    assert first == again
    assert other.toggles != first.toggles
    # every product that left the multiplier (latency 2) by the window's end, checked exactly
    assert first.checked == activity.WARMUP_CYCLES + MACS - design.details["latency"]


@pytest.mark.tools
def test_a_given_netlist_is_simulated_not_synthesized_again(tmp_path, monkeypatch):
    design = get_unit("mul").generate({"a": "fp4_e2m1", "b": "fp4_e2m1"})
    netlist = gate_energy.gate_netlist(design, tmp_path / "synth")
    synthesized = gate_energy.measure_energy(design, macs=MACS, work_dir=tmp_path / "a")

    def no_synthesis(*args, **kwargs):
        raise AssertionError("the netlist was synthesized again")

    monkeypatch.setattr(gate_energy, "synthesize", no_synthesis)
    given = gate_energy.measure_energy(design, macs=MACS, netlist=netlist, work_dir=tmp_path / "b")
    assert given == synthesized


@pytest.mark.tools
@pytest.mark.parametrize(("a", "b"), [("int8", "fp8_e4m3fn"), ("dint4", "fp4_e2m1"), ("uint8", "int4")])
def test_multiplier_netlists_compute_exact_products(a, b, tmp_path):
    design = get_unit("mul").generate({"a": a, "b": b})
    netlist = gate_energy.gate_netlist(design, tmp_path)
    found = activity.measure_activity(design, netlist, "laplace", 64, seed=2, work_dir=tmp_path / "sim")
    assert found.checked == activity.WARMUP_CYCLES + 64 - design.details["latency"]


# -- checks and bad input ------------------------------------------------------------------------

def test_wrong_netlist_output_is_caught():
    design = get_unit("mul").generate({"a": "int8", "b": "int8"})
    values = {"a": np.array([3, 0xFB]), "b": np.array([7, 2])}  # 3 * 7, -5 * 2
    assert activity.check_outputs(design, values, {"product": [21, 0xFFF6]}, 16) == 2
    message = r"output 1 field product is 0xfff7, the golden model says 0xfff6"
    with pytest.raises(gate_sim.ActivityError, match=message):
        activity.check_outputs(design, values, {"product": [21, 0xFFF7]}, 16)


def test_wrong_float_product_is_caught():
    design = get_unit("mul").generate({"a": "fp8_e4m3fn", "b": "fp8_e4m3fn"})
    offset = design.details["product"]["exponent_offset"]
    one = 0x38  # 1.0: significand 8 (hidden bit), exponent field 7
    values = {"a": np.array([one]), "b": np.array([one])}
    right = {"negative": [0], "significand": [64], "exponent": [14], "nan": [0], "inf": [0]}
    assert offset == 2 and activity.check_outputs(design, values, right, 16) == 1
    with pytest.raises(gate_sim.ActivityError, match="output 0 has magnitude 64"):
        activity.check_outputs(design, values, {**right, "exponent": [15]}, 16)


@pytest.mark.parametrize(("options", "error", "message"), [
    ({"distribution": "uniform"}, ValueError,
     r"^distribution must be one of gaussian, laplace, not 'uniform'$"),
    ({"macs": 0}, ValueError, r"^macs must be between 1 and 1048576, not 0$"),
    ({"macs": -5}, ValueError, r"^macs must be between 1 and 1048576, not -5$"),
    ({"macs": 2.5}, TypeError, r"^macs must be an int, not float$"),
    ({"seed": -1}, ValueError, r"^seed must be 0 or more, not -1$"),
])
def test_bad_measurement_options(options, error, message):
    design = types.SimpleNamespace(unit="mac", module="m", verilog="", details={})
    with pytest.raises(error, match=message):
        gate_energy.measure_energy(design, **options)


def test_unsupported_unit_is_rejected():
    design = types.SimpleNamespace(unit="systolic", module="m", verilog="", details={})
    known = r"mac, mul, add, nnlut, lut"
    with pytest.raises(ValueError, match=rf"^design unit must be one of {known}, not 'systolic'$"):
        gate_energy.measure_energy(design)


def test_fpga_estimate_is_weighted_and_validated():
    estimate = energy.fpga_energy_estimate({"luts": 100, "ffs": 40, "carries": 10, "dsps": 1}, 0.5)
    w = energy.FPGA_WEIGHTS
    expected = 0.5 * (100 * w["luts"] + 40 * w["ffs"] + 10 * w["carries"] + w["dsps"]) + 40 * w["clock"]
    assert estimate.energy_per_cycle == pytest.approx(expected)
    assert estimate.kind == "estimate"
    message = r"^unknown resource 'brams'; resources are luts, ffs, carries, dsps$"
    with pytest.raises(ValueError, match=message):
        energy.fpga_energy_estimate({"brams": 1}, 0.5)
    with pytest.raises(ValueError, match=r"^toggle_rate must be a finite number >= 0, not -1"):
        energy.fpga_energy_estimate({"luts": 1}, -1.0)
    with pytest.raises(ValueError, match=r"^resources\['ffs'\] must be 0 or more, not -2$"):
        energy.fpga_energy_estimate({"ffs": -2}, 0.1)


def test_horowitz_anchor_ratios():
    per_operation = {"int8 mul": 100.0, "fp16 mul": 200.0, "fp32 mul": 1900.0, "int32 mul": 3000.0,
                     "int32 add": 120.0, "fp32 add": 90.0}
    anchor = energy.horowitz_anchor(per_operation, judged=("fp16 mul", "fp32 mul"))
    rows = {row.operation: row for row in anchor}
    # Horowitz, ISSCC 2014, 45 nm: int8 multiply 0.2 pJ, fp16 1.1 pJ, fp32 3.7 pJ, int32 3.1 pJ; int32 add
    # 0.1 pJ, fp32 add 0.9 pJ
    assert rows["fp16 mul"].ours == 2.0 and rows["fp16 mul"].paper == pytest.approx(1.1 / 0.2)
    assert not rows["fp16 mul"].within  # 2.0 / 5.5 < 1/2
    assert rows["fp32 mul"].within and rows["fp32 mul"].factor == pytest.approx(19 / (3.7 / 0.2))
    assert rows["int32 mul"].paper == pytest.approx(3.1 / 0.2) and rows["int32 mul"].within
    assert rows["int32 add"].paper == pytest.approx(0.5) and not rows["int32 add"].within  # 1.2 vs 0.5
    assert rows["int32 add"].factor == pytest.approx(2.4)
    assert rows["fp32 add"].ours == pytest.approx(0.9) and not rows["fp32 add"].within  # 0.9 vs 4.5
    assert [row.operation for row in rows.values() if row.judged] == ["fp16 mul", "fp32 mul"]
    assert list(rows) == ["int32 mul", "fp16 mul", "fp32 mul", "int32 add", "fp32 add"]  # Horowitz's order
    only_fp32 = energy.horowitz_anchor({"int8 mul": 1.0, "fp32 mul": 9.0})
    assert [row.operation for row in only_fp32] == ["fp32 mul"]
    with pytest.raises(ValueError, match=r"^anchor operations are int8 mul, int32 mul, .*, not 'bf16 mul'$"):
        energy.horowitz_anchor({"int8 mul": 1.0, "bf16 mul": 2.0})
    with pytest.raises(ValueError, match="needs the energy of the int8 mul"):
        energy.horowitz_anchor({"fp16 mul": 2.0})


COST_MODELS = Path(__file__).resolve().parents[1] / "cost_models"
# The cost models read numbers: no generator, simulator, flow or process (DESIGN.md, issue 19).
FORBIDDEN = ("amaranth", "cocotb", "hwgen.gen", "hwgen.sim", "hwgen.fpga", "hwgen.emit", "hwgen.lifetime",
             "subprocess", "multiprocessing")


@pytest.mark.parametrize("path", sorted(COST_MODELS.glob("*.py")), ids=lambda path: path.name)
def test_cost_models_import_no_measurement(path):
    imported = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            imported.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            imported.add(node.module)
            imported.update(f"{node.module}.{alias.name}" for alias in node.names)
    bad = sorted(name for name in imported if any(name == f or name.startswith(f + ".") for f in FORBIDDEN))
    assert not bad, f"{path.name} imports {bad}"


# -- Icarus against an independent unit-delay simulation of a synthesized netlist -----------------

def _oracle_toggles(netlist, words, input_bits, warmup, cycles):
    """Toggles with synchronous unit-delay steps in Python: every gate output at step s + 1 is its
    function of the values at step s; flip-flops and inputs change together at each edge."""
    functions = {
        "$_NOT_": lambda p: 1 - p["A"], "$_BUF_": lambda p: p["A"], "$_AND_": lambda p: p["A"] & p["B"],
        "$_NAND_": lambda p: 1 - (p["A"] & p["B"]), "$_OR_": lambda p: p["A"] | p["B"],
        "$_NOR_": lambda p: 1 - (p["A"] | p["B"]), "$_XOR_": lambda p: p["A"] ^ p["B"],
        "$_XNOR_": lambda p: 1 - (p["A"] ^ p["B"]), "$_ANDNOT_": lambda p: p["A"] & (1 - p["B"]),
        "$_ORNOT_": lambda p: p["A"] | (1 - p["B"]),
    }
    value = {flop.q: int(flop.init) for flop in netlist.flops}

    def read(bit):
        return int(bit) if isinstance(bit, str) else value.get(bit, 0)

    def apply(word):
        for position, bit in enumerate(input_bits):
            value[bit] = (word >> position) & 1

    def settle(counting):
        changes = {}
        while True:
            new = {g.output: functions[g.type]({p: read(b) for p, b in g.inputs.items()})
                   for g in netlist.gates}
            moved = [bit for bit, v in new.items() if value.get(bit) != v]
            if not moved:
                return changes
            for bit in moved:
                if counting and bit in value:
                    changes[bit] = changes.get(bit, 0) + 1
            value.update(new)

    apply(words[0])
    settle(False)
    toggles = dict.fromkeys(netlist.nets, 0)
    edge_nets = set(input_bits) | {flop.q for flop in netlist.flops}
    for edge in range(warmup + cycles):
        counting = edge >= warmup
        before = {bit: value[bit] for bit in edge_nets}
        sampled = {flop.q: read(flop.d) for flop in netlist.flops}
        value.update(sampled)
        apply(words[edge + 1])
        if counting:  # inputs and flip-flop outputs change at the edge, gates after it
            for bit in edge_nets:
                toggles[bit] += value[bit] != before[bit]
        for bit, count in settle(counting).items():
            toggles[bit] += count
    return toggles


@pytest.mark.tools
def test_icarus_glitch_counts_match_an_independent_unit_delay_simulation(tmp_path):
    design = get_unit("mul").generate({"a": "fp8_e4m3fn", "b": "fp8_e4m3fn"})
    (tmp_path / "d.v").write_text(design.verilog)
    synth = synthesize(tmp_path / "d.v", design.module, "gates", work_dir=tmp_path / "gates")
    netlist = gate_sim.read_netlist(json.loads(synth.netlist_json.read_text()), design.module)
    driven = [name for name, (way, _) in netlist.ports.items() if way == "input" and name != "clk"]
    input_bits = [bit for name in driven for bit in netlist.ports[name][1]]
    warmup, cycles, half = 4, 40, netlist.depth + 3
    rng = np.random.default_rng(1)
    words = [int(w) for w in rng.integers(0, 1 << len(input_bits), warmup + cycles + 1, dtype=np.int64)]
    words = [w & ~(1 << input_bits.index(netlist.ports["rst"][1][0])) for w in words]  # rst low
    (tmp_path / "words.hex").write_text("".join(f"{w:x}\n" for w in words))
    packed = ", ".join(f".{name}(word[{sum(len(netlist.ports[n][1]) for n in driven[:i])}"
                       f" +: {len(netlist.ports[name][1])}])" for i, name in enumerate(driven))
    testbench = f"""`timescale 1ns/1ns
module oracle_tb;
  reg clk = 1'b0;
  reg [{len(input_bits) - 1}:0] words [0:{len(words) - 1}];
  integer index = 0;
  wire [{len(input_bits) - 1}:0] word = words[index];
  {gate_sim.SIM_MODULE} dut(.clk(clk), {packed});
  always #{half} clk = ~clk;
  always @(posedge clk) index <= index + 1;
  initial begin
    $readmemh("words.hex", words);
    #{2 * half * warmup};
    $dumpfile("{gate_sim.VCD_NAME}");
    $dumpvars(1, dut);
    #{2 * half * cycles};
    $finish;
  end
endmodule
"""
    icarus = gate_sim.run_simulation(netlist, testbench, "oracle_tb", tmp_path)
    oracle = _oracle_toggles(netlist, words, input_bits, warmup, cycles)
    assert sum(oracle.values()) > sum(1 for _ in netlist.nets)  # real activity, glitches included
    assert icarus == oracle
