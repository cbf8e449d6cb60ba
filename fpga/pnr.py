"""Place and route with nextpnr (iCE40 UltraPlus, ECP5); Fmax and utilization from ``--report`` JSON.

The netlist is the ``write_json`` output of a Yosys run for the same family (see
:mod:`hwgen.fpga.yosys_flow`), normally of a unit inside :mod:`hwgen.fpga.io_harness`, whose four
pins fit any package. Like Yosys, nextpnr from yowasp runs in a WebAssembly sandbox with a private
``/tmp``: it runs with the work folder as its current directory and sees only relative paths.
"""

import json
import os
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

from hwgen import lifetime, toolchain
from hwgen.errors import HwgenError

REPORT_NAME = "report.json"
LOG_NAME = "nextpnr.log"
DEFAULT_FREQ_MHZ = 100.0
DEFAULT_SEED = 1


@dataclass(frozen=True)
class Device:
    """One nextpnr device: the tool, its device arguments, and its logic-cell BEL name."""

    target: str
    tool: str
    description: str
    device_args: tuple[str, ...]
    logic_cell: str  # the utilization entry that counts logic cells (LUT + FF slots)


DEVICES: Mapping[str, Device] = MappingProxyType({
    "ice40": Device("ice40", "nextpnr-ice40", "iCE40 UltraPlus UP5K, SG48 package (39 I/O)",
                    ("--up5k", "--package", "sg48", "--pcf-allow-unconstrained"), "ICESTORM_LC"),
    "ecp5": Device("ecp5", "nextpnr-ecp5", "ECP5 LFE5U-25F, CABGA256 package (197 I/O)",
                   ("--25k", "--package", "CABGA256", "--lpf-allow-unconstrained"), "TRELLIS_COMB"),
})
PNR_TARGETS = tuple(DEVICES)


class PlaceAndRouteError(HwgenError):
    """nextpnr failed (does not fit, unroutable, crashed, timed out); one line with its last error."""


class PnrTimeoutError(PlaceAndRouteError):
    """nextpnr ran longer than the time allowed."""


def get_device(target: str) -> Device:
    if not isinstance(target, str):
        raise TypeError(f"place-and-route target must be a str, not {type(target).__name__}")
    try:
        return DEVICES[target]
    except KeyError:
        raise ValueError(f"place and route is available for {', '.join(PNR_TARGETS)}, "
                         f"not {target!r}") from None


@dataclass(frozen=True)
class PnrReport:
    """What ``nextpnr --report`` says: achieved and wanted MHz per clock, BEL use."""

    fmax: Mapping[str, float]  # achieved MHz per clock (clock names as nextpnr gives them)
    constraint: Mapping[str, float]  # target MHz per clock
    utilization: Mapping[str, tuple[int, int]]  # BEL type -> (used, available)
    critical_path: str | None = None  # of the slowest clock, one line (critical_path_text)

    @property
    def fmax_mhz(self) -> float | None:
        """The slowest clock's achieved frequency; None for a design without clocked paths."""
        return min(self.fmax.values()) if self.fmax else None

    def used(self, bel: str) -> int:
        return self.utilization.get(bel, (0, 0))[0]

    def used_bels(self) -> dict[str, tuple[int, int]]:
        return {bel: counts for bel, counts in self.utilization.items() if counts[0]}


def parse_report(report: Mapping | str) -> PnrReport:
    """Parse the JSON that ``nextpnr --report`` wrote (text or parsed)."""
    if isinstance(report, str):
        report = json.loads(report)
    if not isinstance(report, Mapping) or "utilization" not in report:
        raise ValueError("nextpnr report has no 'utilization' section")
    fmax, constraint = {}, {}
    for clock, entry in report.get("fmax", {}).items():
        fmax[clock] = float(entry["achieved"])
        constraint[clock] = float(entry["constraint"])
    utilization = {bel: (int(entry["used"]), int(entry["available"]))
                   for bel, entry in sorted(report["utilization"].items())}
    slowest = min(fmax, key=fmax.get) if fmax else None
    return PnrReport(MappingProxyType(dict(sorted(fmax.items()))),
                     MappingProxyType(dict(sorted(constraint.items()))), MappingProxyType(utilization),
                     critical_path_text(report, slowest))


