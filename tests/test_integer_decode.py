"""Minifloat operands decoded to integers (``MacSpec(decode="integer")``): each code becomes its signed value
in lsb units, one signed multiply feeds the fixed accumulator with no aligner, so synthesis can put the
multiply in a DSP block. Same contract as the split decode (bit-exact sums, wrap-around, restart,
backpressure, latency = pipeline); only finite minifloats of a few bits qualify.
"""

import json

import ml_dtypes
import numpy as np
import pytest
from mac_batches import check_batch, emit_with_broken

from hwgen.formats import MiniFloat, listed_formats, scalar_format
from hwgen.fpga.fmax import FmaxRequest
from hwgen.gen import operands
from hwgen.gen.build import emit_spec
from hwgen.sim.runner import SIMULATORS
from hwgen.specs import MacSpec
from hwgen.specs.mac import decodes_to_integer

FP6 = {"a": "fp6_e2m3", "b": "fp6_e2m3"}


# --- the decode ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "dtype"), [("fp6_e2m3", ml_dtypes.float6_e2m3fn),
                                             ("fp6_e3m2", ml_dtypes.float6_e3m2fn),
                                             ("fp4_e2m1", ml_dtypes.float4_e2m1fn)])
def test_every_codes_integer_is_its_value_by_ml_dtypes(name, dtype):
    fmt = scalar_format(name)
    codes = np.arange(1 << fmt.bits, dtype=np.uint8)
    values = codes.view(dtype).astype(np.float64)  # ml_dtypes keeps sub-byte codes in the low bits
    units = [u * 2.0**fmt.lsb_exponent for u in operands.code_units(fmt)]
    assert units == values.tolist()


def test_which_formats_decode_to_integers():
    scalars = {f.name for f in listed_formats() if isinstance(f, MiniFloat) and decodes_to_integer(f)}
    assert {"fp6_e2m3", "fp6_e3m2", "fp4_e2m1"} <= scalars
    assert not scalars & {"fp8_e4m3fn", "fp8_e5m2", "fp16", "bf16"}  # NaN / inf, or too wide
    for fmt in listed_formats():
        if decodes_to_integer(fmt):
            assert fmt.policy == "finite" and max(map(abs, operands.code_units(fmt))) < 1 << 15, fmt.name


# --- the spec --------------------------------------------------------------------------------------


def test_the_decode_is_in_the_spec_only_when_it_is_not_the_default():
    split = MacSpec(**FP6)
    assert "decode" not in json.loads(split.to_json())  # stored designs keep their identity
    integer = MacSpec(**FP6, decode="integer")
    assert json.loads(integer.to_json())["decode"] == "integer"
    assert (integer.module_name, integer.label) == ("mac_fp6_e2m3_fixed_int_decode", "fp6_e2m3 int_decode")
    assert MacSpec.from_json(integer.to_json()) == integer
    # no aligner: the integer product goes straight into the accumulator, as int8's does
    assert split.cut_points == ("product", "operands", "term")
    assert integer.cut_points == ("product", "operands")
    mapped = MacSpec(**FP6, decode="integer", dsp="sb_mac16")
    assert mapped.module_name == "mac_fp6_e2m3_fixed_sb_mac16_int_decode" and mapped.targets == ("ice40",)


