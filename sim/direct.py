"""Run a harness toplevel without cocotb: a Verilog testbench on Icarus, a C++ loop on Verilator.

A harness toplevel (:mod:`hwgen.sim.stream_harness`, or a batch of harnesses) needs from its driver
only a clock, a reset, a timeout and the wait for ``done``: its items, backpressure and output
capture are in the simulator, and Python checks the outputs afterwards. cocotb's start-up in the
simulator (about 0.3 s: Python, cocotb and the pytest it imports) is then most of a short run, so
this module drives those four things from the simulator's own language instead. The checks stay
the same: the harness writes the same files, and :func:`hwgen.sim.engine.check` reads them.

The driving is the cocotb test ``run_harness``'s (:mod:`hwgen.sim.stream_tests`): ``rst`` high for
:data:`RESET_CYCLES` rising edges, released at the next falling edge; then at most *timeout_cycles*
cycles until ``done``; if it has not risen, ``halt`` is raised so the harness writes what arrived.
Both drivers write ``{"timed_out": ...}`` to the status file the caller names.
"""

import json
import os
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from hwgen import lifetime, toolchain
from hwgen.sim.harness_timing import CLOCK_NS, RESET_CYCLES
from hwgen.sim.runner import SimulationError, build_key, check_simulator, record_build, reusable_build
from hwgen.sim.stream_harness import write_if_changed
from hwgen.verilog_names import check_module_name

RUNNERS = ("cocotb", "direct")
FOLDER = "direct"  # inside the harness's build folder
TB_MODULE = "hwgen_direct_tb"
MAX_PATH_BYTES = 4096  # of the status file: the Icarus testbench holds it in a Verilog register
HALT_GRACE_CYCLES = 1_000  # a halted harness raises done a few cycles later; more is a broken harness


@dataclass(frozen=True)
class DirectRun:
    timed_out: bool
    build_seconds: float  # the compile, or the check that the build is up to date
    simulate_seconds: float  # the simulator process, start to exit


def check_runner(runner: str) -> None:
    if runner not in RUNNERS:
        raise ValueError(f"runner must be one of {', '.join(RUNNERS)}, not {runner!r}")


def run_direct(*, sources: Sequence[os.PathLike | str], toplevel: str, simulator: str,
               folder: os.PathLike | str, timeout_cycles: int, status_file: os.PathLike | str,
               build_args: Sequence[str] = ()) -> DirectRun:
    """Build *sources* under a driver for the harness *toplevel* in ``folder/direct`` and run it.

    *sources* are what the simulator compiles (for Verilator, a control file may come first);
    *build_args* are added to the compiler's arguments. The build is reused while its stamp (every
    source's bytes, the arguments, the tools) still matches.

    Raises
    ------
    SimulationError
        The build failed, or the simulator exited without the driver writing its status.
    """
    check_simulator(simulator)
    if timeout_cycles < 1:
        raise ValueError(f"timeout_cycles must be at least 1, not {timeout_cycles}")
    check_module_name(toplevel)
    build_dir = (Path(folder) / FOLDER).resolve()
    status_file = Path(status_file).resolve()
    if len(str(status_file).encode()) > MAX_PATH_BYTES:
        raise ValueError(f"the status file's path is longer than {MAX_PATH_BYTES} bytes: {status_file}")
    build_dir.mkdir(parents=True, exist_ok=True)
    status_file.unlink(missing_ok=True)
    environment = toolchain.simulator_environment(simulator)
    begin = time.perf_counter()
    if simulator == "icarus":
        command = _build_icarus(sources, toplevel, build_dir, build_args, environment)
        command += [f"+hwgen_timeout_cycles={timeout_cycles}", f"+hwgen_status={status_file}"]
    else:
        command = _build_verilator(sources, toplevel, build_dir, build_args, environment)
        command += [str(timeout_cycles), str(status_file)]
    built = time.perf_counter()
    log = build_dir / "run.log"
    with log.open("w") as output:
        completed = _run(command, build_dir, environment, output, simulator)
    simulated = time.perf_counter()
    try:
        timed_out = json.loads(status_file.read_text())["timed_out"] if completed.returncode == 0 else None
    except (OSError, ValueError, KeyError, TypeError):
        timed_out = None
    if timed_out is None:
        reasons = [line.strip() for line in log.read_text(errors="replace").splitlines()
                   if line.startswith("hwgen:")]
        reason = f": {reasons[-1].removeprefix('hwgen: ')}" if reasons else ""
        raise SimulationError(f"{simulator} ran {toplevel} but its driver did not finish "
                              f"(exit {completed.returncode}{reason}); see {log}")
    return DirectRun(bool(timed_out), built - begin, simulated - built)


def _run(command: list[str], folder: Path, environment: dict[str, str], output, simulator: str):
    try:
        return lifetime.run(command, cwd=folder, env=environment, stdout=output, stderr=subprocess.STDOUT,
                            check=False)
    except FileNotFoundError:
        raise SimulationError(f"{simulator}: cannot run {command[0]!r} (not found)") from None


