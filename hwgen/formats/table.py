"""Table-driven formats (dINT, docs/formats.md#dint-and-table-formats): 2^N codes, each one dyadic value.

The registry's tables, code c -> value (sources: cornell-zhang/llm-datatypes, the code of Dotzel et
al., "Learning from Students", ICML 2024, arXiv 2405.03103; lines of
``neural_compressor/adaptor/torch_utils/weight_only.py`` at commit f3d42dac):

``dint4``
    hwgen's reading of dINT4 (arXiv 2311.05161; its exact code table is not public): sign-magnitude,
    the sign bit is the MSB, the 3-bit magnitude code m means 0.5 for m = 0 (the "denormal" value
    that replaces zero) and m for m = 1..7. Values +-{0.5, 1, 2, ..., 7}: balanced, and nothing
    rounds to zero -- so there is no zero either.
``dint4z``
    INT4 that keeps zero: the same sign-magnitude reading, but m = 0 means 0, and the one redundant
    code, negative zero (0x8), becomes the small "denormal" value -0.5 (the code's sign bit says
    negative; dINT's paper adds one special small value, and a sign-magnitude code has only one code
    to spare). Codes 0x0..0x7: 0, 1, ..., 7; 0x8: -0.5; 0x9..0xF: -1, ..., -7.
``nf4``
    QLoRA's NormalFloat4 (arXiv 2305.14314): 7 negative and 8 positive normal quantiles (QLoRA's
    offset 0.9677083), plus 0, divided by the largest; ``NF4`` of weight_only.py lines 32-34 (the
    bitsandbytes constants). Code c is the c-th smallest value, as in bitsandbytes.
``sf4``
    Student Float 4: built like NF4 from Student-t quantiles with nu = 5 degrees of freedom (the
    paper's SF4; ``SF4_5`` of weight_only.py lines 56-58, the format the repository's README.md
    names as SF4). Code c is the c-th smallest value.
``fp4_e2m1_sr`` / ``fp4_e2m1_sp``
    E2M1 with supernormal support (the paper's two variants): OCP E2M1 codes (sign-magnitude,
    0x0..0x7 = 0, 0.5, 1, 1.5, 2, 3, 4, 6 and 0x9..0xF their negatives), with the negative-zero code
    0x8 reassigned to one more value: +8 for super-range (``FP4_RANGE``, line 79) and +5 for
    super-precision (``FP4_PREC2``, line 81); README.md names these two as the paper's variants.

NF4 and SF4 are not dyadic, so hwgen rounds each value to the nearest multiple of 2^-10
(:data:`QUANTILE_GRID_EXPONENT`; values -1 .. 1 become integers -1024 .. 1024, magnitudes of 11
bits). All 16 values stay distinct; the largest rounding error is 4.79e-4 (NF4) and 4.46e-4 (SF4),
under half a step (2^-11 = 4.88e-4).

Encode picks the nearest table value; an exact tie goes to the even code, and when both
neighbours' codes have the same parity, to the lower code. Values beyond the table's ends take the
end value.
"""

import math
from dataclasses import dataclass

from hwgen.formats.minifloat import MiniFloat

MAX_TABLE_BITS = 12


def _lowest_bit_exponent(value: float) -> int:
    mantissa, exponent = math.frexp(value)
    integer = int(mantissa * (1 << 53))
    return exponent - 53 + ((integer & -integer).bit_length() - 1)


@dataclass(frozen=True)
class TableFormat:
    """A format whose code ``c`` means ``values[c]``.

    Parameters
    ----------
    name:
        The format's name (lower case letters, digits and ``_``).
    values:
        2^N distinct finite values (N = 1..12), each an integer multiple of a power of two.
    """

    name: str
    values: tuple

    kind = "table"
    has_inf = False
    has_nan = False

    def __post_init__(self):
        if not isinstance(self.name, str) or not self.name.replace("_", "").isalnum():
            raise ValueError(f"table format name must be letters, digits and '_', not {self.name!r}")
        try:
            values = tuple(float(v) for v in self.values)
        except (TypeError, ValueError):
            raise TypeError("table values must be a sequence of numbers") from None
        count = len(values)
        if count < 2 or count & (count - 1) or count > (1 << MAX_TABLE_BITS):
            raise ValueError(
                f"a table format needs 2^N values (N = 1..{MAX_TABLE_BITS}), not {count} values"
            )
        if not all(math.isfinite(v) for v in values):
            raise ValueError("table values must be finite (a table format has no inf or NaN)")
        if len(set(values)) != count:
            raise ValueError("table values must be distinct (+0 and -0 count as the same value)")
        object.__setattr__(self, "values", values)
        if self.max_units >= 1 << 31:
            raise ValueError("table values span too many binades: max / lsb must be below 2^31")

    @property
    def bits(self) -> int:
        return len(self.values).bit_length() - 1

    @property
    def signed(self) -> bool:
        return min(self.values) < 0

    @property
    def lsb_exponent(self) -> int:
        """Largest e such that every value is an integer multiple of 2^e."""
        nonzero = [v for v in self.values if v != 0]
        return min(_lowest_bit_exponent(v) for v in nonzero) if nonzero else 0

    @property
    def units(self) -> tuple:
        """Every code's value as an integer number of 2^lsb_exponent (code order)."""
        return tuple(round(v / 2.0**self.lsb_exponent) for v in self.values)

    @property
    def max_units(self) -> int:
        return max(abs(u) for u in self.units)

    @property
    def max(self) -> float:
        return max(abs(v) for v in self.values)

    @property
    def min_normal(self) -> float:
        return min(abs(v) for v in self.values if v != 0)

    @property
    def min_subnormal(self) -> float:
        return self.min_normal


