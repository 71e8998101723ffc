"""The template workbook a team can fill in when its CRM export is not at hand.

One sheet per canonical table, French headers that the column mapping recognises at full confidence
(mapping.TEMPLATE_HEADERS), a few example rows, and a first "Lisez-moi" sheet saying which sheet is
required and what each other one unlocks. No cell starts with = + - @ (CSV/formula injection rule).
"""
from __future__ import annotations

from datetime import date, datetime
from io import BytesIO

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from analytics import schema

from analytics.ingest.mapping import TEMPLATE_HEADERS

SHEETS = {
    "opportunities": "Opportunités",
    "activities": "Activités",
    "targets": "Objectifs",
    "reps": "Commerciaux",
    "marketing_spend": "Dépenses marketing",
    "stage_history": "Historique des étapes",
}
README_SHEET = "Lisez-moi"

# What each sheet unlocks, in the words of the pages.
_UNLOCKS = {
    "opportunities": "OBLIGATOIRE. Chiffres flash, entonnoir, pipeline, revues individuelle et collective.",
    "activities": "Facultatif. Temps passé et son coût, effort par segment, cascade appels > rendez-vous > affaires.",
    "targets": "Facultatif. Atteinte des objectifs, couverture du pipeline, alertes sur les objectifs du mois.",
    "reps": "Facultatif. Équipes et managers, coût horaire (coût du temps commercial), ancienneté.",
    "marketing_spend": "Facultatif. Coût d'acquisition client et rentabilité nette par segment.",
    "stage_history": "Facultatif. Temps passé dans chaque étape, affaires bloquées, conversions exactes.",
}

_EXAMPLES: dict[str, list[tuple]] = {
    "opportunities": [
        ("OPP-1001", "Suite ERP – Groupe Vidal", "Groupe Vidal SA", "Camille Lefèvre", "Or", "Recommandation",
         "Négociation", "En cours", 64500, 0.75, date(2026, 9, 14), date(2026, 12, 18), None, 29000, None,
         "Île-de-France", "Suite ERP", "Oui"),
        ("OPP-1002", "Module CRM – Imprimerie Martin", "Imprimerie Martin SARL", "Julien Moreau", "Argent",
         "Prospection", "Proposition", "En cours", 18200, 0.5, date(2026, 10, 2), date(2026, 12, 5), None, 7300,
         None, "Hauts-de-France", "Module CRM", "Non"),
        ("OPP-1003", "Pack Cloud PME – Garage Petit", "Garage Petit EURL", "Thomas Girard", "Bronze", "Marketing",
         "Gagnée", "Gagnée", 4800, 1.0, date(2026, 8, 21), date(2026, 10, 9), date(2026, 10, 9), 1350, None,
         "Provence-Alpes-Côte d'Azur", "Pack Cloud PME", "Oui"),
        ("OPP-1004", "Formation – Brasserie Colin", "Brasserie Colin SAS", "Thomas Girard", "Bronze", "Salon",
         "Perdue", "Perdue", 3600, 0.0, date(2026, 7, 3), date(2026, 9, 30), date(2026, 9, 30), 1000, "Prix",
         "Provence-Alpes-Côte d'Azur", "Formation", "Oui"),
        ("OPP-1005", "Intégration sur mesure – Holding Aubert", "Holding Aubert SA", "Antoine Dubois", "Or",
         "Salon", "Qualification", "En cours", 52000, 0.25, date(2026, 11, 4), date(2027, 2, 26), None, 23400, None,
         "Île-de-France", "Intégration sur mesure", "Oui"),
        ("OPP-1006", "Support Premium – Optique Renaud", "Optique Renaud SARL", "Manon Faure", "Argent",
         "Prospection", "Prospection", "En cours", 14000, 0.1, date(2026, 11, 18), date(2027, 1, 29), None, 5600,
         None, "Auvergne-Rhône-Alpes", "Support Premium", "Non"),
    ],
    "activities": [
        ("ACT-0001", datetime(2026, 11, 16, 9, 30), "Julien Moreau", "Appel", "Imprimerie Martin SARL", "Argent",
         "OPP-1002", 10, "Décideur joint"),
        ("ACT-0002", datetime(2026, 11, 16, 11, 0), "Julien Moreau", "Appel", "Scierie Picard SAS", "Bronze",
         None, 5, "Messagerie"),
        ("ACT-0003", datetime(2026, 11, 17, 14, 0), "Camille Lefèvre", "Rendez-vous", "Groupe Vidal SA", "Or",
         "OPP-1001", 90, "Réalisé"),
        ("ACT-0004", datetime(2026, 11, 18, 10, 0), "Antoine Dubois", "Visio", "Holding Aubert SA", "Or",
         "OPP-1005", 45, "Réalisé"),
        ("ACT-0005", datetime(2026, 11, 19, 15, 30), "Julien Moreau", "Démo", "Imprimerie Martin SARL", "Argent",
         "OPP-1002", 75, "Réalisé"),
        ("ACT-0006", datetime(2026, 11, 20, 8, 45), "Manon Faure", "E-mail", "Optique Renaud SARL", "Argent",
         "OPP-1006", 5, "Envoyé"),
    ],
    "targets": [
        ("Camille Lefèvre", "2026-11", 90000, "Or", 60),
        ("Camille Lefèvre", "2026-12", 90000, "Or", 60),
        ("Julien Moreau", "2026-11", 12000, "Argent", 80),
        ("Julien Moreau", "2026-11", 6000, "Bronze", 120),
        ("Thomas Girard", "2026-11", 14000, "Argent", 70),
        ("Thomas Girard", "2026-11", 8000, "Bronze", 130),
    ],
    "reps": [
        ("Camille Lefèvre", "Grands comptes", "Hélène Marchand", "Île-de-France", date(2019, 9, 2), 62),
        ("Antoine Dubois", "Grands comptes", "Hélène Marchand", "Île-de-France", date(2017, 1, 9), 70),
        ("Julien Moreau", "PME Nord", "Olivier Garnier", "Hauts-de-France", date(2023, 2, 6), 45),
        ("Thomas Girard", "PME Sud", "Nathalie Perrin", "Provence-Alpes-Côte d'Azur", date(2021, 9, 13), 50),
        ("Manon Faure", "PME Sud", "Nathalie Perrin", "Auvergne-Rhône-Alpes", date(2018, 3, 5), 55),
    ],
    "marketing_spend": [
        ("2026-10", "Or", "Salon", 18000),
        ("2026-10", "Or", "Marketing", 3500),
        ("2026-10", "Argent", "Marketing", 5000),
        ("2026-10", "Bronze", "Marketing", 11000),
        ("2026-11", "Argent", "Marketing", 5200),
        ("2026-11", "Bronze", "Marketing", 10800),
    ],
    "stage_history": [
        ("OPP-1001", "Prospection", datetime(2026, 9, 14, 10, 0)),
        ("OPP-1001", "Qualification", datetime(2026, 10, 1, 15, 0)),
        ("OPP-1001", "Proposition", datetime(2026, 10, 20, 11, 0)),
        ("OPP-1001", "Négociation", datetime(2026, 11, 9, 9, 0)),
        ("OPP-1003", "Prospection", datetime(2026, 8, 21, 9, 0)),
        ("OPP-1003", "Proposition", datetime(2026, 9, 10, 14, 0)),
        ("OPP-1003", "Gagnée", datetime(2026, 10, 9, 16, 0)),
    ],
}

