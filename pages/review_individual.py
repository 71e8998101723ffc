"""Individual review: one rep, for the weekly one-to-one projected in a meeting room. The three things to discuss
and four large figures on top, then the detail: attainment trend, gaps with the team beside what explains them,
activity against plan, the open deals to work on first. It reads the filter, calls analytics (through ui.cache)
and draws."""
from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from analytics.views import reviews
from ui import cache, state, team
from ui import format as fmt
from ui import review as rv
from ui.cache import cached
from ui.sidebar import FILTER_KEY, current_filter, draw_filters
from analytics.outputs.summary import sentence

tr = state.tr
OWNER_KEY = "review_owner"
AXIS_KEY = "review_mix_axis"
WORK_SHOWN = 15  # the deals to work on in a meeting: the first fifteen; the CSV has them all


def PAGE() -> str:  # noqa: N802 (the page's name in the user's language, for file names)
    return tr("nav.review_individual")


def pick_owner(con, flt) -> str | None:
    """The rep of the review: picked on the page, preset from the sidebar's rep filter when one is chosen; in team
    mode, a member limited to a rep gets that rep only."""
    options = cached(reviews.owners, con, flt)
    if (limit := team.rep_limit()) is not None:
        options = [o for o in options if o == limit]
    if not options:
        return None
    chosen = st.session_state.get(OWNER_KEY)
    if flt.owner in options and st.session_state.get("review_sidebar_owner") != flt.owner:
        chosen = flt.owner  # the sidebar's rep changed: follow it
    st.session_state["review_sidebar_owner"] = flt.owner
    st.session_state[OWNER_KEY] = chosen if chosen in options else options[0]
    with st.columns([1, 2])[0]:
        return st.selectbox(tr("review.pick_rep"), options, key=OWNER_KEY)


def draw_summary(items: list[dict]) -> None:
    lang = state.lang()
    st.subheader(tr("review.summary.title"))
    st.markdown("\n".join(f"{i}. {sentence(item, lang, state.plain, fmt.currency())}" for i, item in enumerate(items, 1)))


def draw_headline(head: dict, ctx: dict) -> None:
    cols = st.columns(4)
    tiles = [
        ("quota_attainment", "rate", tr("review.tile.attainment_help", won=rv.value_text("money", head["won_amount"]),
                                        quota=rv.value_text("money", head["quota"]))),
        ("coverage_raw", "cover", tr("review.tile.coverage_help",
                                     remaining=rv.value_text("money", head["remaining_quota"]),
                                     pipeline=rv.value_text("money", head["open_amount_in_period"]))),
        ("coverage_weighted", "cover", tr("review.tile.weighted_help",
                                          weighted=rv.value_text("money", head["weighted_in_period"]))),
        ("win_rate", "rate", tr("review.tile.win_rate_help", won=head["won_count"], lost=head["lost_count"])),
    ]
    reached = head.get("quota") is not None and head.get("remaining_quota") == 0  # nothing left: no coverage
    for col, (key, kind, caption) in zip(cols, tiles):
        with col:
            st.metric(tr(f"review.tile.{key}"), rv.value_text(kind, head.get(key)), border=True)
            st.caption(tr("flash.quota_reached") if reached and key.startswith("coverage") else caption)
    if head.get("quota") is None:
        st.caption(tr("review.no_quota"))
    parts = [tr("review.context.team", team=state.plain(ctx["team"] or tr("review.context.everyone")))]
    if ctx.get("region"):
        parts.append(tr("review.context.region", region=state.plain(ctx["region"])))
    if ctx.get("seniority_days") is not None:
        parts.append(tr("review.context.seniority", months=fmt.number(ctx["seniority_days"] / 30.44, state.lang()),
                        team=fmt.number((ctx["team_median_seniority_days"] or 0) / 30.44, state.lang())))
    st.caption(" · ".join(parts))


