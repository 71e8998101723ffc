"""Page KPIs at 1 000 000 opportunities and 5 000 000 activities: the project's analytics (SQL in DuckDB, on the
workspace file) against an idiomatic pandas implementation of the same KPIs written here, on DataFrames already
in memory (their loading is not timed: the comparison favours pandas). Both must give the same numbers.
Goal: >= 5x faster, identical numbers.

One entry per page in PAGES: what the page computes for its default view (the sidebar's default filter: the
current month of the workspace's latest snapshot, compared with the previous month to the same day).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import common  # noqa: F401  (puts the repo on sys.path)
from common import Result, best_time, log, parser, peak_rss_mb, report, workdir

import duckdb
import numpy as np
import pandas as pd

import generate
from analytics import filters
from analytics.measures import kpis
from analytics.measures import stays as stays_module
from analytics.filters import Filter

GOAL = 5.0


@dataclass
class View:
    """What a page shows by default: the filter, its comparison (cut at the same elapsed day) and the whole
    comparison period (its quota), and the workspace's "today"."""

    today: date
    flt: Filter
    cmp: Filter | None
    cmp_whole: Filter | None


def default_view(con) -> View:
    today = filters.reference_date(con)
    start, end = filters.period_bounds("month", today)
    flt = Filter(start=start, end=end)
    return View(today, flt, filters.previous(flt, "previous", today=today), filters.previous(flt, "previous"))


# --- the frames pandas works on (loaded once, untimed) -----------------------------------------------------------

@dataclass
class Frames:
    opp: pd.DataFrame  # opportunities_current
    stages: pd.DataFrame
    activities: pd.DataFrame
    reps: pd.DataFrame
    targets: pd.DataFrame
    history: pd.DataFrame
    snapshot_dates: list  # every upload's date, oldest first


def load_frames(con) -> Frames:
    q = lambda sql: con.execute(sql).fetchdf()  # noqa: E731
    return Frames(
        opp=q("SELECT * FROM opportunities_current"),
        stages=q("SELECT * FROM stages"),
        activities=q("SELECT * FROM activities"),
        reps=q("SELECT * FROM reps"),
        targets=q("SELECT * FROM targets"),
        history=q("SELECT * FROM stage_history"),
        snapshot_dates=[r[0] for r in con.execute("SELECT snapshot_date FROM snapshots ORDER BY 1").fetchall()],
    )


# --- pandas: the flash figures ----------------------------------------------------------------------------------

def _ts(d: date | None):
    return None if d is None else pd.Timestamp(d)


def in_period(s: pd.Series, flt: Filter) -> pd.Series:
    """Dates (or timestamps, by their day) within [start, end]; missing dates are out."""
    mask = s.notna()
    if flt.start is not None:
        mask &= s >= _ts(flt.start)
    if flt.end is not None:
        mask &= s < _ts(flt.end) + pd.Timedelta(days=1)
    return mask


def _owners(reps: pd.DataFrame, column: str, value) -> pd.Series:
    return reps.loc[reps[column] == value, "owner"]


def select_opps(f: Frames, flt: Filter) -> pd.DataFrame:
    """The current deals of the filter's dimensions, with the stage's order and the probability used for weighting
    (the data's, else the stage's default)."""
    o = f.opp
    mask = pd.Series(True, index=o.index)
    for column in ("owner", "segment", "source"):
        if getattr(flt, column) is not None:
            mask &= o[column] == getattr(flt, column)
    if flt.team is not None:
        mask &= o["owner"].isin(_owners(f.reps, "team", flt.team))
    if flt.region is not None:
        # the owner's region in reps, else (an owner without one) the deal's
        with_region = f.reps.loc[f.reps["region"].notna(), "owner"]
        mask &= (o["owner"].isin(_owners(f.reps, "region", flt.region))
                 | ((o["region"] == flt.region) & ~o["owner"].isin(with_region)))
    o = o[mask]
    stages = f.stages.set_index("stage")
    closed = o["status"].isin(["won", "lost"])
    return o.assign(stage_order=o["stage"].map(stages["stage_order"]),
                    probability_given=o["probability"],
                    probability=o["probability"].fillna(o["stage"].map(stages["default_probability"])),
                    outcome_date=o["closed_date"].fillna(o["close_date"]).where(closed))


def _week(s: pd.Series) -> pd.Series:
    return (s - pd.to_timedelta(s.dt.day_of_week, unit="D")).dt.normalize()


