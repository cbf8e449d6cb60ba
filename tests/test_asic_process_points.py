"""The asic target on its three process points: the same small MAC on osu018, osu035 and osu050 maps,
times and gets a power figure on each, and the older processes are larger, slower and hungrier, as
their feature size and supply say they must be."""

import itertools

import pytest

from hwgen.cli import main

pytestmark = pytest.mark.tools

LIBRARIES = ("osu018", "osu035", "osu050")  # 0.18 um 1.8 V, 0.35 um 3.3 V, 0.5 um 5 V


def synth_row(library: str, tmp_path, capsys) -> dict:
    code = main(["synth", "mac", "--a", "int4", "--b", "int4", "--terms", "4", "--pipeline", "1",
                 "--target", "asic", "--library", library, "--clock-ns", "20",
                 "--work-dir", str(tmp_path / library)])
    out, err = capsys.readouterr()
    assert (code, err) == (0, ""), err
    header, rule, row = out.splitlines()[:3]
    spans, start = [], 0
    for dashes in rule.split("  "):  # the rule under the header marks each column's width
        spans.append((start, start + len(dashes)))
        start += len(dashes) + 2
    values = {header[a:b].strip(): row[a:b].strip() for a, b in spans}
    return {"library": values["library"], "area": float(values["area um2"]),
            "fmax": float(values["Fmax MHz"]), "pj": float(values["pJ/MAC"])}


def test_each_library_is_a_process_point(tmp_path, capsys):
    rows = [synth_row(library, tmp_path, capsys) for library in LIBRARIES]
    assert [row["library"] for row in rows] == list(LIBRARIES)
    for small, large in itertools.pairwise(rows):
        assert large["area"] > 1.5 * small["area"]  # area grows with the square of the feature size
        assert large["fmax"] < small["fmax"]
        assert large["pj"] > 1.5 * small["pj"]  # C V^2: larger cells at a higher supply
