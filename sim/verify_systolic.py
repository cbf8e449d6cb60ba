"""Verify systolic arrays bit-exactly against the golden model, on Icarus or Verilator.

What is the systolic array's own (:data:`SYSTOLIC`, run by :mod:`hwgen.sim.engine`): the array has
two input streams, so the harness drives an adapter (:mod:`hwgen.sim.systolic_adapter`) with one
ordered sequence, every tile's weight words (column by column, as the array takes them), then its
activation items; :func:`hwgen.golden.systolic` gives every output vector, compared PE by PE; a
mismatch names the PEs that differ. A job's stimulus is a list of
:class:`~hwgen.sim.systolic_stimulus.Tile`; a report counts activation items as ``vectors`` and
matrix-vector products as ``dot_products``, each checked on every PE.
"""

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from hwgen.golden.systolic import systolic
from hwgen.sim.accumulator_outputs import FIELDS, accumulator_values, describe_accumulator
from hwgen.sim.engine import Items, StreamProtocol
from hwgen.sim.stream_manifest import StreamInterface
from hwgen.sim.systolic_adapter import adapter_interface, adapter_manifest, write_adapter
from hwgen.sim.systolic_stimulus import Tile
from hwgen.sim.verdict import MISSING

SHOWN_PES = 8


def systolic_items(manifest: dict, tiles: Sequence[Tile], folder: Path, tag: str) -> Items:
    if manifest.get("unit") != "systolic":
        raise ValueError(f"{manifest['module']} is not a systolic array")
    adapted = adapter_manifest(manifest, f"{manifest['module']}_adapter{tag}")
    adapter_path = folder / "adapter.v"
    write_adapter(manifest, adapted, adapter_path)
    fields, busy = _items(manifest, tiles)
    activations = int(np.sum(fields["sel"] == 0))
    return Items(adapter_interface(adapted), fields, vectors=activations, busy_cycles=busy,
                 sources=(adapter_path,))


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


class SystolicJudge:
    """The golden output vectors of every tile, one lane per PE; a mismatch names the PEs that differ."""

    def __init__(self, manifest: dict, unit: StreamInterface, tiles: Sequence[Tile]):
        formats, acc = manifest["formats"], manifest["acc"]
        results = [systolic(tile.weights, tile.x, tile.last, formats["a"], formats["b"], acc["spec"],
                            terms=acc["terms"], mul=manifest.get("mul", "exact")) for tile in tiles]
        self._accumulator = results[0].accumulator
        self.expected = {name: np.concatenate([getattr(r, name) for r in results]) for name in FIELDS}
        self._unit, self._pes = unit, manifest["pes"]
        for name, lanes in manifest["lanes"]["o"].items():
            if lanes["count"] != self._pes or unit.out_fields[name].width != self._pes * lanes["width"]:
                raise ValueError(f"{manifest['module']}: field o.{name} is not {self._pes} lanes of "
                                 f"{lanes['width']} bits")

    def actual(self, payloads: np.ndarray) -> dict[str, np.ndarray]:
        return accumulator_values(self._unit.out_fields, payloads, signed=self._accumulator.kind == "fixed",
                                  lanes=self._pes)

    def describe(self, index: int, expected, actual) -> str:
        if expected is None:
            return f"product {index}: unexpected extra output"
        if actual is MISSING:
            return f"product {index}: no output arrived"
        if actual is None:
            return f"product {index}: output has X / Z bits"
        pes = [p for p in range(self._pes) if any(actual[n][p] != expected[n][p] for n in FIELDS)]
        return (f"product {index}: PEs {pes[:SHOWN_PES]} differ; first PE {pes[0]}: expected "
                f"{self._lane(expected, pes[0])}, got {self._lane(actual, pes[0])}")

    def _lane(self, row: dict, pe: int) -> str:
        return describe_accumulator(self._accumulator, {name: row[name][pe] for name in FIELDS})


SYSTOLIC = StreamProtocol("systolic", systolic_items, SystolicJudge)
