"""The MAC testbench: harness generation, stimulus, and bit-exact checks of hand-written fixture MACs.

The fixtures (tests/fixtures/mac_int8_fixture.v) obey the MAC contract: one is correct, one keeps
summing across dot products, one loses items under backpressure only. Generated units are checked by
tests/test_mac_cocotb.py.
"""

import hashlib
import json
import os
import shutil
from pathlib import Path

import numpy as np
import pytest

from hwgen.cli._verify_options import RUNNER_CHOICES
from hwgen.golden import decode
from hwgen.sim.direct import RUNNERS, run_direct
from hwgen.sim.engine import Job, verify_batch
from hwgen.sim.mac_stimulus import exhaustive_pairs, join_vectors, random_dot_products
from hwgen.sim.runner import SIMULATORS, SimulationError
from hwgen.sim.simulation import simulate, write_lint_waiver
from hwgen.sim.stream_harness import write_batch_top, write_harness
from hwgen.sim.stream_manifest import Field, load_manifest
from hwgen.sim.stream_memory import GAP_BITS, HarnessOutput, harness_files, read_hex_words, write_items
from hwgen.sim.verdict import compare, field_values
from hwgen.sim.verify_mac import MAC, mac_interface, verify_mac, verify_mac_naive

FIXTURES = Path(__file__).parent / "fixtures"
GOOD = FIXTURES / "mac_int8_fixture.json"
NO_RESTART = FIXTURES / "mac_int8_fixture_no_restart.json"
STALL_BUG = FIXTURES / "mac_int8_fixture_stall_bug.json"


@pytest.fixture(scope="module")
def builds(tmp_path_factory):
    """One build folder per unit, shared by this module's tests (verify_mac nests one per simulator)."""
    return tmp_path_factory.mktemp("mac_builds")


def good_manifest() -> dict:
    return json.loads(GOOD.read_text())


def good_unit():
    return mac_interface(good_manifest())


def write_mac_items(folder: Path, a_codes, b_codes, last, **options):
    return write_items(good_unit(), folder, {"a": a_codes, "b": b_codes, "last": last}, **options)


# -- harness and stimulus, no simulator --------------------------------------------------------------


def test_harness_binds_the_manifest(tmp_path):
    harness = tmp_path / "harness.v"
    assert write_harness(good_unit(), harness) == "mac_int8_fixture_harness"
    text = harness.read_text()
    assert "mac_int8_fixture dut (" in text
    for port in ("i__valid", "i__ready", "i__payload", "o__valid", "o__ready", "o__payload"):
        assert f".{port}(" in text
    assert "if (word[16]) expected <= expected" in text  # i.last at offset 16
    assert f'$readmemh("{harness_files(tmp_path).items}", items);' in text


def test_harness_is_rewritten_only_when_it_changes(tmp_path):
    harness = tmp_path / "harness.v"
    write_harness(good_unit(), harness)
    os.utime(harness, (1, 1))
    write_harness(good_unit(), harness)
    assert harness.stat().st_mtime == 1  # the simulator's build stays up to date
    write_harness(good_unit(), harness, depth=1 << 18)
    assert harness.stat().st_mtime > 1


def test_harness_result_memory_can_be_smaller(tmp_path):
    harness = tmp_path / "harness.v"
    write_harness(good_unit(), harness, depth=1 << 10, results_depth=1 << 4, name="lane_3")
    text = harness.read_text()
    assert "module lane_3 (" in text and "results [0:15];" in text and "items [0:1023];" in text
    assert "received[4]) finishing" in text and "results[received[3:0]] <= out_payload" in text
    with pytest.raises(ValueError, match="harness results depth 2048 exceeds its depth 1024"):
        write_harness(good_unit(), harness, depth=1 << 10, results_depth=1 << 11)
    with pytest.raises(ValueError, match="module name must be a Verilog identifier"):
        write_harness(good_unit(), harness, name="two words")


