"""Running a sweep: measure every point of a :class:`~hwgen.fpga.sweep_config.SweepPlan` missing from
the results store, on one of the executors of :mod:`hwgen.fpga.executors`.

The coordinator (this process) is the only writer of the results store. It generates or loads each
design's Verilog, computes every point's content key, skips the keys the store already has, and
sends the rest to workers as :class:`hwgen.fpga.points.Task` objects; each finished task's rows are
inserted in one transaction as they arrive. Killing the coordinator at any moment therefore loses
only in-flight points; running the same sweep again computes exactly those.
"""

import json
import os
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from hwgen.fpga import io_harness, units
from hwgen.fpga.executors import InlineExecutor
from hwgen.fpga.points import FAILED, OK, FlowSpec, Task, failed_rows, point_key, run_task, tool_versions
from hwgen.fpga.sweep_config import DesignPoint, SweepPlan
from hwgen.fpga.sweep_progress import Progress
from hwgen.fpga.targets import ASIC
from hwgen.fpga.units import GeneratedDesign, canonical_json, generator_fingerprint
from hwgen.results.store import ResultStore, content_key


@dataclass
class SweepSummary:
    """What one run of a plan did."""

    keys: list[str] = field(default_factory=list)  # every point of the plan, in plan order
    cached: int = 0
    computed: int = 0
    failed: int = 0  # failed or timed-out rows among the plan's points, cached ones included
    seconds: float = 0.0
    fmax: list = field(default_factory=list)  # the plan's Fmax searches' choices (hwgen.fpga.fmax)
    # (design, flow, seed) -> its key: designs of equal Verilog share a key (and a row naming one config)
    point_keys: dict = field(default_factory=dict)

    @property
    def total(self) -> int:
        return len(self.keys)


def generate_design(unit: str, config: str) -> GeneratedDesign:
    """Pool / Dask task: a design's Verilog."""
    return units.get_unit(unit).generate(json.loads(config))


def run_sweep(plan: SweepPlan, store: ResultStore, *, executor=None, work_root: os.PathLike | str,
              keep_work: bool = False, retry_failed: bool = False,
              progress: Progress | None = None) -> SweepSummary:
    """Measure every point of *plan* missing from *store* (see the module docstring), then run the
    plan's Fmax searches (:mod:`hwgen.fpga.fmax`): their tried points' keys follow the plan's in the
    summary's ``keys``, and their choices are its ``fmax``.

    Raises ``ToolNotFoundError`` before anything runs when a tool the plan needs is missing.
    """
    executor = executor or InlineExecutor()
    progress = progress or Progress(enabled=False)
    try:
        started = time.monotonic()
        summary = measure_plan(plan, store, executor=executor, work_root=work_root, keep_work=keep_work,
                               retry_failed=retry_failed, progress=progress)
        searches = plan.fmax_searches()
        if searches:
            from hwgen.fpga.fmax import run_searches

            found = run_searches(searches, store, executor=executor, work_root=work_root,
                                 timeout_s=plan.timeout_s, keep_work=keep_work, retry_failed=retry_failed,
                                 progress=progress, seeds=plan.seeds)
            summary.keys = list(dict.fromkeys([*summary.keys, *found.keys]))
            summary.cached += found.cached
            summary.computed += found.computed
            summary.failed += found.failed
            summary.fmax = found.choices
            summary.seconds = time.monotonic() - started
        return summary
    finally:
        executor.close()
        progress.close()


def measure_plan(plan: SweepPlan, store: ResultStore, *, executor, work_root: os.PathLike | str,
                 keep_work: bool = False, retry_failed: bool = False,
                 progress: Progress | None = None) -> SweepSummary:
    """Measure the points of *plan* (not its Fmax searches) missing from *store* on *executor*, which is
    left open (several plans may share it, as the Fmax searches' rounds do)."""
    run = _SweepRun(plan, store, executor, Path(work_root).resolve(), keep_work, retry_failed,
                    progress or Progress(enabled=False))
    return run.run()


_DESIGN, _TASK = "design", "task"
_MAX_ATTEMPTS = 2  # a task whose worker died or was lost is sent once more


