"""What moved in the pipeline between two uploads, how often deals slipped, and the pipeline at each upload.

Definitions (shared/PRODUCT.md, "movement between snapshots"), for two snapshots A (earlier) and B (later),
deals matched by opportunity_id (the importer derives a stable id when an export has none):

- new: in B, not in A.            won / lost: open in A, won / lost in B.    dropped: open in A, absent from B.
- reopened: in A but not open there (won, lost or no status), open in B.
- open in both: advanced / moved back (stage order higher / lower in B), slipped / pulled in (expected close
  date later / earlier in B), amount changed (the amount differs, a missing amount included; compared in the
  export's own currency when both uploads give the same one: `timeline.amount_changed_sql`).

A deal may have several changes (`changes`, all of them) and has one main reason (`reason`), the first of
REASONS that applies, so that the lists by main reason add up to the deals that changed.

The waterfall is exact (DECIMAL sums, no float):

    open_amount_before + new_amount + reopened_amount - won_amount - lost_amount - dropped_amount
        + amount_change = open_amount_after

where every amount is a snapshot's own: what entered (new, reopened) at B's amount, what left (won, lost,
dropped) at A's amount, and the deals open in both by B's amount minus A's (amount_change, the net of the
re-quotes). A deal converted at import from another currency whose amount in that currency did not change moved
with the exchange rate only: it is no "amount changed" and its difference is a step of its own (rate_change,
+ rate_change in the identity, present only when some deal moved so). A missing amount counts as 0 on both sides, so that the identity holds whatever the data; the
deals concerned are counted in `missing_amount_count` for the page to say so. `new_amount` counts the new deals
open in B (a deal created and closed between the uploads is new but never was in the open pipeline).

Selection by a filter (owner, team, segment, region, source): a deal present in B is selected by what B says of it
(its owner in B), a deal absent from B (dropped) by what A said. A deal handed from rep X to rep Y between the
uploads is therefore Y's: it is in Y's movement with A's figures as its starting point (Y's "open before"
includes it), and not in X's. Each rep's waterfall adds up, and the reps' waterfalls add up to the team's.
The period filter does not apply: the two snapshots are the period.
"""
from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pandas as pd

from analytics import selection, timeline
from analytics.filters import Filter, _add_months, _month_end

# Main reason, highest rank first (the order).
REASONS = ("won", "lost", "dropped", "new", "reopened", "pulled_in", "slipped", "amount_changed", "advanced",
           "moved_back")
# Every change, as the flags of `pair_cte` (same names as the reasons).
CHANGES = ("new", "won", "lost", "dropped", "reopened", "advanced", "moved_back", "slipped", "pulled_in",
           "amount_changed")
# The waterfall's steps: (key, sign) from A's open amount to B's.
WATERFALL = (("new", 1), ("reopened", 1), ("won", -1), ("lost", -1), ("dropped", -1), ("amount_change", 1))


class MovementError(ValueError):
    """Two snapshots cannot be compared; `key` is the interface string that says why."""

    def __init__(self, key: str, **params):
        super().__init__(key)
        self.key = key
        self.params = params


def _dimensions_only(flt: Filter) -> Filter:
    return replace(flt, start=None, end=None)


