"""The KPI registry: each flash figure defined once, computed in SQL, for the whole selection or by any axis.

A KPI is one entry of `REGISTRY`: its SQL expression over the family sums below, its kind (count, money,
rate, days, hours, ratio), the tables it needs beyond opportunities, how its change is shown, and its label
and help keys. The page's tiles, the per-rep table, the CLI (`python -m analytics kpis`) and the review pack
iterate over it, so adding a KPI is one entry plus its test.

Families (one CTE each, over `selection.deals_cte`, the activities and the targets), aggregated either for the
whole selection or by one axis of `selection.AXES`:

- closed: deals won or lost whose outcome_date (when they were won or lost) falls in the period;
- open: open deals of the snapshot, whatever their dates, and those of them expected to close in the period;
- new: deals created in the period;
- quota: targets prorated by the days they share with the period (team quota = sum of individual quotas);
- time: activity durations in the period, with the hours whose rep has no hourly cost counted apart.

Ratios are computed in SQL and are NULL (shown as a dash) when their denominator is 0 or unknown, never 0.
Definitions: shared/PRODUCT.md, "KPI definitions".
"""
from __future__ import annotations

import math
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal

import pandas as pd

from analytics.measures import reached, stays
from analytics import store
from analytics.measures.checks import overdue_deals, probability_inversions  # noqa: F401  (alerts, defined once there)
from analytics.filters import Filter, _add_months, _month_end, activity_conditions, named_period, previous
from analytics.filters import target_conditions
from analytics.measures import quota as quota_lines
from analytics.selection import (AXES, REPS_ONE, TIME_AXES, axis_expr, deals_cte, latest_snapshot_id, named,
                                 snapshot_on_or_before)


# --- the registry --------------------------------------------------------------------------------------------

KINDS = ("count", "money", "rate", "days", "hours", "ratio")
# How a change against the comparison period is shown: relative % (amounts, hours), points (rates),
# plain difference (counts, days), or none (a "now" figure such as the open pipeline).
DELTAS = ("relative", "points", "difference", "none")


@dataclass(frozen=True)
class KPI:
    key: str
    kind: str  # one of KINDS
    sql: str  # an expression over the family columns of `_base_sql` (alias f): fixed code, never user text
    needs: tuple[str, ...] = ()  # tables beyond opportunities; absent -> the page names the sheet to add
    delta: str = "relative"  # one of DELTAS
    better: str = "higher"  # higher | lower | neutral: the colour of a change
    tile: bool = True  # shown as a tile on the flash page (the others are parts of a ratio, for the CLI)

    @property
    def label_key(self) -> str:
        return f"flash.kpi.{self.key}"

    @property
    def help_key(self) -> str:
        return f"flash.help.{self.key}"


def _div(num: str, den: str) -> str:
    """num / den in SQL, NULL when the denominator is 0 or NULL (never 0, never inf)."""
    return f"CAST({num} AS DOUBLE) / NULLIF(CAST({den} AS DOUBLE), 0)"


# What is left to win: never negative (a rep over quota has nothing left, not "-3 300 EUR").
_REMAINING = "greatest(f.quota - f.won_amount, 0)"

