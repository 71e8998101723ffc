"""What a page must never show in a language: a number, percent or date written the other language's way, a raw
field name as a header or a tooltip's title, a derived key as a deal's name. Used on AppTest pages
(tests/test_page_language.py) and on the text a browser shows (tests/e2e/test_languages.py)."""
from __future__ import annotations

import json
import re

# numbers written the other way: in French "1,234" / "12.5" / "12.5%"; in English "1 234" / "12,5" / "12,5 %"
OTHER_FORMAT = {
    "fr": [re.compile(r"(?<![\d.,])[1-9]\d{0,2}(,\d{3})+(?![\d,])"),         # 1,234 (English thousands)
           re.compile(r"(?<![\d.,/:])\d+\.\d{1,2}(?![\d.])\s?%?"),         # 12.5 (English decimal point)
           re.compile(r"\b\d{4}-\d{2}-\d{2}\b")],                           # 2026-12-06 (ISO date)
    "en": [re.compile(r"(?<![\d.,])\d{1,3}([\u202f\u00a0 ]\d{3})+(?![\d])"),  # 1 234 (French thousands)
           re.compile(r"(?<![\d.,])\d+,\d{1,2}(?![\d,])"),                   # 12,5 (decimal comma)
           re.compile(r"\d\u00a0%"),                                         # 12 % (French percent)
           re.compile(r"\b\d{2}/\d{2}/\d{4}\b"),                             # 06/12/2026 (French date)
           re.compile(r"\b\d{4}-\d{2}-\d{2}\b")],
}
RAW_NAMES = re.compile(r"^(value|row|label|text|count|p25_days|p75_days|median_days|.*_text|[a-z]+_[a-z_]+)$")
BOXPLOT_WORDS = re.compile(r"\b(Max|Min|Q1|Q3|Median|Mean|Sum|Count) of \w+")
DERIVED_KEY = re.compile(r"\bK-[0-9a-f]{12}\b")


def wrong_formats(text: str, lang: str) -> list[str]:
    """Pieces of `text` written as the other language writes numbers, percents or dates."""
    return [m.group(0) for pattern in OTHER_FORMAT[lang] for m in pattern.finditer(text)]


def tooltip_titles(spec: dict) -> list[tuple[str, str | None]]:
    """(field, title) of every tooltip entry of a Vega-Lite spec, layers and facets included; a tooltip given as a
    bare field name has no title (Vega shows the field's name)."""
    found = []

    def walk(node):
        if isinstance(node, dict):
            enc = node.get("encoding")
            if isinstance(enc, dict) and "tooltip" in enc:
                tips = enc["tooltip"]
                for tip in tips if isinstance(tips, list) else [tips]:
                    if isinstance(tip, dict) and "field" in tip:
                        found.append((tip["field"], tip.get("title")))
                    elif isinstance(tip, str):
                        found.append((tip, None))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(spec)
    return found


def raw_tooltips(spec: dict) -> list[str]:
    """Tooltip entries that would show a field's raw name: no title, or a title that is the field itself."""
    return [field for field, title in tooltip_titles(spec) if title is None or title == field]


def boxplots(spec: dict) -> bool:
    """True when a spec uses Vega-Lite's boxplot, whose tooltips read 'Max of value'."""
    return '"boxplot"' in json.dumps(spec)
