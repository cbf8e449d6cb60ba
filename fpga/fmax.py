"""Fmax-directed pipelining: the smallest pipeline depth at which a unit meets a requested clock.

A request names a frequency and a target with a timing tool: ``ice40`` and ``ecp5`` (the Fmax nextpnr
reports after placing and routing the unit inside the I/O harness, aiming at the requested frequency,
with a fixed seed), ``asic`` (OpenSTA's Fmax of the netlist ABC sized for the requested period,
``1000 / MHz`` rounded down to whole picoseconds) or ``xc7``, which has no place and route here: its
Fmax is the stated *estimate* of :mod:`hwgen.fpga.xc7_timing`, and every line and manifest says so.
``gates`` has no clock and is refused (:func:`check_fmax_target`).

The search (:class:`DepthSearch`) measures the depths of the spec's range (``1 .. spec.max_pipeline``)
in increasing order and stops at the first whose measured Fmax is at least the request (after measuring
the other placements of that depth, of which the smallest that meets is chosen). It assumes no
monotonicity: depth N+1 is measured even when N was slower than N-1. When no depth meets the request,
every depth has been measured and the smallest design within :data:`NEAR_FASTEST` of the fastest is
chosen (the earliest on a tie), marked not met.

Every depth tried is an ordinary point of the results store, measured by the sweep machinery
(:func:`hwgen.fpga.sweep.measure_plan`), so its row is cached under the usual content key and a repeated
request runs no tool at all. :func:`run_searches` runs many searches side by side (a sweep's), one depth
of each per round; each search's choice is stored in the store's ``fmax_choices`` table, which names the
chosen row's key.
"""

import json
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from hwgen.fpga import xc7_timing
from hwgen.fpga.pnr import DEFAULT_SEED, get_device
from hwgen.fpga.points import OK, FlowSpec
from hwgen.fpga.targets import ASIC, TARGET_NAMES
from hwgen.results.store import content_key
from hwgen.specs import canonical_json, spec_kind
from hwgen.specs.mac import option_label

# Targets with a timing tool: nextpnr (after place and route), OpenSTA, and xc7's stated estimate.
XC7 = xc7_timing.TARGET
FMAX_TARGETS = ("ice40", "ecp5", XC7, ASIC)
MAX_FMAX_MHZ = 10_000.0  # nextpnr takes target frequencies below this
# When no depth meets: a design this much slower than the fastest (a fraction of its Fmax) counts as
# fast, and the smallest of those is chosen. nextpnr's Fmax of one design moves 2-13 % between seeds
# (ice40 / ecp5 MACs, seeds 1-3), so a smaller gap does not say which design is faster.
NEAR_FASTEST = 0.02
TIMING_TOOLS = ("ice40 or ecp5 (nextpnr Fmax after place and route), xc7 (an estimate from Yosys's cell "
                "timing, no place and route) or asic (OpenSTA)")


def check_fmax(value, option: str = "--fmax") -> float:
    """*value* (a number, or text from the command line) as MHz; one-line ``ValueError`` naming
    *option* unless it is a finite number greater than 0 and below :data:`MAX_FMAX_MHZ`."""
    number = value
    if isinstance(value, str):
        try:
            number = float(value)
        except ValueError:
            number = None
    if isinstance(number, bool) or not isinstance(number, int | float) or not (
            math.isfinite(number) and 0 < number < MAX_FMAX_MHZ):
        raise ValueError(fmax_error(option, value))
    return float(number)


def fmax_error(option: str, value) -> str:
    return (f"{option} must be a frequency in MHz, a number greater than 0 and below {MAX_FMAX_MHZ:g}, "
            f"not {value!r}")


def check_fmax_target(target, option: str = "--target") -> str:
    """*target* if it has a timing tool; else one line naming the targets that do."""
    if target not in FMAX_TARGETS:
        if target in TARGET_NAMES:
            raise ValueError(f"{option} {target} has no timing tool to choose a pipeline depth for an "
                             f"Fmax; use {TIMING_TOOLS}")
        raise ValueError(f"{option} must be {TIMING_TOOLS} for an Fmax, not {target!r}")
    return target


def has_pipeline(unit: str) -> bool:
    """Whether unit kind *unit* has a pipeline depth to choose."""
    return "pipeline" in spec_kind(unit).option_names()


def pipeline_depths(unit: str) -> range:
    """The depths the spec of unit kind *unit* allows, in the order they are tried."""
    if not has_pipeline(unit):
        raise ValueError(f"unit {unit} has no pipeline option; an Fmax applies to "
                         f"{', '.join(kind for kind in pipeline_units())}")
    return range(1, spec_kind(unit).max_pipeline + 1)


