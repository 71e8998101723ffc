"""Segments (effort against result) against values computed by hand on a fixture small enough to check on paper.

The workspace (snapshot of 2026-05-31), period May 2026:

  id  account  owner  segment source    status  amount  created     closed      margin  in_target
  O1  Acme     alice  Or      Marketing won     10 000  2026-04-01  2026-05-10   4 000  True
  O2  Acme     alice  Or      Marketing won      6 000  2026-04-15  2026-05-20   2 000  -
  O3  Beta     bob    Or      Salon     won      8 000  2026-01-10  2026-03-15   3 000  -      (before May)
  O4  Beta     bob    Or      Salon     won      5 000  2026-04-20  2026-05-12   1 000  -
  O5  Gamma    bob    Bronze  Marketing lost     3 000  2026-05-02  2026-05-25       -  True
  O6  Delta    chloe  Bronze  Referral  won      2 000  2026-05-03  2026-05-28     500  -
  O7  Echo     chloe  Argent  Marketing open     7 000  2026-05-05  (06-30)          -  False
  O8  Fox      alice  Argent  Marketing lost     4 000  2026-04-01  2026-05-15       -  -

  new customers in May: Acme (first win O1, 10 May) in Or, Delta (O6) in Bronze; Beta's first win is in March.
  reps: alice (team A) 60 €/h, bob (team A) 40 €/h, chloe (team B) no hourly cost.

  activities                                         attributed to         hours  cost
  A1 alice meeting        Or   O1          60 min     Or (own)              1.0    60
  A2 alice call           -    O2          30 min     Or (deal O2)          0.5    30
  A3 bob   meeting        -    -  Gamma    90 min     Bronze (account)      1.5    60
  A4 chloe video meeting  -    O6          120 min    Bronze (deal O6)      2.0    unknown (no hourly cost)
  A5 bob   email          -    -  Nobody    6 min     unattributed          0.1     4
  A6 alice demo           Argent O8        60 min     Argent (own)          1.0    60
  A7 alice meeting        Or   O1  (April) 60 min     outside the period
  A8 bob   meeting        -    O4          30 min     Or (deal O4)          0.5    20

  marketing spend: 2026-05 Or/Marketing 3 100; 2026-05 Bronze/- 1 000; 2026-05 -/Salon 620;
                   2026-04 Or/Marketing 9 999 (outside); Q2 2026 Or/- 910 (May holds 31/91 of it = 310).
  targets: alice 2026-05 Or planned 10 activities; bob 2026-05 Bronze planned 4.
"""
from __future__ import annotations

import json
import math
from datetime import date

import duckdb
import pytest

from analytics.views import segments
from analytics import store
from analytics.__main__ import main
from analytics.filters import Filter

MAY = Filter(date(2026, 5, 1), date(2026, 5, 31))
SNAPSHOT = date(2026, 5, 31)

