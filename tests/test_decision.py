"""The report's first screen (cost_models/decision.py): the cheapest measured design per target and
accuracy budget, on hand-made tables whose answers are known."""

import pandas as pd
import pytest

from hwgen.cost_models import decision


def row(label, target, cost, sqnr, *, predicted=False, pipeline=3, acc="fixed", mul="exact", dsps=0,
        column=None):
    column = column or decision.COSTS[target][0]
    return {"label": label, "target": target, column: cost, "sqnr_gaussian_db": sqnr, "predicted": predicted,
            "pipeline": pipeline, "terms": 64, "acc": acc, "mul": mul, "dsps": dsps}


TABLE = pd.DataFrame([
    row("fp4_e2m1", "xc7", 46.0, 17.6), row("fp6_e2m3", "xc7", 77.0, 30.4), row("int8", "xc7", 159.0, 39.3),
    row("fp8_e4m3fn", "xc7", 155.0, 31.6),                 # dearer than fp6_e2m3 up to 30 dB
    row("int8 p1", "xc7", 20.0, 39.3, pipeline=1),         # not the default shape: never answers
    row("int16", "xc7", 10.0, 80.0, predicted=True),       # a model's prediction: never answers
    row("fp8_e4m3fn/fp32", "xc7", 5.0, 31.6, acc="fp32"),  # float accumulator: not the comparison
    row("fp4_e2m1", "gates", 281.0, 17.6), row("int8", "gates", 739.0, 39.3),
])


def test_the_cheapest_measured_design_meets_each_budget():
    choices = decision.decisions(TABLE).set_index(["target", "budget"])
    assert choices.loc[("xc7", 15.0), "design"] == "fp4_e2m1"
    assert [choices.loc[("xc7", b), "design"] for b in (20.0, 25.0, 30.0)] == ["fp6_e2m3"] * 3
    assert choices.loc[("xc7", 35.0), ["design", "cost"]].tolist() == ["int8", 159.0]
    assert choices.loc[("gates", 20.0), "design"] == "int8"
    assert choices.loc[("xc7", 15.0), "compared"] == 4


def test_a_budget_nothing_meets_says_so_and_sentences_merge_equal_answers():
    table = TABLE[TABLE["label"] != "int8"]
    lines = decision.sentences(decision.decisions(table))
    assert lines[0] == ("xc7 (3 designs measured): SQNR >= 15 dB: fp4_e2m1, 46 LUT; 20-30 dB: fp6_e2m3, "
                        "77 LUT; 35 dB: none measured")
    grid = decision.grid(decision.decisions(table)).set_index("target")
    assert grid.loc["gates", "SQNR >= 35 dB"] == "-"
    assert grid.loc["gates", "SQNR >= 15 dB"] == "fp4_e2m1, 281 gates"


def test_an_fpga_placed_only_with_dsps_answers_with_its_placed_luts_and_names_the_dsps():
    placed = pd.DataFrame([row("int8", "ice40", 50.0, 39.3, dsps=1), row("fp4_e2m1", "ice40", 68.0, 17.6)])
    choices = decision.decisions(TABLE, placed=placed).set_index(["target", "budget"])
    assert choices.loc[("ice40", 15.0), ["design", "cost"]].tolist() == ["int8 (+1 DSP)", 50.0]
    # a fabric-only row of the same target wins over the placed ones (the paper's cost)
    fabric = pd.concat([TABLE, pd.DataFrame([row("fp4_e2m1", "ice40", 60.0, 17.6)])], ignore_index=True)
    choices = decision.decisions(fabric, placed=placed).set_index(["target", "budget"])
    assert choices.loc[("ice40", 15.0), "design"] == "fp4_e2m1"
    assert pd.isna(choices.loc[("ice40", 20.0), "design"])


def test_an_unknown_metric_is_refused():
    with pytest.raises(ValueError, match=r"^metric must be one of sqnr_gaussian_db, minilm_cosine"):
        decision.decisions(TABLE, "luts")
