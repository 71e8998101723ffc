"""Fixtures every test module may use."""
from __future__ import annotations

import pytest

from tests.fixtures import workspace as shared


@pytest.fixture
def workspace():
    """The shared hand-checked workspace (tests/fixtures/workspace.py): three snapshots and every table,
    in memory, fresh for each test."""
    con = shared.memory()
    yield con
    con.close()