REGISTRY: tuple[KPI, ...] = (
    KPI("won_count", "count", "f.won_count", delta="difference"),
    KPI("won_amount", "money", "f.won_amount"),
    KPI("win_rate", "rate", _div("f.won_count", "f.won_count + f.lost_count"), delta="points"),
    # divided by the won deals that have an amount: 100k + one won deal without amount is a basket of 100k
    KPI("average_basket", "money", _div("f.won_amount", "f.won_valued")),
    KPI("lost_count", "count", "f.lost_count", delta="difference", better="lower"),
    KPI("lost_amount", "money", "f.lost_amount", better="lower"),
    KPI("new_opportunities", "count", "f.new_opportunities", delta="difference"),
    KPI("average_cycle_days", "days", _div("f.cycle_days_sum", "f.cycle_count"), delta="difference",
        better="lower"),
    KPI("open_count", "count", "f.open_count", delta="none", tile=False),
    KPI("open_amount", "money", "f.open_amount", delta="none"),
    KPI("weighted_pipeline", "money", "f.weighted_pipeline", delta="none"),
    # coverage of what is left to win: undefined (NULL) once the quota is reached or when there is no quota
    KPI("coverage_raw", "ratio", f"CASE WHEN {_REMAINING} > 0 THEN {_div('f.open_amount_in_period', _REMAINING)} END",
        needs=("targets",), delta="none"),
    KPI("coverage_weighted", "ratio",
        f"CASE WHEN {_REMAINING} > 0 THEN {_div('f.weighted_in_period', _REMAINING)} END",
        needs=("targets",), delta="none"),
    # coverage by the whole open pipeline, whatever its expected close date (the pipeline page's coverage)
    KPI("coverage_pipeline_raw", "ratio", f"CASE WHEN {_REMAINING} > 0 THEN {_div('f.open_amount', _REMAINING)} END",
        needs=("targets",), delta="none", tile=False),
    KPI("coverage_pipeline_weighted", "ratio",
        f"CASE WHEN {_REMAINING} > 0 THEN {_div('f.weighted_pipeline', _REMAINING)} END",
        needs=("targets",), delta="none", tile=False),
    KPI("quota_attainment", "rate", _div("f.won_amount", "f.quota"), needs=("targets",), delta="points"),
    KPI("quota", "money", "f.quota", needs=("targets",), delta="none"),
    # hours: NULL when no activity of the workspace states a duration (the sheet lacks them), else the sum
    KPI("time_spent_hours", "hours", "CASE WHEN f.any_duration THEN coalesce(f.hours, 0) END",
        needs=("activities",), better="neutral"),
    # cost: NULL as soon as one hour of the selection belongs to a rep without an hourly cost (a partial
    # sum would read as the whole cost); the page says how many hours are not costed
    KPI("time_cost", "money",
        "CASE WHEN f.any_duration AND f.any_cost AND coalesce(f.hours_without_cost, 0) = 0"
        " THEN coalesce(f.cost_known, 0) END",
        needs=("activities", "reps"), better="neutral"),
    KPI("open_amount_in_period", "money", "f.open_amount_in_period", delta="none", tile=False),
    KPI("weighted_in_period", "money", "f.weighted_in_period", delta="none", tile=False),
    KPI("remaining_quota", "money", _REMAINING, needs=("targets",), delta="none", tile=False),
)
# How many deals each sum of amounts leaves out for want of an amount (a partly valued sum says it): selected
# beside the KPIs as <sum>_unvalued.
_UNVALUED = (("won_amount", "won_unvalued"), ("lost_amount", "lost_unvalued"), ("open_amount", "open_unvalued"),
             ("weighted_pipeline", "weighted_unvalued"), ("open_amount_in_period", "open_unvalued_in_period"),
             ("weighted_in_period", "weighted_unvalued_in_period"))
BY_KEY = {k.key: k for k in REGISTRY}

# The keys `flash_kpis` returns and `python -m analytics kpis --json` prints (kept stable for scripts).
FLASH_KEYS = (
    "won_count", "won_amount", "lost_count", "lost_amount", "win_rate", "open_count", "open_amount",
    "weighted_pipeline", "average_basket", "average_cycle_days", "new_opportunities",
    "time_spent_hours", "time_cost", "quota", "quota_attainment", "coverage_raw", "coverage_weighted",
    "open_amount_in_period", "weighted_in_period", "remaining_quota", "coverage_pipeline_raw",
    "coverage_pipeline_weighted",
)
# The sums of amounts whose unvalued deals are counted: `flash_kpis(...)["unvalued"][key]`.
SUMS = ("won_amount", "lost_amount", "open_amount", "weighted_pipeline", "open_amount_in_period", "weighted_in_period")
# What each coverage and average reads the unvalued count of (a tile says how many deals its figure leaves out).
UNVALUED_OF = {k: k for k in SUMS} | {"average_basket": "won_amount", "quota_attainment": "won_amount",
                                     "coverage_raw": "open_amount_in_period",
                                     "coverage_weighted": "weighted_in_period"}
# Which table a KPI needs (the page names the sheet to add when it is absent): from the registry.
NEEDS = {k.key: k.needs[0] for k in REGISTRY if k.needs}

# Filter dimensions targets do not carry: under such a filter the quota is not available (not the whole one).
_NOT_ON_TARGETS = ("source",)


# --- families ------------------------------------------------------------------------------------------------

def _key(by: str | None, date_column: str, fiscal_start: int) -> str:
    """The grouping expression on `deals` (alias d) for a family counting on `date_column`."""
    if by is None:
        return "CAST(NULL AS VARCHAR)"
    return f"CAST({axis_expr(by, 'd', date_column, fiscal_start)} AS VARCHAR)"


def _group(by: str | None) -> str:
    return " GROUP BY 1" if by is not None else ""


