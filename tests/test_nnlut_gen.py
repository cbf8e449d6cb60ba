"""The NN-LUT generator in Amaranth's simulator: spot checks against the golden model, stream
protocol, latency, the ROM form, the manifest, and option errors. (Every code on Icarus and Verilator:
tests/test_nnlut_cocotb.py.)"""

import json
import random
from functools import cache

import numpy as np
import pytest
from amaranth.sim import Simulator

from hwgen.emit import emit
from hwgen.gen.build import build_unit, manifest_details
from hwgen.gen.nnlut import NnLutUnit, input_scale_range
from hwgen.gen.nnlut_design import lut_design_unit, nnlut_table
from hwgen.nnlut.evaluate import evaluate_codes
from hwgen.nnlut.table import table_from_description
from hwgen.specs import NnLutSpec


@cache
def design_table(function, entries, in_format, out_format):
    return nnlut_table(NnLutSpec(function, entries, in_format, out_format))


def run(unit: NnLutUnit, codes, *, idle=0.0, stall=0.0, seed=0):
    """Drive ``codes`` through ``unit`` with random idle inputs and refused outputs; (outputs, errors)."""
    rng = random.Random(seed)
    outputs, errors = [], []

    async def bench(ctx):
        item, held = 0, None
        while len(outputs) < len(codes):
            offer = item < len(codes) and rng.random() >= idle
            ready = rng.random() >= stall
            ctx.set(unit.i.valid, offer)
            if offer:
                ctx.set(unit.i.payload.x, int(codes[item]))
            ctx.set(unit.o.ready, ready)
            valid, payload = ctx.get(unit.o.valid), ctx.get(unit.o.payload.y)
            if held is not None and (not valid or payload != held):
                errors.append(len(outputs))
            accepted = offer and ctx.get(unit.i.ready)
            if valid and ready:
                outputs.append(payload)
            held = payload if valid and not ready else None
            await ctx.tick()
            item += accepted

    simulator = Simulator(unit)
    simulator.add_clock(1e-8)
    simulator.add_testbench(bench)
    simulator.run()
    return np.array(outputs), errors


SPOT_8 = [
    ("gelu", "int8_f4", "int8_f3", 1), ("exp", "fp8_e5m2", "fp8_e5m2", 2),
    ("reciprocal", "fp8_e4m3fn", "int8_f2", 3), ("rsqrt", "int8_f4", "fp16", 4),
    ("silu", "fp8_e4m3fnuz", "bf16", 2), ("tanh", "uint8_f6", "int8_f6", 1),
]


@pytest.mark.parametrize(("function", "in_format", "out_format", "pipeline"), SPOT_8,
                         ids=lambda value: str(value))
def test_every_8_bit_code_with_idle_inputs_and_stalls(function, in_format, out_format, pipeline):
    table = design_table(function, 16, in_format, out_format)
    codes = np.arange(256)
    outputs, errors = run(NnLutUnit(table, pipeline=pipeline), codes, idle=0.3, stall=0.4, seed=pipeline)
    assert errors == []
    assert np.array_equal(outputs, evaluate_codes(table, codes))


@pytest.mark.parametrize("function", ["gelu", "exp", "reciprocal", "rsqrt", "silu", "tanh"])
@pytest.mark.parametrize("in_format", ["fp16", "bf16", "int16_f12"])
def test_16_bit_spot_checks(function, in_format):
    out_format = {"int16_f12": "fp16"}.get(in_format, in_format)
    table = design_table(function, 16, in_format, out_format)
    rng = np.random.default_rng(3)
    codes = np.concatenate([rng.integers(0, 1 << 16, 150), [0, 0x8000, 0x7C00, 0xFC00, 0x3C00, 0xBC00]])
    outputs, _ = run(NnLutUnit(table), codes)
    assert np.array_equal(outputs, evaluate_codes(table, codes))


