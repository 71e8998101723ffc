"""The highest stage each deal reached: one definition for the funnel, the reviews and every other view.

A deal reached stage k when any of these shows it at stage k or beyond (the highest wins):

1. its stage history (`stage_history`), when the workspace has one for the deal;
2. every uploaded snapshot up to the one read (a deal seen at proposal last week and back at
   qualification today reached proposal);
3. the stage the CRM kept: Pipedrive keeps the stage at which a deal was lost, with the status apart,
   and the importer stores it as is (stage 'proposal', status 'lost'), so a deal lost at stage k
   reached k. A won deal went through every stage (order 5).

A lost deal that none of them places on a funnel stage (its CRM wrote only "Closed Lost", no history,
a single upload) has an unknown reached stage: `reached_order` is NULL and views count it apart,
saying that a stage history or weekly uploads would tell.

Stage orders are those of `schema.STAGES`: lead 1, qualification 2, proposal 3, negotiation 4, won 5.
Lost (order 0) is not a funnel stage.
"""
from __future__ import annotations

import pandas as pd

from analytics.filters import Filter
from analytics.measures import derived
from analytics.schema import STAGES
from analytics.selection import deals_cte
from analytics.timeline import timeline_cte

# The funnel's stages in order, won last (lost is an outcome, not a stage reached).
FUNNEL_STAGES = [s.key for s in sorted(STAGES, key=lambda s: s.order) if s.order >= 1]
STAGE_ORDER = {s.key: s.order for s in STAGES}
SOURCES = ("history", "snapshots", "crm")


# Per deal of the latest upload, the highest stage its history and its uploads show (`_rs_hist`, `_rs_seen` of
# `reached_cte` for the latest snapshot), kept as a table per data version (analytics/measures/derived.py): the
# funnel of the latest upload then joins it to the deals counted instead of grouping 2.5 M history rows and every
# upload's rows on each cold render. A past snapshot, or the table missing or stale, reads them as before.
LATEST_TABLE = "reached_latest"
LATEST_STATE = "reached_latest_state"


def _orders_sql(history_cut: str, deals: str, tl_name: str) -> str:
    """`_rs_seen` and `_rs_hist`: per deal of the CTE `deals`, the highest funnel stage order any upload of the
    timeline `tl_name` showed (seen_order) and the highest one its stage history shows (hist_order)."""
    return (
        f" _rs_seen AS (SELECT opportunity_id, max(stage_order) AS seen_order FROM {tl_name}"
        "  WHERE stage_order >= 1 GROUP BY opportunity_id),"
        " _rs_hist AS (SELECT h.opportunity_id, max(s.stage_order) AS hist_order"
        "  FROM stage_history h JOIN stages s ON s.stage = h.stage"
        f"  WHERE s.stage_order >= 1 AND {history_cut}"
        f"   AND h.opportunity_id IN (SELECT opportunity_id FROM {deals})"
        "  GROUP BY h.opportunity_id)"
    )


def refresh_latest(con) -> None:
    """(Re)build the stages reached by the latest upload's deals for the workspace's current data version:
    hist_order, seen_order (see `reached_cte`) and, for its open deals with a dated history row
    (dated_history), the stage of the latest one (last_stage: `kpis.stays_not_measured`)."""
    all_sql, params = deals_cte(Filter(), None, name="_rs_deals")
    tl, tl_params = timeline_cte(name="_rs_tl", deals="_rs_deals")
    con.execute(
        f"CREATE OR REPLACE TABLE {LATEST_TABLE} AS WITH {all_sql}, {tl},{_orders_sql('TRUE', '_rs_deals', '_rs_tl')},"
        f" _rs_last AS ({LAST_STAGE_SQL.format(deals='_rs_deals')})"
        # one row per deal that any of them holds (the others join to nothing, as they do to the CTEs)
        " SELECT opportunity_id, hi.hist_order, se.seen_order, la.last_stage,"
        " coalesce(la.dated_history, false) AS dated_history"
        " FROM _rs_hist hi FULL JOIN _rs_seen se USING (opportunity_id) FULL JOIN _rs_last la USING (opportunity_id)",
        params + tl_params)
    derived.save_state(con, LATEST_STATE)


# The stage of each open deal's latest dated history row (code; `deals`: a CTE of deals with status): the stuck
# alert cannot judge an open deal whose history stops before its current stage (`kpis.stays_not_measured`).
LAST_STAGE_SQL = (
    "SELECT opportunity_id, arg_max(stage, entered_at) AS last_stage, true AS dated_history FROM stage_history"
    "  WHERE entered_at IS NOT NULL"  # only the open deals' history is grouped: they are the only ones counted
    "   AND opportunity_id IN (SELECT opportunity_id FROM {deals} WHERE status = 'open') GROUP BY opportunity_id"
)


def latest_is_fresh(con) -> bool:
    """Whether the latest stages reached were built on the workspace's current data (`derived.is_fresh`)."""
    return derived.is_fresh(con, LATEST_TABLE, LATEST_STATE)


def keep_latest(con) -> None:
    """A write that changes neither the uploads nor the stage history: the table stays fresh."""
    derived.keep(con, LATEST_STATE)


def table_readable(con, snapshot_id: int | None = None) -> bool:
    """Whether `reached_cte` may read the latest table for this snapshot (the latest, the table fresh)."""
    return snapshot_id is None and latest_is_fresh(con)


