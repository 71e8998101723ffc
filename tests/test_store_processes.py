"""Several processes, one store (issue 20, item 5; analytics/store.py "several processes, one store").

Imports take the workspace's write lock (one at a time, every process), wait for it with a message and give up with
a clear one; pages and the CLI read the latest published copy and never wait. No test here depends on timing: a
wait is ended by an event (or a line the other process printed), never by a sleep.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from datetime import date
from pathlib import Path

import pytest

from analytics import store
from analytics.ingest.importer import import_files
from analytics.ingest.problems import ImportProblem
from tests.files import csv_bytes

ROOT = Path(__file__).resolve().parent.parent

# Two deals of 1 000 and 3 000, both open (a proposal at 50 %): each upload's open amount is 4 000.
ROWS = [["ID", "Commercial", "Étape", "Montant", "Probabilité", "Date de création"],
        ["A", "Alice", "Proposition", "1000", "50", "05/01/2026"],
        ["B", "Bruno", "Proposition", "3000", "50", "06/01/2026"]]


def rows(day: int) -> list[list[str]]:
    """ROWS as the export of that day: the same deals and amounts, deal A's created date moved by the day, so each
    week's file is another file (the same content twice is refused unless imported again on purpose)."""
    return [ROWS[0], ROWS[1][:5] + [f"{day % 28 + 1:02d}/01/2026"], ROWS[2]]


def upload(day: int) -> tuple[str, bytes]:
    return f"semaine_{day}.csv", csv_bytes(rows(day), ";")


def snapshot_days(con) -> list[int]:
    return [d.day for _, d in store.snapshots(con)]


@pytest.fixture
def root(tmp_path, monkeypatch):
    monkeypatch.setenv("COCKPIT_WORKSPACES", str(tmp_path))
    yield tmp_path
    for name in store.list_workspaces():
        store.close_workspace(name)


def cli(*argv, env=None, **popen):
    """The command line in a process of its own, as cron runs it beside the app."""
    return subprocess.Popen([sys.executable, "-m", "analytics", *argv], cwd=ROOT, env={**os.environ, **(env or {})},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **popen)


def test_a_page_reads_while_an_import_holds_the_workspace(root):
    reader = store.open_workspace("acme")
    import_files(reader, [upload(2)], snapshot_date=date(2026, 3, 2))
    with store.write_workspace("acme") as writer:  # an import is writing: the file itself is locked
        writer.execute("DELETE FROM opportunities")  # not committed to any copy yet
        page = store.open_workspace("acme")
        # the page reads the last published copy: the whole upload of 2 March, 2 deals of 4 000 in all
        assert page.execute("SELECT count(*), sum(amount) FROM opportunities_current").fetchall() == [(2, 4000)]


def test_an_import_waits_for_another_and_says_so(root):
    first = store.open_workspace("acme")
    holding, told, done = threading.Event(), threading.Event(), threading.Event()
    release = threading.Event()
    errors = []

    def long_import():
        with store.write_workspace("acme"):
            holding.set()
            release.wait()

    def second_import():
        try:
            import_files(store.Reader(first.main, on_wait=told.set), [upload(9)], snapshot_date=date(2026, 3, 9))
        except Exception as exc:  # pragma: no cover - shown by the assertion
            errors.append(exc)
        done.set()

    a = threading.Thread(target=long_import)
    a.start()
    holding.wait()
    b = threading.Thread(target=second_import)
    b.start()
    told.wait()                     # the second import said it waits...
    assert not done.is_set()        # ...and did not go on
    release.set()
    a.join(), b.join()
    assert errors == [] and snapshot_days(first) == [9]  # then it landed


