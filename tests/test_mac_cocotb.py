"""Acceptance suite of the MAC generator: generated units checked bit-exactly on Icarus and Verilator.

Every unit of the suite runs in ONE build per simulator (:func:`hwgen.sim.engine.verify_batch`:
the units' harnesses side by side), so the suite pays one Verilator compile, not one per unit. Each
unit gets one stream of items, with 20 % of the input cycles idle and 30 % of the output cycles
refused (in bursts) throughout:

1. every (a, b) operand code pair, each a one-term dot product (exhaustive single products), then
2. random dot products from :func:`~hwgen.sim.mac_stimulus.random_dot_products`: operands biased to
   ±0, subnormals, ±max, min normal, ±1, NaN and inf where the formats have them; lengths 1..64, a
   tenth of one term, a tenth of 64 terms, the rest uniform (mean 32.5 terms); a quarter without
   NaN or inf operands.

Verilator (about 2 million items a second over the whole batch) runs the 18 configurations below at
pipeline depths 1 and 3, each with the exhaustive pairs and 20,000 random dot products (about
650,000 items). Icarus is about 100 times slower per unit and cycle, so it runs the exhaustive pairs
at both depths but fewer random dot products: 2,000 at pipeline depth 3 and 500 at depth 1.

Both builds also hold a deliberately broken unit, fp8_e4m3fn x fp8_e4m3fn -> bf16 whose accumulator
rounds ties away from zero instead of to even: the testbench must catch it while passing every good
unit of the same build. (tests/test_mac_harness.py catches the hand-written fixtures' bugs.)

The timing test prints, per simulator, the build and run times, items, dot products and mismatches.
"""

import time
from dataclasses import dataclass

import pytest

import hwgen.gen.accumulate
from hwgen.emit import emit
from hwgen.gen import float_accumulate
from hwgen.gen.build import build_unit, emit_spec
from hwgen.gen.mac_design import manifest_details
from hwgen.sim.engine import Job, verify_batch
from hwgen.sim.mac_stimulus import exhaustive_pairs, join_vectors, random_dot_products
from hwgen.sim.runner import SIMULATORS
from hwgen.sim.verdict import VerifyReport
from hwgen.sim.verify_mac import MAC
from hwgen.specs import MacSpec

pytestmark = [pytest.mark.slow, pytest.mark.tools]

IDLE_RATE = 0.2
STALL_RATE = 0.3


@dataclass(frozen=True)
class Config:
    a: str
    b: str
    acc: str = "fixed"
    mul: str = "exact"

    @property
    def id(self) -> str:
        operands = self.a if self.a == self.b else f"{self.a}-{self.b}"
        return "-".join([operands, self.acc, *([self.mul] if self.mul != "exact" else [])])


CONFIGS = [
    *(Config(fmt, fmt) for fmt in ("int8", "int4", "uint8", "fp8_e4m3fn", "fp8_e5m2", "fp8_e4m3fnuz",
                                   "fp6_e3m2", "fp6_e2m3", "fp4_e2m1")),
    Config("dint4", "int8"),
    Config("nf4", "int8"),
    *(Config(fmt, fmt, acc) for fmt in ("fp8_e4m3fn", "fp8_e5m2", "int8") for acc in ("fp32", "bf16")),
    Config("fp8_e4m3fn", "fp8_e4m3fn", mul="lmul"),
]


@dataclass(frozen=True)
class Plan:
    """What one simulator runs: random dot products per pipeline depth (exhaustive pairs first)."""

    random: dict[int, int]  # pipeline depth -> random dot products
    exhaustive: tuple[int, ...]  # pipeline depths that also get every operand pair
    broken_random: int


PLANS = {
    "verilator": Plan(random={1: 20_000, 3: 20_000}, exhaustive=(1, 3), broken_random=2_000),
    "icarus": Plan(random={1: 500, 3: 2_000}, exhaustive=(1, 3), broken_random=2_000),
}
BROKEN = "broken"


class TiesAwayAccumulate(float_accumulate.FloatAccumulate):
    """A float accumulator with a bug: exact ties round away from zero, not to the even code.

    It rewrites the rounding statement of FloatAccumulate's ``round`` stage,
    ``code_magnitude = truncated + (guard & (sticky | lsb))``, into ``truncated + guard``.
    """

    def elaborate(self, platform):
        m = super().elaborate(platform)
        round_stage, _ = m._named_submodules["round"]
        (assign,) = round_stage._statements["comb"]
        truncated, round_up = assign.rhs.operands
        assert (assign.rhs.operator, round_up.operator) == ("+", "&"), "FloatAccumulate's rounding changed"
        guard, _ties_to_even = round_up.operands
        round_stage._statements["comb"] = [assign.lhs.eq(truncated + guard)]
        return m


