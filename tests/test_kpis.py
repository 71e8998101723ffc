"""Flash KPIs against values computed by hand on a fixture small enough to check on paper.

The fixture (19 rows in all) is a workspace on 2026-05-20 ("today"):

  id   owner  segment source    region stage          status amount  prob  created     closed
  O1   alice  Or      marketing Paris  won            won    30 000  1.0   2026-03-01  2026-05-05
  O2   alice  Or      sales     -      won            won    20 000  -     2026-04-10  2026-05-12
  O3   bob    Argent  referral  Lyon   lost           lost   15 000  0.0   2026-04-01  2026-05-08
  O4   bob    Argent  sales     Lyon   won            won         0  1.0   2026-05-02  2026-05-15
  O5   chloe  Bronze  marketing Nice   won            won    10 000  1.0   2026-02-01  2026-04-20
  O6   alice  Or      sales     Paris  proposal       lost   25 000  -     2026-03-15  2026-04-25
  O7   alice  Or      marketing Paris  negotiation    open   40 000  0.8   2026-04-05  2026-05-28
  O8   bob    Argent  sales     -      proposal       open   20 000  -     2026-05-10  2026-06-15
  O9   chloe  Bronze  marketing Nice   qualification  open   10 000  0.1   2026-05-03  2026-05-10
  O10  alice  Or      referral  Paris  lead           open    5 000  0.3   2026-05-18  2026-07-01
  O11  bob    Argent  sales     Lyon   proposal       open    8 000  0.6   2026-01-10  2026-03-31

  reps:    alice team Nord region Paris 50 €/h;  bob team Sud region Lyon 40 €/h  (chloe has no row)
  targets: alice 2026-05 100 000; bob 2026-05 50 000; alice 2026-04 80 000       (chloe has no quota)
  activities: alice 2026-05-06 60 min (O1); bob 2026-05-07 90 min (O4); alice 2026-04-15 30 min (O6)
"""
from __future__ import annotations

from datetime import date

import pytest

from analytics.measures import kpis
from analytics import store
from analytics.filters import Filter

TODAY = date(2026, 5, 20)
MAY = Filter(date(2026, 5, 1), date(2026, 5, 31))
APRIL = Filter(date(2026, 4, 1), date(2026, 4, 30))

OPPORTUNITIES = [
    # id, owner, segment, source, region, stage, status, amount, probability, created, closed
    ("O1", "alice", "Or", "marketing", "Paris", "won", "won", 30000, 1.0, "2026-03-01", "2026-05-05"),
    ("O2", "alice", "Or", "sales", None, "won", "won", 20000, None, "2026-04-10", "2026-05-12"),
    ("O3", "bob", "Argent", "referral", "Lyon", "lost", "lost", 15000, 0.0, "2026-04-01", "2026-05-08"),
    ("O4", "bob", "Argent", "sales", "Lyon", "won", "won", 0, 1.0, "2026-05-02", "2026-05-15"),
    ("O5", "chloe", "Bronze", "marketing", "Nice", "won", "won", 10000, 1.0, "2026-02-01", "2026-04-20"),
    ("O6", "alice", "Or", "sales", "Paris", "proposal", "lost", 25000, None, "2026-03-15", "2026-04-25"),
    ("O7", "alice", "Or", "marketing", "Paris", "negotiation", "open", 40000, 0.8, "2026-04-05", "2026-05-28"),
    ("O8", "bob", "Argent", "sales", None, "proposal", "open", 20000, None, "2026-05-10", "2026-06-15"),
    ("O9", "chloe", "Bronze", "marketing", "Nice", "qualification", "open", 10000, 0.1, "2026-05-03", "2026-05-10"),
    ("O10", "alice", "Or", "referral", "Paris", "lead", "open", 5000, 0.3, "2026-05-18", "2026-07-01"),
    ("O11", "bob", "Argent", "sales", "Lyon", "proposal", "open", 8000, 0.6, "2026-01-10", "2026-03-31"),
]
REPS = [("alice", "Nord", "Paris", 50.0), ("bob", "Sud", "Lyon", 40.0)]
TARGETS = [
    ("alice", "2026-05", 100000, "2026-05-01", "2026-05-31"),
    ("bob", "2026-05", 50000, "2026-05-01", "2026-05-31"),
    ("alice", "2026-04", 80000, "2026-04-01", "2026-04-30"),
]
ACTIVITIES = [
    ("A1", "2026-05-06 10:00", "alice", "call", "Or", "O1", 60),
    ("A2", "2026-05-07 14:00", "bob", "meeting", "Argent", "O4", 90),
    ("A3", "2026-04-15 09:00", "alice", "meeting", "Or", "O6", 30),
]


