"""The flash page's download buttons (ui/downloads.py) as a user sees them through AppTest: CSV and xlsx per table,
PNG and SVG for the chart, the pack for the team and, once the sidebar picks a rep, for that rep."""
from __future__ import annotations

from tests.test_page_flash import _open_flash


def _keys(at) -> dict[str, str]:
    return {b.key: b.label for b in at.get("download_button")}


def test_the_team_pack_and_the_deck_are_offered(app):
    keys = _keys(_open_flash(app))
    assert keys["pack_team"] == "Dossier Excel (équipe)"
    assert keys["pack_deck"] == "Présentation PowerPoint"
    assert "pack_rep" not in keys  # no rep chosen: the team's pack only


def test_choosing_a_rep_offers_that_reps_pack(app):
    _open_flash(app)
    app.selectbox(key="flt_owner__fr").set_value("Camille Lefèvre").run()
    assert not app.exception
    keys = _keys(app)
    assert keys["pack_rep"] == "Dossier Excel (Camille Lefèvre)"
    assert "pack_team" in keys


def test_buttons_speak_english(app):
    _open_flash(app)
    app.session_state["lang"] = "en"
    app.run()
    keys = _keys(app)
    assert (keys["pack_team"], keys["reps_download"], keys["reps_xlsx"], keys["trend_png"]) == (
        "Excel pack (team)", "CSV", "Excel", "PNG image")
