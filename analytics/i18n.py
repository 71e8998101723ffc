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
    # app and import page
    "app.title": "Cockpit commercial",
    "nav.import": "Import",
    "nav.flash": "Chiffres flash",
    "app.language": "Langue",
    "app.workspace": "Espace de travail",
    "app.workspace_help": "Un espace par client : les données d'un espace ne sont jamais visibles depuis un autre.",
    "app.new_workspace": "Nouvel espace",
    "app.create_workspace": "Créer",
    "app.loading_demo": "Chargement de l'entreprise de démonstration…",
    "import.title": "Importer un export CRM",
    "import.intro": "Déposez l'export de votre CRM (xlsx ou csv). Les colonnes sont reconnues automatiquement ; vérifiez la correspondance puis importez. Le même format la semaine prochaine s'importe en un clic.",
    "import.upload": "Fichiers à importer (xlsx, csv)",
    "import.demo_button": "Charger l'entreprise de démonstration",
    "import.demo_done": "Entreprise de démonstration chargée dans l'espace « demo ».",
    "import.template_button": "Télécharger le modèle Excel",
    "import.sheet_table": "Table",
    "import.ignore": "— ignorer —",
    "import.saved_mapping": "Correspondance enregistrée reconnue : import en un clic.",
    "import.auto_mapping": "Correspondance automatique : vérifiez les colonnes peu sûres.",
    "import.col_header": "Colonne du fichier",
    "import.col_target": "Champ Cockpit",
    "import.col_confidence": "Confiance",
    "import.col_sample": "Exemple",
    "import.preview": "Aperçu (20 premières lignes)",
    "import.stages_title": "Étapes du CRM",
    "import.stage_crm": "Étape du CRM",
    "import.stage_count": "Opportunités",
    "import.stage_target": "Étape Cockpit",
    "import.stage_status": "Statut",
    "import.snapshot_date": "Date de l'instantané (date de l'export)",
    "import.run": "Importer",
    "import.running": "Import en cours…",
    "import.success": "Import terminé : {counts}.",
    "import.notes": "Remarques sur l'import",
    "import.quality": "Qualité des données",
    "import.quality_check": "Contrôle",
    "import.quality_count": "Nombre",
    "import.quality_examples": "Exemples (ID)",
    "import.workspace_content": "Contenu de l'espace « {name} »",
    "import.table": "Table",
    "import.rows": "Lignes",
    "import.snapshots": "Instantanés : {count} (dernier : {last})",
    "import.nothing_to_import": "Aucune feuille à importer : choisissez une table pour au moins une feuille.",
    "import.rows_columns": "{rows} lignes, {cols} colonnes",
    "table.opportunities": "Opportunités",
    "table.activities": "Activités",
    "table.targets": "Objectifs",
    "table.reps": "Commerciaux",
    "table.marketing_spend": "Dépenses marketing",
    "table.stage_history": "Historique des étapes",
    "stage.lead": "Prospect",
    "stage.qualification": "Qualification",
    "stage.proposal": "Proposition",
    "stage.negotiation": "Négociation",
    "stage.won": "Gagnée",
    "stage.lost": "Perdue",
    "status.open": "Ouverte",
    "status.won": "Gagnée",
    "status.lost": "Perdue",
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
    # app and import page
    "app.title": "Cockpit commercial",
    "nav.import": "Import",
    "nav.flash": "Flash figures",
    "app.language": "Language",
    "app.workspace": "Workspace",
    "app.workspace_help": "One workspace per client: no workspace ever shows another's data.",
    "app.new_workspace": "New workspace",
    "app.create_workspace": "Create",
    "app.loading_demo": "Loading the demo company…",
    "import.title": "Import a CRM export",
    "import.intro": "Drop your CRM export (xlsx or csv). Columns are recognised automatically; check the mapping, then import. Next week's file of the same shape imports in one click.",
    "import.upload": "Files to import (xlsx, csv)",
    "import.demo_button": "Load the demo company",
    "import.demo_done": "Demo company loaded in the “demo” workspace.",
    "import.template_button": "Download the Excel template",
    "import.sheet_table": "Table",
    "import.ignore": "— ignore —",
    "import.saved_mapping": "Saved mapping recognised: one-click import.",
    "import.auto_mapping": "Automatic mapping: check the columns with low confidence.",
    "import.col_header": "File column",
    "import.col_target": "Cockpit field",
    "import.col_confidence": "Confidence",
    "import.col_sample": "Example",
    "import.preview": "Preview (first 20 rows)",
    "import.stages_title": "CRM stages",
    "import.stage_crm": "CRM stage",
    "import.stage_count": "Opportunities",
    "import.stage_target": "Cockpit stage",
    "import.stage_status": "Status",
    "import.snapshot_date": "Snapshot date (export date)",
    "import.run": "Import",
    "import.running": "Importing…",
    "import.success": "Import done: {counts}.",
    "import.notes": "Import notes",
    "import.quality": "Data quality",
    "import.quality_check": "Check",
    "import.quality_count": "Count",
    "import.quality_examples": "Examples (ids)",
    "import.workspace_content": "Content of workspace “{name}”",
    "import.table": "Table",
    "import.rows": "Rows",
    "import.snapshots": "Snapshots: {count} (latest: {last})",
    "import.nothing_to_import": "Nothing to import: choose a table for at least one sheet.",
    "import.rows_columns": "{rows} rows, {cols} columns",
    "table.opportunities": "Opportunities",
    "table.activities": "Activities",
    "table.targets": "Targets",
    "table.reps": "Reps",
    "table.marketing_spend": "Marketing spend",
    "table.stage_history": "Stage history",
    "stage.lead": "Lead",
    "stage.qualification": "Qualification",
    "stage.proposal": "Proposal",
    "stage.negotiation": "Negotiation",
    "stage.won": "Won",
    "stage.lost": "Lost",
    "status.open": "Open",
    "status.won": "Won",
    "status.lost": "Lost",
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
