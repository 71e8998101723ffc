"""Once per server process: the libraries' objects taken out of the garbage collector's sight.

After every script run, and before the next one starts, Streamlit collects all generations (`gc.collect(2)`,
`runner.postScriptGC`) on the script's thread: after *Importer*, between `st.switch_page` and the flash page's
first line. A full collection walks every object the process holds; most of them belong to the modules of pandas,
pyarrow, Altair, DuckDB, Streamlit and this app (about 160 000 objects, 0.08-0.14 s on the 2-core machine), which
live as long as the process. `gc.freeze()` moves the objects that exist now into a permanent generation that
collections skip: each collection then walks only what was made since (what sessions hold), and memory is still
collected after every run. Frozen objects are never freed: only what is imported here and at startup is frozen,
before any session has made anything.
"""
from __future__ import annotations

import gc
import importlib
import threading

# What the pages import (their modules are imported on a session's first visit otherwise, and would be walked by
# every collection after it).
MODULES = [
    "pandas", "pyarrow", "altair", "duckdb",
    "analytics.ingest.importer", "analytics.measures.kpis", "analytics.measures.stays",
    "analytics.views.funnel", "analytics.views.plan", "analytics.views.projection", "analytics.views.segments",
    "analytics.views.movement", "analytics.views.forecast", "analytics.views.reviews",
    "analytics.outputs.export", "ui.cache", "ui.charts", "ui.downloads", "ui.tables", "ui.review",
]

_frozen = False
_lock = threading.Lock()


def freeze_libraries() -> bool:
    """Import MODULES, collect, then freeze every object alive: once per process (True the time it froze)."""
    global _frozen
    with _lock:
        if _frozen:
            return False
        for name in MODULES:
            importlib.import_module(name)
        gc.collect()
        gc.freeze()
        _frozen = True
        return True
