"""The rounding multiplier (``mul --result``) and the adder (``add``): specs, the golden model
(``hwgen.golden.arith``) against independent oracles, the edge-heavy stimulus, the CLI.

Oracles (docs/formats.md#rounding-multiply-and-add-units):

* NumPy's float32 (fp32 multiply and add: IEEE single arithmetic, correctly rounded, subnormals kept);
* NumPy's float16 (fp16): it computes in float32 and rounds to half. A product of two 11-bit
  significands is exact in float32, and float32's 24 bits are at least 2 x 11 + 2, which makes the
  double rounding of a sum innocuous, so both are correctly rounded;
* ml_dtypes' bfloat16 (bf16): it computes in float32 too. A sum is again exact enough, but a product
  below float32's smallest normal (2^-126) is rounded to float32's subnormal grid first and then to
  bf16's: double rounding. Those products are left to the exact oracle;
* ml_dtypes' 8-bit floats, every pair (8-bit products and sums are exact in float32);
* ``tests/reference.py``: exact ``fractions.Fraction`` arithmetic and rounding, on samples of every
  case class (ties, subnormal results, overflow, underflow to zero, zeros, NaN, inf, cancellation).

NaN results are compared as NaN against NumPy and ml_dtypes (their NaN payloads and signs vary), and
code for code against the exact reference: an invalid operation gives ``nan_code(False)``, an fn
overflow the NaN code with the result's sign.
"""

import subprocess
import sys
from fractions import Fraction

import ml_dtypes
import numpy as np
import pytest
import reference as ref

from hwgen.cli import main
from hwgen.formats import get_format
from hwgen.golden import decode
from hwgen.golden.arith import add, multiply
from hwgen.golden.codec import split
from hwgen.sim.arith_stimulus import add_pairs, exhaustive_pairs, mul_pairs
from hwgen.specs import AddSpec, MulSpec, make_spec

# -- specs ----------------------------------------------------------------------------------------------


def test_the_exact_multiplier_keeps_its_identity():
    spec = MulSpec("float16", "half")
    assert spec.result is None and spec.to_json() == '{"a":"fp16","b":"fp16"}'
    assert (spec.module_name, spec.label) == ("mul_fp16", "fp16 mul")
    assert make_spec("mul", {"a": "fp16", "b": "fp16", "result": None}) == spec


@pytest.mark.parametrize(("spec", "name", "label", "json"), [
    (MulSpec("fp16", "fp16", "half"), "mul_fp16_to_fp16", "fp16 mul->fp16",
     '{"a":"fp16","b":"fp16","result":"fp16"}'),
    (MulSpec("bfloat16", "bf16", "bf16"), "mul_bf16_to_bf16", "bf16 mul->bf16",
     '{"a":"bf16","b":"bf16","result":"bf16"}'),
    (MulSpec("e4m3", "e5m2", "fp32"), "mul_fp8_e4m3fn_fp8_e5m2_to_fp32", "fp8_e4m3fnxfp8_e5m2 mul->fp32",
     '{"a":"fp8_e4m3fn","b":"fp8_e5m2","result":"fp32"}'),
    (AddSpec("float32"), "add_fp32", "fp32 add", '{"format":"fp32"}'),
    (AddSpec("int32"), "add_int32", "int32 add", '{"format":"int32"}'),
    (AddSpec("uint16"), "add_uint16", "uint16 add", '{"format":"uint16"}'),
])
def test_spec_names(spec, name, label, json):
    assert (spec.module_name, spec.label, spec.to_json(), spec.latency, spec.ii) == (name, label, json, 2, 1)
    assert make_spec(spec.kind, spec.options()) == spec


RESULTS = "a minifloat with a NaN code (policy ieee, fn or fnuz: fp32, fp16, bf16, fp8_e4m3fn, ...)"


