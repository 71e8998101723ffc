"""One Filter value (period and dimensions) and the one place that turns it into SQL conditions.

Every KPI, page and the CLI filter through `opportunity_conditions`, `activity_conditions` and
`target_conditions`, so that "team", "region" or "segment" mean the same thing everywhere.
"""
from __future__ import annotations

import calendar
from dataclasses import dataclass, replace
from datetime import date, timedelta

PRESETS = ("week", "month", "quarter", "year", "ytd", "last12", "all", "custom")
MAX_COMPARED_DAYS = 366  # a period longer than a year has no comparison period that means anything
COMPARISONS = ("previous", "last_year")
DIMENSIONS = ("team", "owner", "segment", "region", "source")


@dataclass(frozen=True)
class Filter:
    """A period [start, end] (both inclusive; None = unbounded) and one value per dimension (None = all)."""

    start: date | None = None
    end: date | None = None
    team: str | None = None
    owner: str | None = None
    segment: str | None = None
    region: str | None = None
    source: str | None = None
    # The end of the whole period when the period is read to date (year to date: the fiscal year's last day):
    # attainment is won so far against the whole period's quota, as for the calendar presets. None: whole.
    whole_end: date | None = None

    @property
    def quota_window(self) -> tuple[date | None, date | None]:
        """The window the quota is prorated over: the whole period (PRODUCT.md, quota attainment)."""
        return self.start, max(self.end, self.whole_end) if self.end and self.whole_end else self.end

    @property
    def days(self) -> int | None:
        """Length of the period in days, inclusive; None when it is unbounded."""
        if self.start is None or self.end is None:
            return None
        return (self.end - self.start).days + 1


# --- periods -------------------------------------------------------------------------------------------------

def _month_end(d: date) -> date:
    return d.replace(day=calendar.monthrange(d.year, d.month)[1])


def _add_months(d: date, months: int) -> date:
    """The same day `months` later, clamped to the month's last day (31 March - 1 month = 28/29 February)."""
    y, m = divmod(d.month - 1 + months, 12)
    year, month = d.year + y, m + 1
    return date(year, month, min(d.day, calendar.monthrange(year, month)[1]))


def fiscal_year_start(today: date, fiscal_start: int = 1) -> date:
    """The first day of the fiscal year holding `today`, for a year that starts in month `fiscal_start`."""
    if not 1 <= int(fiscal_start) <= 12:
        raise ValueError(f"fiscal year start month out of 1-12: {fiscal_start!r}")
    year = today.year if today.month >= fiscal_start else today.year - 1
    return date(year, fiscal_start, 1)


