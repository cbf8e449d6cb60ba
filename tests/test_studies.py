"""studies/ (the lab notebook, not part of the package): every script compiles and imports.

Importing catches a study that names something the package no longer has; what a study measures
is its own business (it may lag the package: studies/README.md), and nothing here runs one.
"""

import importlib.util
from pathlib import Path

import pytest

STUDIES = Path(__file__).resolve().parents[1] / "studies"
SCRIPTS = sorted(STUDIES.rglob("*.py"))


def test_studies_exist():
    assert SCRIPTS, f"no scripts under {STUDIES}"


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda path: str(path.relative_to(STUDIES)))
def test_study_compiles_and_imports(script, monkeypatch):
    compile(script.read_text(), str(script), "exec")
    monkeypatch.setattr("sys.dont_write_bytecode", True)  # no __pycache__ left in studies/
    name = "study_" + "_".join(script.relative_to(STUDIES).with_suffix("").parts)
    spec = importlib.util.spec_from_file_location(name, script)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # scripts run only under __main__
    assert callable(getattr(module, "main", None)), f"{script.name} has no main()"
