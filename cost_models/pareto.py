"""Pareto fronts of cost against accuracy: which designs no other design beats on both axes.

A point is on the front iff no other point is at least as good on both axes and strictly better on one.
Equality is exact (values are compared by rank, never by a tolerance), so duplicates of a
non-dominated point are all on the front. A missing value (NaN, None, pd.NA) in either axis takes the
point out: it is never on the front and never dominates another point.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence

import numpy as np
import pandas as pd

_NUMERIC_KINDS = "biuf"


def _as_vector(values, name: str) -> np.ndarray:
    """One axis as a 1-D array, checked numeric (object arrays of exact numbers such as Fraction allowed)."""
    array = np.asarray(values)
    if array.dtype.kind in "US" and not isinstance(values, np.ndarray):
        array = np.asarray(values, dtype=object)  # NumPy turned a mixed list into strings; find the culprit
    if array.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, not {array.ndim}-dimensional")
    if array.dtype.kind in _NUMERIC_KINDS:
        return array
    if array.dtype.kind == "O":
        for position, value in enumerate(array):
            if not (isinstance(value, numbers.Real) or value is None or value is pd.NA):
                raise TypeError(f"{name} must be numeric, not {type(value).__name__} ({value!r} at position "
                                f"{position})")
        return array
    raise TypeError(f"{name} must be numeric, not {array.dtype}")


def _dense_ranks(values: np.ndarray) -> np.ndarray:
    """0, 1, 2 ... by value; equal values share a rank, so ties stay exact whatever the dtype."""
    _, ranks = np.unique(values, return_inverse=True)
    return ranks.reshape(-1).astype(np.int64)


def pareto_mask(cost, accuracy, *, cost_lower_is_better: bool = True,
                accuracy_higher_is_better: bool = True) -> np.ndarray:
    """Boolean mask of the points on the Pareto front of ``cost`` against ``accuracy``.

    Parameters
    ----------
    cost, accuracy : array-like, one value per point
        Numeric, same length. NaN / None / pd.NA in either value excludes that point.
    cost_lower_is_better : bool
        False for axes such as throughput, where more is better.
    accuracy_higher_is_better : bool
        False for error metrics (relative error, MSE), where less is better.

    Returns
    -------
    numpy.ndarray of bool, one entry per point. Sort-based, O(n log n).
    """
    return _pareto_mask(cost, accuracy, cost_lower_is_better, accuracy_higher_is_better, "cost", "accuracy")


def _pareto_mask(cost, accuracy, cost_lower_is_better: bool, accuracy_higher_is_better: bool,
                 cost_name: str, accuracy_name: str) -> np.ndarray:
    cost_values = _as_vector(cost, cost_name)
    accuracy_values = _as_vector(accuracy, accuracy_name)
    if cost_values.shape != accuracy_values.shape:
        raise ValueError(f"{cost_name} and {accuracy_name} must have the same length, not {cost_values.size} "
                         f"and {accuracy_values.size}")
    mask = np.zeros(cost_values.size, dtype=bool)
    valid = np.flatnonzero(~(pd.isna(cost_values) | pd.isna(accuracy_values)))
    if valid.size == 0:
        return mask
    # Both axes as ranks to minimize: negating a rank is exact and cannot overflow, unlike the values.
    x = _dense_ranks(cost_values[valid])
    y = _dense_ranks(accuracy_values[valid])
    if not cost_lower_is_better:
        x = -x
    if accuracy_higher_is_better:
        y = -y
    order = np.lexsort((y, x))  # by x, then y: the first point of each equal-x run has that run's best y
    x, y, points = x[order], y[order], valid[order]
    starts = np.flatnonzero(np.r_[True, x[1:] != x[:-1]])
    run_best = y[starts]
    # A run's best point is dominated iff a strictly cheaper run reached a y at least as good.
    best_before = np.r_[np.iinfo(np.int64).max, np.minimum.accumulate(run_best)[:-1]]
    run_on_front = run_best < best_before
    run_of_point = np.repeat(np.arange(starts.size), np.diff(np.r_[starts, x.size]))
    on_front = run_on_front[run_of_point] & (y == run_best[run_of_point])
    mask[points[on_front]] = True
    return mask


def _check_columns(df: pd.DataFrame, names: Sequence[str]) -> None:
    for name in names:
        if name not in df.columns:
            available = ", ".join(repr(str(column)) for column in df.columns) or "(none)"
            raise ValueError(f"no column {name!r} in the table; available columns: {available}")


def pareto_front(df: pd.DataFrame, cost: str, accuracy: str, *, group: str | Sequence[str] | None = None,
                 cost_lower_is_better: bool = True, accuracy_higher_is_better: bool = True,
                 column: str = "on_front") -> pd.DataFrame:
    """A copy of ``df`` with a boolean ``column`` marking the Pareto front of ``cost`` against ``accuracy``.

    With ``group`` (a column name or a list of them, e.g. ``"target"``) the front is taken within each
    group; rows whose group value is missing form a group of their own. ``df`` itself is not changed.
    """
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"pareto_front needs a pandas DataFrame, not {type(df).__name__}")
    groups = [] if group is None else [group] if isinstance(group, str) else list(group)
    _check_columns(df, [cost, accuracy, *groups])
    result = df.copy()
    names = f"column {cost!r}", f"column {accuracy!r}"
    flags = cost_lower_is_better, accuracy_higher_is_better
    on_front = np.zeros(len(df), dtype=bool)
    if groups:
        for positions in df.groupby(groups, dropna=False, sort=False).indices.values():
            on_front[positions] = _pareto_mask(df[cost].iloc[positions], df[accuracy].iloc[positions],
                                               *flags, *names)
    else:
        on_front = _pareto_mask(df[cost], df[accuracy], *flags, *names)
    result[column] = on_front
    return result
