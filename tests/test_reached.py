"""The highest stage reached per deal (analytics/measures/reached.py) on a fixture checked by hand.

Two weekly uploads, 13 and 20 May 2026 (stage orders: lead 1, qualification 2, proposal 3, negotiation 4, won 5):

  id  owner  13 May              20 May               history                              reached (source)
  R1  alice  -                   won / won            -                                    5 (crm: won went through all)
  R2  alice  -                   proposal / lost      -                                    3 (crm: Pipedrive keeps it)
  R3  bob    -                   lost / lost          -                                    unknown (nothing tells)
  R4  bob    qualification/open  lost / lost          -                                    2 (snapshots)
  R5  bob    proposal / open     qualification/open   -                                    3 (snapshots: went back)
  R6  chloe  -                   lost / lost          lead, qualif., negotiation, lost     4 (history)
  R7  chloe  -                   lead / open          lead                                 1 (history)
  R8  chloe  -                   negotiation / open   lead, qualification (incomplete)     4 (crm beats history)
  R9  chloe  -                   lost / lost          lead 1 May, proposal 18 May          3 (history)
"""
from __future__ import annotations

import pandas as pd
import pytest

from analytics.measures import reached
from analytics.filters import Filter
from tests.funnel_data import workspace

C = "2026-04-01"  # created
S1 = [
    ("R4", "bob", "qualification", "open", 1000, C, None),
    ("R5", "bob", "proposal", "open", 1000, C, None),
]
S2 = [
    ("R1", "alice", "won", "won", 1000, C, "2026-05-15"),
    ("R2", "alice", "proposal", "lost", 1000, C, "2026-05-15"),
    ("R3", "bob", "lost", "lost", 1000, C, "2026-05-15"),
    ("R4", "bob", "lost", "lost", 1000, C, "2026-05-15"),
    ("R5", "bob", "qualification", "open", 1000, C, None),
    ("R6", "chloe", "lost", "lost", 1000, C, "2026-05-10"),
    ("R7", "chloe", "lead", "open", 1000, C, None),
    ("R8", "chloe", "negotiation", "open", 1000, C, None),
    ("R9", "chloe", "lost", "lost", 1000, C, "2026-05-19"),
]
HISTORY = [
    ("R6", "lead", "2026-04-01 09:00"), ("R6", "qualification", "2026-04-10 09:00"),
    ("R6", "negotiation", "2026-04-20 09:00"), ("R6", "lost", "2026-05-10 09:00"),
    ("R7", "lead", "2026-04-01 09:00"),
    ("R8", "lead", "2026-04-01 09:00"), ("R8", "qualification", "2026-04-05 09:00"),
    ("R9", "lead", "2026-05-01 09:00"), ("R9", "proposal", "2026-05-18 09:00"), ("R9", "lost", "2026-05-19 09:00"),
]


@pytest.fixture
def con():
    return workspace([("2026-05-13", S1), ("2026-05-20", S2)], HISTORY)


def by_id(frame):
    return {r.opportunity_id: (None if pd.isna(r.reached_order) else int(r.reached_order),
                               None if pd.isna(r.reached_source) else r.reached_source)
            for r in frame.itertuples()}


@pytest.mark.parametrize("oid, order, source", [
    ("R1", 5, "crm"),        # won: every stage
    ("R2", 3, "crm"),        # lost at proposal, stage kept by the CRM
    ("R3", None, None),      # lost, one upload, no history: unknown
    ("R4", 2, "snapshots"),  # seen at qualification last week, 'lost' today
    ("R5", 3, "snapshots"),  # proposal last week, back to qualification today: still reached proposal
    ("R6", 4, "history"),    # history says negotiation before the loss
    ("R7", 1, "history"),    # history and CRM agree on lead: history is named first
    ("R8", 4, "crm"),        # history stops at qualification; the CRM shows negotiation
    ("R9", 3, "history"),
])
def test_reached_order_and_source(con, oid, order, source):
    assert by_id(reached.reached(con))[oid] == (order, source)


def test_reached_stage_names_the_order(con):
    frame = reached.reached(con).set_index("opportunity_id")
    assert frame.loc["R5", "reached_stage"] == "proposal"
    assert frame.loc["R1", "reached_stage"] == "won"
    assert pd.isna(frame.loc["R3", "reached_stage"])


def test_an_earlier_snapshot_reads_as_it_was(con):
    # At 13 May only R4 and R5 exist; R5 stands at proposal (3), R4 at qualification (2).
    frame = reached.reached(con, snapshot_id=1)
    assert by_id(frame) == {"R4": (2, "crm"), "R5": (3, "crm")}


def test_history_after_an_earlier_snapshot_is_left_out():
    # R9's proposal entry (18 May) is after the 13 May upload: then, it had reached lead only.
    con = workspace([("2026-05-13", [("R9", "chloe", "lead", "open", 1000, C, None)]), ("2026-05-20", S2)], HISTORY)
    assert by_id(reached.reached(con, snapshot_id=1)) == {"R9": (1, "history")}


def test_filter_by_owner(con):
    assert sorted(reached.reached(con, Filter(owner="bob")).opportunity_id) == ["R3", "R4", "R5"]


def test_unknown_summary(con):
    s = reached.unknown_summary(con)
    # 9 deals; R3 unknown; lost: R2 R3 R4 R6 R9 = 5; sources: history R6 R7 R9, snapshots R4 R5, crm R1 R2 R8
    assert s == {"deals": 9, "unknown": 1, "lost": 5, "has_history": True, "snapshots": 2,
                 "by_source": {"history": 3, "snapshots": 2, "crm": 3}}


def test_cte_is_usable_in_sql(con):
    cte, params = reached.reached_cte(Filter(owner="chloe"))
    rows = con.execute(f"WITH {cte} SELECT count(*) FILTER (WHERE reached_order >= 3) FROM reached", params).fetchall()
    assert rows[0][0] == 3  # R6 (4), R8 (4), R9 (3); R7 reached lead only


def test_a_pipedrive_lost_deal_keeps_the_stage_it_was_lost_at():
    """Through the importer: Pipedrive exports a lost deal with its stage and the status apart; the importer
    stores stage 'proposal', status 'lost', so the deal reached proposal (3). A deal whose CRM wrote only
    'Perdue' has no stage to tell: unknown."""
    from datetime import date

    from analytics import store
    from analytics.ingest.importer import import_files
    from tests.files import csv_bytes

    rows = [
        ["Deal ID", "Owner", "Stage", "Status", "Value", "Deal created"],
        ["P1", "Ann", "Proposal Made", "lost", "1000", "2026-04-01"],
        ["P2", "Ann", "Qualified", "open", "1000", "2026-04-01"],
        ["P3", "Ann", "Perdue", "lost", "1000", "2026-04-01"],
    ]
    con = store.memory_workspace()
    import_files(con, [("pipedrive.csv", csv_bytes(rows))], snapshot_date=date(2026, 5, 20))
    got = by_id(reached.reached(con))
    assert got["P1"] == (3, "crm")
    assert got["P3"] == (None, None)