def draw_attainment(trend: pd.DataFrame, team: pd.DataFrame, owner: str) -> None:
    st.subheader(tr("review.attainment.title"))
    if trend["quota"].isna().all():
        rv.needs_sheet("targets") if team["quota"].isna().all() else st.info(tr("review.attainment.no_quota"))
        return
    lang = state.lang()
    rep_name, team_name = owner, tr("review.series.team")
    rows = []
    for name, df in ((rep_name, trend), (team_name, team)):
        for m, won, quota, att in zip(df["month"], df["won_amount"], df["quota"], df["attainment"]):
            rows.append({"month": fmt.month(m, lang), "order": m.isoformat(), "series": name, "attainment": att,
                         "text": f"{fmt.percent(att, lang, 0)} ({fmt.money(won, lang)} / {fmt.money(quota, lang)})"})
    data = pd.DataFrame(rows)
    months = list(dict.fromkeys(data.sort_values("order")["month"]))
    chart = alt.Chart(data).mark_line(point=alt.OverlayMarkDef(size=80), strokeWidth=3).encode(
        x=alt.X("month:N", sort=months, title=None, axis=alt.Axis(labelAngle=0)),
        y=alt.Y("attainment:Q", title=tr("review.attainment.axis"), axis=alt.Axis(format=".0%")),
        color=alt.Color("series:N", title=None, legend=alt.Legend(orient="top"),
                        scale=alt.Scale(domain=[rep_name, team_name], range=["#2f6fb0", "#9aa5b1"])),
        tooltip=[alt.Tooltip("series:N", title=" "), alt.Tooltip("month:N", title=tr("review.col.month")),
                 alt.Tooltip("text:N", title=tr("review.tile.quota_attainment"))],
    )
    goal = alt.Chart(pd.DataFrame({"y": [1.0]})).mark_rule(strokeDash=[6, 4], color="#e07b28").encode(y="y:Q")
    rv.chart((chart + goal).properties(height=280), "review_attainment", tr("review.attainment.title"), PAGE())


def draw_gaps(gaps: pd.DataFrame, mixes: dict[str, pd.DataFrame], ctx: dict, owner: str) -> None:
    st.subheader(tr("review.gaps.title"))
    st.caption(tr("review.gaps.help"))
    lang = state.lang()
    cols = st.columns(3)
    for col, (_, row) in zip(cols, gaps.iterrows()):
        kind = "rate" if row["metric"] == "win_rate" else "money"
        with col:
            st.markdown(f"**{tr('review.kpi.' + row['metric'])}**")
            data = pd.DataFrame({
                "what": [state.plain(owner), tr("review.series.team"), tr("review.series.expected")],
                "value": [row["rep"], row["team"], row["expected_segment"]],
            })
            data["text"] = [rv.value_text(kind, v) for v in data["value"]]
            bars = alt.Chart(data).mark_bar(size=34).encode(
                x=alt.X("what:N", sort=list(data["what"]), title=None, axis=alt.Axis(labelAngle=0, labelLimit=140)),
                y=alt.Y("value:Q", title=None, axis=alt.Axis(format=rv.number_format(kind))),
                color=alt.Color("what:N", legend=None, scale=alt.Scale(domain=list(data["what"]),
                                                                       range=["#2f6fb0", "#9aa5b1", "#7fb3d5"])),
                tooltip=[alt.Tooltip("what:N", title=" "),
                         alt.Tooltip("text:N", title=tr("review.kpi." + row["metric"]))],
            )
            text = bars.mark_text(dy=-10, fontSize=14).encode(text="text:N", color=alt.value("#333"))
            rv.chart((bars + text).properties(height=220), f"review_gap_{row['metric']}",
                     tr("review.kpi." + row["metric"]), PAGE())
    share, team_share = ctx.get("in_target_share"), ctx.get("team_in_target_share")
    if share is not None:
        st.caption(tr("review.gaps.in_target", share=fmt.percent(share, lang, 0),
                      team=fmt.percent(team_share, lang, 0)))
    # rows mix units: the win rate's row in % and points, the amounts' rows in money
    changes = ("gap", "volume_segment", "explained_segment", "remaining_segment")
    row_kinds = {col: [("points" if col in changes else "rate") if m == "win_rate" else
                       ("signed_money" if col in changes else "money") for m in gaps["metric"]]
                 for col in gaps.columns[1:]}
    rv.table(gaps, "review_gaps", tr("review.file.gaps"), kinds={}, row_kinds=row_kinds)

    st.markdown(f"**{tr('review.mix.title')}**")
    axis = st.segmented_control(tr("review.mix.axis"), list(reviews.MIX_AXES), key=AXIS_KEY, default="segment",
                                format_func=lambda a: tr(f"review.axis.{a}")) or "segment"
    mixed = mixes[axis]
    if mixed.empty:
        st.info(tr("review.mix.empty"))
        return
    values = mixed.assign(value=mixed["value"].map(lambda v: _axis_value(axis, v)))
    team_name = tr("review.series.team")
    data = values.rename(columns={"value": "group"}).assign(rep_text=[fmt.percent(v, lang, 0) for v in values["rep_share"]],
                         team_text=[fmt.percent(v, lang, 0) for v in values["team_share"]],
                         rep_series=owner, team_series=team_name)
    color = alt.Scale(domain=[owner, team_name], range=["#2f6fb0", "#333333"])
    y = alt.Y("group:N", title=None, sort=list(values["value"]), axis=alt.Axis(labelLimit=220))
    tooltip = [alt.Tooltip("group:N", title=tr(f"review.axis.{axis}")),
               alt.Tooltip("rep_text:N", title=owner), alt.Tooltip("team_text:N", title=team_name)]
    # the rep's share as a bar, the team's as a dark tick across it: the gap reads at a glance
    bars = alt.Chart(data).mark_bar(size=20).encode(
        y=y, x=alt.X("rep_share:Q", title=tr("review.mix.share_axis"), axis=alt.Axis(format=".0%")),
        color=alt.Color("rep_series:N", scale=color, title=None, legend=alt.Legend(orient="top")), tooltip=tooltip)
    ticks = alt.Chart(data).mark_tick(thickness=4, size=32).encode(
        y=y, x="team_share:Q", color=alt.Color("team_series:N", scale=color), tooltip=tooltip)
    chart = bars + ticks
    # Streamlit sizes a chart with a discrete y axis to its content unless given a height of its own
    height = max(110, 52 * len(values))
    rv.chart(chart.properties(height=height), f"review_mix_chart_{axis}",
             tr("review.mix.chart_title", axis=tr(f"review.axis.{axis}")), PAGE(), height=height + 70)
    shown = values[["value", "rep_closed", "rep_won", "rep_share", "team_share", "team_win_rate", "team_basket",
                    "expected_won", "rep_won_amount", "expected_amount"]]
    rv.table(shown, f"review_mix_{axis}", tr("review.file.mix") + f"_{axis}", kinds={"rep_closed": "count"})


