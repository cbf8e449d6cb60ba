"""Sweeps: units x formats x parameters x targets from a TOML file, run on a process pool or Dask.

The coordinator (this process) is the only writer of the results store. It generates or loads each
design's Verilog, computes every point's content key, skips the keys the store already has, and
sends the rest to workers as :class:`hwgen.fpga.points.Task` objects; each finished task's rows are
inserted in one transaction as they arrive. Killing the coordinator at any moment therefore loses
only in-flight points; running the same sweep again computes exactly those.

See ``docs/synthesis.md`` for the TOML format.
"""

import concurrent.futures
import itertools
import json
import os
import sys
import time
import tomllib
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path

from hwgen import lifetime, toolchain
from hwgen.formats import get_format
from hwgen.fpga import asic, io_harness, units
from hwgen.fpga.activity import DEFAULT_MACS, MAX_MACS
from hwgen.fpga.pnr import DEFAULT_FREQ_MHZ, DEFAULT_SEED, PNR_TARGETS
from hwgen.fpga.points import (
    FAILED,
    GATES,
    OK,
    FlowSpec,
    Task,
    failed_rows,
    point_key,
    run_task,
    tool_versions,
)
from hwgen.fpga.targets import ASIC, TARGET_NAMES
from hwgen.fpga.units import GeneratedDesign, canonical_json, generator_fingerprint
from hwgen.results.store import ResultStore, content_key

MAX_POINTS = 100_000
DEFAULT_TIMEOUT_S = 3600.0


@dataclass(frozen=True)
class DesignPoint:
    """One design of a sweep: a unit kind and its canonical options."""

    unit: str
    config: str  # canonical JSON of the options, defaults filled in

    @property
    def options(self) -> dict:
        return json.loads(self.config)


@dataclass(frozen=True)
class SweepPlan:
    """A parsed sweep: every design is measured with every flow (and every seed where placed), or
    with the flows of the targets its unit table names (``only``: design -> targets)."""

    designs: tuple[DesignPoint, ...]
    flows: tuple[FlowSpec, ...]
    seeds: tuple[int, ...] = (DEFAULT_SEED,)
    timeout_s: float | None = DEFAULT_TIMEOUT_S
    harness_cost: bool = False
    name: str = "sweep"
    only: tuple[tuple[DesignPoint, tuple[str, ...]], ...] = ()

    def flows_for(self, design: DesignPoint) -> tuple[FlowSpec, ...]:
        targets = dict(self.only).get(design)
        return self.flows if targets is None else tuple(f for f in self.flows if f.target in targets)

    @property
    def points(self) -> int:
        """Rows the plan makes (harness-cost points, found only once designs exist, not included)."""
        return sum(len(self.seeds) if flow.pnr else 1 for design in self.designs
                   for flow in self.flows_for(design))

    def tools(self) -> set[str]:
        return {tool for flow in self.flows for tool in (*flow.tools, *flow.energy_tools)}


# --- the TOML file -----------------------------------------------------------------------------

_TOP_KEYS = ("sweep", "units", "targets")
_SWEEP_KEYS = ("name", "description", "seeds", "timeout_s", "freq_mhz", "harness_cost")
_UNIT_KEYS = ("kind", "formats", "params", "targets")
_TARGET_KEYS = ("dsp", "pnr", "freq_mhz")
_GATES_KEYS = (*_TARGET_KEYS, "energy", "energy_macs")
_ASIC_KEYS = ("library", "clock_ns")


def load_config(path: os.PathLike | str) -> SweepPlan:
    """Read a sweep TOML file; ``ValueError`` with one line naming the file and the bad key or value."""
    path = Path(path)
    try:
        text = path.read_text()
    except OSError as error:
        raise ValueError(f"cannot read sweep config {path}: {error.strerror}") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ValueError(f"{path}: malformed TOML: {error}") from None
    try:
        return parse_config(data)
    except (ValueError, TypeError) as error:
        raise ValueError(f"{path}: {error}") from None


