"""The flash figures: one SQL definition per KPI family, over a workspace connection and a Filter.

Families: closed deals (won, lost, win rate, basket, cycle), open pipeline, new opportunities, time spent,
quota. Each family is one SQL text that aggregates either the whole selection or one row per owner
or per period bucket, so that the tiles, the per-rep table, the trend and the CLI cannot disagree.
Ratios (win rate, attainment, coverage) are derived from those sums in one place, `derive_ratios`.
Definitions: shared/PRODUCT.md, "KPI definitions". Every KPI reads `opportunities_current`.
"""
from __future__ import annotations

import math
from dataclasses import replace
from datetime import date, timedelta

import pandas as pd

from analytics import store
from analytics.filters import (
    Filter,
    _add_months,
    _month_end,
    activity_conditions,
    opportunity_conditions,
    period_condition,
    target_conditions,
)

# Grouping keys a family can aggregate by: fixed SQL written here, never user text.
_GROUPS = {
    None: None,
    "owner": "o.owner",
    "week": "CAST(date_trunc('week', o.{date}) AS DATE)",
    "month": "CAST(date_trunc('month', o.{date}) AS DATE)",
}

# Which table a KPI needs beyond opportunities: the page names the sheet to add when it is absent.
NEEDS = {
    "time_spent_hours": "activities",
    "time_cost": "activities",
    "quota": "targets",
    "quota_attainment": "targets",
    "coverage_raw": "targets",
    "coverage_weighted": "targets",
}


def _opportunities_cte(flt: Filter) -> tuple[str, list]:
    """The current snapshot's deals of the filter's dimensions, with the probability used for weighting:
    the data's, else the stage's default (PRODUCT.md, weighted pipeline)."""
    where, params = opportunity_conditions(flt, "o")
    sql = (
        "opp AS (SELECT o.opportunity_id, o.name, o.account, o.owner, o.segment, o.source, o.region, o.stage,"
        " o.status, o.amount, o.created_date, o.close_date, s.stage_order,"
        " coalesce(o.probability, s.default_probability) AS probability"
        " FROM opportunities_current o LEFT JOIN stages s ON s.stage = o.stage"
        f" WHERE {where})"
    )
    return sql, params


def _group(by: str | None, date_column: str) -> tuple[str, str]:
    """(select expression for the key, GROUP BY clause) for a grouping key of `_GROUPS`."""
    expr = _GROUPS[by]
    if expr is None:
        return "NULL", ""
    expr = expr.format(date=date_column)
    return expr, " GROUP BY 1"


def _query(con, sql: str, params: list) -> pd.DataFrame:
    return con.execute(sql, params).fetchdf()


# --- families ------------------------------------------------------------------------------------------------

def closed_deals(con, flt: Filter, by: str | None = None) -> pd.DataFrame:
    """Won and lost deals whose close_date falls in the period (all of them when it is unbounded).

    Columns: key, won_count, won_amount, lost_count, lost_amount, cycle_days_sum, cycle_count.
    The sales cycle is close_date - created_date on won deals (PRODUCT.md); its average is derived.
    """
    cte, params = _opportunities_cte(flt)
    key, group_by = _group(by, "close_date")
    period, p = period_condition("o.close_date", flt)
    sql = (
        f"WITH {cte} SELECT {key} AS key,"
        " count(*) FILTER (WHERE o.status = 'won') AS won_count,"
        " coalesce(sum(o.amount) FILTER (WHERE o.status = 'won'), 0) AS won_amount,"
        " count(*) FILTER (WHERE o.status = 'lost') AS lost_count,"
        " coalesce(sum(o.amount) FILTER (WHERE o.status = 'lost'), 0) AS lost_amount,"
        " coalesce(sum(date_diff('day', o.created_date, o.close_date)) FILTER (WHERE o.status = 'won'), 0)"
        "   AS cycle_days_sum,"
        " count(date_diff('day', o.created_date, o.close_date)) FILTER (WHERE o.status = 'won') AS cycle_count"
        f" FROM opp o WHERE o.status IN ('won', 'lost') AND {period}{group_by}"
    )
    return _query(con, sql, params + p)


