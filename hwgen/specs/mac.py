"""The MAC spec: operand formats, accumulator, dot-product length, pipeline depth, multiply mode, DSP
mapping."""

from dataclasses import dataclass
from typing import ClassVar

from hwgen.formats import (
    DEFAULT_TERMS,
    Accumulator,
    IntFormat,
    MiniFloat,
    TableFormat,
    accumulator,
    scalar_format,
)
from hwgen.formats._check import check_int
from hwgen.formats.accumulator import signed_width, significand_bits
from hwgen.specs.base import UnitSpec

DEFAULT_PIPELINE = 3
MAX_PIPELINE = 16
# Where hwgen.gen.mac's pipeline registers go, in the order a deeper pipeline fills them: after the
# multiplier (a DSP's M register), after the operand decode (its A/B registers), after the product
# shifter, and inside the shifter, between its two steps (the window the fine shift makes, and the select
# that places it: hwgen.gen.exact_product.align). Which of them a MAC has: mac_cut_points. Deeper
# pipelines add input registers.
CUT_POINTS = ("product", "operands", "term", "window")
# A LUT6 is any function of 6 inputs: a table of minifloat magnitudes of at most this many input bits
# replaces multiplier, exponent adder and aligner (one LUT per output bit).
TABLE_INPUT_BITS = 6
# The aligner shifts by the low FINE_SHIFT_BITS of the exponent sum first, then places that window
# at a multiple of 2^FINE_SHIFT_BITS: for products of up to 9 bits each term bit then picks one of
# two window bits (5 inputs with the two selects and the sign, which fits the adder's LUT6).
FINE_SHIFT_BITS = 3

# How the multiplier and accumulator map onto DSP blocks: "inferred" leaves it to synthesis (portable
# Verilog); "sb_mac16" instantiates two iCE40 UltraPlus SB_MAC16 blocks (hwgen.gen.sb_mac16): Yosys
# packs no pipeline register that has a clock enable into an SB_MAC16, so a stallable pipeline only
# reaches its DSP registers by instantiation.
DSP_MAPPINGS = ("inferred", "sb_mac16")
SB_MAC16_OPERAND_BITS = 8  # two's complement bits per operand in the SB_MAC16's 8x8 mode
SB_MAC16_ACC_BITS = 32
SB_MAC16_MIN_PIPELINE = 2  # the product register and the accumulator (depth 1 infers one SB_MAC16)
SB_MAC16_TARGETS = ("ice40",)  # the synthesis targets that map an instantiated SB_MAC16
# Register stages of the accumulator: 1, or 2 = its addition split in two halves with a register between
# (hwgen.gen.accumulate.accumulate_in_two_stages), for a fixed accumulator whose carry chain is the
# critical path; with acc_adder "carry_save", 2 to 4 = the carry-save loop, then the sum of its two
# vectors in 1 to 3 pieces. Every stage is one of the pipeline's stages (latency stays `pipeline`).
ACC_STAGES = (1, 2, 3, 4)
HALVES_STAGES = 2  # the split into halves has two stages; more are carry-save only
# The fixed accumulator's adder: "inferred" (synthesis maps `(restart ? 0 : acc) + term`); "ccu2c": a
# chain of instantiated ECP5 CCU2C carry cells whose LUTs also apply the restart (hwgen.gen.ccu2c), which
# Yosys's mapping puts in a LUT per bit of its own; or "carry_save" (with acc_stages 2 to 4): the sum kept
# as two vectors, a full adder per bit and no carry chain in the loop, added up in the other stages
# (hwgen.gen.accumulate.accumulate_carry_save).
ACC_ADDERS = ("inferred", "ccu2c", "carry_save")
CCU2C_TARGETS = ("ecp5",)  # the synthesis targets that map an instantiated CCU2C
# How a minifloat operand enters the product: "split" into sign, significand and exponent (the
# significands multiplied, the product aligned by the exponent sum: small in LUTs), or "integer": decoded
# to its signed value in units of 2^lsb_exponent, one signed multiply into the fixed accumulator with no
# aligner, which maps onto a DSP block's multiplier. Only for minifloats without NaN / inf ("finite")
# whose values fit INTEGER_DECODE_BITS two's complement bits: the narrowest signed multiplier operand of
# the DSP targets (iCE40's SB_MAC16 16 x 16; ECP5 18 x 18, xc7 25 x 18).
DECODES = ("split", "integer")
INTEGER_DECODE_BITS = 16
# What a fixed accumulator does in a cycle that adds no item (an idle input or a stall): "hold" keeps its
# flip-flops by their clock enable (free on the FPGAs, whose flip-flops have one), "add_zero" has no
# enable: the cycle's term is gated to 0 and added (hwgen.gen.accumulate), which is smaller where a
# flip-flop has no enable and each enabled bit is a multiplexer (the gates target, standard cells such as
# OSU's). The Fmax search tries it on ADD_ZERO_TARGETS (gates has no search).
ACC_IDLES = ("hold", "add_zero")
ADD_ZERO_TARGETS = ("asic",)
# How an exact split product is built: "lut6" shapes it for six-input LUTs where that changes it
# (magnitudes of at most TABLE_INPUT_BITS bits together: a table of |a * b|; a significand product that
# two table rows hold: the rows and an adder, hwgen.gen.exact_product.multiply); "cells" leaves the
# multiply to synthesis and aligns the product as any other, which is smaller where there are no LUTs
# (two-input gates, standard cells) and, at some depths, on ECP5's LUT4s. The Fmax search tries "cells" on
# CELLS_TARGETS (gates has no search).
PRODUCT_LOGICS = ("lut6", "cells")
CELLS_TARGETS = ("asic", "ecp5")


