"""hwgen's MACs against plain hand-written MACs, side by side: LUT+FF and Fmax per format, target, depth.

Run: ``nice -n 10 .venv/bin/python bench/bench_plain_mac.py [--formats ...] [--targets ...] [--depths 1 3]
[--seeds 1 2 3] [--jobs N] [--quick] [--check] [--ablate] [--plain-input-regs] [--plain-split-product]
[--json FILE] [--from-json FILE]``; results and what they mean: docs/synthesis.md, "Benchmark: hwgen's MACs
against plain hand-written RTL".

Issue 21 ("units no larger than plain hand-written RTL"). For each format x target x pipeline depth
this measures, in one run and with the same flow:

- **hwgen**: ``MacSpec(fmt, fmt, "fixed", terms=8, pipeline=depth)`` as ``hwgen sweep`` generates it
  (``hwgen.fpga.units.generate_design``): valid / ready with backpressure, restart after ``last``,
  exact accumulator of the manifest's width W, sticky NaN / inf flags for the minifloats.
- **plain**: ``bench/plain_mac.v`` at the same W and the same latency (its header states the
  contract: registers without reset or enable, ``acc <= acc + a*b``, no NaN / inf, no restart, no
  handshake; ``PIPELINE`` = register stages = hwgen's ``--pipeline``). The module is specialized by
  rewriting its parameter defaults and name (``plain_mac_<format>_p<depth>``), so it is synthesized
  as its own top module exactly like hwgen's unit: a wrapper module around it would change Yosys's
  net names after flattening, and the names decide which adder operand ``maccmap`` / ``alumacc`` put
  on a carry chain's DI input (E4M3 at W = 40 on xc7 -nodsp: 137 LUT as its own top, 171 through a
  wrapper).

Both sides go through ``hwgen.fpga.yosys_flow.synthesize`` with the same ``SynthOptions(dsp=...)``
(no extra commands), so the Yosys script differs only in file and module names. Targets:
``xc7-nodsp``, ``xc7`` (synthesis only), ``ice40`` (UP5K, DSPs allowed), ``ecp5``, ``ecp5-nodsp``
(LFE5U-25F) and ``gates`` (2-input gates). The cell counts are those of the unit synthesized alone
(the results store's ``luts`` / ``ffs``; on ``gates`` two-input gates + FFs): carry cells (CARRY4,
SB_CARRY, CCU2C), wide muxes and DSP blocks are not in "LUT+FF" and are listed beside it.

**Fmax and the I/O harness.** On ``ice40`` and ``ecp5`` both sides are placed and routed by
``hwgen.fpga.pnr`` inside ``hwgen.fpga.io_harness``, the harness ``hwgen sweep`` uses: it applies to
both sides, not only to hwgen's. Without it the plain E5M2 MAC would need 2 x 8 + 68 + 1 = 85 pins
(the UP5K's SG48 has 39) and hwgen's a few more, so a bare placement would fail or measure pad
routing; with it both have four pins, every unit input comes from a flip-flop of the shift register
and every output goes into a registered XOR tree (harness paths are FF - 1 LUT - FF), so Fmax is the
unit's own, registered-input to register. The harness is not quite the same size on both sides
(hwgen's unit also has ``last``, the valid / ready bits and the NaN / inf outputs, a few more
shift-register and tree flip-flops); its cells are not counted in LUT+FF, and its paths are never
the critical ones. Fmax per point is the mean over the seeds of nextpnr's achieved frequency
(``--freq``, default 100 MHz, as ``hwgen sweep``); every seed's number is in ``--json``.

A plain ``PIPELINE 1`` MAC has no input registers (latency 1, like hwgen's depth 1, whose only
register is its accumulator); the issue's depth-1 reference registered its inputs (latency 2, 2N FFs
more). ``--plain-input-regs`` measures that shape instead at depth 1. The plain integer MAC is
written ``acc <= acc + a * b`` (multiplier and adder become one ``$macc``, which packs whole into
SB_MAC16 / DSP48E1); ``--plain-split-product`` writes the product as a sign-extended wire of its own
instead (a ``$macc`` and an ``$alu``: smaller in fabric, no SB_MAC16 accumulator). With both options
the issue's worst points come out again (int8 ecp5-nodsp depth 1: 475 + 21 against 287 + 35).

Where the spec allows it, hwgen's MAC is also measured with its registers placed otherwise (``VARIANTS``,
what ``hwgen synth --fmax`` tries too): ``dsp = "sb_mac16"`` on ice40 (integer operands, depth >= 2),
``acc_stages = 2`` with either adder (halves, or ``acc_adder = "carry_save"``) on ice40 and ecp5 (depth
>= 2), ``acc_adder = "ccu2c"`` on ecp5 and ``decode = "integer"`` on the DSP targets (fp6_e2m3,
fp6_e3m2, fp4_e2m1: the multiply in a DSP block; on ice40 also in two SB_MAC16) and ``acc_idle =
"add_zero"`` on gates (no clock enable on the accumulator: an enabled bit is a multiplexer there; the
Fmax search tries it on asic) and ``product_logic = "cells"`` on gates and ecp5, on gates also with
``add_zero`` (fp8_e4m3fn, fp6_e2m3, fp4_e2m1: the product without LUT6 tables; the Fmax search tries it on
asic and ecp5);
each gets a table of its own beside hwgen's default placement and the plain MAC, and a last table takes,
per point, the smallest of them all by LUT+FF.

``--check`` simulates ``plain_mac.v`` with Icarus against hwgen's golden model (finite operands)
first. ``--ablate`` synthesizes hwgen's unit with parts of its contract tied off by Yosys commands on
its own module (names kept), to show where the overhead over the plain MAC comes from.
"""

