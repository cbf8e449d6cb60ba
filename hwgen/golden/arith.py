"""Bit-exact golden models of the rounding multiplier and the adder (``mul --result``, ``add``).

Contract: docs/formats.md#rounding-multiply-and-add-units.

* :func:`multiply`: RNE(a * b) in a result minifloat. The exact product (:func:`hwgen.golden.mac.products`)
  is rounded once: ties to even, gradual underflow, overflow decided after rounding (ieee: +-inf; fn,
  fnuz: NaN; never the largest finite value). NaN * x = NaN, 0 * inf = NaN, inf * nonzero = inf with the
  XOR of the signs; a zero product keeps the XOR sign (-0 when the signs differ).
* :func:`add`: integers wrap modulo 2^bits (two's complement or unsigned, as an ALU adds); minifloats
  give RNE(a + b), one rounding of the exact sum, x + (-x) = +0, -0 + -0 = -0, inf + -inf = NaN.
* A NaN from NaN operands (or 0 * inf, inf - inf) is the canonical ``fmt.nan_code(False)``; an overflow
  of an fn format (which has no inf) keeps the result's sign, as ``encode``, ml_dtypes and the MAC's
  float accumulator do (fp8_e4m3fn -448 * 1.125 = 0xFF).
"""

import numpy as np

from hwgen.formats import IntFormat, MiniFloat, scalar_format
from hwgen.golden.codec import Parts, as_codes, split
from hwgen.golden.mac import Products, add_round, products


def _float_result(fmt, what: str) -> MiniFloat:
    fmt = scalar_format(fmt)
    if not isinstance(fmt, MiniFloat) or not fmt.has_nan:
        raise ValueError(f"{what} must be a minifloat with a NaN code (policy ieee, fn or fnuz), "
                         f"not {fmt.name}")
    return fmt


def _pair(fmt_a, fmt_b, a_codes, b_codes) -> tuple[np.ndarray, np.ndarray]:
    a_codes, b_codes = as_codes(fmt_a, a_codes), as_codes(fmt_b, b_codes)
    if a_codes.shape != b_codes.shape:
        raise ValueError(f"a and b codes must have one shape, not {a_codes.shape} and {b_codes.shape}")
    return a_codes.reshape(-1), b_codes.reshape(-1)


def multiply(a_codes, b_codes, a, b, result) -> np.ndarray:
    """Codes (int64) of RNE(a * b) in the format *result*, one per pair of operand codes.

    Parameters
    ----------
    a_codes, b_codes:
        Operand codes of equal shape (the result has that shape).
    a, b:
        Operand formats: minifloats of any policy.
    result:
        The result format: a minifloat with a NaN code (policy ieee, fn or fnuz).
    """
    a, b = scalar_format(a), scalar_format(b)
    fmt = _float_result(result, "result")
    for name, operand in (("a", a), ("b", b)):
        if not isinstance(operand, MiniFloat):
            raise ValueError(f"a rounding multiply takes minifloat operands, not {name} = {operand.name}")
    shape = np.shape(a_codes)
    a_codes, b_codes = _pair(a, b, a_codes, b_codes)
    prods = products(split(a, a_codes), split(b, b_codes), a, b, "exact")
    none = np.zeros(len(a_codes), dtype=bool)
    zeros = np.zeros(len(a_codes), dtype=np.int64)
    negative_zero = Parts(~none, zeros, zeros, none, none)  # -0 + p: RNE(p), a zero keeps p's sign
    return add_round(fmt, negative_zero, prods, slice(None)).reshape(shape)


def add(a_codes, b_codes, fmt) -> np.ndarray:
    """Codes (int64) of a + b in *fmt*, one per pair of codes.

    *fmt*: an integer format (fixed point too): the sum of the codes' values modulo 2^bits, read in
    *fmt* (int32: two's complement wrapping, uint32: modulo 2^32); or a minifloat with a NaN code:
    RNE(a + b).
    """
    fmt = scalar_format(fmt)
    shape = np.shape(a_codes)
    if isinstance(fmt, IntFormat):
        a_codes, b_codes = _pair(fmt, fmt, a_codes, b_codes)
        return ((a_codes + b_codes) & ((1 << fmt.bits) - 1)).reshape(shape)
    fmt = _float_result(fmt, "an adder's format (if not an integer)")
    a_codes, b_codes = _pair(fmt, fmt, a_codes, b_codes)
    addend = split(fmt, b_codes)
    prods = Products(addend.negative, addend.significand, addend.shift, addend.nan, addend.inf,
                     fmt.lsb_exponent)
    return add_round(fmt, split(fmt, a_codes), prods, slice(None)).reshape(shape)