def _target_key(by: str | None, fiscal_start: int) -> str | None:
    """The grouping expression of targets for `by` (alias t, reps r, window w); None: targets can't say."""
    if by is None:
        return "CAST(NULL AS VARCHAR)"
    if by in ("owner", "segment"):
        return f"CAST(t.{by} AS VARCHAR)"
    if by in ("team", "region"):
        return f"CAST(r.{by} AS VARCHAR)"
    if by in TIME_AXES:
        return "CAST(w.key AS VARCHAR)"
    return None


def _activity_key(by: str | None, fiscal_start: int) -> str | None:
    """The grouping expression of activities for `by` (alias a, reps r); None: activities can't say."""
    if by is None:
        return "CAST(NULL AS VARCHAR)"
    if by in ("owner", "segment"):
        return f"CAST(a.{by} AS VARCHAR)"
    if by in ("team", "region"):
        return f"CAST(r.{by} AS VARCHAR)"
    if by in TIME_AXES:
        return f"CAST({axis_expr(by, 'a', 'date', fiscal_start)} AS VARCHAR)"
    return None


def _windows_sql(by: str | None, start: date | None, end: date | None, fiscal_start: int) -> tuple[str, dict]:
    """`w(key, w_start, w_end)`: the windows a quota is prorated over: the period itself, or one per bucket
    of a time axis (the period cut into weeks, months...; needs a bounded period)."""
    if by in TIME_AXES and start is not None and end is not None:
        day_key = axis_expr(by, "days", "d", fiscal_start)
        return (
            "w AS (SELECT " + day_key + " AS key, min(d) AS w_start, max(d) AS w_end FROM"
            " (SELECT CAST(unnest(generate_series(CAST($w_start AS DATE), CAST($w_end AS DATE), INTERVAL 1 DAY))"
            " AS DATE) AS d) days GROUP BY 1)"
        ), {"w_start": start, "w_end": end}
    return ("w AS (SELECT NULL AS key, CAST($w_start AS DATE) AS w_start, CAST($w_end AS DATE) AS w_end)",
            {"w_start": start, "w_end": end})


def _sum(total: str, count: str, valued: str, name: str) -> str:
    """A family's sum of amounts: 0 over no deal, unknown (NULL) when it has deals and none is valued."""
    return f"CASE WHEN coalesce({count}, 0) > 0 AND coalesce({valued}, 0) = 0 THEN NULL ELSE coalesce({total}, 0) END AS {name}"


PIPELINE_UNKNOWN = "unknown"  # open_snapshot_id when no upload is as old as the period's end


def pipeline_snapshot(con, flt: Filter, snapshot_id: int | None = None) -> int | str | None:
    """The snapshot whose open deals are the period's pipeline, as seen from `snapshot_id` (the latest upload when
    None): that upload (None: the same as the other families) while the period reaches it, else the last upload on
    or before the period's end (a past quarter reads the pipeline open at its end, never today's, and a projection
    made at an earlier upload never reads a later one); PIPELINE_UNKNOWN when every upload is later than the
    period's end."""
    if flt.end is None:
        return None
    if snapshot_id is None:
        rows = con.execute("SELECT max(snapshot_date) FROM snapshots").fetchall()
    else:
        rows = con.execute("SELECT snapshot_date FROM snapshots WHERE snapshot_id = ?", [snapshot_id]).fetchall()
    latest = rows[0][0] if rows else None
    if latest is None or flt.end >= latest:
        return None
    sid = snapshot_on_or_before(con, flt.end)
    return PIPELINE_UNKNOWN if sid is None else sid


