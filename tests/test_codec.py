"""hwgen.golden.codec against two independent oracles: ml_dtypes (for the nine formats it shares with
hwgen) and the pure-Python reference in tests/reference.py (for every format, docs/formats.md).
Codes are compared, never rounded floats."""

import math

import ml_dtypes
import numpy as np
import pytest
import reference as ref

from hwgen.formats import IntFormat, MiniFloat, TableFormat, get_format, listed_formats
from hwgen.golden.codec import all_values, decode, encode

# hwgen name -> the ml_dtypes type with the same codes (docs/formats.md#format-names-and-aliases).
ML_PAIRS = {
    "fp8_e4m3fn": ml_dtypes.float8_e4m3fn,
    "fp8_e5m2": ml_dtypes.float8_e5m2,
    "fp8_e4m3fnuz": ml_dtypes.float8_e4m3fnuz,
    "fp8_e5m2fnuz": ml_dtypes.float8_e5m2fnuz,
    "fp8_e4m3_ieee": ml_dtypes.float8_e4m3,
    "fp8_e3m4": ml_dtypes.float8_e3m4,
    "fp6_e2m3": ml_dtypes.float6_e2m3fn,
    "fp6_e3m2": ml_dtypes.float6_e3m2fn,
    "fp4_e2m1": ml_dtypes.float4_e2m1fn,
}
# Wider formats with an independent correctly rounding cast: numpy's float16 / float32, ml_dtypes'
# bfloat16 (all round float64 to nearest even directly, overflow to inf).
WIDE_PAIRS = {"fp16": np.float16, "bf16": ml_dtypes.bfloat16, "fp32": np.float32}
DIRECT_FROM_FLOAT64 = (np.float16, np.float32)  # numpy's casts round float64 once
STORAGE = {8: np.uint8, 16: np.uint16, 32: np.uint32}


def _storage(bits):
    return STORAGE[8] if bits <= 8 else STORAGE[bits]


def ml_encode(dtype, bits, x):
    """Codes ml_dtypes / numpy give the float64 values x (4/6-bit types are stored in a byte).

    ml_dtypes 0.6 (>=0.5 is allowed) converts float64 through float32, so it rounds twice: a float64
    within half a float32 ulp of a midpoint goes to the midpoint first, then ties to even (for example
    nextafter(432, 0) -> 448 in float8_e4m3fn, while the nearest value is 416). hwgen rounds the real
    number once (docs/formats.md#encoding), so ml_dtypes is a valid oracle only for float32-exact inputs:
    the ml_dtypes tests feed float32-exact values, and the reference checks the rest.
    """
    with np.errstate(over="ignore", invalid="ignore"):
        raw = np.asarray(x, dtype=np.float64).astype(dtype).view(_storage(bits))
    return raw.astype(np.int64) & ((1 << bits) - 1)


def ml_decode(dtype, bits, codes):
    return np.asarray(codes, dtype=_storage(bits)).view(dtype).astype(np.float64)


def oracle_inputs(dtype, x):
    """x as the oracle rounds it exactly: float32-exact for ml_dtypes (see ml_encode)."""
    x = np.asarray(x, dtype=np.float64)
    if dtype in DIRECT_FROM_FLOAT64:
        return x
    with np.errstate(over="ignore"):
        x32 = x.astype(np.float32).astype(np.float64)
    return x32[np.isinf(x32) == np.isinf(x)]  # drop finite values beyond float32's range


def same_floats(actual, expected):
    """Bitwise-meaningful float comparison: NaN-ness, value, and the sign of zeros and NaNs."""
    actual, expected = np.asarray(actual, np.float64), np.asarray(expected, np.float64)
    assert actual.shape == expected.shape
    nan = np.isnan(expected)
    np.testing.assert_array_equal(np.isnan(actual), nan)
    np.testing.assert_array_equal(actual[~nan], expected[~nan])
    np.testing.assert_array_equal(np.signbit(actual), np.signbit(expected))


def assert_codes(actual, expected, inputs):
    actual = np.asarray(actual, dtype=np.int64)
    expected = np.asarray(expected, dtype=np.int64)
    bad = np.nonzero(actual != expected)[0]
    if bad.size:
        rows = [f"x={inputs[i]!r} expected={int(expected[i]):#x} actual={int(actual[i]):#x}"
                for i in bad[:10]]
        pytest.fail(f"{bad.size} of {actual.size} codes differ:\n" + "\n".join(rows))


