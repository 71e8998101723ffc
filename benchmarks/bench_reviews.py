"""The review pages' figures at 1 000 000 opportunities and 5 000 000 activities: the project's analytics
(analytics/views/reviews.py: SQL in DuckDB on the workspace file) against an idiomatic pandas version of the same figures
written here, on DataFrames already in memory (their loading is not timed: the comparison favours pandas). Both
must give the same numbers. Goal: >= 5x faster, identical numbers. The pages' cold render (< 2 s) is measured by
bench_render.py, which renders every page of app.py.

What is compared, for the sidebar's default filter (the current month of the latest upload):
- individual review of one rep: headline KPIs (won, quota, attainment, coverage...), attainment trend of the rep and
  of the team, activity trend against plan, the mix by segment, region and in-target with the mix-adjusted gaps,
  the in-target shares and seniority, the deals to work on first (score and its components);
- collective review: headline, attainment trend, wins, losses and their reasons, the spread between reps on each
  KPI with its quartiles, the best converter of each segment.
The funnel, movement and forecast blocks come from analytics/views/funnel.py, movement.py and forecast.py, whose own
benchmarks measure them.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

import common  # noqa: F401  (puts the repo on sys.path)
from common import Result, best_time, log, peak_rss_mb, run_on_workspace

import duckdb
import numpy as np
import pandas as pd

from analytics import filters
from analytics.views import reviews
from analytics.filters import Filter

GOAL = 5.0
OPEN_STAGES = ("lead", "qualification", "proposal", "negotiation")


@dataclass
class View:
    today: date
    flt: Filter
    owner: str


def default_view(con) -> View:
    """The sidebar's default period (this month of the latest upload) and the first rep of the list."""
    today = filters.reference_date(con)
    start, end = filters.period_bounds("month", today)
    flt = Filter(start=start, end=end)
    return View(today, flt, reviews.owners(con, flt)[0])


# --- the frames pandas works on (loaded once, untimed) -----------------------------------------------------------

@dataclass
class Frames:
    opp: pd.DataFrame  # the latest snapshot's deals
    uploads: pd.DataFrame  # every snapshot's deals (opportunity_id, snapshot_id, snapshot_date, status, stage...)
    snapshots: pd.DataFrame
    stages: pd.DataFrame
    reps: pd.DataFrame
    targets: pd.DataFrame
    activities: pd.DataFrame
    history: pd.DataFrame


def load_frames(con) -> Frames:
    q = lambda sql: con.execute(sql).fetchdf()  # noqa: E731
    latest = reviews.selection.latest_snapshot_id(con)
    return Frames(
        opp=q(f"SELECT * FROM opportunities WHERE snapshot_id = {int(latest)}"),
        uploads=q("SELECT o.opportunity_id, o.owner, o.snapshot_id, s.snapshot_date, o.status, o.stage, o.amount,"
                  " o.close_date FROM opportunities o JOIN snapshots s ON s.snapshot_id = o.snapshot_id"),
        snapshots=q("SELECT * FROM snapshots ORDER BY snapshot_date, snapshot_id"),
        stages=q("SELECT * FROM stages"),
        reps=q("SELECT * FROM reps"),
        targets=q("SELECT * FROM targets"),
        activities=q("SELECT activity_id, date, owner, segment FROM activities"),
        history=q("SELECT opportunity_id, stage, entered_at FROM stage_history"),
    )


def _ts(d):
    return pd.Timestamp(d)


def in_period(s: pd.Series, flt: Filter) -> pd.Series:
    s = pd.to_datetime(s)
    mask = s.notna()
    if flt.start is not None:
        mask &= s.dt.normalize() >= _ts(flt.start)
    if flt.end is not None:
        mask &= s.dt.normalize() <= _ts(flt.end)
    return mask


def reps_one(f: Frames) -> pd.DataFrame:
    return f.reps.groupby("owner").agg(team=("team", "max"), region=("region", "max"),
                                       hire_date=("hire_date", "min")).reset_index()


