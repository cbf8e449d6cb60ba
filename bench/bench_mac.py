"""MAC golden-model throughput (multiply-accumulates per second) for 8-bit formats.

Run: ``.venv/bin/python bench/bench_mac.py [--items N] [--length L]``. Goal: >= 10 M MAC/s for
fixed accumulators. The baseline, measured in the same run, is a plain NumPy float64 multiply and
``np.add.reduceat`` over the same segments (not bit-exact; it shows the cost of exactness).
"""

import argparse

import numpy as np
from _timing import best_seconds

from hwgen.formats import get_format
from hwgen.golden import decode, mac

CASES = [("int8", "int8", "fixed"), ("fp8_e4m3fn", "fp8_e4m3fn", "fixed"), ("fp8_e5m2", "fp8_e5m2", "fixed"),
         ("fp4_e2m1", "fp4_e2m1", "fixed"), ("dint4", "int8", "fixed"), ("fp8_e4m3fn", "fp8_e4m3fn", "fp32"),
         ("fp8_e5m2", "fp8_e5m2", "bf16")]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=2_000_000, help="multiply-accumulates per call")
    parser.add_argument("--length", type=int, default=64, help="dot-product length")
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    last = np.zeros(args.items, dtype=bool)
    last[args.length - 1::args.length] = True
    last[-1] = True
    starts = np.concatenate(([0], np.flatnonzero(last)[:-1] + 1))
    print(f"{'a':<11} {'b':<11} {'acc':<6} {'hwgen M MAC/s':>14} {'float64 M MAC/s':>16} {'ratio':>6}")
    for a_name, b_name, acc in CASES:
        a, b = get_format(a_name), get_format(b_name)
        a_codes = rng.integers(0, 1 << a.bits, args.items)
        b_codes = rng.integers(0, 1 << b.bits, args.items)
        if acc != "fixed":  # keep float accumulations finite so the loop does real work
            a_codes = a_codes[np.isfinite(decode(a, a_codes))][: args.items // 8]
            b_codes = b_codes[np.isfinite(decode(b, b_codes))][: len(a_codes)]
            a_codes = a_codes[: len(b_codes)]
        n = len(a_codes)
        flags = last[:n].copy()
        flags[-1] = True
        ours = best_seconds(lambda a_codes=a_codes, b_codes=b_codes, flags=flags, a=a, b=b, acc=acc:
                            mac(a_codes, b_codes, flags, a, b, acc), repeats=3)
        av, bv = decode(a, a_codes), decode(b, b_codes)
        seg = starts[starts < n]
        with np.errstate(invalid="ignore", over="ignore"):
            baseline = best_seconds(lambda av=av, bv=bv, seg=seg: np.add.reduceat(av * bv, seg), repeats=3)
        print(f"{a_name:<11} {b_name:<11} {acc:<6} {n / ours / 1e6:>14.1f} {n / baseline / 1e6:>16.1f} "
              f"{baseline / ours:>6.3f}")


if __name__ == "__main__":
    main()
