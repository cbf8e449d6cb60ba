"""Bit-exact MAC golden model: dot products of operand codes into a fixed or float accumulator.

Contract: docs/formats.md#mac-products-and-accumulators and docs/formats.md#l-mul.

* Products are exact (``mul="exact"``) or L-Mul (``mul="lmul"``, the hardware integer-add form:
  S = X + Y - B * 2^M + 2^(M - l(M)) read as an exponent|mantissa field; zero or subnormal operands
  give a zero product). Special operands are judged on their true values in both modes:
  NaN * x = NaN, inf * 0 = NaN, inf * nonzero = inf.
* ``fixed`` accumulators hold sum / lsb as W-bit two's complement (wrapping), plus the sticky
  ``nan`` / ``inf`` fields; ``acc`` then holds the exact sum of the finite products only.
* Float accumulators start at +0 and round the exact acc + product once per step (RNE). An
  all-(-0) dot product therefore gives +0 (IEEE 754: +0 + -0 = +0).
* ``group=G`` (a systolic PE's SIMD width): each accumulation step adds the exact sum of G
  consecutive products, so a float accumulator rounds once per G products. NaN if a product of the
  group is NaN or the group holds inf of both signs; inf if it holds inf; else its exact sum. A zero
  group sum counts as +0, so a -0 accumulator (a negative sum that rounded to zero) plus a group of
  -0 products gives +0 where one product at a time would keep -0: grouping can change the sign of a
  zero result, never its value. Fixed sums do not depend on the grouping.
"""

import itertools
import math
from dataclasses import dataclass

import numpy as np

from hwgen.formats import Accumulator, MiniFloat, accumulator, scalar_format, significand_bits
from hwgen.formats._check import check_int
from hwgen.formats.accumulator import lmul_offset_bits, max_product_units
from hwgen.golden.codec import Parts, as_codes, encode, special_table, split, units_table
from hwgen.golden.exact import bit_length, round_to_odd_float64, shift_signed, sum_segments


@dataclass(frozen=True)
class Products:
    """Exact products: value = (-1)^negative * significand * 2^(shift + lsb_exponent)."""

    negative: np.ndarray
    significand: np.ndarray
    shift: np.ndarray
    nan: np.ndarray
    inf: np.ndarray
    lsb_exponent: int


@dataclass(frozen=True)
class MacResult:
    """One entry per dot product (per input item with ``last`` set).

    ``acc``: Python ints. Fixed: the W-bit two's complement value (value * 2^lsb_exponent = sum).
    Float: the accumulator-format code. ``nan`` / ``inf`` are the fixed accumulator's sticky special
    fields (inf bit 0: +inf added, bit 1: -inf added); all zero for float accumulators.
    """

    accumulator: Accumulator
    acc: np.ndarray
    nan: np.ndarray
    inf: np.ndarray

    def values(self) -> np.ndarray:
        """The float64 value of every result (nearest float64 for wide fixed sums)."""
        from hwgen.golden.codec import decode

        if self.accumulator.kind == "float":
            return decode(self.accumulator.format, self.acc.astype(np.int64))
        values = np.array([float(v) for v in self.acc], dtype=np.float64)
        values = np.ldexp(values, self.accumulator.lsb_exponent)
        values = np.where(self.inf == 1, np.inf, np.where(self.inf == 2, -np.inf, values))
        return np.where(self.nan, np.nan, values)


def products(a_parts: Parts, b_parts: Parts, a, b, mul: str) -> Products:
    """Exact (or L-Mul) products of split operands, with IEEE special rules."""
    a_zero = (a_parts.significand == 0) & ~a_parts.nan & ~a_parts.inf
    b_zero = (b_parts.significand == 0) & ~b_parts.nan & ~b_parts.inf
    nan = a_parts.nan | b_parts.nan | (a_parts.inf & b_zero) | (a_zero & b_parts.inf)
    inf = (a_parts.inf | b_parts.inf) & ~nan
    negative = a_parts.negative ^ b_parts.negative
    lsb = a.lsb_exponent + b.lsb_exponent
    if mul == "lmul":
        significand, shift = _lmul(a_parts, b_parts, a)
    else:
        significand = a_parts.significand * b_parts.significand
        if significand_bits(a) + significand_bits(b) > 62:
            significand = a_parts.significand.astype(object) * b_parts.significand.astype(object)
        shift = a_parts.shift + b_parts.shift
    significand = np.where(nan | inf, 0, significand)
    return Products(negative, significand, shift, nan, inf, lsb)


