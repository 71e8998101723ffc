"""The review pack: an Excel workbook (openpyxl) built from the same analytics functions as the pages.

A pack is a list of parts, one per view, each built by a *section* function `(con, flt, ctx) -> Part`
registered in SECTIONS: adding a view to the pack is adding one function to that list. A Part holds the
sheets of the view (tables as DataFrames with a kind per column: money, count, rate, date, days, ratio,
hours, text...; conditional colours; chart images) and, for the slide deck (analytics/outputs/deck.py), its chart
and three key figures.

Cells hold real numbers and dates with number formats (never text), written with locale-neutral Excel codes
(`#,##0 "€"`, `0.0 %`, `dd/mm/yyyy`): the spreadsheet shows them with the reader's own separators, so a French
Excel or LibreOffice shows 1 250 000 € and 12,5 %. Text from the data that a spreadsheet could take for a
formula (= + - @ tab CR LF, after leading spaces too) is written as a text cell with the quote-prefix style:
it shows as typed and never runs. Lists are capped at `Context.max_rows` rows (the pack holds aggregates and
bounded lists, never the raw table); the sheet says how many rows there were.
"""
from __future__ import annotations

import importlib.util
import io
import math
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal
from typing import Callable

import pandas as pd
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.drawing.image import Image
from openpyxl.formatting.rule import CellIsRule
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.worksheet.pagebreak import Break
from openpyxl.utils import get_column_letter

from analytics.outputs import charts
from analytics.measures import kpis
from analytics import settings, store
from analytics.outputs.export import formula_like
from analytics.filters import Filter, reference_date
from analytics.i18n import t

MAX_ROWS = 1000  # rows of a list written in the pack; the page's CSV holds every row
SHEET_NAME_MAX = 31  # Excel's limit

GOOD, BAD = "1E7B34", "B03A2E"  # the page's delta colours: green when better, red when worse
GOOD_FILL, BAD_FILL = "E3F1E6", "F6E0DD"
HEADER_FILL = "DCE6F1"


def number_format(kind: str, lang: str) -> str | None:
    """The Excel number format of a kind. Codes are locale-neutral: ',' groups thousands and '.' marks the
    decimals in the code; the spreadsheet application writes them as its locale does."""
    fr = lang == "fr"
    return {
        "money": '#,##0 "€";-#,##0 "€"' if fr else '"€"#,##0;-"€"#,##0',
        "count": "#,##0",
        "rate": "0.0 %" if fr else "0.0%",
        "date": "dd/mm/yyyy" if fr else "d mmm yyyy",
        "days": '#,##0 "j"' if fr else '#,##0 "d"',
        "ratio": '0.00 "×"',
        "hours": '#,##0.0 "h"',
        "number": "#,##0.00",
        "decimal": "#,##0.0",
        "points": '+0.0 "pts";-0.0 "pts";0.0 "pts"',
        "relative": "+0 %;-0 %;0 %" if fr else "+0%;-0%;0%",
        "count_change": "+#,##0;-#,##0;0",
        "money_change": '+#,##0 "€";-#,##0 "€";0 "€"' if fr else '+"€"#,##0;-"€"#,##0;"€"0',
        "hours_change": "+#,##0.0;-#,##0.0;0.0",
    }.get(kind)


# --- what a section returns -----------------------------------------------------------------------------------

@dataclass
class Table:
    """A table to write: `df`'s columns in order, headed by `labels`, formatted by `kinds` (column -> kind;
    a column missing there is text). `row_kinds`: column -> a list of kinds, one per row, for columns whose
    rows differ (the summary's values). `fonts`: column -> a list of colours (or None) per row.
    `rules`: (column, operator, value, fill colour) conditional formats, e.g. ("quota_attainment", "lessThan", 1,
    BAD_FILL). `total`: how many rows there were before capping (None when not capped)."""

    df: pd.DataFrame
    kinds: dict[str, str]
    labels: dict[str, str]
    title: str | None = None
    row_kinds: dict[str, list[str]] = field(default_factory=dict)
    fonts: dict[str, list[str | None]] = field(default_factory=dict)
    rules: list[tuple[str, str, float, str]] = field(default_factory=list)
    total: int | None = None


@dataclass
class Chart:
    """An Altair chart with its title; `png` is rendered when the pack is written (or given)."""

    key: str
    title: str
    chart: object
    png: bytes | None = None


@dataclass
class Figure:
    """A key figure of a view, for the deck: label, value and kind (money, rate, count...)."""

    label: str
    value: object
    kind: str


@dataclass
class Sheet:
    name: str
    heading: str
    tables: list[Table] = field(default_factory=list)
    charts: list[Chart] = field(default_factory=list)
    message: str | None = None  # instead of a table: what is missing, or that there is nothing to report
    info: list[tuple[str, object, str]] = field(default_factory=list)  # (label, value, kind) beside the table


@dataclass
class Part:
    """One view of the pack: its sheets, and for the deck its title, chart and (up to) three key figures."""

    key: str
    title: str
    sheets: list[Sheet]
    figures: list[Figure] = field(default_factory=list)
    chart: Chart | None = None


@dataclass(frozen=True)
class Context:
    """What every section needs beside the filter: language, the data's date (the latest snapshot, the
    workspace's "today"), the comparison period, whether to render chart images, the cap on list rows."""

    lang: str
    today: date
    compare: dict | None  # kpis.comparison_kpis: the comparison window's figures, with start and end
    charts: bool = True
    max_rows: int = MAX_ROWS
    available: frozenset = frozenset()
    fiscal_start: int = 1


@dataclass(frozen=True)
class Section:
    """A view of the pack: `build(con, flt, ctx)` returns its Part, or None when the view does not apply to the
    filter. `module`: the analytics module it needs (skipped while that view is not there)."""

    key: str
    build: Callable[..., Part]
    module: str | None = None


def _tr(ctx: Context, key: str, **params) -> str:
    return t(key, ctx.lang, **params)


def capped(df: pd.DataFrame, ctx: Context) -> tuple[pd.DataFrame, int | None]:
    """The first ctx.max_rows rows, and the row count when there were more (else None)."""
    if len(df) > ctx.max_rows:
        return df.head(ctx.max_rows), len(df)
    return df, None


def _label(ctx: Context, column: str, prefix: str) -> str:
    """The view's own column label (`prefix`.column), else the pack's (report.col.column), else the name."""
    for key in (f"{prefix}.{column}", f"report.col.{column}"):
        text = _tr(ctx, key)
        if text != key:
            return text
    return column


