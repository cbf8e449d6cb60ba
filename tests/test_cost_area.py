"""Area model: features, fitting, leave-one-out error, FINN-R, on a captured results fixture.

The fixture (tests/fixtures/cost/results.csv) is the MAC rows of a real run of
fpga/sweeps/model.toml + default.toml (Yosys 0.70 via yowasp), newest Verilog of each design.
"""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from hwgen.cost_models import area, dataset
from hwgen.cost_models.assemble import fabric_points, grid_formats, predicted_points
from hwgen.cost_models.features import design_label, mac_features

FIXTURE = Path(__file__).parent / "fixtures" / "cost" / "results.csv"


@pytest.fixture(scope="module")
def points():
    return dataset.mac_points(pd.read_csv(FIXTURE))


@pytest.fixture(scope="module")
def models(points):
    return dataset.fit_models(points)


def test_features_follow_the_formats():
    int8 = mac_features("int8", "int8")
    assert (int8.partial_products, int8.exponent_bits, int8.shift_bits, int8.specials) == (64, 0, 0, 0)
    assert int8.acc_bits == 22  # 2*7 magnitude bits (128*128 = 2^14 -> 15 bits) + log2(64) + sign
    e4m3 = mac_features("fp8_e4m3fn", "fp8_e4m3fn")
    assert (e4m3.significand_a, e4m3.exponent_bits, e4m3.specials) == (4, 8, 1)
    # 448 * 448 in units of 2^-9 * 2^-9: (448 * 512)^2 = 2^35.6 -> 36 bits
    assert e4m3.product_bits == 36
    assert mac_features("fp8_e4m3fn", "fp8_e4m3fn", mul="lmul").lmul == 1
    assert mac_features("fp8_e5m2", "fp8_e5m2", acc="fp32").float_acc == 1
    assert design_label("int8", "int8", "fixed", 64, 1, "exact") == "int8 p1"
    assert design_label("dint4", "int8", "fixed", None, 3, "exact") == "dint4xint8"
    assert design_label("fp8_e5m2", "fp8_e5m2", "fp32", None, 3, "exact") == "fp8_e5m2/fp32"


def test_exact_linear_data_is_recovered_with_zero_error():
    rng = np.random.default_rng(1)
    terms = area.MODEL_TERMS["luts"]
    rows = [{name: int(rng.integers(1, 60)) for name in terms} for _ in range(20)]
    truth = np.arange(1, len(terms) + 2, dtype=float)
    measured = [float(truth[0] + sum(c * row[t] for c, t in zip(truth[1:], terms, strict=True)))
                for row in rows]
    model = area.fit_metric("xc7", "luts", rows, measured, [f"p{i}" for i in range(20)])
    assert np.allclose(model.coefficients, truth)
    assert model.error.loo_worst_pct < 1e-6
    assert model.predict(rows[3]) == pytest.approx(measured[3])


def test_too_few_points_is_a_clear_error():
    rows = [dict.fromkeys(area.MODEL_TERMS["ffs"], i) for i in range(4)]
    with pytest.raises(ValueError, match="ecp5 ffs: 4 measured points, the model needs at least 9"):
        area.fit_metric("ecp5", "ffs", rows, [1.0, 2.0, 3.0, 4.0], list("abcd"))
    with pytest.raises(ValueError, match="metric must be one of luts, ffs, gates, transistors"):
        area.fit_metric("ecp5", "dsps", rows, [1.0] * 4, list("abcd"))


def test_fixture_models_meet_the_held_out_error_goal(models):
    """Acceptance: median held-out (LOO) error <= 10 % per target and metric on the captured data."""
    assert {target for target, _ in models} == {"xc7", "ice40", "ecp5", "gates"}
    for (target, metric), model in models.items():
        assert model.error.points >= 30, (target, metric)
        assert model.error.loo_median_pct <= 10.0, (target, metric, model.error)
        errors = [100 * abs(p - m) / max(abs(m), 1) for m, p in zip(model.measured, model.loo_predicted,
                                                                   strict=True)]
        assert model.error.loo_worst_pct == pytest.approx(max(errors))
        assert model.error.loo_median_pct == pytest.approx(float(np.median(errors)))


def test_ecp5_luts_count_both_lut4s_of_a_carry_cell(points):
    row = points[(points["target"] == "ecp5") & (points["label"] == "int8") & (points["dsp_allowed"] == 0)]
    assert len(row) == 1
    assert row["luts"].iloc[0] == row["lut_cells"].iloc[0] + 2 * row["carries"].iloc[0]


