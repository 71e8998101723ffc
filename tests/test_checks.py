"""Data checks are defined once (analytics/measures/checks.py): the flash page's alerts and the import's quality report
flag the same deals."""
from __future__ import annotations

from datetime import date

import pytest

from analytics.measures import checks, kpis
from analytics import store
from analytics.ingest import quality
from analytics.filters import Filter
from tests.fixtures.workspace import TODAY


def _flagged(report, key):
    row = report[report["check"] == key].iloc[0]
    return row["count"], row["examples"]


def test_overdue_deals_on_the_shared_workspace(workspace):
    df = checks.overdue_deals(workspace, Filter(), TODAY)
    # open on 20 May with an expected close before it: D11 (31 Mar, 50 days), D09 (10 May, 10 days)
    assert list(df["opportunity_id"]) == ["D11", "D09"]
    assert list(df["days_overdue"]) == [50, 10]


def test_probability_inversions_on_the_shared_workspace(workspace):
    # typical stated probability of open deals: lead 0.3 (D10), qualification 0.1 (D09), proposal 0.55
    # (D11 0.6, D12 0.5; D08 states none), negotiation 0.75 (D07 0.8, D13 0.7): D09 is below the typical lead
    df = checks.probability_inversions(workspace, Filter())
    assert list(df["opportunity_id"]) == ["D09"]
    assert df.iloc[0]["earlier_stage"] == "lead" and df.iloc[0]["earlier_typical"] == pytest.approx(0.3)


@pytest.mark.parametrize("check, alert", [
    ("quality.past_close_open", lambda con: kpis.overdue_deals(con, Filter(), TODAY)),
    ("quality.falling_probability", lambda con: kpis.probability_inversions(con, Filter())),
])
def test_the_quality_report_and_the_alerts_flag_the_same_deals(workspace, check, alert):
    ids = sorted(alert(workspace)["opportunity_id"])
    assert _flagged(quality.quality_report(workspace), check) == (len(ids), ", ".join(ids[:5]))


def test_a_stage_default_is_no_stated_probability():
    """P2 states no probability: its proposal default (0.5) is below the lead typical (0.6), but a default says
    nothing about the deal. The alert used to flag it (default probabilities) while the quality report did not
    (stated ones only): both now compare stated probabilities."""
    con = store.memory_workspace()
    sid = store.new_snapshot(con, date(2026, 5, 20), "test", 3)
    con.executemany(
        "INSERT INTO opportunities (snapshot_id, opportunity_id, owner, stage, status, amount, probability,"
        " created_date) VALUES (?, ?, 'al', ?, 'open', 100, ?, DATE '2026-05-01')",
        [(sid, "P1", "lead", 0.6), (sid, "P2", "proposal", None), (sid, "P3", "proposal", 0.4)],
    )
    con.execute("UPDATE opportunities o SET stage_order = s.stage_order FROM stages s WHERE s.stage = o.stage")
    assert list(kpis.probability_inversions(con, Filter())["opportunity_id"]) == ["P3"]
    assert _flagged(quality.quality_report(con), "quality.falling_probability") == (1, "P3")
