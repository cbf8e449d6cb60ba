"""Nothing the user owns is lost or altered (issue 18): commands that only read a results store leave
every byte of it (and its folder) as it was, no command writes into another application's database,
metrics a target cannot have are NULL (not 0), and an unwritable --csv fails before the sweep."""

import hashlib
import json
import sqlite3
from contextlib import closing
from pathlib import Path

import pandas as pd
import pytest

from hwgen.cli import main
from hwgen.fpga import executors, sweep
from hwgen.fpga.points import _cell_columns
from hwgen.fpga.sweep import SweepSummary
from hwgen.fpga.targets import ASIC_COLUMNS, TARGETS
from hwgen.fpga.yosys_flow import parse_stat
from hwgen.results.store import (
    COLUMN_NAMES,
    ESTIMATE_COLUMNS,
    GATE_ENERGY_COLUMNS,
    PNR_PATH_COLUMNS,
    SCHEMA_VERSION,
    VERSION_2_COLUMN_NAMES,
    VERSION_3_COLUMN_NAMES,
    VERSION_4_COLUMN_NAMES,
    VERSION_5_COLUMN_NAMES,
    ResultStore,
)

ROOT = Path(__file__).resolve().parents[1]
SMOKE = str(ROOT / "fpga" / "sweeps" / "smoke.toml")
STATS = Path(__file__).parent / "fixtures" / "flow_stat"
NOT_A_STORE = "not a hwgen results store: {}"


def gates_row(key="g", **changes):
    return {"key": key, "unit": "mac", "design": "mac_int4", "config": "{}", "target": "gates",
            "dsp_allowed": False, "pnr": False, "flow": {"target": "gates"}, "gates": 10, "ffs": 4,
            "transistors": 80, "status": "ok", **changes}


def ice40_row(key="i", **changes):
    return {"key": key, "unit": "mac", "design": "mac_int4", "config": "{}", "target": "ice40",
            "dsp_allowed": False, "pnr": False, "flow": {"target": "ice40"}, "luts": 30, "ffs": 4,
            "carries": 3, "dsps": 0, "brams": 0, "status": "ok", **changes}


def make_file(kind: str, path: Path) -> Path:
    """A 0-byte file, another application's database, or a valid store (WAL mode, closed)."""
    if kind == "empty":
        path.write_bytes(b"")
    elif kind == "foreign":
        with sqlite3.connect(path) as db:
            db.execute("CREATE TABLE mydata (x INTEGER)")
            db.execute("INSERT INTO mydata VALUES (42)")
        db.close()
    else:
        with ResultStore(path) as store:  # no MAC row: pareto stops, report renders what it holds
            store.add_rows([gates_row(unit="null")])
    return path


def snapshot(path: Path) -> tuple[str, list[str]]:
    """The file's SHA-256 and every file of its folder (catches -wal, -shm and -journal leftovers)."""
    return hashlib.sha256(path.read_bytes()).hexdigest(), sorted(p.name for p in path.parent.iterdir())


def run_cli(argv, capsys):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def read_only_argv(command: str, store: Path, out: Path) -> list:
    if command == "report":
        return ["report", "--out", out, "--store", store]
    if command == "pareto":
        return ["pareto", "--target", "xc7", "--cost", "luts", "--accuracy", "sqnr_gaussian_db",
                "--out", out / "front.png", "--store", store]
    return ["sweep", SMOKE, "--dry-run", "--store", store, "--quiet"]


def measured_row(target: str) -> dict:
    """The row a sweep makes of a captured Yosys `stat` of the int4 MAC on *target*."""
    stat = json.loads((STATS / f"{target}_mac_int4.json").read_text())
    cells = parse_stat(stat, "mac_int4_fixed_k4_p1", target)
    return {"key": target, "unit": "mac", "design": "mac_int4_fixed_k4_p1", "config": "{}", "target": target,
            "dsp_allowed": False, "pnr": False, "flow": {"target": target}, "status": "ok",
            **_cell_columns(cells, target)}


@pytest.fixture
def no_sweep(monkeypatch):
    """run_sweep replaced: the calls are recorded, and each stores the rows of two captured runs."""
    calls = []

    def fake_run_sweep(plan, store, **options):
        calls.append(plan.name)
        rows = [measured_row("gates"), measured_row("ice40")]
        store.add_rows(rows)
        return SweepSummary(keys=[row["key"] for row in rows], computed=len(rows))

    monkeypatch.setattr(sweep, "run_sweep", fake_run_sweep)
    monkeypatch.setattr(executors, "make_executor", lambda jobs, scheduler: None)
    return calls


# --- (3) read-only commands and foreign databases --------------------------------------------------


