"""The Flash figures page as a user sees it (AppTest through app.py): the demo company, a workspace with only
an opportunities table, and tiles that follow the sidebar filters."""
from __future__ import annotations

import json
from datetime import date

import pytest

from tests.screen import shown

from analytics.measures import kpis
from analytics import store
from analytics.filters import Filter
from tests.test_kpis import OPPORTUNITIES, insert_opportunities

FLASH = "pages/flash.py"


def tiles(at) -> dict[str, tuple[str, str]]:
    """Tile label -> (value, delta) as displayed."""
    return {m.label: (m.value, m.delta) for m in at.metric}


def captions(at) -> list[str]:
    return [c.value for c in at.caption]


def _opportunities_only_workspace(name="solo"):
    """The 11 deals of tests/test_kpis.py (snapshot of 20 May 2026), no other table."""
    with store.write_workspace(name) as con:
        insert_opportunities(con, OPPORTUNITIES)
        store.log_import(con, {"test": True})
    return store.open_workspace(name)


def _open_flash(at, workspace=None):
    if workspace:
        at.session_state["workspace"] = workspace
        at.session_state["granted_workspaces"] = {workspace}  # as its private link would (ui.state.grant)
    at.run()
    at.switch_page(FLASH).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_renders_on_the_demo_company(app):
    from data.demo import DEMO_TODAY

    _open_flash(app)
    shown = tiles(app)
    assert len(shown) == 16 + 3  # the tiles, and the projection's three (projection, quota, the reps' call)
    # the period is the demo's current month and the tiles are the analytics' own figures
    flt = app.session_state["filter"]
    assert (flt.start, flt.end) == (DEMO_TODAY.replace(day=1), date(DEMO_TODAY.year, DEMO_TODAY.month, 30))
    expected = kpis.flash_kpis(store.open_workspace(store.DEMO_WORKSPACE), flt)
    assert shown["Affaires gagnées"][0] == str(expected["won_count"])
    assert shown["Montant gagné"][0].replace("\u202f", "").replace("\u00a0€", "") == f"{expected['won_amount']:.0f}"
    assert not [c for c in captions(app) if c.startswith("Ajoutez")]  # the demo gives every table
    for label in ("Taux de transformation", "Panier moyen", "Temps passé", "Coût du temps passé", "Atteinte du quota"):
        assert shown[label][0] != "—", label
    assert shown["Montant gagné"][1]  # a change against the comparison period is shown
    charts = app.get("vega_lite_chart")
    assert len(charts) == 1
    spec = json.loads(charts[0].proto.spec)
    # the amount axis groups thousands as French does (Vega's number locale), not with English commas
    assert spec["config"]["locale"]["number"]["thousands"] == "\u202f"
    assert spec["config"]["locale"]["number"]["decimal"] == ","
    assert len(app.dataframe) >= 2  # per-rep table + at least one alert listing
    keys = [b.key for b in app.get("download_button")]
    # every table downloadable as CSV and xlsx; the chart as PNG and SVG; the pack and the deck
    assert len([k for k in keys if k.endswith("_download")]) == len(app.dataframe)
    assert len([k for k in keys if k.endswith("_xlsx")]) == len(app.dataframe)
    assert {"trend_png", "trend_svg", "pack_team", "pack_deck"} <= set(keys)
    assert len(app.main.expander) == 5  # the projection's per-rep call, the four alerts


def test_projection_block_shows_the_projection_and_its_backtest(app):
    from analytics.views import projection
    from ui import format as fmt

    _open_flash(app)
    con = store.open_workspace(store.DEMO_WORKSPACE)
    expected = projection.summary(con, app.session_state["filter"], "month")
    shown = tiles(app)
    # the same function as the CLI and the pack, written by ui.format
    assert shown["Projection"][0] == fmt.money(expected["central"], "fr")
    assert shown["Appel des commerciaux"][0] == fmt.money(expected["naive"], "fr")
    assert tr_range(expected) in captions(app)
    # the backtest runs when asked (it re-projects past uploads): then the same figures as the CLI's
    assert not any(c.startswith("Test sur le passé") for c in captions(app))
    app.toggle(key="projection_backtest").set_value(True).run()
    assert any(c.startswith("Test sur le passé : 2 projection(s)") for c in captions(app))


