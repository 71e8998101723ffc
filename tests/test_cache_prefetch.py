"""ui.cache.prefetch: a figure computed on a thread of its own lands under the key of the run that started it,
and the page's own call then reads it instead of computing it again."""
from __future__ import annotations

from analytics import store
from ui import cache, state

CALLS: list[str] = []


def figure(con, flt):
    """A stand-in for an analytics function: says which workspace's rows it read."""
    CALLS.append(flt)
    return con.execute("SELECT count(*) FROM opportunities").fetchall()[0][0]


def test_the_prefetched_figure_is_read_back_and_not_computed_again(monkeypatch):
    CALLS.clear()
    monkeypatch.setattr(state, "workspace", lambda: "alpha-prefetch")
    con = store.memory_workspace()
    cache.prefetch(figure, con, "f1").join(timeout=30)
    assert cache.cached(figure, con, "f1") == 0
    assert CALLS == ["f1"]  # once, on the thread


def test_a_session_that_moved_to_another_workspace_never_reads_the_first_ones_figure(monkeypatch):
    """The thread may run after the session's next run switched workspace: the figure stays under the workspace
    whose rows it read."""
    CALLS.clear()
    current = {"name": "alpha-switch"}
    monkeypatch.setattr(state, "workspace", lambda: current["name"])
    # the switch happens as the thread is handed the script's context, before it runs
    monkeypatch.setattr(cache, "add_script_run_ctx", lambda thread, ctx: current.update(name="beta-switch"))
    con = store.memory_workspace()
    cache.prefetch(figure, con, "f2").join(timeout=30)
    assert CALLS == ["f2"]
    other = store.memory_workspace()
    other.execute("INSERT INTO snapshots (snapshot_id, snapshot_date, source, row_count) VALUES (1, DATE '2026-03-02', 'x', 1)")
    other.execute("INSERT INTO opportunities (snapshot_id, opportunity_id) VALUES (1, 'D')")
    assert cache.cached(figure, other, "f2") == 1  # beta's own rows, computed for beta
    current["name"] = "alpha-switch"
    assert cache.cached(figure, con, "f2") == 0  # alpha's, from the thread
    assert CALLS == ["f2", "f2"]
