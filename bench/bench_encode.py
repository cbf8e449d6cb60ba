"""Encode throughput of hwgen's golden model against ml_dtypes ``astype`` on the same inputs.

Run: ``.venv/bin/python bench/bench_encode.py [--size N]``. Goal: ratio >= 0.5.
"""

import argparse

import ml_dtypes
import numpy as np
from _timing import best_seconds

from hwgen.golden import encode

CASES = [("fp8_e4m3fn", ml_dtypes.float8_e4m3fn), ("fp4_e2m1", ml_dtypes.float4_e2m1fn),
         ("fp8_e5m2", ml_dtypes.float8_e5m2)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=2_000_000, help="values per call")
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    print(f"{'format':<12} {'input':<8} {'hwgen M/s':>10} {'ml_dtypes M/s':>14} {'ratio':>6}")
    for name, dtype in CASES:
        for input_dtype in (np.float32, np.float64):
            x = (rng.standard_normal(args.size) * 4).astype(input_dtype)
            ours = best_seconds(lambda x=x, name=name: encode(name, x))
            theirs = best_seconds(lambda x=x, dtype=dtype: x.astype(dtype))
            print(f"{name:<12} {np.dtype(input_dtype).name:<8} {args.size / ours / 1e6:>10.1f} "
                  f"{args.size / theirs / 1e6:>14.1f} {theirs / ours:>6.2f}")


if __name__ == "__main__":
    main()
