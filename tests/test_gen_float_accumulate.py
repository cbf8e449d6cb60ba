# amaranth: UnusedElaboratable=no
"""FloatAccumulate in Amaranth's simulator, bit for bit against the golden model's float accumulation
step (``hwgen.golden.mac.add_round``; docs/formats.md#float-accumulators): random (acc, product) pairs by
the twenty thousand per configuration, directed ties, cancellation, overflow and underflow (also
checked against the pure-Python reference), a chain of steps against ``mac()``, Verilog emission."""

import math
import zlib
from fractions import Fraction

import numpy as np
import pytest
import reference as ref
from amaranth import Cat, Elaboratable, Module, Signal
from amaranth.back import verilog
from amaranth.sim import Simulator

from hwgen.formats import IntFormat, MiniFloat, get_format, significand_bits
from hwgen.gen.float_accumulate import FloatAccumulate
from hwgen.golden.codec import decode, encode, split
from hwgen.golden.mac import Products, add_round, mac, products

VECTORS = 20_000

# (accumulator, operand format): the MAC acceptance configurations, an fn and an fnuz accumulator,
# and an 8-bit accumulator narrower than its products (they round on their own and overflow often).
CONFIGS = [
    ("fp32", "fp8_e4m3fn"), ("fp32", "fp8_e5m2"),
    ("bf16", "fp8_e4m3fn"), ("bf16", "fp8_e5m2"),
    ("fp16", "fp8_e4m3fn"), ("fp16", "fp8_e5m2"),
    ("fp16_e5m10fn", "fp8_e4m3fn"), ("fp16_e5m10fnuz", "fp8_e5m2"),
    ("fp8_e5m2", "fp8_e4m3fn"),
]
CONFIG_IDS = [f"{acc}-{operand}" for acc, operand in CONFIGS]


# ---------------------------------------------------------------------------------------------
# Simulation
# ---------------------------------------------------------------------------------------------
def product_ports(operand: MiniFloat) -> tuple[int, int, int]:
    """(significand bits, shift bits, lsb exponent) of exact operand x operand products."""
    max_shift = 2 * ((operand.max_code_magnitude >> operand.man_bits) - 1)
    return 2 * significand_bits(operand), max_shift.bit_length(), 2 * operand.lsb_exponent


def accumulate_unit(acc_name: str, operand_name: str) -> FloatAccumulate:
    return FloatAccumulate(get_format(acc_name), *product_ports(get_format(operand_name)))


class Vectors:
    """Stimulus arrays: accumulator codes and the product's fields, one entry per vector."""

    def __init__(self, acc, negative, significand, shift, nan, inf):
        self.acc = np.asarray(acc, dtype=np.int64)
        self.negative = np.asarray(negative, dtype=bool)
        self.significand = np.asarray(significand, dtype=np.int64)
        self.shift = np.asarray(shift, dtype=np.int64)
        self.nan = np.asarray(nan, dtype=bool)
        self.inf = np.asarray(inf, dtype=bool)

    def __len__(self):
        return len(self.acc)

    def products(self, lsb_exponent: int) -> Products:
        return Products(self.negative, self.significand, self.shift, self.nan, self.inf, lsb_exponent)

    def describe(self, i: int) -> str:
        return (f"acc={int(self.acc[i]):#x} p_negative={int(self.negative[i])} "
                f"p_significand={int(self.significand[i])} p_shift={int(self.shift[i])} "
                f"p_nan={int(self.nan[i])} p_inf={int(self.inf[i])}")


