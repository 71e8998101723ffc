"""Import (home): upload, check the mapping, import, read the report. Thin: the work is in analytics.ingest.importer."""
from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st

from analytics import store
from analytics.outputs.export import file_stem
from analytics.i18n import field_label as field_name
from analytics.ingest.importer import (SheetPlan, derived_key_sql, doubled_fields, fill_candidates, foreign_currencies,
                                missing_columns, plan_file, plan_with_table, run_import, stage_values)
from analytics.ingest.problems import ImportProblem
from analytics.schema import STAGES, STATUSES, TABLES, column_names, required_columns
from ui import format as fmt
from ui import tables
from ui.state import WORKSPACE_KEY, connection, lang, plain, tr, workspace

PLANS_KEY = "import_plans"  # (workspace, file_id) -> list[SheetPlan] | ImportProblem
REPORT_KEY = "import_report"  # (workspace, ImportReport) of the last import
NONE = "—"
TABLES_COLUMNS = {t: column_names(t) for t in TABLES}
GOOD_CONFIDENCE = 0.8  # below: doubtful, to check (the import still takes it)
ROW_HEIGHT = 35  # px, Streamlit's data editor row
MAX_GRID_ROWS = 40


def _plans_for(files) -> list[tuple[str, list[SheetPlan] | ImportProblem]]:
    """Read and plan each uploaded file once per upload (kept in the session across reruns)."""
    cache = st.session_state.setdefault(PLANS_KEY, {})
    out = []
    con = connection()
    for f in files:
        key = (workspace(), f.file_id)  # a plan reads the workspace's saved mappings: one per workspace
        if key not in cache:
            try:
                cache[key] = plan_file(con, f.name, f.getvalue())
            except ImportProblem as problem:
                cache[key] = problem
        out.append((f.file_id, cache[key]))
    return out


def _mapping_editor(key: str, plan: SheetPlan) -> SheetPlan:
    """The table choice and the column mapping of one sheet, editable; returns the plan as edited."""
    options = [None, *TABLES]
    chosen = st.selectbox(
        tr("import.sheet_table"), options, index=options.index(plan.table), key=f"{key}:table",
        format_func=lambda t: tr("import.ignore") if t is None else tr(f"table.{t}"),
    )
    if chosen != plan.table:
        plan = plan_with_table(plan.raw, chosen) if chosen else SheetPlan(plan.raw, None, 0.0, {})
    if plan.table is None:
        _unrecognised(plan)
        return plan
    st.caption(tr("import.saved_mapping") if plan.from_saved else tr("import.auto_mapping"))
    first = plan.raw.table.slice(0, 1).to_pylist()
    sample = first[0] if first else {}
    frame = pd.DataFrame({
        "header": plan.raw.headers,
        "column": [plan.mapping.get(h, NONE) for h in plan.raw.headers],
        "confidence": [_confidence_text(plan.confidence.get(h, 0.0)) if h in plan.mapping else ""
                       for h in plan.raw.headers],
        "sample": [None if sample.get(h) is None else str(sample.get(h)) for h in plan.raw.headers],
    })
    required = set(required_columns(plan.table))

    def field_label(column: str) -> str:
        if column == NONE:
            return tr("import.ignore")
        return field_name(f"{plan.table}.{column}", lang()) + (" *" if column in required else "")

    # Tall enough for every row of an export of up to 40 columns: no scroll inside the grid.
    height = ROW_HEIGHT * (min(len(frame), MAX_GRID_ROWS) + 1) + 3
    edited = st.data_editor(
        frame, key=f"{key}:{plan.table}:mapping", hide_index=True, width="stretch", height=height,
        disabled=["header", "confidence", "sample"],
        column_config={
            "header": st.column_config.TextColumn(tr("import.col_header")),
            "column": st.column_config.SelectboxColumn(tr("import.col_target"), options=[NONE, *TABLES_COLUMNS[plan.table]],
                                                       required=True, format_func=field_label),
            "confidence": st.column_config.TextColumn(tr("import.col_confidence"), help=tr("import.confidence_help")),
            "sample": st.column_config.TextColumn(tr("import.col_sample")),
        },
    )
    mapping = {r.header: r.column for r in edited.itertuples() if r.column != NONE}
    if mapping != plan.mapping:
        plan = SheetPlan(plan.raw, plan.table, plan.table_confidence, mapping,
                         {h: (plan.confidence.get(h, 0) if plan.mapping.get(h) == c else 1.0) for h, c in mapping.items()},
                         plan.from_saved, edited=True)
    _mapping_messages(plan)
    return plan