def canonical_acc(acc: Accumulator) -> str:
    """``fixed``, ``fixed:W`` (W without leading zeros) or the float format's registry name."""
    if acc.kind == "float":
        return acc.format.name
    return "fixed" if acc.spec == "fixed" else f"fixed:{acc.width}"


def shape_parts(acc: str, terms, default_terms, mul: str, pipeline: int, default_pipeline: int,
                dsp: str = "inferred") -> list[str]:
    """What a non-default shape adds to a name, in order: ``k<K>`` (a fixed accumulator sized for
    another length), the multiply mode, ``p<N>``, the DSP mapping."""
    parts = []
    if acc == "fixed" and terms != default_terms:
        parts.append(f"k{terms}")
    if mul != "exact":
        parts.append(mul)
    if pipeline != default_pipeline:
        parts.append(f"p{pipeline}")
    if dsp != "inferred":
        parts.append(dsp)
    return parts


def check_acc_stages(stages, acc: Accumulator, dsp: str, pipeline: int) -> int:
    """*stages* if the accumulator can take that many register stages; else one line why not."""
    if type(stages) is not int or stages not in ACC_STAGES:
        raise ValueError(f"acc_stages must be one of {', '.join(map(str, ACC_STAGES))}, not {stages!r}")
    if stages > 1:
        if acc.kind != "fixed":
            raise ValueError(f"acc_stages {stages} splits a fixed accumulator's addition, not {acc.spec}'s")
        if dsp != "inferred":
            raise ValueError(f"acc_stages {stages} and dsp {dsp} exclude each other (the DSP holds the "
                             "accumulator)")
        if pipeline < stages:
            raise ValueError(f"acc_stages {stages} needs pipeline {stages} or more (every stage is a "
                             "pipeline stage)")
    return stages


