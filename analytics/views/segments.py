"""Effort against result per segment (or any axis): what each segment costs to win and what it brings.

Definitions (shared/PRODUCT.md, issue 9), all on the deals of `selection.deals_cte` and the filter's period:

- result: won / lost deals and amounts counted on their outcome date in the period; margin = sum of the margin
  of the deals won, unknown (NaN) when one of them has no margin (`won_without_margin` says how many), never
  counted as 0; win rate = won / (won + lost); average basket = won amount / won deals that have an amount
  (a won deal without amount does not lower it, as on the flash page).
- new customers: distinct accounts whose FIRST win ever (in the whole snapshot, whoever won it) falls in the
  period; each is counted on the axis value of that first winning deal.
- effort: the activities of the period by type, meetings (analytics.measures.activity: meeting, video meeting
  and demo), hours (durations), their time cost = hours x the rep's hourly cost. Hours of reps without an
  hourly cost are not counted as free: the cost is then unknown (NaN, a dash, as on the flash page) and
  `uncosted_hours` says how many hours lack a cost. Marketing spend: `marketing_spend` prorated to the period
  (selection.prorated).
- acquisition spend = marketing spend + time cost; acquisition cost (CAC) = acquisition spend / new customers
  (NULL without a new customer: never infinite); new customers' margin = margin of the period's wins of the
  accounts that are new customers in it (not of every win: repeat wins of old accounts are not acquisition);
  margin per customer = new customers' margin / new customers; contribution = new customers' margin -
  acquisition spend, so that CAC above the margin per customer is exactly a negative contribution (the
  break-even line of the chart).
- attribution: an activity keeps its own segment, else takes its deal's (opportunity_id), else its
  account's (the segment of the account's latest deal); source, product and region come the same way from
  the deal, else the account; region first from the rep (`reps`), as for deals, quota and hours
  (selection.deals_cte); team from the rep. What none gives is the
  unattributed row (value NULL), never spread over the others. Marketing spend is set per segment and source:
  on those axes it goes to its own value (NULL when the row names none), on other axes it is all unattributed.

NULL (None/NaN) wherever the data cannot give a figure: no activities sheet, no duration, no hourly cost at
all, no marketing spend sheet, no margin in the export, no account names.
"""
from __future__ import annotations


import pandas as pd

from analytics import selection, store
from analytics.filters import Filter, named_period, period_condition, target_conditions
from analytics.measures import quota as quota_lines
from analytics.measures.activity import MEETING_TYPES

AXES = ("segment", "region", "source", "team", "product", "owner")
ACTIVITY_KINDS = {"call": "calls", "email": "emails", "meeting": "meetings_in_person",
                  "video meeting": "video_meetings", "demo": "demos"}

# The keys of the CLI's rows (issue 9), in order.
CLI_KEYS = ("value", "won_count", "won_amount", "lost_count", "win_rate", "average_basket", "margin",
            "activity_hours", "time_cost", "marketing_spend", "new_customers", "acquisition_cost", "contribution")

# Suggestions need enough closed deals for a win rate to mean something.
MIN_CLOSED = 5


def _check_axis(axis: str) -> None:
    if axis not in AXES:
        raise ValueError(f"unknown axis {axis!r} (one of: {', '.join(AXES)})")


def _ratio(num: pd.Series, den: pd.Series) -> pd.Series:
    """num / den, NaN where the denominator is 0 or unknown: never 0, never infinite."""
    num = pd.to_numeric(num, errors="coerce").astype("float64")
    den = pd.to_numeric(den, errors="coerce").astype("float64")
    return num.where(den > 0) / den.where(den > 0)


ATTRIBUTES = ("segment", "source", "product", "region")  # what an activity takes from its deal or account


def _deal_columns(flt: Filter, axis: str) -> list[str]:
    """The attributes an activity needs from its deal or account: the axis and the filter's dimensions."""
    wanted = {axis} | {d for d in ("segment", "source", "region") if getattr(flt, d) is not None}
    return [c for c in ATTRIBUTES if c in wanted]


