"""An NN-LUT spec's table (fitted, cached, then quantized), a uniform LUT spec's table, and the NN-LUT
manifest entries (a uniform LUT unit is an NN-LUT unit: same manifest, plus its ``lut`` facts)."""

from hwgen.gen.nnlut import NnLutUnit
from hwgen.nnlut.fit import NnLutFit, approximation_errors, cached_fit
from hwgen.nnlut.functions import get_function
from hwgen.nnlut.lut import lut_error
from hwgen.nnlut.table import NnLutTable, quantize_pwl, uniform_lut_table
from hwgen.specs.lut import LutSpec
from hwgen.specs.nnlut import DEFAULT_PIPELINE, NnLutSpec


def nnlut_fit(spec: NnLutSpec) -> NnLutFit:
    return cached_fit(get_function(spec.function), spec.entries, spec.lo, spec.hi, seed=spec.seed)


def nnlut_table(spec: NnLutSpec) -> NnLutTable:
    return quantize_pwl(get_function(spec.function), nnlut_fit(spec).pwl, spec.in_format, spec.out_format,
                        frac_bits=spec.frac_bits, x_frac=spec.x_frac)


def lut_table(spec: LutSpec) -> NnLutTable:
    """The uniform LUT of *spec* (cells 2^-cell_bits wide on its range), quantized."""
    return uniform_lut_table(spec.function, spec.in_format, spec.out_format, spec.cell_bits, lo=spec.lo,
                             hi=spec.hi, frac_bits=spec.frac_bits, x_frac=spec.x_frac)


def spec_table(spec: NnLutSpec | LutSpec) -> NnLutTable:
    """The quantized table of an ``nnlut`` or a ``lut`` spec."""
    if isinstance(spec, LutSpec):
        return lut_table(spec)
    return nnlut_table(spec)


def lut_details(spec: LutSpec) -> dict:
    """A uniform LUT's own manifest facts: its cells and float maximum error, and for a
    ``match_entries`` spec the NN-LUT it matches (entries, fit seed, float maximum error) and how the
    search ended (``equal``, ``grid`` or ``capped``: :mod:`hwgen.nnlut.lut`)."""
    match = spec.match()
    return {
        "cell_bits": spec.cell_bits,
        "entries": spec.entries,
        "max_error": lut_error(spec.function, spec.cell_bits, spec.lo, spec.hi),
        "match": None if match is None else {
            "entries": match.nnlut_entries, "seed": match.seed, "max_error": match.nnlut_error,
            "how": match.how, "max_entries": spec.max_entries},
    }


def lut_design_unit(function: str, in_format: str, out_format: str, cell_bits: int, *, frac_bits=None,
                    x_frac=None, pipeline: int = DEFAULT_PIPELINE) -> NnLutUnit:
    """A uniform lookup-table unit (a ROM indexed by a bit slice) with cells 2^-cell_bits wide."""
    table = uniform_lut_table(function, in_format, out_format, cell_bits, frac_bits=frac_bits, x_frac=x_frac)
    return NnLutUnit(table, pipeline=pipeline)


def manifest_details(unit: NnLutUnit, fit: NnLutFit | None = None) -> dict:
    """The NN-LUT-specific manifest keys: latency, formats, function, entries, range and the table; with
    *fit*, the fit's seed, winning start, neurons and float maximum error on the range
    (:func:`~hwgen.nnlut.fit.approximation_errors`)."""
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
        details["fit"] = {"seed": fit.seed, "start": fit.start, "neurons": fit.network.neurons,
                          "max_error": approximation_errors(fit.function, fit.pwl, fit.lo, fit.hi).max}
    return details