def _lmul(a_parts: Parts, b_parts: Parts, fmt: MiniFloat):
    """L-Mul in units of the exact product's lsb (2^(2 * lsb_exponent)); docs/formats.md#l-mul."""
    m, bias = fmt.man_bits, fmt.bias
    # A normal operand's code magnitude X = e * 2^M + f; its split has shift = e - 1.
    x = ((a_parts.shift + 1) << m) | (a_parts.significand & ((1 << m) - 1))
    y = ((b_parts.shift + 1) << m) | (b_parts.significand & ((1 << m) - 1))
    s = x + y - (bias << m) + (1 << (m - lmul_offset_bits(m)))
    significand = (1 << m) + (s & ((1 << m) - 1))
    # 2^((S >> M) - B - M) in units of 2^(2 * (1 - B - M)):
    shift = (s >> m) + bias + m - 2
    normal = (a_parts.significand >> m > 0) & (b_parts.significand >> m > 0)
    return np.where(normal, significand, 0), np.where(normal, shift, 0)


def _segments(last: np.ndarray, count: int):
    last = np.asarray(last)
    if last.shape != (count,):
        raise ValueError(f"last must have one flag per item: {count} items, {last.shape} flags")
    last = last.astype(bool)
    if count and not last[-1]:
        raise ValueError("the last item must have last set (an unfinished dot product has no result)")
    ends = np.flatnonzero(last)
    starts = np.concatenate(([0], ends[:-1] + 1)).astype(np.int64)
    return starts, ends - starts + 1


def mac(a_codes, b_codes, last, a, b, acc: str = "fixed", terms=None, mul: str = "exact",
        group: int = 1) -> MacResult:
    """Dot products of ``a_codes`` x ``b_codes``, one per item with ``last`` set.

    Parameters
    ----------
    a_codes, b_codes:
        Operand codes (integers, one pair per item).
    last:
        Bool per item; True ends a dot product. The final item must be True.
    a, b:
        Operand formats (names or format objects).
    acc:
        ``"fixed"``, ``"fixed:W"`` or a float format name (``fp32``, ``bf16``, ``fp16``, ...).
    terms:
        K, the most products one dot product may have, for sizing ``fixed`` (default 64).
    mul:
        ``"exact"`` or ``"lmul"``.
    group:
        Products summed exactly per accumulation step (see the module notes); every dot product's
        length must be a multiple of it.
    """
    a, b = scalar_format(a), scalar_format(b)
    group = check_int(group, "group", 1, 1 << 16)
    spec = accumulator(acc, a, b, terms, mul)
    a_codes, b_codes = as_codes(a, a_codes), as_codes(b, b_codes)
    if a_codes.shape != b_codes.shape or a_codes.ndim != 1:
        raise ValueError(
            f"a and b codes must be 1-D and equally long, not {a_codes.shape} and {b_codes.shape}"
        )
    starts, lengths = _segments(last, len(a_codes))
    if len(lengths) and np.any(lengths % group):
        raise ValueError(f"every dot product's length must be a multiple of the group ({group}); "
                         f"dot product {int(np.flatnonzero(lengths % group)[0])} has "
                         f"{int(lengths[np.flatnonzero(lengths % group)[0]])} items")
    if spec.kind == "fixed":
        return _fixed(a, b, a_codes, b_codes, starts, spec, mul)
    prods = products(split(a, a_codes), split(b, b_codes), a, b, mul)
    if group > 1:
        return _float_grouped(prods, starts, lengths, spec, group)
    return _float(prods, starts, lengths, spec)


CHUNK_ITEMS = 1 << 15  # items per pass, cut at dot-product boundaries: temporaries stay in cache


def _chunks(starts: np.ndarray, count: int):
    """(item slice, dot-product slice, dot-product starts within the chunk) of whole dot products."""
    firsts = np.searchsorted(starts, np.arange(0, count, CHUNK_ITEMS), side="left")
    bounds = np.unique(np.concatenate((firsts, [len(starts)])))
    for first, stop in itertools.pairwise(bounds):
        begin = int(starts[first])
        end = int(starts[stop]) if stop < len(starts) else count
        yield slice(begin, end), slice(first, stop), starts[first:stop] - begin


def _has_specials(fmt) -> bool:
    return fmt.has_nan or fmt.has_inf


SPLIT_UNITS_MAX_BITS = 44  # units of at most this many bits split into two int64-safe halves


