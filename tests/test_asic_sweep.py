"""The asic target in the product: sweep points into the store (rows filled, NULL where a metric does
not apply, keys that tell clocks apart, failures as rows), `hwgen synth --target asic`, one-line
errors for a bad library or clock, and `hwgen pareto` on asic rows."""

import json
import re
from pathlib import Path

import pandas as pd
import pytest

from hwgen import toolchain
from hwgen.cli import main
from hwgen.fpga import asic, asic_power
from hwgen.fpga.executors import InlineExecutor
from hwgen.fpga.gate_sim import ActivityError
from hwgen.fpga.points import FAILED, LIBERTY_TOOL, OK, FlowSpec, Task, key_parts, run_task, tool_versions
from hwgen.fpga.sweep import run_sweep
from hwgen.fpga.sweep_config import load_config, parse_config
from hwgen.fpga.targets import ASIC_COLUMNS, TARGETS
from hwgen.fpga.units import GeneratedDesign, get_unit
from hwgen.results.store import ResultStore

pytestmark = pytest.mark.tools

ROOT = Path(__file__).resolve().parents[1]
SWEEP = """
[sweep]
name = "asic-test"

[[units]]
kind = "mac"
formats = ["int4", "fp4_e2m1"]
params = { acc = "fixed", terms = 4, pipeline = 1 }

[targets]
asic = { library = "osu018", clock_ns = 5 }
"""
# Metrics of other targets, which an asic row never has.
FPGA_ONLY = ("luts", "carries", "dsps", "brams", "lutrams", "gates", "transistors", "transistors_complete",
             "fmax_mhz", "pnr_freq_mhz", "pnr_logic_cells", "pnr_utilization", "harness_ffs",
             "nextpnr_version")
POWER = ("dynamic_uw", "energy_pj_per_mac")


def installed_osu018():
    # No skip: `make test` installs the library, and a missing one fails here naming its package.
    return toolchain.find_liberty("osu018")


def run_cli(argv, capsys):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def swept(tmp_path_factory):
    """A 2-point asic sweep into a new store: (store path, the sweep's summary, its work folder)."""
    installed_osu018()
    folder = tmp_path_factory.mktemp("asic_sweep")
    config = folder / "asic.toml"
    config.write_text(SWEEP)
    store = folder / "results.sqlite"
    with ResultStore(store) as results:
        summary = run_sweep(load_config(config), results, executor=InlineExecutor(),
                            work_root=folder / "work")
    return store, summary, folder


def test_a_sweep_fills_the_asic_columns_and_leaves_the_others_null(swept):
    store, summary, _ = swept
    assert (summary.total, summary.computed, summary.failed) == (2, 2, 0)
    with ResultStore(store, read_only=True) as results:
        frame = results.dataframe().set_index("design")
    assert set(frame.index) == {"mac_int4_fixed_k4_p1", "mac_fp4_e2m1_fixed_k4_p1"}
    sta = toolchain.find_tool("sta").version
    for design, row in frame.iterrows():
        assert (row["target"], row["status"], row["library"], row["clock_ns"]) == ("asic", OK, "osu018", 5.0)
        assert (row["sta_version"], row["yosys_version"]) == (sta, toolchain.find_tool("yosys").version)
        assert row["area_um2"] > row["sequential_area_um2"] > 0, design
        assert row["cells"] == sum(json.loads(row["cells_by_type"]).values())
        assert row["ffs"] > 0 and row["other_cells"] > 0
        assert 0 < row["critical_path_ns"] < 5.0 - row["slack_ns"]  # the setup time is in between
        assert row["asic_fmax_mhz"] == pytest.approx(1000 / (5.0 - row["slack_ns"]), abs=1e-3)
        assert row["leakage_nw"] > 0
        assert not row["dsp_allowed"] and not row["pnr"]
        for column in FPGA_ONLY:
            assert pd.isna(row[column]), (design, column)
        assert all(row[column] > 0 for column in POWER), design  # activity-based, outputs checked
        assert row["power_method"].startswith(asic_power.METHOD)


def test_an_asic_row_equals_measuring_the_design_directly(swept):
    store, _, folder = swept
    with ResultStore(store, read_only=True) as results:
        (row,) = results.rows("WHERE design = 'mac_int4_fixed_k4_p1'")
    design = get_unit("mac").generate({"a": "int4", "b": "int4", "acc": "fixed", "terms": 4, "pipeline": 1})
    assert design.sha256 == row["verilog_sha256"]
    verilog = folder / "direct" / f"{design.module}.v"
    verilog.parent.mkdir()
    verilog.write_text(design.verilog)
    direct = asic.measure_asic(verilog, design.module, "osu018", 5.0, work_dir=folder / "direct")
    assert (row["area_um2"], row["cells"], row["critical_path_ns"], row["slack_ns"], row["leakage_nw"]) == (
        direct.synth.area_um2, direct.synth.cells, direct.timing.critical_path_ns, direct.timing.slack_ns,
        round(direct.timing.leakage_nw, 6))


