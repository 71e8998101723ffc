"""Flash figures page: the period's KPIs against the comparison period, the won-versus-quota trend,
the per-rep table and the alerts. It only reads the filter, calls analytics (through ui.cache) and draws.
"""
from __future__ import annotations

import math

import altair as alt
import pandas as pd
import streamlit as st

from analytics.export import to_csv_bytes
from analytics.i18n import t
from analytics import kpis
from ui import cache, state
from ui.cache import cached
from ui.sidebar import FILTER_KEY, comparison_filter, current_filter, draw_filters, format_date

tr = state.tr
DASH = "—"
MONTHS_FR = ("janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.", "déc.")


# --- numbers as the reader writes them -----------------------------------------------------------------------

def _defined(value) -> bool:
    return value is not None and not (isinstance(value, float) and math.isnan(value))


def number(value, decimals: int = 0, signed: bool = False) -> str:
    """12 500 / 12 500,5 in French (narrow no-break space, decimal comma), 12,500.5 in English.
    A value that rounds to zero is written 0, never -0 or +0."""
    value = round(value, decimals) or 0.0
    text = f"{value:{'+' if signed and value else ''},.{decimals}f}"
    if state.lang() == "fr":
        text = text.replace(",", "\u202f").replace(".", ",")
    return text


def money(value, signed: bool = False) -> str:
    text = number(value, 0, signed)
    return f"{text}\u00a0€" if state.lang() == "fr" else f"{text} €"


def percent(value, decimals: int = 0, signed: bool = False) -> str:
    text = number(100 * value, decimals, signed)
    return f"{text}\u00a0%" if state.lang() == "fr" else f"{text}%"


def _value_text(kind: str, value) -> str:
    if not _defined(value):
        return DASH
    if kind == "money":
        return money(value)
    if kind == "rate":
        return percent(value, 1)
    if kind == "days":
        return tr("flash.unit.days", value=number(value))
    if kind == "hours":
        return tr("flash.unit.hours", value=number(value, 1))
    if kind == "cover":
        return tr("flash.unit.cover", value=number(value, 2))
    return number(value)


def _delta_text(kind: str, now, before) -> str | None:
    """The change against the comparison period: points for rates, relative % for amounts and hours
    (the amount itself when the comparison is 0), plain difference for counts and days."""
    if not (_defined(now) and _defined(before)):
        return None
    diff = now - before
    if kind == "rate":
        return tr("flash.unit.points", value=number(100 * diff, 1, signed=True))
    if kind in ("money", "hours"):
        if before:
            return percent(diff / abs(before), 0, signed=True)
        return money(diff, signed=True) if kind == "money" else tr("flash.unit.hours", value=number(diff, 1, True))
    if kind == "days":
        return tr("flash.unit.days", value=number(diff, 0, signed=True))
    return number(diff, 0, signed=True)


# --- tiles ---------------------------------------------------------------------------------------------------

# (KPI, kind, delta colour or None when the value is "now" and has no comparison)
TILES = [
    [("won_count", "count", "normal"), ("won_amount", "money", "normal"),
     ("win_rate", "rate", "normal"), ("average_basket", "money", "normal")],
    [("lost_count", "count", "inverse"), ("lost_amount", "money", "inverse"),
     ("new_opportunities", "count", "normal"), ("average_cycle_days", "days", "inverse")],
    [("open_amount", "money", None), ("weighted_pipeline", "money", None),
     ("coverage_raw", "cover", None), ("coverage_weighted", "cover", None)],
    [("quota_attainment", "rate", "normal"), ("quota", "money", None),
     ("time_spent_hours", "hours", "off"), ("time_cost", "money", "off")],
]


def _tile(key: str, kind: str, color, now: dict, before: dict | None) -> None:
    value = now.get(key)
    needs = now.get("needs", {})
    help_key = f"flash.help.{key}"
    help_text = tr(help_key, count=now.get("open_count", 0))
    help_text = None if help_text == help_key else help_text
    delta = _delta_text(kind, value, before.get(key)) if (before and color) else None
    unchanged = delta is not None and not any(ch in "123456789" for ch in delta)
    st.metric(
        tr(f"flash.kpi.{key}"), _value_text(kind, value), delta, delta_color="off" if unchanged else (color or "off"),
        delta_arrow="off" if unchanged else "auto", help=help_text, border=True,
    )
    if key in needs:
        st.caption(tr("flash.add_sheet", sheet=tr(f"table.{needs[key]}")))
    elif key in ("quota", "quota_attainment") and now.get("quota") is None:
        st.caption(tr("flash.no_quota"))
    elif key.startswith("coverage") and value is None and _defined(now.get("remaining_quota")):
        st.caption(tr("flash.quota_reached"))


