"""The MiniLM workload's fast exact matrix products against the golden MAC, bit for bit.

WideInt and the limb matmul are checked against Python ints; scalar-format products against
``hwgen.golden.mac.mac`` (fixed accumulators, including wrapping ``fixed:W``); block-format products
against the golden MAC per block plus the block scales as exact fractions.
"""

import random
from fractions import Fraction

import numpy as np
import pytest

from hwgen.formats import accumulator, get_format
from hwgen.golden import mac, quantize_blocks, scale_values
from hwgen.golden.codec import decode, special_table, units_table
from hwgen.workload.exact_matmul import exact_matmul, limb_plan
from hwgen.workload.operands import exact_sums, from_codes, matmul, quantize_rows
from hwgen.workload.wide import WideInt

# (a, b): activations x weights of the acceptance table, activations x activations of the attention
# products, and the element formats of the block formats.
PAIRS = [("int8", "int8"), ("int8", "int4"), ("int8", "dint4"), ("fp8_e4m3fn", "fp8_e4m3fn"),
         ("fp8_e5m2", "fp8_e5m2"), ("fp6_e3m2", "fp6_e3m2"), ("fp8_e4m3fn", "fp4_e2m1"),
         ("fp4_e2m1", "fp4_e2m1"), ("int8_sym_f6", "int8_sym_f6"), ("fp8_e5m2", "int4"), ("fp16", "fp16"),
         ("int16", "dint4"), ("int8", "nf4"), ("fp8_e4m3fn", "fp4_e2m1_sr")]


def wrapped(value: int, width: int) -> int:
    half = 1 << (width - 1)
    return ((value + half) % (1 << width)) - half


@pytest.mark.parametrize("seed", range(4))
def test_wide_int_adds_wraps_and_rounds_like_python_ints(seed):
    rng = random.Random(seed)
    for _ in range(200):
        count = rng.randint(1, 20)
        wide, expected = WideInt((count,)), [0] * count
        for _ in range(rng.randint(1, 6)):
            bits = rng.choice([8, 30, 53, 61])
            terms = [rng.randint(-(1 << bits), 1 << bits) for _ in range(count)]
            shift = rng.choice([0, rng.randint(0, 40), rng.randint(0, 200)])
            wide.add_shifted(np.array(terms, dtype=np.int64), shift)
            expected = [e + (t << shift) for e, t in zip(expected, terms, strict=True)]
        assert wide.to_ints().tolist() == expected
        assert wide.to_float64().tolist() == [float(e) for e in expected]
        assert wide.signed_bits() == max(max(expected), -min(expected) - 1, 0).bit_length() + 1
        width = rng.randint(2, 260)
        assert wide.wrap(width).to_ints().tolist() == [wrapped(e, width) for e in expected]
        assert wide.wrap(width).to_float64().tolist() == [float(wrapped(e, width)) for e in expected]


@pytest.mark.parametrize("value", [2**70 + 2**17, 2**70 + 3 * 2**17, 2**70 + 2**17 + 1, -(2**70 + 2**17),
                                   2**63 + 2**10, 2**62 - 1, -(2**62), 2**83 + 2**30 + 1, 2**75 + 2**22,
                                   -(2**75) - 2**22 - 1, 2**200 + 2**147, 2**200 + 2**147 + 1])
def test_wide_int_rounds_ties_to_even(value):
    """Halfway cases (and just past them) of the one rounding to float64, in one and many words."""
    wide, sign, magnitude = WideInt((1,)), -1 if value < 0 else 1, abs(value)
    for shift in range(0, magnitude.bit_length(), 50):
        wide.add_shifted(np.array([sign * ((magnitude >> shift) & ((1 << 50) - 1))]), shift)
    assert wide.to_ints()[0] == value
    assert wide.to_float64()[0] == float(value)


@pytest.mark.parametrize(("a_bits", "b_bits", "terms"), [(8, 8, 1536), (32, 32, 1536), (32, 8, 384),
                                                         (61, 61, 1), (61, 3, 1 << 20), (1, 1, 1 << 40)])
def test_limb_plan_keeps_every_partial_sum_exact(a_bits, b_bits, terms):
    a_limbs, a_width, b_limbs, b_width = limb_plan(a_bits, b_bits, terms)
    assert a_limbs * a_width >= a_bits and b_limbs * b_width >= b_bits
    assert a_width + b_width + (terms - 1).bit_length() <= 53


