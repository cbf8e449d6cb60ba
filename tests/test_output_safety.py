"""Nothing the user owns is lost or altered by a command that writes files (hwgen.outputs): a folder
with files hwgen did not write is refused before any work, a file hwgen did not write is never
replaced, written files follow the umask, and a file-system error is one line and exit 2."""

import contextlib
import hashlib
import os
import re
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from test_cost_report import SMALL_LABELS, make_store

from hwgen.cli import main
from hwgen.outputs import MARKER, claim_folder, record_written, write_atomic

MAC = ["mac", "--a", "int4", "--b", "int4"]
MAC_NAME = "mac_int4_fixed"
PARETO = ["pareto", "--target", "gates", "--cost", "transistors", "--accuracy", "sqnr_laplace_db", "--quiet"]


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    return make_store(tmp_path_factory.mktemp("store") / "results.sqlite", ("gates",),
                      designs=lambda d: bool(SMALL_LABELS.search(d)) and "_p" not in d and "_k" not in d)


def run_cli(argv, capsys):
    code = main([str(part) for part in argv])
    out, err = capsys.readouterr()
    return code, out, err


def snapshot(folder: Path) -> dict[str, str]:
    """Every file under *folder* (hidden ones too) and the SHA-256 of its bytes."""
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def one_error_line(code: int, err: str) -> str:
    assert code == 2, err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    return err.strip()


# --- folders hwgen did not write

