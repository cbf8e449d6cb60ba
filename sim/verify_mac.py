"""Verify a generated MAC unit bit-exactly against the golden model, on Icarus or Verilator.

:func:`verify_mac` writes the unit's harness (:mod:`hwgen.sim.mac_harness`) and vector memories,
runs the cocotb test ``run_harness`` on them (or, with ``runner="direct"``, the same driving without
cocotb: :mod:`hwgen.sim.direct`), and compares every output with :func:`hwgen.golden.mac`.
:func:`verify_mac_naive` checks the same way but drives the unit one item
per clock from Python; it is only the baseline of ``bench/bench_verify_speed.py``.
:func:`exhaustive_pairs` gives every operand pair, up to :data:`MAX_EXHAUSTIVE_ITEMS` of them.

``build_dir`` is the folder of one unit: each simulator and driver gets its own subfolder there
(their builds must not share a folder), reused by later runs so only the first one compiles.

The steps are public for :mod:`hwgen.sim.verify_batch`, which runs many units in one build:
:func:`stage_unit` writes a unit's vectors, :func:`simulate` builds and runs a toplevel, and
:func:`check_unit` compares a unit's outputs with the golden model.
"""

import json
import math
import os
import time
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from hwgen.golden import decode, mac
from hwgen.sim.direct import check_runner, run_direct
from hwgen.sim.icarus_netlist import icarus_sources
from hwgen.sim.mac_harness import VERILATOR_ARGS, harness_depth, write_harness, write_lint_waiver
from hwgen.sim.mac_manifest import MacInterface, load_manifest, mac_interface, verilog_path
from hwgen.sim.mac_memory import (
    MAX_EXHAUSTIVE_ITEMS,
    MIN_DEPTH,
    HarnessOutput,
    VectorFile,
    harness_files,
    read_results,
    write_vectors,
)
from hwgen.sim.mac_stimulus import MacVectors, exhaustive_pairs, random_dot_products
from hwgen.sim.runner import DEFAULT_BUILD_ARGS, SimulationError, check_simulator, run_cocotb

TEST_MODULE = "hwgen.sim.mac_bench_tests"
# Arrays, NN-LUT banks and block units make megabytes of C++ in one file; g++ -O0 compiles it about 5
# times faster than Verilator's default -Os, and runs of a few ten thousand cycles do not miss the speed.
FAST_COMPILE = ("-CFLAGS", "-O0")
SHOWN_MISMATCHES = 5
SHOWN_TERMS = 4
MISSING = object()  # an output that never arrived

__all__ = ["MAX_EXHAUSTIVE_ITEMS", "MacVectors", "SimulatorRun", "StagedUnit", "VerifyReport", "check_unit",
           "exhaustive_pairs", "random_dot_products", "simulate", "stage_unit", "verify_mac",
           "verify_mac_naive"]


@dataclass(frozen=True)
class VerifyReport:
    """The verdict on one run of a MAC unit, and where its time went.

    ``build_seconds`` runs from the start of the simulator run to the start of the cocotb test: the
    compile (or the check that the build is up to date) and the simulator's start-up.
    ``simulate_seconds``: the cocotb test and the simulator's exit. ``check_seconds``: writing the
    vectors, the golden model and the comparison.
    """

    module: str
    simulator: str
    driver: str  # "harness" or "naive"
    vectors: int
    dot_products: int
    mismatches: int
    first_mismatches: tuple[str, ...]
    cycles: int
    timed_out: bool
    protocol_errors: int  # cycles in which the unit dropped or changed an output it was made to hold
    build_seconds: float
    simulate_seconds: float
    check_seconds: float
    total_seconds: float

    @property
    def ok(self) -> bool:
        return self.mismatches == 0 and not self.timed_out and self.protocol_errors == 0

    @property
    def run_seconds(self) -> float:
        """Everything but the build: simulation and checking."""
        return self.total_seconds - self.build_seconds

    def summary(self) -> str:
        problems = [f"{self.mismatches} mismatches"] if self.mismatches else []
        problems += ["timed out"] if self.timed_out else []
        problems += [f"{self.protocol_errors} stream protocol errors"] if self.protocol_errors else []
        verdict = ", ".join(problems) or "ok"
        lines = [f"{self.module} on {self.simulator} ({self.driver}): {self.vectors} vectors, "
                 f"{self.dot_products} dot products, {self.cycles} cycles: {verdict}; "
                 f"build {self.build_seconds:.2f} s, run {self.run_seconds:.2f} s"]
        lines += [f"  {line}" for line in self.first_mismatches]
        return "\n".join(lines)


