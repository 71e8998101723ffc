"""The Monday routine without traps (issue 17): the same file twice is said, a partial upload on a new date is
flagged and both choices give the right figures, unseen stage words are placed by the file's probabilities and
never imported without a confirmation."""
from __future__ import annotations

from datetime import date

import pytest

from analytics import store
from analytics.ingest.importer import (import_files, missing_parts, plan_file, stage_by_probability, stage_values,
                                       unsure_stages)
from analytics.ingest.problems import ImportProblem
from tests.files import csv_bytes

@pytest.fixture
def con():
    return store.memory_workspace()


HEADER = ["ID", "Commercial", "Étape", "Montant", "Probabilité", "Date de création", "Date de clôture"]


def fingerprint(con) -> tuple:
    return (con.execute("SELECT count(*), coalesce(sum(amount), 0) FROM opportunities").fetchall()[0],
            store.snapshots(con), con.execute("SELECT count(*) FROM imported_files").fetchall()[0][0])


# --- the same file twice ------------------------------------------------------------------------

WEEK = [HEADER, ["A1", "Ann Martin", "Proposition", "1000", "50", "2026-02-01", "2026-04-30"],
        ["A2", "Ann Martin", "Qualification", "2000", "30", "2026-02-03", "2026-05-31"]]


def test_the_same_file_again_is_refused_and_named(con):
    import_files(con, [("semaine1.csv", csv_bytes(WEEK))], snapshot_date=date(2026, 3, 2))
    before = fingerprint(con)
    # the same bytes under another name, a week later: still the same export
    with pytest.raises(ImportProblem) as caught:
        import_files(con, [("copie.csv", csv_bytes(WEEK))], snapshot_date=date(2026, 3, 9))
    assert caught.value.key == "problem.already_imported"
    assert caught.value.note.params["earlier"] == "semaine1.csv"
    assert caught.value.note.params["date"] == "2026-03-02"
    assert fingerprint(con) == before


def test_the_same_file_again_on_request_replaces_its_earlier_import(con):
    import_files(con, [("semaine1.csv", csv_bytes(WEEK))], snapshot_date=date(2026, 3, 2))
    import_files(con, [("semaine1.csv", csv_bytes(WEEK))], again=True)
    # no date given: it goes back into the snapshot of 02/03, whose two deals it replaces (still 2, not 4)
    assert store.snapshots(con) == [(1, date(2026, 3, 2))]
    assert con.execute("SELECT count(*) FROM opportunities").fetchall()[0][0] == 2


def test_a_changed_file_is_not_taken_for_the_same(con):
    import_files(con, [("semaine1.csv", csv_bytes(WEEK))], snapshot_date=date(2026, 3, 2))
    week2 = [row[:] for row in WEEK]
    week2[1][3] = "1500"  # one amount changed: another export
    import_files(con, [("semaine1.csv", csv_bytes(week2))], snapshot_date=date(2026, 3, 9))
    assert [d for _, d in store.snapshots(con)] == [date(2026, 3, 2), date(2026, 3, 9)]


# --- a partial upload on a new date ---------------------------------------------------------------

# North (Ann) and South (Bob) on 02/03. March's won: Ann 40 000 + Bob 60 000 = 100 000. Bob's open: 50 000.
NORTH = [["A-W", "Ann Martin", "Gagnée", "40000", "100", "2026-01-10", "2026-03-01"],
         ["A-O", "Ann Martin", "Proposition", "10000", "50", "2026-02-01", "2026-04-30"]]
SOUTH = [["B-W", "Bob Durand", "Gagnée", "60000", "100", "2026-01-12", "2026-03-01"],
         ["B-O", "Bob Durand", "Négociation", "50000", "80", "2026-02-02", "2026-04-30"]]


def _won_and_open(con) -> tuple[float, float]:
    return tuple(float(x) for x in con.execute(
        "SELECT coalesce(sum(amount) FILTER (WHERE status = 'won'), 0),"
        " coalesce(sum(amount) FILTER (WHERE status = 'open'), 0) FROM opportunities_current").fetchall()[0])


@pytest.fixture
def two_teams(con):
    import_files(con, [("tous.csv", csv_bytes([HEADER, *NORTH, *SOUTH]))], snapshot_date=date(2026, 3, 2))
    return con


