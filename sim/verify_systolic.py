"""Verify systolic arrays bit-exactly against the golden model, on Icarus or Verilator.

Each job's array sits behind an adapter (:mod:`hwgen.sim.systolic_adapter`) that the memory harness
drives with one ordered sequence: every tile's weight words (column by column, as the array takes
them), then its activation items. The harness idles before items and refuses outputs as its memories
say; every output vector is compared, PE by PE, with :func:`hwgen.golden.systolic`. All jobs of a
call share one simulator build (the jobs' harnesses side by side under one top module).
"""

import math
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from hwgen.golden.systolic import systolic
from hwgen.sim.direct import check_runner
from hwgen.sim.mac_harness import harness_depth, write_batch_top, write_harness
from hwgen.sim.mac_manifest import load_manifest, verilog_path
from hwgen.sim.mac_memory import read_results, write_items
from hwgen.sim.systolic_adapter import adapter_interface, adapter_manifest, write_adapter
from hwgen.sim.systolic_stimulus import Tile
from hwgen.sim.verify_mac import (
    FAST_COMPILE,
    SHOWN_MISMATCHES,
    VerifyReport,
    check_simulator,
    describe_result,
    simulate,
)

DEFAULT_TOP = "systolic_batch"


@dataclass(frozen=True, eq=False)
class SystolicJob:
    """One array (by its manifest) and the tiles to run through it."""

    manifest_path: os.PathLike | str
    tiles: Sequence[Tile] = field(repr=False)
    idle_rate: float = 0.0
    stall_rate: float = 0.0
    seed: int = 0


@dataclass(frozen=True)
class _Staged:
    job: SystolicJob
    manifest: dict
    folder: Path
    harness: str
    harness_path: Path
    adapter_path: Path
    items: int
    outputs: int
    busy_cycles: int
    seconds: float


def verify_systolic(jobs: Sequence[SystolicJob], *, simulator: str, build_dir: os.PathLike | str,
                    top: str = DEFAULT_TOP, runner: str = "cocotb") -> list[VerifyReport]:
    """Run every job in one simulator build; one report per job (``vectors``: activation items,
    ``dot_products``: matrix-vector products, each checked on every PE).
    *runner*: ``"cocotb"`` (the cocotb test ``run_harness``) or ``"direct"`` (:mod:`hwgen.sim.direct`).

    Raises
    ------
    SimulationError
        The simulator could not build or run the batch.
    """
    begin = time.perf_counter()
    check_simulator(simulator)
    check_runner(runner)
    if not jobs:
        raise ValueError("a batch needs at least one job")
    folder = (Path(build_dir) / simulator).resolve()
    staged = [_stage(job, folder / f"j{index:02d}_{Path(job.manifest_path).stem}", index)
              for index, job in enumerate(jobs)]
    units = {verilog_path(s.job.manifest_path, s.manifest): None for s in staged}
    top_file = folder / f"{top}.v"
    write_batch_top([s.harness for s in staged], top_file, name=top)
    timeout = max(2 * math.ceil(s.busy_cycles / (1.0 - s.job.stall_rate)) + 10_000 for s in staged)
    run = simulate(units=[*units, *(s.adapter_path for s in staged)],
                   harnesses=[*(s.harness_path for s in staged), top_file], toplevel=top,
                   simulator=simulator, folder=folder, testcase="run_harness", timeout_cycles=timeout,
                   verilator_args=FAST_COMPILE, runner=runner)
    reports = []
    for s in staged:
        checking = time.perf_counter()
        output = read_results(s.folder)
        products, mismatches, shown = _compare(s, output)
        end = time.perf_counter()
        reports.append(VerifyReport(
            module=s.manifest["module"], simulator=simulator, driver="harness", vectors=s.items,
            dot_products=products, mismatches=mismatches, first_mismatches=tuple(shown), cycles=output.cycles,
            timed_out=run.timed_out and output.halted, protocol_errors=output.protocol_errors,
            build_seconds=run.build_seconds, simulate_seconds=run.simulate_seconds,
            check_seconds=s.seconds + (end - checking), total_seconds=end - begin))
    return reports


def _stage(job: SystolicJob, folder: Path, index: int) -> _Staged:
    begin = time.perf_counter()
    manifest = load_manifest(job.manifest_path)
    if manifest.get("unit") != "systolic":
        raise ValueError(f"{job.manifest_path} does not describe a systolic array")
    folder.mkdir(parents=True, exist_ok=True)
    module = manifest["module"]
    adapted = adapter_manifest(manifest, f"{module}_adapter_j{index:02d}")
    adapter_path = folder / "adapter.v"
    write_adapter(manifest, adapted, adapter_path)
    interface = adapter_interface(adapted)
    fields, busy = _items(manifest, job.tiles)
    items = len(fields["sel"])
    depth = harness_depth(items, minimum=2)
    written = write_items(interface, folder, fields, idle_rate=job.idle_rate, stall_rate=job.stall_rate,
                          seed=job.seed, depth=depth)
    harness_path = folder / "harness.v"
    harness = write_harness(adapted, harness_path, depth=depth,
                            results_depth=harness_depth(written.outputs, 2),
                            name=f"{module}_harness_j{index:02d}", interface=interface)
    return _Staged(job, manifest, folder, harness, harness_path, adapter_path,
                   int(np.sum(fields["sel"] == 0)), written.outputs, busy + written.idle_cycles,
                   time.perf_counter() - begin)


