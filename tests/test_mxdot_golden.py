"""hwgen.golden.block_dot against an independent Fraction oracle, hand-checked blocks, and its errors.

The oracle below is written from docs/formats.md#block-dot-products and hwgen's documented block contract
(hwgen/golden/block_dot.py): it decodes every element and scale with tests/reference.py (pure Python,
no hwgen golden code), multiplies the four factors of each scaled product as Fractions with IEEE
special rules, sums blocks exactly and rounds with reference.encode (one rounding per block).
"""

import math
from fractions import Fraction

import numpy as np
import pytest
import reference as ref

from hwgen.formats import BLOCK_FORMATS, E8M0, SCALE_E8M0, BlockFormat, IntFormat, get_format
from hwgen.formats.block_dot import block_accumulator, resolve_block_format
from hwgen.golden.block import dequantize_blocks, quantize_blocks
from hwgen.golden.block_dot import block_dot, block_terms
from hwgen.sim.mxdot_stimulus import BlockVectors, random_block_dots

FORMATS = list(BLOCK_FORMATS)


# -- the oracle -------------------------------------------------------------------------------
def scale_val(fmt: BlockFormat, code: int) -> ref.Val:
    if isinstance(fmt.scale, E8M0):  # OCP MX v1.0: 2^(code - 127), 0xFF is NaN
        return ref.Val("nan", False) if code == 0xFF else ref.Val("num", False, ref.pow2(code - 127))
    return ref.decode(fmt.scale, code)


def scaled_products(a: BlockFormat, b: BlockFormat, sa: int, ca, sb: int, cb):
    """(kind, negative, value) of every a_k * b_k * scale_a * scale_b."""
    scales = (scale_val(a, sa), scale_val(b, sb))
    out = []
    for x, y in zip(ca, cb, strict=True):
        factors = (ref.decode(a.element, int(x)), ref.decode(b.element, int(y)), *scales)
        negative = sum(f.neg for f in factors) % 2 == 1
        has_zero = any(f.kind == "num" and f.mag == 0 for f in factors)
        has_inf = any(f.kind == "inf" for f in factors)
        if any(f.kind == "nan" for f in factors) or (has_inf and has_zero):
            out.append(("nan", False, Fraction(0)))
        elif has_inf:
            out.append(("inf", negative, Fraction(0)))
        else:
            out.append(("num", negative, math.prod((f.value for f in factors), start=Fraction(1))))
    return out


def lsb_exponent(a: BlockFormat, b: BlockFormat) -> int:
    scale = -127 if isinstance(a.scale, E8M0) else ref.lsb_exponent(a.scale)
    return ref.lsb_exponent(a.element) + ref.lsb_exponent(b.element) + 2 * scale


def fixed_width(a: BlockFormat, b: BlockFormat, terms: int) -> int:
    scale_max = 1 << 254 if isinstance(a.scale, E8M0) else ref.max_units(a.scale)
    biggest = a.block_size * ref.max_units(a.element) * ref.max_units(b.element) * scale_max**2
    return (biggest * terms).bit_length() + 1


def oracle(vectors, a: BlockFormat, b: BlockFormat, acc: str, width: int | None = None):
    """[(acc, nan, inf)] per dot product, as docs/formats.md and the block contract say."""
    ends = np.flatnonzero(vectors.last)
    starts = np.concatenate(([0], ends[:-1] + 1))
    fmt = None if acc == "fixed" else get_format(acc)
    results = []
    for start, end in zip(starts.tolist(), ends.tolist(), strict=True):
        blocks = [scaled_products(a, b, int(vectors.a_scales[k]), vectors.a_codes[k],
                                  int(vectors.b_scales[k]), vectors.b_codes[k])
                  for k in range(start, end + 1)]
        if fmt is None:
            results.append(_oracle_fixed(blocks, lsb_exponent(a, b), width))
        else:
            results.append((_oracle_float(blocks, fmt), False, 0))
    return results


def _oracle_fixed(blocks, lsb: int, width: int):
    products = [p for block in blocks for p in block]
    total = sum(v for k, _, v in products if k == "num")
    units = total / ref.pow2(lsb)
    assert units.denominator == 1
    pos = any(k == "inf" and not n for k, n, _ in products)
    neg = any(k == "inf" and n for k, n, _ in products)
    nan = any(k == "nan" for k, _, _ in products) or (pos and neg)
    return ref.wrap(int(units), width), nan, int(pos) | (int(neg) << 1)


