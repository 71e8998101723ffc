"""The snapshot timeline: one row per deal and upload, with what the deal's previous upload said of it.

Every view that reads a deal across uploads reads it here instead of pairing snapshots its own way: movement
between two uploads (analytics/views/movement.py), slips over every upload, amount cuts (the deals to work on),
stays measured between uploads (analytics/measures/stays.py) and the highest stage any upload showed
(analytics/measures/reached.py). The outcome date of a closed deal without a closed date is bounded by the first
upload that showed it closed (`refresh_closed_seen`, written once per import into opportunities.closed_seen, so no
query scans every upload for it), else by the date of the upload read (`selection.deals_cte`).

- the uploads read are ordered by date, then id (the order `selection.snapshots` uses); `upto` keeps those up to
  one upload, `only` exactly the ones given (two, for the movement between them);
- "previous" is the deal's own previous row among the uploads read (window functions over its rows): a deal
  absent from an upload in between keeps its last known state; `next_snapshot_id` is NULL on its last row;
- the columns are those of `selection.deals_cte` (owner, team and region resolved as that snapshot says, the
  effective probability), plus currency, amount_original, and prev_* for owner, stage, stage_order, status,
  amount, amount_original, currency, close_date and probability;
- an amount changed (`AMOUNT_CHANGED`) when the deal was re-quoted: compared in the currency of the export
  (amount_original) when both uploads state the same foreign currency, else in the workspace's currency. An
  amount converted at import with the day's rate has not changed when only the rate moved.
"""
from __future__ import annotations

from typing import Sequence

from analytics.filters import Filter
from analytics.selection import ALL_SNAPSHOTS, deals_cte

# The columns a timeline row carries from its previous upload (prev_<column>).
PREVIOUS = ("owner", "stage", "stage_order", "status", "amount", "amount_original", "currency", "close_date",
            "probability", "snapshot_id", "snapshot_date")


def _same_currency(b: str, a: str) -> str:
    return (f"{b}currency IS NOT NULL AND {b}currency = {a}currency AND {b}amount_original IS NOT NULL"
            f" AND {a}amount_original IS NOT NULL")


def amount_changed_sql(before: str = "prev_", after: str = "") -> str:
    """SQL (code only) true when a deal's amount differs between two sides whose columns are prefixed `before`
    and `after` (amount, amount_original, currency): in the export's own currency when both sides state the same
    one (a rate that moved is no re-quote), else in the workspace's currency (a missing amount included)."""
    b, a = before, after
    return (f"(CASE WHEN {_same_currency(b, a)} THEN {b}amount_original <> {a}amount_original"
            f" ELSE {b}amount IS DISTINCT FROM {a}amount END)")


def amount_cut_sql(before: str = "prev_", after: str = "") -> str:
    """SQL (code only) true when the amount is lower on the `after` side than on the `before` side, compared as
    `amount_changed_sql` compares (a fall of the exchange rate is no cut); NULL when either amount is missing."""
    b, a = before, after
    return (f"(CASE WHEN {_same_currency(b, a)} THEN {a}amount_original < {b}amount_original"
            f" ELSE {a}amount < {b}amount END)")


AMOUNT_CHANGED = amount_changed_sql()
AMOUNT_CUT = amount_cut_sql()


def timeline_cte(upto: int | None = None, only: Sequence[int] | None = None, name: str = "timeline",
                 deals: str | None = None) -> tuple[str, list]:
    """`..., name AS (SELECT ...)`: one row per deal and upload (see the module docstring), every deal of the
    workspace (no filter: a view selects by what the upload it reads says, see movement).

    `upto`: only the uploads up to this one (by date, then id); `only`: exactly these uploads. `deals` (the name
    of a CTE written in code with an opportunity_id column) keeps only those deals before the windows run, so
    that the work grows with the deals a view reads. Columns: those of `selection.deals_cte`, snapshot_date,
    currency, amount_original, upload (1 for the first upload read), prev_<PREVIOUS>, next_snapshot_id.

    Two uploads (`only` of two, given oldest first, no `upto`): the same rows from two hash joins of the uploads
    rather than a window sorted by deal (what the movement page reads, at 100 000 deals a snapshot).
    """
    if only is not None and upto is None and len(set(only)) == 2:
        a, b = (int(i) for i in dict.fromkeys(only))
        return _two_uploads_cte((a, b), name, deals)
    return _window_cte(upto, only, name, deals)


