"""The cocotb runner glue: counts come from the JUnit results, failures become one-line errors."""

import textwrap

import pytest

from hwgen.sim import smoke
from hwgen.sim.runner import DEFAULT_BUILD_ARGS, SIMULATORS, SimulationError, run_cocotb

MIXED_TESTS = textwrap.dedent(
    """
    import cocotb
    from cocotb.triggers import Timer


    @cocotb.test()
    async def passes(dut):
        dut.a.value = 1
        await Timer(1, unit="ns")


    @cocotb.test()
    async def fails(dut):
        await Timer(1, unit="ns")
        assert False, "on purpose"


    @cocotb.test(skip=True)
    async def skipped(dut):
        pass
    """
)


@pytest.mark.slow
@pytest.mark.tools
@pytest.mark.parametrize("simulator", SIMULATORS)
def test_smoke_design_passes(simulator, tmp_path):
    result = run_cocotb(
        sources=[smoke.verilog_source()],
        toplevel=smoke.TOPLEVEL,
        test_module=smoke.TEST_MODULE,
        simulator=simulator,
        build_dir=tmp_path / "build",
    )
    assert (result.passed, result.failed, result.skipped) == (1, 0, 0)
    assert result.ok
    assert result.results_xml.is_file()


@pytest.mark.tools
def test_counts_passed_failed_and_skipped(tmp_path, monkeypatch):
    (tmp_path / "mixed_cocotb_tests.py").write_text(MIXED_TESTS)
    monkeypatch.syspath_prepend(str(tmp_path))  # cocotb hands sys.path to the simulator
    result = run_cocotb(
        sources=[smoke.verilog_source()],
        toplevel=smoke.TOPLEVEL,
        test_module="mixed_cocotb_tests",
        simulator="icarus",
        build_dir=tmp_path / "build",
    )
    assert (result.passed, result.failed, result.skipped) == (1, 1, 1)
    assert result.failures == ("fails",)
    assert not result.ok


@pytest.mark.tools
@pytest.mark.parametrize("simulator", SIMULATORS)
def test_build_failure_is_one_line_error(simulator, tmp_path):
    broken = tmp_path / "broken.v"
    broken.write_text("module broken (input wire a; endmodule\n")
    with pytest.raises(SimulationError, match=f"^{simulator} could not build broken") as caught:
        run_cocotb(
            sources=[broken],
            toplevel="broken",
            test_module=smoke.TEST_MODULE,
            simulator=simulator,
            build_dir=tmp_path / "build",
        )
    assert "\n" not in str(caught.value)
    assert (tmp_path / "build" / "build.log").is_file()


def test_unknown_simulator_is_value_error(tmp_path):
    with pytest.raises(ValueError, match="simulator must be one of icarus, verilator, not 'ghdl'"):
        run_cocotb(
            sources=[smoke.verilog_source()],
            toplevel=smoke.TOPLEVEL,
            test_module=smoke.TEST_MODULE,
            simulator="ghdl",
            build_dir=tmp_path,
        )


CONSTANT_TESTS = textwrap.dedent(
    """
    import os

    import cocotb
    from cocotb.triggers import Timer


    @cocotb.test()
    async def reads_constant(dut):
        await Timer(1, unit="ns")
        assert int(dut.y.value) == int(os.environ["EXPECTED_Y"]), f"y is {int(dut.y.value)}"
    """
)


@pytest.mark.slow
@pytest.mark.tools
def test_verilator_build_is_skipped_only_while_sources_are_unchanged(tmp_path, monkeypatch):
    (tmp_path / "constant_cocotb_tests.py").write_text(CONSTANT_TESTS)
    monkeypatch.syspath_prepend(str(tmp_path))
    source, build = tmp_path / "constant.v", tmp_path / "build"

    def run(value: int, expected: int):
        source.write_text(f"module constant (output wire [7:0] y); assign y = 8'd{value}; endmodule\n")
        return run_cocotb(sources=[source], toplevel="constant", test_module="constant_cocotb_tests",
                          simulator="verilator", build_dir=build, extra_env={"EXPECTED_Y": str(expected)})

    assert run(1, 1).ok
    assert "up to date" not in (build / "build.log").read_text()
    assert run(1, 1).ok
    assert "up to date" in (build / "build.log").read_text()  # nothing rebuilt
    assert not run(1, 2).ok  # the test really reads the model: a wrong expectation fails
    assert run(2, 2).ok  # a changed source is rebuilt, not run stale
    assert "up to date" not in (build / "build.log").read_text()
    (build / "constant").unlink()
    assert run(2, 2).ok  # a missing model is rebuilt
    assert "up to date" not in (build / "build.log").read_text()


@pytest.mark.tools
@pytest.mark.parametrize("simulator", SIMULATORS)
def test_failing_assert_without_rewriting_still_fails(simulator, tmp_path, monkeypatch):
    (tmp_path / "mixed_cocotb_tests.py").write_text(MIXED_TESTS)
    monkeypatch.syspath_prepend(str(tmp_path))
    result = run_cocotb(sources=[smoke.verilog_source()], toplevel=smoke.TOPLEVEL,
                        test_module="mixed_cocotb_tests", simulator=simulator,
                        build_dir=tmp_path / "build", rewrite_asserts=False)
    assert (result.passed, result.failed, result.skipped) == (1, 1, 1)
    assert "on purpose" in result.test_log.read_text()


@pytest.mark.slow
@pytest.mark.tools
@pytest.mark.parametrize("simulator", SIMULATORS)
def test_a_new_toplevel_or_build_argument_rebuilds(simulator, tmp_path, monkeypatch):
    """cocotb's Icarus runner compares only file times: it would run a stale build of another top."""
    (tmp_path / "constant_cocotb_tests.py").write_text(CONSTANT_TESTS)
    monkeypatch.syspath_prepend(str(tmp_path))
    source = tmp_path / "constants.v"
    source.write_text("module one (output wire [7:0] y); assign y = 8'd1; endmodule\n"
                      "module two (output wire [7:0] y); assign y = 8'd2 + `EXTRA; endmodule\n")

    def run(toplevel: str, expected: int, extra: int):
        return run_cocotb(sources=[source], toplevel=toplevel, test_module="constant_cocotb_tests",
                          simulator=simulator, build_dir=tmp_path / "build",
                          extra_env={"EXPECTED_Y": str(expected)},
                          build_args=[*DEFAULT_BUILD_ARGS[simulator], f"-DEXTRA={extra}"])

    log = tmp_path / "build" / "build.log"
    assert run("one", 1, 0).ok
    assert run("two", 2, 0).ok
    assert run("two", 5, 3).ok
    assert "up to date" not in log.read_text()
    assert run("two", 5, 3).ok
    assert "up to date" in log.read_text()
