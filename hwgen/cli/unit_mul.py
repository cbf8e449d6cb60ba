"""`hwgen generate mul` and `hwgen verify mul`: a multiplier on its own, exact or rounded (the energy
model's per-multiply anchor)."""

from hwgen.cli._output import add_generate_outputs, generate_from_args
from hwgen.cli._verify_options import add_verify_options, verify_spec
from hwgen.specs import MulSpec

ABOUT = ("A multiplier on its own, the MAC's product stage: the exact product of two operands, or with "
         "--result the product rounded once to a float format, as a float multiplier does.")


def add_options(parser) -> None:
    """The multiplier's design options (`hwgen generate mul`, `verify mul`, `synth mul`)."""
    parser.add_argument("--a", required=True, metavar="FMT", help="operand A format, e.g. int8, fp16, bf16")
    parser.add_argument("--b", required=True, metavar="FMT", help="operand B format")
    parser.add_argument("--result", metavar="FMT",
                        help="round the product to this minifloat (fp16, bf16, fp32, fp8_e4m3fn, ...; it "
                             "needs a NaN code, the operands must be minifloats): RNE(a * b), as a float "
                             "multiplier does (default: the exact, unnormalized product)")


def spec_from_args(args) -> MulSpec:
    return MulSpec(args.a, args.b, args.result)


def run_generate(args) -> int:
    def describe(name, unit) -> str:
        if unit.result is not None:
            what = f"rounded to {unit.result.name} (nearest even)"
        else:
            product = "one signed integer" if unit.integer else "sign, significand and exponent, unnormalized"
            what = f"exact product ({product})"
        return f"{name}: {unit.a.name} x {unit.b.name}, {what}, latency {unit.latency}, II {unit.ii}"

    return generate_from_args(args, spec_from_args(args), describe)


def run_verify(args) -> int:
    return verify_spec(args, spec_from_args(args), products="products", vectors_name="pairs",
                       describe=lambda pairs: f"{len(pairs.a_codes)} operand pairs")


def register_generate(units) -> None:
    parser = units.add_parser("mul", help="a multiplier (no accumulator): exact, or rounded with --result",
                              description=f"{ABOUT} Generate it, registered, as Verilog plus a JSON manifest "
                                          "(valid/ready streams, II = 1).")
    add_options(parser)
    add_generate_outputs(parser, run_generate)


def register_verify(units) -> None:
    parser = units.add_parser("mul", help="a rounding multiplier (same options as `hwgen generate mul`, "
                                          "--result needed)",
                              description=f"{ABOUT} Simulate a rounding one (--result) and check every "
                                          "product against the golden model (hwgen.golden.arith.multiply).")
    add_options(parser)
    add_verify_options(parser, default_vectors=100_000, what="operand pairs (built to hit ties, subnormals, "
                       "overflow, underflow and special values)",
                       exhaustive="every operand code pair once (at most 2^24 pairs: 8-bit x 16-bit)")
    parser.set_defaults(func=run_verify)
