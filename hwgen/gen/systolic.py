"""A 1-D systolic array (Systolic-CNN style): a chain of MAC processing elements, stationary weights.

Activation items (``simd`` elements each) enter PE0 and move one PE per cycle down the chain. PE p
holds row p of the weight matrix in its own memory (``depth`` words of ``simd`` weights), multiplies
each passing item by the weights at the item's position in its dot product, sums the ``simd``
products exactly (an adder tree) and accumulates the sum like the MAC unit does: exactly for a
``fixed`` accumulator, with one round-to-nearest-even per item for a float one. The item carrying
``last`` closes every PE's dot product; the array then emits one vector of ``pes`` results.

Streams (Amaranth flattens them to ``w__valid``, ``w__payload`` ...):

* ``w`` (weights, in): ``w`` (``simd`` codes of format ``a``) and ``last``. Items fill the PEs'
  memories column by column: address 0 of PE 0, 1, ..., pes-1, then address 1 of every PE, and so on;
  ``last`` ends the matrix and returns to address 0 of PE 0. Weights are taken only while no
  activation is in the array and no dot product is half-way (``w.ready`` stays low otherwise), and a
  weight transfer wins over an activation offered in the same cycle.
* ``i`` (activations, in): ``x`` (``simd`` codes of format ``b``, element l of the item meets weight
  l of the word) and ``last``. Item k of a dot product meets weight word k: a dot product is at most
  ``depth`` items long. No activation is taken while a weight matrix is half-loaded.
* ``o`` (results, out): ``acc`` (``pes`` accumulator values, PE p's in lane p) plus, for a fixed
  accumulator, ``nan`` and ``inf`` per PE (the MAC's sticky flags).

Every PE finishes its dot product one cycle after the PE before it, so each PE but the last keeps
its result in a register until the vector leaves. That register is free again ``pes`` cycles after
the ``last`` item entered: an item with ``last`` waits until ``pes`` cycles have passed since the
previous one (``i.ready`` depends on ``i.payload.last``). Dot products of at least ``pes`` items
therefore stream at one item per cycle; shorter ones at ``items / pes`` dot products per cycle.
"""

from amaranth import Cat, Module, Mux, Signal, unsigned
from amaranth.lib import data, stream, wiring
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out

from hwgen.formats import accumulator, scalar_format
from hwgen.formats._check import check_int
from hwgen.gen.accumulate import output_fields
from hwgen.gen.pipeline import PipelinedUnit, register_stage, stall_control
from hwgen.gen.processing_element import processing_element
from hwgen.specs.systolic import (
    DEFAULT_DEPTH,
    DEFAULT_PIPELINE,
    MAX_DEPTH,
    MAX_PES,
    MAX_PIPELINE,
    MAX_SIMD,
    SystolicSpec,
    lane_sum_bits,
)


