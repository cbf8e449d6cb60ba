"""Unit-delay simulation of a Yosys gate netlist with Icarus Verilog, and toggle counting.

A netlist of the ``gates`` flow (:mod:`hwgen.fpga.yosys_flow`: two-input gates, NOT and plain D
flip-flops) is read from Yosys's JSON and written back as a simulation netlist with one 1-bit wire
``n<bit>`` per net.

Delay model: **unit gate delay**. Every gate output is ``assign #1`` of its inputs and flip-flops
update at the clock edge; with a clock period longer than twice the deepest gate path every net
settles between edges. A net's toggles are the changes of its value from one time unit to the next,
so a gate whose inputs arrive at different times can switch more than once per cycle: these glitches
are counted. (Icarus carries pulses of one time unit through ``assign #1``; several changes of a
gate's inputs within one time unit give one output change, to the value the last one computes.)
The netlist is written from the JSON rather than by adding ``#1`` to each ``assign`` of Yosys's
Verilog netlist because that netlist also holds plain aliases and bus slices as ``assign``: they are
wires, not gates, and a delay on them would add steps (and glitches) that no gate makes.
Flip-flops start at their ``init`` value, or 0 where Yosys gives none.

Toggles are counted from a VCD that the testbench writes for the measured window only.
"""

import os
import re
import subprocess
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

import numpy as np

from hwgen import lifetime, toolchain
from hwgen.errors import HwgenError

SIM_MODULE = "energy_netlist"
VCD_NAME = "window.vcd"

_GATES = {
    "$_BUF_": ("A",), "$_NOT_": ("A",), "$_AND_": ("A", "B"), "$_NAND_": ("A", "B"),
    "$_OR_": ("A", "B"), "$_NOR_": ("A", "B"), "$_XOR_": ("A", "B"), "$_XNOR_": ("A", "B"),
    "$_ANDNOT_": ("A", "B"), "$_ORNOT_": ("A", "B"), "$_MUX_": ("A", "B", "S"), "$_NMUX_": ("A", "B", "S"),
}
_EXPRESSIONS = {
    "$_BUF_": "{A}", "$_NOT_": "~{A}", "$_AND_": "{A} & {B}", "$_NAND_": "~({A} & {B})",
    "$_OR_": "{A} | {B}", "$_NOR_": "~({A} | {B})", "$_XOR_": "{A} ^ {B}", "$_XNOR_": "~({A} ^ {B})",
    "$_ANDNOT_": "{A} & ~{B}", "$_ORNOT_": "{A} | ~{B}", "$_MUX_": "{S} ? {B} : {A}",
    "$_NMUX_": "~({S} ? {B} : {A})",
}
# Flip-flops the gates flow leaves (dfflegalize): plain, or with an asynchronous reset / set.
_FLOPS = re.compile(r"\$_DFF_P(?:([NP])([01]))?_")
_NET_NAME = re.compile(r"n(\d+)")


class ActivityError(HwgenError):
    """The gate-level simulation failed, or its netlist computed a wrong result."""


# -- the gate netlist --------------------------------------------------------------------------------

@dataclass(frozen=True)
class Gate:
    type: str
    inputs: Mapping[str, int | str]  # pin -> net bit (int) or constant ("0", "1", "x", "z")
    output: int


@dataclass(frozen=True)
class Flop:
    type: str
    clock: int
    d: int | str
    q: int
    reset: int | str | None  # asynchronous reset / set pin, if any
    reset_active: str | None  # "P" (high) or "N" (low)
    reset_value: str | None
    init: str  # "0" or "1"


@dataclass(frozen=True)
class GateNetlist:
    """A flattened gate netlist read from Yosys's JSON (net bits are Yosys's bit numbers)."""

    top: str
    ports: Mapping[str, tuple[str, tuple[int | str, ...]]]  # name -> (direction, bits LSB first)
    gates: tuple[Gate, ...]
    flops: tuple[Flop, ...]
    depth: int  # gates on the longest path from an input or flip-flop to an output or flip-flop

    @property
    def input_bits(self) -> frozenset[int]:
        return frozenset(b for direction, bits in self.ports.values() if direction == "input"
                         for b in bits if isinstance(b, int))

    @property
    def clock_bits(self) -> frozenset[int]:
        return frozenset(flop.clock for flop in self.flops)

    @property
    def driven_bits(self) -> frozenset[int]:
        """Nets driven by a cell of the netlist (a gate or a flip-flop)."""
        return frozenset([g.output for g in self.gates] + [f.q for f in self.flops])

    @property
    def nets(self) -> tuple[int, ...]:
        """Every net whose activity counts: inputs and cell outputs, not the clock, not constants."""
        return tuple(sorted((self.input_bits | self.driven_bits) - self.clock_bits))

    def fanout(self) -> dict[int, int]:
        """Cell input pins each net drives (gate inputs, flip-flop D and reset pins; not clock pins)."""
        pins = Counter()
        for gate in self.gates:
            pins.update(b for b in gate.inputs.values() if isinstance(b, int))
        for flop in self.flops:
            pins.update(b for b in (flop.d, flop.reset) if isinstance(b, int))
        return {net: pins.get(net, 0) for net in self.nets}