def _month(s: pd.Series) -> pd.Series:
    return s.dt.to_period("M").dt.start_time


def _sum(parts: pd.DataFrame, key: pd.Series | None):
    return parts.sum() if key is None else parts.groupby(key).sum()


def _key(o: pd.DataFrame, by: str | None, date_column: str):
    if by is None:
        return None
    if by == "owner":
        return o["owner"]
    return (_week if by == "week" else _month)(o[date_column])


def closed_sums(o: pd.DataFrame, flt: Filter, by: str | None = None):
    c = o[o["status"].isin(["won", "lost"]) & in_period(o["outcome_date"], flt)]
    won, lost = c["status"].eq("won"), c["status"].eq("lost")
    cycle = (c["outcome_date"] - c["created_date"]).dt.days.where(won & (c["created_date"] <= c["outcome_date"]))
    parts = pd.DataFrame({
        "won_count": won.astype("int64"), "won_amount": c["amount"].where(won, 0.0),
        "won_valued": (won & c["amount"].notna()).astype("int64"),
        "lost_count": lost.astype("int64"), "lost_amount": c["amount"].where(lost, 0.0),
        "cycle_days_sum": cycle, "cycle_count": cycle.notna().astype("int64"),
    })
    return _sum(parts, _key(c, by, "outcome_date"))


def open_sums(o: pd.DataFrame, flt: Filter, by: str | None = None):
    op = o[o["status"].eq("open")]
    in_p = in_period(op["close_date"], flt) if (flt.start or flt.end) else pd.Series(True, index=op.index)
    weighted = op["amount"] * op["probability"]
    parts = pd.DataFrame({
        "open_count": np.ones(len(op), dtype="int64"), "open_amount": op["amount"], "weighted_pipeline": weighted,
        "open_count_in_period": in_p.astype("int64"),
        "open_amount_in_period": op["amount"].where(in_p, 0.0), "weighted_in_period": weighted.where(in_p, 0.0),
    }, index=op.index)
    return _sum(parts, _key(op, by, "close_date"))


def new_sums(o: pd.DataFrame, flt: Filter, by: str | None = None):
    n = o[in_period(o["created_date"], flt)]
    parts = pd.DataFrame({"new_opportunities": np.ones(len(n), dtype="int64")}, index=n.index)
    return _sum(parts, _key(n, by, "created_date"))


def quota_sums(f: Frames, flt: Filter, by: str | None = None, windows=None) -> pd.Series:
    """Each target prorated by the days it shares with the period (or each window); summed per key.
    Targets carry no source: none under a source filter."""
    if flt.source is not None:
        return None if by is None else pd.Series(dtype="float64")
    t = f.targets
    t = t[t["period_start"].notna() & t["period_end"].notna() & t["quota_amount"].notna()]
    if flt.segment is None:  # a rep's own line when given, else its segment lines (measures.quota)
        own = t.loc[t["segment"].isna(), ["owner", "period_start", "period_end"]]
        m = t[t["segment"].notna()].reset_index().merge(own, on="owner", suffixes=("", "_own"))
        t = t.drop(index=m.loc[(m["period_start_own"] <= m["period_end"])
                               & (m["period_end_own"] >= m["period_start"]), "index"].unique())
    else:
        t = t[t["segment"].notna()]
    for column in ("owner", "segment"):
        if getattr(flt, column) is not None:
            t = t[t[column] == getattr(flt, column)]
    for column in ("team", "region"):
        if getattr(flt, column) is not None:
            t = t[t["owner"].isin(_owners(f.reps, column, getattr(flt, column)))]
    windows = windows or [(flt.start, flt.end)]
    pieces = []
    for w_start, w_end in windows:
        lo = t["period_start"] if w_start is None else t["period_start"].clip(lower=_ts(w_start))
        hi = t["period_end"] if w_end is None else t["period_end"].clip(upper=_ts(w_end))
        keep = (lo <= t["period_end"]) & (hi >= t["period_start"]) & (lo <= hi)
        shared = (hi - lo).dt.days + 1
        days = (t["period_end"] - t["period_start"]).dt.days + 1
        part = pd.DataFrame({"owner": t["owner"], "window": _ts(w_start),
                             "quota": t["quota_amount"] * shared / days})[keep]
        pieces.append(part)
    q = pd.concat(pieces)
    if by is None:
        return q["quota"].sum() if len(q) else None
    return q.groupby(by)["quota"].sum()


