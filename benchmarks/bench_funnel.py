"""Funnel page figures at 1 000 000 opportunities and 5 000 000 activities: the project's analytics (SQL in DuckDB,
on the workspace file) against an idiomatic pandas version of the same figures written here, on DataFrames already
in memory (their loading is not timed: the comparison favours pandas). Both must give the same numbers.
Goal: >= 5x faster, identical numbers; the page's cold render (AppTest, st.cache_data cleared) under 2 s.

The figures are those the page computes for its default view (the sidebar's default filter, the current month of
the latest snapshot, deals closed in it): the highest stage reached per deal (stage history, every upload, the
stage the CRM kept), the team's and each rep's reached counts and conversions, the deals of unknown stage, the
activity cascade, and the time in stage (stays merged by funnel stage, ended in the month).
"""
from __future__ import annotations

import gc
import os
import time
from pathlib import Path

import common  # noqa: F401  (puts the repo on sys.path)
from common import REPO, Result, best_time, log, parser, peak_rss_mb, report, workdir

import duckdb
import numpy as np
import pandas as pd

import generate
from bench_kpis import default_view, differences, in_period
from analytics.views import funnel
from analytics.measures import stays
from analytics.measures.reached import FUNNEL_STAGES
from analytics.schema import OPEN_STAGES

GOAL = 5.0
RENDER_GOAL_S = 2.0
BASIS = "closed"  # the page's default


# --- the frames pandas works on (loaded once, untimed) -----------------------------------------------------------

def load_frames(con) -> dict[str, pd.DataFrame]:
    q = lambda sql: con.execute(sql).fetchdf()  # noqa: E731
    return {
        "current": q("SELECT * FROM opportunities_current"),
        "all": q("SELECT o.opportunity_id, o.stage, o.status, o.snapshot_id, s.snapshot_date FROM opportunities o"
                 " JOIN snapshots s USING (snapshot_id)"),
        "stages": q("SELECT * FROM stages"),
        "history": q("SELECT opportunity_id, stage, entered_at FROM stage_history"),
        "activities": q("SELECT activity_id, date, owner, type, account, opportunity_id, outcome FROM activities"),
    }


# --- pandas: the same figures --------------------------------------------------------------------------------------

def pandas_reached(f: dict) -> pd.DataFrame:
    """The current deals with reached_order: the highest funnel stage in history, any upload, or the CRM's stage."""
    order = f["stages"].set_index("stage")["stage_order"]
    d = f["current"].copy()
    d["stage_order"] = d["stage"].map(order)
    h = f["history"]
    h_ord = h["stage"].map(order)
    keep = h_ord >= 1
    hist = h_ord[keep].groupby(h["opportunity_id"][keep]).max()
    a = f["all"]
    a_ord = a["stage"].map(order)
    keep = a_ord >= 1
    seen = a_ord[keep].groupby(a["opportunity_id"][keep]).max()
    crm = d["stage_order"].where(d["stage_order"] >= 1)
    d["reached_order"] = pd.concat([d["opportunity_id"].map(hist), d["opportunity_id"].map(seen), crm],
                                   axis=1).max(axis=1)
    d["outcome_date"] = d["closed_date"].fillna(d["close_date"]).where(d["status"].isin(["won", "lost"]))
    return d


def _selected(d: pd.DataFrame, flt) -> pd.DataFrame:
    return d[d["status"].isin(["won", "lost"]) & in_period(d["outcome_date"], flt)]


def _conversion_frame(counts: pd.DataFrame) -> pd.DataFrame:
    """counts: one row per (who, k) with reached; adds conversion_next and from_start as the SQL does."""
    counts = counts.sort_values(["who", "k"], ignore_index=True)
    g = counts.groupby("who")["reached"]
    nxt = g.shift(-1)
    first = g.transform("first")
    counts["conversion_next"] = (nxt / counts["reached"]).where(counts["reached"] > 0)
    counts["from_start"] = (counts["reached"] / first).where(first > 0)
    counts["stage"] = counts["k"].map(lambda k: FUNNEL_STAGES[k - 1])
    return counts


