"""The null unit's spec: the I/O harness's stand-in with a given number of input and output bits.

Placing the harness around it measures the harness's own cost (``hwgen.fpga.io_harness.null_unit``).
"""

from dataclasses import dataclass
from typing import ClassVar

from hwgen.specs.base import UnitSpec

MAX_BITS = 100_000


@dataclass(frozen=True)
class NullSpec(UnitSpec):
    kind: ClassVar[str] = "null"

    inputs: int
    outputs: int

    def __post_init__(self):
        for name, low in (("inputs", 0), ("outputs", 1)):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int):
                raise TypeError(f"null unit {name} must be an int, not {type(value).__name__}")
            if not low <= value <= MAX_BITS:
                raise ValueError(f"null unit {name} must be between {low} and {MAX_BITS}, not {value}")

    @property
    def module_name(self) -> str:
        return f"null_i{self.inputs}_o{self.outputs}"

    @property
    def label(self) -> str:
        return f"harness {self.inputs}/{self.outputs} bits"

    @property
    def latency(self) -> int:
        return 0  # no stream: the harness's registers are all there is