def test_batch_top_runs_every_harness_and_waits_for_all(tmp_path):
    assert write_batch_top(["a_harness", "b_harness"], tmp_path / "top.v", name="both") == "both"
    text = (tmp_path / "top.v").read_text()
    assert "module both (" in text and "wire [1:0] lane_done;" in text
    assert "    a_harness lane0 (.clk(clk), .rst(rst), .halt(halt), .done(lane_done[0]));" in text
    assert "b_harness lane1 (" in text and "assign done = &lane_done;" in text


def test_lint_waiver_covers_every_unit_and_publishes_the_top(tmp_path):
    units = [tmp_path.resolve() / "a.v", tmp_path.resolve() / "b.v"]
    text = write_lint_waiver(units, tmp_path, public="top").read_text()
    assert text.splitlines() == ["`verilator_config", *(f'lint_off -file "{unit}"' for unit in units),
                                 'public_flat_rw -module "top" -var "*"']


def test_batch_rejects_module_name_clashes(tmp_path):
    job = Job(GOOD, random_dot_products("int8", "int8", 3))
    with pytest.raises(ValueError, match="module names used twice in the batch: mac_int8_fixture"):
        verify_batch(MAC, [job], simulator="icarus", build_dir=tmp_path, top="mac_int8_fixture")
    with pytest.raises(ValueError, match="a batch needs at least one job"):
        verify_batch(MAC, [], simulator="icarus", build_dir=tmp_path)


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda m: m["streams"]["i"]["fields"].pop("last"),
         "stream i of mac_int8_fixture has no field 'last'"),
        (lambda m: m["ports"][3].update(dir="in"),
         "port i__ready of mac_int8_fixture must be 'out', not 'in'"),
        (lambda m: m["ports"].append({"name": "irq", "dir": "out", "width": 1}),
         "mac_int8_fixture has ports the stream contract does not know: irq"),
        (lambda m: m["streams"]["o"]["fields"]["acc"].update(width=30),
         r"field o.acc \(bits 0\+30\) does not fit the 27-bit payload"),
    ],
    ids=["missing-field", "wrong-direction", "unknown-port", "field-outside-payload"],
)
def test_interface_rejects_inconsistent_manifests(edit, message):
    manifest = good_manifest()
    edit(manifest)
    with pytest.raises(ValueError, match=message):
        mac_interface(manifest)


def test_stale_manifest_is_rejected(tmp_path):
    shutil.copy(FIXTURES / "mac_int8_fixture.v", tmp_path)
    manifest = good_manifest()
    manifest["sha256"] = "0" * 64
    (tmp_path / "unit.json").write_text(json.dumps(manifest))
    with pytest.raises(ValueError, match=r"unit\.json describes a different mac_int8_fixture\.v"):
        load_manifest(tmp_path / "unit.json")


def test_unreadable_manifest_or_verilog_is_one_line(tmp_path):
    with pytest.raises(ValueError, match=r"^cannot read the manifest .*missing\.json: No such file"):
        load_manifest(tmp_path / "missing.json")
    (tmp_path / "unit.json").write_text(json.dumps(good_manifest()))  # its Verilog is not next to it
    with pytest.raises(ValueError, match=r"^cannot read the Verilog file .*fixture\.v: No such file"):
        load_manifest(tmp_path / "unit.json")


def test_vector_words_hold_fields_at_manifest_offsets(tmp_path):
    written = write_mac_items(tmp_path, [0x12, 0xFF], [0x80, 0x01], [False, True])
    assert (written.items, written.outputs, written.idle_cycles, written.stall_fraction) == (2, 1, 0, 0.0)
    words, known = read_hex_words(harness_files(tmp_path).items)
    assert words.tolist() == [0x8012, 0x1_01FF, 1 << (17 + GAP_BITS)]  # a | b << 8 | last << 16, then stop
    assert known.all()


