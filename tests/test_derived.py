"""The tables derived once per data version (analytics/measures/derived.py; issue 17: the funnel and flash pages
under 2 s cold at 1M deals).

The import merges the stage history into islands (`stay_islands`), writes every stay of the latest upload's deals
(`stays_latest`), the highest stage its history and uploads show (`reached_latest`) and the calls and held
meetings of the activity cascade (`activity_steps`) in its transaction; the pages read them instead of computing
the same rows again. These tests say that the tables give the very figures the on-the-fly computation gives, on
the shared fixture and after each write that changes their inputs (an upload, a replaced snapshot, an upload added
to, a partial upload whose other reps are carried over, a stage history, activities), and that a workspace without
them (or with stale ones) is computed on the fly.
"""
from __future__ import annotations

from dataclasses import replace
from datetime import date

import pandas as pd
import pytest

from analytics import store
from analytics.filters import Filter
from analytics.ingest.importer import import_files
from analytics.measures import activity, derived, kpis, reached, stays
from analytics.views import funnel, projection
from tests.files import csv_bytes

MAY = Filter(start=date(2026, 5, 1), end=date(2026, 5, 31))
FILTERS = [Filter(), Filter(owner="alice"), MAY, replace(MAY, team="Nord"), replace(MAY, segment="Argent")]
EVERY_STAGE_ONE_DAY = {"lead": 1, "qualification": 1, "proposal": 1, "negotiation": 1}


def figures(con, today: date) -> list:
    """What the funnel and flash pages read from the stays, and the projection's history looks, per filter."""
    out = []
    for flt in FILTERS:
        both = stays.time_in_stage(con, flt)
        out += [stays.stays(con, flt), both["team"], both["by_owner"], stays.stage_times(con, flt, by_owner=True),
                stays.default_thresholds(con, stays.threshold_filter(flt)),
                stays.stuck_deals(con, flt, today, thresholds=EVERY_STAGE_ONE_DAY),
                stays.stuck_deals(con, flt, today), reached.reached(con, flt),
                reached.unknown_summary(con, flt), funnel.conversion(con, flt, "cohort", by_owner=True),
                funnel.unknown_count(con, flt, "closed"), funnel.activity_counts(con, flt),
                kpis.stays_not_measured(con, flt)]
        out += list(funnel.conversions(con, flt, "closed").values())
    return out


def history_looks(con, today: date) -> pd.DataFrame:
    sid = con.execute("SELECT max(snapshot_id) FROM snapshots").fetchall()[0][0]
    start = today.replace(day=1)
    past = projection._past_periods("month", start, today, date(2020, 1, 1), 1)
    looks = projection._history_looks(con, Filter(), sid, today, past)
    return looks.sort_values(["look", "stage", "age"], ignore_index=True)


def same(left, right) -> None:
    assert len(left) == len(right)
    for a, b in zip(left, right):
        if isinstance(a, pd.DataFrame):
            pd.testing.assert_frame_equal(a.reset_index(drop=True), b.reset_index(drop=True), check_dtype=False)
        else:
            assert a == b


def on_the_fly(monkeypatch, compute):
    """`compute()` with every derived table taken as stale: the rows computed again as they are read."""
    with monkeypatch.context() as m:
        m.setattr(stays, "latest_is_fresh", lambda con: False)
        m.setattr(stays, "table_is_fresh", lambda con: False)
        m.setattr(reached, "latest_is_fresh", lambda con: False)
        m.setattr(activity, "steps_are_fresh", lambda con: False)
        return compute()


def assert_tables_agree(con, monkeypatch, today: date) -> None:
    assert derived.freshness(con) == {"islands": True, "stays": True, "reached": True, "activities": True}
    assert stays._read_from(con, None) == "latest"  # the pages' path really reads the tables
    assert reached.table_readable(con)
    same(figures(con, today), on_the_fly(monkeypatch, lambda: figures(con, today)))
    if con.execute("SELECT count(*) FROM stage_history").fetchall()[0][0]:
        assert stays.islands_as_of(con, today)
        pd.testing.assert_frame_equal(history_looks(con, today),
                                      on_the_fly(monkeypatch, lambda: history_looks(con, today)))


