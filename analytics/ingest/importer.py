"""File -> workspace: plan each sheet (which table, which column is which), then import in one transaction.

The page and the command line go through the same two steps:
  plans = plan_file(con, name, data)        # read + recognise; the page lets the user change the plans
  report = run_import(con, plans, ...)      # clean in DuckDB, check, store, all or nothing
Cleaning runs as SQL over the raw text (see clean.py); only decisions and small value maps (stages, statuses,
activity types, periods) are made in Python, on distinct values.
"""
from __future__ import annotations

import itertools
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from typing import Callable

import pandas as pd

from analytics.ingest import clean, mapping, quality
from analytics import store, timeline
from analytics.ingest.problems import ImportProblem, Note
from analytics.measures import derived
from analytics.ingest.read import RawSheet, read_file
from analytics.schema import STAGE_BY_KEY, STAGES, TABLES, columns
from analytics.store import quote

Progress = Callable[[float, str], None]

_BAD_VALUE_KEYS = {
    "amount": "problem.bad_amount",
    "probability": "problem.bad_probability",
    "date": "problem.bad_date",
    "timestamp": "problem.bad_date",
    "boolean": "problem.bad_boolean",
}
_SAMPLE = 5000
SAMPLE_ROWS = 300  # rows whose values content recognition reads (recognise.SAMPLE)
_names = itertools.count(1)


@dataclass
class SheetPlan:
    """What one sheet holds and how its headers map to the canonical columns; the page may edit it."""

    raw: RawSheet
    table: str | None
    table_confidence: float
    mapping: dict[str, str]  # header -> canonical column
    confidence: dict[str, float] = field(default_factory=dict)  # header -> 0..1
    from_saved: bool = False
    edited: bool = False  # the user changed the mapping by hand: it wins over automatic ones when saved

    @property
    def label(self) -> str:
        return f"{self.raw.file} / {self.raw.sheet}" if self.raw.sheet else self.raw.file

    @property
    def signature(self) -> str:
        return mapping.header_signature(self.raw.headers)

    def header_for(self, column: str) -> str | None:
        return next((h for h, c in self.mapping.items() if c == column), None)


@dataclass
class ImportReport:
    counts: dict[str, int]
    notes: list[Note]
    snapshot_id: int | None
    snapshot_date: date | None
    quality: pd.DataFrame | None  # None: not computed yet (run_import's check_quality=False)
    latest_date: date | None = None  # the latest day the snapshot's deals were created or closed on (its figures)


def plan_sheet(con, raw: RawSheet, table: str | None = None) -> SheetPlan:
    """The saved mapping when this header set was imported before, else the automatic one."""
    saved = store.load_column_mapping(con, mapping.header_signature(raw.headers))
    if saved and (table is None or saved[0] == table):
        kept = {h: c for h, c in saved[1].items() if h in raw.headers}
        return SheetPlan(raw, saved[0], 1.0, kept, {h: 1.0 for h in kept}, from_saved=True)
    confidence = 1.0
    if table is None:
        table, confidence = mapping.guess_table(raw.headers, raw.sheet, samples(raw), raw.table.num_rows)
    if table is None:
        return SheetPlan(raw, None, 0.0, {})
    return plan_with_table(raw, table, confidence)


def samples(raw: RawSheet) -> dict[str, list]:
    """header -> its first cells as text: what content recognition looks at."""
    head = raw.table.slice(0, SAMPLE_ROWS)
    return {h: head.column(h).to_pylist() for h in raw.headers}


def plan_with_table(raw: RawSheet, table: str, table_confidence: float = 1.0) -> SheetPlan:
    matches = mapping.match_columns(raw.headers, table, samples(raw), raw.table.num_rows)
    return SheetPlan(
        raw, table, table_confidence,
        {m.header: m.column for m in matches if m.column},
        {m.header: m.confidence for m in matches},
    )


def missing_columns(plan: SheetPlan) -> list[str]:
    """The required columns of the plan's table that no header is mapped to (an opportunity id is not
    required: it is derived when the export has none)."""
    if plan.table is None:
        return []
    derivable = {"opportunity_id"} if plan.table == "opportunities" else set()
    return [c.name for c in columns(plan.table)
            if c.required and c.name not in plan.mapping.values() and c.name not in derivable]


def fill_candidates(plan: SheetPlan, column: str) -> list[str]:
    """Headers that could fill a column no header is mapped to, the likeliest first (header or values speak
    for it a little, below the confidence that maps a column on its own)."""
    cands = mapping.candidates(plan.raw.headers, plan.table, samples(plan.raw), plan.raw.table.num_rows)
    scored = sorted(((c.get(column, 0.0), i) for i, c in enumerate(cands) if c.get(column, 0.0) > 0.2),
                    reverse=True)
    return [plan.raw.headers[i] for _, i in scored][:3]


def doubled_fields(plan: SheetPlan) -> list[str]:
    """Fields given to more than one header (a won date and a lost date may share closed_date)."""
    headers_by_field: dict[str, list[str]] = {}
    for header, column in plan.mapping.items():
        headers_by_field.setdefault(column, []).append(header)
    out = []
    for column, headers in headers_by_field.items():
        pair = column == "closed_date" and len(headers) == 2 and sum(map(mapping.lost_date_header, headers)) == 1
        if len(headers) > 1 and not pair:
            out.append(column)
    return out


def plan_file(con, name: str, data: bytes) -> list[SheetPlan]:
    """Read a file and plan each of its sheets. Raises ImportProblem for a file that cannot be read."""
    with ThreadPoolExecutor(1) as pool:  # hashing a large file releases the GIL: done while the file is read
        digest = pool.submit(store.content_hash, data)
        sheets = read_file(name, data)
    for raw in sheets:
        raw.digest = digest.result()
    return [plan_sheet(con, raw) for raw in sheets]


def already_imported(con, plans: list[SheetPlan]) -> list[dict]:
    """The files of this upload that hold deals and were imported before with the same content:
    [{file, file_name (as it was then), snapshot_date, imported_at}], one per file.

    Only files with an opportunities sheet: a reps or targets file sent unchanged every week replaces its
    own rows by key, harmlessly; the same export of deals twice would make a snapshot of last week's deals."""
    out, seen = [], set()
    for plan in plans:
        digest = plan.raw.digest
        if plan.table != "opportunities" or not digest or digest in seen:
            continue
        seen.add(digest)
        earlier = store.imported_file(con, digest)
        if earlier:
            out.append({"file": plan.raw.file, **earlier})
    return out


PART_DIMENSIONS = ("owner", "team", "region")
# One row per rep (a reps table uploaded twice with a changed team must not double a deal in a join).
_ONE_REP = "_one_rep AS (SELECT owner, any_value(team) AS team, any_value(region) AS region FROM reps GROUP BY owner)"


