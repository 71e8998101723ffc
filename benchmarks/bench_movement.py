"""Pipeline changes at scale: a year of weekly snapshots of 100 000 deals each (5.2 M snapshot rows).

Measures, on the workspace file, the project's analytics (analytics/views/movement.py, SQL in DuckDB) against a pandas
implementation of the same definitions written here, on the snapshot rows already in memory (loading untimed:
the comparison favours pandas), and checks that both give the same numbers:

- movement between the last two uploads, and between the first and the last: what the page computes for its
  default view and for any pair picked (the summary with its per-rep sums, and the first 200 deals of each
  movement's list with all their columns; a list's CSV reads the rest when clicked);
- the trend over every upload (open, weighted, won so far in the month, month quota, coverage);
- the page's cold render through AppTest (app.py, then pages/pipeline.py, result cache cleared; as
  bench_render.py, the process has already run the app once; the very first render is reported beside it).
Goals: >= 5x faster with identical numbers; cold render < 2 s.

The data: deal k is in the snapshots w with 2000 w <= k < 2000 w + 100 000 (2 000 deals enter and 2 000 leave each
week, the open ones leaving as "dropped"); it closes (won one time in four) some weeks after it appears, a few reopen
two weeks later; it advances a stage every few weeks, now and then moves back, slips its close date or is re-quoted.
"""
from __future__ import annotations

import os
import time
from datetime import date, timedelta
from pathlib import Path

import common  # noqa: F401  (puts the repo on sys.path)
from common import Result, best_time, log, parser, peak_rss_mb, report, workdir

import duckdb
import numpy as np
import pandas as pd

from analytics.views import movement
from analytics import store
from analytics.filters import Filter

GOAL = 5.0
RENDER_GOAL_S = 2.0
WEEKS = 52
DEALS = 100_000
WEEKLY_TURNOVER = 2_000
LAST = date(2026, 11, 23)
REPS = [f"Rep {i:02d}" for i in range(60)]
WORKSPACE = "bench-movement"
SHOWN_ROWS = 200  # the rows of each movement's list the page shows (pages/pipeline.py)


# --- data ----------------------------------------------------------------------------------------------------