@pytest.mark.parametrize("command", ["report", "pareto", "sweep --dry-run"])
@pytest.mark.parametrize("kind", ["empty", "foreign", "store"])
def test_read_only_commands_change_no_byte(tmp_path, capsys, command, kind):
    folder = tmp_path / "data"
    folder.mkdir()
    store = make_file(kind, folder / "results.sqlite")
    before = snapshot(store)
    code, _, err = run_cli(read_only_argv(command, store, tmp_path / "out"), capsys)
    assert snapshot(store) == before
    name = command.split()[0]
    if (name, kind) == ("report", "store"):  # no MAC row: the report renders what the store holds
        assert code == 0 and (tmp_path / "out" / "index.html").is_file()
        assert "no measured MAC" in (tmp_path / "out" / "index.html").read_text()
        return
    assert not (tmp_path / "out").exists()
    if kind == "foreign" or (kind == "empty" and name != "sweep"):
        assert (code, err) == (2, f"hwgen {name}: error: {NOT_A_STORE.format(store)}\n")
    elif name == "sweep":  # a real sweep would create its store in the empty file, or use the store
        assert (code, err) == (0, "smoke: 2 designs x 2 flows (1 placed and routed, seeds 1) = 4 points\n")
    else:
        assert code == 2 and err.count("\n") == 1 and "no successful MAC rows" in err


def test_read_only_command_on_a_missing_store_creates_nothing(tmp_path, capsys):
    store = tmp_path / "data" / "results.sqlite"
    for command in ("report", "pareto"):
        code, _, err = run_cli(read_only_argv(command, store, tmp_path / "out"), capsys)
        assert code == 2 and err.count("\n") == 1
        assert f"results store {store} does not exist" in err and "hwgen sweep" in err
        assert f"--store {store}" in err
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(ValueError, match=r"does not exist; `hwgen sweep CONFIG.toml --store .*` creates it$"):
        ResultStore(store, read_only=True)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("text", [b"hello, this is not SQLite\n", b"SQLite format 3\0" + b"\0" * 200])
def test_files_that_are_no_database_are_refused_by_every_opener(tmp_path, text):
    path = tmp_path / "notes.sqlite"
    path.write_bytes(text)
    for read_only in (True, False):
        with pytest.raises(ValueError, match=rf"^not a hwgen results store: {path}$"):
            ResultStore(path, read_only=read_only)
    assert path.read_bytes() == text and list(tmp_path.iterdir()) == [path]


def test_sweep_and_synth_refuse_a_foreign_database(tmp_path, capsys, no_sweep):
    store = make_file("foreign", tmp_path / "mine.sqlite")
    before = snapshot(store)
    code, out, err = run_cli(["sweep", SMOKE, "--store", store, "--quiet"], capsys)
    assert (code, out, err) == (2, "", f"hwgen sweep: error: {NOT_A_STORE.format(store)}\n")
    code, out, err = run_cli(["synth", "mac", "--a", "int4", "--b", "int4", "--target", "gates",
                              "--store", store], capsys)
    assert (code, out, err) == (2, "", f"hwgen synth: error: {NOT_A_STORE.format(store)}\n")
    assert snapshot(store) == before and no_sweep == []
    with sqlite3.connect(store) as db:
        assert db.execute("SELECT name FROM sqlite_master").fetchall() == [("mydata",)]
    db.close()


def test_sweep_creates_its_store_in_a_new_or_empty_file(tmp_path, capsys, no_sweep):
    for store in (make_file("empty", tmp_path / "empty.sqlite"), tmp_path / "new" / "r.sqlite"):
        code, _, err = run_cli(["sweep", SMOKE, "--store", store, "--quiet"], capsys)
        assert (code, err) == (0, "")  # --quiet: no plan line
        with ResultStore(store, read_only=True) as results:
            assert results.count() == 2
    assert no_sweep == ["smoke", "smoke"]


def test_a_reader_sees_the_rows_a_running_writer_committed(tmp_path):
    with ResultStore(tmp_path / "r.sqlite") as writer:
        writer.add_rows([gates_row("a")])
        siblings = sorted(p.name for p in tmp_path.iterdir())
        assert "r.sqlite-wal" in siblings  # the writer's WAL holds the row, not yet the main file
        with ResultStore(tmp_path / "r.sqlite", read_only=True) as reader:
            assert [row["key"] for row in reader.rows()] == ["a"]
            with pytest.raises(sqlite3.OperationalError, match="readonly"):
                reader.add_rows([gates_row("b")])
        writer.add_rows([gates_row("b")])
        assert sorted(p.name for p in tmp_path.iterdir()) == siblings
    assert [p.name for p in tmp_path.iterdir()] == ["r.sqlite"]


# --- (6) metrics a target cannot have are NULL ------------------------------------------------------


