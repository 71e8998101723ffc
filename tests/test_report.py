"""The review pack (xlsx), its chart images and the slide deck, opened again with openpyxl, Pillow and python-pptx.

Fixture: tests/test_kpis.py's workspace on 2026-05-20, period May 2026. By hand (see that file's table):
  May:   won O1 30 000 + O2 20 000 + O4 0 = 3 deals, 50 000 €; lost O3 = 1 deal; win rate 3 / (3 + 1) = 75 %;
         quota alice 100 000 + bob 50 000 = 150 000 €; attainment 50 000 / 150 000 = 33.3 %.
  Comparison: May is in progress on the 20th, so April 1st to April 20th (same elapsed days):
         won O5 10 000 (closed 04-20) = 1 deal, no loss (O6 closed 04-25); win rate 1 / 1 = 100 %.
  Changes: won amount (50 000 - 10 000) / 10 000 = +400 %; win rate 75 - 100 = -25 pts; won deals 3 - 1 = +2.
"""
from __future__ import annotations

import io
import struct
import zipfile
from dataclasses import replace
from datetime import date, datetime

import duckdb
import openpyxl
import pandas as pd
import pytest
from PIL import Image
from pptx import Presentation

from analytics.outputs import charts, deck, report
from analytics.filters import Filter
from analytics.measures import kpis
from analytics import store
from analytics.__main__ import main as cli
from analytics.outputs.export import to_csv_bytes
from tests.test_kpis import ACTIVITIES, MAY, OPPORTUNITIES, REPS, TARGETS, TODAY, insert_opportunities, make_workspace

HYPERLINK = '=HYPERLINK("http://x","y")'
SPACED = " =1+1"


def _pack(con, flt=MAY, lang="fr", **kw) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(report.build_pack(con, flt, lang, **kw)))


@pytest.fixture(scope="module")
def con():
    return make_workspace()


@pytest.fixture(scope="module")
def pack(con):
    return _pack(con)


def _rows(ws, first_row: int) -> list[list]:
    """The rows of the table whose first data row is `first_row`, up to the first empty first cell."""
    out = []
    for row in ws.iter_rows(min_row=first_row):
        if row[0].value is None:
            break
        out.append(row)
    return out


def _summary_rows(ws) -> dict[str, tuple]:
    """KPI label -> (value cell, comparison cell, change cell)."""
    return {r[0].value: (r[1], r[2], r[3]) for r in _rows(ws, 4)}


# --- sheets ---------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("lang, names", [
    ("fr", ["Synthèse", "Projection", "Par commercial", "Alerte objectif", "Alerte affaires bloquées",
            "Alerte clôtures dépassées", "Alerte probabilités", "Entonnoir", "Segments", "Dynamique du pipeline",
            "Revue collective"]),
    ("en", ["Summary", "Projection", "Per rep", "Alert goal", "Alert stuck deals", "Alert overdue closes", "Alert probabilities",
            "Funnel", "Segments", "Pipeline changes", "Collective review"]),
])
def test_sheet_names(con, lang, names):
    assert _pack(con, lang=lang, charts_on=False).sheetnames == names


# --- summary ----------------------------------------------------------------------------------------------------

def test_summary_values_are_the_flash_kpis(con, pack):
    now = kpis.flash_kpis(con, MAY)
    before = kpis.comparison_kpis(con, MAY, "previous", TODAY)
    rows = _summary_rows(pack["Synthèse"])
    assert len(rows) == len(report.summary_kpis()) == 16  # the page's tiles
    for kpi in report.summary_kpis():
        key = kpi.key
        value, compared, _ = rows[report.t(kpi.label_key, "fr")]
        assert value.value == pytest.approx(now[key]) if now[key] is not None else value.value is None, key
        if kpi.delta != "none":
            assert compared.value == pytest.approx(before[key]) if before[key] is not None else compared.value is None


