"""Headers -> canonical columns, CRM stage/status/activity words -> the data model's values.

Why: the sales manager drops the export of whatever CRM the team uses (Salesforce, HubSpot, Pipedrive, Zoho, Odoo,
Dynamics 365, Koban, Sellsy, Axonaut, noCRM...), in French or in English. Each function here is pure (text in,
suggestion out) and says how sure it is, so that the Import page accepts the sure suggestions and asks about the rest.

How a header is scored against a canonical column (the best of):
- 1.0 x the synonym's own weight: the normalized header is a known synonym (`SYNONYMS`);
- 0.9 x weight: equal once little words (de, du, la, of, the...) are dropped ("Date de la clôture");
- 0.65..0.85 x weight: the header contains a known synonym, more when it covers more of the header
  ("Montant total" -> amount);
- 0.75 x difflib ratio x weight: a near spelling ("Montnat").
A synonym written "phrase@0.8" has weight 0.8: right when nothing better is in the file (Odoo's "Expected Revenue" is
its amount, but Salesforce's is amount x probability, so a real "Amount" column must win). A synonym mapped to None
(`IGNORED`) is a column we know and deliberately leave alone ("Type" of an opportunity is not an activity type).
"""
from __future__ import annotations

import collections
import difflib
import hashlib
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from analytics.schema import STAGE_BY_KEY, TABLES

MIN_CONFIDENCE = 0.55  # below this a header is not given a column at all

# --- header normalization ------------------------------------------------------------------------------------------

_LIGATURES = str.maketrans({"œ": "oe", "Œ": "OE", "æ": "ae", "Æ": "AE", "ß": "ss", "’": "'", "‘": "'"})
# Units and currencies written after the word ("Montant EUR", "Durée minutes", "Montant en euros").
_UNITS = {"eur", "euro", "euros", "usd", "gbp", "chf", "cad", "k", "keur", "kusd", "pct", "percent", "pourcent",
          "min", "mins", "mn", "minute", "minutes", "hrs"}
_STOPWORDS = {"de", "du", "des", "d", "la", "le", "les", "l", "of", "the"}


def _fold(text: object) -> str:
    """Lowercase, accents stripped (NFKD), ligatures spelled out."""
    s = unicodedata.normalize("NFKD", str(text if text is not None else "").translate(_LIGATURES))
    return "".join(c for c in s if not unicodedata.combining(c)).lower()


def _split_camel(text: str) -> str:
    # API names (StageName, CloseDate, AccountId) read as words; only for a single word, so "ID de fiche" stays.
    if " " in text.strip():
        return text
    return re.sub(r"(?<=[a-z])(?=[A-Z])", " ", text)


def normalize_header(text: str) -> str:
    """A header reduced to comparable words: lowercase, no accents, no bracketed or trailing unit/currency,
    punctuation, '_' and '-' as spaces, spaces collapsed ("Montant HT (EUR)" -> "montant ht")."""
    s = _fold(_split_camel(str(text if text is not None else "")))
    s = re.sub(r"\([^)]*\)|\[[^\]]*\]", " ", s)  # (EUR), (%), (min), [Primary]...
    s = re.sub(r"[^a-z0-9]+", " ", s)  # punctuation, currency signs, %, _ and -
    words = s.split()
    while len(words) > 1 and words[-1] in _UNITS:
        words.pop()
        if len(words) > 1 and words[-1] in ("en", "in"):  # "montant en euros", "amount in eur"
            words.pop()
    return " ".join(words)


def _compact(norm: str) -> str:
    return " ".join(w for w in norm.split() if w not in _STOPWORDS)


def _norm_value(text: object) -> str:
    """A cell value (stage, status, activity type) as comparable words; units are not stripped here."""
    s = re.sub(r"\([^)]*\)|\[[^\]]*\]", " ", _fold(text))
    return " ".join(re.sub(r"[^a-z0-9]+", " ", s).split())


# --- synonyms ------------------------------------------------------------------------------------------------------
# "|" separates synonyms; "@w" gives a synonym the weight w. Written as the CRMs write them; normalized at load.

_OWNER = ("owner | proprietaire | commercial | commerciale | vendeur | vendeuse | salesperson | sales person | "
          "sales rep | sales representative | representant | representant commercial | rep | collaborateur | "
          "utilisateur | user | assigned to | assigne a | attribue a | affecte a | charge d'affaires | "
          "charge de compte | account manager | account executive | owner name | owner full name | nom du commercial | "
          "commercial responsable | suivi par | hubspot owner | owner id | ownerid | sales agent | agent@0.9 | "
          "agent commercial")
_ACCOUNT = ("account | account name | compte | nom du compte | client | customer | nom du client | customer name | "
            "company | company name | societe | nom de la societe | entreprise | nom de l'entreprise | organization | "
            "organisation | organization name | organization - name | organisation - nom | nom de l'organisation | "
            "tiers | potential customer | client potentiel | associated company | entreprise associee | "
            "raison sociale | partner | partenaire | account.name | accountname | account id@0.9")
_SEGMENT = ("segment | segment client | customer segment | segmentation | categorie client | customer category | "
            "account tier | tier@0.8 | type de client@0.8 | customer type@0.8 | client category")
_REGION = "region | territory | territoire | zone | zone geographique | secteur geographique | secteur@0.8 | pays@0.7"
_OPP_WORD_ID = "opportunity id | id opportunite | id de l'opportunite | id d'opportunite | deal id | id affaire"

