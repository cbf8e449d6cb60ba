"""Verify generated block dot-product units bit-exactly against the golden model, on Icarus or Verilator.

The units run in the MAC's memory harness (:mod:`hwgen.sim.mac_harness`, bound to the block
dot-product ports by :func:`hwgen.sim.mac_manifest.stream_interface`): the simulator offers the
block pairs from a preloaded memory with idle gaps, refuses outputs as a preloaded pattern says and
writes every output to a file; no Python runs per clock. Every output is compared with
:func:`hwgen.golden.block_dot.block_dot`.

:func:`verify_mxdot` runs one unit; :func:`verify_mxdot_batch` runs many units side by side in ONE
simulator build (a Verilator build costs 15-60 s, so tests batch every configuration). ``build_dir /
simulator`` is the build folder; a batch's job *k* gets the subfolder ``jNN_<module>``.
"""

import math
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from hwgen.formats import BlockFormat, get_format
from hwgen.formats.block_dot import scale_format
from hwgen.golden import decode
from hwgen.golden.block import scale_values
from hwgen.golden.block_dot import block_dot
from hwgen.sim.direct import check_runner
from hwgen.sim.mac_harness import harness_depth, write_harness
from hwgen.sim.mac_manifest import MacInterface, load_manifest, stream_interface, verilog_path
from hwgen.sim.mac_memory import (
    MIN_DEPTH,
    HarnessOutput,
    VectorFile,
    harness_files,
    read_results,
    write_items,
)
from hwgen.sim.mxdot_stimulus import BlockVectors, pack_blocks
from hwgen.sim.verify_batch import batch_folder, job_folder, run_batch
from hwgen.sim.verify_mac import (
    FAST_COMPILE,
    SimulatorRun,
    VerifyReport,
    check_simulator,
    describe_result,
    number_text,
    simulate,
    unpack_outputs,
)

IN_FIELDS = ("a", "b", "scale_a", "scale_b", "last")
OUT_FIELDS = ("acc",)
SHOWN_MISMATCHES = 5
SHOWN_ELEMENTS = 4
DEFAULT_TOP = "mxdot_batch"
MISSING = object()  # an output that never arrived

__all__ = ["MxDotJob", "VerifyReport", "block_formats", "mxdot_interface",
           "verify_mxdot", "verify_mxdot_batch"]


def mxdot_interface(manifest: dict) -> MacInterface:
    """Bind a block dot-product unit's ports and payload fields to its manifest."""
    return stream_interface(manifest, IN_FIELDS, OUT_FIELDS)


def block_formats(manifest: dict) -> tuple[BlockFormat, BlockFormat]:
    """The block formats a unit's manifest describes (element formats, scale, block size)."""
    formats, size = manifest["formats"], int(manifest["block"])
    scale = scale_format(formats["scale"])
    return tuple(BlockFormat(formats[side], get_format(formats[f"{side}_element"]), size, scale)
                 for side in ("a", "b"))


@dataclass(frozen=True, eq=False)
class MxDotJob:
    """One unit (by its manifest) and the block pairs to run through it."""

    manifest_path: os.PathLike | str
    vectors: BlockVectors = field(repr=False)
    idle_rate: float = 0.0
    stall_rate: float = 0.0
    seed: int = 0


@dataclass(frozen=True)
class _Staged:
    """A unit whose vector memory is written in its own folder, ready to simulate."""

    manifest_path: Path
    manifest: dict
    unit: MacInterface
    vectors: BlockVectors
    folder: Path
    depth: int
    written: VectorFile
    seconds: float

    @property
    def timeout_cycles(self) -> int:
        busy = self.written.items * int(self.manifest.get("ii", 1)) + self.written.idle_cycles
        return 2 * math.ceil(busy / (1.0 - self.written.stall_fraction)) + 10_000


