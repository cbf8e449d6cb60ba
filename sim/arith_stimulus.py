"""Stimulus for the rounding multiplier and the adder: every code pair, or random pairs built to hit edges.

A uniformly random pair of fp32 codes almost never lands on a rounding tie, overflows after rounding,
or underflows into the subnormals. The random stimulus therefore *constructs* a large share of its
pairs (shares in :data:`MUL_SHARES` and :data:`ADD_SHARES`):

* **ties**: products and sums exactly halfway between two result codes, in the normal range (a
  product's odd part has exactly one bit more than the result's significand) and, for products, in
  the subnormal range (the product's lowest set bit is half the result's smallest subnormal); plus
  the directed ties at max + ulp/2 (the overflow tie), just below the smallest normal, and at 1/2 and
  3/2 of the smallest subnormal;
* products and sums **near overflow** and **near underflow** (top exponent around the result's emax,
  emin and smallest subnormal);
* **edge operands**: zeros of both signs, subnormals, the smallest normal, the largest values, NaN
  (every NaN code, not only the canonical one), inf;
* for sums: **cancellation** (x + (-x) and neighbours a few codes apart) and operands whose exponents
  differ by less than the significand's width (alignment, sticky bits, carries into the exponent).

Every construction is exact integer arithmetic on (odd part, exponent) pairs, checked by encoding
and decoding the operand values (float64 holds every value of fp32 and narrower).
"""

from typing import NamedTuple

import numpy as np

from hwgen.formats import IntFormat, MiniFloat, scalar_format
from hwgen.golden import decode, encode
from hwgen.golden.exact import bit_length
from hwgen.sim.stream_memory import check_exhaustive

# Shares of a random multiplier stimulus by construction (they are normalized).
MUL_SHARES = {"uniform": 0.10, "edges": 0.20, "subnormal": 0.05, "ties": 0.30, "overflow": 0.15,
              "underflow": 0.20}
# Shares of a random float adder stimulus.
ADD_SHARES = {"uniform": 0.10, "edges": 0.20, "ties": 0.25, "cancel": 0.15, "close": 0.15, "overflow": 0.10,
              "subnormal": 0.05}


class Pairs(NamedTuple):
    """Operand code pairs, one output each."""

    a_codes: np.ndarray
    b_codes: np.ndarray


def exhaustive_pairs(a_format, b_format) -> Pairs:
    """Every (a, b) code pair (a major, b minor); a ``ValueError`` above 2^24 pairs."""
    a_format, b_format = scalar_format(a_format), scalar_format(b_format)
    a_count, b_count = 1 << a_format.bits, 1 << b_format.bits
    check_exhaustive(a_count * b_count, f"pairs for {a_format.name} x {b_format.name}")
    return Pairs(np.repeat(np.arange(a_count, dtype=np.int64), b_count),
                 np.tile(np.arange(b_count, dtype=np.int64), a_count))


# -- codes of one minifloat ---------------------------------------------------------------------------

def compose(fmt: MiniFloat, negative, field, fraction) -> np.ndarray:
    """Codes from sign, exponent field and fraction field arrays."""
    negative = np.asarray(negative, dtype=np.int64)
    return (negative << (fmt.bits - 1)) | (np.asarray(field, dtype=np.int64) << fmt.man_bits) \
        | np.asarray(fraction, dtype=np.int64)


def _max_field(fmt: MiniFloat) -> int:
    return fmt.max_code_magnitude >> fmt.man_bits


def _finite_fraction(fmt: MiniFloat, field: np.ndarray, fraction: np.ndarray) -> np.ndarray:
    """*fraction* clamped to a finite code with *field* (fn's top field stops before its NaN code)."""
    top = fmt.max_code_magnitude & ((1 << fmt.man_bits) - 1)
    return np.where(field == _max_field(fmt), np.minimum(fraction, top), fraction)


def _fraction(fmt: MiniFloat, field: np.ndarray, rng) -> np.ndarray:
    """Random fractions of finite codes with *field*."""
    return _finite_fraction(fmt, field, rng.integers(0, 1 << fmt.man_bits, len(field)))


def nan_codes(fmt: MiniFloat, count: int, rng) -> np.ndarray:
    """NaN codes of every kind: ieee with random payloads and signs, fn of both signs, fnuz's one."""
    negative = rng.integers(0, 2, count)
    if fmt.policy == "ieee":
        fraction = rng.integers(1, 1 << fmt.man_bits, count) if fmt.man_bits > 1 else np.ones(count, np.int64)
        return compose(fmt, negative, np.full(count, fmt.exp_all_ones), fraction)
    if fmt.policy == "fn":
        return compose(fmt, negative, np.zeros(count, np.int64), np.full(count, (1 << (fmt.bits - 1)) - 1))
    return np.full(count, fmt.nan_code(False), dtype=np.int64)


