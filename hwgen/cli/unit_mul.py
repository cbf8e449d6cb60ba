"""`hwgen generate mul`: an exact multiplier on its own (the energy model's per-multiply anchor)."""

from hwgen.cli._output import emit_spec_into, print_written
from hwgen.specs import MulSpec
from hwgen.verilog_names import check_module_name


def add_options(parser) -> None:
    """The multiplier's design options (`hwgen generate mul`, `hwgen synth mul`)."""
    parser.add_argument("--a", required=True, metavar="FMT", help="operand A format, e.g. int8, fp16, bf16")
    parser.add_argument("--b", required=True, metavar="FMT", help="operand B format")


def spec_from_args(args) -> MulSpec:
    return MulSpec(args.a, args.b)


def run_generate(args) -> int:
    spec = spec_from_args(args)  # validates every option before anything is built or written
    name = check_module_name(args.name) if args.name else spec.module_name
    unit, *paths = emit_spec_into(spec, name, args.out, "--out")
    product = "one signed integer" if unit.integer else "sign, significand and exponent, unnormalized"
    print(f"{name}: {unit.a.name} x {unit.b.name}, exact product ({product}), latency {unit.latency}, "
          f"II {unit.ii}")
    print_written(*paths)
    return 0


def register_generate(units) -> None:
    parser = units.add_parser("mul", help="an exact multiplier (no accumulator)",
                              description="Generate a registered exact multiplier: the MAC's product stage "
                                          "on its own, nothing rounded (valid/ready streams, II = 1).")
    add_options(parser)
    parser.add_argument("--name", metavar="NAME", help="Verilog module name (default: from the options)")
    parser.add_argument("--out", required=True, metavar="DIR", help="output folder for NAME.v and NAME.json")
    parser.set_defaults(func=run_generate)