def _base_sql(flt: Filter, by: str | None = None, snapshot_id: int | None = None,
              quota_window: tuple[date | None, date | None] | None = None, fiscal_start: int = 1,
              open_snapshot_id: int | str | None = None) -> tuple[str, dict]:
    """The family sums side by side, one row per key (one row for the whole selection when `by` is None).

    Columns: key, won_count, won_amount, lost_count, lost_amount, cycle_days_sum, cycle_count, open_count,
    open_amount, weighted_pipeline, open_amount_in_period, weighted_in_period, new_opportunities, quota,
    hours, cost_known, hours_without_cost, any_duration, any_cost.
    `quota_window` prorates the quota over another window than the period (a comparison read like for like:
    won up to the same elapsed day against its whole period's quota); by default the filter's whole period
    (`Filter.quota_window`: year to date reads the whole year's quota). `open_snapshot_id`: the snapshot the
    open family reads (`pipeline_snapshot`; None: the same as the other families).
    Each sum of amounts comes with the count of deals it sums and of those with an amount (`*_valued`):
    a sum over deals none of which has an amount is unknown (NULL), never 0.
    """
    if by is not None and by not in AXES:
        raise ValueError(f"unknown axis {by!r}")
    # Named parameters throughout: $start and $end once for every family's period, each borrowed fragment
    # (deals, targets, activities) under its own prefix; no positional list to keep in step with the SQL.
    deals, params = named(*deals_cte(flt, snapshot_id), "deal")
    closed_in, period = named_period("d.outcome_date", flt)
    params |= period
    open_in, _ = named_period("d.close_date", flt)
    if flt.start is not None or flt.end is not None:
        open_in = f"d.close_date IS NOT NULL AND {open_in}"
    created_in, _ = named_period("d.created_date", flt)
    ctes = [deals]
    ctes.append(
        f"closed AS (SELECT {_key(by, 'outcome_date', fiscal_start)} AS key,"
        " count(*) FILTER (WHERE d.status = 'won') AS won_count,"
        " sum(d.amount) FILTER (WHERE d.status = 'won') AS won_amount,"
        " count(d.amount) FILTER (WHERE d.status = 'won') AS won_valued,"
        " count(*) FILTER (WHERE d.status = 'lost') AS lost_count,"
        " sum(d.amount) FILTER (WHERE d.status = 'lost') AS lost_amount,"
        " count(d.amount) FILTER (WHERE d.status = 'lost') AS lost_valued,"
        # A deal created after it closed (a CRM migration's dates) is left out of the cycle, never averaged in
        # as a negative number of days; the quality report lists it (quality.created_after_closed).
        " sum(date_diff('day', d.created_date, d.outcome_date))"
        "   FILTER (WHERE d.status = 'won' AND d.created_date <= d.outcome_date) AS cycle_days_sum,"
        " count(date_diff('day', d.created_date, d.outcome_date))"
        "   FILTER (WHERE d.status = 'won' AND d.created_date <= d.outcome_date) AS cycle_count"
        f" FROM deals d WHERE d.status IN ('won', 'lost') AND {closed_in}{_group(by)})"
    )
    # The open pipeline is the one of the snapshot valid at the period's end (`pipeline_snapshot`): a past
    # period reads the deals open then, never today's. PIPELINE_UNKNOWN: no upload that old, no pipeline.
    source = "deals"
    if open_snapshot_id == PIPELINE_UNKNOWN:
        source = "(SELECT * FROM deals WHERE FALSE)"
    elif open_snapshot_id is not None:
        open_deals, p_open_deals = named(*deals_cte(flt, open_snapshot_id, name="open_deals"), "open_deal")
        ctes.append(open_deals)
        params |= p_open_deals
        source = "open_deals"
    ctes.append(
        f"open AS (SELECT {_key(by, 'close_date', fiscal_start)} AS key, count(*) AS open_count,"
        " sum(d.amount) AS open_amount, sum(d.amount * d.probability) AS weighted_pipeline,"
        " count(d.amount) AS open_valued, count(d.amount * d.probability) AS weighted_valued,"
        f" count(*) FILTER (WHERE {open_in}) AS open_count_in_period,"
        f" sum(d.amount) FILTER (WHERE {open_in}) AS open_amount_in_period,"
        f" count(d.amount) FILTER (WHERE {open_in}) AS open_valued_in_period,"
        f" sum(d.amount * d.probability) FILTER (WHERE {open_in}) AS weighted_in_period,"
        f" count(d.amount * d.probability) FILTER (WHERE {open_in}) AS weighted_valued_in_period"
        f" FROM {source} d WHERE d.status = 'open'{_group(by)})"
    )
    ctes.append(
        f"new AS (SELECT {_key(by, 'created_date', fiscal_start)} AS key, count(*) AS new_opportunities"
        f" FROM deals d WHERE {created_in}{_group(by)})"
    )
    # quota: not available under a filter targets cannot follow, nor for an axis they do not carry
    q_start, q_end = quota_window if quota_window is not None else flt.quota_window
    if by in TIME_AXES:  # buckets of the period itself (the trend), each against its own quota
        q_start, q_end = quota_window if quota_window is not None else (flt.start, flt.end)
    t_key = _target_key(by, fiscal_start)
    windows, p_windows = _windows_sql(by, q_start, q_end, fiscal_start)
    ctes.append(windows)
    params |= p_windows
    if t_key is None or any(getattr(flt, dim) is not None for dim in _NOT_ON_TARGETS):
        ctes.append("quota AS (SELECT CAST(NULL AS VARCHAR) AS key, CAST(NULL AS DOUBLE) AS quota WHERE FALSE)")
    else:
        where, p_targets = named(*target_conditions(flt, "t"), "target")
        ctes.append(
            f"quota AS (SELECT {t_key} AS key,"
            "  sum(CAST(t.quota_amount AS DOUBLE) * (date_diff('day', greatest(t.period_start, coalesce(w.w_start,"
            "  t.period_start)), least(t.period_end, coalesce(w.w_end, t.period_end))) + 1)"
            "  / (date_diff('day', t.period_start, t.period_end) + 1)) AS quota"
            f" FROM {quota_lines.targets_table('quota_amount', quota_lines.wants_segment_lines(flt, by))} t"
            f" LEFT JOIN {REPS_ONE} r ON r.owner = t.owner CROSS JOIN w"
            f" WHERE {where} AND t.quota_amount IS NOT NULL"
            "  AND t.period_start <= coalesce(w.w_end, t.period_start)"
            f"  AND t.period_end >= coalesce(w.w_start, t.period_end){_group(by)})"
        )
        params |= p_targets
    a_key = _activity_key(by, fiscal_start)
    if a_key is None:
        ctes.append("time AS (SELECT CAST(NULL AS VARCHAR) AS key, NULL AS hours, NULL AS cost_known,"
                    " NULL AS hours_without_cost WHERE FALSE)")
    else:
        where, p_act = named(*activity_conditions(flt, "a"), "activity")
        ctes.append(
            f"time AS (SELECT {a_key} AS key, sum(a.duration_minutes) / 60.0 AS hours,"
            " sum(a.duration_minutes / 60.0 * r.hourly_cost) AS cost_known,"
            " sum(a.duration_minutes) FILTER (WHERE r.hourly_cost IS NULL) / 60.0 AS hours_without_cost"
            f" FROM activities a LEFT JOIN {REPS_ONE} r ON r.owner = a.owner WHERE {where}{_group(by)})"
        )
        params |= p_act
    if by is None:
        keys = "keys AS (SELECT CAST(NULL AS VARCHAR) AS key)"
    elif by in TIME_AXES and q_start is not None and q_end is not None:
        keys = "keys AS (SELECT CAST(key AS VARCHAR) AS key FROM w)"  # the buckets of the period, each once
    else:
        keys = ("keys AS (SELECT key FROM closed UNION SELECT key FROM open UNION SELECT key FROM new"
                " UNION SELECT key FROM quota)")
    ctes.append(keys)
    if open_snapshot_id == PIPELINE_UNKNOWN:  # no upload as old as the period's end: the pipeline is unknown
        open_columns = (" NULL AS open_count, NULL AS open_amount, 0 AS open_unvalued,"
                        " NULL AS weighted_pipeline, 0 AS weighted_unvalued, NULL AS open_count_in_period,"
                        " NULL AS open_amount_in_period, 0 AS open_unvalued_in_period, NULL AS weighted_in_period,"
                        " 0 AS weighted_unvalued_in_period,")
    else:
        open_columns = " coalesce(open.open_count, 0) AS open_count, " + ", ".join(
            _sum(f"open.{amount}", f"open.{count}", f"open.{valued}", amount)
            + f", coalesce(open.{count}, 0) - coalesce(open.{valued}, 0) AS {unvalued}"
            for amount, count, valued, unvalued in (
                ("open_amount", "open_count", "open_valued", "open_unvalued"),
                ("weighted_pipeline", "open_count", "weighted_valued", "weighted_unvalued"),
                ("open_amount_in_period", "open_count_in_period", "open_valued_in_period", "open_unvalued_in_period"),
                ("weighted_in_period", "open_count_in_period", "weighted_valued_in_period",
                 "weighted_unvalued_in_period"),
            )) + ", coalesce(open.open_count_in_period, 0) AS open_count_in_period,"
    join = " ".join(
        f"LEFT JOIN {name} ON {name}.key IS NOT DISTINCT FROM k.key"
        for name in ("closed", "open", "new", "quota", "time")
    )
    sql = (
        "WITH " + ", ".join(ctes) +
        " SELECT k.key, coalesce(closed.won_count, 0) AS won_count, " + _sum("closed.won_amount", "closed.won_count",
                                                                           "closed.won_valued", "won_amount") +
        ", coalesce(closed.won_valued, 0) AS won_valued,"
        " coalesce(closed.lost_count, 0) AS lost_count, " + _sum("closed.lost_amount", "closed.lost_count",
                                                                 "closed.lost_valued", "lost_amount") + ","
        " coalesce(closed.lost_count, 0) - coalesce(closed.lost_valued, 0) AS lost_unvalued,"
        " coalesce(closed.won_count, 0) - coalesce(closed.won_valued, 0) AS won_unvalued,"
        " coalesce(closed.cycle_days_sum, 0) AS cycle_days_sum, coalesce(closed.cycle_count, 0) AS cycle_count,"
        + open_columns +
        " coalesce(new.new_opportunities, 0) AS new_opportunities, quota.quota,"
        " time.hours, time.cost_known, time.hours_without_cost,"
        # hours are known when some activity states a duration, and only for axes activities carry
        + (" (SELECT count(duration_minutes) > 0 FROM activities) AS any_duration," if a_key is not None
           else " FALSE AS any_duration,") +
        " (SELECT count(hourly_cost) > 0 FROM reps) AS any_cost"
        f" FROM keys k {join} ORDER BY k.key"
    )
    return sql, params


