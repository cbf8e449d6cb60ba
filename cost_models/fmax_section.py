"""The report's "Area against Fmax" section: per timed target (ice40, ecp5: nextpnr's Fmax after place
and route; xc7: the stated Fmax estimate, labelled as one), LUT + FF against Fmax with a line per design
through its pipeline depths, and the Pareto front of the designs that meet a chosen clock. It reads the
timed points of the store (:func:`~hwgen.cost_models.assemble.placed_points` with accuracy joined); it
measures nothing."""

import math
from pathlib import Path

import pandas as pd

from hwgen.cost_models import axes
from hwgen.cost_models.html import Page

FRONT_ACCURACY = "sqnr_gaussian_db"


def default_clock_mhz(placed: pd.DataFrame, target: str) -> float:
    """The clock a front is drawn at when none is chosen: the median Fmax on *target*, rounded down to a
    multiple of 5 MHz (half of the timed designs meet it)."""
    fmax = placed.loc[placed["target"] == target, axes.fmax_column(target)].dropna().astype(float)
    return max(5.0, 5.0 * math.floor(float(fmax.median()) / 5.0))


def check_clock_mhz(value: float | None) -> float | None:
    if value is not None and not (isinstance(value, int | float) and math.isfinite(value) and value > 0):
        raise ValueError(f"--clock-mhz must be a frequency in MHz > 0, not {value!r}")
    return value


def fmax_section(page: Page, placed: pd.DataFrame, plots: Path, clock_mhz: float | None = None) -> None:
    """Write the section into *page* (nothing when the store has no placed point)."""
    from hwgen.cost_models.plots import plot_lines, plot_pareto

    targets = [t for t in axes.TIMED_TARGETS
               if len(placed) and placed.loc[placed["target"] == t, axes.fmax_column(t)].notna().any()]
    page.heading("Area against Fmax")
    if not targets:
        page.paragraph("No placed-and-routed point in the store; `hwgen sweep fmax` places "
                       "six formats at every pipeline depth on iCE40 and ECP5.", "note")
        return
    page.paragraph("LUT + FF of each design (DSP blocks not counted; +DSP: DSPs allowed) against its nextpnr "
                   "Fmax (mean over seeds, unit inside the I/O harness), one line per design through its "
                   "pipeline depths. Then the front of the designs that meet a clock: any depth, the "
                   "smallest that is fast enough wins. xc7 has no place and route here: its Fmax is the "
                   "ESTIMATE the sweep stored (the unit's synthesized netlist timed with Yosys's xc7 cell "
                   "delays and a fixed delay per net; docs/synthesis.md), and its plots and rows say so.")
    rows = []
    for target in targets:
        estimated = target in axes.ESTIMATED_TARGETS
        name = f"{target} (estimate)" if estimated else target
        series = axes.area_against_fmax(placed, target)
        if series:
            paths = plot_lines({name: (x, y) for name, (x, y, _) in series.items()},
                               out=plots / f"area_fmax_{target}.svg", x_label=axes.fmax_label(target),
                               y_label="LUT + FF per MAC", title=f"{name}: area against Fmax by pipeline "
                               "depth (pN: depth N)",
                               point_labels={name: [f"p{d}" for d in depths]
                                             for name, (_, _, depths) in series.items()})
            page.figures(paths, f"{name}: LUT + FF against Fmax, one line per design through its depths")
        else:
            page.paragraph(f"{name}: no design timed at two pipeline depths; no area-against-Fmax line.",
                           "note")
        mhz = clock_mhz if clock_mhz is not None else default_clock_mhz(placed, target)
        how = ("chosen" if clock_mhz is not None
               else f"median {axes.fmax_kind(target)} Fmax; `hwgen report --clock-mhz F` chooses")
        data = axes.pareto_table(placed, target, "luts", FRONT_ACCURACY, clock_ns=1000.0 / mhz) \
            if FRONT_ACCURACY in placed.columns else pd.DataFrame()
        if len(data) == 0:
            page.paragraph(f"{name}: no design reaches {mhz:g} MHz ({how}).", "note")
            continue
        out = plots / f"pareto_{target}_luts_at_{mhz:g}mhz.svg"
        paths = plot_pareto(data, cost="luts", accuracy=FRONT_ACCURACY, out=out,
                            cost_label=axes.luts_label(target),
                            accuracy_label=axes.accuracy_metric(FRONT_ACCURACY).label,
                            title=f"{name} at {mhz:g} MHz: LUTs vs SQNR", log_cost=False,
                            log_accuracy=False)
        page.figures(paths, f"{name}: the front of the designs whose {axes.fmax_kind(target)} Fmax reaches "
                            f"{mhz:g} MHz ({how})")
        for _, row in data.iterrows():
            rows.append({"target": target, "clock MHz": round(mhz, 2), "design": row["design"],
                         "Fmax MHz": round(float(row[axes.fmax_column(target)]), 1),
                         "timing": "estimate" if estimated else "nextpnr", "LUTs": int(row["luts"]),
                         FRONT_ACCURACY: round(float(row[FRONT_ACCURACY]), 2),
                         "on front": bool(row["on_front"])})
    if rows:
        page.table(pd.DataFrame(rows), "fronts_at_clock", "The points that meet each target's clock, with "
                   "their front flag")
