"""The seeds' hardware claims in standard-cell units: the asic rows of the report's table, compared at
one cell library and one clock.

Method, the same for every claim: each MAC is synthesized by the sweep for the library at the clock
(Yosys ``abc -D <period> -constr``), timed by OpenSTA, and its energy per MAC measured from the mapped
netlist's switching activity on Gaussian operand streams, priced with the Liberty's power tables
(``power_method`` of the rows; docs/asic.md). Power is energy per MAC times the clock plus leakage, so
at one clock a power ratio is the energy ratio with leakage added on both sides. A design that misses
the clock is still compared (its row says so, with its slack): its energy is measured at its own
period, and energy per MAC hardly depends on the clock.
"""

import json
from collections.abc import Mapping

import pandas as pd

from hwgen.cost_models.claims import Claim, integer_dominance, measured_rows, one_row, ratio
from hwgen.specs import MacSpec
from hwgen.specs.lut import twin_key

DINT4_INT8, INT8 = MacSpec("dint4", "int8"), MacSpec("int8", "int8")
# dINT paper (arXiv 2311.05161), Table 2: the INT8 x INT8 MAC over the W4A8 (dINT4 x INT8) MAC.
DINT_PAPER = {"area": 1.93, "power": 2.56}
AGREE_SHARE = 0.8  # a cost ratio counts as reproduced from 80 % of the paper's
# L-Mul (arXiv 2410.00907): "80 % energy cost of dot products" saved against float multiplies.
LMUL_PAPER_SAVING = 0.8
LMUL_FORMATS = ("fp8_e4m3fn", "fp8_e5m2")
INTEGER_COSTS = ("area_um2", "energy_pj_per_mac")


def conditions(table: pd.DataFrame) -> list[tuple[str, float]]:
    """The (library, clock ns) pairs of the table's asic rows, most rows first."""
    rows = measured_rows(table)
    rows = rows[rows["target"] == "asic"]
    if rows.empty:
        return []
    counts = rows.groupby(["library", "clock_ns"]).size().sort_values(ascending=False, kind="stable")
    return [(str(library), float(clock)) for library, clock in counts.index]


def _at(table: pd.DataFrame, library: str, clock: float) -> pd.DataFrame:
    rows = measured_rows(table)
    return rows[(rows["target"] == "asic") & (rows["library"] == library) & (rows["clock_ns"] == clock)]


def _power_uw(row: pd.Series) -> float:
    return float(row["dynamic_uw"]) + float(row["leakage_nw"]) / 1000.0


def _have_energy(*rows) -> bool:
    return all(row is not None and not pd.isna(row["energy_pj_per_mac"]) for row in rows)


def _where(library: str, clock: float) -> str:
    return f"{library} at {clock:g} ns"


def _not_measured(title: str, paper: str, what: str) -> Claim:
    return Claim(title, paper, "partly",
                 f"not measured: {what}; `hwgen sweep asic` measures it", pd.DataFrame())


def dint4_vs_int8_asic(table: pd.DataFrame) -> Claim:
    """dINT4 x INT8 against INT8 x INT8 in standard cells: area and power at one clock."""
    title = "dINT4 x INT8 vs INT8 x INT8 MAC, standard cells"
    paper = (f"the INT8 x INT8 MAC takes {DINT_PAPER['area']}x the area and {DINT_PAPER['power']}x the power "
             "of the W4A8 (dINT4 x INT8) MAC (dINT paper, Table 2)")
    rows = []
    for library, clock in conditions(table):
        found = _at(table, library, clock)
        dint, int8 = one_row(found, DINT4_INT8, "asic"), one_row(found, INT8, "asic")
        if not _have_energy(dint, int8):
            continue
        for metric, of in (("area um2", lambda r: float(r["area_um2"])), ("power uW", _power_uw),
                           ("energy pJ/MAC", lambda r: float(r["energy_pj_per_mac"]))):
            rows.append({"library": library, "clock ns": clock, "metric": metric, "int8xint8": of(int8),
                         "dint4xint8": of(dint), "int8 / dint4": ratio(of(int8), of(dint)),
                         "paper": DINT_PAPER.get(metric.split()[0], float("nan"))})
    evidence = pd.DataFrame(rows)
    if evidence.empty:
        return _not_measured(title, paper, "no dint4xint8 and int8 MAC pair with energy on asic")
    library, clock = evidence["library"].iloc[0], evidence["clock ns"].iloc[0]
    first = evidence[(evidence["library"] == library) & (evidence["clock ns"] == clock)].set_index("metric")
    area, power = float(first.loc["area um2", "int8 / dint4"]), float(first.loc["power uW", "int8 / dint4"])
    reproduced = [area >= AGREE_SHARE * DINT_PAPER["area"], power >= AGREE_SHARE * DINT_PAPER["power"]]
    outcome = "agree" if all(reproduced) else "partly" if min(area, power) > 1 else "disagree"
    finding = (f"{_where(library, clock)}: INT8xINT8 / dINT4xINT8 = {area:.2f}x area, {power:.2f}x power "
               f"(paper {DINT_PAPER['area']}x, {DINT_PAPER['power']}x; agree needs {AGREE_SHARE:.0%} of "
               "each, partly when dINT4 x INT8 is cheaper on both).")
    return Claim(title, paper, outcome, finding, evidence)


