"""The systolic array's manifest entries."""

from hwgen.gen.accumulate import manifest_entry
from hwgen.gen.systolic import SystolicArray


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
        "acc": manifest_entry(acc),
        "mul": unit.mul,
        "lanes": lanes,
    }
