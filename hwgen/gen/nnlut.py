"""The NN-LUT unit generator: a pipelined piecewise-linear nonlinearity with valid/ready streams.

Interface: clock ``clk``, synchronous active-high reset ``rst``; input stream ``i`` with payload field
``x`` (an input-format code), output stream ``o`` with payload field ``y`` (an output-format code);
one output per input, in order. The datapath is the table's (``hwgen.nnlut.table``): input to the
table's grid (clamp, or power-of-two range reduction) -> comparator bank -> segment index ->
coefficient table -> one multiply and one add -> one rounding into the output format.
"""

from amaranth import Array, Const, Module, Mux, Signal, signed, unsigned
from amaranth.lib import data, stream, wiring
from amaranth.lib.wiring import In, Out

from hwgen.formats import MiniFloat, scalar_format
from hwgen.formats._check import check_int
from hwgen.gen.float_accumulate import leading_zeros
from hwgen.gen.nnlut_round import RoundToFormat, as_signed, signed_bits
from hwgen.gen.operands import Operand, decode_operand
from hwgen.gen.pipeline import Pipeline, PipelinedUnit, stall_control
from hwgen.nnlut.table import NnLutTable
from hwgen.specs.lut import LutSpec
from hwgen.specs.nnlut import DEFAULT_PIPELINE, MAX_PIPELINE, NnLutSpec

# Where pipeline registers go, in order, after the output register: after the multiply-add, after the
# coefficient read, after the input reduction.
CUT_POINTS = ("product", "coefficients", "reduce")


def input_scale_range(table: NnLutTable) -> tuple[int, int]:
    """(min, max) of the range reduction's exponent over every finite nonzero input (0, 0 for clamp)."""
    if table.reduction == "clamp":
        return 0, 0
    fmt = scalar_format(table.in_format)
    if isinstance(fmt, MiniFloat):
        top_field = fmt.max_code_magnitude >> fmt.man_bits
        e_low, e_high = fmt.lsb_exponent, top_field - fmt.bias
    else:
        e_low, e_high = fmt.lsb_exponent, fmt.bits - 1 + fmt.lsb_exponent
    if table.reduction == "reciprocal":
        return -e_high, -e_low
    return -(e_high >> 1), -((e_low - (e_low & 1)) >> 1)


