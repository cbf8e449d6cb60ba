"""Verify generated NN-LUT units bit-exactly against the golden model, on Icarus or Verilator.

What is the NN-LUT's own (:data:`NNLUT`, run by :mod:`hwgen.sim.engine`): each item is one input
code ``x`` and owes one output ``y``; :func:`hwgen.nnlut.evaluate.evaluate_codes` on the table the
unit's manifest records gives every output; a mismatch shows the input and both outputs, decoded.
"""

import math

import numpy as np

from hwgen.formats import scalar_format
from hwgen.golden import decode
from hwgen.nnlut.evaluate import evaluate_codes
from hwgen.nnlut.table import NnLutTable, table_from_description
from hwgen.sim.engine import Items, StreamProtocol
from hwgen.sim.stream_manifest import StreamInterface, stream_interface
from hwgen.sim.verdict import describe_mismatch, field_values


def nnlut_interface(manifest: dict) -> StreamInterface:
    return stream_interface(manifest, ("x",), ("y",))


def manifest_table(manifest: dict) -> NnLutTable:
    """The table an NN-LUT manifest records, checked against its formats and stream fields."""
    if manifest.get("unit") != "nnlut" or "table" not in manifest:
        raise ValueError(f"{manifest.get('module')} is not an NN-LUT unit (its manifest has no table)")
    table = table_from_description(manifest["table"])
    unit = nnlut_interface(manifest)
    for name, fmt in (("x", table.in_format), ("y", table.out_format)):
        fields = unit.in_fields if name == "x" else unit.out_fields
        if manifest["formats"][name] != fmt or fields[name].width != _bits(fmt):
            raise ValueError(f"{manifest['module']}: field {name} ({fields[name].width} bits, "
                             f"{manifest['formats'][name]}) disagrees with the table's {fmt}")
    return table


def _bits(fmt: str) -> int:
    return scalar_format(fmt).bits


def nnlut_items(manifest: dict, codes, folder, tag: str) -> Items:
    manifest_table(manifest)  # refuse a unit of another kind before anything runs
    codes = np.asarray(codes, dtype=np.int64).reshape(-1)
    return Items(nnlut_interface(manifest), {"x": codes}, vectors=len(codes))


class NnLutJudge:
    """The golden outputs of the unit's table; a mismatch shows the input and both outputs, decoded."""

    def __init__(self, manifest: dict, unit: StreamInterface, codes):
        self._table = manifest_table(manifest)
        self._codes = np.asarray(codes, dtype=np.int64).reshape(-1)
        self._y = unit.out_fields["y"]
        self.expected = {"y": evaluate_codes(self._table, self._codes)}

    def actual(self, payloads: np.ndarray) -> dict[str, np.ndarray]:
        return {"y": field_values(payloads, self._y)}

    def describe(self, index: int, expected, actual) -> str:
        return describe_mismatch(index, expected, actual, inputs=self._input,
                                 result=lambda row: _code(self._table.out_format, row["y"]))

    def _input(self, index: int) -> str:
        return f"item {index}: x {_code(self._table.in_format, self._codes[index])}"


def _code(fmt: str, code) -> str:
    digits = math.ceil(_bits(fmt) / 4)
    return f"0x{int(code):0{digits}x} ({float(decode(fmt, [int(code)])[0])!r})"


NNLUT = StreamProtocol("nnlut", nnlut_items, NnLutJudge)
