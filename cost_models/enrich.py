"""What the report joins onto its point table: accuracy metrics per design and gate-level energy.

Accuracy comes from :mod:`hwgen.cost_models.quality` (SQNR and dot-product errors for every design;
MiniLM only for measured designs the workload can run, cached). Energy is read from the store: the
gate-level energy per MAC that a sweep measured on the ``gates`` target (``gates = { energy = true }``),
each relative to the INT8 x INT8 fixed MAC (:mod:`hwgen.cost_models.energy`); the FPGA targets get
the activity-weighted estimate of their mapped resources, labelled as an estimate. Nothing here
measures, generates or starts a process.
"""

import json
import math
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from hwgen.cost_models import quality
from hwgen.cost_models.energy import (
    ENERGY_COLUMNS,
    HOROWITZ_PJ,
    MEASUREMENT,
    is_baseline,
    missing_energy,
    operation_name,
)
from hwgen.cost_models.features import design_label
from hwgen.formats import DEFAULT_TERMS, get_format
from hwgen.specs.mac import DEFAULT_PIPELINE
from hwgen.workload.scales import recipe_of


def _clean(value):
    return None if isinstance(value, float) and math.isnan(value) else value


def design_metrics_provider(cache_dir: Path, *, minilm: bool, minilm_sentences: int | None,
                            measured: Collection[str], wanted: Collection[str] | None = None,
                            progress: Callable[[str], None] | None = None, scales="max"):
    """A function from design options to its accuracy metrics (see the module docstring); ``wanted``
    limits them to those names. MiniLM runs with the scale recipe ``scales``; a design the recipe does
    not apply to (``mse`` on a block format) has no MiniLM metrics."""
    minilm_cache = quality.minilm_cache_in(cache_dir)
    recipe = recipe_of(scales)

    def metric_of(options: Mapping) -> dict:
        a, b, acc, mul = options["format_a"], options["format_b"], options["acc"], options["mul"]
        terms = _clean(options.get("terms"))
        names = list(quality.applicable_metrics(a, b, acc, mul))
        pipeline = int(options.get("pipeline") or DEFAULT_PIPELINE)
        label = design_label(a, b, acc, terms, pipeline, mul)
        plain = pipeline == DEFAULT_PIPELINE and terms in (None, DEFAULT_TERMS)
        if not (minilm and label in measured and plain and _recipe_applies(recipe, a, b)):
            names = [name for name in names if name not in quality.MINILM_METRICS]
        if wanted is not None:
            names = [name for name in names if name in wanted]
        if not names:
            return {}
        return quality.design_metrics(a, b, acc, mul, names, terms=terms if acc == "fixed" else None,
                                      minilm_limit=minilm_sentences, minilm_cache=minilm_cache,
                                      progress=progress, scales=recipe)

    return metric_of


def _recipe_applies(recipe, a, b) -> bool:
    try:
        recipe.check_formats(get_format(a), get_format(b))
    except ValueError:
        return False
    return True


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
    """Stored gate-level energy per multiply of the exact multipliers of two equal formats, by anchor
    operation (``"fp16 mul"``; the gates Horowitz anchor's inputs): the newest row of each, measured
    like the INT8 multiplier's."""
    column = ENERGY_COLUMNS[distribution]
    if column not in rows.columns:
        return {}
    found = rows[(rows["unit"] == "mul") & (rows["target"] == "gates") & (rows["status"] == "ok")
                 & (rows["format_a"] == rows["format_b"]) & rows[column].notna()]
    if "config" in found.columns:  # a rounding multiplier is not the exact one the gates anchor compares
        exact = [json.loads(config).get("result") is None for config in found["config"]]
        found = found.loc[pd.Series(exact, index=found.index, dtype=bool)]
    newest = found.sort_values("created_at").groupby("format_a").tail(1).set_index("format_a")
    if "int8" not in newest.index:
        return {}
    same = (newest[list(MEASUREMENT)] == newest.loc["int8", list(MEASUREMENT)]).all(axis=1)
    return {operation_name(fmt, "mul"): float(value) for fmt, value in newest.loc[same, column].items()}


def asic_operation(unit: str, config: str) -> str | None:
    """The Horowitz operation an asic row of a ``mul`` or ``add`` unit measures, if it is one: integer
    multiplies of two equal formats, float multiplies rounded back to their operands' format, adds."""
    options = json.loads(config)
    if unit == "add":
        fmt = options.get("format")
    elif unit == "mul" and options.get("a") == options.get("b"):
        fmt = options["a"]
        if options.get("result") is None and not fmt.startswith("int"):
            return None  # an exact float product: not the rounding multiply Horowitz measured
        if options.get("result") not in (None, fmt):
            return None
        unit = "mul"
    else:
        return None
    name = operation_name(fmt, unit)
    return name if name in HOROWITZ_PJ else None