def parse_config(data: Mapping) -> SweepPlan:
    _known(data, _TOP_KEYS, "")
    sweep = _table(data.get("sweep", {}), "sweep")
    _known(sweep, _SWEEP_KEYS, "sweep.")
    seeds = tuple(_int_list(sweep.get("seeds", [DEFAULT_SEED]), "sweep.seeds", 0, 2**31 - 1))
    if not seeds or len(set(seeds)) != len(seeds):
        raise ValueError("sweep.seeds must be a non-empty list of different integers")
    timeout = _number(sweep.get("timeout_s", DEFAULT_TIMEOUT_S), "sweep.timeout_s", 1, 7 * 24 * 3600)
    freq = _number(sweep.get("freq_mhz", DEFAULT_FREQ_MHZ), "sweep.freq_mhz", 0.001, 10_000)
    harness_cost = _bool(sweep.get("harness_cost", False), "sweep.harness_cost")
    name = sweep.get("name", "sweep")
    if not isinstance(name, str):
        raise TypeError(f"sweep.name must be a string, not {type(name).__name__}")

    if "units" not in data:
        raise ValueError("missing [[units]]: a sweep needs at least one unit")
    unit_tables = data["units"]
    if not isinstance(unit_tables, list) or not unit_tables:
        raise ValueError("units must be an array of tables ([[units]])")
    designs = []
    only: dict[DesignPoint, set[str] | None] = {}  # None: every target
    for index, table in enumerate(unit_tables):
        table = _table(table, f"units[{index}]")
        found = _unit_designs(table, f"units[{index}]")
        targets = _unit_targets(table, f"units[{index}]", data)
        designs.extend(found)
        for point in found:
            before = only.get(point, set())
            only[point] = None if targets is None or before is None else before | targets
    designs = tuple(dict.fromkeys(designs))  # the same design twice is measured once

    if "targets" not in data:
        raise ValueError(f"missing [targets]: name at least one of {', '.join(TARGET_NAMES)}")
    targets = _table(data["targets"], "targets")
    if not targets:
        raise ValueError(f"[targets] is empty: name at least one of {', '.join(TARGET_NAMES)}")
    flows = []
    for target, options in targets.items():
        if target not in TARGET_NAMES:
            raise ValueError(f"unknown target {target!r} in [targets]; targets are {', '.join(TARGET_NAMES)}")
        flows.extend(_target_flows(target, _table(options, f"targets.{target}"), freq))
    restricted = tuple((point, tuple(sorted(targets))) for point, targets in only.items()
                       if targets is not None)
    plan = SweepPlan(designs, tuple(dict.fromkeys(flows)), seeds, timeout, harness_cost, name, restricted)
    if plan.points > MAX_POINTS:
        raise ValueError(f"the sweep has {plan.points} points, more than {MAX_POINTS}")
    return plan


def _unit_targets(table: Mapping, where: str, data: Mapping) -> set[str] | None:
    """The targets a unit table limits its designs to (``targets = ["gates"]``), None for all."""
    if "targets" not in table:
        return None
    targets = table["targets"]
    if not isinstance(targets, list) or not targets or not all(isinstance(t, str) for t in targets):
        raise ValueError(f"{where}.targets must be a non-empty list of target names")
    named = data.get("targets", {})
    for target in targets:
        if not isinstance(named, Mapping) or target not in named:
            raise ValueError(f"{where}.targets: {target!r} is not a target of [targets]")
    return set(targets)


def _unit_designs(table: Mapping, where: str) -> list[DesignPoint]:
    _known(table, _UNIT_KEYS, f"{where}.")
    if "kind" not in table:
        raise ValueError(f"{where}: missing key 'kind' (one of {', '.join(units.UNIT_NAMES)})")
    kind = units.get_unit(table["kind"])
    params = _table(table.get("params", {}), f"{where}.params")
    allowed = kind.options
    for name in params:
        if name not in allowed or (kind.uses_formats and "formats" in table and name in ("a", "b")):
            takes = [o for o in allowed if o not in ("a", "b") or "formats" not in table]
            raise ValueError(f"unknown key '{where}.params.{name}'; unit {kind.name} takes "
                             f"{', '.join(takes)}")
    value_lists = {name: value if isinstance(value, list) else [value] for name, value in params.items()}
    for name, values in value_lists.items():
        if not values:
            raise ValueError(f"{where}.params.{name} is an empty list")
    if "formats" in table:
        if not kind.uses_formats:
            raise ValueError(f"unknown key '{where}.formats': unit {kind.name} takes no formats")
        formats = table["formats"]
        if not isinstance(formats, list) or not formats:
            raise ValueError(f"{where}.formats must be a non-empty list of format names")
        pairs = [parse_format_pair(spec, f"{where}.formats[{i}]") for i, spec in enumerate(formats)]
        value_lists = {"a": [a for a, _ in pairs], "b": [b for _, b in pairs], **value_lists}
        zipped = ("a", "b")  # a and b vary together, one pair per entry of formats
    else:
        zipped = ()
    names = [name for name in value_lists if name not in zipped]
    points = []
    pair_count = len(value_lists["a"]) if zipped else 1
    for pair_index in range(pair_count):
        base = {name: value_lists[name][pair_index] for name in zipped}
        for combination in itertools.product(*(value_lists[name] for name in names)):
            options = {**base, **dict(zip(names, combination, strict=True))}
            try:
                canonical = units.canonical_options(kind.name, options)
            except TypeError as error:  # e.g. a missing required option
                raise ValueError(f"{where}: {error}") from None
            except ValueError as error:
                raise ValueError(f"{where} {canonical_json(options)}: {error}") from None
            points.append(DesignPoint(kind.name, canonical_json(canonical)))
    return points


