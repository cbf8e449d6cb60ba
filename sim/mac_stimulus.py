"""Stimulus for MAC units: every operand pair, or random dot products biased to the formats' edges."""

from typing import NamedTuple

import numpy as np

from hwgen.formats import scalar_format
from hwgen.sim.edge_codes import draw_codes, finite_codes
from hwgen.sim.stream_memory import check_exhaustive


class MacVectors(NamedTuple):
    """Items of a MAC stream: operand codes and the flag that ends each dot product."""

    a_codes: np.ndarray
    b_codes: np.ndarray
    last: np.ndarray


def join_vectors(*streams: MacVectors) -> MacVectors:
    """One stream of the items of *streams*, in order (each must end a dot product)."""
    return MacVectors(*(np.concatenate(columns) for columns in zip(*streams, strict=True)))


def exhaustive_pairs(a_format, b_format) -> MacVectors:
    """Every (a, b) code pair, each its own one-term dot product (a major, b minor).

    Raises ``ValueError`` above :data:`~hwgen.sim.stream_memory.MAX_EXHAUSTIVE_ITEMS` pairs (fp16 x fp16).
    """
    a_format, b_format = scalar_format(a_format), scalar_format(b_format)
    a_count, b_count = 1 << a_format.bits, 1 << b_format.bits
    check_exhaustive(a_count * b_count, f"pairs for {a_format.name} x {b_format.name}")
    a_codes = np.repeat(np.arange(a_count, dtype=np.int64), b_count)
    b_codes = np.tile(np.arange(b_count, dtype=np.int64), a_count)
    return MacVectors(a_codes, b_codes, np.ones(a_count * b_count, dtype=bool))


FINITE_ONLY_SHARE = 0.25  # dot products without NaN or inf operands, so a float sum gets checked too


def random_dot_products(a_format, b_format, count: int, *, max_terms: int = 64, seed: int = 0) -> MacVectors:
    """*count* dot products of 1 .. *max_terms* terms, operands biased to the formats' edge codes.

    A tenth of the dot products have one term and a tenth have *max_terms*; a quarter hold no NaN
    or inf operand, so that accumulators that go NaN or inf still get their finite sums checked.
    """
    if count < 1 or max_terms < 1:
        raise ValueError(f"count and max_terms must be at least 1, not {count} and {max_terms}")
    rng = np.random.default_rng(seed)
    lengths = rng.integers(1, max_terms + 1, count)
    pick = rng.random(count)
    lengths[pick < 0.1] = 1
    lengths[pick > 0.9] = max_terms
    items = int(lengths.sum())
    a_codes, b_codes = draw_codes(a_format, items, rng), draw_codes(b_format, items, rng)
    dot = np.repeat(np.arange(count), lengths)
    finite_only = (rng.random(count) < FINITE_ONLY_SHARE)[dot]
    for fmt, codes in ((a_format, a_codes), (b_format, b_codes)):
        finite = finite_codes(fmt)
        if finite is None or len(finite) == 1 << scalar_format(fmt).bits:
            continue
        special = finite_only & ~np.isin(codes, finite)
        codes[special] = rng.choice(finite, size=int(special.sum()))
    last = np.zeros(items, dtype=bool)
    last[np.cumsum(lengths) - 1] = True
    return MacVectors(a_codes, b_codes, last)
