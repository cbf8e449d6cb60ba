"""`hwgen synth UNIT ... --target T [--pnr]`: measure one design and print its row(s).

The same flow as a sweep's point (see `hwgen sweep`), run in this process. With --store the
result is cached there and reused; without it nothing is kept but the tool folders of failures.
"""

from pathlib import Path

from hwgen.cli import _fmax
from hwgen.cli._output import check_output_folder
from hwgen.cli._unit_kinds import CLI_KINDS, unit_module
from hwgen.cli.sweep import add_store_options, print_rows, work_root
from hwgen.outputs import claim_folder


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "synth", help="synthesize one unit (and place and route it) and print its cost",
        description="Synthesize one unit with Yosys for a target and print LUTs, FFs, carries, DSPs, gates, "
                    "transistors; with --pnr also place and route it with nextpnr inside an I/O harness "
                    "and print its Fmax; on asic map it to standard cells at a clock and print area, cells, "
                    "critical path, slack, Fmax and leakage (OpenSTA). With --fmax MHZ (ice40, ecp5, asic; "
                    "xc7 by an estimate) measure pipeline depths 1, 2, ... until one reaches MHZ and print "
                    "every depth tried and the choice.")
    units = parser.add_subparsers(dest="unit", metavar="UNIT", required=True, parser_class=type(parser))
    for kind in CLI_KINDS:
        module = unit_module(kind)
        unit = units.add_parser(kind, help=f"a {kind} unit (options as in `hwgen generate {kind}`)",
                                description=f"{module.ABOUT} Synthesize it for --target and print its cost "
                                            "(--pnr: also place and route it; --fmax: choose its pipeline "
                                            "depth).")
        module.add_options(unit)
        if _fmax.has_pipeline_option(unit):
            _fmax.add_fmax_option(unit)
        unit.add_argument("--target", required=True, metavar="T", help="xc7, ice40, ecp5, gates or asic")
        unit.add_argument("--no-dsp", action="store_true", help="keep multipliers out of DSP blocks")
        unit.add_argument("--pnr", action="store_true", help="also place and route (ice40, ecp5)")
        unit.add_argument("--seed", type=int, action="append", metavar="S",
                          help="nextpnr seed; repeat for several (default: 1)")
        unit.add_argument("--freq", type=float, metavar="MHZ", help="nextpnr target frequency (default: 100)")
        unit.add_argument("--library", metavar="LIB",
                          help="asic: standard-cell library: osu018 (default), osu035 or osu050")
        unit.add_argument("--clock-ns", type=float, metavar="NS",
                          help="asic: clock period that synthesis sizes for and timing checks (default: 10)")
        unit.add_argument("--timeout", type=float, default=3600, metavar="S",
                          help="seconds allowed per tool run (default: 3600)")
        add_store_options(unit, default_store=None, no_store="none, nothing is cached; with --fmax "
                          "the work folder's fmax_cache.sqlite")
        unit.set_defaults(func=run)


def run(args) -> int:
    from hwgen.extras import require
    from hwgen.fpga.executors import InlineExecutor
    from hwgen.fpga.pnr import DEFAULT_FREQ_MHZ, DEFAULT_SEED
    from hwgen.fpga.points import FlowSpec
    from hwgen.fpga.sweep import run_sweep
    from hwgen.fpga.sweep_config import DesignPoint, SweepPlan
    from hwgen.fpga.targets import get_target
    from hwgen.results.store import ResultStore, check_store_file

    get_target(args.target)
    require("pandas", "synth")  # the result table needs it: missing is one line before any tool runs
    pipeline_given = _fmax.resolve_pipeline(args)
    if getattr(args, "fmax", None) is not None:
        return _fmax.run_synth(args, pipeline_given)
    if (args.seed or args.freq is not None) and not args.pnr:
        raise ValueError("--seed and --freq need --pnr")
    if (args.library is not None or args.clock_ns is not None) and args.target != "asic":
        raise ValueError("--library and --clock-ns need --target asic")
    if args.timeout <= 0:
        raise ValueError(f"--timeout must be positive, not {args.timeout:g}")
    for seed in args.seed or ():
        if not 0 <= seed < 1 << 31:
            raise ValueError(f"--seed must be an integer between 0 and 2^31 - 1, not {seed}")
    check_output_folder(work_root(args), "--work-dir")
    if args.store:
        check_output_folder(Path(args.store).parent, "--store")
    spec = unit_module(args.unit).spec_from_args(args)
    spec.check_target(args.target, dsp=not args.no_dsp)
    config = spec.to_json()
    flow = FlowSpec(args.target, dsp=not args.no_dsp, pnr=args.pnr,
                    freq_mhz=DEFAULT_FREQ_MHZ if args.freq is None else args.freq, library=args.library,
                    clock_ns=args.clock_ns)
    seeds = tuple(dict.fromkeys(args.seed or [DEFAULT_SEED]))
    plan = SweepPlan((DesignPoint(args.unit, config),), (flow,), seeds, args.timeout, name="synth")
    if args.store:
        check_store_file(args.store)  # a foreign database is refused before the work folder is made
    claim_folder(work_root(args), "--work-dir", scratch=True)
    with ResultStore(args.store or ":memory:") as store:
        summary = run_sweep(plan, store, executor=InlineExecutor(), work_root=work_root(args),
                            keep_work=args.keep_work)
        print_rows(store, summary.keys)
        if summary.cached:
            print(f"({summary.cached} of {summary.total} from the store {args.store})")
    return 1 if summary.failed else 0
