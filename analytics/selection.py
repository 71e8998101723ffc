"""The deals every view reads: one snapshot's opportunities, filtered once, with the columns views share.

Every KPI, view, CLI command and the review pack starts from `deals_cte` (or `deals` for a DataFrame),
so that "team", "region", "probability" or "the date a deal was won" mean the same thing everywhere:

- team: the owner's team in `reps`; region: the owner's region in `reps`, else (an owner without one) the
  deal's own region. One rule for deals, quota and hours: targets and activities take their owner's region in
  `reps` too (filters.target_conditions, activity_conditions), so a region's won amount, quota and hours count
  the same reps. Filters and group-bys both read these resolved columns, so they never disagree.
- probability: the data's, else the stage's default (PRODUCT.md, weighted pipeline); `probability_given`
  keeps the data's own value (NULL when the export had none).
- close_date: the expected close date the CRM shows; outcome_date: when a closed deal was won or lost
  (the export's closed_date when it states one, else its expected close date bounded by the first upload that
  showed it closed, `closed_seen`, and by the upload read: a deal already closed in an export was not closed after
  it, whatever date it was expected on), NULL on open deals.

The period is not applied here: each KPI says which date it counts on (`in_period`).
Periodic tables (targets, marketing spend) are prorated to any window by `prorated`.
"""
from __future__ import annotations

from datetime import date

import pandas as pd

from analytics.filters import Filter, period_condition

DIMENSIONS = ("team", "owner", "segment", "region", "source", "product")
TIME_AXES = ("week", "month", "quarter", "year")
AXES = DIMENSIONS + ("stage",) + TIME_AXES

# One row per owner of `reps` (a rep listed twice keeps one team, region and cost).
REPS_ONE = (
    "(SELECT owner, max(team) AS team, max(manager) AS manager, max(region) AS region,"
    " min(hire_date) AS hire_date, max(hourly_cost) AS hourly_cost FROM reps GROUP BY owner)"
)

LATEST_SNAPSHOT = "(SELECT snapshot_id FROM snapshots ORDER BY snapshot_date DESC, snapshot_id DESC LIMIT 1)"
ALL_SNAPSHOTS = "all"  # deals_cte(flt, ALL_SNAPSHOTS): every snapshot's deals at once (trends over uploads)


# --- snapshots -----------------------------------------------------------------------------------------------

def snapshots(con) -> pd.DataFrame:
    """Every snapshot, oldest first. Columns: snapshot_id, snapshot_date, row_count."""
    return con.execute(
        "SELECT snapshot_id, snapshot_date, row_count FROM snapshots ORDER BY snapshot_date, snapshot_id"
    ).fetchdf()


def latest_snapshot_id(con) -> int | None:
    rows = con.execute(LATEST_SNAPSHOT[1:-1]).fetchall()
    return int(rows[0][0]) if rows else None


def snapshot_on_or_before(con, day: date) -> int | None:
    """The latest snapshot dated on or before `day` (None when every snapshot is later)."""
    rows = con.execute(
        "SELECT snapshot_id FROM snapshots WHERE snapshot_date <= ? ORDER BY snapshot_date DESC, snapshot_id DESC"
        " LIMIT 1", [day]
    ).fetchall()
    return int(rows[0][0]) if rows else None


# --- the deals -----------------------------------------------------------------------------------------------

def dimension_conditions(flt: Filter, alias: str = "d") -> tuple[str, list]:
    """SQL conditions on the resolved columns of `deals_cte` for the filter's dimensions (not its period)."""
    parts, params = [], []
    for column in ("team", "owner", "segment", "region", "source"):
        value = getattr(flt, column, None)
        if value is not None:
            parts.append(f"{alias}.{column} = ?")
            params.append(value)
    return (" AND ".join(parts) or "TRUE"), params


def deals_cte(flt: Filter, snapshot_id: int | None = None, name: str = "deals",
              extra: tuple[str, ...] = ()) -> tuple[str, list]:
    """`name AS (SELECT ...)`: the deals of one snapshot (the latest when None) of the filter's dimensions;
    with `snapshot_id=ALL_SNAPSHOTS`, the deals of every snapshot (one row per deal and snapshot, each as that
    snapshot states it), for trends over uploads read in one scan.

    Columns: snapshot_id, opportunity_id, name, account, owner, team, segment, source, region, product,
    stage, crm_stage, stage_order, status, amount, probability, probability_given, default_probability,
    created_date, close_date, outcome_date, margin, lost_reason, in_target, hire_date, hourly_cost;
    then the `extra` columns of `opportunities` asked for (names written in code: currency, amount_original).
    """
    where, params = dimension_conditions(flt, "x")
    snap = "?" if snapshot_id is not None else LATEST_SNAPSHOT
    snap_params = [snapshot_id] if snapshot_id is not None else []
    if snapshot_id == ALL_SNAPSHOTS:
        snap, snap_params = "o.snapshot_id", []
    sql = (
        f"{name} AS (SELECT * FROM (SELECT o.snapshot_id, o.opportunity_id, o.name, o.account, o.owner, r.team,"
        " o.segment, o.source, coalesce(r.region, o.region) AS region, o.product, o.stage, o.crm_stage,"
        " s.stage_order, o.status, o.amount,"
        " coalesce(o.probability, s.default_probability) AS probability, o.probability AS probability_given,"
        " s.default_probability, o.created_date, o.close_date,"
        " CASE WHEN o.status IN ('won', 'lost') THEN coalesce(o.closed_date,"
        "  CASE WHEN o.close_date > least(coalesce(o.closed_seen, sn.snapshot_date), sn.snapshot_date)"
        "  THEN least(coalesce(o.closed_seen, sn.snapshot_date), sn.snapshot_date) ELSE o.close_date END)"
        " END AS outcome_date,"
        " o.margin, o.lost_reason, o.in_target, r.hire_date, r.hourly_cost"
        + "".join(f", o.{column}" for column in extra) +
        f" FROM opportunities o LEFT JOIN stages s ON s.stage = o.stage LEFT JOIN {REPS_ONE} r ON r.owner = o.owner"
        " LEFT JOIN snapshots sn ON sn.snapshot_id = o.snapshot_id"
        f" WHERE o.snapshot_id = {snap}) x WHERE {where})"
    )
    return sql, snap_params + params


