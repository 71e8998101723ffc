"""ui/heap.py: the libraries' objects are frozen once per process, so that the full collection Streamlit runs
after every script run (between Importer's switch and the flash page's first line) skips them."""
from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

from ui import heap

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("name", heap.MODULES)
def test_every_module_named_exists(name):
    # a module renamed or moved would stop app.py at its first line
    assert importlib.util.find_spec(name) is not None


def test_freezes_once_per_process():
    # In a fresh interpreter, not this one: what the test process holds would be frozen for good.
    code = ("import gc; from ui import heap; before = gc.get_freeze_count();"
            " first = heap.freeze_libraries(); frozen = gc.get_freeze_count(); second = heap.freeze_libraries();"
            " print(before, first, frozen > before, second, gc.get_freeze_count() == frozen)")
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["0", "True", "True", "False", "True"]
