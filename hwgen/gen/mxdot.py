"""The block dot-product unit generator (OCP MX v1.0, NVFP4): one block pair per clock.

Interface (the MAC's, with blocks for operands): clock ``clk``, synchronous active-high reset
``rst``; input stream ``i`` with payload fields ``a`` and ``b`` (``block`` element codes each, element
k at bits [k * bits, (k + 1) * bits)), ``scale_a``, ``scale_b`` (one scale code each) and ``last``;
output stream ``o`` with payload ``acc`` (plus the sticky ``nan`` and ``inf`` fields for a fixed
accumulator). One output per input item with ``last`` set: the dot product of the blocks since the
previous ``last``. Semantics: hwgen.golden.block_dot (bit-exact).

Datapath: decode every element pair, multiply exactly, shift each product to the block's common
fixed point, add them in a balanced adder tree (the exact block sum S), apply the two scales (an
exponent add: a shift of S for E8M0; significand multiply and shift for minifloat scales), then add
S * scales to the fixed accumulator, or round acc + S * scales once into the float accumulator.
"""

from dataclasses import replace

from amaranth import Cat, Const, Module, Mux, Shape, Signal, signed, unsigned
from amaranth.lib import data, stream, wiring
from amaranth.lib.wiring import In, Out

from hwgen.formats import E8M0, IntFormat, MiniFloat
from hwgen.formats._check import check_int
from hwgen.formats.block_dot import (
    block_accumulator,
    block_lsb_exponent,
    block_pair,
    block_sum_max_units,
)
from hwgen.gen.accumulate import FixedTerm, FloatTerm, accumulate, output_layout
from hwgen.gen.operands import Operand, decode_operand, signed_value
from hwgen.gen.pipeline import CONTROL, Pipeline, PipelinedUnit, stall_control
from hwgen.specs.mxdot import DEFAULT_ACC, DEFAULT_PIPELINE, MAX_PIPELINE, MXDOT_CUT_POINTS, MxDotSpec

# Where pipeline registers go, in order: after the block sum (S and the block's flags: narrow),
# after the element multipliers, after the scaling (before the accumulator), after the element
# decode, after the product shifters (widest). Deeper pipelines add input registers.
CUT_POINTS = ("tree", "product", "scale", "operands", "term")
assert len(CUT_POINTS) == MXDOT_CUT_POINTS  # the spec's Fmax search stops after the last cut
DATA_KEYS = ("scale_a", "scale_b")  # carried unchanged until the scale stage uses them
ELEMENT_FLAGS = ("element_nan", "element_pos_inf", "element_neg_inf")  # of a block's element products


