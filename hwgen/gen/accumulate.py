"""The accumulator of the MAC and the MX dot unit: one term per item, restarted after ``last``.

An item's *term* is what one input adds: an exact two's complement addend for a ``fixed``
accumulator (:class:`FixedTerm`, with the item's NaN / +inf / -inf flags, which stay set until the
dot product ends), or an exact product for a float one (:class:`FloatTerm`: sign, significand,
shift and specials), rounded once into the sum by :class:`~hwgen.gen.float_accumulate.FloatAccumulate`.

Output payload (:func:`output_fields`): ``acc``, plus for a fixed accumulator ``nan`` (NaN seen, or
both infinities) and ``inf`` (bit 0: +inf seen, bit 1: -inf seen). The systolic array's processing
elements (:mod:`hwgen.gen.processing_element`) keep the same fields per PE and the same float step.
"""

from dataclasses import dataclass

from amaranth import Cat, Mux, Signal, Value, signed
from amaranth.lib import data

from hwgen.formats import Accumulator
from hwgen.gen.float_accumulate import FloatAccumulate

FLAGS = ("nan", "pos_inf", "neg_inf")  # a fixed accumulator's sticky flags


@dataclass(frozen=True)
class FixedTerm:
    """What one item adds to a fixed accumulator: ``addend`` (wraps at the accumulator's width) and,
    when the operands have specials, whether the item is NaN, +inf or -inf (None: no flags)."""

    addend: Value
    nan: Value | None = None
    pos_inf: Value | None = None
    neg_inf: Value | None = None

    @property
    def flags(self) -> tuple:
        """(nan, pos_inf, neg_inf), or () without flags."""
        return () if self.nan is None else (self.nan, self.pos_inf, self.neg_inf)


@dataclass(frozen=True)
class FloatTerm:
    """One item's exact value for a float accumulator:
    (-1)^negative * significand * 2^(shift + lsb_exponent), or NaN / inf (significand 0 then)."""

    negative: Value
    significand: Value
    shift: Value
    nan: Value
    inf: Value
    lsb_exponent: int


def output_fields(acc: Accumulator) -> dict:
    """The output payload's fields and shapes for accumulator *acc*."""
    if acc.kind == "fixed":
        return {"acc": signed(acc.width), "nan": 1, "inf": 2}
    return {"acc": acc.format.bits}


def output_layout(acc: Accumulator) -> data.StructLayout:
    return data.StructLayout(output_fields(acc))


def manifest_entry(acc: Accumulator) -> dict:
    """The manifest's ``acc`` entry: how to read ``o.payload.acc``."""
    return {"spec": acc.spec, "format": acc.format.name if acc.format else None,
            "width": acc.width, "lsb_exponent": acc.lsb_exponent, "terms": acc.terms}


def flag_outputs(nan: Value, pos_inf: Value, neg_inf: Value) -> dict:
    """The ``nan`` and ``inf`` outputs of a fixed accumulator's sticky flags: +inf and -inf make NaN."""
    return {"nan": nan | (pos_inf & neg_inf), "inf": Cat(pos_inf, neg_inf)}


def float_add(m, fmt, feedback: Value, term: FloatTerm, name: str = "add") -> Value:
    """``RNE(feedback + term)`` in float format *fmt*, by a :class:`FloatAccumulate` submodule *name*."""
    adder = FloatAccumulate(fmt, len(term.significand), len(term.shift), term.lsb_exponent)
    m.submodules[name] = adder
    m.d.comb += [
        adder.acc.eq(feedback),
        adder.p_negative.eq(term.negative),
        adder.p_significand.eq(term.significand),
        adder.p_shift.eq(term.shift),
        adder.p_nan.eq(term.nan),
        adder.p_inf.eq(term.inf),
    ]
    return adder.result


def accumulate(m, o, item: dict, advance: Value, acc: Accumulator, term: FixedTerm | FloatTerm, *,
               flags_apart: bool = True) -> None:
    """Add *term* of the pipeline's last stage (*item*: its ``valid`` and ``last``) into accumulator
    *acc* while *advance*; drive stream *o* (``valid`` and payload) one clock edge later.

    ``o.valid`` rises after an item with ``last``; the item after it starts a new sum (``restart``,
    reset to 1, discards whatever the registers hold, so they need no reset of their own).

    *flags_apart*: a fixed accumulator's sticky flags load under an enable of their own (the MAC's
    netlist) rather than the sum's (False: the MX dot unit's). Same logic; Amaranth builds one enable
    gate per conditional, so the choice only keeps each unit's emitted Verilog as it is.
    """
    restart = Signal(init=1)
    step = advance & item["valid"]
    with m.If(advance):
        m.d.sync += o.valid.eq(item["valid"] & item["last"])
    with m.If(step):
        m.d.sync += restart.eq(item["last"])
    if isinstance(term, FloatTerm):
        total = Signal(acc.format.bits, name="acc", reset_less=True)
        result = float_add(m, acc.format, Mux(restart, 0, total), term)
        with m.If(step):
            m.d.sync += total.eq(result)
        m.d.comb += o.payload.acc.eq(total)
        return
    total = Signal(signed(acc.width), name="acc", reset_less=True)
    seen = [Signal(name=f"{flag}_seen", reset_less=True) for flag in FLAGS if term.flags]
    flags = [flag.eq(Mux(restart, 0, flag) | new) for flag, new in zip(seen, term.flags, strict=True)]
    with m.If(step):
        m.d.sync += [total.eq(Mux(restart, 0, total) + term.addend), *([] if flags_apart else flags)]
    m.d.comb += o.payload.acc.eq(total)
    if flags and flags_apart:
        with m.If(step):
            m.d.sync += flags
    if seen:
        m.d.comb += [o.payload[name].eq(value) for name, value in flag_outputs(*seen).items()]
