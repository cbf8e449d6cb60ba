"""A registered exact multiplier of two operand formats: the MAC's product stage on its own.

It exists to measure what one multiply costs (the energy model's Horowitz anchor compares hwgen's
INT8, FP16 and FP32 multipliers with published 45 nm figures). The datapath is the MAC's
(:class:`hwgen.gen.mac.MacUnit`) without its accumulator: integer and table operands become signed
values and one signed multiply; any other pair is split by :func:`hwgen.gen.operands.split_operand`
into sign, integer significand and exponent, and the product is the significand product, the
exponent sum and the sign XOR. Nothing is rounded or normalized: the output is the exact product.
"""

from amaranth import Module, signed, unsigned
from amaranth.lib import data, stream, wiring
from amaranth.lib.wiring import In, Out

from hwgen.formats import IntFormat, MiniFloat, TableFormat, scalar_format, significand_bits
from hwgen.gen.operands import exponent_offset, signed_value, signed_width, split_operand
from hwgen.gen.pipeline import register_stage, stall_control
from hwgen.specs.multiplier import LATENCY, MulSpec


def _integer_pair(a, b) -> bool:
    return all(isinstance(f, (IntFormat, TableFormat)) for f in (a, b))


class MulUnit(wiring.Component):
    """Exact product of two operands between an input and an output register.

    Parameters
    ----------
    a, b:
        Operand formats (names or format objects).

    Input stream ``i`` carries ``a`` and ``b`` codes. Output stream ``o`` carries, for two integer /
    table formats, ``product`` (signed, in units of 2^(lsb_a + lsb_b)); otherwise ``negative``,
    ``significand``, ``exponent``, ``nan`` and ``inf``, with
    value = (-1)^negative * significand * 2^(exponent - exponent_offset + lsb_a + lsb_b)
    (``exponent_offset`` is in the manifest). ``significand`` and ``exponent`` are meaningless when
    ``nan`` or ``inf`` is set. No rounding, no normalization.

    Latency 2 cycles from the input transfer to ``o.valid`` (no backpressure), initiation interval 1.
    Backpressure stalls both registers: ``i.ready = ~o.valid | o.ready``.
    """

    def __new__(cls, a, b):
        # Checked before the object exists: Amaranth warns about every component it never
        # elaborates, and a refused design is not an unused one.
        a, b = scalar_format(a), scalar_format(b)
        unit = super().__new__(cls, src_loc_at=1)
        unit._a, unit._b = a, b
        return unit

    def __init__(self, *_options):  # the operand formats: checked and kept by __new__
        in_layout = data.StructLayout({"a": self._a.bits, "b": self._b.bits})
        super().__init__({"i": In(stream.Signature(in_layout)),
                          "o": Out(stream.Signature(self._out_layout()))})

    @classmethod
    def from_spec(cls, spec: MulSpec) -> "MulUnit":
        return cls(spec.a, spec.b)

    def _out_layout(self) -> data.StructLayout:
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
    def integer(self) -> bool:
        """Both operands integer / table: the output is one signed ``product``."""
        return _integer_pair(self._a, self._b)

    @property
    def latency(self) -> int:
        return LATENCY

    @property
    def ii(self) -> int:
        return 1

    def elaborate(self, platform):
        m = Module()
        advance = stall_control(m, self.o, self.i)
        operands = register_stage(m, {"a": self.i.payload.a, "b": self.i.payload.b, "valid": self.i.valid},
                                  advance, "operands")
        with m.If(advance):
            m.d.sync += self.o.valid.eq(operands["valid"])
        result = self._product(m, operands["a"], operands["b"])
        with m.If(advance):
            m.d.sync += [getattr(self.o.payload, name).eq(value) for name, value in result.items()]
        return m

    def _product(self, m, a, b) -> dict:
        if self.integer:
            return {"product": signed_value(self._a, a) * signed_value(self._b, b)}
        x = split_operand(m, self._a, a, "a")
        y = split_operand(m, self._b, b, "b")
        nan = x.nan | y.nan | (x.inf & y.zero) | (x.zero & y.inf)
        return {"negative": x.negative ^ y.negative, "significand": x.significand * y.significand,
                "exponent": x.exponent + y.exponent, "nan": nan, "inf": (x.inf | y.inf) & ~nan}


def manifest_details(unit: MulUnit) -> dict:
    """The multiplier's own manifest keys (the manifest adds ports and streams)."""
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
