"""Table-driven formats (dINT, docs/formats.md#dint-and-table-formats): 2^N codes, each one dyadic value.

hwgen's reading of dINT4 (arXiv 2311.05161; its exact code table is not public): sign-magnitude, the
sign bit is the MSB, the 3-bit magnitude code m means 0.5 for m = 0 (the "denormal" value that
replaces zero) and m for m = 1..7. Values +-{0.5, 1, 2, ..., 7}: balanced, and nothing rounds to zero.

Encode picks the nearest table value; an exact tie goes to the even code, and when both neighbours'
codes have the same parity, to the lower code. Values beyond the table's ends take the end value.
"""

import math
from dataclasses import dataclass

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


DINT4 = TableFormat("dint4", dint_table(3))
