"""What the report joins onto its point table: accuracy metrics per design and gate-level energy.

Accuracy comes from :mod:`hwgen.cost_models.quality` (SQNR and dot-product errors for every design;
MiniLM only for measured designs the workload can run, cached). Energy is read from the store: the
gate-level energy per MAC that a sweep measured on the ``gates`` target (``gates = { energy = true }``),
each relative to the INT8 x INT8 fixed MAC (:mod:`hwgen.cost_models.energy`); the FPGA targets get
the activity-weighted estimate of their mapped resources, labelled as an estimate. Nothing here
measures, generates or starts a process.
"""

import math
from collections.abc import Callable, Collection, Mapping
from pathlib import Path

import pandas as pd

from hwgen.cost_models import quality
from hwgen.cost_models.energy import ENERGY_COLUMNS, MEASUREMENT, is_baseline, missing_energy
from hwgen.cost_models.features import design_label
from hwgen.formats import DEFAULT_TERMS
from hwgen.specs.mac import DEFAULT_PIPELINE


def _clean(value):
    return None if isinstance(value, float) and math.isnan(value) else value


def design_metrics_provider(cache_dir: Path, *, minilm: bool, minilm_sentences: int | None,
                            measured: Collection[str], wanted: Collection[str] | None = None,
                            progress: Callable[[str], None] | None = None):
    """A function from design options to its accuracy metrics (see the module docstring); ``wanted``
    limits them to those names."""
    minilm_cache = Path(cache_dir) / "minilm_cosine.json"

    def metric_of(options: Mapping) -> dict:
        a, b, acc, mul = options["format_a"], options["format_b"], options["acc"], options["mul"]
        terms = _clean(options.get("terms"))
        names = list(quality.applicable_metrics(a, b, acc, mul))
        pipeline = int(options.get("pipeline") or DEFAULT_PIPELINE)
        label = design_label(a, b, acc, terms, pipeline, mul)
        plain = pipeline == DEFAULT_PIPELINE and terms in (None, DEFAULT_TERMS)
        if not (minilm and label in measured and plain):
            names = [name for name in names if name not in quality.MINILM_METRICS]
        if wanted is not None:
            names = [name for name in names if name in wanted]
        if not names:
            return {}
        return quality.design_metrics(a, b, acc, mul, names, terms=terms if acc == "fixed" else None,
                                      minilm_limit=minilm_sentences, minilm_cache=minilm_cache,
                                      progress=progress)

    return metric_of


class MissingEnergyError(ValueError):
    """The store holds no gate-level energy of the INT8 x INT8 MAC (the message names the command)."""


def join_energy(table: pd.DataFrame, *, store="STORE") -> pd.DataFrame:
    """Add the stored gate-level energy relative to INT8 x INT8 (``energy_rel``, ``energy_rel_laplace``)
    and ``toggle_rate`` on the ``gates`` rows, and the activity-weighted FPGA estimate
    (``energy_fpga_rel``) on the FPGA rows. Each ratio divides by the baseline measured with the same
    stimulus length and method; a row without such a baseline gets NaN. ``MissingEnergyError``, whose
    line names the sweep that measures it (for ``store``), when the baseline has no energy at all."""
    frame = table.copy()
    for column in (*ENERGY_COLUMNS.values(), "toggle_rate", *MEASUREMENT):  # a table without them
        if column not in frame.columns:
            frame[column] = None
    gates = (frame["target"] == "gates") & frame[ENERGY_COLUMNS["gaussian"]].notna()
    baselines = frame[gates & is_baseline(frame)]
    if baselines.empty:
        raise MissingEnergyError(missing_energy(store))
    by_measurement = {_measurement(row): row for _, row in baselines.iterrows()}
    for distribution, stored in ENERGY_COLUMNS.items():
        column = "energy_rel" if distribution == "gaussian" else f"energy_rel_{distribution}"
        frame[column] = [_ratio(row[stored], by_measurement.get(_measurement(row)), stored) if usable
                         else float("nan") for usable, (_, row) in zip(gates, frame.iterrows(), strict=True)]
    frame["toggle_rate"] = frame["toggle_rate"].where(gates)
    frame["energy_fpga_rel"] = _fpga_estimates(frame, gates)
    return frame


def _measurement(row) -> tuple:
    return tuple(row[name] for name in MEASUREMENT)


def _ratio(value, baseline, column: str) -> float:
    return float("nan") if baseline is None else float(value) / float(baseline[column])