def deals(f: Frames, flt: Filter) -> pd.DataFrame:
    """selection.deals_cte in pandas: team from the reps, region the owner's in the reps else the deal's own,
    effective probability, outcome date."""
    st = f.stages.set_index("stage")
    r = reps_one(f).rename(columns={"region": "rep_region"})
    o = f.opp.merge(r, on="owner", how="left")
    o["region"] = o["rep_region"].fillna(o["region"])
    o["stage_order"] = o["stage"].map(st["stage_order"])
    o["probability"] = o["probability"].fillna(o["stage"].map(st["default_probability"]))
    closed = o["status"].isin(["won", "lost"])
    o["outcome_date"] = pd.to_datetime(o["closed_date"].fillna(o["close_date"])).where(closed)
    mask = pd.Series(True, index=o.index)
    for dim in ("team", "owner", "segment", "region", "source"):
        value = getattr(flt, dim)
        if value is not None:
            mask &= o[dim] == value
    return o[mask]


def targets_of(f: Frames, flt: Filter) -> pd.DataFrame:
    t = f.targets[f.targets["period_start"].notna() & f.targets["period_end"].notna()]
    for dim in ("owner", "segment"):
        if getattr(flt, dim) is not None:
            t = t[t[dim] == getattr(flt, dim)]
    for dim in ("team", "region"):
        if getattr(flt, dim) is not None:
            t = t[t["owner"].isin(f.reps.loc[f.reps[dim] == getattr(flt, dim), "owner"])]
    return t


def prorated(t: pd.DataFrame, column: str, start: date, end: date):
    """Sum of `column` of the rows overlapping [start, end], each by the share of its days inside; None without
    a row."""
    t = t[t[column].notna()]
    ps, pe = pd.to_datetime(t["period_start"]), pd.to_datetime(t["period_end"])
    t = t[(ps <= _ts(end)) & (pe >= _ts(start))]
    if t.empty:
        return None
    ps, pe = pd.to_datetime(t["period_start"]), pd.to_datetime(t["period_end"])
    shared = (np.minimum(pe, _ts(end)) - np.maximum(ps, _ts(start))).dt.days + 1
    days = (pe - ps).dt.days + 1
    return float((t[column].astype(float) * shared / days).sum())


def _div(a, b):
    return None if a is None or b is None or b == 0 else a / b


# --- pandas: the individual review ---------------------------------------------------------------------------

def headline(f: Frames, flt: Filter) -> dict:
    o = deals(f, flt)
    c = o[o["status"].isin(["won", "lost"]) & in_period(o["outcome_date"], flt)]
    won = c[c["status"] == "won"]
    won_amount, won_count, lost_count = float(won["amount"].sum()), len(won), int((c["status"] == "lost").sum())
    op = o[o["status"] == "open"]
    inp = op[op["close_date"].notna() & in_period(op["close_date"], flt)]
    quota = prorated(targets_of(f, flt), "quota_amount", flt.start, flt.end)
    remaining = None if quota is None else quota - won_amount
    cover = (lambda num: num / remaining if remaining is not None and remaining > 0 else None)
    weighted_in = float((inp["amount"] * inp["probability"]).sum())
    return {
        "won_amount": won_amount, "won_count": won_count, "lost_count": lost_count,
        "win_rate": _div(won_count, won_count + lost_count),
        "average_basket": _div(won_amount, int(won["amount"].notna().sum())),
        "quota": quota, "quota_attainment": _div(won_amount, quota), "remaining_quota": remaining,
        "open_amount": float(op["amount"].sum()), "weighted_pipeline": float((op["amount"] * op["probability"]).sum()),
        "open_amount_in_period": float(inp["amount"].sum()), "weighted_in_period": weighted_in,
        "coverage_raw": cover(float(inp["amount"].sum())), "coverage_weighted": cover(weighted_in),
    }


def months(flt: Filter, today: date) -> list[tuple[date, date]]:
    return reviews.trend_months(flt, today)


