"""Segments page: effort against result per segment (or any axis), acquisition cost and contribution,
effort per won deal per rep, opportunity sources and the leads the director can check.
It only reads the filter, calls analytics.views.segments (through ui.cache) and draws.
"""
from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from analytics.views import segments
from analytics.i18n import STRINGS, t
from ui import cache, charts, format as fmt, state, tables
from ui.cache import cached
from ui.sidebar import FILTER_KEY, current_filter, draw_filters

tr = state.tr
AXIS_KEY = "segments_axis"
METRIC_KEY = "segments_rep_metric"
ACCOUNTS_KEY = "segments_accounts"
HELP_COLUMNS = ("meetings", "margin", "new_customer_margin", "margin_per_customer", "contribution", "time_cost",
                "average_basket")

_MONEY = {"won_amount", "lost_amount", "average_basket", "margin", "new_customer_margin", "margin_per_customer",
          "time_cost",
          "marketing_spend", "acquisition_spend", "acquisition_cost", "contribution"}
_RATE = {"win_rate", "activities_vs_plan", "effort_share", "revenue_share", "margin_share", "marketing_share",
         "conversion", "in_target_share"}
_ONE_DECIMAL = {"activity_hours", "uncosted_hours", "meetings_per_win", "hours_per_win", "planned_activities"}

# The table's columns, in reading order: result, then effort, then what it costs and brings.
TABLE_COLUMNS = [
    "value", "won_count", "won_amount", "lost_count", "win_rate", "average_basket", "margin", "new_customers",
    "activities", "meetings", "activity_hours", "time_cost", "marketing_spend", "acquisition_cost",
    "new_customer_margin", "margin_per_customer", "contribution", "effort_share", "revenue_share", "planned_activities",
    "activities_vs_plan", "meetings_per_win", "hours_per_win", "calls", "emails", "demos", "uncosted_hours",
    "created_count", "lost_amount", "won_without_margin", "acquisition_spend", "margin_share", "marketing_share",
]


def _label(value, lang: str | None = None) -> str:
    """An axis value as shown: the unattributed row (None) in words."""
    if value is None or (isinstance(value, float) and value != value):
        return t("segments.unattributed", lang or state.lang())
    return str(value)


def _money(value) -> str:
    return fmt.money(value, state.lang())


MONEY_AXIS = "$,.0f"  # the workspace currency where the language puts it (the chart locale)

# How each column is written on screen (ui.format.frame); the CSV keeps the numbers.
COLUMN_KINDS = {c: "money" for c in _MONEY} | {c: "rate" for c in _RATE} | {c: "decimal" for c in _ONE_DECIMAL} | {
    c: "count" for c in ("won_count", "lost_count", "created_count", "new_customers", "activities", "calls",
                         "emails", "meetings", "demos", "won_without_margin", "open_count")}


# --- tables --------------------------------------------------------------------------------------------------

def draw_table(df: pd.DataFrame, key: str, title: str, value_label: str | None = None) -> None:
    """The page's tables through the one table helper (ui/tables.py): numbers stay numbers, CSV and Excel."""
    labels = {c: tr(f"segments.col.{c}") for c in df.columns}
    if value_label:
        labels["value"] = value_label
    # the columns whose definition a reader asks about carry it as their help (the README says the same)
    helps = {c: tr(f"segments.col.{c}.help") for c in df.columns if f"segments.col.{c}.help" in STRINGS["fr"]}
    helps |= {col: tr(f"segments.colhelp.{col}") for col in HELP_COLUMNS if col in df.columns}
    kinds = {c: COLUMN_KINDS[c] for c in df.columns if c in COLUMN_KINDS}
    tables.table(df, key, kinds=kinds, labels=labels, helps=helps, title=title, page=tr("segments.title"))


# --- messages ------------------------------------------------------------------------------------------------

