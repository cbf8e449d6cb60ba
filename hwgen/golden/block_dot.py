"""Bit-exact block dot products (OCP MX v1.0, NVFP4): blocks of element codes with their scale codes.

Contract: docs/formats.md#block-dot-products; hwgen's choices where the MX spec leaves dot-product
precision and order to the implementation:

* Element products are exact (``hwgen.golden.mac.products``), and so is their sum within a block:
  S, an integer in units of 2^(lsb(a) + lsb(b)). The scales multiply S exactly (an exponent add for
  E8M0): the block's value is V = S * scale_a * scale_b, an integer multiple of
  2^block_lsb_exponent (``hwgen.formats.block_dot``). S is an integer, so a zero block is +0.
* Specials, judged per scaled element product a_k * b_k * scale_a * scale_b: a NaN scale (E8M0
  0xFF, or a minifloat scale's NaN) makes every product of its block NaN; a NaN element or
  inf * 0 (elements, or an inf element times a zero scale) is NaN; inf * nonzero is inf, signed
  by the product of the four signs.
* ``fixed`` accumulators: acc = the exact sum of the finite values V over the blocks of a dot
  product, W-bit two's complement (wrapping), as the MAC's fixed accumulator does with its
  products; a block whose scale is NaN adds nothing (all its products are NaN). The sticky fields:
  ``nan`` (some scaled product was NaN, or +inf and -inf were both added) and ``inf`` (bit 0:
  +inf added, bit 1: -inf added).
* Float accumulators (fp32, bf16, ...): acc starts at +0 and takes one block per step,
  acc <- RNE(acc + V): ONE rounding per block, of the exact sum of the accumulator and the block's
  exact value (no rounding of V alone). NaN if acc is NaN, the block holds a NaN product, or inf
  meets inf of the other sign (within the block or against acc); otherwise an inf block or acc
  gives inf. Overflow is decided after rounding (inf, or NaN for fn / fnuz accumulators).
"""

import math
from dataclasses import dataclass

import numpy as np

from hwgen.formats import Accumulator, BlockFormat, MiniFloat, significand_bits
from hwgen.formats.block_dot import block_accumulator, block_lsb_exponent, block_pair
from hwgen.golden.block import scale_parts
from hwgen.golden.codec import as_codes, encode, split
from hwgen.golden.exact import sum_segments
from hwgen.golden.mac import MacResult, products

FLOAT64_BITS = 53


@dataclass(frozen=True)
class BlockTerms:
    """The scaled block dot products, one entry per block pair.

    ``value``: the exact sum of the block's finite scaled products (Python ints, units of
    2^lsb_exponent; 0 for a NaN scale). ``nan``: some scaled product is NaN. ``pos_inf`` /
    ``neg_inf``: some scaled product is +inf / -inf.
    """

    value: np.ndarray
    nan: np.ndarray
    pos_inf: np.ndarray
    neg_inf: np.ndarray
    lsb_exponent: int


def _element_codes(fmt: BlockFormat, codes, blocks: int | None, name: str) -> np.ndarray:
    codes = as_codes(fmt.element, codes)
    if codes.ndim == 1 and codes.size % fmt.block_size == 0:
        codes = codes.reshape(-1, fmt.block_size)
    if codes.ndim != 2 or codes.shape[1] != fmt.block_size or (blocks is not None and len(codes) != blocks):
        raise ValueError(f"{name} codes must be {blocks if blocks is not None else 'whole'} blocks of "
                         f"{fmt.block_size} {fmt.element.name} codes, not shape {codes.shape}")
    return codes


def _scale_codes(fmt: BlockFormat, scales, name: str) -> np.ndarray:
    scales = as_codes(fmt.scale, scales)
    if scales.ndim != 1:
        raise ValueError(f"{name} scales must be 1-D, one code per block, not shape {scales.shape}")
    return scales