def test_a_partial_upload_on_a_new_date_is_flagged_before_anything_is_stored(two_teams):
    con = two_teams
    before = fingerprint(con)
    plans = plan_file(con, "nord.csv", csv_bytes([HEADER, *NORTH]))
    parts = missing_parts(con, plans, date(2026, 3, 9))
    # Bob: 2 deals in the previous upload, 50 000 of them open
    assert parts == [{"dimension": "owner", "value": "Bob Durand", "deals": 2, "open_amount": 50000.0}]
    with pytest.raises(ImportProblem) as caught:
        import_files(con, [("nord.csv", csv_bytes([HEADER, *NORTH]))], snapshot_date=date(2026, 3, 9))
    assert caught.value.key == "problem.missing_parts"
    assert caught.value.note.params["owners"] == "Bob Durand"
    assert fingerprint(con) == before


def test_a_partial_upload_kept_as_a_part_carries_the_others_over(two_teams):
    con = two_teams
    import_files(con, [("nord.csv", csv_bytes([HEADER, *NORTH]))], snapshot_date=date(2026, 3, 9), missing="keep")
    # won 40 000 (Ann) + 60 000 (Bob, carried) = 100 000; open 10 000 + 50 000 = 60 000
    assert _won_and_open(con) == (100000.0, 60000.0)


def test_a_partial_upload_taken_as_the_whole_team_drops_the_others(two_teams):
    con = two_teams
    report = import_files(con, [("nord.csv", csv_bytes([HEADER, *NORTH]))], snapshot_date=date(2026, 3, 9),
                          missing="drop")
    # Ann alone: won 40 000, open 10 000; Bob's deals are gone (the movement counts them as dropped)
    assert _won_and_open(con) == (40000.0, 10000.0)
    assert any(n.key == "note.parts_dropped" for n in report.notes)


def test_a_second_file_on_the_same_date_is_not_a_partial_upload(two_teams):
    con = two_teams
    plans = plan_file(con, "nord.csv", csv_bytes([HEADER, *NORTH]))
    assert missing_parts(con, plans, date(2026, 3, 2)) == []  # same date: the file adds to that snapshot


def test_a_missing_team_is_named_from_the_reps_table(two_teams):
    con = two_teams
    con.execute("INSERT INTO reps (owner, team, region) VALUES ('Ann Martin', 'Nord', 'IDF'),"
                " ('Bob Durand', 'Sud', 'PACA')")
    parts = missing_parts(con, plan_file(con, "nord.csv", csv_bytes([HEADER, *NORTH])), date(2026, 3, 9))
    assert [(p["dimension"], p["value"]) for p in parts] == [("owner", "Bob Durand"), ("team", "Sud"),
                                                              ("region", "PACA")]


# --- stage words no list holds --------------------------------------------------------------------

def _pipeline(stages: list[tuple[str, int]], per_stage: int = 3) -> bytes:
    """A generated export: per_stage deals at each (stage name, probability %)."""
    rows, n = [HEADER], 0
    for name, probability in stages:
        for _ in range(per_stage):
            n += 1
            rows.append([f"G{n}", "Ann Martin" if n % 2 else "Bob Durand", name, str(1000 * n), str(probability),
                         "2026-01-05", "2026-06-30"])
    return csv_bytes(rows)


GENERATED = [("Prospection", 10), ("Qualification", 30), ("Proposition", 50), ("Final talks", 70),
             ("Dernière ligne droite", 90)]


def test_unseen_stage_words_are_placed_by_the_files_probabilities(con):
    plans = plan_file(con, "gen.csv", _pipeline(GENERATED))
    placed = stage_values(con, plans).set_index("crm_stage")
    # words alone: "Final talks" -> lead, "Dernière ligne droite" -> proposal (about 24 %). The file says 70 %
    # and 90 %: above Proposition's 50 %, nearest negotiation's 75 % (no surely-named negotiation in the file)
    assert placed.loc["Final talks", "stage"] == "negotiation"
    assert placed.loc["Dernière ligne droite", "stage"] == "negotiation"
    assert placed.loc["Final talks", "probability"] == pytest.approx(0.70)
    assert placed.loc["Proposition", "stage"] == "proposal"  # a sure name keeps its words


