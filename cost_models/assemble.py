"""The report's point table: measured MACs per target, model predictions for the ones never
synthesized (marked ``predicted``), and each design's accuracy and energy joined on.

Measured rows come from the store (fabric-only flows, as :file:`fpga/sweeps/model.toml` runs them);
predicted rows cover every exponent / mantissa split of 4 to 8 bits and every integer width of 2 to 8
bits that the store lacks, so the fronts show the whole design space and say which parts are model.
"""

from collections.abc import Callable, Mapping

import pandas as pd

from hwgen.cost_models.area import TARGET_METRICS, AreaModel, predict_design
from hwgen.cost_models.dataset import FEATURE_PREFIX
from hwgen.cost_models.features import spec_features
from hwgen.formats import get_format
from hwgen.specs import MacSpec

# Names the OCP / registry already gives a split; the others are `finite` (no inf / NaN codes).
_STANDARD_SPLITS = {(8, 4, 3): "fp8_e4m3fn", (8, 5, 2): "fp8_e5m2", (6, 3, 2): "fp6_e3m2",
                    (6, 2, 3): "fp6_e2m3", (4, 2, 1): "fp4_e2m1"}
GRID_BITS = range(4, 9)
MAX_GRID_EXPONENT = 5


def minifloat_name(bits: int, exp_bits: int) -> str:
    """The grid's name for a ``bits``-wide minifloat with ``exp_bits`` exponent bits."""
    man_bits = bits - 1 - exp_bits
    return _STANDARD_SPLITS.get((bits, exp_bits, man_bits), f"fp{bits}_e{exp_bits}m{man_bits}_finite")


def grid_formats() -> list[str]:
    """Every format of the prediction grid: int2..int8 and the 4- to 8-bit minifloat splits."""
    names = [f"int{bits}" for bits in range(2, 9)]
    for bits in GRID_BITS:
        for exp_bits in range(1, min(bits - 1, MAX_GRID_EXPONENT) + 1):
            name = minifloat_name(bits, exp_bits)
            get_format(name)  # every grid name must be a valid format
            names.append(name)
    return names


def split_of(name: str) -> tuple[int, int, int] | None:
    """(bits, exponent bits, mantissa bits) of a minifloat name, None for other formats."""
    fmt = get_format(name)
    if fmt.kind != "minifloat":
        return None
    return fmt.bits, fmt.exp_bits, fmt.man_bits


def predicted_points(models: Mapping[tuple[str, str], AreaModel], measured: pd.DataFrame) -> pd.DataFrame:
    """Model predictions for the grid designs a target has no fabric-only measurement of."""
    rows = []
    for target in TARGET_METRICS:
        if not any((target, metric) in models for metric in TARGET_METRICS[target]):
            continue
        have = set(measured.loc[(measured["target"] == target) & (measured["dsp_allowed"] == 0), "label"])
        for name in grid_formats():
            spec = MacSpec(name, name)
            options = {"format_a": spec.a, "format_b": spec.b, "acc": spec.acc, "terms": spec.terms,
                       "pipeline": spec.pipeline, "mul": spec.mul}
            label = spec.label
            if label in have:
                continue
            values = predict_design(models, target, a=spec.a, b=spec.b, acc=spec.acc, terms=spec.terms,
                                    pipeline=spec.pipeline, mul=spec.mul)
            features = spec_features(spec).as_dict()
            row = {"label": label, **options, "target": target, "dsp_allowed": 0, "predicted": True}
            row.update({metric: max(value, 0.0) for metric, value in values.items()})
            row.update({FEATURE_PREFIX + key: value for key, value in features.items()})
            rows.append(row)
    return pd.DataFrame(rows)


def fabric_points(points: pd.DataFrame, models: Mapping[tuple[str, str], AreaModel]) -> pd.DataFrame:
    """Measured fabric-only points plus predicted grid points, one table for every target."""
    measured = points[points["dsp_allowed"] == 0].copy()
    measured["predicted"] = False
    predicted = predicted_points(models, points)
    table = pd.concat([measured, predicted], ignore_index=True) if len(predicted) else measured
    return _with_placed(table.reset_index(drop=True), points)


def placed_points(points: pd.DataFrame) -> pd.DataFrame:
    """The measured points with an Fmax (DSPs allowed or not), each with its own LUTs: placed and routed
    on ice40 / ecp5 (nextpnr's Fmax), and the xc7 points with their Fmax estimate: the rows a front at a
    clock and the area-against-Fmax plots read."""
    estimated = points["fmax_estimate_mhz"].notna() if "fmax_estimate_mhz" in points.columns else False
    placed = points[points["fmax_mhz"].notna() | estimated].copy()
    placed["predicted"] = False
    placed["placed_dsps"] = placed["dsps"]
    return placed.reset_index(drop=True)


def _with_placed(table: pd.DataFrame, points: pd.DataFrame) -> pd.DataFrame:
    """Join each design's placed-and-routed run (DSPs allowed, as the default sweep places it):
    ``placed_fmax_mhz``, ``placed_luts``, ``placed_dsps`` and ``lut_per_mmacs`` = LUTs / Fmax in MHz
    (LUTs per million MACs per second at one MAC per cycle)."""
    placed = points[(points["dsp_allowed"] == 1) & points["fmax_mhz"].notna()]
    placed = placed[["label", "target", "fmax_mhz", "luts", "dsps"]].rename(
        columns={"fmax_mhz": "placed_fmax_mhz", "luts": "placed_luts", "dsps": "placed_dsps"})
    merged = table.merge(placed, on=["label", "target"], how="left")
    merged["lut_per_mmacs"] = merged["placed_luts"].astype(float) / merged["placed_fmax_mhz"].astype(float)
    return merged


def join_metrics(table: pd.DataFrame, metric_of: Callable[[Mapping], Mapping]) -> pd.DataFrame:
    """Add the columns ``metric_of(design options)`` returns, computed once per distinct design."""
    keys = ["format_a", "format_b", "acc", "terms", "pipeline", "mul"]
    cache: dict[tuple, Mapping] = {}
    rows = []
    for _, row in table.iterrows():
        key = tuple(None if pd.isna(row[k]) else int(row[k]) if k in ("terms", "pipeline") else row[k]
                    for k in keys)
        if key not in cache:
            cache[key] = dict(metric_of(dict(zip(keys, key, strict=True))))
        rows.append(cache[key])
    metrics = pd.DataFrame(rows, index=table.index)
    return pd.concat([table, metrics], axis=1)
