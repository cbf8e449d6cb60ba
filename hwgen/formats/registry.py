"""Format names: parse ``intN``, ``uintN``, ``intN_sym``, ``fpN_eEmM[fn|fnuz|_finite|_ieee][_bB]``,
the table and block formats, and the aliases (ml_dtypes names, the OCP short names)."""

import re

from hwgen.formats.block import SCALE_E8M0, BlockFormat
from hwgen.formats.integer import IntFormat
from hwgen.formats.minifloat import PREFERRED_NAMES, MiniFloat
from hwgen.formats.table import DINT4, DINT4Z, FP4_E2M1_SP, FP4_E2M1_SR, NF4, SF4, TableFormat

_INT = re.compile(r"(u?)int(\d+)(_sym)?(?:_f(\d+))?")
_FLOAT = re.compile(r"fp(\d+)_e(\d+)m(\d+)(?:_?(fnuz|fn)|_(ieee|finite))?(?:_b(\d+))?")

_FP8_E4M3 = MiniFloat(4, 3, "fn")
BLOCK_FORMATS = {
    "mxfp8_e4m3": BlockFormat("mxfp8_e4m3", _FP8_E4M3, 32),
    "mxfp8_e5m2": BlockFormat("mxfp8_e5m2", MiniFloat(5, 2, "ieee"), 32),
    "mxfp6_e3m2": BlockFormat("mxfp6_e3m2", MiniFloat(3, 2, "finite"), 32),
    "mxfp6_e2m3": BlockFormat("mxfp6_e2m3", MiniFloat(2, 3, "finite"), 32),
    "mxfp4": BlockFormat("mxfp4", MiniFloat(2, 1, "finite"), 32),
    "mxint8": BlockFormat("mxint8", IntFormat(8, symmetric=True, frac_bits=6), 32),
    "nvfp4": BlockFormat("nvfp4", MiniFloat(2, 1, "finite"), 16, _FP8_E4M3),
}
TABLE_FORMATS = {fmt.name: fmt for fmt in (DINT4, DINT4Z, NF4, SF4, FP4_E2M1_SR, FP4_E2M1_SP)}

ALIASES = {alias: name for name, aliases in PREFERRED_NAMES.values() for alias in aliases}
ALIASES.update({"mxfp8": "mxfp8_e4m3", "mxfp6": "mxfp6_e3m2"})

KNOWN_SUMMARY = (
    "int2..int32, uint1..uint32, intN_sym, fpN_eEmM[fn|fnuz|_finite][_bB], "
    + ", ".join(name for name, _ in PREFERRED_NAMES.values())
    + ", " + ", ".join(TABLE_FORMATS) + ", "
    + ", ".join(BLOCK_FORMATS)
)


def _parse_minifloat(match, name):
    total, exp_bits, man_bits = (int(match.group(i)) for i in (1, 2, 3))
    policy = match.group(4) or match.group(5) or "ieee"
    bias = None if match.group(6) is None else int(match.group(6))
    fmt = MiniFloat(exp_bits, man_bits, policy, bias)
    if fmt.bits != total:
        raise ValueError(
            f"{name}: bits do not add up: 1 sign + {exp_bits} exponent + {man_bits} mantissa "
            f"= {fmt.bits}, not {total}"
        )
    return fmt


def get_format(name):
    """The format called ``name`` (or ``name`` itself when it is already a format)."""
    if not isinstance(name, str):
        if hasattr(name, "kind") and hasattr(name, "name"):
            return name
        raise TypeError(f"a format is a name or a format object, not {type(name).__name__}")
    key = name.strip().lower()
    key = ALIASES.get(key, key)
    for preferred, (exp_bits, man_bits, policy) in ((v[0], k) for k, v in PREFERRED_NAMES.items()):
        if key == preferred:
            return MiniFloat(exp_bits, man_bits, policy)
    if key in TABLE_FORMATS:
        return TABLE_FORMATS[key]
    if key in BLOCK_FORMATS:
        return BLOCK_FORMATS[key]
    try:
        if match := _INT.fullmatch(key):
            unsigned, bits, sym, frac = match.groups()
            return IntFormat(int(bits), signed=not unsigned, symmetric=bool(sym), frac_bits=int(frac or 0))
        if match := _FLOAT.fullmatch(key):
            return _parse_minifloat(match, key)
    except ValueError as error:
        message = str(error)
        raise ValueError(message if message.startswith(key) else f"{key}: {message}") from None
    raise ValueError(f"unknown format {name!r}; known: {KNOWN_SUMMARY} (see `hwgen formats`)")


def register_table(name: str, values) -> TableFormat:
    """Add a user table format (code c means ``values[c]``; see :class:`TableFormat`) to this process's
    registry, so that every name-taking API (specs, generators, golden model, accuracy) finds it. The
    name must be new: not a registered format, an alias or a name the int / minifloat grammar parses.
    Sweep workers in other processes do not see it."""
    fmt = TableFormat(name, values)
    key = fmt.name.lower()
    names = {*TABLE_FORMATS, *BLOCK_FORMATS, *ALIASES, *(name for name, _ in PREFERRED_NAMES.values())}
    if key in names or _INT.fullmatch(key) or _FLOAT.fullmatch(key):
        raise ValueError(f"table format name {name!r} is taken: choose a name that is not a format already")
    if key != fmt.name:
        raise ValueError(f"table format names are lower case, not {name!r}")
    TABLE_FORMATS[key] = fmt
    return fmt


def scalar_format(name):
    """Like :func:`get_format`, but a block format is an error (for MAC operands and quantizers)."""
    fmt = get_format(name)
    if fmt.kind == "block":
        raise ValueError(f"{fmt.name} is a block format; give its element format or use the block API")
    return fmt


def listed_formats():
    """The formats `hwgen formats` lists: the common ones, int4/8/16, the tables and the block formats."""
    formats = [IntFormat(4), IntFormat(8), IntFormat(16), IntFormat(4, signed=False),
               IntFormat(8, signed=False), IntFormat(8, symmetric=True)]
    formats += [MiniFloat(*key) for key in PREFERRED_NAMES]
    formats += list(TABLE_FORMATS.values())
    formats += list(BLOCK_FORMATS.values())
    return formats


def aliases_of(fmt) -> list:
    return sorted(alias for alias, target in ALIASES.items() if target == fmt.name)


__all__ = ["ALIASES", "BLOCK_FORMATS", "SCALE_E8M0", "TABLE_FORMATS", "aliases_of", "get_format",
           "listed_formats", "register_table", "scalar_format"]