def open_pipeline(con, flt: Filter, by: str | None = None) -> pd.DataFrame:
    """Open deals of the current snapshot, whatever their dates, and those of them closing in the period.

    Columns: key, open_count, open_amount, weighted_pipeline (amount x probability), open_amount_in_period,
    weighted_in_period (the numerators of pipeline coverage).
    """
    cte, params = _opportunities_cte(flt)
    key, group_by = _group(by, "close_date")
    period, p = period_condition("o.close_date", flt)
    if flt.start is not None or flt.end is not None:
        period = f"o.close_date IS NOT NULL AND {period}"
    sql = (
        f"WITH {cte} SELECT {key} AS key, count(*) AS open_count,"
        " coalesce(sum(o.amount), 0) AS open_amount,"
        " coalesce(sum(o.amount * o.probability), 0) AS weighted_pipeline,"
        f" coalesce(sum(o.amount) FILTER (WHERE {period}), 0) AS open_amount_in_period,"
        f" coalesce(sum(o.amount * o.probability) FILTER (WHERE {period}), 0) AS weighted_in_period"
        f" FROM opp o WHERE o.status = 'open'{group_by}"
    )
    return _query(con, sql, params + p + p)


def new_opportunities(con, flt: Filter, by: str | None = None) -> pd.DataFrame:
    """Opportunities created in the period (in the current snapshot). Columns: key, new_opportunities."""
    cte, params = _opportunities_cte(flt)
    key, group_by = _group(by, "created_date")
    period, p = period_condition("o.created_date", flt)
    sql = f"WITH {cte} SELECT {key} AS key, count(*) AS new_opportunities FROM opp o WHERE {period}{group_by}"
    return _query(con, sql, params + p)


def time_spent(con, flt: Filter) -> dict:
    """Time spent = sum of activity durations in the period; its cost = hours x the rep's hourly cost.

    Returns {time_spent_hours, time_cost}; hours are None when no activity states a duration, the cost is
    None when no rep of those activities has an hourly cost (then `reps` is what is missing).
    """
    where, params = activity_conditions(flt, "a")
    sql = (
        "SELECT sum(a.duration_minutes) / 60.0 AS hours, count(a.duration_minutes) AS with_duration,"
        " sum(a.duration_minutes / 60.0 * r.hourly_cost) AS cost, count(r.hourly_cost) AS with_cost"
        " FROM activities a LEFT JOIN (SELECT owner, max(hourly_cost) AS hourly_cost FROM reps GROUP BY owner) r"
        f" ON r.owner = a.owner WHERE {where}"
    )
    hours, with_duration, cost, with_cost = con.execute(sql, params).fetchall()[0]
    any_duration = con.execute("SELECT count(duration_minutes) FROM activities").fetchall()[0][0] > 0
    any_cost = con.execute("SELECT count(hourly_cost) FROM reps").fetchall()[0][0] > 0
    return {
        "time_spent_hours": (float(hours or 0.0) if any_duration else None),
        "time_cost": (float(cost or 0.0) if any_duration and any_cost else None),
    }


def quota(con, flt: Filter, by: str | None = None, windows: list[tuple[date, date]] | None = None) -> pd.DataFrame:
    """The quota of the period: each target prorated by the days it shares with the period
    (a monthly target over one week counts 7/31 of it); team quota = sum of individual quotas.

    `by` = "owner" gives one row per rep; `windows` (a list of [start, end]) gives one row per window
    (key = window start) for the trend. Columns: key, quota. No row when no target overlaps.
    """
    where, params = target_conditions(flt, "t")
    if windows is None:
        windows = [(flt.start, flt.end)]
    starts = [w[0] for w in windows]
    ends = [w[1] for w in windows]
    key, group_by = {"owner": ("owner", " GROUP BY 1"), "window": ("w_start", " GROUP BY 1")}.get(by, ("NULL", ""))
    sql = (
        "WITH w AS (SELECT unnest(CAST(? AS DATE[])) AS w_start, unnest(CAST(? AS DATE[])) AS w_end),"
        " shared AS (SELECT t.owner, t.quota_amount, w.w_start,"
        "  date_diff('day', greatest(t.period_start, coalesce(w.w_start, t.period_start)),"
        "   least(t.period_end, coalesce(w.w_end, t.period_end))) + 1 AS shared_days,"
        "  date_diff('day', t.period_start, t.period_end) + 1 AS target_days"
        "  FROM targets t CROSS JOIN w"
        f"  WHERE {where} AND t.quota_amount IS NOT NULL"
        "   AND t.period_start <= coalesce(w.w_end, t.period_start)"
        "   AND t.period_end >= coalesce(w.w_start, t.period_end))"
        f" SELECT {key} AS key, sum(quota_amount * shared_days / target_days) AS quota FROM shared{group_by}"
    )
    df = _query(con, sql, [starts, ends] + params)
    if by is None and (df.empty or pd.isna(df["quota"].iloc[0])):
        return df.iloc[0:0]
    return df


# --- ratios, defined once ------------------------------------------------------------------------------------