def _fpga_estimates(frame: pd.DataFrame, gates: pd.Series) -> list[float]:
    """Each measured FPGA row's estimate (its mapped resources x its design's gate-level toggle rate)
    over the INT8 MAC's on the same target."""
    from hwgen.cost_models.energy import fpga_energy_estimate

    rates = dict(zip(frame.loc[gates, "config"], frame.loc[gates, "toggle_rate"], strict=True))

    def estimate(row) -> float:
        resources = {"luts": row["lut_cells"], "ffs": row["ffs"], "carries": row["carries"],
                     "dsps": row["dsps"]}
        if row["predicted"] or row.get("config") not in rates or any(map(pd.isna, resources.values())):
            return float("nan")
        counts = {name: int(value) for name, value in resources.items()}
        return fpga_energy_estimate(counts, float(rates[row["config"]])).energy_per_cycle

    estimates = [estimate(row) for _, row in frame.iterrows()]
    base = {target: value for target, value, baseline in zip(frame["target"], estimates, is_baseline(frame),
                                                             strict=True) if baseline and not pd.isna(value)}
    return [value / base[target] if target in base and target != "gates" else float("nan")
            for target, value in zip(frame["target"], estimates, strict=True)]


def multiplier_energies(rows: pd.DataFrame, distribution: str = "gaussian") -> dict[str, float]:
    """Stored gate-level energy per multiply of the exact multipliers of two equal formats, by format
    (the Horowitz anchor's inputs): the newest row of each, measured like the INT8 multiplier's."""
    column = ENERGY_COLUMNS[distribution]
    if column not in rows.columns:
        return {}
    found = rows[(rows["unit"] == "mul") & (rows["target"] == "gates") & (rows["status"] == "ok")
                 & (rows["format_a"] == rows["format_b"]) & rows[column].notna()].sort_values("created_at")
    newest = found.groupby("format_a").tail(1).set_index("format_a")
    if "int8" not in newest.index:
        return {}
    same = (newest[list(MEASUREMENT)] == newest.loc["int8", list(MEASUREMENT)]).all(axis=1)
    return {fmt: float(value) for fmt, value in newest.loc[same, column].items()}


def asic_energy(table: pd.DataFrame) -> pd.DataFrame:
    """The asic rows' stored energy per MAC (pJ), each over the INT8 MAC's at the same library and clock."""
    if "energy_pj_per_mac" not in table.columns:
        return pd.DataFrame()
    rows = table[(table["target"] == "asic") & table["energy_pj_per_mac"].notna()]
    if rows.empty:
        return pd.DataFrame()
    base = {(row["library"], row["clock_ns"]): row["energy_pj_per_mac"]
            for _, row in rows[is_baseline(rows)].iterrows()}
    shown = pd.DataFrame({"design": rows["label"], "library": rows["library"], "clock ns": rows["clock_ns"],
                          "area um2": rows["area_um2"], "energy pJ/MAC": rows["energy_pj_per_mac"]})
    conditions = zip(rows["library"], rows["clock_ns"], strict=True)
    shown["energy / int8"] = [energy / base[key] if key in base else float("nan")
                              for key, energy in zip(conditions, rows["energy_pj_per_mac"], strict=True)]
    return shown.sort_values(["library", "clock ns", "energy pJ/MAC"]).reset_index(drop=True)