def test_finn_r_formula_and_comparison(points, models):
    # int8 x int8, 64 terms: mult (2*ceil(16/6)-1)*16 = 80, adder tree 16, accumulator 16+6 = 22; x 1.1
    assert area.finn_r_luts(8, 8, 64) == pytest.approx(1.1 * 118)
    from hwgen.cost_models.report import _integer_points

    comparison = area.finn_r_comparison(_integer_points(points, "xc7"), models[("xc7", "luts")])
    assert len(comparison["rows"]) >= 8
    assert comparison["hwgen_median_pct"] < comparison["finn_r_median_pct"]


def test_predictions_fill_the_grid_and_are_marked(points, models):
    predicted = predicted_points(models, points)
    assert predicted["predicted"].all()
    measured = set(points.loc[(points["dsp_allowed"] == 0) & (points["target"] == "xc7"), "label"])
    on_xc7 = set(predicted.loc[predicted["target"] == "xc7", "label"])
    assert on_xc7 and not on_xc7 & measured
    assert on_xc7 | measured >= set(grid_formats())
    table = fabric_points(points, models)
    assert set(table["predicted"]) == {False, True}
    e2m4 = predicted[(predicted["label"] == "fp7_e2m4_finite") & (predicted["target"] == "xc7")]
    features = mac_features("fp7_e2m4_finite", "fp7_e2m4_finite")
    assert e2m4["luts"].iloc[0] == models[("xc7", "luts")].predict(features)
    # A 7-bit float MAC costs more than the measured 6-bit one and less than the 8-bit one.
    measured_xc7 = table[(table["target"] == "xc7") & ~table["predicted"]].set_index("label")["luts"]
    assert measured_xc7["fp6_e2m3"] < e2m4["luts"].iloc[0] < measured_xc7["fp8_e4m3fn"]
    assert e2m4["f_partial_products"].iloc[0] == features.partial_products == 25


def test_float_accumulators_are_never_predicted(models):
    with pytest.raises(ValueError, match="fixed accumulators only"):
        area.predict_design(models, "xc7", a="fp8_e5m2", b="fp8_e5m2", acc="fp32")


def test_missing_and_empty_stores_are_clear_errors(tmp_path):
    with pytest.raises(dataset.EmptyStoreError, match="does not exist; run `hwgen sweep"):
        dataset.read_store(tmp_path / "none.sqlite")
    from hwgen.results.store import ResultStore

    ResultStore(tmp_path / "empty.sqlite").close()
    with pytest.raises(dataset.EmptyStoreError, match="has no rows"):
        dataset.read_store(tmp_path / "empty.sqlite")


def test_metrics_a_target_cannot_have_are_missing_not_zero(tmp_path, points):
    from hwgen.results.store import ResultStore

    records = pd.read_csv(FIXTURE).to_dict("records")
    with ResultStore(tmp_path / "r.sqlite") as store:
        store.add_rows([{k: None if pd.isna(v) else v for k, v in record.items()} for record in records])
    for frame in (points, dataset.mac_points(dataset.read_store(tmp_path / "r.sqlite"))):
        gates, fpga = frame[frame["target"] == "gates"], frame[frame["target"] != "gates"]
        assert gates[["luts", "lut_cells", "carries", "dsps"]].isna().all().all()
        assert fpga["gates"].isna().all() and fpga["transistors"].isna().all()
        assert gates["gates"].notna().all() and fpga["luts"].notna().all() and (fpga["dsps"] >= 0).all()
        assert frame["luts"].dtype == float  # NaN, which float() and comparisons take, not pandas' NA
        # Averages see only the targets that have the metric.
        assert frame["luts"].mean() == pytest.approx(fpga["luts"].mean())


def test_the_model_sweep_is_valid():
    from hwgen.fpga.sweep_config import describe, load_config

    plan = load_config(Path(__file__).parents[1] / "fpga" / "sweeps" / "model.toml")
    assert "50 designs (4 of them on gates only) x 4 flows (0 placed and routed" in describe(plan)
    assert "with gate-level energy" in describe(plan)
    multipliers = [d for d in plan.designs if d.unit == "mul"]  # the Horowitz anchor's, on gates only
    assert [flow.target for flow in plan.flows_for(multipliers[0])] == ["gates"]
    assert plan.points == 46 * 4 + 4