def _axis_value(axis: str, value) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return tr("review.axis.none")
    if axis == "in_target":
        return tr("review.in_target.yes") if str(value).lower() == "true" else tr("review.in_target.no")
    return str(value)


def draw_activity(trend: pd.DataFrame | None) -> None:
    st.subheader(tr("review.activity.title"))
    if trend is None:
        rv.needs_sheet("activities")
        return
    lang = state.lang()
    data = trend.assign(label=[fmt.month(m, lang) for m in trend["month"]],
                        done_text=[fmt.number(v, lang) for v in trend["activities"]],
                        plan_text=[fmt.number(v, lang) for v in trend["planned"]])
    months = list(data["label"])
    done, plan = tr("review.activity.done"), tr("review.activity.planned")
    color = alt.Scale(domain=[done, plan], range=["#2f6fb0", "#e07b28"])
    tooltip = [alt.Tooltip("label:N", title=" "), alt.Tooltip("done_text:N", title=done),
               alt.Tooltip("plan_text:N", title=plan)]
    x = alt.X("label:N", sort=months, title=None, axis=alt.Axis(labelAngle=0))
    bars = alt.Chart(data.assign(s=done)).mark_bar(size=34).encode(
        x=x, y=alt.Y("activities:Q", title=tr("review.activity.axis")),
        color=alt.Color("s:N", scale=color, title=None, legend=alt.Legend(orient="top")), tooltip=tooltip)
    layers = [bars]
    if data["planned"].notna().any():
        layers.append(alt.Chart(data.assign(s=plan)).mark_line(point=True, strokeWidth=3).encode(
            x=x, y="planned:Q", color=alt.Color("s:N", scale=color), tooltip=tooltip))
    else:
        st.caption(tr("review.activity.no_plan"))
    rv.chart(alt.layer(*layers).properties(height=240), "review_activity", tr("review.activity.title"), PAGE())


def draw_deals(work: pd.DataFrame) -> None:
    st.subheader(tr("review.work.title"))
    st.caption(tr("review.work.help", **{k: v for k, v in reviews.SCORE.items()}, days=reviews.AGE_FULL_DAYS))
    if work.empty:
        st.info(tr("review.work.empty"))
        return
    shown = work.drop(columns=["owner"])
    rv.table(shown, "review_work", tr("review.file.work"), shown_rows=WORK_SHOWN,
             kinds={"close_date_passed": "bool", "days_in_stage": "count", "slips": "count"})