@pytest.mark.parametrize("label, value, compared, change", [
    ("Montant gagné", 50000, 10000, 4.0),  # (50 000 - 10 000) / 10 000 = +400 %
    ("Affaires gagnées", 3, 1, 2),  # 3 - 1
    ("Taux de transformation", 0.75, 1.0, -25.0),  # 75 % - 100 % = -25 pts
    ("Quota de la période", 150000, None, None),  # a "now" value: no comparison
    ("Temps passé", 2.5, 0.5, 4.0),  # 60 + 90 min in May; April 1-20: 30 min; (2.5 - 0.5) / 0.5 = +400 %
])
def test_summary_by_hand(pack, label, value, compared, change):
    cells = _summary_rows(pack["Synthèse"])[label]
    assert [c.value for c in cells] == [pytest.approx(value) if value is not None else None,
                                        pytest.approx(compared) if compared is not None else None,
                                        pytest.approx(change) if change is not None else None]


@pytest.mark.parametrize("label, value_format, change_format", [
    ("Montant gagné", '#,##0 "€";-#,##0 "€"', "+0 %;-0 %;0 %"),
    ("Affaires gagnées", "#,##0", "+#,##0;-#,##0;0"),
    ("Taux de transformation", "0.0 %", '+0.0 "pts";-0.0 "pts";0.0 "pts"'),
    ("Cycle de vente moyen", '#,##0 "j"', "+#,##0;-#,##0;0"),
    ("Temps passé", '#,##0.0 "h"', None),
    ("Couverture (période)", '0.00 "×"', None),
])
def test_summary_number_formats(pack, label, value_format, change_format):
    value, _, change = _summary_rows(pack["Synthèse"])[label]
    assert value.number_format == value_format
    if change_format:
        assert change.number_format == change_format


def test_english_money_format(con):
    ws = _pack(con, lang="en", charts_on=False)["Summary"]
    assert _summary_rows(ws)["Amount won"][0].number_format == '"€"#,##0;-"€"#,##0'


def test_summary_change_colours(pack):
    rows = _summary_rows(pack["Synthèse"])
    assert rows["Montant gagné"][2].font.color.rgb.endswith(report.GOOD)  # more won: green
    assert rows["Taux de transformation"][2].font.color.rgb.endswith(report.BAD)  # lower win rate: red
    assert rows["Temps passé"][2].font.color.type == "theme"  # more time spent: shown, uncoloured (the default)


def test_summary_states_the_data_date_and_filters(con):
    ws = _pack(con, replace(MAY, owner="alice"), charts_on=False)["Synthèse"]
    info = {ws.cell(row=r, column=6).value: ws.cell(row=r, column=7) for r in range(3, 15)}
    assert info["Données au"].value == datetime(2026, 5, 20)  # the latest snapshot, as a date cell
    assert info["Données au"].number_format == "dd/mm/yyyy"
    assert info["Période : début"].value == datetime(2026, 5, 1)
    assert info["Comparaison : fin"].value == datetime(2026, 4, 20)  # May in progress: April to the 20th
    assert info["Commercial"].value == "alice"
    assert info["Équipe"].value == "Tous"


def test_summary_header_is_frozen(pack):
    ws = pack["Synthèse"]
    assert ws["A3"].value == "Indicateur"
    assert ws.freeze_panes == "B4"  # the header row and the first column stay in view


# --- per-rep and alert sheets -----------------------------------------------------------------------------------

def test_rep_sheet_is_the_rep_table(con, pack):
    ws = pack["Par commercial"]
    expected = kpis.rep_table(con, MAY)
    rows = _rows(ws, 4)
    assert [c.value for c in ws[3]][: len(expected.columns)] == [report.t(f"flash.col.{c}", "fr")
                                                                  for c in expected.columns]
    assert len(rows) == len(expected)
    for row, (_, want) in zip(rows, expected.iterrows()):
        for cell, column in zip(row, expected.columns):
            if pd.isna(want[column]):
                assert cell.value is None
            elif isinstance(want[column], str):
                assert cell.value == want[column]
            else:
                assert cell.value == pytest.approx(float(want[column])), column


def test_rep_sheet_formats_filter_and_frozen_header(pack):
    ws = pack["Par commercial"]
    header = {c.value: c.column_letter for c in ws[3] if c.value}
    assert ws[f"{header['Gagné']}4"].number_format == '#,##0 "€";-#,##0 "€"'
    assert ws[f"{header['Atteinte']}4"].number_format == "0.0 %"
    assert ws[f"{header['Couverture, affaires de la période (×)']}4"].number_format == '0.00 "×"'
    assert ws.freeze_panes == "B4"
    assert ws.auto_filter.ref.startswith("A3:")
    # the attainment column is coloured below and at or above 100 %
    ranges = [str(r.sqref) for r in ws.conditional_formatting]
    assert any(r.startswith(header["Atteinte"]) for r in ranges)


