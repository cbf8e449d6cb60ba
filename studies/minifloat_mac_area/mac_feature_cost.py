"""What each contract feature and each area lever of the minifloat MAC costs on xc7 -nodsp.

Synthesizes a minifloat x minifloat MAC into an exact fixed accumulator with features stripped
(restart, NaN / inf handling, backpressure), with one area lever of hwgen.gen.exact_product undone
at a time (--ablate), and with some accumulator bits restarted by a synchronous reset instead of
the feedback mask (--trade, an FF-for-LUT trade).

    .venv/bin/python studies/minifloat_mac_area/mac_feature_cost.py [FORMAT ...] [--ablate] [--trade 13]
    .venv/bin/python studies/minifloat_mac_area/mac_feature_cost.py --check [FORMAT ...]   # no synthesis

The unit priced here is this file's own ``FeatureMac``: the datapath of hwgen's ``MacUnit`` at
pipeline 1 (``a x b`` split, multiplied, aligned and added in the accumulator's cycle), written out
from hwgen's public building blocks so that no private method of ``MacUnit`` is overridden. It can
drift from ``MacUnit`` when the package changes; two guards say so instead of silently pricing
another design: every run first compares the full ``FeatureMac``'s Verilog with ``MacUnit``'s (and,
if they differ, says so and synthesizes ``MacUnit`` too), and ``--check`` simulates the full unit
and every ablation (the levers change cost, not function) against ``MacUnit`` cycle by cycle,
backpressure included.

Stripped units are NOT correct MACs (no restart: the sum never restarts; no specials: NaN and inf
codes add their garbage significands); they exist only to price the features. Numbers in
README.md. Same flow as bench/bench_mac_area.py (K = 8, pipeline 1).
"""

import argparse
import random
import shutil
import sys
from pathlib import Path

from amaranth import Cat, Const, Module, Mux, ResetSignal, Signal, signed
from amaranth.lib import data, stream, wiring
from amaranth.lib.wiring import In, Out
from amaranth.sim import Simulator

from hwgen.emit import emit, to_verilog
from hwgen.formats import MiniFloat, accumulator, scalar_format
from hwgen.formats.accumulator import max_product_units
from hwgen.fpga.yosys_flow import SynthOptions, synthesize
from hwgen.gen.exact_product import TABLE_INPUT_BITS, align, multiply, product_table
from hwgen.gen.mac import MacUnit
from hwgen.gen.operands import exponent_offset, split_operand

ROOT = Path(__file__).resolve().parents[2]
FEATURES = ("restart", "specials", "stall")
# The area levers of hwgen.gen.exact_product, each undone on its own: a one-step shifter instead of
# `align`, Yosys's own multiplier instead of `multiply`, no product table for fp4.
LEVERS = ("one_step_align", "yosys_multiplier", "no_product_table")


def plain_align(m, magnitude, shift, offset, drop, width):
    """``align`` without its two steps: one shifter, then the drop mask."""
    shifted = Signal(width, name="term_magnitude")
    m.d.comb += shifted.eq(Mux(drop, 0, (magnitude << shift) >> offset))
    return shifted


