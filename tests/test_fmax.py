"""Fmax-directed pipelining (hwgen.fpga.fmax): the search on a stub, the requests and the sweep TOML,
one-line errors from the command line with nothing written, and real searches on ice40 (nextpnr) and
asic (OpenSTA) whose repeats are all cache hits."""

import json
from pathlib import Path

import pytest

from hwgen.cli import main
from hwgen.fpga import fmax
from hwgen.fpga.executors import InlineExecutor
from hwgen.fpga.fmax import (
    Candidate,
    DepthSearch,
    FmaxRequest,
    FmaxSearch,
    area_rank,
    check_fmax,
    check_fmax_target,
    clock_ns_for,
    pipeline_depths,
    run_searches,
    search_pipeline,
)
from hwgen.fpga.points import FlowSpec
from hwgen.fpga.sweep import run_sweep
from hwgen.fpga.sweep_config import DesignPoint, parse_config
from hwgen.results.store import ResultStore

SMALL_MAC = {"a": "int4", "b": "int4", "acc": "fixed", "terms": 4}
SMALL_MAC_ARGS = ["mac", "--a", "int4", "--b", "int4", "--terms", "4"]


def run_cli(argv, capsys):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


# --- the search, on a stub measurement ------------------------------------------------------------------


def stub(fmax_by_depth):
    measured = []

    def measure(depth):
        measured.append(depth)
        return fmax_by_depth[depth]

    return measure, measured


def test_the_search_stops_at_the_smallest_depth_that_meets_and_assumes_no_monotony():
    # Depth 3 is slower than 2: it is still measured, and 4 is the first to reach 150.
    measure, measured = stub({1: 100.0, 2: 140.0, 3: 130.0, 4: 160.0, 5: 170.0, 6: 90.0})
    search = search_pipeline(range(1, 7), measure, 150)
    assert measured == [1, 2, 3, 4]
    assert (search.chosen.pipeline, search.chosen.fmax_mhz, search.met) == (4, 160.0, True)
    assert [t.pipeline for t in search.trials] == [1, 2, 3, 4]


def test_a_request_met_exactly_is_met_and_the_first_depth_can_be_the_answer():
    measure, measured = stub({1: 150.0, 2: 200.0})
    search = search_pipeline(range(1, 3), measure, 150)
    assert (measured, search.chosen.pipeline, search.met) == ([1], 1, True)


def test_when_no_depth_meets_every_depth_is_measured_and_the_fastest_chosen():
    measure, measured = stub({1: 100.0, 2: 125.0, 3: 110.0, 4: 125.0})
    search = search_pipeline(range(1, 5), measure, 200)
    assert measured == [1, 2, 3, 4]
    assert (search.chosen.pipeline, search.chosen.fmax_mhz, search.met) == (2, 125.0, False)  # 2 before 4


def test_when_no_depth_meets_the_smallest_design_within_the_seed_noise_of_the_fastest_is_chosen():
    deep, shallow, slow = Candidate(7, (("acc_stages", 4),)), Candidate(5, (("acc_stages", 2),)), Candidate(4)
    rows = {deep: {"luts": 85, "ffs": 131, "dsps": 0}, shallow: {"luts": 73, "ffs": 71, "dsps": 0},
            slow: {"luts": 60, "ffs": 40, "dsps": 0}}
    assert fmax.NEAR_FASTEST == 0.02
    for fmax_by_candidate, chosen in (
            ({slow: 80.0, shallow: 87.89, deep: 88.39}, shallow),  # 0.6 % slower and smaller
            ({slow: 80.0, shallow: 86.00, deep: 88.39}, deep),  # 2.7 % slower: the fastest
            ({slow: 87.0, shallow: 87.89, deep: 88.39}, slow)):  # all three within 2 %: the smallest
        search = DepthSearch([slow, shallow, deep], 150)
        while (candidate := search.next_depth()) is not None:
            search.record(candidate, fmax_by_candidate[candidate], rows[candidate])
        assert not search.met and search.chosen.candidate == chosen
        assert fmax.fastest_trial(search.trials).candidate == deep


