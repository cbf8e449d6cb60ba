"""One measured point: a generated design through Yosys (and nextpnr inside the I/O harness, or OpenSTA
for the asic target, or the gate-level energy measurement on ``gates`` with ``energy``) to rows.

:func:`run_task` is what pool and Dask workers execute. It never raises for a design's or a tool's
failure: a crash, a time-out or an unroutable design becomes a row with status ``failed`` or
``timeout`` and the tool's one-line message, so that one bad point never stops a sweep.

A task is one design on one target with one set of flow options and every seed still missing;
synthesis runs once for all of its seeds, place and route once per seed, and each seed is a row.
"""

import json
import math
import shutil
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from hwgen import toolchain
from hwgen.errors import HwgenError
from hwgen.fpga import asic, asic_power, gate_energy, io_harness, xc7_timing
from hwgen.fpga.activity import (
    DEFAULT_MACS,
    DEFAULT_TERMS,
    DISTRIBUTIONS,
    MAX_MACS,
    WARMUP_CYCLES,
    check_count,
)
from hwgen.fpga.gate_sim import read_netlist
from hwgen.fpga.pnr import (
    DEFAULT_FREQ_MHZ,
    PnrOptions,
    PnrTimeoutError,
    get_device,
    nextpnr_args,
    place_and_route,
)
from hwgen.fpga.targets import ASIC, CATEGORY_COLUMNS, IO, OTHER, get_target
from hwgen.fpga.units import GeneratedDesign
from hwgen.fpga.yosys_flow import SynthOptions, render_script, synthesize
from hwgen.results.store import content_key

# Part of every key: bump it when the meaning of a row's numbers changes, so that old rows are not reused.
FLOW_VERSION = 1
OK, FAILED, TIMEOUT = "ok", "failed", "timeout"
GATES = "gates"
# A flow's "tool" of this form is a cell library; its version is the SHA-256 of its Liberty file.
LIBERTY_TOOL = "liberty:"


@dataclass(frozen=True)
class FlowSpec:
    """How a design is measured on one target.

    ``library`` and ``clock_ns`` belong to the asic target (defaults ``osu018`` and 10 ns): the cell
    library and the clock period that synthesis sizes for and static timing checks.

    ``energy`` belongs to the gates target: MAC and multiplier points also measure their gate-level
    energy per MAC (:mod:`hwgen.fpga.gate_energy`) on ``energy_macs`` cycles of each operand stream.
    It is not part of :meth:`as_json` (the other units' points stay as they were); it keys the points
    it measures (:func:`key_parts`).
    """

    target: str
    dsp: bool = True
    pnr: bool = False
    freq_mhz: float = DEFAULT_FREQ_MHZ
    library: str | None = None
    clock_ns: float | None = None
    energy: bool = False
    energy_macs: int = DEFAULT_MACS

    def __post_init__(self):
        get_target(self.target)
        if not isinstance(self.dsp, bool) or not isinstance(self.pnr, bool):
            raise TypeError("dsp and pnr must be bools")
        if self.target in (GATES, ASIC):  # no DSPs in gates or cells: one flow, whatever was asked
            object.__setattr__(self, "dsp", False)
        if self.target == ASIC:
            library = asic.DEFAULT_LIBRARY if self.library is None else self.library
            object.__setattr__(self, "library", toolchain.check_library_name(library))
            clock_ns = asic.DEFAULT_CLOCK_NS if self.clock_ns is None else self.clock_ns
            object.__setattr__(self, "clock_ns", asic.check_clock_ns(clock_ns))
        elif self.library is not None or self.clock_ns is not None:
            raise ValueError(f"a cell library and a clock period apply to the asic target, not {self.target}")
        if not isinstance(self.energy, bool):
            raise TypeError("energy must be a bool")
        if self.energy and self.target != GATES:
            raise ValueError(f"gate-level energy is measured on the gates target, not {self.target}")
        check_count(self.energy_macs, "energy_macs", MAX_MACS)
        if self.pnr:
            get_device(self.target)
            PnrOptions(freq_mhz=self.freq_mhz)  # validates the frequency

    def as_json(self) -> dict:
        flow = {"target": self.target, "dsp": self.dsp, "pnr": self.pnr}
        if self.pnr:
            flow["freq_mhz"] = self.freq_mhz
        if self.target == ASIC:
            flow.update(library=self.library, clock_ns=self.clock_ns)
        return flow

    @property
    def tools(self) -> tuple[str, ...]:
        if self.target == ASIC:  # Icarus simulates the mapped netlist for its power
            return ("yosys", "sta", "iverilog", LIBERTY_TOOL + self.library)
        return ("yosys", get_device(self.target).tool) if self.pnr else ("yosys",)

    @property
    def energy_tools(self) -> tuple[str, ...]:
        """Tools the gate-level energy adds, for the points that measure it (:func:`measures_energy`)."""
        return ("iverilog",) if self.energy else ()

    @property
    def tag(self) -> str:
        """A short name for folders and progress lines, e.g. ``ice40-nodsp-pnr``, ``asic-osu018-10ns``."""
        if self.target == ASIC:
            return f"asic-{self.library}-{self.clock_ns:g}ns"
        return self.target + ("" if self.dsp or self.target == GATES else "-nodsp") + (
            "-pnr" if self.pnr else "")


