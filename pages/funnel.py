"""Funnel page: conversion per stage for the team and per rep side by side, the activity cascade, time in
stage with editable "stuck" thresholds, whether probability rises with the stages, and the reverse-funnel
planner. It reads the filter, calls analytics (through ui.cache) and draws.
"""
from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import altair as alt
import pandas as pd
import streamlit as st

from analytics.views import funnel, plan
from analytics.measures import reached, stays
from analytics.i18n import t
from ui import cache, charts, format as fmt, state, tables
from ui.cache import cached
from ui.sidebar import FILTER_KEY, current_filter, draw_filters

tr = state.tr
BASIS_KEY = "funnel_basis"
PLAN_KEYS = {"goal": "plan_goal", "weeks": "plan_weeks", "average_deal": "plan_average_deal",
             "proposal_to_deal": "plan_rate_1", "opportunity_to_proposal": "plan_rate_2",
             "conversation_to_opportunity": "plan_rate_3"}
PLAN_SIGNATURE_KEY = "plan_defaults_for"
BLUE, ORANGE, GREY, RED, GREEN = "#2f6fb0", "#e07b28", "#9aa3ad", "#c8453a", "#3b8a4f"


def _stage(key) -> str:
    return tr(f"stage.{key}") if isinstance(key, str) else fmt.DASH


def _pct(value, decimals: int = 1) -> str:
    return fmt.percent(value, state.lang(), decimals)


def _num(value, decimals: int = 0) -> str:
    return fmt.number(value, state.lang(), decimals)


KINDS = {"pct": "rate", "int": "count", "days": "decimal", "money": "money"}


def draw_table(df: pd.DataFrame, key: str, title: str, kinds: dict[str, str] | None = None,
               labels: dict[str, str] | None = None, style=None) -> None:
    """The page's tables through the one table helper (ui/tables.py): numbers stay numbers, headers from
    funnel.col.*, CSV and Excel named after the title."""
    tables.table(df, key, kinds={c: KINDS.get(k, k) for c, k in (kinds or {}).items()},
                 labels=labels or "funnel.col", title=title, page=tr("funnel.title"), words=_words, style=style)


def _words(df: pd.DataFrame, lang: str) -> pd.DataFrame:
    """Stage keys in the reader's words (lang given: also called off the script thread)."""
    out = df.copy()
    if "stage" in out:
        out["stage"] = out["stage"].map(lambda s: t(f"stage.{s}", lang) if isinstance(s, str) else s)
    return out


def _chart(c, key: str, title: str) -> None:
    charts.chart(c, key, title=title, page=tr("funnel.title"))


# --- team funnel ---------------------------------------------------------------------------------------------

def funnel_chart(team: pd.DataFrame) -> alt.LayerChart:
    """Horizontal bars of deals per stage reached, labelled with the count and the share of entries; the two
    benchmarks drawn on the 'won' bar: 10 % of deals entered, 30 % of proposals."""
    data = team.assign(
        label=team.stage.map(_stage),
        text=[f"{_num(n)} · {_pct(s, 0)}" for n, s in zip(team.reached, team.from_start)],
    )
    order = list(data.label)
    y = alt.Y("label:N", sort=order, title=None, axis=alt.Axis(labelLimit=160))
    x = alt.X("reached:Q", title=tr("funnel.chart.reached"), axis=alt.Axis(format="~s"))
    bars = alt.Chart(data).mark_bar(color=BLUE).encode(
        y=y, x=x, tooltip=[alt.Tooltip("label:N", title=" "), alt.Tooltip("text:N", title=tr("funnel.col.reached"))])
    text = alt.Chart(data).mark_text(align="left", dx=4, color="#333").encode(y=y, x=x, text="text:N")
    reached_by = dict(zip(team.stage, team.reached))
    marks = pd.DataFrame({
        "label": [_stage("won")] * 2,
        "value": [funnel.B2B_OVERALL * reached_by.get("lead", 0), funnel.PROPOSAL_GOAL * reached_by.get("proposal", 0)],
        "what": [tr("funnel.chart.benchmark_overall"), tr("funnel.chart.goal_proposal")],
    })
    ticks = alt.Chart(marks).mark_tick(thickness=3, size=34).encode(
        y=y, x="value:Q",
        color=alt.Color("what:N", scale=alt.Scale(range=[ORANGE, RED]),
                        legend=alt.Legend(title=None, orient="bottom", direction="vertical", labelLimit=0)),
        tooltip=[alt.Tooltip("what:N", title=" ")])
    return alt.layer(bars, text, ticks).properties(height=260)


