"""The workspace: one DuckDB file per client, its schema, its snapshots and its saved mappings.

Several processes share one workspaces folder (app replicas, the CLI's scheduled import): a workspace file is
written by one import at a time under a lock file with a bounded wait, and read through published read-only
copies, so pages never wait for an import nor for each other (see "several processes, one store" below).
Each thread works through its own cursor (`reader.cursor()`), as DuckDB asks.
Results are read with fetchall(): DuckDB 2 keeps a half-read result (fetchone) open and then refuses to
register a table on that connection.
An import runs in one transaction followed by a CHECKPOINT, so the file never depends on its WAL.
"""
from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
import shutil
import threading
import time
import unicodedata
from contextlib import contextmanager
from pathlib import Path

import duckdb

from analytics.schema import SQL_TYPES, STAGES, TABLES

DEFAULT_ROOT = Path.home() / ".cockpit" / "workspaces"
DEMO_WORKSPACE = "demo"

# Columns stored beside the canonical ones (IMPORT_ONLY: written by a file import, NULL for generated data).
IMPORT_ONLY = {"bad_values", "key_derived", "currency", "amount_original", "closed_seen"}
DERIVED_COLUMNS = {"closed_seen"}  # written by the import from the stored rows, after they are inserted
DEFAULT_CURRENCY = "EUR"


def workspace_currency(con) -> str:
    """The currency the workspace's figures are in (settings key 'currency'; EUR unless set)."""
    from analytics import settings

    return (settings.get(con, "currency") or DEFAULT_CURRENCY).upper()
EXTRA_COLUMNS = {
    # bad_values: the columns whose cell could not be read on that row (left NULL, listed in the quality
    # report); key_derived: the id was derived from account + name + created date (the export had none).
    "opportunities": [("snapshot_id", "INTEGER"), ("crm_stage", "VARCHAR"), ("stage_order", "INTEGER"),
                      ("bad_values", "VARCHAR"), ("key_derived", "BOOLEAN"),
                      # currency as the export gives it; amount_original: the amount in that currency when it is
                      # not the workspace's (amount then holds the converted value, NULL without a rate)
                      ("currency", "VARCHAR"), ("amount_original", "DECIMAL(18,2)"),
                      # closed_seen: on a won or lost row without a closed date, the date of the first upload of
                      # its closed streak (timeline.refresh_closed_seen, at import): the deal closed by then
                      ("closed_seen", "DATE")],
    "stage_history": [("crm_stage", "VARCHAR"), ("stage_order", "INTEGER")],
    "targets": [("period_start", "DATE"), ("period_end", "DATE")],
    "marketing_spend": [("period_start", "DATE"), ("period_end", "DATE")],
}


def quote(identifier: str) -> str:
    """Quote an SQL identifier (the one helper through which column names reach SQL)."""
    return '"' + identifier.replace('"', '""') + '"'


def workspace_root() -> Path:
    """Where workspaces live: $COCKPIT_WORKSPACES, else ~/.cockpit/workspaces."""
    return Path(os.environ.get("COCKPIT_WORKSPACES") or DEFAULT_ROOT)


def workspace_slug(name: str) -> str:
    """A safe file stem from a name the user typed: never used as a path as typed.

    Two different names never share a file: a name that the plain ASCII stem does not spell exactly (accents,
    non-Latin letters, punctuation other than spaces) gets a short hash of the name itself, so "Démo" is not
    the demo workspace and two Japanese or Arabic names are two workspaces. A slug passed back (the
    workspace list holds slugs) is its own slug."""
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    slug = re.sub(r"[^a-z0-9]+", "-", text).strip("-")[:50]
    spelled = re.sub(r"\s+", "-", name.strip().casefold())
    if spelled == slug and slug:
        return slug
    digest = hashlib.sha1(unicodedata.normalize("NFC", name.strip()).encode("utf-8")).hexdigest()[:6]
    return f"{slug or 'workspace'}-{digest}"


def workspace_path(name: str) -> Path:
    return workspace_root() / f"{workspace_slug(name)}.duckdb"


