"""Time in stage: each deal's stays per funnel stage, thresholds for "stuck", and the open deals stuck now.

A stay is an unbroken time a deal spent in one funnel stage (lead, qualification, proposal, negotiation):

- from `stage_history` when the deal has one: consecutive rows of the same funnel stage are one stay (two
  CRM sub-stages mapped to "proposal" are one proposal stay); it starts at its first row's entered_at and
  ends when the next stage (or the close, 'won' / 'lost') is entered;
- else from the weekly uploads: consecutive uploads that saw the deal open in the same stage are one stay,
  bounded by the uploads that saw it: it starts on the first upload that saw it there and ends on the
  first upload that saw it elsewhere (or closed). Its length is known to the week; a stay seen on the
  first upload of the workspace may have begun earlier.

A stay that has not ended is `ongoing` when the deal is open in that stage in the snapshot read; other
unended stays (history that stops, a deal dropped from the exports) have no length and are left out.

"Stuck": an ongoing stay longer than its stage's threshold. The default threshold is the team's own 75th
percentile of the stays in that stage that ended over the last year (3 deals in 4 left sooner), never below
FLOOR_DAYS, and only when the stage has at least MIN_STAYS of them; the page lets the user edit each threshold.
"""
from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pandas as pd

from analytics.filters import Filter, period_condition
from analytics.measures import derived
from analytics.schema import OPEN_STAGES
from analytics.selection import LATEST_SNAPSHOT, deals_cte, dimension_conditions
from analytics.timeline import timeline_cte

MIN_STAYS = 4  # "3 deals in 4" needs at least four finished stays in the stage to mean anything
FLOOR_DAYS = 7  # a threshold under a week would flag deals that are merely in a busy week
THRESHOLD_DAYS = 365  # thresholds read the stays that ended over the last year
SOURCES = ("history", "snapshots")


def _islands(src: str, name: str, order_by: str) -> str:
    """Consecutive rows of one deal with the same `key` merged into one island (gaps and islands):
    `name AS (opportunity_id, key, entered, left_at)`. An island starts at a row whose key differs from the
    row before; its end (left_at) is the next island's start. Two windows over the rows, no group-by."""
    return (
        f" {name}_a AS (SELECT opportunity_id, key, ts AS entered,"
        f"  lag(key) OVER (PARTITION BY opportunity_id ORDER BY {order_by}) AS prev_key,"
        f"  row_number() OVER (PARTITION BY opportunity_id ORDER BY {order_by}) AS rn FROM {src}),"
        f" {name} AS (SELECT opportunity_id, key, entered,"
        f"  lead(entered) OVER (PARTITION BY opportunity_id ORDER BY rn) AS left_at"
        f"  FROM {name}_a WHERE prev_key IS NULL OR prev_key <> key)"
    )


# The stays from the stage history, merged once per data version (the gaps-and-islands windows over every
# history row cost most of a cold funnel or flash render): a cache of `_history_islands`, written by the import
# in its transaction (`refresh_table`), read by `stays_cte` only while it is fresh (`table_is_fresh`).
TABLE = "stay_islands"
STATE_TABLE = "stay_islands_state"


def _history_islands(deals: str | None) -> str:
    """`_st_h AS (...), _st_hi AS (...)`: the history rows (of the deals in `deals`, a CTE name, or of every
    deal when None) and their islands: consecutive rows of one funnel stage merged into one stay."""
    keep = f" AND h.opportunity_id IN (SELECT opportunity_id FROM {deals})" if deals else ""
    return (
        # history rows; the close ('won' / 'lost') ends the stay before it
        " _st_h AS (SELECT h.opportunity_id, h.stage AS key, h.entered_at AS ts, s.stage_order AS o"
        "  FROM stage_history h JOIN stages s ON s.stage = h.stage"
        f"  WHERE h.entered_at IS NOT NULL{keep}),"
        + _islands("_st_h", "_st_hi", "ts, o")
    )


