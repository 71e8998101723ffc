"""The funnel: deals that reached each stage, conversions, reps side by side, the activity cascade,
and whether announced probabilities rise as stages advance.

Definitions (PRODUCT.md):
- a deal reached stage k as `analytics.measures.reached` says (history, uploads, the stage the CRM kept);
  a deal whose reached stage is unknown (lost, nothing places it: the usual first upload of Salesforce or
  HubSpot) reached the first stage at least, as every deal did: it is counted there (`unknown`), so that
  overall conversion = won / every closed deal = the win rate, never 100 % because the lost deals vanished;
- reached(k) = deals whose reached stage is k or beyond; conversion k -> k+1 = reached(k+1) / reached(k);
  from start = reached(k) / reached(lead); overall = won / reached(lead). NULL when the denominator is 0;
- with deals of unknown stage, every reached(k) past the first is a floor (those deals may have gone further):
  the conversions that read one (every stage but won) `could_change`, and the page and `funnel --json` say so;
  lead and won are exact, hence overall too;
- the deals counted are either the cohort created in the period (`basis="cohort"`: some are still open,
  so a recent cohort converts less so far) or the deals closed in it (`basis="closed"`: won or lost, by
  outcome_date);
- benchmarks (the seed articles): about 10 % of B2B opportunities end won; 30 % of proposals should;
- a rep is pointed out at a stage when at least MIN_DEALS_FLAG of the rep's deals reached it and the
  rep's conversion there is under FAR_BELOW x the team's median (the median over reps with a deal there).
"""
from __future__ import annotations

import pandas as pd

from analytics.filters import Filter, period_condition
from analytics.measures import activity
from analytics.measures.reached import FUNNEL_STAGES, reached_cte, table_readable
from analytics.schema import OPEN_STAGES
from analytics.selection import deals_cte

BASES = ("closed", "cohort")
B2B_OVERALL = 0.10  # Kestio: about one B2B opportunity in ten ends won
PROPOSAL_GOAL = 0.30  # the seed articles' goal: three proposals in ten signed
FAR_BELOW = 2 / 3  # a third under the team's median
MIN_DEALS_FLAG = 5  # a rep with fewer deals at a stage is not judged on it
STAGE_ORDERS = list(range(1, len(FUNNEL_STAGES) + 1))
# The articles' activity cascade: 100 calls -> 20 conversations -> 3 or 4 meetings -> 1 deal.
ARTICLE_CASCADE = {"calls": 100.0, "conversations": 20.0, "meetings": 3.5, "deals": 1.0}

# What a conversation and a held meeting are: analytics/measures/activity.py (the cascade's counts live there).
MISSED_CALL, MISSED_MEETING, MEETING_TYPES = activity.MISSED_CALL, activity.MISSED_MEETING, activity.MEETING_TYPES


# A deal of unknown reached stage reached the first stage at least (every deal did).
_AT_LEAST_FIRST = "coalesce(reached_order, 1)"
# Per row: the deals of unknown stage counted at the first stage (the row's team or rep), and whether they could
# change the row's conversion to the next stage (it reads a stage past the first; won's row has none).
_COULD_CHANGE = ("CAST(unknown AS BIGINT) AS unknown,"
                 f" (unknown > 0 AND k < {len(FUNNEL_STAGES)}) AS could_change")


def _empty_team() -> pd.DataFrame:
    """No deal at all: every stage at 0, conversions unknown, nothing that could change."""
    return pd.DataFrame({"stage": FUNNEL_STAGES, "stage_order": STAGE_ORDERS, "reached": 0,
                         "conversion_next": float("nan"), "from_start": float("nan"), "unknown": 0,
                         "could_change": False})


def _basis(basis: str, flt: Filter, alias: str = "r") -> tuple[str, list]:
    if basis == "cohort":
        return period_condition(f"{alias}.created_date", flt)
    if basis == "closed":
        cond, params = period_condition(f"{alias}.outcome_date", flt)
        return f"{alias}.status IN ('won', 'lost') AND {cond}", params
    raise ValueError(f"unknown basis {basis!r} (cohort or closed)")


