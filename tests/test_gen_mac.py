"""MAC generator in Amaranth's simulator: bit-exact against the golden model, latency, streams.

These run without external tools; the cocotb tests run the emitted Verilog on Icarus and Verilator.
"""

import numpy as np
import pytest
from amaranth import Module, ResetSignal, Signal
from amaranth.sim import Simulator

from hwgen.formats import get_format
from hwgen.gen.accumulate import restart_flag
from hwgen.gen.mac import MacUnit
from hwgen.golden import mac


def simulate(unit: MacUnit, a_codes, b_codes, last, *, send_rate=0.8, ready_rate=0.7, seed=0):
    """Drive items with random idle cycles and output stalls; return (results, first-output cycle)."""
    rng = np.random.default_rng(seed)
    expected = int(np.count_nonzero(last))
    results, timing = [], {}
    fixed = unit.accumulator.kind == "fixed"

    async def bench(ctx):
        index, cycle = 0, 0
        while len(results) < expected and cycle < 30 * len(a_codes) + 100:
            send = index < len(a_codes) and rng.random() < send_rate
            if send:
                ctx.set(unit.i.payload.a, int(a_codes[index]))
                ctx.set(unit.i.payload.b, int(b_codes[index]))
                ctx.set(unit.i.payload.last, int(last[index]))
            ctx.set(unit.i.valid, int(send))
            ctx.set(unit.o.ready, int(rng.random() < ready_rate))
            await ctx.delay(1e-9)
            if ctx.get(unit.o.valid) and ctx.get(unit.o.ready):
                payload = ctx.get(unit.o.payload)
                results.append((payload.acc, payload.nan, payload.inf) if fixed else (payload.acc,))
                timing.setdefault("first_output", cycle)
            if send and ctx.get(unit.i.ready):
                timing.setdefault("first_last_in", cycle if last[index] else None)
                index += 1
            await ctx.tick()
            cycle += 1

    sim = Simulator(unit)
    sim.add_clock(1e-8)
    sim.add_testbench(bench)
    sim.run()
    return results, timing


def expected_results(unit, a_codes, b_codes, last):
    golden = mac(a_codes, b_codes, last, unit.a, unit.b, unit.accumulator.spec,
                 terms=unit.accumulator.terms, mul=unit.mul)
    if unit.accumulator.kind == "fixed":
        return [(int(v), int(n), int(i)) for v, n, i in zip(golden.acc, golden.nan, golden.inf, strict=True)]
    return [(int(v),) for v in golden.acc]


CONFIGS = [
    ("int8", "int8", "fixed", "exact"),
    ("uint8", "int8", "fixed", "exact"),
    ("int4", "int4", "fixed", "exact"),
    ("dint4", "int8", "fixed", "exact"),
    ("nf4", "int8", "fixed", "exact"),
    ("fp4_e2m1_sr", "fp4_e2m1_sp", "fixed", "exact"),
    ("fp8_e4m3fn", "fp8_e4m3fn", "fixed", "exact"),
    ("fp8_e5m2", "fp8_e5m2", "fixed", "exact"),
    ("fp8_e4m3fnuz", "fp8_e4m3fnuz", "fixed", "exact"),
    ("fp6_e3m2", "fp6_e2m3", "fixed", "exact"),
    ("fp4_e2m1", "fp4_e2m1", "fixed", "exact"),
    ("fp8_e4m3fn", "int8", "fixed", "exact"),
    ("int8", "int8", "fixed:17", "exact"),
    ("fp8_e4m3fn", "fp8_e4m3fn", "fixed:38", "exact"),
    ("fp8_e4m3fn", "fp8_e4m3fn", "fp32", "exact"),
    ("fp8_e5m2", "fp8_e5m2", "fp32", "exact"),
    ("fp8_e4m3fn", "fp8_e4m3fn", "bf16", "exact"),
    ("fp8_e5m2", "fp8_e5m2", "bf16", "exact"),
    ("fp8_e5m2", "fp8_e5m2", "fp16", "exact"),
    ("fp4_e2m1", "fp8_e4m3fn", "fp8_e4m3fn", "exact"),
    ("int8", "int8", "fp32", "exact"),
    ("int8", "int8", "bf16", "exact"),
    ("uint8", "int4", "fp16", "exact"),
    ("dint4", "int8", "bf16", "exact"),
    ("dint4z", "fp8_e4m3fn", "fp32", "exact"),
    ("int8_sym_f6", "int8_sym_f6", "fp32", "exact"),
    ("int4", "int4", "fp8_e4m3fn", "exact"),
    ("int16", "int16", "fp8_e5m2", "exact"),
    ("uint30", "int29", "bf16", "exact"),  # the widest products a float accumulator model takes
    ("fp8_e4m3fn", "fp8_e4m3fn", "fixed", "lmul"),
    ("fp8_e4m3fn", "fp8_e4m3fn", "fp32", "lmul"),
    ("fp8_e5m2", "fp8_e5m2", "fixed", "lmul"),
]