# --- the shared fixture ------------------------------------------------------------------------------------

def test_the_latest_stays_table_gives_the_figures_merged_on_the_fly(workspace, monkeypatch):
    merged = figures(workspace, date(2026, 5, 20))
    derived.refresh(workspace)
    assert_tables_agree(workspace, monkeypatch, date(2026, 5, 20))
    same(figures(workspace, date(2026, 5, 20)), merged)


def test_time_in_proposal_read_from_the_table(workspace):
    derived.refresh(workspace)
    assert stays._read_from(workspace, None) == "latest"
    proposal = stays.stage_times(workspace).set_index("stage").loc["proposal"]
    # finished proposal stays: D02 22, D03 23, D07 30 (21 + 9, two CRM sub-stages), D01 31, D06 41, D12 52 days
    assert proposal["stays"] == 6
    assert proposal["median_days"] == (30 + 31) / 2
    assert proposal["p75_days"] == 31 + 0.75 * (41 - 31)  # quantile at 0.75 x 5 = 3.75 of the sorted six


def test_open_deals_whose_history_misses_their_stage_counted_from_the_table(workspace):
    # as tests/test_kpis.py: D08 moved to negotiation in S3 while its history stops at proposal (10 May)
    workspace.execute("UPDATE opportunities SET stage = 'negotiation' WHERE opportunity_id = 'D08' AND snapshot_id = 3")
    derived.refresh(workspace)
    assert reached.table_readable(workspace)
    assert kpis.stays_not_measured(workspace, Filter()) == 1
    assert kpis.stays_not_measured(workspace, Filter(owner="alice")) == 0  # D08 is bob's


def test_a_past_snapshot_is_not_read_from_the_latest_tables(workspace):
    derived.refresh(workspace)
    first = workspace.execute("SELECT min(snapshot_id) FROM snapshots").fetchall()[0][0]
    assert stays._read_from(workspace, first) == "islands"
    assert not reached.table_readable(workspace, first)
    with pytest.raises(ValueError):
        stays.stays_cte(snapshot_id=first, from_table="latest")
    with pytest.raises(ValueError):
        reached.reached_cte(snapshot_id=first, from_table=True)


def test_stages_reached_read_from_the_table(workspace):
    derived.refresh(workspace)
    assert reached.table_readable(workspace)
    rows = reached.reached(workspace).set_index("opportunity_id")
    # D11: proposal in its history and in every upload; D09: lead then qualification (history); D10: no history,
    # at lead in S3 (the CRM's own stage is read before the uploads); D14 (dropped from S3) is no deal of S3
    assert rows.loc["D11", ["reached_stage", "reached_source"]].tolist() == ["proposal", "history"]
    assert rows.loc["D09", ["reached_stage", "reached_source"]].tolist() == ["qualification", "history"]
    assert rows.loc["D10", ["reached_stage", "reached_source"]].tolist() == ["lead", "crm"]
    assert "D14" not in rows.index


def test_a_workspace_without_the_tables_is_computed_on_the_fly(workspace):
    # a workspace made before the tables: none of them, the figures merged as they are read
    assert derived.freshness(workspace) == {"islands": False, "stays": False, "reached": False,
                                            "activities": False}
    assert stays._read_from(workspace, None) is None
    assert not reached.table_readable(workspace)
    assert len(stays.stays(workspace)) > 0


def test_rows_written_outside_an_import_make_the_latest_table_stale(workspace):
    derived.refresh(workspace)
    sid = workspace.execute("SELECT max(snapshot_id) FROM snapshots").fetchall()[0][0]
    workspace.execute("INSERT INTO opportunities (snapshot_id, opportunity_id, owner, stage, status, amount,"
                      " created_date) VALUES (?, 'NEW', 'alice', 'lead', 'open', 1, DATE '2026-05-19')", [sid])
    # one more opportunity row than they were built on
    assert derived.freshness(workspace) == {"islands": True, "stays": False, "reached": False,
                                            "activities": True}
    assert stays._read_from(workspace, None) == "islands"


