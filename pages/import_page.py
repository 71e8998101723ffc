"""Import (home): upload, check the mapping, import, read the report. Thin: the work is in analytics.ingest.importer."""
from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st

from analytics import access, store
from analytics.outputs.export import file_stem
from analytics.i18n import field_label as field_name
from analytics.filters import period_bounds
from analytics.ingest.importer import (SheetPlan, already_imported, derived_key_sql, doubled_fields, fill_candidates,
                                       foreign_currencies, missing_columns, missing_parts, plan_file, plan_with_table,
                                       run_import, stage_values, unsure_stages)
from analytics.ingest.problems import ImportProblem
from analytics.ingest.quality import empty_report, quality_report
from analytics.ingest.read import check_upload
from analytics.schema import STAGES, STATUSES, TABLES, column_names, required_columns
from ui import format as fmt
from ui import sidebar, state, tables
from ui.state import WORKSPACE_KEY, connection, lang, plain, tr, workspace

PLANS_KEY = "import_plans"  # (workspace, file_id) -> list[SheetPlan] | ImportProblem
REPORT_KEY = "import_report"  # (workspace, ImportReport) of the last import
NONE = "—"
TABLES_COLUMNS = {t: column_names(t) for t in TABLES}
GOOD_CONFIDENCE = 0.8  # below: doubtful, to check (a stage below it must be accepted before the import)
ROUND_KEY = "import_round"  # one uploader per import: after an import the next one starts empty
ACCEPTED_KEY = "import_stages_accepted"  # (workspace, round, the stage names accepted as shown)
FLASH_PAGE = "pages/flash.py"
# The page that shows the deals each quality check flags (its file, and its title's key).
FLASH, FUNNEL, PIPELINE = ("pages/flash.py", "nav.flash"), ("pages/funnel.py", "nav.funnel"), \
    ("pages/pipeline.py", "nav.pipeline")
QUALITY_PAGES = {
    "quality.missing_owner": FLASH, "quality.missing_amount": FLASH, "quality.open_without_amount": FLASH,
    "quality.past_close_open": FLASH, "quality.falling_probability": FLASH, "quality.missing_created": FLASH,
    "quality.created_after_closed": FLASH, "quality.bad_amount": FLASH, "quality.no_rate": FLASH,
    "quality.bad_date": FUNNEL, "quality.bad_probability": PIPELINE, "quality.derived_keys": PIPELINE,
}
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
                check_upload(f.name, f.size)
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


def _stage_editor(plans: list[SheetPlan], round_key: str) -> tuple[dict[str, tuple[str, str]], bool]:
    """(the stage mapping as shown or edited, confirmed?). A proposal below GOOD_CONFIDENCE (words the lists
    do not hold, placed by the file's probabilities) is never imported silently: one click accepts all shown,
    and a row the user changes by hand is confirmed by that change."""
    stages = stage_values(connection(), plans)
    if stages.empty:
        return {}, True
    st.subheader(tr("import.stages_title"))
    keys = [s.key for s in STAGES]
    shown = stages[["crm_stage", "count", "probability", "stage", "status", "confidence"]].assign(
        probability=[fmt.kpi_value("rate", p, lang()) for p in stages["probability"]],   # unknown: a dash
        confidence=[_confidence_text(c) for c in stages["confidence"]])
    edited = st.data_editor(
        shown, key=f"stage_mapping:{round_key}", hide_index=True,
        width="stretch", disabled=["crm_stage", "count", "probability", "confidence"],
        column_config={
            "crm_stage": st.column_config.TextColumn(tr("import.stage_crm")),
            "count": st.column_config.NumberColumn(tr("import.stage_count")),
            "probability": st.column_config.TextColumn(tr("import.stage_probability")),
            "stage": st.column_config.SelectboxColumn(tr("import.stage_target"), options=keys, required=True,
                                                      format_func=lambda k: tr(f"stage.{k}")),
            "status": st.column_config.SelectboxColumn(tr("import.stage_status"), options=list(STATUSES), required=True,
                                                       format_func=lambda k: tr(f"status.{k}")),
            "confidence": st.column_config.TextColumn(tr("import.col_confidence"), help=tr("import.confidence_help")),
        },
    )
    chosen = {r.crm_stage: (r.stage, r.status) for r in edited.itertuples()}
    proposed = {r.crm_stage: (r.stage, r.status) for r in stages.itertuples()}
    changed = {k: v for k, v in chosen.items() if proposed.get(k) != v}
    unsure = unsure_stages(stages, changed)
    if not unsure:
        return chosen, True
    accepted_key = (workspace(), round_key, tuple(sorted(map(str, unsure))))
    if st.session_state.get(ACCEPTED_KEY) == accepted_key:
        st.caption(tr("import.stages_accepted"))
        return chosen, True
    st.warning(tr("import.stages_unsure", count=len(unsure)), icon=":material/help:")
    if st.button(tr("import.stages_accept"), key=f"accept_stages:{round_key}"):
        st.session_state[ACCEPTED_KEY] = accepted_key
        st.rerun()
    return chosen, False


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
    if report.quality is None:  # the import went straight to the figures: the report is computed when shown
        report.quality = quality_report(connection()) if report.snapshot_id is not None else empty_report()
    counts = ", ".join(f"{tr('table.' + t)} : {fmt.number(n, lang())}" if lang() == "fr"
                       else f"{tr('table.' + t)}: {fmt.number(n, lang())}" for t, n in report.counts.items())
    st.success(tr("import.success", counts=counts))
    if report.notes:
        with st.expander(tr("import.notes"), expanded=True):
            for note in report.notes:
                st.text(note.render(lang()))
    if not report.quality.empty:
        st.subheader(tr("import.quality"))
        pages = [QUALITY_PAGES.get(k, FLASH) for k in report.quality["check"]]
        quality = report.quality.assign(check=[tr(k) for k in report.quality["check"]],
                                        page=[tr(title) for _, title in pages])
        labels = {"check": tr("import.quality_check"), "count": tr("import.quality_count"),
                  "examples": tr("import.quality_examples"), "page": tr("import.quality_page")}
        tables.table(quality, "quality", kinds={"count": "count"}, labels=labels, title=tr("import.quality"),
                     page=tr("import.title"))
        # The pages that show the flagged deals, as links that keep this session (workspace, filters).
        flagged = list(dict.fromkeys(page for page, n in zip(pages, report.quality["count"]) if n))
        for column, (path, title) in zip(st.columns(max(len(flagged), 1)), flagged):
            column.page_link(path, label=tr(title), icon=":material/arrow_forward:")


