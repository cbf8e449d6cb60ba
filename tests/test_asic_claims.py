"""The seeds' claims in standard-cell units, the standard-cell Horowitz anchor and the Pareto front at
one clock: verdicts from hand-made asic rows whose answers are known."""

import json

import pandas as pd
import pytest

from hwgen.cost_models import asic_claims, enrich
from hwgen.cost_models.axes import pareto_table
from hwgen.cost_models.html import Page


def mac_row(a, b=None, *, area, pj, mul="exact", clock=10.0, slack=1.0, sqnr=None, library="osu018"):
    b = b or a
    label = a if a == b else f"{a}x{b}"
    return {"label": label + ("" if mul == "exact" else f" {mul}"), "format_a": a, "format_b": b,
            "acc": "fixed", "terms": 64, "pipeline": 3, "mul": mul, "target": "asic", "predicted": False,
            "library": library,
            "clock_ns": clock, "area_um2": area, "energy_pj_per_mac": pj, "dynamic_uw": pj * 1000 / clock,
            "leakage_nw": 50.0, "slack_ns": slack, "sqnr_gaussian_db": sqnr}


def table(*rows) -> pd.DataFrame:
    return pd.DataFrame(list(rows))


@pytest.mark.parametrize(("int8_area", "int8_pj", "outcome"), [
    (2000.0, 280.0, "agree"),     # 2.0x area, about 2.8x power: both above 80 % of 1.93x / 2.56x
    (1400.0, 160.0, "partly"),    # cheaper on both, well short of the paper
    (900.0, 160.0, "disagree"),   # dINT4 x INT8 larger than INT8 x INT8
])
def test_dint4_verdict_follows_area_and_power(int8_area, int8_pj, outcome):
    claim = asic_claims.dint4_vs_int8_asic(table(mac_row("int8", area=int8_area, pj=int8_pj),
                                                 mac_row("dint4", "int8", area=1000.0, pj=100.0)))
    assert claim.outcome == outcome
    power = claim.evidence.set_index("metric").loc["power uW"]
    # power = energy x clock + leakage on both sides: (pJ/10 ns + 0.05 uW)
    assert power["int8 / dint4"] == pytest.approx((int8_pj * 100 + 0.05) / (100.0 * 100 + 0.05))
    assert "osu018 at 10 ns" in claim.finding


def test_dint4_without_rows_says_what_measures_it():
    claim = asic_claims.dint4_vs_int8_asic(table(mac_row("int8", area=1.0, pj=1.0)))
    assert claim.outcome == "partly" and "not measured" in claim.finding
    assert "`hwgen sweep asic`" in claim.finding


def test_lmul_saving_per_format():
    rows = table(mac_row("fp8_e4m3fn", area=100.0, pj=50.0),
                 mac_row("fp8_e4m3fn", area=90.0, pj=10.0, mul="lmul"),
                 mac_row("fp8_e5m2", area=100.0, pj=60.0),
                 mac_row("fp8_e5m2", area=95.0, pj=54.0, mul="lmul"))
    claim = asic_claims.lmul_vs_exact_asic(rows)
    savings = dict(zip(claim.evidence["format"], claim.evidence["energy saving"], strict=True))
    assert savings == pytest.approx({"fp8_e4m3fn": 0.8, "fp8_e5m2": 0.1})
    assert claim.outcome == "partly"  # E4M3 reproduces the 80 %, E5M2 does not
    both = rows.assign(energy_pj_per_mac=[50.0, 12.0, 60.0, 12.0])
    assert asic_claims.lmul_vs_exact_asic(both).outcome == "agree"
    worse = rows.assign(energy_pj_per_mac=[50.0, 55.0, 60.0, 61.0])
    assert asic_claims.lmul_vs_exact_asic(worse).outcome == "disagree"


def test_claims_compare_rows_of_one_library_and_clock():
    # The dINT4 MAC was measured at another clock only: no pair, not a comparison across clocks.
    rows = table(mac_row("int8", area=2000.0, pj=280.0, clock=10.0),
                 mac_row("dint4", "int8", area=1000.0, pj=100.0, clock=5.0))
    assert "not measured" in asic_claims.dint4_vs_int8_asic(rows).finding