def draw_team(con, flt, basis: str, available: set[str]) -> bool:
    team = cached(funnel.conversions, con, flt, basis)["team"]  # the team's and the reps' counts in one read
    cond, cond_params = funnel.basis_condition(basis, flt)
    counted = cached(reached.unknown_summary, con, flt, None, cond, cond_params)
    unknown = counted["unknown"]
    summary = funnel.summary(team)
    st.subheader(tr("funnel.team.title"))
    if summary["deals"] == 0 and unknown == 0:
        st.info(tr("funnel.empty"))
        return False
    lang = state.lang()
    c1, c2, c3, c4 = st.columns(4)
    c1.metric(tr("funnel.kpi.deals"), _num(summary["deals"]), border=True)
    c2.metric(tr("funnel.kpi.overall"), _pct(summary["overall"]), help=tr("funnel.kpi.overall_help"), border=True,
              delta=tr("funnel.vs_benchmark", value=fmt.percent(funnel.B2B_OVERALL, lang, 0)), delta_color="off",
              delta_arrow="off")
    could_change = summary["proposal_to_won_could_change"]
    c3.metric(tr("funnel.kpi.proposal_to_won") + (" *" if could_change else ""), _pct(summary["proposal_to_won"]),
              help=tr("funnel.kpi.proposal_to_won_help") + (" " + tr("funnel.could_change_help") if could_change else ""),
              border=True,
              delta=tr("funnel.vs_benchmark", value=fmt.percent(funnel.PROPOSAL_GOAL, lang, 0)), delta_color="off",
              delta_arrow="off")
    c4.metric(tr("funnel.kpi.unknown"), _num(unknown), help=tr("funnel.kpi.unknown_help"), border=True)
    if unknown:
        st.caption(tr("funnel.unknown_note", count=_num(unknown)))
    sources = counted["by_source"]
    st.caption(tr("funnel.reached_sources", history=_num(sources["history"]), snapshots=_num(sources["snapshots"]),
                  crm=_num(sources["crm"])))
    left, right = st.columns(2)
    with left:
        _chart(funnel_chart(team), "funnel_team_chart", tr("funnel.team.title"))
    with right:
        # a conversion that lost deals of unknown stage could change says so, row by row
        columns = ["stage", "reached", "conversion_next", "from_start"] + (["could_change"] if unknown else [])
        draw_table(team[columns], "funnel_team", tr("funnel.team.title"),
                   {"reached": "int", "conversion_next": "pct", "from_start": "pct"})
    return True


# --- reps side by side ---------------------------------------------------------------------------------------

def _shade(value, median) -> str:
    """Background of a rep's conversion: green above the team's median, red below, stronger further away."""
    if value is None or pd.isna(value) or median is None or pd.isna(median) or median == 0:
        return f"background-color: #eceff1; color: {GREY}"
    gap = max(-1.0, min(1.0, (value - median) / median))
    alpha = 0.12 + 0.5 * abs(gap)
    rgb = "59, 138, 79" if gap >= 0 else "200, 69, 58"
    return f"background-color: rgba({rgb}, {alpha:.2f})"


def draw_reps(con, flt, basis: str) -> None:
    st.subheader(tr("funnel.reps.title"))
    reps = cached(funnel.conversions, con, flt, basis)["reps"]
    if reps.empty:
        st.info(tr("funnel.reps.empty"))
        return
    st.caption(tr("funnel.reps.caption"))
    lang = state.lang()
    stages = [s for s in funnel.FUNNEL_STAGES if s != "won"]
    wide = reps.pivot(index="owner", columns="stage", values="conversion_next")[stages]
    deals = reps[reps.stage == "lead"].set_index("owner").reached
    medians = reps.groupby("stage").team_median.first()
    table = wide.copy()
    table.insert(0, "reached", deals.reindex(table.index).astype(int))
    table = table.reset_index()
    labels = {"owner": tr("funnel.col.owner"), "reached": tr("funnel.col.reached"),
              **{s: f"{_stage(s)} →" for s in stages}}

    def shaded(styler):  # each rep's conversion against the team's median at that stage
        return styler.apply(lambda col: [_shade(v, medians.get(col.name)) for v in col], axis=0, subset=stages)

    draw_table(table, "funnel_reps", tr("funnel.reps.title"), {"reached": "int", **{s: "rate0" for s in stages}},
               labels=labels, style=shaded)
    flagged = reps[reps.far_below]
    lines = [tr("funnel.reps.far_below", owner=state.plain(r.owner), stage=_stage(r.stage),
                value=fmt.percent(r.conversion_next, lang, 0), median=fmt.percent(r.team_median, lang, 0),
                count=_num(r.reached)) for r in flagged.itertuples()]
    if lines:
        st.warning("\n".join(f"- {line}" for line in lines), icon=":material/trending_down:")
    else:
        st.caption(tr("funnel.reps.none_far_below"))
    _chart(small_multiples(reps), "funnel_reps_chart", tr("funnel.reps.chart_title"))


