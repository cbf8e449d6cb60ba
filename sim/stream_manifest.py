"""A stream unit's manifest, bound to the stream contract: port names, widths and payload field offsets.

Everything that drives a unit (harness, naive driver, checker) reads its ports from here, never
from hand-typed names or offsets. Each unit kind names the payload fields it needs
(:mod:`hwgen.sim.verify_mac` and its siblings).
"""

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Field:
    offset: int
    width: int


@dataclass(frozen=True)
class StreamInterface:
    """The ports of a one-input, one-output stream unit, as its manifest states them."""

    module: str
    clock: str
    reset: str
    in_valid: str
    in_ready: str
    in_payload: str
    in_bits: int
    in_fields: dict[str, Field]
    out_valid: str
    out_ready: str
    out_payload: str
    out_bits: int
    out_fields: dict[str, Field]
    latency: int


def load_manifest(path: os.PathLike | str) -> dict:
    """Read a unit's manifest and check that its Verilog file is the one it describes.

    Raises
    ------
    ValueError
        The manifest or its Verilog file cannot be read, or the Verilog file's SHA-256 differs from
        the manifest's ``sha256`` (a stale manifest).
    """
    path = Path(path)
    manifest = json.loads(_read(path, "manifest"))
    expected = manifest.get("sha256")
    if expected:
        actual = hashlib.sha256(_read(verilog_path(path, manifest), "Verilog file", binary=True)).hexdigest()
        if actual != expected:
            raise ValueError(f"{path.name} describes a different {manifest['verilog']}: sha256 {expected} "
                             f"in the manifest, {actual} on disk")
    return manifest


def _read(path: Path, what: str, binary: bool = False):
    try:
        return path.read_bytes() if binary else path.read_text()
    except OSError as error:
        raise ValueError(f"cannot read the {what} {path}: {error.strerror}") from None


def verilog_path(manifest_path: os.PathLike | str, manifest: dict) -> Path:
    """The unit's Verilog file, which the manifest names relative to its own folder."""
    return (Path(manifest_path).parent / manifest["verilog"]).resolve()


def stream_interface(manifest: dict, in_fields: tuple[str, ...] = (), out_fields: tuple[str, ...] = ()
                     ) -> StreamInterface:
    """Bind a one-input, one-output stream unit's ports to the manifest's names and offsets.

    Any unit with ``clk``, ``rst``, an input stream ``i`` and an output stream ``o`` fits (MAC, NN-LUT,
    block dot ...): *in_fields* / *out_fields* are the payload fields it must have. An input field
    ``last``, when present, must be 1 bit: the harness then owes one output per item with ``last``
    set; without it, one output per item.

    Raises
    ------
    ValueError
        A port or field of the contract is missing, has the wrong direction, or does not fit.
    """
    ports = {port["name"]: port for port in manifest["ports"]}
    streams = manifest["streams"]

    def port(name: str, direction: str, width: int | None = None) -> int:
        if name not in ports:
            raise ValueError(f"{manifest['module']} has no port {name!r}")
        if ports[name]["dir"] != direction:
            raise ValueError(f"port {name} of {manifest['module']} must be '{direction}', not "
                             f"{ports[name]['dir']!r}")
        if width is not None and ports[name]["width"] != width:
            raise ValueError(f"port {name} of {manifest['module']} must be {width} bits wide, not "
                             f"{ports[name]['width']}")
        return ports[name]["width"]

    def fields(stream: str, required: tuple[str, ...], payload_bits: int) -> dict[str, Field]:
        found = {name: Field(spec["offset"], spec["width"])
                 for name, spec in streams[stream]["fields"].items()}
        for name in required:
            if name not in found:
                raise ValueError(f"stream {stream} of {manifest['module']} has no field {name!r}")
        for name, field in found.items():
            if field.offset < 0 or field.width < 1 or field.offset + field.width > payload_bits:
                raise ValueError(f"field {stream}.{name} (bits {field.offset}+{field.width}) does not fit "
                                 f"the {payload_bits}-bit payload")
        return found

    in_stream, out_stream = streams["i"], streams["o"]
    known = {"clk", "rst", *(in_stream[k] for k in ("valid", "ready", "payload")),
             *(out_stream[k] for k in ("valid", "ready", "payload"))}
    unknown = sorted(set(ports) - known)
    if unknown:
        raise ValueError(f"{manifest['module']} has ports the stream contract does not know: "
                         f"{', '.join(unknown)}")
    port("clk", "in", 1)
    port("rst", "in", 1)
    port(in_stream["valid"], "in", 1)
    port(in_stream["ready"], "out", 1)
    port(out_stream["valid"], "out", 1)
    port(out_stream["ready"], "in", 1)
    in_bits = port(in_stream["payload"], "in")
    out_bits = port(out_stream["payload"], "out")
    in_fields = fields("i", in_fields, in_bits)
    if "last" in in_fields and in_fields["last"].width != 1:
        raise ValueError(f"field i.last of {manifest['module']} must be 1 bit wide")
    return StreamInterface(
        module=manifest["module"], clock="clk", reset="rst",
        in_valid=in_stream["valid"], in_ready=in_stream["ready"], in_payload=in_stream["payload"],
        in_bits=in_bits, in_fields=in_fields,
        out_valid=out_stream["valid"], out_ready=out_stream["ready"], out_payload=out_stream["payload"],
        out_bits=out_bits, out_fields=fields("o", out_fields, out_bits),
        latency=int(manifest.get("latency", 0)),
    )
