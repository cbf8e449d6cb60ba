"""Design specs (hwgen.specs): one canonical identity per design, without Amaranth.

Every spelling of a format gives the same spec, JSON, module name and label; every default is filled
in; a spec round-trips through its JSON; a bad option is the generators' own one-line error; and the
module names agree with what the generators build (checked against the built units' own facts)."""

import subprocess
import sys

import pytest

from hwgen.formats import ALIASES, get_format, listed_formats
from hwgen.specs import (
    SPEC_KINDS,
    AddSpec,
    MacSpec,
    MulSpec,
    MxDotSpec,
    NnLutSpec,
    SystolicSpec,
    make_spec,
    spec_from_json,
    spec_kind,
)

E4M3_SPELLINGS = ("e4m3", "fp8_e4m3", "fp8_e4m3fn", "float8_e4m3fn")
SCALARS = [f.name for f in listed_formats() if f.kind != "block"]

EXAMPLES = [
    MacSpec("int8", "int8"),
    MacSpec("dint4", "int8", pipeline=1),
    MacSpec("fp8_e5m2", "fp8_e5m2", acc="fp32"),
    MacSpec("fp8_e4m3", "fp8_e4m3", mul="lmul"),
    MacSpec("int4", "int4", acc="fixed:024", terms=8),
    MulSpec("bf16", "bf16"),
    MulSpec("fp16", "fp16", "fp16"),
    AddSpec("fp32"),
    AddSpec("int32"),
    SystolicSpec("int8", "int4", pes=2, simd=2, depth=8),
    SystolicSpec("fp8_e4m3", "fp8_e4m3", acc="fp32", pes=1, pipeline=1),
    MxDotSpec("mxfp8_e4m3"),
    MxDotSpec("fp4_e2m1", scale="fp8_e4m3", acc="fixed"),
    MxDotSpec("mxint8", "mxfp8_e4m3", block=16, pipeline=2),
    NnLutSpec("exp", 16, "int8_f4", "uint8_f7"),
    NnLutSpec("gelu", 8, "int8_f4", "int8_f4", lo=-4, hi=4, seed=3, pipeline=2),
]


def test_every_spelling_of_e4m3_is_one_design():
    specs = [MacSpec(a, a) for a in E4M3_SPELLINGS]
    assert len({spec.to_json() for spec in specs}) == 1
    assert {spec.module_name for spec in specs} == {"mac_fp8_e4m3fn_fixed"}
    assert {spec.label for spec in specs} == {"fp8_e4m3fn"}
    assert specs[0] == specs[1] == specs[2] == specs[3]
    assert len({SystolicSpec(a, "int8").to_json() for a in E4M3_SPELLINGS}) == 1
    assert len({MacSpec("int8", "int8", acc=acc).to_json() for acc in ("fp32", "float32", "FP32")}) == 1


SCALAR_ALIASES = sorted(alias for alias, name in ALIASES.items() if get_format(name).kind != "block")


@pytest.mark.parametrize("alias", SCALAR_ALIASES)
def test_an_alias_canonicalises_to_its_registry_name(alias):
    assert MacSpec(alias, alias).a == ALIASES[alias]


def test_defaults_are_filled_in():
    assert MacSpec("int8", "int8").options() == {"a": "int8", "b": "int8", "acc": "fixed", "terms": 64,
                                                  "pipeline": 3, "mul": "exact"}
    assert MacSpec("int8", "int8") == MacSpec("int8", "int8", terms=64)
    assert SystolicSpec("int8", "int8", simd=2, depth=8).terms == 16
    mx = MxDotSpec("fp8_e4m3")
    assert (mx.elem, mx.elem_b, mx.scale, mx.block) == ("mxfp8_e4m3", "mxfp8_e4m3", "e8m0", 32)
    assert MxDotSpec("fp4_e2m1", scale="fp8_e4m3").elem == "nvfp4"
    lut = NnLutSpec("EXP", 16, "int8_f4", "uint8_f7")
    assert (lut.function, lut.lo, lut.hi) == ("exp", -8.0, 0.0)


@pytest.mark.parametrize("spec", EXAMPLES, ids=lambda s: s.module_name)
def test_json_round_trip(spec):
    again = spec_from_json(spec.kind, spec.to_json())
    assert again == spec and again.to_json() == spec.to_json()
    assert make_spec(spec.kind, spec.options()) == spec