def pipeline_units() -> tuple[str, ...]:
    from hwgen.specs import SPEC_KINDS

    return tuple(kind for kind in SPEC_KINDS if has_pipeline(kind))


def clock_ns_for(fmax_mhz: float) -> float:
    """The asic clock period of a requested Fmax: 1000 / MHz rounded down to whole picoseconds, so that
    meeting the period meets the frequency (ABC's delay target is whole picoseconds anyway)."""
    return math.floor(1e6 / fmax_mhz + 1e-9) / 1000


@dataclass(frozen=True)
class FmaxRequest:
    """An Fmax to meet on one target: the flow every depth is measured with and the number it must reach.

    ``dsp`` as in :class:`~hwgen.fpga.points.FlowSpec`; ``library`` is the asic cell library (default
    osu018); ``seed`` the nextpnr seed (fixed: the search is deterministic; unused on asic and xc7).
    """

    target: str
    fmax_mhz: float
    dsp: bool = True
    library: str | None = None
    seed: int = DEFAULT_SEED

    def __post_init__(self):
        check_fmax_target(self.target, "target")
        object.__setattr__(self, "fmax_mhz", check_fmax(self.fmax_mhz, "fmax_mhz"))
        if self.target != ASIC and self.library is not None:
            raise ValueError(f"a cell library applies to the asic target, not {self.target}")
        if isinstance(self.seed, bool) or not isinstance(self.seed, int) or not 0 <= self.seed < 2**31:
            raise ValueError(f"seed must be an integer between 0 and 2^31 - 1, not {self.seed!r}")
        if self.target in (ASIC, XC7):
            object.__setattr__(self, "seed", None)
        if self.target == ASIC:
            object.__setattr__(self, "dsp", False)
        flow = self.flow  # validates the library's name and the clock
        object.__setattr__(self, "library", flow.library)  # canonical: osu018 when none was named

    @property
    def flow(self) -> FlowSpec:
        """The flow of every depth tried: nextpnr aiming at the requested frequency, or the asic
        period of :func:`clock_ns_for`."""
        if self.target == ASIC:
            return FlowSpec(ASIC, library=self.library, clock_ns=clock_ns_for(self.fmax_mhz))
        if self.target == XC7:  # the estimate comes with every xc7 synthesis
            return FlowSpec(XC7, dsp=self.dsp)
        return FlowSpec(self.target, dsp=self.dsp, pnr=True, freq_mhz=self.fmax_mhz)

    @property
    def tool(self) -> str:
        if self.target == XC7:
            return "yosys"
        return "sta" if self.target == ASIC else get_device(self.target).tool

    def describe(self) -> str:
        """``150 MHz on ice40 (nextpnr-ice40, seed 1)``, ``300 MHz on asic (osu018 at 3.333 ns, OpenSTA)``."""
        flow = self.flow
        if self.target == ASIC:
            how = f"{flow.library} at {flow.clock_ns:g} ns, OpenSTA"
        elif self.target == XC7:
            how = xc7_timing.ESTIMATE + ("" if self.dsp else ", no DSPs")
        else:
            how = f"{self.tool}, seed {self.seed}" + ("" if self.dsp else ", no DSPs")
        return f"{self.fmax_mhz:g} MHz on {self.target} ({how})"


def achieved_mhz(row: Mapping | None) -> float | None:
    """A row's Fmax: nextpnr's (``fmax_mhz``), OpenSTA's (``asic_fmax_mhz``) or, on xc7, the estimate
    (``fmax_estimate_mhz``); None for a missing or failed row."""
    if row is None or row.get("status") != OK:
        return None
    value = row.get(_FMAX_COLUMN.get(row.get("target"), "fmax_mhz"))
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else float(value)


_FMAX_COLUMN = {ASIC: "asic_fmax_mhz", XC7: "fmax_estimate_mhz"}


# --- the search ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Candidate:
    """One design a search may choose: a pipeline depth and the other options that place its registers
    (``(("dsp", "sb_mac16"),)``: the MAC's product register and accumulator inside iCE40 DSPs)."""

    pipeline: int
    options: tuple[tuple[str, object], ...] = ()

    def __str__(self) -> str:
        """``3``, ``3 sb_mac16``, ``5 acc2``: the depth, then each option as design labels write it."""
        return " ".join([str(self.pipeline), *(option_label(name, value) for name, value in self.options)])


