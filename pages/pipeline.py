"""Pipeline changes page: what moved between two uploads (waterfall, the four largest movements, the deals by
main movement and by rep), the pipeline at each upload with its coverage, and forecast reliability per rep
beside the team's. It only reads the filter, calls analytics (through ui.cache) and draws.
"""
from __future__ import annotations

import math
from dataclasses import replace

import altair as alt
import pandas as pd
import streamlit as st

from analytics.views import forecast, movement
from analytics import selection, store
from analytics.i18n import t
from ui import cache, charts, format as fmt, state, tables
from ui.cache import cached
from ui.sidebar import FILTER_KEY, current_filter, draw_filters

tr = state.tr
COLORS = {"total": "#5b7083", "up": "#2e8b57", "down": "#c8553d"}
SHOWN_ROWS = 200  # a list is read from the top; the CSV holds every row


# --- small helpers -------------------------------------------------------------------------------------------

def _snapshots(con, _flt) -> pd.DataFrame:
    return selection.snapshots(con)


def _day(value) -> str:
    return fmt.day(pd.Timestamp(value).date(), state.lang())


def _money(value, signed: bool = False) -> str:
    return fmt.money(None if value is None else float(value), state.lang(), signed=signed)


_MONEY = {"amount_before", "amount_after", "amount_change", "open_amount_before", "open_amount_after",
          "announced_amount", "won_amount"}
_RATE = {"win_rate", "mean_probability", "slip_rate"}
_DATES = {"close_before", "close_after"}


def _localized(chart):
    """Axis numbers grouped as the reader's language writes them (Vega's own locale), readable from afar."""
    return chart.configure(locale={"number": fmt.d3_locale(state.lang())}).configure_axis(
        labelFontSize=13, titleFontSize=13).configure_legend(labelFontSize=13)


def _kinds(columns) -> dict[str, str]:
    """Each column's cell kind: amounts in money (a change signed), rates in whole percents (read from the back of
    a meeting room), the Brier score to 3 decimals, dates, counts."""
    kinds = {}
    for col in columns:
        if col in _MONEY:
            kinds[col] = "signed_money" if col == "amount_change" else "money"
        elif col in _RATE:
            kinds[col] = "rate0"
        elif col == "optimism":
            kinds[col] = "points"
        elif col == "brier":
            kinds[col] = "score"
        elif col in _DATES:
            kinds[col] = "date"
        elif col.endswith("_count") or col == "deals":
            kinds[col] = "count"
    return kinds


def _words(df: pd.DataFrame, lang: str) -> pd.DataFrame:
    """Stage keys and movement keys in the reader's words (lang given: also called off the script thread)."""
    out = df.copy()
    for col in ("stage_before", "stage_after"):
        if col in out:
            out[col] = out[col].map(lambda s: t(f"stage.{s}", lang) if isinstance(s, str) else s)
    if "reason" in out:
        out["reason"] = out["reason"].map(lambda r: t(f"pipeline.move.{r}", lang) if isinstance(r, str) else r)
    if "changes" in out:
        out["changes"] = out["changes"].map(
            lambda c: ", ".join(t(f"pipeline.move.{k}", lang) for k in c.split(",") if k) if isinstance(c, str) else c)
    return out


def draw_table(df: pd.DataFrame, key: str, title: str, total: int | None = None, every_row=None) -> None:
    """The page's tables through the one table helper (ui/tables.py). `total` and `every_row` (a function giving
    every row, called on the click) when `df` holds the first rows only."""
    tables.table(df, key, kinds=_kinds(df.columns), labels="pipeline.col", title=title, page=tr("pipeline.title"),
                 words=_words, total=total, every_row=every_row)


# --- movement ------------------------------------------------------------------------------------------------

