"""Periods, comparison periods and the SQL a Filter becomes."""
from __future__ import annotations

from datetime import date

import pytest

from analytics import store
from analytics.filters import (
    Filter,
    activity_conditions,
    filter_options,
    opportunity_conditions,
    period_bounds,
    previous,
    reference_date,
    target_conditions,
)

D = date.fromisoformat


@pytest.mark.parametrize(
    "preset, today, start, end",
    [
        ("week", "2026-05-20", "2026-05-18", "2026-05-24"),  # Wednesday -> Monday..Sunday
        ("week", "2026-05-18", "2026-05-18", "2026-05-24"),  # a Monday is its own week's start
        ("month", "2026-05-20", "2026-05-01", "2026-05-31"),
        ("month", "2024-02-10", "2024-02-01", "2024-02-29"),  # leap year
        ("quarter", "2026-05-20", "2026-04-01", "2026-06-30"),
        ("quarter", "2026-12-31", "2026-10-01", "2026-12-31"),
        ("ytd", "2026-05-20", "2026-01-01", "2026-05-20"),
        ("last12", "2026-05-20", "2025-05-21", "2026-05-20"),
        ("last12", "2024-02-29", "2023-03-01", "2024-02-29"),  # 28 Feb 2023 + 1 day
    ],
)
def test_period_bounds(preset, today, start, end):
    assert period_bounds(preset, D(today)) == (D(start), D(end))


def test_unknown_preset():
    with pytest.raises(ValueError):
        period_bounds("custom", D("2026-05-20"))  # custom dates come from the user, not from a preset


@pytest.mark.parametrize(
    "start, end, mode, prev_start, prev_end",
    [
        ("2026-05-01", "2026-05-31", "previous", "2026-04-01", "2026-04-30"),  # whole month -> previous month
        ("2026-03-01", "2026-03-31", "previous", "2026-02-01", "2026-02-28"),  # 31 days -> 28-day February
        ("2026-04-01", "2026-06-30", "previous", "2026-01-01", "2026-03-31"),  # quarter -> previous quarter
        ("2026-01-01", "2026-01-31", "previous", "2025-12-01", "2025-12-31"),  # across a year end
        ("2026-05-18", "2026-05-24", "previous", "2026-05-11", "2026-05-17"),  # week -> previous week
        ("2026-05-05", "2026-05-14", "previous", "2026-04-25", "2026-05-04"),  # 10 custom days -> the 10 before
        ("2026-05-01", "2026-05-31", "last_year", "2025-05-01", "2025-05-31"),
        ("2024-02-01", "2024-02-29", "last_year", "2023-02-01", "2023-02-28"),  # 29 Feb -> 28 Feb
        ("2023-02-01", "2023-02-28", "last_year", "2022-02-01", "2022-02-28"),
    ],
)
def test_previous(start, end, mode, prev_start, prev_end):
    flt = Filter(D(start), D(end), owner="alice")
    assert previous(flt, mode) == Filter(D(prev_start), D(prev_end), owner="alice")


@pytest.mark.parametrize(
    "mode, prev_start, prev_end",
    [
        # 20 days into May: compare with 1-20 April, not with the whole of April
        ("previous", "2026-04-01", "2026-04-20"),
        ("last_year", "2025-05-01", "2025-05-20"),
    ],
)
def test_previous_of_a_period_in_progress_stops_at_the_same_point(mode, prev_start, prev_end):
    flt = Filter(D("2026-05-01"), D("2026-05-31"))
    assert previous(flt, mode, today=D("2026-05-20")) == Filter(D(prev_start), D(prev_end))


def test_previous_of_a_finished_period_is_whole():
    flt = Filter(D("2026-04-01"), D("2026-04-30"))
    assert previous(flt, "previous", today=D("2026-05-20")) == Filter(D("2026-03-01"), D("2026-03-31"))


def test_previous_of_an_unbounded_period_is_none():
    assert previous(Filter(), "previous") is None


