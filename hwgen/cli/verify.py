"""`hwgen verify UNIT`: build a unit, simulate it with cocotb, check it against the golden model.

Each unit's options live in ``hwgen.cli.unit_<kind>`` (``register_verify(units)``, for the units with a
verifier); shared options in :mod:`hwgen.cli._verify_options`.
"""

from hwgen.cli._unit_kinds import CLI_KINDS, unit_module


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "verify", help="simulate a unit with cocotb and check it bit-exactly against the golden model",
        description="Build a unit, simulate it with cocotb on Icarus or Verilator and compare every "
                    "result with the golden model. Exit 0 only with zero mismatches.")
    units = parser.add_subparsers(dest="unit", metavar="UNIT", required=True, parser_class=type(parser))
    for kind in CLI_KINDS:
        module = unit_module(kind)
        if hasattr(module, "register_verify"):
            module.register_verify(units)
