"""The MAC unit generator: a pipelined multiply-accumulate with valid/ready streams.

Interface (the same for every MAC): clock ``clk``, synchronous active-high reset ``rst``; input
stream ``i`` with payload fields ``a``, ``b``, ``last``; output stream ``o`` with payload ``acc``
(plus the sticky ``nan`` and ``inf`` fields for a fixed accumulator). One output per input item
with ``last`` set: the dot product of the items since the previous ``last``.
"""

from amaranth import Cat, Const, Module, Mux, Signal, signed, unsigned
from amaranth.lib import data, stream, wiring
from amaranth.lib.wiring import In, Out

from hwgen.formats import MiniFloat, accumulator, scalar_format
from hwgen.formats._check import check_int
from hwgen.formats.accumulator import max_product_units
from hwgen.gen.accumulate import FixedTerm, FloatTerm, accumulate, output_layout
from hwgen.gen.exact_product import align, align_select, align_window, multiply, product_table
from hwgen.gen.lane import absolute_value, lmul_parts, product_bits
from hwgen.gen.operands import decode_operand, exponent_offset, signed_value, split_operand
from hwgen.gen.pipeline import Pipeline, PipelinedUnit, stall_control
from hwgen.specs.mac import (
    DEFAULT_PIPELINE,
    MAX_PIPELINE,
    MacSpec,
    check_acc_adder,
    check_acc_idle,
    check_acc_stages,
    check_decode,
    check_dsp,
    check_product_logic,
    integer_operands,
    mac_cut_points,
    split_product,
    tabulated,
)


def _unsigned_bits(value: int) -> int:
    return max(value.bit_length(), 1)


