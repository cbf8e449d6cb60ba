"""An NN-LUT spec's table (fitted, cached, then quantized) and the NN-LUT manifest entries."""

from hwgen.gen.nnlut import NnLutUnit
from hwgen.nnlut.fit import NnLutFit, cached_fit
from hwgen.nnlut.functions import get_function
from hwgen.nnlut.table import NnLutTable, quantize_pwl, uniform_lut_table
from hwgen.specs.nnlut import DEFAULT_PIPELINE, NnLutSpec


def nnlut_fit(spec: NnLutSpec) -> NnLutFit:
    return cached_fit(get_function(spec.function), spec.entries, spec.lo, spec.hi, seed=spec.seed)


def nnlut_table(spec: NnLutSpec) -> NnLutTable:
    return quantize_pwl(get_function(spec.function), nnlut_fit(spec).pwl, spec.in_format, spec.out_format,
                        frac_bits=spec.frac_bits, x_frac=spec.x_frac)


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
