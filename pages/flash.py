"""Flash figures page: the period's KPIs against the comparison period, the won-versus-quota trend,
the per-rep table and the alerts. It only reads the filter, calls analytics (through ui.cache) and draws;
every number and date on screen is written by ui/format.py, every KPI comes from the registry (analytics/measures/kpis.py).
"""
from __future__ import annotations

from datetime import date

import altair as alt
import pandas as pd
import streamlit as st

from analytics.measures import kpis, stays
from analytics.i18n import t
from analytics.outputs import charts as image_charts
from analytics.views import projection
from ui import cache, charts, downloads, state, tables
from ui import format as fmt
from ui.cache import cached
from ui.sidebar import FILTER_KEY, comparison_mode, current_filter, draw_filters, fiscal_start, today

tr = state.tr

# The tiles, row by row: registry keys (kind, delta rule, colour and texts come from the registry).
TILES = [
    ["won_count", "won_amount", "win_rate", "average_basket"],
    ["lost_count", "lost_amount", "new_opportunities", "average_cycle_days"],
    ["open_amount", "weighted_pipeline", "coverage_raw", "coverage_weighted"],
    ["quota_attainment", "quota", "time_spent_hours", "time_cost"],
]
_COLOR = {"higher": "normal", "lower": "inverse", "neutral": "off"}


# --- period caption ------------------------------------------------------------------------------------------

def period_caption(flt, cmp: dict | None, reference) -> str:
    """What the figures cover and what they are compared with, in words: a period in progress says it is
    read to date and that the comparison stops at the same day; one day reads as one day."""
    lang = state.lang()
    if flt.start is None or flt.end is None:
        return tr("flash.all_time")
    text = tr("flash.period_span", span=fmt.span(flt.start, flt.end, lang))
    if reference is not None and flt.start <= reference < flt.end:
        text += " " + tr("flash.to_date", day=fmt.day(reference, lang), elapsed=(reference - flt.start).days + 1,
                         total=flt.days)
    if cmp is None:
        return text + " " + tr("flash.no_compare_long")
    compared = fmt.span(cmp["start"], cmp["end"], lang)
    if cmp["empty"]:
        return text + " " + tr("flash.compare_empty", span=compared)
    if cmp["end"] != cmp["whole_end"]:
        return text + " " + tr("flash.compare_to_date", span=compared,
                               whole=fmt.span(cmp["whole_start"], cmp["whole_end"], lang))
    return text + " " + tr("flash.compare", span=compared)


# --- tiles ---------------------------------------------------------------------------------------------------

def _note(note: dict) -> str:
    params = {k: fmt.number(v, state.lang(), 2 if isinstance(v, float) and v % 1 else 0)
              for k, v in note.items() if k != "note"}
    return tr(note["note"], **params)


def _tile(key: str, now: dict, before: dict | None) -> None:
    kpi, lang = kpis.BY_KEY[key], state.lang()
    value = now.get(key)
    help_text = tr(kpi.help_key, count=fmt.number(now.get("open_count", 0), lang))
    delta = None
    if before is not None:
        delta = fmt.kpi_delta(kpi.kind, kpi.delta, value, before.get(key), lang)
    unchanged = delta is not None and not any(ch in "123456789" for ch in delta)
    st.metric(
        tr(kpi.label_key), fmt.kpi_value(kpi.kind, value, lang), delta,
        delta_color="off" if unchanged else _COLOR[kpi.better], delta_arrow="off" if unchanged else "auto",
        help=help_text, border=True,
    )
    needs, notes = now.get("needs", {}), now.get("notes", {})
    if key in needs:
        st.caption(tr("flash.add_sheet", sheet=tr(f"table.{needs[key]}")))
    elif key in notes:
        st.caption(_note(notes[key]))
    elif key in ("quota", "quota_attainment") and now.get("quota") is None:
        st.caption(tr("flash.no_quota"))
    elif key.startswith("coverage") and value is None and fmt.defined(now.get("remaining_quota")):
        st.caption(tr("flash.quota_reached"))


def draw_tiles(now: dict, before: dict | None) -> None:
    for row in TILES:
        for column, key in zip(st.columns(len(row)), row):
            with column:
                _tile(key, now, before)


