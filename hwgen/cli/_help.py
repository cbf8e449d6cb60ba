"""How `hwgen ... --help` reads, and the walk over the parser tree that help and errors share."""

import argparse
import difflib
import textwrap


class HelpFormatter(argparse.HelpFormatter):
    """argparse's help, with two changes.

    Descriptions and epilogs are wrapped paragraph by paragraph, but an indented line (an example
    command) is kept as written: RawDescriptionHelpFormatter would keep the long one-line descriptions
    unwrapped too. An option with a default shows it, unless its help already says what the default is
    (many do, in words: "default: from the options"); None and False are no defaults worth showing.
    """

    def _fill_text(self, text, width, indent):
        lines, paragraph = [], []

        def flush():
            if paragraph:
                lines.extend(textwrap.wrap(" ".join(paragraph), width, initial_indent=indent,
                                           subsequent_indent=indent))
                paragraph.clear()

        for line in text.splitlines():
            if line.startswith(" ") or not line.strip():
                flush()
                lines.append(indent + line if line.strip() else "")
            else:
                paragraph.append(line.strip())
        flush()
        return "\n".join(lines)

    def _get_help_string(self, action):
        text = action.help or ""
        if (not action.option_strings or action.default in (None, False, argparse.SUPPRESS)
                or "default" in text.lower()):
            return text
        return f"{text} (default: %(default)s)"


def subcommands(parser: argparse.ArgumentParser, path: str = "hwgen"):
    """``(command line prefix, parser)`` for *parser* and every subcommand under it, depth first."""
    yield path, parser
    for action in parser._actions:  # argparse has no public way to reach its subparsers
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from subcommands(sub, f"{path} {name}")


def chosen_parser(parser: argparse.ArgumentParser, namespace) -> argparse.ArgumentParser:
    """The innermost subcommand parser that parsed *namespace* (``hwgen synth mac``'s for `synth mac`)."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            chosen = action.choices.get(getattr(namespace, action.dest, None))
            if chosen is not None:
                return chosen_parser(chosen, namespace)
    return parser


def unrecognized(extras: list[str], parser: argparse.ArgumentParser) -> str:
    """argparse's "unrecognized arguments" line, plus the nearest option of *parser* to a mistyped one."""
    message = f"unrecognized arguments: {' '.join(extras)}"
    options = [option for action in parser._actions for option in action.option_strings
               if action.help != argparse.SUPPRESS]
    for extra in extras:
        if extra.startswith("--"):
            close = difflib.get_close_matches(extra.split("=")[0], options, n=1, cutoff=0.6)
            if close:
                return f"{message} (did you mean {close[0]}?)"
    return message
