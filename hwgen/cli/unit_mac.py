"""`hwgen generate mac` and `hwgen verify mac`."""


from hwgen.cli._output import accumulator_text, add_generate_outputs, generate_from_args
from hwgen.cli._verify_options import add_verify_options, verify_spec
from hwgen.formats import DEFAULT_TERMS, MULTIPLY_MODES
from hwgen.formats._check import check_int
from hwgen.specs import MacSpec
from hwgen.specs.mac import (
    ACC_ADDERS,
    ACC_IDLES,
    ACC_STAGES,
    DECODES,
    DSP_MAPPINGS,
    INTEGER_DECODE_BITS,
    MAX_PIPELINE,
    PRODUCT_LOGICS,
)

ABOUT = ("A multiply-accumulate (MAC) unit: each clock it multiplies two scalar operands and adds the "
         "product to a fixed-point or float accumulator; an item marked last ends a dot product and outputs "
         "its sum.")


def add_options(parser) -> None:
    """The MAC's design options (shared by `hwgen generate mac`, `verify mac` and `synth mac`)."""
    parser.add_argument("--a", required=True, metavar="FMT",
                        help="operand A format, e.g. fp8_e4m3, int8, dint4")
    parser.add_argument("--b", required=True, metavar="FMT", help="operand B format")
    acc, pipeline, mul, dsp, stages, adder, decode, idle, logic = (MacSpec.default(name) for name in (
        "acc", "pipeline", "mul", "dsp", "acc_stages", "acc_adder", "decode", "acc_idle", "product_logic"))
    parser.add_argument("--acc", default=acc, metavar="SPEC",
                        help="accumulator: fixed (exact, sized by --terms), fixed:W (wraps), or a float "
                             f"format such as fp32, bf16, fp16 (default: {acc})")
    parser.add_argument("--terms", type=int, metavar="K", help="dot-product length a fixed accumulator is "
                        f"sized for (default: {DEFAULT_TERMS})")
    parser.add_argument("--pipeline", type=int, default=pipeline, metavar="N",
                        help=f"register stages 1..{MAX_PIPELINE}; latency = N cycles (default: {pipeline})")
    parser.add_argument("--mul", choices=MULTIPLY_MODES, default=mul,
                        help=f"multiplier: exact, or lmul (L-Mul approximate, minifloats) (default: {mul})")
    parser.add_argument("--dsp", choices=DSP_MAPPINGS, default=dsp,
                        help="DSP mapping: inferred (portable Verilog, synthesis decides), or sb_mac16 (two "
                             "iCE40 UltraPlus SB_MAC16 blocks instantiated: multiplier, product register and "
                             "accumulator in the DSPs at every depth; integer operands of up to 8 bits (or "
                             "fp6_e2m3 / fp4_e2m1 with --decode integer), "
                             f"pipeline >= 2; synthesizes for ice40 only) (default: {dsp})")
    parser.add_argument("--acc-stages", type=int, choices=ACC_STAGES, default=stages,
                        help="register stages of a fixed accumulator: 1, or 2 (its addition split in two "
                             "halves with a register between, for a wide accumulator whose carry chain is "
                             "the critical path), or with --acc-adder carry_save 2 to 4 (the carry-save "
                             "loop, then its sum in 1 to 3 pieces); each one of the --pipeline stages "
                             f"(default: {stages})")
    parser.add_argument("--acc-adder", choices=ACC_ADDERS, default=adder,
                        help="a fixed accumulator's adder: inferred (synthesis maps it); ccu2c (a chain "
                             "of ECP5 CCU2C carry cells instantiated, the restart after last inside their "
                             "LUTs; synthesizes for ecp5 only); or carry_save (with --acc-stages 2 to 4: the "
                             "sum kept as two vectors, no carry chain in the loop, added up in the other "
                             f"stages) (default: {adder})")
    parser.add_argument("--decode", choices=DECODES, default=decode,
                        help="how a minifloat operand enters the product: split (sign, significand and "
                             "exponent; the product aligned by the exponent sum: small in LUTs), or integer "
                             "(decoded to its signed value in lsb units, one signed multiply and no aligner: "
                             "maps onto a DSP multiplier; minifloats without NaN / inf of at most "
                             f"{INTEGER_DECODE_BITS} two's complement bits, e.g. fp6_e2m3, fp6_e3m2, "
                             f"fp4_e2m1; exact multiplier, fixed accumulator) (default: {decode})")
    parser.add_argument("--acc-idle", choices=ACC_IDLES, default=idle,
                        help="what a fixed accumulator does in a cycle that adds no item (idle input or "
                             "stall): hold (its flip-flops' clock enable: free on FPGAs), or add_zero (no "
                             "enable, the term gated to 0: for targets whose flip-flops have no enable, "
                             "smaller on gates and on asic for the wider accumulators, which an asic --fmax "
                             "search measures both ways; one accumulator stage, inferred adder, no DSP "
                             f"mapping) (default: {idle})")
    parser.add_argument("--product-logic", choices=PRODUCT_LOGICS, default=logic,
                        help="how an exact split product is built: lut6 (shaped for six-input LUTs: fp4 x "
                             "fp4 a table of |a*b|, 4 x 4 significands such as fp8_e4m3fn's two table rows), "
                             "or cells (synthesis's multiplier and the aligner: fewer two-input gates and "
                             "standard cells; for those products only; asic and ecp5 --fmax searches "
                             "measure both) "
                             f"(default: {logic})")


def spec_from_args(args) -> MacSpec:
    return MacSpec(args.a, args.b, args.acc, args.terms, args.pipeline, args.mul, args.dsp, args.acc_stages,
                   args.acc_adder, args.decode, args.acc_idle, args.product_logic)


def run_generate(args) -> int:
    return generate_from_args(args, spec_from_args(args), lambda name, unit: (
        f"{name}: {unit.a.name} x {unit.b.name}, accumulator {accumulator_text(unit.accumulator)}, "
        f"latency {unit.latency}, II {unit.ii}"))


def run_verify(args) -> int:
    spec = spec_from_args(args)
    max_terms = check_int(args.max_terms, "--max-terms", 1, 4096)
    return verify_spec(args, spec, describe=lambda vectors: f"{len(vectors.last)} items", max_terms=max_terms)


def register_generate(units) -> None:
    mac = units.add_parser("mac", help="a pipelined multiply-accumulate unit",
                           description=f"{ABOUT} Generate it as Verilog plus a JSON manifest (valid/ready "
                                       "streams, II = 1).")
    add_options(mac)
    add_generate_outputs(mac, run_generate)


def register_verify(units) -> None:
    mac = units.add_parser("mac", help="a MAC unit (same design options as `hwgen generate mac`)",
                           description=f"{ABOUT} Simulate it and check every sum against the golden model.")
    add_options(mac)
    add_verify_options(mac, exhaustive="every operand code pair, each as a one-term dot product")
    mac.add_argument("--max-terms", type=int, default=64, metavar="K",
                     help="longest random dot product (default: 64)")
    mac.set_defaults(func=run_verify)
