"""The Yosys flow: scripts from hooks, counts from captured `stat -json`, one-line errors, real runs."""

import json
import sys
import textwrap
from pathlib import Path

import pytest

from hwgen import toolchain
from hwgen.fpga import yosys_flow
from hwgen.fpga.targets import CATEGORIES, TEMPLATE_TARGET_NAMES, get_target
from hwgen.fpga.yosys_flow import HOOKS, SynthesisError, SynthOptions, parse_stat, render_script, synthesize

FIXTURES = Path(__file__).parent / "fixtures" / "yosys_stat"

# Captured from studies/int8_mac_dsp/study.py runs of the INT8 MAC shapes (Yosys 0.70):
# fixture -> (top, target, expected non-zero categories).
CAPTURED = {
    "xc7_mac_dsp": ("mac_mux_zero", "xc7", {"lut": 3, "ff": 6, "dsp": 1}),
    "xc7_mac_nodsp": ("mac_mux_zero", "xc7", {"lut": 161, "ff": 62, "carry": 10}),
    "ice40_mac_dsp": ("mac_mux_zero_2", "ice40", {"lut": 30, "ff": 4, "dsp": 1}),
    "ice40_mac_nodsp": ("mac_mux_zero", "ice40", {"lut": 231, "ff": 62, "carry": 34}),
    "ecp5_mac_dsp": ("mac_mux_zero", "ecp5", {"lut": 27, "ff": 62, "carry": 12, "dsp": 1}),
    "ecp5_mac_nodsp": ("mac_mux_zero", "ecp5", {"lut": 314, "ff": 62, "carry": 20, "mux": 151}),
    "gates_mac": ("mac_mux_zero", "gates", {"ff": 62, "gate2": 759, "inverter": 2}),
}


def load_fixture(name):
    return json.loads((FIXTURES / f"{name}.json").read_text())


@pytest.mark.parametrize("fixture", CAPTURED)
def test_parses_captured_stat(fixture):
    top, target, expected = CAPTURED[fixture]
    cells = parse_stat(load_fixture(fixture), top, target)
    assert {category: n for category, n in cells.by_category.items() if n} == expected
    assert tuple(cells.by_category) == CATEGORIES
    assert sum(cells.by_type.values()) == sum(cells.by_category.values())


def test_summary_properties_read_the_categories():
    cells = parse_stat(load_fixture("xc7_mac_dsp"), "mac_mux_zero", "xc7")
    assert (cells.luts, cells.ffs, cells.carries, cells.dsps, cells.brams) == (3, 6, 0, 1, 0)
    assert dict(cells.by_type) == {"DSP48E1": 1, "FDRE": 5, "FDSE": 1, "LUT2": 1, "LUT3": 1, "LUT4": 1}
    assert cells.transistors is None


def test_gates_report_transistors():
    cells = parse_stat(load_fixture("gates_mac"), "mac_mux_zero", "gates")
    assert (cells.gates, cells.ffs, cells.transistors, cells.transistors_complete) == (759, 62, 6058, True)


def test_transistor_estimate_with_unknown_cells_is_a_lower_bound():
    cells = parse_stat(load_fixture("gates_mac_lower_bound"), "mac_mux_zero", "gates")
    assert (cells.transistors, cells.transistors_complete) == (4104, False)
    assert "$scopeinfo" not in cells.by_type  # no hardware
    assert cells.ffs == 58 + 2 + 1 + 1  # $_DFFE_PP_, $_SDFFE_PP0P_, $_SDFFE_PP1P_, $_SDFF_PP0_


def test_parse_accepts_text_and_a_top_without_backslash():
    text = (FIXTURES / "ecp5_mac_dsp.json").read_text()
    assert parse_stat(text, "mac_mux_zero", get_target("ecp5")).dsps == 1


def test_parse_names_the_modules_when_top_is_missing():
    with pytest.raises(ValueError, match=r"^stat JSON has no module 'other' \(modules: mac_mux_zero\)$"):
        parse_stat(load_fixture("xc7_mac_dsp"), "other", "xc7")


