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