@pytest.mark.parametrize(("kind", "options", "message"), [
    ("mul", {"a": "fp16", "b": "fp16", "result": "int8"},
     f"result must be {RESULTS}, not int8 (an integer format)"),
    ("mul", {"a": "fp16", "b": "fp16", "result": "fp4_e2m1"},
     f"result must be {RESULTS}, not fp4_e2m1 (policy finite)"),
    ("mul", {"a": "fp16", "b": "fp16", "result": "nope"},
     f"result must be {RESULTS}, not 'nope' (unknown format)"),
    ("mul", {"a": "fp16", "b": "fp16", "result": "mxfp4"},
     f"result must be {RESULTS}, not 'mxfp4' (a block format)"),
    ("mul", {"a": "int8", "b": "fp16", "result": "fp16"},
     "a rounding multiply (result fp16) takes minifloat operands, not a = int8; leave result unset for the "
     "exact product"),
    ("mul", {"a": "fp16", "b": "dint4", "result": "fp16"},
     "a rounding multiply (result fp16) takes minifloat operands, not b = dint4"),
    ("add", {"format": "dint4"}, "format must be an integer format (int32, int16, uint32, int8_f4, ...) or "
                                 "a minifloat with a NaN code (fp32, fp16, bf16, fp8_e4m3fn, ...), not dint4 "
                                 "(a table format)"),
    ("add", {"format": "fp6_e3m2"}, "format must be a minifloat with a NaN code (policy ieee, fn or fnuz: "
                                    "fp32, fp16, bf16, fp8_e4m3fn, ...), not fp6_e3m2 (policy finite)"),
    ("add", {"format": "mxfp8"}, "format must be an integer format"),
    ("add", {}, "a add unit needs format"),
])
def test_bad_options_are_one_line_errors(kind, options, message):
    with pytest.raises(ValueError) as error:
        make_spec(kind, options)
    assert message in str(error.value) and "\n" not in str(error.value)


def test_a_refused_unit_is_refused_before_it_exists():
    """The generators refuse what the specs refuse (no unused component is left to warn about)."""
    import gc

    from hwgen.gen.adder import AddUnit
    from hwgen.gen.multiplier import MulUnit

    with pytest.raises(ValueError, match="takes minifloat operands"):
        MulUnit("int8", "int8", "fp16")
    with pytest.raises(ValueError, match="not fp4_e2m1 \\(policy finite\\)"):
        AddUnit("fp4_e2m1")
    gc.collect()


# -- the golden model against the oracles -------------------------------------------------------------

STORAGE = {8: np.uint8, 16: np.uint16, 32: np.uint32}


def nan_codes(fmt, codes) -> np.ndarray:
    return split(fmt, np.asarray(codes, dtype=np.int64)).nan


def assert_same(fmt, golden, oracle, a_codes, b_codes, what: str, where=None):
    """Golden and oracle codes agree (NaN as NaN); the golden NaNs are NaN codes of either sign, the
    positive one unless an fn format overflowed."""
    fmt = get_format(fmt)
    golden, oracle = np.asarray(golden, dtype=np.int64), np.asarray(oracle, dtype=np.int64)
    both_nan = nan_codes(fmt, golden) & nan_codes(fmt, oracle)
    wrong = (golden != oracle) & ~both_nan
    if where is not None:
        wrong &= where
    bad = np.flatnonzero(wrong)
    lines = [f"{a_codes[i]:#x} {what} {b_codes[i]:#x}: golden {golden[i]:#x}, oracle {oracle[i]:#x}"
             for i in bad[:5]]
    assert not len(bad), f"{len(bad)} mismatches:\n" + "\n".join(lines)
    nans = golden[nan_codes(fmt, golden)]
    assert np.all((nans == fmt.nan_code(False)) | (nans == fmt.nan_code(True)))


def numpy_result(dtype, bits, a_codes, b_codes, op):
    storage = STORAGE[bits]
    x = np.asarray(a_codes).astype(storage).view(dtype)
    y = np.asarray(b_codes).astype(storage).view(dtype)
    with np.errstate(all="ignore"):
        z = np.asarray(op(x, y), dtype=dtype)
    return z.view(storage).astype(np.int64)


NUMPY_TYPES = {"fp32": (np.float32, 32), "fp16": (np.float16, 16), "bf16": (ml_dtypes.bfloat16, 16)}


def sample_pairs(fmt: str, unit: str, count: int, seed: int):
    """Edge-heavy pairs (the verification's stimulus) and as many uniform ones."""
    pairs = mul_pairs(fmt, fmt, fmt, count, seed) if unit == "mul" else add_pairs(fmt, count, seed)
    rng = np.random.default_rng(seed + 100)
    bits = get_format(fmt).bits
    uniform = rng.integers(0, 1 << bits, (2, count))
    return np.concatenate([pairs.a_codes, uniform[0]]), np.concatenate([pairs.b_codes, uniform[1]])


