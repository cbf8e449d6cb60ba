"""`hwgen generate lut` and `hwgen verify lut`: the uniform lookup-table unit (:mod:`hwgen.specs.lut`)."""

from hwgen.cli._output import add_generate_outputs, generate_from_args
from hwgen.cli._verify_options import add_verify_options, verify_spec
from hwgen.cli.unit_nnlut import _NEGATIVE_ARGUMENT, add_pipeline_option, add_table_options, table_range
from hwgen.nnlut.functions import FUNCTIONS
from hwgen.nnlut.lut import MAX_LUT_ENTRIES
from hwgen.specs import LutSpec

ABOUT = ("A uniform lookup-table unit, the NN-LUT's baseline: the function's values in a ROM of equal cells "
         "indexed by a bit slice of the input, with the NN-LUT's input front end and output rounding.")


def add_options(parser) -> None:
    """The uniform LUT's design options (`hwgen generate`, `verify` and `synth lut`)."""
    seed, pipeline = LutSpec.default("seed"), LutSpec.default("pipeline")
    parser._negative_number_matcher = _NEGATIVE_ARGUMENT
    parser.add_argument("--func", dest="function", required=True, metavar="F",  # args.func is the command
                        help=f"the function: {', '.join(FUNCTIONS)}")
    cells = parser.add_mutually_exclusive_group(required=True)
    cells.add_argument("--cell-bits", type=int, metavar="C",
                       help="cells 2^-C wide from the range's start (at most the input grid's bits)")
    cells.add_argument("--match-entries", type=int, metavar="N",
                       help="the coarsest cells whose float max error is at most that of the N-entry "
                            "NN-LUT with the same options (`hwgen synth nnlut --entries N`)")
    add_table_options(parser, "table value")
    parser.add_argument("--fit-seed", type=int, default=seed, metavar="S",
                        help=f"--match-entries: seed of the NN-LUT's fit (default: {seed})")
    parser.add_argument("--max-entries", type=int, metavar="M",
                        help=f"--match-entries: at most M LUT entries; a capped LUT is less accurate than "
                             f"the NN-LUT (default: {MAX_LUT_ENTRIES})")
    add_pipeline_option(parser, pipeline)


def spec_from_args(args) -> LutSpec:
    lo, hi = table_range(args)
    return LutSpec(args.function, args.in_format, args.out_format, args.cell_bits, args.match_entries, lo, hi,
                   args.frac_bits, args.x_frac, args.fit_seed, args.max_entries, args.pipeline)


def _describe(name: str, unit, spec: LutSpec) -> str:
    table = unit.table
    match = spec.match()
    matched = "" if match is None else (
        f", float max error {match.lut_error:.3e} against the {match.nnlut_entries}-entry NN-LUT's "
        f"{match.nnlut_error:.3e}" + {"equal": "", "grid": " (reached the input grid first)",
                                      "capped": f" (capped at {spec.max_entries} entries)"}[match.how])
    return (f"{name}: {table.function} on {table.range_lo:g}:{table.range_hi:g} ({table.reduction}), "
            f"uniform LUT of {table.entries} entries (cells 2^-{spec.cell_bits}, index {unit.index_kind}), "
            f"{table.in_format} -> {table.out_format}, values 2^-{table.intercept_frac}, input grid "
            f"2^-{table.x_frac}, latency {unit.latency}, II {unit.ii}{matched}")


def run_generate(args) -> int:
    spec = spec_from_args(args)  # validates every option (and finds matched cells) before anything is built
    return generate_from_args(args, spec, lambda name, unit: _describe(name, unit, spec))


def run_verify(args) -> int:
    return verify_spec(args, spec_from_args(args), describe=lambda codes: f"{len(codes)} items",
                       products="outputs")


def register_generate(units) -> None:
    parser = units.add_parser("lut", help="a uniform lookup-table unit (the NN-LUT's baseline)",
                              description=f"{ABOUT} Generate it as Verilog plus a JSON manifest "
                                          "(valid/ready streams, II = 1).")
    add_options(parser)
    add_generate_outputs(parser, run_generate)


def register_verify(units) -> None:
    parser = units.add_parser("lut", help="a uniform LUT unit (same options as `hwgen generate lut`)",
                              description=f"{ABOUT} Simulate it and check every output against the golden "
                                          "model (the NN-LUT protocol on its table).")
    add_options(parser)
    add_verify_options(parser, what="input codes", exhaustive="every input code once")
    parser.set_defaults(func=run_verify)
