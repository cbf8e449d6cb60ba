"""The NN-LUT accuracy table and error plot: NN-LUT vs uniform PWL vs uniform LUT with the same entries.

Errors are absolute, against the float64 function, over :data:`hwgen.nnlut.fit.ERROR_POINTS` uniform
points of the function's range (the float tables, before any quantization: the method's accuracy).
"""

import io
from dataclasses import dataclass

import numpy as np

from hwgen.nnlut.fit import ERROR_POINTS, Errors, approximation_errors, cached_fit, uniform_lut, uniform_pwl
from hwgen.nnlut.functions import FUNCTIONS, get_function
from hwgen.outputs import SIGNATURE, write_atomic

DEFAULT_ENTRIES = (8, 16, 32)
METHODS = ("nnlut", "uniform_pwl", "uniform_lut")


@dataclass(frozen=True)
class AccuracyRow:
    function: str
    entries: int
    lo: float
    hi: float
    errors: dict  # method -> Errors
    start: str  # which start of the NN-LUT fit won

    @property
    def gain(self) -> float:
        """Uniform PWL's max error over NN-LUT's."""
        return self.errors["uniform_pwl"].max / self.errors["nnlut"].max


def approximations(function: str, entries: int, seed: int = 0):
    """(fit, {method: float PWL}) of one function at one entry count, on its default range."""
    fn = get_function(function)
    fit = cached_fit(fn, entries, seed=seed)
    return fit, {"nnlut": fit.pwl, "uniform_pwl": uniform_pwl(fn, entries),
                 "uniform_lut": uniform_lut(fn, entries)}


def accuracy_rows(functions=tuple(FUNCTIONS), entries=DEFAULT_ENTRIES, seed: int = 0) -> list[AccuracyRow]:
    rows = []
    for name in functions:
        fn = get_function(name)
        for count in entries:
            fit, tables = approximations(fn.name, count, seed)
            errors = {method: approximation_errors(fn, table, fn.lo, fn.hi)
                      for method, table in tables.items()}
            rows.append(AccuracyRow(fn.name, count, fn.lo, fn.hi, errors, fit.start))
    return rows


def row_json(row: AccuracyRow) -> dict:
    return {"function": row.function, "entries": row.entries, "range": [row.lo, row.hi], "start": row.start,
            **{method: {"max": e.max, "mean": e.mean} for method, e in row.errors.items()}}


def plot_errors(path, functions=tuple(FUNCTIONS), entries: int = 16, seed: int = 0) -> None:
    """A PNG: |error| over each function's range for the three methods at ``entries`` entries."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot

    functions = [get_function(name) for name in functions]
    columns = min(3, len(functions))
    rows = -(-len(functions) // columns)
    figure, axes = pyplot.subplots(rows, columns, figsize=(5 * columns, 3.6 * rows), squeeze=False)
    labels = {"nnlut": "NN-LUT", "uniform_pwl": "uniform PWL", "uniform_lut": "uniform LUT"}
    for axis, fn in zip(axes.flat, functions, strict=False):
        _, tables = approximations(fn.name, entries, seed)
        x = np.linspace(fn.lo, fn.hi, ERROR_POINTS)
        truth = fn(x)
        for method, table in tables.items():
            axis.semilogy(x, np.maximum(np.abs(table(x) - truth), 1e-12), label=labels[method], linewidth=0.8)
        axis.set_title(f"{fn.name}, {entries} entries")
        axis.set_xlabel("x (reduced mantissa)" if fn.reduced else "x")
        axis.set_ylabel("|error|")
        axis.grid(True, which="major", alpha=0.3)
    for axis in list(axes.flat)[len(functions):]:
        axis.set_visible(False)
    axes.flat[0].legend(loc="lower right", fontsize=8)
    figure.tight_layout()
    image = io.BytesIO()
    # The signature lets a later run overwrite this file, and only a file hwgen wrote (hwgen.outputs).
    figure.savefig(image, format="png", dpi=110, metadata={"Software": f"hwgen ({SIGNATURE})"})
    pyplot.close(figure)
    write_atomic(path, image.getvalue())


__all__ = ["DEFAULT_ENTRIES", "METHODS", "AccuracyRow", "Errors", "accuracy_rows", "plot_errors", "row_json"]
