"""Power and energy per MAC of a Liberty-mapped netlist, from the switching activity of real streams.

:func:`measure_asic_power` takes a ``mac`` or ``mul`` design and the netlist that
:func:`hwgen.fpga.asic.synthesize_asic` mapped to a library's cells, and:

1. **Simulates the mapped netlist** on Icarus with the library's own cell models
   (``osu018_stdcells.v``, UDP flip-flops and specify blocks) and each cell's delays from OpenSTA
   (``write_sdf``: the NLDM tables at the pins' loads and slews under static_timing's constraints,
   no wires). The stimulus is the gate-level energy measurement's (:mod:`hwgen.fpga.activity`:
   Gaussian or Laplace samples quantized to the formats, fixed seeds), one item per clock, no idle,
   no backpressure. Every output is checked bit-exactly against the golden model: a netlist (or a
   clock it cannot meet) that gives a wrong answer gets no power figure (``ActivityError``).
2. **Counts every net's transitions** in the testbench (one counter per driver pin, a SAIF-like
   toggle count, cheaper than a VCD), glitches included. Icarus applies the SDF path delays
   inertially: a pulse shorter than a cell's delay dies in the cell, so each counted change is a
   full swing.
3. **Prices the transitions with the Liberty's tables** (:func:`liberty_energy`, the product's
   number). Each output transition costs the cell's internal energy from its NLDM power table at the
   net's load and the related input's slew; slews are propagated through the transition tables as
   OpenSTA does. Each input-pin transition costs that pin's own internal energy (flip-flop clock and
   data pins). Every transition of a net that a cell drives also costs ½ C V², with C the pin
   capacitances on the net and no wire model. Leakage is Σ ``cell_leakage_power``.
4. **Checks against OpenSTA** (:func:`sta_check`). This ``sta`` (2019) has no ``read_saif`` or
   ``read_vcd``. Its ``set_power_activity -pins`` fails on an undefined variable. It also recomputes
   every cell output's activity from the cell's function, over any ``sta::set_power_pin_activity``.
   So it is given the measured activity of the input ports, and its ``report_power`` is a
   vectorless estimate (:attr:`AsicPower.sta_dynamic_uw`). With the measured activities themselves
   it can be compared only where its results are linear in them, and there it agrees with this
   module (docs/asic.md, "Power and energy"): OpenSTA's slew at every driver pin, its switching
   power at the measured transitions, and its leakage.

Nets driven from outside the design (the clock and the data inputs) are not in the dynamic power,
as in OpenSTA: their drivers, the clock tree and the stage before, pay for them. Their ½ C V² is
reported apart. Energy per MAC = dynamic energy of one clock cycle (one MAC) + leakage × period.
"""

import bisect
import json
import math
import os
import re
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType

from hwgen import lifetime, toolchain
from hwgen.fpga import activity
from hwgen.fpga.activity import (
    DEFAULT_MACS,
    DEFAULT_TERMS,
    MAX_MACS,
    RESET_CYCLES,
    WARMUP_CYCLES,
    check_count,
    check_distribution,
    check_seed,
)
from hwgen.fpga.asic import (
    DEFAULT_CLOCK_NS,
    DEFAULT_CLOCK_PORT,
    DEFAULT_LIBRARY,
    IoBoundary,
    StaError,
    cell_library,
    check_clock_ns,
    io_boundary,
    render_sta_script,
    run_sta,
    tcl_word,
    without_signedness,
)
from hwgen.fpga.gate_sim import ActivityError
from hwgen.fpga.yosys_flow import run_yosys
from hwgen.toolchain import CellLibrary

METHOD = ("mapped netlist on Icarus with the library's cell models and OpenSTA SDF delays (max, 1 ps, "
          "inertial); transitions counted per driver pin; Liberty NLDM internal energy at propagated "
          "slews and pin loads (mean of rise and fall per transition, arcs weighted by their inputs' "
          "toggles) + 1/2 C V^2 per transition of cell-driven nets (pin caps, no wires); flip-flops at 0 "
          "until the first clock edge; v2")

TB_MODULE = "asic_power_tb"
JSON_SCRIPT = "power_json.ys"
JSON_LOG = "power_json.log"
NETLIST_JSON = "power_netlist.json"
STA_NETLIST = "power_sta_netlist.v"
SDF_SCRIPT = "power_sdf.tcl"
SDF_FILE = "power.sdf"
SIM_SDF = "power_sim.sdf"  # the SDF as Icarus reads it
CELL_MODELS = "cell_models.v"
TESTBENCH = "power_tb.v"
STIMULUS = "stimulus.hex"
OUTPUTS = "outputs.txt"
TOGGLES = "toggles.txt"
ACTIVITY_TCL = "power_activity.tcl"
POWER_SCRIPT = "power.tcl"
POWER_REPORT = "power.rpt"
STA_LOG = "power_sta.log"

# Quantities here are in ns, pF, V, pJ (= pF V^2) and nW; a Liberty file in other units is scaled.
_TIME_UNITS = {"1ns": 1.0, "100ps": 0.1, "10ps": 0.01, "1ps": 1e-3}
_CAP_UNITS = {"pf": 1.0, "ff": 1e-3}
_LEAKAGE_UNITS = {"1mw": 1e6, "1uw": 1e3, "100nw": 100.0, "10nw": 10.0, "1nw": 1.0, "100pw": 0.1,
                  "10pw": 0.01, "1pw": 1e-3}
_CHECK_TIMING = ("setup", "hold", "recovery", "removal", "skew", "min_", "max_", "nochange")


# --- Liberty: what power needs ---------------------------------------------------------------------


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


# --- the mapped netlist ----------------------------------------------------------------------------


@dataclass(frozen=True)
class CellInstance:
    name: str
    type: str
    pins: Mapping[str, int | str]  # pin -> net bit, or a constant ("0", "1", "x", "z")
    outputs: frozenset[str]