OPPORTUNITIES = [
    # id, account, owner, segment, source, region, product, stage, status, amount, created, close, closed, margin,
    # in_target
    ("O1", "Acme", "alice", "Or", "Marketing", "Paris", "ERP", "won", "won", 10000, "2026-04-01", "2026-05-10",
     "2026-05-10", 4000, True),
    ("O2", "Acme", "alice", "Or", "Marketing", "Paris", "CRM", "won", "won", 6000, "2026-04-15", "2026-05-20",
     "2026-05-20", 2000, None),
    ("O3", "Beta", "bob", "Or", "Salon", "Lyon", "ERP", "won", "won", 8000, "2026-01-10", "2026-03-15",
     "2026-03-15", 3000, None),
    ("O4", "Beta", "bob", "Or", "Salon", "Lyon", "ERP", "won", "won", 5000, "2026-04-20", "2026-05-12",
     "2026-05-12", 1000, None),
    ("O5", "Gamma", "bob", "Bronze", "Marketing", "Lyon", "CRM", "proposal", "lost", 3000, "2026-05-02",
     "2026-05-25", "2026-05-25", None, True),
    ("O6", "Delta", "chloe", "Bronze", "Referral", "Nice", "CRM", "won", "won", 2000, "2026-05-03", "2026-05-28",
     "2026-05-28", 500, None),
    ("O7", "Echo", "chloe", "Argent", "Marketing", "Nice", "ERP", "qualification", "open", 7000, "2026-05-05",
     "2026-06-30", None, None, False),
    ("O8", "Fox", "alice", "Argent", "Marketing", "Paris", "ERP", "lead", "lost", 4000, "2026-04-01",
     "2026-05-15", "2026-05-15", None, None),
]
REPS = [("alice", "A", "Paris", 60.0), ("bob", "A", "Lyon", 40.0), ("chloe", "B", "Nice", None)]
ACTIVITIES = [
    # id, date, owner, type, account, segment, opportunity, minutes
    ("A1", "2026-05-04 10:00", "alice", "meeting", "Acme", "Or", "O1", 60),
    ("A2", "2026-05-05 10:00", "alice", "call", None, None, "O2", 30),
    ("A3", "2026-05-06 10:00", "bob", "meeting", "Gamma", None, None, 90),
    ("A4", "2026-05-07 10:00", "chloe", "video meeting", None, None, "O6", 120),
    ("A5", "2026-05-08 10:00", "bob", "email", "Nobody", None, None, 6),
    ("A6", "2026-05-11 10:00", "alice", "demo", "Fox", "Argent", "O8", 60),
    ("A7", "2026-04-20 10:00", "alice", "meeting", "Acme", "Or", "O1", 60),
    ("A8", "2026-05-12 10:00", "bob", "meeting", None, None, "O4", 30),
]
MARKETING = [
    # period, segment, source, amount, start, end
    ("2026-05", "Or", "Marketing", 3100, "2026-05-01", "2026-05-31"),
    ("2026-05", "Bronze", None, 1000, "2026-05-01", "2026-05-31"),
    ("2026-05", None, "Salon", 620, "2026-05-01", "2026-05-31"),
    ("2026-04", "Or", "Marketing", 9999, "2026-04-01", "2026-04-30"),
    ("T2 2026", "Or", None, 910, "2026-04-01", "2026-06-30"),
]
TARGETS = [
    ("alice", "2026-05", 20000, "Or", 10, "2026-05-01", "2026-05-31"),
    ("bob", "2026-05", 5000, "Bronze", 4, "2026-05-01", "2026-05-31"),
]


def insert_opportunities(con, rows=OPPORTUNITIES, snapshot_date=SNAPSHOT):
    sid = store.new_snapshot(con, snapshot_date, "test", len(rows))
    con.executemany(
        "INSERT INTO opportunities (opportunity_id, account, owner, segment, source, region, product, stage, status,"
        " amount, created_date, close_date, closed_date, margin, in_target, snapshot_id)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [r + (sid,) for r in rows],
    )


def make_workspace(con=None, reps=True, activities=True, marketing=True, targets=True):
    con = con if con is not None else store.memory_workspace()
    insert_opportunities(con)
    if reps:
        con.executemany("INSERT INTO reps (owner, team, region, hourly_cost) VALUES (?, ?, ?, ?)", REPS)
    if activities:
        con.executemany(
            "INSERT INTO activities (activity_id, date, owner, type, account, segment, opportunity_id,"
            " duration_minutes) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", ACTIVITIES)
    if marketing:
        con.executemany(
            "INSERT INTO marketing_spend (period, segment, source, amount, period_start, period_end)"
            " VALUES (?, ?, ?, ?, ?, ?)", MARKETING)
    if targets:
        con.executemany(
            "INSERT INTO targets (owner, period, quota_amount, segment, planned_activities, period_start, period_end)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)", TARGETS)
    return con


@pytest.fixture(scope="module")
def con():
    return make_workspace()


@pytest.fixture(scope="module")
def by_segment(con):
    df = segments.segment_table(con, MAY, "segment")
    return {("unattributed" if v is None else v): row for v, row in zip(df["value"], df.to_dict("records"))}


def _nan(v) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v))


def close(a, b) -> bool:
    return (_nan(a) and _nan(b)) or (not _nan(a) and not _nan(b) and math.isclose(a, b, abs_tol=1e-9))


