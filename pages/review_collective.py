"""Collective review: the team's weekly meeting, projected. The team against its quota (the sum of individual
quotas) in large figures, then the wins to celebrate, the losses and their reasons, the spread between reps as a
distribution (names on hover, no ranking), the best converter of each segment and this week's pipeline movement.
It reads the filter, calls analytics (through ui.cache) and draws."""
from __future__ import annotations

from dataclasses import replace

import altair as alt
import pandas as pd
import streamlit as st

from analytics.views import reviews
from ui import cache, state
from ui import format as fmt
from ui import review as rv
from ui.cache import cached
from ui.sidebar import FILTER_KEY, current_filter, draw_filters

tr = state.tr
KPI_KINDS = {"won_amount": "money", "quota_attainment": "rate", "win_rate": "rate", "average_basket": "money",
             "weighted_pipeline": "money", "coverage_weighted": "cover"}
WINS_SHOWN = 20


def PAGE() -> str:  # noqa: N802 (the page's name in the user's language, for file names)
    return tr("nav.review_collective")


def draw_headline(head: dict, wins: pd.DataFrame) -> None:
    cols = st.columns(4)
    tiles = [("won_amount", "money", tr("review.team.won_help", count=len(wins))),
             ("quota", "money", tr("review.team.quota_help")),
             ("quota_attainment", "rate", None),
             # the weighted coverage is explained with the weighted amount it divides
             ("coverage_weighted", "cover", tr("review.tile.weighted_coverage_help",
                                               remaining=rv.value_text("money", head["remaining_quota"]),
                                               weighted=rv.value_text("money", head["weighted_in_period"])))]
    reached = head.get("quota") is not None and head.get("remaining_quota") == 0  # nothing left: no coverage
    for col, (key, kind, caption) in zip(cols, tiles):
        with col:
            st.metric(tr(f"review.team.{key}"), rv.value_text(kind, head.get(key)), border=True)
            if reached and key.startswith("coverage"):
                st.caption(tr("flash.quota_reached"))
            elif caption:
                st.caption(caption)
    if head.get("quota") is None:
        st.caption(tr("review.team.no_quota"))


def draw_trend(trend: pd.DataFrame) -> None:
    st.subheader(tr("review.team.trend"))
    lang = state.lang()
    won, quota = tr("review.activity.won"), tr("review.tile.quota")
    data = trend.assign(label=[fmt.month(m, lang) for m in trend["month"]],
                        won_text=[fmt.money(v, lang) for v in trend["won_amount"]],
                        quota_text=[fmt.money(v, lang) for v in trend["quota"]],
                        att_text=[fmt.percent(v, lang, 0) for v in trend["attainment"]])
    months = list(data["label"])
    color = alt.Scale(domain=[won, quota], range=["#2f6fb0", "#e07b28"])
    tooltip = [alt.Tooltip("label:N", title=" "), alt.Tooltip("won_text:N", title=won),
               alt.Tooltip("quota_text:N", title=quota), alt.Tooltip("att_text:N", title=tr("review.team.quota_attainment"))]
    x = alt.X("label:N", sort=months, title=None, axis=alt.Axis(labelAngle=0))
    layers = [alt.Chart(data.assign(s=won)).mark_bar(size=40).encode(
        x=x, y=alt.Y("won_amount:Q", title=None, axis=alt.Axis(format=",.0f")),
        color=alt.Color("s:N", scale=color, title=None, legend=alt.Legend(orient="top")), tooltip=tooltip)]
    if data["quota"].notna().any():
        layers.append(alt.Chart(data.assign(s=quota)).mark_line(point=True, strokeWidth=3).encode(
            x=x, y="quota:Q", color=alt.Color("s:N", scale=color), tooltip=tooltip))
    rv.chart(alt.layer(*layers).properties(height=260), "review_trend", tr("review.team.trend"), PAGE())


def draw_wins(wins: pd.DataFrame) -> None:
    st.subheader(tr("review.wins.title"))
    if wins.empty:
        st.info(tr("review.wins.empty"))
        return
    rv.table(wins, "review_wins", tr("review.file.wins"), shown_rows=WINS_SHOWN, kinds={"cycle_days": "count"})


