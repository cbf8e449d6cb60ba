"""One processing element of the systolic array: SIMD lane products, their exact sum, an accumulator.

Built into the array's module (not a submodule) so that the whole array shares one stall signal; its
optional stages are a :class:`~hwgen.gen.pipeline.Pipeline`. The accumulation is the MAC unit's
(:mod:`hwgen.gen.accumulate`: the same sticky flags, float step and output fields): a fixed accumulator
adds each item's exact lane sum; a float one rounds ``acc + lane sum`` once per item
(``hwgen.golden.mac(..., group=simd)``).
"""

from dataclasses import dataclass

from amaranth import Cat, Const, Mux, Signal, Value, signed

from hwgen.gen.accumulate import FLAGS, FloatTerm, flag_outputs, float_add
from hwgen.gen.lane import LaneProduct, absolute_value, lane_product, lane_sum
from hwgen.gen.pipeline import Pipeline

# Optional register stages inside a PE, in the order `pipeline` adds them: after the lane products,
# after the lane sum. The chain register and the weight memory's read register are always there.
CUT_POINTS = ("product", "sum")


@dataclass(frozen=True)
class ElementPorts:
    """What the array needs of a PE: its lane of ``o.payload``, whether the item in its last stage
    closes a dot product, and the valids of its optional stages."""

    result: dict
    done: Value
    stage_valids: list


def processing_element(m, array, p: int, item: dict, read, read_addr: Value, advance: Value, *,
                       hold_result: bool) -> ElementPorts:
    """PE ``p`` of ``array`` (a :class:`~hwgen.gen.systolic.SystolicArray`).

    ``item`` is the chain register after the PE; ``read`` its weight memory's synchronous read port,
    addressed with ``read_addr`` (the chain register before it), so the weight word and the item
    arrive together. With ``hold_result``, the finished dot product is kept in registers of its own
    until the next one finishes: the accumulator restarts before the array's result vector leaves.
    """
    a, b = array.a, array.b
    m.d.comb += [read.addr.eq(read_addr), read.en.eq(advance)]
    # One lane's sum is its product, whose sign a zero sum loses: -0 + -0 is -0 (IEEE 754, the MAC,
    # hwgen.golden.mac with group 1), so that sign goes along. A zero sum of several lanes is +0.
    zero_sign = array.simd == 1 and array.accumulator.kind == "float"
    lanes = [lane_product(m, a, b, read.data[lane * a.bits:(lane + 1) * a.bits],
                          item["x"][lane * b.bits:(lane + 1) * b.bits], array.mul, f"pe{p}_lane{lane}",
                          zero_sign=zero_sign)
             for lane in range(array.simd)]
    pipe = Pipeline(m, advance, CUT_POINTS, array.pipeline, prefix=f"pe{p}_")
    stage = pipe.stage(item, "product", lambda m, _: {**_lane_fields(lanes, zero_sign), **_step_flags(lanes)})
    stage = pipe.stage(stage, "sum", lambda m, stage: _lane_sum(m, array, p, stage, lanes, zero_sign))
    step = advance & stage["valid"]
    restart = Signal(init=1, name=f"pe{p}_restart")  # the next item starts a dot product
    with m.If(step):
        m.d.sync += restart.eq(stage["last"])
    accumulate = _fixed_step if array.accumulator.kind == "fixed" else _float_step
    state, following = accumulate(m, array, p, stage, restart)
    with m.If(step):
        m.d.sync += [state[name].eq(value) for name, value in following.items()]
    if hold_result:
        held = {name: Signal(value.shape(), name=f"pe{p}_result_{name}", reset_less=True)
                for name, value in state.items()}
        with m.If(step & stage["last"]):
            m.d.sync += [held[name].eq(value) for name, value in following.items()]
        state = held
    return ElementPorts(_payload(array, state), stage["valid"] & stage["last"], pipe.valids)


