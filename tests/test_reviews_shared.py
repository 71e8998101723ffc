"""The review figures on the shared hand-checked workspace (tests/fixtures/workspace.py: three snapshots, May 2026,
today 20 May). Teams: Nord = alice + chloe, Sud = bob alone. The arithmetic is beside each expected value."""
from __future__ import annotations

from datetime import date

import pytest

from analytics.views import reviews
from analytics.filters import Filter
from tests.fixtures.workspace import MAY as MAY_DATES
from tests.fixtures.workspace import TODAY

MAY = Filter(*MAY_DATES)


def approx(value):
    return pytest.approx(value, rel=1e-9, abs=1e-9)


# points: 40 x weighted / the rep's largest weighted + 20 x min(days in stage / 60, 1) + 20 if the close date
# has passed + 10 if slipped twice + 10 if the amount was cut
@pytest.mark.parametrize("owner, expected", [
    # alice: D07 negotiation 40 000 x 0.8 = 32 000 (40), entered 10 May (10 days: 3.33);
    # D13 negotiation 24 000 x 0.7 = 16 800 (21), entered 25 April (25 days: 8.33);
    # D10 lead 5 000 x 0.3 = 1 500 (1.875), first seen in the 20 May upload, no history (0 days)
    ("alice", [("D07", 10, 40 + 20 * 10 / 60), ("D13", 25, 21 + 20 * 25 / 60), ("D10", 0, 1.875)]),
    # bob: D11 proposal 8 000 x 0.6 = 4 800 (19.2), one proposal stay since 20 January across two CRM
    # sub-stages (120 days: 20), due 31 March (passed: 20); D08 proposal 20 000 x 0.5 (default) = 10 000 (40),
    # since 10 May (10 days: 3.33), slipped once (30 May -> 15 June: no points)
    ("bob", [("D11", 120, 19.2 + 20 + 20), ("D08", 10, 40 + 20 * 10 / 60)]),
])
def test_deals_to_work(workspace, owner, expected):
    got = reviews.deals_to_work(workspace, MAY, owner, TODAY)
    assert list(got["opportunity_id"]) == [deal for deal, _, _ in expected]
    for (deal, days, score), (_, row) in zip(expected, got.iterrows()):
        assert row["days_in_stage"] == days, deal
        assert row["score"] == approx(score), deal
    if owner == "bob":
        assert got.set_index("opportunity_id").loc["D08", "slips"] == 1


def test_gaps_of_alice_against_team_nord(workspace):
    got = reviews.gaps(workspace, MAY, "alice").set_index("metric")
    # alice won D01 30 000 + D02 20 000 in May; Nord won the same, shared by 2 reps (chloe has open deals)
    assert got.loc["won_amount", "rep"] == 50000
    assert got.loc["won_amount", "team"] == 25000
    # alice is alone on Or in Nord this month: the team's rates there are hers, 2 x 50 000 / 2 = 50 000
    assert got.loc["won_amount", "expected_segment"] == 50000
    # the 25 000 gap is volume: 2 closed deals against Nord's 2 / 2 reps = 1, at 25 000 won per closed deal; no mix
    assert got.loc["won_amount", "volume_segment"] == 25000
    assert got.loc["won_amount", "explained_segment"] == 0
    assert got.loc["win_rate", "rep"] == 1.0 and got.loc["win_rate", "team"] == 1.0


def test_a_rep_alone_in_his_team_meets_his_own_rates(workspace):
    # bob is Sud's only rep: every expected value is his own (D03 lost 15 000, D04 won 12 000 in May)
    got = reviews.gaps(workspace, MAY, "bob").set_index("metric")
    assert got.loc["win_rate", "rep"] == 0.5
    assert got.loc["win_rate", "expected_segment"] == 0.5
    assert got.loc["won_amount", "expected_segment"] == 12000


def test_spread_of_quota_attainment(workspace):
    _, summary = reviews.spread(workspace, MAY)
    got = summary.set_index("kpi").loc["quota_attainment"]
    # alice 50 000 / 100 000 = 0.5, bob 12 000 / 50 000 = 0.24, chloe 0 / 30 000 = 0; sorted 0, 0.24, 0.5
    assert got["reps"] == 3
    assert (got["min"], got["median"], got["max"]) == (0, approx(0.24), approx(0.5))
    assert got["q1"] == approx(0.12) and got["q3"] == approx(0.37)  # halfway between neighbours


def test_spread_leaves_out_a_rep_without_a_value(workspace):
    values, _ = reviews.spread(workspace, MAY)
    win_rates = values[values["kpi"] == "win_rate"].set_index("owner")["value"]
    assert dict(win_rates) == {"alice": 1.0, "bob": 0.5}  # chloe closed nothing in May: no rate, not 0


@pytest.mark.parametrize("segment, owner, rate, team_rate", [
    ("Or", "alice", 1.0, 1.0),  # D01 D02 won
    ("Argent", "bob", 0.5, 0.5),  # D04 won, D03 lost
])
def test_best_converter_with_one_deal_minimum(workspace, segment, owner, rate, team_rate):
    got = reviews.best_converters(workspace, MAY, min_closed=1).set_index("segment").loc[segment]
    assert (got["owner"], got["win_rate"], got["team_win_rate"]) == (owner, rate, team_rate)


def test_wins_and_losses_of_may(workspace):
    assert list(reviews.wins(workspace, MAY)["opportunity_id"]) == ["D01", "D02", "D04"]  # 30 000, 20 000, 12 000
    reasons = reviews.losses_by_reason(workspace, MAY)
    assert list(reasons["lost_reason"]) == ["prix"] and list(reasons["lost_amount"]) == [15000]  # D03


def test_this_weeks_movement(workspace):
    moved = reviews.week_movement(workspace, MAY)
    assert (moved["a_date"], moved["b_date"]) == (date(2026, 5, 13), TODAY)
    counts = {c["change"]: c["count"] for c in moved["counts"]}
    # S2 -> S3: D10 new, D04 won, D12 reopened, D14 dropped, D08 slipped
    assert (counts["new"], counts["won"], counts["reopened"], counts["dropped"], counts["slipped"]) == (1, 1, 1, 1, 1)


def test_attainment_trend_of_the_team(workspace):
    trend = reviews.attainment_trend(workspace, MAY, today=TODAY).set_index("month")
    assert trend.loc[date(2026, 5, 1), "quota"] == 180000  # 100 000 + 50 000 + 30 000
    assert trend.loc[date(2026, 5, 1), "won_amount"] == 62000  # D01 + D02 + D04
    assert trend.loc[date(2026, 4, 1), "attainment"] == approx(10000 / 120000)  # D05 against 80 000 + 40 000


@pytest.mark.parametrize("owner", ["alice", "bob", "chloe"])
def test_funnel_against_the_team_is_the_funnel_modules(workspace, owner):
    """The review reads the rep's and the team's funnel from one funnel.rep_comparison: the same counts and
    conversions as funnel.conversion of the rep and of the team."""
    from dataclasses import replace

    from analytics.views import funnel

    got = reviews.funnel_against_team(workspace, MAY, owner)
    ref = reviews.reference_filter(workspace, MAY, owner)
    rep, team = funnel.conversion(workspace, replace(ref, owner=owner), "closed"), funnel.conversion(workspace, ref, "closed")
    assert list(got["rep_reached"]) == list(rep["reached"])
    assert list(got["team_reached"]) == list(team["reached"])
    assert list(got["team_conversion"].fillna(-1)) == pytest.approx(list(team["conversion_next"].fillna(-1)))
