"""A slow, independent reference for hwgen's golden model, written from docs/formats.md.

Pure Python: codes are ints, values are ``fractions.Fraction`` (or a NaN / inf marker), sums are
Python ints. Nothing here imports hwgen's golden model; from hwgen it reads only the parameters that
define a format (exp_bits, man_bits, policy, bias; bits, signed, symmetric, frac_bits; a table's
values), never derived facts such as max or lsb_exponent.

A value is a :class:`Val`: ``kind`` is 'num', 'inf' or 'nan'; ``neg`` is the sign (of zero and NaN
too); ``mag`` is the magnitude (a Fraction, 0 for inf and NaN).
"""

import math
from fractions import Fraction
from functools import cache
from typing import NamedTuple

from hwgen.formats import IntFormat, MiniFloat, TableFormat


class Val(NamedTuple):
    kind: str
    neg: bool
    mag: Fraction = Fraction(0)

    @property
    def value(self) -> Fraction:
        """The signed Fraction of a number (``kind == 'num'``)."""
        assert self.kind == "num"
        return -self.mag if self.neg else self.mag

    def as_float(self) -> float:
        if self.kind == "nan":
            return math.copysign(math.nan, -1.0 if self.neg else 1.0)
        if self.kind == "inf":
            return -math.inf if self.neg else math.inf
        return math.copysign(float(self.mag), -1.0 if self.neg else 1.0)


def to_val(x) -> Val:
    """A float (incl. -0.0, +-inf, NaN), int or Fraction as a Val."""
    if isinstance(x, Val):
        return x
    if isinstance(x, Fraction | int):
        x = Fraction(x)
        return Val("num", x < 0, abs(x))
    x = float(x)
    neg = math.copysign(1.0, x) < 0
    if math.isnan(x):
        return Val("nan", neg)
    if math.isinf(x):
        return Val("inf", neg)
    return Val("num", neg, abs(Fraction(x)))


def pow2(e: int) -> Fraction:
    return Fraction(1 << e) if e >= 0 else Fraction(1, 1 << -e)


def floor_log2(x: Fraction) -> int:
    """floor(log2(x)) of a positive Fraction, exactly."""
    num, den = x.numerator, x.denominator
    e = num.bit_length() - den.bit_length()
    # 2^e <= num/den  <=>  num << -e >= den (e < 0) or num >= den << e (e >= 0)
    if (num << max(-e, 0)) < (den << max(e, 0)):
        e -= 1
    return e


# --------------------------------------------------------------------------------------------
# Minifloats (docs/formats.md#minifloats)
# --------------------------------------------------------------------------------------------
def mf_params(fmt: MiniFloat):
    return fmt.exp_bits, fmt.man_bits, fmt.bias, fmt.policy


def mf_max_code_magnitude(fmt: MiniFloat) -> int:
    """Largest finite code without its sign bit, from the policy table."""
    e, m, _, policy = mf_params(fmt)
    all_ones = (1 << (e + m)) - 1
    if policy == "ieee":
        return (((1 << e) - 1) << m) - 1
    if policy == "fn":
        return all_ones - 1
    return all_ones  # fnuz (its all-ones magnitude is finite; NaN is 1000..0) and finite


def decode_minifloat(fmt: MiniFloat, code: int) -> Val:
    e_bits, m_bits, bias, policy = mf_params(fmt)
    assert 0 <= code < 1 << (1 + e_bits + m_bits)
    neg = bool(code >> (e_bits + m_bits))
    e = (code >> m_bits) & ((1 << e_bits) - 1)
    f = code & ((1 << m_bits) - 1)
    e_ones = (1 << e_bits) - 1
    if policy == "ieee" and e == e_ones:
        return Val("inf", neg) if f == 0 else Val("nan", neg)
    if policy == "fn" and e == e_ones and f == (1 << m_bits) - 1:
        return Val("nan", neg)
    if policy == "fnuz" and neg and e == 0 and f == 0:
        return Val("nan", True)
    # e = 0: 2^(1-B) * f / 2^M (subnormal); else 2^(e-B) * (2^M + f) / 2^M
    significand, exponent = (f, 1 - bias - m_bits) if e == 0 else ((1 << m_bits) + f, e - bias - m_bits)
    return Val("num", neg, Fraction(significand) * pow2(exponent))


