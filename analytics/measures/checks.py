"""Data checks, each defined once: the flash page's alerts and the import's quality report read the same
definitions, so that "overdue" or "probability inversion" count the same deals in both.

Each check takes a Filter (the quality report passes an unfiltered one) and returns the deals it flags,
from `selection.deals_cte` (the latest snapshot unless `snapshot_id` says otherwise).
"""
from __future__ import annotations

from datetime import date

import pandas as pd

from analytics.filters import Filter
from analytics.selection import LATEST_SNAPSHOT, deals_cte


def overdue_deals(con, flt: Filter, today: date, snapshot_id: int | None = None) -> pd.DataFrame:
    """Open deals whose expected close date is before `today` (the snapshot's date for the quality report,
    the workspace's reference date on the flash page).

    Columns: opportunity_id, name, owner, stage, amount, close_date, days_overdue; the oldest first.
    """
    cte, params = deals_cte(flt, snapshot_id)
    sql = (
        f"WITH {cte} SELECT d.opportunity_id, d.name, d.owner, d.stage, d.amount, d.close_date,"
        " date_diff('day', d.close_date, CAST(? AS DATE)) AS days_overdue"
        " FROM deals d WHERE d.status = 'open' AND d.close_date < CAST(? AS DATE)"
        " ORDER BY d.close_date, d.opportunity_id"
    )
    return con.execute(sql, params + [today, today]).fetchdf()


def probability_inversions(con, flt: Filter, snapshot_id: int | None = None) -> pd.DataFrame:
    """Open deals whose probability, as the CRM states it, is lower than the typical (median) stated
    probability of the open deals of an earlier stage, across the whole snapshot: a stale or optimistic stage.

    Only probabilities the export gives are compared (a stage's default probability says nothing about the
    deal). Columns: opportunity_id, name, owner, stage, amount, probability, earlier_stage, earlier_typical
    (the earlier stage with the highest typical probability above the deal's); latest stages first.
    """
    cte, params = deals_cte(flt, snapshot_id)
    snap = "?" if snapshot_id is not None else LATEST_SNAPSHOT
    snap_params = [snapshot_id] if snapshot_id is not None else []
    sql = (
        f"WITH {cte},"
        " typical AS (SELECT o.stage, any_value(s.stage_order) AS stage_order, median(o.probability) AS typical"
        "  FROM opportunities o JOIN stages s ON s.stage = o.stage"
        f"  WHERE o.snapshot_id = {snap} AND o.status = 'open' AND o.probability IS NOT NULL GROUP BY o.stage)"
        " SELECT d.opportunity_id, d.name, d.owner, d.stage, d.amount, d.probability_given AS probability,"
        "  t.stage AS earlier_stage, t.typical AS earlier_typical"
        " FROM deals d JOIN typical t ON t.stage_order < d.stage_order AND d.probability_given < t.typical"
        " WHERE d.status = 'open'"
        " QUALIFY row_number() OVER (PARTITION BY d.opportunity_id ORDER BY t.typical DESC, t.stage_order) = 1"
        " ORDER BY d.stage_order DESC, d.probability_given, d.opportunity_id"
    )
    return con.execute(sql, params + snap_params).fetchdf()
