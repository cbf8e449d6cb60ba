"""hwgen.golden.block against docs/formats.md#block-formats-mx-and-nvfp4 (OCP MX v1.0; hwgen's NVFP4 rule):
hand-checked blocks with the arithmetic written out, and random blocks against the pure-Python
reference (tests/reference.py)."""

import math
from fractions import Fraction

import numpy as np
import pytest
import reference as ref

from hwgen.formats import get_format
from hwgen.golden.block import dequantize_blocks, quantize_blocks

E4M3 = get_format("fp8_e4m3fn")
E2M1 = get_format("fp4_e2m1")


def block(size, values):
    """A block of ``size`` elements: ``values`` first, zeros after."""
    x = np.zeros(size)
    x[: len(values)] = values
    return x


def quantize(name, x):
    scales, codes = quantize_blocks(name, x)
    assert scales.dtype == np.int64 and codes.dtype == np.int64
    return scales, codes


def check_block(name, values, scale, elements):
    """quantize one block: its scale code and its element codes (zeros after ``elements``)."""
    size = get_format(name).block_size
    scales, codes = quantize(name, block(size, values))
    assert scales.tolist() == [scale]
    assert codes.tolist() == block(size, elements).astype(int).tolist()
    return scales, codes


# ---------------------------------------------------------------------------------------------
# MX, by hand. shared_exp = floor(log2(max|v|)) - emax_elem; scale code = shared_exp + 127;
# element = encode(elem, v / 2^shared_exp, saturate=True), ties to even.
# ---------------------------------------------------------------------------------------------
def test_mx_all_zero_block():
    for name in ("mxfp8_e4m3", "mxfp8_e5m2", "mxfp6_e3m2", "mxfp6_e2m3", "mxfp4", "mxint8"):
        scales, codes = check_block(name, [], 0, [])  # shared_exp -127 (code 0), zero elements
        assert not dequantize_blocks(name, scales, codes).any()


def test_mx_block_with_nan_or_inf():
    for special in (np.nan, np.inf, -np.inf):
        for name in ("mxfp8_e4m3", "mxfp4", "mxint8"):
            scales, codes = check_block(name, [1.0, special, 2.0], 0xFF, [])  # NaN scale, codes 0
            assert np.isnan(dequantize_blocks(name, scales, codes)).all()


def test_mxfp8_e4m3_mixed_block():
    # max 1000: floor(log2 1000) = 9, emax(E4M3) = 8 -> shared_exp 1, scale code 128; elements v / 2
    values = [1000.0, 3.0, -0.25, 930.0, 928.0, 2.0**-9, 3 * 2.0**-10, -0.0, 17.0, 19.0]
    elements = [
        0x7E,  # 500 > 448: saturates to 448 (S.1111.110)
        0x3C,  # 1.5 = 2^0 * 1.100
        0xA0,  # -0.125 = -2^-3: field -3 + 7 = 4 -> 1.0100.000
        0x7E,  # 465: rounds to 480, beyond max -> saturate 448
        0x7E,  # 464: tie 448 (0x7E, even) / virtual 480 (0x7F)
        0x00,  # 2^-10: half the smallest subnormal 2^-9, tie -> +0
        0x01,  # 1.5 * 2^-10 = 0.75 * 2^-9 -> 2^-9
        0x80,  # -0 stays -0
        0x50,  # 8.5: tie 8 (0x50) / 9 (0x51) -> 8
        0x52,  # 9.5: tie 9 (0x51) / 10 (0x52) -> 10
    ]
    scales, codes = check_block("mxfp8_e4m3", values, 128, elements)
    got = dequantize_blocks("mxfp8_e4m3", scales, codes)
    np.testing.assert_array_equal(got[:10], [896.0, 3.0, -0.25, 896.0, 896.0, 0.0, 2.0**-8, -0.0, 16.0, 20.0])
    assert np.signbit(got[7])


