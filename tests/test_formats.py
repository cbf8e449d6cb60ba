"""The format registry's facts against known numbers (docs/formats.md, OCP MX v1.0, ml_dtypes' finfo),
its aliases and grammar, and the wording of its errors."""

import ml_dtypes
import numpy as np
import pytest

from hwgen.formats import (
    BlockFormat,
    IntFormat,
    MiniFloat,
    TableFormat,
    accumulator,
    get_format,
    listed_formats,
)

# name: (bits, bias, max, min normal, min subnormal, has_inf, has_nan) -- written from the formats'
# definitions, e.g. E4M3 fn max = 2^(15-7) * 1.75 = 448, E5M2 max = 2^(30-15) * 1.75 = 57344.
FACTS = {
    "fp8_e4m3fn": (8, 7, 448.0, 2.0**-6, 2.0**-9, False, True),
    "fp8_e5m2": (8, 15, 57344.0, 2.0**-14, 2.0**-16, True, True),
    "fp8_e4m3fnuz": (8, 8, 240.0, 2.0**-7, 2.0**-10, False, True),
    "fp8_e5m2fnuz": (8, 16, 57344.0, 2.0**-15, 2.0**-17, False, True),
    "fp8_e4m3_ieee": (8, 7, 240.0, 2.0**-6, 2.0**-9, True, True),
    "fp8_e3m4": (8, 3, 15.5, 2.0**-2, 2.0**-6, True, True),
    "fp6_e2m3": (6, 1, 7.5, 1.0, 0.125, False, False),
    "fp6_e3m2": (6, 3, 28.0, 0.25, 0.0625, False, False),
    "fp4_e2m1": (4, 1, 6.0, 1.0, 0.5, False, False),
    "fp16": (16, 15, 65504.0, 2.0**-14, 2.0**-24, True, True),
    "bf16": (16, 127, (2 - 2.0**-7) * 2.0**127, 2.0**-126, 2.0**-133, True, True),
    "fp32": (32, 127, (2 - 2.0**-23) * 2.0**127, 2.0**-126, 2.0**-149, True, True),
}
FINFO = {
    "fp8_e4m3fn": ml_dtypes.float8_e4m3fn, "fp8_e5m2": ml_dtypes.float8_e5m2,
    "fp8_e4m3fnuz": ml_dtypes.float8_e4m3fnuz, "fp8_e5m2fnuz": ml_dtypes.float8_e5m2fnuz,
    "fp8_e4m3_ieee": ml_dtypes.float8_e4m3, "fp8_e3m4": ml_dtypes.float8_e3m4,
    "fp6_e2m3": ml_dtypes.float6_e2m3fn, "fp6_e3m2": ml_dtypes.float6_e3m2fn,
    "fp4_e2m1": ml_dtypes.float4_e2m1fn, "fp16": np.float16, "bf16": ml_dtypes.bfloat16,
    "fp32": np.float32,
}


@pytest.mark.parametrize("name", list(FACTS))
def test_minifloat_facts(name):
    fmt = get_format(name)
    bits, bias, top, normal, sub, has_inf, has_nan = FACTS[name]
    assert isinstance(fmt, MiniFloat)
    assert fmt.name == name
    assert (fmt.bits, fmt.bias, fmt.max, fmt.min_normal, fmt.min_subnormal) == (bits, bias, top, normal, sub)
    assert (fmt.has_inf, fmt.has_nan) == (has_inf, has_nan)
    assert fmt.bits == 1 + fmt.exp_bits + fmt.man_bits
    assert fmt.emin == 1 - bias
    assert 2.0**fmt.emax <= fmt.max < 2.0 ** (fmt.emax + 1)
    assert fmt.lsb_exponent == fmt.emin - fmt.man_bits
    assert fmt.max_units * 2.0**fmt.lsb_exponent == top


@pytest.mark.parametrize("name", list(FINFO))
def test_minifloat_facts_match_finfo(name):
    fmt = get_format(name)
    dtype = FINFO[name]
    info = ml_dtypes.finfo(dtype) if dtype not in (np.float16, np.float32) else np.finfo(dtype)
    assert fmt.max == float(info.max)
    assert fmt.min_normal == float(info.smallest_normal)
    assert fmt.min_subnormal == float(info.smallest_subnormal)
    assert fmt.man_bits == info.nmant