def test_idle_gaps_and_stalls_follow_their_rates(tmp_path):
    count = 20_000
    written = write_mac_items(tmp_path, np.zeros(count, int), np.zeros(count, int), np.ones(count, bool),
                              idle_rate=0.25, stall_rate=0.4, seed=1)
    idle_share = written.idle_cycles / (written.idle_cycles + count)
    assert idle_share == pytest.approx(0.25, abs=0.02)
    assert written.stall_fraction == pytest.approx(0.4, abs=0.06)
    gaps = read_hex_words(harness_files(tmp_path).items)[0][:-1] >> 17 & 15
    assert gaps.max() == 15


def test_items_must_fit_their_fields_and_end_a_dot_product(tmp_path):
    with pytest.raises(ValueError, match=r"a codes must fit the 8-bit field i\.a"):
        write_mac_items(tmp_path, [256], [0], [True])
    with pytest.raises(ValueError, match="the last item must have last set"):
        write_mac_items(tmp_path, [1], [0], [False])
    with pytest.raises(ValueError, match=r"stall_rate must be at least 0 and below 1, not 1\.0"):
        write_mac_items(tmp_path, [1], [0], [True], stall_rate=1.0)
    with pytest.raises(ValueError, match="a codes, b codes and last flags must be 1-D and equally long"):
        verify_mac(GOOD, simulator="icarus", a_codes=[1, 2], b_codes=[1], last=[True], build_dir=tmp_path)
    with pytest.raises(ValueError, match="the last one must have last set"):
        verify_mac(GOOD, simulator="icarus", a_codes=[1], b_codes=[1], last=[False], build_dir=tmp_path)


class LaneJudge:
    """A judge whose golden outputs are rows of two lanes."""

    def __init__(self, lanes):
        self.expected = {"y": np.array([[1, 2], [3, 4]])}
        self._lanes = lanes

    def actual(self, payloads):
        return {"y": field_values(payloads, Field(0, 8), lanes=self._lanes)}

    def describe(self, index, expected, actual):
        return f"output {index}"


def test_compare_counts_wrong_unknown_missing_and_extra_outputs():
    def output(words, known):
        return HarnessOutput(0, 0, 0, False, 0, np.array(words, dtype=np.int64), np.array(known, dtype=bool))

    assert compare(LaneJudge(2), output([0x21, 0x43], [True, True])).mismatches == 0
    wrong_lane = compare(LaneJudge(2), output([0x21, 0x53], [True, True]))
    assert (wrong_lane.outputs, wrong_lane.mismatches, wrong_lane.shown) == (2, 1, ("output 1",))
    assert compare(LaneJudge(2), output([0x21, 0x43], [True, False])).mismatches == 1  # unknown bits
    assert compare(LaneJudge(2), output([0x21], [True])).mismatches == 1  # missing
    assert compare(LaneJudge(2), output([0x21, 0x43, 0x00], [True] * 3)).mismatches == 1  # extra
    # One value per output against rows of lanes would broadcast into a wrong verdict: refused.
    with pytest.raises(ValueError, match=r"output field y: the unit's values have shape \(2,\), the golden"):
        compare(LaneJudge(None), output([0x21, 0x43], [True, True]))


@pytest.mark.parametrize(
    "text",
    ["// 0x00000000\n1f\nxx\n0a\n", "1f\nxZ\n@2\n0A\n", "1f\nx\n00a\n", f"1f\nxx\n{10:040x}\n"],
    ids=["icarus-comment", "address-line", "ragged", "wide"],
)
def test_hex_reader_marks_unknown_bits(tmp_path, text):
    path = tmp_path / "results.hex"
    path.write_text(text)
    words, known = read_hex_words(path)
    assert words.tolist() == [0x1F, 0, 0x0A] and known.tolist() == [True, False, True]


