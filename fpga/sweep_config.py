"""A sweep's plan: units x formats x parameters x targets, read and checked from a TOML file.

:func:`load_config` turns the file into a :class:`SweepPlan` (the designs, the flows, the seeds) or a
one-line ``ValueError`` naming the bad key or value; nothing is measured here.

See ``docs/synthesis.md`` for the TOML format.
"""

import itertools
import json
import os
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib.resources.abc import Traversable
from pathlib import Path

from hwgen import toolchain
from hwgen.formats import get_format
from hwgen.fpga import asic, units
from hwgen.fpga.activity import DEFAULT_MACS, MAX_MACS
from hwgen.fpga.fmax import (
    FMAX_TARGETS,
    TIMING_TOOLS,
    XC7,
    FmaxRequest,
    FmaxSearch,
    check_fmax,
    fmax_error,
    has_pipeline,
)
from hwgen.fpga.pnr import DEFAULT_FREQ_MHZ, DEFAULT_SEED, PNR_TARGETS
from hwgen.fpga.points import GATES, FlowSpec
from hwgen.fpga.targets import ASIC, TARGET_NAMES
from hwgen.fpga.units import canonical_json
from hwgen.specs import spec_kind

MAX_POINTS = 100_000
DEFAULT_TIMEOUT_S = 3600.0


@dataclass(frozen=True)
class DesignPoint:
    """One design of a sweep: a unit kind and its canonical options."""

    unit: str
    config: str  # canonical JSON of the options, defaults filled in

    @property
    def options(self) -> dict:
        return json.loads(self.config)


@dataclass(frozen=True)
class SweepPlan:
    """A parsed sweep: every design is measured with every flow (and every seed where placed), or
    with the flows of the targets its unit table names (``only``: design -> targets).

    ``fmax``: the Fmax requests of target tables with ``fmax_mhz`` (:mod:`hwgen.fpga.fmax`). A design
    with a pipeline option gets one search per request on its targets (:meth:`fmax_searches`, run after
    the plain points); a design without one is measured plainly with the request's flow (at the clock).
    """

    designs: tuple[DesignPoint, ...]
    flows: tuple[FlowSpec, ...]
    seeds: tuple[int, ...] = (DEFAULT_SEED,)
    timeout_s: float | None = DEFAULT_TIMEOUT_S
    harness_cost: bool = False
    name: str = "sweep"
    only: tuple[tuple[DesignPoint, tuple[str, ...]], ...] = ()
    fmax: tuple[FmaxRequest, ...] = ()

    def flows_for(self, design: DesignPoint) -> tuple[FlowSpec, ...]:
        targets = dict(self.only).get(design)
        flows = self.flows
        if not has_pipeline(design.unit):  # nothing to choose: measured at the requested clock
            flows = tuple(dict.fromkeys((*flows, *(request.flow for request in self.fmax))))
        if instantiates_dsps(design):
            flows = tuple(flow for flow in flows if flow.dsp)
        return flows if targets is None else tuple(f for f in flows if f.target in targets)

    def fmax_for(self, design: DesignPoint) -> tuple[FmaxRequest, ...]:
        """The Fmax requests that choose *design*'s pipeline depth (none for a unit without one)."""
        if not has_pipeline(design.unit):
            return ()
        targets = dict(self.only).get(design)
        return tuple(r for r in self.fmax if (targets is None or r.target in targets)
                     and (r.dsp or not instantiates_dsps(design)))

    def fmax_searches(self) -> tuple[FmaxSearch, ...]:
        """One search per design (its pipeline left out) and request; designs that differ only in their
        pipeline share it."""
        return tuple(dict.fromkeys(FmaxSearch.of(design.unit, design.options, request)
                                   for design in self.designs for request in self.fmax_for(design)))

    @property
    def points(self) -> int:
        """Rows the plan makes (harness-cost points, found only once designs exist, not included)."""
        return sum(len(self.seeds) if flow.pnr else 1 for design in self.designs
                   for flow in self.flows_for(design))

    def tools(self) -> set[str]:
        flows = (*self.flows, *(request.flow for request in self.fmax))
        return {tool for flow in flows for tool in (*flow.tools, *flow.energy_tools)}


def instantiates_dsps(design: DesignPoint) -> bool:
    """Whether the design instantiates DSP primitives: it is measured only on flows with DSPs allowed."""
    return spec_kind(design.unit).from_options(design.options).needs_dsps


# --- the TOML file -----------------------------------------------------------------------------

