"""Real sweeps with Yosys and nextpnr: kill and resume, determinism, Dask = local pool, failed rows.

All on fpga/sweeps/smoke.toml (int4 and fp4 MACs, pipeline 1, 4 terms; gates, and iCE40 placed and
routed), the smallest designs on the fastest targets.
"""

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from hwgen.cli import main
from hwgen.fpga import points, units
from hwgen.fpga.executors import InlineExecutor, LocalExecutor
from hwgen.fpga.points import FlowSpec
from hwgen.fpga.sweep import run_sweep
from hwgen.fpga.sweep_config import DesignPoint, SweepPlan, load_config
from hwgen.fpga.yosys_flow import SynthOptions
from hwgen.results.store import ResultStore

pytestmark = [pytest.mark.tools, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[1]
SMOKE = ROOT / "fpga" / "sweeps" / "smoke.toml"
KILL_WAIT_S = 600


def table(store_path) -> pd.DataFrame:
    with ResultStore(store_path) as store:
        return store.dataframe(volatile=False)


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """The smoke sweep, uninterrupted, on a local pool of 2 workers."""
    folder = tmp_path_factory.mktemp("reference")
    with ResultStore(folder / "r.sqlite") as store:
        summary = run_sweep(load_config(SMOKE), store, executor=LocalExecutor(2), work_root=folder / "work")
    assert (summary.total, summary.computed, summary.failed) == (4, 4, 0)
    return table(folder / "r.sqlite")


def test_reference_rows_hold_real_numbers(reference):
    assert list(reference["status"]) == ["ok"] * 4
    gates = reference[reference["target"] == "gates"]
    assert (gates["gates"] > 50).all() and (gates["transistors"] > 500).all() and (gates["ffs"] > 5).all()
    assert gates["fmax_mhz"].isna().all() and gates["seed"].isna().all()
    assert gates[["luts", "carries", "dsps", "brams", "lutrams"]].isna().all().all()  # none on a gate netlist
    ice40 = reference[reference["target"] == "ice40"]
    assert (ice40["luts"] > 20).all() and (ice40["seed"] == 1).all()
    assert ice40[["gates", "muxes", "transistors"]].isna().all().all() and (ice40["dsps"] == 0).all()
    assert ((ice40["fmax_mhz"] > 5) & (ice40["fmax_mhz"] < 500)).all()
    # Placed logic cells include the harness: at least the unit's LUTs and every flip-flop.
    assert (ice40["pnr_logic_cells"] >= ice40["luts"]).all()
    assert (ice40["pnr_logic_cells"] >= ice40["ffs"] + ice40["harness_ffs"]).all()
    assert set(reference["format_a"]) == {"int4", "fp4_e2m1"}


def test_sweep_killed_partway_resumes_without_losing_or_duplicating_rows(tmp_path, reference):
    store = tmp_path / "killed.sqlite"
    command = [sys.executable, "-m", "hwgen", "sweep", str(SMOKE), "--store", str(store), "--jobs", "1",
               "--quiet"]
    # Its own session, so that SIGKILL reaches the pool worker and the tool it runs, like a crash.
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                               start_new_session=True)
    deadline = time.monotonic() + KILL_WAIT_S
    finished = []
    try:
        while time.monotonic() < deadline and process.poll() is None:
            if store.exists():
                try:
                    with sqlite3.connect(store) as db:
                        finished = db.execute("SELECT key, created_at FROM results").fetchall()
                except sqlite3.OperationalError:  # the table is being created
                    finished = []
            if finished:
                break
            time.sleep(0.1)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    assert process.returncode == -signal.SIGKILL, process.stderr.read().decode()
    process.stderr.close()
    with sqlite3.connect(store) as db:
        at_kill = dict(db.execute("SELECT key, created_at FROM results").fetchall())
    assert 1 <= len(at_kill) < 4, "the kill should land partway"

    resumed = subprocess.run(command, capture_output=True, text=True, check=False)
    assert resumed.returncode == 0, resumed.stderr
    assert f"4 points: {len(at_kill)} from the store, {4 - len(at_kill)} computed, 0 failed" in resumed.stdout
    with sqlite3.connect(store) as db:
        after = dict(db.execute("SELECT key, created_at FROM results").fetchall())
        assert db.execute("SELECT COUNT(*) FROM results").fetchone()[0] == 4
    assert {key: after[key] for key in at_kill} == at_kill  # finished rows kept, not recomputed
    pd.testing.assert_frame_equal(table(store), reference)


def test_two_runs_give_identical_numbers(tmp_path, reference):
    """Same inputs, computed again from scratch (in this process, one point at a time)."""
    with ResultStore(tmp_path / "again.sqlite") as store:
        summary = run_sweep(load_config(SMOKE), store, executor=InlineExecutor(), work_root=tmp_path / "work")
    assert summary.computed == 4
    pd.testing.assert_frame_equal(table(tmp_path / "again.sqlite"), reference)