def verify_mac(
    manifest_path: os.PathLike | str,
    *,
    simulator: str,
    a_codes,
    b_codes,
    last,
    idle_rate: float = 0.0,
    stall_rate: float = 0.0,
    seed: int = 0,
    build_dir: os.PathLike | str,
    timeout_cycles: int | None = None,
    runner: str = "cocotb",
) -> VerifyReport:
    """Run the unit of *manifest_path* on the items through its harness and check every output.

    Parameters
    ----------
    a_codes, b_codes, last
        One entry per item; ``last`` ends a dot product and must be set on the final item.
    idle_rate, stall_rate
        Share of input cycles left idle and of output cycles refused (see
        :func:`hwgen.sim.mac_memory.write_vectors`); *seed* draws both patterns.
    timeout_cycles
        Give up (and report what arrived) after this many cycles; default: twice the expected count.
    runner
        ``"cocotb"`` runs the harness under the cocotb test ``run_harness``; ``"direct"`` drives it
        the same way from the simulator's own language (:mod:`hwgen.sim.direct`), which saves
        cocotb's start-up (about 0.3 s a call). The checks are the same.

    Raises
    ------
    SimulationError
        The simulator could not build or run the harness.
    """
    return _verify(Path(manifest_path), simulator, MacVectors(a_codes, b_codes, last), idle_rate,
                   stall_rate, seed, Path(build_dir), timeout_cycles, driver="harness", runner=runner)


def verify_mac_naive(
    manifest_path: os.PathLike | str,
    *,
    simulator: str,
    a_codes,
    b_codes,
    last,
    build_dir: os.PathLike | str,
    timeout_cycles: int | None = None,
) -> VerifyReport:
    """Like :func:`verify_mac`, but Python drives one item per clock: the benchmark's baseline."""
    return _verify(Path(manifest_path), simulator, MacVectors(a_codes, b_codes, last), 0.0, 0.0, 0,
                   Path(build_dir), timeout_cycles, driver="naive")


def _verify(manifest_path: Path, simulator: str, vectors: MacVectors, idle_rate: float, stall_rate: float,
            seed: int, build_dir: Path, timeout_cycles: int | None, driver: str,
            runner: str = "cocotb") -> VerifyReport:
    begin = time.perf_counter()
    check_simulator(simulator)
    check_runner(runner)
    staged = stage_unit(manifest_path, vectors, build_dir / simulator / driver, idle_rate=idle_rate,
                        stall_rate=stall_rate, seed=seed)
    folder, files, unit = staged.folder, harness_files(staged.folder), staged.unit
    harnesses = []
    if driver == "harness":
        harnesses.append(folder / f"{unit.module}_harness.v")
        toplevel = write_harness(staged.manifest, harnesses[0], depth=staged.depth)
    else:
        toplevel = unit.module
    paths = {"MANIFEST": staged.manifest_path, "VECTORS": files.vectors, "RESULTS": files.results,
             "SUMMARY": files.summary}  # for the naive driver
    run = simulate(units=[verilog_path(manifest_path, staged.manifest)], harnesses=harnesses,
                   toplevel=toplevel, simulator=simulator, folder=folder,
                   testcase="run_harness" if driver == "harness" else "drive_naive",
                   timeout_cycles=staged.timeout_cycles if timeout_cycles is None else timeout_cycles,
                   extra_env={f"HWGEN_MAC_{name}": str(path) for name, path in paths.items()}, runner=runner)
    return check_unit(staged, run, simulator=simulator, driver=driver, begin=begin)