def draw_missing(have: dict, flt, axis: str, df: pd.DataFrame) -> None:
    """Say what each missing sheet or column would add; the page goes on with what it has."""
    messages = []
    if not have["activities"]:
        messages.append("segments.missing.activities")
    elif not have["durations"]:
        messages.append("segments.missing.durations")
    elif not have["hourly_costs"]:
        messages.append("segments.missing.hourly_costs")
    if not have["marketing_spend"]:
        messages.append("segments.missing.marketing_spend")
    if not have["margins"]:
        messages.append("segments.missing.margins")
    if not have["accounts"]:
        messages.append("segments.missing.accounts")
    for key in messages:
        st.info(tr(key), icon=":material/add_notes:")
    if not have["planned_activities"]:
        st.caption(tr("segments.missing.planned"))
    uncosted = df["uncosted_hours"].sum() if have["durations"] and have["hourly_costs"] else 0
    if uncosted > 0:
        st.caption(tr("segments.uncosted", hours=fmt.number(uncosted, state.lang(), 1)))
    if have["marketing_spend"]:
        if any(getattr(flt, d) is not None for d in ("owner", "team", "region")):
            st.caption(tr("segments.spend_filtered"))
        elif axis not in ("segment", "source"):
            spend = df.loc[df["value"].isna(), "marketing_spend"].sum()
            st.caption(tr("segments.spend_not_by_axis", amount=_money(spend)))


# --- charts --------------------------------------------------------------------------------------------------

MARK_COLUMNS = ["value", "won_amount", "acquisition_cost", "margin_per_customer", "contribution", "effort_share",
                "revenue_share", "win_rate"]


def _marks(df: pd.DataFrame) -> pd.DataFrame:
    """The few columns a chart needs (the browser gets nothing else), with their texts for the tooltips."""
    lang = state.lang()
    return df[MARK_COLUMNS].assign(
        label=[_label(v) for v in df["value"]],
        won_text=[fmt.money(v, lang) for v in df["won_amount"]],
        cac_text=[fmt.money(v, lang) for v in df["acquisition_cost"]],
        margin_text=[fmt.money(v, lang) for v in df["margin_per_customer"]],
        contribution_text=[fmt.money(v, lang) for v in df["contribution"]],
        effort_text=[fmt.percent(v, lang) for v in df["effort_share"]],
        revenue_text=[fmt.percent(v, lang) for v in df["revenue_share"]],
        rate_text=[fmt.percent(v, lang) for v in df["win_rate"]],
    )


def cac_chart(df: pd.DataFrame) -> alt.LayerChart:
    """x = acquisition cost, y = margin per new customer, size = revenue won; the break-even diagonal."""
    data = _marks(df[df["acquisition_cost"].notna() & df["margin_per_customer"].notna()])
    top = float(max(data["acquisition_cost"].max(), data["margin_per_customer"].max())) * 1.1
    axis = dict(format=MONEY_AXIS)
    x = alt.X("acquisition_cost:Q", title=tr("segments.col.acquisition_cost"), scale=alt.Scale(domain=[0, top]),
              axis=alt.Axis(**axis))
    y = alt.Y("margin_per_customer:Q", title=tr("segments.col.margin_per_customer"),
              scale=alt.Scale(domain=[0, top]), axis=alt.Axis(**axis))
    tooltip = [alt.Tooltip("label:N", title=tr("segments.col.value")),
               alt.Tooltip("cac_text:N", title=tr("segments.col.acquisition_cost")),
               alt.Tooltip("margin_text:N", title=tr("segments.col.margin_per_customer")),
               alt.Tooltip("contribution_text:N", title=tr("segments.col.contribution")),
               alt.Tooltip("won_text:N", title=tr("segments.col.won_amount"))]
    line_data = pd.DataFrame({"x": [0.0, top], "y": [0.0, top], "name": tr("segments.chart.breakeven")})
    line = alt.Chart(line_data).mark_line(strokeDash=[6, 4], color="#888").encode(
        x="x:Q", y="y:Q", tooltip=alt.Tooltip("name:N", title=" "))
    below = alt.Chart(pd.DataFrame({"x": [top * 0.97], "y": [top * 0.05], "t": [tr("segments.chart.breakeven")]}))
    note = below.mark_text(align="right", color="#888", fontSize=11).encode(x="x:Q", y="y:Q", text="t:N")
    points = alt.Chart(data).mark_circle(opacity=0.75, stroke="#333", strokeWidth=0.5).encode(
        x=x, y=y, size=alt.Size("won_amount:Q", legend=None, scale=alt.Scale(range=[150, 2500])),
        color=alt.condition("datum.contribution < 0", alt.value("#c0392b"), alt.value("#2f6fb0")),
        tooltip=tooltip)
    labels = points.mark_text(align="left", dx=30, fontSize=12, fontWeight="bold", color="#222").encode(text="label:N", size=alt.value(12))
    return alt.layer(line, note, points, labels).properties(height=380)


