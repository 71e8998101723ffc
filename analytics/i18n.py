"""Interface strings, French and English, in one place per language.

`t(key, lang, **params)` formats a string; a key missing in English falls back to French, then to the key.
Import problems and notes are rendered here too, so the page and the CLI say the same thing.
"""
from __future__ import annotations

from analytics.strings_en import EN
from analytics.strings_fr import FR

LANGUAGES = ("fr", "en")

STRINGS = {"fr": FR, "en": EN}


def t(key: str, lang: str = "fr", **params) -> str:
    text = STRINGS.get(lang, FR).get(key) or FR.get(key) or key
    try:
        return text.format(**params)
    except (KeyError, IndexError, ValueError):
        return text


def field_label(field: str, lang: str = "fr") -> str:
    """'opportunities.created_date' -> "Date de création" / "Created date": a field in the user's words."""
    table, _, column = field.partition(".")
    return t(f"field.{table}.{column}", lang) if f"field.{table}.{column}" in STRINGS["fr"] else column


def _rows_text(rows: list[int]) -> str:
    shown = ", ".join(str(r) for r in rows[:10])
    return shown + ("…" if len(rows) > 10 else "")


COUNT_PARAMS = {"count", "total", "rows", "shown", "skipped", "dropped", "duplicates"}


def _param_text(key: str, value, lang: str):
    """A message's date or count written as the language writes it ('Instantané daté du 04/12/2026', '4 437
    lignes'); other parameters as they are."""
    from datetime import date

    from analytics.outputs import format as fmt

    if isinstance(value, str) and len(value) == 10 and value[4] == "-" and value[7] == "-":
        try:  # an ISO date carried as text (notes are kept as JSON)
            value = date.fromisoformat(value)
        except ValueError:
            return value
    if isinstance(value, date):
        return fmt.day(value, lang)
    if isinstance(value, (int, float)) and not isinstance(value, bool) and (key in COUNT_PARAMS
                                                                            or key.endswith("_count")):
        return fmt.number(value, lang)
    return value


def render_problem(note, lang: str = "fr") -> str:
    """'File “x.csv”, sheet “S”, column “Montant”, row(s) 4, 9: message'."""
    where = [t("where.file", lang, file=note.file)] if note.file else []
    if note.sheet:
        where.append(t("where.sheet", lang, sheet=note.sheet))
    if note.column:
        where.append(t("where.column", lang, column=note.column))
    if note.rows:
        where.append(t("where.rows", lang, rows=_rows_text(note.rows)))
    params = {k: _param_text(k, v, lang) for k, v in note.params.items()}
    if isinstance(params.get("fields"), list):  # canonical fields, named in the user's language
        params["columns"] = ", ".join(field_label(f, lang) for f in params["fields"])
    message = t(note.key, lang, **params)
    return (", ".join(where) + " : " if lang == "fr" else ", ".join(where) + ": ") + message if where else message