@dataclass(frozen=True)
class StagedUnit:
    """A unit whose vector memories are written in its own folder, ready to simulate."""

    manifest_path: Path
    manifest: dict
    unit: MacInterface
    vectors: MacVectors
    folder: Path
    depth: int  # of the vector memory
    written: VectorFile
    seconds: float  # spent staging

    @property
    def timeout_cycles(self) -> int:
        """Twice the cycles the items, their idle gaps and the output stalls should take."""
        busy = self.written.items * int(self.manifest.get("ii", 1)) + self.written.idle_cycles
        return 2 * math.ceil(busy / (1.0 - self.written.stall_fraction)) + 10_000


def stage_unit(manifest_path: os.PathLike | str, vectors: MacVectors, folder: os.PathLike | str, *,
               idle_rate: float, stall_rate: float, seed: int, min_depth: int = MIN_DEPTH) -> StagedUnit:
    """Write the vector memory and ready pattern of one unit into *folder*; remove stale results."""
    begin = time.perf_counter()
    manifest_path = Path(manifest_path).resolve()
    manifest = load_manifest(manifest_path)
    unit = mac_interface(manifest)
    folder = Path(folder).resolve()
    folder.mkdir(parents=True, exist_ok=True)
    files = harness_files(folder)
    for stale in (files.results, files.summary, files.status):
        stale.unlink(missing_ok=True)
    depth = harness_depth(len(vectors.last), min_depth)
    written = write_vectors(manifest, folder, *vectors, idle_rate=idle_rate, stall_rate=stall_rate,
                            seed=seed, depth=depth)
    return StagedUnit(manifest_path, manifest, unit, vectors, folder, depth, written,
                      time.perf_counter() - begin)


@dataclass(frozen=True)
class SimulatorRun:
    """One simulator run's status (written by the cocotb test) and where its time went."""

    timed_out: bool
    build_seconds: float
    simulate_seconds: float


def simulate(*, units: list[Path], harnesses: list[Path], toplevel: str, simulator: str, folder: Path,
             testcase: str, timeout_cycles: int, extra_env: dict[str, str] | None = None,
             verilator_args: tuple[str, ...] = (), runner: str = "cocotb") -> SimulatorRun:
    """Build and run *toplevel* with the cocotb test *testcase* of :data:`TEST_MODULE` in *folder*.

    *units* are the generated units' Verilog files (lint waived on Verilator; rewritten by
    :func:`~hwgen.sim.icarus_netlist.icarus_sources` for Icarus), *harnesses* the harness Verilog,
    toplevel last (cocotb takes the last source's language for the toplevel's).
    *verilator_args* are added to a Verilator build's arguments. *runner* ``"direct"`` drives a
    harness toplevel (testcase ``run_harness``) without cocotb (:mod:`hwgen.sim.direct`), in a
    subfolder of *folder*; *extra_env* is then unused.

    Raises
    ------
    SimulationError
        The simulator could not build or run the design, or the test did not finish.
    """
    check_runner(runner)
    if runner == "direct" and testcase != "run_harness":
        raise ValueError(f"the direct runner only runs harnesses (testcase run_harness), not {testcase!r}")
    status_file = harness_files(folder).status
    status_file.unlink(missing_ok=True)
    sources, build_args = [*units, *harnesses], list(DEFAULT_BUILD_ARGS[simulator])
    if simulator == "icarus":
        sources = [*icarus_sources(units, folder), *harnesses]
    if simulator == "verilator":  # the control file goes first
        sources.insert(0, write_lint_waiver(units, folder, public=toplevel if runner == "cocotb" else None))
        build_args += [*VERILATOR_ARGS, *verilator_args]
    if runner == "direct":
        run = run_direct(sources=sources, toplevel=toplevel, simulator=simulator, folder=folder,
                         timeout_cycles=timeout_cycles, status_file=status_file, build_args=build_args)
        return SimulatorRun(run.timed_out, run.build_seconds, run.simulate_seconds)
    prepared, prepared_wall = time.perf_counter(), time.time()
    result = run_cocotb(
        sources=sources, toplevel=toplevel, test_module=TEST_MODULE, simulator=simulator, build_dir=folder,
        testcase=testcase, build_args=build_args, rewrite_asserts=False,  # the checks run here, not there
        extra_env={"HWGEN_MAC_TIMEOUT_CYCLES": str(timeout_cycles), "HWGEN_MAC_STATUS": str(status_file),
                   **(extra_env or {})},
    )
    simulated = time.perf_counter()
    if not status_file.is_file():
        raise SimulationError(f"{simulator} ran {toplevel} but its test did not finish "
                              f"({', '.join(result.failures) or 'no test ran'}); see {result.test_log}")
    status = json.loads(status_file.read_text())
    # The cocotb test's start is a wall-clock time taken in the simulator's process.
    build_seconds = min(max(status["started"] - prepared_wall, 0.0), simulated - prepared)
    return SimulatorRun(bool(status["timed_out"]), build_seconds, simulated - prepared - build_seconds)


