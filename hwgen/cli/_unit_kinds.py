"""The unit kinds the command line offers: the kinds of :data:`hwgen.specs.SPEC_KINDS` that have a
module ``hwgen.cli.unit_<kind>`` (the ``null`` unit, the I/O harness's stand-in, has none: sweeps
measure it).

A unit module provides ``ABOUT`` (one or two sentences on what the unit is, which begins the description
of its `generate`, `verify` and `synth` parsers), ``add_options(parser)`` (its design options, defaults
from its spec), ``spec_from_args(args)``, ``register_generate(units)`` and, for a unit with a verifier,
``register_verify(units)``.
"""

import importlib
from importlib.util import find_spec

from hwgen.specs import SPEC_KINDS

CLI_KINDS = tuple(kind for kind in SPEC_KINDS if find_spec(f"hwgen.cli.unit_{kind}") is not None)


def unit_module(kind: str):
    return importlib.import_module(f"hwgen.cli.unit_{kind}")