@dataclass(frozen=True)
class MappedNetlist:
    """A flat netlist of library cells (Yosys's JSON of the mapped Verilog; nets are Yosys bits)."""

    top: str
    ports: Mapping[str, tuple[str, tuple[int | str, ...]]]  # name -> (direction, bits LSB first)
    cells: tuple[CellInstance, ...]

    def ports_of(self, direction: str, clock_port: str) -> list[tuple[str, int]]:
        """(name, width) of the ports of *direction*, the clock left out, in port order."""
        return [(name, len(bits)) for name, (way, bits) in self.ports.items()
                if way == direction and name != clock_port]

    def drivers(self) -> dict[int, tuple[str, str, int | str]]:
        """Net bit -> its driver: ("port", port, bit index) or ("cell", instance, pin)."""
        found: dict[int, tuple[str, str, int | str]] = {}
        for name, (direction, bits) in self.ports.items():
            if direction == "input":
                found.update((bit, ("port", name, index)) for index, bit in enumerate(bits)
                             if isinstance(bit, int))
        for cell in self.cells:
            for pin in sorted(cell.outputs):
                bit = cell.pins.get(pin)
                if isinstance(bit, int):
                    if bit in found:
                        raise ValueError(f"{self.top}: net {bit} has two drivers, {found[bit][1]} and "
                                         f"{cell.name}")
                    found[bit] = ("cell", cell.name, pin)
        return found

    def loads(self) -> dict[int, list[tuple[str, str]]]:
        """Net bit -> the cell input pins (instance, pin) on it."""
        found: dict[int, list[tuple[str, str]]] = {}
        for cell in self.cells:
            for pin, bit in cell.pins.items():
                if pin not in cell.outputs and isinstance(bit, int):
                    found.setdefault(bit, []).append((cell.name, pin))
        return found


def read_mapped_netlist(netlist_json: Mapping, top: str) -> MappedNetlist:
    modules = netlist_json.get("modules", {})
    if top not in modules:
        raise ValueError(f"mapped netlist has no module {top!r} (modules: {', '.join(modules) or 'none'})")
    module = modules[top]
    cells = []
    for name, cell in module.get("cells", {}).items():
        pins = {pin: bits[0] for pin, bits in cell["connections"].items() if len(bits) == 1}
        outputs = frozenset(pin for pin, way in cell.get("port_directions", {}).items() if way == "output")
        cells.append(CellInstance(name, cell["type"], MappingProxyType(pins), outputs))
    ports = {name: (port["direction"], tuple(port["bits"])) for name, port in module.get("ports", {}).items()}
    return MappedNetlist(top, MappingProxyType(ports), tuple(cells))


def netlist_from_verilog(verilog: Path, top: str, cells: CellLibrary, work_dir: Path,
                         timeout: float | None) -> MappedNetlist:
    """Yosys reads the mapped Verilog with the library's cells as black boxes and writes JSON."""
    # yowasp's sandbox has a private /tmp: Yosys sees every path relative to the work folder.
    liberty, source = (os.path.relpath(path.resolve(), work_dir) for path in (cells.liberty, verilog))
    (work_dir / JSON_SCRIPT).write_text(f"read_liberty -lib {liberty}\nread_verilog {source}\n"
                                        f"hierarchy -top {top}\nwrite_json {NETLIST_JSON}\n")
    run_yosys(work_dir, JSON_SCRIPT, JSON_LOG, work_dir / NETLIST_JSON, f"yosys reading {verilog}", timeout)
    return read_mapped_netlist(json.loads((work_dir / NETLIST_JSON).read_text()), top)


# --- gate-level simulation -------------------------------------------------------------------------


@dataclass(frozen=True)
class Watched:
    """The nets whose transitions a simulation counts (every net but the clock and constants)."""

    bits: tuple[int, ...]
    references: tuple[str, ...]  # each net's driver as a Verilog reference: dut._0670_.Y, dut.a[3]
    ports: tuple[bool, ...]  # driven by an input port: its duty is measured too (OpenSTA takes it)


@dataclass(frozen=True)
class NetActivity:
    """Transitions of every counted net over ``cycles`` clock periods, and what the outputs were."""

    toggles: Mapping[int, int]  # net bit -> transitions in the window
    duty: Mapping[int, float]  # input-port net bit -> fraction of the window at 1
    cycles: int
    outputs: tuple[str, ...]  # the output ports in binary (MSB first), at every rising edge from the first
    output_ports: tuple[tuple[str, int], ...]  # (name, width), the first port in the lowest bits


def _verilog_name(name: str) -> str:
    return name if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_$]*", name) else f"\\{name} "


def watched_nets(netlist: MappedNetlist, clock_port: str) -> Watched:
    bits, references, ports = [], [], []
    for bit, (kind, owner, where) in sorted(netlist.drivers().items()):
        if kind == "port" and owner == clock_port:
            continue
        if kind == "port":
            vector = len(netlist.ports[owner][1]) > 1
            references.append(f"dut.{_verilog_name(owner)}" + (f"[{where}]" if vector else ""))
        else:
            references.append(f"dut.{_verilog_name(owner)}.{_verilog_name(str(where))}")
        bits.append(bit)
        ports.append(kind == "port")
    return Watched(tuple(bits), tuple(references), tuple(ports))