def lmul_vs_exact_asic(table: pd.DataFrame) -> Claim:
    """L-Mul against the exact multiply in the same E4M3 / E5M2 MAC: energy per MAC in standard cells."""
    title = "L-Mul vs exact multiply, standard cells"
    paper = (f"L-Mul saves about {LMUL_PAPER_SAVING:.0%} of the energy of float8 dot products (E4M3, E5M2) "
             "against exact float multiplies")
    rows = []
    for library, clock in conditions(table):
        found = _at(table, library, clock)
        for fmt in LMUL_FORMATS:
            exact = one_row(found, MacSpec(fmt, fmt), "asic")
            lmul = one_row(found, MacSpec(fmt, fmt, mul="lmul"), "asic")
            if not _have_energy(exact, lmul):
                continue
            energy = ratio(lmul["energy_pj_per_mac"], exact["energy_pj_per_mac"])
            rows.append({"library": library, "clock ns": clock, "format": fmt,
                         "exact pJ/MAC": float(exact["energy_pj_per_mac"]),
                         "lmul pJ/MAC": float(lmul["energy_pj_per_mac"]), "energy saving": 1.0 - energy,
                         "area saving": 1.0 - ratio(lmul["area_um2"], exact["area_um2"]),
                         "exact slack ns": float(exact["slack_ns"]),
                         "lmul slack ns": float(lmul["slack_ns"])})
    evidence = pd.DataFrame(rows)
    if evidence.empty:
        return _not_measured(title, paper, "no E4M3 / E5M2 MAC with both L-Mul and exact products on asic")
    library, clock = evidence["library"].iloc[0], evidence["clock ns"].iloc[0]
    first = evidence[(evidence["library"] == library) & (evidence["clock ns"] == clock)]
    savings = dict(zip(first["format"], first["energy saving"], strict=True))
    held = [saving >= AGREE_SHARE * LMUL_PAPER_SAVING for saving in savings.values()]
    outcome = "agree" if all(held) else "partly" if any(held) or min(savings.values()) > 0 else "disagree"
    finding = (f"{_where(library, clock)}: L-Mul saves "
               + ", ".join(f"{saving:.0%} ({fmt})" for fmt, saving in savings.items())
               + f" of the energy per MAC (paper about {LMUL_PAPER_SAVING:.0%}; agree needs "
               f"{AGREE_SHARE * LMUL_PAPER_SAVING:.0%} on each format, partly for any saving). The whole MAC "
               "is measured: L-Mul replaces only the multiplier; the exact fixed-point accumulator, operand "
               "registers and stream control stay, and hwgen's exact E4M3 product is already a 4 x 4-bit "
               "multiply.")
    return Claim(title, paper, outcome, finding, evidence)


def integer_vs_minifloat_asic(table: pd.DataFrame) -> Claim:
    """Per accuracy metric, cost (area, energy) and width: is INTn dominated by a same-width minifloat
    synthesized at the same library and clock?"""
    title = "Minifloat vs integer MACs at the same clock, standard cells"
    paper = ("integer quantization often remains the Pareto-optimal option (minifloat vs integer PTQ paper, "
             "on FPGAs)")
    frames = []
    for library, clock in conditions(table):
        for cost in INTEGER_COSTS:
            found = integer_dominance(_at(table, library, clock), cost)
            if len(found):
                frames.append(found.assign(library=library, **{"clock ns": clock}))
    if not frames:
        return _not_measured(title, paper, "no width with both an integer and a minifloat MAC on asic")
    evidence = pd.concat(frames, ignore_index=True)
    kept = int((evidence["int dominated by"] == "-").sum())
    share = kept / len(evidence)
    outcome = "agree" if share >= 0.5 else "disagree" if share <= 0.25 else "partly"
    where = "; ".join(_where(library, clock) for library, clock in conditions(table))
    finding = (f"INTn stays undominated by same-width minifloats in {kept} of {len(evidence)} (metric, "
               f"cost, width) cases, area and energy per MAC at {where} (agree from half of the cases, "
               "disagree at a quarter or fewer).")
    return Claim(title, paper, outcome, finding, evidence)


ASIC_CLAIMS = (dint4_vs_int8_asic, lmul_vs_exact_asic, integer_vs_minifloat_asic)

LOOKUP_COSTS = ("area_um2", "energy_pj_per_mac", "asic_fmax_mhz", "slack_ns")