import argparse
import json
import math
import re
import shutil
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

import numpy as np

from hwgen.formats import MiniFloat, scalar_format
from hwgen.fpga import io_harness, xc7_timing
from hwgen.fpga.pnr import PnrOptions, place_and_route
from hwgen.fpga.yosys_flow import SynthOptions, synthesize

ROOT = Path(__file__).resolve().parents[1]
PLAIN_VERILOG = Path(__file__).resolve().parent / "plain_mac.v"
FORMATS = ("int8", "fp8_e4m3fn", "fp8_e5m2", "fp6_e3m2", "fp6_e2m3", "fp4_e2m1")
# name -> (Yosys target, DSPs allowed, placed and routed)
TARGETS = {
    "xc7-nodsp": ("xc7", False, False),
    "xc7": ("xc7", True, False),
    "ice40": ("ice40", True, True),
    "ecp5": ("ecp5", True, True),
    "ecp5-nodsp": ("ecp5", False, True),
    "gates": ("gates", False, False),
}
SIDES = ("hwgen", "plain")
# hwgen's MAC with its registers placed otherwise (what `hwgen synth --fmax` also tries), measured beside
# the two where the spec allows it: side -> (MacSpec options, the targets it is measured on, what it is).
VARIANTS = {
    "sb_mac16": ({"dsp": "sb_mac16"}, ("ice40",), "dsp = sb_mac16: the MAC's registers inside two SB_MAC16"),
    "acc2": ({"acc_stages": 2}, ("ice40", "ecp5"), "acc_stages = 2: the accumulator's addition split in two"),
    "ccu2c": ({"acc_adder": "ccu2c"}, ("ecp5", "ecp5-nodsp"),
              "acc_adder = ccu2c: the accumulator's adder and restart in instantiated CCU2C carry cells"),
    "csa": ({"acc_stages": 2, "acc_adder": "carry_save"}, ("ice40", "ecp5"),
            "acc_adder = carry_save: the sum in carry-save form, added up in a second stage"),
    "intdec": ({"decode": "integer"}, ("xc7", "ice40", "ecp5"),
               "decode = integer: minifloats decoded to their integer values, one signed multiply (a DSP's)"),
    "intsb": ({"decode": "integer", "dsp": "sb_mac16"}, ("ice40",),
              "decode = integer, dsp = sb_mac16: minifloats decoded to integers, the MAC in two SB_MAC16"),
    "zero": ({"acc_idle": "add_zero"}, ("gates",),
             "acc_idle = add_zero: no clock enable on the accumulator, a cycle without an item adds 0"),
    "cells": ({"product_logic": "cells"}, ("gates", "ecp5", "ecp5-nodsp"),
              "product_logic = cells: synthesis's multiplier and the aligner instead of LUT6 tables"),
    "zcells": ({"acc_idle": "add_zero", "product_logic": "cells"}, ("gates",),
               "acc_idle = add_zero, product_logic = cells: no enable on the accumulator, no LUT6 tables"),
}
TERMS = 8
QUICK_FORMAT = "fp4_e2m1"


# -- the two designs ------------------------------------------------------------------------------
def plain_parameters(fmt) -> tuple[int, int]:
    """(E, M) of plain_mac.v for an operand format: E = 0 is a signed integer of 1 + M bits."""
    if isinstance(fmt, MiniFloat):
        return fmt.exp_bits, fmt.man_bits
    if getattr(fmt, "signed", False) and not getattr(fmt, "frac_bits", 0):
        return 0, fmt.bits - 1
    raise ValueError(f"plain_mac.v has no form for {fmt.name}")


def plain_verilog(module: str, e: int, m: int, width: int, depth: int, input_regs: int | None = None,
                  product_reg: int | None = None, split_product: bool = False) -> str:
    """plain_mac.v as module *module* with its parameter defaults set (no wrapper, no chparam)."""
    text = PLAIN_VERILOG.read_text()
    values = {"E": e, "M": m, "W": width, "PIPELINE": depth, "SPLIT_PRODUCT": int(split_product)}
    if input_regs is not None:
        values["INPUT_REGS"] = input_regs
    if product_reg is not None:
        values["PRODUCT_REG"] = product_reg
    for name, value in values.items():
        text, count = re.subn(rf"(\n\s*parameter {name} = )[^,\n]+", rf"\g<1>{value}", text, count=1)
        if count != 1:
            raise ValueError(f"no parameter {name} in {PLAIN_VERILOG}")
    text, count = re.subn(r"\bmodule plain_mac\b", f"module {module}", text, count=1)
    if count != 1:
        raise ValueError(f"no module plain_mac in {PLAIN_VERILOG}")
    return text


