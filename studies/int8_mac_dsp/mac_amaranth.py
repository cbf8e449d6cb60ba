"""Amaranth 0.5 sketch of the winning INT8 MAC shape (``mac_mux_zero`` in mac_shapes.v).

Run ``python mac_amaranth.py OUT.v [--no-product-register] [--data-reset]`` to write its Verilog
(module ``mac_amaranth``); study.py synthesizes and simulates that file like the hand-written shapes.
"""

import argparse

from amaranth import Cat, Module, Mux, Signal, signed
from amaranth.back import verilog
from amaranth.lib import data, stream, wiring
from amaranth.lib.wiring import In, Out


class IntMac(wiring.Component):
    """Signed INT8 x INT8 multiply-accumulate, one dot product per run of items ending in ``last``.

    ``o.payload`` is the accumulator itself; ``o.valid`` says it holds a finished sum, and the
    whole pipeline stalls while that sum waits (``o.valid & ~o.ready``). Latency: 3 register stages,
    accumulator included, with ``product_register`` (A/B, M, P of a DSP48E1), 2 without (what an
    iCE40 SB_MAC16 can hold). Throughput: one item per cycle.
    """

    def __init__(self, acc_width=24, *, product_register=True, data_reset=False):
        self._acc_width = acc_width
        self._product_register = product_register
        self._data_reset = data_reset
        item = data.StructLayout({"a": signed(8), "b": signed(8), "last": 1})
        super().__init__({"i": In(stream.Signature(item)), "o": Out(stream.Signature(signed(acc_width)))})

    def elaborate(self, platform):
        m = Module()
        depth = 2 if self._product_register else 1
        # Data registers have no reset: DSP registers take a clock enable, and iCE40's no
        # synchronous reset, so a reset would keep them out of the DSP.
        reset_less = not self._data_reset

        advance = Signal()  # one clock enable for every stage: only a waiting sum stalls
        valid = Signal(depth)
        last = Signal(depth, reset_less=reset_less)
        first = Signal(init=1)  # the next accumulated item starts a dot product
        a = Signal(signed(8), reset_less=reset_less)
        b = Signal(signed(8), reset_less=reset_less)
        acc = Signal(signed(self._acc_width), reset_less=reset_less)

        m.d.comb += [advance.eq(~self.o.valid | self.o.ready), self.i.ready.eq(advance)]
        with m.If(advance):
            m.d.sync += [
                a.eq(self.i.payload.a),
                b.eq(self.i.payload.b),
                valid.eq(Cat(self.i.valid, valid)),
                last.eq(Cat(self.i.payload.last, last)),
            ]
        if self._product_register:
            product = Signal(signed(16), reset_less=reset_less)
            with m.If(advance):
                m.d.sync += product.eq(a * b)
        else:
            product = a * b

        with m.If(self.o.ready):
            m.d.sync += self.o.valid.eq(0)
        with m.If(advance & valid[-1]):
            # Restart by zeroing the feedback, not by loading the product: this is the DSP48E1
            # Z-multiplexer (OPMODE), so the adder and the accumulator stay in the DSP.
            m.d.sync += [acc.eq(Mux(first, 0, acc) + product), first.eq(last[-1])]
            with m.If(last[-1]):
                m.d.sync += self.o.valid.eq(1)
        m.d.comb += self.o.payload.eq(acc)
        return m


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("output")
    parser.add_argument("--acc-width", type=int, default=24)
    parser.add_argument("--no-product-register", dest="product_register", action="store_false")
    parser.add_argument("--data-reset", action="store_true")
    args = parser.parse_args()
    mac = IntMac(args.acc_width, product_register=args.product_register, data_reset=args.data_reset)
    text = verilog.convert(mac, name="mac_amaranth", emit_src=False, strip_internal_attrs=True)
    with open(args.output, "w") as file:
        file.write(text)


if __name__ == "__main__":
    main()