def block_terms(a_scales, a_codes, b_scales, b_codes, a, b=None) -> BlockTerms:
    """The exact scaled dot product of every block pair (see the module docstring).

    *a_codes* / *b_codes*: shape (blocks, block_size), or flat with a multiple of block_size codes;
    *a_scales* / *b_scales*: one scale code per block. *a*, *b*: block formats (names or objects).
    """
    a, b = block_pair(a, b)
    a_scales, b_scales = _scale_codes(a, a_scales, "a"), _scale_codes(b, b_scales, "b")
    if a_scales.shape != b_scales.shape:
        raise ValueError(f"a and b need one scale per block each, not {a_scales.size} and {b_scales.size}")
    blocks = len(a_scales)
    a_codes = _element_codes(a, a_codes, blocks, "a").reshape(-1)
    b_codes = _element_codes(b, b_codes, blocks, "b").reshape(-1)
    size = a.block_size
    element_products = products(split(a.element, a_codes), split(b.element, b_codes), a.element, b.element,
                                "exact")
    starts = np.arange(0, blocks * size, size, dtype=np.int64)
    # Terms beyond 62 bits add by limbs; significand products beyond 62 bits are Python ints (wide).
    top_bits = (a.element.max_units * b.element.max_units).bit_length()
    wide = significand_bits(a.element) + significand_bits(b.element) > 62
    sums = sum_segments(element_products.negative, element_products.significand, element_products.shift,
                        starts, top_bits, wide) if blocks else []

    def per_block(flags):
        return flags.reshape(blocks, size).any(axis=1)

    element_nan = per_block(element_products.nan)
    element_pos_inf = per_block(element_products.inf & ~element_products.negative)
    element_neg_inf = per_block(element_products.inf & element_products.negative)
    scale_a, scale_b = scale_parts(a, a_scales), scale_parts(b, b_scales)
    scale_nan = scale_a.nan | scale_b.nan
    scale_zero = ((scale_a.significand == 0) | (scale_b.significand == 0)) & ~scale_nan
    scale_negative = scale_a.negative ^ scale_b.negative
    any_inf = element_pos_inf | element_neg_inf
    nan = scale_nan | element_nan | (any_inf & scale_zero)
    keep_inf = ~scale_nan & ~scale_zero
    pos_inf = keep_inf & np.where(scale_negative, element_neg_inf, element_pos_inf)
    neg_inf = keep_inf & np.where(scale_negative, element_pos_inf, element_neg_inf)

    significand = (scale_a.significand * scale_b.significand).tolist()
    shift = (scale_a.shift + scale_b.shift).tolist()
    value = np.empty(blocks, dtype=object)
    value[:] = [(-s if negative else s) * g << k for s, g, k, negative in
                zip(sums, significand, shift, scale_negative.tolist(), strict=True)]
    return BlockTerms(value, nan, pos_inf, neg_inf, block_lsb_exponent(a, b))


def _segments(last, blocks: int) -> np.ndarray:
    last = np.asarray(last)
    if last.shape != (blocks,):
        raise ValueError(f"last must have one flag per block: {blocks} blocks, {last.shape} flags")
    last = last.astype(bool)
    if blocks and not last[-1]:
        raise ValueError("the last block must have last set (an unfinished dot product has no result)")
    ends = np.flatnonzero(last)
    return np.concatenate(([0], ends[:-1] + 1)).astype(np.int64)


def block_dot(a_scales, a_codes, b_scales, b_codes, last, a, b=None, acc: str = "fp32",
              terms=None) -> MacResult:
    """Dot products over blocks of *a* x *b* (block formats), one result per block with *last* set.

    Parameters
    ----------
    a_scales, b_scales:
        One scale code per block (E8M0 for MX, fp8_e4m3fn for NVFP4).
    a_codes, b_codes:
        Element codes, shape (blocks, block_size) (or flat); element k of a block meets element k.
    last:
        Bool per block; True ends a dot product. The final block must have it.
    a, b:
        Block formats (``mxfp8_e4m3``, ..., ``nvfp4``, or BlockFormat objects); *b* defaults to *a*.
    acc:
        ``"fixed"``, ``"fixed:W"`` or a float format name (``fp32``, ``bf16``, ...).
    terms:
        The most blocks one dot product may have, for sizing ``fixed`` (default 64).

    Returns
    -------
    MacResult
        ``acc`` (Python ints: the fixed accumulator's two's complement value in units of
        2^lsb_exponent, or the float accumulator's code), ``nan`` and ``inf`` (fixed only).
    """
    a, b = block_pair(a, b)
    spec = block_accumulator(acc, a, b, terms)
    terms_ = block_terms(a_scales, a_codes, b_scales, b_codes, a, b)
    starts = _segments(last, len(terms_.value))
    if spec.kind == "fixed":
        return _fixed(terms_, starts, spec)
    return _float(terms_, starts, spec)


