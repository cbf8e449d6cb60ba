"""The systolic-array spec: a 1-D array of MAC processing elements with stationary weights."""

from dataclasses import dataclass
from typing import ClassVar

from hwgen.formats import Accumulator, accumulator, scalar_format
from hwgen.formats._check import check_int
from hwgen.formats.accumulator import max_product_units
from hwgen.specs.base import UnitSpec
from hwgen.specs.mac import canonical_acc, operands_name, shape_parts

PE_CUT_POINTS = 2  # register cuts inside a processing element (hwgen.gen.processing_element)
DEFAULT_PIPELINE = 3
MAX_PIPELINE = 1 + PE_CUT_POINTS
DEFAULT_PES = 4
DEFAULT_DEPTH = 64
MAX_PES = 256
MAX_SIMD = 64
MAX_DEPTH = 1 << 16
# The widest exact product significand the float accumulator's adder takes (hwgen.gen.float_accumulate).
MAX_PRODUCT_SIGNIFICAND_BITS = 128


@dataclass(frozen=True)
class SystolicSpec(UnitSpec):
    """One systolic array (``hwgen.gen.systolic.SystolicArray``): ``a`` weights, ``b`` activations.

    ``terms``: what a ``fixed`` accumulator is sized for, filled in as ``depth * simd``.
    """

    kind: ClassVar[str] = "systolic"
    max_pipeline: ClassVar[int] = MAX_PIPELINE  # pipeline depths 1..max_pipeline (hwgen.fpga.fmax)

    a: str
    b: str
    acc: str = "fixed"
    pes: int = DEFAULT_PES
    simd: int = 1
    depth: int = DEFAULT_DEPTH
    terms: int | None = None
    pipeline: int = DEFAULT_PIPELINE
    mul: str = "exact"

    def __post_init__(self):
        a, b = scalar_format(self.a), scalar_format(self.b)
        pes = check_int(self.pes, "pes", 1, MAX_PES)
        simd = check_int(self.simd, "simd", 1, MAX_SIMD)
        depth = check_int(self.depth, "depth", 1, MAX_DEPTH)
        pipeline = check_int(self.pipeline, "pipeline depth", 1, MAX_PIPELINE)
        acc = accumulator(self.acc, a, b, depth * simd if self.terms is None else self.terms, self.mul)
        lane_sum_bits(a, b, acc, simd, self.mul)
        self._canonical(a=a.name, b=b.name, acc=canonical_acc(acc), pes=pes, simd=simd, depth=depth,
                        terms=acc.terms, pipeline=pipeline)

    @property
    def accumulator(self) -> Accumulator:
        return accumulator(self.acc, scalar_format(self.a), scalar_format(self.b), self.terms, self.mul)

    @property
    def module_name(self) -> str:
        """``systolic_<a>[_<b>]_<acc>_pe<N>_s<S>[_d<D>][_k<K>][_lmul][_p<N>]``."""
        operands = operands_name(scalar_format(self.a), scalar_format(self.b))
        parts = ["systolic", operands, self.acc.replace(":", ""), f"pe{self.pes}", f"s{self.simd}"]
        if self.depth != DEFAULT_DEPTH:
            parts.append(f"d{self.depth}")
        shape = shape_parts(self.acc, self.terms, self.depth * self.simd, self.mul, self.pipeline,
                            DEFAULT_PIPELINE)
        return "_".join([*parts, *shape])

    @property
    def label(self) -> str:
        operands = self.a if self.a == self.b else f"{self.a}x{self.b}"
        label = f"{operands} {self.pes}x{self.simd}" + ("" if self.acc == "fixed" else f"/{self.acc}")
        # the length a fixed accumulator is sized for is no part of the label: passed as the default
        return " ".join([label, *shape_parts(self.acc, self.terms, self.terms, self.mul, self.pipeline,
                                             DEFAULT_PIPELINE)])

    @property
    def latency(self) -> int:
        """Cycles from the transfer of the item with ``last`` to ``o.valid``: through every PE."""
        return self.pes + self.pipeline

    def fill_cycles(self, items: int) -> int:
        """Cycles from a dot product's first item to its ``o.valid``."""
        return check_int(items, "items", 1, self.depth) - 1 + self.latency


def lane_sum_bits(a, b, acc: Accumulator, simd: int, mul: str) -> int:
    """Bits of a PE's exact sum of *simd* products, sign included; ``ValueError`` when a float
    accumulator's adder cannot take it."""
    grown = max(max_product_units(a, b, mul).bit_length(), 1) + 1 + (simd - 1).bit_length()
    if acc.kind == "float" and grown - 1 > MAX_PRODUCT_SIGNIFICAND_BITS:
        raise ValueError(
            f"simd {simd} is too wide for a float accumulator with {a.name} x {b.name}: the exact "
            f"lane sum needs {grown - 1} bits, the float adder takes at most {MAX_PRODUCT_SIGNIFICAND_BITS}")
    return grown
