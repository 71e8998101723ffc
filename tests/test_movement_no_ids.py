"""Two weekly exports without an ID column, through the importer: deals are matched by the key it derives
(account + name + created date), so the movement between the two uploads is the real one.

  week 1 (09/11/2026)                                   week 2 (16/11/2026)
  Alpha SA   ERP     Alice  Proposition   10 000  01/09   Négociation 10 000  (advanced)
  Beta SARL  CRM     Alice  Qualification  5 000  15/09   Qualification 6 000 (amount changed +1 000)
  Gamma SAS  Cloud   Bruno  Négociation   20 000  01/10   Gagnée      20 000  (won)
  Delta EURL Support Bruno  Prospection    3 000  20/10   (gone: dropped)
                                                          Epsilon SA Formation Bruno Prospection 4 000 (new)
Open amount: 38 000 -> 10 000 + 6 000 + 4 000 = 20 000 = 38 000 + 4 000 - 20 000 - 3 000 + 1 000.
"""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from analytics.views import movement
from analytics import store
from analytics.filters import Filter
from analytics.ingest.importer import import_files
from tests.files import csv_bytes

HEADER = ["Compte", "Nom de l'affaire", "Commercial", "Étape", "Montant", "Date de création", "Date de clôture"]
WEEK1 = [HEADER,
         ["Alpha SA", "ERP", "Alice", "Proposition", "10 000", "01/09/2026", "15/12/2026"],
         ["Beta SARL", "CRM", "Alice", "Qualification", "5 000", "15/09/2026", "20/12/2026"],
         ["Gamma SAS", "Cloud", "Bruno", "Négociation", "20 000", "01/10/2026", "30/11/2026"],
         ["Delta EURL", "Support", "Bruno", "Prospection", "3 000", "20/10/2026", "31/01/2027"]]
WEEK2 = [HEADER,
         ["Alpha SA", "ERP", "Alice", "Négociation", "10 000", "01/09/2026", "15/12/2026"],
         ["Beta SARL", "CRM", "Alice", "Qualification", "6 000", "15/09/2026", "20/12/2026"],
         ["Gamma SAS", "Cloud", "Bruno", "Gagnée", "20 000", "01/10/2026", "13/11/2026"],
         ["Epsilon SA", "Formation", "Bruno", "Prospection", "4 000", "12/11/2026", "28/02/2027"]]


def _workspace():
    con = store.memory_workspace()
    import_files(con, [("export_semaine_45.csv", csv_bytes(WEEK1, ";"))], snapshot_date=date(2026, 11, 9))
    import_files(con, [("export_semaine_46.csv", csv_bytes(WEEK2, ";"))], snapshot_date=date(2026, 11, 16))
    return con


def test_two_exports_without_ids_are_matched_by_the_derived_key():
    con = _workspace()
    a_id, b_id = movement.resolve_pair(con)
    s = movement.movement_summary(con, Filter(), a_id, b_id)
    assert (s["new_count"], s["won_count"], s["dropped_count"], s["advanced_count"], s["amount_changed_count"]) == \
        (1, 1, 1, 1, 1)  # Epsilon; Gamma; Delta; Alpha; Beta
    assert (s["lost_count"], s["reopened_count"], s["owner_changed_count"]) == (0, 0, 0)
    assert (s["open_amount_before"], s["open_amount_after"]) == (Decimal("38000"), Decimal("20000"))
    assert sum(x["amount"] for x in s["waterfall"][:-1]) == s["waterfall"][-1]["amount"]
    deals = movement.movement_deals(con, Filter(), a_id, b_id)
    assert len(deals) == 5  # every deal changed once, none seen as both dropped and new
