"""Segments page figures at 1 000 000 opportunities and 5 000 000 activities: the project's analytics (SQL in DuckDB,
on the workspace file) against an idiomatic pandas implementation of the same definitions written here, on DataFrames
already in memory (their loading is not timed: the comparison favours pandas). Both must give the same numbers.
Goal: >= 5x faster, identical numbers. The page's render time is measured by bench_render.py (every page of app.py).

What is compared: what the page computes for its default view (the sidebar's current month, axis segment):
`segments.segment_view` without the account tiers (the page computes those on demand) and `segments.sources`.
"""
from __future__ import annotations

from pathlib import Path

import common  # noqa: F401  (puts the repo on sys.path)
from common import Result, best_time, log, peak_rss_mb, run_on_workspace

import duckdb
import numpy as np
import pandas as pd

from bench_kpis import View, _ts, default_view, differences, in_period
from analytics.views import segments
from analytics.filters import Filter

GOAL = 5.0
# README "Definitions": meetings = activities of type meeting, video meeting or demo (a demo is a meeting)
MEETING_TYPES = ("meeting", "video meeting", "demo")
KINDS = {"call": "calls", "email": "emails", "demo": "demos"}  # the per-type counts the table shows


# --- the frames pandas works on (loaded once, untimed) -----------------------------------------------------------

def load_frames(con) -> dict[str, pd.DataFrame]:
    q = lambda sql: con.execute(sql).fetchdf()  # noqa: E731
    return {
        "opp": q("SELECT * FROM opportunities_current"),
        "activities": q("SELECT * FROM activities"),
        "reps": q("SELECT * FROM reps"),
        "targets": q("SELECT * FROM targets"),
        "marketing": q("SELECT * FROM marketing_spend"),
    }


# --- pandas: the same definitions --------------------------------------------------------------------------------

def _reps_one(reps: pd.DataFrame) -> pd.DataFrame:
    return reps.groupby("owner").agg(team=("team", "max"), region=("region", "max"),
                                     hourly_cost=("hourly_cost", "max"))


def _deals(f: dict, flt: Filter) -> pd.DataFrame:
    """The selection's deals: team from the reps, region the owner's in the reps else the deal's own, outcome
    date on closed deals."""
    o = f["opp"]
    r = _reps_one(f["reps"])
    o = o.assign(team=o["owner"].map(r["team"]), region=o["owner"].map(r["region"]).fillna(o["region"]),
                 outcome_date=o["closed_date"].fillna(o["close_date"]).where(o["status"].isin(["won", "lost"])))
    for column in ("team", "owner", "segment", "region", "source"):
        if getattr(flt, column) is not None:
            o = o[o[column] == getattr(flt, column)]
    return o


def _first_wins(f: dict, flt: Filter) -> pd.Series:
    """The opportunity of each account's first win ever, for the accounts whose first win is in the period."""
    o = f["opp"]
    won = o[(o["status"] == "won") & o["account"].notna()]
    won = won.assign(day=won["closed_date"].fillna(won["close_date"]))
    won = won[won["day"].notna()].sort_values(["account", "day", "opportunity_id"])
    first = won.drop_duplicates("account")
    return first.loc[in_period(first["day"], flt), "opportunity_id"]


def pandas_results(f: dict, flt: Filter, axis: str) -> pd.DataFrame:
    d = _deals(f, flt)
    closed = in_period(d["outcome_date"], flt)
    won, lost = closed & (d["status"] == "won"), closed & (d["status"] == "lost")
    firsts = _first_wins(f, flt)
    # the won deals of the accounts that are new customers in the period (their first win ever is in it)
    new_won = won & d["account"].isin(set(f["opp"].loc[f["opp"]["opportunity_id"].isin(firsts), "account"]))
    parts = pd.DataFrame({
        "owner": d["owner"], "value": d[axis],
        "won_count": won.astype("int64"), "won_amount": d["amount"].where(won, 0.0),
        "won_valued": (won & d["amount"].notna()).astype("int64"),
        "margin": d["margin"].where(won, 0.0).fillna(0.0),
        "won_without_margin": (won & d["margin"].isna()).astype("int64"),
        "new_customer_margin": d["margin"].where(new_won, 0.0).fillna(0.0),
        "new_customer_without_margin": (new_won & d["margin"].isna()).astype("int64"),
        "lost_count": lost.astype("int64"), "lost_amount": d["amount"].where(lost, 0.0),
        "created_count": in_period(d["created_date"], flt).astype("int64"),
        "new_customers": d["opportunity_id"].isin(firsts).astype("int64"),
    })
    return parts.groupby(["owner", "value"], dropna=False, sort=False).sum().reset_index()


