"""Individual and collective review figures against values computed by hand on a small fixture.

Today is 2026-05-20 (the latest of three weekly uploads: 6, 13 and 20 May); the period is May 2026.
Team T: ana (Paris, hired 2020), ben (Lyon, 2022), cleo (Paris, hired 29 April 2026: three weeks of history),
dan (Marseille, 2019, no quota). Deals closed in May (region: the owner's):

  id   owner seg     status amount in_target lost_reason
  O1   ana   Or      won    10 000  yes
  O2   ana   Or      lost    5 000  no        Prix
  O3   ana   Or      lost    8 000  no        Prix
  O4   dan   Or      won    20 000  yes
  O5   dan   Or      won    30 000  yes
  O6   dan   Or      lost    4 000  no        Concurrent
  O7   ana   Argent  won     6 000  yes
  O8   ben   Argent  won     4 000  yes
  O9   ben   Argent  lost    2 000  yes       -
  O10  dan   Argent  lost    3 000  yes       Concurrent
  O11  ben   Bronze  won     1 000  yes                 (ben is alone in Bronze)
  O12  ben   Bronze  lost    1 000  yes       Prix
  O13  ben   Bronze  lost    1 000  yes       -
  O14  cleo  Argent  lost    2 000  yes       Prix

  team per segment: Or 6 closed, 3 won, 60 000 won (win rate 0.5, 10 000 won per closed deal)
                    Argent 5 closed, 2 won, 10 000 (0.4, 2 000 per closed deal)
                    Bronze 3 closed, 1 won, 1 000 (1/3, 333.33 per closed deal)
  team: 14 closed, 6 won (3/7 = 0.428571), 71 000 won, basket 11 833.33, 4 reps -> 17 750 per rep

Open deals of ana (three uploads):
  O20 negotiation, 6 May: proposal 12 000 due 15 May; 13 May: negotiation 12 000 due 21 May;
      20 May: negotiation 10 000 due 28 May, probability 0.5  (slipped twice, amount cut, stage since 13 May)
  O21 proposal 6 000, no probability (default 0.5), due 10 May in all three uploads, created 20 April
  O22 lead 20 000 at 0.1, due 15 July, created 15 May, entered lead on 16 May (stage_history)
Targets: ana May 20 000 (10 activities planned), ana April 20 000 (10 planned), ben May 10 000, cleo May 5 000.
Activities: ana 8 in April, 3 in May.
"""
from __future__ import annotations

from datetime import date

import pytest

from analytics.views import reviews
from analytics import store
from analytics.filters import Filter

TODAY = date(2026, 5, 20)
MAY = Filter(date(2026, 5, 1), date(2026, 5, 31))