class PackedInputs(Elaboratable):
    """The unit with all its inputs driven from one signal: one settle of the simulator per vector."""

    def __init__(self, unit: FloatAccumulate):
        self.unit = unit
        self.ports = [unit.acc, unit.p_negative, unit.p_significand, unit.p_shift, unit.p_nan, unit.p_inf]
        self.inputs = Signal(sum(len(port) for port in self.ports))

    def pack(self, vectors: Vectors) -> list[int]:
        fields = [vectors.acc, vectors.negative, vectors.significand, vectors.shift, vectors.nan, vectors.inf]
        packed = [0] * len(vectors)
        offset = 0
        for port, field in zip(self.ports, fields, strict=True):
            for i, value in enumerate(field.tolist()):
                packed[i] |= int(value) << offset
            offset += len(port)
        return packed

    def elaborate(self, platform):
        m = Module()
        m.submodules.unit = self.unit
        m.d.comb += Cat(*self.ports).eq(self.inputs)
        return m


def simulate(unit: FloatAccumulate, vectors: Vectors) -> np.ndarray:
    """``result`` for every vector (a testbench settles the design after each ``ctx.set``)."""
    bench = PackedInputs(unit)
    packed = bench.pack(vectors)
    results = []

    async def testbench(ctx):
        for inputs in packed:
            ctx.set(bench.inputs, inputs)
            results.append(ctx.get(unit.result))

    sim = Simulator(bench)
    sim.add_testbench(testbench)
    sim.run()
    return np.array(results, dtype=np.int64)


def golden(unit: FloatAccumulate, vectors: Vectors) -> np.ndarray:
    fmt = unit.acc_format
    return add_round(fmt, split(fmt, vectors.acc), vectors.products(unit.product_lsb_exponent),
                      np.arange(len(vectors)))


def check(unit: FloatAccumulate, vectors: Vectors) -> np.ndarray:
    """Simulate, compare every result code with the golden model, return the expected codes."""
    expected = golden(unit, vectors)
    actual = simulate(unit, vectors)
    bad = np.flatnonzero(actual != expected)
    if bad.size:
        lines = [f"{vectors.describe(i)}: expected {int(expected[i]):#x}, actual {int(actual[i]):#x}"
                 for i in bad[:10]]
        pytest.fail(f"{bad.size} of {len(vectors)} results differ from the golden model "
                    f"({unit.acc_format.name}):\n" + "\n".join(lines))
    return expected


# ---------------------------------------------------------------------------------------------
# Random stimulus
# ---------------------------------------------------------------------------------------------
def boundary_codes(fmt: MiniFloat) -> np.ndarray:
    """Zeros, NaN and inf codes, the smallest and largest subnormals, min normal, 1.0, max and max - 1,
    with both signs."""
    m, sign = fmt.man_bits, 1 << (fmt.bits - 1)
    one = fmt.bias << m
    magnitudes = [0, 1, 2, (1 << m) - 1, 1 << m, (1 << m) + 1, one, one + 1,
                  fmt.max_code_magnitude, fmt.max_code_magnitude - 1]
    codes = {c for magnitude in magnitudes for c in (magnitude, magnitude | sign)}
    codes |= {fmt.nan_code(False), fmt.nan_code(True)}
    if fmt.has_inf:
        codes |= {fmt.inf_code(False), fmt.inf_code(True), fmt.nan_code(False) + 1, sign | (sign - 1)}
    return np.array(sorted(codes), dtype=np.int64)


def operand_products(operand: MiniFloat, rng, n: int):
    """Exact products of random operand codes: uniform codes (specials at their natural rate) and,
    a third of the time, the boundary codes (zeros, max, the smallest subnormals)."""
    codes = []
    for _ in range(2):
        drawn = rng.integers(0, 1 << operand.bits, n)
        pick = rng.random(n) < 1 / 3
        pool = boundary_codes(operand)
        drawn[pick] = pool[rng.integers(0, pool.size, pick.sum())]
        codes.append(drawn)
    prods = products(split(operand, codes[0]), split(operand, codes[1]), operand, operand, "exact")
    return prods.negative, prods.significand, prods.shift, prods.nan, prods.inf