def _latest(o: pd.DataFrame, column: str) -> pd.Series:
    """Per account, `column` of its latest deal (by created date, then id) that states one."""
    x = o[o["account"].notna() & o[column].notna()].sort_values(["account", "created_date", "opportunity_id"])
    return x.drop_duplicates("account", keep="last").set_index("account")[column]


def pandas_effort(f: dict, flt: Filter, axis: str) -> pd.DataFrame:
    a = f["activities"]
    a = a[in_period(a["date"], flt)]
    o = f["opp"].set_index("opportunity_id")
    r = _reps_one(f["reps"])
    deal = a["opportunity_id"].map(o["account"])
    account = a["account"].fillna(deal)
    value = a["opportunity_id"].map(o[axis]).fillna(account.map(_latest(f["opp"], axis)))
    if axis == "segment":
        value = a["segment"].fillna(value)
    minutes = a["duration_minutes"].astype("float64")
    hourly = a["owner"].map(r["hourly_cost"]).astype("float64")
    kinds = {name: (a["type"] == t).astype("int64") for t, name in KINDS.items()}
    parts = pd.DataFrame({
        "owner": a["owner"], "value": value, "activities": np.ones(len(a), dtype="int64"), **kinds,
        "meetings": a["type"].isin(MEETING_TYPES).astype("int64"),
        "activity_hours": minutes / 60.0, "time_cost": minutes / 60.0 * hourly,
        "uncosted_hours": (minutes / 60.0).where(hourly.isna(), 0.0).fillna(0.0),
    })
    g = parts.groupby(["owner", "value"], dropna=False, sort=False)
    out = g.sum()
    for col in ("activity_hours", "time_cost"):
        out[col] = g[col].sum(min_count=1)
    return out.reset_index()


def _prorated(df: pd.DataFrame, value: str, flt: Filter, by: str) -> pd.Series:
    t = df[df[value].notna() & df["period_start"].notna() & df["period_end"].notna()]
    lo = t["period_start"].clip(lower=_ts(flt.start)) if flt.start else t["period_start"]
    hi = t["period_end"].clip(upper=_ts(flt.end)) if flt.end else t["period_end"]
    keep = lo <= hi
    share = ((hi - lo).dt.days + 1) / ((t["period_end"] - t["period_start"]).dt.days + 1)
    return (t[value].astype("float64") * share)[keep].groupby(t.loc[keep, by], dropna=False).sum()


def _ratio(num, den):
    num, den = pd.Series(num, dtype="float64"), pd.Series(den, dtype="float64")
    return num.where(den > 0) / den.where(den > 0)