@pytest.fixture(scope="module")
def units(tmp_path_factory) -> dict:
    """Manifests of every unit the plans need: {(config id, pipeline): path, BROKEN: path}."""
    folder = tmp_path_factory.mktemp("mac_units")
    pipelines = sorted({depth for plan in PLANS.values() for depth in plan.random})
    manifests = {}
    for config in CONFIGS:
        for pipeline in pipelines:
            spec = MacSpec(config.a, config.b, config.acc, pipeline=pipeline, mul=config.mul)
            _, manifests[config.id, pipeline] = emit_spec(spec, folder)
    with pytest.MonkeyPatch.context() as patch:
        # where the MAC's accumulator (hwgen.gen.accumulate.float_add) looks it up
        patch.setattr(hwgen.gen.accumulate, "FloatAccumulate", TiesAwayAccumulate)
        unit = build_unit(MacSpec("fp8_e4m3fn", "fp8_e4m3fn", "bf16"))
        _, manifests[BROKEN] = emit(unit, "mac_fp8_e4m3fn_bf16_ties_away", folder, manifest_details(unit))
    return manifests


@dataclass
class Outcome:
    simulator: str
    reports: dict  # the keys of `units` -> VerifyReport
    stimulus_seconds: float  # drawing the vectors
    wall_seconds: float  # of verify_batch

    def __getitem__(self, key) -> VerifyReport:
        return self.reports[key]


@pytest.fixture(scope="module", params=SIMULATORS)
def outcome(request, units, tmp_path_factory) -> Outcome:
    """Every unit of the simulator's plan, run in one build of its own folder."""
    simulator, plan = request.param, PLANS[request.param]
    begin = time.perf_counter()
    jobs = {}
    for index, config in enumerate(CONFIGS):
        for pipeline, count in plan.random.items():
            parts = [exhaustive_pairs(config.a, config.b)] if pipeline in plan.exhaustive else []
            parts.append(random_dot_products(config.a, config.b, count, seed=100 * index + pipeline))
            jobs[config.id, pipeline] = Job(units[config.id, pipeline], join_vectors(*parts),
                                            idle_rate=IDLE_RATE, stall_rate=STALL_RATE, seed=index)
    broken = random_dot_products("fp8_e4m3fn", "fp8_e4m3fn", plan.broken_random, seed=5)
    jobs[BROKEN] = Job(units[BROKEN], broken, idle_rate=IDLE_RATE, stall_rate=STALL_RATE, seed=5)
    drawn = time.perf_counter()
    reports = verify_batch(MAC, list(jobs.values()), simulator=simulator,
                           build_dir=tmp_path_factory.mktemp(f"mac_batch_{simulator}"))
    return Outcome(simulator, dict(zip(jobs, reports, strict=True)), stimulus_seconds=drawn - begin,
                   wall_seconds=time.perf_counter() - drawn)


def expected_dot_products(config: Config, plan: Plan, pipeline: int) -> int:
    pairs = len(exhaustive_pairs(config.a, config.b).last) if pipeline in plan.exhaustive else 0
    return pairs + plan.random[pipeline]


@pytest.mark.parametrize("config", CONFIGS, ids=lambda config: config.id)
def test_unit_matches_the_golden_model(outcome, config):
    plan = PLANS[outcome.simulator]
    for pipeline in plan.random:
        report = outcome[config.id, pipeline]
        assert report.ok, report.summary()
        assert report.dot_products == expected_dot_products(config, plan, pipeline)
        assert report.cycles > report.vectors  # idle input cycles and refused outputs slowed it


def test_broken_rounding_is_caught(outcome):
    broken = outcome[BROKEN]
    assert broken.mismatches > 0 and not broken.timed_out and broken.protocol_errors == 0
    assert broken.first_mismatches[0].startswith("dot product ")
    good = [report for key, report in outcome.reports.items() if key != BROKEN]
    assert all(report.ok for report in good), "\n".join(r.summary() for r in good if not r.ok)


def test_report_times_and_counts(outcome, capsys):
    reports = list(outcome.reports.values())
    good = [report for key, report in outcome.reports.items() if key != BROKEN]
    first = reports[0]  # build and simulation times are the batch's, shared by its reports
    line = (f"{outcome.simulator}: {len(reports)} units in one build; stimulus "
            f"{outcome.stimulus_seconds:.1f} s, build {first.build_seconds:.1f} s, simulate "
            f"{first.simulate_seconds:.1f} s, vector files + golden model + checks "
            f"{sum(r.check_seconds for r in reports):.1f} s (verify_batch {outcome.wall_seconds:.1f} s); "
            f"{sum(r.vectors for r in good)} items, {sum(r.dot_products for r in good)} dot products, "
            f"{sum(r.mismatches for r in good)} mismatches in good units, "
            f"{outcome[BROKEN].mismatches} of {outcome[BROKEN].dot_products} in the broken one")
    with capsys.disabled():
        print(f"\n{line}")
        for key, report in outcome.reports.items():
            print(f"  {'/'.join(map(str, key)) if isinstance(key, tuple) else key:<32} {report.module:<34} "
                  f"items {report.vectors:>8} dot products {report.dot_products:>6} "
                  f"cycles {report.cycles:>8} mismatches {report.mismatches}")
    if outcome.simulator == "verilator":
        for config in CONFIGS:
            for pipeline in (1, 3):
                assert outcome[config.id, pipeline].dot_products >= 20_000

