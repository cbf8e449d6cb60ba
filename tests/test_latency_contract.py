"""Every unit kind takes exactly the latency its manifest states, on Icarus and on Verilator.

The measurement is independent of the units' own harnesses (:mod:`hwgen.sim.stream_harness` and the
checkers built on it): units come from ``hwgen generate``, and a plain Verilog testbench is written
from each manifest alone (its ports, its streams' ``valid`` / ``ready`` / ``payload`` names, the
offset of the input stream's ``last`` field, ``latency``). After reset it offers one item on stream
``i`` (``last`` set where the stream has it, every other bit 0), holds every other input stream idle
and ``o.ready`` high, and counts rising clock edges from the edge that takes the item to the first
edge that sees ``o.valid``. A MAC with ``pipeline`` 1 answers at the next edge: latency 1.

All units of a simulator share one testbench, one build and one run.
"""

import json
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from hwgen import toolchain
from hwgen.cli import main
from hwgen.sim.runner import SIMULATORS

pytestmark = pytest.mark.tools

TB = "hwgen_latency_tb"
RESET_CYCLES = 3
IDLE_CYCLES = 2  # after reset, before the item is offered


@dataclass(frozen=True)
class Unit:
    id: str
    argv: tuple[str, ...]  # `hwgen generate` arguments, without --name and --out


UNITS = [
    Unit("mac-int8-fixed-p1", ("mac", "--a", "int8", "--b", "int8", "--pipeline", "1")),
    Unit("mac-fp8_e5m2-fp32-p3", ("mac", "--a", "fp8_e5m2", "--b", "fp8_e5m2", "--acc", "fp32")),
    Unit("mac-int8-fixed-p2-sb_mac16", ("mac", "--a", "int8", "--b", "int8", "--pipeline", "2", "--dsp",
                                         "sb_mac16")),
    Unit("mac-fp8_e4m3fn-fixed-p2-acc2", ("mac", "--a", "fp8_e4m3fn", "--b", "fp8_e4m3fn", "--pipeline", "2",
                                           "--acc-stages", "2")),
    Unit("mac-fp4_e2m1-fixed-p1-ccu2c", ("mac", "--a", "fp4_e2m1", "--b", "fp4_e2m1", "--pipeline", "1",
                                          "--acc-adder", "ccu2c")),
    Unit("mac-int8-fixed-p2-acc2-carry_save", ("mac", "--a", "int8", "--b", "int8", "--pipeline", "2",
                                               "--acc-stages", "2", "--acc-adder", "carry_save")),
    Unit("mac-fp8_e4m3fn-fixed-p5-acc4-carry_save", ("mac", "--a", "fp8_e4m3fn", "--b", "fp8_e4m3fn",
                                                     "--pipeline", "5", "--acc-stages", "4", "--acc-adder",
                                                     "carry_save")),
    Unit("mac-fp8_e5m2-fixed-p5-window", ("mac", "--a", "fp8_e5m2", "--b", "fp8_e5m2", "--pipeline", "5")),
    Unit("systolic-int8-pe1-s1-p1", ("systolic", "--a", "int8", "--b", "int8", "--pes", "1", "--simd", "1",
                                     "--pipeline", "1", "--depth", "4")),
    Unit("systolic-fp8_e4m3fn-pe3-s2-p2", ("systolic", "--a", "fp8_e4m3fn", "--b", "fp8_e4m3fn", "--pes", "3",
                                           "--simd", "2", "--pipeline", "2", "--depth", "4")),
    Unit("systolic-fp8_e5m2-fp32-pe2-p3", ("systolic", "--a", "fp8_e5m2", "--b", "fp8_e5m2", "--acc", "fp32",
                                           "--pes", "2", "--depth", "4")),
    Unit("mxdot-mxint8-fp32-p1", ("mxdot", "--elem", "mxint8", "--block", "4", "--pipeline", "1")),
    Unit("mxdot-mxfp4-fixed-p3", ("mxdot", "--elem", "mxfp4", "--block", "4", "--acc", "fixed")),
    Unit("nnlut-gelu-int8_f4-p1", ("nnlut", "--func", "gelu", "--entries", "8", "--in", "int8_f4",
                                   "--out-format", "int8_f3", "--pipeline", "1")),
    Unit("nnlut-exp-fp8_e4m3fn-p4", ("nnlut", "--func", "exp", "--entries", "8", "--in", "fp8_e4m3fn",
                                     "--out-format", "fp8_e4m3fn")),
]


