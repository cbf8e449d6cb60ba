"""Round an exact scaled integer into an output format: the last stage of an NN-LUT unit.

The value is (-1)^negative * p * 2^(scale - product_frac), p a signed integer; it is rounded once to
the output format, to nearest, ties to even, saturating to +-max (the golden model's
``encode(fmt, value, saturate=True)``). Flags override the value: ``nan`` gives the format's NaN
(``nan_code(False)``; code 0 without NaN), ``to_max`` gives +-max and ``to_zero`` +-0 (sign from
``negative``; +0 for formats without -0).
"""

from amaranth import Cat, Const, Module, Mux, Signal, Value, signed
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from hwgen.formats import IntFormat, MiniFloat
from hwgen.gen.float_accumulate import leading_zeros


def as_signed(value: Value) -> Value:
    """An unsigned value as a signed one of the same magnitude (one bit wider)."""
    return Cat(value, Const(0, 1)).as_signed()


def signed_bits(low: int, high: int) -> int:
    """Width of a signed value holding every integer in [low, high]."""
    return max(low.bit_length(), high.bit_length()) + 1 if low < 0 else high.bit_length() + 1


def clip(value: Value, low: int, high: int) -> Value:
    return Mux(value < low, low, Mux(value > high, high, value))


def round_shift(m: Module, magnitude: Value, amount: Value, low: int, high: int) -> Value:
    """RNE(magnitude * 2^-amount) for a signed ``amount`` clipped to [low, high] (a left shift when < 0).

    ``high`` must be at least ``len(magnitude) + 1`` for larger amounts to give 0 after clipping.
    """
    lift = max(-low, 0)
    extended = Cat(Const(0, 2 + lift), magnitude)  # two bits below the (lifted) magnitude
    width = len(extended)
    shift = Signal(range(high + lift + 1), name="round_shift")
    kept = Signal(range(width + 1), name="round_kept")  # width - shift > 0
    shifted = Signal(width, name="shifted")  # | quotient | guard | the bit below |
    below = Signal(width, name="below")  # the bits of ``extended`` that the shift drops
    m.d.comb += [
        shift.eq(clip(amount, low, high) + lift),
        kept.eq(width - shift),
        shifted.eq(extended >> shift),
        below.eq(extended & (Const((1 << width) - 1, width) >> kept)),
    ]
    sticky, guard, quotient = shifted[0] | below.any(), shifted[1], shifted[2:]
    return quotient + (guard & (sticky | quotient[0]))