def refresh_table(con) -> None:
    """(Re)build the cache of the history's islands for the workspace's current data version. The import
    calls it inside its transaction, after its rows and its log entry are written."""
    from analytics import store

    con.execute(f"CREATE OR REPLACE TABLE {TABLE} AS WITH {_history_islands(None)}"
                " SELECT opportunity_id, key, entered, left_at FROM _st_hi")
    # last_day and unplaced tell a reader of the history as known on a past day whether the islands are the ones
    # it would merge (`islands_as_of`)
    con.execute(f"CREATE OR REPLACE TABLE {STATE_TABLE} AS SELECT CAST(? AS BIGINT) AS version,"
                " count(*) AS history_rows, max(CAST(entered_at AS DATE)) AS last_day,"
                " count(*) FILTER (WHERE entered_at IS NOT NULL AND (stage IS NULL"
                "  OR stage NOT IN (SELECT stage FROM stages))) AS unplaced FROM stage_history",
                [store.data_version(con)])


def table_is_fresh(con) -> bool:
    """Whether the islands table was built on the workspace's current data (same data version, same number
    of history rows: data written outside an import, as the demo or a benchmark does, is not covered)."""
    from analytics import store

    made = con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name IN (?, ?)"
                       " AND schema_name = 'main' AND NOT temporary", [TABLE, STATE_TABLE]).fetchall()[0][0]
    if made < 2:  # not built yet (a workspace made before the cache, or in memory)
        return False
    rows = con.execute(f"SELECT version, history_rows, (SELECT count(*) FROM stage_history)"
                       f" FROM {STATE_TABLE}").fetchall()
    return bool(rows) and rows[0][0] == store.data_version(con) and rows[0][1] == rows[0][2]


def islands_as_of(con, day: date) -> bool:
    """Whether the islands table is what merging the history known on `day` (rows entered by then) gives, by a
    reader that orders one deal's rows by entered_at and reads every row with a date: the table is fresh, holds
    no row entered after `day` and no dated row of a stage outside the stages (which the islands leave out)."""
    if not table_is_fresh(con):
        return False
    state = con.execute(f"SELECT * FROM {STATE_TABLE}").fetchdf()
    if not {"last_day", "unplaced"} <= set(state.columns):  # built before these were kept
        return False
    last_day, unplaced = state["last_day"].iloc[0], state["unplaced"].iloc[0]
    return int(unplaced) == 0 and (pd.isna(last_day) or pd.Timestamp(last_day).date() <= day)


def keep_table(con) -> None:
    """An import that leaves the stage history as it was: the islands table, fresh before it, stays fresh."""
    from analytics import store

    con.execute(f"UPDATE {STATE_TABLE} SET version = ?", [store.data_version(con)])


# Every stay of the latest upload's deals (the rows of `stays_cte` for the latest snapshot and every deal), kept as
# a table per data version (analytics/measures/derived.py): the thresholds, the time in stage and the stuck list of
# the pages' default view (the latest upload) then read a few columns of it instead of joining 1.6 M islands to the
# deals and the uploads on every cold render. A past snapshot, a workspace made before the table or data written
# outside an import still merge the stays as they are read.
LATEST_TABLE = "stays_latest"
LATEST_STATE = "stays_latest_state"


def refresh_latest(con) -> None:
    """(Re)build the latest upload's stays for the workspace's current data version (after `refresh_table`:
    it reads the islands when they are fresh). Ordered by left_on so that a period's finished stays are read
    from the few row groups that hold them."""
    cte, params = stays_cte(from_table=table_is_fresh(con))
    con.execute(f"CREATE OR REPLACE TABLE {LATEST_TABLE} AS WITH {cte} SELECT * FROM stays"
                " ORDER BY left_on NULLS LAST, opportunity_id, entered, stage_order", params)
    derived.save_state(con, LATEST_STATE)


def latest_is_fresh(con) -> bool:
    """Whether the latest stays were built on the workspace's current data (`derived.is_fresh`)."""
    return derived.is_fresh(con, LATEST_TABLE, LATEST_STATE)


