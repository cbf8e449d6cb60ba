"""The shared pipeline helper (hwgen.gen.pipeline): cut points, stage registers, one stall signal."""

import pytest
from amaranth import Fragment, Module, Signal, unsigned
from amaranth.lib import data, stream, wiring
from amaranth.lib.wiring import In, Out
from amaranth.sim import Simulator

from hwgen.gen.pipeline import Pipeline, PipelinedUnit, register_stage, stall_control

CUTS = ("product", "operands", "term")


@pytest.fixture
def m():
    """A module for the test's registers, elaborated afterwards (Amaranth warns about unused ones)."""
    module = Module()
    yield module
    Fragment.get(module, None)


@pytest.mark.parametrize(("depth", "registered"), [(1, ()), (2, ("product",)), (3, ("product", "operands")),
                                                   (4, CUTS), (6, CUTS)])
def test_a_depth_registers_its_first_cut_points(m, depth, registered):
    pipe = Pipeline(m, Signal(), CUTS, depth)
    assert tuple(cut for cut in CUTS if pipe.registered(cut)) == registered


def test_an_unknown_cut_point_is_refused(m):
    with pytest.raises(ValueError):
        Pipeline(m, Signal(), CUTS, 3).registered("tree")


def test_depth_beyond_the_cut_points_adds_input_registers(m):
    pipe = Pipeline(m, Signal(), CUTS, 6, prefix="u_")
    item = pipe.inputs({"valid": Signal(), "last": Signal(), "a": Signal(4)})
    assert item["valid"].name == "u_input1_valid" and item["a"].name == "u_input1_a"
    assert [valid.name for valid in pipe.valids] == ["u_input0_valid", "u_input1_valid"]
    assert Pipeline(m, Signal(), CUTS, 4).inputs(item) is item


def test_only_valid_registers_have_a_reset_and_lists_register_lane_by_lane(m):
    item = {"valid": Signal(), "x": Signal(3), "lanes": [Signal(2), Signal(5)]}
    registered = register_stage(m, item, Signal(), "s")
    assert not registered["valid"].reset_less
    assert registered["x"].reset_less and registered["x"].shape() == unsigned(3)
    assert [(r.name, len(r)) for r in registered["lanes"]] == [("s_lanes0", 2), ("s_lanes1", 5)]


def test_a_stage_carries_its_fields_ahead_of_its_own(m):
    pipe = Pipeline(m, Signal(), ("a", "b"), 1, carry=("valid", "keep"))
    item = {"valid": Signal(), "keep": Signal(), "drop": Signal()}
    staged = pipe.stage(item, "a", lambda m, item: {"y": item["drop"]})
    assert list(staged) == ["valid", "keep", "y"] and staged["keep"] is item["keep"]
    assert list(pipe.stage(item, "b", lambda m, item: {}, carry=("valid",))) == ["valid"]


def test_a_step_without_a_cut_point_is_never_registered(m):
    pipe = Pipeline(m, Signal(), ("a",), 4, carry=("valid",))
    item = {"valid": Signal(), "x": Signal(3)}
    stepped = pipe.step(item, lambda m, item: {"y": item["x"]})
    assert stepped == {"valid": item["valid"], "y": item["x"]} and pipe.valids == []


class _Twice(PipelinedUnit, wiring.Component):
    """y = 2 * (x + 1) through a pipeline of *depth* stages (cuts: after the add, after the double)."""

    def __init__(self, depth):
        self._pipeline = depth
        super().__init__({"i": In(stream.Signature(data.StructLayout({"x": 8}))),
                          "o": Out(stream.Signature(data.StructLayout({"y": 10})))})

    def elaborate(self, platform):
        m = Module()
        advance = stall_control(m, self.o, self.i)
        pipe = Pipeline(m, advance, ("plus", "twice"), self._pipeline, carry=("valid",))
        item = pipe.inputs({"valid": self.i.valid, "x": self.i.payload.x})
        item = pipe.stage(item, "plus", lambda m, item: {"x": item["x"] + 1})
        item = pipe.stage(item, "twice", lambda m, item: {"y": item["x"] * 2})
        with m.If(advance):
            m.d.sync += [self.o.valid.eq(item["valid"]), self.o.payload.y.eq(item["y"])]
        return m


def _simulate(unit, testbench):
    sim = Simulator(unit)
    sim.add_clock(1e-8)
    sim.add_testbench(testbench)
    sim.run()


@pytest.mark.parametrize("depth", [1, 2, 3, 5])
def test_latency_is_the_depth(depth):
    unit = _Twice(depth)
    assert (unit.pipeline, unit.latency, unit.ii) == (depth, depth, 1)
    edges = []

    async def testbench(ctx):
        ctx.set(unit.o.ready, 1)
        ctx.set(unit.i.valid, 1)
        ctx.set(unit.i.payload.x, 7)
        await ctx.tick()  # takes the item
        ctx.set(unit.i.valid, 0)
        for edge in range(1, 10):
            if ctx.get(unit.o.valid):
                edges.append(edge)
                assert ctx.get(unit.o.payload.y) == 16
                return
            await ctx.tick()

    _simulate(unit, testbench)
    assert edges == [depth]


@pytest.mark.parametrize("depth", [1, 2, 3, 5])
def test_backpressure_stalls_every_stage(depth):
    unit = _Twice(depth)
    inputs, outputs = list(range(20)), []

    async def testbench(ctx):
        sent, cycle = 0, 0
        while len(outputs) < len(inputs):
            ready = cycle % 3 != 1  # the sink refuses every third cycle
            ctx.set(unit.o.ready, ready)
            ctx.set(unit.i.valid, sent < len(inputs))
            ctx.set(unit.i.payload.x, inputs[min(sent, len(inputs) - 1)])
            if ctx.get(unit.o.valid) and ready:
                outputs.append(ctx.get(unit.o.payload.y))
            sent += bool(ctx.get(unit.i.valid) and ctx.get(unit.i.ready))
            await ctx.tick()
            cycle += 1

    _simulate(unit, testbench)
    assert outputs == [2 * (x + 1) for x in inputs]
