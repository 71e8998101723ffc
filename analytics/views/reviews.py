"""The individual and the collective review: what only a review needs, on `selection.deals_cte` and `kpis`.

The KPIs themselves (won, quota, attainment, coverage, win rate...) come from `analytics.measures.kpis`; this module adds:

- the comparison group of a rep (`reference_filter`): the rep's team (the sidebar's team when one is chosen),
  the rep included; the whole selection when `reps` gives no team. One rule wherever the team stands beside a
  rep (gaps, mix, funnel, forecast, attainment trend, context): the rep is in it, and every label that names it
  says so (TEAM_BESIDE_REP_LABELS); the pipeline page's "whole selection" is another figure with another label;
- the monthly attainment trend (won in the month / the month's prorated quota) and the activity trend against
  `targets.planned_activities` (prorated by `selection.prorated`);
- the mix-adjusted expected result (`mix`): for each value of an axis (segment, region, in_target), the rep's
  deals closed in the period times the team's win rate and the team's won amount per closed deal on that value.
  Summed over the values, it is the result the rep would have had at the team's conversion and basket on the
  rep's own mix. The gap with the team (rep - team) splits exactly into volume, mix and conversion:
  volume = (the rep's closed deals - the team's per rep) x the team's won amount per closed deal (won amount
  only: rates and baskets do not grow with the number of deals), mix = expected - team - volume (what the
  rep's mix of segments accounts for at the team's rates), conversion = rep - expected (what is left: the rep's
  own conversion and basket on each segment). Same mix, twice the deals: all volume, no mix;
- the open deals to work on first (`deals_to_work`), ranked by a score whose components are shown (SCORE);
- the spread between reps on each KPI (`spread`), the best converter of each segment (`best_converters`),
  the wins of the period and the lost deals grouped by reason;
- the three things to discuss (`summary`): items each naming a string key and the numbers it shows.

Closed deals count on `outcome_date` (when won or lost), open deals are those of the latest snapshot.
"""
from __future__ import annotations

import math
from dataclasses import replace
from datetime import date

import pandas as pd

from analytics.views import forecast, funnel, movement
from analytics.measures import kpis, stays
from analytics.measures import quota as quota_lines
from analytics import selection, store, timeline
from analytics.filters import Filter, _add_months, _month_end, activity_conditions, period_condition, target_conditions

# --- the deals-to-work score ----------------------------------------------------------------------------------
# score = sum of the points of each component, 0..100 (the page shows each component beside the total):
#   weighted_value     40 x the deal's weighted value / the largest weighted value among the rep's open deals
#   age_in_stage       20 x min(days in the current stage / AGE_FULL_DAYS, 1)
#   close_date_passed  20 when the expected close date is before today (the latest snapshot's date)
#   slipped_twice      10 when the expected close date moved later more than once across the uploads
#   amount_cut         10 when the amount is below what an earlier upload showed
SCORE = {"weighted_value": 40, "age_in_stage": 20, "close_date_passed": 20, "slipped_twice": 10, "amount_cut": 10}
AGE_FULL_DAYS = 60
MIN_CLOSED_BEST = 5  # a rep needs this many deals closed in a segment (in the period) to be its best converter
TREND_MONTHS = 6  # months shown by the attainment and activity trends, ending with the period's last month
NEW_REP_DAYS = 183  # hired less than about six months before today: a new rep
SPREAD_KPIS = ("won_amount", "quota_attainment", "win_rate", "average_basket", "weighted_pipeline",
               "coverage_weighted")
MIX_AXES = {"segment": "d.segment", "region": "d.region", "in_target": "CAST(d.in_target AS VARCHAR)"}
GAP_METRICS = ("won_amount", "average_basket", "win_rate")
FUNNEL_BASIS = "closed"  # the funnel of the deals closed in the period: every one of them has run its course
MOVEMENT_COUNTS = ("new", "advanced", "slipped", "won", "lost", "amount_changed", "moved_back", "pulled_in",
                   "dropped", "reopened")


def _plain(value):
    """A JSON-friendly Python value: NaN -> None, numpy scalars and Decimals -> int/float."""
    if value is None:
        return None
    if hasattr(value, "item"):
        value = value.item()
    if value.__class__.__name__ == "Decimal":
        value = float(value)
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, pd.Timestamp):
        return value.date()
    return value


def _ratio(num, den):
    num, den = _plain(num), _plain(den)
    if num is None or den is None or den == 0:
        return None
    return float(num) / float(den)


def today_of(con) -> date:
    """The workspace's today: its latest snapshot date (filters.reference_date)."""
    from analytics.filters import reference_date

    return reference_date(con)


def owners(con, flt: Filter) -> list[str]:
    """The reps of the selection (owners of the latest snapshot's deals and of targets), sorted."""
    cte, params = selection.deals_cte(replace(flt, owner=None))
    where, tparams = target_conditions(replace(flt, owner=None), "t")
    rows = con.execute(
        f"WITH {cte} SELECT owner FROM deals WHERE owner IS NOT NULL"
        f" UNION SELECT owner FROM targets t WHERE owner IS NOT NULL AND {where}", params + tparams
    ).fetchall()
    return sorted((r[0] for r in rows), key=lambda v: str(v).casefold())


