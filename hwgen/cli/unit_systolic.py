"""`hwgen generate systolic` and `hwgen verify systolic`."""


from hwgen.cli._output import accumulator_text, add_generate_outputs, generate_from_args
from hwgen.cli._verify_options import add_verify_options, verify_spec
from hwgen.formats import MULTIPLY_MODES
from hwgen.specs import SystolicSpec
from hwgen.specs.systolic import MAX_DEPTH, MAX_PES, MAX_PIPELINE, MAX_SIMD

ABOUT = ("A 1-D systolic array of MAC processing elements (PEs) with stationary weights: activations move "
         "one PE per clock down the chain, each PE holds one output's weights and sums simd products exactly "
         "before its accumulator; it computes matrix-vector products.")


def add_options(parser) -> None:
    """The systolic array's design options (`hwgen generate`, `verify` and `synth systolic`)."""
    acc, simd, depth, pipeline, mul = (SystolicSpec.default(name)
                                       for name in ("acc", "simd", "depth", "pipeline", "mul"))
    parser.add_argument("--a", required=True, metavar="FMT", help="weight format, e.g. int8, dint4, fp8_e4m3")
    parser.add_argument("--b", required=True, metavar="FMT", help="activation format")
    parser.add_argument("--acc", default=acc, metavar="SPEC",
                        help=f"accumulator: fixed, fixed:W or a float format such as fp32 (default: {acc})")
    parser.add_argument("--pes", type=int, required=True, metavar="N",
                        help=f"processing elements (outputs), 1..{MAX_PES}")
    parser.add_argument("--simd", type=int, default=simd, metavar="S",
                        help=f"elements per activation item, summed exactly in each PE, 1..{MAX_SIMD} "
                             f"(default: {simd})")
    parser.add_argument("--depth", type=int, default=depth, metavar="D",
                        help=f"weight words per PE: the longest dot product in items, 1..{MAX_DEPTH} "
                             f"(default: {depth})")
    parser.add_argument("--terms", type=int, metavar="K",
                        help="elements a fixed accumulator is sized for (default: depth * simd)")
    parser.add_argument("--pipeline", type=int, default=pipeline, metavar="N",
                        help=f"PE register stages 1..{MAX_PIPELINE} (default: {pipeline})")
    parser.add_argument("--mul", choices=MULTIPLY_MODES, default=mul, help=f"multiplier (default: {mul})")


def spec_from_args(args) -> SystolicSpec:
    return SystolicSpec(args.a, args.b, args.acc, pes=args.pes, simd=args.simd, depth=args.depth,
                        terms=args.terms, pipeline=args.pipeline, mul=args.mul)


def run_generate(args) -> int:
    return generate_from_args(args, spec_from_args(args), lambda name, unit: (
        f"{name}: {unit.pes} PEs x {unit.simd} lanes, weights {unit.a.name} x activations {unit.b.name}, "
        f"accumulator {accumulator_text(unit.accumulator)}, depth {unit.depth}, latency {unit.latency}, "
        f"II {unit.ii}"))


def run_verify(args) -> int:
    spec = spec_from_args(args)
    if args.exhaustive:  # hidden from the help, kept for the reason and the alternative
        raise ValueError("--exhaustive is not available for systolic arrays (weights x vectors do not "
                         "enumerate); use --vectors N")
    return verify_spec(args, spec, describe=lambda tiles: f"{args.vectors} matrix-vector products",
                       products=f"matrix-vector products ({spec.pes} dot products each)")


def register_generate(units) -> None:
    parser = units.add_parser("systolic", help="a 1-D systolic array of MAC PEs (stationary weights)",
                              description=f"{ABOUT} Generate it as Verilog plus a JSON manifest.")
    add_options(parser)
    add_generate_outputs(parser, run_generate)


def register_verify(units) -> None:
    parser = units.add_parser("systolic", help="a systolic array (same options as `hwgen generate systolic`)",
                              description=f"{ABOUT} Simulate it and check every matrix-vector product "
                                          "against the golden model.")
    add_options(parser)
    add_verify_options(parser, default_vectors=500, what="matrix-vector products", exhaustive=None)
    parser.set_defaults(func=run_verify)