def check_dsp(dsp, a, b, acc: Accumulator, mul: str, pipeline: int, decode: str = "split") -> str:
    """*dsp* if it is a DSP mapping the MAC can take; else one line naming what it needs."""
    if dsp not in DSP_MAPPINGS:
        raise ValueError(f"dsp must be one of {', '.join(DSP_MAPPINGS)}, not {dsp!r}")
    if dsp == "sb_mac16":
        why = None
        formats = (a, b)
        if not integer_operands(a, b, mul, decode):
            usable = (integer_operands(a, b, mul, "integer") and acc.kind == "fixed"
                      and max(signed_width(f) for f in formats) <= SB_MAC16_OPERAND_BITS)
            hint = " (these minifloats with decode integer)" if usable else ""
            why = f"integer or table operands and the exact multiplier, not {a.name} x {b.name} ({mul}){hint}"
        elif max(signed_width(f) for f in formats) > SB_MAC16_OPERAND_BITS:
            why = f"operands of at most {SB_MAC16_OPERAND_BITS} two's complement bits ({a.name} x {b.name})"
        elif acc.kind != "fixed" or acc.width > SB_MAC16_ACC_BITS:
            why = (f"a fixed accumulator of at most {SB_MAC16_ACC_BITS} bits, not "
                   + (f"{acc.spec} ({acc.width} bits)" if acc.kind == "fixed" else acc.spec))
        elif pipeline < SB_MAC16_MIN_PIPELINE:
            why = (f"pipeline {SB_MAC16_MIN_PIPELINE} or more (at pipeline 1 the inferred MAC is one "
                   "SB_MAC16 already)")
        if why:
            raise ValueError(f"dsp sb_mac16 needs {why}")
    return dsp


def check_acc_adder(adder, acc: Accumulator, dsp: str, stages: int) -> str:
    """*adder* if the accumulator can be built with it; else one line why not."""
    if adder not in ACC_ADDERS:
        raise ValueError(f"acc_adder must be one of {', '.join(ACC_ADDERS)}, not {adder!r}")
    if adder == "ccu2c":
        if acc.kind != "fixed":
            raise ValueError(f"acc_adder ccu2c builds a fixed accumulator's adder, not {acc.spec}'s")
        if dsp != "inferred":
            raise ValueError(f"acc_adder ccu2c and dsp {dsp} exclude each other (the DSP holds the "
                             f"accumulator)")
        if stages != 1:
            raise ValueError(f"acc_adder ccu2c and acc_stages {stages} exclude each other (one adder of one "
                             "stage)")
    if adder == "carry_save" and stages == 1:
        # check_acc_stages has refused a float accumulator and the DSP mappings for more stages already
        raise ValueError(f"acc_adder carry_save needs acc_stages {', '.join(map(str, ACC_STAGES[1:]))} (the "
                         "carry-save loop, then the sum of its two vectors in the other stages)")
    if stages > HALVES_STAGES and adder != "carry_save":
        raise ValueError(f"acc_stages {stages} needs acc_adder carry_save (the split into halves has "
                         f"{HALVES_STAGES} stages)")
    return adder


def check_acc_idle(idle, acc: Accumulator, dsp: str, stages: int, adder: str) -> str:
    """*idle* if the accumulator can be built that way; else one line naming what it needs."""
    if idle not in ACC_IDLES:
        raise ValueError(f"acc_idle must be one of {', '.join(ACC_IDLES)}, not {idle!r}")
    if idle == "add_zero":
        needs = [(acc.kind == "fixed", "a fixed accumulator", f"acc {acc.spec}"),
                 (dsp == "inferred", "dsp inferred", f"dsp {dsp}"),
                 (stages == 1, "acc_stages 1", f"acc_stages {stages}"),
                 (adder == "inferred", "acc_adder inferred", f"acc_adder {adder}")]
        refused = [(need, given) for ok, need, given in needs if not ok]
        if refused:
            raise ValueError(f"acc_idle add_zero needs {' and '.join(need for need, _ in refused)}, not "
                             f"{' and '.join(given for _, given in refused)}")
    return idle


def decodes_to_integer(fmt) -> bool:
    """A minifloat that ``decode = "integer"`` can take: no NaN / inf, values within
    :data:`INTEGER_DECODE_BITS` two's complement bits (fp6_e2m3: 7, fp6_e3m2: 10, fp4_e2m1: 5)."""
    return (isinstance(fmt, MiniFloat) and not (fmt.has_nan or fmt.has_inf)
            and signed_width(fmt) <= INTEGER_DECODE_BITS)