def lookup_pairs(rows: pd.DataFrame, details: Mapping[str, Mapping]) -> pd.DataFrame:
    """Each NN-LUT asic row next to its equal-error uniform LUT twin (``hwgen generate lut
    --match-entries``) at the same library and clock, paired by their stored configs
    (:func:`hwgen.specs.lut.twin_key`); the float maximum errors come from the stored manifests
    (*details*, by module: the NN-LUT's fit, the LUT's own), so nothing is fitted again."""
    if rows.empty or "unit" not in rows.columns:
        return pd.DataFrame()
    found = rows[rows["unit"].isin(("nnlut", "lut")) & (rows["target"] == "asic") & (rows["status"] == "ok")]
    newest: dict[tuple, dict[str, pd.Series]] = {}
    for _, row in found.sort_values("created_at").iterrows():
        key = twin_key(row["unit"], json.loads(row["config"]))
        if key is not None and row["design"] in details:
            newest.setdefault((row["library"], float(row["clock_ns"]), key), {})[row["unit"]] = row
    pairs = []
    for (library, clock, _), pair in newest.items():
        if set(pair) != {"nnlut", "lut"}:
            continue
        nnlut, lut = pair["nnlut"], pair["lut"]
        fit, table = details[nnlut["design"]], details[lut["design"]]["lut"]
        pairs.append({"library": library, "clock ns": clock, "function": fit["function"],
                      "nnlut entries": fit["entries"], "nnlut max error": fit["fit"]["max_error"],
                      "lut entries": table["entries"], "lut max error": table["max_error"],
                      "lut reached": table["match"]["how"],
                      **{f"nnlut {c}": float(nnlut[c]) for c in LOOKUP_COSTS},
                      **{f"lut {c}": float(lut[c]) for c in LOOKUP_COSTS}})
    return pd.DataFrame(pairs)


def nnlut_vs_rom_asic(pairs: pd.DataFrame) -> Claim:
    """Each NN-LUT against the uniform lookup table (a ROM indexed by a bit slice of the input) whose
    float maximum error is at most the NN-LUT's: area and energy per evaluation in standard cells."""
    title = "NN-LUT vs a lookup table of equal maximum error, standard cells"
    paper = ("an NN-LUT replaces non-linear operations with significant reductions in area, power and "
             "latency against lookup-table approximations (NN-LUT paper)")
    if pairs.empty:
        return Claim(title, paper, "partly", "not measured: no NN-LUT with its equal-error LUT twin on asic; "
                     "`hwgen sweep asic_nnlut` measures them", pairs)
    evidence = pairs.assign(**{"lut / nnlut area": pairs["lut area_um2"] / pairs["nnlut area_um2"],
                               "lut / nnlut energy": pairs["lut energy_pj_per_mac"]
                               / pairs["nnlut energy_pj_per_mac"]})
    cheaper = (evidence["lut / nnlut area"] > 1) & (evidence["lut / nnlut energy"] > 1)
    # A capped LUT is smaller than the equal-error one: an NN-LUT cheaper than it is cheaper than that
    # one too; one dearer says nothing. A LUT at the input grid cannot reach the NN-LUT's error at all.
    judged = (evidence["lut reached"] == "equal") | ((evidence["lut reached"] == "capped") & cheaper)
    if not judged.any():
        return Claim(title, paper, "partly", "no LUT twin reached the NN-LUT's error (each stopped at the "
                     "input grid or the size cap)", evidence)
    equal, wins = evidence[judged], int((cheaper & judged).sum())
    outcome = "agree" if wins == len(equal) else "partly" if wins else "disagree"
    by_size = "; ".join(_size_summary(entries, group, cheaper[group.index])
                        for entries, group in equal.groupby("nnlut entries"))
    left = len(evidence) - len(equal)
    finding = (f"NN-LUT smaller and cheaper per evaluation than its equal-error LUT in {wins} of "
               f"{len(equal)} pairs: {by_size}"
               + (f"; {left} LUT twin(s) not judged (at the input grid: less accurate than the NN-LUT "
                  "whatever its size; or capped and cheaper than the NN-LUT)" if left else "")
               + ". Both units share the input decode, range reduction and output rounding; the LUT is a ROM "
               "of the cells' midranges (agree when the NN-LUT wins on area and energy in every pair).")
    return Claim(title, paper, outcome, finding, evidence)


def _size_summary(entries: int, group: pd.DataFrame, cheaper: pd.Series) -> str:
    area, energy = group["lut / nnlut area"], group["lut / nnlut energy"]
    return (f"{entries} entries: NN-LUT cheaper in {int(cheaper.sum())} of {len(group)} (LUT / NN-LUT area "
            f"{area.min():.2f}-{area.max():.2f}x, energy {energy.min():.2f}-{energy.max():.2f}x)")
