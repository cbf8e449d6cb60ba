"""The memory files of a stream harness: the stimulus from Python, the results from the simulator.

The item memory holds one word per item, ``stop | gap | i payload``: the payload's fields at their
manifest offsets, the idle cycles before the item, and a stop bit on the word after the last item.
The ready pattern holds one bit per cycle (repeating) for the output's ready. The results file holds
one output payload per line, in arrival order, next to a JSON summary of the run's counts.
"""

import json
import math
import os
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from hwgen.sim.stream_manifest import StreamInterface

GAP_BITS = 4  # idle cycles before an item: 0 .. 15
READY_PATTERN_BITS = 12  # the output ready pattern repeats every 4096 cycles
MIN_DEPTH = 1 << 17  # item memory words: 65,536 MAC pairs and ~2k random dot products share one build
STALL_BURST = 4  # mean length of a run of refused output cycles
LONG_GAP_SHARE = 1 / 64  # of the items, when idling: they wait 15 cycles
# An exhaustive run holds every item at once: in the harness memories (2^25 words for 2^24 items and the
# stop word), the golden model and the checker. At 2^24 pairs, int12 x int12 takes 3.5 minutes and 3 GiB
# on Icarus (1e5 items/s); bf16 x fp8_e5m2 (a 300-bit accumulator, checked as Python ints) 5 minutes and
# 6 GiB on Verilator, 50 minutes on Icarus. Any 16-bit pair (2^32) would take hours and hundreds of GiB.
MAX_EXHAUSTIVE_ITEMS = 1 << 24


@dataclass(frozen=True)
class HarnessFiles:
    """The files a harness reads and writes, all in its build folder."""

    folder: Path

    @property
    def items(self) -> Path:
        return self.folder / "stream_items.hex"

    @property
    def ready(self) -> Path:
        return self.folder / "stream_ready.hex"

    @property
    def results(self) -> Path:
        return self.folder / "stream_results.hex"

    @property
    def summary(self) -> Path:
        return self.folder / "stream_summary.json"

    @property
    def status(self) -> Path:
        """Written by the harness's driver (the cocotb test, or :mod:`hwgen.sim.direct`'s): whether
        it timed out, and under cocotb wall-clock times."""
        return self.folder / "stream_status.json"


def harness_files(folder: os.PathLike | str) -> HarnessFiles:
    return HarnessFiles(Path(folder).resolve())


@dataclass(frozen=True)
class WrittenItems:
    """What :func:`write_items` wrote: the counts the checker and the timeout need."""

    items: int
    outputs: int  # items with last set
    idle_cycles: int  # summed over all items
    stall_fraction: float  # of the ready pattern


def check_exhaustive(items: int, what: str) -> int:
    """*items*, or a ``ValueError`` if an exhaustive run needs more than :data:`MAX_EXHAUSTIVE_ITEMS`.

    *what* names the items, e.g. ``"pairs for fp16 x fp16"``. Call it before allocating anything.
    """
    if items > MAX_EXHAUSTIVE_ITEMS:
        raise ValueError(f"--exhaustive needs {items} {what}, more than the limit of {MAX_EXHAUSTIVE_ITEMS} "
                         f"(2^{math.log2(MAX_EXHAUSTIVE_ITEMS):g}); use --vectors N for a random sample")
    return items