def keep_latest(con) -> None:
    """A write that changes neither the uploads nor the stage history: the latest stays stay fresh."""
    derived.keep(con, LATEST_STATE)


def _read_from(con, snapshot_id: int | None) -> str | None:
    """Where the stays of a read come from: "latest" (the latest stays table: the latest upload read, table
    fresh), "islands" (the islands table fresh) or None (merged as read)."""
    if snapshot_id is None and latest_is_fresh(con):
        return "latest"
    return "islands" if table_is_fresh(con) else None


def _latest_cte(flt: Filter, name: str, where: str, where_params: list | tuple) -> tuple[str, list]:
    """`stays_cte` for the latest upload from the latest stays table: the same columns and rows. The deals
    of the filter are joined only when the filter or `where` keeps fewer than every deal."""
    all_sql, params = deals_cte(replace(flt, start=None, end=None), None, name="_st_deals")
    deals_sql = f"{all_sql}, deals AS (SELECT * FROM _st_deals r WHERE {where})"
    keep = where != "TRUE" or dimension_conditions(flt)[1]
    rows = f" WHERE opportunity_id IN (SELECT opportunity_id FROM deals)" if keep else ""
    return f"{deals_sql}, {name} AS (SELECT * FROM {LATEST_TABLE}{rows})", params + list(where_params)


def stays_cte(flt: Filter = Filter(), snapshot_id: int | None = None, name: str = "stays",
              where: str = "TRUE", where_params: list | tuple = (), from_table: bool | str = False
              ) -> tuple[str, list]:
    """`deals AS (...), ..., name AS (...)`: one row per stay of the deals of `deals_cte` (the filter's
    dimensions; its period is not applied). Columns: opportunity_id, owner, stage, stage_order, entered,
    left_on (DATEs; left_on NULL when the stay has not ended), days (NULL when not ended), ongoing,
    source ('history' | 'snapshots'). Snapshots count up to the one read (the latest when None).
    `where` (code, alias r) keeps only the deals a view needs before their history is read.
    from_table: True or "islands": read the history's stays from the islands table (`refresh_table`; the caller
    checked `table_is_fresh`) instead of merging the history again; "latest" (snapshot_id None, the caller
    checked `latest_is_fresh`): read every stay from the latest stays table. The same rows either way.
    """
    if from_table == "latest":
        if snapshot_id is not None:
            raise ValueError("the latest stays table holds the latest upload's stays only")
        return _latest_cte(flt, name, where, where_params)
    from_table = bool(from_table)
    all_sql, params = deals_cte(replace(flt, start=None, end=None), snapshot_id, name="_st_deals")
    deals_sql = f"{all_sql}, deals AS (SELECT * FROM _st_deals r WHERE {where})"
    params = params + list(where_params)
    # the uploads up to the one read, for the deals without history (the latest: every upload)
    tl, tl_params = timeline_cte(upto=snapshot_id, name="_st_tl", deals="_st_nh")
    open_keys = ", ".join(f"'{k}'" for k in OPEN_STAGES)  # fixed code strings
    sql = (
        f"{deals_sql},"
        + (f" _st_hi AS (SELECT * FROM {TABLE} WHERE opportunity_id IN (SELECT opportunity_id FROM deals)),"
           # the deals without a history row, found before the uploads are read (most deals have one)
           " _st_nh AS (SELECT d.opportunity_id FROM deals d ANTI JOIN _st_hi"
           "  ON _st_hi.opportunity_id = d.opportunity_id),"
           if from_table else
           _history_islands("deals") + ","
           " _st_nh AS (SELECT d.opportunity_id FROM deals d ANTI JOIN _st_h"
           "  ON _st_h.opportunity_id = d.opportunity_id),") +
        # uploads, for deals without history, from the snapshot timeline (each row with the deal's previous upload):
        # a closed deal's row says its status, whatever stage it kept; a stay starts where the key changes
        f" {tl},"
        f" _st_s AS (SELECT opportunity_id, {_upload_key('')} AS key, {_upload_key('prev_')} AS prev_key,"
        "  CAST(snapshot_date AS TIMESTAMP) AS ts, snapshot_id AS i FROM _st_tl),"
        " _st_si AS (SELECT opportunity_id, key, ts AS entered,"
        "  lead(ts) OVER (PARTITION BY opportunity_id ORDER BY ts, i) AS left_at"
        "  FROM _st_s WHERE prev_key IS NULL OR prev_key <> key),"
        " _st_all AS (SELECT *, 'history' AS source FROM _st_hi UNION ALL SELECT *, 'snapshots' FROM _st_si),"
        f" {name} AS (SELECT a.opportunity_id, d.owner, a.key AS stage, s.stage_order,"
        "  CAST(a.entered AS DATE) AS entered, CAST(a.left_at AS DATE) AS left_on,"
        "  date_diff('day', CAST(a.entered AS DATE), CAST(a.left_at AS DATE)) AS days,"
        "  (a.left_at IS NULL AND d.status = 'open' AND d.stage = a.key) AS ongoing, a.source"
        "  FROM _st_all a JOIN deals d ON d.opportunity_id = a.opportunity_id JOIN stages s ON s.stage = a.key"
        f"  WHERE a.key IN ({open_keys}))"
    )
    return sql, params + tl_params