def check_decode(decode, a, b, acc: Accumulator, mul: str) -> str:
    """*decode* if the MAC's operands can be decoded that way; else one line naming what it needs."""
    if decode not in DECODES:
        raise ValueError(f"decode must be one of {', '.join(DECODES)}, not {decode!r}")
    if decode == "integer":
        formats = (a, b)
        if not any(isinstance(f, MiniFloat) for f in formats):
            raise ValueError(f"decode integer decodes minifloat operands; {a.name} x {b.name} has none "
                             "(nothing to decode; use decode split)")
        refused = [f for f in formats if isinstance(f, MiniFloat) and not decodes_to_integer(f)]
        if refused:
            why = ("has NaN / inf" if refused[0].has_nan or refused[0].has_inf
                   else f"needs {signed_width(refused[0])} bits")
            raise ValueError(f"decode integer needs minifloats without NaN / inf within "
                             f"{INTEGER_DECODE_BITS} two's complement bits (e.g. fp6_e2m3, fp6_e3m2, "
                             f"fp4_e2m1), not {refused[0].name} ({why})")
        if mul != "exact" or acc.kind != "fixed":
            raise ValueError(f"decode integer needs the exact multiplier and a fixed accumulator, not {mul} "
                             f"into {acc.spec}")
    return decode


def integer_operands(a, b, mul: str, decode: str = "split") -> bool:
    """Both operands integer or table (or, with ``decode = "integer"``, minifloats decoded to their
    integer values): one signed multiply, no shifter (maps onto DSPs)."""
    def integer(fmt) -> bool:
        return isinstance(fmt, IntFormat | TableFormat) or (decode == "integer" and decodes_to_integer(fmt))

    return mul == "exact" and all(integer(f) for f in (a, b))


def split_product(a, b, acc: Accumulator, mul: str, decode: str = "split") -> bool:
    """Exact minifloat products into a fixed accumulator: operands split into significand and exponent,
    the product aligned by the exponent sum."""
    return mul == "exact" and acc.kind == "fixed" and not integer_operands(a, b, mul, decode)


def tabulated(a, b, acc: Accumulator, mul: str, decode: str = "split", product_logic: str = "lut6") -> bool:
    """Minifloats so narrow that each bit of |a * b| is one function of both codes' magnitude bits (fp4
    x fp4): with ``product_logic = "lut6"`` a table replaces multiplier, exponent adder and aligner."""
    return (product_logic == "lut6" and split_product(a, b, acc, mul, decode)
            and all(isinstance(f, MiniFloat) for f in (a, b))
            and sum(f.bits - 1 for f in (a, b)) <= TABLE_INPUT_BITS)


def row_tables(x_bits: int, y_bits: int) -> bool:
    """Whether an unsigned *x_bits* x *y_bits* product is two LUT6 table rows and an adder: one table
    cannot hold it, two rows of it can (a 4 x 4 significand product: x times two bits of y is a 6-input
    function)."""
    x_bits, y_bits = max(x_bits, y_bits), min(x_bits, y_bits)
    chunk = TABLE_INPUT_BITS - x_bits
    return 0 < chunk < y_bits <= 2 * chunk


def lut6_shaped(a, b, acc: Accumulator, mul: str, decode: str = "split") -> bool:
    """Whether ``product_logic = "lut6"`` shapes this MAC's product for LUT6s (a tabulated product, or a
    significand product of two table rows), so that ``"cells"`` builds another one."""
    return tabulated(a, b, acc, mul, decode) or (split_product(a, b, acc, mul, decode)
                                                 and row_tables(significand_bits(a), significand_bits(b)))


