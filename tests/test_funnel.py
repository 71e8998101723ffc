"""Funnel conversions, reps side by side, activity cascade and probability order (analytics/views/funnel.py).

One upload, 20 May 2026 (orders: lead 1, qualification 2, proposal 3, negotiation 4, won 5):

  id  owner  created     stage / status        closed      reached
  F1  alice  2026-04-01  won / won             2026-05-05  5
  F2  alice  2026-04-01  proposal / lost       2026-04-25  3
  F3  alice  2026-04-01  lead / lost           2026-05-02  1
  F4  alice  2026-04-01  negotiation / open    -           4
  F5  alice  2026-04-01  won / won             2026-05-10  5
  F6  bob    2026-04-01  qualification / lost  2026-05-12  2
  F7  bob    2026-04-01  lost / lost           2026-05-15  unknown: counted at lead (every deal reached it)
  F8  bob    2026-05-03  lead / open           -           1
  F9  chloe  2026-03-15  won / won             2026-04-10  5     (a rep with one deal)

Team, every deal: reached lead 9 (F7 included), qualification 6, proposal 5, negotiation 4, won 3.
"""
from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from analytics.views import funnel
from analytics.filters import Filter
from tests.funnel_data import workspace

A = "2026-04-01"
DEALS = [
    ("F1", "alice", "won", "won", 1000, A, "2026-05-05"),
    ("F2", "alice", "proposal", "lost", 1000, A, "2026-04-25"),
    ("F3", "alice", "lead", "lost", 1000, A, "2026-05-02"),
    ("F4", "alice", "negotiation", "open", 1000, A, None),
    ("F5", "alice", "won", "won", 1000, A, "2026-05-10"),
    ("F6", "bob", "qualification", "lost", 1000, A, "2026-05-12"),
    ("F7", "bob", "lost", "lost", 1000, A, "2026-05-15"),
    ("F8", "bob", "lead", "open", 1000, "2026-05-03", None),
    ("F9", "chloe", "won", "won", 1000, "2026-03-15", "2026-04-10"),
]
ACTIVITIES = [
    *[(f"C{i}", "2026-04-10 10:00", "alice", "call", None, o) for i, o in enumerate(
        ["Décideur joint"] * 3 + ["Pas de réponse"] * 5 + ["Messagerie"] * 2)],
    ("M1", "2026-04-12 10:00", "alice", "meeting", "F1", "Réalisé"),
    ("M2", "2026-04-19 10:00", "alice", "meeting", "F1", "Réalisé"),   # same deal: one prospect met
    ("M3", "2026-04-20 10:00", "alice", "meeting", "F2", "Annulé"),    # cancelled: not held
    ("M4", "2026-04-21 10:00", "alice", "demo", "F4", "Réalisé"),
]
MAY = Filter(date(2026, 5, 1), date(2026, 5, 31))
APRIL = Filter(date(2026, 4, 1), date(2026, 4, 30))


@pytest.fixture
def con():
    return workspace([("2026-05-20", DEALS)], activities=ACTIVITIES)


def reached(frame):
    return list(frame.reached)


def test_team_reached_counts(con):
    assert reached(funnel.conversion(con)) == [9, 6, 5, 4, 3]


def test_team_conversions(con):
    frame = funnel.conversion(con)
    # 6/9, 5/6, 4/5, 3/4, none after won
    assert frame.conversion_next.tolist()[:4] == pytest.approx([6 / 9, 5 / 6, 0.8, 0.75])
    assert pd.isna(frame.conversion_next.iloc[4])
    assert frame.from_start.iloc[4] == pytest.approx(3 / 9)


def test_summary_overall_and_proposal(con):
    s = funnel.summary(funnel.conversion(con))
    # overall = won / reached lead = 3 / 9; proposal -> won = 3 / 5 (F7 might have reached proposal: could change)
    assert (s["deals"], s["won"], s["overall"], s["proposal_to_won"]) == (9, 3, 3 / 9, 3 / 5)
    assert s["unknown"] == 1 and s["proposal_to_won_could_change"] is True
    assert (s["benchmark_overall"], s["goal_proposal_to_won"]) == (0.10, 0.30)


def test_unknown_counted_at_the_first_stage(con):
    assert funnel.unknown_count(con) == 1  # F7


@pytest.mark.parametrize("flt, basis, expected", [
    # created in April: F1..F7: F1 5, F2 3, F3 1, F4 4, F5 5, F6 2, F7 unknown (lead)
    (APRIL, "cohort", [7, 5, 4, 3, 2]),
    # closed in May: F1 5, F3 1, F5 5, F6 2, F7 unknown (lead)
    (MAY, "closed", [5, 3, 2, 2, 2]),
    # closed, unbounded: every won or lost deal: F1 F2 F3 F5 F6 F9, F7 at lead
    (Filter(), "closed", [7, 5, 4, 3, 3]),
    # created in May: F8 only
    (MAY, "cohort", [1, 0, 0, 0, 0]),
])
def test_cohort_or_closed(con, flt, basis, expected):
    assert reached(funnel.conversion(con, flt, basis)) == expected


def test_per_rep_zero_conversion_and_a_stage_nobody_reached(con):
    bob = funnel.conversion(con, by_owner=True).query("owner == 'bob'")
    # bob: lead 3 (F6, F7 of unknown stage, F8), qualification 1 (F6), nothing beyond
    assert reached(bob) == [3, 1, 0, 0, 0]
    conv = bob.conversion_next.tolist()
    assert conv[0] == pytest.approx(1 / 3) and conv[1] == 0.0  # 1/3; 0/1 is a conversion of zero...
    assert pd.isna(conv[2]) and pd.isna(conv[3])  # ...0/0 is unknown, never 0


