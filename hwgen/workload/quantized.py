"""Quantized matrix products for the MiniLM forward pass, through the golden MAC arithmetic."""

from collections import OrderedDict

import numpy as np

from hwgen.formats import BlockFormat, accumulator
from hwgen.workload.model import Linear
from hwgen.workload.operands import (
    ROW,
    QuantizedRows,
    check_operand_format,
    exact_sums,
    matmul,
    quantize_rows,
)

WEIGHT_CACHE_LAYERS = 72  # two formats' worth of MiniLM's 36 linear layers
# (format name, layer name, id of the weight array) -> (the weight array, kept alive so its id stays
# unique, and its QuantizedRows)
_weight_cache = OrderedDict()


def _quantized_weight(fmt, layer: Linear) -> QuantizedRows:
    """Per-output-channel quantized weights, kept for the next runs with the same weight format."""
    key = (fmt.name, layer.name, id(layer.weight))
    if key not in _weight_cache:
        _weight_cache[key] = (layer.weight, quantize_rows(layer.weight.astype(np.float64), fmt, ROW))
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
    """

    dtype = np.dtype(np.float64)

    def __init__(self, weights, acts, acc: str = "fixed"):
        self.weights = check_operand_format(weights)
        self.acts = check_operand_format(acts)
        self.acc = acc
        # The widest exact dot product so far (two's complement bits): linear layers (activations x
        # weights) and attention (activations x activations). An accumulator this wide never wraps here.
        self.sum_bits = {"linear": 0, "attention": 0}
        for a, b in ((self.acts, self.weights), (self.acts, self.acts)):
            self._width(a, b, 1)  # validate the spec for both operand pairs now, not mid-run

    @property
    def name(self) -> str:
        return f"W {self.weights.name} / A {self.acts.name} / acc {self.acc}"

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

    def linear(self, x: np.ndarray, layer: Linear, starts: np.ndarray) -> np.ndarray:
        activations = quantize_rows(x, self.acts, starts)
        weights = _quantized_weight(self.weights, layer)
        return self._product(activations, weights, "linear") + layer.bias.astype(np.float64)

    def scores(self, q: np.ndarray, k: np.ndarray) -> np.ndarray:
        return self._product(quantize_rows(q, self.acts), quantize_rows(k, self.acts), "attention")

    def context(self, p: np.ndarray, v: np.ndarray) -> np.ndarray:
        v_rows = quantize_rows(np.swapaxes(v, -1, -2), self.acts)
        return self._product(quantize_rows(p, self.acts), v_rows, "attention")
