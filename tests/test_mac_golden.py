"""hwgen.golden.mac against the pure-Python reference (tests/reference.py, docs/formats.md#l-mul and above):
random dot products by the ten thousand per operand / accumulator combination, and hand-written
cases for the IEEE corner rules, overflow, per-step rounding, double rounding and L-Mul."""

import zlib
from fractions import Fraction

import ml_dtypes
import numpy as np
import pytest
import reference as ref

from hwgen.formats import IntFormat, MiniFloat, TableFormat, get_format
from hwgen.golden.codec import decode, encode
from hwgen.golden.mac import mac

DOTS = 10_000


# ---------------------------------------------------------------------------------------------
# Stimulus
# ---------------------------------------------------------------------------------------------
def code_pools(fmt):
    """(specials, interesting finite codes, all finite codes) of a format of at most 16 bits."""
    rows = ref.unit_table(fmt)
    specials = [c for c, (kind, _, _) in enumerate(rows) if kind != "num"]
    finite = [c for c, (kind, _, _) in enumerate(rows) if kind == "num"]
    magnitudes = {c: u for c, (kind, _, u) in enumerate(rows) if kind == "num"}
    top = max(magnitudes.values())
    nonzero = sorted({u for u in magnitudes.values() if u})
    keep = {0, top, nonzero[0], nonzero[min(1, len(nonzero) - 1)], nonzero[-2]}
    if isinstance(fmt, MiniFloat):  # subnormals, the smallest normal, and 1.0
        m = fmt.man_bits
        keep |= {magnitudes[c] for c in (1, (1 << m) - 1, 1 << m, (1 << m) + 1)}
        one = ref.encode(fmt, 1.0)
        keep.add(magnitudes[one])
    interesting = [c for c in finite if magnitudes[c] in keep]
    if isinstance(fmt, IntFormat) and fmt.signed:
        interesting.append(1 << (fmt.bits - 1))  # the most negative code
    return np.array(specials, dtype=np.int64), np.array(interesting), np.array(finite)


