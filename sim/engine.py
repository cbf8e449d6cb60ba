"""Stage, simulate, check: the one verification engine under every unit kind.

A kind of unit plugs in through a :class:`StreamProtocol` (:mod:`hwgen.sim.verify_mac`,
:mod:`~hwgen.sim.verify_mxdot`, :mod:`~hwgen.sim.verify_nnlut`, :mod:`~hwgen.sim.verify_systolic`):
which payload fields its stimulus fills, and how its outputs are judged against the golden model. The
engine does the rest, the same for every kind:

- **stage** a job (:func:`stage`): load and check the unit's manifest, write its item memory and ready
  pattern (:mod:`hwgen.sim.stream_memory`) into the job's folder;
- **simulate** once (:func:`hwgen.sim.simulation.simulate`): each job's harness
  (:mod:`hwgen.sim.stream_harness`), alone or side by side under one top module, on Icarus or
  Verilator, under cocotb or directly, with a timeout of twice the cycles the items should take;
- **check** (:func:`check`): read what each harness captured, compare it with the golden model
  (:func:`hwgen.sim.verdict.compare`) and report the first mismatches.

:func:`verify` runs one job in ``build_dir / simulator / driver``; :func:`verify_batch` runs many in
one simulator build (a Verilator build costs 15-60 s however small the design), job *k* in the
subfolder ``build_dir / simulator / jNN_<manifest stem>``. Jobs may repeat a unit (each job is a
harness of its own, ``<module>_harness_jNN``); the unit's Verilog is compiled once. Memory depths
follow each job's item and output counts (rounded up to powers of two): rerunning the same jobs with
new items reuses the build when those still round to the same depths.
"""

import math
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from hwgen import lifetime
from hwgen.sim.direct import check_runner
from hwgen.sim.runner import SimulationError, check_simulator
from hwgen.sim.simulation import FAST_COMPILE, SimulatorRun, simulate
from hwgen.sim.stream_harness import harness_depth, write_batch_top, write_harness
from hwgen.sim.stream_manifest import StreamInterface, load_manifest, verilog_path
from hwgen.sim.stream_memory import MIN_DEPTH, WrittenItems, harness_files, read_results, write_items
from hwgen.sim.verdict import VerifyReport, compare

DRIVERS = ("harness", "naive")


@dataclass(frozen=True)
class Items:
    """A stimulus bound to a unit: the stream the harness drives and the payload fields of every item."""

    unit: StreamInterface
    fields: dict[str, np.ndarray]
    vectors: int  # the stimulus's size, as the report counts it
    busy_cycles: int | None = None  # the items' cycles without idling or stalls; default items * ii
    sources: tuple[Path, ...] = ()  # Verilog the kind puts between the harness and the unit (an adapter)


@dataclass(frozen=True)
class StreamProtocol:
    """What the engine needs of one kind of unit.

    ``items(manifest, stimulus, folder, tag)`` checks that the manifest is one of this kind's (a
    ``ValueError`` if not) and binds the stimulus to the stream the harness drives (:class:`Items`);
    any Verilog it writes goes into the job's *folder*, its module names ending in *tag* (``""``, or
    ``"_jNN"`` in a batch). ``judge(manifest, unit, stimulus)`` gives the golden outputs and how to
    read and describe the unit's (:class:`hwgen.sim.verdict.Judge`). ``name`` names a batch's top
    module, ``<name>_batch``; *verilator_args* are added to its Verilator builds.
    """

    name: str
    items: Callable[[dict, object, Path, str], Items]
    judge: Callable
    verilator_args: tuple[str, ...] = FAST_COMPILE


@dataclass(frozen=True, eq=False)
class Job:
    """One unit (by its manifest) and the stimulus to run through it, with the idle share of input
    cycles and the refused share of output cycles (:func:`hwgen.sim.stream_memory.write_items`)."""

    manifest_path: os.PathLike | str
    stimulus: object = field(repr=False)
    idle_rate: float = 0.0
    stall_rate: float = 0.0
    seed: int = 0


@dataclass(frozen=True)
class StagedUnit:
    """A job whose item memory is written in its own folder, ready to simulate."""

    kind: StreamProtocol
    job: Job
    manifest_path: Path
    manifest: dict
    items: Items
    folder: Path
    depth: int  # of the item memory
    written: WrittenItems
    seconds: float  # spent staging

    @property
    def module(self) -> str:
        return self.manifest["module"]

    @property
    def sources(self) -> list[Path]:
        """The Verilog to compile for this job besides the harness: the unit's, then the kind's own."""
        return [verilog_path(self.manifest_path, self.manifest), *self.items.sources]

    @property
    def timeout_cycles(self) -> int:
        """Twice the cycles the items, their idle gaps and the output stalls should take."""
        busy = self.items.busy_cycles
        if busy is None:
            busy = self.written.items * int(self.manifest.get("ii", 1))
        return 2 * math.ceil((busy + self.written.idle_cycles) / (1.0 - self.written.stall_fraction)) + 10_000


