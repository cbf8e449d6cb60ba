"""`hwgen pareto` and `hwgen report`: bad input is one line and exit 2 with nothing written; a report
from a captured results store renders with every section, plot and table."""

import re
from pathlib import Path

import matplotlib.image
import pandas as pd
import pytest

from hwgen.cli import main
from hwgen.results.store import COLUMN_NAMES, ResultStore

FIXTURE = Path(__file__).parent / "fixtures" / "cost" / "results.csv"
SMALL_TARGETS = ("xc7", "gates")
# A few designs keep the report test short: integers, the 4- to 8-bit floats, dINT4, L-Mul, fp32 acc.
SMALL_LABELS = re.compile(r"(u?int\d|int8xint\d|int6xint4|dint4xint8|fp\d_e\dm\d\w*|fp8_e4m3fn lmul|"
                          r"fp8_e4m3fn/fp32)")


def make_store(path: Path, targets=None, designs=None) -> Path:
    rows = pd.read_csv(FIXTURE)
    if targets:
        rows = rows[rows["target"].isin(targets)]
    if designs is not None:
        rows = rows[rows["design"].map(designs)]
    records = []
    for record in rows.to_dict("records"):
        full = {name: record.get(name) for name in COLUMN_NAMES}
        records.append({k: (None if isinstance(v, float) and v != v else v) for k, v in full.items()})
    with ResultStore(path) as store:
        store.add_rows(records)
    return path


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    return make_store(tmp_path_factory.mktemp("store") / "results.sqlite")


def run_cli(argv, capsys):
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("extra, message", [
    (["--target", "virtex2", "--cost", "luts", "--accuracy", "sqnr_gaussian_db"],
     "target must be one of xc7, ice40, ecp5, gates, asic, not 'virtex2'"),
    (["--target", "xc7", "--cost", "watts", "--accuracy", "sqnr_gaussian_db"], "cost must be one of luts"),
    (["--target", "xc7", "--cost", "luts", "--accuracy", "top1"], "unknown accuracy metric 'top1'"),
    (["--target", "xc7", "--cost", "gates", "--accuracy", "sqnr_gaussian_db"],
     "cost gates is not measured on xc7"),
])
def test_pareto_bad_input(tmp_path, store, capsys, extra, message):
    out = tmp_path / "front.png"
    code, _, err = run_cli(["pareto", *extra, "--store", str(store), "--out", str(out)], capsys)
    assert code == 2
    assert message in err and len(err.strip().splitlines()) == 1
    assert list(tmp_path.iterdir()) == []


def test_missing_and_empty_store(tmp_path, capsys):
    for name in ("missing.sqlite", "empty.sqlite"):
        store = tmp_path / name
        if name == "empty.sqlite":
            ResultStore(store).close()
        for argv in (["pareto", "--target", "xc7", "--cost", "luts", "--accuracy", "sqnr_gaussian_db",
                      "--out", str(tmp_path / "out" / "f.png")], ["report", "--out", str(tmp_path / "out")]):
            code, _, err = run_cli([*argv, "--store", str(store)], capsys)
            assert code == 2 and len(err.strip().splitlines()) == 1
            assert "run `hwgen sweep" in err
            assert not (tmp_path / "out").exists()


def test_report_rejects_a_bad_sentence_count(tmp_path, store, capsys):
    code, _, err = run_cli(["report", "--out", str(tmp_path / "r"), "--store", str(store),
                            "--minilm-sentences", "0"], capsys)
    assert code == 2 and "--minilm-sentences must be between 1 and 64, not 0" in err
    assert not (tmp_path / "r").exists()


def test_pareto_writes_both_images_and_prints_the_front(tmp_path, store, capsys):
    out = tmp_path / "front.svg"
    code, stdout, _ = run_cli(["pareto", "--target", "gates", "--cost", "transistors", "--accuracy",
                               "sqnr_laplace_db", "--store", str(store), "--out", str(out), "--quiet"],
                              capsys)
    assert code == 0
    png, svg = out.with_suffix(".png"), out
    assert matplotlib.image.imread(png).shape[0] > 100
    text = svg.read_text()
    assert "transistors per MAC" in text and "SQNR, Laplace (dB)" in text and "predicted" in text
    assert "points on the front" in stdout and "int2" in stdout


