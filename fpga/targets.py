"""Synthesis targets: the Yosys commands each one runs and what its cells are (LUT, FF, DSP, ...).

A target fills the ``synth`` and ``post_synth`` hooks of the flow template in
:mod:`hwgen.fpga.yosys_flow` and sorts the cell types that its ``stat -json`` reports into
resource categories. Adding a family is adding one :class:`Target` to :data:`TARGETS`.

``asic`` is the exception: a standard-cell library and a clock decide its mapping, so it runs its
own flow (:mod:`hwgen.fpga.asic`: Yosys to Liberty cells, then OpenSTA) instead of the template, and
has metrics of its own (area in µm², critical path, leakage; :data:`ASIC_COLUMNS`). Its entry here
names its cell categories and so the FPGA metrics it cannot have.
"""

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from hwgen.specs.mac import CCU2C_TARGETS, SB_MAC16_TARGETS

# Resource categories, in this order. A category a target names cells for counts zero when a design
# uses none; one it names no cells for does not apply to it (Target.inapplicable_columns).
LUT = "lut"
FF = "ff"
CARRY = "carry"
DSP = "dsp"
BRAM = "bram"
LUTRAM = "lutram"
MUX = "mux"  # wide-function muxes between LUTs (MUXF7, PFUMX, ...) or $_MUX_ gates
GATE2 = "gate2"  # two-input gates of the generic `gates` target
INVERTER = "inverter"
IO = "io"
OTHER = "other"
CATEGORIES = (LUT, FF, CARRY, DSP, BRAM, LUTRAM, MUX, GATE2, INVERTER, IO, OTHER)
# The results store's column of each category (IO and OTHER cells are summed into `other_cells`).
CATEGORY_COLUMNS = {LUT: "luts", FF: "ffs", CARRY: "carries", DSP: "dsps", BRAM: "brams", LUTRAM: "lutrams",
                    MUX: "muxes", GATE2: "gates", INVERTER: "inverters"}
TRANSISTOR_COLUMNS = ("transistors", "transistors_complete")
# Result columns only the asic target fills (the others leave them NULL). The power ones are reserved
# for the activity-based power measurement and stay NULL until it exists.
ASIC_COLUMNS = ("library", "clock_ns", "area_um2", "sequential_area_um2", "cells", "critical_path_ns",
                "slack_ns", "asic_fmax_mhz", "leakage_nw", "dynamic_uw", "energy_pj_per_mac", "power_method",
                "sta_version")

# The generic target's gate set: every two-input function, no MUX / AOI, so that "gates" is a
# count of equal-sized cells. abc adds NOT (and BUF) on its own.
GATE_SET = ("AND", "NAND", "OR", "NOR", "XOR", "XNOR", "ANDNOT", "ORNOT")


@dataclass(frozen=True)
class Target:
    """One synthesis target.

    ``synth(top, dsp)`` returns the commands of the ``synth`` hook. ``cell_patterns`` maps each
    resource category to the cell types (full regular expressions) that belong to it; a type that
    matches none is counted as ``other``.
    """

    name: str
    description: str
    synth: Callable[[str, bool], tuple[str, ...]]
    post_synth: tuple[str, ...]
    stat_args: tuple[str, ...]
    cell_patterns: Mapping[str, str]
    template: bool = True  # False: measured by its own flow, not yosys_flow's template (asic)
    # The cell library (a Yosys share path) that defines the vendor primitives a unit may instantiate
    # (PRIMITIVES): read before `hierarchy`, so that it knows them.
    cell_library: str | None = None

    @property
    def counts_transistors(self) -> bool:
        """Whether its ``stat`` estimates transistors (``-tech cmos``: the gates target)."""
        return "cmos" in self.stat_args

    @property
    def inapplicable_columns(self) -> tuple[str, ...]:
        """The result columns this target cannot have: the categories it names no cells for (LUTs of a
        gate netlist, gates of an FPGA) and transistors where ``stat`` estimates none. They are stored
        as NULL, because a 0 there would read as a measured count and pull averages down."""
        missing = tuple(column for category, column in CATEGORY_COLUMNS.items()
                        if category not in self.cell_patterns)
        return missing if self.counts_transistors else missing + TRANSISTOR_COLUMNS

    def category(self, cell_type: str) -> str:
        """The resource category of one cell type, e.g. ``"LUT6"`` -> ``"lut"`` on xc7."""
        for category, pattern in self.cell_patterns.items():
            if re.fullmatch(pattern, cell_type):
                return category
        return OTHER


def _xc7(top: str, dsp: bool) -> tuple[str, ...]:
    # No I/O or clock buffers: results count a design's own logic, the way it sits inside a
    # bigger one (the xc7 numbers are never placed and routed here).
    flags = ["-family xc7", f"-top {top}", "-flatten", "-noiopad", "-noclkbuf"]
    if not dsp:
        flags.append("-nodsp")
    return ("synth_xilinx " + " ".join(flags),)


def _ice40(top: str, dsp: bool) -> tuple[str, ...]:
    # UltraPlus (-device u) is the iCE40 family with DSPs (SB_MAC16); synth_ice40 uses them
    # only when asked.
    flags = [f"-top {top}", "-device u"]
    if dsp:
        flags.append("-dsp")
    return ("synth_ice40 " + " ".join(flags),)


def _ecp5(top: str, dsp: bool) -> tuple[str, ...]:
    flags = [f"-top {top}"]
    if not dsp:
        flags.append("-nodsp")
    return ("synth_ecp5 " + " ".join(flags),)


def _gates(top: str, dsp: bool) -> tuple[str, ...]:
    del dsp  # a gate netlist has no DSPs: multipliers always become gates
    return (f"synth -top {top} -flatten -noabc",)


