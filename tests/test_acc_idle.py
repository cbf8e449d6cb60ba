"""A fixed accumulator that adds zero in a cycle without an item (``MacSpec(acc_idle="add_zero")``) instead
of holding its flip-flops by a clock enable: smaller where a flip-flop has no enable (the gates target,
standard cells). Same contract as the default (bit-exact sums, sticky flags, restart, backpressure,
latency = pipeline); the golden model and the output do not change.
"""

import dataclasses
import json
import re

import pytest
from mac_batches import check_batch, emit_with_broken

from hwgen.fpga.fmax import FmaxRequest
from hwgen.gen import accumulate
from hwgen.gen.build import emit_spec
from hwgen.sim.runner import SIMULATORS
from hwgen.specs import MacSpec

INT8 = {"a": "int8", "b": "int8"}


# --- the spec --------------------------------------------------------------------------------------


def test_the_option_is_in_the_spec_only_when_it_is_not_the_default():
    held = MacSpec(**INT8)
    assert "acc_idle" not in json.loads(held.to_json())  # stored designs keep their identity
    zero = MacSpec(**INT8, pipeline=1, acc_idle="add_zero")
    assert json.loads(zero.to_json())["acc_idle"] == "add_zero"
    assert (zero.module_name, zero.label) == ("mac_int8_fixed_p1_add_zero", "int8 p1 add_zero")
    assert MacSpec.from_json(zero.to_json()) == zero
    assert zero.cut_points == held.cut_points and zero.latency == 1


@pytest.mark.parametrize(("options", "message"), [
    ({"acc": "fp32"}, r"acc_idle add_zero needs a fixed accumulator, not acc fp32$"),
    ({"dsp": "sb_mac16"}, r"acc_idle add_zero needs dsp inferred, not dsp sb_mac16$"),
    ({"acc_adder": "ccu2c"}, r"acc_idle add_zero needs acc_adder inferred, not acc_adder ccu2c$"),
    ({"pipeline": 4, "acc_stages": 2, "acc_adder": "carry_save"},
     r"acc_idle add_zero needs acc_stages 1 and acc_adder inferred, not acc_stages 2 and acc_adder "
     r"carry_save$"),
    ({"acc_idle": "zero"}, r"acc_idle must be one of hold, add_zero, not 'zero'$"),
])
def test_what_add_zero_refuses(options, message):
    with pytest.raises(ValueError, match="^" + message):
        MacSpec(**{**INT8, "acc_idle": "add_zero", **options})


def test_the_cli_refuses_in_one_line(tmp_path, capsys):
    from hwgen.cli import main

    code = main(["generate", "mac", "--a", "int8", "--b", "int8", "--acc", "fp32", "--acc-idle", "add_zero",
                 "--out", str(tmp_path)])
    error = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(error) == 1 and "acc_idle add_zero needs a fixed accumulator" in error[0]
    assert not any(tmp_path.iterdir())


def test_an_asic_fmax_search_tries_it_at_every_depth_and_the_fpgas_do_not():
    def tried(target, **kwargs):
        return MacSpec.fmax_candidates(INT8, target, **kwargs)

    zero = (("acc_idle", "add_zero"),)
    assert not FmaxRequest("asic", 300).dsp
    depths = {depth for depth, options in tried("asic", dsp=False) if options == zero}
    assert depths == {depth for depth, options in tried("asic", dsp=False) if options == ()} == {1, 2, 3, 4}
    for target in ("ice40", "ecp5", "xc7"):  # an enabled flip-flop costs nothing there
        assert zero not in {options for _, options in tried(target)}, target
    named = MacSpec.fmax_candidates({**INT8, "acc_idle": "add_zero"}, "ice40")
    assert (1, ()) in named and all(("dsp", "sb_mac16") not in options for _, options in named)


def test_the_verilog_has_no_enable_on_the_sum(tmp_path):
    held, _ = emit_spec(MacSpec(**INT8, pipeline=1), tmp_path / "held")
    verilog, manifest = emit_spec(MacSpec(**INT8, pipeline=1, acc_idle="add_zero"), tmp_path)
    assert json.loads(manifest.read_text())["acc_idle"] == "add_zero"
    text = verilog.read_text()
    assert re.search(r"^//   acc_idle: +add_zero$", text, re.MULTILINE)  # the header states it
    # held, the sum's next value defaults to itself (`\$10 = acc;`, then an `if` under the enable);
    # adding zero, it is the sum of the gated term every edge
    defaults_to_itself = re.compile(r"^ +\\\$\d+ += acc;$", re.MULTILINE)
    assert defaults_to_itself.search(held.read_text()) and not defaults_to_itself.search(text)
    assert "assign acc_idle_term = " in text


def test_cost_tables_keep_add_zero_designs_out_of_the_default_placement():
    import pandas as pd

    from hwgen.cost_models.dataset import default_placement

    table = pd.DataFrame({"dsp": ["inferred", "inferred"], "acc_idle": ["hold", "add_zero"]})
    assert default_placement(table).tolist() == [True, False]


# --- the contract on both simulators ---------------------------------------------------------------


ZERO = {"acc_idle": "add_zero"}
UNITS = {  # id -> (spec, exhaustive pairs first)
    "int8-p1": (MacSpec(**INT8, pipeline=1, **ZERO), False),
    "fp8_e4m3fn-p3": (MacSpec("fp8_e4m3fn", "fp8_e4m3fn", **ZERO), False),  # the product gated
    "fp6_e3m2-p4": (MacSpec("fp6_e3m2", "fp6_e3m2", pipeline=4, **ZERO), True),  # the term registered
    "fp4_e2m1-p1": (MacSpec("fp4_e2m1", "fp4_e2m1", pipeline=1, **ZERO), True),  # a product table
    "fp8_e5m2-p5": (MacSpec("fp8_e5m2", "fp8_e5m2", pipeline=5, **ZERO), False),  # the window; inf
    "fp6_e2m3-int8-wrap20-p2": (MacSpec("fp6_e2m3", "int8", "fixed:20", pipeline=2, **ZERO), True),
    "fp8_e4m3-lmul-p2": (MacSpec("fp8_e4m3", "fp8_e4m3", pipeline=2, mul="lmul", **ZERO), False),
    "fp6_e2m3-int_decode-p3": (MacSpec("fp6_e2m3", "fp6_e2m3", decode="integer", **ZERO), True),
}
BROKEN = "term-not-gated"


@pytest.fixture(scope="module")
def manifests(tmp_path_factory) -> dict:
    # The fault the option invites: the term added in every cycle, not only in a cycle with an item.
    original = accumulate.add_zero_when_idle

    def ungated(m, total, seen, term, restart, step):
        original(m, total, seen, dataclasses.replace(term, idle_zero=True), restart, step)

    def patch(monkeypatch):
        monkeypatch.setattr(accumulate, "add_zero_when_idle", ungated)

    broken = (BROKEN, UNITS["int8-p1"][0], "mac_int8_add_zero_ungated")
    return emit_with_broken(UNITS, tmp_path_factory.mktemp("acc_idle_units"), broken, patch)


@pytest.mark.tools
@pytest.mark.parametrize("simulator", SIMULATORS)
def test_every_unit_matches_the_golden_model_with_stalls(manifests, tmp_path, simulator):
    # ungated, a stalled output keeps growing too: the broken unit may also fail to hold it
    check_batch(manifests, UNITS, (BROKEN, UNITS["int8-p1"][0]), simulator, tmp_path,
                broken_holds_outputs=False)