def named(sql: str, params: list, prefix: str) -> tuple[str, dict]:
    """A fragment written with positional `?` (deals_cte, the conditions) turned into named parameters
    $prefix_0, $prefix_1... so that a query may add its own named values ($start, $end...) beside it: DuckDB
    does not mix the two styles. The fragment is code (no `?` inside a string literal), never user text."""
    parts = sql.split("?")
    if len(parts) - 1 != len(params):
        raise ValueError(f"{len(parts) - 1} placeholders for {len(params)} parameters")
    out = parts[0] + "".join(f"${prefix}_{i}{rest}" for i, rest in enumerate(parts[1:]))
    return out, {f"{prefix}_{i}": value for i, value in enumerate(params)}


def deals(con, flt: Filter = Filter(), snapshot_id: int | None = None) -> pd.DataFrame:
    """The deals of `deals_cte` as a DataFrame (for small workspaces, tests and lists; views aggregate in SQL)."""
    cte, params = deals_cte(flt, snapshot_id)
    return con.execute(f"WITH {cte} SELECT * FROM deals ORDER BY opportunity_id", params).fetchdf()


def in_period(column: str, flt: Filter) -> tuple[str, list]:
    """`column` (a date expression written in code, never user text) within the filter's period."""
    return period_condition(column, flt)


def axis_expr(axis: str, alias: str = "d", date_column: str = "created_date", fiscal_start: int = 1) -> str:
    """The SQL expression that groups deals by `axis` (AXES); time axes bucket `date_column`
    (the bucket's first day). Quarters and years follow the fiscal year starting in month `fiscal_start`
    (1 = January: calendar quarters). Fixed SQL written here: never user text."""
    if axis in DIMENSIONS or axis == "stage":
        return f"{alias}.{axis}"
    if axis in TIME_AXES:
        shift = int(fiscal_start) - 1
        if not 0 <= shift <= 11:
            raise ValueError(f"fiscal year start month out of 1-12: {fiscal_start!r}")
        if shift and axis in ("quarter", "year"):
            # shift back to a calendar year starting in January, truncate, shift forward again
            return (f"CAST(date_trunc('{axis}', {alias}.{date_column} - INTERVAL {shift} MONTH)"
                    f" + INTERVAL {shift} MONTH AS DATE)")
        return f"CAST(date_trunc('{axis}', {alias}.{date_column}) AS DATE)"
    raise ValueError(f"unknown axis {axis!r}")


# --- periodic tables -----------------------------------------------------------------------------------------

def prorated(con, table: str, value_column: str, windows: list[tuple[date | None, date | None]],
             conditions: str = "TRUE", params: list | None = None, by: str | None = None) -> pd.DataFrame:
    """Sum of `value_column` of a periodic table (targets, marketing_spend: rows with period_start and
    period_end), each row prorated by the days it shares with each window: a monthly quota over one week
    counts 7/31 of it. A window bound of None is open on that side (the row counts whole).

    `table`, `value_column`, `by` and `conditions` are code, never user text (conditions may use alias t).
    Returns one row per window (and per `by` value): w_start, w_end, [by,] value. Windows no row overlaps
    are absent.
    """
    starts = [w[0] for w in windows]
    ends = [w[1] for w in windows]
    key = f", t.{by}" if by else ""
    sql = (
        "WITH w AS (SELECT unnest(CAST(? AS DATE[])) AS w_start, unnest(CAST(? AS DATE[])) AS w_end),"
        f" shared AS (SELECT w.w_start, w.w_end{key}, t.{value_column} AS v,"
        "  date_diff('day', greatest(t.period_start, coalesce(w.w_start, t.period_start)),"
        "   least(t.period_end, coalesce(w.w_end, t.period_end))) + 1 AS shared_days,"
        "  date_diff('day', t.period_start, t.period_end) + 1 AS row_days"
        f"  FROM {table} t CROSS JOIN w"
        f"  WHERE ({conditions}) AND t.{value_column} IS NOT NULL"
        "   AND t.period_start IS NOT NULL AND t.period_end IS NOT NULL"
        "   AND t.period_start <= coalesce(w.w_end, t.period_start)"
        "   AND t.period_end >= coalesce(w.w_start, t.period_end))"
        f" SELECT w_start, w_end{', ' + by if by else ''}, sum(v * shared_days / row_days) AS value FROM shared"
        f" GROUP BY w_start, w_end{', ' + by if by else ''} ORDER BY w_start{', ' + by if by else ''}"
    )
    return con.execute(sql, [starts, ends] + list(params or [])).fetchdf()
