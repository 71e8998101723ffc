"""Movement, trend and forecast reliability on the shared hand-checked workspace (tests/fixtures/workspace.py):
S1 06/05, S2 13/05, S3 20/05/2026. Hand values from the fixture's own table of what changed."""
from __future__ import annotations

from decimal import Decimal

import pytest

from analytics.views import forecast, movement
from analytics.filters import Filter
from tests.fixtures import workspace as shared


def pair(con, a: int, b: int) -> tuple[int, int]:
    ids = [r[0] for r in con.execute("SELECT snapshot_id FROM snapshots ORDER BY snapshot_date").fetchall()]
    return ids[a], ids[b]


@pytest.mark.parametrize("key, expected", [
    # S1 open: D02 20 000 + D03 15 000 + D04 12 000 + D07 40 000 + D09 10 000 + D11 8 000 + D12 16 000
    #   + D13 24 000 + D14 9 000 = 154 000
    ("open_amount_before", Decimal("154000")),
    ("open_amount_after", Decimal("123000")),  # S2: D04 D07 D08 D09 D11 D13 D14
    ("won_count", 1), ("won_amount", Decimal("20000")),  # D02
    ("lost_count", 2), ("lost_amount", Decimal("31000")),  # D03 15 000 + D12 16 000
    ("new_count", 1), ("new_amount", Decimal("20000")),  # D08
    ("advanced_count", 3),  # D04 qualification -> negotiation, D07 proposal -> negotiation, D09 lead -> qualif.
    ("pulled_in_count", 1),  # D04 31/05 -> 20/05
    ("reason_advanced_count", 2), ("reason_pulled_in_count", 1),  # D04's main reason is pulled in
    ("owner_changed_count", 1),  # D13 bob -> alice
    ("changed_count", 7),  # D02 D03 D04 D07 D08 D09 D12
    ("amount_change", Decimal("0")),
])
def test_s1_to_s2(workspace, key, expected):
    # 154 000 + 20 000 - 20 000 - 31 000 = 123 000
    assert movement.movement_summary(workspace, Filter(), *pair(workspace, 0, 1))[key] == expected


@pytest.mark.parametrize("key, expected", [
    ("open_amount_before", Decimal("123000")), ("open_amount_after", Decimal("123000")),
    ("won_count", 1), ("won_amount", Decimal("12000")),  # D04 at its S2 amount
    ("new_count", 1), ("new_amount", Decimal("5000")),  # D10
    ("reopened_count", 1), ("reopened_amount", Decimal("16000")),  # D12 lost on 11/05, proposal again
    ("dropped_count", 1), ("dropped_amount", Decimal("9000")),  # D14 absent from S3
    ("slipped_count", 1),  # D08 30/05 -> 15/06
    ("changed_count", 5),
])
def test_s2_to_s3_the_default_pair(workspace, key, expected):
    # 123 000 + 5 000 + 16 000 - 12 000 - 9 000 = 123 000
    assert movement.resolve_pair(workspace) == pair(workspace, 1, 2)
    assert movement.movement_summary(workspace, Filter(), *pair(workspace, 1, 2))[key] == expected


@pytest.mark.parametrize("owner, before, after", [
    ("alice", 84000, 64000),  # D02 + D07 + D13 (bob's in S1, alice's in S2) -> D07 + D13; D02 won
    ("bob", 44000, 49000),  # D03 + D04 + D11 + D14 -> D04 + D08 + D11 + D14; D03 lost, D08 new
    ("chloe", 26000, 10000),  # D09 + D12 -> D09; D12 lost
])
def test_owner_change_counts_for_the_new_owner(workspace, owner, before, after):
    s = movement.movement_summary(workspace, Filter(owner=owner), *pair(workspace, 0, 1))
    assert (s["open_amount_before"], s["open_amount_after"]) == (Decimal(before), Decimal(after))


def test_slips_on_the_shared_workspace(workspace):
    slips = movement.slip_counts(workspace, Filter()).set_index("opportunity_id")["slips"].to_dict()
    # D08 slipped once (30/05 -> 15/06); D04 was pulled in; D12's close date moved while it was lost
    assert slips["D08"] == 1 and slips["D04"] == 0 and slips["D12"] == 0
    assert sum(slips.values()) == 1


def test_trend_on_the_shared_workspace(workspace):
    df = movement.pipeline_trend(workspace, Filter())
    assert list(df["open_amount"]) == [154000, 123000, 123000]
    # won in May by each upload: D01 (05/05); + D02 (12/05); + D04 (15/05)
    assert list(df["won_month_to_date"]) == [30000, 50000, 62000]
    assert list(df["quota_month"]) == [180000] * 3  # alice 100 000 + bob 50 000 + chloe 30 000
    assert df["coverage"].iloc[2] == pytest.approx(123000 / 118000)
    assert df["weighted_pipeline"].iloc[2] == pytest.approx(74100)  # the fixture's hand figure


def test_forecast_on_the_shared_workspace(workspace):
    got = forecast.reliability(workspace, Filter())
    team = got["team"]
    # open on 06/05 and closed by 20/05: D02 (.5, won), D03 (.5, lost), D04 (.3, won); D12 is open again
    assert team["deals"] == 3 and team["too_few"] and team["brier"] is None  # (.25 + .25 + .49) / 3, but 3 < 10
    assert team["announced_amount"] == pytest.approx(21100)  # 20 000 x .5 + 15 000 x .5 + 12 000 x .3
    assert team["won_amount"] == 32000  # D02 20 000 + D04 12 000
    # due before 20/05 in S1 and still held: D02 (15/05, won), D09 (10/05) and D11 (31/03) still open
    assert (team["expected_count"], team["slipped_count"], team["slip_rate"]) == (3, 2, None)


def test_single_snapshot_of_the_shared_workspace_reads_stage_history():
    con = shared.memory(snapshots=1)
    got = forecast.reliability(con, Filter(), as_of=shared.SNAPSHOTS[0].replace(day=1))
    assert got["method"] == "stage_history"
    with pytest.raises(movement.MovementError):
        movement.resolve_pair(con)