def pick_pair(snaps: pd.DataFrame) -> tuple[int, int]:
    """Two selectboxes (A, B), the last two uploads by default; B is chosen among the uploads after A."""
    ids = [int(s) for s in snaps["snapshot_id"]]
    dates = dict(zip(ids, snaps["snapshot_date"]))
    workspace = state.workspace()  # snapshot ids are a workspace's own: each keeps its own choice
    left, right = st.columns(2)
    with left:
        a_id = st.selectbox(tr("pipeline.snapshot_a"), ids[:-1], index=len(ids) - 2,
                            format_func=lambda i: _day(dates[i]),
                            key=f"pipeline_a__{workspace}")
    later = ids[ids.index(a_id) + 1:]
    with right:
        b_id = st.selectbox(tr("pipeline.snapshot_b"), later, index=len(later) - 1,
                            format_func=lambda i: _day(dates[i]), key=f"pipeline_b__{workspace}__{a_id}")
    return a_id, b_id


def _step_label(step: str, summary: dict) -> str:
    if step in ("open_before", "open_after"):
        day = summary["a_date"] if step == "open_before" else summary["b_date"]
        return tr(f"pipeline.step.{step}", date=_day(day))
    return tr(f"pipeline.step.{step}")


def waterfall_chart(summary: dict) -> alt.Chart:
    """Bars floating from the running total: totals from zero, entries up, exits down."""
    rows, running = [], 0.0
    for s in summary["waterfall"]:
        amount = float(s["amount"])
        if s["step"] in ("open_before", "open_after"):
            start, end, kind = 0.0, amount, "total"
            running = amount
        else:
            start, end = running, running + amount
            kind = "up" if amount >= 0 else "down"
            running = end
        rows.append({"label": _step_label(s["step"], summary), "start": start, "end": end, "kind": kind,
                     "text": _money(amount, signed=kind != "total")})
    data = pd.DataFrame(rows)
    order = list(data["label"])
    # The axis starts near the lowest running total, not at zero: a week's movements are a few percent of the
    # pipeline and would not show from zero. The totals' bars are clipped; their amounts are written on them.
    levels = [v for r in rows for v in (r["start"], r["end"]) if not (r["kind"] == "total" and v == 0)]
    low, high = min(levels), max(levels)
    pad = max((high - low) * 0.25, abs(high) * 0.01, 1.0)
    floor = max(low - pad, 0.0) if low >= 0 else low - pad
    if floor > 0:  # a round number where the axis starts (14 700 000, not 14 775 875): it is said in the title
        step = 10 ** math.floor(math.log10(pad))
        floor = math.floor(floor / step) * step
    scale = alt.Scale(domain=[floor, high + pad * 0.6], zero=False, nice=False)
    # an axis that does not start at zero says so in its title: the totals' bars are cut, not small
    title = tr("pipeline.waterfall.amount") if floor <= 0 else tr("pipeline.waterfall.amount_cut", floor=_money(floor))
    y_axis = alt.Axis(title=title, format="$,.0f")
    # every step's label on the axis: a long one word by line, and none hidden by Vega's overlap rule
    base = alt.Chart(data).encode(x=alt.X("label:N", sort=order, title=None,
                                          axis=alt.Axis(labelAngle=0, labelLimit=0, labelOverlap=False,
                                                        labelExpr="length(datum.label) > 12 ? split(datum.label, ' ') : datum.label")))
    bars = base.mark_bar(size=46, clip=True).encode(
        y=alt.Y("start:Q", axis=y_axis, scale=scale), y2="end:Q",
        color=alt.Color("kind:N", scale=alt.Scale(domain=list(COLORS), range=list(COLORS.values())), legend=None),
        tooltip=[alt.Tooltip("label:N", title=" "), alt.Tooltip("text:N", title=tr("pipeline.waterfall.amount"))],
    )
    labels = base.mark_text(dy=-10, fontSize=15, fontWeight="bold").encode(
        y=alt.Y("top:Q", scale=scale), text="text:N").transform_calculate(top="max(datum.start, datum.end)")
    return alt.layer(bars, labels).properties(height=380)


def draw_top(summary: dict) -> None:
    st.subheader(tr("pipeline.top.title"))
    top = movement.largest_movements(summary)
    if not top:
        st.info(tr("pipeline.lists.none"))
        return
    for column, m in zip(st.columns(4), top):
        with column:
            st.metric(tr(f"pipeline.step.{m['step']}"), _money(m["amount"], signed=True),
                      tr("pipeline.top.count", count=fmt.number(m["count"], state.lang())),
                      delta_color="off", delta_arrow="off", border=True)