def candidate_pipeline(candidate) -> int:
    """The pipeline depth of a search item: a :class:`Candidate` or a bare depth."""
    return candidate.pipeline if isinstance(candidate, Candidate) else candidate


@dataclass(frozen=True)
class Trial:
    """One candidate tried (a :class:`Candidate`, or a bare depth): its Fmax (None: the point failed)
    and its row (None in unit tests)."""

    candidate: object
    fmax_mhz: float | None
    row: Mapping | None = field(default=None, compare=False, repr=False)

    @property
    def pipeline(self) -> int:
        return candidate_pipeline(self.candidate)

    @property
    def options(self) -> dict:
        """The candidate's options besides the pipeline depth."""
        return dict(self.candidate.options) if isinstance(self.candidate, Candidate) else {}


def area_rank(row: Mapping | None) -> tuple:
    """How two designs that both meet a clock at one depth are ranked, smaller first: fewer DSP blocks,
    then fewer LUT + FF (FPGA rows), or less cell area (asic rows); a trial without a row ranks last."""
    if row is None:
        return (1,)
    if row.get("area_um2") is not None:
        return (0, row["area_um2"])
    return (0, row.get("dsps") or 0, (row.get("luts") or 0) + (row.get("ffs") or 0))


class DepthSearch:
    """The search over *depths* (tried in the order given; bare depths or :class:`Candidate`) for the
    smallest depth whose Fmax >= *requested_mhz*: once a candidate meets it, the other candidates of the
    same depth (the same registers placed otherwise) are measured too, and the smallest of those that
    meet (:func:`area_rank`) is chosen.

    Drive it with :meth:`next_depth` and :meth:`record` (so that many searches can share rounds of
    measurements), or call :func:`search_pipeline` with a measuring function.
    """

    def __init__(self, depths: Iterable[int], requested_mhz: float):
        self.depths = tuple(depths)
        if not self.depths:
            raise ValueError("a pipeline search needs at least one depth")
        self.requested_mhz = requested_mhz
        self.trials: list[Trial] = []

    @property
    def met(self) -> bool:
        return self._first_meeting() is not None

    def _meets(self, trial: Trial) -> bool:
        return trial.fmax_mhz is not None and trial.fmax_mhz >= self.requested_mhz

    def _first_meeting(self) -> Trial | None:
        return next((trial for trial in self.trials if self._meets(trial)), None)

    @property
    def done(self) -> bool:
        if len(self.trials) == len(self.depths):
            return True
        first = self._first_meeting()
        return first is not None and candidate_pipeline(self.depths[len(self.trials)]) != first.pipeline

    def next_depth(self) -> int | None:
        """The depth to measure next; None when the search is over."""
        return None if self.done else self.depths[len(self.trials)]

    def record(self, depth: int, fmax_mhz: float | None, row: Mapping | None = None) -> None:
        if depth != self.next_depth():
            raise ValueError(f"the search measures pipeline {self.next_depth()} next, not {depth}")
        self.trials.append(Trial(depth, fmax_mhz, row))

    @property
    def chosen(self) -> Trial | None:
        """The smallest of the candidates that meet at the first meeting depth, or (none meets) the
        smallest of those within :data:`NEAR_FASTEST` of the fastest; None when the search is not
        over or no depth could be measured. Equals in size: the earlier."""
        if not self.done:
            return None
        if (first := self._first_meeting()) is not None:
            rivals = [trial for trial in self.trials
                      if trial.pipeline == first.pipeline and self._meets(trial)]
            return min(rivals, key=lambda trial: area_rank(trial.row))  # first of equals: the earlier
        fastest = fastest_trial(self.trials)
        if fastest is None:
            return None
        near = [trial for trial in self.trials
                if trial.fmax_mhz is not None and trial.fmax_mhz >= fastest.fmax_mhz * (1 - NEAR_FASTEST)]
        return min(near, key=lambda trial: area_rank(trial.row))


def fastest_trial(trials: Iterable[Trial]) -> Trial | None:
    """The fastest of *trials* measured (the earlier of equals); None when none could be measured."""
    return max((trial for trial in trials if trial.fmax_mhz is not None),
               key=lambda trial: trial.fmax_mhz, default=None)


def search_pipeline(depths: Iterable[int], measure: Callable[[int], float | None],
                    requested_mhz: float) -> DepthSearch:
    """Measure *depths* in order with ``measure(depth) -> MHz or None`` until one reaches
    *requested_mhz*; the finished :class:`DepthSearch`."""
    search = DepthSearch(depths, requested_mhz)
    while (depth := search.next_depth()) is not None:
        search.record(depth, measure(depth))
    return search


