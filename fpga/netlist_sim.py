"""Gate-level simulation of a mapped netlist on Icarus, with the library's cell models and SDF delays.

:func:`simulate` compiles the netlist with the library's own Verilog models (UDP flip-flops, specify
blocks), annotates OpenSTA's delays (:func:`hwgen.fpga.sta_power.write_sdf`), drives the inputs one
word per clock and returns every net's transitions in a window (:class:`NetActivity`), counted per
driver pin in the testbench (SAIF-like, cheaper than a VCD), with the outputs at every rising edge.
"""

import math
import re
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

from hwgen import lifetime, toolchain
from hwgen.fpga.asic import DEFAULT_CLOCK_PORT
from hwgen.fpga.gate_sim import ActivityError
from hwgen.fpga.liberty import read_liberty
from hwgen.fpga.mapped_netlist import CellInstance, MappedNetlist
from hwgen.toolchain import CellLibrary

TB_MODULE = "asic_power_tb"
NET_COUNTER = "asic_power_net"  # counts one net's transitions
PORT_COUNTER = "asic_power_port"  # and the time an input port bit is at 1
SIM_NETLIST = "power_sim_netlist.v"
SIM_SDF = "power_sim.sdf"  # the SDF as Icarus reads it
CELL_MODELS = "cell_models.v"
TESTBENCH = "power_tb.v"
STIMULUS = "stimulus.hex"
OUTPUTS = "outputs.txt"
TOGGLES = "toggles.txt"


@dataclass(frozen=True)
class Watched:
    """The nets whose transitions a simulation counts (every net but the clock and constants)."""

    bits: tuple[int, ...]
    references: tuple[str, ...]  # each net's driver as a Verilog reference: dut._group3_._0670_.Y, dut.a[3]
    ports: tuple[bool, ...]  # driven by an input port: its duty is measured too (OpenSTA takes it)


@dataclass(frozen=True)
class NetActivity:
    """Transitions of every counted net over ``cycles`` clock periods, and what the outputs were."""

    toggles: Mapping[int, int]  # net bit -> transitions in the window
    duty: Mapping[int, float]  # input-port net bit -> fraction of the window at 1
    cycles: int
    outputs: tuple[str, ...]  # the output ports in binary (MSB first), at every rising edge from the first
    output_ports: tuple[tuple[str, int], ...]  # (name, width), the first port in the lowest bits


def _verilog_name(name: str) -> str:
    return name if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_$]*", name) else f"\\{name} "


def watched_nets(netlist: MappedNetlist, clock_port: str) -> Watched:
    bits, references, ports = [], [], []
    groups = cell_groups(netlist)
    for bit, (kind, owner, where) in sorted(netlist.drivers().items()):
        if kind == "port" and owner == clock_port:
            continue
        if kind == "port":
            vector = len(netlist.ports[owner][1]) > 1
            references.append(f"dut.{_verilog_name(owner)}" + (f"[{where}]" if vector else ""))
        else:
            references.append(f"dut.{groups[owner]}.{_verilog_name(owner)}.{_verilog_name(str(where))}")
        bits.append(bit)
        ports.append(kind == "port")
    return Watched(tuple(bits), tuple(references), tuple(ports))


def cell_groups(netlist: MappedNetlist) -> dict[str, str]:
    """Each cell's group instance in :func:`simulation_verilog` (``_group3_``): about √N groups of
    √N cells.

    Icarus finds each SDF instance by comparing its name with every instance of the scope in turn:
    with all 9,183 cells of the bf16 MAC in one scope, annotating took 3.5 s; in groups, 0.7 s.
    """
    size = math.isqrt(max(0, len(netlist.cells) - 1)) + 1
    return {cell.name: f"_group{index // size}_" for index, cell in enumerate(netlist.cells)}


_CONSTANTS = {"0": "1'b0", "1": "1'b1", "x": "1'bx", "z": "1'bz"}
_OUR_NAMES = re.compile(r"_(net|group)\d+_|asic_power_group\d+")