# --- trend ---------------------------------------------------------------------------------------------------

def trend_chart(df: pd.DataFrame, lang: str) -> alt.LayerChart:
    """Won amount per bucket as bars, the bucket's quota as a line. The axis groups thousands as the
    language does (Vega's number locale from ui.format.d3_locale); tooltips are written by ui.format."""
    won, quota = t("flash.trend.won", lang), t("flash.trend.quota", lang)
    data = df.assign(
        label=[image_charts.bucket_label(b, g, lang, s, e)
               for b, g, s, e in zip(df["bucket"], df["grain"], df["bucket_start"], df["bucket_end"])],
        won_text=[fmt.money(v, lang) for v in df["won_amount"]],
        quota_text=[fmt.money(v, lang) for v in df["quota"]],
        won_series=won,
        quota_series=quota,
    )
    order = list(data["label"])
    color = alt.Scale(domain=[won, quota], range=["#2f6fb0", "#e07b28"])
    legend = alt.Legend(title=None, orient="top")
    x = alt.X("label:N", sort=order, title=None, axis=alt.Axis(labelAngle=-40 if len(order) > 8 else 0))
    y_axis = alt.Axis(format=",.0f", title=t("flash.trend.amount", lang))
    tooltip = [alt.Tooltip("label:N", title=" "), alt.Tooltip("won_text:N", title=won),
               alt.Tooltip("quota_text:N", title=quota)]
    bars = alt.Chart(data).mark_bar(**({"size": 28} if len(order) <= 8 else {})).encode(
        x=x, y=alt.Y("won_amount:Q", axis=y_axis), color=alt.Color("won_series:N", scale=color, legend=legend),
        tooltip=tooltip,
    )
    layers = [bars]
    if data["quota"].notna().any():
        line = alt.Chart(data).mark_line(point=True, strokeWidth=2).encode(
            x=x, y=alt.Y("quota:Q"), color=alt.Color("quota_series:N", scale=color, legend=legend), tooltip=tooltip,
        )
        layers.append(line)
    return alt.layer(*layers).properties(height=320).configure(locale={"number": fmt.d3_locale(lang)})


def draw_trend(con, flt) -> None:
    st.subheader(tr("flash.trend.title"))
    df = cached(kpis.won_trend, con, flt)
    if df.empty or (df["won_amount"].sum() == 0 and df["quota"].isna().all()):
        st.info(tr("flash.trend.empty"))
        return
    charts.chart(trend_chart(df, state.lang()), "trend", title=tr("flash.trend.title"), page=tr("flash.title"),
                 configured=True)


# --- tables --------------------------------------------------------------------------------------------------

# How each table column reads (ui.format kinds); registry KPIs take their registry kind.
COLUMN_KINDS = {k.key: k.kind for k in kpis.REGISTRY} | {
    "amount": "money", "prorated_goal": "money", "gap": "money", "probability": "rate", "earlier_typical": "rate",
    "close_date": "date", "entered": "date", "days_overdue": "count", "days_in_stage": "count",
    "p75_days": "decimal", "threshold_days": "decimal",
    "won_to_date": "money", "from_open": "money", "from_new": "money", "central": "money", "call": "money",
    "call_gap": "money", "optimism": "rate", "amount_ratio": "ratio",
}


def _translated(df: pd.DataFrame, lang: str) -> pd.DataFrame:
    """Stage keys and stay sources shown in the user's words."""
    out = df.copy()
    for col in ("stage", "earlier_stage"):
        if col in out:
            out[col] = out[col].map(lambda s: t(f"stage.{s}", lang) if isinstance(s, str) else s)
    if "source" in out and "threshold_days" in out:  # the stuck list's source of a stay (history / uploads)
        out["source"] = out["source"].map(lambda s: t(f"flash.stay_source.{s}", lang) if isinstance(s, str) else s)
    return out


def draw_table(df: pd.DataFrame, key: str, title: str) -> None:
    """The table through the one table helper (numbers stay numbers, formats by language, CSV and Excel)."""
    kinds = {c: COLUMN_KINDS[c] for c in df.columns if c in COLUMN_KINDS}
    tables.table(df, key, kinds=kinds, labels="flash.col", title=title, page=tr("flash.title"), words=_translated)