def test_each_target_names_the_metrics_it_cannot_have():
    missing = {name: set(target.inapplicable_columns) for name, target in TARGETS.items()}
    assert missing["gates"] == {"luts", "carries", "dsps", "brams", "lutrams"}
    assert missing["xc7"] == {"gates", "transistors", "transistors_complete"}
    assert missing["ecp5"] == {"gates", "inverters", "transistors", "transistors_complete"}
    assert missing["ice40"] == {"gates", "lutrams", "muxes", "inverters", "transistors",
                                "transistors_complete"}
    assert missing["asic"] == {"luts", "carries", "dsps", "brams", "lutrams", "gates", "transistors",
                               "transistors_complete"}
    for columns in missing.values():  # every target has flip-flops and a count of other cells
        assert not {"ffs", "other_cells"} & columns


def older_store(path: Path, version: int) -> Path:
    """A store as schema *version* left it: no xc7 estimate columns (version 5), no critical path column
    (version 4), no gate-level energy
    columns (version 3), no asic columns (version 2), and zeros for the metrics a target cannot have
    (version 1)."""
    with ResultStore(path) as store:
        store.add_rows([gates_row(), ice40_row(), gates_row("f", status="failed", gates=None)])
    with sqlite3.connect(path) as db:
        dropped = (*ESTIMATE_COLUMNS, *(PNR_PATH_COLUMNS if version < 5 else ()),
                   *(GATE_ENERGY_COLUMNS if version < 4 else ()),
                   *(ASIC_COLUMNS if version < 3 else ()))
        for column in dropped:
            db.execute(f"ALTER TABLE results DROP COLUMN {column}")
        if version == 1:
            db.execute("UPDATE results SET luts = 0, carries = 0, dsps = 0, brams = 0, lutrams = 0 "
                       "WHERE target = 'gates' AND status = 'ok'")
            db.execute("UPDATE results SET gates = 0, lutrams = 0, muxes = 0, inverters = 0 "
                       "WHERE target = 'ice40'")
        db.execute("UPDATE meta SET value = ? WHERE name = 'schema_version'", (str(version),))
    db.close()
    return path


def stored_columns(path: Path) -> tuple[str, tuple[str, ...]]:
    """The schema version and the results table's columns, read with sqlite3 itself."""
    with closing(sqlite3.connect(path)) as db:
        version = db.execute("SELECT value FROM meta WHERE name = 'schema_version'").fetchone()[0]
        return version, tuple(row[1] for row in db.execute("PRAGMA table_info(results)"))


def check_nulls(frame: pd.DataFrame) -> None:
    gates = frame[frame["key"] == "g"].iloc[0]
    ice40 = frame[frame["key"] == "i"].iloc[0]
    assert pd.isna(gates["luts"]) and pd.isna(gates["carries"]) and pd.isna(gates["dsps"])
    assert (gates["gates"], gates["ffs"]) == (10, 4)
    assert pd.isna(ice40["gates"]) and pd.isna(ice40["muxes"]) and pd.isna(ice40["transistors"])
    assert (ice40["luts"], ice40["dsps"], ice40["brams"]) == (30, 0, 0)  # a real 0 stays 0


def check_no_asic_numbers(frame: pd.DataFrame) -> None:
    columns = [*ASIC_COLUMNS, *GATE_ENERGY_COLUMNS, *PNR_PATH_COLUMNS, *ESTIMATE_COLUMNS]
    assert set(columns) <= set(frame.columns)
    assert frame[columns].isna().all().all()


@pytest.mark.parametrize("version", [1, 2, 3, 4, 5])
def test_an_older_store_reads_as_the_current_one_without_being_written(tmp_path, version):
    store = older_store(tmp_path / "r.sqlite", version)
    columns = {5: VERSION_5_COLUMN_NAMES, 4: VERSION_4_COLUMN_NAMES, 3: VERSION_3_COLUMN_NAMES}.get(
        version, VERSION_2_COLUMN_NAMES)
    assert stored_columns(store) == (str(version), columns)
    before = snapshot(store)
    with ResultStore(store, read_only=True) as results:
        frame = results.dataframe()
    check_nulls(frame)
    check_no_asic_numbers(frame)
    assert snapshot(store) == before


