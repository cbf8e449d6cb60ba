"""`hwgen formats` and `hwgen quantize`: output, JSON shape, standard input, and one-line errors."""

import json
import subprocess
import sys

import pytest

from hwgen.cli import main


def run_cli(*args, stdin=None):
    return subprocess.run([sys.executable, "-m", "hwgen", *args], input=stdin, capture_output=True,
                          text=True, timeout=120)


def test_quantize_json_follows_the_contract(capsys):
    args = ["1.0", "464", "464.1", "-0.3", "nan", "-inf"]
    assert main(["quantize", "--format", "fp8_e4m3", "--json", *args]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["input"] for r in rows] == ["1.0", "464", "464.1", "-0.3", "nan", "-inf"]
    assert [r["code"] for r in rows] == [0x38, 0x7E, 0x7F, 0xAA, 0x7F, 0xFF]
    assert [r["value"] for r in rows] == [1.0, 448.0, "nan", -0.3125, "nan", "nan"]


def test_quantize_e5m2_overflow_to_inf(capsys):
    assert main(["quantize", "-f", "fp8_e5m2", "--json", "61439", "61440", "-61440"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [(r["code"], r["value"]) for r in rows] == [(0x7B, 57344.0), (0x7C, "inf"), (0xFC, "-inf")]


def test_quantize_saturate_clamps_overflow_and_inf(capsys):
    assert main(["quantize", "-f", "fp8_e5m2", "--saturate", "--json", "1e9", "-inf", "nan"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["code"] for r in rows] == [0x7B, 0xFB, 0x7E]


def test_quantize_table_output(capsys):
    assert main(["quantize", "-f", "fp4_e2m1", "0.25", "0.75", "2.5", "5", "5.1", "100", "inf"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "fp4_e2m1"
    codes = [line.split()[1] for line in out[3:]]
    assert codes == ["0x0", "0x2", "0x4", "0x6", "0x7", "0x7", "0x7"]


def test_quantize_reads_standard_input():
    result = run_cli("quantize", "-f", "int8", "--json", "-", stdin="1.5\n2.5\n-300\n\n")
    assert result.returncode == 0, result.stderr
    assert [r["code"] for r in json.loads(result.stdout)] == [2, 2, 0x80]


def test_quantize_block_format(capsys):
    values = [str(v) for v in range(32)]
    assert main(["quantize", "-f", "mxfp4", "--json", *values]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert {r["scale"] for r in rows} == {127 + 2}  # floor(log2(31)) - emax_elem(E2M1) = 4 - 2
    assert rows[31]["value"] == 24.0  # 31 / 4 = 7.75 saturates to 6, times 4


def test_formats_json_lists_the_registry(capsys):
    assert main(["formats", "--json"]) == 0
    entries = {e["name"]: e for e in json.loads(capsys.readouterr().out)}
    assert entries["fp8_e4m3fn"]["max"] == 448.0
    assert "fp8_e4m3" in entries["fp8_e4m3fn"]["aliases"]
    assert entries["fp8_e5m2"]["has_inf"] is True
    assert entries["mxfp4"]["block_size"] == 32
    assert entries["nvfp4"]["scale"] == "fp8_e4m3fn"
    assert entries["dint4"]["values"][:2] == [0.5, 1.0]
    assert entries["dint4z"]["values"][7:9] == [7.0, -0.5]
    assert (entries["nf4"]["values"][7], entries["nf4"]["lsb_exponent"]) == (0.0, -10)
    assert entries["fp4_e2m1_sr"]["values"][8] == 8.0 and entries["fp4_e2m1_sp"]["values"][8] == 5.0


def test_formats_table_names_aliases(capsys):
    assert main(["formats"]) == 0
    out = capsys.readouterr().out
    assert "float8_e4m3fn" in out and "fp8_e4m3_ieee" in out and "mxint8" in out


def test_formats_describes_one_with_codes(capsys):
    assert main(["formats", "fp4_e2m1", "--codes"]) == 0
    out = capsys.readouterr().out
    assert "0xf   -6" in out and "policy: finite" in out


BAD_INVOCATIONS = [
    (["quantize", "-f", "fp8_e9m3", "1"], "exponent bits must be between 1 and 8, not 9"),
    (["quantize", "-f", "fp7_e4m3", "1"], "bits do not add up"),
    (["quantize", "-f", "int0", "1"], "integer bits must be between 2 and 32, not 0"),
    (["quantize", "-f", "fp8_e4m3_b99", "1"], "bias must be between 0 and 15, not 99"),
    (["quantize", "-f", "nope", "1"], "unknown format 'nope'"),
    (["quantize", "-f", "int8", "abc"], "VALUE 'abc' is not a number"),
    (["quantize", "-f", "fp4_e2m1", "nan"], "has no NaN code"),
    (["quantize", "-f", "mxfp4", "1", "2"], "multiple of the block size 32"),
    (["quantize", "-f", "int8", "1", "-"], "'-' (read standard input) must be the only VALUE"),
    (["quantize", "1"], "the following arguments are required: --format"),
    (["formats", "fp8_e4m3_b16"], "bias must be between 0 and 15, not 16"),
]


@pytest.mark.parametrize(("args", "message"), BAD_INVOCATIONS, ids=[" ".join(a) for a, _ in BAD_INVOCATIONS])
def test_bad_input_is_one_line_exit_2(args, message):
    result = run_cli(*args)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert [line for line in lines if "error:" in line] == [lines[-1]], result.stderr
    assert message in lines[-1]
    assert len(lines) == 1 or lines[0].startswith("usage:")  # argparse errors show the usage first