def build(path: Path, weeks: int = WEEKS, deals: int = DEALS) -> Path:
    """The workspace file: `weeks` weekly snapshots of `deals` deals, 60 reps with monthly targets."""
    t0 = time.perf_counter()
    if path.exists():
        path.unlink()
    con = duckdb.connect(str(path))
    con.execute("SET enable_progress_bar = false")
    store.init_schema(con)
    first = LAST - timedelta(weeks=weeks - 1)
    con.execute("INSERT INTO snapshots (snapshot_id, snapshot_date, source, row_count)"
                " SELECT w + 1, DATE '" + first.isoformat() + "' + CAST(7 * w AS INTEGER), 'bench', ?"
                " FROM range(?) t(w)",
                [deals, weeks])
    con.execute("CREATE MACRO u(k, salt) AS (hash(k * 7919 + salt) % 1000000) / 1000000.0")
    owners = "[" + ", ".join(f"'{r}'" for r in REPS) + "]"
    stages = "['lead', 'qualification', 'proposal', 'negotiation']"
    # age: weeks since the deal's first snapshot; life: weeks until it closes
    con.execute(f"""
        INSERT INTO opportunities (snapshot_id, opportunity_id, name, owner, segment, source, stage, status, amount,
                                   probability, created_date, close_date, closed_date, stage_order)
        WITH g AS (
          SELECT w, k, w - greatest(0, CAST(ceil((k - {deals - 1}) / {WEEKLY_TURNOVER}.0) AS INTEGER)) AS age,
                 3 + CAST(u(k, 1) * 30 AS INTEGER) AS life
          FROM range({weeks}) s(w), range({deals}) d(j), LATERAL (SELECT {WEEKLY_TURNOVER} * w + j AS k) x
        ), h AS (
          SELECT *, age >= life AND NOT (u(k, 2) < 0.03 AND age BETWEEN life + 2 AND life + 6) AS closed,
                 u(k, 3) < 0.25 AS wins,
                 least(4, 1 + CAST(floor(age * (0.1 + 0.3 * u(k, 4))) AS INTEGER)
                       - CASE WHEN u(k * 53 + w, 5) < 0.03 THEN 1 ELSE 0 END) AS open_order
          FROM g)
        SELECT w + 1, 'D' || lpad(CAST(k AS VARCHAR), 8, '0'), 'Deal ' || k, {owners}[1 + k % 60],
               ['Or', 'Argent', 'Bronze'][1 + k % 3], 'Marketing',
               CASE WHEN closed AND wins THEN 'won' WHEN closed THEN 'lost'
                    ELSE {stages}[greatest(1, open_order)] END,
               CASE WHEN closed AND wins THEN 'won' WHEN closed THEN 'lost' ELSE 'open' END,
               CASE WHEN u(k, 6) < 0.01 THEN NULL
                    ELSE round((2000 + u(k, 7) * 60000) * (1 + 0.1 * floor(age * u(k, 8) * 0.15)), 2) END,
               CASE WHEN closed THEN (CASE WHEN wins THEN 1.0 ELSE 0.0 END) WHEN u(k, 9) < 0.3 THEN NULL
                    ELSE round(0.05 + 0.9 * u(k, 10), 2) END,
               DATE '{first.isoformat()}' + CAST(7 * (w - age) - 3 AS INTEGER),
               DATE '{first.isoformat()}' + CAST(7 * (w - age) + 30 + 7 * floor(age * u(k, 11) * 0.5) AS INTEGER),
               CASE WHEN closed THEN DATE '{first.isoformat()}' + CAST(7 * (w - age + life) - 2 AS INTEGER) END,
               CASE WHEN closed AND wins THEN 5 WHEN closed THEN 0 ELSE greatest(1, open_order) END
        FROM h ORDER BY w, k
    """)
    con.executemany("INSERT INTO reps (owner, team) VALUES (?, ?)", [(r, f"Team {i % 6}") for i, r in enumerate(REPS)])
    months = sorted({(first + timedelta(days=d)).replace(day=1) for d in range(0, (LAST - first).days + 32)})
    rows = []
    for m in months:
        end = (m.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
        rows += [(r, m.strftime("%Y-%m"), 200000 + 1000 * i, m, end) for i, r in enumerate(REPS)]
    con.executemany("INSERT INTO targets (owner, period, quota_amount, period_start, period_end)"
                    " VALUES (?, ?, ?, ?, ?)", rows)
    con.execute("INSERT INTO imports (import_id, summary_json) VALUES (1, '{}')")
    con.execute("CHECKPOINT")
    n = con.execute("SELECT count(*) FROM opportunities").fetchall()[0][0]
    con.close()
    log(f"generated {path.name}: {weeks} snapshots, {n:,} snapshot rows in {time.perf_counter() - t0:.1f} s")
    return path


# --- pandas: the same definitions ----------------------------------------------------------------------------

def load(con) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    opp = con.execute("SELECT snapshot_id, opportunity_id, name, account, owner, stage, status, amount, probability,"
                      " close_date, closed_date FROM opportunities").fetchdf()
    stages = con.execute("SELECT stage, stage_order, default_probability FROM stages").fetchdf()
    snaps = con.execute("SELECT snapshot_id, snapshot_date FROM snapshots ORDER BY snapshot_date").fetchdf()
    return opp, stages, snaps


REASONS = movement.REASONS


def pandas_movement(opp: pd.DataFrame, stages: pd.DataFrame, a_id: int, b_id: int) -> dict:
    order = dict(zip(stages["stage"], stages["stage_order"]))
    cols = ["opportunity_id", "name", "account", "owner", "stage", "status", "amount", "probability", "close_date"]
    a = opp.loc[opp["snapshot_id"] == a_id, cols]
    b = opp.loc[opp["snapshot_id"] == b_id, cols]
    m = a.merge(b, on="opportunity_id", how="outer", suffixes=("_a", "_b"), indicator=True)
    in_a, in_b = m["_merge"] != "right_only", m["_merge"] != "left_only"
    open_a, open_b = m["status_a"].eq("open"), m["status_b"].eq("open")
    both = open_a & open_b
    oa, ob = m["stage_a"].map(order), m["stage_b"].map(order)
    amt_a, amt_b = m["amount_a"].fillna(0.0), m["amount_b"].fillna(0.0)
    f = {
        "new": ~in_a, "won": open_a & m["status_b"].eq("won"),
        "lost": open_a & in_b & ~open_b & ~m["status_b"].eq("won"), "dropped": open_a & ~in_b,
        "reopened": in_a & ~open_a & open_b, "advanced": both & (ob > oa), "moved_back": both & (ob < oa),
        "slipped": both & (m["close_date_b"] > m["close_date_a"]),
        "pulled_in": both & (m["close_date_b"] < m["close_date_a"]),
        "amount_changed": both & ~((m["amount_a"] == m["amount_b"]) | (m["amount_a"].isna() & m["amount_b"].isna())),
    }
    reason = pd.Series(None, index=m.index, dtype=object)
    for r in reversed(REASONS):
        reason = reason.mask(f[r], r)
    change = (amt_b - amt_a).where(both, 0.0)
    out = {
        "open_amount_before": amt_a[open_a].sum(), "open_amount_after": amt_b[open_b].sum(),
        "new_amount": amt_b[f["new"] & open_b].sum(), "reopened_amount": amt_b[f["reopened"]].sum(),
        "won_amount": amt_a[f["won"]].sum(), "lost_amount": amt_a[f["lost"]].sum(),
        "dropped_amount": amt_a[f["dropped"]].sum(), "amount_change": change.sum(),
        "changed_count": int(reason.notna().sum()),
    }
    out |= {f"{c}_count": int(f[c].sum()) for c in f}
    out |= {f"reason_{r}_count": int((reason == r).sum()) for r in REASONS}
    owner = m["owner_b"].fillna(m["owner_a"])
    by_rep = pd.DataFrame({"owner": owner, "before": amt_a.where(open_a, 0.0), "after": amt_b.where(open_b, 0.0),
                           "won": f["won"]}).groupby("owner").sum()
    # the deals that changed, with the columns the page lists (all their changes, comma-separated)
    keep = reason.notna()
    changes = pd.Series("", index=m.index)
    for c in movement.CHANGES:
        changes = changes.where(~f[c], changes.where(changes == "", changes + ",") + c)
    rank = reason.map({r: i for i, r in enumerate(REASONS)})
    deals = pd.DataFrame({
        "opportunity_id": m["opportunity_id"], "name": m["name_b"].fillna(m["name_a"]),
        "account": m["account_b"].fillna(m["account_a"]), "owner": owner, "owner_before": m["owner_a"],
        "reason": reason, "changes": changes, "stage_before": m["stage_a"], "stage_after": m["stage_b"],
        "status_before": m["status_a"], "status_after": m["status_b"], "amount_before": m["amount_a"],
        "amount_after": m["amount_b"], "amount_change": (amt_b - amt_a).where(both),
        "close_before": m["close_date_a"], "close_after": m["close_date_b"],
        "probability_before": m["probability_a"], "probability_after": m["probability_b"],
        "owner_changed": in_a & in_b & (m["owner_a"] != m["owner_b"]),
        "_rank": rank, "_size": np.maximum(amt_a, amt_b),
    })[keep].sort_values(["_rank", "_size", "opportunity_id"], ascending=[True, False, True])
    deals = deals.groupby("_rank", sort=False).head(SHOWN_ROWS)  # the first rows of each list, as the page shows
    return {"summary": out, "by_rep": by_rep, "deals": deals.drop(columns=["_rank", "_size"])}


def pandas_trend(opp: pd.DataFrame, stages: pd.DataFrame, snaps: pd.DataFrame, targets: pd.DataFrame) -> pd.DataFrame:
    default = dict(zip(stages["stage"], stages["default_probability"]))
    d = opp.merge(snaps, on="snapshot_id")
    is_open = d["status"].eq("open")
    p = d["probability"].fillna(d["stage"].map(default))
    day = pd.to_datetime(d["snapshot_date"])
    outcome = pd.to_datetime(d["closed_date"].fillna(d["close_date"]))
    month_start = day.dt.to_period("M").dt.start_time
    won_mtd = d["status"].eq("won") & (outcome >= month_start) & (outcome <= day)
    g = pd.DataFrame({
        "snapshot_date": d["snapshot_date"], "open_count": is_open.astype(int),
        "open_amount": d["amount"].where(is_open, 0.0).fillna(0.0),
        "weighted_pipeline": (d["amount"] * p).where(is_open, 0.0).fillna(0.0),
        "won_month_to_date": d["amount"].where(won_mtd, 0.0).fillna(0.0),
    }).groupby("snapshot_date", sort=True).sum().reset_index()
    quota = targets.groupby("period_start")["quota_amount"].sum()
    g["quota_month"] = [quota.get(pd.Timestamp(x).to_period("M").start_time, np.nan) for x in g["snapshot_date"]]
    g["remaining_quota"] = g["quota_month"] - g["won_month_to_date"]
    left = g["remaining_quota"].where(g["remaining_quota"] > 0)
    g["coverage"] = g["open_amount"] / left
    return g


# --- checks --------------------------------------------------------------------------------------------------

def _same(a, b) -> bool:
    a, b = float(a), float(b)
    if np.isnan(a) and np.isnan(b):
        return True
    return abs(a - b) <= 1e-9 * max(1.0, abs(a), abs(b)) or round(a, 2) == round(b, 2)


def check_movement(ours: dict, ref: dict) -> list[str]:
    diffs = [k for k, v in ref["summary"].items() if not _same(ours["summary"][k], v)]
    mine = movement.rep_frame(ours["summary"]["reps"]).set_index("owner")
    for col, ref_col in (("open_amount_before", "before"), ("open_amount_after", "after"), ("won_count", "won")):
        if not all(_same(x, y) for x, y in zip(mine[col].sort_index(), ref["by_rep"][ref_col].sort_index())):
            diffs.append(f"by_rep.{col}")
    mine, theirs = ours["deals"], ref["deals"]
    if len(mine) != len(theirs) or list(mine["opportunity_id"]) != list(theirs["opportunity_id"]) \
            or list(mine["reason"]) != list(theirs["reason"]) or list(mine["changes"]) != list(theirs["changes"]):
        diffs.append("deals")
    return diffs


def check_trend(ours: pd.DataFrame, ref: pd.DataFrame) -> list[str]:
    diffs = []
    for col in ("open_count", "open_amount", "weighted_pipeline", "won_month_to_date", "quota_month", "coverage"):
        if len(ours) != len(ref) or not all(_same(x, y) for x, y in zip(ours[col], ref[col])):
            diffs.append(col)
    return diffs


# --- runs ----------------------------------------------------------------------------------------------------

def ours_movement(con, a_id: int, b_id: int) -> dict:
    flt = Filter()
    # what the page computes: the summary (with its per-rep sums) and the deals that changed
    return {"summary": movement.movement_summary(con, flt, a_id, b_id),
            "deals": movement.movement_deals(con, flt, a_id, b_id, limit_per_reason=SHOWN_ROWS)}


def render_cold(folder: Path, path: Path) -> tuple[float, float, float]:
    """The pipeline page rendered through AppTest on the workspace file: (first render of the process, with its
    imports and the file's first reads; cold: result cache cleared; warm: cached)."""
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    os.environ["COCKPIT_WORKSPACES"] = str(folder)
    link = folder / f"{WORKSPACE}.duckdb"
    if link.resolve() != path.resolve():
        if link.exists() or link.is_symlink():
            link.unlink()
        link.symlink_to(path.resolve())
    at = AppTest.from_file(str(common.REPO / "app.py"), default_timeout=300)
    at.session_state["workspace"] = WORKSPACE
    at.session_state["granted_workspaces"] = {WORKSPACE}  # as its private link would (ui.state.grant)
    at.run()
    at.switch_page("pages/pipeline.py")
    times = []
    for clear in (True, True, False):
        if clear:
            st.cache_data.clear()
        t0 = time.perf_counter()
        at.run(timeout=300)
        times.append(time.perf_counter() - t0)
        if at.exception:
            raise RuntimeError(f"pipeline page raised: {at.exception[0].message}")
    return times[0], times[1], times[2]


def run(path: Path, folder: Path, with_render: bool = True) -> list[Result]:
    con = duckdb.connect(str(path), read_only=True)
    snaps = con.execute("SELECT snapshot_id FROM snapshots ORDER BY snapshot_date").fetchall()
    ids = [s[0] for s in snaps]
    n_rows = con.execute("SELECT count(*) FROM opportunities").fetchall()[0][0]
    size = f"{len(ids)} snapshots, {n_rows / 1e6:.1f}M rows"
    log("loading the snapshot rows into pandas (untimed)")
    opp, stages, snap_frame = load(con)
    targets = con.execute("SELECT owner, quota_amount, period_start FROM targets").fetchdf()
    targets["period_start"] = pd.to_datetime(targets["period_start"])
    results = []
    pairs = (("last two uploads", (ids[-2], ids[-1])), ("first and last uploads", (ids[0], ids[-1])))
    for label, (a_id, b_id) in pairs:
        t_ours, got = best_time(lambda: ours_movement(con, a_id, b_id), 3)
        t_ref, ref = best_time(lambda: pandas_movement(opp, stages, a_id, b_id), 1)
        diffs = check_movement(got, ref)
        log(f"movement {label}: ours {t_ours:.3f} s, pandas {t_ref:.3f} s, differences: {diffs or 'none'}")
        results.append(Result(f"movement, {label} ({size})", t_ours, t_ref, GOAL, valid=not diffs,
                              note=("differ: " + ", ".join(diffs)) if diffs else
                              f"same numbers; {got['summary']['changed_count']:,} deals changed"))
    t_ours, got = best_time(lambda: movement.pipeline_trend(con, Filter()), 3)
    t_ref, ref = best_time(lambda: pandas_trend(opp, stages, snap_frame, targets), 1)
    diffs = check_trend(got, ref)
    log(f"trend: ours {t_ours:.3f} s, pandas {t_ref:.3f} s, differences: {diffs or 'none'}")
    results.append(Result(f"pipeline trend over every upload ({size})", t_ours, t_ref, GOAL, valid=not diffs,
                          note=("differ: " + ", ".join(diffs)) if diffs else "same numbers"))
    con.close()
    if with_render:
        first, cold, warm = render_cold(folder, path)
        log(f"render pipeline page: first {first:.2f} s, cold {cold:.2f} s, warm {warm:.2f} s")
        results.append(Result(f"render pipeline page (cold) at {size}", cold, None, RENDER_GOAL_S, kind="max",
                              note=f"result cache cleared; first render of the process (imports, first reads of"
                                   f" the file) {first:.2f} s; warm (cached) {warm:.2f} s"))
    results.append(Result("peak memory of the movement bench", peak_rss_mb(), None, 0, kind="info", unit="MB",
                          note="pandas holds every snapshot row"))
    return results


def main() -> None:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--workspace", type=Path, help="an existing generated workspace file (else one is generated)")
    p.add_argument("--weeks", type=int, default=WEEKS)
    p.add_argument("--deals", type=int, default=DEALS)
    p.add_argument("--no-render", action="store_true")
    args = p.parse_args()
    with workdir(args.workdir) as folder:
        path = args.workspace or build(folder / "movement.duckdb", args.weeks, args.deals)
        report(run(path, folder, not args.no_render), args.json)


if __name__ == "__main__":
    main()
