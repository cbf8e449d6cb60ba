"""The block dot-product spec: MX / NVFP4 block formats, their scales, the accumulator."""

from dataclasses import dataclass
from typing import ClassVar

from hwgen.formats import DEFAULT_TERMS, Accumulator
from hwgen.formats._check import check_int
from hwgen.formats.block_dot import block_accumulator, block_pair, resolve_block_format
from hwgen.specs.base import UnitSpec
from hwgen.specs.mac import canonical_acc, operands_name, shape_parts

DEFAULT_ACC = "fp32"
DEFAULT_PIPELINE = 3
MAX_PIPELINE = 16
MXDOT_CUT_POINTS = 5  # register cuts of hwgen.gen.mxdot: tree, product, scale, operands, term


@dataclass(frozen=True)
class MxDotSpec(UnitSpec):
    """One block dot-product unit (``hwgen.gen.mxdot.MxDotUnit``).

    ``elem`` / ``elem_b``: block formats (``mxfp8_e4m3``, ``nvfp4``, ...) or their element formats,
    filled in as the block formats' registry names (``elem_b``: ``elem``'s when not given); ``scale``:
    the scale format, filled in; ``block``: the block size (filled in: the format's own, 32 for MX and
    16 for NVFP4).
    """

    kind: ClassVar[str] = "mxdot"
    # The depths an Fmax search tries (hwgen.fpga.fmax): deeper only adds input registers.
    max_pipeline: ClassVar[int] = MXDOT_CUT_POINTS + 1

    elem: str
    elem_b: str | None = None
    scale: str | None = None
    block: int | None = None
    acc: str = DEFAULT_ACC
    terms: int | None = None
    pipeline: int = DEFAULT_PIPELINE

    def __post_init__(self):
        base_a = resolve_block_format(self.elem, scale=self.scale)
        a = resolve_block_format(self.elem, scale=self.scale, block=self.block)
        if self.elem_b is None:
            base_b, b = base_a, a
        else:  # b follows a's scale unless told otherwise: `--elem fp4_e2m1 --scale fp8_e4m3` pairs NVFP4s
            base_b = resolve_block_format(self.elem_b, scale=self.scale or a.scale)
            b = resolve_block_format(self.elem_b, scale=self.scale or a.scale, block=self.block)
        block_pair(a, b)
        acc = block_accumulator(self.acc, a, b, self.terms)
        pipeline = check_int(self.pipeline, "pipeline depth", 1, MAX_PIPELINE)
        self._canonical(elem=base_a.name, elem_b=base_b.name, scale=a.scale.name, block=a.block_size,
                        acc=canonical_acc(acc), terms=acc.terms, pipeline=pipeline)

    def formats(self):
        """The two block formats (with this spec's block size)."""
        a = resolve_block_format(self.elem, scale=self.scale, block=self.block)
        return a, resolve_block_format(self.elem_b, scale=self.scale, block=self.block)

    @property
    def accumulator(self) -> Accumulator:
        return block_accumulator(self.acc, *self.formats(), self.terms)

    @property
    def module_name(self) -> str:
        """``mxdot_<a>[_<b>]_<acc>[_k<K>][_p<N>]``, e.g. ``mxdot_mxfp8_e4m3_fp32``."""
        shape = shape_parts(self.acc, self.terms, DEFAULT_TERMS, "exact", self.pipeline, DEFAULT_PIPELINE)
        return "_".join(["mxdot", operands_name(*self.formats()), self.acc.replace(":", ""), *shape])

    @property
    def label(self) -> str:
        a, b = self.formats()
        label = a.name if a == b else f"{a.name}x{b.name}"
        label += "" if self.acc == DEFAULT_ACC else f"/{self.acc}"
        return " ".join([label, *shape_parts(self.acc, self.terms, self.terms, "exact", self.pipeline,
                                             DEFAULT_PIPELINE)])

    @property
    def latency(self) -> int:
        return self.pipeline
