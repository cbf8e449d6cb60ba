"""`hwgen doctor` for real: every tool found and its smoke run passing, and clear failures."""

import json
import os
import re
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from hwgen.toolchain import TOOL_NAMES

# The first run of each yowasp tool compiles its WebAssembly (about a minute each).
DOCTOR_TIMEOUT_S = 1200


def run_doctor(*args, env=None):
    return subprocess.run(
        [sys.executable, "-m", "hwgen", "doctor", *args],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=DOCTOR_TIMEOUT_S,
        check=False,
        env=env,
    )


def table_rows(stdout: str) -> dict[str, list[str]]:
    """The tool table's rows by tool name (first block of the report, after its header)."""
    block = stdout.split("\n\n")[0].splitlines()
    assert block[0].split() == ["TOOL", "FROM", "VERSION", "STATUS", "CHECK"]
    return {line.split()[0]: line.split() for line in block[1:]}


@pytest.fixture(scope="module")
def doctor_json():
    return run_doctor("--json")


@pytest.mark.slow
@pytest.mark.tools
def test_every_tool_works():
    result = run_doctor()
    assert result.returncode == 0, result.stdout + result.stderr
    rows = table_rows(result.stdout)
    assert list(rows) == list(TOOL_NAMES)
    for name, row in rows.items():
        assert row[3] == "works", f"{name}: {' '.join(row)}"
    assert "all tools work" in result.stdout
    assert "Traceback" not in result.stderr


@pytest.mark.slow
@pytest.mark.tools
def test_json_report_shape(doctor_json):
    assert doctor_json.returncode == 0, doctor_json.stdout + doctor_json.stderr
    report = json.loads(doctor_json.stdout)  # progress went to stderr
    assert set(report) == {"ok", "quick", "tools", "packages"}
    assert report["ok"] is True
    assert report["quick"] is False
    assert [tool["name"] for tool in report["tools"]] == list(TOOL_NAMES)
    for tool in report["tools"]:
        assert set(tool) == {"name", "status", "source", "version", "argv", "detail", "ok"}
        assert tool["status"] == "works", tool
        assert tool["ok"] is True
        assert tool["source"] in ("system", "pypi")
        assert Path(tool["argv"][0]).is_file()
    packages = {package["name"]: package for package in report["packages"]}
    assert packages["cocotb"]["version"].startswith("2.")
    assert packages["amaranth"]["required"] is True


@pytest.mark.slow
@pytest.mark.tools
def test_smoke_details_come_from_tool_reports(doctor_json):
    details = {tool["name"]: tool["detail"] for tool in json.loads(doctor_json.stdout)["tools"]}
    assert details["yosys"].startswith("2 cells")
    assert "ICESTORM_LC" in details["nextpnr-ice40"]
    assert "TRELLIS_COMB" in details["nextpnr-ecp5"]
    for simulator_tool in ("iverilog", "vvp", "verilator"):
        assert details[simulator_tool] == "cocotb test 1 passed, 0 failed"
    sta_detail = r"osu018: \d+ cells, [\d.]+ um2; critical path [\d.]+ ns, Fmax \d+ MHz"
    assert re.fullmatch(sta_detail, details["sta"]), details["sta"]


def test_quick_reports_a_missing_tool_and_exits_1():
    # Only the interpreter's folder on PATH: no system iverilog, PyPI builds still found.
    env = {**os.environ, "PATH": str(Path(sys.executable).parent)}
    result = run_doctor("--quick", env=env)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    rows = table_rows(result.stdout)
    assert rows["iverilog"][3] == "missing"
    assert "apt-get install iverilog" in " ".join(rows["iverilog"])
    assert rows["sta"][3] == "missing"
    assert "apt-get install opensta" in " ".join(rows["sta"])
    assert "some tools are missing or broken" in result.stdout


@pytest.mark.slow
@pytest.mark.tools
def test_broken_simulator_is_reported_not_raised(tmp_path):
    """An iverilog that claims a good version but cannot compile: row 'broken', exit 1."""
    fake = tmp_path / "iverilog"
    fake.write_text('#!/bin/sh\necho "Icarus Verilog version 12.0 (stable) ()"\nexit 3\n')
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    env = {**os.environ, "PATH": os.pathsep.join([str(tmp_path), os.environ["PATH"]])}
    result = run_doctor("--json", env=env)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    tools = {tool["name"]: tool for tool in json.loads(result.stdout)["tools"]}
    assert tools["iverilog"]["status"] == "broken"
    assert "could not build" in tools["iverilog"]["detail"]
    assert tools["verilator"]["status"] == "works"