def _stage(job: MxDotJob, folder: Path, min_depth: int) -> _Staged:
    begin = time.perf_counter()
    manifest_path = Path(job.manifest_path).resolve()
    manifest = load_manifest(manifest_path)
    unit = mxdot_interface(manifest)
    a, b = block_formats(manifest)
    vectors = job.vectors
    folder.mkdir(parents=True, exist_ok=True)
    files = harness_files(folder)
    for stale in (files.results, files.summary, files.status):
        stale.unlink(missing_ok=True)
    depth = harness_depth(len(vectors.last), min_depth)
    fields = {"a": pack_blocks(a.element.bits, vectors.a_codes),
              "b": pack_blocks(b.element.bits, vectors.b_codes),
              "scale_a": vectors.a_scales, "scale_b": vectors.b_scales, "last": vectors.last}
    written = write_items(unit, folder, fields, idle_rate=job.idle_rate, stall_rate=job.stall_rate,
                          seed=job.seed, depth=depth)
    seconds = time.perf_counter() - begin
    return _Staged(manifest_path, manifest, unit, vectors, folder, depth, written, seconds)


def verify_mxdot(
    manifest_path: os.PathLike | str,
    *,
    simulator: str,
    vectors: BlockVectors,
    idle_rate: float = 0.0,
    stall_rate: float = 0.0,
    seed: int = 0,
    build_dir: os.PathLike | str,
    timeout_cycles: int | None = None,
    runner: str = "cocotb",
) -> VerifyReport:
    """Run the unit of *manifest_path* on the block pairs *vectors* and check every output.

    *idle_rate* / *stall_rate*: share of input cycles left idle and of output cycles refused (see
    :func:`hwgen.sim.mac_memory.write_items`); *seed* draws both patterns. *timeout_cycles*: give up
    (and report what arrived) after this many cycles; default twice the expected count.
    *runner*: ``"cocotb"`` (the cocotb test ``run_harness``) or ``"direct"`` (:mod:`hwgen.sim.direct`).

    Raises
    ------
    SimulationError
        The simulator could not build or run the harness.
    """
    begin = time.perf_counter()
    check_simulator(simulator)
    check_runner(runner)
    folder = (Path(build_dir) / simulator).resolve()
    staged = _stage(MxDotJob(manifest_path, vectors, idle_rate, stall_rate, seed), folder, MIN_DEPTH)
    harness = folder / f"{staged.unit.module}_harness.v"
    toplevel = write_harness(staged.manifest, harness, depth=staged.depth, interface=staged.unit)
    run = simulate(units=[verilog_path(staged.manifest_path, staged.manifest)], harnesses=[harness],
                   toplevel=toplevel, simulator=simulator, folder=folder, testcase="run_harness",
                   timeout_cycles=staged.timeout_cycles if timeout_cycles is None else timeout_cycles,
                   verilator_args=FAST_COMPILE, runner=runner)
    return _check(staged, run, simulator, begin)


