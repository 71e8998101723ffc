"""Reviews read the snapshot timeline (issue 16): the deals-to-work "amount cut" compares with the deal's previous
upload, not with the first upload ever.

Four weekly uploads of ann's open deals (proposal, due 30 June):
  id  4 May    11 May   18 May   25 May
  C1  10 000    8 000   12 000   11 000   cut last week: 12 000 -> 11 000 (the first upload, 10 000, is lower)
  C2  10 000    6 000    6 000    6 000   cut three weeks ago, unchanged since: no cut now
"""
from __future__ import annotations

from datetime import date

import pytest

from analytics.filters import Filter
from analytics.views import reviews
from tests.funnel_data import workspace

WEEKS = ["2026-05-04", "2026-05-11", "2026-05-18", "2026-05-25"]
AMOUNTS = {"C1": [10000, 8000, 12000, 11000], "C2": [10000, 6000, 6000, 6000]}


@pytest.fixture
def con():
    return workspace([(day, [(oid, "ann", "proposal", "open", amounts[i], "2026-04-01", "2026-06-30")
                             for oid, amounts in AMOUNTS.items()]) for i, day in enumerate(WEEKS)])


def test_amount_cut_compares_with_the_previous_upload(con):
    cuts = reviews.amount_cuts(con, Filter()).set_index("opportunity_id")
    # C1: 11 000 < 12 000 (last week) is a cut; against the first upload (10 000) it was none
    assert cuts.loc["C1", "amount_before"] == 12000
    assert "C2" not in cuts.index  # 6 000 = 6 000 last week (it read 6 000 < 10 000)


def test_deals_to_work_scores_the_cut_of_last_week(con):
    work = reviews.deals_to_work(con, Filter(), "ann", date(2026, 5, 25)).set_index("opportunity_id")
    assert (work.loc["C1", "points_amount_cut"], work.loc["C2", "points_amount_cut"]) == (reviews.SCORE["amount_cut"], 0)