def rep_profile(con, owner: str) -> dict:
    """The rep's row of `reps` (team, region, hire_date); None values when `reps` has no row for them."""
    rows = con.execute(f"SELECT team, region, hire_date FROM {selection.REPS_ONE} r WHERE owner = ?", [owner]).fetchall()
    team, region, hire = rows[0] if rows else (None, None, None)
    return {"team": team, "region": region, "hire_date": hire}


# The interface strings that name the team beside a rep: each says the rep is included (tests check both languages).
TEAM_BESIDE_REP_LABELS = (
    "review.series.team", "review.col.team", "review.forecast.team_value", "review.context.team", "review.gaps.in_target")


def reference_filter(con, flt: Filter, owner: str) -> Filter:
    """The group a rep is compared with: the filter's dimensions without the owner, in the rep's team
    (the filter's team when one is chosen). The rep is part of it."""
    team = flt.team or rep_profile(con, owner)["team"]
    return replace(flt, owner=None, team=team)


# --- trends --------------------------------------------------------------------------------------------------

def trend_months(flt: Filter, today: date, months: int = TREND_MONTHS) -> list[tuple[date, date]]:
    """The `months` calendar months ending with the month of the period's end (today's when unbounded)."""
    last = (flt.end or today).replace(day=1)
    first = _add_months(last, -(months - 1))
    return [(m, _month_end(m)) for m in (_add_months(first, i) for i in range(months))]


def attainment_trend(con, flt: Filter, owner: str | None = None, months: int = TREND_MONTHS,
                     today: date | None = None) -> pd.DataFrame:
    """Won amount and quota per calendar month, and quota attainment = won / quota (NaN without a quota): the
    registry's won_amount (won deals by outcome_date) and quota (targets prorated by `selection.prorated`) by
    month, read in two small queries rather than every KPI family (tests check they agree with kpis.kpi_table).

    `owner` None: the filter's selection (the team's total against the sum of individual quotas).
    Columns: month, won_amount, quota, attainment. One row per month of `trend_months`.
    """
    today = today or today_of(con)
    sel = replace(flt, owner=owner) if owner else flt
    windows = trend_months(flt, today, months)
    cte, params = selection.deals_cte(sel)
    lo, hi = windows[0][0], windows[-1][1]
    won = con.execute(
        f"WITH {cte} SELECT CAST(date_trunc('month', outcome_date) AS DATE) AS month, sum(amount) AS won_amount"
        " FROM deals WHERE status = 'won' AND outcome_date BETWEEN ? AND ? GROUP BY 1", params + [lo, hi]
    ).fetchall()
    where, tparams = target_conditions(sel, "t")
    # the target lines that count (a rep's own line, not summed with its segment lines): measures.quota
    lines = quota_lines.targets_table("quota_amount", quota_lines.wants_segment_lines(sel))
    quota = selection.prorated(con, lines, "quota_amount", windows, where, tparams)
    won_by = {m: float(v) for m, v in won}
    quota_by = {pd.Timestamp(m).date(): float(v) for m, v in zip(quota["w_start"], quota["value"])}
    df = pd.DataFrame({"month": [w[0] for w in windows]})
    df["won_amount"] = [won_by.get(m, 0.0) for m in df["month"]]
    df["quota"] = [quota_by.get(m, float("nan")) for m in df["month"]]
    df["attainment"] = df["won_amount"].where(df["quota"] > 0) / df["quota"].where(df["quota"] > 0)
    return df


def activity_trend(con, flt: Filter, owner: str, months: int = TREND_MONTHS, today: date | None = None) -> pd.DataFrame:
    """Activities per calendar month against the plan (targets.planned_activities, prorated to the month).

    Columns: month, activities, planned (NaN where no target states a plan), ratio (activities / planned).
    """
    today = today or today_of(con)
    windows = trend_months(flt, today, months)
    sel = replace(flt, owner=owner, start=windows[0][0], end=windows[-1][1])
    where, params = activity_conditions(sel, "a")
    done = con.execute(
        f"SELECT CAST(date_trunc('month', a.date) AS DATE) AS month, count(*) AS n FROM activities a WHERE {where}"
        " GROUP BY 1", params
    ).fetchall()
    twhere, tparams = target_conditions(sel, "t")
    lines = quota_lines.targets_table("planned_activities", quota_lines.wants_segment_lines(sel))
    planned = selection.prorated(con, lines, "planned_activities", windows, twhere, tparams)
    done_by = {m: int(n) for m, n in done}
    plan_by = {pd.Timestamp(m).date(): float(v) for m, v in zip(planned["w_start"], planned["value"])}
    df = pd.DataFrame({"month": [w[0] for w in windows]})
    df["activities"] = [done_by.get(m, 0) for m in df["month"]]
    df["planned"] = [plan_by.get(m, float("nan")) for m in df["month"]]
    df["ratio"] = df["activities"].where(df["planned"] > 0) / df["planned"].where(df["planned"] > 0)
    return df


# --- gaps with the team and what explains them -----------------------------------------------------------------

