"""Pareto and claim plots, written as PNG and SVG side by side.

Figures are built on ``matplotlib.figure.Figure`` with an Agg canvas, never through pyplot, so no
figure or style state survives a call. Every string (axis labels, title, point labels, legend entries)
is drawn literally: mathtext is off, so ``$`` or ``_`` in a design name or a unit stays as typed. Both
files are rendered in memory first and then written through temporary files renamed into place: a
failure leaves neither a half-written file nor one file of the pair.
"""

from __future__ import annotations

import io
import os
import uuid
from collections.abc import Mapping, Sequence
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import LogFormatter

from hwgen.outputs import SIGNATURE, check_replaceable_file

from .pareto import _as_vector, _check_columns

_FIGURE_SIZE = (8.0, 5.0)  # inches; at _DPI the PNG is 1200 x 750 pixels
_DPI = 150
# Text stays text in the SVG (searchable, and what tests read); a fixed salt makes the SVG repeatable.
_SVG_RC = {"svg.fonttype": "none", "svg.hashsalt": "hwgen"}
_OTHER_IMAGE_SUFFIXES = {".pdf", ".jpg", ".jpeg", ".eps", ".ps", ".tif", ".tiff", ".webp", ".gif", ".bmp"}

_MARKERS = ("o", "s", "^", "D", "v", "P", "X", "<", ">", "h")
_LINE_STYLES = ("-", "--", ":", "-.")
_POINT_AREA = 48.0  # marker area in points^2 (radius ~3.5 pt)
_PREDICTED_AREA = 64.0  # a little larger, so the dashed edge reads as dashed
_HALO_AREA = 190.0
_LABEL_SIZE = 6.5
_SINGLE_COLOUR, _SINGLE_FRONT_COLOUR = "C0", "C3"
_PREDICTED_LEGEND = "model estimate (predicted)"
# Front labels are drawn above the others on a faint white ground, so they stay readable in a crowd.
_FRONT_LABEL_BOX = {"boxstyle": "square,pad=0.1", "facecolor": "white", "edgecolor": "none", "alpha": 0.6}

# Label positions tried in order, as (dx, dy) in points from the point, and the text alignment there;
# each clears a marker of _PREDICTED_AREA.
_LABEL_CANDIDATES = (
    (4, 4, "left", "bottom"), (4, -4, "left", "top"), (-4, 4, "right", "bottom"), (-4, -4, "right", "top"),
    (0, 6, "center", "bottom"), (0, -6, "center", "top"),
    (6.5, 0, "left", "center"), (-6.5, 0, "right", "center"),
    (5, 12, "left", "bottom"), (5, -12, "left", "top"),
    (-5, 12, "right", "bottom"), (-5, -12, "right", "top"),
)
_HORIZONTAL_SHIFT = {"left": 0.0, "center": 0.5, "right": 1.0}  # of the label width, from the anchor
_VERTICAL_SHIFT = {"bottom": 0.0, "center": 0.5, "top": 1.0}


def output_paths(out) -> tuple[Path, Path]:
    """The PNG and SVG paths written for ``out`` (``x.png``, ``x.svg`` or the stem ``x``)."""
    path = Path(out)
    if path.name in ("", ".", ".."):
        raise ValueError(f"out must name a file, not {str(out)!r}")
    if path.is_dir():
        raise ValueError(f"out must name a file, not the directory {str(out)!r}")
    suffix = path.suffix.lower()
    if suffix in _OTHER_IMAGE_SUFFIXES:
        raise ValueError(f"out must end in .png or .svg (both are written) or have no suffix, "
                         f"not {path.suffix!r}")
    stem = path.with_suffix("") if suffix in (".png", ".svg") else path
    pair = stem.with_name(stem.name + ".png"), stem.with_name(stem.name + ".svg")
    for written in pair:
        if written.is_dir():
            raise ValueError(f"out writes {written}, which is a directory")
        check_replaceable_file(written, "out")
    return pair


def _check_text(value, name: str) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a string, not {type(value).__name__}")
    if not value.strip():
        raise ValueError(f"{name} must not be empty")
    return value


