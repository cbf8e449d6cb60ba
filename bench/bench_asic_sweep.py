"""Throughput of an asic sweep of 12 MAC formats (area, timing, energy per MAC), in points per hour,
against the power measurement before it was made faster, in the same run.

Run: ``.venv/bin/python bench/bench_asic_sweep.py [--jobs 2] [--rounds 1] [--baseline REV |
--no-baseline] [--stages int8 fp16 bf16]``.

Both sweeps run ``hwgen sweep`` on :data:`SWEEP` (the twelve MAC formats the issue asks for, at
osu018 and 10 ns) into a fresh store, as a user would (design generation and the store included).
The baseline sweep is the same command with ``hwgen.fpga.asic_power.measure_asic_power`` of commit
*REV* (default: the last one before the change) swapped in, in every worker, through a
``sitecustomize`` module on ``PYTHONPATH``. Its Yosys and OpenSTA steps are today's, so it also pays
for synthesis reading its netlist back, which only today's flow uses (0.05-0.3 s a point). Each point's
seconds come from the store; the energies of the two sweeps must be equal. CPU seconds (the sweep and
every tool it ran) show the work apart from a load that other jobs put on the machine; ``--rounds``
repeats the pair in alternating order and keeps the fastest of each. ``--stages`` then times
the steps of single points in this process: Yosys synthesis, OpenSTA timing, and the power
measurement's steps (``AsicPower.stage_seconds``).
"""

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import tomllib
from dataclasses import dataclass
from pathlib import Path

from hwgen.fpga import asic, points
from hwgen.fpga.asic_power import measure_asic_power
from hwgen.fpga.sweep import generate_design
from hwgen.fpga.sweep_config import parse_config
from hwgen.results.store import ResultStore

ROOT = Path(__file__).resolve().parents[1]
SWEEP = """\
[sweep]
name = "bench-asic"

[[units]]
kind = "mac"
formats = ["int8", "int4", "uint8", "int16", "dint4xint8", "fp8_e4m3fn", "fp8_e5m2", "fp6_e3m2", "fp6_e2m3",
           "fp4_e2m1", "fp16", "bf16"]
params = { acc = "fixed" }

[targets]
asic = { library = "osu018", clock_ns = 10 }
"""
BASELINE_REV = "67f1e8e"  # the power measurement before one wire per net bit, cell groups, counter instances
SWAP_IN = """\
from hwgen.fpga import asic_power
import asic_power_baseline


def measure_asic_power(*args, netlist_json=None, **kwargs):  # the baseline has Yosys read the netlist back
    return asic_power_baseline.measure_asic_power(*args, **kwargs)


asic_power.measure_asic_power = measure_asic_power
"""


@dataclass(frozen=True)
class Run:
    """One sweep: wall and CPU seconds (the sweep and every tool it ran), and its rows by design."""

    wall: float
    cpu: float
    rows: dict[str, dict]

    def line(self, name: str, jobs: int) -> str:
        count = len(self.rows)
        return (f"{name:>6}: {count} points, --jobs {jobs}: {self.wall:.1f} s, "
                f"{count / self.wall * 3600:.0f} points per hour; CPU {self.cpu:.1f} s, "
                f"{self.cpu / count:.1f} s a point")


def sweep(jobs: int, folder: Path, env: dict | None = None) -> Run:
    """One sweep of :data:`SWEEP` into a fresh store in *folder*."""
    for stale in ("asic.sqlite", "asic.sqlite-wal", "asic.sqlite-shm"):
        (folder / stale).unlink(missing_ok=True)
    shutil.rmtree(folder / "work", ignore_errors=True)
    (folder / "sweep.toml").write_text(SWEEP)
    started, used = time.perf_counter(), resource.getrusage(resource.RUSAGE_CHILDREN)
    completed = subprocess.run([sys.executable, "-m", "hwgen", "sweep", str(folder / "sweep.toml"), "--store",
                                str(folder / "asic.sqlite"), "--work-dir", str(folder / "work"), "--jobs",
                                str(jobs)], capture_output=True, text=True, env=env, check=False)
    seconds, now = time.perf_counter() - started, resource.getrusage(resource.RUSAGE_CHILDREN)
    if completed.returncode != 0:
        raise SystemExit(f"the sweep failed: {completed.stderr.strip().splitlines()[-1:]}")
    cpu = now.ru_utime - used.ru_utime + now.ru_stime - used.ru_stime
    with ResultStore(folder / "asic.sqlite", read_only=True) as results:
        return Run(seconds, cpu, {row["design"]: row for row in results.rows()})


