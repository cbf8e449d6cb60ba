"""`hwgen report`: one HTML page from the results store -- area models and their error, energy, accuracy,
Pareto fronts per target, the seeds' claims re-measured, tool versions -- with every table as CSV.

The report reads; it never measures. Area, timing and energy come from the store's rows (energy is a
measurement the sweep performs: ``gates = { energy = true }`` and the asic target); no Verilog is
generated and no tool is started. Accuracy is computed from the golden models, and MiniLM's scores
are cached next to the store, so a second report is quick.
"""

import html
import os
import shutil
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

import hwgen
from hwgen.cost_models import asic_claims, axes, decision, enrich, split_law
from hwgen.cost_models import claims as claims_module
from hwgen.cost_models.area import FINN_TARGETS, finn_r_comparison
from hwgen.cost_models.assemble import fabric_points, join_metrics, placed_points
from hwgen.cost_models.dataset import default_shape, fit_models, mac_points, modelled, read_store
from hwgen.cost_models.files import write_atomic
from hwgen.cost_models.fmax_section import fmax_section
from hwgen.cost_models.html import Page, verdict
from hwgen.cost_models.recipes_section import recipes_section
from hwgen.formats import DEFAULT_TERMS, scalar_format
from hwgen.outputs import check_replaceable, claimed_folder, record_written


@dataclass(frozen=True)
class ReportSettings:
    store: Path
    out: Path
    cache: Path | None = None  # default: <store folder>/cost_cache
    minilm_sentences: int | None = None  # None: all 64
    minilm: bool = True
    energy: bool = True  # False: leave the energy section out
    clock_mhz: float | None = None  # the FPGA fronts' clock (None: each target's median placed Fmax)
    scales: str = "max"  # the scale recipe of the MiniLM metrics (hwgen.workload.scales)
    recipes: bool = True  # False: leave out the section comparing scale recipes (many MiniLM runs)
    progress: Callable[[str], None] | None = None

    @property
    def cache_dir(self) -> Path:
        return Path(self.cache) if self.cache else Path(self.store).parent / "cost_cache"

    def say(self, message: str) -> None:
        if self.progress:
            self.progress(message)


def _integer_points(points: pd.DataFrame, target: str) -> list[dict]:
    """The plain integer MACs (default pipeline and length, one per format pair) measured on ``target``."""
    rows = []
    covered = modelled(points)
    covered = covered[(covered["target"] == target) & default_shape(covered) & (covered["mul"] == "exact")]
    for _, row in covered.iterrows():
        fa, fb = scalar_format(row["format_a"]), scalar_format(row["format_b"])
        if fa.kind == "int" and fb.kind == "int":
            rows.append({"label": row["label"], "bits_a": fa.bits, "bits_b": fb.bits,
                         "terms": DEFAULT_TERMS, "luts": float(row["luts"])})
    return rows


def model_tables(points: pd.DataFrame, models: dict) -> tuple[pd.DataFrame, dict[str, dict]]:
    """The fit-error table and, per 6-LUT target, the FINN-R comparison."""
    fit_rows = []
    for (target, metric), model in sorted(models.items()):
        error = model.error
        fit_rows.append({"target": target, "metric": metric, "points": error.points,
                         "median %": error.median_pct, "worst %": error.worst_pct,
                         "LOO median %": error.loo_median_pct, "LOO worst %": error.loo_worst_pct,
                         "LOO worst design": error.loo_worst_label, "model": model.formula()})
    finn = {}
    for target in FINN_TARGETS:
        if (target, "luts") in models and _integer_points(points, target):
            finn[target] = finn_r_comparison(_integer_points(points, target), models[(target, "luts")])
    return pd.DataFrame(fit_rows), finn


