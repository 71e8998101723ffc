"""Interface strings, French and English, in one place per language.

`t(key, lang, **params)` formats a string; a key missing in English falls back to French, then to the key.
Import problems and notes are rendered here too, so the page and the CLI say the same thing.
"""
from __future__ import annotations

LANGUAGES = ("fr", "en")

FR: dict[str, str] = {
    # where
    "where.file": "Fichier « {file} »",
    "where.sheet": "feuille « {sheet} »",
    "where.column": "colonne « {column} »",
    "where.rows": "ligne(s) {rows}",
    # import problems
    "problem.empty_file": "Le fichier est vide. Exportez de nouveau depuis votre CRM.",
    "problem.header_only": "Le fichier ne contient qu'une ligne d'en-tête, sans données.",
    "problem.not_a_table": "Ce fichier n'est ni un classeur Excel (.xlsx) ni un CSV lisible. Exportez-le en .xlsx ou .csv.",
    "problem.encrypted": "Le classeur est protégé par un mot de passe. Retirez le mot de passe dans Excel puis exportez de nouveau.",
    "problem.legacy_xls": "Ancien format Excel (.xls). Enregistrez-le en .xlsx (Fichier > Enregistrer sous) puis réessayez.",
    "problem.corrupt_xlsx": "Le classeur est endommagé et ne peut pas être lu ({detail}). Exportez-le de nouveau.",
    "problem.zip_bomb": "Le classeur se décompresse en un volume anormal ({detail}) : il est refusé par sécurité.",
    "problem.too_large": "Le fichier dépasse la taille admise ({detail}). Filtrez l'export ou découpez-le.",
    "problem.too_many_rows": "Trop de lignes ({count} ; maximum {limit}). Filtrez l'export sur une période plus courte.",
    "problem.too_many_columns": "Trop de colonnes ({count} ; maximum {limit}). Retirez les colonnes inutiles de l'export.",
    "problem.missing_columns": "Colonnes obligatoires introuvables : {columns}. Associez-les dans le tableau de correspondance.",
    "problem.bad_amount": "Montant illisible « {value} ». Corrigez la cellule (un nombre, ex. 12 500,50).",
    "problem.bad_date": "Date illisible « {value} ». Utilisez jj/mm/aaaa ou aaaa-mm-jj.",
    "problem.bad_probability": "Probabilité illisible « {value} ». Utilisez 50, 0,5 ou 50 %.",
    "problem.bad_period": "Période illisible « {value} ». Utilisez un mois (2026-03, 03/2026) ou un trimestre (T1 2026).",
    "problem.unknown_table": "Aucune table reconnue dans cette feuille. Choisissez la table à laquelle elle correspond.",
    "problem.unknown_stage": "Étape(s) sans correspondance : {stages}. Associez-les dans le tableau des étapes.",
    "problem.missing_required_value": "Valeur obligatoire manquante. Complétez la cellule ou retirez la ligne.",
    "problem.internal": "L'import a échoué ({detail}). Rien n'a été modifié dans l'espace de travail.",
    # notes
    "note.title_lines": "{count} ligne(s) de titre au-dessus de l'en-tête ignorée(s).",
    "note.totals_dropped": "Ligne de totaux retirée.",
    "note.date_order": "Dates lues au format {order} (jour et mois indiscernables ; choisi d'après la langue du fichier).",
    "note.encoding": "Encodage détecté : {encoding}.",
    "note.sheet_skipped": "Feuille ignorée : aucune table reconnue.",
    "note.rows_skipped": "{count} ligne(s) vide(s) ignorée(s).",
    "note.duplicate_ids": "{count} identifiant(s) en double : seule la dernière ligne est gardée.",
    "note.status_derived": "Statut déduit des noms d'étapes.",
    "note.snapshot_date": "Instantané daté du {date}.",
    # quality report
    "quality.missing_owner": "Opportunités sans commercial",
    "quality.missing_amount": "Opportunités sans montant",
    "quality.past_close_open": "Opportunités ouvertes dont la date de clôture est passée",
    "quality.falling_probability": "Probabilité plus basse qu'à une étape précédente",
    "quality.duplicate_ids": "Identifiants en double",
}

