"""Relative energy per MAC of the default-sweep MAC formats, and the Horowitz multiplier anchor.

Run: ``.venv/bin/python bench/bench_energy.py [--macs N] [--seed S] [--distributions ...] [--only ...]
[--anchor FORMAT ...] [--no-anchor] [--fpga]``.

Every MAC is ``fixed``, K = 64, pipeline 3; energy is gate-level (unit-delay toggles x load, measured by
``hwgen.fpga.gate_energy``, the measurement a sweep's gates points run with ``energy = true``),
relative to the INT8 x INT8 MAC measured in the same run with the same samples; the Horowitz verdicts
are ``hwgen.cost_models.energy``'s, as the report gives them. ``--fpga`` adds the activity-weighted xc7
estimate (an estimate, not a measurement). Times are wall seconds per design (synthesis + simulation +
counting), with their ratio to the INT8 MAC's. Every number is measured in this run.
"""

import argparse
import shutil
import sys
import time
from pathlib import Path

from hwgen.cli import run_reporting_errors
from hwgen.cost_models.energy import HOROWITZ_PJ, fpga_energy_estimate, horowitz_anchor, operation_name
from hwgen.fpga.activity import DEFAULT_MACS, DISTRIBUTIONS, MAX_MACS, check_count, check_seed
from hwgen.fpga.gate_energy import measure_energy, multiplier_design
from hwgen.fpga.units import get_unit
from hwgen.fpga.yosys_flow import synthesize

ROOT = Path(__file__).resolve().parents[1]
CONFIGS = [("int8", "int8"), ("int4", "int4"), ("uint8", "uint8"), ("dint4", "int8"),
           ("fp8_e4m3fn", "fp8_e4m3fn"), ("fp8_e5m2", "fp8_e5m2"), ("fp8_e4m3fnuz", "fp8_e4m3fnuz"),
           ("fp6_e3m2", "fp6_e3m2"), ("fp6_e2m3", "fp6_e2m3"), ("fp4_e2m1", "fp4_e2m1")]
ANCHOR_FORMATS = ("fp16", "fp32", "int32")  # exact multipliers, against Horowitz's multiplies


def mac_design(a: str, b: str):
    return get_unit("mac").generate({"a": a, "b": b, "acc": "fixed", "terms": 64, "pipeline": 3})


def fpga_estimate(design, toggle_rate: float, folder: Path) -> float:
    folder.mkdir(parents=True, exist_ok=True)
    source = folder / f"{design.module}.v"
    source.write_text(design.verilog)
    cells = synthesize(source, design.module, "xc7", work_dir=folder / "xc7").cells
    resources = {"luts": cells.luts, "ffs": cells.ffs, "carries": cells.carries, "dsps": cells.dsps}
    return fpga_energy_estimate(resources, toggle_rate).energy_per_cycle


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--macs", type=int, default=DEFAULT_MACS,
                        help=f"measured MACs (default {DEFAULT_MACS})")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--distributions", nargs="+", default=list(DISTRIBUTIONS), choices=DISTRIBUTIONS)
    parser.add_argument("--only", nargs="+", metavar="FORMAT", choices=sorted({a for a, _ in CONFIGS}),
                        help="only configurations whose a is one of these")
    parser.add_argument("--anchor", nargs="+", default=list(ANCHOR_FORMATS), choices=ANCHOR_FORMATS,
                        metavar="FORMAT", help="the anchor's multipliers (default: all of them)")
    parser.add_argument("--no-anchor", action="store_true", help="skip the Horowitz multiplier anchor")
    parser.add_argument("--fpga", action="store_true", help="add the xc7 activity-weighted estimate")
    args = parser.parse_args()
    check_count(args.macs, "--macs", MAX_MACS)
    check_seed(args.seed)
    work = ROOT / "build" / "bench_energy"
    shutil.rmtree(work / "runs", ignore_errors=True)
    options = {"macs": args.macs, "seed": args.seed, "work_dir": work / "runs"}
    configs = [c for c in CONFIGS if not args.only or c[0] in args.only or c == ("int8", "int8")]
    designs = {f"{a} x {b}" if a != b else a: mac_design(a, b) for a, b in configs}
    print(f"energy per MAC: fixed accumulator, K = 64, pipeline 3; {args.macs} MACs per measurement, seed "
          f"{args.seed}; units: unit-load toggles per MAC; rel = over the INT8 MAC (same samples)")
    fpga_header = f"{'xc7 est':>9}{'rel':>7}" if args.fpga else ""
    for distribution in args.distributions:
        print(f"\n{distribution}")
        print(f"{'a x b':<26}{'energy':>9}{'rel':>7}{'gates':>7}{'FFs':>5}{'rate':>7}{'depth':>6}"
              f"{'checked':>8}{'seconds':>9}{'t/t8':>6}{fpga_header}")
        base = base_seconds = base_fpga = None
        for label, design in designs.items():
            started = time.perf_counter()
            result = measure_energy(design, distribution, **options)
            seconds = time.perf_counter() - started
            if base is None:
                base, base_seconds = result.energy_per_mac, seconds
            fpga = ""
            if args.fpga:
                estimate = fpga_estimate(design, result.mean_toggle_rate, work / "fpga" / design.module)
                base_fpga = base_fpga or estimate
                fpga = f"{estimate:>9.1f}{estimate / base_fpga:>7.3f}"
            print(f"{label:<26}{result.energy_per_mac:>9.1f}{result.energy_per_mac / base:>7.3f}"
                  f"{result.gates:>7}{result.ffs:>5}{result.mean_toggle_rate:>7.3f}{result.depth:>6}"
                  f"{result.checked:>8}{seconds:>9.2f}{seconds / base_seconds:>6.2f}{fpga}", flush=True)

    if args.no_anchor:
        return
    multipliers = {fmt: multiplier_design(fmt) for fmt in ("int8", *args.anchor)}
    for distribution in args.distributions:
        started = time.perf_counter()
        results = {fmt: measure_energy(mul, distribution, **options) for fmt, mul in multipliers.items()}
        anchor = horowitz_anchor({operation_name(fmt, "mul"): result.energy_per_mac
                                  for fmt, result in results.items()}, judged=("fp16 mul", "fp32 mul"))
        seconds = time.perf_counter() - started
        print(f"\nHorowitz anchor ({distribution}): exact multipliers (input and output registers, no "
              f"rounding) over hwgen's INT8 multiplier, vs Horowitz ISSCC 2014 45 nm "
              f"(int8 {HOROWITZ_PJ['int8 mul']} pJ); {seconds:.1f} s")
        print(f"{'multiplier':<12}{'energy':>9}{'gates':>7}{'FFs':>5}{'rate':>7}{'ours':>8}{'paper':>8}"
              f"{'ours/paper':>12}{'within 2x':>11}")
        print(f"{'int8':<12}{results['int8'].energy_per_mac:>9.1f}{results['int8'].gates:>7}"
              f"{results['int8'].ffs:>5}{results['int8'].mean_toggle_rate:>7.3f}{1.0:>8.2f}{1.0:>8.2f}")
        for row in anchor:
            fmt = row.operation.split()[0]
            r = results[fmt]
            print(f"{fmt:<12}{r.energy_per_mac:>9.1f}{r.gates:>7}{r.ffs:>5}{r.mean_toggle_rate:>7.3f}"
                  f"{row.ours:>8.2f}{row.paper:>8.2f}{row.factor:>12.2f}{'yes' if row.within else 'no':>11}")


if __name__ == "__main__":
    sys.exit(run_reporting_errors("bench_energy.py", main))
