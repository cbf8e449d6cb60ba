"""A two-gate design and its cocotb test: the smoke run `hwgen doctor` gives each simulator."""

from importlib import resources
from pathlib import Path

TOPLEVEL = "smoke_gates"
TEST_MODULE = "hwgen.sim.smoke.smoke_tests"


def verilog_source() -> Path:
    """Path of ``smoke_gates.v`` (a real file: the package is installed unzipped)."""
    return Path(str(resources.files(__name__) / "smoke_gates.v"))
