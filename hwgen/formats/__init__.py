"""The format registry: every number format hwgen knows, as frozen dataclasses.

Everything else (golden models, generators, CLI choices, result columns) reads these facts; the
registry imports nothing else of hwgen's.
"""

from hwgen.formats.accumulator import DEFAULT_TERMS, MULTIPLY_MODES, Accumulator, significand_bits
from hwgen.formats.accumulator import accumulator as _accumulator
from hwgen.formats.block import E8M0, SCALE_E8M0, BlockFormat
from hwgen.formats.integer import IntFormat
from hwgen.formats.minifloat import POLICIES, MiniFloat
from hwgen.formats.registry import (
    ALIASES,
    BLOCK_FORMATS,
    TABLE_FORMATS,
    aliases_of,
    get_format,
    listed_formats,
    register_table,
    scalar_format,
)
from hwgen.formats.table import (
    DINT4,
    DINT4Z,
    FP4_E2M1_SP,
    FP4_E2M1_SR,
    NF4,
    SF4,
    TableFormat,
    dint_table,
    dint_zero_table,
)


def accumulator(spec, a, b, terms=None, mul="exact") -> Accumulator:
    """Resolve accumulator ``spec`` ('fixed', 'fixed:W', 'fp32', ...) for operand formats a x b."""
    return _accumulator(spec, scalar_format(a), scalar_format(b), terms, mul, lookup=scalar_format)


__all__ = [
    "ALIASES", "BLOCK_FORMATS", "DEFAULT_TERMS", "DINT4", "DINT4Z", "E8M0", "FP4_E2M1_SP", "FP4_E2M1_SR",
    "MULTIPLY_MODES", "NF4", "POLICIES", "SCALE_E8M0", "SF4", "TABLE_FORMATS", "Accumulator", "BlockFormat",
    "IntFormat", "MiniFloat", "TableFormat", "accumulator", "aliases_of", "dint_table", "dint_zero_table",
    "get_format", "listed_formats", "register_table", "scalar_format", "significand_bits",
]