def tool_versions(tools) -> dict[str, str]:
    """Versions of the named tools (a cell library's: its Liberty file's SHA-256); one-line
    ``ToolNotFoundError`` naming a missing one."""
    return {name: _version(name) for name in sorted(set(tools))}


def _version(tool: str) -> str:
    if tool.startswith(LIBERTY_TOOL):
        return asic.liberty_sha256(tool.removeprefix(LIBERTY_TOOL))
    return toolchain.find_tool(tool).version


def key_parts(design: GeneratedDesign, flow: FlowSpec, seed: int | None, versions: Mapping[str, str]) -> dict:
    """Everything that determines a point's numbers (hashed into its key)."""
    parts = {
        "flow_version": FLOW_VERSION,
        "verilog_sha256": design.sha256,
        "flow": flow.as_json(),
        "tools": {name: versions[name] for name in flow.tools},
    }
    if flow.target == ASIC:
        parts["asic"] = asic.flow_inputs(design.module, flow.library, flow.clock_ns)
        if design.unit in POWER_UNITS:
            parts["asic_power"] = {**POWER_STREAM, "method": asic_power.METHOD}
        return parts
    options = SynthOptions(dsp=flow.dsp)
    parts["synth_script"] = render_script([f"{design.module}.v"], design.module, flow.target, options)
    if flow.target == xc7_timing.TARGET:
        parts["xc7_timing"] = xc7_timing.METHOD
    if measures_energy(design, flow):
        parts["gate_energy"] = {**ENERGY_STREAM, "macs": flow.energy_macs, "method": gate_energy.METHOD,
                                "icarus": versions["iverilog"]}
    if flow.pnr:
        harness = io_harness.harness_verilog(design.module, design.ports)
        parts.update(
            harness_verilog=harness,
            harness_script=render_script([f"{design.module}.v", "harness.v"],
                                         io_harness.harness_name(design.module), flow.target, options),
            nextpnr_args=nextpnr_args(flow.target, "netlist.json", PnrOptions(flow.freq_mhz, seed)),
            seed=seed,
        )
    return parts


def point_key(design: GeneratedDesign, flow: FlowSpec, seed: int | None, versions: Mapping[str, str]) -> str:
    return content_key(key_parts(design, flow, seed, versions))


@dataclass(frozen=True)
class Task:
    """What a worker needs for one design x flow: the design, the seeds still missing and their keys."""

    design: GeneratedDesign
    flow: FlowSpec
    seeds: tuple[int | None, ...]
    keys: tuple[str, ...]
    versions: Mapping[str, str]  # the tool versions the keys were made with
    work_dir: str
    timeout_s: float | None = None
    keep_work: bool = False
    label: str = field(default="", compare=False)


