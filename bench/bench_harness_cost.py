"""The I/O harness's own cost next to each placed unit, from a results store of a sweep run with
``harness_cost = true`` (e.g. ``hwgen sweep fpga/sweeps/default.toml``).

Run: ``.venv/bin/python bench/bench_harness_cost.py [--store build/results.sqlite]``.
For each placed design (newest row per design x target): its port bits, the placed logic cells of
unit + harness, of the harness around a null unit of the same port size (the null unit's own
flip-flops, ``outputs - inputs``, listed apart), the harness's share, and both Fmax values.
"""

import argparse

from hwgen.cli import run_reporting_errors
from hwgen.cost_models.dataset import read_store
from hwgen.fpga import io_harness
from hwgen.results.store import ResultStore


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", default="build/results.sqlite")
    args = parser.parse_args()
    raise SystemExit(run_reporting_errors("bench_harness_cost", lambda: report(args.store)))


def report(path: str) -> None:
    read_store(path)  # a missing, foreign or empty store is one line, and nothing is created
    with ResultStore(path, read_only=True) as store:
        ports = store.module_ports()
        placed = store.rows("WHERE pnr = 1 AND status = 'ok' ORDER BY created_at")
    newest = {(row["design"], row["target"]): row for row in placed}
    print(f"{'design':<26}{'target':<7}{'in/out':>8}{'unit+harness':>13}{'harness':>9}{'null FFs':>9}"
          f"{'share':>7}{'Fmax unit':>11}{'Fmax harness':>13}{'harness FFs':>12}")
    for (design, target), row in sorted(newest.items()):
        if row["unit"] == "null" or design not in ports:
            continue
        bits = io_harness.port_bits(ports[design])
        null = newest.get((f"null_i{bits.input_bits}_o{bits.output_bits}", target))
        if null is None:
            continue
        cells, harness = row["pnr_logic_cells"], null["pnr_logic_cells"]
        print(f"{design:<26}{target:<7}{f'{bits.input_bits}/{bits.output_bits}':>8}{cells:>13}{harness:>9}"
              f"{null['ffs']:>9}{harness / cells:>7.0%}{row['fmax_mhz']:>11.1f}{null['fmax_mhz']:>13.1f}"
              f"{row['harness_ffs']:>12}")


if __name__ == "__main__":
    main()
