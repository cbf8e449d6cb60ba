"""Scale recipes (hwgen.workload.scales): max, mse and aqas on small hand-made tensors whose answers are
known or found by an independent brute-force search, the recipe's validation, and the recipes through
the MiniLM accuracy run."""

import itertools

import numpy as np
import pandas as pd
import pytest

from hwgen.cli import main
from hwgen.formats import get_format
from hwgen.workload import scales
from hwgen.workload.operands import ROW
from hwgen.workload.scales import ScaleRecipe
from hwgen.workload.sentences import load_calibration, load_sentences

INT4, INT8 = get_format("int4"), get_format("int8")


def int_qdq(x: np.ndarray, bits: int, scale: float) -> np.ndarray:
    """An independent symmetric-range integer quantizer: round half to even, clip to +-(2^(bits-1) - 1)
    ... and the format's -2^(bits-1), as hwgen's two's complement formats allow."""
    top = 2 ** (bits - 1)
    return np.clip(np.array([round(v) for v in (x / scale).ravel()]).reshape(x.shape), -top, top - 1) * scale


def brute_force_clip(row: np.ndarray, bits: int, ratios) -> float:
    """The ratio of *ratios* with the smallest squared error (the first of equals)."""
    largest = 2 ** (bits - 1) - 1
    errors = [float(((int_qdq(row, bits, r * np.abs(row).max() / largest) - row) ** 2).sum()) for r in ratios]
    return ratios[int(np.argmin(errors))]


def test_mse_clips_the_outlier_that_max_keeps():
    row = np.random.default_rng(3).normal(size=(1, 400))
    row[0, 17] = 12.0  # one outlier among 400 values of about 1
    max_scale = scales.max_scale(row, INT4, ROW)
    assert max_scale[0] == pytest.approx(12.0 / 7)
    mse_scale = scales.clipped_scale(row, INT4, ROW)
    ratio = mse_scale[0] / max_scale[0]
    assert ratio == pytest.approx(brute_force_clip(row[0], 4, scales.CLIP_RATIOS)) and ratio < 0.8
    assert int_qdq(row, 4, mse_scale[0])[0, 17] < 12.0 * 0.8  # the outlier clips, the rest is finer
    error = scales.quantization_error
    assert error(row, INT4, mse_scale)[0] < 0.7 * error(row, INT4, max_scale)[0]