def test_exhaustive_pairs_cover_every_pair_once():
    a, b, last = exhaustive_pairs("fp8_e4m3fn", "int8")
    assert len(a) == 65_536 and last.all()
    assert len(set(zip(a.tolist(), b.tolist(), strict=True))) == 65_536


def test_joined_streams_keep_their_order():
    pairs, dots = exhaustive_pairs("int4", "int4"), random_dot_products("int4", "int4", 10, seed=1)
    joined = join_vectors(pairs, dots)
    assert len(joined.last) == 256 + len(dots.last) and joined.last.sum() == 266
    assert joined.a_codes[:256].tolist() == pairs.a_codes.tolist()
    assert joined.b_codes[256:].tolist() == dots.b_codes.tolist()


def test_random_dot_products_reach_the_format_edges():
    a, b, last = random_dot_products("fp8_e4m3fn", "fp8_e4m3fn", 2000, seed=3)
    lengths = np.diff(np.concatenate(([-1], np.flatnonzero(last))))
    assert last.sum() == 2000 and lengths.min() == 1 and lengths.max() == 64
    values = decode("fp8_e4m3fn", np.concatenate((a, b)))
    codes = np.concatenate((a, b))
    kinds = {"nan": np.isnan(values), "+0": codes == 0x00, "-0": codes == 0x80, "max": np.abs(values) == 448,
             "subnormal": (values != 0) & (np.abs(values) < 2.0**-6)}
    for name, mask in kinds.items():
        assert mask.mean() > 0.01, name


# -- simulations ---------------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.tools
@pytest.mark.parametrize("simulator", SIMULATORS)
def test_fixture_passes_every_pair(simulator, builds):
    report = verify_mac(GOOD, simulator=simulator, **exhaustive_pairs("int8", "int8")._asdict(),
                        build_dir=builds / "good")
    assert report.ok, report.summary()
    assert (report.vectors, report.dot_products, report.mismatches) == (65_536, 65_536, 0)
    assert report.cycles >= 65_536


@pytest.mark.slow
@pytest.mark.tools
@pytest.mark.parametrize("simulator", SIMULATORS)
def test_fixture_passes_random_dot_products_with_idle_and_backpressure(simulator, builds):
    vectors = random_dot_products("int8", "int8", 2000, seed=7)
    report = verify_mac(GOOD, simulator=simulator, **vectors._asdict(), idle_rate=0.25, stall_rate=0.35,
                        seed=7, build_dir=builds / "good")
    assert report.ok, report.summary()
    assert report.dot_products == 2000 and report.vectors == len(vectors.last)
    assert report.cycles > 1.3 * report.vectors  # a quarter of the input cycles were idle


@pytest.mark.slow
@pytest.mark.tools
@pytest.mark.parametrize("simulator", SIMULATORS)
def test_broken_fixture_is_caught(simulator, builds):
    report = verify_mac(NO_RESTART, simulator=simulator, **random_dot_products("int8", "int8", 200)._asdict(),
                        build_dir=builds / "no_restart")
    assert not report.ok
    assert report.mismatches > 100  # every dot product after the first starts from a stale sum
    assert len(report.first_mismatches) == 5
    assert report.first_mismatches[0].startswith("dot product 1 (items ")
    assert "expected acc 0x" in report.first_mismatches[0] and "got acc 0x" in report.first_mismatches[0]
    assert report.first_mismatches[0] in report.summary()


# One simulator suffices: what is tested is the harness's stall pattern, and Verilator would add a
# 20 s compile.
@pytest.mark.slow
@pytest.mark.tools
def test_backpressure_bug_is_caught_only_under_backpressure(builds):
    vectors = random_dot_products("int8", "int8", 200, seed=2)._asdict()
    calm = verify_mac(STALL_BUG, simulator="icarus", **vectors, build_dir=builds / "stall_bug")
    assert calm.ok, calm.summary()
    stalled = verify_mac(STALL_BUG, simulator="icarus", **vectors, stall_rate=0.3,
                         build_dir=builds / "stall_bug")
    assert not stalled.ok and stalled.mismatches > 0
    assert stalled.timed_out  # lost items took their last flags with them: outputs never came


