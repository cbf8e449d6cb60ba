"""Where hwgen may write: folders it made itself (or found empty), files it wrote itself.

hwgen never deletes or overwrites a file it did not write. A folder that hwgen writes into carries a
marker file, :data:`MARKER`, listing the files hwgen put there; a command that replaces files checks the
list before any work:

- a new or empty folder is claimed (the marker is written, so an unwritable path fails at once);
- a folder with the marker may be written again, but a file hwgen is about to replace must be on the
  marker's list: a file someone else put there (``plots/notes.txt``) makes the command refuse;
- a folder with files and no marker is refused in one line.

A *scratch* folder (simulator builds) is hwgen's whole once it carries the marker: the tools inside it
write files hwgen does not list one by one.

Single output files outside such a folder (a Pareto plot, an error plot) carry :data:`SIGNATURE` in their
metadata; an existing file without it is never overwritten.

This module imports nothing of hwgen's but the error type, so every room may use it.
"""

import contextlib
import json
import os
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path

MARKER = ".hwgen-output"
# Embedded in the metadata of the single files hwgen writes (PNG "Software", SVG "Creator").
SIGNATURE = "hwgen-output"
_MARKER_KIND = "hwgen output folder"
_SIGNATURE_SCAN_BYTES = 1 << 16  # metadata sits at the start of a PNG and an SVG


def check_folder_path(path, option: str) -> Path:
    """``ValueError`` unless *path* can be (or is) a folder: no part of it may be a file."""
    path = Path(path)
    for part in (path, *path.parents):
        if part.exists():
            if not part.is_dir():
                raise ValueError(f"{option} {path}: {part} is a file, not a folder")
            break
    return path


def check_claimable(path, option: str, *, replaces: Iterable[str] = (), scratch: bool = False,
                    built_before: str | None = None) -> Path:
    """The checks of :func:`claim_folder`, creating nothing (for a dry run, or to refuse before a
    plan is printed).

    *built_before*: the manifest file name by which a scratch folder that an hwgen from before the
    marker built is recognised (its manifest names that module and the tools that made it).
    """
    path = check_folder_path(path, option)
    marker = path / MARKER
    if path.is_dir() and not marker.is_file() and not (scratch and _built_before(path, built_before)):
        foreign = next(iter(sorted(p.name for p in path.iterdir())), None)
        if foreign is not None:
            raise ValueError(f"{option} {path}: the folder holds files hwgen did not write ({foreign}); "
                             f"choose a new or empty folder")
    written = _read_marker(path, option) if marker.is_file() else set()
    if not scratch:
        for name in replaces:
            stranger = _first_unlisted(path, name, written)
            if stranger is not None:
                raise ValueError(f"{option} {path}: {stranger} was not written by hwgen; move it away or "
                                 f"choose another folder")
    return path


def claim_folder(path, option: str, *, replaces: Iterable[str] = (), scratch: bool = False,
                 built_before: str | None = None) -> Path:
    """Make *path* a folder hwgen may write into, before any work; return it.

    *replaces* names the files and subfolders (relative to *path*) the command will overwrite or
    remove; each must be absent or written by hwgen. *scratch*: the folder is hwgen's whole once marked.

    Raises
    ------
    ValueError
        *path* is a file, or holds files hwgen did not write (one line naming *option*).
    OSError
        The folder cannot be created or written (the CLI prints it in one line).
    """
    path = check_claimable(path, option, replaces=replaces, scratch=scratch, built_before=built_before)
    marker = path / MARKER
    if marker.is_file():
        return path
    new = [p for p in (path, *path.parents) if not p.exists()]  # innermost first
    try:
        path.mkdir(parents=True, exist_ok=True)
        _write_marker(path, set())
    except BaseException:
        for folder in new:  # a full or read-only disk leaves no empty folders behind
            with contextlib.suppress(OSError):
                folder.rmdir()
        raise
    return path


@contextlib.contextmanager
def claimed_folder(path, option: str, *, replaces: Iterable[str] = (), scratch: bool = False,
                   built_before: str | None = None) -> Iterator[Path]:
    """:func:`claim_folder` for the length of a command: a folder this claim created is removed again
    if the command fails before writing anything into it (no empty output folder is left behind)."""
    path = Path(path)
    existed = path.exists()
    folder = claim_folder(path, option, replaces=replaces, scratch=scratch, built_before=built_before)
    try:
        yield folder
    except BaseException:
        if not existed and [p.name for p in folder.iterdir()] == [MARKER]:
            (folder / MARKER).unlink()
            folder.rmdir()
        raise