@pytest.mark.parametrize("seed", range(5))
def test_mse_matches_a_brute_force_search_per_group(seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_t(3, size=(6, 40)) * rng.uniform(0.1, 10, size=(6, 1))
    starts = np.array([0, 2, 6])
    per_row = scales.clipped_scale(x, INT4, ROW) / scales.max_scale(x, INT4, ROW)
    for r in range(6):
        assert per_row[r] == pytest.approx(brute_force_clip(x[r], 4, scales.CLIP_RATIOS))
    # per group of rows: one ratio for the group, the one minimising the group's total error
    grouped = scales.clipped_scale(x, INT8, starts, scales.ACT_CLIP_RATIOS)
    for begin, end in ((0, 2), (2, 6)):
        group = x[begin:end]
        absmax = np.abs(group).max()
        errors = [float(((int_qdq(group, 8, q * absmax / 127) - group) ** 2).sum())
                  for q in scales.ACT_CLIP_RATIOS]
        best = scales.ACT_CLIP_RATIOS[int(np.argmin(errors))]
        assert np.allclose(grouped[begin:end], best * absmax / 127)


def test_mse_takes_the_first_ratio_of_a_tie_and_an_all_zero_group_keeps_scale_1():
    on_grid = np.array([[7.0, -7.0, 3.0, 1.0, 0.0]])  # exact at max scaling: error 0, as small ratios may be
    assert scales.clipped_scale(on_grid, INT4, ROW)[0] == pytest.approx(1.0)
    # [6, 2] is exact on INT4 at scale 1 (ratio 7/6) and at scale 2 (ratio 7/3): a tie, in either order
    tie = np.array([[6.0, 2.0]])
    for ratio in (7 / 6, 7 / 3):
        assert scales.quantization_error(tie, INT4, scales.max_scale(tie, INT4, ROW, ratio))[0] == 0.0
    assert scales.clipped_scale(tie, INT4, ROW, (7 / 6, 7 / 3))[0] == pytest.approx(1.0)
    assert scales.clipped_scale(tie, INT4, ROW, (7 / 3, 7 / 6))[0] == pytest.approx(2.0)
    zeros = np.zeros((2, 4))
    assert np.array_equal(scales.clipped_scale(zeros, INT4, ROW), np.ones(2))


def test_mse_does_not_apply_to_block_formats():
    with pytest.raises(ValueError, match="block format mxfp4"):
        scales.clipped_scale(np.ones((1, 32)), get_format("mxfp4"), ROW)
    with pytest.raises(ValueError, match=r"^--scales mse does not apply to the block format mxint8 "
                                         r"\(weights\)"):
        ScaleRecipe("mse").check_formats(get_format("mxint8"), INT8)
    ScaleRecipe("aqas").check_formats(get_format("mxint8"), INT8)  # alpha only: allowed


def brute_force_aqas(x, starts, w, w_bits, x_bits, alphas, clips):
    """The aqas objective by hand: for each alpha (every row at clip 1) the total output error; then, at
    the best alpha, each row's clip by its own output error."""
    xa, wa = np.abs(x).max(axis=0), np.abs(w).max(axis=0)
    reference = x @ w.T

    def quantized_inputs(alpha):
        usable = (xa > 0) & (wa > 0)  # the documented guard: s = 1 on an all-zero channel
        s = np.ones_like(xa)
        s[usable] = xa[usable] ** alpha / wa[usable] ** (1 - alpha)
        out = np.empty_like(x)
        for begin, end in itertools.pairwise(starts):
            part = x[begin:end] / s
            out[begin:end] = int_qdq(part, x_bits, np.abs(part).max() / (2 ** (x_bits - 1) - 1))
        return out, s

    def row_error(alpha, clip, m):
        xq, s = quantized_inputs(alpha)
        row = w[m] * s
        wq = int_qdq(row, w_bits, clip * np.abs(row).max() / (2 ** (w_bits - 1) - 1))
        return float(((xq @ wq - reference[:, m]) ** 2).sum())

    totals = [sum(row_error(a, 1.0, m) for m in range(w.shape[0])) for a in alphas]
    alpha = alphas[int(np.argmin(totals))]
    chosen = [clips[int(np.argmin([row_error(alpha, c, m) for c in clips]))] for m in range(w.shape[0])]
    return alpha, chosen, totals


def test_aqas_migrates_an_outlier_channel_and_matches_a_brute_force_search():
    rng = np.random.default_rng(7)
    x = rng.normal(size=(12, 8))
    x[:, 3] *= 60.0  # one outlier input channel, as in BERT's residual stream
    w = rng.normal(size=(5, 8)) * 0.1
    starts = np.array([0, 5, 12])
    choice = scales.aqas_search(x, starts, w, INT4, INT8)
    alpha, clips, totals = brute_force_aqas(x, starts, w, 4, 8, scales.ALPHA_GRID, scales.AQAS_CLIP_RATIOS)
    assert choice.alpha == alpha and list(choice.clips) == clips
    assert [choice.alpha_errors[a] for a in scales.ALPHA_GRID] == pytest.approx(totals, rel=1e-5)
    # migration helps: alpha 0 (weights column-normalised, the outlier left in x) is worse
    assert 0 < choice.alpha < 1 and choice.alpha_errors[choice.alpha] < choice.alpha_errors[0.0]
    assert choice.error <= choice.alpha_errors[choice.alpha] and choice.error < 1e-2 * choice.reference


def test_aqas_clips_a_weight_whose_input_is_always_zero_where_mse_keeps_it():
    # Row 0 has a huge weight on input channel 5, whose activations are all 0: its rounding costs
    # nothing at the output, so the output-error search clips it hard; the weight-MSE search (mse)
    # keeps it, since it dominates the row's own quantization error.
    rng = np.random.default_rng(11)
    x = rng.normal(size=(16, 8))
    x[:, 5] = 0.0
    w = rng.normal(size=(3, 8)) * 0.2
    w[0, 5] = 40.0
    starts = np.array([0, 16])
    choice = scales.aqas_search(x, starts, w, INT4, INT8)
    alpha, clips, _ = brute_force_aqas(x, starts, w, 4, 8, scales.ALPHA_GRID, scales.AQAS_CLIP_RATIOS)
    assert (choice.alpha, list(choice.clips)) == (alpha, clips)
    mse_ratio = scales.clipped_scale(w, INT4, ROW)[0] / scales.max_scale(w, INT4, ROW)[0]
    assert choice.clips[0] <= 0.2 < 0.9 <= mse_ratio


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"scales": "minmax"}, "^scales must be one of max, mse, aqas, not 'minmax'$"),
    ({"scales": "aqas", "smooth": 0.5}, "^aqas searches the migration strength itself"),
    ({"smooth": 1.5}, r"^smooth \(SmoothQuant's alpha\) must be a number from 0 to 1, not 1.5$"),
    ({"smooth": True}, "^smooth"),
    ({"act_groups": "channel"}, "^activation scales must be one of tensor, token, not 'channel'$"),
])
def test_bad_recipes_are_one_line(kwargs, message):
    with pytest.raises(ValueError, match=message):
        ScaleRecipe(**kwargs)


