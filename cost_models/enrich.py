"""What the report joins onto its point table: accuracy metrics per design and gate-level energy.

Accuracy comes from :mod:`hwgen.cost_models.quality` (SQNR and dot-product errors for every design;
MiniLM only for measured designs the workload can run, cached). Energy comes from
:mod:`hwgen.cost_models.energy` for the measured MAC designs of the ``gates`` target (cached), each
relative to the INT8 x INT8 fixed MAC; the FPGA targets get the activity-weighted estimate of their
mapped resources, labelled as an estimate.
"""

import json
import math
from collections.abc import Callable, Collection, Mapping
from pathlib import Path

import pandas as pd

from hwgen.cost_models import quality
from hwgen.cost_models.dataset import default_shape
from hwgen.cost_models.features import design_label
from hwgen.formats import DEFAULT_TERMS
from hwgen.specs.mac import DEFAULT_PIPELINE

BASELINE_LABEL = "int8"


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


def energy_designs(table: pd.DataFrame) -> pd.DataFrame:
    """The measured gate-level designs the report measures energy for (pipeline 3, 64 terms)."""
    rows = table[(table["target"] == "gates") & ~table["predicted"].astype(bool)]
    return rows[default_shape(rows)]


def _energy_files(cache_dir: Path) -> dict:
    return {"cache": Path(cache_dir) / "energy.json", "work_dir": Path(cache_dir) / "energy_work"}


def join_energy(table: pd.DataFrame, cache_dir: Path, *, distributions=("gaussian", "laplace"),
                macs: int | None = None, progress: Callable[[str], None] | None = None) -> pd.DataFrame:
    """Add gate-level energy relative to INT8 x INT8 (``energy_rel``, ``energy_rel_laplace``) on the
    ``gates`` rows and the activity-weighted FPGA estimate (``energy_fpga_rel``) on the FPGA rows."""
    from hwgen.cost_models import energy
    from hwgen.fpga.units import get_unit

    files = _energy_files(cache_dir)
    designs = energy_designs(table)
    if BASELINE_LABEL not in set(designs["label"]):
        raise ValueError("energy needs the INT8 x INT8 fixed MAC on the gates target in the store (the "
                         "baseline = 1.0); run `hwgen sweep fpga/sweeps/default.toml`")
    results: dict[tuple[str, str], energy.EnergyResult] = {}
    for number, (_, row) in enumerate(designs.iterrows(), 1):
        design = get_unit("mac").generate(json.loads(row["config"]))
        for distribution in distributions:
            if progress:
                progress(f"energy {number}/{len(designs)}: {row['label']} ({distribution})")
            results[(row["label"], distribution)] = energy.measure_energy(
                design, distribution, macs or energy.DEFAULT_MACS, **files)
    frame = table.copy()
    for distribution in distributions:
        column = "energy_rel" if distribution == "gaussian" else f"energy_rel_{distribution}"
        base = results[(BASELINE_LABEL, distribution)].energy_per_mac
        values = {label: result.energy_per_mac / base
                  for (label, dist), result in results.items() if dist == distribution}
        frame[column] = [values.get(label, float("nan")) if target == "gates" else float("nan")
                         for label, target in zip(frame["label"], frame["target"], strict=True)]
    rates = {label: result.mean_toggle_rate
             for (label, dist), result in results.items() if dist == "gaussian"}
    frame["toggle_rate"] = [rates.get(label, float("nan")) if target == "gates" else float("nan")
                            for label, target in zip(frame["label"], frame["target"], strict=True)]
    frame["energy_fpga_rel"] = _fpga_estimates(frame, rates)
    return frame