# id, owner, segment, stage, status, amount, probability, created, close, lost_reason, in_target
CLOSED = [
    ("O1", "ana", "Or", "won", "won", 10000, 1.0, "2026-03-01", "2026-05-05", None, True),
    ("O2", "ana", "Or", "proposal", "lost", 5000, 0.0, "2026-03-02", "2026-05-06", "Prix", False),
    ("O3", "ana", "Or", "lead", "lost", 8000, 0.0, "2026-03-03", "2026-05-07", "Prix", False),
    ("O4", "dan", "Or", "won", "won", 20000, 1.0, "2026-03-04", "2026-05-08", None, True),
    ("O5", "dan", "Or", "won", "won", 30000, 1.0, "2026-03-05", "2026-05-09", None, True),
    ("O6", "dan", "Or", "lead", "lost", 4000, 0.0, "2026-03-06", "2026-05-10", "Concurrent", False),
    ("O7", "ana", "Argent", "won", "won", 6000, 1.0, "2026-03-07", "2026-05-11", None, True),
    ("O8", "ben", "Argent", "won", "won", 4000, 1.0, "2026-03-08", "2026-05-12", None, True),
    ("O9", "ben", "Argent", "lead", "lost", 2000, 0.0, "2026-03-09", "2026-05-13", None, True),
    ("O10", "dan", "Argent", "lead", "lost", 3000, 0.0, "2026-03-10", "2026-05-14", "Concurrent", True),
    ("O11", "ben", "Bronze", "won", "won", 1000, 1.0, "2026-03-11", "2026-05-15", None, True),
    ("O12", "ben", "Bronze", "lead", "lost", 1000, 0.0, "2026-03-12", "2026-05-16", "Prix", True),
    ("O13", "ben", "Bronze", "lead", "lost", 1000, 0.0, "2026-03-13", "2026-05-17", None, True),
    ("O14", "cleo", "Argent", "lead", "lost", 2000, 0.0, "2026-05-01", "2026-05-18", "Prix", True),
]
OPEN_BY_UPLOAD = {
    date(2026, 5, 6): [
        ("O20", "ana", "Or", "proposal", "open", 12000, 0.5, "2026-04-01", "2026-05-15", None, True),
        ("O21", "ana", "Or", "proposal", "open", 6000, None, "2026-04-20", "2026-05-10", None, True),
    ],
    date(2026, 5, 13): [
        ("O20", "ana", "Or", "negotiation", "open", 12000, 0.5, "2026-04-01", "2026-05-21", None, True),
        ("O21", "ana", "Or", "proposal", "open", 6000, None, "2026-04-20", "2026-05-10", None, True),
    ],
    TODAY: [
        ("O20", "ana", "Or", "negotiation", "open", 10000, 0.5, "2026-04-01", "2026-05-28", None, True),
        ("O21", "ana", "Or", "proposal", "open", 6000, None, "2026-04-20", "2026-05-10", None, True),
        ("O22", "ana", "Or", "lead", "open", 20000, 0.1, "2026-05-15", "2026-07-15", None, True),
    ],
}
REPS = [
    ("ana", "T", "Paris", "2020-01-06"), ("ben", "T", "Lyon", "2022-01-03"),
    ("cleo", "T", "Paris", "2026-04-29"), ("dan", "T", "Marseille", "2019-01-07"),
]
TARGETS = [  # owner, period, quota, planned activities, start, end
    ("ana", "2026-05", 20000, 10, "2026-05-01", "2026-05-31"),
    ("ana", "2026-04", 20000, 10, "2026-04-01", "2026-04-30"),
    ("ben", "2026-05", 10000, None, "2026-05-01", "2026-05-31"),
    ("cleo", "2026-05", 5000, None, "2026-05-01", "2026-05-31"),
]
ACTIVITIES = [(f"A{i}", f"2026-04-{i + 1:02d} 10:00", "ana", "call") for i in range(8)] + [
    (f"B{i}", f"2026-05-{i + 1:02d} 10:00", "ana", "call") for i in range(3)
]


def insert_upload(con, day, rows):
    sid = store.new_snapshot(con, day, "test", len(rows))
    con.executemany(
        "INSERT INTO opportunities (opportunity_id, name, owner, segment, stage, status, amount, probability,"
        " created_date, close_date, lost_reason, in_target, snapshot_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [(r[0], f"Deal {r[0]}") + r[1:] + (sid,) for r in rows],
    )


def make_workspace(full: bool = True):
    con = store.memory_workspace()
    for day, rows in OPEN_BY_UPLOAD.items():
        insert_upload(con, day, rows + (CLOSED if day == TODAY else []))
    if full:
        con.executemany("INSERT INTO reps (owner, team, region, hire_date) VALUES (?, ?, ?, ?)", REPS)
        con.executemany(
            "INSERT INTO targets (owner, period, quota_amount, planned_activities, period_start, period_end)"
            " VALUES (?, ?, ?, ?, ?, ?)", TARGETS,
        )
        con.executemany("INSERT INTO activities (activity_id, date, owner, type) VALUES (?, ?, ?, ?)", ACTIVITIES)
        con.execute("INSERT INTO stage_history (opportunity_id, stage, entered_at) VALUES ('O22', 'lead', TIMESTAMP '2026-05-16 09:00')")
    return con


@pytest.fixture(scope="module")
def con():
    return make_workspace()


def approx(value):
    return pytest.approx(value, rel=1e-9, abs=1e-9)


def row(df, column, value):
    found = df[df[column] == value]
    assert len(found) == 1, (column, value, df)
    return found.iloc[0]


