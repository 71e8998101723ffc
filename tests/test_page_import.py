"""The Import page as a user drives it (AppTest): the demo company, an upload mapped and imported, a bad file."""


from analytics import store
from tests.files import csv_bytes

EXPORT = csv_bytes([
    ["Opportunity ID", "Opportunity Owner", "Stage", "Amount", "Probability (%)", "Created Date", "Close Date"],
    ["X1", "Zoé <script>alert(1)</script>", "Closed Won", "1200", "100", "2026-01-05", "2026-02-10"],
    ["X2", "=HYPERLINK(\"http://x\")", "Proposal/Price Quote", "800", "50", "2026-02-01", "2026-04-30"],
])


def _counts(at) -> dict:
    """The workspace summary table (last dataframe of the page): table label -> rows."""
    frame = at.dataframe[-1].value
    return dict(zip(frame.iloc[:, 0], frame.iloc[:, 1]))


def test_opens_on_the_demo_company(app):
    app.run()
    app.switch_page("pages/import_page.py").run()  # the app lands on the flash figures when there is data
    assert not app.exception
    counts = _counts(app)
    assert counts["Opportunités"] > 1000 and counts["Activités"] > 1000
    assert app.title[0].value == "Importer un export CRM"


def test_english_switch(app):
    app.run()
    app.switch_page("pages/import_page.py").run()
    app.segmented_control(key="lang_choice").set_value("en").run()
    assert not app.exception
    assert app.title[0].value == "Import a CRM export"


def _to_client_workspace(app):
    app.run()
    app.session_state["new_workspace_name"] = "Client Dupont"
    app.button(key="create_workspace").click().run()
    assert store.display_name(app.session_state["workspace"]) == "Client Dupont"


def test_upload_map_and_import_into_a_client_workspace(app):
    _to_client_workspace(app)
    app.file_uploader[0].upload("export sf.csv", EXPORT, "text/csv").run()
    assert not app.exception
    assert not app.error
    app.button(key="run_import").click().run()
    assert not app.exception
    # straight to the flash figures, the import's counts said in a toast
    assert app.toast and "Opportunités : 2" in app.toast[0].value.replace("\\", "")  # markdown escapes aside
    assert app.title[0].value != "Importer un export CRM"
    app.switch_page("pages/import_page.py").run()
    assert app.success and "Opportunités : 2" in app.success[0].value  # the report stays on Import
    assert _counts(app)["Opportunités"] == 2
    con = store.open_workspace(app.session_state["workspace"])
    assert con.execute("SELECT sum(amount) FROM opportunities_current").fetchone()[0] == 2000
    # The demo workspace is another file: the client's deals are not in it.
    demo = store.open_workspace("demo")
    assert demo.execute("SELECT count(*) FROM opportunities WHERE opportunity_id = 'X1'").fetchone()[0] == 0


def test_the_quality_report_shown_after_the_figures_is_the_workspaces(app):
    """The import goes to the figures without computing the quality report; back on Import it is computed and
    shown: the same rows as quality.quality_report. X2 is open, expected to close on 30/04/2026, before the
    snapshot's date (today): one past close date; X1 and X2 both have an owner and an amount: none missing."""
    from analytics.ingest.quality import quality_report

    _to_client_workspace(app)
    app.file_uploader[0].upload("export sf.csv", EXPORT, "text/csv").run()
    app.button(key="run_import").click().run()
    assert app.session_state["import_report"][1].quality is None  # not computed before the figures
    app.switch_page("pages/import_page.py").run()
    assert not app.exception
    shown = next(d.value for d in app.dataframe if len(d.value) == 12)  # the twelve checks
    by_check = dict(zip(shown.iloc[:, 0], shown.iloc[:, 1]))
    assert by_check["Opportunités ouvertes dont la date de clôture est passée"] == 1
    assert by_check["Opportunités sans commercial"] == 0 and by_check["Opportunités sans montant"] == 0
    expected = quality_report(store.open_workspace(app.session_state["workspace"]))
    assert list(shown.iloc[:, 1]) == list(expected["count"])


def test_bad_file_shows_its_message_and_no_traceback(app):
    _to_client_workspace(app)
    app.file_uploader[0].upload("cassé.csv", b"\x00\xff\x13" * 500, "text/csv").run()
    assert not app.exception
    assert "cassé" in app.error[0].value
    assert "Traceback" not in app.error[0].value
    assert _counts(app)["Opportunités"] == 0