def asic_operation_energies(rows: pd.DataFrame) -> dict[tuple[str, float], dict[str, float]]:
    """Stored standard-cell energy per operation (pJ) of the asic rows of ``mul`` and ``add`` units
    that Horowitz's table has, per (library, clock ns): the newest row of each."""
    if "energy_pj_per_mac" not in rows.columns or "config" not in rows.columns:
        return {}
    found = rows[rows["unit"].isin(("mul", "add")) & (rows["target"] == "asic") & (rows["status"] == "ok")
                 & rows["energy_pj_per_mac"].notna()].sort_values("created_at")
    energies: dict[tuple[str, float], dict[str, float]] = {}
    for _, row in found.iterrows():
        operation = asic_operation(row["unit"], row["config"])
        if operation is not None:
            key = (str(row["library"]), float(row["clock_ns"]))
            energies.setdefault(key, {})[operation] = float(row["energy_pj_per_mac"])  # newest wins
    return energies


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


@dataclass(frozen=True)
class StoredOperations:
    """The Horowitz anchors' inputs read from the store: gate-level energy of the exact multipliers
    (by operation, :func:`multiplier_energies`) and standard-cell energy per operation per (library,
    clock) (:func:`asic_operation_energies`)."""

    gates: Mapping[str, float]
    asic: Mapping[tuple[str, float], Mapping[str, float]]


def stored_operations(rows: pd.DataFrame) -> StoredOperations:
    return StoredOperations(multiplier_energies(rows), asic_operation_energies(rows))


GATES_JUDGED = ("fp16 mul", "fp32 mul")  # the gate-level anchor: exact multipliers only
ASIC_JUDGED = ("fp16 mul", "fp32 mul", "int32 add", "fp32 add")  # the five operations, over INT8
ASIC_ANCHOR_SWEEP = "hwgen sweep asic --store {store}"


def energy_section(page, table: pd.DataFrame, operations: StoredOperations, *, store) -> None:
    """The report's energy tables, all from stored rows: per design (gate level), the Horowitz anchors,
    the FPGA estimate, and the standard-cell energy of the asic rows. Without gate-level energy in
    the store, one line names the sweep that measures it."""
    asic = asic_energy(table)
    gate_level = "energy_rel" in table.columns
    if not gate_level and asic.empty and not operations.asic:
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
        _gates_anchor(page, operations.gates, store)
        fpga = table[table["energy_fpga_rel"].notna()]
        if len(fpga):
            wide = fpga.pivot_table(index="label", columns="target", values="energy_fpga_rel").reset_index()
            wide.columns.name = None  # a column per target; the pivot's own name would be a stray header
            page.table(wide, "energy_fpga_estimate",
                       "FPGA energy per MAC relative to INT8 x INT8: an ESTIMATE (mapped LUT / FF / "
                       "carry / DSP counts weighted by the gate-level toggle rate; weights in "
                       "cost_models/energy.py), not a measurement")
    if len(asic):
        page.table(asic, "energy_asic",
                   "Standard-cell energy per MAC (asic rows: the mapped netlist simulated with the library's "
                   "cell models and SDF delays, priced with its Liberty power tables), and over the INT8 x "
                   "INT8 MAC at the same library and clock")
    _asic_anchors(page, operations.asic, store)


def _judgement(rows, judged) -> tuple[str, str]:
    """(outcome, the judged operations' ratios as text) of an anchor."""
    from hwgen.cost_models.energy import ANCHOR_TOLERANCE

    asked = [row for row in rows if row.judged]
    inside = sum(row.within for row in asked)
    outcome = "agree" if inside == len(judged) else "partly" if inside else "disagree"
    text = (f"{inside} of {len(judged)} ratios over the INT8 multiply ({', '.join(judged)}) land within "
            f"{ANCHOR_TOLERANCE:g}x of Horowitz's: "
            + "; ".join(f"{r.operation} {r.ours:.2f}x vs {r.paper:.2f}x" for r in asked))
    context = [row for row in rows if not row.judged]
    if context:
        text += ". Context, not judged: " + "; ".join(f"{r.operation} {r.ours:.2f}x vs {r.paper:.2f}x"
                                                     for r in context)
    return outcome, text


