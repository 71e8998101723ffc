"""Import of CRM exports as they come from the field, end to end: bytes -> workspace.

The same four deals are written by each CRM in its own words and formats; whichever the CRM, the workspace must
hold the same values. Broken files must give their message and leave the workspace exactly as it was.
"""
from __future__ import annotations

import io
import random
import zipfile
from dataclasses import dataclass
from datetime import date, datetime

import pytest

from analytics import store
from analytics.ingest.importer import import_files, plan_file, run_import, stage_values
from analytics.ingest.problems import ImportProblem
from tests.files import csv_bytes, xlsx_bytes

# The four deals, canonical: id, owner, stage key, status, amount, probability, created, close.
DEALS = [
    ("D1", "Alice Martin", "won", "won", 12500.5, 1.0, date(2026, 1, 5), date(2026, 2, 10)),
    ("D2", "Bruno Petit", "proposal", "open", 8000.0, 0.5, date(2026, 2, 1), date(2026, 4, 30)),
    ("D3", "Alice Martin", "lost", "lost", 3000.0, 0.0, date(2026, 1, 20), date(2026, 3, 1)),
    ("D4", "Bruno Petit", "qualification", "open", 0.0, 0.2, date(2026, 3, 2), date(2026, 5, 15)),
]


@dataclass
class Dialect:
    """How one CRM writes the four deals: its headers, stage names and formats."""

    name: str
    headers: dict  # canonical column -> header as the CRM writes it
    stages: dict  # canonical stage key -> the CRM's stage name (D1..D4 use won, proposal, lost, qualification)
    kind: str = "csv"  # csv | xlsx
    delimiter: str = ","
    encoding: str = "utf-8"
    decimal_comma: bool = False
    date_format: str = "%Y-%m-%d"
    percent: str = "plain"  # plain (50) | sign (50 %) | fraction (0.5)
    status_values: dict | None = None  # status column values when the CRM has one (Pipedrive, Dynamics)
    lost_stage: str | None = None  # with a status column: the stage where D3 was lost
    title_lines: tuple = ()
    totals: bool = False
    currency: str = ""

    def amount(self, value: float) -> str:
        text = f"{value:,.2f}"
        if self.decimal_comma:
            text = text.replace(",", "\u202f").replace(".", ",")
        return text + self.currency

    def probability(self, value: float):
        return {"plain": f"{value * 100:g}", "sign": f"{value * 100:g} %", "fraction": f"{value:g}"}[self.percent]

    def rows(self) -> list[list]:
        cols = list(self.headers)
        out = [[self.headers[c] for c in cols]]
        for oid, owner, stage, status, amount, prob, created, close in DEALS:
            crm_stage = self.lost_stage if self.status_values and status == "lost" else self.stages[stage]
            values = {
                "opportunity_id": oid, "owner": owner, "stage": crm_stage, "amount": self.amount(amount),
                "probability": self.probability(prob), "name": f"Affaire {oid}", "account": f"Client {oid}",
                "status": (self.status_values or {}).get(status),
                "segment": "Or" if oid in ("D1", "D2") else "Bronze",
            }
            if self.kind == "xlsx":
                values["amount"] = amount
                values["created_date"] = datetime(created.year, created.month, created.day)
                values["close_date"] = datetime(close.year, close.month, close.day)
            else:
                values["created_date"] = created.strftime(self.date_format)
                values["close_date"] = close.strftime(self.date_format)
            out.append([values[c] for c in cols])
        return out

    def file(self) -> tuple[str, bytes]:
        rows = self.rows()
        if self.kind == "xlsx":
            return f"{self.name}.xlsx", xlsx_bytes({"Export": rows})
        footer = [["Total", "", "", "", self.amount(23500.5)]] if self.totals else []
        return f"{self.name}.csv", csv_bytes(rows, self.delimiter, self.encoding, self.title_lines, footer)


SF_EN = {"opportunity_id": "Opportunity ID", "name": "Opportunity Name", "account": "Account Name",
         "owner": "Opportunity Owner", "stage": "Stage", "amount": "Amount", "probability": "Probability (%)",
         "created_date": "Created Date", "close_date": "Close Date"}