def draw_reps(con, flt) -> None:
    st.subheader(tr("flash.reps.title"))
    df = cached(kpis.rep_table, con, flt)
    if df.empty:
        st.info(tr("flash.reps.empty"))
        return
    draw_table(df, "reps", tr("flash.reps.title"))


# --- projection ----------------------------------------------------------------------------------------------

def team_projection(con, flt, period: str) -> dict:
    """The projection tile's figures: the team's projection, without the per-rep table (`project(reps=False)`)."""
    return projection.project(con, flt, period, reps=False)


def projection_period(flt) -> str:
    """The period the projection tile shows: the one picked, else the one the filter's period suggests."""
    if "projection_period" in st.session_state:
        return st.session_state["projection_period"] or "month"  # unselected: the month, as drawn
    return projection.period_of(flt, fiscal_start())


def draw_projection(con, flt) -> None:
    """Where the month, quarter or fiscal year holding the latest upload will land (analytics/views/projection.py):
    the projection with its range and parts, the quota and the reps' call beside it, the backtest in words, and
    the per-rep call against the projection."""
    lang = state.lang()
    st.subheader(tr("projection.title"))
    period = st.segmented_control(
        tr("projection.period"), projection.PERIODS, default=projection.period_of(flt, fiscal_start()),
        format_func=lambda p: tr(f"projection.period.{p}"), key="projection_period") or "month"
    # the team's projection alone: its backtest re-projects up to a dozen past uploads, and the per-rep call
    # reads each rep's figures and forecast record, so both run when asked (below)
    result = cached(team_projection, con, flt, period)
    if result["reason"] is not None:
        st.info(tr(result["reason"]))
        return
    st.caption(tr("projection.span", span=fmt.span(result["period"]["start"], result["period"]["end"], lang),
                  day=fmt.day(result["as_of"], lang)))
    central, quota, naive = st.columns(3)
    with central:
        st.metric(tr("projection.central"), fmt.money(result["central"], lang), help=tr("projection.central_help"),
                  border=True)
        st.caption(tr("projection.range", low=fmt.money(result["low"], lang), high=fmt.money(result["high"], lang)))
        st.caption(tr("projection.parts", won=fmt.money(result["won_to_date"], lang),
                      open=fmt.money(result["from_open"], lang), new=fmt.money(result["from_new"], lang)))
    with quota:
        st.metric(tr("projection.quota"), fmt.money(result["quota"], lang), border=True)
    with naive:
        st.metric(tr("projection.naive"), fmt.money(result["naive"], lang), help=tr("projection.naive_help"),
                  border=True)
    for source in ("history", "crm"):
        share = result["sources"][source]
        if share:
            st.caption(tr(f"projection.source.{source}", share=fmt.percent(share, lang, 0), min=projection.MIN_OBS))
    if st.toggle(tr("projection.backtest_toggle"), key="projection_backtest", help=tr("projection.backtest_toggle_help")):
        test = cached(projection.backtest, con, flt, period)
        if test["mae_pct"] is None:
            st.caption(tr("projection.backtest_none"))
        else:
            st.caption(tr("projection.backtest", n=fmt.number(test["periods"], lang),
                          mae=fmt.percent(test["mae_pct"] / 100, lang, 0),
                          naive=fmt.percent(test["naive_mae_pct"] / 100, lang, 0),
                          coverage=fmt.percent(test["coverage"], lang, 0)))
    per_rep = st.expander(tr("projection.reps.title"), key="projection_reps_open", on_change="rerun")
    if per_rep.open:
        reps = cached(projection.project, con, flt, period)["reps"]
        with per_rep:
            st.caption(tr("projection.reps.caption"))
            if reps.empty:
                st.caption(tr("projection.reps.none"))
            else:
                draw_table(reps, "projection_reps", tr("projection.reps.title"))


def _team_thresholds(con, flt) -> tuple:
    """The stuck thresholds under the same cache key as the funnel page's (one computation for both pages)."""
    return stays.frozen(cached(stays.default_thresholds, con, stays.threshold_filter(flt)))