def _as_floats(values, name: str) -> np.ndarray:
    return np.array(_as_vector(values, name), dtype=np.float64)


def _check_positive(values: np.ndarray, name: str, flag: str) -> None:
    bad = np.flatnonzero(~(values > 0) & ~np.isnan(values))
    if bad.size:
        raise ValueError(f"{flag} needs positive values, but {name} is {values[bad[0]]:g} "
                         f"at position {bad[0]}")


def _as_flags(df: pd.DataFrame, column: str | None) -> np.ndarray:
    """A boolean column (``predicted`` / ``on_front``); None means all False."""
    if column is None:
        return np.zeros(len(df), dtype=bool)
    values = df[column]
    if values.isna().any():
        raise ValueError(f"column {column!r} has missing values; it must be all True / False")
    array = np.asarray(values)
    if array.dtype.kind == "b":
        return array.astype(bool)
    if array.dtype.kind in "iu" and np.isin(array, (0, 1)).all():
        return array.astype(bool)
    if array.dtype.kind == "O" and all(isinstance(value, (bool, np.bool_)) for value in array):
        return array.astype(bool)
    raise TypeError(f"column {column!r} must hold True / False, not {values.dtype}")


def _new_axes():
    figure = Figure(figsize=_FIGURE_SIZE, dpi=_DPI, layout="constrained")
    FigureCanvasAgg(figure)
    return figure, figure.add_subplot()


def _log_scale(axes, which: str, values: np.ndarray) -> None:
    axes.set_xscale("log") if which == "x" else axes.set_yscale("log")
    axis = axes.xaxis if which == "x" else axes.yaxis
    finite = values[np.isfinite(values)]
    if finite.size and finite.min() >= 1e-2 and finite.max() <= 1e5:
        # Plain numbers ("200", "300") where they are short: the default "3x10^2" minor labels collide.
        axis.set_major_formatter(LogFormatter())
        axis.set_minor_formatter(LogFormatter(labelOnlyBase=False, minor_thresholds=(1, 0.4)))


def _decorate(figure, axes, *, x_label, y_label, title, log_x, log_y, handles, x_values, y_values,
              legend_title=None) -> None:
    if log_x:
        _log_scale(axes, "x", x_values)
    if log_y:
        _log_scale(axes, "y", y_values)
    axes.set_xlabel(x_label, parse_math=False)
    axes.set_ylabel(y_label, parse_math=False)
    axes.set_title(title, parse_math=False, wrap=True)
    axes.grid(True, which="major", alpha=0.3)
    axes.margins(0.08)
    columns = 1 + (len(handles) - 1) // 24
    # Outside the axes: the legend never covers a point.
    legend = figure.legend(handles=handles, loc="outside right upper", fontsize=8, title=legend_title,
                           ncols=columns, frameon=False)
    for text in [*legend.get_texts(), legend.get_title()]:
        text.set_parse_math(False)


def _render(figure) -> dict[str, bytes]:
    png, svg = io.BytesIO(), io.BytesIO()
    # The signature lets a later run overwrite these files, and only these (hwgen.outputs).
    figure.savefig(png, format="png", dpi=_DPI, metadata={"Software": f"hwgen ({SIGNATURE})"})
    with matplotlib.rc_context(_SVG_RC):
        figure.savefig(svg, format="svg", metadata={"Date": None, "Creator": f"hwgen ({SIGNATURE})"})
    return {".png": png.getvalue(), ".svg": svg.getvalue()}


def _write_files_atomically(contents: Mapping[Path, bytes]) -> None:
    """Write every file through a temporary in its folder, renamed in only once all are complete."""
    temporaries: dict[Path, Path] = {}
    try:
        for path, data in contents.items():
            path.parent.mkdir(parents=True, exist_ok=True)
            temporary = path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")
            temporaries[path] = temporary
            with open(temporary, "xb") as file:
                file.write(data)
        created: list[Path] = []
        try:
            for path, temporary in temporaries.items():
                existed = path.exists()
                temporary.replace(path)
                if not existed:
                    created.append(path)
        except BaseException:
            for path in created:  # never leave one file of the pair
                path.unlink(missing_ok=True)
            raise
    finally:
        for temporary in temporaries.values():
            temporary.unlink(missing_ok=True)


