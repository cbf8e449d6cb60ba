"""A registered multiplier of two operand formats: the MAC's product stage on its own, exact or rounded.

It exists to measure what one multiply costs (the energy model's Horowitz anchor compares hwgen's
INT8, FP16 and FP32 multipliers with published 45 nm figures). The datapath is the MAC's
(:class:`hwgen.gen.mac.MacUnit`) without its accumulator: integer and table operands become signed
values and one signed multiply; any other pair is split by :func:`hwgen.gen.operands.split_operand`
into sign, integer significand and exponent, and the product is the significand product, the
exponent sum and the sign XOR. Without a result format nothing is rounded or normalized: the output
is the exact product. With one (``result="fp16"``, minifloat operands), the exact product is
normalized, rounded to nearest even and checked for specials by :mod:`hwgen.gen.float_round`, as a
float multiplier does (docs/formats.md#rounding-multiply-and-add-units).
"""

from amaranth import Module, Signal, signed, unsigned
from amaranth.lib import data, stream, wiring
from amaranth.lib.wiring import In, Out

from hwgen.formats import IntFormat, MiniFloat, TableFormat, scalar_format, significand_bits
from hwgen.gen.float_round import Unrounded, round_to_format
from hwgen.gen.operands import exponent_offset, signed_value, signed_width, split_operand
from hwgen.gen.pipeline import RegisteredOperationUnit
from hwgen.specs.multiplier import MulSpec, rounding_formats


def _integer_pair(a, b) -> bool:
    return all(isinstance(f, (IntFormat, TableFormat)) for f in (a, b))