def draw_alerts(con, flt, reference, available: set[str]) -> None:
    st.subheader(tr("flash.alerts.title"))
    lang = state.lang()
    # stays are measured from the stage history, else from the weekly uploads: as on the funnel page
    stays_measurable = stays.measurable(cached(stays.sources, con))
    alerts = [
        ("behind", "targets", lambda: cached(kpis.reps_behind_goal, con, flt, reference)),
        ("stuck", None, lambda: cached(kpis.stuck_deals, con, flt, reference, _team_thresholds(con, flt))),
        ("overdue", None, lambda: cached(kpis.overdue_deals, con, flt, reference)),
        ("inversion", None, lambda: cached(kpis.probability_inversions, con, flt)),
    ]
    for name, needed, compute in alerts:
        title = tr(f"flash.alert.{name}")
        if needed and needed not in available:
            with st.expander(f"{title} ({fmt.DASH})"):
                st.info(tr("flash.add_sheet", sheet=tr(f"table.{needed}")))
            continue
        if name == "stuck" and not stays_measurable:
            with st.expander(f"{title} ({fmt.DASH})"):
                st.info(tr("funnel.time.missing"))
            continue
        df = compute()
        # the reps behind their goal come first and are few: open; deal lists can be long: closed
        expanded = name == "behind" and not df.empty
        with st.expander(f"{title} ({fmt.number(len(df), lang)})", expanded=expanded,
                         icon=":material/warning:" if len(df) else None):
            if name == "behind":
                st.caption(_behind_rule(reference))
            elif name == "stuck":
                st.caption(tr("flash.alert.stuck_rule", floor=fmt.number(kpis.STUCK_FLOOR_DAYS, lang),
                              stays=kpis.MIN_STAYS))
                unmeasured = cached(kpis.stays_not_measured, con, flt)
                if unmeasured:
                    st.caption(tr("flash.alert.stuck_unmeasured", count=fmt.number(unmeasured, lang)))
            if df.empty:
                st.write(tr("flash.alert.none"))
            else:
                draw_table(df, f"alert_{name}", title)


def _behind_rule(reference) -> str:
    """The rule in words, with the figures of the day: goal to date and the tolerance."""
    lang = state.lang()
    days = pd.Timestamp(reference).days_in_month
    return tr("flash.alert.behind_rule", date=fmt.day(reference, lang), elapsed=reference.day, total=days,
              share=fmt.percent(reference.day / days, lang, 0), tolerance=fmt.percent(kpis.BEHIND_TOLERANCE, lang, 0))


# --- page ----------------------------------------------------------------------------------------------------

def main() -> None:
    con = state.connection()
    # app.py draws the filters before every page; should the page run without it, draw them here
    flt = current_filter() if FILTER_KEY in st.session_state else draw_filters(con)
    reference = today() or cache.reference_date(con)
    st.title(tr("flash.title"))
    available = cache.available_tables(con)
    if "opportunities" not in available:
        st.info(tr("flash.no_opportunities"))
        return
    # the projection (about half the page's work at a million deals) starts now, beside the figures drawn first
    cache.prefetch(team_projection, con, flt, projection_period(flt))
    now = cached(kpis.flash_kpis, con, flt)
    before = cached(kpis.comparison_kpis, con, flt, comparison_mode(), reference, fiscal_start())
    st.caption(period_caption(flt, before, reference))
    if now.get("pipeline_date") and str(now["pipeline_date"]) < str(reference):
        # a past period reads the pipeline open at its end (the upload valid then), never today's
        st.caption(tr("flash.note.pipeline_as_of", date=fmt.day(date.fromisoformat(now["pipeline_date"]),
                                                                state.lang())))
    draw_tiles(now, None if before is None or before["empty"] else before)
    projection_box = st.container()  # drawn last, in its place: its figures are computed meanwhile (prefetch)
    draw_trend(con, flt)
    draw_reps(con, flt)
    draw_alerts(con, flt, reference, available)
    downloads.pack_buttons(flt)
    with projection_box:
        draw_projection(con, flt)


main()