def _acts_cte(flt: Filter, axis: str) -> tuple[str, list]:
    """acts: the period's activities with owner, team, hourly cost and the attributes `_deal_columns` names,
    each from the activity itself (segment only), else its deal, else its account's latest deal, else the
    rep (region only). Deals are those of the latest snapshot, whatever the filter (attribution only).

    When only the segment is needed, activities that state their own skip the lookups (the common case)."""
    period, params = period_condition("a.date", flt)
    cols = _deal_columns(flt, axis)
    base = f"a0 AS (SELECT a.* FROM activities a WHERE {period})"
    if not cols:
        sql = (f"{base}, acts AS (SELECT a.type, a.duration_minutes, a.owner, r.team, r.hourly_cost"
               f" FROM a0 a LEFT JOIN {selection.REPS_ONE} r ON r.owner = a.owner)")
        return sql, params
    opp_region = "coalesce(rr.region, o.region) AS region" if "region" in cols else None
    opp_cols = ", ".join(["o.opportunity_id", "o.account", "o.created_date"]
                         + [opp_region if c == "region" else f"o.{c}" for c in cols])
    latest = "arg_max({c}, struct_pack(created_date, opportunity_id)) FILTER (WHERE {c} IS NOT NULL) AS {c}"
    only_segment = cols == ["segment"]
    # rows that state their own segment need no lookup when the segment is all that is asked
    lookup = "a0 WHERE segment IS NULL" if only_segment else "a0"
    sql = (
        f"{base},"
        f" opp AS (SELECT {opp_cols} FROM opportunities o LEFT JOIN {selection.REPS_ONE} rr ON rr.owner = o.owner"
        f"  WHERE o.snapshot_id = {selection.LATEST_SNAPSHOT}),"
        f" need AS (SELECT * FROM {lookup}),"
        " need_deal AS MATERIALIZED (SELECT n.*, od.account AS deal_account, "
        + ", ".join(f"od.{c} AS deal_{c}" for c in cols)
        + " FROM need n LEFT JOIN opp od ON od.opportunity_id = n.opportunity_id),"
        " account_of AS (SELECT account, " + ", ".join(latest.format(c=c) for c in cols)
        + "  FROM opp WHERE account IN (SELECT coalesce(account, deal_account) FROM need_deal) GROUP BY account),"
        " looked AS (SELECT a.type, a.duration_minutes, a.owner, r.team, r.hourly_cost, "
        + ", ".join(f"coalesce({'a.segment, ' if c == 'segment' else ''}{'r.region, ' if c == 'region' else ''}"
                    f"a.deal_{c}, ac.{c}) AS {c}" for c in cols)
        + f"  FROM need_deal a LEFT JOIN {selection.REPS_ONE} r ON r.owner = a.owner"
        "  LEFT JOIN account_of ac ON ac.account = coalesce(a.account, a.deal_account))"
    )
    if only_segment:
        sql += (
            ", acts AS (SELECT * FROM looked UNION ALL"
            " SELECT a.type, a.duration_minutes, a.owner, r.team, r.hourly_cost, a.segment"
            f" FROM a0 a LEFT JOIN {selection.REPS_ONE} r ON r.owner = a.owner WHERE a.segment IS NOT NULL)"
        )
    else:
        sql += ", acts AS (SELECT * FROM looked)"
    return sql, params


def _acts_where(flt: Filter) -> tuple[str, list]:
    """The filter's dimensions on the activities' attributed columns (so a filter and a row agree)."""
    return selection.dimension_conditions(flt, "x")


# --- per axis value ------------------------------------------------------------------------------------------