SYNONYMS: dict[str, dict[str | None, str]] = {
    "opportunities": {
        "opportunity_id": (
            "opportunity id | opportunity_id | opportunityid | id opportunite | id de l'opportunite | "
            "id d'opportunite | identifiant opportunite | identifiant de l'opportunite | numero opportunite | "
            "numero d'opportunite | n opportunite | no opportunite | record id | id de fiche d'informations | "
            "id de la fiche d'informations | id | deal id | id deal | id affaire | id de l'affaire | affaire id | "
            "numero affaire | numero d'affaire | transaction id | id transaction | id de la transaction | "
            "hs object id | reference@0.9 | ref@0.9 | reference affaire | code affaire | code@0.85 | "
            "record id deal | lead id@0.9 | id piste@0.9 | n@0.85 | no@0.8 | num@0.85 | numero@0.85 | "
            "n affaire | numero de l'affaire@0.95 | ref affaire"),
        "name": (
            "name | nom | opportunity name | nom de l'opportunite | nom opportunite | deal name | dealname | "
            "nom de la transaction | nom de l'affaire | nom affaire | title | titre | deal title | titre de l'affaire | "
            "topic | sujet | subject@0.9 | opportunity@0.95 | opportunite@0.95 | affaire | piste | lead | "
            "intitule | libelle | objet | deal | transaction | projet@0.9 | project@0.9 | opportunity title | "
            "nom de la piste | lead name | lead title | titre de la piste"),
        "account": _ACCOUNT,
        "owner": (_OWNER + " | responsable | opportunity owner | proprietaire de l'opportunite | deal owner | "
                  "proprietaire de la transaction | proprietaire de l'affaire | hubspot owner id | "
                  "proprietaire de la piste | lead owner@0.9 | responsable de l'affaire"),
        "segment": _SEGMENT,
        "source": (
            "source | lead source | leadsource | origine | origine de la piste | origin | canal | channel | "
            "source de la piste | source du lead | source du prospect | source de l'opportunite | "
            "source de la transaction | source de l'affaire | origine de l'affaire | original source | "
            "source d'origine | canal d'acquisition | acquisition channel | provenance | deal source | "
            "opportunity source | lead channel | canal du lead | canal de la piste | canal du prospect | "
            "deal channel | source channel | canal source | lead origin | origine du lead | canal d'origine | "
            "traffic source | source de trafic | utm source | marketing channel | canal marketing"),
        "stage": (
            "stage | etape | deal stage | dealstage | phase de la transaction | phase | pipeline phase | "
            "phase du pipeline | stage name | stagename | etape de vente | sales stage | phase de vente | "
            "etape du pipeline | pipeline stage | opportunity stage | etape de l'opportunite | etape de l'affaire | "
            "etape de la transaction | phase de l'affaire | step"),
        "status": (
            "status | statut | state | etat | deal status | statut de l'affaire | statut de la transaction | "
            "opportunity status | statut de l'opportunite | won lost | gagne perdu | statut de la piste"),
        "amount": (
            "amount | montant | montant ht | value | valeur | deal value | deal amount | montant de la transaction | "
            "montant de l'affaire | montant de l'opportunite | opportunity amount | revenue@0.9 | "
            "chiffre d'affaires@0.9 | ca@0.9 | ca ht@0.9 | montant total | montant total ht | total ht@0.9 | "
            "montant hors taxes | revenu espere | expected revenue@0.8 | est revenue | est. revenue | "
            "estimated revenue | revenu estime | amount in company currency@0.95 | "
            "montant dans la devise de l'entreprise@0.95 | actual revenue@0.85 | revenu reel@0.85 | "
            "montant potentiel | potential amount | valeur de l'affaire | valeur de la transaction | "
            "montant estime | budget@0.7 | prix@0.7 | price@0.7 | total@0.7 | close value@0.9 | valeur conclue@0.9"),
        "probability": (
            "probability | probabilite | deal probability | probabilite de la transaction | hs deal stage probability | "
            "deal stage probability | probabilite de la phase de transaction | win probability | "
            "probabilite de gain | probabilite de succes | probabilite de conclusion | closing probability | "
            "probabilite de closing | forecast probability | chance de succes | chances | pourcentage@0.7 | proba | "
            "taux de reussite@0.8"),
        "created_date": (
            "created date | date de creation | create date | createdate | created | created on | cree le | creee le | "
            "creation date | created time | heure de creation | deal created | affaire creee | deal created on | "
            "created at | createddate | date d'ouverture | opening date | add time | date d'ajout | ajoute le | "
            "date de creation de la transaction | date de creation de l'opportunite | date de creation de l'affaire | "
            "date creation | creation | engage date | engaged on | engagement date | date d'engagement@0.9"),
        "close_date": (
            "close date | closedate | date de cloture | closing date | expected close date | expected close | "
            "date de cloture prevue | cloture prevue | expected closing | expected closing date | est close date | "
            "est. close date | estimated close date | date de cloture estimee | date de fermeture | "
            "date de fermeture prevue | date de signature prevue | date d'echeance | "
            "echeance | due date@0.8 | date previsionnelle | date de cloture previsionnelle | "
            "date previsionnelle de signature | date de conclusion@0.9"),
        # When the deal was actually won or lost, where the export gives it apart from the expected close date.
        "closed_date": (
            "closed date | closed on | deal closed on | affaire fermee le | fermee le | close time@0.9 | "
            "actual close date | date de cloture reelle | won time | date de gain | lost time | date de perte | "
            "closed at | date de signature ou de perte | date de signature | date de signature effective | signe le | gagnee le | "
            "perdue le | won date | lost date | date de fermeture reelle"),
        "margin": (
            "margin | marge | marge brute | gross margin | margin amount | montant de la marge | marge ht | "
            "marge commerciale | marge previsionnelle | profit@0.8 | gross profit@0.9"),
        "lost_reason": (
            "lost reason | raison de la perte | reason for loss | loss reason | closed lost reason | motif de perte | "
            "motif de la perte | raison | raison de perte | motif@0.9 | cause de perte | cause de la perte | "
            "lost reason description@0.9 | motif d'echec | raison de l'echec | raison de la perte de la transaction | "
            "reason lost | why lost"),
        "region": _REGION,
        "product": ("product | produit | produits | products | product name | nom du produit | gamme | product line | "
                    "ligne de produit | ligne de produits | solution@0.8 | offre commerciale@0.8"),
        "in_target": (
            "in target | in_target | dans la cible | cible@0.8 | cible oui non | cible o n | icp | "
            "ideal customer profile | dans l'icp | in icp | targeted | target account | compte cible | "
            "client cible"),
        # Kept beside the amount: amounts in another currency than the workspace's are converted, never summed.
        "currency": ("currency | devise | amount currency | deal currency | opportunity currency | currency code | "
                     "code devise | monnaie | currency iso code | devise de l'affaire"),
        None: (
            "type | deal type | type d'affaire | type de transaction | opportunity type | type d'opportunite | "
            "pipeline | "
            "weighted amount | montant pondere | weighted value | valeur ponderee | weighted revenue | "
            "revenu pondere | forecast amount | created by | cree par | last modified by | modified by | "
            "modifie par | last modified date | last modified | date de derniere modification | modifie le | "
            "modified on | update time | derniere mise a jour | last activity | last activity date | "
            "date de la derniere activite | next activity date | date de la prochaine activite | next step | "
            "prochaine etape | fiscal period | periode fiscale | fiscal quarter | age | stage duration | "
            "days in stage | jours dans l'etape | time in stage | last stage change | "
            "derniere modification de l'etape | sales team | equipe commerciale | equipe | team | etiquettes | "
            "tags | labels | label | status reason | raison du statut | row checksum | description | notes | note | "
            "contact | contact person | personne de contact | email | e-mail | phone | telephone | "
            "type de compte | account type | owner role | forecast category | categorie de prevision | "
            "medium | moyen | campaign | campagne | priority | priorite"),
    },
    "activities": {
        "activity_id": (
            "activity id | activity_id | id activite | id de l'activite | identifiant activite | id | record id | "
            "task id | event id | id tache | id de la tache | id evenement | numero activite"),
        "date": (
            "date | activity date | activitydate | date de l'activite | date activite | date d'activite | "
            "due date@0.9 | date d'echeance@0.9 | echeance@0.85 | start date@0.85 | date de debut@0.85 | "
            "start@0.8 | debut@0.8 | date et heure | date heure | datetime | timestamp | date time | "
            "completed date@0.9 | date de realisation@0.9 | done time@0.9 | marked as done time@0.9 | "
            "meeting date | date du rendez-vous | call date | date de l'appel | date du rdv | "
            "created date@0.7 | date de creation@0.7 | created on@0.7 | cree le@0.7"),
        "owner": _OWNER + " | responsable | assigned to user | assigne a l'utilisateur | utilisateur assigne | assigned",
        "type": (
            "type | activity type | type d'activite | type activite | task type | event type | type de tache | "
            "type d'action | action@0.8 | nature@0.8 | task subtype | type d'interaction | interaction type | "
            "type de l'activite | canal de contact@0.8 | categorie@0.7 | type d'evenement"),
        "account": _ACCOUNT,
        "segment": _SEGMENT,
        "opportunity_id": (
            _OPP_WORD_ID + " | opportunity_id | opportunite liee | linked opportunity | related opportunity | "
            "opportunity@0.9 | opportunite@0.9 | affaire@0.9 | deal@0.9 | related to@0.8 | lie a@0.8 | "
            "associated deal | transaction associee | related deal | opportunite associee | affaire liee | "
            "affaire associee | regarding@0.8 | concernant@0.8 | transaction@0.85 | id de la transaction | "
            "what id@0.8 | opportunity name@0.85 | nom de l'opportunite@0.85"),
        "duration_minutes": (
            "duration | duree | duration minutes | call duration | duree de l'appel | temps passe | time spent | "
            "length | meeting duration | duree du rendez-vous | duree du rdv | minutes | temps"),
        "outcome": (
            "outcome | resultat | result | call outcome | resultat de l'appel | issue@0.8 | disposition | "
            "compte rendu@0.7 | conclusion@0.8 | meeting outcome | resultat du rendez-vous"),
        None: ("sujet | subject | objet | note | notes | description | done | fait | termine | priority | priorite | "
               "created by | cree par | status@0.8 | statut@0.8 | commentaire | comments | title | titre"),
    },
    "targets": {
        "owner": _OWNER + " | nom@0.8 | name@0.8 | rep name",
        "period": (
            "period | periode | mois | month | trimestre | quarter | annee@0.8 | year@0.8 | date@0.7 | "
            "exercice@0.8 | fiscal period | periode fiscale | fiscal quarter | trimestre fiscal | mois annee | "
            "periode de l'objectif | target period | quota period"),
        "quota_amount": (
            "quota | objectif | objectif ca | objectif de ca | objectif chiffre d'affaires | "
            "objectif de chiffre d'affaires | target | target amount | sales target | revenue target | quota amount | "
            "quota_amount | montant objectif | objectif de vente | objectif de ventes | objectif commercial | "
            "objectif montant | goal | sales goal | revenue goal | objectif mensuel | objectif trimestriel | "
            "quota de vente | sales quota | montant@0.8 | amount@0.8 | ca cible | ca objectif"),
        "segment": _SEGMENT,
        "planned_activities": (
            "activites prevues | planned activities | planned_activities | activity target | "
            "objectif d'activites | objectif activites | nombre d'activites prevues | activities planned | "
            "activity goal | activity quota | objectif d'activite | activites planifiees | rdv prevus@0.8 | "
            "planned meetings@0.8 | rendez-vous prevus@0.8"),
    },
    "reps": {
        "owner": ("commercial | commerciale | owner | nom | name | rep | rep name | nom du commercial | vendeur | "
                  "vendeuse | salesperson | sales person | sales rep | sales representative | collaborateur | "
                  "utilisateur | user | employe | employee | salarie | full name | nom complet | prenom nom | "
                  "representant | account executive | user name | nom d'utilisateur"),
        "team": ("team | equipe | equipe commerciale | sales team | service | departement@0.9 | department@0.9 | "
                 "business unit | bu | division@0.9 | groupe@0.8 | group@0.8"),
        "manager": ("manager | responsable | n+1 | n 1 | superieur | superieur hierarchique | reports to | "
                    "line manager | chef d'equipe | team lead | team leader | manager name | sales manager | "
                    "directeur commercial@0.8 | responsable hierarchique"),
        "region": _REGION,
        "hire_date": ("hire date | date d'embauche | date embauche | date d'entree | embauche | joined | "
                      "date d'arrivee | arrival date | hired on | date of hire | start date@0.8 | "
                      "date de debut@0.8 | entree le | embauche le"),
        "hourly_cost": ("hourly cost | cout horaire | cout heure | cout de l'heure | taux horaire | hourly rate | "
                        "cost per hour | cout par heure | cout horaire charge | loaded hourly cost | "
                        "cout horaire moyen"),
    },
    "marketing_spend": {
        "period": ("period | periode | mois | month | trimestre | quarter | date@0.8 | annee@0.8 | year@0.8 | "
                   "mois annee | semaine@0.6"),
        "segment": _SEGMENT,
        "source": ("source | canal | channel | campagne@0.7 | campaign@0.7 | origine | lead source | canal marketing | "
                   "marketing channel | levier | media@0.8 | canal d'acquisition | acquisition channel"),
        "amount": ("montant | amount | depense | depenses | spend | cost | cout | budget | budget marketing | "
                   "marketing spend | depense marketing | depenses marketing | investissement | investment | "
                   "total spend | cout total | montant depense | spent | montant ht | amount spent"),
    },
    "stage_history": {
        "opportunity_id": (
            "opportunity id | opportunity_id | opportunityid | id opportunite | id de l'opportunite | "
            "id d'opportunite | deal id | id affaire | id de l'affaire | id | record id | id transaction | "
            "id de la transaction | opportunity@0.8 | opportunite@0.8 | affaire@0.8 | deal@0.8"),
        "stage": ("stage | etape | new stage | nouvelle etape | to stage | etape d'arrivee | stage name | stagename | "
                  "phase | deal stage | etape atteinte | new value@0.7 | nouvelle valeur@0.7 | "
                  "phase de la transaction | pipeline phase | phase du pipeline"),
        "entered_at": (
            "entered at | entered_at | date d'entree | date de changement | changed at | change date | "
            "date du changement | date@0.8 | entered on | entered | date d'entree dans l'etape | entered stage date | "
            "date de passage | date de l'etape | moved at | timestamp | edit date@0.85 | "
            "date de modification@0.8 | last modified@0.7 | created date@0.7 | date de creation@0.7 | "
            "stage change date | date de changement d'etape"),
        None: ("from stage | etape precedente | previous stage | old value | ancienne valeur | ancienne etape | "
               "from | de"),
    },
}