# --- mix adjustment ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("owner, segment, expected", [
    # rep closed x team win rate on the segment; rep closed x team won amount per closed deal
    ("ana", "Or", dict(rep_closed=3, rep_won=1, team_win_rate=0.5, expected_won=1.5, expected_amount=30000)),
    ("ana", "Argent", dict(rep_closed=1, rep_won=1, team_win_rate=0.4, expected_won=0.4, expected_amount=2000)),
    ("ben", "Argent", dict(rep_closed=2, rep_won=1, team_win_rate=0.4, expected_won=0.8, expected_amount=4000)),
    # ben alone in Bronze meets his own rates there: expected = actual, the segment explains nothing
    ("ben", "Bronze", dict(rep_closed=3, rep_won=1, team_win_rate=1 / 3, expected_won=1, expected_amount=1000)),
])
def test_mix_by_segment(con, owner, segment, expected):
    got = row(reviews.mix(con, MAY, owner, "segment"), "value", segment)
    for key, value in expected.items():
        assert got[key] == approx(value), key


def test_rep_alone_in_a_segment_meets_his_own_rates(con):
    bronze = row(reviews.mix(con, MAY, "ben", "segment"), "value", "Bronze")
    assert bronze["team_closed"] == bronze["rep_closed"] == 3
    assert bronze["expected_amount"] == approx(bronze["rep_won_amount"])  # 3 x 1 000 / 3 = 1 000 won


@pytest.mark.parametrize("metric, rep, team, expected_segment, volume", [
    # ana: 4 closed, 2 won, 16 000. Expected on her mix: 1.5 + 0.4 = 1.9 wins, 30 000 + 2 000 = 32 000
    # volume: ana's 4 closed deals against the team's 14 / 4 reps = 3.5, at 71 000 / 14 won per closed deal
    ("won_amount", 16000, 71000 / 4, 32000, (4 - 14 / 4) * 71000 / 14),  # team: 71 000 won by 4 reps
    ("average_basket", 8000, 71000 / 6, 32000 / 1.9, 0),  # 16 842.11; a basket has no volume part
    ("win_rate", 0.5, 6 / 14, 1.9 / 4, 0),  # 0.475
])
def test_gaps_of_ana_with_the_segment_mix(con, metric, rep, team, expected_segment, volume):
    got = row(reviews.gaps(con, MAY, "ana"), "metric", metric)
    assert got["rep"] == approx(rep)
    assert got["team"] == approx(team)
    assert got["gap"] == approx(rep - team)
    assert got["expected_segment"] == approx(expected_segment)
    assert got["volume_segment"] == approx(volume)
    assert got["explained_segment"] == approx(expected_segment - team - volume)
    assert got["remaining_segment"] == approx(rep - expected_segment)
    assert got["volume_segment"] + got["explained_segment"] + got["remaining_segment"] == approx(got["gap"])


def test_gaps_by_in_target_mix(con):
    # ana: 2 in-target closed deals (both won), 2 out of target (both lost).
    # team in target: 11 closed, 6 won, 71 000; out of target: 3 closed (O2 O3 O6), none won.
    # expected wins 2 x 6/11 = 1.0909, expected amount 2 x 71 000 / 11 = 12 909.09
    got = reviews.gaps(con, MAY, "ana").set_index("metric")["expected_in_target"]
    assert got["won_amount"] == approx(2 * 71000 / 11)
    assert got["win_rate"] == approx(2 * 6 / 11 / 4)


def test_context_of_ana(con):
    ctx = reviews.context(con, MAY, "ana", TODAY)
    assert ctx["team"] == "T" and ctx["region"] == "Paris"
    assert ctx["in_target_share"] == approx(0.5)  # O1 O7 of O1 O2 O3 O7
    assert ctx["team_in_target_share"] == approx(11 / 14)  # all but O2 O3 O6
    assert ctx["seniority_days"] == (TODAY - date(2020, 1, 6)).days
    assert ctx["new_rep"] is False


def test_new_rep_with_three_weeks_of_history(con):
    ctx = reviews.context(con, MAY, "cleo", TODAY)
    assert ctx["seniority_days"] == 21  # 29 April -> 20 May
    assert ctx["new_rep"] is True
    review = reviews.individual(con, MAY, "cleo", TODAY)
    trend = review["attainment_trend"]
    assert trend["quota"].isna().sum() == 5  # no quota before May: attainment undefined, not 0
    assert row(trend, "month", date(2026, 5, 1))["attainment"] == 0.0  # 0 won / 5 000
    assert review["deals_to_work"].empty
    assert [i["key"] for i in review["summary"]] == [
        "review.summary.quota_coverage",  # 0 % of 5 000, coverage 0 / 5 000 = 0
        "review.summary.gap_won_amount",  # 0 against 17 750 (-100 %, ties with win rate: revenue first)
        "review.summary.new_rep",
    ]


