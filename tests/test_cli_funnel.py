"""`python -m analytics funnel` and `plan`: the same functions as the page, JSON keys, clear errors."""
from __future__ import annotations

import json

import duckdb
import pytest

from analytics import store
from analytics.__main__ import main
from tests.funnel_data import add_snapshot
from tests.test_funnel import ACTIVITIES, DEALS


def run(capsys, *argv):
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.fixture
def ws(tmp_path):
    path = tmp_path / "ws.duckdb"
    con = duckdb.connect(str(path))
    store.init_schema(con)
    add_snapshot(con, "2026-05-20", DEALS)
    con.executemany("INSERT INTO activities (activity_id, date, owner, type, opportunity_id, outcome)"
                    " VALUES (?, ?, ?, ?, ?, ?)", ACTIVITIES)
    con.close()
    return str(path)


@pytest.mark.parametrize("rates", ["0.4,0.5,1/6", "40%,50%,1/6", "40 %;50 %;1 in 6", "40,50,16.6666666667%"])
def test_plan_the_articles_example(capsys, rates):
    code, out, _ = run(capsys, "plan", "--goal", "1000000", "--average-deal", "50000", "--rates", rates,
                       "--weeks", "48", "--json")
    got = json.loads(out)
    assert code == 0
    assert [round(got[k], 6) for k in ("deals", "proposals", "opportunities", "conversations")] == [20, 50, 100, 600]
    assert round(got["per_week"]["conversations"], 6) == 12.5


@pytest.mark.parametrize("argv, message", [
    (["--rates", "0.4,0.5"], "three rates"),
    (["--rates", "0.4,abc,1/6"], "abc"),
    (["--rates", "0.4,,1/6"], "opportunity_to_proposal"),
    (["--rates", "0.4,0.5,1/6", "--weeks", "0"], "weeks"),
])
def test_plan_bad_arguments(capsys, argv, message):
    base = {"--goal": "1000000", "--average-deal": "50000", "--weeks": "48"}
    for i in range(0, len(argv), 2):
        base[argv[i]] = argv[i + 1]
    code, _, err = run(capsys, "plan", *[x for kv in base.items() for x in kv], "--json")
    assert code == 2 and message in err


def test_plan_takes_missing_figures_from_the_workspace(capsys, ws):
    # every deal: average won 1000, proposal -> deal 3/4 (closed deals), so 30 000 -> 30 deals -> 40 proposals
    code, out, _ = run(capsys, "plan", "--workspace", ws, "--goal", "30000", "--rates", ",0.5,0.25", "--weeks", "10",
                       "--json")
    got = json.loads(out)
    assert code == 0 and round(got["deals"], 6) == 30 and round(got["proposals"], 6) == 40
    assert round(got["conversations"], 6) == 320


def test_funnel_json(capsys, ws):
    code, out, _ = run(capsys, "funnel", "--workspace", ws, "--json")
    got = json.loads(out)
    assert code == 0 and got["basis"] == "cohort"
    # the hand counts of tests/test_funnel.py: 9, 6, 5, 4, 3; F7 (unknown stage) at lead
    assert [s["reached"] for s in got["stages"]] == [9, 6, 5, 4, 3]
    assert got["unknown_stage"] == 1
    assert [s["reached"] for s in got["reps"]["bob"]] == [3, 1, 0, 0, 0]
    assert got["reps"]["bob"][2]["conversion_next"] is None  # 0/0: unknown, never 0
    assert got["summary"]["overall"] == 3 / 9


def test_funnel_filters(capsys, ws):
    code, out, _ = run(capsys, "funnel", "--workspace", ws, "--start", "2026-05-01", "--end", "2026-05-31",
                       "--basis", "closed", "--owner", "alice", "--json")
    # alice, closed in May: F1 (5), F3 (1), F5 (5)
    assert [s["reached"] for s in json.loads(out)["stages"]] == [3, 2, 2, 2, 2]


def test_funnel_refuses_a_reversed_period(capsys, ws):
    code, _, err = run(capsys, "funnel", "--workspace", ws, "--start", "2026-06-01", "--end", "2026-05-01")
    assert code == 2 and "after" in err