# A header that is only one of these words must equal a synonym: "ID compte" is not an opportunity id,
# "Date de création" is not an activity date.
_EXACT_ONLY = {"id", "nom", "name", "titre", "title", "type", "client", "customer", "statut", "status", "value",
               "valeur", "date", "code", "ref", "lead", "deal", "affaire", "opportunite", "opportunity",
               "transaction", "piste", "phase", "sujet", "subject", "objet", "topic", "cible", "zone", "action",
               "nature", "rep", "user", "utilisateur", "total", "start", "debut", "de", "from", "temps", "state",
               "etat", "step", "service", "group", "groupe", "bu", "age", "label", "labels", "note", "notes",
               "minutes", "length", "issue", "prix", "price", "budget", "revenue", "ca", "project", "projet",
               "contact", "team", "equipe", "canal", "channel", "origin", "cost", "cout", "media", "n", "no", "num",
               "numero", "agent"}

# Prefixes an export puts before the field of the row's own entity ("Deal - Value", "Affaire - Valeur").
_OWN_PREFIXES = {
    "opportunities": {"deal", "deals", "affaire", "affaires", "opportunity", "opportunities", "opportunite",
                      "opportunites", "transaction", "transactions", "lead", "leads", "piste", "pistes"},
    "activities": {"activity", "activities", "activite", "activites", "task", "tache", "taches", "event",
                   "evenement"},
    "targets": {"target", "targets", "objectif", "objectifs", "quota", "quotas", "goal"},
    "reps": {"user", "utilisateur", "rep", "commercial"},
    "marketing_spend": {"marketing", "campaign", "campagne"},
    "stage_history": {"history", "historique", "stage history"},
}
# Another entity's fields keep their prefix ("Person - Name" is not the deal's name).
_FOREIGN_PREFIXES = {"person", "personne", "contact", "organization", "organisation", "company", "entreprise",
                     "account", "compte", "product", "produit", "user", "utilisateur", "owner", "proprietaire",
                     "deal", "affaire", "opportunity", "opportunite", "activity", "activite", "lead", "piste"}