def _table_sums(a, b, a_chunk, b_chunk, local_starts, max_bits: int):
    """Exact segment sums from the signed-units tables, or None when they cannot be used."""
    count_bits = len(a_chunk).bit_length()
    units_a, units_b = units_table(a), units_table(b)
    if max_bits + count_bits <= 62:
        return np.add.reduceat(units_a[a_chunk] * units_b[b_chunk], local_starts).tolist()
    half_bits = (max(a.max_units.bit_length(), b.max_units.bit_length()) + 1) // 2
    if 2 * half_bits + 2 + count_bits > 62:
        return None
    # units = high * 2^h + low (0 <= low < 2^h): four partial products, each fits int64.
    a_high, a_low = (units_a >> half_bits)[a_chunk], (units_a & ((1 << half_bits) - 1))[a_chunk]
    b_high, b_low = (units_b >> half_bits)[b_chunk], (units_b & ((1 << half_bits) - 1))[b_chunk]
    high = np.add.reduceat(a_high * b_high, local_starts).tolist()
    middle = np.add.reduceat(a_high * b_low + a_low * b_high, local_starts).tolist()
    low = np.add.reduceat(a_low * b_low, local_starts).tolist()
    return [(h << (2 * half_bits)) + (m << half_bits) + lo
            for h, m, lo in zip(high, middle, low, strict=True)]


def _special_flags(a, b, a_chunk, b_chunk, local_starts, dots, nan, pos_inf, neg_inf):
    """Set the sticky flags of the dot products whose items hold a NaN or inf operand."""
    index = np.flatnonzero(special_table(a)[a_chunk] | special_table(b)[b_chunk])
    if not len(index):
        return
    prods = products(split(a, a_chunk[index]), split(b, b_chunk[index]), a, b, "exact")
    dot = np.searchsorted(local_starts, index, side="right") - 1 + dots.start
    nan[dot[prods.nan]] = True
    pos_inf[dot[prods.inf & ~prods.negative]] = True
    neg_inf[dot[prods.inf & prods.negative]] = True


def _fixed(a, b, a_codes, b_codes, starts, spec: Accumulator, mul: str) -> MacResult:
    max_bits = max_product_units(a, b, mul).bit_length()
    wide = significand_bits(a) + significand_bits(b) > 62
    by_table = mul == "exact" and not wide and a.bits <= 16 and b.bits <= 16
    totals = np.zeros(len(starts), dtype=object)
    nan = np.zeros(len(starts), dtype=bool)
    pos_inf, neg_inf = nan.copy(), nan.copy()
    for items, dots, local_starts in _chunks(starts, len(a_codes)):
        a_chunk, b_chunk = a_codes[items], b_codes[items]
        sums = _table_sums(a, b, a_chunk, b_chunk, local_starts, max_bits) if by_table else None
        if sums is None:
            prods = products(split(a, a_chunk), split(b, b_chunk), a, b, mul)
            sums = sum_segments(prods.negative, prods.significand, prods.shift, local_starts, max_bits, wide)
        totals[dots] = sums
        if _has_specials(a) or _has_specials(b):
            _special_flags(a, b, a_chunk, b_chunk, local_starts, dots, nan, pos_inf, neg_inf)
    half = 1 << (spec.width - 1)
    acc = np.array([((t + half) & ((half << 1) - 1)) - half for t in totals], dtype=object)
    inf = pos_inf.astype(np.int64) | (neg_inf.astype(np.int64) << 1)
    return MacResult(spec, acc, nan | (pos_inf & neg_inf), inf)


def _float(prods: Products, starts, lengths, spec: Accumulator) -> MacResult:
    fmt = spec.format
    codes = np.zeros(len(starts), dtype=np.int64)  # +0
    for step in range(int(lengths.max()) if len(lengths) else 0):
        active = np.flatnonzero(lengths > step)
        index = starts[active] + step
        codes[active] = add_round(fmt, split(fmt, codes[active]), prods, index)
    zeros = np.zeros(len(starts), dtype=np.int64)
    return MacResult(spec, codes.astype(object), zeros.astype(bool), zeros)


