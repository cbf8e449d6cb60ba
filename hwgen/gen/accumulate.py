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

from amaranth import C, Cat, Mux, ResetSignal, Signal, Value, signed
from amaranth.lib import data

from hwgen.formats import Accumulator
from hwgen.gen.float_accumulate import FloatAccumulate
from hwgen.gen.pipeline import register_stage

FLAGS = ("nan", "pos_inf", "neg_inf")  # a fixed accumulator's sticky flags


@dataclass(frozen=True)
class FixedTerm:
    """What one item adds to a fixed accumulator: ``addend`` (wraps at the accumulator's width) and,
    when the operands have specials, whether the item is NaN, +inf or -inf (None: no flags).

    ``carry_in``: when given, ``addend`` is ``value + carry_in`` (a ones' complement and its +1), and the
    split accumulator takes the two apart so that the +1 is its low adder's carry-in rather than an
    adder of its own.

    ``idle_zero``: the term is already 0 in a cycle that adds no item (its maker gated it), so an
    accumulator that adds zero in such cycles (``idle="add_zero"``) need not gate it again.
    """

    addend: Value
    nan: Value | None = None
    pos_inf: Value | None = None
    neg_inf: Value | None = None
    value: Value | None = None
    carry_in: Value | None = None
    idle_zero: bool = False

    @property
    def flags(self) -> tuple:
        """(nan, pos_inf, neg_inf), or () without flags."""
        return () if self.nan is None else (self.nan, self.pos_inf, self.neg_inf)

    @property
    def parts(self) -> tuple[Value, Value]:
        """(value, carry_in) whose sum is ``addend``: the ones' complement and its +1 where the term has
        them apart, else (addend, 0)."""
        return (self.addend, C(0, 1)) if self.value is None else (self.value, self.carry_in)


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


def restart_flag(m, item: dict, advance: Value) -> Signal:
    """``restart``: the next valid item starts a new sum (set by reset and by an item with ``last``).
    Loaded as data while ``advance`` or reset, so that its clock enable is one LUT of flip-flops: with a
    reset of its own and the enable ``advance & valid``, iCE40 (whose flip-flops reset only when enabled)
    got ``~o.valid | o.ready``, ``& valid`` and ``| rst`` as three LUTs in a row to its clock enable,
    the critical path of the carry-save MACs there. Only the carry-save accumulator uses it: xc7 and
    ECP5 flip-flops reset whatever their enable, and the other accumulators, whose loop is a carry chain
    anyway, keep the cheaper flip-flop with a reset (1 LUT less on xc7, 2-3 on ECP5)."""
    restart = Signal(init=1, name="restart", reset_less=True)
    valid, reset = item["valid"], ResetSignal()
    with m.If(advance | reset):
        m.d.sync += restart.eq(reset | (valid & item["last"]) | (~valid & restart))
    return restart


def accumulate(m, o, item: dict, advance: Value, acc: Accumulator, term: FixedTerm | FloatTerm, *,
               flags_apart: bool = True, stages: int = 1, adder: str = "inferred",
               idle: str = "hold") -> None:
    """Add *term* of the pipeline's last stage (*item*: its ``valid`` and ``last``) into accumulator
    *acc* while *advance*; drive stream *o* (``valid`` and payload) one clock edge later.

    ``o.valid`` rises after an item with ``last``; the item after it starts a new sum (``restart``,
    reset to 1, discards whatever the registers hold, so they need no reset of their own).

    *flags_apart*: a fixed accumulator's sticky flags load under an enable of their own (the MAC's
    netlist) rather than the sum's (False: the MX dot unit's). Same logic; Amaranth builds one enable
    gate per conditional, so the choice only keeps each unit's emitted Verilog as it is.

    *stages* 2 (fixed accumulators): the addition split in two halves with a register between
    (:func:`accumulate_in_two_stages`); ``o.valid`` rises one clock edge later.

    *adder* ``"ccu2c"`` (fixed accumulators): the addition and its restart as instantiated ECP5 carry
    cells (:func:`hwgen.gen.ccu2c.restart_add`). ``"carry_save"`` (with *stages* 2 to 4): the sum kept as
    two vectors, added up in the stages after the loop (:func:`accumulate_carry_save`).

    *idle* ``"add_zero"`` (a fixed accumulator, one stage, the inferred adder): the sum and the sticky
    flags load every cycle, and a cycle that adds no item (not valid, or stalled) adds 0 and does not
    restart (:func:`add_zero_when_idle`; which accumulators take it: :func:`hwgen.specs.mac.check_acc_idle`);
    ``"hold"``: they load under the clock enable *advance* & valid.
    """
    if adder == "carry_save":
        accumulate_carry_save(m, o, item, advance, acc, term, stages)
        return
    if stages == 2:
        accumulate_in_two_stages(m, o, item, advance, acc, term)
        return
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
    if idle == "add_zero":
        add_zero_when_idle(m, total, seen, term, restart, step)
    else:
        if adder == "ccu2c":
            from hwgen.gen.ccu2c import restart_add

            value, carry_in = term.parts  # the +1 of a ones' complement is the chain's carry-in
            following = restart_add(m, "acc_add", total, value, restart, carry_in)
        else:
            following = Mux(restart, 0, total) + term.addend
        with m.If(step):
            m.d.sync += [total.eq(following), *([] if flags_apart else flags)]
        if flags and flags_apart:
            with m.If(step):
                m.d.sync += flags
    m.d.comb += o.payload.acc.eq(total)
    if seen:
        m.d.comb += [o.payload[name].eq(value) for name, value in flag_outputs(*seen).items()]


