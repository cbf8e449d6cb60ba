"""The frozen, quantized NN-LUT table: what the golden model evaluates and the generator builds.

A :class:`NnLutTable` holds integers only, each in a stated fixed-point format, and the input and
output formats of the registry. It joins the fitting (:mod:`hwgen.nnlut.fit`, floats) to the
bit-exact evaluation (:mod:`hwgen.nnlut.evaluate`) and the hardware (:mod:`hwgen.gen.nnlut`), which
never see each other. Every rounding step of the datapath, in order (docs/nnlut.md says the same):

1. **Input to the table's grid** (units of 2^-x_frac). ``clamp`` functions: the input value is
   clamped to [lo, hi] and rounded toward zero (its magnitude truncated) to a multiple of 2^-x_frac;
   the range ends are grid values, so clamping and truncating commute. Integer inputs with
   ``frac_bits <= x_frac`` are exact. ``reciprocal`` / ``rsqrt``: ``|x| = m * 2^e``, m in [1, 2),
   is exact (x_frac is the input's mantissa width); rsqrt doubles m for odd e (m in [1, 4)).
2. **Segment index** k = the number of breakpoints <= u (a comparator bank). Breakpoints are the
   fitted ones rounded up to the grid (``ceil``), so a grid input lands in the same segment as in the
   float table.
3. **Coefficients**: slope s_k in units 2^-slope_frac (the fitted slope rounded half to even),
   intercept t_k in units 2^-intercept_frac (rounded half to even after moving the fitted line's
   intercept by the slope's rounding error times the segment's midpoint, so the line stays put there).
4. **Multiply-add, exact**: p = s_k * u + t_k * 2^(product_frac - intercept_frac), an integer in units
   2^-product_frac, product_frac = slope_frac + x_frac.
5. **Output, one rounding**: the value (-1)^negate * p * 2^(scale - product_frac) (scale = the range
   reduction's exponent, 0 for clamp functions) is rounded once to the output format, to nearest,
   ties to even, saturating (overflow gives +-max, never inf or NaN).

Specials: NaN in gives NaN out (code 0 when the output format has no NaN). ``clamp``: +-inf clamp
like any other input beyond the range. ``reciprocal``: 1/(+-0) = +-max (saturated inf), 1/(+-inf) =
+-0, a negative x gives -(1/|x|). ``rsqrt``: rsqrt(+-0) = +-max, rsqrt(+inf) = +0, a negative x
(-inf included) gives NaN.
"""

import itertools
import math
from dataclasses import dataclass

import numpy as np

from hwgen.formats import IntFormat, MiniFloat, scalar_format
from hwgen.formats._check import check_int
from hwgen.nnlut.functions import Function, get_function
from hwgen.nnlut.pwl import PiecewiseLinear

MAX_FRAC_BITS = 24
MAX_PRODUCT_BITS = 52  # p stays exact in float64 (the golden model's decode of the result)
MAX_INPUT_BITS = 16


def check_io_format(name, role: str):
    """The registry format ``name`` as an NN-LUT input or output (integer / fixed point or minifloat)."""
    fmt = scalar_format(name)
    if not isinstance(fmt, IntFormat | MiniFloat):
        raise ValueError(f"{role} format must be an integer / fixed-point or minifloat format, "
                         f"not {fmt.name}")
    if role == "input" and fmt.bits > MAX_INPUT_BITS:
        raise ValueError(f"input format must have at most {MAX_INPUT_BITS} bits, not {fmt.name} "
                         f"({fmt.bits} bits)")
    return fmt


def format_min(fmt) -> float:
    """The most negative finite value of a format (0 for unsigned integers)."""
    if isinstance(fmt, IntFormat):
        return fmt.min_int * 2.0**fmt.lsb_exponent
    return -fmt.max


def mantissa_frac_bits(fmt) -> int:
    """Fraction bits of m in |x| = m * 2^e (m in [1, 2)) for every value of ``fmt``: exact reduction."""
    if isinstance(fmt, MiniFloat):
        return fmt.man_bits
    return fmt.bits - 1  # a magnitude of up to ``bits`` bits below its leading one


