"""Generated data for the benchmarks, at any size, deterministic, never committed.

A sales team of 60 reps over four years ending on TODAY: opportunities (the current snapshot and the one
of the week before, so that "what changed" has work to do), activities, reps, monthly targets, marketing
spend and stage history. Everything is computed in DuckDB from row numbers through `hash`, so that 1 000 000
opportunities and 5 000 000 activities take seconds and little memory, and an activity finds its
opportunity's owner, account and dates by recomputing them (macros below) instead of joining.

Used three ways:
  build_workspace(path, n_opportunities, n_activities)   a workspace file, as the app reads it
  opportunities_export(n)                                a CRM-style export frame (French headers)
  write_french_csv(frame, path) / write_xlsx(frame, path)
"""
from __future__ import annotations

import argparse
import sys
import time
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from analytics import store  # noqa: E402

TODAY = date(2026, 11, 23)  # a Monday; the current snapshot's date
PREVIOUS = date(2026, 11, 16)  # the snapshot of the week before
FIRST_DAY = date(2022, 11, 24)  # four years of history
HISTORY_DAYS = (TODAY - FIRST_DAY).days + 1

FIRST_NAMES = ["Camille", "Julien", "Léa", "Thomas", "Hugo", "Manon", "Lucas", "Chloé", "Nicolas", "Sarah",
               "Antoine", "Emma"]
LAST_NAMES = ["Martin", "Bernard", "Dubois", "Moreau", "Laurent"]
REPS = [f"{f} {l}" for l in LAST_NAMES for f in FIRST_NAMES]  # 60 reps
TEAMS = ["Grands comptes", "PME Nord", "PME Sud", "PME Est", "PME Ouest", "ETI"]
REGIONS = ["Île-de-France", "Auvergne-Rhône-Alpes", "Hauts-de-France", "Occitanie", "Grand Est"]
SEGMENTS = ["Or", "Argent", "Bronze"]
SOURCES = ["Marketing", "Prospection", "Recommandation", "Salon"]
PRODUCTS = ["Suite ERP", "Module CRM", "Pack Cloud PME", "Intégration sur mesure", "Formation", "Support Premium"]
LOST_REASONS = ["Prix", "Concurrent", "Pas de budget", "Projet abandonné", "Pas de réponse"]
OPEN_STAGES = ["lead", "qualification", "proposal", "negotiation"]  # stage_order 1..4
CRM_STAGES = {"lead": "Prospection", "qualification": "Qualification", "proposal": "Proposition",
              "negotiation": "Négociation", "won": "Gagnée", "lost": "Perdue"}
ACTIVITY_TYPES = ["call", "email", "meeting", "video meeting", "demo", "other"]


def _sql_list(values: list[str]) -> str:
    return "[" + ", ".join("'" + v.replace("'", "''") + "'" for v in values) + "]"


def _macros(con: duckdb.DuckDBPyConnection) -> None:
    """Per-opportunity attributes as functions of its row number j, shared by opportunities and activities."""
    today, first = TODAY.isoformat(), FIRST_DAY.isoformat()
    stmts = [
        # a uniform number in [0, 1) from a row number and a salt
        "CREATE OR REPLACE MACRO u(j, salt) AS (hash(j, salt) % 1000003) / 1000003.0",
        "CREATE OR REPLACE MACRO pick(vals, j, salt) AS vals[1 + (hash(j, salt) % len(vals))::INTEGER]",
        f"CREATE OR REPLACE MACRO opp_owner(j) AS pick({_sql_list(REPS)}, j, 3)",
        "CREATE OR REPLACE MACRO opp_segment(j) AS CASE WHEN u(j, 4) < 0.2 THEN 'Or'"
        " WHEN u(j, 4) < 0.5 THEN 'Argent' ELSE 'Bronze' END",
        "CREATE OR REPLACE MACRO opp_account(j) AS 'Société ' || (hash(j, 2) % 40000)::VARCHAR",
        # creation spread over four years, a little more recent than old (growth)
        f"CREATE OR REPLACE MACRO opp_created(j) AS DATE '{first}'"
        f" + LEAST({HISTORY_DAYS - 1}, floor(sqrt(u(j, 5)) * {HISTORY_DAYS})::INTEGER)",
        "CREATE OR REPLACE MACRO opp_cycle(j) AS 10 + (u(j, 6) * u(j, 7) * 360)::INTEGER",
        # closed when its cycle ended before today; a few open deals are overdue (close date passed)
        f"CREATE OR REPLACE MACRO opp_closed(j) AS opp_created(j) + opp_cycle(j) <= DATE '{today}'"
        " AND u(j, 8) > 0.04",
    ]
    for stmt in stmts:
        con.execute(stmt)


