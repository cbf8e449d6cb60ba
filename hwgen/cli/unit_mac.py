"""`hwgen generate mac` and `hwgen verify mac`."""

from pathlib import Path

from hwgen.cli._mac_options import add_mac_options, mac_design
from hwgen.cli._output import emit_into
from hwgen.cli._verify_options import add_verify_options, rate, verify_on_simulators
from hwgen.emit import check_module_name
from hwgen.formats._check import check_int
from hwgen.gen.mac_design import manifest_details

MAX_VECTORS = 1_000_000


def run_generate(args) -> int:
    design = mac_design(args)
    unit = design.build()  # validates every option before anything is written
    name = check_module_name(args.name) if args.name else design.default_name(unit)
    verilog_path, manifest_path = emit_into(unit, name, args.out, manifest_details(unit), "--out")
    acc = unit.accumulator
    width = f"{acc.width}-bit, lsb 2^{acc.lsb_exponent}" if acc.kind == "fixed" else acc.format.name
    print(f"{name}: {unit.a.name} x {unit.b.name}, accumulator {acc.spec} ({width}), "
          f"latency {unit.latency}, II {unit.ii}")
    print(f"wrote {verilog_path}")
    print(f"wrote {manifest_path}")
    return 0


def _stimulus(args, unit):
    from hwgen.sim.mac_stimulus import exhaustive_pairs, random_dot_products

    if args.exhaustive:
        return exhaustive_pairs(unit.a, unit.b)
    count = check_int(args.vectors, "--vectors", 1, MAX_VECTORS)
    max_terms = check_int(args.max_terms, "--max-terms", 1, 4096)
    return random_dot_products(unit.a, unit.b, count, max_terms=max_terms, seed=args.seed)


def run_verify(args) -> int:
    design = mac_design(args)
    unit = design.build()
    idle, stall = rate(args.idle, "--idle"), rate(args.stall, "--stall")
    vectors = _stimulus(args, unit)
    from hwgen.sim.verify_mac import verify_mac  # cocotb is needed only from here on

    name = design.default_name(unit)
    build_dir = Path(args.build_dir) / name
    _, manifest = emit_into(unit, name, build_dir, manifest_details(unit), "--build-dir",
                            scratch=True)
    return verify_on_simulators(
        args, name=name, what=f"{len(vectors.last)} items",
        run=lambda simulator: verify_mac(manifest, simulator=simulator, a_codes=vectors.a_codes,
                                         b_codes=vectors.b_codes, last=vectors.last, idle_rate=idle,
                                         stall_rate=stall, seed=args.seed, build_dir=build_dir,
                                         runner=args.runner))


def register_generate(units) -> None:
    mac = units.add_parser("mac", help="a pipelined multiply-accumulate unit",
                           description="Generate a pipelined MAC unit (valid/ready streams, II = 1).")
    add_mac_options(mac)
    mac.add_argument("--name", metavar="NAME", help="Verilog module name (default: from the options)")
    mac.add_argument("--out", required=True, metavar="DIR", help="output folder for NAME.v and NAME.json")
    mac.set_defaults(func=run_generate)


def register_verify(units) -> None:
    mac = units.add_parser("mac", help="a MAC unit (same design options as `hwgen generate mac`)",
                           description="Verify a MAC unit against the golden model.")
    add_mac_options(mac)
    add_verify_options(mac, exhaustive="every operand code pair, each as a one-term dot product")
    mac.add_argument("--max-terms", type=int, default=64, metavar="K",
                     help="longest random dot product (default 64)")
    mac.set_defaults(func=run_verify)