def mix(con, flt: Filter, owner: str, axis: str = "segment") -> pd.DataFrame:
    """The rep's closed deals of the period per value of `axis` (MIX_AXES) beside the team's rates on it.

    Columns: value, rep_closed, rep_won, rep_won_amount, team_closed, team_won, team_won_amount, team_win_rate,
    team_basket, expected_won (rep_closed x team_win_rate), expected_amount (rep_closed x team won amount per
    closed deal = rep_closed x team_win_rate x team_basket), rep_share and team_share (the value's share of the
    rep's and of the team's closed deals).
    A rep alone on a value meets their own rates there: that value explains none of the gap.
    """
    expr = MIX_AXES[axis]
    team_cte, team_params = selection.deals_cte(reference_filter(con, flt, owner), name="team_deals")
    rep_cte, rep_params = selection.deals_cte(replace(flt, owner=owner), name="rep_deals")
    period, pparams = period_condition("d.outcome_date", flt)

    def closed(source: str) -> str:
        return (
            f"SELECT {expr} AS value, count(*) AS closed, count(*) FILTER (WHERE d.status = 'won') AS won,"
            " coalesce(sum(d.amount) FILTER (WHERE d.status = 'won'), 0) AS won_amount"
            f" FROM {source} d WHERE d.status IN ('won', 'lost') AND {period} GROUP BY 1"
        )

    sql = (
        f"WITH {team_cte}, {rep_cte}, team AS ({closed('team_deals')}), rep AS ({closed('rep_deals')})"
        " SELECT rep.value, rep.closed AS rep_closed, rep.won AS rep_won, rep.won_amount AS rep_won_amount,"
        " team.closed AS team_closed, team.won AS team_won, team.won_amount AS team_won_amount,"
        " team.won / team.closed AS team_win_rate,"
        " CASE WHEN team.won > 0 THEN team.won_amount / team.won END AS team_basket,"
        " rep.closed * team.won / team.closed AS expected_won,"
        " rep.closed * team.won_amount / team.closed AS expected_amount,"
        " rep.closed / sum(rep.closed) OVER () AS rep_share,"
        " team.closed / (SELECT sum(closed) FROM team) AS team_share"
        " FROM rep LEFT JOIN team ON team.value IS NOT DISTINCT FROM rep.value"
        " ORDER BY rep.closed DESC, rep.value"
    )
    df = con.execute(sql, team_params + rep_params + pparams + pparams).fetchdf()
    for col in ("rep_won_amount", "team_won_amount", "team_win_rate", "team_basket", "expected_won",
                "expected_amount", "rep_share", "team_share"):
        df[col] = pd.to_numeric(df[col], errors="coerce").astype("float64")
    return df


def _group_totals(con, flt: Filter) -> dict:
    """Closed deals of the period of a selection: closed, won, won_amount, and the reps who had a deal
    closed in the period or open now (the denominator of the per-rep average)."""
    cte, params = selection.deals_cte(flt)
    period, pparams = period_condition("d.outcome_date", flt)
    row = con.execute(
        f"WITH {cte} SELECT count(*) FILTER (WHERE d.status IN ('won', 'lost') AND {period}),"
        f" count(*) FILTER (WHERE d.status = 'won' AND {period}),"
        f" coalesce(sum(d.amount) FILTER (WHERE d.status = 'won' AND {period}), 0),"
        f" count(DISTINCT d.owner) FILTER (WHERE d.status = 'open' OR (d.status IN ('won', 'lost') AND {period})),"
        f" count(d.amount) FILTER (WHERE d.status = 'won' AND {period})"
        " FROM deals d", params + pparams * 5
    ).fetchall()[0]
    closed, won, won_amount, reps, won_valued = (_plain(v) for v in row)
    # won_valued: the wins that have an amount, the basket's denominator (as kpis' average_basket)
    return {"closed": closed, "won": won, "won_amount": float(won_amount), "reps": reps, "won_valued": won_valued}


def _expected(mixed: pd.DataFrame) -> dict:
    """Expected won count, amount, win rate and basket of a rep at the team's rates on the rep's mix."""
    n = float(mixed["rep_closed"].sum()) if len(mixed) else 0.0
    won = float(mixed["expected_won"].fillna(0).sum()) if len(mixed) else 0.0
    amount = float(mixed["expected_amount"].fillna(0).sum()) if len(mixed) else 0.0
    return {"won_amount": amount if n else None, "win_rate": _ratio(won, n), "average_basket": _ratio(amount, won)}


def gaps(con, flt: Filter, owner: str, mixes: dict[str, pd.DataFrame] | None = None) -> pd.DataFrame:
    """The rep against the team on revenue (won amount; the team's is its average per rep), average basket
    and win rate, each beside the rep's expected value at the team's rates on the rep's own mix of segments,
    regions and in-target deals (`mixes`: the `mix` of each axis, computed here when not given).

    Columns: metric, rep, team, gap (rep - team), expected_segment, volume_segment (the rep's number of closed
    deals against the team's per rep, at the team's won amount per closed deal; 0 on rates), explained_segment
    (expected_segment - team - volume_segment: what the segment mix accounts for), remaining_segment
    (rep - expected_segment: conversion and basket), expected_region, expected_in_target; gap = volume_segment
    + explained_segment + remaining_segment. Undefined values are NaN (no closed deal, no win).
    """
    ref = reference_filter(con, flt, owner)
    rep, team = _group_totals(con, replace(flt, owner=owner)), _group_totals(con, ref)
    values = {
        "rep": {"won_amount": rep["won_amount"], "win_rate": _ratio(rep["won"], rep["closed"]),
                "average_basket": _ratio(rep["won_amount"], rep["won_valued"])},
        "team": {"won_amount": _ratio(team["won_amount"], team["reps"]), "win_rate": _ratio(team["won"], team["closed"]),
                 "average_basket": _ratio(team["won_amount"], team["won_valued"])},
    }
    mixes = mixes or {axis: mix(con, flt, owner, axis) for axis in MIX_AXES}
    expected = {axis: _expected(mixes[axis]) for axis in MIX_AXES}
    # volume: the rep's closed deals against the team's per rep, at the team's won amount per closed deal
    per_closed = _ratio(team["won_amount"], team["closed"])
    per_rep = _ratio(team["closed"], team["reps"])
    volume = {"won_amount": None if per_closed is None or per_rep is None else (rep["closed"] - per_rep) * per_closed,
              "win_rate": 0.0, "average_basket": 0.0}
    rows = []
    for metric in GAP_METRICS:
        r, t, e = values["rep"][metric], values["team"][metric], expected["segment"][metric]
        v = volume[metric] if e is not None and t is not None else None
        rows.append({
            "metric": metric, "rep": r, "team": t,
            "gap": None if r is None or t is None else r - t,
            "expected_segment": e,
            "volume_segment": v,
            "explained_segment": None if e is None or t is None or v is None else e - t - v,
            "remaining_segment": None if e is None or r is None else r - e,
            "expected_region": expected["region"][metric],
            "expected_in_target": expected["in_target"][metric],
        })
    df = pd.DataFrame(rows)
    for col in df.columns[1:]:
        df[col] = pd.to_numeric(df[col], errors="coerce").astype("float64")
    return df


