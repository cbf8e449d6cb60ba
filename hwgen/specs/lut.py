"""The uniform LUT spec: the NN-LUT's baseline as a unit of its own (a ROM indexed by a bit slice).

A ``lut`` unit is an :class:`~hwgen.gen.nnlut.NnLutUnit` whose table is a uniform lookup table
(:func:`hwgen.nnlut.table.uniform_lut_table`): the NN-LUT's front end (decode, clamp or power-of-two
range reduction) and output rounding, cells 2^-cell_bits wide from the range's start, each holding
the midrange of f on its cell; no comparators, no multiplier.

Two ways to say which cells (give one):

* ``cell_bits``: the cells directly.
* ``match_entries=N``: the LUT of equal maximum error to the N-entry NN-LUT with the same function,
  range, formats, fraction bits and fit ``seed`` (:func:`hwgen.nnlut.lut.match_nnlut`: the coarsest
  cells whose float maximum error is at most the NN-LUT's; ``max_entries`` caps the search).

``match_entries`` is resolved when the spec is made, and the canonical form keeps both: the resolved
``cell_bits`` (the hardware, readable without a fit) and ``match_entries`` / ``seed`` (which NN-LUT it
is the twin of: the results store pairs an ``nnlut`` row with its ``lut`` row from their configs
alone). ``max_entries`` is kept only where it stopped the search, as the capped LUT's own entry count
(re-resolving then gives the same cells). So the canonical JSON is deterministic, and a spec read
back from it is checked again: its cells must still be the equal-error ones (one cached fit per
process). A ``match_entries`` unit is named ``..._m<N>``, so its Verilog (and its store row) stays
apart from the same cells given as ``cell_bits``. :func:`twin_key` pairs the two kinds' configs.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import ClassVar

from hwgen.formats._check import check_int
from hwgen.nnlut.fit import MAX_ENTRIES
from hwgen.nnlut.functions import get_function
from hwgen.nnlut.lut import MAX_LUT_ENTRIES, MIN_CELL_BITS, lut_entries, match_nnlut, table_grid_bits
from hwgen.nnlut.table import MAX_FRAC_BITS
from hwgen.specs.base import UnitSpec
from hwgen.specs.nnlut import DEFAULT_PIPELINE, MAX_PIPELINE, table_module_name, table_options


@dataclass(frozen=True)
class LutSpec(UnitSpec):
    """One uniform lookup-table unit (``hwgen.gen.nnlut.NnLutUnit`` of a uniform table).

    ``cell_bits``: cells 2^-cell_bits wide (at most the input grid's ``x_frac``); or ``match_entries``:
    the LUT of equal float maximum error to that NN-LUT (fit ``seed``; at most ``max_entries``
    entries, default :data:`~hwgen.nnlut.lut.MAX_LUT_ENTRIES`). ``lo`` / ``hi``, ``frac_bits``,
    ``x_frac`` and ``pipeline`` as :class:`~hwgen.specs.nnlut.NnLutSpec`'s.
    """

    kind: ClassVar[str] = "lut"
    max_pipeline: ClassVar[int] = MAX_PIPELINE  # pipeline depths 1..max_pipeline (hwgen.fpga.fmax)

    function: str
    in_format: str
    out_format: str
    cell_bits: int | None = None
    match_entries: int | None = None
    lo: float | None = None
    hi: float | None = None
    frac_bits: int | None = None
    x_frac: int | None = None
    seed: int = 0
    max_entries: int | None = None
    pipeline: int = DEFAULT_PIPELINE

    def __post_init__(self):
        options = table_options(self)
        fn, lo, hi, seed = get_function(options["function"]), options["lo"], options["hi"], options["seed"]
        grid = table_grid_bits(fn, options["in_format"], options["out_format"], options["frac_bits"],
                               options["x_frac"])
        cell_bits = None if self.cell_bits is None else _check_cell_bits(self.cell_bits, grid, lo, hi)
        if self.match_entries is None:
            if cell_bits is None:
                raise ValueError("a lut unit needs cell_bits (cells 2^-cell_bits wide) or match_entries "
                                 "(the LUT of equal max error to that NN-LUT)")
            if seed or self.max_entries is not None:
                raise ValueError("seed and max_entries choose the LUT of match_entries; give them only with "
                                 "match_entries")
            match_entries = max_entries = None
        else:
            match_entries = check_int(self.match_entries, "match entries", 1, MAX_ENTRIES)
            cap = None if self.max_entries is None else check_int(self.max_entries, "max LUT entries", 1,
                                                                  MAX_LUT_ENTRIES)
            match = match_nnlut(fn, match_entries, grid, lo=lo, hi=hi, seed=seed, max_entries=cap)
            if cell_bits is not None and cell_bits != match.cell_bits:
                raise ValueError(f"cell bits {cell_bits} is not the LUT of equal max error to the "
                                 f"{match_entries}-entry NN-LUT (cell bits {match.cell_bits}); give "
                                 f"cell_bits or match_entries")
            cell_bits = match.cell_bits
            max_entries = match.entries if match.how == "capped" else None
        self._canonical(cell_bits=cell_bits, match_entries=match_entries, max_entries=max_entries, **options)

    @property
    def entries(self) -> int:
        """The LUT's entries (cells): ceil((hi - lo) * 2^cell_bits)."""
        return lut_entries(self.lo, self.hi, self.cell_bits)

    @property
    def grid_bits(self) -> int:
        """The table's input grid (x_frac, resolved): cells are whole steps of 2^-grid_bits."""
        return table_grid_bits(self.function, self.in_format, self.out_format, self.frac_bits, self.x_frac)

    def match(self):
        """The :class:`~hwgen.nnlut.lut.LutMatch` of a ``match_entries`` spec (cached), else None."""
        if self.match_entries is None:
            return None
        return match_nnlut(self.function, self.match_entries, self.grid_bits, lo=self.lo, hi=self.hi,
                           seed=self.seed, max_entries=self.max_entries)

    @property
    def module_name(self) -> str:
        """``lut_<func>_c<cell_bits>_<in>_<out>[_r<lo>_<hi>][_f<F>][_x<X>][_m<N>][_s<seed>][_p<N>]``
        (a negative cell_bits is written ``cm2``)."""
        cells = f"c{self.cell_bits}".replace("-", "m")
        match = () if self.match_entries is None else (f"m{self.match_entries}",)
        return table_module_name(self, "lut", cells, match)

    @property
    def label(self) -> str:
        match = "" if self.match_entries is None else f" (= NN-LUT {self.match_entries})"
        return f"{self.function} LUT {self.entries}{match} {self.in_format}->{self.out_format}"

    @property
    def latency(self) -> int:
        return self.pipeline


# The options a uniform LUT shares with the NN-LUT it matches (besides entries = match_entries).
TWIN_OPTIONS = ("function", "in_format", "out_format", "lo", "hi", "frac_bits", "x_frac", "seed", "pipeline")


def twin_key(unit: str, options: Mapping) -> tuple | None:
    """The key that pairs an ``nnlut`` design with its equal-error ``lut`` twin, from canonical options
    alone (a stored ``config``; no fit): equal keys are an NN-LUT and the LUT whose ``match_entries``
    is its ``entries``, with the same function, range, formats, fraction bits, fit seed and pipeline.
    None for a ``lut`` given by ``cell_bits`` (it matches no NN-LUT) and for other units."""
    if unit == "nnlut":
        entries = options["entries"]
    elif unit == "lut":
        entries = options["match_entries"]
    else:
        return None
    return None if entries is None else (*(options[name] for name in TWIN_OPTIONS), entries)


def _check_cell_bits(value, grid: int, lo: float, hi: float) -> int:
    cell_bits = check_int(value, "cell bits", MIN_CELL_BITS, MAX_FRAC_BITS)
    if cell_bits > grid:
        raise ValueError(f"cell bits must be at most the input grid's {grid} (cells of whole grid steps), "
                         f"not {cell_bits}")
    entries = lut_entries(lo, hi, cell_bits)
    if entries > MAX_LUT_ENTRIES:
        raise ValueError(f"a LUT of cells 2^-{cell_bits} on {lo:g}:{hi:g} has {entries} entries, more than "
                         f"{MAX_LUT_ENTRIES}")
    return cell_bits