def _lane_sum(m, array, p: int, stage: dict, lanes: list[LaneProduct], zero_sign: bool) -> dict:
    """The exact sum of the lanes ``stage`` carries and the item's flags (and, with ``zero_sign``, the
    one lane's sign)."""
    fields = {"sum": lane_sum(m, _lanes_from(stage, lanes), array.lane_sum_bits, f"pe{p}_sum"),
              **{k: stage[k] for k in FLAGS}}
    if zero_sign:
        fields["negative"] = stage["lane0_negative"]
    return fields


def _lane_fields(lanes: list[LaneProduct], signs: bool) -> dict:
    """The lanes' fields a stage carries; with ``signs`` also integer lanes' ``negative``."""
    fields = {}
    for index, lane in enumerate(lanes):
        if lane.value is not None:
            fields[f"lane{index}_value"] = lane.value
            if signs:
                fields[f"lane{index}_negative"] = lane.negative
        else:
            fields[f"lane{index}_magnitude"] = lane.magnitude
            fields[f"lane{index}_negative"] = lane.negative
    return fields


def _lanes_from(stage: dict, lanes: list[LaneProduct]) -> list[LaneProduct]:
    """The lanes as ``stage`` carries them (registered or not); their flags are already reduced."""
    rebuilt = []
    for index, lane in enumerate(lanes):
        if lane.value is not None:
            rebuilt.append(LaneProduct(stage[f"lane{index}_value"], None, lane.negative, lane.nan, lane.inf))
        else:
            rebuilt.append(LaneProduct(None, stage[f"lane{index}_magnitude"], stage[f"lane{index}_negative"],
                                       lane.nan, lane.inf))
    return rebuilt


def _step_flags(lanes: list[LaneProduct]) -> dict:
    """This item's special products: any NaN, any +inf, any -inf."""
    return {"nan": Cat(*(lane.nan for lane in lanes)).any(),
            "pos_inf": Cat(*(lane.inf & ~lane.negative for lane in lanes)).any(),
            "neg_inf": Cat(*(lane.inf & lane.negative for lane in lanes)).any()}


def _state(p: int, shapes: dict) -> dict:
    # No reset: `restart` (reset to 1) discards whatever the registers hold.
    return {name: Signal(shape, name=f"pe{p}_{name}", reset_less=True) for name, shape in shapes.items()}


def _fixed_step(m, array, p: int, stage: dict, restart: Value) -> tuple[dict, dict]:
    """Registers and next values of a fixed accumulator: the wrapping sum and the MAC's sticky flags."""
    state = _state(p, {"acc": signed(array.accumulator.width), "nan": 1, "pos_inf": 1, "neg_inf": 1})
    acc = Signal(signed(array.accumulator.width), name=f"pe{p}_acc_next")
    m.d.comb += acc.eq(Mux(restart, 0, state["acc"]) + stage["sum"])  # truncation = wrapping
    following = {"acc": acc, **{flag: Mux(restart, 0, state[flag]) | stage[flag] for flag in FLAGS}}
    return state, following


def _float_step(m, array, p: int, stage: dict, restart: Value) -> tuple[dict, dict]:
    """Registers and next value of a float accumulator: RNE(acc + exact lane sum)."""
    fmt = array.accumulator.format
    total = stage["sum"]
    magnitude = absolute_value(m, total, len(total) - 1, f"pe{p}_sum_magnitude")  # |sum| < 2^(width - 1)
    inf_seen = stage["pos_inf"] | stage["neg_inf"]
    nan = stage["nan"] | (stage["pos_inf"] & stage["neg_inf"])
    state = _state(p, {"acc": fmt.bits})
    term = FloatTerm(Mux(inf_seen, stage["neg_inf"], stage.get("negative", total < 0)),
                     Mux(nan | inf_seen, 0, magnitude), Const(0, 1), nan, inf_seen & ~nan,
                     array.a.lsb_exponent + array.b.lsb_exponent)
    return state, {"acc": float_add(m, fmt, Mux(restart, 0, state["acc"]), term, f"pe{p}_add")}


def _payload(array, state: dict) -> dict:
    """This PE's lane of every ``o.payload`` field."""
    if array.accumulator.kind == "float":
        return {"acc": state["acc"]}
    return {"acc": state["acc"], **flag_outputs(*(state[flag] for flag in FLAGS))}
