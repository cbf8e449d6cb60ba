"""Files the cost models write: atomically (a killed run leaves the old file or the new one, never
half of one), and JSON caches of measurements that refuse a file that is not theirs."""

import json
from collections.abc import Mapping
from pathlib import Path

from hwgen.outputs import write_atomic

__all__ = ["add_to_cache", "read_cache", "write_atomic"]


def read_cache(path: Path, header: Mapping, what: str) -> dict:
    """The entries of the cache file *path* ({} when it does not exist).

    *header* is the keys and values that mark the file as this cache; *what* names it in errors.

    Raises
    ------
    ValueError
        The file is unreadable, or is not this cache (it is never overwritten then).
    """
    path = Path(path)
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise ValueError(f"{what} {path} is unreadable ({error}); delete it to start afresh") from None
    if not isinstance(data, dict) or any(data.get(key) != value for key, value in header.items()):
        raise ValueError(f"{path} is not a {what}; delete it or pass another cache path")
    return dict(data.get("entries", {}))


def add_to_cache(path: Path, header: Mapping, what: str, key: str, entry) -> None:
    """Merge one entry into the cache file (entries another process wrote meanwhile are kept)."""
    entries = read_cache(path, header, what)
    entries[key] = entry
    text = json.dumps({**header, "entries": dict(sorted(entries.items()))}, indent=1)
    write_atomic(path, text + "\n")
