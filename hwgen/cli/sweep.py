"""`hwgen sweep NAME|CONFIG.toml`: units x formats x parameters x targets into the results store.

NAME is a sweep shipped with hwgen (`hwgen sweeps` lists them); a file of that name wins. Finished
points are reused (content-hash keys), so a killed sweep resumes where it stopped and a repeated one is
all cache hits. Local process pool by default, a Dask cluster with --scheduler.
"""

import sys
from pathlib import Path

from hwgen.cli._output import check_output_folder, print_table
from hwgen.extras import require
from hwgen.outputs import check_claimable, claim_folder

DEFAULT_STORE = "build/results.sqlite"

# xc7 rows have no place and route: their Fmax is an estimate, a column of its own named as one (shown
# only when some row has it).
_ESTIMATE_COLUMN = ("Fmax MHz (xc7 estimate)", "fmax_estimate_mhz")
_TABLE = (("design", "design"), ("target", "target"), ("dsp", "dsp_allowed"), ("seed", "seed"),
          ("LUT", "luts"), ("FF", "ffs"), ("carry", "carries"), ("DSP", "dsps"), ("BRAM", "brams"),
          ("gates", "gates"), ("transistors", "transistors"), ("P&R cells", "pnr_logic_cells"),
          ("Fmax MHz", "fmax_mhz"), _ESTIMATE_COLUMN, ("status", "status"), ("time s", "run_seconds"))
# asic rows: Liberty cells at a clock (the power columns stay "-" until they are measured).
_ASIC_TABLE = (("design", "design"), ("library", "library"), ("clock ns", "clock_ns"),
               ("area um2", "area_um2"), ("cells", "cells"), ("FF", "ffs"), ("path ns", "critical_path_ns"),
               ("slack ns", "slack_ns"), ("Fmax MHz", "asic_fmax_mhz"), ("leak nW", "leakage_nw"),
               ("dyn uW", "dynamic_uw"), ("pJ/MAC", "energy_pj_per_mac"), ("status", "status"),
               ("time s", "run_seconds"))
_DECIMALS = {"fmax_mhz": 2, "fmax_estimate_mhz": 1, "asic_fmax_mhz": 1, "area_um2": 0, "critical_path_ns": 3,
             "slack_ns": 3, "leakage_nw": 2, "dynamic_uw": 2, "energy_pj_per_mac": 3, "run_seconds": 1}


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "sweep", help="synthesize (and place and route) a grid of units into the results store",
        description="Run a sweep (units x formats x parameters x targets): one shipped with hwgen, by "
                    "name (`hwgen sweeps` lists them), or your own TOML file (the format: "
                    "docs/synthesis.md). Points already in the store are reused; a failed tool run is a "
                    "failed row, never the end of the sweep.")
    parser.add_argument("config", metavar="SWEEP",
                        help="a shipped sweep's name (smoke, default, model, asic, ...) or a sweep TOML "
                             "file; an existing file wins over a name")
    add_store_options(parser)
    parser.add_argument("--jobs", type=int, metavar="N",
                        help="parallel local workers (default: the number of cores)")
    parser.add_argument("--scheduler", metavar="ADDRESS",
                        help="run on a Dask distributed cluster (e.g. tcp://10.0.0.5:8786) instead of "
                             "locally")
    parser.add_argument("--retry-failed", action="store_true",
                        help="compute failed and timed-out points again (their rows are replaced)")
    parser.add_argument("--csv", metavar="FILE", help="also export the whole store as CSV")
    parser.add_argument("--parquet", metavar="FILE", help="also export the whole store as Parquet")
    parser.add_argument("--dry-run", action="store_true", help="check the config and print the plan only")
    parser.add_argument("--quiet", action="store_true",
                        help="print only failed points and the closing summary line (no plan, progress "
                             "or table; with --dry-run, the plan line is that summary)")
    parser.set_defaults(func=run)


def add_store_options(parser, default_store: str | None = DEFAULT_STORE,
                      no_store: str = "none, nothing is cached") -> None:
    parser.add_argument("--store", default=default_store, metavar="FILE",
                        help=f"SQLite results store (default: {default_store or no_store})")
    parser.add_argument("--work-dir", metavar="DIR",
                        help="folder for tool runs (default: next to the store, or build/synth_work)")
    parser.add_argument("--keep-work", action="store_true",
                        help="keep the tool folders of successful points too (failed ones are always kept)")


