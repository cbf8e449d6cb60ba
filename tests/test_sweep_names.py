"""Shipped sweeps run by name from any folder (issue 23): `hwgen sweep smoke` is the packaged
smoke.toml, a file of the user's wins over a name, an unknown name lists the shipped ones, `hwgen
sweeps` describes them, and `--quiet` prints only failures and the closing summary."""

import argparse
import importlib.util
from pathlib import Path

import pytest

from hwgen.cli import main, run_reporting_errors
from hwgen.cli import sweeps as sweeps_command
from hwgen.fpga import sweep
from hwgen.fpga.sweep import SweepSummary
from hwgen.fpga.sweep_config import load_config
from hwgen.fpga.sweeps import resolve

SWEEPS = Path(__file__).resolve().parents[1] / "fpga" / "sweeps"
NAMES = sorted(path.stem for path in SWEEPS.glob("*.toml"))
SMOKE_PLAN = "smoke: 2 designs x 2 flows (1 placed and routed, seeds 1) = 4 points\n"
MINE = """[sweep]
name = "mine"

[[units]]
kind = "mac"
formats = ["int4"]

[targets]
gates = {}
"""


def run_cli(argv, capsys):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("name", NAMES)
def test_every_shipped_sweep_parses_and_is_named_as_typed(name):
    plan = load_config(resolve(name))
    assert plan.name == name  # the store's sweep name is the name the user types
    assert plan.points > 0