def test_integer_dominated_by_a_cheaper_more_accurate_minifloat():
    rows = table(mac_row("int4", area=100.0, pj=10.0, sqnr=14.0),
                 mac_row("fp4_e2m1", area=90.0, pj=11.0, sqnr=17.0),
                 mac_row("int8", area=300.0, pj=60.0, sqnr=39.0),
                 mac_row("fp8_e4m3fn", area=320.0, pj=50.0, sqnr=31.0))
    claim = asic_claims.integer_vs_minifloat_asic(rows)
    verdicts = {(row["cost"], row["bits"]): row["int dominated by"] for _, row in claim.evidence.iterrows()}
    # fp4 is smaller and more accurate; on energy it costs more. fp8 is never more accurate than int8.
    assert verdicts == {("area_um2", 4): "fp4_e2m1", ("area_um2", 8): "-", ("energy_pj_per_mac", 4): "-",
                        ("energy_pj_per_mac", 8): "-"}
    assert claim.outcome == "agree" and "3 of 4" in claim.finding


def test_front_at_a_clock_keeps_the_designs_that_meet_it():
    rows = table(mac_row("int4", area=100.0, pj=10.0, sqnr=14.0, clock=5.0, slack=0.5),
                 mac_row("int8", area=300.0, pj=60.0, sqnr=39.0, clock=5.0, slack=-0.2),
                 mac_row("int8", area=280.0, pj=60.0, sqnr=39.0, clock=10.0))
    at_5 = pareto_table(rows, "asic", "area_um2", "sqnr_gaussian_db", clock_ns=5)
    assert list(at_5["design"]) == ["int4"]  # int8 misses 5 ns
    at_10 = pareto_table(rows, "asic", "area_um2", "sqnr_gaussian_db", clock_ns=10.0)
    assert list(at_10["area_um2"]) == [280.0]
    with pytest.raises(ValueError, match=r"^no asic point synthesized for a 2 ns clock; clocks in the store "
                                         r"\(ns\): 5, 10;"):
        pareto_table(rows, "asic", "area_um2", "sqnr_gaussian_db", clock_ns=2)
    with pytest.raises(ValueError, match="not on gates: its points have no timing"):
        pareto_table(rows.assign(target="gates"), "gates", "gates", "sqnr_gaussian_db", clock_ns=5)


def operation_row(unit, options, pj, created="2026-01-02", clock=10.0):
    return {"unit": unit, "target": "asic", "status": "ok", "config": json.dumps(options),
            "library": "osu018", "clock_ns": clock, "energy_pj_per_mac": pj, "created_at": created}


ANCHOR_ROWS = [
    operation_row("mul", {"a": "int8", "b": "int8", "result": None}, 1.0),
    operation_row("mul", {"a": "fp16", "b": "fp16", "result": "fp16"}, 5.0),
    operation_row("mul", {"a": "fp16", "b": "fp16", "result": "fp16"}, 99.0, created="2025-01-01"),  # older
    operation_row("mul", {"a": "fp32", "b": "fp32", "result": "fp32"}, 20.0),
    operation_row("mul", {"a": "fp16", "b": "fp16", "result": None}, 3.0),  # exact: not Horowitz's multiply
    operation_row("mul", {"a": "bf16", "b": "bf16", "result": "bf16"}, 4.0),  # not in his table
    operation_row("add", {"format": "int32"}, 0.4),
    operation_row("add", {"format": "fp32"}, 3.0),
]


def test_asic_operation_energies_pick_horowitz_operations():
    found = enrich.asic_operation_energies(pd.DataFrame(ANCHOR_ROWS))
    assert found == {("osu018", 10.0): {"int8 mul": 1.0, "fp16 mul": 5.0, "fp32 mul": 20.0, "int32 add": 0.4,
                                        "fp32 add": 3.0}}