def conversion(con, flt: Filter = Filter(), basis: str = "cohort", by_owner: bool = False,
               snapshot_id: int | None = None) -> pd.DataFrame:
    """Reached counts and conversions per stage, for the team (one row per stage) or per rep.

    Columns: [owner,] stage, stage_order, reached, conversion_next (to the next stage; NULL at won),
    from_start (reached / reached(lead)), unknown (deals of unknown stage, counted at the first stage),
    could_change (the row's conversion_next could change if their stages were known). Every stage is
    listed, reached or not (reached 0).
    """
    cond, cond_params = _basis(basis, flt)
    cte, params = reached_cte(flt, snapshot_id, where=cond, where_params=cond_params,
                              from_table=table_readable(con, snapshot_id))
    key = "owner" if by_owner else "'team'"
    stages = ", ".join(f"'{s}'" for s in FUNNEL_STAGES)  # fixed code strings
    sql = (
        f"WITH {cte},"
        f" hist AS (SELECT {key} AS who, {_AT_LEAST_FIRST} AS reached_order,"
        "  count(*) FILTER (WHERE reached_order IS NULL) AS u, count(*) AS n FROM reached r GROUP BY ALL),"
        " who AS (SELECT who, sum(u) AS unknown FROM hist GROUP BY who),"
        f" grid AS (SELECT who, unknown, k FROM who CROSS JOIN (SELECT unnest({STAGE_ORDERS}) AS k)),"
        " counts AS (SELECT g.who, g.unknown, g.k, coalesce(sum(h.n), 0) AS reached FROM grid g"
        "  LEFT JOIN hist h ON h.who = g.who AND h.reached_order >= g.k GROUP BY g.who, g.unknown, g.k),"
        " conv AS (SELECT who, unknown, k, reached,"
        "  lead(reached) OVER (PARTITION BY who ORDER BY k) / nullif(reached, 0) AS conversion_next,"
        "  reached / nullif(first_value(reached) OVER (PARTITION BY who ORDER BY k), 0) AS from_start FROM counts)"
        f" SELECT who AS owner, ([{stages}])[k] AS stage, k AS stage_order, CAST(reached AS BIGINT) AS reached,"
        " CAST(conversion_next AS DOUBLE) AS conversion_next, CAST(from_start AS DOUBLE) AS from_start,"
        f" {_COULD_CHANGE}"
        " FROM conv ORDER BY who, k"
    )
    frame = con.execute(sql, params).fetchdf()
    if not by_owner:
        frame = frame.drop(columns="owner")
        if frame.empty:  # no deal at all: every stage at 0, conversions unknown
            frame = _empty_team()
    return frame


