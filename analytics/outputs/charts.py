"""Chart images for slides and the review pack: Altair charts rendered server-side to PNG and SVG with
vl-convert (no browser), each with its title and the data's date on the image; and the pack's own charts,
built from the same aggregated frames as the pages (a few dozen rows each).

Numbers on the images are written as the reader's language writes them: vl-convert is given the d3 format
locale (fr-FR groups thousands with a space and uses a decimal comma), and the text of key figures goes
through `figure_text` (Babel), so a slide reads "1 250 000 €" in French and "€1,250,000" in English.
"""
from __future__ import annotations

import json
import math
from datetime import date, datetime

import altair as alt
import pandas as pd

from analytics.i18n import t
from analytics.outputs import format as fmt

LOCALES = {"fr": "fr_FR", "en": "en_GB"}
D3_LOCALES = {"fr": "fr-FR", "en": "en-GB"}
DASH = "—"
WON_COLOUR, QUOTA_COLOUR, LOST_COLOUR = "#2f6fb0", "#e07b28", "#b03a2e"
WIDTH, HEIGHT = 640, 320  # in CSS pixels; PNGs are rendered at SCALE x that
SCALE = 2


# --- text of a figure -----------------------------------------------------------------------------------------

def _defined(value) -> bool:
    return value is not None and not (isinstance(value, float) and math.isnan(value))


def day_text(value: date | None, lang: str) -> str:
    """23/11/2026 in French, 23 Nov 2026 in English (analytics/outputs/format.py)."""
    return fmt.day(value, lang)


def figure_text(value, kind: str, lang: str, currency: str | None = None) -> str:
    """A key figure as text (slides, image subtitles): money, count, rate, days, ratio; a dash when undefined.
    The same function as the pages' tiles (format.kpi_value), so a slide rounds as the screen does: half up."""
    return fmt.kpi_value(kind, value, lang, currency)


# --- rendering --------------------------------------------------------------------------------------------------

def titled(chart, title: str, data_date: date | None, lang: str):
    """The chart with `title` above it and "Data as of <date>" as its subtitle (the image stands alone on a slide)."""
    subtitle = t("report.data_as_of", lang, date=day_text(data_date, lang)) if data_date else ""
    params = alt.TitleParams(text=title, subtitle=subtitle, anchor="start", fontSize=15, subtitleFontSize=11,
                             subtitleColor="#555555")
    chart = chart.properties(title=params)
    if getattr(chart, "width", alt.Undefined) is alt.Undefined and not isinstance(chart, alt.HConcatChart):
        # a page's chart takes the container's width on screen; alone on an image it needs one of its own
        chart = chart.properties(width=WIDTH)
    return chart


def _json_value(value):
    """Dates and other values Altair leaves in inline data (a page's frame may hold datetime.date columns) as
    JSON text, as Vega reads them."""
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    return str(value)


def _spec(chart) -> dict:
    spec = chart.to_dict() if hasattr(chart, "to_dict") else dict(chart)
    spec = json.loads(json.dumps(spec, default=_json_value))
    spec.setdefault("background", "white")
    return spec


def to_png(chart, title: str, data_date: date | None, lang: str, scale: int = SCALE) -> bytes:
    """The chart as a PNG image (white background, `scale` x its CSS size), title and data date on it."""
    import vl_convert as vlc

    return vlc.vegalite_to_png(_spec(titled(chart, title, data_date, lang)), scale=scale,
                               format_locale=D3_LOCALES.get(lang, "fr-FR"))


def to_svg(chart, title: str, data_date: date | None, lang: str) -> bytes:
    """The chart as an SVG image (vector, for slides that zoom), title and data date on it."""
    import vl_convert as vlc

    svg = vlc.vegalite_to_svg(_spec(titled(chart, title, data_date, lang)), format_locale=D3_LOCALES.get(lang, "fr-FR"))
    return svg.encode("utf-8")


# --- the pack's charts ------------------------------------------------------------------------------------------