def pair_cte(flt: Filter, a_id: int, b_id: int) -> tuple[str, list]:
    """CTEs ending in `pair`: one row per selected deal of A or B with both sides and the change flags
    (the filter's dimensions; its period is not applied). Public so that other views read a deal's two sides
    the way this module defines them (`WITH {pair} SELECT ... FROM pair`) without building every column of
    `movement_deals`.

    Both sides come from the snapshot timeline (analytics/timeline.py) read over A and B only: B's rows with
    their previous upload (A's row, when A held the deal), and A's rows that B does not follow (dropped)."""
    tl, p_tl = timeline.timeline_cte(only=(a_id, b_id), name="_mv_tl")
    # in B: selected by B's columns; absent from B (dropped): by A's
    on_b, p_b = selection.dimension_conditions(_dimensions_only(flt), "x")
    on_a, p_a = selection.dimension_conditions(_dimensions_only(flt), "x")
    sql = (
        f"{tl},"
        # one pass over the timeline: B's rows (A's side from their previous upload) and A's rows that no B row
        # follows (dropped, or closed in A and gone); `x.snapshot_id = b` tells which
        " joined AS (SELECT x.opportunity_id, x.name, x.account,"
        "  CASE WHEN x.in_b THEN coalesce(x.owner, x.prev_owner) ELSE x.owner END AS owner,"
        "  CASE WHEN x.in_b THEN x.prev_owner ELSE x.owner END AS owner_before,"
        "  CASE WHEN x.in_b THEN x.owner END AS owner_after,"
        "  CASE WHEN x.in_b THEN x.prev_stage ELSE x.stage END AS stage_before,"
        "  CASE WHEN x.in_b THEN x.stage END AS stage_after,"
        "  CASE WHEN x.in_b THEN x.prev_stage_order ELSE x.stage_order END AS order_before,"
        "  CASE WHEN x.in_b THEN x.stage_order END AS order_after,"
        "  CASE WHEN x.in_b THEN x.prev_status ELSE x.status END AS status_before,"
        "  CASE WHEN x.in_b THEN x.status END AS status_after,"
        "  CASE WHEN x.in_b THEN x.prev_amount ELSE x.amount END AS amount_before,"
        "  CASE WHEN x.in_b THEN x.amount END AS amount_after,"
        "  CASE WHEN x.in_b THEN x.prev_close_date ELSE x.close_date END AS close_before,"
        "  CASE WHEN x.in_b THEN x.close_date END AS close_after,"
        "  CASE WHEN x.in_b THEN x.prev_probability ELSE x.probability END AS probability_before,"
        "  CASE WHEN x.in_b THEN x.probability END AS probability_after,"
        "  NOT x.in_b OR x.prev_snapshot_id IS NOT NULL AS in_a, x.in_b,"
        "  coalesce(CASE WHEN x.in_b THEN x.prev_status ELSE x.status END = 'open', false) AS open_a,"
        "  x.in_b AND coalesce(x.status = 'open', false) AS open_b,"
        f"  x.in_b AND x.prev_snapshot_id IS NOT NULL AND {timeline.amount_changed_sql('x.prev_', 'x.')} AS requoted"
        "  FROM (SELECT *, snapshot_id = ? AS in_b FROM _mv_tl) x"
        f"  WHERE (x.in_b AND {on_b}) OR (NOT x.in_b AND x.next_snapshot_id IS NULL AND {on_a})),"
        " flagged AS (SELECT *,"
        "  NOT in_a AS is_new,"
        "  open_a AND coalesce(status_after = 'won', false) AS is_won,"
        "  open_a AND in_b AND NOT open_b AND NOT coalesce(status_after = 'won', false) AS is_lost,"
        "  open_a AND NOT in_b AS is_dropped,"
        "  in_a AND NOT open_a AND open_b AS is_reopened,"
        "  open_a AND open_b AND coalesce(order_after > order_before, false) AS is_advanced,"
        "  open_a AND open_b AND coalesce(order_after < order_before, false) AS is_moved_back,"
        "  open_a AND open_b AND coalesce(close_after > close_before, false) AS is_slipped,"
        "  open_a AND open_b AND coalesce(close_after < close_before, false) AS is_pulled_in,"
        "  open_a AND open_b AND requoted AS is_amount_changed,"
        # converted at import with the day's rate: the amount moved, the deal was not re-quoted
        "  open_a AND open_b AND NOT requoted AND amount_before IS DISTINCT FROM amount_after AS is_rate_changed,"
        "  in_a AND in_b AND owner_before IS DISTINCT FROM owner_after AS owner_changed"
        "  FROM joined),"
        " pair AS (SELECT *,"
        "  CASE " + " ".join(f"WHEN is_{r} THEN '{r}'" for r in REASONS) + " END AS reason,"
        "  CASE WHEN open_a AND open_b THEN coalesce(amount_after, 0) - coalesce(amount_before, 0)"
        "   END AS amount_change"
        "  FROM flagged)"
    )
    return sql, p_tl + [b_id] + p_b + p_a


# Every change of a deal, comma-separated in the order of CHANGES (only for the deals listed).
_CHANGES_SQL = "concat_ws(',', " + ", ".join(f"CASE WHEN is_{c} THEN '{c}' END" for c in CHANGES) + ")"


