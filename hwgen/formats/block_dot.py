"""Facts of block dot products (OCP MX v1.0, NVFP4), derived from the registry alone.

Which block formats may meet in one dot product, the units of their scales, and the size of the
accumulator that holds their sum. The golden model (``hwgen.golden.block_dot``) and the generator
(``hwgen.gen.mxdot``) both read these, so they cannot disagree on a width or an lsb.

A block pair (a, b) needs one block size and one scale format. A scale's value is
(-1)^negative * significand * 2^(shift + scale_lsb_exponent(scale)):

* E8M0: significand 1, shift = code (0..254), lsb exponent -127; code 0xFF is NaN.
* a minifloat scale (NVFP4's fp8_e4m3fn): its usual split (hwgen.golden.codec.split).
"""

from hwgen.formats._check import check_int
from hwgen.formats.accumulator import DEFAULT_TERMS, MAX_TERMS, Accumulator, fixed_width
from hwgen.formats.block import E8M0, SCALE_E8M0, BlockFormat
from hwgen.formats.minifloat import MiniFloat
from hwgen.formats.registry import BLOCK_FORMATS, get_format

MAX_BLOCK_SIZE = 1024
MAX_FIXED_WIDTH = 4096
MAX_FLOAT_SIGNIFICAND_BITS = 128  # what the float accumulation step takes (hwgen.gen.float_accumulate)
MAX_FLOAT_MANTISSA_BITS = 50  # the golden model rounds through float64 (round-to-odd, 53 bits)


def scale_format(name):
    """The scale format called *name*: ``e8m0`` or a minifloat without inf (``fp8_e4m3``, ...)."""
    if isinstance(name, (E8M0, MiniFloat)):
        fmt = name
    elif isinstance(name, str) and name.strip().lower() == E8M0.name:
        fmt = SCALE_E8M0
    else:
        fmt = get_format(name)
    if not isinstance(fmt, (E8M0, MiniFloat)):
        raise ValueError(f"a block scale must be e8m0 or a minifloat format such as fp8_e4m3, not {fmt.name}")
    if isinstance(fmt, MiniFloat) and fmt.has_inf:
        raise ValueError(f"a block scale must have no inf codes; {fmt.name} has (use e8m0 or fp8_e4m3)")
    return fmt


def scale_lsb_exponent(scale) -> int:
    """Every scale value is an integer multiple of 2^this."""
    return E8M0.min_exponent if isinstance(scale, E8M0) else scale.lsb_exponent


def scale_max_units(scale) -> int:
    """The largest finite scale magnitude in units of 2^scale_lsb_exponent(scale)."""
    if isinstance(scale, E8M0):
        return 1 << (E8M0.max_exponent - E8M0.min_exponent)
    return scale.max_units


def scale_significand_bits(scale) -> int:
    """Bits of a scale's integer significand (1 for E8M0, whose significand is always 1)."""
    return 1 if isinstance(scale, E8M0) else scale.man_bits + 1


def _block(fmt) -> BlockFormat:
    fmt = get_format(fmt)
    if not isinstance(fmt, BlockFormat):
        raise ValueError(f"{fmt.name} is not a block format; block formats: {', '.join(BLOCK_FORMATS)}")
    scale_format(fmt.scale)
    return fmt


def block_pair(a, b=None) -> tuple[BlockFormat, BlockFormat]:
    """Check that block formats *a* and *b* (default: *a*) can meet in one block dot product."""
    a = _block(a)
    b = a if b is None else _block(b)
    if a.block_size != b.block_size:
        raise ValueError(f"block sizes must match: {a.name} has {a.block_size} elements, "
                         f"{b.name} has {b.block_size}")
    if a.scale != b.scale:
        raise ValueError(f"mismatched scale formats: {a.name} has {a.scale.name} scales, "
                         f"{b.name} has {b.scale.name} scales")
    return a, b


def resolve_block_format(element, *, scale=None, block=None) -> BlockFormat:
    """The block format of the command line's ``--elem`` (with ``--scale`` and ``--block``).

    *element* is a block format name (``mxfp8_e4m3``, ``nvfp4``, ...) or the element format of one
    (``fp8_e4m3``: MX; ``fp4_e2m1``: MX, or NVFP4 with ``scale='fp8_e4m3'``). *scale*, when given,
    must be that block format's scale; *block* overrides its block size (default: the spec's).
    """
    fmt = get_format(element)
    wanted = None if scale is None else scale_format(scale)
    if isinstance(fmt, BlockFormat):
        base = fmt
    else:
        candidates = [f for f in BLOCK_FORMATS.values() if f.element == fmt]
        if not candidates:
            elements = sorted({f.element.name for f in BLOCK_FORMATS.values()})
            raise ValueError(f"{fmt.name} has no MX or NVFP4 block definition; give a block format "
                             f"({', '.join(BLOCK_FORMATS)}) or one of their elements ({', '.join(elements)})")
        matching = [f for f in candidates if wanted is None or f.scale == wanted]
        base = (matching or candidates)[0]
    if wanted is not None and base.scale != wanted:
        raise ValueError(f"mismatched scale format: {base.name} blocks have {base.scale.name} "
                         f"scales, not {wanted.name}")
    if block is None:
        return base
    size = check_int(block, "block size", 1, MAX_BLOCK_SIZE)
    if size == base.block_size:
        return base
    return BlockFormat(f"{base.name}_blk{size}", base.element, size, base.scale)


