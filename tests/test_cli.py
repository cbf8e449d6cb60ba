"""The `hwgen` command line as a user meets it: help, and one-line errors instead of tracebacks."""

import subprocess
import sys

import pytest

from hwgen import __version__

# Bad calls a user might make. Each must exit 2 with a one-line error (argparse adds its usage
# line), never a traceback. Subcommands add their own cases in their own test files.
BAD_INVOCATIONS = [
    ["nonsense"],
    ["--bogus"],
    ["doctor", "--bogus"],
    ["doctor", "unexpected-argument"],
    ["doctor", "--json=yes"],
    ["doctor", "--quick", "--verbose"],
]


def run_hwgen(*args, **kwargs):
    return subprocess.run(
        [sys.executable, "-m", "hwgen", *args],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=120,
        check=False,
        **kwargs,
    )


def assert_one_line_error(stderr: str) -> None:
    """Usage lines (argparse wraps them) may come first; then exactly one error line, last."""
    assert "Traceback" not in stderr
    lines = stderr.rstrip("\n").splitlines()
    error_lines = [line for line in lines if "error:" in line]
    assert len(error_lines) == 1, stderr
    assert lines[-1] == error_lines[0], stderr
    usage = lines[:-1]
    assert all(line.startswith("usage:") or line.startswith(" ") for line in usage), stderr
    assert not usage or usage[0].startswith("usage:"), stderr


def test_no_arguments_prints_help_as_a_usage_error():
    result = run_hwgen()
    assert result.returncode == 2
    assert result.stderr.startswith("usage: hwgen")
    for command in ("doctor", "formats", "quantize"):
        assert command in result.stderr
    assert result.stdout == ""


def test_version():
    result = run_hwgen("--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"hwgen {__version__}"


def test_unknown_subcommand_is_usage_plus_one_line():
    result = run_hwgen("nonsense")
    assert result.returncode == 2
    assert result.stderr.startswith("usage: hwgen")
    last_line = result.stderr.rstrip().splitlines()[-1]
    assert last_line.startswith("hwgen: error: argument COMMAND: invalid choice: 'nonsense'")
    assert_one_line_error(result.stderr)


def test_unknown_option_exits_2():
    result = run_hwgen("--bogus")
    assert result.returncode == 2
    assert "unrecognized arguments: --bogus" in result.stderr


@pytest.mark.parametrize("args", BAD_INVOCATIONS, ids=" ".join)
def test_bad_invocation_has_no_traceback(args):
    result = run_hwgen(*args)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stdout
    assert_one_line_error(result.stderr)