def _upload_key(prefix: str) -> str:
    """What an upload says of a deal for its stays (columns `prefix`status, `prefix`stage of the timeline): the stage
    while open, else the status (a closed deal's row says won or lost, whatever stage it kept)."""
    return (f"CASE WHEN {prefix}status = 'open' THEN {prefix}stage"
            f" ELSE coalesce({prefix}status, {prefix}stage) END")


# A stay from the history ends in a period only if the deal entered another stage in it: other deals with a
# history are left out before their history is read. Deals without a history (stays from the uploads) are kept.
_moved_in = (
    "r.opportunity_id IN (SELECT opportunity_id FROM stage_history WHERE {h}"
    " UNION ALL SELECT a.opportunity_id FROM _st_deals a ANTI JOIN stage_history x"
    "  ON x.opportunity_id = a.opportunity_id)"
)


def _moved_in_params(flt: Filter) -> list:
    return period_condition("x", flt)[1]


def _moved_in_sql(flt: Filter) -> str:
    return _moved_in.format(h=period_condition("entered_at", flt)[0])


def sources(con, flt: Filter | None = None) -> dict:
    """What stays can be measured from: {history: the workspace has a stage history, snapshots: uploads}.
    With neither a history nor two uploads there is no stay to measure."""
    history, uploads = con.execute(
        "SELECT (SELECT count(*) FROM stage_history) > 0, (SELECT count(*) FROM snapshots)").fetchall()[0]
    return {"history": bool(history), "snapshots": int(uploads)}


def measurable(found: dict) -> bool:
    """Whether stays can be measured from what `sources` found: a stage history, or at least two uploads. The funnel's
    time in stage and the flash page's stuck alert both ask this (one rule: weekly uploads are enough)."""
    return bool(found["history"]) or found["snapshots"] >= 2


def stays(con, flt: Filter = Filter(), snapshot_id: int | None = None) -> pd.DataFrame:
    """Every stay of the filter's deals (see `stays_cte`), by deal then start."""
    cte, params = stays_cte(flt, snapshot_id, from_table=_read_from(con, snapshot_id) or False)
    return con.execute(f"WITH {cte} SELECT * FROM stays ORDER BY opportunity_id, entered, stage_order",
                       params).fetchdf()