def _opportunities_sql(n: int) -> str:
    """The current snapshot's n opportunities, with every stored column (schema + store.EXTRA_COLUMNS)."""
    today = TODAY.isoformat()
    crm = "map(" + _sql_list(list(CRM_STAGES)) + ", " + _sql_list(list(CRM_STAGES.values())) + ")"
    return f"""
    WITH b AS (
      SELECT j, opp_created(j) AS created, opp_cycle(j) AS cycle, opp_closed(j) AS closed,
             opp_segment(j) AS segment, u(j, 9) AS u_outcome, u(j, 10) AS u_stage, u(j, 11) AS u_amount
      FROM range({n}) t(j)
    ), s AS (
      SELECT *,
        CASE WHEN NOT closed THEN 'open'
             WHEN u_outcome < CASE segment WHEN 'Or' THEN 0.30 WHEN 'Argent' THEN 0.24 ELSE 0.18 END THEN 'won'
             ELSE 'lost' END AS status,
        -- open deals sit in a stage (earlier stages more crowded); lost ones at the stage where they were lost
        {_sql_list(OPEN_STAGES)}[1 + LEAST(3, floor(u_stage * u_stage * 4.6))::INTEGER] AS open_stage
      FROM b
    ), d AS (
      SELECT *, CASE status WHEN 'won' THEN 'won'
                  WHEN 'lost' THEN (CASE WHEN u(j, 13) < 0.15 THEN 'lost' ELSE open_stage END)
                  ELSE open_stage END AS deal_stage
      FROM s
    )
    SELECT
      'OPP-' || lpad(j::VARCHAR, 8, '0') AS opportunity_id,
      'Affaire ' || j::VARCHAR AS name,
      opp_account(j) AS account,
      opp_owner(j) AS owner,
      d.segment,
      pick({_sql_list(SOURCES)}, j, 12) AS source,
      d.deal_stage AS stage,
      d.status,
      round((CASE d.segment WHEN 'Or' THEN 40000 WHEN 'Argent' THEN 12000 ELSE 4000 END)
            * (0.3 + 1.7 * u_amount * u_amount + u(j, 14)), 2) AS amount,
      CASE WHEN u(j, 15) < 0.3 THEN NULL  -- no probability given: the stage default applies
           WHEN d.status = 'won' THEN 1.0 WHEN d.status = 'lost' THEN 0.0
           WHEN u(j, 25) < 0.03 THEN round(0.05 + 0.1 * u(j, 16), 2)  -- stale: far below its stage
           ELSE round(LEAST(0.95, GREATEST(0.05, os.default_probability + (u(j, 16) - 0.5) * 0.3)), 2) END
        AS probability,
      created AS created_date,
      CASE WHEN closed THEN created + cycle
           WHEN u(j, 17) < 0.15 THEN DATE '{today}' - (1 + (u(j, 18) * 60)::INTEGER)  -- overdue
           ELSE GREATEST(created + cycle, DATE '{today}' + (1 + (u(j, 18) * 150)::INTEGER)) END AS close_date,
      CASE WHEN closed THEN created + cycle END AS closed_date,  -- when it was won or lost
      round(amount * (0.18 + 0.3 * u(j, 19)), 2) AS margin,
      CASE WHEN d.status = 'lost' THEN pick({_sql_list(LOST_REASONS)}, j, 20) END AS lost_reason,
      CASE WHEN u(j, 21) < 0.1 THEN NULL ELSE pick({_sql_list(REGIONS)}, j, 22) END AS region,
      pick({_sql_list(PRODUCTS)}, j, 23) AS product,
      u(j, 24) < 0.8 AS in_target,
      {crm}[d.deal_stage] AS crm_stage,
      ds.stage_order AS stage_order,
      CAST(NULL AS VARCHAR) AS bad_values,  -- every cell readable
      FALSE AS key_derived,  -- the export gives its ids
      j
    FROM d
    LEFT JOIN stages os ON os.stage = d.open_stage
    LEFT JOIN stages ds ON ds.stage = d.deal_stage
    """