class MacUnit(PipelinedUnit, wiring.Component):
    """Pipelined multiply-accumulate unit for any two operand formats of the registry.

    Parameters
    ----------
    a, b:
        Operand formats (names or format objects).
    acc:
        ``"fixed"`` (exact, width from ``terms``), ``"fixed:W"`` (wraps) or a float format name.
    terms:
        K, the dot-product length a ``fixed`` accumulator is sized for (default 64).
    pipeline:
        Register stages from input to output, >= 1. Latency = ``pipeline`` cycles from the input
        transfer carrying ``last`` to ``o.valid`` (no backpressure); initiation interval 1. The
        registers go at the cut points :func:`hwgen.specs.mac.mac_cut_points` lists, in its order; a
        depth beyond them adds input registers.
    mul:
        ``"exact"`` or ``"lmul"`` (L-Mul, same-format minifloats).
    dsp:
        ``"inferred"`` (portable Verilog) or ``"sb_mac16"`` (two instantiated iCE40 SB_MAC16 blocks:
        :mod:`hwgen.gen.sb_mac16`).
    acc_stages:
        1, or 2: a fixed accumulator's addition split in two halves with a register between
        (:func:`~hwgen.gen.accumulate.accumulate_in_two_stages`), one of the ``pipeline`` stages; with
        ``acc_adder="carry_save"`` 2 to 4 (the loop, then its sum in 1 to 3 pieces).
    acc_adder:
        ``"inferred"``; ``"ccu2c"``: the fixed accumulator's adder and restart as a chain of
        instantiated ECP5 CCU2C cells (:mod:`hwgen.gen.ccu2c`); or ``"carry_save"`` (with
        ``acc_stages`` 2 to 4): the sum kept in carry-save form, added up in the other stages
        (:func:`~hwgen.gen.accumulate.accumulate_carry_save`).
    decode:
        ``"split"``, or ``"integer"``: each minifloat operand (finite ones of a few bits:
        :func:`hwgen.specs.mac.decodes_to_integer`) decoded to its signed value in lsb units, one signed
        multiply into the fixed accumulator with no aligner (a DSP block's multiplier).
    acc_idle:
        ``"hold"``: the accumulator keeps its value under a clock enable in a cycle that adds no item;
        ``"add_zero"``: no enable, that cycle's term is 0 (gated where it is narrowest: the product's
        magnitude and sign when the term is made in the accumulator's cycle, else the term), for
        targets whose flip-flops have no enable.
    product_logic:
        ``"lut6"``: an exact split product shaped for six-input LUTs where that changes it (fp4 x fp4 a
        table of |a * b|, a 4 x 4 significand product two table rows); ``"cells"``: synthesis's
        multiplier and the aligner (fewer two-input gates and standard cells).

    Backpressure stalls the whole pipeline: ``i.ready = ~o.valid | o.ready``.
    """

    def __new__(cls, a, b, acc="fixed", *, terms=None, pipeline=DEFAULT_PIPELINE, mul="exact",
                dsp="inferred", acc_stages=1, acc_adder="inferred", decode="split", acc_idle="hold",
                product_logic="lut6"):
        # Checked before the object exists: Amaranth warns about every component it never
        # elaborates, and a refused design is not an unused one.
        a, b = scalar_format(a), scalar_format(b)
        acc = accumulator(acc, a, b, terms, mul)
        pipeline = check_int(pipeline, "pipeline depth", 1, MAX_PIPELINE)
        decode = check_decode(decode, a, b, acc, mul)
        dsp = check_dsp(dsp, a, b, acc, mul, pipeline, decode)
        acc_stages = check_acc_stages(acc_stages, acc, dsp, pipeline)
        acc_adder = check_acc_adder(acc_adder, acc, dsp, acc_stages)
        acc_idle = check_acc_idle(acc_idle, acc, dsp, acc_stages, acc_adder)
        product_logic = check_product_logic(product_logic, a, b, acc, mul, decode)
        unit = super().__new__(cls, src_loc_at=1)
        unit._a, unit._b, unit._acc, unit._pipeline, unit._mul = a, b, acc, pipeline, mul
        unit._dsp, unit._acc_stages, unit._acc_adder = dsp, acc_stages, acc_adder
        unit._operand_decode, unit._acc_idle, unit._product_logic = decode, acc_idle, product_logic
        return unit

    def __init__(self, *_options, **_keywords):  # the options: checked and kept by __new__
        in_layout = data.StructLayout({"a": self._a.bits, "b": self._b.bits, "last": 1})
        super().__init__({"i": In(stream.Signature(in_layout)),
                          "o": Out(stream.Signature(output_layout(self._acc)))})

    @classmethod
    def from_spec(cls, spec: MacSpec) -> "MacUnit":
        return cls(spec.a, spec.b, spec.acc, terms=spec.terms, pipeline=spec.pipeline, mul=spec.mul,
                   dsp=spec.dsp, acc_stages=spec.acc_stages, acc_adder=spec.acc_adder, decode=spec.decode,
                   acc_idle=spec.acc_idle, product_logic=spec.product_logic)

    # -- facts the testbench, manifest and cost model read ----------------------------------------
    @property
    def a(self):
        return self._a

    @property
    def b(self):
        return self._b

    @property
    def accumulator(self):
        return self._acc

    @property
    def mul(self) -> str:
        return self._mul

    @property
    def dsp(self) -> str:
        return self._dsp

    @property
    def acc_stages(self) -> int:
        return self._acc_stages

    @property
    def acc_adder(self) -> str:
        return self._acc_adder

    @property
    def decode(self) -> str:
        return self._operand_decode

    @property
    def acc_idle(self) -> str:
        return self._acc_idle

    @property
    def product_logic(self) -> str:
        return self._product_logic

    def _primitive_module(self):
        """The module of the vendor primitive this unit instantiates (None: portable Verilog)."""
        if self._dsp == "sb_mac16":
            from hwgen.gen import sb_mac16

            return sb_mac16
        if self._acc_adder == "ccu2c":
            from hwgen.gen import ccu2c

            return ccu2c
        return None

    @property
    def primitives(self) -> dict:
        """Vendor primitives the Verilog instantiates: name -> the one target that synthesizes it."""
        module = self._primitive_module()
        return {} if module is None else {module.PRIMITIVE: module.FAMILY}

    def simulation_models(self) -> tuple[str, ...]:
        """Verilog the emitted file carries for simulators (models of :attr:`primitives`)."""
        module = self._primitive_module()
        return () if module is None else (module.simulation_model(),)

    # -- datapath ---------------------------------------------------------------------------------
    def elaborate(self, platform):
        if self._dsp == "sb_mac16":
            from hwgen.gen import sb_mac16

            return sb_mac16.elaborate(self)
        m = Module()
        advance = stall_control(m, self.o, self.i)
        # A split accumulator's first stage takes the place of one cut register.
        cuts = mac_cut_points(self._a, self._b, self._acc, self._mul, self._operand_decode,
                              self._product_logic)
        pipe = Pipeline(m, advance, cuts, self._pipeline - (self._acc_stages - 1))
        item = pipe.inputs({"valid": self.i.valid, "last": self.i.payload.last,
                            "a": self.i.payload.a, "b": self.i.payload.b})
        item = pipe.stage(item, "operands", self._decode)
        item = pipe.stage(item, "product", self._multiply)
        # acc_idle add_zero: where the term is made in the accumulator's cycle, a cycle that adds nothing
        # zeroes the product (narrower than the term: before the aligner), else the accumulator its term
        product_gated = (self._acc_idle == "add_zero" and "magnitude" in item
                         and not any(pipe.registered(cut) for cut in ("term", "window") if cut in cuts))
        if product_gated:
            step = advance & item["valid"]
            item = {**item, "magnitude": Mux(step, item["magnitude"], 0), "negative": item["negative"] & step}
        if "window" in cuts:
            item = pipe.stage(item, "window", self._window)
        item = pipe.stage(item, "term", self._term) if "term" in cuts else pipe.step(item, self._term)
        self._accumulate(m, item, advance, product_gated)
        return m

    def _integer_product(self) -> bool:
        """Both operands integer / table: one signed multiply, no shifter (maps onto DSPs)."""
        return integer_operands(self._a, self._b, self._mul, self._operand_decode)

    @property
    def _halving(self) -> int:
        """Minifloat operands decode to doubled units (see hwgen.gen.operands); products carry 2^this.
        Decoded to integers (``decode="integer"``) they are in plain units."""
        if self._integer_product():
            return 0
        return sum(isinstance(f, MiniFloat) for f in (self._a, self._b))

    def _window(self, m, item):
        """The aligner's first step (``window`` cut point: hwgen.gen.exact_product.align_window)."""
        window, coarse = align_window(m, item["magnitude"], item["shift"])
        return {"window": window, "coarse": coarse, "drop": item["drop"],
                **{k: item[k] for k in ("negative", "nan", "inf")}}

    def _split_product(self) -> bool:
        """Exact products into a fixed accumulator: operands split, specials dropped at the term."""
        return split_product(self._a, self._b, self._acc, self._mul, self._operand_decode)

    def _tabulated(self) -> bool:
        """fp4 x fp4 shaped for LUT6s: a table replaces multiplier, exponent adder and aligner."""
        return tabulated(self._a, self._b, self._acc, self._mul, self._operand_decode, self._product_logic)

    def _decode(self, m, item):
        if self._integer_product():
            return {"a": signed_value(self._a, item["a"]), "b": signed_value(self._b, item["b"])}
        if self._split_product():
            a = split_operand(m, self._a, item["a"], "a")
            b = split_operand(m, self._b, item["b"], "b")
            nan = a.nan | b.nan | (a.inf & b.zero) | (a.zero & b.inf)
            fields = {"negative": a.negative ^ b.negative, "nan": nan, "inf": (a.inf | b.inf) & ~nan}
            if self._tabulated():
                return {"a_code": item["a"][:-1], "b_code": item["b"][:-1], **fields}
            return {"a_significand": a.significand, "a_exponent": a.exponent, "b_significand": b.significand,
                    "b_exponent": b.exponent, "drop": a.drop | b.drop, **fields}
        a = decode_operand(m, self._a, item["a"], "a")
        b = decode_operand(m, self._b, item["b"], "b")
        nan = a.nan | b.nan | (a.inf & b.zero) | (a.zero & b.inf)
        fields = {"a_magnitude": a.magnitude, "a_shift": a.shift, "b_magnitude": b.magnitude,
                  "b_shift": b.shift, "negative": a.negative ^ b.negative, "nan": nan,
                  "inf": (a.inf | b.inf) & ~nan}
        if self._mul == "lmul":
            fields["a_code"], fields["b_code"] = item["a"], item["b"]
        return fields

    def _multiply(self, m, item):
        if self._integer_product():
            if self._acc.kind == "float":  # the sign of a zero product too: -3 * 0 adds -0
                return {"product": item["a"] * item["b"], "negative": (item["a"] < 0) ^ (item["b"] < 0)}
            return {"product": item["a"] * item["b"]}
        specials = {k: item[k] for k in ("negative", "nan", "inf")}
        if self._tabulated():
            return {"magnitude": product_table(self._a, self._b, item["a_code"], item["b_code"]), **specials}
        if self._split_product():
            lut6 = self._product_logic == "lut6"
            return {"magnitude": multiply(item["a_significand"], item["b_significand"], lut6),
                    "shift": item["a_exponent"] + item["b_exponent"], "drop": item["drop"], **specials}
        if self._mul == "lmul":
            magnitude, shift = self._lmul(m, item)
        else:
            magnitude = item["a_magnitude"] * item["b_magnitude"]
            shift = item["a_shift"] + item["b_shift"]
        return {"magnitude": magnitude, "shift": shift, **specials}

    def _lmul(self, m, item):
        return lmul_parts(m, self._a, item["a_code"], item["b_code"], item["nan"] | item["inf"], "")

    def _term(self, m, item):
        if self._acc.kind == "float" and self._integer_product():
            # The systolic PE's way (hwgen.gen.processing_element): the signed product stays one
            # signed multiply (a DSP's), its magnitude is the float adder's significand.
            magnitude = absolute_value(m, item["product"], product_bits(self._a, self._b, self._mul),
                                       "product_magnitude")
            return {"magnitude": magnitude, "negative": item["negative"]}
        if self._acc.kind == "float" or self._integer_product():
            return {k: v for k, v in item.items() if k not in ("valid", "last")}
        # Only the bits a product reaches vary; above them the term is its sign, which Yosys keeps
        # as one net for all the upper bits.
        width = min(self._acc.width, max_product_units(self._a, self._b, self._mul).bit_length() + 1)
        if self._tabulated():
            shifted = item["magnitude"]
        elif self._split_product():
            offset = exponent_offset(self._a) + exponent_offset(self._b)
            if "window" in item:
                shifted = align_select(m, item["window"], item["coarse"], offset, item["drop"], width - 1)
            else:
                shifted = align(m, item["magnitude"], item["shift"], offset, item["drop"], width - 1)
        else:  # L-Mul: its product is in plain units and already 0 for NaN / inf
            shifted = Signal(unsigned(width - 1), name="term_magnitude")
            m.d.comb += shifted.eq(item["magnitude"] << item["shift"])
        # -x = ~x + 1: the accumulator adds the complemented term with `negative` as carry-in, so
        # negation costs XOR gates instead of a second adder.
        term = Signal(signed(width), name="term_ones_complement")
        m.d.comb += term.eq(Cat(shifted, 0) ^ item["negative"].replicate(width))
        return {"term": term, "nan": item["nan"], "inf": item["inf"], "negative": item["negative"]}

    def _accumulate(self, m, item, advance, product_gated: bool):
        term = self._float_term(item) if self._acc.kind == "float" else self._fixed_term(item, product_gated)
        accumulate(m, self.o, item, advance, self._acc, term,
                   stages=self._acc_stages, adder=self._acc_adder, idle=self._acc_idle)

    def _fixed_term(self, item, product_gated: bool) -> FixedTerm:
        if self._integer_product():  # no specials
            return FixedTerm(item["product"])
        # For minifloats, + negative completes the two's complement of the term (see _term).
        inf, negative = item["inf"], item["negative"]
        return FixedTerm(item["term"] + negative, item["nan"], inf & ~negative, inf & negative,
                         value=item["term"], carry_in=negative, idle_zero=product_gated)

    def _float_term(self, item) -> FloatTerm:
        # Integer products come without a shift and without specials (see _term).
        halving = 0 if self._mul == "lmul" else self._halving
        return FloatTerm(item["negative"], item["magnitude"], item.get("shift", Const(0, 0)),
                         item.get("nan", Const(0, 1)), item.get("inf", Const(0, 1)),
                         self._a.lsb_exponent + self._b.lsb_exponent - halving)