def time_spent(f: Frames, flt: Filter) -> dict:
    a = f.activities
    mask = in_period(a["date"], flt)
    for column in ("owner", "segment"):
        if getattr(flt, column) is not None:
            mask &= a[column] == getattr(flt, column)
    for column in ("team", "region"):
        if getattr(flt, column) is not None:
            mask &= a["owner"].isin(_owners(f.reps, column, getattr(flt, column)))
    if flt.source is not None:
        mask &= a["opportunity_id"].isin(f.opp.loc[f.opp["source"] == flt.source, "opportunity_id"])
    a = a[mask]
    hourly = f.reps.groupby("owner")["hourly_cost"].max()
    any_duration = f.activities["duration_minutes"].notna().any()
    any_cost = f.reps["hourly_cost"].notna().any()
    hours = a["duration_minutes"].sum() / 60.0
    rate = a["owner"].map(hourly)
    cost = (a["duration_minutes"] / 60.0 * rate).sum()
    uncosted = a["duration_minutes"].notna() & rate.isna()  # hours of reps without an hourly cost
    return {"time_spent_hours": float(hours) if any_duration else None,
            "time_cost": float(cost) if any_duration and any_cost and not uncosted.any() else None}


def _ratio(num, den):
    if num is None:
        return None
    if isinstance(num, pd.Series):
        return (num / den).where(den > 0)
    return num / den if den is not None and not _nan(den) and den > 0 else None


def _nan(v) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v))


def with_ratios(d):
    """The ratio KPIs from the sums (PRODUCT.md's definitions), for a dict or a per-rep frame alike."""
    d["win_rate"] = _ratio(d["won_count"], d["won_count"] + d["lost_count"])
    d["average_basket"] = _ratio(d["won_amount"], d["won_valued"])
    d["average_cycle_days"] = _ratio(d["cycle_days_sum"], d["cycle_count"])
    d["quota_attainment"] = _ratio(d["won_amount"], d["quota"])
    quota = d["quota"]
    if isinstance(quota, pd.Series):
        remaining = (quota - d["won_amount"]).clip(lower=0)
    else:
        remaining = None if _nan(quota) else max(quota - d["won_amount"], 0.0)
    d["remaining_quota"] = remaining
    d["coverage_raw"] = _ratio(d["open_amount_in_period"], remaining)
    d["coverage_weighted"] = _ratio(d["weighted_in_period"], remaining)
    d["coverage_pipeline_raw"] = _ratio(d["open_amount"], remaining)
    d["coverage_pipeline_weighted"] = _ratio(d["weighted_pipeline"], remaining)
    return d


def pandas_flash_kpis(f: Frames, flt: Filter, quota_flt: Filter | None = None) -> dict:
    o = select_opps(f, flt)
    d = {}
    for part in (closed_sums(o, flt), open_sums(o, flt), new_sums(o, flt)):
        d.update(part.to_dict())
    # a past period reads the pipeline of the upload valid at its end: none when every upload is later (the
    # frames hold the latest upload only, enough for the default view and its comparison)
    latest = f.snapshot_dates[-1]
    if flt.end is not None and flt.end < latest:
        assert flt.end < f.snapshot_dates[0], "a period between two uploads needs that upload's frame"
        for key in ("open_count", "open_amount", "weighted_pipeline", "open_amount_in_period", "weighted_in_period",
                    "open_count_in_period"):
            d[key] = None
    d["pipeline_date"] = latest.isoformat() if flt.end is None or flt.end >= latest else None
    d["unvalued"] = {k: 0 for k in kpis.SUMS}  # the generated amounts are all given
    d["quota"] = quota_sums(f, quota_flt or flt)
    d = with_ratios(d)
    d.update(time_spent(f, flt))
    return d


def pandas_rep_table(f: Frames, flt: Filter) -> pd.DataFrame:
    o = select_opps(f, flt)
    df = pd.concat([closed_sums(o, flt, "owner"), open_sums(o, flt, "owner"), new_sums(o, flt, "owner"),
                    quota_sums(f, flt, "owner").rename("quota")], axis=1)
    df = df.fillna({c: 0 for c in df.columns if c != "quota"})
    df = with_ratios(df).rename_axis("owner").reset_index()
    df = df.sort_values(["won_amount", "owner"], ascending=[False, True], ignore_index=True)
    return df[kpis.REP_COLUMNS]


