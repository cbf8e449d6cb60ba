"""The MAC unit's manifest entries."""

from hwgen.gen.mac import MacUnit


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
