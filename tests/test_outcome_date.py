"""A closed deal without a closed date (issue 16): dated by its expected close date, but never after the upload
that shows it closed (it read the expected close date, possibly in the future).

One upload, 20 May 2026:
  L1  ann  lost  close date 31 July 2026 (expected, in the future), no closed date  -> outcome 20 May 2026
  L2  ann  lost  close date 10 May 2026, no closed date                             -> outcome 10 May 2026
  W1  ann  won   close date 30 June 2026, closed date 12 May 2026                   -> outcome 12 May 2026
"""
from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from analytics import selection
from analytics.filters import Filter
from analytics.measures import kpis
from tests.funnel_data import workspace

DEALS = [("L1", "ann", "lost", "lost", 1000, "2026-03-01", "2026-07-31"),
         ("L2", "ann", "lost", "lost", 1000, "2026-03-01", "2026-05-10"),
         ("W1", "ann", "won", "won", 1000, "2026-03-01", "2026-06-30")]


@pytest.fixture
def con():
    con = workspace([("2026-05-20", DEALS)])
    con.execute("UPDATE opportunities SET closed_date = DATE '2026-05-12' WHERE opportunity_id = 'W1'")
    return con


def test_a_lost_deal_is_not_dated_after_the_upload_that_shows_it_lost(con):
    deals = selection.deals(con)
    got = dict(zip(deals.opportunity_id, pd.to_datetime(deals.outcome_date).dt.date))
    assert got["L1"] == date(2026, 5, 20)  # it read 31 July 2026, after the upload
    assert got["L2"] == date(2026, 5, 10) and got["W1"] == date(2026, 5, 12)


def test_the_deal_counts_in_the_month_it_was_lost_in(con):
    may = kpis.flash_kpis(con, Filter(date(2026, 5, 1), date(2026, 5, 31)))
    # lost in May: L1 (bounded to 20 May) and L2 -> 2; win rate 1 / (1 + 2)
    assert may["lost_count"] == 2 and may["win_rate"] == pytest.approx(1 / 3)
