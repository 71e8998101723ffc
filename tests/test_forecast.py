"""Forecast reliability against values computed by hand: two uploads, 1 April and 1 May 2026.

Open on 1 April (every amount 10 000 unless said; close date 20/04 unless said), outcome on 1 May:

  alice  A1 .90 won (re-quoted 12 000)  A2 .90 lost  A3 .70 won  A4 .70 lost  A5 .50 won
         A6 .30 lost  A7 .10 lost  A8 (lead, no probability: .10) lost  A9 .50 lost  A10 .30 won
  bob    B1 .80 lost  B2 .60 lost (alice's on 1 May)  B3 .20 won  B4 (proposal, none: .50; 20 000) won
  not judged: C1 alice .40 due 15/04 still open on 1 May (slipped); C2 bob gone on 1 May; C3 alice due 30/06
  open; N1 new on 1 May.

Brier (p - outcome)^2:
  alice .01 + .81 + .09 + .49 + .25 + .09 + .01 + .01 + .25 + .49 = 2.50 over 10 deals = 0.25
  bob   .64 + .36 + .64 + .25 = 1.89 over 4 deals (too few)        team 4.39 / 14 = 0.31357
"""
from __future__ import annotations

from datetime import date

import pytest

from analytics.views import forecast
from analytics import store
from analytics.filters import Filter
from tests.test_movement import insert_snapshot

F1, F2 = date(2026, 4, 1), date(2026, 5, 1)


def _open(i, owner, p, stage="proposal", amount=10000, close="2026-04-20"):
    return (i, owner, stage, "open", amount, p, "2026-01-15", close)


def _closed(i, owner, won, amount=10000):
    return (i, owner, "won" if won else "lost", "won" if won else "lost", amount, 1.0 if won else 0.0,
            "2026-01-15", "2026-04-25")


JUDGED = [  # id, owner at F1, probability at F1, won, stage at F1, amount at F1, amount at F2, owner at F2
    ("A1", "alice", 0.9, True, "negotiation", 10000, 12000, "alice"),
    ("A2", "alice", 0.9, False, "negotiation", 10000, 10000, "alice"),
    ("A3", "alice", 0.7, True, "negotiation", 10000, 10000, "alice"),
    ("A4", "alice", 0.7, False, "negotiation", 10000, 10000, "alice"),
    ("A5", "alice", 0.5, True, "proposal", 10000, 10000, "alice"),
    ("A6", "alice", 0.3, False, "qualification", 10000, 10000, "alice"),
    ("A7", "alice", 0.1, False, "lead", 10000, 10000, "alice"),
    ("A8", "alice", None, False, "lead", 10000, 10000, "alice"),
    ("A9", "alice", 0.5, False, "proposal", 10000, 10000, "alice"),
    ("A10", "alice", 0.3, True, "qualification", 10000, 10000, "alice"),
    ("B1", "bob", 0.8, False, "negotiation", 10000, 10000, "bob"),
    ("B2", "bob", 0.6, False, "negotiation", 10000, 10000, "alice"),
    ("B3", "bob", 0.2, True, "qualification", 10000, 10000, "bob"),
    ("B4", "bob", None, True, "proposal", 20000, 20000, "bob"),
]
FIRST = [_open(i, o, p, stage, a) for i, o, p, _w, stage, a, _a2, _o2 in JUDGED] + [
    _open("C1", "alice", 0.4, close="2026-04-15"),
    _open("C2", "bob", 0.5),
    _open("C3", "alice", 0.4, close="2026-06-30"),
]
SECOND = [_closed(i, o2, w, a2) for i, _o, _p, w, _s, _a, a2, o2 in JUDGED] + [
    _open("C1", "alice", 0.4, close="2026-05-15"),
    _open("C3", "alice", 0.4, close="2026-06-30"),
    _open("N1", "bob", 0.4, close="2026-06-30"),
]


def make_workspace():
    con = store.memory_workspace()
    insert_snapshot(con, F1, FIRST)
    insert_snapshot(con, F2, SECOND)
    return con


@pytest.fixture(scope="module")
def result():
    return forecast.reliability(make_workspace(), Filter())


def reps(result) -> dict:
    return {r["owner"]: r for r in result["reps"]}


@pytest.mark.parametrize("key, expected", [
    ("deals", 14),  # A1-A10, B1-B4: open on 1 April, closed by 1 May
    ("won_count", 6),  # A1 A3 A5 A10 B3 B4
    ("brier", 4.39 / 14),
    ("announced_amount", 76000),  # alice 10 000 x 5.0 (sum of her p) + bob 10 000 x 1.6 + 20 000 x 0.5
    ("won_amount", 72000),  # 12 000 + 10 000 x 3 (alice) + 10 000 + 20 000 (bob): won at the latest amount
    ("expected_count", 15),  # the 14 judged (due 20/04) + C1 (15/04); C3 due later, C2 gone
    ("slipped_count", 1),  # C1
    ("slip_rate", 1 / 15),
    ("still_open_count", 2),  # C1, C3
    ("too_few", False),
])
def test_team_reliability(result, key, expected):
    assert result["team"][key] == pytest.approx(expected)


