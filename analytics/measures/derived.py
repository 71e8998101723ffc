"""Tables derived from the data once per data version, inside the transaction of the write that changes their
inputs, and read instead of computing the same rows on every cold render (issue 17: the funnel and the flash
page under 2 s at 1M deals).

- `stay_islands` (analytics/measures/stays.py): the stage history's rows merged into stays;
- `stays_latest` (stays.py): every stay of the latest upload's deals, as `stays.stays_cte` gives them;
- `reached_latest` (analytics/measures/reached.py): per deal of the latest upload, the highest stage its history and
  its uploads show;
- `activity_steps` (analytics/measures/activity.py): the calls and held meetings of the activity cascade, in date
  order.

Each table has a state table (`<table>_state`) holding the data version and the row counts of its inputs it was
built on: a reader uses the table only while both match (`is_fresh`), so a workspace made before a table, or rows
written outside an import (the demo, a benchmark, a test), are computed as they are read, never read stale.
"""
from __future__ import annotations

# The inputs of the latest tables: the stage history and the uploads (an import that writes neither keeps them).
LATEST_INPUTS = ("(SELECT count(*) FROM stage_history) AS history_rows,"
                 " (SELECT count(*) FROM opportunities) AS opportunity_rows,"
                 " (SELECT count(*) FROM snapshots) AS snapshot_rows")
ACTIVITY_INPUTS = "(SELECT count(*) FROM activities) AS activity_rows"


def save_state(con, state_table: str, inputs: str = LATEST_INPUTS) -> None:
    """Record that a derived table was just built on the current data version and `inputs` (row counts, code)."""
    from analytics import store

    con.execute(f"CREATE OR REPLACE TABLE {state_table} AS SELECT CAST(? AS BIGINT) AS version, {inputs}",
                [store.data_version(con)])


def is_fresh(con, table: str, state_table: str, inputs: str = LATEST_INPUTS) -> bool:
    """Whether `table` was built on the workspace's current data (same data version, same row counts of its
    `inputs`)."""
    from analytics import store

    made = con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name IN (?, ?)"
                       " AND schema_name = 'main' AND NOT temporary", [table, state_table]).fetchall()[0][0]
    if made < 2:  # not built yet (a workspace made before the table, or in memory)
        return False
    built = con.execute(f"SELECT * FROM {state_table}").fetchall()
    now = con.execute(f"SELECT {inputs}").fetchall()[0]
    return bool(built) and built[0] == (store.data_version(con), *now)


def keep(con, state_table: str) -> None:
    """A write that changed none of the table's inputs: the table, fresh before it, stays fresh."""
    from analytics import store

    con.execute(f"UPDATE {state_table} SET version = ?", [store.data_version(con)])


def freshness(con) -> dict[str, bool]:
    """Which derived tables are fresh, read by a write before it bumps the data version."""
    from analytics.measures import activity, reached, stays

    return {"islands": stays.table_is_fresh(con), "stays": stays.latest_is_fresh(con),
            "reached": reached.latest_is_fresh(con), "activities": activity.steps_are_fresh(con)}


def refresh(con, fresh: dict[str, bool] | None = None, history: bool = True, uploads: bool = True,
            activities: bool = True) -> None:
    """What a write does last, in its transaction: every derived table rebuilt for the new data version, or kept
    when it was fresh before the write (`fresh`, from `freshness`) and the write changed none of its inputs
    (`history`: it wrote stage history rows; `uploads`: opportunities or snapshots; `activities`). The islands
    first: the latest stays are built from them."""
    from analytics.measures import activity, reached, stays

    fresh = fresh or {}
    if fresh.get("islands") and not history:
        stays.keep_table(con)
    else:
        stays.refresh_table(con)
    unchanged = not history and not uploads
    # A single upload without stage history (a first CSV export) has no stay to measure and reaches the stages its
    # upload shows: the latest tables would cost the import seconds at 1M deals for little; the reads compute them
    # (not fresh) until a second upload or a history comes.
    worth = stays.measurable(stays.sources(con))
    for name, module in (("stays", stays), ("reached", reached)):
        if fresh.get(name) and unchanged:
            module.keep_latest(con)
        elif worth:
            module.refresh_latest(con)
    if fresh.get("activities") and not activities:
        keep(con, activity.STEPS_STATE)
    else:
        activity.refresh_steps(con)
