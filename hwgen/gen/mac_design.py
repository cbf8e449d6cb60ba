"""A MAC design point: the generator's options, its default module name and its manifest entries."""

from dataclasses import dataclass

from hwgen.formats import DEFAULT_TERMS
from hwgen.gen.mac import DEFAULT_PIPELINE, MacUnit


@dataclass(frozen=True)
class MacDesign:
    """Options of one MAC unit, as the CLI and sweeps give them."""

    a: str
    b: str
    acc: str = "fixed"
    terms: int | None = None
    pipeline: int = DEFAULT_PIPELINE
    mul: str = "exact"

    def build(self) -> MacUnit:
        return MacUnit(self.a, self.b, self.acc, terms=self.terms, pipeline=self.pipeline, mul=self.mul)

    def default_name(self, unit: MacUnit) -> str:
        """``mac_<a>[_<b>]_<acc>[_k<K>][_lmul][_p<N>]``, e.g. ``mac_fp8_e4m3fn_fixed``."""
        operands = unit.a.name if unit.a == unit.b else f"{unit.a.name}_{unit.b.name}"
        acc = unit.accumulator
        parts = ["mac", operands, acc.name.replace(":", "")]
        if acc.spec == "fixed" and acc.terms != DEFAULT_TERMS:
            parts.append(f"k{acc.terms}")
        if unit.mul != "exact":
            parts.append(unit.mul)
        if unit.pipeline != DEFAULT_PIPELINE:
            parts.append(f"p{unit.pipeline}")
        return "_".join(parts)


def manifest_details(unit: MacUnit) -> dict:
    """The MAC-specific manifest keys (see the README's interface contract)."""
    acc = unit.accumulator
    return {
        "unit": "mac",
        "latency": unit.latency,
        "ii": unit.ii,
        "pipeline": unit.pipeline,
        "formats": {"a": unit.a.name, "b": unit.b.name},
        "acc": {"spec": acc.spec, "format": acc.format.name if acc.format else None,
                "width": acc.width, "lsb_exponent": acc.lsb_exponent, "terms": acc.terms},
        "mul": unit.mul,
    }