def read_netlist(netlist_json: Mapping, top: str) -> GateNetlist:
    """The gate netlist of module ``top`` from Yosys ``write_json`` output (parsed)."""
    modules = netlist_json.get("modules", {})
    if top not in modules:
        raise ValueError(f"netlist has no module {top!r} (modules: {', '.join(modules) or 'none'})")
    module = modules[top]
    init = _init_values(module.get("netnames", {}))
    gates, flops = [], []
    for name, cell in module.get("cells", {}).items():
        kind, pins = cell["type"], cell["connections"]
        if kind in _GATES:
            inputs = MappingProxyType({p: _bit(pins[p]) for p in _GATES[kind]})
            gates.append(Gate(kind, inputs, _bit(pins["Y"])))
            continue
        match = _FLOPS.fullmatch(kind)
        if match is None:
            raise ActivityError(f"cell {name} of type {kind} is not a gate or flip-flop of the gates flow")
        q = _bit(pins["Q"])
        flops.append(Flop(kind, _bit(pins["C"]), _bit(pins["D"]), q, _bit(pins["R"]) if match[1] else None,
                          match[1], match[2], init.get(q, "0")))
    ports = {name: (port["direction"], tuple(port["bits"])) for name, port in module.get("ports", {}).items()}
    inputs = {b for direction, bits in ports.values() if direction == "input" for b in bits}
    for flop in flops:
        if flop.clock not in inputs:
            raise ActivityError(f"flip-flop {flop.q} is clocked by net {flop.clock}, not by an input port")
    return GateNetlist(top, MappingProxyType(ports), tuple(gates), tuple(flops), _depth(gates))


def _bit(connection: Sequence) -> int | str:
    (bit,) = connection
    return bit


def _init_values(netnames: Mapping) -> dict[int, str]:
    values = {}
    for net in netnames.values():
        text = net.get("attributes", {}).get("init")
        if not isinstance(text, str) or len(text) != len(net["bits"]):
            continue
        for bit, value in zip(net["bits"], reversed(text), strict=True):  # the string is MSB first
            if isinstance(bit, int) and value in "01":
                values[bit] = value
    return values


def _depth(gates: Sequence[Gate]) -> int:
    """Longest chain of gates (Kahn's order); a combinational loop is an error."""
    by_output = {gate.output: gate for gate in gates}
    readers: dict[int, list[Gate]] = {}
    waiting = {}
    for gate in gates:
        sources = [b for b in gate.inputs.values() if b in by_output]
        waiting[gate.output] = len(sources)
        for source in sources:
            readers.setdefault(source, []).append(gate)
    level = {g.output: 1 for g in gates if waiting[g.output] == 0}
    ready = list(level)
    done = 0
    while ready:
        net = ready.pop()
        done += 1
        for reader in readers.get(net, ()):
            level[reader.output] = max(level.get(reader.output, 0), level[net] + 1)
            waiting[reader.output] -= 1
            if waiting[reader.output] == 0:
                ready.append(reader.output)
    if done != len(gates):
        raise ActivityError("the gate netlist has a combinational loop")
    return max(level.values(), default=0)


# -- simulation sources ------------------------------------------------------------------------------

def _net(bit: int | str) -> str:
    return f"n{bit}" if isinstance(bit, int) else f"1'b{bit}"


def simulation_verilog(netlist: GateNetlist) -> str:
    """Module :data:`SIM_MODULE`: the netlist with one wire per net and a unit delay per gate."""
    names = list(netlist.ports)
    lines = [f"module {SIM_MODULE}({', '.join(names)});"]
    for name, (direction, bits) in netlist.ports.items():
        vector = f" [{len(bits) - 1}:0]" if len(bits) > 1 else ""
        lines.append(f"  {direction}{vector} {name};")
    declared = set()
    for name, (direction, bits) in netlist.ports.items():
        if direction != "input":
            continue
        for index, bit in enumerate(bits):
            if bit not in declared:
                declared.add(bit)
                lines.append(f"  wire n{bit} = {name}" + (f"[{index}];" if len(bits) > 1 else ";"))
    for gate in netlist.gates:
        pins = {pin: _net(bit) for pin, bit in gate.inputs.items()}
        lines.append(f"  wire n{gate.output};")
        lines.append(f"  assign #1 n{gate.output} = {_EXPRESSIONS[gate.type].format(**pins)};")
    for flop in netlist.flops:
        lines.append(f"  reg n{flop.q} = 1'b{flop.init};")
        if flop.reset is None:
            lines.append(f"  always @(posedge n{flop.clock}) n{flop.q} <= {_net(flop.d)};")
            continue
        edge, level = ("posedge", "") if flop.reset_active == "P" else ("negedge", "!")
        lines.append(f"  always @(posedge n{flop.clock} or {edge} {_net(flop.reset)})")
        lines.append(f"    if ({level}{_net(flop.reset)}) n{flop.q} <= 1'b{flop.reset_value};"
                     f" else n{flop.q} <= {_net(flop.d)};")
    for name, (direction, bits) in netlist.ports.items():
        if direction == "output":
            lines.append(f"  assign {name} = {{{', '.join(_net(b) for b in reversed(bits))}}};")
    lines.append("endmodule")
    return "\n".join(lines) + "\n"


