"""What a column holds, read from its values: the half of recognition that headers cannot give.

Exports come with headers no synonym list holds ("N°", "#", "Col 3", a team's own words). The values speak
anyway: a column of stage words is the stage, a short list of person names is the owner, money-like numbers are
the amount, two date columns are the creation date (the earlier on most rows) and the close date, values in 0-1 or
0-100 with a '%' are a probability, a column of unique short codes is the id. Each function here takes a sample of
a column's text cells (as read.py gives them) and returns how much the values look like each canonical column;
`mapping.match_columns` combines it with the header's own score, and the user still confirms.
Pure functions over short lists: no DuckDB, no Streamlit.
"""
from __future__ import annotations

import re
from datetime import date
from functools import lru_cache

SAMPLE = 300  # cells looked at per column

_DATE_ISO = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?$")
_DATE_DMY = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{2}|\d{4})(?: \d{1,2}:\d{2}(?::\d{2})?)?$")
_NUMBER = re.compile(r"^[-+(]?\s*(?:[€$£]\s*)?\d[\d\s\u00a0\u202f.,']*\s*(?:€|\$|£|EUR|USD|GBP|CHF)?\)?$", re.IGNORECASE)
_CURRENCY = re.compile(r"[€$£]|\b(?:EUR|USD|GBP|CHF)\b", re.IGNORECASE)
_PERCENT = re.compile(r"^\d{1,3}(?:[.,]\d+)?\s*%$")
_PERSON = re.compile(r"^[A-ZÀ-Ý][a-zà-ÿ'’\-]+(?:\s+[A-ZÀ-Ý][A-Za-zà-ÿ'’\-]*\.?){1,2}$")
_COMPANY = re.compile(r"\b(?:SA|SAS|SARL|SASU|EURL|SCI|Inc|LLC|Ltd|GmbH|Corp|Group|Groupe|AG|BV|NV|SpA|SL|Co)\b\.?$")
_ID_LIKE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_\-./#]{1,39}$")
_PROBABILITY_WORDS = ("prob", "proba", "chance", "%", "pct", "likel", "confidence", "certitude", "taux")


def parse_date(text: str) -> date | None:
    """A date from ISO or dd/mm/yyyy (mm/dd/yyyy when the first part is above 12) text; None otherwise."""
    m = _DATE_ISO.match(text)
    try:
        if m:
            return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        m = _DATE_DMY.match(text)
        if m:
            a, b, y = int(m.group(1)), int(m.group(2)), int(m.group(3))
            y += 2000 if y < 100 else 0
            day, month = a, b
            if month > 12 and day <= 12:
                day, month = month, day
            return date(y, month, day)
    except ValueError:
        return None
    return None


def _number(text: str) -> float | None:
    if not _NUMBER.match(text):
        return None
    core = re.sub(r"[^\d,.\-]", "", text)
    if "," in core and "." in core:
        core = core.replace(".", "").replace(",", ".") if core.rfind(",") > core.rfind(".") else core.replace(",", "")
    elif "," in core:
        whole, _, fraction = core.rpartition(",")
        core = core.replace(",", "") if len(fraction) == 3 and whole else core.replace(",", ".")
    try:
        return float(core)
    except ValueError:
        return None


def _share(flags) -> float:
    flags = list(flags)
    return sum(flags) / len(flags) if flags else 0.0


def content_scores(header: str, values: list[str | None], total_rows: int) -> dict[str, float]:
    """How much a column's values look like each opportunities column (0..1), from a sample of its cells.

    total_rows is the sheet's row count (the sample holds up to SAMPLE cells, nulls included)."""
    return dict(_content_scores(header, tuple(values[:SAMPLE]), total_rows))


@lru_cache(maxsize=512)
def _content_scores(header: str, values: tuple, total_rows: int) -> tuple:
    return tuple(_score_values(header, list(values), total_rows).items())