def dint_table(magnitude_bits: int = 3) -> tuple:
    """hwgen's default dINT table: sign bit (MSB) + magnitude code m; m = 0 means 0.5."""
    magnitudes = [0.5] + [float(m) for m in range(1, 1 << magnitude_bits)]
    return tuple(magnitudes) + tuple(-m for m in magnitudes)


def dint_zero_table(magnitude_bits: int = 3) -> tuple:
    """INT with zero (sign bit MSB + magnitude code m, m = 0 means 0); negative zero means -0.5."""
    magnitudes = [float(m) for m in range(1 << magnitude_bits)]
    return (*magnitudes, -0.5, *(-m for m in magnitudes[1:]))


QUANTILE_GRID_EXPONENT = -10
"""NF4 and SF4 values are rounded to multiples of 2^QUANTILE_GRID_EXPONENT."""


def on_grid(values, exponent: int = QUANTILE_GRID_EXPONENT) -> tuple:
    """Every value rounded to the nearest multiple of 2^exponent (ties to even)."""
    step = 2.0**exponent
    return tuple(round(v / step) * step for v in values)


# cornell-zhang/llm-datatypes, neural_compressor/adaptor/torch_utils/weight_only.py, lines 32-34
NF4_VALUES = (
    -1.0, -0.6961928009986877, -0.5250730514526367, -0.39491748809814453, -0.28444138169288635,
    -0.18477343022823334, -0.09105003625154495, 0.0, 0.07958029955625534, 0.16093020141124725,
    0.24611230194568634, 0.33791524171829224, 0.44070982933044434, 0.5626170039176941,
    0.7229568362236023, 1.0,
)
# the same file, lines 56-58 (SF4_5: Student-t, nu = 5)
SF4_VALUES = (
    -1.0, -0.627781, -0.454736, -0.334331, -0.237434, -0.152899, -0.074982, 0.0,
    0.065513, 0.132965, 0.204661, 0.283835, 0.375805, 0.491076, 0.656781, 1.0,
)

def minifloat_magnitudes(fmt: MiniFloat) -> tuple:
    """The value of each of a finite minifloat's positive codes (0 .. 2^(bits-1) - 1), in code order."""
    values = []
    for code in range(1 << (fmt.bits - 1)):
        exponent, fraction = code >> fmt.man_bits, code & ((1 << fmt.man_bits) - 1)
        significand = fraction / (1 << fmt.man_bits) + (exponent != 0)
        values.append(significand * 2.0 ** (max(exponent, 1) - fmt.bias))
    return tuple(values)


def e2m1_supernormal_table(extra: float) -> tuple:
    """OCP E2M1's sign-magnitude codes (the registry's fp4_e2m1) with the negative-zero code 0x8 meaning
    ``extra``."""
    magnitudes = minifloat_magnitudes(MiniFloat(2, 1, "finite"))
    return (*magnitudes, float(extra), *(-m for m in magnitudes[1:]))


DINT4 = TableFormat("dint4", dint_table(3))
DINT4Z = TableFormat("dint4z", dint_zero_table(3))
NF4 = TableFormat("nf4", on_grid(NF4_VALUES))
SF4 = TableFormat("sf4", on_grid(SF4_VALUES))
FP4_E2M1_SR = TableFormat("fp4_e2m1_sr", e2m1_supernormal_table(8.0))
FP4_E2M1_SP = TableFormat("fp4_e2m1_sp", e2m1_supernormal_table(5.0))