def kpi_sql(flt: Filter, by: str | None = None, kpis: tuple[str, ...] | None = None, **options) -> tuple[str, list]:
    """SELECT key, <each KPI of the registry (or of `kpis`)>, hours_without_cost: the figures of the
    selection, one row per value of axis `by` (one row when None). Options: snapshot_id, quota_window,
    fiscal_start (see `_base_sql`)."""
    base, params = _base_sql(flt, by, **options)
    chosen = [BY_KEY[k] for k in kpis] if kpis else REGISTRY
    columns = ", ".join(f"{k.sql} AS {k.key}" for k in chosen)
    extra = "".join(f", f.{column} AS {name}_unvalued" for name, column in _UNVALUED)
    return (f"SELECT f.key, {columns}, f.hours_without_cost, f.any_cost, f.open_count_in_period{extra}"
            f" FROM ({base}) f"), params


def kpi_table(con, flt: Filter, by: str | None = None, **options) -> pd.DataFrame:
    """The registry's KPIs by axis `by` (any of selection.AXES) as a DataFrame: key, one column per KPI,
    hours_without_cost. Figures a family cannot split by that axis (the quota by source) are NaN."""
    options.setdefault("open_snapshot_id", pipeline_snapshot(con, flt, options.get("snapshot_id")))
    sql, params = kpi_sql(flt, by, **options)
    df = con.execute(sql, params).fetchdf()
    for k in REGISTRY:
        if k.kind != "count":
            df[k.key] = pd.to_numeric(df[k.key], errors="coerce").astype("float64")
    return df