def test_islands_built_before_their_last_day_was_kept_are_not_read_as_of_a_day(workspace):
    derived.refresh(workspace)
    workspace.execute(f"CREATE OR REPLACE TABLE {stays.STATE_TABLE} AS SELECT version, history_rows"
                      f" FROM {stays.STATE_TABLE}")  # the state as the previous version wrote it
    assert stays.table_is_fresh(workspace)
    assert not stays.islands_as_of(workspace, date(2026, 5, 20))


def test_history_after_the_as_of_day_is_not_read_from_the_islands(workspace):
    derived.refresh(workspace)
    assert stays.islands_as_of(workspace, date(2026, 5, 20))  # the fixture's last history row: 18 May
    assert not stays.islands_as_of(workspace, date(2026, 5, 17))


# --- every write path ----------------------------------------------------------------------------------------

HEADER = ["ID", "Commercial", "Étape", "Montant", "Probabilité", "Date de création", "Date de clôture"]
NORTH = [["A1", "Ann Martin", "Proposition", "10000", "50", "2026-02-01", "2026-04-30"],
         ["A2", "Ann Martin", "Qualification", "20000", "30", "2026-02-03", "2026-05-31"]]
SOUTH = [["B1", "Bob Durand", "Prospection", "30000", "10", "2026-02-02", "2026-05-31"],
         ["B2", "Bob Durand", "Négociation", "50000", "80", "2026-01-15", "2026-04-30"]]
HISTORY = [["Opportunity ID", "Stage", "Entered At"], ["A1", "Prospection", "2026-02-01"],
           ["A1", "Qualification", "2026-02-10"], ["A1", "Proposition", "2026-02-20"],
           ["B2", "Prospection", "2026-01-15"], ["B2", "Négociation", "2026-02-15"]]


def _week(rows, **changes) -> bytes:
    """An export of `rows`; changes {id: {column index: value}} make it another file."""
    out = [row[:] for row in rows]
    for row in out:
        for index, value in changes.get(row[0], {}).items():
            row[index] = value
    return csv_bytes([HEADER, *out])


@pytest.fixture
def imported():
    con = store.memory_workspace()
    import_files(con, [("semaine1.csv", _week(NORTH + SOUTH))], snapshot_date=date(2026, 3, 2))
    import_files(con, [("historique.csv", csv_bytes(HISTORY))], table="stage_history")
    return con


def test_a_first_upload_without_history_leaves_the_latest_tables_to_the_reads(monkeypatch):
    con = store.memory_workspace()
    import_files(con, [("semaine1.csv", _week(NORTH + SOUTH))], snapshot_date=date(2026, 3, 2))
    # one upload, no history: no stay to measure; not built, computed as read (the same figures)
    assert derived.freshness(con) == {"islands": True, "stays": False, "reached": False, "activities": True}
    assert list(reached.reached(con).reached_stage) == ["proposal", "qualification", "lead", "negotiation"]


def test_an_import_of_the_history_builds_both_tables(imported, monkeypatch):
    assert_tables_agree(imported, monkeypatch, date(2026, 3, 2))


def test_a_new_upload_rebuilds_the_latest_stays(imported, monkeypatch):
    # A2 (no history) moved back to lead, B1 (no history: stays from the uploads) on to qualification
    import_files(imported, [("semaine2.csv", _week(NORTH + SOUTH, A2={2: "Prospection"}, B1={2: "Qualification"}))],
                 snapshot_date=date(2026, 3, 9))
    assert_tables_agree(imported, monkeypatch, date(2026, 3, 9))
    # A2 reached qualification: the upload of 02/03 says so, though the CRM now shows lead
    a2 = reached.reached(imported).set_index("opportunity_id").loc["A2"]
    assert [a2.reached_stage, a2.reached_source] == ["qualification", "snapshots"]
    b1 = stays.stays(imported, Filter(owner="Bob Durand"))
    b1 = b1[b1.opportunity_id == "B1"]
    # B1 seen in lead on 02/03, in qualification on 09/03: a finished lead stay of 7 days, from the uploads
    assert list(zip(b1.stage, b1.days.fillna(-1), b1.source)) == [("lead", 7, "snapshots"),
                                                                   ("qualification", -1, "snapshots")]