def shares_chart(df: pd.DataFrame) -> alt.LayerChart:
    """x = share of effort, y = share of revenue, size = revenue won; the diagonal where they are equal."""
    data = _marks(df[df["effort_share"].notna() & df["revenue_share"].notna()])
    top = float(max(data["effort_share"].max(), data["revenue_share"].max(), 0.05)) * 1.1
    tooltip = [alt.Tooltip("label:N", title=tr("segments.col.value")),
               alt.Tooltip("effort_text:N", title=tr("segments.col.effort_share")),
               alt.Tooltip("revenue_text:N", title=tr("segments.col.revenue_share")),
               alt.Tooltip("won_text:N", title=tr("segments.col.won_amount"))]
    fmt_pct = "format(datum.value * 100, '.0f') + (" + ("'\u00a0%'" if state.lang() == "fr" else "'%'") + ")"
    x = alt.X("effort_share:Q", title=tr("segments.col.effort_share"), scale=alt.Scale(domain=[0, top]),
              axis=alt.Axis(labelExpr=fmt_pct))
    y = alt.Y("revenue_share:Q", title=tr("segments.col.revenue_share"), scale=alt.Scale(domain=[0, top]),
              axis=alt.Axis(labelExpr=fmt_pct))
    line = alt.Chart(pd.DataFrame({"x": [0.0, top], "y": [0.0, top], "name": tr("segments.shares.equal")})) \
        .mark_line(strokeDash=[6, 4], color="#888").encode(x="x:Q", y="y:Q", tooltip=alt.Tooltip("name:N", title=" "))
    points = alt.Chart(data).mark_circle(opacity=0.75, color="#2f6fb0", stroke="#333", strokeWidth=0.5).encode(
        x=x, y=y, size=alt.Size("won_amount:Q", legend=None, scale=alt.Scale(range=[150, 2500])), tooltip=tooltip)
    labels = points.mark_text(align="left", dx=30, fontSize=12, fontWeight="bold", color="#222").encode(text="label:N", size=alt.value(12))
    return alt.layer(line, points, labels).properties(height=340)


def won_chart(df: pd.DataFrame) -> alt.Chart:
    """What opportunities alone give: revenue won per value, win rate in the tooltip."""
    data = _marks(df)
    tooltip = [alt.Tooltip("label:N", title=tr("segments.col.value")),
               alt.Tooltip("won_text:N", title=tr("segments.col.won_amount")),
               alt.Tooltip("rate_text:N", title=tr("segments.col.win_rate"))]
    data = data.assign(bar_text=[f"{w} · {r}" for w, r in zip(data["won_text"], data["rate_text"])])
    bars = alt.Chart(data).mark_bar(color="#2f6fb0").encode(
        y=alt.Y("label:N", sort=list(data["label"]), title=None),
        x=alt.X("won_amount:Q", title=tr("segments.won.axis"), axis=alt.Axis(format=MONEY_AXIS)),
        tooltip=tooltip,
    )
    # the title promises the win rate too: each bar is labelled with its amount and its win rate
    text = bars.mark_text(align="left", dx=4, color="#222").encode(text="bar_text:N")
    return alt.layer(bars, text).properties(height=max(120, 32 * len(data)))


def draw_effort_result(axis: str, have: dict, df: pd.DataFrame) -> None:
    if df.empty:
        st.info(tr("segments.sources.empty"))
        return
    named = df[df["value"].notna()]
    if named["acquisition_cost"].notna().any() and named["margin_per_customer"].notna().any():
        st.subheader(tr("segments.chart.title"))
        st.caption(tr("segments.chart.help"))
        charts.chart(cac_chart(named), "segments_cac", title=tr("segments.chart.title"), page=tr("segments.title"))
    elif have["activities"] and have["marketing_spend"] and axis in ("segment", "source"):
        st.info(tr("segments.chart.no_cac"))
    if have["activities"] and df["effort_share"].notna().any():
        st.subheader(tr("segments.shares.title"))
        st.caption(tr("segments.shares.help"))
        charts.chart(shares_chart(df), "segments_shares", title=tr("segments.shares.title"),
                     page=tr("segments.title"))
    else:
        st.subheader(tr("segments.won.title"))
        charts.chart(won_chart(df), "segments_won", title=tr("segments.won.title"), page=tr("segments.title"))
    st.subheader(tr("segments.table.title"))
    shown = df.assign(value=[_label(v) for v in df["value"]])
    columns = [c for c in TABLE_COLUMNS if shown[c].notna().any() or c in segments.CLI_KEYS]
    draw_table(shown[columns], "segments", tr("segments.table.file", axis=tr(f"segments.axis.{axis}")),
               tr(f"segments.axis.{axis}"))


