"""The data quality report shown after an import: what in the latest snapshot a manager should fix in the CRM."""
from __future__ import annotations

import pandas as pd

from analytics import checks
from analytics.filters import Filter

COLUMNS = ["check", "count", "examples"]

# Each check lists the opportunity ids of the latest snapshot that it flags. Checks that the flash page's
# alerts also show come from analytics/checks.py (one definition for both).
_CHECKS = {
    "quality.missing_owner": "SELECT opportunity_id FROM opportunities_current WHERE owner IS NULL",
    "quality.missing_amount": "SELECT opportunity_id FROM opportunities_current WHERE amount IS NULL",
}


def _snapshot_date(con):
    rows = con.execute("SELECT snapshot_date FROM snapshots ORDER BY snapshot_date DESC, snapshot_id DESC LIMIT 1"
                       ).fetchall()
    return rows[0][0] if rows else None


def _shared_checks(con) -> dict[str, list]:
    """The checks defined in analytics/checks.py, on the whole latest snapshot: open deals whose close date
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
