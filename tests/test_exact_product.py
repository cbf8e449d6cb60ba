# amaranth: UnusedElaboratable=no
"""hwgen.gen.exact_product in Amaranth's simulator against Python integers: the table-row multiplier
(every input pair), the fp4 product table (every code pair, against the golden model's split), and
the two-step aligner (every shift, with and without drop, for random magnitudes)."""

import numpy as np
import pytest
from amaranth import Module, Signal
from amaranth.sim import Simulator

from hwgen.formats import get_format
from hwgen.gen.exact_product import align, finite_units, multiply, product_table
from hwgen.golden.codec import decode


def evaluate(m: Module, inputs: list[Signal], output, vectors) -> list[int]:
    """Settle the combinational ``m`` for every tuple of ``vectors``; return ``output`` each time."""
    results = []

    async def bench(ctx):
        for vector in vectors:
            for signal, value in zip(inputs, vector, strict=True):
                ctx.set(signal, int(value))
            await ctx.delay(1e-9)
            results.append(ctx.get(output))

    sim = Simulator(m)
    sim.add_testbench(bench)
    sim.run()
    return results


@pytest.mark.parametrize(("x_bits", "y_bits"), [(4, 4), (4, 3), (3, 4), (3, 3), (5, 5), (2, 4)])
def test_multiply_every_pair(x_bits, y_bits):
    m = Module()
    x, y = Signal(x_bits), Signal(y_bits)
    product = Signal(x_bits + y_bits)
    m.d.comb += product.eq(multiply(x, y))
    pairs = [(i, j) for i in range(1 << x_bits) for j in range(1 << y_bits)]
    assert evaluate(m, [x, y], product, pairs) == [i * j for i, j in pairs]


@pytest.mark.parametrize("name", ["fp4_e2m1", "fp4_e2m1_ieee", "fp4_e3m0fn"])
def test_product_table_every_code_pair(name):
    fmt = get_format(name)
    m = Module()
    a, b = Signal(fmt.bits - 1), Signal(fmt.bits - 1)
    product = Signal(2 * fmt.max_units.bit_length())
    m.d.comb += product.eq(product_table(fmt, fmt, a, b))
    codes = range(1 << (fmt.bits - 1))
    pairs = [(i, j) for i in codes for j in codes]
    lsb = 2.0 ** fmt.lsb_exponent
    # An independent reading of a code's magnitude: the golden decode (NaN / inf count as 0).
    values = decode(fmt, np.arange(len(codes)))
    units = {c: int(abs(v) / lsb) if np.isfinite(v) else 0 for c, v in zip(codes, values, strict=True)}
    assert all(finite_units(fmt, c) == units[c] for c in codes)
    assert evaluate(m, [a, b], product, pairs) == [units[i] * units[j] for i, j in pairs]


@pytest.mark.parametrize(("magnitude_bits", "shift_bits", "offset", "width"),
                         [(8, 5, 2, 36), (6, 6, 2, 66), (8, 3, 1, 15), (4, 2, 0, 7), (7, 4, 0, 20)])
def test_align_every_shift(magnitude_bits, shift_bits, offset, width):
    m = Module()
    magnitude, shift, drop = Signal(magnitude_bits), Signal(shift_bits), Signal()
    term = align(m, magnitude, shift, offset, drop, width)
    rng = np.random.default_rng(magnitude_bits * 100 + shift_bits)
    vectors = [(int(v), s, d) for s in range(1 << shift_bits) for d in (0, 1)
               for v in rng.integers(0, 1 << magnitude_bits, 12)]
    expected = [0 if d else ((v << s) >> offset) % (1 << width) for v, s, d in vectors]
    assert evaluate(m, [magnitude, shift, drop], term, vectors) == expected
