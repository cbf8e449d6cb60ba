"""Options and report lines shared by every `hwgen verify UNIT` subcommand."""

import argparse
import sys
from pathlib import Path

from hwgen.formats._check import check_int

SIMULATOR_CHOICES = ("icarus", "verilator", "both")
RUNNER_CHOICES = ("cocotb", "direct")  # hwgen.sim.direct.RUNNERS, without importing the simulation side


def rate(text: str, option: str) -> float:
    """A share of cycles in [0, 1), from the command line."""
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not 0.0 <= value < 1.0:
        raise ValueError(f"{option} must be a number at least 0 and below 1, not {text!r}")
    return value


def simulators(choice: str) -> tuple[str, ...]:
    return ("icarus", "verilator") if choice == "both" else (choice,)


def add_verify_options(parser, *, default_vectors: int = 2000, what: str = "dot products",
                       exhaustive: str | None = "every input code (combination) once") -> None:
    """--sim, --runner, --exhaustive | --vectors, --seed, --idle, --stall, --build-dir.

    *exhaustive*: the help of --exhaustive, or None for a unit that cannot enumerate its inputs: then the
    option is left out of the help, and the unit's verify refuses it with the reason."""
    parser.add_argument("--sim", choices=SIMULATOR_CHOICES, default="verilator",
                        help="simulator (default: verilator)")
    parser.add_argument("--runner", choices=RUNNER_CHOICES, default="cocotb",
                        help="what drives the harness: the cocotb test (default), or a Verilog testbench "
                             "(Icarus) / C++ loop (Verilator) without cocotb, about 0.3 s faster a run; "
                             "the same harness and checks")
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--exhaustive", action="store_true",
                       help=argparse.SUPPRESS if exhaustive is None else exhaustive)
    which.add_argument("--vectors", type=int, default=default_vectors, metavar="N",
                       help=f"random {what} to check (default: {default_vectors})")
    parser.add_argument("--seed", type=int, default=0, metavar="S", help="random seed (default: 0)")
    parser.add_argument("--idle", default="0.2", metavar="R",
                        help="share of idle input cycles (default: 0.2)")
    parser.add_argument("--stall", default="0.3", metavar="R",
                        help="share of refused output cycles (default: 0.3)")
    parser.add_argument("--build-dir", default="build/verify", metavar="DIR",
                        help="where units are emitted and simulated (default: build/verify)")


def verify_spec(args, spec, *, describe, products: str = "dot products", vectors_name: str = "vectors",
                **stimulus_options) -> int:
    """`hwgen verify KIND`: the stimulus of *spec* (``--exhaustive`` or ``--vectors``), the unit emitted
    into its build folder, every simulator of ``--sim`` run through the one verification front end
    (:mod:`hwgen.sim.frontend`); *describe(stimulus)* says what is run."""
    from hwgen.cli._output import emit_spec_into
    from hwgen.sim.frontend import make_stimulus, protocol, run_stimulus

    idle, stall = rate(args.idle, "--idle"), rate(args.stall, "--stall")
    vectors = None if args.exhaustive else check_int(args.vectors, "--vectors", 1, protocol(spec).max_vectors)
    stimulus = make_stimulus(spec, vectors=vectors, exhaustive=args.exhaustive, seed=args.seed,
                             **stimulus_options)
    name = spec.module_name
    build_dir = Path(args.build_dir) / name
    _, _, manifest = emit_spec_into(spec, name, build_dir, "--build-dir", scratch=True)
    return verify_on_simulators(
        args, name=name, what=describe(stimulus), products=products, vectors_name=vectors_name,
        run=lambda simulator: run_stimulus(spec, manifest, stimulus, simulator=simulator, idle=idle,
                                           stall=stall, seed=args.seed, build_dir=build_dir,
                                           runner=args.runner))


def verify_on_simulators(args, *, name: str, what: str, run, products: str = "dot products",
                         vectors_name: str = "vectors") -> int:
    """Run ``run(simulator)`` (a :class:`hwgen.sim.verdict.VerifyReport`) on each simulator that
    ``--sim`` names; print one line per run (vectors, *products* checked, mismatches, the first
    mismatches) and PASS or FAIL. Exit code 0 only when every run passed."""
    all_ok = True
    for simulator in simulators(args.sim):
        first_build = "30-60 s" if simulator == "verilator" else "a few s"
        print(f"{name}: {what} on {simulator} (the first build takes {first_build}) ...", file=sys.stderr,
              flush=True)
        report = run(simulator)
        print(f"{simulator}: {vectors_name} checked {report.vectors}, {products} checked "
              f"{report.dot_products}, mismatches {report.mismatches}"
              + (", TIMED OUT" if report.timed_out else "")
              + (f", stream protocol errors {report.protocol_errors}" if report.protocol_errors else "")
              + f" (build {report.build_seconds:.1f} s, run {report.run_seconds:.1f} s)")
        for line in report.first_mismatches:
            print(f"  {line}")
        all_ok &= report.ok
    print("PASS" if all_ok else "FAIL")
    return 0 if all_ok else 1
