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

Nothing the user owns is altered: a store is created only in a new or empty (0-byte) file, any other
database is refused before a byte is written, and commands that only read open the file read-only
(:meth:`ResultStore.__init__`, ``read_only=True``), leaving its bytes and its folder as they were.

This module imports no Amaranth and no cocotb (cost-model room); pandas and pyarrow only when asked.
"""

import hashlib
import json
import os
import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path

from hwgen.fpga.targets import ASIC_COLUMNS, TARGETS

# 2: a metric a target cannot have (LUTs of a gate netlist) is NULL; version 1 stored 0 there.
# 3: the asic target's columns (ASIC_COLUMNS); older stores get them, NULL, when opened for writing.
# 4: the gate-level energy columns (GATE_ENERGY_COLUMNS), likewise.
# 5: nextpnr's critical path (PNR_PATH_COLUMNS), likewise.
# 6: the xc7 Fmax estimate (ESTIMATE_COLUMNS), likewise.
SCHEMA_VERSION = 6
_MIGRATABLE_VERSIONS = ("1", "2", "3", "4", "5")
_TABLES = ("meta", "results", "designs")
_SQLITE_MAGIC = b"SQLite format 3\0"

# (name, SQL type, meaning). The order is the column order of tables and exports.
COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("key", "TEXT NOT NULL PRIMARY KEY", "SHA-256 of the point's inputs (content_key)"),
    ("unit", "TEXT NOT NULL", "unit kind: mac, mul, systolic, nnlut, mxdot, null (I/O harness stand-in)"),
    ("design", "TEXT NOT NULL", "Verilog module name"),
    ("config", "TEXT NOT NULL", "the unit's options, canonical JSON, defaults filled in"),
    ("format_a", "TEXT", "operand A format (registry name)"),
    ("format_b", "TEXT", "operand B format"),
    ("acc", "TEXT", "accumulator spec"),
    ("target", "TEXT NOT NULL", "xc7, ice40, ecp5, gates or asic"),
    ("dsp_allowed", "INTEGER NOT NULL", "1: multipliers may use DSP blocks"),
    ("pnr", "INTEGER NOT NULL", "1: placed and routed inside the I/O harness"),
    ("seed", "INTEGER", "nextpnr seed (P&R rows only)"),
    ("flow", "TEXT NOT NULL", "flow options, canonical JSON"),
    # Cell counts are NULL where the target has no such cells (Target.inapplicable_columns), 0 where it
    # has them and the design uses none.
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
    ("pnr_critical_path", "TEXT", "nextpnr's critical path: from -> to, logic cells, ns of logic, routing"),
    # The xc7 target has no place and route here: a stated estimate (hwgen.fpga.xc7_timing), never a
    # measurement, kept apart from fmax_mhz.
    ("fmax_estimate_mhz", "REAL", "ESTIMATED Fmax of the unit alone on xc7: Yosys's xc7 cell delays + a "
                                  "fixed delay per net, no place and route (xc7 rows)"),
    ("estimate_critical_path", "TEXT", "the estimate's longest path: from -> to, cells, ns (xc7 rows)"),
    ("harness_ffs", "INTEGER", "flip-flops the I/O harness adds (shift register + reduce tree)"),
    # The asic target's (NULL on other targets): Liberty cells at a clock, timed by OpenSTA.
    ("library", "TEXT", "standard-cell library (asic rows), e.g. osu018"),
    ("clock_ns", "REAL", "requested clock period: ABC's delay target and OpenSTA's clock (asic rows)"),
    ("area_um2", "REAL", "cell area in um2, Yosys stat -liberty (asic rows)"),
    ("sequential_area_um2", "REAL", "area of the flip-flops and latches, um2 (asic rows)"),
    ("cells", "INTEGER", "standard cells (asic rows)"),
    ("critical_path_ns", "REAL", "data arrival of the worst setup path: clock-to-Q + logic (asic rows)"),
    ("slack_ns", "REAL", "setup slack of the worst path at clock_ns (asic rows)"),
    ("asic_fmax_mhz", "REAL", "1000 / (clock_ns - slack_ns): OpenSTA's Fmax, unit alone (asic rows)"),
    ("leakage_nw", "REAL", "leakage power in nW, OpenSTA report_power (asic rows)"),
    ("dynamic_uw", "REAL", "dynamic power in uW at clock_ns from switching activity (asic rows)"),
    ("energy_pj_per_mac", "REAL", "energy per MAC in pJ from switching activity (asic rows)"),
    ("power_method", "TEXT", "how dynamic_uw and energy_pj_per_mac were measured (asic rows)"),
    ("sta_version", "TEXT", "OpenSTA version (asic rows)"),
    # Gate-level switching activity of MAC and multiplier units (gates rows of a sweep with
    # `gates = { energy = true }`; NULL elsewhere): hwgen.fpga.gate_energy, in unit-load toggles.
    ("energy_per_mac_gaussian", "REAL", "gate-level energy per MAC, Gaussian operands, unit-load toggles"),
    ("energy_per_mac_laplace", "REAL", "gate-level energy per MAC, Laplace operands, unit-load toggles"),
    ("toggle_rate", "REAL", "net toggles per net per cycle, Gaussian operands (glitches included)"),
    ("energy_macs", "INTEGER", "measured MACs (one per cycle) of each energy stream"),
    ("energy_method", "TEXT", "how the gate-level energy was measured"),
    ("icarus_version", "TEXT", "Icarus Verilog version (rows whose numbers come from a simulation)"),
    ("verilog_sha256", "TEXT", "SHA-256 of the unit's Verilog"),
    ("yosys_version", "TEXT", "Yosys version"),
    ("nextpnr_version", "TEXT", "nextpnr version (P&R rows)"),
    ("status", "TEXT NOT NULL", "ok, failed or timeout"),
    ("error", "TEXT", "the tool's one-line error (failed / timeout rows)"),
    ("run_seconds", "REAL", "wall time of the tool runs of this row"),
    ("created_at", "TEXT NOT NULL", "UTC time the row was stored"),
)
COLUMN_NAMES = tuple(name for name, _, _ in COLUMNS)
GATE_ENERGY_COLUMNS = ("energy_per_mac_gaussian", "energy_per_mac_laplace", "toggle_rate", "energy_macs",
                       "energy_method", "icarus_version")
PNR_PATH_COLUMNS = ("pnr_critical_path",)
ESTIMATE_COLUMNS = ("fmax_estimate_mhz", "estimate_critical_path")
# The columns of a version-5, -4, -3 and -2 store (and of their CSV / Parquet exports).
VERSION_5_COLUMN_NAMES = tuple(name for name in COLUMN_NAMES if name not in ESTIMATE_COLUMNS)
VERSION_4_COLUMN_NAMES = tuple(name for name in VERSION_5_COLUMN_NAMES if name not in PNR_PATH_COLUMNS)
VERSION_3_COLUMN_NAMES = tuple(name for name in VERSION_4_COLUMN_NAMES if name not in GATE_ENERGY_COLUMNS)
VERSION_2_COLUMN_NAMES = tuple(name for name in VERSION_3_COLUMN_NAMES if name not in ASIC_COLUMNS)
# The schema version that added a column (columns of version 1 are not listed).
_ADDED_IN = {**dict.fromkeys(ASIC_COLUMNS, 3), **dict.fromkeys(GATE_ENERGY_COLUMNS, 4),
             **dict.fromkeys(PNR_PATH_COLUMNS, 5), **dict.fromkeys(ESTIMATE_COLUMNS, 6)}
# What differs between two runs of equal inputs; everything else must be identical.
VOLATILE_COLUMNS = ("run_seconds", "created_at")
RESULT_COLUMNS = tuple(name for name in COLUMN_NAMES if name not in VOLATILE_COLUMNS)
STATUSES = ("ok", "failed", "timeout")

_DESIGN_COLUMNS = ("design_key", "unit", "config", "module", "verilog", "ports", "details", "created_at")

# Fmax-directed pipelining (hwgen.fpga.fmax): one row per search, naming the results row it chose. The
# table is an addition beside ``results`` (no schema step): a store without it has made no choice yet.
FMAX_TABLE = "fmax_choices"
FMAX_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("choice_key", "TEXT NOT NULL PRIMARY KEY", "SHA-256 of the request and the keys of the points tried"),
    ("unit", "TEXT NOT NULL", "unit kind"),
    ("options", "TEXT NOT NULL", "the unit's options without pipeline, canonical JSON"),
    ("target", "TEXT NOT NULL", "ice40, ecp5 or asic"),
    ("flow", "TEXT NOT NULL", "the flow every depth was measured with, canonical JSON"),
    ("seed", "INTEGER", "nextpnr seed (ice40, ecp5)"),
    ("requested_mhz", "REAL NOT NULL", "the Fmax asked for"),
    ("achieved_mhz", "REAL", "the chosen depth's measured Fmax"),
    ("met", "INTEGER NOT NULL", "1: achieved_mhz >= requested_mhz"),
    ("pipeline", "INTEGER", "the chosen pipeline depth (the chosen placement, if any: design, result_key)"),
    ("design", "TEXT", "the chosen design's Verilog module name"),
    ("result_key", "TEXT", "the chosen design's row in results (its key; its config names every option)"),
    ("tried", "TEXT NOT NULL", "every design tried, in order: [{pipeline, placement options (dsp, "
                                "acc_stages, acc_adder, decode, acc_idle, product_logic) where not the "
                                "spec's, fmax_mhz, status, key}], JSON"),
    ("created_at", "TEXT NOT NULL", "UTC time the choice was stored"),
)
FMAX_COLUMN_NAMES = tuple(name for name, _, _ in FMAX_COLUMNS)


def content_key(parts: Mapping) -> str:
    """SHA-256 of the canonical JSON of *parts* (sorted keys, no spaces)."""
    text = json.dumps(parts, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(text.encode()).hexdigest()


def now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class ResultStore:
    """A results database (SQLite file; ``":memory:"`` for a throw-away one).

    Only one process should write (a sweep's coordinator); any number may read. With ``read_only``
    the file must already be a store, and nothing is written to it or created next to it.
    """

    def __init__(self, path: os.PathLike | str, *, read_only: bool = False):
        self.path = path if path == ":memory:" else Path(path)
        if isinstance(self.path, Path) and self.path.is_dir():
            raise ValueError(f"results store {self.path} is a folder, not a SQLite file")
        if read_only:
            self._connection = _read_only_connection(self.path)
            self._version = _schema_version(self._connection, self.path)
            if self._version is None:
                self._connection.close()
                raise ValueError(_not_a_store(self.path))
        else:
            self._connection = self._writable_connection()
        self._check_version()

    def _writable_connection(self) -> sqlite3.Connection:
        if isinstance(self.path, Path):
            check_store_file(self.path)
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as error:
                raise ValueError(f"cannot write results store {self.path}: {error.strerror}") from None
        try:
            connection = sqlite3.connect(str(self.path), timeout=60, isolation_level=None)
        except sqlite3.OperationalError as error:  # e.g. a folder it may not create files in
            raise ValueError(f"cannot write results store {self.path}: {error}") from None
        try:
            connection.execute("PRAGMA journal_mode=WAL")
            # FULL: a committed row survives even a power cut, not only a killed process.
            connection.execute("PRAGMA synchronous=FULL")
            with _Transaction(connection) as db:
                self._version = _schema_version(db, self.path)
                if self._version is None:
                    _create_tables(db)
                    self._version = str(SCHEMA_VERSION)
                if self._version == "1":
                    _null_inapplicable_metrics(db)
                    self._version = "2"
                if self._version == "2":
                    _add_columns(db, ASIC_COLUMNS, "3")  # no version-2 row is an asic row
                    self._version = "3"
                if self._version == "3":
                    _add_columns(db, GATE_ENERGY_COLUMNS, "4")  # version-3 rows measured no energy
                    self._version = "4"
                if self._version == "4":
                    _add_columns(db, PNR_PATH_COLUMNS, "5")  # version-4 rows recorded no path
                    self._version = "5"
                if self._version == "5":
                    _add_columns(db, ESTIMATE_COLUMNS, "6")  # version-5 rows estimated nothing
                    self._version = "6"
                if self._version == str(SCHEMA_VERSION):
                    _canonical_configs(db)
                    _create_fmax_table(db)
        except sqlite3.OperationalError as error:  # a read-only file, a full disk
            connection.close()
            raise ValueError(f"cannot write results store {self.path}: {error}") from None
        except BaseException:
            connection.close()
            raise
        return connection

    def _check_version(self) -> None:
        try:
            _check_version(self._version, self.path)
        except ValueError:
            self._connection.close()
            raise

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
        # An older store opened read-only is migrated as it is read.
        selected = ", ".join(_column_expression(name, self._version) for name in COLUMN_NAMES)
        sql = f"SELECT {selected} FROM results {where}"
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

    def module_ports(self) -> dict[str, list]:
        """Every stored module's manifest ports, by module name."""
        found = self._connection.execute("SELECT module, ports FROM designs")
        return {module: json.loads(ports) for module, ports in found}

    def module_details(self) -> dict[str, dict]:
        """Every stored module's manifest details (its unit's manifest keys: formats, accumulator, an
        NN-LUT's table and fit, a uniform LUT's ``lut``), by module name; the newest where a module was
        generated more than once (another generator version)."""
        found = self._connection.execute("SELECT module, details FROM designs ORDER BY created_at")
        return {module: json.loads(details) for module, details in found}

    def add_design(self, design_key: str, *, unit: str, config: str, module: str, verilog: str,
                   ports: Sequence[Mapping], details: Mapping) -> None:
        with self._transaction() as db:
            db.execute(f"INSERT OR IGNORE INTO designs ({', '.join(_DESIGN_COLUMNS)}) VALUES "
                       f"({', '.join('?' * len(_DESIGN_COLUMNS))})",
                       (design_key, unit, config, module, verilog, json.dumps(list(ports), sort_keys=True),
                        json.dumps(details, sort_keys=True), now()))

    # --- Fmax-directed pipelining: which row a search chose (hwgen.fpga.fmax)

    def add_fmax_choice(self, choice: Mapping) -> int:
        """Store one search's choice (a dict of :data:`FMAX_COLUMNS`); a stored ``choice_key`` is kept.
        Returns how many rows were written (0 or 1)."""
        unknown = sorted(set(choice) - set(FMAX_COLUMN_NAMES))
        if unknown:
            raise ValueError(f"unknown fmax choice column {unknown[0]!r}")
        values = {"created_at": now(), **choice}
        marks = ", ".join("?" * len(FMAX_COLUMN_NAMES))
        with self._transaction() as db:
            before = db.total_changes
            db.execute(f"INSERT INTO {FMAX_TABLE} ({', '.join(FMAX_COLUMN_NAMES)}) VALUES ({marks}) "
                       "ON CONFLICT(choice_key) DO NOTHING",
                       tuple(_sql_value(values.get(name)) for name in FMAX_COLUMN_NAMES))
            return db.total_changes - before

    def fmax_choices(self) -> list[dict]:
        """Every stored choice, oldest first (none in a store no search has written to)."""
        found = self._connection.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name = ?",
                                         (FMAX_TABLE,)).fetchone()
        if found is None:
            return []
        cursor = self._connection.execute(
            f"SELECT {', '.join(FMAX_COLUMN_NAMES)} FROM {FMAX_TABLE} ORDER BY created_at, choice_key")
        return [dict(zip(FMAX_COLUMN_NAMES, values, strict=True)) for values in cursor]

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
            raise ValueError("Parquet export needs pyarrow: pip install 'hwgen[sweep]'") from None
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


