"""Decode operand codes in hardware: sign, integer significand, shift and special flags.

The same split as the golden model's ``hwgen.golden.codec.split`` (but derived here from the registry
alone): value = (-1)^negative * magnitude * 2^(shift + fmt.lsb_exponent).
"""

from dataclasses import dataclass

from amaranth import Array, Cat, Const, Module, Mux, Signal, Value, signed, unsigned

from hwgen.formats import IntFormat, MiniFloat, TableFormat
from hwgen.formats.accumulator import signed_width


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


@dataclass(frozen=True)
class Split:
    """An operand as the exact accumulator wants it.

    value = (-1)^negative * significand * 2^(exponent - offset + fmt.lsb_exponent). Unlike
    :class:`Operand`, the significand of a NaN or inf code is *not* zeroed (no gates in front of the
    multiplier); ``drop`` says when a product with this operand must not reach the sum.
    """

    negative: Value
    significand: Value
    exponent: Value
    nan: Value
    inf: Value
    zero: Value
    drop: Value
    offset: int = 0


def _split_minifloat(m: Module, fmt: MiniFloat, code: Value, name: str) -> Split:
    man, exp = fmt.man_bits, fmt.exp_bits
    fraction, field = code[:man], code[man:man + exp]
    hidden = Signal(name=f"{name}_hidden")
    exponent = Signal(exp, name=f"{name}_exponent")
    # A subnormal has the exponent of the smallest normal: max(field, 1) = field | ~hidden, one too
    # many (``Split.offset``): a decrement here would cost a carry chain per operand.
    m.d.comb += [hidden.eq(field != 0), exponent.eq(Cat(field[0] | ~hidden, field[1:]))]
    significand = Cat(fraction, hidden)
    if fmt.policy == "ieee":
        drop = field == fmt.exp_all_ones  # NaN and inf carry the hidden bit: drop their products
        nan, inf = drop & (fraction != 0), drop & (fraction == 0)
    elif fmt.policy == "fn":
        nan = drop = code[:-1] == (1 << (fmt.bits - 1)) - 1
        inf = _false()
    elif fmt.policy == "fnuz":
        # The NaN code is -0: its significand is already 0, so its products need no dropping.
        nan, inf, drop = code == 1 << (fmt.bits - 1), _false(), _false()
    else:
        nan = inf = drop = _false()
    return Split(code[-1], significand, exponent, nan, inf, (code[:-1] == 0) & ~nan, drop,
                 offset=exponent_offset(fmt))


def exponent_offset(fmt) -> int:
    """``Split.offset`` of a format: 1 for minifloats (their exponent is max(field, 1)), else 0."""
    return 1 if isinstance(fmt, MiniFloat) else 0


def split_operand(m: Module, fmt, code: Value, name: str) -> Split:
    """Combinational split of ``code`` into a :class:`Split` (integer and table formats: exponent 0)."""
    if isinstance(fmt, MiniFloat):
        return _split_minifloat(m, fmt, code, name)
    operand = _integer(fmt, code) if isinstance(fmt, IntFormat) else _table(fmt, code)
    return Split(operand.negative, operand.magnitude, Const(0, 1), _false(), _false(),
                 operand.magnitude == 0, _false())


def decode_operand(m: Module, fmt, code: Value, name: str) -> Operand:
    """Combinational decode of ``code`` (a ``fmt.bits``-wide value) into an :class:`Operand`."""
    if isinstance(fmt, MiniFloat):
        return _minifloat(m, fmt, code, name)
    if isinstance(fmt, IntFormat):
        return _integer(fmt, code)
    return _table(fmt, code)


def signed_value(fmt, code: Value) -> Value:
    """The code's value in units of 2^lsb_exponent as a signed value (integer and table formats, and
    minifloats without NaN / inf: a table of the codes' values)."""
    if isinstance(fmt, IntFormat):
        return code.as_signed() if fmt.signed else Cat(code, Const(0, 1)).as_signed()
    return Array(Const(u, signed(signed_width(fmt))) for u in code_units(fmt))[code]


def code_units(fmt) -> list[int]:
    """Every code's value in units of 2^lsb_exponent, by code (a minifloat's NaN / inf codes: 0)."""
    if not isinstance(fmt, MiniFloat):
        return list(fmt.units)
    half = 1 << (fmt.bits - 1)
    return [(-1 if code >= half else 1) * finite_units(fmt, code % half) for code in range(2 * half)]


def finite_units(fmt: MiniFloat, code: int) -> int:
    """|value| of a minifloat code without its sign bit, in units of 2^lsb_exponent; 0 for NaN / inf."""
    man = fmt.man_bits
    field, fraction = code >> man, code & ((1 << man) - 1)
    if code > fmt.max_code_magnitude:
        return 0
    return fraction if field == 0 else ((1 << man) | fraction) << (field - 1)