def test_rep_with_no_quota(con):
    review = reviews.individual(con, MAY, "dan", TODAY)
    assert review["headline"]["quota"] is None
    assert review["headline"]["coverage_raw"] is None
    assert review["attainment_trend"]["attainment"].isna().all()
    first = review["summary"][0]
    assert first["key"] == "review.summary.no_quota"
    assert first["values"] == {"won": 50000, "pipeline": 0}  # O4 + O5; no open deal


# --- quota, coverage and trends --------------------------------------------------------------------------------

def test_headline_of_ana_reuses_the_flash_kpis(con):
    head = reviews.headline(con, MAY, "ana")
    assert head["quota_attainment"] == approx(0.8)  # 16 000 / 20 000
    assert head["remaining_quota"] == approx(4000)
    assert head["coverage_raw"] == approx(4.0)  # (O20 10 000 + O21 6 000, due in May) / 4 000
    assert head["coverage_weighted"] == approx(2.0)  # (5 000 + 3 000) / 4 000


def test_attainment_trend_of_ana(con):
    trend = reviews.attainment_trend(con, MAY, "ana", today=TODAY)
    assert list(trend["month"]) == [date(2025, 12, 1), date(2026, 1, 1), date(2026, 2, 1), date(2026, 3, 1),
                                    date(2026, 4, 1), date(2026, 5, 1)]
    assert row(trend, "month", date(2026, 4, 1))["attainment"] == 0.0  # 0 / 20 000
    assert row(trend, "month", date(2026, 5, 1))["attainment"] == approx(0.8)


@pytest.mark.parametrize("owner", ["ana", None])
def test_attainment_trend_agrees_with_the_kpi_registry(con, owner):
    from analytics.measures import kpis

    trend = reviews.attainment_trend(con, MAY, owner, today=TODAY)
    table = kpis.kpi_table(con, Filter(date(2025, 12, 1), MAY.end, owner=owner), "month")
    assert list(trend["won_amount"]) == pytest.approx(list(table["won_amount"]))
    assert list(trend["quota"].fillna(-1)) == pytest.approx(list(table["quota"].fillna(-1)))


def test_team_attainment_trend_sums_individual_quotas(con):
    may = row(reviews.attainment_trend(con, MAY, today=TODAY), "month", date(2026, 5, 1))
    assert may["quota"] == approx(35000)  # 20 000 + 10 000 + 5 000
    assert may["won_amount"] == approx(71000)


def test_activity_trend_against_plan(con):
    trend = reviews.activity_trend(con, MAY, "ana", today=TODAY).set_index("month")
    assert trend.loc[date(2026, 4, 1), "activities"] == 8
    assert trend.loc[date(2026, 4, 1), "ratio"] == approx(0.8)  # 8 / 10 planned
    assert trend.loc[date(2026, 5, 1), "ratio"] == approx(0.3)  # 3 / 10
    assert trend.loc[date(2026, 3, 1), "planned"] != trend.loc[date(2026, 3, 1), "planned"]  # NaN: no plan


# --- deals to work on first ----------------------------------------------------------------------------------

# points: weighted value 40 x weighted / 5 000 (O20's); age 20 x min(days / 60, 1); passed 20; slipped twice 10;
# cut 10.
DEALS = {
    # O20: 5 000 weighted (40), in negotiation since the 13 May upload (7 days: 2.33), due 28 May, slipped
    # 15 -> 21 -> 28 May (twice: 10), 12 000 -> 10 000 (cut: 10)
    "O20": dict(days_in_stage=7, close_date_passed=False, slips=2, points_weighted_value=40,
                points_age_in_stage=20 * 7 / 60, points_slipped_twice=10, points_amount_cut=10,
                score=40 + 20 * 7 / 60 + 10 + 10),
    # O21: 6 000 x 0.5 (proposal default) = 3 000 (24), proposal in every upload: since the first of them,
    # 6 May (analytics.measures.stays: 14 days, 4.67), due 10 May (passed: 20)
    "O21": dict(days_in_stage=14, close_date_passed=True, slips=0, points_weighted_value=24,
                points_age_in_stage=20 * 14 / 60, points_close_date_passed=20, score=24 + 20 * 14 / 60 + 20),
    # O22: 2 000 weighted (16), entered lead on 16 May by stage_history (4 days: 1.33)
    "O22": dict(days_in_stage=4, points_weighted_value=16, points_age_in_stage=20 * 4 / 60, score=16 + 20 * 4 / 60),
}