def bucket_label(bucket: date, grain: str, lang: str, start: date | None = None, end: date | None = None) -> str:
    """'Sem. du 02/11' / 'Week of 2 Nov' for weeks, 'nov. 2026' / 'Nov 2026' for months (the flash page's and the
    pack's). A week cut by the period says how many of its days it counts ('Sem. du 30/11 (2 j)'): its bar and its
    prorated quota are a part of a week, not a whole one."""
    text = t("flash.trend.week", lang, date=fmt.short_day(bucket, lang)) if grain == "week" else fmt.month(bucket, lang)
    if grain == "week" and start is not None and end is not None and _defined(start) and _defined(end):
        days = (pd.Timestamp(end) - pd.Timestamp(start)).days + 1
        if days < 7:
            text = t("flash.trend.partial", lang, label=text, days=days)
    return text


def _column(df: pd.DataFrame, name: str) -> list:
    return list(df[name]) if name in df else [None] * len(df)


def _amount_axis(title: str) -> alt.Axis:
    return alt.Axis(format=",.0f", title=title)


def won_trend_chart(df: pd.DataFrame, lang: str):
    """Won amount per bucket as bars and the bucket's quota as a line (kpis.won_trend's frame), as on the
    flash page."""
    won, quota = t("flash.trend.won", lang), t("flash.trend.quota", lang)
    data = pd.DataFrame({
        # labelled by the week's Monday (or the month), as the flash page labels them
        "label": [bucket_label(b, g, lang, s, e) for b, g, s, e in
                  zip(df["bucket"], df["grain"], _column(df, "bucket_start"), _column(df, "bucket_end"))],
        "won_amount": df["won_amount"].astype("float64"),
        "quota": pd.to_numeric(df["quota"], errors="coerce").astype("float64"),
        "won_series": won,
        "quota_series": quota,
    })
    order = list(data["label"])
    color = alt.Scale(domain=[won, quota], range=[WON_COLOUR, QUOTA_COLOUR])
    legend = alt.Legend(title=None, orient="top")
    x = alt.X("label:N", sort=order, title=None, axis=alt.Axis(labelAngle=-40 if len(order) > 8 else 0))
    bars = alt.Chart(data).mark_bar(**({"size": 28} if len(order) <= 8 else {})).encode(
        x=x, y=alt.Y("won_amount:Q", axis=_amount_axis(t("flash.trend.amount", lang))),
        color=alt.Color("won_series:N", scale=color, legend=legend),
    )
    layers = [bars]
    if data["quota"].notna().any():
        layers.append(alt.Chart(data).mark_line(point=True, strokeWidth=2).encode(
            x=x, y=alt.Y("quota:Q"), color=alt.Color("quota_series:N", scale=color, legend=legend),
        ))
    return alt.layer(*layers).properties(width=WIDTH, height=HEIGHT)


def bar_chart(df: pd.DataFrame, category: str, value: str, value_title: str, lang: str, kind: str = "money",
              colour: str = WON_COLOUR, top: int = 15):
    """Horizontal bars of `value` per `category`, largest first, the `top` largest only (a slide holds about
    fifteen bars). Rates are drawn as percents."""
    data = df[[category, value]].copy()
    data[value] = pd.to_numeric(data[value], errors="coerce").astype("float64")
    data = data.dropna(subset=[value]).sort_values(value, ascending=False).head(top)
    data[category] = data[category].astype(str)
    axis = alt.Axis(format=".0%" if kind == "rate" else ",.0f", title=value_title)
    return alt.Chart(data).mark_bar(color=colour).encode(
        y=alt.Y(f"{category}:N", sort=list(data[category]), title=None, axis=alt.Axis(labelLimit=220)),
        x=alt.X(f"{value}:Q", axis=axis),
    ).properties(width=WIDTH - 160, height=max(60, 22 * len(data)))