def list_workspaces() -> list[str]:
    root = workspace_root()
    return sorted(p.stem for p in root.glob("*.duckdb")) if root.exists() else []


def display_name(slug: str) -> str:
    """The name typed when the workspace was created (analytics/registry.py), else its file stem."""
    from analytics import registry

    return slug if slug == DEMO_WORKSPACE else (registry.name(slug) or slug)


def _ddl() -> list[str]:
    stmts = [
        "CREATE TABLE IF NOT EXISTS snapshots (snapshot_id INTEGER PRIMARY KEY, snapshot_date DATE NOT NULL,"
        " source VARCHAR, imported_at TIMESTAMP DEFAULT current_timestamp, row_count INTEGER)",
        "CREATE TABLE IF NOT EXISTS column_mappings (signature VARCHAR PRIMARY KEY, table_name VARCHAR,"
        " mapping_json VARCHAR, saved_at TIMESTAMP DEFAULT current_timestamp)",
        "CREATE TABLE IF NOT EXISTS stage_mappings (crm_stage VARCHAR PRIMARY KEY, stage VARCHAR, status VARCHAR,"
        " saved_at TIMESTAMP DEFAULT current_timestamp)",
        "CREATE TABLE IF NOT EXISTS imports (import_id INTEGER PRIMARY KEY, imported_at TIMESTAMP DEFAULT"
        " current_timestamp, summary_json VARCHAR)",
        "CREATE TABLE IF NOT EXISTS stages (stage VARCHAR PRIMARY KEY, stage_order INTEGER, status VARCHAR,"
        " default_probability DOUBLE)",
        # the files imported, by content: the same export dropped again is recognised (store.imported_file)
        "CREATE TABLE IF NOT EXISTS imported_files (sha256 VARCHAR PRIMARY KEY, file_name VARCHAR,"
        " snapshot_date DATE, imported_at TIMESTAMP DEFAULT current_timestamp)",
        # workspace settings (analytics/settings.py), e.g. the fiscal year's first month
        "CREATE TABLE IF NOT EXISTS settings (key VARCHAR PRIMARY KEY, value VARCHAR)",
    ]
    for table, cols in TABLES.items():
        defs = [f"{quote(c.name)} {SQL_TYPES[c.kind]}" for c in cols]
        defs += [f"{quote(n)} {t}" for n, t in EXTRA_COLUMNS.get(table, [])]
        stmts.append(f"CREATE TABLE IF NOT EXISTS {quote(table)} ({', '.join(defs)})")
    # The opportunities as of the latest snapshot: what every "now" KPI reads.
    stmts.append(
        "CREATE OR REPLACE VIEW opportunities_current AS SELECT o.* FROM opportunities o"
        " WHERE o.snapshot_id = (SELECT snapshot_id FROM snapshots"
        " ORDER BY snapshot_date DESC, snapshot_id DESC LIMIT 1)"
    )
    return stmts


def init_schema(con: duckdb.DuckDBPyConnection) -> None:
    for stmt in _ddl():
        con.execute(stmt)
    for table, extra in EXTRA_COLUMNS.items():  # workspaces made before a column was added
        for column, sql_type in extra:
            con.execute(f"ALTER TABLE {quote(table)} ADD COLUMN IF NOT EXISTS {quote(column)} {sql_type}")
    if con.execute("SELECT count(*) FROM stages").fetchall()[0][0] == 0:
        con.executemany(
            "INSERT INTO stages VALUES (?, ?, ?, ?)",
            [(s.key, s.order, s.status, s.default_probability) for s in STAGES],
        )


# --- several processes, one store ------------------------------------------------------------------------------
# DuckDB lets one process write a file, or several processes read it, never both at once: a page holding the file
# open would stop the CLI's scheduled import ("Could not set lock"), and an import would stop every other process's
# pages. So the workspace file (`acme.duckdb`) is only ever opened to write, for the length of one import, under
# an exclusive lock file (`acme.duckdb.lock`, flock) that queues writers of every process with a bounded wait; each
# write ends with a CHECKPOINT and publishes a read-only copy of the file (`.cockpit-read/acme.<generation>.duckdb`).
# Pages and the CLI read the latest published copy: readers never wait for a writer nor for each other, and a
# reader always sees whole imports (a copy is taken between transactions).