def _save(figure, out) -> list[Path]:
    png_path, svg_path = output_paths(out)
    rendered = _render(figure)
    _write_files_atomically({png_path: rendered[".png"], svg_path: rendered[".svg"]})
    return [png_path, svg_path]


def _overlap(box: np.ndarray, boxes: np.ndarray) -> float:
    """Total area shared by ``box`` and the rows of ``boxes`` (x0, y0, x1, y1), in pixels^2."""
    width = np.minimum(box[2], boxes[:, 2]) - np.maximum(box[0], boxes[:, 0])
    height = np.minimum(box[3], boxes[:, 3]) - np.maximum(box[1], boxes[:, 1])
    return float((np.clip(width, 0, None) * np.clip(height, 0, None)).sum())


def _place_labels(figure, axes, x, y, texts: Sequence[str], important: np.ndarray) -> None:
    """Label every point, each at the first candidate position that overlaps least with what is drawn."""
    figure.draw_without_rendering()  # settles the layout, so data -> pixel positions are close to final
    renderer = figure.canvas.get_renderer()
    pixels_per_point = figure.dpi / 72
    centres = axes.transData.transform(np.column_stack([x, y]))
    radius = np.sqrt(_PREDICTED_AREA) / 2 * pixels_per_point
    markers = np.column_stack([centres - radius, centres + radius])
    frame = axes.get_window_extent(renderer)
    placed = np.full((len(texts), 4), np.nan)
    order = sorted(range(len(texts)), key=lambda index: (not important[index], x[index], y[index]))
    for count, index in enumerate(order):
        annotation = axes.annotate(
            texts[index], (x[index], y[index]), xytext=(0, 0), textcoords="offset points",
            fontsize=_LABEL_SIZE, color="black" if important[index] else "0.35", parse_math=False,
            zorder=5 if important[index] else 4, bbox=_FRONT_LABEL_BOX if important[index] else None)
        # Kept inside the axes by the placement below; out of the layout, which is then much faster.
        annotation.set_in_layout(False)
        extent = annotation.get_window_extent(renderer)
        width, height = extent.width, extent.height
        others = np.delete(markers, index, axis=0)
        best, best_cost, best_box = _LABEL_CANDIDATES[0], np.inf, None
        for candidate in _LABEL_CANDIDATES:
            dx, dy, horizontal, vertical = candidate
            left = centres[index, 0] + dx * pixels_per_point - _HORIZONTAL_SHIFT[horizontal] * width
            bottom = centres[index, 1] + dy * pixels_per_point - _VERTICAL_SHIFT[vertical] * height
            box = np.array([left, bottom, left + width, bottom + height])
            inside = (max(0.0, min(box[2], frame.x1) - max(box[0], frame.x0))
                      * max(0.0, min(box[3], frame.y1) - max(box[1], frame.y0)))
            cost = (_overlap(box, placed[order[:count]]) + 0.5 * _overlap(box, others)
                    + 2 * (width * height - inside))
            if cost < best_cost:
                best, best_cost, best_box = candidate, cost, box
            if cost == 0:
                break
        dx, dy, horizontal, vertical = best
        annotation.xyann = (dx, dy)
        annotation.set_horizontalalignment(horizontal)
        annotation.set_verticalalignment(vertical)
        placed[index] = best_box


def _group_colours(count: int) -> list:
    palette = matplotlib.colormaps["tab10" if count <= 10 else "tab20"]
    return [palette(index % palette.N) for index in range(count)]


