"""An exact split product built by synthesis's multiplier and the aligner (``MacSpec(product_logic="cells")``)
instead of the LUT6-shaped tables (fp4 x fp4: a table of |a * b|; 4 x 4 significands: two table rows and an
adder): fewer two-input gates and standard cells. Same contract as the default (bit-exact sums, sticky
flags, restart, backpressure, latency = pipeline); the golden model and the output do not change.
"""

import dataclasses
import json
import re

import pytest
from amaranth.back import rtlil
from mac_batches import check_batch, emit_with_broken

from hwgen.gen import mac
from hwgen.gen.build import emit_spec
from hwgen.sim.runner import SIMULATORS
from hwgen.specs import MacSpec
from hwgen.specs import mac as mac_spec
from hwgen.specs.mac import lut6_shaped

FP4 = {"a": "fp4_e2m1", "b": "fp4_e2m1"}
CELLS = {"product_logic": "cells"}


# --- the spec --------------------------------------------------------------------------------------


def test_the_option_is_in_the_spec_only_when_it_is_not_the_default():
    table = MacSpec(**FP4)
    assert "product_logic" not in json.loads(table.to_json())  # stored designs keep their identity
    cells = MacSpec(**FP4, pipeline=1, **CELLS)
    assert json.loads(cells.to_json())["product_logic"] == "cells"
    assert cells.module_name == "mac_fp4_e2m1_fixed_p1_cells_product"
    assert cells.label == "fp4_e2m1 p1 cells_product"
    assert MacSpec.from_json(cells.to_json()) == cells
    # without the table fp4's product is aligned as any other (an exponent sum of 3 bits: no window)
    assert table.cut_points == cells.cut_points == ("product", "operands", "term")
    fp8 = {"a": "fp8_e4m3fn", "b": "fp8_e4m3fn"}
    assert MacSpec(**fp8, **CELLS).cut_points == MacSpec(**fp8).cut_points
    # a tabulated pair whose exponent sum is wider than the fine shift gains the aligner's window cut
    wide = {"a": "fp5_e3m1", "b": "fp3_e1m1fn"}
    assert MacSpec(**wide).cut_points == ("product", "operands", "term")
    assert MacSpec(**wide, **CELLS).cut_points == ("product", "operands", "term", "window")


@pytest.mark.parametrize(("options", "message"), [
    ({"a": "fp8_e5m2", "b": "fp8_e5m2"}, r"fp8_e5m2 x fp8_e5m2 is built the same either way$"),
    ({"a": "int8", "b": "int8"}, r"int8 x int8 is built the same either way$"),
    ({"acc": "fp32"}, r"fp4_e2m1 x fp4_e2m1 with acc fp32 is built the same either way$"),
    ({"mul": "lmul"}, r"fp4_e2m1 x fp4_e2m1 with mul lmul is built the same either way$"),
    ({"decode": "integer"}, r"fp4_e2m1 x fp4_e2m1 with decode integer is built the same either way$"),
    ({"product_logic": "gates"}, r"product_logic must be one of lut6, cells, not 'gates'$"),
])
def test_what_cells_refuses(options, message):
    if "must be" not in message:
        message = r"product_logic cells needs an exact split product that lut6 shapes \(.*\); " + message
    with pytest.raises(ValueError, match="^" + message):
        MacSpec(**{**FP4, **CELLS, **options})


def test_the_cli_refuses_in_one_line(tmp_path, capsys):
    from hwgen.cli import main

    code = main(["generate", "mac", "--a", "int8", "--b", "int8", "--product-logic", "cells",
                 "--out", str(tmp_path)])
    error = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(error) == 1 and "product_logic cells needs an exact split product" in error[0]
    assert not any(tmp_path.iterdir())


