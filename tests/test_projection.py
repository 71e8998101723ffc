"""The projection of the period (analytics/views/projection.py) on workspaces small enough to check by hand.

The small workspace (`_small`): two uploads, 10 March and 10 April 2026 (the as-of upload; April is projected).
- In the March upload, 20 open negotiation deals T01-T20 of 1 000 € each, due 25 March, probability 0.5.
  The April upload says 5 of them were won on 20 March and 15 lost: the team's rate for an open negotiation
  deal due in its month (no slip, under 30 days in its stage) is 5 000 / 20 000 = 0.25 (>= MIN_OBS = 20 deals).
- N01: alice, created 15 March, won 28 March, 2 000 €: new business of March after the same day (the 10th).
- April upload, also: W01 alice won 5 April, 10 000 € (won so far); A1 8 000 € and A2 4 000 € alice, B1 6 000 €
  bob, open negotiation deals due 25 April, probability 0.5; C01 carol won 8 April, 3 000 € (no open deal).
Past periods of April: March only (February's 10th is before the first deal, created 1 March).
"""
from __future__ import annotations

import json
from datetime import date, timedelta

import pytest

from analytics import store
from analytics.__main__ import main
from analytics.filters import Filter
from analytics.measures import kpis
from analytics.views import projection

MARCH_UPLOAD, APRIL_UPLOAD = date(2026, 3, 10), date(2026, 4, 10)
APRIL = (date(2026, 4, 1), date(2026, 4, 30))


def _deal(did, owner, stage, status, amount, probability, created, close, closed=None):
    return (did, owner, stage, status, amount, probability, created, close, closed)


