"""Forecast reliability: the probabilities and amounts announced in an earlier upload against what happened.

Definitions (shared/PRODUCT.md, "forecast reliability"). The base is an earlier snapshot (the earliest by
default, else the one on or before a chosen date); the outcome is read in the latest snapshot.

- the deals judged: open in the base, won or lost in the latest (deals still open or gone are not judged);
  selected by the filter as the base says (their owner then: the rep who announced the probability).
- announced probability: the base's effective probability (the data's, else the stage's default).
- Brier score = mean of (p - outcome)^2 with outcome 1 for won, 0 for lost: 0 is perfect, 0.25 is what always
  announcing 50 % scores.
- calibration: per probability band (BANDS), the deals, their mean announced probability and the share won.
- announced_amount = sum of base amount x announced probability over the judged deals (what the weighted
  forecast said they would bring); won_amount = the latest amount of those of them won.
- slip rate = deals of the base expected to close before the latest upload (base close date earlier than the
  latest snapshot's date) that are still open in it / all those expected by then that it still holds.
- fewer than MIN_DEALS judged deals (or expected deals for the slip rate): the figure is None and `too_few`
  says why, instead of a number that chance alone could make.

With a single upload, stage history stands in where it can (`method` = "stage_history"): the deals of the
upload open on the base date (their last stage entered by then is an open one) and closed since, each with the
default probability of the stage it was in (the export does not keep past probabilities), and no slip rate
(past close dates are not kept). The base date is then `as_of`, else STAGE_HISTORY_DAYS before the upload.
Such a Brier score judges the stages' default probabilities on the rep's mix of stages, not what the rep
announced: `brier_kind` is then "stage_mix" (else "announced") and the pages label it so.

Deals without an owner are a row of their own among the reps (`no_owner` True), never mixed with the team's.
"""
from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pandas as pd

from analytics import selection
from analytics.filters import Filter

MIN_DEALS = 10  # below it one deal moves a Brier score by up to 0.1: chance, not a habit
BANDS = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)  # [0, 20 %), [20, 40 %) ... [80, 100 %]
STAGE_HISTORY_DAYS = 91  # a quarter back from a single upload


def _dimensions_only(flt: Filter) -> Filter:
    return replace(flt, start=None, end=None)


def _snapshot_date(con, sid: int) -> date:
    return con.execute("SELECT snapshot_date FROM snapshots WHERE snapshot_id = ?", [sid]).fetchall()[0][0]


def base(con, as_of: date | None = None) -> dict:
    """Which comparison the reliability reads: {method, base_id, base_date, latest_id, latest_date}.

    method "snapshots": base_id is the earliest snapshot (or the one on or before `as_of`) and is earlier than
    the latest; "stage_history": one usable snapshot only, but stage history was given (base_date is the date
    the stages are read on); None: nothing to judge with (`reason` then says "forecast.need_two_uploads").
    """
    latest = selection.latest_snapshot_id(con)
    out = {"method": None, "base_id": None, "base_date": None, "latest_id": latest, "latest_date": None,
           "reason": "forecast.need_two_uploads"}
    if latest is None:
        return out
    out["latest_date"] = _snapshot_date(con, latest)
    if as_of is None:
        snaps = selection.snapshots(con)
        base_id = int(snaps["snapshot_id"].iloc[0])
    else:
        base_id = selection.snapshot_on_or_before(con, as_of)
    if base_id is not None and base_id != latest:
        return out | {"method": "snapshots", "base_id": base_id, "base_date": _snapshot_date(con, base_id),
                      "reason": None}
    if con.execute("SELECT count(*) FROM stage_history").fetchall()[0][0] > 0:
        day = as_of if as_of is not None and as_of < out["latest_date"] else \
            out["latest_date"] - timedelta(days=STAGE_HISTORY_DAYS)
        return out | {"method": "stage_history", "base_date": day, "reason": None}
    if base_id is None:
        out["reason"] = "forecast.no_snapshot_before"
    return out