def port_products(unit: FloatAccumulate, rng, n: int):
    """Products over the whole port ranges: uniform significands and shifts, a third with one or two
    bits set (exact ties against the accumulator), a tenth the tiniest, 2 % NaN and 2 % inf."""
    bits = unit.product_significand_bits
    significand = rng.integers(0, 1 << bits, n)
    sparse = rng.random(n) < 1 / 3
    high, low = rng.integers(0, bits, n), rng.integers(0, bits, n)
    significand[sparse] = ((1 << high) | np.where(rng.random(n) < 0.5, 1 << low, 0))[sparse]
    shift = rng.integers(0, 1 << unit.product_shift_bits, n)
    tiny = rng.random(n) < 0.1  # products near the smallest subnormals of the narrow accumulators
    shift[tiny] = rng.integers(0, min(4, 1 << unit.product_shift_bits), tiny.sum())
    special = rng.random(n)
    nan, inf = special < 0.02, (special >= 0.02) & (special < 0.04)
    significand[nan | inf] = 0
    return rng.random(n) < 0.5, significand, shift, nan, inf


def near_codes(fmt: MiniFloat, negative, significand, shift, lsb_exponent, rng) -> np.ndarray:
    """Accumulator codes of random fraction whose exponent lies within the datapath width of the
    product's (carries, ties, alignment by every distance); a third of them the product's own value
    negated, nudged by up to two codes (massive cancellation)."""
    n = len(significand)
    m = fmt.man_bits
    product_top = np.log2(np.maximum(significand, 1)).astype(np.int64) + shift + lsb_exponent
    span = m + int(significand.max()).bit_length() + 4
    field = np.clip(product_top + rng.integers(-span, span + 1, n) + fmt.bias, 0,
                    fmt.max_code_magnitude >> m)
    codes = (field << m) | rng.integers(0, 1 << m, n)
    codes = np.minimum(codes, fmt.max_code_magnitude)
    value = np.ldexp(significand.astype(np.float64), shift + lsb_exponent)
    opposite = encode(fmt, np.where(negative, value, -value)) & ((1 << (fmt.bits - 1)) - 1)
    nudged = np.clip(opposite + rng.integers(-2, 3, n), 0, fmt.max_code_magnitude)
    cancel = rng.random(n) < 1 / 3
    codes[cancel] = nudged[cancel]
    sign = np.where(cancel, ~negative, rng.random(n) < 0.5)
    return codes | (sign.astype(np.int64) << (fmt.bits - 1))


def random_vectors(unit: FloatAccumulate, operand: MiniFloat, n: int, seed: int) -> Vectors:
    """Half operand products, half port-range products; accumulators 60 % near the product,
    25 % uniform codes, 15 % boundary codes (zeros, subnormals, max, inf, NaN)."""
    rng = np.random.default_rng(seed)
    fmt = unit.acc_format
    half = n // 2
    fields = [np.concatenate(pair) for pair in zip(operand_products(operand, rng, half),
                                                     port_products(unit, rng, n - half), strict=True)]
    negative, significand, shift, nan, inf = fields
    acc = near_codes(fmt, negative, significand, shift, unit.product_lsb_exponent, rng)
    kind = rng.random(n)
    uniform, boundary = kind < 0.25, (kind >= 0.25) & (kind < 0.40)
    acc[uniform] = rng.integers(0, 1 << fmt.bits, uniform.sum())
    pool = boundary_codes(fmt)
    acc[boundary] = pool[rng.integers(0, pool.size, boundary.sum())]
    return Vectors(acc, negative, significand, shift, nan, inf)


def exact_sums(fmt: MiniFloat, vectors: Vectors, lsb_exponent: int):
    """Per vector: the exact sum as (integer, exponent), or None when an addend is NaN or inf."""
    acc = split(fmt, vectors.acc)
    low = min(fmt.lsb_exponent, lsb_exponent)
    sums = []
    for i in range(len(vectors)):
        if acc.nan[i] or acc.inf[i] or vectors.nan[i] or vectors.inf[i]:
            sums.append(None)
            continue
        a = int(acc.significand[i]) << (int(acc.shift[i]) + fmt.lsb_exponent - low)
        p = int(vectors.significand[i]) << (int(vectors.shift[i]) + lsb_exponent - low)
        sums.append(((-a if acc.negative[i] else a) + (-p if vectors.negative[i] else p), low))
    return sums