def plot_pareto(df: pd.DataFrame, *, cost: str, accuracy: str, out, cost_label: str, accuracy_label: str,
                title: str, label: str = "design", predicted: str | None = "predicted",
                front: str | None = "on_front", group: str | None = None, log_cost: bool = False,
                log_accuracy: bool = False, cost_lower_is_better: bool = True) -> list[Path]:
    """Scatter of ``cost`` (x) against ``accuracy`` (y) with the Pareto front drawn; writes PNG and SVG.

    Parameters
    ----------
    df : pandas.DataFrame
        One row per design; every row is drawn and labeled with its ``label`` column.
    cost, accuracy : str
        Numeric columns for the x and y axes. Missing values are an error (drop those rows first).
    out : str or Path
        ``x.png``, ``x.svg`` or the stem ``x``; both ``x.png`` and ``x.svg`` are written.
    cost_label, accuracy_label, title : str
        Drawn exactly as given (give the units here, e.g. ``"area (LUTs)"``).
    predicted : str or None
        Boolean column: True for model predictions (hollow, dashed markers, "(predicted)" in the legend).
        None if every point is measured.
    front : str or None
        Boolean column marking the front (see ``pareto_front``); its points are joined by a highlighted
        step line and haloed. None draws no front.
    group : str or None
        Column giving one colour and marker per value (e.g. the target); the front is drawn per group.
    cost_lower_is_better : bool
        Direction of the step line: it holds each front point's accuracy towards worse cost.

    Returns
    -------
    list of Path: the PNG and the SVG written.
    """
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"plot_pareto needs a pandas DataFrame, not {type(df).__name__}")
    for value, name in ((cost_label, "cost_label"), (accuracy_label, "accuracy_label"), (title, "title")):
        _check_text(value, name)
    columns = (cost, accuracy, label, predicted, front, group)
    _check_columns(df, [name for name in columns if name is not None])
    if df.empty:
        raise ValueError("plot_pareto needs at least one row; the table is empty")
    output_paths(out)  # bad names fail before any drawing
    x = _as_floats(df[cost], f"column {cost!r}")
    y = _as_floats(df[accuracy], f"column {accuracy!r}")
    for values, name in ((x, cost), (y, accuracy)):
        missing = np.flatnonzero(np.isnan(values))
        if missing.size:
            raise ValueError(f"column {name!r} is missing for {missing.size} row(s), e.g. "
                             f"{df[label].iloc[missing[0]]!r}; drop them before plotting")
    if log_cost:
        _check_positive(x, f"column {cost!r}", "log_cost")
    if log_accuracy:
        _check_positive(y, f"column {accuracy!r}", "log_accuracy")
    is_predicted = _as_flags(df, predicted)
    on_front = _as_flags(df, front)
    texts = [str(value) for value in df[label]]

    if group is None:
        members = [np.arange(len(df))]
        names: list[str | None] = [None]
        colours, front_colours = [_SINGLE_COLOUR], [_SINGLE_FRONT_COLOUR]
    else:
        indices = df.groupby(group, dropna=False, sort=False).indices
        members = list(indices.values())
        names = [str(key) for key in indices]
        colours = front_colours = _group_colours(len(members))

    figure, axes = _new_axes()
    handles: list = []
    step = "post" if cost_lower_is_better else "pre"
    for number, (rows, name, colour, front_colour) in enumerate(zip(members, names, colours, front_colours,
                                                                    strict=True)):
        marker = _MARKERS[number % len(_MARKERS)]
        measured_rows, predicted_rows = rows[~is_predicted[rows]], rows[is_predicted[rows]]
        front_rows = rows[on_front[rows]]
        if front_rows.size:
            front_rows = front_rows[np.lexsort((y[front_rows], x[front_rows]))]
            axes.scatter(x[front_rows], y[front_rows], s=_HALO_AREA, color=front_colour, alpha=0.22,
                         edgecolors="none", marker=marker, zorder=1.5)
            axes.step(x[front_rows], y[front_rows], where=step, color=front_colour, linewidth=2.2, alpha=0.85,
                      zorder=2)
        axes.scatter(x[measured_rows], y[measured_rows], s=_POINT_AREA, color=colour, marker=marker,
                     edgecolors="white", linewidths=0.5, zorder=3)
        axes.scatter(x[predicted_rows], y[predicted_rows], s=_PREDICTED_AREA, facecolors="none",
                     edgecolors=[colour], linestyles="--", linewidths=1.2, marker=marker, zorder=3)
        if name is not None:
            handles.append(Line2D([], [], linestyle="none", marker=marker, markersize=7, color=colour,
                                  markeredgecolor="white", label=name))
    style = "0.35" if group is not None else _SINGLE_COLOUR
    if (~is_predicted).any():
        handles.append(Line2D([], [], linestyle="none", marker="o", markersize=7, color=style,
                              markeredgecolor="white", label="measured"))
    if is_predicted.any():
        handles.append(axes.scatter([], [], s=_PREDICTED_AREA, facecolors="none", edgecolors=[style],
                                    linestyles="--", linewidths=1.2, label=_PREDICTED_LEGEND))
    if on_front.any():
        handles.append(Line2D([], [], color="0.2" if group is not None else _SINGLE_FRONT_COLOUR,
                              linewidth=2.2, label="Pareto front"))
    _decorate(figure, axes, x_label=cost_label, y_label=accuracy_label, title=title, log_x=log_cost,
              log_y=log_accuracy, handles=handles, x_values=x, y_values=y, legend_title=group)
    _place_labels(figure, axes, x, y, texts, on_front)
    return _save(figure, out)


