"""Energy models over stored measurements: ratios to the INT8 MAC, the Horowitz anchor, an FPGA estimate.

The numbers are measured by a sweep (``gates = { energy = true }``, :mod:`hwgen.fpga.gate_energy`:
unit-delay gate toggles x load per MAC, outputs checked against the golden model) and stored as the
rows' :data:`ENERGY_COLUMNS`; nothing here measures. The absolute unit depends on the unit-load
assumption; ratios between designs measured with the same stimulus and method are the product, with
the INT8 x INT8 ``fixed`` MAC at 1.0 (:func:`is_baseline`).

:func:`fpga_energy_estimate` is an **estimate**, not a measurement: an activity-weighted count of
mapped FPGA resources with the weights of :data:`FPGA_WEIGHTS`.

:func:`horowitz_anchor` checks the method against Horowitz (ISSCC 2014, 45 nm): multiplies of 8-bit
integers 0.2 pJ, 16-bit floats 1.1 pJ, 32-bit floats 3.7 pJ; 32-bit integer adds 0.1 pJ, float adds 0.9 pJ.
"""

import math
from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd

from hwgen.formats import DEFAULT_TERMS
from hwgen.specs.mac import DEFAULT_PIPELINE

# distribution -> the stored column of energy per MAC (unit-load toggles) under that operand stream
ENERGY_COLUMNS = {"gaussian": "energy_per_mac_gaussian", "laplace": "energy_per_mac_laplace"}
DISTRIBUTIONS = tuple(ENERGY_COLUMNS)
# What makes two stored energies comparable: the same stimulus length and method.
MEASUREMENT = ("energy_macs", "energy_method")
BASELINE_FORMAT = "int8"
MEASURE_COMMAND = "hwgen sweep default --store {store}"


def is_baseline(table: pd.DataFrame) -> pd.Series:
    """The rows of the INT8 x INT8 MAC with a ``fixed`` accumulator, exact multiply, default shape."""
    return ((table["format_a"] == BASELINE_FORMAT) & (table["format_b"] == BASELINE_FORMAT)
            & (table["acc"] == "fixed") & (table["mul"] == "exact") & (table["pipeline"] == DEFAULT_PIPELINE)
            & table["terms"].fillna(DEFAULT_TERMS).eq(DEFAULT_TERMS))


def missing_energy(store) -> str:
    """The one line that says a store holds no gate-level energy and which command measures it."""
    return (f"the results store has no gate-level energy of the INT8 x INT8 MAC (the baseline = 1); "
            f"`{MEASURE_COMMAND.format(store=store)}` measures it (only the gates points are computed again)")


# -- FPGA estimate -----------------------------------------------------------------------------------

# Energy per output toggle of each mapped resource, in units of one LUT output toggle with its
# routing. Assumptions, not fits: routing dominates FPGA dynamic energy (Shang, Kaviani & Bathala,
# FPGA 2002: ~60 % interconnect on Virtex-II), so a flip-flop or carry cell output, which also drives
# routed nets, counts like a LUT; a DSP block is taken as 30 LUTs (a LUT-built 18 x 18 multiply is
# ~300 LUTs; hard blocks are about an order of magnitude more efficient). ``clock`` is per flip-flop
# per cycle, whatever the data does.
FPGA_WEIGHTS = {"luts": 1.0, "ffs": 1.0, "carries": 1.0, "dsps": 30.0, "clock": 0.25}
FPGA_RESOURCES = ("luts", "ffs", "carries", "dsps")


@dataclass(frozen=True)
class FpgaEnergyEstimate:
    """An activity-weighted FPGA energy **estimate** per cycle (LUT-toggle units), not a measurement."""

    energy_per_cycle: float
    breakdown: Mapping[str, float]
    toggle_rate: float
    weights: Mapping[str, float]
    kind: str = "estimate"