def run_task(task: Task) -> list[dict]:
    """Measure one task; one row per seed, failures included. Never raises for a tool's failure."""
    # A YoWASP tool's first run compiles its WebAssembly (Yosys: minutes): done before the clock starts,
    # so neither the row's run_seconds nor the task's time-out include it.
    toolchain.warm_up(*task.flow.tools)
    started = time.monotonic()
    work = Path(task.work_dir)
    base = _base_row(task)
    try:
        _check_versions(task)
        if work.exists():
            shutil.rmtree(work)  # left over from a killed run
        work.mkdir(parents=True)
        unit_verilog = work / f"{task.design.module}.v"
        unit_verilog.write_text(task.design.verilog)
        if task.flow.target == ASIC:
            measured = asic.measure_asic(unit_verilog, task.design.module, task.flow.library,
                                         task.flow.clock_ns, work_dir=work / "asic", timeout=task.timeout_s)
        else:
            options = SynthOptions(dsp=task.flow.dsp)
            synth = synthesize(unit_verilog, task.design.module, task.flow.target, options=options,
                               work_dir=work / "synth", timeout=task.timeout_s)
    except Exception as error:  # a sweep records every failure and goes on
        return [_failed(base, task, seed, error, time.monotonic() - started) for seed in task.seeds]
    if task.flow.target == ASIC:
        row = {**base, **asic_columns(measured)}
        if task.design.unit in POWER_UNITS:
            try:
                row.update(_asic_power_columns(task, measured, work / "asic" / "power"))
            except Exception as error:  # area and timing stand; the row says why power is missing
                row["power_method"] = "not measured: " + " ".join(str(error).split())
        row.update(status=OK, run_seconds=time.monotonic() - started)
        _clean(task, [row])
        return [row]
    base.update(_cell_columns(synth.cells, task.flow.target))
    if not task.flow.pnr:
        row = dict(base)
        if task.flow.target == xc7_timing.TARGET:
            row.update(estimate_columns(synth.netlist_json, task.design.module))
        if measures_energy(task.design, task.flow):
            try:
                row.update(gate_energy_columns(task, synth.netlist_json, work / "energy"))
            except Exception as error:  # a wrong netlist or a failed simulation fails the row, counts kept
                return [_failed(base, task, seed, error, time.monotonic() - started) for seed in task.seeds]
        row.update(status=OK, run_seconds=time.monotonic() - started)
        _clean(task, [row])
        return [row]

    try:
        harness = work / "harness.v"
        harness.write_text(io_harness.harness_verilog(task.design.module, task.design.ports))
        netlist = synthesize([unit_verilog, harness], io_harness.harness_name(task.design.module),
                             task.flow.target, options=options, work_dir=work / "synth_harness",
                             timeout=task.timeout_s).netlist_json
    except Exception as error:
        return [_failed(base, task, seed, error, time.monotonic() - started) for seed in task.seeds]
    synth_seconds = time.monotonic() - started
    rows = []
    for seed in task.seeds:
        seed_started = time.monotonic()
        try:
            result = place_and_route(netlist, task.flow.target,
                                     options=PnrOptions(freq_mhz=task.flow.freq_mhz, seed=seed),
                                     work_dir=work / f"pnr_seed{seed}", timeout=task.timeout_s)
        except Exception as error:
            rows.append(_failed(base, task, seed, error, synth_seconds + time.monotonic() - seed_started))
            continue
        rows.append({**base, **_pnr_columns(task.flow.target, result.report), "seed": seed,
                     "key": task.keys[task.seeds.index(seed)], "status": OK,
                     "run_seconds": synth_seconds + time.monotonic() - seed_started})
    _clean(task, rows)
    return rows


def failed_rows(task: Task, error: BaseException | str) -> list[dict]:
    """Failed rows for every seed of *task* (for a task whose worker never returned)."""
    error = error if isinstance(error, BaseException) else HwgenError(error)
    return [_failed(_base_row(task), task, seed, error, 0.0) for seed in task.seeds]


