"""Stays per funnel stage, thresholds and stuck deals (analytics/measures/stays.py), checked by hand.

Stage history (two deals):
  H1 alice: lead 1 Apr, proposal 11 Apr, proposal 16 Apr (a second CRM sub-stage of proposal),
            negotiation 21 Apr, won 1 May       -> lead 10 d, proposal 10 d (one stay), negotiation 10 d
  H2 bob:   lead 1 Apr, qualification 3 Apr, lead 5 Apr (moved back), qualification 6 Apr, open now
            -> lead 2 d, qualification 2 d, lead 1 d, qualification ongoing since 6 Apr
Weekly uploads 6, 13 and 20 May (deals without history):
  N1 chloe: lead, lead, proposal             -> lead 6 -> 20 May = 14 d; proposal ongoing since 20 May
  N2 chloe: qualification, lost, lost        -> qualification 6 -> 13 May = 7 d (it kept its stage when lost)
  N3 chloe: -, -, negotiation                -> negotiation ongoing since 20 May
"""
from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from analytics.measures import stays
from analytics.filters import Filter
from tests.funnel_data import workspace

C = "2026-03-25"
HISTORY = [
    ("H1", "lead", "2026-04-01 09:00"), ("H1", "proposal", "2026-04-11 09:00"), ("H1", "proposal", "2026-04-16 10:00"),
    ("H1", "negotiation", "2026-04-21 09:00"), ("H1", "won", "2026-05-01 09:00"),
    ("H2", "lead", "2026-04-01 09:00"), ("H2", "qualification", "2026-04-03 09:00"),
    ("H2", "lead", "2026-04-05 09:00"), ("H2", "qualification", "2026-04-06 09:00"),
]
H = [("H1", "alice", "won", "won", 1000, C, "2026-05-01"), ("H2", "bob", "qualification", "open", 1000, C, None)]
UPLOADS = [
    ("2026-05-06", H + [("N1", "chloe", "lead", "open", 1000, C, None),
                        ("N2", "chloe", "qualification", "open", 1000, C, None)]),
    ("2026-05-13", H + [("N1", "chloe", "lead", "open", 1000, C, None),
                        ("N2", "chloe", "qualification", "lost", 1000, C, "2026-05-10")]),
    ("2026-05-20", H + [("N1", "chloe", "proposal", "open", 1000, C, None),
                        ("N2", "chloe", "qualification", "lost", 1000, C, "2026-05-10"),
                        ("N3", "chloe", "negotiation", "open", 1000, C, None)]),
]


@pytest.fixture
def con():
    return workspace(UPLOADS, HISTORY)


def rows(frame):
    return [(r.opportunity_id, r.stage, None if pd.isna(r.days) else int(r.days), bool(r.ongoing), r.source)
            for r in frame.itertuples()]


def test_stays_from_history_and_uploads(con):
    assert rows(stays.stays(con)) == [
        ("H1", "lead", 10, False, "history"),
        ("H1", "proposal", 10, False, "history"),      # 11 -> 21 Apr: the two sub-stages are one stay
        ("H1", "negotiation", 10, False, "history"),
        ("H2", "lead", 2, False, "history"),
        ("H2", "qualification", 2, False, "history"),
        ("H2", "lead", 1, False, "history"),           # moved back: a second lead stay
        ("H2", "qualification", None, True, "history"),
        ("N1", "lead", 14, False, "snapshots"),        # 6 -> 20 May
        ("N1", "proposal", None, True, "snapshots"),
        ("N2", "qualification", 7, False, "snapshots"),  # 6 -> 13 May, lost at qualification
        ("N3", "negotiation", None, True, "snapshots"),
    ]


def test_stage_times_per_stage(con):
    t = stays.stage_times(con).set_index("stage")
    # lead: 10, 2, 1, 14 -> median (2 + 10) / 2 = 6; qualification: 2, 7 -> 4.5
    assert t.loc["lead", "stays"] == 4 and t.loc["lead", "median_days"] == 6.0
    assert t.loc["qualification", "median_days"] == 4.5
    assert t.loc["lead", "from_snapshots"] == 1
    assert list(t.index) == ["lead", "qualification", "proposal", "negotiation"]


