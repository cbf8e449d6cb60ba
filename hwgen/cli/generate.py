"""`hwgen generate`: emit a unit as Verilog plus its JSON manifest."""

from hwgen.cli._mac_options import add_mac_options, mac_design
from hwgen.emit import check_module_name, emit
from hwgen.gen.mac_design import manifest_details


def run_mac(args) -> int:
    design = mac_design(args)
    unit = design.build()  # validates every option before anything is written
    name = check_module_name(args.name) if args.name else design.default_name(unit)
    verilog_path, manifest_path = emit(unit, name, args.out, manifest_details(unit))
    acc = unit.accumulator
    width = f"{acc.width}-bit, lsb 2^{acc.lsb_exponent}" if acc.kind == "fixed" else acc.format.name
    print(f"{name}: {unit.a.name} x {unit.b.name}, accumulator {acc.spec} ({width}), "
          f"latency {unit.latency}, II {unit.ii}")
    print(f"wrote {verilog_path}")
    print(f"wrote {manifest_path}")
    return 0


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "generate", help="generate a unit as Verilog plus a JSON manifest",
        description="Generate a unit as deterministic Verilog plus a JSON manifest.")
    units = parser.add_subparsers(dest="unit", metavar="UNIT", required=True, parser_class=type(parser))
    mac = units.add_parser("mac", help="a pipelined multiply-accumulate unit",
                           description="Generate a pipelined MAC unit (valid/ready streams, II = 1).")
    add_mac_options(mac)
    mac.add_argument("--name", metavar="NAME", help="Verilog module name (default: from the options)")
    mac.add_argument("--out", required=True, metavar="DIR", help="output folder for NAME.v and NAME.json")
    mac.set_defaults(func=run_mac)
