"""Energy per MAC from gate-level switching activity, relative to the INT8 MAC, plus an FPGA estimate.

Energy model (the unit is one toggle of one unit load, about 1/2 C V^2 of one gate input):

* every net: toggles x load, load = the cell input pins it drives (gate inputs, flip-flop D pins)
  + 1 for the output of the cell that drives it (none for a primary input: its driver is outside);
* the clock: every flip-flop's clock pin, two transitions per cycle (the clock tree is not counted);
* divided by the MACs (or multiplies) performed in the measured window.

Toggles come from :mod:`hwgen.cost_models.activity` (unit-delay gate-level simulation with Icarus,
glitches included, outputs checked against the golden model). The absolute number depends on the
unit-load assumption; ratios between designs measured with the same stimulus are the product:
:func:`relative_energy` puts the INT8 x INT8 ``fixed`` MAC at 1.0.

:func:`fpga_energy_estimate` is an **estimate**, not a measurement: an activity-weighted count of
mapped FPGA resources with the weights of :data:`FPGA_WEIGHTS`.

:func:`horowitz_anchor` checks the method against Horowitz (ISSCC 2014, 45 nm): multiplies of 8-bit
integers 0.2 pJ, 16-bit floats 1.1 pJ, 32-bit floats 3.7 pJ.
"""

import dataclasses
import math
import os
import shutil
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from hwgen import toolchain
from hwgen.cost_models import activity
from hwgen.cost_models.activity import DEFAULT_TERMS, DISTRIBUTIONS, check_distribution
from hwgen.cost_models.files import add_to_cache, read_cache
from hwgen.results.store import content_key
from hwgen.specs import MacSpec

METHOD = "unit-delay gate toggles x (fanout pins + 1) + 2 clock-pin toggles per FF per cycle, v1"
DEFAULT_MACS = 2048
MAX_MACS = 1 << 20
BASELINE_OPTIONS = MacSpec("int8", "int8").options()  # fixed accumulator, 64 terms, default pipeline
CACHE_FORMAT = 2  # 2: keys are store.content_key hashes
CACHE_WHAT = f"version-{CACHE_FORMAT} energy cache"
_CACHE_HEADER = {"format": CACHE_FORMAT}


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
    yosys: str
    icarus: str
    method: str = METHOD
    seconds: float = field(default=0.0, compare=False)  # measurement time; 0 when read from a cache
    cached: bool = field(default=False, compare=False)

    def to_json(self) -> dict:
        row = dataclasses.asdict(self)
        del row["seconds"], row["cached"]
        return row

    @classmethod
    def from_json(cls, row: Mapping) -> "EnergyResult":
        return cls(**row, cached=True)


def net_loads(netlist: activity.GateNetlist) -> dict[int, int]:
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
        yosys=found.yosys, icarus=found.icarus, seconds=seconds)


# -- validation --------------------------------------------------------------------------------------