def _ratio(num: pd.Series, den: pd.Series) -> pd.Series:
    """num / den, NaN (shown as a dash) where the denominator is 0 or missing: never 0, never an error."""
    num = pd.to_numeric(num, errors="coerce").astype("float64")
    den = pd.to_numeric(den, errors="coerce").astype("float64")
    return num.where(den > 0) / den.where(den > 0)


def derive_ratios(df: pd.DataFrame) -> pd.DataFrame:
    """Add the ratio KPIs to a frame of family sums (one row per key), following PRODUCT.md:
    win rate = won / (won + lost) on deals closed in the period; average basket = won amount / won deals;
    average cycle = cycle days / won deals with both dates; attainment = won amount / quota;
    coverage = open pipeline closing in the period (raw and weighted) / (quota - won so far)."""
    out = df.copy()
    out["win_rate"] = _ratio(out["won_count"], out["won_count"] + out["lost_count"])
    out["average_basket"] = _ratio(out["won_amount"], out["won_count"])
    out["average_cycle_days"] = _ratio(out["cycle_days_sum"], out["cycle_count"])
    out["quota_attainment"] = _ratio(out["won_amount"], out["quota"])
    out["remaining_quota"] = out["quota"] - out["won_amount"]
    out["coverage_raw"] = _ratio(out["open_amount_in_period"], out["remaining_quota"])
    out["coverage_weighted"] = _ratio(out["weighted_in_period"], out["remaining_quota"])
    return out


_SUM_COLUMNS = {
    "won_count": 0, "won_amount": 0.0, "lost_count": 0, "lost_amount": 0.0, "cycle_days_sum": 0.0,
    "cycle_count": 0, "open_count": 0, "open_amount": 0.0, "weighted_pipeline": 0.0,
    "open_amount_in_period": 0.0, "weighted_in_period": 0.0, "new_opportunities": 0,
}


def _families(con, flt: Filter, by: str | None) -> pd.DataFrame:
    """The family sums side by side, one row per key (a single row when `by` is None)."""
    frames = [
        closed_deals(con, flt, by),
        open_pipeline(con, flt, by),
        new_opportunities(con, flt, by),
        quota(con, flt, by),
    ]
    if by is None:
        merged = pd.DataFrame({"key": [None]})
        for f in frames:
            for col in f.columns:
                if col != "key":
                    merged[col] = f[col].iloc[0] if len(f) else None
    else:
        merged = frames[0]
        for f in frames[1:]:
            merged = merged.merge(f, on="key", how="outer")
    if "quota" not in merged:
        merged["quota"] = None
    for col, zero in _SUM_COLUMNS.items():
        merged[col] = merged[col].fillna(zero) if col in merged else zero
    merged["quota"] = pd.to_numeric(merged["quota"], errors="coerce").astype("float64")
    return derive_ratios(merged)


def _plain(value):
    """A JSON-friendly Python value: NaN -> None, numpy scalars -> int/float."""
    if value is None:
        return None
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


FLASH_KEYS = (
    "won_count", "won_amount", "lost_count", "lost_amount", "win_rate", "open_count", "open_amount",
    "weighted_pipeline", "average_basket", "average_cycle_days", "new_opportunities",
    "time_spent_hours", "time_cost", "quota", "quota_attainment", "coverage_raw", "coverage_weighted",
    "open_amount_in_period", "weighted_in_period", "remaining_quota",
)


def flash_kpis(con, flt: Filter) -> dict:
    """The flash figures of `flt` as a plain dict (what the page's tiles and `python -m analytics kpis`
    show). Undefined values are None (win rate with no deal closed, basket with no win...).
    `needs` maps each KPI left None for want of a table to that table's name (the sheet to add)."""
    row = _families(con, flt, None).iloc[0]
    out = {k: _plain(row[k]) for k in FLASH_KEYS if k in row.index}
    for k in ("won_count", "lost_count", "open_count", "new_opportunities"):
        out[k] = int(out[k])
    available = store.available_tables(con)
    needs = {k: table for k, table in NEEDS.items() if table not in available}
    if "activities" in available:
        out.update(time_spent(con, flt))
        if out["time_spent_hours"] is None:  # activities without durations: the sheet needs them
            needs.update(time_spent_hours="activities", time_cost="activities")
        elif out["time_cost"] is None:
            needs["time_cost"] = "reps"
    else:
        out.update(time_spent_hours=None, time_cost=None)
    return {k: out.get(k) for k in FLASH_KEYS} | {"needs": needs}


REP_COLUMNS = [
    "owner", "won_count", "won_amount", "lost_count", "win_rate", "open_amount",
    "weighted_pipeline", "quota", "quota_attainment", "coverage_raw", "coverage_weighted",
]


