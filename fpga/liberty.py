"""What power analysis needs from a Liberty file: each cell's pins, capacitances, NLDM power and
transition tables, and leakage.

:func:`read_liberty` parses the file once per version (nested groups, simple and complex
attributes) and scales it to ns, pF, V, pJ (= pF V²) and nW. :meth:`Table.at` interpolates a table
bilinearly and extrapolates past its edges, as OpenSTA does.
"""

import bisect
import math
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType

# Quantities here are in ns, pF, V, pJ (= pF V^2) and nW; a Liberty file in other units is scaled.
_TIME_UNITS = {"1ns": 1.0, "100ps": 0.1, "10ps": 0.01, "1ps": 1e-3}
_CAP_UNITS = {"pf": 1.0, "ff": 1e-3}
_LEAKAGE_UNITS = {"1mw": 1e6, "1uw": 1e3, "100nw": 100.0, "10nw": 10.0, "1nw": 1.0, "100pw": 0.1,
                  "10pw": 0.01, "1pw": 1e-3}
_CHECK_TIMING = ("setup", "hold", "recovery", "removal", "skew", "min_", "max_", "nochange")


@dataclass(frozen=True)
class Table:
    """An NLDM table over load (pF) and input slew (ns); an axis the table lacks is empty."""

    load_index: tuple[float, ...]
    slew_index: tuple[float, ...]
    values: tuple[tuple[float, ...], ...]  # [load][slew]

    def at(self, slew: float, load: float = 0.0) -> float:
        """Bilinear interpolation, extrapolated linearly past the edges (as OpenSTA does)."""
        by_load = [_interpolate(self.slew_index, row, slew) for row in self.values]
        return _interpolate(self.load_index, by_load, load)


def _interpolate(index: Sequence[float], values: Sequence[float], x: float) -> float:
    if len(index) < 2:
        return values[0]
    i = min(max(bisect.bisect_left(index, x) - 1, 0), len(index) - 2)
    return values[i] + (values[i + 1] - values[i]) * (x - index[i]) / (index[i + 1] - index[i])


@dataclass(frozen=True)
class PowerArc:
    """One ``internal_power`` group: energy per transition (pJ)."""

    related_pin: str | None
    rise: Table | None
    fall: Table | None


@dataclass(frozen=True)
class TimingArc:
    """The slew part of one ``timing`` group of an output pin."""

    related_pin: str
    sense: str  # positive_unate, negative_unate or non_unate
    rise_transition: Table | None
    fall_transition: Table | None


@dataclass(frozen=True)
class LibertyPin:
    name: str
    direction: str
    capacitance: float  # pF
    rise_capacitance: float
    fall_capacitance: float
    power: tuple[PowerArc, ...]
    timing: tuple[TimingArc, ...]
    function: str = ""  # of an output, spaces removed: "(!(AB))"


@dataclass(frozen=True)
class LibertyCell:
    name: str
    leakage_nw: float
    sequential: bool
    pins: Mapping[str, LibertyPin]


@dataclass(frozen=True)
class Liberty:
    path: Path
    voltage: float
    cells: Mapping[str, LibertyCell]


@dataclass
class _Group:
    kind: str
    args: list[str]
    attributes: dict[str, str] = field(default_factory=dict)
    complex: dict[str, list[str]] = field(default_factory=dict)
    groups: list["_Group"] = field(default_factory=list)

    def children(self, kind: str) -> list["_Group"]:
        return [group for group in self.groups if group.kind == kind]

    def child(self, kind: str) -> "_Group | None":
        return next(iter(self.children(kind)), None)


_LIBERTY_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[^\s(){}:;,"]+|[(){}:;,]')


def _parse_liberty(text: str, where: str) -> _Group:
    """The ``library`` group: nested groups, simple (``a : b;``) and complex (``a (b, c);``) attributes."""
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.DOTALL).replace("\\\n", " ")
    tokens = [token.strip('"') for token in _LIBERTY_TOKEN.findall(text)]
    position = 0

    def take() -> str:
        nonlocal position
        if position >= len(tokens):
            raise ValueError(f"{where} is not a Liberty file: it ends inside a group")
        position += 1
        return tokens[position - 1]

    def peek() -> str | None:
        return tokens[position] if position < len(tokens) else None

    def arguments() -> list[str]:
        return [token for token in iter(take, ")") if token != ","]

    def body(group: _Group) -> None:
        while (name := take()) != "}":
            mark = take()
            if mark == ":":
                group.attributes[name] = take()
            elif mark != "(":
                raise ValueError(f"{where} is not a Liberty file: {mark!r} after {name!r}")
            else:
                args = arguments()
                if peek() == "{":
                    take()
                    group.groups.append(child := _Group(name, args))
                    body(child)
                else:
                    group.complex[name] = args
            if peek() == ";":
                take()

    if tokens[:2] != ["library", "("]:
        raise ValueError(f"{where} is not a Liberty file: it does not start with library (...)")
    position = 2
    library = _Group("library", arguments())
    if take() != "{":
        raise ValueError(f"{where} is not a Liberty file: no {{ after library (...)")
    body(library)
    if position != len(tokens):
        raise ValueError(f"{where} is not a Liberty file: text after the library group")
    return library