SUM_KEYS = (
    ["open_count_before", "open_amount_before", "open_count_after", "open_amount_after", "new_amount",
     "reopened_amount", "won_amount", "lost_amount", "dropped_amount", "amount_change", "advanced_amount",
     "moved_back_amount", "slipped_amount", "pulled_in_amount", "amount_changed_amount", "new_closed_count",
     "changed_count", "owner_changed_count", "missing_amount_count", "rate_change", "rate_changed_count"]
    + [f"{c}_count" for c in CHANGES] + [f"reason_{r}_count" for r in REASONS]
)
_FLAGS = ["open_a", "open_b", *(f"is_{c}" for c in CHANGES), "is_rate_changed", "owner_changed"]


def _owner_sums(con, flt: Filter, a_id: int, b_id: int) -> list[dict]:
    """SUM_KEYS per owner (the deal's owner in B, else in A), amounts as exact Decimal, sorted by owner.

    The database groups the deals by owner and by their combination of flags (a few hundred rows, with the
    count and the exact sums of A's amount, B's amount and the change); each combination then adds its count
    and sums to every movement whose flag it carries. Four sums instead of forty-five keep it fast.
    """
    cte, params = pair_cte(flt, a_id, b_id)
    sql = (
        f"WITH {cte} SELECT owner, {', '.join(_FLAGS)},"
        " (open_a AND amount_before IS NULL) OR (open_b AND amount_after IS NULL) AS missing,"
        " count(*), sum(coalesce(amount_before, 0)), sum(coalesce(amount_after, 0)), sum(amount_change)"
        " FROM pair GROUP BY ALL"
    )
    zero = Decimal("0.00")
    reps: dict = {}
    for row in con.execute(sql, params).fetchall():
        owner, flags, (missing, n, sum_a, sum_b, change) = row[0], dict(zip(_FLAGS, row[1:-5])), row[-5:]
        sum_a, sum_b, change = Decimal(sum_a), Decimal(sum_b), Decimal(change or 0)
        r = reps.setdefault(owner, {k: (0 if k.endswith("_count") else zero) for k in SUM_KEYS})
        open_a, open_b = flags["open_a"], flags["open_b"]
        if open_a:
            r["open_count_before"] += n
            r["open_amount_before"] += sum_a
        if open_b:
            r["open_count_after"] += n
            r["open_amount_after"] += sum_b
        # entries at B's amount, exits at A's (a new deal already closed in B never entered the open pipeline)
        if flags["is_new"] and open_b:
            r["new_amount"] += sum_b
        if flags["is_new"] and not open_b:
            r["new_closed_count"] += n
        for step in ("reopened", "advanced", "moved_back", "slipped", "pulled_in"):
            if flags[f"is_{step}"]:
                r[f"{step}_amount"] += sum_b
        for step in ("won", "lost", "dropped"):
            if flags[f"is_{step}"]:
                r[f"{step}_amount"] += sum_a
        # a deal whose amount moved with the exchange rate only is a step of its own, not a re-quote
        if flags["is_rate_changed"]:
            r["rate_change"] += change
            r["rate_changed_count"] += n
        else:
            r["amount_change"] += change
        if flags["is_amount_changed"]:
            r["amount_changed_amount"] += change
        for c in CHANGES:
            if flags[f"is_{c}"]:
                r[f"{c}_count"] += n
        reason = next((x for x in REASONS if flags[f"is_{x}"]), None)
        if reason is not None:
            r["changed_count"] += n
            r[f"reason_{reason}_count"] += n
        if flags["owner_changed"]:
            r["owner_changed_count"] += n
        if missing:
            r["missing_amount_count"] += n
    return [{"owner": owner} | reps[owner] for owner in sorted(reps, key=lambda o: (o is None, str(o)))]


# --- which two snapshots -------------------------------------------------------------------------------------

def snapshot_date(con, snapshot_id: int) -> date | None:
    rows = con.execute("SELECT snapshot_date FROM snapshots WHERE snapshot_id = ?", [snapshot_id]).fetchall()
    return rows[0][0] if rows else None