def pandas_conversion(d: pd.DataFrame, flt, by_owner: bool) -> pd.DataFrame:
    sel = _selected(d, flt)
    # a deal of unknown stage reached the first stage at least: it is counted there (analytics/views/funnel.py)
    reached = sel["reached_order"].fillna(1).astype(int)
    who = sel["owner"] if by_owner else pd.Series("team", index=sel.index)
    hist = sel.groupby([who.rename("who"), reached.rename("r")]).size().unstack(fill_value=0)
    hist = hist.reindex(columns=range(1, 6), fill_value=0)
    cum = hist.iloc[:, ::-1].cumsum(axis=1).iloc[:, ::-1]  # reached(k) = deals at k or beyond
    counts = cum.stack().rename("reached").reset_index().rename(columns={"r": "k"})
    out = _conversion_frame(counts)
    unknown = sel["reached_order"].isna().groupby(who.rename("who")).sum()
    out["unknown"] = out["who"].map(unknown).astype(int)
    out["could_change"] = (out["unknown"] > 0) & (out["k"] < len(FUNNEL_STAGES))
    out = out.rename(columns={"who": "owner", "k": "stage_order"})
    out = out[["owner", "stage", "stage_order", "reached", "conversion_next", "from_start", "unknown", "could_change"]]
    return out if by_owner else out.drop(columns="owner")


def pandas_unknown(d: pd.DataFrame, flt) -> int:
    return int(_selected(d, flt)["reached_order"].isna().sum())


def _norm(s: pd.Series) -> pd.Series:
    return s.fillna("").str.lower().str.normalize("NFKD").str.encode("ascii", "ignore").str.decode("ascii")


def pandas_cascade(f: dict, team: pd.DataFrame, flt) -> dict:
    a = f["activities"]
    a = a[in_period(a["date"], flt)]
    calls = a[a["type"].eq("call")]
    has_outcome = calls["outcome"].notna() & calls["outcome"].str.strip().ne("")
    missed = _norm(calls["outcome"]).str.contains(funnel.MISSED_CALL, regex=True)
    meetings = a[a["type"].isin(funnel.MEETING_TYPES) & ~_norm(a["outcome"]).str.contains(funnel.MISSED_MEETING)]
    key = (meetings["opportunity_id"].fillna(meetings["account"]).fillna(meetings["activity_id"])
           .fillna(meetings["date"].astype(str) + meetings["owner"]))
    reached = team.set_index("stage")["reached"]
    return {"calls": len(calls), "conversations": int((has_outcome & ~missed).sum()),
            "meetings": int(key.nunique()), "proposals": int(reached["proposal"]), "deals": int(reached["won"])}


def _islands(rows: pd.DataFrame, order: list[str]) -> pd.DataFrame:
    rows = rows.sort_values(["opportunity_id", *order], kind="stable", ignore_index=True)
    same_deal = rows["opportunity_id"].eq(rows["opportunity_id"].shift())
    new = ~(same_deal & rows["key"].eq(rows["key"].shift()))
    rows["island"] = new.cumsum()
    isl = rows.groupby("island", sort=True).agg(opportunity_id=("opportunity_id", "first"), key=("key", "first"),
                                                entered=("ts", "min"))
    isl["left_at"] = isl.groupby("opportunity_id")["entered"].shift(-1)
    return isl


def pandas_stage_times(f: dict, d: pd.DataFrame, flt) -> pd.DataFrame:
    ids = d["opportunity_id"]
    h = f["history"]
    h = h[h["entered_at"].notna() & h["opportunity_id"].isin(ids)]
    order = f["stages"].set_index("stage")["stage_order"]
    hist = _islands(pd.DataFrame({"opportunity_id": h["opportunity_id"], "key": h["stage"], "ts": h["entered_at"],
                                  "o": h["stage"].map(order)}), ["ts", "o"]).assign(source="history")
    a = f["all"]
    a = a[a["opportunity_id"].isin(ids) & ~a["opportunity_id"].isin(h["opportunity_id"])]
    key = a["stage"].where(a["status"].eq("open"), a["status"].fillna(a["stage"]))
    snaps = _islands(pd.DataFrame({"opportunity_id": a["opportunity_id"], "key": key,
                                   "ts": pd.to_datetime(a["snapshot_date"]), "i": a["snapshot_id"]}), ["ts", "i"])
    s = pd.concat([hist, snaps.assign(source="snapshots")], ignore_index=True)
    s = s[s["key"].isin(OPEN_STAGES)]
    left_on = s["left_at"].dt.normalize()
    s = s.assign(days=(left_on - s["entered"].dt.normalize()).dt.days, left_on=left_on)
    s = s[s["days"].notna() & in_period(s["left_on"], flt)]
    g = s.groupby("key")["days"]
    out = pd.DataFrame({
        "stays": g.size(), "median_days": g.quantile(0.5), "p25_days": g.quantile(0.25),
        "p75_days": g.quantile(0.75), "mean_days": g.mean(),
        "from_snapshots": s["source"].eq("snapshots").groupby(s["key"]).sum(),
    }).rename_axis("stage").reset_index()
    out.insert(1, "stage_order", out["stage"].map(order))
    return out.sort_values("stage_order", ignore_index=True)


