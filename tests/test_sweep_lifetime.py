"""A sweep killed by SIGKILL takes every process it started with it: pool workers, multiprocessing's
resource tracker, and the Yosys it was running (Linux: /proc tells which processes exist)."""

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = [pytest.mark.tools, pytest.mark.slow,
              pytest.mark.skipif(not Path("/proc/self/stat").is_file(), reason="needs Linux /proc")]

START_WAIT_S = 40.0  # until Yosys runs: the coordinator and a spawned worker import hwgen first
DEATH_WAIT_S = 10.0

SWEEP = """\
[sweep]
name = "lifetime"
timeout_s = 600

# Yosys takes about 40 s on it: still running when the sweep is killed, and 10 s later.
[[units]]
kind = "systolic"
formats = ["fp8_e4m3"]
params = { acc = "fp32", pes = 4, depth = 2, pipeline = 1 }

[targets]
gates = {}
"""


def _stat(pid: int) -> list[str] | None:
    """Fields of /proc/PID/stat from the state on (field 3), None for a process that is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text[text.rindex(")") + 2:].split()  # the command name in (...) may hold spaces


def _identity(pid: int) -> tuple[int, str] | None:
    """(pid, start time): a pid the kernel reuses for a new process is another identity."""
    fields = _stat(pid)
    return None if fields is None else (pid, fields[19])


def _alive(identity: tuple[int, str]) -> bool:
    fields = _stat(identity[0])
    return fields is not None and fields[19] == identity[1] and fields[0] not in "ZX"  # zombies are dead


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return "?"


def _processes() -> dict[int, list[str]]:
    return {int(entry.name): fields for entry in Path("/proc").iterdir()
            if entry.name.isdigit() and (fields := _stat(int(entry.name))) is not None}


def _session(session: int) -> set[tuple[int, str]]:
    """Every process of *session*: orphans keep it when they are re-parented."""
    return {identity for pid, fields in _processes().items()
            if int(fields[3]) == session and (identity := _identity(pid)) is not None}


def _descendants(root: int) -> set[tuple[int, str]]:
    """The descendants of *root* (by parent pid): also those that left its session."""
    children: dict[int, list[int]] = {}
    for pid, fields in _processes().items():
        children.setdefault(int(fields[1]), []).append(pid)
    found, frontier = set(), [root]
    while frontier:
        for pid in children.get(frontier.pop(), []):
            if pid not in found:
                found.add(pid)
                frontier.append(pid)
    return {identity for pid in found if (identity := _identity(pid)) is not None}


def _runs_yosys(identities) -> bool:
    """Whether one of the processes is the synthesis run (hwgen.fpga.yosys_flow's script)."""
    return any("synth.ys" in _cmdline(pid) for pid, _ in identities)


def test_sigkilled_sweep_leaves_no_process_behind(tmp_path):
    config = tmp_path / "lifetime.toml"
    config.write_text(SWEEP)
    command = [sys.executable, "-m", "hwgen", "sweep", str(config), "--store", str(tmp_path / "s.sqlite"),
               "--jobs", "1", "--quiet"]
    # A session of its own: every process the sweep starts can be found, and cleaned up, by its session.
    sweep = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                             start_new_session=True)
    family = {_identity(sweep.pid)}
    try:
        deadline = time.monotonic() + START_WAIT_S
        while sweep.poll() is None and time.monotonic() < deadline and not _runs_yosys(family):
            family |= _descendants(sweep.pid) | _session(sweep.pid)
            time.sleep(0.05)
        assert _runs_yosys(family), f"no Yosys ran within {START_WAIT_S} s: {sweep.poll()=}"
        os.kill(sweep.pid, signal.SIGKILL)  # the top process only, as a crash or the OOM killer would
        family |= _descendants(sweep.pid) | _session(sweep.pid)
        assert sweep.wait() == -signal.SIGKILL  # reaped: its pid is free, only its session is looked up

        deadline = time.monotonic() + DEATH_WAIT_S
        while time.monotonic() < deadline and any(map(_alive, family | _session(sweep.pid))):
            time.sleep(0.2)
        survivors = sorted(identity for identity in family | _session(sweep.pid) if _alive(identity))
        assert not survivors, f"alive {DEATH_WAIT_S:g} s after the sweep was killed: " + "; ".join(
            f"{pid} {_cmdline(pid)[:120]}" for pid, _ in survivors)
    finally:
        if sweep.poll() is None:
            sweep.kill()
        sweep.wait()
        for identity in family | _session(sweep.pid):
            if _alive(identity):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(identity[0], signal.SIGKILL)
        sweep.stderr.close()
