"""The NN-LUT golden model (hwgen.nnlut.evaluate) against an independent Fraction oracle, and its API.

The oracle below re-implements the table's contract (hwgen.nnlut.table's docstring) in plain Python:
input values from tests/reference.py's decode, exact Fractions for the grid, the range reduction and
the multiply-add, and reference.encode (saturating) for the one output rounding. It shares nothing
with the golden model but the table's integers.
"""

import dataclasses
import math
from fractions import Fraction
from functools import cache

import numpy as np
import pytest
import reference as ref

from hwgen.formats import get_format
from hwgen.golden import decode, encode
from hwgen.nnlut import evaluate, evaluate_codes, make_table, table_from_description
from hwgen.nnlut.evaluate import reduce_inputs
from hwgen.nnlut.fit import approximation_errors, cached_fit
from hwgen.nnlut.functions import get_function
from hwgen.nnlut.table import NnLutTable, quantize_pwl, uniform_lut_table


@cache
def table(function, entries, in_format, out_format, frac_bits=None):
    return make_table(function, entries, in_format, out_format, frac_bits=frac_bits)


def oracle(t: NnLutTable, code: int) -> int:
    """The output code of ``code``, from the contract, exactly."""
    in_fmt, out_fmt = get_format(t.in_format), get_format(t.out_format)
    nan_code = ref.encode(out_fmt, math.nan) if out_fmt.has_nan else 0
    x = ref.decode(in_fmt, code)
    if x.kind == "nan":
        return nan_code
    scale, negative = 0, False
    if t.reduction == "clamp":
        if x.kind == "inf":
            u = t.lo if x.neg else t.hi
        else:
            grid = min(max(x.value * 2**t.x_frac, Fraction(t.lo)), Fraction(t.hi))
            u = math.trunc(grid)  # toward zero
    else:
        negative = x.neg
        if t.reduction == "rsqrt" and x.neg and not (x.kind == "num" and x.mag == 0):
            return nan_code
        if x.kind == "inf":
            return ref.encode(out_fmt, ref.Val("num", x.neg, Fraction(0)), saturate=True)
        if x.mag == 0:
            return ref.encode(out_fmt, ref.Val("inf", x.neg), saturate=True)
        e = ref.floor_log2(x.mag)
        mantissa = x.mag / ref.pow2(e) * 2**t.x_frac
        assert mantissa.denominator == 1
        u = int(mantissa)
        if t.reduction == "rsqrt":
            if e % 2:
                u, e = 2 * u, e - 1
            scale = -e // 2
        else:
            scale = -e
    k = sum(1 for b in t.breakpoints if b <= u)
    p = t.slopes[k] * u + t.intercepts[k] * 2 ** (t.product_frac - t.intercept_frac)
    value = Fraction(p) * ref.pow2(scale - t.product_frac)
    if negative:
        value = -value
    sign = value < 0 or (value == 0 and negative)
    return ref.encode(out_fmt, ref.Val("num", sign, abs(value)), saturate=True)


def differences(codes, want, got) -> list:
    return [(hex(c), hex(w), hex(g)) for c, w, g in zip(codes, want, got, strict=True) if w != g][:5]


def special_codes(fmt_name: str) -> list[int]:
    """Zeros, infinities, NaNs, extremes and the neighbours of 1 of a 16-bit format."""
    fmt = get_format(fmt_name)
    values = [0.0, -0.0, 1.0, -1.0, 2.0, 0.5, 3.0, 4.0, 0.25, -2.0, fmt.max, -fmt.max, fmt.min_subnormal,
              -fmt.min_subnormal, fmt.min_normal, 7.99, -7.99, 8.0, -8.0, 100.0, -100.0]
    if fmt.has_inf:
        values += [math.inf, -math.inf]
    codes = [int(c) for c in encode(fmt, np.array(values), saturate=True)]
    if fmt.has_nan:
        codes += [fmt.nan_code(False), fmt.nan_code(True)]
    return codes


CONFIGS_8 = [
    ("gelu", "int8_f4", "int8_f3"), ("exp", "int8_f4", "int8_f6"), ("reciprocal", "int8_f4", "int8_f2"),
    ("rsqrt", "int8_f4", "int8_f4"), ("silu", "fp8_e4m3fn", "fp8_e4m3fn"), ("tanh", "fp8_e5m2", "fp8_e5m2"),
    ("reciprocal", "fp8_e4m3fn", "fp8_e4m3fn"), ("rsqrt", "fp8_e5m2", "fp16"),
    ("exp", "fp8_e5m2", "uint8_f7"),
    ("reciprocal", "fp8_e4m3fnuz", "fp8_e4m3fnuz"), ("rsqrt", "fp8_e4m3fnuz", "bf16"),
    ("gelu", "uint8_f5", "fp8_e5m2"), ("tanh", "fp8_e4m3fn", "int8_f6"), ("reciprocal", "int8", "bf16"),
    ("reciprocal", "uint8_f4", "uint16_f8"), ("silu", "int8", "int16_f8"),
]
CONFIGS_16 = [
    ("gelu", "fp16", "fp16"), ("exp", "bf16", "bf16"), ("reciprocal", "fp16", "fp16"),
    ("rsqrt", "bf16", "bf16"), ("silu", "int16_f12", "int16_f11"), ("tanh", "int16_f12", "fp16"),
    ("reciprocal", "int16_f12", "int16_f3"),
    ("rsqrt", "int16_f12", "int16_f8"), ("reciprocal", "bf16", "fp8_e4m3fn"), ("exp", "fp16", "int8_f6"),
]