def is_tie(fmt: MiniFloat, total: int, exponent: int) -> bool:
    """Whether |total| * 2^exponent lies exactly halfway between two neighbouring codes."""
    magnitude = abs(total)
    if magnitude == 0:
        return False
    quantum = max(magnitude.bit_length() - 1 + exponent, fmt.emin) - fmt.man_bits
    below = quantum - exponent
    return below > 0 and magnitude & ((1 << below) - 1) == 1 << (below - 1)


@pytest.mark.parametrize(("acc_name", "operand_name"), CONFIGS, ids=CONFIG_IDS)
def test_random_matches_golden(acc_name, operand_name):
    unit = accumulate_unit(acc_name, operand_name)
    fmt, operand = unit.acc_format, get_format(operand_name)
    vectors = random_vectors(unit, operand, VECTORS, seed=zlib.crc32(f"{acc_name}-{operand_name}".encode()))
    expected = check(unit, vectors)

    # The stimulus reaches every corner it is meant to.
    parts = split(fmt, expected)
    magnitude = expected & ((1 << (fmt.bits - 1)) - 1)
    acc_parts = split(fmt, vectors.acc)
    finite_in = ~acc_parts.nan & ~acc_parts.inf & ~vectors.nan & ~vectors.inf
    sums = exact_sums(fmt, vectors, unit.product_lsb_exponent)
    exact = np.array([0.0 if s is None else math.ldexp(float(s[0]), s[1]) for s in sums])
    larger = np.maximum(np.abs(np.where(finite_in, decode(fmt, vectors.acc), 0)),
                        np.ldexp(vectors.significand.astype(np.float64),
                                 vectors.shift + unit.product_lsb_exponent))
    result = np.where(parts.nan | parts.inf, 0, decode(fmt, expected))
    counts = {
        "NaN": parts.nan.sum(),
        "subnormal": ((magnitude >> fmt.man_bits == 0) & (magnitude != 0) & ~parts.nan).sum(),
        "exact zero": (finite_in & (exact == 0)).sum(),
        "tie": sum(s is not None and is_tie(fmt, *s) for s in sums),
        "cancellation": ((result != 0) & (np.abs(result) * 2.0 ** min(fmt.man_bits, 8) < larger)).sum(),
    }
    if unit.product_lsb_exponent < fmt.lsb_exponent:  # products reach below half the smallest subnormal
        if fmt.has_negative_zero:
            counts["-0 from a nonzero sum"] = ((expected == 1 << (fmt.bits - 1)) & (exact != 0)).sum()
        else:
            counts["+0 from a negative sum"] = ((expected == 0) & (exact < 0)).sum()
    if fmt.max < 2.0**40:  # products reach overflow (not fp32 / bf16)
        counts["overflow"] = (finite_in & (parts.inf | parts.nan)).sum()
    if fmt.has_inf:
        counts["inf"] = parts.inf.sum()
    thin = {name: int(count) for name, count in counts.items() if count < 20}
    assert not thin, f"the stimulus hardly reaches {thin}"


# ---------------------------------------------------------------------------------------------
# Directed cases, also against the pure-Python reference
# ---------------------------------------------------------------------------------------------
def product_fields(unit: FloatAccumulate, value: Fraction) -> tuple[int, int, int]:
    """(negative, significand, shift) of an exact product value."""
    units = abs(value) / Fraction(2) ** unit.product_lsb_exponent
    assert units.denominator == 1, f"{value} is not a multiple of the product lsb"
    significand, shift = int(units), 0
    while significand and significand % 2 == 0 and shift < (1 << unit.product_shift_bits) - 1:
        significand, shift = significand // 2, shift + 1
    assert significand < 1 << unit.product_significand_bits, f"{value} needs a wider significand"
    return int(value < 0), significand, shift