_TOP_KEYS = ("sweep", "units", "targets")
_SWEEP_KEYS = ("name", "description", "seeds", "timeout_s", "freq_mhz", "harness_cost")
_UNIT_KEYS = ("kind", "formats", "params", "targets")
_TARGET_KEYS = ("dsp", "pnr", "freq_mhz")
_PLACED_KEYS = (*_TARGET_KEYS, "fmax_mhz")  # ice40, ecp5
_GATES_KEYS = (*_TARGET_KEYS, "energy", "energy_macs")
_ASIC_KEYS = ("library", "clock_ns", "fmax_mhz")
_XC7_FMAX_KEYS = ("dsp", "fmax_mhz")  # no place and route: the estimate comes with synthesis


def load_config(path: os.PathLike | str | Traversable) -> SweepPlan:
    """Read a sweep TOML file (a path, or a shipped one from :func:`hwgen.fpga.sweeps.resolve`);
    ``ValueError`` with one line naming the file and the bad key or value."""
    path = path if isinstance(path, Traversable) else Path(path)
    try:
        text = path.read_text()
    except OSError as error:
        raise ValueError(f"cannot read sweep config {path}: {error.strerror}") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ValueError(f"{path}: malformed TOML: {error}") from None
    try:
        return parse_config(data)
    except (ValueError, TypeError) as error:
        raise ValueError(f"{path}: {error}") from None


def parse_config(data: Mapping) -> SweepPlan:
    _known(data, _TOP_KEYS, "")
    sweep = _table(data.get("sweep", {}), "sweep")
    _known(sweep, _SWEEP_KEYS, "sweep.")
    seeds = tuple(_int_list(sweep.get("seeds", [DEFAULT_SEED]), "sweep.seeds", 0, 2**31 - 1))
    if not seeds or len(set(seeds)) != len(seeds):
        raise ValueError("sweep.seeds must be a non-empty list of different integers")
    timeout = _number(sweep.get("timeout_s", DEFAULT_TIMEOUT_S), "sweep.timeout_s", 1, 7 * 24 * 3600)
    freq = _number(sweep.get("freq_mhz", DEFAULT_FREQ_MHZ), "sweep.freq_mhz", 0.001, 10_000)
    harness_cost = _bool(sweep.get("harness_cost", False), "sweep.harness_cost")
    name = sweep.get("name", "sweep")
    if not isinstance(name, str):
        raise TypeError(f"sweep.name must be a string, not {type(name).__name__}")

    if "units" not in data:
        raise ValueError("missing [[units]]: a sweep needs at least one unit")
    unit_tables = data["units"]
    if not isinstance(unit_tables, list) or not unit_tables:
        raise ValueError("units must be an array of tables ([[units]])")
    designs = []
    only: dict[DesignPoint, set[str] | None] = {}  # None: every target
    origin: dict[DesignPoint, int] = {}  # the unit table a design comes from first
    for index, table in enumerate(unit_tables):
        table = _table(table, f"units[{index}]")
        found = _unit_designs(table, f"units[{index}]")
        targets = _unit_targets(table, f"units[{index}]", data)
        designs.extend(found)
        for point in found:
            origin.setdefault(point, index)
            before = only.get(point, set())
            only[point] = None if targets is None or before is None else before | targets
    designs = tuple(dict.fromkeys(designs))  # the same design twice is measured once

    if "targets" not in data:
        raise ValueError(f"missing [targets]: name at least one of {', '.join(TARGET_NAMES)}")
    targets = _table(data["targets"], "targets")
    if not targets:
        raise ValueError(f"[targets] is empty: name at least one of {', '.join(TARGET_NAMES)}")
    flows, requests = [], []
    for target, options in targets.items():
        if target not in TARGET_NAMES:
            raise ValueError(f"unknown target {target!r} in [targets]; targets are {', '.join(TARGET_NAMES)}")
        options = _table(options, f"targets.{target}")
        if "fmax_mhz" in options:
            requests.extend(_fmax_requests(target, options, seeds[0]))
        else:
            flows.extend(_target_flows(target, options, freq))
    _check_fmax_pipelines(unit_tables, requests, targets)
    _restrict_to_spec_targets(designs, only, targets, origin)
    restricted = tuple((point, tuple(sorted(targets))) for point, targets in only.items()
                       if targets is not None)
    plan = SweepPlan(designs, tuple(dict.fromkeys(flows)), seeds, timeout, harness_cost, name, restricted,
                     tuple(dict.fromkeys(requests)))
    if plan.points > MAX_POINTS:
        raise ValueError(f"the sweep has {plan.points} points, more than {MAX_POINTS}")
    return plan