def pandas_segment_view(f: dict, flt: Filter, axis: str = "segment") -> dict:
    res, eff = pandas_results(f, flt, axis), pandas_effort(f, flt, axis)
    table = res.drop(columns="owner").groupby("value", dropna=False, sort=False).sum().merge(
        eff.drop(columns="owner").groupby("value", dropna=False, sort=False).sum(min_count=1),
        left_index=True, right_index=True, how="outer").reset_index()
    spend = _prorated(f["marketing"], "amount", flt, "segment")
    planned = _prorated(f["targets"], "planned_activities", flt, "segment")
    # a value only spend or plans name still gets its row (the unattributed one for those without a segment)
    extra = [v for v in list(spend.index) + list(planned.index)
             if not (table["value"].isna().any() if pd.isna(v) else (table["value"] == v).any())]
    extra = list(dict.fromkeys(None if pd.isna(v) else v for v in extra))
    if extra:
        table = pd.concat([table, pd.DataFrame({"value": extra})], ignore_index=True)
    for col in ("created_count", "won_count", "won_valued", "lost_count", "won_without_margin", "new_customers",
                "new_customer_without_margin", "won_amount", "lost_amount", "margin", "new_customer_margin", "activities", "calls", "emails", "meetings", "demos", "uncosted_hours",
                "activity_hours", "time_cost"):
        table[col] = table[col].astype("float64").fillna(0.0)
    table["marketing_spend"] = table["value"].map(lambda v: spend.get(v, 0.0) if v == v and v is not None
                                                  else spend[spend.index.isna()].sum())
    table["planned_activities"] = table["value"].map(lambda v: planned.get(v, 0.0) if v == v and v is not None
                                                     else planned[planned.index.isna()].sum())
    t = table
    # unknown, never counted as 0: a margin with a won deal without margin, a cost with uncosted hours
    t.loc[t["won_without_margin"] > 0, "margin"] = np.nan
    t.loc[t["new_customer_without_margin"] > 0, "new_customer_margin"] = np.nan
    t.loc[t["uncosted_hours"] > 0, "time_cost"] = np.nan
    t["win_rate"] = _ratio(t["won_count"], t["won_count"] + t["lost_count"])
    t["average_basket"] = _ratio(t["won_amount"], t["won_valued"])  # the won deals that have an amount
    t["margin_per_customer"] = _ratio(t["new_customer_margin"], t["new_customers"])
    t["acquisition_spend"] = t["marketing_spend"] + t["time_cost"]
    t["acquisition_cost"] = _ratio(t["acquisition_spend"], t["new_customers"])
    t["contribution"] = t["new_customer_margin"] - t["acquisition_spend"]
    t["activities_vs_plan"] = _ratio(t["activities"], t["planned_activities"])
    t["meetings_per_win"] = _ratio(t["meetings"], t["won_count"])
    t["hours_per_win"] = _ratio(t["activity_hours"], t["won_count"])
    for share, col in (("effort_share", "activity_hours"), ("revenue_share", "won_amount"),
                       ("margin_share", "margin"), ("marketing_share", "marketing_spend")):
        t[share] = _ratio(t[col], pd.Series(t[col].sum(), index=t.index))
    t["none"] = t["value"].isna()
    t = t.sort_values(["none", "won_amount", "value"], ascending=[True, False, True])
    t = t[segments.COLUMNS].reset_index(drop=True)

    reps = res[["owner", "value", "won_count"]].merge(eff[["owner", "value", "meetings", "activity_hours"]],
                                                      on=["owner", "value"], how="outer")
    reps = reps[(reps["won_count"] > 0) | reps["meetings"].notna()]
    reps = reps.assign(won_count=reps["won_count"].fillna(0).astype("int64"),
                       meetings=reps["meetings"].fillna(0).astype("int64"))
    reps["meetings_per_win"] = _ratio(reps["meetings"], reps["won_count"]).to_numpy()
    reps["hours_per_win"] = _ratio(reps["activity_hours"], reps["won_count"]).to_numpy()
    reps["is_median"] = False
    med = reps.groupby("value", dropna=False, sort=False).agg(
        won_count=("won_count", "sum"), meetings=("meetings", "sum"),
        activity_hours=("activity_hours", lambda s: s.sum(min_count=1)),
        meetings_per_win=("meetings_per_win", "median"), hours_per_win=("hours_per_win", "median"),
    ).reset_index().assign(owner=None, is_median=True)
    reps = pd.concat([reps, med[reps.columns]], ignore_index=True)
    reps["none"] = reps["value"].isna()
    reps = reps.sort_values(["is_median", "owner", "none", "value"], na_position="last")
    reps = reps[["owner", "value", "won_count", "meetings", "activity_hours", "meetings_per_win", "hours_per_win",
                 "is_median"]].reset_index(drop=True)
    return {"table": t, "reps": reps}