def _fpga_estimates(frame: pd.DataFrame, rates: Mapping[str, float]) -> list[float]:
    from hwgen.cost_models.energy import fpga_energy_estimate

    def estimate(row) -> float:
        resources = {"luts": row["lut_cells"], "ffs": row["ffs"], "carries": row["carries"],
                     "dsps": row["dsps"]}
        if any(pd.isna(v) for v in resources.values()):
            return float("nan")
        counts = {k: int(v) for k, v in resources.items()}
        return fpga_energy_estimate(counts, rates[row["label"]]).energy_per_cycle

    base = {}
    for _, row in frame.iterrows():
        if row["label"] == BASELINE_LABEL and row["target"] != "gates" and not row["predicted"]:
            base[row["target"]] = estimate(row)
    values = []
    for _, row in frame.iterrows():
        usable = (row["target"] != "gates" and not row["predicted"] and row["label"] in rates
                  and row["target"] in base)
        values.append(estimate(row) / base[row["target"]] if usable else float("nan"))
    return values


def energy_section(page, table: pd.DataFrame, cache_dir: Path, *,
                   progress: Callable[[str], None] | None = None) -> None:
    """The report's energy tables: per design (gate level), the Horowitz anchor, the FPGA estimate."""
    from hwgen.cost_models import energy
    from hwgen.cost_models.html import verdict

    page.paragraph(f"Method: {energy.METHOD}. Each design's synthesized gate netlist (the gates target) "
                   "is simulated with Icarus at unit gate delay (glitches count) on Gaussian and Laplace "
                   "operand streams quantized to its formats (fixed seed), one MAC per cycle; its outputs "
                   "are checked bit-exactly against the golden model. Energy is relative to the INT8 x INT8 "
                   "fixed MAC = 1.")
    gates = table[(table["target"] == "gates") & table["energy_rel"].notna()]
    columns = ["label", "energy_rel", "energy_rel_laplace", "toggle_rate", "gates", "ffs"]
    page.table(gates[[c for c in columns if c in gates.columns]].sort_values("energy_rel"), "energy_gates",
               "Energy per MAC relative to INT8 x INT8 (gate level)")
    if progress:
        progress("Horowitz anchor: INT8, FP16, FP32, INT32 multipliers")
    anchor = energy.horowitz_anchor(**_energy_files(cache_dir))
    rows = [{"multiplier": row.format, "hwgen / hwgen INT8": row.ours,
             "Horowitz / Horowitz INT8": row.paper, "hwgen / Horowitz": row.factor, "within 2x": row.within}
            for row in anchor.rows]
    page.table(pd.DataFrame(rows), "energy_anchor",
               "Sanity anchor: multiplier energy ratios vs Horowitz (ISSCC 2014, 45 nm: INT8 0.2 pJ, "
               "FP16 1.1 pJ, FP32 3.7 pJ, INT32 3.1 pJ)")
    asked = [row for row in anchor.rows if row.format in ("fp16", "fp32")]  # the anchor
    inside = sum(row.within for row in asked)
    page.raw(verdict("agree" if inside == len(asked) else "partly" if inside else "disagree",
                     f"{inside} of {len(asked)} of hwgen's float multiplier energy ratios (FP16, FP32 over "
                     "INT8) land within 2x of Horowitz's: "
                     + "; ".join(f"{r.format} {r.ours:.1f}x vs {r.paper:.1f}x" for r in asked)
                     + ". Context, not judged: "
                     + "; ".join(f"{r.format} {r.ours:.1f}x vs {r.paper:.1f}x" for r in anchor.rows
                                 if r not in asked)
                     + ". hwgen's float multipliers are exact products (no normalization, rounding or "
                     "special values); Horowitz's round."))
    fpga = table[(table["target"] != "gates") & table["energy_fpga_rel"].notna()]
    if len(fpga):
        wide = fpga.pivot_table(index="label", columns="target", values="energy_fpga_rel").reset_index()
        page.table(wide, "energy_fpga_estimate",
                   "FPGA energy per MAC relative to INT8 x INT8: an ESTIMATE (mapped LUT / FF / carry / DSP "
                   "counts weighted by the gate-level toggle rate; weights in cost_models/energy.py), not a "
                   "measurement")


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