@pytest.mark.parametrize(
    ("target", "cell_type", "category"),
    [
        ("xc7", "LUT6", "lut"),
        ("xc7", "FDRE", "ff"),
        ("xc7", "FDCE", "ff"),
        ("xc7", "CARRY4", "carry"),
        ("xc7", "DSP48E1", "dsp"),
        ("xc7", "RAMB18E1", "bram"),
        ("xc7", "RAM64X1D", "lutram"),
        ("xc7", "SRLC32E", "lutram"),
        ("xc7", "MUXF7", "mux"),
        ("ice40", "SB_LUT4", "lut"),
        ("ice40", "SB_DFFESR", "ff"),
        ("ice40", "SB_CARRY", "carry"),
        ("ice40", "SB_MAC16", "dsp"),
        ("ice40", "SB_RAM40_4K", "bram"),
        ("ecp5", "LUT4", "lut"),
        ("ecp5", "TRELLIS_FF", "ff"),
        ("ecp5", "CCU2C", "carry"),
        ("ecp5", "MULT18X18D", "dsp"),
        ("ecp5", "DP16KD", "bram"),
        ("ecp5", "PFUMX", "mux"),
        ("gates", "$_NAND_", "gate2"),
        ("gates", "$_ANDNOT_", "gate2"),
        ("gates", "$_NOT_", "inverter"),
        ("gates", "$_DFF_P_", "ff"),
        ("gates", "$_DFF_PN0_", "ff"),
        ("gates", "$_MUX_", "mux"),
        ("xc7", "SB_LUT4", "other"),
    ],
)
def test_cell_categories(target, cell_type, category):
    assert get_target(target).category(cell_type) == category


def test_unknown_target_is_named():
    with pytest.raises(ValueError, match=r"^target must be one of xc7, ice40, ecp5, gates, asic, not 'xc9'$"):
        get_target("xc9")
    with pytest.raises(TypeError, match=r"^target must be a target name \(str\), not int$"):
        get_target(7)


def script_lines(target, options=None, top="top"):
    return render_script(["src/a.v", "b.v"], top, target, options or SynthOptions()).splitlines()


def test_script_is_the_hooks_in_order():
    lines = script_lines("xc7")
    assert [line for line in lines if line.startswith("# ")] == [f"# {hook}" for hook in HOOKS]
    assert lines[1:4] == ["read_verilog -sv src/a.v", "read_verilog -sv b.v", "hierarchy -check -top top"]
    assert "tee -q -o stat.json stat -json" in lines
    assert "write_json netlist.json" in lines


@pytest.mark.parametrize(
    ("target", "dsp", "command"),
    [
        ("xc7", True, "synth_xilinx -family xc7 -top top -flatten -noiopad -noclkbuf"),
        ("xc7", False, "synth_xilinx -family xc7 -top top -flatten -noiopad -noclkbuf -nodsp"),
        ("ice40", True, "synth_ice40 -top top -device u -dsp"),
        ("ice40", False, "synth_ice40 -top top -device u"),
        ("ecp5", True, "synth_ecp5 -top top"),
        ("ecp5", False, "synth_ecp5 -top top -nodsp"),
        ("gates", True, "synth -top top -flatten -noabc"),
    ],
)
def test_synth_hook_per_target(target, dsp, command):
    lines = script_lines(target, SynthOptions(dsp=dsp))
    assert lines[lines.index("# synth") + 1] == command


def test_gates_map_to_two_input_gates_and_count_transistors():
    lines = script_lines("gates")
    post = lines[lines.index("# post_synth") + 1 : lines.index("# report")]
    assert post[1] == "abc -g AND,NAND,OR,NOR,XOR,XNOR,ANDNOT,ORNOT"
    assert "tee -q -o stat.json stat -json -tech cmos" in lines


def test_extra_commands_go_after_the_hooks_own():
    options = SynthOptions(extra_commands={"pre_synth": ("setattr -mod -set keep 1",), "report": ("stat",)})
    lines = script_lines("ice40", options)
    assert lines[lines.index("# pre_synth") + 1] == "setattr -mod -set keep 1"
    assert lines[-1] == "stat"


def test_options_are_validated():
    with pytest.raises(ValueError, match=r"^unknown hook 'post'; hooks are read, pre_synth, synth, "):
        SynthOptions(extra_commands={"post": ()})
    with pytest.raises(TypeError, match=r"^extra commands for 'pre_synth' must be a sequence"):
        SynthOptions(extra_commands={"pre_synth": "opt"})
    with pytest.raises(TypeError, match=r"^dsp must be a bool, not int$"):
        SynthOptions(dsp=1)


FAKE_YOSYS = textwrap.dedent(
    """
    import os, shutil, sys
    log = sys.argv[sys.argv.index("-l") + 1]
    with open(log, "w") as file:
        file.write(os.environ["FAKE_LOG"])
    if os.environ.get("FAKE_STAT"):
        shutil.copy(os.environ["FAKE_STAT"], "stat.json")
    sys.exit(int(os.environ["FAKE_STATUS"]))
    """
)


@pytest.fixture
def fake_yosys(tmp_path, monkeypatch):
    """A stand-in Yosys: writes FAKE_LOG to its -l file, copies FAKE_STAT, exits FAKE_STATUS."""
    script = tmp_path / "fake_yosys.py"
    script.write_text(FAKE_YOSYS)
    tool = toolchain.Tool("yosys", (sys.executable, str(script)), "0.70", toolchain.PYPI)
    monkeypatch.setattr(yosys_flow.toolchain, "find_tool", lambda name: tool)
    (tmp_path / "design.v").write_text("module mac_mux_zero; endmodule\n")

    def configure(log="", stat=None, status=0):
        monkeypatch.setenv("FAKE_LOG", log)
        monkeypatch.setenv("FAKE_STAT", str(FIXTURES / f"{stat}.json") if stat else "")
        monkeypatch.setenv("FAKE_STATUS", str(status))
        return tmp_path / "design.v"

    return configure


