"""`python -m analytics movement` and `forecast`: the same functions as the page, as JSON."""
from __future__ import annotations

import json

import duckdb
import pytest

from analytics import store
from analytics.__main__ import main
from tests import test_forecast, test_movement


def run(capsys, *argv):
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def _workspace(tmp_path, snapshots) -> str:
    path = tmp_path / "ws.duckdb"
    con = duckdb.connect(str(path))
    store.init_schema(con)
    for day, rows in snapshots:
        test_movement.insert_snapshot(con, day, rows)
    con.close()
    return str(path)


@pytest.fixture
def three_uploads(tmp_path):
    return _workspace(tmp_path, [(d, test_movement.SNAPSHOTS[d]) for d in test_movement.SNAPSHOTS])


def test_movement_json_between_two_dates(three_uploads, capsys):
    code, out, _ = run(capsys, "movement", "--workspace", three_uploads, "--from", "2026-05-04", "--to", "2026-05-11",
                       "--json")
    assert code == 0
    got = json.loads(out)
    # the hand-computed S1 -> S2 figures of tests/test_movement.py
    assert {k: got[k] for k in ("new_count", "won_count", "lost_count", "dropped_count", "reopened_count",
                                "advanced_count", "moved_back_count", "slipped_count", "amount_changed_count")} == \
        dict(new_count=2, won_count=1, lost_count=1, dropped_count=1, reopened_count=1, advanced_count=1,
             moved_back_count=1, slipped_count=1, amount_changed_count=2)
    assert (got["open_amount_before"], got["open_amount_after"]) == (54000, 45000)
    steps = {s["step"]: s["amount"] for s in got["waterfall"]}
    assert steps == {"open_before": 54000, "new": 9000, "reopened": 3000, "won": -20000, "lost": -4000,
                     "dropped": -5000, "amount_change": 8000, "open_after": 45000}
    assert (got["a_date"], got["b_date"]) == ("2026-05-04", "2026-05-11")


def test_movement_default_is_the_last_two_uploads_and_owner_filter(three_uploads, capsys):
    code, out, _ = run(capsys, "movement", "--workspace", three_uploads, "--owner", "alice", "--json")
    got = json.loads(out)
    # S2 -> S3 for alice: D1 12 000, D6 6 000, D7 7 000, D9 9 000 open in both: 34 000 -> 34 000, D1 D6 D9 slip
    assert code == 0 and (got["a_date"], got["b_date"]) == ("2026-05-11", "2026-05-18")
    assert (got["open_amount_before"], got["open_amount_after"], got["slipped_count"]) == (34000, 34000, 3)


@pytest.mark.parametrize("argv, message", [
    (["--from", "2026-01-01"], "2026-01-01"),  # no upload that early
    (["--from", "2026-05-18", "--to", "2026-05-11"], "antérieur"),
    (["--from", "2026-05-11", "--to", "2026-05-12"], "même import"),
])
def test_movement_bad_dates_exit_non_zero(three_uploads, capsys, argv, message):
    code, out, err = run(capsys, "movement", "--workspace", three_uploads, *argv, "--json")
    assert code == 1 and out == "" and message in err and "Traceback" not in err


def test_movement_needs_two_uploads(tmp_path, capsys):
    ws = _workspace(tmp_path, [(test_movement.S1, test_movement.SNAPSHOTS[test_movement.S1])])
    code, _, err = run(capsys, "movement", "--workspace", ws, "--lang", "en")
    assert code == 1 and "Two uploads" in err


def test_movement_bad_date_is_refused_by_argparse(three_uploads, capsys):
    with pytest.raises(SystemExit) as exc:
        main(["movement", "--workspace", three_uploads, "--from", "04/05/2026"])
    assert exc.value.code == 2
    assert "YYYY-MM-DD" in capsys.readouterr().err


@pytest.fixture
def two_forecast_uploads(tmp_path):
    return _workspace(tmp_path, [(test_forecast.F1, test_forecast.FIRST), (test_forecast.F2, test_forecast.SECOND)])


def test_forecast_json(two_forecast_uploads, capsys):
    code, out, _ = run(capsys, "forecast", "--workspace", two_forecast_uploads, "--json")
    assert code == 0
    got = json.loads(out)
    team = got["team"]
    # tests/test_forecast.py: 14 deals judged, Brier 4.39 / 14, 76 000 announced, 72 000 won, 1 slip in 15
    assert team["deals"] == 14 and team["brier"] == pytest.approx(4.39 / 14)
    assert (team["announced_amount"], team["won_amount"]) == (76000, 72000)
    assert team["slip_rate"] == pytest.approx(1 / 15)
    reps = {r["owner"]: r for r in got["reps"]}
    assert reps["alice"]["deals"] == 10 and reps["alice"]["brier"] == pytest.approx(0.25)
    assert reps["bob"]["brier"] is None and reps["bob"]["too_few"] is True
    assert got["base_date"] == "2026-04-01" and got["min_deals"] == 10


def test_forecast_as_of_after_every_upload_says_why(two_forecast_uploads, capsys):
    code, out, err = run(capsys, "forecast", "--workspace", two_forecast_uploads, "--as-of", "2026-06-01",
                         "--lang", "en")
    assert code == 1 and out == "" and "two uploads" in err