def _oracle_float(blocks, fmt):
    acc = ref.Val("num", False, Fraction(0))
    for block in blocks:
        pos = any(k == "inf" and not n for k, n, _ in block)
        neg = any(k == "inf" and n for k, n, _ in block)
        if acc.kind == "nan" or any(k == "nan" for k, _, _ in block) or (pos and neg):
            acc = ref.Val("nan", False)
        elif pos or neg:
            acc = ref.Val("nan", False) if acc.kind == "inf" and acc.neg != neg else ref.Val("inf", neg)
        elif acc.kind == "num":
            total = acc.value + sum(v for k, _, v in block if k == "num")
            # The block value is an exact integer multiple of its lsb: never -0, so x + 0 and
            # x - x give +0; a nonzero sum that rounds to zero keeps its sign.
            acc = ref.Val("num", False) if total == 0 else ref.decode(fmt, ref.encode(fmt, total))
    if acc.kind == "nan":
        return ref.minifloat_nan_code(fmt, False)
    return ref.encode(fmt, acc.as_float() if acc.kind == "inf" else acc)


def golden(vectors, a, b, acc, terms=None):
    result = block_dot(vectors.a_scales, vectors.a_codes, vectors.b_scales, vectors.b_codes, vectors.last,
                       a, b, acc=acc, terms=terms)
    return [(int(v), bool(n), int(i)) for v, n, i in zip(result.acc, result.nan, result.inf, strict=True)]


# -- golden vs oracle -----------------------------------------------------------------------------
@pytest.mark.parametrize("acc", ["fixed", "fp32", "bf16", "fp16"])
@pytest.mark.parametrize("name", FORMATS)
def test_golden_matches_the_fraction_oracle(name, acc):
    fmt = BLOCK_FORMATS[name]
    vectors = random_block_dots(fmt, fmt, 160, max_blocks=4, seed=FORMATS.index(name))
    spec = block_accumulator(acc, fmt, fmt)
    if acc == "fixed":
        assert spec.lsb_exponent == lsb_exponent(fmt, fmt)
        assert spec.width == fixed_width(fmt, fmt, 64)
    assert golden(vectors, fmt, fmt, acc) == oracle(vectors, fmt, fmt, acc, spec.width)


MIXED = [("mxfp8_e4m3", "mxfp8_e5m2", "fp32"), ("mxint8", "mxfp6_e2m3", "fixed"), ("mxfp4", "mxint8", "bf16"),
         ("mxfp8_e5m2", "mxfp4", "fixed")]


@pytest.mark.parametrize(("a", "b", "acc"), MIXED)
def test_mixed_element_formats_match_the_oracle(a, b, acc):
    fa, fb = BLOCK_FORMATS[a], BLOCK_FORMATS[b]
    vectors = random_block_dots(fa, fb, 120, max_blocks=3, seed=7)
    width = block_accumulator(acc, fa, fb).width
    assert golden(vectors, fa, fb, acc) == oracle(vectors, fa, fb, acc, width)


def test_uniformly_random_codes_match_the_oracle():
    # No bias at all: every element and scale code equally likely (NaN scales, inf elements ...).
    rng = np.random.default_rng(3)
    for name in ("mxfp8_e5m2", "nvfp4", "mxint8"):
        fmt = BLOCK_FORMATS[name]
        vectors = random_block_dots(fmt, fmt, 60, seed=1)
        vectors = vectors._replace(
            a_codes=rng.integers(0, 1 << fmt.element.bits, vectors.a_codes.shape),
            b_codes=rng.integers(0, 1 << fmt.element.bits, vectors.b_codes.shape),
            a_scales=rng.integers(0, 256, len(vectors.last)),
            b_scales=rng.integers(0, 256, len(vectors.last)))
        for acc in ("fixed", "fp32"):
            width = block_accumulator(acc, fmt, fmt).width
            assert golden(vectors, fmt, fmt, acc) == oracle(vectors, fmt, fmt, acc, width)


def test_small_block_size_and_wrapping_accumulator_match_the_oracle():
    fmt = resolve_block_format("mxfp8_e4m3", block=4)
    vectors = random_block_dots(fmt, fmt, 200, max_blocks=6, seed=5)
    term_bits = block_accumulator("fixed", fmt, fmt, terms=1).width
    for acc in (f"fixed:{term_bits}", "fixed"):
        width = block_accumulator(acc, fmt, fmt).width
        assert golden(vectors, fmt, fmt, acc) == oracle(vectors, fmt, fmt, acc.split(":")[0], width)