def test_files_and_report_stay_with_their_workspace(app):
    _to_client_workspace(app)
    app.file_uploader[0].upload("export sf.csv", EXPORT, "text/csv").run()
    app.button(key="run_import").click().run()
    app.switch_page("pages/import_page.py").run()
    assert app.success
    # A second client: nothing queued, no report of the first client's import, nothing imported.
    app.session_state["new_workspace_name"] = "Client Martin"
    app.button(key="create_workspace").click().run()
    assert not app.exception
    assert store.display_name(app.session_state["workspace"]) == "Client Martin"
    assert not any("Opportunités :" in s.value for s in app.success)  # the import's report stayed behind
    assert "run_import" not in [b.key for b in app.button]  # no file queued, so no import button
    assert _counts(app)["Opportunités"] == 0


NO_OWNER = csv_bytes([["Deal ID", "Stage", "Amount", "Created Date", "Resp."],
                      ["A1", "Proposal", "1000", "2026-01-05", "AM"]])


def test_a_missing_required_field_is_said_on_upload_in_the_users_words(app):
    _to_client_workspace(app)
    app.file_uploader[0].upload("sans_commercial.csv", NO_OWNER, "text/csv").run()
    assert not app.exception
    # Before Importer, and with the field's French name (never the internal "owner").
    assert any("« Commercial »" in e.value for e in app.error)
    assert not any("owner" in e.value for e in app.error)


def test_a_rep_filter_from_another_workspace_is_reset(app):
    app.run()
    owners = [o for o in app.selectbox(key="flt_owner__fr").options if o != "Tous"]
    app.selectbox(key="flt_owner__fr").set_value(owners[0]).run()
    assert app.session_state["flt_owner"] == owners[0]
    app.session_state["new_workspace_name"] = "Client Vide"
    app.button(key="create_workspace").click().run()
    assert not app.exception
    assert app.session_state["flt_owner"] == ""          # the demo's rep does not filter the client's figures


def test_the_list_holds_the_demo_and_the_workspaces_this_session_created(app):
    _to_client_workspace(app)
    app.session_state["new_workspace_name"] = "Client Martin"
    app.button(key="create_workspace").click().run()
    listed = [store.display_name(w) for w in app.selectbox(key="workspace_choice").options]
    assert listed == ["demo", "Client Dupont", "Client Martin"]


def test_an_unrecognised_sheet_says_why_and_what_to_choose(app):
    _to_client_workspace(app)
    notes = csv_bytes([["Remarque", "Auteur"], ["Appeler lundi", "AM"], ["Relancer", "BP"]])
    app.file_uploader[0].upload("notes.csv", notes, "text/csv").run()
    assert not app.exception
    (warning,) = [w.value for w in app.warning if "non reconnue" in w.value]
    assert "Commercial" in warning and "ignorer" in warning      # what is missing, and what to choose


# --- the Monday routine (issue 17) ---------------------------------------------------------------------

HEAD = ["ID", "Commercial", "Étape", "Montant", "Probabilité", "Date de création", "Date de clôture"]
NORTH = [["A-W", "Ann Martin", "Gagnée", "40000", "100", "2026-01-10", "2026-03-01"],
         ["A-O", "Ann Martin", "Proposition", "10000", "50", "2026-02-01", "2026-04-30"]]
SOUTH = [["B-W", "Bob Durand", "Gagnée", "60000", "100", "2026-01-12", "2026-03-01"],
         ["B-O", "Bob Durand", "Négociation", "50000", "80", "2026-02-02", "2026-04-30"]]


def _dated(day: str, rows) -> bytes:
    """An export whose title line states its date (the snapshot date proposed)."""
    return csv_bytes([[f"Export du {day}"], HEAD, *rows])


def _import(app, name: str, data: bytes) -> None:
    app.switch_page("pages/import_page.py").run()
    app.file_uploader[0].upload(name, data, "text/csv").run()
    assert not app.exception


def test_after_an_import_the_uploader_is_empty_and_the_figures_open_on_the_files_month(app):
    _to_client_workspace(app)
    _import(app, "tous.csv", _dated("02/03/2026", NORTH + SOUTH))
    app.button(key="run_import").click().run()
    # March 2026 holds the latest data (won on 01/03): the period opens there, not on today's month
    assert app.session_state["flt_preset"] == "month"  # the snapshot's own month: "this month" shows it
    assert app.session_state["filter"].start.isoformat() == "2026-03-01"
    app.switch_page("pages/import_page.py").run()
    assert app.file_uploader[0].value in (None, [])  # last week's file is not queued beside this week's
    assert "run_import" not in [b.key for b in app.button]