def build_workspace(path: Path, n_opportunities: int, n_activities: int, *, previous_snapshot: bool = True,
                    verbose: bool = True) -> Path:
    """A workspace file at `path` holding the generated tables; returns the path.

    The current snapshot has `n_opportunities` deals; the previous one (a week earlier) holds those created by
    then, a few a stage behind, open where they have closed since, or with another amount.
    """
    t0 = time.perf_counter()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists():
        path.unlink()
    con = duckdb.connect(str(path))
    con.execute("SET enable_progress_bar = false")
    store.init_schema(con)
    _macros(con)
    today, prev = TODAY.isoformat(), PREVIOUS.isoformat()
    stored = [c for c in _stored_columns("opportunities") if c != "snapshot_id"]
    cols = ", ".join(store.quote(c) for c in stored)

    con.execute("INSERT INTO snapshots (snapshot_id, snapshot_date, source, row_count) VALUES"
                f" (1, DATE '{prev}', 'bench-previous.csv', 0), (2, DATE '{today}', 'bench.csv', 0)")
    con.execute(f"CREATE TEMP TABLE gen AS {_opportunities_sql(n_opportunities)}")
    con.execute(f"INSERT INTO opportunities (snapshot_id, {cols}) SELECT 2, {cols} FROM gen")
    if previous_snapshot:
        # A week earlier: deals closed since were still open at their last open stage; some were a stage behind
        # or had another amount.
        con.execute(f"""
            INSERT INTO opportunities (snapshot_id, {cols})
            SELECT 1, {", ".join(_previous_expr(c) for c in stored)}
            FROM gen g LEFT JOIN stages ps ON ps.stage_order = GREATEST(1, LEAST(4,
                CASE WHEN g.status = 'open' AND u(g.j, 30) < 0.05 THEN g.stage_order - 1
                     WHEN g.stage IN ('won', 'lost') THEN 4 ELSE g.stage_order END))
            WHERE g.created_date <= DATE '{prev}'
        """)
    con.execute("UPDATE snapshots SET row_count = (SELECT count(*) FROM opportunities o"
                " WHERE o.snapshot_id = snapshots.snapshot_id)")

    _reps(con)
    _targets(con)
    _marketing(con)
    _stage_history(con)
    _activities(con, n_opportunities, n_activities)
    con.execute("DROP TABLE gen")
    # What an import does last: the tables derived once per data version (analytics/measures/derived.py).
    from analytics.measures import derived

    derived.refresh(con)
    con.execute("CHECKPOINT")
    con.close()
    if verbose:
        print(f"generated {path.name}: {n_opportunities:,} opportunities, {n_activities:,} activities"
              f" in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    return path


def _stored_columns(table: str) -> list[str]:
    from analytics.schema import TABLES

    # the import's bookkeeping (bad cells, derived ids, currency and original amount) stays NULL: generated rows
    # have none of it (store.IMPORT_ONLY lists those columns)
    return [c.name for c in TABLES[table]] + [n for n, _ in store.EXTRA_COLUMNS.get(table, [])
                                              if n not in store.IMPORT_ONLY]


def _previous_expr(column: str) -> str:
    """The previous snapshot's value of `column` (see build_workspace); `ps` is the previous stage's row."""
    closed_since = f"(g.status <> 'open' AND g.close_date > DATE '{PREVIOUS.isoformat()}')"
    if column in ("stage", "stage_order"):
        return (f"CASE WHEN {closed_since} OR (g.status = 'open' AND u(g.j, 30) < 0.05)"
                f" THEN ps.{column} ELSE g.{column} END AS {column}")
    if column == "crm_stage":
        mapped = "map(" + _sql_list(list(CRM_STAGES)) + ", " + _sql_list(list(CRM_STAGES.values())) + ")"
        return (f"CASE WHEN {closed_since} OR (g.status = 'open' AND u(g.j, 30) < 0.05)"
                f" THEN {mapped}[ps.stage] ELSE g.crm_stage END AS crm_stage")
    if column == "status":
        return f"CASE WHEN {closed_since} THEN 'open' ELSE g.status END AS status"
    if column == "probability":
        return f"CASE WHEN {closed_since} THEN ps.default_probability ELSE g.probability END AS probability"
    if column == "closed_date":
        return f"CASE WHEN {closed_since} THEN NULL ELSE g.closed_date END AS closed_date"
    if column == "lost_reason":
        return f"CASE WHEN {closed_since} THEN NULL ELSE g.lost_reason END AS lost_reason"
    if column == "amount":
        return "CASE WHEN u(g.j, 31) < 0.03 THEN round(g.amount * 0.8, 2) ELSE g.amount END AS amount"
    return f"g.{column}"


def _reps(con) -> None:
    rows = []
    for i, owner in enumerate(REPS):
        team = TEAMS[i % len(TEAMS)]
        rows.append((owner, team, f"Manager {team}", REGIONS[i % len(REGIONS)],
                     date(2015 + i % 10, 1 + i % 12, 1), 35.0 + (i * 7) % 50))
    con.executemany("INSERT INTO reps (owner, team, manager, region, hire_date, hourly_cost)"
                    " VALUES (?, ?, ?, ?, ?, ?)", rows)


def _targets(con) -> None:
    """A monthly quota per rep over the whole history and the next quarter, near what the rep won a month over
    the last year (from 100 % to 160 % of it: recent months sell more), so that attainment and coverage have something to say."""
    con.execute(f"""
        INSERT INTO targets (owner, period, quota_amount, segment, planned_activities, period_start, period_end)
        WITH won AS (SELECT owner, sum(amount) / 12 AS monthly FROM gen
                     WHERE status = 'won' AND close_date > DATE '{TODAY}' - 365 GROUP BY owner)
        SELECT r.owner, strftime(m, '%Y-%m'),
               GREATEST(1000, round(coalesce(w.monthly, 20000) * (1.0 + 0.6 * u(hash(r.owner), m)) / 1000) * 1000),
               NULL, 150 + hash(r.owner, m, 1) % 100, CAST(m AS DATE),
               CAST(m + INTERVAL 1 MONTH - INTERVAL 1 DAY AS DATE)
        FROM reps r LEFT JOIN won w ON w.owner = r.owner,
             range(DATE '{FIRST_DAY.replace(day=1)}', DATE '2027-04-01', INTERVAL 1 MONTH) t(m)
    """)


def _marketing(con) -> None:
    con.execute(f"""
        INSERT INTO marketing_spend (period, segment, source, amount, period_start, period_end)
        SELECT strftime(m, '%Y-%m'), s.segment, 'Marketing', 5000 + hash(s.segment, m) % 20000,
               CAST(m AS DATE), CAST(m + INTERVAL 1 MONTH - INTERVAL 1 DAY AS DATE)
        FROM range(DATE '{FIRST_DAY.replace(day=1)}', DATE '{TODAY}', INTERVAL 1 MONTH) t(m),
             (SELECT unnest({_sql_list(SEGMENTS)}) AS segment) s
    """)


def _stage_history(con) -> None:
    """One row per stage each current deal entered (lead up to its stage), then 'won' or 'lost' at the close."""
    mapped = "map(" + _sql_list(list(CRM_STAGES)) + ", " + _sql_list(list(CRM_STAGES.values())) + ")"
    con.execute(f"""
        INSERT INTO stage_history (opportunity_id, stage, entered_at, crm_stage, stage_order)
        WITH reached AS (
          SELECT opportunity_id, created_date, close_date, status, j,
                 CASE WHEN status = 'won' THEN 4 WHEN stage = 'lost' THEN 1 ELSE stage_order END AS top
          FROM gen
        ), steps AS (
          SELECT r.*, unnest(range(1, top + 1)) AS k FROM reached r
        )
        SELECT opportunity_id, s.stage,
               CAST(created_date + CAST(floor((k - 1) * GREATEST(0, LEAST(date_diff('day', created_date,
                    LEAST(close_date, DATE '{TODAY}')), 400)) / 4.0) AS INTEGER) AS TIMESTAMP)
                 + INTERVAL (k - 1) HOUR,  -- strictly increasing per deal: the order of stays is never a tie
               {mapped}[s.stage], k
        FROM steps JOIN stages s ON s.stage_order = k
        UNION ALL
        SELECT opportunity_id, status, CAST(close_date AS TIMESTAMP), {mapped}[status],
               CASE status WHEN 'won' THEN 5 ELSE 0 END
        FROM gen WHERE status IN ('won', 'lost')
    """)


def _activities(con, n_opportunities: int, n_activities: int) -> None:
    """Activities: 70 % on an opportunity (its owner, account, segment, between its creation and close),
    the rest prospecting calls and e-mails of a rep on a random day."""
    today = TODAY.isoformat()
    con.execute(f"""
        INSERT INTO activities (activity_id, date, owner, type, account, segment, opportunity_id,
                                duration_minutes, outcome)
        WITH a AS (
          SELECT i, u(i, 40) < 0.7 AS linked, (hash(i, 41) % {n_opportunities}) AS j,
                 {_sql_list(ACTIVITY_TYPES)}[1 + LEAST(5, floor(u(i, 42) * u(i, 42) * 6.2))::INTEGER] AS type
          FROM range({n_activities}) t(i)
        )
        SELECT 'ACT-' || lpad(i::VARCHAR, 9, '0'),
               CASE WHEN linked THEN CAST(LEAST(DATE '{today}', opp_created(j) + (u(i, 43) * opp_cycle(j))::INTEGER)
                                          AS TIMESTAMP)
                    ELSE CAST(DATE '{FIRST_DAY}' + (u(i, 44) * {HISTORY_DAYS - 1})::INTEGER AS TIMESTAMP) END
                 + INTERVAL (8 * 60 + (hash(i, 45) % 600)) MINUTE,
               CASE WHEN linked THEN opp_owner(j) ELSE pick({_sql_list(REPS)}, i, 46) END,
               type,
               CASE WHEN linked THEN opp_account(j) ELSE 'Société ' || (hash(i, 47) % 40000)::VARCHAR END,
               CASE WHEN linked THEN opp_segment(j) ELSE opp_segment(i + 7919) END,
               CASE WHEN linked THEN 'OPP-' || lpad(j::VARCHAR, 8, '0') END,
               CASE WHEN u(i, 48) < 0.05 THEN NULL
                    ELSE (CASE type WHEN 'call' THEN 5 WHEN 'email' THEN 3 WHEN 'meeting' THEN 45
                          WHEN 'video meeting' THEN 30 WHEN 'demo' THEN 60 ELSE 15 END) * (0.5 + u(i, 49)) END,
               CASE WHEN u(i, 50) < 0.2 THEN 'Décideur joint' WHEN u(i, 50) < 0.6 THEN 'Pas de réponse'
                    ELSE 'Rappeler' END
        FROM a
    """)


# --- CRM-style exports ---------------------------------------------------------------------------------------

EXPORT_HEADERS = {  # canonical column -> the French Salesforce-like header of the export
    "opportunity_id": "ID de l'opportunité",
    "name": "Nom de l'opportunité",
    "account": "Nom du compte",
    "owner": "Propriétaire de l'opportunité",
    "segment": "Segment",
    "source": "Origine de la piste",
    "crm_stage": "Étape",
    "amount": "Montant",
    "probability": "Probabilité (%)",
    "created_date": "Date de création",
    "close_date": "Date de clôture",
    "margin": "Marge",
    "lost_reason": "Raison de la perte",
    "region": "Région",
    "product": "Produit",
}


def opportunities_export(n: int) -> pd.DataFrame:
    """n opportunities as a CRM exports them: French headers, the CRM's stage names, typed values
    (floats, dates, probability in percent) ready to be written as CSV or xlsx."""
    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    store.init_schema(con)
    _macros(con)
    # A CRM without a status column says "lost" through the stage: the export's stage of a lost deal is "Perdue".
    cols = ", ".join(f"{store.quote(c)}" for c in EXPORT_HEADERS if c != "crm_stage")
    frame = con.execute(
        f"SELECT {cols}, CASE WHEN status = 'lost' THEN '{CRM_STAGES['lost']}' ELSE crm_stage END AS crm_stage"
        f" FROM ({_opportunities_sql(n)}) ORDER BY j").fetchdf()
    frame = frame[list(EXPORT_HEADERS)]
    con.close()
    frame["probability"] = (frame["probability"] * 100).round(0)
    return frame.rename(columns=EXPORT_HEADERS)


def write_french_csv(frame: pd.DataFrame, path: Path) -> Path:
    """The export as a French Excel/CRM writes it: ';', decimal commas, spaces between thousands,
    dd/mm/yyyy dates, "50 %" probabilities, UTF-8 with a BOM."""
    out = pd.DataFrame(index=frame.index)
    for header in frame.columns:
        col = frame[header]
        if header in (EXPORT_HEADERS["amount"], EXPORT_HEADERS["margin"]):
            text = col.map(lambda v: "" if pd.isna(v) else f"{v:,.2f}")
            out[header] = text.str.replace(",", " ", regex=False).str.replace(".", ",", regex=False)
        elif header == EXPORT_HEADERS["probability"]:
            out[header] = col.map(lambda v: "" if pd.isna(v) else f"{int(v)} %")
        elif pd.api.types.is_datetime64_any_dtype(col):
            out[header] = col.dt.strftime("%d/%m/%Y")
        elif header in (EXPORT_HEADERS["created_date"], EXPORT_HEADERS["close_date"]):
            out[header] = pd.to_datetime(col).dt.strftime("%d/%m/%Y")
        else:
            out[header] = col
    out.to_csv(path, sep=";", index=False, encoding="utf-8-sig")
    return path


def write_xlsx(frame: pd.DataFrame, path: Path) -> Path:
    """The export as an xlsx workbook with typed cells (numbers, dates), one sheet, written by openpyxl."""
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Opportunités")
    ws.append(list(frame.columns))
    date_cols = {EXPORT_HEADERS["created_date"], EXPORT_HEADERS["close_date"]}
    columns = []
    for header in frame.columns:
        col = frame[header]
        if header in date_cols:
            columns.append([None if pd.isna(v) else v.date() if hasattr(v, "date") else v
                            for v in pd.to_datetime(col)])
        else:
            columns.append([None if pd.isna(v) else v for v in col.tolist()])
    for row in zip(*columns):
        ws.append(row)
    wb.save(path)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", type=Path, help="workspace file to write (.duckdb)")
    parser.add_argument("--opportunities", type=int, default=1_000_000)
    parser.add_argument("--activities", type=int, default=5_000_000)
    args = parser.parse_args()
    build_workspace(args.path, args.opportunities, args.activities)


if __name__ == "__main__":
    main()
