"""The deck's key figures follow each view's story (the segment that loses money, the rep furthest from quota),
not the table's first row; the pack prints its first column and header row on every page."""
from __future__ import annotations

import pandas as pd
from openpyxl import load_workbook
import io

from analytics.outputs import report


def test_the_segment_slide_is_about_the_segment_with_the_worst_contribution():
    # sorted by revenue, largest first (as segments.segment_table): Or earns most, Bronze loses money
    table = pd.DataFrame({
        "value": ["Or", "Argent", "Bronze", None],
        "won_amount": [900_000.0, 400_000.0, 60_000.0, 5_000.0],
        "contribution": [310_000.0, 42_000.0, -6_474.0, -9_000.0],   # the unattributed row is left out
        "acquisition_cost": [2_100.0, 3_300.0, 4_704.0, None],
    })
    row, why = report.worst_segment(table)
    assert (row["value"], why, row["contribution"]) == ("Bronze", "contribution", -6_474.0)


def test_without_contributions_the_segment_whose_revenue_lags_its_effort_is_told():
    # revenue share - effort share: Or +0.10, Argent -0.05, Bronze -0.15 -> Bronze
    table = pd.DataFrame({"value": ["Or", "Argent", "Bronze"], "won_amount": [5.0, 3.0, 2.0],
                          "revenue_share": [0.50, 0.30, 0.20], "effort_share": [0.40, 0.35, 0.35]})
    row, why = report.worst_segment(table)
    assert (row["value"], why) == ("Bronze", "shares")


def test_the_reps_slide_is_about_the_rep_with_the_widest_gap_to_quota():
    # gaps: alice 100 000 - 50 000 = 50 000; bob 50 000 - 12 000 = 38 000; chloe 80 000 - 10 000 = 70 000
    reps = pd.DataFrame({"owner": ["alice", "bob", "chloe"], "won_amount": [50_000.0, 12_000.0, 10_000.0],
                         "quota": [100_000.0, 50_000.0, 80_000.0], "quota_attainment": [0.5, 0.24, 0.125]})
    assert report.widest_gap_rep(reps)["owner"] == "chloe"


def test_no_quota_no_gap_story():
    reps = pd.DataFrame({"owner": ["alice"], "won_amount": [1.0], "quota": [None], "quota_attainment": [None]})
    assert report.widest_gap_rep(reps) is None


def _sheet(columns: int):
    df = pd.DataFrame({f"c{i}": [1.0, 2.0] for i in range(columns)}).assign(c0=["Bronze", "Or"])
    # headers of 28 characters or more: a column 30 characters wide
    labels = {f"c{i}": f"Coût d'acquisition du client {i}" for i in range(columns)}
    data = report.table_workbook(df, {f"c{i}": "money" for i in range(1, columns)}, labels, "t", "fr")
    return load_workbook(io.BytesIO(data))["t"]


def test_a_printed_sheet_repeats_its_first_column_and_header_row():
    ws = _sheet(3)  # 3 x 30 = 90 characters: one page wide
    assert ws.print_title_cols == "$A:$A"
    assert ws.print_title_rows == "$3:$3"  # the table's header (title on row 1)
    assert ws.page_setup.fitToWidth == 1 and ws.page_setup.fitToHeight == 0  # one page wide


def test_a_very_wide_sheet_pages_across_each_page_starting_with_the_first_column():
    # 40 columns x 30 characters = 1 200 characters: more than two A4 pages' worth (2 x 260) at half size
    ws = _sheet(40)
    assert int(ws.page_setup.fitToWidth) == 3  # ceil(1 200 / 520)
    assert ws.print_title_cols == "$A:$A"