# policy codes, by hand: fn NaN S.1111.111, ieee quiet NaN S.11111.10 / inf S.11111.00, fnuz 1000.0000
CODES = {
    "fp8_e4m3fn": (0x7E, 0x7F, 0xFF, None),
    "fp8_e5m2": (0x7B, 0x7E, 0xFE, 0x7C),
    "fp8_e4m3fnuz": (0x7F, 0x80, 0x80, None),
    "fp8_e5m2fnuz": (0x7F, 0x80, 0x80, None),
    "fp8_e4m3_ieee": (0x77, 0x7C, 0xFC, 0x78),
    "fp8_e3m4": (0x6F, 0x78, 0xF8, 0x70),
    "fp6_e2m3": (0x1F, None, None, None),
    "fp4_e2m1": (0x7, None, None, None),
    "fp16": (0x7BFF, 0x7E00, 0xFE00, 0x7C00),
    "bf16": (0x7F7F, 0x7FC0, 0xFFC0, 0x7F80),
    "fp32": (0x7F7FFFFF, 0x7FC00000, 0xFFC00000, 0x7F800000),
}


@pytest.mark.parametrize("name", list(CODES))
def test_special_codes(name):
    fmt = get_format(name)
    top, nan, negative_nan, inf = CODES[name]
    assert fmt.max_code_magnitude == top
    if nan is None:
        with pytest.raises(ValueError, match="no NaN"):
            fmt.nan_code()
    else:
        assert (fmt.nan_code(), fmt.nan_code(negative=True)) == (nan, negative_nan)
    if inf is None:
        with pytest.raises(ValueError, match="no inf"):
            fmt.inf_code()
    else:
        assert (fmt.inf_code(), fmt.inf_code(negative=True)) == (inf, inf | (1 << (fmt.bits - 1)))


def test_integer_facts():
    int8, uint8, sym = get_format("int8"), get_format("uint8"), get_format("int8_sym")
    assert (int8.bits, int8.max, int8.min_int, int8.max_units, int8.lsb_exponent) == (8, 127, -128, 128, 0)
    assert (uint8.bits, uint8.max, uint8.min_int, uint8.max_units) == (8, 255, 0, 255)
    assert (sym.bits, sym.max, sym.min_int, sym.max_units) == (8, 127, -127, 128)  # -128 still decodes
    assert not (int8.has_inf or int8.has_nan)
    fixed = get_format("int8_sym_f6")  # MX INT8 element: code * 2^-6
    assert (fixed.lsb_exponent, fixed.max, fixed.min_normal) == (-6, 127 / 64, 2.0**-6)
    assert get_format("int4") == IntFormat(4)
    assert get_format("uint3") == IntFormat(3, signed=False)
    assert get_format("int4_sym") == IntFormat(4, symmetric=True)


def test_dint4_facts():
    fmt = get_format("dint4")
    assert isinstance(fmt, TableFormat)
    assert fmt.bits == 4
    assert fmt.values == (0.5, 1, 2, 3, 4, 5, 6, 7, -0.5, -1, -2, -3, -4, -5, -6, -7)
    assert (fmt.max, fmt.min_normal, fmt.lsb_exponent, fmt.max_units) == (7.0, 0.5, -1, 14)
    assert not (fmt.has_inf or fmt.has_nan)


def test_user_table_format():
    fmt = TableFormat("int4_half", (0.5, *range(-7, 8)))
    assert (fmt.bits, fmt.max, fmt.lsb_exponent, fmt.max_units, fmt.min_normal) == (4, 7.0, -1, 14, 0.5)
    quarter = TableFormat("q", (0.25, 3.0))
    assert (quarter.bits, quarter.lsb_exponent, quarter.max_units) == (1, -2, 12)


# block: (element, block size, scale bits, emax_elem, bits per element), as in
# docs/formats.md#block-formats-mx-and-nvfp4
BLOCKS = {
    "mxfp8_e4m3": ("fp8_e4m3fn", 32, 8, 8, 8.25),
    "mxfp8_e5m2": ("fp8_e5m2", 32, 8, 15, 8.25),
    "mxfp6_e3m2": ("fp6_e3m2", 32, 8, 4, 6.25),
    "mxfp6_e2m3": ("fp6_e2m3", 32, 8, 2, 6.25),
    "mxfp4": ("fp4_e2m1", 32, 8, 2, 4.25),
    "mxint8": ("int8_sym_f6", 32, 8, 0, 8.25),
    "nvfp4": ("fp4_e2m1", 16, 8, 2, 4.5),
}