# Wrappers around the good fixture that break the stream contract in ways a wrong sum cannot show.
WRAPPER = """
module {name} (clk, rst, i__valid, i__ready, i__payload, o__valid, o__ready, o__payload);
  input clk; input rst; input i__valid; output i__ready; input [16:0] i__payload;
  output o__valid; input o__ready; output [26:0] o__payload;
  wire [26:0] sum;
  reg flip;
  always @(posedge clk) flip <= rst ? 1'b0 : !flip;
  mac_int8_fixture inner (.clk(clk), .rst(rst), .i__valid(i__valid), .i__ready(i__ready),
    .i__payload({{{last}, i__payload[15:0]}}), .o__valid(o__valid), .o__ready(o__ready), .o__payload(sum));
  assign o__payload = {payload};
endmodule
"""
CONTRACT_BREAKERS = {
    # The right sums, but a refused output changes while it waits: a protocol error, not a mismatch.
    "mac_restless": {"last": "i__payload[16]", "payload": "(o__valid && !o__ready && flip) ? ~sum : sum"},
    # Every item ends a dot product: more outputs than owed, which the drain must catch.
    "mac_chatty": {"last": "1'b1", "payload": "sum"},
}


def fixture_variant(folder: Path, name: str, extra_verilog: str) -> Path:
    """The good fixture's Verilog followed by *extra_verilog*, with a manifest for its module
    *name* (the fixture's own, or a wrapper's defined in the extra text), written into *folder*."""
    verilog = folder / f"{name}.v"
    verilog.write_text((FIXTURES / "mac_int8_fixture.v").read_text() + extra_verilog)
    manifest = good_manifest()
    manifest.update(module=name, verilog=verilog.name,
                    sha256=hashlib.sha256(verilog.read_bytes()).hexdigest())
    path = folder / f"{name}.json"
    path.write_text(json.dumps(manifest))
    return path


def contract_breaker(name: str, folder: Path) -> Path:
    """A manifest for the wrapper *name* of :data:`CONTRACT_BREAKERS`, written into *folder*."""
    return fixture_variant(folder, name, WRAPPER.format(name=name, **CONTRACT_BREAKERS[name]))


@pytest.mark.slow
@pytest.mark.tools
@pytest.mark.parametrize("simulator", SIMULATORS)
def test_changing_a_refused_output_is_a_protocol_error(simulator, tmp_path):
    vectors = random_dot_products("int8", "int8", 300, seed=5)._asdict()
    unit = contract_breaker("mac_restless", tmp_path)
    calm = verify_mac(unit, simulator=simulator, **vectors, build_dir=tmp_path / "build")
    assert calm.ok, calm.summary()  # never refused, never changed
    stalled = verify_mac(unit, simulator=simulator, **vectors, stall_rate=0.4, seed=5,
                         build_dir=tmp_path / "build")
    assert not stalled.ok and stalled.mismatches == 0 and not stalled.timed_out
    assert stalled.protocol_errors > 10
    assert f"{stalled.protocol_errors} stream protocol errors" in stalled.summary()


@pytest.mark.slow
@pytest.mark.tools
def test_outputs_beyond_those_owed_are_caught(tmp_path):
    vectors = random_dot_products("int8", "int8", 100, seed=6)
    unit = contract_breaker("mac_chatty", tmp_path)
    report = verify_mac(unit, simulator="icarus", **vectors._asdict(), build_dir=tmp_path / "build")
    items = len(vectors.last)
    assert items > 150 and report.dot_products == 100 and not report.ok and not report.timed_out
    # Output k of the chatty unit is item k's product alone. The harness keeps capturing past the
    # 100 owed outputs until it has drained, so all of them arrive: each one past the hundredth is
    # an extra, and an owed one is wrong unless its dot product equals item k's product.
    a = [int(code) - 256 * (int(code) >= 128) for code in vectors.a_codes]
    b = [int(code) - 256 * (int(code) >= 128) for code in vectors.b_codes]
    ends = np.flatnonzero(vectors.last).tolist()
    starts = [0, *(end + 1 for end in ends[:-1])]
    dots = [sum(a[k] * b[k] for k in range(start, end + 1)) for start, end in zip(starts, ends, strict=True)]
    wrong = sum(dots[k] != a[k] * b[k] for k in range(100))
    assert report.mismatches == wrong + items - 100