def critical_path_text(report: Mapping, clock: str | None) -> str | None:
    """The critical path of *clock* (register to register) in one line: first and last cell and pin,
    the logic steps (LUTs, DSPs, carry cells) between them, and its delay as logic + routing, e.g.
    ``dut.o__valid_..._LC.O -> dut.product_DSP.CE: 1 logic cell, 2.72 ns logic + 5.40 ns routing``.
    None without such a path."""
    if clock is None:
        return None
    for path in report.get("critical_paths", []):
        if path.get("from") != f"posedge {clock}" or path.get("to") != f"posedge {clock}":
            continue
        steps = path.get("path") or []
        if not steps:
            return None
        logic = sum(step.get("delay", 0.0) for step in steps if step.get("type") != "routing")
        routing = sum(step.get("delay", 0.0) for step in steps if step.get("type") == "routing")
        # a carry chain is many steps of one adder: count the cells a signal goes through instead
        cells = [step["to"]["cell"] for step in steps if step.get("type") == "logic"]
        first, last = steps[0]["from"], steps[-1]["to"]
        count = len(dict.fromkeys(cells))
        return (f"{first['cell']}.{first['port']} -> {last['cell']}.{last['port']}: {count} logic "
                f"cell{'s' * (count != 1)}, {logic:.2f} ns logic + {routing:.2f} ns routing")
    return None


@dataclass(frozen=True)
class PnrOptions:
    """Options of one nextpnr run: the target frequency the placer aims at, and the seed."""

    freq_mhz: float = DEFAULT_FREQ_MHZ
    seed: int = DEFAULT_SEED
    extra_args: Sequence[str] = field(default=())

    def __post_init__(self):
        freq = self.freq_mhz
        if isinstance(freq, bool) or not isinstance(freq, int | float) or not 0 < freq < 10_000:
            raise ValueError(f"freq_mhz must be a positive number, not {self.freq_mhz!r}")
        if isinstance(self.seed, bool) or not isinstance(self.seed, int) or not 0 <= self.seed < 2**31:
            raise ValueError(f"seed must be an integer between 0 and 2^31 - 1, not {self.seed!r}")
        if isinstance(self.extra_args, str):
            raise TypeError("extra_args must be a sequence of arguments, not a str")


def nextpnr_args(target: str, netlist: str, options: PnrOptions) -> list[str]:
    """nextpnr's arguments (without the program), with paths as nextpnr will see them."""
    device = get_device(target)
    return [*device.device_args, "--freq", f"{options.freq_mhz:g}", "--seed", str(options.seed),
            # A design slower than the target still gets its Fmax measured; failing timing is a result.
            "--timing-allow-fail", *options.extra_args,
            "--json", netlist, "--report", REPORT_NAME, "-q", "-l", LOG_NAME]


@dataclass(frozen=True)
class PnrResult:
    """One place-and-route run."""

    target: str
    report: PnrReport
    tool_version: str
    seconds: float
    work_dir: Path
    log: Path
    report_json: Path


def place_and_route(netlist_json: os.PathLike | str, target: str, *, options: PnrOptions | None = None,
                    work_dir: os.PathLike | str, timeout: float | None = None) -> PnrResult:
    """Place and route a Yosys JSON netlist on the *target* device (:data:`DEVICES`).

    Raises
    ------
    PlaceAndRouteError
        nextpnr failed, timed out or wrote no report; the message is its last error line.
    hwgen.errors.ToolNotFoundError
        No usable nextpnr for the family.
    """
    device = get_device(target)
    options = options or PnrOptions()
    netlist_json = Path(netlist_json)
    if not netlist_json.is_file():
        raise PlaceAndRouteError(f"no netlist {netlist_json}")
    work_dir = Path(work_dir).resolve()
    work_dir.mkdir(parents=True, exist_ok=True)
    log, report = work_dir / LOG_NAME, work_dir / REPORT_NAME
    for stale in (log, report):
        stale.unlink(missing_ok=True)
    tool = toolchain.find_tool(device.tool)
    toolchain.warm_up(device.tool)  # a first YoWASP run compiles its WebAssembly: not part of `seconds`
    argv = [*tool.argv, *nextpnr_args(target, os.path.relpath(netlist_json.resolve(), work_dir), options)]
    started = time.monotonic()
    try:
        completed = lifetime.run(argv, cwd=work_dir, stdin=subprocess.DEVNULL, capture_output=True,
                                 text=True, errors="replace", timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        raise PnrTimeoutError(f"{device.tool} took longer than {timeout:g} s; log: {log}") from None
    seconds = time.monotonic() - started
    if completed.returncode != 0 or not report.is_file():
        message = last_error(log, completed.stderr) or f"exit status {completed.returncode}"
        raise PlaceAndRouteError(f"{device.tool} failed: {message}; log: {log}")
    return PnrResult(target, parse_report(report.read_text()), tool.version, seconds, work_dir, log, report)


def last_error(log: Path, stderr: str) -> str | None:
    """nextpnr's last ``ERROR:`` line (log first, then stderr), else stderr's last line."""
    text = log.read_text(errors="replace") if log.is_file() else ""
    for source in (text, stderr):
        errors = [line.strip() for line in source.splitlines() if "ERROR:" in line]
        if errors:
            return errors[-1]
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    return lines[-1] if lines else None


def tool_names(targets: Sequence[str]) -> list[str]:
    """The nextpnr tools that placing and routing *targets* needs."""
    return [get_device(target).tool for target in targets]