def test_the_stored_choice_is_keyed_by_the_rule_that_chose(monkeypatch):
    # fmax_choices keeps the first row of a key: the same cached trials under another margin are another
    # choice, not the old one
    search = FmaxSearch.of("mac", SMALL_MAC, FmaxRequest("ice40", 150))
    trial = fmax.Trial(Candidate(1), 90.0, {"key": "row1", "design": "mac_int4_fixed_k4_p1", "status": "ok"})
    choice = fmax.FmaxChoice(search, (trial,), trial)
    key = choice.store_row()["choice_key"]
    assert choice.store_row()["choice_key"] == key
    monkeypatch.setattr(fmax, "NEAR_FASTEST", 0.05)
    assert choice.store_row()["choice_key"] != key


def test_failed_depths_are_passed_over_and_all_failed_chooses_nothing():
    measure, measured = stub({1: None, 2: 90.0, 3: 180.0})
    search = search_pipeline(range(1, 4), measure, 150)
    assert (measured, search.chosen.pipeline) == ([1, 2, 3], 3)
    search = search_pipeline(range(1, 3), stub({1: None, 2: None})[0], 150)
    assert search.done and search.chosen is None and not search.met


def test_at_the_first_meeting_depth_the_smallest_placement_that_meets_is_chosen():
    plain, chain, split = Candidate(2), Candidate(2, (("acc_adder", "ccu2c"),)), Candidate(3)
    rows = {plain: {"luts": 40, "ffs": 20, "dsps": 1}, chain: {"luts": 21, "ffs": 20, "dsps": 1},
            split: {"luts": 5, "ffs": 5, "dsps": 0}}
    for fmax_by_candidate, chosen, measured in (
            ({plain: 160.0, chain: 155.0}, chain, [plain, chain]),  # both meet: the smaller
            ({plain: 160.0, chain: 140.0}, plain, [plain, chain]),  # only the larger meets
            ({plain: 140.0, chain: 150.0}, chain, [plain, chain])):  # the later one meets; depth 3 never
        search = DepthSearch([plain, chain, split], 150)
        while (candidate := search.next_depth()) is not None:
            search.record(candidate, fmax_by_candidate[candidate], rows[candidate])
        assert search.met and search.chosen.candidate == chosen
        assert [trial.candidate for trial in search.trials] == measured
    # fewer DSP blocks rank before fewer LUT + FF; asic rows rank by cell area
    assert area_rank({"luts": 90, "ffs": 9, "dsps": 0}) < area_rank({"luts": 4, "ffs": 25, "dsps": 2})
    assert area_rank({"area_um2": 10.0, "ffs": 99}) < area_rank({"area_um2": 11.0, "ffs": 1})


def test_the_search_can_be_driven_one_depth_at_a_time():
    search = DepthSearch(range(1, 4), 100)
    assert search.next_depth() == 1 and search.chosen is None
    with pytest.raises(ValueError, match=r"^the search measures pipeline 1 next, not 2$"):
        search.record(2, 50.0)
    search.record(1, 50.0)
    search.record(2, 101.0)
    assert search.done and search.next_depth() is None and search.chosen.pipeline == 2


# --- requests, depths, checks ---------------------------------------------------------------------------


def test_depth_ranges_come_from_the_specs():
    # past the last cut point a deeper MAC or MX dot only adds input registers: no depth to search
    assert pipeline_depths("mac") == range(1, 6)  # the most a MAC has: 4 cuts (fp8's aligner window)
    assert pipeline_depths("mxdot") == range(1, 7)
    assert pipeline_depths("systolic") == range(1, 4)
    assert pipeline_depths("nnlut") == range(1, 5)
    assert set(fmax.pipeline_units()) == {"mac", "systolic", "mxdot", "nnlut", "lut"}
    with pytest.raises(ValueError, match=r"^unit mul has no pipeline option; an Fmax applies to mac, "):
        pipeline_depths("mul")