# --- result ------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("segment, column, expected", [
    ("Or", "won_count", 3),            # O1, O2, O4 (O3 was won in March)
    ("Or", "won_amount", 21000),       # 10 000 + 6 000 + 5 000
    ("Or", "margin", 7000),            # 4 000 + 2 000 + 1 000
    ("Or", "win_rate", 1.0),           # 3 / (3 + 0)
    ("Or", "average_basket", 7000),    # 21 000 / 3
    ("Or", "new_customers", 1),        # Acme; Beta's first win was in March
    ("Bronze", "won_count", 1),        # O6
    ("Bronze", "lost_count", 1),       # O5
    ("Bronze", "win_rate", 0.5),       # 1 / (1 + 1)
    ("Bronze", "new_customers", 1),    # Delta
    ("Argent", "won_count", 0),
    ("Argent", "lost_count", 1),       # O8
    ("Argent", "win_rate", 0.0),       # 0 / (0 + 1)
    ("Argent", "average_basket", None),  # no win: no basket
    ("Argent", "new_customers", 0),
])
def test_result(by_segment, segment, column, expected):
    assert close(by_segment[segment][column], expected)


def test_a_customer_is_new_once_even_with_two_wins_in_the_period(con):
    # Acme wins O1 and O2 in May: one new customer, counted on its first win (O1, Or)
    df = segments.segment_table(con, MAY, "owner")
    assert df.set_index("value").loc["alice", "new_customers"] == 1


# --- effort and attribution --------------------------------------------------------------------------------------

@pytest.mark.parametrize("segment, column, expected", [
    ("Or", "activities", 3),           # A1 (own segment), A2 (its deal O2), A8 (its deal O4); A7 is April
    ("Or", "meetings", 2),             # A1, A8 (A2 is a call)
    ("Or", "activity_hours", 2.0),     # 1 + 0.5 + 0.5
    ("Or", "time_cost", 110),          # 1 x 60 + 0.5 x 60 + 0.5 x 40
    ("Bronze", "activities", 2),       # A3 (its account Gamma's deal O5), A4 (its deal O6)
    ("Bronze", "meetings", 2),         # a meeting and a video meeting
    ("Bronze", "activity_hours", 3.5),  # 1.5 + 2
    ("Bronze", "time_cost", None),     # 1.5 x 40 + chloe's 2 h without a cost: unknown (a dash), not 60...
    ("Bronze", "uncosted_hours", 2.0),  # ...but said
    ("Argent", "activities", 1),       # A6
    ("Argent", "meetings", 1),         # a demo is a meeting (analytics.measures.activity), on every page
    ("Argent", "demos", 1),
    ("unattributed", "activities", 1),  # A5: no segment, no deal, an account with no deal
    ("unattributed", "activity_hours", 0.1),
    ("unattributed", "time_cost", 4),  # 0.1 x 40
])
def test_effort_and_attribution(by_segment, segment, column, expected):
    assert close(by_segment[segment][column], expected)


def test_unattributed_row_comes_last_and_is_not_spread(con):
    df = segments.segment_table(con, MAY, "segment")
    assert list(df["value"]) == ["Or", "Bronze", "Argent", None]  # by won amount: 21 000, 2 000, 0; then none
    assert df["activities"].sum() == 7  # every May activity counted once: 3 + 2 + 1 + 1


# --- marketing, acquisition cost, contribution -------------------------------------------------------------------

@pytest.mark.parametrize("segment, column, expected", [
    ("Or", "marketing_spend", 3410),          # 3 100 (May) + 910 x 31 / 91 (the quarter's May days)
    ("Or", "acquisition_spend", 3520),        # 3 410 + 110
    ("Or", "acquisition_cost", 3520),         # 3 520 / 1 new customer
    ("Or", "margin_per_customer", 6000),      # Acme's May wins O1 4 000 + O2 2 000 / 1; O4 is Beta's repeat win
    ("Or", "contribution", 2480),             # 6 000 - 3 520
    ("Bronze", "marketing_spend", 1000),
    ("Bronze", "acquisition_cost", None),     # (1 000 + time cost) / 1: chloe's 2 h have no cost, so unknown
    ("Bronze", "margin_per_customer", 500),
    ("Bronze", "contribution", None),         # 500 - an unknown spend
    ("Argent", "marketing_spend", 0),         # no spend on Argent: 0, not unknown
    ("Argent", "acquisition_cost", None),     # no new customer: no cost, never infinite
    ("Argent", "contribution", -60),          # 0 margin - (0 + 60)
    ("unattributed", "marketing_spend", 620),  # spend with a source but no segment
    ("unattributed", "acquisition_cost", None),
])
def test_acquisition_cost_and_contribution(by_segment, segment, column, expected):
    assert close(by_segment[segment][column], expected)