def _results(con, flt: Filter, axis: str) -> pd.DataFrame:
    """Result sums per (owner, axis value): won, lost, margin, created, new customers (each account's first
    win ever, in the whole latest snapshot, is one deal: per-owner counts add up to per-value counts)."""
    deals, params = selection.named(*selection.deals_cte(flt), "deal")
    won_p, period = named_period("d.outcome_date", flt)  # $start and $end, named once for every condition
    created_p, _ = named_period("d.created_date", flt)
    first_p, _ = named_period("min(coalesce(closed_date, close_date))", flt)
    won = f"d.status = 'won' AND {won_p}"
    ax = selection.axis_expr(axis, "d")
    sql = (
        f"WITH {deals},"
        " first_win AS (SELECT account, min(coalesce(closed_date, close_date)) AS first_date,"
        "  arg_min(opportunity_id, struct_pack(day := coalesce(closed_date, close_date), id := opportunity_id)) AS opportunity_id"
        f"  FROM opportunities WHERE snapshot_id = {selection.LATEST_SNAPSHOT} AND status = 'won'"
        "   AND account IS NOT NULL AND coalesce(closed_date, close_date) IS NOT NULL GROUP BY account"
        f"  HAVING {first_p})"
        f" SELECT d.owner, {ax} AS value,"
        f" count(*) FILTER (WHERE {won}) AS won_count,"
        f" coalesce(sum(d.amount) FILTER (WHERE {won}), 0) AS won_amount,"
        f" count(d.amount) FILTER (WHERE {won}) AS won_valued,"
        f" coalesce(sum(d.margin) FILTER (WHERE {won}), 0) AS margin,"
        f" count(*) FILTER (WHERE {won} AND d.margin IS NULL) AS won_without_margin,"
        # the margin of the new customers' wins (accounts whose first win falls in the period)
        f" coalesce(sum(d.margin) FILTER (WHERE {won} AND fa.account IS NOT NULL), 0) AS new_customer_margin,"
        f" count(*) FILTER (WHERE {won} AND fa.account IS NOT NULL AND d.margin IS NULL)"
        "  AS new_customer_without_margin,"
        f" count(*) FILTER (WHERE d.status = 'lost' AND {won_p}) AS lost_count,"
        f" coalesce(sum(d.amount) FILTER (WHERE d.status = 'lost' AND {won_p}), 0) AS lost_amount,"
        f" count(*) FILTER (WHERE {created_p}) AS created_count,"
        " count(f.account) AS new_customers"
        " FROM deals d LEFT JOIN first_win f ON f.opportunity_id = d.opportunity_id"
        " LEFT JOIN first_win fa ON fa.account = d.account"
        " GROUP BY 1, 2"
    )
    df = con.execute(sql, params | period).fetchdf()
    for col in ("won_amount", "margin", "lost_amount", "new_customer_margin"):
        df[col] = df[col].astype("float64")
    return df


def _effort(con, flt: Filter, axis: str) -> pd.DataFrame:
    """Effort sums per (owner, axis value) of the period's activities, attributed as the module says."""
    ctes, params = _acts_cte(flt, axis)
    where, pw = _acts_where(flt)
    kinds = "".join(f" count(*) FILTER (WHERE x.type = '{t}') AS {name}," for t, name in ACTIVITY_KINDS.items())
    meetings = ", ".join(f"'{t}'" for t in MEETING_TYPES)
    value = f"x.{axis}"
    sql = (
        f"WITH {ctes} SELECT x.owner, {value} AS value, count(*) AS activities,{kinds}"
        f" count(*) FILTER (WHERE x.type IN ({meetings})) AS meetings,"
        " sum(x.duration_minutes) / 60.0 AS activity_hours,"
        " sum(x.duration_minutes / 60.0 * x.hourly_cost) AS time_cost,"
        " coalesce(sum(x.duration_minutes) FILTER (WHERE x.hourly_cost IS NULL), 0) / 60.0 AS uncosted_hours"
        f" FROM acts x WHERE {where} GROUP BY 1, 2"
    )
    df = con.execute(sql, params + pw).fetchdf()
    for col in ("activity_hours", "time_cost", "uncosted_hours"):
        df[col] = df[col].astype("float64")
    return df


def _by_value(df: pd.DataFrame) -> pd.DataFrame:
    """Per-(owner, value) sums summed per value; a sum stays unknown (NaN) when every part is."""
    keyed = _keyed(df.drop(columns="owner"))
    return keyed.groupby("value", sort=False, dropna=False).sum(min_count=1).reset_index()


def _marketing(con, flt: Filter, axis: str) -> pd.DataFrame | None:
    """Marketing spend of the period per axis value (segment, source) or all of it unattributed (value NULL).
    None when it cannot be given: no marketing spend sheet, or a rep / team / region filter (spend is not
    set per rep)."""
    if any(getattr(flt, d) is not None for d in ("owner", "team", "region")):
        return None
    parts, params = [], []
    for column in ("segment", "source"):
        if getattr(flt, column) is not None:
            parts.append(f"t.{column} = ?")
            params.append(getattr(flt, column))
    by = axis if axis in ("segment", "source") else None
    df = selection.prorated(con, "marketing_spend", "amount", [(flt.start, flt.end)],
                            " AND ".join(parts) or "TRUE", params, by=by)
    values = df[by] if by else pd.Series([None] * len(df), dtype=object)
    return pd.DataFrame({"value": values.astype(object), "marketing_spend": df["value"].astype("float64")})


