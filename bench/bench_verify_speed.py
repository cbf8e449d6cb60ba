"""Exhaustive MAC verification speed: the memory-driven harness against a naive per-clock cocotb loop.

Run: ``.venv/bin/python bench/bench_verify_speed.py [--manifest PATH] [--naive-items N]``. Goal: every
(a, b) pair of an 8-bit format (65,536 one-term dot products) checked bit-exactly in <= 2 s wall per
simulator, first compile excluded, and >= 10x faster than the naive loop measured in the same run.

Times are whole ``verify_mac`` calls (vectors written, simulator started, simulated, outputs checked
against the golden model), after a first call that compiles; each driver's best run counts. The
harness runs twice: under the cocotb test (runner ``cocotb``, the default of ``hwgen verify``) and
driven from the simulator's own language (runner ``direct``: a Verilog testbench on Icarus, a C++
loop on Verilator; same harness, same checks, no cocotb start-up). The naive loop (one item per
clock, driven and sampled from Python) runs on ``--naive-items`` items; when that is fewer than all,
its simulation time is scaled up to all pairs and the table says "extrapolated".

"startup s" is a whole call with a single pair: the cost every call pays however few its items
(under cocotb, mostly the simulator starting Python and importing cocotb). The naive loop pays
cocotb's, so a whole-call ratio can never exceed ``naive s / startup s``; the table prints that
ceiling too.
"""

import argparse
import sys
from pathlib import Path

from _timing import best_seconds

from hwgen.cli import run_reporting_errors
from hwgen.formats._check import check_int
from hwgen.sim.direct import RUNNERS
from hwgen.sim.mac_stimulus import MacVectors, exhaustive_pairs
from hwgen.sim.runner import SIMULATORS
from hwgen.sim.stream_manifest import load_manifest
from hwgen.sim.verify_mac import verify_mac, verify_mac_naive

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT / "tests" / "fixtures" / "mac_int8_fixture.json"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--manifest", type=Path, default=FIXTURE, help="the MAC unit's JSON manifest")
    parser.add_argument("--simulators", nargs="+", default=list(SIMULATORS), choices=SIMULATORS)
    parser.add_argument("--runners", nargs="+", default=list(RUNNERS), choices=RUNNERS,
                        help="how the harness is driven: under cocotb, or directly (hwgen.sim.direct)")
    parser.add_argument("--naive-items", type=int, default=None,
                        help="items for the naive loop (default: all pairs)")
    parser.add_argument("--repeats", type=int, default=3, help="timed harness runs (the best counts)")
    parser.add_argument("--naive-repeats", type=int, default=2, help="timed naive runs (the best counts)")
    args = parser.parse_args()
    check_int(args.repeats, "--repeats", 1, 100)
    check_int(args.naive_repeats, "--naive-repeats", 1, 100)
    manifest = load_manifest(args.manifest)
    pairs = exhaustive_pairs(manifest["formats"]["a"], manifest["formats"]["b"])
    count = len(pairs.last)
    naive_items = count if args.naive_items is None else check_int(args.naive_items, "--naive-items", 1,
                                                                   count)
    subset = MacVectors(*(column[:naive_items] for column in pairs))
    one_pair = MacVectors(*(column[:1] for column in pairs))
    build_dir = ROOT / "build" / "bench_verify" / manifest["module"]

    print(f"{manifest['module']}: {count} pairs, each a one-term dot product")
    print(f"{'simulator':<10} {'runner':<7} {'harness s':>9} {'vectors/s':>10} {'sim s':>6} {'startup s':>9} "
          f"{'naive s':>8} {'naive sim s':>11} {'ratio':>6} {'sim ratio':>9} {'ceiling':>7}")
    for simulator in args.simulators:
        # The naive loop first (a first call compiles): every harness row is compared with it.
        verify_mac_naive(args.manifest, simulator=simulator, **one_pair._asdict(), build_dir=build_dir)
        naive_runs = [verify_mac_naive(args.manifest, simulator=simulator, **subset._asdict(),
                                       build_dir=build_dir) for _ in range(args.naive_repeats)]
        if not all(run.ok for run in naive_runs):
            raise SystemExit(next(run.summary() for run in naive_runs if not run.ok))
        naive = min(naive_runs, key=lambda run: run.total_seconds)
        scale = count / naive_items
        naive_sim = naive.simulate_seconds * scale
        naive_seconds = naive.total_seconds + naive_sim - naive.simulate_seconds
        note = "" if scale == 1 else f"  (naive extrapolated from {naive_items} items)"
        for runner in args.runners:
            reports = []

            def harness(simulator=simulator, runner=runner, reports=reports):
                reports.append(verify_mac(args.manifest, simulator=simulator, **pairs._asdict(),
                                          build_dir=build_dir, runner=runner))

            harness_seconds = best_seconds(harness, repeats=args.repeats)
            if not all(report.ok for report in reports):
                raise SystemExit(next(report.summary() for report in reports if not report.ok))
            harness_sim = min(report.simulate_seconds for report in reports[1:])

            def startup(simulator=simulator, runner=runner):
                verify_mac(args.manifest, simulator=simulator, **one_pair._asdict(), build_dir=build_dir,
                           runner=runner)

            startup_seconds = best_seconds(startup, repeats=args.repeats)
            print(f"{simulator:<10} {runner:<7} {harness_seconds:>9.2f} {count / harness_seconds:>10.0f} "
                  f"{harness_sim:>6.2f} {startup_seconds:>9.2f} {naive_seconds:>8.2f} {naive_sim:>11.2f} "
                  f"{naive_seconds / harness_seconds:>6.1f} {naive_sim / harness_sim:>9.1f} "
                  f"{naive_seconds / startup_seconds:>7.1f}{note}")


if __name__ == "__main__":
    sys.exit(run_reporting_errors("bench_verify_speed.py", main))
