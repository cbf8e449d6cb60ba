"""Area against Fmax and the Pareto front at a clock on the timed targets (ice40, ecp5 placed; xc7
estimated): the tables from hand-made rows whose answers are known, then the report and `hwgen pareto`
on a real placed sweep and a real xc7 sweep."""

import csv
import json

import pandas as pd
import pytest

from hwgen.cli import main
from hwgen.cost_models import axes
from hwgen.cost_models.fmax_section import check_clock_mhz, default_clock_mhz
from hwgen.fpga.executors import InlineExecutor
from hwgen.fpga.sweep import run_sweep
from hwgen.fpga.sweep_config import parse_config
from hwgen.results.store import ResultStore


def placed_row(fmt, pipeline, *, luts, ffs, fmax, sqnr, target="ice40", dsps=0, dsp_allowed=1):
    config = {"a": fmt, "b": fmt, "acc": "fixed", "terms": 64, "pipeline": pipeline, "mul": "exact"}
    label = fmt if pipeline == 3 else f"{fmt} p{pipeline}"
    return {"label": label, "config": json.dumps(config), "format_a": fmt, "format_b": fmt, "acc": "fixed",
            "terms": 64, "pipeline": pipeline, "mul": "exact", "target": target, "dsp_allowed": dsp_allowed,
            "predicted": False, "luts": luts, "ffs": ffs, "dsps": dsps, "placed_dsps": dsps,
            "fmax_mhz": fmax, "sqnr_gaussian_db": sqnr}


ROWS = pd.DataFrame([
    placed_row("int8", 1, luts=28, ffs=2, fmax=99.0, sqnr=39.3, dsps=1),
    placed_row("int8", 3, luts=50, ffs=28, fmax=67.0, sqnr=39.3, dsps=1),
    placed_row("fp4_e2m1", 1, luts=67, ffs=17, fmax=53.0, sqnr=17.6),
    placed_row("fp4_e2m1", 2, luts=68, ffs=28, fmax=75.0, sqnr=17.6),
    placed_row("fp4_e2m1", 3, luts=68, ffs=37, fmax=79.0, sqnr=17.6),
    placed_row("fp6_e2m3", 1, luts=118, ffs=21, fmax=32.0, sqnr=30.4),
    placed_row("fp6_e2m3", 4, luts=107, ffs=66, fmax=68.0, sqnr=30.4),
    placed_row("fp8_e5m2", 3, luts=326, ffs=116, fmax=25.0, sqnr=25.5),  # one depth: no line
    placed_row("int8", 1, luts=25, ffs=24, fmax=117.0, sqnr=39.3, target="ecp5", dsps=1),
])


def test_the_front_at_a_clock_keeps_each_design_at_any_depth_that_reaches_it():
    at_70 = axes.pareto_table(ROWS, "ice40", "luts", "sqnr_gaussian_db", clock_ns=1000 / 70)
    assert set(at_70["design"]) == {"int8 p1 (+1 DSP)", "fp4_e2m1 p2", "fp4_e2m1"}  # fp6 p4 misses by 2 MHz
    assert list(at_70.loc[at_70["on_front"], "design"]) == ["int8 p1 (+1 DSP)"]  # smaller and more accurate
    at_60 = axes.pareto_table(ROWS, "ice40", "luts", "sqnr_gaussian_db", clock_ns=1000 / 60)
    assert "fp6_e2m3 p4" in set(at_60["design"]) and "fp6_e2m3 p1" not in set(at_60["design"])
    # exactly at the clock is meeting it
    assert "fp4_e2m1 p2" in set(axes.pareto_table(ROWS, "ice40", "luts", "sqnr_gaussian_db",
                                                   clock_ns=1000 / 75)["design"])
    assert axes.pareto_table(ROWS, "ice40", "luts", "sqnr_gaussian_db", clock_ns=5).empty  # 200 MHz: none