def attainment_trend(f: Frames, flt: Filter, today: date, owner=None) -> pd.DataFrame:
    sel = replace(flt, owner=owner) if owner else flt
    windows = months(flt, today)
    o = deals(f, sel)
    won = o[(o["status"] == "won") & in_period(o["outcome_date"], Filter(windows[0][0], windows[-1][1]))]
    by_month = won.groupby(won["outcome_date"].dt.to_period("M").dt.start_time.dt.date)["amount"].sum()
    t = targets_of(f, sel)
    rows = []
    for start, end in windows:
        q = prorated(t, "quota_amount", start, end)
        w = float(by_month.get(start, 0.0))
        rows.append({"month": start, "won_amount": w, "quota": q if q is not None else np.nan,
                     "attainment": w / q if q else np.nan})
    return pd.DataFrame(rows)


def activity_trend(f: Frames, flt: Filter, today: date, owner: str) -> pd.DataFrame:
    windows = months(flt, today)
    sel = replace(flt, owner=owner, start=windows[0][0], end=windows[-1][1])
    a = f.activities[(f.activities["owner"] == owner) & in_period(f.activities["date"], sel)]
    for dim in ("segment",):
        if getattr(sel, dim) is not None:
            a = a[a[dim] == getattr(sel, dim)]
    counts = a.groupby(pd.to_datetime(a["date"]).dt.to_period("M").dt.start_time.dt.date).size()
    t = targets_of(f, sel)
    rows = []
    for start, end in windows:
        planned = prorated(t, "planned_activities", start, end)
        n = int(counts.get(start, 0))
        rows.append({"month": start, "activities": n, "planned": planned if planned is not None else np.nan,
                     "ratio": n / planned if planned else np.nan})
    return pd.DataFrame(rows)


AXES = {"segment": lambda d: d["segment"], "region": lambda d: d["region"],
        "in_target": lambda d: d["in_target"].map({True: "true", False: "false"})}


def reference(f: Frames, flt: Filter, owner: str) -> Filter:
    teams = reps_one(f).set_index("owner")["team"]
    return replace(flt, owner=None, team=flt.team or teams.get(owner))


def _closed_groups(d: pd.DataFrame, flt: Filter, axis: str) -> pd.DataFrame:
    c = d[d["status"].isin(["won", "lost"]) & in_period(d["outcome_date"], flt)]
    won = c["status"] == "won"
    parts = pd.DataFrame({"value": AXES[axis](c).astype(object), "closed": 1, "won": won.astype(int),
                          "won_amount": c["amount"].where(won, 0.0)})
    return parts.groupby("value", dropna=False).sum().reset_index()


def mix(f: Frames, flt: Filter, owner: str, axis: str) -> pd.DataFrame:
    team = _closed_groups(deals(f, reference(f, flt, owner)), flt, axis)
    rep = _closed_groups(deals(f, replace(flt, owner=owner)), flt, axis)
    df = rep.merge(team, on="value", how="left", suffixes=("_rep", "_team"))
    out = pd.DataFrame({
        "value": df["value"], "rep_closed": df["closed_rep"], "rep_won": df["won_rep"],
        "rep_won_amount": df["won_amount_rep"], "team_closed": df["closed_team"], "team_won": df["won_team"],
        "team_won_amount": df["won_amount_team"],
    })
    out["team_win_rate"] = out["team_won"] / out["team_closed"]
    out["team_basket"] = (out["team_won_amount"] / out["team_won"]).where(out["team_won"] > 0)
    out["expected_won"] = out["rep_closed"] * out["team_won"] / out["team_closed"]
    out["expected_amount"] = out["rep_closed"] * out["team_won_amount"] / out["team_closed"]
    out["rep_share"] = out["rep_closed"] / out["rep_closed"].sum()
    out["team_share"] = out["team_closed"] / team["closed"].sum()
    out = out.sort_values(["rep_closed", "value"], ascending=[False, True], na_position="last")
    return out.reset_index(drop=True)


def _totals(f: Frames, flt: Filter) -> dict:
    d = deals(f, flt)
    inp = d["status"].isin(["won", "lost"]) & in_period(d["outcome_date"], flt)
    won = inp & (d["status"] == "won")
    reps = d.loc[(d["status"] == "open") | inp, "owner"].nunique()
    return {"closed": int(inp.sum()), "won": int(won.sum()), "won_amount": float(d.loc[won, "amount"].sum()),
            "won_valued": int(d.loc[won, "amount"].notna().sum()), "reps": reps}


