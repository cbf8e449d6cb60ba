"""An NN-LUT design point: fit, quantize and build, with its default module name and manifest entries."""

import math
from dataclasses import dataclass

from hwgen.formats._check import check_int
from hwgen.gen.nnlut import DEFAULT_PIPELINE, NnLutUnit
from hwgen.nnlut.fit import MAX_ENTRIES, NnLutFit, cached_fit
from hwgen.nnlut.functions import check_range, get_function
from hwgen.nnlut.table import (
    NnLutTable,
    check_io_format,
    check_output_holds,
    quantize_pwl,
    uniform_lut_table,
)


@dataclass(frozen=True)
class NnLutDesign:
    """Options of one NN-LUT unit, as the CLI and the tests give them.

    ``lo`` / ``hi``: the range (None: the function's default); ``frac_bits`` / ``x_frac``: the table's
    fraction bits (None: :func:`hwgen.nnlut.table.default_frac_bits` / ``default_x_frac``).
    """

    function: str
    entries: int
    in_format: str
    out_format: str
    lo: float | None = None
    hi: float | None = None
    frac_bits: int | None = None
    x_frac: int | None = None
    seed: int = 0
    pipeline: int = DEFAULT_PIPELINE

    def validate(self) -> tuple:
        """Check every option before anything is fitted or written; (function, lo, hi, in, out)."""
        fn = get_function(self.function)
        check_int(self.entries, "entries", 1, MAX_ENTRIES)
        lo, hi = check_range(fn, self.lo, self.hi)
        in_fmt = check_io_format(self.in_format, "input")
        out_fmt = check_io_format(self.out_format, "output")
        check_output_holds(fn, lo, hi, out_fmt)
        check_int(self.seed, "seed", 0, 2**32 - 1)
        check_int(self.pipeline, "pipeline depth", 1, len(("product", "coefficients", "reduce")) + 1)
        return fn, lo, hi, in_fmt, out_fmt

    def fit(self) -> NnLutFit:
        fn, lo, hi, _, _ = self.validate()
        return cached_fit(fn, self.entries, lo, hi, seed=self.seed)

    def table(self) -> NnLutTable:
        fn, _, _, in_fmt, out_fmt = self.validate()
        return quantize_pwl(fn, self.fit().pwl, in_fmt, out_fmt, frac_bits=self.frac_bits, x_frac=self.x_frac)

    def build(self) -> NnLutUnit:
        return NnLutUnit(self.table(), pipeline=self.pipeline)

    def default_name(self, unit: NnLutUnit) -> str:
        """``nnlut_<func>_<entries>_<in>_<out>[_r<lo>_<hi>][_f<F>][_x<X>][_s<seed>][_p<N>]``."""
        table = unit.table
        parts = ["nnlut", table.function, str(table.entries), table.in_format, table.out_format]
        fn = get_function(table.function)
        if (table.range_lo, table.range_hi) != (fn.lo, fn.hi):
            parts.append(f"r{_number(table.range_lo)}_{_number(table.range_hi)}")
        if self.frac_bits is not None:
            parts.append(f"f{table.slope_frac}")
        if self.x_frac is not None:
            parts.append(f"x{table.x_frac}")
        if self.seed:
            parts.append(f"s{self.seed}")
        if unit.pipeline != DEFAULT_PIPELINE:
            parts.append(f"p{unit.pipeline}")
        return "_".join(parts)


def _number(value: float) -> str:
    """A range end for a module name: -8 -> m8, 0.5 -> 0p5."""
    text = f"{value:g}" if math.isfinite(value) else "inf"
    return text.replace("-", "m").replace(".", "p").replace("+", "")


def lut_design_unit(function: str, in_format: str, out_format: str, cell_bits: int, *, frac_bits=None,
                    x_frac=None, pipeline: int = DEFAULT_PIPELINE) -> NnLutUnit:
    """A uniform lookup-table unit (a ROM indexed by a bit slice) with cells 2^-cell_bits wide."""
    table = uniform_lut_table(function, in_format, out_format, cell_bits, frac_bits=frac_bits, x_frac=x_frac)
    return NnLutUnit(table, pipeline=pipeline)


def manifest_details(unit: NnLutUnit, fit: NnLutFit | None = None) -> dict:
    """The NN-LUT-specific manifest keys: latency, formats, function, entries, range and the table."""
    table = unit.table
    details = {
        "unit": "nnlut",
        "latency": unit.latency,
        "ii": unit.ii,
        "pipeline": unit.pipeline,
        "function": table.function,
        "entries": table.entries,
        "range": [table.range_lo, table.range_hi],
        "reduction": table.reduction,
        "index": unit.index_kind,
        "formats": {"x": table.in_format, "y": table.out_format},
        "table": table.describe(),
    }
    if fit is not None:
        details["fit"] = {"seed": fit.seed, "start": fit.start, "neurons": fit.network.neurons}
    return details
