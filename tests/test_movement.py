"""Movement between uploads against values computed by hand on three small weekly snapshots.

  S1 = 2026-05-04                                  S2 = 2026-05-11                           S3 = 2026-05-18
  id   owner  stage        status amount close      owner  stage        status amount close  stage   status amount close
  D1   alice  proposal     open   10 000 05-31      alice  negotiation  open   12 000 06-15  negot.  open   12 000 06-30
  D2   alice  lead         open    5 000 06-30      (absent: dropped)                        (absent)
  D3   bob    negotiation  open   20 000 05-20      bob    won          won    20 000 05-09  won     won    20 000 05-09
  D4   bob    qualification open   8 000 06-15      bob    lead         open    8 000 06-01  lead    open    8 000 06-01
  D5   bob    lost         lost    3 000 04-30      bob    proposal     open    3 000 06-20  won     won     3 000 05-15
  D6   alice  qualification open   (none) 06-10     alice  qualification open   6 000 06-10  qualif. open    6 000 06-20
  D7   chloe  proposal     open    7 000 05-25      alice  proposal     open    7 000 05-25  prop.   open    7 000 05-25
  D8   chloe  lead         open    4 000 07-01      chloe  lost         lost    4 000 05-08  (absent)
  D9                                                alice  lead         open    9 000 07-01  lead    open    9 000 07-15
  D10                                               bob    won          won     1 500 05-10  won     won     1 500 05-10

D6 has no amount in S1 (counted 0), D7 changes hands from chloe to alice between S1 and S2, D2 disappears,
D5 reopens, D10 appears already won (new, but never in the open pipeline).
"""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from analytics.views import movement
from analytics import store
from analytics.filters import Filter

S1, S2, S3 = date(2026, 5, 4), date(2026, 5, 11), date(2026, 5, 18)

# id, owner, stage, status, amount, probability, created, close
SNAPSHOTS = {
    S1: [
        ("D1", "alice", "proposal", "open", 10000, None, "2026-03-01", "2026-05-31"),
        ("D2", "alice", "lead", "open", 5000, None, "2026-04-01", "2026-06-30"),
        ("D3", "bob", "negotiation", "open", 20000, 0.9, "2026-02-01", "2026-05-20"),
        ("D4", "bob", "qualification", "open", 8000, None, "2026-04-10", "2026-06-15"),
        ("D5", "bob", "lost", "lost", 3000, 0.0, "2026-03-10", "2026-04-30"),
        ("D6", "alice", "qualification", "open", None, None, "2026-04-20", "2026-06-10"),
        ("D7", "chloe", "proposal", "open", 7000, 0.6, "2026-03-20", "2026-05-25"),
        ("D8", "chloe", "lead", "open", 4000, 0.2, "2026-04-25", "2026-07-01"),
    ],
    S2: [
        ("D1", "alice", "negotiation", "open", 12000, None, "2026-03-01", "2026-06-15"),
        ("D3", "bob", "won", "won", 20000, 1.0, "2026-02-01", "2026-05-09"),
        ("D4", "bob", "lead", "open", 8000, None, "2026-04-10", "2026-06-01"),
        ("D5", "bob", "proposal", "open", 3000, None, "2026-03-10", "2026-06-20"),
        ("D6", "alice", "qualification", "open", 6000, None, "2026-04-20", "2026-06-10"),
        ("D7", "alice", "proposal", "open", 7000, 0.6, "2026-03-20", "2026-05-25"),
        ("D8", "chloe", "lost", "lost", 4000, 0.0, "2026-04-25", "2026-05-08"),
        ("D9", "alice", "lead", "open", 9000, None, "2026-05-06", "2026-07-01"),
        ("D10", "bob", "won", "won", 1500, 1.0, "2026-05-05", "2026-05-10"),
    ],
    S3: [
        ("D1", "alice", "negotiation", "open", 12000, None, "2026-03-01", "2026-06-30"),
        ("D3", "bob", "won", "won", 20000, 1.0, "2026-02-01", "2026-05-09"),
        ("D4", "bob", "lead", "open", 8000, None, "2026-04-10", "2026-06-01"),
        ("D5", "bob", "won", "won", 3000, 1.0, "2026-03-10", "2026-05-15"),
        ("D6", "alice", "qualification", "open", 6000, None, "2026-04-20", "2026-06-20"),
        ("D7", "alice", "proposal", "open", 7000, 0.6, "2026-03-20", "2026-05-25"),
        ("D9", "alice", "lead", "open", 9000, None, "2026-05-06", "2026-07-15"),
        ("D10", "bob", "won", "won", 1500, 1.0, "2026-05-05", "2026-05-10"),
    ],
}