def simulation_verilog(netlist: MappedNetlist) -> str:
    """The mapped netlist as Icarus simulates it: the same cells, instance names and ports, one scalar
    wire per net bit (``_net12_``), and the cells in groups (:func:`cell_groups`).

    Yosys's Verilog keeps a bus as one vector net, and Icarus rebuilds and sends the whole vector to
    every reader whenever one bit changes: on the bf16 MAC's 529-bit accumulator that made the
    simulation 2.5 times slower, for the same transitions.
    """
    names = [netlist.top, *netlist.ports, *(cell.name for cell in netlist.cells),
             *(cell.type for cell in netlist.cells)]
    clash = next((name for name in names if _OUR_NAMES.fullmatch(name)), None)
    if clash is not None:
        raise ValueError(f"{netlist.top} uses the name {clash}, which the simulation netlist gives its own")
    groups: dict[str, list[CellInstance]] = {}
    for cell, group in zip(netlist.cells, cell_groups(netlist).values(), strict=True):
        groups.setdefault(group, []).append(cell)
    lines = [f"module {_verilog_name(netlist.top)}({', '.join(map(_verilog_name, netlist.ports))});"]
    for name, (direction, bits) in netlist.ports.items():
        if direction not in ("input", "output"):
            raise ValueError(f"{netlist.top}: port {name} is an {direction}; only inputs and outputs "
                             "simulate")
        vector = f"[{len(bits) - 1}:0] " if len(bits) > 1 else ""
        lines.append(f"  {direction} {vector}{_verilog_name(name)};")
    port_bits = {bit for _, bits in netlist.ports.values() for bit in bits if isinstance(bit, int)}
    lines += [f"  wire {_net(bit)};" for bit in sorted(port_bits | set(_cell_nets(netlist.cells)))]
    for name, (direction, bits) in netlist.ports.items():
        for index, bit in enumerate(bits):
            port = _verilog_name(name) + (f"[{index}]" if len(bits) > 1 else "")
            if direction == "input" and isinstance(bit, int):
                lines.append(f"  assign {_net(bit)} = {port};")
            elif direction == "output":
                lines.append(f"  assign {port} = {_net(bit)};")
    modules = []
    for index, (group, cells) in enumerate(groups.items()):
        nets = ", ".join(map(_net, _cell_nets(cells)))
        modules += _group_module(f"asic_power_group{index}", cells)
        lines.append(f"  asic_power_group{index} {group} ({nets});")
    return "\n".join([*modules, *lines, "endmodule"]) + "\n"


def _group_module(name: str, cells: Sequence[CellInstance]) -> list[str]:
    """A module of *cells* whose ports are the nets they touch, in :func:`_cell_nets` order."""
    nets = _cell_nets(cells)
    driven = {cell.pins.get(pin) for cell in cells for pin in cell.outputs}
    return [f"module {name}({', '.join(map(_net, nets))});",
            *(f"  {'output' if bit in driven else 'input'} {_net(bit)};" for bit in nets),
            *(f"  {_verilog_name(cell.type)} {_verilog_name(cell.name)} ("
              + ", ".join(f".{_verilog_name(pin)}({_net(bit)})" for pin, bit in cell.pins.items()) + ");"
              for cell in cells),
            "endmodule"]


def _cell_nets(cells: Sequence[CellInstance]) -> list[int]:
    return sorted({bit for cell in cells for bit in cell.pins.values() if isinstance(bit, int)})


def _net(bit: int | str) -> str:
    return f"_net{bit}_" if isinstance(bit, int) else _CONSTANTS[bit]