def insert_opportunities(con, rows, snapshot_date=TODAY):
    sid = store.new_snapshot(con, snapshot_date, "test", len(rows))
    con.executemany(
        "INSERT INTO opportunities (opportunity_id, owner, segment, source, region, stage, status, amount,"
        " probability, created_date, close_date, snapshot_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [r + (sid,) for r in rows],
    )


def make_workspace(opportunities=True, reps=True, targets=True, activities=True):
    con = store.memory_workspace()
    if opportunities:
        insert_opportunities(con, OPPORTUNITIES)
    if reps:
        con.executemany("INSERT INTO reps (owner, team, region, hourly_cost) VALUES (?, ?, ?, ?)", REPS)
    if targets:
        con.executemany(
            "INSERT INTO targets (owner, period, quota_amount, period_start, period_end) VALUES (?, ?, ?, ?, ?)",
            TARGETS,
        )
    if activities:
        con.executemany(
            "INSERT INTO activities (activity_id, date, owner, type, segment, opportunity_id, duration_minutes)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            ACTIVITIES,
        )
    return con


@pytest.fixture(scope="module")
def con():
    return make_workspace()


# Each case: the filter, then the expected value of each KPI named, computed by hand from the table above.
CASES = {
    "may, whole team": (
        MAY,
        dict(
            won_count=3,  # O1, O2, O4 closed won in May
            won_amount=50000,  # 30 000 + 20 000 + 0
            lost_count=1,  # O3
            lost_amount=15000,
            win_rate=0.75,  # 3 / (3 + 1)
            average_basket=50000 / 3,  # 16 666.67: the amount-0 win counts as a win
            average_cycle_days=(65 + 32 + 13) / 3,  # O1 1 Mar->5 May 65 d, O2 10 Apr->12 May 32 d, O4 13 d
            open_count=5,  # O7 O8 O9 O10 O11, whatever their dates
            open_amount=83000,  # 40 000 + 20 000 + 10 000 + 5 000 + 8 000
            weighted_pipeline=49300,  # 32 000 + 20 000*0.5 (proposal default) + 1 000 + 1 500 + 4 800
            new_opportunities=4,  # O4 O8 O9 O10 created in May
            time_spent_hours=2.5,  # 60 + 90 minutes
            time_cost=110,  # 1 h * 50 + 1.5 h * 40
            quota=150000,  # alice 100 000 + bob 50 000
            quota_attainment=1 / 3,  # 50 000 / 150 000
            open_amount_in_period=50000,  # O7 (28 May) + O9 (10 May, overdue but still closing in May)
            weighted_in_period=33000,  # 32 000 + 1 000
            remaining_quota=100000,  # 150 000 - 50 000
            coverage_raw=0.5,  # 50 000 / 100 000
            coverage_weighted=0.33,  # 33 000 / 100 000
        ),
    ),
    "april, the comparison month": (
        APRIL,
        dict(
            won_count=1, won_amount=10000,  # O5
            lost_count=1, lost_amount=25000,  # O6, lost at the proposal stage
            win_rate=0.5,  # 1 / (1 + 1)
            average_basket=10000,
            average_cycle_days=78,  # 1 Feb -> 20 Apr: 28 + 31 + 19
            new_opportunities=3,  # O2 O3 O7
            time_spent_hours=0.5, time_cost=25,  # A3: 30 min at 50 €/h
            quota=80000, quota_attainment=0.125,  # 10 000 / 80 000
            # April ended before the only upload (20 May): the pipeline open at its end is unknown, not
            # today's pipeline read back into a past month
            open_count=None, open_amount=None, open_amount_in_period=None, coverage_raw=None,
        ),
    ),
    "a rep without quota (chloe, May)": (
        Filter(MAY.start, MAY.end, owner="chloe"),
        dict(
            won_count=0, lost_count=0,
            win_rate=None,  # no deal closed: undefined, not 0
            average_basket=None, average_cycle_days=None,
            open_count=1, open_amount=10000, weighted_pipeline=1000,  # O9 at 0.1
            new_opportunities=1,  # O9
            time_spent_hours=0.0, time_cost=0.0,  # no activity of hers in May
            quota=None, quota_attainment=None, coverage_raw=None, coverage_weighted=None,
        ),
    ),
    "an amount of 0 (bob, May)": (
        Filter(MAY.start, MAY.end, owner="bob"),
        dict(
            won_count=1, won_amount=0,  # O4 won at 0
            lost_count=1, lost_amount=15000,  # O3
            win_rate=0.5,
            average_basket=0.0,  # 0 / 1: defined, and 0
            average_cycle_days=13,
            open_count=2, open_amount=28000,  # O8 + O11
            weighted_pipeline=14800,  # 20 000*0.5 + 8 000*0.6
            new_opportunities=2,  # O4 (2 May) and O8 (10 May)
            time_spent_hours=1.5, time_cost=60,
            quota=50000, quota_attainment=0.0,
            open_amount_in_period=0,  # O8 closes in June, O11 closed on paper in March
            coverage_raw=0.0,  # 0 / 50 000
        ),
    ),
    "a period with no data (January 2025)": (
        Filter(date(2025, 1, 1), date(2025, 1, 31)),
        dict(
            won_count=0, won_amount=0, lost_count=0, lost_amount=0,
            win_rate=None, average_basket=None, average_cycle_days=None,
            new_opportunities=0,
            open_count=None, open_amount=None,  # no upload as old as January 2025: its pipeline is unknown
            open_amount_in_period=None,
            time_spent_hours=0.0, time_cost=0.0,
            quota=None, quota_attainment=None,  # no target overlaps January 2025
            coverage_raw=None,
        ),
    ),
    "a filter that matches nothing": (
        Filter(MAY.start, MAY.end, segment="Platine"),
        dict(
            won_count=0, won_amount=0, lost_count=0, win_rate=None, average_basket=None,
            open_count=0, open_amount=0, weighted_pipeline=0, new_opportunities=0,
            time_spent_hours=0.0, quota=None, quota_attainment=None, coverage_raw=None,
        ),
    ),
    "team Nord (through reps)": (
        Filter(MAY.start, MAY.end, team="Nord"),
        dict(
            won_count=2, won_amount=50000,  # alice: O1 + O2
            lost_count=0, win_rate=1.0,
            open_count=2, open_amount=45000, weighted_pipeline=33500,  # O7 32 000 + O10 1 500
            quota=100000, quota_attainment=0.5,
            coverage_raw=0.8,  # O7 40 000 / (100 000 - 50 000)
            coverage_weighted=0.64,  # 32 000 / 50 000
            time_spent_hours=1.0, time_cost=50,  # A1
        ),
    ),
    "region Paris (the owner's region in reps, else the deal's)": (
        Filter(MAY.start, MAY.end, region="Paris"),
        dict(
            won_count=2, won_amount=50000,  # O1 (Paris) + O2 (no region, alice is in Paris)
            lost_count=0,
            open_count=2, open_amount=45000,  # O7 + O10; O8 has no region and bob is in Lyon
        ),
    ),
    "region Lyon": (
        Filter(MAY.start, MAY.end, region="Lyon"),
        dict(won_count=1, won_amount=0, lost_count=1, win_rate=0.5, open_count=2, open_amount=28000),  # O8 via bob
    ),
    "source marketing": (
        Filter(MAY.start, MAY.end, source="marketing"),
        dict(
            won_count=1, won_amount=30000, lost_count=0, win_rate=1.0,  # O1
            open_count=2, open_amount=50000,  # O7 + O9
            # targets carry no source: the quota of marketing deals is unknown, not the whole team's (that read
            # as 30 000 / 150 000 = 20 % attainment); the note says why
            quota=None, quota_attainment=None, coverage_raw=None,
            time_spent_hours=1.0,  # A1 is on O1 (marketing); A2 is on O4 (sales)
        ),
    ),
    "no dates: everything": (
        Filter(),
        dict(
            won_count=4, won_amount=60000,  # O1 O2 O4 O5
            lost_count=2, lost_amount=40000,  # O3 O6
            win_rate=4 / 6,
            new_opportunities=11,
            time_spent_hours=3.0,  # 60 + 90 + 30 minutes
            quota=230000,  # every target
            quota_attainment=60000 / 230000,
            open_amount_in_period=83000,  # no period: every open deal
            coverage_raw=83000 / 170000,  # / (230 000 - 60 000)
        ),
    ),
}