def test_report_refuses_a_folder_it_did_not_write(tmp_path, store, capsys):
    out = tmp_path / "report"
    (out / "plots").mkdir(parents=True)
    (out / "tables").mkdir()
    (out / "plots" / "notes.txt").write_text("my notes")
    (out / "tables" / "budget.csv").write_text("item,cost\nboard,100\n")
    (out / "index.html").write_text("<p>my page</p>")
    before = snapshot(out)
    code, _, err = run_cli(["report", "--store", store, "--out", out, "--no-minilm", "--no-energy"], capsys)
    line = one_error_line(code, err)
    assert f"--out {out}: the folder holds files hwgen did not write" in line
    assert snapshot(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report"]  # no staging folder beside it


@pytest.mark.slow
def test_report_replaces_only_its_own_files(tmp_path, store, capsys):
    out = tmp_path / "report"
    argv = ["report", "--store", store, "--out", out, "--no-minilm", "--no-energy", "--quiet"]
    assert run_cli(argv, capsys)[0] == 0
    first = snapshot(out)
    assert MARKER in first and "index.html" in first and any(n.startswith("plots/") for n in first)
    (out / "README.txt").write_text("my own file beside the report")
    assert run_cli(argv, capsys)[0] == 0  # the report's own files are replaced ...
    assert (out / "README.txt").read_text() == "my own file beside the report"  # ... nothing else
    (out / "plots" / "notes.txt").write_text("my notes")
    before = snapshot(out)
    code, _, err = run_cli(argv, capsys)
    assert "plots/notes.txt was not written by hwgen" in one_error_line(code, err)
    assert snapshot(out) == before
    assert not [p for p in out.iterdir() if p.name.startswith(".hwgen-staging")]


def test_generate_refuses_a_folder_it_did_not_write_and_a_file_of_the_same_name(tmp_path, capsys):
    user = tmp_path / "project"
    user.mkdir()
    (user / "top.v").write_text("module top; endmodule\n")
    before = snapshot(user)
    code, _, err = run_cli(["generate", *MAC, "--out", user], capsys)
    assert "the folder holds files hwgen did not write (top.v)" in one_error_line(code, err)
    assert snapshot(user) == before

    out = tmp_path / "rtl"
    assert run_cli(["generate", *MAC, "--out", out], capsys)[0] == 0
    assert run_cli(["generate", *MAC, "--out", out], capsys)[0] == 0  # its own files: replaced
    assert {f"{MAC_NAME}.v", f"{MAC_NAME}.json", MARKER} == set(snapshot(out))
    (out / "mine.v").write_text("module mine; endmodule\n")
    before = snapshot(out)
    code, _, err = run_cli(["generate", *MAC, "--name", "mine", "--out", out], capsys)
    assert f"--out {out}: mine.v was not written by hwgen" in one_error_line(code, err)
    assert snapshot(out) == before


@pytest.mark.tools
def test_verify_refuses_a_build_folder_it_did_not_write(tmp_path, capsys):
    build = tmp_path / "build"
    (build / MAC_NAME).mkdir(parents=True)
    (build / MAC_NAME / "keep.txt").write_text("mine")
    argv = ["verify", *MAC, "--vectors", "5", "--sim", "icarus", "--build-dir", build]
    code, _, err = run_cli(argv, capsys)
    assert f"--build-dir {build / MAC_NAME}: the folder holds files hwgen did not write (keep.txt)" in \
        one_error_line(code, err)
    assert snapshot(build) == {f"{MAC_NAME}/keep.txt": hashlib.sha256(b"mine").hexdigest()}


def test_pareto_never_overwrites_an_image_it_did_not_write(tmp_path, store, capsys):
    out = tmp_path / "front.png"
    out.write_bytes(b"\x89PNG my own picture")
    code, _, err = run_cli([*PARETO, "--store", store, "--out", out], capsys)
    assert f"out {out}: the file exists and was not written by hwgen" in one_error_line(code, err)
    assert out.read_bytes() == b"\x89PNG my own picture" and not out.with_suffix(".svg").exists()

    ours = tmp_path / "ours.png"
    for _ in range(2):  # the second run replaces the pair the first one wrote
        code, _, err = run_cli([*PARETO, "--store", store, "--out", ours], capsys)
        assert code == 0, err


def test_nnlut_plot_never_overwrites_an_image_it_did_not_write(tmp_path, capsys):
    plot = tmp_path / "errors.png"
    plot.write_bytes(b"\x89PNG my own picture")
    argv = ["nnlut-report", "--funcs", "exp", "--entries", "8", "--plot-entries", "8", "--plot", plot]
    code, _, err = run_cli(argv, capsys)
    assert f"--plot {plot}: the file exists and was not written by hwgen" in one_error_line(code, err)
    assert plot.read_bytes() == b"\x89PNG my own picture"
    plot.unlink()
    for _ in range(2):
        code, _, err = run_cli(argv, capsys)
        assert code == 0, err
    assert plot.stat().st_size > 1000


def test_a_marker_that_is_not_hwgens_is_refused(tmp_path):
    (tmp_path / MARKER).write_text("something else")
    with pytest.raises(ValueError, match=f"{MARKER} is not hwgen's marker"):
        claim_folder(tmp_path, "--out", replaces=("x",))
    assert (tmp_path / MARKER).read_text() == "something else"


def test_record_written_lists_files_and_forgets_removed_ones(tmp_path):
    folder = claim_folder(tmp_path / "out", "--out")
    (folder / "plots").mkdir()
    write_atomic(folder / "plots" / "a.svg", "a")
    write_atomic(folder / "index.html", "i")
    record_written(folder, [folder / "plots", folder / "index.html"])
    claim_folder(folder, "--out", replaces=("plots", "index.html"))  # all listed: accepted
    (folder / "index.html").unlink()
    record_written(folder, [])
    (folder / "index.html").write_text("someone else's, same name")
    with pytest.raises(ValueError, match=r"index\.html was not written by hwgen"):
        claim_folder(folder, "--out", replaces=("index.html",))


# --- file modes

def test_written_files_follow_the_umask(tmp_path):
    old = os.umask(0o027)
    try:
        path = write_atomic(tmp_path / "a.csv", "x")
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    os.umask(0o022)
    try:
        path = write_atomic(tmp_path / "b.csv", "x")
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == 0o644


@pytest.mark.slow
def test_report_files_are_readable_by_others_under_umask_022(tmp_path, store):
    out = tmp_path / "report"
    code = subprocess.run(f"umask 022 && {sys.executable} -m hwgen report --store {store} --out {out} "
                          "--no-minilm --no-energy --quiet", shell=True, check=False).returncode
    assert code == 0
    modes = {p.relative_to(out).as_posix(): stat.S_IMODE(p.stat().st_mode)
             for p in out.rglob("*") if p.is_file()}
    assert any(name.startswith("tables/") for name in modes) and any(n.startswith("plots/") for n in modes)
    assert set(modes.values()) == {0o644}, modes


# --- file-system errors: one line naming the path and the reason, exit 2

@contextlib.contextmanager
def mounted_tmpfs(folder: Path, options: str):
    folder.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(folder)],
                          capture_output=True, text=True, check=False)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here (needs root, as in CI): {done.stderr.strip()}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