class FeatureMac(wiring.Component):
    """Minifloat MAC into an exact fixed accumulator, pipeline 1, with features that can be stripped.

    The ports, signal names and datapath are those of ``hwgen.gen.mac.MacUnit(fmt, fmt, "fixed",
    terms=terms, pipeline=1)`` (names matter: Yosys orders adder operands by net name), so the full
    unit synthesizes to the same netlist. Latency 1 (the accumulator register), one item per cycle.

    Parameters
    ----------
    fmt:
        Minifloat format of both operands.
    terms:
        K, the dot-product length the accumulator is sized for.
    strip:
        Features left out: ``"restart"`` (the sum never restarts after ``last``), ``"specials"``
        (no NaN / inf flags; specials add their significands), ``"stall"`` (``o.ready`` taken as 1).
    trade:
        Restart this many low accumulator bits by their flip-flops' synchronous reset instead of the
        feedback mask, with a held output copy of them (+1 FF per bit).
    undo:
        Area levers of ``hwgen.gen.exact_product`` replaced by the plain form (see ``LEVERS``).
    """

    def __init__(self, fmt, *, terms=8, strip=(), trade=0, undo=()):
        self._fmt = scalar_format(fmt)
        if not isinstance(self._fmt, MiniFloat):
            raise TypeError(f"FeatureMac prices minifloat MACs, not {self._fmt.name}")
        self._acc = accumulator("fixed", self._fmt, self._fmt, terms)
        self._strip = frozenset(strip)
        self._trade = trade
        self._undo = frozenset(undo)
        unknown = (self._strip - set(FEATURES)) | (self._undo - set(LEVERS))
        if unknown:
            raise ValueError(f"unknown features or levers: {sorted(unknown)}")
        in_layout = data.StructLayout({"a": self._fmt.bits, "b": self._fmt.bits, "last": 1})
        out_layout = data.StructLayout({"acc": signed(self._acc.width), "nan": 1, "inf": 2})
        super().__init__({"i": In(stream.Signature(in_layout)), "o": Out(stream.Signature(out_layout))})

    @property
    def accumulator(self):
        return self._acc

    def _tabulated(self) -> bool:
        return "no_product_table" not in self._undo and 2 * (self._fmt.bits - 1) <= TABLE_INPUT_BITS

    def elaborate(self, platform):
        m = Module()
        if "stall" in self._strip:
            advance = Const(1, 1)
            m.d.comb += self.i.ready.eq(1)
        else:
            advance = Signal()
            m.d.comb += [advance.eq(~self.o.valid | self.o.ready), self.i.ready.eq(advance)]
        term, negative, nan, inf = self._term(m)
        self._accumulate(m, advance, term, negative, nan, inf)
        return m

    def _term(self, m):
        """The product as a ones' complement term, its sign and its NaN / inf flags (MacUnit's
        _decode, _multiply and _term with no register between them)."""
        fmt, payload = self._fmt, self.i.payload
        a = split_operand(m, fmt, payload.a, "a")
        b = split_operand(m, fmt, payload.b, "b")
        negative = a.negative ^ b.negative
        nan = a.nan | b.nan | (a.inf & b.zero) | (a.zero & b.inf)
        inf = (a.inf | b.inf) & ~nan
        drop = a.drop | b.drop
        if "specials" in self._strip:
            nan = inf = drop = Const(0, 1)
        # Only the bits a product reaches vary; above them the term is its sign.
        width = min(self._acc.width, max_product_units(fmt, fmt).bit_length() + 1)
        if self._tabulated():
            shifted = product_table(fmt, fmt, payload.a[:-1], payload.b[:-1])
        else:
            product = multiply if "yosys_multiplier" not in self._undo else (lambda x, y: x * y)
            shifter = align if "one_step_align" not in self._undo else plain_align
            magnitude = product(a.significand, b.significand)
            offset = 2 * exponent_offset(fmt)
            shifted = shifter(m, magnitude, a.exponent + b.exponent, offset, drop, width - 1)
        # -x = ~x + 1: the accumulator adds the complemented term with `negative` as carry-in.
        term = Signal(signed(width), name="term_ones_complement")
        m.d.comb += term.eq(Cat(shifted, 0) ^ negative.replicate(width))
        return term, negative, nan, inf

    def _accumulate(self, m, advance, term, negative, nan_in, inf_in):
        valid, last = self.i.valid, self.i.payload.last
        restart = Signal(init=1)  # the next item starts a sum
        step = advance & valid
        with m.If(advance):
            m.d.sync += self.o.valid.eq(valid & last)
        with m.If(step):
            m.d.sync += restart.eq(last)

        width, trade = self._acc.width, self._trade
        acc = Signal(signed(width), name="acc", reset_less=True)
        if "restart" in self._strip:
            feedback = acc
        elif trade:
            low = Signal(trade, name="acc_low", reset_less=True)  # cleared by reset and a last step
            held = Signal(trade, name="acc_held", reset_less=True)  # the output copy of those bits
            clear = Signal(name="acc_low_clear")
            m.d.comb += clear.eq(ResetSignal() | (step & last))
            feedback = Cat(low, Mux(restart, 0, acc[trade:])).as_signed()
        else:
            feedback = Mux(restart, 0, acc)
        total = feedback + (term + negative)
        with m.If(step):
            m.d.sync += acc.eq(total)
        if trade and "restart" not in self._strip:
            with m.If(clear):
                m.d.sync += low.eq(0)
            with m.Elif(step):
                m.d.sync += low.eq(total[:trade])
            with m.If(step & last):
                m.d.sync += held.eq(total[:trade])
            m.d.comb += self.o.payload.acc.eq(Cat(held, acc[trade:]))
        else:
            m.d.comb += self.o.payload.acc.eq(acc)

        if "specials" in self._strip:
            return
        if "restart" in self._strip:
            restart = Const(0, 1)
        nan, pos, neg = (Signal(name=f"{kind}_seen", reset_less=True)
                         for kind in ("nan", "pos_inf", "neg_inf"))
        with m.If(step):
            m.d.sync += [nan.eq(Mux(restart, 0, nan) | nan_in),
                         pos.eq(Mux(restart, 0, pos) | (inf_in & ~negative)),
                         neg.eq(Mux(restart, 0, neg) | (inf_in & negative))]
        m.d.comb += [self.o.payload.nan.eq(nan | (pos & neg)), self.o.payload.inf.eq(Cat(pos, neg))]


def tag(strip=(), trade=0, undo=()) -> str:
    return "_".join(["no_" + s for s in sorted(strip)] + ([f"trade{trade}"] if trade else [])
                    + sorted(undo)) or "full"


