"""The Pipeline changes page as a user sees it (AppTest through app.py): the demo company, a workspace with a
single upload, with and without stage history, and the figures of the CLI."""
from __future__ import annotations

import json
from decimal import Decimal


from tests.screen import downloads_match, shown
from analytics.views import forecast, movement
from analytics import store
from analytics.filters import Filter
from tests import test_movement

PAGE = "pages/pipeline.py"


def _open(at, workspace=None, lang=None):
    if workspace:
        at.session_state["workspace"] = workspace
        at.session_state["granted_workspaces"] = {workspace}  # as its private link would (ui.state.grant)
    if lang:
        at.session_state["lang"] = lang
    at.run()
    at.switch_page(PAGE).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def tiles(at) -> dict[str, tuple[str, str]]:
    return {m.label: (m.value, m.delta) for m in at.metric}


def _three_uploads(name="three"):
    with store.write_workspace(name) as con:
        for day, rows in test_movement.SNAPSHOTS.items():
            test_movement.insert_snapshot(con, day, rows)
        store.log_import(con, {"test": True})
    return store.open_workspace(name)


def picker(at, name: str):
    """The page's selectbox `name` (pipeline_a, pipeline_b, pipeline_as_of), whatever workspace keys it."""
    return next(s for s in at.selectbox if s.key and s.key.startswith(f"{name}__"))


def _space(text: str) -> str:
    return text.replace("\u202f", " ").replace("\u00a0", " ")


def test_renders_on_the_demo_company(app):
    from data.demo import OPTIMISTIC_REP

    _open(app)
    assert app.title[0].value == "Dynamique du pipeline"
    # A and B default to the last two uploads
    con = store.open_workspace(store.DEMO_WORKSPACE)
    a_id, b_id = movement.resolve_pair(con)
    assert (picker(app, "pipeline_a").value, picker(app, "pipeline_b").value) == (a_id, b_id)
    charts = app.get("vega_lite_chart")
    assert len(charts) == 4  # waterfall, pipeline per upload, coverage, calibration
    waterfall = json.loads(charts[0].proto.spec)
    steps = waterfall["layer"][0]["encoding"]["x"]["sort"]  # from A's open pipeline to B's
    assert steps == ["Pipeline du 16/11/2026", "Nouvelles", "Rouvertes", "Gagnées", "Perdues", "Disparues",
                     "Montants revus", "Pipeline du 23/11/2026"]
    # the four largest movements on top, then the team's reliability tiles
    top = [m.label for m in app.metric][:4]
    assert top == [f"{t}" for t in ("Nouvelles", "Perdues", "Gagnées", "Montants revus")]
    assert downloads_match(app)  # every table as CSV + Excel, every chart as PNG + SVG
    # the over-optimistic rep is the one the calibration chart opens on, and his optimism is the team's highest
    assert picker(app, "pipeline_rep").value == OPTIMISTIC_REP
    result = forecast.reliability(con, Filter())
    by_rep = {r["owner"]: r for r in result["reps"]}
    assert max(by_rep, key=lambda o: by_rep[o]["optimism"]) == OPTIMISTIC_REP


def test_the_lists_add_up_to_the_deals_that_changed(app):
    _open(app)
    con = store.open_workspace(store.DEMO_WORKSPACE)
    a_id, b_id = movement.resolve_pair(con)
    summary = movement.movement_summary(con, Filter(), a_id, b_id)
    tabs = [t.label for t in app.tabs]
    shown = sum(int(label.rsplit("(", 1)[1].rstrip(")")) for label in tabs)
    assert shown == summary["changed_count"]


def test_three_uploads_hand_values_and_pickers(app):
    _three_uploads()
    _open(app, "three")
    # default: S2 -> S3; pick S1 -> S2 and the hand-computed waterfall of tests/test_movement.py shows
    s1 = test_movement.ids(store.open_workspace("three"), test_movement.S1)
    picker(app, "pipeline_a").set_value(s1).run()
    picker(app, "pipeline_b").set_value(s1 + 1).run()
    assert not app.exception
    shown = tiles(app)
    assert _space(shown["Gagnées"][0]) == "-20 000 €" and _space(shown["Nouvelles"][0]) == "+9 000 €"
    assert _space(shown["Montants revus"][0]) == "+8 000 €" and _space(shown["Disparues"][0]) == "-5 000 €"
    captions = " ".join(c.value for c in app.caption)
    assert "1 affaire(s) sans montant" in captions  # D6
    assert "1 affaire(s) ont changé de commercial" in captions  # D7


def test_single_upload_says_it_needs_two(app):
    with store.write_workspace("single") as con:
        test_movement.insert_snapshot(con, test_movement.S1, test_movement.SNAPSHOTS[test_movement.S1])
        store.log_import(con, {"test": True})
    _open(app, "single")
    infos = [i.value for i in app.info]
    assert any(v.startswith("Il faut au moins deux imports du pipeline") for v in infos)
    assert any("stage_history" in v for v in infos)  # reliability needs two uploads or a stage history
    assert not app.get("vega_lite_chart")


def test_single_upload_with_stage_history_shows_reliability(app):
    with store.write_workspace("history") as con:
        test_movement.insert_snapshot(con, test_movement.S1, test_movement.SNAPSHOTS[test_movement.S1])
        con.executemany("INSERT INTO stage_history (opportunity_id, stage, entered_at) VALUES (?, ?, ?)", [
            ("D5", "proposal", "2026-02-01 09:00"), ("D5", "lost", "2026-04-30 09:00")])
        store.log_import(con, {"test": True})
    _open(app, "history")
    assert any(c.value.startswith("Un seul import") for c in app.caption)
    assert any(w.value.startswith("Trop peu d'affaires") for w in app.warning)  # one deal judged
    # stage defaults, not announced probabilities: the score is labelled a measure of the stage mix
    labels = [m.label for m in app.metric]
    assert "Brier (mix d'étapes)" in labels and "Score de Brier" not in labels