def draw_funnel(frame: pd.DataFrame, owner: str) -> None:
    st.subheader(tr("review.funnel.title"))
    st.caption(tr("review.funnel.help"))
    if frame.empty or frame["rep_reached"].sum() == 0:
        st.info(tr("review.funnel.empty"))
        return
    lang = state.lang()
    team_name = tr("review.series.team")
    stages = [tr(f"stage.{s}") for s in frame["stage"]]
    rows = []
    for series, prefix in ((owner, "rep"), (team_name, "team")):
        for stage, share, reached in zip(stages, frame[f"{prefix}_from_start"], frame[f"{prefix}_reached"]):
            rows.append({"stage": stage, "series": series, "share": share,
                         "text": f"{fmt.percent(share, lang, 0)} ({fmt.number(reached, lang)})"})
    data = pd.DataFrame(rows)
    chart = alt.Chart(data).mark_line(point=alt.OverlayMarkDef(size=80), strokeWidth=3).encode(
        x=alt.X("stage:N", sort=stages, title=None, axis=alt.Axis(labelAngle=0)),
        y=alt.Y("share:Q", title=tr("review.funnel.axis"), axis=alt.Axis(format=".0%")),
        color=alt.Color("series:N", title=None, legend=alt.Legend(orient="top"),
                        scale=alt.Scale(domain=[owner, team_name], range=["#2f6fb0", "#9aa5b1"])),
        tooltip=[alt.Tooltip("series:N", title=" "), alt.Tooltip("stage:N", title=tr("review.col.stage")),
                 alt.Tooltip("text:N", title=tr("review.funnel.axis"))],
    )
    rv.chart(chart.properties(height=260), "review_funnel_chart", tr("review.funnel.title"), PAGE())
    shown = frame[frame["stage"] != "won"][["stage", "rep_reached", "rep_conversion", "team_conversion",
                                             "team_median", "far_below"]]
    rv.table(shown, "review_funnel", tr("review.file.funnel"),
             kinds={"rep_reached": "count", "rep_conversion": "rate", "team_conversion": "rate",
                    "team_median": "rate", "far_below": "bool"})


def draw_forecast(result: dict) -> None:
    st.subheader(tr("review.forecast.title"))
    if result.get("method") is None:
        st.info(tr(result.get("reason") or "forecast.need_two_uploads"))
        return
    lang = state.lang()
    rep, team = result.get("rep") or {}, result.get("team") or {}
    st.caption(tr("review.forecast.help", base=fmt.day(result["base_date"], lang),
                  latest=fmt.day(result["latest_date"], lang)))
    if not rep or rep.get("too_few"):
        st.info(tr("review.forecast.too_few", min=result["min_deals"], deals=rep.get("deals", 0)))
        return
    cols = st.columns(4)
    tiles = [
        ("brier", fmt.number(rep.get("brier"), lang, 2), fmt.number(team.get("brier"), lang, 2)),
        ("optimism", fmt.points(rep.get("optimism"), lang, 0), fmt.points(team.get("optimism"), lang, 0)),
        ("amount_ratio", fmt.percent(rep.get("amount_ratio"), lang, 0), fmt.percent(team.get("amount_ratio"), lang, 0)),
        ("slip_rate", fmt.percent(rep.get("slip_rate"), lang, 0), fmt.percent(team.get("slip_rate"), lang, 0)),
    ]
    # from a single upload the score judges the stages' default probabilities: a measure of the stage mix
    brier = "brier_stage_mix" if result.get("brier_kind") == "stage_mix" else "brier"
    for col, (key, value, team_value) in zip(cols, tiles):
        key = brier if key == "brier" else key
        with col:
            st.metric(tr(f"review.forecast.{key}"), value, border=True, help=tr(f"review.forecast.{key}_help"))
            st.caption(tr("review.forecast.team_value", value=team_value))


def main() -> None:
    con = state.connection()
    flt = current_filter() if FILTER_KEY in st.session_state else draw_filters(con)
    st.title(tr("nav.review_individual"))
    if "opportunities" not in cache.available_tables(con):
        st.info(tr("flash.no_opportunities"))
        return
    owner = pick_owner(con, flt)
    if owner is None:
        st.info(tr("review.no_rep"))
        return
    if flt.start is not None and flt.end is not None:
        st.caption(tr("review.period", start=fmt.day(flt.start, state.lang()), end=fmt.day(flt.end, state.lang())))
    today = cache.reference_date(con)
    review = cached(reviews.individual, con, flt, owner, today)
    draw_summary(review["summary"])
    draw_headline(review["headline"], review["context"])
    draw_attainment(review["attainment_trend"], review["team_attainment_trend"], owner)
    draw_gaps(review["gaps"], review["mix"], review["context"], owner)
    draw_funnel(review["funnel"], owner)
    draw_activity(review["activity_trend"])
    draw_forecast(review["forecast"])
    draw_deals(review["deals_to_work"])


main()