def _plain(value):
    """A JSON-friendly Python value: NaN -> None, Decimal -> float, numpy scalars -> int/float."""
    if value is None:
        return None
    if isinstance(value, Decimal):
        return float(value)
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def flash_kpis(con, flt: Filter, quota_window: tuple[date | None, date | None] | None = None,
               fiscal_start: int = 1) -> dict:
    """The flash figures of `flt` as a plain dict (the page's tiles and `python -m analytics kpis`).

    Undefined values are None (win rate with no deal closed, basket with no win, cost partly unknown...).
    `needs` maps each KPI left None for want of a table to that table's name (the sheet to add);
    `notes` maps a KPI left None for another reason to its note: {"note": i18n key, ...its parameters}.
    `unvalued` maps each sum of amounts (SUMS) to the number of its deals without an amount: the sum is None
    when all of them are (unknown, not 0), else it leaves them out and says so (a note on the tile).
    `pipeline_date`: the date (ISO text) of the upload the open figures read (the period's end's, for a past period;
    None when no upload is that old: the pipeline is unknown).
    """
    open_snapshot = pipeline_snapshot(con, flt)
    sql, params = kpi_sql(flt, None, quota_window=quota_window, fiscal_start=fiscal_start,
                          open_snapshot_id=open_snapshot)
    result = con.execute(sql, params)
    names = [c[0] for c in result.description]
    row = dict(zip(names, result.fetchall()[0]))
    out = {k: _plain(row[k]) for k in FLASH_KEYS}
    for k in FLASH_KEYS:
        if BY_KEY[k].kind == "count" and out[k] is not None:
            out[k] = int(out[k])
    unvalued = {k: int(_plain(row[f"{k}_unvalued"]) or 0) for k in SUMS}
    out["open_count_in_period"] = _plain(row["open_count_in_period"])
    available = store.available_tables(con)
    needs = {k: table for k, table in NEEDS.items() if table not in available}
    notes = {}
    if "activities" in available and "time_spent_hours" not in needs:
        if out["time_spent_hours"] is None:  # activities without durations: the sheet needs them
            needs.update(time_spent_hours="activities", time_cost="activities")
        elif out["time_cost"] is None and "reps" in available:
            without = _plain(row["hours_without_cost"]) or 0.0
            if row["any_cost"]:
                notes["time_cost"] = {"note": "flash.note.cost_partial", "hours": without,
                                      "total": out["time_spent_hours"]}
            else:
                needs["time_cost"] = "reps"
        elif out["time_cost"] is None:
            needs["time_cost"] = "reps"
    if "targets" in available and any(getattr(flt, dim) is not None for dim in _NOT_ON_TARGETS):
        for k in ("quota", "quota_attainment", "coverage_raw", "coverage_weighted", "remaining_quota"):
            notes[k] = {"note": "flash.note.quota_source"}
    for key, of in UNVALUED_OF.items():
        if key in notes or key in needs or not unvalued[of]:
            continue
        if out[of] is None:  # none of the deals has an amount: unknown, with the count
            notes[key] = {"note": "flash.note.no_amount", "count": unvalued[of]}
        else:
            notes[key] = {"note": "flash.note.partly_valued", "count": unvalued[of]}
    if open_snapshot == PIPELINE_UNKNOWN:
        pipeline_date = None
        for key in ("open_amount", "weighted_pipeline", "coverage_raw", "coverage_weighted", "open_count"):
            notes[key] = {"note": "flash.note.no_pipeline_then"}
    else:
        sid = open_snapshot if open_snapshot is not None else latest_snapshot_id(con)
        dates = con.execute("SELECT snapshot_date FROM snapshots WHERE snapshot_id = ?", [sid]).fetchall()
        pipeline_date = dates[0][0].isoformat() if dates else None
    return out | {"needs": needs, "notes": notes, "unvalued": unvalued, "pipeline_date": pipeline_date}