def _two_uploads_cte(ids: tuple[int, int], name: str, deals: str | None) -> tuple[str, list]:
    """`timeline_cte` over two uploads (earlier, later) by joins: the later upload's rows with the earlier's as
    previous, the earlier's with the later's id as next. Each side reads its own upload (a filter on one
    snapshot id, which the scan prunes), as the movement page did before the timeline."""
    earlier, later = ids
    e_sql, e_params = deals_cte(Filter(), earlier, f"{name}_e0", extra=("currency", "amount_original"))
    l_sql, l_params = deals_cte(Filter(), later, f"{name}_l0", extra=("currency", "amount_original"))
    keep = f" WHERE r.opportunity_id IN (SELECT opportunity_id FROM {deals})" if deals is not None else ""
    prev = ", ".join(f"e.{c} AS prev_{c}" for c in PREVIOUS)
    none = ", ".join(f"NULL AS prev_{c}" for c in PREVIOUS)
    sql = (
        f"{e_sql}, {l_sql},"
        f" {name}_e AS (SELECT r.*, s.snapshot_date FROM {name}_e0 r JOIN snapshots s ON s.snapshot_id = r.snapshot_id{keep}),"
        f" {name}_l AS (SELECT r.*, s.snapshot_date FROM {name}_l0 r JOIN snapshots s ON s.snapshot_id = r.snapshot_id{keep}),"
        f" {name} AS (SELECT l.*, CASE WHEN e.opportunity_id IS NULL THEN 1 ELSE 2 END AS upload, {prev},"
        f"  CAST(NULL AS INTEGER) AS next_snapshot_id"
        f"  FROM {name}_l l LEFT JOIN {name}_e e ON e.opportunity_id = l.opportunity_id"
        f"  UNION ALL BY NAME SELECT e.*, 1 AS upload, {none},"
        f"  CASE WHEN e.opportunity_id IN (SELECT opportunity_id FROM {name}_l) THEN CAST(? AS INTEGER) END"
        f"  AS next_snapshot_id FROM {name}_e e)"
    )
    return sql, e_params + l_params + [later]


def _window_cte(upto, only, name, deals) -> tuple[str, list]:
    rows, params = deals_cte(Filter(), ALL_SNAPSHOTS, f"{name}_rows", extra=("currency", "amount_original"))
    conditions, where_params = [], []
    if only is not None:
        ids = [int(i) for i in only]
        conditions.append(f"r.snapshot_id IN ({', '.join('?' for _ in ids)})")
        where_params += ids
    if upto is not None:
        conditions.append("(sn.snapshot_date < u.snapshot_date"
                          " OR (sn.snapshot_date = u.snapshot_date AND sn.snapshot_id <= u.snapshot_id))")
    if deals is not None:
        conditions.append(f"r.opportunity_id IN (SELECT opportunity_id FROM {deals})")
    upto_join, upto_params = "", []
    if upto is not None:
        upto_join = " CROSS JOIN (SELECT snapshot_date, snapshot_id FROM snapshots WHERE snapshot_id = ?) u"
        upto_params = [int(upto)]
    window = "OVER (PARTITION BY r.opportunity_id ORDER BY sn.snapshot_date, sn.snapshot_id)"
    prev = ", ".join(f"lag({'sn' if c == 'snapshot_date' else 'r'}.{c}) {window} AS prev_{c}" for c in PREVIOUS)
    sql = (
        f"{rows}, {name} AS (SELECT r.*, sn.snapshot_date, row_number() {window} AS upload, {prev},"
        f" lead(r.snapshot_id) {window} AS next_snapshot_id"
        f" FROM {name}_rows r JOIN snapshots sn ON sn.snapshot_id = r.snapshot_id{upto_join}"
        f" WHERE {' AND '.join(conditions) or 'TRUE'})"
    )
    return sql, params + upto_params + where_params


def timeline(con, upto: int | None = None, only: Sequence[int] | None = None):
    """The timeline as a DataFrame (small workspaces, tests), by deal then upload."""
    cte, params = timeline_cte(upto, only)
    return con.execute(f"WITH {cte} SELECT * FROM timeline ORDER BY opportunity_id, snapshot_date, snapshot_id",
                       params).fetchdf()


def refresh_closed_seen(con, snapshot_id: int | None = None) -> None:
    """Write opportunities.closed_seen: on every won or lost row without a closed date, the date of the first upload
    of the deal's current closed streak (its rows ordered by upload; a row open again starts a new streak, so a deal
    reopened and lost again is dated from its second loss). Only the deals that have such a row are read; the
    import calls it inside its transaction, after its rows are written.

    snapshot_id: only the deals that upload holds (their streaks are the only ones it can change when it added a
    snapshot and removed no row); None reads every such deal."""
    only = " AND opportunity_id IN (SELECT opportunity_id FROM opportunities WHERE snapshot_id = $sid)"
    con.execute(
        "UPDATE opportunities AS o SET closed_seen = c.seen FROM ("
        " SELECT opportunity_id, snapshot_id, min(CASE WHEN status IN ('won', 'lost') THEN snapshot_date END)"
        "  OVER (PARTITION BY opportunity_id, streak) AS seen"
        " FROM (SELECT x.opportunity_id, x.snapshot_id, x.status, sn.snapshot_date,"
        "  count(*) FILTER (WHERE x.status IS NULL OR x.status NOT IN ('won', 'lost')) OVER ("
        "   PARTITION BY x.opportunity_id ORDER BY sn.snapshot_date, sn.snapshot_id ROWS UNBOUNDED PRECEDING) AS streak"
        "  FROM opportunities x JOIN snapshots sn ON sn.snapshot_id = x.snapshot_id"
        "  WHERE x.opportunity_id IN (SELECT opportunity_id FROM opportunities"
        "   WHERE status IN ('won', 'lost') AND closed_date IS NULL" + (only if snapshot_id is not None else "")
        + "))) c"
        " WHERE o.opportunity_id = c.opportunity_id AND o.snapshot_id = c.snapshot_id"
        " AND o.status IN ('won', 'lost') AND o.closed_date IS NULL AND o.closed_seen IS DISTINCT FROM c.seen",
        {"sid": snapshot_id} if snapshot_id is not None else None)