def test_column_widths_fit_the_longest_value(pack):
    ws = pack["Par commercial"]
    assert ws.column_dimensions["A"].width >= len("Commercial") + 1
    assert ws.column_dimensions["C"].width >= len("50 000 €")


def test_overdue_alert_sheet_holds_dates_as_dates(con, pack):
    expected = kpis.overdue_deals(con, MAY, TODAY)  # O11 (31/03) and O9 (10/05): open, close date passed
    rows = _rows(pack["Alerte clôtures dépassées"], 4)
    assert [r[0].value for r in rows] == list(expected["opportunity_id"]) == ["O11", "O9"]
    close = [c for c in rows[0] if isinstance(c.value, datetime)][0]
    assert close.value == datetime(2026, 3, 31) and close.number_format == "dd/mm/yyyy"


def test_an_alert_without_its_table_says_which_sheet_to_add(pack):
    ws = pack["Alerte affaires bloquées"]  # no stage history in the fixture
    assert ws["A3"].value == "Ajoutez une feuille « Historique des étapes » pour voir ce chiffre."


def test_long_lists_are_capped_and_say_so(con):
    ctx = replace(report.context(con, MAY, charts_on=False), max_rows=1)
    parts = report.build_parts(con, MAY, ctx)
    ws = openpyxl.load_workbook(io.BytesIO(report.workbook_bytes(parts, "fr")))["Alerte clôtures dépassées"]
    assert ws["A4"].value == "O11"
    assert ws["A5"].value == "Les 1 premières lignes sur 2 ; le CSV de la page les contient toutes."


def test_one_rep_pack_holds_that_rep_only(con):
    ws = _pack(con, replace(MAY, owner="bob"), charts_on=False)["Par commercial"]
    assert [r[0].value for r in _rows(ws, 4)] == ["bob"]


# --- injection ----------------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def hostile():
    """The fixture with chloe renamed to a formula and O9's name (an overdue deal) a hyperlink formula."""
    con = make_workspace()
    con.execute("UPDATE opportunities SET owner = ? WHERE owner = 'chloe'", [SPACED])
    con.execute("UPDATE opportunities SET name = ? WHERE opportunity_id = 'O9'", [HYPERLINK])
    return con


def test_formula_like_text_is_inert_in_the_pack(hostile):
    wb = _pack(hostile, charts_on=False)
    owners = [c for c in wb["Par commercial"]["A"] if c.value == SPACED]
    names = [c for c in wb["Alerte clôtures dépassées"]["B"] if c.value == HYPERLINK]
    assert owners and names  # written exactly as typed...
    for cell in owners + names:
        assert cell.data_type == "s"  # ...as text, not as a formula
        assert cell.quotePrefix  # and marked so that editing the cell keeps it text


@pytest.mark.parametrize("text", [HYPERLINK, SPACED, "+33 1 23", "-2+3", "@SUM(A1)", "\tcmd", "  \n=1"])
def test_write_cell_keeps_formula_like_text_inert(text):
    wb = openpyxl.Workbook()
    report.write_cell(wb.active, 1, 1, text)
    buffer = io.BytesIO()
    wb.save(buffer)
    cell = openpyxl.load_workbook(buffer).active["A1"]
    assert (cell.value, cell.data_type, cell.quotePrefix) == (text, "s", True)


def test_plain_text_gets_no_quote_prefix():
    wb = openpyxl.Workbook()
    cell = report.write_cell(wb.active, 1, 1, "Acme = best")
    assert cell.data_type == "s" and not cell.quotePrefix


def test_a_rep_named_like_a_formula_is_inert_in_every_cell_of_a_rep_pack(hostile):
    """The rep's name also lands in the summary's filters and the individual review's heading."""
    wb = _pack(hostile, replace(MAY, owner=SPACED), charts_on=False)
    cells = [c for ws in wb.worksheets for row in ws.iter_rows() for c in row
             if isinstance(c.value, str) and "=1+1" in c.value]
    assert cells and all(c.data_type == "s" for c in cells)
    assert [c.value for c in cells if c.value == SPACED] and all(c.quotePrefix for c in cells if c.value == SPACED)


