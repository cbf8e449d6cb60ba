"""Switching activity of a MAC, multiplier or adder's gate netlist under realistic operand streams.

The gate netlist comes from the ``gates`` flow of :mod:`hwgen.fpga.yosys_flow` (a sweep's worker
passes the one it just synthesized) and is simulated with unit gate delays, glitches included
(:mod:`hwgen.fpga.gate_sim` states the delay model), driven by a generated testbench that streams
operand codes from a ``$readmemh`` memory: input ``valid`` held at 1, output ``ready`` at 1, so one
item (one MAC) per clock, and ``last`` every K items.

Toggles are counted over a measured window after a warm-up (reset, then :data:`WARMUP_CYCLES` items,
so every pipeline register holds stream data). The outputs the design produced are checked
bit-exactly against hwgen's golden model (MACs, rounding multipliers, adders) or exact products (exact
multipliers): an energy figure is only reported for a netlist that computes the right answers.

Operand streams: independent Gaussian or Laplace samples for ``a`` and ``b`` (NumPy's
``default_rng(seed)``) in tensors of :data:`TENSOR` values, each scaled so that its largest magnitude
meets the format's largest value (the scale then does not depend on how many MACs are simulated),
and encoded by the golden codec (nearest, ties to even, saturating). Units that round their result
(a multiplier with a result format, an adder) scale to a smaller peak so that no result overflows:
a product's operands to sqrt(result max) (fp16: 256), an adder's to half its max. Unsigned formats get the
samples' magnitudes (the way post-ReLU activations arrive), not a stream that is half zeros.
NN-LUT and uniform LUT units get one uniform stream over their table's range instead, whatever the
distribution (:mod:`hwgen.fpga.nnlut_activity`).
The stream, its packing into payload words and the check of the outputs are shared with the
standard-cell power measurement (:mod:`hwgen.fpga.asic_power`).
"""

import math
import os
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

import numpy as np

from hwgen import toolchain
from hwgen.formats import scalar_format
from hwgen.fpga import nnlut_activity
from hwgen.fpga.gate_sim import (
    SIM_MODULE,
    VCD_NAME,
    ActivityError,
    GateNetlist,
    run_simulation,
)

DISTRIBUTIONS = ("gaussian", "laplace")
TENSOR = 4096  # values per tensor: the unit of per-tensor max scaling, whatever the stream length
DEFAULT_TERMS = 16  # K: a MAC's dot products end (``last``) every K items
DEFAULT_MACS = 2048  # measured cycles (one item each) of a stream
MAX_MACS = 1 << 20
WARMUP_CYCLES = 32
RESET_CYCLES = 2
SETTLE_MARGIN = 2  # time units between the deepest path settling and the next clock edge
TB_MODULE = "energy_tb"
UNITS = ("mac", "mul", "add", *nnlut_activity.UNITS)  # units whose streams and results this module knows

__all__ = ["DISTRIBUTIONS", "Activity", "ActivityError", "check_outputs", "measure_activity", "pack_words",
           "quantize", "samples", "stimulus", "stream_fields", "unpack_words"]


# -- stream options ----------------------------------------------------------------------------------

def check_distribution(distribution) -> str:
    if distribution not in DISTRIBUTIONS:
        raise ValueError(f"distribution must be one of {', '.join(DISTRIBUTIONS)}, not {distribution!r}")
    return distribution


