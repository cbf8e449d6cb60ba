"""Stimulus for block dot-product units: random block pairs biased to the formats' edges.

Blocks are drawn so that the exact sums, the scale handling and the float rounding all get
exercised: edge-biased random elements (±0, subnormals, ±max, ±min normal, ±1), all-zero blocks,
all-±max blocks (the largest block sums), all-subnormal blocks, blocks quantized from real data
(:func:`hwgen.golden.block.quantize_blocks`: realistic scales), blocks that cancel the block before
them exactly, NaN / inf elements in a tenth of the blocks, and NaN scales in a few. Scales cluster
per dot product (near 1, anywhere, or at either end of the scale range), so the blocks of one dot
product overlap and the float accumulator's rounding and over- / underflow are reached.
"""

from typing import NamedTuple

import numpy as np

from hwgen.formats import E8M0, BlockFormat, IntFormat, MiniFloat
from hwgen.formats.block_dot import block_pair
from hwgen.golden import all_values, encode
from hwgen.golden.block import quantize_blocks
from hwgen.sim.edge_codes import EDGE_WEIGHTS, edge_codes
from hwgen.sim.stream_memory import check_exhaustive


class BlockVectors(NamedTuple):
    """Items of a block dot-product stream: one block pair per item."""

    a_scales: np.ndarray  # (items,)
    a_codes: np.ndarray  # (items, block)
    b_scales: np.ndarray
    b_codes: np.ndarray
    last: np.ndarray  # (items,) bool


def join_blocks(*streams: BlockVectors) -> BlockVectors:
    """One stream of the items of *streams*, in order (each must end a dot product)."""
    return BlockVectors(*(np.concatenate(columns) for columns in zip(*streams, strict=True)))


def pack_blocks(bits: int, codes: np.ndarray) -> np.ndarray:
    """Each row of element codes as one Python int, element k at bits [k * bits, (k + 1) * bits)."""
    codes = np.asarray(codes, dtype=np.int64)
    codes = codes.reshape(len(codes), -1)
    rows = np.empty((len(codes), codes.shape[1] * bits), dtype=np.uint8)
    for bit in range(bits):  # by bit planes: (blocks, block, bits) int64 is 4 GiB for 2^16 blocks of 1024
        rows[:, bit::bits] = (codes >> bit) & 1
    packed = np.packbits(rows, axis=1, bitorder="little")
    words = np.empty(len(codes), dtype=object)
    words[:] = [int.from_bytes(row.tobytes(), "little") for row in packed]
    return words


def unit_scale_code(fmt: BlockFormat) -> int:
    """The scale code of 1.0."""
    return E8M0.bias if isinstance(fmt.scale, E8M0) else int(encode(fmt.scale, 1.0))


def exhaustive_pair_blocks(a, b=None) -> BlockVectors:
    """Every (a, b) element code pair once, each its own one-block dot product with unit scales.

    Pair n sits in lane n mod block_size, every other lane holds code 0 (+0), so each pair's product
    goes through a different lane of the multiplier array and the adder tree. Raises ``ValueError``
    above :data:`~hwgen.sim.stream_memory.MAX_EXHAUSTIVE_ITEMS` pairs.
    """
    a, b = block_pair(a, b)
    a_count, b_count = 1 << a.element.bits, 1 << b.element.bits
    pairs = check_exhaustive(a_count * b_count, f"element pairs for {a.name} x {b.name}")
    lane = np.arange(pairs) % a.block_size
    a_codes = np.zeros((pairs, a.block_size), dtype=np.int64)
    b_codes = np.zeros((pairs, a.block_size), dtype=np.int64)
    a_codes[np.arange(pairs), lane] = np.repeat(np.arange(a_count), b_count)
    b_codes[np.arange(pairs), lane] = np.tile(np.arange(b_count), a_count)
    return BlockVectors(np.full(pairs, unit_scale_code(a)), a_codes, np.full(pairs, unit_scale_code(b)),
                        b_codes, np.ones(pairs, dtype=bool))