@pytest.mark.parametrize("name", list(BLOCKS))
def test_block_facts(name):
    fmt = get_format(name)
    element, size, scale_bits, emax, per_element = BLOCKS[name]
    assert isinstance(fmt, BlockFormat)
    assert fmt.kind == "block"
    assert fmt.element == get_format(element)
    assert (fmt.block_size, fmt.scale.bits, fmt.emax_elem, fmt.bits_per_element) == (
        size, scale_bits, emax, per_element)
    if name == "nvfp4":
        assert fmt.scale == get_format("fp8_e4m3fn")
    else:
        assert (fmt.scale.bias, fmt.scale.nan_code) == (127, 0xFF)


ALIASES = {
    "fp8_e4m3": "fp8_e4m3fn",
    "float8_e4m3fn": "fp8_e4m3fn",
    "e4m3": "fp8_e4m3fn",
    "float8_e5m2": "fp8_e5m2",
    "float8_e4m3fnuz": "fp8_e4m3fnuz",
    "float8_e5m2fnuz": "fp8_e5m2fnuz",
    "float8_e4m3": "fp8_e4m3_ieee",
    "fp8_e4m3_ieee": "fp8_e4m3_ieee",
    "float8_e3m4": "fp8_e3m4",
    "float6_e3m2fn": "fp6_e3m2",
    "float6_e2m3fn": "fp6_e2m3",
    "float4_e2m1fn": "fp4_e2m1",
    "float16": "fp16",
    "bfloat16": "bf16",
    "float32": "fp32",
    "mxfp8": "mxfp8_e4m3",
    "FP8_E4M3": "fp8_e4m3fn",
    " bf16 ": "bf16",
}


@pytest.mark.parametrize("alias", list(ALIASES))
def test_aliases_resolve(alias):
    assert get_format(alias) == get_format(ALIASES[alias])
    assert get_format(alias).name == ALIASES[alias]


GRAMMAR = {
    # name: (exp bits, man bits, policy, bias)
    "fp8_e4m3fnuz_b11": (4, 3, "fnuz", 11),
    "fp5_e2m2fn": (2, 2, "fn", 1),
    "fp5_e2m2_fn": (2, 2, "fn", 1),
    "fp6_e3m2_ieee": (3, 2, "ieee", 3),
    "fp7_e4m2_finite": (4, 2, "finite", 7),
    "fp8_e4m3": (4, 3, "fn", 7),  # the OCP short name, not IEEE-like
    "fp8_e4m3_b9": (4, 3, "ieee", 9),
    "fp8_e5m2fnuz": (5, 2, "fnuz", 16),
    "fp4_e3m0fn": (3, 0, "fn", 3),
}


@pytest.mark.parametrize("name", list(GRAMMAR))
def test_grammar(name):
    fmt = get_format(name)
    assert (fmt.exp_bits, fmt.man_bits, fmt.policy, fmt.bias) == GRAMMAR[name]
    assert get_format(fmt.name) == fmt  # the preferred name reads back


def test_fnuz_b11_facts():
    fmt = get_format("fp8_e4m3fnuz_b11")
    assert (fmt.max, fmt.min_normal, fmt.min_subnormal) == (1.875 * 2.0**4, 2.0**-10, 2.0**-13)
    assert fmt.nan_code() == 0x80


def test_listed_formats():
    names = [f.name for f in listed_formats()]
    assert len(names) == len(set(names))
    for name in ["int4", "int8", "int16", "uint8", "fp8_e4m3fn", "fp8_e5m2", "fp8_e4m3fnuz", "fp8_e5m2fnuz",
                 "fp8_e4m3_ieee", "fp8_e3m4", "fp6_e2m3", "fp6_e3m2", "fp4_e2m1", "fp16", "bf16", "fp32",
                 "dint4", "dint4z", "nf4", "sf4", "fp4_e2m1_sr", "fp4_e2m1_sp", "mxfp8_e4m3", "mxfp4",
                 "mxint8", "nvfp4"]:
        assert name in names
    for fmt in listed_formats():
        assert get_format(fmt.name) == fmt


BAD_NAMES = {
    "fp8_e9m3": "exponent bits must be between 1 and 8, not 9",
    "fp7_e4m3": "bits do not add up",
    "int0": "integer bits must be between 2 and 32, not 0",
    "int33": "integer bits must be between 2 and 32, not 33",
    "uint0": "integer bits must be between 1 and 32, not 0",
    "fp8_e4m3_b99": "bias must be between 0 and 15, not 99",
    "fp8_e4m3fnuz_b16": "bias must be between 0 and 15, not 16",
    "fp3_e1m1": "an ieee minifloat needs at least 2 exponent bits and 1 mantissa bit",
    "float9": "unknown format 'float9'",
    "mxfp9": "unknown format 'mxfp9'",
}


