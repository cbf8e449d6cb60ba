"""Small output helpers shared by CLI commands: aligned tables, JSON-safe numbers, emitted units."""

import json
import math

from hwgen.outputs import check_folder_path


def check_output_folder(path, option: str) -> None:
    """``ValueError`` unless *path* can be (or is) a folder: no part of it may be a file."""
    check_folder_path(path, option)


def emit_spec_into(spec, name: str, folder, option: str, *, scratch: bool = False, extra: dict | None = None):
    """Build the unit of *spec* and :func:`hwgen.emit.emit_owned` it into *folder* as module *name*
    (checked by the caller before: a unit built is a unit emitted); (unit, Verilog path, manifest path).
    *extra*: manifest keys beyond the unit's own (``fmax``: the choice of `hwgen generate --fmax`)."""
    from hwgen.emit import emit_owned
    from hwgen.gen.build import build_unit, manifest_details

    unit = build_unit(spec)
    details = {**manifest_details(spec, unit), **(extra or {})}
    return (unit, *emit_owned(unit, name, folder, details, option, scratch=scratch))


def add_generate_outputs(parser, run) -> None:
    """`hwgen generate <unit>`'s output options (--name, --out), with *run* as the command."""
    parser.add_argument("--name", metavar="NAME", help="Verilog module name (default: from the options)")
    parser.add_argument("--out", required=True, metavar="DIR", help="output folder for NAME.v and NAME.json")
    parser.set_defaults(func=run)


def generate_from_args(args, spec, describe) -> int:
    """`hwgen generate KIND`: *spec* emitted into ``--out`` as ``--name`` (or its module name), then the
    line ``describe(name, unit)`` and the files written."""
    from hwgen.verilog_names import check_module_name

    name = check_module_name(args.name) if args.name else spec.module_name
    fmax = getattr(args, "fmax_manifest", None)  # set by `--fmax` (hwgen.cli._fmax)
    extra = None if fmax is None else {"fmax": fmax}
    unit, *paths = emit_spec_into(spec, name, args.out, "--out", extra=extra)
    print(describe(name, unit))
    print_written(*paths)
    return 0


def accumulator_text(acc) -> str:
    """``fixed (24-bit, lsb 2^-12)`` / ``fp32 (fp32)``: an accumulator and its shape, for one line."""
    shape = f"{acc.width}-bit, lsb 2^{acc.lsb_exponent}" if acc.kind == "fixed" else acc.format.name
    return f"{acc.spec} ({shape})"


def print_written(*paths) -> None:
    for path in paths:
        print(f"wrote {path}")


def json_number(value: float):
    """A float for JSON: finite numbers as numbers, specials as the strings 'nan', 'inf', '-inf'."""
    value = float(value)
    if math.isnan(value):
        return "nan"
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    return value


def print_json(data) -> None:
    print(json.dumps(data, indent=2))


def print_table(headers: list, rows: list) -> None:
    cells = [[str(c) for c in row] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in cells)) if cells else len(h) for i, h in enumerate(headers)]
    print("  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip())
    print("  ".join("-" * w for w in widths))
    for row in cells:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
