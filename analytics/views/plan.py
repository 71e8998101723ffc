"""The reverse funnel: from a revenue goal back to the deals, proposals, opportunities and conversations
it takes, in total and per week (PRODUCT.md):

    deals = goal / average deal; proposals = deals / (proposal -> deal);
    opportunities = proposals / (opportunity -> proposal); conversations = opportunities / (conversation -> opportunity);
    per week = total / weeks.

The articles' example: 1 000 000 / 50 000 = 20 deals; at 40 % 50 proposals; at 50 % 100 opportunities;
at 1 in 6, 600 conversations; over 48 weeks 12.5 conversations a week. Rates are carried as fractions so
that "1/6" gives 600 exactly, not 600.0000000000001.

Defaults come from the workspace (`measured`): the average won deal and the conversions of the deals
closed in the window (their outcome is known, unlike a cohort's open deals), and opportunities created
per conversation held (activities). Every figure can be overridden.
"""
from __future__ import annotations

import re
from dataclasses import replace
from datetime import date, timedelta
from fractions import Fraction

from analytics.views import funnel
from analytics.filters import Filter, period_condition, reference_date, target_conditions
from analytics.measures import quota as quota_lines
from analytics.schema import OPEN_STAGES
from analytics.selection import deals_cte, prorated

STEPS = ("deals", "proposals", "opportunities", "conversations")
RATES = ("proposal_to_deal", "opportunity_to_proposal", "conversation_to_opportunity")
DEFAULT_WEEKS = 48  # the articles' working year
RATE_WEEKS = 12  # the current weekly rate of new opportunities is read over the last twelve weeks


class PlanError(ValueError):
    """A figure the planner cannot use; the message says which and why."""


def _fraction(value) -> Fraction:
    if isinstance(value, Fraction):
        return value
    if isinstance(value, float):
        # 1/6 typed as 0.16666666666666666 is 1/6: a rate has no meaningful digit past the millionth
        return Fraction(value).limit_denominator(1_000_000)
    return Fraction(str(value))


def parse_rate(text: str) -> Fraction:
    """A conversion rate as people write it: 0.4, 0,4, 40%, 40 %, 40 (a number above 1 is a percentage),
    1/6, "1 in 6", "1 sur 6". Raises PlanError unless it is in (0, 1]."""
    raw = str(text).strip().lower().replace("\u00a0", " ").replace("\u202f", " ")
    m = re.fullmatch(r"(\d+(?:[.,]\d+)?)\s*(?:/|in|sur|on)\s*(\d+(?:[.,]\d+)?)", raw)
    try:
        if m:
            num, den = (Fraction(g.replace(",", ".")) for g in m.groups())
            if den == 0:
                raise PlanError(f"rate {text!r}: division by zero")
            rate = num / den
        elif raw.endswith("%"):
            rate = Fraction(raw[:-1].strip().replace(",", ".")) / 100
        else:
            rate = Fraction(raw.replace(",", "."))
            if rate > 1:
                rate /= 100
    except (ValueError, ZeroDivisionError) as exc:
        raise PlanError(f"rate {text!r} is not a number (write 0.4, 40% or 1/6)") from exc
    if not 0 < rate <= 1:
        raise PlanError(f"rate {text!r} must be above 0 and at most 100 %")
    return rate


def reverse_funnel(goal, average_deal, rates, weeks) -> dict:
    """{deals, proposals, opportunities, conversations, per_week: {same keys}} as floats.

    `rates` = (proposal -> deal, opportunity -> proposal, conversation -> opportunity), each in (0, 1].
    Raises PlanError on a figure that is missing, zero or negative.
    """
    named = {"goal": goal, "average_deal": average_deal, "weeks": weeks, **dict(zip(RATES, rates))}
    missing = [k for k, v in named.items() if v is None]
    if missing:
        raise PlanError("missing: " + ", ".join(missing))
    values = {k: _fraction(v) for k, v in named.items()}
    bad = [k for k, v in values.items() if v <= 0 or (k in RATES and v > 1)]
    if bad:
        raise PlanError("must be above 0 (rates at most 100 %): " + ", ".join(bad))
    totals = {"deals": values["goal"] / values["average_deal"]}
    totals["proposals"] = totals["deals"] / values["proposal_to_deal"]
    totals["opportunities"] = totals["proposals"] / values["opportunity_to_proposal"]
    totals["conversations"] = totals["opportunities"] / values["conversation_to_opportunity"]
    out = {k: float(v) for k, v in totals.items()}
    out["per_week"] = {k: float(v / values["weeks"]) for k, v in totals.items()}
    return out


