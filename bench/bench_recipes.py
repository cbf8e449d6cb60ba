"""W4A8 MiniLM accuracy per weight format and scale recipe: the table of docs/minilm.md, "Scale recipes",
and its cold-run time.

Run: ``.venv/bin/python bench/bench_recipes.py [--weights int4 dint4 ...] [--acts int8] [--recipes max mse
aqas] [--limit N] [--json FILE]``

Every (weights, recipe) point is one ``hwgen.workload.accuracy`` run over the 64 evaluation sentences,
in one process, cold: the quantized-weight cache is cleared before each point (calibration activations,
the float reference and the model load are computed once and shared, as `hwgen accuracy` would in one
process). The baseline measured in the same run is ``max`` scaling per weight format: each row prints
its recipe's mean cosine next to max's, and its run time over max's.
"""

import argparse
import json
import sys
import time

from hwgen.cli import run_reporting_errors
from hwgen.cost_models.recipes_section import W4_FORMATS
from hwgen.formats import scalar_format
from hwgen.workload import accuracy
from hwgen.workload.evaluate import sentence_set
from hwgen.workload.quantized import clear_weight_cache
from hwgen.workload.scales import RECIPES, ScaleRecipe


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--weights", nargs="+", default=list(W4_FORMATS))
    parser.add_argument("--acts", default="int8")
    parser.add_argument("--recipes", nargs="+", default=list(RECIPES), choices=RECIPES)
    parser.add_argument("--limit", type=int, help="first N sentences only (default: all 64)")
    parser.add_argument("--json", metavar="FILE", help="also write every row as JSON")
    args = parser.parse_args()
    # Bad input is one line before any MiniLM run, not one line per point and an empty table.
    sentence_set(args.limit)
    for name in (*args.weights, args.acts):
        scalar_format(name)

    started = time.perf_counter()
    rows = []
    for weights in args.weights:
        baseline = None
        for recipe in args.recipes:
            clear_weight_cache()
            began = time.perf_counter()
            try:
                result = accuracy(weights, args.acts, limit=args.limit, scales=ScaleRecipe(recipe))
            except ValueError as error:  # an unknown format in this checkout: a row, the run goes on
                print(f"{weights} {recipe}: {error}", file=sys.stderr)
                continue
            seconds = time.perf_counter() - began
            row = {"weights": weights, "acts": args.acts, "scales": recipe, "mean_cosine": result.mean_cosine,
                   "min_cosine": result.min_cosine, "ranking_kept": result.ranking.fraction,
                   "seconds": round(seconds, 2)}
            if recipe == "max":
                baseline = row
            rows.append(row)
            versus = "" if baseline is None or baseline is row else (
                f"  vs max: cosine {row['mean_cosine'] - baseline['mean_cosine']:+.5f}, "
                f"time x{seconds / max(baseline['seconds'], 1e-9):.1f}")
            print(f"{weights:10s} {recipe:5s} mean {row['mean_cosine']:.5f}  min {row['min_cosine']:.5f}  "
                  f"{seconds:6.1f} s{versus}", flush=True)
    total = time.perf_counter() - started
    print("\n| weights | " + " | ".join(f"{r} mean / min" for r in args.recipes) + " |")
    print("|---|" + "---|" * len(args.recipes))
    for weights in args.weights:
        cells = []
        for recipe in args.recipes:
            row = next((r for r in rows if r["weights"] == weights and r["scales"] == recipe), None)
            cells.append("-" if row is None else f"{row['mean_cosine']:.4f} / {row['min_cosine']:.4f}")
        print(f"| {weights} | " + " | ".join(cells) + " |")
    print(f"\ncold run of the table: {total:.1f} s ({len(rows)} points, activations {args.acts})")
    if args.json:
        with open(args.json, "w") as out:
            json.dump({"rows": rows, "seconds": round(total, 1)}, out, indent=1)


if __name__ == "__main__":
    sys.exit(run_reporting_errors("bench_recipes.py", main))
