"""Lost deals of unknown stage (issue 16): the usual first upload of Salesforce, HubSpot or Maven's sample has lost
deals with no stage history and no stage but "Closed Lost". They reached the first stage, as every deal did.

One upload, 31 May 2026, every deal closed in May:
  W01..W12  ann  won / won            reached won (5)
  L01..L07  ann  lost / lost          reached: unknown (nothing places them)

win rate = 12 / (12 + 7) = 63.2 %. Before: lead counted 12 (the lost deals in no stage), so overall conversion
and proposal -> won read 12 / 12 = 100 %. Now lead = 19: overall = 12 / 19 = the win rate; proposal -> won stays
12 / 12 but is marked as a figure the 7 lost deals could change (they may have reached proposal).
"""
from __future__ import annotations

import json
from datetime import date

import pytest

from analytics import __main__ as cli
from analytics.filters import Filter
from analytics.views import funnel, plan
from tests.funnel_data import workspace

MAY = Filter(date(2026, 5, 1), date(2026, 5, 31))
WON = [(f"W{i:02d}", "ann", "won", "won", 1000, "2026-03-01", "2026-05-10") for i in range(1, 13)]
LOST = [(f"L{i:02d}", "ann", "lost", "lost", 1000, "2026-03-01", "2026-05-12") for i in range(1, 8)]


@pytest.fixture
def con():
    return workspace([("2026-05-31", WON + LOST)])


def test_lost_deals_of_unknown_stage_count_at_the_first_stage(con):
    frame = funnel.conversion(con, MAY, "closed")
    # lead: 12 won + 7 lost = 19; qualification .. won: the 12 won only
    assert frame.reached.tolist() == [19, 12, 12, 12, 12]
    assert frame.unknown.tolist() == [7] * 5


def test_overall_conversion_is_the_win_rate_not_100(con):
    s = funnel.summary(funnel.conversion(con, MAY, "closed"))
    assert s["overall"] == pytest.approx(12 / 19)  # 63.2 %, the win rate; it read 12 / 12 = 100 %
    assert round(s["overall"] * 100) == 63


def test_conversions_past_the_first_stage_are_marked_as_could_change(con):
    frame = funnel.conversion(con, MAY, "closed")
    # lead -> qualification (12/19), ... negotiation -> won (12/12) read a stage the 7 may have reached; won has none
    assert frame.could_change.tolist() == [True, True, True, True, False]
    s = funnel.summary(frame)
    assert s["proposal_to_won"] == 1.0 and s["proposal_to_won_could_change"] is True


def test_nothing_could_change_without_deals_of_unknown_stage():
    con = workspace([("2026-05-31", WON + [("P1", "ann", "proposal", "lost", 1000, "2026-03-01", "2026-05-12")])])
    frame = funnel.conversion(con, MAY, "closed")
    assert frame.reached.tolist() == [13, 13, 13, 12, 12] and not frame.could_change.any()


def test_reps_and_team_read_alike(con):
    both = funnel.conversions(con, MAY, "closed")
    rep = funnel.conversion(con, MAY, "closed", by_owner=True)
    assert both["team"].reached.tolist() == rep.reached.tolist() == [19, 12, 12, 12, 12]
    assert both["team"].could_change.tolist() == rep.could_change.tolist()


def test_planner_default_rates_come_out_right(con):
    m = plan.measured(con, MAY)
    # proposal -> deal 12/12, opportunity -> proposal 12/19: their product is the win rate 12/19, not 100 %
    assert m["proposal_to_deal"] * m["opportunity_to_proposal"] == pytest.approx(12 / 19)
    # 12 deals needed -> 12 proposals -> 12 / (12/19) = 19 opportunities (it said 12)
    out = plan.reverse_funnel(12000, 1000, [m["proposal_to_deal"], m["opportunity_to_proposal"], 1], 4)
    assert out["opportunities"] == pytest.approx(19)


def test_funnel_json_counts_them_at_the_first_stage_and_flags_rows(con, tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(cli, "_connect", lambda _ws: con)
    code = cli.main(["funnel", "--workspace", str(tmp_path), "--basis", "closed", "--start", "2026-05-01",
                     "--end", "2026-05-31", "--json"])
    got = json.loads(capsys.readouterr().out)
    assert code == 0 and [s["reached"] for s in got["stages"]] == [19, 12, 12, 12, 12]
    assert [s["could_change"] for s in got["stages"]] == [True, True, True, True, False]
    assert got["summary"]["overall"] == pytest.approx(12 / 19) and got["unknown_stage"] == 7
