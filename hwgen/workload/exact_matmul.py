"""Exact integer matrix products at BLAS speed: float64 matmuls of integer limbs.

A float64 matmul is exact when every partial sum is an integer of magnitude <= 2^53, whatever order
BLAS adds in. So operands (int64) are cut into limbs small enough that K * 2^(la + lb) <= 2^53; each
limb pair is one float64 matmul, and the integer results are added, shifted, into a
:class:`~hwgen.workload.wide.WideInt`. 8-bit integer operands over K = 1536 need one matmul;
fp8_e5m2 (32-bit units) needs four.
"""

import numpy as np

from hwgen.workload.wide import WideInt

FLOAT64_EXACT_BITS = 53


def magnitude_bits(values: np.ndarray) -> int:
    """Bits of the largest magnitude in ``values`` (int64): every |v| < 2^bits."""
    if values.size == 0:
        return 0
    largest = max(int(values.max()), -int(values.min()))
    return largest.bit_length()


def limb_plan(a_bits: int, b_bits: int, terms: int) -> tuple:
    """(limbs of a, bits per a limb, limbs of b, bits per b limb) with the fewest matmuls."""
    budget = FLOAT64_EXACT_BITS - (max(terms, 1) - 1).bit_length()
    if budget < 2:
        raise ValueError(f"a dot product of {terms} terms is too long for exact float64 limbs")
    best = None
    for a_limbs in range(1, a_bits + 1):
        a_width = -(-a_bits // a_limbs)
        b_width = budget - a_width
        if b_width < 1:
            continue
        b_limbs = -(-b_bits // b_width)
        b_width = -(-b_bits // b_limbs)
        if best is None or a_limbs * b_limbs < best[0] * best[2]:
            best = (a_limbs, a_width, b_limbs, b_width)
    return best


def _limbs(values: np.ndarray, count: int, width: int) -> list:
    """values = sum(limb_i * 2^(width i)); lower limbs in [0, 2^width), the top one signed."""
    mask = np.int64((1 << width) - 1)
    limbs = [((values >> (width * i)) & mask) for i in range(count - 1)]
    limbs.append(values >> (width * (count - 1)))
    return [limb.astype(np.float64) for limb in limbs]


def exact_matmul(a: np.ndarray, b: np.ndarray, into: WideInt | None = None, shift: int = 0) -> WideInt:
    """``a @ b`` exactly, for int64 ``a`` (..., M, K) and ``b`` (..., K, N) (NumPy broadcasting).

    With ``into``, adds ``(a @ b) * 2^shift`` to it instead of starting from zero; returns the sum.
    """
    a, b = np.asarray(a, dtype=np.int64), np.asarray(b, dtype=np.int64)
    shape = (*np.broadcast_shapes(a.shape[:-2], b.shape[:-2]), a.shape[-2], b.shape[-1])
    total = WideInt(shape) if into is None else into
    a_bits, b_bits = magnitude_bits(a), magnitude_bits(b)
    if a_bits == 0 or b_bits == 0:
        return total
    a_limbs, a_width, b_limbs, b_width = limb_plan(a_bits, b_bits, a.shape[-1])
    b_parts = _limbs(b, b_limbs, b_width)
    for i, a_part in enumerate(_limbs(a, a_limbs, a_width)):
        for j, b_part in enumerate(b_parts):
            partial = np.matmul(a_part, b_part).astype(np.int64)  # exact: |each partial sum| <= 2^53
            total.add_shifted(partial, shift + a_width * i + b_width * j)
    return total