class MxDotUnit(PipelinedUnit, wiring.Component):
    """Pipelined block dot-product unit for MX (E8M0 scales) and NVFP4 (E4M3 scales) block formats.

    Parameters
    ----------
    a, b:
        Block formats (``mxfp8_e4m3``, ``mxfp8_e5m2``, ``mxfp6_e3m2``, ``mxfp6_e2m3``, ``mxfp4``,
        ``mxint8``, ``nvfp4`` or :class:`~hwgen.formats.BlockFormat` objects of another block size);
        *b* defaults to *a*. Both need the same block size and scale format.
    acc:
        ``"fixed"`` (exact, width from ``terms``), ``"fixed:W"`` (wraps) or a float format name
        (``fp32``, ``bf16``, ...): one rounding per block.
    terms:
        The most blocks one dot product may have, for sizing ``fixed`` (default 64).
    pipeline:
        Register stages from input to output, >= 1. Latency = ``pipeline`` cycles from the input
        transfer carrying ``last`` to ``o.valid`` (no backpressure); initiation interval 1 (one
        block pair per clock).

    Backpressure stalls the whole pipeline: ``i.ready = ~o.valid | o.ready``.
    """

    def __new__(cls, a, b=None, acc=DEFAULT_ACC, *, terms=None, pipeline=DEFAULT_PIPELINE):
        # Checked before the object exists: Amaranth warns about every component it never
        # elaborates, and a refused design is not an unused one.
        a, b = block_pair(a, b)
        acc = block_accumulator(acc, a, b, terms)
        pipeline = check_int(pipeline, "pipeline depth", 1, MAX_PIPELINE)
        unit = super().__new__(cls, src_loc_at=1)
        unit._a, unit._b, unit._acc, unit._pipeline = a, b, acc, pipeline
        return unit

    def __init__(self, *_options, **_keywords):  # the options: checked and kept by __new__
        size, scale = self._a.block_size, self._a.scale
        in_layout = data.StructLayout({
            "a": size * self._a.element.bits, "b": size * self._b.element.bits,
            "scale_a": scale.bits, "scale_b": scale.bits, "last": 1})
        super().__init__({"i": In(stream.Signature(in_layout)),
                          "o": Out(stream.Signature(output_layout(self._acc)))})

    @classmethod
    def from_spec(cls, spec: MxDotSpec) -> "MxDotUnit":
        return cls(*spec.formats(), spec.acc, terms=spec.terms, pipeline=spec.pipeline)

    # -- facts the testbench, manifest and cost model read ----------------------------------------
    @property
    def a(self):
        return self._a

    @property
    def b(self):
        return self._b

    @property
    def block_size(self) -> int:
        return self._a.block_size

    @property
    def scale(self):
        return self._a.scale

    @property
    def accumulator(self):
        return self._acc

    @property
    def block_sum_bits(self) -> int:
        """Width of the exact block sum S (two's complement)."""
        return block_sum_max_units(self._a, self._b).bit_length() + 1

    # -- datapath ---------------------------------------------------------------------------------
    def elaborate(self, platform):
        m = Module()
        advance = stall_control(m, self.o, self.i)
        # The scale codes ride along until the scale stage uses them.
        pipe = Pipeline(m, advance, CUT_POINTS, self._pipeline, carry=(*CONTROL, *DATA_KEYS))
        payload = self.i.payload
        item = pipe.inputs({"valid": self.i.valid, "last": payload.last, "a": payload.a, "b": payload.b,
                            "scale_a": payload.scale_a, "scale_b": payload.scale_b})
        item = pipe.stage(item, "operands", self._decode)
        item = pipe.stage(item, "product", self._multiply)
        item = pipe.stage(item, "term", self._term)
        item = pipe.stage(item, "tree", self._tree)
        item = pipe.stage(item, "scale", self._scale, carry=CONTROL)
        self._accumulate(m, item, advance)
        return m

    @property
    def _elements(self):
        return self._a.element, self._b.element

    def _integer_product(self) -> bool:
        """Both element formats integer: one signed multiply per lane, no shifter (maps onto DSPs)."""
        return all(isinstance(f, IntFormat) for f in self._elements)

    @property
    def _specials(self) -> bool:
        """Whether an element code can be NaN or inf."""
        return any(f.has_nan or f.has_inf for f in self._elements)

    def _lanes(self, code, fmt):
        return [code[k * fmt.bits:(k + 1) * fmt.bits] for k in range(self.block_size)]

    def _decode(self, m, item):
        ea, eb = self._elements
        a_codes, b_codes = self._lanes(item["a"], ea), self._lanes(item["b"], eb)
        if self._integer_product():
            return {"a": [signed_value(ea, c) for c in a_codes], "b": [signed_value(eb, c) for c in b_codes]}
        fields = {key: [] for key in ("a_magnitude", "a_shift", "b_magnitude", "b_shift", "negative")}
        if self._specials:
            fields.update(nan=[], inf=[])
        for k, (a_code, b_code) in enumerate(zip(a_codes, b_codes, strict=True)):
            a = _named_flags(m, decode_operand(m, ea, a_code, f"a{k}"), ea, f"a{k}")
            b = _named_flags(m, decode_operand(m, eb, b_code, f"b{k}"), eb, f"b{k}")
            fields["a_magnitude"].append(a.magnitude)
            fields["a_shift"].append(a.shift)
            fields["b_magnitude"].append(b.magnitude)
            fields["b_shift"].append(b.shift)
            fields["negative"].append(_named(m, a.negative ^ b.negative, f"negative{k}"))
            if self._specials:
                nan = _named(m, a.nan | b.nan | (a.inf & b.zero) | (a.zero & b.inf), f"nan{k}")
                fields["nan"].append(nan)
                fields["inf"].append(_named(m, (a.inf | b.inf) & ~nan, f"inf{k}"))
        return fields

    def _multiply(self, m, item):
        if self._integer_product():
            return {"product": [a * b for a, b in zip(item["a"], item["b"], strict=True)]}
        fields = {"magnitude": [a * b for a, b in zip(item["a_magnitude"], item["b_magnitude"], strict=True)],
                  "shift": [a + b for a, b in zip(item["a_shift"], item["b_shift"], strict=True)]}
        fields.update({k: item[k] for k in ("negative", "nan", "inf") if k in item})
        return fields

    @property
    def _halving(self) -> int:
        """Minifloat elements decode to doubled units (see hwgen.gen.operands); products carry 2^this."""
        return sum(isinstance(f, MiniFloat) for f in self._elements)

    def _term(self, m, item):
        if self._integer_product():
            return {"term": item["product"]}
        ea, eb = self._elements
        width = (ea.max_units * eb.max_units).bit_length()
        terms = []
        lanes = zip(item["magnitude"], item["shift"], item["negative"], strict=True)
        for k, (magnitude, shift, negative) in enumerate(lanes):
            shifted = Signal(unsigned(width), name=f"term{k}_magnitude")
            m.d.comb += shifted.eq((magnitude << shift) >> self._halving)
            # -x = ~x + 1: the tree adds the complemented terms and, once, the count of negative
            # ones. XOR gates per lane and one small count are cheaper than negating each product
            # (measured: ~2 % fewer cells than a signed product shifted with its sign).
            term = Signal(signed(width + 1), name=f"term{k}_ones_complement")
            m.d.comb += term.eq(Cat(shifted, Const(0, 1)) ^ negative.replicate(width + 1))
            terms.append(term)
        fields = {"term": terms, "negatives": Cat(*item["negative"])}
        if self._specials:
            nan, inf, negative = Cat(*item["nan"]), Cat(*item["inf"]), Cat(*item["negative"])
            fields.update(element_nan=nan.any(), element_pos_inf=(inf & ~negative).any(),
                          element_neg_inf=(inf & negative).any())
        return fields

    def _tree(self, m, item):
        width = self.block_sum_bits
        leaves = list(item["term"])
        if "negatives" in item:
            count = Signal(range(self.block_size + 1), name="negative_terms")
            m.d.comb += count.eq(_adder_tree(m, list(item["negatives"]), count.shape(), "count"))
            leaves.append(count)
        total = Signal(signed(width), name="block_sum")
        m.d.comb += total.eq(_adder_tree(m, leaves, signed(width), "tree"))
        fields = {"sum": total}
        fields.update({k: item[k] for k in ELEMENT_FLAGS if k in item})
        return fields

    # -- scales -------------------------------------------------------------------------------------
    def _decode_scale(self, m, code, name) -> Operand:
        scale = self._a.scale
        if isinstance(scale, E8M0):
            false = Const(0, 1)
            return Operand(false, Const(1, 1), code, _named(m, code == E8M0.nan_code, f"{name}_nan"), false)
        return decode_operand(m, scale, code, name)

    @property
    def _scale_halving(self) -> int:
        return 2 if isinstance(self._a.scale, MiniFloat) else 0

    def _scale(self, m, item):
        sa = self._decode_scale(m, item["scale_a"], "scale_a")
        sb = self._decode_scale(m, item["scale_b"], "scale_b")
        e8m0 = isinstance(self._a.scale, E8M0)
        significand = Const(1, 1) if e8m0 else sa.magnitude * sb.magnitude
        shift = Signal(range((1 << len(sa.shift)) * 2 - 1), name="scale_shift")
        m.d.comb += shift.eq(sa.shift + sb.shift)
        # Named signals: an expression used in several places (or replicated) is otherwise built
        # again at every use in the netlist.
        scale_nan = _named(m, sa.nan | sb.nan, "scale_nan")
        scale_zero = Const(0, 1) if e8m0 else _named(
            m, ((sa.magnitude == 0) | (sb.magnitude == 0)) & ~scale_nan, "scale_zero")
        scale_negative = _named(m, sa.negative ^ sb.negative, "scale_negative")
        element_pos_inf = item.get("element_pos_inf", Const(0, 1))
        element_neg_inf = item.get("element_neg_inf", Const(0, 1))
        keep_inf = ~scale_nan & ~scale_zero
        element_inf = element_pos_inf | element_neg_inf
        element_nan = item.get("element_nan", Const(0, 1))
        nan = _named(m, scale_nan | element_nan | (element_inf & scale_zero), "block_nan")
        pos_inf = _named(m, keep_inf & Mux(scale_negative, element_neg_inf, element_pos_inf), "block_pos_inf")
        neg_inf = _named(m, keep_inf & Mux(scale_negative, element_pos_inf, element_neg_inf), "block_neg_inf")
        block_sum = item["sum"]
        if self._acc.kind == "fixed":
            # Sign and NaN gating on the narrow S * significands, before the shift widens it.
            product = block_sum if e8m0 else block_sum * significand
            signed_product = Signal(signed(len(product) + 1), name="scaled_significand")
            m.d.comb += signed_product.eq(Mux(scale_nan, 0, Mux(scale_negative, -product, product)))
            term = Signal(signed(self._acc.width), name="scaled_term")
            m.d.comb += term.eq((signed_product << shift) >> self._scale_halving)
            return {"term": term, "nan": nan, "pos_inf": pos_inf, "neg_inf": neg_inf}
        sum_negative = _named(m, block_sum < 0, "sum_negative")
        absolute = Signal(unsigned(self.block_sum_bits - 1), name="block_sum_magnitude")
        m.d.comb += absolute.eq(Mux(sum_negative, -block_sum, block_sum))
        magnitude = Signal(unsigned(len(absolute) + (0 if e8m0 else len(significand))),
                           name="scaled_significand")
        p_nan = _named(m, nan | (pos_inf & neg_inf), "p_nan")
        p_inf = _named(m, (pos_inf | neg_inf) & ~p_nan, "p_inf")
        m.d.comb += magnitude.eq(Mux(p_nan | p_inf, 0, absolute * significand))
        # A zero block is +0 (S is an integer): only a nonzero value carries a sign.
        finite_negative = (sum_negative ^ scale_negative) & (magnitude != 0)
        return {"magnitude": magnitude, "shift": shift, "negative": Mux(p_inf, neg_inf, finite_negative),
                "nan": p_nan, "inf": p_inf}

    # -- accumulator ------------------------------------------------------------------------------
    def _accumulate(self, m, item, advance):
        if self._acc.kind == "fixed":
            term = FixedTerm(item["term"], item["nan"], item["pos_inf"], item["neg_inf"])
        else:
            term = FloatTerm(item["negative"], item["magnitude"], item["shift"], item["nan"], item["inf"],
                             block_lsb_exponent(self._a, self._b) - self._scale_halving)
        accumulate(m, self.o, item, advance, self._acc, term, flags_apart=False)


