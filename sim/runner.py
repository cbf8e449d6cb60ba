"""Build a Verilog top and run a cocotb test module on it, on Icarus or Verilator.

The simulators come from :mod:`hwgen.toolchain`; the verdict comes from cocotb's JUnit results
file, never from its log. Every testbench (smoke runs, MAC units, systolic rows) goes through
:func:`run_cocotb`, each parameter point in its own build folder.
"""

import contextlib
import hashlib
import json
import os
import xml.etree.ElementTree as ElementTree
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from hwgen import toolchain
from hwgen.errors import HwgenError

SIMULATORS = tuple(toolchain.SIMULATOR_TOOLS)
DEFAULT_TIMESCALE = ("1ns", "1ps")


class SimulationError(HwgenError):
    """A simulator could not build the design or run the tests (details in the named log)."""


@dataclass(frozen=True)
class SimResult:
    """Counts from one cocotb run, read from its JUnit results file."""

    simulator: str
    passed: int
    failed: int
    skipped: int
    failures: tuple[str, ...]  # names of the failing tests
    results_xml: Path
    build_log: Path
    test_log: Path

    @property
    def ok(self) -> bool:
        return self.failed == 0 and self.passed > 0


# cocotb compiles Icarus with -g2012, under which the `always @*` blocks Yosys emits do not run at
# time 0 (Yosys relies on Verilog-2005 semantics there), leaving X until an input changes. The last
# -g wins, so -g2005 restores the semantics the generated Verilog is written for.
DEFAULT_BUILD_ARGS = {"icarus": ("-g2005",), "verilator": ()}


def run_cocotb(
    *,
    sources: Sequence[os.PathLike | str],
    toplevel: str,
    test_module: str,
    simulator: str,
    build_dir: os.PathLike | str,
    parameters: Mapping[str, object] | None = None,
    testcase: str | Sequence[str] | None = None,
    seed: int | None = None,
    extra_env: Mapping[str, str] | None = None,
    timescale: tuple[str, str] = DEFAULT_TIMESCALE,
    waves: bool = False,
    build_args: Sequence[str] | None = None,
    rewrite_asserts: bool = True,
) -> SimResult:
    """Build *sources* with *toplevel* on *simulator* and run the cocotb *test_module* against it.

    Parameters
    ----------
    test_module
        Dotted name of the cocotb test module, importable by the simulator's Python.
    build_dir
        Folder for everything the run writes (build products, logs, ``results.xml``).
    extra_env
        Extra environment variables for the simulation, e.g. test vectors for the test module.
    build_args
        Extra compiler arguments; default :data:`DEFAULT_BUILD_ARGS` for the simulator.
    rewrite_asserts
        Let pytest rewrite the ``assert`` statements of the test module for detailed failure
        messages. Off, the simulator starts 0.05 s (Icarus) to 0.13 s (Verilator) sooner: worth it
        for test modules whose asserts carry their own messages and that run often.

    Raises
    ------
    SimulationError
        The build failed, or the simulation ended without writing results.
    """
    check_simulator(simulator)
    from cocotb_tools.runner import get_runner  # cocotb is only needed by those who simulate

    build_dir = Path(build_dir).resolve()
    build_dir.mkdir(parents=True, exist_ok=True)
    build_log = build_dir / "build.log"
    test_log = build_dir / "test.log"
    results_xml = build_dir / "results.xml"
    results_xml.unlink(missing_ok=True)

    environment = {**toolchain.simulator_environment(simulator), **(extra_env or {})}
    if not rewrite_asserts:
        environment["COCOTB_REWRITE_ASSERTION_FILES"] = ""  # cocotb then installs no rewriting hook
    sources = [Path(source).resolve() for source in sources]
    build_args = list(DEFAULT_BUILD_ARGS[simulator] if build_args is None else build_args)
    parameters = dict(parameters or {})
    with _process_environment(environment):
        # cocotb's own check (Icarus: file times; Verilator: none) misses a changed toplevel or
        # build argument, so a build is reused only when its stamp matches everything it depends on.
        key = build_key(simulator, sources, toplevel=toplevel, build_args=build_args, parameters=parameters,
                         timescale=timescale, waves=waves)
        up_to_date = reusable_build(build_dir, key, build_dir / _built_model(simulator, toplevel))
        runner = get_runner(simulator)
        if up_to_date and simulator == "verilator":
            runner = _runner_that_skips_building(type(runner))
        try:
            runner.build(
                sources=sources,
                hdl_toplevel=toplevel,
                parameters=parameters,
                build_dir=build_dir,
                always=not up_to_date,
                timescale=timescale,
                waves=waves,
                log_file=build_log,
                build_args=build_args,
            )
        except (RuntimeError, SystemExit) as error:
            raise SimulationError(
                f"{simulator} could not build {toplevel} ({_reason(error)}); see {build_log}"
            ) from None
        record_build(build_dir, key)
        if up_to_date:
            with build_log.open("a") as log:
                log.write(f"hwgen: the build in {build_dir} is up to date (stamp {BUILD_STAMP})\n")
        # runner.test raises SystemExit when the simulator exits non-zero; the results file, if
        # written, still says which tests failed.
        with contextlib.suppress(SystemExit):
            runner.test(
                test_module=test_module,
                hdl_toplevel=toplevel,
                test_dir=build_dir,
                testcase=testcase,
                seed=seed,
                results_xml=str(results_xml),
                timescale=timescale,
                waves=waves,
                log_file=test_log,
            )
    if not results_xml.is_file():
        raise SimulationError(
            f"{simulator} ran {toplevel} but wrote no results for {test_module}; see {test_log}"
        )
    return _read_results(simulator, results_xml, build_log, test_log)


