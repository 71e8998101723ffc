"""The data quality report shown after an import: what in the latest snapshot a manager should fix in the CRM."""
from __future__ import annotations

import pandas as pd

from analytics.measures import checks
from analytics.filters import Filter

COLUMNS = ["check", "count", "examples"]

# Each check lists the opportunity ids of the latest snapshot that it flags. Checks that the flash page's
# alerts also show come from analytics/measures/checks.py (one definition for both).
_CHECKS = {
    "quality.missing_owner": "SELECT opportunity_id FROM opportunities_current WHERE owner IS NULL",
    "quality.missing_amount": "SELECT opportunity_id FROM opportunities_current WHERE amount IS NULL",
}


def _snapshot_date(con):
    rows = con.execute("SELECT snapshot_date FROM snapshots ORDER BY snapshot_date DESC, snapshot_id DESC LIMIT 1"
                       ).fetchall()
    return rows[0][0] if rows else None


def _shared_checks(con) -> dict[str, list]:
    """The checks defined in analytics/measures/checks.py, on the whole latest snapshot: open deals whose close date
    is before the snapshot's date, probabilities lower than an earlier stage's typical one."""
    day = _snapshot_date(con)
    if day is None:
        return {"quality.past_close_open": [], "quality.falling_probability": []}
    return {
        "quality.past_close_open": list(checks.overdue_deals(con, Filter(), day)["opportunity_id"]),
        "quality.falling_probability": list(checks.probability_inversions(con, Filter())["opportunity_id"]),
    }


def empty_report() -> pd.DataFrame:
    return pd.DataFrame(columns=COLUMNS)


def quality_report(con) -> pd.DataFrame:
    """One row per check: its i18n key, how many deals it flags, up to five of their ids."""
    flagged = {key: [r[0] for r in con.execute(f"SELECT opportunity_id FROM ({sql}) ORDER BY 1").fetchall()]
               for key, sql in _CHECKS.items()} | _shared_checks(con)
    rows = []
    for key, ids in flagged.items():
        ids = sorted(str(i) for i in ids)
        rows.append({"check": key, "count": len(ids), "examples": ", ".join(ids[:5])})
    return pd.DataFrame(rows, columns=COLUMNS)


def _bad(column_list: str) -> str:
    """Deals of the latest snapshot whose cell in one of these columns could not be read (left NULL)."""
    names = ", ".join(f"'{c}'" for c in column_list.split())
    return ("SELECT opportunity_id FROM opportunities_current"
            f" WHERE list_has_any(string_split(bad_values, ','), [{names}])")


# What an import keeps rather than refuses (rows carry their gaps): counted here, left out of the figures
# they would distort (a sum skips a NULL amount; the sales cycle skips a deal created after it closed).
_CHECKS.update({
    "quality.open_without_amount": "SELECT opportunity_id FROM opportunities_current"
                                   " WHERE status = 'open' AND amount IS NULL",
    "quality.missing_created": "SELECT opportunity_id FROM opportunities_current WHERE created_date IS NULL",
    "quality.created_after_closed": "SELECT opportunity_id FROM opportunities_current"
                                    " WHERE created_date > coalesce(closed_date, close_date)",
    "quality.bad_amount": _bad("amount margin"),
    "quality.bad_probability": _bad("probability"),
    "quality.bad_date": _bad("created_date close_date closed_date closed_date_lost"),
    "quality.derived_keys": "SELECT opportunity_id FROM opportunities_current WHERE key_derived",
    "quality.no_rate": "SELECT opportunity_id FROM opportunities_current"
                       " WHERE amount IS NULL AND amount_original IS NOT NULL",
})