# --- reps x segments -----------------------------------------------------------------------------------------

def rep_heatmap(df: pd.DataFrame, metric: str) -> alt.LayerChart:
    lang = state.lang()
    median = tr("segments.reps.median")
    data = df.assign(
        rep=[median if m else o for o, m in zip(df["owner"], df["is_median"])],
        label=[_label(v) for v in df["value"]],
        text=[fmt.number(v, lang, 1) for v in df[metric]],
        wins=df["won_count"].astype("int64"),
    )
    reps = sorted(data.loc[~data["is_median"], "rep"].unique(), key=str.casefold) + [median]
    dark = float(data[metric].max()) * 0.6 if data[metric].notna().any() else 0.0
    base = alt.Chart(data).encode(
        x=alt.X("label:N", title=None, axis=alt.Axis(orient="top", labelAngle=0, labelLimit=200)),
        y=alt.Y("rep:N", sort=reps, title=None, axis=alt.Axis(labelLimit=220)),
    )
    tooltip = [alt.Tooltip("rep:N", title=tr("segments.col.owner")),
               alt.Tooltip("label:N", title=tr("segments.col.value")),
               alt.Tooltip("text:N", title=tr(f"segments.reps.{metric}")),
               alt.Tooltip("wins:Q", title=tr("segments.col.won_count"))]
    cells = base.mark_rect(stroke="white").encode(
        color=alt.Color(f"{metric}:Q", title=None, scale=alt.Scale(scheme="oranges"),
                        legend=alt.Legend(orient="bottom", direction="horizontal", gradientLength=240)),
        tooltip=tooltip)
    # dark cells get white figures
    text = base.mark_text(fontSize=12).encode(
        text="text:N", color=alt.condition(f"datum.{metric} > {dark}", alt.value("white"), alt.value("#222")),
        tooltip=tooltip)
    frame = base.transform_filter("datum.is_median").mark_rect(fill=None, stroke="#222", strokeWidth=1.5)
    return alt.layer(cells, text, frame).properties(height=28 * len(reps) + 30)


def draw_reps(df: pd.DataFrame, axis: str, have: dict) -> None:
    st.subheader(tr("segments.reps.title"))
    if not have["activities"]:
        st.info(tr("segments.missing.activities"), icon=":material/add_notes:")
        return
    st.caption(tr("segments.reps.help"))
    if df.empty:
        st.info(tr("segments.reps.empty"))
        return
    options = ["meetings_per_win"] + (["hours_per_win"] if have["durations"] else [])
    metric = st.segmented_control(tr("segments.reps.metric"), options, key=METRIC_KEY, default=options[0],
                                  format_func=lambda m: tr(f"segments.reps.{m}")) or options[0]
    charts.chart(rep_heatmap(df, metric), "segments_reps_chart", title=tr(f"segments.reps.{metric}"),
                 page=tr("segments.title"))
    shown = df.assign(owner=[tr("segments.reps.median") if m else o for o, m in zip(df["owner"], df["is_median"])],
                      value=[_label(v) for v in df["value"]]).drop(columns="is_median")
    with st.expander(tr("segments.table.title")):
        draw_table(shown, "rep_effort", tr("segments.reps.title"),
                   tr(f"segments.axis.{'segment' if axis == 'owner' else axis}"))


# --- sources -------------------------------------------------------------------------------------------------

