"""MiniLM workload speed: the whole sentence set through the model, float and quantized.

Run: ``.venv/bin/python bench/bench_minilm.py [--weights FMT] [--acts FMT] [--acc SPEC]``.
Goal: <= 2 minutes for one quantized format (every matrix product exact through the golden MAC
arithmetic), the float path in seconds. The baseline, measured in the same run, is the float64 NumPy
forward pass; "cold" includes quantizing the weights, "warm" reuses them (as repeated calls do).
"""

import argparse
import os
import time

import numpy as np
from _timing import best_seconds

from hwgen.workload import FloatArithmetic, MiniLM, QuantizedArithmetic, sentence_set
from hwgen.workload.package import tokenize
from hwgen.workload.quantized import clear_weight_cache


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--weights", default="int8", help="weight format (default int8)")
    parser.add_argument("--acts", default="int8", help="activation format (default int8)")
    parser.add_argument("--acc", default="fixed", help="accumulator (default fixed)")
    args = parser.parse_args()
    model = MiniLM.load()
    ids = tokenize(sentence_set().sentences)
    print(f"{len(ids)} sentences, {sum(map(len, ids))} tokens; load average {os.getloadavg()[0]:.1f}")
    float32 = best_seconds(lambda: model.forward(ids, FloatArithmetic(np.float32)), repeats=2)
    float64 = best_seconds(lambda: model.forward(ids, FloatArithmetic(np.float64)), repeats=2)
    clear_weight_cache()
    start = time.perf_counter()
    model.forward(ids, QuantizedArithmetic(args.weights, args.acts, args.acc))
    cold = time.perf_counter() - start
    start = time.perf_counter()
    model.forward(ids, QuantizedArithmetic(args.weights, args.acts, args.acc))
    warm = time.perf_counter() - start
    label = f"W {args.weights} / A {args.acts} / {args.acc}"
    print(f"{'path':<34} {'seconds':>8} {'x float64':>10}")
    print(f"{'float32':<34} {float32:>8.2f} {float32 / float64:>10.2f}")
    print(f"{'float64 (baseline)':<34} {float64:>8.2f} {1.0:>10.2f}")
    print(f"{label + ' cold':<34} {cold:>8.2f} {cold / float64:>10.2f}")
    print(f"{label + ' warm':<34} {warm:>8.2f} {warm / float64:>10.2f}")


if __name__ == "__main__":
    main()
