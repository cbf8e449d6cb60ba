"""Block-scaled formats (OCP MX v1.0, NVFP4): blocks of elements sharing one scale.

MX: 32 elements share an E8M0 scale (unsigned power of two, bias 127, code 0xFF = NaN, no zero).
NVFP4: 16 E2M1 elements share an E4M3 (fn) scale.
"""

import math
from dataclasses import dataclass

from hwgen.formats._check import check_int
from hwgen.formats.integer import IntFormat
from hwgen.formats.minifloat import MiniFloat


@dataclass(frozen=True)
class E8M0:
    """The MX shared scale: 2^(code - 127), code 0xFF is NaN."""

    bits = 8
    bias = 127
    nan_code = 0xFF
    name = "e8m0"
    kind = "scale"
    min_exponent = -127
    max_exponent = 127


SCALE_E8M0 = E8M0()


@dataclass(frozen=True)
class BlockFormat:
    """Blocks of ``block_size`` elements of ``element`` format with one scale of ``scale`` format."""

    name: str
    element: object
    block_size: int
    scale: object = SCALE_E8M0

    kind = "block"

    def __post_init__(self):
        object.__setattr__(self, "block_size", check_int(self.block_size, "block size", 1, 1024))
        if not isinstance(self.element, (MiniFloat, IntFormat)):
            raise ValueError(f"block element must be a minifloat or integer format, not {self.element!r}")
        if not isinstance(self.scale, (E8M0, MiniFloat)):
            raise ValueError(f"block scale must be e8m0 or a minifloat format, not {self.scale!r}")

    @property
    def emax_elem(self) -> int:
        """floor(log2(largest element)): E4M3 8, E5M2 15, E3M2 4, E2M3 2, E2M1 2, INT8 0."""
        return math.frexp(self.element.max)[1] - 1

    @property
    def bits(self) -> int:
        return self.element.bits

    @property
    def bits_per_element(self) -> float:
        return self.element.bits + self.scale.bits / self.block_size