def draw(fmt, rng, rates, top_rate=0.0):
    """One code per item: a special (NaN / inf) with the item's rate, an interesting code (zeros of
    both signs, subnormals, min normal, 1, max) with probability 0.3, one of the largest eighth of
    the magnitudes with probability ``top_rate``, else a random finite code."""
    specials, interesting, finite = code_pools(fmt)
    n = rates.size
    codes = finite[rng.integers(0, finite.size, n)]
    pick = rng.random(n) < 0.3
    codes[pick] = interesting[rng.integers(0, interesting.size, pick.sum())]
    if top_rate:
        rows = ref.unit_table(fmt)
        big = finite[np.argsort([rows[c][2] for c in finite], kind="stable")][-max(2, finite.size // 8):]
        pick = rng.random(n) < top_rate
        codes[pick] = big[rng.integers(0, big.size, pick.sum())]
    if specials.size:
        pick = rng.random(n) < rates
        codes[pick] = specials[rng.integers(0, specials.size, pick.sum())]
    return codes


def stimulus(a, b, seed, dots=DOTS, max_len=64, top_rate=0.0):
    """(a codes, b codes, last, segment starts) of ``dots`` dot products of lengths 1..max_len."""
    rng = np.random.default_rng(seed)
    lengths = rng.integers(1, max_len + 1, dots)
    # per dot product: how often a NaN / inf operand appears (none in most, often in some)
    dot_rates = rng.choice([0.0, 0.0, 0.0, 0.003, 0.03, 0.2], size=dots)
    rates = np.repeat(dot_rates, lengths)
    a_codes, b_codes = draw(a, rng, rates, top_rate), draw(b, rng, rates, top_rate)
    last = np.zeros(lengths.sum(), dtype=bool)
    ends = np.cumsum(lengths)
    last[ends - 1] = True
    starts = np.concatenate([[0], ends[:-1]])
    return a_codes, b_codes, last, starts


def segments(codes, starts):
    bounds = [*starts, len(codes)]
    as_list = codes.tolist()
    return [as_list[bounds[i]:bounds[i + 1]] for i in range(len(starts))]


# ---------------------------------------------------------------------------------------------
# Checks
# ---------------------------------------------------------------------------------------------
def expected_fixed(a, b, a_codes, b_codes, starts, width, mul="exact"):
    rows = [ref.fixed_dot(a, b, x, y, width, mul)
            for x, y in zip(segments(a_codes, starts), segments(b_codes, starts), strict=True)]
    return rows


def check_fixed(a, b, a_codes, b_codes, last, starts, spec="fixed", terms=None, mul="exact"):
    result = mac(a_codes, b_codes, last, a, b, acc=spec, terms=terms, mul=mul)
    acc = result.accumulator
    width = ref.fixed_width(a, b, 64 if terms is None else terms, mul) if spec == "fixed" else int(spec[6:])
    lsb = ref.lsb_exponent(a) + ref.lsb_exponent(b)
    assert (acc.kind, acc.width, acc.lsb_exponent) == ("fixed", width, lsb)
    rows = expected_fixed(a, b, a_codes, b_codes, starts, width, mul)
    assert len(result.acc) == len(rows) == len(starts)
    bad = [(i, row, (result.acc[i], bool(result.nan[i]), int(result.inf[i]))) for i, row in enumerate(rows)
           if (row[0], row[2], row[3]) != (result.acc[i], bool(result.nan[i]), int(result.inf[i]))]
    if bad:
        i, row, got = bad[0]
        pytest.fail(
            f"{len(bad)} of {len(rows)} dot products differ; first: a={segments(a_codes, starts)[i]} "
            f"b={segments(b_codes, starts)[i]} expected (acc, nan, inf)={(row[0], row[2], row[3])} "
            f"actual={got}"
        )
    assert all(type(v) is int for v in result.acc)
    # values(): the nearest float64 of acc * 2^lsb where no special was seen
    values = result.values()
    scale = ref.pow2(acc.lsb_exponent)
    for i, row in enumerate(rows):
        if not row[2] and not row[3]:
            assert values[i] == float(Fraction(row[0]) * scale), i
    return rows, result


def check_float(acc_name, a, b, a_codes, b_codes, last, starts, mul="exact"):
    acc_fmt = get_format(acc_name)
    result = mac(a_codes, b_codes, last, a, b, acc=acc_name, mul=mul)
    assert result.accumulator.kind == "float" and result.accumulator.format == acc_fmt
    expected = [ref.float_dot(acc_fmt, a, b, x, y, mul)
                for x, y in zip(segments(a_codes, starts), segments(b_codes, starts), strict=True)]
    assert len(result.acc) == len(expected)
    is_nan = [ref.decode(acc_fmt, c).kind == "nan" for c in expected]
    got = [int(c) for c in result.acc]
    bad = [i for i in range(len(expected))
           if (ref.decode(acc_fmt, got[i]).kind != "nan" if is_nan[i] else got[i] != expected[i])]
    if bad:
        i = bad[0]
        pytest.fail(
            f"{len(bad)} of {len(expected)} dot products differ; first: a={segments(a_codes, starts)[i]} "
            f"b={segments(b_codes, starts)[i]} expected={expected[i]:#x} actual={got[i]:#x}"
        )
    assert not np.any(result.nan) and not np.any(result.inf)
    values = result.values()
    reference_values = decode(acc_fmt, np.array(expected, dtype=np.int64))
    np.testing.assert_array_equal(np.isnan(values), is_nan)
    keep = ~np.array(is_nan)
    np.testing.assert_array_equal(values[keep], reference_values[keep])
    np.testing.assert_array_equal(np.signbit(values[keep]), np.signbit(reference_values[keep]))
    return expected


# ---------------------------------------------------------------------------------------------
# Random dot products
# ---------------------------------------------------------------------------------------------
FIXED_PAIRS = [
    ("int8", "int8"),
    ("int4", "int4"),
    ("dint4", "int8"),
    ("fp8_e4m3fn", "fp8_e4m3fn"),
    ("fp8_e5m2", "fp8_e5m2"),
    ("fp4_e2m1", "fp4_e2m1"),
]


@pytest.mark.parametrize(("a", "b"), FIXED_PAIRS, ids=[f"{a}x{b}" for a, b in FIXED_PAIRS])
def test_fixed_random(a, b):
    a, b = get_format(a), get_format(b)
    a_codes, b_codes, last, starts = stimulus(a, b, seed=zlib.crc32(f'{a.name}x{b.name}'.encode()))
    rows, _ = check_fixed(a, b, a_codes, b_codes, last, starts)
    assert all(row[0] == row[1] for row in rows)  # W is sized so that K = 64 terms never wrap
    if a.has_nan or b.has_nan:  # the stimulus did reach the special fields
        assert sum(row[2] for row in rows) > 100
    if a.has_inf:
        assert sum(row[3] == 3 for row in rows) > 10 and sum(row[3] == 1 for row in rows) > 10


INT4_HALF = TableFormat("int4_half", (0.5, *range(-7, 8)))  # a user table: INT4 with -8 -> 0.5
EXTRA_FIXED = [("dint4", "fp8_e4m3fn"), (INT4_HALF, "int8"), ("fp8_e4m3fnuz", "fp8_e5m2fnuz"),
               ("uint8", "int8"), ("fp8_e3m4", "fp6_e2m3"), ("dint4z", "int8"), ("nf4", "int8"),
               ("sf4", "fp8_e4m3fn"), ("fp4_e2m1_sr", "fp4_e2m1_sp"), ("fp4_e2m1_sp", "int8")]


@pytest.mark.parametrize(("a", "b"), EXTRA_FIXED, ids=[f"{get_format(a).name}x{b}" for a, b in EXTRA_FIXED])
def test_fixed_random_more_formats(a, b):
    a, b = get_format(a), get_format(b)
    a_codes, b_codes, last, starts = stimulus(a, b, seed=zlib.crc32(f"{a.name}x{b.name}".encode()), dots=3000)
    rows, _ = check_fixed(a, b, a_codes, b_codes, last, starts)
    assert all(row[0] == row[1] for row in rows)


NARROW = [("int8", "int8", 16), ("int8", "int8", 18), ("dint4", "int8", 12), ("fp8_e4m3fn", "fp8_e4m3fn", 37),
          ("fp8_e5m2", "fp8_e5m2", 65), ("fp4_e2m1", "fp4_e2m1", 9), ("int4", "int4", 8), ("nf4", "int8", 19)]


@pytest.mark.parametrize(("a", "b", "width"), NARROW, ids=[f"{a}x{b}-W{w}" for a, b, w in NARROW])
def test_fixed_narrow_wraps(a, b, width):
    a, b = get_format(a), get_format(b)
    a_codes, b_codes, last, starts = stimulus(a, b, seed=width, dots=3000, top_rate=0.5)
    rows, _ = check_fixed(a, b, a_codes, b_codes, last, starts, spec=f"fixed:{width}")
    assert sum(row[0] != row[1] for row in rows) > 50  # the stimulus really wraps


def test_fixed_terms_sizes_width():
    a = get_format("int8")
    a_codes, b_codes, last, starts = stimulus(a, a, seed=3, dots=500, max_len=300)
    rows, result = check_fixed(a, a, a_codes, b_codes, last, starts, terms=300)
    assert result.accumulator.width == (128 * 128 * 300).bit_length() + 1
    assert all(row[0] == row[1] for row in rows)


FLOAT_COMBOS = [(op, acc) for op in ("fp8_e4m3fn", "fp8_e5m2") for acc in ("fp32", "bf16", "fp16")]


@pytest.mark.parametrize(("op", "acc"), FLOAT_COMBOS, ids=[f"{o}-{a}" for o, a in FLOAT_COMBOS])
def test_float_random(op, acc):
    fmt = get_format(op)
    a_codes, b_codes, last, starts = stimulus(fmt, fmt, seed=zlib.crc32(f'{op}-{acc}'.encode()))
    expected = check_float(acc, fmt, fmt, a_codes, b_codes, last, starts)
    acc_fmt = get_format(acc)
    kinds = [ref.decode(acc_fmt, c).kind for c in expected]
    reachable = ("num", "nan", "inf") if acc == "fp16" or fmt.has_inf else ("num", "nan")
    for kind in reachable:  # the stimulus reaches every outcome
        assert kinds.count(kind) > 100, kind


EXTRA_FLOAT = [("int8", "int8", "fp16"), ("int8", "int8", "fp32"), ("int8", "int8", "bf16"),
               ("fp4_e2m1", "fp8_e4m3fn", "bf16"),
               ("fp8_e4m3fn", "fp8_e4m3fn", "fp8_e5m2fnuz"), ("fp8_e5m2", "fp8_e5m2", "fp8_e4m3_ieee"),
               ("dint4", "fp6_e3m2", "fp16"), ("nf4", "fp8_e4m3fn", "fp32"), ("sf4", "fp8_e5m2", "bf16"),
               ("dint4z", "fp8_e4m3fn", "fp16"), ("fp4_e2m1_sr", "fp6_e3m2", "bf16")]


@pytest.mark.parametrize(("a", "b", "acc"), EXTRA_FLOAT, ids=[f"{a}x{b}-{c}" for a, b, c in EXTRA_FLOAT])
def test_float_random_more_formats(a, b, acc):
    a, b = get_format(a), get_format(b)
    seed = zlib.crc32(f"{a.name}x{b.name}-{acc}".encode())
    a_codes, b_codes, last, starts = stimulus(a, b, seed=seed, dots=3000, max_len=32)
    check_float(acc, a, b, a_codes, b_codes, last, starts)


CAST = {"fp32": (np.float32, np.uint32), "bf16": (ml_dtypes.bfloat16, np.uint16),
        "fp16": (np.float16, np.uint16)}


@pytest.mark.parametrize(("op", "acc"), FLOAT_COMBOS, ids=[f"{o}-{a}" for o, a in FLOAT_COMBOS])
def test_float_matches_numpy_steps(op, acc):
    """A third oracle for narrow products: with operands of at most 4 significant bits, the float64
    sum acc + a * b is rounded innocuously on its way to the accumulator (53 >= 2 * 24 + 2 and
    24 >= 2 * 8 + 2, Figueroa), so NumPy IEEE arithmetic step by step is correctly rounded here."""
    fmt = get_format(op)
    dtype, storage = CAST[acc]
    a_codes, b_codes, last, starts = stimulus(fmt, fmt, seed=zlib.crc32(f"np-{op}-{acc}".encode()), dots=4000)
    lengths = np.diff(np.concatenate([starts, [len(a_codes)]]))
    index = np.arange(len(a_codes)) - np.repeat(starts, lengths)
    dot = np.repeat(np.arange(len(starts)), lengths)
    with np.errstate(invalid="ignore", over="ignore"):
        products = np.full((len(starts), lengths.max()), np.nan)
        products[dot, index] = decode(fmt, a_codes) * decode(fmt, b_codes)
        state = np.zeros(len(starts), dtype=dtype)  # +0
        for k in range(lengths.max()):
            step = (np.asarray(state, dtype=np.float64) + products[:, k]).astype(dtype)
            state = np.where(k < lengths, step, state)
    expected = state.view(storage).astype(np.int64)
    got = np.array([int(c) for c in mac(a_codes, b_codes, last, fmt, fmt, acc=acc).acc], dtype=np.int64)
    acc_fmt = get_format(acc)
    nan = np.isnan(decode(acc_fmt, expected))
    np.testing.assert_array_equal(np.isnan(decode(acc_fmt, got)), nan)
    np.testing.assert_array_equal(got[~nan], expected[~nan])


def test_float_random_fn_accumulator():
    fmt = get_format("fp8_e4m3fn")
    a_codes, b_codes, last, starts = stimulus(fmt, fmt, seed=99, dots=3000, max_len=16)
    check_float("fp8_e4m3fn", fmt, fmt, a_codes, b_codes, last, starts)


def test_lmul_random_fixed():
    fmt = get_format("fp8_e4m3fn")
    a_codes, b_codes, last, starts = stimulus(fmt, fmt, seed=21)
    rows, _ = check_fixed(fmt, fmt, a_codes, b_codes, last, starts, mul="lmul")
    assert all(row[0] == row[1] for row in rows)


def test_lmul_random_fp32():
    fmt = get_format("fp8_e4m3fn")
    a_codes, b_codes, last, starts = stimulus(fmt, fmt, seed=22)
    check_float("fp32", fmt, fmt, a_codes, b_codes, last, starts, mul="lmul")


def test_lmul_random_e5m2_specials():
    fmt = get_format("fp8_e5m2")  # has inf: inf * subnormal = inf, inf * 0 = NaN
    a_codes, b_codes, last, starts = stimulus(fmt, fmt, seed=23, dots=2000)
    check_fixed(fmt, fmt, a_codes, b_codes, last, starts, mul="lmul")
    check_float("fp32", fmt, fmt, a_codes, b_codes, last, starts, mul="lmul")


# ---------------------------------------------------------------------------------------------
# Hand-written cases
# ---------------------------------------------------------------------------------------------
def run(pairs, a, b, acc="fixed", mul="exact", terms=None):
    """One dot product of the (a code, b code) pairs."""
    a_codes = np.array([p[0] for p in pairs], dtype=np.int64)
    b_codes = np.array([p[1] for p in pairs], dtype=np.int64)
    last = np.zeros(len(pairs), dtype=bool)
    last[-1] = True
    return mac(a_codes, b_codes, last, a, b, acc=acc, terms=terms, mul=mul)


E4 = get_format("fp8_e4m3fn")
E5 = get_format("fp8_e5m2")


def e4(x):
    return int(encode(E4, x))


def e5(x):
    return int(encode(E5, x))


def test_negative_zero_product_into_fp32_is_positive_zero():
    result = run([(0x80, 0x38)], E4, E4, "fp32")  # -0 * 1.0: +0 + -0 = +0
    assert int(result.acc[0]) == 0x00000000
    result = run([(0x80, 0x38), (0x00, 0xB8)], E4, E4, "fp32")  # -0 * 1, then +0 * -1
    assert int(result.acc[0]) == 0x00000000


def test_negative_zero_survives_only_from_a_rounded_negative():
    # e5m2: -2^-16 * 2^-16 = -2^-32 rounds to -0 in fp16 (half its smallest subnormal is 2^-25)
    tiny = (0x81, 0x01)
    assert int(run([tiny], E5, E5, "fp16").acc[0]) == 0x8000
    assert int(run([tiny, (0x80, 0x3C)], E5, E5, "fp16").acc[0]) == 0x8000  # -0 + -0 = -0
    assert int(run([tiny, (0x00, 0x3C)], E5, E5, "fp16").acc[0]) == 0x0000  # -0 + +0 = +0
    assert int(run([(0x3C, 0x3C), (0xBC, 0x3C)], E5, E5, "fp16").acc[0]) == 0x0000  # 1 - 1 = +0


def test_inf_minus_inf():
    pairs = [(0x7C, 0x3C), (e5(2.0), e5(3.0)), (0xFC, 0x3C)]  # +inf * 1, 2 * 3, -inf * 1
    for acc in ("fp32", "bf16", "fp16"):
        assert np.isnan(run(pairs, E5, E5, acc).values()[0])
    result = run(pairs, E5, E5)
    assert (bool(result.nan[0]), int(result.inf[0])) == (True, 3)
    assert result.acc[0] == 6 << 32  # the finite products only: 6 in units of 2^-32
    result = run([(0x7C, 0x3C), (0x7C, 0x40)], E5, E5)  # +inf twice: inf bit 0 only, no NaN
    assert (bool(result.nan[0]), int(result.inf[0]), result.acc[0]) == (False, 1, 0)
    assert np.isposinf(run([(0x7C, 0x3C), (0x7C, 0x40)], E5, E5, "fp32").values()[0])
    result = run([(0xFC, 0x3C), (0x3C, 0x3C)], E5, E5)
    assert (bool(result.nan[0]), int(result.inf[0]), result.acc[0]) == (False, 2, 1 << 32)


def test_inf_times_zero_and_nan():
    result = run([(0x7C, 0x00), (0x3C, 0x3C)], E5, E5)  # inf * 0 is a NaN product, not an inf
    assert (bool(result.nan[0]), int(result.inf[0]), result.acc[0]) == (True, 0, 1 << 32)
    assert np.isnan(run([(0x7C, 0x80)], E5, E5, "fp32").values()[0])
    result = run([(0x7F, 0x38), (0x40, 0x38)], E4, E4)  # NaN * 1 + 2 * 1
    assert (bool(result.nan[0]), int(result.inf[0]), result.acc[0]) == (True, 0, 2 << 18)
    assert np.isnan(run([(0x7F, 0x00), (0x40, 0x38)], E4, E4, "fp32").values()[0])  # NaN sticky
    result = run([(0x38, 0x38)], E4, E4)  # no specials: both fields 0
    assert (bool(result.nan[0]), int(result.inf[0]), result.acc[0]) == (False, 0, 1 << 18)


def test_fp16_overflow_to_inf():
    assert int(run([(0x7B, e5(2.0))], E5, E5, "fp16").acc[0]) == 0x7C00  # 57344 * 2 > 65504
    assert int(run([(0xFB, e5(2.0))], E5, E5, "fp16").acc[0]) == 0xFC00
    big = (e4(448), e4(128))  # 57344 each: fp16 holds one, not two
    assert int(run([big], E4, E4, "fp16").acc[0]) == 0x7B00
    assert int(run([big, big], E4, E4, "fp16").acc[0]) == 0x7C00
    # 57344 + 7168 + 1008 = 65520 = 65504 + 16: a tie between max (0x7BFF, odd) and inf (even) -> inf
    steps = [big, (e4(448), e4(16)), (e4(7), e4(144))]
    assert int(run(steps, E4, E4, "fp16").acc[0]) == 0x7C00
    # 57344 + 7168 + 960 + 40 = 65512: below the tie -> 65504
    steps = [big, (e4(448), e4(16)), (e4(7.5), e4(128)), (e4(5), e4(8))]
    assert int(run(steps, E4, E4, "fp16").acc[0]) == 0x7BFF
    assert np.isposinf(run([big, big, (0xB8, 0x38)], E4, E4, "fp16").values()[0])  # inf stays inf


def test_e4m3fn_accumulator():
    one = (0x38, 0x38)
    sixteenth = (e4(0.0625), 0x38)
    assert int(run([one, sixteenth], E4, E4, "fp8_e4m3fn").acc[0]) == 0x38  # 1.0625: tie -> 1.0 (even)
    # rounded each step: 1 + 1/16 -> 1, then 1 + 1/16 -> 1 again (the exact sum 1.125 is 0x39)
    assert int(run([one, sixteenth, sixteenth], E4, E4, "fp8_e4m3fn").acc[0]) == 0x38
    assert int(run([sixteenth, sixteenth, one], E4, E4, "fp8_e4m3fn").acc[0]) == 0x39  # 1/8 + 1 = 1.125
    assert int(run([(0x7E, 0x38), (e4(16), 0x38)], E4, E4, "fp8_e4m3fn").acc[0]) == 0x7E  # 464 -> 448
    result = run([(0x7E, 0x38), (e4(20), 0x38)], E4, E4, "fp8_e4m3fn")  # 468 -> 480 > max -> NaN
    assert np.isnan(result.values()[0]) and int(result.acc[0]) & 0x7F == 0x7F
    result = run([(0xFE, 0x38), (e4(-20), 0x38)], E4, E4, "fp8_e4m3fn")
    assert np.isnan(result.values()[0])
    result = run([(0x7E, 0x38), (e4(20), 0x38), (0xFE, 0x38)], E4, E4, "fp8_e4m3fn")  # NaN is sticky
    assert np.isnan(result.values()[0])
    assert int(run([(0x7E, 0x38), (0xFE, 0x38)], E4, E4, "fp8_e4m3fn").acc[0]) == 0x00  # x - x = +0


# A product whose exact value is a hair off a tie of the accumulator: float64 arithmetic rounds the sum
# onto the tie, and the cast then rounds it the wrong way. A = 2351 * 4513 and B = 13264529 are 24-bit
# significands with A * B = 2^47 - 1, so (A / 2^23) * (B / 2^23) = 2 - 2^-46.
A_SIG, B_SIG = 10_610_063, 13_264_529
FP32 = get_format("fp32")
BF16 = get_format("bf16")


def fp32_code(x):
    return int(np.array([x], dtype=np.float32).view(np.uint32)[0])


def test_double_rounding_fp32_accumulator():
    assert A_SIG * B_SIG == 2**47 - 1
    a1 = -(A_SIG / 2**23) * 2.0**-25
    b1 = B_SIG / 2**23
    p = Fraction(a1) * Fraction(b1)
    assert p == -(Fraction(1, 2**24) - Fraction(1, 2**71))
    acc0 = 1 + 2.0**-23  # fp32: 0x3F800001
    exact = Fraction(acc0) + p  # 1 + 2^-24 + 2^-71: just above the tie between 1 and 1 + 2^-23
    assert exact == 1 + Fraction(1, 2**24) + Fraction(1, 2**71)
    naive = np.float32(float(acc0) + float(a1) * float(b1))  # float64 sum, then cast
    assert fp32_code(naive) == 0x3F800000  # the double rounding lands on the tie and goes to even
    pairs = [(fp32_code(1.0), fp32_code(acc0)), (fp32_code(a1), fp32_code(b1))]
    result = run(pairs, FP32, FP32, "fp32")
    assert int(result.acc[0]) == 0x3F800001  # correctly rounded: above the tie -> 1 + 2^-23
    assert ref.float_dot(FP32, FP32, FP32, *zip(*pairs, strict=True)) == 0x3F800001


def test_double_rounding_bf16_accumulator():
    a1 = -(A_SIG / 2**23) * 2.0**-9
    b1 = B_SIG / 2**23
    acc0 = 1 + 2.0**-7  # bf16 0x3F81
    exact = Fraction(acc0) + Fraction(a1) * Fraction(b1)
    assert exact == 1 + Fraction(1, 2**8) + Fraction(1, 2**55)  # just above the tie 1 + 2^-8
    naive = float(acc0) + float(a1) * float(b1)
    assert naive == 1 + 2.0**-8  # float64 lands on the tie: a cast to bf16 would give 1.0 (0x3F80)
    pairs = [(fp32_code(1.0), fp32_code(acc0)), (fp32_code(a1), fp32_code(b1))]
    result = run(pairs, FP32, FP32, "bf16")
    assert int(result.acc[0]) == 0x3F81
    assert ref.float_dot(BF16, FP32, FP32, *zip(*pairs, strict=True)) == 0x3F81


def test_lmul_documented_example():
    # docs/formats.md#l-mul: 1.75 * 1.75, formula 2.5625, integer add 3.125. 2^-l = 1/16 there, so
    # l(M) = 4: M > 4. In bf16 (M = 7): X = Y = 0x3FE0 (field 127, fraction 96);
    # S = 2 * 0x3FE0 - 127 * 128 + 2^(7 - 4) = 16328 = 127 * 128 + 72 + 128 -> 2^1 * (1 + 72/128) = 3.125
    bf16 = get_format("bf16")
    result = run([(0x3FE0, 0x3FE0)], bf16, bf16, mul="lmul")
    assert result.values()[0] == 3.125
    assert run([(0x3FE0, 0x3FE0)], bf16, bf16, "fp32", mul="lmul").values()[0] == 3.125
    assert ref.lmul_formula(bf16, 0x3FE0, 0x3FE0) == Fraction(41, 16)  # 2.5625
    # fp8_e4m3fn has M = 3, so l = 3 and 2^-l = 1/8: S = 2 * 0x3E - 7 * 8 + 1 = 69 = 8 * 8 + 5
    # -> 2^1 * (1 + 5/8) = 3.25 (the formula gives 1 + 0.75 + 0.75 + 0.125 = 2.625)
    result = run([(0x3E, 0x3E)], E4, E4, mul="lmul")
    assert result.values()[0] == 3.25
    assert result.acc[0] == 13 << 16  # 3.25 = 13 * 2^-2 = 13 * 2^16 units of 2^-18
    assert ref.lmul_formula(E4, 0x3E, 0x3E) == Fraction(21, 8)
    assert run([(0x3E, 0x3E)], E4, E4, "fp32", mul="lmul").values()[0] == 3.25


def test_lmul_matches_the_formula_without_carry():
    rng = np.random.default_rng(8)
    for m, fmt in ((3, E4), (2, E5), (7, get_format("bf16"))):
        assert fmt.man_bits == m
        for _ in range(600):
            ca, cb = (int(c) for c in rng.integers(1 << m, 8 << m, 2))
            _, _, units = ref.lmul_product(fmt, ca, cb)
            fx, fy = ca & ((1 << m) - 1), cb & ((1 << m) - 1)
            value = units * ref.pow2(2 * ref.lsb_exponent(fmt))
            formula = ref.lmul_formula(fmt, ca, cb)
            carry = (fx + fy + (1 << (m - ref.lmul_l(m)))) >> m
            if carry == 0:
                assert value == formula, (ca, cb)
            elif carry == 1:  # 2^(xe + ye + 1) * (xm + ym + 2^-l) = 2 * (formula - 2^(xe + ye))
                assert value == 2 * formula - 2 * ref.pow2((ca >> m) + (cb >> m) - 2 * fmt.bias)
            else:  # M >= 4 only: the fraction sum carries twice, 2^(xe + ye + 2) * (formula - 2) / ...
                assert m >= 4
                assert value == 4 * formula - 8 * ref.pow2((ca >> m) + (cb >> m) - 2 * fmt.bias)


def test_lmul_fraction_carries_twice():
    # M >= 4: fx + fy + 2^(M - l) can reach 2^(M + 1). bf16 1.9921875 = 0x3FFF (field 127, f = 127):
    # S = 2 * 16383 - 127 * 128 + 8 = 16518 = 129 * 128 + 6 -> 2^2 * (1 + 6/128) = 4.1875
    bf16 = get_format("bf16")
    assert run([(0x3FFF, 0x3FFF)], bf16, bf16, mul="lmul").values()[0] == 4.1875
    assert run([(0x3FFF, 0xBFFF)], bf16, bf16, "fp32", mul="lmul").values()[0] == -4.1875
    fp9 = get_format("fp9_e4m4")  # M = 4, l = 3: 1.9375 * 1.9375: S = 2 * 127 - 7 * 16 + 2 = 144
    assert run([(0x7F, 0x7F)], fp9, fp9, mul="lmul").values()[0] == 4.0  # = 9 * 16 -> 2^2 * 1


def test_lmul_random_bf16():
    """bf16 operands (M = 7 > 4: l = 4, fractions may carry twice) against the reference."""
    bf16 = get_format("bf16")
    rng = np.random.default_rng(31)
    lengths = rng.integers(1, 17, 1500)
    n = lengths.sum()
    codes = rng.integers(0, 1 << 16, (2, n))
    corner = np.array([0x0000, 0x8000, 0x0001, 0x007F, 0x0080, 0x3F80, 0x3FFF, 0xBFFF, 0x7F7F, 0xFF7F,
                       0x7F80, 0xFF80, 0x7FC0, 0x3FE0, 0x1FFF, 0x2000])
    pick = rng.random((2, n)) < 0.3
    codes[pick] = corner[rng.integers(0, corner.size, pick.sum())]
    finite_nan = rng.random((2, n)) < 0.9  # keep most items free of NaN / inf
    special = ((codes >> 7) & 0xFF) == 0xFF
    codes[special & finite_nan] ^= 0x4000
    last = np.zeros(n, dtype=bool)
    ends = np.cumsum(lengths)
    last[ends - 1] = True
    starts = np.concatenate([[0], ends[:-1]])
    check_fixed(bf16, bf16, codes[0], codes[1], last, starts, mul="lmul")
    check_float("fp32", bf16, bf16, codes[0], codes[1], last, starts, mul="lmul")


def test_lmul_flush_and_specials():
    sub = 0x01  # smallest subnormal
    assert run([(sub, 0x38)], E4, E4, mul="lmul").acc[0] == 0  # subnormal operand: flushed
    assert run([(0x00, 0x7E)], E4, E4, mul="lmul").acc[0] == 0
    result = run([(0x7C, 0x01)], E5, E5, mul="lmul")  # inf * subnormal = inf (true value nonzero)
    assert (bool(result.nan[0]), int(result.inf[0])) == (False, 1)
    result = run([(0x7C, 0x00)], E5, E5, mul="lmul")  # inf * 0 = NaN
    assert bool(result.nan[0])
    assert np.isposinf(run([(0x7C, 0x01)], E5, E5, "fp32", mul="lmul").values()[0])
    assert np.isnan(run([(0x7C, 0x80)], E5, E5, "fp32", mul="lmul").values()[0])
    assert np.isnan(run([(0x7F, 0x38)], E4, E4, "fp32", mul="lmul").values()[0])


def test_lmul_width():
    # largest L-Mul product of e4m3fn: X = Y = 0x7E: S = 252 - 56 + 1 = 197 = 24 * 8 + 5
    # -> 2^(24 - 7) * 13/8 = 13 * 2^14 = 13 * 2^32 units of 2^-18; * 64: bit length 42, + sign = 43
    result = run([(0x7E, 0x7E)], E4, E4, mul="lmul")
    assert result.acc[0] == 13 << 32
    assert result.accumulator.width == (13 << 38).bit_length() + 1 == ref.fixed_width(E4, E4, 64, "lmul")
    for fmt in (E4, E5):  # the reference's max * max shortcut is the largest of all products
        table = ref.product_table(fmt, fmt, "lmul")
        top = ref.mf_max_code_magnitude(fmt)
        assert max(u for kind, _, u in table if kind == "num") == ref.lmul_product(fmt, top, top)[2]


def test_fixed_extremes_never_wrap_at_k():
    int8 = get_format("int8")
    result = run([(0x80, 0x80)] * 64, int8, int8)  # (-128)^2 * 64 = 2^20
    assert result.acc[0] == 1 << 20 and result.accumulator.width == 22
    result = run([(0x80, 0x7F)] * 64, int8, int8)
    assert result.acc[0] == -128 * 127 * 64
    result = run([(0x7E, 0x7E)] * 64, E4, E4)
    assert result.acc[0] == 64 * (448 * 512) ** 2
    result = run([(0x7E, 0xFE)] * 64, E4, E4)
    assert result.acc[0] == -64 * (448 * 512) ** 2


def test_fixed_wrap_by_hand():
    int8 = get_format("int8")
    result = run([(0x7F, 0x7F), (0x7F, 0x7F), (0x7F, 0x7F)], int8, int8, acc="fixed:16")
    # 3 * 16129 = 48387 -> 48387 - 65536 = -17149
    assert result.acc[0] == -17149
    result = run([(0x80, 0x80), (0x80, 0x80)], int8, int8, acc="fixed:16")
    assert result.acc[0] == -32768  # 32768 wraps to -2^15
    dint4 = get_format("dint4")
    result = run([(0x0, 0x01)], dint4, int8)  # 0.5 * 1 = 1 in units of 2^-1
    assert (result.acc[0], result.accumulator.lsb_exponent, result.values()[0]) == (1, -1, 0.5)


def test_last_must_end_the_stream():
    with pytest.raises(ValueError, match="last"):
        mac(np.array([1, 2]), np.array([1, 2]), np.array([True, False]), "int8", "int8")


# ---------------------------------------------------------------------------------------------
# Grouped accumulation (a systolic PE's SIMD lanes: one rounding per group of products)
# ---------------------------------------------------------------------------------------------
def grouped_stimulus(fmt, group, seed, dots):
    """Dot products of whole groups: lengths 1..16 groups."""
    rng = np.random.default_rng(seed)
    lengths = rng.integers(1, 17, dots) * group
    dot_rates = rng.choice([0.0, 0.0, 0.0, 0.01, 0.05, 0.2], size=dots)
    rates = np.repeat(dot_rates, lengths)
    a_codes, b_codes = draw(fmt, rng, rates), draw(fmt, rng, rates)
    last = np.zeros(lengths.sum(), dtype=bool)
    ends = np.cumsum(lengths)
    last[ends - 1] = True
    return a_codes, b_codes, last, np.concatenate([[0], ends[:-1]])


GROUPED = [("fp8_e5m2", "fp32", 4), ("fp8_e4m3fn", "bf16", 4), ("fp8_e5m2", "fp16", 2),
           ("fp4_e2m1", "fp8_e4m3fn", 3)]


@pytest.mark.parametrize(("op", "acc", "group"), GROUPED, ids=[f"{o}-{a}-g{g}" for o, a, g in GROUPED])
def test_grouped_float_against_reference(op, acc, group):
    fmt, acc_fmt = get_format(op), get_format(acc)
    seed = zlib.crc32(f"{op}{acc}{group}".encode())
    a_codes, b_codes, last, starts = grouped_stimulus(fmt, group, seed, 1500)
    result = mac(a_codes, b_codes, last, fmt, fmt, acc=acc, group=group)
    expected = [ref.float_dot(acc_fmt, fmt, fmt, x, y, group=group)
                for x, y in zip(segments(a_codes, starts), segments(b_codes, starts), strict=True)]
    got = [int(c) for c in result.acc]
    nan = [ref.decode(acc_fmt, c).kind == "nan" for c in expected]
    bad = [i for i, (e, g, n) in enumerate(zip(expected, got, nan, strict=True))
           if (ref.decode(acc_fmt, g).kind != "nan" if n else g != e)]
    assert not bad, f"{len(bad)} differ; first {bad[0]}: expected {expected[bad[0]]:#x}, got {got[bad[0]]:#x}"
    ungrouped = mac(a_codes, b_codes, last, fmt, fmt, acc=acc)
    assert np.any(ungrouped.acc != result.acc)  # grouping changes the roundings, so the test can tell


def test_grouped_cancellation_needs_every_bit():
    # One group: 2^15 * 1.75 - 2^15 * 1.75 + 2^-16 ... the small product must survive the cancellation.
    e5m2 = get_format("fp8_e5m2")
    big, tiny, one = (int(encode(e5m2, [v])[0]) for v in (57344.0, 2.0**-16, 1.0))
    neg_big = big | 0x80
    result = mac([big, neg_big, tiny, one], [one, one, one, 0], [False, False, False, True], e5m2, e5m2,
                 acc="fp32", group=4)
    assert decode(get_format("fp32"), result.acc.astype(np.int64))[0] == 2.0**-16


def test_grouped_fixed_equals_ungrouped():
    fmt = get_format("fp8_e4m3fn")
    a_codes, b_codes, last, _ = grouped_stimulus(fmt, 4, 7, 300)
    grouped, plain = mac(a_codes, b_codes, last, fmt, fmt, group=4), mac(a_codes, b_codes, last, fmt, fmt)
    assert list(grouped.acc) == list(plain.acc) and list(grouped.nan) == list(plain.nan)


def test_group_must_divide_every_dot_product():
    with pytest.raises(ValueError, match="multiple of the group"):
        mac([1, 2, 3], [1, 1, 1], [False, False, True], "int8", "int8", group=2)