def _translated_stages(df: pd.DataFrame, lang: str) -> pd.DataFrame:
    """Stage keys, and the stuck list's source of a stay (history / snapshots), in the reader's words."""
    out = df.copy()
    for col in ("stage", "earlier_stage"):
        if col in out:
            out[col] = out[col].map(lambda s: t(f"stage.{s}", lang) if isinstance(s, str) else s)
    if "source" in out and "threshold_days" in out:
        out["source"] = out["source"].map(lambda s: t(f"flash.stay_source.{s}", lang) if isinstance(s, str) else s)
    return out


# --- the story of a view: which row the deck's key figures are about ---------------------------------------------

def widest_gap_rep(df: pd.DataFrame):
    """The row of kpis.rep_table whose won amount is furthest below its quota (quota - won, largest); None when
    no rep has a quota. The rep a review discusses first, not the table's first row."""
    if "quota" not in df or df["quota"].notna().sum() == 0:
        return None
    gap = pd.to_numeric(df["quota"], errors="coerce") - pd.to_numeric(df["won_amount"], errors="coerce").fillna(0)
    return df.loc[gap.idxmax()]


def worst_segment(table: pd.DataFrame):
    """The segment the deck talks about: the one with the worst contribution (it loses the most money) when
    contributions are known; else the one whose share of revenue falls furthest below its share of effort; else
    the largest by revenue won. Rows without a segment (unattributed) are left out unless they are all there is."""
    named = table[table["value"].map(lambda v: isinstance(v, str))] if "value" in table else table
    rows = named if not named.empty else table
    contribution = pd.to_numeric(rows.get("contribution"), errors="coerce") if "contribution" in rows else None
    if contribution is not None and contribution.notna().any():
        return rows.loc[contribution.idxmin()], "contribution"
    if {"revenue_share", "effort_share"} <= set(rows.columns):
        lag = pd.to_numeric(rows["revenue_share"], errors="coerce") - pd.to_numeric(rows["effort_share"],
                                                                                   errors="coerce")
        if lag.notna().any():
            return rows.loc[lag.idxmin()], "shares"
    return rows.loc[pd.to_numeric(rows["won_amount"], errors="coerce").idxmax()], "won"


# --- sections: flash figures ------------------------------------------------------------------------------------

def _defined(value) -> bool:
    return value is not None and not (isinstance(value, float) and math.isnan(value))


def summary_kpis() -> list[kpis.KPI]:
    """The KPIs of the summary: the page's tiles, in the registry's order."""
    return [k for k in kpis.REGISTRY if k.tile]


def change(kpi: kpis.KPI, now, before) -> tuple[float | None, str]:
    """The change of a KPI against the comparison period by its registry delta rule (as the page's tiles), and
    the kind it is written in: points for rates (difference x 100), relative change for amounts and hours (the
    difference itself when the comparison is 0), plain difference for counts and days; none for "now" figures."""
    if kpi.delta == "none" or not (_defined(now) and _defined(before)):
        return None, "text"
    now, before = float(now), float(before)
    diff = now - before
    if kpi.delta == "points":
        return 100 * diff, "points"
    if kpi.delta == "relative":
        if before:
            return diff / abs(before), "relative"
        return diff, f"{kpi.kind}_change"
    return diff, "count_change"


def _filter_info(flt: Filter, ctx: Context) -> list[tuple[str, object, str]]:
    every = _tr(ctx, "filters.all")
    info = [(_tr(ctx, "report.data_date"), ctx.today, "date")]
    if flt.start is not None and flt.end is not None:
        info += [(_tr(ctx, "report.period_start"), flt.start, "date"), (_tr(ctx, "report.period_end"), flt.end, "date")]
    else:
        info.append((_tr(ctx, "report.period"), _tr(ctx, "report.all_dates"), "text"))
    if ctx.compare is not None:
        info += [(_tr(ctx, "report.compare_start"), ctx.compare["start"], "date"),
                 (_tr(ctx, "report.compare_end"), ctx.compare["end"], "date")]
    for dim in ("team", "owner", "segment", "region", "source"):
        value = getattr(flt, dim)
        info.append((_tr(ctx, f"filters.{dim}"), every if value is None else value, "text"))
    return info


def summary_section(con, flt: Filter, ctx: Context) -> Part:
    """The flash figures of the period, the comparison period's (read like for like, kpis.comparison_kpis) and
    the change, as the page's tiles; the filters and the data's date beside them; the won-versus-quota trend."""
    now = kpis.flash_kpis(con, flt, fiscal_start=ctx.fiscal_start)
    before = ctx.compare if ctx.compare is not None and not ctx.compare["empty"] else None
    rows, value_kinds, change_kinds, fonts = [], [], [], []
    for kpi in summary_kpis():
        prior = before.get(kpi.key) if (before is not None and kpi.delta != "none") else None
        delta, delta_kind = change(kpi, now.get(kpi.key), prior)
        note = now.get("notes", {}).get(kpi.key)  # unknown or partly valued: the same words as the page's tile
        note_text = _tr(ctx, note["note"], **{k: v for k, v in note.items() if k != "note"}) if note else None
        rows.append({"kpi": _tr(ctx, kpi.label_key), "value": now.get(kpi.key), "compared": prior, "change": delta,
                     "note": note_text})
        value_kinds.append(kpi.kind)
        change_kinds.append(delta_kind)
        sign = {"higher": 1, "lower": -1}.get(kpi.better, 0)
        fonts.append(None if not delta or not sign else GOOD if delta * sign > 0 else BAD)
    df = pd.DataFrame(rows, columns=["kpi", "value", "compared", "change", "note"])
    if df["note"].isna().all():
        df = df.drop(columns="note")
    table = Table(
        df, {"kpi": "text", "note": "text"},
        {"kpi": _tr(ctx, "report.col.kpi"), "value": _tr(ctx, "report.col.value"),
         "compared": _tr(ctx, "report.col.compared"), "change": _tr(ctx, "report.col.change"),
         "note": _tr(ctx, "report.col.note")},
        row_kinds={"value": value_kinds, "compared": value_kinds, "change": change_kinds},
        fonts={"change": fonts},
    )
    trend = kpis.won_trend(con, flt)
    chart = None
    if not trend.empty and not (trend["won_amount"].sum() == 0 and trend["quota"].isna().all()):
        chart = Chart("trend", _tr(ctx, "flash.trend.title"), charts.won_trend_chart(trend, ctx.lang))
    title = _tr(ctx, "report.summary.title")
    sheet = Sheet(_tr(ctx, "report.sheet.summary"), title, [table], [chart] if chart else [],
                  info=_filter_info(flt, ctx))
    figures = [Figure(_tr(ctx, f"flash.kpi.{k}"), now.get(k), kind)
               for k, kind in (("won_amount", "money"), ("win_rate", "rate"), ("quota_attainment", "rate"))]
    return Part("summary", _tr(ctx, "flash.title"), [sheet], figures, chart)


