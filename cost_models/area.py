"""Area models fitted to the results store, their leave-one-out error, and FINN-R's LUT formula.

One linear model per (target, metric): ``metric = features @ coefficients``, with the features of
:mod:`hwgen.cost_models.features` (bits the hardware must build). The fit minimizes *relative*
squared error (each row weighted by 1 / measured), because users compare formats by ratios and a
10-LUT design matters as much as a 300-LUT one. The models cover MACs with fixed-point accumulators
synthesized without DSP blocks (the fabric and gate counts of :file:`fpga/sweeps/model.toml`); float
accumulators and DSP-mapped points are reported as measured, never predicted.

Error is reported the way the issue asks: median and worst absolute percentage error of
leave-one-out predictions (each point predicted by a model fitted without it).
"""

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from hwgen.cost_models.features import MacFeatures, mac_features

# What each metric is built from. Intercepts stand for the stream control every MAC has.
_LOGIC = ("partial_products", "product_bits", "acc_bits", "exponent_bits", "specials", "lmul", "pipeline",
          "code_bits")
MODEL_TERMS: Mapping[str, tuple[str, ...]] = {
    "luts": _LOGIC,
    "ffs": ("acc_bits", "stage_bits", "code_bits", "specials", "pipeline"),
    "gates": _LOGIC,
    "transistors": _LOGIC,
}
# The metrics each target reports (gates: a generic gate netlist; the FPGAs: LUTs and flip-flops).
TARGET_METRICS: Mapping[str, tuple[str, ...]] = {
    "xc7": ("luts", "ffs"),
    "ice40": ("luts", "ffs"),
    "ecp5": ("luts", "ffs"),
    "gates": ("gates", "transistors", "ffs"),
}
# FINN-R's formula is for 6-input-LUT fabrics.
FINN_TARGETS = ("xc7",)
MIN_POINTS_OVER_TERMS = 3  # a model needs this many more points than coefficients to be reported


@dataclass(frozen=True)
class FitError:
    """Absolute percentage errors of one model: in sample and leave-one-out."""

    points: int
    median_pct: float
    worst_pct: float
    worst_label: str
    loo_median_pct: float
    loo_worst_pct: float
    loo_worst_label: str


@dataclass(frozen=True)
class AreaModel:
    """A fitted linear model of one metric on one target."""

    target: str
    metric: str
    terms: tuple[str, ...]
    coefficients: tuple[float, ...]  # intercept first, then one per term
    error: FitError
    labels: tuple[str, ...]  # the points it was fitted on
    measured: tuple[float, ...]
    loo_predicted: tuple[float, ...]

    def predict(self, features: MacFeatures | Mapping) -> float:
        values = features.as_dict() if isinstance(features, MacFeatures) else features
        row = _design_row(values, self.terms)
        return float(row @ np.asarray(self.coefficients))

    def formula(self) -> str:
        parts = [f"{self.coefficients[0]:.1f}"]
        parts += [f"{c:+.3g}*{t}" for c, t in zip(self.coefficients[1:], self.terms, strict=True)]
        return f"{self.metric} = " + " ".join(parts)


def _design_row(values: Mapping, terms: Sequence[str]) -> np.ndarray:
    return np.array([1.0] + [float(values[t]) for t in terms])