def minifloat_nan_code(fmt: MiniFloat, neg: bool) -> int:
    """hwgen's documented NaN codes: ieee quiet NaN with sign, fn S.1..1 with sign, fnuz 1000..0."""
    e_bits, m_bits, _, policy = mf_params(fmt)
    sign = (1 << (e_bits + m_bits)) if neg else 0
    if policy == "ieee":
        return sign | (((1 << e_bits) - 1) << m_bits) | (1 << (m_bits - 1))
    if policy == "fn":
        return sign | ((1 << (e_bits + m_bits)) - 1)
    if policy == "fnuz":
        return 1 << (e_bits + m_bits)
    raise ValueError(f"{fmt.name} has no NaN")


def minifloat_overflow_code(fmt: MiniFloat, neg: bool, saturate: bool) -> int:
    e_bits, m_bits, _, policy = mf_params(fmt)
    sign = (1 << (e_bits + m_bits)) if neg else 0
    if saturate or policy == "finite":
        return sign | mf_max_code_magnitude(fmt)
    if policy == "ieee":
        return sign | (((1 << e_bits) - 1) << m_bits)
    return minifloat_nan_code(fmt, neg)


def round_minifloat_magnitude(fmt: MiniFloat, mag: Fraction):
    """RNE of a magnitude to a code magnitude; None when the rounded value is beyond max.

    The two neighbours are the codes ``lower`` (value <= mag) and ``lower + 1`` (value = lower's
    value + one ulp of lower's binade); a tie goes to the even code. Past max, ``max code + 1`` is the
    virtual neighbour max + ulp(max), so the parity rule decides ties at max + ulp/2 too.
    """
    _, m_bits, bias, _ = mf_params(fmt)
    if mag == 0:
        return 0
    emin = 1 - bias
    q = max(floor_log2(mag), emin) - m_bits  # the quantum (ulp) exponent at mag
    # mag / 2^q = num / den exactly, with integers
    num, den = mag.numerator << max(-q, 0), mag.denominator << max(q, 0)
    n, rest = divmod(num, den)  # n = floor(mag / 2^q); rest / den is the fraction left over
    lower = n + ((q + m_bits + bias - 1) << m_bits)
    if 2 * rest < den:
        code = lower
    elif 2 * rest > den:
        code = lower + 1
    else:
        code = lower if lower % 2 == 0 else lower + 1
    return None if code > mf_max_code_magnitude(fmt) else code


def encode_minifloat(fmt: MiniFloat, x, saturate: bool = False) -> int:
    e_bits, m_bits, _, policy = mf_params(fmt)
    v = to_val(x)
    sign = (1 << (e_bits + m_bits)) if v.neg else 0
    if v.kind == "nan":
        if policy == "finite":
            raise ValueError("NaN into a format without NaN")
        return minifloat_nan_code(fmt, v.neg)
    if v.kind == "inf":
        return minifloat_overflow_code(fmt, v.neg, saturate)
    code = round_minifloat_magnitude(fmt, v.mag)
    if code is None:
        return minifloat_overflow_code(fmt, v.neg, saturate)
    if code == 0 and policy == "fnuz":
        return 0  # fnuz has no -0
    return sign | code


# --------------------------------------------------------------------------------------------
# Integers (docs/formats.md#integers-and-fixed-point) and tables (#dint-and-table-formats)
# --------------------------------------------------------------------------------------------
def int_range(fmt: IntFormat):
    """(lowest code value, highest) of encode, in integer units."""
    n = fmt.bits
    if not fmt.signed:
        return 0, (1 << n) - 1
    high = (1 << (n - 1)) - 1
    return (-high if fmt.symmetric else -high - 1), high


def decode_int(fmt: IntFormat, code: int) -> Val:
    assert 0 <= code < 1 << fmt.bits
    value = code - (1 << fmt.bits) if fmt.signed and code >> (fmt.bits - 1) else code
    mag = Fraction(abs(value)) * pow2(-fmt.frac_bits)
    return Val("num", value < 0, mag)


def encode_int(fmt: IntFormat, x) -> int:
    v = to_val(x)
    low, high = int_range(fmt)
    if v.kind == "nan":
        raise ValueError("NaN into an integer format")
    if v.kind == "inf":
        r = low if v.neg else high
    else:
        r = round(v.value * pow2(fmt.frac_bits))  # Fraction.__round__: half to even
        r = min(max(r, low), high)
    return r & ((1 << fmt.bits) - 1)


def decode_table(fmt: TableFormat, code: int) -> Val:
    return to_val(fmt.values[code])


@cache
def table_fractions(fmt: TableFormat) -> tuple:
    return tuple(Fraction(t) for t in fmt.values)


