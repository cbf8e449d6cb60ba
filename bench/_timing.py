"""Timing helper for the benchmarks: best of several runs (least disturbed by the other core)."""

import time


def best_seconds(function, repeats: int = 5) -> float:
    function()  # warm caches and lazily built tables
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        best = min(best, time.perf_counter() - start)
    return best