def draw_losses(by_reason: pd.DataFrame, lost: pd.DataFrame) -> None:
    st.subheader(tr("review.losses.title"))
    if lost.empty:
        st.info(tr("review.losses.empty"))
        return
    lang = state.lang()
    data = by_reason.assign(reason=by_reason["lost_reason"].fillna(tr("review.losses.no_reason")),
                            amount_text=[fmt.money(v, lang) for v in by_reason["lost_amount"]],
                            share_text=[fmt.percent(v, lang, 0) for v in by_reason["share"]])
    chart = alt.Chart(data).mark_bar(color="#c0504d").encode(
        y=alt.Y("reason:N", sort=list(data["reason"]), title=None, axis=alt.Axis(labelLimit=220)),
        x=alt.X("lost_count:Q", title=tr("review.col.lost_count")),
        tooltip=[alt.Tooltip("reason:N", title=tr("review.col.lost_reason")),
                 alt.Tooltip("lost_count:Q", title=tr("review.col.lost_count")),
                 alt.Tooltip("share_text:N", title=tr("review.col.share")),
                 alt.Tooltip("amount_text:N", title=tr("review.col.lost_amount"))],
    )
    left, right = st.columns([3, 2])
    with left:
        height = max(140, 36 * len(data))  # a discrete y axis needs the element's own height in Streamlit
        rv.chart(chart.properties(height=height), "review_losses_chart", tr("review.losses.chart_title"), PAGE(),
                 height=height + 50)
    with right:
        rv.table(by_reason, "review_loss_reasons", tr("review.file.loss_reasons"), kinds={"lost_count": "count"})
    with st.expander(tr("review.losses.list", count=len(lost))):
        rv.table(lost, "review_losses", tr("review.file.losses"))


def draw_spread(values: pd.DataFrame, summary: pd.DataFrame) -> None:
    st.subheader(tr("review.spread.title"))
    st.caption(tr("review.spread.help"))
    if values.empty:
        st.info(tr("review.spread.empty"))
        return
    kpis = [k for k in reviews.SPREAD_KPIS if (values["kpi"] == k).any()]
    for start in range(0, len(kpis), 3):
        for col, kpi in zip(st.columns(3), kpis[start:start + 3]):
            kind = KPI_KINDS[kpi]
            data = values[values["kpi"] == kpi].assign(
                owner=lambda d: d["owner"].astype(str),
                text=lambda d: [rv.value_text(kind, v) for v in d["value"]])
            axis = alt.Axis(format=rv.number_format(kind), title=None)
            # the box drawn from the spread summary (min, quartiles, median, max) rather than Vega-Lite's boxplot,
            # whose own tooltips read "Max of value", raw numbers and the field "row"
            row = summary[summary["kpi"] == kpi].iloc[0]
            names = {k: tr(f"review.spread.{k}") for k in ("min", "q1", "median", "q3", "max")}
            box_data = pd.DataFrame([{k: row[k] for k in names}]).assign(
                **{f"{k}_text": rv.value_text(kind, row[k]) for k in names}, median_name=names["median"])
            box_tips = [alt.Tooltip(f"{k}_text:N", title=names[k]) for k in names]
            whisker = alt.Chart(box_data).mark_rule(color="#9aa5b1", strokeWidth=2).encode(
                x=alt.X("min:Q", axis=axis), x2="max:Q", tooltip=box_tips)
            box = alt.Chart(box_data).mark_bar(size=40, opacity=0.35, color="#9aa5b1").encode(
                x="q1:Q", x2="q3:Q", tooltip=box_tips)
            median = alt.Chart(box_data).mark_tick(color="#333", thickness=3, size=40).encode(
                x="median:Q", tooltip=[alt.Tooltip("median_name:N", title=" "),
                                       alt.Tooltip("median_text:N", title=tr(f"review.kpi.{kpi}"))])
            dots = alt.Chart(data).mark_circle(size=140, color="#2f6fb0", opacity=0.85).encode(
                x="value:Q",
                tooltip=[alt.Tooltip("owner:N", title=tr("review.col.owner")),
                         alt.Tooltip("text:N", title=tr(f"review.kpi.{kpi}"))])
            with col:
                st.markdown(f"**{tr(f'review.kpi.{kpi}')}**")
                rv.chart(alt.layer(whisker, box, median, dots).properties(height=110), f"review_spread_{kpi}",
                         tr("review.spread.chart_title", kpi=tr(f"review.kpi.{kpi}")), PAGE())
                st.caption(tr("review.spread.caption", reps=int(row["reps"]), low=rv.value_text(kind, row["min"]),
                              median=rv.value_text(kind, row["median"]), high=rv.value_text(kind, row["max"])))
    with st.expander(tr("review.spread.values")):
        st.caption(tr("review.spread.values_help"))
        wide = values.pivot(index="owner", columns="kpi", values="value").reindex(columns=kpis).reset_index()
        wide = wide.sort_values("owner", key=lambda s: s.str.casefold())
        rv.table(wide, "review_spread_values", tr("review.file.spread"), kinds={"coverage_weighted": "points"})
        rv.table(summary, "review_spread_summary", tr("review.file.spread_summary"),
                 kinds={"reps": "count", "spread_ratio": "points"})