def baseline_env(revision: str, folder: Path) -> dict:
    """The environment in which every Python process measures power with *revision*'s code."""
    source = subprocess.run(["git", "show", f"{revision}:fpga/asic_power.py"], cwd=ROOT, capture_output=True,
                            text=True, check=True).stdout
    (folder / "asic_power_baseline.py").write_text(source)
    (folder / "sitecustomize.py").write_text(SWAP_IN)
    path = os.pathsep.join(filter(None, [str(folder), os.environ.get("PYTHONPATH")]))
    return {**os.environ, "PYTHONPATH": path}


def report(jobs: int, now: Run, before: Run | None) -> None:
    print(f"{'design':24}{'pJ/MAC':>10}{'point s':>9}" + (f"{'before s':>10}" if before else ""))
    for design, row in sorted(now.rows.items(), key=lambda item: item[1]["run_seconds"]):
        energy = row["energy_pj_per_mac"]
        line = f"{design:24}{'-' if energy is None else f'{energy:.3f}':>10}{row['run_seconds']:9.1f}"
        print(line + (f"{before.rows[design]['run_seconds']:10.1f}" if before else ""))
    print(now.line("now", jobs))
    if before:
        print(before.line("before", jobs))
        same = all(now.rows[design]["energy_pj_per_mac"] == row["energy_pj_per_mac"] and row["status"] == "ok"
                   for design, row in before.rows.items())
        print(f"speed-up {before.wall / now.wall:.2f}x (wall), {before.cpu / now.cpu:.2f}x (CPU); energies "
              f"equal: {'yes' if same else 'NO'}")
        for design, row in before.rows.items():
            if now.rows[design]["energy_pj_per_mac"] != row["energy_pj_per_mac"]:
                why, energy = row["power_method"] or row["error"], now.rows[design]["energy_pj_per_mac"]
                print(f"  {design}: {row['energy_pj_per_mac']} before ({why}), {energy} now")


def stages(formats: list[str]) -> None:
    plan = parse_config(tomllib.loads(SWEEP))
    flow = plan.flows[0]
    print(f"\nsteps of one point, seconds (osu018, {flow.clock_ns:g} ns, power: {points.POWER_STREAM})")
    header = ("synth", "timing", "netlist", "sdf", "simulation", "liberty_energy", "sta_power", "total")
    print(f"{'design':24}" + "".join(f"{name:>15}" for name in header))
    with tempfile.TemporaryDirectory(prefix="bench_asic_stages_") as folder:
        for point in plan.designs:
            design = generate_design(point.unit, point.config)
            if design.formats[0] not in formats:
                continue
            work = Path(folder) / design.module
            work.mkdir()
            (work / "unit.v").write_text(design.verilog)
            started = time.perf_counter()
            synth = asic.synthesize_asic(work / "unit.v", design.module, flow.library, flow.clock_ns,
                                         work_dir=work)
            synthesized = time.perf_counter()
            timing = asic.static_timing(synth.netlist, design.module, flow.library, flow.clock_ns,
                                        work_dir=work)
            timed = time.perf_counter()
            clock = points.power_clock_ns(flow.clock_ns, timing.slack_ns)
            power = measure_asic_power(design, synth.netlist, flow.library, clock, **points.POWER_STREAM,
                                       work_dir=work / "power", netlist_json=synth.netlist_json)
            steps = [synthesized - started, timed - synthesized,
                     *(power.stage_seconds[name] for name in header[2:-1]), time.perf_counter() - started]
            print(f"{design.module:24}" + "".join(f"{value:15.2f}" for value in steps))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=2, help="sweep workers (default 2)")
    parser.add_argument("--baseline", default=BASELINE_REV, metavar="REV",
                        help=f"the commit whose power measurement is the baseline (default {BASELINE_REV})")
    parser.add_argument("--no-baseline", action="store_true", help="run today's sweep only")
    parser.add_argument("--rounds", type=int, default=1,
                        help="sweeps of each kind, in alternating order; the fastest counts (default 1)")
    parser.add_argument("--stages", nargs="*", default=["int8", "fp16", "bf16"], metavar="FORMAT",
                        help="time the steps of these formats' points (default int8 fp16 bf16; none: skip)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench_asic_sweep_") as folder:
        before_folder, now_folder = Path(folder) / "before", Path(folder) / "now"
        for path in (before_folder, now_folder):
            path.mkdir()
        env = None if args.no_baseline else baseline_env(args.baseline, before_folder)
        best: dict[str, Run] = {}
        for round_ in range(args.rounds):  # before, now; then now, before: a load that comes and goes
            order = ("before", "now") if round_ % 2 == 0 else ("now", "before")
            for name in order if env else ("now",):
                run = sweep(args.jobs, before_folder if name == "before" else now_folder,
                            env if name == "before" else None)
                if name not in best or run.wall < best[name].wall:
                    best[name] = run
        report(args.jobs, best["now"], best.get("before"))
    if args.stages:
        stages(args.stages)


if __name__ == "__main__":
    main()