def _base_row(task: Task) -> dict:
    design, flow = task.design, task.flow
    format_a, format_b = design.formats
    row = {
        "key": task.keys[0], "unit": design.unit, "design": design.module, "config": design.config,
        "format_a": format_a, "format_b": format_b, "acc": design.acc, "target": flow.target,
        "dsp_allowed": flow.dsp, "pnr": flow.pnr, "seed": None, "flow": flow.as_json(),
        "verilog_sha256": design.sha256, "yosys_version": task.versions.get("yosys"),
    }
    if flow.pnr:
        row.update(nextpnr_version=task.versions.get(get_device(flow.target).tool),
                   pnr_freq_mhz=flow.freq_mhz, harness_ffs=_harness_ffs(design))
    if flow.target == ASIC:
        row.update(library=flow.library, clock_ns=flow.clock_ns, sta_version=task.versions.get("sta"),
                   icarus_version=task.versions.get("iverilog") if design.unit in POWER_UNITS else None)
    return row


def _harness_ffs(design: GeneratedDesign) -> int | None:
    try:
        return io_harness.harness_flip_flops(design.ports)
    except ValueError:  # a unit the harness cannot drive: its P&R fails and says why
        return None


def _check_versions(task: Task) -> None:
    # A Dask worker on another machine may have other tools than the keys were made with.
    for name, expected in task.versions.items():
        found = _version(name)
        if found != expected:
            raise HwgenError(f"this worker has {name} {found}, the sweep's keys were made with {expected}")


def _failed(base: dict, task: Task, seed, error: BaseException, seconds: float) -> dict:
    timed_out = isinstance(error, PnrTimeoutError) or "took longer than" in str(error)  # see synthesize()
    message = str(error) if isinstance(error, HwgenError) else f"{type(error).__name__}: {error}"
    row = {**base, "key": task.keys[task.seeds.index(seed)], "status": TIMEOUT if timed_out else FAILED,
           "error": " ".join(message.split()), "run_seconds": seconds}
    if task.flow.pnr:
        row["seed"] = seed
    return row


def estimate_columns(netlist_json: Path, module: str) -> dict:
    """The xc7 Fmax estimate of a synthesized unit (:mod:`hwgen.fpga.xc7_timing`); a netlist the model
    cannot time keeps the row's counts and says why in the path column."""
    try:
        found = xc7_timing.estimate(json.loads(Path(netlist_json).read_text()), module)
    except xc7_timing.NoTimingModel as error:
        return {"fmax_estimate_mhz": None, "estimate_critical_path": f"not estimated: {error}"}
    return {"fmax_estimate_mhz": found.fmax_mhz, "estimate_critical_path": found.path}


def _cell_columns(cells, target: str) -> dict:
    columns = {column: cells.by_category[category] for category, column in CATEGORY_COLUMNS.items()}
    columns["other_cells"] = cells.by_category["other"] + cells.by_category["io"]
    columns["transistors"] = cells.transistors
    columns["transistors_complete"] = cells.transistors_complete if cells.transistors is not None else None
    columns.update(dict.fromkeys(get_target(target).inapplicable_columns))  # NULL, not a measured 0
    columns["cells_by_type"] = json.dumps(dict(cells.by_type), sort_keys=True)
    return columns


ENERGY_UNITS = gate_energy.UNITS  # the units whose streams the energy measurements know
# The gate-level energy's streams: both distributions, a fixed seed, K = 16, after the warm-up.
ENERGY_STREAM = {"distributions": list(DISTRIBUTIONS), "seed": 0, "terms": DEFAULT_TERMS,
                 "warmup": WARMUP_CYCLES}


def measures_energy(design: GeneratedDesign, flow: FlowSpec) -> bool:
    return flow.energy and design.unit in ENERGY_UNITS


def gate_energy_columns(task: Task, netlist_json: Path, work_dir: Path) -> dict:
    """The gate-level energy columns of a gates point, measured on the netlist it synthesized."""
    netlist = read_netlist(json.loads(Path(netlist_json).read_text()), task.design.module)
    found = {distribution: gate_energy.measure_energy(
        task.design, distribution, task.flow.energy_macs, ENERGY_STREAM["seed"], netlist=netlist,
        work_dir=work_dir, terms=ENERGY_STREAM["terms"], timeout=task.timeout_s)
        for distribution in DISTRIBUTIONS}
    return {"energy_per_mac_gaussian": round(found["gaussian"].energy_per_mac, 6),
            "energy_per_mac_laplace": round(found["laplace"].energy_per_mac, 6),
            "toggle_rate": round(found["gaussian"].mean_toggle_rate, 6), "energy_macs": task.flow.energy_macs,
            "energy_method": gate_energy.METHOD, "icarus_version": task.versions["iverilog"]}