REP_KINDS = {
    "owner": "text", "won_count": "count", "won_amount": "money", "lost_count": "count", "win_rate": "rate",
    "open_amount": "money", "weighted_pipeline": "money", "quota": "money", "quota_attainment": "rate",
    "coverage_raw": "ratio", "coverage_weighted": "ratio",
}


def reps_section(con, flt: Filter, ctx: Context) -> Part:
    """kpis.rep_table, as the page's per-rep table; attainment coloured below / at or above 100 %."""
    df = kpis.rep_table(con, flt)
    labels = {c: _tr(ctx, f"flash.col.{c}") for c in df.columns}
    title = _tr(ctx, "flash.reps.title")
    if df.empty:
        return Part("reps", title, [Sheet(_tr(ctx, "report.sheet.reps"), title, message=_tr(ctx, "flash.reps.empty"))])
    shown, total = capped(df, ctx)
    rules = [("quota_attainment", "lessThan", 1, BAD_FILL), ("quota_attainment", "greaterThanOrEqual", 1, GOOD_FILL)]
    table = Table(shown, REP_KINDS, labels, rules=rules, total=total)
    chart = None
    if (df["won_amount"] > 0).any() or df["quota"].notna().any():
        series = {"won_amount": _tr(ctx, "flash.trend.won"), "quota": _tr(ctx, "flash.trend.quota")}
        top = df.head(15).fillna({"quota": 0.0})
        chart = Chart("reps", _tr(ctx, "report.chart.reps"),
                      charts.stacked_bar_chart(top, "owner", series, _tr(ctx, "flash.trend.amount"), ctx.lang))
    reached = int((df["quota_attainment"] >= 1).sum())
    with_quota = int(df["quota"].notna().sum())
    behind = widest_gap_rep(df)
    if behind is not None:  # the story: the rep furthest from the quota, then how many reached it
        gap = float(behind["quota"]) - float(behind["won_amount"] or 0)
        figures = [
            Figure(_tr(ctx, "report.figure.widest_gap", owner=behind["owner"]), gap, "money"),
            Figure(_tr(ctx, "report.figure.attainment_of", owner=behind["owner"]), behind["quota_attainment"], "rate"),
            Figure(_tr(ctx, "report.figure.reps_at_quota_of", total=len(df)), reached, "count"),
        ]
    else:
        figures = [
            Figure(_tr(ctx, "report.figure.reps"), len(df), "count"),
            Figure(_tr(ctx, "report.figure.reps_at_quota"), None, "count"),
            Figure(_tr(ctx, "report.figure.best_attainment"), None, "rate"),
        ]
    sheet = Sheet(_tr(ctx, "report.sheet.reps"), title, [table], [chart] if chart else [])
    return Part("reps", title, [sheet], figures, chart)


ALERT_KINDS = {
    "owner": "text", "quota": "money", "prorated_goal": "money", "won_amount": "money", "gap": "money",
    "opportunity_id": "text", "name": "text", "stage": "text", "amount": "money", "entered": "date",
    "days_in_stage": "days", "p75_days": "days", "close_date": "date", "days_overdue": "days",
    "probability": "rate", "earlier_stage": "text", "earlier_typical": "rate", "threshold_days": "decimal",
}

# every column of the flash page's tables (per-rep table and alert lists), for the pages' xlsx downloads
FLASH_KINDS = REP_KINDS | ALERT_KINDS


def alerts_section(con, flt: Filter, ctx: Context) -> Part:
    """The flash page's four alerts, one sheet each (each list has its own header row and filter)."""
    today = ctx.today
    alerts = [
        ("behind", "targets", lambda: kpis.reps_behind_goal(con, flt, today)),
        ("stuck", "stage_history", lambda: kpis.stuck_deals(con, flt, today)),
        ("overdue", None, lambda: kpis.overdue_deals(con, flt, today)),
        ("inversion", None, lambda: kpis.probability_inversions(con, flt)),
    ]
    sheets, counts = [], {}
    for name, needed, compute in alerts:
        title = _tr(ctx, f"flash.alert.{name}")
        sheet = Sheet(_tr(ctx, f"report.sheet.alert_{name}"), title)
        if needed and needed not in ctx.available:
            sheet.message = _tr(ctx, "flash.add_sheet", sheet=_tr(ctx, f"table.{needed}"))
            counts[name] = None
        else:
            df = compute()
            counts[name] = len(df)
            if df.empty:
                sheet.message = _tr(ctx, "flash.alert.none")
            else:
                shown, total = capped(df, ctx)
                shown = _translated_stages(shown, ctx.lang)
                sheet.tables.append(Table(shown, ALERT_KINDS, {c: _tr(ctx, f"flash.col.{c}") for c in df.columns},
                                          total=total))
        sheets.append(sheet)
    known = {k: v for k, v in counts.items() if v is not None}
    chart = None
    if known:
        data = pd.DataFrame({"alert": [_tr(ctx, f"report.alert_short.{k}") for k in known],
                             "count": list(known.values())})
        chart = Chart("alerts", _tr(ctx, "report.chart.alerts"),
                      charts.bar_chart(data, "alert", "count", _tr(ctx, "report.col.count"), ctx.lang, kind="count",
                                       colour=charts.LOST_COLOUR))
    figures = [Figure(_tr(ctx, f"report.alert_short.{k}"), counts[k], "count") for k in ("behind", "stuck", "overdue")]
    return Part("alerts", _tr(ctx, "flash.alerts.title"), sheets, figures, chart)


FUNNEL_KINDS = {"stage": "text", "reached": "count", "conversion_next": "rate", "from_start": "rate",
                "owner": "text", "team_median": "rate", "far_below": "text"}