def test_asic_anchor_verdict_in_the_report(tmp_path):
    page = Page("test", tmp_path)
    enrich._asic_anchors(page, enrich.asic_operation_energies(pd.DataFrame(ANCHOR_ROWS)), "s.sqlite")
    html = page.render()
    # 5.0 vs 5.5, 20 vs 18.5, 0.4 vs 0.5 within 2x; fp32 add 3.0 vs 4.5 too: all four
    assert "4 of 4 ratios" in html and "agree" in html
    csv = pd.read_csv(next((tmp_path / "tables").glob("energy_anchor_asic_osu018_10ns*.csv")))
    assert list(csv["operation"]) == ["int8 mul", "fp16 mul", "fp32 mul", "int32 add", "fp32 add"]
    assert list(csv["Horowitz pJ (45 nm)"]) == [0.2, 1.1, 3.7, 0.1, 0.9]
    partial = Page("test", tmp_path / "partial")
    enrich._asic_anchors(partial, enrich.asic_operation_energies(pd.DataFrame(ANCHOR_ROWS[:3])), "s.sqlite")
    assert "hwgen sweep asic --store s.sqlite" in partial.render()


def lookup_row(unit, entries, area, pj, design, *, function="gelu", created="2026-01-02"):
    options = {"function": function, "in_format": "fp16", "out_format": "fp16", "lo": -8.0, "hi": 8.0,
               "frac_bits": None, "x_frac": None, "seed": 0, "pipeline": 4}
    if unit == "nnlut":
        options["entries"] = entries
    else:
        options.update(match_entries=entries, cell_bits=8, max_entries=None)
    return {"unit": unit, "target": "asic", "status": "ok", "config": json.dumps(options), "design": design,
            "library": "osu018", "clock_ns": 10.0, "area_um2": area, "energy_pj_per_mac": pj,
            "asic_fmax_mhz": 150.0, "slack_ns": 3.0, "created_at": created}


def lookup_details(entries, nnlut_error, lut_entries, lut_error, how="equal"):
    return ({"function": "gelu", "entries": entries, "fit": {"max_error": nnlut_error}},
            {"function": "gelu", "lut": {"entries": lut_entries, "max_error": lut_error,
                                         "match": {"how": how}}})


def test_nnlut_pairs_with_its_equal_error_lut_twin():
    rows = pd.DataFrame([
        lookup_row("nnlut", 16, 140.0, 380.0, "n16"), lookup_row("lut", 16, 100.0, 240.0, "l16"),
        lookup_row("nnlut", 32, 150.0, 400.0, "n32"), lookup_row("lut", 32, 220.0, 520.0, "l32"),
        lookup_row("lut", 16, 1.0, 1.0, "old", created="2025-01-01"),  # older: the newest twin counts
        lookup_row("nnlut", 8, 100.0, 100.0, "n8"),  # no twin: not judged
    ])
    n16, l16 = lookup_details(16, 2.8e-3, 4096, 2.1e-3)
    n32, l32 = lookup_details(32, 7e-4, 16384, 6e-4)
    details = {"n16": n16, "l16": l16, "n32": n32, "l32": l32, "old": l16, "n8": n16}
    pairs = asic_claims.lookup_pairs(rows, details)
    assert sorted(pairs["nnlut entries"]) == [16, 32]
    assert list(pairs.sort_values("nnlut entries")["lut area_um2"]) == [100.0, 220.0]
    claim = asic_claims.nnlut_vs_rom_asic(pairs)
    assert claim.outcome == "partly" and "in 1 of 2 pairs" in claim.finding  # the LUT wins at 16 entries
    # A LUT twin that stopped at the input grid is less accurate: shown, not judged.
    grid = dict(details, l32=lookup_details(32, 7e-4, 1024, 9e-4, how="grid")[1])
    claim = asic_claims.nnlut_vs_rom_asic(asic_claims.lookup_pairs(rows, grid))
    assert claim.outcome == "disagree" and "1 LUT twin(s) not judged" in claim.finding
    # A capped LUT that the NN-LUT beats still counts (the equal-error one would be larger still).
    capped = dict(details, l32=lookup_details(32, 7e-4, 16384, 8e-4, how="capped")[1])
    assert asic_claims.nnlut_vs_rom_asic(asic_claims.lookup_pairs(rows, capped)).outcome == "partly"
    assert asic_claims.nnlut_vs_rom_asic(pd.DataFrame()).finding.startswith("not measured")
