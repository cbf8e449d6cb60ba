"""`hwgen pareto --target T --cost C --accuracy M --out FILE`: one Pareto front as PNG and SVG."""

import sys
from pathlib import Path

from hwgen.cli._output import check_output_folder, print_table
from hwgen.cli.report import add_scales_option, add_store_options, check_sentences


def register(subparsers) -> None:
    from hwgen.cost_models.axes import COSTS, TARGETS
    from hwgen.cost_models.quality import METRICS

    parser = subparsers.add_parser(
        "pareto", help="draw one Pareto front (cost vs accuracy on a target) from the results store",
        description="Measured points from the results store, the area model's predictions for the designs "
                    "it lacks (drawn hollow), the front highlighted; written as FILE.png and FILE.svg.")
    parser.add_argument("--target", required=True, metavar="T", help=f"one of {', '.join(TARGETS)}")
    parser.add_argument("--cost", required=True, metavar="C", help=f"one of {', '.join(COSTS)}")
    parser.add_argument("--accuracy", required=True, metavar="M", help=f"one of {', '.join(METRICS)}")
    parser.add_argument("--clock-ns", type=float, metavar="NS",
                        help="the front at this clock period: on asic the designs synthesized for it "
                             "that meet it (default: every clock in the store, each point named by its "
                             "clock); on ice40 / ecp5 the placed designs (any depth, DSPs allowed or not) "
                             "whose nextpnr Fmax reaches 1000 / NS MHz; on xc7 those whose Fmax "
                             "estimate does")
    parser.add_argument("--out", required=True, metavar="FILE",
                        help="output image (.png or .svg; both are written)")
    add_store_options(parser)
    parser.add_argument("--minilm-sentences", type=int, metavar="N",
                        help="for the MiniLM metrics: the first N of the 64 sentences (default: all)")
    add_scales_option(parser)
    parser.add_argument("--quiet", action="store_true", help="no progress lines on standard error")
    parser.set_defaults(func=run)


def run(args) -> int:
    from hwgen.cost_models import axes, enrich
    from hwgen.cost_models.assemble import fabric_points, join_metrics, placed_points
    from hwgen.cost_models.dataset import fit_models, mac_points, read_store
    from hwgen.cost_models.plots import output_paths, plot_pareto
    from hwgen.cost_models.report import ReportSettings

    axes.check_target(args.target)
    cost = axes.cost_axis(args.cost, args.target)
    placed = args.clock_ns is not None and args.target in axes.TIMED_TARGETS
    if args.clock_ns is not None and args.target not in ("asic", *axes.TIMED_TARGETS):
        raise ValueError(f"--clock-ns chooses a clock on asic, ice40 or ecp5 (measured timing) or xc7 "
                         f"(estimated), not on {args.target}: its points have no timing")
    metric = axes.accuracy_metric(args.accuracy)
    output_paths(args.out)  # a bad suffix fails before any work
    check_output_folder(Path(args.out).parent, "--out")
    if args.cache:
        check_output_folder(args.cache, "--cache")
    settings = ReportSettings(store=Path(args.store), out=Path(args.out).parent, cache=args.cache,
                              minilm_sentences=check_sentences(args.minilm_sentences),
                              progress=None if args.quiet else progress_printer)
    points = mac_points(read_store(settings.store))
    skipped: list[str] = []
    models = fit_models(points, targets=[args.target], skipped=skipped)
    for reason in skipped:
        settings.say(f"no model (measured points only): {reason}")
    table = placed_points(points) if placed else fabric_points(points, models)
    energy = args.cost in ("energy", "energy_estimate")
    if not energy:  # energy needs the gates rows (activity) whatever the target
        table = table[table["target"] == args.target]
    metric_of = enrich.design_metrics_provider(settings.cache_dir, minilm=True,
                                               minilm_sentences=settings.minilm_sentences,
                                               measured=set(points["label"]), wanted={args.accuracy},
                                               progress=settings.say, scales=args.scales)
    table = join_metrics(table, metric_of)
    if energy:  # stored by the sweep; a store without it is one line naming the sweep that measures it
        table = enrich.join_energy(table, store=settings.store)
    data = axes.pareto_table(table, args.target, args.cost, args.accuracy, clock_ns=args.clock_ns)
    if len(data) == 0:
        at = "" if args.clock_ns is None else f" and meets {args.clock_ns:g} ns"
        raise ValueError(f"no {args.target} point has both {args.cost} and {args.accuracy}{at}")
    clock = "" if args.clock_ns is None else f" at {args.clock_ns:g} ns"
    if args.clock_ns is not None and args.target in axes.ESTIMATED_TARGETS:
        clock += " (Fmax estimate)"
    cost_label = axes.luts_label(args.target) if placed and args.cost == "luts" else cost.label
    paths = plot_pareto(data, cost=args.cost, accuracy=args.accuracy, out=args.out, cost_label=cost_label,
                        accuracy_label=metric.label,
                        title=f"{args.target}{clock}: {cost.short} vs {metric.label}",
                        log_cost=cost.log_scale, log_accuracy=axes.log_accuracy(data, args.accuracy))
    front = data[data["on_front"]].sort_values(args.cost)
    if args.clock_ns is not None:
        kept = {name.split(" (+")[0].split(" @ ")[0] for name in data["design"]}
        missed = sorted(set(table.loc[table["target"] == args.target, "label"]) - kept)
        if missed:
            why = (f"below that {axes.fmax_kind(args.target)} Fmax" if placed
                   else f"not synthesized for {args.clock_ns:g} ns, missing it")
            print(f"left out ({why}, or without {args.accuracy}): {', '.join(missed)}")
    columns = ["design", args.cost, args.accuracy, "predicted"]
    print(f"{len(front)} of {len(data)} points on the front:")
    print_table(columns, [[_show(row[c]) for c in columns] for _, row in front.iterrows()])
    for path in paths:
        print(f"wrote {path}")
    return 0


def progress_printer(message: str) -> None:
    """A progress line on standard error, named for this command (the report's printer says [report])."""
    print(f"[pareto] {message}", file=sys.stderr, flush=True)


def _show(value) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)