def draw_tiles(now: dict, before: dict | None) -> None:
    for row in TILES:
        for column, (key, kind, color) in zip(st.columns(len(row)), row):
            with column:
                _tile(key, kind, color, now, before)


# --- trend ---------------------------------------------------------------------------------------------------

def _bucket_label(bucket, grain: str) -> str:
    if grain == "week":
        return tr("flash.trend.week", date=bucket.strftime("%d/%m"))
    if state.lang() == "fr":
        return f"{MONTHS_FR[bucket.month - 1]} {bucket.year}"
    return bucket.strftime("%b %Y")


def trend_chart(df: pd.DataFrame) -> alt.LayerChart:
    """Won amount per bucket as bars, the bucket's quota as a line; axis labels with spaces between
    thousands (Vega formats with commas: two replaces cover anything below a trillion)."""
    won, quota = tr("flash.trend.won"), tr("flash.trend.quota")
    data = df.assign(
        label=[_bucket_label(b, g) for b, g in zip(df["bucket_start"], df["grain"])],
        won_text=[money(v) for v in df["won_amount"]],
        quota_text=[money(v) if _defined(v) else DASH for v in df["quota"]],
        won_series=won,
        quota_series=quota,
    )
    order = list(data["label"])
    color = alt.Scale(domain=[won, quota], range=["#2f6fb0", "#e07b28"])
    legend = alt.Legend(title=None, orient="top")
    label_expr = "replace(replace(format(datum.value, ',.0f'), ',', ' '), ',', ' ')"
    x = alt.X("label:N", sort=order, title=None, axis=alt.Axis(labelAngle=-40 if len(order) > 8 else 0))
    y_axis = alt.Axis(labelExpr=label_expr, title=tr("flash.trend.amount"))
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
    return alt.layer(*layers).properties(height=320)


def draw_trend(con, flt) -> None:
    st.subheader(tr("flash.trend.title"))
    df = cached(kpis.won_trend, con, flt)
    if df.empty or (df["won_amount"].sum() == 0 and df["quota"].isna().all()):
        st.info(tr("flash.trend.empty"))
        return
    st.altair_chart(trend_chart(df), width="stretch")


# --- tables --------------------------------------------------------------------------------------------------

_MONEY = {"won_amount", "open_amount", "weighted_pipeline", "quota", "amount", "prorated_goal", "gap"}
_RATE = {"win_rate", "quota_attainment", "probability", "earlier_typical"}


def _column_config(columns) -> dict:
    config = {}
    for col in columns:
        label = tr(f"flash.col.{col}")
        if col in _MONEY:
            config[col] = st.column_config.NumberColumn(label, format="localized")
        elif col in _RATE:
            config[col] = st.column_config.NumberColumn(label, format="percent")
        elif col.startswith("coverage"):
            config[col] = st.column_config.NumberColumn(label, format="localized")
        elif col.endswith("_count") or col.startswith("days"):
            config[col] = st.column_config.NumberColumn(label, width="small")
        elif col in ("close_date", "entered"):
            config[col] = st.column_config.DateColumn(label, format="DD/MM/YYYY")
        else:
            config[col] = st.column_config.Column(label)
    return config


def _translated(df: pd.DataFrame, lang: str | None = None) -> pd.DataFrame:
    """Stage keys shown in the user's words (lang given when called off the script thread)."""
    lang = lang or state.lang()
    out = df.copy()
    for col in ("stage", "earlier_stage"):
        if col in out:
            out[col] = out[col].map(lambda s: t(f"stage.{s}", lang) if isinstance(s, str) else s)
    return out