def default_frac_bits(out_fmt) -> int:
    """Coefficient fraction bits when none are given: output bits + 2, between 8 and 16."""
    return min(16, max(8, out_fmt.bits + 2))


def default_x_frac(function: Function, in_fmt, frac_bits: int) -> int:
    """Input grid bits when none are given: exact for integer inputs and range reduction, else
    the input's own resolution capped at ``frac_bits``."""
    if function.reduced:
        return mantissa_frac_bits(in_fmt)
    if isinstance(in_fmt, IntFormat):
        return in_fmt.frac_bits
    return max(0, min(-in_fmt.lsb_exponent, frac_bits))


@dataclass(frozen=True)
class NnLutTable:
    """A quantized PWL table and its input / output formats (see the module docstring for the rounding).

    All coefficient fields are Python ints: ``breakpoints`` (entries - 1, sorted) and ``lo`` / ``hi``
    in units 2^-x_frac, ``slopes`` in 2^-slope_frac, ``intercepts`` in 2^-intercept_frac.
    ``lo`` / ``hi`` bound the clamped input (for range reduction: the mantissa's grid, [1, 2) or
    [1, 4)). ``range_lo`` / ``range_hi`` are the real range the table was fitted on.
    """

    function: str
    in_format: str
    out_format: str
    x_frac: int
    slope_frac: int
    intercept_frac: int
    lo: int
    hi: int
    breakpoints: tuple
    slopes: tuple
    intercepts: tuple
    range_lo: float
    range_hi: float

    def __post_init__(self):
        fn = get_function(self.function)
        object.__setattr__(self, "function", fn.name)
        in_fmt, out_fmt = check_io_format(self.in_format, "input"), check_io_format(self.out_format, "output")
        object.__setattr__(self, "in_format", in_fmt.name)
        object.__setattr__(self, "out_format", out_fmt.name)
        for name in ("x_frac", "slope_frac", "intercept_frac"):
            object.__setattr__(self, name, check_int(getattr(self, name), name.replace("_", " "), 0, 32))
        for name in ("breakpoints", "slopes", "intercepts"):
            values = tuple(check_int(v, name, -(1 << 62), 1 << 62) for v in getattr(self, name))
            object.__setattr__(self, name, values)
        if not len(self.slopes) == len(self.intercepts) == len(self.breakpoints) + 1:
            raise ValueError("a table needs one slope and intercept per entry and one breakpoint fewer")
        if any(b > c for b, c in zip(self.breakpoints, self.breakpoints[1:], strict=False)):
            raise ValueError("breakpoints must be sorted")
        if self.intercept_frac > self.product_frac:
            raise ValueError(f"intercept frac bits ({self.intercept_frac}) must be at most slope + input "
                             f"frac bits ({self.product_frac})")
        if fn.reduced and self.x_frac != mantissa_frac_bits(in_fmt):
            raise ValueError(f"{fn.name} of {in_fmt.name} needs x_frac {mantissa_frac_bits(in_fmt)} "
                             f"(the exact mantissa), not {self.x_frac}")
        expected = self.reduced_grid(fn, self.x_frac)
        if fn.reduced and (self.lo, self.hi) != expected:
            raise ValueError(f"{fn.name}'s table range must be {expected}, not {(self.lo, self.hi)}")
        if not self.lo < self.hi:
            raise ValueError(f"the range {self.range_lo:g}:{self.range_hi:g} holds fewer than two values of "
                             f"the input grid (steps of 2^-{self.x_frac})")
        if fn.reduction == "reciprocal" and in_fmt.signed and not out_fmt.signed:
            raise ValueError(f"reciprocal of the signed {in_fmt.name} needs a signed output format, "
                             f"not {out_fmt.name}")
        low, high = self.product_range()
        if max(high, -low).bit_length() + 1 > MAX_PRODUCT_BITS:
            raise ValueError(f"the multiply-add needs {max(high, -low).bit_length() + 1} bits, more than "
                             f"{MAX_PRODUCT_BITS}; use fewer fraction bits")

    @staticmethod
    def reduced_grid(function: Function, x_frac: int) -> tuple[int, int]:
        """[lo, hi] of the reduced mantissa in units 2^-x_frac: [1, 2) or [1, 4)."""
        top = 4 if function.reduction == "rsqrt" else 2
        return 1 << x_frac, (top << x_frac) - 1

    # -- derived facts ------------------------------------------------------------------------------
    @property
    def entries(self) -> int:
        return len(self.slopes)

    @property
    def reduction(self) -> str:
        return get_function(self.function).reduction

    @property
    def product_frac(self) -> int:
        """p = s * u + t * 2^intercept_shift is in units 2^-product_frac."""
        return self.slope_frac + self.x_frac

    @property
    def intercept_shift(self) -> int:
        return self.product_frac - self.intercept_frac

    @property
    def constant(self) -> bool:
        """True when every slope is 0: a plain lookup table (no multiplier)."""
        return not any(self.slopes)

    def segment_bounds(self) -> list:
        """Per segment, the (first, last) grid input that reaches it, or None when none does."""
        edges = [self.lo, *(min(max(b, self.lo), self.hi + 1) for b in self.breakpoints), self.hi + 1]
        return [(first, last - 1) if first < last else None
                for first, last in itertools.pairwise(edges)]

    def product_range(self) -> tuple[int, int]:
        """The smallest and largest p over every reachable (segment, input) pair."""
        ends = []
        for k, bounds in enumerate(self.segment_bounds()):
            if bounds is not None:
                ends += [self.slopes[k] * u + (self.intercepts[k] << self.intercept_shift) for u in bounds]
        return min(ends), max(ends)

    def uniform_shift(self) -> int | None:
        """w when the breakpoints are lo + j * 2^w (j = 1 .. entries - 1): the index is a bit slice."""
        if self.entries == 1:
            return None
        step = self.breakpoints[0] - self.lo
        if step <= 0 or step & (step - 1):
            return None
        if any(b != self.lo + (j + 1) * step for j, b in enumerate(self.breakpoints)):
            return None
        return step.bit_length() - 1

    def describe(self) -> dict:
        """The table for a manifest: formats, fraction bits and every coefficient."""
        return {
            "function": self.function, "reduction": self.reduction, "entries": self.entries,
            "range": [self.range_lo, self.range_hi], "in_format": self.in_format,
            "out_format": self.out_format, "x_frac": self.x_frac, "slope_frac": self.slope_frac,
            "intercept_frac": self.intercept_frac, "lo": self.lo, "hi": self.hi,
            "breakpoints": list(self.breakpoints), "slopes": list(self.slopes),
            "intercepts": list(self.intercepts),
        }