def fpga_energy_estimate(resources: Mapping[str, int], toggle_rate: float,
                         weights: Mapping[str, float] | None = None) -> FpgaEnergyEstimate:
    """Estimate FPGA dynamic energy per cycle from mapped resources and a toggle rate.

    energy = toggle_rate x sum(weight x count) over LUTs, FFs, carry cells and DSPs
    + clock weight x FFs. ``toggle_rate`` is the mean output toggles per cell per cycle, e.g. the
    stored gate-level ``toggle_rate`` of the same design. At one MAC per cycle this is the energy per
    MAC. The weights (:data:`FPGA_WEIGHTS`) are stated assumptions; use it to compare designs on one
    FPGA family, never as a power figure.
    """
    weights = dict(FPGA_WEIGHTS if weights is None else weights)
    if set(weights) != set(FPGA_WEIGHTS):
        raise ValueError(f"weights must have exactly the keys {', '.join(FPGA_WEIGHTS)}")
    if not isinstance(resources, Mapping):
        raise TypeError(f"resources must be a dict of {', '.join(FPGA_RESOURCES)}, "
                        f"not {type(resources).__name__}")
    unknown = sorted(set(resources) - set(FPGA_RESOURCES))
    if unknown:
        raise ValueError(f"unknown resource {unknown[0]!r}; resources are {', '.join(FPGA_RESOURCES)}")
    counts = {}
    for name in FPGA_RESOURCES:
        value = resources.get(name, 0)
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"resources[{name!r}] must be an int, not {type(value).__name__}")
        if value < 0:
            raise ValueError(f"resources[{name!r}] must be 0 or more, not {value}")
        counts[name] = value
    if isinstance(toggle_rate, bool) or not isinstance(toggle_rate, int | float):
        raise TypeError(f"toggle_rate must be a number, not {type(toggle_rate).__name__}")
    if not (math.isfinite(toggle_rate) and toggle_rate >= 0):
        raise ValueError(f"toggle_rate must be a finite number >= 0, not {toggle_rate}")
    breakdown = {name: toggle_rate * weights[name] * counts[name] for name in FPGA_RESOURCES}
    breakdown["clock"] = weights["clock"] * counts["ffs"]
    return FpgaEnergyEstimate(sum(breakdown.values()), breakdown, float(toggle_rate), weights)


# -- Horowitz anchor ---------------------------------------------------------------------------------

# Horowitz, "Computing's energy problem", ISSCC 2014, 45 nm: energy of one operation (pJ), keyed
# "<format> <mul|add>". His float operations normalize and round; his integer multiplies are exact.
HOROWITZ_PJ = {"int8 mul": 0.2, "int32 mul": 3.1, "fp16 mul": 1.1, "fp32 mul": 3.7,
               "int8 add": 0.03, "int32 add": 0.1, "fp16 add": 0.4, "fp32 add": 0.9}
BASE_OPERATION = "int8 mul"
ANCHOR_TOLERANCE = 2.0


@dataclass(frozen=True)
class AnchorRow:
    operation: str  # "fp16 mul"
    ours: float  # our energy per operation over our INT8 multiply's
    paper: float  # Horowitz's ratio over his 8-bit integer multiply
    judged: bool  # part of the verdict (else shown for context)

    @property
    def factor(self) -> float:
        """ours / paper (1.0 = agreement)."""
        return self.ours / self.paper

    @property
    def within(self) -> bool:
        """ours within :data:`ANCHOR_TOLERANCE` x of paper, either way."""
        return 1 / ANCHOR_TOLERANCE <= self.factor <= ANCHOR_TOLERANCE


def operation_name(fmt: str, op: str) -> str:
    """The anchor's key of one operation: ``operation_name("fp16", "mul") == "fp16 mul"``."""
    return f"{fmt} {op}"


def horowitz_anchor(energy_per_operation: Mapping[str, float], judged=()) -> tuple[AnchorRow, ...]:
    """hwgen's operations over its INT8 multiply, next to Horowitz's ratios (FP16 multiply 5.5x, FP32
    multiply 18.5x, INT32 add 0.5x, FP32 add 4.5x, ...), in the order of :data:`HOROWITZ_PJ`.

    ``energy_per_operation`` maps operations of :data:`HOROWITZ_PJ` (``"int8 mul"`` among them) to
    hwgen's measured energy per operation, all measured with the same stimulus and method; the
    operations it lacks are left out. ``judged`` names the operations the verdict counts.
    """
    unknown = sorted(set(energy_per_operation) - set(HOROWITZ_PJ))
    if unknown:
        raise ValueError(f"anchor operations are {', '.join(HOROWITZ_PJ)}, not {unknown[0]!r}")
    if BASE_OPERATION not in energy_per_operation:
        raise ValueError(f"the Horowitz anchor needs the energy of the {BASE_OPERATION} (its base)")
    base = energy_per_operation[BASE_OPERATION]
    return tuple(AnchorRow(op, energy_per_operation[op] / base, HOROWITZ_PJ[op] / HOROWITZ_PJ[BASE_OPERATION],
                           op in judged)
                 for op in HOROWITZ_PJ if op != BASE_OPERATION and op in energy_per_operation)


__all__ = ["ENERGY_COLUMNS", "HOROWITZ_PJ", "AnchorRow", "FpgaEnergyEstimate", "fpga_energy_estimate",
           "horowitz_anchor", "is_baseline", "missing_energy", "operation_name"]