def work_root(args) -> Path:
    if args.work_dir:
        return Path(args.work_dir)
    if args.store:
        store = Path(args.store)
        return store.with_name(f"{store.stem}_work")
    return Path("build/synth_work")


def run(args) -> int:
    from hwgen.fpga.executors import make_executor
    from hwgen.fpga.sweep import run_sweep
    from hwgen.fpga.sweep_config import describe, load_config
    from hwgen.fpga.sweep_progress import Progress
    from hwgen.fpga.sweeps import resolve
    from hwgen.results.store import ResultStore, check_store_file

    plan = load_config(resolve(args.config))
    if args.jobs is not None and args.scheduler:
        raise ValueError("--jobs and --scheduler exclude each other (a Dask cluster has its own workers)")
    if args.jobs is not None and (isinstance(args.jobs, bool) or args.jobs < 1):
        raise ValueError(f"--jobs must be an integer >= 1, not {args.jobs}")
    for option, value in (("--csv", args.csv), ("--parquet", args.parquet), ("--store", args.store)):
        if value:
            check_output_folder(Path(value).parent, option)
    exports = [(option, Path(path)) for option, path in (("--csv", args.csv), ("--parquet", args.parquet))
               if path]
    if args.parquet:
        require("pyarrow", "sweep")  # before the sweep, not after it
    for option, path in exports:
        _check_export(path, option)
    check_store_file(args.store)  # a folder or another application's database fails here, unchanged
    check_claimable(work_root(args), "--work-dir", scratch=True)
    if args.dry_run or not args.quiet:
        print(describe(plan), file=sys.stderr)
    if args.dry_run:
        return 0
    require("pandas", "sweep")  # the plan needs none of the extra; measuring and its table do
    claim_folder(work_root(args), "--work-dir", scratch=True)
    with ResultStore(args.store) as store:  # an unwritable store fails here, before any worker starts
        executor = make_executor(args.jobs, args.scheduler)
        summary = run_sweep(plan, store, executor=executor, work_root=work_root(args),
                            retry_failed=args.retry_failed, progress=Progress(enabled=not args.quiet))
        if args.quiet:
            print_failures(store, summary.keys)
        else:
            print_rows(store, summary.keys)
            print_fmax_choices(summary.fmax)
            print()
        print(f"{summary.total} points: {summary.cached} from the store, {summary.computed} computed, "
              f"{summary.failed} failed; {summary.seconds:.1f} s; store {args.store}")
        for option, path in exports:
            export = store.to_csv if option == "--csv" else store.to_parquet
            try:
                written = export(path)
            except OSError as error:
                raise ValueError(_cannot_write(option, path, error)) from None
            if not args.quiet:
                print(f"wrote {written}")
    return 0


def _check_export(path: Path, option: str) -> None:
    """``ValueError`` unless *path* can be written, found out before the sweep runs: an existing file
    must be an earlier export of a store (hwgen replaces no file it did not write) and is opened for
    appending (not a byte of it changes); a new one is created and removed again."""
    try:
        if path.is_file() and not _is_export(path, option):
            raise ValueError(f"{option} {path}: the file exists and is not a results export of hwgen's; "
                             f"choose another name")
        existed = path.exists()
        with path.open("a"):
            pass
        if not existed:
            path.unlink()
    except OSError as error:
        raise ValueError(_cannot_write(option, path, error)) from None


def _is_export(path: Path, option: str) -> bool:
    """Whether *path* holds exactly the store's columns (as :meth:`ResultStore.to_csv` / ``to_parquet``
    write them)."""
    from hwgen.results.store import (
        COLUMN_NAMES,
        VERSION_2_COLUMN_NAMES,
        VERSION_3_COLUMN_NAMES,
        VERSION_4_COLUMN_NAMES,
        VERSION_5_COLUMN_NAMES,
    )

    # an export of an older store (versions 1 and 2 share their columns) is ours too
    headers = (COLUMN_NAMES, VERSION_5_COLUMN_NAMES, VERSION_4_COLUMN_NAMES, VERSION_3_COLUMN_NAMES,
               VERSION_2_COLUMN_NAMES)
    try:
        if option == "--csv":
            with path.open(encoding="utf-8") as file:
                return tuple(file.readline().rstrip("\r\n").split(",")) in headers
        import pyarrow.parquet

        return tuple(pyarrow.parquet.read_schema(path).names) in headers
    except (OSError, UnicodeDecodeError, ImportError, ValueError):
        return False


