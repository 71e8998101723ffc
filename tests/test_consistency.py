"""One meaning per figure (issue 16): every place that shows a figure shows the same number.

On the demo company and on the shared hand-checked workspace (tests/fixtures/workspace.py), for the period the
app opens on (the current month of the workspace's latest upload), this renders through app.py (AppTest) the flash
figures (team, then one rep), the collective review, the individual review of that rep and the pipeline page,
builds the review pack and runs `python -m analytics kpis --json`, then reads every figure shown in two places
(won amount, win rate, basket, quota, attainment, coverage, pipeline, team figures) and finds them equal.

Pages round for reading (a coverage of 18,19x on the flash page is 18,2x on the reviews): two texts are equal
when they are the same number at the coarser of their two roundings.
"""
from __future__ import annotations

import io
import json
import re

import openpyxl
import pyarrow as pa
import pytest

from analytics import store
from analytics.__main__ import main as cli
from analytics.outputs import report
from analytics.strings_fr import FR

FLASH = "pages/flash.py"
COLLECTIVE = "pages/review_collective.py"
INDIVIDUAL = "pages/review_individual.py"
PIPELINE = "pages/pipeline.py"


def number(text) -> tuple[float, int] | None:
    """A figure as shown (12 500 €, 34,4 %, 18,19×) -> (value, decimals shown); None for a dash."""
    if text is None or text in ("—", "-"):
        return None
    if isinstance(text, (int, float)):
        return float(text), 6
    clean = re.sub(r"[^\d,.\-]", "", str(text).replace("\u202f", "").replace("\u00a0", "").replace(" ", ""))
    decimals = len(clean.split(",")[1]) if "," in clean else 0
    value = float(clean.replace(",", "."))
    return (value / 100, decimals + 2) if "%" in str(text) else (value, decimals)


def same(a, b) -> bool:
    """Two shown figures are the same number at the coarser of their two roundings (dashes equal dashes)."""
    na, nb = number(a), number(b)
    if na is None or nb is None:
        return na is None and nb is None
    decimals = min(na[1], nb[1])
    return abs(na[0] - nb[0]) <= 0.5 * 10 ** -decimals + 1e-9


def _render(at, page, **state):
    for key, value in state.items():
        at.session_state[key] = value
    at.run()
    at.switch_page(page).run()
    assert not at.exception, [e.value for e in at.exception]
    return {m.label: m.value for m in at.metric}


def _chart_rows(chart) -> list[dict]:
    rows = []
    for dataset in chart.proto.datasets:
        rows += pa.ipc.open_stream(dataset.data.data).read_all().to_pylist()
    return rows


def _shared_workspace(name="shared"):
    from tests.fixtures.workspace import build
    with store.write_workspace(name) as con:
        return build(con)


@pytest.fixture(params=["demo", "shared"])
def places(request, app, capsys, tmp_path):
    """Every place's figures for one workspace: {"flash", "flash_rep", "collective", "individual", "pipeline",
    "pack", "cli", "cli_rep", "rep"}."""
    name = store.DEMO_WORKSPACE
    if request.param == "shared":
        name = "shared"
        _shared_workspace(name)
    out = {"flash": _render(app, FLASH, workspace=name, granted_workspaces={name})}
    flt = app.session_state["filter"]
    out["collective"] = _render(app, COLLECTIVE)
    pipeline = _render(app, PIPELINE)
    cover = [r for chart in app.get("vega_lite_chart") for r in _chart_rows(chart)
             if r.get("series") == FR["pipeline.trend.coverage"]]
    out["pipeline"] = cover[-1]["value"] if cover else None  # the latest upload's point
    assert pipeline is not None
    con = store.open_workspace(name)
    wb = openpyxl.load_workbook(io.BytesIO(report.build_pack(con, flt, "fr")))
    out["pack"] = {r[0].value: r[1].value for r in wb["Synthèse"].iter_rows(min_row=4) if r[0].value}
    path = str(store.workspace_path(name))
    period = ["--start", flt.start.isoformat(), "--end", flt.end.isoformat()]
    assert cli(["kpis", "--workspace", path, *period, "--json"]) == 0
    out["cli"] = json.loads(capsys.readouterr().out)
    rep = con.execute("SELECT owner FROM opportunities_current WHERE status = 'won' GROUP BY 1 ORDER BY count(*) DESC,"
                      " 1 LIMIT 1").fetchall()[0][0]
    out["rep"] = rep
    app.switch_page(FLASH).run()
    app.selectbox(key="flt_owner__fr").set_value(rep).run()  # the sidebar's rep filter, as a user picks it
    assert not app.exception and app.session_state["filter"].owner == rep
    out["flash_rep"] = {m.label: m.value for m in app.metric}
    out["individual"] = _render(app, INDIVIDUAL)
    assert app.selectbox(key="review_owner").value == rep
    assert cli(["kpis", "--workspace", path, *period, "--owner", rep, "--json"]) == 0
    out["cli_rep"] = json.loads(capsys.readouterr().out)
    return out


def test_the_team_figures_agree_between_flash_collective_review_cli_and_pack(places):
    flash, team, cli_, pack = places["flash"], places["collective"], places["cli"], places["pack"]
    pairs = [
        ("won_amount", "review.team.won_amount"),
        ("quota", "review.team.quota"),
        ("quota_attainment", "review.team.quota_attainment"),
        ("coverage_weighted", "review.team.coverage_weighted"),
    ]
    for key, review_label in pairs:
        shown = flash[FR[f"flash.kpi.{key}"]]
        assert same(shown, team[FR[review_label]]), (key, shown, team[FR[review_label]])
        assert same(shown, cli_[key] if cli_[key] is not None else "—"), (key, shown, cli_[key])
    for key in ("won_amount", "win_rate", "average_basket", "quota_attainment", "coverage_raw", "coverage_weighted",
                "open_amount", "weighted_pipeline"):
        label = FR[f"flash.kpi.{key}"]
        assert same(flash[label], pack[label] if pack[label] is not None else "—"), (key, flash[label], pack[label])
        assert same(flash[label], cli_[key] if cli_[key] is not None else "—"), (key, flash[label], cli_[key])


def test_the_rep_figures_agree_between_flash_individual_review_and_cli(places):
    flash, review, cli_ = places["flash_rep"], places["individual"], places["cli_rep"]
    for key in ("quota_attainment", "coverage_raw", "coverage_weighted", "win_rate"):
        shown = flash[FR[f"flash.kpi.{key}"]]
        assert same(shown, review[FR[f"review.tile.{key}"]]), (key, shown, review[FR[f"review.tile.{key}"]])
        assert same(shown, cli_[key] if cli_[key] is not None else "—"), (key, shown, cli_[key])


def test_the_pipeline_pages_coverage_is_the_coverage_by_the_whole_pipeline(places):
    # the pipeline page's latest point (the whole open pipeline / the month's remaining quota) is the registry's
    # coverage_pipeline_raw for the month, not the flash tile's coverage of the deals due in the period
    cli_ = places["cli"]
    if cli_["coverage_pipeline_raw"] is None:
        assert places["pipeline"] is None
    else:
        assert places["pipeline"] == pytest.approx(cli_["coverage_pipeline_raw"])
