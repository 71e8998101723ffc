"""The Funnel page as a user sees it (AppTest through app.py): the demo company, an opportunities-only workspace,
a single-upload workspace with activities, the planner's inputs, and the CLI saying what the page says."""
from __future__ import annotations

import json


from analytics import store
from analytics.__main__ import main as cli
from analytics.i18n import t
from tests.funnel_data import add_snapshot
from tests.test_funnel import ACTIVITIES, DEALS
from tests.test_kpis import OPPORTUNITIES, insert_opportunities

FUNNEL = "pages/funnel.py"


def _open(at, workspace=None, lang="fr"):
    if workspace:
        at.session_state["workspace"] = workspace
        at.session_state["granted_workspaces"] = {workspace}  # as its private link would (ui.state.grant)
    at.session_state["lang"] = lang
    at.run()
    at.switch_page(FUNNEL).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def metrics(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def infos(at) -> list[str]:
    return [i.value for i in at.info]


def test_renders_on_the_demo_company(app):
    _open(app)
    assert app.title[0].value == t("funnel.title", "fr")
    # team funnel, reps' small multiples, cascade, time in stage
    assert len(app.get("vega_lite_chart")) == 4
    assert t("funnel.kpi.overall", "fr") in metrics(app)
    assert not infos(app)  # the demo has every sheet: no "add a sheet" message


def test_renders_in_english(app):
    _open(app, lang="en")
    assert app.title[0].value == "Funnel"
    assert t("funnel.kpi.overall", "en") in metrics(app)


def test_opportunities_only_workspace(app):
    with store.write_workspace("solo") as con:
        insert_opportunities(con, OPPORTUNITIES)  # one upload, no activities, no history
        store.log_import(con, {"test": True})
    app.session_state["flt_preset"] = "ytd"
    _open(app, "solo")
    messages = infos(app)
    assert t("funnel.cascade.no_activities", "fr") in messages
    assert t("funnel.time.missing", "fr") in messages
    assert len(app.get("vega_lite_chart")) == 2  # team funnel and reps; no cascade, no time chart


def test_single_upload_workspace_with_activities(app):
    with store.write_workspace("single") as con:
        add_snapshot(con, "2026-05-20", DEALS)
        con.executemany("INSERT INTO activities (activity_id, date, owner, type, opportunity_id, outcome)"
                        " VALUES (?, ?, ?, ?, ?, ?)", ACTIVITIES)
        store.log_import(con, {"test": True})
    app.session_state["flt_preset"] = "ytd"
    _open(app, "single")
    # ytd to 20 May 2026, deals closed in it: F1 F2 F3 F5 F6 F9 known, F7 of unknown stage at lead -> 7, 1 unknown
    shown = metrics(app)
    assert shown[t("funnel.kpi.deals", "fr")] == "7"
    assert shown[t("funnel.kpi.unknown", "fr")] == "1"
    # proposal -> won (3/4) is a ceiling F7 could lower: its label carries the mark
    assert shown[t("funnel.kpi.proposal_to_won", "fr") + " *"] == "75,0\u00a0%"
    assert t("funnel.time.missing", "fr") in infos(app)
    assert len(app.get("vega_lite_chart")) == 3  # funnel, reps, cascade


def _set_plan(at, goal, average, weeks, rates):
    at.number_input(key="plan_goal").set_value(goal)
    at.number_input(key="plan_average_deal").set_value(average)
    at.number_input(key="plan_weeks").set_value(weeks)
    for key, rate in zip(("plan_rate_1", "plan_rate_2", "plan_rate_3"), rates):
        at.text_input(key=key).input(rate)
    return at.run()


def test_planner_gives_the_articles_example(app):
    _open(app)
    _set_plan(app, 1_000_000.0, 50_000.0, 48.0, ("40 %", "50 %", "1/6"))
    shown = {m.label: (m.value, m.delta) for m in app.metric}
    # 1 000 000 / 50 000 = 20; / 40 % = 50; / 50 % = 100; / (1/6) = 600; 600 / 48 = 12.5 a week
    assert shown[t("plan.out.deals", "fr")][0] == "20"
    assert shown[t("plan.out.proposals", "fr")][0] == "50"
    assert shown[t("plan.out.opportunities", "fr")][0] == "100"
    assert shown[t("plan.out.conversations", "fr")] == ("600", t("plan.per_week", "fr", value="12,5"))


def test_planner_follows_a_changed_input(app):
    _open(app)
    _set_plan(app, 1_000_000.0, 50_000.0, 48.0, ("40 %", "50 %", "1/6"))
    app.text_input(key="plan_rate_1").input("25 %").run()
    # 20 deals / 25 % = 80 proposals; / 50 % = 160 opportunities; x 6 = 960 conversations, 20 a week
    shown = {m.label: (m.value, m.delta) for m in app.metric}
    assert shown[t("plan.out.proposals", "fr")][0] == "80"
    assert shown[t("plan.out.conversations", "fr")] == ("960", t("plan.per_week", "fr", value="20"))


def test_planner_says_a_bad_rate(app):
    _open(app)
    app.text_input(key="plan_rate_2").input("abc").run()
    assert app.error and "abc" in app.error[0].value


def test_cli_and_page_agree(app, capsys):
    _open(app)  # the demo, this month (November 2026), deals closed in it
    shown = metrics(app)
    code = cli(["funnel", "--workspace", str(store.workspace_path("demo")), "--start", "2026-11-01",
                "--end", "2026-11-30", "--basis", "closed", "--json"])
    assert code == 0
    out = json.loads(capsys.readouterr().out)
    assert shown[t("funnel.kpi.deals", "fr")] == f"{out['summary']['deals']:,}".replace(",", "\u202f")
    overall = f"{100 * out['summary']['overall']:.1f}".replace(".", ",") + "\u00a0%"
    assert shown[t("funnel.kpi.overall", "fr")] == overall


def test_cohort_choice_changes_the_deals_counted(app):
    with store.write_workspace("single") as con:
        add_snapshot(con, "2026-05-20", DEALS)
        store.log_import(con, {"test": True})
    app.session_state["flt_preset"] = "ytd"
    _open(app, "single")
    app.radio(key="funnel_basis").set_value("cohort").run()
    # created from 1 January to 20 May 2026: all nine deals, F7 (unknown stage) at lead -> 9 in the funnel
    assert metrics(app)[t("funnel.kpi.deals", "fr")] == "9"
