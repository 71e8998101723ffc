"""The slide deck for consultants (python-pptx): the review pack's views as slides, editable in PowerPoint or
LibreOffice Impress.

A title slide (period, team or rep, data date), then one slide per view of the pack (analytics/outputs/report.py's
parts): its title, its chart as an image, its three key figures as text boxes, and the data date in the footer.
Every text is a real text box (editable); only the chart is a picture.
"""
from __future__ import annotations

import io

from pptx import Presentation
from pptx.dml.color import RGBColor
from pptx.util import Emu, Inches, Pt

from analytics.outputs import charts, report
from analytics.filters import Filter
from analytics.i18n import t

WIDE, TALL = Inches(13.333), Inches(7.5)  # 16:9
BLUE = RGBColor(0x2F, 0x6F, 0xB0)
GREY = RGBColor(0x55, 0x55, 0x55)


def _text(slide, left, top, width, height, text: str, size: int, bold: bool = False, colour=None):
    box = slide.shapes.add_textbox(left, top, width, height)
    frame = box.text_frame
    frame.word_wrap = True
    paragraph = frame.paragraphs[0]
    run = paragraph.add_run()
    run.text = text
    run.font.size = Pt(size)
    run.font.bold = bold
    if colour is not None:
        run.font.color.rgb = colour
    return box


def _scope(flt: Filter, lang: str) -> tuple[str, str]:
    if flt.start is not None and flt.end is not None:
        period = t("report.deck.range", lang, start=charts.day_text(flt.start, lang),
                   end=charts.day_text(flt.end, lang))
    else:
        period = t("report.deck.all_dates", lang)
    scope = t("report.deck.rep", lang, owner=flt.owner) if flt.owner else t("report.deck.team", lang)
    return period, scope


def _footer(slide, ctx: report.Context) -> None:
    _text(slide, Inches(0.5), TALL - Inches(0.6), Inches(8), Inches(0.4),
          t("report.data_as_of", ctx.lang, date=charts.day_text(ctx.today, ctx.lang)), 11, colour=GREY)


def _view_slide(prs, part: report.Part, ctx: report.Context) -> None:
    slide = prs.slides.add_slide(prs.slide_layouts[6])  # blank: every shape is ours
    _text(slide, Inches(0.5), Inches(0.3), Inches(12.3), Inches(0.8), part.title, 28, bold=True)
    chart_box = (Inches(0.5), Inches(1.3), Inches(8.6), Inches(5.4))
    if part.chart is not None and part.chart.png:
        picture = slide.shapes.add_picture(io.BytesIO(part.chart.png), chart_box[0], chart_box[1])
        # fit in the box, keeping the image's proportions
        scale = min(chart_box[2] / picture.width, chart_box[3] / picture.height)
        picture.width, picture.height = Emu(int(picture.width * scale)), Emu(int(picture.height * scale))
    else:
        _text(slide, *chart_box, t("report.deck.no_chart", ctx.lang), 14, colour=GREY)
    top = Inches(1.5)
    for figure in part.figures[:3]:
        _text(slide, Inches(9.4), top, Inches(3.5), Inches(0.5), figure.label, 14, colour=GREY)
        _text(slide, Inches(9.4), top + Inches(0.45), Inches(3.5), Inches(0.9),
              charts.figure_text(figure.value, figure.kind, ctx.lang), 30, bold=True, colour=BLUE)
        top += Inches(1.7)
    _footer(slide, ctx)


def deck_bytes(parts: list[report.Part], flt: Filter, ctx: report.Context) -> bytes:
    """The deck as .pptx bytes: a title slide, then one slide per part that has a chart or key figures."""
    prs = Presentation()
    prs.slide_width, prs.slide_height = WIDE, TALL
    slide = prs.slides.add_slide(prs.slide_layouts[6])
    period, scope = _scope(flt, ctx.lang)
    _text(slide, Inches(0.8), Inches(2.4), Inches(11.7), Inches(1.2), t("report.title", ctx.lang), 40, bold=True)
    _text(slide, Inches(0.8), Inches(3.7), Inches(11.7), Inches(0.8),
          t("report.deck.subtitle", ctx.lang, period=period, scope=scope), 20)
    _footer(slide, ctx)
    for part in parts:
        if part.chart is not None or part.figures:
            _view_slide(prs, part, ctx)
    buffer = io.BytesIO()
    prs.save(buffer)
    return buffer.getvalue()


def build_deck(con, flt: Filter, lang: str = "fr", compare: str = "previous",
               sections: list[report.Section] | None = None) -> bytes:
    """The deck of `flt` (whole team, or one rep when flt.owner is set), from the pack's own parts."""
    ctx = report.context(con, flt, lang, compare)
    return deck_bytes(report.build_parts(con, flt, ctx, sections), flt, ctx)