def test_a_clock_needs_timing():
    with pytest.raises(ValueError, match=r"^a clock is chosen on asic, ice40, ecp5 \(measured timing\) or "
                                         r"xc7 \(estimated\), not on gates: its points have no timing$"):
        axes.at_clock(ROWS.assign(target="gates"), "gates", 10)
    with pytest.raises(ValueError, match=r"^no xc7 point in the store has an Fmax estimate"):
        axes.at_clock(ROWS.assign(target="xc7"), "xc7", 10)  # rows without the estimate's column
    unplaced = ROWS.assign(fmax_mhz=float("nan"))
    with pytest.raises(ValueError, match=r"^no ice40 point in the store was placed and routed.*"
                                         r"`hwgen sweep fmax`\)$"):
        axes.at_clock(unplaced[unplaced["target"] == "ice40"], "ice40", 10)
    with pytest.raises(ValueError, match=r"^clock must be a period in ns > 0"):
        axes.at_clock(ROWS, "ice40", 0)


def test_area_against_fmax_is_one_line_per_design_through_its_depths():
    series = axes.area_against_fmax(ROWS, "ice40")
    assert list(series) == ["fp4_e2m1 +DSP", "fp6_e2m3 +DSP", "int8 +DSP"]  # fp8_e5m2 has one depth
    assert series["fp4_e2m1 +DSP"] == ([53.0, 75.0, 79.0], [84.0, 96.0, 105.0], [1, 2, 3])
    assert series["int8 +DSP"] == ([99.0, 67.0], [30.0, 78.0], [1, 3])
    fabric = axes.area_against_fmax(ROWS.assign(dsp_allowed=0), "ice40")
    assert "int8" in fabric and "int8 +DSP" not in fabric
    assert axes.area_against_fmax(ROWS, "ecp5") == {}  # one depth only
    with pytest.raises(ValueError, match="needs a target with an Fmax"):
        axes.area_against_fmax(ROWS, "gates")


# xc7 rows: nextpnr never ran (fmax_mhz NaN), the estimate is the Fmax they are drawn and chosen by.
ESTIMATED = ROWS[ROWS["target"] == "ice40"].assign(
    target="xc7", fmax_estimate_mhz=lambda rows: rows["fmax_mhz"] * 3, fmax_mhz=float("nan"))


def test_xc7_rows_are_timed_by_their_estimate():
    assert axes.fmax_column("xc7") == "fmax_estimate_mhz" and axes.fmax_column("ice40") == "fmax_mhz"
    assert "estimated" in axes.fmax_label("xc7") and "estimated" not in axes.fmax_label("ecp5")
    series = axes.area_against_fmax(ESTIMATED, "xc7")
    assert series["fp4_e2m1 +DSP"] == ([159.0, 225.0, 237.0], [84.0, 96.0, 105.0], [1, 2, 3])
    at_210 = axes.pareto_table(ESTIMATED, "xc7", "luts", "sqnr_gaussian_db", clock_ns=1000 / 210)
    assert set(at_210["design"]) == {"int8 p1 (+1 DSP)", "fp4_e2m1 p2", "fp4_e2m1"}  # 3 x the ice40 answer
    assert default_clock_mhz(ESTIMATED, "xc7") == 200.0  # median 201 MHz, rounded down


def test_the_default_clock_is_the_median_fmax_rounded_down_to_5_mhz():
    assert default_clock_mhz(ROWS, "ice40") == 65.0  # median of 8 Fmax values: (67 + 68) / 2
    assert default_clock_mhz(ROWS, "ecp5") == 115.0
    assert check_clock_mhz(None) is None and check_clock_mhz(150.0) == 150.0
    for bad in (0, -5.0, float("nan"), float("inf")):
        with pytest.raises(ValueError, match=r"^--clock-mhz must be a frequency in MHz > 0"):
            check_clock_mhz(bad)


# --- a real placed sweep, read by the report and by `hwgen pareto` ---------------------------------------


@pytest.fixture(scope="module")
def placed_store(tmp_path_factory):
    folder = tmp_path_factory.mktemp("placed")
    config = parse_config({"sweep": {"name": "two_depths", "seeds": [1]},
                           "units": [{"kind": "mac", "formats": ["int4", "fp4_e2m1"],
                                      "params": {"terms": 4, "pipeline": [1, 2]}}],
                           "targets": {"ice40": {"dsp": True, "pnr": True}}})
    with ResultStore(folder / "placed.sqlite") as store:
        summary = run_sweep(config, store, executor=InlineExecutor(), work_root=folder / "work")
    assert (summary.computed, summary.failed) == (4, 0)
    return folder / "placed.sqlite"