def rep_table(con, flt: Filter) -> pd.DataFrame:
    """One row per rep (owners of the selection's deals or targets): won, win rate, pipeline, weighted
    pipeline, quota, attainment and coverage, by the same definitions as the tiles. Sorted by won amount."""
    df = _families(con, flt, "owner").rename(columns={"key": "owner"})
    df = df[df["owner"].notna()]
    df = df.sort_values(["won_amount", "owner"], ascending=[False, True]).reset_index(drop=True)
    return df[REP_COLUMNS]


# --- trend ---------------------------------------------------------------------------------------------------

def trend_grain(flt: Filter) -> str:
    """Weekly buckets for a period up to a quarter, monthly beyond."""
    days = flt.days
    return "week" if days is not None and days <= 92 else "month"


def _buckets(start: date, end: date, grain: str) -> list[tuple[date, date, date]]:
    """(bucket key, start, end) covering [start, end], clipped to it; the key is the week's Monday or the
    month's first day, as date_trunc gives it."""
    out = []
    if grain == "week":
        key = start - timedelta(days=start.weekday())
        while key <= end:
            nxt = key + timedelta(days=7)
            out.append((key, max(key, start), min(nxt - timedelta(days=1), end)))
            key = nxt
    else:
        key = start.replace(day=1)
        while key <= end:
            out.append((key, max(key, start), min(_month_end(key), end)))
            key = _add_months(key, 1)
    return out


def won_trend(con, flt: Filter) -> pd.DataFrame:
    """Won amount per week or month of the period, with the quota of each bucket (prorated targets).

    Columns: bucket (the week's Monday or the month's 1st), bucket_start and bucket_end (the bucket clipped to
    the period), grain, won_amount, won_count, quota (NaN without targets).
    An unbounded period spans the closed deals' dates. A few dozen rows at most: ready for a chart.
    """
    start, end = flt.start, flt.end
    if start is None or end is None:
        cte, params = _opportunities_cte(flt)
        lo, hi = con.execute(
            f"WITH {cte} SELECT min(close_date), max(close_date) FROM opp o WHERE o.status IN ('won', 'lost')",
            params,
        ).fetchall()[0]
        start, end = start or lo, end or hi
    columns = ["bucket", "bucket_start", "bucket_end", "grain", "won_amount", "won_count", "quota"]
    if start is None or end is None or start > end:
        return pd.DataFrame(columns=columns)
    bounded = replace(flt, start=start, end=end)
    grain = trend_grain(bounded)
    buckets = _buckets(start, end, grain)
    won = closed_deals(con, bounded, grain)[["key", "won_amount", "won_count"]]
    won["key"] = pd.to_datetime(won["key"]).dt.date
    quotas = quota(con, bounded, "window", [(b[1], b[2]) for b in buckets])
    quota_by_start = {pd.Timestamp(k).date(): q for k, q in zip(quotas["key"], quotas["quota"])}
    df = pd.DataFrame(
        {
            "bucket": [b[0] for b in buckets],
            "bucket_start": [b[1] for b in buckets],
            "bucket_end": [b[2] for b in buckets],
            "grain": grain,
            "quota": [quota_by_start.get(b[1], float("nan")) for b in buckets],
        }
    )
    df = df.merge(won, left_on="bucket", right_on="key", how="left").drop(columns="key")
    df["won_amount"] = df["won_amount"].fillna(0.0).astype("float64")
    df["won_count"] = df["won_count"].fillna(0).astype("int64")
    df["quota"] = pd.to_numeric(df["quota"], errors="coerce").astype("float64")
    return df[columns]


# --- alerts --------------------------------------------------------------------------------------------------

def reps_behind_goal(con, flt: Filter, today: date) -> pd.DataFrame:
    """Reps whose won amount this month (1st to `today`) is below their prorated monthly goal:
    month quota x days elapsed / days in the month. Dimensions of `flt` apply, its period does not.

    Columns: owner, quota, prorated_goal, won_amount, gap (goal - won), sorted by gap, largest first.
    """
    month_start, month_end = today.replace(day=1), _month_end(today)
    share = ((today - month_start).days + 1) / ((month_end - month_start).days + 1)
    quotas = quota(con, replace(flt, start=month_start, end=month_end), "owner").rename(columns={"key": "owner"})
    won = closed_deals(con, replace(flt, start=month_start, end=today), "owner")
    won = won.rename(columns={"key": "owner"})[["owner", "won_amount"]]
    df = quotas.merge(won, on="owner", how="left")
    df["won_amount"] = df["won_amount"].fillna(0.0).astype("float64")
    df["prorated_goal"] = df["quota"].astype("float64") * share
    df["gap"] = df["prorated_goal"] - df["won_amount"]
    df = df[df["won_amount"] < df["prorated_goal"]]
    return df.sort_values(["gap", "owner"], ascending=[False, True]).reset_index(drop=True)[
        ["owner", "quota", "prorated_goal", "won_amount", "gap"]
    ]