def _stage_times_sql(flt: Filter, snapshot_id: int | None, grouping: str, team_row: str,
                     from_table: bool | str = False) -> tuple[str, list]:
    """The stays' statistics grouped by `grouping` (code); team_row (code) is 1 on rows of the whole team."""
    if from_table == "latest":  # the period's test on left_on reads only the row groups that hold it
        cte, params = stays_cte(flt, snapshot_id, from_table=from_table)
    elif flt.start is not None or flt.end is not None:
        cte, params = stays_cte(flt, snapshot_id, where=_moved_in_sql(flt), where_params=_moved_in_params(flt),
                                from_table=from_table)
    else:
        cte, params = stays_cte(flt, snapshot_id, from_table=from_table)
    period, period_params = period_condition("left_on", flt)
    sql = (
        f"WITH {cte} SELECT {'owner' if team_row != '1' else 'NULL'} AS owner, stage, stage_order, count(*) AS stays,"
        " quantile_cont(days, 0.5) AS median_days, quantile_cont(days, 0.25) AS p25_days,"
        " quantile_cont(days, 0.75) AS p75_days, avg(days) AS mean_days,"
        f" count(*) FILTER (WHERE source = 'snapshots') AS from_snapshots, {team_row} AS team_row"
        f" FROM stays WHERE days IS NOT NULL AND {period} GROUP BY {grouping}"
    )
    return sql, params + period_params


def _split(frame: pd.DataFrame, by_owner: bool) -> pd.DataFrame:
    rows = frame[frame.team_row == (0 if by_owner else 1)]
    rows = rows.sort_values((["owner"] if by_owner else []) + ["stage_order"], kind="stable", ignore_index=True)
    return rows.drop(columns=["team_row"] + ([] if by_owner else ["owner"]))


def stage_times(con, flt: Filter = Filter(), by_owner: bool = False, snapshot_id: int | None = None) -> pd.DataFrame:
    """Days per funnel stage over finished stays (ended within the filter's period when it has one).

    Columns: [owner,] stage, stage_order, stays, median_days, p25_days, p75_days, mean_days,
    from_snapshots (stays measured from uploads, to the week); one row per stage with a finished stay.
    """
    source = _read_from(con, snapshot_id) or False
    if by_owner:
        sql, params = _stage_times_sql(flt, snapshot_id, "owner, stage, stage_order", "0", source)
    else:
        sql, params = _stage_times_sql(flt, snapshot_id, "stage, stage_order", "1", source)
    return _split(con.execute(sql, params).fetchdf(), by_owner)


def time_in_stage(con, flt: Filter = Filter(), snapshot_id: int | None = None) -> dict[str, pd.DataFrame]:
    """{team: stage_times(flt), by_owner: stage_times(flt, by_owner=True)} from one read of the stays."""
    sql, params = _stage_times_sql(flt, snapshot_id, "GROUPING SETS ((stage, stage_order), (owner, stage, stage_order))",
                                   "grouping(owner)", _read_from(con, snapshot_id) or False)
    frame = con.execute(sql, params).fetchdf()
    return {"team": _split(frame, False), "by_owner": _split(frame, True)}


def default_thresholds(con, flt: Filter = Filter(), floor_days: float = FLOOR_DAYS,
                       snapshot_id: int | None = None) -> dict[str, dict]:
    """The team's own threshold per open stage: {stage: {p75_days, stays, threshold_days}}.

    Read over the stays of the filter's team, segment, region and source (not its rep, not its period: a rep
    is held to the team's pace) that ended in the THRESHOLD_DAYS days up to the snapshot read (the team's
    current pace, and a read that does not grow with years of history). threshold_days = max(p75, floor_days),
    None when the stage has fewer than MIN_STAYS such stays (p75_days is then None too).
    """
    if snapshot_id is None:
        day = con.execute(f"SELECT snapshot_date FROM snapshots WHERE snapshot_id = {LATEST_SNAPSHOT}").fetchall()
    else:
        day = con.execute("SELECT snapshot_date FROM snapshots WHERE snapshot_id = ?", [snapshot_id]).fetchall()
    if not day:
        return {s: {"p75_days": None, "stays": 0, "threshold_days": None} for s in OPEN_STAGES}
    end = day[0][0]
    team = replace(flt, owner=None, start=end - timedelta(days=THRESHOLD_DAYS - 1), end=end)
    times = stage_times(con, team, snapshot_id=snapshot_id).set_index("stage")
    out = {}
    for stage in OPEN_STAGES:
        n = int(times.loc[stage, "stays"]) if stage in times.index else 0
        p75 = float(times.loc[stage, "p75_days"]) if n >= MIN_STAYS else None
        out[stage] = {"p75_days": p75, "stays": n,
                      "threshold_days": None if p75 is None else max(p75, float(floor_days))}
    return out