def comparison_kpis(con, flt: Filter, mode: str, today: date | None, fiscal_start: int = 1) -> dict | None:
    """The figures of the comparison period, read like for like with `flt` (same keys as `flash_kpis`,
    plus start and end: the comparison window).

    While `flt` is in progress (`today` inside it), amounts and counts stop at the same elapsed day of the
    comparison period, and quota attainment is won so far against that period's whole quota, as the
    current attainment is (PRODUCT.md, quota attainment). None when there is no comparison (an unbounded
    or longer-than-a-year period). `empty` is True when the comparison window holds no deal closed or
    created, no quota and no hour: then no change should be shown.
    """
    cut = previous(flt, mode, today=today)
    whole = previous(replace(flt, end=flt.quota_window[1], whole_end=None), mode)  # year to date: the whole year
    if cut is None or whole is None:
        return None
    out = flash_kpis(con, cut, quota_window=(whole.start, whole.end), fiscal_start=fiscal_start)
    empty = (out["won_count"] == 0 and out["lost_count"] == 0 and out["new_opportunities"] == 0
             and out["quota"] is None and not out["time_spent_hours"])
    return {"start": cut.start, "end": cut.end, "whole_start": whole.start, "whole_end": whole.end,
            "empty": empty} | out


REP_COLUMNS = [
    "owner", "won_count", "won_amount", "lost_count", "win_rate", "open_amount",
    "weighted_pipeline", "quota", "quota_attainment", "coverage_raw", "coverage_weighted",
]


