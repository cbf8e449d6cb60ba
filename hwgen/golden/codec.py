"""Bit-exact encode / decode of every scalar format, vectorized with NumPy.

Encode rounds to nearest, ties to even (the neighbour whose code has LSB 0). Overflow is decided
after rounding: beyond max lies a virtual neighbour, max + ulp(max), with the parity of the code
after max, so a tie at max + ulp/2 goes to whichever of the two codes is even
(docs/formats.md#encoding). Then, per policy: ieee -> +-inf, fn / fnuz -> NaN, finite -> +-max.

``saturate=True`` is the OCP "SAT" conversion: any overflow, +-inf included, becomes +-max; NaN stays
NaN. Integer and table formats always saturate.

hwgen's choices where the contract leaves one open:

* NaN into a format without NaN (integers, ``finite`` minifloats, tables) raises ``ValueError``
  (ml_dtypes writes a signed-zero code instead).
* ieee NaN is the quiet NaN (exponent all ones, fraction MSB set) with the input's sign; fn NaN is
  S.1..1.1..1 with the input's sign; fnuz NaN is 1000..0. -0 into fnuz is +0.
"""

from dataclasses import dataclass
from functools import cache

import numpy as np

from hwgen.formats import IntFormat, MiniFloat, TableFormat, scalar_format

TABLE_CACHE_MAX_BITS = 16


def _floats(x) -> np.ndarray:
    array = np.asarray(x)
    if array.dtype.kind not in "fiub":
        raise TypeError(f"values must be numbers, not an array of {array.dtype}")
    return array.astype(np.float64, copy=False)


def as_codes(fmt, codes) -> np.ndarray:
    """Validate ``codes`` for ``fmt`` and return them as int64."""
    array = np.asarray(codes)
    if array.dtype.kind not in "iu":
        raise TypeError(f"codes must be integers, not an array of {array.dtype}")
    array = array.astype(np.int64, copy=False)
    if array.size and (array.min() < 0 or array.max() >= 1 << fmt.bits):
        raise ValueError(f"codes of {fmt.name} must be between 0 and {(1 << fmt.bits) - 1}")
    return array


def _reject_nan(fmt, x):
    if np.isnan(x).any():
        raise ValueError(f"{fmt.name} has no NaN code: cannot encode NaN")


# -- encode --------------------------------------------------------------------------------------

def _encode_int(fmt: IntFormat, x: np.ndarray) -> np.ndarray:
    _reject_nan(fmt, x)
    with np.errstate(over="ignore"):  # values beyond float64 after scaling saturate anyway
        scaled = np.rint(np.ldexp(x, fmt.frac_bits))
    clipped = np.clip(scaled, fmt.min_int, fmt.max_int).astype(np.int64)
    return clipped & ((1 << fmt.bits) - 1)


CHUNK = 1 << 15  # elements per pass: the temporaries stay in the L2 cache

# float64 / float32 layouts: (signed int view, mantissa bits, exponent bias)
_LAYOUTS = {np.dtype(np.float64): (np.int64, 52, 1023), np.dtype(np.float32): (np.int32, 23, 127)}


def _encode_minifloat(fmt: MiniFloat, x: np.ndarray, saturate: bool) -> np.ndarray:
    """Round to nearest even on the IEEE bit pattern of ``x`` (float32 or float64), chunk by chunk."""
    if not _fits_layout(fmt, x.dtype):
        x = x.astype(np.float64)
    int_type, mantissa_bits, input_bias = _LAYOUTS[x.dtype]
    flat = np.ascontiguousarray(x).reshape(-1)
    codes = np.empty(flat.shape, dtype=np.int64)
    plan = _MinifloatPlan(fmt, saturate, int_type, mantissa_bits, input_bias, x.dtype)
    for begin in range(0, flat.size, CHUNK):
        plan.encode_chunk(flat[begin:begin + CHUNK], codes[begin:begin + CHUNK])
    nan = np.isnan(flat)
    if nan.any():
        if not fmt.has_nan:
            _reject_nan(fmt, flat)
        negative = np.signbit(flat[nan])
        codes[nan] = np.where(negative, fmt.nan_code(True), fmt.nan_code(False))
    return codes.reshape(x.shape)


def _fits_layout(fmt: MiniFloat, dtype) -> bool:
    """Whether ``fmt`` can be rounded to from ``dtype``'s bit pattern (else use float64)."""
    if dtype not in _LAYOUTS:
        return False
    mantissa_bits, min_exponent = _LAYOUTS[dtype][1], np.finfo(dtype).minexp
    return (mantissa_bits - fmt.man_bits >= 2 and fmt.emin >= min_exponent
            and fmt.lsb_exponent + mantissa_bits >= min_exponent)


