"""The codes of a scalar format worth testing: ±0, subnormals, ±max, ±min normal, ±1, NaN, inf.

Every unit kind's stimulus draws its operands here (:mod:`hwgen.sim.mac_stimulus`,
:mod:`hwgen.sim.mxdot_stimulus`, :mod:`hwgen.sim.systolic_stimulus`), biased to those codes.
"""

import numpy as np

from hwgen.formats import scalar_format
from hwgen.golden import all_values

ENUMERABLE_BITS = 16  # formats up to this wide have their special codes found by decoding every code

# How often a biased draw picks each kind of code (a draw is biased half the time, else uniform).
EDGE_WEIGHTS = {"zero": 4, "subnormal": 4, "extreme": 4, "min_normal": 2, "one": 2, "nan": 1, "inf": 1}


def edge_codes(fmt) -> dict[str, np.ndarray]:
    """The codes of each kind in EDGE_WEIGHTS that *fmt* has (±0, subnormals, ±max, ±min normal, ...)."""
    fmt = scalar_format(fmt)
    if fmt.bits > ENUMERABLE_BITS:
        return {}
    values = all_values(fmt)
    codes = np.arange(len(values))
    finite = np.isfinite(values)
    magnitude = np.abs(np.where(finite, values, 0.0))
    largest = magnitude.max()
    kinds = {
        "zero": finite & (values == 0),
        "subnormal": finite & (magnitude > 0) & (magnitude < fmt.min_normal),
        "extreme": finite & ((magnitude == largest) | (values == values[finite].max())
                             | (values == values[finite].min())),
        "min_normal": finite & (magnitude == fmt.min_normal),
        "one": finite & (magnitude == 1.0),
        "nan": np.isnan(values),
        "inf": np.isinf(values),
    }
    return {kind: codes[mask] for kind, mask in kinds.items() if mask.any()}


def draw_codes(fmt, count: int, rng: np.random.Generator) -> np.ndarray:
    fmt = scalar_format(fmt)
    codes = rng.integers(0, 1 << fmt.bits, count)
    edges = edge_codes(fmt)
    if not edges:
        return codes
    kinds = list(edges)
    weights = np.array([EDGE_WEIGHTS[kind] for kind in kinds], dtype=float)
    biased = np.flatnonzero(rng.random(count) < 0.5)
    chosen = rng.choice(len(kinds), size=len(biased), p=weights / weights.sum())
    for index, kind in enumerate(kinds):
        where = biased[chosen == index]
        codes[where] = rng.choice(edges[kind], size=len(where))
    return codes


def finite_codes(fmt) -> np.ndarray | None:
    fmt = scalar_format(fmt)
    if fmt.bits > ENUMERABLE_BITS:
        return None
    return np.flatnonzero(np.isfinite(all_values(fmt)))