@pytest.mark.parametrize("flt, expected", CASES.values(), ids=CASES.keys())
def test_flash_kpis(con, flt, expected):
    got = kpis.flash_kpis(con, flt)
    for key, value in expected.items():
        if value is None:
            assert got[key] is None, key
        else:
            assert got[key] == pytest.approx(value, abs=0.01), key


def test_flash_kpis_has_every_key_the_cli_prints(con):
    got = kpis.flash_kpis(con, MAY)
    required = {
        "won_count", "won_amount", "lost_count", "lost_amount", "win_rate", "open_count", "open_amount",
        "weighted_pipeline", "average_basket", "average_cycle_days", "new_opportunities", "time_spent_hours",
        "time_cost", "quota", "quota_attainment", "coverage_raw", "coverage_weighted",
    }
    assert required <= set(got)
    assert got["needs"] == {}
    import json

    json.dumps(got)  # plain Python values only


def test_missing_tables_are_named_not_zero():
    con = make_workspace(reps=False, targets=False, activities=False)
    got = kpis.flash_kpis(con, MAY)
    assert got["won_amount"] == 50000  # what opportunities alone give still works
    for key in ("time_spent_hours", "time_cost", "quota", "quota_attainment", "coverage_raw", "coverage_weighted"):
        assert got[key] is None, key
    assert got["needs"]["time_spent_hours"] == "activities"
    assert got["needs"]["quota"] == "targets"
    assert got["needs"]["coverage_raw"] == "targets"


