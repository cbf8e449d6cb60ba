"""The model's nonlinearities, swappable: exact NumPy functions or (later) NN-LUT tables.

A :class:`Nonlinearities` bundles four elementwise callables (float array in, float array of the same
shape and dtype out). The forward pass calls only these, so an NN-LUT evaluation can replace any of
them without touching the model code. ``"nnlut:N"`` does that with hwgen's own NN-LUT units
(:mod:`hwgen.nnlut`): N-entry tables for all four functions, fp16 in and out, evaluated bit-exactly.
"""

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache, partial

import numpy as np

NONLIN_CHOICES = ("exact", "nnlut:N")
NNLUT_FORMAT = "fp16"  # input and output format of every NN-LUT unit
_NNLUT = re.compile(r"nnlut:(\d+)")

_erf = np.frompyfunc(math.erf, 1, 1)  # libm's erf, correctly rounded to well within 1 ulp


def erf(x: np.ndarray) -> np.ndarray:
    """Elementwise erf in float64 (NumPy has none; math.erf per element)."""
    return _erf(np.asarray(x, dtype=np.float64)).astype(np.float64)


def exact_gelu(x: np.ndarray) -> np.ndarray:
    """BERT's GELU, the erf form: x / 2 * (1 + erf(x / sqrt(2)))."""
    return (x * 0.5 * (1.0 + erf(x / math.sqrt(2.0)))).astype(x.dtype, copy=False)


def exact_exp(x: np.ndarray) -> np.ndarray:
    return np.exp(x)


def exact_reciprocal(x: np.ndarray) -> np.ndarray:
    return 1.0 / x


def exact_rsqrt(x: np.ndarray) -> np.ndarray:
    return 1.0 / np.sqrt(x)


@dataclass(frozen=True)
class Nonlinearities:
    """The elementwise functions of a BERT forward pass.

    ``gelu``: the FFN activation. ``exp``: softmax numerators, called on ``scores - max(scores)``
    (values <= 0). ``reciprocal``: 1 / (sum of the numerators), values >= 1. ``rsqrt``: LayerNorm's
    1 / sqrt(variance + eps).
    """

    name: str
    gelu: Callable
    exp: Callable
    reciprocal: Callable
    rsqrt: Callable


EXACT = Nonlinearities("exact", exact_gelu, exact_exp, exact_reciprocal, exact_rsqrt)


@cache
def nnlut_nonlinearities(entries: int, fmt: str = NNLUT_FORMAT) -> Nonlinearities:
    """GELU, exp, reciprocal and rsqrt by NN-LUT units of ``entries`` segments (fitted once per process)."""
    from hwgen.nnlut import evaluate, make_table  # fitting code loads only when asked for

    units = [partial(evaluate, make_table(name, entries, fmt, fmt))
             for name in ("gelu", "exp", "reciprocal", "rsqrt")]
    return Nonlinearities(f"nnlut:{entries}", *units)


def fits_tables(spec) -> bool:
    """True when resolving ``spec`` fits NN-LUT tables first (seconds per table)."""
    return isinstance(spec, str) and _NNLUT.fullmatch(spec.strip()) is not None


def resolve_nonlin(spec) -> Nonlinearities:
    """``"exact"``, ``"nnlut:N"`` or a :class:`Nonlinearities` (any other replacement)."""
    if isinstance(spec, Nonlinearities):
        return spec
    if spec == "exact":
        return EXACT
    if isinstance(spec, str) and (match := _NNLUT.fullmatch(spec.strip())):
        return nnlut_nonlinearities(int(match.group(1)))
    raise ValueError(f"nonlinearities must be 'exact', 'nnlut:N' (N table entries, e.g. nnlut:16) or a "
                     f"Nonlinearities object, not {spec!r}")
