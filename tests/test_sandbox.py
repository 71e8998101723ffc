"""The second line of defence (issue 20, build item 4): a workbook is read in a child process whose memory is
capped, so that a reader that asks for too much ends the child, never the process serving every session; the
import gets a message naming the file, in the user's language.
"""
from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from analytics.ingest import read, sandbox
from analytics.ingest.problems import ImportProblem
from tests.test_field_exports import far_cell_xlsx

GB = 1024 ** 3
REPO = Path(__file__).resolve().parents[1]


def test_a_reader_that_asks_for_512_gb_ends_its_child_not_this_process():
    # The reader alone, without the guard: one cell at XFD1048576 makes it ask for 16 384 x 1 048 576 cells
    # (512 GB at 32 bytes each). Read here, it would abort this very process (the test run).
    with pytest.raises(ImportProblem) as caught:
        sandbox.run("lointaine.xlsx", read._read_checked_workbook, "lointaine.xlsx", far_cell_xlsx(), 100, 100,
                    memory=1 * GB)
    assert caught.value.key == "problem.reader_out_of_memory"
    assert caught.value.note.file == "lointaine.xlsx"
    assert "1 GB" in caught.value.render("fr") and "rien n'a été modifié" in caught.value.render("fr")
    assert os.getpid()   # still here


def test_a_python_memory_error_in_the_child_is_the_same_message():
    # 4 GB asked where the child may add 512 MB.
    with pytest.raises(ImportProblem) as caught:
        sandbox.run("gros.xlsx", bytearray, 4 * GB, memory=512 * 1024 ** 2)
    assert caught.value.key == "problem.reader_out_of_memory"
    assert "512 MB" in caught.value.render("en")


def test_a_read_that_never_ends_is_stopped():
    with pytest.raises(ImportProblem) as caught:
        sandbox.run("lent.xlsx", time.sleep, 60, seconds=1)
    assert caught.value.key == "problem.reader_stopped"
    assert caught.value.note.file == "lent.xlsx"


def test_a_problem_found_in_the_child_keeps_its_file_sheet_and_cell():
    with pytest.raises(ImportProblem) as caught:
        read.read_file("lointaine.xlsx", far_cell_xlsx())
    problem = caught.value
    assert (problem.key, problem.note.file, problem.note.sheet) == ("problem.far_cell", "lointaine.xlsx", "Affaires")
    assert problem.note.params["cell"] == "XFD1048576"


def test_a_workbook_read_in_the_child_comes_back_whole():
    from tests.files import xlsx_bytes

    (sheet,) = read.read_file("ok.xlsx", xlsx_bytes({"Affaires": [["ID", "Montant"], ["A", 12.5], ["B", 3]]}))
    assert sheet.headers == ["ID", "Montant"]
    assert sheet.table.column("Montant").to_pylist() == ["12.5", "3"]
    assert sheet.table.column("_row").to_pylist() == [2, 3]


def test_the_forkserver_is_started_in_the_background_once():
    # In a fresh interpreter: whether this process already started one does not matter.
    code = ("import multiprocessing.forkserver as f; from analytics.ingest import sandbox;"
            " before = f._forkserver._forkserver_pid; t = sandbox.start_in_background(); t.join(60);"
            " print(before is None, f._forkserver._forkserver_pid is not None, sandbox.start_in_background() is t)")
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["True", "True", "True"]
