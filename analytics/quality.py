"""The data quality report shown after an import: what in the latest snapshot a manager should fix in the CRM."""
from __future__ import annotations

import pandas as pd

COLUMNS = ["check", "count", "examples"]

# Each check lists the opportunity ids of the latest snapshot that it flags.
_CHECKS = {
    "quality.missing_owner": "SELECT opportunity_id FROM opportunities_current WHERE owner IS NULL",
    "quality.missing_amount": "SELECT opportunity_id FROM opportunities_current WHERE amount IS NULL",
    "quality.past_close_open": (
        "SELECT opportunity_id FROM opportunities_current o WHERE status = 'open' AND close_date <"
        " (SELECT snapshot_date FROM snapshots WHERE snapshot_id = o.snapshot_id)"
    ),
    # An open deal whose announced probability is below the typical (median) probability of an earlier stage.
    "quality.falling_probability": (
        "WITH typical AS (SELECT stage_order, median(probability) p FROM opportunities_current"
        " WHERE status = 'open' AND probability IS NOT NULL GROUP BY stage_order)"
        " SELECT o.opportunity_id FROM opportunities_current o WHERE o.status = 'open' AND o.probability <"
        " (SELECT max(p) FROM typical t WHERE t.stage_order < o.stage_order)"
    ),
}


def empty_report() -> pd.DataFrame:
    return pd.DataFrame(columns=COLUMNS)


def quality_report(con) -> pd.DataFrame:
    """One row per check: its i18n key, how many deals it flags, up to five of their ids."""
    rows = []
    for key, sql in _CHECKS.items():
        ids = [r[0] for r in con.execute(f"SELECT opportunity_id FROM ({sql}) ORDER BY 1").fetchall()]
        rows.append({"check": key, "count": len(ids), "examples": ", ".join(str(i) for i in ids[:5])})
    return pd.DataFrame(rows, columns=COLUMNS)