SF_FR = {"opportunity_id": "ID de l'opportunité", "name": "Nom de l'opportunité", "account": "Nom du compte",
         "owner": "Propriétaire de l'opportunité", "stage": "Étape", "amount": "Montant",
         "probability": "Probabilité (%)", "created_date": "Date de création", "close_date": "Date de clôture"}
HS_EN = {"opportunity_id": "Record ID", "name": "Deal Name", "stage": "Deal Stage", "amount": "Amount",
         "close_date": "Close Date", "created_date": "Create Date", "owner": "Deal owner",
         "probability": "Deal probability"}
HS_FR = {"opportunity_id": "ID de fiche d'informations", "name": "Nom de la transaction",
         "stage": "Phase de la transaction", "amount": "Montant", "close_date": "Date de fermeture",
         "created_date": "Date de création", "owner": "Propriétaire de la transaction"}
PD_EN = {"opportunity_id": "Deal - ID", "name": "Deal - Title", "amount": "Deal - Value", "owner": "Deal - Owner",
         "stage": "Deal - Stage", "status": "Deal - Status", "account": "Deal - Organization",
         "created_date": "Deal - Deal created", "close_date": "Deal - Expected close date"}
PD_FR = {"opportunity_id": "Affaire - ID", "name": "Affaire - Titre", "amount": "Affaire - Valeur",
         "owner": "Affaire - Propriétaire", "stage": "Affaire - Étape", "status": "Affaire - Statut",
         "account": "Affaire - Organisation", "created_date": "Affaire - Affaire créée",
         "close_date": "Affaire - Date de clôture prévue"}
ZOHO = {"opportunity_id": "Record Id", "name": "Deal Name", "account": "Account Name", "owner": "Deal Owner",
        "stage": "Stage", "amount": "Amount", "probability": "Probability (%)", "close_date": "Closing Date",
        "created_date": "Created Time"}
ODOO_FR = {"opportunity_id": "ID", "name": "Opportunité", "account": "Client", "owner": "Vendeur", "stage": "Étape",
           "amount": "Revenu espéré", "probability": "Probabilité", "created_date": "Créé le",
           "close_date": "Date de clôture prévue"}
ODOO_EN = {"opportunity_id": "ID", "name": "Opportunity", "account": "Customer", "owner": "Salesperson",
           "stage": "Stage", "amount": "Expected Revenue", "probability": "Probability", "created_date": "Created on",
           "close_date": "Expected Closing"}
DYN_EN = {"opportunity_id": "(Do Not Modify) Opportunity", "name": "Topic", "account": "Potential Customer", "owner": "Owner",
          "amount": "Est. Revenue", "close_date": "Est. Close Date", "probability": "Probability",
          "stage": "Pipeline Phase", "status": "Status", "created_date": "Created On"}
DYN_FR = {"opportunity_id": "(Ne pas modifier) Opportunité", "name": "Sujet", "account": "Client potentiel", "owner": "Propriétaire",
          "amount": "Revenu estimé", "close_date": "Date de clôture estimée", "probability": "Probabilité",
          "stage": "Phase du pipeline", "status": "Statut", "created_date": "Créé le"}
KOBAN = {"opportunity_id": "Code", "name": "Affaire", "account": "Tiers", "owner": "Commercial", "stage": "Étape",
         "amount": "Montant HT", "probability": "Probabilité", "created_date": "Date de création",
         "close_date": "Date de signature prévue", "segment": "Segment"}
SELLSY = {"opportunity_id": "Référence", "name": "Opportunité", "account": "Société", "owner": "Collaborateur",
          "stage": "Étape", "amount": "Montant", "probability": "Probabilité", "created_date": "Date de création",
          "close_date": "Date d'échéance"}
AXONAUT = {"opportunity_id": "ID", "name": "Titre", "account": "Entreprise", "owner": "Responsable",
           "stage": "Étape", "amount": "Montant HT", "probability": "Probabilité", "created_date": "Date de création",
           "close_date": "Date de clôture"}
NOCRM = {"opportunity_id": "ID", "name": "Piste", "account": "Client", "owner": "Utilisateur", "stage": "Étape",
         "amount": "Montant", "probability": "Probabilité", "created_date": "Date de création",
         "close_date": "Date de clôture prévue"}

SF_STAGES_EN = {"won": "Closed Won", "proposal": "Proposal/Price Quote", "lost": "Closed Lost",
                "qualification": "Qualification"}