# --- searches on the tools ----------------------------------------------------------------------------


@dataclass(frozen=True)
class FmaxSearch:
    """One design (unit kind and options, pipeline left out) and the Fmax request to meet."""

    unit: str
    options: str  # canonical JSON of the options without "pipeline"
    request: FmaxRequest

    @classmethod
    def of(cls, unit: str, options: Mapping, request: FmaxRequest) -> "FmaxSearch":
        pipeline_depths(unit)  # a unit without a pipeline option is refused in one line
        return cls(unit, canonical_json({k: v for k, v in options.items() if k != "pipeline"}), request)

    @property
    def candidates(self) -> tuple[Candidate, ...]:
        """What the search tries, in order: the spec kind's candidates for the request's target."""
        request = self.request
        found = spec_kind(self.unit).fmax_candidates(json.loads(self.options), request.target, request.dsp)
        return tuple(Candidate(depth, tuple(overrides)) for depth, overrides in found)

    def point(self, candidate):
        """The design of *candidate* (or of a bare pipeline depth): a sweep's DesignPoint, canonical
        options, defaults filled."""
        from hwgen.fpga.sweep_config import DesignPoint
        from hwgen.fpga.units import canonical_options

        overrides = dict(candidate.options) if isinstance(candidate, Candidate) else {}
        options = {**json.loads(self.options), **overrides, "pipeline": candidate_pipeline(candidate)}
        return DesignPoint(self.unit, canonical_json(canonical_options(self.unit, options)))


