"""Bit-exact golden evaluation of an :class:`~hwgen.nnlut.table.NnLutTable`: codes in, codes out.

Vectorized NumPy; imports only the registry, the golden codec and the table object (never the fitting
code). The datapath and its roundings are those of :mod:`hwgen.nnlut.table`'s docstring. Every
intermediate is an integer (carried in int64, or exactly in float64 where a power-of-two scale is
applied), so the result is exact; the final rounding is :func:`hwgen.golden.encode` with
``saturate=True`` (round to nearest, ties to even, +-max on overflow).

:func:`evaluate_codes` is the reference the hardware is checked against; :func:`evaluate` takes and
returns float arrays (quantize the input, evaluate the table, decode the output), for plugging a unit
into a NumPy model of a network.
"""

from dataclasses import dataclass

import numpy as np

from hwgen.formats import scalar_format
from hwgen.golden.codec import as_codes, decode, encode
from hwgen.nnlut.table import NnLutTable

# What a special input does to the result (besides NaN): the result is +-max or +-0.
TO_MAX, TO_ZERO = "max", "zero"


@dataclass(frozen=True)
class Reduced:
    """Inputs brought to the table's grid (steps 1 of the datapath).

    ``u``: the grid value in units 2^-x_frac (a placeholder where a special decides the result);
    ``scale``: the exponent applied to the table's result; ``negative``: the result's sign is flipped
    (and the sign of a +-max / +-0 special); ``nan`` / ``to_max`` / ``to_zero``: the result is NaN,
    +-max or +-0 whatever the table says.
    """

    u: np.ndarray
    scale: np.ndarray
    negative: np.ndarray
    nan: np.ndarray
    to_max: np.ndarray
    to_zero: np.ndarray


def reduce_inputs(table: NnLutTable, codes) -> Reduced:
    """Step 1: the input codes on the table's grid, with the range reduction's scale and the specials."""
    in_fmt = scalar_format(table.in_format)
    codes = as_codes(in_fmt, codes)
    x = decode(in_fmt, codes)
    nan = np.isnan(x)
    x = np.where(nan, 0.0, x)
    none = np.zeros(x.shape, dtype=bool)
    if table.reduction == "clamp":
        # Clamp, then truncate toward zero: the ends are grid values, so the two commute.
        scaled = np.clip(np.ldexp(x, table.x_frac), table.lo, table.hi)
        u = np.trunc(scaled).astype(np.int64)
        return Reduced(u, np.zeros(x.shape, dtype=np.int64), none, nan, none, none)
    negative = np.signbit(x)
    magnitude = np.abs(x)
    zero, inf = magnitude == 0, np.isinf(magnitude)
    finite = ~(zero | inf)
    fraction, exponent = np.frexp(np.where(finite, magnitude, 1.0))  # magnitude = fraction * 2^exponent
    exponent = exponent.astype(np.int64) - 1  # m = 2 * fraction in [1, 2)
    scaled = np.ldexp(fraction, table.x_frac + 1)
    u = scaled.astype(np.int64)
    if np.any(u != scaled):
        raise AssertionError(f"x_frac {table.x_frac} does not hold every mantissa of {in_fmt.name}")
    if table.reduction == "rsqrt":
        odd = exponent & 1
        u, exponent = u << odd, exponent - odd
        scale = -(exponent >> 1)
        nan = nan | (negative & ~zero)
    else:
        scale = -exponent
    u = np.where(finite, u, table.lo)
    return Reduced(u, np.where(finite, scale, 0), negative, nan, zero & ~nan, inf & ~nan)


def segments(table: NnLutTable, u) -> np.ndarray:
    """Step 2: the segment of each grid value, the number of breakpoints <= u."""
    return np.searchsorted(np.array(table.breakpoints, dtype=np.int64), u, side="right")


def products(table: NnLutTable, u, segment) -> np.ndarray:
    """Steps 3-4: p = s_k * u + t_k * 2^intercept_shift, exact, in units 2^-product_frac."""
    slopes = np.array(table.slopes, dtype=np.int64)
    intercepts = np.array(table.intercepts, dtype=np.int64) << table.intercept_shift
    return slopes[segment] * u + intercepts[segment]


def evaluate_codes(table: NnLutTable, codes) -> np.ndarray:
    """The output code (int64) of every input code: the golden model of the hardware."""
    out_fmt = scalar_format(table.out_format)
    reduced = reduce_inputs(table, codes)
    p = products(table, reduced.u, segments(table, reduced.u))
    value = np.ldexp(p.astype(np.float64), reduced.scale - table.product_frac)  # exact: |p| < 2^52
    value = np.where(reduced.to_max, np.inf, np.where(reduced.to_zero, 0.0, value))
    value = np.where(reduced.negative, -value, value)
    result = encode(out_fmt, np.where(reduced.nan, 0.0, value), saturate=True)
    nan_code = out_fmt.nan_code(False) if out_fmt.has_nan else 0
    return np.where(reduced.nan, nan_code, result)


def evaluate(table: NnLutTable, x, *, saturate: bool = True) -> np.ndarray:
    """The unit on real numbers: encode ``x`` in the input format, evaluate, decode the output (float64).

    ``x`` (any shape) is encoded with :func:`hwgen.golden.encode` (round to nearest even; values
    beyond the input format's range saturate to +-max unless ``saturate=False``), so a NumPy model
    sees exactly what the hardware would compute. NaN stays NaN where the output format has NaN.
    The result has ``x``'s shape, and its dtype when that is a float type (float64 otherwise):
    ``functools.partial(evaluate, table)`` replaces an elementwise NumPy function.
    """
    array = np.asarray(x)
    codes = encode(scalar_format(table.in_format), array.astype(np.float64, copy=False), saturate=saturate)
    result = decode(table.out_format, evaluate_codes(table, codes.reshape(-1))).reshape(array.shape)
    return result.astype(array.dtype, copy=False) if array.dtype.kind == "f" else result