def check_product_logic(logic, a, b, acc: Accumulator, mul: str, decode: str) -> str:
    """*logic* if the MAC's product can be built that way; else one line naming what it needs."""
    if logic not in PRODUCT_LOGICS:
        raise ValueError(f"product_logic must be one of {', '.join(PRODUCT_LOGICS)}, not {logic!r}")
    if logic == "cells" and not lut6_shaped(a, b, acc, mul, decode):
        choices = ((f"mul {mul}", mul != "exact"), (f"decode {decode}", decode != "split"),
                   (f"acc {acc.spec}", acc.kind != "fixed"))
        given = [part for part, differs in choices if differs]
        raise ValueError(f"product_logic cells needs an exact split product that lut6 shapes (fp4 x fp4, or "
                         f"4 x 4, 4 x 3 or 5 x 2 significands such as fp8_e4m3fn's, fp6_e2m3's, fp8_e5m2 x "
                         f"fp6_e2m3's); {a.name} x {b.name}"
                         f"{' with ' + ' and '.join(given) if given else ''} is built the same either way")
    return logic


def mac_cut_points(a, b, acc: Accumulator, mul: str, decode: str = "split",
                   product_logic: str = "lut6") -> tuple[str, ...]:
    """The :data:`CUT_POINTS` a MAC of these operands has. ``term`` is left out for an integer product
    into a fixed accumulator (no shifter: a register there would be a second one between multiplier and
    adder, which splits no path and which no DSP block has; on xc7 it pushed the accumulator out of the
    DSP48E1); ``window`` is there only where the product is aligned in two steps (split products not
    tabulated, whose exponent sum is wider than :data:`FINE_SHIFT_BITS`)."""
    exponent_bits = max(f.exp_bits if isinstance(f, MiniFloat) else 1 for f in (a, b))
    windowed = (split_product(a, b, acc, mul, decode) and not tabulated(a, b, acc, mul, decode, product_logic)
                and exponent_bits + 1 > FINE_SHIFT_BITS)
    direct = integer_operands(a, b, mul, decode) and acc.kind == "fixed"
    return tuple(cut for cut in CUT_POINTS if (cut != "term" or not direct) and (cut != "window" or windowed))


def option_label(name: str, value) -> str:
    """How a placement option reads in labels, module names and the Fmax search's lines: ``acc2``,
    ``carry_save``, ``sb_mac16``, ``int_decode``, ``cells_product``."""
    if name == "acc_stages":
        return f"acc{value}"
    if name == "decode":
        return "int_decode" if value == "integer" else f"{value}_decode"
    if name == "product_logic":
        return f"{value}_product"
    return str(value)


def operands_name(a, b) -> str:
    """``int8`` for int8 x int8, ``dint4_int8`` for two formats (module names)."""
    return a.name if a == b else f"{a.name}_{b.name}"


# Options added after stores were written: left out of the canonical options while at their defaults.
LATER_OPTIONS = ("dsp", "acc_stages", "acc_adder", "decode", "acc_idle", "product_logic")


