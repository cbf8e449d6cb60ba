"""`hwgen generate systolic` and `hwgen verify systolic`."""

from pathlib import Path

from hwgen.cli._output import emit_into
from hwgen.cli._verify_options import add_verify_options, rate, verify_on_simulators
from hwgen.emit import check_module_name
from hwgen.formats import MULTIPLY_MODES
from hwgen.formats._check import check_int
from hwgen.gen.systolic import DEFAULT_DEPTH, DEFAULT_PIPELINE, MAX_PIPELINE
from hwgen.gen.systolic_design import SystolicDesign, manifest_details

MAX_PRODUCTS = 200_000


def add_systolic_options(parser) -> None:
    parser.add_argument("--a", required=True, metavar="FMT", help="weight format, e.g. int8, dint4, fp8_e4m3")
    parser.add_argument("--b", required=True, metavar="FMT", help="activation format")
    parser.add_argument("--acc", default="fixed", metavar="SPEC",
                        help="accumulator: fixed, fixed:W or a float format such as fp32 (default fixed)")
    parser.add_argument("--pes", type=int, required=True, metavar="N",
                        help="processing elements (outputs), >= 1")
    parser.add_argument("--simd", type=int, default=1, metavar="S",
                        help="elements per activation item, summed exactly in each PE (default 1)")
    parser.add_argument("--depth", type=int, default=DEFAULT_DEPTH, metavar="D",
                        help=f"weight words per PE: the longest dot product in items "
                             f"(default {DEFAULT_DEPTH})")
    parser.add_argument("--terms", type=int, metavar="K",
                        help="elements a fixed accumulator is sized for (default depth * simd)")
    parser.add_argument("--pipeline", type=int, default=DEFAULT_PIPELINE, metavar="N",
                        help=f"PE register stages, 1..{MAX_PIPELINE} (default {DEFAULT_PIPELINE})")
    parser.add_argument("--mul", choices=MULTIPLY_MODES, default="exact", help="multiplier (default exact)")


def systolic_design(args) -> SystolicDesign:
    return SystolicDesign(args.a, args.b, args.acc, pes=args.pes, simd=args.simd, depth=args.depth,
                          terms=args.terms, pipeline=args.pipeline, mul=args.mul)


def run_generate(args) -> int:
    design = systolic_design(args)
    unit = design.build()  # validates every option before anything is written
    name = check_module_name(args.name) if args.name else design.default_name(unit)
    verilog_path, manifest_path = emit_into(unit, name, args.out, manifest_details(unit), "--out")
    acc = unit.accumulator
    width = f"{acc.width}-bit, lsb 2^{acc.lsb_exponent}" if acc.kind == "fixed" else acc.format.name
    print(f"{name}: {unit.pes} PEs x {unit.simd} lanes, weights {unit.a.name} x activations {unit.b.name}, "
          f"accumulator {acc.spec} ({width}), depth {unit.depth}, latency {unit.latency}, II {unit.ii}")
    print(f"wrote {verilog_path}")
    print(f"wrote {manifest_path}")
    return 0


def run_verify(args) -> int:
    design = systolic_design(args)
    unit = design.build()
    idle, stall = rate(args.idle, "--idle"), rate(args.stall, "--stall")
    count = check_int(args.vectors, "--vectors", 1, MAX_PRODUCTS)
    if args.exhaustive:
        raise ValueError("--exhaustive is not available for systolic arrays (weights x vectors do not "
                         "enumerate); use --vectors N")
    from hwgen.sim.systolic_stimulus import random_tiles  # cocotb is needed only from here on
    from hwgen.sim.verify_systolic import SystolicJob, verify_systolic

    name = design.default_name(unit)
    build_dir = Path(args.build_dir) / name
    _, manifest = emit_into(unit, name, build_dir, manifest_details(unit), "--build-dir",
                            scratch=True)
    tiles = random_tiles(unit.a, unit.b, pes=unit.pes, simd=unit.simd, depth=unit.depth, vectors=count,
                         seed=args.seed)
    job = SystolicJob(manifest, tiles, idle_rate=idle, stall_rate=stall, seed=args.seed)
    return verify_on_simulators(
        args, name=name, what=f"{count} matrix-vector products",
        products=f"matrix-vector products ({unit.pes} dot products each)",
        run=lambda simulator: verify_systolic([job], simulator=simulator, build_dir=build_dir,
                                              runner=args.runner)[0])


def register_generate(units) -> None:
    parser = units.add_parser("systolic", help="a 1-D systolic array of MAC PEs (stationary weights)",
                              description="Generate a 1-D systolic array: pes PEs with simd lanes each.")
    add_systolic_options(parser)
    parser.add_argument("--name", metavar="NAME", help="Verilog module name (default: from the options)")
    parser.add_argument("--out", required=True, metavar="DIR", help="output folder for NAME.v and NAME.json")
    parser.set_defaults(func=run_generate)


def register_verify(units) -> None:
    parser = units.add_parser("systolic", help="a systolic array (same options as `hwgen generate systolic`)",
                              description="Verify a systolic array against the golden model.")
    add_systolic_options(parser)
    add_verify_options(parser, default_vectors=500, what="matrix-vector products",
                       exhaustive="(not available for systolic arrays)")
    parser.set_defaults(func=run_verify)
