"""The report's first screen: which format to pick for a target and an accuracy budget.

For every target the store measured, and every accuracy budget of :data:`BUDGETS` on the chosen metric,
the cheapest *measured* design (default shape: one per format, fixed exact accumulator, no L-Mul) that
meets the budget, with its cost in the target's own unit: "SQNR >= 30 dB on ecp5: fp6_e2m3, 190 LUT".
Predicted (model) points never answer: a decision is made on numbers the tools produced. FPGA costs are
fabric-only LUTs; an FPGA measured only with DSPs allowed (placed and routed) answers with those runs'
LUTs and names the DSP blocks ("int8 (+1 DSP), 28 LUT").
"""

import pandas as pd

from hwgen.cost_models.axes import TARGETS, with_dsp_names
from hwgen.cost_models.dataset import default_shape

# target -> (cost column, unit in the sentence); the fabric targets read their fabric-only LUTs.
COSTS = {"xc7": ("luts", "LUT"), "ice40": ("luts", "LUT"), "ecp5": ("luts", "LUT4"),
         "gates": ("gates", "gates"), "asic": ("area_um2", "um2")}
# accuracy budgets per metric: (metric label, unit, budgets)
BUDGETS = {
    "sqnr_gaussian_db": ("SQNR", "dB", (15.0, 20.0, 25.0, 30.0, 35.0)),
    "minilm_cosine": ("MiniLM cosine", "", (0.90, 0.95, 0.98, 0.99)),
}


def _candidates(table: pd.DataFrame, target: str, metric: str) -> pd.DataFrame:
    column = COSTS[target][0]
    if table.empty or "target" not in table.columns:
        return table
    rows = table[(table["target"] == target) & ~table["predicted"].astype(bool)]
    if column not in rows.columns or metric not in rows.columns:
        return rows.iloc[:0]
    rows = rows[default_shape(rows) & (rows["acc"] == "fixed") & (rows["mul"] == "exact")]
    return rows[rows[column].notna() & rows[metric].notna()]


def _with_dsps(rows: pd.DataFrame) -> pd.DataFrame:
    return rows.assign(label=with_dsp_names(rows["label"], rows["dsps"]))


def merged_runs(answers: list) -> list:
    """``[(budget, answer), ...]`` in budget order -> ``[(first, last, answer), ...]``: consecutive budgets
    with the same answer as one run."""
    runs = []
    for budget, answer in answers:
        if runs and runs[-1][2] == answer:
            runs[-1][1] = budget
        else:
            runs.append([budget, budget, answer])
    return [tuple(run) for run in runs]


def decisions(table: pd.DataFrame, metric: str = "sqnr_gaussian_db",
              placed: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per (target, budget): the cheapest measured design meeting the budget (None when no
    measured design does), its cost and accuracy, and how many designs were compared. *placed*: the
    placed-and-routed points (DSPs allowed), which answer for an FPGA the fabric table lacks."""
    if metric not in BUDGETS:
        raise ValueError(f"metric must be one of {', '.join(BUDGETS)}, not {metric!r}")
    _, _, budgets = BUDGETS[metric]
    placed = pd.DataFrame() if placed is None else placed
    targets = set(table["target"]) | (set(placed["target"]) if "target" in placed.columns else set())
    rows = []
    for target in (t for t in TARGETS if t in targets):
        column, unit = COSTS[target]
        candidates = _candidates(table, target, metric)
        if candidates.empty and column == "luts":
            candidates = _candidates(placed, target, metric)
            candidates = _with_dsps(candidates) if len(candidates) else candidates
        for budget in budgets:
            meeting = candidates[candidates[metric].astype(float) >= budget]
            ordered = meeting.sort_values([column, metric], ascending=[True, False])
            best = ordered.iloc[0] if len(ordered) else None
            rows.append({"target": target, "budget": budget,
                         "design": None if best is None else best["label"],
                         "cost": None if best is None else float(best[column]), "unit": unit,
                         "accuracy": None if best is None else float(best[metric]),
                         "compared": len(candidates)})
    return pd.DataFrame(rows)


def _number(value: float, unit: str) -> str:
    text = f"{value:,.0f}" if value >= 100 else f"{value:.4g}"
    return f"{text} {unit}".strip()


def sentences(choices: pd.DataFrame, metric: str = "sqnr_gaussian_db") -> list[str]:
    """One sentence per target, budgets with the same answer merged: "ecp5 (6 designs measured): SQNR
    >= 15 dB: fp4_e2m1, 82 LUT4; 20-30 dB: fp6_e2m3, 126 LUT4; 35 dB: none measured"."""
    label, unit, _ = BUDGETS[metric]
    suffix = f" {unit}" if unit else ""
    lines = []
    for target, group in choices.groupby("target", sort=False):
        runs = merged_runs([(row["budget"], "none measured" if row["design"] is None or pd.isna(row["design"])
                             else f"{row['design']}, {_number(row['cost'], row['unit'])}")
                            for _, row in group.iterrows()])
        parts = []
        for number, (first, last, answer) in enumerate(runs):
            span = f"{first:g}" if first == last else f"{first:g}-{last:g}"
            parts.append(f"{label + ' >= ' if number == 0 else ''}{span}{suffix}: {answer}")
        lines.append(f"{target} ({int(group['compared'].iloc[0])} designs measured): " + "; ".join(parts))
    return lines


def grid(choices: pd.DataFrame, metric: str = "sqnr_gaussian_db") -> pd.DataFrame:
    """The same answers as a target x budget table (cells "design, cost unit")."""
    label, unit, _ = BUDGETS[metric]
    table = {}
    for _, row in choices.iterrows():
        column = f"{label} >= {row['budget']:g}{(' ' + unit) if unit else ''}"
        cell = "-" if row["design"] is None or pd.isna(row["design"]) else \
            f"{row['design']}, {_number(row['cost'], row['unit'])}"
        table.setdefault(row["target"], {"target": row["target"]})[column] = cell
    return pd.DataFrame(list(table.values()))