@pytest.mark.parametrize("fmt", NUMPY_TYPES)
def test_multiply_matches_numpy_and_ml_dtypes(fmt):
    dtype, bits = NUMPY_TYPES[fmt]
    a_codes, b_codes = sample_pairs(fmt, "mul", 100_000, seed=1)
    golden = multiply(a_codes, b_codes, fmt, fmt, fmt)
    oracle = numpy_result(dtype, bits, a_codes, b_codes, np.multiply)
    where = None
    if fmt == "bf16":  # ml_dtypes rounds products below float32's normal range twice: left to the reference
        with np.errstate(invalid="ignore"):  # inf x 0
            exact = np.abs(decode(fmt, a_codes) * decode(fmt, b_codes))  # 16-bit products: exact in float64
        where = ~((exact > 0) & (exact < 2.0**-126))
        assert (~where).sum() > 1000  # the stimulus holds many of them; test_reference checks them
    assert_same(fmt, golden, oracle, a_codes, b_codes, "x", where)


@pytest.mark.parametrize("fmt", NUMPY_TYPES)
def test_add_matches_numpy_and_ml_dtypes(fmt):
    dtype, bits = NUMPY_TYPES[fmt]
    a_codes, b_codes = sample_pairs(fmt, "add", 100_000, seed=2)
    golden = add(a_codes, b_codes, fmt)
    assert_same(fmt, golden, numpy_result(dtype, bits, a_codes, b_codes, np.add), a_codes, b_codes, "+")


ML_FP8 = {"fp8_e4m3fn": ml_dtypes.float8_e4m3fn, "fp8_e5m2": ml_dtypes.float8_e5m2,
          "fp8_e4m3fnuz": ml_dtypes.float8_e4m3fnuz, "fp8_e4m3_ieee": ml_dtypes.float8_e4m3}


@pytest.mark.parametrize("fmt", ML_FP8)
def test_every_8_bit_pair_matches_ml_dtypes(fmt):
    pairs = exhaustive_pairs(fmt, fmt)
    for op, golden in ((np.multiply, multiply(*pairs, fmt, fmt, fmt)), (np.add, add(*pairs, fmt))):
        oracle = numpy_result(ML_FP8[fmt], 8, *pairs, op)
        assert_same(fmt, golden, oracle, *pairs, op.__name__)


# -- the exact (Fraction) reference -------------------------------------------------------------------

def ref_multiply(a, b, r, ca: int, cb: int) -> int:
    x, y = ref.decode(a, ca), ref.decode(b, cb)
    neg = x.neg != y.neg
    zero_x, zero_y = x.kind == "num" and x.mag == 0, y.kind == "num" and y.mag == 0
    if "nan" in (x.kind, y.kind) or (x.kind == "inf" and zero_y) or (zero_x and y.kind == "inf"):
        return ref.minifloat_nan_code(r, False)
    if "inf" in (x.kind, y.kind):
        return ref.encode(r, ref.Val("inf", neg))
    return ref.encode(r, ref.Val("num", neg, x.mag * y.mag))


def ref_add(fmt, ca: int, cb: int) -> int:
    x, y = ref.decode(fmt, ca), ref.decode(fmt, cb)
    if "nan" in (x.kind, y.kind) or (x.kind == y.kind == "inf" and x.neg != y.neg):
        return ref.minifloat_nan_code(fmt, False)
    if "inf" in (x.kind, y.kind):
        return ref.encode(fmt, x if x.kind == "inf" else y)
    total = x.value + y.value
    if total == 0:  # x + (-x) = +0; -0 + -0 = -0
        return ref.encode(fmt, ref.Val("num", x.neg and y.neg))
    return ref.encode(fmt, ref.Val("num", total < 0, abs(total)))