def test_a_replaced_snapshot_rebuilds_the_latest_stays(imported, monkeypatch):
    import_files(imported, [("semaine2.csv", _week(NORTH + SOUTH, B1={2: "Qualification"}))],
                 snapshot_date=date(2026, 3, 9))
    import_files(imported, [("semaine2-bis.csv", _week(NORTH + SOUTH, B1={2: "Proposition"}))],
                 snapshot_date=date(2026, 3, 9), replace_snapshot=True)
    assert_tables_agree(imported, monkeypatch, date(2026, 3, 9))
    latest = stays.stays(imported)
    assert list(latest[(latest.opportunity_id == "B1") & latest.ongoing].stage) == ["proposal"]


def test_an_upload_added_to_a_snapshot_rebuilds_the_latest_stays(monkeypatch):
    con = store.memory_workspace()
    import_files(con, [("nord.csv", _week(NORTH))], snapshot_date=date(2026, 3, 2))
    import_files(con, [("historique.csv", csv_bytes(HISTORY))], table="stage_history")
    import_files(con, [("sud.csv", _week(SOUTH))], snapshot_date=date(2026, 3, 2))  # the same date: added
    assert_tables_agree(con, monkeypatch, date(2026, 3, 2))
    assert set(stays.stays(con).owner) == {"Ann Martin", "Bob Durand"}


def test_a_partial_upload_with_the_others_carried_over_rebuilds_the_latest_stays(imported, monkeypatch):
    import_files(imported, [("nord.csv", _week(NORTH, A2={2: "Proposition"}))], snapshot_date=date(2026, 3, 9),
                 missing="keep")
    assert_tables_agree(imported, monkeypatch, date(2026, 3, 9))
    # Bob's deals carried over into the upload of 09/03: B2 still ongoing in negotiation
    latest = stays.stays(imported)
    assert list(latest[(latest.opportunity_id == "B2") & latest.ongoing].stage) == ["negotiation"]


def test_an_import_of_activities_keeps_the_stays_and_rebuilds_the_steps(imported, monkeypatch):
    before = stays.stays(imported)
    rebuilt = []
    monkeypatch.setattr(stays, "refresh_latest", lambda con: rebuilt.append("stays"))
    monkeypatch.setattr(reached, "refresh_latest", lambda con: rebuilt.append("reached"))
    activities = csv_bytes([["Date", "Commercial", "Type", "Résultat"], ["2026-03-03", "Ann Martin", "Appel", "Joint"],
                            ["2026-03-04", "Ann Martin", "Appel", "Pas de réponse"],
                            ["2026-03-05", "Bob Durand", "Rendez-vous", "Tenu"]])
    import_files(imported, [("activites.csv", activities)], table="activities")
    monkeypatch.undo()
    assert rebuilt == []  # neither the uploads nor the history changed: kept, not rebuilt
    assert_tables_agree(imported, monkeypatch, date(2026, 3, 2))
    pd.testing.assert_frame_equal(stays.stays(imported), before)
    # two calls, one of them answered; one meeting held (Bob's)
    assert funnel.activity_counts(imported, Filter()) == {"calls": 2, "conversations": 1, "meetings": 1,
                                                          "has_outcome": True}


def test_the_cascade_read_from_the_steps_table(workspace):
    derived.refresh(workspace)
    assert activity.steps_are_fresh(workspace)
    # May: calls A01 (alice) and A04 (chloe), no outcome given; meetings held on D04 (A02) and D07 (A05, a demo);
    # A03 (15 April) is out of the period, A06 is an email
    assert funnel.activity_counts(workspace, MAY) == {"calls": 2, "conversations": None, "meetings": 2,
                                                      "has_outcome": False}