@pytest.mark.parametrize("key, expected", [
    ("deals", 10),  # exactly MIN_DEALS: a figure is given
    ("brier", 0.25),  # 2.50 / 10
    ("mean_probability", 0.5),  # 5.0 / 10
    ("win_rate", 0.4),  # 4 won of 10
    ("optimism", 0.1),  # 0.5 - 0.4
    ("announced_amount", 50000),
    ("won_amount", 42000),
    ("amount_ratio", 42000 / 50000),
    ("slip_rate", 1 / 11),  # C1 of the 10 judged + C1
])
def test_rep_with_enough_deals(result, key, expected):
    assert reps(result)["alice"][key] == pytest.approx(expected)


def test_too_few_deals_says_so_instead_of_a_number(result):
    bob = reps(result)["bob"]
    assert bob["deals"] == 4 and bob["too_few"] is True  # 4 < MIN_DEALS
    assert bob["brier"] is None and bob["optimism"] is None and bob["slip_rate"] is None
    # the amounts stay: they are sums, not rates (10 000 x (.8 + .6 + .2) + 20 000 x .5)
    assert (bob["announced_amount"], bob["won_amount"]) == (26000, 30000)


def test_the_rep_who_announced_is_judged_even_if_the_deal_changed_hands():
    # B2 is alice's on 1 May but bob announced its 60 %: bob's, not alice's
    got = forecast.reliability(make_workspace(), Filter(owner="bob"))
    assert got["team"]["deals"] == 4
    assert got["team"]["brier"] is None  # too few


@pytest.mark.parametrize("band, deals, announced, realised", [
    (0, 2, 0.1, 0.0),  # A7 .1 lost, A8 .1 (lead default) lost
    (1, 3, (0.3 + 0.3 + 0.2) / 3, 2 / 3),  # A6 lost, A10 won, B3 won
    (2, 3, 0.5, 2 / 3),  # A5 won, A9 lost, B4 (proposal default) won
    (3, 3, (0.7 + 0.7 + 0.6) / 3, 1 / 3),  # A3 won, A4 lost, B2 lost
    (4, 3, (0.9 + 0.9 + 0.8) / 3, 1 / 3),  # A1 won, A2 lost, B1 lost
])
def test_calibration_by_band(band, deals, announced, realised):
    df = forecast.calibration(make_workspace(), Filter())
    team = df[df["row"] == "team"].set_index("band")
    assert team.loc[band, "deals"] == deals
    assert team.loc[band, "announced"] == pytest.approx(announced)
    assert team.loc[band, "realised"] == pytest.approx(realised)
    assert (team.loc[band, "band_low"], team.loc[band, "band_high"]) == forecast.BANDS[band:band + 2]


def test_calibration_per_rep_adds_up_to_the_team():
    df = forecast.calibration(make_workspace(), Filter())
    assert df[df["owner"] == "alice"]["deals"].sum() == 10
    assert df[df["owner"] == "bob"]["deals"].sum() == 4
    assert df[df["row"] == "team"]["deals"].sum() == 14


def test_base_on_or_before_a_date():
    con = make_workspace()
    assert forecast.base(con, date(2026, 4, 15))["base_date"] == F1
    # on or after the latest upload, with no stage history: nothing earlier to judge from
    b = forecast.base(con, date(2026, 5, 3))
    assert b["method"] is None and b["reason"] == "forecast.need_two_uploads"
    b = forecast.base(con, date(2026, 3, 1))
    assert b["method"] is None and b["reason"] == "forecast.no_snapshot_before"


# --- a single upload with stage history ----------------------------------------------------------------------

def _single_upload_with_history():
    con = store.memory_workspace()
    insert_snapshot(con, F2, [_closed("H1", "alice", True), _closed("H2", "alice", False),
                              _open("H3", "alice", 0.5), _closed("H4", "alice", False)])
    con.executemany("INSERT INTO stage_history (opportunity_id, stage, entered_at) VALUES (?, ?, ?)", [
        ("H1", "lead", "2026-01-10 09:00"), ("H1", "proposal", "2026-02-15 10:00"), ("H1", "won", "2026-04-25 11:00"),
        ("H2", "lead", "2026-01-10 09:00"), ("H2", "negotiation", "2026-02-20 10:00"),
        ("H2", "lost", "2026-04-28 11:00"),
        ("H3", "lead", "2026-03-05 09:00"),  # created after the base date: not judged
        ("H4", "lead", "2026-01-01 09:00"), ("H4", "lost", "2026-02-01 09:00"),  # closed before: not judged
    ])
    return con