def test_wide_integer_elements_match_the_oracle():
    # 32-bit elements: significand products beyond int64 take the golden model's Python-int path.
    fmt = BlockFormat("int32_blocks", IntFormat(32), 4, SCALE_E8M0)
    rng = np.random.default_rng(9)
    codes = rng.integers(0, 1 << 32, (40, 4), dtype=np.int64)
    codes[::3] = np.array([0x7FFFFFFF, 0x80000000, 0x80000000, 0x7FFFFFFF])  # the extremes
    scales = rng.integers(100, 160, 40)
    last = rng.random(40) < 0.4
    last[-1] = True
    vectors = BlockVectors(scales, codes, scales[::-1].copy(), codes[::-1].copy(), last)
    for acc in ("fixed", "fp32"):
        width = block_accumulator(acc, fmt, fmt).width
        assert golden(vectors, fmt, fmt, acc) == oracle(vectors, fmt, fmt, acc, width)


# -- hand-checked blocks ---------------------------------------------------------------------------
def one_block(name, a_values, b_values, scale_a, scale_b, acc="fp32"):
    fmt = BLOCK_FORMATS[name]
    codes = []
    for values in (a_values, b_values):
        block = np.zeros(fmt.block_size)
        block[: len(values)] = values
        codes.append(np.asarray(ref_encode(fmt.element, block)))
    result = block_dot([scale_a], codes[0][None], [scale_b], codes[1][None], [True], name, acc=acc)
    return int(result.acc[0]), bool(result.nan[0]), int(result.inf[0])


def ref_encode(element, values):
    return [ref.encode(element, float(v)) for v in values]


def test_mxfp4_block_by_hand():
    # (1*1 + 2*3 + 0.5*-4 + -6*0.5) = 2, times 2^(128-127) * 2^(125-127) = 1.0
    acc, _, _ = one_block("mxfp4", [1, 2, 0.5, -6], [1, 3, -4, 0.5], 128, 125)
    assert acc == 0x3F800000
    acc, nan, inf = one_block("mxfp4", [1, 2, 0.5, -6], [1, 3, -4, 0.5], 128, 125, acc="fixed")
    lsb = block_accumulator("fixed", "mxfp4").lsb_exponent
    assert (Fraction(acc) * ref.pow2(lsb), nan, inf) == (1, False, 0)


def test_one_rounding_per_block_not_per_element():
    # 1 + 2^-8 + 2^-8 = 1 + 2^-7, a bf16 value. Rounding after each element would lose both halves
    # (1 + 2^-8 is a tie that rounds to the even 1).
    acc, _, _ = one_block("mxfp8_e4m3", [1, 2**-8, 2**-8], [1, 1, 1], 127, 127, acc="bf16")
    assert acc == 0x3F81


def test_nan_scale_and_special_elements():
    assert one_block("mxfp8_e4m3", [1], [1], 0xFF, 127) == (0x7FC00000, False, 0)
    acc, nan, inf = one_block("mxfp8_e4m3", [1, 2], [1, 2], 127, 0xFF, acc="fixed")
    assert (acc, nan, inf) == (0, True, 0)  # every product of a NaN-scale block is NaN: none added
    assert one_block("mxfp8_e5m2", [np.inf, 0], [0, 1], 127, 127) == (0x7FC00000, False, 0)  # inf * 0
    acc, nan, inf = one_block("mxfp8_e5m2", [np.inf, 3], [-2, 1], 127, 127, acc="fixed")
    units = 3 * 2**16 * 2**16 * 2**254  # 3 * 1 in units of 2^(-16 - 16 - 254)
    assert (acc, nan, inf) == (units, False, 2)  # -inf added, the finite product kept
    assert one_block("mxfp8_e5m2", [np.inf, -np.inf], [1, 1], 127, 127) == (0x7FC00000, False, 0)
    assert one_block("mxfp8_e4m3", [np.nan], [0], 127, 127)[0] == 0x7FC00000


def test_nvfp4_scales_multiply_their_significands():
    # E4M3 scales 1.5 (0x3C) and -0.75 (0xB6 ... ) scale the block sum 6 * 6 = 36 exactly.
    fmt = BLOCK_FORMATS["nvfp4"]
    sa, sb = ref.encode(fmt.scale, 1.5), ref.encode(fmt.scale, -0.75)
    acc, _, _ = one_block("nvfp4", [6], [6], sa, sb)
    assert acc == ref.encode(get_format("fp32"), -40.5)
    zero = ref.encode(fmt.scale, 0.0)
    assert one_block("nvfp4", [6], [6], zero, sb) == (0, False, 0)  # a zero block is +0


