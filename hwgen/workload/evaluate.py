"""``accuracy()``: one quantized MiniLM run over the sentence set, scored against the float model."""

import time
from dataclasses import dataclass
from functools import cache

import numpy as np

from hwgen.workload.metrics import Ranking, cosines, ranking
from hwgen.workload.model import FloatArithmetic, MiniLM
from hwgen.workload.nonlin import fits_tables, resolve_nonlin
from hwgen.workload.package import check_installed, tokenize
from hwgen.workload.quantized import QuantizedArithmetic
from hwgen.workload.sentences import SentenceSet, load_sentences


@dataclass(frozen=True)
class AccuracyResult:
    """Scores of one quantized configuration against the float64 NumPy model on the same sentences."""

    weights: str
    acts: str
    acc: str
    nonlin: str
    sentences: int
    tokens: int
    cosines: np.ndarray  # per sentence, quantized vs float64 embedding
    ranking: Ranking
    seconds: float
    sum_bits: dict  # widest exact dot product, two's complement bits: {"linear": ..., "attention": ...}
    scales: str = "max"  # the scale recipe's name (hwgen.workload.scales.ScaleRecipe.name)

    @property
    def mean_cosine(self) -> float:
        return float(self.cosines.mean())

    @property
    def min_cosine(self) -> float:
        return float(self.cosines.min())

    def summary(self) -> dict:
        """Plain numbers and strings (for JSON, result tables and the cost model)."""
        return {"weights": self.weights, "acts": self.acts, "acc": self.acc, "nonlin": self.nonlin,
                "scales": self.scales,
                "sentences": self.sentences, "tokens": self.tokens, "mean_cosine": self.mean_cosine,
                "min_cosine": self.min_cosine, "ranking_kept": self.ranking.fraction,
                "ranking_orderings": self.ranking.total, "linear_sum_bits": self.sum_bits["linear"],
                "attention_sum_bits": self.sum_bits["attention"], "seconds": self.seconds}


def sentence_set(limit: int | None = None) -> SentenceSet:
    """The shipped sentence set, or its first ``limit`` sentences."""
    sentences = load_sentences()
    if limit is None:
        return sentences
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= len(sentences):
        raise ValueError(f"limit must be a whole number between 1 and {len(sentences)}, not {limit!r}")
    return sentences.head(limit)


@cache
def _token_ids(limit: int | None) -> tuple:
    return tuple(tuple(ids) for ids in tokenize(sentence_set(limit).sentences))


@cache
def float_reference(limit: int | None = None) -> np.ndarray:
    """The float64 NumPy embeddings (exact nonlinearities) of the sentence set: the score's reference."""
    embeddings = MiniLM.load().forward([list(ids) for ids in _token_ids(limit)], FloatArithmetic(np.float64))
    embeddings.setflags(write=False)
    return embeddings


def accuracy(weights, acts, acc: str = "fixed", nonlin="exact", limit: int | None = None,
             progress=None, scales="max") -> AccuracyResult:
    """Run all-MiniLM-L6-v2 with every matrix product quantized and score it.

    Parameters
    ----------
    weights, acts:
        Weight and activation formats (names such as ``int8``, ``fp8_e4m3fn``, ``dint4``, ``mxfp4``).
    acc:
        Accumulator: ``fixed`` (exact) or ``fixed:W`` (W-bit, wrapping; scalar formats only).
    nonlin:
        ``"exact"``, ``"nnlut:N"`` (hwgen's NN-LUT units, N entries) or a
        :class:`~hwgen.workload.nonlin.Nonlinearities`.
    limit:
        Use only the first ``limit`` sentences (default: all).
    scales:
        The scale recipe: ``max`` (default), ``mse``, ``aqas`` or a
        :class:`~hwgen.workload.scales.ScaleRecipe` (SmoothQuant alpha, per-token activation scales).
    progress:
        Called with a short message after each encoder layer.
    """
    arithmetic = QuantizedArithmetic(weights, acts, acc, scales)  # bad input fails before any loading
    sentences = sentence_set(limit)
    check_installed()
    if progress and fits_tables(nonlin):
        progress(f"fitting the {nonlin} tables")
    nonlinearities = resolve_nonlin(nonlin)
    if progress and arithmetic.recipe.calibrated:
        progress(f"calibrating the {arithmetic.recipe.name} scales on the calibration sentences")
    ids = [list(ids) for ids in _token_ids(limit)]
    if progress:
        progress(f"float64 reference on {len(ids)} sentences")
    reference = float_reference(limit)
    start = time.perf_counter()
    embeddings = MiniLM.load().forward(ids, arithmetic, nonlinearities, progress)
    seconds = time.perf_counter() - start
    return AccuracyResult(arithmetic.weights.name, arithmetic.acts.name, acc, nonlinearities.name,
                          len(ids), sum(len(i) for i in ids), cosines(reference, embeddings),
                          ranking(reference, embeddings, sentences.pairs), seconds, dict(arithmetic.sum_bits),
                          arithmetic.recipe.name)