def missing_parts(con, plans: list[SheetPlan], snapshot_date: date | None) -> list[dict]:
    """The reps, teams and regions of the previous snapshot that an upload on a new date does not hold:
    [{dimension: owner|team|region, value, deals, open_amount}] (deals of the previous snapshot, and their
    open amount). Empty when the date already has a snapshot (the upload adds to it) or has none before it.

    A team or region is held when one deal of the upload is in it (the rep's team and region from the reps
    table; the deal's own region first when the file gives one)."""
    opp = [p for p in plans if p.table == "opportunities" and p.header_for("owner")]
    if not opp or snapshot_date is None or any(d == snapshot_date for _, d in store.snapshots(con)):
        return []
    previous = store.previous_snapshot(con, snapshot_date)
    if previous is None:
        return []
    pairs: set[tuple] = set()
    for plan in opp:
        name = f"_parts_{next(_names)}"
        con.register(name, plan.raw.table)
        region_h = plan.header_for("region")
        region = clean.text_sql(quote(region_h)) if region_h else "NULL::VARCHAR"
        try:
            pairs |= set(con.execute(
                f"SELECT DISTINCT {clean.text_sql(quote(plan.header_for('owner')))}, {region} FROM {name}").fetchall())
        finally:
            con.unregister(name)
    uploaded = pd.DataFrame(sorted(pairs, key=str), columns=["owner", "region"]).astype(object)
    name = f"_up_{next(_names)}"
    con.register(name, uploaded)
    try:
        rows = con.execute(
            f"WITH {_ONE_REP}, prev AS (SELECT o.owner, r.team, coalesce(o.region, r.region) AS region, o.status, o.amount"
            "  FROM opportunities o LEFT JOIN _one_rep r ON r.owner = o.owner WHERE o.snapshot_id = $sid),"
            f" up AS (SELECT u.owner, r.team, coalesce(u.region, r.region) AS region FROM {name} u"
            "  LEFT JOIN _one_rep r ON r.owner = u.owner),"
            " gone AS ("
            "  SELECT 'owner' AS dimension, owner AS value, status, amount FROM prev"
            "   WHERE owner IS NOT NULL AND owner NOT IN (SELECT owner FROM up WHERE owner IS NOT NULL)"
            "  UNION ALL SELECT 'team', team, status, amount FROM prev"
            "   WHERE team IS NOT NULL AND team NOT IN (SELECT team FROM up WHERE team IS NOT NULL)"
            "  UNION ALL SELECT 'region', region, status, amount FROM prev"
            "   WHERE region IS NOT NULL AND region NOT IN (SELECT region FROM up WHERE region IS NOT NULL))"
            " SELECT dimension, value, count(*) AS deals, sum(amount) FILTER (WHERE status = 'open') AS open_amount"
            " FROM gone GROUP BY dimension, value", {"sid": previous[0]}).fetchall()
    finally:
        con.unregister(name)
    order = {d: i for i, d in enumerate(PART_DIMENSIONS)}
    parts = [{"dimension": d, "value": v, "deals": int(n), "open_amount": None if a is None else float(a)}
             for d, v, n, a in rows]
    return sorted(parts, key=lambda p: (order[p["dimension"]], str(p["value"])))


def _parts_params(parts: list[dict]) -> dict:
    """The message parameters naming the missing parts: owners, teams, regions ('—' when none)."""
    return {f"{d}s": ", ".join(str(p["value"]) for p in parts if p["dimension"] == d) or "—" for d in PART_DIMENSIONS}


def _carry_over(con, parts: list[dict], previous_id: int, snapshot_id: int) -> int:
    """Copy into the new snapshot the previous snapshot's deals of the missing parts (reps, teams, regions)
    that the upload does not hold again; the number of deals carried over."""
    values = {d: [p["value"] for p in parts if p["dimension"] == d] for d in PART_DIMENSIONS}
    cols = ", ".join(quote(c) for c in _stored_columns("opportunities"))
    pick = ", ".join(f"o.{quote(c)}" for c in _stored_columns("opportunities"))
    carried = con.execute(
        f"INSERT INTO opportunities (snapshot_id, {cols}) WITH {_ONE_REP} SELECT $new, {pick}"
        " FROM opportunities o LEFT JOIN _one_rep r ON r.owner = o.owner"
        " WHERE o.snapshot_id = $prev AND (list_contains($owners, o.owner) OR list_contains($teams, r.team)"
        "  OR list_contains($regions, coalesce(o.region, r.region)))"
        "  AND o.opportunity_id NOT IN (SELECT opportunity_id FROM opportunities WHERE snapshot_id = $new)"
        " RETURNING 1",
        {"new": snapshot_id, "prev": previous_id, "owners": values["owner"], "teams": values["team"],
         "regions": values["region"]}).fetchall()
    return len(carried)


SURE = 0.8  # a stage mapping below this confidence is shown and must be confirmed before it is imported
FROM_DATA = 0.7  # the confidence of a stage placed by the file's own probabilities (still to confirm)


def stage_values(con, plans: list[SheetPlan]) -> pd.DataFrame:
    """The CRM stage names found in the opportunities sheets, with the mapping proposed for each:
    the workspace's saved one, else a suggestion. (A status column, when there is one, sets each row's status
    at import; the status proposed here serves files without one.)

    A name the words do not place surely is placed by the file's own probabilities (`stage_by_probability`):
    "Final talks" at 90 % sits with the negotiation, whatever its words. Columns: crm_stage, count, stage,
    status, confidence, saved, probability (the file's mean for that name, NaN without a probability column)."""
    saved = store.load_stage_mapping(con)
    counted = _stage_counts(con, plans, with_probability=False)
    proposals = {crm_stage: (saved[crm_stage] + (1.0, True)) if crm_stage in saved
                 else (*mapping.suggest_stage(crm_stage, None), False) for crm_stage in counted}
    # The file's probabilities are read (a pass over every row) only when a name is neither saved nor sure:
    # a weekly export whose stages are all known costs no more than before.
    if any(not from_saved and conf < SURE for _, _, conf, from_saved in proposals.values()):
        counted = _stage_counts(con, plans, with_probability=True)
    out = []
    for crm_stage, (n, p_sum, p_count) in counted.items():
        stage, status, conf, from_saved = proposals[crm_stage]
        out.append({"crm_stage": crm_stage, "count": n, "stage": stage, "status": status, "confidence": conf,
                    "saved": from_saved, "probability": p_sum / p_count if p_count else float("nan")})
    cols = ["crm_stage", "count", "stage", "status", "confidence", "saved", "probability"]
    frame = pd.DataFrame(out, columns=cols)
    frame = stage_by_probability(frame)
    frame = _stage_by_history(con, plans, frame)
    # In funnel order (lost last), the most frequent first within a stage: how a manager reads a pipeline.
    order = frame["stage"].map(lambda k: STAGE_BY_KEY[k].order or 99 if k in STAGE_BY_KEY else 100)
    return (frame.assign(_order=order).sort_values(["_order", "count"], ascending=[True, False])
            .drop(columns="_order").reset_index(drop=True))


def _stage_counts(con, plans: list[SheetPlan], with_probability: bool) -> dict[str, tuple[int, float, int]]:
    """CRM stage name (folded as `_stage` matches it) -> (rows, sum of the cleaned probabilities, rows with
    one) over the sheets holding a stage; the probability sums are 0 unless with_probability."""
    out: dict[str, tuple[int, float, int]] = {}
    for plan in plans:
        stage_h = plan.header_for("stage") if plan.table in ("opportunities", "stage_history") else None
        if not stage_h:
            continue
        name = f"_stages_{next(_names)}"
        con.register(name, plan.raw.table)
        stage_sql = clean.text_sql(quote(stage_h))
        prob_h = plan.header_for("probability") if plan.table == "opportunities" and with_probability else None
        try:
            prob_sql = _probability_expr(con, plan, name, prob_h) if prob_h else "NULL::DOUBLE"
            counts = con.execute(
                f"SELECT {stage_sql}, count(*), sum({prob_sql}), count({prob_sql}) FROM {name}"
                f" WHERE {stage_sql} IS NOT NULL GROUP BY 1").fetchall()
        finally:
            con.unregister(name)
        for crm_stage, n, p_sum, p_count in counts:
            before = out.get(crm_stage, (0, 0.0, 0))
            out[crm_stage] = (before[0] + int(n), before[1] + float(p_sum or 0.0), before[2] + int(p_count or 0))
    return out


def _probability_expr(con, plan: SheetPlan, name: str, header: str) -> str:
    """The cleaned probability (0..1) of a registered raw sheet, as the import reads it (`_stage`)."""
    decimal_comma = plan.raw.decimal_comma
    if decimal_comma is None:
        values = [r[0] for r in con.execute(
            f"SELECT {quote(header)} FROM {name} WHERE {quote(header)} IS NOT NULL LIMIT 500").fetchall()]
        decimal_comma = clean.guess_decimal_comma(values)
    top = con.execute(f"SELECT max({clean.number_sql(quote(header), decimal_comma)}) FROM {name}"
                      f" WHERE strpos({quote(header)}, '%') = 0").fetchall()[0][0]
    return clean.probability_sql(quote(header), decimal_comma, clean.percent_scale([top]))


