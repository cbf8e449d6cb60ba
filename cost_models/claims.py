"""The seeds' claims (shared/papers.md), each re-measured on the report's point table.

Every function takes the assembled table (one row per design and target: area, energy, accuracy;
see :mod:`hwgen.cost_models.assemble`) and returns a :class:`Claim`: the paper's statement, our
verdict (agree / disagree / partly), one sentence with our numbers, and the table behind it. Only
measured points decide a verdict; predicted ones are never used here.
"""

from dataclasses import dataclass

import numpy as np
import pandas as pd

from hwgen.cost_models.assemble import split_of
from hwgen.cost_models.pareto import pareto_mask
from hwgen.formats import get_format

FPGA_TARGETS = ("xc7", "ice40", "ecp5")


@dataclass(frozen=True)
class Claim:
    title: str
    paper: str
    outcome: str  # agree, disagree, partly
    finding: str
    evidence: pd.DataFrame


def _measured(table: pd.DataFrame) -> pd.DataFrame:
    return table[~table["predicted"].astype(bool)]


def _one(table: pd.DataFrame, label: str, target: str) -> pd.Series | None:
    rows = table[(table["label"] == label) & (table["target"] == target)]
    return None if rows.empty else rows.iloc[0]


def _ratio(numerator, denominator) -> float:
    if numerator is None or denominator is None or not denominator or pd.isna(denominator):
        return float("nan")
    return float(numerator) / float(denominator)


def dint4_vs_int8(table: pd.DataFrame) -> Claim:
    """dINT4 x INT8 against INT8 x INT8: area per target and gate-level energy."""
    measured = _measured(table)
    rows = []
    for target, metric in (("xc7", "luts"), ("ice40", "luts"), ("ecp5", "luts"), ("gates", "gates"),
                           ("gates", "transistors"), ("gates", "energy_rel")):
        dint, int8 = _one(measured, "dint4xint8", target), _one(measured, "int8", target)
        if dint is None or int8 is None or metric not in measured.columns:
            continue
        rows.append({"target": target, "metric": metric, "int8xint8": float(int8[metric]),
                     "dint4xint8": float(dint[metric]), "int8 / dint4": _ratio(int8[metric], dint[metric])})
    evidence = pd.DataFrame(rows)
    ratios = evidence["int8 / dint4"].dropna() if len(evidence) else pd.Series(dtype=float)
    accuracy = ""
    if "minilm_cosine" in measured.columns:
        dint, int8 = _one(measured, "dint4xint8", "gates"), _one(measured, "int8", "gates")
        if dint is not None and int8 is not None and not pd.isna(dint["minilm_cosine"]):
            accuracy = (f" MiniLM cosine: dINT4xINT8 {dint['minilm_cosine']:.3f} vs INT8xINT8 "
                        f"{int8['minilm_cosine']:.3f} (FORMATS.md's dINT4 table has no zero).")
    if ratios.empty:
        return Claim("dINT4 x INT8 vs INT8 x INT8", "2x hardware efficiency", "partly",
                     "not measured: the store has no dint4xint8 and int8 pair", evidence)
    low, high = float(ratios.min()), float(ratios.max())
    outcome = "agree" if low >= 1.6 else "partly" if high >= 1.6 else "disagree"
    finding = (f"INT8xINT8 / dINT4xINT8 = {low:.2f}x to {high:.2f}x across area and energy "
               f"(2x claimed).{accuracy}")
    return Claim("dINT4 x INT8 vs INT8 x INT8", "2x hardware efficiency (area and energy)", outcome, finding,
                 evidence)