def context(con, flt: Filter, owner: str, today: date | None = None) -> dict:
    """What can explain a gap besides the mix: region, seniority (days since hire_date, against the team's
    median), share of the rep's closed deals of the period that were in the target (against the team's).

    Keys: owner, team, region, hire_date, seniority_days, team_median_seniority_days, new_rep (hired less than
    NEW_REP_DAYS ago), in_target_share, team_in_target_share, team_reps.
    """
    today = today or today_of(con)
    profile = rep_profile(con, owner)
    ref = reference_filter(con, flt, owner)
    team_cte, tparams = selection.deals_cte(ref)
    period, pparams = period_condition("d.outcome_date", flt)
    seniority = con.execute(
        f"WITH {team_cte} SELECT median(date_diff('day', r.hire_date, CAST(? AS DATE))), count(*)"
        f" FROM {selection.REPS_ONE} r WHERE r.owner IN (SELECT owner FROM deals) AND r.hire_date IS NOT NULL",
        tparams + [today],
    ).fetchall()[0]

    def share(flt_: Filter) -> float | None:
        cte, params = selection.deals_cte(flt_)
        row = con.execute(
            f"WITH {cte} SELECT count(*) FILTER (WHERE d.in_target), count(d.in_target) FROM deals d"
            f" WHERE d.status IN ('won', 'lost') AND {period}", params + pparams
        ).fetchall()[0]
        return _ratio(row[0], row[1])

    hire = profile["hire_date"]
    days = (today - hire).days if hire is not None else None
    return {
        "owner": owner, "team": ref.team, "region": profile["region"], "hire_date": hire,
        "seniority_days": days, "team_median_seniority_days": _plain(seniority[0]),
        "new_rep": days is not None and days < NEW_REP_DAYS,
        "in_target_share": share(replace(flt, owner=owner)), "team_in_target_share": share(ref),
        "team_reps": _group_totals(con, ref)["reps"],
    }


# --- the open deals to work on first -----------------------------------------------------------------------------

def amount_cuts(con, flt: Filter) -> pd.DataFrame:
    """Open deals (latest upload) whose amount is lower than at the deal's previous upload (the snapshot timeline,
    analytics/timeline.py: not the first upload ever, so a deal re-quoted up then cut is seen; compared in the
    export's currency when both uploads give the same one, so that a fall of the exchange rate is no cut).
    Columns: opportunity_id, amount_before (the previous upload's amount, in the workspace's currency)."""
    latest = selection.latest_snapshot_id(con)
    if latest is None:
        return pd.DataFrame(columns=["opportunity_id", "amount_before"])
    cte, params = selection.deals_cte(replace(flt, start=None, end=None), latest, "open_now")
    tl, p_tl = timeline.timeline_cte(upto=latest, deals="open_now")
    return con.execute(
        f"WITH {cte}, {tl} SELECT t.opportunity_id, t.prev_amount AS amount_before FROM timeline t"
        f" SEMI JOIN open_now d ON d.opportunity_id = t.opportunity_id AND d.status = 'open'"
        f" WHERE t.snapshot_id = ? AND t.prev_snapshot_id IS NOT NULL AND {timeline.AMOUNT_CUT}",
        params + p_tl + [latest]).fetchdf()


def stage_entered(con, flt: Filter) -> pd.DataFrame:
    """When each open deal entered its current stage: its ongoing stay (analytics.measures.stays: stage history when
    given, else the first of the uploads in a row that show the stage). Columns: opportunity_id, entered."""
    # an ongoing stay is an open deal's: the other deals' history is never read
    cte, params = stays.stays_cte(replace(flt, start=None, end=None), where="r.status = 'open'")
    return con.execute(f"WITH {cte} SELECT opportunity_id, max(entered) AS entered FROM stays WHERE ongoing"
                       " GROUP BY opportunity_id", params).fetchdf()


