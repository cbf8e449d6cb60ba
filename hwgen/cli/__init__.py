"""The `hwgen` command line.

Each subcommand lives in its own module under `hwgen.cli` and exposes ``register(subparsers)``,
which adds its parser and sets ``func`` (called with the parsed arguments, returning an exit code).
User errors (``ValueError``, ``TypeError``, :class:`hwgen.errors.HwgenError`) become one line on
standard error and exit code 2, never a traceback.
"""

import argparse
import importlib
import os
import sys

from hwgen import __version__
from hwgen.cli._examples import add_examples
from hwgen.cli._help import HelpFormatter, chosen_parser, subcommands, unrecognized
from hwgen.errors import HwgenError
from hwgen.extras import missing_message

EXIT_USAGE = 2

# Order is the order shown in `hwgen --help`.
COMMAND_MODULES = ("doctor", "formats", "quantize", "generate", "verify", "accuracy", "nnlut_report",
                   "synth", "sweep", "sweeps", "pareto", "report")


class _Parser(argparse.ArgumentParser):
    """argparse, but an error is the usage line plus one error line (exit 2), help shows defaults and
    keeps example lines (:class:`hwgen.cli._help.HelpFormatter`), and an unrecognized argument is
    reported by the subcommand that was given it."""

    def __init__(self, *args, formatter_class=HelpFormatter, **kwargs):
        super().__init__(*args, formatter_class=formatter_class, **kwargs)

    def error(self, message):
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")

    def parse_args(self, args=None, namespace=None):
        # argparse leaves a subcommand's unknown arguments to the top-level parser, whose usage line
        # (`hwgen [-h] [--version] COMMAND ...`) says nothing about the option that was mistyped.
        namespace, extras = self.parse_known_args(args, namespace)
        if extras:
            parser = chosen_parser(self, namespace)
            parser.error(unrecognized(extras, parser))
        return namespace


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="hwgen",
        description="Generate low-precision arithmetic hardware and measure its cost and accuracy.",
    )
    parser.add_argument("--version", action="version", version=f"hwgen {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name in COMMAND_MODULES:
        importlib.import_module(f"hwgen.cli.{name}").register(subparsers)
    add_examples(subcommands(parser))
    return parser


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:  # no command is a usage error (`hwgen --help` is the way to ask for help)
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    return run_reporting_errors(f"hwgen {args.command}", lambda: args.func(args))


def run_reporting_errors(name: str, function) -> int:
    """Call *function* (returning an exit code or None); a user error becomes one line on standard
    error, prefixed with *name*, and exit code 2. Shared by the CLI and the benchmark scripts."""
    try:
        return int(function() or 0)
    except (HwgenError, ValueError, TypeError) as error:
        print(f"{name}: error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except ModuleNotFoundError as error:
        hint = missing_message(error.name, name.removeprefix("hwgen ").partition(" ")[0])
        if hint is None:  # not a package of an extra: a broken install or a bug, shown as such
            raise
        print(f"{name}: error: {hint}", file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:  # output piped into `head` and friends: stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except OSError as error:
        # A path that cannot be used: read-only or full file system, no permission, a file where a
        # folder must go. One line naming the path and the reason.
        print(f"{name}: error: {describe_os_error(error)}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print(f"{name}: interrupted", file=sys.stderr)
        return 130


def describe_os_error(error: OSError) -> str:
    """``PATH: reason`` (both paths of a rename), or the error's own text when it names no path."""
    reason = error.strerror or str(error)
    paths = [str(p) for p in (error.filename, error.filename2) if p is not None]
    return f"{' -> '.join(paths)}: {reason}" if paths else reason