def reference_unit(folder: Path, registers: int) -> dict:
    """A hand-written unit whose ``o.valid`` is ``i.valid`` through ``registers`` registers, and its
    manifest: latency ``registers`` by the contract (one register answers at the next edge)."""
    name = f"latency_reference{registers}"
    shift = "i__valid" if registers == 1 else f"{{v[{registers - 2}:0], i__valid}}"
    (folder / f"{name}.v").write_text(f"""\
module {name} (input wire clk, input wire rst, input wire i__valid, output wire i__ready,
               input wire [1:0] i__payload, output wire o__valid, input wire o__ready,
               output wire [0:0] o__payload);
    reg [{registers - 1}:0] v;
    always @(posedge clk) v <= rst ? {registers}'d0 : {shift};
    assign i__ready = 1'b1;
    assign o__valid = v[{registers - 1}];
    assign o__payload = 1'b0;
endmodule
""")
    ports = [("clk", "in", 1), ("rst", "in", 1), ("i__valid", "in", 1), ("i__ready", "out", 1),
             ("i__payload", "in", 2), ("o__valid", "out", 1), ("o__ready", "in", 1), ("o__payload", "out", 1)]
    stream = {"valid": "{}__valid", "ready": "{}__ready", "payload": "{}__payload"}
    return {"module": name, "verilog": f"{name}.v", "folder": str(folder), "latency": registers,
            "ports": [{"name": n, "dir": d, "width": w} for n, d, w in ports],
            "streams": {"i": {"direction": "in", **{k: v.format("i") for k, v in stream.items()},
                              "fields": {"x": {"offset": 0, "width": 1, "signed": False},
                                         "last": {"offset": 1, "width": 1, "signed": False}}},
                        "o": {"direction": "out", **{k: v.format("o") for k, v in stream.items()},
                              "fields": {"y": {"offset": 0, "width": 1, "signed": False}}}}}


REFERENCES = (1, 2)  # the testbench's own check: hand-written units of known latency
DOT_ITEMS = 3  # a second copy of every unit with `last` takes a dot product of this many items


@dataclass(frozen=True)
class Measurement:
    """One instance in the testbench: a unit and the items it is offered (``last`` on the final one)."""

    id: str
    manifest: dict
    items: int


@pytest.fixture(scope="module")
def measurements(tmp_path_factory) -> list[Measurement]:
    references, out = tmp_path_factory.mktemp("latency_references"), tmp_path_factory.mktemp("latency_units")
    found = [Measurement(f"reference-{n}-registers", reference_unit(references, n), 1) for n in REFERENCES]
    for index, unit in enumerate(UNITS):
        name = f"latency_unit{index}"
        assert main(["generate", *unit.argv, "--name", name, "--out", str(out)]) == 0, unit.id
        manifest = json.loads((out / f"{name}.json").read_text()) | {"folder": str(out)}
        found.append(Measurement(unit.id, manifest, 1))
        if "last" in manifest["streams"]["i"]["fields"]:
            found.append(Measurement(f"{unit.id}-{DOT_ITEMS}-items", manifest, DOT_ITEMS))
    return found