def test_an_import_gives_up_after_the_wait_and_changes_nothing(root, monkeypatch):
    reader = store.open_workspace("acme")
    import_files(reader, [upload(2)], snapshot_date=date(2026, 3, 2))
    monkeypatch.setenv("COCKPIT_LOCK_WAIT", "0.2")
    with store.write_workspace("acme"):
        with pytest.raises(ImportProblem) as caught:
            import_files(store.open_workspace("acme"), [upload(9)], snapshot_date=date(2026, 3, 9))
    assert caught.value.key == "problem.workspace_busy"
    assert "Another import has been running in this workspace" in caught.value.render("en")
    assert snapshot_days(reader) == [2]


def test_a_reader_sees_an_import_landed_by_another_process(root, tmp_path):
    reader = store.open_workspace("acme")
    assert snapshot_days(reader) == []
    path = tmp_path / "export.csv"
    path.write_bytes(upload(16)[1])
    run = cli("import", str(path), "--workspace", "acme", "--snapshot-date", "2026-03-16")
    out, err = run.communicate(timeout=300)
    assert run.returncode == 0, err
    assert snapshot_days(reader) == [16]  # the same Reader, no reopening


def test_a_write_left_unpublished_is_published_by_the_next_read(root):
    import duckdb

    reader = store.open_workspace("acme")
    main = store.workspace_path("acme")
    con = duckdb.connect(str(main))  # a writer that committed, then was killed before publishing its copy
    con.execute("INSERT INTO snapshots (snapshot_id, snapshot_date, row_count) VALUES (1, DATE '2026-03-02', 0)")
    con.close()
    copy_time = max(p.stat().st_mtime_ns for p in (root / store.READ_DIR).iterdir())
    os.utime(main, ns=(copy_time + 10**9, copy_time + 10**9))  # the file is newer than its copy, whatever the clock
    assert snapshot_days(reader) == [2]


# --- the command line ---------------------------------------------------------------------------------------------

def test_a_mistyped_workspace_is_an_error_and_creates_nothing(root):
    store.open_workspace("acme")
    run = cli("kpis", "--workspace", "acmee", "--json", env={"COCKPIT_WORKSPACES": str(root)})
    out, err = run.communicate(timeout=300)
    assert run.returncode == 2 and out == ""
    assert f"Aucun espace de travail à {root / 'acmee.duckdb'}" in err and "--create" in err
    assert "Traceback" not in err
    assert store.list_workspaces() == ["acme"]


def test_create_makes_the_workspace(root, tmp_path):
    path = tmp_path / "export.csv"
    path.write_bytes(upload(2)[1])
    run = cli("import", str(path), "--workspace", "nouveau", "--create", "--snapshot-date", "2026-03-02")
    out, err = run.communicate(timeout=300)
    assert run.returncode == 0, err
    assert snapshot_days(store.open_workspace("nouveau")) == [2]


def test_the_cli_reads_while_the_app_imports(root):
    reader = store.open_workspace("acme")
    import_files(reader, [upload(2)], snapshot_date=date(2026, 3, 2))
    with store.write_workspace("acme"):  # what used to end in "Could not set lock" and a traceback
        run = cli("kpis", "--workspace", "acme", "--json")
        out, err = run.communicate(timeout=300)
    assert run.returncode == 0, err
    assert json.loads(out)["open_amount"] == 4000  # 1 000 + 3 000


def test_the_cli_import_waits_for_the_app_says_so_then_lands(root, tmp_path):
    reader = store.open_workspace("acme")
    path = tmp_path / "export.csv"
    path.write_bytes(upload(9)[1])
    with store.write_workspace("acme"):
        run = cli("import", str(path), "--workspace", "acme", "--snapshot-date", "2026-03-09", "--lang", "en")
        said = run.stderr.readline()  # blocks until the CLI says it waits: the lock is still ours
        assert said.strip() == "Another import is running in this workspace: waiting for it to finish…"
    out, err = run.communicate(timeout=300)
    assert run.returncode == 0, err
    assert snapshot_days(reader) == [9]


