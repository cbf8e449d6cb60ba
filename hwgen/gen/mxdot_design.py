"""A block dot-product design point: the CLI's options, its default module name and its manifest entries."""

from dataclasses import dataclass

from hwgen.formats import DEFAULT_TERMS
from hwgen.formats.block_dot import resolve_block_format
from hwgen.gen.mxdot import DEFAULT_PIPELINE, MxDotUnit

DEFAULT_ACC = "fp32"


@dataclass(frozen=True)
class MxDotDesign:
    """Options of one block dot-product unit, as the CLI and sweeps give them.

    ``elem`` / ``elem_b``: block formats (``mxfp8_e4m3``, ``nvfp4``, ...) or their element formats;
    ``scale``: the scale format, when given it must match the block formats'; ``block``: the block
    size (default: the spec's, 32 for MX and 16 for NVFP4).
    """

    elem: str
    elem_b: str | None = None
    scale: str | None = None
    block: int | None = None
    acc: str = DEFAULT_ACC
    terms: int | None = None
    pipeline: int = DEFAULT_PIPELINE

    def formats(self):
        a = resolve_block_format(self.elem, scale=self.scale, block=self.block)
        if self.elem_b is None:
            return a, a
        # b follows a's scale unless told otherwise, so `--elem fp4_e2m1 --scale fp8_e4m3` pairs NVFP4s.
        b = resolve_block_format(self.elem_b, scale=self.scale or a.scale, block=self.block)
        return a, b

    def build(self) -> MxDotUnit:
        a, b = self.formats()
        return MxDotUnit(a, b, self.acc, terms=self.terms, pipeline=self.pipeline)

    def default_name(self, unit: MxDotUnit) -> str:
        """``mxdot_<a>[_<b>]_<acc>[_k<K>][_p<N>]``, e.g. ``mxdot_mxfp8_e4m3_fp32``."""
        operands = unit.a.name if unit.a == unit.b else f"{unit.a.name}_{unit.b.name}"
        acc = unit.accumulator
        parts = ["mxdot", operands, acc.name.replace(":", "")]
        if acc.spec == "fixed" and acc.terms != DEFAULT_TERMS:
            parts.append(f"k{acc.terms}")
        if unit.pipeline != DEFAULT_PIPELINE:
            parts.append(f"p{unit.pipeline}")
        return "_".join(parts)


def manifest_details(unit: MxDotUnit) -> dict:
    """The block dot-product manifest keys: enough to rebuild the golden model's block formats."""
    acc = unit.accumulator
    return {
        "unit": "mxdot",
        "latency": unit.latency,
        "ii": unit.ii,
        "pipeline": unit.pipeline,
        "block": unit.block_size,
        "formats": {"a": unit.a.name, "b": unit.b.name, "a_element": unit.a.element.name,
                    "b_element": unit.b.element.name, "scale": unit.scale.name},
        "element_order": "element k of a block at bits [k * bits, (k + 1) * bits) of i.a / i.b",
        "block_sum_bits": unit.block_sum_bits,
        "acc": {"spec": acc.spec, "format": acc.format.name if acc.format else None,
                "width": acc.width, "lsb_exponent": acc.lsb_exponent, "terms": acc.terms},
    }