def check_count(value, name: str, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, not {type(value).__name__}")
    if not 1 <= value <= high:
        raise ValueError(f"{name} must be between 1 and {high}, not {value}")
    return value


def check_seed(seed) -> int:
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise TypeError(f"seed must be an int, not {type(seed).__name__}")
    if seed < 0:
        raise ValueError(f"seed must be 0 or more, not {seed}")
    return seed


def _check_design(design) -> None:
    if not all(hasattr(design, name) for name in ("unit", "module", "verilog", "details")):
        raise TypeError(f"design must be a GeneratedDesign (hwgen.fpga.units), not {type(design).__name__}")
    if design.unit not in activity.UNITS:
        raise ValueError(f"design unit must be one of {', '.join(activity.UNITS)}, not {design.unit!r}")


# -- cache -------------------------------------------------------------------------------------------

def cache_key(design, distribution: str, macs: int, seed: int, terms: int) -> str:
    """Verilog sha256 + stimulus + Yosys and Icarus versions + method, hashed."""
    parts = {"verilog": design.sha256, "distribution": distribution, "macs": macs, "seed": seed,
             "terms": terms, "warmup": activity.WARMUP_CYCLES, "method": METHOD,
             "yosys": toolchain.find_tool("yosys").version, "icarus": toolchain.find_tool("iverilog").version}
    return content_key(parts)


# -- measurements ------------------------------------------------------------------------------------

def measure_energy(design, distribution: str = "gaussian", macs: int = DEFAULT_MACS, seed: int = 0, *,
                   work_dir: os.PathLike | str | None = None, cache: os.PathLike | str | None = None,
                   terms: int = DEFAULT_TERMS, keep_vcd: bool = False) -> EnergyResult:
    """Energy per MAC of ``design`` (a ``mac`` or ``mul`` :class:`hwgen.fpga.units.GeneratedDesign`).

    Parameters
    ----------
    distribution
        ``"gaussian"`` or ``"laplace"`` operand samples, quantized per tensor to each operand format.
    macs
        Measured cycles (one MAC each) after a warm-up of :data:`activity.WARMUP_CYCLES`.
    seed
        Seed of the samples: the same seed gives the same numbers.
    work_dir
        Folder under which each measurement gets its own subfolder (synthesis, simulation); a
        temporary folder, removed afterwards, when None.
    cache
        JSON cache file; a measurement with the same key (see :func:`cache_key`) is read instead of
        run, and each new one is added at once (atomically: a killed run loses nothing finished).
    terms
        K: MAC streams set ``last`` every K items.
    """
    _check_design(design)
    check_distribution(distribution)
    macs = check_count(macs, "macs", MAX_MACS)
    seed = check_seed(seed)
    terms = check_count(terms, "terms", MAX_MACS)
    key = cache_key(design, distribution, macs, seed, terms)
    cache_path = Path(cache) if cache is not None else None
    if cache_path is not None:
        row = read_cache(cache_path, _CACHE_HEADER, CACHE_WHAT).get(key)
        if row is not None:
            try:
                return EnergyResult.from_json(row)
            except TypeError:
                pass  # an entry of another shape: measure again
    started = time.perf_counter()
    if work_dir is None:
        with tempfile.TemporaryDirectory(prefix="hwgen-energy-") as folder:
            found = activity.measure_activity(design, distribution, macs, seed, work_dir=folder, terms=terms)
    else:
        name = f"{design.module}-{design.sha256[:10]}-{distribution}-s{seed}-n{macs}-k{terms}"
        folder = Path(work_dir) / name
        shutil.rmtree(folder, ignore_errors=True)
        found = activity.measure_activity(design, distribution, macs, seed, work_dir=folder, terms=terms)
        if not keep_vcd:
            (folder / "window.vcd").unlink(missing_ok=True)
    result = energy_of(found, design, distribution, seed, terms, time.perf_counter() - started)
    if cache_path is not None:
        add_to_cache(cache_path, _CACHE_HEADER, CACHE_WHAT, key, result.to_json())
    return result


def baseline_design():
    """The INT8 x INT8 ``fixed`` MAC (K = 64, pipeline 3): energy 1.0."""
    from hwgen.fpga.units import get_unit

    return get_unit("mac").generate(BASELINE_OPTIONS)


@dataclass(frozen=True)
class RelativeEnergy:
    """A design's energy per MAC over the baseline's, both measured with the same stimulus."""

    design: EnergyResult
    baseline: EnergyResult

    @property
    def ratio(self) -> float:
        return self.design.energy_per_mac / self.baseline.energy_per_mac


def relative_energy(design, baseline=None, distribution: str = "gaussian", macs: int = DEFAULT_MACS,
                    seed: int = 0, *, work_dir=None, cache=None,
                    terms: int = DEFAULT_TERMS) -> RelativeEnergy:
    """Energy of ``design`` relative to ``baseline`` (default: :func:`baseline_design`, the INT8 MAC).

    Both see the same samples (distribution, seed, count), each quantized to its own formats.
    """
    options = {"distribution": distribution, "macs": macs, "seed": seed, "work_dir": work_dir,
               "cache": cache, "terms": terms}
    mine = measure_energy(design, **options)
    base = measure_energy(baseline if baseline is not None else baseline_design(), **options)
    return RelativeEnergy(mine, base)


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
    gate-level :attr:`EnergyResult.mean_toggle_rate` of the same design. At one MAC per cycle this is
    the energy per MAC. The weights (:data:`FPGA_WEIGHTS`) are stated assumptions; use it to compare
    designs on one FPGA family, never as a power figure.
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

# Horowitz, "Computing's energy problem", ISSCC 2014, 45 nm: energy of one multiply (pJ). The anchor
# of the issue is FP16 and FP32 against INT8; INT32 (same table) separates the significand-array
# scaling from what floating point adds (normalization, rounding, exceptions), which hwgen's exact
# multipliers do not have.
HOROWITZ_PJ = {"int8": 0.2, "fp16": 1.1, "fp32": 3.7, "int32": 3.1}
ANCHOR_FORMATS = ("fp16", "fp32", "int32")
ANCHOR_TOLERANCE = 2.0


@dataclass(frozen=True)
class AnchorRow:
    format: str
    ours: float  # our energy per multiply over our INT8 multiplier's
    paper: float  # Horowitz's ratio over his 8-bit integer multiply
    within: bool  # ours within ANCHOR_TOLERANCE x of paper

    @property
    def factor(self) -> float:
        """ours / paper (1.0 = agreement)."""
        return self.ours / self.paper


@dataclass(frozen=True)
class HorowitzAnchor:
    rows: tuple[AnchorRow, ...]
    results: Mapping[str, EnergyResult]  # per format, the multiplier's measurement


def multiplier_design(fmt: str):
    """hwgen's exact multiplier of two ``fmt`` operands (unit ``mul``)."""
    from hwgen.fpga.units import get_unit

    return get_unit("mul").generate({"a": fmt, "b": fmt})


def horowitz_anchor(distribution: str = "gaussian", macs: int = DEFAULT_MACS, seed: int = 0, *,
                    formats=ANCHOR_FORMATS, work_dir=None, cache=None) -> HorowitzAnchor:
    """hwgen's multipliers over its INT8 multiplier, next to Horowitz's ratios (FP16 5.5x, FP32 18.5x,
    INT32 15.5x), each judged within :data:`ANCHOR_TOLERANCE` x or not. The FP32 and INT32
    multipliers take about 20-30 s each to measure (cache them)."""
    check_distribution(distribution)
    unknown = [f for f in formats if f not in HOROWITZ_PJ or f == "int8"]
    if isinstance(formats, str) or unknown:
        allowed = ", ".join(f for f in HOROWITZ_PJ if f != "int8")
        raise ValueError(f"anchor formats must be a sequence of {allowed}, not {formats!r}")
    results = {fmt: measure_energy(multiplier_design(fmt), distribution, macs, seed, work_dir=work_dir,
                                   cache=cache) for fmt in ("int8", *formats)}
    base = results["int8"].energy_per_mac
    rows = []
    for fmt in formats:
        ours, paper = results[fmt].energy_per_mac / base, HOROWITZ_PJ[fmt] / HOROWITZ_PJ["int8"]
        rows.append(AnchorRow(fmt, ours, paper, 1 / ANCHOR_TOLERANCE <= ours / paper <= ANCHOR_TOLERANCE))
    return HorowitzAnchor(tuple(rows), results)


__all__ = ["DISTRIBUTIONS", "EnergyResult", "FpgaEnergyEstimate", "HorowitzAnchor", "RelativeEnergy",
           "fpga_energy_estimate", "horowitz_anchor", "measure_energy", "relative_energy"]