def _planned(con, flt: Filter, axis: str) -> pd.DataFrame | None:
    """Planned activities of the period (targets.planned_activities, prorated) per segment, owner or team."""
    if axis not in ("segment", "owner", "team"):
        return None
    where, params = target_conditions(flt, "t")
    # a rep's own line when given, else its segment lines (never both): per-rep lines stay unattributed
    lines = quota_lines.targets_table("planned_activities", quota_lines.wants_segment_lines(flt))
    table = f"(SELECT t0.*, r.team FROM {lines} t0 LEFT JOIN {selection.REPS_ONE} r ON r.owner = t0.owner)"
    df = selection.prorated(con, table, "planned_activities", [(flt.start, flt.end)], where, params, by=axis)
    return pd.DataFrame({"value": df[axis].astype(object), "planned_activities": df["value"]})


_NONE = "\x00unattributed"  # stands for the NULL value while frames are merged (pandas keys)


def _keyed(df: pd.DataFrame) -> pd.DataFrame:
    out = df.copy()
    out["value"] = out["value"].astype(object).where(out["value"].notna(), _NONE)
    return out


def data_available(con) -> dict:
    """What the workspace gives beyond opportunities, for the figures that need it (True / False):
    activities, durations, hourly costs, marketing spend, targets with planned activities, margins, accounts."""
    tables = store.available_tables(con)

    def some(sql: str) -> bool:
        return bool(con.execute(sql).fetchall()[0][0])

    has_acts = "activities" in tables
    return {
        "opportunities": "opportunities" in tables,
        "activities": has_acts,
        "durations": has_acts and some("SELECT count(duration_minutes) > 0 FROM activities"),
        "hourly_costs": "reps" in tables and some("SELECT count(hourly_cost) > 0 FROM reps"),
        "marketing_spend": "marketing_spend" in tables,
        "planned_activities": "targets" in tables and some("SELECT count(planned_activities) > 0 FROM targets"),
        "margins": some("SELECT count(margin) > 0 FROM opportunities_current"),
        "accounts": some("SELECT count(account) > 0 FROM opportunities_current"),
    }


def missing_sheets(con, flt: Filter = Filter(), axis: str = "segment") -> dict[str, str]:
    """Each figure the data cannot give -> the sheet (table) or column to add: what the page says instead."""
    have = data_available(con)
    out = {}
    if not have["activities"]:
        out.update(activity_hours="activities", time_cost="activities", meetings="activities")
    elif not have["durations"]:
        out.update(activity_hours="activities.duration_minutes", time_cost="activities.duration_minutes")
    elif not have["hourly_costs"]:
        out["time_cost"] = "reps.hourly_cost"
    if not have["marketing_spend"]:
        out["marketing_spend"] = "marketing_spend"
    if not have["margins"]:
        out["margin"] = "opportunities.margin"
    if not have["accounts"]:
        out["new_customers"] = "opportunities.account"
    if not have["planned_activities"]:
        out["planned_activities"] = "targets.planned_activities"
    return out


COLUMNS = [
    "value", "created_count", "won_count", "won_amount", "lost_count", "lost_amount", "win_rate", "average_basket",
    "margin", "won_without_margin", "new_customers", "new_customer_margin", "margin_per_customer",
    "activities", "calls", "emails", "meetings", "demos", "activity_hours", "time_cost", "uncosted_hours",
    "marketing_spend", "acquisition_spend", "acquisition_cost", "contribution",
    "planned_activities", "activities_vs_plan", "meetings_per_win", "hours_per_win",
    "effort_share", "revenue_share", "margin_share", "marketing_share",
]


def segment_table(con, flt: Filter = Filter(), axis: str = "segment") -> pd.DataFrame:
    """One row per value of `axis` (AXES), the unattributed row (value None) last when there is one:
    result, effort, acquisition cost and contribution as the module docstring defines them. COLUMNS, in order;
    NaN where the data cannot give a figure. Sorted by won amount, largest first."""
    _check_axis(axis)
    have = data_available(con)
    if not have["opportunities"]:
        return pd.DataFrame(columns=COLUMNS)
    return _table(con, flt, axis, have, _results(con, flt, axis),
                  _effort(con, flt, axis) if have["activities"] else None)