@pytest.mark.parametrize(("options", "message"), [
    ({"a": "fp8_e4m3fn", "b": "fp8_e4m3fn"},
     r"decode integer needs minifloats without NaN / inf within 16 two's complement bits \(e.g. fp6_e2m3, "
     r"fp6_e3m2, fp4_e2m1\), not fp8_e4m3fn \(has NaN / inf\)$"),
    ({"a": "fp8_e4m3_finite", "b": "int8"},
     r"decode integer needs minifloats .* not fp8_e4m3_finite \(needs 19 bits\)$"),
    ({"a": "int8", "b": "int8"}, r"decode integer decodes minifloat operands; int8 x int8 has none \(nothing "
                                 r"to decode; use decode split\)$"),
    ({"a": "fp6_e2m3", "b": "fp8_e5m2"},
     r"decode integer needs minifloats .* not fp8_e5m2 \(has NaN / inf\)$"),
    ({**FP6, "acc": "fp32"}, r"decode integer needs the exact multiplier and a fixed accumulator, not exact "
                             r"into fp32$"),
    ({**FP6, "decode": "table"}, r"decode must be one of split, integer, not 'table'$"),
    ({"a": "fp6_e3m2", "b": "fp6_e3m2", "dsp": "sb_mac16"},
     r"dsp sb_mac16 needs operands of at most 8 two's complement bits \(fp6_e3m2 x fp6_e3m2\)$"),
    ({**FP6, "decode": "split", "dsp": "sb_mac16"}, r"dsp sb_mac16 needs integer or table operands and the "
                                                    r"exact multiplier, not fp6_e2m3 x fp6_e2m3 \(exact\) "
                                                    r"\(these minifloats with decode integer\)$"),
    # the hint only where decode integer would be taken: not for 10-bit values, nor a float accumulator
    ({"a": "fp6_e3m2", "b": "fp6_e3m2", "decode": "split", "dsp": "sb_mac16"},
     r"dsp sb_mac16 needs integer or table operands and the exact multiplier, not fp6_e3m2 x fp6_e3m2 "
     r"\(exact\)$"),
    ({"a": "fp4_e2m1", "b": "fp4_e2m1", "acc": "fp32", "decode": "split", "dsp": "sb_mac16"},
     r"dsp sb_mac16 needs integer or table operands and the exact multiplier, not fp4_e2m1 x fp4_e2m1 "
     r"\(exact\)$"),
])
def test_what_the_integer_decode_refuses(options, message):
    with pytest.raises(ValueError, match="^" + message):
        MacSpec(**{"decode": "integer", **options})


def test_an_fmax_search_tries_it_where_dsps_are_allowed():
    def tried(target, **kwargs):
        return {options for _, options in MacSpec.fmax_candidates(FP6, target, **kwargs)}

    integer = (("decode", "integer"),)
    for target in ("ecp5", "xc7", "ice40"):
        assert integer in tried(target), target
        assert integer not in tried(target, dsp=False), target
    # an asic search offers no DSP blocks (gates has no Fmax search), so it never tries the decode
    assert not FmaxRequest("asic", 300).dsp and integer not in tried("asic", dsp=False)
    assert (("dsp", "sb_mac16"), ("decode", "integer")) in tried("ice40")
    int8 = MacSpec.fmax_candidates({"a": "int8", "b": "int8"}, "ecp5")
    assert integer not in {options for _, options in int8}
    # a design that names the decode keeps it at every depth, whatever else is placed
    named = MacSpec.fmax_candidates({**FP6, "decode": "integer"}, "ice40")
    assert (1, ()) in named and (2, (("dsp", "sb_mac16"),)) in named
    assert all(MacSpec.from_options({**FP6, "decode": "integer", **dict(options), "pipeline": depth}).decode
               == "integer" for depth, options in named)


def test_the_cli_refuses_in_one_line(tmp_path, capsys):
    from hwgen.cli import main

    code = main(["generate", "mac", "--a", "fp8_e4m3fn", "--b", "fp8_e4m3fn", "--decode", "integer",
                 "--out", str(tmp_path)])
    error = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(error) == 1 and "decode integer needs minifloats without NaN / inf" in error[0]
    assert not any(tmp_path.iterdir())


def test_the_verilog_multiplies_the_decoded_values_with_no_aligner(tmp_path):
    # fp6_e3m2 at depth 5: the split decode has all four cut points there, the window among them
    split, _ = emit_spec(MacSpec("fp6_e3m2", "fp6_e3m2", pipeline=5), tmp_path / "split")
    verilog, manifest = emit_spec(MacSpec("fp6_e3m2", "fp6_e3m2", pipeline=5, decode="integer"), tmp_path)
    assert json.loads(manifest.read_text())["decode"] == "integer"
    before, text = split.read_text(), verilog.read_text()
    assert "window_window" in before and "term_ones_complement" in before
    assert "window" not in text and "term_ones_complement" not in text
    assert "$signed(operands_a) * $signed(operands_b)" in text