def _buckets(start: date, end: date, grain: str):
    out, key = [], (start - timedelta(days=start.weekday()) if grain == "week" else start.replace(day=1))
    while key <= end:
        nxt = key + timedelta(days=7) if grain == "week" else (key.replace(day=28) + timedelta(days=4)).replace(day=1)
        out.append((key, max(key, start), min(nxt - timedelta(days=1), end)))
        key = nxt
    return out


def pandas_won_trend(f: Frames, flt: Filter) -> pd.DataFrame:
    grain = "week" if flt.days <= 92 else "month"
    buckets = _buckets(flt.start, flt.end, grain)
    won = closed_sums(select_opps(f, flt), flt, grain)
    quotas = quota_sums(f, flt, "window", [(b[1], b[2]) for b in buckets])
    keys = [pd.Timestamp(b[0]) for b in buckets]
    return pd.DataFrame({
        "bucket": [b[0] for b in buckets], "bucket_start": [b[1] for b in buckets],
        "bucket_end": [b[2] for b in buckets], "grain": grain,
        "won_amount": won["won_amount"].reindex(keys, fill_value=0.0).to_numpy(dtype="float64"),
        "won_count": won["won_count"].reindex(keys, fill_value=0).to_numpy(dtype="int64"),
        "quota": [quotas.get(pd.Timestamp(b[1]), np.nan) for b in buckets],
    })


