"""Quantized matrix products for the MiniLM forward pass, through the golden MAC arithmetic."""

from collections import OrderedDict
from dataclasses import dataclass

import numpy as np

from hwgen.formats import BlockFormat, accumulator
from hwgen.workload import scales
from hwgen.workload.model import Linear
from hwgen.workload.operands import (
    ROW,
    QuantizedRows,
    check_operand_format,
    exact_sums,
    matmul,
    quantize_rows,
    quantize_scaled,
)

WEIGHT_CACHE_LAYERS = 72  # two formats' worth of MiniLM's 36 linear layers
# (weight format, activation format or None, recipe name, layer name, id of the weight array) -> (the
# weight array, kept alive so its id stays unique, and the layer's LayerPlan)
_weight_cache = OrderedDict()


@dataclass(frozen=True)
class LayerPlan:
    """One linear layer under a scale recipe: its quantized weights, the migration its inputs are
    divided by (None: none), and the aqas search's answer when there was one."""

    weights: QuantizedRows
    migration: np.ndarray | None = None
    aqas: scales.AqasChoice | None = None


def _plan(weights_fmt, acts_fmt, recipe: scales.ScaleRecipe, layer: Linear) -> LayerPlan:
    w = layer.weight.astype(np.float64)
    if not recipe.calibrated:
        if recipe.scales == "mse":
            return LayerPlan(quantize_scaled(w, weights_fmt, scales.clipped_scale(w, weights_fmt, ROW)))
        return LayerPlan(quantize_rows(w, weights_fmt, ROW))
    from hwgen.workload.calibrate import calibration_inputs

    x, starts = calibration_inputs()[layer.name]
    if recipe.scales == "aqas":
        choice = scales.aqas_search(x, starts, w, weights_fmt, acts_fmt)
        s = scales.migration(np.abs(x).max(axis=0), np.abs(w).max(axis=0), choice.alpha)
        return LayerPlan(scales.quantized_weights(w * s, weights_fmt, choice.clips), s, choice)
    s = scales.migration(np.abs(x).max(axis=0), np.abs(w).max(axis=0), recipe.smooth)
    smoothed = w * s
    if recipe.scales == "mse":
        return LayerPlan(quantize_scaled(smoothed, weights_fmt,
                                         scales.clipped_scale(smoothed, weights_fmt, ROW)), s)
    return LayerPlan(quantize_rows(smoothed, weights_fmt, ROW), s)


def _layer_plan(weights_fmt, acts_fmt, recipe: scales.ScaleRecipe, layer: Linear) -> LayerPlan:
    """The layer's plan, kept for the next runs with the same formats and recipe."""
    key = (weights_fmt.name, acts_fmt.name if recipe.scales == "aqas" else None, recipe.name, layer.name,
           id(layer.weight))
    if key not in _weight_cache:
        _weight_cache[key] = (layer.weight, _plan(weights_fmt, acts_fmt, recipe, layer))
        while len(_weight_cache) > WEIGHT_CACHE_LAYERS:
            _weight_cache.popitem(last=False)
    _weight_cache.move_to_end(key)
    return _weight_cache[key][1]


def clear_weight_cache() -> None:
    """Forget the quantized weights kept between runs (benchmarks time a cold start with it)."""
    _weight_cache.clear()


def _element(fmt):
    return fmt.element if isinstance(fmt, BlockFormat) else fmt