def funnel_section(con, flt: Filter, ctx: Context) -> Part:
    """The funnel page's team and per-rep conversions (analytics.views.funnel, on deals closed in the period, the
    page's default basis), the funnel chart and its three figures: deals in, overall conversion, proposal to won."""
    from analytics.views import funnel

    basis = "closed"
    title = _tr(ctx, "funnel.title")
    team = funnel.conversion(con, flt, basis)
    summary = funnel.summary(team)
    labels = {c: _tr(ctx, f"funnel.col.{c}") for c in FUNNEL_KINDS}
    sheet = Sheet(title, title)
    if summary["deals"] == 0:
        sheet.message = _tr(ctx, "funnel.empty")
        return Part("funnel", title, [sheet])
    shown = _translated_stages(team[["stage", "reached", "conversion_next", "from_start"]], ctx.lang)
    sheet.tables.append(Table(shown, FUNNEL_KINDS, labels))
    reps = funnel.rep_comparison(con, flt, basis)
    if not reps.empty:
        reps = _translated_stages(reps[["owner", "stage", "reached", "conversion_next", "team_median", "far_below"]],
                                  ctx.lang)
        reps["far_below"] = reps["far_below"].map(lambda v: _tr(ctx, "report.yes") if v else "")
        shown, total = capped(reps, ctx)
        sheet.tables.append(Table(shown, FUNNEL_KINDS, labels, title=_tr(ctx, "funnel.reps.title"), total=total,
                                  fonts={"far_below": [BAD if v else None for v in shown["far_below"]]}))
    chart = Chart("funnel", _tr(ctx, "report.chart.funnel"), charts.funnel_chart(team, ctx.lang))
    sheet.charts.append(chart)
    figures = [Figure(_tr(ctx, "funnel.kpi.deals"), summary["deals"], "count"),
               Figure(_tr(ctx, "funnel.kpi.overall"), summary["overall"], "rate"),
               Figure(_tr(ctx, "funnel.kpi.proposal_to_won"), summary["proposal_to_won"], "rate")]
    return Part("funnel", title, [sheet], figures, chart)


MOVEMENT_REP_COLUMNS = ["owner", "open_amount_before", "new_count", "won_count", "lost_count", "dropped_count",
                        "advanced_count", "slipped_count", "amount_changed_count", "open_amount_after"]
MOVEMENT_KINDS = {"owner": "text", "open_amount_before": "money", "open_amount_after": "money",
                  "amount_before": "money", "amount_after": "money", "amount_change": "money",
                  "close_before": "date", "close_after": "date", "probability_before": "rate",
                  "probability_after": "rate", "step": "text", "amount": "money"} | {
    c: "count" for c in MOVEMENT_REP_COLUMNS if c.endswith("_count")}


def movement_section(con, flt: Filter, ctx: Context) -> Part:
    """The pipeline page's movement between the last two uploads (analytics.views.movement): the waterfall as a table
    and a chart, the movements per rep and the deals that moved (capped). The period filter does not apply: the
    period is the two uploads, as on the page."""
    from analytics.views import movement

    title = _tr(ctx, "pipeline.title")
    sheet = Sheet(title, title)
    try:
        a_id, b_id = movement.resolve_pair(con)
    except movement.MovementError as exc:
        sheet.message = _tr(ctx, exc.key, **getattr(exc, "params", {}))
        return Part("movement", title, [sheet])
    summary = movement.movement_summary(con, flt, a_id, b_id)
    a, b = charts.day_text(summary["a_date"], ctx.lang), charts.day_text(summary["b_date"], ctx.lang)
    sheet.heading = _tr(ctx, "pipeline.waterfall.title", a=a, b=b)
    steps = summary["waterfall"]
    step_labels = [_tr(ctx, f"pipeline.step.{s['step']}", date=a if s["step"] == "open_before" else b) for s in steps]
    waterfall = pd.DataFrame({"step": step_labels, "amount": [float(s["amount"]) for s in steps]})
    sheet.tables.append(Table(waterfall, MOVEMENT_KINDS, {"step": _tr(ctx, "funnel.col.step"),
                                                          "amount": _tr(ctx, "pipeline.waterfall.amount")}))
    reps = movement.movement_by_rep(con, flt, a_id, b_id)
    if not reps.empty:
        sheet.tables.append(Table(reps[MOVEMENT_REP_COLUMNS], MOVEMENT_KINDS,
                                  {c: _tr(ctx, f"pipeline.col.{c}") for c in MOVEMENT_REP_COLUMNS},
                                  title=_tr(ctx, "pipeline.reps.title")))
    deals = movement.movement_deals(con, flt, a_id, b_id)
    if not deals.empty:
        deals = deals.drop(columns=[c for c in ("owner_changed",) if c in deals])
        for col in ("reason",):
            deals[col] = deals[col].map(lambda r: _tr(ctx, f"pipeline.move.{r}") if isinstance(r, str) else r)
        deals["changes"] = deals["changes"].map(  # "won,slipped" in the reader's words
            lambda c: ", ".join(_tr(ctx, f"pipeline.move.{x.strip()}") for x in c.split(",")) if isinstance(c, str)
            else c)
        for col in ("status_before", "status_after"):
            deals[col] = deals[col].map(lambda v: _tr(ctx, f"status.{v}") if isinstance(v, str) else v)
        deals = deals.rename(columns={"stage_before": "stage", "stage_after": "earlier_stage"})
        deals = _translated_stages(deals, ctx.lang).rename(columns={"stage": "stage_before",
                                                                     "earlier_stage": "stage_after"})
        shown, total = capped(deals, ctx)
        deal_sheet = Sheet(_tr(ctx, "report.sheet.movement_deals"), _tr(ctx, "pipeline.lists.title"),
                           [Table(shown, MOVEMENT_KINDS, {c: _label(ctx, c, "pipeline.col") for c in deals.columns},
                                  total=total)])
    else:
        deal_sheet = Sheet(_tr(ctx, "report.sheet.movement_deals"), _tr(ctx, "pipeline.lists.title"),
                           message=_tr(ctx, "pipeline.lists.none"))
    chart = Chart("movement", sheet.heading, charts.waterfall_chart(steps, step_labels, ctx.lang))
    sheet.charts.append(chart)
    figures = [Figure(step_labels[0], float(summary["open_amount_before"]), "money"),
               Figure(_tr(ctx, "pipeline.step.new"), float(summary["new_amount"]), "money"),
               Figure(step_labels[-1], float(summary["open_amount_after"]), "money")]
    return Part("movement", title, [sheet, deal_sheet], figures, chart)


REVIEW_KINDS = {
    "opportunity_id": "text", "name": "text", "account": "text", "owner": "text", "segment": "text",
    "amount": "money", "outcome_date": "date", "cycle_days": "days", "lost_reason": "text", "lost_count": "count",
    "lost_amount": "money", "share": "rate", "closed": "count", "won": "count", "win_rate": "rate",
    "team_win_rate": "rate", "stage": "text", "probability": "rate", "weighted": "money", "close_date": "date",
    "days_in_stage": "days", "slips": "count", "score": "decimal", "metric": "text",
}
GAP_COLUMNS = ["metric", "rep", "team", "gap", "expected_segment", "volume_segment", "explained_segment",
               "remaining_segment"]
