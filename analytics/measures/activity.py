"""The activity family's shared words: what counts as a meeting, everywhere (segments, funnel, reviews), and the
activity cascade's counts (calls, conversations, prospects met) the funnel and the planner read.

A meeting is an activity of type "meeting", "video meeting" or "demo": a demo is a meeting with the
prospect, whatever the room. One definition for every page; each page's help says it
(strings "segments.help.meetings", "funnel.step.meetings").
"""
from __future__ import annotations

from analytics.filters import Filter, activity_conditions
from analytics.measures import derived
from analytics.selection import named as selection_named

MEETING_TYPES = ("meeting", "video meeting", "demo")
# A call is a conversation when its outcome says someone was reached: any outcome but these misses
# (lower case, accents stripped, matched as whole phrases inside the outcome).
MISSED_CALL = ("pas de reponse|sans reponse|no answer|not answered|unanswered|messagerie|repondeur|voicemail|"
               "voice mail|left message|message laisse|busy|occupe|injoignable|unreachable|non joint|"
               "faux numero|wrong number|annule|cancelled|canceled|echec|failed|no show")
# A meeting happened unless its outcome says it was cancelled or missed.
MISSED_MEETING = "annule|cancelled|canceled|reporte|postponed|no show|absent|rescheduled"

# Each distinct outcome is read once (a CRM writes a handful of them), not once per activity.
_OUTCOMES = (
    "oc AS (SELECT outcome, trim(outcome) <> '' AS given,"
    "  NOT regexp_matches(strip_accents(lower(outcome)), $missed_call) AS reached_someone,"
    "  NOT regexp_matches(strip_accents(lower(outcome)), $missed_meeting) AS held"
    "  FROM (SELECT DISTINCT outcome FROM activities WHERE outcome IS NOT NULL))"
)
_TYPES = ", ".join(f"'{t}'" for t in MEETING_TYPES)
# Per activity, what the cascade counts: a call, a call with an outcome, a conversation, the prospect met.
_STEP_COLUMNS = (
    "a.type = 'call' AS is_call, coalesce(a.type = 'call' AND oc.given, false) AS call_outcome,"
    " coalesce(a.type = 'call' AND oc.given AND oc.reached_someone, false) AS conversation,"
    f" CASE WHEN a.type IN ({_TYPES}) AND coalesce(oc.held, true) THEN"
    "  coalesce(a.opportunity_id, a.account, a.activity_id, CAST(a.date AS VARCHAR) || a.owner) END AS met"
)
_STEP_COUNTS = ("count(*) FILTER (WHERE is_call), count(*) FILTER (WHERE conversation),"
                " count(*) FILTER (WHERE call_outcome), count(DISTINCT met)")

# The calls and held meetings of the cascade with what it counts of each (`_STEP_COLUMNS`) and the columns the
# filter reads (date, owner, segment, opportunity_id), ordered by date, kept as a table per data version
# (analytics/measures/derived.py): a period's cascade then reads the few row groups of its dates instead of the
# outcomes of every activity of the workspace (5 M at the benchmark's size) on each cold render.
STEPS_TABLE = "activity_steps"
STEPS_STATE = "activity_steps_state"


def refresh_steps(con) -> None:
    """(Re)build the cascade's activity steps for the workspace's current data version."""
    con.execute(
        f"CREATE OR REPLACE TABLE {STEPS_TABLE} AS WITH {_OUTCOMES}"
        f" SELECT a.date, a.owner, a.segment, a.opportunity_id, {_STEP_COLUMNS}"
        " FROM activities a LEFT JOIN oc ON oc.outcome = a.outcome"
        f" WHERE a.type = 'call' OR (a.type IN ({_TYPES}) AND coalesce(oc.held, true)) ORDER BY a.date",
        {"missed_call": MISSED_CALL, "missed_meeting": MISSED_MEETING})
    derived.save_state(con, STEPS_STATE, derived.ACTIVITY_INPUTS)


def steps_are_fresh(con) -> bool:
    """Whether the activity steps were built on the workspace's current data (`derived.is_fresh`)."""
    return derived.is_fresh(con, STEPS_TABLE, STEPS_STATE, derived.ACTIVITY_INPUTS)


def cascade_counts(con, flt: Filter = Filter()) -> dict | None:
    """The activity steps of the cascade over the period: {calls, conversations, meetings, has_outcome}
    (definitions: `analytics.views.funnel.activity_counts`). None when the workspace has no activities.
    Read from the steps table while it is fresh (the same counts), else from the activities."""
    if con.execute("SELECT count(*) FROM activities").fetchall()[0][0] == 0:
        return None
    where, params = activity_conditions(flt, "a")
    where, named = selection_named(where, params, "f")
    if steps_are_fresh(con):
        row = con.execute(f"SELECT {_STEP_COUNTS} FROM {STEPS_TABLE} a WHERE {where}", named).fetchall()[0]
    else:
        row = con.execute(
            f"WITH {_OUTCOMES}, steps AS (SELECT {_STEP_COLUMNS}"
            f"  FROM activities a LEFT JOIN oc ON oc.outcome = a.outcome WHERE {where})"
            f" SELECT {_STEP_COUNTS} FROM steps",
            named | {"missed_call": MISSED_CALL, "missed_meeting": MISSED_MEETING}).fetchall()[0]
    calls, conversations, with_outcome, meetings = (int(v) for v in row)
    return {"calls": calls, "conversations": conversations if with_outcome else None, "meetings": meetings,
            "has_outcome": bool(with_outcome)}