def insert_snapshot(con, snapshot_date, rows) -> int:
    sid = store.new_snapshot(con, snapshot_date, "test", len(rows))
    con.executemany(
        "INSERT INTO opportunities (opportunity_id, owner, stage, status, amount, probability, created_date,"
        " close_date, snapshot_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [r + (sid,) for r in rows],
    )
    return sid


def make_workspace(snapshot_dates=(S1, S2, S3)):
    con = store.memory_workspace()
    for day in snapshot_dates:
        insert_snapshot(con, day, SNAPSHOTS[day])
    return con


@pytest.fixture(scope="module")
def con():
    return make_workspace()


def ids(con, day) -> int:
    return con.execute("SELECT snapshot_id FROM snapshots WHERE snapshot_date = ?", [day]).fetchall()[0][0]


@pytest.fixture(scope="module")
def s1_s2(con):
    return movement.movement_summary(con, Filter(), ids(con, S1), ids(con, S2))


# --- S1 -> S2, the whole team --------------------------------------------------------------------------------

@pytest.mark.parametrize("key, expected", [
    ("open_count_before", 7),  # D1 D2 D3 D4 D6 D7 D8
    ("open_amount_before", Decimal("54000")),  # 10 000 + 5 000 + 20 000 + 8 000 + 0 (D6) + 7 000 + 4 000
    ("open_count_after", 6),  # D1 D4 D5 D6 D7 D9
    ("open_amount_after", Decimal("45000")),  # 12 000 + 8 000 + 3 000 + 6 000 + 7 000 + 9 000
    ("new_count", 2),  # D9, D10
    ("new_amount", Decimal("9000")),  # D9 only: D10 arrived already won
    ("new_closed_count", 1),  # D10
    ("won_count", 1), ("won_amount", Decimal("20000")),  # D3 at its S1 amount
    ("lost_count", 1), ("lost_amount", Decimal("4000")),  # D8
    ("dropped_count", 1), ("dropped_amount", Decimal("5000")),  # D2
    ("reopened_count", 1), ("reopened_amount", Decimal("3000")),  # D5 at its S2 amount
    ("advanced_count", 1), ("advanced_amount", Decimal("12000")),  # D1 proposal -> negotiation
    ("moved_back_count", 1), ("moved_back_amount", Decimal("8000")),  # D4 qualification -> lead
    ("slipped_count", 1), ("slipped_amount", Decimal("12000")),  # D1 31/05 -> 15/06
    ("pulled_in_count", 1), ("pulled_in_amount", Decimal("8000")),  # D4 15/06 -> 01/06
    ("amount_changed_count", 2),  # D1 10 000 -> 12 000, D6 none -> 6 000
    ("amount_change", Decimal("8000")),  # +2 000 + 6 000 (D4, D7 unchanged)
    ("owner_changed_count", 1),  # D7 chloe -> alice
    ("missing_amount_count", 1),  # D6 in S1
    ("changed_count", 9),  # every deal but D7 (owner only)
])
def test_summary_between_two_uploads(s1_s2, key, expected):
    assert s1_s2[key] == expected


def test_waterfall_adds_up_exactly(s1_s2):
    steps = {s["step"]: s["amount"] for s in s1_s2["waterfall"]}
    # 54 000 + 9 000 + 3 000 - 20 000 - 4 000 - 5 000 + 8 000 = 45 000
    assert steps == {"open_before": Decimal("54000"), "new": Decimal("9000"), "reopened": Decimal("3000"),
                     "won": Decimal("-20000"), "lost": Decimal("-4000"), "dropped": Decimal("-5000"),
                     "amount_change": Decimal("8000"), "open_after": Decimal("45000")}
    assert sum(s["amount"] for s in s1_s2["waterfall"][:-1]) == s1_s2["waterfall"][-1]["amount"]
    assert all(isinstance(s["amount"], Decimal) for s in s1_s2["waterfall"])


