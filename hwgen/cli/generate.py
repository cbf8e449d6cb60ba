"""`hwgen generate UNIT`: emit a unit as Verilog plus its JSON manifest.

Each unit's options live in ``hwgen.cli.unit_<name>`` (``register_generate(units)``).
"""

import importlib

UNIT_MODULES = ("unit_mac", "unit_systolic", "unit_nnlut", "unit_mxdot")


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "generate", help="generate a unit as Verilog plus a JSON manifest",
        description="Generate a unit as deterministic Verilog plus a JSON manifest.")
    units = parser.add_subparsers(dest="unit", metavar="UNIT", required=True, parser_class=type(parser))
    for module in UNIT_MODULES:
        importlib.import_module(f"hwgen.cli.{module}").register_generate(units)