def plain_ports(n: int, width: int) -> list[dict]:
    return [{"name": "clk", "dir": "in", "width": 1}, {"name": "a_in", "dir": "in", "width": n},
            {"name": "b_in", "dir": "in", "width": n}, {"name": "acc", "dir": "out", "width": width}]


def designs(fmt_name: str, depth: int, plain_input_regs: bool = False,
            split_product: bool = False) -> dict[str, dict]:
    """Both sides of one point: {side: {module, verilog, ports, width}}."""
    from hwgen.fpga.units import generate_design
    from hwgen.specs import MacSpec

    hw = generate_design(MacSpec(fmt_name, fmt_name, "fixed", terms=TERMS, pipeline=depth))
    acc = hw.details["acc"]
    width = int(acc["width"])
    fmt = scalar_format(fmt_name)
    e, m = plain_parameters(fmt)
    if e and acc["lsb_exponent"] != 2 * fmt.lsb_exponent:  # the plain sum's units are 2^(2 lsb)
        raise ValueError(f"{fmt_name}: hwgen's accumulator LSB is 2^{acc['lsb_exponent']}, the plain "
                         f"MAC's 2^{2 * fmt.lsb_exponent}")
    module = f"plain_mac_{fmt_name}_p{depth}"
    regs = {}
    if plain_input_regs and depth == 1:
        module += "_inreg"
        regs = {"input_regs": 1, "product_reg": 0}
    if split_product and not e:
        module += "_split"
        regs["split_product"] = True
    sides = {
        "hwgen": {"module": hw.module, "verilog": hw.verilog, "ports": list(hw.ports), "width": width},
        "plain": {"module": module, "verilog": plain_verilog(module, e, m, width, depth, **regs),
                  "ports": plain_ports(fmt.bits, width), "width": width},
    }
    for side, (options, _, _) in VARIANTS.items():
        try:
            spec = MacSpec(fmt_name, fmt_name, "fixed", terms=TERMS, pipeline=depth, **options)
            variant = generate_design(spec)
        except ValueError:  # the spec refuses it here (a minifloat in SB_MAC16s, depth 1)
            continue
        sides[side] = {"module": variant.module, "verilog": variant.verilog, "ports": list(variant.ports),
                       "width": width}
    return sides


# -- one measurement (runs in a worker process) ------------------------------------------------
def measure(task: dict) -> dict:
    """Synthesize one side of one point on one target; place and route it in the harness if asked."""
    started = time.monotonic()
    family, dsp, placed = TARGETS[task["target"]]
    work = Path(task["work"])
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    design = task["design"]
    unit = work / f"{design['module']}.v"
    unit.write_text(design["verilog"])
    options = SynthOptions(dsp=dsp)
    row = {k: task[k] for k in ("format", "depth", "side", "target")}
    row.update(module=design["module"], width=design["width"])
    try:
        synthesized = synthesize(unit, design["module"], family, options=options, work_dir=work / "synth",
                                 timeout=task["timeout"])
        cells = synthesized.cells
        if family == xc7_timing.TARGET:  # no place and route: the stated estimate, marked "e" in the table
            netlist_data = json.loads(Path(synthesized.netlist_json).read_text())
            row["fmax_estimate"] = xc7_timing.estimate(netlist_data, design["module"]).fmax_mhz
        row.update(luts=cells.luts, ffs=cells.ffs, carries=cells.carries, dsps=cells.dsps,
                   gates=cells.gates, muxes=cells.by_category["mux"], inverters=cells.by_category["inverter"],
                   transistors=cells.transistors, by_type=dict(cells.by_type))
        row["area"] = (cells.gates if family == "gates" else cells.luts) + cells.ffs
        if placed:
            harness = work / "harness.v"
            harness.write_text(io_harness.harness_verilog(design["module"], design["ports"]))
            top = io_harness.harness_name(design["module"])
            netlist = synthesize([unit, harness], top, family, options=options,
                                 work_dir=work / "synth_harness", timeout=task["timeout"])
            row["harness_cells"] = dict(netlist.cells.by_category)
            fmax, logic, critical = {}, {}, {}
            for seed in task["seeds"]:
                result = place_and_route(netlist.netlist_json, family,
                                         options=PnrOptions(freq_mhz=task["freq"], seed=seed),
                                         work_dir=work / f"pnr_seed{seed}", timeout=task["timeout"])
                fmax[seed] = result.report.fmax_mhz
                logic[seed] = result.report.utilization
                critical[seed] = result.report.critical_path
            row["fmax"] = fmax
            row["critical_path"] = critical
            row["pnr_utilization"] = {str(k): v for k, v in logic[task["seeds"][0]].items() if v[0]}
        row["status"] = "ok"
    except Exception as error:  # a failed point is a row, the run goes on
        row.update(status="failed", error=" ".join(str(error).split()))
    row["seconds"] = round(time.monotonic() - started, 1)
    if not task["keep"]:
        for folder in work.glob("pnr_seed*"):
            shutil.rmtree(folder, ignore_errors=True)
        for netlist in work.glob("synth*/netlist.*"):
            netlist.unlink(missing_ok=True)
    return row