@pytest.mark.slow
def test_report_renders_every_section(tmp_path, capsys):
    small = make_store(tmp_path / "small.sqlite", SMALL_TARGETS,
                       designs=lambda d: bool(SMALL_LABELS.search(d)) and "_p" not in d and "_k" not in d)
    out = tmp_path / "report"
    code, stdout, _ = run_cli(["report", "--out", str(out), "--store", str(small), "--no-energy",
                               "--no-minilm", "--quiet"], capsys)
    assert code == 0 and "index.html" in stdout
    assert "\nxc7: SQNR >= 15 dB" in "\n" + stdout  # the first screen's answer, in the terminal too
    page = (out / "index.html").read_text()
    # the first screen answers "which format": its heading comes before every other section
    assert page.index("<h2") == page.index('<h2 id="decide">Which format for my target?</h2>')
    assert "xc7 (" in page and " designs measured): SQNR &gt;= 15 dB: " in page
    for section in ("Area models", "Accuracy per design", "Pareto fronts",
                    "The seeds&#x27; claims, re-measured",
                    "dINT4 x INT8 vs INT8 x INT8", "Minifloat vs integer on FPGAs", "Precision alignment",
                    "L-Mul vs exact multiply", "Tool versions", "FINN-R"):
        assert section in page, section
    assert re.search(r'class="(agree|disagree|partly)"', page)
    plots = sorted((out / "plots").glob("*.svg"))
    assert len(plots) >= 3
    for svg in plots:
        assert svg.with_suffix(".png").stat().st_size > 10_000
        assert f'src="plots/{svg.name}"' in page
    tables = {p.stem for p in (out / "tables").glob("*.csv")}
    assert {"area_model_fit", "finn_r_xc7", "accuracy", "accuracy_formats", "pareto_points",
            "tool_versions"} <= tables
    formats = pd.read_csv(out / "tables" / "accuracy_formats.csv").set_index("format")
    # block scaling: MX INT8 beats per-tensor INT8
    assert formats.loc["mxint8", "sqnr_gaussian_db"] > formats.loc["int8", "sqnr_gaussian_db"]
    fit = pd.read_csv(out / "tables" / "area_model_fit.csv")
    assert set(fit["target"]) == set(SMALL_TARGETS)


def with_energy(rows: pd.DataFrame, energies: dict, *, macs=2048, method="unit-delay ... v1") -> pd.DataFrame:
    """The fixture's rows with stored gate-level energy on the gates rows of ``energies``' designs
    ({design: (gaussian, laplace, toggle rate)}), as a sweep with ``gates = { energy = true }`` stores it."""
    rows = rows.copy()
    numbers = ["energy_per_mac_gaussian", "energy_per_mac_laplace", "toggle_rate", "energy_macs"]
    for column in numbers:
        if column not in rows.columns:
            rows[column] = float("nan")
    if "energy_method" not in rows.columns:
        rows["energy_method"] = None
    for design, (gaussian, laplace, rate) in energies.items():
        where = (rows["design"] == design) & (rows["target"] == "gates")
        rows.loc[where, numbers] = (gaussian, laplace, rate, macs)
        rows.loc[where, "energy_method"] = method
    return rows


def test_report_energy_columns():
    """Stored gate-level energy joins onto the gates rows relative to INT8 (= 1), the FPGA estimate onto
    the FPGA rows; a table without the INT8 baseline's energy is one line naming the sweep."""
    from hwgen.cost_models import dataset, enrich
    from hwgen.cost_models.assemble import fabric_points
    from hwgen.cost_models.energy import fpga_energy_estimate

    measured = {"mac_int8_fixed": (1827.7, 1810.4, 0.81), "mac_fp4_e2m1_fixed": (487.5, 458.0, 0.54)}
    points = dataset.mac_points(with_energy(pd.read_csv(FIXTURE), measured))
    table = fabric_points(points, dataset.fit_models(points))
    small = table[table["label"].isin(["int8", "fp4_e2m1", "int4"]) & ~table["predicted"]]
    joined = enrich.join_energy(small, store="results.sqlite")
    gates = joined[joined["target"] == "gates"].set_index("label")
    assert gates.loc["int8", "energy_rel"] == 1.0 and gates.loc["int8", "energy_rel_laplace"] == 1.0
    assert gates.loc["fp4_e2m1", "energy_rel"] == 487.5 / 1827.7
    assert gates.loc["fp4_e2m1", "energy_rel_laplace"] == 458.0 / 1810.4
    assert gates.loc["fp4_e2m1", "toggle_rate"] == 0.54
    assert pd.isna(gates.loc["int4", "energy_rel"])  # measured without energy: no ratio
    fpga = joined[joined["target"] == "xc7"].set_index("label")
    assert fpga.loc["int8", "energy_fpga_rel"] == 1.0 and fpga["energy_rel"].isna().all()

    def estimate(label, rate):
        row = fpga.loc[label]
        counts = {"luts": int(row["lut_cells"]), "ffs": int(row["ffs"]), "carries": int(row["carries"]),
                  "dsps": int(row["dsps"])}
        return fpga_energy_estimate(counts, rate).energy_per_cycle

    assert fpga.loc["fp4_e2m1", "energy_fpga_rel"] == pytest.approx(estimate("fp4_e2m1", 0.54)
                                                                    / estimate("int8", 0.81))
    assert pd.isna(fpga.loc["int4", "energy_fpga_rel"])  # no gate-level toggle rate to weight it by
    with pytest.raises(enrich.MissingEnergyError) as caught:
        enrich.join_energy(small[small["label"] != "int8"], store="results.sqlite")
    assert str(caught.value).endswith("`hwgen sweep default --store results.sqlite` "
                                      "measures it (only the gates points are computed again)")