SF_STAGES_FR = {"won": "Fermée gagnée", "proposal": "Proposition/Devis", "lost": "Fermée perdue",
                "qualification": "Qualification"}
FR_STAGES = {"won": "Gagnée", "proposal": "Proposition", "lost": "Perdue", "qualification": "Qualification"}

DIALECTS = [
    Dialect("salesforce_en", SF_EN, SF_STAGES_EN, date_format="%m/%d/%Y"),
    Dialect("salesforce_fr_cp1252", SF_FR, SF_STAGES_FR, delimiter=";", encoding="cp1252", decimal_comma=False,
            date_format="%d/%m/%Y", currency=" €"),
    Dialect("salesforce_fr_decimal_comma", SF_FR, SF_STAGES_FR, delimiter=";", decimal_comma=True,
            date_format="%d/%m/%Y"),
    Dialect("hubspot_en", HS_EN, {"won": "Closed won", "proposal": "Presentation scheduled", "lost": "Closed lost",
                                  "qualification": "Qualified to buy"}, kind="xlsx", percent="fraction"),
    Dialect("hubspot_fr_bom", HS_FR, {"won": "Conclue gagnée", "proposal": "Présentation programmée",
                                      "lost": "Conclue perdue", "qualification": "Qualifié pour acheter"},
            encoding="utf-8-sig", delimiter=";", decimal_comma=True, date_format="%d/%m/%Y %H:%M"),
    Dialect("pipedrive_en", PD_EN, {"won": "Negotiations Started", "proposal": "Proposal Made",
                                    "qualification": "Qualified"},
            status_values={"won": "won", "lost": "lost", "open": "open"}, lost_stage="Proposal Made"),
    Dialect("pipedrive_fr", PD_FR, {"won": "Négociations commencées", "proposal": "Proposition faite",
                                    "qualification": "Qualifié"}, delimiter=";", decimal_comma=True,
            date_format="%d/%m/%Y", status_values={"won": "Gagnée", "lost": "Perdue", "open": "Ouverte"},
            lost_stage="Proposition faite"),
    Dialect("zoho_en", ZOHO, SF_STAGES_EN, kind="xlsx"),
    Dialect("odoo_fr", ODOO_FR, {"won": "Gagné", "proposal": "Proposition", "lost": "Perdu",
                                 "qualification": "Qualifié"}, kind="xlsx"),
    Dialect("odoo_en", ODOO_EN, {"won": "Won", "proposal": "Proposition", "lost": "Lost",
                                 "qualification": "Qualified"}, date_format="%Y-%m-%d %H:%M:%S"),
    Dialect("dynamics_en", DYN_EN, {"won": "4-Close", "proposal": "3-Propose", "qualification": "1-Qualify"},
            status_values={"won": "Won", "lost": "Lost", "open": "Open"}, lost_stage="3-Propose",
            date_format="%m/%d/%Y"),
    Dialect("dynamics_fr", DYN_FR, {"won": "4-Conclure", "proposal": "3-Proposer", "qualification": "1-Qualifier"},
            status_values={"won": "Gagné", "lost": "Perdu", "open": "Ouvert"}, lost_stage="3-Proposer",
            delimiter=";", decimal_comma=True, date_format="%d/%m/%Y"),
    Dialect("koban_title_totals", KOBAN, FR_STAGES, delimiter=";", decimal_comma=True, date_format="%d/%m/%Y",
            title_lines=("Export Koban - Affaires", "Généré le 23/11/2026", ""), totals=True, percent="sign"),
    Dialect("sellsy_utf16", SELLSY, {"won": "Gagnée", "proposal": "Devis envoyé", "lost": "Perdue",
                                     "qualification": "Découverte"},
            delimiter="\t", encoding="utf-16", decimal_comma=True, date_format="%d/%m/%Y"),
    Dialect("axonaut", AXONAUT, {"won": "Gagné", "proposal": "Devis", "lost": "Perdu",
                                 "qualification": "Qualification"}, kind="xlsx"),
    Dialect("nocrm", NOCRM, {"won": "Gagné", "proposal": "Proposition", "lost": "Perdu",
                             "qualification": "Qualifié"}, delimiter=";", decimal_comma=True, date_format="%d.%m.%Y",
            percent="sign"),
]