class _MinifloatPlan:
    """Constants for encoding one input float type into one minifloat format."""

    def __init__(self, fmt, saturate, int_type, mantissa_bits, input_bias, float_type):
        m = fmt.man_bits
        self.int_type = int_type
        self.shift = mantissa_bits - m
        # Normal range: adding (half - 1) + lsb and shifting is round-to-nearest-even on the bit
        # pattern; a carry out of the fraction bumps the exponent field, as it should. Subtracting
        # the bias difference leaves the code magnitude (exponent field << M | fraction).
        self.round_bias = int_type((1 << (self.shift - 1)) - 1)
        self.rebias = int_type((input_bias - fmt.bias) << m)
        # The tie goes to the even *code*: with M = 0 the rebias can be odd, flipping the parity of
        # the kept input bits relative to the code's.
        self.parity_flip = int((input_bias - fmt.bias) << m) & 1
        # Subnormal range: adding 2^(lsb + mantissa_bits) rounds |x| to a multiple of the smallest
        # subnormal (ties to the even multiple, i.e. the even code) in the float unit itself.
        self.anchor = float_type.type(2.0 ** (fmt.lsb_exponent + mantissa_bits))
        self.anchor_bits = self.anchor.view(int_type)
        self.min_normal_bits = float_type.type(fmt.min_normal).view(int_type)
        self.magnitude_mask = int_type(np.iinfo(int_type).max)
        # Overflow: ieee's inf, fn's NaN and fnuz's NaN (once the sign is dropped) are all the code
        # magnitude right after max; finite and saturating encodes clamp to max.
        clamp_to_max = saturate or fmt.policy == "finite"
        self.ceiling = fmt.max_code_magnitude + (0 if clamp_to_max else 1)
        self.sign_shift = np.iinfo(int_type).bits - fmt.bits
        self.sign_bit = 1 << (fmt.bits - 1)
        self.keep_negative_zero = fmt.has_negative_zero

    def encode_chunk(self, x, out):
        bits = x.view(self.int_type)
        magnitude = bits & self.magnitude_mask
        code = magnitude >> self.shift
        if self.parity_flip:
            code ^= 1
        code &= 1
        code += magnitude
        code += self.round_bias
        code >>= self.shift
        code -= self.rebias
        small = magnitude < self.min_normal_bits
        if small.any():
            subnormal = magnitude.view(x.dtype) + self.anchor
            subnormal = subnormal.view(self.int_type) - self.anchor_bits
            np.copyto(code, subnormal, where=small)
        np.minimum(code, self.ceiling, out=code)
        sign = bits >> self.sign_shift  # arithmetic: the sign bit lands on the code's sign bit
        sign &= self.sign_bit
        if not self.keep_negative_zero:
            sign[(code == 0) | (code == self.sign_bit)] = 0
        code |= sign
        out[...] = code


@cache
def _table_order(fmt: TableFormat):
    values = np.array(fmt.values)
    order = np.argsort(values, kind="stable")
    ordered = values[order]
    return ordered, order.astype(np.int64), (ordered[1:] + ordered[:-1]) / 2


def _encode_table(fmt: TableFormat, x: np.ndarray) -> np.ndarray:
    _reject_nan(fmt, x)
    ordered, order, midpoints = _table_order(fmt)
    index = np.searchsorted(midpoints, x, side="left")  # x <= midpoint[i] -> index i
    upper = np.minimum(index + 1, len(ordered) - 1)
    tie = (index < len(midpoints)) & (x == midpoints[np.minimum(index, len(midpoints) - 1)])
    low_code, high_code = order[index], order[upper]
    prefer_high = ((low_code & 1) == 1) & ((high_code & 1) == 0)
    prefer_high |= ((low_code & 1) == (high_code & 1)) & (high_code < low_code)
    return np.where(tie & prefer_high, high_code, low_code)


def encode(fmt, x, saturate: bool = False) -> np.ndarray:
    """Codes (int64, ``0 <= code < 2**bits``) of the values ``x`` in format ``fmt``."""
    fmt = scalar_format(fmt)
    values = _floats(x)
    if isinstance(fmt, MiniFloat):
        return _encode_minifloat(fmt, values, bool(saturate))
    if isinstance(fmt, IntFormat):
        return _encode_int(fmt, values)
    return _encode_table(fmt, values)


# -- decode --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Parts:
    """Codes split into integers: value = (-1)^negative * significand * 2^(shift + lsb_exponent).

    ``significand`` and ``shift`` are 0 for NaN and inf codes.
    """

    negative: np.ndarray
    significand: np.ndarray
    shift: np.ndarray
    nan: np.ndarray
    inf: np.ndarray

    def take(self, index) -> "Parts":
        return Parts(*(np.take(field, index) for field in
                       (self.negative, self.significand, self.shift, self.nan, self.inf)))


