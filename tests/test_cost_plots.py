"""Plot smoke tests: both files written, real images, the right text and legend, nothing left on failure."""

import xml.etree.ElementTree as ET
from pathlib import Path

import matplotlib
import matplotlib.image
import numpy as np
import pandas as pd
import pytest

from hwgen.cost_models import plots
from hwgen.cost_models.pareto import pareto_front
from hwgen.cost_models.plots import output_paths, plot_lines, plot_pareto

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
PNG_SHAPE = (750, 1200, 4)  # 8 x 5 inches at 150 dpi, RGBA
COST_LABEL = "area (LUTs, $ per_unit)"  # "$" and "_" must come out literally, not as mathtext
ACCURACY_LABEL = "SQNR, Gaussian (dB)"


def designs() -> pd.DataFrame:
    rows = [
        ("ice40", "int4 MAC", 60, 20.0, False), ("ice40", "int8 MAC", 190, 44.0, False),
        ("ice40", "e4m3 MAC", 210, 31.0, False), ("ice40", "bf16 MAC", 720, 48.0, True),
        ("xc7", "int4 MAC", 40, 20.5, False), ("xc7", "int8 MAC", 110, 43.0, False),
        ("xc7", "e2m3 MAC", 80, 22.0, True), ("xc7", "fp16 MAC", 500, 60.0, False),
    ]
    df = pd.DataFrame(rows, columns=["target", "design", "luts", "sqnr", "predicted"])
    return pareto_front(df, "luts", "sqnr", group="target")


def svg_texts(path) -> list[str]:
    root = ET.parse(path).getroot()
    return ["".join(element.itertext()) for element in root.iter("{http://www.w3.org/2000/svg}text")]


def check_png(path) -> None:
    data = path.read_bytes()
    assert data.startswith(PNG_SIGNATURE)
    assert len(data) > 20_000
    image = matplotlib.image.imread(path)
    assert image.shape == PNG_SHAPE
    assert image[..., :3].std() > 0.05  # something drawn, not a blank canvas


@pytest.fixture(scope="module")
def grouped(tmp_path_factory):
    out = tmp_path_factory.mktemp("plots") / "front.png"
    rc_before = dict(matplotlib.rcParams)
    paths = plot_pareto(designs(), cost="luts", accuracy="sqnr", out=out, cost_label=COST_LABEL,
                        accuracy_label=ACCURACY_LABEL, title="MAC area vs SQNR", group="target",
                        log_cost=True)
    assert dict(matplotlib.rcParams) == rc_before  # no style state leaks out of a call
    return paths


def test_pareto_writes_png_and_svg(grouped):
    png, svg = grouped
    assert (png.suffix, svg.suffix) == (".png", ".svg") and png.with_suffix("") == svg.with_suffix("")
    check_png(png)
    assert sorted(path.name for path in png.parent.iterdir()) == ["front.png", "front.svg"]  # no temporaries


def test_pareto_svg_has_labels_legend_and_every_point(grouped):
    texts = svg_texts(grouped[1])
    for expected in (COST_LABEL, ACCURACY_LABEL, "MAC area vs SQNR", "target", "ice40", "xc7", "measured",
                     "Pareto front"):
        assert expected in texts
    assert any("(predicted)" in text for text in texts)
    labels = [text for text in texts if text.endswith(" MAC")]
    assert sorted(labels) == sorted(designs()["design"])
    assert "stroke-dasharray" in grouped[1].read_text()  # predicted markers have dashed edges


def test_pareto_without_predictions_or_groups(tmp_path):
    df = designs().query("not predicted").drop(columns="predicted")
    paths = plot_pareto(df, cost="luts", accuracy="sqnr", out=tmp_path / "measured", cost_label="LUTs",
                        accuracy_label="SQNR (dB)", title="measured only", predicted=None)
    assert [path.name for path in paths] == ["measured.png", "measured.svg"]
    check_png(paths[0])
    texts = svg_texts(paths[1])
    assert "measured" in texts and "Pareto front" in texts
    assert not any("predicted" in text for text in texts)
    assert "stroke-dasharray" not in paths[1].read_text()


def test_lines_plot(tmp_path):
    series = {"length 64": ([8, 12, 16, 20], [1e-1, 1e-2, 1e-4, 1e-6]),
              "length 1024": (np.array([8, 12, 16, 20]), np.array([3e-1, 5e-2, np.nan, 1e-5]))}
    arguments = dict(x_label="accumulator width (bits)", y_label="relative error",
                     title="precision alignment", log_y=True)
    paths = plot_lines(series, out=tmp_path / "acc.svg", **arguments)
    assert [path.name for path in paths] == ["acc.png", "acc.svg"]
    check_png(paths[0])
    texts = svg_texts(paths[1])
    for expected in ("accumulator width (bits)", "relative error", "precision alignment", "length 64",
                     "length 1024"):
        assert expected in texts
    first = [path.read_bytes() for path in paths]
    again = plot_lines(series, out=tmp_path / "acc", **arguments)  # overwrites; output is repeatable
    assert [path.read_bytes() for path in again] == first