def code_of(fmt: MiniFloat, value) -> int:
    """The code of a value the format holds exactly (Fraction, or '-0')."""
    if value == "-0":
        return 1 << (fmt.bits - 1)
    code = ref.encode_minifloat(fmt, Fraction(value))
    assert ref.decode(fmt, code).value == Fraction(value), f"{value} is not a {fmt.name} value"
    return code


F = Fraction
P2 = Fraction(2)
# (accumulator, operand format, accumulator value, product value, expected result code, what it shows).
# Values are Fractions; the expected code is written out and also recomputed with tests/reference.py.
DIRECTED = [
    ("fp32", "fp8_e4m3fn", 64, P2**-18, 0x42800000, "tie, the even code stays"),
    ("fp32", "fp8_e4m3fn", 64 + P2**-17, P2**-18, 0x42800002, "tie from an odd code rounds up"),
    ("fp32", "fp8_e4m3fn", 8192, 128 * P2**-18, 0x46000000, "tie at half an ulp, even"),
    ("fp32", "fp8_e4m3fn", 8192, 129 * P2**-18, 0x46000001, "just above the tie"),
    ("fp32", "fp8_e4m3fn", 8192, 127 * P2**-18, 0x46000000, "just below the tie"),
    ("fp32", "fp8_e4m3fn", 8192, -64 * P2**-18, 0x46000000, "subtraction into the binade below, tie"),
    ("fp32", "fp8_e4m3fn", 8192, -65 * P2**-18, 0x45FFFFFF, "subtraction just past the tie"),
    ("fp32", "fp8_e4m3fn", F(3, 2) * 2**10, -F(3, 2) * 2**10, 0x00000000, "x + -x = +0"),
    ("fp32", "fp8_e4m3fn", -F(3, 2) * 2**10, F(3, 2) * 2**10, 0x00000000, "-x + x = +0"),
    ("fp32", "fp8_e4m3fn", 1 + P2**-23, -1, 0x34000000, "massive cancellation, exact"),
    ("fp32", "fp8_e4m3fn", 0, "-0", 0x00000000, "+0 + -0 = +0"),
    ("fp32", "fp8_e4m3fn", "-0", 0, 0x00000000, "-0 + +0 = +0"),
    ("fp32", "fp8_e4m3fn", "-0", "-0", 0x80000000, "-0 + -0 = -0"),
    ("fp32", "fp8_e4m3fn", P2**-149, -(P2**-18), 0xB6800000, "subnormal accumulator, larger product"),
    ("fp32", "fp8_e4m3fn", F(0x7FFFFF) * P2**-149, P2**-18, 0x36800000, "max subnormal + product"),
    ("fp16", "fp8_e5m2", 65504, 16, 0x7C00, "max + ulp/2 is a tie to the even code after max: inf"),
    ("fp16", "fp8_e5m2", 65504, 15, 0x7BFF, "max + just under ulp/2 stays max"),
    ("fp16", "fp8_e5m2", -65504, -24, 0xFC00, "negative overflow"),
    ("fp16", "fp8_e5m2", 65504, 57344, 0x7C00, "far beyond max"),
    ("fp16", "fp8_e5m2", 0, P2**-25, 0x0000, "half the smallest subnormal: tie to +0"),
    ("fp16", "fp8_e5m2", 0, -(P2**-25), 0x8000, "a nonzero sum that rounds to zero keeps its sign"),
    ("fp16", "fp8_e5m2", 0, P2**-25 + P2**-30, 0x0001, "sticky just above the tie"),
    ("fp16", "fp8_e5m2", P2**-24, P2**-25, 0x0002, "subnormal tie from an odd code"),
    ("fp16", "fp8_e5m2", F(1023) * P2**-24, P2**-25, 0x0400, "rounds out of the subnormals"),
    ("fp16", "fp8_e5m2", P2**-14, -(P2**-25), 0x0400, "min normal minus a tie stays (even)"),
    ("fp16", "fp8_e5m2", P2**-14, -(P2**-25) - P2**-30, 0x03FF, "rounds into the subnormals"),
    ("fp16", "fp8_e5m2", 1, -(33 * P2**-17), 0x3BFF, "a tie broken by bits below it, subtraction"),
    ("fp16", "fp8_e5m2", 1, -(P2**-32), 0x3C00, "all in the sticky bit"),
    ("fp16", "fp8_e4m3fn", 2048, -(P2**-18), 0x6800, "far below the ulp"),
    ("fp16_e5m10fn", "fp8_e4m3fn", 130944, 32, 0x7FFE, "fn: the tie at max goes to max (even)"),
    ("fp16_e5m10fn", "fp8_e4m3fn", 130944, 33, 0x7FFF, "fn: overflow is NaN"),
    ("fp16_e5m10fn", "fp8_e4m3fn", -130944, -64, 0xFFFF, "fn: negative overflow is the -NaN code"),
    ("fp16_e5m10fn", "fp8_e4m3fn", 0, -(P2**-18), 0x8000 | 0x0040, "fn: a subnormal result"),
    ("fp16_e5m10fnuz", "fp8_e5m2", 0, -(P2**-26), 0x0000, "fnuz: no -0"),
    ("fp16_e5m10fnuz", "fp8_e5m2", 65504, 256, 0x8000, "fnuz: overflow is its one NaN"),
    ("fp16_e5m10fnuz", "fp8_e5m2", -65504, -256, 0x8000, "fnuz: negative overflow too"),
    ("fp8_e5m2", "fp8_e4m3fn", P2**-16, 176 * P2**2, 0x62, "a product that rounds alone: tie, up by sticky"),
    ("fp8_e5m2", "fp8_e4m3fn", -(P2**-16), 176 * P2**2, 0x61, "the same tie, down by a far negative sticky"),
    ("fp8_e5m2", "fp8_e4m3fn", 0, 176 * P2**2, 0x62, "the bare tie goes to the even code"),
    ("fp8_e5m2", "fp8_e4m3fn", 57344, 448 * 448, 0x7C, "product beyond the accumulator's range"),
]