def test_mx_max_rounds_up_and_saturates():
    # mxfp8_e4m3, max 0.99: floor(log2 0.99) = -1 -> shared_exp -9, code 118; 0.99 * 512 = 506.88 lies
    # past 448 + 16 (the tie with the virtual 480): the max element saturates to 448 -> 0.875
    scales, codes = check_block("mxfp8_e4m3", [0.99, -0.99], 118, [0x7E, 0xFE])
    assert dequantize_blocks("mxfp8_e4m3", scales, codes)[:2].tolist() == [0.875, -0.875]
    # mxfp4, max 7: floor(log2 7) = 2 = emax(E2M1) -> shared_exp 0, code 127; 7 is the tie between 6
    # (code 7, odd) and the virtual 8 (code 8, even): beyond max, saturate -> 6
    check_block("mxfp4", [7.0, -7.9, 3.5], 127, [0x7, 0xF, 0x6])  # 3.5: tie 3 (5) / 4 (6) -> 4
    # mxfp8_e5m2, max 122879 = 1.875 * 2^16 - 1: shared_exp 16 - 15 = 1; 61439.5 -> 57344 (0x7B);
    # 122880 / 2 = 61440 is the tie with the virtual 65536 (inf's code, even): saturate to 57344
    check_block("mxfp8_e5m2", [122879.0, 122880.0, -1.0], 128, [0x7B, 0x7B, 0xB8])  # -0.5: 1.01110.00


def test_mxfp4_mixed_block():
    # max 12: floor(log2 12) = 3, emax(E2M1) = 2 -> shared_exp 1, scale code 128; elements v / 2
    values = [12.0, -5.0, 1.5, 0.5, 7.0, 11.0, -0.3, 0.0, 2.0]
    elements = [
        0x7,  # 6
        0xC,  # -2.5: tie 2 (code 4) / 3 (code 5) -> 2, with the sign bit
        0x2,  # 0.75: tie 0.5 (1) / 1 (2) -> 1
        0x0,  # 0.25: tie 0 (0) / 0.5 (1) -> 0
        0x6,  # 3.5: tie 3 (5) / 4 (6) -> 4
        0x7,  # 5.5 -> 6
        0x8,  # -0.15 -> -0
        0x0,
        0x2,  # 1
    ]
    scales, codes = check_block("mxfp4", values, 128, elements)
    got = dequantize_blocks("mxfp4", scales, codes)
    assert got[:9].tolist() == [12.0, -4.0, 2.0, 0.0, 8.0, 12.0, -0.0, 0.0, 2.0]


def test_mxint8_mixed_block():
    # INT8 elements are code * 2^-6, clamped to +-127; emax 0. max 3.99: floor(log2 3.99) = 1 ->
    # shared_exp 1, scale code 128; element = round_half_even(v / 2 * 64)
    values = [3.0, -2.9, 0.01, 0.0234375, -1.0, 3.99, -3.99, 2.0, 0.046875, 0.015625]
    elements = [
        0x60,  # 96
        0xA3,  # -92.8 -> -93
        0x00,  # 0.32 -> 0
        0x01,  # 0.75 -> 1
        0xE0,  # -32
        0x7F,  # 127.68 -> 128 -> clamp 127
        0x81,  # -127.68 -> -128 -> clamp -127 (symmetric: -128 is never produced)
        0x40,  # 64
        0x02,  # 1.5: tie -> 2
        0x00,  # 0.5: tie -> 0
    ]
    scales, codes = check_block("mxint8", values, 128, elements)
    got = dequantize_blocks("mxint8", scales, codes)
    assert got[:10].tolist() == [3.0, -2.90625, 0.0, 0.03125, -1.0, 3.96875, -3.96875, 2.0, 0.0625, 0.0]


def test_mx_shared_exponent_clamps():
    # max 2^-140: -140 - 2 = -142 -> clamp -127 (code 0); elements 2^-140 / 2^-127 = 2^-13 -> 0
    check_block("mxfp4", [2.0**-140, -(2.0**-141)], 0, [0x0, 0x8])
    # max 2^-127 * 6 = 1.5 * 2^-125: -125 - 2 = -127: code 0, exact elements
    check_block("mxfp4", [6 * 2.0**-127, 2.0**-128], 0, [0x7, 0x1])
    # max 2^200: 200 - 2 = 198 -> clamp 127 (code 254); elements 2^73 -> saturate 6
    check_block("mxfp4", [2.0**200, -(2.0**129), 2.0**127], 254, [0x7, 0xE, 0x2])  # -4, 1
    # the float64 extremes: subnormal 2^-1074 (clamp -127, elements round to +-0) and max float64
    check_block("mxfp4", [5e-324, -5e-324], 0, [0x0, 0x8])
    check_block("mxint8", [5e-324, -5e-324], 0, [0x00, 0x00])  # INT8 has no -0
    check_block("mxfp8_e4m3", [1.7976931348623157e308, -1.0], 254, [0x7E, 0x80])  # -2^-127 -> -0


