"""Synthesize a few MAC configurations on chosen targets and print LUT/FF/carry and cells by type.

    .venv/bin/python studies/minifloat_mac_area/mac_area_probe.py fp8_e4m3fn fp4_e2m1 [--targets xc7-nodsp]

A development probe for the fixed-accumulator MAC area work (bench/bench_mac_area.py is the report).
"""

import argparse
import shutil
from pathlib import Path

from hwgen.fpga.yosys_flow import SynthOptions, synthesize
from hwgen.gen.build import emit_spec
from hwgen.specs import MacSpec

ROOT = Path(__file__).resolve().parents[2]
TARGETS = {"xc7-nodsp": ("xc7", False), "xc7": ("xc7", True), "ice40-dsp": ("ice40", True),
           "ecp5": ("ecp5", True), "gates": ("gates", False)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("formats", nargs="+")
    parser.add_argument("--terms", type=int, default=8)
    parser.add_argument("--pipeline", type=int, default=1)
    parser.add_argument("--targets", nargs="+", default=["xc7-nodsp"], choices=list(TARGETS))
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args()
    for fmt in args.formats:
        a, _, b = fmt.partition("x")
        spec = MacSpec(a, b or a, "fixed", terms=args.terms, pipeline=args.pipeline)
        name = spec.module_name
        folder = ROOT / "build" / "probe_area" / name
        shutil.rmtree(folder, ignore_errors=True)
        verilog, _ = emit_spec(spec, folder)
        for target in args.targets:
            family, dsp = TARGETS[target]
            c = synthesize(verilog, name, family, options=SynthOptions(dsp=dsp),
                           work_dir=folder / target).cells
            print(f"{fmt:<14} {target:<10} LUT {c.luts:4} FF {c.ffs:3} carry {c.carries:3} dsp {c.dsps}"
                  f" acc {spec.accumulator.width}", flush=True)
            if args.verbose:
                print("   ", dict(c.by_type))


if __name__ == "__main__":
    main()
