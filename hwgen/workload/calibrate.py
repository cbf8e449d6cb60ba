"""The float model's input to every linear layer on the calibration sentences: what the calibrated scale
recipes (aqas, SmoothQuant's migration; :mod:`hwgen.workload.scales`) read."""

from functools import cache

import numpy as np

from hwgen.workload.model import FloatArithmetic, MiniLM
from hwgen.workload.package import tokenize
from hwgen.workload.sentences import load_calibration


class _RecordingArithmetic(FloatArithmetic):
    """float64 products that keep each linear layer's input (rows: tokens) and the sentence starts."""

    def __init__(self):
        super().__init__(np.float64)
        self.inputs = {}

    def linear(self, x, layer, starts):
        self.inputs[layer.name] = (np.array(x, dtype=np.float64), np.array(starts))
        return super().linear(x, layer, starts)


@cache
def calibration_inputs() -> dict:
    """{linear layer name: (inputs (tokens, K), sentence starts)} of the float64 model on the calibration
    sentences (``calibration.tsv``, disjoint from the evaluation sentences)."""
    ids = [list(ids) for ids in tokenize(load_calibration().sentences)]
    recording = _RecordingArithmetic()
    MiniLM.load().forward(ids, recording)
    for x, _ in recording.inputs.values():
        x.setflags(write=False)
    return recording.inputs