def deals_to_work(con, flt: Filter, owner: str | None = None, today: date | None = None) -> pd.DataFrame:
    """The rep's open deals (latest snapshot) ranked by SCORE, highest first.

    Age in stage: days since the deal entered its current stage (`stage_entered`, analytics.measures.stays); slips:
    analytics.views.movement.slip_counts (the close date moved later between two uploads); amount cut: lower than at
    the deal's previous upload (`amount_cuts`, the snapshot timeline). Columns: opportunity_id, name, account, stage, amount, probability, weighted, close_date,
    days_in_stage, close_date_passed, slips, amount_before, then one column of points per SCORE component
    (points_<component>) and score.
    """
    today = today or today_of(con)
    sel = replace(flt, owner=owner) if owner else flt
    cte, params = selection.deals_cte(sel)
    df = con.execute(
        f"WITH {cte} SELECT opportunity_id, name, account, owner, stage, amount, probability,"
        " amount * probability AS weighted, close_date, created_date FROM deals WHERE status = 'open'", params
    ).fetchdf()
    columns = ["opportunity_id", "name", "account", "owner", "stage", "amount", "probability", "weighted",
               "close_date", "days_in_stage", "close_date_passed", "slips", "amount_before",
               *[f"points_{k}" for k in SCORE], "score"]
    if df.empty:
        return pd.DataFrame(columns=columns)
    slips = movement.slip_counts(con, sel)[["opportunity_id", "slips"]]
    df = (df.merge(slips, on="opportunity_id", how="left")
          .merge(stage_entered(con, sel), on="opportunity_id", how="left")
          .merge(amount_cuts(con, sel), on="opportunity_id", how="left"))
    since = pd.to_datetime(df["entered"]).fillna(pd.to_datetime(df["created_date"]))
    df["days_in_stage"] = (pd.Timestamp(today) - since).dt.days.clip(lower=0)
    close = pd.to_datetime(df["close_date"])
    df["close_date_passed"] = (close < pd.Timestamp(today)).fillna(False).astype(bool)
    df["slips"] = pd.to_numeric(df["slips"], errors="coerce").fillna(0).astype("int64")
    for col in ("amount", "weighted", "amount_before", "probability"):
        df[col] = pd.to_numeric(df[col], errors="coerce").astype("float64")
    top = df["weighted"].max()
    df["points_weighted_value"] = SCORE["weighted_value"] * (df["weighted"] / top if top and top > 0 else 0.0)
    df["points_age_in_stage"] = SCORE["age_in_stage"] * (df["days_in_stage"] / AGE_FULL_DAYS).clip(upper=1.0)
    df["points_close_date_passed"] = SCORE["close_date_passed"] * df["close_date_passed"].astype(float)
    df["points_slipped_twice"] = SCORE["slipped_twice"] * (df["slips"] > 1).astype(float)
    df["points_amount_cut"] = SCORE["amount_cut"] * df["amount_before"].notna().astype(float)  # cut: amount_cuts
    points = [f"points_{k}" for k in SCORE]
    df[points] = df[points].fillna(0.0).astype("float64")
    df["score"] = df[points].sum(axis=1)
    df = df.sort_values(["score", "weighted", "opportunity_id"], ascending=[False, False, True])
    return df[columns].reset_index(drop=True)


# --- funnel and forecast reliability (analytics.views.funnel, analytics.views.forecast) ---------------------------------------

def _with_won(reps: pd.DataFrame) -> pd.DataFrame:
    """funnel.rep_comparison's rows plus each rep's won stage (rep_comparison leaves it out): the reached count of
    won is the last conversion's numerator, reached(negotiation) x conversion_next."""
    last = reps[reps["stage"] == funnel.FUNNEL_STAGES[-2]]
    won = last.assign(stage=funnel.FUNNEL_STAGES[-1], stage_order=last["stage_order"] + 1,
                      reached=(last["reached"] * last["conversion_next"].fillna(0)).round().astype("int64"),
                      conversion_next=float("nan"), team_median=float("nan"), far_below=False)
    return pd.concat([reps, won], ignore_index=True)


def funnel_against_team(con, flt: Filter, owner: str) -> pd.DataFrame:
    """The rep's funnel beside the team's, on the deals closed in the period (analytics.views.funnel, basis
    FUNNEL_BASIS), from one reached computation: funnel.rep_comparison of the team, the team's counts being the
    sums of its reps'. Columns: stage, stage_order, rep_reached, rep_conversion (to the next stage),
    rep_from_start (reached / reached lead), team_reached, team_conversion, team_from_start, team_median (the
    median rep's conversion), far_below (funnel's rule: a third under the median with enough deals)."""
    ref = reference_filter(con, flt, owner)
    reps = _with_won(funnel.rep_comparison(con, ref, FUNNEL_BASIS))
    team = reps.groupby(["stage", "stage_order"], as_index=False)["reached"].sum().sort_values("stage_order")
    medians = reps.drop_duplicates("stage").set_index("stage")["team_median"]
    rep = reps[reps["owner"] == owner].set_index("stage")
    df = pd.DataFrame({"stage": funnel.FUNNEL_STAGES, "stage_order": range(1, len(funnel.FUNNEL_STAGES) + 1)})
    df["rep_reached"] = df["stage"].map(rep["reached"]).fillna(0).astype("int64")
    df["rep_conversion"] = (df["rep_reached"].shift(-1) / df["rep_reached"].where(df["rep_reached"] > 0))
    df["team_reached"] = df["stage"].map(team.set_index("stage")["reached"]).fillna(0).astype("int64")
    df["team_conversion"] = (df["team_reached"].shift(-1) / df["team_reached"].where(df["team_reached"] > 0))
    for who in ("rep", "team"):
        lead = df[f"{who}_reached"].iloc[0]
        df[f"{who}_from_start"] = df[f"{who}_reached"] / lead if lead else float("nan")
    df["team_median"] = df["stage"].map(medians).astype("float64")
    df["far_below"] = df["stage"].map(rep["far_below"]).astype(object).eq(True)  # no row for the rep: False
    cols = ["stage", "stage_order", "rep_reached", "rep_conversion", "rep_from_start", "team_reached",
            "team_conversion", "team_from_start", "team_median", "far_below"]
    return df[cols]