def check_store_file(path: os.PathLike | str) -> None:
    """``ValueError`` unless *path* is new, empty (0 bytes) or a results store this hwgen can use: a
    store is never made in another application's database. Nothing is written."""
    path = Path(path)
    if path.is_dir():
        raise ValueError(f"results store {path} is a folder, not a SQLite file")
    if path.is_file() and path.stat().st_size:
        with closing(_read_only_connection(path)) as probe:
            version = _schema_version(probe, path)
        if version is not None:  # None: a database without tables holds nothing to lose
            _check_version(version, path)


def _check_version(version: str, path) -> None:
    if version not in (str(SCHEMA_VERSION), *_MIGRATABLE_VERSIONS):
        raise ValueError(f"results store {path} has schema version {version}; this hwgen reads version "
                         f"{SCHEMA_VERSION} (use a new --store file)")


def _not_a_store(path) -> str:
    return f"not a hwgen results store: {path}"


def _read_only_connection(path: Path) -> sqlite3.Connection:
    """A connection that cannot change *path* or create files next to it.

    SQLite's ``mode=ro`` alone creates ``-wal`` and ``-shm`` files beside a WAL database and leaves
    them behind. A WAL database without a ``-wal`` file has no connection open (the last one to close
    removes that file), so it is opened ``immutable``, which creates nothing. That is safe because the
    main file of a WAL database changes only when a checkpoint copies the ``-wal`` file into it, and a
    writer would have to open the store and checkpoint (hwgen's do so on closing, or past 1000 pages)
    within the moment one read takes. With a ``-wal`` file present a writer may be running: plain
    ``mode=ro`` shares its files and sees its committed rows.
    """
    if not path.is_file():
        raise ValueError(f"results store {path} does not exist; `hwgen sweep CONFIG.toml --store {path}` "
                         "creates it")
    with path.open("rb") as file:
        header = file.read(100)
    if len(header) < 100 or not header.startswith(_SQLITE_MAGIC):
        raise ValueError(_not_a_store(path))
    wal_mode = header[18] == 2  # the file format's write version: 1 rollback journal, 2 WAL
    immutable = wal_mode and not Path(f"{path}-wal").exists()
    uri = path.resolve().as_uri() + ("?mode=ro&immutable=1" if immutable else "?mode=ro")
    return sqlite3.connect(uri, uri=True, timeout=60, isolation_level=None)