def stacked_bar_chart(df: pd.DataFrame, category: str, series: dict[str, str], value_title: str, lang: str,
                      kind: str = "money"):
    """Bars of several measures per category side by side (`series`: column -> legend label), e.g. won and
    lost per rep."""
    long = df[[category, *series]].rename(columns={category: "category"}).melt(
        id_vars=["category"], value_vars=list(series), var_name="measure", value_name="amount")
    category = "category"
    long["measure"] = long["measure"].map(series)
    long[category] = long[category].astype(str)
    labels = list(series.values())
    colours = [WON_COLOUR, QUOTA_COLOUR, LOST_COLOUR][: len(labels)]
    return alt.Chart(long).mark_bar().encode(
        y=alt.Y(f"{category}:N", title=None, sort=list(dict.fromkeys(long[category]))),
        yOffset=alt.YOffset("measure:N", sort=labels),
        x=alt.X("amount:Q", axis=alt.Axis(format=".0%", title=value_title) if kind == "rate"
                else _amount_axis(value_title)),
        color=alt.Color("measure:N", scale=alt.Scale(domain=labels, range=colours),
                        legend=alt.Legend(title=None, orient="top")),
    ).properties(width=WIDTH - 160, height=HEIGHT + 40)


def funnel_chart(df: pd.DataFrame, lang: str):
    """Deals that reached each stage, in stage order (funnel.conversion's team frame), as horizontal bars."""
    data = pd.DataFrame({
        "label": [t(f"stage.{s}", lang) for s in df["stage"]],
        "reached": pd.to_numeric(df["reached"], errors="coerce").astype("float64"),
    })
    return alt.Chart(data).mark_bar(color=WON_COLOUR).encode(
        y=alt.Y("label:N", sort=list(data["label"]), title=None),
        x=alt.X("reached:Q", axis=alt.Axis(format=",.0f", title=t("funnel.col.reached", lang))),
    ).properties(width=WIDTH - 160, height=max(120, 40 * len(data)))


def waterfall_chart(steps: list[dict], labels: list[str], lang: str):
    """The pipeline waterfall (movement.waterfall's steps): the first and last bars are the open pipelines, each
    change floats from the running total, entries in blue and exits in red. The amount axis starts a little below
    the lowest running total (the changes are a few percent of the pipeline and would not show from zero)."""
    rows, running = [], 0.0
    last = len(steps) - 1
    for i, (step, label) in enumerate(zip(steps, labels)):
        amount = float(step["amount"])
        if i == 0 or i == last:
            low, high, colour = None, amount, "total"
            running = amount
        else:
            low, high = running, running + amount
            running = high
            colour = "in" if amount >= 0 else "out"
        rows.append({"label": label, "low": low, "high": high, "kind": colour})
    levels = [v for r in rows for v in (r["low"], r["high"]) if v is not None]
    top, bottom = max(levels, default=0.0), min(levels, default=0.0)
    floor = max(0.0, bottom - 0.5 * (top - bottom)) if top > bottom else 0.0
    for r in rows:
        if r["low"] is None:
            r["low"] = floor
        r["low"], r["high"] = min(r["low"], r["high"]), max(r["low"], r["high"])
    data = pd.DataFrame(rows)
    scale = alt.Scale(domain=["total", "in", "out"], range=["#7a8896", WON_COLOUR, LOST_COLOUR])
    return alt.Chart(data).mark_bar().encode(
        x=alt.X("label:N", sort=list(data["label"]), title=None, axis=alt.Axis(labelAngle=-30)),
        # an axis that does not start at zero says so, as on the page
        y=alt.Y("low:Q", axis=_amount_axis(t("pipeline.waterfall.amount", lang) if floor <= 0 else
                                           t("pipeline.waterfall.amount_cut", lang, floor=fmt.money(floor, lang))),
                scale=alt.Scale(domain=[floor, top + 0.05 * (top - floor)] if top > floor else alt.Undefined,
                                zero=False, nice=False)),
        y2="high:Q",
        color=alt.Color("kind:N", scale=scale, legend=None),
    ).properties(width=WIDTH, height=HEIGHT)