def test_requests_measure_with_the_timing_tools_at_the_requested_clock():
    placed = FmaxRequest("ice40", 150)
    assert placed.flow == FlowSpec("ice40", dsp=True, pnr=True, freq_mhz=150.0)  # nextpnr aims at it
    assert placed.seed == 1 and placed.describe() == "150 MHz on ice40 (nextpnr-ice40, seed 1)"
    unplaced = FmaxRequest("ecp5", 90, dsp=False, seed=7)
    assert unplaced.flow == FlowSpec("ecp5", dsp=False, pnr=True, freq_mhz=90)
    cells = FmaxRequest("asic", 300)
    assert cells.flow == FlowSpec("asic", library="osu018", clock_ns=3.333)
    assert cells.seed is None and cells.describe() == "300 MHz on asic (osu018 at 3.333 ns, OpenSTA)"
    with pytest.raises(ValueError, match=r"^a cell library applies to the asic target, not ice40$"):
        FmaxRequest("ice40", 150, library="osu018")


def test_the_asic_period_is_rounded_down_to_whole_picoseconds():
    assert (clock_ns_for(300), clock_ns_for(150), clock_ns_for(400), clock_ns_for(100)) == (
        3.333, 6.666, 2.5, 10.0)
    assert all(1000 / clock_ns_for(mhz) >= mhz for mhz in (1, 7, 123.4, 300, 333.3, 999))


@pytest.mark.parametrize("value", [0, -5, "0", "abc", "nan", "inf", float("nan"), 10_000, True, None])
def test_a_bad_fmax_is_one_line(value):
    with pytest.raises(ValueError, match=r"^--fmax must be a frequency in MHz, a number greater than 0 and "
                                         r"below 10000, not "):
        check_fmax(value)


def test_targets_without_a_timing_tool_are_refused_naming_those_with_one():
    for target in ("ice40", "ecp5", "xc7", "asic"):
        assert check_fmax_target(target) == target
    with pytest.raises(ValueError, match=r"^--target gates has no timing tool to choose a pipeline depth for "
                                         r"an Fmax; use ice40 or ecp5 \(nextpnr .*\), xc7 \(an estimate .*\) "
                                         r"or asic \(OpenSTA\)$"):
        check_fmax_target("gates")


def test_an_xc7_request_is_an_estimate_with_no_seed_and_no_place_and_route():
    request = FmaxRequest("xc7", 250, seed=7)
    assert request.seed is None and request.flow == FlowSpec("xc7", dsp=True) and request.tool == "yosys"
    assert request.describe() == ("250 MHz on xc7 (estimate: Yosys xc7 cell timing + 0.5 ns per net, no "
                                  "place and route)")
    assert "no DSPs" in FmaxRequest("xc7", 250, dsp=False).describe()


def test_a_search_leaves_the_pipeline_out_and_builds_each_depth():
    one = FmaxSearch.of("mac", {**SMALL_MAC, "pipeline": 3}, FmaxRequest("ice40", 100))
    assert one == FmaxSearch.of("mac", {**SMALL_MAC, "pipeline": 1}, FmaxRequest("ice40", 100))
    point = one.point(2)
    assert point.unit == "mac" and point.options == {**SMALL_MAC, "mul": "exact", "pipeline": 2}


# --- the sweep TOML ---------------------------------------------------------------------------------------


def sweep(target_tables: dict, params: dict | None = None, *extra_units: dict, **unit) -> dict:
    mac = {"kind": "mac", "formats": ["int4", "fp4_e2m1"], "params": params or {"terms": 4}, **unit}
    return {"units": [mac, *extra_units], "targets": target_tables}


def test_fmax_in_a_target_table_makes_one_search_per_design_and_frequency():
    plan = parse_config(sweep({"ice40": {"fmax_mhz": [100, 150]}, "asic": {"fmax_mhz": 300}, "gates": {}},
                              {"terms": 4, "acc": ["fixed", "fp32"]}))
    assert plan.fmax == (FmaxRequest("ice40", 100), FmaxRequest("ice40", 150), FmaxRequest("asic", 300))
    assert plan.flows == (FlowSpec("gates"),)  # the plain points: every design on gates
    assert len(plan.fmax_searches()) == 4 * 3 and plan.points == 4
    assert {"nextpnr-ice40", "sta", "yosys"} <= plan.tools()


