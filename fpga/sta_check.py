"""OpenSTA next to the Liberty computation: the check that :mod:`hwgen.fpga.liberty_energy` prices
transitions as OpenSTA would, where this OpenSTA can take the same activities.

This ``sta`` (2019) recomputes every cell output's activity from the inputs' probabilities, so it
cannot be given the measured transitions; its results are compared only where they are linear in
them (docs/asic.md, "OpenSTA, and why it is the check rather than the number").
"""

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass

from hwgen.fpga.asic import StaError, cell_library, io_boundary, tcl_word
from hwgen.fpga.asic_power import NetlistPower
from hwgen.fpga.liberty import read_liberty
from hwgen.fpga.liberty_energy import NO_LOAD, net_loads, net_slews, output_energy
from hwgen.fpga.sta_power import STA_LOG, run_sta_script, sta_power


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
        bit, load = cell.pins.get(pin), loads.get(cell.pins.get(pin), NO_LOAD)[0]
        sta_energy = one[cell.name].internal_w * clock_ns * 1e3 / 2  # W x ns -> pJ; rise + fall, halved
        # This OpenSTA looks up an output edge at the same edge's input slew, unateness aside.
        alike = output_energy(model.pins[pin], cell, slews, load, lambda _: 1, unate=False)
        worst = max(worst, abs(sta_energy - alike) / alike)
        theirs += sta_energy * toggles(bit)
        ours += output_energy(model.pins[pin], cell, slews, load, toggles) * toggles(bit)
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
    run_sta_script(f"{result.sta_prologue}source slews.tcl\nexit\n", "power_slews.tcl", result.work_dir,
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


__all__ = ["StaCheck", "sta_check"]
