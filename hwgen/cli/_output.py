"""Small output helpers shared by CLI commands: aligned tables and JSON-safe numbers."""

import json
import math
from pathlib import Path


def check_output_folder(path, option: str) -> None:
    """``ValueError`` unless *path* can be (or is) a folder: no part of it may be a file."""
    path = Path(path)
    for part in (path, *path.parents):
        if part.exists():
            if not part.is_dir():
                raise ValueError(f"{option} {path}: {part} is a file, not a folder")
            return


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
