"""Errors a user can cause and fix. The CLI prints them in one line and exits 2."""


class HwgenError(Exception):
    """Base for hwgen's own user-facing errors (bad environment, bad input files)."""


class ToolNotFoundError(HwgenError):
    """An external tool (yosys, nextpnr, iverilog, verilator, ...) is missing or too old."""