# Dynamics 365 Excel exports start with hidden "(Do Not Modify) Opportunity" = the record's GUID.
_DO_NOT_MODIFY = re.compile(r"^\s*\(\s*(do not modify|ne pas modifier)\s*\)\s*(.*)$", re.IGNORECASE)
_ID_COLUMN = {"opportunities": "opportunity_id", "activities": "activity_id", "stage_history": "opportunity_id"}
_PREFIX = re.compile(r"^\s*([^\-–—:]{2,40}?)\s+[-–—]\s+(\S.*)$")


def _parse_synonyms(spec: str) -> list[tuple[str, float]]:
    out = []
    for item in spec.split("|"):
        item = item.strip()
        if not item:
            continue
        phrase, _, weight = item.partition("@")
        out.append((normalize_header(phrase), float(weight) if weight else 1.0))
    return out


@dataclass(frozen=True)
class _Index:
    exact: dict  # normalized synonym -> (column, weight)
    compact: dict  # compact synonym -> (column, weight)
    partial: tuple  # (compact synonym, column, weight), usable inside a longer header
    fuzzy_keys: tuple  # compact synonyms long enough for difflib


def _build_index(table: str) -> _Index:
    exact: dict = {}
    for column in [c.name for c in TABLES[table]]:  # the canonical names always map back
        exact[normalize_header(column)] = (column, 1.0)
    for column, spec in SYNONYMS[table].items():
        for norm, weight in _parse_synonyms(spec):
            old = exact.get(norm)
            if old and old[0] != column:
                raise ValueError(f"synonym {norm!r} of {table} maps to both {old[0]} and {column}")
            if not old or old[1] < weight:
                exact[norm] = (column, weight)
    compact: dict = {}
    for norm, (column, weight) in exact.items():
        key = _compact(norm) or norm
        if key not in compact or compact[key][1] < weight:
            compact[key] = (column, weight)
    partial = tuple((k, c, w) for k, (c, w) in compact.items() if k not in _EXACT_ONLY)
    fuzzy = tuple(k for k in compact if len(k) >= 5)
    return _Index(exact, compact, partial, fuzzy)


_INDEXES = {table: _build_index(table) for table in TABLES}


@lru_cache(maxsize=4096)
def _score_norm(norm: str, table: str) -> tuple[tuple[str | None, float], ...]:
    """Candidate columns for one normalized header: exact/compact hits, else containment, else near spellings."""
    if not norm:
        return ()
    idx = _INDEXES[table]
    found: dict = {}

    def add(column, conf):
        if conf > found.get(column, 0.0):
            found[column] = conf

    if norm in idx.exact:
        add(*idx.exact[norm])
    key = _compact(norm) or norm
    if key in idx.compact:
        column, weight = idx.compact[key]
        add(column, 0.9 * weight)
    if not found:
        padded = f" {key} "
        for syn, column, weight in idx.partial:
            if f" {syn} " in padded:
                add(column, (0.65 + 0.2 * len(syn) / len(key)) * weight)
    if not found and len(key) >= 5:
        for syn in difflib.get_close_matches(key, idx.fuzzy_keys, n=3, cutoff=0.8):
            column, weight = idx.compact[syn]
            add(column, 0.75 * difflib.SequenceMatcher(None, key, syn).ratio() * weight)
    return tuple(sorted(found.items(), key=lambda kv: -kv[1]))