def check_replaceable(folder, names: Iterable[str], option: str) -> None:
    """The check of :func:`claim_folder` again, just before files are replaced (someone may have
    added a file since)."""
    folder = Path(folder)
    written = _read_marker(folder, option)
    for name in names:
        stranger = _first_unlisted(folder, name, written)
        if stranger is not None:
            raise ValueError(f"{option} {folder}: {stranger} was not written by hwgen; nothing was replaced")


def record_written(folder, paths: Iterable) -> None:
    """Add *paths* (files under *folder*, or folders: every file in them) to the folder's marker."""
    folder = Path(folder)
    written = _read_marker(folder, "folder")
    for path in paths:
        path = Path(path)
        files = [p for p in path.rglob("*") if p.is_file()] if path.is_dir() else [path]
        written.update(p.relative_to(folder).as_posix() for p in files)
    written = {name for name in written if (folder / name).is_file()}  # forget removed files
    _write_marker(folder, written)


def check_replaceable_file(path, option: str) -> Path:
    """``ValueError`` if *path* exists and was not written by hwgen (no :data:`SIGNATURE`)."""
    path = Path(path)
    if path.is_dir():
        raise ValueError(f"{option} {path} is a folder, not a file")
    if path.exists():
        with open(path, "rb") as file:
            head = file.read(_SIGNATURE_SCAN_BYTES)
        if SIGNATURE.encode() not in head:
            raise ValueError(f"{option} {path}: the file exists and was not written by hwgen; "
                             f"choose another name")
    return path


def write_atomic(path, data: bytes | str) -> Path:
    """Write *data* to *path* through a temporary file and a rename: readers never see half a file.

    The file gets the mode a plain ``open`` would give it (0666 less the umask), not the temporary's
    private 0600.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = data.encode() if isinstance(data, str) else data
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(handle, 0o666 & ~current_umask())
        with os.fdopen(handle, "wb") as out:
            out.write(payload)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path


def current_umask() -> int:
    """The process's umask, read without changing it where Linux allows (``/proc/self/status``)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except OSError:
        pass
    mask = os.umask(0o022)  # elsewhere: the only portable read is a set and a set back
    os.umask(mask)
    return mask


def _built_before(folder: Path, manifest_name: str | None) -> bool:
    """Whether *folder* holds hwgen's manifest *manifest_name* (``<module>.json``) for that module."""
    if manifest_name is None:
        return False
    try:
        manifest = json.loads((folder / manifest_name).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return (isinstance(manifest, dict) and f"{manifest.get('module')}.json" == manifest_name
            and isinstance(manifest.get("tools"), dict) and isinstance(manifest.get("ports"), list))


def _first_unlisted(folder: Path, name: str, written: set[str]) -> str | None:
    """The first file under ``folder / name`` that is not in *written* (relative path), else None."""
    target = folder / name
    if not target.exists() and not target.is_symlink():
        return None
    if target.is_dir() and not target.is_symlink():
        for path in sorted(target.rglob("*")):
            relative = path.relative_to(folder).as_posix()
            if (path.is_file() or path.is_symlink()) and relative not in written:
                return relative
        return None  # empty folders hold nothing to lose
    relative = target.relative_to(folder).as_posix()
    return None if relative in written else relative


def _read_marker(folder: Path, option: str) -> set[str]:
    marker = folder / MARKER
    if not marker.is_file():
        return set()
    try:
        data = json.loads(marker.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        data = None
    ours = isinstance(data, dict) and data.get("kind") == _MARKER_KIND
    if not ours or not isinstance(data.get("files"), list):
        raise ValueError(f"{option} {folder}: {MARKER} is not hwgen's marker; choose another folder")
    return {str(name) for name in data["files"]}


def _write_marker(folder: Path, written: set[str]) -> None:
    text = json.dumps({"kind": _MARKER_KIND, "files": sorted(written)}, indent=1) + "\n"
    write_atomic(folder / MARKER, text)
