"""Fit an NN-LUT: a one-hidden-layer ReLU network trained for the smallest maximum error, as a PWL table.

NumPy only, float64, deterministic for a given seed; nothing here rounds to a hardware format (that
is :mod:`hwgen.nnlut.table`) or evaluates a table bit-exactly (that is :mod:`hwgen.nnlut.evaluate`).

The network (docs/nnlut.md#the-network-and-its-table, with one documented addition) is

    y(x) = c + a * x + sum_i m_i * ReLU(n_i * x + b_i),   i = 1 .. H,  H = entries - 1,

on the input clamped to [lo, hi]. The skip term ``a * x`` is hwgen's addition: it is the neuron
``a * ReLU(x - lo)`` (plus a constant) of a network with H + 1 neurons whose extra breakpoint sits at the
range's lower end, so it adds no breakpoint inside the range. Without it, the slopes of the outer
segments must be sums of the slope changes of the left- or right-facing neurons, which not every
PWL function allows (1/x on [1, 2): its left slope -1 is no such sum of its positive slope changes).
The network is exactly a PWL function with the H breakpoints ``d_i = -b_i / n_i`` and H + 1 = entries
segments (:meth:`ReluNetwork.to_pwl`).

Training (:func:`fit_nnlut`), every step deterministic:

1. Starting points for the breakpoints: (a) the network trained with Adam on the L2 loss, then Lp
   losses with p = 4, 8, 16 (a smooth path towards the maximum error), on minibatches drawn with
   ``seed``, from the uniform interpolant; (b) breakpoints whose density follows |f''|^(1/2) (the
   asymptotically best placement for PWL approximation); (c) uniform breakpoints.
2. Minimax refinement of each start, on a grid of the range: for fixed breakpoints the best values at
   the breakpoints (a linear Chebyshev problem, solved by Lawson's iteratively reweighted least
   squares), then breakpoints moved to balance the segments' maximum errors, a step kept only when
   the maximum error falls. A continuous PWL with H breakpoints is exactly such a network, so the
   refined function is a network too (:meth:`ReluNetwork.from_knots`). For a non-negative
   function (exp) no value may be negative (:func:`_solve_non_negative`).
3. The start with the smallest maximum error wins.

Baselines with the same number of entries: :func:`uniform_pwl` (uniform breakpoints, each segment's
least-squares line) and :func:`uniform_lut` (uniform cells, each the midrange of f on the cell: the
best constant for the maximum error).
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from types import MappingProxyType

import numpy as np

from hwgen.formats._check import check_int
from hwgen.nnlut.functions import Function, check_range, get_function
from hwgen.nnlut.pwl import PiecewiseLinear

MAX_ENTRIES = 256
FIT_POINTS = 4097  # grid of the minimax refinement
POLISH_POINTS = 16385  # final values, breakpoints fixed
ERROR_POINTS = 65537  # grid of the reported errors
TRAIN_STEPS = ((2, 500), (4, 300), (8, 300), (16, 300))  # (p of the Lp loss, Adam steps)
TRAIN_BATCH = 256
TRAIN_RATE = 3e-3
LAWSON_STEPS = 25
POLISH_STEPS = 80
REFINE_ROUNDS = 80
MIN_SEGMENT_POINTS = 3  # of the fit grid, so that every segment's values stay determined


# -- piecewise-linear functions and networks --------------------------------------------------------

def network_segments(n: Sequence, b: Sequence, m: Sequence, a, c) -> tuple[list, list, list]:
    """(breakpoints, slopes, intercepts) of ``c + a x + sum m_i ReLU(n_i x + b_i)``, exactly.

    Plain Python arithmetic on the given numbers: with ``fractions.Fraction`` parameters the result is
    exact. Segment k lies between the k-th and (k+1)-th smallest breakpoint ``d_i = -b_i / n_i``; its
    slope and intercept are ``a`` and ``c`` plus the sums of ``m_i n_i`` and ``m_i b_i`` over the
    neurons active on it (right-facing ones to its left, left-facing ones to its right). A neuron with
    ``n_i = 0`` is the constant ``m_i ReLU(b_i)``.
    """
    if not len(n) == len(b) == len(m):
        raise ValueError("n, b and m need one entry per neuron")
    constant = c + sum((mi * max(bi, 0 * bi) for ni, bi, mi in zip(n, b, m, strict=True) if ni == 0),
                       start=0 * c)
    neurons = sorted(((-bi / ni, ni, bi, mi) for ni, bi, mi in zip(n, b, m, strict=True) if ni != 0),
                     key=lambda neuron: neuron[0])
    breakpoints = [neuron[0] for neuron in neurons]
    slopes, intercepts = [], []
    for k in range(len(neurons) + 1):
        slope, intercept = a, constant
        for position, (_, ni, bi, mi) in enumerate(neurons):
            if (ni > 0 and position < k) or (ni < 0 and position >= k):
                slope, intercept = slope + mi * ni, intercept + mi * bi
        slopes.append(slope)
        intercepts.append(intercept)
    return breakpoints, slopes, intercepts


@dataclass(frozen=True, eq=False)
class ReluNetwork:
    """``y(x) = c + a x + sum_i m_i ReLU(n_i x + b_i)`` (see the module docstring for ``a``)."""

    n: np.ndarray
    b: np.ndarray
    m: np.ndarray
    a: float
    c: float

    def __post_init__(self):
        for name in ("n", "b", "m"):
            array = np.array(getattr(self, name), dtype=np.float64)
            array.setflags(write=False)
            object.__setattr__(self, name, array)
        object.__setattr__(self, "a", float(self.a))
        object.__setattr__(self, "c", float(self.c))

    @property
    def neurons(self) -> int:
        return len(self.n)

    def __call__(self, x) -> np.ndarray:
        x = np.asarray(x, dtype=np.float64)
        hidden = np.maximum(np.multiply.outer(x, self.n) + self.b, 0.0)
        return hidden @ self.m + self.a * x + self.c

    def to_pwl(self, lo: float, hi: float) -> PiecewiseLinear:
        """The same function as a table of H + 1 segments (exact up to float64 rounding)."""
        breakpoints, slopes, intercepts = network_segments(
            self.n.tolist(), self.b.tolist(), self.m.tolist(), self.a, self.c)
        return PiecewiseLinear(lo, hi, breakpoints, slopes, intercepts)

    @classmethod
    def from_knots(cls, knots: np.ndarray, values: np.ndarray) -> "ReluNetwork":
        """The network equal to the continuous PWL through (knots[j], values[j]) on [knots[0], knots[-1]].

        One right-facing neuron per inner knot (n = 1, b = -knot, m = the slope change there) and the
        skip term for the first segment's slope.
        """
        knots, values = np.asarray(knots, dtype=np.float64), np.asarray(values, dtype=np.float64)
        slopes = np.diff(values) / np.diff(knots)
        inner = knots[1:-1]
        return cls(n=np.ones(len(inner)), b=-inner, m=np.diff(slopes), a=slopes[0],
                   c=values[0] - slopes[0] * knots[0])


# -- the fit ----------------------------------------------------------------------------------------

@dataclass(frozen=True, eq=False)
class NnLutFit:
    """A fitted NN-LUT: the network, its exact PWL table, and which start won the refinement."""

    function: str
    entries: int
    lo: float
    hi: float
    seed: int
    network: ReluNetwork
    pwl: PiecewiseLinear
    start: str  # "trained", "curvature" or "uniform"
    starts: Mapping = field(repr=False)  # start -> maximum error on the fit grid after refinement


def fit_nnlut(function, entries: int, lo=None, hi=None, *, seed: int = 0) -> NnLutFit:
    """Fit an ``entries``-segment NN-LUT to ``function`` on [lo, hi] (default: the function's range).

    Deterministic: the same arguments give the same network, bit for bit.
    """
    fn = get_function(function)
    entries = check_int(entries, "entries", 1, MAX_ENTRIES)
    seed = check_int(seed, "seed", 0, 2**32 - 1)
    lo, hi = check_range(fn, lo, hi)
    x = np.linspace(lo, hi, FIT_POINTS)
    f = fn(x)
    min_gap = MIN_SEGMENT_POINTS * (hi - lo) / (FIT_POINTS - 1)
    starts = {
        "trained": _knots_of(train_network(fn, entries - 1, lo, hi, seed=seed), lo, hi, min_gap),
        "curvature": curvature_knots(fn, entries, lo, hi),
        "uniform": np.linspace(lo, hi, entries + 1),
    }
    floor = fn if fn.non_negative else None
    refined = {name: _refine(knots, x, f, min_gap, floor) for name, knots in starts.items()}
    start = min(refined, key=lambda name: refined[name][0])  # ties: the first (dict order)
    knots = refined[start][1]
    polish = np.linspace(lo, hi, POLISH_POINTS)
    values, _, _ = _lawson(knots, polish, fn(polish), POLISH_STEPS, floor=floor)
    network = ReluNetwork.from_knots(knots, values)
    return NnLutFit(fn.name, entries, lo, hi, seed, network, network.to_pwl(lo, hi), start,
                    MappingProxyType({name: float(result[0]) for name, result in refined.items()}))


@lru_cache(maxsize=256)
def _cached_fit(function: str, entries: int, lo: float, hi: float, seed: int) -> NnLutFit:
    return fit_nnlut(function, entries, lo, hi, seed=seed)


def cached_fit(function, entries: int, lo=None, hi=None, *, seed: int = 0) -> NnLutFit:
    """:func:`fit_nnlut`, computed once per process for the same arguments (the fit is deterministic)."""
    fn = get_function(function)
    lo, hi = check_range(fn, lo, hi)
    return _cached_fit(fn.name, check_int(entries, "entries", 1, MAX_ENTRIES), lo, hi,
                       check_int(seed, "seed", 0, 2**32 - 1))


def train_network(function: Function, neurons: int, lo: float, hi: float, *, seed: int = 0) -> ReluNetwork:
    """The network trained with Adam on Lp losses (:data:`TRAIN_STEPS`), from the uniform interpolant.

    Works in normalized coordinates (input and output scaled to about [-1, 1]); minibatches of
    :data:`TRAIN_BATCH` grid points and a small jitter of the initial breakpoints are drawn with
    ``seed``.
    """
    rng = np.random.default_rng(seed)
    center, half = (lo + hi) / 2, (hi - lo) / 2
    grid = np.linspace(-1.0, 1.0, FIT_POINTS)
    target = function(grid * half + center)
    scale = float(np.abs(target).max()) or 1.0
    target = target / scale
    knots = np.linspace(-1.0, 1.0, neurons + 2)
    slopes = np.diff(function(knots * half + center) / scale) / np.diff(knots)
    inner = knots[1:-1] + rng.uniform(-0.1, 0.1, neurons) * (knots[1] - knots[0])
    params = [np.ones(neurons), -inner, np.diff(slopes), np.array([slopes[0]]),
              np.array([function(np.array([lo]))[0] / scale + slopes[0]])]
    first, second = [np.zeros_like(p) for p in params], [np.zeros_like(p) for p in params]
    step = 0
    for p, count in TRAIN_STEPS:
        for _ in range(count):
            step += 1
            batch = rng.integers(0, FIT_POINTS, TRAIN_BATCH)
            gradients = _lp_gradients(params, grid[batch], target[batch], p)
            for k, gradient in enumerate(gradients):  # Adam
                first[k] = 0.9 * first[k] + 0.1 * gradient
                second[k] = 0.999 * second[k] + 0.001 * gradient * gradient
                mean, spread = first[k] / (1 - 0.9**step), second[k] / (1 - 0.999**step)
                params[k] = params[k] - TRAIN_RATE * mean / (np.sqrt(spread) + 1e-12)
    n, b, m, a, c = params
    # Back to x: n t + b with t = (x - center) / half; outputs times scale.
    return ReluNetwork(n=n / half, b=b - n * center / half, m=m * scale, a=a[0] * scale / half,
                       c=(c[0] - a[0] * center / half) * scale)


def _lp_gradients(params, t, target, p):
    """Gradients of (mean |e|^p)^(1/p), e = network(t) - target, with respect to n, b, m, a, c."""
    n, b, m, a, c = params
    z = np.multiply.outer(n, t) + b[:, None]
    active = z > 0
    hidden = np.where(active, z, 0.0)
    error = m @ hidden + a[0] * t + c[0] - target
    size = np.abs(error)
    largest = size.max()
    if largest == 0:
        return [np.zeros_like(q) for q in params]
    ratio = size / largest
    mean = np.mean(ratio**p)
    grad_y = mean ** (1 / p - 1) * ratio ** (p - 1) * np.sign(error) / len(t)
    grad_z = (m[:, None] * active) * grad_y
    return [grad_z @ t, grad_z.sum(axis=1), hidden @ grad_y, np.array([grad_y @ t]), np.array([grad_y.sum()])]


def curvature_knots(function: Function, entries: int, lo: float, hi: float) -> np.ndarray:
    """Knots lo .. hi whose density follows |f''|^(1/2), f'' from finite differences on a fine grid."""
    x = np.linspace(lo, hi, POLISH_POINTS)
    step = x[1] - x[0]
    curvature = np.abs(np.gradient(np.gradient(function(x), step), step))
    density = np.sqrt(curvature) + 1e-12 * (np.sqrt(curvature.max()) or 1.0)
    cumulative = np.concatenate(([0.0], np.cumsum((density[1:] + density[:-1]) / 2)))
    knots = np.interp(np.linspace(0.0, 1.0, entries + 1), cumulative / cumulative[-1], x)
    knots[0], knots[-1] = lo, hi
    return _spread(knots, (hi - lo) * MIN_SEGMENT_POINTS / (FIT_POINTS - 1))


def _knots_of(network: ReluNetwork, lo: float, hi: float, min_gap: float) -> np.ndarray:
    """The network's breakpoints as knots in [lo, hi] (outside ones moved in), kept min_gap apart."""
    breakpoints = network.to_pwl(lo, hi).breakpoints
    return _spread(np.concatenate(([lo], np.clip(breakpoints, lo, hi), [hi])), min_gap)


def _spread(knots: np.ndarray, min_gap: float) -> np.ndarray:
    """Sorted knots with the ends fixed and neighbours at least min_gap apart."""
    knots = np.sort(knots)
    lo, hi = knots[0], knots[-1]
    count = len(knots) - 1
    for k in range(1, count):
        knots[k] = max(knots[k], knots[k - 1] + min_gap)
    for k in range(count - 1, 0, -1):
        knots[k] = min(knots[k], knots[k + 1] - min_gap, hi - (count - k) * min_gap)
    knots[0], knots[-1] = lo, hi
    return knots


def _lawson(knots: np.ndarray, x: np.ndarray, f: np.ndarray, steps: int, weights=None, floor=None):
    """Best values at the knots for the maximum error (Lawson's algorithm); (values, error, weights).

    With *floor* (the function), no value may be negative: a knot whose value would be is pinned
    to the function's own value there (positive where the function is), and the others re-solved.
    """
    count = len(knots)
    segment = np.clip(np.searchsorted(knots, x, side="right") - 1, 0, count - 2)
    right = (x - knots[segment]) / (knots[segment + 1] - knots[segment])
    left = 1.0 - right
    weights = np.full(len(x), 1.0 / len(x)) if weights is None else weights
    best_error, best_values, best_weights = np.inf, None, weights
    for _ in range(steps):
        diagonal = np.bincount(segment, weights * left * left, count) + \
            np.bincount(segment + 1, weights * right * right, count)
        off = np.bincount(segment, weights * left * right, count - 1)
        rhs = np.bincount(segment, weights * left * f, count) + \
            np.bincount(segment + 1, weights * right * f, count)
        matrix = np.diag(diagonal) + np.diag(off, 1) + np.diag(off, -1)
        if floor is None:
            values = np.linalg.solve(matrix, rhs)
        else:
            values = _solve_non_negative(matrix, rhs, knots, floor)
        error = np.abs(left * values[segment] + right * values[segment + 1] - f)
        largest = error.max()
        if largest < best_error:
            best_error, best_values, best_weights = largest, values, weights
        weights = weights * error + 1e-12 * weights.max()
        weights = weights / weights.sum()
    return best_values, best_error, best_weights


def _solve_non_negative(matrix: np.ndarray, rhs: np.ndarray, knots: np.ndarray, function) -> np.ndarray:
    """``matrix @ values = rhs`` with every negative value pinned to ``function(knot)`` (an active set)."""
    pinned = np.zeros(len(rhs), dtype=bool)
    pins = function(knots)
    while True:
        free = ~pinned
        values = np.where(pinned, pins, 0.0)
        values[free] = np.linalg.solve(matrix[np.ix_(free, free)],
                                       rhs[free] - matrix[np.ix_(free, pinned)] @ pins[pinned])
        negative = free & (values < 0)
        if not negative.any():
            return values
        pinned |= negative


def _refine(knots: np.ndarray, x: np.ndarray, f: np.ndarray, min_gap: float, floor=None):
    """Minimax refinement of knots and values; (maximum error, knots, values)."""
    lo, hi = knots[0], knots[-1]
    values, error, weights = _lawson(knots, x, f, LAWSON_STEPS, floor=floor)
    best = (error, knots, values, weights)
    rate = 0.5
    for _ in range(REFINE_ROUNDS):
        error, knots, values, weights = best
        segment = np.clip(np.searchsorted(knots, x, side="right") - 1, 0, len(knots) - 2)
        residual = np.abs(np.interp(x, knots, values) - f)
        per_segment = np.zeros(len(knots) - 1)
        np.maximum.at(per_segment, segment, residual)
        per_segment = np.maximum(per_segment, per_segment.max() * 1e-3)
        widths = np.diff(knots) * (per_segment / per_segment.max()) ** -rate
        candidate = np.concatenate(([lo], lo + np.cumsum(widths) * (hi - lo) / widths.sum()))
        candidate = _spread(candidate, min_gap)
        values, error, weights = _lawson(candidate, x, f, LAWSON_STEPS, weights, floor)
        if error < best[0]:
            best = (error, candidate, values, weights)
            rate = min(rate * 1.5, 1.0)
        else:
            rate *= 0.5
            if rate < 1e-3:
                break
    return best[0], best[1], best[2]


# -- baselines and errors ---------------------------------------------------------------------------

def uniform_pwl(function, entries: int, lo=None, hi=None) -> PiecewiseLinear:
    """Uniform breakpoints; each segment's least-squares line on the error grid's points in it."""
    fn = get_function(function)
    entries = check_int(entries, "entries", 1, 1 << 16)
    lo, hi = check_range(fn, lo, hi)
    x = np.linspace(lo, hi, ERROR_POINTS)
    f = fn(x)
    breakpoints = lo + (hi - lo) * np.arange(1, entries) / entries
    segment = np.searchsorted(breakpoints, x, side="right")
    count = np.bincount(segment, minlength=entries)
    sx, sf = np.bincount(segment, x, entries), np.bincount(segment, f, entries)
    sxx, sxf = np.bincount(segment, x * x, entries), np.bincount(segment, x * f, entries)
    denominator = count * sxx - sx * sx
    slopes = np.divide(count * sxf - sx * sf, denominator, out=np.zeros(entries), where=denominator != 0)
    intercepts = (sf - slopes * sx) / np.maximum(count, 1)
    return PiecewiseLinear(lo, hi, breakpoints, slopes, intercepts)


def uniform_lut(function, entries: int, lo=None, hi=None) -> PiecewiseLinear:
    """Uniform cells, each holding the midrange (max + min) / 2 of f on the cell (a constant PWL)."""
    fn = get_function(function)
    entries = check_int(entries, "entries", 1, 1 << 16)
    lo, hi = check_range(fn, lo, hi)
    x = np.linspace(lo, hi, max(ERROR_POINTS, 4 * entries + 1))
    f = fn(x)
    breakpoints = lo + (hi - lo) * np.arange(1, entries) / entries
    cell = np.searchsorted(breakpoints, x, side="right")
    top, bottom = np.full(entries, -np.inf), np.full(entries, np.inf)
    np.maximum.at(top, cell, f)
    np.minimum.at(bottom, cell, f)
    return PiecewiseLinear(lo, hi, breakpoints, np.zeros(entries), (top + bottom) / 2)


@dataclass(frozen=True)
class Errors:
    """Absolute errors against the float64 function on a uniform grid of the range."""

    max: float
    mean: float


def approximation_errors(function, approximation, lo: float, hi: float, points: int = ERROR_POINTS) -> Errors:
    """Max and mean |approximation(x) - f(x)| over ``points`` uniform points of [lo, hi]."""
    fn = get_function(function)
    x = np.linspace(lo, hi, points)
    error = np.abs(approximation(x) - fn(x))
    return Errors(float(error.max()), float(error.mean()))