def build_table(settings: ReportSettings):
    """(store points, models, the fabric table with accuracy and energy joined, the placed points with
    accuracy joined, the stored energies per operation for the Horowitz anchors, the NN-LUTs paired with
    their equal-error LUTs)."""
    rows = read_store(settings.store)
    points = mac_points(rows)
    skipped: list[str] = []
    models = fit_models(points, skipped=skipped)
    settings.say(f"{settings.store}: {len(points)} measured points; fitted {len(models)} area models")
    for reason in skipped:
        settings.say(f"no model: {reason}")
    table = fabric_points(points, models)
    metric_of = enrich.design_metrics_provider(settings.cache_dir, minilm=settings.minilm,
                                                minilm_sentences=settings.minilm_sentences,
                                                measured=set(points["label"]), progress=settings.say,
                                                scales=settings.scales)
    table = join_metrics(table, metric_of)
    placed = placed_points(points)
    placed = join_metrics(placed, metric_of) if len(placed) else placed
    if settings.energy:
        try:
            table = enrich.join_energy(table, store=settings.store)
        except enrich.MissingEnergyError as error:
            settings.say(f"no energy tables: {error}")
    return points, models, table, placed, enrich.stored_operations(rows), _lookup_pairs(settings.store, rows)


def _lookup_pairs(store: Path, rows: pd.DataFrame) -> pd.DataFrame:
    if not rows["unit"].isin(("nnlut", "lut")).any():
        return pd.DataFrame()
    from hwgen.results.store import ResultStore

    with ResultStore(store, read_only=True) as results:
        return asic_claims.lookup_pairs(rows, results.module_details())


def tool_versions(points: pd.DataFrame) -> pd.DataFrame:
    from hwgen.toolchain import package_versions

    rows = [{"tool": "hwgen", "version": hwgen.__version__}]
    rows += [{"tool": name, "version": version or "not installed"}
             for name, version in package_versions().items()]
    for column, name in (("yosys_version", "Yosys (results)"), ("nextpnr_version", "nextpnr (results)"),
                         ("icarus_version", "Icarus (results)")):
        versions = sorted({str(v) for v in points[column].dropna().unique()})
        rows.append({"tool": name, "version": ", ".join(versions) or "-"})
    for package in ("pandas", "matplotlib"):
        rows.append({"tool": package, "version": __import__(package).__version__})
    return pd.DataFrame(rows)


def _front_plot(page: Page, table: pd.DataFrame, target: str, cost: str, accuracy: str, plots: Path) -> bool:
    """Draw one front; False (nothing drawn) when fewer than two points have both values."""
    from hwgen.cost_models.plots import plot_pareto

    cost_spec, accuracy_spec = axes.cost_axis(cost, target), axes.accuracy_metric(accuracy)
    data = axes.pareto_table(table, target, cost, accuracy, plain=True)
    if len(data) < 2:
        return False
    out = plots / f"pareto_{target}_{cost}_{accuracy}.svg"
    paths = plot_pareto(data, cost=cost, accuracy=accuracy, out=out,
                        cost_label=cost_spec.label, accuracy_label=accuracy_spec.label,
                        title=f"{target}: {cost_spec.short} vs {accuracy_spec.label}",
                        log_cost=cost_spec.log_scale, log_accuracy=axes.log_accuracy(data, accuracy))
    page.figures(paths, f"{target}: {cost} vs {accuracy} (front highlighted; hollow = predicted)")
    return True


# Every accuracy number of the claims section is computed with one recipe; the verdict names it.
RECIPE_NOTE = (" Scale recipe of its accuracy numbers: {recipe} (MiniLM; SQNR and dot-product errors scale "
               "by max; see 'Scale recipes').")
REPORT_FOLDERS = ("plots", "tables")  # what the report owns in its folder, with REPORT_PAGE
REPORT_PAGE = "index.html"
REPORT_OWNS = (*REPORT_FOLDERS, REPORT_PAGE)


