"""Acceptance suite of the rounding multiplier and the adder: hardware against the golden model
(``hwgen.golden.arith``), bit for bit, on Verilator and Icarus.

* Verilator: 10^6 random operand pairs each for fp16, bf16 and fp32 rounding multipliers, the fp32,
  fp16 and int32 adders (the edge-heavy stimulus of :mod:`hwgen.sim.arith_stimulus`: about a third
  ties, subnormal operands, results near overflow and underflow, zeros of both signs, every kind of
  NaN, inf, cancellation), with 20 % idle input cycles and 30 % refused output cycles.
* Icarus is about 100x slower per cycle, so it runs the same units on :data:`ICARUS_RANDOM` pairs of
  the same stimulus. The 10^6-pair runs on Icarus take 1-3 minutes each; they were run by hand
  with ``hwgen verify ... --vectors 1000000 --sim both`` (see the report of the change).
* Every operand pair of fp8_e5m2 x fp8_e5m2 -> fp8_e5m2, fp8_e4m3fn x fp8_e4m3fn -> fp8_e4m3fn and
  the fp8_e4m3fn adder on both simulators; of fp8_e4m3fn x fp8_e5m2 -> fp16 and the fp8_e5m2 adder
  on Verilator.

All units of a simulator run in ONE build (:func:`hwgen.sim.engine.verify_batch`), Icarus in a worker
process while Verilator builds. The builds also hold a deliberately broken multiplier that rounds
ties away from zero: the checker must catch exactly the ties whose nearest-even result rounds down.
"""

import time
from dataclasses import dataclass

import numpy as np
import pytest

from hwgen.emit import emit
from hwgen.formats import get_format
from hwgen.gen.build import emit_spec
from hwgen.gen.multiplier import MulUnit, manifest_details
from hwgen.golden import decode
from hwgen.sim.arith_stimulus import add_pairs, exhaustive_pairs, mul_pairs
from hwgen.sim.engine import Job, verify_batches
from hwgen.sim.runner import SIMULATORS
from hwgen.sim.verify_arith import ARITH
from hwgen.specs import AddSpec, MulSpec

pytestmark = [pytest.mark.slow, pytest.mark.tools]

VERILATOR_RANDOM = 1_000_000
ICARUS_RANDOM = 40_000
IDLE_RATE, STALL_RATE = 0.2, 0.3

RANDOM = {
    "mul-fp16": MulSpec("fp16", "fp16", "fp16"),
    "mul-bf16": MulSpec("bf16", "bf16", "bf16"),
    "mul-fp32": MulSpec("fp32", "fp32", "fp32"),
    "add-fp32": AddSpec("fp32"),
    "add-fp16": AddSpec("fp16"),
    "add-int32": AddSpec("int32"),
}
EXHAUSTIVE = {
    "mul-fp8_e5m2": MulSpec("fp8_e5m2", "fp8_e5m2", "fp8_e5m2"),
    "mul-fp8_e4m3fn": MulSpec("fp8_e4m3fn", "fp8_e4m3fn", "fp8_e4m3fn"),
    "mul-fp8_e4m3fn-fp8_e5m2-fp16": MulSpec("fp8_e4m3fn", "fp8_e5m2", "fp16"),
    "add-fp8_e4m3fn": AddSpec("fp8_e4m3fn"),
    "add-fp8_e5m2": AddSpec("fp8_e5m2"),
}
VERILATOR_ONLY = ("mul-fp8_e4m3fn-fp8_e5m2-fp16", "add-fp8_e5m2")
BROKEN = "broken"


class TiesAwayMultiplier(MulUnit):
    """A rounding multiplier with a bug: exact ties round away from zero, not to the even code.

    It rewrites the statement of hwgen.gen.float_round's ``round`` stage,
    ``code_magnitude = truncated + (guard & (sticky | lsb))``, into ``truncated + guard``.
    """

    def elaborate(self, platform):
        m = super().elaborate(platform)
        round_stage, _ = m._named_submodules["round"]
        (assign,) = round_stage._statements["comb"]
        truncated, round_up = assign.rhs.operands
        assert (assign.rhs.operator, round_up.operator) == ("+", "&"), "float_round's rounding changed"
        guard, _ties_to_even = round_up.operands
        round_stage._statements["comb"] = [assign.lhs.eq(truncated + guard)]
        return m


def stimulus(key: str, spec, simulator: str):
    if key in EXHAUSTIVE or key == BROKEN:
        a, b = (spec.a, spec.b) if isinstance(spec, MulSpec) else (spec.format, spec.format)
        return exhaustive_pairs(a, b)
    count = VERILATOR_RANDOM if simulator == "verilator" else ICARUS_RANDOM
    seed = sorted(RANDOM).index(key)
    if isinstance(spec, MulSpec):
        return mul_pairs(spec.a, spec.b, spec.result, count, seed=seed)
    return add_pairs(spec.format, count, seed=seed)


