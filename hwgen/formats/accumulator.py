"""Accumulator specs for MACs: exact fixed point (``fixed``, ``fixed:W``) or a float format.

``fixed``: every product is an integer multiple of lsb = 2^(lsb_exponent(A) + lsb_exponent(B)); the
accumulator holds sum / lsb as a W-bit two's complement integer, W sized so that ``terms`` products of
the largest magnitude cannot overflow (plus a sign bit). ``fixed:W`` takes the user's W and wraps.
A float accumulator rounds the exact sum once per step (round to nearest, ties to even).
"""

from dataclasses import dataclass

from hwgen.formats._check import check_int
from hwgen.formats.integer import IntFormat
from hwgen.formats.minifloat import MiniFloat

DEFAULT_TERMS = 64
MAX_TERMS = 1 << 24
MULTIPLY_MODES = ("exact", "lmul")


def lmul_offset_bits(man_bits: int) -> int:
    """l(M) of L-Mul: M for M <= 3, 3 for M = 4, 4 for M > 4."""
    if man_bits <= 3:
        return man_bits
    return 3 if man_bits == 4 else 4


def check_multiply(a, b, mul: str) -> None:
    if mul not in MULTIPLY_MODES:
        raise ValueError(f"multiply mode must be one of {', '.join(MULTIPLY_MODES)}, not {mul!r}")
    if mul == "lmul":
        if not (isinstance(a, MiniFloat) and isinstance(b, MiniFloat)):
            raise ValueError(f"lmul needs minifloat operands, not {a.name} x {b.name}")
        if (a.exp_bits, a.man_bits, a.bias) != (b.exp_bits, b.man_bits, b.bias):
            raise ValueError(
                f"lmul needs operands with the same exponent bits, mantissa bits and bias, "
                f"not {a.name} x {b.name}"
            )


def lmul_max_units(fmt: MiniFloat) -> int:
    """Largest L-Mul product magnitude of two ``fmt`` values, in units of the exact product's lsb."""
    m, bias = fmt.man_bits, fmt.bias
    x = fmt.max_code_magnitude
    s = 2 * x - bias * (1 << m) + (1 << (m - lmul_offset_bits(m)))
    shift = (s >> m) + bias + m - 2  # see hwgen.golden.mac: product units = significand << shift
    return ((1 << m) + (s & ((1 << m) - 1))) << shift


def signed_width(fmt) -> int:
    """Bits of an integer or table format's code values (in units of 2^lsb_exponent) as two's
    complement: what one operand of a signed multiplier needs."""
    if isinstance(fmt, IntFormat):
        return fmt.bits if fmt.signed else fmt.bits + 1
    return fmt.max_units.bit_length() + 1


def max_product_units(a, b, mul: str = "exact") -> int:
    if mul == "lmul":
        return lmul_max_units(a)
    return a.max_units * b.max_units


@dataclass(frozen=True)
class Accumulator:
    """A resolved accumulator: ``fixed`` (width, lsb_exponent) or ``float`` (format)."""

    spec: str
    kind: str
    width: int
    lsb_exponent: int | None = None
    format: MiniFloat | None = None
    terms: int | None = None

    @property
    def name(self) -> str:
        return self.format.name if self.kind == "float" else self.spec


def fixed_width(spec: str) -> int:
    """W of a ``fixed:W`` spec (a whole number, or ``ValueError``)."""
    text = spec[len("fixed:"):]
    if not text.isdigit():
        raise ValueError(f"accumulator width in 'fixed:W' must be a whole number, not {text!r}")
    return int(text)


# The three accumulator spellings first: the registry's list of every format would bury them.
ACCUMULATOR_SPELLINGS = "fixed, fixed:W (W-bit, wrapping) or a float format such as fp32, bf16, fp16"


def accumulator(spec: str, a, b, terms: int | None = None, mul: str = "exact", lookup=None) -> Accumulator:
    """Resolve an accumulator spec string for operand formats ``a`` and ``b``.

    ``lookup`` turns a format name into a format (the registry passes its own ``get_format``).
    """
    if not isinstance(spec, str) or not spec:
        raise ValueError(f"accumulator must be {ACCUMULATOR_SPELLINGS}; not {spec!r}")
    check_multiply(a, b, mul)
    k = DEFAULT_TERMS if terms is None else check_int(terms, "terms", 1, MAX_TERMS)
    lsb = a.lsb_exponent + b.lsb_exponent
    product_bits = max_product_units(a, b, mul).bit_length() + 1
    if spec == "fixed":
        width = (max_product_units(a, b, mul) * k).bit_length() + 1
        return Accumulator(spec, "fixed", width, lsb, None, k)
    if spec.startswith("fixed:"):
        width = fixed_width(spec)
        if not product_bits <= width <= 4096:
            raise ValueError(
                f"accumulator width W must be between {product_bits} and 4096, not {width}: one "
                f"{a.name} x {b.name} product needs {product_bits} bits with its sign"
            )
        return Accumulator(spec, "fixed", width, lsb, None, terms)
    try:
        fmt = lookup(spec) if lookup else None
    except ValueError:
        raise ValueError(f"accumulator must be {ACCUMULATOR_SPELLINGS}; unknown format {spec!r}") from None
    if not isinstance(fmt, MiniFloat):
        raise ValueError(f"accumulator must be {ACCUMULATOR_SPELLINGS}; not {spec!r}")
    if not fmt.has_nan:
        raise ValueError(
            f"a float accumulator needs a NaN code for NaN and inf products; {fmt.name} "
            f"(policy {fmt.policy}) has none"
        )
    if significand_bits(a) + significand_bits(b) > 60 or fmt.man_bits > 50:
        raise ValueError(f"operands {a.name} x {b.name} are too wide for a float accumulator model")
    return Accumulator(spec, "float", fmt.bits, None, fmt, terms)


def significand_bits(fmt) -> int:
    """Bits of the integer significand a code decodes to (a minifloat's hidden bit included)."""
    if isinstance(fmt, MiniFloat):
        return fmt.man_bits + 1
    return fmt.max_units.bit_length()
