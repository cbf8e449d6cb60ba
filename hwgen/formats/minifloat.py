"""Minifloat formats ``fpN_eEmM`` with a special-value policy and an optional bias.

Layout ``sign | E exponent bits | M mantissa bits``; exponent field 0 is subnormal. Policies
(docs/formats.md#minifloats):

========  ==========================  ==============================  ========================
policy    inf                         NaN                             overflow on encode
========  ==========================  ==============================  ========================
ieee      e = all ones, f = 0         e = all ones, f != 0            to +-inf
fn        none                        only S.1..1.1..1                to NaN
fnuz      none                        only 1000..0 (no -0)            to NaN
finite    none                        none                            saturate to +-max
========  ==========================  ==============================  ========================
"""

from dataclasses import dataclass

from hwgen.formats._check import check_int

POLICIES = ("ieee", "fn", "fnuz", "finite")

# Preferred names of the common minifloats: (exp_bits, man_bits, policy) -> name, then extra aliases.
# The short OCP names (fp8_e4m3, fp6_*, fp4_e2m1) mean the OCP formats, not the IEEE-like ones.
PREFERRED_NAMES = {
    (4, 3, "fn"): ("fp8_e4m3fn", ("fp8_e4m3", "float8_e4m3fn", "e4m3fn", "e4m3")),
    (5, 2, "ieee"): ("fp8_e5m2", ("float8_e5m2", "e5m2")),
    (4, 3, "fnuz"): ("fp8_e4m3fnuz", ("float8_e4m3fnuz", "e4m3fnuz")),
    (5, 2, "fnuz"): ("fp8_e5m2fnuz", ("float8_e5m2fnuz", "e5m2fnuz")),
    (4, 3, "ieee"): ("fp8_e4m3_ieee", ("float8_e4m3",)),
    (3, 4, "ieee"): ("fp8_e3m4", ("float8_e3m4", "e3m4")),
    (3, 2, "finite"): ("fp6_e3m2", ("float6_e3m2fn", "e3m2")),
    (2, 3, "finite"): ("fp6_e2m3", ("float6_e2m3fn", "e2m3")),
    (2, 1, "finite"): ("fp4_e2m1", ("float4_e2m1fn", "e2m1")),
    (5, 10, "ieee"): ("fp16", ("float16", "half")),
    (8, 7, "ieee"): ("bf16", ("bfloat16",)),
    (8, 23, "ieee"): ("fp32", ("float32", "single")),
}
_SUFFIX = {"ieee": "", "fn": "fn", "fnuz": "fnuz", "finite": "_finite"}


def default_bias(exp_bits: int, policy: str) -> int:
    """2^(E-1) - 1, except fnuz: 2^(E-1) (ml_dtypes' float8_e4m3fnuz has bias 8)."""
    return 1 << (exp_bits - 1) if policy == "fnuz" else (1 << (exp_bits - 1)) - 1


def _taken_names() -> set:
    return {n for name, aliases in PREFERRED_NAMES.values() for n in (name, *aliases)}