@pytest.mark.parametrize("deal, reason, changes", [
    ("D1", "slipped", "advanced,slipped,amount_changed"),  # slipped outranks amount changed and advanced
    ("D2", "dropped", "dropped"),
    ("D3", "won", "won"),
    ("D4", "pulled_in", "moved_back,pulled_in"),  # pulled in outranks moved back
    ("D5", "reopened", "reopened"),
    ("D6", "amount_changed", "amount_changed"),  # a missing amount that gets one is a change
    ("D8", "lost", "lost"),
    ("D9", "new", "new"),
    ("D10", "new", "new"),
])
def test_each_deal_has_all_its_changes_and_one_main_reason(con, deal, reason, changes):
    df = movement.movement_deals(con, Filter(), ids(con, S1), ids(con, S2)).set_index("opportunity_id")
    assert df.loc[deal, "reason"] == reason
    # the order of CHANGES: new, won, lost, dropped, reopened, advanced, moved back, slipped, pulled in, amount
    assert df.loc[deal, "changes"] == changes


def test_lists_by_main_reason_add_up_to_the_deals_that_changed(con, s1_s2):
    df = movement.movement_deals(con, Filter(), ids(con, S1), ids(con, S2))
    assert len(df) == s1_s2["changed_count"] == 9
    assert "D7" not in set(df["opportunity_id"])  # only its owner changed: not a pipeline movement
    by_reason = df["reason"].value_counts().to_dict()
    assert by_reason == {r: s1_s2[f"reason_{r}_count"] for r in movement.REASONS if s1_s2[f"reason_{r}_count"]}
    assert sum(s1_s2[f"reason_{r}_count"] for r in movement.REASONS) == 9


def test_unchanged_deals_are_listed_on_request(con):
    df = movement.movement_deals(con, Filter(), ids(con, S1), ids(con, S2), changed_only=False)
    row = df.set_index("opportunity_id").loc["D7"]
    assert row["reason"] is None or row["reason"] != row["reason"]  # None / NaN: nothing moved
    assert (row["owner"], row["owner_before"], bool(row["owner_changed"])) == ("alice", "chloe", True)


# --- owner filter: B's owner for deals in B, A's for dropped deals -------------------------------------------

@pytest.mark.parametrize("owner, before, after, counts", [
    # alice: D1 D6 D7 D9 (owned in S2) + D2 (dropped, alice's in S1): 10 000 + 0 + 7 000 + 5 000 = 22 000
    #   -> 12 000 + 6 000 + 7 000 + 9 000 = 34 000 = 22 000 + 9 000 (D9) - 5 000 (D2) + 8 000 (D1, D6)
    ("alice", 22000, 34000, dict(new_count=1, dropped_count=1, amount_changed_count=2, owner_changed_count=1)),
    # chloe: D8 only (D7 is alice's now): 4 000 -> 0, lost 4 000
    ("chloe", 4000, 0, dict(lost_count=1, new_count=0, dropped_count=0, owner_changed_count=0)),
    # bob: D3 D4 D5 D10: 20 000 + 8 000 = 28 000 -> 8 000 + 3 000 = 11 000 = 28 000 + 3 000 - 20 000
    ("bob", 28000, 11000, dict(won_count=1, reopened_count=1, new_count=1, moved_back_count=1)),
])
def test_owner_filter_follows_the_deal_to_its_new_owner(con, owner, before, after, counts):
    s = movement.movement_summary(con, Filter(owner=owner), ids(con, S1), ids(con, S2))
    assert (s["open_amount_before"], s["open_amount_after"]) == (Decimal(before), Decimal(after))
    assert {k: s[k] for k in counts} == counts
    assert sum(x["amount"] for x in s["waterfall"][:-1]) == s["waterfall"][-1]["amount"]


def test_reps_add_up_to_the_team(con, s1_s2):
    reps = movement.movement_by_rep(con, Filter(), ids(con, S1), ids(con, S2)).set_index("owner")
    assert reps["open_amount_before"].to_dict() == {"alice": 22000, "bob": 28000, "chloe": 4000}
    assert reps["open_amount_before"].sum() == float(s1_s2["open_amount_before"])  # 54 000
    assert reps["open_amount_after"].sum() == float(s1_s2["open_amount_after"])  # 45 000
    assert reps.loc["alice", "owner_changed_count"] == 1


# --- other pairs ---------------------------------------------------------------------------------------------

