"""The NN-LUT spec: a function, its piecewise-linear table size, range and formats, the pipeline."""

import math
from dataclasses import dataclass
from typing import ClassVar

from hwgen.formats._check import check_int
from hwgen.nnlut.fit import MAX_ENTRIES
from hwgen.nnlut.functions import check_range, get_function
from hwgen.nnlut.table import MAX_FRAC_BITS, check_io_format, check_output_holds
from hwgen.specs.base import UnitSpec

NNLUT_CUT_POINTS = 3  # register cuts of hwgen.gen.nnlut: product, coefficients, reduce
DEFAULT_PIPELINE = 4
MAX_PIPELINE = NNLUT_CUT_POINTS + 1


@dataclass(frozen=True)
class NnLutSpec(UnitSpec):
    """One NN-LUT unit (``hwgen.gen.nnlut.NnLutUnit``).

    ``lo`` / ``hi``: the table's range, filled in with the function's default; ``frac_bits`` /
    ``x_frac``: the table's fraction bits, None for the quantizer's choice for the fitted table
    (``hwgen.nnlut.table.default_frac_bits`` / ``default_x_frac``); ``seed``: the fit's.
    """

    kind: ClassVar[str] = "nnlut"
    max_pipeline: ClassVar[int] = MAX_PIPELINE  # pipeline depths 1..max_pipeline (hwgen.fpga.fmax)

    function: str
    entries: int
    in_format: str
    out_format: str
    lo: float | None = None
    hi: float | None = None
    frac_bits: int | None = None
    x_frac: int | None = None
    seed: int = 0
    pipeline: int = DEFAULT_PIPELINE

    def __post_init__(self):
        options = table_options(self)
        entries = check_int(self.entries, "entries", 1, MAX_ENTRIES)
        self._canonical(entries=entries, **options)

    @property
    def module_name(self) -> str:
        """``nnlut_<func>_<entries>_<in>_<out>[_r<lo>_<hi>][_f<F>][_x<X>][_s<seed>][_p<N>]``."""
        return table_module_name(self, "nnlut", str(self.entries))

    @property
    def label(self) -> str:
        return f"{self.function} {self.entries} {self.in_format}->{self.out_format}"

    @property
    def latency(self) -> int:
        return self.pipeline


def table_options(spec) -> dict:
    """The checked, canonical options a table unit (NN-LUT, uniform LUT) shares: function, range,
    formats, fraction bits, seed and pipeline, as ``_canonical`` keywords (a ValueError names a bad one)."""
    fn = get_function(spec.function)
    lo, hi = check_range(fn, spec.lo, spec.hi)
    in_fmt = check_io_format(spec.in_format, "input")
    out_fmt = check_io_format(spec.out_format, "output")
    check_output_holds(fn, lo, hi, out_fmt)
    return {"function": fn.name, "lo": lo, "hi": hi, "in_format": in_fmt.name, "out_format": out_fmt.name,
            "frac_bits": _optional_frac_bits(spec.frac_bits, "coefficient frac bits"),
            "x_frac": _optional_frac_bits(spec.x_frac, "input frac bits"),
            "seed": check_int(spec.seed, "seed", 0, 2**32 - 1),
            "pipeline": check_int(spec.pipeline, "pipeline depth", 1, MAX_PIPELINE)}


def table_module_name(spec, prefix: str, size: str, extra: tuple = ()) -> str:
    """``<prefix>_<func>_<size>_<in>_<out>[_r<lo>_<hi>][_f<F>][_x<X>][<extra>][_s<seed>][_p<N>]``: the
    module name of a table unit; *extra* parts come after the grids."""
    parts = [prefix, spec.function, size, spec.in_format, spec.out_format]
    fn = get_function(spec.function)
    if (spec.lo, spec.hi) != (fn.lo, fn.hi):
        parts.append(f"r{_number(spec.lo)}_{_number(spec.hi)}")
    if spec.frac_bits is not None:
        parts.append(f"f{spec.frac_bits}")
    if spec.x_frac is not None:
        parts.append(f"x{spec.x_frac}")
    parts.extend(extra)
    if spec.seed:
        parts.append(f"s{spec.seed}")
    if spec.pipeline != DEFAULT_PIPELINE:
        parts.append(f"p{spec.pipeline}")
    return "_".join(parts)


def _optional_frac_bits(value, name: str) -> int | None:
    """None (the quantizer chooses) or fraction bits the quantizer takes."""
    return None if value is None else check_int(value, name, 0, MAX_FRAC_BITS)


def _number(value: float) -> str:
    """A range end for a module name: -8 -> m8, 0.5 -> 0p5."""
    text = f"{value:g}" if math.isfinite(value) else "inf"
    return text.replace("-", "m").replace(".", "p").replace("+", "")