def test_mx_block_size_mismatch():
    with pytest.raises(ValueError, match="multiple of the block size 32, not 33"):
        quantize_blocks("mxfp4", np.zeros(33))
    with pytest.raises(ValueError, match="block size"):
        quantize_blocks("nvfp4", np.zeros(24))
    with pytest.raises(ValueError):
        dequantize_blocks("mxfp4", np.zeros(2, dtype=np.int64), np.zeros(32, dtype=np.int64))
    with pytest.raises(ValueError):
        dequantize_blocks("mxfp4", np.zeros(1, dtype=np.int64), np.zeros(31, dtype=np.int64))


def test_scalar_format_is_not_a_block_format():
    with pytest.raises(ValueError):
        quantize_blocks("fp4_e2m1", np.zeros(32))


# ---------------------------------------------------------------------------------------------
# NVFP4, by hand: scale = encode(E4M3, max|v| / 6, saturate); element = the E2M1 value nearest to
# v / scale (exact), ties to even, saturating.
# ---------------------------------------------------------------------------------------------
def test_nvfp4_unit_scale():
    # max 6: 6 / 6 = 1 -> scale 0x38; elements v / 1
    values = [6.0, -3.0, 1.0, 2.4, 0.7, 0.75, 5.0]
    elements = [0x7, 0xD, 0x2, 0x4, 0x1, 0x2, 0x6]  # 2.4 -> 2, 0.7 -> 0.5, 0.75 tie -> 1, 5 tie -> 4
    check_block("nvfp4", values, 0x38, elements)


def test_nvfp4_block_by_hand():
    # max 10: 10 / 6 = 1.666..., E4M3 neighbours 1.625 (0x3D) and 1.75 (0x3E) -> 1.625 (0x3D)
    values = [10.0, 5.0, 4.0625, -0.8125, 1.21875, 0.40625, 9.75, 2.4375]
    elements = [
        0x7,  # 10 / 1.625 = 6.15 -> saturate 6
        0x5,  # 3.08 -> 3
        0x4,  # 4.0625 = 2.5 * 1.625: tie 2 (4) / 3 (5) -> 2
        0x9,  # -0.5
        0x2,  # 1.21875 = 0.75 * 1.625: tie 0.5 (1) / 1 (2) -> 1
        0x0,  # 0.40625 = 0.25 * 1.625: tie 0 / 0.5 -> 0
        0x7,  # 9.75 = 6 * 1.625
        0x3,  # 2.4375 = 1.5 * 1.625
    ]
    scales, codes = check_block("nvfp4", values, 0x3D, elements)
    got = dequantize_blocks("nvfp4", scales, codes)
    assert got[:8].tolist() == [9.75, 4.875, 3.25, -0.8125, 1.625, 0.0, 9.75, 2.4375]


def test_nvfp4_saturating_and_tiny_scales():
    # max 1e6: 1e6 / 6 = 166666.7 -> saturate to 448 (0x7E); elements v / 448
    # 2.23 -> 2, -6, 2.5: tie -> 2
    check_block("nvfp4", [1e6, 1000.0, -2688.0, 1120.0], 0x7E, [0x7, 0x4, 0xF, 0x4])
    # max 0.01: 0.01 / 6 = 0.00167 = 0.853 * 2^-9 -> the smallest subnormal 2^-9 (0x01);
    # elements v / 2^-9: 0.01 -> 5.12 -> 6, 0.004 -> 2.048 -> 2
    check_block("nvfp4", [0.01, 0.004, -0.002], 0x01, [0x7, 0x4, 0xA])  # -1.024 -> -1