def _build_icarus(sources, toplevel: str, build_dir: Path, build_args: Sequence[str],
                  environment: dict[str, str]) -> list[str]:
    testbench = build_dir / f"{TB_MODULE}.v"
    write_if_changed(testbench, _icarus_testbench(toplevel))
    model = build_dir / "sim.vvp"
    arguments = ["-s", TB_MODULE, *build_args]
    _build_once(build_dir, "icarus", [*map(Path, sources), testbench], arguments, model, environment,
                lambda: [[*toolchain.find_tool("iverilog").argv, "-o", str(model), *arguments,
                          *map(str, sources), str(testbench)]])
    return [*toolchain.find_tool("vvp").argv, "-n", str(model)]


def _build_verilator(sources, toplevel: str, build_dir: Path, build_args: Sequence[str],
                     environment: dict[str, str]) -> list[str]:
    main = build_dir / "hwgen_direct_main.cpp"
    write_if_changed(main, _verilator_main())
    objects = build_dir / "obj"
    executable = objects / "hwgen_direct"
    arguments = ["--cc", "--exe", "-Mdir", str(objects), "--top-module", toplevel, "--prefix", "Vtop",
                 "-o", executable.name, *build_args]
    verilator = toolchain.find_tool("verilator")
    _build_once(build_dir, "verilator", [*map(Path, sources), main], arguments, executable, environment,
                lambda: [[*verilator.argv, *arguments, *map(str, sources), str(main)],
                         ["make", "-C", str(objects), "-f", "Vtop.mk"]])
    return [str(executable)]


def _build_once(build_dir: Path, simulator: str, sources: list[Path], arguments: list[str], product: Path,
                environment: dict[str, str], commands) -> None:
    key = build_key(simulator, [source.resolve() for source in sources], arguments=arguments, driver=FOLDER)
    if reusable_build(build_dir, key, product):
        return
    log = build_dir / "build.log"
    with log.open("w") as output:
        for command in commands():
            output.write(" ".join(command) + "\n")
            output.flush()
            completed = _run(command, build_dir, environment, output, simulator)
            if completed.returncode != 0:
                raise SimulationError(f"{simulator} could not build the direct driver "
                                      f"(exit {completed.returncode}); see {log}")
    record_build(build_dir, key)


def _icarus_testbench(toplevel: str) -> str:
    half = CLOCK_NS // 2
    return f"""\
// Generated by hwgen.sim.direct: do not edit. Drives {toplevel} as the cocotb test run_harness does.
`timescale 1ns/1ps
module {TB_MODULE};
    reg clk = 1'b0;
    reg rst = 1'b1;
    reg halt = 1'b0;
    wire done;
    reg [63:0] timeout_cycles;
    reg [8*{MAX_PATH_BYTES}-1:0] status_path;
    reg timed_out = 1'b0;
    integer status;

    {toplevel} top (.clk(clk), .rst(rst), .halt(halt), .done(done));

    always #{half} clk = ~clk;

    initial begin
        if (!$value$plusargs("hwgen_timeout_cycles=%d", timeout_cycles)
            || !$value$plusargs("hwgen_status=%s", status_path)) begin
            $display("hwgen: +hwgen_timeout_cycles=N and +hwgen_status=PATH are needed");
            $finish;
        end
        repeat ({RESET_CYCLES}) @(posedge clk);
        @(negedge clk) rst = 1'b0;
        #({CLOCK_NS} * timeout_cycles);
        if (!done) begin
            timed_out = 1'b1;
            halt = 1'b1;
            #({CLOCK_NS} * {HALT_GRACE_CYCLES});
            $display("hwgen: {toplevel} did not raise done after halt");
            $finish;
        end
    end

    always @(posedge done) begin
        status = $fopen(status_path, "w");
        $fdisplay(status, "{{\\"timed_out\\": %0d}}", timed_out);
        $fclose(status);
        $finish;
    end
endmodule
"""


def _verilator_main() -> str:
    return f"""\
// Generated by hwgen.sim.direct: do not edit. Drives the harness as the cocotb test run_harness does.
#include <cstdio>
#include <cstdlib>
#include <memory>

#include "Vtop.h"
#include "verilated.h"

int main(int argc, char** argv) {{
    if (argc != 3) {{
        std::fprintf(stderr, "usage: %s TIMEOUT_CYCLES STATUS_JSON\\n", argv[0]);
        return 2;
    }}
    const unsigned long long timeout_cycles = std::strtoull(argv[1], nullptr, 10);
    auto context = std::make_unique<VerilatedContext>();
    auto top = std::make_unique<Vtop>(context.get());
    auto cycle = [&]() {{  // a rising edge, then a falling edge
        top->clk = 1;
        top->eval();
        top->clk = 0;
        top->eval();
    }};
    top->clk = 0;
    top->rst = 1;
    top->halt = 0;
    top->eval();
    for (int k = 0; k < {RESET_CYCLES}; ++k) cycle();
    top->rst = 0;
    bool timed_out = false;
    for (unsigned long long k = 0; !top->done; ++k) {{
        if (k == timeout_cycles) {{
            timed_out = true;
            top->halt = 1;
        }} else if (k == timeout_cycles + {HALT_GRACE_CYCLES}) {{
            std::fprintf(stderr, "hwgen: the harness did not raise done after halt\\n");
            std::fflush(stderr);
            return 1;
        }}
        cycle();
    }}
    top->final();
    std::FILE* status = std::fopen(argv[2], "w");
    if (status == nullptr) return 1;
    std::fprintf(status, "{{\\"timed_out\\": %d}}\\n", timed_out ? 1 : 0);
    return std::fclose(status) == 0 ? 0 : 1;
}}
"""
