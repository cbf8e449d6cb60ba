"""`hwgen verify mac`: a real simulation through the CLI, and one-line errors for bad options."""

import subprocess
import sys

import pytest


def run_cli(*args, timeout=600):
    return subprocess.run([sys.executable, "-m", "hwgen", *args], capture_output=True, text=True,
                          timeout=timeout)


@pytest.mark.slow
@pytest.mark.tools
def test_verify_reports_zero_mismatches_on_icarus(tmp_path):
    result = run_cli("verify", "mac", "--a", "fp4_e2m1", "--b", "fp4_e2m1", "--sim", "icarus",
                     "--vectors", "200", "--build-dir", str(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "dot products checked 200, mismatches 0" in result.stdout
    assert result.stdout.splitlines()[-1] == "PASS"


@pytest.mark.slow
@pytest.mark.tools
def test_verify_exhaustive_counts_every_pair(tmp_path):
    result = run_cli("verify", "mac", "--a", "dint4", "--b", "int4", "--sim", "icarus", "--exhaustive",
                     "--build-dir", str(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "vectors checked 256, dot products checked 256, mismatches 0" in result.stdout


BAD = [
    (["--a", "int8", "--b", "int8", "--idle", "1.5"], "--idle must be a number at least 0 and below 1"),
    (["--a", "int8", "--b", "int8", "--stall", "x"], "--stall must be a number at least 0 and below 1"),
    (["--a", "int8", "--b", "int8", "--vectors", "0"], "--vectors must be between 1 and 1000000, not 0"),
    (["--a", "int8", "--b", "int8", "--max-terms", "0"], "--max-terms must be between 1 and 4096, not 0"),
    (["--a", "int8", "--b", "int8", "--pipeline", "0"], "pipeline depth must be between 1 and 16, not 0"),
    (["--a", "int8", "--b", "int8", "--sim", "xsim"], "invalid choice: 'xsim'"),
    (["--a", "int8", "--b", "int8", "--exhaustive", "--vectors", "5"], "not allowed with argument"),
]


@pytest.mark.parametrize(("args", "message"), BAD, ids=[" ".join(a) for a, _ in BAD])
def test_bad_options_are_one_line_and_build_nothing(tmp_path, args, message):
    result = run_cli("verify", "mac", *args, "--build-dir", str(tmp_path / "build"), timeout=120)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert message in result.stderr.splitlines()[-1]
    assert not (tmp_path / "build").exists()