def _workspace():
    con = store.memory_workspace()
    sid = store.new_snapshot(con, D("2026-05-20"), "test", 5)
    con.executemany(
        "INSERT INTO opportunities (opportunity_id, owner, segment, source, region, stage, status, amount,"
        " created_date, snapshot_id) VALUES (?, ?, ?, ?, ?, 'lead', 'open', 1, DATE '2026-01-01', ?)",
        [
            ("1", "alice", "Or", "sales", "Paris", sid),
            ("2", "alice", "Or", "marketing", None, sid),  # no region: alice's (Paris)
            ("3", "bob", "Argent", "sales", None, sid),  # no region: bob's (Lyon)
            ("4", "bob", None, None, "Paris", sid),  # bob's region (Lyon) wins over its own: quota and hours are bob's
            ("5", "chloe", None, None, "Paris", sid),  # chloe has no row in reps: the deal's own region
        ],
    )
    con.executemany("INSERT INTO reps (owner, team, region) VALUES (?, ?, ?)",
                    [("alice", "Nord", "Paris"), ("bob", "Sud", "Lyon")])
    return con


def _ids(con, flt):
    where, params = opportunity_conditions(flt, "o")
    rows = con.execute(f"SELECT opportunity_id FROM opportunities_current o WHERE {where} ORDER BY 1", params)
    return [r[0] for r in rows.fetchall()]


@pytest.mark.parametrize(
    "flt, ids",
    [
        (Filter(), ["1", "2", "3", "4", "5"]),
        (Filter(owner="alice"), ["1", "2"]),
        (Filter(segment="Or"), ["1", "2"]),
        (Filter(source="sales"), ["1", "3"]),
        (Filter(team="Sud"), ["3", "4"]),  # the owner's team in reps
        (Filter(region="Paris"), ["1", "2", "5"]),  # the owner's region, else (no rep row) the deal's
        (Filter(region="Lyon"), ["3", "4"]),
        (Filter(team="Nord", source="sales"), ["1"]),
        (Filter(owner="x' OR '1'='1"), []),  # a value is a parameter, never SQL
    ],
)
def test_opportunity_conditions(flt, ids):
    assert _ids(_workspace(), flt) == ids


def test_activity_conditions():
    con = _workspace()
    con.executemany(
        "INSERT INTO activities (activity_id, date, owner, type, segment, opportunity_id) VALUES (?, ?, ?, 'call', ?, ?)",
        [("a1", "2026-05-01 23:30", "alice", "Or", "1"), ("a2", "2026-05-02 08:00", "bob", "Argent", "3"),
         ("a3", "2026-04-30 12:00", "alice", "Or", "2")],
    )

    def ids(flt):
        where, params = activity_conditions(flt, "a")
        return [r[0] for r in con.execute(f"SELECT activity_id FROM activities a WHERE {where} ORDER BY 1", params).fetchall()]

    assert ids(Filter(D("2026-05-01"), D("2026-05-01"))) == ["a1"]  # a timestamp counts on its day
    assert ids(Filter(team="Sud")) == ["a2"]
    assert ids(Filter(region="Paris")) == ["a1", "a3"]
    assert ids(Filter(source="marketing")) == ["a3"]  # through the opportunity it belongs to


def test_target_conditions():
    con = _workspace()
    con.executemany(
        "INSERT INTO targets (owner, period, quota_amount, segment, period_start, period_end) VALUES (?, ?, ?, ?, ?, ?)",
        [("alice", "2026-05", 10, None, "2026-05-01", "2026-05-31"), ("bob", "2026-05", 20, "Argent", "2026-05-01", "2026-05-31"),
         ("bob", "bad", 30, None, None, None)],
    )

    def owners(flt):
        where, params = target_conditions(flt, "t")
        return [r[0] for r in con.execute(f"SELECT owner FROM targets t WHERE {where} ORDER BY 1", params).fetchall()]

    assert owners(Filter()) == ["alice", "bob"]  # a target without a readable period is left out
    assert owners(Filter(segment="Argent")) == ["bob"]
    assert owners(Filter(team="Nord")) == ["alice"]
    assert owners(Filter(source="sales")) == ["alice", "bob"]  # targets carry no source


