"""`hwgen verify`: build a unit, run it on a simulator through cocotb, check it against the golden model."""

import sys
from pathlib import Path

from hwgen.cli._mac_options import add_mac_options, mac_design
from hwgen.emit import emit
from hwgen.formats._check import check_int
from hwgen.gen.mac_design import manifest_details

SIMULATOR_CHOICES = ("icarus", "verilator", "both")
MAX_VECTORS = 1_000_000


def _rate(text: str, option: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not 0.0 <= value < 1.0:
        raise ValueError(f"{option} must be a number at least 0 and below 1, not {text!r}")
    return value


def _stimulus(args, unit):
    from hwgen.sim.mac_stimulus import exhaustive_pairs, random_dot_products

    if args.exhaustive:
        return exhaustive_pairs(unit.a, unit.b)
    count = check_int(args.vectors, "--vectors", 1, MAX_VECTORS)
    max_terms = check_int(args.max_terms, "--max-terms", 1, 4096)
    return random_dot_products(unit.a, unit.b, count, max_terms=max_terms, seed=args.seed)


def run_mac(args) -> int:
    design = mac_design(args)
    unit = design.build()
    idle, stall = _rate(args.idle, "--idle"), _rate(args.stall, "--stall")
    vectors = _stimulus(args, unit)
    from hwgen.sim.verify_mac import verify_mac  # cocotb is needed only from here on

    name = design.default_name(unit)
    build_dir = Path(args.build_dir) / name
    _, manifest = emit(unit, name, build_dir, manifest_details(unit))
    simulators = ("icarus", "verilator") if args.sim == "both" else (args.sim,)
    all_ok = True
    for simulator in simulators:
        print(f"{name}: {len(vectors.last)} items on {simulator} (the first build of a unit takes "
              f"{'20-40 s' if simulator == 'verilator' else 'a few s'}) ...", file=sys.stderr, flush=True)
        report = verify_mac(manifest, simulator=simulator, a_codes=vectors.a_codes, b_codes=vectors.b_codes,
                            last=vectors.last, idle_rate=idle, stall_rate=stall, seed=args.seed,
                            build_dir=build_dir)
        print(f"{simulator}: vectors checked {report.vectors}, dot products checked {report.dot_products}, "
              f"mismatches {report.mismatches}"
              + (", TIMED OUT" if report.timed_out else "")
              + (f", stream protocol errors {report.protocol_errors}" if report.protocol_errors else "")
              + f" (build {report.build_seconds:.1f} s, run {report.run_seconds:.1f} s)")
        for line in report.first_mismatches:
            print(f"  {line}")
        all_ok &= report.ok
    print("PASS" if all_ok else "FAIL")
    return 0 if all_ok else 1


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "verify", help="simulate a unit with cocotb and check it bit-exactly against the golden model",
        description="Build a unit, simulate it with cocotb on Icarus or Verilator and compare every "
                    "result with the golden model. Exit 0 only with zero mismatches.")
    units = parser.add_subparsers(dest="unit", metavar="UNIT", required=True, parser_class=type(parser))
    mac = units.add_parser("mac", help="a MAC unit (same design options as `hwgen generate mac`)",
                           description="Verify a MAC unit against the golden model.")
    add_mac_options(mac)
    mac.add_argument("--sim", choices=SIMULATOR_CHOICES, default="verilator",
                     help="simulator (default verilator)")
    which = mac.add_mutually_exclusive_group()
    which.add_argument("--exhaustive", action="store_true",
                       help="every operand code pair, each as a one-term dot product")
    which.add_argument("--vectors", type=int, default=2000, metavar="N",
                       help="random dot products to check (default 2000)")
    mac.add_argument("--max-terms", type=int, default=64, metavar="K",
                     help="longest random dot product (default 64)")
    mac.add_argument("--seed", type=int, default=0, metavar="S", help="random seed (default 0)")
    mac.add_argument("--idle", default="0.2", metavar="R", help="share of idle input cycles (default 0.2)")
    mac.add_argument("--stall", default="0.3", metavar="R",
                     help="share of refused output cycles (default 0.3)")
    mac.add_argument("--build-dir", default="build/verify", metavar="DIR",
                     help="where units are emitted and simulated (default build/verify)")
    mac.set_defaults(func=run_mac)