def harness_limited(row: dict | None) -> bool:
    """Whether some seed's critical path neither starts nor ends in the unit (instance ``dut``)."""
    paths = (row or {}).get("critical_path") or {}
    return any(path and not any(cell.startswith("dut.") for cell in _ends(path)) for path in paths.values())


def _ends(path) -> list[str]:
    """First and last cell of a critical path: nextpnr's one-line summary (hwgen.fpga.pnr), or the
    [first, last] pair older --json files hold."""
    if isinstance(path, list):
        return path
    first, _, rest = path.partition(" -> ")
    return [first, rest.partition(":")[0]]


# -- the table ----------------------------------------------------------------------------------
def mean_fmax(row: dict | None) -> float | None:
    """nextpnr's Fmax, mean over seeds; on xc7 the estimate (hwgen.fpga.xc7_timing)."""
    if row and row.get("status") == "ok" and row.get("fmax_estimate"):
        return row["fmax_estimate"]
    if not row or row.get("status") != "ok" or not row.get("fmax"):
        return None
    values = [v for v in row["fmax"].values() if v]
    return sum(values) / len(values) if values else None


def cells_text(row: dict | None) -> str:
    """LUT/FF/carry[/DSP] (gates: 2-input gates/FF/NOT)."""
    if not row or row.get("status") != "ok":
        return "failed"
    if row["target"] == "gates":
        return f"{row['gates']}/{row['ffs']}/{row.get('inverters', '?')}"
    text = f"{row['luts']}/{row['ffs']}/{row['carries']}"
    return text + (f"/{row['dsps']}D" if row["dsps"] else "")


def ratio(a, b) -> float | None:
    return a / b if a and b else None


def fmt_num(value, spec: str) -> str:
    return "-" if value is None else format(value, spec)


def geomean(values) -> float | None:
    values = [v for v in values if v]
    return math.exp(sum(map(math.log, values)) / len(values)) if values else None


def print_table(rows: list[dict], formats, targets, depths, out=sys.stdout) -> None:
    index = {(r["format"], r["depth"], r["side"], r["target"]): r for r in rows}
    print("LUT+FF: cells of the unit alone (gates: 2-input gates + FF); cells LUT/FF/carry[/DSP] "
          "(gates/FF/NOT); Fmax: MHz, mean over seeds, in the I/O harness (Fmax e: the xc7 ESTIMATE, "
          "unit alone, no place and route); ratio = hwgen / plain ('-' where the plain MAC is all DSP: 0 "
          "LUT+FF; Fmax * : a critical path inside the harness)",
          file=out)
    header = (f"{'target':<11}{'format':<12}{'p':>2}{'hwgen L+F':>11}{'plain L+F':>11}{'ratio':>7}"
              f"{'hwgen Fmax':>12}{'plain Fmax':>12}{'ratio':>7}   {'hwgen cells':<17}{'plain cells':<17}")
    print(header, file=out)
    summary = []
    for target in targets:
        per_depth = {d: ([], []) for d in depths}
        equivalent = []  # ECP5: CCU2C counted as the two LUT4s it holds
        for fmt in formats:
            for depth in depths:
                hw, pl = (index.get((fmt, depth, side, target)) for side in SIDES)
                if not hw and not pl:
                    continue
                area = [r["area"] if r and r.get("status") == "ok" else None for r in (hw, pl)]
                fmax = [mean_fmax(hw), mean_fmax(pl)]
                area_ratio, fmax_ratio = ratio(*area), ratio(*fmax)
                per_depth[depth][0].append(area_ratio)
                per_depth[depth][1].append(fmax_ratio)
                if TARGETS[target][0] == "ecp5" and None not in area:
                    equivalent.append(ratio(*(r["area"] + 2 * r["carries"] for r in (hw, pl))))
                marks = ["*" if harness_limited(r) else "e" if (r or {}).get("fmax_estimate") else ""
                         for r in (hw, pl)]
                print(f"{target:<11}{fmt:<12}{depth:>2}{fmt_num(area[0], 'd'):>11}"
                      f"{fmt_num(area[1], 'd'):>11}{fmt_num(area_ratio, '.2f'):>7}"
                      f"{fmt_num(fmax[0], '.1f') + marks[0]:>12}{fmt_num(fmax[1], '.1f') + marks[1]:>12}"
                      f"{fmt_num(fmax_ratio, '.2f'):>7}"
                      f"   {cells_text(hw):<17}{cells_text(pl):<17}", file=out)
        all_area = [v for d in depths for v in per_depth[d][0]]
        all_fmax = [v for d in depths for v in per_depth[d][1]]
        summary.append((target, geomean(all_area), geomean(all_fmax), geomean(equivalent),
                        {d: (geomean(per_depth[d][0]), geomean(per_depth[d][1])) for d in depths}))
    print_variant_tables(index, formats, targets, depths, out)
    print_smallest_table(index, formats, targets, depths, out)
    print("\ngeometric means of hwgen / plain per target (all formats and depths; then per depth); "
          "+CCU2C: ECP5 LUT+FF with each CCU2C counted as 2 LUT4; xc7 Fmax: ratio of ESTIMATES", file=out)
    print(f"{'target':<11}{'LUT+FF':>8}{'Fmax':>8}{'+CCU2C':>8}"
          + "".join(f"{f'p{d} L+F':>10}{f'p{d} Fmax':>10}" for d in depths), file=out)
    for target, area, fmax, equivalent, by_depth in summary:
        print(f"{target:<11}{fmt_num(area, '.2f'):>8}{fmt_num(fmax, '.2f'):>8}{fmt_num(equivalent, '.2f'):>8}"
              + "".join(f"{fmt_num(a, '.2f'):>10}{fmt_num(f, '.2f'):>10}" for a, f in by_depth.values()),
              file=out)