def test_formula_like_text_is_inert_in_the_csv(hostile):
    raw = to_csv_bytes(kpis.rep_table(hostile, MAY), "fr").decode("utf-8-sig")
    assert "\n' =1+1;" in raw


def test_table_workbook_is_inert_too():
    df = pd.DataFrame({"owner": [HYPERLINK], "won_amount": [1500.5], "close_date": [date(2026, 5, 2)]})
    ws = openpyxl.load_workbook(io.BytesIO(report.table_workbook(
        df, {"won_amount": "money", "close_date": "date"}, {"owner": "Commercial"}, "Test", "fr", TODAY))).active
    assert (ws["A4"].value, ws["A4"].data_type) == (HYPERLINK, "s")
    assert ws["B4"].value == 1500.5 and ws["B4"].number_format == '#,##0 "€";-#,##0 "€"'
    assert ws["C4"].value == datetime(2026, 5, 2)
    assert ws.freeze_panes == "B4"


# --- chart images -----------------------------------------------------------------------------------------------

def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"  # the PNG signature
    width, height = struct.unpack(">II", data[16:24])  # the IHDR chunk
    return width, height


def _chart_types(con):
    trend = kpis.won_trend(con, MAY)
    reps = kpis.rep_table(con, MAY).fillna({"quota": 0.0})
    return {
        "trend (bars and line)": charts.won_trend_chart(trend, "fr"),
        "bars": charts.bar_chart(reps, "owner", "won_amount", "Montant", "fr"),
        "grouped bars": charts.stacked_bar_chart(reps, "owner", {"won_amount": "Gagné", "quota": "Quota"},
                                                 "Montant", "fr"),
    }


@pytest.mark.parametrize("name", ["trend (bars and line)", "bars", "grouped bars"])
def test_every_chart_type_renders_a_png_of_sensible_size(con, name):
    png = charts.to_png(_chart_types(con)[name], "Titre", TODAY, "fr")
    width, height = _png_size(png)
    assert 400 <= width <= 3000 and 200 <= height <= 3000, (width, height)
    image = Image.open(io.BytesIO(png))
    image.verify()  # a whole, decodable image
    assert image.size == (width, height)


def test_a_pages_chart_with_date_columns_renders(con):
    """The flash page hands its own chart (data from kpis.won_trend, with datetime.date columns) to the PNG
    button: such inline data must render too (it failed with "unsupported type date" before)."""
    import altair as alt

    trend = kpis.won_trend(con, MAY)
    assert isinstance(trend["bucket"].iloc[0], date)
    chart = alt.Chart(trend).mark_bar().encode(x="bucket:O", y="won_amount:Q")
    width, _ = _png_size(charts.to_png(chart, "Tendance", TODAY, "fr"))
    assert width >= charts.WIDTH * charts.SCALE  # given a width of its own (the page's chart has none)
    assert charts.to_svg(chart, "Tendance", TODAY, "fr").startswith(b"<svg")


def test_svg_carries_the_title_and_the_data_date(con):
    svg = charts.to_svg(_chart_types(con)["bars"], "Gagné par commercial", TODAY, "fr").decode()
    assert svg.lstrip().startswith("<svg")
    assert "Gagné par commercial" in svg and "Données au 20/05/2026" in svg


def test_the_pack_embeds_the_chart_images(con):
    data = report.build_pack(con, MAY, "fr")
    media = [n for n in zipfile.ZipFile(io.BytesIO(data)).namelist() if n.startswith("xl/media/")]
    # the trend on the summary, projection and call per rep, won and quota per rep, the funnel, effort and revenue
    # shares per segment, attainment by month on the collective review (the alerts chart is for the deck; one
    # snapshot: no movement)
    assert len(media) == 6


# --- deck -------------------------------------------------------------------------------------------------------