def write_items(
    unit: StreamInterface,
    folder: os.PathLike | str,
    fields: dict,
    *,
    idle_rate: float = 0.0,
    stall_rate: float = 0.0,
    seed: int = 0,
    depth: int = MIN_DEPTH,
) -> WrittenItems:
    """Write the item memory (items with their idle gaps, then a stop word) and the ready pattern.

    Parameters
    ----------
    unit
        The stream the harness drives.
    fields
        Every input payload field of *unit*, one code per item (non-negative integers, equally long).
        Without a ``last`` field, every item is owed an output.
    idle_rate
        Share of input cycles left idle: gaps before items are mostly geometric, at most 15 cycles.
    stall_rate
        Fraction of cycles in which the output is refused, in bursts of mean length 4.
    depth
        The harness's item memory depth; it must hold every item and the stop word.
    """
    missing = sorted(set(unit.in_fields) - set(fields))
    unknown = sorted(set(fields) - set(unit.in_fields))
    if missing or unknown:
        raise ValueError(f"items must give exactly the fields of i ({', '.join(unit.in_fields)}); "
                         f"missing {missing or 'none'}, unknown {unknown or 'none'}")
    lengths = {len(np.asarray(codes)) for codes in fields.values()}
    if len(lengths) != 1 or 0 in lengths:
        raise ValueError("every field needs one code per item, for at least one item")
    items = lengths.pop()
    last = np.asarray(fields["last"], dtype=bool) if "last" in fields else np.ones(items, dtype=bool)
    if not last[-1]:
        raise ValueError("the last item must have last set")
    if items + 1 > depth:
        raise ValueError(f"{items} items and the stop word do not fit a harness of depth {depth}")
    _check_rate("idle_rate", idle_rate)
    _check_rate("stall_rate", stall_rate)
    rng = np.random.default_rng(seed)
    gaps = _idle_gaps(idle_rate, items, rng)
    word_bits = unit.in_bits + GAP_BITS + 1
    dtype = np.int64 if word_bits < 64 else object  # int64 is much faster
    words = pack_fields(unit, fields, dtype) | (gaps.astype(dtype) << unit.in_bits)
    stop = 1 << (word_bits - 1)
    files = harness_files(folder)
    if dtype is object:
        files.items.write_text("\n".join(map("{:x}".format, [*words.tolist(), stop])) + "\n")
    else:
        files.items.write_bytes(_hex_lines(np.append(words, stop), digits=(word_bits + 3) // 4))
    pattern = _ready_pattern(stall_rate, rng)
    files.ready.write_text("\n".join("1" if ready else "0" for ready in pattern) + "\n")
    return WrittenItems(items, int(last.sum()), int(gaps.sum()), float(1.0 - pattern.mean()))


def pack_fields(unit: StreamInterface, fields: dict, dtype=object) -> np.ndarray:
    """Input payload words from per-field codes, each at its manifest offset.

    Fields of up to 62 bits may come as integer arrays; wider ones (block operands) as object arrays of
    Python ints, with ``dtype=object``.
    """
    words = None
    for name, codes in fields.items():
        field = unit.in_fields[name]
        codes = np.asarray(codes)
        codes = codes.astype(object if codes.dtype == object or field.width > 62 else np.int64)
        if len(codes) and (codes.min() < 0 or codes.max() >= 1 << field.width):
            raise ValueError(f"{name} codes must fit the {field.width}-bit field i.{name}")
        shifted = codes.astype(dtype) << field.offset
        words = shifted if words is None else words | shifted
    return words


def _hex_lines(words: np.ndarray, digits: int) -> bytes:
    """Fixed-width hex lines of non-negative int64 words, formatted without a Python loop."""
    shifts = np.arange(digits - 1, -1, -1, dtype=np.int64) * 4
    nibbles = (words[:, None] >> shifts) & 15
    lines = np.empty((len(words), digits + 1), dtype=np.uint8)
    lines[:, :digits] = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)[nibbles]
    lines[:, digits] = ord("\n")
    return lines.tobytes()


def _check_rate(name: str, rate: float) -> None:
    if not 0.0 <= rate < 1.0:
        raise ValueError(f"{name} must be at least 0 and below 1, not {rate}")


def _idle_gaps(idle_rate: float, items: int, rng: np.random.Generator) -> np.ndarray:
    """Idle cycles before each item: geometric, except that a few items wait the longest gap, which
    lets the unit's pipeline drain completely; ``idle_rate`` of all cycles are idle."""
    longest = (1 << GAP_BITS) - 1
    mean_gap = idle_rate / (1.0 - idle_rate)
    long_share = min(LONG_GAP_SHARE, mean_gap / (2 * longest))
    short_mean = (mean_gap - longest * long_share) / (1.0 - long_share)
    gaps = np.minimum(rng.geometric(1.0 / (1.0 + short_mean), items) - 1, longest)
    gaps[rng.random(items) < long_share] = longest
    return gaps


def _ready_pattern(stall_rate: float, rng: np.random.Generator) -> np.ndarray:
    """Output ready per cycle: a two-state Markov chain refusing ``stall_rate`` of cycles in bursts."""
    cycles = 1 << READY_PATTERN_BITS
    if stall_rate == 0.0:
        return np.ones(cycles, dtype=bool)
    leave_stall = 1.0 / STALL_BURST
    enter_stall = stall_rate / (1.0 - stall_rate) * leave_stall
    if enter_stall > 1.0:  # high stall rates need longer bursts
        enter_stall, leave_stall = 1.0, (1.0 - stall_rate) / stall_rate
    draws = rng.random(cycles)
    ready = np.empty(cycles, dtype=bool)
    state = True
    for cycle, draw in enumerate(draws.tolist()):
        state = draw >= enter_stall if state else draw < leave_stall
        ready[cycle] = state
    ready[-1] = True  # never refuse forever
    return ready


@dataclass(frozen=True)
class HarnessOutput:
    """The harness's summary and its output payloads, in arrival order."""

    items_sent: int
    outputs_expected: int
    cycles: int
    halted: bool
    protocol_errors: int  # cycles in which a refused output was dropped or changed
    payloads: np.ndarray  # int64, or object (Python ints) when too wide; 0 where not known
    known: np.ndarray  # False for a payload with X or Z bits


def read_results(folder: os.PathLike | str) -> HarnessOutput:
    """Read what the harness (or the naive driver, in the same format) wrote into *folder*."""
    files = harness_files(folder)
    summary = json.loads(files.summary.read_text())
    if summary["outputs_received"]:
        payloads, known = read_hex_words(files.results)
    else:
        payloads, known = np.zeros(0, dtype=np.int64), np.zeros(0, dtype=bool)
    if len(payloads) != summary["outputs_received"]:
        raise ValueError(f"{files.results} holds {len(payloads)} outputs, the summary says "
                         f"{summary['outputs_received']}")
    return HarnessOutput(summary["items_sent"], summary["outputs_expected"], summary["cycles"],
                         bool(summary["halted"]), summary.get("protocol_errors", 0), payloads, known)


_HEX_DIGIT = np.full(256, 255, dtype=np.uint8)
for _value, _char in enumerate(b"0123456789abcdef"):
    _HEX_DIGIT[_char] = _HEX_DIGIT[ord(chr(_char).upper())] = _value
FAST_DIGITS = 15  # words of at most this many hex digits fit int64


def read_hex_words(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """(words, known) of a memory file: one hex word per line; words with x or z digits are unknown."""
    # Icarus writes an address comment ("// 0x00000010") before every 16 words.
    data = re.sub(rb"//[^\n]*\n", b"", path.read_bytes())
    width = data.find(b"\n")
    if 0 < width <= FAST_DIGITS and b"/" not in data and b"@" not in data and len(data) % (width + 1) == 0:
        rows = np.frombuffer(data, dtype=np.uint8).reshape(-1, width + 1)
        if (rows[:, width] == ord("\n")).all():
            digits = _HEX_DIGIT[rows[:, :width]]
            known = (digits != 255).all(axis=1)
            weights = np.int64(16) ** np.arange(width - 1, -1, -1, dtype=np.int64)
            words = np.where(digits == 255, 0, digits).astype(np.int64) @ weights
            return np.where(known, words, 0), known
    # Anything else (wide words, address lines, ragged widths): line by line.
    lines = [text for text in (line.strip() for line in data.decode().split("\n"))
             if text and text[0] not in "/@"]
    words = [_hex_or_none(line) for line in lines]
    known = np.array([word is not None for word in words], dtype=bool)
    return np.array([word or 0 for word in words], dtype=object), known


def _hex_or_none(text: str) -> int | None:
    try:
        return int(text, 16)
    except ValueError:
        return None