def forecast_of(con, flt: Filter, owner: str) -> dict:
    """The rep's forecast reliability beside the team's (analytics.views.forecast.reliability on the rep's team):
    {method, base_date, latest_date, reason, min_deals, rep: {...} or None, team: {...}}."""
    result = forecast.reliability(con, reference_filter(con, flt, owner))
    rep = next((r for r in result.get("reps", []) if r.get("owner") == owner), None)
    return {k: v for k, v in result.items() if k != "reps"} | {"rep": rep}


# --- the individual review, whole ----------------------------------------------------------------------------

def headline(con, flt: Filter, owner: str | None = None) -> dict:
    """The flash KPIs of the rep (or of the selection) that the review puts on top (analytics.measures.kpis)."""
    sel = replace(flt, owner=owner) if owner else flt
    values = kpis.flash_kpis(con, sel)
    keys = ("won_amount", "won_count", "lost_count", "win_rate", "average_basket", "quota", "quota_attainment",
            "remaining_quota", "open_amount", "weighted_pipeline", "open_amount_in_period", "weighted_in_period",
            "coverage_raw", "coverage_weighted", "needs")
    return {k: values.get(k) for k in keys}


def summary(head: dict, gap: pd.DataFrame, ctx: dict, work: pd.DataFrame, activity: pd.DataFrame,
            forecast_: dict | None = None) -> list[dict]:
    """The three things to discuss, each {"key": a strings key "review.summary.*", "values": {name: value},
    "kinds": {name: money|rate|points|count|cover|month|text}}: sentences are templates filled with these numbers only.

    Candidates, in this order, the first three that apply are kept:
    1. quota: attainment and coverage of what is left (or "no quota" with the won amount and the pipeline);
    2. the largest relative gap below the team (revenue, basket or win rate), beside the rep's expected value
       at the team's rates on the rep's own segments;
    3. in-target share 10 points or more below the team's;
    4. announced probabilities at least 10 points more optimistic than the team's (analytics.views.forecast);
    5. open deals whose close date has passed (count, amount) and the first deal to work on;
    6. activities of the last complete month below 80 % of the plan;
    7. a new rep (seniority below NEW_REP_DAYS).
    """
    items = []
    if head.get("quota") is not None and head["quota"] > 0:
        if head.get("coverage_raw") is not None:
            items.append({"key": "review.summary.quota_coverage", "values": {
                "attainment": head["quota_attainment"], "quota": head["quota"], "won": head["won_amount"],
                "remaining": head["remaining_quota"], "coverage_raw": head["coverage_raw"],
                "coverage_weighted": head["coverage_weighted"]},
                "kinds": {"attainment": "rate", "quota": "money", "won": "money", "remaining": "money",
                          "coverage_raw": "cover", "coverage_weighted": "cover"}})
        else:
            items.append({"key": "review.summary.quota_reached", "values": {
                "attainment": head["quota_attainment"], "quota": head["quota"], "won": head["won_amount"]},
                "kinds": {"attainment": "rate", "quota": "money", "won": "money"}})
    else:
        items.append({"key": "review.summary.no_quota", "values": {
            "won": head.get("won_amount"), "pipeline": head.get("open_amount_in_period")},
            "kinds": {"won": "money", "pipeline": "money"}})
    below = gap[(gap["gap"] < 0) & gap["team"].notna() & (gap["team"] != 0)].copy()
    if len(below):
        below["relative"] = below["gap"] / below["team"].abs()
        row = below.sort_values("relative").iloc[0]
        kind = "rate" if row["metric"] == "win_rate" else "money"
        items.append({"key": f"review.summary.gap_{row['metric']}", "values": {
            "rep": row["rep"], "team": row["team"], "expected": row["expected_segment"]},
            "kinds": {"rep": kind, "team": kind, "expected": kind}})
    share, team_share = ctx.get("in_target_share"), ctx.get("team_in_target_share")
    if share is not None and team_share is not None and team_share - share >= 0.10:
        items.append({"key": "review.summary.in_target", "values": {"share": share, "team_share": team_share},
                      "kinds": {"share": "rate", "team_share": "rate"}})
    rep_fc, team_fc = (forecast_ or {}).get("rep") or {}, (forecast_ or {}).get("team") or {}
    if rep_fc.get("optimism") is not None and team_fc.get("optimism") is not None \
            and rep_fc["optimism"] - team_fc["optimism"] >= 0.10:
        items.append({"key": "review.summary.optimism", "values": {
            "announced": rep_fc["mean_probability"], "won": rep_fc["win_rate"], "deals": rep_fc["deals"],
            "team_optimism": team_fc["optimism"]},
            "kinds": {"announced": "rate", "won": "rate", "deals": "count", "team_optimism": "points"}})
    late = work[work["close_date_passed"]] if len(work) else work
    if len(late):
        first = work.iloc[0]
        items.append({"key": "review.summary.late_deals", "values": {
            "count": len(late), "amount": float(late["amount"].sum()), "first": first["name"] or first["opportunity_id"],
            "score": first["score"]}, "kinds": {"count": "count", "amount": "money", "first": "text", "score": "count"}})
    complete = activity[activity["planned"].notna()].iloc[:-1] if len(activity) else activity
    if len(complete) and complete["ratio"].iloc[-1] < 0.8:
        last = complete.iloc[-1]
        items.append({"key": "review.summary.activity", "values": {
            "done": int(last["activities"]), "planned": float(last["planned"]), "month": last["month"]},
            "kinds": {"done": "count", "planned": "count", "month": "month"}})
    if ctx.get("new_rep"):
        items.append({"key": "review.summary.new_rep", "values": {"days": ctx["seniority_days"]},
                      "kinds": {"days": "count"}})
    return items[:3]