def test_stage_times_per_owner(con):
    t = stays.stage_times(con, by_owner=True)
    bob = t[(t.owner == "bob") & (t.stage == "lead")].iloc[0]
    assert bob.stays == 2 and bob.median_days == 1.5  # 2 and 1


def test_stage_times_in_a_period_counts_stays_ended_in_it(con):
    t = stays.stage_times(con, Filter(date(2026, 5, 1), date(2026, 5, 31))).set_index("stage")
    # ended in May: H1 negotiation (won 1 May), N1 lead (20 May), N2 qualification (13 May);
    # the other history stays ended in April
    assert dict(t.stays) == {"lead": 1, "qualification": 1, "negotiation": 1}


@pytest.mark.parametrize("period", [Filter(), Filter(date(2026, 5, 1), date(2026, 5, 31))])
def test_time_in_stage_is_stage_times_for_the_team_and_per_owner(con, period):
    # one read of the stays gives both tables the page shows, row for row what stage_times gives
    both = stays.time_in_stage(con, period)
    pd.testing.assert_frame_equal(both["team"], stays.stage_times(con, period))
    pd.testing.assert_frame_equal(both["by_owner"], stays.stage_times(con, period, by_owner=True))


# Five deals that each left lead after 2, 4, 6, 8 and 30 days, and two open in lead since 1 and 10 May.
LEADS = [(f"L{i}", "dan", "qualification", "open", 1000, C, None) for i in range(5)]
LEAD_HISTORY = [r for i, d in enumerate((2, 4, 6, 8, 30)) for r in (
    (f"L{i}", "lead", "2026-03-01 09:00"), (f"L{i}", "qualification", f"2026-03-{1 + d:02d} 09:00"))]
OPEN_LEADS = [("K1", "eve", "lead", "open", 1000, C, None), ("K2", "eve", "lead", "open", 1000, C, None)]
OPEN_HISTORY = [("K1", "lead", "2026-05-01 09:00"), ("K2", "lead", "2026-05-10 09:00")]


@pytest.fixture
def leads():
    return workspace([("2026-05-20", LEADS + OPEN_LEADS)], LEAD_HISTORY + OPEN_HISTORY)


def test_default_threshold_is_the_team_p75(leads):
    th = stays.default_thresholds(leads)
    # p75 of 2, 4, 6, 8, 30: position 0.75 x 4 = 3 -> 8 days (above the 7-day floor)
    assert th["lead"] == {"p75_days": 8.0, "stays": 5, "threshold_days": 8.0}


def test_a_stage_with_too_few_stays_has_no_default(leads):
    # qualification has no finished stay (all five deals are still in it)
    assert stays.default_thresholds(leads)["qualification"] == {"p75_days": None, "stays": 0, "threshold_days": None}


def test_the_floor_holds(leads):
    # floor 10 days: max(8, 10) = 10
    assert stays.default_thresholds(leads, floor_days=10)["lead"]["threshold_days"] == 10.0


def test_default_threshold_is_the_teams_not_the_reps(leads):
    # eve has no finished stay; her threshold is still the team's 8 days
    assert stays.default_thresholds(leads, Filter(owner="eve"))["lead"]["threshold_days"] == 8.0


def test_stuck_deals_today(leads):
    # 20 May: K1 in lead for 19 days (> 8), K2 for 10 days (> 8); the longest overstay first
    stuck = stays.stuck_deals(leads, Filter(), date(2026, 5, 20))
    assert list(stuck.opportunity_id) == ["K1", "K2"]
    assert list(stuck.days_in_stage) == [19, 10]
    assert list(stuck.threshold_days) == [8.0, 8.0]


def test_an_edited_threshold_wins(leads):
    # 15 days for lead: K1 (19 d) still stuck, K2 (10 d) not
    stuck = stays.stuck_deals(leads, Filter(), date(2026, 5, 20), thresholds={"lead": 15})
    assert list(stuck.opportunity_id) == ["K1"]


