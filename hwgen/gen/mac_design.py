"""The MAC unit's manifest entries."""

from hwgen.gen.accumulate import manifest_entry
from hwgen.gen.mac import MacUnit
from hwgen.specs import MacSpec

# The placement options a manifest names where they are not the spec's default (dsp: with primitives).
_PLACEMENT_KEYS = ("acc_stages", "acc_adder", "decode", "acc_idle", "product_logic")


def manifest_details(unit: MacUnit) -> dict:
    """The MAC-specific manifest keys (see the README's interface contract)."""
    return {
        "unit": "mac",
        "latency": unit.latency,
        "ii": unit.ii,
        "pipeline": unit.pipeline,
        "formats": {"a": unit.a.name, "b": unit.b.name},
        "acc": manifest_entry(unit.accumulator),
        "mul": unit.mul,
        **({"dsp": unit.dsp} if unit.dsp != "inferred" else {}),
        **({"primitives": unit.primitives} if unit.primitives else {}),
        **{name: value for name in _PLACEMENT_KEYS
           if (value := getattr(unit, name)) != MacSpec.default(name)},
    }