def stage_by_probability(frame: pd.DataFrame) -> pd.DataFrame:
    """Stage names the words do not place surely (confidence below SURE, not saved), placed by the file's
    mean probability for them: the open stage whose own probability is nearest. An open stage's probability
    is the file's mean over the names surely mapped to it, else its default (schema.STAGES: 10, 25, 50,
    75 %); a name at 100 % is won. A name at 0 % (lost? new?) is left to its words. The placed names keep a
    confidence below SURE (FROM_DATA): they are shown, ordered right, and still confirmed by the user.

    frame: stage_values' columns (crm_stage, count, stage, status, confidence, saved, probability)."""
    sure = frame[(frame["confidence"] >= SURE) & frame["probability"].notna()]
    reference = {}
    for s in STAGES:
        if s.status != "open":
            continue
        mine = sure[sure["stage"] == s.key]
        weights = mine["count"].sum()
        reference[s.key] = (float((mine["probability"] * mine["count"]).sum() / weights) if weights
                            else s.default_probability)
    out = frame.copy()
    for i, row in frame.iterrows():
        p = row["probability"]
        if row["saved"] or row["confidence"] >= SURE or p != p or p <= 0:
            continue
        if p >= 1:
            stage = "won"
        else:
            # nearest reference; on a tie the later stage (a deal at 62.5 % between 50 and 75 is well advanced)
            stage = min(reference, key=lambda k: (abs(reference[k] - p), -STAGE_BY_KEY[k].order))
        out.at[i, "stage"] = stage
        out.at[i, "status"] = STAGE_BY_KEY[stage].status
        out.at[i, "confidence"] = max(FROM_DATA, float(row["confidence"]))
    return out


def _stage_by_history(con, plans: list[SheetPlan], frame: pd.DataFrame) -> pd.DataFrame:
    """Stage names still unsure (no probability placed them) placed by the stage history of the upload: where
    deals enter them, between the surely named stages they come from and go to (the open stage after the one
    they come from, unless that is where they go: "Premier appel" between Prospection and Proposition is the
    qualification, "Final talks" between Proposition and Gagnée the negotiation). The most frequent placement
    wins; the confidence stays below SURE (FROM_DATA): still confirmed by the user."""
    placeable = frame[~frame["saved"] & (frame["confidence"] < SURE) & frame["probability"].isna()]
    sure = {r.crm_stage: STAGE_BY_KEY[r.stage].order for r in frame.itertuples()
            if (r.saved or r.confidence >= SURE) and r.stage in STAGE_BY_KEY and r.stage != "lost"}
    history = [p for p in plans if p.table == "stage_history"
               and all(p.header_for(c) for c in ("opportunity_id", "stage", "entered_at"))]
    if placeable.empty or not sure or not history:
        return frame
    votes: dict[str, dict[int, int]] = {}
    known = pd.DataFrame({"crm_stage": list(sure), "o": list(sure.values())}).astype({"crm_stage": object})
    for plan in history:
        raw_name, known_name = f"_hist_{next(_names)}", f"_known_{next(_names)}"
        con.register(raw_name, plan.raw.table)
        con.register(known_name, known)
        try:
            when = _date_expr(con, plan.raw, raw_name, plan.header_for("entered_at"), [], {})
            rows = con.execute(
                f"WITH h AS (SELECT {clean.text_sql('r.' + quote(plan.header_for('opportunity_id')))} AS oid,"
                f"  {clean.text_sql('r.' + quote(plan.header_for('stage')))} AS crm, {when} AS ts, r._row"
                f"  FROM {raw_name} r),"
                f" k AS (SELECT h.*, m.o FROM h LEFT JOIN {known_name} m ON m.crm_stage = h.crm),"
                " w AS (SELECT crm, o,"
                "  last_value(o IGNORE NULLS) OVER (PARTITION BY oid ORDER BY ts, _row"
                "   ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS prev,"
                "  first_value(o IGNORE NULLS) OVER (PARTITION BY oid ORDER BY ts, _row"
                "   ROWS BETWEEN 1 FOLLOWING AND UNBOUNDED FOLLOWING) AS nxt FROM k)"
                " SELECT crm, prev, nxt, count(*) FROM w WHERE o IS NULL AND crm IS NOT NULL"
                " AND (prev IS NOT NULL OR nxt IS NOT NULL) GROUP BY ALL").fetchall()
        finally:
            con.unregister(raw_name)
            con.unregister(known_name)
        for crm, prev, nxt, n in rows:
            if prev is not None:
                placed = prev if nxt is not None and prev + 1 >= nxt else prev + 1
            else:
                placed = nxt - 1
            placed = min(max(int(placed), 1), 4)  # an open stage: lead 1 .. negotiation 4
            votes.setdefault(crm, {}).setdefault(placed, 0)
            votes[crm][placed] += int(n)
    by_order = {s.order: s.key for s in STAGES if s.status == "open"}
    out = frame.copy()
    for i, row in placeable.iterrows():
        if row["crm_stage"] in votes:
            order = max(votes[row["crm_stage"]].items(), key=lambda kv: (kv[1], kv[0]))[0]
            out.at[i, "stage"], out.at[i, "status"] = by_order[order], "open"
            out.at[i, "confidence"] = max(FROM_DATA, float(row["confidence"]))
    return out


def unsure_stages(stages: pd.DataFrame, confirmed: dict | None = None) -> list[str]:
    """The stage names whose mapping is below SURE, not saved before and not given by the user: the ones an
    import must not take without a confirmation."""
    confirmed = confirmed or {}
    return [r.crm_stage for r in stages.itertuples()
            if r.confidence < SURE and not r.saved and r.crm_stage not in confirmed]


# --- cleaning ------------------------------------------------------------------------------------

@dataclass
class _Staged:
    plan: SheetPlan
    name: str  # temp table holding the cleaned rows (once materialised)
    rows: int
    notes: list[Note]
    # The cleaning SELECT while its rows are not materialised: an opportunities sheet whose ids are all given
    # and distinct is cleaned straight into `opportunities` (one write of the cleaned rows instead of two).
    select: str | None = None
    checks: list[tuple[str, str, str]] = field(default_factory=list)  # (clean column, header, problem key)
    raw_name: str = ""


def _sample(con, raw_name: str, header: str) -> list[str]:
    q = quote(header)
    sql = f"SELECT {q} FROM {raw_name} WHERE {q} IS NOT NULL LIMIT {_SAMPLE}"
    return [r[0] for r in con.execute(sql).fetchall()]


def _value_map(con, name: str, frame: pd.DataFrame, registered: list[str]) -> str:
    con.register(name, frame)
    registered.append(name)
    return name