MIN_STAYS = 4  # "3 deals in 4" needs at least four finished stays in the stage to mean anything


def stuck_deals(con, flt: Filter, today: date) -> pd.DataFrame:
    """Open deals that have been in their current stage longer than 3 deals in 4 stayed in it.

    A stay is measured in `stage_history` (entered_at of the stage to entered_at of the next one); the
    threshold per stage is the 75th percentile of the finished stays of every deal of the workspace, with at
    least MIN_STAYS of them. Columns: opportunity_id, name, owner, stage, amount, entered, days_in_stage,
    p75_days; the longest overstays first.
    """
    cte, params = _opportunities_cte(flt)
    sql = (
        f"WITH {cte},"
        " h AS (SELECT opportunity_id, stage, CAST(entered_at AS DATE) AS entered,"
        "  lead(CAST(entered_at AS DATE)) OVER (PARTITION BY opportunity_id ORDER BY entered_at) AS left_on"
        "  FROM stage_history WHERE entered_at IS NOT NULL),"
        " p75 AS (SELECT stage, quantile_cont(date_diff('day', entered, left_on), 0.75) AS p75_days,"
        "  count(*) AS stays FROM h WHERE left_on IS NOT NULL GROUP BY stage),"
        " cur AS (SELECT opportunity_id, stage, max(entered) AS entered FROM h GROUP BY opportunity_id, stage)"
        " SELECT o.opportunity_id, o.name, o.owner, o.stage, o.amount, cur.entered,"
        "  date_diff('day', cur.entered, CAST(? AS DATE)) AS days_in_stage, p75.p75_days"
        " FROM opp o JOIN cur ON cur.opportunity_id = o.opportunity_id AND cur.stage = o.stage"
        " JOIN p75 ON p75.stage = o.stage"
        " WHERE o.status = 'open' AND p75.stays >= ?"
        "  AND date_diff('day', cur.entered, CAST(? AS DATE)) > p75.p75_days"
        " ORDER BY days_in_stage - p75.p75_days DESC, o.opportunity_id"
    )
    return _query(con, sql, params + [today, MIN_STAYS, today])


def overdue_deals(con, flt: Filter, today: date) -> pd.DataFrame:
    """Open deals whose close date is before `today`. Columns: opportunity_id, name, owner, stage, amount,
    close_date, days_overdue; the oldest first."""
    cte, params = _opportunities_cte(flt)
    sql = (
        f"WITH {cte} SELECT o.opportunity_id, o.name, o.owner, o.stage, o.amount, o.close_date,"
        " date_diff('day', o.close_date, CAST(? AS DATE)) AS days_overdue"
        " FROM opp o WHERE o.status = 'open' AND o.close_date < CAST(? AS DATE)"
        " ORDER BY o.close_date, o.opportunity_id"
    )
    return _query(con, sql, params + [today, today])


def probability_inversions(con, flt: Filter) -> pd.DataFrame:
    """Open deals whose probability is lower than the typical (median) probability of open deals at an
    earlier stage, across the workspace: a sign of a stale or optimistic stage.

    Columns: opportunity_id, name, owner, stage, amount, probability, earlier_stage, earlier_typical
    (the earlier stage with the highest typical probability above the deal's).
    """
    cte, params = _opportunities_cte(flt)
    sql = (
        f"WITH {cte},"
        " typical AS (SELECT o.stage, any_value(s.stage_order) AS stage_order,"
        "  median(coalesce(o.probability, s.default_probability)) AS typical"
        "  FROM opportunities_current o JOIN stages s ON s.stage = o.stage"
        "  WHERE o.status = 'open' GROUP BY o.stage)"
        " SELECT o.opportunity_id, o.name, o.owner, o.stage, o.amount, o.probability,"
        "  t.stage AS earlier_stage, t.typical AS earlier_typical"
        " FROM opp o JOIN typical t ON t.stage_order < o.stage_order AND o.probability < t.typical"
        " WHERE o.status = 'open'"
        " QUALIFY row_number() OVER (PARTITION BY o.opportunity_id ORDER BY t.typical DESC, t.stage_order) = 1"
        " ORDER BY o.stage_order DESC, o.probability, o.opportunity_id"
    )
    return _query(con, sql, params)