def test_nvfp4_float64_extremes():
    check_block("nvfp4", [1.7976931348623157e308, -(2.0**1000)], 0x7E, [0x7, 0xF])  # both saturate
    scales, codes = quantize("nvfp4", block(16, [5e-324]))
    assert scales.tolist() == [0] and not (codes & 0x7).any()


def test_nvfp4_zero_scale():
    # max 2^-12: 2^-12 / 6 < 2^-10 (half the smallest E4M3 subnormal) -> scale +0; zero elements
    scales, codes = quantize("nvfp4", block(16, [2.0**-12, -(2.0**-13)]))
    assert scales.tolist() == [0]
    assert not (codes & 0x7).any()  # zero magnitudes (the sign of a zero element is not specified)
    assert not dequantize_blocks("nvfp4", scales, codes).any()
    scales, codes = quantize("nvfp4", np.zeros(16))
    assert scales.tolist() == [0] and not (codes & 0x7).any()


def test_nvfp4_nan_block():
    for special in (np.nan, np.inf, -np.inf):
        scales, codes = check_block("nvfp4", [1.0, special], 0x7F, [])
        assert np.isnan(dequantize_blocks("nvfp4", scales, codes)).all()


# ---------------------------------------------------------------------------------------------
# Random blocks against the reference, and dequantize(quantize(x)) properties
# ---------------------------------------------------------------------------------------------
NAMES = ["mxfp8_e4m3", "mxfp8_e5m2", "mxfp6_e3m2", "mxfp6_e2m3", "mxfp4", "mxint8", "nvfp4"]


def signed(v: float, mag: Fraction) -> ref.Val:
    return ref.Val("num", math.copysign(1.0, v) < 0, mag)


def reference_block(fmt, values):
    """(scale code, element codes) of one block, with Fractions."""
    if any(not math.isfinite(v) for v in values):
        return (0xFF if fmt.name != "nvfp4" else 0x7F), [0] * len(values)
    top = max(abs(Fraction(v)) for v in values)
    element = fmt.element
    if fmt.name == "nvfp4":
        scale_code = ref.encode(E4M3, top / 6, saturate=True)
        scale = ref.decode(E4M3, scale_code).mag
        if scale == 0:
            return scale_code, [0] * len(values)
        return scale_code, [ref.encode(E2M1, signed(v, abs(Fraction(v)) / scale), saturate=True)
                            for v in values]
    emax = {"mxfp8_e4m3": 8, "mxfp8_e5m2": 15, "mxfp6_e3m2": 4, "mxfp6_e2m3": 2, "mxfp4": 2,
            "mxint8": 0}[fmt.name]
    shared = -127 if top == 0 else min(max(ref.floor_log2(top) - emax, -127), 127)
    return shared + 127, [ref.encode(element, signed(v, abs(Fraction(v)) / ref.pow2(shared)), saturate=True)
                          for v in values]


def random_blocks(fmt, rng, count):
    """count blocks: each with its own magnitude (2^-150 .. 2^150, so the scale clamps too), some
    exact element ties, zeros of both signs, and a few NaN / inf blocks."""
    size = fmt.block_size
    x = rng.normal(size=(count, size)) * 2.0 ** rng.uniform(-150, 150, (count, 1))
    grid = rng.integers(-64, 65, (count, size)) / 8.0 * 2.0 ** rng.integers(-20, 20, (count, 1))
    use_grid = rng.random((count, 1)) < 0.3
    x = np.where(use_grid, grid, x)
    x[rng.random((count, size)) < 0.05] = 0.0
    x[rng.random((count, size)) < 0.05] = -0.0
    x[rng.random(count) < 0.03] = 0.0
    special = rng.random((count, size)) < 0.003
    x[special] = rng.choice([np.nan, np.inf, -np.inf], special.sum())
    return x


