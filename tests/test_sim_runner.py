"""The cocotb runner glue: counts come from the JUnit results, failures become one-line errors."""

import textwrap

import pytest

from hwgen.sim import smoke
from hwgen.sim.runner import SIMULATORS, SimulationError, run_cocotb

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
