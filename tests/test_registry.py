"""The KPI registry walked entry by entry: every KPI has a kind, a delta rule, FR and EN label and help, and a
value computed by hand on the shared workspace (tests/fixtures/workspace.py; the arithmetic is beside each value).
Then the registry's group-bys: any axis of selection.AXES, and the same figures whichever way they are cut."""
from __future__ import annotations


import pytest

from analytics.measures import kpis
from analytics.filters import Filter
from analytics.selection import AXES
from analytics.strings_en import EN
from analytics.strings_fr import FR
from tests.fixtures.workspace import MAY

MAY_TEAM = Filter(*MAY)
MAY_ALICE = Filter(*MAY, owner="alice")

# KPI -> (filter, value by hand). May 2026 on the latest snapshot (S3, 20 May) unless said.
HAND = {
    "won_count": (MAY_TEAM, 3),  # D01 (5 May), D02 (12 May), D04 (15 May): their closed dates
    "won_amount": (MAY_TEAM, 62000),  # 30 000 + 20 000 + 12 000
    "win_rate": (MAY_TEAM, 0.75),  # 3 / (3 + D03)
    "average_basket": (MAY_TEAM, 62000 / 3),  # 20 666.67
    "lost_count": (MAY_TEAM, 1),  # D03 (8 May); D12 was lost on 11 May but is open again in S3
    "lost_amount": (MAY_TEAM, 15000),
    "new_opportunities": (MAY_TEAM, 4),  # D04 (2 May), D09 (3 May), D08 (10 May), D10 (18 May)
    "average_cycle_days": (MAY_TEAM, (65 + 32 + 13) / 3),  # D01 1 Mar->5 May, D02 10 Apr->12 May, D04 2->15 May
    "open_count": (MAY_TEAM, 7),  # D07 D08 D09 D10 D11 D12 D13
    "open_amount": (MAY_TEAM, 123000),  # 40 000 + 20 000 + 10 000 + 5 000 + 8 000 + 16 000 + 24 000
    # 40 000*0.8 + 20 000*0.5 (proposal default) + 10 000*0.1 + 5 000*0.3 + 8 000*0.6 + 16 000*0.5 + 24 000*0.7
    "weighted_pipeline": (MAY_TEAM, 32000 + 10000 + 1000 + 1500 + 4800 + 8000 + 16800),
    "open_amount_in_period": (MAY_TEAM, 50000),  # D07 (28 May) + D09 (10 May, overdue)
    "weighted_in_period": (MAY_TEAM, 33000),  # 32 000 + 1 000
    "quota": (MAY_TEAM, 180000),  # alice 100 000 + bob 50 000 + chloe 30 000
    "quota_attainment": (MAY_TEAM, 62000 / 180000),  # 34.4 %
    "remaining_quota": (MAY_TEAM, 118000),  # 180 000 - 62 000
    "coverage_raw": (MAY_TEAM, 50000 / 118000),  # 0.424
    "coverage_weighted": (MAY_TEAM, 33000 / 118000),  # 0.280
    "coverage_pipeline_raw": (MAY_TEAM, 123000 / 118000),  # the whole open pipeline / what is left: 1.042
    "coverage_pipeline_weighted": (MAY_TEAM, 74100 / 118000),  # the weighted pipeline above / 118 000: 0.628
    "time_spent_hours": (MAY_TEAM, 5.25),  # A01 1 h + A02 1.5 h + A04 0.75 h + A05 2 h (A06 has no duration)
    "time_cost": (MAY_ALICE, 150),  # A01 + A05 = 3 h at 50 €/h (the team's is unknown: chloe has no cost)
}


def test_every_kpi_has_a_hand_value():
    assert set(HAND) == set(kpis.BY_KEY)