def test_in_sb_mac16_the_fabric_input_register_holds_the_decoded_value(tmp_path):
    # the table runs between the unit's input and a fabric register, not in front of the DSP's inputs
    verilog, _ = emit_spec(MacSpec(**FP6, pipeline=4, dsp="sb_mac16", decode="integer"), tmp_path)
    text = verilog.read_text()
    assert "reg [7:0] input0_a =" in text and "reg [7:0] input0_b =" in text  # codes are 6 bits
    assert ".A({ 8'h00, input0_a })" in text


def test_cost_tables_keep_integer_decoded_designs_out_of_the_default_placement():
    import pandas as pd

    from hwgen.cost_models.dataset import default_placement

    table = pd.DataFrame({"dsp": ["inferred", "inferred"], "decode": ["split", "integer"]})
    assert default_placement(table).tolist() == [True, False]


def test_cost_features_describe_the_integer_multiply():
    from hwgen.cost_models.features import spec_features

    split, integer = spec_features(MacSpec(**FP6)), spec_features(MacSpec(**FP6, decode="integer"))
    assert (split.significand_a, split.exponent_bits) == (4, 4) and split.shift_bits > 0
    # 7.5 = 60 units of 2^-3: a 6-bit magnitude, no exponent, nothing to align
    assert (integer.significand_a, integer.partial_products, integer.exponent_bits, integer.shift_bits) == (
        6, 36, 0, 0)
    mixed = spec_features(MacSpec("fp4_e2m1", "int8", decode="integer"))
    assert (mixed.significand_a, mixed.significand_b, mixed.shift_bits) == (4, 8, 0)


# --- the contract on both simulators ---------------------------------------------------------------


UNITS = {  # id -> (spec, exhaustive pairs first)
    "fp6_e2m3-p1": (MacSpec(**FP6, pipeline=1, decode="integer"), True),
    "fp6_e2m3-p3": (MacSpec(**FP6, decode="integer"), True),
    "fp6_e3m2-wrap20-p2": (MacSpec("fp6_e3m2", "fp6_e3m2", "fixed:20", pipeline=2, decode="integer"), True),
    "fp4_e2m1-int8-p4": (MacSpec("fp4_e2m1", "int8", pipeline=4, decode="integer"), True),
    "fp6_e2m3-fp4_e2m1-acc2": (MacSpec("fp6_e2m3", "fp4_e2m1", pipeline=4, acc_stages=2, decode="integer"),
                               False),
    "fp6_e2m3-sb_mac16-p4": (MacSpec(**FP6, pipeline=4, dsp="sb_mac16", decode="integer"), True),
}
BROKEN = "negative-zero-is-minus-one"


@pytest.fixture(scope="module")
def manifests(tmp_path_factory) -> dict:
    # The decode a hand-written table gets wrong: the sign applied as a ones' complement (-0 becomes -1).
    original = operands.code_units

    def ones_complement(fmt):
        half = 1 << (fmt.bits - 1)
        return [u if code < half else -operands.finite_units(fmt, code % half) - 1
                for code, u in enumerate(original(fmt))]

    def patch(monkeypatch):
        monkeypatch.setattr(operands, "code_units", ones_complement)

    broken = (BROKEN, UNITS["fp6_e2m3-p3"][0], "mac_fp6_decode_ones_complement")
    return emit_with_broken(UNITS, tmp_path_factory.mktemp("integer_decode_units"), broken, patch)


@pytest.mark.tools
@pytest.mark.parametrize("simulator", SIMULATORS)
def test_every_unit_matches_the_golden_model_with_stalls(manifests, tmp_path, simulator):
    check_batch(manifests, UNITS, (BROKEN, UNITS["fp6_e2m3-p3"][0]), simulator, tmp_path)
