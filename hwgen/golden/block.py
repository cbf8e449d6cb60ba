"""Block-scaled quantization (OCP MX v1.0, NVFP4): one scale per block of elements.

MX (E8M0 scale): shared_exp = floor(log2(max|v|)) - emax_elem, clamped to [-127, 127]; elements are
encode(element, v / 2^shared_exp, saturate=True) (ties to even). hwgen's choices where the spec is
open: an all-zero block gets shared_exp = -127 (scale code 0) and zero elements; a block holding a
NaN or an infinity gets the NaN scale (0xFF) and element codes 0 (it dequantizes to all NaN).

NVFP4 (E4M3 scale): scale = encode(fp8_e4m3fn, max|v| / 6, saturate=True); elements are the E2M1
values nearest to v / scale, decided exactly (no float division before rounding), ties to even,
saturating. A zero scale gives (signed) zero elements; a NaN or inf in the block gives the NaN scale (0x7F).
hwgen applies no second, per-tensor scale: pre-scale tensors whose block maxima exceed 448 * 6.
"""


import numpy as np

from hwgen.formats import E8M0, BlockFormat, MiniFloat, get_format
from hwgen.formats.block_dot import scale_lsb_exponent
from hwgen.golden.codec import Parts, all_values, as_codes, decode, encode, parts_to_float, split


def _block_format(fmt) -> BlockFormat:
    fmt = get_format(fmt)
    if not isinstance(fmt, BlockFormat):
        raise ValueError(f"{fmt.name} is not a block format (mxfp8_e4m3, ..., mxint8, nvfp4)")
    return fmt


def _blocks(fmt: BlockFormat, x) -> np.ndarray:
    values = np.asarray(x, dtype=np.float64)
    if values.ndim == 0 or values.shape[-1] % fmt.block_size:
        raise ValueError(
            f"{fmt.name}: the last axis must be a multiple of the block size {fmt.block_size}, "
            f"not {values.shape[-1] if values.ndim else 'a scalar'}"
        )
    return values.reshape(*values.shape[:-1], values.shape[-1] // fmt.block_size, fmt.block_size)


def shared_exponent(fmt: BlockFormat, block_max: np.ndarray) -> np.ndarray:
    """The MX shared exponent of blocks whose largest magnitude is ``block_max`` (finite, >= 0)."""
    exponent = np.frexp(block_max)[1].astype(np.int64) - 1 - fmt.emax_elem  # floor(log2(max))
    exponent = np.where(block_max == 0, E8M0.min_exponent, exponent)
    return np.clip(exponent, E8M0.min_exponent, E8M0.max_exponent)


def _encode_exact_quotient(element: MiniFloat, x: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """encode(element, x / scale, saturate=True) with the quotient's rounding decided exactly."""
    values = all_values(element)
    magnitudes = np.unique(np.abs(values[np.isfinite(values)]))  # sorted, +0 first
    codes_of = encode(element, magnitudes)
    midpoints = (magnitudes[1:] + magnitudes[:-1]) / 2
    magnitude = np.abs(x)
    index = np.zeros(x.shape, dtype=np.int64)
    for i, mid in enumerate(midpoints):
        threshold = scale * mid  # exact: few significant bits on both sides
        above = magnitude > threshold
        tie_up = (magnitude == threshold) & (codes_of[i] & 1 == 1)
        index = np.where(above | tie_up, i + 1, index)
    codes = codes_of[index]
    sign = np.int64(1) << (element.bits - 1)
    negative = np.signbit(x) & ((codes != 0) | element.has_negative_zero)
    return np.where(negative, codes | sign, codes)


def quantize_blocks(fmt, x):
    """Quantize ``x`` (last axis a multiple of the block size) to (scale codes, element codes)."""
    fmt = _block_format(fmt)
    blocks = _blocks(fmt, x)
    special = ~np.isfinite(blocks).all(axis=-1)
    block_max = np.where(special, 0.0, np.abs(np.where(np.isfinite(blocks), blocks, 0.0)).max(axis=-1))
    safe = np.where(special[..., None], 0.0, blocks)
    if isinstance(fmt.scale, E8M0):
        exponent = shared_exponent(fmt, block_max)
        codes = encode(fmt.element, np.ldexp(safe, -exponent[..., None]), saturate=True)
        scales = np.where(special, E8M0.nan_code, exponent + E8M0.bias)
    else:
        scales = encode(fmt.scale, block_max / fmt.element.max, saturate=True)
        scale_values = decode(fmt.scale, scales)
        codes = _encode_exact_quotient(fmt.element, safe, scale_values[..., None])
        negative_zero = np.signbit(safe) & fmt.element.has_negative_zero
        signed_zero = np.where(negative_zero, 1 << (fmt.element.bits - 1), 0)
        codes = np.where(scale_values[..., None] == 0, signed_zero, codes)
        scales = np.where(special, fmt.scale.nan_code(False), scales)
    codes = np.where(special[..., None], 0, codes)
    return scales.astype(np.int64), codes.reshape(np.shape(x)).astype(np.int64)


def scale_parts(fmt, scales) -> Parts:
    """Scale codes split into integers: value = (-1)^negative * significand * 2^(shift + lsb).

    lsb is ``hwgen.formats.block_dot.scale_lsb_exponent(fmt.scale)``. E8M0: significand 1 and
    shift = code (lsb -127), the NaN code 0xFF has significand and shift 0. Minifloat scales: their
    :func:`~hwgen.golden.codec.split`.
    """
    fmt = _block_format(fmt)
    if not isinstance(fmt.scale, E8M0):
        return split(fmt.scale, scales)
    scales = as_codes(fmt.scale, scales)
    nan = scales == E8M0.nan_code
    return Parts(np.zeros(scales.shape, dtype=bool), np.where(nan, 0, 1), np.where(nan, 0, scales), nan,
                 np.zeros(scales.shape, dtype=bool))


def scale_values(fmt, scales) -> np.ndarray:
    """The float64 value of scale codes (NaN for the NaN code)."""
    fmt = _block_format(fmt)
    return parts_to_float(scale_parts(fmt, scales), scale_lsb_exponent(fmt.scale))


def dequantize_blocks(fmt, scales, codes) -> np.ndarray:
    """The float64 values of quantized blocks (exact)."""
    fmt = _block_format(fmt)
    elements = _blocks(fmt, decode(fmt.element, codes))
    scale = scale_values(fmt, scales)
    if scale.shape != elements.shape[:-1]:
        raise ValueError(f"{fmt.name}: {scale.shape} scales do not match {elements.shape[:-1]} blocks")
    return (elements * scale[..., None]).reshape(np.shape(codes))


__all__ = ["dequantize_blocks", "quantize_blocks", "scale_parts", "scale_values", "shared_exponent"]