def test_a_stage_between_two_of_the_files_stages_goes_to_the_nearest(con):
    # the file's own references: Proposition at 40 %, Négociation at 60 %; "Short talks" at 58 % -> negotiation,
    # "Early talks" at 42 % -> proposal (|58 - 60| = 2 < |58 - 40| = 18; |42 - 40| = 2 < 18)
    plans = plan_file(con, "gen.csv", _pipeline([("Proposition", 40), ("Négociation", 60), ("Short talks", 58),
                                                 ("Early talks", 42)]))
    placed = stage_values(con, plans).set_index("crm_stage")["stage"]
    assert (placed["Short talks"], placed["Early talks"]) == ("negotiation", "proposal")


def test_an_unseen_stage_at_100_percent_is_won(con):
    frame = stage_values(con, plan_file(con, "gen.csv", _pipeline([("Proposition", 50), ("Bingo", 100)])))
    assert frame.set_index("crm_stage").loc["Bingo", ["stage", "status"]].tolist() == ["won", "won"]


def test_placed_stages_still_need_a_confirmation(con):
    stages = stage_values(con, plan_file(con, "gen.csv", _pipeline(GENERATED)))
    assert sorted(unsure_stages(stages)) == ["Dernière ligne droite", "Final talks"]
    # a name the user mapped by hand is confirmed
    assert unsure_stages(stages, {"Final talks": ("negotiation", "open")}) == ["Dernière ligne droite"]


def test_a_low_confidence_stage_mapping_is_not_imported_without_a_confirmation(con):
    with pytest.raises(ImportProblem) as caught:
        import_files(con, [("gen.csv", _pipeline(GENERATED))], snapshot_date=date(2026, 3, 2))
    assert caught.value.key == "problem.unsure_stages"
    assert "Final talks" in caught.value.note.params["stages"]
    assert store.snapshots(con) == []


def test_accepted_stages_are_imported_in_the_right_order_without_false_alerts(con):
    report = import_files(con, [("gen.csv", _pipeline(GENERATED))], snapshot_date=date(2026, 3, 2),
                          accept_stages=True)
    stored = dict(con.execute("SELECT DISTINCT crm_stage, stage FROM opportunities").fetchall())
    assert stored["Final talks"] == stored["Dernière ligne droite"] == "negotiation"
    # probabilities rise with the stages (10, 30, 50, then 70 and 90 in negotiation): no "falling" alert
    flagged = dict(zip(report.quality["check"], report.quality["count"]))
    assert flagged.get("quality.falling_probability", 0) == 0


def test_accepted_stages_are_remembered(con):
    import_files(con, [("gen.csv", _pipeline(GENERATED))], snapshot_date=date(2026, 3, 2), accept_stages=True)
    stages = stage_values(con, plan_file(con, "gen2.csv", _pipeline(GENERATED, per_stage=2)))
    assert unsure_stages(stages) == []  # saved once accepted: next week's export goes through


# --- the same choices on the command line -------------------------------------------------------------

def _cli(capsys, *argv):
    from analytics.__main__ import main

    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_the_cli_stops_on_a_partial_upload_and_takes_the_choice(tmp_path, capsys):
    both, north, ws = tmp_path / "tous.csv", tmp_path / "nord.csv", str(tmp_path / "ws")
    both.write_bytes(csv_bytes([HEADER, *NORTH, *SOUTH]))
    north.write_bytes(csv_bytes([HEADER, *NORTH]))
    assert _cli(capsys, "import", str(both), "--workspace", ws, "--snapshot-date", "2026-03-02", "--create")[0] == 0
    code, _, err = _cli(capsys, "import", str(north), "--workspace", ws, "--snapshot-date", "2026-03-09")
    assert code == 1 and "Bob Durand" in err and "--missing" in err
    code, out, _ = _cli(capsys, "import", str(north), "--workspace", ws, "--snapshot-date", "2026-03-09",
                        "--missing", "keep")
    assert code == 0 and "opportunities: 4" in out  # 2 of Ann's + 2 of Bob's carried over


def test_the_cli_refuses_unsure_stages_unless_accepted(tmp_path, capsys):
    path, ws = tmp_path / "gen.csv", str(tmp_path / "ws")
    path.write_bytes(_pipeline(GENERATED))
    code, _, err = _cli(capsys, "import", str(path), "--workspace", ws, "--snapshot-date", "2026-03-02", "--create")
    assert code == 1 and "Final talks" in err
    assert _cli(capsys, "import", str(path), "--workspace", ws, "--snapshot-date", "2026-03-02",
                "--accept-stages")[0] == 0


