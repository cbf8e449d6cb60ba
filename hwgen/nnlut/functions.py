"""The nonlinearities an NN-LUT approximates: their float64 reference, default range and range reduction.

``reduction`` says how an input reaches the table:

* ``"clamp"``: the input is clamped to the table's range [lo, hi] (gelu, silu, tanh, exp).
* ``"reciprocal"``: power-of-two range reduction. ``|x| = m * 2^e`` with ``m`` in [1, 2), so
  ``1/x = sign(x) * (1/m) * 2^-e``: the table covers ``1/m`` on [1, 2) and the exponent is applied
  by shifting.
* ``"rsqrt"``: ``x = m * 2^e`` with ``m`` in [1, 2); an odd ``e`` moves one factor 2 into the
  mantissa (``m' = 2m`` in [2, 4), ``e' = e - 1``), so ``x^-1/2 = m'^-1/2 * 2^(-e'/2)`` with an
  integer shift: the table covers ``1/sqrt(m')`` on [1, 4).

Range reduction is standard practice, not claimed from the NN-LUT paper (see docs/nnlut.md#method).
"""

import math
from dataclasses import dataclass

import numpy as np

REDUCTIONS = ("clamp", "reciprocal", "rsqrt")
_ERF = np.frompyfunc(math.erf, 1, 1)


def _gelu(x):
    return 0.5 * x * (1.0 + _ERF(x / math.sqrt(2.0)).astype(np.float64))


def _silu(x):
    return x / (1.0 + np.exp(-x))


def _rsqrt(x):
    return 1.0 / np.sqrt(x)


@dataclass(frozen=True)
class Function:
    """A nonlinearity: ``reference`` is its float64 value, ``lo`` / ``hi`` its default table range."""

    name: str
    reference: object  # float64 array -> float64 array
    lo: float
    hi: float
    reduction: str
    description: str
    # Fits keep every table value >= 0 (exp: a negative value would subtract from a softmax's sum).
    non_negative: bool = False

    def __post_init__(self):
        if self.reduction not in REDUCTIONS:
            raise ValueError(f"reduction must be one of {', '.join(REDUCTIONS)}, not {self.reduction!r}")

    @property
    def reduced(self) -> bool:
        """True when power-of-two range reduction fixes the table's range (no --range)."""
        return self.reduction != "clamp"

    def __call__(self, x) -> np.ndarray:
        return self.reference(np.asarray(x, dtype=np.float64))


FUNCTIONS = {
    f.name: f for f in (
        Function("gelu", _gelu, -8.0, 8.0, "clamp", "x * Phi(x), the exact (erf) GELU"),
        Function("exp", np.exp, -8.0, 0.0, "clamp", "e^x for x <= 0 (softmax, after max subtraction)",
                 non_negative=True),
        Function("reciprocal", np.reciprocal, 1.0, 2.0, "reciprocal",
                 "1/x with power-of-two range reduction (table on [1, 2))"),
        Function("rsqrt", _rsqrt, 1.0, 4.0, "rsqrt",
                 "1/sqrt(x) with power-of-two range reduction (table on [1, 4))"),
        Function("silu", _silu, -8.0, 8.0, "clamp", "x * sigmoid(x)"),
        Function("tanh", np.tanh, -4.0, 4.0, "clamp", "tanh(x)"),
    )
}


def get_function(name) -> Function:
    """The function called ``name``; ValueError naming the known ones otherwise."""
    if isinstance(name, Function):
        return name
    if not isinstance(name, str):
        raise TypeError(f"function must be a name, not {type(name).__name__}")
    try:
        return FUNCTIONS[name.strip().lower()]
    except KeyError:
        raise ValueError(f"unknown function {name!r}; known: {', '.join(FUNCTIONS)}") from None


def check_range(function: Function, lo=None, hi=None) -> tuple[float, float]:
    """The table range: the function's default, or ``[lo, hi]`` for a clamped function.

    Raises
    ------
    ValueError
        An empty, inverted or non-finite range, or a range given to a range-reduced function.
    """
    if lo is None and hi is None:
        return function.lo, function.hi
    if lo is None or hi is None:
        raise ValueError("a range needs both ends, LO:HI")
    lo, hi = float(lo), float(hi)
    if function.reduced and (lo, hi) != (function.lo, function.hi):
        raise ValueError(f"{function.name} uses power-of-two range reduction: its table covers "
                         f"[{function.lo:g}, {function.hi:g}) and takes no range")
    if not (math.isfinite(lo) and math.isfinite(hi)):
        raise ValueError(f"range ends must be finite numbers, not {lo:g}:{hi:g}")
    if not lo < hi:
        raise ValueError(f"range must have lo < hi, not {lo:g}:{hi:g} "
                         f"({'empty' if lo == hi else 'inverted'})")
    return lo, hi


def parse_range(text: str) -> tuple[float, float]:
    """``"LO:HI"`` as two floats (the CLI's --range); ValueError when it is not that."""
    parts = str(text).split(":")
    try:
        if len(parts) != 2:
            raise ValueError
        return float(parts[0]), float(parts[1])
    except ValueError:
        raise ValueError(f"--range must be LO:HI with two numbers, e.g. -8:8, not {text!r}") from None