def write_report(settings: ReportSettings) -> Path:
    """Build every table and plot and write ``<out>/index.html``; returns its path.

    ``out`` must be new, empty or an earlier report's folder (:mod:`hwgen.outputs`): the report replaces
    only the files it wrote there, and refuses before any work if anything else is in its way.
    """
    out = Path(settings.out)
    for name in (*REPORT_FOLDERS, REPORT_PAGE):
        folder = name in REPORT_FOLDERS
        if (out / name).exists() and (out / name).is_dir() != folder:
            raise ValueError(f"the report writes the {'folder' if folder else 'file'} {out / name}, "
                             f"but a {'file' if folder else 'folder'} is there")
    with claimed_folder(out, "--out", replaces=REPORT_OWNS):
        rows = read_store(settings.store)
        staging = Path(tempfile.mkdtemp(dir=out, prefix=".hwgen-staging-"))
        try:
            if not ((rows["unit"] == "mac") & (rows["status"] == "ok")).any():
                return _write_without_macs(settings, out, staging, rows)
            points, models, table, placed, operations, lookups = build_table(settings)
            return _write_staged(settings, out, staging, points, models, table, placed, operations, lookups)
        finally:
            shutil.rmtree(staging, ignore_errors=True)  # made above: a failed run leaves nothing behind