class RoundToFormat(wiring.Component):
    """Combinational: ``code`` = round((-1)^negative * p * 2^(scale - product_frac)) in ``fmt``.

    Latency 0 (no registers). ``scale`` is absent (0) when ``scale_range`` is ``(0, 0)``.

    Parameters
    ----------
    fmt:
        Output format: :class:`~hwgen.formats.IntFormat` (fixed point) or
        :class:`~hwgen.formats.MiniFloat`.
    p_bits:
        Width of the signed ``p``.
    product_frac:
        ``p`` is in units 2^-product_frac.
    scale_range:
        (min, max) of the signed ``scale`` input.
    """

    def __init__(self, fmt, p_bits: int, product_frac: int, scale_range: tuple[int, int] = (0, 0)):
        if not isinstance(fmt, IntFormat | MiniFloat):
            raise TypeError(f"output format must be an IntFormat or MiniFloat, not {type(fmt).__name__}")
        self._fmt, self._p_bits, self._product_frac = fmt, p_bits, product_frac
        self._scale_range = tuple(scale_range)
        members = {"p": In(signed(p_bits)), "negative": In(1), "nan": In(1), "to_max": In(1),
                   "to_zero": In(1), "code": Out(fmt.bits)}
        if self._scale_range != (0, 0):
            members["scale"] = In(signed(signed_bits(*self._scale_range)))
        super().__init__(members)

    @property
    def latency(self) -> int:
        return 0

    def elaborate(self, platform):
        m = Module()
        fmt = self._fmt
        scale = self.scale if self._scale_range != (0, 0) else Const(0, signed(2))
        sign = Signal(name="sign")
        magnitude = Signal(self._p_bits, name="magnitude")
        m.d.comb += [sign.eq(self.negative ^ self.p[-1]),
                     magnitude.eq(Mux(self.p[-1], -self.p, self.p))]
        finite = self._integer(m, sign, magnitude, scale) if isinstance(fmt, IntFormat) else \
            self._minifloat(m, sign, magnitude, scale)
        nan_code = fmt.nan_code(False) if fmt.has_nan else 0
        max_code, zero_code = self._signed_limits(self.negative)  # specials: p means nothing
        with m.If(self.nan):
            m.d.comb += self.code.eq(nan_code)
        with m.Elif(self.to_max):
            m.d.comb += self.code.eq(max_code)
        with m.Elif(self.to_zero):
            m.d.comb += self.code.eq(zero_code)
        with m.Else():
            m.d.comb += self.code.eq(finite)
        return m

    def _signed_limits(self, sign: Value) -> tuple[Value, Value]:
        """The codes of +-max and +-0 (negative when ``sign``)."""
        fmt = self._fmt
        if isinstance(fmt, IntFormat):
            mask = (1 << fmt.bits) - 1
            return Mux(sign, fmt.min_int & mask, fmt.max_int), Const(0, fmt.bits)
        sign_bit = 1 << (fmt.bits - 1)
        negative_zero = sign_bit if fmt.has_negative_zero else 0
        return (Mux(sign, sign_bit | fmt.max_code_magnitude, fmt.max_code_magnitude),
                Mux(sign, negative_zero, 0))

    def _integer(self, m: Module, sign: Value, magnitude: Value, scale: Value) -> Value:
        fmt: IntFormat = self._fmt
        smin, smax = self._scale_range
        base = self._product_frac - fmt.frac_bits  # right shift = base - scale
        low, high = -(fmt.bits + 1), self._p_bits + 1
        amount = Signal(signed(signed_bits(min(base - smax, low), max(base - smin, high))), name="shift")
        m.d.comb += amount.eq(base - scale)
        units = Signal(self._p_bits + fmt.bits + 2, name="units")
        m.d.comb += units.eq(round_shift(m, magnitude, amount, low, high))
        overflow = Signal(name="overflow")
        m.d.comb += overflow.eq((amount < low) & (magnitude != 0))
        positive_limit, negative_limit = fmt.max_int, -fmt.min_int
        positive = Mux(overflow | (units > positive_limit), positive_limit, units)
        negative = Mux(overflow | (units > negative_limit), negative_limit, units)
        return Mux(sign, -negative, positive)[:fmt.bits]

    def _minifloat(self, m: Module, sign: Value, magnitude: Value, scale: Value) -> Value:
        fmt: MiniFloat = self._fmt
        man, emin, width = fmt.man_bits, fmt.emin, self._p_bits
        smin, smax = self._scale_range
        zeros = leading_zeros(m, magnitude, "leading_zeros")
        # Exponent of the value's leading one: E = (width - 1 - zeros) + scale - product_frac.
        e_low, e_high = -1 + smin - self._product_frac, width - 1 + smax - self._product_frac
        exponent = Signal(signed(signed_bits(min(e_low, emin), max(e_high, emin))), name="exponent")
        m.d.comb += exponent.eq(width - 1 - as_signed(zeros) + scale - self._product_frac)
        effective = Signal(exponent.shape(), name="effective_exponent")
        m.d.comb += effective.eq(Mux(exponent < emin, emin, exponent))
        # Quantum 2^(effective - man): shift p right by effective - man - (scale - product_frac).
        high = width + 1
        top = max(e_high, emin) - man - smin + self._product_frac + 1
        amount = Signal(signed(signed_bits(-man - 1, top)), name="shift")
        m.d.comb += amount.eq(effective - man - scale + self._product_frac)
        units = Signal(width + man + 2, name="units")
        m.d.comb += units.eq(round_shift(m, magnitude, amount, -man, high))
        # A carry out of the fraction into 2^(man+1) lands on the next exponent, as it should.
        code_magnitude = Signal(signed(signed_bits(0, ((max(e_high, emin) - emin + 2) << man) + (2 << man))),
                                name="code_magnitude")
        m.d.comb += code_magnitude.eq(((effective - emin) << man) + as_signed(units))
        saturated = Mux(code_magnitude > fmt.max_code_magnitude, fmt.max_code_magnitude, code_magnitude)
        magnitude_code = Signal(fmt.bits - 1, name="magnitude_code")
        m.d.comb += magnitude_code.eq(Mux(magnitude == 0, 0, saturated))
        negative = sign if fmt.has_negative_zero else sign & (magnitude_code != 0)
        return Cat(magnitude_code, negative)
