"""Round an exact float result into a minifloat code: normalize, round to nearest even, specials.

The tail every rounding float unit shares (the float accumulator's step,
:class:`hwgen.gen.float_accumulate.FloatAccumulate`; the rounding multiplier and the adder): an
exact value (-1)^negative * magnitude * 2^(exponent - len(magnitude) + 1), or NaN, or +-inf, becomes
one code of the format. Contract: docs/formats.md#float-accumulators and
docs/formats.md#rounding-multiply-and-add-units.

* Normalize, but not below emin (gradual underflow): the magnitude shifts left by its leading zeros,
  at most until its top bit has the exponent emin; a magnitude whose top exponent lies *below* emin
  (a product of two small operands) shifts right instead, every bit shifted out ORed into a sticky.
* Round to nearest, ties to even on the code: a carry out of the fraction bumps the exponent field.
* Overflow is decided after rounding and never saturates: the code magnitude after max is inf
  (ieee), the NaN code (fn) or fnuz's unsigned NaN.
* NaN gives ``fmt.nan_code(False)``; inf keeps its sign and encodes like an overflow; fnuz has no -0.
"""

from dataclasses import dataclass

from amaranth import Cat, Const, Module, Mux, Signal, Value

from hwgen.formats import MiniFloat


def leading_zeros(m: Module, value: Value, name: str) -> Signal:
    """The number of leading zeros of ``value`` (``len(value)`` when it is 0)."""
    width = len(value)
    count = Signal(range(width + 1), name=name, init=width)
    for position in range(width):  # a later, higher one wins
        with m.If(value[position]):
            m.d.comb += count.eq(width - 1 - position)
    return count


def shift_right_sticky(value: Value, amount: Value) -> Value:
    """``value >> amount`` with every bit shifted out ORed into the result's LSB (a jam bit)."""
    width = len(value)
    stages = max(width - 1, 0).bit_length()  # amounts of ``width`` and more shift everything out
    far = amount[stages:].any()
    lost = far & value.any()
    for stage in range(stages):
        # Bits the shift by 2^stage pushes out after the lower stages have shifted.
        pushed_out = (value >> amount[:stage])[:1 << stage]
        lost |= amount[stage] & pushed_out.any()
    return Mux(far, 0, value >> amount[:stages]) | lost


@dataclass(frozen=True)
class Unrounded:
    """An exact result before rounding (Amaranth values, combinational).

    value = (-1)^negative * magnitude * 2^(exponent - len(magnitude) + 1): ``exponent`` is the
    exponent of ``magnitude``'s top bit, a signed value between ``exponent_range[0]`` and
    ``exponent_range[1]`` (static bounds: they size the shifters). ``magnitude`` is unsigned and may
    have leading zeros, or be 0 (a zero result signed by ``negative``). ``nan`` overrides everything;
    else ``inf`` gives an infinity with the sign ``inf_negative``; the magnitude is ignored for both.
    """

    negative: Value
    magnitude: Value
    exponent: Value
    exponent_range: tuple[int, int]
    nan: Value
    inf: Value
    inf_negative: Value


def round_to_format(m: Module, fmt: MiniFloat, value: Unrounded, result: Value, *,
                    normalize: Module | None = None, round_: Module | None = None) -> None:
    """Drive ``result`` (``fmt.bits`` wide) in ``m``'s comb domain with the code of ``value``.

    Parameters
    ----------
    fmt:
        A :class:`~hwgen.formats.MiniFloat` with a NaN code (policy ieee, fn or fnuz).
    normalize, round_:
        Modules for the normalizing shift and the rounding add (default ``m``): submodules let
        Amaranth's simulator settle a stage in one pass, and the Verilog shows the stages.
    """
    if not isinstance(fmt, MiniFloat) or not fmt.has_nan:
        raise ValueError(f"a rounded float result needs a minifloat format with a NaN code, not {fmt.name}")
    normalize = m if normalize is None else normalize
    round_ = m if round_ is None else round_
    man = fmt.man_bits
    low, high = value.exponent_range
    magnitude = value.magnitude
    if len(magnitude) < man + 3:  # a guard bit and, below it, a bit for the sticky of a right shift
        magnitude = Cat(Const(0, man + 3 - len(magnitude)), magnitude)
    width = len(magnitude)
    top = width - 1

    # -- normalize, but not below emin (gradual underflow) --------------------------------------
    leading = leading_zeros(normalize, magnitude, "leading_zeros")
    headroom = value.exponent - fmt.emin
    normalized = Signal(width)
    if low >= fmt.emin:  # headroom >= 0: a left shift by at most the leading zeros
        shift = Mux(leading > headroom, headroom, leading)[:len(leading)]
        normalize.d.comb += normalized.eq((magnitude << shift)[:width])
    else:  # the top may lie below emin: then shift right, with a sticky bit, to reach emin
        below = headroom < 0
        shift = Mux(below, 0, Mux(leading > headroom, headroom, leading))[:len(leading)]
        right_bits = max((fmt.emin - low).bit_length(), (width - 1).bit_length())  # the shifter's stages
        right = Mux(below, fmt.emin - value.exponent, 0)[:right_bits]
        normalize.d.comb += normalized.eq(Mux(below, shift_right_sticky(magnitude, right),
                                              (magnitude << shift)[:width]))

    # -- round to nearest even on the code: a carry out of the fraction bumps the exponent ------
    # After a right shift the top bit is 0: the exponent field is 0 (subnormal) unless rounding
    # carries into it.
    field_bits = max(fmt.exp_bits, (high + fmt.bias).bit_length())
    biased = Mux(normalized[top], value.exponent - shift + fmt.bias, 0)[:field_bits]
    truncated = Cat(normalized[top - man:top], biased)
    guard = normalized[top - man - 1]
    sticky = normalized[:top - man - 1].any()
    round_up = guard & (sticky | truncated[0])  # the code's LSB: the exponent's when man = 0
    code_magnitude = Signal(len(truncated) + 1)
    round_.d.comb += code_magnitude.eq(truncated + round_up)
    overflow = code_magnitude > fmt.max_code_magnitude

    # -- specials and the final code ----------------------------------------------------------
    # fnuz has no -0: its sign bit there would make the NaN code.
    finite_negative = (value.negative if fmt.has_negative_zero
                       else value.negative & (code_magnitude != 0))
    # Beyond max comes the code magnitude max + 1: inf (ieee), NaN (fn), or fnuz's unsigned NaN.
    beyond_max = fmt.max_code_magnitude + 1
    sign_bit = 0 if fmt.policy == "fnuz" else 1 << (fmt.bits - 1)
    with m.If(value.nan):
        m.d.comb += result.eq(fmt.nan_code(False))
    with m.Elif(value.inf):
        m.d.comb += result.eq(Mux(value.inf_negative, sign_bit | beyond_max, beyond_max))
    with m.Elif(overflow):
        m.d.comb += result.eq(Mux(finite_negative, sign_bit | beyond_max, beyond_max))
    with m.Else():
        m.d.comb += result.eq(Cat(code_magnitude[:fmt.bits - 1], finite_negative))
