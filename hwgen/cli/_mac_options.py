"""The MAC design options shared by `hwgen generate mac` and `hwgen verify mac`."""

from hwgen.formats import MULTIPLY_MODES
from hwgen.gen.mac import DEFAULT_PIPELINE
from hwgen.gen.mac_design import MacDesign


def add_mac_options(parser) -> None:
    parser.add_argument("--a", required=True, metavar="FMT",
                        help="operand A format, e.g. fp8_e4m3, int8, dint4")
    parser.add_argument("--b", required=True, metavar="FMT", help="operand B format")
    parser.add_argument("--acc", default="fixed", metavar="SPEC",
                        help="accumulator: fixed (exact, sized by --terms), fixed:W (wraps), or a float "
                             "format such as fp32, bf16, fp16 (default: fixed)")
    parser.add_argument("--terms", type=int, metavar="K", help="dot-product length a fixed accumulator is "
                        "sized for (default 64)")
    parser.add_argument("--pipeline", type=int, default=DEFAULT_PIPELINE, metavar="N",
                        help=f"register stages, >= 1; latency = N cycles (default {DEFAULT_PIPELINE})")
    parser.add_argument("--mul", choices=MULTIPLY_MODES, default="exact",
                        help="multiplier: exact, or lmul (L-Mul approximate, minifloats)")


def mac_design(args) -> MacDesign:
    return MacDesign(args.a, args.b, args.acc, args.terms, args.pipeline, args.mul)