def test_deck_has_a_title_slide_and_one_slide_per_view(con):
    prs = Presentation(io.BytesIO(deck.build_deck(con, MAY, "fr")))
    slides = list(prs.slides)
    # title, flash figures, projection, per rep, alerts, funnel, segments, collective review (one snapshot: no
    # movement slide)
    assert len(slides) == 8
    texts = [[s.text_frame.text for s in slide.shapes if s.has_text_frame] for slide in slides]
    assert texts[0][0] == "Dossier de revue commerciale"
    assert "Chiffres flash" in texts[1]
    assert "50\u202f000\u00a0€" in texts[1] and "75,0\u00a0%" in texts[1]  # won amount and win rate of May
    assert all("Données au 20/05/2026" in t for t in texts)
    pictures = [s for slide in slides[1:] for s in slide.shapes if s.shape_type == 13]  # 13: picture
    assert len(pictures) == 7


def test_projection_sheet_and_slide_are_the_projection(con):
    from analytics.views import projection

    expected = projection.summary(con, Filter())  # May 2026, the latest upload's month
    ws = openpyxl.load_workbook(io.BytesIO(report.build_pack(con, MAY, "en", charts_on=False)))["Projection"]
    values = {row[0].value: row[1].value for row in ws.iter_rows(min_col=1, max_col=2) if row[0].value}
    assert values["Projection (€)"] == pytest.approx(expected["central"])
    assert values["Reps' call"] == pytest.approx(expected["naive"])
    assert values["Range low (10 %)"] == pytest.approx(expected["low"])
    prs = Presentation(io.BytesIO(deck.build_deck(con, MAY, "en")))
    texts = [[s.text_frame.text for s in slide.shapes if s.has_text_frame] for slide in prs.slides]
    slide = next(t for t in texts if "Where the period will land" in t)
    assert charts.figure_text(expected["central"], "money", "en") in slide


# --- the section registry ---------------------------------------------------------------------------------------

def test_a_new_view_is_one_section_function(con):
    def extra(con, flt, ctx):
        df = pd.DataFrame({"product": ["Licence"], "won_amount": [50000.0]})
        sheet = report.Sheet("Products", "Products", [report.Table(df, {"won_amount": "money"}, {})])
        return report.Part("products", "Products", [sheet])

    sections = report.SECTIONS + [report.Section("products", extra),
                                  report.Section("absent", extra, module="analytics.no_such_view")]
    wb = openpyxl.load_workbook(io.BytesIO(report.build_pack(con, MAY, "fr", charts_on=False, sections=sections)))
    assert wb.sheetnames[-1] == "Products"  # the absent view is skipped, not an error
    assert wb["Products"]["B4"].value == 50000


# --- command line -----------------------------------------------------------------------------------------------

@pytest.fixture
def workspace_file(tmp_path):
    path = tmp_path / "w.duckdb"
    con = duckdb.connect(str(path))
    store.init_schema(con)
    insert_opportunities(con, OPPORTUNITIES)
    con.executemany("INSERT INTO reps (owner, team, region, hourly_cost) VALUES (?, ?, ?, ?)", REPS)
    con.executemany("INSERT INTO targets (owner, period, quota_amount, period_start, period_end)"
                    " VALUES (?, ?, ?, ?, ?)", TARGETS)
    con.executemany("INSERT INTO activities (activity_id, date, owner, type, segment, opportunity_id,"
                    " duration_minutes) VALUES (?, ?, ?, ?, ?, ?, ?)", ACTIVITIES)
    con.close()
    return path


def test_cli_writes_the_pack_and_the_deck(workspace_file, tmp_path, capsys):
    out, pptx = tmp_path / "pack.xlsx", tmp_path / "deck.pptx"
    code = cli(["report", "--workspace", str(workspace_file), "--start", "2026-05-01", "--end", "2026-05-31",
                "--out", str(out), "--pptx", str(pptx)])
    assert code == 0
    ws = openpyxl.load_workbook(out)["Synthèse"]
    assert _summary_rows(ws)["Montant gagné"][0].value == 50000
    assert len(Presentation(str(pptx)).slides) == 8
    assert f"Écrit : {out}" in capsys.readouterr().out