def _workspace_summary() -> None:
    con = connection()
    st.subheader(tr("import.workspace_content", name=plain(store.display_name(workspace()))))
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

RECENT_DAYS = 62  # an export whose deals were created or closed within two months of its date is a current one


def _open_figures_on(report) -> None:
    """After an import: the flash figures, on the period that holds the file's latest data. A current export
    (deals created or closed within RECENT_DAYS of the upload's date) opens on the upload's month, which holds its
    open pipeline; a past export on the month of its latest data, as a custom range (last year's export opens on
    its own last month, not on an empty current month)."""
    snaps = store.snapshots(connection())
    today = snaps[-1][1] if snaps else None
    latest = report.latest_date
    if latest is not None and today is not None and 0 <= (today - latest).days <= RECENT_DAYS:
        latest = today
    if latest is not None and today is not None:
        start, end = period_bounds("month", latest, sidebar.fiscal_start())
        if (latest.year, latest.month) == (today.year, today.month):
            st.session_state[sidebar.PRESET_KEY] = "month"
        else:
            st.session_state[sidebar.PRESET_KEY] = "custom"
            st.session_state[sidebar.CUSTOM_LAST_KEY] = (start, end)
            st.session_state.pop(sidebar.CUSTOM_KEY, None)  # the picker starts again from that range
        for language in ("fr", "en"):  # the period selectbox is drawn again from the value set above
            st.session_state.pop(sidebar.widget_key(sidebar.PRESET_KEY, language), None)
    counts = ", ".join(f"{tr('table.' + t)} : {fmt.number(n, lang())}" if lang() == "fr"
                       else f"{tr('table.' + t)}: {fmt.number(n, lang())}" for t, n in report.counts.items())
    state.say("toast", "import.success", counts=counts)  # said once, on the figures
    st.switch_page(FLASH_PAGE)


def _file_list(files) -> None:
    """The files of this upload, by name (shown as text): what Importer will take, and nothing from last week."""
    if files:
        st.caption(plain(tr("import.files_title") + (" : " if lang() == "fr" else ": ")
                         + ", ".join(f.name for f in files)))


def _known_files(plans: list[SheetPlan]) -> tuple[bool, bool, date | None]:
    """(any file imported before?, import it again?, the snapshot date it went to): said, with the choice."""
    known = already_imported(connection(), plans)
    for k in known:
        st.warning(plain(tr("import.file_known", file=k["file"], earlier=k["file_name"],
                            date=fmt.day(k["snapshot_date"], lang()) if k["snapshot_date"] else NONE,
                            imported=fmt.day(k["imported_at"].date(), lang()) if k["imported_at"] else NONE)),
                   icon=":material/content_copy:")
    if not known:
        return False, False, None
    again = st.checkbox(tr("import.again"), key=f"again:{_round()}")
    return True, again, known[0]["snapshot_date"]


