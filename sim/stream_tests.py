"""cocotb tests that run a stream unit on prepared items and write its outputs for the Python checker.

``run_harness`` runs a generated harness (toplevel ``<unit>_harness``, see :mod:`hwgen.sim.stream_harness`),
or a batch of harnesses under one top (:mod:`hwgen.sim.engine`): any toplevel with ``clk``,
``rst``, ``halt`` and ``done``. Python only starts the clock, resets, and waits for ``done``; the
simulator does the rest.
``drive_naive`` drives the unit itself (toplevel ``<unit>``) one item per clock from Python, the
usual cocotb way; it exists as the baseline of the speed benchmark. Both write the same files, read
by :func:`hwgen.sim.stream_memory.read_results`, and a status JSON with wall-clock times.

Environment (set by :mod:`hwgen.sim.simulation`): ``HWGEN_STREAM_TIMEOUT_CYCLES``;
``HWGEN_STREAM_STATUS``, and for ``drive_naive`` the paths ``HWGEN_STREAM_MANIFEST``,
``HWGEN_STREAM_ITEMS``, ``HWGEN_STREAM_RESULTS`` and ``HWGEN_STREAM_SUMMARY``. This module imports no
NumPy (nor modules that do): the simulator's start-up would pay about 0.5 s for it.
"""

import json
import os
import time
from pathlib import Path

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, FallingEdge, First, ReadOnly, RisingEdge, Timer

from hwgen.sim.harness_timing import CLOCK_NS, RESET_CYCLES
from hwgen.sim.stream_manifest import stream_interface


def _path(name: str) -> Path:
    return Path(os.environ[f"HWGEN_STREAM_{name}"])


def _timeout_cycles() -> int:
    return int(os.environ["HWGEN_STREAM_TIMEOUT_CYCLES"])


def _write_status(started: float, timed_out: bool) -> None:
    status = {"started": started, "finished": time.time(), "timed_out": timed_out}
    _path("STATUS").write_text(json.dumps(status))


async def _reset(clock_signal, reset_signal) -> None:
    # impl="gpi": the clock toggles in the simulator's C++ layer, never in Python. cocotb picks it
    # by itself only when COCOTB_TRUST_INERTIAL_WRITES is set (Verilator's runner sets it, Icarus's not).
    Clock(clock_signal, CLOCK_NS, unit="ns", impl="gpi").start()
    reset_signal.value = 1
    await ClockCycles(clock_signal, RESET_CYCLES)
    await FallingEdge(clock_signal)
    reset_signal.value = 0


@cocotb.test()
async def run_harness(dut):
    started = time.time()
    dut.halt.value = 0
    await _reset(dut.clk, dut.rst)
    done = RisingEdge(dut.done)
    timeout = Timer(_timeout_cycles() * CLOCK_NS, unit="ns")
    timed_out = await First(done, timeout) is timeout
    if timed_out:  # make the harness write what it has, for the report
        dut.halt.value = 1
        await RisingEdge(dut.done)
    _write_status(started, timed_out)
    assert not timed_out, f"the harness did not finish within {_timeout_cycles()} cycles"


@cocotb.test()
async def drive_naive(dut):
    """One item per clock, every output sampled per clock, all from Python: the slow baseline."""
    started = time.time()
    unit = stream_interface(json.loads(_path("MANIFEST").read_text()))
    in_valid, in_ready = getattr(dut, unit.in_valid), getattr(dut, unit.in_ready)
    in_payload = getattr(dut, unit.in_payload)
    out_valid, out_ready = getattr(dut, unit.out_valid), getattr(dut, unit.out_ready)
    out_payload = getattr(dut, unit.out_payload)
    in_bits = unit.in_bits
    last = unit.in_fields.get("last")

    lines = _path("ITEMS").read_text().split()
    payloads = [int(line, 16) & ((1 << in_bits) - 1) for line in lines[:-1]]  # the last word is the stop
    expected = sum(payload >> last.offset & 1 for payload in payloads) if last else len(payloads)

    in_valid.value = 0
    out_ready.value = 1
    await _reset(dut.clk, dut.rst)
    results = []
    item = cycles = 0
    limit = _timeout_cycles()
    in_valid.value = 1
    in_payload.value = payloads[0]
    while len(results) < expected and cycles < limit:
        await ReadOnly()  # settled values: what the coming edge will transfer
        accepted = item < len(payloads) and in_ready.value == 1
        if out_valid.value == 1:
            value = out_payload.value
            results.append(f"{value.to_unsigned():x}" if value.is_resolvable else "x")
        await RisingEdge(dut.clk)
        cycles += 1
        if accepted:
            item += 1
            if item < len(payloads):
                in_payload.value = payloads[item]
            else:
                in_valid.value = 0

    _path("RESULTS").write_text("".join(line + "\n" for line in results))
    summary = {"items_sent": item, "outputs_expected": expected, "outputs_received": len(results),
               "cycles": cycles, "halted": int(len(results) < expected)}
    _path("SUMMARY").write_text(json.dumps(summary))
    timed_out = len(results) < expected
    _write_status(started, timed_out)
    assert not timed_out, f"the unit did not finish within {limit} cycles"
