"""One verification front end for every unit kind: a stimulus from the spec, then the unit's run.

Each kind supplies the two things that are its own (:class:`UnitProtocol`): how to draw its stimulus
(random or exhaustive) and its :class:`~hwgen.sim.engine.StreamProtocol`, which the one engine
(:mod:`hwgen.sim.engine`) uses to run the stimulus through the unit's harness and check every output
against the golden model. Everything else -- emitting the unit into its build folder, the simulators,
the report -- is shared, by the CLI and by the Python API (:func:`hwgen.api.verify`).
"""

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from hwgen.formats import scalar_format
from hwgen.formats._check import check_int
from hwgen.sim.engine import Job, StreamProtocol, verify
from hwgen.sim.verify_arith import ADD, MUL
from hwgen.sim.verify_mac import MAC
from hwgen.sim.verify_mxdot import MXDOT
from hwgen.sim.verify_nnlut import NNLUT
from hwgen.sim.verify_systolic import SYSTOLIC
from hwgen.specs import AddSpec, LutSpec, MacSpec, MulSpec, MxDotSpec, NnLutSpec, SystolicSpec, UnitSpec

MAX_RANDOM_ITEMS = 1 << 24  # the items a random stimulus may hold: as much memory as the exhaustive limit


@dataclass(frozen=True)
class UnitProtocol:
    """What verifying one kind of unit needs: ``what`` its random vectors are, their default count and
    limit, the function ``stimulus(spec, vectors, exhaustive, seed)`` and the engine's ``stream``
    protocol of the kind."""

    what: str
    default_vectors: int
    max_vectors: int
    stimulus: Callable
    stream: StreamProtocol


def _mac_stimulus(spec: MacSpec, vectors: int, exhaustive: bool, seed: int, max_terms: int = 64):
    from hwgen.sim.mac_stimulus import exhaustive_pairs, random_dot_products

    if exhaustive:
        return exhaustive_pairs(spec.a, spec.b)
    check_int(max_terms, "max terms", 1, 4096)
    _check_items(vectors * (max_terms + 1) // 2, f"{vectors} random dot products of up to {max_terms} terms")
    return random_dot_products(spec.a, spec.b, vectors, max_terms=max_terms, seed=seed)


def _mxdot_stimulus(spec: MxDotSpec, vectors: int, exhaustive: bool, seed: int, max_blocks: int = 4):
    from hwgen.sim.mxdot_stimulus import exhaustive_pair_blocks, random_block_dots

    a, b = spec.formats()
    if exhaustive:
        return exhaustive_pair_blocks(a, b)
    check_int(max_blocks, "max blocks", 1, 4096)
    _check_items(vectors * a.block_size, f"{vectors} random block pairs of {a.block_size} elements")
    return random_block_dots(a, b, vectors, max_blocks=max_blocks, seed=seed)


def _nnlut_stimulus(spec: NnLutSpec | LutSpec, vectors: int, exhaustive: bool, seed: int):
    bits = scalar_format(spec.in_format).bits
    if exhaustive:
        return np.arange(1 << bits, dtype=np.int64)
    return np.random.default_rng(seed).integers(0, 1 << bits, vectors, dtype=np.int64)


def _systolic_stimulus(spec: SystolicSpec, vectors: int, exhaustive: bool, seed: int):
    if exhaustive:
        raise ValueError("exhaustive verification is not available for systolic arrays (weights x vectors "
                         "do not enumerate); give a number of random vectors")
    from hwgen.sim.systolic_stimulus import random_tiles

    return random_tiles(spec.a, spec.b, pes=spec.pes, simd=spec.simd, depth=spec.depth, vectors=vectors,
                        seed=seed)


def _mul_stimulus(spec: MulSpec, vectors: int, exhaustive: bool, seed: int):
    from hwgen.sim.arith_stimulus import exhaustive_pairs, mul_pairs

    if spec.result is None:
        raise ValueError("verification of the exact multiplier is not available (its product is the MAC's, "
                         "verified with `hwgen verify mac`); give a result format to verify a rounding one")
    if exhaustive:
        return exhaustive_pairs(spec.a, spec.b)
    return mul_pairs(spec.a, spec.b, spec.result, vectors, seed=seed)


def _add_stimulus(spec: AddSpec, vectors: int, exhaustive: bool, seed: int):
    from hwgen.sim.arith_stimulus import add_pairs, exhaustive_pairs

    if exhaustive:
        return exhaustive_pairs(spec.format, spec.format)
    return add_pairs(spec.format, vectors, seed=seed)


PROTOCOLS: dict[type[UnitSpec], UnitProtocol] = {
    MacSpec: UnitProtocol("dot products", 2000, 1_000_000, _mac_stimulus, MAC),
    MxDotSpec: UnitProtocol("block pairs", 2000, 1_000_000, _mxdot_stimulus, MXDOT),
    NnLutSpec: UnitProtocol("inputs", 2000, 1_000_000, _nnlut_stimulus, NNLUT),
    LutSpec: UnitProtocol("inputs", 2000, 1_000_000, _nnlut_stimulus, NNLUT),  # an NN-LUT unit, uniform table
    MulSpec: UnitProtocol("operand pairs", 100_000, MAX_RANDOM_ITEMS, _mul_stimulus, MUL),
    AddSpec: UnitProtocol("operand pairs", 100_000, MAX_RANDOM_ITEMS, _add_stimulus, ADD),
    SystolicSpec: UnitProtocol("matrix-vector products", 500, 200_000, _systolic_stimulus, SYSTOLIC),
}


def protocol(spec: UnitSpec) -> UnitProtocol:
    try:
        return PROTOCOLS[type(spec)]
    except KeyError:
        kinds = ", ".join(kind.kind for kind in PROTOCOLS)
        raise ValueError(f"no verification for {spec.kind} units; verifiable: {kinds}") from None


def make_stimulus(spec: UnitSpec, *, vectors: int | None = None, exhaustive: bool = False, seed: int = 0,
                  **extra):
    """The stimulus of *spec*: every input combination, or *vectors* random ones (the kind's default)."""
    unit = protocol(spec)
    count = unit.default_vectors if vectors is None else check_int(vectors, "vectors", 1, unit.max_vectors)
    return unit.stimulus(spec, count, exhaustive, check_int(seed, "seed", 0, 2**32 - 1), **extra)


def run_stimulus(spec: UnitSpec, manifest, stimulus, *, simulator: str, idle: float, stall: float, seed: int,
                 build_dir, runner: str = "cocotb"):
    """Run *stimulus* through the unit of *manifest* on *simulator*; its
    :class:`~hwgen.sim.verdict.VerifyReport`."""
    job = Job(manifest, stimulus, idle_rate=idle, stall_rate=stall, seed=seed)
    return verify(protocol(spec).stream, job, simulator=simulator, build_dir=build_dir, runner=runner)


def _check_items(items: int, what: str) -> None:
    if items > MAX_RANDOM_ITEMS:
        raise ValueError(f"{what} need about {items} stored items, more than the limit of {MAX_RANDOM_ITEMS} "
                         f"(2^24); ask for fewer")
