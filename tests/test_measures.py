"""Issue 16, the measures layer: each figure seen wrong in the issue, with its numbers, on a fixture small enough
to compute by hand (the arithmetic is beside each value). One behaviour per test.

Every fixture here is built by `_workspace`: deals of one or two uploads, reps, targets and activities given
as rows, so that each test shows the few rows its figure reads.
"""
from __future__ import annotations

from datetime import date

import pytest

from analytics import store
from analytics.filters import Filter, period_bounds, previous, whole_end
from analytics.measures import kpis, quota

D = date.fromisoformat
MARCH = Filter(D("2026-03-01"), D("2026-03-31"))


def _deal(id_, owner="alice", status="won", amount=10000.0, closed="2026-03-10", close=None, probability=None,
          region=None, segment="Or", created="2026-01-05", margin=None, account=None):
    return dict(opportunity_id=id_, owner=owner, status=status, amount=amount, closed_date=closed if status != "open"
                else None, close_date=close or closed, probability=probability, region=region, segment=segment,
                created_date=created, margin=margin, account=account, stage={"won": "won", "lost": "lost"}.get(
                    status, "proposal"))


def _workspace(uploads: dict, reps=(), targets=(), activities=()):
    """uploads: {snapshot date: [deal dicts]}; reps: (owner, region, hourly_cost); targets: (owner, segment,
    quota_amount, period_start, period_end); activities: (owner, date, type, minutes, segment)."""
    con = store.memory_workspace()
    for day, deals in uploads.items():
        sid = store.new_snapshot(con, D(day), "test", len(deals))
        for d in deals:
            cols = list(d) + ["snapshot_id"]
            con.execute(f"INSERT INTO opportunities ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})",
                        list(d.values()) + [sid])
    for owner, region, cost in reps:
        con.execute("INSERT INTO reps (owner, team, region, hourly_cost) VALUES (?, 'T', ?, ?)", [owner, region, cost])
    for owner, segment, amount, start, end in targets:
        con.execute("INSERT INTO targets (owner, period, segment, quota_amount, period_start, period_end)"
                    " VALUES (?, ?, ?, ?, ?, ?)", [owner, start[:7], segment, amount, start, end])
    for i, (owner, day, type_, minutes, segment) in enumerate(activities):
        con.execute("INSERT INTO activities (activity_id, owner, date, type, duration_minutes, segment)"
                    " VALUES (?, ?, ?, ?, ?, ?)", [f"A{i}", owner, day, type_, minutes, segment])
    return con


# --- coverage ------------------------------------------------------------------------------------------------

def _coverage_workspace():
    # alice: quota 100 000 in March, won 40 000; open: 30 000 due in March (p 0.5), 90 000 due in June (p 0.2)
    return _workspace(
        {"2026-03-20": [_deal("W1", amount=40000), _deal("O1", status="open", amount=30000, close="2026-03-28",
                                                             probability=0.5),
                        _deal("O2", status="open", amount=90000, close="2026-06-15", probability=0.2)]},
        targets=[("alice", None, 100000, "2026-03-01", "2026-03-31")],
    )


def test_coverage_of_what_is_left_counts_the_deals_due_in_the_period():
    got = kpis.flash_kpis(_coverage_workspace(), MARCH)
    assert got["remaining_quota"] == 60000  # 100 000 - 40 000
    assert got["coverage_raw"] == pytest.approx(30000 / 60000)  # O1 only: 0.5
    assert got["coverage_weighted"] == pytest.approx(15000 / 60000)  # 30 000 x 0.5


def test_coverage_by_the_whole_pipeline_is_another_figure_with_another_name():
    got = kpis.flash_kpis(_coverage_workspace(), MARCH)
    assert got["coverage_pipeline_raw"] == pytest.approx((30000 + 90000) / 60000)  # 2.0
    assert got["coverage_pipeline_weighted"] == pytest.approx((15000 + 18000) / 60000)  # 0.55
    from analytics.strings_fr import FR
    assert FR["flash.kpi.coverage_raw"] != FR["flash.kpi.coverage_pipeline_raw"]