@pytest.mark.parametrize("deal", sorted(DEALS))
def test_deals_to_work_score_components(con, deal):
    got = row(reviews.deals_to_work(con, MAY, "ana", TODAY), "opportunity_id", deal)
    for key, value in DEALS[deal].items():
        assert got[key] == approx(value), key


def test_deals_to_work_order(con):
    assert list(reviews.deals_to_work(con, MAY, "ana", TODAY)["opportunity_id"]) == ["O20", "O21", "O22"]


# --- summary -------------------------------------------------------------------------------------------------

def test_summary_of_ana_names_its_numbers(con):
    items = reviews.individual(con, MAY, "ana", TODAY)["summary"]
    assert [i["key"] for i in items] == [
        "review.summary.quota_coverage",
        "review.summary.gap_average_basket",  # 8 000 vs 11 833 (-32 %) beats revenue (-10 %); win rate is above
        "review.summary.in_target",  # 50 % vs 78.6 %: 28.6 points below
    ]
    assert items[0]["values"]["coverage_raw"] == approx(4.0)
    assert items[1]["values"]["expected"] == approx(32000 / 1.9)
    assert items[2]["values"] == {"share": approx(0.5), "team_share": approx(11 / 14)}


# --- the collective review -----------------------------------------------------------------------------------

def test_wins_largest_first(con):
    assert list(reviews.wins(con, MAY)["opportunity_id"]) == ["O5", "O4", "O1", "O7", "O8", "O11"]


def test_losses_grouped_by_reason(con):
    got = reviews.losses_by_reason(con, MAY)
    assert list(got["lost_reason"].fillna("-")) == ["Prix", "Concurrent", "-"]
    assert list(got["lost_count"]) == [4, 2, 2]  # O2 O3 O12 O14; O6 O10; O9 O13
    assert list(got["lost_amount"]) == [16000, 7000, 3000]
    assert list(got["share"]) == [0.5, 0.25, 0.25]


@pytest.mark.parametrize("kpi, reps, q", [
    # win rates: ana 2/4 = 0.5, ben 2/5 = 0.4, cleo 0/1 = 0, dan 2/4 = 0.5; sorted 0, 0.4, 0.5, 0.5
    # q1 at position 0.75: 0 + 0.75 x 0.4 = 0.3; median 0.45; q3 at 2.25: 0.5
    ("win_rate", 4, dict(min=0.0, q1=0.3, median=0.45, q3=0.5, max=0.5)),
    # attainment: ana 16 000 / 20 000 = 0.8, ben 5 000 / 10 000 = 0.5, cleo 0 / 5 000 = 0; dan has no quota
    ("quota_attainment", 3, dict(min=0.0, q1=0.25, median=0.5, q3=0.65, max=0.8)),
    # baskets: ana 8 000, ben 2 500, dan 25 000 (cleo won nothing: no basket); ratio 25 000 / 2 500
    ("average_basket", 3, dict(min=2500, median=8000, max=25000, spread_ratio=10)),
])
def test_spread_per_kpi(con, kpi, reps, q):
    values, summary = reviews.spread(con, MAY)
    got = row(summary, "kpi", kpi)
    assert got["reps"] == reps
    assert len(values[values["kpi"] == kpi]) == reps
    for key, value in q.items():
        assert got[key] == approx(value), key