def print_variant_tables(index: dict, formats, targets, depths, out=sys.stdout) -> None:
    """hwgen's MAC with its registers placed otherwise (VARIANTS) beside its default and the plain MAC."""
    for side, (_, variant_targets, what) in VARIANTS.items():
        lines = []
        for target in (t for t in targets if t in variant_targets):
            for fmt in formats:
                for depth in depths:
                    rows = [index.get((fmt, depth, name, target)) for name in (side, *SIDES)]
                    if not rows[0]:
                        continue
                    area = [r.get("area") if r else None for r in rows]
                    fmax = [mean_fmax(r) for r in rows]
                    lines.append(f"{target:<11}{fmt:<12}{depth:>2}{fmt_num(area[0], 'd'):>8}"
                                 f"{fmt_num(ratio(area[0], area[2]), '.2f'):>8}{fmt_num(fmax[0], '.1f'):>9}"
                                 f"{fmt_num(fmax[1], '.1f'):>9}{fmt_num(fmax[2], '.1f'):>9}"
                                 f"{fmt_num(ratio(fmax[0], fmax[1]), '.2f'):>10}"
                                 f"{fmt_num(ratio(fmax[0], fmax[2]), '.2f'):>8}   {cells_text(rows[0])}")
        if lines:
            print(f"\nhwgen with {what}: LUT+FF (the unit's, / plain), Fmax (MHz) beside hwgen's default "
                  "placement and the plain MAC", file=out)
            print(f"{'target':<11}{'format':<12}{'p':>2}{'L+F':>8}{'/plain':>8}{'Fmax':>9}{'default':>9}"
                  f"{'plain':>9}{'/default':>10}{'/plain':>8}   cells", file=out)
            for line in lines:
                print(line, file=out)


def print_smallest_table(index: dict, formats, targets, depths, out=sys.stdout) -> None:
    """Per point, hwgen's smallest placement measured (its default or a VARIANT), ranked by LUT+FF alone
    (DSP blocks not counted, unlike the Fmax search's area_rank), against the plain MAC, with both sides'
    DSP blocks, and its geometric mean per target. A point where every hwgen side failed is left out."""
    lines, means = [], {}
    for target in targets:
        for fmt in formats:
            for depth in depths:
                plain = index.get((fmt, depth, "plain", target))
                sides = [(name, index.get((fmt, depth, name, target))) for name in ("hwgen", *VARIANTS)]
                sides = [(name, row) for name, row in sides if row and row.get("status") == "ok"]
                if not sides or not plain or plain.get("status") != "ok":
                    continue
                name, row = min(sides, key=lambda side: side[1]["area"])
                area_ratio = ratio(row["area"], plain["area"])
                means.setdefault(target, []).append(area_ratio)
                fmax_ratio = ratio(mean_fmax(row), mean_fmax(plain))
                lines.append(f"{target:<11}{fmt:<12}{depth:>2}  {name:<9}{row['area']:>6}{plain['area']:>7}"
                             f"{fmt_num(area_ratio, '.2f'):>7}{row.get('dsps') or 0:>5}"
                             f"{plain.get('dsps') or 0:>6}{fmt_num(fmax_ratio, '.2f'):>8}")
    if not lines:
        return
    print("\nhwgen's smallest placement per point (by LUT+FF alone, DSPs not counted; the default or a "
          "variant above) against the plain MAC: DSP blocks of both, Fmax ratio (xc7: estimates)", file=out)
    print(f"{'target':<11}{'format':<12}{'p':>2}  {'placement':<9}{'L+F':>6}{'plain':>7}{'ratio':>7}"
          f"{'DSP':>5}{'pDSP':>6}{'Fmax r':>8}", file=out)
    for line in lines:
        print(line, file=out)
    print("geometric mean of the smallest / plain: " + ", ".join(
        f"{target} {fmt_num(geomean(values), '.2f')}" for target, values in means.items()), file=out)