@pytest.mark.tools
def test_the_report_draws_area_against_fmax_and_the_front_at_the_chosen_clock(placed_store, tmp_path,
                                                                               capsys):
    with ResultStore(placed_store, read_only=True) as store:
        fmax = {json.loads(row["config"])["a"] + f" p{json.loads(row['config'])['pipeline']}": row["fmax_mhz"]
                for row in store.rows()}
    clock = min(fmax.values()) + 0.01  # the slowest point misses it, every other one meets it
    code = main(["report", "--store", str(placed_store), "--out", str(tmp_path / "report"), "--no-minilm",
                 "--no-energy", "--quiet", "--clock-mhz", str(clock)])
    assert code == 0
    plots = {path.name for path in (tmp_path / "report" / "plots").iterdir()}
    assert {"area_fmax_ice40.svg", "area_fmax_ice40.png", f"pareto_ice40_luts_at_{clock:g}mhz.svg"} <= plots
    with open(tmp_path / "report" / "tables" / "fronts_at_clock.csv", newline="") as table:
        rows = list(csv.DictReader(table))
    slowest = min(fmax, key=fmax.get)
    assert len(rows) == 3 and all(float(row["Fmax MHz"]) >= clock - 0.05 for row in rows)
    assert slowest not in {row["design"].split(" (+")[0].replace(" k4", "") for row in rows}
    page = (tmp_path / "report" / "index.html").read_text()
    assert "Area against Fmax" in page and f"reaches {clock:g} MHz (chosen)" in page

    code = main(["pareto", "--target", "ice40", "--cost", "luts", "--accuracy", "sqnr_gaussian_db",
                 "--clock-ns", str(1000 / clock), "--store", str(placed_store), "--out",
                 str(tmp_path / "front.png"), "--quiet"])
    out = capsys.readouterr().out
    assert code == 0 and "left out (below that placed Fmax, or without sqnr_gaussian_db): " in out
    assert (tmp_path / "front.svg").exists()


@pytest.mark.tools
def test_the_report_and_pareto_draw_xc7_by_its_estimate_and_say_so(tmp_path, capsys):
    config = parse_config({"sweep": {"name": "xc7_depths"},
                           "units": [{"kind": "mac", "formats": ["int4", "fp4_e2m1"],
                                      "params": {"terms": 4, "pipeline": [1, 2]}}],
                           "targets": {"xc7": {"dsp": False}}})
    store_path = tmp_path / "xc7.sqlite"
    with ResultStore(store_path) as store:
        summary = run_sweep(config, store, executor=InlineExecutor(), work_root=tmp_path / "work")
        estimates = [row["fmax_estimate_mhz"] for row in store.rows()]
    assert (summary.computed, summary.failed) == (4, 0) and all(estimates)
    clock = min(estimates) + 0.01  # every point but the slowest meets it
    code = main(["report", "--store", str(store_path), "--out", str(tmp_path / "report"), "--no-minilm",
                 "--no-energy", "--quiet", "--clock-mhz", str(clock)])
    assert code == 0
    plots = {path.name for path in (tmp_path / "report" / "plots").iterdir()}
    assert {"area_fmax_xc7.svg", f"pareto_xc7_luts_at_{clock:g}mhz.svg"} <= plots
    with open(tmp_path / "report" / "tables" / "fronts_at_clock.csv", newline="") as table:
        rows = list(csv.DictReader(table))
    assert len(rows) == 3 and {row["timing"] for row in rows} == {"estimate"}
    page = (tmp_path / "report" / "index.html").read_text()
    assert f"xc7 (estimate): the front of the designs whose estimated Fmax reaches {clock:g} MHz" in page

    capsys.readouterr()
    code = main(["pareto", "--target", "xc7", "--cost", "luts", "--accuracy", "sqnr_gaussian_db",
                 "--clock-ns", str(1000 / clock), "--store", str(store_path), "--out",
                 str(tmp_path / "front.svg"), "--quiet"])
    out = capsys.readouterr().out
    assert code == 0 and "left out (below that estimated Fmax, or without sqnr_gaussian_db): " in out