def _stage(con, plan: SheetPlan, stage_map: dict[str, tuple[str, str]], registered: list[str],
           rates: dict[str, float]) -> _Staged:
    """Clean one sheet into a temp table and check it (an opportunities sheet with every id given once: its
    cleaning SELECT, run by `_insert`). The views it registers are listed in `registered`, for the caller to
    drop once the sheet is stored."""
    raw = plan.raw
    uid = next(_names)
    raw_name = _value_map(con, f"_raw_{uid}", raw.table, registered)
    where = {"file": raw.file, "sheet": raw.sheet}
    notes: list[Note] = []

    decimal_comma = raw.decimal_comma
    if decimal_comma is None:
        values = [v for h, c in plan.mapping.items() if c in ("amount", "quota_amount", "margin")
                  for v in _sample(con, raw_name, h)[:500]]
        decimal_comma = clean.guess_decimal_comma(values)

    selects = ["r._row AS _row"]
    # Opportunities and stage history are cleaned in two nested SELECTs: their bad-cell flags are computed in
    # the outer one from the cleaned value (the inner one only says the cell was given), so each cleaning
    # expression runs once per cell instead of twice.
    wrapped = plan.table in ("opportunities", "stage_history")
    joins = []
    checks: list[tuple[str, str, str]] = []  # (clean column, header, problem key)
    for col in columns(plan.table):
        header = plan.header_for(col.name)
        if header is None:
            if col.name == "status" and plan.table == "opportunities":
                selects.append("ms.status AS status")
            elif col.name == "stage" and plan.table in ("opportunities", "stage_history"):
                selects.append("NULL::VARCHAR AS stage")
            else:
                selects.append(f"NULL AS {quote(col.name)}")
            continue
        ref = f"r.{quote(header)}"
        kind = col.kind
        if col.name in ("stage",) and plan.table in ("opportunities", "stage_history"):
            selects.append(f"ms.stage AS stage, {clean.text_sql(ref)} AS crm_stage")
            joins.append(f"LEFT JOIN {_value_map(con, f'_ms_{uid}', _stage_frame(stage_map), registered)} ms"
                         f" ON ms.crm_stage = {clean.text_sql(ref)}")
            continue
        if col.name == "status" and plan.table == "opportunities":
            distinct = [r[0] for r in con.execute(
                f"SELECT DISTINCT {clean.text_sql(quote(header))} FROM {raw_name}").fetchall() if r[0]]
            frame = pd.DataFrame({"value": distinct, "status": [mapping.suggest_status(v) for v in distinct]},
                                 columns=["value", "status"]).astype({"value": object, "status": object})
            joins.append(f"LEFT JOIN {_value_map(con, f'_mst_{uid}', frame, registered)} mst ON mst.value = {clean.text_sql(ref)}")
            selects.append("coalesce(mst.status, ms.status) AS status")
            continue
        if col.name == "type" and plan.table == "activities":
            distinct = [r[0] for r in con.execute(
                f"SELECT DISTINCT {clean.text_sql(quote(header))} FROM {raw_name}").fetchall() if r[0]]
            frame = pd.DataFrame({"value": distinct, "type": [mapping.normalize_activity_type(v) for v in distinct]},
                                 columns=["value", "type"]).astype(object)
            joins.append(f"LEFT JOIN {_value_map(con, f'_mt_{uid}', frame, registered)} mt ON mt.value = {clean.text_sql(ref)}")
            selects.append("mt.type AS type")
            continue
        if col.name == "period":
            distinct = [r[0] for r in con.execute(
                f"SELECT DISTINCT {clean.text_sql(quote(header))} FROM {raw_name}").fetchall() if r[0]]
            parsed = {v: clean.parse_period(v) for v in distinct}
            bad = [v for v, p in parsed.items() if p is None]
            if bad:
                rows = [r[0] for r in con.execute(
                    f"SELECT _row FROM {raw_name} WHERE {clean.text_sql(quote(header))} = ? ORDER BY _row LIMIT 10",
                    [bad[0]]).fetchall()]
                raise ImportProblem("problem.bad_period", column=header, rows=rows, value=bad[0], **where)
            frame = pd.DataFrame(
                {"value": list(parsed), "ps": [p[0] for p in parsed.values()], "pe": [p[1] for p in parsed.values()]})
            frame["value"] = frame["value"].astype(object)
            joins.append(f"LEFT JOIN {_value_map(con, f'_mp_{uid}', frame, registered)} mp ON mp.value = {clean.text_sql(ref)}")
            selects.append(f"{clean.text_sql(ref)} AS period, mp.ps AS period_start, mp.pe AS period_end")
            continue
        if kind == "text":
            expr = clean.text_sql(ref)
        elif kind == "amount":
            expr = (clean.minutes_sql(ref, decimal_comma) if col.name == "duration_minutes"
                    else clean.number_sql(ref, decimal_comma))
        elif kind == "probability":
            top = con.execute(
                f"SELECT max({clean.number_sql(quote(header), decimal_comma)}) FROM {raw_name}"
                f" WHERE strpos({quote(header)}, '%') = 0").fetchall()[0][0]
            expr = clean.probability_sql(ref, decimal_comma, clean.percent_scale([top]))
        elif kind in ("date", "timestamp"):
            expr = _date_expr(con, raw, raw_name, header, notes, where, timestamp=kind == "timestamp")
        elif kind == "boolean":
            expr = clean.boolean_sql(ref)
        else:  # pragma: no cover - schema kinds are closed
            raise ValueError(kind)
        selects.append(f"{expr} AS {quote(col.name)}")
        if kind != "text":
            # A flag, not a copy of the raw text: the bad cells' text is read back from the raw view if needed.
            selects.append(_flag_select(expr, header, col.name, wrapped))
            checks.append((col.name, header, _BAD_VALUE_KEYS[kind]))

    closed = [h for h, c in plan.mapping.items() if c == "closed_date"] if plan.table == "opportunities" else []
    lost_header = next((h for h in closed if mapping.lost_date_header(h)), None) if len(closed) == 2 else None
    if lost_header:
        # "Won time" and "Lost time": the closed date of a lost deal is read from the lost column.
        won_header = next(h for h in closed if h != lost_header)
        drop = (f"AS {quote('closed_date')}", f"AS {quote('bad:closed_date')}", f"AS {quote('given:closed_date')}")
        selects = [x for x in selects if not x.endswith(drop)]
        for h, alias in ((won_header, "closed_date"), (lost_header, "closed_date_lost")):
            expr = _date_expr(con, raw, raw_name, h, notes, where)
            selects.append(f"{expr} AS {quote(alias)}")
            selects.append(_flag_select(expr, h, alias, wrapped))
        checks = [c for c in checks if c[0] != "closed_date"]
        checks += [("closed_date", won_header, "problem.bad_date"), ("closed_date_lost", lost_header, "problem.bad_date")]
    if plan.table == "opportunities":
        currency_header = plan.header_for("currency")
        selects.append(f"{currency_sql(f'r.{quote(currency_header)}')} AS currency" if currency_header
                       else "NULL::VARCHAR AS currency")
    cleaned = f"SELECT {', '.join(selects)} FROM {raw_name} r {' '.join(joins)}"
    if plan.table == "opportunities":
        # A status column that says won: the deal went through every stage, whichever it was last seen in.
        stage = ("CASE WHEN c.status = 'won' THEN 'won' WHEN c.status = 'lost' AND c.stage IS NULL THEN 'lost'"
                 " ELSE c.stage END")
    else:
        stage = "c.stage"
    replaced_id = added = ""
    if plan.table == "opportunities":
        # Rows carry their gaps: an unreadable cell is left NULL and its column listed in bad_values (the
        # quality report counts them, the KPIs leave the value out), never a refusal of the whole file.
        flags = ", ".join(f"CASE WHEN {_bad_sql(column)} THEN '{column}' END" for column, _, _ in checks)
        # The string is built only on rows with a bad cell (a boolean OR costs little on a million rows).
        any_bad = " OR ".join(_bad_sql(column) for column, _, _ in checks)
        bad_values = f"CASE WHEN {any_bad} THEN concat_ws(',', {flags}) END" if checks else "NULL::VARCHAR"
        key, parts = derived_key_sql(plan)
        replaced_id = f", CASE WHEN c.opportunity_id IS NULL THEN {key} ELSE c.opportunity_id END AS opportunity_id"
        added = f"{bad_values} AS bad_values, c.opportunity_id IS NULL AS key_derived, "
        if plan.header_for("opportunity_id") is None:
            notes.append(Note("note.derived_key", **where, params={"parts": " + ".join(parts)}))
    if plan.table in ("opportunities", "stage_history"):
        if lost_header:
            replaced_id += (", CASE WHEN c.status = 'lost' THEN coalesce(c.closed_date_lost, c.closed_date)"
                            " ELSE coalesce(c.closed_date, c.closed_date_lost) END AS closed_date")
        if plan.header_for("currency"):
            # Amounts in another currency than the workspace's: converted with the rate given, else counted but
            # not valued (NULL); the amount as written is kept in amount_original.
            ws_currency = store.workspace_currency(con)
            rate_frame = pd.DataFrame({"currency": [k.upper() for k in rates], "rate": [float(v) for v in rates.values()]},
                                      columns=["currency", "rate"]).astype({"currency": object, "rate": float})
            rate_view = _value_map(con, f"_rates_{uid}", rate_frame, registered)
            factor = (f"CASE WHEN c.currency IS NULL OR c.currency = '{ws_currency}' THEN 1"
                      f" ELSE (SELECT rate FROM {rate_view} WHERE currency = c.currency) END")
            replaced_id += (f", CAST(c.amount * {factor} AS DECIMAL(18,2)) AS amount,"
                            f" CAST(c.margin * {factor} AS DECIMAL(18,2)) AS margin")
            added += (f"CASE WHEN c.currency IS NOT NULL AND c.currency <> '{ws_currency}' THEN c.amount END"
                      " AS amount_original, ")
            _currency_notes(con, raw_name, currency_sql(f"{quote(plan.header_for('currency'))}"), ws_currency,
                            rates, notes, where)
        else:
            added += "NULL::DECIMAL(18,2) AS amount_original, "
        given = [quote('given:' + column) for column, _, _ in checks]
        exclude = f" EXCLUDE ({', '.join((['closed_date_lost'] if lost_header else []) + given)})" if lost_header or given else ""
        bad_flags = "".join(f"{_bad_sql(column)} AS {quote('bad:' + column)}, " for column, _, _ in checks)
        # The stage order of the workspace's stages table, as a CASE over the canonical stage keys (code
        # constants): the same values as a join with that table, without a hash join over every row.
        orders = dict(con.execute("SELECT stage, stage_order FROM stages").fetchall())
        whens = " ".join(f"WHEN '{key}' THEN {int(orders[key]) if orders.get(key) is not None else 'NULL'}"
                         for key in STAGE_BY_KEY)
        cleaned = (f"SELECT c.*{exclude} REPLACE ({stage} AS stage{replaced_id}), {added}{bad_flags}"
                   f"CAST(CASE {stage} {whens} END AS INTEGER) AS stage_order FROM ({cleaned}) c")
    staged = _Staged(plan, f"_clean_{uid}", raw.table.num_rows, notes, cleaned, checks, raw_name)
    if plan.table == "opportunities" and _ids_given_once(con, plan, raw_name):
        return staged
    _materialise(con, staged)
    return staged