def add_zero_when_idle(m, total: Signal, seen: list, term: FixedTerm, restart: Signal, step: Value) -> None:
    """Load sum *total* and sticky flags *seen* every clock edge: the term (gated by *step* unless
    ``term.idle_zero``) and the flags' news gated by *step*, the restart only on a step. Where flip-flops
    have no clock enable (gates, standard cells) an enabled bit is a multiplexer; this spends an AND
    gate per bit of the term, narrower than the sum, instead."""
    value, carry_in = term.parts  # the +1 of a ones' complement stays a carry-in
    if not term.idle_zero:
        gated = Signal.like(value, name="acc_idle_term")
        m.d.comb += gated.eq(Mux(step, value, 0))
        value, carry_in = gated, carry_in & step
    cleared = restart & step
    m.d.sync += total.eq(Mux(cleared, 0, total) + value + carry_in)
    m.d.sync += [flag.eq(Mux(cleared, 0, flag) | (new & step))
                 for flag, new in zip(seen, term.flags, strict=True)]


def accumulate_in_two_stages(m, o, item: dict, advance: Value, acc: Accumulator, term: FixedTerm) -> None:
    """:func:`accumulate` of a fixed accumulator whose addition is split in two, for an accumulator whose
    carry chain is the critical path: the low half (``acc_low``, ceil(W / 2) bits) adds the term's low
    bits and registers its carry-out; one clock edge later the high half (``acc_high``) adds the term's
    high bits, registered meanwhile, and that carry. Each half is its own loop of half the length. The
    output is the high half beside a copy of the low half taken at the same edge (``acc_low_out``), so
    it is the exact sum of the same items; the sticky flags are taken at the second stage too. The
    restart reaches the high half with the item that restarts the low one.
    """
    width = acc.width
    low_bits = (width + 1) // 2
    value, carry_in = term.parts  # the +1 of a ones' complement is the low adder's carry-in
    addend = Signal(signed(width), name="acc_addend")
    m.d.comb += addend.eq(value)
    # The term's bits above the low half that are not all copies of its sign, and one sign bit: the
    # second stage sign-extends them (for a narrow term, the sign alone).
    # The MAC's terms are signed; an unsigned one (another unit's) has its sign in the 0 above it.
    sign = 0 if value.shape().signed else 1
    top = min(width, max(len(value) + sign, low_bits + 1))
    high_part = addend[low_bits:top]
    restart = Signal(init=1)
    step = advance & item["valid"]
    low = Signal(low_bits, name="acc_low", reset_less=True)
    carry = Signal(name="acc_carry", reset_less=True)
    high_term = Signal(signed(len(high_part)), name="acc_high_term", reset_less=True)
    low_sum = Signal(low_bits + 1, name="acc_low_sum")
    m.d.comb += low_sum.eq(Mux(restart, 0, low) + addend[:low_bits] + carry_in)
    # The second stage's item: valid, last, whether it restarts the high half, its flags.
    second = {name: Signal(name=f"acc_{name}", reset_less=name != "valid")
              for name in ("valid", "last", "restart")}
    flags = [Signal(name=f"acc_{flag}_new", reset_less=True) for flag in FLAGS if term.flags]
    with m.If(advance):
        m.d.sync += second["valid"].eq(item["valid"])
    with m.If(step):
        m.d.sync += [restart.eq(item["last"]), low.eq(low_sum[:low_bits]), carry.eq(low_sum[low_bits]),
                     high_term.eq(high_part.as_signed()), second["last"].eq(item["last"]),
                     second["restart"].eq(restart),
                     *(new.eq(value) for new, value in zip(flags, term.flags, strict=True))]
    high = Signal(width - low_bits, name="acc_high", reset_less=True)
    low_out = Signal(low_bits, name="acc_low_out", reset_less=True)
    seen = [Signal(name=f"{flag}_seen", reset_less=True) for flag in FLAGS if term.flags]
    second_step = advance & second["valid"]
    with m.If(advance):
        m.d.sync += o.valid.eq(second["valid"] & second["last"])
    with m.If(second_step):
        m.d.sync += [high.eq(Mux(second["restart"], 0, high) + high_term + carry), low_out.eq(low),
                     *(flag.eq(Mux(second["restart"], 0, flag) | new)
                       for flag, new in zip(seen, flags, strict=True))]
    m.d.comb += o.payload.acc.eq(Cat(low_out, high))
    if seen:
        m.d.comb += [o.payload[name].eq(value) for name, value in flag_outputs(*seen).items()]