@pytest.mark.parametrize("kpi", kpis.REGISTRY, ids=lambda k: k.key)
def test_every_kpi_is_described(kpi):
    assert kpi.kind in kpis.KINDS
    assert kpi.delta in kpis.DELTAS
    assert kpi.better in ("higher", "lower", "neutral")
    assert set(kpi.needs) <= {"activities", "targets", "reps", "marketing_spend", "stage_history"}
    for strings in (FR, EN):
        assert strings.get(kpi.label_key), kpi.label_key
        assert strings.get(kpi.help_key), kpi.help_key
    assert FR[kpi.label_key] != EN[kpi.label_key] or kpi.key == "quota"


@pytest.mark.parametrize("key", HAND)
def test_every_kpi_has_its_hand_value_in_the_shared_workspace(workspace, key):
    flt, expected = HAND[key]
    assert kpis.flash_kpis(workspace, flt)[key] == pytest.approx(expected, abs=1e-6)


def test_the_cli_keys_are_registry_keys():
    assert set(kpis.FLASH_KEYS) <= set(kpis.BY_KEY)


@pytest.mark.parametrize("axis", AXES)
def test_group_by_any_axis(workspace, axis):
    df = kpis.kpi_table(workspace, MAY_TEAM, axis)
    assert len(df) >= 1
    # the parts add up to the whole for the additive KPIs, whichever axis cuts them
    whole = kpis.flash_kpis(workspace, MAY_TEAM)
    for key in ("won_count", "won_amount", "lost_amount", "new_opportunities"):
        assert df[key].sum() == pytest.approx(whole[key]), key


@pytest.mark.parametrize("axis, expected", [
    # open pipeline is "now": cut by product it adds up to the 123 000 of the tiles
    ("product", {"Licence": 40000 + 10000 + 8000 + 24000, "Service": 20000 + 5000 + 16000}),
    # D13 is alice's in S3 (bob's in S1): segment Argent, region Lyon
    ("owner", {"alice": 40000 + 5000 + 24000, "bob": 20000 + 8000, "chloe": 10000 + 16000}),
    # the owner's region in reps, else the deal's: D13 is alice's (Paris) though the deal says Lyon; D08 is bob's
    ("region", {"Paris": 40000 + 5000 + 24000, "Lyon": 20000 + 8000, "Nice": 26000}),
    ("stage", {"lead": 5000, "qualification": 10000, "proposal": 44000, "negotiation": 64000}),
])
def test_open_pipeline_by_axis(workspace, axis, expected):
    df = kpis.kpi_table(workspace, MAY_TEAM, axis)
    got = {k: v for k, v in zip(df["key"], df["open_amount"]) if v}
    assert got == pytest.approx(expected)


def test_quota_by_a_time_axis_is_prorated_per_bucket(workspace):
    df = kpis.kpi_table(workspace, MAY_TEAM, "week")
    # May 2026 starts on a Friday: 1-3 May is 3 days of 180 000 / 31, each full week 7 days
    assert list(df["key"]) == ["2026-04-27", "2026-05-04", "2026-05-11", "2026-05-18", "2026-05-25"]
    assert df["quota"].tolist() == pytest.approx([180000 * 3 / 31] + [180000 * 7 / 31] * 4)


def test_figures_an_axis_cannot_split_are_unknown_not_zero(workspace):
    df = kpis.kpi_table(workspace, MAY_TEAM, "source")
    # targets and activities carry no source: no quota, no hours per source (not 0)
    assert df["quota"].isna().all() and df["time_spent_hours"].isna().all()


def test_an_earlier_snapshot(workspace):
    # S1 (6 May): bob's open deals were D03 (proposal), D04 (qualification), D11, D13 (his then), D14
    df = kpis.kpi_table(workspace, MAY_TEAM, "owner", snapshot_id=1).set_index("key")
    assert df.loc["bob", "open_count"] == 5
    assert df.loc["bob", "open_amount"] == 15000 + 12000 + 8000 + 24000 + 9000
    assert df.loc["alice", "won_amount"] == 30000  # only D01 was won by 6 May
