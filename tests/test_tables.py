"""The one table helper (ui/tables.py) on a small frame, as AppTest renders it, and the download file names."""
from __future__ import annotations

import json

import pytest
from streamlit.testing.v1 import AppTest

from analytics.outputs.export import file_stem
from tests.screen import download_counts, shown


def _script(lang):
    import pandas as pd
    import streamlit as st

    from ui import tables

    st.session_state["lang"] = lang
    st.session_state["workspace"] = "tables_test"
    deals = pd.DataFrame({
        "opportunity_id": ["K-8fc2a6a97db7", "CRM-42"],   # a derived key, a CRM's own id
        "name": ["Refonte ERP", "Licences"],
        "amount": [12500.5, 9000.0],
        "probability": [0.1225, 0.5],
    })
    tables.table(deals, "deals", kinds={"amount": "money", "probability": "rate"}, labels="funnel.col",
                 title="Affaires bloquées", page="Entonnoir")


@pytest.fixture
def table_app(tmp_path, monkeypatch):
    monkeypatch.setenv("COCKPIT_WORKSPACES", str(tmp_path))

    def run(lang):
        at = AppTest.from_function(_script, args=(lang,), default_timeout=60)
        at.run()
        assert not at.exception, [e.value for e in at.exception]
        return at
    return run


def test_numbers_stay_numbers_under_the_languages_text(table_app):
    at = table_app("fr")
    values = at.dataframe[0].value
    assert list(values["amount"]) == [12500.5, 9000.0]  # sorts as numbers
    text = shown(at.dataframe[0])
    # 12 500,50 € -> whole euros, half up: 12 501 €; 0.1225 -> 12,25 % -> 12,3 %
    assert list(text["amount"]) == ["12\u202f501\u00a0€", "9\u202f000\u00a0€"]
    assert list(text["probability"]) == ["12,3\u00a0%", "50,0\u00a0%"]


def test_english_text(table_app):
    text = shown(table_app("en").dataframe[0])
    assert list(text["amount"]) == ["€12,501", "€9,000"] and list(text["probability"]) == ["12.3%", "50.0%"]


def test_a_derived_key_is_never_shown_a_crm_id_is(table_app):
    text = shown(table_app("fr").dataframe[0])
    assert list(text["opportunity_id"]) == ["—", "CRM-42"]


def test_headers_come_from_the_strings_and_the_first_column_is_pinned(table_app):
    at = table_app("en")
    config = json.loads(at.dataframe[0].proto.columns)
    assert config["amount"]["label"] == "Amount" and config["name"]["label"] == "Name"
    assert config["opportunity_id"]["label"] == "Opportunity" and config["opportunity_id"]["pinned"] is True
    assert not config["amount"].get("pinned")


def test_a_table_has_its_csv_and_excel_buttons(table_app):
    n = download_counts(table_app("fr"))
    assert (n["csv"], n["xlsx"], n["tables"]) == (1, 1, 1)


@pytest.mark.parametrize("words, stem", [
    (("Entonnoir", "Temps passé par étape"), "entonnoir_temps_passe_par_etape"),
    (("Funnel", "Time in stage"), "funnel_time_in_stage"),
    (("", "Qualité des données"), "qualite_des_donnees"),
    (("Modèle Cockpit",), "modele_cockpit"),
    (("Cockpit template",), "cockpit_template"),
])
def test_file_names_are_the_titles_in_the_users_language(words, stem):
    assert file_stem(*words) == stem


def test_every_visible_row_fits_without_scrolling_up_to_25():
    from ui import tables

    # the flash page's 12 reps: header 38 px + 12 rows of 35 px, all shown (10 of 12 were before)
    assert tables.table_height(12) == 38 + 12 * 35
    assert tables.table_height(400) == 38 + 25 * 35
