"""The sweeps shipped with hwgen, found by name: `hwgen sweep smoke` runs this folder's ``smoke.toml``.

Each file's summary (`hwgen sweeps`) is its ``[sweep] description`` or else the first sentence of its
leading comment, so that first sentence is written to stand alone.
"""

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

SUFFIX = ".toml"


def shipped() -> dict[str, Traversable]:
    """{name: file} of every shipped sweep, sorted by name. Read through importlib.resources so that
    an installed wheel finds them as the repository does."""
    files = sorted((entry for entry in resources.files(__name__).iterdir()
                    if entry.name.endswith(SUFFIX) and entry.is_file()), key=lambda entry: entry.name)
    return {entry.name.removesuffix(SUFFIX): entry for entry in files}


def resolve(config: str) -> Path | Traversable:
    """The sweep file *config* names: an existing file as given (a file of the user's wins over a shipped
    name), else the shipped sweep called *config* (with or without ``.toml``); otherwise a one-line
    ``ValueError`` listing the shipped names."""
    path = Path(config)
    if path.is_file():
        return path
    sweeps = shipped()
    name = config.removesuffix(SUFFIX)
    if name in sweeps and path.name == config:  # a bare name, not a path that happens to end in one
        return sweeps[name]
    if path.exists():  # a folder, say: reading it gives the precise error
        return path
    shipped_name = path.name.removesuffix(SUFFIX)
    if shipped_name in sweeps:  # a repository path (fpga/sweeps/NAME.toml) typed outside the repository
        raise ValueError(f"{config}: no such file; the shipped sweep of that name runs with "
                         f"`hwgen sweep {shipped_name}`")
    raise ValueError(f"no sweep file or shipped sweep called {config!r}; shipped sweeps: "
                     f"{', '.join(sweeps)} (`hwgen sweeps` describes them)")


@dataclass(frozen=True)
class ShippedSweep:
    name: str
    summary: str
    points: int


def describe_shipped() -> list[ShippedSweep]:
    """Every shipped sweep with its summary and its number of points (parsing a sweep fits its NN-LUT
    tables, so this takes seconds)."""
    from hwgen.fpga.sweep_config import parse_config

    described = []
    for name, file in shipped().items():
        text = file.read_text(encoding="utf-8")
        data = tomllib.loads(text)
        described.append(ShippedSweep(name, summary(text, data), parse_config(data).points))
    return described


def summary(text: str, data: Mapping) -> str:
    """``[sweep] description``, or the first sentence of the file's leading comment."""
    description = data.get("sweep", {}).get("description")
    if isinstance(description, str) and description.strip():
        return " ".join(description.split())
    comment = []
    for line in text.splitlines():
        if not line.startswith("#"):
            break
        comment.append(line.lstrip("#").strip())
    sentence, stop, _ = " ".join(comment).partition(". ")
    return sentence + stop.strip()


__all__ = ["ShippedSweep", "describe_shipped", "resolve", "shipped", "summary"]