def _weighted_fit(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    weights = 1.0 / np.maximum(y, 1.0)
    coefficients, *_ = np.linalg.lstsq(x * weights[:, None], y * weights, rcond=None)
    return coefficients


def _pct_errors(predicted: np.ndarray, measured: np.ndarray) -> np.ndarray:
    return 100.0 * np.abs(predicted - measured) / np.maximum(np.abs(measured), 1.0)


def fit_metric(target: str, metric: str, features: Sequence[MacFeatures | Mapping],
               measured: Sequence[float], labels: Sequence[str]) -> AreaModel:
    """Fit one model and measure its in-sample and leave-one-out error.

    ``ValueError`` when there are too few points for the model's terms (the message says how many).
    """
    if metric not in MODEL_TERMS:
        raise ValueError(f"metric must be one of {', '.join(MODEL_TERMS)}, not {metric!r}")
    terms = MODEL_TERMS[metric]
    if not len(features) == len(measured) == len(labels):
        raise ValueError("features, measured and labels must have the same length")
    needed = len(terms) + 1 + MIN_POINTS_OVER_TERMS
    if len(measured) < needed:
        raise ValueError(f"{target} {metric}: {len(measured)} measured points, the model needs at least "
                         f"{needed} (run the cost-model sweep: hwgen sweep model)")
    rows = [f.as_dict() if isinstance(f, MacFeatures) else f for f in features]
    x = np.stack([_design_row(r, terms) for r in rows])
    y = np.asarray(measured, dtype=float)
    coefficients = _weighted_fit(x, y)
    in_sample = _pct_errors(x @ coefficients, y)
    loo = np.empty_like(y)
    for i in range(len(y)):
        keep = np.arange(len(y)) != i
        loo[i] = x[i] @ _weighted_fit(x[keep], y[keep])
    loo_errors = _pct_errors(loo, y)
    worst, loo_worst = int(np.argmax(in_sample)), int(np.argmax(loo_errors))
    error = FitError(len(y), float(np.median(in_sample)), float(in_sample[worst]), labels[worst],
                     float(np.median(loo_errors)), float(loo_errors[loo_worst]), labels[loo_worst])
    return AreaModel(target, metric, terms, tuple(float(c) for c in coefficients), error, tuple(labels),
                     tuple(float(v) for v in y), tuple(float(v) for v in loo))


def finn_r_luts(weight_bits: int, act_bits: int, terms: int) -> float:
    """FINN-R's LUT estimate of one multiply-accumulate (FINN ``MVAU.lut_estimation``, PE = SIMD = 1).

    mult = (2 ceil((W+A)/6) - 1) (W+A); adder tree (W+A) (2 SIMD - 1); accumulator W + A + ceil(log2
    MW) with MW = the dot-product length; all times c1 = 1.1. FINN's c0 = 300 LUTs of per-layer
    overhead is left out: it is not part of one MAC, and adding it would only make FINN-R look worse.
    """
    width = weight_bits + act_bits
    mult = (2 * math.ceil(width / 6) - 1) * width
    adder_tree = width
    acc = width + math.ceil(math.log2(terms))
    return 1.1 * (mult + adder_tree + acc)


def finn_r_comparison(points: Sequence[Mapping], model: AreaModel) -> dict:
    """Median / worst % error of FINN-R and of our leave-one-out predictions on integer points.

    ``points``: dicts with label, bits_a, bits_b, terms, luts (measured) for integer x integer MACs;
    the labels must be among the model's fitted points (their LOO prediction is used).
    """
    loo = dict(zip(model.labels, model.loo_predicted, strict=True))
    rows = []
    for point in points:
        finn = finn_r_luts(point["bits_a"], point["bits_b"], point["terms"])
        ours = loo[point["label"]]
        rows.append({"label": point["label"], "measured": point["luts"], "finn_r": finn, "hwgen_loo": ours,
                     "finn_r_pct": float(_pct_errors(np.array([finn]), np.array([point["luts"]]))[0]),
                     "hwgen_pct": float(_pct_errors(np.array([ours]), np.array([point["luts"]]))[0])})
    if not rows:
        raise ValueError(f"no integer MAC points on {model.target} to compare with FINN-R")
    finn_pct = np.array([r["finn_r_pct"] for r in rows])
    ours_pct = np.array([r["hwgen_pct"] for r in rows])
    return {"rows": rows, "finn_r_median_pct": float(np.median(finn_pct)),
            "finn_r_worst_pct": float(finn_pct.max()), "hwgen_median_pct": float(np.median(ours_pct)),
            "hwgen_worst_pct": float(ours_pct.max())}


def predict_design(models: Mapping[tuple[str, str], AreaModel], target: str, **options) -> dict:
    """Every metric of ``target`` predicted for a MAC with ``options`` (as ``mac_features`` takes)."""
    features = mac_features(**options)
    if features.float_acc:
        raise ValueError("the area model covers fixed accumulators only; float accumulators are measured")
    return {metric: models[(target, metric)].predict(features)
            for metric in TARGET_METRICS[target] if (target, metric) in models}