def pandas_reps_behind_goal(f: Frames, flt: Filter, today: date) -> pd.DataFrame:
    month_start = today.replace(day=1)
    month_end = (month_start.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    share = ((today - month_start).days + 1) / ((month_end - month_start).days + 1)
    month = Filter(**{**flt.__dict__, "start": month_start, "end": month_end})
    to_date = Filter(**{**flt.__dict__, "start": month_start, "end": today})
    df = quota_sums(f, month, "owner").rename("quota").reset_index()
    won = closed_sums(select_opps(f, to_date), to_date, "owner")["won_amount"]
    df["won_amount"] = df["owner"].map(won).fillna(0.0)
    df["prorated_goal"] = df["quota"] * share
    df["gap"] = df["prorated_goal"] - df["won_amount"]
    df = df[df["gap"] > df["quota"] * kpis.BEHIND_TOLERANCE]  # behind by more than the tolerance of the month
    return df.sort_values(["gap", "owner"], ascending=[False, True], ignore_index=True)[
        ["owner", "quota", "prorated_goal", "won_amount", "gap"]]


def pandas_stuck_deals(f: Frames, flt: Filter, today: date) -> pd.DataFrame:
    """Stays merged by funnel stage (consecutive history rows of one stage are one stay), the team's p75 of
    finished stays per stage (at least MIN_STAYS) never under the floor, ongoing stays beyond it. Every
    generated deal has a stage history, so the upload-based stays of analytics/measures/stays.py are not needed here."""
    o = select_opps(f, flt)
    stages = f.stages.set_index("stage")
    h = f.history[f.history["entered_at"].notna() & f.history["opportunity_id"].isin(o["opportunity_id"])]
    h = h.assign(order=h["stage"].map(stages["stage_order"])).sort_values(["opportunity_id", "entered_at", "order"])
    first = h["opportunity_id"].ne(h["opportunity_id"].shift()) | h["stage"].ne(h["stage"].shift())
    h = h.assign(island=first.astype("int64").groupby(h["opportunity_id"]).cumsum())
    stays = h.groupby(["opportunity_id", "island"], as_index=False).agg(stage=("stage", "first"),
                                                                        entered=("entered_at", "min"))
    stays["left_at"] = stays.groupby("opportunity_id")["entered"].shift(-1)
    stays = stays[stays["stage"].isin(["lead", "qualification", "proposal", "negotiation"])]
    stays["entered"] = stays["entered"].dt.normalize()
    days = (stays["left_at"].dt.normalize() - stays["entered"]).dt.days
    # thresholds read the stays that ended over the last THRESHOLD_DAYS days up to the snapshot read (today)
    since = pd.Timestamp(today) - pd.Timedelta(days=stays_module.THRESHOLD_DAYS - 1)
    ended = stays["left_at"].dt.normalize()
    recent = stays["left_at"].notna() & (ended >= since) & (ended <= pd.Timestamp(today))
    finished = days[recent].groupby(stays["stage"][recent])
    p75 = pd.DataFrame({"p75_days": finished.quantile(0.75), "stays": finished.count()})
    p75 = p75[p75["stays"] >= kpis.MIN_STAYS]
    p75["threshold_days"] = p75["p75_days"].clip(lower=kpis.STUCK_FLOOR_DAYS)
    current = o[o["status"].eq("open")][["opportunity_id", "name", "stage", "amount", "owner"]]
    ongoing = stays[stays["left_at"].isna()].merge(current, on=["opportunity_id", "stage"])
    df = ongoing.merge(p75, left_on="stage", right_index=True)
    df["days_in_stage"] = (pd.Timestamp(today) - df["entered"]).dt.days
    df = df[df["days_in_stage"] > df["threshold_days"]]
    df = df.assign(over=df["days_in_stage"] - df["threshold_days"], source="history")
    df = df.sort_values(["over", "opportunity_id"], ascending=[False, True], ignore_index=True)
    return df[["opportunity_id", "name", "owner", "stage", "amount", "entered", "days_in_stage", "threshold_days",
               "p75_days", "source"]]


def pandas_overdue_deals(f: Frames, flt: Filter, today: date) -> pd.DataFrame:
    o = select_opps(f, flt)
    df = o[o["status"].eq("open") & (o["close_date"] < pd.Timestamp(today))]
    df = df.assign(days_overdue=(pd.Timestamp(today) - df["close_date"]).dt.days)
    df = df.sort_values(["close_date", "opportunity_id"], ignore_index=True)
    return df[["opportunity_id", "name", "owner", "stage", "amount", "close_date", "days_overdue"]]


def pandas_probability_inversions(f: Frames, flt: Filter) -> pd.DataFrame:
    stages = f.stages.set_index("stage")
    every = f.opp[f.opp["status"].eq("open") & f.opp["stage"].isin(stages.index) & f.opp["probability"].notna()]
    typical = (every["probability"].groupby(every["stage"]).median().rename("earlier_typical").reset_index()
               .rename(columns={"stage": "earlier_stage"}))
    typical["earlier_order"] = typical["earlier_stage"].map(stages["stage_order"])
    o = select_opps(f, flt)
    o = o[o["status"].eq("open")].assign(probability=lambda x: x["probability_given"])
    df = o.merge(typical, how="cross")
    df = df[(df["earlier_order"] < df["stage_order"]) & (df["probability"] < df["earlier_typical"])]
    df = df.sort_values(["opportunity_id", "earlier_typical", "earlier_order"], ascending=[True, False, True])
    df = df.drop_duplicates("opportunity_id")
    df = df.sort_values(["stage_order", "probability", "opportunity_id"], ascending=[False, True, True],
                        ignore_index=True)
    return df[["opportunity_id", "name", "owner", "stage", "amount", "probability", "earlier_stage",
               "earlier_typical"]]


def ours_flash(con, v: View) -> dict:
    return {
        "flash_kpis": kpis.flash_kpis(con, v.flt),
        "flash_kpis_compared": kpis.flash_kpis(con, v.cmp, quota_window=(v.cmp_whole.start, v.cmp_whole.end)),
        "won_trend": kpis.won_trend(con, v.flt),
        "rep_table": kpis.rep_table(con, v.flt),
        "reps_behind_goal": kpis.reps_behind_goal(con, v.flt, v.today),
        "stuck_deals": kpis.stuck_deals(con, v.flt, v.today),
        "overdue_deals": kpis.overdue_deals(con, v.flt, v.today),
        "probability_inversions": kpis.probability_inversions(con, v.flt),
    }


def pandas_flash(f: Frames, v: View) -> dict:
    return {
        "flash_kpis": pandas_flash_kpis(f, v.flt),
        "flash_kpis_compared": pandas_flash_kpis(f, v.cmp, v.cmp_whole),
        "won_trend": pandas_won_trend(f, v.flt),
        "rep_table": pandas_rep_table(f, v.flt),
        "reps_behind_goal": pandas_reps_behind_goal(f, v.flt, v.today),
        "stuck_deals": pandas_stuck_deals(f, v.flt, v.today),
        "overdue_deals": pandas_overdue_deals(f, v.flt, v.today),
        "probability_inversions": pandas_probability_inversions(f, v.flt),
    }


# page -> (the project's analytics for its default view, the pandas version of the same)
PAGES = {
    "flash": (ours_flash, pandas_flash),
}


# --- same numbers -------------------------------------------------------------------------------------------------

def _normal_frame(df: pd.DataFrame) -> pd.DataFrame:
    out = pd.DataFrame(index=range(len(df)))
    for column in df.columns:
        s = df[column].reset_index(drop=True)
        if pd.api.types.is_datetime64_any_dtype(s) or (s.dtype == object and len(s) and isinstance(s.dropna().iloc[0]
                                                                                                    if s.notna().any()
                                                                                                    else None, date)):
            s = pd.to_datetime(s)
        elif pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s):
            s = s.astype("float64")
        else:
            s = s.astype(object).where(s.notna(), None)
        out[column] = s
    return out