def _expected(m: pd.DataFrame) -> dict:
    n, won, amount = float(m["rep_closed"].sum()), float(m["expected_won"].fillna(0).sum()), \
        float(m["expected_amount"].fillna(0).sum())
    return {"won_amount": amount if n else None, "win_rate": _div(won, n), "average_basket": _div(amount, won)}


def gaps(f: Frames, flt: Filter, owner: str, mixes: dict) -> pd.DataFrame:
    rep, team = _totals(f, replace(flt, owner=owner)), _totals(f, reference(f, flt, owner))
    values = {
        "rep": {"won_amount": rep["won_amount"], "win_rate": _div(rep["won"], rep["closed"]),
                "average_basket": _div(rep["won_amount"], rep["won_valued"])},
        "team": {"won_amount": _div(team["won_amount"], team["reps"]), "win_rate": _div(team["won"], team["closed"]),
                 "average_basket": _div(team["won_amount"], team["won_valued"])},
    }
    expected = {axis: _expected(m) for axis, m in mixes.items()}
    # the gap = volume + mix + conversion: volume = (the rep's closed deals - the team's closed deals per rep) x
    # the team's won amount per closed deal (revenue only; rates and baskets do not grow with volume)
    per_closed, per_rep = _div(team["won_amount"], team["closed"]), _div(team["closed"], team["reps"])
    volume = {"won_amount": None if per_closed is None or per_rep is None else (rep["closed"] - per_rep) * per_closed,
              "win_rate": 0.0, "average_basket": 0.0}
    rows = []
    for metric in reviews.GAP_METRICS:
        r, t, e = values["rep"][metric], values["team"][metric], expected["segment"][metric]
        v = None if e is None or t is None else volume[metric]
        rows.append({"metric": metric, "rep": r, "team": t, "gap": None if r is None or t is None else r - t,
                     "expected_segment": e, "volume_segment": v,
                     "explained_segment": None if e is None or t is None or v is None else e - t - v,
                     "remaining_segment": None if e is None or r is None else r - e,
                     "expected_region": expected["region"][metric],
                     "expected_in_target": expected["in_target"][metric]})
    df = pd.DataFrame(rows)
    for col in df.columns[1:]:
        df[col] = pd.to_numeric(df[col], errors="coerce").astype("float64")
    return df


def context(f: Frames, flt: Filter, owner: str, today: date) -> dict:
    ref = reference(f, flt, owner)
    r = reps_one(f).set_index("owner")
    team_owners = set(deals(f, ref)["owner"])
    hires = pd.to_datetime(r.loc[r.index.isin(team_owners), "hire_date"]).dropna()
    median = float((_ts(today) - hires).dt.days.median()) if len(hires) else None

    def share(sel):
        d = deals(f, sel)
        c = d[d["status"].isin(["won", "lost"]) & in_period(d["outcome_date"], flt)]
        return _div(int((c["in_target"] == True).sum()), int(c["in_target"].notna().sum()))  # noqa: E712

    hire = r["hire_date"].get(owner)
    return {"seniority_days": None if hire is None or pd.isna(hire) else (_ts(today) - _ts(hire)).days,
            "team_median_seniority_days": median, "in_target_share": share(replace(flt, owner=owner)),
            "team_in_target_share": share(ref)}


def _islands_last(rows: pd.DataFrame, key: str, order: list[str]) -> pd.DataFrame:
    """Per deal, the key and start of its last run of equal keys (rows ordered by `order`)."""
    rows = rows.sort_values(["opportunity_id", *order])
    new = rows[key].ne(rows.groupby("opportunity_id")[key].shift())
    island = new.groupby(rows["opportunity_id"]).cumsum()
    rows = rows.assign(island=island)
    last = rows[rows["island"] == rows.groupby("opportunity_id")["island"].transform("max")]
    return last.groupby("opportunity_id").agg(key=(key, "first"), entered=("ts", "min")).reset_index()