def _ids_given_once(con, plan: SheetPlan, raw_name: str) -> bool:
    """Whether every row of the sheet has an id of its own: no derived key, no duplicate, nothing skipped, so
    the rows stored are the file's rows."""
    header = plan.header_for("opportunity_id")
    if header is None:
        return False
    ident = clean.text_sql(quote(header))
    return bool(con.execute(f"SELECT count(*) = count({ident}) AND count({ident}) = count(DISTINCT {ident})"
                            f" FROM {raw_name}").fetchall()[0][0])


def _materialise(con, staged: _Staged) -> None:
    """Write the cleaned rows into their temp table, and check them: bad cells said (opportunities) or refused,
    derived keys kept apart, stage names all mapped."""
    plan, name, notes, checks, raw_name = staged.plan, staged.name, staged.notes, staged.checks, staged.raw_name
    where = {"file": plan.raw.file, "sheet": plan.raw.sheet}
    con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS {staged.select}")
    staged.select = None
    if plan.table == "opportunities":
        for column, header, _ in checks:
            bad = [r[0] for r in con.execute(
                f"SELECT _row FROM {name} WHERE {quote('bad:' + column)} ORDER BY _row LIMIT 10").fetchall()]
            if bad:
                count = con.execute(f"SELECT count(*) FROM {name} WHERE {quote('bad:' + column)}").fetchall()[0][0]
                _say_bad_cells(con, staged, header, int(count), bad, notes)
        checks = []
        _split_collisions(con, name, notes, where)
    for column, header, key in checks:
        bad = [r[0] for r in con.execute(
            f"SELECT _row FROM {name} WHERE {quote('bad:' + column)} ORDER BY _row LIMIT 10").fetchall()]
        if bad:
            value = con.execute(f"SELECT {quote(header)} FROM {raw_name} WHERE _row = ?", [bad[0]]).fetchall()[0][0]
            raise ImportProblem(key, column=header, rows=bad, value=str(value)[:60], **where)
    if plan.table in ("opportunities", "stage_history"):
        _refuse_unmapped(con, name, plan, where)
    staged.rows = int(con.execute(f"SELECT count(*) FROM {name}").fetchall()[0][0])


def _say_bad_cells(con, staged: _Staged, header: str, count: int, rows: list[int], notes: list[Note]) -> None:
    """The note of a column's unreadable cells kept empty: how many, their first rows, the first one as written."""
    value = con.execute(f"SELECT {quote(header)} FROM {staged.raw_name} WHERE _row = ?", [rows[0]]).fetchall()[0][0]
    notes.append(Note("note.bad_values", column=header, rows=rows, file=staged.plan.raw.file,
                      sheet=staged.plan.raw.sheet, params={"count": count, "value": str(value)[:60]}))


def _refuse_unmapped(con, rows: str, plan: SheetPlan, where: dict, params: dict | None = None) -> None:
    """Refuse a sheet whose rows (`rows`: a table, or a filtered SELECT with `params`) hold a stage name no
    mapping gave a stage to."""
    unmapped = [r[0] for r in con.execute(
        f"SELECT DISTINCT crm_stage FROM {rows} WHERE stage IS NULL AND crm_stage IS NOT NULL LIMIT 20",
        params or {}).fetchall()]
    if unmapped:
        raise ImportProblem("problem.unknown_stage", column=plan.header_for("stage"),
                            stages=", ".join(unmapped), **where)


def _flag_select(expr: str, header: str, column: str, wrapped: bool) -> str:
    """The select item that flags a cell given but unreadable: the flag itself, or (wrapped) only whether the
    cell was given, the outer SELECT comparing it with the cleaned value (`_bad_sql`)."""
    if wrapped:
        return f"r.{quote(header)} IS NOT NULL AS {quote('given:' + column)}"
    return f"({expr}) IS NULL AND r.{quote(header)} IS NOT NULL AS {quote('bad:' + column)}"


def _bad_sql(column: str) -> str:
    """Over the inner cleaned rows `c`: the cell was given, and its cleaned value is NULL."""
    return f"(c.{quote(column)} IS NULL AND c.{quote('given:' + column)})"


_CURRENCY_SIGNS = {"€": "EUR", "$": "USD", "US$": "USD", "£": "GBP", "CHF": "CHF", "FS": "CHF", "¥": "JPY"}


def currency_sql(col: str) -> str:
    """An ISO currency code from a currency cell ('eur', '€', 'US$' -> EUR, EUR, USD); constants only."""
    value = f"upper(trim({col}))"
    cases = " ".join(f"WHEN {value} = '{sign.upper()}' THEN '{code}'" for sign, code in _CURRENCY_SIGNS.items())
    return f"CASE {cases} ELSE nullif({value}, '') END"


def _currency_notes(con, raw_name: str, currency: str, ws_currency: str, rates: dict[str, float],
                    notes: list[Note], where: dict) -> None:
    """Say which foreign currencies were converted, which were not (no rate), and a file in one foreign currency."""
    found = con.execute(f"SELECT {currency} AS cur, count(*) FROM {raw_name} WHERE {currency} IS NOT NULL"
                        " GROUP BY 1 ORDER BY 2 DESC").fetchall()
    foreign = [(c, n) for c, n in found if c != ws_currency]
    known = {k.upper() for k in rates}
    if foreign and len(found) == 1:
        notes.append(Note("note.one_foreign_currency", **where,
                          params={"currency": foreign[0][0], "workspace": ws_currency}))
    converted = [f"{c} ({n})" for c, n in foreign if c in known]
    missing = [f"{c} ({n})" for c, n in foreign if c not in known]
    if converted:
        notes.append(Note("note.currency_converted", **where,
                          params={"currencies": ", ".join(converted), "workspace": ws_currency}))
    if missing:
        notes.append(Note("note.currency_no_rate", **where, params={
            "currencies": ", ".join(missing), "count": sum(n for c, n in foreign if c not in known),
            "workspace": ws_currency}))