def test_cli_one_rep_in_english_defaults_to_the_data_month(workspace_file, tmp_path):
    out = tmp_path / "bob.xlsx"
    assert cli(["report", "--workspace", str(workspace_file), "--owner", "bob", "--lang", "en", "--out", str(out)]) == 0
    ws = openpyxl.load_workbook(out)["Summary"]
    info = {ws.cell(row=r, column=6).value: ws.cell(row=r, column=7).value for r in range(3, 15)}
    assert info["Rep"] == "bob"
    assert (info["Period: start"], info["Period: end"]) == (datetime(2026, 5, 1), datetime(2026, 5, 31))


@pytest.mark.parametrize("args, message", [
    (["--out", "{tmp}/pack.txt"], "must end in .xlsx or .pptx"),
    (["--out", "{tmp}/pack.xlsx", "--pptx", "{tmp}/deck.xlsx"], "must end in .xlsx or .pptx"),
    (["--out", "{tmp}/no/such/folder/pack.xlsx"], "No such folder for the output file"),
    (["--out", "{tmp}/pack.xlsx", "--start", "2026-05-31", "--end", "2026-05-01"], "is after the end date"),
    (["--out", "{tmp}/pack.xlsx", "--start", "2026-05-01"], "Give --start and --end together"),
    (["--out", "{tmp}/pack.xlsx", "--owner", "nobody"], "Unknown rep in this workspace: nobody"),
    (["--out", "{tmp}/pack.xlsx", "--segment", "Platine"], "Unknown value for --segment"),
])
def test_cli_bad_arguments_fail_with_a_clear_message(workspace_file, tmp_path, capsys, args, message):
    args = [a.format(tmp=tmp_path) for a in args]
    assert cli(["report", "--workspace", str(workspace_file), "--lang", "en", *args]) == 2
    assert message in capsys.readouterr().err
    assert not list(tmp_path.glob("pack.*"))


def test_cli_missing_workspace(tmp_path, capsys):
    assert cli(["report", "--workspace", str(tmp_path / "none"), "--lang", "en", "--out",
                str(tmp_path / "p.xlsx")]) == 2
    assert "Workspace not found" in capsys.readouterr().err
    assert not (tmp_path / "none").exists()  # a typo does not create an empty workspace


def test_cli_empty_workspace(tmp_path, capsys):
    store.init_schema(duckdb.connect(str(tmp_path / "empty.duckdb")))
    assert cli(["report", "--workspace", str(tmp_path / "empty.duckdb"), "--lang", "en", "--out",
                str(tmp_path / "p.xlsx")]) == 2
    assert "No opportunities" in capsys.readouterr().err