@pytest.mark.parametrize("segment, column, expected", [
    ("Or", "effort_share", 2.0 / 6.6),        # hours: Or 2 of 2 + 3.5 + 1 + 0.1
    ("Bronze", "effort_share", 3.5 / 6.6),
    ("Or", "revenue_share", 21000 / 23000),   # won: 21 000 of 21 000 + 2 000
    ("Argent", "revenue_share", 0.0),
    ("Or", "marketing_share", 3410 / 5030),   # 3 410 of 3 410 + 1 000 + 0 + 620
])
def test_shares(by_segment, segment, column, expected):
    assert close(by_segment[segment][column], expected)


@pytest.mark.parametrize("segment, planned, ratio", [
    ("Or", 10, 0.3),        # 3 activities of 10 planned
    ("Bronze", 4, 0.5),     # 2 of 4
    ("Argent", 0, None),     # no target plans Argent: 0 planned, no ratio (never infinite)
])
def test_planned_against_actual(by_segment, segment, planned, ratio):
    assert close(by_segment[segment]["planned_activities"], planned)
    assert close(by_segment[segment]["activities_vs_plan"], ratio)


def test_marketing_by_source_axis(con):
    df = segments.segment_table(con, MAY, "source").set_index("value", drop=False)
    assert df.loc["Marketing", "marketing_spend"] == 3100
    assert df.loc["Salon", "marketing_spend"] == 620
    assert df.loc["Referral", "marketing_spend"] == 0
    # the rows without a source: Bronze's 1 000 and the quarter's 310
    assert close(df[df["value"].isna()]["marketing_spend"].iloc[0], 1310)


def test_activities_by_source_come_from_their_deal_or_account(con):
    df = segments.segment_table(con, MAY, "source").set_index("value", drop=False)
    # Marketing: A1 (O1), A2 (O2), A3 (Gamma's O5), A6 (O8); Salon: A8 (O4); Referral: A4 (O6)
    assert (df.loc["Marketing", "activities"], df.loc["Salon", "activities"], df.loc["Referral", "activities"]) \
        == (4, 1, 1)


@pytest.mark.parametrize("axis", ["region", "team", "product", "owner"])
def test_marketing_on_other_axes_stays_unattributed(con, axis):
    df = segments.segment_table(con, MAY, axis)
    named = df[df["value"].notna()]
    assert named["marketing_spend"].isna().all() and named["acquisition_cost"].isna().all()
    assert close(df[df["value"].isna()]["marketing_spend"].iloc[0], 5030)  # 3 410 + 1 000 + 620


def test_a_rep_filter_leaves_marketing_unknown(con):
    df = segments.segment_table(con, Filter(MAY.start, MAY.end, owner="alice"), "segment")
    assert df["marketing_spend"].isna().all()
    assert list(df["value"]) == ["Or", "Argent"]
    assert df.set_index("value").loc["Or", "activities"] == 2  # alice's A1, A2


def test_a_segment_filter_keeps_activities_attributed_to_it(con):
    df = segments.segment_table(con, Filter(MAY.start, MAY.end, segment="Bronze"), "segment")
    assert list(df["value"]) == ["Bronze"]
    assert df["activities"].iloc[0] == 2  # A3 and A4 have no segment of their own


def test_no_period_takes_all_data(con):
    df = segments.segment_table(con, Filter(), "segment").set_index("value", drop=False)
    assert df.loc["Or", "won_count"] == 4  # O3 too
    assert df.loc["Or", "new_customers"] == 2  # Acme and Beta
    assert df.loc["Or", "activities"] == 4  # A7 too


def test_unknown_axis_is_refused(con):
    with pytest.raises(ValueError):
        segments.segment_table(con, MAY, "color")


# --- missing sheets ----------------------------------------------------------------------------------------------

