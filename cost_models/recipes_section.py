"""The report's "Scale recipes" section: W4A8 MiniLM accuracy of the 4-bit weight formats with each scale
recipe (:mod:`hwgen.workload.scales`), and the dINT claim judged with the dINT paper's own recipe.

The numbers are MiniLM runs through the golden arithmetic (no hardware is measured), cached next to the
store under their recipe (:func:`hwgen.cost_models.quality.minilm_key`), so a second report reads them.
"""

from pathlib import Path

import pandas as pd

from hwgen.cost_models import quality
from hwgen.cost_models.claims import Claim
from hwgen.cost_models.pareto import pareto_front
from hwgen.workload.scales import RECIPES

W4_FORMATS = ("int4", "dint4", "dint4z", "fp4_e2m1", "fp4_e2m1_sr", "fp4_e2m1_sp", "nf4", "sf4")
ACTIVATIONS = "int8"
DINT_RECIPE = "aqas"  # the dINT paper pairs dINT with activation-quantization-aware scaling


def recipe_table(cache_dir: Path, *, minilm_sentences: int | None = None, progress=None,
                 formats=W4_FORMATS, recipes=RECIPES) -> pd.DataFrame:
    """One row per weight format: MiniLM mean / min cosine at W<format> A int8 for every recipe."""
    cache = quality.minilm_cache_in(cache_dir)
    rows = []
    for weights in formats:
        row = {"weights": weights, "acts": ACTIVATIONS}
        for recipe in recipes:
            scores = quality.minilm_cosine(weights, ACTIVATIONS, "fixed", minilm_sentences, cache,
                                           progress=progress, scales=recipe)
            row[f"{recipe} mean"] = round(float(scores["mean_cosine"]), 5)
            row[f"{recipe} min"] = round(float(scores["min_cosine"]), 5)
        rows.append(row)
    return pd.DataFrame(rows)


def dint_vs_int4(table: pd.DataFrame) -> Claim:
    """dINT4 against INT4 as W4A8 weights, with the dINT paper's recipe (aqas) and both dINT tables;
    every recipe's numbers are in the evidence."""
    title = "dINT4 vs INT4 weights (W4A8 MiniLM), with the paper's scale recipe"
    paper = ("dINT (arXiv 2311.05161) pairs its 4-bit dINT weights with activation-quantization-aware "
             "scaling (AQAS) as its W4A8 recipe; judged here: does dINT4 beat INT4 as W4A8 weights with "
             "that recipe")
    by_format = table.set_index("weights")
    column = f"{DINT_RECIPE} mean"
    int4 = float(by_format.loc["int4", column])
    dints = {name: float(by_format.loc[name, column]) for name in ("dint4", "dint4z")
             if name in by_format.index}
    better = [name for name, value in dints.items() if value > int4]
    best_any = {name: max(float(by_format.loc[name, f"{r} mean"]) for r in RECIPES if f"{r} mean" in table)
                for name in dints}
    outcome = "agree" if better else "partly" if any(v > int4 for v in best_any.values()) else "disagree"
    values = ", ".join(f"{name} {value:.3f}" for name, value in dints.items())
    finding = (f"recipe {DINT_RECIPE}: INT4 {int4:.3f}, {values} (mean cosine, A int8). "
               + ("A dINT table beats INT4 with the paper's recipe." if better else
                  "No dINT table beats INT4 with the paper's recipe.")
               + " Best over every recipe: " + ", ".join(f"{n} {v:.3f}" for n, v in best_any.items())
               + f" vs INT4 {max(float(by_format.loc['int4', f'{r} mean']) for r in RECIPES):.3f}.")
    evidence = table[table["weights"].isin(["int4", *dints])]
    return Claim(title, paper, outcome, finding, evidence.reset_index(drop=True))


SUPERNORMAL = ("fp4_e2m1_sr", "fp4_e2m1_sp")
PAPER_PARETO = {"int4", "fp4_e2m1", *SUPERNORMAL}  # "INT4, E2M1 and E2M1 with supernormal support"
PAPER_OVERHEAD = 0.0122  # E2M1 with supernormal support: +1.22 % chip area
OVERHEAD_AGREE = 0.05  # within 5 % of E2M1's area counts as the paper's "small overhead"