def period_bounds(preset: str, today: date, fiscal_start: int = 1) -> tuple[date | None, date | None]:
    """The [start, end] of a preset around `today`.

    Calendar presets (week, month, quarter, year) cover the whole period, so that the quota and the
    pipeline closing in it are those of the full period; to-date presets (ytd, last12) end on today.
    Quarters and years are fiscal: they follow the year starting in month `fiscal_start` (1 = January).
    "all" is unbounded: (None, None), every date of the data.
    """
    if preset == "week":
        start = today - timedelta(days=today.weekday())
        return start, start + timedelta(days=6)
    if preset == "month":
        return today.replace(day=1), _month_end(today)
    if preset == "quarter":
        year_start = fiscal_year_start(today, fiscal_start)
        months = (today.year - year_start.year) * 12 + today.month - year_start.month
        start = _add_months(year_start, 3 * (months // 3))
        return start, _month_end(_add_months(start, 2))
    if preset == "year":
        start = fiscal_year_start(today, fiscal_start)
        return start, _month_end(_add_months(start, 11))
    if preset == "ytd":
        return fiscal_year_start(today, fiscal_start), today
    if preset == "last12":
        return _add_months(today, -12) + timedelta(days=1), today
    if preset == "all":
        return None, None
    raise ValueError(f"unknown period preset {preset!r}")


def whole_end(preset: str, today: date, fiscal_start: int = 1) -> date | None:
    """The end of the whole period a to-date preset belongs to (year to date: the fiscal year's end), so that
    attainment reads won so far against the whole period's quota, as the calendar presets do. None for the
    other presets: their period is whole (the last 12 months are a whole year's quota)."""
    if preset == "ytd":
        return period_bounds("year", today, fiscal_start)[1]
    return None


def _whole_months(start: date, end: date) -> int | None:
    """How many calendar months [start, end] spans exactly, or None when it is not whole months."""
    if start.day != 1 or end != _month_end(end):
        return None
    return (end.year - start.year) * 12 + end.month - start.month + 1


def previous(flt: Filter, mode: str = "previous", today: date | None = None) -> Filter | None:
    """The comparison period of `flt`, with the same dimensions; None when the period is unbounded or longer
    than a year (MAX_COMPARED_DAYS: seven years compared with the seven before say nothing).

    mode "previous": the period just before, of the same length (whole calendar months shift by months,
    so March compares with February); "last_year": the same dates one year earlier.
    When `today` falls inside the period, the comparison stops at the same point of its own period
    (month to date against the previous month to the same day), so that deltas compare like with like.
    """
    if flt.whole_end is not None and flt.end is not None and flt.whole_end > flt.end:
        # a period read to date (year to date): compare with the whole period before, cut at the same day
        whole = previous(replace(flt, end=flt.whole_end, whole_end=None), mode)
        if whole is None:
            return None
        return replace(whole, end=min(whole.end, whole.start + (flt.end - flt.start)))
    if flt.start is None or flt.end is None or flt.days > MAX_COMPARED_DAYS:
        return None
    if mode == "last_year":
        start, end = _add_months(flt.start, -12), _add_months(flt.end, -12)
        if flt.end == _month_end(flt.end):
            end = _month_end(end)
    elif mode == "previous":
        months = _whole_months(flt.start, flt.end)
        if months is not None:
            start = _add_months(flt.start, -months)
            end = _month_end(_add_months(start, months - 1))
        else:
            start, end = flt.start - timedelta(days=flt.days), flt.start - timedelta(days=1)
    else:
        raise ValueError(f"unknown comparison mode {mode!r}")
    if today is not None and flt.start <= today < flt.end:
        end = min(end, start + (today - flt.start))
    return replace(flt, start=start, end=end)


# --- SQL conditions ------------------------------------------------------------------------------------------

def period_condition(column: str, flt: Filter) -> tuple[str, list]:
    """`column` (a date or timestamp expression written by the caller, never user text) within the period."""
    parts, params = [], []
    if flt.start is not None:
        parts.append(f"CAST({column} AS DATE) >= ?")
        params.append(flt.start)
    if flt.end is not None:
        parts.append(f"CAST({column} AS DATE) <= ?")
        params.append(flt.end)
    return (" AND ".join(parts) or "TRUE"), params


def named_period(column: str, flt: Filter) -> tuple[str, dict]:
    """`period_condition` with named parameters ($start, $end): a query may test the period on many columns
    and pass the two values once, by name (no positional list to keep in step with the SQL)."""
    parts, params = [], {}
    if flt.start is not None:
        parts.append(f"CAST({column} AS DATE) >= $start")
        params["start"] = flt.start
    if flt.end is not None:
        parts.append(f"CAST({column} AS DATE) <= $end")
        params["end"] = flt.end
    return (" AND ".join(parts) or "TRUE"), params


def _owner_in_reps(column: str, owner_column: str) -> str:
    return f"{owner_column} IN (SELECT owner FROM reps WHERE {column} = ?)"


def _owner_and_segment(flt: Filter, alias: str, parts: list[str], params: list) -> None:
    """Append the conditions shared by activities and targets: owner and segment on the row itself,
    team and region through the owner's row in `reps`."""
    for column in ("owner", "segment"):
        value = getattr(flt, column)
        if value is not None:
            parts.append(f"{alias}.{column} = ?")
            params.append(value)
    for column in ("team", "region"):
        value = getattr(flt, column)
        if value is not None:
            parts.append(_owner_in_reps(column, f"{alias}.owner"))
            params.append(value)


def opportunity_conditions(flt: Filter, alias: str = "o") -> tuple[str, list]:
    """SQL conditions (joined by AND) and parameters selecting the opportunities of `flt`'s dimensions.

    owner, segment, source: the opportunity's own columns. team: the owner's team in `reps`.
    region: the owner's region in `reps`, else (an owner without one) the opportunity's own region: the same
    rule as selection.deals_cte, targets and activities (whose region is always their owner's).
    The period is not applied here: each KPI says which date it counts on (close, creation...).
    """
    a = alias
    parts, params = [], []
    for column in ("owner", "segment", "source"):
        value = getattr(flt, column)
        if value is not None:
            parts.append(f"{a}.{column} = ?")
            params.append(value)
    if flt.team is not None:
        parts.append(_owner_in_reps("team", f"{a}.owner"))
        params.append(flt.team)
    if flt.region is not None:
        parts.append(f"({_owner_in_reps('region', f'{a}.owner')} OR ({a}.region = ? AND {a}.owner NOT IN"
                     " (SELECT owner FROM reps WHERE region IS NOT NULL)))")
        params += [flt.region, flt.region]
    return (" AND ".join(parts) or "TRUE"), params


def activity_conditions(flt: Filter, alias: str = "a") -> tuple[str, list]:
    """Conditions on activities: period on their date, owner and segment on the activity, team and region
    through the owner's row in `reps`, source through the opportunity the activity belongs to."""
    a = alias
    sql, params = period_condition(f"{a}.date", flt)
    parts = [sql]
    _owner_and_segment(flt, a, parts, params)
    if flt.source is not None:
        parts.append(f"{a}.opportunity_id IN (SELECT opportunity_id FROM opportunities_current WHERE source = ?)")
        params.append(flt.source)
    return " AND ".join(parts), params


def target_conditions(flt: Filter, alias: str = "t") -> tuple[str, list]:
    """Conditions on targets (the period is prorated by the caller, not filtered here).

    owner and segment on the target (a segment filter keeps only targets set for that segment);
    team and region through `reps`. Targets carry no source: a source filter keeps the whole quota.
    """
    a = alias
    parts, params = [f"{a}.period_start IS NOT NULL", f"{a}.period_end IS NOT NULL"], []
    _owner_and_segment(flt, a, parts, params)
    return " AND ".join(parts), params


# --- what the workspace offers -------------------------------------------------------------------------------

def filter_options(con) -> dict[str, list[str]]:
    """The values each dimension takes in the workspace (sorted), for the sidebar's choices."""
    queries = {
        "team": "SELECT DISTINCT team FROM reps",
        "owner": "SELECT DISTINCT owner FROM opportunities_current",
        "segment": "SELECT DISTINCT segment FROM opportunities_current",
        "region": "SELECT DISTINCT region FROM opportunities_current UNION SELECT DISTINCT region FROM reps",
        "source": "SELECT DISTINCT source FROM opportunities_current",
    }
    out = {}
    for dim, sql in queries.items():
        values = [r[0] for r in con.execute(sql).fetchall() if r[0] is not None and str(r[0]).strip()]
        out[dim] = sorted(values, key=lambda v: str(v).casefold())
    return out


def reference_date(con) -> date:
    """The workspace's "today": its latest snapshot date (a demo or an old export shows its own current
    period), else the calendar's today."""
    row = con.execute("SELECT max(snapshot_date) FROM snapshots").fetchall()[0]
    return row[0] if row and row[0] is not None else date.today()


def data_bounds(con) -> tuple[date | None, date | None]:
    """The first and last dates the workspace's data holds (deals created, expected or closed, activities,
    target periods, snapshots): the range a custom period may be picked in. (None, None) when empty."""
    row = con.execute(
        "SELECT min(lo), max(hi) FROM ("
        " SELECT least(min(created_date), min(close_date), min(closed_date)) AS lo,"
        "  greatest(max(created_date), max(close_date), max(closed_date)) AS hi FROM opportunities"
        " UNION ALL SELECT min(CAST(date AS DATE)), max(CAST(date AS DATE)) FROM activities"
        " UNION ALL SELECT min(period_start), max(period_end) FROM targets"
        " UNION ALL SELECT min(snapshot_date), max(snapshot_date) FROM snapshots)"
    ).fetchall()[0]
    return row[0], row[1]
