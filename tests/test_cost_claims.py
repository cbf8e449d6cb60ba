"""The seeds' claims on hand-made tables: each verdict follows its numbers, and each can come out
agree, partly and disagree."""

import re

import pandas as pd
import pytest

from hwgen.cost_models import claims


def row(label, fmt, target, *, b=None, acc="fixed", mul="exact", terms=64, pipeline=3, predicted=False,
        **values):
    return {"label": label, "format_a": fmt, "format_b": b or fmt, "acc": acc, "mul": mul, "terms": terms,
            "pipeline": pipeline, "target": target, "predicted": predicted, **values}


def table(rows) -> pd.DataFrame:
    return pd.DataFrame(rows)


@pytest.mark.parametrize("ratio, outcome", [(2.0, "agree"), (1.2, "disagree")])
def test_dint4_verdict_follows_the_ratio(ratio, outcome):
    rows = []
    for target, metric in (("xc7", "luts"), ("gates", "gates")):
        rows.append(row("int8", "int8", target, **{metric: 100.0 * ratio}))
        rows.append(row("dint4xint8", "dint4", target, b="int8", **{metric: 100.0}))
    claim = claims.dint4_vs_int8(table(rows))
    assert claim.outcome == outcome
    assert list(claim.evidence["int8 / dint4"]) == [ratio, ratio]


def test_dint4_mixed_ratios_are_partly_and_predicted_rows_are_ignored():
    rows = [row("int8", "int8", "xc7", luts=200.0), row("dint4xint8", "dint4", "xc7", b="int8", luts=100.0),
            row("int8", "int8", "gates", gates=120.0),
            row("dint4xint8", "dint4", "gates", b="int8", gates=100.0),
            row("int8", "int8", "ice40", luts=999.0, predicted=True),
            row("dint4xint8", "dint4", "ice40", b="int8", luts=1.0, predicted=True)]
    claim = claims.dint4_vs_int8(table(rows))
    assert claim.outcome == "partly"
    assert set(claim.evidence["target"]) == {"xc7", "gates"}


def fronts(int_luts: float, int_sqnr: float) -> pd.DataFrame:
    rows = []
    for target in claims.FPGA_TARGETS:
        rows.append(row("int8", "int8", target, luts=int_luts, sqnr_gaussian_db=int_sqnr))
        rows.append(row("fp8_e4m3fn", "fp8_e4m3fn", target, luts=150.0, sqnr_gaussian_db=31.0))
        # a one-exponent-bit "minifloat" is a uniform grid and must not count against the integer
        rows.append(row("fp8_e1m6_finite", "fp8_e1m6_finite", target, luts=1.0, sqnr_gaussian_db=99.0))
    return table(rows)


@pytest.mark.parametrize("int_luts, int_sqnr, outcome", [
    (120.0, 39.0, "agree"),      # cheaper and more accurate: undominated everywhere
    (200.0, 30.0, "disagree"),   # dearer and less accurate: dominated everywhere
    (150.0, 31.0, "agree"),      # an exact tie dominates nobody
])
def test_integer_domination_per_width(int_luts, int_sqnr, outcome):
    claim = claims.integer_on_fpga_fronts(fronts(int_luts, int_sqnr))
    assert claim.outcome == outcome
    assert len(claim.evidence) == 3 and set(claim.evidence["minifloats"]) == {"fp8_e4m3fn"}


def test_integer_claim_partly_when_targets_differ():
    frame = fronts(200.0, 30.0)
    frame.loc[(frame["target"] == "xc7") & (frame["label"] == "int8"), "luts"] = 100.0
    assert claims.integer_on_fpga_fronts(frame).outcome == "partly"


def splits(values: dict[str, float]) -> pd.DataFrame:
    return table([row(name, name, "gates", gates=100.0 + i, sqnr_gaussian_db=value,
                      predicted=name.endswith("_finite"))
                  for i, (name, value) in enumerate(values.items())])


@pytest.mark.parametrize("values, outcome", [
    ({"fp8_e4m3fn": 31.0, "fp8_e3m4_finite": 30.0, "fp6_e3m2": 26.0, "fp6_e2m3": 25.0}, "agree"),
    ({"fp8_e4m3fn": 30.0, "fp8_e3m4_finite": 31.0, "fp6_e3m2": 25.0, "fp6_e2m3": 26.0}, "disagree"),
    ({"fp8_e4m3fn": 31.0, "fp8_e3m4_finite": 30.0, "fp6_e3m2": 25.0, "fp6_e2m3": 26.0}, "partly"),
])
def test_best_split_counts_every_split_once(values, outcome):
    frame = splits(values)
    # a second e4m3 (fnuz) must not count as a second candidate of the same split
    frame = pd.concat([frame, splits({"fp8_e4m3fnuz": 0.0})], ignore_index=True)
    claim = claims.best_split(frame)
    assert claim.outcome == outcome
    assert list(claim.evidence["splits"]) == [2, 2]