def foreign_currencies(con, plans: list[SheetPlan]) -> list[str]:
    """The currencies other than the workspace's that the opportunities sheets hold (the page asks their rates)."""
    ws_currency = store.workspace_currency(con)
    out: list[str] = []
    for plan in plans:
        header = plan.header_for("currency") if plan.table == "opportunities" else None
        if header:
            name = f"_cur_{next(_names)}"
            con.register(name, plan.raw.table.select([header]))
            try:
                rows = con.execute(f"SELECT DISTINCT {currency_sql(quote(header))} FROM {name}").fetchall()
            finally:
                con.unregister(name)
            out += [c for (c,) in rows if c and c != ws_currency and c not in out]
    return sorted(out)


def _date_expr(con, raw: RawSheet, raw_name: str, header: str, notes: list[Note], where: dict,
               timestamp: bool = False) -> str:
    """The DATE (or TIMESTAMP) expression of a date column, its day/month order decided on its values (an order
    assumed from the file's language is said in `notes`)."""
    sample = _sample(con, raw_name, header)
    order, assumed = clean.date_order(sample, raw.language)
    main_format = clean.main_date_format(con, sample[:500], order)
    if assumed:
        notes.append(Note("note.date_order", column=header, **where, params={
            "order": "jj/mm/aaaa" if order == "dmy" else "mm/dd/yyyy"}))
    return (clean.timestamp_sql if timestamp else clean.date_sql)(f"r.{quote(header)}", order, main_format)


def derived_key_sql(plan: SheetPlan) -> tuple[str, list[str]]:
    """(SQL of a deal's key over the cleaned columns `c.*`, headers it is made of), for rows without an id.

    The key is made of what does not change from one week's export to the next: the account, the deal's name
    and its created date (owner added when fewer than two of those are in the file), folded (case, accents,
    spaces) so that next week's export of the same shape gives the same key to the same deal."""
    columns = [c for c in ("account", "name", "created_date") if plan.header_for(c)]
    if len(columns) < 2 and plan.header_for("owner"):
        columns.append("owner")
    parts = [f"coalesce(strip_accents(lower(CAST(c.{quote(col)} AS VARCHAR))), '')" for col in columns] or ["''"]
    sql = f"'K-' || substr(md5(concat_ws('|', {', '.join(parts)})), 1, 12)"
    return sql, [plan.header_for(col) for col in columns]


def _split_collisions(con, name: str, notes: list[Note], where: dict) -> None:
    """Rows of one file given the same derived key are different deals as far as we know: they are kept apart
    (key, key-2, key-3 in row order) and reported with their rows, never merged."""
    rows = con.execute(
        f"SELECT _row FROM {name} WHERE key_derived AND opportunity_id IN (SELECT opportunity_id FROM {name}"
        " WHERE key_derived GROUP BY 1 HAVING count(*) > 1) ORDER BY _row").fetchall()
    if not rows:
        return
    con.execute(
        f"UPDATE {name} t SET opportunity_id = t.opportunity_id || '-' || d.n FROM (SELECT _row, row_number()"
        f" OVER (PARTITION BY opportunity_id ORDER BY _row) AS n FROM {name} WHERE key_derived) d"
        " WHERE t._row = d._row AND d.n > 1")
    notes.append(Note("note.derived_key_collisions", rows=[r[0] for r in rows], params={"count": len(rows)}, **where))


def _stage_frame(stage_map: dict[str, tuple[str, str]]) -> pd.DataFrame:
    frame = pd.DataFrame(
        [(k, s, st) for k, (s, st) in stage_map.items()], columns=["crm_stage", "stage", "status"]
    )
    return frame.astype(object)


# --- storing -------------------------------------------------------------------------------------

_KEYS = {  # rows of a new upload replace the stored rows with the same key
    "reps": ["owner"],
    "targets": ["owner", "period_start", "period_end", "segment"],
    "marketing_spend": ["period_start", "period_end", "segment", "source"],
    "stage_history": ["opportunity_id"],
    "activities": ["activity_id"],
}


def _stored_columns(table: str) -> list[str]:
    return [c.name for c in TABLES[table]] + [n for n, _ in store.EXTRA_COLUMNS.get(table, [])
                                               if n not in ("snapshot_id", *store.DERIVED_COLUMNS)]


def _insert(con, staged: _Staged, snapshot_id: int | None, notes: list[Note], added: bool = False) -> int:
    """Store one cleaned sheet; the number of rows (distinct deals) it brings. added: the opportunities join a
    snapshot stored by an earlier upload, whose deals they hold again are replaced (not duplicates)."""
    table = staged.plan.table
    cols = _stored_columns(table)
    col_sql = ", ".join(quote(c) for c in cols)
    where = {"file": staged.plan.raw.file, "sheet": staged.plan.raw.sheet}
    src = staged.name
    if staged.select is not None:
        # The checks' notes go with the sheet's own (staged.notes), where the temp table's would have been said.
        if not con.execute("SELECT count(*) FROM opportunities WHERE snapshot_id = ?", [snapshot_id]).fetchall()[0][0]:
            return _insert_cleaned(con, staged, snapshot_id, staged.notes)
        _materialise(con, staged)  # deals already in the snapshot: they are compared with the cleaned rows
    if table == "opportunities":
        missing = con.execute(f"SELECT _row FROM {src} WHERE opportunity_id IS NULL ORDER BY _row").fetchall()
        if missing:
            notes.append(Note("note.rows_skipped", rows=[r[0] for r in missing][:10], params={"count": len(missing)},
                              **where))
        dups, distinct = con.execute(
            f"SELECT count(*) - count(DISTINCT opportunity_id), count(DISTINCT opportunity_id) FROM {src}"
            " WHERE opportunity_id IS NOT NULL").fetchall()[0]
        # An id already stored by an earlier sheet of this upload: the later sheet wins, as the later row does
        # within a sheet (a deal held twice in one snapshot would count twice in every KPI).
        earlier = con.execute(
            f"DELETE FROM opportunities WHERE snapshot_id = ? AND opportunity_id IN (SELECT opportunity_id FROM {src})"
            " RETURNING 1", [snapshot_id]).fetchall()
        if dups or (earlier and not added):
            notes.append(Note("note.duplicate_ids", params={"count": int(dups) + (0 if added else len(earlier))},
                              **where))
        # Of rows sharing an id, the last one in the file wins (the window costs a sort: only when needed).
        last_only = " QUALIFY row_number() OVER (PARTITION BY opportunity_id ORDER BY _row DESC) = 1" if dups else ""
        _store_opportunities(con, f"{src} WHERE opportunity_id IS NOT NULL{last_only}", snapshot_id)
        return int(distinct)
    keys = _KEYS.get(table)
    if table == "activities" and staged.plan.header_for("activity_id") is None:
        # No ids: an upload replaces the activities of its own reps over the dates it covers, whole days
        # (`date` is a TIMESTAMP: an export with dates only covers its last day up to 00:00 otherwise).
        con.execute(
            "DELETE FROM activities a USING (SELECT owner, min(CAST(date AS DATE)) lo, max(CAST(date AS DATE)) hi"
            f" FROM {src} GROUP BY owner) u WHERE a.owner = u.owner AND CAST(a.date AS DATE) BETWEEN u.lo AND u.hi")
    elif keys:
        cond = " AND ".join(f"t.{quote(k)} IS NOT DISTINCT FROM s.{quote(k)}" for k in keys)
        con.execute(f"DELETE FROM {quote(table)} t WHERE EXISTS (SELECT 1 FROM {src} s WHERE {cond})")
    con.execute(f"INSERT INTO {quote(table)} ({col_sql}) SELECT {col_sql} FROM {src}")
    return staged.rows


def _store_opportunities(con, rows: str, snapshot_id: int) -> None:
    """INSERT the cleaned rows (`rows`: a FROM clause over them) into the snapshot.

    closed_seen is set as it is for a deal with no earlier upload in its closed streak: this upload's date
    (`timeline.refresh_closed_seen` then corrects the deals that have other uploads)."""
    col_sql = ", ".join(quote(c) for c in _stored_columns("opportunities"))
    con.execute(
        f"INSERT INTO opportunities (snapshot_id, closed_seen, {col_sql}) SELECT $sid,"
        " CASE WHEN status IN ('won', 'lost') AND closed_date IS NULL"
        "  THEN (SELECT snapshot_date FROM snapshots WHERE snapshot_id = $sid) END,"
        f" {col_sql} FROM {rows}",
        {"sid": snapshot_id},
    )