def exact_classes(fmt, codes_and_values) -> dict:
    """How many results of each case class a sample holds: {class: count} (from the reference)."""
    counts = dict.fromkeys(("tie", "subnormal", "overflow", "underflow", "zero", "nan", "inf"), 0)
    emin = Fraction(2) ** (1 - fmt.bias)
    for kind, value in codes_and_values:
        if kind != "num":
            counts[kind] += 1
            continue
        if value == 0:
            counts["zero"] += 1
            continue
        mag = abs(value)
        q = Fraction(2) ** (max(ref.floor_log2(mag), 1 - fmt.bias) - fmt.man_bits)
        counts["tie"] += (mag / q).denominator == 2
        counts["subnormal"] += mag < emin
        counts["underflow"] += mag <= q / 2 and mag < emin
        counts["overflow"] += mag >= get_format(fmt.name).max
    return counts


MUL_CONFIGS = [("fp16", "fp16", "fp16"), ("bf16", "bf16", "bf16"), ("fp32", "fp32", "fp32"),
               ("fp8_e4m3fn", "fp8_e5m2", "fp16"), ("fp8_e4m3fnuz", "fp8_e4m3fnuz", "fp8_e4m3fnuz"),
               ("fp16", "bf16", "fp8_e4m3fn"), ("fp4_e2m1", "fp6_e3m2", "fp8_e4m3_ieee"),
               ("bf16", "fp16", "fp32")]


@pytest.mark.parametrize(("a", "b", "r"), MUL_CONFIGS, ids=["-".join(c) for c in MUL_CONFIGS])
def test_multiply_matches_the_exact_reference(a, b, r):
    a_fmt, b_fmt, r_fmt = (get_format(f) for f in (a, b, r))
    pairs = mul_pairs(a, b, r, 6000, seed=3)
    golden = multiply(*pairs, a, b, r)
    want = [ref_multiply(a_fmt, b_fmt, r_fmt, int(x), int(y)) for x, y in zip(*pairs, strict=True)]
    assert_same(r, golden, want, *pairs, "x")
    products = []
    for x, y in zip(*pairs, strict=True):
        u, v = ref.decode(a_fmt, int(x)), ref.decode(b_fmt, int(y))
        kinds = {u.kind, v.kind}
        products.append(("nan", 0) if "nan" in kinds else ("inf", 0) if "inf" in kinds
                        else ("num", u.value * v.value))
    counts = exact_classes(r_fmt, products)
    # Every class the formats can make is there in force (fp4 x fp6 products, at least 2^-5, are
    # never subnormal in fp8_e4m3_ieee, and never NaN).
    smallest, largest = a_fmt.min_subnormal * b_fmt.min_subnormal, a_fmt.max * b_fmt.max
    possible = {"tie": True, "zero": True, "nan": a_fmt.has_nan or b_fmt.has_nan,
                "subnormal": smallest < r_fmt.min_normal, "underflow": smallest <= r_fmt.min_subnormal / 2,
                "overflow": largest > r_fmt.max}
    for kind, can in possible.items():
        assert counts[kind] >= 60 if can else counts[kind] == 0, (kind, counts)


ADD_FORMATS = ["fp16", "bf16", "fp32", "fp8_e4m3fn", "fp8_e5m2fnuz", "fp12_e5m6fn"]


@pytest.mark.parametrize("fmt", ADD_FORMATS)
def test_add_matches_the_exact_reference(fmt):
    f = get_format(fmt)
    pairs = add_pairs(fmt, 6000, seed=4)
    golden = add(*pairs, fmt)
    assert_same(fmt, golden, [ref_add(f, int(x), int(y)) for x, y in zip(*pairs, strict=True)], *pairs, "+")
    sums = []
    for x, y in zip(*pairs, strict=True):
        u, v = ref.decode(f, int(x)), ref.decode(f, int(y))
        kinds = {u.kind, v.kind}
        sums.append(("nan", 0) if "nan" in kinds else ("inf", 0) if "inf" in kinds
                    else ("num", u.value + v.value))
    counts = exact_classes(f, sums)
    for kind in ("tie", "subnormal", "zero", "nan", "overflow"):
        assert counts[kind] >= 60, counts
    cancelled = sum(1 for x, y in zip(*pairs, strict=True) if int(x) ^ int(y) == 1 << (f.bits - 1))
    assert cancelled >= 200  # x + (-x)


