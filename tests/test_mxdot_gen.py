"""Block dot-product generator in Amaranth's simulator: bit-exact spot checks, latency, throughput, manifest.

These run without external tools (small blocks keep Amaranth's simulator quick); the cocotb suite
(tests/test_mxdot_cocotb.py) runs the emitted Verilog at the spec block sizes on Icarus and Verilator.
"""

import json

import numpy as np
import pytest
from amaranth.sim import Simulator

from hwgen.emit import emit
from hwgen.formats import BLOCK_FORMATS
from hwgen.formats.block_dot import resolve_block_format
from hwgen.gen.build import build_unit, manifest_details
from hwgen.gen.mxdot import MxDotUnit
from hwgen.golden.block_dot import block_dot
from hwgen.sim.mxdot_stimulus import BlockVectors, pack_blocks, random_block_dots, unit_scale_code
from hwgen.specs import MxDotSpec


def simulate(unit: MxDotUnit, vectors: BlockVectors, *, send_rate=0.8, ready_rate=0.7, seed=0):
    """Drive block pairs with random idle cycles and output stalls; return (results, timing)."""
    rng = np.random.default_rng(seed)
    a_words = pack_blocks(unit.a.element.bits, vectors.a_codes)
    b_words = pack_blocks(unit.b.element.bits, vectors.b_codes)
    expected = int(np.count_nonzero(vectors.last))
    results, timing = [], {}
    fixed = unit.accumulator.kind == "fixed"

    async def bench(ctx):
        index = cycle = 0
        while len(results) < expected and cycle < 30 * len(vectors.last) + 100:
            send = index < len(vectors.last) and rng.random() < send_rate
            if send:
                payload = unit.i.payload
                ctx.set(payload.a, a_words[index])
                ctx.set(payload.b, b_words[index])
                ctx.set(payload.scale_a, int(vectors.a_scales[index]))
                ctx.set(payload.scale_b, int(vectors.b_scales[index]))
                ctx.set(payload.last, int(vectors.last[index]))
            ctx.set(unit.i.valid, int(send))
            ctx.set(unit.o.ready, int(rng.random() < ready_rate))
            await ctx.delay(1e-9)
            if ctx.get(unit.o.valid) and ctx.get(unit.o.ready):
                out = ctx.get(unit.o.payload)
                results.append((out.acc, out.nan, out.inf) if fixed else (out.acc, 0, 0))
                timing.setdefault("first_output", cycle)
            if send and ctx.get(unit.i.ready):
                if vectors.last[index]:
                    timing.setdefault("first_last_in", cycle)
                index += 1
            await ctx.tick()
            cycle += 1

    sim = Simulator(unit)
    sim.add_clock(1e-8)
    sim.add_testbench(bench)
    sim.run()
    return results, timing


def expected(unit: MxDotUnit, vectors: BlockVectors):
    acc = unit.accumulator
    golden = block_dot(vectors.a_scales, vectors.a_codes, vectors.b_scales, vectors.b_codes, vectors.last,
                       unit.a, unit.b, acc=acc.spec, terms=acc.terms)
    return [(int(v), int(n), int(i)) for v, n, i in zip(golden.acc, golden.nan, golden.inf, strict=True)]


def check(unit: MxDotUnit, blocks: int, seed: int, max_blocks: int = 4):
    vectors = random_block_dots(unit.a, unit.b, blocks, max_blocks=max_blocks, seed=seed)
    results, _ = simulate(unit, vectors, seed=seed)
    assert results == expected(unit, vectors)


# Small blocks of every format: the same lanes, tree and scale logic as the spec sizes, 8x faster.
@pytest.mark.parametrize(("acc", "pipeline"), [("fp32", 2), ("fixed", 4)])
@pytest.mark.parametrize("name", list(BLOCK_FORMATS))
def test_small_blocks_match_golden_with_idle_cycles_and_backpressure(name, acc, pipeline):
    unit = MxDotUnit(resolve_block_format(name, block=4), acc=acc, pipeline=pipeline)
    check(unit, 60, seed=pipeline)


@pytest.mark.parametrize(("a", "b", "acc", "pipeline"), [
    ("mxfp8_e4m3", "mxfp8_e5m2", "bf16", 3),
    ("mxint8", "mxfp6_e2m3", "fixed", 1),
    ("mxfp6_e3m2", "mxfp4", "fp16", 6),
    ("nvfp4", "nvfp4", "fixed:80", 7),
])
def test_mixed_formats_other_accumulators_and_depths(a, b, acc, pipeline):
    a, b = resolve_block_format(a, block=4), resolve_block_format(b, block=4)
    unit = MxDotUnit(a, b, acc, pipeline=pipeline)
    check(unit, 60, seed=pipeline, max_blocks=6)