def test_a_past_export_opens_on_its_own_last_month(app):
    _to_client_workspace(app)
    _import(app, "ancien.csv", csv_bytes([HEAD, *NORTH]))  # no stated date: the snapshot is dated today
    app.button(key="run_import").click().run()
    flt = app.session_state["filter"]
    assert (flt.start.isoformat(), flt.end.isoformat()) == ("2026-03-01", "2026-03-31")


def test_the_same_file_again_is_said_and_waits_for_a_choice(app):
    _to_client_workspace(app)
    _import(app, "s1.csv", _dated("02/03/2026", NORTH + SOUTH))
    app.button(key="run_import").click().run()
    _import(app, "copie.csv", _dated("02/03/2026", NORTH + SOUTH))
    assert any("s1" in w.value and "02/03/2026" in w.value for w in app.warning)
    assert app.button(key="run_import").disabled
    app.checkbox(key="again:1").check().run()
    assert not app.button(key="run_import").disabled


def test_a_partial_upload_is_flagged_and_kept_as_a_part_on_request(app):
    _to_client_workspace(app)
    _import(app, "tous.csv", _dated("02/03/2026", NORTH + SOUTH))
    app.button(key="run_import").click().run()
    _import(app, "nord.csv", _dated("09/03/2026", NORTH))
    assert any("Bob Durand" in d.value.to_csv() for d in app.dataframe)  # the part missing, named
    assert app.button(key="run_import").disabled
    app.radio(key="parts:1").set_value("keep").run()
    app.button(key="run_import").click().run()
    assert not app.exception
    con = store.open_workspace(app.session_state["workspace"])
    # won 40 000 (Ann) + 60 000 (Bob, kept from 02/03) = 100 000
    assert con.execute("SELECT sum(amount) FROM opportunities_current WHERE status = 'won'").fetchone()[0] == 100000


def test_unsure_stages_wait_for_one_click(app):
    _to_client_workspace(app)
    rows = [["G1", "Ann Martin", "Proposition", "1000", "50", "2026-02-01", "2026-04-30"],
            ["G2", "Ann Martin", "Final talks", "2000", "85", "2026-02-01", "2026-04-30"]]
    _import(app, "gen.csv", _dated("02/03/2026", rows))
    assert app.button(key="run_import").disabled
    accept = [b for b in app.button if (b.key or "").startswith("accept_stages:")]
    accept[0].click().run()
    assert not app.button(key="run_import").disabled
    app.button(key="run_import").click().run()
    con = store.open_workspace(app.session_state["workspace"])
    assert con.execute("SELECT stage FROM opportunities WHERE crm_stage = 'Final talks'").fetchone()[0] == "negotiation"



def _stage_table(app):
    return next(t.value for t in app.dataframe if "crm_stage" in t.value.columns)


def test_the_stage_table_shows_an_unread_probability_as_a_dash(app):
    # every stage name is sure: the file's probabilities are not read for the table, shown as a dash, never "None"
    _to_client_workspace(app)
    _import(app, "sure.csv", _dated("02/03/2026", [["S1", "Ann Martin", "Proposition", "1000", "50", "2026-02-01",
                                                    "2026-04-30"]]))
    assert list(_stage_table(app)["probability"]) == ["\u2014"]


def test_the_stage_table_writes_the_files_probability_in_the_users_language(app):
    # an unsure name ("Final talks") makes the table read the file's probabilities: Proposition (50 + 40) / 2 = 45 %
    _to_client_workspace(app)
    rows = [["Q1", "Ann Martin", "Proposition", "1000", "50", "2026-02-01", "2026-04-30"],
            ["Q2", "Ann Martin", "Proposition", "3000", "40", "2026-02-01", "2026-04-30"],
            ["Q3", "Ann Martin", "Final talks", "2000", "85", "2026-02-01", "2026-04-30"]]
    _import(app, "proba.csv", _dated("02/03/2026", rows))
    table = _stage_table(app).set_index("crm_stage")
    assert table.loc["Proposition", "probability"] == "45,0\u00a0%"
    assert table.loc["Final talks", "probability"] == "85,0\u00a0%"