def finite_values(fmt):
    """Sorted distinct finite values of a <= 16-bit format (as float64)."""
    values = np.asarray(all_values(fmt), dtype=np.float64)
    return np.unique(values[np.isfinite(values)])


def boundary_values(values):
    """Every value, every midpoint between neighbours and the floats just either side of each, and
    the overflow boundary max + ulp(max)/2 (with its neighbours), max + ulp, 2 max, huge, +-inf, +-0."""
    mids = (values[:-1] + values[1:]) / 2
    top = values[-1]
    ulp = top - values[-2]
    edges = np.array([top + ulp / 2, top + ulp, 2 * top, 1e300])
    points = np.concatenate([values, mids, edges, -edges])
    near = np.concatenate([np.nextafter(points, np.inf), np.nextafter(points, -np.inf)])
    extremes = [0.0, -0.0, np.inf, -np.inf, 5e-324, -5e-324, 2.2250738585072014e-308, 1.7976931348623157e308,
                -1.7976931348623157e308]
    return np.concatenate([points, near, extremes])


def random_values(fmt_max, min_sub, rng, n):
    """n float64 values from several distributions: log-uniform over the whole range (subnormals and
    overflow included), uniform over the subnormal range, normals of three widths, uniform over
    +-2 max, and arbitrary finite float32 bit patterns."""
    lo, hi = math.log2(min_sub) - 4, math.log2(fmt_max) + 2
    k = n // 8
    sign = rng.choice([-1.0, 1.0], size=n)
    parts = [
        2.0 ** rng.uniform(lo, hi, size=3 * k),
        rng.uniform(0, 4 * min_sub * 2.0**3, size=k),
        np.abs(rng.normal(0, 1.0, size=k)),
        np.abs(rng.normal(0, fmt_max / 4, size=k)),
        rng.uniform(0, 2 * fmt_max, size=k),
    ]
    patterns = rng.integers(0, 1 << 32, size=n - 7 * k, dtype=np.uint32).view(np.float32)
    parts.append(np.abs(patterns[np.isfinite(patterns)]).astype(np.float64))
    values = np.concatenate(parts)
    return values * sign[: values.size]


# ---------------------------------------------------------------------------------------------
# ml_dtypes agreement (docs/formats.md#how-the-contract-is-checked: every code, and every tie,
# boundary and random value, for the nine formats ml_dtypes shares with hwgen)
# ---------------------------------------------------------------------------------------------
ML_NAMES = list(ML_PAIRS)


@pytest.mark.parametrize("name", ML_NAMES)
def test_decode_every_code_matches_ml_dtypes(name):
    fmt = get_format(name)
    codes = np.arange(1 << fmt.bits)
    same_floats(decode(fmt, codes), ml_decode(ML_PAIRS[name], fmt.bits, codes))


@pytest.mark.parametrize("name", ML_NAMES)
def test_encode_values_ties_and_boundaries_match_ml_dtypes(name):
    fmt = get_format(name)
    x = oracle_inputs(ML_PAIRS[name], boundary_values(finite_values(fmt)))
    assert_codes(encode(fmt, x), ml_encode(ML_PAIRS[name], fmt.bits, x), x)


@pytest.mark.parametrize("name", ML_NAMES)
def test_encode_every_code_value_round_trips_like_ml_dtypes(name):
    fmt = get_format(name)
    dtype = ML_PAIRS[name]
    codes = np.arange(1 << fmt.bits)
    values = ml_decode(dtype, fmt.bits, codes)
    keep = ~np.isnan(values)
    assert_codes(encode(fmt, values[keep]), codes[keep], values[keep])


@pytest.mark.parametrize("name", ML_NAMES + list(WIDE_PAIRS))
def test_encode_random_values_match_ml_dtypes(name):
    fmt = get_format(name)
    dtype = ML_PAIRS.get(name) or WIDE_PAIRS[name]
    rng = np.random.default_rng(sum(map(ord, name)))
    x = oracle_inputs(dtype, random_values(fmt.max, fmt.min_subnormal, rng, 120_000))
    assert x.size >= 100_000
    assert_codes(encode(fmt, x), ml_encode(dtype, fmt.bits, x), x)


