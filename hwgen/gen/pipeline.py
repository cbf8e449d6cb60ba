"""Pipeline registers shared by the generators: named cut points, stage registers, one stall signal.

A unit's datapath is a chain of combinational steps. A *cut point* is the place after one step where
a register may go; a unit lists its cut points in the order a deeper pipeline fills them (not in
datapath order): with pipeline depth N, the first N - 1 cut points are registered (the last register
is the unit's own: its accumulator or output register), and a depth beyond every cut point adds
registers on the input. Every stage register loads on one shared ``advance``, so backpressure stalls
the whole pipeline at once (``i.ready = ~o.valid | o.ready``).

An *item* is a dict of the values one stage hands to the next: ``valid`` (and, for dot products,
``last``), plus data fields. A field may be a list of values (one per lane); it is registered lane
by lane.
"""

from collections.abc import Callable, Sequence

from amaranth import Module, Signal, Value

from hwgen.specs.multiplier import LATENCY as REGISTERED_LATENCY

# Fields a stage passes on unchanged before its own: an item's stream control.
CONTROL = ("valid", "last")


def stall_control(m, o, i=None, *, name: str = "advance") -> Signal:
    """The pipeline's ``advance``: high unless ``o`` holds an output the sink refuses. With *i*, the
    input stream takes an item exactly when the pipeline advances. *name*: the signal's name in the
    netlist."""
    advance = Signal(name=name)
    m.d.comb += advance.eq(~o.valid | o.ready)
    if i is not None:
        m.d.comb += i.ready.eq(advance)
    return advance


def register_stage(m, item: dict, advance: Value, name: str) -> dict:
    """Register every field of ``item`` while ``advance`` (register ``<name>_<field>``, lane k of a
    list field ``<name>_<field><k>``). Only ``valid`` has a reset: data registers without one pack
    into DSP and RAM blocks (iCE40 needs it)."""
    def register(value, key):
        reg = Signal(value.shape(), name=f"{name}_{key}", reset_less=key != "valid")
        with m.If(advance):
            m.d.sync += reg.eq(value)
        return reg

    return {key: [register(v, f"{key}{k}") for k, v in enumerate(value)] if isinstance(value, list)
            else register(value, key) for key, value in item.items()}


def registered_operation(m, i, o, compute: Callable) -> None:
    """Input stream ``i`` (payload ``a``, ``b``) -> an input register -> ``compute(m, a, b)`` (a dict of
    output payload fields) -> an output register -> output stream ``o``: latency 2, II 1;
    backpressure stalls both registers (``i.ready = ~o.valid | o.ready``)."""
    advance = stall_control(m, o, i)
    operands = register_stage(m, {"a": i.payload.a, "b": i.payload.b, "valid": i.valid}, advance, "operands")
    with m.If(advance):
        m.d.sync += o.valid.eq(operands["valid"])
    result = compute(m, operands["a"], operands["b"])
    with m.If(advance):
        m.d.sync += [getattr(o.payload, name).eq(value) for name, value in result.items()]


class RegisteredOperationUnit:
    """The timing and datapath of a unit that is one :func:`registered_operation` (mul, add): a mixin for
    components with streams ``i`` / ``o`` and a method ``_operation(m, a, b)`` returning the output
    payload fields."""

    @property
    def latency(self) -> int:
        return REGISTERED_LATENCY

    @property
    def ii(self) -> int:
        return 1

    def elaborate(self, platform):
        m = Module()
        registered_operation(m, self.i, self.o, self._operation)
        return m


class PipelinedUnit:
    """The timing facts of a pipelined unit: a mixin for components that keep their depth in
    ``_pipeline`` (testbenches, manifests and cost models read these). A unit with registers beyond
    its pipeline (the systolic array's chain) overrides :attr:`latency`."""

    @property
    def pipeline(self) -> int:
        """Register stages from input to output."""
        return self._pipeline

    @property
    def latency(self) -> int:
        """Cycles from an input transfer (for a dot product: the one carrying ``last``) to its
        ``o.valid``, without backpressure: one per register stage."""
        return self._pipeline

    @property
    def ii(self) -> int:
        """Initiation interval: one input per cycle."""
        return 1


class Pipeline:
    """The stage registers of one unit's datapath inside module *m*, all loading on *advance*.

    Parameters
    ----------
    m:
        The module the registers go into.
    advance:
        The shared stall signal (see :func:`stall_control`).
    cut_points:
        The unit's cut point names, in the order a deeper pipeline registers them.
    depth:
        Register stages from input to output, >= 1 (the unit's ``pipeline``).
    carry:
        Fields every :meth:`stage` passes on ahead of its own, where the item has them.
    prefix:
        Prepended to every register name (a unit built several times into one module).
    """

    def __init__(self, m, advance: Value, cut_points: Sequence[str], depth: int, *,
                 carry: Sequence[str] = CONTROL, prefix: str = ""):
        self._m, self._advance = m, advance
        self._cuts, self._depth = tuple(cut_points), depth
        self._carry, self._prefix = tuple(carry), prefix
        self._valids = []

    @property
    def valids(self) -> list:
        """The ``valid`` registers of the stages registered so far (the unit holds an item while any is
        set)."""
        return list(self._valids)

    def registered(self, cut: str) -> bool:
        """Whether a register follows cut point *cut* at this depth (the first ``depth - 1`` cut points)."""
        return self._cuts.index(cut) < self._depth - 1

    def register(self, item: dict, name: str) -> dict:
        """*item* through one stage register named ``<prefix><name>_<field>``."""
        registered = register_stage(self._m, item, self._advance, self._prefix + name)
        if "valid" in registered:
            self._valids.append(registered["valid"])
        return registered

    def inputs(self, item: dict) -> dict:
        """*item* through the input registers (``input0``, ``input1``, ...) a depth beyond every cut
        point adds."""
        for index in range(max(self._depth - 1 - len(self._cuts), 0)):
            item = self.register(item, f"input{index}")
        return item

    def stage(self, item: dict, cut: str, compute: Callable[..., dict], *,
              carry: Sequence[str] | None = None) -> dict:
        """One datapath step: the carried fields of *item* and the fields ``compute(m, item)`` returns,
        registered when a register follows *cut*. *carry* overrides the pipeline's carried fields for
        this step."""
        item = self.step(item, compute, carry=carry)
        return self.register(item, cut) if self.registered(cut) else item

    def step(self, item: dict, compute: Callable[..., dict], *, carry: Sequence[str] | None = None) -> dict:
        """A datapath step without a cut point after it: the carried fields of *item* and the fields
        ``compute(m, item)`` returns, never registered."""
        carried = {k: item[k] for k in (self._carry if carry is None else carry) if k in item}
        return {**carried, **compute(self._m, item)}