def draw_movement(con, flt, snaps: pd.DataFrame) -> None:
    a_id, b_id = pick_pair(snaps)
    # the lists read the same pair of uploads as the summary: computed beside it rather than after it
    cache.prefetch(movement.movement_deals, con, flt, a_id, b_id, True, None, SHOWN_ROWS)
    summary = cached(movement.movement_summary, con, flt, a_id, b_id)
    a, b = _day(summary["a_date"]), _day(summary["b_date"])
    st.caption(tr("pipeline.period_note", a=a, b=b))
    draw_top(summary)
    st.subheader(tr("pipeline.waterfall.title", a=a, b=b))
    charts.chart(waterfall_chart(summary), "waterfall", title=tr("pipeline.waterfall.title", a=a, b=b),
                 page=tr("pipeline.title"))
    notes = [tr("pipeline.waterfall.help", a=a, b=b)]
    if summary["missing_amount_count"]:
        notes.append(tr("pipeline.missing_amounts", count=summary["missing_amount_count"]))
    if summary["owner_changed_count"]:
        notes.append(tr("pipeline.owner_changed", count=summary["owner_changed_count"], a=a, b=b))
    st.caption(" ".join(notes))

    st.subheader(tr("pipeline.lists.title"))
    # the first rows of each movement on screen; a list's CSV reads every row of it when clicked
    deals = cached(movement.movement_deals, con, flt, a_id, b_id, True, None, SHOWN_ROWS)
    workspace = state.workspace()
    if deals.empty:
        st.info(tr("pipeline.lists.none"))
    else:
        st.caption(tr("pipeline.lists.help"))
        reasons = [r for r in movement.REASONS if summary[f"reason_{r}_count"]]
        # only the open tab's list is drawn (a rerun when another is picked): five tables of 200 rows cost 0.3 s
        tabs = st.tabs([f"{tr(f'pipeline.move.{r}')} ({summary[f'reason_{r}_count']})" for r in reasons],
                       key="pipeline_lists_tab", on_change="rerun")
        columns = ["account", "name", "owner", "changes", "stage_before", "stage_after", "amount_before",
                   "amount_after", "close_before", "close_after"]
        if summary["owner_changed_count"]:
            columns.insert(3, "owner_before")
        for tab, reason in zip(tabs, reasons):
            if not tab.open:
                continue
            with tab:
                def every_row(reason=reason):  # on the click, off the script thread: a cursor of its own
                    return movement.movement_deals(store.open_workspace(workspace).cursor(), flt, a_id, b_id,
                                                   True, reason)

                draw_table(deals.loc[deals["reason"] == reason, columns], f"moves_{reason}",
                           tr(f"pipeline.move.{reason}"),
                           total=summary[f"reason_{reason}_count"], every_row=every_row)
    st.subheader(tr("pipeline.reps.title"))
    reps = movement.rep_frame(summary["reps"])
    rep_columns = ["owner", "open_amount_before", "new_count", "reopened_count", "won_count", "lost_count",
                   "dropped_count", "amount_change", "open_amount_after", "advanced_count", "moved_back_count",
                   "slipped_count", "pulled_in_count", "amount_changed_count"]
    draw_table(reps[rep_columns], "moves_reps", tr("pipeline.reps.title"))


# --- trend ---------------------------------------------------------------------------------------------------