BUILD_STAMP = "hwgen_build.sha256"


def check_simulator(simulator: str) -> None:
    if simulator not in SIMULATORS:
        raise ValueError(f"simulator must be one of {', '.join(SIMULATORS)}, not {simulator!r}")


def reusable_build(build_dir: Path, key: str, product: Path) -> bool:
    """Whether the build in *build_dir* can be reused: its stamp reads *key* (:func:`build_key`) and
    its *product* exists. When it cannot, the stamp goes, so that a failed rebuild leaves none."""
    stamp = build_dir / BUILD_STAMP
    if stamp.is_file() and stamp.read_text() == key and product.is_file():
        return True
    stamp.unlink(missing_ok=True)
    return False


def record_build(build_dir: Path, key: str) -> None:
    """Stamp the build in *build_dir* as made from what *key* describes."""
    (build_dir / BUILD_STAMP).write_text(key)


def _built_model(simulator: str, toplevel: str) -> str:
    """The file cocotb's runner builds: if cocotb renames it, every build just reruns."""
    return "sim.vvp" if simulator == "icarus" else toplevel


def build_key(simulator: str, sources: Sequence[Path], **settings) -> str:
    """sha256 of everything a build depends on: the cocotb version, the simulator's tools (path,
    version, size and time), the *settings* and every source's path and bytes."""
    from cocotb import __version__ as cocotb_version

    tools = []
    for tool in map(toolchain.find_tool, toolchain.SIMULATOR_TOOLS[simulator]):
        stat = Path(tool.path).stat()
        tools.append((tool.path, tool.version, stat.st_size, stat.st_mtime_ns))
    digest = hashlib.sha256(json.dumps(
        [cocotb_version, simulator, tools, settings, [str(source) for source in sources]],
        default=str, sort_keys=True).encode())
    for source in sources:
        digest.update(source.read_bytes())
    return digest.hexdigest()


def _runner_that_skips_building(runner_class: type):
    """A cocotb runner of *runner_class* whose build runs no command (its build is up to date).

    cocotb's Verilator runner reruns ``verilator`` and ``make`` on every call, 0.1 s even when
    nothing changed.
    """

    class UpToDateRunner(runner_class):
        def _build_command(self):
            super()._build_command()  # its checks of the arguments
            return []

    return UpToDateRunner()


def _reason(error: BaseException) -> str:
    return str(error) or type(error).__name__


@contextlib.contextmanager
def _process_environment(environment: Mapping[str, str]) -> Iterator[None]:
    """Run the block with *environment* as ``os.environ``.

    cocotb's runner reads ``os.environ`` itself (``PATH`` to find the simulator, and as the base of
    the simulation's environment, overriding its own ``extra_env``), so this sets the process's.
    ``PYTEST_CURRENT_TEST`` is dropped so that the runner behaves the same under pytest as outside.
    """
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update({key: value for key, value in environment.items() if key != "PYTEST_CURRENT_TEST"})
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def _read_results(simulator: str, results_xml: Path, build_log: Path, test_log: Path) -> SimResult:
    passed = failed = skipped = 0
    failures = []
    for case in ElementTree.parse(results_xml).getroot().iter("testcase"):
        if case.find("failure") is not None or case.find("error") is not None:
            failed += 1
            failures.append(case.get("name", "?"))
        elif case.find("skipped") is not None:
            skipped += 1
        else:
            passed += 1
    return SimResult(simulator, passed, failed, skipped, tuple(failures), results_xml, build_log, test_log)