@dataclass(frozen=True)
class MacSpec(UnitSpec):
    """One pipelined multiply-accumulate unit (``hwgen.gen.mac.MacUnit``).

    ``terms``: the dot-product length a ``fixed`` accumulator is sized for (filled in: 64); other
    accumulators keep what was given. ``pipeline``: register stages, latency = ``pipeline`` cycles.
    ``dsp``: one of :data:`DSP_MAPPINGS`; ``acc_stages``: one of :data:`ACC_STAGES`; ``acc_adder``: one
    of :data:`ACC_ADDERS`; ``decode``: one of :data:`DECODES`; ``acc_idle``: one of :data:`ACC_IDLES`;
    ``product_logic``: one of :data:`PRODUCT_LOGICS`.
    They are left out of the canonical options at their defaults, so designs stored before they existed
    keep their identity.
    """

    kind: ClassVar[str] = "mac"
    # The depths an Fmax search tries (hwgen.fpga.fmax): past the last cut point a deeper pipeline only
    # adds input registers, which cannot shorten the critical path (what they seem to gain is placement
    # noise).
    max_pipeline: ClassVar[int] = len(CUT_POINTS) + 1

    a: str
    b: str
    acc: str = "fixed"
    terms: int | None = None
    pipeline: int = DEFAULT_PIPELINE
    mul: str = "exact"
    dsp: str = "inferred"
    acc_stages: int = 1
    acc_adder: str = "inferred"
    decode: str = "split"
    acc_idle: str = "hold"
    product_logic: str = "lut6"

    def __post_init__(self):
        a, b = scalar_format(self.a), scalar_format(self.b)
        acc = accumulator(self.acc, a, b, self.terms, self.mul)
        pipeline = check_int(self.pipeline, "pipeline depth", 1, MAX_PIPELINE)
        decode = check_decode(self.decode, a, b, acc, self.mul)
        check_dsp(self.dsp, a, b, acc, self.mul, pipeline, decode)
        check_acc_stages(self.acc_stages, acc, self.dsp, pipeline)
        check_acc_adder(self.acc_adder, acc, self.dsp, self.acc_stages)
        check_acc_idle(self.acc_idle, acc, self.dsp, self.acc_stages, self.acc_adder)
        check_product_logic(self.product_logic, a, b, acc, self.mul, decode)
        self._canonical(a=a.name, b=b.name, acc=canonical_acc(acc), terms=acc.terms, pipeline=pipeline)

    def options(self) -> dict:
        options = super().options()
        for name in LATER_OPTIONS:
            if options[name] == self.default(name):
                del options[name]
        return options

    @property
    def format_a(self):
        return scalar_format(self.a)

    @property
    def format_b(self):
        return scalar_format(self.b)

    @property
    def accumulator(self) -> Accumulator:
        return accumulator(self.acc, self.format_a, self.format_b, self.terms, self.mul)

    @property
    def cut_points(self) -> tuple[str, ...]:
        """Where this MAC's pipeline registers may go, in the order a deeper pipeline fills them."""
        return mac_cut_points(self.format_a, self.format_b, self.accumulator, self.mul, self.decode,
                              self.product_logic)

    @property
    def module_name(self) -> str:
        """``mac_<a>[_<b>]_<acc>[_k<K>][_lmul][_p<N>][_sb_mac16][_acc<S>][_<adder>][_int_decode]
        [_add_zero][_cells_product]``, e.g. ``mac_fp8_e4m3fn_fixed``,
        ``mac_fp4_e2m1_fixed_p5_acc2_carry_save``, ``mac_fp6_e2m3_fixed_int_decode``."""
        return "_".join(["mac", operands_name(self.format_a, self.format_b), self.acc.replace(":", ""),
                         *self._shape()])

    @property
    def label(self) -> str:
        """``fp8_e4m3fn``, ``dint4xint8``, ``int8 p1``, ``fp8_e5m2/fp32``, ``fp8_e4m3fn lmul``,
        ``int8 p3 sb_mac16``."""
        label = self.a if self.a == self.b else f"{self.a}x{self.b}"
        return " ".join([label + ("" if self.acc == "fixed" else f"/{self.acc}"), *self._shape()])

    def _shape(self) -> list[str]:
        parts = shape_parts(self.acc, self.terms, DEFAULT_TERMS, self.mul, self.pipeline, DEFAULT_PIPELINE,
                            self.dsp)
        return parts + [option_label(name, getattr(self, name)) for name in LATER_OPTIONS
                        if name != "dsp" and getattr(self, name) != self.default(name)]  # dsp: in shape_parts

    @property
    def latency(self) -> int:
        return self.pipeline

    @property
    def targets(self) -> tuple[str, ...] | None:
        if self.dsp == "sb_mac16":
            return SB_MAC16_TARGETS
        return CCU2C_TARGETS if self.acc_adder == "ccu2c" else None

    @property
    def needs_dsps(self) -> bool:
        return self.dsp != "inferred"  # a CCU2C chain is fabric

    @classmethod
    def fmax_candidates(cls, options, target: str, dsp: bool = True) -> tuple[tuple[int, tuple], ...]:
        """Every depth as it is, each followed (where the design allows it) by ``dsp = "sb_mac16"`` on
        iCE40 with DSPs allowed (product register and accumulator in the DSPs), by
        ``acc_adder = "ccu2c"`` on ECP5 (the restart inside the carry cells) and, on the DSP targets
        with DSPs allowed, by ``decode = "integer"`` (on iCE40 also with ``dsp = "sb_mac16"``), on the
        ASIC target by ``acc_idle = "add_zero"`` (no clock enable on the accumulator) and by
        ``product_logic = "cells"`` (synthesis's multiplier rather than LUT6 tables), alone and with
        ``add_zero``; then one depth more with ``acc_stages = 2`` (the accumulator's addition split in
        two) and with the carry-save accumulator, whose sum in 1, 2, 3 pieces takes that depth and the two
        after it. With the aligner's window cut, each of those is tried both beside the window's depth and
        after it. A design that names a placement keeps it."""
        # Where the registers go besides the depth, and the depths each placement is tried at: a split
        # accumulator takes one of the pipeline's stages, so it is tried once the first three cut points
        # have their registers (a split in place of a cut register measured slower: docs/synthesis.md),
        # and, where there is a window cut, once more with it (the split alone may be enough: fp8_e4m3fn
        # on asic). An option named in *options* is kept as given, at every depth.
        # Every MAC has the cut points before the window's, or input registers in their place.
        first_split = CUT_POINTS.index("window") + 2
        def cut_depths(placement=()) -> range:
            """1 .. the depth that registers every cut point of the design placed so (deep enough for
            any placement; without its product tables a pair of wide exponents gains the window cut)."""
            placed = cls.from_options({**options, **dict(placement), "pipeline": MAX_PIPELINE})
            return range(1, first_split + ("window" in placed.cut_points))

        cuts = cut_depths()  # the design as given: options it refuses raise here, in one line
        every_cut = cuts.stop
        # (placement, depths tried, depths tried when the design names the placement)
        placements = [((), cuts, cuts)]
        if target in SB_MAC16_TARGETS and dsp:
            placements.append(((("dsp", "sb_mac16"),), cuts, cuts))
        if target in CCU2C_TARGETS:
            placements.append(((("acc_adder", "ccu2c"),), cuts, cuts))
        if target in ADD_ZERO_TARGETS:
            placements.append(((("acc_idle", "add_zero"),), cuts, cuts))
        cells = (("product_logic", "cells"),)
        if target in CELLS_TARGETS and cls._allows({**options, **dict(cells)}, MAX_PIPELINE):
            cell_cuts = cut_depths(cells)  # alone and, in label order, with add_zero
            placements.append((cells, cell_cuts, cell_cuts))
            if target in ADD_ZERO_TARGETS:
                placements.append(((("acc_idle", "add_zero"), *cells), cell_cuts, cell_cuts))
        if dsp:  # minifloats that decode to integers: the multiply in a DSP (asic requests have none)
            placements.append(((("decode", "integer"),), cuts, cuts))
            if target in SB_MAC16_TARGETS:  # in label order: sb_mac16 int_decode
                placements.append(((("dsp", "sb_mac16"), ("decode", "integer")), cuts, cuts))
        split = range(first_split, every_cut + 1), range(1, every_cut + 1)
        placements.append(((("acc_stages", 2),), *split))
        # carry-save: its final addition in 1, 2, 3 pieces, each piece a stage beyond the split's depths
        for stages in ACC_STAGES[1:]:
            beyond = stages - 2
            placements.append(((("acc_stages", stages), ("acc_adder", "carry_save")),
                               range(first_split + beyond, every_cut + beyond + 1),
                               range(1, every_cut + beyond + 1)))
        candidates = []
        for depth in range(1, max(named[-1] for _, _, named in placements) + 1):
            for placement, depths, named_depths in placements:
                given = {name: options.get(name, cls.default(name)) for name, _ in placement}
                if any(given[name] not in (cls.default(name), value) for name, value in placement):
                    continue  # the design names another value
                named = [name for name, value in placement if given[name] == value != cls.default(name)]
                allowed = cls._allows({**options, **dict(placement)}, depth)
                if depth in (named_depths if named else depths) and allowed:
                    candidates.append((depth, tuple(item for item in placement if item[0] not in named)))
        return tuple(dict.fromkeys(candidates))

    @classmethod
    def _allows(cls, options, depth: int) -> bool:
        try:
            cls.from_options({**options, "pipeline": depth})
        except ValueError:
            return False
        return True