def test_time_cost_needs_reps_when_activities_are_given():
    con = make_workspace(reps=False)
    got = kpis.flash_kpis(con, MAY)
    assert got["time_spent_hours"] == pytest.approx(2.5)
    assert got["time_cost"] is None
    assert got["needs"] == {"time_cost": "reps"}


def test_a_quota_is_prorated_over_a_shorter_period(con):
    # one week of May: 7/31 of each May target: 150 000 * 7 / 31 = 33 870.97
    got = kpis.flash_kpis(con, Filter(date(2026, 5, 4), date(2026, 5, 10)))
    assert got["quota"] == pytest.approx(150000 * 7 / 31)
    assert got["won_amount"] == 30000  # O1 on 5 May


def test_only_the_latest_snapshot_counts():
    con = make_workspace()
    # an older upload where O1 was still open must not count O1 twice, nor as open
    insert_opportunities(con, [OPPORTUNITIES[0][:5] + ("proposal", "open") + OPPORTUNITIES[0][7:]], date(2026, 5, 1))
    got = kpis.flash_kpis(con, MAY)
    assert (got["won_count"], got["open_count"]) == (3, 5)


def test_rep_table(con):
    df = kpis.rep_table(con, MAY)
    assert list(df["owner"]) == ["alice", "bob", "chloe"]  # won amount 50 000, 0, 0 (ties by name)
    alice, bob, chloe = (df.iloc[i] for i in range(3))
    assert (alice.won_count, alice.won_amount, alice.win_rate) == (2, 50000, 1.0)
    assert (alice.open_amount, alice.weighted_pipeline) == (45000, 33500)
    assert alice.quota_attainment == pytest.approx(0.5)  # 50 000 / 100 000
    assert alice.coverage_raw == pytest.approx(0.8)  # 40 000 / 50 000
    assert (bob.won_amount, bob.win_rate, bob.quota_attainment, bob.coverage_raw) == (0, 0.5, 0.0, 0.0)
    assert chloe.open_amount == 10000
    assert chloe.win_rate != chloe.win_rate  # NaN: no deal closed
    assert chloe.quota != chloe.quota  # NaN: no quota
    # the team's tiles and the table add up
    assert df["won_amount"].sum() == kpis.flash_kpis(con, MAY)["won_amount"]