def resolve_pair(con, start: date | None = None, end: date | None = None) -> tuple[int, int]:
    """(A, B): the snapshots on or before `start` and `end`; by default the last two uploads.

    Raises MovementError("movement.need_two") with fewer than two snapshots, ("movement.no_snapshot_before",
    day=...) when a date precedes every snapshot, ("movement.same_snapshot") when both dates fall on one
    snapshot and ("movement.order") when A is later than B.
    """
    snaps = selection.snapshots(con)
    if len(snaps) < 2:
        raise MovementError("movement.need_two")
    ids = [int(s) for s in snaps["snapshot_id"]]
    if end is None:
        b_id = ids[-1]
    else:
        b_id = selection.snapshot_on_or_before(con, end)
        if b_id is None:
            raise MovementError("movement.no_snapshot_before", day=end)
    if start is None:
        earlier = ids[: ids.index(b_id)]
        if not earlier:
            raise MovementError("movement.same_snapshot")
        a_id = earlier[-1]
    else:
        a_id = selection.snapshot_on_or_before(con, start)
        if a_id is None:
            raise MovementError("movement.no_snapshot_before", day=start)
    if a_id == b_id:
        raise MovementError("movement.same_snapshot")
    if ids.index(a_id) > ids.index(b_id):
        raise MovementError("movement.order")
    return a_id, b_id


# --- movement ------------------------------------------------------------------------------------------------

def movement_summary(con, flt: Filter, a_id: int, b_id: int) -> dict:
    """Counts and exact amounts (Decimal) of each movement from A to B, the waterfall, and the same per rep.

    Keys: a_id, b_id, a_date, b_date; open_count_before/after, open_amount_before/after; for each change
    `<change>_count` (every deal with that change); new/reopened/won/lost/dropped `_amount` and amount_change
    (the waterfall's steps, see the module docstring); advanced/moved_back/slipped/pulled_in `_amount` (B's
    amount of their deals) and amount_changed_amount (their net change); `reason_<reason>_count` (deals by main
    reason, adding up to changed_count); new_closed_count, owner_changed_count, missing_amount_count;
    waterfall: [{step, amount (signed)}] from "open_before" to "open_after", whose amounts add up exactly;
    reps: the same counts and amounts per owner ([{owner, ...}], sorted by owner), whose sums are the team's.
    """
    reps = _owner_sums(con, flt, a_id, b_id)
    keys = SUM_KEYS
    out = {"a_id": a_id, "b_id": b_id, "a_date": snapshot_date(con, a_id), "b_date": snapshot_date(con, b_id)}
    for key in keys:
        out[key] = sum((r[key] for r in reps), 0 if key.endswith("_count") else Decimal("0.00"))
    out["waterfall"] = waterfall(out)
    out["reps"] = reps
    return out


def waterfall(summary: dict) -> list[dict]:
    """The steps from A's open amount to B's: [{step, amount}] with exits negative, and "rate_change" (deals
    converted at import whose amount moved with the exchange rate only) when there is one. The last step
    ("open_after") equals the first plus every change, exactly."""
    steps = [{"step": "open_before", "amount": summary["open_amount_before"]}]
    for key, sign in WATERFALL:
        value = summary[key if key == "amount_change" else f"{key}_amount"]
        steps.append({"step": key, "amount": value if sign > 0 else -value})
    if summary.get("rate_changed_count"):  # only where amounts converted at import moved with the rate
        steps.append({"step": "rate_change", "amount": summary["rate_change"]})
    steps.append({"step": "open_after", "amount": summary["open_amount_after"]})
    return steps


DEAL_COLUMNS = [
    "opportunity_id", "name", "account", "owner", "owner_before", "reason", "changes", "stage_before",
    "stage_after", "status_before", "status_after", "amount_before", "amount_after", "amount_change",
    "close_before", "close_after", "probability_before", "probability_after", "owner_changed",
]