def add_round(fmt: MiniFloat, acc: Parts, prods: Products, index) -> np.ndarray:
    """RNE(acc + product) as codes of ``fmt``: one rounding of the exact sum.

    *acc* holds split codes of ``fmt`` (:func:`hwgen.golden.codec.split`), one per result; ``index``
    picks the product added to each. The exact sum's zero is -0 only when both addends are -0;
    NaN if either is NaN or infinities of both signs meet; else inf if either is inf. Codes are
    encoded by :func:`hwgen.golden.codec.encode` (NaN positive; an fn overflow keeps its sign).
    With a -0 accumulator it is RNE(product) with the product's own zero sign
    (:func:`hwgen.golden.arith.multiply`).
    """
    p_neg, p_sig = prods.negative[index], prods.significand[index]
    p_exp = prods.shift[index] + prods.lsb_exponent
    p_nan, p_inf = prods.nan[index], prods.inf[index]
    a_exp = acc.shift + fmt.lsb_exponent

    # Exact sum, aligned to 61 bits below the larger operand's top; bits below that are jammed
    # into a sticky LSB, which keeps round-to-nearest exact (at least 2 guard bits remain).
    nothing = np.iinfo(np.int32).min
    top = np.maximum(np.where(acc.significand > 0, bit_length(acc.significand) + a_exp, nothing),
                     np.where(p_sig > 0, bit_length(p_sig) + p_exp, nothing))
    low = top - 61
    total = shift_signed(acc.negative, acc.significand, a_exp - low)
    total += shift_signed(p_neg, p_sig, p_exp - low)
    negative = np.where(total == 0, acc.negative & p_neg, total < 0)
    value = round_to_odd_float64(np.abs(total), low)
    value = np.where(negative, -value, value)

    nan = acc.nan | p_nan | (acc.inf & p_inf & (acc.negative != p_neg))
    inf = (acc.inf | p_inf) & ~nan
    inf_negative = np.where(acc.inf, acc.negative, p_neg)
    value = np.where(inf, np.where(inf_negative, -np.inf, np.inf), value)
    value = np.where(nan, np.nan, value)
    return encode(fmt, value)


def _float_grouped(prods: Products, starts, lengths, spec: Accumulator, group: int) -> MacResult:
    """Float accumulation adding the exact sum of ``group`` products per step (Python ints)."""
    fmt = spec.format
    count = len(prods.negative)
    sums, nan, inf, inf_negative = _group_sums(prods, group, count)
    codes = np.zeros(len(starts), dtype=np.int64)  # +0
    for step in range(int(lengths.max()) // group if len(lengths) else 0):
        active = np.flatnonzero(lengths > step * group)
        groups = starts[active] // group + step  # dot products start on group boundaries
        acc = split(fmt, codes[active])
        values = []
        for k, g in enumerate(groups.tolist()):
            if acc.nan[k] or nan[g] or (acc.inf[k] and inf[g] and acc.negative[k] != inf_negative[g]):
                values.append(math.nan)
            elif acc.inf[k] or inf[g]:
                values.append(-math.inf if (acc.negative[k] if acc.inf[k] else inf_negative[g]) else math.inf)
            else:
                values.append(_exact_sum_to_float(
                    int(acc.significand[k]), int(acc.shift[k]) + fmt.lsb_exponent, bool(acc.negative[k]),
                    sums[g], prods.lsb_exponent))
        codes[active] = encode(fmt, np.array(values, dtype=np.float64))
    zeros = np.zeros(len(starts), dtype=np.int64)
    return MacResult(spec, codes.astype(object), zeros.astype(bool), zeros)


def _group_sums(prods: Products, group: int, count: int):
    """Per group of products: exact sum (Python int, in units of 2^lsb_exponent) and special flags."""
    signed = [(-s if n else s) << int(k) for n, s, k in
              zip(prods.negative.tolist(), prods.significand.tolist(), prods.shift.tolist(), strict=True)]
    sums = [sum(signed[g:g + group]) for g in range(0, count, group)]
    shape = (count // group, group)
    pos_inf = (prods.inf & ~prods.negative.astype(bool)).reshape(shape).any(axis=1)
    neg_inf = (prods.inf & prods.negative.astype(bool)).reshape(shape).any(axis=1)
    nan = prods.nan.reshape(shape).any(axis=1) | (pos_inf & neg_inf)
    return sums, nan, (pos_inf | neg_inf) & ~nan, neg_inf


def _exact_sum_to_float(acc_significand: int, acc_exponent: int, acc_negative: bool, addend: int,
                        addend_exponent: int) -> float:
    """acc + addend, exact, then rounded to odd at 53 bits: a float64 the encoder rounds once (RNE)."""
    low = min(acc_exponent, addend_exponent)
    total = ((-acc_significand if acc_negative else acc_significand) << (acc_exponent - low)) \
        + (addend << (addend_exponent - low))
    magnitude = abs(total)
    excess = max(magnitude.bit_length() - 53, 0)
    kept = (magnitude >> excess) | int(magnitude & ((1 << excess) - 1) != 0)
    value = math.ldexp(float(kept), low + excess)
    return -value if total < 0 else value
