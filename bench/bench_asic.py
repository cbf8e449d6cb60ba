"""Standard-cell area, timing and leakage of the reference MACs (rtl/), with ratios to int8.

Run: ``.venv/bin/python bench/bench_asic.py [--clocks NS ...] [--library osu018] [--units ...]``.
Each unit is synthesized and timed once per clock (``hwgen.fpga.asic.measure_asic``); the ratios
are to ``mac_int8_fixed`` measured in the same run at the same clock. Work folders go to
``build/bench_asic/<library>_<clock>ns/<unit>/``. Constraints and units: docs/asic.md.
"""

import argparse
from pathlib import Path

from hwgen import toolchain
from hwgen.fpga.asic import CONSTRAINTS, measure_asic

ROOT = Path(__file__).resolve().parents[1]
UNITS = ("mac_int8_fixed", "mac_dint4_int8_fixed", "mac_fp8_e4m3fn_fixed", "mac_fp4_e2m1_fixed")
BASELINE = "mac_int8_fixed"
COLUMNS = (("unit", 22), ("area um2", 10), ("cells", 6), ("seq um2", 8), ("path ns", 8), ("Tmin ns", 8),
           ("Fmax MHz", 9), ("slack ns", 9), ("leak nW", 8), ("area/i8", 8), ("Fmax/i8", 8), ("leak/i8", 8))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clocks", nargs="+", type=float, default=[10.0, 2.5], metavar="NS",
                        help="clock periods in ns (default: 10 and 2.5)")
    parser.add_argument("--library", default="osu018", choices=toolchain.CELL_LIBRARY_NAMES)
    parser.add_argument("--units", nargs="+", default=list(UNITS), choices=UNITS)
    args = parser.parse_args()
    units = [BASELINE, *(unit for unit in args.units if unit != BASELINE)]

    cells = toolchain.find_liberty(args.library)
    print(f"library {cells.name}: {cells.liberty}")
    print(f"yosys {toolchain.find_tool('yosys').version}, OpenSTA {toolchain.find_tool('sta').version}")
    print("constraints: " + "; ".join(f"{key} {value}" for key, value in CONSTRAINTS.items()))
    print("path ns: data arrival of the worst setup path (clock-to-Q + logic); Tmin ns = path + setup "
          "= clock - slack; Fmax = 1000 / Tmin")
    for clock_ns in args.clocks:
        print(f"\nclock {clock_ns:g} ns ({1000 / clock_ns:g} MHz), abc -D {round(clock_ns * 1000)}")
        print("".join(f"{title:>{width}}" for title, width in COLUMNS))
        baseline = None
        for unit in units:
            work_dir = ROOT / "build" / "bench_asic" / f"{cells.name}_{clock_ns:g}ns" / unit
            row = measure_asic(ROOT / "rtl" / f"{unit}.v", unit, cells, clock_ns, work_dir=work_dir).summary()
            baseline = baseline or row
            values = (unit, f"{row['area_um2']:.0f}", row["cells"], f"{row['sequential_area_um2']:.0f}",
                      f"{row['critical_path_ns']:.3f}", f"{row['min_period_ns']:.3f}",
                      f"{row['fmax_mhz']:.1f}", f"{row['slack_ns']:.3f}", f"{row['leakage_nw']:.2f}",
                      f"{row['area_um2'] / baseline['area_um2']:.3f}",
                      f"{row['fmax_mhz'] / baseline['fmax_mhz']:.3f}",
                      f"{row['leakage_nw'] / baseline['leakage_nw']:.3f}")
            print("".join(f"{value!s:>{width}}" for value, (_, width) in zip(values, COLUMNS, strict=True)))


if __name__ == "__main__":
    main()
