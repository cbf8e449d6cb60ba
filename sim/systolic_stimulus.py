"""Random stimulus for the systolic array: weight tiles and the activation vectors that use them."""

from dataclasses import dataclass

import numpy as np

from hwgen.formats import scalar_format
from hwgen.sim.edge_codes import draw_codes, finite_codes

FINITE_ROW_SHARE = 0.75  # of weight rows and activation vectors: no NaN / inf codes, so sums show


@dataclass(frozen=True)
class Tile:
    """A weight matrix (pes, words, simd) loaded once, then activation items (items, simd) with
    ``last`` ending each matrix-vector product."""

    weights: np.ndarray
    x: np.ndarray
    last: np.ndarray

    @property
    def products(self) -> int:
        return int(self.last.sum())


def random_tiles(a, b, *, pes: int, simd: int, depth: int, vectors: int, seed: int = 0,
                 vectors_per_tile: int = 250, max_items: int | None = None) -> list[Tile]:
    """Tiles holding ``vectors`` matrix-vector products in all, operands biased to the formats' edge
    codes (±0, subnormals, ±max, NaN, inf where they exist). Each tile loads 1..``max_items`` weight
    words (default: ``depth``, at most 2 * pes + 8); its dot products have 1..that many items, a tenth
    exactly one and a tenth all of them."""
    a, b = scalar_format(a), scalar_format(b)
    rng = np.random.default_rng(seed)
    longest = min(depth, max_items or 2 * pes + 8)
    tiles, left = [], vectors
    while left > 0:
        count = min(left, vectors_per_tile)
        words = int(rng.integers(1, longest + 1)) if rng.random() < 0.7 else longest
        weights = _codes(a, (pes, words * simd), rng).reshape(pes, words, simd)
        lengths = rng.integers(1, words + 1, count)
        pick = rng.random(count)
        lengths[pick < 0.1], lengths[pick > 0.9] = 1, words
        x = _codes(b, (count, words * simd), rng).reshape(count, words, simd)
        keep = np.arange(words)[None, :] < lengths[:, None]
        last = np.zeros((count, words), dtype=bool)
        last[np.arange(count), lengths - 1] = True
        tiles.append(Tile(weights, x[keep], last[keep]))
        left -= count
    return tiles


def long_tile(a, b, *, pes: int, simd: int, words: int, vectors: int, seed: int = 0) -> Tile:
    """One tile of ``vectors`` products of ``words`` items each (for throughput measurements)."""
    rng = np.random.default_rng(seed)
    weights = _codes(scalar_format(a), (pes, words * simd), rng).reshape(pes, words, simd)
    x = _codes(scalar_format(b), (vectors * words, simd), rng)
    last = np.zeros(vectors * words, dtype=bool)
    last[words - 1::words] = True
    return Tile(weights, x, last)


def _codes(fmt, shape: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
    """Rows of codes; FINITE_ROW_SHARE of the rows have no NaN / inf codes."""
    codes = draw_codes(fmt, shape[0] * shape[1], rng).reshape(shape)
    finite = finite_codes(fmt)
    if finite is not None and len(finite) < 1 << fmt.bits:
        rows = rng.random(shape[0]) < FINITE_ROW_SHARE
        special = rows[:, None] & ~np.isin(codes, finite)
        codes[special] = rng.choice(finite, size=int(special.sum()))
    return codes