def test_every_fp8_e4m3fn_product_matches_the_exact_reference():
    fmt = get_format("fp8_e4m3fn")
    pairs = exhaustive_pairs(fmt, fmt)
    want = [ref_multiply(fmt, fmt, fmt, int(x), int(y)) for x, y in zip(*pairs, strict=True)]
    assert_same(fmt, multiply(*pairs, fmt, fmt, fmt), want, *pairs, "x")


@pytest.mark.parametrize("fmt", ["int32", "int16", "uint32", "int8_f4", "uint1", "int8_sym"])
def test_integer_add_wraps(fmt):
    f = get_format(fmt)
    pairs = add_pairs(fmt, 5000, seed=5)
    want = [(ref.decode(f, int(x)).value + ref.decode(f, int(y)).value) * 2**f.frac_bits
            for x, y in zip(*pairs, strict=True)]
    want = [int(w) & ((1 << f.bits) - 1) for w in want]
    assert add(*pairs, fmt).tolist() == want
    if f.bits > 2:
        wrapped = sum(1 for w, x, y in zip(want, *pairs, strict=True)
                      if ref.decode(f, w).value != ref.decode(f, int(x)).value + ref.decode(f, int(y)).value)
        assert wrapped >= 500  # the stimulus overflows on purpose


# -- hand-checked cases ---------------------------------------------------------------------------------

H = 2.0**-11  # half an fp16 ulp at 1

CASES = [
    # (unit, formats, a, b, expected value or code)
    ("mul", "fp16", 1 + 2 * H, 1 + 2 * H, 0x3c02),  # 1 + 2^-9 + 2^-20: rounds down to 1 + 2^-9
    ("mul", "fp16", 2.0**-12, 2.0**-13, 0x0000),  # 2^-25: half the smallest subnormal, a tie to +0
    ("mul", "fp16", -(2.0**-12), 2.0**-13, 0x8000),  # -0: the sign of what rounded away
    ("mul", "fp16", 3 * 2.0**-13, 2.0**-12, 0x0002),  # 3 * 2^-25 = 1.5 lsb: the tie goes to 2 lsb
    ("mul", "fp16", 2.0**-8, 2.0**-8, 0x0100),  # 2^-16: a subnormal, exact
    ("mul", "fp16", 2.0**-24, 2.0**-24, 0x0000),  # far below: +0
    ("mul", "fp16", 256.0, 256.0, 0x7c00),  # 65536 > 65504 + 16: inf
    ("mul", "fp16", 255.875, 256.0, 0x7bff),  # 65504: max, exact
    ("mul", "fp16", -0.0, 3.0, 0x8000),  # -0
    ("mul", "fp16", -0.0, -3.0, 0x0000),
    ("mul", "fp16", np.inf, 0.0, 0x7e00),  # NaN, canonical
    ("mul", "fp16", -np.inf, 2.0**-24, 0xfc00),  # inf x subnormal = inf
    ("mul", "fp16", np.nan, 0.0, 0x7e00),
    ("mul", "fp8_e4m3fn", 448.0, 1.125, 0x7f),  # overflow: NaN with the product's sign,
    ("mul", "fp8_e4m3fn", -448.0, 1.125, 0xff),  # as encode and ml_dtypes give it
    ("mul", "fp8_e4m3fn", 384.0, 1.125, 0x7e),  # 432: the tie between 416 and the even 448, max
    ("add", "fp16", 1.0, H, 0x3c00),  # 1 + 2^-11: a tie to the even 1.0
    ("add", "fp16", 1.0 + 2 * H, H, 0x3c02),  # 1 + 3 * 2^-11: a tie to the even 1 + 2^-9
    ("add", "fp16", 65504.0, 16.0, 0x7c00),  # max + ulp/2: a tie to the even code after max, inf
    ("add", "fp16", 65504.0, 15.99, 0x7bff),
    ("add", "fp16", 1.5, -1.5, 0x0000),  # x + (-x) = +0
    ("add", "fp16", -0.0, -0.0, 0x8000),  # -0 + -0 = -0
    ("add", "fp16", -0.0, 0.0, 0x0000),
    ("add", "fp16", np.inf, -np.inf, 0x7e00),
    ("add", "fp16", -np.inf, 65504.0, 0xfc00),
    ("add", "fp16", 2.0**-14, -(2.0**-24), 0x03ff),  # min normal - lsb: the largest subnormal
    ("add", "fp8_e4m3fn", -448.0, -32.0, 0xff),  # overflow: NaN with the sum's sign
    ("add", "fp8_e4m3fnuz", -1.0, 1.0, 0x00),  # fnuz: +0, its only zero
]