def test_recipe_names_are_the_cache_keys():
    assert [ScaleRecipe(*args).name for args in (("max",), ("mse", 0.5), ("aqas", None, "token"))] == [
        "max", "mse+smooth0.5", "aqas/token"]
    assert not ScaleRecipe().calibrated
    assert ScaleRecipe("max", 0.5).calibrated and ScaleRecipe("aqas").calibrated


def test_calibration_sentences_are_not_evaluation_sentences():
    calibration, evaluation = load_calibration(), load_sentences()
    assert len(calibration) == 16 and not set(calibration.sentences) & set(evaluation.sentences)


@pytest.mark.parametrize(("argv", "message"), [
    (["--scales", "mse", "--weights", "mxfp4"], "does not apply to the block format mxfp4"),
    (["--scales", "aqas", "--smooth", "0.5"], "aqas searches the migration strength itself"),
    (["--smooth", "2"], "must be a number from 0 to 1"),
    (["--scales", "median"], "invalid choice: 'median'"),
])
def test_accuracy_cli_refuses_bad_recipes_in_one_line(argv, message, capsys):
    args = ["accuracy", "--weights", "int4", "--acts", "int8", "--limit", "1", *argv]
    if "--weights" in argv:
        args = ["accuracy", "--acts", "int8", "--limit", "1", *argv]
    try:
        code = main(args)
    except SystemExit as stop:  # argparse's own refusals
        code = stop.code
    err = capsys.readouterr().err
    assert code == 2 and message in err.strip().splitlines()[-1] and "Traceback" not in err


@pytest.mark.slow
def test_recipes_through_minilm():
    from hwgen.workload import accuracy

    results = {r.name: accuracy("dint4", "int8", limit=8, scales=r)
               for r in (ScaleRecipe("max"), ScaleRecipe("mse"), ScaleRecipe("aqas"), ScaleRecipe("max", 0.5),
                         ScaleRecipe("mse", act_groups="token"))}
    assert {name: r.scales for name, r in results.items()} == {name: name for name in results}
    # hwgen's dint4 has no zero: clipping the weight rows is what makes it usable (docs/minilm.md)
    assert results["mse"].mean_cosine > results["max"].mean_cosine + 0.5
    assert len({round(r.mean_cosine, 9) for r in results.values()}) == len(results)  # every recipe differs


def recipe_rows(values: dict) -> pd.DataFrame:
    """A recipe table from {weights: {recipe: mean cosine}} (min cosine = mean - 0.1)."""
    rows = []
    for weights, by_recipe in values.items():
        row = {"weights": weights, "acts": "int8"}
        for recipe, mean in by_recipe.items():
            row[f"{recipe} mean"], row[f"{recipe} min"] = mean, mean - 0.1
        rows.append(row)
    return pd.DataFrame(rows)


@pytest.mark.parametrize(("dint4z_aqas", "dint4z_mse", "outcome"), [
    (0.96, 0.90, "agree"),     # dint4z beats int4 with the paper's recipe
    (0.90, 0.97, "partly"),    # only with another recipe
    (0.90, 0.91, "disagree"),  # with none
])
def test_the_dint_claim_is_judged_with_aqas_and_names_it(dint4z_aqas, dint4z_mse, outcome):
    from hwgen.cost_models.recipes_section import dint_vs_int4

    table = recipe_rows({"int4": {"max": 0.90, "mse": 0.93, "aqas": 0.95},
                         "dint4": {"max": 0.17, "mse": 0.92, "aqas": 0.57},
                         "dint4z": {"max": 0.80, "mse": dint4z_mse, "aqas": dint4z_aqas},
                         "nf4": {"max": 0.99, "mse": 0.99, "aqas": 0.99}})
    claim = dint_vs_int4(table)
    assert claim.outcome == outcome
    assert claim.finding.startswith("recipe aqas: INT4 0.950, dint4 0.570, dint4z")
    assert list(claim.evidence["weights"]) == ["int4", "dint4", "dint4z"]


@pytest.mark.slow
def test_the_recipe_table_is_cached_by_recipe(tmp_path):
    from hwgen.cost_models.recipes_section import recipe_table

    said = []
    first = recipe_table(tmp_path, minilm_sentences=2, formats=("int4", "dint4"), recipes=("max", "mse"),
                         progress=said.append)
    assert list(first.columns) == ["weights", "acts", "max mean", "max min", "mse mean", "mse min"]
    assert first.loc[1, "mse mean"] > first.loc[1, "max mean"]  # dint4: clipping rescues it
    said.clear()
    again = recipe_table(tmp_path, minilm_sentences=2, formats=("int4", "dint4"), recipes=("max", "mse"),
                         progress=said.append)
    assert again.equals(first) and len(said) == 4 and all("from the cache" in line for line in said)
