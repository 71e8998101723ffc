"""Fixtures every test module may use."""
from __future__ import annotations

from pathlib import Path

import pytest

from tests.fixtures import workspace as shared

APP = Path(__file__).resolve().parent.parent / "app.py"


@pytest.fixture
def workspace():
    """The shared hand-checked workspace (tests/fixtures/workspace.py): three snapshots and every table,
    in memory, fresh for each test."""
    con = shared.memory()
    yield con
    con.close()


@pytest.fixture
def app(tmp_path, monkeypatch):
    """The app (app.py) under AppTest, with its workspaces in a fresh folder: connections and results cached by an
    earlier test belong to another workspace root, so both caches start empty."""
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    from analytics import store

    monkeypatch.setenv("COCKPIT_WORKSPACES", str(tmp_path))
    st.cache_resource.clear()
    st.cache_data.clear()
    at = AppTest.from_file(str(APP), default_timeout=180)
    yield at
    for name in store.list_workspaces():
        store.close_workspace(name)
    st.cache_resource.clear()