def table_from_description(description: dict) -> NnLutTable:
    """The table :meth:`NnLutTable.describe` wrote (e.g. into a unit's manifest)."""
    keys = ("function", "in_format", "out_format", "x_frac", "slope_frac", "intercept_frac", "lo", "hi")
    try:
        fields = {key: description[key] for key in keys}
        return NnLutTable(**fields, breakpoints=tuple(description["breakpoints"]),
                          slopes=tuple(description["slopes"]), intercepts=tuple(description["intercepts"]),
                          range_lo=float(description["range"][0]), range_hi=float(description["range"][1]))
    except (KeyError, IndexError, TypeError) as error:
        raise ValueError(f"not an NN-LUT table description (missing or bad {error})") from None


def quantize_pwl(function, pwl, in_format, out_format, *, frac_bits: int | None = None,
                 x_frac: int | None = None) -> NnLutTable:
    """Round a float PWL table (from :mod:`hwgen.nnlut.fit`) to an :class:`NnLutTable`.

    ``frac_bits`` sets the slope and intercept fraction bits (default :func:`default_frac_bits`);
    ``x_frac`` the input grid (default :func:`default_x_frac`; fixed by range reduction).

    Raises
    ------
    ValueError
        A format that is not integer / minifloat, an output format that cannot hold the function's
        values on the range, or a datapath wider than :data:`MAX_PRODUCT_BITS`.
    """
    fn = get_function(function)
    in_fmt, out_fmt = check_io_format(in_format, "input"), check_io_format(out_format, "output")
    frac_bits = default_frac_bits(out_fmt) if frac_bits is None else check_int(
        frac_bits, "coefficient frac bits", 0, MAX_FRAC_BITS)
    if fn.reduced:
        exact = mantissa_frac_bits(in_fmt)
        if x_frac is not None and x_frac != exact:
            raise ValueError(f"{fn.name} of {in_fmt.name} reduces exactly with x_frac {exact}, not {x_frac}")
        x_frac = exact
    else:
        x_frac = default_x_frac(fn, in_fmt, frac_bits) if x_frac is None else check_int(
            x_frac, "input frac bits", 0, MAX_FRAC_BITS)
    check_output_holds(fn, pwl.lo, pwl.hi, out_fmt)
    if fn.reduced:
        lo, hi = NnLutTable.reduced_grid(fn, x_frac)
    else:
        lo, hi = math.ceil(math.ldexp(pwl.lo, x_frac)), math.floor(math.ldexp(pwl.hi, x_frac))
    breakpoints = [math.ceil(math.ldexp(d, x_frac)) for d in pwl.breakpoints.tolist()]
    slopes = np.rint(np.ldexp(pwl.slopes, frac_bits))
    edges = np.concatenate(([pwl.lo], np.clip(pwl.breakpoints, pwl.lo, pwl.hi), [pwl.hi]))
    middles = (edges[:-1] + edges[1:]) / 2
    moved = pwl.intercepts + (pwl.slopes - np.ldexp(slopes, -frac_bits)) * middles
    intercepts = np.rint(np.ldexp(moved, frac_bits))
    return NnLutTable(fn.name, in_fmt.name, out_fmt.name, x_frac, frac_bits, frac_bits, lo, hi,
                      tuple(breakpoints), tuple(int(s) for s in slopes), tuple(int(t) for t in intercepts),
                      float(pwl.lo), float(pwl.hi))