POWER_UNITS = ENERGY_UNITS  # the units asic_power knows the streams of
POWER_STREAM = {"distribution": "gaussian", "macs": 2048, "seed": 0}


def power_clock_ns(requested_ns: float, slack_ns: float) -> float:
    """The clock the power simulation runs at: the requested one, or, for a design that misses it, its
    shortest period plus 5 % rounded up to 0.1 ns (a timed simulation at a missed clock computes wrong
    results; energy per MAC hardly depends on the period, only its leakage share does)."""
    if slack_ns >= 0:
        return requested_ns
    return math.ceil((requested_ns - slack_ns) * 1.05 * 10) / 10


def _asic_power_columns(task, measured: asic.AsicMeasurement, work_dir: Path) -> dict:
    clock = power_clock_ns(task.flow.clock_ns, measured.timing.slack_ns)
    power = asic_power.measure_asic_power(task.design, measured.synth.netlist, task.flow.library, clock,
                                          **POWER_STREAM, work_dir=work_dir,
                                          netlist_json=measured.synth.netlist_json, timeout=task.timeout_s)
    method = power.method if clock == task.flow.clock_ns else (
        f"{power.method}; at {clock:g} ns: the design misses the requested {task.flow.clock_ns:g} ns")
    return {"dynamic_uw": round(power.dynamic_uw, 6), "energy_pj_per_mac": round(power.energy_pj_per_mac, 6),
            "power_method": method}


def asic_columns(measured: asic.AsicMeasurement) -> dict:
    """The result columns of one asic measurement (cell categories as the asic target sorts them).

    Power and energy per MAC come from the activity-based measurement (:func:`_asic_power_columns`,
    MAC and multiplier units only; NULL for the others).
    """
    synth, timing = measured.synth, measured.timing
    target = get_target(ASIC)
    by_category: dict[str, int] = {}
    for cell_type, count in synth.cells_by_type.items():
        category = target.category(cell_type)
        by_category[category] = by_category.get(category, 0) + count
    columns = {column: by_category.get(category, 0) for category, column in CATEGORY_COLUMNS.items()}
    columns["other_cells"] = by_category.get(OTHER, 0) + by_category.get(IO, 0)
    columns.update(dict.fromkeys(target.inapplicable_columns))  # NULL, not a measured 0
    columns["cells_by_type"] = json.dumps(dict(synth.cells_by_type), sort_keys=True)
    fmax = timing.fmax_mhz
    columns.update(
        area_um2=synth.area_um2, sequential_area_um2=synth.sequential_area_um2, cells=synth.cells,
        critical_path_ns=timing.critical_path_ns, slack_ns=timing.slack_ns,
        asic_fmax_mhz=None if fmax is None else round(fmax, 3), leakage_nw=round(timing.leakage_nw, 6),
    )
    return columns


_PNR_BELS = {
    "ice40": {"pnr_logic_cells": "ICESTORM_LC", "pnr_dsps": "ICESTORM_DSP", "pnr_brams": "ICESTORM_RAM"},
    "ecp5": {"pnr_logic_cells": "TRELLIS_COMB", "pnr_ffs": "TRELLIS_FF", "pnr_dsps": "MULT18X18D",
             "pnr_brams": "DP16KD"},
}


def _pnr_columns(target: str, report) -> dict:
    columns = {column: report.used(bel) for column, bel in _PNR_BELS[target].items()}
    columns["fmax_mhz"] = None if report.fmax_mhz is None else round(report.fmax_mhz, 3)
    columns["pnr_critical_path"] = report.critical_path
    columns["pnr_utilization"] = json.dumps({bel: list(n) for bel, n in report.used_bels().items()},
                                            sort_keys=True)
    return columns


def _clean(task: Task, rows: list[dict]) -> None:
    """Delete the work folder of a fully successful task; failed ones keep their logs."""
    if not task.keep_work and all(row["status"] == OK for row in rows):
        shutil.rmtree(task.work_dir, ignore_errors=True)