@pytest.mark.parametrize(("acc_name", "operand_name", "acc_value", "product", "expected", "what"), DIRECTED,
                         ids=[f"{case[0]}-{case[5]}" for case in DIRECTED])
def test_directed(acc_name, operand_name, acc_value, product, expected, what):
    unit = accumulate_unit(acc_name, operand_name)
    fmt = unit.acc_format
    product_value = Fraction(0) if product == "-0" else Fraction(product)
    negative, significand, shift = product_fields(unit, product_value)
    negative |= product == "-0"
    vectors = Vectors([code_of(fmt, acc_value)], [negative], [significand], [shift], [False], [False])
    assert check(unit, vectors).tolist() == [expected]
    total = (Fraction(0) if acc_value == "-0" else Fraction(acc_value)) + product_value
    if total:
        assert ref.encode_minifloat(fmt, total) == expected


def special_cases(fmt: MiniFloat):
    """(acc code, p_negative, p_nan, p_inf, expected code) for NaN and inf inputs."""
    sign = 1 << (fmt.bits - 1)
    nan = fmt.nan_code(False)
    one = fmt.bias << fmt.man_bits
    # inf encodes like an overflow: ieee inf, fn's NaN with the sign, fnuz's NaN.
    beyond = {False: fmt.max_code_magnitude + 1, True: (fmt.max_code_magnitude + 1) | sign}
    if fmt.policy == "fnuz":
        beyond[True] = beyond[False]
    cases = [(one, 0, 1, 0, nan), (one | sign, 1, 1, 0, nan), (0, 0, 0, 1, beyond[False]),
             (sign if fmt.has_negative_zero else 0, 1, 0, 1, beyond[True]), (one, 1, 0, 1, beyond[True])]
    nan_codes = {fmt.nan_code(False), fmt.nan_code(True)}
    if fmt.has_inf:
        nan_codes |= {fmt.nan_code(False) + 1, sign | (sign - 1), fmt.inf_code(False) + 1}
        inf, minus_inf = fmt.inf_code(False), fmt.inf_code(True)
        cases += [(inf, 0, 0, 1, inf), (inf, 1, 0, 1, nan), (minus_inf, 0, 0, 1, nan),
                  (minus_inf, 1, 0, 1, minus_inf), (inf, 1, 0, 0, inf), (minus_inf, 0, 0, 0, minus_inf),
                  (inf, 0, 1, 0, nan)]
    cases += [(code, negative, 0, 0, nan) for code in sorted(nan_codes) for negative in (0, 1)]
    cases += [(code, 0, 0, 1, nan) for code in sorted(nan_codes)]
    return cases