@pytest.mark.parametrize("min_closed, expected", [
    # Or: ana 1/3, dan 2/3 -> dan; Argent: ben 1/2 (ana 1 deal, cleo 1, dan 1 do not qualify); Bronze: ben 1/3
    (2, {"Or": ("dan", 2 / 3, 2), "Argent": ("ben", 0.5, 1), "Bronze": ("ben", 1 / 3, 1)}),
    # nobody closed 5 deals in one segment: no best converter is named
    (5, {"Or": (None, None, 0), "Argent": (None, None, 0), "Bronze": (None, None, 0)}),
])
def test_best_converter_per_segment(con, min_closed, expected):
    got = reviews.best_converters(con, MAY, min_closed).set_index("segment")
    for segment, (owner, rate, qualified) in expected.items():
        assert (got.loc[segment, "owner"] if got.loc[segment, "owner"] == got.loc[segment, "owner"] else None) == owner
        if rate is not None:
            assert got.loc[segment, "win_rate"] == approx(rate)
        assert got.loc[segment, "qualified"] == qualified
        assert got.loc[segment, "min_closed"] == min_closed
    assert got.loc["Or", "team_win_rate"] == approx(0.5)


def test_collective_headline_is_the_team_against_the_sum_of_quotas(con):
    head = reviews.collective(con, Filter(MAY.start, MAY.end, owner="ana"), TODAY)["headline"]
    assert head["quota"] == approx(35000)  # the owner filter is left out: the review is the team's
    assert head["quota_attainment"] == approx(71000 / 35000)


# --- a workspace with nothing but opportunities ----------------------------------------------------------------

def test_opportunities_only_workspace():
    con = make_workspace(full=False)
    review = reviews.individual(con, MAY, "ana", TODAY)
    assert review["activity_trend"] is None
    assert review["context"]["team"] is None and review["context"]["hire_date"] is None
    # no team in reps: ana is compared with the whole selection, the same 14 deals here
    assert row(review["gaps"], "metric", "win_rate")["team"] == approx(6 / 14)
    assert review["summary"][0]["key"] == "review.summary.no_quota"
    team = reviews.collective(con, MAY, TODAY)
    assert team["headline"]["quota"] is None
    assert len(team["wins"]) == 6


# --- pieces read from the funnel, movement and forecast modules -------------------------------------------------

@pytest.mark.parametrize("stage, rep_reached, rep_conversion, team_reached, team_conversion", [
    # deals closed in May; a lost deal reached the stage it was lost at (O2 proposal, the others lead), a won
    # deal every stage. ana: O1 O7 won, O2 lost at proposal, O3 at lead.
    ("lead", 4, 3 / 4, 14, 7 / 14),  # team: 6 won + O2 go past lead
    ("proposal", 3, 2 / 3, 7, 6 / 7),
    ("won", 2, None, 6, None),  # O1 O7; the team's six wins
])
def test_funnel_against_the_team(con, stage, rep_reached, rep_conversion, team_reached, team_conversion):
    got = row(reviews.funnel_against_team(con, MAY, "ana"), "stage", stage)
    assert got["rep_reached"] == rep_reached
    if rep_conversion is not None:
        assert got["rep_conversion"] == approx(rep_conversion)
        assert got["team_conversion"] == approx(team_conversion)
    assert got["team_reached"] == team_reached
    assert got["rep_from_start"] == approx(rep_reached / 4)  # ana's 4 deals closed in May all reached lead


def test_week_movement_between_the_last_two_uploads(con):
    moved = reviews.week_movement(con, MAY)
    assert (moved["a_date"], moved["b_date"]) == (date(2026, 5, 13), TODAY)
    steps = {s["step"]: s["amount"] for s in moved["waterfall"]}
    assert steps["open_before"] == 18000  # O20 12 000 + O21 6 000 on 13 May
    assert steps["new"] == 20000  # O22 (the deals new and already closed never were in the open pipeline)
    assert steps["amount_change"] == -2000  # O20 12 000 -> 10 000
    assert steps["open_after"] == 36000  # 18 000 + 20 000 - 2 000
    counts = {c["change"]: c["count"] for c in moved["counts"]}
    assert counts["slipped"] == 1  # O20: 21 -> 28 May


def test_week_movement_needs_two_uploads():
    con = store.memory_workspace()
    insert_upload(con, TODAY, CLOSED)
    assert reviews.week_movement(con, MAY) == {"error": "movement.need_two", "params": {}}


def test_forecast_reliability_with_too_few_deals_judged(con):
    # judged: open on 6 May (O20, O21) and closed by 20 May: none, so no score
    reliability = reviews.forecast_of(con, MAY, "ana")
    assert reliability["method"] == "snapshots"
    assert reliability["team"]["deals"] == 0 and reliability["team"]["too_few"] is True