def draw_sources(con, flt) -> None:
    st.subheader(tr("segments.sources.title"))
    st.caption(tr("segments.sources.help"))
    df = cached(segments.sources, con, flt)
    if df.empty:
        st.info(tr("segments.sources.empty"))
        return
    lang = state.lang()
    data = df.assign(label=[s if isinstance(s, str) else tr("segments.sources.no_source") for s in df["source"]],
                     conv_text=[fmt.percent(v, lang) for v in df["conversion"]],
                     bar_text=[tr("segments.sources.bar_text", count=fmt.number(n, lang), rate=fmt.percent(v, lang, 0))
                               for n, v in zip(df["created_count"], df["conversion"])],
                     won_text=[fmt.money(v, lang) for v in df["won_amount"]])
    tooltip = [alt.Tooltip("label:N", title=tr("segments.col.source")),
               alt.Tooltip("created_count:Q", title=tr("segments.col.created_count")),
               alt.Tooltip("conv_text:N", title=tr("segments.col.conversion")),
               alt.Tooltip("won_text:N", title=tr("segments.col.won_amount"))]
    height = 80 + 44 * len(data)  # room for every label: Vega drops those that would overlap
    bars = alt.Chart(data).mark_bar(color="#2f6fb0").encode(
        y=alt.Y("label:N", sort=list(data["label"]), title=None, axis=alt.Axis(labelLimit=220)),
        x=alt.X("created_count:Q", title=tr("segments.col.created_count")), tooltip=tooltip,
    ).properties(height=height)
    # each bar says what it measures (deals created) and then their conversion, so a count never reads as a rate
    text = bars.mark_text(align="left", dx=4, color="#222").encode(text="bar_text:N")
    charts.chart(alt.layer(bars, text), "sources_chart", title=tr("segments.sources.chart_title"),
                 page=tr("segments.title"))
    shown = df.assign(source=data["label"])
    if shown["in_target_share"].isna().all():
        shown = shown.drop(columns="in_target_share")
    draw_table(shown, "sources", tr("segments.sources.title"))


# --- suggestions ---------------------------------------------------------------------------------------------

def _sentence(row) -> str:
    lang = state.lang()
    num = lambda v: fmt.number(v, lang, 1)  # noqa: E731
    return tr(
        f"segments.suggestion.{row.kind}", value=state.plain(_label(row.value)),
        target=state.plain(row.target) if isinstance(row.target, str) else "",
        cac=_money(row.acquisition_cost), margin=_money(row.margin_per_customer),
        contribution=_money(row.contribution), rate=fmt.percent(row.win_rate, lang),
        ref_rate=fmt.percent(row.reference_win_rate, lang), hours=num(row.hours_per_win if row.kind == "move_up"
                                                                      else row.activity_hours),
        ref_hours=num(row.reference_hours_per_win if row.kind == "move_up" else row.reference_hours),
        won=_money(row.won_amount), ref_won=_money(row.reference_won_amount),
    )


def _leads(df: pd.DataFrame) -> None:
    st.markdown("\n".join(f"- {_sentence(r)}" for r in df.itertuples()))


def draw_suggestions(con, flt, axis: str, view: dict) -> None:
    st.subheader(tr("segments.suggestions.title"))
    st.caption(tr("segments.suggestions.help"))
    df = view["suggestions"]
    if df.empty:
        st.write(tr("segments.suggestions.none"))
    else:
        with st.expander(f"{tr(f'segments.axis.{axis}')} ({len(df)})", expanded=True):
            _leads(df)
    if axis != "segment":
        return
    # accounts read every account of the workspace: on demand, not on every render
    if not st.toggle(tr("segments.suggestions.accounts"), key=ACCOUNTS_KEY):
        return
    with st.spinner(tr("segments.suggestions.searching")):
        tiers = segments.suggest(view["table"], cached(segments.account_tiers, con, flt))
    for title, kind in (("segments.suggestions.accounts_up", "account_up"),
                        ("segments.suggestions.accounts_down", "account_down")):
        part = tiers[tiers["kind"] == kind]
        with st.expander(f"{tr(title)} ({len(part)})", expanded=kind == "account_up"):
            if part.empty:
                st.write(tr("segments.suggestions.none"))
            else:
                _leads(part)


# --- page ----------------------------------------------------------------------------------------------------

def main() -> None:
    con = state.connection()
    flt = current_filter() if FILTER_KEY in st.session_state else draw_filters(con)
    st.title(tr("segments.title"))
    if "opportunities" not in cache.available_tables(con):
        st.info(tr("segments.no_opportunities"))
        return
    st.caption(tr("segments.intro"))
    if flt.start is None or flt.end is None:
        st.caption(tr("segments.all_time"))
    else:
        st.caption(tr("segments.period", start=fmt.day(flt.start, state.lang()), end=fmt.day(flt.end, state.lang())))
    axis = st.segmented_control(tr("segments.axis"), list(segments.AXES), key=AXIS_KEY, default="segment",
                                format_func=lambda a: tr(f"segments.axis.{a}")) or "segment"
    have = cached(_available, con)
    view = cached(segments.segment_view, con, flt, axis, False)
    df = view["table"]
    draw_missing(have, flt, axis, df)
    draw_effort_result(axis, have, df)
    draw_reps(view["reps"], axis, have)
    draw_sources(con, flt)
    draw_suggestions(con, flt, axis, view)


def _available(con, _flt):
    return segments.data_available(con)


main()