@pytest.fixture
def con():
    return store.memory_workspace()


def stored(con):
    return con.execute(
        "SELECT opportunity_id, owner, stage, status, amount, probability, created_date, close_date"
        " FROM opportunities_current ORDER BY opportunity_id").fetchall()


def fingerprint(con) -> tuple:
    """Everything an import could change, to prove a failed one changed nothing."""
    tables = ["snapshots", "opportunities", "activities", "targets", "reps", "marketing_spend", "stage_history",
              "column_mappings", "stage_mappings", "imports"]
    return tuple(con.execute(f"SELECT count(*), hash(list(t ORDER BY ALL)) FROM {store.quote(name)} t").fetchone()
                 for name in tables)


@pytest.mark.parametrize("dialect", DIALECTS, ids=lambda d: d.name)
def test_each_crm_export_lands_with_the_same_values(con, dialect):
    report = import_files(con, [dialect.file()], snapshot_date=date(2026, 11, 23))
    assert report.counts == {"opportunities": 4}
    rows = stored(con)
    expected = []
    for oid, owner, stage, status, amount, prob, created, close in DEALS:
        if dialect.status_values and status == "lost":
            stage = "proposal"  # a status column says where the deal was lost
        if "probability" not in dialect.headers:
            prob = None
        expected.append((oid, owner, stage, status, amount, prob, created, close))
    assert rows == expected


def test_title_and_totals_lines_are_reported(con):
    koban = next(d for d in DIALECTS if d.name == "koban_title_totals")
    report = import_files(con, [koban.file()])
    keys = {n.key for n in report.notes}
    assert {"note.title_lines", "note.totals_dropped"} <= keys


def test_the_export_date_stated_above_the_header_dates_the_snapshot(con):
    koban = next(d for d in DIALECTS if d.name == "koban_title_totals")  # "Généré le 23/11/2026"
    report = import_files(con, [koban.file()])
    assert report.snapshot_date == date(2026, 11, 23)
    assert store.snapshots(con)[-1][1] == date(2026, 11, 23)


def test_ambiguous_dates_follow_the_language_and_say_so(con):
    rows = [["ID", "Commercial", "Étape", "Montant", "Date de création"],
            ["A", "Alice", "Gagnée", "10", "04/03/2026"], ["B", "Alice", "Perdue", "20", "05/06/2026"]]
    report = import_files(con, [("fr.csv", csv_bytes(rows, ";"))])
    assert con.execute("SELECT created_date FROM opportunities_current ORDER BY 1").fetchall() == [
        (date(2026, 3, 4),), (date(2026, 6, 5),)]
    assert any(n.key == "note.date_order" and n.column == "Date de création" for n in report.notes)


def test_excel_serial_dates_in_a_csv(con):
    rows = [["Opportunity ID", "Owner", "Stage", "Amount", "Created Date"], ["A", "Al", "Closed Won", "10", "46085"]]
    import_files(con, [("serial.csv", csv_bytes(rows))])
    assert con.execute("SELECT created_date FROM opportunities_current").fetchone()[0] == date(2026, 3, 4)


def test_workbook_with_several_tables_and_a_notes_sheet(con):
    wb = xlsx_bytes({
        "Opportunités": [["ID opportunité", "Commercial", "Étape", "Montant", "Date de création", "Segment"],
                         ["O1", "Alice Martin", "Gagnée", 1000, datetime(2026, 3, 2), "Or"]],
        "Activités": [["Date", "Commercial", "Type", "Durée (min)", "Segment"],
                      [datetime(2026, 3, 2, 9, 30), "Alice Martin", "Appel", 15, "Or"],
                      [datetime(2026, 3, 3, 14), "Alice Martin", "Rendez-vous", 90, "Or"]],
        "Objectifs": [["Commercial", "Période", "Objectif"], ["Alice Martin", "2026-03", 5000],
                      ["Alice Martin", "T2 2026", 15000]],
        "Commerciaux": [["Commercial", "Équipe", "Région", "Coût horaire"], ["Alice Martin", "Nord", "Hauts-de-France", 45]],
        "Notes": [["Ce classeur a été préparé pour la revue"], ["à lire avant lundi"]],
    })
    report = import_files(con, [("revue.xlsx", wb)])
    assert report.counts == {"opportunities": 1, "activities": 2, "targets": 2, "reps": 1}
    assert con.execute("SELECT type, duration_minutes FROM activities ORDER BY date").fetchall() == [
        ("call", 15.0), ("meeting", 90.0)]
    assert con.execute("SELECT period_start, period_end, quota_amount FROM targets ORDER BY 1").fetchall() == [
        (date(2026, 3, 1), date(2026, 3, 31), 5000.0), (date(2026, 4, 1), date(2026, 6, 30), 15000.0)]
    assert any(n.key == "note.sheet_skipped" and n.sheet == "Notes" for n in report.notes)