def deals_to_work(f: Frames, flt: Filter, owner: str, today: date) -> pd.DataFrame:
    sel = replace(flt, owner=owner)
    d = deals(f, sel)
    ids = set(d["opportunity_id"])
    o = d[d["status"] == "open"].copy()
    o["weighted"] = o["amount"] * o["probability"]
    # slips: the close date later than at the previous upload, the deal open in both
    up = f.uploads[f.uploads["opportunity_id"].isin(ids)].sort_values(["opportunity_id", "snapshot_date",
                                                                       "snapshot_id"])
    g = up.groupby("opportunity_id")
    slipped = (g["status"].shift().eq("open") & up["status"].eq("open")
               & (pd.to_datetime(up["close_date"]) > pd.to_datetime(g["close_date"].shift())))
    slips = slipped.groupby(up["opportunity_id"]).sum()
    # amount cut: lower now than at the first upload
    first_id = int(f.snapshots["snapshot_id"].iloc[0])
    first = f.uploads[f.uploads["snapshot_id"] == first_id].set_index("opportunity_id")["amount"]
    # the ongoing stay: stage history when the deal has some, else the uploads
    h = f.history[f.history["opportunity_id"].isin(ids) & f.history["entered_at"].notna()]
    h = h.merge(f.stages[["stage", "stage_order"]], on="stage").rename(columns={"entered_at": "ts"})
    from_history = _islands_last(h, "stage", ["ts", "stage_order"])
    rest = up[~up["opportunity_id"].isin(set(h["opportunity_id"]))]
    rest = rest.assign(key=np.where(rest["status"] == "open", rest["stage"], rest["status"].fillna(rest["stage"])),
                       ts=pd.to_datetime(rest["snapshot_date"]))
    from_uploads = _islands_last(rest, "key", ["ts", "snapshot_id"])
    stays = pd.concat([from_history, from_uploads]).set_index("opportunity_id")
    stay_key, stay_start = o["opportunity_id"].map(stays["key"]), o["opportunity_id"].map(stays["entered"])
    entered = pd.to_datetime(stay_start).dt.normalize().where(stay_key == o["stage"])
    since = entered.fillna(pd.to_datetime(o["created_date"]))
    o["days_in_stage"] = (_ts(today) - since).dt.days.clip(lower=0)
    o["close_date_passed"] = (pd.to_datetime(o["close_date"]) < _ts(today)).fillna(False).astype(bool)
    o["slips"] = o["opportunity_id"].map(slips).fillna(0).astype("int64")
    before = o["opportunity_id"].map(first)
    o["amount_before"] = before.where(before.notna() & o["amount"].notna() & (o["amount"] < before))
    top = o["weighted"].max()
    s = reviews.SCORE
    o["points_weighted_value"] = s["weighted_value"] * (o["weighted"] / top if top and top > 0 else 0.0)
    o["points_age_in_stage"] = s["age_in_stage"] * (o["days_in_stage"] / reviews.AGE_FULL_DAYS).clip(upper=1.0)
    o["points_close_date_passed"] = s["close_date_passed"] * o["close_date_passed"].astype(float)
    o["points_slipped_twice"] = s["slipped_twice"] * (o["slips"] > 1).astype(float)
    o["points_amount_cut"] = s["amount_cut"] * o["amount_before"].notna().astype(float)
    points = [f"points_{k}" for k in s]
    o[points] = o[points].fillna(0.0).astype("float64")
    o["score"] = o[points].sum(axis=1)
    o = o.sort_values(["score", "weighted", "opportunity_id"], ascending=[False, False, True])
    cols = ["opportunity_id", "name", "account", "owner", "stage", "amount", "probability", "weighted", "close_date",
            "days_in_stage", "close_date_passed", "slips", "amount_before", *points, "score"]
    return o[cols].reset_index(drop=True)


