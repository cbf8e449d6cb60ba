"""The report only reads (issue 19): energy is a measurement the sweep stores, and `hwgen report` renders it
with Yosys, Icarus and Verilator absent from PATH, Amaranth, cocotb and the generators unimportable and no
process started.

The store: a real sweep (three MACs with gate-level energy on the gates target, and the asic target's
standard-cell energy) plus the captured fixture's xc7 and gates rows, so that the area models fit.
"""

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pandas as pd
import pytest

from hwgen.fpga.executors import LocalExecutor
from hwgen.fpga.sweep import run_sweep
from hwgen.fpga.sweep_config import load_config
from hwgen.results.store import COLUMN_NAMES, ResultStore

pytestmark = [pytest.mark.tools, pytest.mark.slow]

FIXTURE = Path(__file__).parent / "fixtures" / "cost" / "results.csv"
SWEEP = """
[sweep]
name = "energy"

[[units]]
kind = "mac"
formats = ["int8", "fp4_e2m1", "int4"]
params = { acc = "fixed" }

[targets]
gates = { energy = true, energy_macs = 256 }
asic = { library = "osu018", clock_ns = 10 }
"""
# What the report's process may not import: the generators, the simulators' glue, the measurement flows.
BLOCKED = ("amaranth", "cocotb", "cocotb_tools", "hwgen.gen", "hwgen.sim", "hwgen.fpga.units",
           "hwgen.fpga.yosys_flow", "hwgen.fpga.gate_energy", "hwgen.fpga.activity", "hwgen.fpga.gate_sim",
           "hwgen.fpga.asic", "hwgen.fpga.asic_power", "hwgen.fpga.liberty", "hwgen.fpga.liberty_energy",
           "hwgen.fpga.mapped_netlist", "hwgen.fpga.netlist_sim", "hwgen.fpga.sta_power",
           "hwgen.fpga.sta_check", "hwgen.fpga.points", "hwgen.fpga.sweep",
           "hwgen.fpga.sweep_config", "hwgen.fpga.sweep_progress", "hwgen.fpga.executors")
# Except: the CLI registers `hwgen doctor`, whose module imports the path of its smoke design (no code).
ALLOWED = ("hwgen.sim", "hwgen.sim.smoke")
# Refuses to import BLOCKED (a meta-path finder) and replaces every way to start a process by one that
# records the attempt (in case a caller swallows the error) and raises.
GUARD = textwrap.dedent("""
    import os, subprocess, sys
    blocked, allowed, attempts = {blocked!r}, {allowed!r}, {attempts!r}

    class Refuse:
        def find_spec(self, name, path=None, target=None):
            if name not in allowed and any(name == b or name.startswith(b + ".") for b in blocked):
                raise ImportError(f"the report imported {{name}}")
            return None

    sys.meta_path.insert(0, Refuse())

    def refuse(what):
        def started(*args, **kwargs):
            with open(attempts, "a") as file:
                file.write(f"{{what}} {{args[:1]!r}}\\n")
            raise AssertionError(f"the report started a process: {{what}}")
        return started

    subprocess.Popen = refuse("subprocess.Popen")
    for name in ("system", "fork", "forkpty", "posix_spawn", "posix_spawnp", "execv", "execve", "execvp"):
        if hasattr(os, name):
            setattr(os, name, refuse("os." + name))
""")
# `hwgen report` exactly as the command line runs it (every command's parser is built first).
REPORT = textwrap.dedent("""
    from hwgen.cli import main
    sys.exit(main({argv!r}))
""")


def guarded(attempts: Path, code: str) -> str:
    return GUARD.format(blocked=BLOCKED, allowed=ALLOWED, attempts=str(attempts)) + code


def fixture_rows(targets) -> list[dict]:
    rows = pd.read_csv(FIXTURE)
    rows = rows[rows["target"].isin(targets)]
    return [{name: None if pd.isna(record.get(name)) else record.get(name) for name in COLUMN_NAMES}
            for record in rows.to_dict("records")]


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("reads_only")
    (folder / "energy.toml").write_text(SWEEP)
    path = folder / "results.sqlite"
    with ResultStore(path) as results:
        results.add_rows(fixture_rows(("xc7", "gates")))  # measured earlier: no energy columns
        summary = run_sweep(load_config(folder / "energy.toml"), results, executor=LocalExecutor(2),
                            work_root=folder / "work")
    assert (summary.computed, summary.failed) == (6, 0)
    return path


def run_report(store: Path, out: Path, tmp_path: Path) -> tuple[subprocess.CompletedProcess, Path]:
    bin_dir = tmp_path / "bin"  # PATH holds python and nothing else: no yosys, iverilog, vvp, verilator
    bin_dir.mkdir(exist_ok=True)
    if not (bin_dir / "python").exists():
        (bin_dir / "python").symlink_to(sys.executable)
    attempts = tmp_path / "processes.txt"
    argv = ["report", "--store", str(store), "--out", str(out), "--no-minilm"]
    code = guarded(attempts, REPORT.format(argv=argv))
    env = {key: value for key, value in os.environ.items() if not key.startswith(("PYTHON", "HWGEN"))}
    env.update(PATH=str(bin_dir), PYTHONWARNINGS="error", MPLCONFIGDIR=str(tmp_path / "mpl"))
    # Matplotlib lists the system fonts (it runs fc-list) once, when it builds its font cache: done
    # here, outside the guard, as any earlier matplotlib use on the machine would have done it.
    subprocess.run([sys.executable, "-c", "import matplotlib.font_manager"], env=env, check=True)
    completed = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                               timeout=900, check=False)
    return completed, attempts