def test_a_coarser_input_grid():
    table = nnlut_table(NnLutSpec("tanh", 16, "int16_f12", "int16_f14", x_frac=8))
    codes = np.random.default_rng(4).integers(0, 1 << 16, 300)
    outputs, _ = run(NnLutUnit(table, pipeline=2), codes)
    assert np.array_equal(outputs, evaluate_codes(table, codes))


@pytest.mark.parametrize("pipeline", [1, 2, 3, 4])
def test_latency_is_the_pipeline_depth(pipeline):
    unit = NnLutUnit(design_table("gelu", 8, "int8_f4", "int8_f3"), pipeline=pipeline)
    seen = []

    async def bench(ctx):
        ctx.set(unit.o.ready, 1)
        ctx.set(unit.i.valid, 1)
        ctx.set(unit.i.payload.x, 0x10)
        await ctx.tick()
        ctx.set(unit.i.valid, 0)
        for cycle in range(1, 8):
            if ctx.get(unit.o.valid):
                seen.append(cycle)
            await ctx.tick()

    simulator = Simulator(unit)
    simulator.add_clock(1e-8)
    simulator.add_testbench(bench)
    simulator.run()
    assert seen == [pipeline] and unit.latency == pipeline and unit.ii == 1


def test_a_uniform_lut_is_a_rom():
    unit = lut_design_unit("exp", "fp8_e4m3fn", "fp8_e4m3fn", 4)
    assert unit.index_kind == "slice" and unit.table.constant and unit.table.entries == 128
    codes = np.arange(256)
    outputs, errors = run(unit, codes, idle=0.2, stall=0.3)
    assert errors == [] and np.array_equal(outputs, evaluate_codes(unit.table, codes))
    assert design_table("exp", 8, "fp8_e4m3fn", "fp8_e4m3fn").uniform_shift() is None  # comparators


def test_scale_ranges_cover_every_input():
    assert input_scale_range(design_table("reciprocal", 8, "fp16", "fp16")) == (-15, 24)
    assert input_scale_range(design_table("rsqrt", 8, "fp16", "fp16")) == (-7, 12)
    assert input_scale_range(design_table("reciprocal", 8, "int8_f4", "int8_f2")) == (-3, 4)  # |x| up to 8
    assert input_scale_range(design_table("gelu", 8, "fp16", "fp16")) == (0, 0)


def test_manifest_and_names(tmp_path):
    spec = NnLutSpec("tanh", 16, "fp8_e4m3fn", "fp8_e4m3fn", lo=-3.0, hi=3.0, pipeline=2)
    unit = build_unit(spec)
    name = spec.module_name
    assert name == "nnlut_tanh_16_fp8_e4m3fn_fp8_e4m3fn_rm3_3_p2"
    _, manifest_path = emit(unit, name, tmp_path, manifest_details(spec, unit))
    manifest = json.loads(manifest_path.read_text())
    assert (manifest["unit"], manifest["latency"], manifest["ii"]) == ("nnlut", 2, 1)
    assert manifest["function"] == "tanh" and manifest["index"] == "comparators"
    assert manifest["entries"] == 16 and manifest["range"] == [-3.0, 3.0]
    assert manifest["formats"] == {"x": "fp8_e4m3fn", "y": "fp8_e4m3fn"}
    assert manifest["streams"]["i"]["fields"]["x"]["width"] == 8
    assert manifest["fit"]["neurons"] == 15
    assert table_from_description(manifest["table"]) == unit.table


@pytest.mark.parametrize(("options", "message"), [
    ({"pipeline": 0}, "pipeline depth must be between 1 and 4, not 0"),
    ({"pipeline": 5}, "pipeline depth must be between 1 and 4, not 5"),
])
def test_bad_unit_options(options, message):
    with pytest.raises(ValueError, match=message):
        NnLutUnit(design_table("gelu", 8, "int8_f4", "int8_f3"), **options)


def test_a_unit_needs_a_table():
    with pytest.raises(TypeError, match="table must be an NnLutTable, not dict"):
        NnLutUnit({})