def test_opportunities_only_gives_results_and_says_what_is_missing():
    con = make_workspace(reps=False, activities=False, marketing=False, targets=False)
    df = segments.segment_table(con, MAY, "segment").set_index("value")
    assert (df.loc["Or", "won_count"], df.loc["Or", "won_amount"], df.loc["Or", "margin"]) == (3, 21000, 7000)
    for column in ("activity_hours", "time_cost", "marketing_spend", "acquisition_cost", "contribution"):
        assert df[column].isna().all(), column
    assert segments.missing_sheets(con) == {
        "activity_hours": "activities", "time_cost": "activities", "meetings": "activities",
        "marketing_spend": "marketing_spend", "planned_activities": "targets.planned_activities"}


def test_without_hourly_costs_time_cost_is_unknown_not_zero():
    con = make_workspace(reps=False)
    df = segments.segment_table(con, MAY, "segment").set_index("value")
    assert df.loc["Or", "activity_hours"] == 2.0
    assert df["time_cost"].isna().all() and df["acquisition_cost"].isna().all()
    assert segments.missing_sheets(con)["time_cost"] == "reps.hourly_cost"


def test_an_empty_workspace_gives_no_row():
    assert segments.segment_table(store.memory_workspace(), MAY).empty


# --- reps x segments ---------------------------------------------------------------------------------------------

def test_rep_effort_per_win(con):
    df = segments.rep_effort(con, MAY, "segment")
    reps = df[~df["is_median"]].set_index(["owner", "value"])
    # alice on Or: 2 wins (O1, O2), 1 meeting (A1; A2 is a call), 1.5 h
    assert (reps.loc[("alice", "Or"), "meetings_per_win"], reps.loc[("alice", "Or"), "hours_per_win"]) == (0.5, 0.75)
    # bob on Or: 1 win (O4), 1 meeting (A8), 0.5 h
    assert (reps.loc[("bob", "Or"), "meetings_per_win"], reps.loc[("bob", "Or"), "hours_per_win"]) == (1.0, 0.5)
    # bob on Bronze: a meeting (A3), no win: no ratio, never infinite
    assert _nan(reps.loc[("bob", "Bronze"), "meetings_per_win"])
    # chloe on Bronze: 1 win (O6), 1 video meeting, 2 h
    assert reps.loc[("chloe", "Bronze"), "hours_per_win"] == 2.0


def test_rep_effort_team_median(con):
    df = segments.rep_effort(con, MAY, "segment")
    median = df[df["is_median"]].set_index("value")
    assert median.loc["Or", "meetings_per_win"] == 0.75  # median of alice 0.5 and bob 1.0
    assert median.loc["Bronze", "meetings_per_win"] == 1.0  # chloe's only: bob has no win there


# --- sources -----------------------------------------------------------------------------------------------------

def test_sources(con):
    df = segments.sources(con, MAY).set_index("source")
    # created in May: O5 (Marketing, lost), O7 (Marketing, open), O6 (Referral, won)
    assert list(df.index) == ["Marketing", "Referral"]
    m, r = df.loc["Marketing"], df.loc["Referral"]
    assert (m.created_count, m.won_count, m.lost_count, m.open_count) == (2, 0, 1, 1)
    assert (m.conversion, m.win_rate, m.in_target_share) == (0.0, 0.0, 0.5)  # O5 in target, O7 not
    assert (r.conversion, r.win_rate, r.won_amount) == (1.0, 1.0, 2000)
    assert _nan(r.in_target_share)  # the data does not say for O6


# --- suggestions -------------------------------------------------------------------------------------------------

def test_a_segment_whose_cost_exceeds_its_margin_is_a_candidate_to_move_down(con):
    con.execute("UPDATE reps SET hourly_cost = 30 WHERE owner = 'chloe'")  # Bronze's time cost known: 60 + 2 x 30
    df = segments.suggestions(con, MAY, "segment")
    down = df[df["kind"] == "move_down"]
    assert list(down["value"]) == ["Bronze"]  # CAC (1 000 + 120) / 1 = 1 120 > margin per customer 500
    assert (down["acquisition_cost"].iloc[0], down["margin_per_customer"].iloc[0]) == (1120, 500)


