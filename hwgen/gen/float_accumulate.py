"""One step of a float accumulator: ``result = RNE(acc + product)``, one rounding of the exact sum.

Contract: docs/formats.md#float-accumulators (hwgen's golden model, ``hwgen.golden.mac``).
"""

from amaranth import Cat, Const, Module, Mux, Signal, signed
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from hwgen.formats import MiniFloat
from hwgen.formats._check import check_int
from hwgen.gen.float_round import Unrounded, leading_zeros, round_to_format, shift_right_sticky
from hwgen.specs.systolic import MAX_PRODUCT_SIGNIFICAND_BITS

# Bits kept below the larger operand's significand: guard, round and a sticky that ORs everything
# shifted further out. Three are enough because the larger operand is normalized or sits at emin
# (see FloatAccumulate.elaborate).
GUARD_BITS = 3
MAX_PRODUCT_SHIFT_BITS = 16
MAX_EXPONENT = 1 << 16


class FloatAccumulate(wiring.Component):
    """Combinational float accumulation step: ``result = RNE(acc + product)``.

    Purely combinational (no registers, no clock): latency 0, so a MAC can register ``result`` as its
    accumulator and feed it back every cycle (initiation interval 1). The exact sum is rounded once to
    nearest, ties to the even code, with gradual underflow; overflow is decided after rounding and
    gives inf (ieee) or NaN (fn, fnuz), never the largest finite value.

    Specials: NaN if ``acc`` is NaN, ``p_nan`` is set, or inf meets inf of the other sign; the NaN
    result is always ``acc_format.nan_code(False)`` (the golden model encodes a positive NaN).
    Otherwise inf (``acc`` inf or ``p_inf``) keeps the sign of the inf operand and encodes like an
    overflow. An exact zero sum is -0 only when both addends are -0; fnuz has no -0.

    Parameters
    ----------
    acc_format:
        The accumulator's :class:`~hwgen.formats.MiniFloat`, with a NaN code (policy ieee, fn or fnuz).
    product_significand_bits:
        Width of ``p_significand``.
    product_shift_bits:
        Width of ``p_shift``.
    product_lsb_exponent:
        The product's value is (-1)^p_negative * p_significand * 2^(p_shift + product_lsb_exponent).

    Attributes
    ----------
    acc: In(acc_format.bits)
        The current accumulator code.
    p_negative, p_significand, p_shift, p_nan, p_inf: In
        The exact product; ``p_significand`` is 0 when ``p_nan`` or ``p_inf`` is set.
    result: Out(acc_format.bits)
        The new accumulator code.
    """

    def __init__(self, acc_format, product_significand_bits, product_shift_bits, product_lsb_exponent):
        if not isinstance(acc_format, MiniFloat):
            raise TypeError(f"accumulator format must be a MiniFloat, not {type(acc_format).__name__}")
        if not acc_format.has_nan:
            raise ValueError(f"a float accumulator needs a NaN code; {acc_format.name} "
                             f"(policy {acc_format.policy}) has none")
        self._format = acc_format
        self._significand_bits = check_int(product_significand_bits, "product significand bits",
                                           1, MAX_PRODUCT_SIGNIFICAND_BITS)
        self._shift_bits = check_int(product_shift_bits, "product shift bits", 0, MAX_PRODUCT_SHIFT_BITS)
        self._lsb_exponent = check_int(product_lsb_exponent, "product lsb exponent",
                                       -MAX_EXPONENT, MAX_EXPONENT)
        bits = acc_format.bits
        super().__init__({
            "acc": In(bits),
            "p_negative": In(1),
            "p_significand": In(self._significand_bits),
            "p_shift": In(self._shift_bits),
            "p_nan": In(1),
            "p_inf": In(1),
            "result": Out(bits),
        })

    @property
    def acc_format(self) -> MiniFloat:
        return self._format

    @property
    def product_significand_bits(self) -> int:
        return self._significand_bits

    @property
    def product_shift_bits(self) -> int:
        return self._shift_bits

    @property
    def product_lsb_exponent(self) -> int:
        return self._lsb_exponent

    @property
    def latency(self) -> int:
        """Clock cycles from inputs to ``result``: 0 (combinational)."""
        return 0

    def elaborate(self, platform):
        m = Module()
        # One submodule per stage: Amaranth's simulator re-evaluates a whole module whenever one of
        # its signals changes, so stages let a step settle in about one pass (testbenches run 2x
        # faster); the Verilog shows the stages too.
        m.submodules.swap = swap = Module()
        m.submodules.add = add = Module()
        m.submodules.normalize = normalize = Module()
        m.submodules.round = round_ = Module()

        fmt = self._format
        man, exp_bits = fmt.man_bits, fmt.exp_bits
        product_bits = self._significand_bits
        significand = max(man + 1, product_bits)  # both addends left-aligned to this width
        window = significand + GUARD_BITS

        # -- operands: sign, exponent of the significand's MSB, left-aligned significand ------------
        acc_negative = self.acc[-1]
        acc_fraction, acc_field = self.acc[:man], self.acc[man:man + exp_bits]
        if fmt.policy == "ieee":
            acc_special = acc_field == fmt.exp_all_ones
            acc_nan, acc_inf = acc_special & (acc_fraction != 0), acc_special & (acc_fraction == 0)
        else:
            acc_nan = (self.acc[:-1] if fmt.policy == "fn" else self.acc) == fmt.nan_code(False)
            acc_inf = Const(0, 1)
        acc_exponent = Mux(acc_field == 0, 1, acc_field) - fmt.bias
        acc_significand = Cat(acc_fraction, acc_field != 0) << (significand - man - 1)

        # A normalized product makes the larger addend normalized or the accumulator at emin,
        # which is what lets three guard bits suffice.
        product_top = self._lsb_exponent + product_bits - 1  # exponent of p_significand's MSB
        product_leading_zeros = leading_zeros(swap, self.p_significand, "product_leading_zeros")
        product_exponent = self.p_shift + product_top - product_leading_zeros
        product_significand = ((self.p_significand << product_leading_zeros)[:product_bits]
                               << (significand - product_bits))

        # -- swap by exponent ------------------------------------------------------------------------
        # A zero product is never the larger addend: its exponent means nothing. So the larger
        # addend's exponent is at least emin.
        max_exponent = max(fmt.exp_all_ones - fmt.bias, product_top + (1 << self._shift_bits) - 1)
        acc_larger = (self.p_significand == 0) | (acc_exponent >= product_exponent)
        large_exponent = Signal(range(fmt.emin, max_exponent + 1))
        large_negative = Signal()
        large_significand = Signal(significand, name="large_significand")
        small_significand = Signal(significand, name="small_significand")
        # Negative only with a zero product, whose alignment shifts zeros: any distance will do.
        distance = Signal(range(max_exponent - min(fmt.emin, self._lsb_exponent - 1) + 1))
        swap.d.comb += [
            distance.eq(Mux(acc_larger, acc_exponent - product_exponent, product_exponent - acc_exponent)),
            large_exponent.eq(Mux(acc_larger, acc_exponent, product_exponent)),
            large_negative.eq(Mux(acc_larger, acc_negative, self.p_negative)),
            large_significand.eq(Mux(acc_larger, acc_significand, product_significand)),
            small_significand.eq(Mux(acc_larger, product_significand, acc_significand)),
        ]

        # -- align with sticky, add or subtract. The difference comes out negative when the
        # exponents are equal, or for a subnormal accumulator against a smaller-exponent product:
        # then its magnitude flips the sign.
        aligned = shift_right_sticky(Cat(Const(0, GUARD_BITS), small_significand), distance)
        addend = Cat(aligned, Const(0, 2))  # two's complement at the width of ``total``
        subtract = acc_negative ^ self.p_negative
        total = Signal(signed(window + 2))  # range(-2^window, 2^(window+1)); range() overflows C ints
        add.d.comb += total.eq(Cat(Const(0, GUARD_BITS), large_significand)
                               + Mux(subtract, ~addend, addend) + subtract)
        magnitude = Signal(window + 1)  # bit ``window`` has the exponent large_exponent + 1
        flip = total[-1]
        add.d.comb += magnitude.eq((total ^ flip.replicate(len(total))) + flip)  # |total|, one adder
        sum_negative = Mux(magnitude == 0, acc_negative & self.p_negative, large_negative ^ flip)

        # -- normalize (never below emin: the larger addend's exponent is at least emin), round,
        # specials: hwgen.gen.float_round.
        nan = acc_nan | self.p_nan | (acc_inf & self.p_inf & (acc_negative != self.p_negative))
        exact = Unrounded(negative=sum_negative, magnitude=magnitude, exponent=large_exponent + 1,
                          exponent_range=(fmt.emin + 1, max_exponent + 1), nan=nan,
                          inf=acc_inf | self.p_inf, inf_negative=Mux(acc_inf, acc_negative, self.p_negative))
        round_to_format(m, fmt, exact, self.result, normalize=normalize, round_=round_)
        return m
