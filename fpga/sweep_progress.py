"""A sweep's progress line on standard error: done and total points, cached, failed, time left."""

import sys
import time
from collections.abc import Mapping, Sequence

from hwgen.fpga.points import OK


class Progress:
    """``[done/total] pct  cached  failed  elapsed  ETA  last point`` on standard error."""

    def __init__(self, stream=None, enabled: bool = True):
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = enabled
        self.total = self.done = self.cached = self.failed = self.computed = 0
        self.started = time.monotonic()
        self._tty = hasattr(self.stream, "isatty") and self.stream.isatty()

    def add(self, total: int = 0, cached: int = 0, failed_cached: int = 0) -> None:
        self.total += total
        self.done += cached
        self.cached += cached
        self.failed += failed_cached

    def finished(self, rows: Sequence[Mapping], label: str) -> None:
        self.done += len(rows)
        self.computed += len(rows)
        failed = sum(row["status"] != OK for row in rows)
        self.failed += failed
        statuses = ", ".join(sorted({row["status"] for row in rows}))
        self.show(f"{label}: {statuses}")

    def show(self, message: str = "") -> None:
        if not self.enabled:
            return
        elapsed = time.monotonic() - self.started
        remaining = self.total - self.done
        if remaining == 0:
            eta = "done"
        elif self.computed:
            eta = _duration(elapsed / self.computed * remaining)
        else:
            eta = "?"
        percent = 100 * self.done / self.total if self.total else 100
        width = 20
        filled = int(width * percent / 100)
        bar = "#" * filled + "." * (width - filled)
        line = (f"[{bar}] {self.done}/{self.total} {percent:3.0f}%  cached {self.cached}  "
                f"failed {self.failed}  {_duration(elapsed)} elapsed, ETA {eta}  {message}")
        if self._tty:
            self.stream.write("\r\x1b[K" + line[:200])
        else:
            self.stream.write(line + "\n")
        self.stream.flush()

    def close(self) -> None:
        if self.enabled and self._tty:
            self.stream.write("\n")
            self.stream.flush()


def _duration(seconds: float) -> str:
    seconds = round(seconds)
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{hours}h{minutes:02d}m{seconds:02d}s" if hours else f"{minutes}m{seconds:02d}s"


__all__ = ["Progress"]