def movement_deals(con, flt: Filter, a_id: int, b_id: int, changed_only: bool = True, reason: str | None = None,
                   limit_per_reason: int | None = None) -> pd.DataFrame:
    """One row per selected deal (only those that changed unless `changed_only` is False; only those whose main
    reason is `reason` when given): DEAL_COLUMNS, `changes` as a comma-separated list of CHANGES, `reason` the
    main one (None when nothing changed). Sorted by main reason rank, then by the larger of the two amounts,
    largest first. `limit_per_reason` keeps the first rows of each reason (what a page shows)."""
    if reason is not None and reason not in REASONS:
        raise ValueError(f"unknown reason {reason!r}")
    cte, params = pair_cte(flt, a_id, b_id)
    rank = "CASE reason " + " ".join(f"WHEN '{r}' THEN {i}" for i, r in enumerate(REASONS)) + " END"
    size = "greatest(coalesce(amount_before, 0), coalesce(amount_after, 0))"
    columns = ", ".join(f"{_CHANGES_SQL} AS changes" if c == "changes" else c for c in DEAL_COLUMNS)
    order = f" ORDER BY {rank} NULLS LAST, {size} DESC, opportunity_id"
    if limit_per_reason is None:
        where = (["reason IS NOT NULL"] if changed_only else []) + (["reason = ?"] if reason is not None else [])
        sql = f"WITH {cte} SELECT {columns} FROM pair{' WHERE ' + ' AND '.join(where) if where else ''}{order}"
        return con.execute(sql, params + ([reason] if reason is not None else [])).fetchdf()
    # The first rows of each reason: the deals that moved are set aside once (MATERIALIZED: else each branch
    # would recompute the join), then one top-N per reason (a heap each) rather than sorting every deal that
    # moved; the list of changes is written for the rows kept only. Reasons are REASONS' words, not user text.
    reasons = [reason] if reason is not None else list(REASONS)
    parts = " UNION ALL ".join(
        f"(SELECT * FROM moved WHERE reason = '{r}' ORDER BY {size} DESC, opportunity_id LIMIT ?)" for r in reasons)
    sql = (f"WITH {cte}, moved AS MATERIALIZED (SELECT * FROM pair WHERE reason IS NOT NULL), firsts AS ({parts})"
           f" SELECT {columns} FROM firsts{order}")
    return con.execute(sql, params + [int(limit_per_reason)] * len(reasons)).fetchdf()


def movement_by_rep(con, flt: Filter, a_id: int, b_id: int) -> pd.DataFrame:
    """The summary's counts and amounts per rep (the deal's owner in B, else in A), one row per owner, sorted
    by owner. Amount columns are float64 (for tables and charts); each row's waterfall adds up."""
    return rep_frame(_owner_sums(con, flt, a_id, b_id))


def rep_frame(reps: list[dict]) -> pd.DataFrame:
    """`movement_summary(...)["reps"]` as a DataFrame: counts as integers, amounts as float64."""
    df = pd.DataFrame(reps, columns=["owner", *SUM_KEYS])
    for col in df.columns:
        if col != "owner":
            df[col] = df[col].astype("int64" if col.endswith("_count") else "float64")
    return df


def largest_movements(summary: dict, n: int = 4) -> list[dict]:
    """The `n` waterfall steps that moved the most money (absolute amount), largest first, with their count:
    [{step, amount, count}]; steps that moved nothing are left out."""
    counts = {"new": "new_count", "reopened": "reopened_count", "won": "won_count", "lost": "lost_count",
              "dropped": "dropped_count", "amount_change": "amount_changed_count"}
    steps = [dict(s, count=summary[counts[s["step"]]]) for s in summary["waterfall"] if s["step"] in counts]
    steps = [s for s in steps if s["amount"] != 0 or s["count"]]
    return sorted(steps, key=lambda s: (-abs(s["amount"]), -s["count"]))[:n]


# --- slips over every upload ---------------------------------------------------------------------------------

def slip_counts(con, flt: Filter, snapshot_id: int | None = None) -> pd.DataFrame:
    """For each deal of a snapshot (the latest by default; filter as `selection.deals_cte`), how many times its
    expected close date moved later between two consecutive uploads where it was open in both, over every
    upload up to that snapshot.

    Columns: opportunity_id, name, owner, status, amount, close_date (now), first_close_date (at its first
    upload), uploads (how many snapshots held it), slips; most slips first.
    """
    snap = snapshot_id if snapshot_id is not None else selection.latest_snapshot_id(con)
    cols = ["opportunity_id", "name", "owner", "status", "amount", "close_date", "first_close_date", "uploads",
            "slips"]
    if snap is None:
        return pd.DataFrame(columns=cols)
    cte, params = selection.deals_cte(_dimensions_only(flt), snap)
    tl, p_tl = timeline.timeline_cte(upto=snap, deals="deals")  # every upload up to the snapshot, these deals only
    sql = (
        f"WITH {cte}, {tl},"
        " s AS (SELECT opportunity_id, count(*) AS uploads, arg_min(close_date, snapshot_date) AS first_close_date,"
        "  count(*) FILTER (WHERE prev_status = 'open' AND status = 'open' AND close_date > prev_close_date) AS slips"
        "  FROM timeline GROUP BY opportunity_id)"
        " SELECT d.opportunity_id, d.name, d.owner, d.status, d.amount, d.close_date, s.first_close_date,"
        "  s.uploads, s.slips FROM deals d JOIN s ON s.opportunity_id = d.opportunity_id"
        " ORDER BY s.slips DESC, d.amount DESC NULLS LAST, d.opportunity_id"
    )
    return con.execute(sql, params + p_tl).fetchdf()[cols]


