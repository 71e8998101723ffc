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


# --- the gap with the team: volume, mix and conversion -------------------------------------------------------------

def _volume_workspace():
    """ben: Or 2 closed (1 won 10 000), Argent 2 closed (1 won 2 000). ana: the same mix and rates, twice the deals:
    Or 4 closed (2 won, 20 000), Argent 4 closed (2 won, 4 000). Both in team T; everything closed in May.

    team: 12 closed, 6 won, 36 000 over 2 reps -> 18 000 per rep, 6 closed per rep, 3 000 won per closed deal.
    ana: 24 000; expected at the team's rates on her mix: Or 4 x 30 000 / 6 + Argent 4 x 6 000 / 6 = 24 000.
    gap 6 000 = volume (8 - 6) x 3 000 = 6 000 + mix 24 000 - 18 000 - 6 000 = 0 + conversion 24 000 - 24 000 = 0.
    It read "explained by the mix: 6 000" (expected - team)."""
    deals = []
    for owner, k in (("ben", 1), ("ana", 2)):
        for seg, amount in (("Or", 10000), ("Argent", 2000)):
            for i in range(k):
                deals.append((f"{owner}-{seg}-w{i}", owner, "won", "won", amount, "2026-03-01", "2026-05-10", None, seg))
                deals.append((f"{owner}-{seg}-l{i}", owner, "proposal", "lost", amount, "2026-03-01", "2026-05-11",
                              None, seg))
    return workspace([("2026-05-20", deals)], reps=[("ana", "T"), ("ben", "T")])


def test_same_mix_twice_the_deals_is_all_volume_no_mix():
    got = reviews.gaps(_volume_workspace(), Filter(date(2026, 5, 1), date(2026, 5, 31)), "ana").set_index("metric")
    won = got.loc["won_amount"]
    assert (won["rep"], won["team"], won["gap"]) == (24000, 18000, 6000)
    assert won["volume_segment"] == pytest.approx(6000)
    assert won["explained_segment"] == pytest.approx(0)  # the mix explains nothing (it said 6 000)
    assert won["remaining_segment"] == pytest.approx(0)


def test_rates_have_no_volume_part():
    got = reviews.gaps(_volume_workspace(), Filter(date(2026, 5, 1), date(2026, 5, 31)), "ana").set_index("metric")
    # win rate 4/8 = 0.5 for ana and 6/12 for the team: no gap, and a rate does not grow with the deals
    assert (got.loc["win_rate", "gap"], got.loc["win_rate", "volume_segment"]) == (0, 0)


# --- the team beside a rep: one rule ---------------------------------------------------------------------------

@pytest.mark.parametrize("lang, included", [("fr", "commercial compris"), ("en", "rep included")])
def test_every_label_of_the_team_beside_a_rep_says_the_rep_is_in_it(lang, included):
    from analytics.i18n import t

    assert all(included in t(key, lang) for key in reviews.TEAM_BESIDE_REP_LABELS)


def test_the_team_beside_a_rep_includes_the_rep():
    con = _volume_workspace()
    ref = reviews.reference_filter(con, Filter(date(2026, 5, 1), date(2026, 5, 31)), "ana")
    # team T: ana and ben; the team's won amount 36 000 holds ana's 24 000
    assert ref.owner is None and ref.team == "T"


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_the_pipeline_team_and_the_rep_team_carry_different_labels(lang):
    from analytics.i18n import t

    # pipeline page: the whole selection (the company); individual review: the rep's team, rep included
    assert t("pipeline.forecast.team", lang) not in t("review.forecast.team_value", lang, value="")
    assert t("review.series.team", lang) != t("pipeline.forecast.team", lang)
