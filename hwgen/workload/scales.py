"""Scale recipes: how the quantization scales of weights and activations are chosen (docs/minilm.md,
"Scale recipes").

A scale maps a group of values onto a format's grid, ``x ~ scale * decode(encode(x / scale))``, with one
scale per output channel for weights and per tensor (each sentence) or per token for activations:

- ``max``: ``scale = max|x| / format max``; nothing is clipped.
- ``mse``: ``scale = r * max|x| / format max`` with the clip ratio ``r`` that minimises the group's
  squared quantization error ``sum (Q(x) - x)^2`` (a tie keeps the larger ``r``), searched for every
  scale group: per weight row once over :data:`CLIP_RATIOS`, per activation tensor at run time over the
  coarser :data:`ACT_CLIP_RATIOS`.
- ``aqas`` (activation-quantization-aware scaling, after the dINT paper, arXiv 2311.05161, Eq. 1): per
  linear layer, on the float model's activations ``X`` for the calibration sentences, a per-input-channel
  migration ``s = max|X_j|^alpha / max|W_j|^(1 - alpha)`` and one weight clip ratio ``c_m`` per output
  channel that minimise ``|| Q(X / s) Q(W s)^T - X W^T ||_F^2``, with both operands quantized as they are
  at run time (activations ``max`` per sentence, weight row m at ``c_m * max``; products of the
  quantized values in float32, the reference ``X W^T`` in float64). Searched in two steps: alpha over
  :data:`ALPHA_GRID` with every ``c_m = 1``, then at that alpha each ``c_m`` over
  :data:`AQAS_CLIP_RATIOS` (exact per row: the objective is a sum of one term per output channel). The
  layer then computes ``Q(x / s) Q(W s)^T``; the attention products, which have no weights, keep ``max``.
- ``smooth`` = alpha (with ``max`` or ``mse``): SmoothQuant's migration with that fixed alpha, from the
  same calibration maxima.

Block formats (MX, NVFP4) set their block scales by the format's rule (the shared exponent of each
block's largest value): the clip searches do not apply to them (``mse`` is refused; ``aqas`` searches
alpha only); the migration applies to every format.
"""

from dataclasses import dataclass

import numpy as np

from hwgen.formats import BlockFormat
from hwgen.workload.operands import ROW, group_absmax, quantize_rows, quantize_scaled, scale_for

RECIPES = ("max", "mse", "aqas")
ACT_GROUPS = ("tensor", "token")
CLIP_RATIOS = tuple(round(1.0 - 0.025 * i, 3) for i in range(37))  # weights: 1.0, 0.975, ..., 0.1
ACT_CLIP_RATIOS = tuple(round(1.0 - 0.05 * i, 2) for i in range(15))  # activations: 1.0, 0.95, ..., 0.3
ALPHA_GRID = tuple(i / 8 for i in range(9))  # 0, 0.125, ..., 1
AQAS_CLIP_RATIOS = tuple(round(1.0 - 0.05 * i, 2) for i in range(19))  # per weight row: 1.0 .. 0.1
MIGRATION_LIMIT = 1e6  # s_j is kept within [1 / limit, limit]


@dataclass(frozen=True)
class ScaleRecipe:
    """How scales are chosen: ``scales`` (max, mse, aqas), an optional SmoothQuant ``smooth`` alpha
    (not with aqas, which searches alpha), and ``act_groups``: one activation scale per ``tensor`` (each
    sentence, the default) or per ``token`` (linear layers' inputs; the attention products keep one per
    tensor)."""

    scales: str = "max"
    smooth: float | None = None
    act_groups: str = "tensor"

    def __post_init__(self):
        if self.scales not in RECIPES:
            raise ValueError(f"scales must be one of {', '.join(RECIPES)}, not {self.scales!r}")
        if self.act_groups not in ACT_GROUPS:
            raise ValueError(f"activation scales must be one of {', '.join(ACT_GROUPS)}, not "
                             f"{self.act_groups!r}")
        if self.smooth is not None:
            if isinstance(self.smooth, bool) or not isinstance(self.smooth, int | float) \
                    or not 0 <= self.smooth <= 1:
                raise ValueError(f"smooth (SmoothQuant's alpha) must be a number from 0 to 1, not "
                                 f"{self.smooth!r}")
            if self.scales == "aqas":
                raise ValueError("aqas searches the migration strength itself: give --smooth only with "
                                 "--scales max or mse")
            object.__setattr__(self, "smooth", float(self.smooth))

    @property
    def name(self) -> str:
        """``max``, ``mse``, ``aqas``, ``max+smooth0.5``, ``mse/token``: the recipe in names and keys."""
        name = self.scales + ("" if self.smooth is None else f"+smooth{self.smooth:g}")
        return name + ("" if self.act_groups == "tensor" else f"/{self.act_groups}")

    @property
    def calibrated(self) -> bool:
        """Whether the recipe reads the calibration activations (aqas and the migration)."""
        return self.scales == "aqas" or self.smooth is not None

    def check_formats(self, weights, acts) -> None:
        """A clear error when the recipe does not apply to a format."""
        if self.scales == "mse":
            for role, fmt in (("weights", weights), ("activations", acts)):
                if isinstance(fmt, BlockFormat):
                    raise ValueError(f"--scales mse does not apply to the block format {fmt.name} ({role}): "
                                     f"its block scales follow the format's rule; use --scales max or aqas")


def recipe_of(value) -> ScaleRecipe:
    """A :class:`ScaleRecipe` from itself or a recipe name (``max``, ``mse``, ``aqas``)."""
    return value if isinstance(value, ScaleRecipe) else ScaleRecipe(value)