EN: dict[str, str] = {
    "where.file": "File “{file}”",
    "where.sheet": "sheet “{sheet}”",
    "where.column": "column “{column}”",
    "where.rows": "row(s) {rows}",
    "problem.empty_file": "The file is empty. Export it again from your CRM.",
    "problem.header_only": "The file holds a header line and no data.",
    "problem.not_a_table": "This file is neither an Excel workbook (.xlsx) nor a readable CSV. Export it as .xlsx or .csv.",
    "problem.encrypted": "The workbook is password-protected. Remove the password in Excel and export it again.",
    "problem.legacy_xls": "Old Excel format (.xls). Save it as .xlsx (File > Save as) and try again.",
    "problem.corrupt_xlsx": "The workbook is damaged and cannot be read ({detail}). Export it again.",
    "problem.zip_bomb": "The workbook unpacks to an abnormal size ({detail}): refused for safety.",
    "problem.too_large": "The file is larger than allowed ({detail}). Filter the export or split it.",
    "problem.too_many_rows": "Too many rows ({count}; at most {limit}). Filter the export on a shorter period.",
    "problem.too_many_columns": "Too many columns ({count}; at most {limit}). Remove unused columns from the export.",
    "problem.missing_columns": "Required columns not found: {columns}. Map them in the column mapping table.",
    "problem.bad_amount": "Unreadable amount “{value}”. Fix the cell (a number, e.g. 12,500.50).",
    "problem.bad_date": "Unreadable date “{value}”. Use dd/mm/yyyy or yyyy-mm-dd.",
    "problem.bad_probability": "Unreadable probability “{value}”. Use 50, 0.5 or 50 %.",
    "problem.bad_period": "Unreadable period “{value}”. Use a month (2026-03, 03/2026) or a quarter (Q1 2026).",
    "problem.unknown_table": "No known table in this sheet. Choose the table it holds.",
    "problem.unknown_stage": "Stage(s) without a mapping: {stages}. Map them in the stage table.",
    "problem.missing_required_value": "A required value is missing. Fill the cell or remove the row.",
    "problem.internal": "The import failed ({detail}). Nothing was changed in the workspace.",
    "note.title_lines": "{count} title line(s) above the header ignored.",
    "note.totals_dropped": "Totals line removed.",
    "note.date_order": "Dates read as {order} (day and month could not be told apart; chosen from the file's language).",
    "note.encoding": "Encoding detected: {encoding}.",
    "note.sheet_skipped": "Sheet skipped: no known table.",
    "note.rows_skipped": "{count} empty row(s) skipped.",
    "note.duplicate_ids": "{count} duplicate id(s): only the last row is kept.",
    "note.status_derived": "Status derived from the stage names.",
    "note.snapshot_date": "Snapshot dated {date}.",
    "quality.missing_owner": "Opportunities without an owner",
    "quality.missing_amount": "Opportunities without an amount",
    "quality.past_close_open": "Open opportunities whose close date has passed",
    "quality.falling_probability": "Probability lower than at an earlier stage",
    "quality.duplicate_ids": "Duplicate ids",
}

STRINGS = {"fr": FR, "en": EN}


def t(key: str, lang: str = "fr", **params) -> str:
    text = STRINGS.get(lang, FR).get(key) or FR.get(key) or key
    try:
        return text.format(**params)
    except (KeyError, IndexError, ValueError):
        return text


def _rows_text(rows: list[int]) -> str:
    shown = ", ".join(str(r) for r in rows[:10])
    return shown + ("…" if len(rows) > 10 else "")


def render_problem(note, lang: str = "fr") -> str:
    """'File “x.csv”, sheet “S”, column “Montant”, row(s) 4, 9: message'."""
    where = [t("where.file", lang, file=note.file)] if note.file else []
    if note.sheet:
        where.append(t("where.sheet", lang, sheet=note.sheet))
    if note.column:
        where.append(t("where.column", lang, column=note.column))
    if note.rows:
        where.append(t("where.rows", lang, rows=_rows_text(note.rows)))
    message = t(note.key, lang, **note.params)
    return (", ".join(where) + " : " if lang == "fr" else ", ".join(where) + ": ") + message if where else message