def synthesize_xc7_nodsp(unit, name: str) -> str:
    folder = ROOT / "build" / "feature_cost" / name
    shutil.rmtree(folder, ignore_errors=True)
    verilog, _ = emit(unit, name, folder, {"unit": "mac_feature_cost"})
    cells = synthesize(verilog, name, "xc7", options=SynthOptions(dsp=False),
                       work_dir=folder / "xc7-nodsp").cells
    return f"{cells.luts:4} LUT {cells.ffs:3} FF {cells.carries:3} CARRY4"


def check(fmt: str, terms: int, items: int, seed: int = 1) -> list[str]:
    """Simulate the full FeatureMac and each lever undone against MacUnit(pipeline=1), cycle by cycle.

    Random codes (specials included), random ``last``, idle inputs and backpressure; returns the
    variants whose ``i.ready``, ``o.valid`` or ``o.payload`` ever differ from MacUnit's.
    """
    variants = {"full": FeatureMac(fmt, terms=terms)}
    variants.update({lever: FeatureMac(fmt, terms=terms, undo=(lever,)) for lever in LEVERS})
    m = Module()
    m.submodules.reference = reference = MacUnit(fmt, fmt, "fixed", terms=terms, pipeline=1)
    for name, unit in variants.items():
        m.submodules[name] = unit
    bits = reference.a.bits
    rng = random.Random(seed)
    mismatches: dict[str, str] = {}

    async def testbench(ctx):
        for cycle in range(items):
            stimulus = {"a": rng.getrandbits(bits), "b": rng.getrandbits(bits), "last": rng.random() < 0.2}
            valid, ready = rng.random() < 0.8, rng.random() < 0.7
            for unit in (reference, *variants.values()):
                ctx.set(unit.i.payload, stimulus)
                ctx.set(unit.i.valid, valid)
                ctx.set(unit.o.ready, ready)
            expected = (ctx.get(reference.i.ready), ctx.get(reference.o.valid),
                        ctx.get(reference.o.payload.as_value()))
            for name, unit in variants.items():
                got = (ctx.get(unit.i.ready), ctx.get(unit.o.valid), ctx.get(unit.o.payload.as_value()))
                if got != expected and name not in mismatches:
                    mismatches[name] = f"cycle {cycle}: (ready, valid, payload) {got} != MacUnit's {expected}"
            await ctx.tick()

    sim = Simulator(m)
    sim.add_clock(1e-8)
    sim.add_testbench(testbench)
    sim.run()
    return [f"{name}: {problem}" for name, problem in mismatches.items()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("formats", nargs="*", default=["fp8_e4m3fn", "fp8_e5m2", "fp4_e2m1"])
    parser.add_argument("--terms", type=int, default=8)
    parser.add_argument("--trade", type=int, nargs="*", default=[], help="accumulator bits to trade")
    parser.add_argument("--ablate", action="store_true", help="also undo each area lever in turn")
    parser.add_argument("--check", action="store_true",
                        help="only simulate FeatureMac against MacUnit (no synthesis) and exit")
    parser.add_argument("--items", type=int, default=2000, help="cycles simulated by --check")
    args = parser.parse_args()
    if args.check:
        failures = [f"{fmt} {problem}" for fmt in args.formats
                    for problem in check(fmt, args.terms, args.items)]
        print("\n".join(failures) or f"FeatureMac matches MacUnit(pipeline=1) on {args.items} cycles "
              f"for {', '.join(args.formats)}")
        sys.exit(1 if failures else 0)
    variants = [(), ("restart",), ("specials",), ("stall",), FEATURES]
    for fmt in args.formats:
        unit = MacUnit(fmt, fmt, "fixed", terms=args.terms, pipeline=1)
        if to_verilog(unit, "mac") == to_verilog(FeatureMac(fmt, terms=args.terms), "mac"):
            print(f"{fmt:<12} full FeatureMac and hwgen's MacUnit(pipeline=1): the same Verilog", flush=True)
        else:
            print(f"{fmt:<12} WARNING: full FeatureMac is not hwgen's MacUnit(pipeline=1) any more; "
                  "the numbers below price this study's copy (compare the first two rows)", flush=True)
            cells = synthesize_xc7_nodsp(unit, f"mac_{fmt}_hwgen")
            print(f"{fmt:<12} {'hwgen MacUnit':<36} {cells}", flush=True)
        jobs = [(strip, 0, ()) for strip in variants]
        jobs += [((), t, ()) for t in args.trade if t < unit.accumulator.width]
        jobs += [((), 0, (lever,)) for lever in (LEVERS if args.ablate else ())]
        for strip, trade, undo in jobs:
            name = tag(strip, trade, undo)
            unit = FeatureMac(fmt, terms=args.terms, strip=strip, trade=trade, undo=undo)
            print(f"{fmt:<12} {name:<36} {synthesize_xc7_nodsp(unit, f'mac_{fmt}_{name}')}", flush=True)


if __name__ == "__main__":
    main()