def reached_cte(flt: Filter = Filter(), snapshot_id: int | None = None, name: str = "reached",
                where: str = "TRUE", where_params: list | tuple = (), from_table: bool = False) -> tuple[str, list]:
    """`deals AS (...), name AS (...)`: the deals of `selection.deals_cte` with the stage each reached.

    `where` (SQL written in code over the deals' columns, alias r; never user text) keeps only the deals a
    view counts (closed in the period...) before the history and the uploads are read: the work then grows
    with the deals counted, not with the workspace.

    Extra columns: reached_order (1..5, NULL when unknown), reached_stage (its key), reached_source
    ('history' | 'snapshots' | 'crm': the first of these, in that order, that shows the highest stage;
    NULL when unknown). Snapshots count up to the one read (the latest when None); with an explicit
    snapshot, history rows entered after its date are left out, so a past snapshot reads as it was then.
    from_table (snapshot_id None; the caller checked `table_readable`): the highest stages of
    the history and the uploads read from the latest table: the same rows.
    """
    all_sql, params = deals_cte(flt, snapshot_id, name="_rs_all")
    deals_sql = f"{all_sql}, deals AS (SELECT * FROM _rs_all r WHERE {where})"
    params = params + list(where_params)
    if from_table:
        if snapshot_id is not None:
            raise ValueError("the latest table holds the stages reached in the latest upload only")
        joins = f" LEFT JOIN {LATEST_TABLE} hi ON hi.opportunity_id = d.opportunity_id"
        return deals_sql + "," + _reached_sql(name, joins, "hi.seen_order"), params
    if snapshot_id is None:
        history_cut, history_params = "TRUE", []
    else:
        history_cut = "CAST(h.entered_at AS DATE) <= (SELECT snapshot_date FROM snapshots WHERE snapshot_id = ?)"
        history_params = [snapshot_id]
    # the snapshot read and every one before it (the snapshot timeline, by date then id), for these deals only
    tl, tl_params = timeline_cte(upto=snapshot_id, name="_rs_tl", deals="deals")
    joins = (" LEFT JOIN _rs_hist hi ON hi.opportunity_id = d.opportunity_id"
             " LEFT JOIN _rs_seen se ON se.opportunity_id = d.opportunity_id")
    sql = f"{deals_sql}, {tl},{_orders_sql(history_cut, 'deals', '_rs_tl')}," + _reached_sql(name, joins, "se.seen_order")
    return sql, params + tl_params + history_params


def _reached_sql(name: str, joins: str, seen: str) -> str:
    """The deals of `deals` with their highest stage: hi.hist_order (history) and `seen` (uploads) from
    `joins` (code), and the CRM's own stage."""
    stage_keys = ", ".join(f"'{k}'" for k in FUNNEL_STAGES)  # fixed code strings
    return (
        f" _rs AS (SELECT d.*, hi.hist_order, {seen} AS seen_order,"
        "  CASE WHEN d.stage_order >= 1 THEN d.stage_order END AS crm_order"
        f"  FROM deals d{joins}),"
        f" {name} AS (SELECT * EXCLUDE (hist_order, seen_order, crm_order, _top),"
        f"  _top AS reached_order, ([{stage_keys}])[_top] AS reached_stage,"
        "  CASE WHEN _top IS NULL THEN NULL WHEN hist_order = _top THEN 'history'"
        "   WHEN crm_order = _top THEN 'crm' ELSE 'snapshots' END AS reached_source"
        "  FROM (SELECT *, greatest(hist_order, seen_order, crm_order) AS _top FROM _rs))"
    )


def reached(con, flt: Filter = Filter(), snapshot_id: int | None = None) -> pd.DataFrame:
    """One row per deal of the filter: opportunity_id, owner, status, stage, created_date, outcome_date,
    reached_order, reached_stage, reached_source (see `reached_cte`), sorted by id."""
    cte, params = reached_cte(flt, snapshot_id, from_table=table_readable(con, snapshot_id))
    return con.execute(
        f"WITH {cte} SELECT opportunity_id, owner, status, stage, created_date, outcome_date,"
        " reached_order, reached_stage, reached_source FROM reached ORDER BY opportunity_id", params
    ).fetchdf()


def unknown_summary(con, flt: Filter = Filter(), snapshot_id: int | None = None, where: str = "TRUE",
                    where_params: tuple = ()) -> dict:
    """What the page says about deals whose reached stage is unknown (of the deals `where` keeps).

    Returns {deals, unknown, lost, has_history (bool), snapshots (uploads in the workspace),
    by_source: {history, snapshots, crm: deals placed by each}}.
    """
    cte, params = reached_cte(flt, snapshot_id, where=where, where_params=where_params,
                              from_table=table_readable(con, snapshot_id))
    row = con.execute(
        f"WITH {cte} SELECT count(*), count(*) FILTER (WHERE reached_order IS NULL),"
        " count(*) FILTER (WHERE status = 'lost'),"
        " count(*) FILTER (WHERE reached_source = 'history'), count(*) FILTER (WHERE reached_source = 'snapshots'),"
        " count(*) FILTER (WHERE reached_source = 'crm') FROM reached", params
    ).fetchall()[0]
    has_history = con.execute("SELECT count(*) > 0 FROM stage_history").fetchall()[0][0]
    n_snapshots = con.execute("SELECT count(*) FROM snapshots").fetchall()[0][0]
    return {
        "deals": int(row[0]), "unknown": int(row[1]), "lost": int(row[2]),
        "has_history": bool(has_history), "snapshots": int(n_snapshots),
        "by_source": {"history": int(row[3]), "snapshots": int(row[4]), "crm": int(row[5])},
    }
