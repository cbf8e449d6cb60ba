"""The block dot-product unit's manifest entries."""

from hwgen.gen.accumulate import manifest_entry
from hwgen.gen.mxdot import MxDotUnit


def manifest_details(unit: MxDotUnit) -> dict:
    """The block dot-product manifest keys: enough to rebuild the golden model's block formats."""
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
        "acc": manifest_entry(unit.accumulator),
    }