class MulUnit(RegisteredOperationUnit, wiring.Component):
    """Exact or rounded product of two operands between an input and an output register.

    Parameters
    ----------
    a, b:
        Operand formats (names or format objects).
    result:
        None (the exact product), or a minifloat with a NaN code (both operands minifloats): the
        product rounded to it.

    Input stream ``i`` carries ``a`` and ``b`` codes. Output stream ``o`` carries, for two integer /
    table formats, ``product`` (signed, in units of 2^(lsb_a + lsb_b)); otherwise ``negative``,
    ``significand``, ``exponent``, ``nan`` and ``inf``, with
    value = (-1)^negative * significand * 2^(exponent - exponent_offset + lsb_a + lsb_b)
    (``exponent_offset`` is in the manifest). ``significand`` and ``exponent`` are meaningless when
    ``nan`` or ``inf`` is set. No rounding, no normalization.

    With ``result``, ``o`` carries one field, ``result``: the code of RNE(a * b) in that format (ties to
    even, gradual underflow, overflow after rounding gives inf or NaN, never max; NaN results are
    ``result.nan_code(False)``). The whole multiply, normalization and rounding sit between the two
    registers: no extra pipeline stage.

    Latency 2 cycles from the input transfer to ``o.valid`` (no backpressure), initiation interval 1.
    Backpressure stalls both registers: ``i.ready = ~o.valid | o.ready``.
    """

    def __new__(cls, a, b, result=None):
        # Checked before the object exists: Amaranth warns about every component it never
        # elaborates, and a refused design is not an unused one.
        a, b = scalar_format(a), scalar_format(b)
        if result is not None:
            a, b, result = rounding_formats(a, b, result)
        unit = super().__new__(cls, src_loc_at=1)
        unit._a, unit._b, unit._result = a, b, result
        return unit

    def __init__(self, *_options):  # the formats: checked and kept by __new__
        in_layout = data.StructLayout({"a": self._a.bits, "b": self._b.bits})
        super().__init__({"i": In(stream.Signature(in_layout)),
                          "o": Out(stream.Signature(self._out_layout()))})

    @classmethod
    def from_spec(cls, spec: MulSpec) -> "MulUnit":
        return cls(spec.a, spec.b, spec.result)

    def _out_layout(self) -> data.StructLayout:
        if self._result is not None:
            return data.StructLayout({"result": self._result.bits})
        if self.integer:
            return data.StructLayout({"product": signed(signed_width(self._a) + signed_width(self._b))})
        significand = significand_bits(self._a) + significand_bits(self._b)
        exponent = max(self._exponent_bits(f) for f in (self._a, self._b)) + 1
        return data.StructLayout({"negative": 1, "significand": unsigned(significand),
                                  "exponent": unsigned(exponent), "nan": 1, "inf": 1})

    @staticmethod
    def _exponent_bits(fmt) -> int:
        """Bits of :func:`split_operand`'s exponent (integer and table formats: a constant 0 bit)."""
        return fmt.exp_bits if isinstance(fmt, MiniFloat) else 1

    # -- facts the manifest and cost model read -----------------------------------------------------
    @property
    def a(self):
        return self._a

    @property
    def b(self):
        return self._b

    @property
    def result(self) -> MiniFloat | None:
        """The format the product is rounded to, or None (exact)."""
        return self._result

    @property
    def integer(self) -> bool:
        """Both operands integer / table: the output is one signed ``product``."""
        return _integer_pair(self._a, self._b)

    def _operation(self, m, a, b) -> dict:
        if self._result is not None:
            return {"result": self._rounded(m, a, b)}
        if self.integer:
            return {"product": signed_value(self._a, a) * signed_value(self._b, b)}
        x = split_operand(m, self._a, a, "a")
        y = split_operand(m, self._b, b, "b")
        nan = x.nan | y.nan | (x.inf & y.zero) | (x.zero & y.inf)
        return {"negative": x.negative ^ y.negative, "significand": x.significand * y.significand,
                "exponent": x.exponent + y.exponent, "nan": nan, "inf": (x.inf | y.inf) & ~nan}

    def _rounded(self, m, a, b) -> Signal:
        x = split_operand(m, self._a, a, "a")
        y = split_operand(m, self._b, b, "b")
        nan = x.nan | y.nan | (x.inf & y.zero) | (x.zero & y.inf)
        negative = x.negative ^ y.negative
        significand = x.significand * y.significand
        # value = significand * 2^(x.exponent + y.exponent - offsets + lsb_a + lsb_b): the exponent
        # of the significand's top bit is that plus its width - 1.
        constant = (self._a.lsb_exponent + self._b.lsb_exponent - x.offset - y.offset
                    + len(significand) - 1)
        largest = self._a.exp_all_ones + self._b.exp_all_ones  # split exponents are max(field, 1)
        exact = Unrounded(negative=negative, magnitude=significand,
                          exponent=x.exponent + y.exponent + constant,
                          exponent_range=(2 + constant, largest + constant),
                          nan=nan, inf=(x.inf | y.inf) & ~nan, inf_negative=negative)
        code = Signal(self._result.bits, name="rounded")
        m.submodules.normalize = normalize = Module()
        m.submodules.round = round_ = Module()
        round_to_format(m, self._result, exact, code, normalize=normalize, round_=round_)
        return code


def manifest_details(unit: MulUnit) -> dict:
    """The multiplier's own manifest keys (the manifest adds ports and streams)."""
    if unit.result is not None:
        return {"unit": "mul", "latency": unit.latency, "ii": unit.ii,
                "formats": {"a": unit.a.name, "b": unit.b.name, "result": unit.result.name},
                "product": {"kind": "rounded", "rounding": "nearest even"}}
    offset = 0 if unit.integer else exponent_offset(unit.a) + exponent_offset(unit.b)
    return {
        "unit": "mul",
        "latency": unit.latency,
        "ii": unit.ii,
        "formats": {"a": unit.a.name, "b": unit.b.name},
        "product": {"kind": "integer" if unit.integer else "split",
                    "lsb_exponent": unit.a.lsb_exponent + unit.b.lsb_exponent,
                    "exponent_offset": offset},
    }
