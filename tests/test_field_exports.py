"""Import, second pass: exports as the field writes them (issue 13), every file generated here.

No upload may abort the server (far cells), exports without an id column still match their deals from week to
week, content speaks when headers do not, rows carry their gaps, won/lost dates apart from the expected close,
one snapshot in several files, OpenDocument, workspaces that never share a file, unattended imports.
Each KPI expected is computed by hand in a comment beside it.
"""
from __future__ import annotations

import io
import json
import subprocess
import sys
import zipfile
from datetime import date, datetime
from pathlib import Path

import pytest

from analytics import store
from analytics.__main__ import main
from analytics.filters import Filter
from analytics.ingest.importer import import_files, plan_file, run_import
from analytics.measures.kpis import flash_kpis
from analytics.ingest.problems import ImportProblem
from analytics.ingest.extent import MAX_CELLS, sheet_extent
from analytics.ingest.read import read_file
from tests.field_exports import maven_rows, unknown_header_export
from tests.files import csv_bytes, ods_bytes, xlsx_bytes
from tests.test_import import fingerprint

ROOT = Path(__file__).resolve().parents[1]
MARCH = Filter(date(2026, 3, 1), date(2026, 3, 31))


@pytest.fixture
def con():
    return store.memory_workspace()


def quality(report) -> dict[str, int]:
    return dict(zip(report.quality["check"], report.quality["count"]))


# --- 8. no upload can abort, freeze or exhaust the server ----------------------------------------------------