@pytest.mark.parametrize("name", NAMES)
def test_random_blocks_match_reference(name):
    fmt = get_format(name)
    rng = np.random.default_rng(len(name) * 97 + fmt.block_size)
    x = random_blocks(fmt, rng, 400)
    scales, codes = quantize(name, x)
    assert scales.shape == (400, 1) and codes.shape == x.shape
    for i in range(x.shape[0]):
        scale, elements = reference_block(fmt, x[i].tolist())
        got = (int(scales[i, 0]), codes[i].tolist())
        if name == "nvfp4" and scale == 0:  # zero scale: zero elements, sign unspecified
            got = (got[0], [c & 0x7 for c in got[1]])
        assert got == (scale, elements), f"block {i}: {x[i].tolist()}"
    # dequantize is exact: element value * scale value (NaN for the NaN scale)
    got = dequantize_blocks(name, scales, codes)
    for i in range(x.shape[0]):
        scale = int(scales[i, 0])
        if (name == "nvfp4" and scale == 0x7F) or (name != "nvfp4" and scale == 0xFF):
            assert np.isnan(got[i]).all()
            continue
        factor = ref.decode(E4M3, scale).mag if name == "nvfp4" else ref.pow2(scale - 127)
        expected = [ref.decode(fmt.element, c).value * factor for c in codes[i].tolist()]
        assert got[i].tolist() == [float(e) for e in expected]


@pytest.mark.parametrize("name", [n for n in NAMES if n != "nvfp4"])
def test_mx_requantize_is_idempotent(name):
    # the block max keeps its binade through quantization (the max element lies in [2^emax, max]),
    # so quantize(dequantize(q)) == q, signed zeros included
    fmt = get_format(name)
    x = random_blocks(fmt, np.random.default_rng(5), 300)
    scales, codes = quantize(name, x)
    again = quantize(name, dequantize_blocks(name, scales, codes))
    np.testing.assert_array_equal(again[0], scales)
    np.testing.assert_array_equal(again[1][scales[:, 0] != 0xFF], codes[scales[:, 0] != 0xFF])


@pytest.mark.parametrize("name", NAMES)
def test_dequantize_error_bound(name):
    # Below the block max's binade nothing saturates, so every element is within half an element
    # step of its input: |deq - v| <= max(|v| * 2^-(M+1), step * min_subnormal / 2) for minifloat
    # elements, step * 2^-7 for INT8 (codes of 2^-6); step = the block's scale value.
    fmt = get_format(name)
    rng = np.random.default_rng(9)
    low, high = (-6, 8) if name == "nvfp4" else (-20, 20)  # nvfp4: inside the E4M3 scale's range
    x = rng.normal(size=(300, fmt.block_size)) * 2.0 ** rng.uniform(low, high, (300, 1))
    scales, codes = quantize(name, x)
    got = dequantize_blocks(name, scales, codes)
    element = fmt.element
    if name == "nvfp4":
        step = np.array([float(ref.decode(E4M3, int(s)).mag) for s in scales[:, 0]])[:, None]
    else:
        step = 2.0 ** (scales.astype(float) - 127)
    step = np.repeat(step, fmt.block_size, axis=1)
    if name == "mxint8":
        bound = step * 2.0**-7
    else:
        bound = np.maximum(np.abs(x) * 2.0 ** -(element.man_bits + 1), step * element.min_subnormal / 2)
    top = np.max(np.abs(x), axis=1, keepdims=True)
    below = np.abs(x) < 2.0 ** np.floor(np.log2(top))
    if name == "nvfp4":  # the E4M3 scale itself saturates past 448 * 6 and underflows to 0 (all
        below &= (top <= 448 * 6) & (step > 0)  # elements zero) below 2^-10 * 6
    assert below.mean() > 0.5
    assert (np.abs(got - x)[below] <= bound[below]).all()


def test_shapes():
    x = np.random.default_rng(1).normal(size=(3, 2, 64))
    scales, codes = quantize("mxfp8_e4m3", x)
    assert scales.shape == (3, 2, 2) and codes.shape == (3, 2, 64)
    for i in range(3):
        for j in range(2):
            for k in range(2):
                s, c = quantize("mxfp8_e4m3", x[i, j, 32 * k: 32 * (k + 1)])
                assert s.tolist() == [scales[i, j, k]]
                assert c.tolist() == codes[i, j, 32 * k: 32 * (k + 1)].tolist()
    assert dequantize_blocks("mxfp8_e4m3", scales, codes).shape == x.shape
    scales, codes = quantize("nvfp4", x)
    assert scales.shape == (3, 2, 4)
