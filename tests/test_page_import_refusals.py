"""Uploader refusals in the user's language (issue 20, "bad input named wrongly"): Streamlit's uploader refuses a
type or a size in English, before our code sees the file. It now lets every file through to our checks (type
from the bytes, a size cap below Streamlit's own), and the page says what is wrong, in French or in English.
"""
from __future__ import annotations

import tomllib
from pathlib import Path

from analytics.ingest import read

ROOT = Path(__file__).resolve().parents[1]
OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600   # the first bytes of a legacy .xls workbook


def _import_page(app, lang: str = "fr"):
    app.run()
    if lang == "en":
        app.segmented_control(key="lang_choice").set_value("en").run()
    app.switch_page("pages/import_page.py").run()
    return app


def _text(markdown: str) -> str:
    """The message as read on screen: user text reaches markdown escaped (ui.state.plain)."""
    return markdown.replace("\\", "")


def test_the_uploader_leaves_every_type_to_our_checks(app):
    # A type list makes Streamlit refuse a .xls in English ("application/vnd.ms-excel files are not allowed").
    assert _import_page(app).file_uploader[0].allowed_type == []


def test_streamlits_own_size_cap_is_above_ours():
    # 200 MB (Streamlit's refusal, English) > 100 MB (ours, in the user's language): ours always speaks first.
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["server"]["maxUploadSize"] * 1024 * 1024 > read.MAX_UPLOAD_BYTES == 100 * 1024 * 1024


def test_a_legacy_xls_gets_our_message_in_french(app):
    _import_page(app).file_uploader[0].upload("ancien.xls", OLE, "application/vnd.ms-excel").run()
    assert not app.exception
    assert _text(app.error[0].value).startswith("Fichier « ancien.xls » : Ancien format Excel (.xls)")


def test_a_legacy_xls_gets_our_message_in_english(app):
    _import_page(app, "en").file_uploader[0].upload("old.xls", OLE, "application/vnd.ms-excel").run()
    assert not app.exception
    assert _text(app.error[0].value).startswith("File “old.xls”: Old Excel format (.xls)")


def test_a_file_over_the_cap_is_refused_by_our_code_in_the_users_language(app, monkeypatch):
    # The cap brought down to 1 KB for the test: a 2 KB CSV is over it (2 048 > 1 024 bytes).
    monkeypatch.setattr(read, "MAX_UPLOAD_BYTES", 1024)
    data = b"ID;Montant\n" + b"A;1\n" * 509     # 11 + 509 x 4 = 2 047 bytes
    _import_page(app).file_uploader[0].upload("gros.csv", data, "text/csv").run()
    assert not app.exception
    assert _text(app.error[0].value).startswith("Fichier « gros.csv » : Le fichier dépasse la taille admise")
