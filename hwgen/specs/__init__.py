"""Design specs: one frozen, Amaranth-free spec per unit kind, and the one registry of unit kinds.

A spec holds a design point's options in canonical form (format names through the registry, every
default filled in), validated with the generators' own one-line messages before any hardware is
built. It names its module, labels itself for tables, states its latency and initiation interval, and
has a stable JSON form (:meth:`UnitSpec.to_json`), which is the results store's ``config``::

    >>> from hwgen.specs import MacSpec
    >>> spec = MacSpec("e4m3", "fp8_e4m3")
    >>> spec.a, spec.module_name, spec.latency
    ('fp8_e4m3fn', 'mac_fp8_e4m3fn_fixed', 3)
    >>> spec.to_json()
    '{"a":"fp8_e4m3fn","acc":"fixed","b":"fp8_e4m3fn","mul":"exact","pipeline":3,"terms":64}'
"""

from collections.abc import Mapping
from types import MappingProxyType

from hwgen.specs.adder import AddSpec
from hwgen.specs.base import UnitSpec, canonical_json
from hwgen.specs.lut import LutSpec
from hwgen.specs.mac import MacSpec
from hwgen.specs.multiplier import MulSpec
from hwgen.specs.mxdot import MxDotSpec
from hwgen.specs.nnlut import NnLutSpec
from hwgen.specs.null import NullSpec
from hwgen.specs.systolic import SystolicSpec

SPEC_KINDS: Mapping[str, type[UnitSpec]] = MappingProxyType(
    {spec.kind: spec for spec in (MacSpec, MulSpec, AddSpec, SystolicSpec, NnLutSpec, LutSpec, MxDotSpec,
                                  NullSpec)})


def spec_kind(kind: str) -> type[UnitSpec]:
    """The spec class of unit *kind* (``mac``, ``mul``, ``add``, ``systolic``, ``nnlut``, ``lut``,
    ``mxdot``, ``null``)."""
    if not isinstance(kind, str):
        raise TypeError(f"unit kind must be a str, not {type(kind).__name__}")
    try:
        return SPEC_KINDS[kind]
    except KeyError:
        raise ValueError(f"unit kind must be one of {', '.join(SPEC_KINDS)}, not {kind!r}") from None


def make_spec(kind: str, options: Mapping) -> UnitSpec:
    """The spec of unit *kind* from a dict of options (a sweep entry, a stored config)."""
    return spec_kind(kind).from_options(options)


def spec_from_json(kind: str, text: str) -> UnitSpec:
    return spec_kind(kind).from_json(text)


__all__ = ["SPEC_KINDS", "AddSpec", "LutSpec", "MacSpec", "MulSpec", "MxDotSpec", "NnLutSpec", "NullSpec",
           "SystolicSpec", "UnitSpec", "canonical_json", "make_spec", "spec_from_json", "spec_kind"]