def test_a_rep_over_quota_has_nothing_left_to_win_and_no_coverage():
    # the rep: quota 10 000, won 13 300: "-3 300 EUR restant a gagner" before
    con = _workspace({"2026-03-20": [_deal("W1", amount=13300),
                                     _deal("O1", status="open", amount=5000, close="2026-03-30")]},
                     targets=[("alice", None, 10000, "2026-03-01", "2026-03-31")])
    got = kpis.flash_kpis(con, MARCH)
    assert got["remaining_quota"] == 0  # max(10 000 - 13 300, 0)
    assert got["coverage_raw"] is None and got["coverage_weighted"] is None  # quota reached: no coverage


def test_a_past_period_reads_the_pipeline_of_the_upload_valid_at_its_end():
    # upload of 25 March: 50 000 open due in March; upload of 20 May: that deal won, 200 000 open due in June
    early = [_deal("O1", status="open", amount=50000, close="2026-03-30", probability=0.4)]
    late = [_deal("O1", amount=50000, closed="2026-04-02"),
            _deal("O2", status="open", amount=200000, close="2026-06-10", probability=0.5)]
    con = _workspace({"2026-03-25": early, "2026-05-20": late},
                     targets=[("alice", None, 100000, "2026-03-01", "2026-03-31")])
    got = kpis.flash_kpis(con, MARCH)
    assert got["pipeline_date"] == "2026-03-25"
    assert got["open_amount"] == 50000  # the pipeline open on 25 March, not today's 200 000
    assert got["coverage_raw"] == pytest.approx(50000 / 100000)  # nothing won in March: 100 000 left
    assert got["coverage_pipeline_raw"] == pytest.approx(0.5)  # not 200 000 / 100 000


def test_a_period_older_than_every_upload_has_an_unknown_pipeline():
    con = _workspace({"2026-05-20": [_deal("O2", status="open", amount=200000, close="2026-03-10")]},
                     targets=[("alice", None, 100000, "2026-03-01", "2026-03-31")])
    got = kpis.flash_kpis(con, MARCH)
    assert got["open_amount"] is None and got["coverage_raw"] is None  # unknown, not today's 200 000
    assert got["notes"]["open_amount"]["note"] == "flash.note.no_pipeline_then"


# --- missing amounts -----------------------------------------------------------------------------------------

def test_a_sum_over_deals_none_of_which_has_an_amount_is_unknown():
    # Maven's sample: open deals without amounts. Before: "0 EUR" of open pipeline
    con = _workspace({"2026-03-20": [_deal("O1", status="open", amount=None, close="2026-03-30"),
                                     _deal("O2", status="open", amount=None, close="2026-04-30")]})
    got = kpis.flash_kpis(con, MARCH)
    assert got["open_amount"] is None and got["weighted_pipeline"] is None
    assert got["unvalued"]["open_amount"] == 2
    assert got["notes"]["open_amount"] == {"note": "flash.note.no_amount", "count": 2}


def test_a_partly_valued_sum_says_how_many_deals_it_leaves_out():
    con = _workspace({"2026-03-20": [_deal("O1", status="open", amount=30000, close="2026-03-30"),
                                     _deal("O2", status="open", amount=None, close="2026-03-30")]})
    got = kpis.flash_kpis(con, MARCH)
    assert got["open_amount"] == 30000  # O1; O2 left out
    assert got["notes"]["open_amount"] == {"note": "flash.note.partly_valued", "count": 1}


def test_the_basket_divides_by_the_valued_wins_only():
    con = _workspace({"2026-03-20": [_deal("W1", amount=100000), _deal("W2", amount=None)]})
    got = kpis.flash_kpis(con, MARCH)
    assert got["won_count"] == 2
    assert got["average_basket"] == pytest.approx(100000)  # 100 000 / 1 valued win, not 50 000
    assert got["unvalued"]["won_amount"] == 1


