"""Verify generated NN-LUT units bit-exactly against the golden model, on Icarus or Verilator.

Each unit runs in the memory harness of :mod:`hwgen.sim.mac_harness` (bound to the unit's ``x`` /
``y`` stream fields through :func:`hwgen.sim.mac_manifest.stream_interface`; one output owed per
item), and every output is compared with :func:`hwgen.nnlut.evaluate.evaluate_codes` on the table the
unit's manifest records. :func:`verify_nnlut_batch` runs many units side by side in one simulator
build (a Verilator build costs 15-35 s however small the design), each job in its own folder
``build_dir / simulator / jNN_<module>`` with its own harness; :func:`verify_nnlut` is a batch of one.
"""

import math
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from hwgen import lifetime
from hwgen.formats import scalar_format
from hwgen.golden import decode
from hwgen.nnlut.evaluate import evaluate_codes
from hwgen.nnlut.table import NnLutTable, table_from_description
from hwgen.sim.direct import check_runner
from hwgen.sim.mac_harness import (
    harness_depth,
)
from hwgen.sim.mac_manifest import MacInterface, load_manifest, stream_interface
from hwgen.sim.mac_memory import HarnessOutput, VectorFile, harness_files, read_results, write_items
from hwgen.sim.runner import SimulationError
from hwgen.sim.verify_batch import batch_folder, job_folder, run_batch
from hwgen.sim.verify_mac import FAST_COMPILE, SimulatorRun, VerifyReport, check_simulator

SHOWN_MISMATCHES = 5
DEFAULT_TOP = "nnlut_batch"
# The C++ of a batch of units compiles slowly at Verilator's default -Os, and the simulation is short.


@dataclass(frozen=True, eq=False)
class NnLutJob:
    """One unit (by its manifest) and the input codes to run through it."""

    manifest_path: os.PathLike | str
    codes: object = field(repr=False)
    idle_rate: float = 0.0
    stall_rate: float = 0.0
    seed: int = 0


def nnlut_interface(manifest: dict) -> MacInterface:
    return stream_interface(manifest, ("x",), ("y",))


def manifest_table(manifest: dict) -> NnLutTable:
    """The table an NN-LUT manifest records, checked against its formats and stream fields."""
    if manifest.get("unit") != "nnlut" or "table" not in manifest:
        raise ValueError(f"{manifest.get('module')} is not an NN-LUT unit (its manifest has no table)")
    table = table_from_description(manifest["table"])
    unit = nnlut_interface(manifest)
    for name, fmt in (("x", table.in_format), ("y", table.out_format)):
        fields = unit.in_fields if name == "x" else unit.out_fields
        if manifest["formats"][name] != fmt or fields[name].width != _bits(fmt):
            raise ValueError(f"{manifest['module']}: field {name} ({fields[name].width} bits, "
                             f"{manifest['formats'][name]}) disagrees with the table's {fmt}")
    return table


def _bits(fmt: str) -> int:
    return scalar_format(fmt).bits


@dataclass(frozen=True)
class _Staged:
    manifest_path: Path
    manifest: dict
    table: NnLutTable
    unit: MacInterface
    codes: np.ndarray
    folder: Path
    depth: int
    written: VectorFile
    seconds: float

    @property
    def timeout_cycles(self) -> int:
        busy = self.written.items + self.written.idle_cycles
        return 2 * math.ceil(busy / (1.0 - self.written.stall_fraction)) + 10_000


def _stage(job: NnLutJob, folder: Path) -> _Staged:
    begin = time.perf_counter()
    manifest_path = Path(job.manifest_path).resolve()
    manifest = load_manifest(manifest_path)
    table = manifest_table(manifest)
    unit = nnlut_interface(manifest)
    codes = np.asarray(job.codes, dtype=np.int64).reshape(-1)
    folder.mkdir(parents=True, exist_ok=True)
    files = harness_files(folder)
    for stale in (files.results, files.summary, files.status):
        stale.unlink(missing_ok=True)
    depth = harness_depth(len(codes), minimum=2)
    written = write_items(unit, folder, {"x": codes}, idle_rate=job.idle_rate, stall_rate=job.stall_rate,
                          seed=job.seed, depth=depth)
    return _Staged(manifest_path, manifest, table, unit, codes, folder, depth, written,
                   time.perf_counter() - begin)


def verify_nnlut(manifest_path: os.PathLike | str, *, simulator: str, codes, idle_rate: float = 0.0,
                 stall_rate: float = 0.0, seed: int = 0, build_dir: os.PathLike | str,
                 timeout_cycles: int | None = None, runner: str = "cocotb") -> VerifyReport:
    """Run one unit on ``codes`` (input codes, one output each) and check every output."""
    job = NnLutJob(manifest_path, codes, idle_rate, stall_rate, seed)
    return verify_nnlut_batch([job], simulator=simulator, build_dir=build_dir,
                              timeout_cycles=timeout_cycles, runner=runner)[0]