def trend_charts(df: pd.DataFrame, needed: dict) -> tuple[alt.Chart, alt.Chart | None]:
    lang = state.lang()
    data = df.assign(label=[_day(d) for d in df["snapshot_date"]],
                     open_text=[_money(v) for v in df["open_amount"]],
                     weighted_text=[_money(v) for v in df["weighted_pipeline"]])
    order = list(data["label"])
    x = alt.X("label:N", sort=order, title=None, axis=alt.Axis(labelAngle=-40 if len(order) > 8 else 0))
    names = [tr("pipeline.trend.open"), tr("pipeline.trend.weighted")]
    color = alt.Scale(domain=names, range=["#2f6fb0", "#e07b28"])
    legend = alt.Legend(title=None, orient="top")
    tooltip = [alt.Tooltip("label:N", title=tr("pipeline.trend.upload")),
               alt.Tooltip("open_text:N", title=names[0]), alt.Tooltip("weighted_text:N", title=names[1])]
    y_axis = alt.Axis(title=tr("pipeline.trend.amount"), format=",.0f")
    bars = alt.Chart(data.assign(series=names[0])).mark_bar(**({"size": 34} if len(order) <= 8 else {})).encode(
        x=x, y=alt.Y("open_amount:Q", axis=y_axis), color=alt.Color("series:N", scale=color, legend=legend),
        tooltip=tooltip)
    line = alt.Chart(data.assign(series=names[1])).mark_line(point=True, strokeWidth=3).encode(
        x=x, y="weighted_pipeline:Q", color=alt.Color("series:N", scale=color, legend=legend), tooltip=tooltip)
    pipeline = alt.layer(bars, line).properties(height=320)
    if df["coverage"].notna().sum() == 0:
        return pipeline, None
    cov_names = [tr("pipeline.trend.coverage"), tr("pipeline.trend.coverage_weighted")]
    long = pd.concat([
        data.assign(series=cov_names[0], value=df["coverage"]),
        data.assign(series=cov_names[1], value=df["coverage_weighted"]),
    ])
    long["text"] = [fmt.ratio(v, lang, 1) for v in long["value"]]
    domain, colors = cov_names[:], ["#2f6fb0", "#e07b28"]
    layers = []
    if needed.get("needed") is not None:
        label = tr("pipeline.trend.needed")
        domain.append(label)
        colors.append("#c8553d")
        rule = pd.DataFrame({"value": [needed["needed"]], "series": [label],
                             "text": [fmt.ratio(needed["needed"], lang, 1)]})
        layers.append(alt.Chart(rule).mark_rule(strokeDash=[6, 4], strokeWidth=2).encode(
            y="value:Q", color=alt.Color("series:N", scale=alt.Scale(domain=domain, range=colors), legend=legend),
            tooltip=[alt.Tooltip("series:N", title=" "), alt.Tooltip("text:N", title=tr("pipeline.trend.cover_axis"))]))
    scale = alt.Scale(domain=domain, range=colors)
    lines = alt.Chart(long.dropna(subset=["value"])).mark_line(point=True, strokeWidth=3).encode(
        x=x, y=alt.Y("value:Q", title=tr("pipeline.trend.cover_axis")),
        color=alt.Color("series:N", scale=scale, legend=legend),
        tooltip=[alt.Tooltip("label:N", title=tr("pipeline.trend.upload")), alt.Tooltip("series:N", title=" "),
                 alt.Tooltip("text:N", title=tr("pipeline.trend.cover_axis"))])
    return pipeline, alt.layer(lines, *layers).properties(height=320)


def draw_trend(con, flt, available: set[str]) -> None:
    st.subheader(tr("pipeline.trend.title"))
    df = cached(movement.pipeline_trend, con, flt)
    needed = cached(movement.needed_coverage, con, flt)
    pipeline, coverage = trend_charts(df, needed)
    left, right = st.columns(2)
    with left:
        charts.chart(pipeline, "pipeline_trend", title=tr("pipeline.trend.title"), page=tr("pipeline.title"))
    with right:
        st.markdown(f"**{tr('pipeline.trend.coverage_title')}**")
        if coverage is None:
            st.info(tr("pipeline.trend.no_quota") if "targets" not in available else tr("flash.quota_reached"))
        else:
            charts.chart(coverage, "coverage_trend", title=tr("pipeline.trend.coverage_title"),
                         page=tr("pipeline.title"))
        if needed["needed"] is None:
            st.caption(tr("pipeline.trend.no_needed"))
        else:
            lang = state.lang()
            st.caption(tr("pipeline.trend.coverage_help", months=needed["months"],
                          conversion=fmt.percent(needed["conversion"], lang),
                          needed=fmt.ratio(needed["needed"], lang, 1)))