@pytest.mark.parametrize("name", list(WIDE_PAIRS))
def test_wide_formats_ties_match_numpy(name):
    fmt = get_format(name)
    rng = np.random.default_rng(7)
    dtype = WIDE_PAIRS[name]
    codes = rng.integers(0, fmt.max_code_magnitude, size=20_000)
    codes = np.concatenate([codes, [0, 1, fmt.max_code_magnitude - 1, fmt.max_code_magnitude]])
    low = ml_decode(dtype, fmt.bits, codes)
    high = ml_decode(dtype, fmt.bits, codes + 1)  # the next code up (inf above max)
    top = np.isinf(high)
    high[top] = low[top] + (low[top] - ml_decode(dtype, fmt.bits, codes[top] - 1))  # max + ulp
    mids = (low + high) / 2
    x = np.concatenate([mids, -mids, np.nextafter(mids, 0), np.nextafter(mids, np.inf)])
    x = oracle_inputs(dtype, x)
    assert_codes(encode(fmt, x), ml_encode(dtype, fmt.bits, x), x)


@pytest.mark.parametrize("name", ML_NAMES)
def test_nan_input(name):
    fmt = get_format(name)
    if not fmt.has_nan:
        for bad in (np.nan, -np.nan, [1.0, np.nan]):
            with pytest.raises(ValueError, match="NaN"):
                encode(fmt, bad)
        return
    x = np.array([np.nan, -np.nan])
    codes = encode(fmt, x)
    assert_codes(codes, [ref.encode(fmt, np.nan), ref.encode(fmt, -np.nan)], x)
    assert_codes(codes, ml_encode(ML_PAIRS[name], fmt.bits, x), x)
    assert np.isnan(decode(fmt, codes)).all()


@pytest.mark.parametrize("name", ML_NAMES + list(WIDE_PAIRS))
def test_single_rounding_near_ties(name):
    """float64 inputs a hair either side of every tie (closer than float32 can resolve) round once,
    to the nearer neighbour: the case where a float32 intermediate (ml_dtypes) would round twice."""
    fmt = get_format(name)
    if fmt.bits <= 8:
        values = finite_values(fmt)
    else:
        codes = np.random.default_rng(5).integers(0, fmt.max_code_magnitude, 400)
        values = np.unique(np.concatenate([decode(fmt, codes), decode(fmt, codes + 1)]))
    mids = (values[:-1] + values[1:]) / 2
    mids = mids[mids != 0]
    x = np.concatenate([mids * (1 + 2.0**-40), mids * (1 - 2.0**-40), np.nextafter(mids, 0)])
    expected = [ref.encode(fmt, v) for v in x]
    assert_codes(encode(fmt, x), expected, x)
    if name == "fp8_e4m3fn":  # the example of the ml_encode docstring, by hand
        assert int(encode(fmt, np.nextafter(432.0, 0))) == 0x7D  # 416, the nearer neighbour


# The boundary examples of docs/formats.md#encoding, written out by hand.
BOUNDARIES = {
    "fp8_e4m3fn": [
        (464.0, 0x7E),  # tie between 448 (0x7E) and the virtual 480 (0x7F): even -> 448
        (-464.0, 0xFE),
        (464.1, 0x7F),  # above the tie: rounds to 480, beyond max -> NaN (S.1111.111)
        (-464.1, 0xFF),
        (np.inf, 0x7F),
        (-np.inf, 0xFF),  # no inf in fn: -inf -> -NaN
        (448.0, 0x7E),
        (2.0**-10, 0x00),  # half of the smallest subnormal 2^-9: tie, even -> +0
        (-(2.0**-10), 0x80),
        (1.5 * 2.0**-10, 0x01),  # -> 2^-9
        (2.0**-9, 0x01),
        (0.0, 0x00),
        (-0.0, 0x80),
    ],
    "fp8_e5m2": [
        (61439.0, 0x7B),  # below 61440 = 57344 + 4096 (half ulp): -> max 57344
        (61440.0, 0x7C),  # tie between 0x7B (odd) and the inf code 0x7C (even) -> +inf
        (-61440.0, 0xFC),
        (57344.0, 0x7B),
        (np.inf, 0x7C),
        (-np.inf, 0xFC),
        (np.nan, 0x7E),
        (-0.0, 0x80),
    ],
    "fp4_e2m1": [
        (0.25, 0x0),  # tie 0 (code 0) / 0.5 (code 1) -> 0
        (0.75, 0x2),  # tie 0.5 (code 1) / 1 (code 2) -> 1
        (2.5, 0x4),  # tie 2 (code 4) / 3 (code 5) -> 2
        (5.0, 0x6),  # tie 4 (code 6) / 6 (code 7) -> 4
        (5.1, 0x7),
        (100.0, 0x7),  # finite: saturate
        (np.inf, 0x7),
        (-np.inf, 0xF),
        (-5.0, 0xE),
        (-0.0, 0x8),
    ],
    "fp8_e4m3fnuz": [
        (-0.0, 0x00),  # no -0 in fnuz
        (-(2.0**-12), 0x00),
        (240.0, 0x7F),
        (247.9, 0x7F),
        (248.0, 0x80),  # tie 240 (0x7F, odd) / virtual 256 (0x80, even) -> beyond max -> NaN
        (np.inf, 0x80),
        (-np.inf, 0x80),
        (np.nan, 0x80),
    ],
}