def _parts_choice(plans: list[SheetPlan], snapshot_date: date) -> tuple[bool, str | None]:
    """(parts missing?, 'drop' | 'keep' | None): the reps, teams and regions of the previous snapshot this
    upload on a new date lacks, flagged with the choice of what the file holds."""
    con = connection()
    parts = missing_parts(con, plans, snapshot_date)
    if not parts:
        return False, None
    previous = store.previous_snapshot(con, snapshot_date)
    st.subheader(tr("import.parts_title"))
    st.write(tr("import.parts_intro", previous=fmt.day(previous[1], lang())))
    table = pd.DataFrame({
        "kind": [tr(f"import.part_dimension.{p['dimension']}") for p in parts],
        "value": [str(p["value"]) for p in parts],
        "deals": [p["deals"] for p in parts],
        "open_amount": [p["open_amount"] for p in parts],
    })
    tables.table(table, "missing_parts", kinds={"deals": "count", "open_amount": "money"},
                 labels={"kind": tr("import.part_kind"), "value": tr("import.part_value"),
                         "deals": tr("import.part_deals"), "open_amount": tr("import.part_open")},
                 title=tr("import.parts_title"), page=tr("import.title"))
    choice = st.radio(tr("import.parts_choice"), ["drop", "keep"], index=None, key=f"parts:{_round()}",
                      format_func=lambda c: tr(f"import.parts_{c}"))
    return True, choice


def _round() -> int:
    return st.session_state.setdefault(ROUND_KEY, 0)


@st.fragment
def _import_button(plans: list[SheetPlan], active: list[SheetPlan], stage_mapping: dict, snapshot_date: date,
                   replace: bool, rates: dict[str, float], again: bool, missing: str | None, blocked: bool) -> None:
    """Importer, as a fragment: its click reruns this function alone, with what the page's last full run drew and
    the user chose (any change above it reruns the whole page), not the app and the mapping tables again; then
    straight to the flash figures (or, for an upload without deals, the whole page with its report)."""
    if not st.button(tr("import.run"), type="primary", key="run_import", disabled=blocked):
        return
    if full := access.disk_refusal("access.limit_disk_import"):  # the server's disk limit: nothing is stored
        st.error(tr(full.key, **full.params))
        return
    if not active:
        st.warning(tr("import.nothing_to_import"))
        return
    bar = st.progress(0.0, text=tr("import.running"))
    report = None
    try:
        report = run_import(
            connection(), plans, stage_mapping=stage_mapping, snapshot_date=snapshot_date,
            replace_snapshot=replace, rates=rates, accept_stages=True, again=again, missing=missing,
            check_quality=False,  # the figures first: the quality report when this page shows it again
            progress=lambda fraction, text: bar.progress(fraction, text=tr("import.running")),
        )
        st.session_state[REPORT_KEY] = (workspace(), report)
    except ImportProblem as problem:
        st.session_state[REPORT_KEY] = None
        st.error(plain(problem.render(lang())))
    bar.empty()
    if report is not None:
        st.session_state[ROUND_KEY] = _round() + 1  # the next upload starts with an empty uploader
        st.session_state.pop(PLANS_KEY, None)
        if report.snapshot_id is not None:
            _open_figures_on(report)
        st.rerun()  # no deals (a reps or targets file): the page again, with the report and the new counts


# One uploader per workspace and per import: files dropped for one client are never queued for another, and the
# uploader starts empty after an import (last week's file is never imported again beside this week's). Every type
# and size is let through to our checks (type from the bytes, size cap below Streamlit's): Streamlit's own refusals
# are English. Streamlit writes its own words inside the drop zone ("Drag and drop", "Browse files") in English
# whatever the app's language, and accepts no labels for them: the label, the help and a caption under it say the
# same in the user's language (README, "Languages").
files = st.file_uploader(tr("import.upload"), accept_multiple_files=True,
                         key=f"uploader:{workspace()}:{_round()}",
                         on_change=lambda: st.session_state.pop(REPORT_KEY, None), help=tr("import.upload_help"))
st.caption(tr("import.upload_caption"))
_file_list(files)
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
    active = [p for p in plans if p.table]
    stage_mapping, stages_confirmed = _stage_editor(active, f"{workspace()}:{_round()}")
    rates = _rates_editor(active)
    known, again, known_date = _known_files(active)
    stated = [p.raw.stated_date for p in plans if p.table == "opportunities" and p.raw.stated_date]
    default_date = known_date if again and known_date else (stated[0] if stated else date.today())
    snapshot_date = st.date_input(tr("import.snapshot_date"), value=default_date, format="DD/MM/YYYY",
                                  help=tr("import.snapshot_date_help"))
    replace = False
    existing = [d for _, d in store.snapshots(connection()) if d == snapshot_date]
    if existing and any(p.table == "opportunities" for p in plans):
        # Files of one team uploaded the same day (North, then South) make one snapshot: adding is the default.
        st.caption(tr("import.snapshot_exists", date=fmt.day(snapshot_date, lang())))
        replace = st.checkbox(tr("import.replace_snapshot"), key="replace_snapshot")
    partial, missing = _parts_choice(active, snapshot_date)
    # What still stops the import, said next to the button (never a silent choice made for the user).
    blockers = ([tr("import.stages_needed")] if not stages_confirmed else []) + (
        [tr("import.again_needed")] if known and not (again or replace) else []) + (
        [tr("import.parts_needed")] if partial and missing is None else [])
    for text in blockers:
        st.info(text, icon=":material/info:")
    _import_button(plans, active, stage_mapping, snapshot_date, replace, rates, again, missing, bool(blockers))

_show_report()
_workspace_summary()