# --- the pipeline at each upload -----------------------------------------------------------------------------

HISTORY_MONTHS = 12  # the past months whose conversion sets the coverage needed


def needed_coverage(con, flt: Filter, months: int = HISTORY_MONTHS) -> dict:
    """The coverage this team needs, from its own history: 1 / the won-amount conversion of the pipeline open
    at the start of past months.

    For each of the last `months` full calendar months M before the latest upload, read in the latest snapshot
    (filter's dimensions): the pipeline open at M's start = deals created before it and not closed before it
    (open now, or won / lost on or after it), at their amount now; what it converted = those of them won
    during M. conversion = sum of won / sum of open over the months pooled; needed = 1 / conversion.
    Months before the first created deal are skipped. Deals deleted from the CRM before the latest upload are
    not seen (a past snapshot would show them): the conversion is a little optimistic.

    Returns {needed, conversion, months (used), open_amount, won_amount}; needed and conversion are None
    when no month had open pipeline or nothing was won from it.
    """
    latest = selection.latest_snapshot_id(con)
    empty = {"needed": None, "conversion": None, "months": 0, "open_amount": None, "won_amount": None}
    if latest is None:
        return empty
    today = snapshot_date(con, latest)
    first = today.replace(day=1)
    starts = [_add_months(first, -k) for k in range(months, 0, -1)]
    ends = [_month_end(s) for s in starts]
    cte, params = selection.deals_cte(_dimensions_only(flt), latest)
    sql = (
        f"WITH {cte}, m AS (SELECT unnest(CAST(? AS DATE[])) AS m_start, unnest(CAST(? AS DATE[])) AS m_end),"
        " per AS (SELECT m.m_start,"
        "  sum(coalesce(d.amount, 0)) FILTER (WHERE d.created_date < m.m_start"
        "   AND (d.status = 'open' OR d.outcome_date >= m.m_start)) AS open_amount,"
        "  sum(coalesce(d.amount, 0)) FILTER (WHERE d.created_date < m.m_start AND d.status = 'won'"
        "   AND d.outcome_date BETWEEN m.m_start AND m.m_end) AS won_amount"
        "  FROM m CROSS JOIN deals d GROUP BY m.m_start"
        "  HAVING m.m_start > (SELECT min(created_date) FROM deals))"
        " SELECT count(*) FILTER (WHERE open_amount > 0), sum(open_amount), sum(won_amount),"
        "  CASE WHEN sum(open_amount) > 0 THEN sum(won_amount) / sum(open_amount) END FROM per"
    )
    used, open_amount, won_amount, conversion = con.execute(sql, [*params, starts, ends]).fetchall()[0]
    conversion = float(conversion) if conversion is not None else None
    return {
        "needed": (1.0 / conversion) if conversion else None,
        "conversion": conversion,
        "months": int(used or 0),
        "open_amount": float(open_amount) if open_amount is not None else None,
        "won_amount": float(won_amount) if won_amount is not None else None,
    }


TREND_COLUMNS = [
    "snapshot_id", "snapshot_date", "open_count", "open_amount", "weighted_pipeline", "won_month_to_date",
    "quota_month", "remaining_quota", "coverage", "coverage_weighted",
]


