"""The repository stands alone: no file points outside it, and the documentation's links resolve.

The format and arithmetic contract is docs/formats.md. No source, test or document may cite design
notes that a clone does not have (a capitalised formats file, a papers list, a sibling ``shared``
folder); every link in README.md and docs/*.md to a Markdown file must reach an existing file and, with
``#anchor``, one of its headings; and every ``docs/<name>.md#<anchor>`` a comment or docstring names must
exist too. Files are the ones git knows: tracked, plus new files not ignored (so a file not yet
committed is checked as well).
"""

import re
import subprocess
from collections import Counter
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# Built from pieces so that this file does not match its own patterns.
FORBIDDEN = {
    "the old design notes' formats file": re.compile(re.escape("FORMATS" + ".md")),
    "the old papers list": re.compile(re.escape("papers" + ".md"), re.IGNORECASE),
    "a path into a sibling shared folder": re.compile(r"(?<![\w-])" + "shared" + "/"
                                                      + r"|\.\./" + "shared" + r"\b"),
}
MARKDOWN_LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
DOCS_MENTION = re.compile(r"(?<![\w/.-])docs/([\w.-]+\.md)(?:#([\w-]+))?")


def _git_files() -> list[str]:
    try:
        listing = subprocess.run(
            ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            cwd=ROOT, capture_output=True, check=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git checkout (git ls-files failed)")
    return sorted({name for name in listing.decode().split("\0") if name})


def _text_files() -> dict[str, str]:
    """Every text file git knows that exists in the work tree: {path: contents}."""
    texts = {}
    for name in _git_files():
        path = ROOT / name
        if not path.is_file():
            continue  # deleted in the work tree, not yet in the index
        data = path.read_bytes()
        if b"\0" in data[:8192]:
            continue  # binary
        try:
            texts[name] = data.decode("utf-8")
        except UnicodeDecodeError:
            continue
    return texts


def _slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces become hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def _anchors(markdown: str) -> set[str]:
    """The anchors of a Markdown file's headings (outside code fences), duplicates numbered."""
    seen, anchors, fenced = Counter(), set(), False
    for line in markdown.splitlines():
        if line.lstrip().startswith(("```", "~~~")):
            fenced = not fenced
            continue
        match = None if fenced else re.match(r"#{1,6}\s+(.*?)\s*#*\s*$", line)
        if match:
            slug = _slug(match.group(1))
            anchors.add(slug if not seen[slug] else f"{slug}-{seen[slug]}")
            seen[slug] += 1
    return anchors


def _check_target(source: str, path: Path, anchor: str | None) -> str | None:
    """A problem with a link from *source* to *path* (and *anchor*), or None."""
    if not path.is_file():
        return f"{source}: {path.relative_to(ROOT)} does not exist"
    if anchor and anchor not in _anchors(path.read_text(encoding="utf-8")):
        return f"{source}: {path.relative_to(ROOT)} has no heading with the anchor #{anchor}"
    return None


def test_no_file_refers_to_notes_outside_the_repository():
    problems = []
    for name, text in _text_files().items():
        for number, line in enumerate(text.splitlines(), 1):
            problems += [f"{name}:{number}: {what}: {line.strip()}"
                         for what, pattern in FORBIDDEN.items() if pattern.search(line)]
    assert not problems, "files refer to notes a clone does not have:\n" + "\n".join(problems)


def test_markdown_links_in_readme_and_docs_resolve():
    sources = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    assert (ROOT / "docs" / "formats.md") in sources
    problems = []
    for source in sources:
        for number, line in enumerate(source.read_text(encoding="utf-8").splitlines(), 1):
            for target in MARKDOWN_LINK.findall(line):
                if re.match(r"[a-z][\w+.-]*:", target):
                    continue  # https:, mailto:, ...
                file_part, _, anchor = target.partition("#")
                if file_part and not file_part.endswith(".md"):
                    continue  # links to source files and folders are not the docs' concern here
                path = (source.parent / file_part).resolve() if file_part else source
                problem = _check_target(f"{source.relative_to(ROOT)}:{number}", path, anchor or None)
                if problem:
                    problems.append(problem)
    assert not problems, "broken Markdown links:\n" + "\n".join(problems)


def test_docs_sections_named_in_code_and_tests_exist():
    problems = []
    for name, text in _text_files().items():
        for number, line in enumerate(text.splitlines(), 1):
            for doc, anchor in DOCS_MENTION.findall(line):
                problem = _check_target(f"{name}:{number}", ROOT / "docs" / doc, anchor or None)
                if problem:
                    problems.append(problem)
    assert not problems, "references to missing docs or sections:\n" + "\n".join(problems)


@pytest.mark.parametrize(("line", "bad"), [
    ("Contract: " + "FORMATS" + ".md section 5.", True),
    ("see `../" + "shared" + "/" + "papers" + ".md`", True),
    ("the formats of " + "shared" + "/x x MAC", True),
    ("cd ../" + "shared", True),
    ("Contract: docs/formats.md#l-mul.", False),
    ("numpy's shared memory, unshared/ folders, libshared_x", False),
])
def test_forbidden_patterns(line, bad):
    assert any(pattern.search(line) for pattern in FORBIDDEN.values()) == bad


def test_slugs_follow_github():
    assert _slug("Semantics (hwgen's contract, `hwgen.golden.block_dot`)") == \
        "semantics-hwgens-contract-hwgengoldenblock_dot"
    assert _slug("Block formats: MX and NVFP4") == "block-formats-mx-and-nvfp4"
    assert _anchors("# A\n```sh\n# not a heading\n```\n## A\n") == {"a", "a-1"}