def test_single_upload_reads_stage_history():
    got = forecast.reliability(_single_upload_with_history(), Filter(), as_of=date(2026, 3, 1))
    assert got["method"] == "stage_history" and got["base_date"] == date(2026, 3, 1)
    # H1 in proposal on 1 March (default .50) then won; H2 in negotiation (.75) then lost
    assert got["team"]["deals"] == 2
    assert got["team"]["too_few"] is True and got["team"]["brier"] is None  # (.25 + .5625) / 2, but 2 < 10
    assert got["team"]["slip_rate"] is None  # past close dates are not kept
    df = forecast.calibration(_single_upload_with_history(), Filter(), as_of=date(2026, 3, 1))
    team = df[df["row"] == "team"].set_index("band")
    assert (team.loc[2, "announced"], team.loc[2, "realised"]) == (0.5, 1.0)
    assert (team.loc[3, "announced"], team.loc[3, "realised"]) == (0.75, 0.0)


def test_single_upload_default_base_is_a_quarter_back():
    got = forecast.base(_single_upload_with_history())
    assert got["method"] == "stage_history"
    assert got["base_date"] == date(2026, 1, 30)  # 1 May - 91 days


def test_single_upload_without_history_says_it_needs_two():
    con = store.memory_workspace()
    insert_snapshot(con, F2, SECOND)
    got = forecast.reliability(con, Filter())
    assert got["method"] is None and got["reason"] == "forecast.need_two_uploads" and got["reps"] == []


# --- the demo company ----------------------------------------------------------------------------------------

def test_demo_optimistic_rep_stands_out():
    from data.demo import OPTIMISTIC_REP, load_demo

    con = store.memory_workspace()
    load_demo(con)
    got = forecast.reliability(con, Filter())
    by_rep = reps(got)
    assert all(not r["too_few"] for r in got["reps"])  # every rep has enough judged deals
    optimism = {o: r["optimism"] for o, r in by_rep.items()}
    # he announces on average far more than he wins: the largest gap, by a margin
    assert max(optimism, key=optimism.get) == OPTIMISTIC_REP
    others = sorted(v for o, v in optimism.items() if o != OPTIMISTIC_REP)
    assert optimism[OPTIMISTIC_REP] > others[-1] + 0.1
    # his Brier score is among the two worst of the team, well above the team's
    worst = sorted(by_rep, key=lambda o: by_rep[o]["brier"], reverse=True)[:2]
    assert OPTIMISTIC_REP in worst
    assert by_rep[OPTIMISTIC_REP]["brier"] > got["team"]["brier"] + 0.05


# --- deals without an owner; a Brier score from a single upload (issue 16) ----------------------------------------

def _with_unowned_deals():
    """The two uploads above plus U1 (.90, lost) and U2 (.10, won), open on 1 April with no owner."""
    con = store.memory_workspace()
    insert_snapshot(con, F1, FIRST + [_open("U1", None, 0.9), _open("U2", None, 0.1)])
    insert_snapshot(con, F2, SECOND + [_closed("U1", None, False), _closed("U2", None, True)])
    return con


def test_calibration_keeps_team_rows_and_unowned_deals_apart():
    df = forecast.calibration(_with_unowned_deals(), Filter())
    # band 4 (80-100 %): the team A1 A2 B1 U1 = 4 deals; the deals without owner: U1 alone. Both had owner None,
    # so the page drew two "team" rows for band 4.
    team = df[df["row"] == "team"]
    assert team["band"].is_unique and team.set_index("band").loc[4, "deals"] == 4
    unowned = df[df["row"] == "no_owner"].set_index("band")
    assert (unowned.loc[4, "deals"], unowned.loc[0, "deals"]) == (1, 1)  # U1; U2 (10 %)
    assert team["deals"].sum() == 14 + 2


def test_reliability_labels_the_row_of_deals_without_owner():
    reps = forecast.reliability(_with_unowned_deals(), Filter())["reps"]
    assert [(r["owner"], r["no_owner"]) for r in reps] == [("alice", False), ("bob", False), (None, True)]


def test_a_brier_score_from_a_single_upload_measures_the_stage_mix():
    got = forecast.reliability(_single_upload_with_history(), Filter(), as_of=date(2026, 3, 1))
    assert got["brier_kind"] == "stage_mix"  # stage defaults, not what anyone announced
    assert forecast.reliability(make_workspace(), Filter())["brier_kind"] == "announced"
