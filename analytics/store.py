"""The workspace: one DuckDB file per client, its schema, its snapshots and its saved mappings.

One process writes; each thread works through its own cursor (`con.cursor()`), as DuckDB asks.
Results are read with fetchall(): DuckDB 2 keeps a half-read result (fetchone) open and then refuses to
register a table on that connection.
An import runs in one transaction followed by a CHECKPOINT, so the file never depends on its WAL.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import threading
import unicodedata
from contextlib import contextmanager
from pathlib import Path

import duckdb

from analytics.schema import SQL_TYPES, STAGES, TABLES

DEFAULT_ROOT = Path.home() / ".cockpit" / "workspaces"
DEMO_WORKSPACE = "demo"

# Columns stored beside the canonical ones (IMPORT_ONLY: written by a file import, NULL for generated data).
IMPORT_ONLY = {"bad_values", "key_derived", "currency", "amount_original"}
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
                      ("currency", "VARCHAR"), ("amount_original", "DECIMAL(18,2)")],
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


def remember_name(slug: str, name: str) -> None:
    """Keep the name as typed beside the workspace file, to show it instead of the slug."""
    path = workspace_root() / f"{slug}.name"
    if not path.exists() and name.strip() and name.strip() != slug:
        path.write_text(name.strip()[:60], encoding="utf-8")


def display_name(slug: str) -> str:
    """The name typed when the workspace was created, else its slug."""
    try:
        return (workspace_root() / f"{slug}.name").read_text(encoding="utf-8").strip() or slug
    except OSError:
        return slug


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


_connections: dict[str, duckdb.DuckDBPyConnection] = {}
_connections_lock = threading.Lock()


def open_workspace(name: str) -> duckdb.DuckDBPyConnection:
    """The process-wide connection to a workspace file, created with its schema on first use.

    Callers on other threads take `con.cursor()`; one connection per file keeps a single writer.
    """
    path = workspace_path(name)
    key = str(path)
    with _connections_lock:
        con = _connections.get(key)
        if con is None:
            path.parent.mkdir(parents=True, exist_ok=True)
            con = duckdb.connect(key)
            init_schema(con)
            _connections[key] = con
        return con


def close_workspace(name: str) -> None:
    with _connections_lock:
        con = _connections.pop(str(workspace_path(name)), None)
    if con is not None:
        con.close()


def memory_workspace() -> duckdb.DuckDBPyConnection:
    """An in-memory workspace with the schema: for tests and benchmarks."""
    con = duckdb.connect(":memory:")
    init_schema(con)
    return con


# One writer per process: two sessions importing at once queue here instead of conflicting on ids.
_write_lock = threading.RLock()


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection):
    """One import = one transaction: all of it lands, or nothing does. CHECKPOINT after a commit, so the
    write-ahead log never holds the only copy."""
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
