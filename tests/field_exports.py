"""Exports as teams really produce them, generated: Maven Analytics' CRM sample look-alike, exports whose
headers no synonym list holds, weekly exports without an id column. Nothing binary is committed.
"""
from __future__ import annotations

import random
from datetime import date, timedelta

AGENTS = ["Moses Frase", "Darcel Schlecht", "Zane Levy", "Anna Snelling", "Vicki Laflamme"]
PRODUCTS = ["GTX Basic", "GTX Pro", "MG Special", "GTX Plus Basic", "MG Advanced"]
ACCOUNTS = ["Cancity", "Hottechi", "Isdom", "Konex", "Betasoloin", "Zumgoity", "Finjob", "Rangreen", "Condax",
            "Funholding", "Treequote", "Groovestreet"]


def maven_rows(n: int = 60, seed: int = 7) -> list[list]:
    """Maven's CRM pipeline table (opportunity_id, sales_agent, product, account, deal_stage, engage_date,
    close_date, close_value): open deals have no close value, Prospecting deals no engage date either.
    Row i: stage Won when i % 4 == 0, Lost when 1, Engaging when 2, Prospecting when 3; won value 1000 + 10 i,
    lost value 0; engaged 2026-01-01 + i days, closed 30 days later."""
    rng = random.Random(seed)
    rows = [["opportunity_id", "sales_agent", "product", "account", "deal_stage", "engage_date", "close_date",
             "close_value"]]
    for i in range(n):
        oid = "".join(rng.choice("ABCDEFGHJKLMNPQRSTUVWXYZ0123456789") for _ in range(8))
        stage = ["Won", "Lost", "Engaging", "Prospecting"][i % 4]
        engaged = date(2026, 1, 1) + timedelta(days=i)
        closed = engaged + timedelta(days=30)
        value = {"Won": str(1000 + 10 * i), "Lost": "0"}.get(stage)
        rows.append([oid, AGENTS[i % 5], PRODUCTS[i % 5], ACCOUNTS[i % 12], stage,
                     None if stage == "Prospecting" else engaged.isoformat(),
                     closed.isoformat() if stage in ("Won", "Lost") else None, value])
    return rows


FR_STAGES = ["Prospection", "Qualification", "Proposition", "Négociation", "Gagnée", "Perdue"]
EN_STAGES = ["Prospecting", "Qualification", "Proposal", "Negotiation", "Closed Won", "Closed Lost"]
OWNERS = ["Alice Martin", "Bruno Petit", "Chloé Durand", "David Moreau"]
# Headers no synonym list holds: another language, a team's own codes, spreadsheet letters.
UNKNOWN_HEADERS = [
    ["Spalte A", "Spalte B", "Spalte C", "Spalte D", "Spalte E", "Spalte F", "Spalte G"],
    ["F1", "F2", "F3", "F4", "F5", "F6", "F7"],
    ["Kol_1", "Kol_2", "Kol_3", "Kol_4", "Kol_5", "Kol_6", "Kol_7"],
    ["xa", "xb", "xc", "xd", "xe", "xf", "xg"],
    ["Campo 1", "Campo 2", "Campo 3", "Campo 4", "Campo 5", "Campo 6", "Campo 7"],
    ["Veld", "Verkoper", "Fase", "Bedrag", "Begin", "Einde", "Klant"],
    ["Q", "R", "S", "T", "U", "V", "W"],
    ["col 01", "col 02", "col 03", "col 04", "col 05", "col 06", "col 07"],
    ["Kenmerk", "Persoon", "Toestand", "Waarde", "Datum 1", "Datum 2", "Firma"],
    ["a1", "b2", "c3", "d4", "e5", "f6", "g7"],
]


def unknown_header_export(k: int, n: int = 40) -> tuple[list[list], dict[str, str]]:
    """Export number k (0..9) with headers no synonym holds, its columns in an order of its own.
    Returns (rows, expected mapping header -> canonical column). French exports (even k) write dd/mm/yyyy,
    '12 500,00 €' and French stage names; English ones ISO dates, '12500.00' and English stage names.
    Deal i: created 2026-01-01 + i days, expected close 45 days later, amount 1 000 x (i + 2)."""
    rng = random.Random(100 + k)
    french = k % 2 == 0
    columns = ["opportunity_id", "owner", "stage", "amount", "created_date", "close_date", "account"]
    headers = UNKNOWN_HEADERS[k]
    order = list(range(7))
    rng.shuffle(order)
    rows = []
    for i in range(n):
        created = date(2026, 1, 1) + timedelta(days=i)
        close = created + timedelta(days=45)
        amount = 1000.0 * (i + 2)
        values = {
            "opportunity_id": f"{'AF' if french else 'OPP'}-{1000 + i * 7}",
            "owner": OWNERS[i % 4],
            "stage": (FR_STAGES if french else EN_STAGES)[i % 6],
            "amount": (f"{amount:,.2f} €".replace(",", "\u202f").replace(".", ",") if french else f"{amount:.2f}"),
            "created_date": created.strftime("%d/%m/%Y") if french else created.isoformat(),
            "close_date": close.strftime("%d/%m/%Y") if french else close.isoformat(),
            "account": ACCOUNTS[i % 12] + (" SA" if french else " Inc"),
        }
        rows.append([values[columns[j]] for j in order])
    header_row = [headers[j] for j in range(7)]
    expected = {header_row[pos]: columns[j] for pos, j in enumerate(order)}
    return [header_row, *rows], expected