def test_dask_cluster_gives_the_local_pool_table(tmp_path, capsys, reference):
    import distributed  # a declared dependency (pyproject): a missing one must fail, not skip
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                                  silence_logs=True) as cluster:
        code = main(["sweep", str(SMOKE), "--store", str(tmp_path / "dask.sqlite"), "--scheduler",
                     cluster.scheduler_address, "--quiet"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "4 points: 0 from the store, 4 computed, 0 failed" in out
    pd.testing.assert_frame_equal(table(tmp_path / "dask.sqlite"), reference)


def one_point_plan(unit="mac", timeout_s=600.0, flow=None, **options):
    options = options or {"a": "int4", "b": "int4", "terms": 4, "pipeline": 1}
    config = units.canonical_json(units.canonical_options(unit, options))
    return SweepPlan((DesignPoint(unit, config),), (flow or FlowSpec("gates"),), timeout_s=timeout_s)


def test_synthesis_failure_is_a_failed_row_with_the_tools_message(tmp_path, monkeypatch):
    real = points.synthesize

    def broken(*args, options, **kwargs):
        options = SynthOptions(dsp=options.dsp, extra_commands={"pre_synth": ["no_such_yosys_command"]})
        return real(*args, options=options, **kwargs)

    monkeypatch.setattr(points, "synthesize", broken)
    with ResultStore(tmp_path / "r.sqlite") as store:
        summary = run_sweep(one_point_plan(), store, work_root=tmp_path / "work")
        (row,) = store.rows()
    assert summary.failed == 1
    assert row["status"] == "failed" and row["luts"] is None
    assert row["error"].startswith("yosys (gates, mac_int4_fixed_k4_p1) failed: ERROR: No such command: "
                                   "no_such_yosys_command")
    assert Path(row["error"].split("; log: ")[1]).is_file()  # the log of a failure is kept


def test_tool_time_out_is_a_timeout_row(tmp_path):
    with ResultStore(tmp_path / "r.sqlite") as store:
        run_sweep(one_point_plan(timeout_s=0.05), store, work_root=tmp_path / "work")
        (row,) = store.rows()
    assert row["status"] == "timeout"
    assert "took longer than 0.05 s" in row["error"]


def test_design_that_does_not_fit_is_a_failed_row(tmp_path):
    """Nine int8 multipliers in DSPs on an UP5K, which has eight: nextpnr cannot place it."""
    plan = one_point_plan("systolic", flow=FlowSpec("ice40", dsp=True, pnr=True), a="int8", b="int8", pes=9,
                          depth=2, pipeline=1)
    with ResultStore(tmp_path / "r.sqlite") as store:
        summary = run_sweep(plan, store, work_root=tmp_path / "work")
        (row,) = store.rows()
    assert summary.failed == 1
    assert (row["status"], row["dsps"], row["seed"]) == ("failed", 9, 1)  # synthesis counts are kept
    assert row["error"].startswith("nextpnr-ice40 failed: ERROR: Unable to place cell")
    assert "no BELs remaining to implement cell type 'ICESTORM_DSP'" in row["error"]


def test_synth_cli_prints_a_table_and_reuses_its_store(tmp_path, capsys):
    args = ["synth", "mac", "--a", "fp4_e2m1", "--b", "fp4_e2m1", "--terms", "4", "--pipeline", "1",
            "--target", "gates", "--store", str(tmp_path / "s.sqlite")]
    assert main(args) == 0
    first = capsys.readouterr().out
    assert first.splitlines()[0].split()[:6] == ["design", "target", "dsp", "seed", "LUT", "FF"]
    assert first.splitlines()[2].split()[:2] == ["mac_fp4_e2m1_fixed_k4_p1", "gates"]
    assert main(args) == 0
    second = capsys.readouterr().out
    assert "(1 of 1 from the store" in second
    assert second.splitlines()[2] == first.splitlines()[2]


# --- gate-level energy: a measurement the sweep stores ---------------------------------------------

ENERGY = FlowSpec("gates", energy=True, energy_macs=64)


def test_gates_energy_is_stored_under_its_own_keys_and_resumed(tmp_path, reference):
    """The smoke designs on gates with energy: new keys (a store from an older sweep measures only the
    missing energy), the energy columns filled, a second run all cached."""
    plan = SweepPlan(load_config(SMOKE).designs, (ENERGY,))
    with ResultStore(tmp_path / "r.sqlite") as store:
        summary = run_sweep(plan, store, work_root=tmp_path / "work")
        again = run_sweep(plan, store, work_root=tmp_path / "work")
        rows = store.dataframe(volatile=False)
    assert (summary.computed, summary.failed, again.cached, again.computed) == (2, 0, 2, 0)
    old = reference[reference["target"] == "gates"].set_index("design")
    new = rows.set_index("design")
    assert set(new["key"]).isdisjoint(old["key"])
    assert (new["gates"] == old.loc[new.index, "gates"]).all()  # the same netlist
    assert (new["energy_per_mac_gaussian"] > 50).all() and (new["energy_per_mac_laplace"] > 50).all()
    assert ((new["toggle_rate"] > 0) & (new["toggle_rate"] < 5)).all() and (new["energy_macs"] == 64).all()
    assert new["energy_method"].str.startswith("unit-delay gate toggles").all()
    assert new["icarus_version"].notna().all() and old["energy_per_mac_gaussian"].isna().all()
    assert not (tmp_path / "work").exists() or not list((tmp_path / "work").rglob("*.vcd"))


def test_energy_keys_only_the_units_it_measures():
    design = units.GeneratedDesign("systolic", "{}", "m", "module m; endmodule\n", (), {})
    versions = points.tool_versions({"yosys", "iverilog"})
    plain, measured = (points.key_parts(design, flow, None, versions) for flow in (FlowSpec("gates"), ENERGY))
    assert plain == measured  # a systolic array measures no energy: its points stay as they were
    mac = units.GeneratedDesign("mac", "{}", "m", "module m; endmodule\n", (), {})
    parts = points.key_parts(mac, ENERGY, None, versions)
    assert parts["gate_energy"]["macs"] == 64 and parts["gate_energy"]["icarus"] == versions["iverilog"]
    assert parts["gate_energy"]["distributions"] == ["gaussian", "laplace"]
    assert "gate_energy" not in points.key_parts(mac, FlowSpec("gates"), None, versions)


def test_a_failed_energy_measurement_fails_the_row_and_keeps_its_counts(tmp_path, monkeypatch):
    from hwgen.fpga.gate_sim import ActivityError

    def wrong(*args, **kwargs):
        raise ActivityError("mac_int4_fixed_k4_p1: output 3 field acc is 0x1, the golden model says 0x2")

    monkeypatch.setattr(points.gate_energy, "measure_energy", wrong)
    with ResultStore(tmp_path / "r.sqlite") as store:
        summary = run_sweep(one_point_plan(flow=ENERGY), store, work_root=tmp_path / "work")
        (row,) = store.rows()
    assert summary.failed == 1
    assert row["status"] == "failed" and row["gates"] > 50 and row["energy_per_mac_gaussian"] is None
    assert row["error"] == "mac_int4_fixed_k4_p1: output 3 field acc is 0x1, the golden model says 0x2"


@pytest.mark.parametrize(("targets", "units_extra", "message"), [
    ({"gates": {"energy": True, "energy_macs": 0}}, {},
     r"^targets\.gates\.energy_macs must be an integer between 1 and 1048576, not 0$"),
    ({"gates": {"energy": "yes"}}, {}, r"^targets\.gates\.energy must be true or false, not 'yes'$"),
    ({"gates": {"energy_macs": 64}}, {}, r"^targets\.gates\.energy_macs needs energy = true$"),
    ({"xc7": {"energy": True}}, {}, r"^unknown key 'targets\.xc7\.energy'; allowed: dsp, pnr, freq_mhz$"),
    ({"xc7": {}}, {"targets": ["gates"]}, r"^units\[0\]\.targets: 'gates' is not a target of \[targets\]$"),
    ({"gates": {}}, {"targets": []}, r"^units\[0\]\.targets must be a non-empty list of target names$"),
])
def test_energy_and_unit_targets_in_the_toml_are_checked(targets, units_extra, message):
    from hwgen.fpga.sweep_config import parse_config

    unit = {"kind": "mul", "formats": ["int8"], **units_extra}
    with pytest.raises((ValueError, TypeError), match=message):
        parse_config({"units": [unit], "targets": targets})


def test_a_unit_table_can_name_its_targets():
    from hwgen.fpga.sweep_config import describe, parse_config

    plan = parse_config({"units": [{"kind": "mac", "formats": ["int4"], "params": {"terms": 4}},
                                   {"kind": "mul", "formats": ["int8", "fp16"], "targets": ["gates"]}],
                         "targets": {"gates": {"energy": True}, "xc7": {}}})
    mul, mac = [d for d in plan.designs if d.unit == "mul"], [d for d in plan.designs if d.unit == "mac"]
    assert [f.target for f in plan.flows_for(mul[0])] == ["gates"]
    assert [f.target for f in plan.flows_for(mac[0])] == ["gates", "xc7"]
    assert plan.points == 2 + 2 and plan.tools() == {"yosys", "iverilog"}
    assert describe(plan).startswith("sweep: 3 designs (2 of them on gates only) x 2 flows")