def test_the_per_rep_call_is_read_when_its_expander_opens(app):
    """Closed, the expander holds nothing (each rep's figures and forecast record are not read on a cold render);
    opened, it shows the projection's per-rep table, the CLI's figures."""
    from analytics.views import projection

    _open_flash(app)
    per_rep = [e for e in app.main.expander if e.label.startswith("Par commercial")][0]
    assert not per_rep.dataframe and not per_rep.caption
    app.session_state["projection_reps_open"] = True
    app.run()
    per_rep = [e for e in app.main.expander if e.label.startswith("Par commercial")][0]
    con = store.open_workspace(store.DEMO_WORKSPACE)
    expected = projection.project(con, app.session_state["filter"], "month")["reps"]
    assert len(expected) > 1
    shown = per_rep.dataframe[0].value
    assert len(shown) == len(expected)


def tr_range(result) -> str:
    from analytics.i18n import t
    from ui import format as fmt

    return t("projection.range", "fr", low=fmt.money(result["low"], "fr"), high=fmt.money(result["high"], "fr"))


def test_renders_with_only_an_opportunities_table(app):
    _opportunities_only_workspace()
    _open_flash(app, "solo")
    shown = tiles(app)
    # "today" is the snapshot's date (20 May 2026): May against 1-20 April (hand values: tests/test_kpis.py)
    assert shown["Affaires gagnées"] == ("3", "+2")  # O1 O2 O4 against O5 (closed 20 April)
    assert shown["Montant gagné"] == ("50\u202f000\u00a0€", "+400\u00a0%")  # 50 000 against 10 000
    assert shown["Taux de transformation"] == ("75,0\u00a0%", "-25,0\u00a0pts")  # 3/4 against 1/1 (O6 lost on 25 April)
    assert shown["Pipeline ouvert"] == ("83\u202f000\u00a0€", "")
    # tiles that need a missing sheet show a dash and say which sheet to add, instead of 0
    for label in ("Temps passé", "Coût du temps passé", "Atteinte du quota",
                  "Couverture (période)"):
        assert shown[label][0] == "—", label
    notes = captions(app)
    assert "Ajoutez une feuille « Activités » pour voir ce chiffre." in notes
    assert "Ajoutez une feuille « Objectifs » pour voir ce chiffre." in notes
    # the alerts that need a sheet say so; the others list the deals behind them
    labels = [e.label for e in app.expander]
    assert "Affaires ouvertes dont la date de clôture est passée (2)" in labels  # O11, O9
    # the stuck alert: one upload and no stage history, so no stay can be measured (weekly uploads would do)
    assert any(e.value.startswith("Ajoutez la feuille « Historique des étapes », ou importez un export chaque semaine")
               for e in app.info), [e.value for e in app.info]


def test_tiles_follow_a_filter_change(app):
    _opportunities_only_workspace()
    _open_flash(app, "solo")
    app.selectbox(key="flt_owner__fr").set_value("bob").run()
    assert not app.exception
    shown = tiles(app)
    assert shown["Affaires gagnées"][0] == "1"  # O4
    assert shown["Montant gagné"][0] == "0\u00a0€"  # an amount of 0
    assert shown["Taux de transformation"][0] == "50,0\u00a0%"  # O4 won, O3 lost
    assert shown["Panier moyen"][0] == "0\u00a0€"
    assert shown["Pipeline ouvert"][0] == "28\u202f000\u00a0€"  # O8 + O11

    app.selectbox(key="flt_owner__fr").set_value("chloe").run()
    shown = tiles(app)
    assert shown["Taux de transformation"] == ("—", "")  # nothing closed in May: a dash, not 0
    assert shown["Panier moyen"][0] == "—"

    app.selectbox(key="flt_owner__fr").set_value("").run()  # "Tous"
    app.selectbox(key="flt_preset__fr").set_value("quarter").run()
    shown = tiles(app)
    assert app.session_state["filter"] == Filter(date(2026, 4, 1), date(2026, 6, 30))
    assert shown["Affaires gagnées"][0] == "4"  # O1 O2 O4 O5
    assert shown["Taux de transformation"][0] == "66,7\u00a0%"  # 4 / (4 + O3 + O6)

    app.selectbox(key="flt_segment__fr").set_value("Bronze").run()
    shown = tiles(app)
    assert shown["Affaires gagnées"][0] == "1"  # O5 only


