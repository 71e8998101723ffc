"""The review's "three things to discuss" as sentences: a string template filled with the item's numbers,
each formatted by its kind through the one formatting module. Shared by the review page and the CLI, so it lives
below both (analytics/ never imports ui/)."""
from __future__ import annotations

from typing import Callable

from analytics.i18n import t
from analytics.outputs import format as fmt


def _value(kind: str, value, lang: str, escape: Callable[[str], str], currency: str | None) -> str:
    if kind == "money":
        return fmt.money(value, lang, currency=currency)
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


def sentence(item: dict, lang: str, escape: Callable[[str], str] = str, currency: str | None = None) -> str:
    """One summary item of analytics.views.reviews.summary as a sentence in `lang`, amounts in the workspace's
    `currency`; text values (deal names) go through `escape` (the page passes ui.state.plain, so a name is never
    read as markdown)."""
    values = {name: _value(item["kinds"].get(name, "text"), value, lang, escape, currency)
              for name, value in item["values"].items()}
    return t(item["key"], lang, **values)
