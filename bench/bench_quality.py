"""Accuracy metrics per format (hwgen.cost_models.quality): the table and what it costs per format.

Run: ``.venv/bin/python bench/bench_quality.py [--acc SPEC] [--mul exact|lmul] [--formats F ...]
[--minilm [--limit N] [--cache PATH]]``.
Goal: every non-MiniLM metric of one format in a few seconds at the default sample counts (2^16
SQNR samples per distribution, 2,000 dot products of 64 terms, 200 of 1024), so ``make demo`` can
score ~30 formats. The baseline, measured in the same run, is the exact (Python integer) dot products
of the unquantized inputs that every format shares; each format's time is a ratio against it.
Each format is a MAC fmt x fmt; a block format's MAC is its block dot product.
"""

import argparse
import math
import os
import sys
import time

from hwgen.cli import run_reporting_errors
from hwgen.cost_models import quality
from hwgen.formats import MULTIPLY_MODES

FORMATS = ["int8", "int4", "uint8", "dint4", "fp8_e4m3fn", "fp8_e5m2", "fp8_e4m3fnuz", "fp6_e3m2",
           "fp6_e2m3", "fp4_e2m1", "fp8_e3m4_finite", "fp8_e2m5_finite", "mxfp8_e4m3", "mxfp4", "mxint8",
           "nvfp4"]
COLUMNS = [  # (metric, header, format)
    ("sqnr_gaussian_db", "SQNR N dB", "{:.2f}"),
    ("sqnr_laplace_db", "SQNR L dB", "{:.2f}"),
    ("sqnr_student_t_db", "SQNR t3 dB", "{:.2f}"),
    ("dot64_rel_error", "d64 rel med", "{:.2e}"),
    ("dot64_rel_error_p95", "d64 rel p95", "{:.2e}"),
    ("dot1024_rel_error", "d1k rel med", "{:.2e}"),
    ("dot1024_rel_error_p95", "d1k rel p95", "{:.2e}"),
    ("dot64_acc_error", "d64 acc med", "{:.2e}"),
    ("dot64_acc_error_p95", "d64 acc p95", "{:.2e}"),
    ("dot1024_acc_error", "d1k acc med", "{:.2e}"),
    ("dot1024_acc_error_p95", "d1k acc p95", "{:.2e}"),
]
MINILM_COLUMNS = [("minilm_cosine", "MiniLM mean", "{:.5f}"), ("minilm_min_cosine", "MiniLM min", "{:.5f}")]


def _cell(template: str, value: float) -> str:
    return "inf" if math.isinf(value) else template.format(value)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--formats", nargs="+", default=FORMATS, metavar="FMT")
    parser.add_argument("--acc", default="fixed", help="accumulator (default fixed)")
    parser.add_argument("--mul", default="exact", choices=MULTIPLY_MODES, help="multiplier (default exact)")
    parser.add_argument("--minilm", action="store_true", help="add the MiniLM cosines (minutes per format)")
    parser.add_argument("--limit", type=int, help="MiniLM: only the first N sentences")
    parser.add_argument("--cache", default=str(quality.DEFAULT_MINILM_CACHE), help="MiniLM cache file")
    args = parser.parse_args()

    columns = COLUMNS + (MINILM_COLUMNS if args.minilm else [])
    metrics = [name for name, _, _ in columns]
    for name in args.formats:  # every refusal before the first minute of work
        quality.check_design(name, name, args.acc, args.mul, metrics)
    print(f"load average {os.getloadavg()[0]:.1f}; SQNR {quality.SAMPLES} samples, dot products "
          f"{quality.DOT_COUNTS[64]} x 64 and {quality.DOT_COUNTS[1024]} x 1024, acc {args.acc}, "
          f"mul {args.mul}")
    start = time.perf_counter()
    for length, count in quality.DOT_COUNTS.items():
        quality.real_dots(length, count)  # the shared exact reference: the baseline
    baseline = time.perf_counter() - start

    def progress(message: str) -> None:
        print(f"  {message}", file=sys.stderr, flush=True)

    rows = []
    for name in args.formats:
        start = time.perf_counter()
        values = quality.format_metrics(name, args.acc, args.mul, metrics, minilm_limit=args.limit,
                                        minilm_cache=args.cache, progress=progress if args.minilm else None)
        seconds = time.perf_counter() - start
        rows.append([name, *(_cell(fmt, values[metric]) for metric, _, fmt in columns),
                     f"{seconds:.2f}", f"{seconds / baseline:.1f}"])

    headers = ["format", *(header for _, header, _ in columns), "seconds", "x baseline"]
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]
    for row in [headers, *rows]:
        print("  ".join(cell.rjust(width) if i else cell.ljust(width)
                        for i, (cell, width) in enumerate(zip(row, widths, strict=True))))
    print(f"baseline (exact dot products of the unquantized inputs, shared by every format): "
          f"{baseline:.2f} s")


if __name__ == "__main__":
    sys.exit(run_reporting_errors("bench_quality.py", main))
