"""The MAC unit's manifest entries."""

from hwgen.gen.accumulate import manifest_entry
from hwgen.gen.mac import MacUnit


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
        **({"acc_stages": unit.acc_stages} if unit.acc_stages != 1 else {}),
        **({"acc_adder": unit.acc_adder} if unit.acc_adder != "inferred" else {}),
        **({"decode": unit.decode} if unit.decode != "split" else {}),
        **({"acc_idle": unit.acc_idle} if unit.acc_idle != "hold" else {}),
    }