@pytest.mark.parametrize("pipeline", [1, 3, 5])
@pytest.mark.parametrize(("a", "b", "acc", "mul"), CONFIGS, ids=["-".join(c) for c in CONFIGS])
def test_matches_golden_with_idle_cycles_and_backpressure(a, b, acc, mul, pipeline):
    rng = np.random.default_rng(pipeline)
    unit = MacUnit(a, b, acc, pipeline=pipeline, mul=mul)
    count = 400
    a_codes = rng.integers(0, 1 << get_format(a).bits, count)
    b_codes = rng.integers(0, 1 << get_format(b).bits, count)
    last = rng.random(count) < 0.2
    last[-1] = True
    results, _ = simulate(unit, a_codes, b_codes, last, seed=pipeline)
    assert results == expected_results(unit, a_codes, b_codes, last)


@pytest.mark.parametrize("pipeline", [1, 2, 3, 4, 7])
def test_latency_is_the_pipeline_depth(pipeline):
    unit = MacUnit("fp8_e4m3fn", "fp8_e4m3fn", pipeline=pipeline)
    codes = np.array([0x38, 0x40, 0x44])
    _, timing = simulate(unit, codes, codes, np.array([False, False, True]), send_rate=1.0, ready_rate=1.0)
    # The item carrying `last` is accepted in cycle 2 (inputs are accepted from cycle 0, one per cycle).
    assert timing["first_output"] - 2 == unit.latency == pipeline


def test_wrapping_accumulator_matches_golden_on_long_dot_products():
    unit = MacUnit("int8", "int8", "fixed:16", pipeline=2)
    a_codes = np.full(300, 0x7F)
    last = np.zeros(300, dtype=bool)
    last[[99, 299]] = True
    results, _ = simulate(unit, a_codes, a_codes, last, send_rate=1.0, ready_rate=1.0)
    assert results == expected_results(unit, a_codes, a_codes, last)  # 100 * 127^2 wraps in 16 bits
    assert results[0][0] == ((100 * 127 * 127 + 2**15) % 2**16) - 2**15


def test_throughput_is_one_item_per_cycle():
    unit = MacUnit("int8", "int8", pipeline=3)
    assert unit.ii == 1
    a_codes = np.arange(64) % 256
    last = np.zeros(64, dtype=bool)
    last[7::8] = True
    results, timing = simulate(unit, a_codes, a_codes, last, send_rate=1.0, ready_rate=1.0)
    assert len(results) == 8 and timing["first_output"] == 7 + unit.latency


@pytest.mark.parametrize(("fmt", "pipeline", "registered", "absent"), [
    ("int8", 4, "reg [7:0] input0_a", "term_"),  # the integer product goes straight into the accumulator
    ("int8", 5, "reg [7:0] input1_a", "term_"),
    ("fp8_e4m3fn", 4, "reg [36:0] term_term", "input0_"),  # a minifloat's last cut: after its shifter
])
def test_registers_beyond_the_cut_points_with_logic_go_on_the_inputs(fmt, pipeline, registered, absent):
    from amaranth.back import verilog

    unit = MacUnit(fmt, fmt, pipeline=pipeline)
    text = verilog.convert(unit, name="top")
    assert registered in text and absent not in text
    codes = np.array([0x38, 0x40, 0x44])
    _, timing = simulate(unit, codes, codes, np.array([False, False, True]), send_rate=1.0, ready_rate=1.0)
    assert timing["first_output"] - 2 == unit.latency == pipeline



def test_restart_is_set_by_reset_and_last_and_held_while_stalled_or_idle():
    m = Module()
    reset, advance, valid, last = Signal(), Signal(), Signal(), Signal()
    m.d.comb += ResetSignal().eq(reset)
    restart = restart_flag(m, {"valid": valid, "last": last}, advance)
    # (rst, advance, valid, last) in one cycle -> restart after its clock edge
    steps = [((1, 0, 0, 0), 1), ((0, 1, 1, 0), 0), ((0, 1, 0, 1), 0), ((0, 0, 1, 1), 0), ((0, 1, 1, 1), 1),
             ((0, 1, 1, 0), 0), ((1, 0, 1, 0), 1)]
    seen = []

    async def bench(ctx):
        for inputs, _ in steps:
            for signal, value in zip((reset, advance, valid, last), inputs, strict=True):
                ctx.set(signal, value)
            await ctx.tick()
            seen.append(ctx.get(restart))

    sim = Simulator(m)
    sim.add_clock(1e-8)
    sim.add_testbench(bench)
    sim.run()
    assert seen == [after for _, after in steps]
