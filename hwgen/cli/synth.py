"""`hwgen synth UNIT ... --target T [--pnr]`: measure one design and print its row(s).

The same flow as a sweep's point (see `hwgen sweep`), run in this process. With --store the
result is cached there and reused; without it nothing is kept but the tool folders of failures.
"""

import dataclasses
from pathlib import Path

from hwgen.cli._mac_options import add_mac_options, mac_design
from hwgen.cli._output import check_output_folder
from hwgen.cli.sweep import add_store_options, print_rows, work_root
from hwgen.cli.unit_mxdot import add_mxdot_options, mxdot_design
from hwgen.cli.unit_nnlut import add_nnlut_options, nnlut_design
from hwgen.cli.unit_systolic import add_systolic_options, systolic_design
from hwgen.outputs import claim_folder

# unit -> (add its options to a parser, the design dataclass from parsed arguments)
UNIT_OPTIONS = {
    "mac": (add_mac_options, mac_design),
    "systolic": (add_systolic_options, systolic_design),
    "nnlut": (add_nnlut_options, nnlut_design),
    "mxdot": (add_mxdot_options, mxdot_design),
}


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "synth", help="synthesize one unit (and place and route it) and print its cost",
        description="Synthesize one unit with Yosys for a target and print LUTs, FFs, carries, DSPs, gates, "
                    "transistors; with --pnr also place and route it with nextpnr inside an I/O harness "
                    "and print its Fmax.")
    units = parser.add_subparsers(dest="unit", metavar="UNIT", required=True, parser_class=type(parser))
    for name, (add_options, _) in UNIT_OPTIONS.items():
        unit = units.add_parser(name, help=f"a {name} unit (options as in `hwgen generate {name}`)")
        add_options(unit)
        unit.add_argument("--target", required=True, metavar="T", help="xc7, ice40, ecp5 or gates")
        unit.add_argument("--no-dsp", action="store_true", help="keep multipliers out of DSP blocks")
        unit.add_argument("--pnr", action="store_true", help="also place and route (ice40, ecp5)")
        unit.add_argument("--seed", type=int, action="append", metavar="S",
                          help="nextpnr seed; repeat for several (default 1)")
        unit.add_argument("--freq", type=float, metavar="MHZ", help="nextpnr target frequency (default 100)")
        unit.add_argument("--timeout", type=float, default=3600, metavar="S",
                          help="seconds allowed per tool run (default 3600)")
        add_store_options(unit, default_store=None)
        unit.set_defaults(func=run)


def run(args) -> int:
    from hwgen.fpga import units
    from hwgen.fpga.pnr import DEFAULT_FREQ_MHZ, DEFAULT_SEED
    from hwgen.fpga.points import FlowSpec
    from hwgen.fpga.sweep import DesignPoint, InlineExecutor, SweepPlan, run_sweep
    from hwgen.fpga.targets import get_target
    from hwgen.results.store import ResultStore

    get_target(args.target)
    if (args.seed or args.freq is not None) and not args.pnr:
        raise ValueError("--seed and --freq need --pnr")
    if args.timeout <= 0:
        raise ValueError(f"--timeout must be positive, not {args.timeout:g}")
    for seed in args.seed or ():
        if not 0 <= seed < 1 << 31:
            raise ValueError(f"--seed must be an integer between 0 and 2^31 - 1, not {seed}")
    check_output_folder(work_root(args), "--work-dir")
    if args.store:
        check_output_folder(Path(args.store).parent, "--store")
    options = dataclasses.asdict(UNIT_OPTIONS[args.unit][1](args))
    config = units.canonical_json(units.canonical_options(args.unit, options))
    flow = FlowSpec(args.target, dsp=not args.no_dsp, pnr=args.pnr,
                    freq_mhz=DEFAULT_FREQ_MHZ if args.freq is None else args.freq)
    seeds = tuple(dict.fromkeys(args.seed or [DEFAULT_SEED]))
    plan = SweepPlan((DesignPoint(args.unit, config),), (flow,), seeds, args.timeout, name="synth")
    claim_folder(work_root(args), "--work-dir", scratch=True)
    with ResultStore(args.store or ":memory:") as store:
        summary = run_sweep(plan, store, executor=InlineExecutor(), work_root=work_root(args),
                            keep_work=args.keep_work)
        print_rows(store, summary.keys)
        if summary.cached:
            print(f"({summary.cached} of {summary.total} from the store {args.store})")
    return 1 if summary.failed else 0