def test_rep_table_of_a_filter_that_matches_nothing(con):
    assert kpis.rep_table(con, Filter(MAY.start, MAY.end, owner="nobody")).empty


def test_won_trend_weekly_with_quota_line(con):
    df = kpis.won_trend(con, MAY)
    # May 2026 starts on a Friday: weeks of 27 Apr (1-3 May, 3 days), 4, 11, 18, 25 May (7 days each)
    assert [d.isoformat() for d in df["bucket"]] == ["2026-04-27", "2026-05-04", "2026-05-11", "2026-05-18", "2026-05-25"]
    assert (df["bucket_start"].iloc[0], df["bucket_end"].iloc[-1]) == (date(2026, 5, 1), date(2026, 5, 31))  # clipped
    assert list(df["grain"].unique()) == ["week"]
    assert list(df["won_amount"]) == [0, 30000, 20000, 0, 0]  # O1 5 May; O2 12 May + O4 (0) 15 May
    assert list(df["won_count"]) == [0, 1, 2, 0, 0]
    assert df["quota"].tolist() == pytest.approx([150000 * 3 / 31] + [150000 * 7 / 31] * 4)
    assert df["quota"].sum() == pytest.approx(150000)


def test_won_trend_monthly_over_a_long_period(con):
    df = kpis.won_trend(con, Filter(date(2026, 1, 1), date(2026, 5, 31)))
    assert list(df["grain"].unique()) == ["month"]
    assert list(df["won_amount"]) == [0, 0, 0, 10000, 50000]
    assert df["quota"].tolist()[3:] == [80000, 150000]
    assert df["quota"].isna().tolist()[:3] == [True, True, True]


def test_won_trend_without_data_is_empty():
    con = make_workspace(opportunities=False)
    assert kpis.won_trend(con, Filter()).empty


def test_reps_behind_their_prorated_goal(con):
    df = kpis.reps_behind_goal(con, Filter(), TODAY)
    # 20 of 31 days gone: alice's goal so far 100 000 * 20/31 = 64 516, won 50 000 -> 14 516 behind, more than
    # the tolerance (10 % of her month, 10 000); bob's 50 000 * 20/31 = 32 258, won 0 -> 32 258 behind (> 5 000).
    # chloe has no quota: not judged.
    assert list(df["owner"]) == ["bob", "alice"]
    assert df["prorated_goal"].tolist() == pytest.approx([50000 * 20 / 31, 100000 * 20 / 31])
    assert df["gap"].tolist() == pytest.approx([50000 * 20 / 31, 100000 * 20 / 31 - 50000])


@pytest.mark.parametrize("today, listed", [
    # 5 May: alice's goal so far 100 000 * 5/31 = 16 129, she has 30 000 (O1): ahead.
    (date(2026, 5, 5), False),
    # 10 May: goal 32 258, won 30 000: behind by 2 258, within the tolerance (10 % of 100 000): not listed.
    (date(2026, 5, 10), False),
    # 20 May: behind by 14 516 > 10 000: listed.
    (date(2026, 5, 20), True),
])
def test_a_rep_is_listed_only_beyond_the_tolerance(con, today, listed):
    assert ("alice" in set(kpis.reps_behind_goal(con, Filter(), today)["owner"])) == listed


def test_nobody_is_behind_on_the_2nd_of_the_month(con):
    # on 2 May the goal so far is 2/31 = 6.5 % of the month: below the 10 % tolerance, so a rep with nothing
    # won yet (bob: 0 of 50 000 * 2/31 = 3 226) is not flagged (the old rule flagged any shortfall)
    assert kpis.reps_behind_goal(con, Filter(), date(2026, 5, 2)).empty