# Shares of the block kinds (per side; "max" and "cancel" act on both sides).
BLOCK_KINDS = {"edge": 0.5, "zero": 0.07, "max": 0.08, "subnormal": 0.08, "quantized": 0.2, "cancel": 0.07}
SPECIAL_ELEMENT_SHARE = 0.1  # blocks that may hold NaN / inf elements
NAN_SCALE_SHARE = 0.02  # per side


class _Elements:
    """Code pools of one element format."""

    def __init__(self, fmt):
        values = all_values(fmt)
        codes = np.arange(len(values))
        finite = np.isfinite(values)
        self.fmt = fmt
        self.finite = codes[finite]
        self.zero = codes[finite & (values == 0)]
        magnitude = np.abs(np.where(finite, values, 0.0))
        self.positive_max = codes[finite & (values == values[finite].max())]
        self.negative_max = codes[finite & (values == values[finite].min())]
        # Minifloats: the subnormals; integers: the few smallest magnitudes.
        limit = fmt.min_normal if isinstance(fmt, MiniFloat) else 4 * fmt.min_subnormal
        self.subnormal = codes[finite & (magnitude < limit)]
        self.edges = edge_codes(fmt)

    def draw(self, shape, rng, specials: np.ndarray) -> np.ndarray:
        """Edge-biased codes; rows where *specials* is False hold finite codes only."""
        codes = rng.integers(0, 1 << self.fmt.bits, shape)
        kinds = list(self.edges)
        weights = np.array([EDGE_WEIGHTS[kind] for kind in kinds], dtype=float)
        biased = rng.random(shape) < 0.5
        chosen = rng.choice(len(kinds), size=shape, p=weights / weights.sum())
        for index, kind in enumerate(kinds):
            where = biased & (chosen == index)
            codes[where] = rng.choice(self.edges[kind], size=int(where.sum()))
        replace = ~specials[:, None] & ~np.isin(codes, self.finite)
        codes[replace] = rng.choice(self.finite, size=int(replace.sum()))
        return codes

    def negate(self, codes: np.ndarray) -> np.ndarray:
        if isinstance(self.fmt, MiniFloat):
            return codes ^ (1 << (self.fmt.bits - 1))
        assert isinstance(self.fmt, IntFormat) and self.fmt.signed
        return (-codes) & ((1 << self.fmt.bits) - 1)  # -(-128) stays -128: no exact cancel, still valid


def _scale_pools(fmt: BlockFormat):
    """(unit code, finite positive codes, NaN codes) of the block format's scale."""
    if isinstance(fmt.scale, E8M0):
        return E8M0.bias, np.arange(0, E8M0.nan_code), np.array([E8M0.nan_code])
    values = all_values(fmt.scale)
    codes = np.arange(len(values))
    return (int(encode(fmt.scale, 1.0)), codes[np.isfinite(values) & ~np.signbit(values)],
            codes[np.isnan(values)])


def _draw_scales(fmt: BlockFormat, dots: np.ndarray, rng) -> np.ndarray:
    """One scale code per block, clustered per dot product (*dots*: the block's dot product)."""
    unit, positive, nan = _scale_pools(fmt)
    count = int(dots.max()) + 1 if len(dots) else 0
    top = len(positive) - 1
    unit_index = int(np.flatnonzero(positive == unit)[0])
    pick = rng.random(count)
    base = np.where(pick < 0.6, unit_index + rng.integers(-12, 13, count), rng.integers(0, top + 1, count))
    base = np.where((pick >= 0.8) & (pick < 0.9), rng.integers(0, 6, count), base)
    base = np.where(pick >= 0.9, top - rng.integers(0, 6, count), base)
    index = np.clip(base[dots] + rng.integers(-2, 3, len(dots)), 0, top)
    scales = positive[index]
    if not isinstance(fmt.scale, E8M0):  # minifloat scales: a few negative ones
        negative = (rng.random(count) < 0.1)[dots]
        scales = np.where(negative, scales | (1 << (fmt.scale.bits - 1)), scales)
    nan_blocks = rng.random(len(dots)) < NAN_SCALE_SHARE
    scales[nan_blocks] = rng.choice(nan, size=int(nan_blocks.sum()))
    return scales


