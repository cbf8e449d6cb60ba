"""The uniform LUT unit (`lut`): its spec and canonical JSON, the equal-error choice against a brute-force
search, generate + verify on both simulators, and its energy stream (stimulus and checked outputs)."""

import json
import subprocess
import sys

import numpy as np
import pytest

from hwgen.golden import decode
from hwgen.nnlut.fit import approximation_errors, cached_fit
from hwgen.nnlut.lut import MAX_LUT_ENTRIES, equal_accuracy_cells, lut_entries, match_nnlut, nnlut_error
from hwgen.nnlut.table import uniform_lut_pwl
from hwgen.specs import LutSpec, make_spec, spec_from_json

# --- the spec ------------------------------------------------------------------------------------------


def test_cell_bits_spec_is_canonical():
    spec = LutSpec("GELU", "int8_f4", "int8_f3", cell_bits=2)
    assert spec.to_json() == (
        '{"cell_bits":2,"frac_bits":null,"function":"gelu","hi":8.0,"in_format":"int8_f4","lo":-8.0,'
        '"match_entries":null,"max_entries":null,"out_format":"int8_f3","pipeline":4,"seed":0,"x_frac":null}')
    assert spec.module_name == "lut_gelu_c2_int8_f4_int8_f3"
    assert (spec.entries, spec.grid_bits, spec.latency, spec.ii) == (64, 4, 4, 1)
    assert spec.match() is None
    assert make_spec("lut", json.loads(spec.to_json())) == spec == spec_from_json("lut", spec.to_json())
    assert LutSpec("tanh", "e4m3", "e4m3", cell_bits=3).in_format == "fp8_e4m3fn"
    wide = LutSpec("gelu", "int8_f4", "int8_f3", cell_bits=-3, lo=-3, hi=5, pipeline=2)
    assert wide.module_name == "lut_gelu_cm3_int8_f4_int8_f3_rm3_5_p2" and wide.entries == 1


def test_match_entries_resolves_to_cells_and_keeps_both():
    spec = LutSpec("tanh", "fp8_e4m3fn", "fp8_e4m3fn", match_entries=8)
    match = spec.match()
    assert (spec.cell_bits, match.how, spec.entries) == (match.cell_bits, "equal", lut_entries(-4.0, 4.0, 5))
    assert spec.cell_bits == 5 and match.lut_error <= match.nnlut_error
    assert match.nnlut_error == nnlut_error("tanh", 8)
    options = json.loads(spec.to_json())
    assert (options["cell_bits"], options["match_entries"], options["max_entries"]) == (5, 8, None)
    assert spec.module_name == "lut_tanh_c5_fp8_e4m3fn_fp8_e4m3fn_m8"
    # read back (the store's config): checked again, and equal
    assert make_spec("lut", options) == spec and make_spec("lut", {**options, "max_entries": 1000}) == spec
    with pytest.raises(ValueError, match="cell bits 4 is not the LUT of equal max error to the 8-entry "
                                         "NN-LUT \\(cell bits 5\\)"):
        make_spec("lut", {**options, "cell_bits": 4})


def test_twin_key_pairs_an_nnlut_config_with_its_lut_from_the_configs_alone():
    from hwgen.specs import NnLutSpec
    from hwgen.specs.lut import twin_key

    def key(spec):
        return twin_key(spec.kind, json.loads(spec.to_json()))

    nnlut = NnLutSpec("tanh", 8, "fp8_e4m3fn", "fp8_e4m3fn")
    assert key(nnlut) == key(LutSpec("tanh", "fp8_e4m3fn", "fp8_e4m3fn", match_entries=8)) is not None
    assert key(nnlut) != key(LutSpec("tanh", "fp8_e4m3fn", "fp8_e4m3fn", match_entries=8, pipeline=2))
    assert key(nnlut) != key(LutSpec("tanh", "fp8_e4m3fn", "fp8_e4m3fn", match_entries=4))
    assert key(LutSpec("tanh", "fp8_e4m3fn", "fp8_e4m3fn", cell_bits=5)) is None
    assert twin_key("mac", {}) is None


def test_the_stored_manifests_give_both_errors_without_a_fit():
    """What a claim reads: the store's design details hold each unit's table and float max errors."""
    from hwgen.fpga.units import generate_design
    from hwgen.nnlut.lut import hardware_error
    from hwgen.nnlut.table import table_from_description
    from hwgen.results.store import ResultStore

    lut = generate_design(LutSpec("tanh", "fp8_e4m3fn", "fp8_e4m3fn", match_entries=8))
    with ResultStore(":memory:") as store:
        store.add_design("k", unit=lut.unit, config=lut.config, module=lut.module, verilog=lut.verilog,
                         ports=lut.ports, details=lut.details)
        details = store.module_details()[lut.module]
    assert details["lut"]["max_error"] <= details["lut"]["match"]["max_error"] == nnlut_error("tanh", 8)
    error = hardware_error(table_from_description(details["table"]))
    assert details["lut"]["max_error"] < error < details["lut"]["max_error"] + 2**-3  # + fp8 output rounding