def test_the_cli_import_gives_up_with_a_clear_message(root, tmp_path):
    reader = store.open_workspace("acme")
    path = tmp_path / "export.csv"
    path.write_bytes(upload(9)[1])
    with store.write_workspace("acme"):
        run = cli("import", str(path), "--workspace", "acme", "--lang", "en", env={"COCKPIT_LOCK_WAIT": "0.5"})
        out, err = run.communicate(timeout=300)
    assert run.returncode == 1
    assert "Another import has been running in this workspace for more than" in err and "Traceback" not in err
    assert snapshot_days(reader) == []


# --- two app processes and the CLI on one workspaces folder ---------------------------------------------------------

# An app process, on the functions the app's pages and Import page call: open the workspace as ui.state does, load
# the flash figures (a page load) before and after each of its imports. It prints what it read, one JSON per line.
APP_PROCESS = r"""
import json, sys
from datetime import date
from analytics import store
from analytics.filters import Filter
from analytics.ingest.importer import import_files
from analytics.measures.kpis import flash_kpis
from tests.files import csv_bytes
from tests.test_store_processes import rows

days = [int(d) for d in sys.argv[1].split(",")]
for day in days:
    for _ in range(3):
        con = store.open_workspace("acme").cursor()
        version = store.data_version(con)  # read first: copies only move forward
        figures = flash_kpis(con, Filter())
        print(json.dumps({"open_amount": float(figures["open_amount"] or 0), "version": version}), flush=True)
    import_files(store.open_workspace("acme").cursor(), [(f"s{day}.csv", csv_bytes(rows(day), ";"))],
                 snapshot_date=date(2026, 3, day))
"""


def test_two_app_processes_and_the_cli_import_and_read_at_once(root, tmp_path):
    store.open_workspace("acme")
    for day in (8, 9):
        (tmp_path / f"export_{day}.csv").write_bytes(upload(day)[1])
    apps = [subprocess.Popen([sys.executable, "-c", APP_PROCESS, days], cwd=ROOT, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True) for days in ("2,4,6", "3,5,7")]
    cron = [cli("import", str(tmp_path / f"export_{day}.csv"), "--workspace", "acme", "--snapshot-date",
                f"2026-03-{day:02d}") for day in (8, 9)]
    cron += [cli("kpis", "--workspace", "acme", "--json") for _ in range(2)]
    results = [(p, *p.communicate(timeout=600)) for p in apps + cron]
    for process, out, err in results:
        assert process.returncode == 0 and "Traceback" not in err, err
    # No lost import: the six app uploads and the two of the CLI, each a snapshot of its 2 deals, 8 imports logged.
    reader = store.open_workspace("acme")
    assert snapshot_days(reader) == [2, 3, 4, 5, 6, 7, 8, 9]
    assert reader.execute("SELECT count(*) FROM opportunities").fetchall()[0][0] == 8 * 2
    assert store.data_version(reader) == 8
    # Every page load read whole imports: 4 000 (the latest upload's two deals) once an import has landed, never
    # 1 000 or 3 000 (half an upload); 0 only while none had landed.
    for process, out, _ in results[:2]:
        for line in out.splitlines():
            read = json.loads(line)
            assert read["open_amount"] == 4000.0 or (read["version"] == 0 and read["open_amount"] == 0.0)


# --- the Import page ----------------------------------------------------------------------------------------------

def test_the_import_page_says_another_import_is_running(app, monkeypatch):
    from tests.test_page_import import EXPORT, _to_client_workspace

    _to_client_workspace(app)
    client = app.session_state["workspace"]
    app.file_uploader[0].upload("export sf.csv", EXPORT, "text/csv").run()
    monkeypatch.setenv("COCKPIT_LOCK_WAIT", "0.3")
    with store.write_workspace(client):  # the CLI's scheduled import, say
        app.button(key="run_import").click().run()
    assert not app.exception
    assert [t.value for t in app.toast] == ["Un autre import est en cours dans cet espace de travail : attente de sa fin…"]
    assert any("Un autre import est en cours dans cet espace de travail depuis plus de" in e.value for e in app.error)
    assert snapshot_days(store.open_workspace(client)) == []  # nothing stored
