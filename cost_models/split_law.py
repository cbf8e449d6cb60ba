"""The best exponent / mantissa split per width, measured, next to the split a scaling law predicts.

Sun et al., "Scaling Laws for Floating-Point Quantization Training" (arXiv 2501.02423, ICML 2025),
fit LLM training loss over exponent and mantissa bits and derive the loss-optimal mantissa width for
a total of P bits (sign + exponent + mantissa): M_opt = nu * P / (delta + nu) - 0.5, rounded to the
nearest integer E2M1, E2M2, E3M2, E3M3, E4M3 for 4 to 8 bits. :func:`split_table` puts that split
next to the most accurate split hwgen measures per width (SQNR, MiniLM cosine; every candidate used
for both operands, fixed accumulator) and :func:`verdict` says whether they agree.
"""

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path

import pandas as pd

from hwgen.cost_models import quality
from hwgen.cost_models.assemble import minifloat_name, split_of

# delta and nu of the paper's optimal-mantissa formula, fitted to its training runs (arXiv 2501.02423).
PAPER_DELTA = 3.1926
PAPER_NU = 2.9543

SPLIT_METRICS = ("sqnr_gaussian_db", "sqnr_laplace_db", "sqnr_student_t_db", "minilm_cosine")
# Values this close are one value printed two ways, not two measurements; a looser tie would need
# each metric's noise, which the table does not know (the runner-up column shows the margin instead).
TIE_RELATIVE = 1e-12


def scaling_law_mantissa(bits: int) -> float:
    """The paper's loss-optimal mantissa width for ``bits`` total bits (sign included), unrounded."""
    return PAPER_NU * bits / (PAPER_DELTA + PAPER_NU) - 0.5


def paper_split(bits: int) -> tuple[int, int]:
    """(exponent bits, mantissa bits) of the paper's optimal ``bits``-wide format: M rounded to nearest."""
    man_bits = round(scaling_law_mantissa(bits))
    return bits - 1 - man_bits, man_bits


def split_text(exp_bits: int, man_bits: int) -> str:
    return f"E{exp_bits}M{man_bits}"


def candidate_formats(bits: int) -> list[str]:
    """Every ``bits``-wide minifloat split with E >= 1 and M >= 0, fewest exponent bits first.

    Names come from the prediction grid's :func:`~hwgen.cost_models.assemble.minifloat_name`, so they
    match the report's rows: the OCP / registry format where the split has one (fp8_e4m3fn: policy
    fn, fp8_e5m2: ieee, fp6_e3m2 / fp6_e2m3 / fp4_e2m1: finite) and policy ``finite`` (no inf or NaN
    codes, every code a value) for the rest. Unlike the grid this goes past 5 exponent bits, up to
    M = 0: the registry takes every such split, and the widest-range ones are part of the question.
    """
    names = [minifloat_name(bits, exp_bits) for exp_bits in range(1, bits)]
    for name in names:
        split_of(name)  # every candidate must be a registry format
    return names


def _ranked(values: Mapping[str, float]) -> list[list[str]]:
    """Format names grouped by equal value (within :data:`TIE_RELATIVE`), best (highest) group first."""
    groups: list[list[str]] = []
    for name in sorted(values, key=lambda n: values[n], reverse=True):
        if groups and math.isclose(values[name], values[groups[-1][0]], rel_tol=TIE_RELATIVE):
            groups[-1].append(name)
        else:
            groups.append([name])
    return groups


def _splits(names: Iterable[str]) -> str:
    """The splits of ``names`` as "E2M1", ties joined as "E2M1 = E3M0"."""
    return " = ".join(split_text(*split_of(name)[1:]) for name in names)


def _row(bits: int, metric: str, values: Mapping[str, float]) -> dict:
    paper = [name for name in values if split_of(name)[1:] == paper_split(bits)]
    groups = _ranked(values)
    best, runner_up = groups[0], groups[1] if len(groups) > 1 else []
    return {"bits": bits, "metric": metric, "paper": split_text(*paper_split(bits)), "best": _splits(best),
            "best_format": " = ".join(best), "best_value": values[best[0]],
            "paper_value": values[paper[0]] if paper else math.nan,
            "runner_up": _splits(runner_up),
            "runner_up_value": values[runner_up[0]] if runner_up else math.nan, "splits": len(values),
            # None: the paper's split has no value for this metric, so this row judges nothing
            "agree": bool(set(paper) & set(best)) if paper else None}