def _candidates(header: str, table: str) -> dict[str | None, float]:
    """Every column (None = deliberately ignored) a header could be, with its confidence."""
    raw = str(header if header is not None else "")
    dnm = _DO_NOT_MODIFY.match(raw)
    if dnm:
        entity = normalize_header(dnm.group(2))
        own = {"opportunity", "opportunite"} if table != "activities" else {"activity", "activite", "task", "tache"}
        column = _ID_COLUMN.get(table) if entity in own else None
        return {column: 1.0}
    variants = [(normalize_header(raw), 1.0)]
    m = _PREFIX.match(_fold(raw))
    if m:
        prefix = normalize_header(m.group(1))
        if prefix in _OWN_PREFIXES[table]:
            variants.append((normalize_header(m.group(2)), 1.0))
        elif prefix not in _FOREIGN_PREFIXES:
            variants.append((normalize_header(m.group(2)), 0.9))
    best: dict = {}
    for norm, weight in variants:
        for column, conf in _score_norm(norm, table):
            best[column] = max(best.get(column, 0.0), round(conf * weight, 4))
    return best


# --- public API: columns -------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ColumnMatch:
    header: str  # as in the file
    column: str | None  # canonical column of the table, or None (ignored)
    confidence: float  # 0..1: 1.0 known synonym, ~0.8 normalized/partial, lower for fuzzy


def header_signature(headers: list[str]) -> str:
    """sha1 hex of the sorted set of normalized headers: the same export shape next week gives the same key,
    whatever the column order, case or accents."""
    keys = sorted({normalize_header(h) for h in headers} - {""})
    return hashlib.sha1("\n".join(keys).encode("utf-8")).hexdigest()


CONTENT_WEIGHT = 0.8  # a column recognised by its values alone stays below a known header's confidence


def _with_content(headers: list[str], table: str, samples: dict[str, list] | None,
                  total_rows: int) -> list[dict[str | None, float]]:
    """Per header, its candidates from the header combined with those from its values (opportunities only):
    both agreeing raise the confidence; values alone give at most CONTENT_WEIGHT x their own score."""
    header_cands = [_candidates(h, table) for h in headers]
    if not samples or table != "opportunities":
        return header_cands
    from analytics.ingest.recognise import content_scores, creation_first

    out, dated = [], []
    for header, cands in zip(headers, header_cands):
        if None in cands and max(cands.values()) == cands[None]:
            out.append(cands)  # a column we know and leave alone (currency, weighted amount...)
            continue
        content = content_scores(header, samples.get(header, []), total_rows)
        if "date" in content:
            content.pop("date")
            if not any(c in cands for c in ("created_date", "close_date", "closed_date")):
                dated.append(header)
        merged = dict(cands)
        for column, score in content.items():
            if column in cands:
                merged[column] = round(min(1.0, cands[column] + (1 - cands[column]) * 0.6 * score), 4)
            else:
                merged[column] = round(CONTENT_WEIGHT * score, 4)
        out.append(merged)
    # Of the date columns no header names, the one that comes first on most rows is the creation date.
    order = creation_first({h: samples.get(h, []) for h in dated})
    for rank, header in enumerate(order):
        i = headers.index(header)
        if rank == 0:
            out[i].update({"created_date": 0.65, "close_date": 0.56})
        elif rank == 1:
            out[i].update({"close_date": 0.62, "created_date": 0.56})
        else:
            out[i].update({"closed_date": 0.56})
    return out


def candidates(headers: list[str], table: str, samples: dict[str, list] | None = None,
               total_rows: int = 0) -> list[dict[str | None, float]]:
    """Per header, every column it could be with its confidence (header and values combined)."""
    return _with_content(headers, table, samples, total_rows)


def match_columns(headers: list[str], table: str, samples: dict[str, list] | None = None,
                  total_rows: int = 0) -> list[ColumnMatch]:
    """One ColumnMatch per header, in the headers' order. Each canonical column goes to at most one header: the
    most confident claim wins, a required column first when confidences tie, then the leftmost header.
    samples (header -> first cells as text) lets the values speak where the headers do not (recognise.py)."""
    if table not in TABLES:
        raise KeyError(f"unknown table {table!r}")
    required = {c.name for c in TABLES[table] if c.required}
    result: dict[int, tuple[str | None, float]] = {}
    claims = []
    all_cands = _with_content(headers, table, samples, total_rows)
    for i, header in enumerate(headers):
        cands = all_cands[i]
        if not cands:
            continue
        top_column, top_conf = max(cands.items(), key=lambda kv: (kv[1], kv[0] is None))
        if top_column is None:  # a column we know and leave alone
            result[i] = (None, top_conf)
            continue
        claims += [(conf, col in required, -i, col) for col, conf in cands.items()
                   if col is not None and conf >= MIN_CONFIDENCE]
    taken: set[str] = set()
    for conf, _req, neg_i, col in sorted(claims, reverse=True):
        i = -neg_i
        if i in result:
            continue
        if col in taken:
            # Pipedrive dates wins and losses in two columns ("Won time", "Lost time"): both are when the deal
            # closed, one per status; the importer takes each deal's from the column of its status.
            if not (col == "closed_date" and conf >= 0.9 and lost_date_header(headers[i]) != any(
                    lost_date_header(headers[j]) for j, (c, _) in result.items() if c == col)):
                continue
        result[i] = (col, conf)
        taken.add(col)
    out = []
    for i, header in enumerate(headers):
        column, conf = result.get(i, (None, 0.0))
        out.append(ColumnMatch(header, column, float(conf)))
    return out


_LOST_WORDS = {"lost", "perdu", "perdue", "perte", "loss", "echec"}


def lost_date_header(header: str) -> bool:
    """True for a header of the date a deal was lost ("Lost time", "Date de perte")."""
    return bool(set(normalize_header(header).split()) & _LOST_WORDS)