def encode_table(fmt: TableFormat, x) -> int:
    v = to_val(x)
    values = list(table_fractions(fmt))
    if v.kind == "nan":
        raise ValueError("NaN into a table format")
    if v.kind == "inf":
        target = min(values) if v.neg else max(values)
        return values.index(target)
    d = [abs(t - v.value) for t in values]
    best = min(d)
    ties = [c for c in range(len(values)) if d[c] == best]
    assert len(ties) in (1, 2)
    if len(ties) == 1:
        return ties[0]
    even = [c for c in ties if c % 2 == 0]
    return even[0] if len(even) == 1 else min(ties)


# --------------------------------------------------------------------------------------------
# Any format
# --------------------------------------------------------------------------------------------
def decode(fmt, code: int) -> Val:
    code = int(code)
    if isinstance(fmt, MiniFloat):
        return decode_minifloat(fmt, code)
    if isinstance(fmt, IntFormat):
        return decode_int(fmt, code)
    if isinstance(fmt, TableFormat):
        return decode_table(fmt, code)
    raise TypeError(fmt)


def encode(fmt, x, saturate: bool = False) -> int:
    if isinstance(fmt, MiniFloat):
        return encode_minifloat(fmt, x, saturate)
    if isinstance(fmt, IntFormat):
        return encode_int(fmt, x)
    if isinstance(fmt, TableFormat):
        return encode_table(fmt, x)
    raise TypeError(fmt)


def bits_of(fmt) -> int:
    if isinstance(fmt, MiniFloat):
        return 1 + fmt.exp_bits + fmt.man_bits
    if isinstance(fmt, IntFormat):
        return fmt.bits
    n = len(fmt.values)
    return n.bit_length() - 1


def two_adic(x: Fraction) -> int:
    """Largest e with x an integer multiple of 2^e (x != 0, dyadic)."""
    num, den = abs(x.numerator), x.denominator
    assert den & (den - 1) == 0, "not dyadic"
    return ((num & -num).bit_length() - 1) - (den.bit_length() - 1)


def lsb_exponent(fmt) -> int:
    """Every value of fmt is an integer multiple of 2^lsb_exponent (the exact-sum lsb)."""
    if isinstance(fmt, MiniFloat):
        return 1 - fmt.bias - fmt.man_bits
    if isinstance(fmt, IntFormat):
        return -fmt.frac_bits
    nonzero = [Fraction(v) for v in fmt.values if v != 0]
    return min(two_adic(v) for v in nonzero) if nonzero else 0


def code_units(fmt, code: int):
    """(kind, neg, magnitude in units of 2^lsb_exponent(fmt)) of one code, as Python ints."""
    v = decode(fmt, code)
    units = v.mag / pow2(lsb_exponent(fmt))
    assert units.denominator == 1
    return (v.kind, v.neg, int(units))


@cache
def unit_table(fmt):
    """code_units of every code of a format of at most 16 bits."""
    assert bits_of(fmt) <= 16
    return tuple(code_units(fmt, code) for code in range(1 << bits_of(fmt)))


def units(fmt, code: int):
    return unit_table(fmt)[code] if bits_of(fmt) <= 16 else code_units(fmt, code)


def max_units(fmt) -> int:
    if isinstance(fmt, MiniFloat):  # the largest finite code, from the policy table
        return code_units(fmt, mf_max_code_magnitude(fmt))[2]
    return max(u for kind, _, u in unit_table(fmt) if kind == "num")


# --------------------------------------------------------------------------------------------
# Products (docs/formats.md#exact-products; L-Mul, docs/formats.md#l-mul)
# --------------------------------------------------------------------------------------------
def lmul_l(m: int) -> int:
    return m if m <= 3 else (3 if m == 4 else 4)


def exact_product(a, b, ca: int, cb: int):
    """(kind, neg, magnitude units of 2^(lsb(a) + lsb(b)))."""
    return product_of_units(units(a, ca), units(b, cb))


def product_of_units(ra, rb):
    """The exact product of two code_units rows: NaN * x = NaN, inf * 0 = NaN, inf * x = inf."""
    ka, na, ua = ra
    kb, nb, ub = rb
    neg = na != nb
    if ka == "nan" or kb == "nan":
        return ("nan", False, 0)
    if ka == "inf" or kb == "inf":
        other = ub if ka == "inf" else ua
        other_kind = kb if ka == "inf" else ka
        if other_kind == "num" and other == 0:
            return ("nan", False, 0)  # inf * 0
        return ("inf", neg, 0)
    return ("num", neg, ua * ub)