def test_cli_bad_date_is_refused_by_the_parser(workspace_file, tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_:
        cli(["report", "--workspace", str(workspace_file), "--start", "2026-13-01", "--end", "2026-05-31",
             "--out", str(tmp_path / "p.xlsx")])
    assert exit_.value.code == 2
    assert "not a date (YYYY-MM-DD)" in capsys.readouterr().err


# --- funnel and pipeline movement ---------------------------------------------------------------------------------

def test_funnel_sheet_is_the_funnel_pages_conversion(con, pack):
    from analytics.views import funnel

    expected = funnel.conversion(con, MAY, "closed")  # the page's default basis: deals closed in May
    rows = _rows(pack["Entonnoir"], 4)[: len(expected)]
    assert [r[0].value for r in rows] == [report.t(f"stage.{s}", "fr") for s in expected["stage"]]
    assert [r[1].value for r in rows] == list(expected["reached"])
    for row, want in zip(rows, expected["conversion_next"]):
        assert row[2].value is None if pd.isna(want) else row[2].value == pytest.approx(want)
    assert rows[0][2].number_format == "0.0 %"


def test_one_snapshot_says_that_movement_needs_two(pack):
    assert pack["Dynamique du pipeline"]["A3"].value == report.t("movement.need_two", "fr")


def test_movement_sheet_is_the_waterfall_between_the_last_two_uploads(workspace):
    """Shared fixture, S2 (13/05) -> S3 (20/05): D10 new 5 000; D12 reopened 16 000; D04 won 12 000; D14 dropped
    9 000 (tests/fixtures/workspace.py's story)."""
    from analytics.views import movement

    wb = _pack(workspace, charts_on=False)
    ws = wb["Dynamique du pipeline"]
    assert ws["A1"].value == "Du pipeline ouvert du 13/05/2026 à celui du 20/05/2026"
    steps = {r[0].value: r[1].value for r in _rows(ws, 4)}
    summary = movement.movement_summary(workspace, MAY, *movement.resolve_pair(workspace))
    assert steps["Pipeline du 13/05/2026"] == pytest.approx(float(summary["open_amount_before"]))
    assert steps["Pipeline du 20/05/2026"] == pytest.approx(float(summary["open_amount_after"]))
    assert (steps["Nouvelles"], steps["Rouvertes"], steps["Gagnées"], steps["Disparues"]) == (5000, 16000, -12000,
                                                                                                -9000)
    moved = [r[0].value for r in _rows(wb["Affaires qui ont bougé"], 4)]
    assert {"D04", "D08", "D10", "D12", "D14"} <= set(moved)


def test_waterfall_and_funnel_charts_render(workspace):
    from analytics.views import funnel, movement

    summary = movement.movement_summary(workspace, MAY, *movement.resolve_pair(workspace))
    steps = summary["waterfall"]
    for chart in (charts.waterfall_chart(steps, [s["step"] for s in steps], "fr"),
                  charts.funnel_chart(funnel.conversion(workspace, MAY, "closed"), "fr")):
        width, height = _png_size(charts.to_png(chart, "Titre", TODAY, "fr"))
        assert 400 <= width <= 3000 and 200 <= height <= 3000


# --- reviews ----------------------------------------------------------------------------------------------------

def test_collective_review_lists_the_wins_of_the_period(con, pack):
    from analytics.views import reviews

    expected = reviews.wins(con, MAY)  # May: O1 30 000, O2 20 000, O4 0, largest first
    rows = _rows(pack["Revue collective"], 5)  # title row 3, header row 4
    assert [r[0].value for r in rows] == list(expected["opportunity_id"]) == ["O1", "O2", "O4"]
    assert [r[5].value for r in rows] == [30000, 20000, 0]


def test_a_rep_pack_adds_that_reps_individual_review(con):
    wb = _pack(con, replace(MAY, owner="alice"), charts_on=False)
    assert wb.sheetnames[-2:] == ["Revue collective", "Revue individuelle"]
    ws = wb["Revue individuelle"]
    assert ws["A1"].value == "Revue individuelle : alice"
    assert ws["A3"].value == "Écarts avec l'équipe, et ce qui peut les expliquer"
    metrics = {r[0].value: r for r in _rows(ws, 5)}
    # alice's May wins: O1 30 000 + O2 20 000 = 50 000, written as money; her win rate 2 / 2 as a rate
    assert metrics["Montant gagné"][1].value == 50000
    assert metrics["Montant gagné"][1].number_format == '#,##0 "€";-#,##0 "€"'
    assert metrics["Taux de transformation"][1].number_format == "0.0 %"


def test_a_rep_deck_has_that_reps_individual_review_slide(con):
    prs = Presentation(io.BytesIO(deck.build_deck(con, replace(MAY, owner="alice"), "fr")))
    last = [s.text_frame.text for s in list(prs.slides)[-1].shapes if s.has_text_frame]
    assert last[0] == "Revue individuelle : alice"
    assert "50\u202f000\u00a0€" in last  # alice's May wins: 30 000 + 20 000
    assert "Commercial : alice" in [s.text_frame.text for s in prs.slides[0].shapes if s.has_text_frame][1]


# --- segments ---------------------------------------------------------------------------------------------------

def test_segments_sheet_is_the_segments_pages_table(con, pack):
    from analytics.views import segments

    expected = segments.segment_table(con, MAY, "segment")  # largest won amount first: Or (O1 + O2 = 50 000)
    ws = pack["Segments"]
    header = [c.value for c in ws[4]]
    assert header[:4] == ["Valeur", "Opportunités créées", "Gagnées", "CA gagné"]
    rows = _rows(ws, 5)[: len(expected)]
    assert [r[0].value for r in rows] == [v if isinstance(v, str) else "Non attribué" for v in expected["value"]]
    assert rows[0][0].value == "Or" and rows[0][3].value == 50000
    assert rows[0][3].number_format == '#,##0 "€";-#,##0 "€"'