@pytest.mark.parametrize("acc_name", ["fp32", "bf16", "fp16", "fp16_e5m10fn", "fp16_e5m10fnuz", "fp8_e5m2"])
def test_specials(acc_name):
    unit = accumulate_unit(acc_name, "fp8_e5m2")
    cases = special_cases(unit.acc_format)
    acc, negative, nan, inf, expected = (list(column) for column in zip(*cases, strict=True))
    significand = [0 if n or i else 5 for n, i in zip(nan, inf, strict=True)]
    vectors = Vectors(acc, negative, significand, [3] * len(cases), nan, inf)
    assert check(unit, vectors).tolist() == expected


# ---------------------------------------------------------------------------------------------
# The unit in a loop: its result fed back as the accumulator, against mac()
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("acc_name", "operand_name"), [("fp16", "fp8_e5m2"), ("bf16", "fp8_e4m3fn")])
def test_feedback_matches_mac(acc_name, operand_name):
    unit = accumulate_unit(acc_name, operand_name)
    operand = get_format(operand_name)
    rng = np.random.default_rng(7)
    lengths = rng.integers(1, 40, 100)
    count = int(lengths.sum())
    a_codes, b_codes = rng.integers(0, 256, count), rng.integers(0, 256, count)
    large = rng.random(count) < 0.3  # big magnitudes of both signs: overflow and cancellation
    a_codes[large] = rng.choice([0x7B, 0xFB, 0x7A, 0xFA], large.sum())
    last = np.zeros(count, dtype=bool)
    last[np.cumsum(lengths) - 1] = True
    prods = products(split(operand, a_codes), split(operand, b_codes), operand, operand, "exact")
    starts = np.concatenate([[True], last[:-1]])

    bench = PackedInputs(unit)
    results = []

    async def testbench(ctx):
        acc = 0
        for i in range(count):
            vectors = Vectors([0 if starts[i] else acc], prods.negative[i:i + 1], prods.significand[i:i + 1],
                              prods.shift[i:i + 1], prods.nan[i:i + 1], prods.inf[i:i + 1])
            ctx.set(bench.inputs, bench.pack(vectors)[0])
            acc = ctx.get(unit.result)
            if last[i]:
                results.append(acc)

    sim = Simulator(bench)
    sim.add_testbench(testbench)
    sim.run()
    expected = mac(a_codes, b_codes, last, operand, operand, acc=acc_name).acc
    assert results == [int(code) for code in expected]


# ---------------------------------------------------------------------------------------------
# Tiny formats, every input, against the pure-Python reference
# ---------------------------------------------------------------------------------------------
def reference_step(fmt: MiniFloat, lsb_exponent: int, acc_code: int, negative: bool, significand: int,
                   shift: int, nan: bool, inf: bool) -> int:
    """RNE(acc + product) from docs/formats.md with Fractions (tests/reference.py), independent of the
    golden model; NaN is the positive NaN code, as the golden model encodes it."""
    acc = ref.decode(fmt, acc_code)
    if acc.kind == "nan" or nan or (acc.kind == "inf" and inf and acc.neg != negative):
        return ref.minifloat_nan_code(fmt, False)
    if acc.kind == "inf" or inf:
        inf_negative = acc.neg if acc.kind == "inf" else negative
        return ref.encode_minifloat(fmt, -math.inf if inf_negative else math.inf)
    product = Fraction(significand) * ref.pow2(shift + lsb_exponent)
    total = acc.value + (-product if negative else product)
    if total == 0:  # x + -x = +0, -0 + -0 = -0; fnuz has no -0
        return 1 << (fmt.bits - 1) if acc.neg and negative and fmt.policy != "fnuz" else 0
    return ref.encode_minifloat(fmt, total)