def pandas_funnel(f: dict, flt) -> dict:
    d = pandas_reached(f)
    team = pandas_conversion(d, flt, False)
    return {
        "team": team,
        "reps": pandas_conversion(d, flt, True),
        "unknown": {"unknown": pandas_unknown(d, flt)},
        "cascade": pandas_cascade(f, team, flt),
        "stage_times": pandas_stage_times(f, d, flt),
    }


def ours_funnel(con, flt) -> dict:
    team = funnel.conversion(con, flt, BASIS)
    cascade = funnel.cascade(con, flt, BASIS)
    return {
        "team": team,
        "reps": funnel.conversion(con, flt, BASIS, by_owner=True),
        "unknown": {"unknown": funnel.unknown_count(con, flt, BASIS)},
        "cascade": {s["step"]: s["count"] for s in cascade["steps"]},
        "stage_times": stays.stage_times(con, flt),
    }


def _render_page(folder: Path, workspace: Path) -> tuple[float, float, int]:
    """Cold and warm render of the funnel page alone (AppTest), and the rows of its largest chart."""
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    from bench_render import RUN_TIMEOUT, _render, chart_rows

    os.environ["COCKPIT_WORKSPACES"] = str(folder)
    link = folder / "bench.duckdb"
    if link.resolve() != workspace.resolve():
        if link.exists() or link.is_symlink():
            link.unlink()
        link.symlink_to(workspace.resolve())
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=RUN_TIMEOUT)
    at.session_state["workspace"] = "bench"
    at.session_state["granted_workspaces"] = {"bench"}  # as its private link would (ui.state.grant)
    at.run()
    st.cache_data.clear()
    gc.collect()
    cold = _render(at, "pages/funnel.py")
    charts = chart_rows(at)
    warm = _render(at, "pages/funnel.py")
    return cold, warm, max(charts, default=0)


def run(path: Path, folder: Path, render: bool = True) -> list[Result]:
    con = duckdb.connect(str(path), read_only=True)
    con.execute("SET enable_progress_bar = false")
    n_opp = con.execute("SELECT count(*) FROM opportunities_current").fetchall()[0][0]
    n_act = con.execute("SELECT count(*) FROM activities").fetchall()[0][0]
    flt = default_view(con).flt
    log(f"funnel: {n_opp:,} opportunities, {n_act:,} activities; view {flt.start} - {flt.end}, basis {BASIS}")
    log("funnel: loading the tables into pandas (untimed)...")
    frames = load_frames(con)
    log("funnel: the project's analytics...")
    t_ours, a = best_time(lambda: ours_funnel(con, flt), repeat=3)
    log("funnel: pandas...")
    t_ref, b = best_time(lambda: pandas_funnel(frames, flt), repeat=1)
    diffs = [line for key in a for line in differences(key, a[key], b[key])]
    note = "same numbers" if not diffs else "DIFFERENT NUMBERS: " + "; ".join(diffs)[:1500]
    note += f" (team won {int(a['team'].reached.iloc[-1]):,}, {len(a['reps'])} rep rows)"
    size = f"{n_opp / 1e6:g}M opp / {n_act / 1e6:g}M act"
    results = [Result(f"funnel page figures {size}", t_ours, t_ref, GOAL, note=note, valid=not diffs)]
    con.close()
    del frames
    gc.collect()
    if render:
        log("funnel: rendering the page (AppTest)...")
        cold, warm, rows = _render_page(folder / "render", path)
        log(f"funnel: render cold {cold:.2f} s, warm {warm:.2f} s, largest chart {rows} rows")
        results.append(Result(f"render funnel page (cold) {size}", cold, None, RENDER_GOAL_S, kind="max",
                              note=f"warm (cached) {warm:.2f} s; largest chart {rows} rows"))
    results.append(Result(f"peak memory, funnel bench {size}", peak_rss_mb(), None, 0, kind="info", unit="MB",
                          note="ru_maxrss of this process, pandas frames included"))
    return results


def main() -> None:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--workspace", type=Path, help="an existing generated workspace (else one is generated)")
    p.add_argument("--opportunities", type=int, default=1_000_000)
    p.add_argument("--activities", type=int, default=5_000_000)
    p.add_argument("--no-render", action="store_true", help="figures only, no page render")
    args = p.parse_args()
    with workdir(args.workdir) as folder:
        path = args.workspace or generate.build_workspace(folder / "bench.duckdb", args.opportunities, args.activities)
        (folder / "render").mkdir(exist_ok=True)
        report(run(path, folder, not args.no_render), args.json)


if __name__ == "__main__":
    main()