def small_multiples(reps: pd.DataFrame) -> alt.FacetChart:
    """One small chart per rep: conversion to the next stage per stage, the team's median as a tick."""
    data = reps.assign(label=reps.stage.map(_stage), conv=reps.conversion_next.fillna(0),
                       conv_text=[_pct(v, 0) for v in reps.conversion_next],
                       median_text=[_pct(v, 0) for v in reps.team_median], median_name=tr("funnel.col.team_median"))
    order = [_stage(s) for s in funnel.FUNNEL_STAGES if s != "won"]
    x = alt.X("label:N", sort=order, title=None, axis=alt.Axis(labelAngle=-45, labelLimit=90, labelOverlap=False,
                                                               labelFontSize=9))
    y = alt.Y("conv:Q", title=None, axis=alt.Axis(format="%", tickCount=3), scale=alt.Scale(domain=[0, 1]))
    tooltip = [alt.Tooltip("owner:N", title=tr("funnel.col.owner")), alt.Tooltip("label:N", title=tr("funnel.col.stage")),
               alt.Tooltip("conv_text:N", title=tr("funnel.col.conversion_next")),
               alt.Tooltip("median_text:N", title=tr("funnel.col.team_median"))]
    bars = alt.Chart().mark_bar(color=BLUE).encode(
        x=x, y=y, tooltip=tooltip,
        color=alt.condition("datum.far_below", alt.value(RED), alt.value(BLUE)))
    # the tick has a legend: "Team median" in orange (it read as an unexplained mark)
    ticks = alt.Chart().mark_tick(thickness=2, size=18).encode(
        x=x, y="team_median:Q", tooltip=tooltip,
        color=alt.Color("median_name:N", scale=alt.Scale(domain=[tr("funnel.col.team_median")], range=[ORANGE]),
                        legend=alt.Legend(title=None, orient="top")))
    return alt.layer(bars, ticks, data=data).properties(width=150, height=110).facet(
        facet=alt.Facet("owner:N", title=None, header=alt.Header(labelFontWeight="bold")), columns=4)


# --- activity cascade ----------------------------------------------------------------------------------------

def draw_cascade(con, flt, basis: str, available: set[str]) -> None:
    st.subheader(tr("funnel.cascade.title"))
    if "activities" not in available:
        st.info(tr("funnel.cascade.no_activities"))
        return
    counts = cached(funnel.activity_counts, con, flt)
    if counts is None:
        st.info(tr("funnel.cascade.no_activities"))
        return
    result = funnel.cascade_steps(counts, cached(funnel.conversions, con, flt, basis)["team"])
    st.caption(tr("funnel.cascade.caption"))
    if not result["has_outcome"]:
        st.warning(tr("funnel.cascade.no_outcome"))
    article = {"conversations": 0.20, "meetings": 3.5 / 20, "deals": None}
    rows = pd.DataFrame(result["steps"])
    rows["article_ratio"] = rows.step.map(article)
    data = rows.assign(label=rows.step.map(lambda s: tr(f"funnel.step.{s}")),
                       text=[(_num(c) if fmt.defined(c) else fmt.DASH) + (f" ({_pct(r, 0)})" if fmt.defined(r) else "")
                             for c, r in zip(rows["count"], rows["ratio"])])
    order = list(data.label)
    chart_data = data[data["count"].notna()]
    y = alt.Y("label:N", sort=order, title=None, axis=alt.Axis(labelLimit=160))
    x = alt.X("count:Q", title=None, scale=alt.Scale(type="symlog"), axis=None)  # each bar says its count
    bars = alt.Chart(chart_data).mark_bar(color=BLUE).encode(
        y=y, x=x, tooltip=[alt.Tooltip("label:N", title=tr("funnel.col.step")),
                           alt.Tooltip("text:N", title=tr("funnel.col.count"))])
    text = alt.Chart(chart_data).mark_text(align="left", dx=4, color="#333").encode(y=y, x=x, text="text:N")
    left, right = st.columns(2)
    with left:
        _chart(alt.layer(bars, text).properties(height=220), "funnel_cascade_chart", tr("funnel.cascade.title"))
    with right:
        table = rows[["step", "count", "ratio", "article_ratio"]].assign(
            step=rows.step.map(lambda s: tr(f"funnel.step.{s}")))
        draw_table(table, "funnel_cascade", tr("funnel.cascade.title"),
                   {"count": "int", "ratio": "pct", "article_ratio": "pct"})