def test_a_cap_is_kept_only_where_it_stopped_the_search():
    capped = LutSpec("tanh", "fp8_e4m3fn", "fp8_e4m3fn", match_entries=8, max_entries=100)
    assert (capped.cell_bits, capped.entries, capped.max_entries) == (3, 64, 64)
    assert capped.match().how == "capped" and capped.match().lut_error > capped.match().nnlut_error
    assert make_spec("lut", json.loads(capped.to_json())) == capped
    # reciprocal of fp8_e4m3fn: 3 mantissa bits, so the cells stop at the input grid (8 entries)
    grid = LutSpec("reciprocal", "fp8_e4m3fn", "fp8_e4m3fn", match_entries=16)
    assert (grid.cell_bits, grid.entries, grid.max_entries, grid.match().how) == (3, 8, None, "grid")


BAD = [
    ({}, "a lut unit needs cell_bits (cells 2^-cell_bits wide) or match_entries"),
    ({"cell_bits": 5}, "cell bits must be at most the input grid's 4 (cells of whole grid steps), not 5"),
    ({"cell_bits": -9}, "cell bits must be between -8 and 24, not -9"),
    ({"cell_bits": 2, "seed": 1}, "seed and max_entries choose the LUT of match_entries"),
    ({"cell_bits": 2, "max_entries": 64}, "seed and max_entries choose the LUT of match_entries"),
    ({"match_entries": 0}, "match entries must be between 1 and 256, not 0"),
    ({"match_entries": 8, "max_entries": 0}, f"max LUT entries must be between 1 and {MAX_LUT_ENTRIES}"),
    ({"cell_bits": 2, "out_format": "int8_f7"}, "output format int8_f7 (range -1 .. 0.992188) cannot hold"),
    ({"cell_bits": 2, "pipeline": 5}, "pipeline depth must be between 1 and 4, not 5"),
    ({"cell_bits": 2, "function": "reciprocal", "x_frac": 4}, "reduces exactly with x_frac 7, not 4"),
    ({"cell_bits": 2, "entries": 8}, "unknown option 'entries' for unit lut"),
]


@pytest.mark.parametrize(("options", "message"), BAD, ids=[json.dumps(o) for o, _ in BAD])
def test_bad_options_are_one_line_errors(options, message):
    base = {"function": "gelu", "in_format": "int8_f4", "out_format": "int8_f3"}
    with pytest.raises(ValueError) as error:
        make_spec("lut", {**base, **options})
    assert message in str(error.value) and "\n" not in str(error.value)


def test_too_many_entries_are_refused():
    with pytest.raises(ValueError, match=f"has 131072 entries, more than {MAX_LUT_ENTRIES}"):
        LutSpec("gelu", "int16_f12", "int16_f11", cell_bits=13, x_frac=13)


# --- the equal-error choice ----------------------------------------------------------------------------


def _brute_force(function: str, target: float, lo: float, hi: float, cells) -> int | None:
    """The fewest entries among the LUTs of *cells* whose float max error is at most *target*."""
    fits = [c for c in cells
            if approximation_errors(function, uniform_lut_pwl(function, c, lo, hi), lo, hi).max <= target]
    return min(fits, key=lambda c: lut_entries(lo, hi, c), default=None)


@pytest.mark.parametrize(("function", "entries", "lo", "hi"), [("tanh", 8, -4.0, 4.0), ("exp", 4, -8.0, 0.0),
                                                              ("gelu", 4, -3.0, 5.0)])
def test_equal_error_cells_are_the_brute_force_choice(function, entries, lo, hi):
    target = approximation_errors(function, cached_fit(function, entries, lo, hi).pwl, lo, hi).max
    best = _brute_force(function, target, lo, hi, range(-8, 13))
    assert best is not None
    assert equal_accuracy_cells(function, target, 12, lo=lo, hi=hi) == (best, "equal")
    assert match_nnlut(function, entries, 12, lo=lo, hi=hi).cell_bits == best
    # below the chosen cells, every coarser LUT is worse than the NN-LUT
    assert _brute_force(function, target, lo, hi, range(-8, best)) is None


def test_the_search_stops_at_the_grid_and_at_the_cap():
    target = nnlut_error("tanh", 8)  # reached at 2^-5 cells (256 entries)
    assert equal_accuracy_cells("tanh", target, 3) == (3, "grid")
    assert equal_accuracy_cells("tanh", target, 12, 255) == (4, "capped")  # 128 entries; 256 > 255
    assert equal_accuracy_cells("tanh", target, 12, 256) == (5, "equal")
    with pytest.raises(ValueError, match="target error must be a number at least 0"):
        equal_accuracy_cells("tanh", float("nan"), 12)


# --- generate and verify --------------------------------------------------------------------------------


def run_cli(*args, timeout=300):
    return subprocess.run([sys.executable, "-m", "hwgen", *args], capture_output=True, text=True,
                          timeout=timeout)


