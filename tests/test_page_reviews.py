"""The review pages as a user sees them (AppTest through app.py): the demo company's stories show, a workspace
with only an opportunities table renders with messages instead of charts, and the CLI prints what the pages
show."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.screen import downloads_match, shown

from analytics.views import reviews
from analytics import store
from analytics.__main__ import main as cli
from data.demo import OUTSIDE_TARGET_REP, POOR_MONTH_REP
from tests.test_reviews import MAY, make_workspace
from ui import format as fmt

INDIVIDUAL = "pages/review_individual.py"
COLLECTIVE = "pages/review_collective.py"


def _open(at, page, workspace=None, **state):
    if workspace:
        at.session_state["workspace"] = workspace
        at.session_state["granted_workspaces"] = {workspace}  # as its private link would (ui.state.grant)
    for key, value in state.items():
        at.session_state[key] = value
    at.run()
    at.switch_page(page).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def tiles(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def summary_text(at) -> str:
    return "\n".join(m.value for m in at.markdown if m.value.startswith("1. "))


def demo_con():
    return store.open_workspace(store.DEMO_WORKSPACE)


def test_individual_review_shows_the_coverage_of_the_rep_with_a_poor_month(app):
    # the rep picked in the sidebar's filter is the rep of the review
    _open(app, INDIVIDUAL, flt_owner=POOR_MONTH_REP)
    assert app.selectbox(key="review_owner").value == POOR_MONTH_REP
    flt = app.session_state["filter"]
    head = reviews.headline(demo_con(), flt, POOR_MONTH_REP)
    assert head["won_amount"] == 0 and head["quota"] > 0  # nothing won this month against her quota
    assert head["coverage_raw"] > 1  # ...but more than her remaining quota in deals due this month
    shown = tiles(app)
    assert shown["Atteinte du quota"] == fmt.percent(0, "fr", 0)
    assert shown["Couverture (période)"] == fmt.ratio(head["coverage_raw"], "fr", 1)
    assert shown["Couv. pondérée (période)"] == fmt.ratio(head["coverage_weighted"], "fr", 1)
    assert "Couverture du reste à faire de" in summary_text(app)  # the first thing to discuss
    assert len(app.get("vega_lite_chart")) == 7  # attainment, three gaps, mix, funnel, activity
    assert downloads_match(app)  # every table as CSV + Excel, every chart as PNG + SVG
    assert "Score de Brier" in shown  # forecast reliability beside the team's


def test_individual_review_shows_the_out_of_target_mix(app):
    _open(app, INDIVIDUAL)
    app.selectbox(key="review_owner").set_value(OUTSIDE_TARGET_REP).run()
    ctx = reviews.context(demo_con(), app.session_state["filter"], OUTSIDE_TARGET_REP)
    assert ctx["team_in_target_share"] - ctx["in_target_share"] >= 0.10
    text = summary_text(app)
    assert f"{fmt.percent(ctx['in_target_share'], 'fr', 0)} de ses affaires clôturées" in text
    assert "Affaires clôturées dans la cible" in " ".join(c.value for c in app.caption)
    app.segmented_control(key="review_mix_axis").set_value("in_target").run()
    assert not app.exception
    # (the table keeps its column keys; column_config shows them as "Part du commercial", "Part de l'équipe")
    mix = next(df.value for df in app.dataframe if "rep_share" in list(df.value.columns))
    outside = mix[mix["value"] == "Hors cible"].iloc[0]
    assert outside["rep_share"] > outside["team_share"]  # he closes more deals outside the target


def test_collective_review_on_the_demo(app):
    _open(app, COLLECTIVE)
    team = reviews.collective(demo_con(), app.session_state["filter"])
    shown = tiles(app)
    assert shown["Gagné par l'équipe"] == fmt.money(team["headline"]["won_amount"], "fr")
    assert shown["Quota de l'équipe"] == fmt.money(team["headline"]["quota"], "fr")
    charts = app.get("vega_lite_chart")
    assert len(charts) == 3 + len(reviews.SPREAD_KPIS)  # trend, losses, one strip per KPI, movement
    strip = json.dumps(json.loads(charts[2].proto.spec))
    # a distribution drawn from its summary (whisker min-max, box q1-q3, median tick), names on hover; not Vega's
    # boxplot, whose tooltips read "Max of value" and "row"
    assert '"x2": {"field": "q3"' in strip and '"owner"' in strip and "boxplot" not in strip
    assert downloads_match(app)
    wins = app.dataframe[0].value
    assert list(wins["amount"]) == sorted(wins["amount"], reverse=True)  # largest first


def test_collective_review_explains_the_weighted_coverage_with_the_weighted_amount(app):
    # issue 16: the weighted tile (6,9x) was explained with the unweighted 1 220 800 EUR for 67 100 EUR
    _open(app, COLLECTIVE)
    head = reviews.collective(demo_con(), app.session_state["filter"])["headline"]
    captions = [c.value for c in app.caption]
    weighted, raw = fmt.money(head["weighted_in_period"], "fr"), fmt.money(head["open_amount_in_period"], "fr")
    assert weighted != raw
    assert any(weighted in c and fmt.money(head["remaining_quota"], "fr") in c for c in captions)
    assert not any(raw in c for c in captions)


def test_collective_review_in_english(app):
    _open(app, COLLECTIVE, lang="en")
    assert app.title[0].value == "Collective review"
    assert "Team quota" in tiles(app)


@pytest.mark.parametrize("page", [INDIVIDUAL, COLLECTIVE])
def test_pages_render_with_only_an_opportunities_table(app, page):
    src = make_workspace(full=False)
    with store.write_workspace("solo") as con:
        for table in ("snapshots", "opportunities"):
            con.register("src_frame", src.execute(f"SELECT * FROM {table}").fetchdf())
            con.execute(f"INSERT INTO {table} SELECT * FROM src_frame")
            con.unregister("src_frame")
        store.log_import(con, {"test": True})
    _open(app, page, "solo")
    infos = " ".join(i.value for i in app.info)
    if page == INDIVIDUAL:
        assert "Objectifs" in " ".join(c.value for c in app.caption)  # no quota: say which sheet to add
        assert "Activités" in infos
        assert tiles(app)["Atteinte du quota"] == "—"
    else:
        assert tiles(app)["Quota de l'équipe"] == "—"
        assert len(app.dataframe) >= 3  # wins, losses by reason, this week's movement (three uploads)


def test_the_cli_prints_what_the_individual_page_shows(app, capsys):
    _open(app, INDIVIDUAL, flt_owner=POOR_MONTH_REP)
    flt = app.session_state["filter"]
    code = cli(["review", "--workspace", str(store.workspace_path(store.DEMO_WORKSPACE)), "--owner", POOR_MONTH_REP,
                "--start", flt.start.isoformat(), "--end", flt.end.isoformat(), "--json"])
    assert code == 0
    printed = json.loads(capsys.readouterr().out)
    shown = tiles(app)
    assert shown["Couverture (période)"] == fmt.ratio(printed["headline"]["coverage_raw"], "fr", 1)
    texts = [item["text"] for item in printed["summary"]]
    assert summary_text(app) == "\n".join(f"{i}. {t}" for i, t in enumerate(texts, 1))


def test_the_cli_prints_what_the_collective_page_shows(app, capsys):
    _open(app, COLLECTIVE)
    code = cli(["review", "--workspace", str(store.workspace_path(store.DEMO_WORKSPACE)), "--team", "--json"])
    assert code == 0  # no dates: the current month of the latest upload, as the sidebar opens
    printed = json.loads(capsys.readouterr().out)
    assert tiles(app)["Gagné par l'équipe"] == fmt.money(printed["headline"]["won_amount"], "fr")
    shown_ids = list(app.dataframe[0].value["opportunity_id"])  # the first rows on screen, all in the CSV
    assert shown_ids == [w["opportunity_id"] for w in printed["wins"]][:len(shown_ids)]
    assert f"{len(printed['wins'])} affaire(s) gagnée(s) dans la période." in [c.value for c in app.caption]


def fixture_file(tmp_path) -> Path:
    """The hand-checked workspace of tests/test_reviews.py written to a workspace file."""
    path = tmp_path / "ws.duckdb"
    con = make_workspace()
    con.execute(f"ATTACH '{path}' AS f")
    con.execute("COPY FROM DATABASE memory TO f")
    con.execute("DETACH f")
    return path


@pytest.mark.parametrize("argv, message", [
    (["review"], "either --owner"),
    (["review", "--owner", "nobody"], "no deal or target for the owner 'nobody'"),
    (["review", "--owner", "ana", "--start", "2026-05-01"], "both --start and --end"),
    (["review", "--team", "nobody"], "no team 'nobody' in the workspace; teams: T"),
])
def test_the_cli_says_what_is_wrong(tmp_path, capsys, argv, message):
    path = fixture_file(tmp_path)
    code = cli(argv[:1] + ["--workspace", str(path)] + argv[1:])
    assert code != 0
    assert message in capsys.readouterr().err


def test_the_cli_individual_review_on_the_fixture(tmp_path, capsys):
    path = fixture_file(tmp_path)
    assert cli(["review", "--workspace", str(path), "--owner", "ana", "--start", MAY.start.isoformat(),
                "--end", MAY.end.isoformat(), "--lang", "en", "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["headline"]["coverage_raw"] == 4.0  # tests/test_reviews.py: 16 000 / 4 000
    assert [d["opportunity_id"] for d in printed["deals_to_work"]] == ["O20", "O21", "O22"]
    assert printed["summary"][2]["text"] == "50% of the deals closed in the period were in the target, against 79% for the team."


def test_the_cli_collective_review_of_one_team(tmp_path, capsys):
    path = fixture_file(tmp_path)
    assert cli(["review", "--workspace", str(path), "--team", "T", "--start", MAY.start.isoformat(),
                "--end", MAY.end.isoformat(), "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["view"] == "collective"
    assert printed["headline"]["quota"] == 35000  # ana 20 000 + ben 10 000 + cleo 5 000 (tests/test_reviews.py)
    assert [w["opportunity_id"] for w in printed["wins"]] == ["O5", "O4", "O1", "O7", "O8", "O11"]
