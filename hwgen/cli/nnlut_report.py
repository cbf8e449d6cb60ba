"""`hwgen nnlut-report`: NN-LUT accuracy against uniform PWL and uniform LUT tables, and an error plot."""

from pathlib import Path

from hwgen.cli._output import print_json, print_table
from hwgen.formats._check import check_int
from hwgen.nnlut.fit import MAX_ENTRIES
from hwgen.nnlut.functions import FUNCTIONS, get_function
from hwgen.nnlut.report import DEFAULT_ENTRIES, accuracy_rows, plot_errors, row_json
from hwgen.outputs import check_replaceable_file


def _plot_path(text: str) -> Path:
    path = Path(text)
    if path.suffix.lower() != ".png":
        raise ValueError(f"--plot must name a .png file, not {text!r}")
    if path.is_dir():
        raise ValueError(f"--plot names a folder: {text!r}")
    if not path.parent.is_dir():
        raise ValueError(f"--plot: no folder {str(path.parent)!r}")
    return check_replaceable_file(path, "--plot")


def run(args) -> int:
    functions = [get_function(name).name for name in args.funcs]
    entries = [check_int(count, "--entries", 1, MAX_ENTRIES) for count in args.entries]
    seed = check_int(args.seed, "--seed", 0, 2**32 - 1)
    plot = _plot_path(args.plot) if args.plot else None
    plot_entries = check_int(args.plot_entries, "--plot-entries", 1, MAX_ENTRIES)
    rows = accuracy_rows(functions, entries, seed)
    if args.json:
        print_json([row_json(row) for row in rows])
    else:
        print("Absolute error against the float64 function over 65,537 uniform points of the range "
              "(reciprocal: the mantissa on [1, 2]; rsqrt: [1, 4]); float tables before quantization.")
        print_table(
            ["function", "range", "entries", "NN-LUT max", "NN-LUT mean", "uniform PWL max",
             "uniform PWL mean", "uniform LUT max", "uniform LUT mean", "PWL/NN-LUT max"],
            [[r.function, f"{r.lo:g}:{r.hi:g}", r.entries,
              *(f"{getattr(r.errors[m], k):.3e}" for m in ("nnlut", "uniform_pwl", "uniform_lut")
                for k in ("max", "mean")),
              f"{r.gain:.1f}x"] for r in rows])
    if plot is not None:
        plot_errors(plot, functions, plot_entries, seed)
        if not args.json:
            print(f"wrote {plot}")
    return 0


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "nnlut-report", help="NN-LUT accuracy table (vs uniform PWL and LUT) and error plot",
        description="Fit NN-LUT tables and print their maximum and mean absolute error against the "
                    "float64 function, next to uniform-breakpoint PWL and uniform LUT tables with the "
                    "same number of entries.")
    parser.add_argument("--funcs", nargs="+", default=list(FUNCTIONS), metavar="F",
                        help=f"functions (default: all of {', '.join(FUNCTIONS)})")
    parser.add_argument("--entries", nargs="+", type=int, default=list(DEFAULT_ENTRIES), metavar="N",
                        help="entry counts (default 8 16 32)")
    parser.add_argument("--seed", type=int, default=0, metavar="S", help="seed of the fits (default 0)")
    parser.add_argument("--plot", metavar="FILE", help="also write a PNG of |error| over each range")
    parser.add_argument("--plot-entries", type=int, default=16, metavar="N",
                        help="entries of the plotted tables (default 16)")
    parser.add_argument("--json", action="store_true", help="print the table as JSON")
    parser.set_defaults(func=run)
