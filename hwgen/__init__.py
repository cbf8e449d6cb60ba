"""hwgen: low-precision arithmetic hardware generators with a bit-exact golden model.

The Python API (names are imported on first use, so ``import hwgen`` stays light):

- formats: :func:`get_format`, :func:`scalar_format`, :func:`listed_formats`;
- design specs: :class:`MacSpec`, :class:`SystolicSpec`, :class:`MxDotSpec`, :class:`NnLutSpec`,
  :class:`LutSpec`, :class:`MulSpec`, :class:`AddSpec`, :func:`make_spec`;
- hardware: :func:`build` (the Amaranth component), :func:`generate` (Verilog + manifest),
  :func:`verify` (simulate against the golden model), :func:`synth` (Yosys / nextpnr);
- the golden model: :func:`encode`, :func:`decode`, :func:`mac` (``hwgen.golden``).

See the README's "Python API" section.
"""

import importlib

__version__ = "0.1.0"

_EXPORTS = {
    "hwgen.formats": ("get_format", "scalar_format", "listed_formats"),
    "hwgen.specs": ("AddSpec", "LutSpec", "MacSpec", "MulSpec", "MxDotSpec", "NnLutSpec", "SystolicSpec",
                    "make_spec"),
    "hwgen.api": ("build", "generate", "verify", "synth"),
    "hwgen.golden": ("encode", "decode", "mac"),
}
_WHERE = {name: module for module, names in _EXPORTS.items() for name in names}

__all__ = ["__version__", *_WHERE]


def __getattr__(name: str):
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'hwgen' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(__all__)
