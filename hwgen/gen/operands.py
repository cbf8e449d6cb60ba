"""Decode operand codes in hardware: sign, integer significand, shift and special flags.

The same split as the golden model's ``hwgen.golden.codec.split`` (but derived here from the registry
alone): value = (-1)^negative * magnitude * 2^(shift + fmt.lsb_exponent).
"""

from dataclasses import dataclass

from amaranth import Array, Cat, Const, Module, Mux, Signal, Value, signed, unsigned

from hwgen.formats import IntFormat, MiniFloat, TableFormat


@dataclass(frozen=True)
class Operand:
    """Decoded operand (Amaranth values). ``magnitude`` is 0 for NaN and inf codes."""

    negative: Value
    magnitude: Value
    shift: Value
    nan: Value
    inf: Value
    halved: bool = False  # magnitude * 2^shift is twice the value in lsb units


    @property
    def zero(self) -> Value:
        return (self.magnitude == 0) & ~self.nan & ~self.inf


def _false() -> Value:
    return Const(0, 1)


def _minifloat(m: Module, fmt: MiniFloat, code: Value, name: str) -> Operand:
    man, exp = fmt.man_bits, fmt.exp_bits
    fraction, field, sign = code[:man], code[man:man + exp], code[-1]
    if fmt.policy == "ieee":
        special = field == fmt.exp_all_ones
        nan, inf = special & (fraction != 0), special & (fraction == 0)
    elif fmt.policy == "fn":
        nan, inf = code[:-1] == (1 << (fmt.bits - 1)) - 1, _false()
    elif fmt.policy == "fnuz":
        nan, inf = code == 1 << (fmt.bits - 1), _false()
    else:
        nan = inf = _false()
    # Doubled units: a subnormal is (f << 1) * 2^0 and a normal (2^M + f) * 2^e, both twice the value
    # in lsb units; shifting by the raw exponent field needs no decrement (``halved`` says so).
    magnitude = Signal(man + 1, name=f"{name}_magnitude")
    m.d.comb += magnitude.eq(Mux(nan | inf, 0, Mux(field == 0, Cat(Const(0, 1), fraction), Cat(fraction, 1))))
    return Operand(sign, magnitude, field, nan, inf, halved=True)


def _integer(fmt: IntFormat, code: Value) -> Operand:
    if not fmt.signed:
        return Operand(_false(), code, Const(0, 1), _false(), _false())
    value = code.as_signed()
    return Operand(value < 0, Mux(value < 0, -value, value)[:fmt.bits], Const(0, 1), _false(), _false())


def _table(fmt: TableFormat, code: Value) -> Operand:
    width = fmt.max_units.bit_length()
    magnitudes = Array(Const(abs(u), unsigned(width)) for u in fmt.units)
    negatives = Array(Const(int(v < 0), 1) for v in fmt.values)
    return Operand(negatives[code], magnitudes[code], Const(0, 1), _false(), _false())


def decode_operand(m: Module, fmt, code: Value, name: str) -> Operand:
    """Combinational decode of ``code`` (a ``fmt.bits``-wide value) into an :class:`Operand`."""
    if isinstance(fmt, MiniFloat):
        return _minifloat(m, fmt, code, name)
    if isinstance(fmt, IntFormat):
        return _integer(fmt, code)
    return _table(fmt, code)


def signed_value(fmt, code: Value) -> Value:
    """The code's value in units of 2^lsb_exponent as a signed value (integer and table formats)."""
    if isinstance(fmt, IntFormat):
        return code.as_signed() if fmt.signed else Cat(code, Const(0, 1)).as_signed()
    width = fmt.max_units.bit_length() + 1
    return Array(Const(u, signed(width)) for u in fmt.units)[code]
