"""Small workspaces for the funnel tests (reached stage, stays, conversion, planner), built in code.

`workspace(snapshots, history=(), activities=(), reps=())` takes, per snapshot, its date and its deals as
tuples (id, owner, stage, status, amount, created, closed[, probability]); stage history rows are
(id, stage, entered_at). Every test module states its own rows and the hand arithmetic beside them.
"""
from __future__ import annotations

from analytics import store


def add_snapshot(con, day: str, deals) -> int:
    sid = store.new_snapshot(con, day, "test", len(deals))
    rows = []
    for d in deals:
        oid, owner, stage, status, amount, created, closed, *rest = d
        probability = rest[0] if rest else None
        segment = rest[1] if len(rest) > 1 else None
        rows.append((oid, owner, stage, status, amount, probability, created, closed, segment, sid))
    con.executemany(
        "INSERT INTO opportunities (opportunity_id, owner, stage, status, amount, probability, created_date,"
        " close_date, segment, snapshot_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
    return sid


def workspace(snapshots, history=(), activities=(), reps=()):
    """An in-memory workspace; `snapshots` is [(date, deals)] oldest first."""
    con = store.memory_workspace()
    for day, deals in snapshots:
        add_snapshot(con, day, deals)
    if history:
        con.executemany("INSERT INTO stage_history (opportunity_id, stage, entered_at) VALUES (?, ?, ?)",
                        list(history))
    if activities:
        con.executemany(
            "INSERT INTO activities (activity_id, date, owner, type, opportunity_id, outcome)"
            " VALUES (?, ?, ?, ?, ?, ?)", list(activities))
    if reps:
        con.executemany("INSERT INTO reps (owner, team) VALUES (?, ?)", list(reps))
    return con