def conversions(con, flt: Filter = Filter(), basis: str = "cohort", snapshot_id: int | None = None) -> dict:
    """{team: conversion(...), reps: rep_comparison(...)} from one read of the reached stages: the reps' counts
    are grouped once and the team's are their sum (what a page showing both needs)."""
    cond, cond_params = _basis(basis, flt)
    cte, params = reached_cte(flt, snapshot_id, where=cond, where_params=cond_params,
                              from_table=table_readable(con, snapshot_id))
    stages = ", ".join(f"'{s}'" for s in FUNNEL_STAGES)  # fixed code strings
    sql = (
        f"WITH {cte},"
        f" by_owner AS (SELECT owner, {_AT_LEAST_FIRST} AS reached_order,"
        "  count(*) FILTER (WHERE reached_order IS NULL) AS u, count(*) AS n FROM reached r GROUP BY ALL),"
        # level 0: each rep (as conversion(by_owner=True)); level 1: the team (as conversion())
        " hist AS (SELECT 0 AS lvl, owner AS who, reached_order, u, n FROM by_owner"
        "  UNION ALL SELECT 1, 'team', reached_order, sum(u), sum(n) FROM by_owner GROUP BY reached_order),"
        " who AS (SELECT lvl, who, sum(u) AS unknown FROM hist GROUP BY lvl, who),"
        f" grid AS (SELECT lvl, who, unknown, k FROM who CROSS JOIN (SELECT unnest({STAGE_ORDERS}) AS k)),"
        " counts AS (SELECT g.lvl, g.who, g.unknown, g.k, coalesce(sum(h.n), 0) AS reached FROM grid g"
        "  LEFT JOIN hist h ON h.lvl = g.lvl AND h.who = g.who AND h.reached_order >= g.k"
        "  GROUP BY g.lvl, g.who, g.unknown, g.k),"
        " conv AS (SELECT lvl, who, unknown, k, reached,"
        "  lead(reached) OVER (PARTITION BY lvl, who ORDER BY k) / nullif(reached, 0) AS conversion_next,"
        "  reached / nullif(first_value(reached) OVER (PARTITION BY lvl, who ORDER BY k), 0) AS from_start"
        "  FROM counts)"
        f" SELECT lvl, who AS owner, ([{stages}])[k] AS stage, k AS stage_order, CAST(reached AS BIGINT) AS reached,"
        " CAST(conversion_next AS DOUBLE) AS conversion_next, CAST(from_start AS DOUBLE) AS from_start,"
        f" {_COULD_CHANGE}"
        " FROM conv ORDER BY lvl, who, k"
    )
    frame = con.execute(sql, params).fetchdf()
    team = frame[frame.lvl == 1].drop(columns=["lvl", "owner"]).reset_index(drop=True)
    if team.empty:  # no deal at all: every stage at 0, conversions unknown
        team = _empty_team()
    reps = frame[frame.lvl == 0].drop(columns="lvl").reset_index(drop=True)
    return {"team": team, "reps": _compare_reps(reps)}


def unknown_count(con, flt: Filter = Filter(), basis: str = "cohort", snapshot_id: int | None = None) -> int:
    """Deals of the basis whose reached stage is unknown (counted at the first stage only)."""
    cond, cond_params = _basis(basis, flt)
    cte, params = reached_cte(flt, snapshot_id, where=cond, where_params=cond_params,
                              from_table=table_readable(con, snapshot_id))
    return int(con.execute(f"WITH {cte} SELECT count(*) FROM reached r WHERE reached_order IS NULL",
                           params).fetchall()[0][0])


def basis_condition(basis: str, flt: Filter) -> tuple[str, tuple]:
    """The SQL condition (alias r) and parameters selecting the deals a basis counts, for `reached_cte`."""
    cond, params = _basis(basis, flt)
    return cond, tuple(params)


def summary(frame: pd.DataFrame) -> dict:
    """Overall conversion (won / reached lead: exact, the deals of unknown stage are at lead) and proposal -> won
    (a ceiling when deals of unknown stage may have reached proposal: `proposal_to_won_could_change`) of a
    `conversion` frame (team or one rep); `unknown`: those deals."""
    reached = dict(zip(frame.stage, frame.reached))
    lead, proposal, won = reached.get("lead", 0), reached.get("proposal", 0), reached.get("won", 0)
    unknown = int(frame.unknown.iloc[0]) if "unknown" in frame and len(frame) else 0
    return {
        "deals": int(lead), "won": int(won), "unknown": unknown,
        "overall": won / lead if lead else None,
        "proposal_to_won": won / proposal if proposal else None,
        "proposal_to_won_could_change": bool(unknown and proposal),
        "benchmark_overall": B2B_OVERALL, "goal_proposal_to_won": PROPOSAL_GOAL,
    }


def rep_comparison(con, flt: Filter = Filter(), basis: str = "cohort", snapshot_id: int | None = None) -> pd.DataFrame:
    """Per rep and stage (but won): reached, conversion_next, the team's median of that conversion over reps
    with a deal there (team_median), and far_below (see the module's rule)."""
    return _compare_reps(conversion(con, flt, basis, by_owner=True, snapshot_id=snapshot_id))