def check_unit(staged: StagedUnit, run: SimulatorRun, *, simulator: str, driver: str,
               begin: float) -> VerifyReport:
    """Compare the outputs the simulator wrote into the unit's folder with the golden model.

    *begin* is the ``time.perf_counter()`` at which the verification started (its total's start).
    """
    checking = time.perf_counter()
    if not harness_files(staged.folder).summary.is_file():
        raise SimulationError(f"{simulator} ran {staged.unit.module} but wrote no summary in {staged.folder}")
    output = read_results(staged.folder)
    dot_products, mismatches, shown = _compare(staged.manifest, staged.unit, staged.vectors, output)
    end = time.perf_counter()
    return VerifyReport(
        module=staged.unit.module, simulator=simulator, driver=driver, vectors=len(staged.vectors.last),
        dot_products=dot_products, mismatches=mismatches, first_mismatches=tuple(shown),
        # In a batch, the jobs still running when the simulation timed out were halted.
        cycles=output.cycles, timed_out=run.timed_out and output.halted,
        protocol_errors=output.protocol_errors,
        build_seconds=run.build_seconds, simulate_seconds=run.simulate_seconds,
        check_seconds=staged.seconds + (end - checking), total_seconds=end - begin,
    )


# -- checking ------------------------------------------------------------------------------------


def _golden(manifest: dict, unit: MacInterface, vectors: MacVectors):
    formats, acc = manifest["formats"], manifest["acc"]
    result = mac(vectors.a_codes, vectors.b_codes, vectors.last, formats["a"], formats["b"], acc=acc["spec"],
                 terms=acc.get("terms"), mul=manifest.get("mul", "exact"))
    spec, field = result.accumulator, unit.out_fields["acc"]
    if spec.width != field.width or (spec.kind == "fixed" and spec.lsb_exponent != acc.get("lsb_exponent")):
        raise ValueError(f"{unit.module}'s manifest and the golden model disagree on the accumulator: "
                         f"field o.acc is {field.width} bits (lsb exponent {acc.get('lsb_exponent')}), "
                         f"{spec.spec} is {spec.width} bits (lsb exponent {spec.lsb_exponent})")
    return result


def _compare(manifest: dict, unit: MacInterface, vectors: MacVectors,
             output: HarnessOutput) -> tuple[int, int, list[str]]:
    """(dot products expected, mismatching outputs, the first few described)."""
    golden = _golden(manifest, unit, vectors)
    expected = len(golden.acc)
    payloads, known = output.payloads, output.known
    actual = unpack_outputs(unit, payloads, signed=golden.accumulator.kind == "fixed")
    if payloads.dtype == np.int64:  # int64 comparisons are much faster than Python ints'
        golden = replace(golden, acc=golden.acc.astype(np.int64))
    both = min(expected, len(payloads))
    wrong = ~known[:both]
    for name, want in (("acc", golden.acc), ("nan", golden.nan), ("inf", golden.inf)):
        wrong |= np.asarray(actual[name][:both] != want[:both], dtype=bool)
    bad = np.flatnonzero(wrong).tolist() + list(range(both, max(expected, len(payloads))))  # missing or extra

    def result(source: dict, k: int):
        return source["acc"][k], bool(source["nan"][k]), int(source["inf"][k])

    describe = _Describer(manifest, unit, vectors, golden.accumulator)
    wanted = {"acc": golden.acc, "nan": golden.nan, "inf": golden.inf}
    shown = [describe(k, result(wanted, k) if k < expected else None,
                      MISSING if k >= len(payloads) else result(actual, k) if known[k] else None)
             for k in bad[:SHOWN_MISMATCHES]]
    return expected, len(bad), shown