@pytest.mark.parametrize(("unit", "fmt", "a", "b", "code"), CASES,
                         ids=[f"{c[0]}-{c[1]}-{c[2]!r}-{c[3]!r}" for c in CASES])
def test_hand_checked_cases(unit, fmt, a, b, code):
    from hwgen.golden import encode

    a_code, b_code = encode(fmt, [a]), encode(fmt, [b])
    assert decode(fmt, a_code)[0] == a or np.isnan(a)  # the operands are exact values of the format
    assert decode(fmt, b_code)[0] == b or b == 15.99  # 15.99 encodes to 16 - 2^-6: below the tie
    got = multiply(a_code, b_code, fmt, fmt, fmt) if unit == "mul" else add(a_code, b_code, fmt)
    assert int(got[0]) == code


def test_golden_shapes_and_refusals():
    codes = np.array([[0x3c00, 0x4000]])
    assert multiply(codes, codes, "fp16", "fp16", "fp16").shape == (1, 2)
    assert add(codes, codes, "fp16").tolist() == [[0x4000, 0x4400]]
    with pytest.raises(ValueError, match="result must be a minifloat with a NaN code"):
        multiply([0], [0], "fp16", "fp16", "fp4_e2m1")
    with pytest.raises(ValueError, match="takes minifloat operands, not a = int8"):
        multiply([0], [0], "int8", "fp16", "fp16")
    with pytest.raises(ValueError, match="one shape"):
        add([0, 1], [0], "int32")


# -- the stimulus ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("fmt", ["fp32", "fp16", "bf16"])
def test_stimulus_is_edge_heavy(fmt):
    """At least a fifth of the pairs are ties, a tenth have a subnormal operand, and some products
    overflow or underflow: by construction, also for fp32, where uniform codes would almost never tie."""
    f = get_format(fmt)
    pairs = mul_pairs(fmt, fmt, fmt, 20_000, seed=6)
    assert len(pairs.a_codes) == 20_000 and pairs.a_codes.dtype == np.int64
    x, y = decode(fmt, pairs.a_codes), decode(fmt, pairs.b_codes)
    with np.errstate(all="ignore"):
        product = x * y  # exact in float64: at most 48 significand bits
    finite = np.isfinite(product) & (product != 0)
    mag = np.abs(np.where(finite, product, 1.0))
    ulp = np.ldexp(1.0, np.maximum(np.frexp(mag)[1] - 1, f.emin) - f.man_bits)
    tie = finite & (np.mod(mag / ulp, 1.0) == 0.5)
    subnormal = ((np.abs(x) < f.min_normal) & (x != 0)) | ((np.abs(y) < f.min_normal) & (y != 0))
    assert tie.mean() > 0.2 and subnormal.mean() > 0.1
    assert (finite & (mag >= f.max)).mean() > 0.05 and (finite & (mag < f.min_normal)).mean() > 0.1
    assert np.isnan(x).mean() > 0.01 and np.isinf(y).mean() > 0.01 and (x == 0).mean() > 0.01
    sums = add_pairs(fmt, 20_000, seed=7)
    x, y = decode(fmt, sums.a_codes), decode(fmt, sums.b_codes)
    with np.errstate(all="ignore"):
        total = x + y  # float64 holds the constructed ties exactly (sums of nearby values)
    finite = np.isfinite(total) & (total != 0)
    mag = np.abs(np.where(finite, total, 1.0))
    ulp = np.ldexp(1.0, np.maximum(np.frexp(mag)[1] - 1, f.emin) - f.man_bits)
    assert (finite & (np.mod(mag / ulp, 1.0) == 0.5)).mean() > 0.2
    assert (np.isfinite(x) & (x == -y)).mean() > 0.03