def test_synthesize_reads_the_stat_json(fake_yosys, tmp_path):
    design = fake_yosys(stat="xc7_mac_dsp")
    result = synthesize(design, "mac_mux_zero", "xc7", work_dir=tmp_path / "run")
    assert (result.cells.dsps, result.cells.luts, result.cells.ffs) == (1, 3, 6)
    assert result.tool_version == "0.70"
    assert result.tool_banner.startswith("Yosys 0.70 (git sha1 ")
    assert result.summary()["dsp_allowed"] is True
    assert (result.summary()["dsp"], result.summary()["lut"]) == (1, 3)
    assert result.script.read_text().startswith("# read\nread_verilog -sv ../design.v\n")


def test_failure_is_one_line_with_the_last_error(fake_yosys, tmp_path):
    log = "Warning: x\nERROR: first\nmore text\n../design.v:3: ERROR: syntax error, unexpected ';'\n"
    design = fake_yosys(log=log, status=1)
    with pytest.raises(SynthesisError) as caught:
        synthesize(design, "mac_mux_zero", "ice40", work_dir=tmp_path / "run")
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith("yosys (ice40, mac_mux_zero) failed: ../design.v:3: ERROR: syntax error")
    assert message.endswith(f"log: {tmp_path / 'run' / 'yosys.log'}")


def test_success_without_stat_json_is_a_failure(fake_yosys, tmp_path):
    design = fake_yosys(log="no errors\n", status=0)
    with pytest.raises(SynthesisError, match=r"failed: exit status 0; log: "):
        synthesize(design, "mac_mux_zero", "ecp5", work_dir=tmp_path / "run")


def test_missing_source_is_named(tmp_path):
    with pytest.raises(SynthesisError, match=r"^no Verilog file .*nothing\.v$"):
        synthesize(tmp_path / "nothing.v", "top", "gates", work_dir=tmp_path / "run")


TINY_MAC = textwrap.dedent(
    """
    module tiny_mac (input clk, input signed [7:0] a, input signed [7:0] b, output reg signed [23:0] acc);
        always @(posedge clk) acc <= acc + a * b;
    endmodule
    """
)

# One real run per target: the DSP (or gates) the tiny MAC becomes.
REAL_RUNS = {
    "xc7": {"DSP48E1": 1},
    "ice40": {"SB_MAC16": 1},
    "ecp5": {"MULT18X18D": 1, "TRELLIS_FF": 24},
}


@pytest.mark.slow
@pytest.mark.tools
@pytest.mark.parametrize("target", TEMPLATE_TARGET_NAMES)
def test_real_synthesis(target, tmp_path):
    design = tmp_path / "tiny_mac.v"
    design.write_text(TINY_MAC)
    result = synthesize(design, "tiny_mac", target, work_dir=tmp_path / target)
    cells = result.cells
    if target == "gates":
        assert cells.ffs == 24 and cells.gates > 300 and cells.transistors > 2000
    else:
        assert {t: n for t, n in cells.by_type.items() if t in REAL_RUNS[target]} == REAL_RUNS[target]
    assert result.tool_banner.startswith("Yosys ")
    assert result.netlist_json.is_file() and result.netlist_verilog.is_file()
    assert result.log.is_file()


@pytest.mark.slow
@pytest.mark.tools
def test_real_synthesis_error_is_one_line(tmp_path):
    design = tmp_path / "broken.v"
    design.write_text("module broken(input a, output b); assign b = a +; endmodule\n")
    with pytest.raises(SynthesisError, match=r"^yosys \(gates, broken\) failed: .*ERROR: syntax error"):
        synthesize(design, "broken", "gates", work_dir=tmp_path / "run")


@pytest.mark.slow
@pytest.mark.tools
@pytest.mark.parametrize("pipeline", [1, 2, 3, 4, 5])
def test_the_int8_mac_accumulates_inside_the_dsp48e1_at_every_depth(pipeline, tmp_path):
    """xc7 packs the whole int8 MAC, accumulator included, into one DSP48E1 (its P register): no
    carry chain in the fabric at any depth (a register between multiplier and adder once pushed the
    accumulator out at depth 4)."""
    import hwgen

    (row,) = hwgen.synth(hwgen.MacSpec("int8", "int8", pipeline=pipeline), "xc7", work_dir=tmp_path)
    assert (row["dsps"], row["carries"]) == (1, 0) and row["luts"] <= 3
