"""Settings stored in the workspace itself (so that every session and the CLI read the same): the month the
fiscal year starts in. Stored as text in the `settings` table (key, value) created by store.init_schema."""
from __future__ import annotations

import duckdb

from analytics import store

FISCAL_START = "fiscal_year_start_month"


def get(con, key: str, default: str | None = None) -> str | None:
    try:
        rows = con.execute("SELECT value FROM settings WHERE key = ?", [key]).fetchall()
    except duckdb.CatalogException:  # a workspace file made before settings existed, opened read-only
        return default
    return rows[0][0] if rows else default


def put(con, key: str, value: str) -> None:
    with store.writable(con) as writer, store.transaction(writer):
        writer.execute("INSERT OR REPLACE INTO settings (key, value) VALUES (?, ?)", [key, value])


def fiscal_start(con) -> int:
    """The month (1-12) the workspace's fiscal year starts in; 1 (January) unless set."""
    value = get(con, FISCAL_START, "1")
    try:
        month = int(value)
    except (TypeError, ValueError):
        return 1
    return month if 1 <= month <= 12 else 1


def set_fiscal_start(con, month: int) -> None:
    if not 1 <= int(month) <= 12:
        raise ValueError(f"a month is 1-12, not {month!r}")
    put(con, FISCAL_START, str(int(month)))