def draw_best(best: pd.DataFrame) -> None:
    st.subheader(tr("review.best.title"))
    st.caption(tr("review.best.help", min=reviews.MIN_CLOSED_BEST))
    if best.empty:
        st.info(tr("review.best.empty"))
        return
    rv.table(best, "review_best", tr("review.file.best"), kinds={"closed": "count", "won": "count",
                                                                 "qualified": "count", "min_closed": "count"})


def draw_movement(moved: dict) -> None:
    st.subheader(tr("review.movement.title"))
    if "error" in moved:
        st.info(tr(moved["error"], **moved["params"]))
        return
    lang = state.lang()
    a, b = fmt.day(moved["a_date"], lang), fmt.day(moved["b_date"], lang)
    st.caption(tr("review.movement.help", a=a, b=b))
    steps = {w["step"]: w["amount"] for w in moved["waterfall"]}
    cols = st.columns(3)
    cols[0].metric(tr("pipeline.step.open_before", date=a), fmt.money(steps["open_before"], lang), border=True)
    cols[1].metric(tr("pipeline.step.open_after", date=b), fmt.money(steps["open_after"], lang), border=True)
    cols[2].metric(tr("review.movement.net"), fmt.money(steps["open_after"] - steps["open_before"], lang, signed=True),
                   border=True)
    # what moved the open pipeline between the two totals: one bar per step, entries right, exits left
    rows = [{"step": tr(f"pipeline.step.{w['step']}"), "amount": w["amount"],
             "kind": "up" if w["amount"] >= 0 else "down", "text": fmt.money(w["amount"], lang, signed=True)}
            for w in moved["waterfall"] if w["step"] not in ("open_before", "open_after")]
    data = pd.DataFrame(rows)
    chart = alt.Chart(data).mark_bar(size=22).encode(
        y=alt.Y("step:N", sort=list(data["step"]), title=None, axis=alt.Axis(labelLimit=200)),
        x=alt.X("amount:Q", title=tr("review.col.amount"), axis=alt.Axis(format=",.0f")),
        color=alt.Color("kind:N", legend=None, scale=alt.Scale(domain=["up", "down"], range=["#4c9a4c", "#c0504d"])),
        tooltip=[alt.Tooltip("step:N", title=" "), alt.Tooltip("text:N", title=tr("review.col.amount"))],
    )
    height = 40 * len(data)
    left, right = st.columns([3, 2])
    with left:
        rv.chart(chart.properties(height=height), "review_movement_chart", tr("review.movement.chart_title"), PAGE(),
                 height=height + 50)
    with right:
        counts = pd.DataFrame(moved["counts"])
        counts["change"] = [tr(f"review.change.{c}") for c in counts["change"]]
        rv.table(counts, "review_movement", tr("review.file.movement"), kinds={"count": "count", "amount": "money"})


def main() -> None:
    con = state.connection()
    flt = current_filter() if FILTER_KEY in st.session_state else draw_filters(con)
    st.title(tr("nav.review_collective"))
    if "opportunities" not in cache.available_tables(con):
        st.info(tr("flash.no_opportunities"))
        return
    lang = state.lang()
    if flt.start is not None and flt.end is not None:
        st.caption(tr("review.period", start=fmt.day(flt.start, lang), end=fmt.day(flt.end, lang)))
    if flt.owner is not None:
        st.caption(tr("review.team.owner_ignored", owner=state.plain(flt.owner)))
    team = replace(flt, owner=None)
    today = cache.reference_date(con)
    review = cached(reviews.collective, con, team, today)
    draw_headline(review["headline"], review["wins"])
    draw_trend(review["attainment_trend"])
    draw_wins(review["wins"])
    draw_losses(review["losses_by_reason"], review["losses"])
    draw_spread(review["spread"], review["spread_summary"])
    draw_best(review["best_converters"])
    draw_movement(review["movement"])


main()
