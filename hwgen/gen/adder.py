"""A registered adder of two operands of one format: integer (wrapping) or float (rounded once).

The adder is the second half of a MAC on its own, for the energy model's Horowitz anchor (INT32 add
0.1 pJ, FP32 add 0.9 pJ at 45 nm). Integer and fixed-point formats add their codes as two's
complement (or unsigned) integers and wrap modulo 2^bits, as an ALU's add does. A minifloat sum is
the float accumulator's step (:class:`hwgen.gen.float_accumulate.FloatAccumulate`) with the
accumulator ``a`` and the "product" ``b``: one rounding of the exact sum, to nearest even, IEEE
specials, every NaN result canonical. Contract: docs/formats.md#rounding-multiply-and-add-units.
"""

from amaranth.lib import data, stream, wiring
from amaranth.lib.wiring import In, Out

from hwgen.formats import IntFormat
from hwgen.gen.float_accumulate import FloatAccumulate
from hwgen.gen.operands import decode_operand
from hwgen.gen.pipeline import RegisteredOperationUnit
from hwgen.specs.adder import AddSpec, adder_format


class AddUnit(RegisteredOperationUnit, wiring.Component):
    """``a + b`` between an input and an output register.

    Parameters
    ----------
    fmt:
        The format of both operands and the sum: an integer format (the sum wraps modulo 2^bits) or a
        minifloat with a NaN code (RNE(a + b); x + (-x) = +0, -0 + -0 = -0, inf + -inf = NaN, NaN
        results are ``fmt.nan_code(False)``).

    Input stream ``i`` carries the codes ``a`` and ``b``; output stream ``o`` carries ``result``, a code
    of the same format.

    Latency 2 cycles from the input transfer to ``o.valid`` (no backpressure), initiation interval 1:
    the whole add (for floats: align, add, normalize, round) sits between the two registers.
    Backpressure stalls both registers: ``i.ready = ~o.valid | o.ready``.
    """

    def __new__(cls, fmt):
        # Checked before the object exists: a refused design is not an unused one.
        fmt = adder_format(fmt)
        unit = super().__new__(cls, src_loc_at=1)
        unit._format = fmt
        return unit

    def __init__(self, *_options):  # the format: checked and kept by __new__
        bits = self._format.bits
        super().__init__({"i": In(stream.Signature(data.StructLayout({"a": bits, "b": bits}))),
                          "o": Out(stream.Signature(data.StructLayout({"result": bits})))})

    @classmethod
    def from_spec(cls, spec: AddSpec) -> "AddUnit":
        return cls(spec.format)

    @property
    def format(self):
        return self._format

    @property
    def integer(self) -> bool:
        """An integer (wrapping) adder, not a float one."""
        return isinstance(self._format, IntFormat)

    def _operation(self, m, a, b) -> dict:
        return {"result": self._sum(m, a, b)}

    def _sum(self, m, a, b):
        fmt = self._format
        if self.integer:
            return (a + b)[:fmt.bits]
        # b as the float accumulator's product: a doubled-unit magnitude (0 for NaN and inf) and the
        # raw exponent field, value = magnitude * 2^(field + lsb - 1).
        addend = decode_operand(m, fmt, b, "b")
        step = FloatAccumulate(fmt, fmt.man_bits + 1, fmt.exp_bits, fmt.lsb_exponent - 1)
        m.submodules.float_add = step
        m.d.comb += [step.acc.eq(a), step.p_negative.eq(addend.negative),
                     step.p_significand.eq(addend.magnitude), step.p_shift.eq(addend.shift),
                     step.p_nan.eq(addend.nan), step.p_inf.eq(addend.inf)]
        return step.result


def manifest_details(unit: AddUnit) -> dict:
    """The adder's own manifest keys (the manifest adds ports and streams)."""
    name = unit.format.name
    return {"unit": "add", "latency": unit.latency, "ii": unit.ii,
            "formats": {"a": name, "b": name, "result": name},
            "sum": "wrapping" if unit.integer else "rounded"}
