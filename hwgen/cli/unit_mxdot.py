"""`hwgen generate mxdot` and `hwgen verify mxdot`: block dot-product units (MX, NVFP4)."""

from hwgen.cli._output import accumulator_text, add_generate_outputs, generate_from_args
from hwgen.cli._verify_options import add_verify_options, verify_spec
from hwgen.formats import BLOCK_FORMATS, DEFAULT_TERMS
from hwgen.formats._check import check_int
from hwgen.specs import MxDotSpec
from hwgen.specs.mxdot import MAX_PIPELINE

ABOUT = ("A block dot-product unit for block-scaled formats (MX: 32 elements and an E8M0 scale per block; "
         "NVFP4: 16 E2M1 elements and an E4M3 scale): each clock one block pair and its two scales, the "
         "products summed exactly, scaled and accumulated over the blocks of a dot product.")


def add_options(parser) -> None:
    """The block dot-product unit's design options (`hwgen generate`, `verify` and `synth mxdot`)."""
    acc, pipeline = MxDotSpec.default("acc"), MxDotSpec.default("pipeline")
    parser.add_argument("--elem", required=True, metavar="FMT",
                        help=f"block format of operand A ({', '.join(BLOCK_FORMATS)}) or its element "
                             "format (fp8_e4m3, fp4_e2m1, ...: MX blocks; fp4_e2m1 with --scale fp8_e4m3: "
                             "NVFP4)")
    parser.add_argument("--elem-b", metavar="FMT", help="block format of operand B (default: as A); same "
                        "block size and scale format")
    parser.add_argument("--scale", metavar="FMT", help="scale format: e8m0 (MX) or fp8_e4m3 (NVFP4); "
                        "default: the block format's, and it must match it")
    parser.add_argument("--block", type=int, metavar="N",
                        help="elements per block (default: the spec's, 32 for MX and 16 for NVFP4)")
    parser.add_argument("--acc", default=acc, metavar="SPEC",
                        help="accumulator: a float format such as fp32 or bf16 (one rounding per block), "
                             f"fixed (exact, sized by --terms), fixed:W (wraps) (default: {acc})")
    parser.add_argument("--terms", type=int, metavar="K", help="blocks per dot product a fixed accumulator "
                        f"is sized for (default: {DEFAULT_TERMS})")
    parser.add_argument("--pipeline", type=int, default=pipeline, metavar="N",
                        help=f"register stages 1..{MAX_PIPELINE}; latency = N cycles (default: {pipeline})")


def spec_from_args(args) -> MxDotSpec:
    return MxDotSpec(args.elem, args.elem_b, args.scale, args.block, args.acc, args.terms, args.pipeline)


def run_generate(args) -> int:
    return generate_from_args(args, spec_from_args(args), lambda name, unit: (
        f"{name}: {unit.a.name} x {unit.b.name}, {unit.block_size} elements per block, {unit.scale.name} "
        f"scales, accumulator {accumulator_text(unit.accumulator)}, latency {unit.latency}, II {unit.ii}"))


def run_verify(args) -> int:
    spec = spec_from_args(args)
    max_blocks = check_int(args.max_blocks, "--max-blocks", 1, 4096)
    return verify_spec(args, spec, describe=lambda vectors: f"{len(vectors.last)} block pairs",
                       vectors_name="block pairs", max_blocks=max_blocks)


def register_generate(units) -> None:
    mxdot = units.add_parser(
        "mxdot", help="a block dot-product unit (MX, NVFP4)",
        description=f"{ABOUT} Generate it as Verilog plus a JSON manifest (valid/ready streams, II = 1).")
    add_options(mxdot)
    add_generate_outputs(mxdot, run_generate)


def register_verify(units) -> None:
    mxdot = units.add_parser(
        "mxdot", help="a block dot-product unit (same options as `hwgen generate mxdot`)",
        description=f"{ABOUT} Simulate it and check every dot product against the golden model.")
    add_options(mxdot)
    add_verify_options(mxdot, what="block pairs",
                       exhaustive="every element code pair once, one pair per block (unit scales)")
    mxdot.add_argument("--max-blocks", type=int, default=4, metavar="K",
                       help="longest random dot product, in blocks (default: 4)")
    mxdot.set_defaults(func=run_verify)