def _split_minifloat(fmt: MiniFloat, codes: np.ndarray) -> Parts:
    m = fmt.man_bits
    magnitude = codes & ((1 << (fmt.bits - 1)) - 1)
    negative = (codes >> (fmt.bits - 1)) == 1
    field = magnitude >> m
    fraction = magnitude & ((1 << m) - 1)
    if fmt.policy == "ieee":
        special = field == fmt.exp_all_ones
        nan, inf = special & (fraction != 0), special & (fraction == 0)
    elif fmt.policy == "fn":
        nan, inf = magnitude == (1 << (fmt.bits - 1)) - 1, np.zeros(codes.shape, bool)
    elif fmt.policy == "fnuz":
        nan, inf = codes == 1 << (fmt.bits - 1), np.zeros(codes.shape, bool)
    else:
        nan = inf = np.zeros(codes.shape, bool)
    finite = ~(nan | inf)
    significand = np.where(finite, np.where(field > 0, fraction | (1 << m), fraction), 0)
    shift = np.where(finite, np.maximum(field, 1) - 1, 0)
    return Parts(negative, significand, shift, nan, inf)


def _split_int(fmt: IntFormat, codes: np.ndarray) -> Parts:
    values = codes - ((codes >> (fmt.bits - 1)) << fmt.bits) if fmt.signed else codes
    none = np.zeros(codes.shape, bool)
    return Parts(values < 0, np.abs(values), np.zeros(codes.shape, np.int64), none, none)


def _split_table(fmt: TableFormat, codes: np.ndarray) -> Parts:
    units = np.array(fmt.units, dtype=np.int64)
    values = units[codes]
    none = np.zeros(codes.shape, bool)
    return Parts(np.signbit(np.array(fmt.values))[codes], np.abs(values),
                 np.zeros(codes.shape, np.int64), none, none)


def _split_any(fmt, codes: np.ndarray) -> Parts:
    if isinstance(fmt, MiniFloat):
        return _split_minifloat(fmt, codes)
    if isinstance(fmt, IntFormat):
        return _split_int(fmt, codes)
    return _split_table(fmt, codes)


@cache
def _split_table_cache(fmt) -> Parts:
    return _split_any(fmt, np.arange(1 << fmt.bits, dtype=np.int64))


@cache
def units_table(fmt) -> np.ndarray:
    """Signed value / 2^lsb_exponent of every code as int64 (0 for NaN and inf codes).

    Only for formats of at most 16 bits whose largest magnitude fits 62 bits.
    """
    parts = _split_table_cache(fmt)
    units = np.where(parts.negative, -parts.significand, parts.significand) << parts.shift
    units.setflags(write=False)
    return units


@cache
def special_table(fmt) -> np.ndarray:
    """Per code: True for NaN and inf codes (formats of at most 16 bits)."""
    parts = _split_table_cache(fmt)
    table = parts.nan | parts.inf
    table.setflags(write=False)
    return table


def split(fmt, codes) -> Parts:
    """Split codes into sign, integer significand, shift and special flags (see :class:`Parts`).

    ``negative`` is the code's sign bit, also for NaN codes (decode keeps it: fnuz's NaN is -nan).
    """
    fmt = scalar_format(fmt)
    codes = as_codes(fmt, codes)
    if fmt.bits <= TABLE_CACHE_MAX_BITS:
        return _split_table_cache(fmt).take(codes)
    return _split_any(fmt, codes)


def parts_to_float(parts: Parts, lsb_exponent: int) -> np.ndarray:
    magnitude = np.ldexp(parts.significand.astype(np.float64), parts.shift + lsb_exponent)
    magnitude = np.where(parts.inf, np.inf, magnitude)
    magnitude = np.where(parts.nan, np.nan, magnitude)
    return np.where(parts.negative, -magnitude, magnitude)


@cache
def _value_table(fmt) -> np.ndarray:
    table = parts_to_float(_split_table_cache(fmt), fmt.lsb_exponent)
    table.setflags(write=False)
    return table


def decode(fmt, codes) -> np.ndarray:
    """The float64 value of every code (exact: every value of every format fits float64)."""
    fmt = scalar_format(fmt)
    codes = as_codes(fmt, codes)
    if fmt.bits <= TABLE_CACHE_MAX_BITS:
        return _value_table(fmt)[codes]
    return parts_to_float(_split_any(fmt, codes), fmt.lsb_exponent)


def all_values(fmt) -> np.ndarray:
    """The value of every code 0 .. 2^bits - 1 (formats of at most 16 bits)."""
    fmt = scalar_format(fmt)
    if fmt.bits > TABLE_CACHE_MAX_BITS:
        raise ValueError(f"{fmt.name} has 2^{fmt.bits} codes; all_values takes formats of at most "
                         f"{TABLE_CACHE_MAX_BITS} bits")
    return _value_table(fmt).copy()