def verify_mxdot_batch(
    jobs: Sequence[MxDotJob],
    *,
    simulator: str,
    build_dir: os.PathLike | str,
    timeout_cycles: int | None = None,
    top: str = DEFAULT_TOP,
    runner: str = "cocotb",
) -> list[VerifyReport]:
    """Run every job's unit on its block pairs in one simulator build; one report per job, in order.

    As :func:`hwgen.sim.verify_batch.verify_batch`: ``build_seconds`` and ``simulate_seconds`` are the
    batch's, ``check_seconds`` the job's own, ``cycles`` the job's own. *runner*: ``"cocotb"`` (the cocotb
    test ``run_harness``) or ``"direct"`` (:mod:`hwgen.sim.direct`).

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
    staged = [_stage(job, job_folder(folder, index, job.manifest_path), min_depth=2)
              for index, job in enumerate(jobs)]
    run = run_batch(staged, simulator, folder, top, timeout_cycles, verilator_args=FAST_COMPILE,
                    runner=runner)
    return [_check(unit, run, simulator, begin) for unit in staged]


def _check(staged: _Staged, run: SimulatorRun, simulator: str, begin: float) -> VerifyReport:
    checking = time.perf_counter()
    output = read_results(staged.folder)
    dot_products, mismatches, shown = _compare(staged, output)
    end = time.perf_counter()
    return VerifyReport(
        module=staged.unit.module, simulator=simulator, driver="harness",
        vectors=len(staged.vectors.last), dot_products=dot_products, mismatches=mismatches,
        first_mismatches=tuple(shown), cycles=output.cycles, timed_out=run.timed_out and output.halted,
        protocol_errors=output.protocol_errors,
        build_seconds=run.build_seconds, simulate_seconds=run.simulate_seconds,
        check_seconds=staged.seconds + (end - checking), total_seconds=end - begin,
    )


def _golden(staged: _Staged):
    a, b = block_formats(staged.manifest)
    acc, vectors = staged.manifest["acc"], staged.vectors
    result = block_dot(vectors.a_scales, vectors.a_codes, vectors.b_scales, vectors.b_codes, vectors.last,
                       a, b, acc=acc["spec"], terms=acc.get("terms"))
    spec, width = result.accumulator, staged.unit.out_fields["acc"].width
    if spec.width != width or (spec.kind == "fixed" and spec.lsb_exponent != acc.get("lsb_exponent")):
        raise ValueError(f"{staged.unit.module}'s manifest and the golden model disagree on the accumulator: "
                         f"field o.acc is {width} bits (lsb exponent {acc.get('lsb_exponent')}), "
                         f"{spec.spec} is {spec.width} bits (lsb exponent {spec.lsb_exponent})")
    return result


def _compare(staged: _Staged, output: HarnessOutput) -> tuple[int, int, list[str]]:
    """(dot products expected, mismatching outputs, the first few described)."""
    golden = _golden(staged)
    expected = len(golden.acc)
    payloads, known = output.payloads, output.known
    actual = unpack_outputs(staged.unit, payloads, signed=golden.accumulator.kind == "fixed")
    wanted = {"acc": golden.acc, "nan": golden.nan, "inf": golden.inf}
    both = min(expected, len(payloads))
    wrong = ~known[:both]
    for name, want in wanted.items():
        got = np.asarray(actual[name][:both], dtype=object)
        wrong |= np.array([int(g) != int(w) for g, w in zip(got, want[:both], strict=True)], dtype=bool)
    bad = np.flatnonzero(wrong).tolist() + list(range(both, max(expected, len(payloads))))

    def result(source: dict, k: int):
        return int(source["acc"][k]), bool(source["nan"][k]), int(source["inf"][k])

    describe = _Describer(staged, golden.accumulator)
    shown = [describe(k, result(wanted, k) if k < expected else None,
                      MISSING if k >= len(payloads) else result(actual, k) if known[k] else None)
             for k in bad[:SHOWN_MISMATCHES]]
    return expected, len(bad), shown


class _Describer:
    """One line per mismatch: the first block's scales and elements, and both results."""

    def __init__(self, staged: _Staged, accumulator):
        self._formats = block_formats(staged.manifest)
        self._vectors = staged.vectors
        self._accumulator = accumulator
        ends = np.flatnonzero(staged.vectors.last)
        self._starts = np.concatenate(([0], ends[:-1] + 1))
        self._ends = ends

    def __call__(self, index: int, expected, actual) -> str:
        if index >= len(self._ends):
            return f"output {index}: unexpected extra output {self._result(actual)}"
        start, end = int(self._starts[index]), int(self._ends[index])
        got = "got no output" if actual is MISSING else f"got {self._result(actual)}"
        return (f"dot product {index} (blocks {start}..{end}), block {start}: {self._block('a', start)} . "
                f"{self._block('b', start)}; expected {self._result(expected)}, {got}")

    def _block(self, side: str, item: int) -> str:
        fmt = self._formats[0 if side == "a" else 1]
        scale = int((self._vectors.a_scales if side == "a" else self._vectors.b_scales)[item])
        codes = (self._vectors.a_codes if side == "a" else self._vectors.b_codes)[item]
        digits = math.ceil(fmt.element.bits / 4)
        shown = [f"0x{int(c):0{digits}x} ({number_text(decode(fmt.element, [int(c)])[0])})"
                 for c in codes[:SHOWN_ELEMENTS]]
        more = f", ... ({len(codes) - SHOWN_ELEMENTS} more)" if len(codes) > SHOWN_ELEMENTS else ""
        return (f"{side}: scale 0x{scale:02x} ({number_text(scale_values(fmt, [scale])[0])}) x "
                f"[{', '.join(shown)}{more}]")

    def _result(self, result) -> str:
        return describe_result(self._accumulator, result)