def test_units_without_a_pipeline_are_measured_at_the_requested_clock():
    plan = parse_config(sweep({"asic": {"fmax_mhz": 250}}, None, {"kind": "mul", "formats": ["int4"]}))
    mul = next(design for design in plan.designs if design.unit == "mul")
    assert plan.flows_for(mul) == (FlowSpec("asic", clock_ns=4.0),) and plan.fmax_for(mul) == ()
    mac = next(design for design in plan.designs if design.unit == "mac")
    assert plan.flows_for(mac) == () and plan.fmax_for(mac) == (FmaxRequest("asic", 250),)


def test_a_unit_limited_to_other_targets_is_not_searched_and_may_fix_its_pipeline():
    plan = parse_config(sweep({"ice40": {"fmax_mhz": 100}, "gates": {}}, {"terms": 4, "pipeline": 2},
                              targets=["gates"]))
    assert plan.fmax_searches() == () and plan.points == 2


def test_the_sweep_seed_of_a_search_is_the_first_seed():
    data = {**sweep({"ecp5": {"fmax_mhz": 100, "dsp": [True, False]}}), "sweep": {"seeds": [5, 2]}}
    assert parse_config(data).fmax == (FmaxRequest("ecp5", 100, dsp=True, seed=5),
                                       FmaxRequest("ecp5", 100, dsp=False, seed=5))


@pytest.mark.parametrize(("targets", "params", "message"), [
    ({"gates": {"fmax_mhz": 150}}, None,
     r"^targets\.gates\.fmax_mhz: gates has no timing tool to choose a pipeline depth for an Fmax; use it "
     r"on ice40 or ecp5 \(nextpnr Fmax after place and route\), xc7 \(an estimate .*\) or asic \(OpenSTA\)$"),
    ({"xc7": {"fmax_mhz": 150, "pnr": True}}, None,
     r"^unknown key 'targets\.xc7\.pnr'; allowed: dsp, fmax_mhz$"),
    ({"ice40": {"fmax_mhz": 0}}, None,
     r"^targets\.ice40\.fmax_mhz must be a frequency in MHz, a number greater than 0 and below 10000, "
     r"not 0$"),
    ({"ice40": {"fmax_mhz": "150"}}, None, r"^targets\.ice40\.fmax_mhz must be a frequency in MHz"),
    ({"ice40": {"fmax_mhz": []}}, None, r"^targets\.ice40\.fmax_mhz is an empty list$"),
    ({"ice40": {"fmax_mhz": 150, "freq_mhz": 100}}, None,
     r"^targets\.ice40: nextpnr aims at fmax_mhz; drop freq_mhz$"),
    ({"ice40": {"fmax_mhz": 150, "pnr": False}}, None,
     r"^targets\.ice40: fmax_mhz is measured after place and route; drop pnr = false$"),
    ({"asic": {"fmax_mhz": 300, "clock_ns": 3}}, None,
     r"^targets\.asic: fmax_mhz sets the clock \(1000 / MHz\); drop clock_ns$"),
    ({"asic": {"fmax_mhz": 300, "energy": True}}, None,
     r"^unknown key 'targets\.asic\.energy'; allowed: library, clock_ns, fmax_mhz$"),
    ({"ice40": {"fmax_mhz": 150}}, {"terms": 4, "pipeline": [1, 2]},
     r"^units\[0\]\.params\.pipeline: targets\.ice40\.fmax_mhz chooses the pipeline depth; drop pipeline, "
     r"or limit this unit to other targets with targets = \[\.\.\.\]$"),
])
def test_bad_fmax_tables_are_one_line(targets, params, message):
    with pytest.raises(ValueError, match=message):
        parse_config(sweep(targets, params))


# --- the command line: one-line errors, nothing written ----------------------------------------------------