@pytest.mark.parametrize(("function", "in_format", "out_format"), CONFIGS_8, ids="-".join)
def test_every_8_bit_code_matches_the_oracle(function, in_format, out_format):
    t = table(function, 16, in_format, out_format)
    codes = np.arange(256)
    got = evaluate_codes(t, codes)
    want = np.array([oracle(t, int(c)) for c in codes])
    assert np.array_equal(got, want), differences(codes, want, got)


@pytest.mark.parametrize(("function", "in_format", "out_format"), CONFIGS_16, ids="-".join)
def test_16_bit_codes_match_the_oracle(function, in_format, out_format):
    t = table(function, 16, in_format, out_format)
    rng = np.random.default_rng(7)
    codes = np.concatenate([rng.integers(0, 1 << 16, 2500), special_codes(in_format)])
    got = evaluate_codes(t, codes)
    want = np.array([oracle(t, int(c)) for c in codes])
    assert np.array_equal(got, want), differences(codes, want, got)


def test_segment_boundaries_match_the_oracle():
    """Inputs right at and next to every breakpoint (the comparisons' edge cases)."""
    t = table("gelu", 32, "int16_f12", "fp16")
    grid = np.array([b + d for b in t.breakpoints for d in (-1, 0, 1)])
    codes = grid & 0xFFFF
    assert np.array_equal(evaluate_codes(t, codes), [oracle(t, int(c)) for c in codes])


def test_a_coarser_grid_truncates_toward_zero():
    """x_frac below the input's fraction bits: the grid value is the input truncated toward zero."""
    t = make_table("tanh", 16, "int16_f12", "int16_f14", x_frac=8)
    steps = np.array([-1.5, -1.0, -0.5, 0.5, 1.0, 1.75]) * 2.0**-8
    assert list(reduce_inputs(t, encode("int16_f12", steps)).u) == [-1, -1, 0, 0, 1, 1]
    codes = np.random.default_rng(5).integers(0, 1 << 16, 2000)
    assert np.array_equal(evaluate_codes(t, codes), [oracle(t, int(c)) for c in codes])


def test_uniform_lut_table_matches_the_oracle():
    t = uniform_lut_table("tanh", "fp8_e4m3fn", "fp8_e4m3fn", 3)
    assert t.entries == 64 and t.constant and t.uniform_shift() == t.x_frac - 3
    codes = np.arange(256)
    assert np.array_equal(evaluate_codes(t, codes), [oracle(t, int(c)) for c in codes])


# -- specials, written out --------------------------------------------------------------------

def value(fmt, number) -> int:
    return int(encode(fmt, [number])[0])


@pytest.mark.parametrize(("function", "x", "expected"), [
    ("reciprocal", 0.0, "max"), ("reciprocal", -0.0, "-max"), ("reciprocal", math.inf, 0.0),
    ("reciprocal", -math.inf, -0.0), ("reciprocal", math.nan, math.nan), ("rsqrt", -1.0, math.nan),
    ("rsqrt", -math.inf, math.nan), ("rsqrt", math.inf, 0.0), ("rsqrt", 0.0, "max"), ("rsqrt", -0.0, "-max"),
    ("reciprocal", 2.0**-24, "max"),  # 2^24 saturates fp16
])
def test_special_inputs(function, x, expected):
    t = table(function, 16, "fp16", "fp16")
    got = int(evaluate_codes(t, [value("fp16", x)])[0])
    fmt = get_format("fp16")
    want = {"max": 0x7BFF, "-max": 0xFBFF}.get(expected)
    if want is None:
        nan = isinstance(expected, float) and math.isnan(expected)
        want = fmt.nan_code(False) if nan else value(fmt, expected)
    assert got == want, (hex(got), hex(want))


def test_nan_into_an_output_without_nan_is_zero():
    t = table("gelu", 16, "fp16", "int16_f11")
    assert evaluate_codes(t, [get_format("fp16").nan_code(False)])[0] == 0


def test_inputs_beyond_the_range_clamp():
    t = table("gelu", 16, "fp16", "fp16")
    top = evaluate(t, np.array([8.0]))[0]
    assert np.array_equal(evaluate(t, np.array([9.0, 1000.0, math.inf])), [top] * 3)
    bottom = evaluate(t, np.array([-8.0]))[0]
    assert np.array_equal(evaluate(t, np.array([-9.0, -1e4, -math.inf])), [bottom] * 3)
    exp = table("exp", 16, "fp16", "fp16")
    assert np.array_equal(evaluate(exp, np.array([0.5, 3.0])), evaluate(exp, np.array([0.0, 0.0])))