WORK_COLUMNS = ["opportunity_id", "name", "account", "stage", "amount", "probability", "weighted", "close_date",
                "days_in_stage", "slips", "score"]


def _trend_frame(trend: pd.DataFrame) -> pd.DataFrame:
    """reviews.attainment_trend's months in the shape of kpis.won_trend, for the same chart."""
    return pd.DataFrame({"bucket": trend["month"], "grain": "month", "won_amount": trend["won_amount"],
                         "quota": trend["quota"]})


def reviews_section(con, flt: Filter, ctx: Context) -> Part:
    """The collective review (analytics.views.reviews, the team: the owner filter left out, as on the page): wins of the
    period, losses by reason, the best converter of each segment, attainment by month; and, when the pack is one
    rep's, that rep's individual review: gaps with the team, deals to work first, attainment by month."""
    from analytics.views import reviews

    team = replace(flt, owner=None)
    title = _tr(ctx, "nav.review_collective")
    head = reviews.headline(con, team)
    wins = reviews.wins(con, team)
    sheet = Sheet(title, title)
    shown, total = capped(wins, ctx)
    sheet.tables.append(Table(shown, REVIEW_KINDS, {c: _label(ctx, c, "review.col") for c in wins.columns},
                              title=_tr(ctx, "review.wins.title"), total=total))
    lost = reviews.losses_by_reason(con, team)
    if not lost.empty:
        lost = lost.drop(columns=[c for c in ("stage_orders",) if c in lost])
        lost["lost_reason"] = lost["lost_reason"].map(
            lambda r: r if isinstance(r, str) else _tr(ctx, "review.losses.no_reason"))
        sheet.tables.append(Table(lost, REVIEW_KINDS, {c: _label(ctx, c, "review.col") for c in lost.columns},
                                  title=_tr(ctx, "review.losses.title")))
    best = reviews.best_converters(con, team)
    if not best.empty:
        best = best[["segment", "owner", "closed", "won", "win_rate", "team_win_rate"]]
        sheet.tables.append(Table(best, REVIEW_KINDS, {c: _label(ctx, c, "review.col") for c in best.columns},
                                  title=_tr(ctx, "review.best.title")))
    trend = reviews.attainment_trend(con, team, today=ctx.today)
    chart = None
    if not trend.empty and (trend["won_amount"].sum() > 0 or trend["quota"].notna().any()):
        chart = Chart("review", _tr(ctx, "report.chart.attainment"),
                      charts.won_trend_chart(_trend_frame(trend), ctx.lang))
        sheet.charts.append(chart)
    figures = [Figure(_tr(ctx, "flash.kpi.won_amount"), head.get("won_amount"), "money"),
               Figure(_tr(ctx, "flash.kpi.quota_attainment"), head.get("quota_attainment"), "rate"),
               Figure(_tr(ctx, "review.wins.title"), len(wins), "count")]
    return Part("reviews", title, [sheet], figures, chart)


def individual_review_section(con, flt: Filter, ctx: Context) -> Part | None:
    """In a one-rep pack (flt.owner set), that rep's individual review (analytics.views.reviews): gaps with the team and
    what the mix explains, the deals to work first, attainment by month; None in the team's pack."""
    from analytics.views import reviews

    owner = flt.owner
    if not owner:
        return None
    title = f"{_tr(ctx, 'nav.review_individual')} : {owner}" if ctx.lang == "fr" else \
        f"{_tr(ctx, 'nav.review_individual')}: {owner}"
    sheet = Sheet(_tr(ctx, "nav.review_individual"), title)
    gaps = reviews.gaps(con, flt, owner)
    if not gaps.empty:
        gaps = gaps[[c for c in GAP_COLUMNS if c in gaps]]
        kinds = [kpis.BY_KEY[m].kind if m in kpis.BY_KEY else "decimal" for m in gaps["metric"]]
        gaps["metric"] = gaps["metric"].map(lambda m: _tr(ctx, f"flash.kpi.{m}"))
        sheet.tables.append(Table(gaps, REVIEW_KINDS, {c: _label(ctx, c, "review.col") for c in gaps.columns},
                                  title=_tr(ctx, "review.gaps.title"),
                                  row_kinds={c: kinds for c in gaps.columns if c != "metric"}))
    work = reviews.deals_to_work(con, flt, owner, ctx.today)
    if not work.empty:
        work = _translated_stages(work[[c for c in WORK_COLUMNS if c in work]], ctx.lang)
        shown, total = capped(work, ctx)
        sheet.tables.append(Table(shown, REVIEW_KINDS, {c: _label(ctx, c, "review.col") for c in work.columns},
                                  title=_tr(ctx, "review.work.title"), total=total))
    trend = reviews.attainment_trend(con, flt, owner, today=ctx.today)
    chart = None
    if not trend.empty and (trend["won_amount"].sum() > 0 or trend["quota"].notna().any()):
        chart = Chart("review_rep", _tr(ctx, "report.chart.attainment"),
                      charts.won_trend_chart(_trend_frame(trend), ctx.lang))
        sheet.charts.append(chart)
    head = reviews.headline(con, flt, owner)
    figures = [Figure(_tr(ctx, f"flash.kpi.{k}"), head.get(k), kind)
               for k, kind in (("won_amount", "money"), ("quota_attainment", "rate"), ("coverage_raw", "ratio"))]
    return Part("review_individual", title, [sheet], figures, chart)


SEGMENT_KINDS = {"value": "text", "owner": "text", "source": "text", "meetings_per_win": "decimal",
                 "is_median": "text"} | {
    c: "money" for c in ("won_amount", "lost_amount", "average_basket", "margin", "new_customer_margin",
                         "margin_per_customer", "time_cost",
                         "marketing_spend", "acquisition_spend", "acquisition_cost", "contribution")} | {
    c: "count" for c in ("created_count", "won_count", "lost_count", "open_count", "won_without_margin",
                         "new_customers", "activities", "calls", "emails", "meetings", "demos", "planned_activities")
} | {c: "hours" for c in ("activity_hours", "uncosted_hours", "hours_per_win")} | {
    c: "rate" for c in ("win_rate", "effort_share", "revenue_share", "margin_share", "marketing_share",
                        "activities_vs_plan", "conversion", "in_target_share")}