def integer_on_fpga_fronts(table: pd.DataFrame, accuracy: str = "sqnr_gaussian_db") -> Claim:
    """Which formats are on each FPGA's LUT-vs-accuracy front; integers among them."""
    measured = _measured(table)
    measured = measured[(measured["acc"] == "fixed") & (measured["mul"] == "exact")
                        & (measured["format_a"] == measured["format_b"])]
    rows, with_int = [], 0
    for target in FPGA_TARGETS:
        rows_t = measured[(measured["target"] == target) & measured[accuracy].notna()
                          & (measured["pipeline"] == 3) & (measured["terms"].fillna(64) == 64)]
        if rows_t.empty:
            continue
        mask = pareto_mask(rows_t["luts"].astype(float).to_numpy(), rows_t[accuracy].astype(float).to_numpy())
        front = rows_t[mask].sort_values("luts")
        kinds = [get_format(name).kind for name in front["format_a"]]
        integers = sum(kind == "int" for kind in kinds)
        with_int += integers > 0
        rows.append({"target": target, "front": ", ".join(front["label"]), "on front": len(front),
                     "integer": integers, "minifloat": sum(kind == "minifloat" for kind in kinds)})
    evidence = pd.DataFrame(rows)
    if evidence.empty:
        return Claim("Minifloat vs integer on FPGAs", "integer is often Pareto-optimal", "partly",
                     "no FPGA points with accuracy to compare", evidence)
    outcome = "agree" if with_int == len(evidence) else "partly" if with_int else "disagree"
    share = evidence["integer"].sum() / max(evidence["on front"].sum(), 1)
    finding = (f"LUTs vs {accuracy}: an integer format is on the front on {with_int} of {len(evidence)} FPGA "
               f"targets; integers are {share:.0%} of all front points.")
    return Claim("Minifloat vs integer on FPGAs", "integer is often Pareto-optimal", outcome, finding,
                 evidence)


SPLIT_METRICS = ("sqnr_gaussian_db", "sqnr_laplace_db", "sqnr_student_t_db", "minilm_cosine")


def best_split(table: pd.DataFrame, target: str = "gates", cost: str = "gates") -> Claim:
    """Per bit width and accuracy metric, the exponent / mantissa split with the best accuracy, and the
    one with the best accuracy per log2(cost)."""
    measured = _measured(table)
    rows_t = measured[(measured["target"] == target) & (measured["acc"] == "fixed")
                      & (measured["mul"] == "exact") & (measured["format_a"] == measured["format_b"])
                      & (measured["pipeline"] == 3) & (measured["terms"].fillna(64) == 64)]
    splits = rows_t.assign(split=[split_of(name) for name in rows_t["format_a"]])
    splits = splits[splits["split"].notna()]
    rows = []
    for accuracy in (m for m in SPLIT_METRICS if m in splits.columns):
        for bits in sorted({s[0] for s in splits["split"]}):
            group = splits[[s[0] == bits for s in splits["split"]]]
            group = group[group[accuracy].notna()]
            if len(group) < 2:
                continue
            best = group.loc[group[accuracy].astype(float).idxmax()]
            per_cost = group[accuracy].astype(float) / np.log2(group[cost].astype(float))
            thrifty = group.loc[per_cost.idxmax()]
            _, e, m = best["split"]
            rows.append({"metric": accuracy, "bits": bits, "splits measured": ", ".join(group["format_a"]),
                         "best": best["format_a"], "best value": float(best[accuracy]),
                         "best has": "more exponent" if e > m else "more mantissa" if e < m else "equal",
                         f"best per log2({cost})": thrifty["format_a"]})
    evidence = pd.DataFrame(rows)
    title = "Best exponent / mantissa split per width"
    paper = "exponent bits matter slightly more than mantissa bits; 4-8 bits give the best cost-performance"
    if evidence.empty:
        return Claim(title, paper, "partly", "fewer than two splits measured per width", evidence)
    tally = evidence["best has"].value_counts()
    more_e, more_m = int(tally.get("more exponent", 0)), int(tally.get("more mantissa", 0))
    outcome = "agree" if more_e > more_m else "disagree" if more_e < more_m else "partly"
    per_metric = "; ".join(
        f"{metric}: " + ", ".join(f"{row['bits']}b {row['best']}" for _, row in group.iterrows())
        for metric, group in evidence.groupby("metric", sort=False))
    finding = (f"over {len(evidence)} (width, metric) cases the most accurate split has more exponent than "
               f"mantissa bits {more_e} times, more mantissa bits {more_m} times, equal "
               f"{len(evidence) - more_e - more_m} times ({per_metric}). Only 4- to 8-bit widths were "
               "measured, so the 4-8-bit sweet spot is not tested.")
    return Claim(title, paper, outcome, finding, evidence)