def _judged_cte(flt: Filter, b: dict) -> tuple[str, list]:
    """CTEs ending in `f`: one row per deal open on the base date, with owner, p (announced), amount
    (announced), closed, won (0/1, NULL unless closed), won_amount, expected (bool: due before the latest upload,
    NULL when unknown), still_open."""
    flt = _dimensions_only(flt)
    last, p_last = selection.deals_cte(Filter(), b["latest_id"], "last")
    if b["method"] == "snapshots":
        first, p_first = selection.deals_cte(flt, b["base_id"], "first")
        sql = (
            f"{first}, {last},"
            " f AS (SELECT d.opportunity_id, d.owner, d.probability AS p, d.amount,"
            "  l.status IN ('won', 'lost') AS closed,"
            "  CASE WHEN l.status = 'won' THEN 1 WHEN l.status = 'lost' THEN 0 END AS won,"
            "  CASE WHEN l.status = 'won' THEN l.amount END AS won_amount,"
            "  l.opportunity_id IS NOT NULL AND d.close_date < ? AS expected,"
            "  coalesce(l.status = 'open', false) AS still_open"
            "  FROM first d LEFT JOIN last l ON l.opportunity_id = d.opportunity_id"
            "  WHERE d.status = 'open' AND d.probability IS NOT NULL)"  # a stage without a default: nothing announced
        )
        return sql, p_first + p_last + [b["latest_date"]]
    # stage history: the deals of the latest upload, in the stage they had last entered by the base date
    now, p_now = selection.deals_cte(flt, b["latest_id"], "now")
    sql = (
        f"{now},"
        " h AS (SELECT sh.opportunity_id, arg_max(sh.stage, sh.entered_at) AS stage FROM stage_history sh"
        "  WHERE CAST(sh.entered_at AS DATE) <= ? GROUP BY sh.opportunity_id),"
        " f AS (SELECT d.opportunity_id, d.owner, s.default_probability AS p, d.amount,"
        "  d.status IN ('won', 'lost') AS closed,"
        "  CASE WHEN d.status = 'won' THEN 1 WHEN d.status = 'lost' THEN 0 END AS won,"
        "  CASE WHEN d.status = 'won' THEN d.amount END AS won_amount,"
        "  CAST(NULL AS BOOLEAN) AS expected, d.status = 'open' AS still_open"
        "  FROM now d JOIN h ON h.opportunity_id = d.opportunity_id JOIN stages s ON s.stage = h.stage"
        "  WHERE s.status = 'open')"
    )
    return sql, p_now + [b["base_date"]]


_SUMS = (
    "count(*) FILTER (WHERE closed) AS deals,"
    " count(*) FILTER (WHERE won = 1) AS won_count,"
    " count(*) FILTER (WHERE won = 0) AS lost_count,"
    " count(*) FILTER (WHERE still_open) AS still_open_count,"
    " avg(power(p - won, 2)) FILTER (WHERE closed) AS brier,"
    " avg(p) FILTER (WHERE closed) AS mean_probability,"
    " avg(won) FILTER (WHERE closed) AS win_rate,"
    " coalesce(sum(amount * p) FILTER (WHERE closed), 0) AS announced_amount,"
    " coalesce(sum(won_amount), 0) AS won_amount,"
    " count(*) FILTER (WHERE expected) AS expected_count,"
    " count(*) FILTER (WHERE expected AND still_open) AS slipped_count"
)


def _plain_row(row: dict, method: str) -> dict:
    out = {}
    for key, value in row.items():
        if key.endswith("_count") or key == "deals":
            out[key] = int(value or 0)
        elif value is None or key == "owner":
            out[key] = value
        else:
            out[key] = float(value)
    out["too_few"] = out["deals"] < MIN_DEALS
    if out["too_few"]:
        out["brier"] = out["win_rate"] = out["mean_probability"] = None
    # optimism: announced minus realised (+0.3 = announces 30 points more than it wins)
    out["optimism"] = None if out["too_few"] else out["mean_probability"] - out["win_rate"]
    out["amount_ratio"] = out["won_amount"] / out["announced_amount"] if out["announced_amount"] else None
    if method != "snapshots":
        out["slip_rate"] = None
    elif out["expected_count"] < MIN_DEALS:
        out["slip_rate"] = None
    else:
        out["slip_rate"] = out["slipped_count"] / out["expected_count"]
    return out