def _restrict_to_spec_targets(designs, only: dict, targets: Mapping, origin: Mapping) -> None:
    """Limit every design that maps to some targets only (it instantiates their primitives) to those of
    them [targets] names (with DSPs allowed, for DSP primitives), within its unit table's own targets, in
    *only*; one line naming the unit table when none is left."""
    for point in designs:
        spec = spec_kind(point.unit).from_options(point.options)
        if spec.targets is None:
            continue
        usable = {target for target in spec.targets if target in targets
                  and (not spec.needs_dsps
                       or True in _as_list(_table(targets[target], f"targets.{target}").get("dsp", True)))}
        allowed = usable if only[point] is None else only[point] & usable
        if not allowed:
            names = ", ".join(spec.targets)
            if spec.needs_dsps:
                raise ValueError(f"units[{origin[point]}]: {spec.label} synthesizes for {names} with DSPs "
                                 f"only: name it in [targets] with dsp = true (and in the unit's targets), "
                                 f"or drop the design")
            raise ValueError(f"units[{origin[point]}]: {spec.label} synthesizes for {names} only: name it "
                             f"in [targets] (and in the unit's targets), or drop the design")
        only[point] = allowed


def _as_list(value) -> list:
    return value if isinstance(value, list) else [value]


def _unit_targets(table: Mapping, where: str, data: Mapping) -> set[str] | None:
    """The targets a unit table limits its designs to (``targets = ["gates"]``), None for all."""
    if "targets" not in table:
        return None
    targets = table["targets"]
    if not isinstance(targets, list) or not targets or not all(isinstance(t, str) for t in targets):
        raise ValueError(f"{where}.targets must be a non-empty list of target names")
    named = data.get("targets", {})
    for target in targets:
        if not isinstance(named, Mapping) or target not in named:
            raise ValueError(f"{where}.targets: {target!r} is not a target of [targets]")
    return set(targets)


def _unit_designs(table: Mapping, where: str) -> list[DesignPoint]:
    _known(table, _UNIT_KEYS, f"{where}.")
    if "kind" not in table:
        raise ValueError(f"{where}: missing key 'kind' (one of {', '.join(units.UNIT_NAMES)})")
    kind = units.get_unit(table["kind"])
    params = _table(table.get("params", {}), f"{where}.params")
    allowed = kind.options
    for name in params:
        if name not in allowed or (kind.uses_formats and "formats" in table and name in ("a", "b")):
            takes = [o for o in allowed if o not in ("a", "b") or "formats" not in table]
            raise ValueError(f"unknown key '{where}.params.{name}'; unit {kind.name} takes "
                             f"{', '.join(takes)}")
    value_lists = {name: value if isinstance(value, list) else [value] for name, value in params.items()}
    for name, values in value_lists.items():
        if not values:
            raise ValueError(f"{where}.params.{name} is an empty list")
    if "formats" in table:
        if not kind.uses_formats:
            raise ValueError(f"unknown key '{where}.formats': unit {kind.name} takes no formats")
        formats = table["formats"]
        if not isinstance(formats, list) or not formats:
            raise ValueError(f"{where}.formats must be a non-empty list of format names")
        pairs = [parse_format_pair(spec, f"{where}.formats[{i}]") for i, spec in enumerate(formats)]
        value_lists = {"a": [a for a, _ in pairs], "b": [b for _, b in pairs], **value_lists}
        zipped = ("a", "b")  # a and b vary together, one pair per entry of formats
    else:
        zipped = ()
    names = [name for name in value_lists if name not in zipped]
    points = []
    pair_count = len(value_lists["a"]) if zipped else 1
    for pair_index in range(pair_count):
        base = {name: value_lists[name][pair_index] for name in zipped}
        for combination in itertools.product(*(value_lists[name] for name in names)):
            options = {**base, **dict(zip(names, combination, strict=True))}
            try:
                canonical = units.canonical_options(kind.name, options)
            except TypeError as error:  # e.g. a missing required option
                raise ValueError(f"{where}: {error}") from None
            except ValueError as error:
                raise ValueError(f"{where} {canonical_json(options)}: {error}") from None
            points.append(DesignPoint(kind.name, canonical_json(canonical)))
    return points