def threshold_filter(flt: Filter) -> Filter:
    """The filter `default_thresholds` really reads (not the rep, not the period): pages cache the thresholds
    under it, so that the flash alert and the funnel page of one team share one computation."""
    return replace(flt, owner=None, start=None, end=None)


def frozen(defaults: dict[str, dict]) -> tuple:
    """`default_thresholds`' result as hashable (stage, p75_days, threshold_days) triples, for a cache key."""
    return tuple((stage, d["p75_days"], d["threshold_days"]) for stage, d in defaults.items())


def stuck_deals(con, flt: Filter, today: date, thresholds=None,
                floor_days: float = FLOOR_DAYS, snapshot_id: int | None = None, defaults=None) -> pd.DataFrame:
    """Open deals in their current stage for longer than its threshold, on `today`.

    `thresholds` ({stage: days}, or (stage, days) pairs, hashable for a cache) overrides the defaults of
    `default_thresholds` stage by stage; when it names every open stage (None: no threshold for it), the
    defaults are not computed and p75_days is NULL. `defaults` (the `frozen` triples of `default_thresholds`
    for this filter, floor and snapshot) spares computing them again when the caller already has them.
    Columns: opportunity_id, name, owner, stage, amount, entered, days_in_stage, threshold_days, p75_days,
    source; the longest overstays first.
    """
    given = dict(thresholds or {})
    if all(s in given for s in OPEN_STAGES):  # every stage set by the caller (None: no threshold)
        defaults = {s: {"p75_days": None, "threshold_days": None} for s in OPEN_STAGES}
    elif defaults is not None:
        defaults = {s: {"p75_days": p75, "threshold_days": t} for s, p75, t in defaults}
    else:
        defaults = default_thresholds(con, flt, floor_days, snapshot_id)
    chosen = {s: given.get(s, d["threshold_days"]) for s, d in defaults.items()}
    chosen = {s: float(v) for s, v in chosen.items() if v is not None and v == v}
    columns = ["opportunity_id", "name", "owner", "stage", "amount", "entered", "days_in_stage",
               "threshold_days", "p75_days", "source"]
    if not chosen:
        return pd.DataFrame(columns=columns)
    cte, params = stays_cte(flt, snapshot_id, where="r.status = 'open'",
                            from_table=_read_from(con, snapshot_id) or False)
    sql = (
        f"WITH {cte}, _th AS (SELECT unnest(CAST(? AS VARCHAR[])) AS stage, unnest(CAST(? AS DOUBLE[])) AS t,"
        "  unnest(CAST(? AS DOUBLE[])) AS p75)"
        " SELECT s.opportunity_id, d.name, s.owner, s.stage, d.amount, s.entered,"
        "  date_diff('day', s.entered, CAST(? AS DATE)) AS days_in_stage, _th.t AS threshold_days,"
        "  _th.p75 AS p75_days, s.source"
        " FROM stays s JOIN deals d ON d.opportunity_id = s.opportunity_id JOIN _th ON _th.stage = s.stage"
        " WHERE s.ongoing AND date_diff('day', s.entered, CAST(? AS DATE)) > _th.t"
        " ORDER BY date_diff('day', s.entered, CAST(? AS DATE)) - _th.t DESC, s.opportunity_id"
    )
    stages = list(chosen)
    p75s = [defaults[s]["p75_days"] for s in stages]
    return con.execute(sql, params + [stages, [chosen[s] for s in stages], p75s, today, today, today]).fetchdf()
