"""The multiplier spec: two operand formats; an exact unnormalized product, or one rounded to a format."""

from dataclasses import dataclass
from typing import ClassVar

from hwgen.formats import MiniFloat, scalar_format
from hwgen.specs.base import UnitSpec
from hwgen.specs.mac import operands_name

LATENCY = 2  # a registered operation (mul, add): input register, then output register

RESULT_CHOICES = "a minifloat with a NaN code (policy ieee, fn or fnuz: fp32, fp16, bf16, fp8_e4m3fn, ...)"


def kind_text(fmt) -> str:
    """``policy finite``, ``an integer format``, ``a table format``: what a refused format is."""
    if isinstance(fmt, MiniFloat):
        return f"policy {fmt.policy}"
    return "an integer format" if fmt.kind == "int" else f"a {fmt.kind} format"


def float_result(result, what: str = "result") -> MiniFloat:
    """The rounded result format *result* of a float unit: a minifloat with a NaN code (NaN and inf
    results need one; ``finite`` formats would have to saturate). One-line ``ValueError`` naming
    *what* and the allowed formats."""
    try:
        fmt = scalar_format(result)
    except ValueError as error:
        reason = "unknown format" if "unknown format" in str(error) else "a block format"
        raise ValueError(f"{what} must be {RESULT_CHOICES}, not {result!r} ({reason})") from None
    if not isinstance(fmt, MiniFloat) or not fmt.has_nan:
        raise ValueError(f"{what} must be {RESULT_CHOICES}, not {fmt.name} ({kind_text(fmt)})")
    return fmt


def rounding_formats(a, b, result) -> tuple:
    """(a, b, result) formats of a rounding multiply: minifloat operands, a result with a NaN code."""
    fmt = float_result(result)
    for name, operand in (("a", a), ("b", b)):
        if not isinstance(operand, MiniFloat):
            raise ValueError(f"a rounding multiply (result {fmt.name}) takes minifloat operands, not "
                             f"{name} = {operand.name}; leave result unset for the exact product")
    return a, b, fmt


@dataclass(frozen=True)
class MulSpec(UnitSpec):
    """One multiplier (``hwgen.gen.multiplier.MulUnit``).

    ``result=None`` (the default): the exact product, unnormalized. ``result="fp16"`` (any minifloat
    with a NaN code; both operands minifloats): RNE(a * b) as one code of that format
    (docs/formats.md#rounding-multiply-and-add-units). The exact multiplier's JSON has no ``result``
    key, so its stored identity is the one it always had.
    """

    kind: ClassVar[str] = "mul"

    a: str
    b: str
    result: str | None = None

    def __post_init__(self):
        a, b = scalar_format(self.a), scalar_format(self.b)
        result = None if self.result is None else rounding_formats(a, b, self.result)[2].name
        self._canonical(a=a.name, b=b.name, result=result)

    def options(self) -> dict:
        options = super().options()
        if options["result"] is None:
            del options["result"]
        return options

    @property
    def module_name(self) -> str:
        """``mul_<a>[_<b>]``, e.g. ``mul_fp16``; rounding: ``mul_<a>[_<b>]_to_<result>``, e.g.
        ``mul_fp16_to_fp16``."""
        name = f"mul_{operands_name(scalar_format(self.a), scalar_format(self.b))}"
        return name if self.result is None else f"{name}_to_{self.result}"

    @property
    def label(self) -> str:
        """``fp16 mul``, ``int8xfp16 mul``; rounding: ``fp16 mul->fp16``."""
        label = f"{self.a} mul" if self.a == self.b else f"{self.a}x{self.b} mul"
        return label if self.result is None else f"{label}->{self.result}"

    @property
    def latency(self) -> int:
        return LATENCY
