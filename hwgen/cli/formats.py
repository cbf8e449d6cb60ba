"""`hwgen formats`: the format registry as a table (or JSON), and one format in detail."""

from hwgen.cli._output import json_number, print_json, print_table
from hwgen.formats import aliases_of, get_format, listed_formats
from hwgen.golden import all_values

POLICY_TEXT = {
    "ieee": "inf + NaN (IEEE-like)",
    "fn": "NaN only (S.1..1.1..1)",
    "fnuz": "NaN only (1000..0), no -0",
    "finite": "no inf, no NaN",
}

# A code table is one line per code: 4096 lines is already more than anyone reads (fp16 would be 65536).
MAX_CODE_TABLE_BITS = 12


def describe(fmt) -> dict:
    """The registry facts of one format, JSON-ready."""
    entry = {"name": fmt.name, "kind": fmt.kind, "bits": fmt.bits, "aliases": aliases_of(fmt)}
    if fmt.kind == "block":
        entry.update(element=fmt.element.name, block_size=fmt.block_size, scale=fmt.scale.name,
                     bits_per_element=fmt.bits_per_element, emax_elem=fmt.emax_elem)
        return entry
    entry.update(max=fmt.max, min_normal=fmt.min_normal, min_subnormal=fmt.min_subnormal,
                 has_inf=fmt.has_inf, has_nan=fmt.has_nan, lsb_exponent=fmt.lsb_exponent)
    if fmt.kind == "minifloat":
        entry.update(exp_bits=fmt.exp_bits, man_bits=fmt.man_bits, bias=fmt.bias, policy=fmt.policy)
    elif fmt.kind == "int":
        entry.update(signed=fmt.signed, symmetric=fmt.symmetric, frac_bits=fmt.frac_bits)
    else:
        entry.update(values=list(fmt.values))
    return entry


def _specials(fmt) -> str:
    if fmt.kind == "minifloat":
        return POLICY_TEXT[fmt.policy]
    return "no inf, no NaN"


def _print_registry(formats) -> None:
    scalar = [f for f in formats if f.kind != "block"]
    print_table(
        ["name", "kind", "bits", "max", "min normal", "min subnormal", "inf / NaN", "aliases"],
        [[f.name, f.kind, f.bits, f"{f.max:.6g}", f"{f.min_normal:.6g}", f"{f.min_subnormal:.6g}",
          _specials(f), ", ".join(aliases_of(f))] for f in scalar],
    )
    blocks = [f for f in formats if f.kind == "block"]
    if blocks:
        print()
        print_table(
            ["block format", "element", "block", "scale", "bits / element", "emax_elem", "aliases"],
            [[f.name, f.element.name, f.block_size, f.scale.name, f"{f.bits_per_element:.2f}",
              f.emax_elem, ", ".join(aliases_of(f))] for f in blocks],
        )
    print()
    print("Any fpN_eEmM[fn|fnuz|_finite|_ieee][_bB], intN (2..32), uintN (1..32), intN_sym also work.")
    print("fp8_e4m3 means OCP E4M3 (fp8_e4m3fn); the IEEE-like E4M3 (max 240) is fp8_e4m3_ieee.")


def _print_codes(fmt) -> None:
    values = all_values(fmt)
    print()
    digits = (fmt.bits + 3) // 4
    print_table(["code", "value"], [[f"0x{c:0{digits}x}", f"{v:.10g}"] for c, v in enumerate(values)])


def check_code_tables(formats) -> None:
    """``ValueError`` (before anything is printed) unless every format has a code table to print."""
    if not formats:
        raise ValueError("--codes lists the codes of the named formats: give FORMAT, e.g. "
                         "`hwgen formats fp8_e4m3 --codes`")
    for fmt in formats:
        if fmt.kind == "block":
            raise ValueError(f"--codes: {fmt.name} is a block format; its elements' codes are those of "
                             f"{fmt.element.name} (`hwgen formats {fmt.element.name} --codes`)")
        if fmt.bits > MAX_CODE_TABLE_BITS:
            raise ValueError(f"--codes: the code table is printed only for formats of at most "
                             f"{MAX_CODE_TABLE_BITS} bits; {fmt.name} has {fmt.bits}")


def run(args) -> int:
    formats = [get_format(name) for name in args.names] if args.names else listed_formats()
    if args.codes:
        check_code_tables(formats if args.names else [])
    if args.json:
        entries = [describe(f) for f in formats]
        if args.codes:
            for entry, fmt in zip(entries, formats, strict=True):
                entry["codes"] = [json_number(v) for v in all_values(fmt)]
        print_json(entries)
        return 0
    if not args.names:
        _print_registry(formats)
        return 0
    for fmt in formats:
        for key, value in describe(fmt).items():
            print(f"{key:>16}: {value}")
        if args.codes:
            _print_codes(fmt)
        print()
    return 0


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "formats", help="list the number formats (name, bits, range, specials, aliases)",
        description="List hwgen's number formats, or describe the named ones.",
    )
    parser.add_argument("names", nargs="*", metavar="FORMAT", help="formats to describe in detail")
    parser.add_argument("--json", action="store_true", help="print the registry as JSON")
    parser.add_argument("--codes", action="store_true",
                        help=f"with FORMAT: also list every code's value (formats of at most "
                             f"{MAX_CODE_TABLE_BITS} bits)")
    parser.set_defaults(func=run)