@pytest.mark.parametrize("name", list(BAD_NAMES))
def test_bad_names(name):
    with pytest.raises(ValueError, match=BAD_NAMES[name]) as error:
        get_format(name)
    if not name.startswith(("float9", "mxfp9")):
        assert str(error.value).startswith(name)  # the message names the input
    assert "\n" not in str(error.value)


def test_bits_do_not_add_up_message():
    with pytest.raises(ValueError, match=r"1 sign \+ 4 exponent \+ 3 mantissa = 8, not 7"):
        get_format("fp7_e4m3")


def test_bad_objects():
    e2m1 = get_format("fp4_e2m1")
    with pytest.raises(ValueError, match=r"needs 2\^N values .*not 0 values"):
        TableFormat("empty", ())
    with pytest.raises(ValueError, match="not 3 values"):
        TableFormat("three", (1, 2, 3))
    with pytest.raises(ValueError, match="distinct"):
        TableFormat("dup", (1.0, 1.0))
    with pytest.raises(ValueError, match="finite"):
        TableFormat("inf", (1.0, float("inf")))
    with pytest.raises(ValueError, match="block size must be between 1 and 1024, not 0"):
        BlockFormat("b", e2m1, block_size=0)
    with pytest.raises(ValueError, match="policy must be one of ieee, fn, fnuz, finite, not 'xyz'"):
        MiniFloat(4, 3, "xyz")
    with pytest.raises(ValueError, match="cannot be symmetric"):
        IntFormat(8, signed=False, symmetric=True)
    with pytest.raises(TypeError, match="exponent bits must be an integer"):
        MiniFloat(4.5, 3)
    with pytest.raises(ValueError, match="mantissa bits must be between 0 and 23, not 24"):
        MiniFloat(8, 24)


def test_frozen():
    fmt = get_format("fp8_e4m3fn")
    with pytest.raises(AttributeError):
        fmt.bias = 3
    assert hash(fmt) == hash(MiniFloat(4, 3, "fn"))


# Accumulator sizing (docs/formats.md#fixed-accumulators): W = bitlength(max_units(a) * max_units(b) * K) + 1.
def test_fixed_accumulator_sizing():
    acc = accumulator("fixed", "int8", "int8")
    # 128 * 128 * 64 = 2^20: 21 bits, + sign = 22
    assert (acc.kind, acc.width, acc.lsb_exponent, acc.terms) == ("fixed", 22, 0, 64)
    acc = accumulator("fixed", "fp8_e4m3fn", "fp8_e4m3fn")
    # 448 = 229376 * 2^-9 = 7 * 2^15 units; 49 * 2^30 * 64 = 49 * 2^36: 42 bits, + sign = 43
    assert (acc.width, acc.lsb_exponent) == (43, -18)
    acc = accumulator("fixed", "fp8_e5m2", "fp8_e5m2", terms=1)
    # 57344 = 7 * 2^13 = 7 * 2^29 units of 2^-16; squared: 49 * 2^58: 64 bits, + sign = 65
    assert (acc.width, acc.lsb_exponent) == (65, -32)
    acc = accumulator("fixed", "dint4", "int8", terms=100)
    # 14 half-units * 128 * 100 = 179200: 18 bits, + sign = 19
    assert (acc.width, acc.lsb_exponent) == (19, -1)
    acc = accumulator("fixed:30", "int8", "int8")
    assert (acc.kind, acc.width, acc.lsb_exponent) == ("fixed", 30, 0)
    acc = accumulator("fp32", "fp8_e4m3fn", "fp8_e4m3fn")
    assert (acc.kind, acc.format) == ("float", get_format("fp32"))


def test_bad_accumulators():
    with pytest.raises(ValueError, match="accumulator width W must be between 16 and 4096, not 3"):
        accumulator("fixed:3", "int8", "int8")
    with pytest.raises(ValueError, match="whole number"):
        accumulator("fixed:x", "int8", "int8")
    with pytest.raises(ValueError, match="has none"):
        accumulator("fp6_e2m3", "int8", "int8")
    with pytest.raises(ValueError, match="lmul needs minifloat operands"):
        accumulator("fixed", "int8", "int8", mul="lmul")
    with pytest.raises(ValueError, match="block format"):
        accumulator("fixed", "mxfp4", "int8")
    with pytest.raises(ValueError, match="terms must be between 1 and"):
        accumulator("fixed", "int8", "int8", terms=0)