def _compare_reps(reps: pd.DataFrame) -> pd.DataFrame:
    """rep_comparison's columns from conversion(by_owner=True)'s frame."""
    reps = reps[reps.stage != "won"].copy()
    judged = reps[reps.reached > 0]
    medians = judged.groupby("stage").conversion_next.median()
    reps["team_median"] = reps.stage.map(medians).astype(float)
    reps["far_below"] = ((reps.reached >= MIN_DEALS_FLAG) & reps.conversion_next.notna()
                         & (reps.conversion_next < FAR_BELOW * reps.team_median)).astype(bool)
    return reps.reset_index(drop=True)


def activity_counts(con, flt: Filter = Filter()) -> dict | None:
    """The activity steps of the cascade over the period: {calls, conversations, meetings, has_outcome}.

    calls: activities of type call; conversations: calls whose outcome says someone was reached (any outcome
    but a miss, see MISSED_CALL; None when no call has an outcome); meetings: prospects met, i.e. the deals
    (else accounts, else the meeting itself) with at least one meeting, video meeting or demo held (not
    cancelled) in the period, so that five meetings on one deal count once.
    None when the workspace has no activities. The counts: `analytics.measures.activity.cascade_counts`.
    """
    return activity.cascade_counts(con, flt)


def cascade_steps(counts: dict, team: pd.DataFrame) -> dict:
    """The cascade from `activity_counts` and a team `conversion` frame (proposals: deals that reached
    proposal; deals: won). Each step's ratio is the step over the one before (None when either is 0 or
    unknown). {steps: [{step, count, ratio}], has_outcome}."""
    reached = dict(zip(team.stage, team.reached))
    counts_list = [("calls", counts["calls"]), ("conversations", counts["conversations"]),
                   ("meetings", counts["meetings"]), ("proposals", int(reached["proposal"])),
                   ("deals", int(reached["won"]))]
    steps, before = [], None
    for step, count in counts_list:
        ratio = count / before if (before and count is not None) else None
        steps.append({"step": step, "count": count, "ratio": ratio})
        before = count
    return {"steps": steps, "has_outcome": counts["has_outcome"]}


def cascade(con, flt: Filter = Filter(), basis: str = "cohort", snapshot_id: int | None = None) -> dict | None:
    """The activity cascade of the period: calls -> conversations -> meetings -> proposals -> deals
    (`activity_counts`, then the deals of the basis that reached proposal, and won; see `cascade_steps`).
    None when the workspace has no activities."""
    counts = activity_counts(con, flt)
    if counts is None:
        return None
    return cascade_steps(counts, conversion(con, flt, basis, snapshot_id=snapshot_id))


def probability_by_stage(con, flt: Filter = Filter(), by_owner: bool = False,
                         snapshot_id: int | None = None) -> pd.DataFrame:
    """Mean probability of the open deals per stage (the data's, else the stage's default) and whether it
    falls from the stage before (`falls`: the alert). Columns: [owner,] stage, stage_order, deals,
    given (deals with a probability of their own), mean_probability, falls."""
    cte, params = deals_cte(flt, snapshot_id)
    key = "owner, " if by_owner else ""
    part = "PARTITION BY owner " if by_owner else ""
    opens = ", ".join(f"'{s}'" for s in OPEN_STAGES)
    sql = (
        f"WITH {cte}, p AS (SELECT {key}stage, stage_order, count(*) AS deals, count(probability_given) AS given,"
        "  avg(probability) AS mean_probability FROM deals"
        f"  WHERE status = 'open' AND stage IN ({opens}) GROUP BY ALL)"
        f" SELECT *, coalesce(mean_probability < lag(mean_probability) OVER ({part}ORDER BY stage_order), false)"
        f" AS falls FROM p ORDER BY {key}stage_order"
    )
    return con.execute(sql, params).fetchdf()
