"""One measured point: a generated design through Yosys (and nextpnr inside the I/O harness) to rows.

:func:`run_task` is what pool and Dask workers execute. It never raises for a design's or a tool's
failure: a crash, a time-out or an unroutable design becomes a row with status ``failed`` or
``timeout`` and the tool's one-line message, so that one bad point never stops a sweep.

A task is one design on one target with one set of flow options and every seed still missing;
synthesis runs once for all of its seeds, place and route once per seed, and each seed is a row.
"""

import json
import shutil
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from hwgen import toolchain
from hwgen.errors import HwgenError
from hwgen.fpga import io_harness
from hwgen.fpga.pnr import (
    DEFAULT_FREQ_MHZ,
    PnrOptions,
    PnrTimeoutError,
    get_device,
    nextpnr_args,
    place_and_route,
)
from hwgen.fpga.targets import CATEGORY_COLUMNS, get_target
from hwgen.fpga.units import GeneratedDesign
from hwgen.fpga.yosys_flow import SynthOptions, render_script, synthesize
from hwgen.results.store import content_key

# Part of every key: bump it when the meaning of a row's numbers changes, so that old rows are not reused.
FLOW_VERSION = 1
OK, FAILED, TIMEOUT = "ok", "failed", "timeout"
GATES = "gates"


@dataclass(frozen=True)
class FlowSpec:
    """How a design is measured on one target."""

    target: str
    dsp: bool = True
    pnr: bool = False
    freq_mhz: float = DEFAULT_FREQ_MHZ

    def __post_init__(self):
        get_target(self.target)
        if not isinstance(self.dsp, bool) or not isinstance(self.pnr, bool):
            raise TypeError("dsp and pnr must be bools")
        if self.target == GATES:  # a gate netlist has no DSPs: one flow, whatever was asked
            object.__setattr__(self, "dsp", False)
        if self.pnr:
            get_device(self.target)
            PnrOptions(freq_mhz=self.freq_mhz)  # validates the frequency

    def as_json(self) -> dict:
        flow = {"target": self.target, "dsp": self.dsp, "pnr": self.pnr}
        if self.pnr:
            flow["freq_mhz"] = self.freq_mhz
        return flow

    @property
    def tools(self) -> tuple[str, ...]:
        return ("yosys", get_device(self.target).tool) if self.pnr else ("yosys",)


def tool_versions(tools) -> dict[str, str]:
    """Versions of the named tools; ``ToolNotFoundError`` (one line, naming it) for a missing one."""
    return {name: toolchain.find_tool(name).version for name in sorted(set(tools))}


def key_parts(design: GeneratedDesign, flow: FlowSpec, seed: int | None, versions: Mapping[str, str]) -> dict:
    """Everything that determines a point's numbers (hashed into its key)."""
    options = SynthOptions(dsp=flow.dsp)
    parts = {
        "flow_version": FLOW_VERSION,
        "verilog_sha256": design.sha256,
        "flow": flow.as_json(),
        "synth_script": render_script([f"{design.module}.v"], design.module, flow.target, options),
        "tools": {name: versions[name] for name in flow.tools},
    }
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
        options = SynthOptions(dsp=task.flow.dsp)
        synth = synthesize(unit_verilog, task.design.module, task.flow.target, options=options,
                           work_dir=work / "synth", timeout=task.timeout_s)
    except Exception as error:  # a sweep records every failure and goes on
        return [_failed(base, task, seed, error, time.monotonic() - started) for seed in task.seeds]
    base.update(_cell_columns(synth.cells, task.flow.target))
    if not task.flow.pnr:
        row = {**base, "status": OK, "run_seconds": time.monotonic() - started}
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
    return row


def _harness_ffs(design: GeneratedDesign) -> int | None:
    try:
        return io_harness.harness_flip_flops(design.ports)
    except ValueError:  # a unit the harness cannot drive: its P&R fails and says why
        return None


def _check_versions(task: Task) -> None:
    # A Dask worker on another machine may have other tools than the keys were made with.
    for name, expected in task.versions.items():
        found = toolchain.find_tool(name).version
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


def _cell_columns(cells, target: str) -> dict:
    columns = {column: cells.by_category[category] for category, column in CATEGORY_COLUMNS.items()}
    columns["other_cells"] = cells.by_category["other"] + cells.by_category["io"]
    columns["transistors"] = cells.transistors
    columns["transistors_complete"] = cells.transistors_complete if cells.transistors is not None else None
    columns.update(dict.fromkeys(get_target(target).inapplicable_columns))  # NULL, not a measured 0
    columns["cells_by_type"] = json.dumps(dict(cells.by_type), sort_keys=True)
    return columns


_PNR_BELS = {
    "ice40": {"pnr_logic_cells": "ICESTORM_LC", "pnr_dsps": "ICESTORM_DSP", "pnr_brams": "ICESTORM_RAM"},
    "ecp5": {"pnr_logic_cells": "TRELLIS_COMB", "pnr_ffs": "TRELLIS_FF", "pnr_dsps": "MULT18X18D",
             "pnr_brams": "DP16KD"},
}


def _pnr_columns(target: str, report) -> dict:
    columns = {column: report.used(bel) for column, bel in _PNR_BELS[target].items()}
    columns["fmax_mhz"] = None if report.fmax_mhz is None else round(report.fmax_mhz, 3)
    columns["pnr_utilization"] = json.dumps({bel: list(n) for bel, n in report.used_bels().items()},
                                            sort_keys=True)
    return columns


def _clean(task: Task, rows: list[dict]) -> None:
    """Delete the work folder of a fully successful task; failed ones keep their logs."""
    if not task.keep_work and all(row["status"] == OK for row in rows):
        shutil.rmtree(task.work_dir, ignore_errors=True)