def _confidence_text(value: float) -> str:
    """Good / doubtful, with the percentage: colours that read as such (never red at 100 %)."""
    word = "import.conf_good" if value >= GOOD_CONFIDENCE else "import.conf_doubtful"
    # Plain symbols: the grid is drawn on a canvas, where an emoji without an emoji font shows as a box.
    return f"{'✓' if value >= GOOD_CONFIDENCE else '?'} {tr(word)} · {fmt.percent(value, lang(), decimals=0)}"


def _mapping_messages(plan: SheetPlan) -> None:
    """What would stop or surprise the import, said before Importer, in the user's words."""
    for column in missing_columns(plan):
        could = fill_candidates(plan, column)
        key = "import.missing_field_could" if could else "import.missing_field"
        st.error(plain(tr(key, field=field_name(f"{plan.table}.{column}", lang()), columns=", ".join(could))),
                 icon=":material/error:")
    for column in doubled_fields(plan):
        headers = [h for h, c in plan.mapping.items() if c == column]
        st.warning(plain(tr("import.doubled_field", field=field_name(f"{plan.table}.{column}", lang()),
                            columns=", ".join(headers))), icon=":material/warning:")
    if plan.table == "opportunities" and plan.header_for("opportunity_id") is None:
        _, parts = derived_key_sql(plan)
        st.info(plain(tr("import.derived_key", parts=" + ".join(parts) or "—")), icon=":material/key:")


def _unrecognised(plan: SheetPlan) -> None:
    """Why no table was recognised, and what to choose."""
    guess = plan_with_table(plan.raw, "opportunities")
    missing = ", ".join(field_name(f"opportunities.{c}", lang()) for c in missing_columns(guess))
    st.warning(plain(tr("import.unrecognised", missing=missing or "—")), icon=":material/help:")


def _stage_editor(plans: list[SheetPlan]) -> dict[str, tuple[str, str]]:
    stages = stage_values(connection(), plans)
    if stages.empty:
        return {}
    st.subheader(tr("import.stages_title"))
    keys = [s.key for s in STAGES]
    shown = stages[["crm_stage", "count", "stage", "status", "confidence"]].assign(
        confidence=[_confidence_text(c) for c in stages["confidence"]])
    edited = st.data_editor(
        shown, key="stage_mapping", hide_index=True,
        width="stretch", disabled=["crm_stage", "count", "confidence"],
        column_config={
            "crm_stage": st.column_config.TextColumn(tr("import.stage_crm")),
            "count": st.column_config.NumberColumn(tr("import.stage_count")),
            "stage": st.column_config.SelectboxColumn(tr("import.stage_target"), options=keys, required=True,
                                                      format_func=lambda k: tr(f"stage.{k}")),
            "status": st.column_config.SelectboxColumn(tr("import.stage_status"), options=list(STATUSES), required=True,
                                                       format_func=lambda k: tr(f"status.{k}")),
            "confidence": st.column_config.TextColumn(tr("import.col_confidence"), help=tr("import.confidence_help")),
        },
    )
    return {r.crm_stage: (r.stage, r.status) for r in edited.itertuples()}


def _rates_editor(plans: list[SheetPlan]) -> dict[str, float]:
    """A rate per foreign currency of the upload (to the workspace's currency); a blank one leaves those deals
    counted but not valued."""
    con = connection()
    foreign = foreign_currencies(con, plans)
    if not foreign:
        return {}
    home = store.workspace_currency(con)
    st.subheader(tr("import.rates_title"))
    st.caption(tr("import.rates_help", currencies=", ".join(foreign), workspace=home))
    rates = {}
    for column, currency in zip(st.columns(min(len(foreign), 4)) * len(foreign), foreign):
        value = column.number_input(tr("import.rate_label", currency=currency, workspace=home), min_value=0.0,
                                    value=None, step=0.01, format="%.4f", key=f"rate:{currency}")
        if value:
            rates[currency] = float(value)
    return rates


def _show_report() -> None:
    last = st.session_state.get(REPORT_KEY)
    if not last or last[0] != workspace():  # a report is shown only in the workspace it was made in
        return
    report = last[1]
    counts = ", ".join(f"{tr('table.' + t)} : {fmt.number(n, lang())}" if lang() == "fr"
                       else f"{tr('table.' + t)}: {fmt.number(n, lang())}" for t, n in report.counts.items())
    st.success(tr("import.success", counts=counts))
    if report.notes:
        with st.expander(tr("import.notes"), expanded=True):
            for note in report.notes:
                st.text(note.render(lang()))
    if not report.quality.empty:
        st.subheader(tr("import.quality"))
        quality = report.quality.assign(check=[tr(k) for k in report.quality["check"]])
        labels = {"check": tr("import.quality_check"), "count": tr("import.quality_count"),
                  "examples": tr("import.quality_examples")}
        tables.table(quality, "quality", kinds={"count": "count"}, labels=labels, title=tr("import.quality"),
                     page=tr("import.title"))