def test_range_reduction_scales_by_powers_of_two():
    """1/(m 2^e) = (1/m) 2^-e exactly on the table's grid; rsqrt moves odd exponents into m."""
    t = table("reciprocal", 16, "fp16", "fp16")
    mantissas = np.array([1.0, 1.25, 1.5, 1.75, 1.99])
    base = evaluate(t, mantissas)
    for e in (-10, -3, 1, 7):
        assert np.array_equal(evaluate(t, mantissas * 2.0**e), base * 2.0**-e)
    r = table("rsqrt", 16, "fp16", "fp16")
    assert np.array_equal(evaluate(r, mantissas * 4.0), evaluate(r, mantissas) / 2)
    assert evaluate(r, np.array([2.0]))[0] == evaluate(r, np.array([8.0]))[0] * 2
    reduced = reduce_inputs(r, encode("fp16", [2.0, 8.0]))
    assert list(reduced.u) == [2 << 10, 2 << 10] and list(reduced.scale) == [0, -1]


# -- the float API ----------------------------------------------------------------------------

def test_evaluate_on_floats_keeps_shape_and_dtype():
    t = table("gelu", 16, "fp16", "fp16")
    x = np.linspace(-6, 6, 24, dtype=np.float32).reshape(2, 3, 4)
    y = evaluate(t, x)
    assert y.shape == x.shape and y.dtype == np.float32
    codes = encode("fp16", x.astype(np.float64).reshape(-1))
    assert np.array_equal(y.reshape(-1), decode("fp16", evaluate_codes(t, codes)).astype(np.float32))


@pytest.mark.parametrize("function", ["gelu", "exp", "reciprocal", "rsqrt", "silu", "tanh"])
def test_quantized_table_stays_close_to_the_function(function):
    """fp16 in and out: the float fit's error plus half an output ulp and the 16-bit grids' slack."""
    fn = get_function(function)
    t = table(function, 16, "fp16", "fp16")
    fit = cached_fit(function, 16)
    fit_error = approximation_errors(fn, fit.pwl, fit.lo, fit.hi).max
    x = np.linspace(0.01, 100, 20001) if fn.reduced else np.linspace(fn.lo, fn.hi, 20001)
    x = decode("fp16", encode("fp16", x))
    y = fn(x)
    half_ulp = np.spacing(np.abs(y).astype(np.float16)).astype(np.float64) / 2
    if fn.reduced:  # the table's error is on m in [1, 2) or [1, 4); the result scales it by 2^-e or 2^(-e/2)
        e = np.floor(np.log2(x))
        scale = 2.0**-e if function == "reciprocal" else 2.0 ** -((e - e % 2) / 2)
        allowed = (fit_error + 2.0**-14) * scale + half_ulp
    else:
        allowed = fit_error + 2.0**-12 + half_ulp
    assert np.all(np.abs(evaluate(t, x) - y) <= allowed)


# -- the table object -------------------------------------------------------------------------

def test_describe_round_trips():
    t = table("rsqrt", 16, "fp8_e4m3fn", "fp16")
    assert table_from_description(t.describe()) == t


@pytest.mark.parametrize(("change", "message"), [
    ({"x_frac": 5}, "needs x_frac 3"),
    ({"breakpoints": (7, 6, 5, 4, 3, 2, 1)}, "must be sorted"),
    ({"slopes": (1, 2)}, "one slope and intercept per entry"),
    ({"intercept_frac": 40}, "intercept frac must be between 0 and 32, not 40"),
    ({"out_format": "dint4"}, "output format must be an integer / fixed-point or minifloat format"),
    ({"in_format": "fp32"}, "input format must have at most 16 bits"),
    ({"lo": 0}, "table range must be"),
])
def test_inconsistent_tables_are_rejected(change, message):
    t = table("reciprocal", 8, "fp8_e4m3fn", "fp8_e4m3fn")
    if "slopes" in change:
        change = {"slopes": change["slopes"]}
    with pytest.raises((ValueError, TypeError), match=message):
        dataclasses.replace(t, **change)


def test_output_that_cannot_hold_the_function_is_rejected():
    fit_table = table("exp", 8, "int8_f4", "int8_f6")
    fit = cached_fit("exp", 8)
    with pytest.raises(ValueError, match=r"output format int8_f7 .* cannot hold exp"):
        quantize_pwl("exp", fit.pwl, "int8_f4", "int8_f7")
    with pytest.raises(ValueError, match="cannot hold gelu"):
        make_table("gelu", 8, "fp16", "uint8_f4")
    with pytest.raises(ValueError, match="signed output format"):
        make_table("reciprocal", 8, "int8_f4", "uint8_f4")
    assert fit_table.out_format == "int8_f6"


def test_too_wide_a_datapath_is_rejected():
    with pytest.raises(ValueError, match=r"multiply-add needs .* bits"):
        make_table("gelu", 8, "fp16", "fp16", frac_bits=24, x_frac=24)