def _table(con, flt: Filter, axis: str, have: dict, results: pd.DataFrame, effort: pd.DataFrame | None):
    df = _by_value(results)
    if effort is not None:
        df = df.merge(_by_value(effort), on="value", how="outer")
    spend = _marketing(con, flt, axis) if have["marketing_spend"] else None
    if spend is not None:
        df = df.merge(_keyed(spend), on="value", how="outer")
    planned = _planned(con, flt, axis) if have["planned_activities"] else None
    if planned is not None:
        df = df.merge(_keyed(planned), on="value", how="outer")
    for col in COLUMNS:
        if col not in df:
            df[col] = float("nan")
    counts = ["created_count", "won_count", "lost_count", "won_without_margin", "new_customers", "won_valued",
              "new_customer_without_margin"]
    sums = ["won_amount", "lost_amount", "margin", "new_customer_margin"]
    for col in counts + sums:
        if col not in df:
            df[col] = float("nan")
    df[counts + sums] = df[counts + sums].astype("float64").fillna(0.0)
    if have["activities"]:
        effort = ["activities", "calls", "emails", "meetings", "demos", "uncosted_hours"]
        df[effort] = df[effort].astype("float64").fillna(0.0)
        df["activity_hours"] = df["activity_hours"].astype("float64").fillna(0.0) if have["durations"] else float("nan")
        known_cost = have["durations"] and have["hourly_costs"]
        df["time_cost"] = df["time_cost"].astype("float64").fillna(0.0) if known_cost else float("nan")
        # partly uncosted hours: the cost is unknown (a dash), not a floor sold as exact (flash's rule)
        df.loc[df["uncosted_hours"] > 0, "time_cost"] = float("nan")
        if not have["durations"]:
            df["uncosted_hours"] = float("nan")
    if spend is not None:
        df["marketing_spend"] = df["marketing_spend"].astype("float64")
        if axis in ("segment", "source"):
            df["marketing_spend"] = df["marketing_spend"].fillna(0.0)
        else:  # spend is not set per region, team, product or rep: only the unattributed row holds it
            df.loc[df["value"] == _NONE, "marketing_spend"] = df.loc[df["value"] == _NONE, "marketing_spend"] \
                .fillna(0.0)
    if planned is not None:
        df["planned_activities"] = df["planned_activities"].astype("float64")
        if have["activities"]:
            df["planned_activities"] = df["planned_activities"].fillna(0.0)
    # a won deal without margin leaves the margin unknown, never counted as 0
    df.loc[df["won_without_margin"] > 0, "margin"] = float("nan")
    df.loc[df["new_customer_without_margin"] > 0, "new_customer_margin"] = float("nan")
    if not have["margins"]:
        df["margin"] = float("nan")
        df["new_customer_margin"] = float("nan")
    if not have["accounts"]:
        df["new_customers"] = float("nan")
    for col in ("activity_hours", "time_cost", "marketing_spend", "planned_activities", "activities"):
        df[col] = pd.to_numeric(df[col], errors="coerce").astype("float64")
    df["win_rate"] = _ratio(df["won_count"], df["won_count"] + df["lost_count"])
    df["average_basket"] = _ratio(df["won_amount"], df["won_valued"])
    df["margin_per_customer"] = _ratio(df["new_customer_margin"], df["new_customers"])
    df["acquisition_spend"] = df["marketing_spend"] + df["time_cost"]  # NaN when either is unknown
    df["acquisition_cost"] = _ratio(df["acquisition_spend"], df["new_customers"])
    df["contribution"] = df["new_customer_margin"] - df["acquisition_spend"]
    df["activities_vs_plan"] = _ratio(df["activities"], df["planned_activities"])
    df["meetings_per_win"] = _ratio(df["meetings"], df["won_count"])
    df["hours_per_win"] = _ratio(df["activity_hours"], df["won_count"])
    # shares of the whole selection, unattributed included, so that they add up to 100 %
    effort = df["activity_hours"] if have["durations"] else df["activities"]
    for share, col in (("effort_share", effort), ("revenue_share", df["won_amount"]),
                       ("margin_share", df["margin"]), ("marketing_share", df["marketing_spend"])):
        df[share] = _ratio(col, pd.Series(col.sum(min_count=1), index=df.index))
    df["unattributed"] = df["value"] == _NONE
    df = df.sort_values(["unattributed", "won_amount", "value"], ascending=[True, False, True], kind="stable")
    df["value"] = df["value"].where(~df["unattributed"], None)
    return df[COLUMNS].reset_index(drop=True)


def cli_rows(con, flt: Filter = Filter(), axis: str = "segment") -> dict:
    """What `python -m analytics segments --json` prints: {"by", "rows": [{CLI_KEYS}], "missing"}."""
    df = segment_table(con, flt, axis)
    rows = []
    for rec in df[list(CLI_KEYS)].to_dict("records"):
        row = {}
        for k, v in rec.items():
            if v is None or (isinstance(v, float) and v != v):
                row[k] = None
            elif k in ("won_count", "lost_count", "new_customers"):
                row[k] = int(v)
            elif k == "value":
                row[k] = v
            else:
                row[k] = float(v)
        rows.append(row)
    return {"by": axis, "rows": rows, "missing": missing_sheets(con, flt, axis)}


