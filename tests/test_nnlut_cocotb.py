"""Acceptance suite of the NN-LUT generator: every input code of every unit, bit-exact, Icarus and Verilator.

For every function (gelu, exp, reciprocal, rsqrt, silu, tanh) and every 8- and 16-bit input format
(int8_f4 and int16_f12 fixed point, fp8_e4m3fn, fp8_e5m2, fp16, bf16), a 16-entry unit is checked on
EVERY input code against the golden model (:func:`hwgen.nnlut.evaluate.evaluate_codes`), on both
simulators: 36 units, 3 x 6 x 65,536 + 3 x 6 x 256 codes. A few more 8-bit units cover other output
formats (unsigned fixed point, fnuz, mixed float / fixed), other entry counts and pipeline depths 1
to 3, exhaustively too.

All units of a simulator run in ONE build (:func:`hwgen.sim.engine.verify_batch`), and Icarus runs
in a worker process while Verilator builds (:func:`hwgen.sim.engine.verify_batches`).
On Verilator every unit gets 20 % idle input cycles and 30 % refused output cycles (in bursts). Icarus is
slow per cycle, so there the 16-bit units run without idling or stalls and the 8-bit ones with both.

The builds also hold a deliberately broken unit: its hardware was built from a table whose intercept
in its busiest segment is one output LSB off the table its manifest records. The checker must catch it while
passing every good unit of the same build.
"""

import dataclasses
import time
from dataclasses import dataclass

import numpy as np
import pytest

from hwgen.emit import emit
from hwgen.formats import scalar_format
from hwgen.gen.build import emit_spec
from hwgen.gen.nnlut import NnLutUnit
from hwgen.gen.nnlut_design import manifest_details, nnlut_table
from hwgen.nnlut.evaluate import reduce_inputs, segments
from hwgen.sim.engine import Job, verify_batches
from hwgen.sim.runner import SIMULATORS
from hwgen.sim.verify_nnlut import NNLUT
from hwgen.specs import NnLutSpec

pytestmark = [pytest.mark.slow, pytest.mark.tools]

FUNCTIONS = ("gelu", "exp", "reciprocal", "rsqrt", "silu", "tanh")
# Output format per function for the fixed-point inputs (minifloat inputs: the same format out).
FIXED_OUT = {
    "int8_f4": {"gelu": "int8_f3", "exp": "int8_f6", "reciprocal": "int8_f2", "rsqrt": "int8_f4",
                "silu": "int8_f3", "tanh": "int8_f6"},
    "int16_f12": {"gelu": "int16_f11", "exp": "int16_f14", "reciprocal": "int16_f3", "rsqrt": "int16_f8",
                  "silu": "int16_f11", "tanh": "int16_f14"},
}
INPUTS = ("int8_f4", "int16_f12", "fp8_e4m3fn", "fp8_e5m2", "fp16", "bf16")
IDLE_RATE, STALL_RATE = 0.2, 0.3


@dataclass(frozen=True)
class Config:
    function: str
    in_format: str
    out_format: str
    entries: int = 16
    pipeline: int = 4

    @property
    def id(self) -> str:
        extra = [] if self.entries == 16 else [f"n{self.entries}"]
        extra += [] if self.pipeline == 4 else [f"p{self.pipeline}"]
        return "-".join([self.function, self.in_format, self.out_format, *extra])

    @property
    def spec(self) -> NnLutSpec:
        return NnLutSpec(self.function, self.entries, self.in_format, self.out_format, pipeline=self.pipeline)

    @property
    def wide(self) -> bool:
        return scalar_format(self.in_format).bits > 8


ACCEPTANCE = [Config(f, i, FIXED_OUT[i][f] if i in FIXED_OUT else i) for f in FUNCTIONS for i in INPUTS]
EXTRA = [
    Config("exp", "fp8_e5m2", "uint8_f7"),
    Config("tanh", "fp8_e4m3fn", "int8_f6", pipeline=1),
    Config("gelu", "int8_f4", "fp8_e4m3fn", entries=8, pipeline=2),
    Config("reciprocal", "fp8_e4m3fnuz", "fp8_e4m3fnuz", pipeline=3),
    Config("rsqrt", "fp8_e4m3_ieee", "fp16", entries=32, pipeline=1),
    Config("silu", "uint8_f5", "fp8_e5m2", entries=32, pipeline=2),
    Config("reciprocal", "int8", "bf16", entries=4, pipeline=1),
]
CONFIGS = ACCEPTANCE + EXTRA
BROKEN = "broken"


BROKEN_CONFIG = Config("gelu", "int8_f4", "int8_f3")


