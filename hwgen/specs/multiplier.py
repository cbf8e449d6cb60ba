"""The multiplier spec: two operand formats, an exact unnormalized product."""

from dataclasses import dataclass
from typing import ClassVar

from hwgen.formats import scalar_format
from hwgen.specs.base import UnitSpec
from hwgen.specs.mac import operands_name

LATENCY = 2  # input register, then output register


@dataclass(frozen=True)
class MulSpec(UnitSpec):
    """One exact multiplier (``hwgen.gen.multiplier.MulUnit``)."""

    kind: ClassVar[str] = "mul"

    a: str
    b: str

    def __post_init__(self):
        self._canonical(a=scalar_format(self.a).name, b=scalar_format(self.b).name)

    @property
    def module_name(self) -> str:
        """``mul_<a>[_<b>]``, e.g. ``mul_fp16``."""
        return f"mul_{operands_name(scalar_format(self.a), scalar_format(self.b))}"

    @property
    def label(self) -> str:
        return f"{self.a} mul" if self.a == self.b else f"{self.a}x{self.b} mul"

    @property
    def latency(self) -> int:
        return LATENCY
