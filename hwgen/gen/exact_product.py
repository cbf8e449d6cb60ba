"""Exact products of split operands, shaped for LUT6 fabric: multiply, tabulate, align.

The MAC's exact accumulator adds ``significand_a * significand_b << (exponent_a + exponent_b)`` into
a wide two's complement register. These helpers build that term so that Yosys / ABC map it onto few
LUT6s; each shape was chosen by synthesis (``studies/minifloat_mac_area/README.md`` has the numbers).
"""

from amaranth import Array, Cat, Const, Module, Mux, Signal, Value, unsigned

from hwgen.formats import MiniFloat
from hwgen.gen.operands import finite_units
from hwgen.specs.mac import FINE_SHIFT_BITS, TABLE_INPUT_BITS, row_tables


def product_table(a: MiniFloat, b: MiniFloat, a_code: Value, b_code: Value) -> Value:
    """|a * b| in units of 2^(lsb_a + lsb_b) from the two codes without sign bits (0 for NaN / inf)."""
    a_bits = a.bits - 1
    values = [finite_units(a, code & ((1 << a_bits) - 1)) * finite_units(b, code >> a_bits)
              for code in range(1 << (a_bits + b.bits - 1))]
    width = max(max(values).bit_length(), 1)
    return Array(Const(v, width) for v in values)[Cat(a_code, b_code)]


def multiply(x: Value, y: Value, lut6: bool = True) -> Value:
    """``x * y`` for unsigned significands.

    With *lut6*, when one table cannot hold the product but two rows of it can
    (:func:`hwgen.specs.mac.row_tables`: a 4 x 4 significand product, x times two bits of y is a 6-input
    function), the rows are tables summed by one adder: 14 LUTs where Yosys's own 4 x 4 multiplier takes
    22, and no DSP block for a 4-bit product on ECP5. Narrower products (one table's worth), wider ones
    and every product without *lut6* (fewer two-input gates) are left to Yosys.
    """
    if len(x) < len(y):
        x, y = y, x
    if not (lut6 and row_tables(len(x), len(y))):
        return x * y
    chunk = TABLE_INPUT_BITS - len(x)
    total = None
    for low in range(0, len(y), chunk):
        part = y[low:low + chunk]
        row = Array(Const(v * w, len(x) + len(part))
                    for w in range(1 << len(part)) for v in range(1 << len(x)))
        shifted = row[Cat(x, part)] << low
        total = shifted if total is None else total + shifted
    return total


def align(m: Module, magnitude: Value, shift: Value, offset: int, drop: Value, width: int) -> Signal:
    """``(magnitude << shift) >> offset`` in ``width`` bits, 0 when ``drop``.

    Wide shifts go in two steps: ``magnitude << shift[:3]`` into a window, then one select per
    window position (``shift[3:] == c``, with ``drop`` folded in). Every term bit is then an OR of
    selected window bits (at most two for products of up to 9 bits), a function small enough to
    share the accumulator's LUT6. The two steps are :func:`align_window` and :func:`align_select`, a
    register between them where the pipeline cuts the aligner.
    """
    if len(shift) <= FINE_SHIFT_BITS:
        shifted = Signal(unsigned(width), name="term_magnitude")
        m.d.comb += shifted.eq(Mux(drop, 0, (magnitude << shift) >> offset))
        return shifted
    window, coarse = align_window(m, magnitude, shift)
    return align_select(m, window, coarse, offset, drop, width)


def align_window(m: Module, magnitude: Value, shift: Value) -> tuple[Signal, Value]:
    """The first step of a wide :func:`align`: (``magnitude << shift[:3]``, the coarse shift
    ``shift[3:]``)."""
    window = Signal(len(magnitude) + (1 << FINE_SHIFT_BITS) - 1, name="term_window")
    m.d.comb += window.eq(magnitude << shift[:FINE_SHIFT_BITS])
    return window, shift[FINE_SHIFT_BITS:]


def align_select(m: Module, window: Value, coarse: Value, offset: int, drop: Value, width: int) -> Signal:
    """The second step of a wide :func:`align`: the window placed by the coarse shift, ``>> offset``, in
    ``width`` bits, 0 when ``drop``."""
    step = 1 << FINE_SHIFT_BITS
    shifted = Signal(unsigned(width), name="term_magnitude")
    select = Signal(1 << len(coarse), name="term_select")
    m.d.comb += select.eq(Cat(*((coarse == c) & ~drop for c in range(len(select)))))
    bits = []
    for i in range(width):
        picks = [select[c] & window[i + offset - step * c] for c in range(len(select))
                 if 0 <= i + offset - step * c < len(window)]
        bit = Const(0, 1)
        for pick in picks:
            bit = bit | pick
        bits.append(bit)
    m.d.comb += shifted.eq(Cat(*bits))
    return shifted
