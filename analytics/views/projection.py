"""Where the period will land: a projection from the team's own history, with its range and its backtest.

At the as-of upload T (the latest snapshot on or before the chosen day) of the period [S, E] (month, fiscal quarter
or fiscal year holding T):

    central = won so far + from_open + from_new

- won so far: the KPI registry's won amount of the period, read in that upload (analytics/measures/kpis.py);
- from_open: each open deal x the probability that such a deal closes won by E, measured on the team's own
  history (the selection's dimensions without the rep: a rep's deals are judged by the team's record):
    1. past uploads whose own period has ended by T ("looks", the latest MAX_LOOK_UPLOADS): the deals open in
       them, by stage, due date ("overdue": expected before the upload's day, "in": by the period's end, or
       "later"), slip count (times its close date moved later from one upload to the next, 0 / 1 / 2+) and age in
       stage (under 30 days / 30-89 / 90+; since the deal last entered that funnel stage in the stage history when
       given, else since it was first seen there in the uploads read), won by the end of that upload's period as
       the as-of upload says; finest class first, then (stage, due), then (due), each needing MIN_OBS deals;
       rates are by amount (won amount / amount: a large deal that wins less often weighs what it brings);
    2. else the stage history: the deals open at the same day of each past period (last stage entered by then),
       by stage and age in stage, then by stage alone, whatever their due date, won by that period's end;
    3. else the CRM's probability (the data's, else the stage default) for deals whose expected close date falls
       in the period, nothing for the others: the naive call's own reading, and `sources` says so.
- from_new: the amount won in each past period by deals created after the same day of it (the same weeks of the
  past periods), averaged over up to PAST_PERIODS periods.
- low / high: the 10th and 90th percentiles of SIMS draws: each open deal won or not with its probability, the sum
  scaled by one past look's realised / expected ratio (the swing of whole periods, which independent draws per deal
  leave out: with thousands of deals they alone give a range far too narrow), plus one past period's new business
  drawn at random; seeded, so the same workspace gives the same range.
- naive: won so far + the weighted pipeline due in the period (the registry's weighted_in_period): the call the
  reps' own probabilities make.

Backtest: the same projection made at each past upload whose period has ended by T, against the amount won in
that period as T's upload says: mean absolute error in % of what was won, share of outcomes inside [low, high],
and the naive call's error beside it. No past period at all (every deal dated in the period): `reason` says that
it cannot project and every figure is None.
"""
from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import numpy as np
import pandas as pd

from analytics import selection, settings
from analytics.filters import Filter, period_bounds
from analytics.measures import kpis, stays
from analytics.views import forecast

PERIODS = ("month", "quarter", "year")
PAST_PERIODS = {"month": 12, "quarter": 8, "year": 3}  # past periods read for new business and stage history
MIN_OBS = 20  # a class of fewer past deals borrows the next coarser class's rate
MAX_LOOK_UPLOADS = 13  # past uploads read as looks: a quarter of weekly uploads is thousands of deals
MAX_BACKTEST = 12  # past uploads re-projected by the backtest
SIMS = 2000
MAX_DRAWS = 20_000_000  # deals x draws above this: the range uses the normal approximation of the same sum
SEED = 19
LOW_Q, HIGH_Q = 10, 90
MIN_LOOKS = 2  # past looks needed before their swing widens the range
AGE_BUCKETS = (30, 90)  # days in stage: [0, 30), [30, 90), 90+
SOURCES = ("uploads", "history", "crm")

_LEVELS = (  # (source, class columns), finest first
    ("uploads", ("stage", "due", "slips", "age")),
    ("uploads", ("stage", "due")),
    ("uploads", ("due",)),
    ("history", ("stage", "age")),
    ("history", ("stage",)),
)


def period_of(flt: Filter, fiscal_start: int = 1) -> str:
    """The preset whose bounds the filter's period is exactly (a whole fiscal quarter or year), else "month"."""
    if flt.start is not None and flt.end is not None:
        for preset in ("quarter", "year"):
            if period_bounds(preset, flt.start, fiscal_start) == (flt.start, flt.end):
                return preset
    return "month"