# --- reps x segments -----------------------------------------------------------------------------------------

def rep_effort(con, flt: Filter = Filter(), axis: str = "segment", results: pd.DataFrame | None = None,
               effort: pd.DataFrame | None = None) -> pd.DataFrame:
    """Effort per won deal for each rep and axis value: meetings per win, hours per win (NaN with no win),
    with the team's median over the reps who won something on that value (rows with owner None, is_median).

    Columns: owner, value, won_count, meetings, activity_hours, meetings_per_win, hours_per_win, is_median.
    Wins are the rep's deals won in the period; effort the rep's activities of the period on that value.
    `results` / `effort`: the per-(owner, value) sums when the caller has them already (segment_view).
    """
    _check_axis(axis)
    if axis == "owner":
        axis = "segment"
        results = effort = None
    columns = ["owner", "value", "won_count", "meetings", "activity_hours", "meetings_per_win", "hours_per_win",
               "is_median"]
    if "activities" not in store.available_tables(con):
        return pd.DataFrame(columns=columns)
    res = results if results is not None else _results(con, flt, axis)
    eff = effort if effort is not None else _effort(con, flt, axis)
    df = _keyed(res[["owner", "value", "won_count"]]).merge(
        _keyed(eff[["owner", "value", "meetings", "activity_hours"]]), on=["owner", "value"], how="outer")
    df = df[(df["won_count"] > 0) | df["meetings"].notna()]
    df["won_count"] = df["won_count"].fillna(0).astype("int64")
    df["meetings"] = df["meetings"].fillna(0).astype("int64")
    df["meetings_per_win"] = _ratio(df["meetings"], df["won_count"])
    df["hours_per_win"] = _ratio(df["activity_hours"], df["won_count"])
    df["is_median"] = False
    median = df.groupby("value", sort=False).agg(
        won_count=("won_count", "sum"), meetings=("meetings", "sum"),
        activity_hours=("activity_hours", lambda s: s.sum(min_count=1)),
        meetings_per_win=("meetings_per_win", "median"), hours_per_win=("hours_per_win", "median"),
    ).reset_index().assign(owner=None, is_median=True)
    out = pd.concat([df, median[df.columns]], ignore_index=True)
    out["_none"] = out["value"] == _NONE
    out = out.sort_values(["is_median", "owner", "_none", "value"], na_position="last", kind="stable")
    out["value"] = out["value"].where(~out["_none"], None)
    return out[columns].reset_index(drop=True)


# --- sources -------------------------------------------------------------------------------------------------

def sources(con, flt: Filter = Filter()) -> pd.DataFrame:
    """Opportunities created in the period per source: how many, how many are won (and lost) by now,
    conversion = won / created, win rate = won / (won + lost), won amount; in_target_share = opportunities
    that matched the targeting criteria / those where the data says (NaN when it never says).

    Columns: source (None for opportunities without one), created_count, won_count, lost_count, open_count,
    conversion, win_rate, won_amount, in_target_share. Most created first."""
    cte, params = selection.deals_cte(flt)
    created, pc = period_condition("d.created_date", flt)
    sql = (
        f"WITH {cte} SELECT d.source, count(*) AS created_count,"
        " count(*) FILTER (WHERE d.status = 'won') AS won_count,"
        " count(*) FILTER (WHERE d.status = 'lost') AS lost_count,"
        " count(*) FILTER (WHERE d.status = 'open') AS open_count,"
        " count(*) FILTER (WHERE d.status = 'won') / count(*) AS conversion,"
        " CASE WHEN count(*) FILTER (WHERE d.status IN ('won', 'lost')) > 0 THEN count(*) FILTER"
        "  (WHERE d.status = 'won') / count(*) FILTER (WHERE d.status IN ('won', 'lost')) END AS win_rate,"
        " coalesce(sum(d.amount) FILTER (WHERE d.status = 'won'), 0) AS won_amount,"
        " CASE WHEN count(d.in_target) > 0 THEN count(*) FILTER (WHERE d.in_target) / count(d.in_target)"
        "  END AS in_target_share"
        f" FROM deals d WHERE {created} GROUP BY 1 ORDER BY created_count DESC, d.source NULLS LAST"
    )
    df = con.execute(sql, params + pc).fetchdf()
    df["won_amount"] = df["won_amount"].astype("float64")
    return df


