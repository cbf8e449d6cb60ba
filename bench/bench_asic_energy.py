"""Standard-cell energy per MAC (and per multiply) from switching activity, with ratios to int8.

Run: ``.venv/bin/python bench/bench_asic_energy.py [--macs N] [--clock NS] [--distribution D] [--seed S]``.
Each design is generated (``hwgen.fpga.units``), mapped to osu018 at the clock
(``hwgen.fpga.asic.synthesize_asic``) and measured on the energy measurement's operand stream
(``hwgen.fpga.asic_power.measure_asic_power``); the ratios are to the int8 design of the same unit
from the same run. The int8 MAC is also compared with OpenSTA (``hwgen.fpga.sta_check``). Work
folders go to ``build/bench_asic_energy/``. Method and numbers: docs/asic.md, "Power and energy".
"""

import argparse
import time
from pathlib import Path

from hwgen import toolchain
from hwgen.fpga import activity
from hwgen.fpga.activity import DISTRIBUTIONS, RESET_CYCLES, WARMUP_CYCLES
from hwgen.fpga.asic import synthesize_asic
from hwgen.fpga.asic_power import measure_asic_power, netlist_power
from hwgen.fpga.gate_sim import ActivityError
from hwgen.fpga.sta_check import sta_check
from hwgen.fpga.units import get_unit

ROOT = Path(__file__).resolve().parents[1]
MACS = (("int8", "int8"), ("dint4", "int8"), ("fp8_e4m3fn", "fp8_e4m3fn"), ("fp8_e5m2", "fp8_e5m2"),
        ("fp4_e2m1", "fp4_e2m1"))
MULS = (("int8", "int8"), ("fp16", "fp16"))
HOROWITZ_PJ = {"int8": 0.2, "fp16": 1.1}  # ISSCC 2014, 45 nm, one multiply
COLUMNS = (("design", 24), ("area um2", 9), ("cells", 6), ("pJ/op", 8), ("/int8", 7), ("dyn uW", 8),
           ("int uW", 8), ("sw uW", 8), ("clk-pin uW", 11), ("leak nW", 8), ("tog/net", 8), ("checked", 8),
           ("STA-vl uW", 10), ("s", 5))


def measure(unit: str, a: str, b: str, args) -> tuple:
    design = get_unit(unit).generate({"a": a, "b": b})
    work = ROOT / "build" / "bench_asic_energy" / f"{design.module}_{args.clock:g}ns"
    work.mkdir(parents=True, exist_ok=True)
    source = work / f"{design.module}.v"
    source.write_text(design.verilog)
    started = time.perf_counter()
    synth = synthesize_asic(source, design.module, "osu018", args.clock, work_dir=work)
    power = measure_asic_power(design, synth.netlist, "osu018", args.clock, distribution=args.distribution,
                               macs=args.macs, seed=args.seed, work_dir=work / "power")
    return design, synth, power, time.perf_counter() - started


def print_row(design, synth, power, seconds, baseline) -> None:
    values = (design.module, f"{synth.area_um2:.0f}", synth.cells, f"{power.energy_pj_per_mac:.2f}",
              f"{power.energy_pj_per_mac / baseline:.3f}", f"{power.dynamic_uw:.0f}",
              f"{power.internal_uw:.0f}",
              f"{power.switching_uw:.0f}", f"{power.clock_pins_uw:.0f}", f"{power.leakage_nw:.1f}",
              f"{power.toggle_rate:.3f}", power.checked, f"{power.sta_dynamic_uw:.0f}", f"{seconds:.1f}")
    print("".join(f"{value!s:>{width}}" for value, (_, width) in zip(values, COLUMNS, strict=True)))


