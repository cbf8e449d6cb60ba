"""A float piecewise-linear function on a clamped range: what fitting produces and quantizing consumes."""

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True, eq=False)
class PiecewiseLinear:
    """A PWL function on [lo, hi]: segment k is used for ``breakpoints[k-1] <= x < breakpoints[k]``.

    Inputs are clamped to [lo, hi] first. ``slopes`` and ``intercepts`` have one entry per segment
    (``entries``), ``breakpoints`` one fewer, sorted.
    """

    lo: float
    hi: float
    breakpoints: np.ndarray
    slopes: np.ndarray
    intercepts: np.ndarray

    def __post_init__(self):
        for name in ("breakpoints", "slopes", "intercepts"):
            array = np.array(getattr(self, name), dtype=np.float64)
            array.setflags(write=False)
            object.__setattr__(self, name, array)
        if not (len(self.slopes) == len(self.intercepts) == len(self.breakpoints) + 1):
            raise ValueError("a PWL function needs one slope and intercept per segment, one breakpoint fewer")
        if np.any(np.diff(self.breakpoints) < 0):
            raise ValueError("breakpoints must be sorted")

    @property
    def entries(self) -> int:
        return len(self.slopes)

    def __call__(self, x) -> np.ndarray:
        x = np.clip(np.asarray(x, dtype=np.float64), self.lo, self.hi)
        k = np.searchsorted(self.breakpoints, x, side="right")
        return self.slopes[k] * x + self.intercepts[k]