def lmul_product(fmt: MiniFloat, ca: int, cb: int):
    """L-Mul in the hardware integer-add form, in units of 2^(2 * lsb(fmt)).

    S = X + Y - B * 2^M + 2^(M - l(M)); magnitude 2^((S >> M) - B) * (1 + (S mod 2^M) / 2^M).
    Zero or subnormal operands give a zero product; inf * 0 = NaN, inf * subnormal = inf.
    """
    e_bits, m, bias, _ = mf_params(fmt)
    ka, na, ua = units(fmt, ca)
    kb, nb, ub = units(fmt, cb)
    neg = na != nb
    if ka == "nan" or kb == "nan":
        return ("nan", False, 0)
    if ka == "inf" or kb == "inf":
        other = ub if ka == "inf" else ua
        other_kind = kb if ka == "inf" else ka
        if other_kind == "num" and other == 0:
            return ("nan", False, 0)
        return ("inf", neg, 0)
    mask = (1 << (e_bits + m)) - 1
    x, y = ca & mask, cb & mask
    if (x >> m) == 0 or (y >> m) == 0:  # zero or subnormal operand: flushed product
        return ("num", neg, 0)
    s = x + y - (bias << m) + (1 << (m - lmul_l(m)))
    field, frac = s >> m, s & ((1 << m) - 1)
    # value 2^(field - B) * (2^M + frac) / 2^M, in units of 2^(2 * (1 - B - M)):
    shift = field + bias + m - 2
    assert shift >= 0
    return ("num", neg, ((1 << m) + frac) << shift)


def lmul_formula(fmt: MiniFloat, ca: int, cb: int) -> Fraction:
    """The paper's formula (1 + xm + ym + 2^-l) * 2^(xe + ye) of two normal operands (magnitude)."""
    m, bias = fmt.man_bits, fmt.bias
    mask = (1 << (fmt.exp_bits + m)) - 1
    (ex, fx), (ey, fy) = divmod(ca & mask, 1 << m), divmod(cb & mask, 1 << m)
    return (1 + Fraction(fx + fy, 1 << m) + pow2(-lmul_l(m))) * pow2(ex - bias + ey - bias)


def product(a, b, ca: int, cb: int, mul: str = "exact"):
    return exact_product(a, b, ca, cb) if mul == "exact" else lmul_product(a, ca, cb)


@cache
def product_table(a, b, mul: str = "exact"):
    """Every product of codes (ca, cb) at index ca * 2^bits(b) + cb (operands of <= 16 bits in all)."""
    assert bits_of(a) + bits_of(b) <= 16
    if mul == "exact":
        rows_b = unit_table(b)
        return tuple(product_of_units(ra, rb) for ra in unit_table(a) for rb in rows_b)
    return tuple(lmul_product(a, ca, cb) for ca in range(1 << bits_of(a)) for cb in range(1 << bits_of(b)))


def products(a, b, a_codes, b_codes, mul: str = "exact"):
    """The products of one dot product's code pairs (from the table when the operands are small)."""
    if bits_of(a) + bits_of(b) <= 16:
        table = product_table(a, b, mul)
        nb = 1 << bits_of(b)
        return [table[int(ca) * nb + int(cb)] for ca, cb in zip(a_codes, b_codes, strict=True)]
    return [product(a, b, int(ca), int(cb), mul) for ca, cb in zip(a_codes, b_codes, strict=True)]


# --------------------------------------------------------------------------------------------
# Dot products (docs/formats.md#mac-products-and-accumulators)
# --------------------------------------------------------------------------------------------
def fixed_width(a, b, terms: int = 64, mul: str = "exact") -> int:
    """bit length of (largest product magnitude in lsb units) * K, plus a sign bit."""
    if mul == "exact":
        biggest = max_units(a) * max_units(b)
    else:  # S grows with X + Y and the L-Mul value with S: the largest is max * max
        top = mf_max_code_magnitude(a)
        biggest = lmul_product(a, top, top)[2]
    return (biggest * terms).bit_length() + 1


def wrap(value: int, width: int) -> int:
    """value as a width-bit two's complement number, in [-2^(W-1), 2^(W-1))."""
    value &= (1 << width) - 1
    return value - (1 << width) if value >> (width - 1) else value


def fixed_dot(a, b, a_codes, b_codes, width: int, mul: str = "exact"):
    """(acc wrapped to W bits, exact unwrapped sum, nan, inf bits) of one dot product with an exact
    fixed accumulator; sums in units of 2^(lsb(a) + lsb(b))."""
    total = 0
    nan = False
    inf = 0
    for kind, neg, mag in products(a, b, a_codes, b_codes, mul):
        if kind == "num":
            total += -mag if neg else mag
        elif kind == "nan":
            nan = True
        else:
            inf |= 2 if neg else 1
    if inf == 3:
        nan = True
    return wrap(total, width), total, nan, inf


