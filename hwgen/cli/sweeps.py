"""`hwgen sweeps`: the sweeps shipped with hwgen, by name, with their size and what they measure."""

from hwgen.cli._output import print_table


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "sweeps", help="list the sweeps shipped with hwgen (run one with `hwgen sweep NAME`)",
        description="The sweeps shipped with hwgen: each one's name (what `hwgen sweep NAME` takes), its "
                    "number of points (rows in the results store, before harness-cost points) and what "
                    "it measures.")
    parser.set_defaults(func=run)


def run(args) -> int:
    from hwgen.fpga.sweeps import describe_shipped

    sweeps = describe_shipped()
    print_table(["name", "points", "what it measures"],
                [[sweep.name, sweep.points, sweep.summary] for sweep in sweeps])
    print("\nRun one with `hwgen sweep NAME` (`--dry-run` checks it and prints its plan only).")
    return 0