def _items(manifest: dict, tiles: Sequence[Tile]) -> tuple[dict, int]:
    """The adapter's input fields for every tile (weights then activations), and a cycle budget."""
    pes, latency = manifest["pes"], manifest["latency"]
    a_bits = manifest["lanes"]["w"]["w"]["width"]
    b_bits = manifest["lanes"]["i"]["x"]["width"]
    columns = {name: [] for name in ("sel", "last", "x", "wlast", "w")}
    busy = 0
    for tile in tiles:
        words = tile.weights.shape[1]
        if words > manifest["depth"]:
            raise ValueError(f"a tile of {words} weight words does not fit the array's depth "
                             f"{manifest['depth']}")
        weights = _pack(tile.weights.transpose(1, 0, 2).reshape(-1, tile.weights.shape[2]), a_bits)
        count = len(weights)
        wlast = np.zeros(count, dtype=np.int64)
        wlast[-1] = 1
        columns["sel"] += [np.ones(count, dtype=np.int64), np.zeros(len(tile.x), dtype=np.int64)]
        columns["w"] += [weights, np.zeros(len(tile.x), dtype=weights.dtype)]
        columns["wlast"] += [wlast, np.zeros(len(tile.x), dtype=np.int64)]
        x = _pack(tile.x, b_bits)
        columns["x"] += [np.zeros(count, dtype=x.dtype), x]
        columns["last"] += [np.zeros(count, dtype=np.int64), tile.last.astype(np.int64)]
        busy += count + len(tile.x) + tile.products * pes + 2 * latency
    fields = {name: np.concatenate(parts) for name, parts in columns.items()}
    return fields, busy


def _pack(codes: np.ndarray, bits: int) -> np.ndarray:
    """Rows of lane codes as payload words, lane l at bit l * bits (object ints when wide)."""
    lanes = codes.shape[1]
    if lanes * bits <= 62:
        return (codes.astype(np.int64) << (np.arange(lanes, dtype=np.int64) * bits)).sum(axis=1)
    words = np.zeros(len(codes), dtype=object)
    for lane in range(lanes):
        words = words + (codes[:, lane].astype(object) << (lane * bits))
    return words


def _golden(s: _Staged):
    formats, acc = s.manifest["formats"], s.manifest["acc"]
    results = [systolic(tile.weights, tile.x, tile.last, formats["a"], formats["b"], acc["spec"],
                        terms=acc["terms"], mul=s.manifest.get("mul", "exact")) for tile in s.job.tiles]
    return results[0].accumulator, {name: np.concatenate([getattr(r, name) for r in results])
                                    for name in ("acc", "nan", "inf")}


def _lanes(s: _Staged, payloads: np.ndarray) -> dict[str, np.ndarray]:
    """(outputs, pes) arrays of every output field, from the payload words."""
    fields = s.manifest["streams"]["o"]["fields"]
    lanes = s.manifest["lanes"]["o"]
    unpacked = {}
    for name in ("acc", "nan", "inf"):
        if name not in lanes:
            unpacked[name] = np.zeros((len(payloads), s.manifest["pes"]), dtype=object)
            continue
        width, offset = lanes[name]["width"], fields[name]["offset"]
        words = payloads.astype(object)
        columns = [(words >> (offset + p * width)) & ((1 << width) - 1) for p in range(lanes[name]["count"])]
        values = (np.stack(columns, axis=1) if len(words)
                  else np.zeros((0, lanes[name]["count"]), dtype=object))
        if lanes[name]["signed"]:
            values = values - ((values >> (width - 1)) << width)
        unpacked[name] = values
    return unpacked


def _compare(s: _Staged, output) -> tuple[int, int, list[str]]:
    spec, wanted = _golden(s)
    expected = len(wanted["acc"])
    actual = _lanes(s, output.payloads)
    both = min(expected, len(output.payloads))
    wrong = ~output.known[:both]
    for name in ("acc", "nan", "inf"):
        got, want = actual[name][:both].astype(object), wanted[name][:both].astype(object)
        wrong |= np.any(got != want, axis=1) if both else np.zeros(0, dtype=bool)
    bad = np.flatnonzero(wrong).tolist() + list(range(both, max(expected, len(output.payloads))))
    shown = []
    for k in bad[:SHOWN_MISMATCHES]:
        if k >= expected:
            shown.append(f"product {k}: unexpected extra output")
        elif k >= len(output.payloads):
            shown.append(f"product {k}: no output arrived")
        elif not output.known[k]:
            shown.append(f"product {k}: output has X / Z bits")
        else:
            pes = [p for p in range(wanted["acc"].shape[1])
                   if any(actual[n][k, p] != wanted[n][k, p] for n in ("acc", "nan", "inf"))]
            shown.append(f"product {k}: PEs {pes[:8]} differ; first PE {pes[0]}: expected "
                         f"{_describe(spec, wanted, k, pes[0])}, got {_describe(spec, actual, k, pes[0])}")
    return expected, len(bad), shown


def _describe(spec, values: dict, k: int, p: int) -> str:
    result = int(values["acc"][k, p]), bool(values["nan"][k, p]), int(values["inf"][k, p])
    return describe_result(spec, result)