def test_exact_cancellation_gives_plus_zero_and_underflow_keeps_its_sign():
    fmt = BLOCK_FORMATS["mxfp8_e4m3"]
    codes = np.zeros((3, 32), dtype=np.int64)
    codes[0, 0], codes[1, 0] = ref.encode(fmt.element, 448.0), ref.encode(fmt.element, -448.0)
    codes[2, 0] = ref.encode(fmt.element, -2.0**-9)
    ones = np.zeros((3, 32), dtype=np.int64)
    ones[:, 0] = ref.encode(fmt.element, 2.0**-9)
    last = [False, True, True]
    result = block_dot([137, 137, 0], codes, [137, 137, 0], ones, last, fmt, acc="fp32")
    # 448 * 2^10 * 2^-9 * 2^10 - the same = +0; -2^-18 * 2^-254 underflows fp32 to -0.
    assert result.acc.tolist() == [0, 0x80000000]


def test_fixed_accumulator_holds_64_largest_blocks_at_the_largest_scales():
    fmt = BLOCK_FORMATS["mxfp8_e5m2"]
    top = ref.encode(fmt.element, 57344.0)
    codes = np.full((64, 32), top)
    last = [False] * 63 + [True]
    result = block_dot(np.full(64, 254), codes, np.full(64, 254), codes, last, fmt, acc="fixed")
    spec = result.accumulator
    assert Fraction(int(result.acc[0])) * ref.pow2(spec.lsb_exponent) == 64 * 32 * 57344**2 * ref.pow2(254)
    assert spec.width == 584  # 64 * 32 * (2^31.77)^2 * 2^508 needs 583 bits, plus the sign


def test_fixed_values_equal_the_dequantized_dot_product():
    # One block definition: the quantizer's dequantized values multiply to the golden dot product.
    rng = np.random.default_rng(11)
    for name in FORMATS:
        fmt = BLOCK_FORMATS[name]
        x, y = rng.standard_normal(4 * fmt.block_size), rng.standard_normal(4 * fmt.block_size)
        (sa, ca), (sb, cb) = quantize_blocks(name, x), quantize_blocks(name, y)
        result = block_dot(sa, ca, sb, cb, [False, False, False, True], name, acc="fixed")
        exact = sum(Fraction(float(p)) * Fraction(float(q)) for p, q in
                    zip(dequantize_blocks(name, sa, ca), dequantize_blocks(name, sb, cb), strict=True))
        assert Fraction(int(result.acc[0])) * ref.pow2(result.accumulator.lsb_exponent) == exact


def test_block_terms_are_per_block():
    fmt = BLOCK_FORMATS["mxfp4"]
    vectors = random_block_dots(fmt, fmt, 50, seed=2)
    terms = block_terms(vectors.a_scales, vectors.a_codes, vectors.b_scales, vectors.b_codes, fmt)
    assert len(terms.value) == 50 and terms.nan.shape == (50,)
    assert terms.nan.tolist() == ((vectors.a_scales == 0xFF) | (vectors.b_scales == 0xFF)).tolist()


# -- errors ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(("call", "message"), [
    (lambda: block_dot([127], np.zeros((1, 32)), [127], np.zeros((1, 16)), [True], "mxfp4", "nvfp4"),
     "block sizes must match"),
    (lambda: block_dot([127], np.zeros((1, 32), int), [127], np.zeros((1, 32), int), [True], "mxfp4",
                       BlockFormat("odd", get_format("fp4_e2m1"), 32, get_format("fp8_e4m3"))),
     "mismatched scale formats"),
    (lambda: block_dot([127], np.zeros((1, 31), int), [127], np.zeros((1, 31), int), [True], "mxfp4"),
     "codes must be 1 blocks of 32"),
    (lambda: block_dot([127, 127], np.zeros((2, 32), int), [127, 127], np.zeros((2, 32), int), [True, False],
                       "mxfp4"), "the last block must have last set"),
    (lambda: block_dot([256], np.zeros((1, 32), int), [127], np.zeros((1, 32), int), [True], "mxfp4"),
     "codes of e8m0 must be between 0 and 255"),
    (lambda: block_dot([127], np.zeros((1, 32), int), [127], np.zeros((1, 32), int), [True], "fp8_e4m3"),
     "fp8_e4m3fn is not a block format"),
    (lambda: block_accumulator("fp6_e3m2", "mxfp4"), "needs a NaN code"),
    (lambda: block_accumulator("fixed:100", "mxfp4"), "must be between 522 and 4096, not 100"),
])
def test_errors_name_the_problem(call, message):
    with pytest.raises(ValueError, match=message):
        call()
