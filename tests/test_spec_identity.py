"""One identity per design from the command line to the store and the report: the four spellings of
E4M3 give one stored config, one label and the same claims rows, through `synth`, a sweep plan, a store
written before specs (migrated on write, read canonically read-only) and the report's tables."""

import json
import sqlite3

import pytest
from test_cost_report import make_store

from hwgen.cli import main
from hwgen.cost_models import claims, dataset
from hwgen.cost_models.assemble import fabric_points
from hwgen.fpga.sweep_config import parse_config
from hwgen.results.store import ResultStore
from hwgen.specs import MacSpec

SPELLINGS = ("e4m3", "fp8_e4m3", "fp8_e4m3fn", "float8_e4m3fn")
CANONICAL = MacSpec("fp8_e4m3fn", "fp8_e4m3fn").to_json()


def test_a_sweep_plan_has_one_config_for_every_spelling():
    plan = parse_config({"sweep": {"name": "spellings"}, "targets": {"gates": {}},
                         "units": [{"kind": "mac", "formats": list(SPELLINGS)}]})
    assert {point.config for point in plan.designs} == {CANONICAL}


@pytest.mark.tools
@pytest.mark.slow
def test_synth_stores_one_config_for_every_spelling(tmp_path, capsys):
    store = tmp_path / "results.sqlite"
    for spelling in SPELLINGS:
        code = main(["synth", "mac", "--a", spelling, "--b", spelling, "--target", "gates",
                     "--store", str(store), "--work-dir", str(tmp_path / "work")])
        assert code == 0, capsys.readouterr().err
    with ResultStore(store, read_only=True) as opened:
        rows = opened.rows()
    assert len(rows) == 1 and rows[0]["config"] == CANONICAL and rows[0]["design"] == "mac_fp8_e4m3fn_fixed"


def _store_of_spellings(path):
    """The fixture's fp8_e4m3fn rows four times, once per spelling, as a store from before specs wrote
    them: the raw option dicts (`terms: null`) with the alias as given."""
    make_store(path, ("gates", "xc7"))
    with sqlite3.connect(path) as db:
        rows = db.execute("SELECT * FROM results WHERE design = 'mac_fp8_e4m3fn_fixed'").fetchall()
        columns = [c[1] for c in db.execute("PRAGMA table_info(results)")]
        db.execute("DELETE FROM results WHERE design = 'mac_fp8_e4m3fn_fixed'")
        for number, spelling in enumerate(SPELLINGS):
            raw = json.dumps({"a": spelling, "b": spelling, "acc": "fixed", "terms": None, "pipeline": 3,
                              "mul": "exact"}, sort_keys=True, separators=(",", ":"))
            for row in rows:
                values = dict(zip(columns, row, strict=True))
                values.update(key=f"{values['key']}-{number}", config=raw)
                marks = ", ".join("?" * len(columns))
                db.execute(f"INSERT INTO results ({', '.join(columns)}) VALUES ({marks})",
                           [values[c] for c in columns])
        db.execute("DELETE FROM meta WHERE name = 'config_form'")
    return path


def _claims_rows(points) -> dict[str, str]:
    """Each claim's outcome and evidence table as text (NaN compares equal to NaN there)."""
    table = fabric_points(points, dataset.fit_models(points))
    return {fn.__name__: f"{fn(table).outcome}\n{fn(table).evidence.to_csv(index=False)}"
            for fn in claims.ALL_CLAIMS}


def test_stored_spellings_are_one_design_in_the_report_tables(tmp_path):
    reference = dataset.mac_points(dataset.read_store(make_store(tmp_path / "new.sqlite", ("gates", "xc7"))))
    old = _store_of_spellings(tmp_path / "old.sqlite")
    read_only = dataset.mac_points(dataset.read_store(old))  # read canonically, the file untouched
    e4m3 = read_only[read_only["design"] == "mac_fp8_e4m3fn_fixed"]
    assert set(e4m3["label"]) == {"fp8_e4m3fn"} and set(e4m3["config"]) == {CANONICAL}
    assert len(e4m3) == len(reference[reference["design"] == "mac_fp8_e4m3fn_fixed"]) == 3  # target x DSP
    assert _claims_rows(read_only) == _claims_rows(reference)

    with ResultStore(old):  # opened for writing: migrated once
        pass
    with ResultStore(old, read_only=True) as opened:
        configs = {row["config"] for row in opened.rows("WHERE design = 'mac_fp8_e4m3fn_fixed'")}
    assert configs == {CANONICAL}
