"""Pareto extraction on hand-made point sets, checked exactly and against a brute-force oracle."""

from fractions import Fraction

import numpy as np
import pandas as pd
import pytest

from hwgen.cost_models.pareto import pareto_front, pareto_mask

NAN = float("nan")


def brute_force_front(cost, accuracy, lower_cost=True, higher_accuracy=True):
    """The definition, pair by pair: no other valid point at least as good on both axes, better on one."""
    def missing(value):
        return value is None or value is pd.NA or value != value

    def as_good(a, b, lower):  # is a at least as good as b?
        return a <= b if lower else a >= b

    result = []
    for i, (ci, ai) in enumerate(zip(cost, accuracy, strict=True)):
        if missing(ci) or missing(ai):
            result.append(False)
            continue
        dominated = any(
            not (missing(cj) or missing(aj)) and j != i
            and as_good(cj, ci, lower_cost) and as_good(aj, ai, not higher_accuracy)
            and (cj != ci or aj != ai)
            for j, (cj, aj) in enumerate(zip(cost, accuracy, strict=True)))
        result.append(not dominated)
    return result


def check(cost, accuracy, expected, **flags):
    mask = pareto_mask(cost, accuracy, **flags)
    assert mask.dtype == bool
    assert mask.tolist() == expected
    oracle_flags = {"lower_cost": flags.get("cost_lower_is_better", True),
                    "higher_accuracy": flags.get("accuracy_higher_is_better", True)}
    assert brute_force_front(list(cost), list(accuracy), **oracle_flags) == expected


@pytest.mark.parametrize(("cost", "accuracy", "expected"), [
    pytest.param([5], [1], [True], id="single-point"),
    pytest.param([2, 2, 2], [7, 7, 7], [True, True, True], id="all-identical"),
    pytest.param([1, 2, 3, 4], [4, 3, 2, 1], [True, False, False, False], id="strictly-dominated-chain"),
    pytest.param([1, 2, 3, 4], [1, 2, 3, 4], [True, True, True, True], id="trade-off-chain"),
    pytest.param([1, 1, 2], [5, 3, 6], [True, False, True], id="cost-tie-worse-accuracy-dominated"),
    pytest.param([1, 2, 3], [5, 5, 6], [True, False, True], id="accuracy-tie-dearer-dominated"),
    pytest.param([3, 1, 3, 1], [2, 1, 2, 1], [True, True, True, True], id="duplicates-on-front"),
    pytest.param([1, 2, 2], [3, 2, 2], [True, False, False], id="duplicates-dominated"),
    pytest.param([4, 1, 3, 2], [2, 1, 1, 2], [False, True, False, True], id="unsorted-input"),
    pytest.param([1, 2, 3], [3, 3, 3], [True, False, False], id="flat-accuracy"),
    pytest.param([2, 2, 2], [1, 2, 3], [False, False, True], id="flat-cost"),
])
def test_hand_made_sets(cost, accuracy, expected):
    check(cost, accuracy, expected)


POINTS_COST, POINTS_ACCURACY = [1, 2, 3, 4], [1, 3, 2, 1]


@pytest.mark.parametrize(("lower_cost", "higher_accuracy", "expected"), [
    (True, True, [True, True, False, False]),
    (False, True, [False, True, True, True]),
    (True, False, [True, False, False, False]),
    (False, False, [False, False, False, True]),
], ids=["cheap-accurate", "throughput-accurate", "cheap-low-error", "throughput-low-error"])
def test_direction_flags(lower_cost, higher_accuracy, expected):
    check(POINTS_COST, POINTS_ACCURACY, expected, cost_lower_is_better=lower_cost,
          accuracy_higher_is_better=higher_accuracy)


def test_missing_values_are_never_on_the_front_and_never_dominate():
    # (0.5, nan) and (nan, 10) would dominate everything if they counted.
    check([0.5, NAN, 1, 2], [NAN, 10, 1, 2], [False, False, True, True])
    check([1, 2], [NAN, NAN], [False, False])
    assert pareto_mask(pd.array([1, None, 2], dtype="Int64"), [1, 9, 2]).tolist() == [True, False, True]
    assert pareto_mask(np.array([None, 1], dtype=object), [9, 1]).tolist() == [False, True]


def test_empty_input_gives_an_empty_mask():
    mask = pareto_mask([], [])
    assert mask.dtype == bool and mask.shape == (0,)