def test_rep_with_one_deal(con):
    chloe = funnel.conversion(con, by_owner=True).query("owner == 'chloe'")
    assert reached(chloe) == [1, 1, 1, 1, 1] and chloe.conversion_next.tolist()[:4] == [1.0] * 4


def test_no_deal_in_the_period_gives_every_stage_at_zero(con):
    frame = funnel.conversion(con, Filter(date(2020, 1, 1), date(2020, 1, 31)))
    assert reached(frame) == [0, 0, 0, 0, 0] and frame.conversion_next.isna().all()


def test_unknown_basis_is_refused(con):
    with pytest.raises(ValueError):
        funnel.conversion(con, basis="open")


def test_a_deal_that_went_back_counts_at_its_highest_stage():
    # G1 at negotiation last week, back at proposal today; G2 at lead both weeks
    week1 = [("G1", "ann", "negotiation", "open", 1, A, None), ("G2", "ann", "lead", "open", 1, A, None)]
    week2 = [("G1", "ann", "proposal", "open", 1, A, None), ("G2", "ann", "lead", "open", 1, A, None)]
    con = workspace([("2026-05-13", week1), ("2026-05-20", week2)])
    assert reached(funnel.conversion(con)) == [2, 1, 1, 1, 0]


# --- reps against the team's median ---------------------------------------------------------------------

def _reps_workspace():
    """ten deals each for ann (6 passed qualification), ben (5), cy (2); dee has two deals, none passed.
    Lead -> qualification: ann 0.6, ben 0.5, cy 0.2, dee 0.0; median of the four = (0.2 + 0.5) / 2 = 0.35;
    far below = under 2/3 x 0.35 = 0.2333: cy (0.2, ten deals); dee (0.0) has fewer than five deals."""
    deals = []
    for owner, n, passed in (("ann", 10, 6), ("ben", 10, 5), ("cy", 10, 2), ("dee", 2, 0)):
        for i in range(n):
            stage = "qualification" if i < passed else "lead"
            deals.append((f"{owner}{i}", owner, stage, "lost", 1, A, "2026-05-01"))
    return workspace([("2026-05-20", deals)])


def test_team_median_and_far_below():
    reps = funnel.rep_comparison(_reps_workspace())
    lead = reps[reps.stage == "lead"].set_index("owner")
    assert lead.team_median.iloc[0] == pytest.approx(0.35)
    assert lead.far_below.to_dict() == {"ann": False, "ben": False, "cy": True, "dee": False}


@pytest.mark.parametrize("flt, basis", [
    (Filter(), "cohort"),
    (MAY, "closed"),
    (Filter(date(2020, 1, 1), date(2020, 1, 31)), "closed"),  # no deal: every stage at 0, no rep
])
def test_conversions_gives_the_team_and_the_reps_as_the_two_calls_do(con, flt, basis):
    # one read of the reached stages, the team's counts the sum of the reps': same rows as the two functions
    both = funnel.conversions(con, flt, basis)
    pd.testing.assert_frame_equal(both["team"], funnel.conversion(con, flt, basis))
    pd.testing.assert_frame_equal(both["reps"], funnel.rep_comparison(con, flt, basis))


# --- activity cascade ------------------------------------------------------------------------------------

def test_cascade(con):
    steps = {s["step"]: (s["count"], s["ratio"]) for s in funnel.cascade(con)["steps"]}
    # 10 calls; 3 reached someone ("Décideur joint"); prospects met: F1 (twice, once) and F4 (demo) = 2,
    # M3 was cancelled; proposals 5 and deals 3 from the funnel (every deal)
    assert steps == {"calls": (10, None), "conversations": (3, 0.3), "meetings": (2, 2 / 3),
                     "proposals": (5, 2.5), "deals": (3, 0.6)}


def test_cascade_without_outcomes_has_no_conversations():
    con = workspace([("2026-05-20", DEALS)], activities=[("C1", "2026-04-10 10:00", "alice", "call", None, None)])
    result = funnel.cascade(con)
    assert result["has_outcome"] is False
    assert result["steps"][1] == {"step": "conversations", "count": None, "ratio": None}
    assert result["steps"][2]["ratio"] is None  # meetings over unknown conversations


def test_cascade_without_activities_is_none():
    assert funnel.cascade(workspace([("2026-05-20", DEALS)])) is None


def test_cascade_period_and_owner(con):
    # no activity in May; bob has none at all
    assert funnel.cascade(con, MAY)["steps"][0]["count"] == 0
    assert funnel.cascade(con, Filter(owner="bob"))["steps"][0]["count"] == 0


# --- probability by stage ------------------------------------------------------------------------------

def test_probability_that_falls_is_pointed_out():
    deals = [("P1", "ann", "lead", "open", 1, A, None, 0.30), ("P2", "ann", "qualification", "open", 1, A, None, 0.20),
             ("P3", "ann", "proposal", "open", 1, A, None, None)]  # no probability: the stage's 0.50
    frame = funnel.probability_by_stage(workspace([("2026-05-20", deals)]))
    assert frame.mean_probability.tolist() == pytest.approx([0.30, 0.20, 0.50])
    assert frame.falls.tolist() == [False, True, False]
    assert frame.given.tolist() == [1, 1, 0]
