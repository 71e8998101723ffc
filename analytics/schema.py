"""The canonical data model of PRODUCT.md: tables, columns, types, required columns, funnel stages.

Every other module (reading, mapping, storage, KPIs, demo) names columns through this one place.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Column:
    name: str
    kind: str  # text | amount | probability | date | timestamp | integer | boolean
    required: bool = False


def _cols(spec: str) -> tuple[Column, ...]:
    """Parse 'name:kind*' items (a trailing * marks a required column)."""
    out = []
    for item in spec.split():
        name, kind = item.split(":")
        out.append(Column(name, kind.rstrip("*"), kind.endswith("*")))
    return tuple(out)


TABLES: dict[str, tuple[Column, ...]] = {
    "opportunities": _cols(
        "opportunity_id:text* name:text account:text owner:text* segment:text source:text "
        "stage:text* status:text amount:amount* probability:probability created_date:date* "
        "close_date:date closed_date:date margin:amount lost_reason:text region:text product:text in_target:boolean"
    ),
    "activities": _cols(
        "activity_id:text date:timestamp* owner:text* type:text* account:text segment:text "
        "opportunity_id:text duration_minutes:amount outcome:text"
    ),
    "targets": _cols("owner:text* period:text* quota_amount:amount* segment:text planned_activities:amount"),
    "reps": _cols("owner:text* team:text manager:text region:text hire_date:date hourly_cost:amount"),
    "marketing_spend": _cols("period:text* segment:text source:text amount:amount*"),
    "stage_history": _cols("opportunity_id:text* stage:text* entered_at:timestamp*"),
}

SQL_TYPES = {
    "text": "VARCHAR",
    "amount": "DECIMAL(18,2)",  # money is exact: sums are the same on every run, to the cent
    "probability": "DOUBLE",
    "date": "DATE",
    "timestamp": "TIMESTAMP",
    "integer": "BIGINT",
    "boolean": "BOOLEAN",
}


def columns(table: str) -> tuple[Column, ...]:
    return TABLES[table]


def column_names(table: str) -> list[str]:
    return [c.name for c in TABLES[table]]


def required_columns(table: str) -> list[str]:
    return [c.name for c in TABLES[table] if c.required]


@dataclass(frozen=True)
class Stage:
    key: str
    order: int  # position in the funnel; lost has no position of its own
    status: str  # open | won | lost
    default_probability: float


# The funnel's ordered canonical stages. A CRM's own stage names are mapped onto these
# (mapping.py), so that conversions compare across CRMs and workspaces.
STAGES: tuple[Stage, ...] = (
    Stage("lead", 1, "open", 0.10),
    Stage("qualification", 2, "open", 0.25),
    Stage("proposal", 3, "open", 0.50),
    Stage("negotiation", 4, "open", 0.75),
    Stage("won", 5, "won", 1.0),
    Stage("lost", 0, "lost", 0.0),
)
STAGE_BY_KEY = {s.key: s for s in STAGES}
OPEN_STAGES = [s.key for s in STAGES if s.status == "open"]
STATUSES = ("open", "won", "lost")

# Activity types of the data model; other words the CRMs write are mapped onto them by clean/mapping.
ACTIVITY_TYPES = ("call", "email", "meeting", "video meeting", "demo", "other")