def accumulate_carry_save(m, o, item: dict, advance: Value, acc: Accumulator, term: FixedTerm,
                          stages: int = 2) -> None:
    """:func:`accumulate` of a fixed accumulator kept in carry-save form, for an accumulator whose carry
    chain is the critical path: the loop keeps the sum as two W-bit vectors, ``acc_sums`` and
    ``acc_carries``, and adds a term with one full adder per bit and no carry between bits (sum bit
    ``s ^ c ^ t``, the majority into the carry bit above; the top carry leaves, as a wrapping sum's
    does), so the loop is one LUT deep at any width. Bit 0 of the carries is free: a minifloat term's +1
    (its two's complement) goes there. The restart clears both vectors with the item after ``last``.

    The other ``stages - 1`` stages add the two vectors up (mod 2^W, the exact sum of the same items),
    outside the loop: each adds one piece of W / (stages - 1) bits, low bits first, with the carry out of
    the piece below, and hands the pieces above on; the last one is the output register. The sticky NaN
    / inf flags are kept in the loop's stage and travel beside the sum. Every stage is one of the
    pipeline's stages (latency stays ``pipeline``).
    """
    width = acc.width
    value, carry_in = term.parts  # the +1 of a ones' complement goes into the carries' free bit 0
    addend = Signal(signed(width), name="acc_addend")
    m.d.comb += addend.eq(value)
    restart = restart_flag(m, item, advance)
    step = advance & item["valid"]
    sums = Signal(width, name="acc_sums", reset_less=True)
    carries = Signal(width, name="acc_carries", reset_less=True)
    kept_sums, kept_carries = Mux(restart, 0, sums), Mux(restart, 0, carries)
    majority = (kept_sums & kept_carries) | (kept_sums & addend) | (kept_carries & addend)
    # The next stage's item: valid, and last (it makes o.valid).
    valid, last = Signal(name="acc_valid"), Signal(name="acc_last", reset_less=True)
    flags = [Signal(name=f"acc_{flag}_seen", reset_less=True) for flag in FLAGS if term.flags]
    with m.If(advance):
        m.d.sync += valid.eq(item["valid"])
    with m.If(step):
        m.d.sync += [sums.eq(kept_sums ^ kept_carries ^ addend),
                     carries.eq(Cat(carry_in, majority[:-1])), last.eq(item["last"]),
                     *(flag.eq(Mux(restart, 0, flag) | new)
                       for flag, new in zip(flags, term.flags, strict=True))]
    pieces = stages - 1
    bounds = [width * index // pieces for index in range(pieces + 1)]
    done, carry = [], None  # the pieces added so far; the carry out of the last of them
    for index in range(pieces):
        bits = bounds[index + 1] - bounds[index]
        piece = sums[:bits] + carries[:bits] if carry is None else sums[:bits] + carries[:bits] + carry
        if index == pieces - 1:
            break
        # Registered while the pipeline advances, valid or not: the payload is read only with o.valid,
        # and the clock enable is then the stall alone.
        name = f"acc_piece{index + 1}"
        registered = register_stage(m, {"done": Cat(*done, piece[:bits]), "carry": piece[bits],
                                        "sums": sums[bits:], "carries": carries[bits:], "last": last,
                                        "valid": valid, "seen": flags}, advance, name)
        done, carry = [registered["done"]], registered["carry"]
        sums, carries, last, valid, flags = (registered[key] for key in ("sums", "carries", "last", "valid",
                                                                        "seen"))
    total = Signal(signed(width), name="acc", reset_less=True)
    seen = [Signal(name=f"{flag}_seen", reset_less=True) for flag in FLAGS if term.flags]
    with m.If(advance):
        m.d.sync += [o.valid.eq(valid & last), total.eq(Cat(*done, piece[:bits])),
                     *(flag.eq(kept) for flag, kept in zip(seen, flags, strict=True))]
    m.d.comb += o.payload.acc.eq(total)
    if seen:
        m.d.comb += [o.payload[name].eq(value) for name, value in flag_outputs(*seen).items()]
