"""``--fmax MHZ`` for `hwgen synth` and `hwgen generate`: the pipeline depth chosen to meet a clock on a
target with a timing tool (:mod:`hwgen.fpga.fmax`).

Every unit kind with a ``--pipeline`` option gets ``--fmax``; the two exclude each other, so the parser's
``--pipeline`` default is replaced by None (given or not is then visible) and :func:`resolve_pipeline`
puts the spec's default back. Every check runs before anything is written: a bad --fmax, --fmax with
--pipeline, or a target without a timing tool is one line and exit 2.
"""

from pathlib import Path

from hwgen.cli._unit_kinds import unit_module

_DEFAULT = "fmax_pipeline_default"  # where the spec's default depth waits while --pipeline is unset
FMAX_HELP = ("choose the smallest pipeline depth whose Fmax reaches MHZ on the target (ice40, ecp5: "
             "nextpnr after place and route; asic: OpenSTA at a 1000/MHZ ns clock; xc7: an estimate from "
             "Yosys's cell timing, no place and route); excludes --pipeline")


def has_pipeline_option(parser) -> bool:
    return parser.get_default("pipeline") is not None


def add_fmax_option(parser) -> None:
    """``--fmax`` on a unit parser that has ``--pipeline`` (whose default moves aside)."""
    parser.set_defaults(pipeline=None, **{_DEFAULT: parser.get_default("pipeline")})
    parser.add_argument("--fmax", metavar="MHZ", help=FMAX_HELP)


def add_generate_fmax_options(parser) -> None:
    """`hwgen generate KIND --fmax MHZ --target T`: the measuring options of `hwgen synth` that apply."""
    from hwgen.cli.sweep import add_store_options

    add_fmax_option(parser)
    parser.add_argument("--target", metavar="T", help="with --fmax: ice40, ecp5, xc7 (estimate) or asic")
    parser.add_argument("--no-dsp", action="store_true",
                        help="with --fmax: keep multipliers out of DSP blocks")
    parser.add_argument("--seed", type=int, action="append", metavar="S",
                        help="with --fmax on ice40 / ecp5: the nextpnr seed (default 1)")
    parser.add_argument("--library", metavar="LIB",
                        help="with --fmax on asic: standard-cell library, osu018 (default), osu035 or osu050")
    parser.add_argument("--timeout", type=float, default=3600, metavar="S",
                        help="with --fmax: seconds allowed per tool run (default 3600)")
    add_store_options(parser, default_store=None, no_store="the work folder's fmax_cache.sqlite")
    original = parser.get_default("func")
    parser.set_defaults(func=lambda args: run_generate(args, original))


def resolve_pipeline(args) -> bool:
    """Whether ``--pipeline`` was given; puts the spec's default in ``args.pipeline`` when it was not."""
    if not hasattr(args, _DEFAULT):
        return False
    given = args.pipeline is not None
    if not given:
        args.pipeline = getattr(args, _DEFAULT)
    return given


def fmax_request(args, pipeline_given: bool):
    """The :class:`~hwgen.fpga.fmax.FmaxRequest` of parsed arguments with ``--fmax``; one-line
    ``ValueError`` naming the option for every conflict."""
    from hwgen.fpga.fmax import TIMING_TOOLS, FmaxRequest, check_fmax, check_fmax_target
    from hwgen.fpga.pnr import DEFAULT_SEED

    mhz = check_fmax(args.fmax, "--fmax")
    if args.target is None:
        raise ValueError(f"--fmax needs --target: {TIMING_TOOLS}")
    check_fmax_target(args.target, "--target")
    if pipeline_given:
        raise ValueError("--fmax chooses the pipeline depth; drop --pipeline (or drop --fmax to build "
                         "that depth)")
    if getattr(args, "freq", None) is not None:
        raise ValueError("--freq: with --fmax nextpnr aims at the --fmax frequency; drop --freq")
    if getattr(args, "clock_ns", None) is not None:
        raise ValueError("--clock-ns: with --fmax the asic clock is 1000 / --fmax ns; drop --clock-ns")
    if args.library is not None and args.target != "asic":
        raise ValueError("--library needs --target asic")
    if getattr(args, "pnr", False) and args.target in ("asic", "xc7"):
        raise ValueError(f"--pnr: place and route is available for ice40, ecp5, not {args.target}")
    seeds = list(dict.fromkeys(args.seed or [DEFAULT_SEED]))
    if len(seeds) > 1:
        raise ValueError(f"--seed: --fmax searches with one nextpnr seed, not {len(seeds)}")
    if args.seed and args.target in ("asic", "xc7"):
        raise ValueError(f"--seed is a nextpnr seed; {args.target} has none")
    for seed in seeds:
        if not 0 <= seed < 1 << 31:
            raise ValueError(f"--seed must be an integer between 0 and 2^31 - 1, not {seed}")
    if args.timeout <= 0:
        raise ValueError(f"--timeout must be positive, not {args.timeout:g}")
    return FmaxRequest(args.target, mhz, dsp=not args.no_dsp, library=args.library, seed=seeds[0])