def pandas_sources(f: dict, flt: Filter) -> pd.DataFrame:
    d = _deals(f, flt)
    d = d[in_period(d["created_date"], flt)]
    won, lost = d["status"] == "won", d["status"] == "lost"
    parts = pd.DataFrame({"source": d["source"], "created_count": 1, "won_count": won.astype("int64"),
                          "lost_count": lost.astype("int64"), "open_count": (d["status"] == "open").astype("int64"),
                          "won_amount": d["amount"].where(won, 0.0),
                          "in_target": (d["in_target"] == True).astype("int64"),  # noqa: E712
                          "said": d["in_target"].notna().astype("int64")})
    g = parts.groupby("source", dropna=False).sum().reset_index()
    g["conversion"] = g["won_count"] / g["created_count"]
    g["win_rate"] = _ratio(g["won_count"], g["won_count"] + g["lost_count"])
    g["in_target_share"] = _ratio(g["in_target"], g["said"])
    g = g.sort_values(["created_count", "source"], ascending=[False, True], na_position="last")
    return g[["source", "created_count", "won_count", "lost_count", "open_count", "conversion", "win_rate",
              "won_amount", "in_target_share"]].reset_index(drop=True)


# --- the two sides -----------------------------------------------------------------------------------------------

def ours(con, v: View) -> dict:
    view = segments.segment_view(con, v.flt, "segment", False)
    return {"segment_table": view["table"], "rep_effort": view["reps"], "sources": segments.sources(con, v.flt)}


def theirs(f: dict, v: View) -> dict:
    view = pandas_segment_view(f, v.flt)
    return {"segment_table": view["table"], "rep_effort": view["reps"], "sources": pandas_sources(f, v.flt)}


def run(path: Path) -> list[Result]:
    con = duckdb.connect(str(path), read_only=True)
    con.execute("SET enable_progress_bar = false")
    n_opp = con.execute("SELECT count(*) FROM opportunities_current").fetchall()[0][0]
    n_act = con.execute("SELECT count(*) FROM activities").fetchall()[0][0]
    view = default_view(con)
    log(f"segments: {n_opp:,} opportunities, {n_act:,} activities; view {view.flt.start} - {view.flt.end}")
    log("segments: loading the tables into pandas (untimed)...")
    frames = load_frames(con)
    log("segments: the project's analytics...")
    t_ours, a = best_time(lambda: ours(con, view), repeat=3)
    log("segments: pandas...")
    t_ref, b = best_time(lambda: theirs(frames, view), repeat=1)
    diffs = [line for key in a for line in differences(key, a[key], b[key])]
    rows = sum(len(x) for x in a.values())
    note = ("same numbers" if not diffs else "DIFFERENT NUMBERS: " + "; ".join(diffs)[:1500]) + f" ({rows} result rows)"
    results = [
        Result(f"segments page figures {n_opp / 1e6:g}M opp / {n_act / 1e6:g}M act", t_ours, t_ref, GOAL, note=note,
               valid=not diffs),
    ]
    log("segments: account tiers (on demand on the page)...")
    t_tiers, tiers = best_time(lambda: segments.account_tiers(con, view.flt), repeat=2)
    results.append(Result("segments account tiers (on demand)", t_tiers, None, 0, kind="info",
                          note=f"{len(tiers)} accounts; no pandas version"))
    results.append(Result(f"peak memory, segments at {n_opp / 1e6:g}M/{n_act / 1e6:g}M (both sides)", peak_rss_mb(),
                          None, 0, kind="info", unit="MB"))
    con.close()
    return results


def main() -> None:
    run_on_workspace(__doc__.splitlines()[0], run)


if __name__ == "__main__":
    main()