def _insert(con, day: date, deals: list[tuple]) -> None:
    sid = store.new_snapshot(con, day, "test", len(deals))
    con.executemany(
        "INSERT INTO opportunities (snapshot_id, opportunity_id, owner, stage, status, amount, probability,"
        " created_date, close_date, closed_date) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [(sid, *d) for d in deals])


def _small():
    con = store.memory_workspace()
    training = [_deal(f"T{i:02d}", "alice" if i % 2 else "bob", "negotiation", "open", 1000, 0.5,
                      date(2026, 3, 1), date(2026, 3, 25)) for i in range(1, 21)]
    _insert(con, MARCH_UPLOAD, training)
    closed = [_deal(d[0], d[1], "won" if i < 5 else "lost", "won" if i < 5 else "lost", 1000, 1.0 if i < 5 else 0.0,
                    d[6], d[7], date(2026, 3, 20)) for i, d in enumerate(training)]
    april = closed + [
        _deal("N01", "alice", "won", "won", 2000, 1.0, date(2026, 3, 15), date(2026, 3, 28), date(2026, 3, 28)),
        _deal("W01", "alice", "won", "won", 10000, 1.0, date(2026, 4, 1), date(2026, 4, 5), date(2026, 4, 5)),
        _deal("A1", "alice", "negotiation", "open", 8000, 0.5, date(2026, 4, 2), date(2026, 4, 25)),
        _deal("A2", "alice", "negotiation", "open", 4000, 0.5, date(2026, 4, 2), date(2026, 4, 25)),
        _deal("B1", "bob", "negotiation", "open", 6000, 0.5, date(2026, 4, 2), date(2026, 4, 25)),
        _deal("C01", "carol", "won", "won", 3000, 1.0, date(2026, 4, 1), date(2026, 4, 8), date(2026, 4, 8)),
    ]
    _insert(con, APRIL_UPLOAD, april)
    return con


@pytest.fixture
def small():
    con = _small()
    yield con
    con.close()


def test_a_period_without_history_says_it_cannot_project():
    con = store.memory_workspace()
    # every deal is dated in April: no past period to learn from
    _insert(con, APRIL_UPLOAD, [_deal("X", "alice", "proposal", "open", 5000, 0.5, date(2026, 4, 2), date(2026, 4, 20))])
    result = projection.project(con, period="month")
    assert result["reason"] == "projection.no_history"
    assert (result["central"], result["low"], result["high"], result["from_open"]) == (None, None, None, None)
    assert result["naive"] == 2500.0  # what is known is still said: nothing won + 5 000 x 0.5


def test_an_empty_workspace_has_no_upload_to_project_from():
    assert projection.project(store.memory_workspace())["reason"] == "projection.no_data"


def test_team_projection_by_hand(small):
    r = projection.project(small, period="month")
    assert r["period"] == {"start": APRIL[0], "end": APRIL[1], "preset": "month"}
    assert r["won_to_date"] == 10000 + 3000  # W01 + C01
    assert r["from_open"] == pytest.approx(0.25 * (8000 + 4000 + 6000))  # 4 500, the team's rate
    assert r["from_new"] == 2000  # N01 in March, the only past period
    assert r["central"] == pytest.approx(13000 + 4500 + 2000)
    assert r["naive"] == 13000 + 0.5 * 18000  # the CRM's call: 22 000
    assert r["sources"]["uploads"] == 1.0


def test_one_rep_is_judged_at_the_teams_rate(small):
    r = projection.project(small, Filter(owner="alice"), period="month")
    # alice: won W01 10 000; A1 + A2 at the team's 0.25 (bob's deals count in the rate, not in her sum); N01
    assert (r["won_to_date"], r["from_open"], r["from_new"]) == (10000, pytest.approx(3000.0), 2000)
    assert r["central"] == pytest.approx(15000.0)
    assert r["naive"] == 10000 + 0.5 * 12000


def test_a_rep_with_no_open_deal_lands_on_what_is_won(small):
    r = projection.project(small, Filter(owner="carol"), period="month")
    assert (r["open_deals"], r["from_open"], r["from_new"]) == (0, 0.0, 0.0)
    assert r["central"] == r["low"] == r["high"] == 3000.0  # nothing left to draw


def test_per_rep_call_against_projection(small):
    reps = projection.project(small, period="month")["reps"].set_index("owner")
    # call = won so far + weighted pipeline due in April; gap = call - central
    assert reps.loc["alice", "call"] == 10000 + 0.5 * 12000
    assert reps.loc["alice", "call_gap"] == pytest.approx(16000 - 15000)
    assert reps.loc["bob", "call_gap"] == pytest.approx(0.5 * 6000 - 0.25 * 6000)  # 1 500: bob over-calls most
    assert reps.loc["carol", "call_gap"] == 0.0
    assert list(reps.index) == ["bob", "alice", "carol"]  # largest over-call first


def test_the_figures_are_the_registrys(small):
    r = projection.project(small, period="month")
    flash = kpis.flash_kpis(small, Filter(start=APRIL[0], end=APRIL[1]))
    assert r["won_to_date"] == flash["won_amount"]
    assert r["naive"] == flash["won_amount"] + flash["weighted_in_period"]
    assert r["quota"] == flash["quota"]  # no targets: unknown on both sides, never 0
    assert r["quota"] is None


def test_the_range_is_seeded_and_holds_the_central_figure(small):
    a = projection.project(small, period="month")
    b = projection.project(small, period="month")
    assert (a["low"], a["high"]) == (b["low"], b["high"])
    assert a["low"] <= a["central"] <= a["high"]
    # the draws: 13 000 won + each of 8 000 / 4 000 / 6 000 won one time in four + March's 2 000
    assert 13000 + 2000 <= a["low"] and a["high"] <= 13000 + 18000 + 2000


def test_without_enough_history_the_crm_probability_is_used_and_said():
    con = store.memory_workspace()
    _insert(con, MARCH_UPLOAD, [_deal("P", "alice", "won", "won", 1000, 1.0, date(2026, 3, 1), date(2026, 3, 5),
                                      date(2026, 3, 5))])
    _insert(con, APRIL_UPLOAD, [
        _deal("P", "alice", "won", "won", 1000, 1.0, date(2026, 3, 1), date(2026, 3, 5), date(2026, 3, 5)),
        _deal("Q", "alice", "proposal", "open", 4000, 0.5, date(2026, 4, 1), date(2026, 4, 20)),
        _deal("R", "alice", "proposal", "open", 9000, 0.5, date(2026, 4, 1), date(2026, 5, 20)),  # due in May
    ])
    r = projection.project(con, period="month")
    assert r["from_open"] == 0.5 * 4000  # Q at its CRM probability, R (due later) nothing: the naive's reading
    assert r["sources"]["crm"] == 1.0


# --- backtest ------------------------------------------------------------------------------------------------

def _monthly_uploads(months: int = 7, wins=lambda month: 10):
    """One upload on the 10th of each month from January 2026. Each month: M<m>-W won on the 5th (5 000 €),
    and 40 open negotiation deals of 1 000 € due the 25th at the CRM's 0.75, of which (as the next uploads say)
    exactly 10 are won on the 20th and 30 lost. Truth of each month: 5 000 + 10 x 1 000 = 15 000; the naive call
    says 5 000 + 0.75 x 40 000 = 35 000; the team's measured rate is 10 / 40 = 0.25, so from the second month on
    the projection is 5 000 + 0.25 x 40 000 = 15 000, the truth."""
    con = store.memory_workspace()
    done = []
    for m in range(1, months + 1):
        first = date(2026, m, 1)
        won = _deal(f"M{m}-W", "alice", "won", "won", 5000, 1.0, first, first + timedelta(days=4),
                    first + timedelta(days=4))
        open_deals = [_deal(f"M{m}-{i:02d}", "alice", "negotiation", "open", 1000, 0.75, first,
                            first + timedelta(days=24)) for i in range(40)]
        _insert(con, date(2026, m, 10), done + [won] + open_deals)
        won_here = wins(m)
        closed = [_deal(d[0], d[1], "won" if i < won_here else "lost", "won" if i < won_here else "lost", 1000,
                        1.0 if i < won_here else 0.0, d[6], d[7], first + timedelta(days=19))
                  for i, d in enumerate(open_deals)]
        done += [won] + closed
    return con


def test_backtest_on_generated_uploads_where_the_truth_is_known():
    con = _monthly_uploads(7)  # the July upload judges February to June (January has no past period)
    test = projection.backtest(con, period="month")
    points = test["points"]
    assert list(points["start"]) == [date(2026, m, 1) for m in (6, 5, 4, 3, 2)]
    assert list(points["won"]) == [15000.0] * 5
    assert points["central"].tolist() == pytest.approx([15000.0] * 5)
    assert test["mae_pct"] == pytest.approx(0.0)
    assert test["naive_mae_pct"] == pytest.approx(100 * 20000 / 15000)  # |35 000 - 15 000| / 15 000
    assert test["better_by"] == pytest.approx(100 * 20000 / 15000)
    assert test["coverage"] == 1.0


def test_the_range_carries_the_swing_of_whole_months():
    # 20 of 40 won in odd months, none in even ones: the rate is 0.25 as before, but a month lands on either
    # 0 or twice the expected; the range must reach both, not only the spread of 40 independent deals
    steady = projection.project(_monthly_uploads(7), period="month")
    swinging = projection.project(_monthly_uploads(7, lambda m: 20 if m % 2 else 0), period="month")
    assert steady["central"] == swinging["central"] == pytest.approx(5000 + 0.25 * 40000)
    assert swinging["low"] == 5000.0  # the months where nothing is won: July's won so far alone
    assert swinging["high"] >= 5000 + 2 * 0.25 * 40000 * 0.8  # near twice the expected 10 000
    assert steady["high"] - steady["low"] < swinging["high"] - swinging["low"]


def test_backtest_without_a_closed_period_judges_nothing(small):
    # the April upload is the only one after March's... whose month ended before it: one projection, made on
    # 10 March, when no period was closed yet (no past period: March holds the first deals)
    test = projection.backtest(small, period="month")
    assert test["periods"] == 0 and test["mae_pct"] is None and test["coverage"] is None


# --- the command line prints the same figures --------------------------------------------------------------

def test_cli_prints_the_projection_json(tmp_path, capsys):
    path = tmp_path / "ws.duckdb"
    import duckdb
    con = duckdb.connect(str(path))
    store.init_schema(con)
    small = _small()
    for table in ("snapshots", "opportunities"):
        con.register("src", small.execute(f"SELECT * FROM {table}").fetchdf())
        con.execute(f"INSERT INTO {table} SELECT * FROM src")
        con.unregister("src")
    con.close()
    assert main(["projection", "--workspace", str(path), "--owner", "alice", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["period"] == {"start": "2026-04-01", "end": "2026-04-30", "preset": "month"}
    assert (out["won_to_date"], out["from_new"], out["naive"]) == (10000.0, 2000.0, 16000.0)
    assert out["central"] == pytest.approx(15000.0)
    assert out["quota"] is None  # unknown is null, never 0
    assert set(out["backtest"]) >= {"periods", "mae_pct", "coverage"}
    expected = projection.project(small, Filter(owner="alice"))
    assert (out["low"], out["high"]) == (expected["low"], expected["high"])


def test_cli_says_when_it_cannot_project(tmp_path, capsys):
    path = tmp_path / "ws.duckdb"
    with store.writing(path):  # an empty workspace: no upload yet
        pass
    code = main(["projection", "--workspace", str(path), "--lang", "en", "--json"])
    assert code == 1
    assert "No upload" in capsys.readouterr().err


def test_the_demo_backtest_beats_the_naive_call_as_the_readme_says():
    from data.demo import load_demo

    con = store.memory_workspace()
    load_demo(con)
    test = projection.backtest(con, period="month")
    # README, "Projection": the October uploads of 19/10 and 26/10, 18.9 % against 212.4 %, 2 of 2 in the range
    assert list(test["points"]["as_of"]) == [date(2026, 10, 26), date(2026, 10, 19)]
    assert (round(test["mae_pct"], 1), round(test["naive_mae_pct"], 1)) == (18.9, 212.4)
    assert test["coverage"] == 1.0


def test_cli_as_of_before_every_upload_says_so(tmp_path, capsys):
    path = tmp_path / "ws.duckdb"
    import duckdb
    con = duckdb.connect(str(path))
    store.init_schema(con)
    _insert(con, APRIL_UPLOAD, [_deal("X", "alice", "proposal", "open", 5000, 0.5, date(2026, 4, 2), date(2026, 4, 20))])
    con.close()
    code = main(["projection", "--workspace", str(path), "--as-of", "2026-01-01", "--lang", "en", "--json"])
    assert code == 1
    assert "No upload on or before that date" in capsys.readouterr().err