@pytest.mark.parametrize("typed", ["smoke", "smoke.toml"])
def test_a_bare_name_is_the_shipped_file(typed, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no file of that name here
    assert resolve(typed).read_text() == (SWEEPS / "smoke.toml").read_text()


@pytest.mark.parametrize("typed", ["smoke", "smoke.toml"])
def test_a_file_of_the_users_wins_over_a_shipped_name(typed, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    Path(typed).write_text(MINE)
    code, _, err = run_cli(["sweep", typed, "--dry-run", "--store", tmp_path / "r.sqlite"], capsys)
    assert (code, err) == (0, "mine: 1 designs x 1 flows (0 placed and routed, seeds 1) = 1 points\n")


def test_a_shipped_name_runs_from_any_folder(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    code, out, err = run_cli(["sweep", "smoke", "--dry-run"], capsys)
    assert (code, out, err) == (0, "", SMOKE_PLAN)
    assert list(tmp_path.iterdir()) == []  # a dry run creates no store and no work folder


def test_an_unknown_name_is_one_line_listing_the_shipped_ones(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    code, out, err = run_cli(["sweep", "smok", "--dry-run"], capsys)
    assert (code, out) == (2, "")
    assert err == (f"hwgen sweep: error: no sweep file or shipped sweep called 'smok'; shipped sweeps: "
                   f"{', '.join(NAMES)} (`hwgen sweeps` describes them)\n")


def test_a_repository_path_outside_the_repository_names_the_shipped_sweep(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    code, _, err = run_cli(["sweep", "fpga/sweeps/smoke.toml", "--dry-run"], capsys)
    assert (code, err) == (2, "hwgen sweep: error: fpga/sweeps/smoke.toml: no such file; the shipped sweep "
                              "of that name runs with `hwgen sweep smoke`\n")


def test_sweep_help_names_no_repository_path(capsys):
    with pytest.raises(SystemExit):
        main(["sweep", "--help"])
    out = capsys.readouterr().out
    assert "fpga/sweeps" not in out and "shipped sweep" in out


# --- hwgen sweeps ------------------------------------------------------------------------------------


def sweeps_cli(capsys):
    """`hwgen sweeps` through a parser of its own (hwgen.cli lists the commands it registers)."""
    parser = argparse.ArgumentParser(prog="hwgen")
    sweeps_command.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["sweeps"])
    code = run_reporting_errors("hwgen sweeps", lambda: args.func(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.slow  # parsing asic_nnlut fits its NN-LUT tables (a few seconds)
def test_sweeps_lists_each_shipped_sweep_with_points_and_summary(capsys):
    code, out, err = sweeps_cli(capsys)
    assert (code, err) == (0, "")
    header, rule, *rows = out.splitlines()
    assert header.split()[:2] == ["name", "points"] and set(rule) <= {"-", " "}
    table = {row.split()[0]: row.split(maxsplit=2)[1:] for row in rows[:len(NAMES)]}
    assert sorted(table) == NAMES
    assert table["smoke"] == ["4", "A tiny sweep for tests and a first try: 2 formats x 2 targets, one of "
                                    "them placed and routed."]
    for name, (points, summary) in table.items():
        assert int(points) == load_config(resolve(name)).points, name
        assert summary.endswith(".") and "Run:" not in summary, name
    assert rows[-1].startswith("Run one with `hwgen sweep NAME`")


# --- --quiet -----------------------------------------------------------------------------------------


def gates_row(key, **changes):
    return {"key": key, "unit": "mac", "design": "mac_int4", "config": "{}", "target": "gates",
            "dsp_allowed": False, "pnr": False, "flow": {"target": "gates"}, "gates": 10, "ffs": 4,
            "transistors": 80, "status": "ok", **changes}


@pytest.fixture
def fake_sweep(monkeypatch):
    """run_sweep replaced: one finished row and one failed one, no tools run."""
    calls = []

    def fake_run_sweep(plan, store, **options):
        calls.append(options["progress"].enabled)
        failed = gates_row("f", design="mac_fp4", status="failed", error="yosys: boom")
        store.add_rows([gates_row("g"), failed])
        return SweepSummary(keys=["g", "f"], computed=2, failed=1)

    monkeypatch.setattr(sweep, "run_sweep", fake_run_sweep)
    return calls


def test_quiet_prints_only_failures_and_the_summary(tmp_path, capsys, fake_sweep):
    store = tmp_path / "r.sqlite"
    code, out, err = run_cli(["sweep", "smoke", "--store", store, "--csv", tmp_path / "r.csv", "--quiet"],
                             capsys)
    assert (code, err) == (0, "")
    assert out.splitlines() == ["mac_fp4 gates: failed: yosys: boom",
                                f"2 points: 0 from the store, 2 computed, 1 failed; 0.0 s; store {store}"]
    assert (tmp_path / "r.csv").is_file() and fake_sweep == [False]


def test_without_quiet_the_plan_table_and_exports_are_shown(tmp_path, capsys, fake_sweep):
    store = tmp_path / "r.sqlite"
    code, out, err = run_cli(["sweep", "smoke", "--store", store, "--csv", tmp_path / "r.csv"], capsys)
    assert (code, err) == (0, SMOKE_PLAN)
    lines = out.splitlines()
    assert lines[0].split()[:2] == ["design", "target"] and lines[-1] == f"wrote {tmp_path / 'r.csv'}"
    assert f"2 points: 0 from the store, 2 computed, 1 failed; 0.0 s; store {store}" in lines
    assert fake_sweep == [True]


def test_quiet_dry_run_prints_the_plan_as_its_summary(tmp_path, capsys):
    code, out, err = run_cli(["sweep", "smoke", "--dry-run", "--quiet", "--store", tmp_path / "r.sqlite"],
                             capsys)
    assert (code, out, err) == (0, "", SMOKE_PLAN)


# --- a missing extra ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("module", "option"), [("pandas", []), ("pyarrow", ["--parquet", "r.parquet"])])
def test_a_missing_extra_is_one_line_naming_it_before_any_work(module, option, tmp_path, monkeypatch,
                                                               capsys, fake_sweep):
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *args: None if name == module else real(name, *args))
    monkeypatch.chdir(tmp_path)
    code, out, err = run_cli(["sweep", "smoke", "--store", "r.sqlite", "--quiet", *option], capsys)
    assert (code, out) == (2, "")
    assert err == (f"hwgen sweep: error: the Python package '{module}' is not installed: "
                   f"pip install 'hwgen[sweep]'\n")
    assert fake_sweep == [] and list(tmp_path.iterdir()) == []