def _ports_of(manifest: dict, k: int) -> tuple[list[str], list[str]]:
    """(declarations, connections) of instance ``k``: ``i`` driven, other inputs idle, ``o`` always ready."""
    streams = manifest["streams"]
    width = {port["name"]: port["width"] for port in manifest["ports"]}
    declarations, connections = [], [".clk(clk)", ".rst(rst)"]
    covered = {"clk", "rst"}
    for name, stream in streams.items():
        valid, ready, payload = stream["valid"], stream["ready"], stream["payload"]
        covered |= {valid, ready, payload}
        if name == "i":
            bits = width[payload]
            declarations += [f"reg u{k}_valid = 1'b0;", f"wire u{k}_ready;",
                             f"reg [{bits - 1}:0] u{k}_payload = {bits}'d0;"]
            connections += [f".{valid}(u{k}_valid)", f".{ready}(u{k}_ready)", f".{payload}(u{k}_payload)"]
        elif stream["direction"] == "in":
            connections += [f".{valid}(1'b0)", f".{ready}()", f".{payload}({width[payload]}'d0)"]
        else:
            assert name == "o", f"unexpected output stream {name}"
            declarations += [f"wire u{k}_out_valid;", f"wire [{width[payload] - 1}:0] u{k}_out_payload;"]
            connections += [f".{valid}(u{k}_out_valid)", f".{ready}(1'b1)", f".{payload}(u{k}_out_payload)"]
    assert covered == set(width), f"ports outside the streams: {set(width) - covered}"
    return declarations, connections


def latency_testbench(measurements: list[Measurement]) -> str:
    """One Verilog-2005 testbench for every measurement, clocked from outside. From edge START on,
    instance k offers its items back to back; it prints ``latency K FIRST LAST SEEN``: the edges
    that took its first and its last item and the first edge that saw ``o.valid`` (-1: never)."""
    start = RESET_CYCLES + IDLE_CYCLES
    end = start + max(m.items - 1 + m.manifest["latency"] for m in measurements) + 20
    body, drive = [], []
    for k, measurement in enumerate(measurements):
        declarations, connections = _ports_of(measurement.manifest, k)
        fields = measurement.manifest["streams"]["i"]["fields"]
        body += [*(f"    {line}" for line in declarations),
                 *(f"    integer u{k}_{name} = {value};"
                   for name, value in (("sent", 0), ("first", -1), ("last", -1), ("seen", -1))),
                 f"    {measurement.manifest['module']} u{k} ({', '.join(connections)});",
                 "    always @(posedge clk) begin",
                 f"        if (!rst && u{k}_valid && u{k}_ready) begin",
                 f"            if (u{k}_first < 0) u{k}_first = edges;",
                 f"            u{k}_sent = u{k}_sent + 1;",
                 f"            if (u{k}_sent == {measurement.items}) u{k}_last = edges;",
                 "        end",
                 f"        if (!rst && u{k}_out_valid && u{k}_seen < 0) u{k}_seen = edges;",
                 "    end", ""]
        drive.append(f"            u{k}_valid = u{k}_sent < {measurement.items};")
        if "last" in fields:
            drive.append(f"            u{k}_payload[{fields['last']['offset']}] = "
                         f"u{k}_sent == {measurement.items - 1};")
    reports = [f'            $display("latency {k} %0d %0d %0d", u{k}_first, u{k}_last, u{k}_seen);'
               for k in range(len(measurements))]
    return "\n".join([
        f"module {TB} (input wire clk);",
        "    reg rst = 1'b1;",
        "    integer edges = 0;  // rising edges before this one (the edge a posedge block runs at)",
        "    always @(posedge clk) edges <= edges + 1;",
        "",
        *body,
        "    always @(negedge clk) begin  // inputs change between rising edges",
        f"        if (edges == {RESET_CYCLES}) rst = 1'b0;",
        f"        if (edges >= {start}) begin",
        *drive,
        "        end",
        f"        if (edges == {end}) begin",
        *reports,
        "            $finish;",
        "        end",
        "    end",
        "endmodule",
        "",
    ])


ICARUS_CLOCK = f"""\
module {TB}_clock;
    reg clk = 1'b0;
    always #5 clk = ~clk;
    {TB} tb (.clk(clk));
endmodule
"""

