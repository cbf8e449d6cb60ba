"""Acceptance suite of the block dot-product generator: units checked bit-exactly on Icarus and Verilator.

Every unit runs in ONE build per simulator (:func:`hwgen.sim.engine.verify_batch`: the
units' harnesses side by side), with 20 % of the input cycles idle and 30 % of the output cycles
refused (in bursts). The seven block formats of the registry, at their spec block sizes (32 for MX,
16 for NVFP4) with an fp32 accumulator (pipeline 3, the default): the acceptance units. Each format
also with an exact fixed accumulator, at 8 elements per block (the lanes and the adder tree are the
spec units' own; what differs is the scaling and the ~550-bit accumulator, a quarter of the build and
simulation cost at 8 lanes) and pipeline 2 (Icarus pays for every register; tests/test_mxdot_gen.py
runs the deeper pipelines, up to every cut point registered, in Amaranth's simulator). Stimulus:
:func:`hwgen.sim.mxdot_stimulus.random_block_dots` (edge-biased elements, all-zero, all-max,
all-subnormal, quantized and cancelling blocks, NaN / inf elements, NaN scales; dot products of 1..4
blocks).

Verilator (fast once built) runs 6,000 random block pairs per unit and, for the 4- and 6-bit element
formats, every element code pair through the lanes (:func:`~hwgen.sim.mxdot_stimulus.exhaustive_pair_blocks`;
the 65,536 pairs of an 8-bit format would double the suite's time). Icarus is far slower per block, so
it runs 5,000 random block pairs through each fp32 unit (the acceptance count) and 1,000 through
each fixed one.

Both builds also hold a deliberately broken unit, an MXFP4 unit that takes the E8M0 NaN code 0xFF
for the scale 2^128: the testbench must catch it while passing every good unit of the same build.
"""

import time
from dataclasses import dataclass

import pytest
from amaranth import Const

from hwgen.emit import emit
from hwgen.formats import BLOCK_FORMATS
from hwgen.formats.block_dot import resolve_block_format
from hwgen.gen.build import emit_spec
from hwgen.gen.mxdot import MxDotUnit
from hwgen.gen.mxdot_design import manifest_details
from hwgen.sim.engine import Job, verify_batch
from hwgen.sim.mxdot_stimulus import exhaustive_pair_blocks, join_blocks, random_block_dots
from hwgen.sim.runner import SIMULATORS
from hwgen.sim.verdict import VerifyReport
from hwgen.sim.verify_mxdot import MXDOT
from hwgen.specs import MxDotSpec

pytestmark = [pytest.mark.slow, pytest.mark.tools]

IDLE_RATE = 0.2
STALL_RATE = 0.3
ACCEPTANCE_BLOCKS = 5_000
PIPELINES = {"fp32": 3, "fixed": 2}
FIXED_BLOCK = 8


@dataclass(frozen=True)
class Config:
    fmt: str
    acc: str

    @property
    def id(self) -> str:
        return f"{self.fmt}-{self.acc}"


CONFIGS = [Config(fmt, acc) for fmt in BLOCK_FORMATS for acc in PIPELINES]


def block_format(config: Config):
    return resolve_block_format(config.fmt, block=FIXED_BLOCK if config.acc == "fixed" else None)


@dataclass(frozen=True)
class Plan:
    random: dict[str, int]  # accumulator -> random block pairs per unit
    exhaustive_bits: int  # element formats this narrow also get every code pair
    broken_random: int


PLANS = {
    "verilator": Plan(random={"fp32": 6_000, "fixed": 6_000}, exhaustive_bits=6, broken_random=2_000),
    "icarus": Plan(random={"fp32": ACCEPTANCE_BLOCKS, "fixed": 1_000}, exhaustive_bits=0,
                   broken_random=1_000),
}
BROKEN = "broken"


class NanScaleIgnored(MxDotUnit):
    """A block dot-product unit with a bug: the E8M0 NaN code 0xFF scales like 2^128."""

    def _decode_scale(self, m, code, name):
        operand = super()._decode_scale(m, code, name)
        return type(operand)(operand.negative, operand.magnitude, operand.shift, Const(0, 1), operand.inf)


@pytest.fixture(scope="module")
def units(tmp_path_factory) -> dict:
    """Manifests of every unit: {config id: path, BROKEN: path}."""
    folder = tmp_path_factory.mktemp("mxdot_units")
    manifests = {}
    for config in CONFIGS:
        block = FIXED_BLOCK if config.acc == "fixed" else None
        spec = MxDotSpec(config.fmt, block=block, acc=config.acc, pipeline=PIPELINES[config.acc])
        _, manifests[config.id] = emit_spec(spec, folder)
    broken = NanScaleIgnored("mxfp4", acc="fp32")
    name = "mxdot_mxfp4_fp32_nan_scale_ignored"
    _, manifests[BROKEN] = emit(broken, name, folder, manifest_details(broken))
    return manifests


