"""Verify many MAC units in one simulator build: one compile, one run, every output checked.

A Verilator build costs 15-35 s however small the design (most of it compiles Verilator's and
cocotb's own C++), so checking units one build each is slow. :func:`verify_batch` gives each job a
harness of its own (:mod:`hwgen.sim.mac_harness`: its own vector, ready-pattern and result memories,
in its own folder), instantiates all of them side by side under one top module (shared clock,
reset and halt; ``done`` once every harness is done), runs the same cocotb test ``run_harness`` as
:func:`hwgen.sim.verify_mac.verify_mac`, and checks each job's outputs against the golden model
the same way.

``build_dir / simulator`` is the simulator's build folder; job *k* gets the subfolder
``jNN_<module>``. Jobs may repeat a unit (each job is a harness of its own, named
``<module>_harness_jNN``); the unit's Verilog is compiled once. Memory depths follow each job's
item and output counts (rounded up to powers of two): rerunning the same jobs with new vectors
reuses the build when those still round to the same depths.
"""

import os
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from hwgen.sim.direct import check_runner
from hwgen.sim.mac_harness import harness_depth, write_batch_top, write_harness
from hwgen.sim.mac_manifest import verilog_path
from hwgen.sim.mac_stimulus import MacVectors
from hwgen.sim.verify_mac import (
    SimulatorRun,
    VerifyReport,
    check_simulator,
    check_unit,
    simulate,
    stage_unit,
)

DEFAULT_TOP = "mac_batch"


@dataclass(frozen=True, eq=False)
class BatchJob:
    """One unit (by its manifest) and the items to run through it, as :func:`verify_mac` takes them."""

    manifest_path: os.PathLike | str
    a_codes: object = field(repr=False)
    b_codes: object = field(repr=False)
    last: object = field(repr=False)
    idle_rate: float = 0.0
    stall_rate: float = 0.0
    seed: int = 0

    @classmethod
    def of(cls, manifest_path: os.PathLike | str, vectors: MacVectors, **options) -> "BatchJob":
        """A job from a :class:`MacVectors` (``options``: idle_rate, stall_rate, seed)."""
        return cls(manifest_path, *vectors, **options)


def verify_batch(
    jobs: Sequence[BatchJob],
    *,
    simulator: str,
    build_dir: os.PathLike | str,
    timeout_cycles: int | None = None,
    top: str = DEFAULT_TOP,
    runner: str = "cocotb",
) -> list[VerifyReport]:
    """Run every job's unit on its items in one simulator build; one report per job, in order.

    In the reports, ``build_seconds`` and ``simulate_seconds`` are the whole batch's (shared by its
    jobs), ``check_seconds`` is the job's own (writing its vectors, the golden model, the comparison)
    and ``total_seconds`` runs from the batch's start to the end of the job's check. ``cycles`` is
    the job's own: the cycles until its last output.

    Parameters
    ----------
    timeout_cycles
        Give up (and report what arrived) after this many cycles; default: twice the slowest job's
        expected count.
    top
        The top module's name; it must differ from every unit's and harness's.
    runner
        ``"cocotb"`` (the cocotb test ``run_harness``) or ``"direct"`` (:mod:`hwgen.sim.direct`).

    Raises
    ------
    SimulationError
        The simulator could not build or run the batch.
    ValueError
        No jobs, or module names that collide.
    """
    begin = time.perf_counter()
    check_simulator(simulator)
    check_runner(runner)
    if not jobs:
        raise ValueError("a batch needs at least one job")
    folder = batch_folder(build_dir, simulator)
    staged = []
    for index, job in enumerate(jobs):
        vectors = MacVectors(job.a_codes, job.b_codes, job.last)
        staged.append(stage_unit(job.manifest_path, vectors, job_folder(folder, index, job.manifest_path),
                                 idle_rate=job.idle_rate, stall_rate=job.stall_rate, seed=job.seed,
                                 min_depth=2))
    run = run_batch(staged, simulator, folder, top, timeout_cycles, runner=runner)
    return [check_unit(unit, run, simulator=simulator, driver="harness", begin=begin) for unit in staged]


def batch_folder(build_dir: os.PathLike | str, simulator: str) -> Path:
    return (Path(build_dir) / simulator).resolve()


def job_folder(folder: Path, index: int, manifest_path: os.PathLike | str) -> Path:
    return folder / f"j{index:02d}_{Path(manifest_path).stem}"


def run_batch(staged: Sequence, simulator: str, folder: Path, top: str, timeout_cycles: int | None,
              verilator_args: Sequence[str] = (), runner: str = "cocotb") -> SimulatorRun:
    """Give every staged unit (``stage_unit``'s, or a verifier's of the same shape) a harness, put
    them side by side under ``top``, build once and run them (*runner*: see :func:`simulate`)."""
    harness_paths, harnesses, modules, units = [], [], set(), {}
    for index, unit in enumerate(staged):
        harness_paths.append(unit.folder / "harness.v")
        harnesses.append(write_harness(unit.manifest, harness_paths[-1], depth=unit.depth,
                                       results_depth=harness_depth(unit.written.outputs, minimum=2),
                                       name=f"{unit.unit.module}_harness_j{index:02d}", interface=unit.unit))
        modules.add(unit.unit.module)
        units[verilog_path(unit.manifest_path, unit.manifest)] = None  # a file may hold several units
    clashes = sorted(modules & {*harnesses, top})
    if clashes:
        raise ValueError(f"module names used twice in the batch: {', '.join(clashes)}")
    top_file = folder / f"{top}.v"
    write_batch_top(harnesses, top_file, name=top)
    if timeout_cycles is None:
        timeout_cycles = max(unit.timeout_cycles for unit in staged)
    return simulate(units=list(units), harnesses=[*harness_paths, top_file], toplevel=top,
                    simulator=simulator, folder=folder, testcase="run_harness",
                    timeout_cycles=timeout_cycles, verilator_args=tuple(verilator_args), runner=runner)