def far_cell_xlsx() -> bytes:
    """A few KB: a header, one row, and one cell at XFD1048576 (calamine would ask for 512 GB)."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "Affaires"
    ws.append(["ID", "Commercial", "Étape", "Montant", "Date de création"])
    ws.append(["A", "Alice Martin", "Gagnée", 10, datetime(2026, 1, 5)])
    ws["XFD1048576"] = "x"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def test_a_far_cell_is_refused_in_a_process_that_survives_it(tmp_path):
    # In a child process whose address space is capped at 3 GB: without the guard calamine aborts it.
    path = tmp_path / "far.xlsx"
    path.write_bytes(far_cell_xlsx())
    code = (
        "import resource, sys; resource.setrlimit(resource.RLIMIT_AS, (3 << 30, 3 << 30))\n"
        "from analytics.ingest.read import read_file\nfrom analytics.ingest.problems import ImportProblem\n"
        f"try:\n    read_file('far.xlsx', open({str(path)!r}, 'rb').read())\n"
        "except ImportProblem as p:\n    print(p.key, p.note.sheet, p.note.params['cell'])\n")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-500:]
    assert done.stdout.split() == ["problem.far_cell", "Affaires", "XFD1048576"]


def test_a_far_cell_leaves_the_workspace_unchanged_and_says_what_to_do(con):
    import_files(con, [("before.csv", csv_bytes([["ID", "Commercial", "Étape", "Montant", "Date de création"],
                                                 ["B", "Bruno Petit", "Gagnée", "5", "2026-01-02"]]))],
                 snapshot_date=date(2026, 1, 2))
    before = fingerprint(con)
    with pytest.raises(ImportProblem) as caught:
        import_files(con, [("far.xlsx", far_cell_xlsx())])
    assert caught.value.key == "problem.far_cell"
    assert "XFD1048576" in caught.value.render("fr") and "Supprimez" in caught.value.render("fr")
    assert "Delete the empty rows" in caught.value.render("en")
    assert fingerprint(con) == before


def test_a_cell_repeated_far_in_an_ods_is_refused():
    # 20 000 rows x 20 000 columns of one repeated text cell: 400 M cells described in a few hundred bytes.
    with pytest.raises(ImportProblem) as caught:
        read_file("far.ods", ods_bytes({"Affaires": [["ID", "Montant"], ["A", 10]]}, far_repeat=20_000))
    assert caught.value.key == "problem.far_cell"
    assert caught.value.note.sheet == "Affaires"


def _sheet_xml(cells: list[str], attrs: str = "") -> bytes:
    rows = "".join(f'<row r="{ref.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ")}"><c{attrs} r="{ref}"><v>1</v></c></row>'
                   for ref in cells)
    return f"<worksheet><sheetData>{rows}</sheetData></worksheet>".encode()


@pytest.mark.parametrize("cells, attrs, expected", [
    (["A1", "O100001"], "", (100001, 15, "O100001")),        # a 100 000-row export, 15 columns
    (["A1", "AN3"], ' s="0"', (3, 40, "AN3")),                # 40 columns, style before the reference (LibreOffice)
    (["A1", "B2", "XFD1048576"], "", (1048576, 16384, "XFD1048576")),
    (["A1", "ZZ9", "AAA2"], ' t="n"', (9, 703, "ZZ9")),        # AAA comes after ZZ; ZZ9 spans more (702 x 9)
])
def test_the_extent_scan_finds_the_farthest_reference(cells, attrs, expected):
    assert sheet_extent(io.BytesIO(_sheet_xml(cells, attrs)))[:3] == expected


def test_a_wide_sheet_within_the_limit_is_read():
    # 40 columns x 30 rows = 1 200 cells, far below MAX_CELLS: read as usual.
    header = [f"Colonne {i}" for i in range(40)]
    rows = [header] + [[f"v{r}-{c}" for c in range(40)] for r in range(30)]
    (sheet,) = read_file("wide.xlsx", xlsx_bytes({"S": rows}))
    assert (len(sheet.headers), sheet.table.num_rows) == (40, 30)
    assert 30 * 40 < MAX_CELLS


# --- 10. OpenDocument and files re-saved by an office suite -------------------------------------------------

FR_ROWS = [
    ["ID", "Commercial", "Étape", "Montant", "Date de création", "Date de clôture"],
    ["A", "Alice Martin", "Gagnée", 12000, date(2026, 1, 5), date(2026, 3, 10)],
    ["B", "Bruno Petit", "Perdue", 3000, date(2026, 1, 20), date(2026, 3, 12)],
    ["C", "Alice Martin", "Proposition", 8000, date(2026, 2, 1), date(2026, 4, 30)],
]


def test_an_ods_saved_by_libreoffice_imports_like_an_xlsx(con):
    report = import_files(con, [("export.ods", ods_bytes({"Opportunités": FR_ROWS}))], snapshot_date=date(2026, 3, 15))
    figures = flash_kpis(con, MARCH)
    assert report.counts == {"opportunities": 3}
    assert (figures["won_count"], float(figures["won_amount"])) == (1, 12000.0)
    assert figures["win_rate"] == 0.5             # 1 won / (1 won + 1 lost)
    assert float(figures["open_amount"]) == 8000.0
    assert figures["average_cycle_days"] == 64    # 2026-01-05 -> 2026-03-10: 26 + 28 + 10 days


def test_a_bom_read_as_windows_1252_does_not_hide_the_id_column(con):
    # Excel's UTF-8 BOM, read as cp1252 by another tool and saved again: "ï»¿ID" in the first header.
    rows = [["ï»¿ID", "Commercial", "Étape", "Montant", "Date de création"],
            ["A", "Alice Martin", "Gagnée", "1 000,00", "05/01/2026"]]
    plans = plan_file(con, "resaved.csv", csv_bytes(rows, ";", encoding="cp1252"))
    assert plans[0].mapping["ID"] == "opportunity_id"
    run_import(con, plans, snapshot_date=date(2026, 1, 6))
    assert con.execute("SELECT opportunity_id, amount FROM opportunities").fetchall() == [("A", 1000)]


# --- 1. no id column ---------------------------------------------------------------------------------------

NO_ID_HEADERS = ["Compte", "Nom de l'affaire", "Commercial", "Étape", "Montant", "Date de création",
                 "Date de clôture prévue"]
WEEK1 = [
    ["Alpha SA", "Licence", "Alice Martin", "Qualification", "10 000,00", "05/01/2026", "30/04/2026"],
    ["Beta SA", "Maintenance", "Bruno Petit", "Proposition", "20 000,00", "10/01/2026", "31/03/2026"],
    ["Gamma SA", "Audit", "Alice Martin", "Négociation", "30 000,00", "15/01/2026", "15/03/2026"],
    ["Delta SA", "Formation", "Bruno Petit", "Proposition", "5 000,00", "20/01/2026", "20/03/2026"],
    ["Epsilon SA", "Conseil", "Alice Martin", "Prospection", "8 000,00", "25/01/2026", "31/05/2026"],
]
WEEK2 = [
    ["Alpha SA", "Licence", "Alice Martin", "Proposition", "10 000,00", "05/01/2026", "30/04/2026"],   # advanced
    ["Beta SA", "Maintenance", "Bruno Petit", "Proposition", "20 000,00", "10/01/2026", "30/06/2026"],  # slipped
    ["Gamma SA", "Audit", "Alice Martin", "Gagnée", "30 000,00", "15/01/2026", "15/03/2026"],          # won
    ["Delta SA", "Formation", "Bruno Petit", "Perdue", "5 000,00", "20/01/2026", "20/03/2026"],        # lost
    ["Zeta SA", "Extension", "Bruno Petit", "Qualification", "12 000,00", "02/03/2026", "30/06/2026"],  # new
]                                                                                   # Epsilon: disappeared


def _weekly(rows: list[list], kind: str) -> tuple[str, bytes]:
    if kind == "csv":
        return "pipeline.csv", csv_bytes([NO_ID_HEADERS, *rows], ";")
    english = ["Account Name", "Opportunity Name", "Opportunity Owner", "Stage", "Amount", "Created Date",
               "Close Date"]
    stages = {"Qualification": "Qualification", "Proposition": "Proposal/Price Quote", "Négociation":
              "Negotiation/Review", "Gagnée": "Closed Won", "Perdue": "Closed Lost", "Prospection": "Prospecting"}

    def day(text):
        d, m, y = map(int, text.split("/"))
        return datetime(y, m, d)
    return "pipeline.xlsx", xlsx_bytes({"Opportunities": [english] + [
        [a, n, o, stages[s], float(v.replace(" ", "").replace(",", ".")), day(c), day(e)]
        for a, n, o, s, v, c, e in rows]})


def test_without_an_id_column_deals_get_a_derived_key_and_the_import_says_so(con):
    plans = plan_file(con, "pipeline.csv", csv_bytes([NO_ID_HEADERS, *WEEK1], ";"))
    assert "opportunity_id" not in plans[0].mapping.values()
    report = run_import(con, plans, snapshot_date=date(2026, 3, 2))
    (note,) = [n for n in report.notes if n.key == "note.derived_key"]
    assert note.render("fr").endswith(
        "chaque affaire est reconnue par Compte + Nom de l'affaire + Date de création."
        " L'export de la semaine prochaine, de même forme, retrouvera les mêmes affaires.")
    keys = [r[0] for r in con.execute("SELECT opportunity_id FROM opportunities").fetchall()]
    assert len(set(keys)) == 5 and all(k.startswith("K-") for k in keys)
    assert quality(report)["quality.derived_keys"] == 5


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_two_weekly_exports_without_ids_match_their_deals(con, kind):
    import_files(con, [_weekly(WEEK1, kind)], snapshot_date=date(2026, 3, 2))
    import_files(con, [_weekly(WEEK2, kind)], snapshot_date=date(2026, 3, 9))
    # Matched through the stored data: the same derived key in both snapshots.
    pairs = con.execute(
        "SELECT a.account, a.stage, b.stage, a.close_date, b.close_date, b.status"
        " FROM opportunities a JOIN snapshots sa ON sa.snapshot_id = a.snapshot_id AND sa.snapshot_date = '2026-03-02'"
        " FULL JOIN (SELECT o.* FROM opportunities o JOIN snapshots s USING (snapshot_id)"
        "            WHERE s.snapshot_date = '2026-03-09') b USING (opportunity_id)"
        " ORDER BY coalesce(a.account, b.account)").fetchall()
    assert pairs == [
        ("Alpha SA", "qualification", "proposal", date(2026, 4, 30), date(2026, 4, 30), "open"),   # advanced
        ("Beta SA", "proposal", "proposal", date(2026, 3, 31), date(2026, 6, 30), "open"),         # slipped
        ("Delta SA", "proposal", "lost", date(2026, 3, 20), date(2026, 3, 20), "lost"),            # lost
        ("Epsilon SA", "lead", None, date(2026, 5, 31), None, None),                               # dropped
        ("Gamma SA", "negotiation", "won", date(2026, 3, 15), date(2026, 3, 15), "won"),           # won
        (None, None, "qualification", None, date(2026, 6, 30), "open"),                            # new (Zeta)
    ]
    figures = flash_kpis(con, MARCH)
    assert (figures["won_count"], float(figures["won_amount"])) == (1, 30000.0)    # Gamma
    assert (figures["lost_count"], float(figures["lost_amount"])) == (1, 5000.0)   # Delta
    assert float(figures["open_amount"]) == 42000.0                                # 10 000 + 20 000 + 12 000


def test_derived_keys_that_collide_are_kept_apart_and_reported_with_their_rows(con):
    rows = [NO_ID_HEADERS, WEEK1[0], WEEK1[1], WEEK1[0][:4] + ["7 000,00"] + WEEK1[0][5:]]  # row 4 = row 2's key
    report = import_files(con, [("doubles.csv", csv_bytes(rows, ";"))], snapshot_date=date(2026, 3, 2))
    (note,) = [n for n in report.notes if n.key == "note.derived_key_collisions"]
    assert note.rows == [2, 4]
    assert report.counts == {"opportunities": 3}
    amounts = con.execute("SELECT amount FROM opportunities WHERE account = 'Alpha SA' ORDER BY 1").fetchall()
    assert [float(a) for (a,) in amounts] == [7000.0, 10000.0]   # never merged into one deal


@pytest.mark.parametrize("header", ["N°", "Ref", "#", "Code", "Numéro"])
def test_a_column_of_unique_codes_is_the_id_whatever_its_header(con, header):
    rows = [[header, "Commercial", "Étape", "Montant", "Date de création"]] + [
        [f"AF-{100 + i}", "Alice Martin", "Proposition", 1000 * (i + 1), datetime(2026, 1, i + 1)] for i in range(6)]
    (plan,) = plan_file(con, "suivi.xlsx", xlsx_bytes({"Suivi": rows}))
    assert plan.mapping.get(header) == "opportunity_id"


# --- 2. content speaks when headers don't --------------------------------------------------------------------

def test_the_maven_crm_sample_imports_with_no_manual_mapping(con):
    plans = plan_file(con, "sales_pipeline.csv", csv_bytes(maven_rows()))
    assert plans[0].table == "opportunities"
    report = run_import(con, plans, snapshot_date=date(2026, 4, 30))
    assert report.counts == {"opportunities": 60}
    figures = flash_kpis(con, Filter(date(2026, 1, 1), date(2026, 12, 31)))
    # Won: rows i = 0, 4, ..., 56 (15 deals), value 1000 + 10 i: 15 x 1000 + 10 x 4 x (0 + ... + 14) = 19 200.
    assert (figures["won_count"], float(figures["won_amount"])) == (15, 19200.0)
    assert figures["win_rate"] == 0.5                     # 15 won, 15 lost
    assert figures["average_cycle_days"] == 30            # engaged -> closed: 30 days on every won deal
    counted = quality(report)
    assert counted["quality.open_without_amount"] == 30   # Engaging and Prospecting: no close value
    assert counted["quality.missing_created"] == 15       # Prospecting: no engage date


@pytest.mark.parametrize("k", range(10))
def test_exports_with_unknown_headers_are_recognised_by_their_values(con, k):
    rows, expected = unknown_header_export(k)
    (plan,) = plan_file(con, "export.csv", csv_bytes(rows, ";" if k % 2 == 0 else ","))
    assert plan.table == "opportunities"
    assert {h: plan.mapping.get(h) for h in expected} == expected


def test_a_proba_column_feeds_the_weighted_pipeline(con):
    rows = [["ID", "Commercial", "Étape", "Montant", "Proba", "Date de création"],
            ["A", "Alice Martin", "Proposition", "10000", "30 %", "2026-01-05"],
            ["B", "Bruno Petit", "Négociation", "20000", "80 %", "2026-01-06"]]
    (plan,) = plan_file(con, "p.csv", csv_bytes(rows))
    assert plan.mapping["Proba"] == "probability"
    run_import(con, [plan], snapshot_date=date(2026, 3, 2))
    # 10 000 x 0.30 + 20 000 x 0.80 = 3 000 + 16 000 = 19 000 (the stages' defaults would give 20 000).
    assert float(flash_kpis(con, MARCH)["weighted_pipeline"]) == 19000.0


# --- 3. rows carry their gaps --------------------------------------------------------------------------------

def test_rows_with_gaps_are_kept_and_counted(con):
    rows = [["Deal ID", "Owner", "Stage", "Amount", "Probability", "Created Date", "Close Date"],
            ["A", "Alice Martin", "Proposal", "", "50", "2026-01-05", "2026-04-30"],            # no amount
            ["B", "Alice Martin", "Proposal", "4000", "50", "", "2026-04-30"],                  # no created date
            ["C", "", "Proposal", "6000", "50", "2026-01-07", "2026-04-30"],                   # no owner
            ["D", "Bruno Petit", "Proposal", "twelve", "50", "2026-01-08", "2026-04-30"],       # not a number
            ["E", "Bruno Petit", "Proposal", "5000", "150", "2026-01-09", "2026-04-30"]]       # out of range
    report = import_files(con, [("gaps.csv", csv_bytes(rows))], snapshot_date=date(2026, 3, 2))
    assert report.counts == {"opportunities": 5}
    counted = quality(report)
    assert (counted["quality.open_without_amount"], counted["quality.missing_created"],
            counted["quality.missing_owner"], counted["quality.bad_amount"],
            counted["quality.bad_probability"]) == (2, 1, 1, 1, 1)     # A and D have no amount
    figures = flash_kpis(con, MARCH)
    assert figures["open_count"] == 5                     # every open deal counted...
    assert float(figures["open_amount"]) == 15000.0       # ...the readable amounts summed: 4 000 + 6 000 + 5 000
    bad = [n for n in report.notes if n.key == "note.bad_values"]
    assert [(n.column, n.rows) for n in bad] == [("Amount", [5]), ("Probability", [6])]


def test_a_sheet_stored_without_its_temp_table_stores_and_says_the_same(con):
    # Ids all given once: the rows are cleaned straight into the snapshot and the bad cells are found from what
    # was stored. The same rows plus a repeated id (dropped, the later row wins) go through the temp table.
    # Both say the same bad cells at the same rows and store the same deals.
    rows = [["Deal ID", "Owner", "Stage", "Amount", "Probability", "Created Date", "Close Date"],
            ["A", "Alice Martin", "Proposal", "twelve", "50", "2026-01-05", "2026-04-30"],
            ["B", "Alice Martin", "Closed Lost", "4000", "", "someday", "2026-04-30"],
            ["C", "Bruno Petit", "Proposal", "6 000 €", "high", "2026-01-07", "2026-04-30"],
            ["D", "Bruno Petit", "Closed Won", "n/a", "50", "2026-01-08", "2026-04-30"]]
    direct = import_files(con, [("direct.csv", csv_bytes(rows))], snapshot_date=date(2026, 3, 2))
    other = store.memory_workspace()
    twice = import_files(other, [("twice.csv", csv_bytes(rows + [["X", "Ann", "Proposal", "1", "", "", ""],
                                                                  ["X", "Ann", "Proposal", "1", "", "", ""]]))],
                         snapshot_date=date(2026, 3, 2))
    said = [(n.column, n.rows, n.params["count"], n.params["value"]) for n in direct.notes if n.key == "note.bad_values"]
    assert said == [("Amount", [2, 5], 2, "twelve"), ("Probability", [4], 1, "high"),
                    ("Created Date", [3], 1, "someday")]
    assert said == [(n.column, n.rows, n.params["count"], n.params["value"])
                    for n in twice.notes if n.key == "note.bad_values"]
    assert any(n.key == "note.duplicate_ids" for n in twice.notes)
    stored = ("SELECT opportunity_id, owner, stage, status, amount, probability, created_date, bad_values, closed_seen"
              " FROM opportunities WHERE opportunity_id <> 'X' ORDER BY 1")
    assert con.execute(stored).fetchall() == other.execute(stored).fetchall()
    assert con.execute(stored).fetchall()[2][4] == 6000.0   # "6 000 €": the general path, the same value


def test_each_files_notes_stay_together_in_file_order(con):
    # a.csv is stored without a temp table (ids given once), b.csv through one (no id column): a's bad cell is
    # still said before b's notes, as the page lists them.
    head = ["Deal ID", "Owner", "Stage", "Amount", "Created Date", "Close Date"]
    a = [head, ["A1", "Alice Martin", "Proposal", "twelve", "2026-01-05", "2026-04-30"]]
    b = [head[1:], ["Bruno Petit", "Proposal", "lots", "2026-01-06", "2026-04-30"]]
    report = import_files(con, [("a.csv", csv_bytes(a)), ("b.csv", csv_bytes(b))], snapshot_date=date(2026, 3, 2))
    said = [(n.key, n.file) for n in report.notes if n.key in ("note.bad_values", "note.derived_key")]
    assert said == [("note.bad_values", "a.csv"), ("note.derived_key", "b.csv"), ("note.bad_values", "b.csv")]


@pytest.mark.parametrize("lang, words", [("fr", "Commercial"), ("en", "Owner")])
def test_only_an_absent_required_column_refuses_the_file_in_the_users_words(con, lang, words):
    before = fingerprint(con)
    rows = [["ID", "Étape", "Montant", "Date de création"], ["A", "Gagnée", "1", "2026-01-01"]]
    with pytest.raises(ImportProblem) as caught:
        import_files(con, [("sans_commercial.csv", csv_bytes(rows))])
    assert caught.value.key == "problem.missing_columns"
    assert words in caught.value.render(lang) and "owner" not in caught.value.render(lang)
    assert fingerprint(con) == before


def test_a_deal_created_after_it_closed_is_flagged_and_left_out_of_the_cycle(con):
    rows = [["ID", "Owner", "Stage", "Amount", "Created Date", "Close Date"],
            ["X", "Alice Martin", "Closed Won", "1000", "2026-03-01", "2026-03-31"],
            ["Y", "Alice Martin", "Closed Won", "2000", "2026-08-02", "2026-03-10"]]   # created 145 days later
    report = import_files(con, [("sf.csv", csv_bytes(rows))], snapshot_date=date(2026, 4, 1))
    assert quality(report)["quality.created_after_closed"] == 1
    figures = flash_kpis(con, MARCH)
    assert figures["won_count"] == 2 and float(figures["won_amount"]) == 3000.0   # still won and counted
    assert figures["average_cycle_days"] == 30     # X only: 2026-03-01 -> 2026-03-31 (never (30 - 145) / 2)


# --- 4. expected close and actual close ----------------------------------------------------------------------

def test_won_time_and_lost_time_both_date_when_deals_closed(con):
    rows = [["Deal - ID", "Deal - Owner", "Deal - Stage", "Deal - Status", "Deal - Value", "Deal - Deal created",
             "Deal - Lost time", "Deal - Expected close date", "Deal - Won time"],
            ["1", "Alice Martin", "Proposal Made", "won", "1000", "2026-01-01", "", "2026-04-15", "2026-03-10 10:00:00"],
            ["2", "Bruno Petit", "Proposal Made", "lost", "500", "2026-01-05", "2026-03-20 11:00:00", "2026-04-01", ""],
            ["3", "Bruno Petit", "Proposal Made", "open", "700", "2026-01-07", "", "2026-03-25", ""]]
    import_files(con, [("pipedrive.csv", csv_bytes(rows))], snapshot_date=date(2026, 3, 31))
    assert con.execute("SELECT opportunity_id, close_date, closed_date FROM opportunities ORDER BY 1").fetchall() == [
        ("1", date(2026, 4, 15), date(2026, 3, 10)), ("2", date(2026, 4, 1), date(2026, 3, 20)),
        ("3", date(2026, 3, 25), None)]
    figures = flash_kpis(con, MARCH)
    # Won on 10 March, lost on 20 March (though expected in April): both count in March.
    assert (figures["won_count"], figures["lost_count"]) == (1, 1)
    assert figures["average_cycle_days"] == 68      # 2026-01-01 -> 2026-03-10: 30 + 28 + 10 days


def test_date_de_signature_is_when_the_deal_was_won(con):
    rows = [["N° affaire", "Commercial", "Étape", "Montant", "Date de création", "Date de clôture prévue",
             "Date de signature"],
            ["AF-1", "Alice Martin", "Signée", 5000, datetime(2026, 1, 10), datetime(2026, 4, 30), datetime(2026, 3, 3)]]
    (plan,) = plan_file(con, "suivi.xlsx", xlsx_bytes({"Affaires": rows}))
    assert (plan.mapping["Date de signature"], plan.mapping["Date de clôture prévue"]) == ("closed_date", "close_date")
    run_import(con, [plan], snapshot_date=date(2026, 3, 31))
    assert flash_kpis(con, MARCH)["won_count"] == 1    # signed 3 March, expected 30 April


# --- 6. one snapshot in several files ------------------------------------------------------------------------

HEAD = ["ID", "Commercial", "Étape", "Montant", "Date de création"]
NORTH = [HEAD, ["N1", "Alice Martin", "Proposition", "1000", "2026-01-05"],
         ["N2", "Alice Martin", "Gagnée", "2000", "2026-01-06"]]
SOUTH = [HEAD, ["S1", "Bruno Petit", "Proposition", "3000", "2026-01-07"]]


def _amounts(con) -> dict[str, float]:
    return {k: float(v) for k, v in con.execute("SELECT opportunity_id, amount FROM opportunities_current").fetchall()}


def test_north_then_south_the_same_day_make_one_snapshot(con):
    import_files(con, [("nord.csv", csv_bytes(NORTH))], snapshot_date=date(2026, 3, 2))
    report = import_files(con, [("sud.csv", csv_bytes(SOUTH))], snapshot_date=date(2026, 3, 2))
    assert len(store.snapshots(con)) == 1
    assert _amounts(con) == {"N1": 1000.0, "N2": 2000.0, "S1": 3000.0}
    assert report.counts == {"opportunities": 3}
    assert any(n.key == "note.snapshot_added" and n.params["replaced"] == 0 for n in report.notes)


def test_a_later_file_replaces_only_the_deals_it_holds_again(con):
    import_files(con, [("nord.csv", csv_bytes(NORTH))], snapshot_date=date(2026, 3, 2))
    again = [HEAD, ["N1", "Alice Martin", "Négociation", "1500", "2026-01-05"]]
    report = import_files(con, [("nord_bis.csv", csv_bytes(again))], snapshot_date=date(2026, 3, 2))
    assert _amounts(con) == {"N1": 1500.0, "N2": 2000.0}      # N1 replaced, N2 kept, never doubled
    assert [n.params["replaced"] for n in report.notes if n.key == "note.snapshot_added"] == [1]


def test_replacing_the_whole_snapshot_is_an_explicit_choice(con):
    import_files(con, [("nord.csv", csv_bytes(NORTH))], snapshot_date=date(2026, 3, 2))
    import_files(con, [("sud.csv", csv_bytes(SOUTH))], snapshot_date=date(2026, 3, 2), replace_snapshot=True)
    assert _amounts(con) == {"S1": 3000.0}


# --- 9. workspaces -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("a, b", [("Démo", "demo"), ("東京", "大阪"), ("Société Générale", "Societe Generale"),
                                  ("Client_A", "Client A"), ("مرحبا", "Workspace")])
def test_two_different_names_never_share_a_file(a, b):
    assert store.workspace_slug(a) != store.workspace_slug(b)


def test_a_plain_name_keeps_its_plain_file_name():
    assert (store.workspace_slug("Client A"), store.workspace_slug("demo")) == ("client-a", "demo")


# --- 11. unattended import -----------------------------------------------------------------------------------

def test_the_cli_applies_overrides_and_replaces_on_request(tmp_path, capsys):
    rows = [["Réf", "Vendeur", "Phase CRM", "Montant", "Créé", "Chance"],
            ["R1", "Alice Martin", "Devis chez le client", "1000", "2026-01-05", "40"],
            ["R2", "Bruno Petit", "Devis chez le client", "3000", "2026-01-06", "60"]]
    path = tmp_path / "export.csv"
    path.write_bytes(csv_bytes(rows, ";"))
    ws = str(tmp_path / "ws.duckdb")
    argv = ["import", str(path), "--workspace", ws, "--create", "--table", "opportunities", "--map", "Chance=probability",
            "--map", "Phase CRM=stage", "--map", "Créé=Date de création", "--stage", "Devis chez le client=proposal",
            "--snapshot-date", "2026-03-02"]
    assert main(argv) == 0
    assert main(argv[:2] + ["--workspace", ws, "--snapshot-date", "2026-03-02", "--replace"]) == 0  # saved mapping
    capsys.readouterr()
    assert main(["kpis", "--workspace", ws, "--start", "2026-03-01", "--end", "2026-03-31", "--json"]) == 0
    figures = json.loads(capsys.readouterr().out)
    # Replaced, not added twice: 2 open deals; weighted 1 000 x 0.4 + 3 000 x 0.6 = 2 200.
    assert (figures["open_count"], figures["weighted_pipeline"]) == (2, 2200.0)


@pytest.mark.parametrize("extra, message", [(["--map", "Chance"], "--map"),
                                            (["--stage", "Devis=nowhere"], "nowhere")])
def test_the_cli_refuses_bad_overrides_with_a_clear_message(tmp_path, capsys, extra, message):
    path = tmp_path / "export.csv"
    path.write_bytes(csv_bytes(NORTH))
    assert main(["import", str(path), "--workspace", str(tmp_path / "ws"), *extra]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_a_workbook_damaged_in_its_sheet_part_is_a_damaged_workbook():
    data = io.BytesIO()
    with zipfile.ZipFile(data, "w") as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"\x00" * 10)
    with pytest.raises(ImportProblem) as caught:
        read_file("broken.xlsx", data.getvalue())
    assert caught.value.key == "problem.corrupt_xlsx"


# --- 5. currencies -------------------------------------------------------------------------------------------

PIPEDRIVE = [["Deal - ID", "Deal - Owner", "Deal - Stage", "Deal - Value", "Deal - Currency", "Deal - Deal created"],
             ["1", "Alice Martin", "Proposal Made", "1000", "EUR", "2026-01-01"],
             ["2", "Alice Martin", "Proposal Made", "2000", "USD", "2026-01-02"],
             ["3", "Bruno Petit", "Proposal Made", "500", "GBP", "2026-01-03"]]


def test_foreign_amounts_are_converted_with_the_rates_given_and_never_summed_without(con):
    report = import_files(con, [("pipedrive.csv", csv_bytes(PIPEDRIVE))], snapshot_date=date(2026, 3, 2),
                          rates={"USD": 0.9})
    figures = flash_kpis(con, MARCH)
    assert figures["open_count"] == 3                    # the GBP deal is counted...
    assert float(figures["open_amount"]) == 2800.0       # ...not valued: 1 000 + 2 000 x 0.9 = 2 800
    assert quality(report)["quality.no_rate"] == 1
    assert con.execute("SELECT currency, amount_original FROM opportunities WHERE opportunity_id = '3'"
                       ).fetchall() == [("GBP", 500)]
    assert [n.params["currencies"] for n in report.notes if n.key == "note.currency_no_rate"] == ["GBP (1)"]


def test_a_file_in_one_foreign_currency_says_so(tmp_path, capsys):
    rows = [PIPEDRIVE[0]] + [r[:4] + ["USD"] + r[5:] for r in PIPEDRIVE[1:]]
    path = tmp_path / "usd.csv"
    path.write_bytes(csv_bytes(rows))
    ws = str(tmp_path / "ws.duckdb")
    assert main(["import", str(path), "--workspace", ws, "--create", "--rate", "USD=0,5", "--lang", "en",
                 "--snapshot-date", "2026-03-02"]) == 0
    out = capsys.readouterr().out
    assert "The whole file is in USD, not EUR" in out
    assert main(["kpis", "--workspace", ws, "--start", "2026-03-01", "--end", "2026-03-31", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["open_amount"] == 1750.0    # (1 000 + 2 000 + 500) x 0.5
