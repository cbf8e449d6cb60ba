"""The report's scale-recipe claims on hand-made tables whose answers are known: the Student-Float paper's
W4A8 Pareto claim on standard cells, and which asic rows count as W4A8 MACs."""

import pandas as pd
import pytest

from hwgen.cost_models.recipes_section import supernormal_pareto, w4_hardware
from hwgen.workload.scales import ScaleRecipe


def asic_row(weights, area, pj=10.0, acts="int8", mul="exact", predicted=False, target="asic"):
    return {"format_a": weights, "format_b": acts, "acc": "fixed", "mul": mul, "target": target,
            "predicted": predicted, "library": "osu018", "clock_ns": 10.0, "area_um2": area,
            "energy_pj_per_mac": pj}


def recipes(cosines: dict) -> pd.DataFrame:
    return pd.DataFrame([{"weights": w, "acts": "int8", "max mean": c, "max min": c - 0.1}
                         for w, c in cosines.items()])


def test_w4_hardware_keeps_measured_w4a8_macs_on_the_asic_target():
    table = pd.DataFrame([asic_row("int4", 100.0), asic_row("nf4", 300.0),
                          asic_row("int4", 90.0, acts="int4"),            # W4A4: not a W4A8 MAC
                          asic_row("fp4_e2m1", 80.0, mul="lmul"),         # not the exact multiply
                          asic_row("sf4", 310.0, predicted=True),         # a model's prediction
                          asic_row("dint4", 120.0, target="gates")])      # another target
    hardware = w4_hardware(table)
    assert list(hardware["weights"]) == ["int4", "nf4"] and list(hardware["area um2"]) == [100.0, 300.0]
    assert w4_hardware(pd.DataFrame()).empty


@pytest.mark.parametrize(("areas", "cosines", "outcome", "front"), [
    # the paper's curve: INT4 cheapest, E2M1 and a cheap supernormal variant above it, NF4 dominated
    ({"int4": 100, "fp4_e2m1": 110, "fp4_e2m1_sr": 111, "nf4": 300},
     {"int4": 0.90, "fp4_e2m1": 0.93, "fp4_e2m1_sr": 0.94, "nf4": 0.935}, "agree",
     {"int4", "fp4_e2m1", "fp4_e2m1_sr"}),
    # E2M1 on the front, the supernormal variant too, but 50 % larger: partly
    ({"int4": 100, "fp4_e2m1": 110, "fp4_e2m1_sr": 165, "nf4": 300},
     {"int4": 0.90, "fp4_e2m1": 0.93, "fp4_e2m1_sr": 0.94, "nf4": 0.95}, "partly",
     {"int4", "fp4_e2m1", "fp4_e2m1_sr", "nf4"}),
    # NF4 cheapest and best: none of the paper's formats on the front
    ({"int4": 100, "fp4_e2m1": 110, "fp4_e2m1_sr": 111, "nf4": 90},
     {"int4": 0.90, "fp4_e2m1": 0.93, "fp4_e2m1_sr": 0.94, "nf4": 0.95}, "disagree", {"nf4"}),
])
def test_the_supernormal_pareto_claim(areas, cosines, outcome, front):
    hardware = w4_hardware(pd.DataFrame([asic_row(w, float(a)) for w, a in areas.items()]))
    claim = supernormal_pareto(hardware, recipes(cosines))
    assert claim.outcome == outcome
    assert set(claim.evidence.loc[claim.evidence["on_front"], "weights"]) == front
    overhead = areas["fp4_e2m1_sr"] / areas["fp4_e2m1"] - 1
    assert f"fp4_e2m1_sr {overhead:+.1%}" in claim.finding and "osu018 at 10 ns" in claim.finding
    assert "recipe max" in claim.finding


def test_without_w4a8_macs_the_claim_names_the_sweep():
    claim = supernormal_pareto(pd.DataFrame(), recipes({"int4": 0.9}))
    assert claim.outcome == "partly" and "hwgen sweep asic_w4" in claim.finding


def test_report_metrics_run_minilm_with_the_chosen_recipe(tmp_path, monkeypatch):
    from hwgen.cost_models import enrich, quality

    calls = []

    def fake_minilm(weights, acts, acc="fixed", limit=None, cache=None, nonlin="exact", progress=None,
                    scales="max"):
        calls.append((weights, acts, getattr(scales, "name", scales)))
        return {"mean_cosine": 0.9, "min_cosine": 0.8}

    monkeypatch.setattr(quality, "minilm_cosine", fake_minilm)
    options = {"format_a": "int4", "format_b": "int8", "acc": "fixed", "mul": "exact", "terms": None,
               "pipeline": 3}
    metric_of = enrich.design_metrics_provider(tmp_path, minilm=True, minilm_sentences=2,
                                               measured={"int4xint8"}, wanted={"minilm_cosine"},
                                               scales="mse")
    assert metric_of(options) == {"minilm_cosine": 0.9} and calls == [("int4", "int8", "mse")]
    # the per-format table leaves MiniLM out where the recipe does not apply (mse on a block format)
    assert not enrich._recipe_applies(ScaleRecipe("mse"), "mxfp4", "mxfp4")
    assert enrich._recipe_applies(ScaleRecipe("aqas"), "mxfp4", "mxfp4")
    assert enrich._recipe_applies(ScaleRecipe("mse"), "int4", "int8")