@pytest.mark.slow
@pytest.mark.tools
def test_naive_driver_checks_the_same_way(builds):
    vectors = random_dot_products("int8", "int8", 50, seed=4)._asdict()
    assert verify_mac_naive(GOOD, simulator="icarus", **vectors, build_dir=builds / "good").ok
    broken = verify_mac_naive(NO_RESTART, simulator="icarus", **vectors, build_dir=builds / "no_restart")
    assert broken.mismatches > 0 and broken.driver == "naive"


@pytest.mark.slow
@pytest.mark.tools
@pytest.mark.parametrize("runner", RUNNERS)
def test_batch_gives_every_job_its_own_verdict(runner, builds):
    """One Icarus build: the good fixture twice, and both broken ones (the stall bug hangs the batch)."""
    dots = random_dot_products("int8", "int8", 300, seed=8)
    jobs = [Job(GOOD, join_vectors(exhaustive_pairs("int8", "int8"), dots), idle_rate=0.2, stall_rate=0.3,
                seed=1),
            Job(GOOD, dots, seed=2),
            Job(NO_RESTART, dots),
            Job(STALL_BUG, dots, stall_rate=0.3, seed=3)]
    reports = verify_batch(MAC, jobs, simulator="icarus", build_dir=builds / f"batch_{runner}", runner=runner)
    good, good_again, no_restart, stall_bug = reports
    assert good.ok and good_again.ok, good.summary() + good_again.summary()
    assert good.dot_products == 65_836 and good_again.dot_products == 300
    assert no_restart.mismatches > 250 and not no_restart.timed_out
    assert stall_bug.timed_out and stall_bug.mismatches > 0
    assert good.build_seconds == stall_bug.build_seconds  # one build


# -- the direct runner: the same harness without cocotb ------------------------------------------------


def test_unknown_runner_or_a_direct_naive_run_is_refused(tmp_path):
    vectors = random_dot_products("int8", "int8", 3, seed=1)._asdict()
    with pytest.raises(ValueError, match="runner must be one of cocotb, direct, not 'fast'"):
        verify_mac(GOOD, simulator="icarus", **vectors, build_dir=tmp_path, runner="fast")
    assert not (tmp_path / "icarus").exists()  # refused before any file was written
    with pytest.raises(ValueError, match="the direct runner only runs harnesses"):
        simulate(units=[], harnesses=[], toplevel="mac_int8_fixture", simulator="icarus", folder=tmp_path,
                 testcase="drive_naive", timeout_cycles=10, runner="direct")


def harness_outputs(folder: Path) -> tuple[bytes, dict]:
    files = harness_files(folder)
    return files.results.read_bytes(), json.loads(files.summary.read_text())


