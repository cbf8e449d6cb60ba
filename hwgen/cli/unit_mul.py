"""`hwgen generate mul`: an exact multiplier on its own (the energy model's per-multiply anchor)."""

from hwgen.cli._output import generate_from_args
from hwgen.specs import MulSpec


def add_options(parser) -> None:
    """The multiplier's design options (`hwgen generate mul`, `hwgen synth mul`)."""
    parser.add_argument("--a", required=True, metavar="FMT", help="operand A format, e.g. int8, fp16, bf16")
    parser.add_argument("--b", required=True, metavar="FMT", help="operand B format")


def spec_from_args(args) -> MulSpec:
    return MulSpec(args.a, args.b)


def run_generate(args) -> int:
    def describe(name, unit) -> str:
        product = "one signed integer" if unit.integer else "sign, significand and exponent, unnormalized"
        return f"{name}: {unit.a.name} x {unit.b.name}, exact product ({product}), latency {unit.latency}, " \
               f"II {unit.ii}"

    return generate_from_args(args, spec_from_args(args), describe)


def register_generate(units) -> None:
    parser = units.add_parser("mul", help="an exact multiplier (no accumulator)",
                              description="Generate a registered exact multiplier: the MAC's product stage "
                                          "on its own, nothing rounded (valid/ready streams, II = 1).")
    add_options(parser)
    parser.add_argument("--name", metavar="NAME", help="Verilog module name (default: from the options)")
    parser.add_argument("--out", required=True, metavar="DIR", help="output folder for NAME.v and NAME.json")
    parser.set_defaults(func=run_generate)