def block_sum_max_units(a: BlockFormat, b: BlockFormat) -> int:
    """Largest |exact sum of one block's element products|, in units of 2^(lsb(a) + lsb(b))."""
    return a.block_size * a.element.max_units * b.element.max_units


def block_lsb_exponent(a: BlockFormat, b: BlockFormat) -> int:
    """Every scaled block dot product is an integer multiple of 2^this."""
    return (a.element.lsb_exponent + b.element.lsb_exponent
            + scale_lsb_exponent(a.scale) + scale_lsb_exponent(b.scale))


def block_term_max_units(a: BlockFormat, b: BlockFormat) -> int:
    """Largest |scaled block dot product| in units of 2^block_lsb_exponent(a, b)."""
    return block_sum_max_units(a, b) * scale_max_units(a.scale) * scale_max_units(b.scale)


def block_accumulator(spec: str, a, b=None, terms=None) -> Accumulator:
    """Resolve accumulator *spec* for block dot products of *a* x *b*, summed over *terms* blocks.

    ``fixed``: sum / 2^block_lsb_exponent as W-bit two's complement, W sized so that *terms* blocks
    (default 64) of the largest magnitude at the largest scales cannot overflow, plus a sign bit.
    ``fixed:W``: the user's W (at least one block term's bits), wrapping. A float format (fp32,
    bf16, ...): one rounding per block (see hwgen.golden.block_dot).
    """
    a, b = block_pair(a, b)
    if not isinstance(spec, str) or not spec:
        raise ValueError("accumulator must be 'fixed', 'fixed:W' or a float format name such as fp32")
    k = DEFAULT_TERMS if terms is None else check_int(terms, "terms", 1, MAX_TERMS)
    lsb = block_lsb_exponent(a, b)
    term_bits = block_term_max_units(a, b).bit_length() + 1
    if spec == "fixed":
        width = (block_term_max_units(a, b) * k).bit_length() + 1
        if width > MAX_FIXED_WIDTH:
            raise ValueError(f"a fixed accumulator for {k} blocks of {a.name} x {b.name} needs {width} "
                             f"bits, more than {MAX_FIXED_WIDTH}; use fewer terms or a float accumulator")
        return Accumulator(spec, "fixed", width, lsb, None, k)
    if spec.startswith("fixed:"):
        width = fixed_width(spec)
        if not term_bits <= width <= MAX_FIXED_WIDTH:
            raise ValueError(f"accumulator width W must be between {term_bits} and {MAX_FIXED_WIDTH}, "
                             f"not {width}: one scaled {a.name} x {b.name} block needs {term_bits} bits "
                             f"with its sign")
        return Accumulator(spec, "fixed", width, lsb, None, terms)
    try:
        fmt = get_format(spec)
    except ValueError:
        fmt = None
    if not isinstance(fmt, MiniFloat):
        raise ValueError(f"accumulator must be 'fixed', 'fixed:W' or a minifloat format (fp32, bf16, fp16, "
                         f"...), not {spec!r}")
    if not fmt.has_nan:
        raise ValueError(f"a float accumulator needs a NaN code for NaN and inf blocks; {fmt.name} "
                         f"(policy {fmt.policy}) has none")
    significand = (block_sum_max_units(a, b).bit_length() + scale_significand_bits(a.scale)
                   + scale_significand_bits(b.scale))
    if significand > MAX_FLOAT_SIGNIFICAND_BITS or fmt.man_bits > MAX_FLOAT_MANTISSA_BITS:
        raise ValueError(f"{a.name} x {b.name} blocks are too wide for a float accumulator model")
    return Accumulator(spec, "float", fmt.bits, None, fmt, terms)


__all__ = ["block_accumulator", "block_lsb_exponent", "block_pair", "block_sum_max_units",
           "block_term_max_units", "resolve_block_format", "scale_format", "scale_lsb_exponent",
           "scale_max_units", "scale_significand_bits"]