def missing_required(matches: list[ColumnMatch], table: str) -> list[str]:
    """The required columns of `table` (schema order) that no header was given."""
    given = {m.column for m in matches if m.column}
    return [c.name for c in TABLES[table] if c.required and c.name not in given]


# Sheet names that say which table a sheet holds. Checked in this order: a sheet named "Objectifs commerciaux"
# holds targets, "Historique des étapes" stage history, before the more general words.
_SHEET_HINTS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("stage_history", ("historique des etapes", "historique", "stage history", "history", "changements d etape",
                       "stage changes", "field history")),
    ("targets", ("objectifs", "objectif", "quotas", "quota", "targets", "target", "goals", "goal")),
    ("marketing_spend", ("marketing", "depenses", "depense", "spend", "budget", "budgets", "campagnes",
                         "campaigns", "acquisition")),
    ("activities", ("activites", "activite", "activities", "activity", "taches", "tasks", "evenements", "events",
                    "appels", "calls", "rdv", "rendez vous", "meetings", "interactions")),
    ("reps", ("commerciaux", "equipe", "equipes", "team", "teams", "reps", "vendeurs", "users", "utilisateurs",
              "collaborateurs", "effectif", "sales team")),
    ("opportunities", ("opportunites", "opportunite", "opportunities", "opportunity", "affaires", "affaire",
                       "deals", "deal", "pipeline", "pipe", "transactions", "transaction", "pistes", "leads",
                       "ventes")),
)


def _sheet_hint(sheet_name: str | None) -> str | None:
    padded = f" {normalize_header(sheet_name or '')} "
    for table, words in _SHEET_HINTS:
        if any(f" {w} " in padded for w in words):
            return table
    return None


def _table_score(headers: list[str], table: str, samples: dict[str, list] | None = None,
                 total_rows: int = 0) -> tuple[float, int, int]:
    """(score 0..1, columns matched, required matched): required coverage weighs most, then the share of the
    sheet's headers the table explains, then optional coverage."""
    matches = match_columns(headers, table, samples, total_rows)
    conf = {m.column: m.confidence for m in matches if m.column}
    cols = TABLES[table]
    req = [c.name for c in cols if c.required]
    opt = [c.name for c in cols if not c.required]
    req_cov = sum(conf.get(c, 0.0) for c in req) / len(req)
    opt_cov = sum(conf.get(c, 0.0) for c in opt) / len(opt) if opt else 0.0
    explained = sum(m.confidence if m.column else 0.5 * m.confidence for m in matches)
    n_headers = sum(1 for h in headers if normalize_header(h))
    header_cov = explained / n_headers if n_headers else 0.0
    score = 0.45 * req_cov + 0.40 * header_cov + 0.15 * opt_cov
    return score, len(conf), sum(1 for c in req if c in conf)


def guess_table(headers: list[str], sheet_name: str | None = None, samples: dict[str, list] | None = None,
                total_rows: int = 0) -> tuple[str | None, float]:
    """The canonical table a sheet most likely holds and how sure that is, or (None, 0.0) when no table fits
    (a sheet of notes, a pivot). A sheet-name hint adds 0.2; without one at least two columns must match."""
    if not any(normalize_header(h) for h in headers):
        return None, 0.0
    hint = _sheet_hint(sheet_name)
    best: tuple[float, str] | None = None
    for table in TABLES:
        score, n_matched, n_required = _table_score(headers, table, samples, total_rows)
        if n_required == 0:
            continue
        if table == hint:
            score += 0.2
        elif n_matched < 2:
            continue
        if best is None or score > best[0]:
            best = (score, table)
    if best is None or best[0] < 0.5:
        return None, 0.0
    return best[1], round(min(1.0, best[0]), 3)


# --- public API: values --------------------------------------------------------------------------------------------

_STATUS_WORDS: dict[str, str] = {}
for _status, _spec in {
    "won": ("won | win | gagne | gagnee | gagnes | gagnees | closed won | closedwon | close won | ferme gagne | "
            "fermee gagnee | ferme gagnee | conclue gagnee | conclu gagne | signe | signee | signes | signees | "
            "conclu | conclue | remporte | remportee | vendu | vendue | commande | commandee | accepte | acceptee | "
            "bon pour accord | contrat signe | deal won | affaire gagnee | succes | success | booked | "
            "closed - won | won deal | realise | realisee"),
    "lost": ("lost | perdu | perdue | perdus | perdues | closed lost | closedlost | close lost | ferme perdu | "
             "fermee perdue | ferme perdue | conclue perdue | abandonne | abandonnee | abandon | annule | annulee | "
             "cancelled | canceled | sans suite | classe sans suite | refuse | refusee | rejected | rejete | "
             "rejetee | disqualified | disqualifie | disqualifiee | no decision | pas de decision | out sold | "
             "outsold | vendu a la concurrence | lost to competition | closed lost to competition | no go | dead | "
             "echec | echoue | echouee | non retenu | non retenue | deal lost | affaire perdue"),
    "open": ("open | opened | ouvert | ouverte | ouverts | ouvertes | en cours | in progress | active | actif | "
             "active deal | on hold | en attente | a traiter | pending | ongoing | not started | new | nouveau | "
             "nouvelle | en negociation | en suspens | stand by | standby | pipeline"),
}.items():
    for _w in _spec.split("|"):
        _STATUS_WORDS[_norm_value(_w)] = _status
_STATUS_TOKENS = {"won": {"won", "gagne", "gagnee", "signe", "signee", "remporte", "remportee"},
                  "lost": {"lost", "perdu", "perdue", "abandonne", "abandonnee", "annule", "annulee", "cancelled",
                           "canceled", "refuse", "refusee", "disqualified", "disqualifie"}}


def _status_conf(value: object) -> tuple[str | None, float]:
    key = _norm_value(value)
    if not key:
        return None, 0.0
    if key in _STATUS_WORDS:
        return _STATUS_WORDS[key], 1.0
    if key.replace(" ", "") in _STATUS_WORDS:
        return _STATUS_WORDS[key.replace(" ", "")], 1.0
    tokens = set(key.split())
    for status in ("lost", "won"):  # a closing word decides: "Perdu - prix", "Won (signed)"
        if tokens & _STATUS_TOKENS[status]:
            return status, 0.8
    return None, 0.0