EDGE_KINDS = {"uniform": 3, "zero": 2, "subnormal": 3, "tiny": 1, "min_normal": 1, "large": 2, "one": 1,
              "nan": 1, "inf": 1}


def edge_operands(fmt: MiniFloat, count: int, rng) -> np.ndarray:
    """Codes biased to a minifloat's edges (any width, fp32 included): see :data:`EDGE_KINDS`."""
    kinds = [k for k in EDGE_KINDS if (k != "nan" or fmt.has_nan) and (k != "inf" or fmt.has_inf)]
    weights = np.array([EDGE_KINDS[k] for k in kinds], dtype=float)
    chosen = rng.choice(len(kinds), size=count, p=weights / weights.sum())
    codes = rng.integers(0, 1 << fmt.bits, count)
    negative = rng.integers(0, 2, count)
    last_fraction = (1 << fmt.man_bits) - 1
    for index, kind in enumerate(kinds):
        where = np.flatnonzero(chosen == index)
        n = len(where)
        zeros = np.zeros(n, np.int64)
        if kind == "zero":
            codes[where] = compose(fmt, negative[where], zeros, zeros)
        elif kind == "subnormal" and fmt.man_bits:
            codes[where] = compose(fmt, negative[where], zeros, rng.integers(1, 1 << fmt.man_bits, n))
        elif kind == "tiny" and fmt.man_bits:  # the smallest and the largest subnormal
            fraction = np.where(rng.random(n) < 0.5, 1, last_fraction)
            codes[where] = compose(fmt, negative[where], zeros, fraction)
        elif kind == "min_normal":
            fraction = np.where(rng.random(n) < 0.5, 0, rng.integers(0, 1 << fmt.man_bits, n))
            codes[where] = compose(fmt, negative[where], np.ones(n, np.int64), fraction)
        elif kind == "large":
            field = np.maximum(_max_field(fmt) - rng.integers(0, 2, n), 1)
            fraction = np.where(rng.random(n) < 0.3, last_fraction, rng.integers(0, 1 << fmt.man_bits, n))
            codes[where] = compose(fmt, negative[where], field, _finite_fraction(fmt, field, fraction))
        elif kind == "one":
            field = np.clip(fmt.bias + rng.integers(-1, 2, n), 1, _max_field(fmt))
            codes[where] = compose(fmt, negative[where], field, _fraction(fmt, field, rng))
        elif kind == "nan":
            codes[where] = nan_codes(fmt, n, rng)
        elif kind == "inf":
            codes[where] = compose(fmt, negative[where], np.full(n, fmt.exp_all_ones), zeros)
    return codes


# -- exact construction of operand values -------------------------------------------------------------

def _odd(bits: np.ndarray, rng) -> np.ndarray:
    """Random odd integers with exactly *bits* bits (1 for 1 bit)."""
    bits = np.asarray(bits, dtype=np.int64)
    middle = rng.integers(0, np.int64(1) << np.maximum(bits - 2, 0))
    return np.where(bits == 1, 1, (np.int64(1) << (bits - 1)) | (middle << 1) | 1)


def _significand_bits(fmt: MiniFloat) -> int:
    return fmt.man_bits + 1


def _emax(fmt: MiniFloat) -> int:
    """The top exponent a finite value of *fmt* may have."""
    return fmt.emax


def _codes_of(fmt: MiniFloat, odd: np.ndarray, exponent: np.ndarray, negative: np.ndarray):
    """Codes of (-1)^negative * odd * 2^exponent and whether each is exactly a finite value of *fmt*."""
    values = np.ldexp(odd.astype(np.float64), exponent)
    values = np.where(negative, -values, values)
    with np.errstate(over="ignore"):
        codes = encode(fmt, values)
    return codes, decode(fmt, codes) == values