def differences(name: str, ours, theirs) -> list[str]:
    """Where two results differ (numbers to a relative 1e-9), as readable lines; empty when they agree."""
    if isinstance(ours, dict):
        out = []
        for key in ours.keys() - {"needs", "notes"}:
            a, b = ours[key], theirs.get(key)
            if _nan(a) and _nan(b):
                continue
            if isinstance(a, (dict, str)) or isinstance(b, (dict, str)):  # unvalued counts, the pipeline's date
                if a != b:
                    out.append(f"{name}.{key}: ours {a!r}, pandas {b!r}")
                continue
            if _nan(a) or _nan(b) or not math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-9):
                out.append(f"{name}.{key}: ours {a!r}, pandas {b!r}")
        return out
    a, b = _normal_frame(ours), _normal_frame(theirs)
    if list(a.columns) != list(b.columns):
        return [f"{name}: columns differ: {list(a.columns)} / {list(b.columns)}"]
    if len(a) != len(b):
        return [f"{name}: {len(a)} rows, pandas {len(b)}"]
    try:
        pd.testing.assert_frame_equal(a, b, check_dtype=False, rtol=1e-9, atol=1e-9)
    except AssertionError as exc:
        return [f"{name}: {str(exc).splitlines()[0]} {str(exc)[:400]}"]
    return []


def run(path: Path, only: list[str] | None = None) -> list[Result]:
    con = duckdb.connect(str(path), read_only=True)
    con.execute("SET enable_progress_bar = false")
    n_opp = con.execute("SELECT count(*) FROM opportunities_current").fetchall()[0][0]
    n_act = con.execute("SELECT count(*) FROM activities").fetchall()[0][0]
    view = default_view(con)
    log(f"kpis: {n_opp:,} opportunities, {n_act:,} activities; view {view.flt.start} - {view.flt.end}")
    log("kpis: loading the tables into pandas (untimed)...")
    frames = load_frames(con)
    results = []
    for page, (ours_fn, pandas_fn) in PAGES.items():
        if only and page not in only:
            continue
        log(f"kpis: {page}: the project's analytics...")
        t_ours, a = best_time(lambda: ours_fn(con, view), repeat=3)
        log(f"kpis: {page}: pandas...")
        t_ref, b = best_time(lambda: pandas_fn(frames, view), repeat=1)
        diffs = [line for key in a for line in differences(key, a[key], b[key])]
        rows = {k: (len(v) if isinstance(v, pd.DataFrame) else 1) for k, v in a.items()}
        note = ("same numbers" if not diffs else "DIFFERENT NUMBERS: " + "; ".join(diffs)[:1500])
        note += f" ({sum(rows.values()):,} result rows)"
        # A speed-up with other numbers is no speed-up: the line fails whatever the ratio.
        results.append(Result(f"{page} page KPIs {n_opp / 1e6:g}M opp / {n_act / 1e6:g}M act", t_ours, t_ref, GOAL,
                              note=note, valid=not diffs))
    results.append(Result(f"peak memory, KPIs at {n_opp / 1e6:g}M/{n_act / 1e6:g}M (both sides)", peak_rss_mb(),
                          None, 0, kind="info", unit="MB",
                          note="ru_maxrss of this process, pandas frames included (the app's own: render benchmark)"))
    con.close()
    return results


def main() -> None:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--workspace", type=Path, help="an existing generated workspace (else one is generated)")
    p.add_argument("--opportunities", type=int, default=1_000_000)
    p.add_argument("--activities", type=int, default=5_000_000)
    p.add_argument("--page", action="append", help="only this page (repeatable)")
    args = p.parse_args()
    if args.workspace:
        report(run(args.workspace, args.page), args.json)
        return
    with workdir(args.workdir) as folder:
        path = generate.build_workspace(folder / "bench.duckdb", args.opportunities, args.activities)
        report(run(path, args.page), args.json)


if __name__ == "__main__":
    main()