def _named(m, value, name: str) -> Signal:
    """*value* as a named combinational signal."""
    signal = Signal(value.shape(), name=name)
    m.d.comb += signal.eq(value)
    return signal


def _named_flags(m, operand: Operand, fmt, name: str) -> Operand:
    """*operand* with its special flags (used several times each) as named signals."""
    if not (fmt.has_nan or fmt.has_inf):
        return operand
    return replace(operand, nan=_named(m, operand.nan, f"{name}_nan"),
                   inf=_named(m, operand.inf, f"{name}_inf"))


def _adder_tree(m, values, shape, name: str):
    """The sum of *values* by a balanced tree of two-input adders, no node wider than *shape*.

    The sum must fit *shape*: then partial sums wrapped modulo 2^width on the way still give it
    exactly (signed *shape*), or never wrap at all (unsigned).
    """
    level = 0
    while len(values) > 1:
        paired = []
        for index in range(0, len(values) - 1, 2):
            left, right = values[index], values[index + 1]
            bits = max(_bits_as(left, shape.signed), _bits_as(right, shape.signed)) + 1
            node = Signal(Shape(min(bits, shape.width), shape.signed), name=f"{name}{level}_{index // 2}")
            m.d.comb += node.eq(left + right)
            paired.append(node)
        if len(values) % 2:
            paired.append(values[-1])
        values, level = paired, level + 1
    return values[0]


def _bits_as(value, as_signed: bool) -> int:
    """Bits *value* needs in a signed (or unsigned) node."""
    shape = value.shape()
    return shape.width + (as_signed and not shape.signed)