def stage(kind: StreamProtocol, job: Job, folder: os.PathLike | str, *, tag: str = "",
          min_depth: int = MIN_DEPTH) -> StagedUnit:
    """Write the item memory and ready pattern of *job* into *folder*; remove stale results."""
    begin = time.perf_counter()
    manifest_path = Path(job.manifest_path).resolve()
    manifest = load_manifest(manifest_path)
    folder = Path(folder).resolve()
    folder.mkdir(parents=True, exist_ok=True)
    files = harness_files(folder)
    for stale in (files.results, files.summary, files.status):
        stale.unlink(missing_ok=True)
    items = kind.items(manifest, job.stimulus, folder, tag)
    depth = harness_depth(len(next(iter(items.fields.values()))), min_depth)
    written = write_items(items.unit, folder, items.fields, idle_rate=job.idle_rate,
                          stall_rate=job.stall_rate, seed=job.seed, depth=depth)
    return StagedUnit(kind, job, manifest_path, manifest, items, folder, depth, written,
                      time.perf_counter() - begin)


def verify(kind: StreamProtocol, job: Job, *, simulator: str, build_dir: os.PathLike | str,
           timeout_cycles: int | None = None, runner: str = "cocotb",
           driver: str = "harness") -> VerifyReport:
    """Run *job*'s unit on its stimulus in ``build_dir / simulator / driver`` and check every output.

    Parameters
    ----------
    timeout_cycles
        Give up (and report what arrived) after this many cycles; default: twice the expected count.
    runner
        ``"cocotb"`` runs the harness under the cocotb test ``run_harness``; ``"direct"`` drives it
        the same way from the simulator's own language (:mod:`hwgen.sim.direct`), which saves
        cocotb's start-up (about 0.3 s a call). The checks are the same.
    driver
        ``"harness"``, or ``"naive"``: Python drives the unit itself one item per clock (under cocotb,
        the benchmark's baseline), for units the harness drives without an adapter.

    Raises
    ------
    SimulationError
        The simulator could not build or run the unit.
    """
    begin = time.perf_counter()
    check_simulator(simulator)
    check_runner(runner)
    if driver not in DRIVERS:
        raise ValueError(f"driver must be one of {', '.join(DRIVERS)}, not {driver!r}")
    staged = stage(kind, job, Path(build_dir) / simulator / driver)
    timeout_cycles = staged.timeout_cycles if timeout_cycles is None else timeout_cycles
    if driver == "harness":
        harness = staged.folder / f"{staged.module}_harness.v"
        toplevel = write_harness(staged.items.unit, harness, depth=staged.depth,
                                 name=f"{staged.module}_harness")
        run = simulate(units=staged.sources, harnesses=[harness], toplevel=toplevel, simulator=simulator,
                       folder=staged.folder, testcase="run_harness", timeout_cycles=timeout_cycles,
                       verilator_args=kind.verilator_args, runner=runner)
    else:
        if staged.items.sources:
            raise ValueError(f"the naive driver drives {staged.module} itself, but its kind needs an adapter")
        files = harness_files(staged.folder)
        paths = {"MANIFEST": staged.manifest_path, "ITEMS": files.items, "RESULTS": files.results,
                 "SUMMARY": files.summary}
        run = simulate(units=staged.sources, harnesses=[], toplevel=staged.module, simulator=simulator,
                       folder=staged.folder, testcase="drive_naive", timeout_cycles=timeout_cycles,
                       extra_env={f"HWGEN_STREAM_{name}": str(path) for name, path in paths.items()},
                       verilator_args=kind.verilator_args, runner=runner)
    return check(staged, run, simulator=simulator, driver=driver, begin=begin)