READ_DIR = ".cockpit-read"
LOCK_WAIT_SECONDS = 60.0  # how long a write waits for another one ($COCKPIT_LOCK_WAIT overrides)
_POLL_SECONDS = 0.05


class WorkspaceBusy(Exception):
    """Another import (in this process or another) kept the workspace past the wait; nothing was written."""

    def __init__(self, path: Path, waited: float):
        self.path, self.waited = Path(path), waited
        super().__init__(f"another import into {path} is still running after {waited:.0f} s")


def lock_wait() -> float:
    try:
        return float(os.environ.get("COCKPIT_LOCK_WAIT") or LOCK_WAIT_SECONDS)
    except ValueError:
        return LOCK_WAIT_SECONDS


def _read_dir(main: Path) -> Path:
    return main.parent / READ_DIR


def _copies(main: Path) -> list[tuple[int, Path]]:
    """The published read copies of a workspace file, oldest generation first."""
    prefix, found = main.stem + ".", []
    try:
        entries = list(os.scandir(_read_dir(main)))
    except FileNotFoundError:
        return []
    for entry in entries:
        middle = entry.name[len(prefix):-len(".duckdb")]
        if entry.name.startswith(prefix) and entry.name.endswith(".duckdb") and middle.isdigit():
            found.append((int(middle), Path(entry.path)))
    return sorted(found)