# --- time in stage -------------------------------------------------------------------------------------------

def draw_time(con, flt, available: set[str], today) -> None:
    st.subheader(tr("funnel.time.title"))
    measurable = cached(stays.sources, con)
    if not stays.measurable(measurable):
        st.info(tr("funnel.time.missing"))
        return
    st.caption(tr("funnel.time.from_history" if measurable["history"] else "funnel.time.from_snapshots"))
    both = cached(stays.time_in_stage, con, flt)  # the team's and each rep's times from one read of the stays
    times = both["team"]
    if times.empty:
        st.info(tr("funnel.time.empty"))
    else:
        left, right = st.columns(2)
        with left:
            _chart(time_chart(times), "funnel_times_chart", tr("funnel.time.title"))
            st.caption(tr("funnel.time.chart_caption"))
        with right:
            cols = ["stage", "stays", "median_days", "p25_days", "p75_days"]
            draw_table(times[cols], "funnel_times", tr("funnel.time.title"),
                       {"stays": "int", "median_days": "days", "p25_days": "days", "p75_days": "days"})
        by_rep = both["by_owner"]
        if not by_rep.empty:
            st.caption(tr("funnel.time.by_rep"))
            wide = by_rep.pivot(index="owner", columns="stage", values="median_days")
            stages = [s for s in funnel.FUNNEL_STAGES if s in wide.columns]
            draw_table(wide[stages].reset_index(), "funnel_times_reps", tr("funnel.time.by_rep_title"),
                       {s: "days" for s in stages},
                       labels={**{s: _stage(s) for s in stages}, "owner": tr("funnel.col.owner")})
    draw_stuck(con, flt, today)


def time_chart(times: pd.DataFrame) -> alt.LayerChart:
    """Median days per stage as bars, the middle half (1st to 3rd quartile) as a rule."""
    data = times.assign(label=times.stage.map(_stage),
                        text=[f"{_num(m, 0)} ({_num(a, 0)}–{_num(b, 0)})"
                              for m, a, b in zip(times.median_days, times.p25_days, times.p75_days)])
    order = list(data.label)
    x = alt.X("label:N", sort=order, title=None, axis=alt.Axis(labelAngle=0))
    bars = alt.Chart(data).mark_bar(color=BLUE, size=36).encode(
        x=x, y=alt.Y("median_days:Q", title=tr("funnel.time.chart_days")),
        tooltip=[alt.Tooltip("label:N", title=tr("funnel.col.stage")),
                 alt.Tooltip("text:N", title=tr("funnel.time.tooltip"))])
    rule = alt.Chart(data).mark_rule(color=ORANGE, strokeWidth=2).encode(x=x, y="p25_days:Q", y2="p75_days:Q")
    return alt.layer(bars, rule).properties(height=240)


def draw_stuck(con, flt, today) -> None:
    st.markdown(f"**{tr('funnel.thresholds.title')}**")
    st.caption(tr("funnel.thresholds.caption", floor=stays.FLOOR_DAYS, min=stays.MIN_STAYS))
    # the team's thresholds do not depend on the rep or the period: one cached read serves every rep and period
    defaults = cached(stays.default_thresholds, con, stays.threshold_filter(flt))
    frame = pd.DataFrame({
        "stage": list(defaults),
        "label": [_stage(s) for s in defaults],
        "p75_days": [d["p75_days"] for d in defaults.values()],
        "threshold_days": [d["threshold_days"] for d in defaults.values()],
    })
    edited = st.data_editor(
        frame, hide_index=True, key=f"funnel_thresholds_{state.lang()}", disabled=["label", "p75_days"],
        column_order=["label", "p75_days", "threshold_days"],
        column_config={"label": st.column_config.Column(tr("funnel.col.stage")),
                       "p75_days": st.column_config.NumberColumn(tr("funnel.col.p75_days"), format="%.0f"),
                       "threshold_days": st.column_config.NumberColumn(tr("funnel.col.threshold_days"), min_value=0,
                                                                       step=1, format="%.0f")},
    )
    chosen = tuple((s, float(v) if pd.notna(v) else None) for s, v in zip(edited.stage, edited.threshold_days))
    stuck = cached(stays.stuck_deals, con, flt, today, chosen)
    with st.expander(tr("funnel.stuck.title", count=_num(len(stuck))), expanded=False,
                     icon=":material/warning:" if len(stuck) else None):
        if stuck.empty:
            st.write(tr("funnel.stuck.none"))
        else:
            shown = stuck[["opportunity_id", "name", "owner", "stage", "amount", "entered", "days_in_stage",
                           "threshold_days", "source"]]
            # each source's words looked up once, not once per row (90 000 stuck deals at 1M: a second of lookups)
            words = {s: tr(f"funnel.source.{s}") for s in shown.source.unique()}
            shown = shown.assign(source=shown.source.map(words))
            draw_table(shown, "funnel_stuck", tr("funnel.stuck.file"),
                       {"amount": "money", "entered": "date", "days_in_stage": "int", "threshold_days": "days"})