def test_a_second_run_is_all_cache_hits(swept):
    store, first, folder = swept
    with ResultStore(store) as results:
        again = run_sweep(load_config(folder / "asic.toml"), results, executor=InlineExecutor(),
                          work_root=folder / "work")
    assert (again.cached, again.computed) == (2, 0) and again.keys == first.keys


def test_clock_and_library_are_part_of_the_key():
    installed_osu018()
    design = GeneratedDesign("mac", "{}", "m", "module m(input clk); endmodule\n", (), {})
    flows = [FlowSpec("asic", clock_ns=10), FlowSpec("asic", clock_ns=5), FlowSpec("asic")]
    versions = tool_versions({tool for flow in flows for tool in flow.tools})
    assert versions[LIBERTY_TOOL + "osu018"] == asic.liberty_sha256("osu018")
    keys = [key_parts(design, flow, None, versions) for flow in flows]
    assert keys[0] == keys[2] != keys[1]  # 10 ns is the default
    assert "abc -D 5000 -constr" in keys[1]["asic"]["synth_script"]
    assert keys[0]["flow"] == {"target": "asic", "dsp": False, "pnr": False, "library": "osu018",
                               "clock_ns": 10.0}
    assert FlowSpec("asic", library="osu035").as_json()["library"] == "osu035"  # a point of its own


def test_a_design_that_fails_is_a_failed_row(tmp_path):
    installed_osu018()
    verilog = "module comb(input a, output y); assign y = ~a; endmodule\n"  # no clock to time it by
    design = GeneratedDesign("mac", "{}", "comb", verilog, (), {})
    flow = FlowSpec("asic")
    versions = tool_versions(flow.tools)
    (row,) = run_task(Task(design, flow, (None,), ("k",), versions, str(tmp_path / "work")))
    assert (row["status"], row["target"], row["library"], row["clock_ns"]) == (FAILED, "asic", "osu018", 10.0)
    assert "comb has no clock port clk" in row["error"] and "\n" not in row["error"]
    assert "area_um2" not in row  # stored as NULL


def test_a_failed_power_run_keeps_area_and_timing(tmp_path, monkeypatch):
    """Power is measured after area and timing: when its simulation fails, the row keeps them and
    says in power_method why power is missing (NULL)."""
    installed_osu018()

    def broken(*args, **kwargs):
        raise ActivityError("3 nets were x or z at the ends of the measured window")

    monkeypatch.setattr(asic_power, "measure_asic_power", broken)
    design = get_unit("mac").generate({"a": "int4", "b": "int4", "terms": 4, "pipeline": 1})
    flow = FlowSpec("asic", clock_ns=5)
    (row,) = run_task(Task(design, flow, (None,), ("k",), tool_versions(flow.tools), str(tmp_path / "w")))
    assert row["status"] == OK and row["area_um2"] > 0 and row["critical_path_ns"] > 0
    assert row["power_method"] == "not measured: 3 nets were x or z at the ends of the measured window"
    assert "dynamic_uw" not in row and "energy_pj_per_mac" not in row  # stored as NULL


def test_the_asic_target_names_what_it_cannot_have():
    target = TARGETS["asic"]
    assert not target.template
    assert {"luts", "gates", "transistors"} <= set(target.inapplicable_columns)
    assert not set(ASIC_COLUMNS) & set(target.inapplicable_columns)
    assert (target.category("DFFPOSX1"), target.category("INVX4"), target.category("NAND2X1")) == (
        "ff", "inverter", "other")


def test_synth_prints_area_timing_leakage_and_what_they_assume(tmp_path, capsys):
    installed_osu018()
    code, out, err = run_cli(["synth", "mac", "--a", "int4", "--b", "int4", "--terms", "4", "--pipeline", "1",
                              "--target", "asic", "--clock-ns", "5", "--work-dir", tmp_path / "work"], capsys)
    assert (code, err) == (0, "")
    header, _, row, conditions = out.splitlines()[:4]
    assert header.split() == ["design", "library", "clock", "ns", "area", "um2", "cells", "FF", "path", "ns",
                              "slack", "ns", "Fmax", "MHz", "leak", "nW", "dyn", "uW", "pJ/MAC", "status",
                              "time", "s"]
    fields = row.split()
    assert fields[:3] == ["mac_int4_fixed_k4_p1", "osu018", "5"] and fields[12] == "ok"
    assert all(float(fields[i]) > 0 for i in (3, 8, 9, 10, 11))  # area, Fmax, leakage, power, pJ/MAC
    assert conditions.startswith("asic: osu018 cells at a 5 ns clock (200 MHz)")
    versions = f"Yosys {toolchain.find_tool('yosys').version}, OpenSTA {toolchain.find_tool('sta').version}"
    for part in (versions, "inputs driven by INVX1", "outputs loaded by DFFPOSX1 D", "switching activity"):
        assert part in conditions