def testbench_verilog(netlist: MappedNetlist, watched: Watched, clock_port: str, period_ps: int, words: int,
                      start_cycle: int, cycles: int, initial_state: Sequence[str] = ()) -> str:
    """Module :data:`TB_MODULE`: every input but the clock from :data:`STIMULUS`, one word per clock
    (the input ports concatenated in port order, the first in the lowest bits); the output ports in
    binary at every rising edge into :data:`OUTPUTS`; each watched net's transitions (and for input
    ports the time at 1) from rising edge ``start_cycle`` for ``cycles`` periods into :data:`TOGGLES`.

    *initial_state*: the flip-flop outputs held at 0 until after the first rising edge. Silicon starts
    at some value; a gate-level simulation starts at x, and a register whose next state depends on its
    own through reconvergent logic (the never-set sign bit of an unsigned sum) would stay x for ever.
    The outputs are checked against the golden model all the same.
    """
    inputs, outputs = netlist.ports_of("input", clock_port), netlist.ports_of("output", clock_port)
    clock = _verilog_name(clock_port)
    width, size = max(1, sum(w for _, w in inputs)), max(1, len(watched.bits))
    start = period_ps // 2 + start_cycle * period_ps  # rising edge j comes half a period after j periods
    connections, offset = [f".{clock}({clock})"], 0
    for name, bits in inputs:
        connections.append(f".{_verilog_name(name)}(word[{offset + bits - 1}:{offset}])")
        offset += bits
    connections += [f".{_verilog_name(name)}(out{index})" for index, (name, _) in enumerate(outputs)]
    captured = ", ".join(f"out{index}" for index in reversed(range(len(outputs)))) or "1'b0"
    lines = ["`timescale 1ps/1ps", f"module {TB_MODULE};", f"  reg {clock} = 1'b0;",
             f"  reg [{width - 1}:0] stimulus [0:{words - 1}];", f"  reg [{width - 1}:0] word;",
             "  integer cycle = 0, outputs, report, i, unknown = 0, counting = 0;",
             f"  integer toggles [0:{size - 1}];", f"  time rose [0:{size - 1}], high [0:{size - 1}];",
             *(f"  wire [{bits - 1}:0] out{index};" for index, (_, bits) in enumerate(outputs)),
             f"  {_verilog_name(netlist.top)} dut({', '.join(connections)});",
             f"  always #{period_ps // 2} {clock} = ~{clock};",
             f"  always @(posedge {clock}) begin",
             f"    $fwrite(outputs, \"%b\\n\", {{{captured}}});",
             f"    cycle = cycle + 1; if (cycle < {words}) word <= stimulus[cycle];",
             "  end"]
    nets = list(enumerate(zip(watched.references, watched.ports, strict=True)))
    for n, (ref, port) in nets:
        lines.append(f"  always @({ref}) toggles[{n}] = toggles[{n}] + counting;")
        if port:
            lines.append(f"  always @({ref}) if (counting) begin if ({ref}) rose[{n}] = $time; "
                         f"else high[{n}] = high[{n}] + $time - rose[{n}]; end")
    known = [f"    if ({ref} !== 1'b0 && {ref} !== 1'b1) unknown = unknown + 1;"
             for ref in watched.references]
    if initial_state:
        lines += ["  initial begin", *(f"    force {ref} = 1'b0;" for ref in initial_state),
                  f"    #{period_ps};", *(f"    release {ref};" for ref in initial_state), "  end"]
    lines += ["  initial begin", f"    $readmemh(\"{STIMULUS}\", stimulus);", "    word = stimulus[0];",
              f"    outputs = $fopen(\"{OUTPUTS}\", \"w\");", f"    $sdf_annotate(\"{SIM_SDF}\", dut);",
              f"    for (i = 0; i < {size}; i = i + 1) begin toggles[i] = 0; high[i] = 0; end",
              f"    #{start};", "    counting = 1;", *known,
              *(f"    if ({ref} === 1'b1) rose[{n}] = $time;" for n, (ref, port) in nets if port),
              f"    #{cycles * period_ps};", "    counting = 0;", *known,
              *(f"    if ({ref} === 1'b1) high[{n}] = high[{n}] + $time - rose[{n}];"
                for n, (ref, port) in nets if port),
              f"    report = $fopen(\"{TOGGLES}\", \"w\");",
              "    $fwrite(report, \"unknown %0d\\n\", unknown);",
              f"    for (i = 0; i < {len(watched.bits)}; i = i + 1) "
              "$fwrite(report, \"%0d %0d\\n\", toggles[i], high[i]);",
              "    $fclose(report); $fclose(outputs);", "    $finish;", "  end", "endmodule"]
    return "\n".join(lines) + "\n"


def stimulus_words(netlist: MappedNetlist, clock_port: str,
                   columns: Mapping[str, Sequence[int]]) -> list[int]:
    """Input words (see :func:`testbench_verilog`) from one column of values per input port but the clock."""
    inputs = netlist.ports_of("input", clock_port)
    missing = [name for name, _ in inputs if name not in columns]
    if missing:
        raise ValueError(f"no stimulus for input port {missing[0]} of {netlist.top}")
    count = len(columns[inputs[0][0]]) if inputs else 0
    words, offset = [0] * count, 0
    for name, width in inputs:
        if len(columns[name]) != count:
            raise ValueError(f"stimulus for {name} has {len(columns[name])} values, not {count}")
        for i, value in enumerate(columns[name]):
            words[i] |= (int(value) & ((1 << width) - 1)) << offset
        offset += width
    return words