def test_asic_and_ecp5_fmax_searches_try_it_and_the_other_fpgas_do_not():
    cells, zero = ("product_logic", "cells"), ("acc_idle", "add_zero")
    tried = MacSpec.fmax_candidates(FP4, "asic", dsp=False)
    plain = {depth for depth, options in tried if options == ()}
    assert {depth for depth, options in tried if options == (cells,)} == plain == {1, 2, 3, 4}
    assert {depth for depth, options in tried if options == (zero, cells)} == plain  # in label order
    ecp5 = MacSpec.fmax_candidates(FP4, "ecp5")  # alone: ECP5 has no add_zero candidates
    assert {depth for depth, options in ecp5 if options == (cells,)} == {1, 2, 3, 4}
    assert not any(zero in options for _, options in ecp5)
    for target in ("ice40", "xc7"):  # the LUT6 tables are as small or smaller there
        fpga = MacSpec.fmax_candidates(FP4, target)
        assert not any(cells in options for _, options in fpga), target
    int8 = MacSpec.fmax_candidates({"a": "int8", "b": "int8"}, "asic")
    assert not any(cells in options for _, options in int8)
    named = MacSpec.fmax_candidates({**FP4, **CELLS}, "asic", dsp=False)
    assert (1, ()) in named and (1, (zero,)) in named and not any(cells in options for _, options in named)
    # where it gains the window cut, its register is tried too (one depth beyond the default's cuts)
    wide = MacSpec.fmax_candidates({"a": "fp5_e3m1", "b": "fp3_e1m1fn"}, "asic", dsp=False)
    assert {depth for depth, options in wide if options == (cells,)} == {1, 2, 3, 4, 5}
    assert {depth for depth, options in wide if options == ()} == {1, 2, 3, 4}


def test_a_search_of_a_refused_design_is_refused_in_one_line():
    with pytest.raises(ValueError, match=r"^acc_idle add_zero needs a fixed accumulator, not acc fp32$"):
        MacSpec.fmax_candidates({**FP4, "acc": "fp32", "acc_idle": "add_zero"}, "asic", dsp=False)


def test_cells_is_allowed_exactly_where_it_changes_the_netlist(monkeypatch):
    # the spec's rule (lut6_shaped) against the generator: over pairs of integer, table and minifloat
    # formats, "cells" is refused where the Verilog would be the default's and gives other Verilog elsewhere
    # (tabulated fp4 x fp4; table rows for 4 x 4, 4 x 3 and 5 x 2 significands)
    names = ["int4", "int8", "fp8_e5m2", "fp8_e3m4", "fp6_e3m2", "fp6_e2m3", "fp4_e2m1", "nf4"]
    pairs = [(a, b) for a in names for b in names if a <= b]
    shaped, refused = [], []
    for a, b in pairs:
        spec = MacSpec(a, b, pipeline=1)
        if lut6_shaped(spec.format_a, spec.format_b, spec.accumulator, spec.mul):
            shaped.append(spec)
        else:
            with pytest.raises(ValueError, match=r"is built the same either way$"):
                MacSpec(a, b, pipeline=1, **CELLS)
            refused.append(spec)
    assert len(shaped) == 8

    def differs(spec) -> bool:
        cells = dataclasses.replace(spec, **CELLS)
        return _rtlil(spec) != _rtlil(cells)

    assert all(differs(spec) for spec in shaped)
    # and, with the refusal lifted, a refused design would be the default's Verilog: pairs of integers,
    # tables, 3 x 3 significands, and fp4 x fp4 with L-Mul, decode integer or a float accumulator
    monkeypatch.setattr(mac_spec, "check_product_logic", lambda logic, *_: logic)
    monkeypatch.setattr(mac, "check_product_logic", lambda logic, *_: logic)
    others = [spec for spec in refused if {spec.a, spec.b} in ({"int4", "int8"}, {"fp8_e5m2"}, {"fp6_e3m2"},
                                                               {"nf4", "fp4_e2m1"}, {"fp8_e5m2", "fp6_e3m2"})]
    others += [MacSpec(**FP4, pipeline=1, **option)
               for option in ({"mul": "lmul"}, {"decode": "integer"}, {"acc": "fp32"})]
    assert len(others) == 8 and not any(differs(spec) for spec in others)