def check_count(value, name: str, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, not {type(value).__name__}")
    if not 1 <= value <= high:
        raise ValueError(f"{name} must be between 1 and {high}, not {value}")
    return value


def check_seed(seed) -> int:
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise TypeError(f"seed must be an int, not {type(seed).__name__}")
    if seed < 0:
        raise ValueError(f"seed must be 0 or more, not {seed}")
    return seed


def check_unit(design) -> None:
    """``TypeError`` unless *design* is a generated design, ``ValueError`` unless a MAC, multiplier or
    adder."""
    if not all(hasattr(design, name) for name in ("unit", "module", "verilog", "details")):
        raise TypeError(f"design must be a GeneratedDesign (hwgen.fpga.units), not {type(design).__name__}")
    if design.unit not in UNITS:
        raise ValueError(f"design unit must be one of {', '.join(UNITS)}, not {design.unit!r}")


# -- operand streams ---------------------------------------------------------------------------------

def samples(distribution: str, count: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Two independent sample streams (``a`` and ``b``) of shape (tensors, :data:`TENSOR`).

    Enough whole tensors for ``count`` values; NumPy's ``default_rng(seed)`` draws ``a`` then ``b``.
    """
    check_distribution(distribution)
    rng = np.random.default_rng(seed)
    draw = rng.standard_normal if distribution == "gaussian" else rng.laplace
    shape = (-(-count // TENSOR), TENSOR)
    return draw(size=shape), draw(size=shape)


def quantize(fmt, x: np.ndarray, peak: float | None = None) -> np.ndarray:
    """Codes of ``x`` in ``fmt``, each row (tensor) scaled so that its largest magnitude is *peak*
    (default ``fmt.max``).

    Unsigned formats take the magnitudes. Rounding is the golden codec's (nearest, ties to even,
    saturating).
    """
    from hwgen.golden.codec import encode

    fmt = scalar_format(fmt)
    x = np.atleast_2d(x if fmt.signed else np.abs(x))
    largest = np.abs(x).max(axis=-1, keepdims=True)
    scale = np.where(largest > 0, largest / (fmt.max if peak is None else peak), 1.0)
    return encode(fmt, x / scale, saturate=True)


# -- the stream testbench ----------------------------------------------------------------------------

@dataclass(frozen=True)
class Window:
    """Clock timing of one simulation: posedge ``j`` at ``half + j * period`` (time units)."""

    half: int
    warmup: int
    cycles: int

    @property
    def period(self) -> int:
        return 2 * self.half

    @property
    def start(self) -> int:
        """The falling edge after the last warm-up item was taken: every net has settled."""
        return (RESET_CYCLES + self.warmup) * self.period

    @property
    def items(self) -> int:
        """Items the testbench memory needs: its last edge puts one more item on the inputs."""
        return self.warmup + self.cycles + 1


def testbench_verilog(ports: Mapping[str, tuple[str, tuple]], window: Window, items_file: str,
                      outputs_file: str, vcd_file: str) -> str:
    """A testbench streaming ``i__payload`` words from ``items_file``, one per clock.

    ``i__valid`` and ``o__ready`` are 1; ``rst`` is high for :data:`RESET_CYCLES` edges; every output
    transfer is written to ``outputs_file`` in hex; the VCD covers the window only.
    """
    widths = {name: len(bits) for name, (_, bits) in ports.items()}
    missing = sorted({"clk", "rst", "i__payload", "i__valid", "i__ready", "o__payload", "o__valid",
                      "o__ready"} - set(widths))
    if missing:
        raise ValueError(f"the design is not a one-input, one-output stream unit: no port {missing[0]}")
    return f"""`timescale 1ns/1ns
module {TB_MODULE};
  reg clk = 1'b0;
  reg rst = 1'b1;
  reg [{widths['i__payload'] - 1}:0] items [0:{window.items - 1}];
  integer index = 0;
  integer edges = 0;
  integer outputs;
  wire i__ready, o__valid;
  wire [{widths['o__payload'] - 1}:0] o__payload;
  {SIM_MODULE} dut(.clk(clk), .rst(rst), .i__payload(items[index]), .i__valid(1'b1), .i__ready(i__ready),
    .o__payload(o__payload), .o__valid(o__valid), .o__ready(1'b1));
  initial begin
    $readmemh("{items_file}", items);
    outputs = $fopen("{outputs_file}", "w");
    #{window.start};
    $dumpfile("{vcd_file}");
    $dumpvars(1, dut);
    #{window.cycles * window.period};
    $fclose(outputs);
    $finish;
  end
  always #{window.half} clk = ~clk;
  always @(posedge clk) begin
    edges <= edges + 1;
    if (edges == {RESET_CYCLES - 1}) rst <= 1'b0;
    if (!rst && i__ready) index <= index + 1;
    if (o__valid) $fwrite(outputs, "%h\\n", o__payload);
  end
endmodule
"""



# -- one measurement ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Activity:
    """Toggles of every net of a design's gate netlist over ``cycles`` clocks of one operand stream."""

    design: str
    netlist: GateNetlist
    toggles: Mapping[int, int]  # net bit -> changes in the window (clock excluded)
    cycles: int
    items: int  # items (MACs or multiplies) the design took in the window
    checked: int  # outputs compared bit-exactly with the golden model
    icarus: str
    seconds: Mapping[str, float] = field(default_factory=dict, compare=False)


def stream_fields(design) -> tuple[dict, dict]:
    """(input, output) payload fields {name: (offset, width)} of a ``mac``, ``mul`` or ``add`` design."""
    details = design.details
    if design.unit not in UNITS:
        raise ValueError(f"energy is measured for units {', '.join(UNITS)}, not {design.unit!r}")
    return tuple({name: (f["offset"], f["width"]) for name, f in details["streams"][s]["fields"].items()}
                 for s in ("i", "o"))


def pack_words(fields: Mapping[str, tuple[int, int]], values: Mapping[str, np.ndarray]) -> list[int]:
    """Payload words of *values* (one column per field), each field at its {name: (offset, width)}."""
    count = len(next(iter(values.values())))
    words = [0] * count
    for name, (offset, width) in fields.items():
        column = values[name]
        mask = (1 << width) - 1
        for i in range(count):
            words[i] |= (int(column[i]) & mask) << offset
    return words


def unpack_words(fields: Mapping[str, tuple[int, int]], words: Sequence[int]) -> dict[str, list[int]]:
    """The fields of payload words, one column per field (the inverse of :func:`pack_words`)."""
    return {name: [(w >> offset) & ((1 << width) - 1) for w in words]
            for name, (offset, width) in fields.items()}


def stimulus(design, distribution: str, count: int, seed: int, terms: int) -> dict[str, np.ndarray]:
    """Operand codes (and ``last`` flags for a MAC) of ``count`` items (an adder's ``a`` and ``b`` are both
    in its one format)."""
    if design.unit in nnlut_activity.UNITS:  # input codes uniform over the table's range
        return nnlut_activity.stimulus(design, count, seed)
    a_format, b_format = design.formats
    x_a, x_b = samples(distribution, count, seed)
    peak_a, peak_b = _peaks(design)
    values = {"a": quantize(a_format, x_a, peak_a).ravel()[:count],
              "b": quantize(b_format, x_b, peak_b).ravel()[:count]}
    if design.unit == "mac":
        values["last"] = (np.arange(count) % terms) == terms - 1
    return values


def _peaks(design) -> tuple[float | None, float | None]:
    """The largest operand magnitudes of the stream (None: the format's max). A rounding unit's stay
    below overflow: a product's operands at most sqrt(result max), an adder's half its max."""
    formats = design.details.get("formats") or {}
    if design.unit == "add":
        half = scalar_format(formats["result"]).max / 2
        return half, half
    if design.unit == "mul" and "result" in formats:
        root = math.sqrt(scalar_format(formats["result"]).max)
        return tuple(min(root, scalar_format(formats[name]).max) for name in ("a", "b"))
    return None, None


def measure_activity(design, netlist: GateNetlist, distribution: str = "gaussian", cycles: int = DEFAULT_MACS,
                     seed: int = 0, *, work_dir: os.PathLike | str, terms: int = DEFAULT_TERMS,
                     timeout: float | None = None) -> Activity:
    """Simulate ``cycles`` items of the stream on ``design``'s gate netlist and count toggles.

    Parameters
    ----------
    design
        A :class:`hwgen.fpga.units.GeneratedDesign` of unit ``mac`` or ``mul``.
    netlist
        Its gate netlist (:func:`hwgen.fpga.gate_sim.read_netlist` of the ``gates`` flow's JSON).
    cycles
        Measured clock cycles, one item (MAC) each, after the warm-up.
    terms
        K of the stream: ``last`` every K items (MACs only).
    timeout
        Seconds for each tool run (iverilog, vvp).
    """
    check_distribution(distribution)
    cycles = check_count(cycles, "cycles", MAX_MACS)
    terms = check_count(terms, "terms", MAX_MACS)
    in_fields, out_fields = stream_fields(design)
    work = Path(work_dir).resolve()
    work.mkdir(parents=True, exist_ok=True)

    started = time.perf_counter()
    window = Window(half=netlist.depth + SETTLE_MARGIN + 1, warmup=WARMUP_CYCLES, cycles=cycles)
    values = stimulus(design, distribution, window.items, seed, terms)
    (work / "items.hex").write_text("".join(f"{w:x}\n" for w in pack_words(in_fields, values)))
    (work / "outputs.hex").unlink(missing_ok=True)
    testbench = testbench_verilog(netlist.ports, window, "items.hex", "outputs.hex", VCD_NAME)
    toggles = run_simulation(netlist, testbench, TB_MODULE, work, timeout=timeout)
    seconds = {"simulation": time.perf_counter() - started}

    words = _read_outputs(work / "outputs.hex")
    checked = check_outputs(design, values, unpack_words(out_fields, words), terms)
    return Activity(design.module, netlist, MappingProxyType(toggles), cycles, cycles, checked,
                    toolchain.find_tool("iverilog").version, MappingProxyType(seconds))


def _read_outputs(path: Path) -> list[int]:
    words = []
    for line in path.read_text().split():
        try:
            words.append(int(line, 16))
        except ValueError:
            raise ActivityError(f"the netlist produced an undefined output {line!r} ({path})") from None
    return words


# -- checking the netlist's answers ------------------------------------------------------------------

def check_outputs(design, values: Mapping[str, np.ndarray], outputs: Mapping[str, list[int]],
                  terms: int) -> int:
    """Compare the simulated outputs with the golden model; the number checked, or ActivityError."""
    count = len(next(iter(outputs.values()))) if outputs else 0
    if count == 0:
        raise ActivityError(f"{design.module} produced no output in the simulation")
    if design.unit == "mac":
        expected = _mac_expected(design, values, count, terms)
    elif design.unit in nnlut_activity.UNITS:
        expected = nnlut_activity.expected(design, values, count)
    elif design.unit == "add" or "result" in design.details["formats"]:
        expected = _rounded_expected(design, values, count)
    else:
        expected = _mul_expected(design, values, count, outputs)
    for name, column in expected.items():
        for index, (want, got) in enumerate(zip(column, outputs[name], strict=True)):
            if want != got:
                raise ActivityError(f"{design.module}: output {index} field {name} is {got:#x}, the golden "
                                    f"model says {want:#x}; the gate-level simulation is wrong")
    return count


def _mac_expected(design, values, count: int, terms: int) -> dict[str, list[int]]:
    from hwgen.golden.mac import mac

    items = count * terms
    details = design.details
    acc = details["acc"]
    spec = acc["spec"]
    result = mac(values["a"][:items], values["b"][:items], values["last"][:items], *design.formats,
                 acc=spec, terms=acc["terms"], mul=details.get("mul", "exact"))
    if not spec.startswith("fixed"):
        return {"acc": [int(v) for v in result.acc]}
    mask = (1 << acc["width"]) - 1
    return {"acc": [int(v) & mask for v in result.acc], "nan": [int(v) for v in result.nan],
            "inf": [int(v) for v in result.inf]}


def _rounded_expected(design, values, count: int) -> dict[str, list[int]]:
    """An adder's or a rounding multiplier's result codes (:mod:`hwgen.golden.arith`)."""
    from hwgen.golden.arith import add, multiply

    a, b = values["a"][:count], values["b"][:count]
    formats = design.details["formats"]
    if design.unit == "add":
        result = add(a, b, formats["result"])
    else:
        result = multiply(a, b, formats["a"], formats["b"], formats["result"])
    return {"result": [int(code) for code in result]}


def _mul_expected(design, values, count: int, outputs) -> dict[str, list[int]]:
    from hwgen.golden.codec import split

    a_format, b_format = (scalar_format(name) for name in design.formats)
    a, b = values["a"][:count], values["b"][:count]
    product = design.details["product"]
    x, y = split(a_format, a), split(b_format, b)
    if product["kind"] == "integer":  # signed units, multiplied as Python ints (int32 x int32 is exact)
        width = stream_fields(design)[1]["product"][1]
        exact = [_units(x, i) * _units(y, i) & ((1 << width) - 1) for i in range(count)]
        return {"product": exact}
    x_zero = (x.significand == 0) & ~x.nan & ~x.inf
    y_zero = (y.significand == 0) & ~y.nan & ~y.inf
    nan = x.nan | y.nan | (x.inf & y_zero) | (y.inf & x_zero)
    inf = (x.inf | y.inf) & ~nan
    lsb = a_format.lsb_exponent + b_format.lsb_exponent
    for i in np.flatnonzero(~(nan | inf)):  # the magnitude, exactly, in Python integers
        got = (int(outputs["significand"][i]), int(outputs["exponent"][i]) - product["exponent_offset"])
        want = (int(x.significand[i]) * int(y.significand[i]), int(x.shift[i]) + int(y.shift[i]))
        low = min(got[1], want[1])
        if got[0] << (got[1] - low) != want[0] << (want[1] - low):
            raise ActivityError(f"{design.module}: output {i} has magnitude {got[0]} * 2^{got[1] + lsb}, the "
                                f"exact product is {want[0]} * 2^{want[1] + lsb}; the gate-level simulation "
                                f"is wrong")
    return {"negative": [int(v) for v in x.negative ^ y.negative], "nan": [int(v) for v in nan],
            "inf": [int(v) for v in inf]}


def _units(parts, i: int) -> int:
    """Signed value of element ``i`` of split codes, in lsb units."""
    units = int(parts.significand[i]) << int(parts.shift[i])
    return -units if parts.negative[i] else units