@pytest.mark.slow
@pytest.mark.tools
@pytest.mark.parametrize("simulator", SIMULATORS)
def test_direct_runner_gives_the_cocotb_runs_outputs(simulator, builds):
    """Same vectors, idle gaps and stalls: the harness must write the same bytes whoever drives it."""
    vectors = random_dot_products("int8", "int8", 500, seed=9)._asdict()
    options = dict(simulator=simulator, **vectors, idle_rate=0.25, stall_rate=0.35, seed=9,
                   build_dir=builds / "good_runners")
    folder = builds / "good_runners" / simulator / "harness"
    by_cocotb = verify_mac(GOOD, **options)
    cocotb_outputs = harness_outputs(folder)
    direct = verify_mac(GOOD, **options, runner="direct")
    assert by_cocotb.ok and direct.ok, by_cocotb.summary() + direct.summary()
    assert harness_outputs(folder) == cocotb_outputs
    assert direct.cycles == by_cocotb.cycles > 1.3 * direct.vectors
    # Too few cycles: halted, and what arrived is reported, as under cocotb.
    cut = verify_mac(GOOD, **{**options, "timeout_cycles": 300}, runner="direct")
    assert cut.timed_out and not cut.ok and 0 < cut.cycles <= 300 + 2
    assert cut.mismatches == cut.dot_products - harness_outputs(folder)[1]["outputs_received"]


@pytest.mark.slow
@pytest.mark.tools
def test_direct_runner_catches_what_cocotb_catches(tmp_path):
    vectors = random_dot_products("int8", "int8", 200, seed=3)._asdict()
    for unit, options in ((NO_RESTART, {}), (contract_breaker("mac_restless", tmp_path), {"stall_rate": 0.4}),
                          (STALL_BUG, {"stall_rate": 0.3})):
        reports = [verify_mac(unit, simulator="icarus", **vectors, **options, seed=3,
                              build_dir=tmp_path / unit.stem, runner=runner)
                   for runner in ("cocotb", "direct")]
        verdicts = [(r.mismatches, r.protocol_errors, r.timed_out, r.first_mismatches) for r in reports]
        assert not reports[1].ok and verdicts[0] == verdicts[1], unit.stem


@pytest.mark.tools
def test_direct_build_is_reused_until_its_sources_change(tmp_path):
    vectors = random_dot_products("int8", "int8", 20, seed=2)._asdict()
    unit = fixture_variant(tmp_path, "mac_int8_fixture", "// first\n")
    first = verify_mac(unit, simulator="icarus", **vectors, build_dir=tmp_path / "build", runner="direct")
    model = tmp_path / "build" / "icarus" / "harness" / "direct" / "sim.vvp"
    os.utime(model, (1, 1))
    again = verify_mac(unit, simulator="icarus", **vectors, build_dir=tmp_path / "build", runner="direct")
    assert first.ok and again.ok and model.stat().st_mtime == 1
    unit = fixture_variant(tmp_path, "mac_int8_fixture", "// changed\n")
    assert verify_mac(unit, simulator="icarus", **vectors, build_dir=tmp_path / "build", runner="direct").ok
    assert model.stat().st_mtime > 1


DRIVER_FAILURES = {
    # A toplevel that does not compile: the build's log is named.
    "build": ("assign done = ;",
              r"{simulator} could not build the direct driver \(exit \d+\); see .*build\.log"),
    # A harness whose done never rises, even after halt: the driver's own reason is given.
    "stuck": ("assign done = 1'b0;", r"{simulator} ran bad_top but its driver did not finish "
                                     r"\(exit \d+: .*did not raise done after halt\); see .*run\.log"),
}


@pytest.mark.tools
@pytest.mark.parametrize("failure", DRIVER_FAILURES)
@pytest.mark.parametrize("simulator", SIMULATORS)
def test_direct_driver_failures_are_one_line(simulator, failure, tmp_path):
    body, message = DRIVER_FAILURES[failure]
    top = tmp_path / "bad_top.v"
    top.write_text(f"module bad_top(input clk, input rst, input halt, output done);\n  {body}\nendmodule\n")
    with pytest.raises(SimulationError, match=f"^{message.format(simulator=simulator)}$"):
        run_direct(sources=[top], toplevel="bad_top", simulator=simulator, folder=tmp_path,
                   timeout_cycles=10, status_file=tmp_path / "status.json")


def test_cli_offers_every_runner():
    assert RUNNER_CHOICES == RUNNERS
