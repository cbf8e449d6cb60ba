"""The results store: one SQLite file, one tidy row per measured point, keyed by a content hash.

A *point* is one (design configuration, target, flow options, seed, tool versions). Its key is the
SHA-256 of a canonical JSON of everything that determines its numbers -- the Verilog's bytes, the
flow scripts, the options, the seed and the tool versions (:func:`content_key`) -- so equal inputs
find their finished row and any change makes a new one.

Crash safety: a row is inserted only when its point has finished, in one transaction, with
``INSERT ... ON CONFLICT(key) DO NOTHING`` on the primary key. A process killed at any moment therefore
loses only the
points it was still computing and can never leave a duplicate or a half-written row. The database
runs in WAL mode, so readers (a progress monitor, pandas) never block the writer.

This module imports no Amaranth and no cocotb (cost-model room); pandas and pyarrow only when asked.
"""

import hashlib
import json
import os
import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path

SCHEMA_VERSION = 1

# (name, SQL type, meaning). The order is the column order of tables and exports.
COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("key", "TEXT NOT NULL PRIMARY KEY", "SHA-256 of the point's inputs (content_key)"),
    ("unit", "TEXT NOT NULL", "unit kind: mac, mul, systolic, nnlut, mxdot, null (I/O harness stand-in)"),
    ("design", "TEXT NOT NULL", "Verilog module name"),
    ("config", "TEXT NOT NULL", "the unit's options, canonical JSON, defaults filled in"),
    ("format_a", "TEXT", "operand A format (registry name)"),
    ("format_b", "TEXT", "operand B format"),
    ("acc", "TEXT", "accumulator spec"),
    ("target", "TEXT NOT NULL", "xc7, ice40, ecp5 or gates"),
    ("dsp_allowed", "INTEGER NOT NULL", "1: multipliers may use DSP blocks"),
    ("pnr", "INTEGER NOT NULL", "1: placed and routed inside the I/O harness"),
    ("seed", "INTEGER", "nextpnr seed (P&R rows only)"),
    ("flow", "TEXT NOT NULL", "flow options, canonical JSON"),
    ("luts", "INTEGER", "LUTs (synthesis of the unit alone)"),
    ("ffs", "INTEGER", "flip-flops"),
    ("carries", "INTEGER", "carry cells (SB_CARRY, CARRY4, CCU2C)"),
    ("dsps", "INTEGER", "DSP blocks"),
    ("brams", "INTEGER", "block RAMs"),
    ("lutrams", "INTEGER", "LUT RAMs and shift-register LUTs"),
    ("muxes", "INTEGER", "wide-function muxes (MUXF7, PFUMX, ...)"),
    ("gates", "INTEGER", "two-input gates (gates target)"),
    ("inverters", "INTEGER", "inverters and buffers"),
    ("other_cells", "INTEGER", "cells of no other category"),
    ("transistors", "INTEGER", "Yosys `stat -tech cmos` estimate (gates target)"),
    ("transistors_complete", "INTEGER", "0: the estimate is a lower bound (cells without a cost)"),
    ("cells_by_type", "TEXT", "every cell type and its count, JSON"),
    ("fmax_mhz", "REAL", "nextpnr's achieved Fmax of the slowest clock, unit inside the harness"),
    ("pnr_freq_mhz", "REAL", "the frequency nextpnr aimed at"),
    ("pnr_logic_cells", "INTEGER", "placed logic cells (ICESTORM_LC, TRELLIS_COMB), harness included"),
    ("pnr_ffs", "INTEGER", "placed flip-flops where the device counts them apart (TRELLIS_FF)"),
    ("pnr_dsps", "INTEGER", "placed DSP blocks"),
    ("pnr_brams", "INTEGER", "placed block RAMs"),
    ("pnr_utilization", "TEXT", "used BELs: {bel: [used, available]}, JSON"),
    ("harness_ffs", "INTEGER", "flip-flops the I/O harness adds (shift register + reduce tree)"),
    ("verilog_sha256", "TEXT", "SHA-256 of the unit's Verilog"),
    ("yosys_version", "TEXT", "Yosys version"),
    ("nextpnr_version", "TEXT", "nextpnr version (P&R rows)"),
    ("status", "TEXT NOT NULL", "ok, failed or timeout"),
    ("error", "TEXT", "the tool's one-line error (failed / timeout rows)"),
    ("run_seconds", "REAL", "wall time of the tool runs of this row"),
    ("created_at", "TEXT NOT NULL", "UTC time the row was stored"),
)
COLUMN_NAMES = tuple(name for name, _, _ in COLUMNS)
# What differs between two runs of equal inputs; everything else must be identical.
VOLATILE_COLUMNS = ("run_seconds", "created_at")
RESULT_COLUMNS = tuple(name for name in COLUMN_NAMES if name not in VOLATILE_COLUMNS)
STATUSES = ("ok", "failed", "timeout")