def _insert_cleaned(con, staged: _Staged, snapshot_id: int, notes: list[Note]) -> int:
    """Clean an opportunities sheet straight into its snapshot, still empty (no temp table: the cleaned rows
    are written once), then check what was stored: the bad cells said with their rows, the stage names all
    mapped (else ImportProblem, and the transaction stores nothing). Every row has an id of its own
    (`_ids_given_once`), so the snapshot's rows are the sheet's rows."""
    plan = staged.plan
    _store_opportunities(con, f"({staged.select}) AS cleaned", snapshot_id)
    staged.select = None
    params = {"sid": snapshot_id}
    stored = "(SELECT * FROM opportunities WHERE snapshot_id = $sid)"
    _refuse_unmapped(con, stored, plan, {"file": plan.raw.file, "sheet": plan.raw.sheet}, params)
    if staged.checks:
        columns = {f"c{i}": column for i, (column, _, _) in enumerate(staged.checks)}
        flagged = [f"count(*) FILTER (WHERE list_contains(string_split(bad_values, ','), ${p}))" for p in columns]
        counts = con.execute(f"SELECT {', '.join(flagged)} FROM opportunities WHERE snapshot_id = $sid"
                             " AND bad_values IS NOT NULL", params | columns).fetchall()[0]
        ident = f"r.{quote(plan.header_for('opportunity_id'))}"
        for (column, header, _), count in zip(staged.checks, counts):
            if count:
                rows = [r[0] for r in con.execute(
                    f"SELECT r._row FROM {staged.raw_name} r JOIN opportunities o"
                    f" ON o.opportunity_id = {clean.text_sql(ident)} AND o.snapshot_id = $sid"
                    " WHERE list_contains(string_split(o.bad_values, ','), $column) ORDER BY r._row LIMIT 10",
                    params | {"column": column}).fetchall()]
                _say_bad_cells(con, staged, header, int(count), rows, notes)
    return staged.rows


def run_import(con, plans: list[SheetPlan], stage_mapping: dict[str, tuple[str, str]] | None = None,
               snapshot_date: date | None = None, progress: Progress | None = None,
               replace_snapshot: bool = False, rates: dict[str, float] | None = None,
               accept_stages: bool = False, again: bool = False, missing: str | None = None,
               check_quality: bool = True) -> ImportReport:
    """Clean, check and store the planned sheets in one transaction; nothing is stored when anything fails.

    The opportunities join the snapshot of their date: a new one, or the existing one of that date, where they
    replace only the deals they hold again (replace_snapshot=True empties that snapshot first).

    stage_mapping: CRM stage name -> (canonical stage, status); missing names fall back to the workspace's
    saved mapping, then to the suggestion. A suggestion below SURE is refused unless accept_stages (the user
    saw and accepted them) or stage_mapping gives it.
    again: a file of deals imported before (same content) is imported anyway, by default into the snapshot
    it went to then (its deals replace themselves); without it such a file is refused.
    missing: what an upload on a new date that lacks reps, teams or regions of the previous snapshot means
    (`missing_parts`): 'drop' (the whole team: their deals are gone), 'keep' (a part: their deals are carried
    over from the previous snapshot); None refuses such an upload, naming the parts.
    check_quality=False leaves `quality` None, for a caller that shows the figures first and the quality report
    (`quality.quality_report`, on the workspace's latest snapshot) when it is asked for.
    Raises ImportProblem (the workspace is then unchanged), also when another import kept the workspace past the
    wait (store.writable: one import at a time, every process and every session, its checks and cleaning included:
    the cleaning writes temporary tables, and two sessions dropping the same file at once are told apart this way).
    """
    try:
        with store.writable(con) as writer:
            return _run_import(writer, plans, stage_mapping, snapshot_date, progress, replace_snapshot, rates,
                               accept_stages, again, missing, check_quality)
    except store.WorkspaceBusy as busy:
        first = plans[0].raw.file if plans else ""
        raise ImportProblem("problem.workspace_busy", file=first, seconds=round(busy.waited)) from busy