def _schema_version(connection: sqlite3.Connection, path) -> str | None:
    """The store's schema version, ``None`` for a database without tables; ``ValueError`` for a file
    that is no hwgen store (another application's database, or no database at all)."""
    try:
        found = connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
        tables = {name for (name,) in found}
        if not tables:
            return None
        if not set(_TABLES) <= tables:
            raise ValueError(_not_a_store(path))
        found = connection.execute("SELECT value FROM meta WHERE name = 'schema_version'").fetchone()
    except sqlite3.DatabaseError:
        raise ValueError(_not_a_store(path)) from None
    if found is None:
        raise ValueError(_not_a_store(path))
    return found[0]


def _create_tables(db: sqlite3.Connection) -> None:
    columns = ",\n  ".join(f"{name} {sql_type}" for name, sql_type, _ in COLUMNS)
    db.execute("CREATE TABLE meta (name TEXT PRIMARY KEY, value TEXT NOT NULL)")
    db.execute("INSERT INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
    db.execute(f"CREATE TABLE results (\n  {columns},\n"
               f"  CHECK (status IN ({', '.join(repr(s) for s in STATUSES)})))")
    db.execute("CREATE TABLE designs (design_key TEXT PRIMARY KEY, unit TEXT NOT NULL, "
               "config TEXT NOT NULL, module TEXT NOT NULL, verilog TEXT NOT NULL, "
               "ports TEXT NOT NULL, details TEXT NOT NULL, created_at TEXT NOT NULL)")


def _create_fmax_table(db: sqlite3.Connection) -> None:
    """The Fmax choices' table, in a store opened for writing that lacks it (inside its transaction)."""
    columns = ",\n  ".join(f"{name} {sql_type}" for name, sql_type, _ in FMAX_COLUMNS)
    db.execute(f"CREATE TABLE IF NOT EXISTS {FMAX_TABLE} (\n  {columns})")


def _inapplicable_targets() -> dict[str, tuple[str, ...]]:
    """Result column -> the targets that cannot have it (from :attr:`Target.inapplicable_columns`)."""
    targets: dict[str, tuple[str, ...]] = {}
    for target in TARGETS.values():
        for column in target.inapplicable_columns:
            targets[column] = (*targets.get(column, ()), target.name)
    return targets


def _null_inapplicable_metrics(db: sqlite3.Connection) -> None:
    """Schema version 1 -> 2, inside the caller's transaction: the zeros version 1 stored for metrics a
    target cannot have become NULL. Keys stay: the measured numbers themselves did not change."""
    for column, targets in _inapplicable_targets().items():
        db.execute(f"UPDATE results SET {column} = NULL WHERE target IN ({', '.join('?' * len(targets))})",
                   targets)
    db.execute("UPDATE meta SET value = '2' WHERE name = 'schema_version'")


def _add_columns(db: sqlite3.Connection, names: Sequence[str], version: str) -> None:
    """One schema step (2 -> 3: the asic columns; 3 -> 4: the gate-level energy columns), inside the
    caller's transaction: the new columns, NULL in every old row, and the new version number. Keys
    stay: no old row measured what the new columns hold."""
    present = {row[1] for row in db.execute("PRAGMA table_info(results)")}
    for name, sql_type, _ in COLUMNS:
        if name in names and name not in present:
            db.execute(f"ALTER TABLE results ADD COLUMN {name} {sql_type}")
    db.execute("UPDATE meta SET value = ? WHERE name = 'schema_version'", (version,))


CONFIG_FORM = "spec-1"  # meta 'config_form': configs are hwgen.specs canonical JSON


def _canonical_configs(db: sqlite3.Connection) -> None:
    """Once per store, inside the caller's transaction: rewrite every stored ``config`` as its spec's
    canonical JSON, so a store written before specs (``e4m3``, ``terms: null``) has one config per
    design. Keys stay (they hash the Verilog, not the options); a config no spec accepts is kept."""
    found = db.execute("SELECT value FROM meta WHERE name = 'config_form'").fetchone()
    if found is not None and found[0] == CONFIG_FORM:
        return
    from hwgen.specs import make_spec

    for table in ("results", "designs"):
        for unit, config in db.execute(f"SELECT DISTINCT unit, config FROM {table}").fetchall():
            try:
                canonical = make_spec(unit, json.loads(config)).to_json()
            except (TypeError, ValueError):
                continue
            if canonical != config:
                db.execute(f"UPDATE {table} SET config = ? WHERE unit = ? AND config = ?",
                           (canonical, unit, config))
    db.execute("INSERT OR REPLACE INTO meta VALUES ('config_form', ?)", (CONFIG_FORM,))


def _column_expression(column: str, version: str) -> str:
    """The SQL that reads *column* of a store of schema *version* as the current version stores it."""
    if column in _ADDED_IN and int(version) < _ADDED_IN[column]:
        return f"NULL AS {column}"
    return _version_1_expression(column) if version == "1" else column


def _version_1_expression(column: str) -> str:
    """*column* of a version-1 row as version 2 stores it (target names come from our registry)."""
    targets = _inapplicable_targets().get(column)
    if not targets:
        return column
    names = ", ".join(f"'{name}'" for name in targets)
    return f"CASE WHEN target IN ({names}) THEN NULL ELSE {column} END AS {column}"


def _sql_value(value):
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, Mapping | list | tuple):
        return json.dumps(value, sort_keys=True, separators=(",", ":"))
    return value