def busiest_segment(table) -> tuple[int, int]:
    """(segment, inputs reaching it) of the segment most of the 256 input codes use."""
    counts = np.bincount(segments(table, reduce_inputs(table, np.arange(256)).u), minlength=table.entries)
    return int(counts.argmax()), int(counts.max())


def broken_unit():
    """gelu int8_f4 -> int8_f3 whose hardware has its busiest segment's intercept one output LSB
    (2^-3) off the table its manifest records."""
    table = nnlut_table(BROKEN_CONFIG.spec)
    segment, _ = busiest_segment(table)
    intercepts = list(table.intercepts)
    intercepts[segment] += 1 << (table.intercept_frac - 3)  # every output of the segment moves one code
    return NnLutUnit(dataclasses.replace(table, intercepts=tuple(intercepts))), table


EMIT_SECONDS = []


@pytest.fixture(scope="module")
def units(tmp_path_factory) -> dict:
    """Manifests of every unit: {config id: path, BROKEN: path}."""
    begin = time.perf_counter()
    folder = tmp_path_factory.mktemp("nnlut_units")
    manifests = {}
    for config in CONFIGS:
        _, manifests[config.id] = emit_spec(config.spec, folder)
    unit, table = broken_unit()
    details = manifest_details(unit)
    details["table"] = table.describe()  # the manifest claims the good table
    _, manifests[BROKEN] = emit(unit, "nnlut_gelu_broken_intercept", folder, details)
    EMIT_SECONDS.append(time.perf_counter() - begin)
    return manifests


@dataclass
class Outcome:
    simulator: str
    reports: dict
    wall_seconds: float


@pytest.fixture(scope="module")
def outcomes(units, tmp_path_factory) -> dict:
    """Every unit on each simulator, one build per simulator; Icarus runs while Verilator builds."""
    batches = {}
    for simulator in SIMULATORS:
        jobs = {}
        for index, config in enumerate(CONFIGS):
            calm = simulator == "icarus" and config.wide
            codes = np.arange(1 << (16 if config.wide else 8), dtype=np.int64)
            jobs[config.id] = Job(units[config.id], codes, idle_rate=0.0 if calm else IDLE_RATE,
                                  stall_rate=0.0 if calm else STALL_RATE, seed=index)
        jobs[BROKEN] = Job(units[BROKEN], np.arange(256), idle_rate=IDLE_RATE, stall_rate=STALL_RATE, seed=99)
        batches[simulator] = jobs
    begin = time.perf_counter()
    reports = verify_batches(NNLUT, {sim: list(jobs.values()) for sim, jobs in batches.items()},
                             build_dir=tmp_path_factory.mktemp("nnlut_batches"))
    wall = time.perf_counter() - begin
    return {sim: Outcome(sim, dict(zip(batches[sim], reports[sim], strict=True)), wall) for sim in batches}


@pytest.fixture(params=SIMULATORS)
def outcome(request, outcomes) -> Outcome:
    return outcomes[request.param]


@pytest.mark.parametrize("config", CONFIGS, ids=lambda config: config.id)
def test_every_input_code_matches_the_golden_model(outcome, config):
    report = outcome.reports[config.id]
    assert report.ok, report.summary()
    assert report.dot_products == 1 << (16 if config.wide else 8)


def test_broken_unit_is_caught(outcome):
    broken = outcome.reports[BROKEN]
    assert not broken.timed_out and broken.protocol_errors == 0
    _, reaching = busiest_segment(nnlut_table(BROKEN_CONFIG.spec))
    assert broken.mismatches == reaching > 0
    assert broken.first_mismatches[0].startswith("item ")


def test_report_times_and_counts(outcome, capsys):
    good = [report for key, report in outcome.reports.items() if key != BROKEN]
    first = good[0]
    checks = sum(r.check_seconds for r in outcome.reports.values())
    with capsys.disabled():
        print(f"\n{outcome.simulator}: {len(outcome.reports)} NN-LUT units (fitted and emitted in "
              f"{EMIT_SECONDS[0]:.1f} s) in one build: build {first.build_seconds:.1f} s, simulate "
              f"{first.simulate_seconds:.1f} s, vectors + golden + checks {checks:.1f} s; both simulators "
              f"side by side {outcome.wall_seconds:.1f} s; {sum(r.dot_products for r in good)} outputs, "
              f"{sum(r.mismatches for r in good)} mismatches in good units, "
              f"{outcome.reports[BROKEN].mismatches} in the broken one")
    assert sum(r.dot_products for r in good) == sum(1 << (16 if c.wide else 8) for c in CONFIGS)