@pytest.mark.parametrize("name", list(BOUNDARIES))
def test_boundaries_by_hand(name):
    fmt = get_format(name)
    x = [v for v, _ in BOUNDARIES[name]]
    expected = [c for _, c in BOUNDARIES[name]]
    assert_codes(encode(fmt, x), expected, x)
    assert_codes([ref.encode(fmt, v) for v in x], expected, x)  # the reference agrees too


# ---------------------------------------------------------------------------------------------
# Saturating mode (OCP SAT): every overflow, +-inf included, -> +-max; NaN stays NaN.
# ---------------------------------------------------------------------------------------------
SAT_BY_HAND = {
    "fp8_e4m3fn": [(464.1, 0x7E), (-464.1, 0xFE), (1e6, 0x7E), (np.inf, 0x7E), (-np.inf, 0xFE),
                   (464.0, 0x7E), (100.0, 0x6C)],
    "fp8_e5m2": [(61440.0, 0x7B), (-61440.0, 0xFB), (np.inf, 0x7B), (-np.inf, 0xFB), (61439.0, 0x7B)],
    "fp8_e4m3fnuz": [(np.inf, 0x7F), (-np.inf, 0xFF), (1e9, 0x7F)],
    "fp4_e2m1": [(np.inf, 0x7), (-100.0, 0xF), (5.0, 0x6)],
}


@pytest.mark.parametrize("name", list(SAT_BY_HAND))
def test_saturate_by_hand(name):
    fmt = get_format(name)
    x = [v for v, _ in SAT_BY_HAND[name]]
    expected = [c for _, c in SAT_BY_HAND[name]]
    assert_codes(encode(fmt, x, saturate=True), expected, x)


# ---------------------------------------------------------------------------------------------
# Every format of the registry plus grammar-built ones, against the reference
# ---------------------------------------------------------------------------------------------
INT4_HALF = TableFormat("int4_half", (0.5, *range(-7, 8)))  # INT4 with -8 replaced by 0.5
EXTRA = [
    "fp8_e4m3fnuz_b11", "fp5_e2m2fn", "fp5_e2m2_fn", "fp6_e3m2_ieee", "fp7_e4m2_finite", "fp4_e3m0fn",
    "fp6_e2m3fnuz", "fp10_e5m4_b3", "int4_sym", "uint3", "int8_sym_f6", "int5_f2",
    # M = 0 with an even bias: the tie parity must come from the code, not the input's exponent bit.
    "fp4_e3m0fnuz", "fp5_e4m0fn_b8",
]
_LISTED = [(f.name, f) for f in listed_formats() if f.kind != "block"]
_NAMED = _LISTED + [(n, get_format(n)) for n in EXTRA] + [("int4_half", INT4_HALF)]
SCALAR = [f for _, f in _NAMED]
SCALAR_IDS = [n for n, _ in _NAMED]


def test_registry_parametrization_is_broad():
    kinds = {type(f) for f in SCALAR}
    assert kinds == {IntFormat, MiniFloat, TableFormat}
    assert {f.policy for f in SCALAR if isinstance(f, MiniFloat)} == {"ieee", "fn", "fnuz", "finite"}
    assert len(set(SCALAR_IDS)) == len(SCALAR_IDS)