def group_totals(per_row: np.ndarray, groups) -> np.ndarray:
    """Sum of ``per_row`` (..., R) over each scale group, broadcast back to its rows (..., R); groups
    as :func:`hwgen.workload.operands.quantize_rows` takes them (None, ``"row"`` or row starts)."""
    if isinstance(groups, str):
        if groups != ROW:
            raise ValueError(f"scale groups must be None, {ROW!r} or row starts, not {groups!r}")
        return per_row
    if groups is None:
        return np.full(per_row.shape, per_row.sum())
    starts = np.asarray(groups, dtype=np.int64)
    return np.repeat(np.add.reduceat(per_row, starts[:-1]), np.diff(starts))


def max_scale(x: np.ndarray, fmt, groups, ratio=1.0) -> np.ndarray:
    """One scale per row (..., R): ``ratio * max|x|`` of the row's group over the format's largest value
    (1 for an all-zero group)."""
    return scale_for(np.asarray(ratio) * group_absmax(x, groups), fmt.max)


def quantization_error(x: np.ndarray, fmt, scale: np.ndarray) -> np.ndarray:
    """Squared error of each row, ``sum_k (Q(x) - x)^2`` (..., R), at the given per-row scales."""
    return ((quantize_scaled(x, fmt, scale).values() - x) ** 2).sum(axis=-1)


def clipped_scale(x: np.ndarray, fmt, groups, ratios=CLIP_RATIOS) -> np.ndarray:
    """The ``mse`` recipe: per row (..., R), the scale ``r * max|x| / max`` of its group with the ratio
    ``r`` of *ratios* that minimises the group's squared quantization error (first of *ratios* on a tie)."""
    if isinstance(fmt, BlockFormat):
        raise ValueError(f"the mse clip search does not apply to the block format {fmt.name}")
    x = np.asarray(x, dtype=np.float64)
    errors = np.stack([group_totals(quantization_error(x, fmt, max_scale(x, fmt, groups, r)), groups)
                       for r in ratios])
    best = np.asarray(ratios, dtype=np.float64)[np.argmin(errors, axis=0)]
    return max_scale(x, fmt, groups, best)


def migration(x_absmax: np.ndarray, w_absmax: np.ndarray, alpha: float) -> np.ndarray:
    """SmoothQuant's per-input-channel migration ``max|X_j|^alpha / max|W_j|^(1 - alpha)``; 1 where a
    channel is all zero on either side, kept within [1 / MIGRATION_LIMIT, MIGRATION_LIMIT]."""
    usable = (x_absmax > 0) & (w_absmax > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        s = np.where(usable, x_absmax ** alpha / w_absmax ** (1.0 - alpha), 1.0)
    return np.clip(s, 1.0 / MIGRATION_LIMIT, MIGRATION_LIMIT)


def quantized_weights(w: np.ndarray, fmt, ratio: float = 1.0):
    """Weights quantized per output channel (rows) at ``ratio * max`` (block formats: their own rule)."""
    if isinstance(fmt, BlockFormat):
        return quantize_rows(w, fmt, ROW)
    return quantize_scaled(w, fmt, max_scale(w, fmt, ROW, ratio))


@dataclass(frozen=True)
class AqasChoice:
    """The aqas search's answer for one layer: the migration strength, one weight clip ratio per output
    channel, the objective there and what the search saw on the way."""

    alpha: float
    clips: np.ndarray  # per output channel (row of W)
    error: float  # || Q(X / s) Q(W s)^T - X W^T ||_F^2 at the choice
    reference: float  # || X W^T ||_F^2, to read the error as a relative one
    alpha_errors: dict  # alpha -> the objective at clip 1 (the first step of the search)


def aqas_search(x: np.ndarray, starts, w: np.ndarray, w_fmt, x_fmt, alphas=ALPHA_GRID,
                clips=AQAS_CLIP_RATIOS) -> AqasChoice:
    """Choose alpha and the per-channel clips for one linear layer ``y = x @ w.T``: calibration
    activations *x* (N, K) with sentence *starts* (the activation scale groups), weights *w* (M, K).

    First alpha, every weight row at clip 1; then, at that alpha, each row's clip: the objective is a
    sum over output channels, ``sum_m || Q(X / s) Q(w_m s) - X w_m ||^2``, and row m's term depends on
    row m's clip only, so each row takes the clip of *clips* with the smallest term of its own. Ties
    keep the earlier grid point (smaller alpha, larger clip). Block weight formats keep clip 1."""
    x = np.asarray(x, dtype=np.float64)
    w = np.asarray(w, dtype=np.float64)
    reference = x @ w.T
    x_absmax, w_absmax = np.abs(x).max(axis=0), np.abs(w).max(axis=0)
    clips = (1.0,) if isinstance(w_fmt, BlockFormat) else tuple(clips)

    def quantized_inputs(alpha):
        xq = quantize_rows(x / migration(x_absmax, w_absmax, alpha), x_fmt, starts).values()
        return xq.astype(np.float32)

    def channel_errors(alpha, clip, xq):
        wq = quantized_weights(w * migration(x_absmax, w_absmax, alpha), w_fmt, clip).values()
        return ((xq @ wq.astype(np.float32).T - reference) ** 2).sum(axis=0)

    alpha_errors = {a: float(channel_errors(a, 1.0, quantized_inputs(a)).sum()) for a in alphas}
    alpha = min(alphas, key=alpha_errors.get)  # min keeps the first of equals
    xq = quantized_inputs(alpha)
    per_clip = np.stack([channel_errors(alpha, clip, xq) for clip in clips])  # (clips, M)
    best = np.argmin(per_clip, axis=0)
    error = float(per_clip[best, np.arange(per_clip.shape[1])].sum())
    return AqasChoice(alpha, np.asarray(clips)[best], error, float((reference ** 2).sum()), alpha_errors)
