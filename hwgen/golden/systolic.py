"""Golden model of the systolic array: matrix-vector products of stationary weights, per PE.

PE p computes, for every dot product of the activation stream (items of ``simd`` elements, ``last``
ending each), sum_k sum_l W[p, k, l] * x[k, l] over the dot product's items k (k counts from 0 in
each dot product), with :func:`hwgen.golden.mac.mac` semantics: exact products, and per item one
accumulation step that adds the exact sum of its ``simd`` products (``group=simd``). A fixed
accumulator's result does not depend on that order; a float one rounds once per item, in item order.
"""

from dataclasses import dataclass

import numpy as np

from hwgen.formats import Accumulator
from hwgen.golden.mac import mac


@dataclass(frozen=True)
class SystolicResult:
    """Results per dot product (rows) and PE (columns): ``acc`` Python ints, ``nan`` / ``inf`` as
    :class:`hwgen.golden.mac.MacResult` has them."""

    accumulator: Accumulator
    acc: np.ndarray
    nan: np.ndarray
    inf: np.ndarray


def systolic(weights, activations, last, a, b, acc: str = "fixed", *, terms=None, mul: str = "exact"
             ) -> SystolicResult:
    """Matrix-vector products of ``weights`` (pes, words, simd) with the activation items.

    Parameters
    ----------
    weights:
        Codes of format ``a``: PE p's weight word k is ``weights[p, k]``.
    activations:
        Codes of format ``b``, one row of ``simd`` per item.
    last:
        Bool per item; True ends a dot product (the final item must be True).
    terms:
        Elements a ``fixed`` accumulator is sized for (default ``words * simd``), as the hardware's.
    """
    weights, activations = np.asarray(weights), np.asarray(activations)
    last = np.asarray(last, dtype=bool)
    if weights.ndim != 3 or activations.ndim != 2 or weights.shape[2] != activations.shape[1]:
        raise ValueError(f"weights must be (pes, words, simd) and activations (items, simd), not "
                         f"{weights.shape} and {activations.shape}")
    pes, words, simd = weights.shape
    items = len(activations)
    if last.shape != (items,) or items == 0 or not last[-1]:
        raise ValueError("last needs one flag per item, and the final item must end a dot product")
    ends = np.flatnonzero(last)
    starts = np.concatenate(([0], ends[:-1] + 1))
    position = np.arange(items) - np.repeat(starts, ends - starts + 1)  # item's index in its dot product
    if position.max() >= words:
        raise ValueError(f"a dot product of {int(position.max()) + 1} items is longer than the "
                         f"{words} weight words")
    element_last = np.zeros((items, simd), dtype=bool)
    element_last[:, -1] = last
    a_codes = weights[:, position, :].reshape(pes, -1)  # PE p's stream, item-major
    b_codes, flags = np.tile(activations.reshape(-1), pes), np.tile(element_last.reshape(-1), pes)
    terms = words * simd if terms is None else terms
    result = mac(a_codes.reshape(-1), b_codes, flags, a, b, acc, terms=terms, mul=mul, group=simd)
    dots = len(ends)
    shape = (pes, dots)
    return SystolicResult(result.accumulator, result.acc.reshape(shape).T, result.nan.reshape(shape).T,
                          result.inf.reshape(shape).T)