def simulate(netlist: MappedNetlist, verilog: Path, cells: CellLibrary, sdf: Path, words: Sequence[int],
             start_cycle: int, cycles: int, clock_ns: float, *, clock_port: str = DEFAULT_CLOCK_PORT,
             work_dir: Path, timeout: float | None = None) -> NetActivity:
    """Run the mapped netlist on Icarus with the library's cell models and the SDF's delays.

    ``words[j]`` is on the inputs from rising edge ``j - 1`` on (word 0 from the start), so the design
    samples it at edge ``j``; transitions are counted from edge ``start_cycle`` for ``cycles`` periods.
    """
    if not 0 <= start_cycle < start_cycle + cycles < len(words):
        raise ValueError(f"{len(words)} stimulus words cannot cover clock edges {start_cycle} to "
                         f"{start_cycle + cycles}")
    period_ps = 2 * max(1, round(clock_ns * 500))
    watched = watched_nets(netlist, clock_port)
    # The models' 10 ps precision would round the SDF's delays and make distinct edges coincide.
    models = cells.verilog.read_text(errors="replace")
    (work_dir / CELL_MODELS).write_text(re.sub(r"`timescale\s+\S+\s*/\s*\S+", "`timescale 1ns/1ps", models))
    # OpenSTA writes (min::max) with no typical value, which Icarus would take: use the max (setup) delay.
    (work_dir / SIM_SDF).write_text(re.sub(r"\(([-\d.eE+]*)::([-\d.eE+]+)\)", r"(\2:\2:\2)", sdf.read_text()))
    digits = max(1, -(-sum(w for _, w in netlist.ports_of("input", clock_port)) // 4))
    (work_dir / STIMULUS).write_text("".join(f"{word:0{digits}x}\n" for word in words))
    for stale in (OUTPUTS, TOGGLES):
        (work_dir / stale).unlink(missing_ok=True)
    liberty = read_liberty(cells.liberty)
    state = [f"dut.{_verilog_name(cell.name)}.{_verilog_name(pin)}" for cell in netlist.cells
             if liberty.cells[cell.type].sequential for pin in sorted(cell.outputs)]
    (work_dir / TESTBENCH).write_text(testbench_verilog(netlist, watched, clock_port, period_ps, len(words),
                                                        start_cycle, cycles, state))
    source = os.path.relpath(verilog.resolve(), work_dir)
    iverilog, vvp = toolchain.find_tool("iverilog"), toolchain.find_tool("vvp")
    _check_run(_run([*iverilog.argv, "-gspecify", "-o", "power_sim.vvp", "-s", TB_MODULE, TESTBENCH,
                     CELL_MODELS, source], work_dir, "iverilog", timeout), "iverilog", work_dir)
    _check_run(_run([*vvp.argv, "-n", "power_sim.vvp"], work_dir, "vvp", timeout), "vvp", work_dir)
    if not (work_dir / TOGGLES).is_file():
        raise ActivityError(f"the power testbench wrote no {TOGGLES} in {work_dir}")
    head, *lines = (work_dir / TOGGLES).read_text().splitlines()
    unknown = int(head.split()[1])
    if unknown or len(lines) != len(watched.bits):
        raise ActivityError(f"{netlist.top}: {unknown} nets were x or z at the ends of the measured window, "
                            f"{len(lines)} of {len(watched.bits)} counted: is every flip-flop reset? "
                            f"({work_dir})")
    toggles, duty = {}, {}
    for bit, port, line in zip(watched.bits, watched.ports, lines, strict=True):
        count, high = line.split()
        toggles[bit] = int(count)
        if port:
            duty[bit] = min(1.0, int(high) / (cycles * period_ps))
    return NetActivity(MappingProxyType(toggles), MappingProxyType(duty), cycles,
                       tuple((work_dir / OUTPUTS).read_text().split()),
                       tuple(netlist.ports_of("output", clock_port)))


def output_columns(found: NetActivity) -> dict[str, list[int]]:
    """Each output port's value at every rising edge (-1 where a bit was x or z)."""
    columns: dict[str, list[int]] = {name: [] for name, _ in found.output_ports}
    for word in found.outputs:
        end = len(word)
        for name, width in found.output_ports:
            bits, end = word[end - width:end], end - width
            columns[name].append(int(bits, 2) if bits and set(bits) <= {"0", "1"} else -1)
    return columns


# --- OpenSTA: delays for the simulation, its own power for comparison ------------------------------


@dataclass(frozen=True)
class StaPower:
    """OpenSTA's ``report_power`` of a design or one instance (W)."""

    internal_w: float
    switching_w: float
    leakage_w: float


def parse_power_totals(text: str) -> StaPower:
    """Internal, switching and leakage power of the ``Total`` row of ``report_power``."""
    header = next((line.split() for line in text.splitlines() if "Leakage" in line.split()), None)
    total = next((line.split() for line in text.splitlines() if line.split()[:1] == ["Total"]), None)
    if header is None or total is None:
        raise ValueError("power report has no 'Leakage' column or no 'Total' row")
    columns = [word for word in header if word != "Group"]
    try:
        return StaPower(*(float(total[1 + columns.index(name)])
                          for name in ("Internal", "Switching", "Leakage")))
    except (IndexError, ValueError):
        raise ValueError(f"power report's Total row is not numbers: {' '.join(total)}") from None


def parse_instance_power(text: str) -> dict[str, StaPower]:
    """Each row of ``report_power -instances``: internal, switching, leakage, total, instance."""
    found = {}
    for line in text.splitlines():
        words = line.split()
        try:
            found[words[4]] = StaPower(*map(float, words[:3]))
        except (IndexError, ValueError):
            continue  # a header or dashes
    return found


def input_activity_tcl(netlist: MappedNetlist, found: NetActivity) -> str:
    """The measured transitions per clock period and duty of each input port bit but the clock."""
    lines = []
    for bit, (kind, owner, where) in sorted(netlist.drivers().items()):
        if kind == "port" and bit in found.duty:
            port = tcl_word(owner + (f"[{where}]" if len(netlist.ports[owner][1]) > 1 else ""))
            lines.append(f"set_power_activity -input_ports [get_ports {port}] "
                         f"-activity {found.toggles[bit] / found.cycles:.9g} -duty {found.duty[bit]:.6g}")
    return "".join(f"{line}\n" for line in lines)


def _run_sta(script: str, name: str, work_dir: Path, what: str, timeout: float | None) -> None:
    (work_dir / name).write_text(script)
    run_sta(work_dir, name, STA_LOG, what, timeout)


def write_sdf(prologue: str, work_dir: Path, what: str, timeout: float | None) -> Path:
    """Every cell's delays at its pins' loads and slews, as OpenSTA times them."""
    (work_dir / SDF_FILE).unlink(missing_ok=True)
    _run_sta(f"{prologue}write_sdf -digits 4 -no_timestamp -no_version {SDF_FILE}\nexit\n", SDF_SCRIPT,
             work_dir, what, timeout)
    if not (work_dir / SDF_FILE).is_file():
        raise StaError(f"{what} wrote no {SDF_FILE} in {work_dir}")
    return work_dir / SDF_FILE


def sta_power(prologue: str, activity_commands: str, work_dir: Path, what: str, timeout: float | None, *,
              instances: bool = False) -> StaPower | dict[str, StaPower]:
    """``report_power`` after *prologue* and *activity_commands*: the totals, or one row per instance."""
    (work_dir / ACTIVITY_TCL).write_text(activity_commands)
    (work_dir / POWER_REPORT).unlink(missing_ok=True)
    per_instance = " -instances [get_cells *]" if instances else ""
    report = f"report_power{per_instance} -digits 8 > {POWER_REPORT}"
    _run_sta(f"{prologue}source {ACTIVITY_TCL}\n{report}\nexit\n", POWER_SCRIPT, work_dir, what, timeout)
    try:
        text = (work_dir / POWER_REPORT).read_text()
        return parse_instance_power(text) if instances else parse_power_totals(text)
    except (OSError, ValueError) as error:
        raise StaError(f"{what}: {error}; folder: {work_dir}") from None


# --- energy from the Liberty's tables --------------------------------------------------------------


@dataclass(frozen=True)
class EnergyBreakdown:
    """Energy over a window of ``cycles`` clock periods (pJ), by where it goes."""

    cycles: int
    internal_pj: float  # the cells' internal energy, flip-flop clock pins included
    clock_pins_pj: float  # the part of internal_pj spent in clock pins, whatever the data do
    switching_pj: float  # 1/2 C V^2 per transition of every net a cell drives
    input_nets_pj: float  # 1/2 C V^2 of the nets the input ports drive: their drivers', not in dynamic
    clock_net_pj: float  # 1/2 C V^2 of the clock pins: the clock tree's, not in dynamic
    leakage_nw: float

    @property
    def dynamic_pj(self) -> float:
        return self.internal_pj + self.switching_pj


Load = tuple[float, float, float]  # pF on a net: for power, for rising edges, for falling edges
_NO_LOAD: Load = (0.0, 0.0, 0.0)


def net_loads(netlist: MappedNetlist, liberty: Liberty, boundary: IoBoundary) -> dict[int, Load]:
    """The pin capacitance on every net, with the boundary's load on each output port (no wires).

    The first number, the one power uses, is the larger of the rise and fall sums, as in OpenSTA.
    """
    types = {cell.name: liberty.cells[cell.type] for cell in netlist.cells}
    pins_on = {bit: [types[name].pins[pin] for name, pin in pins] for bit, pins in netlist.loads().items()}
    extra = {bit: boundary.load for direction, bits in netlist.ports.values() if direction == "output"
             for bit in bits if isinstance(bit, int)}
    loads = {}
    for bit in pins_on.keys() | extra.keys():
        rise = sum(pin.rise_capacitance for pin in pins_on.get(bit, ())) + extra.get(bit, 0.0)
        fall = sum(pin.fall_capacitance for pin in pins_on.get(bit, ())) + extra.get(bit, 0.0)
        loads[bit] = (max(rise, fall), rise, fall)
    return loads


def net_slews(netlist: MappedNetlist, liberty: Liberty, loads: Mapping[int, Load], boundary: IoBoundary,
              clock_port: str) -> dict[int, tuple[float, float]]:
    """(rise, fall) slew of every net (ns) as OpenSTA's delay calculation finds it: the worst over a
    pin's timing arcs, the arc's unateness choosing the input edge; the clock ideal (0 ns), each other
    input driven by the boundary's cell from a 0 ns edge."""
    drivers = netlist.drivers()
    driving = liberty.cells[boundary.driving_cell].pins[boundary.driving_pin]
    slews = {bit: (0.0, 0.0) if owner == clock_port else _output_slews(driving, {}, loads.get(bit, _NO_LOAD))
             for bit, (kind, owner, _) in drivers.items() if kind == "port"}
    by_name = {cell.name: cell for cell in netlist.cells}
    waiting, readers = {}, {}
    for cell in netlist.cells:  # a flip-flop's outputs wait for nothing: its clock is ideal
        sources = set() if liberty.cells[cell.type].sequential else {
            bit for pin, bit in cell.pins.items()
            if pin not in cell.outputs and drivers.get(bit, ("port",))[0] == "cell"}
        waiting[cell.name] = len(sources)
        for bit in sources:
            readers.setdefault(bit, []).append(cell.name)
    ready, done = [name for name, count in waiting.items() if not count], set()
    while len(done) < len(by_name):
        # Only a loop through latches or asynchronous pins empties the queue early: take what is known.
        name = ready.pop() if ready else next(name for name in by_name if name not in done)
        if name in done:
            continue
        done.add(name)
        cell = by_name[name]
        inputs = {pin: slews.get(bit, (0.0, 0.0)) for pin, bit in cell.pins.items()
                  if pin not in cell.outputs}
        for pin in cell.outputs:
            bit = cell.pins.get(pin)
            if isinstance(bit, int):
                model = liberty.cells[cell.type].pins[pin]
                slews[bit] = _output_slews(model, inputs, loads.get(bit, _NO_LOAD))
                for reader in readers.get(bit, ()):
                    waiting[reader] -= 1
                    if not waiting[reader]:
                        ready.append(reader)
    return slews


def _output_slews(pin: LibertyPin, inputs: Mapping[str, tuple[float, float]],
                  load: Load) -> tuple[float, float]:
    rise = fall = 0.0
    for arc in pin.timing:
        in_rise, in_fall = inputs.get(arc.related_pin, (0.0, 0.0))
        by_sense = {"positive_unate": ((in_rise,), (in_fall,)), "negative_unate": ((in_fall,), (in_rise,))}
        to_rise, to_fall = by_sense.get(arc.sense, ((in_rise, in_fall),) * 2)
        if arc.rise_transition:
            rise = max(rise, *(arc.rise_transition.at(slew, load[1]) for slew in to_rise))
        if arc.fall_transition:
            fall = max(fall, *(arc.fall_transition.at(slew, load[2]) for slew in to_fall))
    return rise, fall


def liberty_energy(netlist: MappedNetlist, liberty: Liberty, found: NetActivity, boundary: IoBoundary,
                   clock_port: str = DEFAULT_CLOCK_PORT) -> EnergyBreakdown:
    """Energy of the counted transitions from the Liberty's internal-power tables and capacitances.

    * An output pin's transition costs the mean of its rise and fall internal energy, at the net's
      load and the related input's slew. Which input caused a change is not recorded, so a pin's
      ``internal_power`` groups are weighted by how often their related input toggled. (Later OpenSTA
      weights them by probabilities; the arcs of one cell differ by a few per cent.)
    * An input pin's transition costs that pin's own internal energy (flip-flop clock and data pins,
      the mean of rise and fall); a clock pin has two transitions per period.
    * Every transition of a net costs ½ C V², C from :func:`net_loads`.
    """
    unknown = sorted({cell.type for cell in netlist.cells} - set(liberty.cells))
    if unknown:
        raise ValueError(f"cell {unknown[0]} of {netlist.top} is not in {liberty.path}")
    drivers = netlist.drivers()
    loads = net_loads(netlist, liberty, boundary)
    slews = net_slews(netlist, liberty, loads, boundary, clock_port)
    clock_bits = {bit for bit, (kind, owner, _) in drivers.items() if kind == "port" and owner == clock_port}

    def toggles(bit) -> int:
        return 2 * found.cycles if bit in clock_bits else found.toggles.get(bit, 0)

    half_cv2 = {bit: 0.5 * liberty.voltage**2 * loads.get(bit, (0.0,))[0] for bit in drivers}
    switching = sum(toggles(bit) * half_cv2[bit] for bit, (kind, _, _) in drivers.items() if kind == "cell")
    input_nets = sum(toggles(bit) * half_cv2[bit] for bit, (kind, _, _) in drivers.items()
                     if kind == "port" and bit not in clock_bits)
    clock_net = sum(toggles(bit) * half_cv2[bit] for bit in clock_bits)
    internal = clock_pins = 0.0
    for cell in netlist.cells:
        model = liberty.cells[cell.type]
        for pin, bit in cell.pins.items():
            arcs, count = model.pins[pin].power, toggles(bit)
            if not arcs or not count:
                continue
            if pin in cell.outputs:
                load = loads.get(bit, _NO_LOAD)[0]
                energy = count * _output_energy(model.pins[pin], cell, slews, load, toggles)
            else:
                rise, fall = slews.get(bit, (0.0, 0.0))
                energy = count * sum(_mean_energy(arc, rise, fall, 0.0) for arc in arcs) / len(arcs)
                clock_pins += energy if bit in clock_bits else 0.0
            internal += energy
    leakage = sum(liberty.cells[cell.type].leakage_nw for cell in netlist.cells)
    return EnergyBreakdown(found.cycles, internal, clock_pins, switching, input_nets, clock_net, leakage)


def _mean_energy(arc: PowerArc, rise_slew: float, fall_slew: float, load: float) -> float:
    """Mean of the rise and fall energies: a net's transitions alternate between the two."""
    energies = [table.at(slew, load) for table, slew in ((arc.rise, rise_slew), (arc.fall, fall_slew))
                if table is not None]
    return sum(energies) / len(energies) if energies else 0.0


def _output_energy(pin: LibertyPin, cell: CellInstance, slews, load: float, toggles,
                   unate: bool = True) -> float:
    """Internal energy per transition of an output pin: its arcs, weighted by their inputs' toggles."""
    weighted = total = 0.0
    for arc in pin.power:
        related = cell.pins.get(arc.related_pin) if arc.related_pin else None
        in_rise, in_fall = slews.get(related, (0.0, 0.0))
        # A rising output follows a rising input, or a falling one through an inverting arc.
        sense = next((timing.sense for timing in pin.timing if timing.related_pin == arc.related_pin), "")
        inverting = unate and sense == "negative_unate"
        rise_slew, fall_slew = (in_fall, in_rise) if inverting else (in_rise, in_fall)
        weight = toggles(related)
        weighted += weight * _mean_energy(arc, rise_slew, fall_slew, load)
        total += weight
    if not total:  # the output changed with no input toggling (it left x): weigh the arcs alike
        return sum(_mean_energy(arc, 0.0, 0.0, load) for arc in pin.power) / len(pin.power)
    return weighted / total


# --- one netlist, one stimulus -----------------------------------------------------------------------


@dataclass(frozen=True)
class NetlistPower:
    """Activity and energy of a mapped netlist under one stimulus."""

    netlist: MappedNetlist
    library: str
    clock_ns: float
    activity: NetActivity
    energy: EnergyBreakdown  # from the Liberty's tables: the product's numbers
    sta_vectorless: StaPower  # OpenSTA from the measured input-port activities only
    sta_prologue: str  # static_timing's script up to its reports, for sta_check
    clock_port: str
    tools: Mapping[str, str]
    work_dir: Path

    def uw(self, energy_pj: float) -> float:
        """Average power (µW) of spending *energy_pj* over the window."""
        return energy_pj / (self.activity.cycles * self.clock_ns) * 1e3  # pJ per ns = mW

    @property
    def dynamic_uw(self) -> float:
        return self.uw(self.energy.dynamic_pj)

    @property
    def data_uw(self) -> float:
        """Dynamic power less the flip-flops' clock pins: what the data's transitions cost."""
        return self.uw(self.energy.dynamic_pj - self.energy.clock_pins_pj)


def netlist_power(verilog: os.PathLike | str, top: str, library: str | CellLibrary, clock_ns: float,
                  stimulus: Mapping[str, Sequence[int]], start_cycle: int, cycles: int, *,
                  clock_port: str = DEFAULT_CLOCK_PORT, work_dir: os.PathLike | str,
                  timeout: float | None = None) -> NetlistPower:
    """Simulate a mapped netlist on given input values and price its transitions.

    Parameters
    ----------
    stimulus
        One column of values per input port but the clock: value ``j`` is on the port from rising
        edge ``j - 1`` on (value 0 from the start), so the design samples it at edge ``j``.
    start_cycle, cycles
        The measured window: ``cycles`` clock periods from rising edge ``start_cycle``.
    """
    clock_ns = check_clock_ns(clock_ns)
    cells = cell_library(library)
    verilog = Path(verilog)
    if not verilog.is_file():
        raise ValueError(f"no mapped netlist {verilog}")
    work = Path(work_dir).resolve()
    work.mkdir(parents=True, exist_ok=True)
    liberty, boundary = read_liberty(cells.liberty), io_boundary(cells)
    netlist = netlist_from_verilog(verilog, top, cells, work, timeout)
    if netlist.ports.get(clock_port, ("",))[0] != "input":
        raise ValueError(f"{top} has no clock input {clock_port}")
    words = stimulus_words(netlist, clock_port, stimulus)
    (work / STA_NETLIST).write_text(without_signedness(verilog.read_text(errors="replace")))
    script = render_sta_script(STA_NETLIST, top, str(cells.liberty.resolve()), clock_ns, boundary, clock_port)
    prologue = script[:script.index("report_checks")]  # static_timing's constraints, not its reports
    what = f"sta ({cells.name}, {top})"
    sdf = write_sdf(prologue, work, what, timeout)
    found = simulate(netlist, verilog, cells, sdf, words, start_cycle, cycles, clock_ns,
                     clock_port=clock_port, work_dir=work, timeout=timeout)
    energy = liberty_energy(netlist, liberty, found, boundary, clock_port)
    vectorless = sta_power(prologue, input_activity_tcl(netlist, found), work, what, timeout)
    tools = {name: toolchain.find_tool(name).version for name in ("yosys", "sta", "iverilog")}
    return NetlistPower(netlist, cells.name, clock_ns, found, energy, vectorless, prologue, clock_port,
                        MappingProxyType(tools), work)


@dataclass(frozen=True)
class StaCheck:
    """OpenSTA next to the Liberty computation, on one netlist with the same measured transitions."""

    switching_uw: float  # OpenSTA's switching power per transition of each instance x its transitions
    liberty_switching_uw: float
    leakage_nw: float
    liberty_leakage_nw: float
    slew_difference_ns: float  # the largest |OpenSTA - net_slews| over every cell output, rise and fall
    simple_cells: int  # one-output cells of one or two inputs, whose arcs OpenSTA weighs alike
    internal_difference: float  # their largest relative difference in internal energy per transition
    #                             (arcs alike, each output edge at the same input edge's slew)
    simple_internal_uw: float  # their internal power, OpenSTA's energy per transition x transitions
    liberty_simple_internal_uw: float  # here: arcs weighted by their inputs' toggles, edges by unateness
    clock_pins_uw: float  # the flip-flops' internal power with the data still (-global -activity 0)
    liberty_clock_pins_uw: float
    vectorless_over_measured: float  # OpenSTA's own switching power / switching_uw: its propagated
    #                                  activities over the measured ones, weighted by load


# Functions for which this OpenSTA infers a "when" of probability 1 (one input) or 1/2 (each of two)
# for every input at duty 0.5: its internal power per transition is then the mean over the arcs, times
# two, as it adds the rise and the fall energy for each transition (later OpenSTA takes their mean).
_SIMPLE_FUNCTIONS = re.compile(r"\(?!?\(?(\w)\)?\)?|\(?!?\((\w)[ +^]?(\w)\)\)?")


def sta_check(result: NetlistPower, timeout: float | None = None) -> StaCheck:
    """Compare with OpenSTA where its results are linear in the measured transitions.

    ``report_power -instances`` at one transition per period on every pin (``set_power_activity
    -global``) gives each instance's switching power, and each simple cell's internal energy, per
    transition; the measured transitions scale them (a cell with two outputs, FAX1 or HAX1, gets their
    mean). At zero transitions it gives the flip-flops' clock pins alone. ``report_slews`` gives the
    slew at every cell output.
    """
    netlist, found, clock_ns = result.netlist, result.activity, result.clock_ns
    one, still = (sta_power(result.sta_prologue, f"set_power_activity -global -activity {rate} -duty 0.5\n",
                            result.work_dir, f"sta global activity {rate} ({netlist.top})", timeout,
                            instances=True) for rate in (1, 0))
    missing = sorted({cell.name for cell in netlist.cells} - set(one) - set(still))
    if missing:
        raise StaError(f"OpenSTA reported no power for instance {missing[0]} ({result.work_dir})")
    cells = cell_library(result.library)
    liberty, boundary = read_liberty(cells.liberty), io_boundary(cells)
    loads = net_loads(netlist, liberty, boundary)
    slews = net_slews(netlist, liberty, loads, boundary, result.clock_port)
    clock_bits = {bit for bit, (kind, owner, _) in netlist.drivers().items()
                  if kind == "port" and owner == result.clock_port}

    def toggles(net) -> int:
        return 2 * found.cycles if net in clock_bits else found.toggles.get(net, 0)

    switching_w = 0.0
    for cell in netlist.cells:
        rates = [toggles(cell.pins.get(pin)) / found.cycles for pin in cell.outputs]
        switching_w += one[cell.name].switching_w * sum(rates) / max(1, len(rates))
    simple, worst, theirs, ours = 0, 0.0, 0.0, 0.0
    for cell in netlist.cells:
        model = liberty.cells[cell.type]
        pin = next(iter(cell.outputs)) if len(cell.outputs) == 1 else None
        if model.sequential or pin is None or not model.pins[pin].power or not _SIMPLE_FUNCTIONS.fullmatch(
                model.pins[pin].function):
            continue
        bit, load = cell.pins.get(pin), loads.get(cell.pins.get(pin), _NO_LOAD)[0]
        sta_energy = one[cell.name].internal_w * clock_ns * 1e3 / 2  # W x ns -> pJ; rise + fall, halved
        # This OpenSTA looks up an output edge at the same edge's input slew, unateness aside.
        alike = _output_energy(model.pins[pin], cell, slews, load, lambda _: 1, unate=False)
        worst = max(worst, abs(sta_energy - alike) / alike)
        theirs += sta_energy * toggles(bit)
        ours += _output_energy(model.pins[pin], cell, slews, load, toggles) * toggles(bit)
        simple += 1
    clock_pins_w = sum(still[cell.name].internal_w for cell in netlist.cells
                       if liberty.cells[cell.type].sequential)
    energy = result.energy
    return StaCheck(switching_w * 1e6, result.uw(energy.switching_pj),
                    sum(power.leakage_w for power in one.values()) * 1e9, energy.leakage_nw,
                    _slew_difference(result, slews, timeout), simple, worst, result.uw(theirs),
                    result.uw(ours), clock_pins_w * 1e6, result.uw(energy.clock_pins_pj),
                    result.sta_vectorless.switching_w / switching_w if switching_w else math.nan)


def _slew_difference(result: NetlistPower, slews: Mapping[int, tuple[float, float]],
                     timeout: float | None) -> float:
    """The largest difference between OpenSTA's ``report_slews`` and *slews* over every cell output."""
    outputs = {f"{cell.name}/{pin}": cell.pins[pin] for cell in result.netlist.cells for pin in cell.outputs
               if isinstance(cell.pins.get(pin), int)}
    (result.work_dir / "slews.tcl").write_text("set sta_report_default_digits 8\n" + "".join(
        f"report_slews [get_pins {tcl_word(name)}]\n" for name in outputs))
    _run_sta(f"{result.sta_prologue}source slews.tcl\nexit\n", "power_slews.tcl", result.work_dir,
             "sta report_slews", timeout)
    reported = {}
    for line in (result.work_dir / STA_LOG).read_text().splitlines():  # "_0706_/Y ^ 0.07:0.07 v 0.06:0.06"
        words = line.split()
        if len(words) == 5 and words[1:4:2] == ["^", "v"] and words[0] in outputs:
            reported[words[0]] = (float(words[2].split(":")[-1]), float(words[4].split(":")[-1]))  # max
    if len(reported) != len(outputs):
        raise StaError(f"OpenSTA reported {len(reported)} slews for {len(outputs)} cell outputs "
                       f"({result.work_dir})")
    return max((abs(theirs - ours) for name, bit in outputs.items()
                for theirs, ours in zip(reported[name], slews[bit], strict=True)), default=0.0)


# --- a MAC or multiplier on the project's operand streams --------------------------------------------


@dataclass(frozen=True)
class AsicPower:
    """Power and energy per MAC (or multiply) of one mapped design, one clock, one operand stream."""

    design: str
    unit: str
    library: str
    clock_ns: float
    distribution: str
    seed: int
    macs: int  # clock cycles measured, one MAC (or multiply) each
    energy_pj_per_mac: float  # dynamic energy of one cycle + leakage x period
    dynamic_uw: float  # internal + switching, from the Liberty's tables: the product's number
    internal_uw: float
    switching_uw: float
    clock_pins_uw: float  # part of internal_uw: the flip-flops' clock pins
    leakage_nw: float
    outside_uw: Mapping[str, float]  # not in dynamic_uw: "inputs" and "clock" nets' 1/2 C V^2
    sta_internal_uw: float  # OpenSTA's vectorless report_power from the measured input activities
    sta_switching_uw: float
    sta_leakage_nw: float
    toggles: int  # transitions of all counted nets in the window (not the clock)
    nets: int
    toggle_rate: float  # transitions per net per cycle
    checked: int  # outputs compared bit-exactly with the golden model
    outputs_match: bool  # always True: a mismatch raises ActivityError instead
    tools: Mapping[str, str]
    work_dir: Path
    method: str = METHOD
    seconds: float = field(default=0.0, compare=False)

    @property
    def sta_dynamic_uw(self) -> float:
        return self.sta_internal_uw + self.sta_switching_uw

    def summary(self) -> dict[str, object]:
        """One flat row for a results table (power in µW, leakage in nW, energy in pJ)."""
        return {
            "library": self.library, "top": self.design, "clock_ns": self.clock_ns,
            "distribution": self.distribution, "seed": self.seed, "macs": self.macs,
            "energy_pj_per_mac": self.energy_pj_per_mac, "dynamic_uw": self.dynamic_uw,
            "internal_uw": self.internal_uw, "switching_uw": self.switching_uw,
            "clock_pins_uw": self.clock_pins_uw, "leakage_nw": self.leakage_nw,
            "sta_dynamic_uw": self.sta_dynamic_uw, "toggle_rate": self.toggle_rate, "checked": self.checked,
            "power_method": self.method,
            **{f"{name}_version": version for name, version in self.tools.items()},
        }


_STREAM_PORTS = ("clk", "rst", "i__payload", "i__valid", "i__ready", "o__payload", "o__valid", "o__ready")


def measure_asic_power(design, mapped_netlist: os.PathLike | str,
                       library: str | CellLibrary = DEFAULT_LIBRARY, clock_ns: float = DEFAULT_CLOCK_NS, *,
                       distribution: str = "gaussian", macs: int = DEFAULT_MACS, seed: int = 0,
                       work_dir: os.PathLike | str, timeout: float | None = None) -> AsicPower:
    """Power and energy per MAC of *design*'s mapped netlist on the energy measurement's operand stream.

    Parameters
    ----------
    design
        A :class:`hwgen.fpga.units.GeneratedDesign` of unit ``mac`` or ``mul``.
    mapped_netlist
        The Verilog that :func:`hwgen.fpga.asic.synthesize_asic` wrote (``AsicSynthResult.netlist``).
    clock_ns
        The clock of the timed simulation and of the power; a clock the netlist cannot meet gives
        wrong outputs, hence ``ActivityError``.
    macs
        Measured cycles, after reset and :data:`~hwgen.fpga.activity.WARMUP_CYCLES` items.
    timeout
        Seconds for each tool run (Yosys, OpenSTA twice, iverilog, vvp).

    Raises
    ------
    hwgen.fpga.gate_sim.ActivityError
        The outputs differ from the golden model, or were undefined, or the simulation failed.
    hwgen.fpga.asic.StaError, hwgen.fpga.yosys_flow.SynthesisError
        OpenSTA or Yosys failed; one line.
    """
    started = time.perf_counter()
    if not all(hasattr(design, name) for name in ("unit", "module", "details", "ports", "formats")):
        raise TypeError(f"design must be a GeneratedDesign (hwgen.fpga.units), not {type(design).__name__}")
    if design.unit not in activity.UNITS:
        raise ValueError(f"design unit must be one of {', '.join(activity.UNITS)}, not {design.unit!r}")
    check_distribution(distribution)
    macs, seed, clock_ns = check_count(macs, "macs", MAX_MACS), check_seed(seed), check_clock_ns(clock_ns)
    missing = sorted(set(_STREAM_PORTS) - {port["name"] for port in design.ports})
    if missing:
        raise ValueError(f"{design.module} is not a one-input, one-output stream unit: no port {missing[0]}")
    in_fields, out_fields = activity.stream_fields(design)

    items = WARMUP_CYCLES + macs + 1  # the window's last edge puts one more item on the inputs
    values = activity.stimulus(design, distribution, items, seed, DEFAULT_TERMS)
    payload = activity.pack_words(in_fields, values)
    stimulus = {"rst": [1] * RESET_CYCLES + [0] * items, "i__payload": payload[:1] * RESET_CYCLES + payload,
                "i__valid": [1] * (RESET_CYCLES + items), "o__ready": [1] * (RESET_CYCLES + items)}
    result = netlist_power(mapped_netlist, design.module, library, clock_ns, stimulus,
                           RESET_CYCLES + WARMUP_CYCLES, macs, work_dir=work_dir, timeout=timeout)

    # The outputs at edge j show the state after edge j - 1: out of reset from edge RESET_CYCLES on.
    columns = {name: column[RESET_CYCLES:] for name, column in output_columns(result.activity).items()}
    words = [word for word, valid in zip(columns["o__payload"], columns["o__valid"], strict=True) if valid]
    if min([*columns["o__valid"], *words], default=0) < 0:
        raise ActivityError(f"{design.module}: the mapped netlist's outputs were x after reset "
                            f"({result.work_dir})")
    try:
        outputs = activity.unpack_words(out_fields, words)
        checked = activity.check_outputs(design, values, outputs, DEFAULT_TERMS)
    except ActivityError as error:
        raise ActivityError(f"{error} (mapped netlist, timed simulation at {clock_ns:g} ns: a clock shorter "
                            f"than the critical path also gives wrong outputs)") from None

    energy, found, uw = result.energy, result.activity, result.uw
    toggles = sum(found.toggles.values())
    return AsicPower(
        design=design.module, unit=design.unit, library=result.library, clock_ns=clock_ns,
        distribution=distribution, seed=seed, macs=found.cycles,
        energy_pj_per_mac=energy.dynamic_pj / found.cycles + energy.leakage_nw * clock_ns * 1e-6,
        dynamic_uw=result.dynamic_uw, internal_uw=uw(energy.internal_pj),
        switching_uw=uw(energy.switching_pj),
        clock_pins_uw=uw(energy.clock_pins_pj), leakage_nw=energy.leakage_nw,
        outside_uw=MappingProxyType({"inputs": uw(energy.input_nets_pj), "clock": uw(energy.clock_net_pj)}),
        sta_internal_uw=result.sta_vectorless.internal_w * 1e6,
        sta_switching_uw=result.sta_vectorless.switching_w * 1e6,
        sta_leakage_nw=result.sta_vectorless.leakage_w * 1e9, toggles=toggles, nets=len(found.toggles),
        toggle_rate=toggles / (len(found.toggles) * found.cycles) if found.toggles else 0.0, checked=checked,
        outputs_match=True, tools=result.tools, work_dir=result.work_dir,
        seconds=time.perf_counter() - started)


# --- helpers ---------------------------------------------------------------------------------------


def _run(argv: Sequence[str], cwd: Path, what: str, timeout: float | None) -> subprocess.CompletedProcess:
    try:
        return lifetime.run(argv, cwd=cwd, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                            errors="replace", timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        raise ActivityError(f"{what} took longer than {timeout:g} s in {cwd}") from None


def _check_run(completed: subprocess.CompletedProcess, what: str, cwd: Path) -> None:
    if completed.returncode != 0:
        lines = [line for line in (completed.stderr + completed.stdout).splitlines()
                 if line.strip() and "warning" not in line]
        raise ActivityError(f"{what} failed in {cwd}: {lines[-1] if lines else completed.returncode}")


__all__ = ["METHOD", "AsicPower", "EnergyBreakdown", "Liberty", "NetActivity", "NetlistPower", "StaCheck",
           "StaPower", "liberty_energy", "measure_asic_power", "netlist_power", "parse_power_totals",
           "read_liberty", "sta_check"]
