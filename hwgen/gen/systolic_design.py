"""A systolic-array design point: the generator's options, its default module name, its manifest keys."""

from dataclasses import dataclass

from hwgen.gen.systolic import DEFAULT_DEPTH, DEFAULT_PIPELINE, SystolicArray


@dataclass(frozen=True)
class SystolicDesign:
    """Options of one systolic array, as the CLI and sweeps give them (``a`` weights, ``b`` activations)."""

    a: str
    b: str
    acc: str = "fixed"
    pes: int = 4
    simd: int = 1
    depth: int = DEFAULT_DEPTH
    terms: int | None = None
    pipeline: int = DEFAULT_PIPELINE
    mul: str = "exact"

    def build(self) -> SystolicArray:
        return SystolicArray(self.a, self.b, self.acc, pes=self.pes, simd=self.simd, depth=self.depth,
                             terms=self.terms, pipeline=self.pipeline, mul=self.mul)

    def default_name(self, unit: SystolicArray) -> str:
        """``systolic_<a>[_<b>]_<acc>_pe<N>_s<S>[_d<D>][_k<K>][_lmul][_p<N>]``."""
        operands = unit.a.name if unit.a == unit.b else f"{unit.a.name}_{unit.b.name}"
        acc = unit.accumulator
        parts = ["systolic", operands, acc.name.replace(":", ""), f"pe{unit.pes}", f"s{unit.simd}"]
        if unit.depth != DEFAULT_DEPTH:
            parts.append(f"d{unit.depth}")
        if acc.spec == "fixed" and acc.terms != unit.depth * unit.simd:
            parts.append(f"k{acc.terms}")
        if unit.mul != "exact":
            parts.append(unit.mul)
        if unit.pipeline != DEFAULT_PIPELINE:
            parts.append(f"p{unit.pipeline}")
        return "_".join(parts)


def manifest_details(unit: SystolicArray) -> dict:
    """The systolic-array manifest keys: the MAC's, plus the array's shape, lanes and timing."""
    acc = unit.accumulator
    lanes = {"o": {"acc": {"count": unit.pes, "width": acc.width, "signed": acc.kind == "fixed"}},
             "i": {"x": {"count": unit.simd, "width": unit.b.bits, "signed": False}},
             "w": {"w": {"count": unit.simd, "width": unit.a.bits, "signed": False}}}
    if acc.kind == "fixed":
        lanes["o"].update(nan={"count": unit.pes, "width": 1, "signed": False},
                          inf={"count": unit.pes, "width": 2, "signed": False})
    return {
        "unit": "systolic",
        "latency": unit.latency,
        "ii": unit.ii,
        "pipeline": unit.pipeline,
        "pes": unit.pes,
        "simd": unit.simd,
        "depth": unit.depth,
        "last_spacing": unit.last_spacing,
        "timing": {"latency": "pes + pipeline", "fill_cycles": "items - 1 + latency",
                   "items_per_cycle": "1 for dot products of at least pes items, else items / pes"},
        "weight_order": "column by column: word 0 of PE 0..pes-1, then word 1 ...; w.last ends the matrix",
        "formats": {"a": unit.a.name, "b": unit.b.name, "weights": "a", "activations": "b"},
        "acc": {"spec": acc.spec, "format": acc.format.name if acc.format else None,
                "width": acc.width, "lsb_exponent": acc.lsb_exponent, "terms": acc.terms},
        "mul": unit.mul,
        "lanes": lanes,
    }
