"""NN-LUT hardware size against a uniform lookup table of equal accuracy, per function and entry count.

Run: ``.venv/bin/python bench/bench_nnlut_area.py [--funcs ...] [--entries 8 16 32] [--in fp16]
[--out fp16] [--targets xc7 ecp5 gates] [--max-lut-entries 16384]``.

For each function and NN-LUT entry count N: the NN-LUT's maximum error E (float table against the
float64 function on its range), then the coarsest uniform LUT (cells 2^-j wide from the range's
start, each holding the midrange of f on its cell) whose maximum error is at most E: the "uniform
LUT of equal accuracy" (capped at the input grid: a cell of one grid step holds one input value).
Both are built as complete units with the same input and output formats,
front end (decode, clamp or range reduction) and output rounding; the LUT unit is a ROM indexed by a
bit slice of the input (no comparators, no multiplier). When the equal-accuracy LUT would need more
than --max-lut-entries entries, the LUT at that cap is synthesized and its cells are marked ">=".

Cells: LUT/FF/DSP/BRAM on xc7 and ecp5 (DSPs allowed: where a multiplier goes), 2-input gates/FF on
``gates``. Yosys maps a large ROM into block RAM on the FPGAs (the BRAM column). The "hw max err"
columns are the units' measured maximum error over every input code in the table's range (golden
model; reciprocal [1, 2], rsqrt [1, 4], where no scaling applies), after quantization and output
rounding.
"""

import argparse
import shutil
from pathlib import Path

from hwgen.emit import emit
from hwgen.fpga.yosys_flow import SynthOptions, synthesize
from hwgen.gen.build import build_unit
from hwgen.gen.nnlut_design import lut_design_unit, manifest_details, nnlut_fit
from hwgen.nnlut.fit import approximation_errors
from hwgen.nnlut.functions import FUNCTIONS, get_function
from hwgen.nnlut.lut import equal_accuracy_cells, hardware_error
from hwgen.nnlut.table import uniform_lut_pwl
from hwgen.specs import NnLutSpec

ROOT = Path(__file__).resolve().parents[1]
TARGETS = ("xc7", "ecp5", "gates")


def synthesize_unit(unit, name: str, targets, folder: Path) -> dict:
    shutil.rmtree(folder, ignore_errors=True)
    verilog, _ = emit(unit, name, folder, manifest_details(unit))
    cells = {}
    for target in targets:
        c = synthesize(verilog, name, target, options=SynthOptions(dsp=True), work_dir=folder / target).cells
        cells[target] = f"{c.gates}/{c.ffs}" if target == "gates" else f"{c.luts}/{c.ffs}/{c.dsps}/{c.brams}"
    return cells


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--funcs", nargs="+", default=list(FUNCTIONS), choices=list(FUNCTIONS))
    parser.add_argument("--entries", nargs="+", type=int, default=[8, 16, 32])
    parser.add_argument("--in", dest="in_format", default="fp16", help="input format (default fp16)")
    parser.add_argument("--out", dest="out_format", default="fp16", help="output format (default fp16)")
    parser.add_argument("--targets", nargs="+", default=list(TARGETS), choices=list(TARGETS))
    parser.add_argument("--max-lut-entries", type=int, default=16384)
    args = parser.parse_args()
    print(f"{args.in_format} -> {args.out_format}; cells: xc7 / ecp5 LUT/FF/DSP/BRAM, gates 2-input "
          f"gates/FF; float max err: table vs float64 on the range; hw max err: every input code in the "
          f"range")
    header = (f"{'function':<11}{'N':>3}{'float max err':>14}{'hw max err':>11}  {'LUT entries':>11}"
              f"{'float max err':>14}{'hw max err':>11}"
              + "".join(f"{'NN-LUT ' + t:>18}{'LUT ' + t:>20}" for t in args.targets))
    print(header, flush=True)
    for name in args.funcs:
        fn = get_function(name)
        for entries in args.entries:
            spec = NnLutSpec(fn.name, entries, args.in_format, args.out_format)
            unit = build_unit(spec)
            error = approximation_errors(fn, nnlut_fit(spec).pwl, fn.lo, fn.hi).max
            # the coarsest uniform cells of float max error <= error (hwgen.nnlut.lut: "equal", or
            # "grid": reached the input grid first, or "capped" at --max-lut-entries)
            cell_bits, how = equal_accuracy_cells(fn, error, unit.table.x_frac, args.max_lut_entries)
            lut_unit = lut_design_unit(fn.name, args.in_format, args.out_format, cell_bits)
            lut_error = approximation_errors(fn, uniform_lut_pwl(fn, cell_bits), fn.lo, fn.hi).max
            folder = ROOT / "build" / "bench_nnlut_area"
            nnlut_name, lut_name = spec.module_name, f"lut_{fn.name}_c{cell_bits}_{args.in_format}"
            nnlut_cells = synthesize_unit(unit, nnlut_name, args.targets, folder / nnlut_name)
            lut_cells = synthesize_unit(lut_unit, lut_name, args.targets, folder / lut_name)
            mark = ">=" if how == "capped" else ""
            lut_entries = f"{mark}{lut_unit.table.entries}{'*' if how == 'grid' else ''}"
            print(f"{fn.name:<11}{entries:>3}{error:>14.3e}{hardware_error(unit.table):>11.2e}  "
                  f"{lut_entries:>11}{lut_error:>14.3e}{hardware_error(lut_unit.table):>11.2e}"
                  + "".join(f"{nnlut_cells[t]:>18}{mark + lut_cells[t]:>20}" for t in args.targets),
                  flush=True)
    print("* the LUT reached the input grid (one entry per input value) before the NN-LUT's float error; "
          ">= the LUT was capped at --max-lut-entries: the equal-accuracy one is larger")


if __name__ == "__main__":
    main()