SMALL = ["--func", "tanh", "--match-entries", "8", "--in", "fp8_e4m3", "--out-format", "fp8_e4m3"]
SMALL_NAME = "lut_tanh_c5_fp8_e4m3fn_fp8_e4m3fn_m8"


@pytest.mark.slow
@pytest.mark.tools
def test_generate_and_verify_every_code_on_both_simulators(tmp_path):
    result = run_cli("generate", "lut", *SMALL, "--out", str(tmp_path / "out"))
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"{SMALL_NAME}: tanh on -4:4 (clamp), uniform LUT of 256 entries "
                                    f"(cells 2^-5, index slice), fp8_e4m3fn -> fp8_e4m3fn")
    manifest = json.loads((tmp_path / "out" / f"{SMALL_NAME}.json").read_text())
    assert (manifest["unit"], manifest["index"], manifest["entries"]) == ("nnlut", "slice", 256)
    assert not any(manifest["table"]["slopes"]) and "fit" not in manifest
    lut = manifest["lut"]
    assert (lut["cell_bits"], lut["entries"]) == (5, 256)
    assert (lut["match"]["entries"], lut["match"]["seed"], lut["match"]["how"]) == (8, 0, "equal")
    assert lut["max_error"] <= lut["match"]["max_error"] == nnlut_error("tanh", 8)

    result = run_cli("verify", "lut", *SMALL, "--exhaustive", "--sim", "both",
                     "--build-dir", str(tmp_path / "build"))
    assert result.returncode == 0, result.stdout + result.stderr
    for simulator in ("icarus", "verilator"):
        assert f"{simulator}: vectors checked 256, outputs checked 256, mismatches 0" in result.stdout
    assert result.stdout.splitlines()[-1] == "PASS"


@pytest.mark.tools
def test_a_range_reduced_lut_checks_every_code_on_icarus(tmp_path):
    result = run_cli("verify", "lut", "--func", "rsqrt", "--match-entries", "4", "--in", "int8_f4",
                     "--out-format", "int8_f6", "--exhaustive", "--sim", "icarus",
                     "--build-dir", str(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "icarus: vectors checked 256, outputs checked 256, mismatches 0" in result.stdout


def test_bad_cli_options_are_one_line_and_write_nothing(tmp_path):
    result = run_cli("generate", "lut", "--func", "gelu", "--cell-bits", "3", "--match-entries", "8",
                     "--in", "fp16", "--out-format", "fp16", "--out", str(tmp_path / "out"))
    assert result.returncode == 2 and "not allowed with argument" in result.stderr.splitlines()[-1]
    result = run_cli("generate", "lut", "--func", "gelu", "--cell-bits", "5", "--in", "int8_f4",
                     "--out-format", "int8_f3", "--out", str(tmp_path / "out"))
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "cell bits must be at most the input grid's 4" in result.stderr.splitlines()[-1]
    assert not (tmp_path / "out").exists()


# --- the energy stream ----------------------------------------------------------------------------------


def test_energy_stream_is_uniform_over_the_range_and_checked_bit_exactly():
    from hwgen.fpga import activity
    from hwgen.fpga.gate_sim import ActivityError
    from hwgen.fpga.points import POWER_UNITS
    from hwgen.fpga.units import generate_design
    from hwgen.nnlut.evaluate import evaluate_codes
    from hwgen.nnlut.table import table_from_description

    assert {"nnlut", "lut"} <= set(activity.UNITS) and {"nnlut", "lut"} <= set(POWER_UNITS)
    design = generate_design(LutSpec("tanh", "fp8_e4m3fn", "fp8_e4m3fn", cell_bits=3, lo=-2, hi=3))
    assert design.unit == "lut" and design.details["unit"] == "nnlut"
    inputs, outputs = activity.stream_fields(design)
    assert inputs == {"x": (0, 8)} and outputs == {"y": (0, 8)}

    values = activity.stimulus(design, "gaussian", 4000, 7, activity.DEFAULT_TERMS)
    assert set(values) == {"x"} and len(values["x"]) == 4000
    x = decode("fp8_e4m3fn", values["x"])
    assert x.min() >= -2 and x.max() <= 3 and x.min() < -1.8 and x.max() > 2.8  # uniform over -2:3
    assert abs(np.mean(x < 0.5) - 0.5) < 0.05
    again = activity.stimulus(design, "laplace", 4000, 7, activity.DEFAULT_TERMS)  # one stream for either
    assert np.array_equal(again["x"], values["x"])
    assert not np.array_equal(activity.stimulus(design, "gaussian", 4000, 8, 16)["x"], values["x"])

    table = table_from_description(design.details["table"])
    golden = [int(y) for y in evaluate_codes(table, values["x"])]
    assert activity.check_outputs(design, values, {"y": golden[:3990]}, activity.DEFAULT_TERMS) == 3990
    wrong = list(golden)
    wrong[17] ^= 1
    with pytest.raises(ActivityError, match="output 17 field y is"):
        activity.check_outputs(design, values, {"y": wrong}, activity.DEFAULT_TERMS)