def parse_format_pair(spec, where: str = "format") -> tuple[str, str]:
    """``"int8"`` -> (int8, int8); ``"dint4xint8"`` -> (dint4, int8); ``{a = ..., b = ...}`` as given."""
    if isinstance(spec, Mapping):
        _known(spec, ("a", "b"), f"{where}.")
        if set(spec) != {"a", "b"}:
            raise ValueError(f"{where} needs both 'a' and 'b'")
        for side in ("a", "b"):
            _check_format(spec[side], f"{where}.{side}")
        return spec["a"], spec["b"]
    if not isinstance(spec, str):
        raise TypeError(f"{where} must be a format name or {{a = ..., b = ...}}, not {type(spec).__name__}")
    if _is_format(spec):
        return spec, spec
    for index, char in enumerate(spec):
        if char == "x" and _is_format(spec[:index]) and _is_format(spec[index + 1:]):
            return spec[:index], spec[index + 1:]
    raise ValueError(f"{where}: unknown format {spec!r} (a registry name, or A x B written as e.g. "
                     f"dint4xint8; see `hwgen formats`)")


def _is_format(name: str) -> bool:
    try:
        get_format(name)
    except (ValueError, TypeError, KeyError):
        return False
    return True


def _check_format(name, where: str) -> None:
    if not isinstance(name, str) or not _is_format(name):
        raise ValueError(f"{where}: unknown format {name!r} (see `hwgen formats`)")


def _target_flows(target: str, table: Mapping, default_freq: float) -> list[FlowSpec]:
    if target == ASIC:
        return _asic_flows(table)
    _known(table, _GATES_KEYS if target == GATES else _TARGET_KEYS, f"targets.{target}.")
    energy = _bool(table.get("energy", False), f"targets.{target}.energy")
    energy_macs = table.get("energy_macs", DEFAULT_MACS)
    if isinstance(energy_macs, bool) or not isinstance(energy_macs, int) or not 1 <= energy_macs <= MAX_MACS:
        raise ValueError(f"targets.{target}.energy_macs must be an integer between 1 and {MAX_MACS}, "
                         f"not {energy_macs!r}")
    if "energy_macs" in table and not energy:
        raise ValueError(f"targets.{target}.energy_macs needs energy = true")
    dsp_values = table.get("dsp", True)
    dsp_values = dsp_values if isinstance(dsp_values, list) else [dsp_values]
    if not dsp_values:
        raise ValueError(f"targets.{target}.dsp is an empty list")
    pnr = _bool(table.get("pnr", False), f"targets.{target}.pnr")
    if pnr and target not in PNR_TARGETS:
        raise ValueError(f"targets.{target}.pnr: place and route is available for {', '.join(PNR_TARGETS)}, "
                         f"not {target}")
    freq = _number(table.get("freq_mhz", default_freq), f"targets.{target}.freq_mhz", 0.001, 10_000)
    return [FlowSpec(target, _bool(dsp, f"targets.{target}.dsp"), pnr, freq if pnr else DEFAULT_FREQ_MHZ,
                     energy=energy, energy_macs=energy_macs) for dsp in dict.fromkeys(dsp_values)]


def _fmax_requests(target: str, table: Mapping, seed: int) -> list[FmaxRequest]:
    """``fmax_mhz = 150`` (or a list) in a target table: the pipeline depth of each unit is chosen to meet
    it (hwgen.fpga.fmax); one request per frequency (and per dsp value or library)."""
    where = f"targets.{target}"
    if target not in FMAX_TARGETS:
        raise ValueError(f"{where}.fmax_mhz: {target} has no timing tool to choose a pipeline depth for "
                         f"an Fmax; use it on {TIMING_TOOLS}")
    _known(table, {ASIC: _ASIC_KEYS, XC7: _XC7_FMAX_KEYS}.get(target, _PLACED_KEYS), f"{where}.")
    frequencies = [_fmax_value(value, f"{where}.fmax_mhz")
                   for value in _value_list(table["fmax_mhz"], f"{where}.fmax_mhz")]
    if target == ASIC:
        if "clock_ns" in table:
            raise ValueError(f"{where}: fmax_mhz sets the clock (1000 / MHz); drop clock_ns")
        libraries = _value_list(table.get("library", asic.DEFAULT_LIBRARY), f"{where}.library")
        for library in libraries:
            try:
                toolchain.check_library_name(library)
            except ValueError as error:
                raise ValueError(f"{where}.library: {error}") from None
        return [FmaxRequest(ASIC, mhz, library=library) for library in libraries for mhz in frequencies]
    if "freq_mhz" in table:
        raise ValueError(f"{where}: nextpnr aims at fmax_mhz; drop freq_mhz")
    if table.get("pnr", True) is not True:
        raise ValueError(f"{where}: fmax_mhz is measured after place and route; drop pnr = false")
    dsp_values = table.get("dsp", True)
    dsp_values = dsp_values if isinstance(dsp_values, list) else [dsp_values]
    if not dsp_values:
        raise ValueError(f"{where}.dsp is an empty list")
    return [FmaxRequest(target, mhz, dsp=_bool(dsp, f"{where}.dsp"), seed=seed)
            for dsp in dict.fromkeys(dsp_values) for mhz in frequencies]