def test_energy_of_another_measurement_is_not_divided_by_the_baseline():
    """A ratio needs the baseline measured with the same stimulus length and method."""
    from hwgen.cost_models import dataset, enrich
    from hwgen.cost_models.assemble import fabric_points

    rows = with_energy(pd.read_csv(FIXTURE), {"mac_int8_fixed": (1800.0, 1800.0, 0.8)})
    rows = with_energy(rows, {"mac_fp4_e2m1_fixed": (500.0, 450.0, 0.5)}, macs=256)
    points = dataset.mac_points(rows)
    joined = enrich.join_energy(fabric_points(points, {}))
    gates = joined[joined["target"] == "gates"].set_index("label")
    assert gates.loc["int8", "energy_rel"] == 1.0 and pd.isna(gates.loc["fp4_e2m1", "energy_rel"])


def test_multiplier_and_asic_energy_are_read_from_rows():
    from hwgen.cost_models import enrich

    def mul(fmt, gaussian, macs=2048, created="2025-01-02"):
        return {"unit": "mul", "target": "gates", "status": "ok", "format_a": fmt, "format_b": fmt,
                "energy_per_mac_gaussian": gaussian, "energy_per_mac_laplace": gaussian, "energy_macs": macs,
                "energy_method": "m", "created_at": created}

    rows = pd.DataFrame([mul("int8", 1300.0), mul("fp16", 2300.0), mul("fp32", 11000.0, macs=256),
                         mul("fp16", 9.0, created="2024-01-01")])  # older: the newest row counts
    # fp32: another stimulus
    assert enrich.multiplier_energies(rows) == {"int8 mul": 1300.0, "fp16 mul": 2300.0}
    assert enrich.multiplier_energies(rows[rows["format_a"] != "int8"]) == {}

    measured = (("int8", 10.0, 27771.0, 61.0), ("fp4_e2m1", 10.0, 10725.0, 16.5),
                ("fp4_e2m1", 5.0, 11000.0, 17.0))
    asic = pd.DataFrame([
        {"target": "asic", "label": fmt, "format_a": fmt, "format_b": fmt, "acc": "fixed", "mul": "exact",
         "pipeline": 3, "terms": 64, "library": "osu018", "clock_ns": clock, "area_um2": area,
         "energy_pj_per_mac": pj} for fmt, clock, area, pj in measured])
    shown = enrich.asic_energy(asic).set_index(["design", "clock ns"])
    assert shown.loc[("fp4_e2m1", 10.0), "energy / int8"] == 16.5 / 61.0
    assert pd.isna(shown.loc[("fp4_e2m1", 5.0), "energy / int8"])  # no INT8 at 5 ns