def _run_import(con, plans, stage_mapping, snapshot_date, progress, replace_snapshot, rates, accept_stages, again,
                missing, check_quality=True) -> ImportReport:
    progress = progress or (lambda fraction, text: None)
    notes: list[Note] = []
    active = [p for p in plans if p.table]
    for plan in plans:
        if not plan.table:
            notes.append(Note("note.sheet_skipped", file=plan.raw.file, sheet=plan.raw.sheet))
    if not active:
        first = plans[0].raw if plans else None
        raise ImportProblem("problem.unknown_table", file=first.file if first else "", sheet=first.sheet if first else None)
    for plan in active:
        notes.extend(plan.raw.notes)
        absent = missing_columns(plan)
        if absent:
            raise ImportProblem("problem.missing_columns", file=plan.raw.file, sheet=plan.raw.sheet,
                                columns=", ".join(absent), fields=[f"{plan.table}.{c}" for c in absent])
    stages = stage_values(con, active)
    unsure = [] if accept_stages else unsure_stages(stages, stage_mapping)
    if unsure:
        raise ImportProblem("problem.unsure_stages", stages=", ".join(map(str, unsure)))
    stage_map = {r.crm_stage: (r.stage, r.status) for r in stages.itertuples()}
    stage_map.update(stage_mapping or {})
    known = already_imported(con, active)
    if known and not (again or replace_snapshot):  # replacing a whole snapshot is an explicit choice too
        first = known[0]
        raise ImportProblem("problem.already_imported", file=first["file"], earlier=first["file_name"],
                            date=first["snapshot_date"].isoformat() if first["snapshot_date"] else "—")
    if known and snapshot_date is None and known[0]["snapshot_date"]:
        snapshot_date = known[0]["snapshot_date"]  # the same export again: into the snapshot it went to
    stated = [p.raw.stated_date for p in active if p.table == "opportunities" and p.raw.stated_date]
    snap_date = snapshot_date or (stated[0] if stated else date.today())
    parts = missing_parts(con, active, snap_date)
    if parts and missing not in ("drop", "keep"):
        raise ImportProblem("problem.missing_parts", date=snap_date.isoformat(), **_parts_params(parts))
    previous = store.previous_snapshot(con, snap_date) if parts else None
    for crm_stage, (stage, status) in stage_map.items():
        if stage not in STAGE_BY_KEY:
            raise ImportProblem("problem.unknown_stage", stages=crm_stage)

    staged: list[_Staged] = []
    registered: list[str] = []  # the views of the raw sheets and value maps, read until the rows are stored
    sheet_notes_at = len(notes)  # each sheet's cleaning notes, in sheet order, before those of the storing
    try:
        for i, plan in enumerate(active):
            progress(0.1 + 0.5 * i / len(active), plan.label)
            staged.append(_stage(con, plan, stage_map, registered, rates or {}))
        progress(0.6, "")
        counts: dict[str, int] = {}
        snapshot_id = None
        with store.transaction(con):
            opp = [s for s in staged if s.plan.table == "opportunities"]
            if opp:
                before = con.execute(
                    "SELECT count(*) FROM opportunities o JOIN snapshots s USING (snapshot_id)"
                    " WHERE s.snapshot_date = ?", [snap_date]).fetchall()[0][0]
                snapshot_id, existed = store.upload_snapshot(con, snap_date, ", ".join(s.plan.label for s in opp),
                                                          sum(s.rows for s in opp), replace=replace_snapshot)
                if before and not existed:
                    notes.append(Note("note.snapshot_replaced", params={"date": snap_date.isoformat(),
                                                                        "count": before}))
            kept_before = before if snapshot_id is not None and existed else 0
            for s in staged:
                counts[s.plan.table] = counts.get(s.plan.table, 0) + _insert(con, s, snapshot_id, notes,
                                                                             added=bool(kept_before))
            if snapshot_id is not None and parts:
                if missing == "keep":
                    carried = _carry_over(con, parts, previous[0], snapshot_id)
                    notes.append(Note("note.parts_kept", params={"count": carried, **_parts_params(parts),
                                                                 "previous": previous[1].isoformat()}))
                else:
                    notes.append(Note("note.parts_dropped", params={"count": sum(
                        p["deals"] for p in parts if p["dimension"] == "owner"), **_parts_params(parts)}))
            if snapshot_id is not None:
                # What the snapshot holds once ids repeated across its sheets are kept once.
                counts["opportunities"] = con.execute(
                    "SELECT count(*) FROM opportunities WHERE snapshot_id = ?", [snapshot_id]).fetchall()[0][0]
                if kept_before:
                    uploaded = con.execute(
                        "SELECT count(DISTINCT opportunity_id) FROM (" + " UNION ALL ".join(
                            f"SELECT opportunity_id FROM {s.name}" for s in opp) + ")").fetchall()[0][0]
                    notes.append(Note("note.snapshot_added", params={
                        "date": snap_date.isoformat(), "count": kept_before,
                        "replaced": kept_before + uploaded - counts["opportunities"]}))
                con.execute("UPDATE snapshots SET row_count = ? WHERE snapshot_id = ?",
                            [counts["opportunities"], snapshot_id])
            for s in sorted(staged, key=lambda s: s.plan.edited):  # hand-made mappings saved last, so kept
                store.save_column_mapping(con, s.plan.signature, s.plan.table, s.plan.mapping)
            store.save_stage_mapping(con, stage_map)
            if snapshot_id is not None:
                store.remember_files(con, {s.plan.raw.digest: s.plan.raw.file for s in opp if s.plan.raw.digest},
                                     snap_date)
            if snapshot_id is not None:  # a deal lost without a lost date: dated no later than its first closed upload
                if (before and not existed) or _closed_seen_missing(con, snapshot_id):
                    # a snapshot replaced (the deals it no longer holds change too), or a workspace written before
                    # closed_seen existed (its rows were never dated): every deal
                    timeline.refresh_closed_seen(con)
                elif con.execute("SELECT count(*) FROM snapshots").fetchall()[0][0] > 1:
                    timeline.refresh_closed_seen(con, snapshot_id)
            fresh = derived.freshness(con)
            store.log_import(con, {"sheets": [s.plan.label for s in staged], "counts": counts,
                                   "snapshot_date": snap_date if snapshot_id else None})
            # The tables derived once per data version (the stays merged from the stage history, the latest
            # upload's stays and stages reached, the cascade's activity steps: the funnel and the flash page read
            # them instead of merging 1.6 M history rows on every cold render); the import that writes a table's
            # inputs (an upload: new, replaced, added to, parts carried over; a stage history; activities)
            # rebuilds it, any other keeps it.
            derived.refresh(con, fresh, history=any(s.plan.table == "stage_history" for s in staged),
                            uploads=snapshot_id is not None,
                            activities=any(s.plan.table == "activities" for s in staged))
        progress(0.9, "")
        notes[sheet_notes_at:sheet_notes_at] = [n for s in staged for n in s.notes]
    except ImportProblem:
        raise
    except Exception as exc:  # anything else: still a clear message, and the transaction was rolled back
        raise ImportProblem("problem.internal", file=active[0].raw.file, detail=type(exc).__name__) from exc
    finally:
        for s in staged:
            con.execute(f"DROP TABLE IF EXISTS {s.name}")
        for name in registered:
            con.unregister(name)
    if snapshot_id is not None:
        notes.append(Note("note.snapshot_date", params={"date": snap_date.isoformat()}))
    report = (None if not check_quality else quality.quality_report(con) if snapshot_id is not None
              else quality.empty_report())
    progress(1.0, "")
    return ImportReport(counts, notes, snapshot_id, snap_date if snapshot_id else None, report,
                        latest_data_date(con, snapshot_id) if snapshot_id is not None else None)


def _closed_seen_missing(con, snapshot_id: int) -> bool:
    """Whether an earlier upload holds a closed row without a closed date that was never dated (closed_seen
    NULL): rows stored before the column existed, which only a refresh of every deal dates."""
    return bool(con.execute(
        "SELECT count(*) > 0 FROM opportunities WHERE snapshot_id <> ? AND status IN ('won', 'lost')"
        " AND closed_date IS NULL AND closed_seen IS NULL", [snapshot_id]).fetchall()[0][0])


def latest_data_date(con, snapshot_id: int) -> date | None:
    """The latest day a deal of the snapshot was created or closed on (a closed deal's close date when the
    export has no separate closed date), up to the snapshot's date (an open deal's expected close date is a
    plan, not data): the period holding it is the one the figures open on after an import,
    so that last year's export opens on its own last month, not on an empty current month."""
    row = con.execute(
        "SELECT max(d) FROM (SELECT o.created_date AS d, s.snapshot_date AS day FROM opportunities o"
        "  JOIN snapshots s USING (snapshot_id) WHERE o.snapshot_id = $sid"
        "  UNION ALL SELECT CASE WHEN o.status IN ('won', 'lost') THEN coalesce(o.closed_date, o.close_date) END,"
        "  s.snapshot_date FROM opportunities o JOIN snapshots s USING (snapshot_id)"
        "  WHERE o.snapshot_id = $sid) WHERE d <= day", {"sid": snapshot_id}).fetchall()
    return row[0][0] if row else None


def import_files(con, files: list[tuple[str, bytes]], snapshot_date: date | None = None,
                 progress: Progress | None = None, replace_snapshot: bool = False, table: str | None = None,
                 column_overrides: dict[str, str] | None = None,
                 stage_mapping: dict[str, tuple[str, str]] | None = None,
                 rates: dict[str, float] | None = None, accept_stages: bool = False, again: bool = False,
                 missing: str | None = None) -> ImportReport:
    """The unattended path (CLI, scheduled imports): saved or automatic mappings, unknown sheets skipped.

    table forces the table of every sheet; column_overrides (header -> canonical column, or None to leave a
    header out) and stage_mapping override what recognition or the saved mappings chose; accept_stages,
    again and missing as in `run_import`."""
    plans: list[SheetPlan] = []
    for name, data in files:
        for plan in plan_file(con, name, data):
            if table and plan.table != table:
                plan = plan_with_table(plan.raw, table)
            if column_overrides and plan.table:
                plan = override_columns(plan, column_overrides)
            plans.append(plan)
    return run_import(con, plans, stage_mapping=stage_mapping, snapshot_date=snapshot_date, progress=progress,
                      replace_snapshot=replace_snapshot, rates=rates, accept_stages=accept_stages, again=again,
                      missing=missing)


def override_columns(plan: SheetPlan, overrides: dict[str, str | None]) -> SheetPlan:
    """The plan with some headers mapped by hand (header -> column; None leaves the header out). A column
    given to a header is taken from any other header. Headers are matched as normalized (case, accents)."""
    by_norm = {mapping.normalize_header(h): h for h in plan.raw.headers}
    new = dict(plan.mapping)
    valid = {c.name for c in columns(plan.table)}
    for given, column in overrides.items():
        header = by_norm.get(mapping.normalize_header(given))
        if header is None:
            raise ImportProblem("problem.unknown_header", file=plan.raw.file, sheet=plan.raw.sheet, column=given)
        if column is not None and column not in valid:
            raise ImportProblem("problem.unknown_field", file=plan.raw.file, sheet=plan.raw.sheet, column=given,
                                field=column, choices=", ".join(sorted(valid)))
        if column is not None:
            new = {h: c for h, c in new.items() if c != column}
            new[header] = column
        else:
            new.pop(header, None)
    return SheetPlan(plan.raw, plan.table, plan.table_confidence, new,
                     {h: (1.0 if h in {by_norm.get(mapping.normalize_header(g)) for g in overrides}
                          else plan.confidence.get(h, 0.0)) for h in new}, plan.from_saved, edited=True)