def simulation_sdf(sdf: str, netlist: MappedNetlist) -> str:
    """OpenSTA's SDF for :func:`simulation_verilog`: each cell instance in its group, and the max
    delay in all three fields (OpenSTA writes ``(min::max)``, and Icarus would take the empty typical
    value)."""
    divider = (re.search(r"\(DIVIDER\s+(\S)\s*\)", sdf) or [".", "."])[1]
    groups = cell_groups(netlist)

    def instance(match: re.Match) -> str:
        group = groups.get(match[1].replace("\\", ""))  # OpenSTA escapes special characters
        if group is None:
            raise ActivityError(f"the SDF names an instance {match[1]} that {netlist.top} does not have")
        return f"(INSTANCE {group}{divider}{match[1]})"

    sdf = re.sub(r"\(INSTANCE\s+([^()\s]+)\s*\)", instance, sdf)
    return re.sub(r"\(([-\d.eE+]*)::([-\d.eE+]+)\)", r"(\2:\2:\2)", sdf)


def testbench_verilog(netlist: MappedNetlist, watched: Watched, clock_port: str, period_ps: int, words: int,
                      start_cycle: int, cycles: int, initial_state: Sequence[str] = ()) -> str:
    """Module :data:`TB_MODULE`: every input but the clock from :data:`STIMULUS`, one word per clock
    (the input ports concatenated in port order, the first in the lowest bits); the output ports in
    binary at every rising edge into :data:`OUTPUTS`; each watched net's transitions (and for input
    ports the time at 1) from rising edge ``start_cycle`` for ``cycles`` periods into :data:`TOGGLES`.

    *initial_state*: the flip-flop outputs held at 0 until after the first rising edge. Silicon starts
    at some value; a gate-level simulation starts at x, and a register whose next state depends on its
    own through reconvergent logic (the never-set sign bit of an unsigned sum) would stay x for ever.
    The outputs are checked against the golden model all the same.

    Each net's counter is an instance of its own (:data:`NET_COUNTER`, :data:`PORT_COUNTER`): Icarus
    searches a scope's events one by one for every name it resolves there, so thousands of ``always``
    blocks in the testbench's own scope made compiling the bf16 MAC's testbench take 6 s.
    """
    inputs, outputs = netlist.ports_of("input", clock_port), netlist.ports_of("output", clock_port)
    clock = _verilog_name(clock_port)
    width = max(1, sum(w for _, w in inputs))
    start = period_ps // 2 + start_cycle * period_ps  # rising edge j comes half a period after j periods
    connections, offset = [f".{clock}({clock})"], 0
    for name, bits in inputs:
        connections.append(f".{_verilog_name(name)}(word[{offset + bits - 1}:{offset}])")
        offset += bits
    connections += [f".{_verilog_name(name)}(out{index})" for index, (name, _) in enumerate(outputs)]
    captured = ", ".join(f"out{index}" for index in reversed(range(len(outputs)))) or "1'b0"
    counting = f"{TB_MODULE}.counting"
    lines = ["`timescale 1ps/1ps",
             f"module {NET_COUNTER}(input net);", "  integer toggles = 0;", "  time high = 0;",
             f"  always @(net) toggles = toggles + {counting};", "endmodule",
             f"module {PORT_COUNTER}(input net);", "  integer toggles = 0;", "  time rose = 0, high = 0;",
             f"  always @(net) toggles = toggles + {counting};",
             f"  always @(net) if ({counting}) begin",
             "    if (net) rose = $time; else high = high + $time - rose;", "  end",
             "endmodule",
             f"module {TB_MODULE};", f"  reg {clock} = 1'b0;",
             f"  reg [{width - 1}:0] stimulus [0:{words - 1}];", f"  reg [{width - 1}:0] word;",
             "  integer cycle = 0, outputs, report, unknown = 0, counting = 0;",
             *(f"  wire [{bits - 1}:0] out{index};" for index, (_, bits) in enumerate(outputs)),
             f"  {_verilog_name(netlist.top)} dut({', '.join(connections)});",
             f"  always #{period_ps // 2} {clock} = ~{clock};",
             f"  always @(posedge {clock}) begin",
             f"    $fwrite(outputs, \"%b\\n\", {{{captured}}});",
             f"    cycle = cycle + 1; if (cycle < {words}) word <= stimulus[cycle];",
             "  end"]
    nets = list(enumerate(zip(watched.references, watched.ports, strict=True)))
    lines += [f"  {PORT_COUNTER if port else NET_COUNTER} c{n} ({ref});" for n, (ref, port) in nets]
    known = [f"    if ({ref} !== 1'b0 && {ref} !== 1'b1) unknown = unknown + 1;"
             for ref in watched.references]
    if initial_state:
        lines += ["  initial begin", *(f"    force {ref} = 1'b0;" for ref in initial_state),
                  f"    #{period_ps};", *(f"    release {ref};" for ref in initial_state), "  end"]
    lines += ["  initial begin", f"    $readmemh(\"{STIMULUS}\", stimulus);", "    word = stimulus[0];",
              f"    outputs = $fopen(\"{OUTPUTS}\", \"w\");", f"    $sdf_annotate(\"{SIM_SDF}\", dut);",
              f"    #{start};", "    counting = 1;", *known,
              *(f"    if ({ref} === 1'b1) c{n}.rose = $time;" for n, (ref, port) in nets if port),
              f"    #{cycles * period_ps};", "    counting = 0;", *known,
              *(f"    if ({ref} === 1'b1) c{n}.high = c{n}.high + $time - c{n}.rose;"
                for n, (ref, port) in nets if port),
              f"    report = $fopen(\"{TOGGLES}\", \"w\");",
              "    $fwrite(report, \"unknown %0d\\n\", unknown);",
              *(f"    $fwrite(report, \"%0d %0d\\n\", c{n}.toggles, c{n}.high);" for n, _ in nets),
              "    $fclose(report); $fclose(outputs);", "    $finish;", "  end", "endmodule"]
    return "\n".join(lines) + "\n"