def test_template_workbook_imports_itself(con):
    from data.template import template_workbook

    report = import_files(con, [("modele.xlsx", template_workbook())])
    assert set(report.counts) == {"opportunities", "activities", "targets", "reps", "marketing_spend", "stage_history"}
    assert all(n > 0 for n in report.counts.values())


def test_same_headers_next_week_use_the_saved_mapping(con):
    rows = [["Réf", "Vendeur", "Phase", "Valeur", "Créée"], ["A", "Al", "Gagnée", "10", "2026-03-02"]]
    plan = plan_file(con, "w1.csv", csv_bytes(rows))[0]
    # The manager maps the headers by hand once.
    plan.table = "opportunities"
    plan.mapping = {"Réf": "opportunity_id", "Vendeur": "owner", "Phase": "stage", "Valeur": "amount",
                    "Créée": "created_date"}
    run_import(con, [plan], snapshot_date=date(2026, 3, 2))
    next_week = plan_file(con, "w2.csv", csv_bytes([rows[0], ["B", "Bo", "Perdue", "20", "2026-03-09"]]))[0]
    assert next_week.from_saved and next_week.mapping == plan.mapping


def test_each_upload_is_a_dated_snapshot(con):
    d = DIALECTS[0]
    import_files(con, [d.file()], snapshot_date=date(2026, 11, 16))
    import_files(con, [d.file()], snapshot_date=date(2026, 11, 23), again=True)  # the same file: said, imported
    import_files(con, [d.file()], snapshot_date=date(2026, 11, 23), again=True)  # same day again: replaces
    assert [s[1] for s in store.snapshots(con)] == [date(2026, 11, 16), date(2026, 11, 23)]
    assert con.execute("SELECT count(*) FROM opportunities").fetchone()[0] == 8
    assert con.execute("SELECT count(*) FROM opportunities_current").fetchone()[0] == 4


def test_quality_report_flags_what_to_fix(con):
    rows = [["ID", "Commercial", "Étape", "Montant", "Probabilité", "Date de création", "Date de clôture"],
            ["A", "", "Proposition", "10", "20", "2026-01-01", "2026-02-01"],  # no owner, close passed, prob falls
            ["B", "Al", "Qualification", "", "60", "2026-01-01", "2026-12-01"],  # no amount
            ["C", "Al", "Qualification", "30", "60", "2026-01-01", "2026-12-01"]]
    report = import_files(con, [("q.csv", csv_bytes(rows))], snapshot_date=date(2026, 3, 1))
    flagged = dict(zip(report.quality["check"], report.quality["examples"]))
    assert {k: v for k, v in flagged.items() if v} == {
        "quality.missing_owner": "A", "quality.missing_amount": "B", "quality.open_without_amount": "B",
        "quality.past_close_open": "A", "quality.falling_probability": "A"}


def test_duplicate_ids_keep_the_last_row_and_say_so(con):
    rows = [["ID", "Commercial", "Étape", "Montant", "Date de création"],
            ["A", "Al", "Proposition", "10", "2026-01-01"], ["A", "Al", "Gagnée", "12", "2026-01-01"]]
    report = import_files(con, [("dup.csv", csv_bytes(rows))])
    assert con.execute("SELECT stage, amount FROM opportunities_current").fetchall() == [("won", 12.0)]
    assert any(n.key == "note.duplicate_ids" for n in report.notes)


# --- bad input: the right message, the workspace unchanged ------------------------------------------

GOOD = [["ID", "Commercial", "Étape", "Montant", "Date de création"], ["A", "Al", "Gagnée", "10", "2026-01-01"]]