def test_exact_matmul_equals_python_ints_at_full_width():
    rng = np.random.default_rng(5)
    a = rng.integers(-(1 << 61), 1 << 61, size=(2, 3, 40))
    b = rng.integers(-(1 << 61), 1 << 61, size=(40, 4))
    a[0, 0] = -(1 << 61)
    b[:, 0] = -(1 << 61)
    ours = exact_matmul(a, b).to_ints()
    expected = np.array([[[sum(int(x) * int(y) for x, y in zip(row, col, strict=True)) for col in b.T]
                          for row in batch] for batch in a], dtype=object)
    assert (ours == expected).all()


def _codes(fmt, shape, rng):
    """Random finite codes; half of the rows use only the largest magnitudes (limbs, wrapping)."""
    finite = np.flatnonzero(~special_table(fmt))
    magnitudes = np.abs(decode(fmt, finite))
    large = finite[magnitudes >= np.quantile(magnitudes, 0.9)]
    codes = rng.choice(finite, size=shape)
    codes[::2] = rng.choice(large, size=codes[::2].shape)
    return codes


def _golden(a_codes, b_codes, a, b, acc, terms):
    """hwgen.golden.mac.mac over every (row of a, row of b) dot product."""
    rows, cols = len(a_codes), len(b_codes)
    a_items = np.repeat(a_codes, cols, axis=0).reshape(-1)
    b_items = np.tile(b_codes, (rows, 1)).reshape(-1)
    last = np.zeros(rows * cols * terms, dtype=bool)
    last[terms - 1::terms] = True
    return mac(a_items, b_items, last, a, b, acc, terms=terms)


@pytest.mark.parametrize(("a_name", "b_name"), PAIRS, ids=[f"{a}x{b}" for a, b in PAIRS])
@pytest.mark.parametrize("terms", [1, 37, 300])
def test_fast_products_equal_golden_mac(a_name, b_name, terms):
    a, b = get_format(a_name), get_format(b_name)
    rng = np.random.default_rng(terms)
    a_codes, b_codes = _codes(a, (4, terms), rng), _codes(b, (3, terms), rng)
    rows_a, rows_b = from_codes(a, a_codes), from_codes(b, b_codes)
    product_bits = accumulator("fixed", a, b, terms=1).width
    for acc in ("fixed", f"fixed:{product_bits + 2}", f"fixed:{product_bits + 70}"):
        width = None if acc == "fixed" else accumulator(acc, a, b, terms=terms).width
        golden = _golden(a_codes, b_codes, a, b, acc, terms)
        sums = exact_sums(rows_a, rows_b)
        ours = sums if width is None else sums.wrap(width)
        assert ours.to_ints().reshape(-1).tolist() == golden.acc.tolist(), acc
        values = matmul(rows_a, rows_b, width)
        assert np.array_equal(values.reshape(-1), golden.values()), acc


def _extreme_codes(fmt):
    """The codes of the largest and the most negative finite value."""
    values = np.where(special_table(fmt), 0.0, decode(fmt, np.arange(1 << fmt.bits)))
    return int(np.argmax(values)), int(np.argmin(values))


WORST = [("fp8_e5m2", "fp8_e5m2"), ("int8", "int8"), ("fp16", "int16"), ("int8", "dint4")]


@pytest.mark.parametrize(("a_name", "b_name"), WORST, ids=[f"{a}x{b}" for a, b in WORST])
def test_worst_case_sums_at_transformer_length(a_name, b_name):
    """Every product at the largest magnitude, K = 1536 (the FFN's reduction): no overflow anywhere."""
    a, b = get_format(a_name), get_format(b_name)
    terms = 1536
    (a_max, a_min), (b_max, _) = _extreme_codes(a), _extreme_codes(b)
    a_codes = np.array([[a_max] * terms, [a_min] * terms])
    b_codes = np.array([[b_max] * terms])
    golden = _golden(a_codes, b_codes, a, b, "fixed", terms)
    ours = exact_sums(from_codes(a, a_codes), from_codes(b, b_codes)).to_ints().reshape(-1).tolist()
    assert ours == golden.acc.tolist()
    units_a, units_b = units_table(a), units_table(b)
    assert ours == [terms * int(units_a[a_max]) * int(units_b[b_max]),
                    terms * int(units_a[a_min]) * int(units_b[b_max])]