@pytest.mark.parametrize(("argv", "message"), [
    (["--target", "ice40", "--fmax", "0"], "--fmax must be a frequency in MHz, a number greater than 0 and "
                                           "below 10000, not '0'"),
    (["--target", "ice40", "--fmax", "fast"], "--fmax must be a frequency in MHz"),
    (["--target", "asic", "--fmax", "-300"], "--fmax must be a frequency in MHz"),
    (["--target", "ice40", "--fmax", "150", "--pipeline", "2"], "--fmax chooses the pipeline depth; drop "
                                                                "--pipeline"),
    (["--target", "gates", "--fmax", "150"], "--target gates has no timing tool to choose a pipeline depth "
                                             "for an Fmax; use ice40 or ecp5"),
    (["--target", "xc7", "--fmax", "150", "--seed", "2"], "--seed is a nextpnr seed; xc7 has none"),
    (["--target", "xc7", "--fmax", "150", "--pnr"], "--pnr: place and route is available for ice40, ecp5, "
                                                    "not xc7"),
    (["--target", "ice40", "--fmax", "150", "--freq", "100"], "--freq: with --fmax nextpnr aims at"),
    (["--target", "asic", "--fmax", "150", "--clock-ns", "5"], "--clock-ns: with --fmax the asic clock"),
    (["--target", "ice40", "--fmax", "150", "--seed", "1", "--seed", "2"],
     "--seed: --fmax searches with one"),
])
def test_synth_fmax_errors_are_one_line_exit_2_and_write_nothing(argv, message, capsys, tmp_path,
                                                                  monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, out, err = run_cli(["synth", *SMALL_MAC_ARGS, *argv, "--store", tmp_path / "s.sqlite"], capsys)
    assert code == 2 and out == ""
    assert err.startswith(f"hwgen synth: error: {message}") and err.count("\n") == 1
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(("argv", "message"), [
    (["--fmax", "150"], "--fmax needs --target: ice40 or ecp5 (nextpnr Fmax after place and route), xc7 "
                        "(an estimate"),
    (["--target", "ice40"], "--target needs --fmax"),
    (["--store", "s.sqlite"], "--store needs --fmax"),
    (["--fmax", "nan", "--target", "ice40"], "--fmax must be a frequency in MHz"),
    (["--fmax", "150", "--target", "gates"], "--target gates has no timing tool"),
    (["--fmax", "150", "--target", "asic", "--pipeline", "1"], "--fmax chooses the pipeline depth"),
])
def test_generate_fmax_errors_are_one_line_exit_2_and_write_nothing(argv, message, capsys, tmp_path,
                                                                     monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, out, err = run_cli(["generate", *SMALL_MAC_ARGS, *argv, "--out", "out"], capsys)
    assert code == 2 and out == ""
    assert err.startswith(f"hwgen generate: error: {message}") and err.count("\n") == 1
    assert list(tmp_path.iterdir()) == []


def test_without_fmax_generate_and_synth_keep_the_spec_default_pipeline(capsys, tmp_path):
    code, out, _ = run_cli(["generate", *SMALL_MAC_ARGS, "--out", tmp_path], capsys)
    assert code == 0 and "latency 3" in out  # MacSpec's default depth
    manifest = json.loads((tmp_path / "mac_int4_fixed_k4.json").read_text())
    assert manifest["latency"] == 3 and "fmax" not in manifest


# --- real searches ------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def store_path(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("fmax") / "fmax.sqlite"


def search_once(store_path, request):
    with ResultStore(store_path) as store:
        run = run_searches([FmaxSearch.of("mac", SMALL_MAC, request)], store, executor=InlineExecutor(),
                           work_root=store_path.parent / "work", timeout_s=600)
        return run, store.fmax_choices(), {row["key"]: row for row in store.rows()}


def check_choice(run, choices, rows, request):
    (choice,) = run.choices
    assert choice.chosen is not None and choice.failed == 0
    trials = choice.trials
    depths = [t.pipeline for t in trials]  # a depth with several placements appears once for each
    assert depths == sorted(depths) and set(depths) == set(range(1, depths[-1] + 1))
    # the first depth that meets is chosen (the last depth tried); every one before it was measured and missed
    meeting = [t for t in trials if t.fmax_mhz >= request.fmax_mhz]
    assert choice.met == bool(meeting)
    if choice.met:
        assert {t.pipeline for t in meeting} == {depths[-1]} and choice.chosen in meeting
    # every depth tried is an ordinary row of the store, the choice names the chosen one
    assert {t.row["key"] for t in trials} <= set(rows)
    stored = next(c for c in choices if c["result_key"] == choice.row["key"])
    assert (stored["pipeline"], stored["met"], stored["requested_mhz"]) == (
        choice.pipeline, int(choice.met), request.fmax_mhz)
    assert [t["pipeline"] for t in json.loads(stored["tried"])] == [t.pipeline for t in trials]
    return choice


@pytest.mark.tools
def test_an_ice40_search_is_cached_and_its_points_are_ordinary(store_path, capsys):
    request = FmaxRequest("ice40", 40)  # the small MAC places well above 40 MHz: one depth
    first, choices, rows = search_once(store_path, request)
    choice = check_choice(first, choices, rows, request)
    assert first.computed == len(first.keys) and first.cached == 0
    row = choice.row
    assert (row["target"], row["pnr"], row["seed"], row["pnr_freq_mhz"]) == ("ice40", 1, 1, 40.0)
    assert row["fmax_mhz"] == choice.achieved_mhz and row["luts"] > 0

    again, choices_again, _ = search_once(store_path, request)
    assert (again.cached, again.computed) == (len(first.keys), 0) and again.keys == first.keys
    assert again.choices[0].trials == choice.trials and choices_again == choices  # no second choice row

    # the chosen point is the point `hwgen synth --pnr --freq` of that depth finds in the store
    code, out, _ = run_cli(["synth", *SMALL_MAC_ARGS, "--pipeline", choice.pipeline, "--target", "ice40",
                            "--pnr", "--freq", 40, "--store", store_path], capsys)
    assert code == 0 and "(1 of 1 from the store" in out

    # a sweep with two seeds: the search (seed 1) is found in the store, the choice is placed with seed 2
    config = parse_config({"sweep": {"seeds": [1, 2]}, "units": [{"kind": "mac", "formats": ["int4"],
                                                                 "params": {"terms": 4}}],
                           "targets": {"ice40": {"fmax_mhz": 40}}})
    with ResultStore(store_path) as store:
        summary = run_sweep(config, store, executor=InlineExecutor(), work_root=store_path.parent / "work")
        placed = {row["seed"]: row for row in store.rows(f"WHERE design = '{row['design']}'")
                  if row["pnr_freq_mhz"] == 40}
    assert (summary.cached, summary.computed, summary.failed) == (len(first.keys), 1, 0)
    assert [c.pipeline for c in summary.fmax] == [choice.pipeline] and set(placed) == {1, 2}


@pytest.mark.tools
def test_an_asic_search_from_the_command_line_is_cached_and_recorded_by_generate(store_path, capsys,
                                                                                 tmp_path):
    argv = ["synth", *SMALL_MAC_ARGS, "--target", "asic", "--fmax", 400, "--store", store_path]
    code, out, _ = run_cli(argv, capsys)
    assert code == 0
    lines = out.splitlines()
    heading = "fmax 400 MHz on asic (osu018 at 2.5 ns, OpenSTA): "
    index = next(i for i, line in enumerate(lines) if line.startswith(heading))
    assert ("(met: true)" in lines[index] or "(met: false)" in lines[index]) and " um2, " in lines[index]
    assert lines[index + 1].startswith("  tried pipeline 1: ")
    assert "from the store" not in out

    code, again, _ = run_cli(argv, capsys)
    tried = sum(1 for line in again.splitlines() if line.startswith("mac_int4_fixed_k4"))
    assert code == 0 and f"({tried} of {tried} points from the store {store_path})" in again

    request = FmaxRequest("asic", 400)
    run, choices, rows = search_once(store_path, request)
    choice = check_choice(run, choices, rows, request)
    assert run.computed == 0
    assert choice.row["clock_ns"] == 2.5 and choice.achieved_mhz == choice.row["asic_fmax_mhz"]

    # generate --fmax: the same search, all cache hits, and the manifest records both frequencies
    code, out, _ = run_cli(["generate", *SMALL_MAC_ARGS, "--target", "asic", "--fmax", 400, "--store",
                            store_path, "--out", tmp_path], capsys)
    assert code == 0 and f"({tried} of {tried} points from the store" in out
    name = choice.row["design"]
    manifest = json.loads((tmp_path / f"{name}.json").read_text())
    recorded = manifest["fmax"]
    assert (recorded["target"], recorded["requested_mhz"], recorded["achieved_mhz"], recorded["met"]) == (
        "asic", 400.0, choice.achieved_mhz, choice.met)
    assert recorded["pipeline"] == manifest["latency"] == choice.pipeline
    assert recorded["measured_verilog_sha256"] == manifest["sha256"]  # the Verilog that was measured
    assert [t["pipeline"] for t in recorded["tried"]] == [t.pipeline for t in choice.trials]
    assert recorded["area"]["area_um2"] == choice.row["area_um2"]

    # a sweep with the same request finds every point in the store and reports the same choice
    config = parse_config({"units": [{"kind": "mac", "formats": ["int4"], "params": {"terms": 4}}],
                           "targets": {"asic": {"fmax_mhz": 400}}})
    with ResultStore(store_path) as store:
        summary = run_sweep(config, store, executor=InlineExecutor(), work_root=store_path.parent / "work")
    assert summary.computed == 0 and summary.cached == tried
    assert [c.pipeline for c in summary.fmax] == [choice.pipeline]
    assert summary.fmax[0].point == DesignPoint("mac", choice.row["config"])  # its placement included


@pytest.mark.tools
def test_an_xc7_search_is_an_estimate_everywhere_it_is_shown(store_path, capsys, tmp_path):
    argv = ["synth", *SMALL_MAC_ARGS, "--target", "xc7", "--fmax", 250, "--store", store_path]
    code, out, _ = run_cli(argv, capsys)
    assert code == 0 and "Fmax MHz (xc7 estimate)" in out
    heading = ("fmax 250 MHz on xc7 (estimate: Yosys xc7 cell timing + 0.5 ns per net, no place and "
               "route): ")
    assert any(line.startswith(heading) for line in out.splitlines())

    request = FmaxRequest("xc7", 250)
    run, choices, rows = search_once(store_path, request)
    choice = check_choice(run, choices, rows, request)
    assert run.computed == 0
    row = choice.row
    assert (row["target"], row["pnr"], row["seed"], row["fmax_mhz"]) == ("xc7", 0, None, None)
    assert choice.achieved_mhz == row["fmax_estimate_mhz"] > 0

    code, out, _ = run_cli(["generate", *SMALL_MAC_ARGS, "--target", "xc7", "--fmax", 250, "--store",
                            store_path, "--out", tmp_path], capsys)
    assert code == 0 and "points from the store" in out
    recorded = json.loads((tmp_path / f"{row['design']}.json").read_text())["fmax"]
    assert (recorded["target"], recorded["achieved_mhz"], recorded["seed"]) == ("xc7", choice.achieved_mhz,
                                                                                 None)
    assert recorded["timing"].startswith("xc7 estimate v") and recorded["timing"].endswith("not measured")
    assert recorded["critical_path"] == row["estimate_critical_path"]
    assert recorded["tools"].keys() == {"yosys"}


def test_an_xc7_fmax_table_is_one_search_per_dsp_value():
    plan = parse_config(sweep({"xc7": {"fmax_mhz": 250, "dsp": [True, False]}}))
    assert plan.fmax == (FmaxRequest("xc7", 250, dsp=True), FmaxRequest("xc7", 250, dsp=False))
    assert plan.tools() == {"yosys"}