def verify_batch(kind: StreamProtocol, jobs: Sequence[Job], *, simulator: str, build_dir: os.PathLike | str,
                 timeout_cycles: int | None = None, top: str | None = None,
                 runner: str = "cocotb") -> list[VerifyReport]:
    """Run every job's unit on its stimulus in one simulator build; one report per job, in order.

    In the reports, ``build_seconds`` and ``simulate_seconds`` are the whole batch's (shared by its
    jobs), ``check_seconds`` is the job's own (writing its items, the golden model, the comparison)
    and ``total_seconds`` runs from the batch's start to the end of the job's check. ``cycles`` is
    the job's own: the cycles until its last output.

    Parameters
    ----------
    timeout_cycles
        Give up (and report what arrived) after this many cycles; default: twice the slowest job's
        expected count.
    top
        The top module's name, by default ``<kind>_batch``; it must differ from every unit's and
        harness's.
    runner
        As for :func:`verify`.

    Raises
    ------
    SimulationError
        The simulator could not build or run the batch.
    ValueError
        No jobs, a manifest of another kind, or module names that collide.
    """
    begin = time.perf_counter()
    check_simulator(simulator)
    check_runner(runner)
    if not jobs:
        raise ValueError("a batch needs at least one job")
    folder = (Path(build_dir) / simulator).resolve()
    staged = [stage(kind, job, folder / f"j{index:02d}_{Path(job.manifest_path).stem}", tag=f"_j{index:02d}",
                    min_depth=2) for index, job in enumerate(jobs)]
    harness_paths, harnesses, sources = [], [], {}
    for index, unit in enumerate(staged):
        harness_paths.append(unit.folder / "harness.v")
        harnesses.append(write_harness(unit.items.unit, harness_paths[-1], depth=unit.depth,
                                       results_depth=harness_depth(unit.written.outputs, minimum=2),
                                       name=f"{unit.module}_harness_j{index:02d}"))
        sources.update(dict.fromkeys(unit.sources))  # jobs may share a unit's file, or a file hold several
    top = top or f"{kind.name}_batch"
    clashes = sorted({unit.module for unit in staged} & {*harnesses, top})
    if clashes:
        raise ValueError(f"module names used twice in the batch: {', '.join(clashes)}")
    top_file = folder / f"{top}.v"
    write_batch_top(harnesses, top_file, name=top)
    if timeout_cycles is None:
        timeout_cycles = max(unit.timeout_cycles for unit in staged)
    run = simulate(units=list(sources), harnesses=[*harness_paths, top_file], toplevel=top,
                   simulator=simulator, folder=folder, testcase="run_harness", timeout_cycles=timeout_cycles,
                   verilator_args=kind.verilator_args, runner=runner)
    return [check(unit, run, simulator=simulator, driver="harness", begin=begin) for unit in staged]


def verify_batches(kind: StreamProtocol, batches: dict[str, Sequence[Job]], *, build_dir: os.PathLike | str,
                   parallel: bool = True) -> dict[str, list[VerifyReport]]:
    """Run several simulators' batches (``{simulator: jobs}``), each in one build of its own.

    With ``parallel``, every batch but the last runs in a worker process (spawned) while the last one
    runs here: a Verilator build (mostly one compiler process) overlaps an Icarus run instead of
    waiting for it. The reports are those of :func:`verify_batch`.
    """
    simulators = list(batches)
    for simulator in simulators:
        check_simulator(simulator)
    if not parallel or len(simulators) < 2:
        return {sim: verify_batch(kind, batches[sim], simulator=sim, build_dir=build_dir)
                for sim in simulators}
    with lifetime.process_pool(len(simulators) - 1) as pool:
        futures = {sim: pool.submit(verify_batch, kind, list(batches[sim]), simulator=sim,
                                    build_dir=build_dir) for sim in simulators[:-1]}
        last = simulators[-1]
        reports = {last: verify_batch(kind, batches[last], simulator=last, build_dir=build_dir)}
        reports.update({sim: future.result() for sim, future in futures.items()})
    return {sim: reports[sim] for sim in simulators}


def check(staged: StagedUnit, run: SimulatorRun, *, simulator: str, driver: str,
          begin: float) -> VerifyReport:
    """Compare the outputs the simulator wrote into the job's folder with the golden model.

    *begin* is the ``time.perf_counter()`` at which the verification started (its total's start).
    """
    checking = time.perf_counter()
    if not harness_files(staged.folder).summary.is_file():
        raise SimulationError(f"{simulator} ran {staged.module} but wrote no summary in {staged.folder}")
    output = read_results(staged.folder)
    judge = staged.kind.judge(staged.manifest, staged.items.unit, staged.job.stimulus)
    result = compare(judge, output)
    end = time.perf_counter()
    return VerifyReport(
        module=staged.module, simulator=simulator, driver=driver, vectors=staged.items.vectors,
        dot_products=result.outputs, mismatches=result.mismatches, first_mismatches=result.shown,
        # In a batch, the jobs still running when the simulation timed out were halted.
        cycles=output.cycles, timed_out=run.timed_out and output.halted,
        protocol_errors=output.protocol_errors,
        build_seconds=run.build_seconds, simulate_seconds=run.simulate_seconds,
        check_seconds=staged.seconds + (end - checking), total_seconds=end - begin,
    )
