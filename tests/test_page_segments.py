"""The Segments page as a user sees it (AppTest through app.py): the demo company, whose Bronze segment costs
more to win than it brings (data/demo.py, story 1), a workspace with only opportunities, and the CLI and the
page agreeing on the same figures."""
from __future__ import annotations

import json

import pyarrow as pa
import pytest

from tests import screen

from analytics.views import segments
from analytics import store
from analytics.__main__ import main
from tests.test_segments import make_workspace

PAGE = "pages/segments.py"


def _open(at, workspace=None):
    if workspace:
        at.session_state["workspace"] = workspace
        at.session_state["granted_workspaces"] = {workspace}  # as its private link would (ui.state.grant)
    at.run()
    at.switch_page(PAGE).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _charts(at) -> list:
    return list(at.get("vega_lite_chart"))


def _chart_rows(chart) -> list[dict]:
    """Every data row the chart sends to the browser (Arrow datasets beside the spec)."""
    rows = []
    for dataset in chart.proto.datasets:
        rows += pa.ipc.open_stream(dataset.data.data).read_all().to_pylist()
    return rows


def test_demo_shows_bronze_costing_more_than_its_margin(app):
    _open(app)
    flt = app.session_state["filter"]
    expected = segments.segment_table(store.open_workspace(store.DEMO_WORKSPACE), flt, "segment").set_index("value")
    # the story, in the analytics the page draws from
    assert expected.loc["Bronze", "acquisition_cost"] > expected.loc["Bronze", "margin_per_customer"]
    # Or pays for its new customers; in November Argent won one new customer (10 183 margin) for 21 812 spent:
    # its repeat wins no longer hide that (margin per new customer counts the new customers' wins only)
    assert expected.loc["Or", "acquisition_cost"] < expected.loc["Or", "margin_per_customer"]
    # on screen: the acquisition cost chart holds Bronze under the break-even line...
    marks = [r for r in _chart_rows(_charts(app)[0]) if r.get("label") in ("Or", "Argent", "Bronze")]
    bronze = next(r for r in marks if r["label"] == "Bronze")
    assert bronze["acquisition_cost"] > bronze["margin_per_customer"] and bronze["contribution"] < 0
    # ...and the leads name it as a candidate to move down, with its numbers
    leads = " ".join(m.value for m in app.markdown)
    assert "**Bronze** : coût d'acquisition" in leads and "Candidat à descendre" in leads


def test_demo_draws_every_block(app):
    _open(app)
    assert len(_charts(app)) == 4  # acquisition cost, shares, rep heatmap, sources
    assert not app.info  # the demo gives every sheet: no "add a sheet" message
    titles = [h.value for h in app.subheader]
    for title in ("Coût d'acquisition et marge par nouveau client", "Effort par affaire gagnée, par commercial",
                  "Sources des opportunités", "Pistes à vérifier"):
        assert title in titles
    heatmap = _chart_rows(_charts(app)[2])
    assert any(r["rep"] == "Médiane de l'équipe" for r in heatmap)  # the team median row


def test_account_leads_on_demand(app):
    _open(app)
    leads = lambda: " ".join(m.value for m in app.markdown)  # noqa: E731
    assert "gagnés" not in leads()  # not computed until asked
    app.toggle(key="segments_accounts").set_value(True).run()
    assert not app.exception
    titles = [e.label for e in app.expander]
    assert any(t.startswith("Comptes à monter d'un niveau") for t in titles)
    assert any(t.startswith("Comptes à descendre d'un niveau") for t in titles)


def test_every_chart_is_small(app):
    _open(app)
    assert all(len(_chart_rows(c)) < 500 for c in _charts(app))


@pytest.mark.parametrize("axis, label", [("region", "Région"), ("source", "Source"), ("team", "Équipe"),
                                         ("product", "Produit"), ("owner", "Commercial")])
def test_every_axis_renders(app, axis, label):
    _open(app)
    app.session_state["segments_axis"] = axis
    app.run()
    assert not app.exception, [e.value for e in app.exception]
    shown = app.dataframe[0].value
    assert shown.columns[0] == "value" and len(shown) >= 2
    if axis not in ("source",):  # marketing spend is per segment and source: said on other axes
        assert any("non attribuées" in c.value for c in app.caption)


def test_english(app):
    app.session_state["lang"] = "en"
    _open(app)
    assert app.title[0].value == "Segments: effort and result"
    assert "Leads to check" in [h.value for h in app.subheader]


def test_opportunities_only_workspace_says_what_each_sheet_adds(app):
    with store.write_workspace("solo") as con:
        make_workspace(con, reps=False, activities=False, marketing=False, targets=False)
        store.log_import(con, {"test": True})
    _open(app, "solo")
    infos = " ".join(i.value for i in app.info)
    assert "Activités" in infos and "Dépenses marketing" in infos
    # what opportunities alone give: revenue won per segment, in a chart and the table
    assert len(_charts(app)) >= 1
    assert "Chiffre d'affaires gagné et taux de transformation" in [h.value for h in app.subheader]
    assert len(app.dataframe) >= 1


def test_cli_and_page_agree(app, tmp_path, capsys):
    _open(app)
    flt = app.session_state["filter"]
    shown = screen.shown(app.dataframe[0]).set_index("value")  # the text on screen, compared with the CLI's numbers
    path = store.workspace_path(store.DEMO_WORKSPACE)
    code = main(["segments", "--workspace", str(path), "--start", flt.start.isoformat(), "--end",
                 flt.end.isoformat(), "--json"])
    assert code == 0
    rows = json.loads(capsys.readouterr().out)["rows"]
    assert [r["value"] for r in rows] == list(shown.index)
    for row in rows:
        page = shown.loc[row["value"]]
        assert _number(page["won_count"]) == row["won_count"]
        assert _number(page["won_amount"]) == round(row["won_amount"])  # whole euros on screen
        assert _number(page["acquisition_cost"]) == round(row["acquisition_cost"])
        assert _number(page["contribution"]) == round(row["contribution"])


def _number(text: str) -> int:
    """'124 600 €' / '-6 474 €' as written on screen in French -> the integer."""
    return int(text.replace("\u202f", "").replace("\u00a0", "").replace("€", "").replace(" ", ""))