def measured(con, flt: Filter = Filter(), snapshot_id: int | None = None) -> dict:
    """The workspace's own figures over the filter's period (the whole history when unbounded):

    average_deal (won amount / won deals closed in it that have an amount), proposal_to_deal and opportunity_to_proposal
    (deals closed in it: reached won / reached proposal, reached proposal / reached lead),
    conversation_to_opportunity (opportunities created in it / conversations held in it, see
    funnel.cascade), goal (the quota of the period, targets prorated; None when unbounded), weeks (the period's length, else
    DEFAULT_WEEKS), won_amount (won in it, for a goal at the same pace). Each is None when the data cannot
    give it.
    """
    cte, params = deals_cte(flt, snapshot_id)
    closed, closed_params = period_condition("outcome_date", flt)
    created, created_params = period_condition("created_date", flt)
    # the average deal divides by the won deals that have an amount (as the flash page's basket)
    won, won_amount, created_n = con.execute(
        f"WITH {cte} SELECT count(amount) FILTER (WHERE status = 'won' AND {closed}),"
        f" sum(amount) FILTER (WHERE status = 'won' AND {closed}), count(*) FILTER (WHERE {created}) FROM deals",
        params + closed_params + closed_params + created_params).fetchall()[0]
    frame = funnel.conversion(con, flt, "closed", snapshot_id=snapshot_id)
    conv = funnel.summary(frame)
    reached = dict(zip(frame.stage, frame.reached))
    counts = funnel.activity_counts(con, flt)
    conversations = counts["conversations"] if counts else None
    return {
        "goal": period_goal(con, flt),
        "won_amount": float(won_amount) if won_amount is not None else 0.0,
        "average_deal": float(won_amount) / won if won and won_amount else None,
        "proposal_to_deal": conv["proposal_to_won"] or None,
        "opportunity_to_proposal": (reached["proposal"] / reached["lead"]) if reached.get("lead") else None,
        "conversation_to_opportunity": min(1.0, created_n / conversations) if conversations and created_n else None,
        "weeks": flt.days / 7 if flt.days else DEFAULT_WEEKS,
    }


def period_goal(con, flt: Filter = Filter()) -> float | None:
    """The quota of the filter's period (targets prorated by days, team = sum of its reps'); None when the
    period is unbounded (the whole history's quotas are no one's goal) or no target covers it."""
    if not flt.days:
        return None
    where, params = target_conditions(flt)
    lines = quota_lines.targets_table("quota_amount", quota_lines.wants_segment_lines(flt))  # measures.quota's rule
    quota = prorated(con, lines, "quota_amount", [(flt.start, flt.end)], where, params)
    return float(quota.value.iloc[0]) if len(quota) and quota.value.iloc[0] else None


def current_pipeline(con, flt: Filter = Filter(), today: date | None = None, snapshot_id: int | None = None) -> dict:
    """What a rep has now, beside the plan: open deals per stage of the snapshot read (count, amount) and
    the weekly rate of new opportunities over the RATE_WEEKS weeks up to `today` (the workspace's
    reference date by default). {stages: [{stage, deals, amount}], new_per_week, weeks_measured}."""
    today = today or reference_date(con)
    cte, params = deals_cte(replace(flt, start=None, end=None), snapshot_id)
    stages = con.execute(
        f"WITH {cte} SELECT stage, count(*), coalesce(sum(amount), 0) FROM deals WHERE status = 'open'"
        " GROUP BY stage", params).fetchall()
    by_stage = {s: (int(n), float(a)) for s, n, a in stages}
    since = today - timedelta(weeks=RATE_WEEKS)
    new = con.execute(f"WITH {cte} SELECT count(*) FROM deals WHERE created_date > ? AND created_date <= ?",
                      params + [since, today]).fetchall()[0][0]
    return {
        "stages": [{"stage": s, "deals": by_stage.get(s, (0, 0.0))[0], "amount": by_stage.get(s, (0, 0.0))[1]}
                   for s in OPEN_STAGES],
        "new_per_week": int(new) / RATE_WEEKS,
        "weeks_measured": RATE_WEEKS,
    }


def plan(con, flt: Filter = Filter(), goal=None, average_deal=None, rates=(None, None, None), weeks=None,
         snapshot_id: int | None = None) -> dict:
    """The reverse funnel with every missing figure taken from `measured` over the filter.

    Returns reverse_funnel's keys plus inputs {goal, average_deal, rates..., weeks} and measured (what
    the workspace gave, for the page to show which figure was typed and which measured).
    """
    found = measured(con, flt, snapshot_id)
    inputs = {"goal": goal, "average_deal": average_deal, "weeks": weeks, **dict(zip(RATES, rates))}
    inputs = {k: (v if v is not None else found[k]) for k, v in inputs.items()}
    out = reverse_funnel(inputs["goal"], inputs["average_deal"], [inputs[r] for r in RATES], inputs["weeks"])
    out["inputs"] = {k: (float(v) if v is not None else None) for k, v in inputs.items()}
    out["measured"] = found
    return out