def test_filter_options():
    options = filter_options(_workspace())
    assert options == {
        "team": ["Nord", "Sud"],
        "owner": ["alice", "bob", "chloe"],
        "segment": ["Argent", "Or"],
        "region": ["Lyon", "Paris"],
        "source": ["marketing", "sales"],
    }


def test_filter_options_of_an_empty_workspace():
    assert filter_options(store.memory_workspace()) == {k: [] for k in ("team", "owner", "segment", "region", "source")}


def test_reference_date_is_the_latest_snapshot():
    assert reference_date(_workspace()) == D("2026-05-20")
    assert reference_date(store.memory_workspace()) == date.today()


def test_filter_is_hashable_for_caching():
    assert hash(Filter(D("2026-05-01"), D("2026-05-31"), owner="a")) == hash(Filter(D("2026-05-01"), D("2026-05-31"), owner="a"))


# --- fiscal year, "all data", long periods (issue 7) ------------------------------------------------------------

@pytest.mark.parametrize(
    "preset, today, fiscal_start, start, end",
    [
        # a fiscal year starting in April: Q1 = April-June, the year = April to March
        ("quarter", "2026-05-20", 4, "2026-04-01", "2026-06-30"),
        ("quarter", "2026-02-10", 4, "2026-01-01", "2026-03-31"),  # Q4 of the year that started April 2025
        ("quarter", "2026-02-10", 2, "2026-02-01", "2026-04-30"),
        ("year", "2026-05-20", 4, "2026-04-01", "2027-03-31"),
        ("year", "2026-02-10", 4, "2025-04-01", "2026-03-31"),
        ("year", "2026-05-20", 1, "2026-01-01", "2026-12-31"),
        ("ytd", "2026-05-20", 4, "2026-04-01", "2026-05-20"),
        ("ytd", "2026-02-10", 7, "2025-07-01", "2026-02-10"),
    ],
)
def test_quarters_and_years_follow_the_fiscal_year(preset, today, fiscal_start, start, end):
    assert period_bounds(preset, D(today), fiscal_start) == (D(start), D(end))


def test_all_data_is_unbounded():
    assert period_bounds("all", D("2026-05-20")) == (None, None)
    assert previous(Filter(None, None), "previous") is None


def test_a_fiscal_quarter_compares_with_the_previous_fiscal_quarter():
    assert previous(Filter(D("2026-02-01"), D("2026-04-30")), "previous") == Filter(D("2025-11-01"), D("2026-01-31"))


@pytest.mark.parametrize("start, end", [("2019-01-01", "2026-05-20"), ("2025-01-01", "2026-05-20")])
def test_a_period_longer_than_a_year_has_no_comparison(start, end):
    # the old rule compared 2019-2026 with the seven years before it, where no data lives
    assert previous(Filter(D(start), D(end)), "previous") is None
    assert previous(Filter(D(start), D(end)), "last_year") is None


def test_a_year_is_still_compared():
    assert previous(Filter(D("2025-05-21"), D("2026-05-20")), "previous") == Filter(D("2024-05-21"), D("2025-05-20"))


def test_on_the_first_of_the_month_one_day_compares_with_one_day():
    flt = Filter(D("2026-05-01"), D("2026-05-31"))
    assert previous(flt, "previous", today=D("2026-05-01")) == Filter(D("2026-04-01"), D("2026-04-01"))


def test_the_fiscal_start_is_stored_in_the_workspace():
    from analytics import settings

    con = store.memory_workspace()
    assert settings.fiscal_start(con) == 1
    settings.set_fiscal_start(con, 4)
    assert settings.fiscal_start(con) == 4
    with pytest.raises(ValueError):
        settings.set_fiscal_start(con, 13)


def test_data_bounds(workspace):
    from analytics.filters import data_bounds

    # D11 created 10 Jan 2026 is the earliest date; D10's expected close 1 Jul 2026 the latest
    assert data_bounds(workspace) == (D("2026-01-10"), D("2026-07-01"))
    assert data_bounds(store.memory_workspace()) == (None, None)