@dataclass
class Outcome:
    simulator: str
    reports: dict  # the keys of `units` -> VerifyReport
    stimulus_seconds: float
    wall_seconds: float

    def __getitem__(self, key) -> VerifyReport:
        return self.reports[key]


def stimulus(config: Config, plan: Plan, index: int):
    fmt = block_format(config)
    parts = [random_block_dots(fmt, fmt, plan.random[config.acc], seed=10 * index + 1)]
    if fmt.element.bits <= plan.exhaustive_bits:
        parts.append(exhaustive_pair_blocks(fmt, fmt))
    return join_blocks(*parts)


@pytest.fixture(scope="module", params=SIMULATORS)
def outcome(request, units, tmp_path_factory) -> Outcome:
    """Every unit of the simulator's plan, run in one build of its own folder."""
    simulator, plan = request.param, PLANS[request.param]
    begin = time.perf_counter()
    jobs = {config.id: Job(units[config.id], stimulus(config, plan, index), IDLE_RATE, STALL_RATE, index)
            for index, config in enumerate(CONFIGS)}
    broken = random_block_dots("mxfp4", "mxfp4", plan.broken_random, seed=5)
    jobs[BROKEN] = Job(units[BROKEN], broken, IDLE_RATE, STALL_RATE, 5)
    drawn = time.perf_counter()
    reports = verify_batch(MXDOT, list(jobs.values()), simulator=simulator,
                           build_dir=tmp_path_factory.mktemp(f"mxdot_batch_{simulator}"))
    return Outcome(simulator, dict(zip(jobs, reports, strict=True)), stimulus_seconds=drawn - begin,
                   wall_seconds=time.perf_counter() - drawn)


@pytest.mark.parametrize("config", CONFIGS, ids=lambda config: config.id)
def test_unit_matches_the_golden_model(outcome, config):
    plan = PLANS[outcome.simulator]
    report = outcome[config.id]
    assert report.ok, report.summary()
    fmt = block_format(config)
    pairs = (1 << (2 * fmt.element.bits)) if fmt.element.bits <= plan.exhaustive_bits else 0
    assert report.vectors == plan.random[config.acc] + pairs
    assert report.dot_products == int(stimulus(config, plan, CONFIGS.index(config)).last.sum())
    assert report.cycles > report.vectors  # idle input cycles and refused outputs slowed it
    if config.acc == "fp32":
        assert report.vectors >= ACCEPTANCE_BLOCKS


def test_broken_unit_is_caught(outcome):
    broken = outcome[BROKEN]
    assert broken.mismatches > 0 and not broken.timed_out and broken.protocol_errors == 0
    assert broken.first_mismatches[0].startswith("dot product ")
    assert "scale 0xff (nan)" in "\n".join(broken.first_mismatches)
    good = [report for key, report in outcome.reports.items() if key != BROKEN]
    assert all(report.ok for report in good), "\n".join(r.summary() for r in good if not r.ok)


def test_report_times_and_counts(outcome, capsys):
    reports = list(outcome.reports.values())
    good = [report for key, report in outcome.reports.items() if key != BROKEN]
    first = reports[0]  # build and simulation times are the batch's, shared by its reports
    line = (f"{outcome.simulator}: {len(reports)} block dot-product units in one build; stimulus "
            f"{outcome.stimulus_seconds:.1f} s, build {first.build_seconds:.1f} s, simulate "
            f"{first.simulate_seconds:.1f} s, vector files + golden model + checks "
            f"{sum(r.check_seconds for r in reports):.1f} s (batch {outcome.wall_seconds:.1f} s); "
            f"{sum(r.vectors for r in good)} block pairs, {sum(r.dot_products for r in good)} dot products, "
            f"{sum(r.mismatches for r in good)} mismatches in good units, "
            f"{outcome[BROKEN].mismatches} of {outcome[BROKEN].dot_products} in the broken one")
    with capsys.disabled():
        print(f"\n{line}")
        for key, report in outcome.reports.items():
            print(f"  {key:<18} {report.module:<36} block pairs {report.vectors:>6} dot products "
                  f"{report.dot_products:>6} cycles {report.cycles:>7} mismatches {report.mismatches}")
