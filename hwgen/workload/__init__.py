"""Real-workload accuracy: all-MiniLM-L6-v2 in NumPy through hwgen's golden arithmetic.

``accuracy(weights, acts, acc)`` runs the sentence set with every matrix product quantized (exact
golden MAC arithmetic) and scores it against the float model; see docs/minilm.md.
"""

from hwgen.workload.evaluate import AccuracyResult, accuracy, float_reference, sentence_set
from hwgen.workload.model import FloatArithmetic, MiniLM
from hwgen.workload.nonlin import EXACT, Nonlinearities, resolve_nonlin
from hwgen.workload.package import MissingPackageError
from hwgen.workload.quantized import QuantizedArithmetic

__all__ = ["EXACT", "AccuracyResult", "FloatArithmetic", "MiniLM", "MissingPackageError", "Nonlinearities",
           "QuantizedArithmetic", "accuracy", "float_reference", "resolve_nonlin", "sentence_set"]