class NnLutUnit(PipelinedUnit, wiring.Component):
    """Pipelined NN-LUT unit for one quantized table (:class:`~hwgen.nnlut.table.NnLutTable`).

    Parameters
    ----------
    table:
        The quantized table: function, formats, breakpoints, slopes and intercepts.
    pipeline:
        Register stages from input to output, 1 .. 4. Latency = ``pipeline`` cycles from an input
        transfer to its ``o.valid`` (no backpressure); initiation interval 1.

    A table whose slopes are all 0 is a plain lookup table: no multiplier; when its breakpoints are
    uniform with a power-of-two step from the range's start, the segment index is a bit slice of the
    input instead of a comparator bank (a ROM).

    Backpressure stalls the whole pipeline: ``i.ready = ~o.valid | o.ready``.
    """

    def __new__(cls, table: NnLutTable, *, pipeline: int = DEFAULT_PIPELINE):
        # Checked before the object exists: Amaranth warns about every component it never
        # elaborates, and a refused design is not an unused one.
        if not isinstance(table, NnLutTable):
            raise TypeError(f"table must be an NnLutTable, not {type(table).__name__}")
        pipeline = check_int(pipeline, "pipeline depth", 1, MAX_PIPELINE)
        unit = super().__new__(cls, src_loc_at=1)
        unit._table, unit._pipeline = table, pipeline
        unit._in, unit._out = scalar_format(table.in_format), scalar_format(table.out_format)
        return unit

    def __init__(self, *_options, **_keywords):  # the table and depth: checked and kept by __new__
        super().__init__({
            "i": In(stream.Signature(data.StructLayout({"x": self._in.bits}))),
            "o": Out(stream.Signature(data.StructLayout({"y": self._out.bits}))),
        })

    @classmethod
    def from_spec(cls, spec: "NnLutSpec | LutSpec") -> "NnLutUnit":
        """The unit of *spec*: an NN-LUT's table fitted (cached) and quantized, or a uniform LUT's."""
        from hwgen.gen.nnlut_design import spec_table  # that module imports this one

        return cls(spec_table(spec), pipeline=spec.pipeline)

    # -- facts the testbench, manifest and cost model read ----------------------------------------
    @property
    def table(self) -> NnLutTable:
        return self._table

    @property
    def index_kind(self) -> str:
        """``"comparators"`` or ``"slice"`` (a uniform power-of-two table)."""
        return "comparators" if self._table.uniform_shift() is None else "slice"

    # -- datapath ---------------------------------------------------------------------------------
    def elaborate(self, platform):
        m = Module()
        advance = stall_control(m, self.o, self.i)
        pipe = Pipeline(m, advance, CUT_POINTS, self._pipeline, carry=("valid",))
        item = {"valid": self.i.valid, "x": self.i.payload.x}
        item = pipe.stage(item, "reduce", self._reduce)
        item = pipe.stage(item, "coefficients", self._coefficients)
        item = pipe.stage(item, "product", self._product)
        m.submodules.round = rounder = RoundToFormat(self._out, len(item["p"]), self._table.product_frac,
                                                     input_scale_range(self._table))
        m.d.comb += [rounder.p.eq(item["p"]), rounder.negative.eq(item["negative"]),
                     rounder.nan.eq(item["nan"]), rounder.to_max.eq(item["to_max"]),
                     rounder.to_zero.eq(item["to_zero"])]
        if "scale" in item:
            m.d.comb += rounder.scale.eq(item["scale"])
        with m.If(advance):
            m.d.sync += [self.o.valid.eq(item["valid"]), self.o.payload.y.eq(rounder.code)]
        return m

    @staticmethod
    def _passed(item, *skip) -> dict:
        return {k: v for k, v in item.items() if k not in ("valid", *skip)}

    # -- step 1: the input on the table's grid ----------------------------------------------------
    def _reduce(self, m, item):
        decoded = decode_operand(m, self._in, item["x"], "x")
        # One signal per decoded field: reused expressions would be copied into the Verilog at every use.
        fields = {}
        for name in ("magnitude", "shift", "negative", "nan", "inf"):
            value = getattr(decoded, name)
            fields[name] = Signal(value.shape(), name=f"x_{name}")
            m.d.comb += fields[name].eq(value)
        operand = Operand(**fields, halved=decoded.halved)
        if self._table.reduction == "clamp":
            return self._clamp(m, operand)
        return self._range_reduce(m, operand)

    def _clamp(self, m, operand):
        table, fmt = self._table, self._in
        # value = magnitude * 2^(shift + base) in grid units
        base = fmt.lsb_exponent - (1 if operand.halved else 0) + table.x_frac
        limit_bits = max(abs(table.lo), abs(table.hi)).bit_length()  # 2^limit_bits is beyond the range
        magnitude = operand.magnitude
        beyond = Signal(name="x_beyond")
        m.d.comb += beyond.eq(operand.inf)
        if isinstance(fmt, MiniFloat):
            # A normal magnitude is at least 2^man: from this exponent field on, it is beyond the range.
            threshold = max(1, limit_bits - fmt.man_bits - base)
            m.d.comb += beyond.eq(operand.inf | (operand.shift >= threshold))
            amount_bits = (threshold - 1).bit_length()
            if amount_bits:
                magnitude = magnitude << Mux(beyond, 0, operand.shift)[:amount_bits]
        grid = magnitude << base if base >= 0 else magnitude >> -base  # truncates toward zero
        raw = Signal(signed(len(grid) + 1), name="x_grid")
        m.d.comb += raw.eq(Mux(operand.negative, -as_signed(grid), as_signed(grid)))
        u = Signal(signed(signed_bits(table.lo, table.hi)), name="u")
        with m.If(beyond):
            m.d.comb += u.eq(Mux(operand.negative, table.lo, table.hi))
        with m.Elif(raw < table.lo):
            m.d.comb += u.eq(table.lo)
        with m.Elif(raw > table.hi):
            m.d.comb += u.eq(table.hi)
        with m.Else():
            m.d.comb += u.eq(raw)
        false = Const(0, 1)
        return {"u": u, "negative": false, "nan": operand.nan, "to_max": false, "to_zero": false}

    def _range_reduce(self, m, operand):
        table, fmt = self._table, self._in
        magnitude = operand.magnitude
        width = len(magnitude)
        if width - 1 != table.x_frac:
            raise AssertionError(f"{fmt.name} magnitudes are {width} bits; the table expects x_frac "
                                 f"{table.x_frac}")
        zeros = leading_zeros(m, magnitude, "x_leading_zeros")
        mantissa = Signal(width, name="mantissa")  # m in [1, 2), x_frac fraction bits
        m.d.comb += mantissa.eq((magnitude << zeros)[:width])
        base = fmt.lsb_exponent - (1 if operand.halved else 0)
        top_shift = (1 << len(operand.shift)) - 1
        exponent = Signal(signed(signed_bits(base - 1, width - 1 + top_shift + base)), name="x_exponent")
        m.d.comb += exponent.eq(width - 1 - as_signed(zeros) + operand.shift + base)
        scale = Signal(signed(signed_bits(*input_scale_range(table))), name="scale")
        zero, nan = Signal(name="x_zero"), Signal(name="x_nan_result")
        m.d.comb += [zero.eq((magnitude == 0) & ~operand.nan & ~operand.inf), nan.eq(operand.nan)]
        if table.reduction == "reciprocal":
            u = mantissa
            m.d.comb += scale.eq(-exponent)
        else:
            odd = exponent[0]
            u = Signal(unsigned(width + 1), name="mantissa_even")
            m.d.comb += [u.eq(Mux(odd, mantissa << 1, mantissa)),
                         scale.eq(-((exponent - odd) >> 1)),
                         nan.eq(operand.nan | (operand.negative & ~zero))]
        return {"u": u, "scale": scale, "negative": operand.negative, "nan": nan,
                "to_max": zero & ~nan, "to_zero": operand.inf & ~nan}

    # -- steps 2 and 3: segment index and coefficients ----------------------------------------------
    def _coefficients(self, m, item):
        table = self._table
        u = item["u"]
        index = Signal(range(max(table.entries, 2)), name="segment")
        shift = table.uniform_shift()
        if shift is not None:  # a ROM: cells of 2^shift grid steps from lo
            cell = ((u - table.lo).as_unsigned() >> shift)[:max(table.entries, 2).bit_length() + 1]
            m.d.comb += index.eq(Mux(cell >= table.entries, table.entries - 1, cell))
        else:
            # The comparator bank: segment k when u >= breakpoint k-1 and not the ones above it. An if
            # chain from the top, not a sum of the comparisons: one process in the Verilog, which
            # event-driven simulators evaluate once instead of once per comparator and adder.
            m.d.comb += index.eq(0)
            for position, k in enumerate(range(table.entries - 1, 0, -1)):
                with (m.If if position == 0 else m.Elif)(u >= table.breakpoints[k - 1]):
                    m.d.comb += index.eq(k)
        fields = self._passed(item)
        intercept_bits = signed_bits(min(table.intercepts), max(table.intercepts))
        intercepts = Array(Const(t, signed(intercept_bits)) for t in table.intercepts)
        fields["intercept"] = Signal(signed(intercept_bits), name="intercept")
        m.d.comb += fields["intercept"].eq(intercepts[index])
        if not table.constant:
            slope_bits = signed_bits(min(table.slopes), max(table.slopes))
            slopes = Array(Const(s, signed(slope_bits)) for s in table.slopes)
            fields["slope"] = Signal(signed(slope_bits), name="slope")
            m.d.comb += fields["slope"].eq(slopes[index])
        else:
            del fields["u"]
        return fields

    # -- step 4: one multiply, one add, exact ----------------------------------------------------
    def _product(self, m, item):
        table = self._table
        p = Signal(signed(signed_bits(*table.product_range())), name="p")
        offset = item["intercept"] << table.intercept_shift
        m.d.comb += p.eq(offset if table.constant else item["slope"] * item["u"] + offset)
        return {**self._passed(item, "u", "slope", "intercept"), "p": p}

