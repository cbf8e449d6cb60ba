"""The MAC spec: operand formats, accumulator, dot-product length, pipeline depth, multiply mode."""

from dataclasses import dataclass
from typing import ClassVar

from hwgen.formats import DEFAULT_TERMS, Accumulator, accumulator, scalar_format
from hwgen.formats._check import check_int
from hwgen.specs.base import UnitSpec

DEFAULT_PIPELINE = 3
MAX_PIPELINE = 16
MAC_CUT_POINTS = 3  # register cuts of hwgen.gen.mac: product, operands, term; deeper adds input registers


def canonical_acc(acc: Accumulator) -> str:
    """``fixed``, ``fixed:W`` (W without leading zeros) or the float format's registry name."""
    if acc.kind == "float":
        return acc.format.name
    return "fixed" if acc.spec == "fixed" else f"fixed:{acc.width}"


def shape_parts(acc: str, terms, default_terms, mul: str, pipeline: int, default_pipeline: int) -> list[str]:
    """What a non-default shape adds to a name, in order: ``k<K>`` (a fixed accumulator sized for
    another length), the multiply mode, ``p<N>``."""
    parts = []
    if acc == "fixed" and terms != default_terms:
        parts.append(f"k{terms}")
    if mul != "exact":
        parts.append(mul)
    if pipeline != default_pipeline:
        parts.append(f"p{pipeline}")
    return parts


def operands_name(a, b) -> str:
    """``int8`` for int8 x int8, ``dint4_int8`` for two formats (module names)."""
    return a.name if a == b else f"{a.name}_{b.name}"


@dataclass(frozen=True)
class MacSpec(UnitSpec):
    """One pipelined multiply-accumulate unit (``hwgen.gen.mac.MacUnit``).

    ``terms``: the dot-product length a ``fixed`` accumulator is sized for (filled in: 64); other
    accumulators keep what was given. ``pipeline``: register stages, latency = ``pipeline`` cycles.
    """

    kind: ClassVar[str] = "mac"
    # The depths an Fmax search tries (hwgen.fpga.fmax): past the last cut point a deeper pipeline only
    # adds input registers, which cannot shorten the critical path (what they seem to gain is placement
    # noise).
    max_pipeline: ClassVar[int] = MAC_CUT_POINTS + 1

    a: str
    b: str
    acc: str = "fixed"
    terms: int | None = None
    pipeline: int = DEFAULT_PIPELINE
    mul: str = "exact"

    def __post_init__(self):
        a, b = scalar_format(self.a), scalar_format(self.b)
        acc = accumulator(self.acc, a, b, self.terms, self.mul)
        pipeline = check_int(self.pipeline, "pipeline depth", 1, MAX_PIPELINE)
        self._canonical(a=a.name, b=b.name, acc=canonical_acc(acc), terms=acc.terms, pipeline=pipeline)

    @property
    def format_a(self):
        return scalar_format(self.a)

    @property
    def format_b(self):
        return scalar_format(self.b)

    @property
    def accumulator(self) -> Accumulator:
        return accumulator(self.acc, self.format_a, self.format_b, self.terms, self.mul)

    @property
    def module_name(self) -> str:
        """``mac_<a>[_<b>]_<acc>[_k<K>][_lmul][_p<N>]``, e.g. ``mac_fp8_e4m3fn_fixed``."""
        return "_".join(["mac", operands_name(self.format_a, self.format_b), self.acc.replace(":", ""),
                         *self._shape()])

    @property
    def label(self) -> str:
        """``fp8_e4m3fn``, ``dint4xint8``, ``int8 p1``, ``fp8_e5m2/fp32``, ``fp8_e4m3fn lmul``."""
        label = self.a if self.a == self.b else f"{self.a}x{self.b}"
        return " ".join([label + ("" if self.acc == "fixed" else f"/{self.acc}"), *self._shape()])

    def _shape(self) -> list[str]:
        return shape_parts(self.acc, self.terms, DEFAULT_TERMS, self.mul, self.pipeline, DEFAULT_PIPELINE)

    @property
    def latency(self) -> int:
        return self.pipeline
