"""`hwgen generate add` and `hwgen verify add`: an adder on its own (integer wrapping, or float rounded)."""

from hwgen.cli._output import add_generate_outputs, generate_from_args
from hwgen.cli._verify_options import add_verify_options, verify_spec
from hwgen.specs import AddSpec

ABOUT = ("An adder of two operands of one format: integers wrap modulo 2^bits, floats are rounded once to "
         "nearest even.")


def add_options(parser) -> None:
    """The adder's design options (`hwgen generate add`, `verify add`, `synth add`)."""
    parser.add_argument("--format", required=True, metavar="FMT",
                        help="format of both operands and the sum: an integer (int32, int16, uint32, ...: "
                             "wraps modulo 2^bits) or a minifloat with a NaN code (fp32, fp16, bf16, ...: "
                             "RNE(a + b))")


def spec_from_args(args) -> AddSpec:
    return AddSpec(args.format)


def run_generate(args) -> int:
    def describe(name, unit) -> str:
        what = "wrapping modulo 2^bits" if unit.integer else "rounded to nearest even"
        fmt = unit.format.name
        return f"{name}: {fmt} + {fmt}, {what}, latency {unit.latency}, II {unit.ii}"

    return generate_from_args(args, spec_from_args(args), describe)


def run_verify(args) -> int:
    return verify_spec(args, spec_from_args(args), products="sums", vectors_name="pairs",
                       describe=lambda pairs: f"{len(pairs.a_codes)} operand pairs")


def register_generate(units) -> None:
    parser = units.add_parser("add", help="an adder: integer (wrapping) or float (rounded once)",
                              description=f"{ABOUT} Generate it, registered, as Verilog plus a JSON manifest "
                                          "(valid/ready streams, II = 1).")
    add_options(parser)
    add_generate_outputs(parser, run_generate)


def register_verify(units) -> None:
    parser = units.add_parser("add", help="an adder (same options as `hwgen generate add`)",
                              description=f"{ABOUT} Simulate it and check every sum against the golden "
                                          "model (hwgen.golden.arith.add).")
    add_options(parser)
    add_verify_options(parser, default_vectors=100_000, what="operand pairs (floats: built to hit ties, "
                       "cancellation, subnormals, overflow and special values)",
                       exhaustive="every operand code pair once (at most 2^24 pairs: 12-bit formats)")
    parser.set_defaults(func=run_verify)