def test_no_threshold_no_stuck_deal(con):
    # every stage of the first fixture has fewer than four finished stays except lead (4: 10, 2, 1, 14),
    # p75 = 10 + 0.25 x (14 - 10) = 11 -> lead threshold 11; no deal is open in lead
    assert stays.stuck_deals(con, Filter(), date(2026, 5, 20)).empty


def test_stuck_from_uploads(con):
    # N3 in negotiation since the 20 May upload; a 0-day threshold set by hand: 5 days later it is stuck
    stuck = stays.stuck_deals(con, Filter(), date(2026, 5, 25), thresholds={"negotiation": 0})
    assert list(stuck.opportunity_id) == ["N3"] and stuck.source.iloc[0] == "snapshots"


def test_given_defaults_are_used_not_recomputed(leads):
    # defaults handed over (as the flash page does from its cache): lead 15 days instead of the team's 8,
    # so K1 (19 d) is stuck and K2 (10 d) is not; p75_days is the one handed over
    given = (("lead", 8.0, 15.0), ("qualification", None, None), ("proposal", None, None), ("negotiation", None, None))
    stuck = stays.stuck_deals(leads, Filter(), date(2026, 5, 20), defaults=given)
    assert list(stuck.opportunity_id) == ["K1"]
    assert list(stuck.p75_days) == [8.0]


def test_frozen_defaults_give_the_same_stuck_deals(leads):
    # the flash page's path (cached thresholds, then the list) equals computing both here: K1 19 d, K2 10 d > 8
    frozen = stays.frozen(stays.default_thresholds(leads, stays.threshold_filter(Filter(owner="eve"))))
    stuck = stays.stuck_deals(leads, Filter(owner="eve"), date(2026, 5, 20), defaults=frozen)
    assert stuck.equals(stays.stuck_deals(leads, Filter(owner="eve"), date(2026, 5, 20)))
    assert list(stuck.opportunity_id) == ["K1", "K2"]


# --- the islands table: a cache of the same stays (issue 17) --------------------------------------------

def test_the_islands_table_gives_the_same_stays(con):
    merged_again = rows(stays.stays(con))
    stays.refresh_table(con)
    assert stays.table_is_fresh(con)
    # the same eleven stays, read from the table (H1's two proposal sub-stages still one 10-day stay)
    assert rows(stays.stays(con)) == merged_again
    today = date(2026, 6, 1)
    fresh = stays.stuck_deals(con, Filter(), today, thresholds={"lead": 1, "qualification": 1, "proposal": 1,
                                                               "negotiation": 1})
    cte, params = stays.stays_cte(where="r.status = 'open'")  # merged again, as before the cache
    assert sorted(fresh["opportunity_id"]) == sorted(
        r[0] for r in con.execute(f"WITH {cte} SELECT opportunity_id FROM stays WHERE ongoing", params).fetchall())


def test_the_islands_table_is_not_read_once_the_history_changed_outside_an_import(con):
    stays.refresh_table(con)
    con.execute("INSERT INTO stage_history (opportunity_id, stage, entered_at) VALUES"
                " ('H1', 'won', TIMESTAMP '2026-05-30 00:00:00')")
    assert not stays.table_is_fresh(con)  # one more history row than the table was built on


def test_an_import_builds_the_islands_table():
    from analytics import store
    from analytics.ingest.importer import import_files
    from tests.files import csv_bytes

    con = store.memory_workspace()
    history = csv_bytes([["Opportunity ID", "Stage", "Entered At"], ["X1", "Prospection", "2026-04-01"],
                         ["X1", "Proposition", "2026-04-11"], ["X1", "Devis envoyé", "2026-04-15"],
                         ["X1", "Négociation", "2026-04-21"]])
    import_files(con, [("historique.csv", history)], table="stage_history")
    assert stays.table_is_fresh(con)
    # Proposition and Devis envoyé are one proposal stay: 11 -> 21 April = 10 days
    assert con.execute("SELECT date_diff('day', CAST(entered AS DATE), CAST(left_at AS DATE)) FROM stay_islands"
                       " WHERE key = 'proposal'").fetchall() == [(10,)]