def segments_section(con, flt: Filter, ctx: Context) -> Part:
    """The segments page (analytics.views.segments) by customer segment: result against effort per segment, effort per
    won deal for each rep, the sources of opportunities; the effort share against the revenue share as a chart;
    for the deck, the largest segment's revenue, share of revenue and share of effort."""
    from analytics.views import segments

    title = _tr(ctx, "segments.title")
    sheet = Sheet(_tr(ctx, "report.sheet.segments"), title)
    unattributed = _tr(ctx, "segments.unattributed")

    def named(df: pd.DataFrame, column: str) -> pd.DataFrame:
        out = df.copy()
        out[column] = out[column].map(lambda v: v if isinstance(v, str) else unattributed)
        return out

    def labels(df: pd.DataFrame) -> dict[str, str]:
        return {c: _label(ctx, c, "segments.col") for c in df.columns}

    table = segments.segment_table(con, flt, "segment")
    if table.empty:
        sheet.message = _tr(ctx, "funnel.empty")
        return Part("segments", title, [sheet])
    table = named(table, "value")
    sheet.tables.append(Table(table, SEGMENT_KINDS, labels(table), title=_tr(ctx, "segments.table.title")))
    reps = segments.rep_effort(con, flt, "segment")
    if not reps.empty:
        reps = named(reps[reps["owner"].notna()].drop(columns=["is_median"], errors="ignore"), "value")
        shown, total = capped(reps, ctx)
        sheet.tables.append(Table(shown, SEGMENT_KINDS, labels(reps), title=_tr(ctx, "segments.reps.title"),
                                  total=total))
    sources = segments.sources(con, flt)
    if not sources.empty:
        sources = named(sources, "source")
        sheet.tables.append(Table(sources, SEGMENT_KINDS, labels(sources), title=_tr(ctx, "segments.sources.title")))
    chart = None
    shares = table.dropna(subset=["effort_share", "revenue_share"], how="all")
    if not shares.empty:
        series = {"effort_share": _tr(ctx, "segments.col.effort_share"),
                  "revenue_share": _tr(ctx, "segments.col.revenue_share")}
        chart = Chart("segments", _tr(ctx, "segments.shares.title"),
                      charts.stacked_bar_chart(shares.fillna({"effort_share": 0.0, "revenue_share": 0.0}), "value",
                                               series, _tr(ctx, "report.col.share"), ctx.lang, kind="rate"))
        sheet.charts.append(chart)
    # the story: the segment that loses money (or whose revenue lags its effort), not the table's first row
    row, why = worst_segment(table)
    name = row["value"]
    if why == "contribution":
        figures = [
            Figure(_tr(ctx, "report.figure.segment_contribution", segment=name), row["contribution"], "money"),
            Figure(_tr(ctx, "report.figure.segment_cac", segment=name), row.get("acquisition_cost"), "money"),
            Figure(_tr(ctx, "report.figure.segment_margin", segment=name), row.get("margin_per_customer"), "money"),
        ]
    else:
        figures = [
            Figure(_tr(ctx, "report.figure.segment_revenue_share", segment=name), row.get("revenue_share"), "rate"),
            Figure(_tr(ctx, "report.figure.segment_effort_share", segment=name), row.get("effort_share"), "rate"),
            Figure(_tr(ctx, "report.figure.segment_won", segment=name), row.get("won_amount"), "money"),
        ]
    return Part("segments", title, [sheet], figures, chart)


# --- section: projection --------------------------------------------------------------------------------------

PROJECTION_KINDS = {"owner": "text", "won_to_date": "money", "from_open": "money", "from_new": "money",
                    "central": "money", "call": "money", "call_gap": "money", "optimism": "rate",
                    "amount_ratio": "ratio"}


def projection_section(con, flt: Filter, ctx: Context) -> Part:
    """Where the period holding the latest upload will land (analytics/views/projection.py, as the flash page's
    tile): the figures with the range and the backtest, then the per-rep call against the projection."""
    from analytics.views import projection

    period = projection.period_of(flt, ctx.fiscal_start)
    result = projection.summary(con, flt, period, fiscal_start=ctx.fiscal_start)
    title = _tr(ctx, "projection.title")
    sheet = Sheet(_tr(ctx, "report.sheet.projection"), title)
    if result["reason"] is not None:
        sheet.message = _tr(ctx, result["reason"])
        return Part("projection", title, [sheet])
    test = result["backtest"]
    rows = [
        ("flash.col.won_to_date", result["won_to_date"], "money"),
        ("flash.col.from_open", result["from_open"], "money"),
        ("flash.col.from_new", result["from_new"], "money"),
        ("flash.col.central", result["central"], "money"),
        ("report.projection.low", result["low"], "money"),
        ("report.projection.high", result["high"], "money"),
        ("projection.quota", result["quota"], "money"),
        ("projection.naive", result["naive"], "money"),
        ("report.projection.periods", test["periods"], "count"),
        ("report.projection.mae", test["mae_pct"], "decimal"),
        ("report.projection.naive_mae", test["naive_mae_pct"], "decimal"),
        ("report.projection.coverage", test["coverage"], "rate"),
    ]
    df = pd.DataFrame([{"figure": _tr(ctx, key), "value": value} for key, value, _ in rows])
    figures_table = Table(df, {"figure": "text"}, {"figure": _tr(ctx, "report.projection.figure"),
                                                    "value": _tr(ctx, "report.projection.value")},
                          row_kinds={"value": [kind for _, _, kind in rows]})
    reps = result["reps"]
    tables = [figures_table]
    chart = None
    if not reps.empty:
        labels = {c: _tr(ctx, f"flash.col.{c}") for c in reps.columns}
        shown, total = capped(reps, ctx)
        tables.append(Table(shown, PROJECTION_KINDS, labels, title=_tr(ctx, "projection.reps.title"), total=total))
        series = {"central": _tr(ctx, "flash.col.central"), "call": _tr(ctx, "flash.col.call")}
        chart = Chart("projection", _tr(ctx, "report.chart.projection"),
                      charts.stacked_bar_chart(reps.head(15), "owner", series, _tr(ctx, "flash.trend.amount"),
                                               ctx.lang))
    start, end = result["period"]["start"], result["period"]["end"]
    sheet.tables = tables
    sheet.charts = [chart] if chart else []
    sheet.info = [(_tr(ctx, "report.period_start"), start, "date"), (_tr(ctx, "report.period_end"), end, "date"),
                  (_tr(ctx, "report.data_date"), result["as_of"], "date")]
    figures = [Figure(_tr(ctx, "flash.col.central"), result["central"], "money"),
               Figure(_tr(ctx, "report.projection.low"), result["low"], "money"),
               Figure(_tr(ctx, "report.projection.high"), result["high"], "money")]
    return Part("projection", title, [sheet], figures, chart)


