"""What a `pip install` gets (issue 23): an SPDX license and its text, every package and the shipped
sweeps, and a plain install that generates and verifies without the extras' heavy packages."""

import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from hwgen.extras import COMMAND_EXTRAS, EXTRAS, missing_message

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
PROJECT = PYPROJECT["project"]
SETUPTOOLS = PYPROJECT["tool"]["setuptools"]
EXTRA_NAMES = ("fpga", "sweep", "report", "workload")
# Import name -> distribution name, where they differ.
DISTRIBUTIONS = {"dask": "dask", "distributed": "dask"}


def names(requirements) -> set[str]:
    """Distribution names (lower case, no version, no extras) of *requirements*."""
    return {re.split(r"[\[<>=~!; ]", requirement, maxsplit=1)[0].lower() for requirement in requirements}


def test_license_is_an_spdx_string_with_its_text_shipped():
    assert PROJECT["license"] == "Apache-2.0"
    assert PROJECT["license-files"] == ["LICENSE"]
    text = (ROOT / "LICENSE").read_text()
    assert "Apache License" in text and "Version 2.0, January 2004" in text
    assert "END OF TERMS AND CONDITIONS" in text  # the whole license, not a pointer to it
    setuptools = PYPROJECT["build-system"]["requires"]
    assert setuptools == ["setuptools>=77"]  # the first to read the SPDX string and license-files


def test_every_package_folder_is_declared():
    """Each folder with an __init__.py under a package-dir mapping is in `packages` (a missing one is
    left out of the wheel, and the installed hwgen fails to import it)."""
    found = set()
    for package, folder in SETUPTOOLS["package-dir"].items():
        for init in (ROOT / folder).rglob("__init__.py"):
            relative = init.parent.relative_to(ROOT / folder).parts
            found.add(".".join((package, *relative)))
    assert found <= set(SETUPTOOLS["packages"])
    assert "hwgen.fpga.sweeps" in SETUPTOOLS["packages"]


def test_shipped_sweeps_are_package_data():
    assert SETUPTOOLS["package-data"]["hwgen.fpga.sweeps"] == ["*.toml"]


def test_a_plain_install_brings_no_extra():
    dependencies = names(PROJECT["dependencies"])
    extras = PROJECT["optional-dependencies"]
    assert set(EXTRA_NAMES) | {"all", "test"} == set(extras)
    for extra in EXTRA_NAMES:
        assert not dependencies & names(extras[extra]) - {"hwgen"}, extra
    assert not dependencies & {"dask", "pyarrow", "pandas", "matplotlib", "tokenizers", "safetensors"}
    (everything,) = extras["all"]  # hwgen[...]: every extra (fpga through sweep)
    assert "hwgen[fpga]" in extras["sweep"]
    assert {*re.fullmatch(r"hwgen\[(.*)\]", everything)[1].split(","), "fpga"} == set(EXTRA_NAMES)


@pytest.mark.parametrize("module", sorted(EXTRAS))
def test_the_extra_a_message_names_brings_the_module(module):
    extras = PROJECT["optional-dependencies"]
    for extra in EXTRAS[module]:
        assert DISTRIBUTIONS.get(module, module) in names(extras[extra]), (module, extra)


def test_missing_message_names_the_commands_extra():
    assert missing_message("pandas", "report") == ("the Python package 'pandas' is not installed: "
                                                  "pip install 'hwgen[report]'")
    assert missing_message("pandas.core.frame", "sweep").endswith("pip install 'hwgen[sweep]'")
    assert missing_message("pandas", "generate").endswith("pip install 'hwgen[sweep]'")  # the first one
    assert missing_message("matplotlib", "nnlut-report").endswith("pip install 'hwgen[report]'")
    assert missing_message("tokenizers", "accuracy").endswith("pip install 'hwgen[workload]'")
    assert missing_message("amaranth", "generate") is None  # a plain dependency: a broken install
    assert missing_message(None) is None
    assert set(COMMAND_EXTRAS.values()) <= set(EXTRA_NAMES)


def test_the_command_line_and_generate_load_no_extra(tmp_path):
    """`import hwgen.cli`, building every command's parser and `hwgen generate` import none of the
    extras' heavy packages (checked in a fresh interpreter: this one has loaded them)."""
    script = f"""
import json, sys
from hwgen.cli import build_parser, main
build_parser()
extras = {sorted(EXTRAS)!r}
loaded = [[m for m in extras if m in sys.modules]]
code = main(["generate", "mac", "--a", "int8", "--b", "int8", "--out", {str(tmp_path / "mac")!r}])
loaded.append([m for m in extras if m in sys.modules])
print(json.dumps([code, loaded]))
"""
    completed = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True,
                               timeout=120)
    assert json.loads(completed.stdout.splitlines()[-1]) == [0, [[], []]]