def unpack_outputs(unit: MacInterface, payloads: np.ndarray, signed: bool) -> dict[str, np.ndarray]:
    """The output fields of every payload (in *payloads*' dtype: int64, or object for wide ones)."""
    fields = {}
    for name in ("acc", "nan", "inf"):
        field = unit.out_fields.get(name)
        if field is None:  # a unit without NaN or inf fields must never produce them
            fields[name] = np.zeros(len(payloads), dtype=payloads.dtype)
            continue
        fields[name] = (payloads >> field.offset) & ((1 << field.width) - 1)
    if signed:
        width = unit.out_fields["acc"].width
        fields["acc"] = fields["acc"] - ((fields["acc"] >> (width - 1)) << width)
    return fields


class _Describer:
    """One line per mismatch: the operands and both results, in hex and decoded."""

    def __init__(self, manifest: dict, unit: MacInterface, vectors: MacVectors, accumulator):
        self._formats = manifest["formats"]
        self._unit = unit
        self._vectors = vectors
        self._accumulator = accumulator
        ends = np.flatnonzero(vectors.last)
        self._starts = np.concatenate(([0], ends[:-1] + 1))
        self._ends = ends

    def __call__(self, index: int, expected, actual) -> str:
        if index >= len(self._ends):
            return f"output {index}: unexpected extra output {self._result(actual)}"
        start, end = int(self._starts[index]), int(self._ends[index])
        terms = [f"{self._operand('a', start + k)} * {self._operand('b', start + k)}"
                 for k in range(min(end - start + 1, SHOWN_TERMS))]
        if end - start + 1 > SHOWN_TERMS:
            terms.append(f"... ({end - start + 1 - SHOWN_TERMS} more)")
        got = "got no output" if actual is MISSING else f"got {self._result(actual)}"
        return (f"dot product {index} (items {start}..{end}): {' + '.join(terms)}; "
                f"expected {self._result(expected)}, {got}")

    def _operand(self, name: str, item: int) -> str:
        code = int((self._vectors.a_codes if name == "a" else self._vectors.b_codes)[item])
        digits = math.ceil(self._unit.in_fields[name].width / 4)
        return f"0x{code:0{digits}x} ({number_text(decode(self._formats[name], [code])[0])})"

    def _result(self, result) -> str:
        return describe_result(self._accumulator, result)


def describe_result(accumulator, result) -> str:
    """An accumulator result ``(acc, nan, inf)`` in hex and decoded ("X" for None: unknown bits)."""
    if result is None:
        return "X (unknown bits)"
    acc, nan, inf = result
    width = accumulator.width
    text = f"acc 0x{acc & ((1 << width) - 1):0{math.ceil(width / 4)}x}"
    if accumulator.kind == "float":
        return f"{text} ({number_text(decode(accumulator.format, [acc])[0])})"
    flags = [name for name, on in (("nan", nan), ("+inf", inf & 1), ("-inf", inf & 2)) if on]
    return f"{text} ({', '.join([_fixed_value(acc, accumulator.lsb_exponent), *flags])})"


def _fixed_value(acc: int, lsb_exponent: int) -> str:
    try:
        return number_text(math.ldexp(acc, lsb_exponent))
    except OverflowError:  # wider than a float
        return f"{acc} * 2^{lsb_exponent}"


def number_text(value: float) -> str:
    """A decoded value: an integer when it is one, else its repr."""
    if math.isfinite(value) and value == int(value) and abs(value) < 2**53:
        return str(int(value))
    return repr(float(value))