def _workspace_summary() -> None:
    con = connection()
    st.subheader(tr("import.workspace_content", name=store.display_name(workspace())))
    counts = pd.DataFrame([{"table": tr(f"table.{t}"), "rows": store.table_count(con, t)} for t in TABLES])
    tables.table(counts, "workspace_counts", kinds={"rows": "count"},
                 labels={"table": tr("import.table"), "rows": tr("import.rows")},
                 title=tr("import.workspace_content", name=store.display_name(workspace())), page=tr("import.title"))
    snaps = store.snapshots(con)
    if snaps:
        st.caption(tr("import.snapshots", count=fmt.number(len(snaps), lang()), last=fmt.day(snaps[-1][1], lang())))


def _load_demo() -> None:
    """Button callback (runs before the script, so it may switch the workspace widget)."""
    from data.demo import load_demo

    load_demo(store.open_workspace(store.DEMO_WORKSPACE).cursor())
    st.session_state[WORKSPACE_KEY] = store.DEMO_WORKSPACE
    st.session_state[REPORT_KEY] = None
    st.session_state["demo_loaded"] = True


def _demo_and_template() -> None:
    left, right = st.columns(2)
    left.button(tr("import.demo_button"), key="load_demo", on_click=_load_demo)
    if st.session_state.pop("demo_loaded", False):
        st.success(tr("import.demo_done"))
    from data.template import template_workbook

    # Passed as a callable: the workbook is built when the button is clicked, not on every rerun.
    right.download_button(tr("import.template_button"), data=template_workbook,
                          file_name=file_stem(tr("import.template_file")) + ".xlsx",
                          mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


st.title(tr("import.title"))
st.write(tr("import.intro"))
if workspace() == store.DEMO_WORKSPACE:
    st.info(tr("import.demo_workspace_hint"), icon=":material/info:")
_demo_and_template()

# One uploader per workspace: files dropped for one client are never queued for another.
# Streamlit writes its own words inside the drop zone ("Drag and drop", "Browse files", "Limit … per file") in
# English whatever the app's language, and accepts no labels for them: the label, the help and a caption under
# it say the same in the user's language (README, "Languages").
files = st.file_uploader(tr("import.upload"), type=["xlsx", "ods", "csv", "txt", "tsv"], accept_multiple_files=True,
                         key=f"uploader:{workspace()}", on_change=lambda: st.session_state.pop(REPORT_KEY, None),
                         help=tr("import.upload_help"))
st.caption(tr("import.upload_caption"))
plans: list[SheetPlan] = []
for file_id, planned in _plans_for(files or []):
    if isinstance(planned, ImportProblem):
        st.error(plain(planned.render(lang())))
        continue
    for i, plan in enumerate(planned):
        title = plan.label + " · " + tr("import.rows_columns", rows=plan.raw.table.num_rows, cols=len(plan.raw.headers))
        with st.expander(plain(title), expanded=True):
            plan = _mapping_editor(f"{file_id}:{i}", plan)
            st.caption(tr("import.preview"))
            st.dataframe(plan.raw.table.slice(0, 20).drop_columns(["_row"]).to_pandas(), hide_index=True)
        plans.append(plan)

if plans:
    stage_mapping = _stage_editor([p for p in plans if p.table])
    rates = _rates_editor([p for p in plans if p.table])
    stated = [p.raw.stated_date for p in plans if p.table == "opportunities" and p.raw.stated_date]
    snapshot_date = st.date_input(tr("import.snapshot_date"), value=stated[0] if stated else date.today(),
                                  format="DD/MM/YYYY", help=tr("import.snapshot_date_help"))
    replace = False
    existing = [d for _, d in store.snapshots(connection()) if d == snapshot_date]
    if existing and any(p.table == "opportunities" for p in plans):
        # Files of one team uploaded the same day (North, then South) make one snapshot: adding is the default.
        st.caption(tr("import.snapshot_exists", date=fmt.day(snapshot_date, lang())))
        replace = st.checkbox(tr("import.replace_snapshot"), key="replace_snapshot")
    if st.button(tr("import.run"), type="primary", key="run_import"):
        if not any(p.table for p in plans):
            st.warning(tr("import.nothing_to_import"))
        else:
            bar = st.progress(0.0, text=tr("import.running"))
            try:
                report = run_import(
                    connection(), plans, stage_mapping=stage_mapping, snapshot_date=snapshot_date,
                    replace_snapshot=replace, rates=rates,
                    progress=lambda fraction, text: bar.progress(fraction, text=tr("import.running")),
                )
                st.session_state[REPORT_KEY] = (workspace(), report)
            except ImportProblem as problem:
                st.session_state[REPORT_KEY] = None
                st.error(plain(problem.render(lang())))
            bar.empty()

_show_report()
_workspace_summary()
