"""One SIMD lane's exact product, and the exact sum of several lanes, as combinational hardware.

A lane's product is an integer in units of 2^(a.lsb_exponent + b.lsb_exponent), the lsb of a
``fixed`` accumulator (docs/formats.md#fixed-accumulators), so lanes add exactly in two's complement. The same
decode and multiply as :class:`hwgen.gen.mac.MacUnit`: integer and table operands multiply as signed
values (a DSP's job); minifloats multiply their integer significands and shift by the exponents.
"""

from dataclasses import dataclass

from amaranth import Cat, Const, Module, Mux, Signal, Value, signed, unsigned

from hwgen.formats import MiniFloat
from hwgen.formats.accumulator import lmul_offset_bits, max_product_units
from hwgen.gen.operands import decode_operand, signed_value
from hwgen.specs.mac import integer_operands


@dataclass(frozen=True)
class LaneProduct:
    """A lane's exact product: ``value`` (signed) when both operands are integers, otherwise
    ``magnitude`` with ``negative``; ``nan`` / ``inf`` flag special products (magnitude 0 then)."""

    value: Value | None
    magnitude: Value | None
    negative: Value
    nan: Value
    inf: Value


def product_bits(a, b, mul: str) -> int:
    """Bits of the largest product magnitude, in units of 2^(a.lsb_exponent + b.lsb_exponent)."""
    return max(max_product_units(a, b, mul).bit_length(), 1)


def lane_product(m: Module, a, b, a_code: Value, b_code: Value, mul: str, name: str, *,
                 zero_sign: bool = False) -> LaneProduct:
    """Combinational exact (or L-Mul) product of one operand pair.

    With ``zero_sign``, an integer product's ``negative`` is the sign of the operands' product, also
    for a zero product, as a float accumulator adds it (-3 * 0 is -0 there); else it is 0.
    """
    false = Const(0, 1)
    if integer_operands(a, b, mul):
        x, y = signed_value(a, a_code), signed_value(b, b_code)
        value = Signal(signed(product_bits(a, b, mul) + 1), name=f"{name}_product")
        m.d.comb += value.eq(x * y)
        return LaneProduct(value, None, (x < 0) ^ (y < 0) if zero_sign else false, false, false)
    x, y = decode_operand(m, a, a_code, f"{name}_a"), decode_operand(m, b, b_code, f"{name}_b")
    nan = x.nan | y.nan | (x.inf & y.zero) | (x.zero & y.inf)
    inf = (x.inf | y.inf) & ~nan
    magnitude = Signal(unsigned(product_bits(a, b, mul)), name=f"{name}_magnitude")
    if mul == "lmul":
        lmul_magnitude, shift = lmul_parts(m, a, a_code, b_code, nan | inf, f"{name}_")
        m.d.comb += magnitude.eq(lmul_magnitude << shift)
    else:
        halving = sum(isinstance(f, MiniFloat) for f in (a, b))  # doubled units (hwgen.gen.operands)
        m.d.comb += magnitude.eq(((x.magnitude * y.magnitude) << (x.shift + y.shift)) >> halving)
    return LaneProduct(None, magnitude, x.negative ^ y.negative, nan, inf)


def absolute_value(m: Module, value: Value, width: int, name: str) -> Signal:
    """|value| of a signed ``value`` in ``width`` unsigned bits (the caller knows |value| < 2^width):
    how a signed integer product or lane sum becomes a :class:`~hwgen.gen.float_accumulate.FloatAccumulate`
    significand."""
    magnitude = Signal(width, name=name)
    m.d.comb += magnitude.eq(Mux(value < 0, -value, value))
    return magnitude


def lmul_parts(m: Module, fmt: MiniFloat, a_code: Value, b_code: Value, special: Value, name: str
               ) -> tuple[Value, Signal]:
    """L-Mul (docs/formats.md#l-mul): S = X + Y - B * 2^M + 2^(M - l(M)), as (magnitude, shift) with
    value magnitude * 2^shift in units of the exact product's lsb; magnitude 0 unless both operands
    are normal and ``special`` is clear."""
    man, bias, code_bits = fmt.man_bits, fmt.bias, fmt.bits - 1
    x, y = a_code[:code_bits], b_code[:code_bits]
    s = Signal(signed(code_bits + 3), name=f"{name}lmul_sum")
    m.d.comb += s.eq(x + y - (bias << man) + (1 << (man - lmul_offset_bits(man))))
    shift = Signal(unsigned(max(max_product_units(fmt, fmt, "lmul").bit_length().bit_length(), 1)),
                   name=f"{name}lmul_shift")
    m.d.comb += shift.eq((s >> man) + (bias + man - 2))
    normal = (a_code[man:code_bits] != 0) & (b_code[man:code_bits] != 0) & ~special
    return Mux(normal, Cat(s[:man], Const(1, 1)), 0), shift


def lane_sum(m: Module, lanes: list[LaneProduct], width: int, name: str) -> Value:
    """The exact signed sum of the lanes' finite products, ``width`` bits (wrapping beyond).

    Negation costs no adders: each negative magnitude enters as its ones' complement and the count of
    negative lanes is added once (-x = ~x + 1).
    """
    total = Signal(signed(width), name=name)
    if lanes[0].value is not None:
        m.d.comb += total.eq(sum(lane.value for lane in lanes))
        return total
    complemented = [(lane.magnitude ^ lane.negative.replicate(len(lane.magnitude))).as_unsigned()
                    for lane in lanes]
    # Sign-extend each ones' complement term: its top bit is the lane's sign.
    terms = [Cat(term, lane.negative.replicate(width - len(term))).as_signed()
             for term, lane in zip(complemented, lanes, strict=True)]
    m.d.comb += total.eq(sum(terms) + sum(lane.negative for lane in lanes))
    return total
