"""What every unit kind's manifest says about its payload fields, and the module names it accepts.

A field's ``signed`` says whether its value is a two's complement integer (for an array field such as
a systolic array's ``pes`` accumulators: each element). Only a ``fixed`` accumulator is one; operand
and result codes are unsigned bit patterns whose format (``formats``, ``acc.format``) says how to
read them, and so are flags and ``last``. A systolic array's ``lanes`` key describes its array fields
again, element by element: both descriptions must agree with each other and with the Verilog port.
"""

import gc

import pytest

from hwgen.cli import main
from hwgen.emit import render
from hwgen.gen.build import build_unit, manifest_details
from hwgen.specs import AddSpec, LutSpec, MacSpec, MulSpec, MxDotSpec, NnLutSpec, SystolicSpec
from hwgen.verilog_names import VERILOG_KEYWORDS, check_module_name

UNITS = {
    "mac-int8-fixed": MacSpec("int8", "int8", "fixed"),
    "mac-fp8_e4m3-fp32": MacSpec("fp8_e4m3", "fp8_e4m3", "fp32"),
    "mac-int8-fp32": MacSpec("int8", "int8", "fp32"),
    "systolic-int8-fixed-pe3-s2": SystolicSpec("int8", "int8", "fixed", pes=3, simd=2, depth=4),
    "systolic-fp8_e5m2-fp32-pe2": SystolicSpec("fp8_e5m2", "fp8_e5m2", "fp32", pes=2, depth=4),
    "systolic-dint4-int8-fixed20-pe1": SystolicSpec("dint4", "int8", "fixed:20", pes=1, simd=3, depth=4),
    "mxdot-mxint8-fixed": MxDotSpec("mxint8", block=4, acc="fixed"),
    "mxdot-mxfp4-fp32": MxDotSpec("mxfp4", block=4),
    "nnlut-gelu-int8_f4": NnLutSpec("gelu", 8, "int8_f4", "int8_f3", pipeline=1),
    "nnlut-tanh-fp8": NnLutSpec("tanh", 8, "fp8_e4m3fn", "fp8_e4m3fn", pipeline=1),
    "lut-tanh-fp8": LutSpec("tanh", "fp8_e4m3fn", "fp8_e4m3fn", cell_bits=3, pipeline=1),
    "mul-fp16-to-fp16": MulSpec("fp16", "fp16", "fp16"),
    "add-int32": AddSpec("int32"),
    "add-fp32": AddSpec("fp32"),
}


@pytest.fixture(scope="module", params=UNITS)
def manifest(request) -> dict:
    spec = UNITS[request.param]
    unit = build_unit(spec)
    return render(unit, spec.module_name, manifest_details(spec, unit))[1]


def test_only_a_fixed_accumulator_is_signed(manifest):
    fixed = manifest.get("acc", {}).get("spec", "").startswith("fixed")
    signed = {(stream, name) for stream, spec in manifest["streams"].items()
              for name, field in spec["fields"].items() if field["signed"]}
    assert signed == ({("o", "acc")} if fixed else set())


def test_lanes_agree_with_the_stream_fields(manifest):
    widths = {port["name"]: port["width"] for port in manifest["ports"]}
    for stream, spec in manifest["streams"].items():
        fields = spec["fields"]
        assert sum(field["width"] for field in fields.values()) == widths[spec["payload"]], stream
        for name, lane in manifest.get("lanes", {}).get(stream, {}).items():
            field = fields[name]
            assert lane["signed"] == field["signed"], (stream, name)
            assert lane["count"] * lane["width"] == field["width"], (stream, name)
    if manifest["unit"] == "systolic":
        assert {(s, f) for s, lanes in manifest["lanes"].items() for f in lanes} == {
            (s, f) for s, spec in manifest["streams"].items() for f in spec["fields"] if f != "last"}


@pytest.mark.parametrize("name", ["module", "endmodule", "wire", "reg", "input", "always_ff", "logic",
                                  "interface", "class", "bit", "uwire", "s_until_with"])
def test_keyword_module_names_are_refused(name):
    assert name in VERILOG_KEYWORDS
    message = f"^module name must be a Verilog identifier, not the keyword '{name}'$"
    with pytest.raises(ValueError, match=message):
        check_module_name(name)


@pytest.mark.parametrize("name", ["Module", "modules", "mac_module", "wire2", "_reg", "mac"])
def test_identifiers_that_are_not_keywords_pass(name):
    assert check_module_name(name) == name


GENERATE = {
    "mac": ["--a", "int8", "--b", "int8"],
    "mul": ["--a", "int8", "--b", "fp8_e4m3"],
    "systolic": ["--a", "int8", "--b", "int8", "--pes", "2", "--depth", "4"],
    "mxdot": ["--elem", "mxfp4", "--block", "4"],
    "nnlut": ["--func", "gelu", "--entries", "4", "--in", "int8_f4", "--out-format", "int8_f3"],
    "add": ["--format", "int32"],
    "lut": ["--func", "gelu", "--cell-bits", "2", "--in", "int8_f4", "--out-format", "int8_f3"],
}


@pytest.mark.parametrize("kind", GENERATE)
def test_generate_refuses_a_keyword_name(kind, tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["generate", kind, *GENERATE[kind], "--name", "module", "--out", str(out)]) == 2
    gc.collect()  # --name is checked before the unit is built: no unused unit to warn about
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert "module name must be a Verilog identifier, not the keyword 'module'" in err
    assert not out.exists()
