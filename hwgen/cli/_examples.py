"""Example command lines for every `hwgen` command's ``--help`` (its epilog).

One table for the whole tree so that every command has examples (tests/test_cli_help.py parses each
line with the real parser: an example that stops working fails a test, not a new user).
"""

EXAMPLES = {
    "hwgen": (
        "hwgen doctor --quick",
        "hwgen formats fp8_e4m3 --codes",
        "hwgen generate mac --a fp8_e4m3 --b fp8_e4m3 --out build/mac",
        "hwgen verify mac --a fp8_e4m3 --b int8 --sim icarus",
    ),
    "hwgen doctor": (
        "hwgen doctor",
        "hwgen doctor --quick --json",
    ),
    "hwgen formats": (
        "hwgen formats",
        "hwgen formats fp8_e4m3 int4 --codes",
    ),
    "hwgen quantize": (
        "hwgen quantize --format fp8_e4m3 0.1 -3.5 1000",
        "hwgen quantize --format fp8_e4m3 --saturate 1000 inf",
    ),
    "hwgen generate": (
        "hwgen generate mac --a fp8_e4m3 --b fp8_e4m3 --out build/mac",
        "hwgen generate nnlut --func gelu --entries 16 --in int8_f4 --out-format int8_f3 --out build/gelu",
    ),
    "hwgen generate mac": (
        "hwgen generate mac --a fp8_e4m3 --b fp8_e4m3 --out build/mac",
        "hwgen generate mac --a int8 --b int4 --acc fixed:24 --pipeline 2 --name mac_w4 --out build/mac",
    ),
    "hwgen generate mul": (
        "hwgen generate mul --a int8 --b int8 --out build/mul",
        "hwgen generate mul --a bf16 --b bf16 --result bf16 --out build/mul",
    ),
    "hwgen generate add": (
        "hwgen generate add --format int32 --out build/add",
        "hwgen generate add --format fp16 --out build/add",
    ),
    "hwgen generate systolic": (
        "hwgen generate systolic --a int8 --b int8 --pes 4 --out build/systolic",
        "hwgen generate systolic --a int4 --b int8 --pes 8 --simd 4 --depth 16 --out build/systolic",
    ),
    "hwgen generate nnlut": (
        "hwgen generate nnlut --func gelu --entries 16 --in int8_f4 --out-format int8_f3 --out build/gelu",
        "hwgen generate nnlut --func exp --entries 8 --in fp16 --out-format fp16 --pipeline 2 --out build/e",
    ),
    "hwgen generate lut": (
        "hwgen generate lut --func tanh --cell-bits 2 --in int8_f4 --out-format int8_f6 --out build/lut",
        "hwgen generate lut --func tanh --match-entries 8 --in fp8_e4m3 --out-format fp8_e4m3 --out build",
    ),
    "hwgen generate mxdot": (
        "hwgen generate mxdot --elem mxfp4 --out build/mxdot",
        "hwgen generate mxdot --elem fp4_e2m1 --scale fp8_e4m3 --acc fixed --out build/nvfp4",
    ),
    "hwgen verify": (
        "hwgen verify mac --a fp8_e4m3 --b int8 --sim icarus",
        "hwgen verify mxdot --elem mxfp4 --vectors 200 --sim both",
    ),
    "hwgen verify mac": (
        "hwgen verify mac --a fp8_e4m3 --b int8 --sim icarus",
        "hwgen verify mac --a dint4 --b int4 --exhaustive --sim both",
    ),
    "hwgen verify mul": (
        "hwgen verify mul --a bf16 --b bf16 --result bf16 --sim icarus",
        "hwgen verify mul --a fp8_e4m3 --b fp8_e4m3 --result fp16 --exhaustive",
    ),
    "hwgen verify add": (
        "hwgen verify add --format fp16 --vectors 10000 --sim icarus",
        "hwgen verify add --format fp8_e4m3 --exhaustive",
    ),
    "hwgen verify systolic": (
        "hwgen verify systolic --a int8 --b int8 --pes 4 --sim icarus",
        "hwgen verify systolic --a fp8_e4m3 --b fp8_e4m3 --acc fp32 --pes 2 --simd 2 --vectors 100",
    ),
    "hwgen verify nnlut": (
        "hwgen verify nnlut --func gelu --entries 16 --in int8_f4 --out-format int8_f3 --exhaustive",
        "hwgen verify nnlut --func exp --entries 8 --in fp16 --out-format fp16 --vectors 5000 --sim icarus",
    ),
    "hwgen verify lut": (
        "hwgen verify lut --func tanh --cell-bits 2 --in int8_f4 --out-format int8_f6 --exhaustive",
    ),
    "hwgen verify mxdot": (
        "hwgen verify mxdot --elem mxfp4 --vectors 200 --sim icarus",
        "hwgen verify mxdot --elem mxfp8_e4m3 --exhaustive --sim verilator",
    ),
    "hwgen accuracy": (
        "hwgen accuracy --weights int8 --acts int8",
        "hwgen accuracy --weights mxfp4 --acts fp8_e4m3fn --scales mse --limit 16 --json",
    ),
    "hwgen nnlut-report": (
        "hwgen nnlut-report",
        "hwgen nnlut-report --funcs gelu exp --entries 16 32 --plot nnlut.png",
    ),
    "hwgen synth": (
        "hwgen synth mac --a int8 --b int8 --target gates",
        "hwgen synth mac --a fp8_e4m3 --b fp8_e4m3 --target ice40 --pnr",
    ),
    "hwgen synth mac": (
        "hwgen synth mac --a int8 --b int8 --target gates",
        "hwgen synth mac --a fp8_e4m3 --b fp8_e4m3 --target ice40 --fmax 60",
    ),
    "hwgen synth mul": (
        "hwgen synth mul --a int8 --b int8 --target xc7",
        "hwgen synth mul --a bf16 --b bf16 --result bf16 --target asic --clock-ns 5",
    ),
    "hwgen synth add": (
        "hwgen synth add --format int32 --target xc7",
        "hwgen synth add --format fp16 --target gates",
    ),
    "hwgen synth systolic": (
        "hwgen synth systolic --a int8 --b int4 --pes 4 --target ecp5 --pnr",
    ),
    "hwgen synth nnlut": (
        "hwgen synth nnlut --func gelu --entries 16 --in int8_f4 --out-format int8_f3 --target ice40",
    ),
    "hwgen synth lut": (
        "hwgen synth lut --func tanh --match-entries 8 --in fp8_e4m3 --out-format fp8_e4m3 --target ice40",
    ),
    "hwgen synth mxdot": (
        "hwgen synth mxdot --elem mxfp4 --target gates",
        "hwgen synth mxdot --elem mxfp8_e4m3 --target asic --clock-ns 5",
    ),
    "hwgen sweep": (
        "hwgen sweep smoke --dry-run",
        "hwgen sweep smoke --jobs 2 --csv results.csv",
    ),
    "hwgen sweeps": ("hwgen sweeps",),
    "hwgen pareto": (
        "hwgen pareto --target ice40 --cost luts --accuracy sqnr_gaussian_db --out pareto.png",
        "hwgen pareto --target asic --cost area_um2 --accuracy minilm_cosine --clock-ns 5 --out asic.svg",
    ),
    "hwgen report": (
        "hwgen report --out report",
        "hwgen report --out report --no-minilm --clock-mhz 100",
    ),
}


def add_examples(tree) -> None:
    """Give every parser of *tree* (``(command line prefix, parser)`` pairs) its examples as epilog."""
    for path, parser in tree:
        lines = EXAMPLES.get(path)
        if lines:
            parser.epilog = "\n".join(["examples:", *(f"  {line}" for line in lines)])
