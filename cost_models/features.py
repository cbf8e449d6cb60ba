"""Design parameters of a MAC point, from its options alone (no synthesis, no Amaranth).

The area model (:mod:`hwgen.cost_models.area`) is linear in these features, so each one is a count of
something the hardware has to build: partial-product bits of the significand multiply, bits of the
aligned product, bits of the accumulator, bits the aligner shifts across, register bits per pipeline
stage. They are computed from the format registry and the accumulator spec, the same numbers the
generator sizes its datapath with, so a configuration that was never synthesized has them too.
"""

import math
from dataclasses import asdict, dataclass

from hwgen.formats import significand_bits
from hwgen.formats.accumulator import max_product_units
from hwgen.specs import MacSpec
from hwgen.specs.mac import DEFAULT_PIPELINE, LATER_OPTIONS, decodes_to_integer

# The columns of a point's design description, in the order tables show them.
DESIGN_COLUMNS = ("format_a", "format_b", "acc", "terms", "pipeline", "mul", *LATER_OPTIONS)


@dataclass(frozen=True)
class MacFeatures:
    """What a MAC of these options must build, in bits (see the module docstring)."""

    code_bits: int  # operand code bits, A + B (input registers, decoders)
    significand_a: int  # significand bits of A with its hidden bit (integers: all bits)
    significand_b: int
    exponent_bits: int  # exponent field bits, A + B (the exponent adder)
    partial_products: int  # significand_a x significand_b: the multiplier array
    product_bits: int  # bits of one exact product in accumulator units (aligned width)
    shift_bits: int  # product_bits x log2(alignment positions): the aligner's mux bits
    acc_bits: int  # accumulator register / adder width
    pipeline: int  # pipeline stages
    stage_bits: int  # pipeline x (code_bits + product_bits): register bits of the stages
    specials: int  # 1 when either operand has NaN or inf codes (sticky flag logic)
    lmul: int  # 1 for L-Mul (an adder instead of a multiplier)
    float_acc: int  # 1 for a float accumulator (outside the fixed-point model)

    def as_dict(self) -> dict:
        return asdict(self)


def _exponent_bits(fmt, integer: bool) -> int:
    return fmt.exp_bits if fmt.kind == "minifloat" and not integer else 0


def _significand_bits(fmt, integer: bool) -> int:
    # decoded to an integer (decode = "integer"), a minifloat is as wide as its largest value in lsb units
    return fmt.max_units.bit_length() if integer else significand_bits(fmt)


def mac_features(a: str, b: str, acc: str = "fixed", terms: int | None = None,
                 pipeline: int = DEFAULT_PIPELINE, mul: str = "exact") -> MacFeatures:
    """The features of one MAC design (the names are registry names, as in ``hwgen generate mac``)."""
    return spec_features(MacSpec(a, b, acc, terms, pipeline, mul))


def spec_features(design: MacSpec) -> MacFeatures:
    """The features of the MAC *design*. A minifloat decoded to an integer (``decode = "integer"``) has
    the integer's significand and no exponent."""
    fa, fb, mul, pipeline = design.format_a, design.format_b, design.mul, design.pipeline
    spec = design.accumulator
    integer_a, integer_b = (design.decode == "integer" and decodes_to_integer(f) for f in (fa, fb))
    sig_a, sig_b = _significand_bits(fa, integer_a), _significand_bits(fb, integer_b)
    product_bits = max_product_units(fa, fb, mul).bit_length()
    positions = max(product_bits - sig_a - sig_b + 1, 1)  # 1 for an integer product: nothing to align
    shift_bits = product_bits * math.ceil(math.log2(positions)) if positions > 1 else 0
    code_bits = fa.bits + fb.bits
    specials = int(any(getattr(f, "has_nan", False) or getattr(f, "has_inf", False) for f in (fa, fb)))
    return MacFeatures(
        code_bits=code_bits,
        significand_a=sig_a,
        significand_b=sig_b,
        exponent_bits=_exponent_bits(fa, integer_a) + _exponent_bits(fb, integer_b),
        partial_products=sig_a * sig_b,
        product_bits=product_bits,
        shift_bits=shift_bits,
        acc_bits=spec.width,
        pipeline=pipeline,
        stage_bits=pipeline * (code_bits + product_bits),
        specials=specials,
        lmul=int(mul == "lmul"),
        float_acc=int(spec.kind == "float"),
    )


def design_label(format_a: str, format_b: str, acc: str, terms, pipeline: int, mul: str) -> str:
    """A short name for plots and tables: ``fp8_e4m3fn``, ``dint4xint8``, ``int8 p1``, ``fp8_e5m2/fp32``
    (the spec's label)."""
    return MacSpec(format_a, format_b, acc, terms, pipeline, mul).label