def ties_rounding_down(fmt_name: str, pairs) -> int:
    """Products of *pairs* that are exact ties whose nearest-even result is the lower neighbour, a
    finite value (max at most: above it both neighbours overflow to NaN)."""
    fmt = get_format(fmt_name)
    with np.errstate(invalid="ignore"):
        product = np.abs(decode(fmt, pairs.a_codes) * decode(fmt, pairs.b_codes))  # exact: 8-bit operands
    finite = np.isfinite(product) & (product > 0)
    mag = np.where(finite, product, 1.0)
    ulp = np.ldexp(1.0, np.maximum(np.frexp(mag)[1] - 1, fmt.emin) - fmt.man_bits)
    scaled = mag / ulp
    lower = np.floor(scaled)
    return int((finite & (scaled % 1.0 == 0.5) & (lower % 2 == 0) & (lower * ulp <= fmt.max)).sum())


@pytest.fixture(scope="module")
def units(tmp_path_factory) -> dict:
    """Manifests of every unit: {key: path, BROKEN: path}."""
    folder = tmp_path_factory.mktemp("arith_units")
    manifests = {key: emit_spec(spec, folder)[1] for key, spec in {**RANDOM, **EXHAUSTIVE}.items()}
    unit = TiesAwayMultiplier("fp8_e4m3fn", "fp8_e4m3fn", "fp8_e4m3fn")
    _, manifests[BROKEN] = emit(unit, "mul_fp8_e4m3fn_ties_away", folder, manifest_details(unit))
    return manifests


@dataclass
class Outcome:
    simulator: str
    reports: dict
    stimulus_seconds: float
    wall_seconds: float


@pytest.fixture(scope="module")
def outcomes(units, tmp_path_factory) -> dict:
    """Every unit on each simulator, one build per simulator; Icarus runs while Verilator builds."""
    begin = time.perf_counter()
    specs = {**RANDOM, **EXHAUSTIVE, BROKEN: EXHAUSTIVE["mul-fp8_e4m3fn"]}
    batches = {simulator: {key: Job(units[key], stimulus(key, spec, simulator), idle_rate=IDLE_RATE,
                                    stall_rate=STALL_RATE, seed=index)
                           for index, (key, spec) in enumerate(specs.items())
                           if simulator == "verilator" or key not in VERILATOR_ONLY}
               for simulator in SIMULATORS}
    drawn = time.perf_counter() - begin
    begin = time.perf_counter()
    reports = verify_batches(ARITH, {sim: list(jobs.values()) for sim, jobs in batches.items()},
                             build_dir=tmp_path_factory.mktemp("arith_batches"))
    wall = time.perf_counter() - begin
    return {sim: Outcome(sim, dict(zip(batches[sim], reports[sim], strict=True)), drawn, wall)
            for sim in batches}


@pytest.fixture(params=SIMULATORS)
def outcome(request, outcomes) -> Outcome:
    return outcomes[request.param]


@pytest.mark.parametrize("key", RANDOM)
def test_random_pairs_match_the_golden_model(outcome, key):
    report = outcome.reports[key]
    assert report.ok, report.summary()
    assert report.dot_products == (VERILATOR_RANDOM if outcome.simulator == "verilator" else ICARUS_RANDOM)


@pytest.mark.parametrize("key", EXHAUSTIVE)
def test_every_pair_matches_the_golden_model(outcome, key):
    if key in VERILATOR_ONLY and outcome.simulator != "verilator":
        assert key not in outcome.reports
        return
    report = outcome.reports[key]
    assert report.ok, report.summary()
    assert report.dot_products == 1 << 16


def test_ties_away_multiplier_is_caught(outcome):
    broken = outcome.reports[BROKEN]
    assert not broken.timed_out and broken.protocol_errors == 0
    expected = ties_rounding_down("fp8_e4m3fn", exhaustive_pairs("fp8_e4m3fn", "fp8_e4m3fn"))
    assert broken.mismatches == expected > 1000
    assert broken.first_mismatches[0].startswith("item ")


def test_report_times_and_counts(outcome, capsys):
    good = {key: report for key, report in outcome.reports.items() if key != BROKEN}
    first = next(iter(good.values()))
    checks = sum(r.check_seconds for r in outcome.reports.values())
    with capsys.disabled():
        print(f"\n{outcome.simulator}: {len(outcome.reports)} multipliers and adders in one build: build "
              f"{first.build_seconds:.1f} s, simulate {first.simulate_seconds:.1f} s, stimulus "
              f"{outcome.stimulus_seconds:.1f} s (both simulators), items + golden + checks {checks:.1f} s; "
              f"both simulators side by side {outcome.wall_seconds:.1f} s; "
              f"{sum(r.dot_products for r in good.values())} outputs, "
              f"{sum(r.mismatches for r in good.values())} mismatches in good units, "
              f"{outcome.reports[BROKEN].mismatches} in the broken one")
    assert all(r.cycles > r.dot_products for r in good.values())  # idle and stall cycles were there
