"""The adder spec: one format for both operands and the sum."""

from dataclasses import dataclass
from typing import ClassVar

from hwgen.formats import IntFormat, MiniFloat, scalar_format
from hwgen.specs.base import UnitSpec
from hwgen.specs.multiplier import LATENCY, float_result, kind_text

FORMAT_CHOICES = ("an integer format (int32, int16, uint32, int8_f4, ...) or a minifloat with a NaN code "
                  "(fp32, fp16, bf16, fp8_e4m3fn, ...)")


def adder_format(fmt):
    """The format of an adder: an integer (fixed point too; the sum wraps) or a minifloat with a NaN
    code (the sum rounds once). One-line ``ValueError`` otherwise."""
    try:
        found = scalar_format(fmt)
    except ValueError as error:
        reason = "unknown format" if "unknown format" in str(error) else "a block format"
        raise ValueError(f"format must be {FORMAT_CHOICES}, not {fmt!r} ({reason})") from None
    if isinstance(found, IntFormat):
        return found
    if isinstance(found, MiniFloat):
        return float_result(found, "format")
    raise ValueError(f"format must be {FORMAT_CHOICES}, not {found.name} ({kind_text(found)})")


@dataclass(frozen=True)
class AddSpec(UnitSpec):
    """One adder (``hwgen.gen.adder.AddUnit``): result = a + b in ``format``.

    Integers: the two's complement (or unsigned) sum modulo 2^bits, like a 32-bit ALU's add.
    Minifloats: RNE(a + b), one rounding, IEEE specials (docs/formats.md#rounding-multiply-and-add-units).
    """

    kind: ClassVar[str] = "add"

    format: str

    def __post_init__(self):
        self._canonical(format=adder_format(self.format).name)

    @property
    def module_name(self) -> str:
        """``add_<format>``, e.g. ``add_fp32``, ``add_int32``."""
        return f"add_{self.format}"

    @property
    def label(self) -> str:
        return f"{self.format} add"

    @property
    def latency(self) -> int:
        return LATENCY