def rep_table(con, flt: Filter) -> pd.DataFrame:
    """One row per rep (owners of the selection's deals or targets): won, win rate, pipeline, weighted
    pipeline, quota, attainment and coverage, by the same definitions as the tiles. Sorted by won amount."""
    df = kpi_table(con, flt, "owner").rename(columns={"key": "owner"})
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
    the period), grain, won_amount, won_count, quota (NaN without targets, or under a source filter).
    An unbounded period spans the closed deals' dates. A few dozen rows at most: ready for a chart.
    """
    start, end = flt.start, flt.end
    if start is None or end is None:
        cte, params = deals_cte(flt)
        lo, hi = con.execute(
            f"WITH {cte} SELECT min(outcome_date), max(outcome_date) FROM deals WHERE status IN ('won', 'lost')",
            params,
        ).fetchall()[0]
        start, end = start or lo, end or hi
    columns = ["bucket", "bucket_start", "bucket_end", "grain", "won_amount", "won_count", "quota"]
    if start is None or end is None or start > end:
        return pd.DataFrame(columns=columns)
    bounded = replace(flt, start=start, end=end)
    grain = trend_grain(bounded)
    df = kpi_table(con, bounded, grain)[["key", "won_amount", "won_count", "quota"]]
    df["key"] = pd.to_datetime(df["key"]).dt.date
    buckets = pd.DataFrame(_buckets(start, end, grain), columns=["bucket", "bucket_start", "bucket_end"])
    buckets["grain"] = grain
    out = buckets.merge(df, left_on="bucket", right_on="key", how="left").drop(columns="key")
    out["won_amount"] = out["won_amount"].fillna(0.0).astype("float64")
    out["won_count"] = out["won_count"].fillna(0).astype("int64")
    out["quota"] = pd.to_numeric(out["quota"], errors="coerce").astype("float64")
    return out[columns]


# --- alerts --------------------------------------------------------------------------------------------------

BEHIND_TOLERANCE = 0.10  # a rep is listed when behind by more than 10 % of the month's whole goal


def reps_behind_goal(con, flt: Filter, today: date, tolerance: float = BEHIND_TOLERANCE) -> pd.DataFrame:
    """Reps behind their monthly goal to date by more than `tolerance` of the whole month's goal.

    Goal to date = month quota x days elapsed / days in the month (1st to `today`); a rep is listed when
    goal to date - won > tolerance x month quota. The tolerance is a share of the whole month, so that early in
    the month (goal to date under 10 % of the month) nobody is flagged for a week without a signature.
    Dimensions of `flt` apply, its period does not. Columns: owner, quota, prorated_goal, won_amount, gap
    (goal to date - won), sorted by gap, largest first.
    """
    month_start, month_end = today.replace(day=1), _month_end(today)
    share = ((today - month_start).days + 1) / ((month_end - month_start).days + 1)
    base, base_params = _base_sql(replace(flt, start=month_start, end=today), "owner",
                                  quota_window=(month_start, month_end))
    df = con.execute(
        f"SELECT f.key AS owner, f.quota, f.quota * $share AS prorated_goal,"
        " CAST(f.won_amount AS DOUBLE) AS won_amount,"
        f" f.quota * $share - f.won_amount AS gap FROM ({base}) f"
        " WHERE f.quota IS NOT NULL AND f.key IS NOT NULL AND f.quota * $share - f.won_amount > f.quota * $tolerance"
        " ORDER BY gap DESC, owner",
        base_params | {"share": share, "tolerance": tolerance},
    ).fetchdf()
    for col in ("quota", "prorated_goal", "won_amount", "gap"):
        df[col] = df[col].astype("float64")
    return df[["owner", "quota", "prorated_goal", "won_amount", "gap"]]


MIN_STAYS = stays.MIN_STAYS  # "3 deals in 4" needs at least four finished stays in the stage
STUCK_FLOOR_DAYS = stays.FLOOR_DAYS  # a threshold under a week would flag deals merely in a busy week


def stuck_deals(con, flt: Filter, today: date, defaults: tuple | None = None) -> pd.DataFrame:
    """Open deals in their current stage for longer than 3 deals in 4 stayed in it (the flash alert).

    One definition with the funnel page: `analytics.measures.stays.stuck_deals` with the team's default thresholds.
    A stay is merged by funnel stage (two CRM sub-stages of "proposal" are one proposal stay), measured from
    the stage history, else from the successive uploads; the threshold is the stage's 75th percentile of
    finished stays, never under STUCK_FLOOR_DAYS, for stages with at least MIN_STAYS finished stays.
    Columns: opportunity_id, name, owner, stage, amount, entered, days_in_stage, threshold_days, p75_days,
    source; the longest overstays first. `defaults`: the thresholds already computed (`stays.frozen`).
    """
    return stays.stuck_deals(con, flt, today, defaults=defaults)


def stays_not_measured(con, flt: Filter) -> int:
    """Open deals of the selection whose stage history does not end in their current stage (the history
    stops before the CRM's last move): no ongoing stay can be measured for them, so the stuck alert cannot
    judge them. The page says how many instead of leaving them out silently. Deals without any history are
    measured from the uploads (analytics/measures/stays.py) and are not counted here."""
    cte, params = deals_cte(flt)
    if reached.table_readable(con):  # the latest stage of each open deal's history, kept at import
        last = f"(SELECT opportunity_id, last_stage FROM {reached.LATEST_TABLE} WHERE dated_history)"
    else:
        last = f"({reached.LAST_STAGE_SQL.format(deals='deals')})"
    sql = (
        f"WITH {cte} SELECT count(*) FROM deals d JOIN {last} last ON last.opportunity_id = d.opportunity_id"
        " WHERE d.status = 'open' AND last.last_stage IS DISTINCT FROM d.stage"
    )
    return int(con.execute(sql, params).fetchall()[0][0])