def _snapshot(con, as_of: date | None) -> tuple[int, date] | None:
    sid = selection.snapshot_on_or_before(con, as_of) if as_of is not None else selection.latest_snapshot_id(con)
    if sid is None:
        return None
    day = con.execute("SELECT snapshot_date FROM snapshots WHERE snapshot_id = ?", [sid]).fetchall()[0][0]
    return sid, day


def _past_periods(period: str, start: date, today: date, first_day: date | None,
                  fiscal_start: int) -> list[tuple[date, date, date]]:
    """(start, look, end) of up to PAST_PERIODS past periods: look is the same day of that period as `today` is
    of the current one (its last day at most); periods whose look falls before the data's first day are left
    out (they would count as periods without business)."""
    out, offset, cursor = [], (today - start).days, start
    for _ in range(PAST_PERIODS[period]):
        s, e = period_bounds(period, cursor - timedelta(days=1), fiscal_start)
        look = min(s + timedelta(days=offset), e)
        if first_day is None or look < first_day:
            break
        out.append((s, look, e))
        cursor = s
    return out


def _age_sql(column: str) -> str:
    return (f"CASE WHEN {column} IS NULL OR {column} < {AGE_BUCKETS[0]} THEN 0"
            f" WHEN {column} < {AGE_BUCKETS[1]} THEN 1 ELSE 2 END")