# -- functional check of plain_mac.v ------------------------------------------------------------
CHECK_ITEMS = 400


def check_plain(fmt_name: str, depths, work: Path) -> str:
    """Simulate plain_mac.v (Icarus) on random finite operands against hwgen's golden model."""
    from hwgen.fpga.units import generate_design
    from hwgen.golden.codec import decode
    from hwgen.golden.mac import mac
    from hwgen.specs import MacSpec

    fmt = scalar_format(fmt_name)
    e, m = plain_parameters(fmt)
    width = int(generate_design(MacSpec(fmt_name, fmt_name, "fixed", terms=TERMS)).details["acc"]["width"])
    codes = np.arange(1 << fmt.bits)
    finite = codes[np.isfinite(decode(fmt, codes))]
    rng = np.random.default_rng(21)
    a, b = rng.choice(finite, CHECK_ITEMS), rng.choice(finite, CHECK_ITEMS)
    products = mac(a, b, np.ones(CHECK_ITEMS, bool), fmt, fmt, "fixed", terms=TERMS).acc
    expected = np.cumsum([int(p) for p in products], dtype=object) % (1 << width)
    work.mkdir(parents=True, exist_ok=True)
    (work / "vectors.hex").write_text("".join(f"{int(x):x} {int(y):x}\n" for x, y in zip(a, b, strict=True)))
    results = []
    for depth, split in [(d, s) for d in depths for s in ((False, True) if e == 0 else (False,))]:
        module = f"plain_mac_{fmt_name}_p{depth}" + ("_split" if split else "")
        (work / f"{module}.v").write_text(plain_verilog(module, e, m, width, depth, split_product=split))
        n = fmt.bits
        (work / f"tb_{module}.v").write_text(f"""
module tb;
  reg clk = 0; reg [{n - 1}:0] a_in = 0, b_in = 0; wire [{width - 1}:0] acc;
  reg [{n - 1}:0] va [0:{CHECK_ITEMS - 1}]; reg [{n - 1}:0] vb [0:{CHECK_ITEMS - 1}];
  integer i, f, r;
  {module} dut (.clk(clk), .a_in(a_in), .b_in(b_in), .acc(acc));
  initial begin
    f = $fopen("vectors.hex", "r");
    for (i = 0; i < {CHECK_ITEMS}; i = i + 1) r = $fscanf(f, "%h %h\\n", va[i], vb[i]);
    for (i = 0; i < {CHECK_ITEMS + depth}; i = i + 1) begin
      a_in = i < {CHECK_ITEMS} ? va[i] : 0; b_in = i < {CHECK_ITEMS} ? vb[i] : 0;
      if (i == {depth - 1}) dut.acc = 0;  // no reset: start the sum when item 0 reaches the adder
      #5 clk = 1; #1 $display("%0d %h", i, acc); #4 clk = 0;
    end
    $finish;
  end
endmodule
""")
        subprocess.run(["iverilog", "-g2012", "-o", f"tb_{module}.vvp", f"tb_{module}.v", f"{module}.v"],
                       cwd=work, check=True)
        out = subprocess.run(["vvp", "-n", f"tb_{module}.vvp"], cwd=work, check=True, capture_output=True,
                             text=True).stdout
        seen = {int(i): None if "x" in v else int(v, 16)
                for i, v in (line.split() for line in out.splitlines() if line[:1].isdigit())}
        # After clock edge i, acc holds the products of the items 0 .. i - (depth - 1).
        bad = [i for i in range(depth - 1, CHECK_ITEMS + depth - 1)
               if seen.get(i) != expected[i - (depth - 1)]]
        results.append(f"p{depth}{' split' if split else ''} ok")
        if bad:
            raise SystemExit(f"plain_mac.v {module}: acc differs from the golden sum at "
                             f"cycle {bad[0]} ({seen.get(bad[0])} != {expected[bad[0] - (depth - 1)]})")
    return f"{fmt_name} (W = {width}, {len(finite)} finite codes): " + ", ".join(results)