class _SweepRun:
    """The coordinator of one run of a plan: the only writer of the store."""

    def __init__(self, plan, store, executor, work_root, keep_work, retry_failed, progress):
        self.plan, self.store, self.executor = plan, store, executor
        self.work_root, self.keep_work, self.retry_failed, self.progress = (work_root, keep_work,
                                                                            retry_failed, progress)
        self.versions = tool_versions(plan.tools())
        self.fingerprint = generator_fingerprint()
        self.summary = SweepSummary()
        self.pending: dict = {}  # future -> (kind, item, attempt)
        self.requested: set = set()
        self.order: dict[str, tuple] = {}  # key -> its place in the plan
        self.design_rank = {point: index for index, point in enumerate(plan.designs)}
        self.pnr_flows = tuple(flow for flow in plan.flows if flow.pnr)  # the harness-cost points' flows

    def add_keys(self, point: DesignPoint, flow_index: int, flow: FlowSpec, keys: list[str]) -> None:
        # Plan order: the plan's designs, then harness-cost points by size; flows; seeds.
        rank = ((0, self.design_rank[point]) if point in self.design_rank
                else (1, tuple(sorted(point.options.items()))))
        seeds = self.plan.seeds if flow.pnr else (None,)
        for seed_index, (seed, key) in enumerate(zip(seeds, keys, strict=True)):
            self.order.setdefault(key, (rank, flow_index, seed_index))
            self.summary.point_keys[(point, flow, seed)] = key

    def run(self) -> SweepSummary:
        started = time.monotonic()
        self.progress.add(total=self.plan.points)
        for point in self.plan.designs:
            self.request_design(point, self.plan.flows_for(point), counted=True)
        self.progress.show("started")
        while self.pending:
            for future in self.executor.wait_any(list(self.pending)):
                kind, item, attempt = self.pending.pop(future)
                try:
                    value = future.result()
                except Exception as error:
                    self.lost(kind, item, attempt, error)
                    continue
                if kind == _DESIGN:
                    self.design_generated(item, value)
                else:
                    self.finished(value, item.label)
        self.summary.keys = sorted(self.order, key=self.order.get)
        self.summary.seconds = time.monotonic() - started
        return self.summary

    def submit(self, kind: str, item, attempt: int = 1) -> None:
        if kind == _DESIGN:
            point = item[0]
            future = self.executor.submit(generate_design, point.unit, point.config)
        else:
            future = self.executor.submit(run_task, item)
        self.pending[future] = (kind, item, attempt)

    def design_key(self, point: DesignPoint) -> str:
        return content_key({"unit": point.unit, "config": point.config, "generator": self.fingerprint})

    def request_design(self, point: DesignPoint, flows: tuple[FlowSpec, ...], counted: bool) -> None:
        """Measure *point* with *flows*; *counted*: the plan's total already includes these points."""
        if (point, flows) in self.requested:
            return
        self.requested.add((point, flows))
        found = self.store.get_design(self.design_key(point))
        if found is None:
            self.submit(_DESIGN, (point, flows, counted))
            return
        design = GeneratedDesign(point.unit, point.config, found["module"], found["verilog"],
                                 tuple(found["ports"]), found["details"])
        self.design_ready(point, design, flows, counted)

    def design_generated(self, item, design: GeneratedDesign) -> None:
        point, flows, counted = item
        self.store.add_design(self.design_key(point), unit=design.unit, config=design.config,
                              module=design.module, verilog=design.verilog, ports=design.ports,
                              details=design.details)
        self.design_ready(point, design, flows, counted)

    def design_ready(self, point: DesignPoint, design: GeneratedDesign, flows: tuple[FlowSpec, ...],
                     counted: bool) -> None:
        try:  # the harness needs ports it can drive (e.g. at least one output)
            all_keys = [[point_key(design, flow, seed, self.versions)
                         for seed in (self.plan.seeds if flow.pnr else (None,))] for flow in flows]
            bits = io_harness.port_bits(design.ports) if any(flow.pnr for flow in flows) else None
        except ValueError as error:
            self.lost(_DESIGN, (point, flows, counted), _MAX_ATTEMPTS, error)
            return
        for flow_index, (flow, keys) in enumerate(zip(flows, all_keys, strict=True)):
            seeds = self.plan.seeds if flow.pnr else (None,)
            self.add_keys(point, flow_index, flow, keys)
            finished = {row["key"]: row["status"] for row in rows_by_key(self.store, keys)}
            if self.retry_failed:
                finished = {key: status for key, status in finished.items() if status == OK}
            failed = sum(status != OK for status in finished.values())
            self.summary.cached += len(finished)
            self.summary.failed += failed
            self.progress.add(total=0 if counted else len(keys), cached=len(finished), failed_cached=failed)
            missing = [(seed, key) for seed, key in zip(seeds, keys, strict=True) if key not in finished]
            if missing:
                folder = self.work_root / design.module / f"{flow.tag}-{missing[0][1][:12]}"
                self.submit(_TASK, Task(design, flow, tuple(seed for seed, _ in missing),
                                        tuple(key for _, key in missing), self.versions, str(folder),
                                        self.plan.timeout_s, self.keep_work,
                                        label=f"{design.module} {flow.tag}"))
        if self.plan.harness_cost and bits and design.unit != "null":
            null = {"inputs": bits.input_bits, "outputs": bits.output_bits}
            self.request_design(DesignPoint("null", canonical_json(null)), self.pnr_flows, counted=False)

    def finished(self, rows: list[dict], label: str) -> None:
        self.store.add_rows(rows, replace=self.retry_failed)
        self.summary.computed += len(rows)
        self.summary.failed += sum(row["status"] != OK for row in rows)
        self.progress.finished(rows, label)

    def lost(self, kind: str, item, attempt: int, error: BaseException) -> None:
        """A future raised: the worker died, the cluster lost it, or generation failed."""
        if attempt < _MAX_ATTEMPTS:
            self.submit(kind, item, attempt + 1)
            return
        if kind == _DESIGN:
            point, flows, counted = item
            rows = _generation_failed(point, flows, self.plan, self.fingerprint, error, self.versions)
            for flow_index, flow in enumerate(flows):
                keys = [row["key"] for row in rows if row["flow"] == flow.as_json()]
                self.add_keys(point, flow_index, flow, keys)
            self.progress.add(total=0 if counted else len(rows))
            self.finished(rows, f"{point.unit} {point.config}")
        else:
            reason = f"worker lost the task: {type(error).__name__}: {error}"
            self.finished(failed_rows(item, reason), item.label)