def test_an_amount_of_zero_is_a_value():
    con = _workspace({"2026-03-20": [_deal("W1", amount=100000), _deal("W2", amount=0.0)]})
    assert kpis.flash_kpis(con, MARCH)["average_basket"] == pytest.approx(50000)  # (100 000 + 0) / 2


def test_the_cli_prints_null_for_a_sum_with_no_valued_deal(tmp_path, capsys):
    import json

    import duckdb

    from analytics.__main__ import main
    path = tmp_path / "workspace.duckdb"
    con = duckdb.connect(str(path))
    store.init_schema(con)
    sid = store.new_snapshot(con, D("2026-03-20"), "test", 2)
    con.executemany("INSERT INTO opportunities (opportunity_id, owner, stage, status, amount, created_date,"
                    " close_date, snapshot_id) VALUES (?, 'alice', 'proposal', 'open', NULL, DATE '2026-01-05',"
                    " DATE '2026-03-30', ?)", [("O1", sid), ("O2", sid)])
    con.close()
    assert main(["kpis", "--workspace", str(path), "--start", "2026-03-01", "--end", "2026-03-31", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["open_amount"] is None and out["weighted_pipeline"] is None  # null, not 0
    assert out["unvalued"]["open_amount"] == 2


# --- quota ---------------------------------------------------------------------------------------------------

REP_AND_SEGMENTS = [
    ("alice", None, 100000, "2026-03-01", "2026-03-31"),  # alice's quota
    ("alice", "Or", 60000, "2026-03-01", "2026-03-31"),  # ... and its split by segment
    ("alice", "Argent", 40000, "2026-03-01", "2026-03-31"),
    ("bob", "Or", 30000, "2026-03-01", "2026-03-31"),  # bob: segment lines only
    ("bob", "Argent", 20000, "2026-03-01", "2026-03-31"),
]


def test_a_quota_given_per_rep_and_per_segment_is_not_summed():
    con = _workspace({"2026-03-20": [_deal("W1")]}, targets=REP_AND_SEGMENTS)
    assert kpis.flash_kpis(con, replace_owner(MARCH, "alice"))["quota"] == 100000  # not 200 000
    assert kpis.flash_kpis(con, replace_owner(MARCH, "bob"))["quota"] == 50000  # 30 000 + 20 000
    assert kpis.flash_kpis(con, MARCH)["quota"] == 150000  # team = 100 000 + 50 000


def test_with_a_segment_filter_the_quota_is_the_segment_lines():
    con = _workspace({"2026-03-20": [_deal("W1")]}, targets=REP_AND_SEGMENTS)
    or_march = Filter(MARCH.start, MARCH.end, segment="Or")
    assert kpis.flash_kpis(con, or_march)["quota"] == 90000  # alice 60 000 + bob 30 000


def test_the_quota_by_segment_reads_the_segment_lines():
    con = _workspace({"2026-03-20": [_deal("W1")]}, targets=REP_AND_SEGMENTS)
    df = kpis.kpi_table(con, MARCH, "segment")
    assert dict(zip(df["key"], df["quota"])) == {"Argent": 60000, "Or": 90000}


def test_the_target_lines_rule_is_one_function():
    assert "segment IS NOT NULL" in quota.targets_table(segment_lines=True)
    with pytest.raises(ValueError):
        quota.targets_table("amount; DROP TABLE targets")


def replace_owner(flt, owner):
    return Filter(flt.start, flt.end, owner=owner)


def test_the_region_is_the_owners_for_deals_quota_and_hours():
    # alice works from Lyon (reps); her deal says Paris. Before: the deal counted in Paris, her quota and
    # hours in Lyon. Now all three in Lyon; chloe has no reps row: her deal keeps its own region.
    con = _workspace(
        {"2026-03-20": [_deal("W1", amount=40000, region="Paris"), _deal("W2", owner="chloe", amount=7000,
                                                                         region="Paris")]},
        reps=[("alice", "Lyon", 50.0)],
        targets=[("alice", None, 100000, "2026-03-01", "2026-03-31")],
        activities=[("alice", "2026-03-05 10:00", "call", 60, "Or")],
    )
    lyon = kpis.flash_kpis(con, Filter(MARCH.start, MARCH.end, region="Lyon"))
    assert (lyon["won_amount"], lyon["quota"], lyon["time_spent_hours"]) == (40000, 100000, 1.0)
    assert lyon["quota_attainment"] == pytest.approx(0.4)  # 40 000 / 100 000 on the same rep
    paris = kpis.flash_kpis(con, Filter(MARCH.start, MARCH.end, region="Paris"))
    assert (paris["won_amount"], paris["quota"]) == (7000, None)  # chloe's deal, no quota


def _year_workspace():
    # 12 monthly targets of 10 000 in 2026; 25 000 won by 15 March
    months = [(f"2026-{m:02d}-01", f"2026-{m:02d}-{[31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][m - 1]}")
              for m in range(1, 13)]
    return _workspace({"2026-03-15": [_deal("W1", amount=25000, closed="2026-02-10")]},
                      targets=[("alice", None, 10000, s, e) for s, e in months])


def test_year_to_date_reads_the_whole_years_quota_like_the_year():
    con, today = _year_workspace(), D("2026-03-15")
    year = Filter(*period_bounds("year", today))
    ytd = Filter(*period_bounds("ytd", today), whole_end=whole_end("ytd", today))
    assert kpis.flash_kpis(con, year)["quota_attainment"] == pytest.approx(25000 / 120000)  # 20,8 %
    # before: 25 000 / (10 000 + 10 000 + 10 000 x 15/31) = 100,6 %
    assert kpis.flash_kpis(con, ytd)["quota_attainment"] == pytest.approx(25000 / 120000)


def test_last_twelve_months_are_a_whole_period():
    assert whole_end("last12", D("2026-03-15")) is None
    assert whole_end("ytd", D("2026-03-15")) == D("2026-12-31")


def test_year_to_date_compares_with_last_year_to_the_same_day():
    ytd = Filter(D("2026-01-01"), D("2026-03-15"), whole_end=D("2026-12-31"))
    assert previous(ytd, "previous") == Filter(D("2025-01-01"), D("2025-03-15"))


# --- segments ------------------------------------------------------------------------------------------------

def _segment_row(con, segment="Or"):
    from analytics.views import segments
    return segments.segment_table(con, MARCH, "segment").set_index("value").loc[segment]


def test_margin_per_new_customer_counts_the_new_customers_wins_only():
    # the numbers: 1 new customer (Newco, 10 000 margin) and 9 repeat wins of old accounts (90 000 margin)
    old = [_deal(f"P{i}", account=f"Old{i}", closed="2025-06-01", margin=1.0) for i in range(9)]
    repeat = [_deal(f"R{i}", account=f"Old{i}", margin=10000.0) for i in range(9)]
    con = _workspace({"2026-03-20": old + repeat + [_deal("N1", account="Newco", margin=10000.0)]})
    row = _segment_row(con)
    assert row["new_customers"] == 1 and row["margin"] == 100000  # every win's margin, still shown as margin
    assert row["margin_per_customer"] == 10000  # Newco's 10 000 / 1, not 100 000 / 1


def test_a_won_deal_without_margin_leaves_the_margin_unknown():
    con = _workspace({"2026-03-20": [_deal("W1", margin=4000.0), _deal("W2", margin=None)]})
    row = _segment_row(con)
    assert row["won_without_margin"] == 1
    assert row["margin"] != row["margin"]  # NaN: unknown, not 4 000 + 0


def test_partly_uncosted_hours_leave_the_time_cost_unknown_on_the_segments_page_as_on_the_flash_page():
    con = _workspace({"2026-03-20": [_deal("W1"), _deal("W2", owner="bob")]},
                     reps=[("alice", None, 50.0), ("bob", None, None)],
                     activities=[("alice", "2026-03-05 10:00", "call", 60, "Or"),
                                 ("bob", "2026-03-06 10:00", "call", 30, "Or")])
    row = _segment_row(con)
    assert row["uncosted_hours"] == 0.5  # bob's 30 minutes
    assert row["time_cost"] != row["time_cost"]  # NaN (a dash), not the floor 50
    assert kpis.flash_kpis(con, MARCH)["time_cost"] is None  # the flash page's rule


def test_the_segments_basket_divides_by_the_valued_wins():
    con = _workspace({"2026-03-20": [_deal("W1", amount=100000), _deal("W2", amount=None)]})
    assert _segment_row(con)["average_basket"] == 100000  # not 50 000
    assert kpis.flash_kpis(con, MARCH)["average_basket"] == 100000  # the same figure on the flash page


def test_meetings_have_one_definition_demos_included():
    from analytics.measures.activity import MEETING_TYPES
    from analytics.views import funnel, segments
    assert "demo" in MEETING_TYPES
    assert segments.MEETING_TYPES == MEETING_TYPES
    assert set(funnel.MEETING_TYPES) == set(MEETING_TYPES)  # the funnel's cascade counts the same types
    con = _workspace({"2026-03-20": [_deal("W1")]},
                     activities=[("alice", "2026-03-05 10:00", "demo", 60, "Or"),
                                 ("alice", "2026-03-06 10:00", "meeting", 60, "Or")])
    assert _segment_row(con)["meetings"] == 2  # the demo and the meeting


def test_the_planners_average_deal_divides_by_the_valued_wins():
    from analytics.views import plan
    con = _workspace({"2026-03-20": [_deal("W1", amount=100000), _deal("W2", amount=None)]})
    assert plan.measured(con, MARCH)["average_deal"] == 100000  # not 50 000


def test_the_review_trend_and_the_planner_read_the_same_quota_lines():
    from analytics.views import plan, reviews
    con = _workspace({"2026-03-20": [_deal("W1")]}, targets=REP_AND_SEGMENTS)
    trend = reviews.attainment_trend(con, MARCH, "alice", months=1, today=D("2026-03-20"))
    assert trend["quota"].tolist() == [100000]  # alice's own line, not 100 000 + 60 000 + 40 000
    assert plan.period_goal(con, MARCH) == 150000 == kpis.flash_kpis(con, MARCH)["quota"]


def test_named_parameters_keep_a_fragment_and_its_values_together():
    from analytics.selection import named
    assert named("a = ? AND b = ?", [1, 2], "x") == ("a = $x_0 AND b = $x_1", {"x_0": 1, "x_1": 2})
    with pytest.raises(ValueError):
        named("a = ?", [1, 2], "x")  # a value without its placeholder is an error, not a silent shift


def test_the_reviews_basket_divides_by_the_valued_wins():
    from analytics.views import reviews
    con = _workspace({"2026-03-20": [_deal("W1", amount=100000), _deal("W2", amount=None)]})
    gap = reviews.gaps(con, MARCH, "alice").set_index("metric")
    assert gap.loc["average_basket", "rep"] == 100000  # not 50 000
    assert gap.loc["average_basket", "rep"] == kpis.flash_kpis(con, MARCH)["average_basket"]


def test_the_individual_review_of_a_rep_over_quota_shows_nothing_negative_left(app):
    # the rep: quota 10 000, won 13 300: the page said "-3 300 EUR restant a gagner"
    with store.write_workspace("over") as con:
        sid = store.new_snapshot(con, D("2026-03-20"), "test", 2)
        for d in (_deal("W1", amount=13300), _deal("O1", status="open", amount=5000, close="2026-03-30")):
            cols = list(d) + ["snapshot_id"]
            con.execute(f"INSERT INTO opportunities ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})",
                        list(d.values()) + [sid])
        con.execute("INSERT INTO targets (owner, period, quota_amount, period_start, period_end)"
                    " VALUES ('alice', '2026-03', 10000, DATE '2026-03-01', DATE '2026-03-31')")
        store.log_import(con, {"test": True})
    app.session_state["workspace"] = "over"
    app.session_state["granted_workspaces"] = {"over"}
    app.run()
    app.switch_page("pages/review_individual.py").run()
    assert not app.exception
    captions = " ".join(c.value for c in app.caption)
    assert "-3" not in captions and "−3" not in captions  # no negative amount left to win
    assert "Quota atteint" in captions


def _flash_tiles(at) -> dict:
    return {m.label: m.value for m in at.metric}


def test_the_flash_page_reads_year_to_date_against_the_whole_years_quota(app):
    # the demo on 23/11: "year" and "year to date" hold the same wins; both read them against the whole year's quota
    from analytics.strings_fr import FR
    app.run()
    app.switch_page("pages/flash.py").run()
    app.selectbox(key="flt_preset__fr").set_value("year").run()
    year = _flash_tiles(app)[FR["flash.kpi.quota_attainment"]]
    app.selectbox(key="flt_preset__fr").set_value("ytd").run()
    assert not app.exception
    flt = app.session_state["filter"]
    assert flt.whole_end is not None and flt.whole_end > flt.end
    assert _flash_tiles(app)[FR["flash.kpi.quota_attainment"]] == year


def test_the_flash_page_shows_an_unvalued_pipeline_as_unknown_with_its_count(app):
    from analytics.strings_fr import FR
    with store.write_workspace("maven") as con:
        sid = store.new_snapshot(con, D("2026-03-20"), "test", 3)
        for d in (_deal("W1", amount=5000), _deal("O1", status="open", amount=None, close="2026-03-30"),
                  _deal("O2", status="open", amount=None, close="2026-04-30")):
            cols = list(d) + ["snapshot_id"]
            con.execute(f"INSERT INTO opportunities ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})",
                        list(d.values()) + [sid])
        store.log_import(con, {"test": True})
    app.session_state["workspace"] = "maven"
    app.session_state["granted_workspaces"] = {"maven"}
    app.run()
    app.switch_page("pages/flash.py").run()
    assert not app.exception
    tiles = _flash_tiles(app)
    assert tiles[FR["flash.kpi.open_amount"]] == "—"  # not "0 €"
    assert tiles[FR["flash.kpi.weighted_pipeline"]] == "—"
    assert "Inconnu : 2 affaire(s), aucune n'a de montant." in [c.value for c in app.caption]


def test_the_pack_says_a_sum_is_unknown_as_the_tile_does():
    import io

    import openpyxl

    from analytics.outputs import report
    from analytics.strings_fr import FR
    con = _workspace({"2026-03-20": [_deal("W1", amount=5000),
                                     _deal("O1", status="open", amount=None, close="2026-03-30")]})
    wb = openpyxl.load_workbook(io.BytesIO(report.build_pack(con, MARCH, "fr")))
    rows = {r[0].value: [c.value for c in r] for r in wb["Synthèse"].iter_rows(min_row=4) if r[0].value}
    open_row = rows[FR["flash.kpi.open_amount"]]
    assert open_row[1] is None  # an empty cell, not 0
    assert "Inconnu : 1 affaire(s), aucune n'a de montant." in open_row


@pytest.mark.parametrize("axis", ["segment", "region", "source", "team", "product", "owner"])
def test_the_segments_result_figures_are_the_registrys_on_every_axis(workspace, axis):
    # the shared fixture (tests/fixtures/workspace.py), May 2026: each row of the segments table carries the
    # same won / lost figures, win rate and basket as the KPI registry cut by the same axis
    from analytics.views import segments
    from tests.fixtures.workspace import MAY as SHARED_MAY
    flt = Filter(*SHARED_MAY)
    table = segments.segment_table(workspace, flt, axis).set_index("value")
    registry = kpis.kpi_table(workspace, flt, axis).set_index("key")
    compared = 0
    for value, row in table.iterrows():
        if value is None or value not in registry.index:
            continue
        compared += 1
        for key in ("won_count", "won_amount", "lost_count", "win_rate", "average_basket"):
            got, want = row[key], registry.loc[value, key]
            assert (got != got and want != want) or got == pytest.approx(want), (axis, value, key, got, want)
    assert compared >= 2, axis  # the test compares rows, not nothing
