"""`hwgen report --out DIR`: one HTML page of area models, energy, accuracy, Pareto fronts and the
seeds' claims, from the results store (every table also as CSV next to it)."""

from pathlib import Path

from hwgen.cli._output import check_output_folder
from hwgen.cli.sweep import DEFAULT_STORE


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "report", help="HTML report: area models, energy, accuracy, Pareto fronts, the seeds' claims",
        description="Fit the area models to the results store, read the energy the sweep measured, compute "
                    "accuracy, draw the Pareto fronts and write DIR/index.html with every table as CSV under "
                    "DIR/tables. It starts no tool; MiniLM results are cached next to the store (--cache).")
    parser.add_argument("--out", required=True, metavar="DIR", help="folder for index.html, plots and tables")
    add_store_options(parser)
    parser.add_argument("--minilm-sentences", type=int, metavar="N",
                        help="score MiniLM on the first N of its 64 sentences (default: all)")
    parser.add_argument("--no-minilm", action="store_true", help="leave out the MiniLM accuracy metric")
    parser.add_argument("--no-energy", action="store_true", help="leave out the energy section")
    parser.add_argument("--no-recipes", action="store_true",
                        help="leave out the section comparing scale recipes (a MiniLM run per 4-bit weight "
                             "format and recipe; minutes cold)")
    add_scales_option(parser)
    parser.add_argument("--clock-mhz", type=float, metavar="F",
                        help="draw the ice40 / ecp5 fronts of the placed designs that reach F MHz (default: "
                             "each target's median placed Fmax)")
    parser.add_argument("--quiet", action="store_true", help="no progress lines on standard error")
    parser.set_defaults(func=run)


def add_scales_option(parser) -> None:
    from hwgen.workload.scales import RECIPES

    parser.add_argument("--scales", default=RECIPES[0], choices=RECIPES,
                        help="scale recipe of the MiniLM metrics (default max; docs/minilm.md, 'Scale "
                             "recipes'); SQNR and dot-product errors always scale by max")


def add_store_options(parser) -> None:
    parser.add_argument("--store", default=DEFAULT_STORE, metavar="FILE",
                        help=f"SQLite results store written by `hwgen sweep` (default: {DEFAULT_STORE})")
    parser.add_argument("--cache", metavar="DIR",
                        help="folder for the MiniLM cache (default: cost_cache next to the store)")


def check_sentences(value: int | None) -> int | None:
    if value is not None and not 1 <= value <= 64:
        raise ValueError(f"--minilm-sentences must be between 1 and 64, not {value}")
    return value


def run(args) -> int:
    from hwgen.cost_models.fmax_section import check_clock_mhz
    from hwgen.cost_models.report import ReportSettings, progress_printer, report_summary, write_report

    check_output_folder(args.out, "--out")  # claimed (hwgen.outputs) by write_report before any work
    if args.cache:
        check_output_folder(args.cache, "--cache")
    settings = ReportSettings(store=Path(args.store), out=Path(args.out), cache=args.cache,
                              minilm_sentences=check_sentences(args.minilm_sentences),
                              minilm=not args.no_minilm, energy=not args.no_energy,
                              clock_mhz=check_clock_mhz(args.clock_mhz), scales=args.scales,
                              recipes=not args.no_recipes,
                              progress=None if args.quiet else progress_printer)
    index = write_report(settings)
    for line in report_summary(Path(args.out)):
        print(line)
    print(f"wrote {index}")
    return 0
