"""The axes of a Pareto front: cost metrics (per target) and accuracy metrics, and the point tables
that `hwgen pareto` and the report draw from."""

# The names (TARGETS, COSTS) build `hwgen pareto`'s parser, so this module loads without pandas (an
# extra: `hwgen[report]`); the point tables import it when they are drawn.
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from hwgen.cost_models import quality

if TYPE_CHECKING:
    import pandas as pd

TARGETS = ("xc7", "ice40", "ecp5", "gates", "asic")
PLACED_TARGETS = ("ice40", "ecp5")  # nextpnr's achieved Fmax per point (the asic target: OpenSTA's)
ESTIMATED_TARGETS = ("xc7",)  # no place and route: the stated estimate of hwgen.fpga.xc7_timing
TIMED_TARGETS = (*PLACED_TARGETS, *ESTIMATED_TARGETS)  # an Fmax per point, against which area is drawn
PLACED_LUTS_LABEL = "LUTs per MAC (placed; DSP blocks allowed, not counted)"
ESTIMATED_LUTS_LABEL = "LUTs per MAC (synthesized; DSP blocks allowed, not counted)"


def fmax_column(target: str) -> str:
    """Where a timed target's points keep their Fmax: nextpnr's (``fmax_mhz``) or the xc7 estimate."""
    return "fmax_estimate_mhz" if target in ESTIMATED_TARGETS else "fmax_mhz"


def fmax_kind(target: str) -> str:
    """What a timed target's Fmax is: ``placed`` (nextpnr) or ``estimated`` (xc7)."""
    return "estimated" if target in ESTIMATED_TARGETS else "placed"


def fmax_label(target: str) -> str:
    """The x axis of area against Fmax on *target*: what the number is."""
    return f"{fmax_kind(target)} Fmax, MHz" + (" (no place and route)" if target in ESTIMATED_TARGETS else "")


def luts_label(target: str) -> str:
    return ESTIMATED_LUTS_LABEL if target in ESTIMATED_TARGETS else PLACED_LUTS_LABEL


@dataclass(frozen=True)
class CostAxis:
    label: str  # axis label with units
    short: str
    targets: tuple[str, ...]
    log_scale: bool = False
    column: str | None = None  # the table column (default: the cost's name)


COSTS = {
    "luts": CostAxis("LUTs per MAC (fabric only, no DSP)", "LUTs", ("xc7", "ice40", "ecp5")),
    "ffs": CostAxis("flip-flops per MAC", "FFs", TARGETS),
    "area_um2": CostAxis("standard-cell area per MAC, um2 (at the rows' clock)", "area um2", ("asic",)),
    "energy_pj": CostAxis("energy per MAC, pJ (standard cells, switching activity)", "energy pJ", ("asic",),
                          column="energy_pj_per_mac"),
    "gates": CostAxis("2-input gates per MAC", "gates", ("gates",)),
    "transistors": CostAxis("transistors per MAC (Yosys CMOS estimate)", "transistors", ("gates",)),
    "energy": CostAxis("energy per MAC, relative to INT8 x INT8 = 1 (gate-level activity)", "energy",
                       ("gates",), column="energy_rel"),
    "energy_estimate": CostAxis("energy per MAC, relative to INT8 x INT8 = 1 (ESTIMATE: mapped resources x "
                                "gate-level activity)", "energy (estimate)", ("xc7", "ice40", "ecp5"),
                                column="energy_fpga_rel"),
    "lut_per_mmacs": CostAxis("LUTs per MMAC/s (LUTs / placed Fmax in MHz; DSP blocks allowed, not counted)",
                              "LUT / (MMAC/s)",
                              ("ice40", "ecp5"), log_scale=True),
}


def check_target(target: str) -> str:
    if target not in TARGETS:
        raise ValueError(f"target must be one of {', '.join(TARGETS)}, not {target!r}")
    return target


def cost_axis(cost: str, target: str | None = None) -> CostAxis:
    if cost not in COSTS:
        raise ValueError(f"cost must be one of {', '.join(COSTS)}, not {cost!r}")
    axis = COSTS[cost]
    if target is not None and target not in axis.targets:
        raise ValueError(f"cost {cost} is not measured on {target}; on {target} use one of "
                         f"{', '.join(name for name, a in COSTS.items() if target in a.targets)}")
    return axis


def accuracy_metric(name: str) -> quality.Metric:
    return quality.metric(name)


def log_accuracy(data: pd.DataFrame, accuracy: str) -> bool:
    """Errors (lower is better) span decades: a log axis, unless a value is 0 (an exact design)."""
    return not accuracy_metric(accuracy).higher_is_better and bool((data[accuracy] > 0).all())