def _write_without_macs(settings: ReportSettings, out: Path, staging: Path, rows: pd.DataFrame) -> Path:
    """A store with no MAC rows (only multipliers, adders, lookup units, ...): what the store has, the
    standard-cell claims that need no MAC, and a line naming the sweep that adds the rest."""
    page = Page("hwgen cost, energy and accuracy report", staging)
    page.paragraph(f"Results store {settings.store}: {len(rows)} rows, no measured MAC. Generated "
                   f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC by hwgen {hwgen.__version__}.")
    page.heading("Which format for my target?", anchor="decide")
    page.paragraph(f"Not answered: the store has no MAC rows. `hwgen sweep demo --store {settings.store}` "
                   "measures six formats on four targets (about a minute on 2 cores); `hwgen sweep default` "
                   "ten.", "note")
    counts = rows.groupby(["unit", "target", "status"]).size().reset_index(name="rows")
    page.table(counts, "store_contents", "What the store holds: rows per unit kind, target and status")
    operations = enrich.stored_operations(rows)
    if operations.asic:
        enrich.energy_section(page, pd.DataFrame({"target": pd.Series(dtype=str)}), operations,
                              store=settings.store)
    lookups = _lookup_pairs(settings.store, rows)
    if len(lookups):
        claim = asic_claims.nnlut_vs_rom_asic(lookups)
        page.heading(claim.title, level=3)
        page.paragraph(f"Paper: {claim.paper}.")
        page.raw(verdict(claim.outcome, claim.finding))
        if len(claim.evidence):
            page.table(claim.evidence, "claim_nnlut_vs_rom_asic", f"Numbers behind: {claim.title}")
    write_atomic(staging / REPORT_PAGE, page.render())
    index = _publish(staging, out)
    settings.say(f"wrote {index}")
    return index


def _write_staged(settings: ReportSettings, out: Path, staging: Path, points, models, table, placed,
                  operations, lookups) -> Path:
    plots = staging / "plots"
    page = Page("hwgen cost, energy and accuracy report", staging)
    page.paragraph(f"Results store {settings.store}: {len(points)} measured MAC points on "
                   f"{', '.join(sorted(points['target'].unique()))}; {int(table['predicted'].sum())} "
                   f"predicted points (marked). Generated {datetime.now(UTC):%Y-%m-%d %H:%M} UTC by hwgen "
                   f"{hwgen.__version__}.")

    decision_section(page, table, placed, settings)

    page.heading("Area models")
    if not models:
        page.paragraph("No area model: the store has no fabric-only MAC points to fit one on; `hwgen sweep "
                       f"model --store {settings.store}` measures them.", "note")
    fit, finn = model_tables(points, models)
    if len(fit):
        page.paragraph("One linear model per target and metric, fitted to the fabric-only (no DSP) MACs with "
                       "fixed accumulators, minimizing relative error. Errors are absolute percentages; "
                       "LOO = each point predicted by a model fitted without it (held out).")
        page.table(fit, "area_model_fit", "Area model fit error per target")
    for target, comparison in finn.items():
        page.table(pd.DataFrame(comparison["rows"]), f"finn_r_{target}",
                   f"FINN-R LUT formula vs hwgen's held-out prediction, integer MACs on {target}")
        better = comparison["hwgen_median_pct"] < comparison["finn_r_median_pct"]
        page.raw(verdict("agree" if better else "disagree",
                         f"{target}: hwgen's model median error {comparison['hwgen_median_pct']:.1f} % "
                         f"(worst {comparison['hwgen_worst_pct']:.1f} %) vs FINN-R "
                         f"{comparison['finn_r_median_pct']:.1f} % "
                         f"(worst {comparison['finn_r_worst_pct']:.1f} %) "
                         "on the same integer points."))

    if settings.energy:
        enrich.energy_section(page, table, operations, store=settings.store)

    page.heading("Accuracy per format")
    formats = enrich.format_accuracy(settings.cache_dir, minilm=settings.minilm,
                                     minilm_sentences=settings.minilm_sentences, progress=settings.say,
                                     scales=settings.scales)
    page.table(formats, "accuracy_formats", "Accuracy of each format as both operands (MX / NVFP4 with their "
               "block scaling, the others per-tensor max scaling), fixed accumulator")
    page.heading("Accuracy per design")
    page.table(axes.accuracy_table(table), "accuracy", "Accuracy metrics of every design in the table")

    if settings.minilm and settings.recipes:
        recipes_section(page, settings.cache_dir, minilm_sentences=settings.minilm_sentences,
                        progress=settings.say, table=table)

    page.heading("Pareto fronts")
    page.paragraph("Filled markers are measured, hollow ones predicted by the area model; the line marks "
                   "the front.")
    skipped = [f"{target} {cost} vs {accuracy}" for target, cost, accuracy in axes.front_plan(table)
               if not _front_plot(page, table, target, cost, accuracy, plots)]
    if skipped:
        page.paragraph("Not drawn, fewer than two measured points with both values: " + "; ".join(skipped)
                       + ".", "note")
    fronts = axes.front_tables(table)
    page.table(fronts, "pareto_points", "Every point with its cost, accuracy and whether it is on a front")
    fmax_section(page, placed, plots, settings.clock_mhz)

    page.heading("The seeds' claims, re-measured")
    asic = asic_claims.ASIC_CLAIMS if (table["target"] == "asic").any() else ()
    claims = [(claim_fn.__name__, claim_fn(table)) for claim_fn in (*claims_module.ALL_CLAIMS, *asic)]
    if len(lookups):
        claims.append(("nnlut_vs_rom_asic", asic_claims.nnlut_vs_rom_asic(lookups)))
    for name, claim in claims:
        page.heading(claim.title, level=3)
        page.paragraph(f"Paper: {claim.paper}.")
        page.raw(verdict(claim.outcome, claim.finding + RECIPE_NOTE.format(recipe=settings.scales)))
        if len(claim.evidence):
            page.table(claim.evidence, "claim_" + name, f"Numbers behind: {claim.title}")

    page.heading("Exponent / mantissa split against the FP scaling law", level=3)
    page.paragraph("Paper: Sun et al., arXiv 2501.02423: the loss-optimal mantissa width M = nu P / "
                   "(delta + nu) - 0.5 (delta 3.1926, nu 2.9543), rounded: E2M1, E2M2, E3M2, E3M3, E4M3 "
                   "for 4 to 8 bits. hwgen: the most accurate split per width, every split used for both "
                   "operands, recipe max.")
    metric_of = split_law.default_metric_of(settings.cache_dir, minilm=settings.minilm,
                                            minilm_sentences=settings.minilm_sentences, progress=settings.say)
    splits = split_law.split_table(metric_of)
    page.raw(verdict(*split_law.verdict(splits)))
    page.table(splits, "split_law", "Best split per width and metric next to the scaling law's")

    page.heading("Tool versions")
    page.table(tool_versions(points), "tool_versions",
               "Versions of the tools and packages behind these numbers")
    shown = table.drop(columns=[c for c in table.columns if c.startswith("f_")] + ["config"], errors="ignore")
    page.table(shown, "all_points", "Every point (measured and predicted) with all metrics")
    write_atomic(staging / REPORT_PAGE, page.render())
    index = _publish(staging, out)
    settings.say(f"wrote {index}")
    return index


def decision_section(page: Page, table: pd.DataFrame, placed: pd.DataFrame, settings: ReportSettings) -> None:
    """The first screen: per target, the cheapest measured design for each accuracy budget."""
    page.heading("Which format for my target?", anchor="decide")
    metrics = ["sqnr_gaussian_db"]
    if "minilm_cosine" in table.columns and table["minilm_cosine"].notna().any():
        metrics.append("minilm_cosine")
    for metric in metrics:
        choices = decision.decisions(table, metric, placed)
        if choices.empty or choices["design"].isna().all():
            page.paragraph(f"No measured MAC has {metric} and a cost here; `hwgen sweep default --store "
                           f"{settings.store}` measures ten formats on four targets.", "note")
            continue
        page.paragraph(f"The cheapest measured design (one per format: fixed exact accumulator, default "
                       f"depth and length; model predictions never answer) that meets each "
                       f"{decision.BUDGETS[metric][0]} budget, per target; cost in the target's unit "
                       f"(FPGA: fabric LUTs without DSP, or with DSPs allowed where the store placed only "
                       f"that, DSP blocks named; gates: 2-input gates; asic: um2). Scale recipe: "
                       f"{settings.scales}.")
        page.raw('<ul class="decide">' + "".join(f"<li>{html.escape(line)}</li>"
                                                 for line in decision.sentences(choices, metric)) + "</ul>")
        page.table(decision.grid(choices, metric), f"decide_{metric}",
                   f"Cheapest measured design per target and {decision.BUDGETS[metric][0]} budget")
    measured = set(table["target"]) | (set(placed["target"]) if len(placed) else set())
    missing = [t for t in axes.TARGETS if t not in measured]
    if missing:
        page.paragraph("Not in this store: " + ", ".join(missing) + " (`hwgen sweep default` measures xc7, "
                       "gates, ice40 and ecp5; `hwgen sweep asic` the standard-cell target).", "note")


def report_summary(out: Path) -> list[str]:
    """The first screen's answer, for the terminal: one line per metric and target, budgets with the
    same answer merged, read back from the report's own ``tables/decide_*.csv`` (SQNR first; empty when
    the report has none)."""
    lines = []
    for metric in ("sqnr_gaussian_db", "minilm_cosine"):
        path = Path(out, "tables", f"decide_{metric}.csv")
        if not path.is_file():
            continue
        frame = pd.read_csv(path, keep_default_na=False)
        for _, row in frame.iterrows():
            runs = decision.merged_runs([(column, row[column]) for column in frame.columns[1:]])
            lines.append(f"{row['target']}: " + "; ".join(
                f"{first if first == last else first + ' .. ' + last.split('>= ')[-1]}: {answer}"
                for first, last, answer in runs))
    return lines


def _publish(staging: Path, out: Path) -> Path:
    """Move a finished report into ``out``, replacing only the report's own files and folders there
    (so a stale plot of an earlier run never survives, and nothing else in ``out`` is touched)."""
    check_replaceable(out, REPORT_OWNS, "--out")
    for name in REPORT_FOLDERS:
        shutil.rmtree(out / name, ignore_errors=True)  # every file in it was listed as hwgen's just now
        if (staging / name).exists():
            os.replace(staging / name, out / name)
    os.replace(staging / REPORT_PAGE, out / REPORT_PAGE)
    record_written(out, [out / name for name in REPORT_OWNS if (out / name).exists()])
    return out / REPORT_PAGE


def progress_printer(message: str) -> None:
    print(f"[report] {message}", file=sys.stderr, flush=True)

