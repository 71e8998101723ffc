"""A closed deal without a closed date (issue 16): dated by its expected close date, but never after the upload
that shows it closed (it read the expected close date, possibly in the future).

One upload, 20 May 2026:
  L1  ann  lost  close date 31 July 2026 (expected, in the future), no closed date  -> outcome 20 May 2026
  L2  ann  lost  close date 10 May 2026, no closed date                             -> outcome 10 May 2026
  W1  ann  won   close date 30 June 2026, closed date 12 May 2026                   -> outcome 12 May 2026
"""
from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from analytics import selection
from analytics.filters import Filter
from analytics.measures import kpis
from tests.funnel_data import workspace

DEALS = [("L1", "ann", "lost", "lost", 1000, "2026-03-01", "2026-07-31"),
         ("L2", "ann", "lost", "lost", 1000, "2026-03-01", "2026-05-10"),
         ("W1", "ann", "won", "won", 1000, "2026-03-01", "2026-06-30")]


@pytest.fixture
def con():
    con = workspace([("2026-05-20", DEALS)])
    con.execute("UPDATE opportunities SET closed_date = DATE '2026-05-12' WHERE opportunity_id = 'W1'")
    return con


def test_a_lost_deal_is_not_dated_after_the_upload_that_shows_it_lost(con):
    deals = selection.deals(con)
    got = dict(zip(deals.opportunity_id, pd.to_datetime(deals.outcome_date).dt.date))
    assert got["L1"] == date(2026, 5, 20)  # it read 31 July 2026, after the upload
    assert got["L2"] == date(2026, 5, 10) and got["W1"] == date(2026, 5, 12)


def test_the_deal_counts_in_the_month_it_was_lost_in(con):
    may = kpis.flash_kpis(con, Filter(date(2026, 5, 1), date(2026, 5, 31)))
    # lost in May: L1 (bounded to 20 May) and L2 -> 2; win rate 1 / (1 + 2)
    assert may["lost_count"] == 2 and may["win_rate"] == pytest.approx(1 / 3)


def test_a_deal_lost_without_a_date_is_dated_by_the_first_upload_that_showed_it_lost():
    """Three uploads (issue 16: bound it by the first upload that showed it closed, not by the upload read).
    X: open on 1 March (expected 30 April); lost on 15 March and on 29 March, never with a lost date -> 15 March.
    Y: lost on 15 March, open again on 22 March, lost again on 29 March -> 29 March (its second loss).
    Z: lost on 29 March with a lost date of 20 March -> 20 March (the export's date wins)."""
    from analytics import timeline

    con = workspace([
        ("2026-03-01", [("X", "ann", "proposal", "open", 1000, "2026-02-01", "2026-04-30"),
                        ("Y", "ann", "proposal", "open", 1000, "2026-02-01", "2026-04-30")]),
        ("2026-03-15", [("X", "ann", "lost", "lost", 1000, "2026-02-01", "2026-04-30"),
                        ("Y", "ann", "lost", "lost", 1000, "2026-02-01", "2026-04-30")]),
        ("2026-03-22", [("X", "ann", "lost", "lost", 1000, "2026-02-01", "2026-04-30"),
                        ("Y", "ann", "proposal", "open", 1000, "2026-02-01", "2026-04-30")]),
        ("2026-03-29", [("X", "ann", "lost", "lost", 1000, "2026-02-01", "2026-04-30"),
                        ("Y", "ann", "lost", "lost", 1000, "2026-02-01", "2026-04-30"),
                        ("Z", "ann", "lost", "lost", 1000, "2026-02-01", "2026-04-30")]),
    ])
    con.execute("UPDATE opportunities SET closed_date = DATE '2026-03-20' WHERE opportunity_id = 'Z'")
    before = selection.deals(con)
    assert set(pd.to_datetime(before.outcome_date).dt.date) == {date(2026, 3, 29), date(2026, 3, 20)}  # upload read
    timeline.refresh_closed_seen(con)
    deals = selection.deals(con)
    got = dict(zip(deals.opportunity_id, pd.to_datetime(deals.outcome_date).dt.date))
    assert got == {"X": date(2026, 3, 15), "Y": date(2026, 3, 29), "Z": date(2026, 3, 20)}