def reliability(con, flt: Filter, as_of: date | None = None) -> dict:
    """The team's and each rep's reliability (see the module docstring).

    Returns {method, base_date, latest_date, reason, min_deals, brier_kind, team: {...}, reps: [{owner, no_owner,
    ...}]} (no_owner: the row of the deals without an owner, owner None), where each
    of team and reps holds deals (judged), won_count, lost_count, still_open_count, brier, mean_probability,
    win_rate, optimism (mean announced - share won), announced_amount, won_amount, amount_ratio (won /
    announced), expected_count, slipped_count, slip_rate, too_few. Reps sorted by name (a spread to discuss,
    not a ranking). team and reps are empty when method is None.
    """
    b = base(con, as_of)
    out = {k: b[k] for k in ("method", "base_date", "latest_date", "reason")} | {"min_deals": MIN_DEALS}
    out["brier_kind"] = brier_kind(b["method"])
    if b["method"] is None:
        return out | {"team": {}, "reps": []}
    cte, params = _judged_cte(flt, b)
    cur = con.execute(f"WITH {cte} SELECT owner, {_SUMS} FROM f GROUP BY GROUPING SETS ((), (owner))"
                      " ORDER BY grouping(owner) DESC, owner", params)
    names = [d[0] for d in cur.description]
    rows = [dict(zip(names, r)) for r in cur.fetchall()]
    team = _plain_row({k: v for k, v in rows[0].items() if k != "owner"}, b["method"]) if rows else {}
    reps = [_plain_row(r, b["method"]) | {"no_owner": r["owner"] is None} for r in rows[1:]]
    return out | {"team": team, "reps": reps}


def brier_kind(method: str | None) -> str | None:
    """What a Brier score measures: "announced" (the probabilities an earlier upload announced) or, from a single
    upload read through the stage history, "stage_mix" (the stages' default probabilities on the deals' stages)."""
    return {"snapshots": "announced", "stage_history": "stage_mix"}.get(method)


def calibration(con, flt: Filter, as_of: date | None = None) -> pd.DataFrame:
    """Announced against realised, per probability band, for the team and each rep.

    Columns: row ("team", "rep" or "no_owner": the deals without an owner, never mixed with the team's rows),
    owner (None on team and no_owner rows), band (0..4), band_low, band_high, deals, announced (mean announced
    probability), realised (share won). Bands with no judged deal are absent. A few dozen rows: ready for a chart.
    """
    b = base(con, as_of)
    cols = ["row", "owner", "band", "band_low", "band_high", "deals", "announced", "realised"]
    if b["method"] is None:
        return pd.DataFrame(columns=cols)
    cte, params = _judged_cte(flt, b)
    n = len(BANDS) - 1
    sql = (
        f"WITH {cte}, j AS (SELECT owner, p, won, least(CAST(floor(p * {n}) AS INTEGER), {n - 1}) AS band"
        "  FROM f WHERE closed AND p IS NOT NULL)"
        " SELECT CASE WHEN grouping(owner) = 1 THEN 'team' WHEN owner IS NULL THEN 'no_owner' ELSE 'rep' END AS row,"
        "  owner, band, count(*) AS deals, avg(p) AS announced, avg(won) AS realised FROM j"
        " GROUP BY GROUPING SETS ((band), (owner, band)) ORDER BY grouping(owner) DESC, owner NULLS LAST, band"
    )
    df = con.execute(sql, params).fetchdf()
    df["band_low"] = [BANDS[int(i)] for i in df["band"]]
    df["band_high"] = [BANDS[int(i) + 1] for i in df["band"]]
    return df[cols]
