"""Quantized matrix operands and their exact products (the golden MAC's arithmetic, vectorized).

A :class:`QuantizedRows` holds rows of integers along the reduction axis K:
``value[..., r, k] = units * 2^(exponent[..., r] + window * level[..., r, k]) * scale[..., r]``.

* Scalar formats: ``units`` are the codes' values in units of the format's lsb (the golden model's
  ``units_table``), ``exponent`` is the lsb exponent and ``scale`` the float quantization scale
  (per output channel for weights, per tensor for activations). A dot product of two rows is then
  exactly the golden MAC's ``fixed`` accumulator value (``hwgen.golden.mac.mac``).
* Block formats (MX, NVFP4), blocked along K: each block's scale 2^e (times an integer significand
  for NVFP4's E4M3 scale) is folded into the units as a shift relative to the row's smallest block
  exponent, so one integer dot product adds every block exactly (a Kulisch accumulator across blocks;
  within a block it is the golden MAC's exact fixed-point sum). Shifts of ``window`` bits and more
  go into ``level``: each pair of levels is one more exact matmul.

Scales are float64 and applied once, after the exact sum has been rounded to float64.
"""

from dataclasses import dataclass

import numpy as np

from hwgen.formats import E8M0, BlockFormat, get_format, scalar_format
from hwgen.golden.block import quantize_blocks
from hwgen.golden.codec import encode, special_table, split, units_table
from hwgen.workload.exact_matmul import FLOAT64_EXACT_BITS, exact_matmul
from hwgen.workload.wide import WideInt

ROW = "row"  # scale_groups: one scale per row (per output channel)
MAX_CODE_BITS = 16  # units come from a per-code table
MAX_UNIT_BITS = 61  # units must fit int64 with room for the block shifts' sign


def check_operand_format(fmt):
    """The scalar format (or block element format) ``fmt`` if the exact fast path can take it."""
    fmt = get_format(fmt)
    element = fmt.element if isinstance(fmt, BlockFormat) else fmt
    if element.bits > MAX_CODE_BITS or element.max_units.bit_length() > MAX_UNIT_BITS:
        raise ValueError(f"{fmt.name} is too wide for the exact matmul: formats of at most "
                         f"{MAX_CODE_BITS} bits whose values span at most {MAX_UNIT_BITS} bits of lsb units")
    return fmt


@dataclass(frozen=True)
class QuantizedRows:
    """Quantized rows (..., R, K); see the module docstring for the value of an element."""

    units: np.ndarray
    exponent: np.ndarray
    scale: np.ndarray
    level: np.ndarray | None
    window: int
    format: object  # the scalar or block format

    def values(self) -> np.ndarray:
        """The float64 value of every element (exact unless it over- or underflows float64)."""
        shift = self.exponent[..., None] + (0 if self.level is None else self.window * self.level)
        return np.ldexp(self.units.astype(np.float64), shift) * self.scale[..., None]


def group_absmax(x: np.ndarray, scale_groups) -> np.ndarray:
    """Largest |x| per scale group, broadcast to one value per row (..., R)."""
    row_max = np.abs(x).max(axis=-1) if x.shape[-1] else np.zeros(x.shape[:-1])
    if isinstance(scale_groups, str):
        if scale_groups != ROW:
            raise ValueError(f"scale groups must be None, {ROW!r} or row starts, not {scale_groups!r}")
        return row_max
    if scale_groups is None:
        return np.full(row_max.shape, row_max.max() if row_max.size else 0.0)
    starts = np.asarray(scale_groups, dtype=np.int64)
    if x.ndim != 2 or starts[0] != 0 or starts[-1] != x.shape[0] or np.any(np.diff(starts) <= 0):
        raise ValueError("scale groups must be increasing row starts 0 .. rows of a 2-D tensor")
    group_max = np.maximum.reduceat(row_max, starts[:-1])
    return np.repeat(group_max, np.diff(starts))


def scale_for(absmax: np.ndarray, largest: float) -> np.ndarray:
    """One scale per row: the group's largest |x| onto the format's largest value (1 for an all-zero
    group)."""
    return np.where(absmax > 0, absmax / largest, 1.0)


def from_codes(fmt, codes, scale=None) -> QuantizedRows:
    """Rows of scalar-format codes (..., R, K), as they are (scale 1 unless given per row)."""
    fmt = check_operand_format(scalar_format(fmt))
    codes = np.asarray(codes, dtype=np.int64)
    if np.any(special_table(fmt)[codes]):
        raise ValueError(f"{fmt.name} codes include NaN or inf: the exact matmul takes finite codes only")
    scale = np.ones(codes.shape[:-1]) if scale is None else np.asarray(scale, dtype=np.float64)
    exponent = np.full(codes.shape[:-1], fmt.lsb_exponent, dtype=np.int64)
    return QuantizedRows(units_table(fmt)[codes], exponent, scale, None, 1, fmt)


def quantize_scalar(x: np.ndarray, fmt, scale_groups=None) -> QuantizedRows:
    """Scale each group to the format's largest value and encode (nearest, ties to even, saturating)."""
    fmt = scalar_format(fmt)
    return quantize_scaled(x, fmt, scale_for(group_absmax(x, scale_groups), fmt.max))


def quantize_scaled(x: np.ndarray, fmt, scale: np.ndarray) -> QuantizedRows:
    """Encode ``x / scale`` row by row (one scale per row, ..., R; nearest, ties to even, saturating:
    values beyond the format's range clip to its largest)."""
    fmt = scalar_format(fmt)
    scale = np.asarray(scale, dtype=np.float64)
    codes = encode(fmt, np.asarray(x, dtype=np.float64) / scale[..., None], saturate=True)
    return from_codes(fmt, codes, scale)


