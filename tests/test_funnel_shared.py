"""Reached stage, conversions, stays, stuck deals and the cascade on the shared hand-checked workspace
(tests/fixtures/workspace.py: three weekly snapshots, a stage history with two CRM sub-stages of proposal).

Reached at S3 (latest), by the fixture's rows:
  D01 5 D02 5 D04 5 (won; history ends in 'won')   D05 5 (won, no history: the CRM's stage)
  D03 3 (history lead, proposal, lost)   D06 3 (history proposal, lost)   D07 4   D08 3   D09 2
  D10 1 (no history, one upload: the CRM's stage)  D11 3   D12 3 (reopened at proposal)   D13 4
"""
from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from analytics.views import funnel
from analytics.measures import reached, stays
from analytics.filters import Filter

MAY = Filter(date(2026, 5, 1), date(2026, 5, 31))
TODAY = date(2026, 5, 20)


@pytest.mark.parametrize("oid, order, source", [
    ("D01", 5, "history"), ("D03", 3, "history"), ("D05", 5, "crm"), ("D06", 3, "history"),
    ("D07", 4, "history"), ("D09", 2, "history"), ("D10", 1, "crm"), ("D12", 3, "history"),
])
def test_reached_on_the_shared_workspace(workspace, oid, order, source):
    row = reached.reached(workspace).set_index("opportunity_id").loc[oid]
    assert (int(row.reached_order), row.reached_source) == (order, source)


def test_team_funnel_every_deal(workspace):
    # lead 13; qualification 12 (all but D10); proposal 11 (- D09); negotiation 6 (D01 D02 D04 D05 D07 D13);
    # won 4 (D01 D02 D04 D05)
    assert list(funnel.conversion(workspace).reached) == [13, 12, 11, 6, 4]


def test_team_funnel_closed_in_may(workspace):
    # closed in May: D01 (5), D02 (5), D03 (3, lost at proposal), D04 (5)
    frame = funnel.conversion(workspace, MAY, "closed")
    assert list(frame.reached) == [4, 4, 4, 3, 3]
    assert frame.conversion_next.tolist()[:4] == [1.0, 1.0, 0.75, 1.0]
    assert funnel.summary(frame)["overall"] == 0.75


def test_proposal_stays_merge_the_two_sub_stages(workspace):
    s = stays.stays(workspace)
    finished = s[(s.stage == "proposal") & s.days.notna()].set_index("opportunity_id").days
    # D07: "envoyée" 04-10 then "révisée" 05-01, negotiation 05-10: one stay of 30 days (21 + 9)
    assert finished.to_dict() == {"D01": 31, "D02": 22, "D03": 23, "D06": 41, "D07": 30, "D12": 52}


def test_proposal_threshold_is_the_p75(workspace):
    # 22 23 30 31 41 52: position 0.75 x 5 = 3.75 -> 31 + 0.75 x (41 - 31) = 38.5
    th = stays.default_thresholds(workspace)
    assert th["proposal"] == {"p75_days": 38.5, "stays": 6, "threshold_days": 38.5}
    # lead: D09 3, D07 5, D01 9, D03 14 -> 9 + 0.25 x 5 = 10.25; qualification has 3 stays: no default
    assert th["lead"]["threshold_days"] == 10.25
    assert th["qualification"]["threshold_days"] is None


def test_stuck_on_the_shared_workspace(workspace):
    # D11 in proposal since 01-20 (one stay across two sub-stages): 120 days > 38.5; D08 (10 d) and D12
    # (reopened 05-18, 2 d) are not; no open deal overstays lead (D10 since the 05-20 upload)
    stuck = stays.stuck_deals(workspace, Filter(), TODAY)
    assert list(stuck.opportunity_id) == ["D11"]
    assert (int(stuck.days_in_stage.iloc[0]), stuck.threshold_days.iloc[0]) == (120, 38.5)


def test_cascade_without_outcomes(workspace):
    # May: calls A01 A04; no outcome column filled -> no conversations; meetings held on D04 (A02) and D07 (A05)
    result = funnel.cascade(workspace, MAY, "closed")
    steps = {s["step"]: s["count"] for s in result["steps"]}
    assert steps == {"calls": 2, "conversations": None, "meetings": 2, "proposals": 4, "deals": 3}
    assert result["has_outcome"] is False


def test_probability_order_on_the_shared_workspace(workspace):
    frame = funnel.probability_by_stage(workspace).set_index("stage")
    # open at S3: lead D10 0.3; qualification D09 0.1; proposal D08 0.5 (default), D11 0.6, D12 0.5;
    # negotiation D07 0.8, D13 0.7 -> 0.3, 0.1, 0.533, 0.75: it falls at qualification
    assert frame.mean_probability.tolist() == pytest.approx([0.3, 0.1, 1.6 / 3, 0.75])
    assert frame.falls.tolist() == [False, True, False, False]
    assert not pd.isna(frame.loc["proposal", "given"])