def test_any_two_uploads_can_be_compared(con):
    # S1 -> S3: D5 lost then won (closed in both: no movement), D8 lost and then gone (it was open in S1: lost
    # in S2, absent from S3 -> dropped when S2 is skipped), D1 slipped 31/05 -> 30/06.
    s = movement.movement_summary(con, Filter(), ids(con, S1), ids(con, S3))
    assert (s["won_count"], s["lost_count"], s["dropped_count"], s["reopened_count"]) == (1, 0, 2, 0)  # D3; D2, D8
    assert s["open_amount_before"] == Decimal("54000")
    assert s["open_amount_after"] == Decimal("42000")  # 12 000 + 8 000 + 6 000 + 7 000 + 9 000
    # 54 000 + 9 000 (D9) - 20 000 (D3) - 9 000 (D2 5 000 + D8 4 000) + 8 000 (D1 +2 000, D6 +6 000) = 42 000
    assert s["new_amount"] == Decimal("9000") and s["dropped_amount"] == Decimal("9000")


def test_default_pair_is_the_last_two_uploads(con):
    assert movement.resolve_pair(con) == (ids(con, S2), ids(con, S3))


@pytest.mark.parametrize("start, end, expected", [
    (S1, S2, (S1, S2)),
    (date(2026, 5, 5), date(2026, 5, 30), (S1, S3)),  # the snapshots on or before each date
    (None, S2, (S1, S2)),  # A: the upload just before B
])
def test_pair_from_dates(con, start, end, expected):
    assert movement.resolve_pair(con, start, end) == (ids(con, expected[0]), ids(con, expected[1]))


@pytest.mark.parametrize("start, end, key", [
    (date(2026, 5, 1), S2, "movement.no_snapshot_before"),
    (S2, date(2026, 5, 12), "movement.same_snapshot"),
    (S3, S2, "movement.order"),
])
def test_pair_refused_with_a_reason(con, start, end, key):
    with pytest.raises(movement.MovementError) as err:
        movement.resolve_pair(con, start, end)
    assert err.value.key == key


def test_single_upload_needs_two():
    with pytest.raises(movement.MovementError) as err:
        movement.resolve_pair(make_workspace((S1,)))
    assert err.value.key == "movement.need_two"


def test_largest_movements_by_amount(s1_s2):
    top = movement.largest_movements(s1_s2)
    # won 20 000, new 9 000, amount change 8 000, dropped 5 000 (lost 4 000 and reopened 3 000 come after)
    assert [(m["step"], m["amount"], m["count"]) for m in top] == [
        ("won", Decimal("-20000"), 1), ("new", Decimal("9000"), 2), ("amount_change", Decimal("8000"), 2),
        ("dropped", Decimal("-5000"), 1)]


# --- slips over every upload ---------------------------------------------------------------------------------

@pytest.mark.parametrize("deal, slips, uploads", [
    ("D1", 2, 3),  # 31/05 -> 15/06 -> 30/06
    ("D4", 0, 3),  # pulled in, then unchanged
    ("D6", 1, 3),  # 10/06 -> 10/06 -> 20/06
    ("D9", 1, 2),  # 01/07 -> 15/07
    ("D5", 0, 3),  # its close date moved while it was closed or as it closed: not a slip
    ("D7", 0, 3),
])
def test_slips_counted_over_every_upload(con, deal, slips, uploads):
    df = movement.slip_counts(con, Filter()).set_index("opportunity_id")
    assert (df.loc[deal, "slips"], df.loc[deal, "uploads"]) == (slips, uploads)


def test_slips_follow_the_filter_and_an_earlier_snapshot(con):
    df = movement.slip_counts(con, Filter(owner="alice"), ids(con, S2))
    # alice's deals in S2: D1 D6 D7 D9; up to S2 only D1 slipped once
    assert dict(zip(df["opportunity_id"], df["slips"])) == {"D1": 1, "D6": 0, "D7": 0, "D9": 0}


# --- the pipeline at each upload -----------------------------------------------------------------------------