def draw_probability(con, flt) -> None:
    st.subheader(tr("funnel.prob.title"))
    team = cached(funnel.probability_by_stage, con, flt)
    if team.empty:
        st.info(tr("funnel.prob.empty"))
        return
    falls = team[team.falls]
    if falls.empty:
        st.success(tr("funnel.prob.ok"))
    for r in falls.itertuples():
        st.warning(tr("funnel.prob.falls", stage=_stage(r.stage)))
    reps = cached(funnel.probability_by_stage, con, flt, True)
    for r in reps[reps.falls].itertuples():
        st.caption(tr("funnel.prob.falls_rep", owner=state.plain(r.owner), stage=_stage(r.stage)))
    draw_table(team[["stage", "deals", "given", "mean_probability"]], "funnel_probability", tr("funnel.prob.title"),
               {"deals": "int", "given": "int", "mean_probability": "pct"})


# --- reverse-funnel planner ----------------------------------------------------------------------------------

def _figure(value) -> str:
    """A planned count: whole when it is (20 deals), else to one decimal (12,5 a week)."""
    return _num(value, 0 if abs(value - round(value)) < 0.05 else 1)


def _rate_text(value) -> str:
    return fmt.percent(value, state.lang(), 1) if value is not None else ""


def _plan_defaults(con, flt) -> dict:
    """Measured figures: rates and average deal over the last 12 months of the selection, goal and weeks
    from the chosen period (its quota, else the last 12 months' pace)."""
    today = cache.reference_date(con)
    year = replace(flt, start=today - timedelta(days=364), end=today)
    over_year = cached(plan.measured, con, year)
    weeks = flt.days / 7 if flt.days else plan.DEFAULT_WEEKS
    goal, from_quota = cached(plan.period_goal, con, flt), True
    if goal is None:
        goal, from_quota = over_year["won_amount"] * weeks / (365 / 7), False
    return {**over_year, "goal": round(goal or 0.0, -2), "weeks": round(weeks, 1), "from_quota": from_quota}