def test_the_import_writes_the_first_closed_upload():
    """Three CSV uploads through the import: D open on 2 March (expected 30 June), lost on 9 March and on 16 March
    (its amount corrected) without a lost date; read at 16 March it was lost on 9 March."""
    from analytics import store
    from analytics.ingest.importer import import_files
    from tests.files import csv_bytes

    header = ["ID", "Commercial", "Étape", "Montant", "Date de création", "Date de clôture"]
    con = store.memory_workspace()
    for day, stage, amount in (("02/03/2026", "Proposition", "1000"), ("09/03/2026", "Perdu", "1000"),
                               ("16/03/2026", "Perdu", "1200")):
        rows = [header, ["D", "Ann", stage, amount, "01/02/2026", "30/06/2026"]]
        d, m, y = day.split("/")
        import_files(con, [(f"export_{d}.csv", csv_bytes(rows, ";"))], snapshot_date=date(int(y), int(m), int(d)))
    deals = selection.deals(con)
    assert list(pd.to_datetime(deals.outcome_date).dt.date) == [date(2026, 3, 9)]


def _upload(con, day: str, stage: str | None, replace: bool = False, again: bool = False):
    """One CSV upload of deal D (and of E, always open) dated `day` (dd/mm/yyyy); D left out when stage is None."""
    from analytics.ingest.importer import import_files
    from tests.files import csv_bytes

    rows = [["ID", "Commercial", "Étape", "Montant", "Date de création", "Date de clôture"],
            ["E", "Ann", "Proposition", str(500 + int(day[:2])), "01/02/2026", "30/06/2026"]]  # files differ
    if stage:
        rows.append(["D", "Ann", stage, "1000", "01/02/2026", "30/06/2026"])
    d, m, y = day.split("/")
    import_files(con, [(f"export_{d}.csv", csv_bytes(rows, ";"))], snapshot_date=date(int(y), int(m), int(d)),
                 replace_snapshot=replace, again=again)


def _closed_seen(con) -> dict:
    return {day: seen for day, seen in con.execute(
        "SELECT s.snapshot_date, o.closed_seen FROM opportunities o JOIN snapshots s USING (snapshot_id)"
        " WHERE o.opportunity_id = 'D' ORDER BY 1").fetchall()}


def test_a_first_upload_dates_its_closed_deals_by_itself():
    from analytics import store

    con = store.memory_workspace()
    _upload(con, "09/03/2026", "Perdu")
    assert _closed_seen(con) == {date(2026, 3, 9): date(2026, 3, 9)}
    assert con.execute("SELECT closed_seen FROM opportunities WHERE opportunity_id = 'E'").fetchall() == [(None,)]


def test_a_past_export_imported_late_moves_the_later_uploads_first_closed_day():
    """Lost on 9 and 16 March; the 2 March export, imported last, shows it lost already: 2 March on every row."""
    from analytics import store

    con = store.memory_workspace()
    _upload(con, "09/03/2026", "Perdu")
    _upload(con, "16/03/2026", "Perdu")
    assert _closed_seen(con) == {date(2026, 3, 9): date(2026, 3, 9), date(2026, 3, 16): date(2026, 3, 9)}
    _upload(con, "02/03/2026", "Perdu")
    assert set(_closed_seen(con).values()) == {date(2026, 3, 2)}


def test_a_replaced_upload_that_no_longer_holds_the_deal_moves_its_first_closed_day():
    """Open on 2 March, lost on 9 and 16 March; the 9 March upload replaced by one without D: lost from 16 March
    (a deal absent from an upload starts no streak), though the new upload does not hold the deal."""
    from analytics import store

    con = store.memory_workspace()
    _upload(con, "02/03/2026", "Proposition")
    _upload(con, "09/03/2026", "Perdu")
    _upload(con, "16/03/2026", "Perdu")
    assert _closed_seen(con)[date(2026, 3, 16)] == date(2026, 3, 9)
    _upload(con, "09/03/2026", None, replace=True)
    assert _closed_seen(con) == {date(2026, 3, 2): None, date(2026, 3, 16): date(2026, 3, 16)}


def test_a_workspace_written_before_closed_seen_existed_is_dated_whole_at_its_next_import():
    """Rows stored before the column existed hold no closed_seen: the next import dates every deal, also those
    the new upload no longer holds (D, lost on 9 and 16 March, absent from 23 March: lost on 9 March)."""
    from analytics import store

    con = store.memory_workspace()
    _upload(con, "02/03/2026", "Proposition")
    _upload(con, "09/03/2026", "Perdu")
    _upload(con, "16/03/2026", "Perdu")
    con.execute("UPDATE opportunities SET closed_seen = NULL")  # as an older version stored them
    _upload(con, "23/03/2026", None)
    assert _closed_seen(con) == {date(2026, 3, 2): None, date(2026, 3, 9): date(2026, 3, 9),
                                 date(2026, 3, 16): date(2026, 3, 9)}
