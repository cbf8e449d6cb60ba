"""`hwgen generate nnlut` and `hwgen verify nnlut`."""

import re

from hwgen.cli._output import add_generate_outputs, generate_from_args
from hwgen.cli._verify_options import add_verify_options, verify_spec
from hwgen.nnlut.functions import FUNCTIONS, parse_range
from hwgen.specs import NnLutSpec
from hwgen.specs.nnlut import MAX_PIPELINE

# argparse takes "-8:8" for an option (it only knows plain negative numbers): let "--range -8:8" work.
_NEGATIVE_ARGUMENT = re.compile(r"^-\d+$|^-\d*\.\d+$|^-[0-9.eE+-]*:[0-9.eE+-]*$")

ABOUT = ("An NN-LUT unit: a nonlinearity (GELU, exp, reciprocal, rsqrt, ...) as a piecewise-linear table "
         "fitted as a small ReLU network and quantized; per input a segment lookup, one multiply, one add "
         "and one rounding into the output format.")


def add_options(parser) -> None:
    """The NN-LUT's design options (`hwgen generate`, `verify` and `synth nnlut`)."""
    seed, pipeline = NnLutSpec.default("seed"), NnLutSpec.default("pipeline")
    parser._negative_number_matcher = _NEGATIVE_ARGUMENT
    parser.add_argument("--func", dest="function", required=True, metavar="F",  # args.func is the command
                        help=f"the function: {', '.join(FUNCTIONS)}")
    parser.add_argument("--entries", required=True, type=int, metavar="N",
                        help="table entries (segments), e.g. 8, 16, 32")
    add_table_options(parser, "slope and intercept")
    parser.add_argument("--fit-seed", type=int, default=seed, metavar="S",
                        help=f"seed of the fit (default: {seed})")
    add_pipeline_option(parser, pipeline)


def add_table_options(parser, values: str) -> None:
    """The options a table unit (NN-LUT, uniform LUT) shares: formats, range and grids; *values* names
    what --frac-bits sets."""
    parser.add_argument("--in", dest="in_format", required=True, metavar="FMT",
                        help="input format: fixed point (int8_f4, int16_f12, ...) or a minifloat "
                             "(fp8_e4m3, fp8_e5m2, fp16, bf16, ...)")
    parser.add_argument("--out-format", required=True, metavar="FMT", help="output format (as --in)")
    parser.add_argument("--range", metavar="LO:HI",
                        help="input range the table covers; inputs beyond it clamp (default: the "
                             "function's; reciprocal and rsqrt take none: they reduce by powers of two)")
    parser.add_argument("--frac-bits", type=int, metavar="F",
                        help=f"{values} fraction bits (default: output bits + 2, 8 .. 16)")
    parser.add_argument("--x-frac", type=int, metavar="X",
                        help="input grid fraction bits (default: exact for fixed point, else min(F, "
                             "the input's))")


def add_pipeline_option(parser, default: int) -> None:
    parser.add_argument("--pipeline", type=int, default=default, metavar="N",
                        help=f"register stages 1..{MAX_PIPELINE}; latency = N cycles (default: {default})")


def table_range(args) -> tuple:
    """(lo, hi) of --range, or (None, None) for the function's own."""
    return (None, None) if args.range is None else parse_range(args.range)


def spec_from_args(args) -> NnLutSpec:
    lo, hi = table_range(args)
    return NnLutSpec(args.function, args.entries, args.in_format, args.out_format, lo, hi, args.frac_bits,
                     args.x_frac, args.fit_seed, args.pipeline)


def _describe(name: str, unit) -> str:
    table = unit.table
    return (f"{name}: {table.function} on {table.range_lo:g}:{table.range_hi:g} ({table.reduction}), "
            f"{table.entries} entries, {table.in_format} -> {table.out_format}, "
            f"slopes 2^-{table.slope_frac}, intercepts 2^-{table.intercept_frac}, "
            f"input grid 2^-{table.x_frac}, latency {unit.latency}, II {unit.ii}")


def run_generate(args) -> int:
    # the spec validates every option before anything is fitted, built or written
    return generate_from_args(args, spec_from_args(args), _describe)


def run_verify(args) -> int:
    return verify_spec(args, spec_from_args(args), describe=lambda codes: f"{len(codes)} items",
                       products="outputs")


def register_generate(units) -> None:
    parser = units.add_parser("nnlut", help="an NN-LUT piecewise-linear nonlinearity unit",
                              description=f"{ABOUT} Fit the table, quantize it and generate the pipelined "
                                          "unit as Verilog plus a JSON manifest (valid/ready streams, "
                                          "II = 1).")
    add_options(parser)
    add_generate_outputs(parser, run_generate)


def register_verify(units) -> None:
    parser = units.add_parser("nnlut", help="an NN-LUT unit (same options as `hwgen generate nnlut`)",
                              description=f"{ABOUT} Simulate it and check every output against the golden "
                                          "model.")
    add_options(parser)
    add_verify_options(parser, what="input codes", exhaustive="every input code once")
    parser.set_defaults(func=run_verify)
