"""The review's "three things to discuss" as sentences: a string template filled with the item's numbers,
each formatted by its kind through ui/format.py. Shared by the review page and the CLI (no Streamlit here)."""
from __future__ import annotations

from typing import Callable

from analytics.i18n import t
from ui import format as fmt


def _value(kind: str, value, lang: str, escape: Callable[[str], str]) -> str:
    if kind == "money":
        return fmt.money(value, lang)
    if kind == "rate":
        return fmt.percent(value, lang, 0)
    if kind == "points":
        return fmt.points(value, lang, 0)
    if kind == "cover":
        return fmt.ratio(value, lang, 1)
    if kind == "count":
        return fmt.number(value, lang)
    if kind == "month":
        return fmt.month(value, lang)
    return escape(str(value)) if value is not None else fmt.DASH


def sentence(item: dict, lang: str, escape: Callable[[str], str] = str) -> str:
    """One summary item of analytics.views.reviews.summary as a sentence in `lang`; text values (deal names) go
    through `escape` (the page passes ui.state.plain, so a name is never read as markdown)."""
    values = {name: _value(item["kinds"].get(name, "text"), value, lang, escape)
              for name, value in item["values"].items()}
    return t(item["key"], lang, **values)