def plot_lines(series: Mapping[str, tuple], *, out, x_label: str, y_label: str, title: str,
               log_x: bool = False, log_y: bool = False,
               point_labels: Mapping[str, Sequence[str]] | None = None) -> list[Path]:
    """One line (with markers) per entry of ``series`` = {legend name: (x values, y values)}; PNG and SVG.

    NaN in a series leaves a gap. Labels and title are drawn exactly as given; ``point_labels`` (same
    names, one text per point) writes a small text beside each marker. Returns the PNG and SVG paths
    written (``out`` as in ``plot_pareto``).
    """
    if not isinstance(series, Mapping):
        raise TypeError(f"series must be a mapping of name -> (x, y), not {type(series).__name__}")
    if not series:
        raise ValueError("plot_lines needs at least one series; series is empty")
    for value, name in ((x_label, "x_label"), (y_label, "y_label"), (title, "title")):
        _check_text(value, name)
    output_paths(out)
    lines = []
    for name, pair in series.items():
        if not isinstance(name, str):
            raise TypeError(f"series names must be strings, not {type(name).__name__}")
        if not (isinstance(pair, Sequence) and len(pair) == 2):
            raise TypeError(f"series {name!r} must be an (x, y) pair")
        x = _as_floats(pair[0], f"series {name!r} x")
        y = _as_floats(pair[1], f"series {name!r} y")
        if x.size != y.size:
            raise ValueError(f"series {name!r} has {x.size} x values but {y.size} y values")
        if not (np.isfinite(x) & np.isfinite(y)).any():
            raise ValueError(f"series {name!r} has no point with finite x and y")
        if log_x:
            _check_positive(x, f"series {name!r} x", "log_x")
        if log_y:
            _check_positive(y, f"series {name!r} y", "log_y")
        lines.append((name, x, y))

    figure, axes = _new_axes()
    handles = []
    for number, (name, x, y) in enumerate(lines):
        # Ten colours and ten markers: past ten lines the marker shifts and the dash changes, so that
        # no two lines look alike.
        decade = number // 10
        (line,) = axes.plot(x, y, marker=_MARKERS[(number + decade) % len(_MARKERS)], markersize=5,
                            linewidth=1.6, linestyle=_LINE_STYLES[decade % len(_LINE_STYLES)],
                            color=f"C{number % 10}", label=name)
        handles.append(line)
        texts = (point_labels or {}).get(name)
        if texts is not None:
            if len(texts) != x.size:
                raise ValueError(f"series {name!r} has {x.size} points but {len(texts)} point labels")
            for text, px, py in zip(texts, x, y, strict=True):
                axes.annotate(str(text), (px, py), xytext=(3, 3), textcoords="offset points", fontsize=7,
                              color=f"C{number % 10}")
    _decorate(figure, axes, x_label=x_label, y_label=y_label, title=title, log_x=log_x, log_y=log_y,
              handles=handles, x_values=np.concatenate([x for _, x, _ in lines]),
              y_values=np.concatenate([y for _, _, y in lines]))
    return _save(figure, out)
