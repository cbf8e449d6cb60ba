"""Acceptance suite of the systolic-array generator: arrays checked bit-exactly on Icarus and Verilator.

Configurations: int8, fp8_e4m3fn (fixed), fp8_e5m2 with an fp32 accumulator, fp4_e2m1 and dint4 x
int8, each with pes in {1, 4, 16} and simd in {1, 4} (30 arrays). All arrays of a simulator run in
ONE build (their harnesses side by side). Each array gets random tiles
(:func:`hwgen.sim.systolic_stimulus.random_tiles`): weight matrices of 1..pes + 8 words with ±0,
subnormals, ±max, NaN and inf where the formats have them (a quarter of the rows and vectors hold
none, so finite sums show), then matrix-vector products of 1..words items (a tenth of one item, a
tenth of all), with 20 % of input cycles idle and 30 % of output cycles refused. Weight loads
between tiles test that the array drains before taking new weights.

Verilator checks 2,000 matrix-vector products per array. Icarus is 20-50 times slower per cycle on
these arrays (the fp32 PEs with four e5m2 lanes add 66-bit sums), so within the suite's time budget
it checks 400 products per array with pes * simd <= 4 and 150 for the larger ones;
``bench/bench_systolic.py --icarus-products 2000`` runs the full count on Icarus.

A deliberately broken array (its lane adder drops the +1 that completes negative products' two's
complement) must be caught in both builds.
"""

import zlib
from dataclasses import dataclass

import pytest
from amaranth import Cat, Signal, signed

import hwgen.gen.processing_element as processing_element
from hwgen.gen.build import emit_spec
from hwgen.gen.lane import lane_sum
from hwgen.sim.engine import Job, verify_batch
from hwgen.sim.runner import SIMULATORS
from hwgen.sim.systolic_stimulus import random_tiles
from hwgen.sim.verify_systolic import SYSTOLIC
from hwgen.specs import SystolicSpec

pytestmark = [pytest.mark.slow, pytest.mark.tools]

IDLE_RATE = 0.2
STALL_RATE = 0.3
DEPTH = 32
FORMATS = [("int8", "int8", "fixed"), ("fp8_e4m3fn", "fp8_e4m3fn", "fixed"), ("fp8_e5m2", "fp8_e5m2", "fp32"),
           ("fp4_e2m1", "fp4_e2m1", "fixed"), ("dint4", "int8", "fixed")]
SHAPES = [(pes, simd) for pes in (1, 4, 16) for simd in (1, 4)]


@dataclass(frozen=True)
class Config:
    a: str
    b: str
    acc: str
    pes: int
    simd: int

    @property
    def id(self) -> str:
        operands = self.a if self.a == self.b else f"{self.a}-{self.b}"
        return f"{operands}-{self.acc}-pe{self.pes}-s{self.simd}"

    def spec(self) -> SystolicSpec:
        return SystolicSpec(self.a, self.b, self.acc, pes=self.pes, simd=self.simd, depth=DEPTH)


CONFIGS = [Config(a, b, acc, pes, simd) for a, b, acc in FORMATS for pes, simd in SHAPES]


def products(simulator: str, config: Config) -> int:
    if simulator == "verilator":
        return 2_000
    return 400 if config.pes * config.simd <= 4 else 150


def emit_config(config: Config, folder, name=None):
    return emit_spec(config.spec(), folder, name)[1]


@pytest.fixture(scope="module")
def manifests(tmp_path_factory):
    folder = tmp_path_factory.mktemp("systolic_units")
    good = {config: emit_config(config, folder) for config in CONFIGS}
    return folder, good


@pytest.mark.parametrize("simulator", SIMULATORS)
def test_systolic_arrays_bit_exact(simulator, manifests, tmp_path, monkeypatch):
    folder, good = manifests
    broken_config = Config("fp8_e4m3fn", "fp8_e4m3fn", "fixed", 4, 4)
    with monkeypatch.context() as patch:
        patch.setattr(processing_element, "lane_sum", broken_lane_minus_one)
        broken = emit_config(broken_config, folder, name="systolic_broken_negation")
    jobs = []
    for config in [*CONFIGS, broken_config]:
        seed = zlib.crc32(config.id.encode())
        tiles = random_tiles(config.a, config.b, pes=config.pes, simd=config.simd, depth=DEPTH,
                             vectors=products(simulator, config), seed=seed)
        jobs.append(Job(good[config] if len(jobs) < len(CONFIGS) else broken, tiles,
                        idle_rate=IDLE_RATE, stall_rate=STALL_RATE, seed=seed))
    reports = verify_batch(SYSTOLIC, jobs, simulator=simulator, build_dir=tmp_path)
    for config, report in zip(CONFIGS, reports, strict=False):
        print(f"{config.id:34s} products {report.dot_products:5d} items {report.vectors:6d} "
              f"cycles {report.cycles:7d} mismatches {report.mismatches}")
    print(f"{simulator}: build {reports[0].build_seconds:.1f} s, "
          f"simulate {reports[0].simulate_seconds:.1f} s")
    bad = [report.summary() for report in reports[:-1] if not report.ok]
    assert not bad, "\n".join(bad)
    assert all(report.dot_products >= products(simulator, config) for config, report in
               zip(CONFIGS, reports, strict=False))
    caught = reports[-1]
    assert caught.mismatches > 0 and not caught.timed_out, caught.summary()


def broken_lane_minus_one(m, lanes, width, name):
    """The lane adder without its +1 per negative lane (ones' complement, not two's)."""
    if lanes[0].value is not None:
        return lane_sum(m, lanes, width, name)
    total = Signal(signed(width), name=name)
    terms = [Cat(lane.magnitude ^ lane.negative.replicate(len(lane.magnitude)),
                 lane.negative.replicate(width - len(lane.magnitude))).as_signed() for lane in lanes]
    m.d.comb += total.eq(sum(terms))
    return total