def stimulus_words(netlist: MappedNetlist, clock_port: str,
                   columns: Mapping[str, Sequence[int]]) -> list[int]:
    """Input words (see :func:`testbench_verilog`) from one column of values per input port but the clock."""
    inputs = netlist.ports_of("input", clock_port)
    missing = [name for name, _ in inputs if name not in columns]
    if missing:
        raise ValueError(f"no stimulus for input port {missing[0]} of {netlist.top}")
    count = len(columns[inputs[0][0]]) if inputs else 0
    words, offset = [0] * count, 0
    for name, width in inputs:
        if len(columns[name]) != count:
            raise ValueError(f"stimulus for {name} has {len(columns[name])} values, not {count}")
        for i, value in enumerate(columns[name]):
            words[i] |= (int(value) & ((1 << width) - 1)) << offset
        offset += width
    return words


def simulate(netlist: MappedNetlist, cells: CellLibrary, sdf: Path, words: Sequence[int],
             start_cycle: int, cycles: int, clock_ns: float, *, clock_port: str = DEFAULT_CLOCK_PORT,
             work_dir: Path, timeout: float | None = None) -> NetActivity:
    """Run the mapped netlist on Icarus with the library's cell models and the SDF's delays.

    ``words[j]`` is on the inputs from rising edge ``j - 1`` on (word 0 from the start), so the design
    samples it at edge ``j``; transitions are counted from edge ``start_cycle`` for ``cycles`` periods.
    """
    if not 0 <= start_cycle < start_cycle + cycles < len(words):
        raise ValueError(f"{len(words)} stimulus words cannot cover clock edges {start_cycle} to "
                         f"{start_cycle + cycles}")
    period_ps = 2 * max(1, round(clock_ns * 500))
    watched = watched_nets(netlist, clock_port)
    # The models' 10 ps precision would round the SDF's delays and make distinct edges coincide.
    models = cells.verilog.read_text(errors="replace")
    (work_dir / CELL_MODELS).write_text(re.sub(r"`timescale\s+\S+\s*/\s*\S+", "`timescale 1ns/1ps", models))
    (work_dir / SIM_SDF).write_text(simulation_sdf(sdf.read_text(), netlist))
    digits = max(1, -(-sum(w for _, w in netlist.ports_of("input", clock_port)) // 4))
    (work_dir / STIMULUS).write_text("".join(f"{word:0{digits}x}\n" for word in words))
    for stale in (OUTPUTS, TOGGLES):
        (work_dir / stale).unlink(missing_ok=True)
    liberty = read_liberty(cells.liberty)
    groups = cell_groups(netlist)
    state = [f"dut.{groups[cell.name]}.{_verilog_name(cell.name)}.{_verilog_name(pin)}"
             for cell in netlist.cells if liberty.cells[cell.type].sequential for pin in sorted(cell.outputs)]
    (work_dir / TESTBENCH).write_text(testbench_verilog(netlist, watched, clock_port, period_ps, len(words),
                                                        start_cycle, cycles, state))
    (work_dir / SIM_NETLIST).write_text(simulation_verilog(netlist))
    iverilog, vvp = toolchain.find_tool("iverilog"), toolchain.find_tool("vvp")
    _check_run(_run([*iverilog.argv, "-gspecify", "-o", "power_sim.vvp", "-s", TB_MODULE, TESTBENCH,
                     CELL_MODELS, SIM_NETLIST], work_dir, "iverilog", timeout), "iverilog", work_dir)
    _check_run(_run([*vvp.argv, "-n", "power_sim.vvp"], work_dir, "vvp", timeout), "vvp", work_dir)
    if not (work_dir / TOGGLES).is_file():
        raise ActivityError(f"the power testbench wrote no {TOGGLES} in {work_dir}")
    head, *lines = (work_dir / TOGGLES).read_text().splitlines()
    unknown = int(head.split()[1])
    if unknown or len(lines) != len(watched.bits):
        raise ActivityError(f"{netlist.top}: {unknown} nets were x or z at the ends of the measured window, "
                            f"{len(lines)} of {len(watched.bits)} counted: is every flip-flop reset? "
                            f"({work_dir})")
    toggles, duty = {}, {}
    for bit, port, line in zip(watched.bits, watched.ports, lines, strict=True):
        count, high = line.split()
        toggles[bit] = int(count)
        if port:
            duty[bit] = min(1.0, int(high) / (cycles * period_ps))
    return NetActivity(MappingProxyType(toggles), MappingProxyType(duty), cycles,
                       tuple((work_dir / OUTPUTS).read_text().split()),
                       tuple(netlist.ports_of("output", clock_port)))


def output_columns(found: NetActivity) -> dict[str, list[int]]:
    """Each output port's value at every rising edge (-1 where a bit was x or z)."""
    columns: dict[str, list[int]] = {name: [] for name, _ in found.output_ports}
    for word in found.outputs:
        end = len(word)
        for name, width in found.output_ports:
            bits, end = word[end - width:end], end - width
            columns[name].append(int(bits, 2) if bits and set(bits) <= {"0", "1"} else -1)
    return columns


def _run(argv: Sequence[str], cwd: Path, what: str, timeout: float | None) -> subprocess.CompletedProcess:
    try:
        return lifetime.run(argv, cwd=cwd, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                            errors="replace", timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        raise ActivityError(f"{what} took longer than {timeout:g} s in {cwd}") from None


def _check_run(completed: subprocess.CompletedProcess, what: str, cwd: Path) -> None:
    if completed.returncode != 0:
        lines = [line for line in (completed.stderr + completed.stdout).splitlines()
                 if line.strip() and "warning" not in line]
        raise ActivityError(f"{what} failed in {cwd}: {lines[-1] if lines else completed.returncode}")


__all__ = ["NetActivity", "Watched", "cell_groups", "output_columns", "simulate", "simulation_sdf",
           "simulation_verilog", "stimulus_words", "testbench_verilog", "watched_nets"]
