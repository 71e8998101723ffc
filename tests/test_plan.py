"""The reverse-funnel planner (analytics/views/plan.py): the articles' example exactly, rates as people write them,
and defaults measured on the funnel fixture of tests/test_funnel.py."""
from __future__ import annotations

from datetime import date
from fractions import Fraction

import pytest

from analytics.views import plan
from analytics.filters import Filter
from tests.funnel_data import workspace
from tests.test_funnel import ACTIVITIES, DEALS

ARTICLE = dict(goal=1_000_000, average_deal=50_000, weeks=48)


@pytest.mark.parametrize("rates", [
    (0.4, 0.5, 1 / 6),
    (Fraction(2, 5), Fraction(1, 2), Fraction(1, 6)),
    (plan.parse_rate("40%"), plan.parse_rate("50 %"), plan.parse_rate("1/6")),
])
def test_the_articles_example(rates):
    out = plan.reverse_funnel(ARTICLE["goal"], ARTICLE["average_deal"], rates, ARTICLE["weeks"])
    # 1 000 000 / 50 000 = 20 deals; / 0.4 = 50 proposals; / 0.5 = 100 opportunities; / (1/6) = 600 conversations
    assert (out["deals"], out["proposals"], out["opportunities"], out["conversations"]) == (20, 50, 100, 600)
    assert out["per_week"]["conversations"] == 12.5  # 600 / 48


@pytest.mark.parametrize("text, expected", [
    ("0.4", Fraction(2, 5)), ("0,4", Fraction(2, 5)), ("40%", Fraction(2, 5)), ("40 %", Fraction(2, 5)),
    ("40", Fraction(2, 5)), ("1/6", Fraction(1, 6)), ("1 in 6", Fraction(1, 6)), ("1 sur 6", Fraction(1, 6)),
    ("100%", Fraction(1)), ("12,5 %", Fraction(1, 8)),
])
def test_parse_rate(text, expected):
    assert plan.parse_rate(text) == expected


@pytest.mark.parametrize("text", ["0", "-0.4", "abc", "1/0", "150%", "", "7/6"])
def test_parse_rate_refuses(text):
    with pytest.raises(plan.PlanError):
        plan.parse_rate(text)


@pytest.mark.parametrize("kwargs, word", [
    (dict(goal=None, average_deal=50_000, rates=(0.4, 0.5, 0.2), weeks=48), "goal"),
    (dict(goal=1_000, average_deal=0, rates=(0.4, 0.5, 0.2), weeks=48), "average_deal"),
    (dict(goal=1_000, average_deal=10, rates=(0.4, None, 0.2), weeks=48), "opportunity_to_proposal"),
    (dict(goal=1_000, average_deal=10, rates=(0.4, 0.5, 0.2), weeks=0), "weeks"),
])
def test_reverse_funnel_says_what_is_wrong(kwargs, word):
    with pytest.raises(plan.PlanError, match=word):
        plan.reverse_funnel(**kwargs)


@pytest.fixture
def con():
    con = workspace([("2026-05-20", DEALS)], activities=ACTIVITIES)
    con.execute("INSERT INTO targets (owner, period, quota_amount, period_start, period_end)"
                " VALUES ('alice', '2026-05', 6000, '2026-05-01', '2026-05-31')")
    return con


def test_measured_over_every_deal(con):
    m = plan.measured(con)
    # won: F1 F5 F9 at 1000 each -> average 1000; closed deals reached: lead 7, proposal 4, won 3
    # (F1 F2 F3 F5 F6 F9, and F7 of unknown stage at lead): proposal -> deal 3/4, opportunity -> proposal 4/7;
    # conversations 3 (calls that reached someone), opportunities created 9 -> 9/3 capped at 1
    assert m["average_deal"] == 1000
    assert m["proposal_to_deal"] == pytest.approx(3 / 4)
    assert m["opportunity_to_proposal"] == pytest.approx(4 / 7)
    assert m["conversation_to_opportunity"] == 1.0
    assert m["weeks"] == plan.DEFAULT_WEEKS and m["goal"] is None  # unbounded: no quota window


def test_measured_in_may(con):
    m = plan.measured(con, Filter(date(2026, 5, 1), date(2026, 5, 31)))
    # quota 6000 (alice, May); 31 days = 31/7 weeks; no call in May: no conversation rate
    assert m["goal"] == 6000 and m["weeks"] == pytest.approx(31 / 7)
    assert m["conversation_to_opportunity"] is None
    # closed in May: F1 (5) F3 (1) F5 (5) F6 (2) F7 (unknown: lead): proposal -> deal 2/2, opportunity -> proposal 2/5
    assert (m["proposal_to_deal"], m["opportunity_to_proposal"]) == (1.0, 0.4)


def test_plan_takes_what_is_missing_from_the_workspace(con):
    out = plan.plan(con, goal=30_000, rates=(None, 0.5, 0.25), weeks=10)
    # average 1000 -> 30 deals; / 0.75 -> 40 proposals; / 0.5 -> 80 opportunities; / 0.25 -> 320; 32 a week
    assert (out["deals"], out["proposals"], out["opportunities"], out["conversations"]) == pytest.approx((30, 40, 80, 320))
    assert out["per_week"]["conversations"] == pytest.approx(32)
    assert out["inputs"]["proposal_to_deal"] == pytest.approx(0.75)


def test_current_pipeline(con):
    pipe = plan.current_pipeline(con, today=date(2026, 5, 20))
    # open: F4 negotiation, F8 lead; created within 12 weeks before 20 May (after 26 Feb): all nine deals
    assert {s["stage"]: s["deals"] for s in pipe["stages"]} == {"lead": 1, "qualification": 0, "proposal": 0,
                                                                 "negotiation": 1}
    assert pipe["new_per_week"] == pytest.approx(9 / 12)
