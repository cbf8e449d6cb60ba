"""`hwgen quantize`: encode numbers into a format; print codes (hex) and the decoded values."""

import re
import sys

from hwgen.cli._output import json_number, print_json, print_table
from hwgen.formats import get_format
from hwgen.golden import decode, dequantize_blocks, encode, quantize_blocks

# Let argparse read "-inf", "-nan" and "-1e-3" as values, not as options.
_NEGATIVE_NUMBER = re.compile(r"^-(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$|^-(inf|infinity|nan)$", re.IGNORECASE)


def parse_values(texts: list) -> list:
    """The input strings (``-`` reads one per line from standard input) and their floats."""
    if texts == ["-"]:
        texts = [line.strip() for line in sys.stdin if line.strip()]
    elif "-" in texts:
        raise ValueError("'-' (read standard input) must be the only VALUE")
    if not texts:
        raise ValueError("give at least one VALUE (or - to read values from standard input)")
    numbers = []
    for text in texts:
        try:
            numbers.append(float(text))
        except ValueError:
            raise ValueError(f"VALUE {text!r} is not a number (nan, inf and -inf are accepted)") from None
    return texts, numbers


def _hex(code: int, bits: int) -> str:
    return f"0x{code:0{(bits + 3) // 4}x}"


def _block_rows(fmt, texts, numbers) -> list:
    scales, codes = quantize_blocks(fmt, numbers)
    values = dequantize_blocks(fmt, scales, codes)
    return [{"input": text, "block": i // fmt.block_size, "scale": int(scales[i // fmt.block_size]),
             "code": int(codes[i]), "value": json_number(values[i])} for i, text in enumerate(texts)]


def _scalar_rows(fmt, texts, numbers, saturate: bool) -> list:
    codes = encode(fmt, numbers, saturate=saturate)
    values = decode(fmt, codes)
    return [{"input": text, "code": int(code), "value": json_number(value)}
            for text, code, value in zip(texts, codes, values, strict=True)]


def _print_rows(fmt, rows, saturate: bool) -> None:
    block = fmt.kind == "block"
    print(fmt.name + (" (saturating)" if saturate and not block else ""))
    headers = ["input", "block", "scale", "code", "value"] if block else ["input", "code", "value"]
    table = []
    for row in rows:
        value = f"{row['value']:.10g}" if isinstance(row["value"], float) else row["value"]
        line = [row["input"], _hex(row["code"], fmt.bits), value]
        if block:
            line[1:1] = [row["block"], _hex(row["scale"], fmt.scale.bits)]
        table.append(line)
    print_table(headers, table)


def run(args) -> int:
    fmt = get_format(args.format)
    texts, numbers = parse_values(args.values)
    if fmt.kind == "block":
        rows = _block_rows(fmt, texts, numbers)
    else:
        rows = _scalar_rows(fmt, texts, numbers, args.saturate)
    if args.json:
        print_json(rows)
    else:
        _print_rows(fmt, rows, args.saturate)
    return 0


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "quantize", help="encode numbers into a format and show codes and decoded values",
        description="Encode VALUEs into FORMAT (round to nearest, ties to even; overflow per the "
                    "format's policy) and print each code in hex and its decoded value.",
    )
    parser.add_argument("--format", "-f", required=True, metavar="FORMAT",
                        help="a format name (see `hwgen formats`), e.g. fp8_e4m3, int8, mxfp4")
    parser.add_argument("--saturate", action="store_true",
                        help="OCP SAT mode: overflow and +-inf become +-max (NaN stays NaN)")
    parser.add_argument("--json", action="store_true",
                        help='print a JSON array of {"input", "code", "value"} objects')
    parser.add_argument("values", nargs="+", metavar="VALUE",
                        help="numbers (nan, inf, -inf accepted); - reads one per line from stdin")
    parser._negative_number_matcher = _NEGATIVE_NUMBER
    parser.set_defaults(func=run)