def _own_flow(top: str, dsp: bool) -> tuple[str, ...]:
    del top, dsp
    raise ValueError("target asic is synthesized by hwgen.fpga.asic (a cell library and a clock), not by "
                     "the Yosys template")


# Vendor primitives a generated unit may instantiate (hwgen.gen.sb_mac16), and the target whose synthesis
# maps them; every other target refuses such a unit (hwgen.fpga.yosys_flow.primitive_commands).
PRIMITIVES: Mapping[str, str] = {"SB_MAC16": SB_MAC16_TARGETS[0], "CCU2C": CCU2C_TARGETS[0]}
# Those the target's DSP inference would take apart and rebuild, kept out of it under another name. A
# CCU2C is a carry cell no pass rewrites (and an abc9 box, whose timing a renamed copy would lose).
INFERRED_PRIMITIVES = ("SB_MAC16",)


def instantiated_primitives(verilog: str) -> tuple[str, ...]:
    """The :data:`PRIMITIVES` that Verilog text instantiates (``SB_MAC16 #(`` or ``SB_MAC16 name (``)."""
    return tuple(name for name in PRIMITIVES if re.search(rf"^\s*{name}\s+(#\s*\(|\w+\s*\()", verilog, re.M))


_FINE_FF = r"\$_(S?DFFC?E?|ALDFFE?|DFFSRE?|DLATCHS?R?|SR)_[NP01]*_"

TARGETS: Mapping[str, Target] = {
    target.name: target
    for target in (
        Target(
            name="xc7",
            description="Xilinx 7-series (synth_xilinx -family xc7): LUT1..6, FD*, CARRY4, DSP48E1",
            synth=_xc7,
            post_synth=(),
            stat_args=(),
            cell_patterns={
                LUT: r"LUT[1-6]",
                FF: r"FD[CPRS]E?(_1)?|LDC?PE?",
                CARRY: r"CARRY4",
                DSP: r"DSP48E1",
                BRAM: r"RAMB(18|36)E1",
                LUTRAM: r"RAM\d+[XM]\d*[DSQ]?|SRL(C)?(16|32)E?",
                MUX: r"MUXF[78]",
                INVERTER: r"INV",
                IO: r"[IO]?BUF[GT]?|IOBUF|BUFGCTRL",
            },
        ),
        Target(
            name="ice40",
            description="Lattice iCE40 UltraPlus (synth_ice40 -device u, -dsp): SB_LUT4, SB_DFF*, SB_MAC16",
            synth=_ice40,
            post_synth=(),
            stat_args=(),
            cell_library="+/ice40/cells_sim.v",
            cell_patterns={
                LUT: r"SB_LUT4",
                FF: r"SB_DFF\w*",
                CARRY: r"SB_CARRY",
                DSP: r"SB_MAC16",
                BRAM: r"SB_RAM40_4K\w*|SB_SPRAM256KA",
                IO: r"SB_IO\w*|SB_GB\w*",
            },
        ),
        Target(
            name="ecp5",
            description="Lattice ECP5 (synth_ecp5): LUT4, TRELLIS_FF, CCU2C (2 LUT4 + carry), MULT18X18D",
            synth=_ecp5,
            post_synth=(),
            stat_args=(),
            cell_library="+/ecp5/cells_sim.v",
            cell_patterns={
                LUT: r"LUT4",
                FF: r"TRELLIS_FF",
                CARRY: r"CCU2C",
                DSP: r"MULT18X18D|ALU54B|ALU24B|MULT9X9D",
                BRAM: r"DP16KD|PDPW16KD",
                LUTRAM: r"TRELLIS_DPR16X4|DPR16X4C|SPR16X4C",
                MUX: r"PFUMX|L6MUX21",
                IO: r"TRELLIS_IO|[IO]B|BB",
            },
        ),
        Target(
            name="gates",
            description="generic gates (synth; abc -g " + ",".join(GATE_SET) + "), FFs without enables",
            synth=_gates,
            # Enables and synchronous resets become gates in front of plain D flip-flops, so
            # the gate count includes them; asynchronous resets stay in the flip-flop.
            post_synth=(
                r"dfflegalize -cell $_DFF_P_ 01 -cell $_DFF_P??_ 01",
                "abc -g " + ",".join(GATE_SET),
                "opt_clean",
            ),
            stat_args=("-tech", "cmos"),
            cell_patterns={
                FF: _FINE_FF,
                GATE2: r"\$_(" + "|".join(GATE_SET) + r")_",
                INVERTER: r"\$_(NOT|BUF)_",
                MUX: r"\$_N?MUX\d*_",
            },
        ),
        Target(
            name="asic",
            description="standard cells of a Liberty library (osu018 default) at a clock: Yosys + ABC "
                        "sizing towards the period, OpenSTA timing and leakage (hwgen.fpga.asic)",
            synth=_own_flow,
            post_synth=(),
            stat_args=(),
            cell_patterns={
                FF: r"DFF\w*|LATCH\w*",
                INVERTER: r"INVX\d+|BUFX\d+|CLKBUF\d+",
                MUX: r"MUX2X\d+",
            },
            template=False,
        ),
    )
}

TARGET_NAMES = tuple(TARGETS)
# The targets yosys_flow's template synthesizes (every one but asic).
TEMPLATE_TARGET_NAMES = tuple(name for name, target in TARGETS.items() if target.template)
ASIC = "asic"


def get_target(name: str) -> Target:
    """The target called *name*; ``ValueError`` naming the known ones otherwise."""
    if not isinstance(name, str):
        raise TypeError(f"target must be a target name (str), not {type(name).__name__}")
    try:
        return TARGETS[name]
    except KeyError:
        raise ValueError(f"target must be one of {', '.join(TARGET_NAMES)}, not {name!r}") from None
