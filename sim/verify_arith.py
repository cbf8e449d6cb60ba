"""Verify rounding multipliers and adders bit-exactly against the golden model, on Icarus or Verilator.

What is theirs (:data:`MUL`, :data:`ADD`, and :data:`ARITH` for a batch that mixes both; run by
:mod:`hwgen.sim.engine`): each item is one pair of operand codes ``a``, ``b`` and owes one output
``result``; :func:`hwgen.golden.arith.multiply` (formats ``a``, ``b``, ``result`` from the manifest)
or :func:`hwgen.golden.arith.add` gives every output; a mismatch shows both operands and both
results, decoded. The stimulus is :mod:`hwgen.sim.arith_stimulus`'s.
"""

import math
from functools import partial

import numpy as np

from hwgen.formats import scalar_format
from hwgen.golden import decode
from hwgen.golden.arith import add, multiply
from hwgen.sim.engine import Items, StreamProtocol
from hwgen.sim.stream_manifest import StreamInterface, stream_interface
from hwgen.sim.verdict import describe_mismatch, field_values, number_text


def arith_interface(manifest: dict) -> StreamInterface:
    return stream_interface(manifest, ("a", "b"), ("result",))


def _formats(manifest: dict, unit: str) -> tuple:
    """(a, b, result) formats of a rounding multiplier or an adder manifest, checked against its fields."""
    formats = manifest.get("formats") or {}
    if manifest.get("unit") != unit or "result" not in formats:
        what = "a rounding multiplier (mul with a result format)" if unit == "mul" else "an adder"
        raise ValueError(f"{manifest.get('module')} is not {what}")
    found = tuple(scalar_format(formats[name]) for name in ("a", "b", "result"))
    stream = arith_interface(manifest)
    for name, fmt in zip(("a", "b", "result"), found, strict=True):
        fields = stream.out_fields if name == "result" else stream.in_fields
        if fields[name].width != fmt.bits:
            raise ValueError(f"{manifest['module']}: field {name} is {fields[name].width} bits wide, "
                             f"its format {fmt.name} {fmt.bits}")
    return found


def arith_items(units: tuple[str, ...], manifest: dict, stimulus, folder, tag: str) -> Items:
    """The operand pairs of *stimulus* bound to a unit of one of *units* (``mul``, ``add``)."""
    # refuse a unit of another kind before anything runs
    _formats(manifest, manifest.get("unit") if manifest.get("unit") in units else units[0])
    a_codes, b_codes = (np.asarray(codes, dtype=np.int64).reshape(-1) for codes in stimulus)
    return Items(arith_interface(manifest), {"a": a_codes, "b": b_codes}, vectors=len(a_codes))


class ArithJudge:
    """The golden results of a rounding multiplier or an adder; a mismatch shows the operands and both
    results, decoded."""

    def __init__(self, manifest: dict, unit: StreamInterface, stimulus):
        kind = manifest.get("unit")
        self._a, self._b, self._result = _formats(manifest, kind)
        self._a_codes, self._b_codes = (np.asarray(codes, dtype=np.int64).reshape(-1) for codes in stimulus)
        self._field = unit.out_fields["result"]
        self._operator = "x" if kind == "mul" else "+"
        if kind == "mul":
            golden = multiply(self._a_codes, self._b_codes, self._a, self._b, self._result)
        else:
            golden = add(self._a_codes, self._b_codes, self._result)
        self.expected = {"result": golden}

    def actual(self, payloads: np.ndarray) -> dict[str, np.ndarray]:
        return {"result": field_values(payloads, self._field)}

    def describe(self, index: int, expected, actual) -> str:
        return describe_mismatch(index, expected, actual, inputs=self._input,
                                 result=lambda row: code_text(self._result, row["result"]))

    def _input(self, index: int) -> str:
        return (f"item {index}: {code_text(self._a, self._a_codes[index])} {self._operator} "
                f"{code_text(self._b, self._b_codes[index])}")


def code_text(fmt, code) -> str:
    """``0x3c00 (1)``: a code in hex and its value."""
    digits = math.ceil(fmt.bits / 4)
    return f"0x{int(code):0{digits}x} ({number_text(float(decode(fmt, [int(code)])[0]))})"


# Module-level partials: a batch's protocol travels to a worker process (pickled).
MUL = StreamProtocol("mul", partial(arith_items, ("mul",)), ArithJudge)
ADD = StreamProtocol("add", partial(arith_items, ("add",)), ArithJudge)
ARITH = StreamProtocol("arith", partial(arith_items, ("mul", "add")), ArithJudge)