def _score_values(header: str, values: list[str | None], total_rows: int) -> dict[str, float]:
    from analytics.ingest.mapping import _stage_from_name, suggest_status  # mapping imports this module lazily too

    filled = [v for v in values[:SAMPLE] if v is not None and str(v).strip()]
    if not filled:
        return {}
    fill = len(filled) / max(len(values[:SAMPLE]), 1)
    distinct = len(set(filled))
    folded_header = header.casefold()
    out: dict[str, float] = {}

    dates = [parse_date(v) for v in filled]
    date_share = _share(d is not None for d in dates)
    if date_share >= 0.8:
        out["date"] = date_share  # the caller decides which date (created / close) by comparing columns
        return out

    percent_share = _share(bool(_PERCENT.match(v)) for v in filled)
    if percent_share >= 0.8:  # "30 %", "80%": a probability (an export's only percentages on a deal)
        out["probability"] = 0.9
        return out
    numbers = [_number(v) for v in filled]
    number_share = _share(n is not None for n in numbers)
    if number_share >= 0.8:
        nums = [n for n in numbers if n is not None]
        in_unit = _share(0 <= n <= 1 for n in nums)
        in_hundred = _share(0 <= n <= 100 for n in nums)
        probability_header = any(w in folded_header for w in _PROBABILITY_WORDS)
        if percent_share >= 0.5 or (probability_header and (in_unit == 1 or in_hundred == 1)):
            out["probability"] = 0.9 if percent_share >= 0.5 or probability_header else 0.5
            return out
        unique_share = distinct / len(filled)
        integers = _share(n is not None and float(n).is_integer() for n in numbers)
        if unique_share > 0.97 and integers == 1 and fill > 0.97 and not _CURRENCY.search(" ".join(filled[:50])):
            out["opportunity_id"] = 0.7  # "N°" 1, 2, 3...: unique whole numbers in every row
        big = _share(abs(n) >= 100 for n in nums)
        money = 0.75 if _CURRENCY.search(" ".join(filled[:50])) else 0.0
        if big >= 0.5 or money:
            out["amount"] = max(money, 0.45 + 0.3 * big)
        return out

    # Stage and status words come in short lists: a column of many distinct values is neither (and the stage
    # matcher's spelling fallback is costly, so it only sees short lists).
    stages = [_stage_from_name(v) for v in set(filled)] if distinct <= 30 else []
    stage_share = _share(conf >= 0.8 for _, conf in stages)
    status_share = _share(suggest_status(v) is not None for v in set(filled)) if distinct <= 30 else 0.0
    if distinct <= 30 and stage_share >= 0.6:
        out["stage"] = 0.6 + 0.3 * stage_share
    if distinct <= 6 and status_share >= 0.99 and stage_share < 0.99:
        out["status"] = 0.8
    if distinct <= 30 and status_share >= 0.99 and "stage" not in out:
        out["status"] = 0.85

    channels = _share(_fold_value(v) in _CHANNEL_WORDS for v in set(filled)) if distinct <= 30 else 0.0
    if channels >= 0.6 and "stage" not in out and "status" not in out:
        out["source"] = 0.6 + 0.3 * channels  # "Web", "Salon", "Recommandation": where the deal came from
        return out

    persons = _share(bool(_PERSON.match(v)) and not _COMPANY.search(v) for v in filled)
    low_cardinality = distinct <= max(3, 0.2 * len(filled)) or distinct <= 40
    if persons >= 0.8 and low_cardinality and distinct < len(filled):
        # A team has few reps: the fewer distinct names, the surer (accounts recur too, but are many more).
        out["owner"] = 0.5 + 0.3 * persons - 0.2 * distinct / len(filled)

    unique = distinct == len(filled) and fill > 0.97
    ids = _share(bool(_ID_LIKE.match(v)) and any(c.isdigit() for c in v) for v in filled)
    if unique and ids >= 0.95:
        out["opportunity_id"] = 0.8
    elif not out and persons < 0.5 and ids < 0.5:
        words = _share(len(v.split()) <= 6 for v in filled)
        if words >= 0.9 and distinct >= 2:
            # Free text of a few words, repeated: the account (companies recur); nearly unique: the deal name.
            companies = _share(bool(_COMPANY.search(v)) for v in filled)
            if _role_header(header):
                # "Prospect", "Client" over names of organisations (not people): who the deal is with, the
                # account, repeated or not (a header no synonym gives the account with certainty).
                out["account"] = 0.9
            elif distinct < 0.9 * len(filled):
                out["account"] = 0.9 if companies >= 0.5 else 0.45
            else:
                out["name"] = 0.45
    return out


# Where deals come from, as exports write it (folded: lower case, no accents, single spaces).
_CHANNEL_WORDS = {
    "web", "site web", "website", "site internet", "internet", "inbound", "outbound", "referral", "referrals",
    "recommandation", "parrainage", "bouche a oreille", "word of mouth", "partner", "partners", "partenaire",
    "partenaires", "event", "events", "evenement", "salon", "trade show", "webinar", "webinaire", "linkedin",
    "email", "e-mail", "emailing", "mailing", "cold call", "appel a froid", "prospection", "phoning", "seo",
    "sea", "adwords", "google ads", "paid search", "organic search", "social", "social media", "reseaux sociaux",
    "marketing", "sales", "ventes", "direct", "advertisement", "publicite", "campagne", "campaign", "other",
    "autre", "existing customer", "client existant", "upsell", "cross-sell", "apporteur d'affaires", "reseller",
    "revendeur", "content", "contenu", "newsletter", "chat", "chatbot", "formulaire", "form", "inbound call",
}


def _fold_value(text: str) -> str:
    import unicodedata

    folded = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode().casefold()
    return " ".join(folded.replace("_", " ").split())


# Headers naming the party a deal is with by its role; over company names they hold the account.
_ROLE_WORDS = {"prospect", "prospects", "client", "clients", "customer", "customers", "lead", "societe",
               "entreprise", "company", "organisation", "organization", "compte", "acheteur", "buyer"}


def _role_header(header: str) -> bool:
    from analytics.ingest.mapping import normalize_header

    return normalize_header(header) in _ROLE_WORDS


def creation_first(columns: dict[str, list[str | None]]) -> list[str]:
    """Date columns ordered by how often each comes first on a row (the creation date first)."""
    parsed = {h: [parse_date(v) if v else None for v in vals[:SAMPLE]] for h, vals in columns.items()}
    heads = list(parsed)
    wins = {h: 0 for h in heads}
    for i, a in enumerate(heads):
        for b in heads[i + 1:]:
            for x, y in zip(parsed[a], parsed[b]):
                if x and y and x != y:
                    wins[a if x < y else b] += 1
    return sorted(heads, key=lambda h: -wins[h])
