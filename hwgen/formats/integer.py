"""Integer formats: two's complement ``intN``, unsigned ``uintN``, symmetric ``intN_sym``.

An optional number of fractional bits turns a format into fixed point (value = code * 2^-frac_bits);
MX INT8 elements are ``int8_sym_f6``.
"""

from dataclasses import dataclass

from hwgen.formats._check import check_int


@dataclass(frozen=True)
class IntFormat:
    """An integer (or fixed-point) number format.

    Encoding rounds half to even and saturates to the range; a symmetric format never produces the
    code -2^(N-1) (it still decodes it).
    """

    bits: int
    signed: bool = True
    symmetric: bool = False
    frac_bits: int = 0

    kind = "int"
    has_inf = False
    has_nan = False

    def __post_init__(self):
        low = 2 if self.signed else 1
        object.__setattr__(self, "bits", check_int(self.bits, "integer bits", low, 32))
        object.__setattr__(self, "frac_bits", check_int(self.frac_bits, "fractional bits", 0, 31))
        if not isinstance(self.signed, bool) or not isinstance(self.symmetric, bool):
            raise TypeError("signed and symmetric must be bool")
        if self.symmetric and not self.signed:
            raise ValueError("an unsigned integer format cannot be symmetric")

    @property
    def name(self) -> str:
        name = f"{'int' if self.signed else 'uint'}{self.bits}"
        if self.symmetric:
            name += "_sym"
        if self.frac_bits:
            name += f"_f{self.frac_bits}"
        return name

    @property
    def lsb_exponent(self) -> int:
        """Every value is an integer multiple of 2^lsb_exponent."""
        return -self.frac_bits

    @property
    def min_code_value(self) -> int:
        """The most negative integer any code decodes to (before the 2^lsb_exponent scale)."""
        return -(1 << (self.bits - 1)) if self.signed else 0

    @property
    def max_int(self) -> int:
        return (1 << (self.bits - 1)) - 1 if self.signed else (1 << self.bits) - 1

    @property
    def min_int(self) -> int:
        """The most negative integer encode produces."""
        if not self.signed:
            return 0
        return -self.max_int if self.symmetric else self.min_code_value

    @property
    def max_units(self) -> int:
        """Largest magnitude any code decodes to, in units of 2^lsb_exponent."""
        return max(self.max_int, -self.min_code_value)

    @property
    def max(self) -> float:
        return self.max_int * 2.0**self.lsb_exponent

    @property
    def min_normal(self) -> float:
        return 2.0**self.lsb_exponent

    @property
    def min_subnormal(self) -> float:
        return 2.0**self.lsb_exponent