MIN_WINDOW = 16  # wide elements need limbs anyway; narrower levels would only add matmuls


def _window(element, significand_bits: int, terms: int) -> int:
    """Level width: rows whose block shifts stay below it keep both operands in one float64 matmul."""
    per_operand = (FLOAT64_EXACT_BITS - (max(terms, 1) - 1).bit_length()) // 2
    return max(MIN_WINDOW, per_operand - element.max_units.bit_length() - significand_bits + 1)


def _block_scales(fmt: BlockFormat, scales: np.ndarray):
    """(integer significand, exponent) of every block scale: scale = significand * 2^exponent."""
    if isinstance(fmt.scale, E8M0):
        if np.any(scales == E8M0.nan_code):
            raise ValueError(f"{fmt.name}: a block holds NaN or inf")
        return np.ones(scales.shape, dtype=np.int64), scales - E8M0.bias
    parts = split(fmt.scale, scales)
    if np.any(parts.nan | parts.inf):
        raise ValueError(f"{fmt.name}: a block holds NaN or inf")
    return parts.significand, parts.shift + fmt.scale.lsb_exponent


def quantize_block(x: np.ndarray, fmt, scale_groups=None) -> QuantizedRows:
    """Block-quantize along the last axis (zero-padded to whole blocks) with hwgen.golden.block.

    NVFP4 (E4M3 block scales) first divides each scale group by max|x| / (448 * 6), its usual
    per-tensor scale, so the largest block scale is E4M3's largest value; MX needs none.
    """
    fmt = get_format(fmt)
    if not isinstance(fmt, BlockFormat):
        raise ValueError(f"{fmt.name} is not a block format")
    element = fmt.element
    pad = -x.shape[-1] % fmt.block_size
    x = np.concatenate([x, np.zeros((*x.shape[:-1], pad))], axis=-1) if pad else x
    if isinstance(fmt.scale, E8M0):
        scale = np.ones(x.shape[:-1])
    else:
        scale = scale_for(group_absmax(x, scale_groups), element.max * fmt.scale.max)
    scale_codes, codes = quantize_blocks(fmt, x / scale[..., None])
    significand, block_exponent = _block_scales(fmt, scale_codes)
    units = units_table(element)[codes].reshape(*codes.shape[:-1], -1, fmt.block_size)
    zero = (significand == 0) | ~units.any(axis=-1)
    row_min = np.where(zero, np.iinfo(np.int64).max, block_exponent).min(axis=-1, keepdims=True)
    row_min = np.where(zero.all(axis=-1, keepdims=True), 0, row_min)
    offset = np.where(zero, 0, block_exponent - row_min)
    window = _window(element, int(significand.max()).bit_length(), x.shape[-1])
    level, fine = np.divmod(offset, window)
    units = ((units * significand[..., None]) << fine[..., None]).reshape(codes.shape)
    level = np.repeat(level, fmt.block_size, axis=-1) if level.any() else None
    exponent = row_min[..., 0] + element.lsb_exponent
    return QuantizedRows(units, exponent, scale, level, window, fmt)


def quantize_rows(x: np.ndarray, fmt, scale_groups=None) -> QuantizedRows:
    """Quantize ``x`` (..., R, K) row by row along K in a scalar or block format.

    ``scale_groups``: ``None`` (one scale for the whole tensor), ``"row"`` (one per row: per output
    channel) or increasing row starts of a 2-D tensor (one scale per group of rows, e.g. per sentence).
    """
    x = np.asarray(x, dtype=np.float64)
    if x.ndim < 2:
        raise ValueError(f"quantize_rows takes a matrix (..., rows, K), not shape {x.shape}")
    if not np.isfinite(x).all():
        raise ValueError("cannot quantize NaN or inf activations")
    if check_operand_format(fmt).kind == "block":
        return quantize_block(x, fmt, scale_groups)
    return quantize_scalar(x, fmt, scale_groups)


def _levels(rows: QuantizedRows) -> list:
    return [0] if rows.level is None else np.unique(rows.level).tolist()


def exact_sums(a: QuantizedRows, b: QuantizedRows) -> WideInt:
    """Exact integer dot products of every row of ``a`` (..., M, K) with every row of ``b`` (..., N, K).

    Value of entry (m, n): sums * 2^(a.exponent[m] + b.exponent[n]) * a.scale[m] * b.scale[n].
    """
    if a.units.shape[-1] != b.units.shape[-1]:
        raise ValueError(f"reduction lengths differ: {a.units.shape[-1]} and {b.units.shape[-1]}")
    total = None
    for a_level in _levels(a):
        a_units = a.units if a.level is None else np.where(a.level == a_level, a.units, 0)
        for b_level in _levels(b):
            b_units = b.units if b.level is None else np.where(b.level == b_level, b.units, 0)
            total = exact_matmul(a_units, np.swapaxes(b_units, -1, -2), into=total,
                                 shift=a.window * a_level + b.window * b_level)
    return total


def matmul(a: QuantizedRows, b: QuantizedRows, width: int | None = None, sums: WideInt | None = None):
    """Dequantized ``a @ b.T`` (float64): the exact sums (wrapped to ``width`` bits when given, as a
    ``fixed:W`` accumulator does) rounded to float64 once, then scaled. ``sums``: precomputed
    :func:`exact_sums` of the same operands."""
    sums = exact_sums(a, b) if sums is None else sums
    if width is not None:
        sums = sums.wrap(width)
    values = np.ldexp(sums.to_float64(), a.exponent[..., :, None] + b.exponent[..., None, :])
    return values * (a.scale[..., :, None] * b.scale[..., None, :])