def _fmax_value(value, where: str) -> float:
    if isinstance(value, str):  # "150" is text in TOML (the command line's --fmax is text and may be)
        raise ValueError(fmax_error(where, value))
    return check_fmax(value, where)


def _check_fmax_pipelines(unit_tables: list, requests: list[FmaxRequest], targets: Mapping) -> None:
    """A unit table that fixes ``pipeline`` cannot also go to a target whose ``fmax_mhz`` chooses it."""
    fmax_targets = {request.target for request in requests}
    for index, table in enumerate(unit_tables):
        if "pipeline" not in table.get("params", {}):
            continue
        unit_targets = table.get("targets", list(targets))
        clash = sorted(fmax_targets & set(unit_targets))
        if clash:
            raise ValueError(f"units[{index}].params.pipeline: targets.{clash[0]}.fmax_mhz chooses the "
                             f"pipeline depth; drop pipeline, or limit this unit to other targets with "
                             f"targets = [...]")


def _asic_flows(table: Mapping) -> list[FlowSpec]:
    """One flow per library and clock period (each a value or a list)."""
    _known(table, _ASIC_KEYS, "targets.asic.")
    libraries = _value_list(table.get("library", asic.DEFAULT_LIBRARY), "targets.asic.library")
    for library in libraries:
        try:
            toolchain.check_library_name(library)
        except ValueError as error:
            raise ValueError(f"targets.asic.library: {error}") from None
    clocks = [_number(clock, "targets.asic.clock_ns", asic.MIN_CLOCK_NS, asic.MAX_CLOCK_NS)
              for clock in _value_list(table.get("clock_ns", asic.DEFAULT_CLOCK_NS), "targets.asic.clock_ns")]
    return [FlowSpec(ASIC, library=library, clock_ns=clock) for library in libraries for clock in clocks]


def _value_list(value, where: str) -> list:
    values = value if isinstance(value, list) else [value]
    if not values:
        raise ValueError(f"{where} is an empty list")
    return values


def _known(table: Mapping, allowed: Sequence[str], prefix: str) -> None:
    for key in table:
        if key not in allowed:
            raise ValueError(f"unknown key '{prefix}{key}'; allowed: {', '.join(allowed)}")


def _table(value, where: str) -> Mapping:
    if not isinstance(value, Mapping):
        raise TypeError(f"{where} must be a table, not {type(value).__name__}")
    return value


def _bool(value, where: str) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"{where} must be true or false, not {value!r}")
    return value


def _number(value, where: str, low: float, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
        raise ValueError(f"{where} must be a number between {low:g} and {high:g}, not {value!r}")
    return float(value)


def _int_list(value, where: str, low: int, high: int) -> list[int]:
    values = value if isinstance(value, list) else [value]
    for item in values:
        if isinstance(item, bool) or not isinstance(item, int) or not low <= item <= high:
            raise ValueError(f"{where} must hold integers between {low} and {high}, not {item!r}")
    return values



def describe(plan: SweepPlan) -> str:
    pnr = sum(flow.pnr for flow in plan.flows)
    targets = sorted({target for _, targets in plan.only for target in targets})
    limited = f" ({len(plan.only)} of them on {', '.join(targets)} only)" if plan.only else ""
    energy = " with gate-level energy" if any(flow.energy for flow in plan.flows) else ""
    searches = plan.fmax_searches()
    fmax = (f" + {len(searches)} Fmax searches ({'; '.join(r.describe() for r in plan.fmax)}), one "
            f"point per pipeline depth tried" if searches else "")
    return (f"{plan.name}: {len(plan.designs)} designs{limited} x {len(plan.flows)} flows "
            f"({pnr} placed and routed, seeds {', '.join(map(str, plan.seeds))}) = {plan.points} points"
            + energy + (" + harness-cost points" if plan.harness_cost and pnr else "") + fmax)


__all__ = ["DEFAULT_TIMEOUT_S", "MAX_POINTS", "DesignPoint", "SweepPlan", "describe", "load_config",
           "parse_config", "parse_format_pair"]
