"""The command line: same code path and messages as the page, a JSON of the flash figures."""
import json
from datetime import date

from analytics.__main__ import main
from tests.files import csv_bytes

ROWS = [
    ["ID", "Commercial", "Segment", "Étape", "Montant", "Probabilité", "Date de création", "Date de clôture"],
    ["A", "Alice", "Or", "Gagnée", "1 000,00", "100", "05/01/2026", "10/02/2026"],
    ["B", "Alice", "Or", "Perdue", "500,00", "0", "06/01/2026", "15/02/2026"],
    ["C", "Bruno", "Bronze", "Proposition", "2 000,00", "50", "01/02/2026", "30/04/2026"],
    ["D", "Bruno", "Bronze", "Gagnée", "3 000,00", "100", "01/03/2026", "20/03/2026"],
]


def run(capsys, *argv):
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_import_then_kpis_json(tmp_path, capsys):
    path = tmp_path / "export.csv"
    path.write_bytes(csv_bytes(ROWS, ";"))
    ws = str(tmp_path / "ws")
    code, out, _ = run(capsys, "import", str(path), "--workspace", ws, "--create", "--snapshot-date", "2026-03-31")
    assert code == 0 and "opportunities: 4" in out
    code, out, _ = run(capsys, "kpis", "--workspace", ws, "--start", "2026-02-01", "--end", "2026-02-28", "--json")
    figures = json.loads(out)
    # February: A won (1000) and B lost (500) closed; C and D are not closed in February.
    assert (figures["won_count"], figures["won_amount"], figures["lost_count"], figures["lost_amount"]) == (1, 1000, 1, 500)
    assert figures["win_rate"] == 0.5
    # February ended before the only upload (31 March): its pipeline is unknown (null), not today's
    assert (figures["open_count"], figures["open_amount"], figures["weighted_pipeline"]) == (None, None, None)
    _, out, _ = run(capsys, "kpis", "--workspace", ws, "--start", "2026-03-01", "--end", "2026-03-31", "--json")
    march = json.loads(out)
    # Open deals of the upload valid at the end of March: C only, 2000 at 50 %.
    assert (march["open_count"], march["open_amount"], march["weighted_pipeline"]) == (1, 2000, 1000)
    assert figures["average_basket"] == 1000
    assert figures["average_cycle_days"] == (date(2026, 2, 10) - date(2026, 1, 5)).days
    assert figures["new_opportunities"] == 1  # C created 01/02


def test_kpis_filtered_by_owner_without_dates(tmp_path, capsys):
    path = tmp_path / "export.csv"
    path.write_bytes(csv_bytes(ROWS, ";"))
    ws = str(tmp_path / "ws")
    run(capsys, "import", str(path), "--workspace", ws, "--create")
    _, out, _ = run(capsys, "kpis", "--workspace", ws, "--owner", "Bruno", "--json")
    figures = json.loads(out)
    assert (figures["won_count"], figures["won_amount"], figures["lost_count"]) == (1, 3000, 0)
    assert figures["win_rate"] == 1.0
    assert figures["new_opportunities"] == 2


def test_bad_file_exits_non_zero_with_the_message(tmp_path, capsys):
    path = tmp_path / "broken.csv"
    # No amount column at all (a cell that is not a number is kept and flagged instead: see test_field_exports).
    path.write_bytes(csv_bytes([[h for h in ROWS[0] if h != "Montant"],
                                ["A", "Alice", "Or", "Gagnée", "100", "05/01/2026", "10/02/2026"]], ";"))
    code, out, err = run(capsys, "import", str(path), "--workspace", str(tmp_path / "ws"), "--create", "--lang", "en")
    assert code == 1
    assert "broken.csv" in err and "Amount" in err and "Traceback" not in err


def test_kpis_compare_prints_the_comparison_period(tmp_path, capsys):
    """The shared workspace (today = 20 May 2026): May against 1-20 April, read like for like."""
    from analytics import store
    from tests.fixtures.workspace import build

    import duckdb

    path = tmp_path / "shared.duckdb"
    con = duckdb.connect(str(path))
    store.init_schema(con)
    build(con)
    con.close()
    code, out, _ = run(capsys, "kpis", "--workspace", str(path), "--start", "2026-05-01", "--end", "2026-05-31",
                       "--compare", "previous", "--json")
    assert code == 0
    figures = json.loads(out)
    cmp = figures["comparison"]
    assert (cmp["start"], cmp["end"]) == ("2026-04-01", "2026-04-20")
    assert set(figures) - {"comparison"} <= set(cmp)  # the same keys
    assert cmp["won_amount"] == 10000  # D05 on 20 April
    assert cmp["quota"] == 120000  # the whole April quota: alice 80 000 + bob 40 000
    assert cmp["quota_attainment"] == 10000 / 120000
    assert figures["quota_attainment"] == 62000 / 180000


def test_kpis_compare_rejects_an_unknown_mode(tmp_path, capsys):
    import pytest

    with pytest.raises(SystemExit) as exit_:
        run(capsys, "kpis", "--workspace", str(tmp_path / "ws"), "--compare", "yesterday")
    assert exit_.value.code == 2
    assert "invalid choice" in capsys.readouterr().err


def test_kpis_start_after_end_is_refused(tmp_path, capsys):
    code, _, err = run(capsys, "kpis", "--workspace", str(tmp_path / "ws"), "--start", "2026-05-31",
                       "--end", "2026-05-01", "--json")
    assert code == 2 and "after" in err
