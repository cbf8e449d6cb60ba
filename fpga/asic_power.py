"""Power and energy per MAC of a Liberty-mapped netlist, from the switching activity of real streams.

:func:`measure_asic_power` takes a ``mac`` or ``mul`` design and the netlist that
:func:`hwgen.fpga.asic.synthesize_asic` mapped to a library's cells, and:

1. **Simulates the mapped netlist** (:mod:`hwgen.fpga.netlist_sim`) on Icarus with the library's own
   cell models (``osu018_stdcells.v``, UDP flip-flops and specify blocks) and each cell's delays from
   OpenSTA (:func:`hwgen.fpga.sta_power.write_sdf`: the NLDM tables at the pins' loads and slews under
   static_timing's constraints, no wires). The stimulus is the gate-level energy measurement's
   (:mod:`hwgen.fpga.activity`: Gaussian or Laplace samples quantized to the formats, fixed seeds),
   one item per clock, no idle, no backpressure. Every output is checked bit-exactly against the
   golden model: a netlist (or a clock it cannot meet) that gives a wrong answer gets no power figure
   (``ActivityError``).
2. **Counts every net's transitions** in the testbench (one counter per driver pin, a SAIF-like
   toggle count, cheaper than a VCD), glitches included. Icarus applies the SDF path delays
   inertially: a pulse shorter than a cell's delay dies in the cell, so each counted change is a
   full swing.
3. **Prices the transitions with the Liberty's tables** (:mod:`hwgen.fpga.liberty_energy`, the
   product's number; :mod:`hwgen.fpga.liberty` reads the file). Each output transition costs the
   cell's internal energy from its NLDM power table at the net's load and the related input's slew;
   slews are propagated through the transition tables as OpenSTA does. Each input-pin transition
   costs that pin's own internal energy (flip-flop clock and data pins). Every transition of a net
   that a cell drives also costs ½ C V², with C the pin capacitances on the net and no wire model.
   Leakage is Σ ``cell_leakage_power``.
4. **Checks against OpenSTA** (:mod:`hwgen.fpga.sta_check`). This ``sta`` (2019) has no
   ``read_saif`` or ``read_vcd``, and it recomputes every cell output's activity from the cell's
   function. So it is given the measured activity of the input ports, and its ``report_power`` is a
   vectorless estimate (:attr:`AsicPower.sta_dynamic_uw`). With the measured activities themselves
   it can be compared only where its results are linear in them, and there it agrees
   (docs/asic.md, "Power and energy").

Nets driven from outside the design (the clock and the data inputs) are not in the dynamic power,
as in OpenSTA: their drivers, the clock tree and the stage before, pay for them. Their ½ C V² is
reported apart. Energy per MAC = dynamic energy of one clock cycle (one MAC) + leakage × period.
"""

import json
import os
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

from hwgen import toolchain
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
    cell_library,
    check_clock_ns,
    io_boundary,
    render_sta_script,
    without_signedness,
)
from hwgen.fpga.gate_sim import ActivityError
from hwgen.fpga.liberty import read_liberty
from hwgen.fpga.liberty_energy import EnergyBreakdown, liberty_energy
from hwgen.fpga.mapped_netlist import MappedNetlist, netlist_from_verilog, read_mapped_netlist
from hwgen.fpga.netlist_sim import NetActivity, output_columns, simulate, stimulus_words
from hwgen.fpga.sta_power import StaPower, input_activity_tcl, sta_power, write_sdf
from hwgen.toolchain import CellLibrary

METHOD = ("mapped netlist on Icarus with the library's cell models and OpenSTA SDF delays (max, 1 ps, "
          "inertial); transitions counted per driver pin; Liberty NLDM internal energy at propagated "
          "slews and pin loads (mean of rise and fall per transition, arcs weighted by their inputs' "
          "toggles) + 1/2 C V^2 per transition of cell-driven nets (pin caps, no wires); flip-flops at 0 "
          "until the first clock edge; v2")