def agreement(args) -> None:
    """The int8 MAC's numbers next to OpenSTA's, on the same netlist and the same transitions."""
    design = get_unit("mac").generate({"a": "int8", "b": "int8"})
    work = ROOT / "build" / "bench_asic_energy" / f"{design.module}_{args.clock:g}ns"
    items = WARMUP_CYCLES + args.macs + 1
    in_fields, _ = activity.stream_fields(design)
    values = activity.stimulus(design, args.distribution, items, args.seed, activity.DEFAULT_TERMS)
    payload = activity.pack_words(in_fields, values)
    stimulus = {"rst": [1] * RESET_CYCLES + [0] * items, "i__payload": payload[:1] * RESET_CYCLES + payload,
                "i__valid": [1] * (RESET_CYCLES + items), "o__ready": [1] * (RESET_CYCLES + items)}
    result = netlist_power(work / "asic_netlist.v", design.module, "osu018", args.clock, stimulus,
                           RESET_CYCLES + WARMUP_CYCLES, args.macs, work_dir=work / "check")
    check = sta_check(result)
    vectorless = result.sta_vectorless
    print(f"\nOpenSTA check, {design.module} ({result.activity.cycles} cycles, same netlist, same "
          "transitions):")
    print(f"  slews at all {len(result.netlist.cells)} cell outputs: largest difference "
          f"{check.slew_difference_ns * 1e3:.2g} ps")
    print(f"  switching: OpenSTA {check.switching_uw:.3f} uW, Liberty {check.liberty_switching_uw:.3f} uW")
    print(f"  leakage: OpenSTA {check.leakage_nw:.4f} nW, Liberty {check.liberty_leakage_nw:.4f} nW")
    print(f"  internal energy per transition, {check.simple_cells} one- and two-input cells, OpenSTA's "
          f"conventions: largest difference {check.internal_difference:.1e}")
    print(f"  their internal power at the measured transitions: OpenSTA {check.simple_internal_uw:.1f} uW "
          f"(same-edge slews, arcs alike), Liberty {check.liberty_simple_internal_uw:.1f} uW (unateness, "
          f"toggle-weighted)")
    ratio = check.clock_pins_uw / check.liberty_clock_pins_uw
    print(f"  flip-flop clock pins with the data still: OpenSTA {check.clock_pins_uw:.1f} uW, Liberty "
          f"{check.liberty_clock_pins_uw:.1f} uW (ratio {ratio:.3f})")
    print(f"  OpenSTA vectorless (input activities only): internal {vectorless.internal_w * 1e6:.0f}, "
          f"switching {vectorless.switching_w * 1e6:.0f}, total "
          f"{(vectorless.internal_w + vectorless.switching_w) * 1e6:.0f} uW against "
          f"{result.dynamic_uw:.0f} uW "
          f"(internal {result.uw(result.energy.internal_pj):.0f}, switching "
          f"{result.uw(result.energy.switching_pj):.0f}); its propagated transitions are "
          f"{check.vectorless_over_measured:.3f} of the measured (load-weighted)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--macs", type=int, default=2048, help="measured cycles per design (default 2048)")
    parser.add_argument("--clock", type=float, default=10.0, metavar="NS", help="clock period (default 10)")
    parser.add_argument("--distribution", default="gaussian", choices=DISTRIBUTIONS)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-check", action="store_true", help="skip the OpenSTA comparison")
    args = parser.parse_args()

    tools = ("yosys", "sta", "iverilog")
    versions = ", ".join(f"{name} {toolchain.find_tool(name).version}" for name in tools)
    print(f"osu018, clock {args.clock:g} ns, {args.distribution} seed {args.seed}, {args.macs} cycles per "
          f"design; {versions}")
    print("pJ/op = dynamic energy per cycle (one MAC or multiply) + leakage x period; clk-pin = flip-flop "
          "clock pins (in int); STA-vl = OpenSTA vectorless from the input activities")
    for unit, pairs in (("mac", MACS), ("mul", MULS)):
        print(f"\nunit {unit}")
        print("".join(f"{title:>{width}}" for title, width in COLUMNS))
        baseline = None
        rows = {}
        for a, b in pairs:
            try:
                design, synth, power, seconds = measure(unit, a, b, args)
            except ActivityError as error:  # e.g. a clock the design does not meet: wrong outputs
                print(f"{unit} {a} x {b}: {error}")
                continue
            baseline = baseline or power.energy_pj_per_mac
            rows[a] = power
            print_row(design, synth, power, seconds, baseline)
        if unit == "mul" and {"int8", "fp16"} <= set(rows):
            ours = rows["fp16"].energy_pj_per_mac / rows["int8"].energy_pj_per_mac
            paper = HOROWITZ_PJ["fp16"] / HOROWITZ_PJ["int8"]
            print(f"fp16 / int8 multiply: {ours:.2f} here, {paper:.2f} in Horowitz (45 nm, rounding "
                  f"multipliers); ours / paper {ours / paper:.2f}")
    if not args.no_check:
        agreement(args)


if __name__ == "__main__":
    main()
