"""Exact integer helpers for the golden models: bit lengths, sticky shifts, wide segment sums."""

import numpy as np

LIMB_BITS = 30


def bit_length(values: np.ndarray) -> np.ndarray:
    """``int.bit_length`` of non-negative int64 values, vectorized."""
    values = np.asarray(values, dtype=np.int64)
    length = np.frexp(values.astype(np.float64))[1].astype(np.int64)
    # float64 may round a value just below 2^k up to 2^k; correct that one-off.
    too_long = (length > 0) & ((values >> np.maximum(length - 1, 0)) == 0)
    return length - too_long


def shift_signed(negative, magnitude, shift) -> np.ndarray:
    """(-1)^negative * magnitude * 2^shift as int64; bits shifted out are jammed into the LSB."""
    left = np.clip(shift, 0, 62)
    right = np.clip(-shift, 0, 63)
    lost = (magnitude & ((np.int64(1) << np.minimum(right, 62)) - 1)) != 0
    lost |= (right > 62) & (magnitude != 0)
    shifted = np.where(shift >= 0, magnitude << left, (magnitude >> np.minimum(right, 62)) | lost)
    shifted = np.where(right > 62, lost.astype(np.int64), shifted)
    return np.where(negative, -shifted, shifted)


def round_to_odd_float64(magnitude: np.ndarray, exponent: np.ndarray) -> np.ndarray:
    """magnitude * 2^exponent rounded to 53 bits by round-to-odd, as float64 (exact).

    Round-to-odd to 53 bits followed by one round-to-nearest-even to p <= 51 bits equals a single
    round-to-nearest-even of the exact value, so the float64 can be handed to the encoder.
    """
    excess = np.maximum(bit_length(magnitude) - 53, 0)
    sticky = (magnitude & ((np.int64(1) << excess) - 1)) != 0
    kept = (magnitude >> excess) | sticky
    return np.ldexp(kept.astype(np.float64), np.clip(exponent + excess, -4000, 4000))


def sum_segments(negative, significand, shift, starts, top_bits: int, wide: bool = False) -> list:
    """Exact sums of (-1)^negative * significand * 2^shift over segments, as Python ints.

    ``top_bits`` bounds the bit length of every term. Terms that fit add in int64; wider ones add in
    30-bit limbs (each limb's sum stays in int64); ``wide`` (object) significands use Python ints.
    """
    if len(starts) == 0:
        return []
    if wide:
        terms = [(-s if n else s) << int(k) for n, s, k in
                 zip(negative.tolist(), significand.tolist(), shift.tolist(), strict=True)]
        ends = [*starts[1:].tolist(), len(terms)]
        return [sum(terms[s:e]) for s, e in zip(starts.tolist(), ends, strict=True)]
    if top_bits + len(significand).bit_length() <= 62:
        terms = significand << shift
        np.negative(terms, out=terms, where=negative)
        return np.add.reduceat(terms, starts).tolist()
    totals = [0] * len(starts)
    mask = np.int64((1 << LIMB_BITS) - 1)
    unsigned = significand.astype(np.uint64)
    for limb in range((top_bits + LIMB_BITS - 1) // LIMB_BITS):
        offset = shift - limb * LIMB_BITS
        up = np.clip(offset, 0, 63).astype(np.uint64)
        down = np.clip(-offset, 0, 63)
        part = np.where(offset >= 0, (unsigned << up).astype(np.int64) & mask, (significand >> down) & mask)
        part[(offset >= LIMB_BITS) | (down > 62)] = 0
        np.negative(part, out=part, where=negative)
        sums = np.add.reduceat(part, starts).tolist()
        totals = [t + (s << (limb * LIMB_BITS)) for t, s in zip(totals, sums, strict=True)]
    return totals