def individual(con, flt: Filter, owner: str, today: date | None = None) -> dict:
    """Everything the individual review shows of `owner` for the filter's period (the page and the CLI):
    headline, context, attainment_trend, team_attainment_trend, activity_trend, mix (per axis), gaps,
    deals_to_work, funnel, forecast, summary."""
    today = today or today_of(con)
    available = store.available_tables(con)
    head = headline(con, flt, owner)
    ctx = context(con, flt, owner, today)
    mixes = {axis: mix(con, flt, owner, axis) for axis in MIX_AXES}
    gap = gaps(con, flt, owner, mixes)
    work = deals_to_work(con, flt, owner, today)
    activity = activity_trend(con, flt, owner, today=today) if "activities" in available else None
    reliability = forecast_of(con, flt, owner)
    return {
        "owner": owner,
        "today": today,
        "headline": head,
        "context": ctx,
        "attainment_trend": attainment_trend(con, flt, owner, today=today),
        "team_attainment_trend": attainment_trend(con, reference_filter(con, flt, owner), today=today),
        "activity_trend": activity,
        "mix": mixes,
        "gaps": gap,
        "deals_to_work": work,
        "funnel": funnel_against_team(con, flt, owner),
        "forecast": reliability,
        "summary": summary(head, gap, ctx, work, activity if activity is not None else pd.DataFrame(
            columns=["month", "activities", "planned", "ratio"]), reliability),
    }


# --- the collective review -----------------------------------------------------------------------------------

def wins(con, flt: Filter) -> pd.DataFrame:
    """Deals won in the period, largest first. Columns: opportunity_id, name, account, owner, segment, amount,
    outcome_date, cycle_days (outcome - creation)."""
    cte, params = selection.deals_cte(flt)
    period, pparams = period_condition("d.outcome_date", flt)
    return con.execute(
        f"WITH {cte} SELECT d.opportunity_id, d.name, d.account, d.owner, d.segment, d.amount, d.outcome_date,"
        " date_diff('day', d.created_date, d.outcome_date) AS cycle_days"
        f" FROM deals d WHERE d.status = 'won' AND {period} ORDER BY d.amount DESC, d.opportunity_id",
        params + pparams,
    ).fetchdf()


def losses_by_reason(con, flt: Filter) -> pd.DataFrame:
    """Deals lost in the period grouped by lost_reason (NULL: no reason given), most lost amount first.
    Columns: lost_reason, lost_count, lost_amount, share (of the lost count), stage_orders (mean stage order
    where they were lost: a late loss costs more work)."""
    cte, params = selection.deals_cte(flt)
    period, pparams = period_condition("d.outcome_date", flt)
    return con.execute(
        f"WITH {cte} SELECT d.lost_reason, count(*) AS lost_count, sum(d.amount) AS lost_amount,"
        " count(*) / sum(count(*)) OVER () AS share"
        f" FROM deals d WHERE d.status = 'lost' AND {period} GROUP BY 1"
        " ORDER BY lost_amount DESC NULLS LAST, lost_count DESC, d.lost_reason", params + pparams,
    ).fetchdf()


def losses(con, flt: Filter) -> pd.DataFrame:
    """Deals lost in the period, largest first. Columns: opportunity_id, name, account, owner, segment, stage
    (where it was lost), lost_reason, amount, outcome_date."""
    cte, params = selection.deals_cte(flt)
    period, pparams = period_condition("d.outcome_date", flt)
    return con.execute(
        f"WITH {cte} SELECT d.opportunity_id, d.name, d.account, d.owner, d.segment, d.stage, d.lost_reason,"
        f" d.amount, d.outcome_date FROM deals d WHERE d.status = 'lost' AND {period}"
        " ORDER BY d.amount DESC, d.opportunity_id", params + pparams,
    ).fetchdf()


def rep_kpis(con, flt: Filter) -> pd.DataFrame:
    """One row per rep (owner) with the registry's KPIs (analytics.measures.kpis.kpi_table by owner)."""
    df = kpis.kpi_table(con, replace(flt, owner=None), "owner").rename(columns={"key": "owner"})
    return df[df["owner"].notna()].reset_index(drop=True)


