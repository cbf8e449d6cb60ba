"""Systolic array: golden model against the Fraction / int reference, generator options, CLI.

The bit-exact hardware checks are in tests/test_systolic_cocotb.py.
"""

import json
import zlib

import numpy as np
import pytest
import reference as ref
from amaranth.hdl import Fragment

from hwgen.cli import main
from hwgen.formats import get_format
from hwgen.gen.systolic import SystolicArray
from hwgen.golden.systolic import systolic
from hwgen.sim.systolic_stimulus import long_tile, random_tiles

GOLDEN = [("fp8_e4m3fn", "fp8_e4m3fn", "fixed", 3, 4), ("int8", "int8", "fixed", 4, 1),
          ("dint4", "int8", "fixed", 2, 4), ("fp8_e5m2", "fp8_e5m2", "fp32", 3, 4),
          ("fp4_e2m1", "fp4_e2m1", "bf16", 2, 3)]


@pytest.mark.parametrize(("a", "b", "acc", "pes", "simd"), GOLDEN,
                         ids=[f"{g[0]}-{g[2]}-s{g[4]}" for g in GOLDEN])
def test_golden_matches_reference_per_pe(a, b, acc, pes, simd):
    fa, fb = get_format(a), get_format(b)
    tile = random_tiles(a, b, pes=pes, simd=simd, depth=12, vectors=60,
                        seed=zlib.crc32(f"{a}{acc}{simd}".encode()))[0]
    result = systolic(tile.weights, tile.x, tile.last, a, b, acc, terms=12 * simd)
    ends = np.flatnonzero(tile.last)
    starts = np.concatenate(([0], ends[:-1] + 1))
    for d, (start, end) in enumerate(zip(starts, ends, strict=True)):
        x = tile.x[start:end + 1].reshape(-1).tolist()
        for p in range(pes):
            w = tile.weights[p, :end + 1 - start].reshape(-1).tolist()
            if acc == "fixed":
                width = result.accumulator.width
                wrapped, _, nan, inf = ref.fixed_dot(fa, fb, w, x, width)
                got = (int(result.acc[d, p]), bool(result.nan[d, p]), int(result.inf[d, p]))
                assert got == (wrapped, nan, inf), (d, p)
            else:
                fmt = get_format(acc)
                want = ref.float_dot(fmt, fa, fb, w, x, group=simd)
                got = int(result.acc[d, p])
                if ref.decode(fmt, want).kind == "nan":
                    assert ref.decode(fmt, got).kind == "nan", (d, p)
                else:
                    assert got == want, (d, p, hex(got), hex(want))


def test_golden_refuses_vectors_longer_than_the_weights():
    tile = long_tile("int8", "int8", pes=2, simd=1, words=4, vectors=2)
    with pytest.raises(ValueError, match="longer than the 3 weight words"):
        systolic(tile.weights[:, :3], tile.x, tile.last, "int8", "int8")


def test_array_facts():
    unit = SystolicArray("fp8_e4m3", "fp8_e4m3", "fixed", pes=16, simd=4, depth=32, pipeline=2)
    assert unit.latency == 16 + 2 and unit.ii == 1 and unit.macs_per_cycle == 64
    assert unit.fill_cycles(10) == 9 + unit.latency and unit.last_spacing == 16
    assert unit.accumulator.terms == 32 * 4
    assert set(unit.signature.members) == {"w", "i", "o"}
    Fragment.get(unit, None)  # elaborates, and an elaborated design is a used one (no MustUse warning)


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"pes": 0}, "pes must be between 1 and 256, not 0"),
    ({"pes": 2, "simd": 65}, "simd must be between 1 and 64, not 65"),
    ({"pes": 2, "depth": 0}, "depth must be between 1 and 65536, not 0"),
    ({"pes": 2, "pipeline": 0}, "pipeline depth must be between 1 and 3, not 0"),
])
def test_bad_options(kwargs, message):
    with pytest.raises(ValueError, match=message):
        SystolicArray("int8", "int8", **kwargs)


def test_float_lane_sum_too_wide_is_refused():
    with pytest.raises(ValueError, match="simd 4 is too wide for a float accumulator"):
        SystolicArray("bf16", "bf16", "fp32", pes=1, simd=4)


def test_block_format_operands_are_refused():
    with pytest.raises((ValueError, TypeError), match="mxfp4"):
        SystolicArray("mxfp4", "mxfp4", pes=1)


def test_cli_generate_writes_manifest(tmp_path, capsys):
    assert main(["generate", "systolic", "--a", "dint4", "--b", "int8", "--pes", "4", "--simd", "4",
                 "--out", str(tmp_path)]) == 0
    name = "systolic_dint4_int8_fixed_pe4_s4"
    assert name in capsys.readouterr().out
    manifest = json.loads((tmp_path / f"{name}.json").read_text())
    assert manifest["unit"] == "systolic" and manifest["latency"] == 4 + 3
    assert manifest["pes"] == 4 and manifest["simd"] == 4 and manifest["depth"] == 64
    assert manifest["lanes"]["o"]["acc"] == {"count": 4, "width": manifest["acc"]["width"], "signed": True}
    assert set(manifest["streams"]) == {"w", "i", "o"}
    fields = manifest["streams"]["i"]["fields"]
    assert {k: (v["offset"], v["width"]) for k, v in fields.items()} == {"x": (0, 32), "last": (32, 1)}
    out = manifest["streams"]["o"]["fields"]
    width = manifest["acc"]["width"]
    assert {k: (v["offset"], v["width"]) for k, v in out.items()} == {
        "acc": (0, 4 * width), "nan": (4 * width, 4), "inf": (4 * width + 4, 8)}


@pytest.mark.parametrize("args", [["--pes", "0"], ["--pes", "2", "--simd", "100"],
                                  ["--pes", "2", "--b", "nope"], ["--pes", "2", "--acc", "fixed:3"],
                                  ["--pes", "2", "--pipeline", "9"],
                                  ["--pes", "2", "--a", "mxfp4"]])
def test_cli_errors_are_one_line_and_write_nothing(args, tmp_path, capsys):
    out = tmp_path / "out"
    base = {"--a": "int8", "--b": "int8"}
    for i in range(0, len(args), 2):
        base[args[i]] = args[i + 1]
    argv = ["generate", "systolic", *[x for kv in base.items() for x in kv], "--out", str(out)]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "error:" in err and "Traceback" not in err
    assert not out.exists()


@pytest.mark.tools
def test_cli_verify_small_array_on_icarus(tmp_path, capsys):
    assert main(["verify", "systolic", "--a", "fp8_e4m3", "--b", "fp8_e4m3", "--pes", "2", "--simd", "2",
                 "--depth", "8", "--vectors", "200", "--sim", "icarus", "--build-dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "matrix-vector products (2 dot products each) checked 200" in out
    assert "mismatches 0" in out and "PASS" in out