def _upload_looks(con, flt_team: Filter, sid: int, today: date, period: str, fiscal_start: int,
                  owner: str | None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(training classes, open deals now), from one read of the uploads.

    Training: one row per past upload (look) and class (stage, due, slips, age) of the deals open in the past
    uploads whose period ended by `today` (the latest MAX_LOOK_UPLOADS), with n (deals), wins, amount and
    won_amount (won by that period's end, as upload `sid` says).
    Now: the open deals of upload `sid` (of `owner` when given) with the same class columns, owner, amount,
    in_period (expected close date within the period) and p_crm (the data's probability, else the stage default).

    Slips: the times the deal's expected close date was later than in the upload before, over the uploads read.
    Age in stage: since the deal last entered that funnel stage in the stage history, else since the first upload
    read that saw it there.
    """
    snaps = con.execute(
        "SELECT snapshot_id, snapshot_date FROM snapshots WHERE snapshot_date <= ? ORDER BY snapshot_date DESC,"
        " snapshot_id DESC", [today]).fetchall()
    looks = []
    for snap_id, day in snaps:
        start, end = period_bounds(period, day, fiscal_start)
        if snap_id == sid or (end < today and len(looks) < MAX_LOOK_UPLOADS + 1):
            looks.append((int(snap_id), day, start, end))
    looks.reverse()  # oldest first: each look's previous upload is the one before it in the list
    ids, days, starts, ends = ([x[i] for x in looks] for i in range(4))
    previous = [None] + ids[:-1]
    deals, p_deals = selection.deals_cte(flt_team, selection.ALL_SNAPSHOTS)
    fin, p_fin = selection.deals_cte(Filter(), sid, "fin")
    history = con.execute("SELECT count(*) > 0 FROM stage_history").fetchall()[0][0]
    if history:
        # the last time the deal entered that funnel stage by the look (entries after the as-of day unknown then)
        # (the latest entry on or before the look: a join and a max per look and deal, what an as-of join gives,
        # without sorting both sides)
        sh = (" h AS (SELECT hash(opportunity_id) AS oid, stage, CAST(entered_at AS DATE) AS entered"
              "  FROM stage_history WHERE CAST(entered_at AS DATE) <= $today"
              "  AND hash(opportunity_id) IN (SELECT oid FROM o)),"
              " sh AS (SELECT o.snapshot_id, o.oid, max(h.entered) AS entered FROM o JOIN h ON h.oid = o.oid"
              "  AND h.stage = o.stage AND h.entered <= o.look_date GROUP BY ALL),")
        age_from = "coalesce(sh.entered, fs.first_in_stage)"
        join = " LEFT JOIN sh ON sh.oid = o.oid AND sh.snapshot_id = o.snapshot_id"
    else:
        sh, age_from, join = "", "fs.first_in_stage", ""
    age_days = f"date_diff('day', {age_from}, o.look_date)"
    # group-bys and joins rather than windows over the deals of every upload (a window partitioned by deal over
    # millions of rows is what made this slow), on a 64-bit hash of the deal's id rather than the text
    sql = (
        f"WITH {deals}, {fin},"
        " k AS (SELECT unnest(CAST($ids AS INTEGER[])) AS snapshot_id, unnest(CAST($prev AS INTEGER[])) AS prev_id,"
        "  unnest(CAST($days AS DATE[])) AS look_date, unnest(CAST($starts AS DATE[])) AS period_start,"
        "  unnest(CAST($ends AS DATE[])) AS period_end),"
        " o AS MATERIALIZED (SELECT d.snapshot_id, k.prev_id, hash(d.opportunity_id) AS oid, d.opportunity_id, d.owner, d.stage, d.amount,"
        "  d.probability, d.close_date, k.look_date, k.period_start, k.period_end"
        "  FROM deals d JOIN k ON k.snapshot_id = d.snapshot_id WHERE d.status = 'open'),"
        " fs AS (SELECT oid, stage, min(look_date) AS first_in_stage FROM o GROUP BY ALL),"
        " ev AS (SELECT a.oid, a.look_date FROM o a JOIN o b ON b.oid = a.oid"
        "  AND b.snapshot_id = a.prev_id WHERE a.close_date > b.close_date),"
        " sl AS (SELECT o.oid, o.snapshot_id, count(*) AS slip_count FROM o JOIN ev"
        "  ON ev.oid = o.oid AND ev.look_date <= o.look_date GROUP BY ALL),"
        f"{sh}"
        " f AS MATERIALIZED (SELECT o.snapshot_id, o.opportunity_id, o.owner, o.stage,"
        "  CAST(o.amount AS DOUBLE) AS amount, o.probability AS p_crm,"
        "  CASE WHEN o.close_date < o.look_date THEN 'overdue' WHEN o.close_date <= o.period_end THEN 'in'"
        "  ELSE 'later' END AS due, coalesce(o.close_date BETWEEN o.period_start AND o.period_end, false) AS in_period,"
        "  least(coalesce(sl.slip_count, 0), 2) AS slips,"
        f"  {_age_sql(age_days)} AS age,"
        "  coalesce(fin.status = 'won' AND fin.outcome_date <= o.period_end, false) AS won"
        f"  FROM o{join} LEFT JOIN fs ON fs.oid = o.oid AND fs.stage = o.stage"
        "  LEFT JOIN sl ON sl.oid = o.oid AND sl.snapshot_id = o.snapshot_id"
        "  LEFT JOIN (SELECT hash(opportunity_id) AS oid, status, outcome_date FROM fin) fin ON fin.oid = o.oid)"
        " SELECT 'train' AS part, snapshot_id AS look, stage, due, slips, age, count(*) AS n,"
        "  sum(CAST(won AS INTEGER)) AS wins, sum(amount) AS amount,"
        "  coalesce(sum(amount) FILTER (WHERE won), 0) AS won_amount FROM f WHERE snapshot_id <> $sid GROUP BY ALL"
        " UNION ALL BY NAME"
        " SELECT 'now' AS part, opportunity_id, owner, stage, due, in_period, slips, age, amount, p_crm FROM f"
        "  WHERE snapshot_id = $sid AND ($owner IS NULL OR owner = $owner)"
    )
    params = {"ids": ids, "prev": previous, "days": days, "starts": starts, "ends": ends, "sid": sid,
              "owner": owner}
    if history:
        params["today"] = today
    # deals_cte uses positional parameters: rewrite them as named ones
    both = con.execute(*_named(sql, p_deals + p_fin, params)).fetchdf()
    train_cols = ["look", "stage", "due", "slips", "age", "n", "wins", "amount", "won_amount"]
    now_cols = ["opportunity_id", "owner", "stage", "due", "in_period", "slips", "age", "amount", "p_crm"]
    train = both.loc[both["part"] == "train", train_cols].reset_index(drop=True)
    now = both.loc[both["part"] == "now", now_cols].sort_values("opportunity_id").reset_index(drop=True)
    for frame in (train, now):
        for col in ("slips", "age"):
            frame[col] = frame[col].astype("int64")
    train[["n", "wins"]] = train[["n", "wins"]].astype("int64")
    now["in_period"] = now["in_period"].astype(bool)
    return train, now


def _named(sql: str, positional: list, named: dict) -> tuple[str, dict]:
    """`sql` with each `?` of the shared CTEs replaced by a named parameter $p0, $p1... (DuckDB does not mix
    the two styles), and the parameters as one dict."""
    parts = sql.split("?")
    out = parts[0]
    params = dict(named)
    for i, part in enumerate(parts[1:]):
        out += f"$p{i}" + part
        params[f"p{i}"] = positional[i]
    return out, params


def _history_looks(con, flt_team: Filter, sid: int, today: date,
                   past: list[tuple[date, date, date]]) -> pd.DataFrame:
    """One row per class (stage, age) of the deals open at the look day of each past period according to the
    stage history known on `today` (their last funnel stage entered by then is an open one), with n and wins
    (won after the look and by that period's end, as upload `sid` says). Empty without stage history."""
    empty = _EMPTY_HISTORY
    if not past or not con.execute("SELECT count(*) > 0 FROM stage_history").fetchall()[0][0]:
        return empty
    deals, p_deals = selection.deals_cte(flt_team, sid)
    # only deals that can be open at a look: still open, or closed after the first look
    kept = ("kd AS (SELECT opportunity_id, status, outcome_date, created_date, amount FROM deals"
            " WHERE (status = 'open' OR outcome_date >= $first) AND created_date <= $last),")
    if stays.islands_as_of(con, today):
        # the same stays, merged once per data version at import (analytics/measures/stays.py): the history
        # known on the as-of day is the whole history; a stay that ended by the first look or began after the
        # last one holds no look
        st = (" st AS (SELECT opportunity_id, key AS stage, CAST(entered AS DATE) AS entered,"
              f"  coalesce(CAST(left_at AS DATE), DATE '9999-12-31') AS left_on FROM {stays.TABLE}"
              "  WHERE CAST(entered AS DATE) <= $last AND (left_at IS NULL OR CAST(left_at AS DATE) > $first)),")
    else:
        st = (" e AS (SELECT h.opportunity_id, h.stage, h.entered_at, lag(h.stage) OVER (PARTITION BY h.opportunity_id"
              "  ORDER BY h.entered_at) AS before FROM stage_history h WHERE CAST(h.entered_at AS DATE) <= $today"
              "  AND h.opportunity_id IN (SELECT opportunity_id FROM kd)),"
              " st AS (SELECT opportunity_id, stage, CAST(entered_at AS DATE) AS entered,"
              "  coalesce(CAST(lead(entered_at) OVER (PARTITION BY opportunity_id ORDER BY entered_at) AS DATE),"
              "  DATE '9999-12-31') AS left_on FROM e WHERE before IS DISTINCT FROM stage),")
    sql = (
        f"WITH {deals}, {kept}"
        " p AS (SELECT unnest(CAST($looks AS DATE[])) AS look_date, unnest(CAST($ends AS DATE[])) AS period_end),"
        # stays: a funnel stage entered (two CRM sub-stages of one stage are one stay) until the next one entered,
        # as known on the as-of day; each look falls in at most one stay per deal (a range join, no deal x look grid)
        f"{st}"
        " f AS (SELECT p.look_date, st.stage, date_diff('day', st.entered, p.look_date) AS days,"
        "  CAST(d.amount AS DOUBLE) AS amount,"
        "  d.status = 'won' AND d.outcome_date > p.look_date AND d.outcome_date <= p.period_end AS won"
        "  FROM st JOIN stages s ON s.stage = st.stage AND s.status = 'open'"
        "  JOIN kd d ON d.opportunity_id = st.opportunity_id"
        "  JOIN p ON st.entered <= p.look_date AND st.left_on > p.look_date AND d.created_date <= p.look_date)"
        f" SELECT look_date AS look, stage, {_age_sql('days')} AS age, count(*) AS n, sum(CAST(won AS INTEGER)) AS wins,"
        " sum(amount) AS amount, coalesce(sum(amount) FILTER (WHERE won), 0) AS won_amount FROM f GROUP BY ALL"
    )
    looks = [x[1] for x in past]
    values = {"looks": looks, "ends": [x[2] for x in past], "first": min(looks), "last": max(looks)}
    named = _named(sql, p_deals, values | ({"today": today} if "$today" in sql else {}))
    return con.execute(*named).fetchdf()


_EMPTY_HISTORY = pd.DataFrame(columns=["look", "stage", "age", "n", "wins", "amount", "won_amount"])


def _uncovered(now: pd.DataFrame, rates) -> bool:
    """True when some open deal has no rate from the levels `rates` holds."""
    if now.empty:
        return False
    p, _ = _apply(now.reset_index(drop=True), rates)
    return bool(np.isnan(p).any())


def _rates(train: pd.DataFrame, hist: pd.DataFrame) -> list[tuple[str, tuple[str, ...], pd.DataFrame]]:
    """Per level of _LEVELS, the classes with at least MIN_OBS past deals and their rate (wins / n)."""
    out = []
    for source, keys in _LEVELS:
        frame = train if source == "uploads" else hist
        if frame.empty:
            continue
        g = frame.groupby(list(keys), as_index=False)[["n", "wins", "amount", "won_amount"]].sum()
        g = g[(g["n"] >= MIN_OBS) & (g["amount"].astype(float) > 0)]
        if g.empty:
            continue
        # by amount: a large deal that wins less often than a small one weighs as much as it brings
        g = g.assign(rate=g["won_amount"].astype(float) / g["amount"].astype(float))
        out.append((source, keys, g[list(keys) + ["rate"]]))
    return out


def _apply(frame: pd.DataFrame, rates) -> tuple[np.ndarray, np.ndarray]:
    """The rate of each row of `frame` from the finest level of `rates` that knows its class (levels whose class
    columns `frame` lacks are skipped), and that level's source; NaN and None where no level does."""
    p = np.full(len(frame), np.nan)
    source = np.full(len(frame), None, dtype=object)
    for level_source, keys, g in rates:
        todo = np.isnan(p)
        if not todo.any():
            break
        if not set(keys) <= set(frame.columns):
            continue
        merged = frame.loc[todo, list(keys)].merge(g, on=list(keys), how="left")["rate"].to_numpy(dtype=float)
        p[todo] = merged
        source[todo & ~np.isnan(p)] = level_source
    return p, source


def _probabilities(now: pd.DataFrame, rates) -> pd.DataFrame:
    """`now` with p (the probability used) and source (uploads, history or crm)."""
    now = now.reset_index(drop=True).copy()
    p, source = _apply(now, rates)
    todo = np.isnan(p)
    # the naive call's own reading: the CRM's probability on deals due in the period, nothing on the others
    p[todo] = np.where(now.loc[todo, "in_period"].astype(bool), now.loc[todo, "p_crm"].fillna(0.0), 0.0)
    source[todo] = "crm"
    now["p"], now["source"] = p, source
    now["expected"] = now["amount"].fillna(0.0) * now["p"]
    return now


def _look_ratios(train: pd.DataFrame, hist: pd.DataFrame, rates, source: str) -> np.ndarray:
    """Per past look of `source` (an upload, or a day of the stage history): the amount its open deals won by the
    period's end / the amount the rates say they would. Their spread is the period-to-period swing that drawing
    each deal alone leaves out (a whole month that goes better or worse than usual)."""
    frame = train if source == "uploads" else hist
    if frame.empty:
        return np.array([])
    frame = frame.reset_index(drop=True)
    p, _ = _apply(frame, [r for r in rates if r[0] == source])
    frame = frame.assign(expected=frame["amount"].astype(float) * np.nan_to_num(p),
                         won_amount=frame["won_amount"].astype(float))
    looks = frame.groupby("look")[["expected", "won_amount"]].sum()
    looks = looks[looks["expected"] > 0]
    return (looks["won_amount"] / looks["expected"]).to_numpy(dtype=float)


def _new_business(con, flt: Filter, sid: int, past: list[tuple[date, date, date]]) -> pd.DataFrame:
    """Per past period (index j) and owner: the amount won after its look day by deals created after it."""
    deals, p_deals = selection.deals_cte(flt, sid)
    sql = (
        f"WITH {deals}, p AS (SELECT unnest(CAST($js AS INTEGER[])) AS j, unnest(CAST($looks AS DATE[])) AS"
        "  look_date, unnest(CAST($ends AS DATE[])) AS period_end)"
        " SELECT p.j, d.owner, sum(CAST(d.amount AS DOUBLE)) AS won FROM p JOIN deals d ON d.status = 'won'"
        "  AND d.created_date > p.look_date AND d.outcome_date > p.look_date AND d.outcome_date <= p.period_end"
        " GROUP BY ALL"
    )
    named = _named(sql, p_deals, {"js": list(range(len(past))), "looks": [x[1] for x in past],
                                  "ends": [x[2] for x in past]})
    return con.execute(*named).fetchdf()


def _range(won: float, now: pd.DataFrame, new_by_period: np.ndarray, ratios: np.ndarray, seed: int,
           sims: int) -> tuple[float, float]:
    """The LOW_Q and HIGH_Q percentiles of won + the open deals drawn won with their probability, scaled by one
    past look's realised / expected ratio drawn at random (when there are at least MIN_LOOKS), + one past period's
    new business drawn at random."""
    rng = np.random.default_rng(seed)
    amounts = now["amount"].fillna(0.0).to_numpy(dtype=float)
    p = now["p"].to_numpy(dtype=float)
    keep = (p > 0) & (amounts != 0)
    amounts, p = amounts[keep], p[keep]
    if len(p) * sims <= MAX_DRAWS:
        totals = np.zeros(sims)
        chunk = max(1, MAX_DRAWS // 10 // max(sims, 1))
        for i in range(0, len(p), chunk):
            totals += (rng.random((sims, len(p[i:i + chunk]))) < p[i:i + chunk]) @ amounts[i:i + chunk]
    else:  # many deals: their sum is normal to well under a cent of the range
        mean = float(amounts @ p)
        sd = float(np.sqrt((amounts ** 2) @ (p * (1 - p))))
        totals = rng.normal(mean, sd, sims)
    if len(ratios) >= MIN_LOOKS:
        totals = totals * rng.choice(ratios, sims)
    totals = totals + won + rng.choice(new_by_period, sims)
    return float(np.percentile(totals, LOW_Q)), float(np.percentile(totals, HIGH_Q))


def _period_figures(con, flt: Filter, sid: int, fiscal_start: int, by: str | None) -> pd.DataFrame:
    """won_amount, weighted_in_period and quota of the period from the KPI registry (one definition)."""
    return kpis.kpi_table(con, flt, by, snapshot_id=sid, fiscal_start=fiscal_start)


def _num(value):
    if value is None:
        return None
    value = float(value)
    return None if np.isnan(value) else value


def project(con, flt: Filter = Filter(), period: str = "month", as_of: date | None = None,
            fiscal_start: int | None = None, seed: int = SEED, sims: int = SIMS, reps: bool = True) -> dict:
    """The projection of the period holding the as-of upload (module docstring), for the filter's dimensions
    (its own start and end are not read).

    Returns {period: {start, end, preset}, as_of, won_to_date, from_open, from_new, central, low, high, quota,
    naive, open_deals, past_periods, sources: {uploads, history, crm: share of from_open}, reason, reps}
    where reps is a DataFrame of REP_COLUMNS (see `_reps`; skipped, empty, when `reps` is False: the backtest).
    Figures are None when unknown;
    reason is None, "projection.no_data" (no upload), "projection.no_upload_before" (none on or before `as_of`) or
    "projection.no_history" (no past period to learn from).
    """
    if period not in PERIODS:
        raise ValueError(f"unknown period {period!r}: one of {', '.join(PERIODS)}")
    fiscal_start = settings.fiscal_start(con) if fiscal_start is None else fiscal_start
    keys = ("won_to_date", "from_open", "from_new", "central", "low", "high", "quota", "naive")
    out = {k: None for k in keys} | {"period": None, "as_of": None, "open_deals": 0, "past_periods": 0,
                                      "sources": {s: None for s in SOURCES}, "reason": None,
                                      "reps": pd.DataFrame(columns=REP_COLUMNS)}
    snap = _snapshot(con, as_of)
    if snap is None:
        later = as_of is not None and selection.latest_snapshot_id(con) is not None
        return out | {"reason": "projection.no_upload_before" if later else "projection.no_data"}
    sid, today = snap
    start, end = period_bounds(period, today, fiscal_start)
    out |= {"period": {"start": start, "end": end, "preset": period}, "as_of": today}
    flt = replace(flt, start=start, end=end)
    team = replace(flt, owner=None)
    figures = _period_figures(con, flt, sid, fiscal_start, None).iloc[0]
    won = float(figures["won_amount"] or 0.0)
    out |= {"won_to_date": won, "quota": _num(figures["quota"]),
            "naive": won + float(figures["weighted_in_period"] or 0.0)}
    history_flt = replace(team, start=None, end=None)
    cte, params = selection.deals_cte(history_flt, sid)
    first_day = con.execute(f"WITH {cte} SELECT min(created_date) FROM deals", params).fetchall()[0][0]
    past = _past_periods(period, start, today, first_day, fiscal_start)
    out["past_periods"] = len(past)
    if not past:
        return out | {"reason": "projection.no_history"}
    train, now = _upload_looks(con, history_flt, sid, today, period, fiscal_start, flt.owner)
    rates = _rates(train, _EMPTY_HISTORY)
    hist = _EMPTY_HISTORY
    if _uncovered(now, rates):  # the stage history is read only when past uploads leave deals without a rate
        hist = _history_looks(con, history_flt, sid, today, past)
        rates = _rates(train, hist)
    now = _probabilities(now, rates)
    new = _new_business(con, replace(flt, start=None, end=None), sid, past)
    by_period = new.groupby("j")["won"].sum().reindex(range(len(past)), fill_value=0.0).to_numpy(dtype=float)
    from_open = float(now["expected"].sum())
    from_new = float(by_period.mean())
    # the swing of whole periods, measured on the source most of the open amount is projected from
    main = max(SOURCES, key=lambda src: now.loc[now["source"] == src, "expected"].sum()) if len(now) else "crm"
    ratios = _look_ratios(train, hist, rates, main) if main != "crm" else np.array([])
    low, high = _range(won, now, by_period, ratios, seed, sims)
    total_expected = from_open or None
    out |= {
        "from_open": from_open, "from_new": from_new, "central": won + from_open + from_new,
        "low": low, "high": high, "open_deals": int(len(now)),
        "sources": {s: (float(now.loc[now["source"] == s, "expected"].sum()) / total_expected
                        if total_expected else None) for s in SOURCES},
        "reps": _reps(con, flt, sid, fiscal_start, now, new, len(past)) if reps else out["reps"],
    }
    return out


REP_COLUMNS = ["owner", "won_to_date", "from_open", "from_new", "central", "call", "call_gap", "optimism",
               "amount_ratio"]


def _reps(con, flt: Filter, sid: int, fiscal_start: int, now: pd.DataFrame, new: pd.DataFrame,
          n_past: int) -> pd.DataFrame:
    """Per rep: the projection's parts and the rep's own call (won so far + weighted pipeline due in the
    period, the registry's figures), call_gap = call - central (positive: the rep calls more than the history
    says), and the rep's forecast reliability already measured (analytics/views/forecast.py): optimism (mean
    announced probability - share won, None under its minimum of deals) and amount_ratio (won / announced).
    Sorted by call_gap, largest first."""
    figures = _period_figures(con, flt, sid, fiscal_start, "owner").rename(columns={"key": "owner"})
    figures = figures[figures["owner"].notna()]
    df = pd.DataFrame({"owner": figures["owner"],
                       "won_to_date": figures["won_amount"].fillna(0.0).astype(float),
                       "call": (figures["won_amount"].fillna(0.0) + figures["weighted_in_period"].fillna(0.0))
                       .astype(float)})
    opened = now.groupby("owner", as_index=False)["expected"].sum().rename(columns={"expected": "from_open"})
    created = (new.groupby("owner", as_index=False)["won"].sum().assign(from_new=lambda g: g["won"] / n_past)
               [["owner", "from_new"]])
    df = df.merge(opened, on="owner", how="outer").merge(created, on="owner", how="outer")
    df = df.fillna({"won_to_date": 0.0, "call": 0.0, "from_open": 0.0, "from_new": 0.0})
    df["central"] = df["won_to_date"] + df["from_open"] + df["from_new"]
    df["call_gap"] = df["call"] - df["central"]
    df = df[(df["central"] != 0) | (df["call"] != 0)]
    reliability = forecast.reliability(con, replace(flt, owner=None))["reps"]
    measured = pd.DataFrame([{k: r.get(k) for k in ("owner", "optimism", "amount_ratio")} for r in reliability],
                            columns=["owner", "optimism", "amount_ratio"])
    df = df.merge(measured, on="owner", how="left")
    if flt.owner is not None:
        df = df[df["owner"] == flt.owner]
    return df.sort_values(["call_gap", "owner"], ascending=[False, True]).reset_index(drop=True)[REP_COLUMNS]


BACKTEST_COLUMNS = ["as_of", "start", "end", "won", "central", "low", "high", "naive", "error", "naive_error",
                    "inside"]


def backtest(con, flt: Filter = Filter(), period: str = "month", as_of: date | None = None,
             fiscal_start: int | None = None, seed: int = SEED, sims: int = SIMS) -> dict:
    """The projection made at each past upload (up to MAX_BACKTEST, latest first) whose period has ended by
    the as-of upload, against the amount won in that period as the as-of upload says.

    Returns {periods (projections judged), mae_pct (mean of |central - won| / won, in %), naive_mae_pct (the
    same for the naive call), coverage (share of outcomes inside [low, high]), better_by (naive_mae_pct -
    mae_pct: points of error the method saves), points: DataFrame of BACKTEST_COLUMNS}. Figures are None when
    no projection can be judged (no past upload in a closed period, or nothing won in them).
    """
    fiscal_start = settings.fiscal_start(con) if fiscal_start is None else fiscal_start
    out = {"periods": 0, "mae_pct": None, "naive_mae_pct": None, "coverage": None, "better_by": None,
           "points": pd.DataFrame(columns=BACKTEST_COLUMNS)}
    snap = _snapshot(con, as_of)
    if snap is None:
        return out
    sid, today = snap
    rows = []
    snaps = con.execute("SELECT snapshot_date FROM snapshots WHERE snapshot_date < ? ORDER BY snapshot_date DESC",
                        [today]).fetchall()
    for (day,) in snaps:
        start, end = period_bounds(period, day, fiscal_start)
        if end >= today:
            continue
        p = project(con, flt, period, day, fiscal_start, seed, sims, reps=False)
        if p["central"] is None:
            continue
        won = _period_figures(con, replace(flt, start=start, end=end), sid, fiscal_start, None).iloc[0]["won_amount"]
        won = float(won or 0.0)
        rows.append({"as_of": day, "start": start, "end": end, "won": won, "central": p["central"],
                     "low": p["low"], "high": p["high"], "naive": p["naive"]})
        if len(rows) >= MAX_BACKTEST:
            break
    if not rows:
        return out
    df = pd.DataFrame(rows)
    df["error"] = np.where(df["won"] > 0, (df["central"] - df["won"]).abs() / df["won"].where(df["won"] > 0), np.nan)
    df["naive_error"] = np.where(df["won"] > 0, (df["naive"] - df["won"]).abs() / df["won"].where(df["won"] > 0),
                                 np.nan)
    df["inside"] = (df["low"] <= df["won"]) & (df["won"] <= df["high"])
    judged = df[df["error"].notna()]
    out |= {"periods": int(len(df)), "points": df[BACKTEST_COLUMNS], "coverage": float(df["inside"].mean())}
    if not judged.empty:
        mae, naive = 100 * float(judged["error"].mean()), 100 * float(judged["naive_error"].mean())
        out |= {"mae_pct": mae, "naive_mae_pct": naive, "better_by": naive - mae}
    return out


def summary(con, flt: Filter = Filter(), period: str = "month", as_of: date | None = None,
            fiscal_start: int | None = None) -> dict:
    """What the flash page's tile, the CLI, the pack and the deck show: `project` with its `backtest`."""
    fiscal_start = settings.fiscal_start(con) if fiscal_start is None else fiscal_start
    out = project(con, flt, period, as_of, fiscal_start)
    return out | {"backtest": backtest(con, flt, period, as_of, fiscal_start)}