def pandas_individual(f: Frames, v: View) -> dict:
    flt, owner, today = v.flt, v.owner, v.today
    mixes = {axis: mix(f, flt, owner, axis) for axis in AXES}
    return {
        "headline": headline(f, replace(flt, owner=owner)),
        "attainment_trend": attainment_trend(f, flt, today, owner),
        "team_attainment_trend": attainment_trend(f, reference(f, flt, owner), today),
        "activity_trend": activity_trend(f, flt, today, owner),
        **{f"mix_{axis}": m for axis, m in mixes.items()},
        "gaps": gaps(f, flt, owner, mixes),
        "context": context(f, flt, owner, today),
        "deals_to_work": deals_to_work(f, flt, owner, today),
    }


# --- pandas: the collective review ---------------------------------------------------------------------------

def rep_kpis(f: Frames, flt: Filter) -> pd.DataFrame:
    d = deals(f, flt)
    c = d[d["status"].isin(["won", "lost"]) & in_period(d["outcome_date"], flt)]
    rows = []
    t_all = targets_of(f, flt)
    won_g = c[c["status"] == "won"].groupby("owner")["amount"].agg(["sum", "count", "size"])  # count: with an amount
    lost_n = c[c["status"] == "lost"].groupby("owner").size()
    op = d[d["status"] == "open"]
    inp = op[op["close_date"].notna() & in_period(op["close_date"], flt)]
    weighted = (op["amount"] * op["probability"]).groupby(op["owner"]).sum()
    w_in = (inp["amount"] * inp["probability"]).groupby(inp["owner"]).sum()
    new = d[in_period(d["created_date"], flt)]["owner"]
    owners = set(c["owner"]) | set(op["owner"]) | set(new) | set(t_all.loc[
        (pd.to_datetime(t_all["period_start"]) <= _ts(flt.end)) & (pd.to_datetime(t_all["period_end"]) >= _ts(flt.start))
        & t_all["quota_amount"].notna(), "owner"])
    for o in owners:
        if o is None or (isinstance(o, float) and math.isnan(o)):
            continue
        won_amount = float(won_g["sum"].get(o, 0.0))
        won_count, won_valued = int(won_g["size"].get(o, 0)), int(won_g["count"].get(o, 0))
        lost = int(lost_n.get(o, 0))
        quota = prorated(t_all[t_all["owner"] == o], "quota_amount", flt.start, flt.end)
        remaining = None if quota is None else quota - won_amount
        rows.append({"owner": o, "won_amount": won_amount, "quota_attainment": _div(won_amount, quota),
                     "win_rate": _div(won_count, won_count + lost), "average_basket": _div(won_amount, won_valued),
                     "weighted_pipeline": float(weighted.get(o, 0.0)),
                     "coverage_weighted": float(w_in.get(o, 0.0)) / remaining
                     if remaining is not None and remaining > 0 else None})
    return pd.DataFrame(rows)


def spread(f: Frames, flt: Filter) -> tuple[pd.DataFrame, pd.DataFrame]:
    df = rep_kpis(f, flt)
    long = df.melt(id_vars="owner", value_vars=list(reviews.SPREAD_KPIS), var_name="kpi", value_name="value")
    long["value"] = pd.to_numeric(long["value"], errors="coerce").astype("float64")
    long = long.dropna(subset=["value"])
    rows = []
    for kpi in reviews.SPREAD_KPIS:
        v = long.loc[long["kpi"] == kpi, "value"]
        lo, hi = float(v.min()), float(v.max())
        rows.append({"kpi": kpi, "reps": int(len(v)), "min": lo, "q1": float(v.quantile(0.25)),
                     "median": float(v.median()), "q3": float(v.quantile(0.75)), "max": hi,
                     "spread_ratio": hi / lo if lo > 0 else np.nan})
    return long, pd.DataFrame(rows)


