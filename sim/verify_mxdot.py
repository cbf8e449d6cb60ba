"""Verify generated block dot-product units bit-exactly against the golden model, on Icarus or Verilator.

What is the block dot-product unit's own (:data:`MXDOT`, run by :mod:`hwgen.sim.engine`): each item
is one block pair, its fields ``a`` / ``b`` (the elements packed, element k at bits k * width),
``scale_a`` / ``scale_b`` and ``last``; :func:`hwgen.golden.block_dot.block_dot` gives every dot
product's ``acc`` / ``nan`` / ``inf``; a mismatch shows the first block's scales and elements.
"""

import math

from hwgen.formats import BlockFormat, get_format
from hwgen.formats.block_dot import scale_format
from hwgen.golden import decode
from hwgen.golden.block import scale_values
from hwgen.golden.block_dot import block_dot
from hwgen.sim.accumulator_outputs import DotProductJudge
from hwgen.sim.engine import Items, StreamProtocol
from hwgen.sim.mxdot_stimulus import BlockVectors, pack_blocks
from hwgen.sim.stream_manifest import StreamInterface, stream_interface
from hwgen.sim.verdict import number_text

IN_FIELDS = ("a", "b", "scale_a", "scale_b", "last")
OUT_FIELDS = ("acc",)
SHOWN_ELEMENTS = 4


def mxdot_interface(manifest: dict) -> StreamInterface:
    """Bind a block dot-product unit's ports and payload fields to its manifest."""
    return stream_interface(manifest, IN_FIELDS, OUT_FIELDS)


def block_formats(manifest: dict) -> tuple[BlockFormat, BlockFormat]:
    """The block formats a unit's manifest describes (element formats, scale, block size)."""
    formats, size = manifest["formats"], int(manifest["block"])
    scale = scale_format(formats["scale"])
    return tuple(BlockFormat(formats[side], get_format(formats[f"{side}_element"]), size, scale)
                 for side in ("a", "b"))


def mxdot_items(manifest: dict, vectors: BlockVectors, folder, tag: str) -> Items:
    a, b = block_formats(manifest)
    fields = {"a": pack_blocks(a.element.bits, vectors.a_codes),
              "b": pack_blocks(b.element.bits, vectors.b_codes),
              "scale_a": vectors.a_scales, "scale_b": vectors.b_scales, "last": vectors.last}
    return Items(mxdot_interface(manifest), fields, vectors=len(vectors.last))


class MxDotJudge(DotProductJudge):
    """The golden block dot products; a mismatch shows the first block's scales and elements."""

    def __init__(self, manifest: dict, unit: StreamInterface, vectors: BlockVectors):
        self._formats = block_formats(manifest)
        acc = manifest["acc"]
        result = block_dot(vectors.a_scales, vectors.a_codes, vectors.b_scales, vectors.b_codes, vectors.last,
                           *self._formats, acc=acc["spec"], terms=acc.get("terms"))
        super().__init__(unit, acc, result, vectors.last)
        self._vectors = vectors

    def inputs(self, index: int, start: int, end: int) -> str:
        return (f"dot product {index} (blocks {start}..{end}), block {start}: {self._block('a', start)} . "
                f"{self._block('b', start)}")

    def _block(self, side: str, item: int) -> str:
        fmt = self._formats[0 if side == "a" else 1]
        scale = int((self._vectors.a_scales if side == "a" else self._vectors.b_scales)[item])
        codes = (self._vectors.a_codes if side == "a" else self._vectors.b_codes)[item]
        digits = math.ceil(fmt.element.bits / 4)
        shown = [f"0x{int(c):0{digits}x} ({number_text(decode(fmt.element, [int(c)])[0])})"
                 for c in codes[:SHOWN_ELEMENTS]]
        more = f", ... ({len(codes) - SHOWN_ELEMENTS} more)" if len(codes) > SHOWN_ELEMENTS else ""
        return (f"{side}: scale 0x{scale:02x} ({number_text(scale_values(fmt, [scale])[0])}) x "
                f"[{', '.join(shown)}{more}]")


MXDOT = StreamProtocol("mxdot", mxdot_items, MxDotJudge)