def test_a_filter_that_matches_nothing_shows_dashes_and_no_error(app):
    _opportunities_only_workspace()
    _open_flash(app, "solo")
    app.selectbox(key="flt_preset__fr").set_value("custom").run()
    app.date_input(key="flt_custom").set_value((date(2025, 1, 1), date(2025, 1, 31))).run()
    assert not app.exception
    shown = tiles(app)
    assert shown["Affaires gagnées"][0] == "0"
    assert shown["Taux de transformation"][0] == "—"
    assert shown["Cycle de vente moyen"][0] == "—"
    assert any(i.value == "Aucune affaire gagnée et aucun quota sur la période." for i in app.info)


def test_english(app):
    _opportunities_only_workspace()
    app.session_state["lang"] = "en"
    _open_flash(app, "solo")
    shown = tiles(app)
    assert shown["Amount won"][0] == "€50,000"
    assert shown["Win rate"][0] == "75.0%"
    assert app.title[0].value == "Flash figures"


def test_filters_survive_the_language_switch(app):
    _opportunities_only_workspace()
    _open_flash(app, "solo")
    app.selectbox(key="flt_owner__fr").set_value("bob").run()
    app.selectbox(key="flt_preset__fr").set_value("quarter").run()
    app.segmented_control(key="lang_choice").set_value("en").run()
    assert not app.exception
    assert app.selectbox(key="flt_owner__en").value == "bob"
    assert app.selectbox(key="flt_preset__en").value == "quarter"
    assert app.selectbox(key="flt_preset__en").options[2] == "This quarter"  # drawn in English
    assert tiles(app)["Amount won"][0] == "€0"  # bob's April-June: O4 at 0


def test_an_empty_workspace_says_what_to_do(app):
    store.open_workspace("empty")
    _open_flash(app, "empty")
    assert not app.metric
    assert app.info[0].value.startswith("Aucune opportunité")


def test_results_are_recomputed_after_an_import(app):
    _opportunities_only_workspace()
    _open_flash(app, "solo")
    assert tiles(app)["Affaires gagnées"][0] == "3"
    # a new upload of the same day with one more deal won in May
    row = ("O12", "bob", "Argent", "sales", "Lyon", "won", "won", 1000, 1.0, "2026-05-01", "2026-05-19")
    with store.write_workspace("solo") as con:
        insert_opportunities(con, OPPORTUNITIES + [row])
        store.log_import(con, {"test": 2})
    app.run()
    assert tiles(app)["Affaires gagnées"][0] == "4"