_README = [
    ("Modèle Cockpit commercial", None),
    ("Remplissez une feuille par type de données, ou remplacez-la par l'export de votre CRM.", None),
    ("Seule la feuille « Opportunités » est obligatoire ; les autres débloquent des pages et des "
     "indicateurs.", None),
    ("Gardez la première ligne (les en-têtes) ; effacez les lignes d'exemple avant d'importer vos données.", None),
    (None, None),
    ("Feuille", "Ce qu'elle débloque"),
    *((SHEETS[t], _UNLOCKS[t]) for t in SHEETS),
    (None, None),
    ("Conseils de saisie", None),
    ("• Dates : jj/mm/aaaa ou aaaa-mm-jj. Montants en euros, sans formule.", None),
    ("• Probabilité : 50, 0,5 ou 50 %. Dans la cible : Oui ou Non.", None),
    ("• Étapes : Prospection, Qualification, Proposition, Négociation, Gagnée, Perdue "
     "(ou les noms de votre CRM, associés une fois à l'import).", None),
    ("• Statut : En cours, Gagnée ou Perdue ; déduit de l'étape s'il manque.", None),
    ("• Segments : Or, Argent, Bronze. Sources : Marketing, Prospection, Recommandation, Salon.", None),
    ("• Période des objectifs et dépenses : un mois (2026-03) ou un trimestre (T1 2026).", None),
    ("• Types d'activité : Appel, E-mail, Rendez-vous, Visio, Démo, Autre.", None),
]

_INJECTION_START = ("=", "+", "-", "@", "\t", "\r", "\n")


def headers(table: str) -> list[str]:
    """The French headers of one sheet, in the canonical column order."""
    titles = TEMPLATE_HEADERS[table]
    return [titles[c] for c in schema.column_names(table)]


def _safe(value):
    """Text that Excel could read as a formula is prefixed with an apostrophe, so it stays text.

    None of our examples needs it; it keeps the rule true if an example is ever edited."""
    if isinstance(value, str) and value.startswith(_INJECTION_START):
        return "'" + value
    return value


def template_workbook() -> bytes:
    """The template as .xlsx bytes: "Lisez-moi" first, then one sheet per table with example rows."""
    wb = Workbook()
    readme = wb.active
    readme.title = README_SHEET
    for row in _README:
        readme.append([_safe(v) for v in row])
    readme["A1"].font = Font(bold=True, size=14)
    header_row = next(i for i, row in enumerate(_README, start=1) if row[0] == "Feuille")
    for cell in readme[header_row]:
        cell.font = Font(bold=True)
    readme.column_dimensions["A"].width = 28
    readme.column_dimensions["B"].width = 100
    bold, fill = Font(bold=True), PatternFill("solid", fgColor="DDE7F0")
    for table, title in SHEETS.items():
        ws = wb.create_sheet(title)
        ws.append(headers(table))
        for cell in ws[1]:
            cell.font, cell.fill = bold, fill
            cell.alignment = Alignment(wrap_text=True)
        for row in _EXAMPLES[table]:
            ws.append([_safe(v) for v in row])
        kinds = [c.kind for c in schema.columns(table)]
        for j, kind in enumerate(kinds, start=1):
            letter = get_column_letter(j)
            ws.column_dimensions[letter].width = 16 if kind != "text" else 24
            fmt = {"date": "DD/MM/YYYY", "timestamp": "DD/MM/YYYY HH:MM", "probability": "0%",
                   "amount": "#,##0"}.get(kind)
            if fmt:
                for cell in ws[letter][1:]:
                    cell.number_format = fmt
        ws.freeze_panes = "A2"
    out = BytesIO()
    wb.save(out)
    return out.getvalue()