def test_out_inside_a_file_is_a_clear_error(tmp_path, store, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    for argv in (["pareto", "--target", "xc7", "--cost", "luts", "--accuracy", "sqnr_gaussian_db",
                  "--out", str(blocker / "f.png")], ["report", "--out", str(blocker), "--no-energy"]):
        code, _, err = run_cli([*argv, "--store", str(store)], capsys)
        assert code == 2 and "is a file, not a folder" in err and len(err.strip().splitlines()) == 1
    assert blocker.read_text() == "not a folder"


def test_a_folder_or_file_in_the_way_is_refused_before_any_work(tmp_path, store, capsys):
    """Checked before the work: the half of an image pair, or the report's plots folder, in the way."""
    (tmp_path / "front.svg").mkdir()
    code, _, err = run_cli(["pareto", "--target", "xc7", "--cost", "luts", "--accuracy", "sqnr_gaussian_db",
                            "--out", str(tmp_path / "front.png"), "--store", str(store)], capsys)
    assert code == 2 and err.strip().endswith(f"out writes {tmp_path / 'front.svg'}, which is a directory")
    assert not (tmp_path / "front.png").exists()
    report = tmp_path / "report"
    report.mkdir()
    (report / "plots").write_text("mine")
    code, _, err = run_cli(["report", "--out", str(report), "--no-energy", "--store", str(store)], capsys)
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert err.strip().endswith(f"the report writes the folder {report / 'plots'}, but a file is there")
    assert sorted(path.name for path in tmp_path.iterdir()) == ["front.svg", "report"]  # no staging left
    assert (report / "plots").read_text() == "mine"


def test_pareto_with_an_exact_metric_and_an_undersampled_target(tmp_path, capsys):
    """Exact accumulators have error 0 (no log axis then); a target without enough points for a model
    shows its measured points only, and does not stop the other targets."""
    names = {"mac_int8_fixed", "mac_int4_fixed", "mac_int2_fixed", "mac_fp8_e4m3fn_fixed",
             "mac_fp4_e2m1_fixed"}
    few = make_store(tmp_path / "few.sqlite", ("gates", "xc7"), designs=lambda d: d in names)
    out = tmp_path / "acc.png"
    code, _, err = run_cli(["pareto", "--target", "xc7", "--cost", "luts", "--accuracy", "dot64_acc_error",
                            "--store", str(few), "--out", str(out)], capsys)
    assert code == 0, err
    assert "no model (measured points only)" in err
    assert out.exists() and out.with_suffix(".svg").exists()


def test_terms_default_and_64_are_one_design(tmp_path):
    """A sweep that leaves `terms` out and one that says 64 built the same MAC: one point, not two."""
    from hwgen.cost_models import dataset

    rows = pd.read_csv(FIXTURE)
    int8 = rows[(rows["design"] == "mac_int8_fixed") & (rows["target"] == "xc7") & (rows["dsp_allowed"] == 0)]
    assert len(int8) == 1
    twin = int8.assign(key="twin", config=int8["config"].str.replace('"terms":64', '"terms":null'),
                       created_at="2000-01-01T00:00:00+00:00")
    assert (twin["config"] != int8["config"]).all()
    points = dataset.mac_points(pd.concat([rows, twin], ignore_index=True))
    same = points[(points["label"] == "int8") & (points["target"] == "xc7") & (points["dsp_allowed"] == 0)]
    assert len(same) == 1 and same["terms"].iloc[0] == 64


@pytest.mark.parametrize("kind", ["folder", "not sqlite"])
def test_a_store_that_is_no_store_is_one_line(tmp_path, capsys, kind):
    store = tmp_path / "results.sqlite"
    if kind == "folder":
        store.mkdir()
    else:
        store.write_text("not a database")
    for argv in (["pareto", "--target", "xc7", "--cost", "luts", "--accuracy", "sqnr_gaussian_db",
                  "--out", str(tmp_path / "out" / "f.png")], ["report", "--out", str(tmp_path / "out")],
                 ["sweep", str(Path(__file__).parents[1] / "fpga" / "sweeps" / "smoke.toml"), "--dry-run"]):
        code, _, err = run_cli([*argv, "--store", str(store)], capsys)
        assert code == 2 and err.count("\n") == 1 and "results store" in err, err
    assert not (tmp_path / "out").exists()


def test_an_unusable_output_path_is_one_line(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    code, _, err = run_cli(["generate", "mac", "--a", "int4", "--b", "int4", "--out", str(blocker / "rtl")],
                           capsys)
    assert code == 2 and err.count("\n") == 1 and str(blocker / "rtl") in err, err
    code, _, err = run_cli(["sweep", str(Path(__file__).parents[1] / "fpga" / "sweeps" / "smoke.toml"),
                            "--dry-run", "--csv", str(blocker / "x.csv")], capsys)
    assert code == 2 and "--csv" in err and "is a file, not a folder" in err, err
    assert blocker.read_text() == "x"


@pytest.mark.tools
def test_a_store_without_macs_renders_what_it_has_and_names_the_sweep(tmp_path, capsys):
    sweep = tmp_path / "ops.toml"
    sweep.write_text('[sweep]\nname = "ops"\n[[units]]\nkind = "mul"\nformats = ["int4"]\n'
                     '[[units]]\nkind = "add"\nparams = { format = ["int8"] }\n[targets]\ngates = {}\n')
    store = tmp_path / "ops.sqlite"
    code, _, _ = run_cli(["sweep", str(sweep), "--store", str(store), "--quiet"], capsys)
    assert code == 0
    out = tmp_path / "report"
    code, stdout, err = run_cli(["report", "--out", str(out), "--store", str(store), "--quiet"], capsys)
    assert code == 0 and err == "" and stdout.strip() == f"wrote {out / 'index.html'}"
    page = (out / "index.html").read_text()
    assert "no measured MAC" in page and f"`hwgen sweep demo --store {store}`" in page
    contents = pd.read_csv(out / "tables" / "store_contents.csv")
    assert set(zip(contents["unit"], contents["target"], strict=True)) == {("mul", "gates"), ("add", "gates")}