def suggest_status(value: str) -> str | None:
    """'open' | 'won' | 'lost' for a status cell ("Gagnée", "Closed Won", "En cours"...), None when unknown."""
    return _status_conf(value)[0]


_STAGE_SPEC = {
    "lead": ("prospection | prospecting | prospect | prospects | lead | leads | nouveau | nouvelle | new | lead in | "
             "lead entrant | prospect entrant | piste | nouvelle piste | new lead | a qualifier | to qualify | "
             "suspect | premier contact | first contact | entrant | inbound | identifie | identified | "
             "identification | detection | opportunite detectee | contact initial | initial contact | "
             "mql | marketing qualified lead | nouvelle opportunite | new opportunity | a contacter | to contact | "
             "cold | froid | incoming | non qualifie | unqualified"),
    "qualification": (
        "qualification | qualifie | qualifiee | qualified | decouverte | discovery | needs analysis | "
        "analyse des besoins | contact etabli | contact made | appointment scheduled | rendez vous programme | "
        "rendez vous planifie | rendez vous | rdv | rdv planifie | rdv programme | qualified to buy | "
        "qualifie pour l achat | qualifie pour acheter | qualifier | value proposition | proposition de valeur | qualify | besoins definis | "
        "needs defined | demo scheduled | demo planifiee | demo | demonstration | develop | developpement | "
        "developper | etude | etude des besoins | analyse | audit | diagnostic | interesse | interested | "
        "contacte | contacted | sql | sales qualified lead | qualified lead | meeting | meeting scheduled | "
        "r1 | premier rendez vous | first meeting | en discussion | echange | connecting | connected | "
        "engaged | engaging | recueil des besoins | besoin identifie | solution | chaud | tiede | warm | hot | "
        "prospect qualifie | lead qualifie | piste qualifiee"),
    "proposal": (
        "proposition | proposal | proposal price quote | proposition devis | proposition prix devis | devis | "
        "devis envoye | devis envoyee | quote | quote sent | quotation | offre | offre envoyee | offre commerciale | "
        "presentation scheduled | presentation programmee | presentation | id decision makers | "
        "identify decision makers | identification des decideurs | identifier les decideurs | "
        "perception analysis | analyse de perception | proposal made | proposition faite | proposition envoyee | "
        "proposal sent | propose | proposer | chiffrage | cotation | recommandation | soumission | "
        "appel d offres | tender | rfp | r2 | demo faite | demo done | proposition commerciale"),
    "negotiation": (
        "negociation | negotiation | negotiation review | negociation revision | negociation revue | negociations | negotiations | "
        "negociations commencees | negotiations started | contract sent | contrat envoye | "
        "decision maker bought in | adhesion du decideur | decideur convaincu | decideur implique | closing | "
        "engagement | close | conclure | en negociation | commit | verbal | accord verbal | verbal agreement | "
        "signature | en signature | en attente de signature | attente de signature | pending signature | "
        "awaiting signature | validation | contractualisation | contrat | finalisation | decision | "
        "short list | shortlist | short listed | bon de commande envoye | legal review | revue juridique | "
        "procurement | achats | achat"),
    "won": ("closed won | won | gagne | gagnee | signe | signee | commande | conclue | conclu | ferme gagne | "
            "fermee gagnee | conclue gagnee | close gagne | win | vendu | bon pour accord | accepte | acceptee | "
            "contrat signe | deal won | affaire gagnee | remporte | remportee | facture | devis signe | "
            "commande recue | booked | signed | contract signed | closedwon"),
    "lost": ("closed lost | perdue | perdu | lost | abandonne | abandonnee | annule | annulee | sans suite | "
             "ferme perdu | fermee perdue | conclue perdue | closed lost to competition | lost to competition | "
             "refuse | refusee | rejected | cancelled | canceled | disqualified | disqualifie | disqualifiee | "
             "no decision | pas de decision | out sold | perdu concurrent | no go | dead | mort | "
             "classe sans suite | non retenu | non retenue | echec | closedlost | perdu prix | perdu concurrence"),
}
_STAGE_WORDS: dict[str, str] = {}
for _stage, _spec in _STAGE_SPEC.items():
    for _w in _spec.split("|"):
        _k = _norm_value(_w)
        _STAGE_WORDS.setdefault(_k, _stage)
        _STAGE_WORDS.setdefault(_k.replace(" ", ""), _stage)  # HubSpot internal ids: "appointmentscheduled"
_OPEN_BY_NUMBER = {0: "lead", 1: "lead", 2: "qualification", 3: "proposal", 4: "negotiation"}
_NUMBERED = re.compile(r"^(?:stage|etape|phase|step|statut|status)?\s*(\d{1,2})\b\s*(.*)$")
_CLOSING_PRIORITY = {"lost": 3, "won": 2}


def _stage_from_name(crm_stage: object) -> tuple[str, float]:
    """(canonical stage key, confidence) from a CRM stage name alone."""
    key = _norm_value(crm_stage)
    number = None
    m = _NUMBERED.match(key)
    if m:
        number, key = int(m.group(1)), m.group(2).strip()
    if key in _STAGE_WORDS:
        return _STAGE_WORDS[key], 1.0
    if key.replace(" ", "") in _STAGE_WORDS:
        return _STAGE_WORDS[key.replace(" ", "")], 1.0
    if key:
        # The longest known phrase inside the name; a closing word (lost, won) outranks an open one.
        padded = f" {key} "
        hits = [(_CLOSING_PRIORITY.get(s, 0), len(w), STAGE_BY_KEY[s].order, s)
                for w, s in _STAGE_WORDS.items() if f" {w} " in padded]
        if hits:
            return max(hits)[3], 0.8
        close = difflib.get_close_matches(key, list(_STAGE_WORDS), n=1, cutoff=0.8)
        if close:
            return _STAGE_WORDS[close[0]], round(0.7 * difflib.SequenceMatcher(None, key, close[0]).ratio(), 3)
    if number is not None:
        return _OPEN_BY_NUMBER.get(number, "negotiation"), (0.6 if number in _OPEN_BY_NUMBER else 0.3)
    if not key:
        return "lead", 0.0
    # Unknown name: the nearest open stage by spelling, at a confidence that makes the UI ask.
    ratio, word = _nearest_open_word(key)
    return (_STAGE_WORDS[word] if word else "lead"), round(min(0.45, 0.45 * ratio), 3)


