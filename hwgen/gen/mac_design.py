"""The MAC unit's manifest entries."""

from hwgen.gen.accumulate import manifest_entry
from hwgen.gen.mac import MacUnit
from hwgen.specs import MacSpec
from hwgen.specs.mac import LATER_OPTIONS


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
        # the later options where not the spec's default (dsp above, with its primitives)
        **{name: value for name in LATER_OPTIONS
           if name != "dsp" and (value := getattr(unit, name)) != MacSpec.default(name)},
    }