def spread(con, flt: Filter) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The spread between reps on each KPI of SPREAD_KPIS, as a distribution (no ranking).

    Returns (values, summary): values has one row per rep and KPI (kpi, owner, value; a rep without a value,
    e.g. no quota, is left out of that KPI); summary one row per KPI: kpi, reps, min, q1, median, q3, max
    (quartiles by linear interpolation), spread_ratio (max / min when min > 0).
    """
    df = rep_kpis(con, flt)
    long = df.melt(id_vars="owner", value_vars=list(SPREAD_KPIS), var_name="kpi", value_name="value")
    long["value"] = pd.to_numeric(long["value"], errors="coerce").astype("float64")
    long = long.dropna(subset=["value"]).reset_index(drop=True)
    rows = []
    for kpi in SPREAD_KPIS:
        v = long.loc[long["kpi"] == kpi, "value"]
        if v.empty:
            rows.append({"kpi": kpi, "reps": 0})
            continue
        lo, hi = float(v.min()), float(v.max())
        rows.append({"kpi": kpi, "reps": int(len(v)), "min": lo, "q1": float(v.quantile(0.25)),
                     "median": float(v.median()), "q3": float(v.quantile(0.75)), "max": hi,
                     "spread_ratio": hi / lo if lo > 0 else None})
    summary_df = pd.DataFrame(rows, columns=["kpi", "reps", "min", "q1", "median", "q3", "max", "spread_ratio"])
    for col in summary_df.columns[2:]:
        summary_df[col] = pd.to_numeric(summary_df[col], errors="coerce").astype("float64")
    return long, summary_df


def best_converters(con, flt: Filter, min_closed: int = MIN_CLOSED_BEST) -> pd.DataFrame:
    """Per segment, the rep with the highest win rate among those with at least `min_closed` deals closed in
    that segment in the period (ties: more wins, then name). A segment where no rep qualifies shows no rep.

    Columns: segment, owner, closed, won, win_rate, team_win_rate (the segment's, every rep), qualified (reps
    with enough deals), min_closed.
    """
    cte, params = selection.deals_cte(replace(flt, owner=None))
    period, pparams = period_condition("d.outcome_date", flt)
    sql = (
        f"WITH {cte}, c AS (SELECT d.segment, d.owner, count(*) AS closed,"
        "  count(*) FILTER (WHERE d.status = 'won') AS won"
        f"  FROM deals d WHERE d.status IN ('won', 'lost') AND {period} GROUP BY 1, 2),"
        " seg AS (SELECT segment, sum(won) / sum(closed) AS team_win_rate,"
        "  count(*) FILTER (WHERE closed >= ?) AS qualified FROM c GROUP BY 1),"
        " best AS (SELECT segment, owner, closed, won, won / closed AS win_rate FROM c WHERE closed >= ?"
        "  QUALIFY row_number() OVER (PARTITION BY segment ORDER BY won / closed DESC, won DESC, owner) = 1)"
        " SELECT seg.segment, best.owner, best.closed, best.won, best.win_rate, seg.team_win_rate, seg.qualified,"
        " CAST(? AS INTEGER) AS min_closed"
        " FROM seg LEFT JOIN best ON best.segment IS NOT DISTINCT FROM seg.segment"
        " ORDER BY seg.segment NULLS LAST"
    )
    df = con.execute(sql, params + pparams + [min_closed, min_closed, min_closed]).fetchdf()
    for col in ("win_rate", "team_win_rate"):
        df[col] = pd.to_numeric(df[col], errors="coerce").astype("float64")
    return df


def collective(con, flt: Filter, today: date | None = None) -> dict:
    """Everything the collective review shows for the filter's selection (the owner filter is left out: the
    review is the team's): headline (team total against the sum of individual quotas), attainment_trend,
    wins, losses_by_reason, losses, spread, spread_summary, best_converters, movement (this week's)."""
    today = today or today_of(con)
    team = replace(flt, owner=None)
    values, summary_df = spread(con, team)
    return {
        "today": today,
        "headline": headline(con, team),
        "attainment_trend": attainment_trend(con, team, today=today),
        "wins": wins(con, team),
        "losses_by_reason": losses_by_reason(con, team),
        "losses": losses(con, team),
        "spread": values,
        "spread_summary": summary_df,
        "best_converters": best_converters(con, team),
        "movement": week_movement(con, team),
    }


def week_movement(con, flt: Filter) -> dict:
    """This week's pipeline movement: analytics.views.movement between the last two uploads, for the filter's
    dimensions (not its owner: the team's). {a_date, b_date, waterfall: [{step, amount}], counts: [{change,
    count, amount}] for MOVEMENT_COUNTS, largest: the steps that moved the most}; {error, params} when there
    are fewer than two uploads."""
    try:
        a_id, b_id = movement.resolve_pair(con)
    except movement.MovementError as problem:
        return {"error": problem.key, "params": problem.params}
    moved = movement.movement_summary(con, replace(flt, owner=None), a_id, b_id)
    counts = [{"change": c, "count": moved[f"{c}_count"],
               "amount": float(moved["amount_change" if c == "amount_changed" else f"{c}_amount"])
               if ("amount_change" if c == "amount_changed" else f"{c}_amount") in moved else None}
              for c in MOVEMENT_COUNTS]
    return {"a_date": moved["a_date"], "b_date": moved["b_date"],
            "waterfall": [{"step": w["step"], "amount": float(w["amount"])} for w in moved["waterfall"]],
            "counts": counts,
            "largest": [dict(m, amount=float(m["amount"])) for m in movement.largest_movements(moved)]}