class SystolicArray(PipelinedUnit, wiring.Component):
    """1-D systolic array of ``pes`` MAC processing elements with ``simd`` lanes each.

    Parameters
    ----------
    a:
        Weight format (stationary, loaded through ``w``).
    b:
        Activation format (streamed through ``i``).
    acc:
        ``"fixed"``, ``"fixed:W"`` or a float format name, as for :class:`hwgen.gen.mac.MacUnit`.
    pes:
        Processing elements (output channels), >= 1.
    simd:
        Elements per activation item, multiplied and summed exactly inside each PE per cycle.
    depth:
        Weight words per PE: the longest dot product, in items.
    terms:
        Elements the ``fixed`` accumulator is sized for (default ``depth * simd``).
    pipeline:
        PE register stages, 1..3: 1 = the accumulator only, 2 adds one after the products, 3 one
        after the lane sum.
    mul:
        ``"exact"`` or ``"lmul"``.

    Latency: ``pes + pipeline`` cycles from the transfer of the item with ``last`` to ``o.valid`` (no
    backpressure, no waiting), counted as the MAC's (``pipeline`` 1 answers at the next clock edge):
    the chain register before each PE (its weight memory is read at the same edge), then the last
    PE's optional stages and its accumulator, whose clock edge also raises ``o.valid``. A dot product
    of L items takes ``L - 1 + latency`` cycles from its first item (:attr:`fill_cycles`).
    Throughput: one item (``simd`` elements, ``pes * simd`` products) per cycle for dot products of
    at least ``pes`` items. Backpressure on ``o`` stalls the whole array.
    """

    def __new__(cls, a, b, acc="fixed", *, pes, simd=1, depth=DEFAULT_DEPTH, terms=None,
                pipeline=DEFAULT_PIPELINE, mul="exact"):
        # Checked before the object exists: Amaranth warns about every component it never
        # elaborates, and a refused design is not an unused one.
        a, b = scalar_format(a), scalar_format(b)
        pes = check_int(pes, "pes", 1, MAX_PES)
        simd = check_int(simd, "simd", 1, MAX_SIMD)
        depth = check_int(depth, "depth", 1, MAX_DEPTH)
        pipeline = check_int(pipeline, "pipeline depth", 1, MAX_PIPELINE)
        acc = accumulator(acc, a, b, depth * simd if terms is None else terms, mul)
        grown = lane_sum_bits(a, b, acc, simd, mul)
        unit = super().__new__(cls, src_loc_at=1)
        unit._a, unit._b, unit._acc, unit._mul = a, b, acc, mul
        unit._pes, unit._simd, unit._depth, unit._pipeline = pes, simd, depth, pipeline
        unit._sum_bits = max(acc.width, grown) if acc.kind == "fixed" else grown
        return unit

    def __init__(self, *_options, **_keywords):  # the options: checked and kept by __new__
        # Every field of the MAC's output, one lane per PE.
        out_fields = {name: data.ArrayLayout(shape, self._pes)
                      for name, shape in output_fields(self._acc).items()}
        super().__init__({
            "w": In(stream.Signature(data.StructLayout(
                {"w": data.ArrayLayout(self._a.bits, self._simd), "last": 1}))),
            "i": In(stream.Signature(data.StructLayout(
                {"x": data.ArrayLayout(self._b.bits, self._simd), "last": 1}))),
            "o": Out(stream.Signature(data.StructLayout(out_fields))),
        })

    @classmethod
    def from_spec(cls, spec: SystolicSpec) -> "SystolicArray":
        return cls(spec.a, spec.b, spec.acc, pes=spec.pes, simd=spec.simd, depth=spec.depth, terms=spec.terms,
                   pipeline=spec.pipeline, mul=spec.mul)

    # -- facts the testbench, manifest and cost model read ----------------------------------------
    @property
    def a(self):
        return self._a

    @property
    def b(self):
        return self._b

    @property
    def accumulator(self):
        return self._acc

    @property
    def mul(self) -> str:
        return self._mul

    @property
    def pes(self) -> int:
        return self._pes

    @property
    def simd(self) -> int:
        return self._simd

    @property
    def depth(self) -> int:
        return self._depth

    @property
    def latency(self) -> int:
        """Cycles from the input transfer carrying ``last`` to ``o.valid`` (no backpressure)."""
        return self._pes + self._pipeline

    def fill_cycles(self, items: int) -> int:
        """Cycles from a dot product's first item to its result, at one item per cycle."""
        return check_int(items, "items", 1, self._depth) - 1 + self.latency

    @property
    def last_spacing(self) -> int:
        """Least cycles between two items with ``last`` (shorter dot products wait)."""
        return self._pes

    @property
    def macs_per_cycle(self) -> int:
        return self._pes * self._simd

    @property
    def lane_sum_bits(self) -> int:
        """Width of a PE's exact lane sum (two's complement)."""
        return self._sum_bits

    # -- structure ---------------------------------------------------------------------------------
    def elaborate(self, platform):
        m = Module()
        # i.ready is the admission control's (_chain). The array's stall signal has always been
        # unnamed in its netlist ("$signal"); kept so, its emitted Verilog stays the same.
        advance = stall_control(m, self.o, name="$signal")
        busy = Signal()
        chain = self._chain(m, advance, busy)
        reads = self._weight_memories(m)
        valids = [stage["valid"] for stage in chain[1:]]
        elements = []
        for p in range(self._pes):
            element = processing_element(m, self, p, chain[p + 1], reads[p], chain[p]["addr"], advance,
                                         hold_result=p < self._pes - 1)
            valids += element.stage_valids
            elements.append(element)
        m.d.comb += busy.eq(Cat(*valids).any())
        with m.If(advance):
            m.d.sync += self.o.valid.eq(elements[-1].done)
        for p, element in enumerate(elements):
            for name, value in element.result.items():
                m.d.comb += self.o.payload[name][p].eq(value)
        return m

    def _chain(self, m, advance, busy):
        """Admission control and the activation chain; register p+1 holds the item PE p works on."""
        addr = Signal(range(self._depth), name="item_addr")
        mid_vector = Signal(name="mid_vector")  # items of an unfinished dot product went in
        loading = Signal(name="loading_weights")  # weight items went in, their `last` not yet
        since_last = Signal(range(self._pes), init=self._pes - 1, name="since_last")
        last_ok = since_last == self._pes - 1
        m.d.comb += self.w.ready.eq(~mid_vector & ~busy)
        w_transfer = self.w.valid & self.w.ready
        m.d.comb += self.i.ready.eq(advance & ~loading & ~w_transfer & (~self.i.payload.last | last_ok))
        transfer = self.i.valid & self.i.ready
        with m.If(transfer):
            m.d.sync += [addr.eq(Mux(self.i.payload.last, 0, addr + 1)), mid_vector.eq(~self.i.payload.last)]
        with m.If(w_transfer):
            m.d.sync += loading.eq(~self.w.payload.last)
        if self._pes > 1:
            with m.If(advance):
                with m.If(transfer & self.i.payload.last):
                    m.d.sync += since_last.eq(0)
                with m.Elif(~last_ok):
                    m.d.sync += since_last.eq(since_last + 1)
        item = {"valid": transfer, "last": self.i.payload.last, "addr": addr,
                "x": self.i.payload.x.as_value()}
        chain = [item]
        for p in range(self._pes + 1):
            chain.append(register_stage(m, chain[-1], advance, f"chain{p}"))
        return chain

    def _weight_memories(self, m):
        """Write ``w`` items column by column into the PEs' weight memories; return their read ports."""
        w_transfer = self.w.valid & self.w.ready
        pe = Signal(range(self._pes), name="w_pe")
        addr = Signal(range(self._depth), name="w_addr")
        with m.If(w_transfer):
            with m.If(self.w.payload.last):
                m.d.sync += [pe.eq(0), addr.eq(0)]
            with m.Elif(pe == self._pes - 1):
                m.d.sync += [pe.eq(0), addr.eq(addr + 1)]
            with m.Else():
                m.d.sync += pe.eq(pe + 1)
        reads = []
        for p in range(self._pes):
            memory = Memory(shape=unsigned(self._simd * self._a.bits), depth=self._depth, init=[])
            m.submodules[f"weights{p}"] = memory
            write = memory.write_port()
            m.d.comb += [write.en.eq(w_transfer & (pe == p)), write.addr.eq(addr),
                         write.data.eq(self.w.payload.w.as_value())]
            reads.append(memory.read_port(domain="sync"))
        return reads
