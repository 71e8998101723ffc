"""The one error type for import problems, and the warnings an import lists afterwards.

Both carry where (file, sheet, column, rows) and a message key; the page and the CLI only render them
in the user's language through `analytics.i18n`.
"""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Note:
    """A warning or information after an import (rows skipped, totals line dropped, date order assumed)."""

    key: str
    file: str = ""
    sheet: str | None = None
    column: str | None = None
    rows: list[int] = field(default_factory=list)
    params: dict = field(default_factory=dict)

    def render(self, lang: str = "fr") -> str:
        from analytics.i18n import render_problem

        return render_problem(self, lang)


class ImportProblem(Exception):
    """An import that cannot go on: says which file, sheet, column and rows, and what to do."""

    def __init__(self, key: str, file: str = "", sheet: str | None = None, column: str | None = None,
                 rows: list[int] | None = None, **params):
        self.note = Note(key, file, sheet, column, list(rows or [])[:10], params)
        super().__init__(self.render("en"))

    @property
    def key(self) -> str:
        return self.note.key

    def render(self, lang: str = "fr") -> str:
        return self.note.render(lang)