def test_overdue_deals(con):
    df = kpis.overdue_deals(con, Filter(), TODAY)
    assert list(df["opportunity_id"]) == ["O11", "O9"]  # closing 31 Mar and 10 May, still open on 20 May
    assert list(df["days_overdue"]) == [50, 10]
    assert kpis.overdue_deals(con, Filter(owner="alice"), TODAY).empty


def test_probability_lower_than_an_earlier_stage(con):
    # typical (median) stated probability of open deals: lead 0.3 (O10), qualification 0.1 (O9),
    # proposal 0.6 (O11; O8 states none), negotiation 0.8 (O7).
    # O9 (qualification, 0.1) is below the typical lead (0.3); no other deal is below an earlier stage.
    df = kpis.probability_inversions(con, Filter())
    assert list(df["opportunity_id"]) == ["O9"]
    assert (df.iloc[0]["earlier_stage"], df.iloc[0]["earlier_typical"]) == ("lead", pytest.approx(0.3))


def stuck_workspace():
    """P1-P4 each stayed in proposal 10, 20, 30, 40 days: 3 deals in 4 stayed at most
    quantile_cont(0.75) = 32.5 days. On 20 May, X has been in proposal 40 days (since 10 Apr): stuck;
    Y 30 days (since 20 Apr): not. P1 sits in negotiation since 1 Jan, but negotiation has no finished stay
    to compare with (fewer than 4): not judged. 16 rows."""
    con = store.memory_workspace()
    insert_opportunities(con, [
        ("P1", "alice", None, None, None, "negotiation", "open", 1000, None, "2025-12-01", None),
        ("P2", "alice", None, None, None, "won", "won", 1000, None, "2025-12-01", "2026-02-01"),
        ("P3", "bob", None, None, None, "won", "won", 1000, None, "2025-12-01", "2026-02-01"),
        ("P4", "bob", None, None, None, "lost", "lost", 1000, None, "2025-12-01", "2026-02-01"),
        ("X", "alice", None, None, None, "proposal", "open", 5000, None, "2026-03-01", None),
        ("Y", "bob", None, None, None, "proposal", "open", 7000, None, "2026-03-01", None),
    ])
    con.executemany("INSERT INTO stage_history (opportunity_id, stage, entered_at) VALUES (?, ?, ?)", [
        ("P1", "proposal", "2025-12-22"), ("P1", "negotiation", "2026-01-01"),  # 10 days
        ("P2", "proposal", "2025-12-12"), ("P2", "won", "2026-01-01"),  # 20 days
        ("P3", "proposal", "2025-12-02"), ("P3", "won", "2026-01-01"),  # 30 days
        ("P4", "proposal", "2025-11-22"), ("P4", "lost", "2026-01-01"),  # 40 days
        ("X", "proposal", "2026-04-10"), ("Y", "proposal", "2026-04-20"),
    ])
    return con


def test_stuck_deals():
    df = kpis.stuck_deals(stuck_workspace(), Filter(), TODAY)
    assert list(df["opportunity_id"]) == ["X"]
    assert df.iloc[0]["days_in_stage"] == 40
    assert df.iloc[0]["p75_days"] == pytest.approx(32.5)


def test_stuck_deals_follow_the_filter():
    assert kpis.stuck_deals(stuck_workspace(), Filter(owner="bob"), TODAY).empty


def test_stuck_deals_without_history_is_empty(con):
    assert kpis.stuck_deals(con, Filter(), TODAY).empty


# --- comparison read like for like (issue 7) ------------------------------------------------------------------

def test_comparison_attainment_is_won_so_far_against_the_whole_quota(con):
    """On 20 May, May's attainment is won so far against the whole May quota: 50 000 / 150 000 = 33.3 %.
    April read the same way: won by 20 April (O5, 10 000) against the whole April quota (80 000) = 12.5 %,
    not against a quota prorated to 20 days (10 000 / 53 333 = 18.75 %, which made the change +14.6 pts)."""
    cmp = kpis.comparison_kpis(con, MAY, "previous", TODAY)
    assert (cmp["start"], cmp["end"]) == (date(2026, 4, 1), date(2026, 4, 20))
    assert (cmp["whole_start"], cmp["whole_end"]) == (date(2026, 4, 1), date(2026, 4, 30))
    assert cmp["won_amount"] == 10000
    assert cmp["quota"] == 80000
    assert cmp["quota_attainment"] == pytest.approx(0.125)
    assert not cmp["empty"]