def test_english(app):
    _three_uploads()
    _open(app, "three", "en")
    assert app.title[0].value == "Pipeline changes"
    labels = [m.label for m in app.metric]
    assert "Brier score" in labels and "Slip rate" in labels


def test_the_cli_prints_what_the_page_shows(app, capsys):
    from analytics.__main__ import main as cli

    _three_uploads()
    _open(app, "three")
    shown = tiles(app)  # default S2 -> S3
    assert cli(["movement", "--workspace", str(store.workspace_path("three")), "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    # S2 -> S3: D5 won (3 000 at S2), D8 was lost in S2 (not open): won 3 000 is the largest movement
    assert printed["won_amount"] == 3000 and _space(shown["Gagnées"][0]) == "-3 000 €"
    summary = movement.movement_summary(store.open_workspace("three"), Filter(), *movement.resolve_pair(
        store.open_workspace("three")))
    assert printed["open_amount_after"] == summary["open_amount_after"] == Decimal("42000")


def test_two_uploads_of_a_file_without_ids(app):
    from analytics.ingest.importer import import_files
    from tests import test_movement_no_ids as no_ids
    from tests.files import csv_bytes

    con = store.open_workspace("noids")
    import_files(con, [("semaine_45.csv", csv_bytes(no_ids.WEEK1, ";"))], snapshot_date=no_ids.date(2026, 11, 9))
    import_files(con, [("semaine_46.csv", csv_bytes(no_ids.WEEK2, ";"))], snapshot_date=no_ids.date(2026, 11, 16))
    _open(app, "noids")
    shown = tiles(app)
    # matched by the derived key: Gamma won, Epsilon new, Delta dropped (tests/test_movement_no_ids.py)
    assert _space(shown["Gagnées"][0]) == "-20 000 €"
    assert _space(shown["Nouvelles"][0]) == "+4 000 €" and _space(shown["Disparues"][0]) == "-3 000 €"
    assert [t.label for t in app.tabs][:3] == ["Gagnée (1)", "Disparue de l'export (1)", "Nouvelle (1)"]


def test_switching_workspace_resets_the_upload_pickers(app):
    _three_uploads()
    _open(app)  # the demo: six uploads, A is the fifth
    picker(app, "pipeline_a").set_value(1).run()  # the demo's first upload
    app.session_state["workspace"] = "three"
    app.session_state["granted_workspaces"] = {"three"}  # as its private link would (ui.state.grant)
    app.run()
    assert not app.exception
    # the other workspace opens on its own last two uploads
    a_id, b_id = movement.resolve_pair(store.open_workspace("three"))
    assert (picker(app, "pipeline_a").value, picker(app, "pipeline_b").value) == (a_id, b_id)
    assert app.title[0].value == "Dynamique du pipeline"


def test_the_forecast_cli_prints_what_the_page_shows(app, capsys):
    from analytics.__main__ import main as cli

    _three_uploads()
    _open(app, "three")
    shown = tiles(app)
    assert cli(["forecast", "--workspace", str(store.workspace_path("three")), "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    # open on 04/05 and closed by 18/05: D3 only (announced 20 000 x 0.9, won 20 000): too few for a score
    assert printed["team"]["announced_amount"] == 18000 and _space(shown["Annoncé (pondéré)"][0]) == "18 000 €"
    assert printed["team"]["won_amount"] == 20000 and _space(shown["Gagné"][0]) == "20 000 €"
    assert printed["team"]["brier"] is None and shown["Score de Brier"][0] == "—"


def test_the_waterfall_shows_every_step_and_says_its_axis_is_cut(app):
    # the demo's pipeline is about 15 million and a week moves about a million: the axis starts near the lowest
    # running total, and says so; none of the 8 step labels is dropped by Vega's overlap rule (English showed 4)
    _open(app, lang="en")
    spec = json.loads(app.get("vega_lite_chart")[0].proto.spec)
    bars = spec["layer"][0]["encoding"]
    assert bars["x"]["axis"]["labelOverlap"] is False and len(bars["x"]["sort"]) == 8
    assert bars["y"]["axis"]["title"].startswith("Amount (axis cut: starts at €")
    assert spec["layer"][0]["encoding"]["y"]["scale"]["domain"][0] > 0


def test_only_the_open_tab_draws_its_list_and_another_tab_draws_its_own(app):
    """The lists are drawn when their tab is open (a rerun on a switch): the first tab's list at first, another's
    once it is picked, with that reason's deals (the CLI's list)."""
    _open(app)
    tabs = list(app.tabs)
    assert len(tabs) >= 2
    assert len(tabs[0].dataframe) == 1 and all(not t.dataframe for t in tabs[1:])
    second = tabs[1].label
    app.session_state["pipeline_lists_tab"] = second
    app.run()
    tabs = list(app.tabs)
    assert not tabs[0].dataframe and len(tabs[1].dataframe) == 1
    con = store.open_workspace(store.DEMO_WORKSPACE)
    a_id, b_id = movement.resolve_pair(con)
    summary = movement.movement_summary(con, Filter(), a_id, b_id)
    reason = [r for r in movement.REASONS if summary[f"reason_{r}_count"]][1]
    expected = movement.movement_deals(con, Filter(), a_id, b_id, True, reason)
    assert len(tabs[1].dataframe[0].value) == min(len(expected), 200)
