"""`hwgen verify UNIT`: build a unit, simulate it with cocotb, check it against the golden model.

Each unit's options live in ``hwgen.cli.unit_<name>`` (``register_verify(units)``); shared options
in :mod:`hwgen.cli._verify_options`.
"""

import importlib

from hwgen.cli.generate import UNIT_MODULES


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "verify", help="simulate a unit with cocotb and check it bit-exactly against the golden model",
        description="Build a unit, simulate it with cocotb on Icarus or Verilator and compare every "
                    "result with the golden model. Exit 0 only with zero mismatches.")
    units = parser.add_subparsers(dest="unit", metavar="UNIT", required=True, parser_class=type(parser))
    for module in UNIT_MODULES:
        importlib.import_module(f"hwgen.cli.{module}").register_verify(units)
