"""A flat netlist of library cells, as Yosys reads the Verilog that synthesis mapped.

:func:`netlist_from_verilog` has Yosys read the mapped Verilog (the library's cells as black boxes)
and write JSON; :func:`read_mapped_netlist` turns that into a :class:`MappedNetlist` whose nets are
Yosys's bit numbers, with each net's driver and loads.
"""

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

from hwgen.fpga.yosys_flow import quote_path, run_yosys
from hwgen.toolchain import CellLibrary

JSON_SCRIPT = "power_json.ys"
JSON_LOG = "power_json.log"
NETLIST_JSON = "power_netlist.json"


@dataclass(frozen=True)
class CellInstance:
    name: str
    type: str
    pins: Mapping[str, int | str]  # pin -> net bit, or a constant ("0", "1", "x", "z")
    outputs: frozenset[str]


@dataclass(frozen=True)
class MappedNetlist:
    """A flat netlist of library cells (Yosys's JSON of the mapped Verilog; nets are Yosys bits)."""

    top: str
    ports: Mapping[str, tuple[str, tuple[int | str, ...]]]  # name -> (direction, bits LSB first)
    cells: tuple[CellInstance, ...]

    def ports_of(self, direction: str, clock_port: str) -> list[tuple[str, int]]:
        """(name, width) of the ports of *direction*, the clock left out, in port order."""
        return [(name, len(bits)) for name, (way, bits) in self.ports.items()
                if way == direction and name != clock_port]

    def drivers(self) -> dict[int, tuple[str, str, int | str]]:
        """Net bit -> its driver: ("port", port, bit index) or ("cell", instance, pin)."""
        found: dict[int, tuple[str, str, int | str]] = {}
        for name, (direction, bits) in self.ports.items():
            if direction == "input":
                found.update((bit, ("port", name, index)) for index, bit in enumerate(bits)
                             if isinstance(bit, int))
        for cell in self.cells:
            for pin in sorted(cell.outputs):
                bit = cell.pins.get(pin)
                if isinstance(bit, int):
                    if bit in found:
                        raise ValueError(f"{self.top}: net {bit} has two drivers, {found[bit][1]} and "
                                         f"{cell.name}")
                    found[bit] = ("cell", cell.name, pin)
        return found

    def loads(self) -> dict[int, list[tuple[str, str]]]:
        """Net bit -> the cell input pins (instance, pin) on it."""
        found: dict[int, list[tuple[str, str]]] = {}
        for cell in self.cells:
            for pin, bit in cell.pins.items():
                if pin not in cell.outputs and isinstance(bit, int):
                    found.setdefault(bit, []).append((cell.name, pin))
        return found


def read_mapped_netlist(netlist_json: Mapping, top: str) -> MappedNetlist:
    modules = netlist_json.get("modules", {})
    if top not in modules:
        raise ValueError(f"mapped netlist has no module {top!r} (modules: {', '.join(modules) or 'none'})")
    module = modules[top]
    cells = []
    for name, cell in module.get("cells", {}).items():
        pins = {pin: bits[0] for pin, bits in cell["connections"].items() if len(bits) == 1}
        outputs = frozenset(pin for pin, way in cell.get("port_directions", {}).items() if way == "output")
        cells.append(CellInstance(name, cell["type"], MappingProxyType(pins), outputs))
    ports = {name: (port["direction"], tuple(port["bits"])) for name, port in module.get("ports", {}).items()}
    return MappedNetlist(top, MappingProxyType(ports), tuple(cells))


def readback_commands(liberty: str, verilog: str, top: str, netlist_json: str) -> list[str]:
    """The Yosys commands that read mapped Verilog back (the library's cells as black boxes) and write
    it as JSON: the netlist as OpenSTA and the simulation see it, with the cell names of the Verilog
    file rather than of the design it was written from. Paths as Yosys sees them."""
    return [f"read_liberty -lib {quote_path(liberty)}", f"read_verilog {quote_path(verilog)}",
            f"hierarchy -top {top}", f"write_json {quote_path(netlist_json)}"]


def netlist_from_verilog(verilog: Path, top: str, cells: CellLibrary, work_dir: Path,
                         timeout: float | None) -> MappedNetlist:
    """Yosys reads the mapped Verilog with the library's cells as black boxes and writes JSON."""
    # yowasp's sandbox has a private /tmp: Yosys sees every path relative to the work folder.
    liberty, source = (os.path.relpath(path.resolve(), work_dir) for path in (cells.liberty, verilog))
    (work_dir / JSON_SCRIPT).write_text("".join(f"{line}\n" for line in readback_commands(
        liberty, source, top, NETLIST_JSON)))
    run_yosys(work_dir, JSON_SCRIPT, JSON_LOG, work_dir / NETLIST_JSON, f"yosys reading {verilog}", timeout)
    return read_mapped_netlist(json.loads((work_dir / NETLIST_JSON).read_text()), top)


__all__ = ["CellInstance", "MappedNetlist", "netlist_from_verilog", "read_mapped_netlist",
           "readback_commands"]