def draw_planner(con, flt) -> None:
    st.subheader(tr("plan.title"))
    measured = _plan_defaults(con, flt)
    st.caption(tr("plan.caption", who=state.plain(flt.owner) if flt.owner else tr("plan.team")))
    signature = (state.workspace(), state.lang(), flt.owner, flt.team, flt.segment, flt.region, flt.source,
                 flt.start, flt.end)
    if st.session_state.get(PLAN_SIGNATURE_KEY) != signature:  # new selection: its own measured defaults
        st.session_state[PLAN_SIGNATURE_KEY] = signature
        st.session_state[PLAN_KEYS["goal"]] = float(measured["goal"])
        st.session_state[PLAN_KEYS["weeks"]] = float(measured["weeks"])
        st.session_state[PLAN_KEYS["average_deal"]] = float(round(measured["average_deal"] or 0.0))
        for rate in plan.RATES:
            st.session_state[PLAN_KEYS[rate]] = _rate_text(measured[rate])
    st.caption(tr("plan.goal_from_quota" if measured["from_quota"] else "plan.goal_from_pace"))
    c1, c2, c3 = st.columns(3)
    goal = c1.number_input(tr("plan.goal"), min_value=0.0, step=10_000.0, format="%.0f", key=PLAN_KEYS["goal"])
    average = c2.number_input(tr("plan.average_deal"), min_value=0.0, step=1_000.0, format="%.0f",
                              key=PLAN_KEYS["average_deal"],
                              help=tr("plan.measured", value=fmt.money(measured["average_deal"], state.lang())))
    weeks = c3.number_input(tr("plan.weeks"), min_value=0.0, step=1.0, format="%.1f", key=PLAN_KEYS["weeks"])
    # Streamlit writes its number fields printf-style (390500, 4.3) whatever the language: read back as the
    # language writes them
    lang = state.lang()
    st.caption(tr("plan.inputs_read", goal=fmt.money(goal, lang), average=fmt.money(average, lang),
                  weeks=fmt.number(weeks, lang, 1)))
    rates, problems = [], []
    for column, rate in zip(st.columns(3), plan.RATES):
        label = tr(f"plan.{rate}")
        found = measured[rate]
        text = column.text_input(label, key=PLAN_KEYS[rate],
                                 help=tr("plan.measured", value=_rate_text(found)) if found else tr("plan.not_measured"))
        if not text.strip():
            rates.append(None)
            continue
        try:
            rates.append(plan.parse_rate(text))
        except plan.PlanError as exc:
            rates.append(None)
            problems.append(tr("plan.bad_rate", label=label, error=str(exc)))
    for problem in problems:
        st.error(problem)
    missing = [tr(f"plan.{k}") for k, v in (("goal", goal), ("average_deal", average), ("weeks", weeks)) if not v]
    missing += [tr(f"plan.{r}") for r, v in zip(plan.RATES, rates) if v is None]
    if missing:
        st.info(tr("plan.missing", fields=", ".join(missing)))
        return
    out = plan.reverse_funnel(goal, average, rates, weeks)
    for column, step in zip(st.columns(4), plan.STEPS):
        column.metric(tr(f"plan.out.{step}"), _figure(out[step]), border=True,
                      delta=tr("plan.per_week", value=_figure(out["per_week"][step])), delta_color="off",
                      delta_arrow="off")
    draw_pipeline_gap(con, flt, out)


def draw_pipeline_gap(con, flt, out: dict) -> None:
    st.markdown(f"**{tr('plan.pipeline.title')}**")
    pipe = cached(plan.current_pipeline, con, flt)
    st.caption(tr("plan.pipeline.caption", weeks=pipe["weeks_measured"]))
    lang = state.lang()
    left, right = st.columns([2, 1])
    with left:
        table = pd.DataFrame(pipe["stages"])
        labels = {"stage": tr("plan.col.stage"), "deals": tr("plan.col.deals"), "amount": tr("plan.col.amount")}
        draw_table(table, "plan_pipeline", tr("plan.pipeline.title"), {"deals": "int", "amount": "money"},
                   labels=labels)
    needed = out["per_week"]["opportunities"]
    with right:
        st.metric(tr("plan.pipeline.new_per_week"), fmt.number(pipe["new_per_week"], lang, 1), border=True,
                  delta=tr("plan.pipeline.needed", value=fmt.number(needed, lang, 1)), delta_color="off",
                  delta_arrow="off")
    gap = needed - pipe["new_per_week"]
    if gap > 0:
        st.warning(tr("plan.pipeline.gap", value=fmt.number(gap, lang, 1)))
    else:
        st.success(tr("plan.pipeline.ok"))


# --- page ----------------------------------------------------------------------------------------------------

def main() -> None:
    con = state.connection()
    flt = current_filter() if FILTER_KEY in st.session_state else draw_filters(con)
    st.title(tr("funnel.title"))
    available = cache.available_tables(con)
    if "opportunities" not in available:
        st.info(tr("funnel.no_opportunities"))
        return
    lang = state.lang()
    if flt.start is None or flt.end is None:
        st.caption(tr("funnel.all_time"))
    else:
        st.caption(tr("funnel.period", start=fmt.day(flt.start, lang), end=fmt.day(flt.end, lang)))
    st.session_state.setdefault(BASIS_KEY, "closed")  # a short period's cohort is mostly still open
    basis = st.radio(tr("funnel.basis"), list(funnel.BASES), key=BASIS_KEY, horizontal=True,
                     format_func=lambda b: t(f"funnel.basis.{b}", lang), help=tr("funnel.basis_help"))
    today = cache.reference_date(con)
    if draw_team(con, flt, basis, available):
        draw_reps(con, flt, basis)
    draw_cascade(con, flt, basis, available)
    draw_time(con, flt, available, today)
    draw_probability(con, flt)
    draw_planner(con, flt)


main()