# --- suggestions ---------------------------------------------------------------------------------------------

SUGGESTION_COLUMNS = ["kind", "value", "target", "acquisition_cost", "margin_per_customer", "contribution",
                      "win_rate", "reference_win_rate", "hours_per_win", "reference_hours_per_win", "won_amount",
                      "activity_hours", "reference_won_amount", "reference_hours"]


def suggestions(con, flt: Filter = Filter(), axis: str = "segment") -> pd.DataFrame:
    """Candidates the director can check, each with its numbers (nothing is decided here):

    - move_down: a value whose acquisition cost exceeds its margin per new customer (negative contribution);
    - move_up: a value with at least MIN_CLOSED closed deals whose win rate is above the selection's while it
      needs fewer hours per win than the selection (reference_* are the selection's figures), and that is not
      a move_down candidate;
    - account_up / account_down (axis segment only): see `account_tiers`.
    Columns: SUGGESTION_COLUMNS."""
    tiers = account_tiers(con, flt) if axis == "segment" else None
    return suggest(segment_table(con, flt, axis), tiers)


def suggest(whole: pd.DataFrame, tiers: pd.DataFrame | None) -> pd.DataFrame:
    """`suggestions` from a segment_table and (axis segment) account_tiers already computed."""
    df = whole[whole["value"].notna()]
    out = []
    down = df[df["acquisition_cost"] > df["margin_per_customer"]]
    for r in down.itertuples():
        out.append({"kind": "move_down", "value": r.value, "acquisition_cost": r.acquisition_cost,
                    "margin_per_customer": r.margin_per_customer, "contribution": r.contribution})
    # the selection's own figures, unattributed effort included
    won, lost = whole["won_count"].sum(), whole["lost_count"].sum()
    ref_rate = won / (won + lost) if won + lost else None
    ref_hours = whole["activity_hours"].sum(min_count=1) / won if won else None
    if ref_rate is not None and ref_hours is not None and ref_hours == ref_hours:
        pays = ~(df["acquisition_cost"] > df["margin_per_customer"])  # a move_down candidate is not one up
        up = df[(df["won_count"] + df["lost_count"] >= MIN_CLOSED) & (df["win_rate"] > ref_rate)
                & (df["hours_per_win"] < ref_hours) & pays]
        for r in up.itertuples():
            out.append({"kind": "move_up", "value": r.value, "win_rate": r.win_rate, "reference_win_rate": ref_rate,
                        "hours_per_win": r.hours_per_win, "reference_hours_per_win": ref_hours})
    if tiers is not None:
        for r in tiers.itertuples():
            out.append({"kind": f"account_{r.direction}", "value": r.account, "target": r.suggested_segment,
                        "won_amount": r.won_amount, "activity_hours": r.activity_hours,
                        "reference_won_amount": r.reference_won_amount, "reference_hours": r.reference_hours})
    return pd.DataFrame(out, columns=SUGGESTION_COLUMNS)


MAX_ACCOUNTS = 10