# --- forecast reliability ------------------------------------------------------------------------------------

REL_COLUMNS = ["owner", "deals", "brier", "optimism", "announced_amount", "won_amount", "slip_rate",
               "mean_probability", "win_rate"]


NO_OWNER = "\x00"  # the choice of the deals without an owner: a NUL, which no rep's name read from a file holds


def _who(owner) -> str:
    return tr("pipeline.forecast.no_owner") if owner is None or owner == NO_OWNER else owner


def calibration_chart(df: pd.DataFrame, rep) -> alt.Chart:
    """The team's calibration and the chosen rep's (`NO_OWNER`: the deals without an owner, a row of their own)."""
    team_label = tr("pipeline.forecast.team")
    chosen = (df["row"] == "no_owner") if rep == NO_OWNER else ((df["row"] == "rep") & (df["owner"] == rep))
    shown = df[(df["row"] == "team") | chosen].copy()
    shown["who"] = [team_label if r == "team" else _who(o) for r, o in zip(shown["row"], shown["owner"])]
    rep = _who(rep) if rep is not None else None
    lang = state.lang()
    shown["band_text"] = [f"{fmt.percent(lo, lang, 0)} – {fmt.percent(hi, lang, 0)}"
                          for lo, hi in zip(shown["band_low"], shown["band_high"])]
    shown["announced_text"] = [fmt.percent(v, lang) for v in shown["announced"]]
    shown["realised_text"] = [fmt.percent(v, lang) for v in shown["realised"]]
    domain = [team_label] + ([rep] if rep else [])
    color = alt.Scale(domain=domain, range=["#5b7083", "#c8553d"][:len(domain)])
    axis_pct = alt.Axis(format=".0%")
    x = alt.X("announced:Q", scale=alt.Scale(domain=[0, 1]), axis=axis_pct,
              title=tr("pipeline.forecast.announced_axis"))
    y = alt.Y("realised:Q", scale=alt.Scale(domain=[0, 1]), axis=axis_pct, title=tr("pipeline.forecast.realised_axis"))
    tooltip = [alt.Tooltip("who:N", title=" "), alt.Tooltip("band_text:N", title=tr("pipeline.forecast.band")),
               alt.Tooltip("deals:Q", title=tr("pipeline.forecast.deals")),
               alt.Tooltip("announced_text:N", title=tr("pipeline.forecast.announced_axis")),
               alt.Tooltip("realised_text:N", title=tr("pipeline.forecast.realised_axis"))]
    diagonal = alt.Chart(pd.DataFrame({"announced": [0.0, 1.0], "realised": [0.0, 1.0]})).mark_line(
        strokeDash=[4, 4], color="#999999").encode(x=x, y=y)
    legend = alt.Legend(title=None, orient="top")
    lines = alt.Chart(shown).mark_line(strokeWidth=2).encode(
        x=x, y=y, color=alt.Color("who:N", scale=color, legend=legend), detail="who:N")
    points = alt.Chart(shown).mark_circle(opacity=0.85).encode(
        x=x, y=y, color=alt.Color("who:N", scale=color, legend=legend),
        size=alt.Size("deals:Q", scale=alt.Scale(range=[60, 600]), legend=None),
        tooltip=tooltip)
    return alt.layer(diagonal, lines, points).properties(height=400)