def _unit(value: str, units: Mapping[str, float], what: str, where: str) -> float:
    try:
        return units[value.replace(" ", "").lower()]
    except KeyError:
        raise ValueError(f"{where}: {what} {value!r} is not one of {', '.join(units)}") from None


def _floats(text: str) -> tuple[float, ...]:
    return tuple(float(x) for x in text.replace(",", " ").split())


def _table(group: _Group | None, templates: Mapping[str, tuple[str, ...]], scale: float, time_scale: float,
           cap_scale: float) -> Table | None:
    if group is None:
        return None
    variables = templates.get(group.args[0] if group.args else "", ())
    indices = [_floats(group.complex[key][0]) if key in group.complex else ()
               for key in ("index_1", "index_2")]
    rows = [_floats(row) for row in group.complex.get("values", [])]
    load, slew = (), ()
    for variable, index in zip(variables, indices, strict=False):
        if "capacitance" in variable:
            load = tuple(x * cap_scale for x in index)
        elif "transition" in variable:
            slew = tuple(x * time_scale for x in index)
    if len(variables) == 2 and "transition" in variables[0]:  # stored [slew][load]
        rows = [list(column) for column in zip(*rows, strict=True)]
    if not load:
        rows = [[x for row in rows for x in row]]
    return Table(load, slew, tuple(tuple(x * scale for x in row) for row in rows))


@lru_cache(maxsize=8)
def _read_liberty(path: Path, mtime_ns: int) -> Liberty:
    del mtime_ns  # part of the cache key: a changed file is read again
    where = str(path)
    library = _parse_liberty(path.read_text(errors="replace"), where)
    attributes = library.attributes
    time_scale = _unit(attributes.get("time_unit", "1ns"), _TIME_UNITS, "time_unit", where)
    cap_count, cap_unit = (library.complex.get("capacitive_load_unit") or ["1", "pf"])[:2]
    cap_scale = float(cap_count) * _unit(cap_unit, _CAP_UNITS, "capacitive_load_unit", where)
    leakage_scale = _unit(attributes.get("leakage_power_unit", "1nW"), _LEAKAGE_UNITS, "leakage_power_unit",
                          where)
    voltage = float(attributes.get("nom_voltage", "nan"))
    for conditions in library.children("operating_conditions"):
        if conditions.args[:1] == [attributes.get("default_operating_conditions")]:
            voltage = float(conditions.attributes.get("voltage", voltage))
    if not math.isfinite(voltage):
        raise ValueError(f"{where} states no supply voltage (nom_voltage or operating_conditions)")
    templates = {group.args[0]: tuple(group.attributes[f"variable_{n}"] for n in (1, 2, 3)
                                      if f"variable_{n}" in group.attributes)
                 for kind in ("lu_table_template", "power_lut_template") for group in library.children(kind)
                 if group.args}

    def table(group: _Group, kind: str, scale: float) -> Table | None:
        # Internal energy is in the units of capacitance x voltage^2 (voltage in V).
        return _table(group.child(kind), templates, scale, time_scale, cap_scale)

    cells = {}
    for cell in library.children("cell"):
        pins = {}
        for pin in cell.children("pin"):
            caps = {key: float(pin.attributes[key]) * cap_scale for key in
                    ("capacitance", "rise_capacitance", "fall_capacitance") if key in pin.attributes}
            capacitance = caps.get("capacitance", max(caps.values(), default=0.0))
            power = tuple(PowerArc(arc.attributes.get("related_pin"), table(arc, "rise_power", cap_scale),
                                   table(arc, "fall_power", cap_scale))
                          for arc in pin.children("internal_power"))
            timing = tuple(
                TimingArc(arc.attributes["related_pin"], arc.attributes.get("timing_sense", "non_unate"),
                          table(arc, "rise_transition", time_scale),
                          table(arc, "fall_transition", time_scale))
                for arc in pin.children("timing") if "related_pin" in arc.attributes
                and not arc.attributes.get("timing_type", "").startswith(_CHECK_TIMING))
            for name in pin.args:
                pins[name] = LibertyPin(name, pin.attributes.get("direction", "input"), capacitance,
                                        caps.get("rise_capacitance", capacitance),
                                        caps.get("fall_capacitance", capacitance), power, timing,
                                        pin.attributes.get("function", "").replace(" ", ""))
        leakage = float(cell.attributes.get("cell_leakage_power", 0.0)) * leakage_scale
        sequential = bool(cell.children("ff") or cell.children("latch"))
        cells[cell.args[0]] = LibertyCell(cell.args[0], leakage, sequential, MappingProxyType(pins))
    return Liberty(path, voltage, MappingProxyType(cells))


def read_liberty(path: os.PathLike | str) -> Liberty:
    """The cells of a Liberty file, as power analysis needs them (read once per file version).

    Only ``cell_leakage_power`` is read (not state-dependent ``leakage_power`` groups), ``pin`` groups
    (not ``bus``), and no ``when`` conditions; the OSU libraries need no more. ``ValueError`` (one
    line) when the file does not parse or uses units this module does not know.
    """
    path = Path(path).resolve()
    if not path.is_file():
        raise ValueError(f"no Liberty file {path}")
    return _read_liberty(path, path.stat().st_mtime_ns)


__all__ = ["Liberty", "LibertyCell", "LibertyPin", "PowerArc", "Table", "TimingArc", "read_liberty"]