def pareto_table(table: pd.DataFrame, target: str, cost: str, accuracy: str, *,
                 plain: bool = False, clock_ns: float | None = None) -> pd.DataFrame:
    """The points of ``target`` that have both values, with ``on_front`` (the column names as given).

    ``plain``: only designs at the default pipeline depth and dot-product length (one point per format
    and accumulator, as the report's plots show them). ``clock_ns``: the front of the points that meet
    that clock (:func:`at_clock`: asic rows synthesized for it with slack >= 0, ice40 / ecp5 rows whose
    placed Fmax reaches it; there *table* holds the placed points and names DSP blocks on the points).
    """
    import pandas as pd

    from hwgen.cost_models.dataset import default_shape
    from hwgen.cost_models.pareto import pareto_front

    check_target(target)
    axis = cost_axis(cost, target)
    metric = accuracy_metric(accuracy)
    column = axis.column or cost
    rows = table[table["target"] == target]
    if clock_ns is not None:
        rows = at_clock(rows, target, clock_ns)
    if plain:
        rows = rows[default_shape(rows)]
    if column not in rows.columns or accuracy not in rows.columns:
        return pd.DataFrame(columns=["label", cost, accuracy, "predicted", "on_front"])
    data = rows.loc[rows[column].notna() & rows[accuracy].notna()].copy()
    data[cost] = data[column].astype(float)
    data[accuracy] = data[accuracy].astype(float)
    data = data[np.isfinite(data[cost]) & np.isfinite(data[accuracy])]
    data = data.rename(columns={"design": "module"}).rename(columns={"label": "design"})
    if target == "asic":
        data = _name_asic_conditions(data)
    if cost == "lut_per_mmacs" or (clock_ns is not None and target in TIMED_TARGETS):
        data["design"] = with_dsp_names(data["design"], data["placed_dsps"])
    return pareto_front(data, cost, accuracy, accuracy_higher_is_better=metric.higher_is_better)


def with_dsp_names(names, dsps) -> list[str]:
    """Each design name with its DSP blocks, which a LUT count leaves out: ``int8 (+1 DSP)``."""
    counts = [0 if n is None or n != n else int(n) for n in dsps]  # n != n: NaN
    return [name if n == 0 else f"{name} (+{n} DSP)" for name, n in zip(names, counts, strict=True)]


def at_clock(rows: pd.DataFrame, target: str, clock_ns: float) -> pd.DataFrame:
    """The *target* rows that meet a clock of *clock_ns*: on ``asic`` the rows synthesized for that clock
    with slack >= 0; on ``ice40`` / ``ecp5`` the placed rows whose nextpnr Fmax (mean over seeds) is at
    least 1000 / *clock_ns* MHz; on ``xc7`` the rows whose Fmax *estimate* is. gates has no timing: a
    ``ValueError`` says so."""
    if isinstance(clock_ns, bool) or not isinstance(clock_ns, int | float) or not clock_ns > 0:
        raise ValueError(f"clock must be a period in ns > 0, not {clock_ns!r}")
    if target in TIMED_TARGETS:
        column = fmax_column(target)
        timed = rows[rows[column].notna()] if column in rows.columns else rows.iloc[:0]
        if timed.empty and target in ESTIMATED_TARGETS:
            raise ValueError(f"no {target} point in the store has an Fmax estimate (points synthesized "
                             f"before hwgen estimated one); `hwgen sweep` measures them again")
        if timed.empty:
            raise ValueError(f"no {target} point in the store was placed and routed, so none has an Fmax; "
                             f"a sweep with `{target} = {{ pnr = true }}` measures it (e.g. "
                             "`hwgen sweep fmax`)")
        return timed[timed[column].astype(float) >= 1000.0 / float(clock_ns)]
    if target != "asic":
        raise ValueError(f"a clock is chosen on asic, {', '.join(PLACED_TARGETS)} (measured timing) or "
                         f"{', '.join(ESTIMATED_TARGETS)} (estimated), not on {target}: its points have no "
                         f"timing")
    at = rows[np.isclose(rows["clock_ns"].astype(float), float(clock_ns))]
    if at.empty:
        known = sorted(rows["clock_ns"].dropna().astype(float).unique())
        clocks = ", ".join(f"{c:g}" for c in known) or "none"
        raise ValueError(f"no asic point synthesized for a {clock_ns:g} ns clock; clocks in the store (ns): "
                         f"{clocks}; `hwgen sweep` with `asic = {{ clock_ns = {clock_ns:g} }}` measures it")
    return at[at["slack_ns"].astype(float) >= 0]