VERILATOR_CLOCK = f"""\
#include "V{TB}.h"
#include "verilated.h"

int main(int argc, char** argv) {{
    VerilatedContext context;
    context.commandArgs(argc, argv);
    V{TB} top{{&context}};
    for (int half_cycles = 0; half_cycles < 100000 && !context.gotFinish(); ++half_cycles) {{
        top.clk = !top.clk;
        top.eval();
    }}
    top.final();
    return context.gotFinish() ? 0 : 1;
}}
"""


def simulate(simulator: str, measurements: list[Measurement], folder: Path) -> list[tuple[int, int, int]]:
    """Build and run the testbench; per measurement (first item's edge, last item's edge, o.valid's)."""
    folder.mkdir(parents=True, exist_ok=True)
    tb = folder / f"{TB}.v"
    tb.write_text(latency_testbench(measurements))
    units = {str(Path(m.manifest["folder"]) / m.manifest["verilog"]): None for m in measurements}
    sources = [*units, str(tb)]
    environment = toolchain.simulator_environment(simulator)
    if simulator == "icarus":
        clock, model = folder / f"{TB}_clock.v", folder / "sim.vvp"
        clock.write_text(ICARUS_CLOCK)
        commands = [[*toolchain.find_tool("iverilog").argv, "-g2005", "-s", f"{TB}_clock", "-o", str(model),
                     *sources, str(clock)],
                    [*toolchain.find_tool("vvp").argv, "-n", str(model)]]
    else:
        clock, objects = folder / "main.cpp", folder / "obj"
        clock.write_text(VERILATOR_CLOCK)
        commands = [[*toolchain.find_tool("verilator").argv, "--cc", "--exe", "--build", "-Wno-fatal",
                     "-Wno-lint", "-Wno-style", "--top-module", TB, "-Mdir", str(objects), "-o", "tb",
                     *sources, str(clock)],
                    [str(objects / "tb")]]
    for command in commands:
        completed = subprocess.run(command, cwd=folder, env=environment, capture_output=True, text=True,
                                   check=False)
        assert completed.returncode == 0, f"{command[0]} failed:\n{completed.stdout}\n{completed.stderr}"
    lines = re.findall(r"^latency (\d+) (-?\d+) (-?\d+) (-?\d+)$", completed.stdout, re.MULTILINE)
    assert [int(k) for k, *_ in lines] == list(range(len(measurements))), completed.stdout
    return [(int(first), int(last), int(seen)) for _, first, last, seen in lines]


# Verilator's C++ build is most of this module's time.
SIMULATOR_PARAMS = [pytest.param(simulator, marks=[pytest.mark.slow] if simulator == "verilator" else [])
                    for simulator in SIMULATORS]


@pytest.fixture(scope="module", params=SIMULATOR_PARAMS)
def measured(request, measurements, tmp_path_factory) -> tuple[str, dict[str, tuple]]:
    """(simulator, measurement id -> (the measurement, its three edges))."""
    edges = simulate(request.param, measurements, tmp_path_factory.mktemp(request.param))
    return request.param, {m.id: (m, e) for m, e in zip(measurements, edges, strict=True)}


IDS = [*(f"reference-{n}-registers" for n in REFERENCES),
       *(f"{unit.id}{suffix}" for unit in UNITS
         for suffix in ("", *([f"-{DOT_ITEMS}-items"] if unit.argv[0] != "nnlut" else [])))]


@pytest.mark.parametrize("measurement", IDS)
def test_measured_latency_is_the_manifests(measured, measurement):
    simulator, results = measured
    m, (first, last, seen) = results[measurement]
    assert last >= 0, f"{simulator}: {m.id} did not take its {m.items} items"
    assert seen >= 0, f"{simulator}: {m.id} never raised o.valid"
    assert last - first == m.items - 1, f"{simulator}: {m.id} did not take its items back to back"
    assert seen - last == m.manifest["latency"], f"{simulator}: {m.id}"
    if "timing" in m.manifest:  # the systolic array's fill_cycles: from the first item to the result
        assert m.manifest["timing"]["fill_cycles"] == "items - 1 + latency"
        assert seen - first == m.items - 1 + m.manifest["latency"], f"{simulator}: {m.id}"