def _fixed(terms: BlockTerms, starts: np.ndarray, spec: Accumulator) -> MacResult:
    count = len(starts)
    ends = [*starts[1:].tolist(), len(terms.value)]
    totals = [sum(terms.value[s:e].tolist()) for s, e in zip(starts.tolist(), ends, strict=True)]
    half = 1 << (spec.width - 1)
    acc = np.empty(count, dtype=object)
    acc[:] = [((t + half) & ((half << 1) - 1)) - half for t in totals]

    def sticky(flags):
        return np.logical_or.reduceat(flags, starts) if count else np.zeros(0, dtype=bool)

    nan, pos_inf, neg_inf = sticky(terms.nan), sticky(terms.pos_inf), sticky(terms.neg_inf)
    inf = pos_inf.astype(np.int64) | (neg_inf.astype(np.int64) << 1)
    return MacResult(spec, acc, nan | (pos_inf & neg_inf), inf)


def _float(terms: BlockTerms, starts: np.ndarray, spec: Accumulator) -> MacResult:
    fmt: MiniFloat = spec.format
    count = len(starts)
    lengths = np.diff(np.append(starts, len(terms.value)))
    codes = np.zeros(count, dtype=np.int64)  # +0
    for step in range(int(lengths.max()) if count else 0):
        active = np.flatnonzero(lengths > step)
        index = starts[active] + step
        codes[active] = _add_round(fmt, codes[active], terms, index)
    zeros = np.zeros(count, dtype=np.int64)
    return MacResult(spec, codes.astype(object), zeros.astype(bool), zeros)


def _add_round(fmt: MiniFloat, codes: np.ndarray, terms: BlockTerms, index: np.ndarray) -> np.ndarray:
    """RNE(acc + V) for accumulator codes and blocks *index*: one rounding of the exact sum."""
    acc = split(fmt, codes)
    low = min(fmt.lsb_exponent, terms.lsb_exponent)  # both addends are integers in units of 2^low
    acc_up, block_up = fmt.lsb_exponent - low, terms.lsb_exponent - low
    values = []
    for negative, significand, shift, value in zip(acc.negative.tolist(), acc.significand.tolist(),
                                                   acc.shift.tolist(), terms.value[index].tolist(),
                                                   strict=True):
        total = ((-significand if negative else significand) << (shift + acc_up)) + (value << block_up)
        if total == 0:
            # x + (-x) is +0, and a block value is never -0: only -0 + -0 stays -0.
            values.append(0.0)
            continue
        values.append(_round_to_odd(total, low))
    value = np.array(values, dtype=np.float64)

    nan = acc.nan | terms.nan[index] | (terms.pos_inf[index] & terms.neg_inf[index])
    block_inf = terms.pos_inf[index] | terms.neg_inf[index]
    nan |= acc.inf & block_inf & (acc.negative != terms.neg_inf[index])
    inf = (acc.inf | block_inf) & ~nan
    inf_negative = np.where(acc.inf, acc.negative, terms.neg_inf[index])
    value = np.where(inf, np.where(inf_negative, -np.inf, np.inf), value)
    value = np.where(nan, np.nan, value)
    return encode(fmt, value)


def _round_to_odd(total: int, exponent: int) -> float:
    """total * 2^exponent (total != 0) rounded to 53 bits by round-to-odd, as a float64 (exact).

    Round-to-odd to 53 bits, then one round-to-nearest-even to at most 51 bits (the encoder), equals
    one round-to-nearest-even of the exact value (block_accumulator caps the mantissa at 50 bits).
    """
    magnitude = -total if total < 0 else total
    excess = max(magnitude.bit_length() - FLOAT64_BITS, 0)
    kept = (magnitude >> excess) | (1 if magnitude & ((1 << excess) - 1) else 0)
    result = math.ldexp(float(kept), exponent + excess)
    return -result if total < 0 else result


__all__ = ["BlockTerms", "block_dot", "block_terms"]