def parse_format_pair(spec, where: str = "format") -> tuple[str, str]:
    """``"int8"`` -> (int8, int8); ``"dint4xint8"`` -> (dint4, int8); ``{a = ..., b = ...}`` as given."""
    if isinstance(spec, Mapping):
        _known(spec, ("a", "b"), f"{where}.")
        if set(spec) != {"a", "b"}:
            raise ValueError(f"{where} needs both 'a' and 'b'")
        for side in ("a", "b"):
            _check_format(spec[side], f"{where}.{side}")
        return spec["a"], spec["b"]
    if not isinstance(spec, str):
        raise TypeError(f"{where} must be a format name or {{a = ..., b = ...}}, not {type(spec).__name__}")
    if _is_format(spec):
        return spec, spec
    for index, char in enumerate(spec):
        if char == "x" and _is_format(spec[:index]) and _is_format(spec[index + 1:]):
            return spec[:index], spec[index + 1:]
    raise ValueError(f"{where}: unknown format {spec!r} (a registry name, or A x B written as e.g. "
                     f"dint4xint8; see `hwgen formats`)")


def _is_format(name: str) -> bool:
    try:
        get_format(name)
    except (ValueError, TypeError, KeyError):
        return False
    return True


def _check_format(name, where: str) -> None:
    if not isinstance(name, str) or not _is_format(name):
        raise ValueError(f"{where}: unknown format {name!r} (see `hwgen formats`)")


def _target_flows(target: str, table: Mapping, default_freq: float) -> list[FlowSpec]:
    if target == ASIC:
        return _asic_flows(table)
    _known(table, _GATES_KEYS if target == GATES else _TARGET_KEYS, f"targets.{target}.")
    energy = _bool(table.get("energy", False), f"targets.{target}.energy")
    energy_macs = table.get("energy_macs", DEFAULT_MACS)
    if isinstance(energy_macs, bool) or not isinstance(energy_macs, int) or not 1 <= energy_macs <= MAX_MACS:
        raise ValueError(f"targets.{target}.energy_macs must be an integer between 1 and {MAX_MACS}, "
                         f"not {energy_macs!r}")
    if "energy_macs" in table and not energy:
        raise ValueError(f"targets.{target}.energy_macs needs energy = true")
    dsp_values = table.get("dsp", True)
    dsp_values = dsp_values if isinstance(dsp_values, list) else [dsp_values]
    if not dsp_values:
        raise ValueError(f"targets.{target}.dsp is an empty list")
    pnr = _bool(table.get("pnr", False), f"targets.{target}.pnr")
    if pnr and target not in PNR_TARGETS:
        raise ValueError(f"targets.{target}.pnr: place and route is available for {', '.join(PNR_TARGETS)}, "
                         f"not {target}")
    freq = _number(table.get("freq_mhz", default_freq), f"targets.{target}.freq_mhz", 0.001, 10_000)
    return [FlowSpec(target, _bool(dsp, f"targets.{target}.dsp"), pnr, freq if pnr else DEFAULT_FREQ_MHZ,
                     energy=energy, energy_macs=energy_macs) for dsp in dict.fromkeys(dsp_values)]


def _asic_flows(table: Mapping) -> list[FlowSpec]:
    """One flow per library and clock period (each a value or a list)."""
    _known(table, _ASIC_KEYS, "targets.asic.")
    libraries = _value_list(table.get("library", asic.DEFAULT_LIBRARY), "targets.asic.library")
    for library in libraries:
        try:
            toolchain.check_library_name(library)
        except ValueError as error:
            raise ValueError(f"targets.asic.library: {error}") from None
    clocks = [_number(clock, "targets.asic.clock_ns", asic.MIN_CLOCK_NS, asic.MAX_CLOCK_NS)
              for clock in _value_list(table.get("clock_ns", asic.DEFAULT_CLOCK_NS), "targets.asic.clock_ns")]
    return [FlowSpec(ASIC, library=library, clock_ns=clock) for library in libraries for clock in clocks]