def split_table(metric_of: Callable[[str], Mapping[str, float]], bits_range: Iterable[int] = range(4, 9),
                metrics: Sequence[str] = SPLIT_METRICS) -> pd.DataFrame:
    """One row per (width, metric): the paper's split, the best split by the metric (higher is better;
    tied splits joined with " = ") and its value, the paper split's value, the runner-up, how many
    splits had a value, and ``agree`` (the paper's split is, or ties, the best; None when the paper's
    split has no value). ``metric_of(format name)`` gives a format's metrics as both operands; a metric
    a format lacks leaves that format out of its rows, a metric no format of a width has, the row."""
    for name in metrics:
        if not quality.metric(name).higher_is_better:
            raise ValueError(f"{name}: the split table ranks higher-is-better metrics only")
    rows = []
    for bits in bits_range:
        measured = {name: dict(metric_of(name)) for name in candidate_formats(bits)}
        for metric in metrics:
            values = {name: float(found[metric]) for name, found in measured.items() if metric in found}
            if values:
                rows.append(_row(bits, metric, values))
    return pd.DataFrame(rows)


def _judged(agree) -> bool:
    """Whether a row's ``agree`` holds a judgement (None, or NaN once read back from CSV, does not)."""
    return agree is not None and not (isinstance(agree, float) and math.isnan(agree))


def _case(row) -> str:
    if not _judged(row["agree"]):
        return f"{row['bits']}b {row['best']} (the paper's {row['paper']} has no value)"
    if row["agree"]:
        return f"{row['bits']}b {row['best']} agrees"
    return f"{row['bits']}b {row['best']} not {row['paper']}"


def _outcome(agreeing: int, judged: int) -> str:
    return "agree" if agreeing == judged else "disagree" if agreeing == 0 else "partly"


def verdict(table: pd.DataFrame) -> tuple[str, str]:
    """(agree / partly / disagree, one sentence) of a :func:`split_table`: agree when the best split is
    the paper's at every judged (width, metric), disagree at none, partly otherwise; the sentence gives
    each metric's own outcome and every width. ValueError when no row judges anything."""
    judged = [bool(agree) for agree in table.get("agree", ()) if _judged(agree)]
    if not judged:
        raise ValueError("no (width, metric) row has a value for the paper's split: nothing to judge")
    parts = []
    for metric, group in table.groupby("metric", sort=False):
        own = [bool(agree) for agree in group["agree"] if _judged(agree)]
        cases = ", ".join(_case(row) for _, row in group.iterrows())
        outcome = _outcome(sum(own), len(own)) if own else "not judged"
        parts.append(f"{metric} {outcome}, {sum(own)} of {len(own)} widths ({cases})")
    return _outcome(sum(judged), len(judged)), (
        f"the paper's split is the most accurate in {sum(judged)} of {len(judged)} (width, metric) cases: "
        + "; ".join(parts) + ".")


def default_metric_of(cache_dir: Path, minilm: bool, minilm_sentences: int | None = None,
                      progress: Callable[[str], None] | None = None) -> Callable[[str], dict]:
    """``metric_of`` for :func:`split_table` from :mod:`hwgen.cost_models.quality`, as the report's
    per-format table computes it (format x format, fixed accumulator, exact products): the SQNRs
    always, MiniLM cosine when ``minilm`` and the workload can run the format, cached in
    ``cache_dir / minilm_cosine.json`` (the report's file) over ``minilm_sentences`` (None: all)."""
    minilm_cache = quality.minilm_cache_in(cache_dir)

    def metric_of(name: str) -> dict:
        names = [metric for metric in quality.applicable_metrics(name, name, "fixed", "exact")
                 if metric in SPLIT_METRICS and (minilm or metric not in quality.MINILM_METRICS)]
        return quality.format_metrics(name, "fixed", "exact", names, minilm_limit=minilm_sentences,
                                      minilm_cache=minilm_cache, progress=progress)

    return metric_of


__all__ = ["PAPER_DELTA", "PAPER_NU", "SPLIT_METRICS", "candidate_formats", "default_metric_of",
           "paper_split", "scaling_law_mantissa", "split_table", "split_text", "verdict"]
