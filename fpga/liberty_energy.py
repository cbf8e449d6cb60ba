"""Energy of counted transitions from a Liberty file's tables: the product's power number.

:func:`liberty_energy` prices every transition of a mapped netlist: a cell output's internal energy
from its NLDM power table at the net's load and the related input's slew (slews propagated through
the transition tables as OpenSTA computes them, :func:`net_slews`), an input pin's own internal energy
(flip-flop clock and data pins), and ½ C V² on every net a cell drives (pin capacitances, no wires,
:func:`net_loads`). Leakage is Σ ``cell_leakage_power``.
"""

from collections.abc import Mapping
from dataclasses import dataclass

from hwgen.fpga.asic import DEFAULT_CLOCK_PORT, IoBoundary
from hwgen.fpga.liberty import Liberty, LibertyPin, PowerArc
from hwgen.fpga.mapped_netlist import CellInstance, MappedNetlist
from hwgen.fpga.netlist_sim import NetActivity


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
NO_LOAD: Load = (0.0, 0.0, 0.0)


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
    slews = {bit: (0.0, 0.0) if owner == clock_port else _output_slews(driving, {}, loads.get(bit, NO_LOAD))
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
                slews[bit] = _output_slews(model, inputs, loads.get(bit, NO_LOAD))
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
                load = loads.get(bit, NO_LOAD)[0]
                energy = count * output_energy(model.pins[pin], cell, slews, load, toggles)
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


def output_energy(pin: LibertyPin, cell: CellInstance, slews, load: float, toggles,
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


__all__ = ["NO_LOAD", "EnergyBreakdown", "Load", "liberty_energy", "net_loads", "net_slews", "output_energy"]