def test_trend_one_row_per_upload(con):
    df = movement.pipeline_trend(con, Filter())
    assert list(df["snapshot_date"]) == [S1, S2, S3]
    assert list(df["open_amount"]) == [54000, 45000, 42000]
    assert list(df["open_count"]) == [7, 6, 5]
    # S1 weighted: D1 10 000 x 0.5 + D2 5 000 x 0.1 + D3 20 000 x 0.9 + D4 8 000 x 0.25 + D7 7 000 x 0.6
    #   + D8 4 000 x 0.2 = 5 000 + 500 + 18 000 + 2 000 + 4 200 + 800 = 30 500 (D6 has no amount)
    assert df["weighted_pipeline"].iloc[0] == pytest.approx(30500)
    # won in May up to each upload: S1 none; S2 D3 (09/05) + D10 (10/05) = 21 500; S3 + D5 (15/05) = 24 500
    assert list(df["won_month_to_date"]) == [0, 21500, 24500]
    assert df["coverage"].isna().all()  # no targets: no quota to cover


def test_trend_coverage_against_the_month_quota():
    con = make_workspace()
    con.execute("INSERT INTO targets (owner, period, quota_amount, period_start, period_end) VALUES"
                " ('alice', '2026-05', 40000, '2026-05-01', '2026-05-31'),"
                " ('bob', '2026-05', 20000, '2026-05-01', '2026-05-31')")
    df = movement.pipeline_trend(con, Filter())
    # S2: remaining = 60 000 - 21 500 = 38 500; coverage = 45 000 / 38 500
    assert df["quota_month"].iloc[1] == 60000
    assert df["coverage"].iloc[1] == pytest.approx(45000 / 38500)
    # bob alone at S3: open D4 8 000; won D3 + D5 + D10 = 24 500 > 20 000 quota: nothing left, no coverage
    bob = movement.pipeline_trend(con, Filter(owner="bob"))
    assert bob["remaining_quota"].iloc[2] == -4500 and bob["coverage"].isna().iloc[2]


def test_needed_coverage_from_the_teams_history():
    con = store.memory_workspace()
    # latest upload 2026-05-18: past months April and March (history of 2 months).
    insert_snapshot(con, S3, [
        ("H1", "alice", "won", "won", 10000, None, "2026-02-10", "2026-03-20"),  # open 1 Mar, won in March
        ("H2", "alice", "lost", "lost", 30000, None, "2026-02-15", "2026-04-10"),  # open 1 Mar and 1 Apr, lost
        ("H3", "alice", "won", "won", 20000, None, "2026-03-05", "2026-04-25"),  # open 1 Apr, won in April
        ("H4", "alice", "lead", "open", 40000, None, "2026-03-25", "2026-06-30"),  # open 1 Apr, still open
    ])
    got = movement.needed_coverage(con, Filter(), months=2)
    # March: open at 1 Mar = H1 + H2 = 40 000, won in March = 10 000.
    # April: open at 1 Apr = H2 + H3 + H4 = 90 000, won in April = 20 000.
    # conversion = (10 000 + 20 000) / (40 000 + 90 000) = 3/13; needed = 13/3 = 4.33
    assert got["months"] == 2
    assert got["conversion"] == pytest.approx(3 / 13)
    assert got["needed"] == pytest.approx(13 / 3)


def test_needed_coverage_without_history_is_none():
    got = movement.needed_coverage(store.memory_workspace(), Filter())
    assert got["needed"] is None and got["months"] == 0


def test_first_rows_of_each_reason_and_one_reason(con):
    full = movement.movement_deals(con, Filter(), ids(con, S1), ids(con, S2))
    top = movement.movement_deals(con, Filter(), ids(con, S1), ids(con, S2), limit_per_reason=1)
    # one row per main reason present: won, lost, dropped, new (D9 9 000 before D10 1 500), reopened, pulled in,
    # slipped, amount changed
    assert list(top["opportunity_id"]) == ["D3", "D8", "D2", "D9", "D5", "D4", "D1", "D6"]
    assert list(full["opportunity_id"][:4]) == ["D3", "D8", "D2", "D9"]
    new = movement.movement_deals(con, Filter(), ids(con, S1), ids(con, S2), reason="new")
    assert list(new["opportunity_id"]) == ["D9", "D10"]


def test_deals_of_every_snapshot_in_one_selection(con):
    from analytics import selection

    cte, params = selection.deals_cte(Filter(owner="alice"), selection.ALL_SNAPSHOTS)
    rows = con.execute(f"WITH {cte} SELECT snapshot_id, count(*) FROM deals GROUP BY 1 ORDER BY 1", params).fetchall()
    # alice's deals as each upload states them: S1 D1 D2 D6; S2 D1 D6 D7 D9; S3 D1 D6 D7 D9
    assert [n for _, n in rows] == [3, 4, 4]