# -- hwgen with parts of its contract tied off -------------------------------------------------
# Cumulative variants; each is Yosys commands run in pre_synth on hwgen's own module (after proc),
# so net names stay hwgen's. The tied-off logic is then removed by the flow's own opt passes.
def ablation_commands(variant: str, module: str, width: int, minifloat: bool,
                      stage_valids: tuple[str, ...] = ()) -> tuple[str, ...]:
    steps = ABLATIONS[: ABLATIONS.index(variant) + 1]
    commands = ["proc", f"cd {module}"]
    if "no backpressure" in steps:  # o.ready = 1: the sink always takes an output
        commands += ["delete -port w:o__ready", "connect -set o__ready 1'1"]
    if "no valid" in steps:  # i.valid = 1: an operand pair every cycle
        commands += ["delete -port w:i__valid", "connect -set i__valid 1'1"]
        # The stages' registered valid flags then load 1 every cycle, but they power up 0, so Yosys
        # cannot fold them: tie them to 1 as well, or the accumulator keeps its valid gating.
        for stage in stage_valids:
            commands += [f"delete w:{stage} %ci1:+$dff,$sdff,$dffe,$sdffe[Q] w:{stage} %d",
                         f"connect -set {stage} 1'1"]
    if "no restart" in steps:  # the sum never restarts: the restart flag is 0, no `last`
        commands += ["delete w:restart %ci1:+$dff,$sdff,$dffe,$sdffe[Q] w:restart %d",
                     "connect -set restart 1'0"]
    if "no specials" in steps and minifloat:  # NaN / inf flags unobserved (only acc is an output)
        commands += ["delete -port w:o__payload", f"add -output acc_out {width}",
                     f"connect -set acc_out o__payload[{width - 1}:0]"]
    return (*commands, "cd ..")


ABLATIONS = ("full", "no backpressure", "no valid", "no restart", "no specials")


def ablate(task: dict) -> dict:
    family, dsp, _ = TARGETS[task["target"]]
    work = Path(task["work"])
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    design = task["design"]
    unit = work / f"{design['module']}.v"
    unit.write_text(design["verilog"])
    row = {k: task[k] for k in ("format", "depth", "target", "variant")}
    # the pipeline's valid registers (register_stage names them <stage>_valid), not the output port
    registered = set(re.findall(r"^\s*(\w+_valid) <= ", design["verilog"], re.M))
    stage_valids = tuple(sorted(registered - {port["name"] for port in design["ports"]}))
    commands = ablation_commands(task["variant"], design["module"], design["width"], task["minifloat"],
                                 stage_valids)
    options = SynthOptions(dsp=dsp, extra_commands={"pre_synth": commands})
    try:
        cells = synthesize(unit, design["module"], family, options=options, work_dir=work / "synth",
                           timeout=task["timeout"]).cells
        row.update(status="ok", area=(cells.gates if family == "gates" else cells.luts) + cells.ffs,
                   luts=cells.luts, ffs=cells.ffs, carries=cells.carries, dsps=cells.dsps, gates=cells.gates,
                   inverters=cells.by_category["inverter"])
    except Exception as error:
        row.update(status="failed", error=" ".join(str(error).split()))
    for netlist in work.glob("synth*/netlist.*"):
        netlist.unlink(missing_ok=True)
    return row


def print_ablation(rows, plain_rows, formats, targets, depths, out=sys.stdout) -> None:
    index = {(r["format"], r["depth"], r["target"], r["variant"]): r for r in rows}
    plain = {(r["format"], r["depth"], r["target"]): r for r in plain_rows if r["side"] == "plain"}
    print("\nhwgen with its contract tied off step by step (cumulative), LUT+FF of the unit alone "
          "(cells LUT/FF/carry[/DSP]); last column: the plain MAC", file=out)
    print(f"{'target':<11}{'format':<12}{'p':>2}" + "".join(f"{v:>20}" for v in ABLATIONS) + f"{'plain':>20}",
          file=out)
    for target in targets:
        for fmt in formats:
            for depth in depths:
                cols = []
                for variant in ABLATIONS:
                    r = index.get((fmt, depth, target, variant))
                    cols.append(f"{r['area']} ({cells_text({**r, 'target': target})})"
                                if r and r["status"] == "ok" else "-" if not r else "failed")
                p = plain.get((fmt, depth, target))
                cols.append(f"{p['area']} ({cells_text(p)})" if p and p.get("status") == "ok" else "-")
                print(f"{target:<11}{fmt:<12}{depth:>2}" + "".join(f"{c:>20}" for c in cols), file=out)