_DESIGN_COLUMNS = ("design_key", "unit", "config", "module", "verilog", "ports", "details", "created_at")


def content_key(parts: Mapping) -> str:
    """SHA-256 of the canonical JSON of *parts* (sorted keys, no spaces)."""
    text = json.dumps(parts, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(text.encode()).hexdigest()


def now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class ResultStore:
    """A results database (SQLite file; ``":memory:"`` for a throw-away one).

    Only one process should write (a sweep's coordinator); any number may read.
    """

    def __init__(self, path: os.PathLike | str):
        self.path = path if path == ":memory:" else Path(path)
        if isinstance(self.path, Path):
            if self.path.is_dir():
                raise ValueError(f"results store {self.path} is a folder, not a SQLite file")
            self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._connection = sqlite3.connect(str(self.path), timeout=60, isolation_level=None)
            self._connection.execute("PRAGMA journal_mode=WAL")
            # FULL: a committed row survives even a power cut, not only a killed process.
            self._connection.execute("PRAGMA synchronous=FULL")
            self._create()
        except sqlite3.DatabaseError as error:
            raise ValueError(f"results store {self.path} is not a hwgen SQLite results store "
                             f"({error})") from None

    def _create(self) -> None:
        columns = ",\n  ".join(f"{name} {sql_type}" for name, sql_type, _ in COLUMNS)
        with self._transaction() as db:
            db.execute("CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL)")
            db.execute("INSERT OR IGNORE INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
            db.execute(f"CREATE TABLE IF NOT EXISTS results (\n  {columns},\n"
                       f"  CHECK (status IN ({', '.join(repr(s) for s in STATUSES)})))")
            db.execute("CREATE TABLE IF NOT EXISTS designs (design_key TEXT PRIMARY KEY, unit TEXT NOT NULL, "
                       "config TEXT NOT NULL, module TEXT NOT NULL, verilog TEXT NOT NULL, "
                       "ports TEXT NOT NULL, details TEXT NOT NULL, created_at TEXT NOT NULL)")
            version = db.execute("SELECT value FROM meta WHERE name = 'schema_version'").fetchone()[0]
        if version != str(SCHEMA_VERSION):
            raise ValueError(f"results store {self.path} has schema version {version}; this hwgen reads "
                             f"version {SCHEMA_VERSION} (use a new --store file)")

    def _transaction(self):
        return _Transaction(self._connection)

    def close(self) -> None:
        self._connection.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # --- result rows

    def finished_keys(self, keys: Iterable[str]) -> set[str]:
        """The keys among *keys* that have a row."""
        keys = list(keys)
        found = set()
        for start in range(0, len(keys), 500):
            chunk = keys[start:start + 500]
            marks = ",".join("?" * len(chunk))
            found.update(key for (key,) in self._connection.execute(
                f"SELECT key FROM results WHERE key IN ({marks})", chunk))
        return found

    def add_rows(self, rows: Sequence[Mapping], *, replace: bool = False) -> int:
        """Insert finished rows in one transaction; a key already stored is kept (or replaced).

        Returns how many rows were written.
        """
        prepared = [self._prepare(row) for row in rows]
        # ON CONFLICT on the key only: unlike INSERT OR IGNORE, a NOT NULL violation still raises.
        if replace:
            updates = ", ".join(f"{name} = excluded.{name}" for name in COLUMN_NAMES if name != "key")
            action = f"DO UPDATE SET {updates}"
        else:
            action = "DO NOTHING"
        marks = ", ".join("?" * len(COLUMN_NAMES))
        sql = f"INSERT INTO results ({', '.join(COLUMN_NAMES)}) VALUES ({marks}) ON CONFLICT(key) {action}"
        with self._transaction() as db:
            before = db.total_changes
            db.executemany(sql, prepared)
            return db.total_changes - before

    @staticmethod
    def _prepare(row: Mapping) -> tuple:
        unknown = sorted(set(row) - set(COLUMN_NAMES))
        if unknown:
            raise ValueError(f"unknown result column {unknown[0]!r}")
        if row.get("status") not in STATUSES:
            raise ValueError(f"status must be one of {', '.join(STATUSES)}, not {row.get('status')!r}")
        values = {"created_at": now(), **row}
        return tuple(_sql_value(values.get(name)) for name in COLUMN_NAMES)

    def rows(self, where: str = "", parameters: Sequence = ()) -> list[dict]:
        sql = f"SELECT {', '.join(COLUMN_NAMES)} FROM results {where}"
        cursor = self._connection.execute(sql, parameters)
        return [dict(zip(COLUMN_NAMES, values, strict=True)) for values in cursor]

    def count(self) -> int:
        return self._connection.execute("SELECT COUNT(*) FROM results").fetchone()[0]

    # --- generated Verilog, cached by (unit, options, generator fingerprint)

    def get_design(self, design_key: str) -> dict | None:
        sql = f"SELECT {', '.join(_DESIGN_COLUMNS)} FROM designs WHERE design_key = ?"
        found = self._connection.execute(sql, (design_key,)).fetchone()
        if found is None:
            return None
        design = dict(zip(_DESIGN_COLUMNS, found, strict=True))
        design["ports"], design["details"] = json.loads(design["ports"]), json.loads(design["details"])
        return design

    def add_design(self, design_key: str, *, unit: str, config: str, module: str, verilog: str,
                   ports: Sequence[Mapping], details: Mapping) -> None:
        with self._transaction() as db:
            db.execute(f"INSERT OR IGNORE INTO designs ({', '.join(_DESIGN_COLUMNS)}) VALUES "
                       f"({', '.join('?' * len(_DESIGN_COLUMNS))})",
                       (design_key, unit, config, module, verilog, json.dumps(list(ports), sort_keys=True),
                        json.dumps(details, sort_keys=True), now()))

    # --- tables and exports

    def dataframe(self, *, volatile: bool = True):
        """All rows as a pandas DataFrame, sorted by key (without run time and date unless *volatile*)."""
        import pandas as pd

        columns = COLUMN_NAMES if volatile else RESULT_COLUMNS
        frame = pd.DataFrame(self.rows("ORDER BY key"), columns=list(COLUMN_NAMES))
        # Nullable integer / string types: a missing count stays missing instead of becoming a float NaN.
        return frame.loc[:, list(columns)].reset_index(drop=True).convert_dtypes()

    def to_csv(self, path: os.PathLike | str) -> Path:
        path = Path(path)
        self.dataframe().to_csv(path, index=False)
        return path

    def to_parquet(self, path: os.PathLike | str) -> Path:
        """Write a Parquet file (needs pyarrow)."""
        try:
            import pyarrow  # noqa: F401  (pandas' Parquet engine)
        except ImportError:
            raise ValueError("Parquet export needs pyarrow: pip install pyarrow") from None
        path = Path(path)
        self.dataframe().to_parquet(path, index=False, engine="pyarrow")
        return path


class _Transaction:
    """BEGIN IMMEDIATE ... COMMIT, or ROLLBACK on an exception (the connection is in autocommit mode)."""

    def __init__(self, connection: sqlite3.Connection):
        self._connection = connection

    def __enter__(self) -> sqlite3.Connection:
        self._connection.execute("BEGIN IMMEDIATE")
        return self._connection

    def __exit__(self, exc_type, exc, traceback):
        self._connection.execute("ROLLBACK" if exc_type else "COMMIT")
        return False


def _sql_value(value):
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, Mapping | list | tuple):
        return json.dumps(value, sort_keys=True, separators=(",", ":"))
    return value