def test_ties_are_exact_not_approximate():
    big = 2**53  # big + 1 rounds to big as a float64; as integers the cheaper one wins
    assert pareto_mask(np.array([big, big + 1]), [1, 1]).tolist() == [True, False]
    # The float 1/3 is a little less than the rational 1/3.
    assert pareto_mask([Fraction(1, 3), 1 / 3], [1, 1]).tolist() == [False, True]
    assert pareto_mask([0.0, -0.0], [1, 1]).tolist() == [True, True]
    assert pareto_mask([np.inf], [-np.inf]).tolist() == [True]
    assert pareto_mask([1, np.inf], [1, np.inf]).tolist() == [True, True]


@pytest.mark.parametrize("seed", range(4))
def test_matches_brute_force_on_random_sets_with_many_ties(seed):
    rng = np.random.default_rng(seed)
    cost = rng.integers(0, 6, size=60).astype(float)
    accuracy = rng.integers(0, 6, size=60).astype(float)
    cost[rng.integers(0, 60, size=5)] = NAN
    accuracy[rng.integers(0, 60, size=5)] = NAN
    for lower_cost in (True, False):
        for higher_accuracy in (True, False):
            mask = pareto_mask(cost, accuracy, cost_lower_is_better=lower_cost,
                               accuracy_higher_is_better=higher_accuracy)
            assert mask.tolist() == brute_force_front(cost.tolist(), accuracy.tolist(), lower_cost,
                                                      higher_accuracy)


def test_bad_input_is_a_clear_error():
    with pytest.raises(ValueError, match="cost and accuracy must have the same length, not 2 and 3"):
        pareto_mask([1, 2], [1, 2, 3])
    with pytest.raises(ValueError, match="cost must be one-dimensional, not 2-dimensional"):
        pareto_mask([[1, 2]], [[1, 2]])
    with pytest.raises(TypeError, match=r"accuracy must be numeric, not str \('high' at position 1\)"):
        pareto_mask([1, 2], [0.5, "high"])
    with pytest.raises(TypeError, match="cost must be numeric, not <U1"):
        pareto_mask(np.array(["a"]), [1])


def table():
    # Non-default index order, to catch positional / label mix-ups.
    return pd.DataFrame({
        "target": ["ice40", "ice40", "ice40", "xc7", "xc7", None, None],
        "design": ["int4", "int8", "e4m3", "int4", "int8", "odd-a", "odd-b"],
        "luts": [40, 90, 120, 30, 30, 5, 6],
        "sqnr": [20.0, 44.0, 31.0, 20.0, 44.0, 1.0, 0.5],
    }, index=[70, 10, 30, 60, 20, 50, 40])


def test_front_per_group():
    df = table()
    result = pareto_front(df, "luts", "sqnr", group="target")
    assert result["on_front"].tolist() == [True, True, False, False, True, True, False]
    assert result.index.tolist() == df.index.tolist()
    assert "on_front" not in df.columns  # the input is not changed
    as_list = pareto_front(df, "luts", "sqnr", group=["target"], column="best")
    assert as_list["best"].tolist() == result["on_front"].tolist()


def test_front_without_groups_and_flags():
    result = pareto_front(table(), "luts", "sqnr")
    assert result["on_front"].tolist() == [False, False, False, False, True, True, False]
    # Read as an error (lower is better): (6, 0.5) trades off against (5, 1.0) and beats all the rest.
    error_front = pareto_front(table(), "luts", "sqnr", accuracy_higher_is_better=False)
    assert error_front["on_front"].tolist() == [False, False, False, False, False, True, True]


def test_front_of_an_empty_table():
    result = pareto_front(table().iloc[:0], "luts", "sqnr", group="target")
    assert result["on_front"].dtype == bool and len(result) == 0


def test_front_errors_name_the_column():
    with pytest.raises(ValueError, match=r"no column 'lut' in the table; available columns: 'target', "
                                         r"'design', 'luts', 'sqnr'"):
        pareto_front(table(), "lut", "sqnr")
    with pytest.raises(ValueError, match="no column 'board'"):
        pareto_front(table(), "luts", "sqnr", group="board")
    with pytest.raises(TypeError, match=r"column 'design' must be numeric, not str \('int4' at position 0\)"):
        pareto_front(table(), "design", "sqnr")
    with pytest.raises(TypeError, match="pareto_front needs a pandas DataFrame, not dict"):
        pareto_front({"luts": [1]}, "luts", "sqnr")
