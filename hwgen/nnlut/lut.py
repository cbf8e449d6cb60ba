"""The uniform lookup table of equal accuracy: the NN-LUT's baseline, chosen by its maximum error.

A uniform LUT (:func:`hwgen.nnlut.table.uniform_lut_pwl`) has cells 2^-cell_bits wide from the range's
start, each holding the midrange of f on its cell (the best constant for the maximum error). For an
NN-LUT of N entries with float maximum error E, the **LUT of equal accuracy** is the coarsest such LUT
(the fewest entries) whose float maximum error is at most E (:func:`equal_accuracy_cells`). Both
errors are the float tables' (before quantization) against the float64 function, on the same
:data:`~hwgen.nnlut.fit.ERROR_POINTS` uniform points of the range
(:func:`~hwgen.nnlut.fit.approximation_errors`); halving the cells never raises the error (every cell
is a subset of its parent), so the first cell width that reaches E is the coarsest.

The search stops early in two ways, and says so (``how``):

* ``"grid"``: the cells reached the input grid (one cell per grid step, 2^-grid_bits) before E; no
  uniform LUT on this input format does better, and this one is less accurate than the NN-LUT.
* ``"capped"``: the next halving would exceed ``max_entries``; the LUT returned is the largest one
  within the cap, less accurate than the NN-LUT (the equal-accuracy one is larger).

NumPy only, like the fit; the results are cached per process (the fit and the errors are
deterministic).
"""

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from hwgen.formats._check import check_int
from hwgen.nnlut.fit import MAX_ENTRIES, approximation_errors, cached_fit
from hwgen.nnlut.functions import check_range, get_function
from hwgen.nnlut.table import (
    MAX_FRAC_BITS,
    check_io_format,
    default_frac_bits,
    default_x_frac,
    mantissa_frac_bits,
    uniform_lut_pwl,
)

MAX_LUT_ENTRIES = 1 << 16  # a ROM of 64 Ki entries: the largest LUT unit hwgen builds
MIN_CELL_BITS = -8  # cells up to 256 wide (uniform_lut_pwl's limit)
HOW = ("equal", "grid", "capped")


def lut_entries(lo: float, hi: float, cell_bits: int) -> int:
    """Cells 2^-cell_bits wide that cover [lo, hi] from lo: ceil((hi - lo) * 2^cell_bits)."""
    return max(1, math.ceil(math.ldexp(hi - lo, cell_bits)))


def coarsest_cell_bits(lo: float, hi: float) -> int:
    """Cell bits of the coarsest LUT on [lo, hi]: one cell at least as wide as the range."""
    return max(MIN_CELL_BITS, math.floor(math.log2(1.0 / (hi - lo))))


def hardware_error(table) -> float:
    """Max |unit(x) - f(x)| over every input code x in the table's range (``range_lo`` .. ``range_hi``;
    for reciprocal and rsqrt the reduced mantissa's, where no scaling applies): the golden model's
    evaluation of the quantized table (:func:`hwgen.nnlut.evaluate.evaluate`), after every rounding.
    Reads only the table (e.g. a stored manifest's, :func:`~hwgen.nnlut.table.table_from_description`):
    no fit."""
    from hwgen.golden import all_values
    from hwgen.nnlut.evaluate import evaluate

    fn = get_function(table.function)
    x = all_values(table.in_format)
    x = x[np.isfinite(x) & (x >= table.range_lo) & (x <= table.range_hi)]
    return float(np.abs(evaluate(table, x) - fn(x)).max())


def table_grid_bits(function, in_format, out_format, frac_bits: int | None = None,
                    x_frac: int | None = None) -> int:
    """The input grid (x_frac) :func:`~hwgen.nnlut.table.quantize_pwl` gives a table of these options:
    exact for range reduction (any other x_frac is refused, as there), else ``x_frac`` or its default."""
    fn = get_function(function)
    in_fmt, out_fmt = check_io_format(in_format, "input"), check_io_format(out_format, "output")
    if fn.reduced:
        exact = mantissa_frac_bits(in_fmt)
        if x_frac is not None and x_frac != exact:
            raise ValueError(f"{fn.name} of {in_fmt.name} reduces exactly with x_frac {exact}, not {x_frac}")
        return exact
    if x_frac is not None:
        return check_int(x_frac, "input frac bits", 0, MAX_FRAC_BITS)
    frac_bits = default_frac_bits(out_fmt) if frac_bits is None else check_int(
        frac_bits, "coefficient frac bits", 0, MAX_FRAC_BITS)
    return default_x_frac(fn, in_fmt, frac_bits)


@lru_cache(maxsize=1024)
def _lut_error(function: str, cell_bits: int, lo: float, hi: float) -> float:
    return approximation_errors(function, uniform_lut_pwl(function, cell_bits, lo, hi), lo, hi).max


