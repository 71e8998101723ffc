"""The snapshot timeline (analytics/timeline.py) and what reads it: one row per deal and upload with its previous
upload's stage, amount, close date, status and currency.

Three uploads (workspace in EUR; X and Y are written in USD and converted at import with the day's rate):

  id  S1 2026-05-04                         S2 2026-05-11                         S3 2026-05-18
  T1  lead  open  1 000  close 06-30         proposal open 1 000 close 07-15      (absent)
  T2  (absent)                               lead  open  2 000 close 07-01        lead open 2 000 close 07-01
  T3  lead  open  3 000  close 06-01         (absent)                             lost lost 3 000 close 06-01
  X   proposal open 10 000 USD x 0.90 = 9 000   proposal open 10 000 USD x 0.95 = 9 500   (as S2)
  Y   proposal open 10 000 USD x 0.90 = 9 000   proposal open 12 000 USD x 0.90 = 10 800  (as S2)
"""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import pandas as pd
import pytest

from analytics import store, timeline
from analytics.views import movement

S1, S2, S3 = date(2026, 5, 4), date(2026, 5, 11), date(2026, 5, 18)
# id, stage, status, amount (EUR), close, currency, amount_original
ROWS = {
    S1: [("T1", "lead", "open", 1000, "2026-06-30", None, None), ("T3", "lead", "open", 3000, "2026-06-01", None, None),
         ("X", "proposal", "open", 9000, "2026-06-30", "USD", 10000),
         ("Y", "proposal", "open", 9000, "2026-06-30", "USD", 10000)],
    S2: [("T1", "proposal", "open", 1000, "2026-07-15", None, None), ("T2", "lead", "open", 2000, "2026-07-01", None, None),
         ("X", "proposal", "open", 9500, "2026-06-30", "USD", 10000),
         ("Y", "proposal", "open", 10800, "2026-06-30", "USD", 12000)],
    S3: [("T2", "lead", "open", 2000, "2026-07-01", None, None), ("T3", "lost", "lost", 3000, "2026-06-01", None, None),
         ("X", "proposal", "open", 9500, "2026-06-30", "USD", 10000),
         ("Y", "proposal", "open", 10800, "2026-06-30", "USD", 12000)],
}


@pytest.fixture
def con():
    con = store.memory_workspace()
    for day, rows in ROWS.items():
        sid = store.new_snapshot(con, day, "test", len(rows))
        con.executemany(
            "INSERT INTO opportunities (opportunity_id, owner, stage, status, amount, created_date, close_date,"
            " currency, amount_original, snapshot_id) VALUES (?, 'ann', ?, ?, ?, '2026-04-01', ?, ?, ?, ?)",
            [(i, st, status, amt, close, cur, orig, sid) for i, st, status, amt, close, cur, orig in rows])
    return con


def _row(frame, oid, day):
    return frame[(frame.opportunity_id == oid) & (frame.snapshot_date == pd.Timestamp(day))].iloc[0]


def test_each_row_carries_the_previous_upload_of_the_deal(con):
    tl = timeline.timeline(con)
    t1 = _row(tl, "T1", S2)
    assert (t1.prev_stage, t1.prev_close_date, t1.prev_status, t1.upload) == ("lead", pd.Timestamp("2026-06-30"), "open", 2)


def test_a_deal_absent_from_an_upload_keeps_its_last_known_state(con):
    t3 = _row(timeline.timeline(con), "T3", S3)  # absent from S2: its previous row is S1's
    assert (t3.prev_snapshot_date, t3.prev_status, t3.status) == (pd.Timestamp(S1), "open", "lost")


def test_first_row_has_no_previous_and_last_row_no_next(con):
    tl = timeline.timeline(con)
    assert pd.isna(_row(tl, "T2", S2).prev_snapshot_id)  # T2 first seen in S2
    assert pd.isna(_row(tl, "T1", S2).next_snapshot_id)  # T1 gone from S3


def test_only_two_uploads_pairs_them_directly(con):
    tl = timeline.timeline(con, only=[1, 3])  # S1 (T1 T3 X Y) and S3 (T2 T3 X Y): S2 is skipped
    assert len(tl) == 4 + 4
    prev = dict(zip(tl[tl.snapshot_id == 3].opportunity_id, tl[tl.snapshot_id == 3].prev_snapshot_id))
    # Y's previous row is S1's (10 000 USD), not S2's; T2 was not in S1
    assert prev["Y"] == 1 and pd.isna(prev["T2"])


def test_upto_stops_at_an_upload(con):
    assert sorted(timeline.timeline(con, upto=2).snapshot_id.unique().tolist()) == [1, 2]


def test_the_currency_and_amount_in_it_are_read(con):
    y = _row(timeline.timeline(con), "Y", S2)
    assert (y.currency, y.prev_amount_original, y.amount_original) == ("USD", Decimal("10000"), Decimal("12000"))


# --- movement: a rate that moved is no re-quote ----------------------------------------------------------------

def test_a_rate_that_moved_is_not_an_amount_changed(con):
    s = movement.movement_summary(con, movement.Filter(), 1, 2)
    # X: 10 000 USD both weeks, 9 000 -> 9 500 EUR with the rate: not re-quoted. Y: 10 000 -> 12 000 USD: re-quoted.
    assert s["amount_changed_count"] == 1  # it read 2 (X counted as a re-quote)
    assert (s["rate_changed_count"], s["rate_change"]) == (1, Decimal("500.00"))
    assert s["amount_change"] == Decimal("1800.00")  # Y: 10 800 - 9 000


def test_the_waterfall_still_adds_up_to_the_cent_with_a_rate_step(con):
    s = movement.movement_summary(con, movement.Filter(), 1, 2)
    steps = {w["step"]: w["amount"] for w in s["waterfall"]}
    # S1 open 1 000 + 3 000 + 9 000 + 9 000 = 22 000; new T2 +2 000; dropped T3 -3 000; re-quote +1 800; rate +500
    assert steps["open_before"] == Decimal("22000.00") and steps["rate_change"] == Decimal("500.00")
    total = sum(w["amount"] for w in s["waterfall"] if w["step"] != "open_after")
    assert total == steps["open_after"] == Decimal("23300.00")  # 1 000 + 2 000 + 9 500 + 10 800


def test_the_deal_list_gives_the_rate_move_no_reason(con):
    deals = movement.movement_deals(con, movement.Filter(), 1, 2)
    assert "X" not in set(deals.opportunity_id) and deals.set_index("opportunity_id").reason["Y"] == "amount_changed"


def test_without_a_rate_move_there_is_no_rate_step(con):
    s = movement.movement_summary(con, movement.Filter(), 2, 3)
    assert "rate_change" not in {w["step"] for w in s["waterfall"]}


def test_two_uploads_by_joins_give_the_rows_of_the_window(con):
    """`only` of two uploads is computed by joins (speed); the rows are those the window gives."""
    from analytics.timeline import _window_cte

    cte, params = _window_cte(None, [1, 3], "timeline", None)
    by_window = con.execute(f"WITH {cte} SELECT * FROM timeline", params).fetchdf()
    by_joins = timeline.timeline(con, only=[1, 3])
    key = ["opportunity_id", "snapshot_id"]
    by_window = by_window[by_joins.columns].sort_values(key, ignore_index=True)
    pd.testing.assert_frame_equal(by_joins.sort_values(key, ignore_index=True), by_window, check_dtype=False)