# The open stages' words, with their letters counted once: _nearest_open_word bounds each word's similarity by
# letters in common before it pays for difflib's ratio.
_OPEN_WORDS = [(w, collections.Counter(w)) for w, s in _STAGE_WORDS.items()
               if STAGE_BY_KEY[s].status == "open" and len(w) > 3]


def _nearest_open_word(key: str) -> tuple[float, str]:
    """max((difflib ratio of key and w, w)) over the open stages' words: (0.0, "") when there is none.

    The same answer as computing every ratio, in a tenth of the time: a word is skipped when the letters it
    shares with key (difflib's quick_ratio, an upper bound of its ratio) could not reach the best ratio found so
    far, nor tie it with a word that would win the tie. Every value of a short column that is no stage name
    ("Île-de-France") goes through here while a file is planned: it was most of the time to the mapping."""
    letters, best = collections.Counter(key), (0.0, "")
    bounds = sorted(((2.0 * sum((letters & counted).values()) / (len(key) + len(w)), w)
                     for w, counted in _OPEN_WORDS), reverse=True)
    for bound, w in bounds:
        if (bound, w) < best:
            break  # sorted: no later word can do better
        best = max(best, (difflib.SequenceMatcher(None, key, w).ratio(), w))
    return best


def suggest_stage(crm_stage: str, status_hint: str | None = None) -> tuple[str, str, float]:
    """(canonical stage key, status open|won|lost, confidence) for a CRM stage name.

    With a status column's value (Pipedrive "won"/"lost", "Gagné"/"Perdu"/"En cours"), the status comes from it and
    the stage is where the deal stands or was lost ('lost' when the name does not tell). Confidence < 0.5 means a
    guess the user should confirm."""
    stage, conf = _stage_from_name(crm_stage)
    hinted, hint_conf = _status_conf(status_hint) if status_hint is not None else (None, 0.0)
    if hinted is None:
        return stage, STAGE_BY_KEY[stage].status, conf
    stage_is_open = STAGE_BY_KEY[stage].status == "open"
    if hinted == "won":
        return "won", "won", hint_conf
    if hinted == "lost":
        if stage_is_open and conf >= 0.5:
            return stage, "lost", round(min(conf, hint_conf), 3)
        return "lost", "lost", round(hint_conf * (1.0 if stage == "lost" else 0.8), 3)
    # open: the stage where the deal stands; a closing stage name contradicts the status column
    if stage_is_open:
        return stage, "open", round(min(conf, hint_conf), 3)
    return "negotiation", "open", 0.3


_ACTIVITY_SPEC = (  # checked in this order: the more specific word first ("démo en visio" is a demo)
    ("demo", "demo | demos | demonstration | demonstrations | product demo | demo produit | presentation produit"),
    ("video meeting", "visio | visioconference | visio conference | video | video call | video meeting | "
                      "videoconference | video conference | teams | microsoft teams | zoom | google meet | meet | "
                      "webex | skype | web meeting | webinar | webinaire | online meeting | reunion en ligne | "
                      "rdv visio | rendez vous visio | rdv video | appel video | visioconf"),
    ("call", "call | calls | appel | appels | appel sortant | appel entrant | appel telephonique | phone | "
             "phone call | telephone | tel | log a call | cold call | outbound call | inbound call | rappel | "
             "call back | callback | phoning | coup de fil | appel manque | missed call | "
             "rendez vous telephonique | rdv telephonique | entretien telephonique"),
    ("email", "email | e mail | emails | mail | mails | courriel | courriels | courrier electronique | "
              "email sent | email envoye | mail envoye | emailing | mailing | inmail | newsletter"),
    ("meeting", "meeting | meetings | rendez vous | rdv | reunion | reunions | rencontre | visite | "
                "visite client | visite terrain | rendez vous physique | rdv physique | face to face | "
                "in person meeting | dejeuner | lunch | dinner | diner | salon | event | evenement | "
                "appointment | meeting in person | rendez vous client | r1 | r2"),
    ("other", "other | autre | autres | task | tache | todo | to do | note | deadline | divers"),
)
_ACTIVITY_WORDS = [(t, [_norm_value(w) for w in spec.split("|")]) for t, spec in _ACTIVITY_SPEC]


def normalize_activity_type(value: str) -> str:
    """One of schema.ACTIVITY_TYPES for an activity type as the CRMs write it ("Appel sortant" -> "call",
    "Visio" -> "video meeting"); 'other' when no known word is in it."""
    key = _norm_value(value)
    if not key:
        return "other"
    for activity_type, words in _ACTIVITY_WORDS:
        if key in words:
            return activity_type
    padded = f" {key} "
    for activity_type, words in _ACTIVITY_WORDS:
        if any(f" {w} " in padded for w in words):
            return activity_type
    return "other"


# --- the template workbook ------------------------------------------------------------------------------------------

# The French column titles of our own template workbook (data/ generates it); each maps back at confidence 1.0.
TEMPLATE_HEADERS: dict[str, dict[str, str]] = {
    "opportunities": {
        "opportunity_id": "ID opportunité", "name": "Nom", "account": "Compte", "owner": "Commercial",
        "segment": "Segment", "source": "Source", "stage": "Étape", "status": "Statut", "amount": "Montant",
        "probability": "Probabilité", "created_date": "Date de création", "close_date": "Date de clôture",
        "closed_date": "Date de signature ou de perte",
        "margin": "Marge", "lost_reason": "Raison de la perte", "region": "Région", "product": "Produit",
        "in_target": "Dans la cible",
    },
    "activities": {
        "activity_id": "ID activité", "date": "Date", "owner": "Commercial", "type": "Type", "account": "Compte",
        "segment": "Segment", "opportunity_id": "ID opportunité", "duration_minutes": "Durée (min)",
        "outcome": "Résultat",
    },
    "targets": {
        "owner": "Commercial", "period": "Période", "quota_amount": "Objectif", "segment": "Segment",
        "planned_activities": "Activités prévues",
    },
    "reps": {
        "owner": "Commercial", "team": "Équipe", "manager": "Manager", "region": "Région",
        "hire_date": "Date d'embauche", "hourly_cost": "Coût horaire",
    },
    "marketing_spend": {"period": "Période", "segment": "Segment", "source": "Source", "amount": "Montant"},
    "stage_history": {"opportunity_id": "ID opportunité", "stage": "Étape", "entered_at": "Date d'entrée"},
}