def test_spec_block_size_matches_golden():
    check(MxDotUnit("mxfp8_e4m3", acc="fp32", pipeline=3), 40, seed=1)


@pytest.mark.parametrize("pipeline", [1, 2, 4, 7])
def test_latency_is_the_pipeline_depth(pipeline):
    fmt = resolve_block_format("mxfp4", block=2)
    unit = MxDotUnit(fmt, acc="fp32", pipeline=pipeline)
    codes = np.full((3, 2), 2)  # 1.0
    scale = unit_scale_code(fmt)
    vectors = BlockVectors(np.full(3, scale), codes, np.full(3, scale), codes, np.array([False, False, True]))
    results, timing = simulate(unit, vectors, send_rate=1.0, ready_rate=1.0)
    assert results == [(0x40C00000, 0, 0)]  # 3 blocks of 1 * 1 + 1 * 1 = 6.0
    assert timing["first_output"] - timing["first_last_in"] == unit.latency == pipeline


def test_throughput_is_one_block_per_cycle():
    fmt = resolve_block_format("mxint8", block=2)
    unit = MxDotUnit(fmt, acc="fixed", pipeline=3)
    assert unit.ii == 1
    vectors = random_block_dots(fmt, fmt, 64, max_blocks=1, seed=4)
    vectors = vectors._replace(last=np.tile([False] * 7 + [True], 8))
    results, timing = simulate(unit, vectors, send_rate=1.0, ready_rate=1.0)
    assert results == expected(unit, vectors)
    assert len(results) == 8 and timing["first_output"] == 7 + unit.latency


def test_manifest_states_the_interface(tmp_path):
    spec = MxDotSpec("nvfp4", acc="fixed", terms=16, pipeline=2)
    assert spec.module_name == "mxdot_nvfp4_fixed_k16_p2"
    unit = build_unit(spec)
    _, manifest_path = emit(unit, spec.module_name, tmp_path, manifest_details(spec, unit))
    manifest = json.loads(manifest_path.read_text())
    assert manifest["unit"] == "mxdot" and manifest["block"] == 16
    assert (manifest["latency"], manifest["ii"], manifest["pipeline"]) == (2, 1, 2)
    assert manifest["formats"] == {"a": "nvfp4", "b": "nvfp4", "a_element": "fp4_e2m1",
                                   "b_element": "fp4_e2m1", "scale": "fp8_e4m3fn"}
    # lsb 2^(-1 - 1 - 9 - 9); 16 blocks of 16 * 6^2 (in 2^-2 units: 144) at scales 448 * 448 (in
    # 2^-9 units: 229376 each), plus a sign bit.
    width = (16 * 16 * 144 * 229376**2).bit_length() + 1
    assert manifest["acc"] == {"spec": "fixed", "format": None, "width": width, "lsb_exponent": -20,
                               "terms": 16}
    fields = {k: (v["offset"], v["width"]) for k, v in manifest["streams"]["i"]["fields"].items()}
    assert fields == {"a": (0, 64), "b": (64, 64), "scale_a": (128, 8), "scale_b": (136, 8), "last": (144, 1)}
    out = {k: (v["offset"], v["width"]) for k, v in manifest["streams"]["o"]["fields"].items()}
    assert out == {"acc": (0, width), "nan": (width, 1), "inf": (width + 1, 2)}
    assert manifest["block_sum_bits"] == unit.block_sum_bits == (16 * 144).bit_length() + 1


def test_mx_interface_widths():
    unit = MxDotUnit("mxfp8_e4m3", acc="bf16")
    unit._MustUse__silence = True  # inspected, never elaborated
    layout = unit.i.payload.shape()
    assert {name: field.width for name, field in layout} == {"a": 256, "b": 256, "scale_a": 8, "scale_b": 8,
                                                             "last": 1}
    assert unit.o.payload.shape().size == 16


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"a": "mxfp4", "b": "nvfp4"}, "block sizes must match"),
    ({"a": "fp8_e4m3"}, "fp8_e4m3fn is not a block format"),
    ({"a": "mxfp4", "pipeline": 0}, "pipeline depth must be between 1 and 16, not 0"),
    ({"a": "mxfp4", "acc": "int8"}, "accumulator must be 'fixed', 'fixed:W' or a minifloat format"),
])
def test_bad_parameters_are_rejected(kwargs, message):
    with pytest.raises(ValueError, match=message):
        MxDotUnit(**kwargs)