def test_stimulus_is_reproducible():
    one = mul_pairs("fp32", "fp32", "fp32", 1000, seed=9)
    two = mul_pairs("fp32", "fp32", "fp32", 1000, seed=9)
    assert np.array_equal(one.a_codes, two.a_codes) and np.array_equal(one.b_codes, two.b_codes)
    assert not np.array_equal(one.a_codes, mul_pairs("fp32", "fp32", "fp32", 1000, seed=10).a_codes)


# -- the command line -----------------------------------------------------------------------------------

def test_generate_a_rounding_multiplier_and_an_adder(tmp_path, capsys):
    import json

    out = str(tmp_path)
    assert main(["generate", "mul", "--a", "fp16", "--b", "fp16", "--result", "fp16", "--out", out]) == 0
    assert main(["generate", "add", "--format", "int32", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "mul_fp16_to_fp16: fp16 x fp16, rounded to fp16 (nearest even), latency 2, II 1" in out
    assert "add_int32: int32 + int32, wrapping modulo 2^bits, latency 2, II 1" in out
    mul = json.loads((tmp_path / "mul_fp16_to_fp16.json").read_text())
    assert mul["formats"] == {"a": "fp16", "b": "fp16", "result": "fp16"} and mul["latency"] == 2
    fields = {k: (v["offset"], v["width"]) for k, v in mul["streams"]["o"]["fields"].items()}
    assert fields == {"result": (0, 16)}
    adder = json.loads((tmp_path / "add_int32.json").read_text())
    assert adder["unit"] == "add" and adder["sum"] == "wrapping"
    assert {k: v["width"] for k, v in adder["streams"]["i"]["fields"].items()} == {"a": 32, "b": 32}


@pytest.mark.parametrize(("args", "message"), [
    (["generate", "mul", "--a", "int8", "--b", "int8", "--result", "fp16"], "takes minifloat operands"),
    (["generate", "add", "--format", "fp4_e2m1"], "not fp4_e2m1 (policy finite)"),
    (["verify", "mul", "--a", "fp16", "--b", "fp16"],
     "verification of the exact multiplier is not available"),
    (["verify", "mul", "--a", "fp16", "--b", "fp16", "--result", "fp16", "--exhaustive"],
     "--exhaustive needs 4294967296 pairs for fp16 x fp16"),
])
def test_cli_errors_are_one_line(tmp_path, args, message):
    result = subprocess.run([sys.executable, "-m", "hwgen", *args, *(["--out", str(tmp_path / "o")]
                             if args[0] == "generate" else ["--build-dir", str(tmp_path / "b")])],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and message in lines[0], result.stderr
    assert not (tmp_path / "o").exists()


# -- the energy measurement's streams (hwgen.fpga.activity) ---------------------------------------------

@pytest.mark.parametrize("spec", [MulSpec("fp16", "fp16", "fp16"), MulSpec("fp8_e4m3fn", "fp8_e5m2", "bf16"),
                                  AddSpec("fp32"), AddSpec("int32")], ids=lambda spec: spec.module_name)
def test_energy_streams_and_checks(spec):
    """The rounding units get operand streams whose results never overflow, and their outputs are
    checked against hwgen.golden.arith: a wrong output is an ActivityError."""
    from hwgen.fpga.activity import check_outputs, stimulus
    from hwgen.fpga.gate_sim import ActivityError
    from hwgen.fpga.units import generate_design

    design = generate_design(spec)
    values = stimulus(design, "gaussian", 3000, 0, 16)
    a, b = design.formats
    if isinstance(spec, MulSpec):
        result = multiply(values["a"], values["b"], a, b, spec.result)
        exact = decode(a, values["a"]) * decode(b, values["b"])
        assert np.abs(exact).max() <= get_format(spec.result).max
    else:
        result = add(values["a"], values["b"], spec.format)
        if spec.format == "int32":  # no wrap: the operands stay within half the range
            assert np.abs(decode(a, values["a"]) + decode(b, values["b"])).max() < 2.0**31
    assert len(set(values["a"].tolist())) > min(1000, (1 << get_format(a).bits) // 4)  # they vary
    outputs = {"result": [int(code) for code in result]}
    assert check_outputs(design, values, outputs, 16) == 3000
    outputs["result"][1234] ^= 1
    with pytest.raises(ActivityError, match="output 1234 field result"):
        check_outputs(design, values, outputs, 16)