class QuantizedArithmetic:
    """Every matrix product of the model with quantized operands and an exact accumulator.

    Linear layers (Q, K, V, attention output, both FFN layers): activations x weights, weights with
    one scale per output channel, activations with one scale per tensor (per sentence). The attention
    products QK^T and PV: activations x activations, one scale per tensor (per sentence, all heads).
    Block formats are blocked along the reduction axis and scaled by their block scales instead.
    Products and sums are those of ``hwgen.golden.mac.mac`` with the ``acc`` accumulator; everything
    else (scales, bias, softmax, LayerNorm, GELU) runs in float64.

    Parameters
    ----------
    weights, acts:
        Format names (or format objects): scalar formats of at most 16 bits, or block formats.
    acc:
        ``"fixed"`` (sized for each product's reduction length: exact) or ``"fixed:W"`` (W-bit two's
        complement, wrapping; scalar formats only). Float accumulators are not supported here.
    recipe:
        How scales are chosen (:class:`~hwgen.workload.scales.ScaleRecipe` or ``max`` / ``mse`` /
        ``aqas``; default ``max``, the description above). ``mse`` searches a clip ratio per scale
        group; ``aqas`` and ``smooth`` divide each linear layer's input by a per-channel migration and
        multiply its weights by it; ``act_groups="token"`` gives each token of a linear layer's input
        its own scale.
    """

    dtype = np.dtype(np.float64)

    def __init__(self, weights, acts, acc: str = "fixed", recipe="max"):
        self.weights = check_operand_format(weights)
        self.acts = check_operand_format(acts)
        self.acc = acc
        self.recipe = scales.recipe_of(recipe)
        self.recipe.check_formats(self.weights, self.acts)
        # The widest exact dot product so far (two's complement bits): linear layers (activations x
        # weights) and attention (activations x activations). An accumulator this wide never wraps here.
        self.sum_bits = {"linear": 0, "attention": 0}
        for a, b in ((self.acts, self.weights), (self.acts, self.acts)):
            self._width(a, b, 1)  # validate the spec for both operand pairs now, not mid-run

    @property
    def name(self) -> str:
        return f"W {self.weights.name} / A {self.acts.name} / acc {self.acc} / scales {self.recipe.name}"

    def _width(self, a, b, terms: int) -> int | None:
        """The wrap width of the accumulator for a x b over ``terms`` products (None: never wraps)."""
        spec = accumulator(self.acc, _element(a), _element(b), terms=terms)
        if spec.kind != "fixed":
            raise ValueError(
                f"accuracy runs take fixed accumulators ('fixed' or 'fixed:W'), not {self.acc!r}: a float "
                f"accumulator rounds after every product, one step per term, too slow for a transformer"
            )
        if self.acc == "fixed":
            return None  # sized for the reduction length: the exact sum never wraps
        if isinstance(a, BlockFormat) or isinstance(b, BlockFormat):
            raise ValueError(
                f"block formats accumulate exactly across blocks: use --acc fixed, not {self.acc!r}")
        return spec.width

    def _product(self, a: QuantizedRows, b: QuantizedRows, kind: str) -> np.ndarray:
        sums = exact_sums(a, b)
        self.sum_bits[kind] = max(self.sum_bits[kind], sums.signed_bits())
        return matmul(a, b, self._width(a.format, b.format, a.units.shape[-1]), sums)

    def _activations(self, x: np.ndarray, groups) -> QuantizedRows:
        if self.recipe.scales == "mse":
            return quantize_scaled(x, self.acts, scales.clipped_scale(x, self.acts, groups,
                                                                      scales.ACT_CLIP_RATIOS))
        return quantize_rows(x, self.acts, groups)

    def plan(self, layer: Linear) -> LayerPlan:
        """How *layer* is quantized under this recipe (computed once, then kept)."""
        return _layer_plan(self.weights, self.acts, self.recipe, layer)

    def linear(self, x: np.ndarray, layer: Linear, starts: np.ndarray) -> np.ndarray:
        plan = self.plan(layer)
        if plan.migration is not None:
            x = x / plan.migration
        activations = self._activations(x, starts if self.recipe.act_groups == "tensor" else ROW)
        return self._product(activations, plan.weights, "linear") + layer.bias.astype(np.float64)

    def scores(self, q: np.ndarray, k: np.ndarray) -> np.ndarray:
        return self._product(self._activations(q, None), self._activations(k, None), "attention")

    def context(self, p: np.ndarray, v: np.ndarray) -> np.ndarray:
        v_rows = self._activations(np.swapaxes(v, -1, -2), None)
        return self._product(self._activations(p, None), v_rows, "attention")
