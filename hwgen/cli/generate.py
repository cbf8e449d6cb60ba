"""`hwgen generate UNIT`: emit a unit as Verilog plus its JSON manifest.

Each unit's options live in ``hwgen.cli.unit_<kind>`` (``register_generate(units)``), one per spec kind
(:mod:`hwgen.cli._unit_kinds`).
"""

from hwgen.cli import _fmax
from hwgen.cli._unit_kinds import CLI_KINDS, unit_module


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "generate", help="generate a unit as Verilog plus a JSON manifest",
        description="Generate a unit as deterministic Verilog plus a JSON manifest.")
    units = parser.add_subparsers(dest="unit", metavar="UNIT", required=True, parser_class=type(parser))
    for kind in CLI_KINDS:
        unit_module(kind).register_generate(units)
        parser = units.choices[kind]
        if _fmax.has_pipeline_option(parser):  # --fmax MHZ --target T chooses the pipeline depth
            _fmax.add_generate_fmax_options(parser)