def product_pairs(a: MiniFloat, b: MiniFloat, odd_a, odd_b, product_low, rng) -> Pairs:
    """Operand codes whose exact product is odd_a * odd_b * 2^product_low, where representable.

    The exponent is split at random between the operands within what each format can hold; pairs
    that cannot be represented are dropped. Signs are random.
    """
    bits_a, bits_b = bit_length(odd_a), bit_length(odd_b)
    low_a = np.maximum(a.lsb_exponent, product_low - (_emax(b) - bits_b + 1))
    high_a = np.minimum(_emax(a) - bits_a + 1, product_low - b.lsb_exponent)
    keep = (low_a <= high_a) & (bits_a <= _significand_bits(a)) & (bits_b <= _significand_bits(b))
    odd_a, odd_b, product_low = odd_a[keep], odd_b[keep], product_low[keep]
    low_a, high_a = low_a[keep], high_a[keep]
    exponent_a = low_a + np.floor(rng.random(len(low_a)) * (high_a - low_a + 1)).astype(np.int64)
    negative = rng.integers(0, 2, (2, len(odd_a))).astype(bool)
    codes_a, exact_a = _codes_of(a, odd_a, exponent_a, negative[0])
    codes_b, exact_b = _codes_of(b, odd_b, product_low - exponent_a, negative[1])
    exact = exact_a & exact_b
    return Pairs(codes_a[exact], codes_b[exact])


def _random_odd_pairs(a: MiniFloat, b: MiniFloat, count: int, rng, product_bits=None):
    """Odd parts of two operands; with *product_bits*, only those whose product has that many bits."""
    bits_a = rng.integers(1, _significand_bits(a) + 1, count)
    bits_b = rng.integers(1, _significand_bits(b) + 1, count)
    if product_bits is not None:  # aim: bits_a + bits_b is product_bits or product_bits + 1
        bits_b = np.clip(product_bits + rng.integers(0, 2, count) - bits_a, 1, _significand_bits(b))
    odd_a, odd_b = _odd(bits_a, rng), _odd(bits_b, rng)
    if product_bits is None:
        return odd_a, odd_b
    fits = bit_length(odd_a * odd_b) == product_bits
    return odd_a[fits], odd_b[fits]