def pandas_collective(f: Frames, v: View) -> dict:
    flt = v.flt
    d = deals(f, flt)
    c = d[d["status"].isin(["won", "lost"]) & in_period(d["outcome_date"], flt)]
    won = c[c["status"] == "won"].assign(cycle_days=lambda x: (x["outcome_date"] - pd.to_datetime(x["created_date"])).dt.days)
    won = won.sort_values(["amount", "opportunity_id"], ascending=[False, True])
    lost = c[c["status"] == "lost"]
    reasons = lost.groupby("lost_reason", dropna=False).agg(lost_count=("amount", "size"),
                                                            lost_amount=("amount", "sum")).reset_index()
    reasons["share"] = reasons["lost_count"] / reasons["lost_count"].sum()
    reasons = reasons.sort_values(["lost_amount", "lost_count", "lost_reason"], ascending=[False, False, True],
                                  na_position="last")
    values, summary = spread(f, flt)
    g = c.groupby(["segment", "owner"]).agg(closed=("status", "size"), won=("status", lambda s: (s == "won").sum()))
    g = g.reset_index()
    seg = g.groupby("segment").agg(w=("won", "sum"), n=("closed", "sum"),
                                   qualified=("closed", lambda s: int((s >= reviews.MIN_CLOSED_BEST).sum())))
    q = g[g["closed"] >= reviews.MIN_CLOSED_BEST].assign(win_rate=lambda x: x["won"] / x["closed"])
    best = q.sort_values(["segment", "win_rate", "won", "owner"], ascending=[True, False, False, True]) \
        .groupby("segment").head(1).set_index("segment")
    best_df = pd.DataFrame({"segment": seg.index, "owner": best["owner"].reindex(seg.index).values,
                            "closed": best["closed"].reindex(seg.index).values,
                            "won": best["won"].reindex(seg.index).values,
                            "win_rate": best["win_rate"].reindex(seg.index).values,
                            "team_win_rate": (seg["w"] / seg["n"]).values, "qualified": seg["qualified"].values,
                            "min_closed": reviews.MIN_CLOSED_BEST})
    return {
        "headline": headline(f, flt),
        "attainment_trend": attainment_trend(f, flt, v.today),
        "wins": won[["opportunity_id", "name", "account", "owner", "segment", "amount", "outcome_date", "cycle_days"]],
        "losses_by_reason": reasons[["lost_reason", "lost_count", "lost_amount", "share"]],
        "losses": lost.sort_values(["amount", "opportunity_id"], ascending=[False, True])[
            ["opportunity_id", "name", "account", "owner", "segment", "stage", "lost_reason", "amount", "outcome_date"]],
        "spread": values, "spread_summary": summary, "best_converters": best_df,
    }


# --- ours -----------------------------------------------------------------------------------------------------

HEADLINE_KEYS = ("won_amount", "won_count", "lost_count", "win_rate", "average_basket", "quota", "quota_attainment",
                 "remaining_quota", "open_amount", "weighted_pipeline", "open_amount_in_period", "weighted_in_period",
                 "coverage_raw", "coverage_weighted")
CONTEXT_KEYS = ("seniority_days", "team_median_seniority_days", "in_target_share", "team_in_target_share")


def ours_individual(con, v: View) -> dict:
    flt, owner, today = v.flt, v.owner, v.today
    head = reviews.headline(con, flt, owner)
    return {
        "headline": {k: head[k] for k in HEADLINE_KEYS},
        "attainment_trend": reviews.attainment_trend(con, flt, owner, today=today),
        "team_attainment_trend": reviews.attainment_trend(con, reviews.reference_filter(con, flt, owner), today=today),
        "activity_trend": reviews.activity_trend(con, flt, owner, today=today),
        **{f"mix_{axis}": reviews.mix(con, flt, owner, axis) for axis in reviews.MIX_AXES},
        "gaps": reviews.gaps(con, flt, owner),
        "context": {k: v_ for k, v_ in reviews.context(con, flt, owner, today).items() if k in CONTEXT_KEYS},
        "deals_to_work": reviews.deals_to_work(con, flt, owner, today),
    }


def ours_collective(con, v: View) -> dict:
    team = v.flt
    values, summary = reviews.spread(con, team)
    head = reviews.headline(con, team)
    return {
        "headline": {k: head[k] for k in HEADLINE_KEYS},
        "attainment_trend": reviews.attainment_trend(con, team, today=v.today),
        "wins": reviews.wins(con, team), "losses_by_reason": reviews.losses_by_reason(con, team),
        "losses": reviews.losses(con, team), "spread": values, "spread_summary": summary,
        "best_converters": reviews.best_converters(con, team),
    }