def area_against_fmax(placed: pd.DataFrame, target: str) -> dict[str, tuple[list, list, list]]:
    """{design without its depth: (Fmax MHz, LUT + FF, depth) per pipeline depth, by depth} on a timed
    *target* (placed: nextpnr's Fmax; xc7: the estimate), from the timed points
    (:func:`hwgen.cost_models.assemble.placed_points`), for the designs timed at two depths or more (a
    line per design in the report's plot).
    DSP-allowed and fabric-only rows are separate series (``+DSP`` in the name)."""
    if target not in TIMED_TARGETS:
        raise ValueError(f"area against Fmax needs a target with an Fmax ({', '.join(TIMED_TARGETS)}), "
                         f"not {target}")
    column = fmax_column(target)
    rows = placed[placed["target"] == target]
    rows = rows[rows[column].notna() & rows["luts"].notna()]
    series = {}
    for (label, dsp), group in rows.groupby([_without_depth(rows), rows["dsp_allowed"]], sort=True):
        group = group.sort_values("pipeline").drop_duplicates("pipeline")
        if len(group) < 2:
            continue
        name = label + (" +DSP" if dsp else "")
        series[name] = ([float(v) for v in group[column]],
                        [float(v) for v in group["luts"] + group["ffs"].fillna(0)],
                        [int(v) for v in group["pipeline"]])
    return series


def _without_depth(rows: pd.DataFrame) -> pd.Series:
    """Each row's design label with the pipeline depth left out (its depths are one line)."""
    from dataclasses import replace

    import pandas as pd

    from hwgen.specs import MacSpec
    from hwgen.specs.mac import DEFAULT_PIPELINE

    return pd.Series([replace(MacSpec.from_json(config), pipeline=DEFAULT_PIPELINE).label
                      for config in rows["config"]], index=rows.index)


def _name_asic_conditions(data: pd.DataFrame) -> pd.DataFrame:
    """Points of several libraries or clocks are different points: their names say which."""
    pairs = zip(data["library"], data["clock_ns"], strict=True)
    conditions = [f"{library} {float(clock):g} ns" for library, clock in pairs]
    if len(set(conditions)) > 1:
        data["design"] = [f"{design} @ {condition}" for design, condition in zip(data["design"], conditions,
                                                                               strict=True)]
    return data


# The fronts the report draws: (target, cost, accuracy).
REPORT_FRONTS = (
    ("xc7", "luts", "sqnr_gaussian_db"),
    ("ice40", "luts", "sqnr_gaussian_db"),
    ("ecp5", "luts", "sqnr_gaussian_db"),
    ("gates", "gates", "sqnr_gaussian_db"),
    ("gates", "transistors", "sqnr_laplace_db"),
    ("gates", "energy", "sqnr_gaussian_db"),
    ("ice40", "energy_estimate", "sqnr_gaussian_db"),
    ("xc7", "luts", "minilm_cosine"),
    ("gates", "energy", "minilm_cosine"),
    ("xc7", "luts", "dot1024_rel_error"),
    ("ice40", "lut_per_mmacs", "sqnr_gaussian_db"),
    ("ecp5", "lut_per_mmacs", "sqnr_gaussian_db"),
    ("asic", "area_um2", "sqnr_gaussian_db"),
    ("asic", "energy_pj", "sqnr_gaussian_db"),
)


def front_plan(table: pd.DataFrame) -> list[tuple[str, str, str]]:
    """The report's fronts whose columns the table has."""
    plan = []
    for target, cost, accuracy in REPORT_FRONTS:
        column = COSTS[cost].column or cost
        if column in table.columns and accuracy in table.columns and target in set(table["target"]):
            plan.append((target, cost, accuracy))
    return plan


def front_tables(table: pd.DataFrame) -> pd.DataFrame:
    """Every point of every planned front, with its front flag (the report's CSV of fronts)."""
    import pandas as pd

    frames = []
    for target, cost, accuracy in front_plan(table):
        data = pareto_table(table, target, cost, accuracy, plain=True)
        if len(data):
            frames.append(pd.DataFrame({"target": target, "cost": cost, "accuracy": accuracy,
                                        "design": data["design"], "predicted": data["predicted"].astype(bool),
                                        "cost value": data[cost], "accuracy value": data[accuracy],
                                        "on front": data["on_front"]}))
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def accuracy_table(table: pd.DataFrame) -> pd.DataFrame:
    """One row per distinct design with every accuracy metric the table has."""
    names = [name for name in quality.METRICS if name in table.columns]
    keys = ["label", "format_a", "format_b", "acc", "mul"]
    return table.drop_duplicates("label")[keys + names].sort_values("label").reset_index(drop=True)