def sample_codes(fmt, rng):
    if fmt.bits <= 16:
        return np.arange(1 << fmt.bits)
    codes = rng.integers(0, 1 << fmt.bits, size=20_000)
    specials = [0, 1, 2, (1 << fmt.bits) - 1, 1 << (fmt.bits - 1), (1 << (fmt.bits - 1)) + 1]
    if isinstance(fmt, MiniFloat):
        mag = fmt.max_code_magnitude
        specials += [mag, mag - 1, mag + 1, (1 << fmt.man_bits) - 1, 1 << fmt.man_bits]
    return np.concatenate([codes, [s for s in specials if s < 1 << fmt.bits]])


@pytest.mark.parametrize("fmt", SCALAR, ids=SCALAR_IDS)
def test_decode_matches_reference(fmt):
    codes = sample_codes(fmt, np.random.default_rng(1))
    same_floats(decode(fmt, codes), [ref.decode(fmt, c).as_float() for c in codes])


def documented_duplicates(fmt, codes):
    """code -> the code encode gives its value, where that is not the code itself: only a symmetric
    integer's -2^(N-1), which decodes but is never produced (it encodes to -(2^(N-1) - 1))."""
    if isinstance(fmt, IntFormat) and fmt.symmetric:
        return {1 << (fmt.bits - 1): (1 << (fmt.bits - 1)) + 1}
    return {}


@pytest.mark.parametrize("fmt", SCALAR, ids=SCALAR_IDS)
def test_encode_of_decode_is_identity(fmt):
    codes = sample_codes(fmt, np.random.default_rng(2))
    x = decode(fmt, codes)
    keep = ~np.isnan(x)
    codes, x = codes[keep], x[keep]
    expected = codes.copy()
    for code, target in documented_duplicates(fmt, codes).items():
        expected[codes == code] = target
    assert_codes(encode(fmt, x), expected, x)
    saturated = expected.copy()  # SAT: the inf codes become +-max
    if fmt.has_inf:
        saturated[x == np.inf] = fmt.max_code_magnitude
        saturated[x == -np.inf] = fmt.max_code_magnitude | (1 << (fmt.bits - 1))
    assert_codes(encode(fmt, x, saturate=True), saturated, x)
    # the reference agrees (a sample of the wide formats' codes, to stay fast)
    some = np.random.default_rng(4).permutation(codes.size)[:3000]
    assert_codes([ref.encode(fmt, ref.decode(fmt, c)) for c in codes[some]], expected[some], x[some])


def top_codes(fmt):
    """The two largest finite positive codes (adjacent values: max and the value below it)."""
    if isinstance(fmt, MiniFloat):
        return [fmt.max_code_magnitude - 1, fmt.max_code_magnitude]
    if isinstance(fmt, IntFormat):
        top = (1 << (fmt.bits - 1)) - 1 if fmt.signed else (1 << fmt.bits) - 1
        return [top - 1, top]
    order = np.argsort(fmt.values)
    return list(order[-2:])


def encode_inputs(fmt, rng):
    """Values, midpoints (ties) and their float neighbours, overflow edges, and random values."""
    if fmt.bits <= 12:
        values = finite_values(fmt)
    else:  # random neighbouring code pairs give values and exact midpoints
        codes = rng.integers(0, 1 << fmt.bits, 3000)
        codes = np.concatenate([codes, (codes + 1) % (1 << fmt.bits), top_codes(fmt), [0, 1, 2]])
        values = np.asarray(decode(fmt, codes), np.float64)
        values = np.unique(values[np.isfinite(values)])
    points = boundary_values(values)
    top = float(np.max(np.abs(values)))
    small = float(np.min(np.abs(values[values != 0])))
    return np.concatenate([points, random_values(top, small, rng, 2000)])


@pytest.mark.parametrize("fmt", SCALAR, ids=SCALAR_IDS)
@pytest.mark.parametrize("saturate", [False, True], ids=["plain", "sat"])
def test_encode_matches_reference(fmt, saturate):
    x = encode_inputs(fmt, np.random.default_rng(3))
    actual = encode(fmt, x, saturate=saturate)
    assert_codes(actual, [ref.encode(fmt, v, saturate) for v in x], x)
    if saturate:  # SAT never produces inf or NaN from a non-NaN input
        assert np.isfinite(decode(fmt, actual)).all()