# -- main --------------------------------------------------------------------------------------
def run(tasks, function, jobs: int, label) -> list[dict]:
    rows = []
    started = time.monotonic()
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        futures = [pool.submit(function, task) for task in tasks]
        for done, future in enumerate(as_completed(futures), 1):
            row = future.result()
            rows.append(row)
            note = "" if row.get("status") == "ok" else f"  FAILED: {row.get('error')}"
            print(f"[{done}/{len(tasks)} {time.monotonic() - started:7.0f} s] {label(row)} "
                  f"{row.get('seconds', '')}{note}", file=sys.stderr, flush=True)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--formats", nargs="+", default=list(FORMATS), metavar="FORMAT")
    parser.add_argument("--targets", nargs="+", default=list(TARGETS), choices=list(TARGETS))
    parser.add_argument("--depths", nargs="+", type=int, default=[1, 3], metavar="N")
    parser.add_argument("--seeds", nargs="+", type=int, default=[1, 2, 3], metavar="SEED")
    parser.add_argument("--freq", type=float, default=100.0, help="nextpnr target MHz (default 100)")
    parser.add_argument("--quick", action="store_true",
                        help=f"one format (the first of --formats, else {QUICK_FORMAT}) and one seed")
    parser.add_argument("--jobs", type=int, default=1, help="parallel tool runs (default 1)")
    parser.add_argument("--timeout", type=float, default=3600, help="seconds per tool run (default 3600)")
    parser.add_argument("--plain-input-regs", action="store_true",
                        help="depth 1: register the plain MAC's inputs (the issue's reference; latency 2)")
    parser.add_argument("--plain-split-product", action="store_true",
                        help="integers: the plain MAC's product as a sign-extended wire of its own "
                             "(smaller in fabric, no SB_MAC16 accumulator; see plain_mac.v)")
    parser.add_argument("--check", action="store_true",
                        help="first simulate plain_mac.v against the golden model")
    parser.add_argument("--ablate", action="store_true",
                        help="also synthesize hwgen's unit with its contract tied off step by step")
    parser.add_argument("--no-measure", action="store_true", help="skip the side-by-side measurement")
    parser.add_argument("--work-dir", type=Path, default=ROOT / "build" / "bench_plain_mac")
    parser.add_argument("--keep-work", action="store_true", help="keep netlists and nextpnr folders")
    parser.add_argument("--json", type=Path, help="write every row (per-seed Fmax, cells by type) here")
    parser.add_argument("--from-json", type=Path,
                        help="print the tables of an earlier --json, measure nothing")
    args = parser.parse_args()
    given_formats = "--formats" in sys.argv
    if args.quick:
        args.formats = args.formats[:1] if given_formats else [QUICK_FORMAT]
        args.seeds = args.seeds[:1]
    for name in args.formats:
        plain_parameters(scalar_format(name))  # one-line error for a format without a plain form
    if args.from_json:
        saved = json.loads(args.from_json.read_text())
        formats = [f for f in args.formats if any(r["format"] == f for r in saved["rows"])]
        print_table(saved["rows"], formats, args.targets, args.depths)
        if saved.get("ablation"):
            print_ablation(saved["ablation"], saved["rows"], formats, args.targets, args.depths)
        return
    started = time.monotonic()
    if args.check:
        for name in args.formats:
            depths = sorted(set(args.depths) | {1, 2, 3})
            print("check:", check_plain(name, depths, args.work_dir / "check" / name), flush=True)
    points = {(f, d): designs(f, d, args.plain_input_regs, args.plain_split_product)
              for f in args.formats for d in args.depths}
    rows, ablation = [], []
    if not args.no_measure:
        tasks = []
        # Largest first (fp8_e5m2, placed targets), hwgen and plain of a point next to each other.
        order = sorted(points, key=lambda p: -points[p]["hwgen"]["width"])
        for target in sorted(args.targets, key=lambda t: not TARGETS[t][2]):
            for fmt, depth in order:
                sides = [*SIDES, *(side for side, (_, where, _) in VARIANTS.items()
                                   if target in where and side in points[fmt, depth])]
                for side in sides:
                    tasks.append({"format": fmt, "depth": depth, "side": side, "target": target,
                                  "design": points[fmt, depth][side], "seeds": args.seeds, "freq": args.freq,
                                  "timeout": args.timeout, "keep": args.keep_work,
                                  "work": str(args.work_dir / f"{fmt}_p{depth}" / side / target)})
        rows = run(tasks, measure, args.jobs,
                   lambda r: f"{r['target']:<10} {r['format']:<11} p{r['depth']} {r['side']:<5}")
    if args.ablate:
        tasks = [{"format": f, "depth": d, "target": t, "variant": v, "design": points[f, d]["hwgen"],
                  "minifloat": isinstance(scalar_format(f), MiniFloat), "timeout": args.timeout,
                  "work": str(args.work_dir / "ablate" / f"{f}_p{d}" / t / v.replace(" ", "_"))}
                 for t in args.targets for (f, d) in points for v in ABLATIONS]
        ablation = run(tasks, ablate, args.jobs,
                       lambda r: f"ablate {r['target']:<10} {r['format']:<11} p{r['depth']} {r['variant']}")
    wall = time.monotonic() - started
    if rows:
        print_table(rows, args.formats, args.targets, args.depths)
    if ablation:
        print_ablation(ablation, rows, args.formats, args.targets, args.depths)
    print(f"\nwall time {wall:.0f} s ({args.jobs} job{'s' if args.jobs > 1 else ''}; seeds "
          f"{' '.join(map(str, args.seeds))}; nextpnr --freq {args.freq:g})")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"args": {k: str(v) for k, v in vars(args).items()}, "rows": rows,
                                         "ablation": ablation, "wall_seconds": wall}, indent=1))


if __name__ == "__main__":
    main()