def test_the_cli_prints_what_the_page_shows(app, capsys):
    """`python -m analytics kpis --json` and the page call the same kpis.flash_kpis: same figures."""
    from analytics.__main__ import main as cli

    _opportunities_only_workspace()
    _open_flash(app, "solo")
    app.selectbox(key="flt_owner__fr").set_value("bob").run()
    shown = tiles(app)
    assert cli(["kpis", "--workspace", str(store.workspace_path("solo")), "--start", "2026-05-01",
                "--end", "2026-05-31", "--owner", "bob", "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed == json.loads(json.dumps(kpis.flash_kpis(store.open_workspace("solo"), app.session_state["filter"])))
    assert (printed["won_count"], printed["won_amount"], printed["win_rate"]) == (1, 0, 0.5)
    assert (shown["Affaires gagnées"][0], shown["Montant gagné"][0], shown["Taux de transformation"][0]) == (
        "1", "0\u00a0€", "50,0\u00a0%")
    assert printed["open_amount"] == 28000 and shown["Pipeline ouvert"][0] == "28\u202f000\u00a0€"


# --- issue 7: the shared workspace (tests/fixtures/workspace.py; "today" = 20 May 2026) ------------------------

def _shared(name="shared"):
    from tests.fixtures.workspace import build

    with store.write_workspace(name) as con:
        build(con)
    return store.open_workspace(name)


def test_attainment_change_compares_like_with_like(app):
    """May: 62 000 won so far / 180 000 (whole May quota) = 34,4 %. April read the same way: won by 20 April
    (D05, 10 000) / 120 000 (whole April quota) = 8,3 %: +26,1 pts. (The old comparison prorated April's quota
    to 20 days, 80 000: 12,5 %, +21,9 pts.)"""
    _shared()
    _open_flash(app, "shared")
    assert tiles(app)["Atteinte du quota"] == ("34,4\u00a0%", "+26,1\u00a0pts")


def test_period_caption_says_to_date_and_the_same_stretch(app):
    _shared()
    _open_flash(app, "shared")
    assert ("Période : du 01/05/2026 au 31/05/2026. Lue à date du 20/05/2026 (jour 20 sur 31). Comparaison au même"
            " jour : du 01/04/2026 au 20/04/2026, rapportée au quota de toute la période (du 01/04/2026 au 30/04/2026).") in captions(app)


def test_a_cost_partly_unknown_is_a_dash_and_a_note(app):
    _shared()
    _open_flash(app, "shared")
    assert tiles(app)["Coût du temps passé"][0] == "—"  # chloe's 0,75 h have no hourly cost (it showed 210 €)
    assert ("Coût inconnu : 0,75 h sur 5,25 h sont celles de commerciaux sans coût horaire (feuille « Commerciaux »)."
            in captions(app))
    assert tiles(app)["Temps passé"][0] == "5,3\u00a0h"  # 5,25 h to one decimal


def test_quota_under_a_source_filter_is_a_dash_and_a_note(app):
    _shared()
    _open_flash(app, "shared")
    app.selectbox(key="flt_source__fr").set_value("marketing").run()
    shown = tiles(app)
    assert shown["Atteinte du quota"][0] == "—" and shown["Quota de la période"][0] == "—"
    assert "Les objectifs n'ont pas de source : pas de quota sous un filtre de source." in captions(app)


def _rep_table(app):
    """The per-rep table (the projection's per-rep call is drawn above it)."""
    return shown(next(d for d in app.dataframe if "won_count" in d.value.columns))


def _rep_rows(app) -> dict:
    frame = _rep_table(app)
    return {row[0]: list(row[1:]) for row in frame.itertuples(index=False)}


@pytest.mark.parametrize("lang, alice, bob", [
    # alice: 2 won for 50 000, win rate 100 %, attainment 50 000 / 100 000; bob: 12 000 of 50 000 = 24 %
    ("fr", ["2", "50\u202f000\u00a0€", "100,0\u00a0%", "50,0\u00a0%"], ["1", "12\u202f000\u00a0€", "50,0\u00a0%", "24,0\u00a0%"]),
    ("en", ["2", "€50,000", "100.0%", "50.0%"], ["1", "€12,000", "50.0%", "24.0%"]),
])
def test_the_rep_table_is_written_in_the_interface_language(app, lang, alice, bob):
    _shared()
    app.session_state["lang"] = lang
    _open_flash(app, "shared")
    frame = _rep_table(app)
    rows = {r.owner: [r.won_count, r.won_amount, r.win_rate, r.quota_attainment] for r in frame.itertuples()}
    assert (rows["alice"], rows["bob"]) == (alice, bob)


def test_the_rep_table_keeps_numbers_so_it_sorts_as_numbers(app):
    # text cells would sort "12 000 €" before "50 000 €" before "9 000 €"; the cells underneath stay numbers
    _shared()
    _open_flash(app, "shared")
    values = next(d.value for d in app.dataframe if "won_count" in d.value.columns)
    rows = {r.owner: (r.won_amount, r.win_rate) for r in values.itertuples()}
    assert rows["alice"] == (50000.0, 1.0) and rows["bob"] == (12000.0, 0.5)


def test_english_charts_group_thousands_the_english_way(app):
    _shared()
    app.session_state["lang"] = "en"
    _open_flash(app, "shared")
    spec = json.loads(app.get("vega_lite_chart")[0].proto.spec)
    assert spec["config"]["locale"]["number"]["thousands"] == ","
    assert spec["config"]["locale"]["number"]["decimal"] == "."


def test_on_the_first_of_the_month_one_day_compares_with_one_day(app):
    _shared()
    with store.write_workspace("shared") as con:
        con.execute("INSERT INTO snapshots (snapshot_id, snapshot_date, source, row_count) VALUES (9, '2026-06-01', 'x', 13)")
        con.execute("INSERT INTO opportunities SELECT * REPLACE (9 AS snapshot_id) FROM opportunities WHERE snapshot_id = 3")
        store.log_import(con, {"test": "1 June"})
    _open_flash(app, "shared")
    assert ("Période : du 01/06/2026 au 30/06/2026. Lue à date du 01/06/2026 (jour 1 sur 30). Comparaison au même"
            " jour : le 01/05/2026, rapportée au quota de toute la période (du 01/05/2026 au 31/05/2026).") in captions(app)


def test_a_comparison_without_data_says_so_and_shows_no_change(app):
    _shared()
    _open_flash(app, "shared")
    app.selectbox(key="flt_compare__fr").set_value("last_year").run()
    assert "Aucune donnée du 01/05/2025 au 20/05/2025 : pas d'écart affiché." in " ".join(captions(app))
    assert all(delta == "" for _, delta in tiles(app).values())


def test_all_data_and_a_long_period_have_no_deltas(app):
    _shared()
    _open_flash(app, "shared")
    app.selectbox(key="flt_preset__fr").set_value("all").run()
    assert app.session_state["filter"] == Filter()
    assert tiles(app)["Affaires gagnées"] == ("4", "")  # D01 D02 D04 D05: every won deal of S3, no change shown
    assert "Données du 10/01/2026 au 01/07/2026." in captions(app)


def test_a_custom_range_being_picked_keeps_the_last_complete_one(app):
    _shared()
    _open_flash(app, "shared")
    app.selectbox(key="flt_preset__fr").set_value("custom").run()
    app.date_input(key="flt_custom").set_value((date(2026, 4, 1), date(2026, 4, 30))).run()
    assert app.session_state["filter"] == Filter(date(2026, 4, 1), date(2026, 4, 30))
    app.date_input(key="flt_custom").set_value((date(2026, 3, 1),)).run()  # only the first day picked so far
    assert not app.exception
    assert app.session_state["filter"] == Filter(date(2026, 4, 1), date(2026, 4, 30))
    assert any(c.startswith("Choisissez la date de fin") for c in captions(app))


def test_a_custom_range_accepts_any_date_of_the_data(app):
    _shared()
    with store.write_workspace("shared") as con:
        con.execute("UPDATE opportunities SET created_date = DATE '2009-03-02' WHERE opportunity_id = 'D11'")
        store.log_import(con, {"test": "old deal"})
    _open_flash(app, "shared")
    app.selectbox(key="flt_preset__fr").set_value("custom").run()
    picker = app.date_input(key="flt_custom")
    assert picker.min <= date(2009, 3, 2)


def test_the_fiscal_year_start_moves_the_quarter(app):
    _shared()
    _open_flash(app, "shared")
    app.selectbox(key="fiscal_start_widget__fr").set_value(2).run()  # February
    app.selectbox(key="flt_preset__fr").set_value("quarter").run()
    # 20 May in a year starting in February: the quarter is May-July
    assert app.session_state["filter"] == Filter(date(2026, 5, 1), date(2026, 7, 31))
    from analytics import settings
    assert settings.fiscal_start(store.open_workspace("shared")) == 2  # stored in the workspace


# --- landing --------------------------------------------------------------------------------------------------

def test_the_app_opens_on_the_flash_figures_when_there_is_data(app):
    app.run()  # the demo company
    assert not app.exception
    assert app.title[0].value == "Chiffres flash"


def test_the_app_opens_on_import_when_the_workspace_is_empty(app):
    store.open_workspace("empty")
    app.session_state["workspace"] = "empty"
    app.session_state["granted_workspaces"] = {"empty"}  # as its private link would (ui.state.grant)
    app.run()
    assert not app.exception
    assert app.title[0].value == "Importer un export CRM"


def test_a_new_empty_workspace_opens_on_import(app):
    app.run()
    app.session_state["new_workspace_name"] = "Client Neuf"
    app.button(key="create_workspace").click().run()
    assert store.display_name(app.session_state["workspace"]) == "Client Neuf"
    assert app.title[0].value == "Importer un export CRM"


def test_the_cli_comparison_is_the_page_s_delta(app, capsys):
    """`kpis --compare previous --json` prints the comparison figures the page's deltas are computed from."""
    from analytics.__main__ import main as cli
    from ui import format as fmt

    _shared()
    _open_flash(app, "shared")
    shown = tiles(app)
    assert cli(["kpis", "--workspace", str(store.workspace_path("shared")), "--start", "2026-05-01",
                "--end", "2026-05-31", "--compare", "previous", "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    cmp = printed["comparison"]
    assert (cmp["start"], cmp["end"]) == ("2026-04-01", "2026-04-20")
    assert shown["Atteinte du quota"][1] == fmt.points(printed["quota_attainment"] - cmp["quota_attainment"], "fr")
    assert shown["Montant gagné"][1] == fmt.percent((printed["won_amount"] - cmp["won_amount"]) / cmp["won_amount"],
                                                    "fr", 0, signed=True)


def test_the_stuck_alert_says_its_rule_and_the_deals_it_cannot_judge(app):
    _shared()
    with store.write_workspace("shared") as con:
        con.execute("UPDATE opportunities SET stage = 'negotiation' WHERE opportunity_id = 'D08' AND snapshot_id = 3")
        store.log_import(con, {"test": "D08 moved on without history"})
    _open_flash(app, "shared")
    notes = captions(app)
    assert any(c.startswith("Séjours mesurés par étape de l'entonnoir (sous-étapes du CRM fusionnées)") and "7 jours" in c
               for c in notes)
    assert ("1 affaire(s) ouverte(s) non jugée(s) : leur historique des étapes ne montre pas leur étape actuelle."
            in notes)
    stuck = [e for e in app.main.expander if e.label.startswith("Affaires restées")][0]
    assert stuck.label.endswith("(1)")  # D11: 120 days in proposal


def test_the_stuck_alert_reads_weekly_uploads_without_a_stage_history(app):
    """Five weekly uploads, no stage history (issue 16: the alert asked for a stage history while the funnel measures
    stays from uploads). L1..L4: lead on 6 April, qualification from 13 April: four finished lead stays of 7 days,
    so the lead threshold is max(p75 = 7, floor 7) = 7 days. S: lead in every upload, since 6 April: 28 days on
    4 May > 7: stuck. (It showed "—" and asked for the stage history sheet.)"""
    from tests.funnel_data import add_snapshot

    weeks = ["2026-04-06", "2026-04-13", "2026-04-20", "2026-04-27", "2026-05-04"]
    with store.write_workspace("weekly") as con:
        for i, day in enumerate(weeks):
            stage = "lead" if i == 0 else "qualification"
            add_snapshot(con, day, [(f"L{k}", "ann", stage, "open", 1000, "2026-04-01", None) for k in range(1, 5)]
                         + [("S", "ann", "lead", "open", 1000, "2026-04-01", None)])
        store.log_import(con, {"test": "weekly uploads"})
    _open_flash(app, "weekly")
    stuck = [e for e in app.main.expander if e.label.startswith("Affaires restées")][0]
    assert stuck.label.endswith("(1)")
