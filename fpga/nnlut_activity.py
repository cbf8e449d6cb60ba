"""Input streams and expected outputs of NN-LUT and uniform LUT units, for the energy measurements.

:mod:`hwgen.fpga.activity` (gate-level toggles on ``gates``) and :mod:`hwgen.fpga.asic_power` (the
timed mapped netlist on ``asic``) drive a unit with one item per clock and check every output; this
module supplies both for ``nnlut`` and ``lut`` units (a ``lut`` unit is an NN-LUT unit of a uniform
table, with an NN-LUT manifest).

**Stimulus**: ``count`` values drawn uniformly over the table's range, the manifest's ``range``
(the clamped function's [lo, hi]; for reciprocal and rsqrt the reduced mantissa's [1, 2] and [1, 4]),
with NumPy's ``default_rng(seed).uniform``, then encoded in the input format by the golden codec
(nearest, ties to even, saturating). The MAC streams' distribution (Gaussian or Laplace) does not
apply: an NN-LUT unit gets this one uniform stream for either. One evaluation per clock, so the
energy per item (the store's ``energy_pj_per_mac`` on ``asic``, ``energy_per_mac_*`` on ``gates``)
is the energy per evaluation.

**Expected outputs**: :func:`hwgen.nnlut.evaluate.evaluate_codes` on the table the manifest records
(the table the verifier checks), bit-exact; the unit gives one output per input, in order.
"""

from collections.abc import Mapping

import numpy as np

UNITS = ("nnlut", "lut")  # unit kinds (GeneratedDesign.unit) whose streams this module knows


def _table(design):
    from hwgen.nnlut.table import table_from_description

    if design.unit not in UNITS:
        raise ValueError(f"design unit must be one of {', '.join(UNITS)}, not {design.unit!r}")
    return table_from_description(design.details["table"])


def stimulus(design, count: int, seed: int) -> dict[str, np.ndarray]:
    """Input codes ``x`` of ``count`` items: uniform over the table's range, quantized (see above)."""
    from hwgen.golden.codec import encode

    table = _table(design)
    x = np.random.default_rng(seed).uniform(table.range_lo, table.range_hi, count)
    return {"x": encode(table.in_format, x, saturate=True)}


def expected(design, values: Mapping[str, np.ndarray], count: int) -> dict[str, list[int]]:
    """The golden output codes ``y`` of the first ``count`` items of ``values``."""
    from hwgen.nnlut.evaluate import evaluate_codes

    codes = np.asarray(values["x"][:count], dtype=np.int64)
    return {"y": [int(code) for code in evaluate_codes(_table(design), codes)]}