@dataclass(frozen=True)
class MiniFloat:
    """A sign / exponent / mantissa floating-point format.

    ``bias=None`` means the policy's default bias; after construction ``bias`` is always an int.
    """

    exp_bits: int
    man_bits: int
    policy: str = "ieee"
    bias: int | None = None

    kind = "minifloat"
    signed = True

    def __post_init__(self):
        exp_bits = check_int(self.exp_bits, "exponent bits", 1, 8)
        man_bits = check_int(self.man_bits, "mantissa bits", 0, 23)
        object.__setattr__(self, "exp_bits", exp_bits)
        object.__setattr__(self, "man_bits", man_bits)
        if self.policy not in POLICIES:
            raise ValueError(f"policy must be one of {', '.join(POLICIES)}, not {self.policy!r}")
        bias = default_bias(exp_bits, self.policy) if self.bias is None else self.bias
        object.__setattr__(self, "bias", check_int(bias, "bias", 0, (1 << exp_bits) - 1))
        if self.policy == "ieee" and (exp_bits < 2 or man_bits < 1):
            raise ValueError(
                f"an ieee minifloat needs at least 2 exponent bits and 1 mantissa bit "
                f"(for inf and NaN codes), not e{exp_bits}m{man_bits}; use policy fn, fnuz or finite"
            )
        if self.max_code_magnitude < (1 << man_bits):
            raise ValueError(f"e{exp_bits}m{man_bits} with policy {self.policy} has no normal values")

    # -- layout ---------------------------------------------------------------------------------
    @property
    def bits(self) -> int:
        return 1 + self.exp_bits + self.man_bits

    @property
    def name(self) -> str:
        key = (self.exp_bits, self.man_bits, self.policy)
        if key in PREFERRED_NAMES and self.bias == default_bias(self.exp_bits, self.policy):
            return PREFERRED_NAMES[key][0]
        base = f"fp{self.bits}_e{self.exp_bits}m{self.man_bits}"
        if self.policy == "ieee" and base in _taken_names():
            name = base + "_ieee"
        else:
            name = base + _SUFFIX[self.policy]
        if self.bias != default_bias(self.exp_bits, self.policy):
            name += f"_b{self.bias}"
        return name

    @property
    def exp_all_ones(self) -> int:
        return (1 << self.exp_bits) - 1

    # -- special values ----------------------------------------------------------------------
    @property
    def has_inf(self) -> bool:
        return self.policy == "ieee"

    @property
    def has_nan(self) -> bool:
        return self.policy != "finite"

    @property
    def has_negative_zero(self) -> bool:
        return self.policy != "fnuz"

    def nan_code(self, negative: bool = False) -> int:
        """The NaN code encode produces (ieee: quiet NaN; the sign is kept where the format can)."""
        sign = (1 << (self.bits - 1)) if negative else 0
        if self.policy == "ieee":
            return sign | (self.exp_all_ones << self.man_bits) | (1 << (self.man_bits - 1))
        if self.policy == "fn":
            return sign | ((1 << (self.bits - 1)) - 1)
        if self.policy == "fnuz":
            return 1 << (self.bits - 1)
        raise ValueError(f"{self.name} has no NaN code")

    def inf_code(self, negative: bool = False) -> int:
        if not self.has_inf:
            raise ValueError(f"{self.name} has no inf code")
        sign = (1 << (self.bits - 1)) if negative else 0
        return sign | (self.exp_all_ones << self.man_bits)

    # -- range ------------------------------------------------------------------------------
    @property
    def max_code_magnitude(self) -> int:
        """The largest finite code without its sign bit: (exponent field << M) | fraction."""
        all_ones = (1 << (self.exp_bits + self.man_bits)) - 1
        if self.policy == "ieee":
            return (self.exp_all_ones << self.man_bits) - 1
        if self.policy == "fn":
            return all_ones - 1
        return all_ones

    @property
    def emin(self) -> int:
        """Exponent of the smallest normal value."""
        return 1 - self.bias

    @property
    def lsb_exponent(self) -> int:
        """Exponent of the smallest subnormal: every value is an integer multiple of it."""
        return self.emin - self.man_bits

    @property
    def max_units(self) -> int:
        """The largest finite magnitude in units of 2^lsb_exponent."""
        field, fraction = divmod(self.max_code_magnitude, 1 << self.man_bits)
        return ((1 << self.man_bits) | fraction) << (field - 1)

    @property
    def max(self) -> float:
        return self.max_units * 2.0**self.lsb_exponent

    @property
    def emax(self) -> int:
        """Exponent of the largest finite value (floor(log2(max)))."""
        return (self.max_code_magnitude >> self.man_bits) - self.bias

    @property
    def min_normal(self) -> float:
        return 2.0**self.emin

    @property
    def min_subnormal(self) -> float:
        return 2.0**self.lsb_exponent