@contextmanager
def _write_turn(main: Path, wait: float, on_wait):
    """Hold the workspace's lock file exclusively: one writer at a time across threads and processes (each
    acquisition opens its own descriptor, and flock locks of two descriptors exclude each other even in one
    process). on_wait() is called once when the lock is taken by someone else; WorkspaceBusy after `wait` s."""
    main.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(main.with_name(main.name + ".lock"), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        started, told = time.monotonic(), False
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                waited = time.monotonic() - started
                if waited >= wait:
                    raise WorkspaceBusy(main, waited)
                if not told and on_wait is not None:
                    on_wait()
                    told = True
                time.sleep(_POLL_SECONDS)
        yield time.monotonic() - started
    finally:
        os.close(fd)  # releases the lock


def _open_file(main: Path, deadline: float, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """duckdb.connect, retried while another program (one that does not take our lock file, e.g. an older
    version of the app or the duckdb shell) holds DuckDB's own lock on the file."""
    while True:
        try:
            return duckdb.connect(str(main), read_only=read_only)
        except duckdb.IOException as exc:
            if "lock" not in str(exc).lower():
                raise
            if time.monotonic() >= deadline:
                raise WorkspaceBusy(main, lock_wait()) from exc
            time.sleep(_POLL_SECONDS)


def _publish(main: Path) -> int:
    """Copy the (checkpointed, closed) workspace file as the next read generation; called under the write lock.
    The previous copy is kept (a reader may be opening it right now); older ones are removed (a process that
    still reads one keeps it open: the file goes when it closes)."""
    wal = main.with_name(main.name + ".wal")
    if wal.exists() and wal.stat().st_size:
        raise RuntimeError(f"{main}: the write-ahead log was not checkpointed")
    folder = _read_dir(main)
    folder.mkdir(exist_ok=True)
    copies = _copies(main)
    generation = copies[-1][0] + 1 if copies else 1
    tmp = folder / f"{main.stem}.{generation}.tmp"
    shutil.copyfile(main, tmp)
    # The copy carries the file's own time: a copy is stale only when the file was written after it was copied,
    # whatever the clock's granularity (a copy stamped "now" can look older than a file written the same tick).
    stat = main.stat()
    os.utime(tmp, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    os.replace(tmp, folder / f"{main.stem}.{generation}.duckdb")
    for _, old in copies[:-1]:
        old.unlink(missing_ok=True)
    return generation


@contextmanager
def writing(path: Path | str, wait: float | None = None, on_wait=None):
    """The workspace file opened to write, for one import: waits (bounded) for the other writers, yields a
    read-write connection with the schema, then CHECKPOINTs, closes and publishes the new read copy.
    Nothing is published when the body raises (its transaction was rolled back)."""
    main = Path(path)
    wait = lock_wait() if wait is None else wait
    with _write_turn(main, wait, on_wait) as waited:
        con = _open_file(main, time.monotonic() + max(wait - waited, 1.0))
        try:
            init_schema(con)
            yield con
            con.execute("CHECKPOINT")
        finally:
            con.close()
        _publish(main)


def _publish_if_free(main: Path) -> bool:
    """Publish the workspace file when nobody is writing it (the lock is free at once); False when a writer holds
    it: that writer publishes when it is done."""
    try:
        with _write_turn(main, 0.0, None):
            _open_file(main, time.monotonic() + lock_wait()).close()  # replays and checkpoints a WAL left behind
            _publish(main)
    except WorkspaceBusy:
        return False
    return True


# Per process: the latest read copy opened for each workspace file (generation, connection). Every Reader takes its
# own cursor from it, as DuckDB wants one cursor per thread.
_readers: dict[str, tuple[int, duckdb.DuckDBPyConnection]] = {}
_readers_lock = threading.Lock()


def _latest(main: Path, on_wait=None) -> tuple[int, duckdb.DuckDBPyConnection]:
    """(generation, connection) of the workspace's latest read copy, published first if there is none."""
    key = str(main)
    for _ in range(20):
        copies = _copies(main)
        if not copies:  # a workspace made before read copies existed, or just created
            with writing(main, on_wait=on_wait):
                pass
            continue
        generation, copy = copies[-1]
        try:
            stale = main.stat().st_mtime_ns > copy.stat().st_mtime_ns
        except FileNotFoundError:  # the copy was just replaced by a newer one
            continue
        if stale and _publish_if_free(main):  # written and not published (a writer killed between the two)
            continue
        with _readers_lock:
            held = _readers.get(key)
            if held is not None and held[0] >= generation:
                return held
        try:
            con = duckdb.connect(str(copy), read_only=True)
        except (duckdb.IOException, FileNotFoundError):  # replaced by a newer copy meanwhile: look again
            continue
        with _readers_lock:
            held = _readers.get(key)
            if held is not None and held[0] >= generation:
                con.close()
                return held
            # the older copy's connection is only forgotten: cursors still reading it keep it open until done
            _readers[key] = (generation, con)
            return generation, con
    raise RuntimeError(f"{main}: no readable copy")


class Reader:
    """A workspace read through its latest published copy: what pages, caches and the CLI hold.

    It behaves as a DuckDB cursor (execute, executemany, register, fetch...) private to one thread; each
    statement runs on the latest copy, so an import landed by another process is seen by the next query.
    Registered frames follow it to a newer copy. To write, take `writable(reader)`."""

    def __init__(self, main: Path, on_wait=None):
        self.main = Path(main)
        self.on_wait = on_wait
        self._generation: int | None = None
        self._cursor = None
        self._registered: dict[str, object] = {}

    def _current(self):
        generation, con = _latest(self.main, self.on_wait)
        if generation != self._generation:
            cursor = con.cursor()
            for name, frame in self._registered.items():
                cursor.register(name, frame)
            self._cursor, self._generation = cursor, generation
        return self._cursor

    def execute(self, query, parameters=None):
        cursor = self._current()
        return cursor.execute(query) if parameters is None else cursor.execute(query, parameters)

    def executemany(self, query, parameters):
        return self._current().executemany(query, parameters)

    def register(self, name: str, frame):
        self._current().register(name, frame)
        self._registered[name] = frame
        return self

    def unregister(self, name: str):
        self._registered.pop(name, None)
        self._current().unregister(name)
        return self

    def cursor(self) -> "Reader":
        return Reader(self.main, self.on_wait)

    def close(self) -> None:
        if self._cursor is not None:
            self._cursor.close()
        self._cursor, self._generation, self._registered = None, None, {}

    def __getattr__(self, name):
        # fetchall, df...: on the cursor that ran the last statement (a newer copy would not hold its result);
        # anything else (read_csv...) on the latest copy when nothing ran yet
        return getattr(self._cursor if self._cursor is not None else self._current(), name)


@contextmanager
def writable(con, wait: float | None = None):
    """A connection that may write the workspace `con` reads: for a Reader, the workspace file itself under the
    write lock (see `writing`), after which the Reader sees what was written; any other connection (an
    in-memory workspace, a connection already writing) is yielded as it is."""
    if not isinstance(con, Reader):
        yield con
        return
    with writing(con.main, wait, con.on_wait) as writer:
        yield writer


def open_path(path: Path | str, on_wait=None) -> Reader:
    """A Reader on the workspace file at `path`, created with its schema when it does not exist."""
    reader = Reader(Path(path), on_wait)
    reader._current()  # creates and publishes the file on first use
    return reader


def open_workspace(name: str, on_wait=None) -> Reader:
    """A Reader on the named workspace, created with its schema on first use. Threads take `.cursor()`."""
    return open_path(workspace_path(name), on_wait)


def write_workspace(name: str, on_wait=None):
    """`writing` for the named workspace (created when missing): `with store.write_workspace(n) as con:`."""
    return writing(workspace_path(name), on_wait=on_wait)


def close_workspace(name: str) -> None:
    """Forget this process's read connection to the workspace (tests, or before removing its files)."""
    with _readers_lock:
        held = _readers.pop(str(workspace_path(name)), None)
    if held is not None:
        held[1].close()


def memory_workspace() -> duckdb.DuckDBPyConnection:
    """An in-memory workspace with the schema: for tests and benchmarks."""
    con = duckdb.connect(":memory:")
    init_schema(con)
    return con


# One writer per process on a connection: two sessions writing one in-memory workspace queue here.
_write_lock = threading.RLock()


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection):
    """One import = one transaction: all of it lands, or nothing does. CHECKPOINT after a commit, so the
    write-ahead log never holds the only copy. `con` must be able to write: take `writable(reader)` first."""
    if isinstance(con, Reader):
        raise TypeError("a Reader cannot write: use `with store.writable(con) as con:` around the transaction")
    with _write_lock:
        con.execute("BEGIN TRANSACTION")
        try:
            yield con
        except BaseException:
            con.execute("ROLLBACK")
            raise
        con.execute("COMMIT")
        con.execute("CHECKPOINT")


def data_version(con: duckdb.DuckDBPyConnection) -> int:
    """A number that changes whenever an import lands: the key for cached results."""
    return int(con.execute("SELECT coalesce(max(import_id), 0) FROM imports").fetchall()[0][0])


def table_count(con: duckdb.DuckDBPyConnection, table: str) -> int:
    src = "opportunities_current" if table == "opportunities" else table
    return int(con.execute(f"SELECT count(*) FROM {quote(src)}").fetchall()[0][0])


def available_tables(con: duckdb.DuckDBPyConnection) -> set[str]:
    """The canonical tables that hold at least one row (pages use it to say which sheet is missing)."""
    return {t for t in TABLES if table_count(con, t) > 0}


def new_snapshot(con, snapshot_date, source: str, row_count: int) -> int:
    """Register an opportunities snapshot; one dated like an existing snapshot replaces it (demo, tests)."""
    return upload_snapshot(con, snapshot_date, source, row_count, replace=True)[0]


def upload_snapshot(con, snapshot_date, source: str, row_count: int, replace: bool = False) -> tuple[int, bool]:
    """(snapshot id, whether it existed) for an opportunities upload.

    A snapshot may come in several files (North, then South): an upload dated like an existing snapshot adds
    its deals to it (the caller replaces the deals it holds again). replace=True, an explicit choice, empties
    that snapshot first."""
    old = con.execute("SELECT snapshot_id FROM snapshots WHERE snapshot_date = ? ORDER BY snapshot_id",
                      [snapshot_date]).fetchall()
    if old and not replace:
        sid = int(old[-1][0])
        con.execute("UPDATE snapshots SET source = concat_ws(', ', source, ?) WHERE snapshot_id = ?", [source, sid])
        return sid, True
    for (sid,) in old:
        con.execute("DELETE FROM opportunities WHERE snapshot_id = ?", [sid])
        con.execute("DELETE FROM snapshots WHERE snapshot_id = ?", [sid])
    sid = con.execute("SELECT coalesce(max(snapshot_id), 0) + 1 FROM snapshots").fetchall()[0][0]
    con.execute(
        "INSERT INTO snapshots (snapshot_id, snapshot_date, source, row_count) VALUES (?, ?, ?, ?)",
        [sid, snapshot_date, source, row_count],
    )
    return int(sid), False


def log_import(con, summary: dict) -> int:
    iid = con.execute("SELECT coalesce(max(import_id), 0) + 1 FROM imports").fetchall()[0][0]
    con.execute("INSERT INTO imports (import_id, summary_json) VALUES (?, ?)", [iid, json.dumps(summary, default=str)])
    return int(iid)


def snapshots(con) -> list[tuple[int, object]]:
    return con.execute("SELECT snapshot_id, snapshot_date FROM snapshots ORDER BY snapshot_date, snapshot_id").fetchall()


def previous_snapshot(con, snapshot_date) -> tuple[int, object] | None:
    """(id, date) of the latest snapshot dated before snapshot_date, None when there is none."""
    rows = con.execute("SELECT snapshot_id, snapshot_date FROM snapshots WHERE snapshot_date < ?"
                       " ORDER BY snapshot_date DESC, snapshot_id DESC LIMIT 1", [snapshot_date]).fetchall()
    return (int(rows[0][0]), rows[0][1]) if rows else None


def content_hash(data: bytes) -> str:
    """The SHA-256 of a file's bytes: the same export dropped twice has the same hash, whatever its name."""
    return hashlib.sha256(data).hexdigest()


def imported_file(con, digest: str) -> dict | None:
    """{file_name, snapshot_date, imported_at} of the earlier import of a file with this content, else None."""
    rows = con.execute("SELECT file_name, snapshot_date, imported_at FROM imported_files WHERE sha256 = ?",
                       [digest]).fetchall()
    return dict(zip(("file_name", "snapshot_date", "imported_at"), rows[0])) if rows else None


def remember_files(con, files: dict[str, str], snapshot_date) -> None:
    """Record the content hash of each imported file (hash -> file name), with the snapshot it went to."""
    for digest, name in files.items():
        con.execute("INSERT OR REPLACE INTO imported_files (sha256, file_name, snapshot_date) VALUES (?, ?, ?)",
                    [digest, name, snapshot_date])


def save_column_mapping(con, signature: str, table: str, mapping: dict[str, str]) -> None:
    con.execute(
        "INSERT OR REPLACE INTO column_mappings (signature, table_name, mapping_json) VALUES (?, ?, ?)",
        [signature, table, json.dumps(mapping, ensure_ascii=False)],
    )


def load_column_mapping(con, signature: str) -> tuple[str, dict[str, str]] | None:
    rows = con.execute("SELECT table_name, mapping_json FROM column_mappings WHERE signature = ?", [signature]).fetchall()
    return (rows[0][0], json.loads(rows[0][1])) if rows else None


def save_stage_mapping(con, mapping: dict[str, tuple[str, str]]) -> None:
    """mapping: CRM stage name -> (canonical stage key, status)."""
    for crm_stage, (stage, status) in mapping.items():
        con.execute(
            "INSERT OR REPLACE INTO stage_mappings (crm_stage, stage, status) VALUES (?, ?, ?)",
            [crm_stage, stage, status],
        )


def load_stage_mapping(con) -> dict[str, tuple[str, str]]:
    return {r[0]: (r[1], r[2]) for r in con.execute("SELECT crm_stage, stage, status FROM stage_mappings").fetchall()}