def _value_list(value, where: str) -> list:
    values = value if isinstance(value, list) else [value]
    if not values:
        raise ValueError(f"{where} is an empty list")
    return values


def _known(table: Mapping, allowed: Sequence[str], prefix: str) -> None:
    for key in table:
        if key not in allowed:
            raise ValueError(f"unknown key '{prefix}{key}'; allowed: {', '.join(allowed)}")


def _table(value, where: str) -> Mapping:
    if not isinstance(value, Mapping):
        raise TypeError(f"{where} must be a table, not {type(value).__name__}")
    return value


def _bool(value, where: str) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"{where} must be true or false, not {value!r}")
    return value


def _number(value, where: str, low: float, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
        raise ValueError(f"{where} must be a number between {low:g} and {high:g}, not {value!r}")
    return float(value)


def _int_list(value, where: str, low: int, high: int) -> list[int]:
    values = value if isinstance(value, list) else [value]
    for item in values:
        if isinstance(item, bool) or not isinstance(item, int) or not low <= item <= high:
            raise ValueError(f"{where} must hold integers between {low} and {high}, not {item!r}")
    return values


# --- executors ---------------------------------------------------------------------------------


class InlineExecutor:
    """Runs each task at once in this process (one design from `hwgen synth`, or --jobs 1 debugging)."""

    def submit(self, function: Callable, *args) -> concurrent.futures.Future:
        future = concurrent.futures.Future()
        try:
            future.set_result(function(*args))
        except Exception as error:
            future.set_exception(error)
        return future

    def wait_any(self, futures: Iterable) -> set:
        return set(futures)

    def close(self) -> None:
        pass


class LocalExecutor:
    """A process pool of *jobs* workers (spawned), which end with this process however it ends."""

    def __init__(self, jobs: int):
        self.jobs = jobs
        self._pool = self._new_pool()

    def _new_pool(self):
        return lifetime.process_pool(self.jobs)

    def submit(self, function: Callable, *args):
        try:
            return self._pool.submit(function, *args)
        except BrokenProcessPool:
            self._pool.shutdown(wait=False, cancel_futures=True)  # a worker died: start a fresh pool
            self._pool = self._new_pool()
            return self._pool.submit(function, *args)

    def wait_any(self, futures: Iterable) -> set:
        return concurrent.futures.wait(futures, return_when=concurrent.futures.FIRST_COMPLETED).done

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


class DaskExecutor:
    """Tasks on a Dask distributed cluster (the workers need hwgen and the tools installed)."""

    def __init__(self, address: str):
        try:
            from distributed import Client
        except ImportError:
            raise ValueError("--scheduler needs Dask: pip install 'dask[distributed]'") from None
        try:
            self.client = Client(address, timeout="30s")
        except OSError as error:
            raise ValueError(f"cannot reach the Dask scheduler at {address}: {error}") from None

    def submit(self, function: Callable, *args):
        return self.client.submit(function, *args, pure=False)

    def wait_any(self, futures: Iterable) -> set:
        from distributed import wait

        return set(wait(list(futures), return_when="FIRST_COMPLETED").done)

    def close(self) -> None:
        self.client.close()


def make_executor(jobs: int | None = None, scheduler: str | None = None):
    if scheduler:
        return DaskExecutor(scheduler)
    jobs = (os.cpu_count() or 1) if jobs is None else jobs
    if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1:
        raise ValueError(f"--jobs must be an integer >= 1, not {jobs!r}")
    return LocalExecutor(jobs)


# --- progress --------------------------------------------------------------------------------


class Progress:
    """``[done/total] pct  cached  failed  elapsed  ETA  last point`` on standard error."""

    def __init__(self, stream=None, enabled: bool = True):
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = enabled
        self.total = self.done = self.cached = self.failed = self.computed = 0
        self.started = time.monotonic()
        self._tty = hasattr(self.stream, "isatty") and self.stream.isatty()

    def add(self, total: int = 0, cached: int = 0, failed_cached: int = 0) -> None:
        self.total += total
        self.done += cached
        self.cached += cached
        self.failed += failed_cached

    def finished(self, rows: Sequence[Mapping], label: str) -> None:
        self.done += len(rows)
        self.computed += len(rows)
        failed = sum(row["status"] != OK for row in rows)
        self.failed += failed
        statuses = ", ".join(sorted({row["status"] for row in rows}))
        self.show(f"{label}: {statuses}")

    def show(self, message: str = "") -> None:
        if not self.enabled:
            return
        elapsed = time.monotonic() - self.started
        remaining = self.total - self.done
        if remaining == 0:
            eta = "done"
        elif self.computed:
            eta = _duration(elapsed / self.computed * remaining)
        else:
            eta = "?"
        percent = 100 * self.done / self.total if self.total else 100
        width = 20
        filled = int(width * percent / 100)
        bar = "#" * filled + "." * (width - filled)
        line = (f"[{bar}] {self.done}/{self.total} {percent:3.0f}%  cached {self.cached}  "
                f"failed {self.failed}  {_duration(elapsed)} elapsed, ETA {eta}  {message}")
        if self._tty:
            self.stream.write("\r\x1b[K" + line[:200])
        else:
            self.stream.write(line + "\n")
        self.stream.flush()

    def close(self) -> None:
        if self.enabled and self._tty:
            self.stream.write("\n")
            self.stream.flush()


def _duration(seconds: float) -> str:
    seconds = round(seconds)
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{hours}h{minutes:02d}m{seconds:02d}s" if hours else f"{minutes}m{seconds:02d}s"


# --- running a plan ----------------------------------------------------------------------------


@dataclass
class SweepSummary:
    """What one run of a plan did."""

    keys: list[str] = field(default_factory=list)  # every point of the plan, in plan order
    cached: int = 0
    computed: int = 0
    failed: int = 0  # failed or timed-out rows among the plan's points, cached ones included
    seconds: float = 0.0

    @property
    def total(self) -> int:
        return len(self.keys)


def generate_design(unit: str, config: str) -> GeneratedDesign:
    """Pool / Dask task: a design's Verilog."""
    return units.get_unit(unit).generate(json.loads(config))


def run_sweep(plan: SweepPlan, store: ResultStore, *, executor=None, work_root: os.PathLike | str,
              keep_work: bool = False, retry_failed: bool = False,
              progress: Progress | None = None) -> SweepSummary:
    """Measure every point of *plan* missing from *store* (see the module docstring).

    Raises ``ToolNotFoundError`` before anything runs when a tool the plan needs is missing.
    """
    executor = executor or InlineExecutor()
    try:
        run = _SweepRun(plan, store, executor, Path(work_root).resolve(), keep_work, retry_failed,
                        progress or Progress(enabled=False))
        return run.run()
    finally:
        executor.close()
        if progress is not None:
            progress.close()


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

    def add_keys(self, point: DesignPoint, flow_index: int, keys: list[str]) -> None:
        # Plan order: the plan's designs, then harness-cost points by size; flows; seeds.
        rank = ((0, self.design_rank[point]) if point in self.design_rank
                else (1, tuple(sorted(point.options.items()))))
        for seed_index, key in enumerate(keys):
            self.order.setdefault(key, (rank, flow_index, seed_index))

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
            self.add_keys(point, flow_index, keys)
            finished = {row["key"]: row["status"] for row in _rows_by_key(self.store, keys)}
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
                self.add_keys(point, flow_index, keys)
            self.progress.add(total=0 if counted else len(rows))
            self.finished(rows, f"{point.unit} {point.config}")
        else:
            reason = f"worker lost the task: {type(error).__name__}: {error}"
            self.finished(failed_rows(item, reason), item.label)


def _rows_by_key(store: ResultStore, keys: Sequence[str]) -> list[dict]:
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


def describe(plan: SweepPlan) -> str:
    pnr = sum(flow.pnr for flow in plan.flows)
    targets = sorted({target for _, targets in plan.only for target in targets})
    limited = f" ({len(plan.only)} of them on {', '.join(targets)} only)" if plan.only else ""
    energy = " with gate-level energy" if any(flow.energy for flow in plan.flows) else ""
    return (f"{plan.name}: {len(plan.designs)} designs{limited} x {len(plan.flows)} flows "
            f"({pnr} placed and routed, seeds {', '.join(map(str, plan.seeds))}) = {plan.points} points"
            + energy + (" + harness-cost points" if plan.harness_cost and pnr else ""))


__all__ = ["DaskExecutor", "InlineExecutor", "LocalExecutor", "Progress", "SweepPlan", "SweepSummary",
           "describe", "load_config", "make_executor", "parse_config", "plan_table", "run_sweep"]