@pytest.mark.parametrize(("out", "names"), [
    ("x.png", ("x.png", "x.svg")), ("x.SVG", ("x.png", "x.svg")), ("x", ("x.png", "x.svg")),
    ("run.v1", ("run.v1.png", "run.v1.svg")),
])
def test_output_paths(tmp_path, out, names):
    assert tuple(path.name for path in output_paths(tmp_path / out)) == names


def pareto_call(df, out, **overrides):
    arguments = dict(cost="luts", accuracy="sqnr", out=out, cost_label="LUTs", accuracy_label="SQNR (dB)",
                     title="t", group="target")
    return plot_pareto(df, **{**arguments, **overrides})


@pytest.mark.parametrize(("change", "error", "message"), [
    (lambda df: df.iloc[:0], ValueError, "plot_pareto needs at least one row; the table is empty"),
    (lambda df: df.drop(columns="on_front"), ValueError, "no column 'on_front' in the table; available"),
    (lambda df: df.assign(luts=df["luts"].where(df.index != 2)), ValueError,
     "column 'luts' is missing for 1 row\\(s\\), e.g. 'e4m3 MAC'; drop them before plotting"),
    (lambda df: df.assign(predicted=df["predicted"].map({True: "yes", False: "no"})), TypeError,
     "column 'predicted' must hold True / False"),
    (lambda df: df.assign(luts=df["luts"] - 40), ValueError,
     "log_cost needs positive values, but column 'luts' is 0 at position 4"),
], ids=["empty", "missing-column", "missing-cost", "non-bool-predicted", "log-of-zero"])
def test_pareto_bad_input_writes_nothing(tmp_path, change, error, message):
    with pytest.raises(error, match=message):
        pareto_call(change(designs()), tmp_path / "bad.png", log_cost=True)
    assert list(tmp_path.iterdir()) == []


def test_bad_arguments_write_nothing(tmp_path):
    with pytest.raises(ValueError, match=r"out must end in \.png or \.svg \(both are written\) or have no "
                                         r"suffix, not '\.pdf'"):
        pareto_call(designs(), tmp_path / "front.pdf")
    with pytest.raises(ValueError, match="out must name a file, not the directory"):
        pareto_call(designs(), tmp_path)
    with pytest.raises(ValueError, match="plot_lines needs at least one series; series is empty"):
        plot_lines({}, out=tmp_path / "l", x_label="x", y_label="y", title="t")
    with pytest.raises(ValueError, match="series 'a' has 2 x values but 3 y values"):
        plot_lines({"a": ([1, 2], [1, 2, 3])}, out=tmp_path / "l", x_label="x", y_label="y", title="t")
    with pytest.raises(ValueError, match="title must not be empty"):
        plot_lines({"a": ([1], [1])}, out=tmp_path / "l", x_label="x", y_label="y", title=" ")
    assert list(tmp_path.iterdir()) == []


def test_failed_rename_leaves_no_file(tmp_path, monkeypatch):
    real_replace = Path.replace

    def replace(self, target):  # the PNG is renamed into place, the SVG's rename fails
        if Path(target).suffix == ".svg":
            raise OSError(13, "Permission denied")
        return real_replace(self, target)

    monkeypatch.setattr(Path, "replace", replace)
    with pytest.raises(OSError):
        plot_lines({"a": ([1, 2], [3, 4])}, out=tmp_path / "claim.png", x_label="x", y_label="y", title="t")
    assert list(tmp_path.iterdir()) == []  # the PNG taken back, no temporary left


def test_failed_write_leaves_no_file(tmp_path, monkeypatch):
    real_open = open
    calls = []

    def failing_open(path, mode):  # the second file fails half-way, as on a full disk
        calls.append(path)
        handle = real_open(path, mode)
        if len(calls) == 2:
            handle.write(b"half")
            handle.close()
            raise OSError(28, "No space left on device")
        return handle

    monkeypatch.setattr(plots, "open", failing_open, raising=False)
    old = tmp_path / "old.png"
    old.write_bytes(b"previous plot")
    with pytest.raises(OSError, match="No space left on device"):
        plots._write_files_atomically({old: b"new png", tmp_path / "old.svg": b"new svg"})
    assert sorted(path.name for path in tmp_path.iterdir()) == ["old.png"]
    assert old.read_bytes() == b"previous plot"  # untouched: nothing is renamed until every file is complete
    assert len(calls) == 2


def test_unwritable_folder_leaves_no_file(tmp_path):
    (tmp_path / "blocker").write_text("a file where a folder should be")
    with pytest.raises(OSError):
        plots._write_files_atomically({tmp_path / "blocker" / "x.png": b"png", tmp_path / "x.svg": b"svg"})
    assert [path.name for path in tmp_path.iterdir()] == ["blocker"]