def _zip_bomb() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/workbook.xml", "<workbook/>")
        z.writestr("xl/worksheets/sheet1.xml", b"\0" * (60 * 1024 * 1024))
    return buf.getvalue()


def _encrypted() -> bytes:
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504
    return ole + "EncryptionInfo".encode("utf-16-le") + b"\0" * 64 + "EncryptedPackage".encode("utf-16-le") + b"\0" * 512


BAD_FILES = [
    ("empty.csv", b"", "problem.empty_file", None),
    ("header_only.csv", csv_bytes([GOOD[0]]), "problem.header_only", None),
    ("garbage.csv", random.Random(1).randbytes(4096), "problem.not_a_table", None),
    ("corrupt.xlsx", b"PK\x03\x04" + random.Random(2).randbytes(2048), "problem.corrupt_xlsx", None),
    ("truncated.xlsx", xlsx_bytes({"S": GOOD})[:700], "problem.corrupt_xlsx", None),
    ("bomb.xlsx", _zip_bomb(), "problem.zip_bomb", None),
    ("locked.xlsx", _encrypted(), "problem.encrypted", None),
    ("old.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 2048, "problem.legacy_xls", None),
    ("no_owner_column.csv", csv_bytes([["ID", "Étape", "Montant", "Date de création"], ["A", "Gagnée", "1", "2026-01-01"]]),
     "problem.missing_columns", None),
    ("bad_period.xlsx", xlsx_bytes({"Objectifs": [["Commercial", "Période", "Objectif"], ["Al", "bientôt", 10]]}),
     "problem.bad_period", ("Période", [2])),
]


@pytest.mark.parametrize("name, data, key, where", BAD_FILES, ids=[b[0] for b in BAD_FILES])
def test_bad_files_give_their_message_and_change_nothing(con, name, data, key, where):
    import_files(con, [("before.csv", csv_bytes(GOOD))], snapshot_date=date(2026, 1, 2))
    before = fingerprint(con)
    with pytest.raises(ImportProblem) as caught:
        import_files(con, [(name, data)])
    assert caught.value.key == key
    assert caught.value.note.file == name
    if where:
        assert (caught.value.note.column, caught.value.note.rows) == where
    assert name in caught.value.render("fr") and name in caught.value.render("en")
    assert fingerprint(con) == before


def test_a_failure_halfway_leaves_the_workspace_unchanged(con, monkeypatch):
    import_files(con, [("before.csv", csv_bytes(GOOD))], snapshot_date=date(2026, 1, 2))
    before = fingerprint(con)

    def fail(*args, **kwargs):
        raise RuntimeError("disk full")

    # The failure comes after the snapshot and its rows were written, inside the transaction.
    monkeypatch.setattr(store, "save_stage_mapping", fail)
    with pytest.raises(ImportProblem) as caught:
        import_files(con, [DIALECTS[0].file()], snapshot_date=date(2026, 1, 9), missing="drop")
    assert caught.value.key == "problem.internal"
    assert fingerprint(con) == before


def test_two_sessions_importing_at_once(tmp_path, monkeypatch):
    import threading

    monkeypatch.setenv("COCKPIT_WORKSPACES", str(tmp_path))
    shared = store.open_workspace("client-a")
    errors = []

    def session(day: int):
        try:
            # days 1 and 4 import the same file: on purpose (again=True), the test is about two writers
            import_files(shared.cursor(), [DIALECTS[day % 3].file()], snapshot_date=date(2026, 1, day), again=True)
        except Exception as exc:  # pragma: no cover - shown by the assertion
            errors.append(exc)

    threads = [threading.Thread(target=session, args=(d,)) for d in (1, 2, 3, 4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert [s[1].day for s in store.snapshots(shared)] == [1, 2, 3, 4]
    store.close_workspace("client-a")
    reopened = store.open_workspace("client-a")
    assert reopened.execute("SELECT count(*) FROM opportunities").fetchone()[0] == 16
    store.close_workspace("client-a")


# --- several sheets, re-uploads, stage names as typed ----------------------------------------------

OPP_HEADER = ["ID", "Commercial", "Étape", "Montant", "Date de création", "Date de clôture"]


def test_a_deal_in_two_files_of_one_upload_is_counted_once(con):
    # North and South exports both hold B (a deal moved between teams): the snapshot must hold A, B, C once each.
    north = csv_bytes([OPP_HEADER, ["A", "Al", "Gagnée", "10", "2026-01-01", "2026-01-10"],
                       ["B", "Al", "Gagnée", "20", "2026-01-01", "2026-01-10"]], ";")
    south = csv_bytes([OPP_HEADER, ["B", "Bo", "Gagnée", "20", "2026-01-01", "2026-01-10"],
                       ["C", "Bo", "Perdue", "5", "2026-01-01", "2026-01-10"]], ";")
    report = import_files(con, [("nord.csv", north), ("sud.csv", south)], snapshot_date=date(2026, 2, 1))
    assert con.execute("SELECT opportunity_id, owner FROM opportunities_current ORDER BY 1").fetchall() == [
        ("A", "Al"), ("B", "Bo"), ("C", "Bo")]  # the later file's B wins, as the later row does within a file
    # won amount 10 + 20 = 30, not 10 + 20 + 20
    assert con.execute("SELECT sum(amount) FROM opportunities_current WHERE status = 'won'").fetchone()[0] == 30
    assert report.counts == {"opportunities": 3}
    assert con.execute("SELECT row_count FROM snapshots").fetchone()[0] == 3
    assert any(n.key == "note.duplicate_ids" and n.params["count"] == 1 for n in report.notes)


def test_activities_without_ids_replace_whole_days_whatever_the_time(con):
    # Last week's export had times; this week's writes dates only (00:00) for the same two activities.
    header = ["Date", "Commercial", "Type", "Durée (min)"]
    with_times = xlsx_bytes({"Activités": [header, [datetime(2026, 3, 2, 9, 30), "Al", "Appel", 15],
                                           [datetime(2026, 3, 3, 17), "Al", "Rendez-vous", 60]]})
    dates_only = xlsx_bytes({"Activités": [header, [datetime(2026, 3, 2), "Al", "Appel", 15],
                                           [datetime(2026, 3, 3), "Al", "Rendez-vous", 60]]})
    import_files(con, [("w1.xlsx", with_times)])
    import_files(con, [("w2.xlsx", dates_only)])
    # The second upload covers 2 and 3 March for Al: 15 + 60 minutes, not 15 + 60 + 60 (17:00 > 00:00 kept).
    assert con.execute("SELECT count(*), sum(duration_minutes) FROM activities").fetchone() == (2, 75.0)


def test_a_stage_name_with_doubled_spaces_is_mapped_as_proposed(con):
    rows = [OPP_HEADER, ["A", "Al", "Closed  Won", "10", "2026-01-01", "2026-01-10"]]
    plans = plan_file(con, "x.csv", csv_bytes(rows))
    assert list(stage_values(con, plans)["crm_stage"]) == ["Closed Won"]  # as it is matched and stored
    run_import(con, plans, snapshot_date=date(2026, 2, 1))
    assert con.execute("SELECT stage, crm_stage FROM opportunities_current").fetchall() == [("won", "Closed Won")]


def test_stage_values_come_in_funnel_order(con):
    rows = [GOOD[0], ["A", "Al", "Perdue", "1", "2026-01-01"], ["B", "Al", "Gagnée", "1", "2026-01-01"],
            ["C", "Al", "Proposition", "1", "2026-01-01"], ["D", "Al", "Prospection", "1", "2026-01-01"]]
    from analytics.ingest.importer import stage_values

    plans = plan_file(con, "o.csv", csv_bytes(rows))
    assert list(stage_values(con, plans)["crm_stage"]) == ["Prospection", "Proposition", "Gagnée", "Perdue"]


def test_a_hand_made_mapping_wins_over_an_automatic_one_for_the_same_headers(con):
    rows = [["ID", "Commercial", "Étape", "Montant", "Date de création", "Origine"], ["A", "Al", "Gagnée", "1", "2026-01-01", "Salon"]]
    by_hand, automatic = plan_file(con, "a.csv", csv_bytes(rows))[0], plan_file(con, "b.csv", csv_bytes(rows))[0]
    by_hand.mapping = {**by_hand.mapping, "Origine": "product"}
    by_hand.edited = True
    run_import(con, [by_hand, automatic])
    assert plan_file(con, "c.csv", csv_bytes(rows))[0].mapping["Origine"] == "product"
