"""An accumulator's outputs (``acc``, ``nan``, ``inf``): read from payloads, checked, described.

The MAC, the block dot-product unit and the systolic array's PEs all end in the same accumulator
(:mod:`hwgen.golden`'s ``AccumulatorSpec``); their judges share these pieces, and the MAC's and the
block dot-product unit's (one output per dot product) share :class:`DotProductJudge`.
"""

import math

import numpy as np

from hwgen.golden import decode
from hwgen.sim.stream_manifest import Field, StreamInterface
from hwgen.sim.verdict import UNKNOWN, describe_mismatch, field_values, number_text

FIELDS = ("acc", "nan", "inf")


def accumulator_values(out_fields: dict[str, Field], payloads: np.ndarray, *, signed: bool,
                       lanes: int | None = None) -> dict[str, np.ndarray]:
    """The accumulator fields of every payload (``acc`` two's complement when *signed*), of each of
    *lanes* lanes if given; a field the unit lacks reads 0 (a unit without NaN or inf fields must
    never produce them)."""
    shape = (len(payloads),) if lanes is None else (len(payloads), lanes)
    return {name: field_values(payloads, out_fields[name], signed=signed and name == "acc", lanes=lanes)
            if name in out_fields else np.zeros(shape, dtype=payloads.dtype) for name in FIELDS}


def golden_values(result) -> dict[str, np.ndarray]:
    """The accumulator fields of a golden model's result (``.acc``, ``.nan``, ``.inf``)."""
    return {name: getattr(result, name) for name in FIELDS}


def check_accumulator(module: str, field_width: int, acc: dict, spec) -> None:
    """Refuse a unit whose manifest (``acc``, and the width of field o.acc) and the golden model's
    accumulator *spec* disagree."""
    if spec.width != field_width or (spec.kind == "fixed" and spec.lsb_exponent != acc.get("lsb_exponent")):
        raise ValueError(f"{module}'s manifest and the golden model disagree on the accumulator: "
                         f"field o.acc is {field_width} bits (lsb exponent {acc.get('lsb_exponent')}), "
                         f"{spec.spec} is {spec.width} bits (lsb exponent {spec.lsb_exponent})")


class DotProductJudge:
    """A :class:`~hwgen.sim.verdict.Judge` of a unit that owes one accumulator output per dot product
    (items up to one with ``last`` set), given the golden model's *result* for them.

    A subclass says what went into a dot product: :meth:`inputs` of items *start* .. *end*.
    """

    def __init__(self, unit: StreamInterface, acc: dict, result, last: np.ndarray):
        self._unit, self._accumulator = unit, result.accumulator
        check_accumulator(unit.module, unit.out_fields["acc"].width, acc, self._accumulator)
        self.expected = golden_values(result)
        self._ends = np.flatnonzero(last)
        self._starts = np.concatenate(([0], self._ends[:-1] + 1))

    def actual(self, payloads: np.ndarray) -> dict[str, np.ndarray]:
        return accumulator_values(self._unit.out_fields, payloads, signed=self._accumulator.kind == "fixed")

    def describe(self, index: int, expected, actual) -> str:
        return describe_mismatch(
            index, expected, actual, result=lambda row: describe_accumulator(self._accumulator, row),
            inputs=lambda k: self.inputs(k, int(self._starts[k]), int(self._ends[k])))

    def inputs(self, index: int, start: int, end: int) -> str:
        raise NotImplementedError


def describe_accumulator(accumulator, row: dict | None) -> str:
    """An accumulator result ``{acc, nan, inf}`` in hex and decoded ("X" for None: unknown bits)."""
    if row is None:
        return UNKNOWN
    acc, nan, inf = int(row["acc"]), bool(row["nan"]), int(row["inf"])
    width = accumulator.width
    text = f"acc 0x{acc & ((1 << width) - 1):0{math.ceil(width / 4)}x}"
    if accumulator.kind == "float":
        return f"{text} ({number_text(decode(accumulator.format, [acc])[0])})"
    flags = [name for name, on in (("nan", nan), ("+inf", inf & 1), ("-inf", inf & 2)) if on]
    return f"{text} ({', '.join([_fixed_value(acc, accumulator.lsb_exponent), *flags])})"


def _fixed_value(acc: int, lsb_exponent: int) -> str:
    try:
        return number_text(math.ldexp(acc, lsb_exponent))
    except OverflowError:  # wider than a float
        return f"{acc} * 2^{lsb_exponent}"