def alignment(fixed_error: float, fixed_luts: float) -> pd.DataFrame:
    base = {"luts": 0.0, "ffs": 50.0}
    return table([
        row("fp8_e4m3fn k1024", "fp8_e4m3fn", "xc7", terms=1024, f_acc_bits=47,
            dot1024_acc_error=fixed_error, **{**base, "luts": fixed_luts}),
        row("fp8_e4m3fn k8", "fp8_e4m3fn", "xc7", terms=8, f_acc_bits=40, dot1024_acc_error=0.5,
            **{**base, "luts": 10.0}),
        row("fp8_e4m3fn/fp32", "fp8_e4m3fn", "xc7", acc="fp32", terms=None, f_acc_bits=32,
            dot1024_acc_error=0.0, **{**base, "luts": 400.0}),
        row("fp8_e4m3fn/bf16", "fp8_e4m3fn", "xc7", acc="bf16", terms=None, f_acc_bits=16,
            dot1024_acc_error=0.03, **{**base, "luts": 100.0}),
    ])


@pytest.mark.parametrize("fixed_error, fixed_luts, outcome", [
    (0.0, 160.0, "agree"),      # exact and cheaper than the only equally accurate float (fp32)
    (0.0, 450.0, "disagree"),   # exact but dearer than fp32
    (0.01, 160.0, "disagree"),  # not exact
])
def test_precision_alignment_uses_the_accumulator_sized_for_the_length(fixed_error, fixed_luts, outcome):
    claim = claims.precision_alignment(alignment(fixed_error, fixed_luts))
    assert claim.outcome == outcome
    assert "sized for 1024 terms" in claim.finding


@pytest.mark.parametrize("lmul_luts, lmul_error, outcome", [
    (50.0, 0.011, "agree"),
    (50.0, 0.05, "partly"),     # cheap but much less accurate
    (99.0, 0.05, "disagree"),
])
def test_lmul_needs_both_saving_and_accuracy(lmul_luts, lmul_error, outcome):
    frame = table([
        row("fp8_e4m3fn", "fp8_e4m3fn", "xc7", luts=100.0),
        row("fp8_e4m3fn lmul", "fp8_e4m3fn", "xc7", mul="lmul", luts=lmul_luts),
        row("fp8_e4m3fn", "fp8_e4m3fn", "gates", gates=100.0, dot1024_rel_error=0.01),
        row("fp8_e4m3fn lmul", "fp8_e4m3fn", "gates", mul="lmul", gates=lmul_luts,
            dot1024_rel_error=lmul_error),
        row("fp8_e5m2", "fp8_e5m2", "gates", gates=120.0, dot1024_rel_error=0.02),
    ])
    claim = claims.lmul_vs_exact(frame)
    assert claim.outcome == outcome
    assert ("better, as claimed" in claim.finding) == (lmul_error < 0.02)


@pytest.mark.parametrize("claim_fn", claims.ALL_CLAIMS, ids=lambda f: f.__name__)
def test_a_claim_without_its_numbers_is_partly_and_says_why(claim_fn):
    """One int8 row and none of the metrics: no claim can be judged, none may crash or guess."""
    claim = claim_fn(table([row("int8", "int8", "xc7", luts=1.0)]))
    assert claim.outcome == "partly"
    assert re.search(r"no |fewer than|needs|not measured", claim.finding), claim.finding


def test_integer_claim_adds_the_dsp_and_throughput_views_as_context():
    frame = fronts(200.0, 30.0)  # dominated on fabric LUTs everywhere: disagree
    frame["placed_luts"] = [10.0 if label == "int8" else 140.0 for label in frame["label"]]  # int8 in a DSP
    frame["lut_per_mmacs"] = frame["placed_luts"] / 100.0
    claim = claims.integer_on_fpga_fronts(frame)
    assert claim.outcome == "disagree"  # judged on the paper's fabric LUTs only
    assert "With DSPs allowed (placed LUTs): INTn undominated in 3 of 3." in claim.finding
    assert "With LUTs per MMAC/s (equal throughput): INTn undominated in 3 of 3." in claim.finding
    assert list(claim.evidence["cost"]) == ["luts"] * 3 + ["placed_luts"] * 3 + ["lut_per_mmacs"] * 3