def test_the_cli_says_the_same_file_again(tmp_path, capsys):
    path, ws = tmp_path / "s1.csv", str(tmp_path / "ws")
    path.write_bytes(csv_bytes(WEEK))
    assert _cli(capsys, "import", str(path), "--workspace", ws, "--snapshot-date", "2026-03-02", "--create")[0] == 0
    code, _, err = _cli(capsys, "import", str(path), "--workspace", ws, "--snapshot-date", "2026-03-09")
    assert code == 1 and "s1.csv" in err and "--again" in err
    assert _cli(capsys, "import", str(path), "--workspace", ws, "--again")[0] == 0


# --- useful columns no longer ignored ----------------------------------------------------------------

def _mapped(headers: list[str], columns: dict[str, list[str]]) -> dict[str, str | None]:
    from analytics.ingest.mapping import match_columns

    n = len(next(iter(columns.values())))
    return {m.header: m.column for m in match_columns(headers, "opportunities", columns, n)}


BASE = {"ID": [f"D{i}" for i in range(12)], "Étape": ["Qualification"] * 12, "Montant": ["1000"] * 12,
        "Commercial": ["Ann Martin", "Bob Durand"] * 6, "Date de création": ["2026-01-05"] * 12}


@pytest.mark.parametrize("header, values, expected", [
    ("lead_channel", ["web", "referral", "event"] * 4, "source"),  # the header alone
    ("Col 9", ["Web", "Salon", "Recommandation", "Partenaire"] * 3, "source"),  # the values alone
    ("Prospect", ["Acme", "Globex", "Initech", "Hooli"] * 3, "account"),  # role word over company names
    ("Prospect", ["Zola Industrie", "Hexa", "Pivot", "Norem", "Calix", "Ovale", "Tessa", "Bleu Ciel", "Maya",
                  "Quartz", "Ondine", "Rive"], "account"),  # one deal per company: still the account
    ("Prospect", ["Jean Dupont", "Marie Curie", "Paul Valéry"] * 4, None),  # people: not the account
])
def test_channel_and_role_word_columns_are_recognised(header, values, expected):
    headers = [*BASE, header]
    assert _mapped(headers, {**BASE, header: values})[header] == expected


def test_an_import_says_the_latest_day_of_its_data(con):
    # created 10/01 and 01/02, A-W won on 01/03: the latest day up to the snapshot's 30/11 is 01/03;
    # A-O's expected close date (30/04) is a plan, not data
    report = import_files(con, [("nord.csv", csv_bytes([HEADER, *NORTH]))], snapshot_date=date(2026, 11, 30))
    assert report.latest_date == date(2026, 3, 1)


def test_unseen_stage_words_are_placed_by_the_stage_history_order():
    con = store.memory_workspace()
    # no probability: the history says where deals go through each name
    #   H1: Prospection -> Premier appel -> Proposition       ("Premier appel" between lead 1 and proposal 3)
    #   H2: Proposition -> Final talks -> Gagnée                ("Final talks" between proposal 3 and won 5)
    #   H3: Négociation -> Dernière ligne droite -> Gagnée      (after negotiation 4: still negotiation)
    rows = [["Opportunity ID", "Stage", "Entered At"],
            ["H1", "Prospection", "2026-01-05"], ["H1", "Premier appel", "2026-01-12"],
            ["H1", "Proposition", "2026-01-20"],
            ["H2", "Proposition", "2026-02-01"], ["H2", "Final talks", "2026-02-10"], ["H2", "Gagnée", "2026-02-20"],
            ["H3", "Négociation", "2026-03-01"], ["H3", "Dernière ligne droite", "2026-03-05"],
            ["H3", "Gagnée", "2026-03-09"]]
    plans = [plan_with_stage_history(con, csv_bytes(rows))]
    placed = stage_values(con, plans).set_index("crm_stage")["stage"]
    assert (placed["Premier appel"], placed["Final talks"], placed["Dernière ligne droite"]) == (
        "qualification", "negotiation", "negotiation")
    assert sorted(unsure_stages(stage_values(con, plans))) == ["Dernière ligne droite", "Final talks",
                                                               "Premier appel"]  # still to confirm


def plan_with_stage_history(con, data: bytes):
    from analytics.ingest.importer import plan_with_table
    from analytics.ingest.read import read_file

    return plan_with_table(read_file("historique.csv", data)[0], "stage_history")