def lut_error(function, cell_bits: int, lo=None, hi=None) -> float:
    """Float maximum error of the uniform LUT with 2^-cell_bits cells on [lo, hi] (default: the
    function's range), on the error grid of :func:`~hwgen.nnlut.fit.approximation_errors`."""
    fn = get_function(function)
    lo, hi = check_range(fn, lo, hi)
    return _lut_error(fn.name, check_int(cell_bits, "cell bits", MIN_CELL_BITS, MAX_FRAC_BITS), lo, hi)


@lru_cache(maxsize=256)
def _nnlut_error(function: str, entries: int, lo: float, hi: float, seed: int) -> float:
    return approximation_errors(function, cached_fit(function, entries, lo, hi, seed=seed).pwl, lo, hi).max


def nnlut_error(function, entries: int, lo=None, hi=None, *, seed: int = 0) -> float:
    """Float maximum error of the fitted NN-LUT (:func:`~hwgen.nnlut.fit.cached_fit`) on [lo, hi]."""
    fn = get_function(function)
    lo, hi = check_range(fn, lo, hi)
    return _nnlut_error(fn.name, check_int(entries, "entries", 1, MAX_ENTRIES), lo, hi,
                        check_int(seed, "seed", 0, 2**32 - 1))


def equal_accuracy_cells(function, target_error: float, grid_bits: int, max_entries: int = MAX_LUT_ENTRIES,
                         *, lo=None, hi=None) -> tuple[int, str]:
    """(cell bits, how): the coarsest 2^-cell_bits cells on [lo, hi] whose float maximum error is at
    most ``target_error``.

    ``how`` is ``"equal"`` when reached, ``"grid"`` when the cells reached the input grid
    (``cell_bits == grid_bits``) first, ``"capped"`` when the next halving would need more than
    ``max_entries`` entries (see the module docstring).
    """
    fn = get_function(function)
    lo, hi = check_range(fn, lo, hi)
    target_error = float(target_error)
    if not target_error >= 0:
        raise ValueError(f"target error must be a number at least 0, not {target_error!r}")
    grid_bits = check_int(grid_bits, "grid bits", MIN_CELL_BITS, MAX_FRAC_BITS)
    max_entries = check_int(max_entries, "max LUT entries", 1, MAX_LUT_ENTRIES)
    cell_bits = min(coarsest_cell_bits(lo, hi), grid_bits)
    while True:
        if lut_error(fn, cell_bits, lo, hi) <= target_error:
            return cell_bits, "equal"
        if cell_bits >= grid_bits:
            return cell_bits, "grid"
        if lut_entries(lo, hi, cell_bits + 1) > max_entries:
            return cell_bits, "capped"
        cell_bits += 1


@dataclass(frozen=True)
class LutMatch:
    """The uniform LUT of equal accuracy to an NN-LUT: its cells and how the search ended."""

    function: str
    lo: float
    hi: float
    nnlut_entries: int
    seed: int  # the NN-LUT fit's
    nnlut_error: float  # the NN-LUT's float maximum error
    cell_bits: int
    how: str  # "equal", "grid" or "capped" (see the module docstring)
    lut_error: float  # the LUT's float maximum error

    @property
    def entries(self) -> int:
        return lut_entries(self.lo, self.hi, self.cell_bits)


@lru_cache(maxsize=256)
def _match(function: str, entries: int, lo: float, hi: float, seed: int, grid_bits: int,
           max_entries: int) -> LutMatch:
    error = _nnlut_error(function, entries, lo, hi, seed)
    cell_bits, how = equal_accuracy_cells(function, error, grid_bits, max_entries, lo=lo, hi=hi)
    return LutMatch(function, lo, hi, entries, seed, error, cell_bits, how,
                    _lut_error(function, cell_bits, lo, hi))


def match_nnlut(function, entries: int, grid_bits: int, *, lo=None, hi=None, seed: int = 0,
                max_entries: int | None = None) -> LutMatch:
    """The uniform LUT of equal accuracy to the ``entries``-entry NN-LUT (fit ``seed``) on [lo, hi],
    on an input grid of 2^-grid_bits, at most ``max_entries`` entries (default :data:`MAX_LUT_ENTRIES`).

    Fits the NN-LUT once per process (:func:`~hwgen.nnlut.fit.cached_fit`); deterministic.
    """
    fn = get_function(function)
    lo, hi = check_range(fn, lo, hi)
    max_entries = MAX_LUT_ENTRIES if max_entries is None else max_entries
    return _match(fn.name, check_int(entries, "entries", 1, MAX_ENTRIES), lo, hi,
                  check_int(seed, "seed", 0, 2**32 - 1), check_int(grid_bits, "grid bits", MIN_CELL_BITS,
                                                                  MAX_FRAC_BITS),
                  check_int(max_entries, "max LUT entries", 1, MAX_LUT_ENTRIES))