def test_comparison_counts_stop_at_the_same_elapsed_day(con):
    # 1-20 April: O5 won (20 Apr); O6 lost on 25 April falls after the 20th
    cmp = kpis.comparison_kpis(con, MAY, "previous", TODAY)
    assert (cmp["won_count"], cmp["lost_count"]) == (1, 0)


def test_a_comparison_without_data_says_so(con):
    # May 2025 holds nothing: no deal closed or created, no quota, no hour
    cmp = kpis.comparison_kpis(con, MAY, "last_year", TODAY)
    assert (cmp["start"], cmp["end"]) == (date(2025, 5, 1), date(2025, 5, 20))
    assert cmp["empty"]


def test_no_comparison_for_a_long_period(con):
    assert kpis.comparison_kpis(con, Filter(date(2019, 1, 1), TODAY), "previous", TODAY) is None


def test_time_cost_partly_unknown_is_no_number():
    """chloe logs an hour but has no hourly cost: the team's cost is unknown (it showed 110 €, as if her hour
    cost nothing); the note says how many hours are not costed."""
    con = make_workspace()
    con.execute("INSERT INTO reps (owner, team) VALUES ('chloe', 'Nord')")
    con.execute("INSERT INTO activities (activity_id, date, owner, type, duration_minutes)"
                " VALUES ('A4', '2026-05-11 10:00', 'chloe', 'call', 60)")
    got = kpis.flash_kpis(con, MAY)
    assert got["time_spent_hours"] == pytest.approx(3.5)  # 1 + 1.5 + 1
    assert got["time_cost"] is None
    assert got["notes"]["time_cost"] == {"note": "flash.note.cost_partial", "hours": 1.0, "total": 3.5}
    # alice's own cost is known: 1 h at 50 €
    assert kpis.flash_kpis(con, Filter(MAY.start, MAY.end, owner="alice"))["time_cost"] == 50


def test_quota_under_a_source_filter_is_not_available_and_says_why(con):
    got = kpis.flash_kpis(con, Filter(MAY.start, MAY.end, source="marketing"))
    assert (got["quota"], got["quota_attainment"], got["coverage_raw"]) == (None, None, None)
    assert got["notes"]["quota_attainment"] == {"note": "flash.note.quota_source"}


def test_stuck_deals_merge_the_crm_sub_stages_of_one_funnel_stage(workspace):
    """D11 entered "Proposition envoyée" on 20 January and "Proposition révisée" on 15 May: both are the funnel's
    proposal, so on 20 May it has been in proposal 120 days (the old alert read 5 days, since 15 May, and let
    it pass). Finished proposal stays, sub-stages merged: 22, 23, 30 (D07: 21 + 9), 31, 41, 52 days ->
    quantile_cont(0.75) = 31 + 0.75 x (41 - 31) = 38.5 days, above the 7-day floor."""
    from tests.fixtures.workspace import TODAY as SHARED_TODAY

    df = kpis.stuck_deals(workspace, Filter(), SHARED_TODAY)
    assert list(df["opportunity_id"]) == ["D11"]
    assert df.iloc[0]["days_in_stage"] == 120
    assert df.iloc[0]["threshold_days"] == pytest.approx(38.5)


def test_open_deals_whose_history_misses_their_stage_are_counted(workspace):
    """In the shared workspace every open deal's history ends in its current stage (D12's reopening included).
    Move D08 to negotiation in S3 while its history stops at proposal (10 May): one deal the stuck alert
    cannot judge, counted instead of left out silently."""
    assert kpis.stays_not_measured(workspace, Filter()) == 0
    workspace.execute("UPDATE opportunities SET stage = 'negotiation' WHERE opportunity_id = 'D08' AND snapshot_id = 3")
    assert kpis.stays_not_measured(workspace, Filter()) == 1
    assert kpis.stays_not_measured(workspace, Filter(owner="alice")) == 0  # D08 is bob's