def verify_nnlut_batch(jobs: Sequence[NnLutJob], *, simulator: str, build_dir: os.PathLike | str,
                       timeout_cycles: int | None = None, top: str = DEFAULT_TOP,
                       runner: str = "cocotb") -> list[VerifyReport]:
    """Run every job's unit in one simulator build; one report per job, in order.
    *runner*: ``"cocotb"`` (the cocotb test ``run_harness``) or ``"direct"`` (:mod:`hwgen.sim.direct`).

    Raises
    ------
    SimulationError
        The simulator could not build or run the batch.
    ValueError
        No jobs, a manifest that is not an NN-LUT unit's, or module names that collide.
    """
    begin = time.perf_counter()
    check_simulator(simulator)
    check_runner(runner)
    if not jobs:
        raise ValueError("a batch needs at least one job")
    folder = batch_folder(build_dir, simulator)
    staged = [_stage(job, job_folder(folder, index, job.manifest_path)) for index, job in enumerate(jobs)]
    run = run_batch(staged, simulator, folder, top, timeout_cycles, verilator_args=FAST_COMPILE,
                    runner=runner)
    return [_check(unit, run, simulator, begin) for unit in staged]


def verify_nnlut_batches(batches: dict, *, build_dir: os.PathLike | str, parallel: bool = True
                         ) -> dict[str, list[VerifyReport]]:
    """Run several simulators' batches ({simulator: jobs}), each in one build of its own.

    With ``parallel``, every batch but the last runs in a worker process (spawned) while the last one
    runs here: a Verilator build (mostly one compiler process) overlaps an Icarus run instead of
    waiting for it. The reports are those of :func:`verify_nnlut_batch`.
    """
    simulators = list(batches)
    for simulator in simulators:
        check_simulator(simulator)
    if not parallel or len(simulators) < 2:
        return {sim: verify_nnlut_batch(batches[sim], simulator=sim, build_dir=build_dir)
                for sim in simulators}
    with lifetime.process_pool(len(simulators) - 1) as pool:
        futures = {sim: pool.submit(verify_nnlut_batch, list(batches[sim]), simulator=sim,
                                    build_dir=build_dir) for sim in simulators[:-1]}
        last = simulators[-1]
        reports = {last: verify_nnlut_batch(batches[last], simulator=last, build_dir=build_dir)}
        reports.update({sim: future.result() for sim, future in futures.items()})
    return {sim: reports[sim] for sim in simulators}


def _check(staged: _Staged, run: SimulatorRun, simulator: str, begin: float) -> VerifyReport:
    checking = time.perf_counter()
    if not harness_files(staged.folder).summary.is_file():
        raise SimulationError(f"{simulator} ran {staged.unit.module} but wrote no summary in {staged.folder}")
    output = read_results(staged.folder)
    mismatches, shown = compare(staged.table, staged.unit, staged.codes, output)
    end = time.perf_counter()
    return VerifyReport(
        module=staged.unit.module, simulator=simulator, driver="harness", vectors=len(staged.codes),
        dot_products=len(staged.codes),  # one output per input code
        mismatches=mismatches, first_mismatches=tuple(shown), cycles=output.cycles,
        timed_out=run.timed_out and output.halted, protocol_errors=output.protocol_errors,
        build_seconds=run.build_seconds, simulate_seconds=run.simulate_seconds,
        check_seconds=staged.seconds + (end - checking), total_seconds=end - begin)


def compare(table: NnLutTable, unit: MacInterface, codes: np.ndarray,
            output: HarnessOutput) -> tuple[int, list[str]]:
    """(mismatching outputs, missing and extra ones included; the first few described)."""
    expected = evaluate_codes(table, codes)
    y = unit.out_fields["y"]
    payloads = np.asarray(output.payloads)
    actual = (payloads.astype(object) >> y.offset) & ((1 << y.width) - 1)
    both = min(len(expected), len(actual))
    wrong = ~output.known[:both] | (np.asarray(actual[:both], dtype=np.int64) != expected[:both])
    bad = np.flatnonzero(wrong).tolist() + list(range(both, max(len(expected), len(actual))))
    shown = []
    for k in bad[:SHOWN_MISMATCHES]:
        if k >= len(expected):
            shown.append(f"output {k}: unexpected extra output {_code(table.out_format, int(actual[k]))}")
            continue
        if k >= len(actual):
            got = "got no output"
        else:
            known = output.known[k]
            got = f"got {_code(table.out_format, int(actual[k]))}" if known else "got X (unknown bits)"
        shown.append(f"item {k}: x {_code(table.in_format, int(codes[k]))}: expected "
                     f"{_code(table.out_format, int(expected[k]))}, {got}")
    return len(bad), shown


def _code(fmt: str, code: int) -> str:
    digits = math.ceil(_bits(fmt) / 4)
    return f"0x{code:0{digits}x} ({float(decode(fmt, [code])[0])!r})"
