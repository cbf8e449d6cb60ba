"""Energy per MAC from gate-level switching activity: the measurement a ``gates`` sweep point runs.

Energy model (the unit is one toggle of one unit load, about 1/2 C V^2 of one gate input):

* every net: toggles x load, load = the cell input pins it drives (gate inputs, flip-flop D pins)
  + 1 for the output of the cell that drives it (none for a primary input: its driver is outside);
* the clock: every flip-flop's clock pin, two transitions per cycle (the clock tree is not counted);
* divided by the MACs (or multiplies) performed in the measured window.

Toggles come from :mod:`hwgen.fpga.activity` (unit-delay gate-level simulation with Icarus, glitches
included, outputs checked against the golden model). The absolute number depends on the unit-load
assumption; ratios between designs measured with the same stimulus are the product. A sweep stores
the numbers as rows (:func:`hwgen.fpga.points.run_task`); the cost models turn the stored numbers
into ratios over the INT8 x INT8 MAC (:mod:`hwgen.cost_models.energy`) and never measure.
"""

import dataclasses
import json
import os
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from hwgen.fpga import activity
from hwgen.fpga.activity import (
    DEFAULT_MACS,
    DEFAULT_TERMS,
    MAX_MACS,
    check_count,
    check_distribution,
    check_seed,
    check_unit,
)
from hwgen.fpga.gate_sim import VCD_NAME, GateNetlist, read_netlist
from hwgen.fpga.yosys_flow import synthesize

METHOD = "unit-delay gate toggles x (fanout pins + 1) + 2 clock-pin toggles per FF per cycle, v1"
UNITS = activity.UNITS
SIMULATION = "sim"  # the subfolder of a measurement that holds the simulation (and its VCD)


@dataclass(frozen=True)
class EnergyResult:
    """Energy of one design under one operand stream (units: unit-load toggles per MAC)."""

    design: str  # module name
    unit: str
    sha256: str  # of the design's Verilog
    distribution: str
    seed: int
    macs: int  # MACs (or multiplies) in the measured window, one per cycle
    terms: int  # K of the stream (``last`` every K MACs)
    energy_per_mac: float  # data + clock
    data_energy_per_mac: float
    clock_energy_per_mac: float
    toggles: int  # net toggles in the window, clock excluded
    nets: int
    gates: int
    ffs: int
    depth: int  # gates on the longest path
    mean_toggle_rate: float  # toggles per net per cycle (above 1 means glitches)
    checked: int  # outputs compared bit-exactly with the golden model
    icarus: str
    method: str = METHOD
    seconds: float = field(default=0.0, compare=False)  # measurement time

    def to_json(self) -> dict:
        row = dataclasses.asdict(self)
        del row["seconds"]
        return row


def net_loads(netlist: GateNetlist) -> dict[int, int]:
    """Load of every counted net: cell input pins driven, + 1 when a cell of the netlist drives it."""
    driven = netlist.driven_bits
    return {net: pins + (net in driven) for net, pins in netlist.fanout().items()}


def energy_of(found: activity.Activity, design, distribution: str, seed: int, terms: int,
              seconds: float = 0.0) -> EnergyResult:
    """Turn one activity measurement into energy per MAC."""
    netlist = found.netlist
    loads = net_loads(netlist)
    data = sum(found.toggles[net] * load for net, load in loads.items())
    clock = 2 * found.cycles * len(netlist.flops)
    toggles = sum(found.toggles.values())
    return EnergyResult(
        design=design.module, unit=design.unit, sha256=design.sha256, distribution=distribution, seed=seed,
        macs=found.items, terms=terms, energy_per_mac=(data + clock) / found.items,
        data_energy_per_mac=data / found.items, clock_energy_per_mac=clock / found.items, toggles=toggles,
        nets=len(loads), gates=len(netlist.gates), ffs=len(netlist.flops), depth=netlist.depth,
        mean_toggle_rate=toggles / (len(loads) * found.cycles) if loads else 0.0, checked=found.checked,
        icarus=found.icarus, seconds=seconds)