@dataclass(frozen=True)
class FmaxChoice:
    """A finished search: the depth chosen (None: no depth could be measured), its Fmax, whether it
    meets the request, its row, and every depth tried in order."""

    search: FmaxSearch
    trials: tuple[Trial, ...]
    chosen: Trial | None

    @property
    def request(self) -> FmaxRequest:
        return self.search.request

    @property
    def met(self) -> bool:
        return self.chosen is not None and self.chosen.fmax_mhz >= self.request.fmax_mhz

    @property
    def pipeline(self) -> int | None:
        return None if self.chosen is None else self.chosen.pipeline

    @property
    def options(self) -> dict:
        """The chosen candidate's options besides the pipeline depth (``{"dsp": "sb_mac16"}``)."""
        return {} if self.chosen is None else self.chosen.options

    @property
    def point(self):
        """The chosen design (a DesignPoint); None when nothing was chosen."""
        return None if self.chosen is None else self.search.point(self.chosen.candidate)

    @property
    def achieved_mhz(self) -> float | None:
        return None if self.chosen is None else self.chosen.fmax_mhz

    @property
    def row(self) -> Mapping | None:
        return None if self.chosen is None else self.chosen.row

    @property
    def failed(self) -> int:
        """Depths whose point failed (not measured)."""
        return sum(trial.fmax_mhz is None for trial in self.trials)

    def tried(self) -> list[dict]:
        return [{"pipeline": trial.pipeline, **trial.options, "fmax_mhz": trial.fmax_mhz,
                 "status": None if trial.row is None else trial.row["status"],
                 "key": None if trial.row is None else trial.row["key"]} for trial in self.trials]

    def store_row(self) -> dict:
        """The row of the store's ``fmax_choices`` table."""
        request, row, search = self.request, self.row, self.search
        tried = self.tried()
        # The rule that chose is part of the key: the same trials choose otherwise under another margin.
        key = content_key({"fmax_choice": 2, "near_fastest": NEAR_FASTEST, "unit": search.unit,
                           "options": search.options,
                           "flow": request.flow.as_json(), "seed": request.seed,
                           "requested_mhz": request.fmax_mhz, "tried": [trial["key"] for trial in tried]})
        return {
            "choice_key": key, "unit": search.unit, "options": search.options, "target": request.target,
            "flow": request.flow.as_json(), "seed": request.seed, "requested_mhz": request.fmax_mhz,
            "achieved_mhz": self.achieved_mhz, "met": self.met, "pipeline": self.pipeline,
            "design": None if row is None else row["design"],
            "result_key": None if row is None else row["key"], "tried": tried,
        }

    def manifest(self) -> dict:
        """What a generated unit's manifest records (``fmax``): both frequencies, the target and flow,
        the depths tried, the area and the tool versions of the measurement."""
        request, row = self.request, self.row
        versions = {"yosys": row.get("yosys_version")}
        if request.target == ASIC:
            versions["sta"] = row.get("sta_version")
        elif request.target != XC7:
            versions[request.tool] = row.get("nextpnr_version")
        timing = {ASIC: "OpenSTA, unit alone", XC7: f"{xc7_timing.METHOD}; not measured"}.get(
            request.target, f"{request.tool} after place and route inside the I/O harness")
        return {"target": request.target, "requested_mhz": request.fmax_mhz,
                "achieved_mhz": self.achieved_mhz, "met": self.met, "pipeline": self.pipeline, **self.options,
                "flow": request.flow.as_json(), "seed": request.seed, "timing": timing,
                "area": area_columns(row), "critical_path": critical_path(row),
                "measured_module": row["design"],
                "measured_verilog_sha256": row["verilog_sha256"], "tools": versions,
                "tried": [{k: v for k, v in t.items() if k != "key"} for t in self.tried()]}

    def lines(self) -> list[str]:
        """The choice in two lines: the result, and every depth tried with its Fmax."""
        request = self.request
        tried = ", ".join(f"{trial.candidate}: " + ("failed" if trial.fmax_mhz is None else
                                                    f"{trial.fmax_mhz:.2f} MHz") for trial in self.trials)
        label = f"fmax {request.describe()}"
        if self.chosen is None:
            return [f"{label}: no pipeline depth could be measured (every point failed; errors above)",
                    f"  tried pipeline {tried}"]
        area = area_text(self.row)
        chosen = self.chosen.candidate
        if self.met:
            rivals = sum(trial.pipeline == self.chosen.pipeline and trial.fmax_mhz is not None
                         and trial.fmax_mhz >= request.fmax_mhz for trial in self.trials)
            smallest = f", the smallest of the {rivals} that do there" if rivals > 1 else ""
            result = (f"pipeline {chosen} reaches {self.achieved_mhz:.2f} MHz (met: true), the "
                      f"smallest depth that does{smallest}; {area}")
        else:
            depths = sorted({trial.pipeline for trial in self.trials})
            fastest = fastest_trial(self.trials)
            if fastest.fmax_mhz > self.achieved_mhz:
                highest = (f"the highest is {fastest.fmax_mhz:.2f} MHz with pipeline {fastest.candidate}; "
                           f"chosen: pipeline {chosen} at {self.achieved_mhz:.2f} MHz, the smallest "
                           f"within {NEAR_FASTEST:.0%} of it")
            else:
                highest = f"the highest is {self.achieved_mhz:.2f} MHz with pipeline {chosen}, chosen"
            result = (f"not reached by any pipeline {depths[0]}..{depths[-1]}: {highest} (met: false); "
                      f"{area}")
        failed = f"; {self.failed} depth(s) failed and were passed over" if self.failed else ""
        lines = [f"{label}: {result}{failed}", f"  tried pipeline {tried}"]
        if not self.met:
            lines.append(f"  why: the chosen design's critical path is {critical_path(self.row)}")
        return lines


def critical_path(row: Mapping) -> str:
    """What limits a row's Fmax, as its timing tool reported it."""
    if row["target"] == ASIC:
        return f"{row['critical_path_ns']:.3f} ns of data arrival (OpenSTA, unit alone)"
    if row["target"] == XC7:
        return row.get("estimate_critical_path") or "not estimated"
    return row.get("pnr_critical_path") or "not recorded (the row was measured before hwgen kept it)"


def area_columns(row: Mapping) -> dict:
    """The chosen row's area: LUTs and FFs of the unit alone (and placed logic cells with the harness),
    or asic cell area and cells."""
    if row["target"] == ASIC:
        return {"area_um2": row["area_um2"], "cells": row["cells"], "ffs": row["ffs"]}
    return {"luts": row["luts"], "ffs": row["ffs"], "carries": row["carries"], "dsps": row["dsps"],
            "pnr_logic_cells": row["pnr_logic_cells"]}


def area_text(row: Mapping) -> str:
    area = area_columns(row)
    if row["target"] == ASIC:
        return f"area {area['area_um2']:,.0f} um2, {area['cells']} cells ({area['ffs']} FFs)"
    dsps = f", {area['dsps']} DSP" if area["dsps"] else ""
    if area["pnr_logic_cells"] is None:
        return f"area {area['luts']} LUT, {area['ffs']} FF{dsps} (unit alone)"
    return (f"area {area['luts']} LUT, {area['ffs']} FF{dsps} (unit alone; {area['pnr_logic_cells']} "
            f"placed logic cells with the I/O harness)")