def energy_section(page, table: pd.DataFrame, multipliers: Mapping[str, float], *, store) -> None:
    """The report's energy tables, all from stored rows: per design (gate level), the Horowitz anchor,
    the FPGA estimate, and the standard-cell energy of the asic rows. Without gate-level energy in
    the store, one line names the sweep that measures it."""
    from hwgen.cost_models.energy import horowitz_anchor
    from hwgen.cost_models.html import verdict

    asic = asic_energy(table)
    gate_level = "energy_rel" in table.columns
    if not gate_level and asic.empty:
        page.paragraph(f"No energy section: {missing_energy(store)}.", "note")
        return
    page.heading("Energy")
    if not gate_level:
        page.paragraph(f"No gate-level energy: {missing_energy(store)}.", "note")
    else:
        gates = table[(table["target"] == "gates") & table["energy_rel"].notna()]
        methods = "; ".join(sorted({f"{method}, {int(macs)} MACs per stream" for method, macs in
                                    zip(gates["energy_method"], gates["energy_macs"], strict=True)}))
        page.paragraph(f"Measured by the sweep (gates target, energy = true): {methods}. Each design's "
                       "synthesized gate netlist is simulated with Icarus at unit gate delay (glitches "
                       "count) on Gaussian and Laplace operand streams quantized to its formats (fixed "
                       "seed), one MAC per cycle; its outputs are checked bit-exactly against the golden "
                       "model. Energy is relative to the INT8 x INT8 fixed MAC = 1, measured the same way.")
        columns = ["label", "energy_rel", "energy_rel_laplace", "toggle_rate", "energy_per_mac_gaussian",
                   "gates", "ffs"]
        page.table(gates[columns].sort_values("energy_rel"), "energy_gates",
                   "Energy per MAC relative to INT8 x INT8 (gate level; energy_per_mac_gaussian in unit-load "
                   "toggles)")
        _anchor(page, horowitz_anchor(multipliers) if "int8" in multipliers else (), store, verdict)
        fpga = table[table["energy_fpga_rel"].notna()]
        if len(fpga):
            wide = fpga.pivot_table(index="label", columns="target", values="energy_fpga_rel").reset_index()
            page.table(wide, "energy_fpga_estimate",
                       "FPGA energy per MAC relative to INT8 x INT8: an ESTIMATE (mapped LUT / FF / "
                       "carry / DSP counts weighted by the gate-level toggle rate; weights in "
                       "cost_models/energy.py), not a measurement")
    if len(asic):
        page.table(asic, "energy_asic",
                   "Standard-cell energy per MAC (asic rows: the mapped netlist simulated with the library's "
                   "cell models and SDF delays, priced with its Liberty power tables), and over the INT8 x "
                   "INT8 MAC at the same library and clock")


def _anchor(page, rows, store, verdict) -> None:
    wanted = ("fp16", "fp32")  # the anchor
    if not {row.format for row in rows} >= set(wanted):
        page.paragraph("No Horowitz anchor: it needs the exact int8, fp16 and fp32 multipliers measured on "
                       f"gates with energy: `hwgen sweep fpga/sweeps/model.toml --store {store}`.", "note")
        return
    table = [{"multiplier": row.format, "hwgen / hwgen INT8": row.ours, "Horowitz / Horowitz INT8": row.paper,
              "hwgen / Horowitz": row.factor, "within 2x": row.within} for row in rows]
    page.table(pd.DataFrame(table), "energy_anchor",
               "Sanity anchor: multiplier energy ratios vs Horowitz (ISSCC 2014, 45 nm: INT8 0.2 pJ, "
               "FP16 1.1 pJ, FP32 3.7 pJ, INT32 3.1 pJ)")
    asked = [row for row in rows if row.format in wanted]
    inside = sum(row.within for row in asked)
    context = [row for row in rows if row not in asked]
    page.raw(verdict("agree" if inside == len(asked) else "partly" if inside else "disagree",
                     f"{inside} of {len(asked)} of hwgen's float multiplier energy ratios (FP16, FP32 over "
                     "INT8) land within 2x of Horowitz's: "
                     + "; ".join(f"{r.format} {r.ours:.1f}x vs {r.paper:.1f}x" for r in asked)
                     + (". Context, not judged: " + "; ".join(f"{r.format} {r.ours:.1f}x vs {r.paper:.1f}x"
                                                              for r in context) if context else "")
                     + ". hwgen's float multipliers are exact products (no normalization, rounding or "
                     "special values); Horowitz's round."))


# One format per family of docs/formats.md that a MAC or block dot product takes, for the per-format table.
FORMAT_TABLE = ("int8", "int4", "uint8", "dint4", "fp8_e4m3fn", "fp8_e5m2", "fp8_e4m3fnuz", "fp6_e3m2",
                "fp6_e2m3", "fp4_e2m1", "mxfp8_e4m3", "mxfp8_e5m2", "mxfp6_e3m2", "mxfp6_e2m3", "mxfp4",
                "mxint8", "nvfp4")


def format_accuracy(cache_dir: Path, *, minilm: bool, minilm_sentences: int | None,
                    progress: Callable[[str], None] | None = None) -> pd.DataFrame:
    """Accuracy of each format of :data:`FORMAT_TABLE` used for both operands (block formats with
    their MX / NVFP4 block scaling), fixed accumulator: one row per format."""
    rows = []
    for name in FORMAT_TABLE:
        names = list(quality.applicable_metrics(name, name, "fixed", "exact"))
        if not minilm:
            names = [n for n in names if n not in quality.MINILM_METRICS]
        values = quality.format_metrics(name, "fixed", "exact", names, minilm_limit=minilm_sentences,
                                        minilm_cache=Path(cache_dir) / "minilm_cosine.json",
                                        progress=progress)
        rows.append({"format": name, **values})
    return pd.DataFrame(rows)