def round_units(fmt: MiniFloat, mag: int, lsb: int):
    """RNE of the magnitude mag * 2^lsb (an int, > 0) to fmt, with integers only.

    Returns (code magnitude, rounded magnitude in units of 2^lsb), or None on overflow.
    Requires lsb <= fmt's smallest subnormal exponent.
    """
    m, bias = fmt.man_bits, fmt.bias
    emin = 1 - bias
    assert lsb <= emin - m and mag > 0
    return _round_units(mag, lsb, m, bias, mf_max_code_magnitude(fmt))


def _round_units(mag: int, lsb: int, m: int, bias: int, max_code: int):
    q = max(mag.bit_length() - 1 + lsb, 1 - bias) - m  # the quantum (ulp) exponent at mag
    sh = q - lsb
    n = mag >> sh  # floor(mag * 2^lsb / 2^q)
    lower = n + ((q + m + bias - 1) << m)  # its code magnitude (see round_minifloat_magnitude)
    code = lower
    if sh:
        half = 1 << (sh - 1)
        rest = mag & ((1 << sh) - 1)
        if rest > half or (rest == half and lower & 1):
            code = lower + 1
    if code > max_code:
        return None
    return code, (n + (code - lower)) << sh


def group_addends(prods, group: int):
    """Each run of ``group`` products as one (kind, neg, units) addend: NaN if any is NaN or infs of
    both signs meet, inf if any is inf, else the exact sum (a zero sum is +0)."""
    addends = []
    for start in range(0, len(prods), group):
        run = prods[start:start + group]
        kinds = {(k, n) for k, n, _ in run if k != "num"}
        if ("nan", False) in kinds or ("nan", True) in kinds or {("inf", False), ("inf", True)} <= kinds:
            addends.append(("nan", False, 0))
        elif kinds:
            addends.append(("inf", next(iter(kinds))[1], 0))
        else:
            total = sum(-u if n else u for _, n, u in run)
            addends.append(("num", total < 0, abs(total)))
    return addends


def float_dot(acc_fmt: MiniFloat, a, b, a_codes, b_codes, mul: str = "exact", group: int = 1):
    """The accumulator code of acc <- RNE(acc + a * b) from +0, one rounding per step (exact sum).

    The accumulator and the products are signed integers in units of 2^lsb, lsb the finer of the
    product lsb and the accumulator's smallest subnormal; ``neg`` is the sign of a zero or inf.
    With ``group`` > 1 each step adds the exact sum of that many products (:func:`group_addends`).
    """
    lp = lsb_exponent(a) + lsb_exponent(b)
    lsb = min(lp, lsb_exponent(acc_fmt))
    up = lp - lsb
    m, bias, max_code = acc_fmt.man_bits, acc_fmt.bias, mf_max_code_magnitude(acc_fmt)
    overflow = "inf" if acc_fmt.policy == "ieee" else "nan"
    top = 1 << (acc_fmt.exp_bits + acc_fmt.man_bits)
    kind, neg, acc = "num", False, 0  # +0
    prods = products(a, b, a_codes, b_codes, mul)
    for pk, pn, pu in (prods if group == 1 else group_addends(prods, group)):
        if pk == "num":
            if kind != "num":
                continue  # inf + finite = inf; NaN stays NaN
            s = acc + ((-pu if pn else pu) << up)
            if s == 0:
                neg = neg and pn and acc == 0  # x + -x = +0, -0 + -0 = -0
                acc = 0
                continue
            rounded = _round_units(-s if s < 0 else s, lsb, m, bias, max_code)
            if rounded is None:
                kind, neg = overflow, s < 0
            else:
                neg = s < 0 and acc_fmt.policy != "fnuz"  # fnuz has no -0 (a nonzero keeps its sign
                acc = -rounded[1] if s < 0 else rounded[1]  # in acc itself)
        elif pk == "nan" or kind == "nan" or (kind == "inf" and neg != pn):
            kind = "nan"  # NaN product, NaN sticky, inf - inf
        else:
            kind, neg = "inf", pn
        if kind == "nan":
            break
    if kind == "nan":
        return minifloat_nan_code(acc_fmt, False)
    if kind == "inf":
        return (top if neg else 0) | (((1 << acc_fmt.exp_bits) - 1) << acc_fmt.man_bits)
    if acc == 0:
        return top if neg else 0
    code, _ = round_units(acc_fmt, abs(acc), lsb)  # exact: acc is already a value of acc_fmt
    return (top if acc < 0 else 0) | code
