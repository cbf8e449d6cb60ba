"""What each contract feature and each area lever of the minifloat MAC costs on xc7 -nodsp.

Synthesizes the unit with features stripped (restart, NaN / inf handling, backpressure), with one
area lever of hwgen.gen.exact_product undone at a time (--ablate), and with some accumulator bits
restarted by a synchronous reset instead of the feedback mask (--trade, an FF-for-LUT trade).

    .venv/bin/python fpga/experiments/mac_feature_cost.py [FORMAT ...] [--ablate] [--trade 13]

Stripped units are NOT correct MACs (no restart: the sum never restarts; no specials: NaN and inf
codes add their garbage significands); they exist only to price the features. Numbers in
README_mac_area.md. Same flow as bench/bench_mac_area.py (K = 8, pipeline 1 by default).
"""

import argparse
import contextlib
import shutil
from pathlib import Path
from unittest import mock

from amaranth import Cat, Const, Module, Mux, ResetSignal, Signal, signed

from hwgen.emit import emit
from hwgen.fpga.yosys_flow import SynthOptions, synthesize
from hwgen.gen import mac
from hwgen.gen.mac import CUT_POINTS, MacUnit
from hwgen.gen.mac_design import manifest_details

ROOT = Path(__file__).resolve().parents[2]
FEATURES = ("restart", "specials", "stall")


class StrippedMac(MacUnit):
    """MacUnit without some contract features (for pricing them), or with ``trade`` low accumulator
    bits restarted by their flip-flops' synchronous reset plus a held output copy."""

    def __init__(self, *args, strip=(), trade=0, **kwargs):
        self._strip = frozenset(strip)
        self._trade = trade
        super().__init__(*args, **kwargs)

    def elaborate(self, platform):
        if "stall" not in self._strip:
            return super().elaborate(platform)
        m = Module()  # MacUnit.elaborate with o.ready taken as always 1
        advance = Const(1, 1)
        m.d.comb += self.i.ready.eq(1)
        item = {"valid": self.i.valid, "last": self.i.payload.last,
                "a": self.i.payload.a, "b": self.i.payload.b}
        for index in range(max(self._pipeline - 1 - len(CUT_POINTS), 0)):
            item = self._register(m, item, advance, f"input{index}")
        item = self._stage(m, item, advance, "operands", self._decode)
        item = self._stage(m, item, advance, "product", self._multiply)
        item = self._stage(m, item, advance, "term", self._term)
        self._accumulate(m, item, advance)
        return m

    def _decode(self, m, item):
        fields = super()._decode(m, item)
        if "specials" in self._strip:
            fields.update({k: Const(0, 1) for k in ("nan", "inf", "drop") if k in fields})
        return fields

    def _accumulate_fixed(self, m, item, step, restart):
        if not self._strip & {"restart", "specials"} and not self._trade:
            return super()._accumulate_fixed(m, item, step, restart)
        width, trade = self._acc.width, self._trade
        acc = Signal(signed(width), name="acc", reset_less=True)
        if "restart" in self._strip:
            feedback = acc
        elif trade:
            low = Signal(trade, name="acc_low", reset_less=True)  # cleared by reset and a last step
            held = Signal(trade, name="acc_held", reset_less=True)  # the output copy of those bits
            clear = Signal(name="acc_low_clear")
            m.d.comb += clear.eq(ResetSignal() | (step & item["last"]))
            feedback = Cat(low, Mux(restart, 0, acc[trade:])).as_signed()
        else:
            feedback = Mux(restart, 0, acc)
        total = feedback + (item["term"] + item["negative"])
        with m.If(step):
            m.d.sync += acc.eq(total)
        if trade and "restart" not in self._strip:
            with m.If(clear):
                m.d.sync += low.eq(0)
            with m.Elif(step):
                m.d.sync += low.eq(total[:trade])
            with m.If(step & item["last"]):
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
            m.d.sync += [nan.eq(Mux(restart, 0, nan) | item["nan"]),
                         pos.eq(Mux(restart, 0, pos) | (item["inf"] & ~item["negative"])),
                         neg.eq(Mux(restart, 0, neg) | (item["inf"] & item["negative"]))]
        m.d.comb += [self.o.payload.nan.eq(nan | (pos & neg)), self.o.payload.inf.eq(Cat(pos, neg))]


def plain_align(m, magnitude, shift, offset, drop, width):
    shifted = Signal(width, name="term_magnitude")
    m.d.comb += shifted.eq(Mux(drop, 0, (magnitude << shift) >> offset))
    return shifted


# Each lever undone: the one-step shifter, Yosys's own multiplier, no product table for fp4.
ABLATIONS = {
    "one_step_align": lambda: mock.patch.object(mac, "align", plain_align),
    "yosys_multiplier": lambda: mock.patch.object(mac, "multiply", lambda x, y: x * y),
    "no_product_table": lambda: mock.patch.object(MacUnit, "_tabulated", lambda self: False),
}


def measure(fmt: str, strip, trade: int, terms: int, pipeline: int, ablation: str = "") -> str:
    with ABLATIONS[ablation]() if ablation else contextlib.nullcontext():
        unit = StrippedMac(fmt, fmt, "fixed", terms=terms, pipeline=pipeline, strip=strip, trade=trade)
        tag = "_".join(["no_" + s for s in sorted(strip)] + ([f"trade{trade}"] if trade else [])
                       + ([ablation] if ablation else [])) or "full"
        return _synthesize(unit, fmt, tag)


def _synthesize(unit, fmt: str, tag: str) -> str:
    name = f"mac_{fmt}_{tag}"
    folder = ROOT / "build" / "feature_cost" / name
    shutil.rmtree(folder, ignore_errors=True)
    verilog, _ = emit(unit, name, folder, manifest_details(unit))
    cells = synthesize(verilog, name, "xc7", options=SynthOptions(dsp=False),
                       work_dir=folder / "xc7-nodsp").cells
    return f"{fmt:<12} {tag:<36} {cells.luts:4} LUT {cells.ffs:3} FF {cells.carries:3} CARRY4"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("formats", nargs="*", default=["fp8_e4m3fn", "fp8_e5m2", "fp4_e2m1"])
    parser.add_argument("--terms", type=int, default=8)
    parser.add_argument("--pipeline", type=int, default=1)
    parser.add_argument("--trade", type=int, nargs="*", default=[], help="accumulator bits to trade")
    parser.add_argument("--ablate", action="store_true", help="also undo each area lever in turn")
    args = parser.parse_args()
    variants = [(), ("restart",), ("specials",), ("stall",), FEATURES]
    for fmt in args.formats:
        for strip in variants:
            print(measure(fmt, strip, 0, args.terms, args.pipeline), flush=True)
        for trade in (t for t in args.trade if t < StrippedMac(fmt, fmt, terms=args.terms).accumulator.width):
            print(measure(fmt, (), trade, args.terms, args.pipeline), flush=True)
        for ablation in ABLATIONS if args.ablate else ():
            print(measure(fmt, (), 0, args.terms, args.pipeline, ablation), flush=True)


if __name__ == "__main__":
    main()