def _rtlil(spec: MacSpec) -> str:
    """The unit's netlist as Amaranth writes it (RTLIL, without Yosys), under one name."""
    return rtlil.convert(mac.MacUnit.from_spec(spec), name="unit", emit_src=False)


def test_the_verilog_multiplies_instead_of_a_table(tmp_path):
    table, _ = emit_spec(MacSpec(**FP4, pipeline=1), tmp_path / "table")
    verilog, manifest = emit_spec(MacSpec(**FP4, pipeline=1, **CELLS), tmp_path)
    assert json.loads(manifest.read_text())["product_logic"] == "cells"
    text = verilog.read_text()
    assert re.search(r"^//   product_logic: +cells$", text, re.MULTILINE)  # the header states it
    multiplies = re.compile(r"^ +assign \\\$\d+ += \{ a_hidden, [^}]*\} \* \{ b_hidden, ", re.MULTILINE)
    assert multiplies.search(text) and not multiplies.search(table.read_text())
    assert "term_magnitude" in text


def test_cost_tables_keep_cells_designs_out_of_the_default_placement():
    import pandas as pd

    from hwgen.cost_models.dataset import default_placement, placed_as

    table = pd.DataFrame({"dsp": ["inferred", "inferred"], "product_logic": ["lut6", "cells"]})
    assert default_placement(table).tolist() == [True, False]
    assert placed_as(table, product_logic="cells").tolist() == [False, True]
    with pytest.raises(TypeError, match=r"no placement option product$"):
        placed_as(table, product="cells")


# --- the contract on both simulators ---------------------------------------------------------------


UNITS = {  # id -> (spec, exhaustive pairs first)
    "fp4_e2m1-p1": (MacSpec(**FP4, pipeline=1, **CELLS), True),
    "fp4_e2m1-p3-add_zero": (MacSpec(**FP4, acc_idle="add_zero", **CELLS), True),
    "fp4_e2m1-p4": (MacSpec(**FP4, pipeline=4, **CELLS), True),  # the term registered
    "fp8_e4m3fn-p5": (MacSpec("fp8_e4m3fn", "fp8_e4m3fn", pipeline=5, **CELLS), False),  # window; NaN
    "fp6_e2m3-p2": (MacSpec("fp6_e2m3", "fp6_e2m3", pipeline=2, **CELLS), True),
    "fp6_e2m3-fp8_e4m3fn-wrap27-p3": (MacSpec("fp6_e2m3", "fp8_e4m3fn", "fixed:27", **CELLS), False),
    "fp8_e5m2-fp6_e2m3-p3": (MacSpec("fp8_e5m2", "fp6_e2m3", **CELLS), False),  # 3 x 4 rows; inf via drop
    "fp8_e3m4-fp4_e2m1-p2": (MacSpec("fp8_e3m4", "fp4_e2m1", pipeline=2, **CELLS), False),  # 5 x 2 rows
    "dint4-fp8_e4m3fn-p4": (MacSpec("dint4", "fp8_e4m3fn", pipeline=4, **CELLS), False),  # a table format
}
BROKEN = "product-one-bit-short"


@pytest.fixture(scope="module")
def manifests(tmp_path_factory) -> dict:
    # The fault a hand-sized multiplier invites: its product one bit too narrow (the largest products wrap).
    original = mac.multiply

    def short(x, y, lut6=True):
        product = original(x, y, lut6)
        return product[:len(x) + len(y) - 1]

    def patch(monkeypatch):
        monkeypatch.setattr(mac, "multiply", short)

    broken = (BROKEN, UNITS["fp4_e2m1-p1"][0], "mac_fp4_e2m1_cells_short")
    return emit_with_broken(UNITS, tmp_path_factory.mktemp("product_logic_units"), broken, patch)


@pytest.mark.tools
@pytest.mark.parametrize("simulator", SIMULATORS)
def test_every_unit_matches_the_golden_model_with_stalls(manifests, tmp_path, simulator):
    check_batch(manifests, UNITS, (BROKEN, UNITS["fp4_e2m1-p1"][0]), simulator, tmp_path)
