"""What a page's table shows, read from an AppTest dataframe element: the text on screen (the Styler's display
values written by analytics/outputs/format.py) beside the numbers underneath (`.value`)."""
from __future__ import annotations

import pandas as pd
from streamlit import dataframe_util


def shown(element) -> pd.DataFrame:
    """The table as the reader sees it: every cell as its display text (falls back to the values when the table
    has no Styler)."""
    styler = element.proto.arrow_data.styler
    if styler.display_values:
        return dataframe_util.convert_arrow_bytes_to_pandas_df(styler.display_values)
    return element.value


def headers(element) -> dict[str, str]:
    """Column -> header label, from the table's column configuration."""
    import json

    config = json.loads(element.proto.columns or "{}")
    return {col: (conf or {}).get("label", col) for col, conf in config.items()}


def download_counts(at) -> dict[str, int]:
    """What a page offers to download: CSV and Excel buttons, PNG and SVG buttons, tables and charts on it."""
    keys = [b.key or "" for b in at.get("download_button")]
    editors = sum(1 for d in at.dataframe if d.editing_mode != "read_only")
    return {
        "csv": sum(k.endswith("_download") for k in keys), "xlsx": sum(k.endswith("_xlsx") for k in keys),
        "png": sum(k.endswith("_png") for k in keys), "svg": sum(k.endswith("_svg") for k in keys),
        "tables": len(at.dataframe) - editors, "charts": len(at.get("vega_lite_chart")),
    }


def downloads_match(at) -> bool:
    """Every table (not the editors) has its CSV and Excel buttons, every chart its PNG and SVG buttons."""
    n = download_counts(at)
    return n["csv"] == n["xlsx"] == n["tables"] and n["png"] == n["svg"] == n["charts"]