def cache_path(args) -> Path:
    """--store, or the cache under the work folder every --fmax search without one shares."""
    from hwgen.cli.sweep import work_root

    return Path(args.store) if args.store else work_root(args) / "fmax_cache.sqlite"


def search(args, request, spec):
    """Run the search for *spec* (its pipeline ignored) and *request*, cached in :func:`cache_path`;
    (choice, run, store path). Checks the store and the work folder before anything is written."""
    from hwgen.cli._output import check_output_folder
    from hwgen.cli.sweep import work_root
    from hwgen.fpga.executors import InlineExecutor
    from hwgen.fpga.fmax import FmaxSearch, run_searches
    from hwgen.fpga.points import tool_versions
    from hwgen.outputs import check_claimable, claim_folder
    from hwgen.results.store import ResultStore, check_store_file

    spec.check_target(request.target, dsp=request.dsp)
    fmax_search = FmaxSearch.of(spec.kind, spec.options(), request)
    store_path = cache_path(args)
    check_output_folder(work_root(args), "--work-dir")
    check_output_folder(store_path.parent, "--store")
    check_store_file(store_path)
    check_claimable(work_root(args), "--work-dir", scratch=True)
    tool_versions(request.flow.tools)  # a missing tool is one line before anything is written
    claim_folder(work_root(args), "--work-dir", scratch=True)
    store = ResultStore(store_path)
    try:
        run = run_searches([fmax_search], store, executor=InlineExecutor(), work_root=work_root(args),
                           timeout_s=args.timeout, keep_work=args.keep_work)
    except BaseException:
        store.close()
        raise
    return run.choices[0], run, store


def run_synth(args, pipeline_given: bool) -> int:
    """`hwgen synth KIND ... --fmax MHZ --target T`: every depth tried as a row, then the choice."""
    from hwgen.cli.sweep import print_rows

    request = fmax_request(args, pipeline_given)
    spec = unit_module(args.unit).spec_from_args(args)
    choice, run, store = search(args, request, spec)
    with store:
        print_rows(store, run.keys)
    for line in choice.lines():
        print(line)
    _print_cached(run, cache_path(args))
    return 1 if choice.chosen is None or run.failed else 0


def run_generate(args, original) -> int:
    """`hwgen generate KIND ... [--fmax MHZ --target T]`: without --fmax the unit's own generate; with
    it the chosen depth is generated, and its manifest records the choice (``fmax``)."""
    from hwgen.outputs import check_claimable
    from hwgen.verilog_names import check_module_name

    pipeline_given = resolve_pipeline(args)
    if args.fmax is None:
        measuring = [option for option, value in (("--target", args.target), ("--library", args.library),
                                                  ("--seed", args.seed), ("--store", args.store),
                                                  ("--work-dir", args.work_dir), ("--no-dsp", args.no_dsp),
                                                  ("--keep-work", args.keep_work)) if value]
        if measuring:
            raise ValueError(f"{measuring[0]} needs --fmax (generate measures only to choose a pipeline "
                             f"depth)")
        return original(args)
    request = fmax_request(args, pipeline_given)
    spec = unit_module(args.unit).spec_from_args(args)
    # the search may take minutes: a refused --out fails first
    replaces = (f"{check_module_name(args.name)}.v", f"{args.name}.json") if args.name else ()
    check_claimable(args.out, "--out", replaces=replaces)
    choice, run, store = search(args, request, spec)
    store.close()
    for line in choice.lines():
        print(line)
    _print_cached(run, cache_path(args))
    if choice.chosen is None:
        return 1
    args.pipeline = choice.pipeline
    for option, value in choice.options.items():  # where the chosen design's registers go
        setattr(args, option, value)
    args.fmax_manifest = choice.manifest()
    return original(args)


def _print_cached(run, store: Path) -> None:
    if run.cached:
        print(f"({run.cached} of {len(run.keys)} points from the store {store})")