@dataclass
class FmaxRun:
    """What :func:`run_searches` did: the choices, every key it measured or found (in order), counts."""

    choices: list[FmaxChoice] = field(default_factory=list)
    keys: list[str] = field(default_factory=list)
    cached: int = 0
    computed: int = 0
    failed: int = 0


def run_searches(searches: Sequence[FmaxSearch], store, *, executor, work_root, timeout_s: float | None,
                 keep_work: bool = False, retry_failed: bool = False, progress=None,
                 seeds: Sequence[int] = ()) -> FmaxRun:
    """Run *searches* side by side on *executor* (left open), measuring into *store*.

    Each round measures the next depth of every unfinished search, as ordinary sweep points (cached
    rows are reused). *seeds*: nextpnr seeds the chosen designs are also measured with, as ordinary
    points (the search itself uses its request's seed). Each choice goes into the store's
    ``fmax_choices`` table.
    """
    from hwgen.fpga.sweep import measure_plan, rows_by_key
    from hwgen.fpga.sweep_config import SweepPlan

    run = FmaxRun()
    searches = list(dict.fromkeys(searches))
    states = {search: DepthSearch(search.candidates, search.request.fmax_mhz) for search in searches}

    def measure(wanted: list[tuple[FmaxSearch, object, FlowSpec, tuple]]) -> dict:
        """Measure (search, point, flow, seeds) items in as few plans as possible; rows by (point, flow,
        seed)."""
        found = {}
        for layer in _layers(wanted):
            designs = tuple(dict.fromkeys(point for _, point, _, _ in layer))
            flows = tuple(dict.fromkeys(flow for _, _, flow, _ in layer))
            targets = {}
            for _, point, flow, _ in layer:
                targets.setdefault(point, set()).add(flow.target)
            plan = SweepPlan(designs, flows, layer[0][3], timeout_s, name="fmax",
                             only=tuple((point, tuple(sorted(names))) for point, names in targets.items()))
            summary = measure_plan(plan, store, executor=executor, work_root=work_root, keep_work=keep_work,
                                   retry_failed=retry_failed, progress=progress)
            run.keys.extend(summary.keys)
            run.cached += summary.cached
            run.computed += summary.computed
            run.failed += summary.failed
            rows = {row["key"]: row for row in rows_by_key(store, summary.keys)}
            found.update({point: rows.get(key) for point, key in summary.point_keys.items()})
        return found

    while True:
        wanted, candidates = [], {}
        for search, state in states.items():
            candidate = state.next_depth()
            if candidate is not None:
                request = search.request
                candidates[search] = candidate
                seeds_ = (request.seed or DEFAULT_SEED,)
                wanted.append((search, search.point(candidate), request.flow, seeds_))
        if not wanted:
            break
        found = measure(wanted)
        for search, point, flow, seeds_ in wanted:
            row = found.get((point, flow, seeds_[0] if flow.pnr else None))
            states[search].record(candidates[search], achieved_mhz(row), row)

    for search, state in states.items():
        choice = FmaxChoice(search, tuple(state.trials), state.chosen)
        run.choices.append(choice)
        store.add_fmax_choice(choice.store_row())
    more = [(choice.search, choice.point, choice.request.flow, others)
            for choice in run.choices if choice.chosen is not None and choice.request.flow.pnr
            and (others := tuple(seed for seed in seeds if seed != choice.request.seed))]
    if more:  # the chosen designs on the sweep's other seeds: ordinary points
        measure(more)
    run.keys = list(dict.fromkeys(run.keys))
    return run


def _layers(wanted: list) -> list[list]:
    """Split measurement items into plans: one seed list per plan, one flow per target in each."""
    layers: list[list] = []
    for item in wanted:
        _, _, flow, seeds = item
        for layer in layers:
            if layer[0][3] == seeds and all(other.target != flow.target or other == flow
                                            for _, _, other, _ in layer):
                layer.append(item)
                break
        else:
            layers.append([item])
    return layers


__all__ = ["FMAX_TARGETS", "MAX_FMAX_MHZ", "XC7", "Candidate", "DepthSearch", "FmaxChoice",
           "FmaxRequest", "FmaxRun",
           "FmaxSearch", "Trial", "achieved_mhz", "area_rank", "area_text", "check_fmax", "check_fmax_target",
           "clock_ns_for", "fmax_error", "has_pipeline", "pipeline_depths", "run_searches",
           "search_pipeline"]