# The pack's views, in order. A view written later (funnel, segments, pipeline movement, reviews) is added here
# as one more Section whose function calls that view's analytics; `module` keeps the pack working while the
# module is absent.
SECTIONS: list[Section] = [
    Section("summary", summary_section),
    Section("projection", projection_section, module="analytics.views.projection"),
    Section("reps", reps_section),
    Section("alerts", alerts_section),
    Section("funnel", funnel_section, module="analytics.views.funnel"),
    Section("segments", segments_section, module="analytics.views.segments"),
    Section("movement", movement_section, module="analytics.views.movement"),
    Section("reviews", reviews_section, module="analytics.views.reviews"),
    Section("review_individual", individual_review_section, module="analytics.views.reviews"),
]


def _module_present(name: str | None) -> bool:
    return name is None or importlib.util.find_spec(name) is not None


def context(con, flt: Filter, lang: str = "fr", compare: str = "previous", charts_on: bool = True,
            max_rows: int = MAX_ROWS) -> Context:
    """The context of a pack: the data's date is the latest snapshot's (the workspace's today), and the
    comparison is the page's: `compare` mode, read like for like while the period is in progress."""
    today = reference_date(con)
    fiscal = settings.fiscal_start(con)
    return Context(lang=lang, today=today, compare=kpis.comparison_kpis(con, flt, compare, today, fiscal),
                   charts=charts_on, max_rows=max_rows, available=frozenset(store.available_tables(con)),
                   fiscal_start=fiscal)


def build_parts(con, flt: Filter, ctx: Context, sections: list[Section] | None = None) -> list[Part]:
    """Every section's Part, with its chart images rendered when ctx.charts."""
    parts = []
    for section in sections if sections is not None else SECTIONS:
        if not _module_present(section.module):
            continue
        part = section.build(con, flt, ctx)
        if part is None:  # a view with nothing to say for this filter (the individual review of no rep)
            continue
        if ctx.charts:
            for chart in _charts_of(part):
                if chart.png is None:
                    chart.png = charts.to_png(chart.chart, chart.title, ctx.today, ctx.lang)
        parts.append(part)
    return parts


def _charts_of(part: Part) -> list[Chart]:
    seen, out = set(), []
    for chart in [c for s in part.sheets for c in s.charts] + ([part.chart] if part.chart else []):
        if id(chart) not in seen:
            seen.add(id(chart))
            out.append(chart)
    return out


# --- writing cells ----------------------------------------------------------------------------------------------

def cell_value(value, kind: str = "text"):
    """A Python value an openpyxl cell takes: None for missing (NaN, NaT), float for Decimal and numpy numbers,
    date for dates (datetime kept when it has a time), text cleaned of the control characters xlsx refuses."""
    if value is None:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if value is pd.NaT:
        return None
    if isinstance(value, pd.Timestamp):
        value = value.to_pydatetime()
    if isinstance(value, datetime):
        return value.date() if kind == "date" or value.time() == datetime.min.time() else value
    if isinstance(value, date):
        return value
    if isinstance(value, Decimal):
        return float(value)
    if hasattr(value, "item") and not isinstance(value, str):  # numpy scalars
        value = value.item()
        if isinstance(value, float) and math.isnan(value):
            return None
        return value
    if isinstance(value, (bool, int, float)):
        return value
    if pd.isna(value) if not isinstance(value, str) else False:
        return None
    return ILLEGAL_CHARACTERS_RE.sub("", str(value))


def write_cell(ws, row: int, column: int, value, kind: str = "text", lang: str = "fr"):
    """Write one value; formula-like text stays text (data type 's' and the quote-prefix style)."""
    cell = ws.cell(row=row, column=column)
    cell.value = cell_value(value, kind)
    if isinstance(cell.value, str):
        if formula_like(cell.value) or cell.data_type == "f":
            cell.data_type = "s"
            cell.quotePrefix = True
    elif cell.value is not None:
        fmt = number_format(kind, lang)
        if fmt is None and isinstance(cell.value, date):
            fmt = number_format("date", lang)
        if fmt:
            cell.number_format = fmt
    return cell