def count_toggles(vcd_path: os.PathLike | str) -> dict[int, int]:
    """Changes of every 1-bit net wire ``n<bit>`` after the VCD's initial ``$dumpvars`` values.

    The VCD holds one line per change of a scalar (value character, then the signal's code); the
    lines are counted with NumPy (a million lines a second in plain Python would dominate the cost).
    """
    data = Path(vcd_path).read_bytes()
    header_end = data.find(b"$enddefinitions")
    if header_end < 0:
        raise ActivityError(f"{vcd_path} is not a VCD file (no $enddefinitions)")
    codes: dict[bytes, list[int]] = {}
    for line in data[:header_end].splitlines():
        parts = line.split()
        if len(parts) >= 6 and parts[0] == b"$var" and parts[2] == b"1":
            match = _NET_NAME.fullmatch(parts[4].decode())
            if match:
                codes.setdefault(parts[3], []).append(int(match[1]))
    if not codes:
        return {}
    longest = max(map(len, codes))
    # Skip the initial values: the first $dumpvars ... $end block.
    initial = data.find(b"$dumpvars", header_end)
    body_start = data.find(b"$end", initial) + len(b"$end") if initial >= 0 else len(data)
    body = np.frombuffer(data, dtype=np.uint8)[body_start:]
    ends = np.flatnonzero(body == ord("\n"))
    starts = np.concatenate(([0], ends[:-1] + 1))
    lengths = ends - starts
    first = body[starts[lengths > 0]]
    starts, lengths = starts[lengths > 0], lengths[lengths > 0]
    values = np.frombuffer(b"01xz", dtype=np.uint8)
    scalar = np.isin(first, values) & (lengths >= 2) & (lengths <= longest + 1)
    starts, lengths = starts[scalar], lengths[scalar]
    keys = np.zeros(len(starts), dtype=np.int64)
    for k in range(1, longest + 1):
        byte = body[np.minimum(starts + k, len(body) - 1)].astype(np.int64)
        keys = keys * 256 + np.where(k < lengths, byte, 0)
    found, counts = np.unique(keys, return_counts=True)
    by_key = dict(zip(found.tolist(), counts.tolist(), strict=True))
    toggles = {}
    for code, bits in codes.items():
        key = int.from_bytes(code.ljust(longest, b"\0"), "big")
        for bit in bits:
            toggles[bit] = by_key.get(key, 0)
    return toggles


def run_simulation(netlist: GateNetlist, testbench: str, top: str, work_dir: os.PathLike | str, *,
                   timeout: float | None = None) -> dict[int, int]:
    """Compile ``testbench`` (module ``top``, instantiating :data:`SIM_MODULE`) with the netlist, run
    it in ``work_dir`` and return the toggles of every counted net in the VCD it wrote
    (:data:`VCD_NAME`; the testbench chooses the window). ``timeout``: seconds for each tool run."""
    work = Path(work_dir)
    work.mkdir(parents=True, exist_ok=True)
    (work / "netlist_sim.v").write_text(simulation_verilog(netlist))
    (work / "tb.v").write_text(testbench)
    (work / VCD_NAME).unlink(missing_ok=True)
    iverilog, vvp = toolchain.find_tool("iverilog"), toolchain.find_tool("vvp")
    _run([*iverilog.argv, "-o", "sim.vvp", "-s", top, "tb.v", "netlist_sim.v"], work, "iverilog", timeout)
    _run([*vvp.argv, "-n", "sim.vvp"], work, "vvp", timeout)
    if not (work / VCD_NAME).is_file():
        raise ActivityError(f"the testbench wrote no {VCD_NAME} in {work}")
    toggles = count_toggles(work / VCD_NAME)
    missing = set(netlist.nets) - set(toggles)
    if missing:
        raise ActivityError(f"the VCD has no wire for net {min(missing)}")
    return {net: toggles[net] for net in netlist.nets}


def _run(argv: Sequence[str], cwd: Path, what: str, timeout: float | None) -> None:
    try:
        completed = lifetime.run(argv, cwd=cwd, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                                 errors="replace", timeout=timeout, check=False)
    except subprocess.TimeoutExpired:  # "took longer than": the sweep's rows call that a timeout
        raise ActivityError(f"{what} took longer than {timeout:g} s in {cwd}") from None
    if completed.returncode != 0:
        lines = [line for line in (completed.stderr + completed.stdout).splitlines() if line.strip()]
        raise ActivityError(f"{what} failed in {cwd}: {lines[-1] if lines else completed.returncode}")