PAGES = {"individual review": (ours_individual, pandas_individual),
         "collective review": (ours_collective, pandas_collective)}


# --- same numbers -------------------------------------------------------------------------------------------------

def _nan(v) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v))


def _normal(df: pd.DataFrame, sort_by: list[str] | None = None) -> pd.DataFrame:
    out = pd.DataFrame(index=range(len(df)))
    for column in df.columns:
        s = df[column].reset_index(drop=True)
        if pd.api.types.is_datetime64_any_dtype(s) or (s.dtype == object and s.notna().any()
                                                        and isinstance(s.dropna().iloc[0], (date, pd.Timestamp))):
            s = pd.to_datetime(s)
        elif pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s):
            s = s.astype("float64")
        else:
            s = s.astype(object).where(s.notna(), None)
        out[column] = s
    if sort_by:
        out = out.sort_values(sort_by).reset_index(drop=True)
    return out


# frames whose row order is not part of the result (a set of rows): compared sorted by these columns
UNORDERED = {"spread": ["kpi", "owner"]}


def differences(name: str, ours, theirs) -> list[str]:
    """Where two results differ (numbers to a relative 1e-9), as readable lines; empty when they agree."""
    if isinstance(ours, dict):
        out = []
        for key in ours:
            a, b = ours[key], theirs.get(key)
            if _nan(a) and _nan(b):
                continue
            if _nan(a) or _nan(b) or not math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-6):
                out.append(f"{name}.{key}: ours {a!r}, pandas {b!r}")
        return out
    a, b = _normal(ours, UNORDERED.get(name)), _normal(theirs, UNORDERED.get(name))
    if list(a.columns) != list(b.columns):
        return [f"{name}: columns differ: {list(a.columns)} / {list(b.columns)}"]
    if len(a) != len(b):
        return [f"{name}: {len(a)} rows, pandas {len(b)}"]
    try:
        pd.testing.assert_frame_equal(a, b, check_dtype=False, rtol=1e-9, atol=1e-6)
    except AssertionError as exc:
        return [f"{name}: {str(exc)[:400]}"]
    return []


def run(path: Path) -> list[Result]:
    con = duckdb.connect(str(path), read_only=True)
    con.execute("SET enable_progress_bar = false")
    n_opp = con.execute("SELECT count(*) FROM opportunities_current").fetchall()[0][0]
    n_act = con.execute("SELECT count(*) FROM activities").fetchall()[0][0]
    view = default_view(con)
    log(f"reviews: {n_opp:,} opportunities, {n_act:,} activities; {view.flt.start} - {view.flt.end}, rep {view.owner}")
    log("reviews: loading the tables into pandas (untimed)...")
    frames = load_frames(con)
    results = []
    for page, (ours_fn, pandas_fn) in PAGES.items():
        log(f"reviews: {page}: the project's analytics...")
        t_ours, a = best_time(lambda: ours_fn(con, view), repeat=3)
        log(f"reviews: {page}: pandas...")
        t_ref, b = best_time(lambda: pandas_fn(frames, view), repeat=1)
        diffs = [line for key in a for line in differences(key, a[key], b[key])]
        rows = {k: (len(x) if isinstance(x, pd.DataFrame) else 1) for k, x in a.items()}
        note = ("same numbers" if not diffs else "DIFFERENT NUMBERS: " + "; ".join(diffs)[:1500])
        note += f" ({sum(rows.values()):,} result rows)"
        log(f"reviews: {page}: ours {t_ours:.3f} s, pandas {t_ref:.3f} s; {note[:300]}")
        results.append(Result(f"{page} figures {n_opp / 1e6:g}M opp / {n_act / 1e6:g}M act", t_ours, t_ref, GOAL,
                              note=note, valid=not diffs))
    results.append(Result(f"peak memory, reviews at {n_opp / 1e6:g}M/{n_act / 1e6:g}M (both sides)", peak_rss_mb(),
                          None, 0, kind="info", unit="MB", note="ru_maxrss of this process, pandas frames included"))
    con.close()
    return results


def main() -> None:
    run_on_workspace(__doc__.splitlines()[0], run)


if __name__ == "__main__":
    main()