@pytest.mark.parametrize("kind, options, message", [
    ("mac", {"a": "int8", "b": "int8", "pipeline": 17}, "pipeline depth must be between 1 and 16, not 17"),
    ("mac", {"a": "int8", "b": "fp9"}, "unknown format 'fp9'"),
    ("mac", {"a": "int8", "b": "int8", "acc": "fixd"},
     "accumulator must be fixed, fixed:W (W-bit, wrapping) or a float format"),
    ("mac", {"a": "mxfp4", "b": "int8"}, "is a block format"),
    ("mac", {"a": "int8"}, "a mac unit needs b"),
    ("mac", {"a": "int8", "b": "int8", "width": 3}, "unknown option 'width' for unit mac"),
    ("systolic", {"a": "int8", "b": "int8", "pipeline": 4}, "pipeline depth must be between 1 and 3, not 4"),
    ("systolic", {"a": "int8", "b": "int8", "pes": 0}, "pes must be between 1 and 256, not 0"),
    ("mxdot", {"elem": "int8"}, "int8 has no MX or NVFP4 block definition"),
    ("nnlut", {"function": "exp", "entries": 0, "in_format": "int8", "out_format": "int8"},
     "entries must be between 1 and"),
    ("robot", {}, "unit kind must be one of mac, mul, add, systolic, nnlut, lut, mxdot, null, not 'robot'"),
    ("null", {"inputs": 3, "outputs": 0}, "null unit outputs must be between 1 and 100000, not 0"),
])
def test_bad_options_are_the_generators_one_line_errors(kind, options, message):
    with pytest.raises(ValueError, match=None) as error:
        make_spec(kind, options)
    assert message in str(error.value) and "\n" not in str(error.value)


def test_a_spec_is_frozen_and_hashable():
    spec = MacSpec("int8", "int8")
    with pytest.raises(AttributeError):
        spec.a = "int4"
    assert len({spec, MacSpec("int8", "int8", terms=64)}) == 1
    assert set(SPEC_KINDS) == {"mac", "mul", "add", "systolic", "nnlut", "lut", "mxdot", "null"}
    assert spec_kind("mac") is MacSpec


def test_specs_import_no_amaranth():
    code = ("import sys, hwgen.specs as s; s.MacSpec('e4m3', 'int8').module_name; "
            "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('amaranth', 'cocotb')); "
            "assert not bad, bad")
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.mark.parametrize("fmt", SCALARS)
def test_mac_facts_agree_with_the_built_unit(fmt):
    """The spec's module name, latency and accumulator are the built MAC's (every listed format)."""
    from hwgen.gen.build import build_unit

    spec = MacSpec(fmt, fmt)
    unit = build_unit(spec)
    assert unit.latency == spec.latency and unit.accumulator == spec.accumulator
    assert (unit.a.name, unit.b.name) == (spec.a, spec.b)
    unit._MustUse__silence = True  # inspected, never elaborated


@pytest.mark.parametrize("spec", EXAMPLES, ids=lambda s: s.module_name)
def test_latency_agrees_with_the_built_unit(spec):
    from hwgen.gen.build import build_unit

    unit = build_unit(spec)
    assert (unit.latency, unit.ii) == (spec.latency, spec.ii)
    unit._MustUse__silence = True  # inspected, never elaborated


def test_the_generators_cut_points_are_the_specs():
    """The specs bound `pipeline` by the register cuts the generators have."""
    from hwgen.gen import nnlut, processing_element
    from hwgen.specs import nnlut as nnlut_spec
    from hwgen.specs import systolic as systolic_spec

    assert len(processing_element.CUT_POINTS) == systolic_spec.PE_CUT_POINTS
    assert len(nnlut.CUT_POINTS) == nnlut_spec.NNLUT_CUT_POINTS


REFUSED = {
    "mac": ("hwgen.gen.mac", "MacUnit", ("int8", "int8"), {"pipeline": 0}),
    "mul": ("hwgen.gen.multiplier", "MulUnit", ("int8", "fp9"), {}),
    "add": ("hwgen.gen.adder", "AddUnit", ("fp4_e2m1",), {}),
    "systolic": ("hwgen.gen.systolic", "SystolicArray", ("bf16", "bf16", "fp32"), {"pes": 1, "simd": 4}),
    "mxdot": ("hwgen.gen.mxdot", "MxDotUnit", ("mxfp4", "nvfp4"), {}),
    "nnlut": ("hwgen.gen.nnlut", "NnLutUnit", ({},), {}),
}


@pytest.mark.parametrize("kind", REFUSED)
def test_a_refused_unit_is_not_an_unused_one(kind):
    """Direct API misuse raises before the component exists: no UnusedElaboratable warning (an error
    here) when the refused object would be collected."""
    import gc
    from importlib import import_module

    from amaranth.hdl import Fragment

    from hwgen.gen.build import build_unit

    Fragment.get(build_unit(MulSpec("int8", "int8")), None)  # Amaranth warns only once one elaborated
    module, name, args, kwargs = REFUSED[kind]
    with pytest.raises((ValueError, TypeError)):
        getattr(import_module(module), name)(*args, **kwargs)
    gc.collect()