def _cannot_write(option: str, path: Path, error: OSError) -> str:
    return f"{option} {path}: cannot write it: {error.strerror or error}"


def print_rows(store, keys) -> None:
    """The rows of *keys* as an aligned table, then the failed rows' messages."""
    from hwgen.fpga.sweep import plan_table

    frame = plan_table(store, keys)
    records = frame.to_dict("records")
    asic_records = [record for record in records if record["target"] == "asic"]
    other_records = [record for record in records if record["target"] != "asic"]
    if other_records or not records:
        estimated = any(not _is_missing(record.get(_ESTIMATE_COLUMN[1])) for record in other_records)
        table = [entry for entry in _TABLE if entry != _ESTIMATE_COLUMN or estimated]
        print_table([header for header, _ in table],
                    [[_cell(record[column], column) for _, column in table] for record in other_records])
    if asic_records:
        if other_records:
            print()
        print_table([header for header, _ in _ASIC_TABLE],
                    [[_cell(record[column], column) for _, column in _ASIC_TABLE] for record in asic_records])
        for line in _asic_conditions(asic_records):
            print(line)
    _print_failed(records)


def print_failures(store, keys) -> None:
    """Only the failed rows' messages of *keys* (`--quiet`)."""
    from hwgen.fpga.sweep import plan_table

    _print_failed(plan_table(store, keys).to_dict("records"))


def _print_failed(records) -> None:
    for record in records:
        if record["status"] != "ok":
            name = record["design"] or record["config"]
            print(f"{name} {record['target']}: {record['status']}: {record['error']}")


def print_fmax_choices(choices) -> None:
    """Each Fmax search's choice (hwgen.fpga.fmax) in two lines, under a heading naming its design."""
    if choices:
        print("\nFmax-directed pipelining (the store's fmax_choices table names each chosen row):")
    for choice in choices:
        lines = choice.lines()
        print(f"{choice.search.unit} {choice.search.options}")
        for line in lines:
            print(f"  {line}")


def _cell(value, column: str) -> str:
    if value is None or (not isinstance(value, str) and _is_missing(value)):
        return "-"
    if column == "dsp_allowed":
        return "yes" if value else "no"
    if column in _DECIMALS:
        return f"{value:.{_DECIMALS[column]}f}"
    if column == "clock_ns":
        return f"{value:g}"
    return str(value)


def _asic_conditions(records) -> list[str]:
    """One line per library, clock and tool versions of the asic rows: what their numbers assume."""
    from hwgen.errors import HwgenError
    from hwgen.fpga.asic import CONSTRAINTS, io_boundary

    conditions = {(record["library"], record["clock_ns"], record["yosys_version"], record["sta_version"],
                   None if _is_missing(record["power_method"]) else record["power_method"])
                  for record in records if record["status"] == "ok"}
    lines = []
    for library, clock, yosys, sta, power in sorted(conditions, key=str):
        try:
            boundary = io_boundary(library).description()
        except HwgenError:  # rows read on a machine without that library
            boundary = CONSTRAINTS
        lines.append(f"asic: {library} cells at a {clock:g} ns clock ({1000 / clock:g} MHz), abc -D "
                     f"sizing for it; Yosys {yosys}, OpenSTA {sta}; inputs driven by "
                     f"{boundary['input_drive']}, outputs loaded by {boundary['output_load']}; ideal clock, "
                     f"no wires; dynamic power and energy per MAC: {_power_summary(power)}")
    return lines


def _power_summary(method: str | None) -> str:
    if method is None:
        return "not measured (MAC, multiplier, adder, NN-LUT and LUT units only)"
    if method.startswith("not measured"):
        return method
    missed = method.partition("; at ")[2]
    return ("switching activity of the mapped netlist on a Gaussian operand stream (NN-LUT and LUT units: "
            "inputs uniform over the table's range; energy per evaluation), outputs checked "
            "against the golden model, energy from the Liberty tables (docs/asic.md)"
            + (f"; measured at {missed}" if missed else ""))


def _is_missing(value) -> bool:
    import pandas as pd

    return bool(pd.isna(value))