def test_special_codes_are_refused():
    with pytest.raises(ValueError, match="NaN or inf"):
        from_codes("fp8_e4m3fn", np.array([[0x7F]]))


BLOCKS = ["mxfp4", "mxint8", "nvfp4", "mxfp6_e3m2", "mxfp8_e4m3"]


@pytest.mark.parametrize("name", BLOCKS)
@pytest.mark.parametrize("terms", [32, 70, 200])
def test_block_products_equal_golden_blocks(name, terms):
    """Block products = sum over blocks of golden mac(elements) * scale_a * scale_b, exactly.

    (The float per-tensor scale of NVFP4 is applied after the exact sum; both sides leave it out.)
    """
    fmt = get_format(name)
    rng = np.random.default_rng(terms)
    rows, cols, size = 3, 4, fmt.block_size
    spread = np.exp2(rng.integers(-30, 30, (rows, terms)) * (rng.random((rows, terms)) < 0.3))
    a = rng.standard_normal((rows, terms)) * np.exp2(rng.integers(-40, 40, (rows, 1))) * spread
    a[0, :40] = 0  # whole zero blocks
    b = rng.standard_normal((cols, terms))
    rows_a, rows_b = quantize_rows(a, fmt, "row"), quantize_rows(b, fmt)
    sums = exact_sums(rows_a, rows_b).to_ints()
    pad = -terms % size
    scales_a, codes_a = quantize_blocks(fmt, np.pad(a / rows_a.scale[:, None], ((0, 0), (0, pad))))
    scales_b, codes_b = quantize_blocks(fmt, np.pad(b / rows_b.scale[:, None], ((0, 0), (0, pad))))
    value_a, value_b = scale_values(fmt, scales_a), scale_values(fmt, scales_b)
    lsb = Fraction(2) ** (2 * fmt.element.lsb_exponent)
    last = np.zeros(size, dtype=bool)
    last[-1] = True
    for m in range(rows):
        for n in range(cols):
            expected = Fraction(0)
            for block in range((terms + pad) // size):
                part = slice(block * size, (block + 1) * size)
                acc = mac(codes_a[m, part], codes_b[n, part], last, fmt.element, fmt.element, terms=size)
                expected += int(acc.acc[0]) * lsb * Fraction(value_a[m, block]) * Fraction(value_b[n, block])
            ours = Fraction(int(sums[m, n])) * Fraction(2) ** int(rows_a.exponent[m] + rows_b.exponent[n])
            assert ours == expected, (m, n)


def test_block_rows_with_wide_exponent_spread_use_levels():
    a = np.ones((1, 64))
    a[0, 32:] = 2.0**-40  # two blocks 40 binades apart: more than one level
    rows = quantize_rows(a, "mxint8", "row")
    assert rows.level is not None and set(np.unique(rows.level)) == {0, 40 // rows.window}
    b = quantize_rows(np.ones((1, 64)), "mxint8")
    assert matmul(rows, b)[0, 0] == 32 + 32 * 2.0**-40


@pytest.mark.parametrize(("fmt", "groups"), [("int8", None), ("fp8_e4m3fn", "row"), ("dint4", "row"),
                                             ("fp6_e3m2", np.array([0, 2, 5])), ("mxfp4", None),
                                             ("nvfp4", np.array([0, 1, 5]))])
def test_quantized_product_is_the_product_of_dequantized_operands(fmt, groups):
    rng = np.random.default_rng(3)
    x, w = rng.standard_normal((5, 96)) * 3, rng.standard_normal((7, 96))
    a, b = quantize_rows(x, fmt, groups), quantize_rows(w, fmt, "row")
    expected = a.values() @ b.values().T
    assert np.allclose(matmul(a, b), expected, rtol=1e-12, atol=1e-12)
    largest = np.abs(a.values()).max(axis=-1)
    group_max = np.abs(x).max(axis=-1) if isinstance(groups, str) else None
    if get_format(fmt).kind != "block" and group_max is not None:
        assert np.allclose(largest, group_max)  # each row's absmax lands on the format's max