def test_read_only_file_system(tmp_path, capsys):
    with mounted_tmpfs(tmp_path / "ro", "ro,size=64k") as readonly:
        code, _, err = run_cli(["generate", *MAC, "--out", readonly / "rtl"], capsys)
        line = one_error_line(code, err)
        assert f"{readonly / 'rtl'}: Read-only file system" in line
        code, _, err = run_cli(["verify", *MAC, "--vectors", "5", "--build-dir", readonly / "build"], capsys)
        assert f"{readonly / 'build'}: Read-only file system" in one_error_line(code, err)


def test_full_disk(tmp_path, capsys):
    with mounted_tmpfs(tmp_path / "full", "size=64k") as full:
        with contextlib.suppress(OSError), open(full / "filler", "wb", buffering=0) as filler:
            while True:
                filler.write(b"\0" * 4096)
        code, _, err = run_cli(["generate", *MAC, "--out", full / "rtl"], capsys)
        assert re.search(r": No space left on device$", one_error_line(code, err)), err
        assert sorted(p.name for p in full.iterdir()) == ["filler"]  # nothing half-written left


def test_a_path_that_cannot_exist(capsys):
    code, _, err = run_cli(["generate", *MAC, "--out", "/proc/hwgen"], capsys)
    assert one_error_line(code, err) == "hwgen generate: error: /proc/hwgen: No such file or directory"


def test_no_traceback_from_the_command_line(tmp_path):
    """The installed entry point, not only `main`: one line on standard error and exit 2."""
    done = subprocess.run([sys.executable, "-m", "hwgen", "generate", *MAC, "--out", "/proc/hwgen"],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 2 and done.stderr.count("\n") == 1 and "Traceback" not in done.stderr


SMOKE = Path(__file__).parents[1] / "fpga" / "sweeps" / "smoke.toml"


def test_sweep_and_synth_refuse_a_work_folder_they_did_not_write(tmp_path, capsys):
    work = tmp_path / "work"
    work.mkdir()
    (work / "thesis.tex").write_text("mine")
    for argv in (["sweep", SMOKE, "--store", tmp_path / "s.sqlite", "--work-dir", work],
                 ["synth", *MAC, "--target", "gates", "--work-dir", work]):
        code, _, err = run_cli(argv, capsys)
        assert f"--work-dir {work}: the folder holds files hwgen did not write" in one_error_line(code, err)
    assert snapshot(work) == {"thesis.tex": hashlib.sha256(b"mine").hexdigest()}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["work"]  # no store was created either


def test_sweep_never_overwrites_a_file_that_is_not_its_export(tmp_path, capsys):
    for option, name in (("--csv", "budget.csv"), ("--parquet", "table.parquet")):
        mine = tmp_path / name
        mine.write_text("item,cost\nboard,100\n")
        code, _, err = run_cli(["sweep", SMOKE, "--dry-run", "--store", tmp_path / "s.sqlite", option, mine],
                               capsys)
        assert f"{option} {mine}: the file exists and is not a results export" in one_error_line(code, err)
        assert mine.read_text() == "item,cost\nboard,100\n"


def test_a_build_folder_of_an_older_hwgen_is_taken_over(tmp_path):
    """A verify build folder made before the marker existed (its manifest names the module and the tools
    that made it) is hwgen's; the same folder with a foreign manifest is not."""
    from hwgen import MacSpec, generate

    spec = MacSpec("int4", "int4")
    old = tmp_path / "build" / spec.module_name
    generate(spec, old, scratch=True)
    (old / MARKER).unlink()  # as an older hwgen left it
    (old / "icarus").mkdir()
    generate(spec, old, scratch=True)
    assert (old / MARKER).is_file() and (old / "icarus").is_dir()

    foreign = tmp_path / "foreign" / spec.module_name
    foreign.mkdir(parents=True)
    (foreign / f"{spec.module_name}.json").write_text('{"module": "something else"}')
    with pytest.raises(ValueError, match="the folder holds files hwgen did not write"):
        generate(spec, foreign, scratch=True)
