"""The verdict on a unit's outputs: compared with the golden model's, the first mismatches described.

A unit kind judges its outputs through a :class:`Judge` (:mod:`hwgen.sim.verify_mac` and its
siblings): the golden outputs per field, the same fields read from the unit's output payloads, and
one line per mismatch. :func:`compare` is the rest, the same for every kind: missing and extra
outputs, outputs with unknown bits, and any field that differs (in any lane) count as mismatches.
"""

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from hwgen.sim.stream_manifest import Field
from hwgen.sim.stream_memory import HarnessOutput

SHOWN_MISMATCHES = 5
MISSING = object()  # an output that never arrived
UNKNOWN = "X (unknown bits)"


@dataclass(frozen=True)
class VerifyReport:
    """The verdict on one run of a unit, and where its time went.

    ``vectors`` counts the stimulus (items, or what the kind counts instead), ``dot_products`` the
    outputs owed. ``build_seconds`` runs from the start of the simulator run to the start of the
    cocotb test: the compile (or the check that the build is up to date) and the simulator's
    start-up. ``simulate_seconds``: the cocotb test and the simulator's exit. ``check_seconds``:
    writing the items, the golden model and the comparison.
    """

    module: str
    simulator: str
    driver: str  # "harness" or "naive"
    vectors: int
    dot_products: int
    mismatches: int
    first_mismatches: tuple[str, ...]
    cycles: int
    timed_out: bool
    protocol_errors: int  # cycles in which the unit dropped or changed an output it was made to hold
    build_seconds: float
    simulate_seconds: float
    check_seconds: float
    total_seconds: float

    @property
    def ok(self) -> bool:
        return self.mismatches == 0 and not self.timed_out and self.protocol_errors == 0

    @property
    def run_seconds(self) -> float:
        """Everything but the build: simulation and checking."""
        return self.total_seconds - self.build_seconds

    def summary(self) -> str:
        problems = [f"{self.mismatches} mismatches"] if self.mismatches else []
        problems += ["timed out"] if self.timed_out else []
        problems += [f"{self.protocol_errors} stream protocol errors"] if self.protocol_errors else []
        verdict = ", ".join(problems) or "ok"
        lines = [f"{self.module} on {self.simulator} ({self.driver}): {self.vectors} vectors, "
                 f"{self.dot_products} dot products, {self.cycles} cycles: {verdict}; "
                 f"build {self.build_seconds:.2f} s, run {self.run_seconds:.2f} s"]
        lines += [f"  {line}" for line in self.first_mismatches]
        return "\n".join(lines)


class Judge(Protocol):
    """How one kind of unit's outputs are judged, for one stimulus.

    ``expected`` holds the golden model's outputs per output field, an array of one value per owed
    output, or of one row of lanes per output. :meth:`actual` reads the same fields from the output
    payloads (int64, or object for wide ones). :meth:`describe` gives one line for output *index*:
    *expected* is its golden row (``{field: value}``) or None for an output past the owed ones;
    *actual* its row, :data:`MISSING` when it never arrived, or None when it had unknown bits.
    """

    expected: dict[str, np.ndarray]

    def actual(self, payloads: np.ndarray) -> dict[str, np.ndarray]: ...

    def describe(self, index: int, expected: dict | None, actual) -> str: ...


@dataclass(frozen=True)
class Comparison:
    outputs: int  # owed
    mismatches: int  # wrong, unknown, missing or extra outputs
    shown: tuple[str, ...]  # the first few described


def compare(judge: Judge, output: HarnessOutput) -> Comparison:
    """Compare what the harness captured with the golden outputs of *judge*."""
    expected = judge.expected
    outputs = len(next(iter(expected.values())))
    payloads, known = output.payloads, output.known
    actual = judge.actual(payloads)
    both = min(outputs, len(payloads))
    wrong = ~known[:both]
    for name, want in expected.items():
        got, want = actual[name][:both], want[:both]
        if got.shape != want.shape:  # broadcasting would compare the wrong values
            raise ValueError(f"output field {name}: the unit's values have shape {got.shape}, the golden "
                             f"model's {want.shape}")
        if got.dtype == np.int64 and want.dtype == object:
            want = _as_int64(want)  # int64 comparisons are much faster than Python ints'
        differs = np.asarray(got != want, dtype=bool)
        wrong |= differs.any(axis=1) if differs.ndim > 1 else differs
    bad = np.flatnonzero(wrong).tolist() + list(range(both, max(outputs, len(payloads))))  # missing or extra
    shown = [judge.describe(k, _row(expected, k) if k < outputs else None,
                            MISSING if k >= len(payloads) else _row(actual, k) if known[k] else None)
             for k in bad[:SHOWN_MISMATCHES]]
    return Comparison(outputs, len(bad), tuple(shown))


def _as_int64(values: np.ndarray) -> np.ndarray:
    try:
        return values.astype(np.int64)
    except OverflowError:  # a golden value wider than the field: it mismatches, compared as Python ints
        return values


def _row(values: dict[str, np.ndarray], index: int) -> dict:
    return {name: column[index] for name, column in values.items()}


def describe_mismatch(index: int, expected: dict | None, actual, *, inputs: Callable[[int], str],
                      result: Callable[[dict], str]) -> str:
    """The usual mismatch line: ``<inputs(index)>; expected <result>, got <result>``, or an extra output.

    *inputs* says what went into output *index*, *result* how one output row reads.
    """
    if expected is None:
        return f"output {index}: unexpected extra output {UNKNOWN if actual is None else result(actual)}"
    got = "got no output" if actual is MISSING else f"got {UNKNOWN if actual is None else result(actual)}"
    return f"{inputs(index)}; expected {result(expected)}, {got}"


def field_values(payloads: np.ndarray, field: Field, *, signed: bool = False,
                 lanes: int | None = None) -> np.ndarray:
    """One output field of every payload, in *payloads*' dtype (int64, or object for wide ones).

    With *lanes*, the field holds that many equal lanes, lane l at its low end + l * width / lanes:
    an array of one row of lanes per payload.
    """
    width = field.width // (lanes or 1)
    mask = (1 << width) - 1
    if lanes is None:
        values = (payloads >> field.offset) & mask
    else:
        shifts = field.offset + width * np.arange(lanes)
        values = (payloads[:, None] >> shifts.astype(payloads.dtype)) & mask
    if signed:
        values = values - ((values >> (width - 1)) << width)
    return values


def number_text(value: float) -> str:
    """A decoded value: an integer when it is one, else its repr."""
    if math.isfinite(value) and value == int(value) and abs(value) < 2**53:
        return str(int(value))
    return repr(float(value))