def draw_team_tiles(team: dict, result: dict) -> None:
    lang = state.lang()
    latest = _day(result["latest_date"])
    # from a single upload the score judges the stages' default probabilities: a measure of the stage mix
    brier = "brier_stage_mix" if result.get("brier_kind") == "stage_mix" else "brier"
    tiles = [
        (brier, fmt.number(team.get("brier"), lang, 3), None, f"pipeline.forecast.{brier}_help"),
        ("optimism", fmt.points(team.get("optimism"), lang, 0), None, "pipeline.forecast.optimism_help"),
        ("announced", _money(team.get("announced_amount")), None, "pipeline.forecast.announced_help"),
        ("won", _money(team.get("won_amount")),
         tr("pipeline.forecast.of_announced", pct=fmt.percent(team.get("amount_ratio"), lang, 0))
         if team.get("amount_ratio") is not None else None, None),
        ("slip_rate", fmt.percent(team.get("slip_rate"), lang, 0), None, "pipeline.forecast.slip_help"),
    ]
    # three then two: five tiles in one row cut their amounts ("1 356 29...")
    columns = list(st.columns(3)) + list(st.columns(3))[:2]
    for column, (key, value, delta, help_key) in zip(columns, tiles):
        with column:
            st.metric(tr(f"pipeline.forecast.{key}"), value, delta, delta_color="off", delta_arrow="off",
                      help=tr(help_key, latest=latest) if help_key else None, border=True)


def draw_reliability(con, flt, snaps: pd.DataFrame) -> None:
    st.subheader(tr("pipeline.forecast.title"))
    as_of = None
    if len(snaps) >= 2:
        dates = [pd.Timestamp(d).date() for d in snaps["snapshot_date"]][:-1]
        with st.columns([1, 2])[0]:
            as_of = st.selectbox(tr("pipeline.forecast.as_of"), dates, index=0, format_func=_day,
                                 key=f"pipeline_as_of__{state.workspace()}")
    result = cached(forecast.reliability, con, flt, as_of)
    if result["method"] is None:
        st.info(tr(result["reason"]))
        return
    caption = "pipeline.forecast.caption_snapshots" if result["method"] == "snapshots" else \
        "pipeline.forecast.caption_history"
    st.caption(tr(caption, base=_day(result["base_date"]), latest=_day(result["latest_date"])))
    team = result["team"]
    if not team or team["deals"] == 0:
        st.info(tr("pipeline.forecast.none"))
        return
    if team["too_few"]:
        st.warning(tr("pipeline.forecast.too_few", min=result["min_deals"]))
    draw_team_tiles(team, result)
    rows = [dict(team, owner=tr("pipeline.forecast.team"))] + [
        dict(r, owner=_who(None)) if r["no_owner"] else r for r in result["reps"]]
    table = pd.DataFrame(rows)[REL_COLUMNS]
    left, right = st.columns([3, 2])
    with left:
        st.markdown(f"**{tr('pipeline.forecast.reps')}**")
        if any(r["too_few"] for r in result["reps"]):
            st.caption(tr("pipeline.forecast.too_few", min=result["min_deals"]))
        draw_table(table, "reliability", tr("pipeline.forecast.reps"))
    with right:
        st.markdown(f"**{tr('pipeline.forecast.calibration')}**")
        judged = [r for r in result["reps"] if not r["too_few"] and not r["no_owner"]]
        owners = [NO_OWNER if r["no_owner"] else r["owner"] for r in result["reps"]]
        # the rep who announces furthest above what they win is shown first: the gap most worth a discussion
        default = max(judged, key=lambda r: r["optimism"])["owner"] if judged else (owners[0] if owners else None)
        rep = st.selectbox(tr("pipeline.forecast.rep"), owners, index=owners.index(default) if default else 0,
                           key=f"pipeline_rep__{state.workspace()}", format_func=_who) if owners else None
        cal = cached(forecast.calibration, con, flt, as_of)
        charts.chart(calibration_chart(cal, rep), "calibration", title=tr("pipeline.forecast.calibration"),
                     page=tr("pipeline.title"))


# --- page ----------------------------------------------------------------------------------------------------

def main() -> None:
    con = state.connection()
    flt = current_filter() if FILTER_KEY in st.session_state else draw_filters(con)
    flt = replace(flt, start=None, end=None)  # the snapshots chosen here are the period
    st.title(tr("pipeline.title"))
    available = cache.available_tables(con)
    if "opportunities" not in available:
        st.info(tr("flash.no_opportunities"))
        return
    snaps = cached(_snapshots, con)
    if len(snaps) < 2:
        st.info(tr("movement.need_two"))
    else:
        draw_movement(con, flt, snaps)
        draw_trend(con, flt, available)
    draw_reliability(con, flt, snaps)


main()