def test_the_sweep_stored_the_energy(store):
    with ResultStore(store, read_only=True) as results:
        frame = results.dataframe()
    gates = frame[(frame["target"] == "gates") & frame["energy_per_mac_gaussian"].notna()].set_index("design")
    assert set(gates.index) == {"mac_int8_fixed", "mac_fp4_e2m1_fixed", "mac_int4_fixed"}
    assert (gates["energy_macs"] == 256).all() and gates["energy_method"].str.startswith("unit-delay").all()
    assert gates["icarus_version"].notna().all() and (gates["toggle_rate"] > 0).all()
    # docs/energy.md: fp4_e2m1 costs 0.27 of INT8 on Gaussian operands
    ratio = gates.loc["mac_fp4_e2m1_fixed", "energy_per_mac_gaussian"] / gates.loc["mac_int8_fixed",
                                                                                  "energy_per_mac_gaussian"]
    assert 0.15 < ratio < 0.45
    asic = frame[frame["target"] == "asic"]
    assert len(asic) == 3 and asic["energy_pj_per_mac"].notna().all()
    assert frame.loc[frame["target"] == "xc7", "energy_per_mac_gaussian"].isna().all()  # fixture rows


def test_report_renders_energy_without_tools_generators_or_processes(store, tmp_path):
    out = tmp_path / "report"
    completed, attempts = run_report(store, out, tmp_path)
    assert completed.returncode == 0, completed.stderr[-3000:]
    assert not attempts.exists(), attempts.read_text()
    page = (out / "index.html").read_text()
    assert "<h2>Energy</h2>" in page and "energy_gates.csv" in page and "energy_asic.csv" in page
    # no multipliers in this store: one line says which sweep has them
    assert "No gate-level Horowitz anchor" in page

    with ResultStore(store, read_only=True) as results:
        frame = results.dataframe()
    stored = frame[frame["energy_per_mac_gaussian"].notna()].set_index("format_a")
    gates = pd.read_csv(out / "tables" / "energy_gates.csv").set_index("label")
    assert set(gates.index) == {"int8", "fp4_e2m1", "int4"}
    assert gates.loc["int8", "energy_rel"] == 1.0 and gates.loc["int8", "energy_rel_laplace"] == 1.0
    for label in ("fp4_e2m1", "int4"):  # the stored numbers, divided, nothing measured again
        for distribution, column in (("gaussian", "energy_rel"), ("laplace", "energy_rel_laplace")):
            stored_column = f"energy_per_mac_{distribution}"
            expected = stored.loc[label, stored_column] / stored.loc["int8", stored_column]
            assert gates.loc[label, column] == pytest.approx(expected, rel=1e-12)
        assert gates.loc[label, "toggle_rate"] == pytest.approx(stored.loc[label, "toggle_rate"])

    asic = pd.read_csv(out / "tables" / "energy_asic.csv").set_index("design")
    assert asic.loc["int8", "energy / int8"] == 1.0 and (asic["library"] == "osu018").all()
    measured = frame[frame["target"] == "asic"].set_index("format_a")
    pj = measured.loc["fp4_e2m1", "energy_pj_per_mac"]
    assert asic.loc["fp4_e2m1", "energy pJ/MAC"] == pytest.approx(pj)
    assert 0 < asic.loc["fp4_e2m1", "energy / int8"] < 1

    estimate = pd.read_csv(out / "tables" / "energy_fpga_estimate.csv").set_index("label")
    assert estimate.loc["int8", "xc7"] == 1.0 and 0 < estimate.loc["fp4_e2m1", "xc7"] < 1
    versions = pd.read_csv(out / "tables" / "tool_versions.csv").set_index("tool")
    assert versions.loc["Icarus (results)", "version"] == stored.loc["int8", "icarus_version"]


def test_the_guard_works(tmp_path):
    """The guard really refuses: Amaranth does not import, and a process start is recorded."""
    attempts = tmp_path / "processes.txt"
    for code, message in (("import hwgen.emit", "the report imported amaranth"),
                          ("import subprocess; subprocess.run(['true'])", "started a process")):
        failed = subprocess.run([sys.executable, "-c", guarded(attempts, code)], capture_output=True,
                                text=True, check=False)
        assert failed.returncode != 0 and message in failed.stderr, failed.stderr
    assert attempts.read_text().startswith("subprocess.Popen")


def test_a_store_without_energy_renders_and_names_the_sweep(tmp_path):
    old = tmp_path / "old.sqlite"
    with ResultStore(old) as results:
        results.add_rows(fixture_rows(("xc7", "gates")))
    out = tmp_path / "report"
    completed, attempts = run_report(old, out, tmp_path)
    assert completed.returncode == 0, completed.stderr[-3000:]
    assert not attempts.exists()
    page = (out / "index.html").read_text()
    command = f"hwgen sweep default --store {old}"
    assert "<h2>Energy</h2>" not in page and command in page
    assert not (out / "tables" / "energy_gates.csv").exists()
    assert "Area models" in page and "Pareto fronts" in page


def test_pareto_energy_without_energy_is_one_line(tmp_path, capsys):
    from hwgen.cli import main

    old = tmp_path / "old.sqlite"
    with ResultStore(old) as results:
        results.add_rows(fixture_rows(("xc7", "gates")))
    for cost, target in (("energy", "gates"), ("energy_estimate", "xc7")):
        code = main(["pareto", "--target", target, "--cost", cost, "--accuracy", "sqnr_gaussian_db",
                     "--store", str(old), "--out", str(tmp_path / "front.png"), "--quiet"])
        err = capsys.readouterr().err
        assert code == 2 and err.count("\n") == 1, err
        assert f"`hwgen sweep default --store {old}` measures it" in err
    assert not (tmp_path / "front.png").exists()