def rows_by_key(store: ResultStore, keys: Sequence[str]) -> list[dict]:
    """The stored rows of those of *keys* the store has."""
    found = store.finished_keys(keys)
    if not found:
        return []
    marks = ",".join("?" * len(found))
    return store.rows(f"WHERE key IN ({marks})", sorted(found))


def _generation_failed(point: DesignPoint, flows, plan: SweepPlan, fingerprint: str, error: BaseException,
                       versions: Mapping[str, str]) -> list[dict]:
    """Rows for a design that could not be generated or measured at all, keyed by its options."""
    rows = []
    for flow in flows:
        for seed in plan.seeds if flow.pnr else (None,):
            key = content_key({"generation_failed": True, "unit": point.unit, "config": point.config,
                               "generator": fingerprint, "flow": flow.as_json(), "seed": seed})
            rows.append({"key": key, "unit": point.unit, "design": "", "config": point.config,
                         "target": flow.target, "dsp_allowed": flow.dsp, "pnr": flow.pnr, "seed": seed,
                         "flow": flow.as_json(), "yosys_version": versions.get("yosys"), "status": FAILED,
                         "error": " ".join(f"design failed: {type(error).__name__}: "
                                           f"{error}".split())})
            if flow.target == ASIC:
                rows[-1].update(library=flow.library, clock_ns=flow.clock_ns)
    return rows


def plan_table(store: ResultStore, keys: Sequence[str]):
    """The rows of *keys* as a DataFrame in plan order (each key once)."""
    frame = store.dataframe()
    order = {key: index for index, key in enumerate(dict.fromkeys(keys))}
    frame = frame[frame["key"].isin(order)]
    return frame.assign(_order=frame["key"].map(order)).sort_values("_order").drop(columns="_order") \
        .reset_index(drop=True)



__all__ = ["SweepSummary", "measure_plan", "plan_table", "rows_by_key", "run_sweep"]