def account_tiers(con, flt: Filter = Filter()) -> pd.DataFrame:
    """Accounts whose won revenue and effort of the period place them in another segment (tier).

    Tiers are the segments ordered by their median won amount per account that won something. An account
    goes up when its won amount reaches the median of a higher tier (the highest it reaches is named); it goes
    down when it won no more than the median of the tier below while it took more hours than the median
    account of its own segment. Columns: account, segment, suggested_segment, direction (up / down),
    won_amount, activity_hours, reference_won_amount (the named tier's median), reference_hours (its own
    segment's median hours). At most MAX_ACCOUNTS each way, the largest gaps first.
    """
    columns = ["account", "segment", "suggested_segment", "direction", "won_amount", "activity_hours",
               "reference_won_amount", "reference_hours"]
    ctes, params = selection.deals_cte(flt)
    won_p, pw = period_condition("d.outcome_date", flt)
    has_acts = "activities" in store.available_tables(con)
    period, pa = period_condition("a.date", flt)
    # an activity's account, else its deal's (latest snapshot); the deal is looked up only when needed
    hours = (
        "h AS (SELECT account, sum(minutes) / 60.0 AS hours FROM ("
        f" SELECT a.account, a.duration_minutes AS minutes FROM activities a WHERE a.account IS NOT NULL AND {period}"
        " UNION ALL SELECT od.account, a.duration_minutes FROM activities a JOIN opportunities od"
        f"  ON od.opportunity_id = a.opportunity_id AND od.snapshot_id = {selection.LATEST_SNAPSHOT}"
        f"  WHERE a.account IS NULL AND {period}) GROUP BY 1)"
        if has_acts else "h AS (SELECT NULL::VARCHAR AS account, NULL::DOUBLE AS hours)"
    )
    pa = pa * 2 if has_acts else []
    # an account's segment: that of its latest deal in the selection
    sql = (
        f"WITH {ctes}, {hours},"
        " acc AS (SELECT d.account, arg_max(d.segment, struct_pack(d.created_date, d.opportunity_id))"
        "  FILTER (WHERE d.segment IS NOT NULL) AS segment,"
        f"  coalesce(sum(d.amount) FILTER (WHERE d.status = 'won' AND {won_p}), 0) AS won_amount"
        "  FROM deals d WHERE d.account IS NOT NULL GROUP BY 1),"
        " SELECT acc.*, h.hours AS activity_hours FROM acc LEFT JOIN h ON h.account = acc.account"
        " WHERE acc.segment IS NOT NULL"
    )
    accounts = con.execute(sql, params + pa + pw).fetchdf()
    # the tiers read the accounts several times: from the frame, not by recomputing them (a CTE is inlined)
    name = f"segment_accounts_{id(accounts)}"
    con.register(name, accounts)
    sql = (
        f"WITH a2 AS (SELECT * FROM {name}),"
        " tiers AS (SELECT segment, median(won_amount) FILTER (WHERE won_amount > 0) AS tier_won,"
        "  median(activity_hours) AS tier_hours FROM a2 GROUP BY 1),"
        " ranked AS (SELECT *, row_number() OVER (ORDER BY tier_won) AS rank FROM tiers WHERE tier_won IS NOT NULL),"
        " up AS (SELECT a2.account, a2.segment, t.segment AS suggested_segment, 'up' AS direction,"
        "  a2.won_amount, a2.activity_hours, t.tier_won AS reference_won_amount, own.tier_hours AS reference_hours,"
        "  a2.won_amount / t.tier_won AS gap"
        "  FROM a2 JOIN ranked own ON own.segment = a2.segment JOIN ranked t ON t.rank > own.rank"
        "  WHERE a2.won_amount >= t.tier_won"
        "  QUALIFY row_number() OVER (PARTITION BY a2.account ORDER BY t.rank DESC) = 1),"
        " down AS (SELECT a2.account, a2.segment, t.segment AS suggested_segment, 'down' AS direction,"
        "  a2.won_amount, a2.activity_hours, t.tier_won AS reference_won_amount, own.tier_hours AS reference_hours,"
        "  a2.activity_hours / own.tier_hours AS gap"
        "  FROM a2 JOIN ranked own ON own.segment = a2.segment JOIN ranked t ON t.rank = own.rank - 1"
        "  WHERE a2.won_amount <= t.tier_won AND a2.activity_hours > own.tier_hours)"
        " SELECT * EXCLUDE (gap) FROM (SELECT * FROM (SELECT * FROM up ORDER BY gap DESC, account LIMIT ?)"
        "  UNION ALL SELECT * FROM (SELECT * FROM down ORDER BY gap DESC, account LIMIT ?))"
        " ORDER BY direction DESC, won_amount DESC, account"
    )
    try:
        df = con.execute(sql, [MAX_ACCOUNTS, MAX_ACCOUNTS]).fetchdf()
    finally:
        con.unregister(name)
    return df[columns]


def segment_view(con, flt: Filter = Filter(), axis: str = "segment", with_tiers: bool = True) -> dict:
    """Everything the page shows for one axis, computed once: {"table": segment_table, "reps": rep_effort,
    "tiers": account_tiers (axis segment and with_tiers, else None), "suggestions"} (the per-(owner, value)
    sums are shared by the table and the rep view). The page asks for the account tiers only on demand:
    they read every account of the workspace."""
    _check_axis(axis)
    have = data_available(con)
    if not have["opportunities"]:
        return {"table": segment_table(con, flt, axis), "reps": rep_effort(con, flt, axis), "tiers": None,
                "suggestions": pd.DataFrame(columns=SUGGESTION_COLUMNS)}
    results = _results(con, flt, axis)
    effort = _effort(con, flt, axis) if have["activities"] else None
    table = _table(con, flt, axis, have, results, effort)
    reps = rep_effort(con, flt, axis, results, effort)
    tiers = account_tiers(con, flt) if axis == "segment" and with_tiers else None
    return {"table": table, "reps": reps, "tiers": tiers, "suggestions": suggest(table, tiers)}
