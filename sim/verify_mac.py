"""Verify generated MAC units bit-exactly against the golden model, on Icarus or Verilator.

What is the MAC's own (:data:`MAC`, run by :mod:`hwgen.sim.engine`): its items carry the operand
codes ``a`` and ``b`` and the ``last`` flag that ends a dot product; :func:`hwgen.golden.mac` gives
every dot product's ``acc`` / ``nan`` / ``inf``; a mismatch shows the dot product's first terms,
decoded. :func:`verify_mac` runs one unit on operand arrays; :func:`verify_mac_naive` drives it one
item per clock from Python: only the baseline of ``bench/bench_verify_speed.py``. Batches of jobs run
through :func:`hwgen.sim.engine.verify_batch` with :data:`MAC`.
"""

import math
import os

import numpy as np

from hwgen.golden import decode, mac
from hwgen.sim.accumulator_outputs import DotProductJudge
from hwgen.sim.engine import Items, Job, StreamProtocol, verify
from hwgen.sim.mac_stimulus import MacVectors
from hwgen.sim.stream_manifest import StreamInterface, stream_interface
from hwgen.sim.verdict import VerifyReport, number_text

IN_FIELDS = ("a", "b", "last")
SHOWN_TERMS = 4


def mac_interface(manifest: dict) -> StreamInterface:
    """Bind the MAC contract's ports and payload fields to the manifest's names and offsets."""
    return stream_interface(manifest, IN_FIELDS, ("acc",))


def mac_items(manifest: dict, vectors: MacVectors, folder, tag: str) -> Items:
    a_codes, b_codes, last = (np.asarray(vectors.a_codes), np.asarray(vectors.b_codes),
                              np.asarray(vectors.last, dtype=bool))
    if not (a_codes.ndim == b_codes.ndim == last.ndim == 1 and len(a_codes) == len(b_codes) == len(last)):
        raise ValueError("a codes, b codes and last flags must be 1-D and equally long")
    if len(last) == 0 or not last[-1]:
        raise ValueError("there must be items, and the last one must have last set")
    return Items(mac_interface(manifest), {"a": a_codes, "b": b_codes, "last": last}, vectors=len(last))


class MacJudge(DotProductJudge):
    """The golden dot products of a MAC's items; a mismatch shows the dot product's first terms."""

    def __init__(self, manifest: dict, unit: StreamInterface, vectors: MacVectors):
        formats, acc = manifest["formats"], manifest["acc"]
        result = mac(vectors.a_codes, vectors.b_codes, vectors.last, formats["a"], formats["b"],
                     acc=acc["spec"], terms=acc.get("terms"), mul=manifest.get("mul", "exact"))
        super().__init__(unit, acc, result, vectors.last)
        self._formats, self._vectors = formats, vectors

    def inputs(self, index: int, start: int, end: int) -> str:
        terms = [f"{self._operand('a', start + k)} * {self._operand('b', start + k)}"
                 for k in range(min(end - start + 1, SHOWN_TERMS))]
        if end - start + 1 > SHOWN_TERMS:
            terms.append(f"... ({end - start + 1 - SHOWN_TERMS} more)")
        return f"dot product {index} (items {start}..{end}): {' + '.join(terms)}"

    def _operand(self, name: str, item: int) -> str:
        code = int((self._vectors.a_codes if name == "a" else self._vectors.b_codes)[item])
        digits = math.ceil(self._unit.in_fields[name].width / 4)
        return f"0x{code:0{digits}x} ({number_text(decode(self._formats[name], [code])[0])})"


# A MAC's Verilator model is small: the default -Os compile is quick, and exhaustive runs use its speed.
MAC = StreamProtocol("mac", mac_items, MacJudge, verilator_args=())


def verify_mac(
    manifest_path: os.PathLike | str,
    *,
    simulator: str,
    a_codes,
    b_codes,
    last,
    idle_rate: float = 0.0,
    stall_rate: float = 0.0,
    seed: int = 0,
    build_dir: os.PathLike | str,
    timeout_cycles: int | None = None,
    runner: str = "cocotb",
) -> VerifyReport:
    """Run the MAC of *manifest_path* on its items and check every output (:func:`hwgen.sim.engine.verify`).

    The items are the operand codes *a_codes*, *b_codes* and the *last* flags (1-D, equally long);
    *last* ends each dot product and must be set on the final item. *idle_rate*, *stall_rate*: share
    of input cycles left idle and of output cycles refused; *seed* draws both patterns. Each
    simulator gets its own subfolder of *build_dir*, reused by later runs so only the first compiles.
    """
    job = Job(manifest_path, MacVectors(a_codes, b_codes, last), idle_rate, stall_rate, seed)
    return verify(MAC, job, simulator=simulator, build_dir=build_dir, timeout_cycles=timeout_cycles,
                  runner=runner)


def verify_mac_naive(manifest_path: os.PathLike | str, *, simulator: str, a_codes, b_codes, last,
                     build_dir: os.PathLike | str, timeout_cycles: int | None = None) -> VerifyReport:
    """Like :func:`verify_mac`, but Python drives one item per clock: the benchmark's baseline."""
    job = Job(manifest_path, MacVectors(a_codes, b_codes, last))
    return verify(MAC, job, simulator=simulator, build_dir=build_dir, timeout_cycles=timeout_cycles,
                  driver="naive")