@pytest.mark.parametrize("version", [1, 2, 3, 4, 5])
def test_opening_an_older_store_for_writing_migrates_it_all_the_way(tmp_path, version):
    store = older_store(tmp_path / "r.sqlite", version)
    with ResultStore(store) as results:
        check_nulls(results.dataframe())
        check_no_asic_numbers(results.dataframe())
        keys = {row["key"] for row in results.rows()}
        # The migrated store takes asic rows and gate-level energy.
        results.add_rows([gates_row("a", target="asic", gates=None, transistors=None, library="osu018",
                                    clock_ns=10.0, area_um2=123.5, cells=7, sta_version="2.0.17"),
                          gates_row("e", energy_per_mac_gaussian=1827.7, energy_per_mac_laplace=1810.4,
                                    toggle_rate=0.81, energy_macs=2048, energy_method="unit-delay",
                                    icarus_version="11.0")])
        frame = results.dataframe().set_index("key")
    asic, energy = frame.loc["a"], frame.loc["e"]
    assert (asic["library"], asic["clock_ns"], asic["area_um2"], asic["cells"]) == ("osu018", 10.0, 123.5, 7)
    assert (energy["energy_per_mac_gaussian"], energy["energy_macs"], energy["icarus_version"]) == (
        1827.7, 2048, "11.0")
    version_now, columns = stored_columns(store)
    assert version_now == str(SCHEMA_VERSION) == "6"
    assert set(columns) == set(COLUMN_NAMES)
    with closing(sqlite3.connect(store)) as db:
        assert db.execute("SELECT COUNT(*) FROM results WHERE target = 'gates' AND luts IS NOT NULL"
                          ).fetchone() == (0,)
        assert {key for (key,) in db.execute("SELECT key FROM results")} == keys | {"a", "e"}
    assert keys == {"g", "i", "f"}
    with ResultStore(store) as results:  # a second open finds nothing left to migrate
        assert results.count() == 5


def test_sweep_prints_and_exports_not_applicable_metrics_as_blanks(tmp_path, capsys, no_sweep):
    csv = tmp_path / "r.csv"
    argv = ["sweep", SMOKE, "--store", tmp_path / "r.sqlite", "--csv", csv]
    code, out, _ = run_cli(argv, capsys)
    assert code == 0
    header, _, gates_line, ice40_line = out.splitlines()[:4]
    columns = header.split()
    assert columns[4:9] == ["LUT", "FF", "carry", "DSP", "BRAM"]
    assert gates_line.split()[4:11] == ["-", "12", "-", "-", "-", "203", "1590"]
    assert ice40_line.split()[4:11] == ["74", "12", "7", "0", "0", "-", "-"]  # no DSP used: a real 0
    exported = pd.read_csv(csv)
    gates, ice40 = exported.iloc[0], exported.iloc[1]
    assert gates[["luts", "carries", "dsps", "brams", "lutrams"]].isna().all()
    assert ice40[["gates", "muxes", "lutrams", "inverters", "transistors"]].isna().all()
    assert exported["luts"].mean() == 74 and exported["gates"].mean() == 203  # no 0 pulls averages down


# --- (4) an unwritable --csv fails before the sweep ----------------------------------------------------


@pytest.mark.parametrize("option", ["--csv", "--parquet"])
@pytest.mark.parametrize("where", ["folder", "long name"])
def test_unwritable_export_path_fails_before_any_work(tmp_path, capsys, no_sweep, option, where):
    target = tmp_path if where == "folder" else tmp_path / ("x" * 300 + ".csv")
    code, out, err = run_cli(["sweep", SMOKE, "--store", tmp_path / "r.sqlite", option, target, "--quiet"],
                             capsys)
    assert (code, out) == (2, "")
    assert err.startswith(f"hwgen sweep: error: {option} {target}: cannot write it: ")
    assert err.count("\n") == 1
    assert no_sweep == [] and not (tmp_path / "r.sqlite").exists()


def test_export_check_keeps_an_existing_file_and_leaves_no_new_one(tmp_path, capsys, no_sweep):
    kept = tmp_path / "old.csv"
    kept.write_text(",".join(COLUMN_NAMES) + "\n")  # an earlier export: hwgen may replace it, later
    for csv in (kept, tmp_path / "new.csv"):
        code, _, _ = run_cli(["sweep", SMOKE, "--dry-run", "--store", tmp_path / "r.sqlite", "--csv", csv],
                             capsys)
        assert code == 0
    assert kept.read_text() == ",".join(COLUMN_NAMES) + "\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["old.csv"]


def test_an_export_failing_after_the_sweep_is_one_line(tmp_path, capsys, no_sweep, monkeypatch):
    def disk_full(self, path):
        raise OSError(28, "No space left on device", str(path))

    monkeypatch.setattr(ResultStore, "to_csv", disk_full)
    csv = tmp_path / "r.csv"
    argv = ["sweep", SMOKE, "--store", tmp_path / "r.sqlite", "--csv", csv, "--quiet"]
    code, _, err = run_cli(argv, capsys)
    assert code == 2
    assert err.splitlines() == [f"hwgen sweep: error: --csv {csv}: cannot write it: "
                                "No space left on device"]
    assert no_sweep == ["smoke"]