def w4_hardware(table: pd.DataFrame) -> pd.DataFrame:
    """The W4A8 MACs (weights x int8, default shape, exact) on the asic target: one row per weight format
    with area and energy (the newest library / clock the table has for each, named in the row)."""
    if "target" not in table or "area_um2" not in table:
        return pd.DataFrame()
    rows = []
    asic = table[table["target"] == "asic"]
    for weights in W4_FORMATS:
        found = asic[(asic["format_a"] == weights) & (asic["format_b"] == ACTIVATIONS)
                     & (asic["mul"] == "exact") & (asic["acc"] == "fixed")]
        if "predicted" in found:
            found = found[~found["predicted"].astype(bool)]
        if len(found):
            row = found.iloc[-1]
            rows.append({"weights": weights, "library": row["library"], "clock ns": float(row["clock_ns"]),
                         "area um2": float(row["area_um2"]), "pJ/MAC": float(row["energy_pj_per_mac"])})
    return pd.DataFrame(rows)


def supernormal_pareto(hardware: pd.DataFrame, recipes: pd.DataFrame, recipe: str = "max") -> Claim:
    """The Student-Float paper's hardware claim on standard cells: which W4A8 MACs are on the front of
    area against MiniLM accuracy, and what supernormal support costs over E2M1."""
    title = "4-bit weight formats: area against accuracy (INT4, E2M1, supernormal E2M1, NF4, SF4)"
    paper = ("Dotzel et al., ICML 2024 (arXiv 2405.03103): a Pareto curve of INT4, E2M1 and E2M1 with "
             "supernormal support; supernormal support costs +1.22 % chip area; NF4 / SF4 more accurate, "
             "larger")
    if hardware.empty or recipes.empty:
        return Claim(title, paper, "partly", "not measured: the store has no W4A8 MACs on the asic target "
                     "(`hwgen sweep asic_w4` measures them)", pd.DataFrame())
    data = hardware.merge(recipes[["weights", f"{recipe} mean"]], on="weights")
    data = data.rename(columns={f"{recipe} mean": "cosine", "weights": "design"})
    front = pareto_front(data, "area um2", "cosine", accuracy_higher_is_better=True)
    on_front = set(front.loc[front["on_front"], "design"])
    area = data.set_index("design")["area um2"]
    overheads = {name: area[name] / area["fp4_e2m1"] - 1 for name in SUPERNORMAL
                 if name in area and "fp4_e2m1" in area}
    cheap = [name for name, value in overheads.items() if value <= OVERHEAD_AGREE]
    if on_front <= PAPER_PARETO and on_front & set(SUPERNORMAL) and cheap:
        outcome = "agree"
    elif "fp4_e2m1" in on_front or on_front & PAPER_PARETO:
        outcome = "partly"
    else:
        outcome = "disagree"
    condition = f"{hardware['library'].iloc[0]} at {hardware['clock ns'].iloc[0]:g} ns"
    finding = (f"{condition}, W4A8 MACs, MiniLM cosine with recipe {recipe}: on the front "
               f"{', '.join(sorted(on_front))}; supernormal E2M1 area over E2M1 "
               + ", ".join(f"{name} {value:+.1%}" for name, value in overheads.items())
               + f" (paper {PAPER_OVERHEAD:+.2%}: hwgen builds the supernormal variants as table formats, "
               "its E2M1 as a minifloat, so the overhead includes the table decode).")
    evidence = front.rename(columns={"design": "weights"}).sort_values("area um2").reset_index(drop=True)
    return Claim(title, paper, outcome, finding, evidence)


def recipes_section(page, cache_dir: Path, *, minilm_sentences: int | None = None, progress=None,
                    table: pd.DataFrame | None = None) -> None:
    """Write the section into *page* (a report :class:`~hwgen.cost_models.html.Page`)."""
    from hwgen.cost_models.html import verdict

    page.heading("Scale recipes")
    page.paragraph("MiniLM with 4-bit weights and int8 activations, each scale recipe (docs/minilm.md, "
                   "'Scale recipes'): max (max|x| to the format's largest value), mse (clip ratio per "
                   "scale group minimising the quantization MSE), aqas (per layer, a migration and per-"
                   "channel weight clips minimising the layer's output error on calibration sentences). "
                   "Mean / min embedding cosine against the float model.")
    recipes = recipe_table(cache_dir, minilm_sentences=minilm_sentences, progress=progress)
    page.table(recipes, "scale_recipes", "W4A8 MiniLM cosine per weight format and scale recipe")
    hardware = w4_hardware(table if table is not None else pd.DataFrame())
    for name, claim in (("dint_vs_int4", dint_vs_int4(recipes)),
                        ("supernormal_pareto", supernormal_pareto(hardware, recipes))):
        page.heading(claim.title, level=3)
        page.paragraph(f"Paper: {claim.paper}.")
        page.raw(verdict(claim.outcome, claim.finding))
        if len(claim.evidence):
            page.table(claim.evidence, "claim_" + name, f"Numbers behind: {claim.title}")