@pytest.mark.parametrize(("extra", "message"), [
    (["--library", "tsmc7"], "unknown cell library 'tsmc7'; known libraries: osu018, osu035, osu050"),
    (["--clock-ns", "0"], "clock_ns must be a number of nanoseconds between 0.01 and 1e+06, not 0.0"),
    (["--clock-ns", "nan"], "clock_ns must be a number of nanoseconds between 0.01 and 1e+06, not nan"),
])
def test_synth_bad_library_or_clock_is_one_line(tmp_path, capsys, extra, message):
    code, out, err = run_cli(["synth", "mac", "--a", "int4", "--b", "int4", "--target", "asic", *extra,
                              "--work-dir", tmp_path / "work"], capsys)
    assert (code, out, err) == (2, "", f"hwgen synth: error: {message}\n")
    assert not (tmp_path / "work").exists()


def test_library_and_clock_belong_to_the_asic_target(tmp_path, capsys):
    code, _, err = run_cli(["synth", "mac", "--a", "int4", "--b", "int4", "--target", "gates",
                            "--clock-ns", "5", "--work-dir", tmp_path / "work"], capsys)
    assert (code, err) == (2, "hwgen synth: error: --library and --clock-ns need --target asic\n")
    with pytest.raises(ValueError, match=r"^a cell library and a clock period apply to the asic target, not "
                                         r"xc7$"):
        FlowSpec("xc7", clock_ns=5)


@pytest.mark.parametrize(("asic_table", "message"), [
    ({"library": "tsmc7"}, "targets.asic.library: unknown cell library 'tsmc7'"),
    ({"clock_ns": 0}, "targets.asic.clock_ns must be a number between 0.01 and 1e+06, not 0"),
    ({"clock_ns": "fast"}, "targets.asic.clock_ns must be a number between 0.01 and 1e+06, not 'fast'"),
    ({"clock_ns": []}, "targets.asic.clock_ns is an empty list"),
    ({"dsp": False}, "unknown key 'targets.asic.dsp'; allowed: library, clock_ns"),
])
def test_sweep_config_errors_name_the_key(asic_table, message):
    data = {"units": [{"kind": "mac", "formats": ["int4"]}], "targets": {"asic": asic_table}}
    with pytest.raises(ValueError, match=f"^{re.escape(message)}"):
        parse_config(data)


def test_sweep_config_takes_lists_of_clocks():
    data = {"units": [{"kind": "mac", "formats": ["int4"]}], "targets": {"asic": {"clock_ns": [10, 2.5, 10]}}}
    plan = parse_config(data)
    assert [(flow.library, flow.clock_ns) for flow in plan.flows] == [("osu018", 10.0), ("osu018", 2.5)]
    assert plan.tools() == {"yosys", "sta", "iverilog", LIBERTY_TOOL + "osu018"}


def test_the_shipped_asic_sweep_has_twelve_formats_at_one_clock():
    plan = load_config(ROOT / "fpga" / "sweeps" / "asic.toml")
    assert plan.points == len(plan.designs) >= 12
    assert [flow.as_json() for flow in plan.flows] == [FlowSpec("asic", clock_ns=10).as_json()]


def test_pareto_names_the_clock_when_a_store_has_several():
    from hwgen.cost_models.axes import front_plan, pareto_table

    table = pd.DataFrame({"label": ["int4", "int4", "int8"], "target": "asic", "design": ["m4", "m4", "m8"],
                          "library": "osu018", "clock_ns": [10.0, 2.5, 10.0],
                          "area_um2": [100.0, 120.0, 300.0], "sqnr_gaussian_db": [20.0, 20.0, 40.0]})
    names = set(pareto_table(table, "asic", "area_um2", "sqnr_gaussian_db")["design"])
    assert names == {"int4 @ osu018 10 ns", "int4 @ osu018 2.5 ns", "int8 @ osu018 10 ns"}
    one_clock = pareto_table(table[table["clock_ns"] == 10.0], "asic", "area_um2", "sqnr_gaussian_db")
    assert set(one_clock["design"]) == {"int4", "int8"}
    # No energy measured yet: an empty front, which the report notes, not an error.
    unmeasured = table.assign(energy_pj_per_mac=float("nan"))
    assert pareto_table(unmeasured, "asic", "energy_pj", "sqnr_gaussian_db").empty
    assert ("asic", "area_um2", "sqnr_gaussian_db") in front_plan(unmeasured)


def test_pareto_on_asic_area(swept, tmp_path, capsys):
    store, _, _ = swept
    out = tmp_path / "front.png"
    code, stdout, err = run_cli(["pareto", "--target", "asic", "--cost", "area_um2", "--accuracy",
                                 "sqnr_gaussian_db", "--store", store, "--out", out,
                                 "--cache", tmp_path / "cache", "--quiet"], capsys)
    assert (code, err) == (0, "")
    assert out.is_file() and out.with_suffix(".svg").is_file()
    assert "points on the front" in stdout and "area_um2" in stdout
    assert "standard-cell area per MAC" in out.with_suffix(".svg").read_text()