def precision_alignment(table: pd.DataFrame, fmt: str = "fp8_e4m3fn", target: str = "xc7",
                        error: str = "dot1024_acc_error") -> Claim:
    """Accumulator choice for one operand format: width, error and area side by side."""
    measured = _measured(table)
    rows_t = measured[(measured["target"] == target) & (measured["format_a"] == fmt)
                      & (measured["format_b"] == fmt) & (measured["mul"] == "exact")
                      & (measured["pipeline"] == 3)]
    rows = []
    for _, row in rows_t.iterrows():
        name = row["acc"] if row["acc"] != "fixed" else f"fixed (k{int(row['terms'] or 64)})"
        rows.append({"accumulator": name,
                     "acc bits": int(row["f_acc_bits"]), "luts": float(row["luts"]), "ffs": float(row["ffs"]),
                     error: float(row.get(error, np.nan))})
    evidence = pd.DataFrame(rows).sort_values("luts") if rows else pd.DataFrame(rows)
    if evidence.empty or error not in evidence or evidence[error].isna().all():
        return Claim("Precision alignment", "accumulator bits beyond the product's reach are wasted area",
                     "partly", f"no {fmt} accumulator variants with errors on {target}", evidence)
    exact = evidence[evidence["accumulator"].str.startswith("fixed")]
    floats = evidence[~evidence["accumulator"].str.startswith("fixed")]
    cheapest_float = floats.sort_values("luts").iloc[0] if len(floats) else None
    exact_row = exact.sort_values("luts").iloc[0] if len(exact) else None
    if exact_row is None or cheapest_float is None:
        return Claim("Precision alignment", "accumulator bits beyond the product's reach are wasted area",
                     "partly", "needs both a fixed and a float accumulator measured", evidence)
    outcome = "agree" if exact_row["luts"] <= floats["luts"].max() else "disagree"
    finding = (f"{fmt} on {target}: the exact aligned fixed accumulator ({exact_row['acc bits']} bits, "
               f"{exact_row['luts']:.0f} LUTs, error {exact_row[error]:.2g}) vs float accumulators "
               + ", ".join(f"{r['accumulator']} {r['luts']:.0f} LUTs error {r[error]:.2g}"
                           for _, r in floats.iterrows()) + ".")
    return Claim("Precision alignment", "an accumulator aligned to the products' exponent range is exact "
                 "and no more costly than a wide float accumulator", outcome, finding, evidence)


def lmul_vs_exact(table: pd.DataFrame, fmt: str = "fp8_e4m3fn") -> Claim:
    """L-Mul against the exact multiply in the same MAC: area, energy and dot-product error."""
    measured = _measured(table)
    rows = []
    for target, metric in (("xc7", "luts"), ("ice40", "luts"), ("ecp5", "luts"), ("gates", "gates"),
                           ("gates", "energy_rel"), ("gates", "dot1024_acc_error"),
                           ("gates", "dot1024_rel_error")):
        if metric not in measured.columns:
            continue
        exact, lmul = _one(measured, fmt, target), _one(measured, f"{fmt} lmul", target)
        if exact is None or lmul is None:
            continue
        rows.append({"target": target, "metric": metric, "exact": float(exact[metric]),
                     "lmul": float(lmul[metric]), "lmul / exact": _ratio(lmul[metric], exact[metric])})
    evidence = pd.DataFrame(rows)
    cost = evidence[~evidence["metric"].str.contains("error")] if len(evidence) else evidence
    if cost.empty:
        return Claim("L-Mul vs exact multiply", "L-Mul costs far less energy than a float multiply",
                     "partly", f"no {fmt} L-Mul MAC measured", evidence)
    saving = 1.0 - cost["lmul / exact"]
    outcome = "agree" if saving.min() >= 0.2 else "partly" if saving.max() > 0 else "disagree"
    finding = (f"{fmt} MAC with L-Mul vs exact product: {saving.min():.0%} to {saving.max():.0%} less area / "
               f"energy (whole MAC, accumulator included: L-Mul replaces only the multiplier).")
    return Claim("L-Mul vs exact multiply", "L-Mul (one integer add) costs far less than a float multiply "
                 "at similar accuracy", outcome, finding, evidence)


ALL_CLAIMS = (dint4_vs_int8, integer_on_fpga_fronts, best_split, precision_alignment, lmul_vs_exact)