@pytest.mark.parametrize("fmt", SCALAR, ids=SCALAR_IDS)
def test_nan_policy(fmt):
    if not fmt.has_nan:
        with pytest.raises(ValueError, match="NaN"):
            encode(fmt, np.array([0.5, np.nan]))
        return
    x = [np.nan, -np.nan]
    codes = encode(fmt, x)
    assert_codes(codes, [ref.minifloat_nan_code(fmt, False), ref.minifloat_nan_code(fmt, True)], x)
    assert np.isnan(decode(fmt, codes)).all()
    assert_codes(encode(fmt, x, saturate=True), codes, x)


def test_dint4_table_and_ties_by_hand():
    fmt = get_format("dint4")
    np.testing.assert_array_equal(
        all_values(fmt), [0.5, 1, 2, 3, 4, 5, 6, 7, -0.5, -1, -2, -3, -4, -5, -6, -7]
    )
    cases = [
        (0.0, 0),  # tie 0.5 (code 0) / -0.5 (code 8): both even -> lower code 0
        (-0.0, 0),
        (0.75, 0),  # tie 0.5 (code 0) / 1 (code 1): even -> 0.5
        (1.5, 2),  # tie 1 (code 1) / 2 (code 2) -> 2
        (2.5, 2),  # tie 2 (code 2) / 3 (code 3) -> 2
        (3.5, 4),
        (6.5, 6),
        (-0.75, 8),  # tie -0.5 (code 8) / -1 (code 9) -> -0.5
        (-1.5, 10),
        (7.4, 7),
        (100.0, 7),  # beyond the end: the end value
        (-np.inf, 15),
        (np.inf, 7),
        (0.25, 0),
        (-0.25, 8),
        (0.2, 0),
    ]
    x = [v for v, _ in cases]
    assert_codes(encode(fmt, x), [c for _, c in cases], x)
    assert_codes([ref.encode(fmt, v) for v in x], [c for _, c in cases], x)


def test_int_rounding_by_hand():
    cases = {
        "int4": [(2.5, 2), (3.5, 4), (-2.5, 0xE), (-8.5, 0x8), (7.5, 7), (-9.0, 8), (np.inf, 7), (-0.0, 0)],
        "int4_sym": [(-8.0, 0x9), (-7.5, 0x9), (-100.0, 0x9), (7.6, 7)],
        "uint3": [(-1.0, 0), (6.5, 6), (7.5, 7), (0.5, 0), (1.5, 2), (-np.inf, 0)],
        "int8_sym_f6": [(1.0, 64), (-2.0, 0x81), (2 ** -7, 0), (3 * 2 ** -7, 2), (-1.0, 0xC0)],
    }
    for name, rows in cases.items():
        fmt = get_format(name)
        x = [v for v, _ in rows]
        assert_codes(encode(fmt, x), [c for _, c in rows], x)
        assert_codes(encode(fmt, x, saturate=True), [c for _, c in rows], x)


def test_fixed_point_encode_of_huge_values_saturates_quietly():
    # docs/formats.md#integers-and-fixed-point: round, then clip.
    # A finite float64 whose scaled value overflows float64
    # (|x| * 2^frac_bits >= 2^1024) must still clip to the end code, without a NumPy warning (the
    # project runs with warnings as errors).
    fmt = get_format("int8_sym_f6")
    x = np.array([1e308, -1.7976931348623157e308, 2.0**1018])
    assert_codes(encode(fmt, x), [0x7F, 0x81, 0x7F], x)


@pytest.mark.parametrize(("name", "value", "code"), [
    ("fp4_e3m0fnuz", 0.1875, 0x2),  # halfway between 0.125 (code 1) and 0.25 (code 2): the even code
    ("fp5_e4m0fn_b8", 0.75, 0x8),   # halfway between 0.5 (code 7) and 1.0 (code 8)
    ("fp4_e3m0fn", 0.375, 0x2),     # odd bias: halfway between 0.25 (code 1) and 0.5 (code 2)
])
def test_zero_mantissa_ties_go_to_the_even_code(name, value, code):
    assert encode(name, [value]).tolist() == [code]
    assert encode(name, np.array([value], dtype=np.float32)).tolist() == [code]