def _directed_factors(target: int, a: MiniFloat, b: MiniFloat) -> list[tuple[int, int]]:
    """Odd factor pairs (u_a, u_b) of *target* that fit the operands' significands."""
    pairs = []
    d = 1
    while d * d <= target:
        if target % d == 0:
            for u_a, u_b in ((d, target // d), (target // d, d)):
                if u_a.bit_length() <= _significand_bits(a) and u_b.bit_length() <= _significand_bits(b):
                    pairs.append((u_a, u_b))
        d += 2
    return pairs


def _take(pairs: Pairs, count: int, rng) -> Pairs:
    if len(pairs.a_codes) == 0:
        return pairs
    index = rng.integers(0, len(pairs.a_codes), count)
    return Pairs(pairs.a_codes[index], pairs.b_codes[index])


def _constructed_products(a, b, r, kind: str, count: int, rng) -> Pairs:
    """*count* pairs (fewer if the formats allow none) whose products are of one *kind*."""
    p = _significand_bits(r)
    found_a, found_b = [], []
    for _ in range(8):  # drawing and filtering: a few rounds reach the count
        draw = 2 * count
        if kind == "ties":
            # normal range: the odd part has p + 1 bits, its top anywhere from emin to emax + 1
            odd_a, odd_b = _random_odd_pairs(a, b, draw, rng, product_bits=p + 1)
            low = rng.integers(r.emin, _emax(r) + 2, len(odd_a)) - p
            # subnormal range: at most p bits, the lowest one half the smallest subnormal
            sub_a, sub_b = _random_odd_pairs(a, b, draw // 2, rng)
            small = bit_length(sub_a * sub_b) <= p
            odd_a = np.concatenate([odd_a, sub_a[small]])
            odd_b = np.concatenate([odd_b, sub_b[small]])
            low = np.concatenate([low, np.full(int(small.sum()), r.lsb_exponent - 1)])
        else:
            odd_a, odd_b = _random_odd_pairs(a, b, draw, rng)
            bits = bit_length(odd_a * odd_b)
            if kind == "overflow":
                top = _emax(r) + rng.integers(-1, 2, draw)
            else:  # underflow: around emin, the smallest subnormal and half of it
                top = np.where(rng.random(draw) < 0.5, r.emin + rng.integers(-2, 2, draw),
                               r.lsb_exponent + rng.integers(-2, 2, draw))
            low = top - bits + 1
        pairs = product_pairs(a, b, odd_a, odd_b, low, rng)
        found_a.append(pairs.a_codes)
        found_b.append(pairs.b_codes)
        if sum(map(len, found_a)) >= count:
            break
    return Pairs(np.concatenate(found_a)[:count], np.concatenate(found_b)[:count])


def _directed_ties(a: MiniFloat, b: MiniFloat, r: MiniFloat, rng) -> Pairs:
    """The overflow tie (max + ulp/2), the tie just below the smallest normal, and 1/2 and 3/2 of
    the smallest subnormal, as products where the operands can make them."""
    p = _significand_bits(r)
    max_significand = (1 << r.man_bits) | (r.max_code_magnitude & ((1 << r.man_bits) - 1))
    targets = [(2 * max_significand + 1, _emax(r) - p), ((1 << p) - 1, r.lsb_exponent - 1),
               (1, r.lsb_exponent - 1), (3, r.lsb_exponent - 1)]
    odd_a, odd_b, low = [], [], []
    for target, target_low in targets:
        for u_a, u_b in _directed_factors(target, a, b):
            odd_a.append(u_a)
            odd_b.append(u_b)
            low.append(target_low)
    if not odd_a:
        return Pairs(np.zeros(0, np.int64), np.zeros(0, np.int64))
    repeat = 16  # random exponent splits and signs of each
    odd_a, odd_b, low = (np.repeat(np.array(column, np.int64), repeat) for column in (odd_a, odd_b, low))
    return product_pairs(a, b, odd_a, odd_b, low, rng)


def _split_counts(count: int, shares: dict) -> dict:
    total = sum(shares.values())
    counts = {kind: int(count * share / total) for kind, share in shares.items()}
    counts[next(iter(counts))] += count - sum(counts.values())
    return counts


def _assemble(parts: list[Pairs], count: int, fill, rng) -> Pairs:
    """The pairs of *parts* topped up with ``fill(n)`` to *count*, shuffled."""
    a = np.concatenate([p.a_codes for p in parts])[:count]
    b = np.concatenate([p.b_codes for p in parts])[:count]
    if len(a) < count:
        extra = fill(count - len(a))
        a, b = np.concatenate([a, extra.a_codes]), np.concatenate([b, extra.b_codes])
    order = rng.permutation(count)
    return Pairs(a[order].astype(np.int64), b[order].astype(np.int64))


def mul_pairs(a, b, result, count: int, seed: int = 0) -> Pairs:
    """*count* random operand pairs for a rounding multiplier, mostly constructed edges (see the module)."""
    a, b, r = scalar_format(a), scalar_format(b), scalar_format(result)
    rng = np.random.default_rng(seed)
    counts = _split_counts(count, MUL_SHARES)

    def uniform(n):
        return Pairs(rng.integers(0, 1 << a.bits, n), rng.integers(0, 1 << b.bits, n))

    def edges(n):
        return Pairs(edge_operands(a, n, rng), edge_operands(b, n, rng))

    n = counts["subnormal"]
    subnormal_a = compose(a, rng.integers(0, 2, n), np.zeros(n, np.int64),
                          rng.integers(0, 1 << a.man_bits, n))
    parts = [uniform(counts["uniform"]), edges(counts["edges"]),
             Pairs(subnormal_a, edge_operands(b, counts["subnormal"], rng))]
    directed = _directed_ties(a, b, r, rng)
    parts.append(_take(directed, min(len(directed.a_codes), counts["ties"] // 8), rng))
    for kind in ("ties", "overflow", "underflow"):
        parts.append(_constructed_products(a, b, r, kind, counts[kind] - (len(parts[-1].a_codes)
                                                                          if kind == "ties" else 0), rng))
    return _assemble(parts, count, edges, rng)


# -- adders --------------------------------------------------------------------------------------------

def _int_pairs(fmt: IntFormat, count: int, rng) -> Pairs:
    """Uniform codes, edge values (0, +-1, min, max) and same-sign pairs that overflow."""
    mask = (1 << fmt.bits) - 1
    edges = np.array(sorted({0, 1, mask, fmt.min_int & mask, fmt.max_int & mask, (fmt.max_int - 1) & mask}),
                     dtype=np.int64)
    codes = rng.integers(0, 1 << fmt.bits, (2, count), dtype=np.int64)
    pick = rng.random((2, count))
    codes = np.where(pick < 0.3, rng.choice(edges, (2, count)), codes)
    large = rng.random(count) < 0.2  # both near the same end: a wrap
    near = (fmt.max_int - rng.integers(0, 1 << min(max(fmt.bits - 2, 0), 20), (2, count))) & mask
    codes = np.where(large, near, codes)
    return Pairs(codes[0], codes[1])


def _tie_sums(fmt: MiniFloat, count: int, rng) -> Pairs:
    """a + b exactly halfway between a result code and the next (max + ulp/2 included)."""
    p = _significand_bits(fmt)
    magnitude = rng.integers(1 << fmt.man_bits, fmt.max_code_magnitude + 1, count)  # normal codes
    at_max = rng.random(count) < 0.05
    magnitude = np.where(at_max, fmt.max_code_magnitude, magnitude)
    value = decode(fmt, magnitude)
    field = magnitude >> fmt.man_bits
    half_ulp = field - fmt.bias - fmt.man_bits - 1  # exponent of ulp / 2
    reach = rng.integers(0, p + 1, count)  # b = +-(2j + 1) * ulp / 2 with j < 2^reach
    odd = 2 * np.floor(rng.random(count) * (2.0 ** reach)).astype(np.int64) + 1
    b = np.ldexp(odd.astype(np.float64), half_ulp) * np.where(rng.random(count) < 0.5, -1.0, 1.0)
    tie = value + np.ldexp(1.0, half_ulp)
    a = tie - b  # exact: all three are small multiples of ulp / 2
    sign = np.where(rng.random(count) < 0.5, -1.0, 1.0)
    a, b = a * sign, b * sign
    with np.errstate(over="ignore"):
        codes_a, codes_b = encode(fmt, a), encode(fmt, b)
    exact = (decode(fmt, codes_a) == a) & (decode(fmt, codes_b) == b)
    swap = rng.random(count) < 0.5
    first, second = np.where(swap, codes_b, codes_a), np.where(swap, codes_a, codes_b)
    return Pairs(first[exact], second[exact])


def _finite_magnitudes(fmt: MiniFloat, count: int, rng, low: int = 0) -> np.ndarray:
    return rng.integers(low, fmt.max_code_magnitude + 1, count)


def _float_pairs(fmt: MiniFloat, count: int, rng) -> Pairs:
    counts = _split_counts(count, ADD_SHARES)
    sign_bit = 1 << (fmt.bits - 1)
    top = fmt.max_code_magnitude

    def edges(n):
        return Pairs(edge_operands(fmt, n, rng), edge_operands(fmt, n, rng))

    n = counts["uniform"]
    parts = [Pairs(rng.integers(0, 1 << fmt.bits, n), rng.integers(0, 1 << fmt.bits, n)),
             edges(counts["edges"])]
    for _ in range(8):  # drawing and filtering (a format without two normal binades has no ties)
        if sum(len(p.a_codes) for p in parts[2:]) >= counts["ties"]:
            break
        parts.append(_tie_sums(fmt, 2 * counts["ties"] + 16, rng))
    ties = Pairs(*(np.concatenate([p[k] for p in parts[2:]])[:counts["ties"]] for k in range(2)))
    parts[2:] = [ties]
    # cancellation: b = -(a + delta codes), delta in -3..3 (0: x + (-x))
    n = counts["cancel"]
    a = _finite_magnitudes(fmt, n, rng)
    b = np.clip(a + np.where(rng.random(n) < 0.3, 0, rng.integers(-3, 4, n)), 0, top)
    negative = rng.integers(0, 2, n) * sign_bit
    parts.append(Pairs(a | negative, b | (sign_bit ^ negative)))
    # close exponents: b's exponent field within the significand's width (and 3 more) of a's
    n = counts["close"]
    a = _finite_magnitudes(fmt, n, rng)
    field = np.clip((a >> fmt.man_bits) + rng.integers(-fmt.man_bits - 4, fmt.man_bits + 5, n), 0,
                    top >> fmt.man_bits)
    b = np.minimum(compose(fmt, np.zeros(n, np.int64), field, _fraction(fmt, field, rng)), top)
    parts.append(Pairs(a | rng.integers(0, 2, n) * sign_bit, b | rng.integers(0, 2, n) * sign_bit))
    # overflow: both in the top two binades, the same sign
    n = counts["overflow"]
    low = max(top - (2 << fmt.man_bits) + 1, 0)
    negative = rng.integers(0, 2, n) * sign_bit
    parts.append(Pairs(_finite_magnitudes(fmt, n, rng, low) | negative,
                       _finite_magnitudes(fmt, n, rng, low) | negative))
    # subnormal operands: both subnormal, or one against the smallest normals
    n = counts["subnormal"]
    a = rng.integers(0, 1 << fmt.man_bits, n)
    b = rng.integers(0, 2 << fmt.man_bits, n)
    parts.append(Pairs(a | rng.integers(0, 2, n) * sign_bit, b | rng.integers(0, 2, n) * sign_bit))
    return _assemble(parts, count, edges, rng)


def add_pairs(fmt, count: int, seed: int = 0) -> Pairs:
    """*count* random operand pairs for an adder of *fmt*, mostly constructed edges (see the module)."""
    fmt = scalar_format(fmt)
    rng = np.random.default_rng(seed)
    if isinstance(fmt, IntFormat):
        return _int_pairs(fmt, count, rng)
    return _float_pairs(fmt, count, rng)
