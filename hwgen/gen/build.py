"""From a design spec (:mod:`hwgen.specs`) to its Amaranth component and its manifest keys.

The spec has validated every option, so building fails on no user input; the NN-LUT's table is fitted
(cached) and quantized here.
"""

from importlib import import_module

from hwgen.specs import MacSpec, MulSpec, MxDotSpec, NnLutSpec, SystolicSpec, UnitSpec

# spec class -> the module with the unit's manifest_details(unit)
_MANIFESTS = {MacSpec: "mac_design", SystolicSpec: "systolic_design", MxDotSpec: "mxdot_design",
              MulSpec: "multiplier", NnLutSpec: "nnlut_design"}


def build_unit(spec: UnitSpec):
    """The ``wiring.Component`` of *spec*."""
    if isinstance(spec, MacSpec):
        from hwgen.gen.mac import MacUnit

        return MacUnit(spec.a, spec.b, spec.acc, terms=spec.terms, pipeline=spec.pipeline, mul=spec.mul)
    if isinstance(spec, SystolicSpec):
        from hwgen.gen.systolic import SystolicArray

        return SystolicArray(spec.a, spec.b, spec.acc, pes=spec.pes, simd=spec.simd, depth=spec.depth,
                             terms=spec.terms, pipeline=spec.pipeline, mul=spec.mul)
    if isinstance(spec, MxDotSpec):
        from hwgen.gen.mxdot import MxDotUnit

        return MxDotUnit(*spec.formats(), spec.acc, terms=spec.terms, pipeline=spec.pipeline)
    if isinstance(spec, NnLutSpec):
        return _nnlut_design(spec).build()
    if isinstance(spec, MulSpec):
        from hwgen.gen.multiplier import MulUnit

        return MulUnit(spec.a, spec.b)
    raise TypeError(f"no generator for {type(spec).__name__}")


def manifest_details(spec: UnitSpec, unit) -> dict:
    """The unit's own manifest keys (latency, formats, accumulator, ...) for *spec* built as *unit*."""
    details = import_module(f"hwgen.gen.{_MANIFESTS[type(spec)]}").manifest_details
    return details(unit, _nnlut_design(spec).fit()) if isinstance(spec, NnLutSpec) else details(unit)


def _nnlut_design(spec: NnLutSpec):
    from hwgen.gen.nnlut_design import NnLutDesign

    return NnLutDesign(**spec.options())