def _display_width(value, kind: str, lang: str) -> int:
    """About how many characters the value takes on screen, for the column width."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return 1
    if isinstance(value, (date, datetime, pd.Timestamp)):
        return 11
    if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        shown = "relative" if kind in ("relative", "points") else kind
        return len(charts.figure_text(value, {"relative": "rate", "points": "rate", "count_change": "count",
                                              "money_change": "money", "hours_change": "hours"}.get(shown, shown),
                                      lang)) + 1
    return max((len(line) for line in str(value).splitlines()), default=1)


FONT = "Calibri"  # named on every styled cell: a Font without a name prints in a serif face in LibreOffice
HEADER_FONT = Font(name=FONT, bold=True)
TITLE_FONT = Font(name=FONT, bold=True, size=14)
SUBTITLE_FONT = Font(name=FONT, bold=True, size=11)
NOTE_FONT = Font(name=FONT, italic=True, color="555555")
PAGE_CHARS = 260  # characters of column width on one A4 landscape page, shrunk to about 60 % at most
MAX_SHRINK_PAGES = 2  # fit to width down to half size; wider than two pages' worth, pages go across
SIDE_BY_SIDE_COLUMNS = 5  # a chart stands right of a table this narrow, below a wider one


def write_table(ws, table: Table, top: int, left: int, lang: str, widths: dict[int, int]) -> tuple[int, int]:
    """Write `table` with its header at row `top`; return (first data row, last row written)."""
    df = table.df
    columns = list(df.columns)
    row = top
    if table.title:
        write_cell(ws, row, left, table.title).font = SUBTITLE_FONT
        row += 1
    header_row = row
    for j, col in enumerate(columns):
        cell = write_cell(ws, header_row, left + j, table.labels.get(col, col))
        cell.font = HEADER_FONT
        cell.fill = PatternFill("solid", fgColor=HEADER_FILL)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        widths[left + j] = max(widths.get(left + j, 0), min(len(str(cell.value)), 28) + 2)
    # a wrapped header gets the height of its lines (LibreOffice does not grow the row by itself)
    lines = max((math.ceil(len(str(table.labels.get(c, c))) / 28) for c in columns), default=1)
    ws.row_dimensions[header_row].height = 15 * max(lines, 1) + 2
    values = {col: df[col].tolist() for col in columns}
    for i in range(len(df)):
        r = header_row + 1 + i
        for j, col in enumerate(columns):
            kind = table.row_kinds[col][i] if col in table.row_kinds else table.kinds.get(col, "text")
            value = values[col][i]
            cell = write_cell(ws, r, left + j, value, kind, lang)
            colour = table.fonts.get(col, [None] * len(df))[i]
            if colour:
                cell.font = Font(name=FONT, color=colour, bold=True)
            if i < 300:  # widths from the first rows: enough to fit, cheap on long lists
                widths[left + j] = max(widths.get(left + j, 0), min(_display_width(cell.value, kind, lang), 60) + 2)
    last = header_row + len(df)
    for col, operator, value, fill in table.rules:
        if col in columns and len(df):
            letter = get_column_letter(left + columns.index(col))
            ws.conditional_formatting.add(
                f"{letter}{header_row + 1}:{letter}{last}",
                CellIsRule(operator=operator, formula=[str(value)], fill=PatternFill("solid", fgColor=fill,
                                                                                     bgColor=fill)),
            )
    if table.total is not None:
        ws.cell(row=last + 1, column=left,
                value=t("report.capped", lang, shown=len(df), total=table.total)).font = NOTE_FONT
        last += 1
    return header_row, last


def write_sheet(wb: Workbook, sheet: Sheet, lang: str, taken: set[str]):
    ws = wb.create_sheet(_sheet_name(sheet.name, taken))
    write_cell(ws, 1, 1, sheet.heading).font = TITLE_FONT  # may hold a rep's name: written as inert text
    widths: dict[int, int] = {1: 12}
    row = 3
    first_header = None
    ncols = 1
    if sheet.message:
        write_cell(ws, row, 1, sheet.message).font = NOTE_FONT
        row += 2
    for table in sheet.tables:
        header_row, last = write_table(ws, table, row, 1, lang, widths)
        ncols = max(ncols, len(table.df.columns))
        if first_header is None:
            first_header = header_row
            if len(table.df):
                ref = f"A{header_row}:{get_column_letter(len(table.df.columns))}{header_row + len(table.df)}"
                ws.auto_filter.ref = ref
        row = last + 2
    if first_header is not None:  # the header rows and the first column (who / which segment) stay in view
        ws.freeze_panes = ws.cell(row=first_header + 1, column=2)
    side = ncols + 2  # info and charts stand to the right of the table, clear of the filter buttons
    side_row = 3
    below = ncols > SIDE_BY_SIDE_COLUMNS and not sheet.info
    if sheet.info:
        for label, value, kind in sheet.info:
            write_cell(ws, side_row, side, label).font = HEADER_FONT
            write_cell(ws, side_row, side + 1, value, kind, lang)
            widths[side] = max(widths.get(side, 0), len(label) + 2)
            widths[side + 1] = max(widths.get(side + 1, 0), min(_display_width(value, kind, lang), 40) + 2)
            side_row += 1
        side_row += 1
    for chart in sheet.charts:
        if chart.png is None:
            continue
        image = Image(io.BytesIO(chart.png))
        image.width, image.height = image.width // charts.SCALE, image.height // charts.SCALE
        if below:  # under the last table, in the first column, on a page of its own when printed
            if sheet.tables:
                ws.row_breaks.append(Break(id=row - 1))
            ws.add_image(image, f"A{row}")
            row += image.height // 20 + 2
        else:
            ws.add_image(image, f"{get_column_letter(side)}{side_row}")
            side_row += image.height // 20 + 2
    for column, width in widths.items():
        ws.column_dimensions[get_column_letter(column)].width = width
    print_setup(ws, sum(widths.values()), first_header if len(sheet.tables) == 1 else None)
    return ws


def print_setup(ws, width_chars: float, header_row: int | None) -> None:
    """Printed or turned into PDF: A4 landscape, fit to the page's width, as many pages tall as needed; the first
    column (the rep, the segment, the deal) printed on every page, and the header row on every page when the sheet
    holds one table (a second table's pages would repeat the first one's header). A table too wide to read at a
    third of its size (segments: 32 columns) goes over pages across instead, each page still starting with the
    first column, so that "contribution -6 474 €" is never printed without "Bronze"."""
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    pages_across = math.ceil(width_chars / (PAGE_CHARS * MAX_SHRINK_PAGES))
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = max(1, pages_across), 0
    ws.print_title_cols = "A:A"
    if header_row:
        ws.print_title_rows = f"{header_row}:{header_row}"


def _sheet_name(name: str, taken: set[str]) -> str:
    """A valid, unique sheet name: Excel forbids []:*?/\\ and more than 31 characters."""
    clean = "".join("-" if ch in "[]:*?/\\" else ch for ch in name).strip("'")[:SHEET_NAME_MAX] or "Sheet"
    candidate, n = clean, 2
    while candidate.casefold() in {x.casefold() for x in taken}:
        suffix = f" ({n})"
        candidate = clean[: SHEET_NAME_MAX - len(suffix)] + suffix
        n += 1
    taken.add(candidate)
    return candidate


def workbook_bytes(parts: list[Part], lang: str) -> bytes:
    """The pack as xlsx bytes: the parts' sheets in order."""
    wb = Workbook()
    wb.remove(wb.active)
    taken: set[str] = set()
    for part in parts:
        for sheet in part.sheets:
            write_sheet(wb, sheet, lang, taken)
    wb.properties.creator = "Cockpit commercial"
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def build_pack(con, flt: Filter, lang: str = "fr", compare: str = "previous", charts_on: bool = True,
               sections: list[Section] | None = None) -> bytes:
    """The review pack of `flt` (the whole team, or one rep when flt.owner is set) as xlsx bytes."""
    ctx = context(con, flt, lang, compare, charts_on)
    return workbook_bytes(build_parts(con, flt, ctx, sections), lang)


def table_workbook(df: pd.DataFrame, kinds: dict[str, str], labels: dict[str, str], title: str, lang: str,
                   data_date: date | None = None) -> bytes:
    """One table as an xlsx workbook (the pages' "xlsx" download): same formats and safety as the pack."""
    info = [(t("report.data_date", lang), data_date, "date")] if data_date else []
    sheet = Sheet(title, title, [Table(df, kinds, labels)], info=info)
    return workbook_bytes([Part("table", title, [sheet])], lang)