def gate_netlist(design, work_dir: os.PathLike | str, *, timeout: float | None = None) -> GateNetlist:
    """Synthesize *design* with the ``gates`` flow in *work_dir* and read its gate netlist."""
    work = Path(work_dir)
    work.mkdir(parents=True, exist_ok=True)
    source = work / f"{design.module}.v"
    source.write_text(design.verilog)
    synth = synthesize(source, design.module, "gates", work_dir=work / "gates", timeout=timeout)
    return read_netlist(json.loads(synth.netlist_json.read_text()), design.module)


def measure_energy(design, distribution: str = "gaussian", macs: int = DEFAULT_MACS, seed: int = 0, *,
                   netlist: GateNetlist | None = None, work_dir: os.PathLike | str | None = None,
                   terms: int = DEFAULT_TERMS, timeout: float | None = None,
                   keep_vcd: bool = False) -> EnergyResult:
    """Energy per MAC of ``design`` (a ``mac`` or ``mul`` :class:`hwgen.fpga.units.GeneratedDesign`).

    Parameters
    ----------
    distribution
        ``"gaussian"`` or ``"laplace"`` operand samples, quantized per tensor to each operand format.
    macs
        Measured cycles (one MAC each) after a warm-up of :data:`activity.WARMUP_CYCLES`.
    seed
        Seed of the samples: the same seed gives the same numbers.
    netlist
        The design's gate netlist when it is already synthesized (a sweep's ``gates`` point);
        synthesized here otherwise.
    work_dir
        Folder under which the measurement gets its own subfolder (synthesis, simulation); a
        temporary folder, removed afterwards, when None.
    terms
        K: MAC streams set ``last`` every K items.
    timeout
        Seconds for each tool run.
    """
    check_unit(design)
    check_distribution(distribution)
    macs = check_count(macs, "macs", MAX_MACS)
    seed = check_seed(seed)
    terms = check_count(terms, "terms", MAX_MACS)
    started = time.perf_counter()
    if work_dir is None:
        with tempfile.TemporaryDirectory(prefix="hwgen-energy-") as folder:
            found = _activity(design, netlist, distribution, macs, seed, Path(folder), terms, timeout)
    else:
        name = f"{design.module}-{design.sha256[:10]}-{distribution}-s{seed}-n{macs}-k{terms}"
        folder = Path(work_dir) / name
        shutil.rmtree(folder, ignore_errors=True)
        found = _activity(design, netlist, distribution, macs, seed, folder, terms, timeout)
        if not keep_vcd:
            (folder / SIMULATION / VCD_NAME).unlink(missing_ok=True)
    return energy_of(found, design, distribution, seed, terms, time.perf_counter() - started)


def _activity(design, netlist, distribution, macs, seed, folder: Path, terms, timeout) -> activity.Activity:
    if netlist is None:
        netlist = gate_netlist(design, folder, timeout=timeout)
    return activity.measure_activity(design, netlist, distribution, macs, seed, work_dir=folder / SIMULATION,
                                     terms=terms, timeout=timeout)


def baseline_design():
    """The INT8 x INT8 ``fixed`` MAC (K = 64, pipeline 3): energy 1.0 in the report's ratios."""
    from hwgen.fpga.units import get_unit
    from hwgen.specs import MacSpec

    return get_unit("mac").generate(MacSpec("int8", "int8").options())


def multiplier_design(fmt: str):
    """hwgen's exact multiplier of two ``fmt`` operands (unit ``mul``): the Horowitz anchor's designs."""
    from hwgen.fpga.units import get_unit

    return get_unit("mul").generate({"a": fmt, "b": fmt})


__all__ = ["DEFAULT_MACS", "METHOD", "EnergyResult", "baseline_design", "energy_of", "gate_netlist",
           "measure_energy", "multiplier_design", "net_loads"]