def pipeline_trend(con, flt: Filter) -> pd.DataFrame:
    """One row per upload, oldest first: the open pipeline (count, amount, weighted: amount x probability, the
    data's else the stage's), won so far in the upload's calendar month (won deals whose outcome date falls
    between the 1st and the upload), that month's quota (prorated targets, team = sum of reps) and coverage =
    open pipeline / (quota - won so far), raw and weighted (NaN without a quota or once it is reached).

    The coverage here counts the whole open pipeline, whatever its expected close date, because the coverage
    needed (`needed_coverage`) is measured on the whole pipeline open at the start of past months (their
    expected close dates then are not kept); the flash page's coverage counts the deals closing in the period.
    Each snapshot is read through `selection.deals_cte` with the filter's dimensions as they were that day.
    """
    snaps = selection.snapshots(con)
    if snaps.empty:
        return pd.DataFrame(columns=TREND_COLUMNS)
    dims = _dimensions_only(flt)
    # Two scans of every snapshot's deals, each cut down to the rows it needs before any join: the open deals,
    # and the deals won within the month of the upload that holds them.
    open_cte, p_open = selection.deals_cte(dims, selection.ALL_SNAPSHOTS, "open_deals")
    won_cte, p_won = selection.deals_cte(dims, selection.ALL_SNAPSHOTS, "won_deals")
    sql = (
        f"WITH {open_cte}, {won_cte},"
        " s AS (SELECT snapshot_id, snapshot_date, CAST(date_trunc('month', snapshot_date) AS DATE) AS month_start"
        "  FROM snapshots),"
        " o AS (SELECT snapshot_id, count(*) AS open_count, sum(amount) AS open_amount,"
        "  sum(amount * probability) AS weighted_pipeline FROM open_deals WHERE status = 'open' GROUP BY 1),"
        " w AS (SELECT d.snapshot_id, sum(d.amount) AS won_month_to_date FROM won_deals d JOIN s USING (snapshot_id)"
        "  WHERE d.status = 'won' AND d.outcome_date >= s.month_start AND d.outcome_date <= s.snapshot_date"
        "  GROUP BY 1)"
        " SELECT s.snapshot_id, s.snapshot_date, coalesce(o.open_count, 0) AS open_count,"
        " coalesce(o.open_amount, 0) AS open_amount, coalesce(o.weighted_pipeline, 0) AS weighted_pipeline,"
        " coalesce(w.won_month_to_date, 0) AS won_month_to_date"
        " FROM s LEFT JOIN o USING (snapshot_id) LEFT JOIN w USING (snapshot_id)"
        " ORDER BY s.snapshot_date, s.snapshot_id"
    )
    params = p_open + p_won
    df = con.execute(sql, params).fetchdf()
    months = sorted({d.replace(day=1) for d in pd.to_datetime(df["snapshot_date"]).dt.date})
    quotas = _month_quotas(con, dims, months)
    df["quota_month"] = [quotas.get(pd.Timestamp(d).date().replace(day=1)) for d in df["snapshot_date"]]
    df["quota_month"] = pd.to_numeric(df["quota_month"], errors="coerce").astype("float64")
    for col in ("open_amount", "weighted_pipeline", "won_month_to_date"):
        df[col] = df[col].astype("float64")
    df["remaining_quota"] = df["quota_month"] - df["won_month_to_date"]
    left = df["remaining_quota"].where(df["remaining_quota"] > 0)
    df["coverage"] = df["open_amount"] / left
    df["coverage_weighted"] = df["weighted_pipeline"] / left
    df["snapshot_date"] = pd.to_datetime(df["snapshot_date"]).dt.date
    return df[TREND_COLUMNS]


def _month_quotas(con, dims: Filter, months: list[date]) -> dict[date, float]:
    """The team's (or the filter's) quota of each calendar month: targets prorated to the month."""
    from analytics.measures.kpis import kpi_table  # the one quota definition (prorated, team = sum of reps)

    if not months:
        return {}
    df = kpi_table(con, replace(dims, start=min(months), end=_month_end(max(months))), "month")
    return {pd.Timestamp(k).date(): float(q) for k, q in zip(df["key"], df["quota"]) if pd.notna(q)}


__all__ = [
    "REASONS", "CHANGES", "MovementError", "resolve_pair", "movement_summary", "movement_deals", "movement_by_rep",
    "largest_movements", "slip_counts", "needed_coverage", "pipeline_trend", "waterfall",
]