STA_NETLIST = "power_sta_netlist.v"


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
    stage_seconds: Mapping[str, float] = field(default_factory=dict, compare=False)  # wall time of each step

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
                  netlist_json: os.PathLike | str | None = None,
                  timeout: float | None = None) -> NetlistPower:
    """Simulate a mapped netlist on given input values and price its transitions.

    Parameters
    ----------
    stimulus
        One column of values per input port but the clock: value ``j`` is on the port from rising
        edge ``j - 1`` on (value 0 from the start), so the design samples it at edge ``j``.
    start_cycle, cycles
        The measured window: ``cycles`` clock periods from rising edge ``start_cycle``.
    netlist_json
        *verilog* read back by Yosys (``AsicSynthResult.netlist_json``); without it, Yosys reads it here.
    """
    clock_ns = check_clock_ns(clock_ns)
    cells = cell_library(library)
    verilog = Path(verilog)
    if not verilog.is_file():
        raise ValueError(f"no mapped netlist {verilog}")
    work = Path(work_dir).resolve()
    work.mkdir(parents=True, exist_ok=True)
    seconds, last = {}, time.perf_counter()

    def lap(stage: str) -> None:
        nonlocal last
        seconds[stage], last = time.perf_counter() - last, time.perf_counter()

    liberty, boundary = read_liberty(cells.liberty), io_boundary(cells)
    if netlist_json is None:
        netlist = netlist_from_verilog(verilog, top, cells, work, timeout)
    else:
        netlist = read_mapped_netlist(json.loads(Path(netlist_json).read_text()), top)
    lap("netlist")
    if netlist.ports.get(clock_port, ("",))[0] != "input":
        raise ValueError(f"{top} has no clock input {clock_port}")
    words = stimulus_words(netlist, clock_port, stimulus)
    (work / STA_NETLIST).write_text(without_signedness(verilog.read_text(errors="replace")))
    script = render_sta_script(STA_NETLIST, top, str(cells.liberty.resolve()), clock_ns, boundary, clock_port)
    prologue = script[:script.index("report_checks")]  # static_timing's constraints, not its reports
    what = f"sta ({cells.name}, {top})"
    sdf = write_sdf(prologue, work, what, timeout)
    lap("sdf")
    found = simulate(netlist, cells, sdf, words, start_cycle, cycles, clock_ns,
                     clock_port=clock_port, work_dir=work, timeout=timeout)
    lap("simulation")
    energy = liberty_energy(netlist, liberty, found, boundary, clock_port)
    lap("liberty_energy")
    vectorless = sta_power(prologue, input_activity_tcl(netlist, found), work, what, timeout)
    lap("sta_power")
    tools = {name: toolchain.find_tool(name).version for name in ("yosys", "sta", "iverilog")}
    return NetlistPower(netlist, cells.name, clock_ns, found, energy, vectorless, prologue, clock_port,
                        MappingProxyType(tools), work, MappingProxyType(seconds))


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
    stage_seconds: Mapping[str, float] = field(default_factory=dict, compare=False)  # NetlistPower's

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
                       work_dir: os.PathLike | str, netlist_json: os.PathLike | str | None = None,
                       timeout: float | None = None) -> AsicPower:
    """Power and energy per MAC of *design*'s mapped netlist on the energy measurement's operand stream.

    Parameters
    ----------
    design
        A :class:`hwgen.fpga.units.GeneratedDesign` of unit ``mac`` or ``mul``.
    mapped_netlist
        The Verilog that :func:`hwgen.fpga.asic.synthesize_asic` wrote (``AsicSynthResult.netlist``).
    netlist_json
        The same netlist read back (``AsicSynthResult.netlist_json``): saves a Yosys run.
    clock_ns
        The clock of the timed simulation and of the power; a clock the netlist cannot meet gives
        wrong outputs, hence ``ActivityError``.
    macs
        Measured cycles, after reset and :data:`~hwgen.fpga.activity.WARMUP_CYCLES` items.
    timeout
        Seconds for each tool run (Yosys unless *netlist_json*, OpenSTA twice, iverilog, vvp).

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
                           RESET_CYCLES + WARMUP_CYCLES, macs, work_dir=work_dir, netlist_json=netlist_json,
                           timeout=timeout)

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
        seconds=time.perf_counter() - started, stage_seconds=result.stage_seconds)


__all__ = ["METHOD", "AsicPower", "NetlistPower", "measure_asic_power", "netlist_power"]