# (accumulator, product significand bits, shift bits, lsb exponent): products reach below the
# smallest subnormal and past max. fp4_e3m0fnuz has no fraction bits: ties go to the even exponent.
TINY = [("fp4_e3m0fnuz", 3, 3, -7), ("fp5_e3m1fn", 3, 3, -6), ("fp6_e3m2_ieee", 3, 3, -8)]


@pytest.mark.parametrize(("acc_name", "bits", "shift_bits", "lsb"), TINY, ids=[case[0] for case in TINY])
def test_exhaustive_tiny_formats_match_reference(acc_name, bits, shift_bits, lsb):
    fmt = get_format(acc_name)
    unit = FloatAccumulate(fmt, bits, shift_bits, lsb)
    finite = [(negative, significand, shift, False, False) for negative in (False, True)
              for significand in range(1 << bits) for shift in range(1 << shift_bits)]
    specials = [(negative, 0, 0, nan, not nan) for negative in (False, True) for nan in (False, True)]
    rows = [(code, *product) for code in range(1 << fmt.bits) for product in finite + specials]
    vectors = Vectors(*(list(column) for column in zip(*rows, strict=True)))
    expected = [reference_step(fmt, lsb, *row) for row in rows]
    actual = simulate(unit, vectors).tolist()
    bad = [i for i in range(len(rows)) if actual[i] != expected[i]]
    assert not bad, (f"{len(bad)} of {len(rows)} differ; first: {vectors.describe(bad[0])} "
                     f"expected {expected[bad[0]]:#x} actual {actual[bad[0]]:#x}")


# ---------------------------------------------------------------------------------------------
# Verilog, interface, validation
# ---------------------------------------------------------------------------------------------
def test_converts_to_verilog_without_registers():
    unit = accumulate_unit("fp32", "fp8_e4m3fn")
    text = verilog.convert(unit, name="float_accumulate_fp32", emit_src=False, strip_internal_attrs=True)
    assert "module float_accumulate_fp32" in text
    assert "posedge" not in text and "clk" not in text
    for port, width in [("acc", 32), ("p_significand", 8), ("p_shift", 5), ("result", 32)]:
        assert f"[{width - 1}:0] {port};" in text


def test_interface():
    unit = accumulate_unit("fp16", "fp8_e5m2")
    assert (unit.product_significand_bits, unit.product_shift_bits, unit.product_lsb_exponent) == (6, 6, -32)
    assert unit.latency == 0
    widths = {name: len(getattr(unit, name)) for name in
              ("acc", "p_negative", "p_significand", "p_shift", "p_nan", "p_inf", "result")}
    assert widths == {"acc": 16, "p_negative": 1, "p_significand": 6, "p_shift": 6, "p_nan": 1,
                      "p_inf": 1, "result": 16}


def test_validation():
    fp16 = get_format("fp16")
    with pytest.raises(TypeError, match="accumulator format must be a MiniFloat, not IntFormat"):
        FloatAccumulate(IntFormat(8), 8, 5, -18)
    with pytest.raises(ValueError, match=r"needs a NaN code; fp6_e3m2 \(policy finite\) has none"):
        FloatAccumulate(get_format("fp6_e3m2"), 8, 5, -18)
    with pytest.raises(ValueError, match="product significand bits must be between 1 and 128, not 0"):
        FloatAccumulate(fp16, 0, 5, -18)
    with pytest.raises(ValueError, match="product shift bits must be between 0 and 16, not 17"):
        FloatAccumulate(fp16, 8, 17, -18)
    with pytest.raises(TypeError, match="product lsb exponent must be an integer, not float"):
        FloatAccumulate(fp16, 8, 5, -18.0)
