"""NN-LUT: fit piecewise-linear tables to nonlinearities, quantize them, evaluate them bit-exactly.

* :mod:`hwgen.nnlut.functions`: the functions (gelu, exp, reciprocal, rsqrt, silu, tanh), ranges and
  range reduction.
* :mod:`hwgen.nnlut.fit`: the ReLU network fit and the uniform baselines (float64, NumPy only).
* :mod:`hwgen.nnlut.table`: the frozen quantized table and every rounding step.
* :mod:`hwgen.nnlut.evaluate`: the bit-exact golden evaluation (codes, or floats for NumPy models).

Typical use in a NumPy model::

    table = make_table("gelu", 16, "fp16", "fp16")
    y = evaluate(table, x)  # what the hardware unit computes, x any float array
"""

from hwgen.nnlut.evaluate import evaluate, evaluate_codes
from hwgen.nnlut.fit import cached_fit, fit_nnlut, uniform_lut, uniform_pwl
from hwgen.nnlut.functions import FUNCTIONS, get_function
from hwgen.nnlut.table import NnLutTable, quantize_pwl, table_from_description


def make_table(function, entries: int, in_format, out_format, *, lo=None, hi=None, frac_bits=None,
               x_frac=None, seed: int = 0) -> NnLutTable:
    """Fit an NN-LUT (:func:`fit_nnlut`, once per process for the same arguments) and quantize it
    (:func:`quantize_pwl`) in one call."""
    fit = cached_fit(function, entries, lo, hi, seed=seed)
    return quantize_pwl(function, fit.pwl, in_format, out_format, frac_bits=frac_bits, x_frac=x_frac)


__all__ = ["FUNCTIONS", "NnLutTable", "cached_fit", "evaluate", "evaluate_codes", "fit_nnlut", "get_function",
           "make_table", "quantize_pwl", "table_from_description", "uniform_lut", "uniform_pwl"]
