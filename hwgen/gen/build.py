"""From a design spec (:mod:`hwgen.specs`) to its Amaranth component, its manifest keys, its files.

The spec has validated every option, so building fails on no user input; the NN-LUT's table is fitted
(cached) and quantized here.
"""

from importlib import import_module

from hwgen.specs import AddSpec, LutSpec, MacSpec, MulSpec, MxDotSpec, NnLutSpec, SystolicSpec, UnitSpec

# spec class -> (generator module, its component class, the module with manifest_details(unit))
_GENERATORS = {
    MacSpec: ("mac", "MacUnit", "mac_design"),
    SystolicSpec: ("systolic", "SystolicArray", "systolic_design"),
    MxDotSpec: ("mxdot", "MxDotUnit", "mxdot_design"),
    MulSpec: ("multiplier", "MulUnit", "multiplier"),
    AddSpec: ("adder", "AddUnit", "adder"),
    NnLutSpec: ("nnlut", "NnLutUnit", "nnlut_design"),
    LutSpec: ("nnlut", "NnLutUnit", "nnlut_design"),  # a uniform LUT is an NN-LUT unit of a uniform table
}


def _generator(spec: UnitSpec) -> tuple[str, str, str]:
    try:
        return _GENERATORS[type(spec)]
    except KeyError:
        raise TypeError(f"no generator for {type(spec).__name__}") from None


def build_unit(spec: UnitSpec):
    """The ``wiring.Component`` of *spec*."""
    module, component, _ = _generator(spec)
    return getattr(import_module(f"hwgen.gen.{module}"), component).from_spec(spec)


def manifest_details(spec: UnitSpec, unit) -> dict:
    """The unit's own manifest keys (latency, formats, accumulator, ...) for *spec* built as *unit*."""
    details = import_module(f"hwgen.gen.{_generator(spec)[2]}").manifest_details
    if isinstance(spec, NnLutSpec):
        from hwgen.gen.nnlut_design import nnlut_fit

        return details(unit, nnlut_fit(spec))
    if isinstance(spec, LutSpec):
        from hwgen.gen.nnlut_design import lut_details

        return {**details(unit), "lut": lut_details(spec)}
    return details(unit)


def emit_spec(spec: UnitSpec, out_dir, name: str | None = None):
    """Write the unit of *spec* as ``out_dir/<name>.v`` and ``.json`` (*name*: the spec's module name by
    default, checked before anything is built); return the two paths."""
    from hwgen.emit import check_module_name, emit

    name = spec.module_name if name is None else check_module_name(name)
    unit = build_unit(spec)
    return emit(unit, name, out_dir, manifest_details(spec, unit))