def _gates_anchor(page, energies: Mapping[str, float], store) -> None:
    from hwgen.cost_models.energy import horowitz_anchor
    from hwgen.cost_models.html import verdict

    rows = horowitz_anchor(energies, GATES_JUDGED) if "int8 mul" in energies else ()
    if not {row.operation for row in rows} >= set(GATES_JUDGED):
        page.paragraph("No gate-level Horowitz anchor: it needs the exact int8, fp16 and fp32 multipliers "
                       "measured on gates with energy: "
                       f"`hwgen sweep model --store {store}`.", "note")
        return
    table = [{"multiplier": row.operation, "hwgen / hwgen INT8": row.ours,
              "Horowitz / Horowitz INT8": row.paper, "hwgen / Horowitz": row.factor, "within 2x": row.within}
             for row in rows]
    page.table(pd.DataFrame(table), "energy_anchor",
               "Sanity anchor, gate level: exact multiplier energy ratios vs Horowitz (ISSCC 2014, 45 nm: "
               "INT8 0.2 pJ, FP16 1.1 pJ, FP32 3.7 pJ, INT32 3.1 pJ)")
    outcome, text = _judgement(rows, GATES_JUDGED)
    page.raw(verdict(outcome, text + ". These float multipliers are exact products (no normalization, "
                     "rounding or special values); Horowitz's round: the asic anchor compares rounding "
                     "ones."))


def _asic_anchors(page, energies: Mapping[tuple[str, float], Mapping[str, float]], store) -> None:
    from hwgen.cost_models.energy import HOROWITZ_PJ, horowitz_anchor
    from hwgen.cost_models.html import verdict

    complete = {key: found for key, found in energies.items() if {"int8 mul", *ASIC_JUDGED} <= set(found)}
    if not complete:
        if energies:
            page.paragraph("No standard-cell Horowitz anchor: it needs the int8 multiply, the rounding "
                           "fp16 and fp32 multiplies and the int32 and fp32 adds measured at one library and "
                           f"clock: `{ASIC_ANCHOR_SWEEP.format(store=store)}`.", "note")
        return
    for (library, clock), found in sorted(complete.items()):
        rows = horowitz_anchor(found, ASIC_JUDGED)
        table = [{"operation": "int8 mul", "hwgen pJ": found["int8 mul"], "Horowitz pJ (45 nm)": 0.2,
                  "hwgen / hwgen INT8 mul": 1.0, "Horowitz / Horowitz INT8 mul": 1.0, "hwgen / Horowitz": 1.0,
                  "within 2x": True, "judged": False}]
        table += [{"operation": row.operation, "hwgen pJ": found[row.operation],
                   "Horowitz pJ (45 nm)": HOROWITZ_PJ[row.operation], "hwgen / hwgen INT8 mul": row.ours,
                   "Horowitz / Horowitz INT8 mul": row.paper, "hwgen / Horowitz": row.factor,
                   "within 2x": row.within, "judged": row.judged} for row in rows]
        name = f"energy_anchor_asic_{library}_{clock:g}ns".replace(".", "_")
        page.table(pd.DataFrame(table), name,
                   f"Horowitz anchor, standard cells ({library}, {clock:g} ns clock): energy per operation "
                   "of hwgen's registered units (int8 exact multiply, float multiplies rounded to nearest "
                   "even in their own format, two's complement and RNE float adds; pJ from the mapped "
                   "netlist's switching activity priced with the Liberty tables, registers included) vs "
                   "Horowitz ISSCC 2014, 45 nm (operator energy only)")
        outcome, text = _judgement(rows, ASIC_JUDGED)
        page.raw(verdict(outcome, f"{library} at {clock:g} ns: {text}."))


# One format per family of docs/formats.md that a MAC or block dot product takes, for the per-format table.
FORMAT_TABLE = ("int8", "int4", "uint8", "dint4", "fp8_e4m3fn", "fp8_e5m2", "fp8_e4m3fnuz", "fp6_e3m2",
                "fp6_e2m3", "fp4_e2m1", "mxfp8_e4m3", "mxfp8_e5m2", "mxfp6_e3m2", "mxfp6_e2m3", "mxfp4",
                "mxint8", "nvfp4")


def format_accuracy(cache_dir: Path, *, minilm: bool, minilm_sentences: int | None,
                    progress: Callable[[str], None] | None = None, scales="max") -> pd.DataFrame:
    """Accuracy of each format of :data:`FORMAT_TABLE` used for both operands (block formats with
    their MX / NVFP4 block scaling), fixed accumulator: one row per format (MiniLM with the scale
    recipe ``scales``, left out where it does not apply)."""
    recipe = recipe_of(scales)
    rows = []
    for name in FORMAT_TABLE:
        names = list(quality.applicable_metrics(name, name, "fixed", "exact"))
        if not (minilm and _recipe_applies(recipe, name, name)):
            names = [n for n in names if n not in quality.MINILM_METRICS]
        values = quality.format_metrics(name, "fixed", "exact", names, minilm_limit=minilm_sentences,
                                        minilm_cache=quality.minilm_cache_in(cache_dir),
                                        progress=progress, scales=recipe)
        rows.append({"format": name, **values})
    return pd.DataFrame(rows)
