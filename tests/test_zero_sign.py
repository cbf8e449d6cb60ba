"""The sign of a zero float result, in Amaranth's simulator against the golden model.

A float accumulator starts at +0 and rounds acc + (the item's exact sum) once per step; a nonzero
sum that rounds to zero keeps its sign (-0), an exact zero sum of several terms is +0, and with one
term per step (a MAC, a systolic PE with ``simd`` 1) -0 + -0 stays -0 (IEEE 754), also for an integer
product such as (-1) * 0. The accumulator is -0 only after a negative sum below half the format's
smallest subnormal, which the random stimulus of the acceptance suites never makes with fp32: these
dot products do it on purpose (fp8_e5m2 products from 2^-32, int16_f15 ones from 2^-30, into fp16).
"""

import numpy as np
import pytest
from amaranth.sim import Simulator

from hwgen.gen.mac import MacUnit
from hwgen.gen.systolic import SystolicArray
from hwgen.golden import mac
from hwgen.golden.systolic import systolic

NEG_ZERO = 0x8000  # fp16


def run(ctx_items, unit, collect, cycles=300):
    """Offer ``ctx_items`` (a list of (stream, {field: value}) pairs, in order) to ``unit`` with
    ``o.ready`` high; ``collect(ctx)`` reads an output. Return the outputs."""
    outputs = []

    async def bench(ctx):
        ctx.set(unit.o.ready, 1)
        index = 0
        for _ in range(cycles):
            stream = None
            if index < len(ctx_items):
                name, fields = ctx_items[index]
                stream = getattr(unit, name)
                for field, value in fields.items():
                    ctx.set(getattr(stream.payload, field), value)
                ctx.set(stream.valid, 1)
            await ctx.delay(1e-9)
            if ctx.get(unit.o.valid):
                outputs.append(collect(ctx))
            taken = stream is not None and ctx.get(stream.ready)
            await ctx.tick()
            if taken:
                ctx.set(stream.valid, 0)
                index += 1

    sim = Simulator(unit)
    sim.add_clock(1e-8)
    sim.add_testbench(bench)
    sim.run()
    return outputs


def dot_products(dots: list[list[list[int]]]) -> tuple[np.ndarray, np.ndarray]:
    """Activation items and their ``last`` flags of several dot products."""
    items = [item for dot in dots for item in dot]
    last = [k == len(dot) - 1 for dot in dots for k in range(len(dot))]
    return np.array(items), np.array(last)


# (a = b format, weights (pes, words, simd), dot products, fp16 codes the golden model gives)
E5M2_TINY, E5M2_ONE = 0x01, 0x3C  # 2^-16 and 1.0: 2^-16 * -2^-16 rounds to -0 in fp16
SYSTOLIC = {
    "fp8_e5m2-simd1": ("fp8_e5m2", [[[E5M2_TINY]] * 3, [[E5M2_ONE]] * 3], [
        [[0x81]],  # -2^-32: -0 | -2^-16
        [[0x81], [0x80]],  # then a -0 product: -0 + -0 = -0 | -2^-16 + -0
        [[0x81], [0x00]],  # then a +0 product: +0
        [[0x80]],  # a -0 product into the +0 start: +0
        [[0x3C], [0xBC]],  # +x - x: +0
    ], [[NEG_ZERO, 0x8100], [NEG_ZERO, 0x8100], [0x0000, 0x8100], [0x0000, 0x0000], [0x0000, 0x0000]]),
    "fp8_e5m2-simd2": ("fp8_e5m2", [[[E5M2_TINY, E5M2_ONE]] * 2, [[E5M2_ONE, E5M2_ONE]] * 2], [
        [[0x81, 0x00]],  # -0 | -2^-16
        [[0x81, 0x00], [0x80, 0x80]],  # then two -0 products: their exact sum is +0, so +0
        [[0x00, 0x3C], [0x00, 0xBC]],  # +1 - 1: +0
        [[0x3C, 0xBC]],  # | lanes that cancel: +0
    ], [[NEG_ZERO, 0x8100], [0x0000, 0x8100], [0x0000, 0x0000], [0xBC00, 0x0000]]),
    "int16_f15-simd1": ("int16_f15", [[[1], [0xFFFF], [1]], [[0xFFFF], [0], [0xFFFF]]], [
        [[0xFFFF]],  # 2^-15 * -2^-15: -0 | +0
        [[0xFFFF], [0]],  # then (-1) * 0, a -0 product: -0 | 0 * 0: +0
        [[0xFFFF], [1]],  # then -2^-30 again: -0 | +0
        [[0]],  # 0 * 1 and 0 * -1 into the +0 start: +0 | +0
    ], [[NEG_ZERO, 0x0000], [NEG_ZERO, 0x0000], [NEG_ZERO, 0x0000], [0x0000, 0x0000]]),
}


@pytest.mark.parametrize("pipeline", [1, 2, 3])
@pytest.mark.parametrize("case", SYSTOLIC)
def test_systolic_zero_sign_matches_golden(case, pipeline):
    fmt, weights, dots, wanted = SYSTOLIC[case]
    weights = np.array(weights)
    pes, words, simd = weights.shape
    x, last = dot_products(dots)
    golden = systolic(weights, x, last, fmt, fmt, "fp16")
    assert golden.acc.tolist() == wanted  # the contract above, as the golden model has it
    unit = SystolicArray(fmt, fmt, "fp16", pes=pes, simd=simd, depth=words, pipeline=pipeline)
    loads = [("w", {"w": [int(c) for c in weights[p, k]], "last": p == pes - 1 and k == words - 1})
             for k in range(words) for p in range(pes)]
    items = [("i", {"x": [int(c) for c in item], "last": bool(end)})
             for item, end in zip(x, last, strict=True)]
    got = run(loads + items, unit, lambda ctx: [int(v) for v in ctx.get(unit.o.payload.acc)])
    assert [[hex(v) for v in row] for row in got] == [[hex(v) for v in row] for row in wanted]


MAC = {  # (a = b format, a codes, b codes, last, fp16 codes the golden model gives)
    "fp8_e5m2": ("fp8_e5m2", [0x01, 0x01, 0x01, 0x01, 0x80], [0x81, 0x80, 0x81, 0x00, 0x3C],
                 [False, True, False, True, True], [NEG_ZERO, 0x0000, 0x0000]),
    "int16_f15": ("int16_f15", [1, 0xFFFF, 1, 0, 0], [0xFFFF, 0, 0xFFFF, 0xFFFF, 0xFFFF],
                  [False, True, False, True, True], [NEG_ZERO, NEG_ZERO, 0x0000]),
}


@pytest.mark.parametrize("pipeline", [1, 3])
@pytest.mark.parametrize("case", MAC)
def test_mac_zero_sign_matches_golden(case, pipeline):
    fmt, a, b, last, wanted = MAC[case]
    golden = mac(np.array(a), np.array(b), np.array(last), fmt, fmt, "fp16")
    assert golden.acc.tolist() == wanted
    unit = MacUnit(fmt, fmt, "fp16", pipeline=pipeline)
    items = [("i", {"a": x, "b": y, "last": end}) for x, y, end in zip(a, b, last, strict=True)]
    got = run(items, unit, lambda ctx: int(ctx.get(unit.o.payload.acc)))
    assert [hex(v) for v in got] == [hex(v) for v in wanted]