def test_high_win_rate_for_little_effort_is_a_candidate_to_move_up():
    con = make_workspace()
    # four more Or wins in May with no activity: Or wins 7 of 7 closed for 2 h, the selection 8 of 10 for 6.6 h
    extra = [(f"X{i}", f"New{i}", "alice", "Or", "Marketing", "Paris", "ERP", "won", "won", 1000, "2026-05-01",
              "2026-05-20", "2026-05-20", 900, None) for i in range(4)]
    insert_opportunities(con, OPPORTUNITIES + extra)
    up = segments.suggestions(con, MAY, "segment").query("kind == 'move_up'")
    assert list(up["value"]) == ["Or"]
    assert close(up["win_rate"].iloc[0], 1.0) and close(up["reference_win_rate"].iloc[0], 8 / 10)
    assert close(up["hours_per_win"].iloc[0], 2.0 / 7) and close(up["reference_hours_per_win"].iloc[0], 6.6 / 8)


def test_an_account_that_wins_like_a_higher_tier_is_a_candidate_to_move_up():
    con = make_workspace()
    # Bronze accounts usually win 2 000 (Delta); Or accounts 16 000 (Acme) and 5 000 (Beta): median 10 500.
    # Kilo, a Bronze account, wins 12 000 in May: it reaches Or's median.
    extra = [("K1", "Kilo", "chloe", "Bronze", "Referral", "Nice", "CRM", "won", "won", 12000, "2026-05-01",
              "2026-05-20", "2026-05-20", 3000, None)]
    insert_opportunities(con, OPPORTUNITIES + extra)
    tiers = segments.account_tiers(con, MAY)
    up = tiers[tiers["direction"] == "up"]
    assert list(up["account"]) == ["Kilo"]
    assert (up["segment"].iloc[0], up["suggested_segment"].iloc[0]) == ("Bronze", "Or")
    assert up["reference_won_amount"].iloc[0] == 10500  # median of Acme 16 000 and Beta 5 000


# --- CLI ---------------------------------------------------------------------------------------------------------

def _cli(capsys, *argv):
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_cli_prints_the_rows_of_the_issue(tmp_path, capsys):
    path = tmp_path / "w.duckdb"
    con = duckdb.connect(str(path))
    store.init_schema(con)
    make_workspace(con)
    con.close()
    code, out, _ = _cli(capsys, "segments", "--workspace", str(path), "--start", "2026-05-01", "--end",
                        "2026-05-31", "--json")
    assert code == 0
    got = json.loads(out)
    assert got["by"] == "segment"
    assert [r["value"] for r in got["rows"]] == ["Or", "Bronze", "Argent", None]
    assert list(got["rows"][0]) == list(segments.CLI_KEYS)
    bronze, argent = got["rows"][1], got["rows"][2]
    # chloe's 2 h on Bronze have no hourly cost: its spend, cost and contribution are unknown (null), not a floor
    assert (bronze["won_count"], bronze["acquisition_cost"], bronze["contribution"]) == (1, None, None)
    assert argent["acquisition_cost"] is None and argent["average_basket"] is None  # no win: null, not inf


def test_cli_by_source_and_owner_filter(tmp_path, capsys):
    path = tmp_path / "w.duckdb"
    con = duckdb.connect(str(path))
    store.init_schema(con)
    make_workspace(con)
    con.close()
    code, out, _ = _cli(capsys, "segments", "--workspace", str(path), "--by", "source", "--owner", "bob", "--json")
    got = json.loads(out)
    assert code == 0 and got["by"] == "source"
    rows = {r["value"]: r for r in got["rows"]}
    assert rows["Salon"]["won_count"] == 2  # O3 and O4, no period: all data
    assert rows["Salon"]["marketing_spend"] is None  # spend is not per rep


@pytest.mark.parametrize("argv", [
    ["--by", "color"],                                # not an axis
    ["--start", "2026-06-01", "--end", "2026-05-01"],  # a period that ends before it starts
    ["--start", "01/05/2026"],                        # not an ISO date
])
def test_cli_refuses_bad_arguments(tmp_path, capsys, argv):
    try:
        code = main(["segments", "--workspace", str(tmp_path / "w.duckdb"), *argv])
    except SystemExit as exc:  # argparse's own refusals
        code = exc.code
    assert code not in (0, None)
    assert capsys.readouterr().err.strip()  # with a message


def test_no_figure_is_infinite(con):
    df = segments.segment_table(con, MAY, "segment")
    numeric = df.select_dtypes("number")
    assert not numeric.isin([float("inf"), float("-inf")]).any().any()