def check_output_holds(function: Function, lo: float, hi: float, out_fmt) -> None:
    """ValueError when ``out_fmt`` cannot hold the function's values on [lo, hi]."""
    x = np.linspace(lo, hi, 4097)
    values = function(x)
    top, bottom = float(values.max()), float(values.min())
    if top > out_fmt.max or bottom < format_min(out_fmt):
        raise ValueError(f"output format {out_fmt.name} (range {format_min(out_fmt):g} .. {out_fmt.max:g}) "
                         f"cannot hold {function.name} on {lo:g}:{hi:g} (values {bottom:.6g} .. {top:.6g})")


def uniform_lut_pwl(function, cell_bits: int, lo=None, hi=None) -> PiecewiseLinear:
    """A float piecewise-constant table with cells 2^-cell_bits wide from lo, each holding the
    midrange of f on its part of [lo, hi]; entries = ceil((hi - lo) * 2^cell_bits)."""
    fn = get_function(function)
    lo, hi = (fn.lo, fn.hi) if lo is None and hi is None else (float(lo), float(hi))
    cell_bits = check_int(cell_bits, "cell bits", -8, MAX_FRAC_BITS)
    width = math.ldexp(1.0, -cell_bits)
    entries = math.ceil((hi - lo) / width)
    breakpoints = lo + width * np.arange(1, entries)
    x = np.linspace(lo, hi, max(65537, 16 * entries + 1))
    f = fn(x)
    cell = np.searchsorted(breakpoints, x, side="right")
    top, bottom = np.full(entries, -np.inf), np.full(entries, np.inf)
    np.maximum.at(top, cell, f)
    np.minimum.at(bottom, cell, f)
    return PiecewiseLinear(lo, hi, breakpoints, np.zeros(entries), (top + bottom) / 2)


def uniform_lut_table(function, in_format, out_format, cell_bits: int, *, lo=None, hi=None,
                      frac_bits: int | None = None, x_frac: int | None = None) -> NnLutTable:
    """:func:`uniform_lut_pwl`, quantized: a ROM indexed by a bit slice of the input grid.

    The same datapath as an NN-LUT without the multiplier; ``cell_bits`` must be at most the input
    grid's ``x_frac`` for the cells to be whole grid steps.
    """
    pwl = uniform_lut_pwl(function, cell_bits, lo, hi)
    return quantize_pwl(function, pwl, in_format, out_format, frac_bits=frac_bits, x_frac=x_frac)