def _lengths(blocks: int, max_blocks: int, rng) -> np.ndarray:
    """Dot-product lengths 1 .. max_blocks (a tenth of each end) adding up to *blocks*."""
    lengths = rng.integers(1, max_blocks + 1, blocks)
    pick = rng.random(blocks)
    lengths[pick < 0.1] = 1
    lengths[pick > 0.9] = max_blocks
    ends = np.cumsum(lengths)
    count = int(np.searchsorted(ends, blocks)) + 1
    lengths = lengths[:count]
    lengths[-1] -= int(ends[count - 1]) - blocks
    return lengths


def random_block_dots(a, b=None, blocks: int = 1000, *, max_blocks: int = 4, seed: int = 0) -> BlockVectors:
    """*blocks* random block pairs in dot products of 1 .. *max_blocks* blocks (see the module doc)."""
    a, b = block_pair(a, b)
    if blocks < 1 or max_blocks < 1:
        raise ValueError(f"blocks and max_blocks must be at least 1, not {blocks} and {max_blocks}")
    rng = np.random.default_rng(seed)
    size = a.block_size
    lengths = _lengths(blocks, max_blocks, rng)
    dots = np.repeat(np.arange(len(lengths)), lengths)
    starts = np.concatenate(([0], np.cumsum(lengths)[:-1]))
    first = np.zeros(blocks, dtype=bool)
    first[starts] = True
    names = list(BLOCK_KINDS)
    shares = np.array(list(BLOCK_KINDS.values()))
    kind = rng.choice(len(names), size=blocks, p=shares / shares.sum())
    kind = np.where(first & (kind == names.index("cancel")), names.index("edge"), kind)  # nothing to cancel
    specials = rng.random(blocks) < SPECIAL_ELEMENT_SHARE

    sides = []
    for fmt in (a, b):
        pool = _Elements(fmt.element)
        codes = pool.draw((blocks, size), rng, specials)
        scales = _draw_scales(fmt, dots, rng)
        zero = (kind == names.index("zero")) & (rng.random(blocks) < 0.7)
        codes[zero] = rng.choice(pool.zero, size=(int(zero.sum()), size))
        subnormal = kind == names.index("subnormal")
        codes[subnormal] = rng.choice(pool.subnormal, size=(int(subnormal.sum()), size))
        quantized = np.flatnonzero(kind == names.index("quantized"))
        if len(quantized):
            magnitude = np.exp2(rng.integers(-30, 31, (len(quantized), 1)))
            data = rng.standard_normal((len(quantized), size)) * magnitude
            data[rng.random(data.shape) < 0.05] *= 64  # outliers
            q_scales, q_codes = quantize_blocks(fmt, data.reshape(-1))
            codes[quantized], scales[quantized] = q_codes.reshape(len(quantized), size), q_scales.reshape(-1)
        sides.append((pool, codes, scales))

    biggest = np.flatnonzero(kind == names.index("max"))
    same_sign = rng.random(len(biggest)) < 0.5
    negative = rng.random((len(biggest), size)) < 0.5
    negative[same_sign] = (rng.random(int(same_sign.sum())) < 0.5)[:, None]
    for pool, codes, _ in sides:
        codes[biggest] = np.where(negative, rng.choice(pool.negative_max, size=negative.shape),
                                  rng.choice(pool.positive_max, size=negative.shape))
    (pool_a, a_codes, a_scales), (_, b_codes, b_scales) = sides
    for block in np.flatnonzero(kind == names.index("cancel")):  # in order: a block may cancel a cancel
        a_codes[block] = pool_a.negate(a_codes[block - 1])
        b_codes[block] = b_codes[block - 1]
        a_scales[block], b_scales[block] = a_scales[block - 1], b_scales[block - 1]
    last = np.zeros(blocks, dtype=bool)
    last[np.cumsum(lengths) - 1] = True
    return BlockVectors(a_scales.astype(np.int64), a_codes.astype(np.int64), b_scales.astype(np.int64),
                        b_codes.astype(np.int64), last)