def _rounded(df: pd.DataFrame, decimals: int) -> pd.DataFrame:
    """Amounts to whole euros on screen ("localized" would show 53 666,667, which reads like millions),
    to cents in the CSV."""
    out = df.copy()
    for col in _MONEY & set(out.columns):
        out[col] = pd.to_numeric(out[col], errors="coerce").round(decimals)
    for col in [c for c in out.columns if c.startswith("coverage")]:
        out[col] = pd.to_numeric(out[col], errors="coerce").round(2)
    return out


SHOWN_ROWS = 200  # a list is read from the top; the CSV holds every row


def draw_table(df: pd.DataFrame, key: str, file_name: str) -> None:
    """The first SHOWN_ROWS rows on screen, all of them in the CSV, which is built only when clicked."""
    if len(df) > SHOWN_ROWS:
        st.caption(tr("flash.first_rows", shown=SHOWN_ROWS, total=len(df)))
    shown = _translated(df.head(SHOWN_ROWS))
    st.dataframe(
        _rounded(shown, 0), hide_index=True, column_config=_column_config(df.columns), key=f"{key}_table",
        placeholder=DASH,
    )
    labels, lang = {c: tr(f"flash.col.{c}") for c in df.columns}, state.lang()

    def csv() -> bytes:  # runs on the click, in another thread: no Streamlit call in here
        return to_csv_bytes(_rounded(_translated(df, lang), 2).rename(columns=labels), lang)

    st.download_button(tr("flash.download"), csv, file_name=file_name, mime="text/csv", key=f"{key}_download")


def draw_reps(con, flt) -> None:
    st.subheader(tr("flash.reps.title"))
    df = cached(kpis.rep_table, con, flt)
    if df.empty:
        st.info(tr("flash.reps.empty"))
        return
    draw_table(df, "reps", "chiffres_flash_commerciaux.csv" if state.lang() == "fr" else "flash_figures_reps.csv")


def draw_alerts(con, flt, today, available: set[str]) -> None:
    st.subheader(tr("flash.alerts.title"))
    alerts = [
        ("behind", "targets", lambda: cached(kpis.reps_behind_goal, con, flt, today)),
        ("stuck", "stage_history", lambda: cached(kpis.stuck_deals, con, flt, today)),
        ("overdue", None, lambda: cached(kpis.overdue_deals, con, flt, today)),
        ("inversion", None, lambda: cached(kpis.probability_inversions, con, flt)),
    ]
    for name, needed, compute in alerts:
        title = tr(f"flash.alert.{name}")
        if needed and needed not in available:
            with st.expander(f"{title} ({DASH})"):
                st.info(tr("flash.add_sheet", sheet=tr(f"table.{needed}")))
            continue
        df = compute()
        # the reps behind their goal come first and are few: open; deal lists can be long: closed
        expanded = name == "behind" and not df.empty
        with st.expander(f"{title} ({len(df)})", expanded=expanded, icon=":material/warning:" if len(df) else None):
            if name == "behind":
                st.caption(tr("flash.alert.behind_help", date=format_date(today)))
            if df.empty:
                st.write(tr("flash.alert.none"))
            else:
                draw_table(df, f"alert_{name}", f"alert_{name}.csv")


# --- page ----------------------------------------------------------------------------------------------------

def main() -> None:
    con = state.connection()
    # app.py draws the filters before every page; should the page run without it, draw them here
    flt = current_filter() if FILTER_KEY in st.session_state else draw_filters(con)
    cmp = comparison_filter()
    st.title(tr("flash.title"))
    available = cache.available_tables(con)
    if "opportunities" not in available:
        st.info(tr("flash.no_opportunities"))
        return
    if flt.start is None or flt.end is None:
        st.caption(tr("flash.all_time"))
    elif cmp is None:
        st.caption(tr("flash.period_no_compare", start=format_date(flt.start), end=format_date(flt.end)))
    else:
        st.caption(tr("flash.period", start=format_date(flt.start), end=format_date(flt.end),
                      cmp_start=format_date(cmp.start), cmp_end=format_date(cmp.end)))
    now = cached(kpis.flash_kpis, con, flt)
    before = cached(kpis.flash_kpis, con, cmp) if cmp is not None else None
    draw_tiles(now, before)
    draw_trend(con, flt)
    draw_reps(con, flt)
    draw_alerts(con, flt, cache.reference_date(con), available)


main()
