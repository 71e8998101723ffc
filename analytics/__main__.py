"""The command line, on the same code path as the pages: scheduled imports and checking figures.

  python -m analytics import FILE [FILE ...] --workspace DIR [--snapshot-date YYYY-MM-DD] [--lang fr|en]
                            [--table opportunities] [--map "Header=field"]... [--stage "CRM stage=stage"]...
                            [--rate "USD=0.92"]... [--replace]
  python -m analytics kpis --workspace DIR [--start D] [--end D] [--owner NAME] [--segment NAME] [--team NAME]
                           [--region NAME] [--source NAME] [--compare previous|last_year] --json
  python -m analytics demo --workspace DIR
  python -m analytics funnel --workspace DIR [--start D] [--end D] [--owner NAME] [--segment NAME]
                             [--basis cohort|closed] --json
  python -m analytics plan --goal G --average-deal A --rates R1,R2,R3 --weeks N [--workspace DIR --owner NAME] --json
  python -m analytics movement --workspace DIR [--from D] [--to D] [--owner NAME] ... [--lang fr|en] --json
  python -m analytics forecast --workspace DIR [--as-of D] [--owner NAME] ... [--lang fr|en] --json
  python -m analytics projection --workspace DIR [--period month|quarter|year] [--as-of D] [--owner NAME] ...
                                 [--lang fr|en] --json
  python -m analytics segments --workspace DIR [--by segment|region|source|team|product|owner] [--start D] [--end D]
                               [--owner NAME] [--segment NAME] [--team NAME] [--region NAME] [--source NAME] --json
  python -m analytics report --workspace DIR [--owner NAME] [--start D --end D] [--lang fr|en]
                             --out pack.xlsx [--pptx deck.pptx]     (or --out deck.pptx for the deck alone)
  python -m analytics review --workspace DIR --owner NAME [--start D] [--end D] [--lang fr|en] --json
  python -m analytics review --workspace DIR --team [TEAM] [--start D] [--end D] --json

--workspace is the workspace's DuckDB file, a folder (its workspace.duckdb is then used) or the name of an app
workspace; it must exist (--create makes it). An import waits for another one (of the app or the CLI), says so,
and gives up with a clear message after $COCKPIT_LOCK_WAIT seconds (60); reading never waits.
"""
from __future__ import annotations

import argparse
import json
import math
import sys
from datetime import date
from pathlib import Path


from analytics import store
from analytics.schema import TABLES
from analytics.ingest.problems import ImportProblem


class CliError(Exception):
    """A command that cannot go on: its message is printed as it is, and the command exits with `code`."""

    def __init__(self, message: str, code: int = 2):
        super().__init__(message)
        self.code = code


def _lang(args) -> str:
    return getattr(args, "lang", None) or "fr"


def _workspace_file(text: str) -> Path:
    """--workspace: a workspace file (.duckdb), a folder (its workspace.duckdb), or the name of one of the app's
    workspaces (in $COCKPIT_WORKSPACES, as the sidebar names it)."""
    path = Path(text).expanduser()
    if path.suffix == ".duckdb":
        return path
    if path.is_dir() or "/" in text or text.startswith("."):
        return path / "workspace.duckdb"
    return store.workspace_path(text)


def _connect(args) -> store.Reader:
    """The workspace of --workspace, read as the pages read it; an import through it waits (and says so) while
    another import of any process runs. A workspace that does not exist is an error unless --create: a mistyped
    name must not become an empty workspace whose figures are zeros."""
    from analytics.i18n import t

    path = _workspace_file(args.workspace)
    if not path.exists() and not getattr(args, "create", False):
        raise CliError(t("cli.no_workspace", _lang(args), path=str(path)))
    return store.open_path(path, on_wait=lambda: print(t("store.waiting", _lang(args)), file=sys.stderr, flush=True))


def _add_workspace(p, required: bool = True) -> None:
    p.add_argument("--workspace", required=required,
                   help="a workspace file (.duckdb), a folder holding workspace.duckdb, or an app workspace's name")
    p.add_argument("--create", action="store_true", help="make the workspace when it does not exist yet")


DIMENSION_OPTIONS = ("owner", "segment", "team", "region", "source")


def _iso_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}")


def _json_value(value):
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if hasattr(value, "item"):  # numpy scalars
        value = value.item()
    if isinstance(value, date):
        return value.isoformat()
    return value


def cmd_import(args) -> int:
    from analytics.ingest.importer import import_files

    files = []
    for name in args.files:
        path = Path(name)
        try:
            files.append((path.name, path.read_bytes()))
        except OSError as exc:
            print(f"{name}: {exc.strerror}", file=sys.stderr)
            return 2
    try:
        overrides = _pairs(args.map, "--map", _field)
        stages = _pairs(args.stage, "--stage", _stage)
        rates = {k.upper(): v for k, v in _pairs(args.rate, "--rate", _rate).items()}
    except ImportProblem as problem:
        print(problem.render(args.lang), file=sys.stderr)
        return 2
    except ValueError as error:
        print(str(error), file=sys.stderr)
        return 2
    con = _connect(args)
    try:
        report = import_files(con, files, snapshot_date=args.snapshot_date, replace_snapshot=args.replace,
                              table=args.table, column_overrides=overrides or None, stage_mapping=stages or None,
                              rates=rates or None, accept_stages=args.accept_stages, again=args.again,
                              missing=args.missing)
    except ImportProblem as problem:
        print(problem.render(args.lang), file=sys.stderr)
        return 1
    for note in report.notes:
        print(note.render(args.lang))
    for table, count in report.counts.items():
        print(f"{table}: {count}")
    return 0


def _pairs(items: list[str] | None, option: str, convert) -> dict:
    """'Left=right' option values -> {left: convert(right)}; ValueError naming the option when one has no '='."""
    out = {}
    for item in items or []:
        left, sep, right = item.partition("=")
        if not sep or not left.strip():
            raise ValueError(f'{option} {item!r}: write it as "name=value"')
        out[left.strip()] = convert(right.strip())
    return out


def _field(text: str) -> str | None:
    """A canonical column from its name or its label in either language ('' or '-': leave the header out)."""
    from analytics.i18n import STRINGS
    from analytics.ingest.mapping import normalize_header

    if text in ("", "-"):
        return None
    wanted = normalize_header(text)
    for lang_strings in STRINGS.values():
        for key, label in lang_strings.items():
            if key.startswith("field.opportunities.") or key.startswith("field."):
                column = key.rsplit(".", 1)[1]
                if wanted in (normalize_header(label), normalize_header(column)):
                    return column
    return text  # checked against the sheet's table by the importer (problem.unknown_field)


def _rate(text: str) -> float:
    try:
        value = float(text.replace(",", "."))
    except ValueError:
        raise ValueError(f"--rate: {text!r} is not a number (e.g. --rate USD=0.92)")
    if value <= 0:
        raise ValueError(f"--rate: {text!r} must be above 0")
    return value


def _stage(text: str) -> tuple[str, str]:
    """(stage, status) for a --stage value: a canonical stage key, or its name in either language."""
    from analytics.i18n import STRINGS
    from analytics.ingest.mapping import normalize_header
    from analytics.schema import STAGE_BY_KEY

    wanted = normalize_header(text)
    for key, stage in STAGE_BY_KEY.items():
        names = {normalize_header(key)} | {normalize_header(s.get(f"stage.{key}", "")) for s in STRINGS.values()}
        if wanted in names:
            return key, stage.status
    raise ImportProblem("problem.unknown_stage_name", stage=text, choices=", ".join(STAGE_BY_KEY))


def cmd_kpis(args) -> int:
    from analytics.filters import reference_date
    from analytics.measures.kpis import comparison_kpis, flash_kpis

    if _reversed_period(args):
        return 2
    con = _connect(args)
    flt = _filter(args)
    values = {k: _json_value(v) for k, v in flash_kpis(con, flt).items()}
    if args.compare:
        # the page's deltas: same function, same "today" (the workspace's latest snapshot date)
        cmp = comparison_kpis(con, flt, args.compare, reference_date(con))
        values["comparison"] = None if cmp is None else {k: _json_value(v) for k, v in cmp.items()}
    if args.json:
        print(json.dumps(values, ensure_ascii=False, sort_keys=True))
    else:
        for key, value in values.items():
            print(f"{key}: {value}")
    return 0


def cmd_segments(args) -> int:
    from analytics.views.segments import cli_rows

    if _reversed_period(args):
        return 2
    con = _connect(args)
    flt = _filter(args)
    out = cli_rows(con, flt, args.by)
    if args.json:
        print(json.dumps(out, ensure_ascii=False))
    else:
        for row in out["rows"]:
            print("; ".join(f"{k}: {v}" for k, v in row.items()))
        for figure, sheet in out["missing"].items():
            print(f"{figure}: add {sheet}")
    return 0


def cmd_demo(args) -> int:
    from data.demo import load_demo

    load_demo(_connect(args))
    return 0


def _filter(args):
    """The shared filters of a command line as the pages' Filter (the period only where the command takes one)."""
    from analytics.filters import Filter

    return Filter(start=getattr(args, "start", None), end=getattr(args, "end", None), owner=args.owner,
                  segment=args.segment, team=args.team, region=args.region, source=args.source)


def _reversed_period(args) -> bool:
    """True (and says so) when --start comes after --end."""
    if args.start and args.end and args.start > args.end:
        print(f"--start {args.start} is after --end {args.end}", file=sys.stderr)
        return True
    return False


def _add_dimensions(p) -> None:
    """--owner --segment --team --region --source: the sidebar's filters."""
    for dim in DIMENSION_OPTIONS:
        p.add_argument(f"--{dim}")


def _records(frame, columns) -> list[dict]:
    return [{c: _json_value(v) for c, v in zip(columns, row)} for row in frame[columns].itertuples(index=False)]


def cmd_funnel(args) -> int:
    from analytics.outputs import format as fmt
    from analytics.views import funnel

    if _reversed_period(args):
        return 2
    con = _connect(args)
    flt = _filter(args)
    team = funnel.conversion(con, flt, args.basis)
    reps = funnel.rep_comparison(con, flt, args.basis)
    per_rep = funnel.conversion(con, flt, args.basis, by_owner=True)
    # could_change: the conversion reads a stage past the first that lost deals of unknown stage may have reached
    columns = ["stage", "reached", "conversion_next", "from_start", "could_change"]
    flags = {(r.owner, r.stage) for r in reps.itertuples() if r.far_below}
    out = {
        "basis": args.basis,
        "stages": _records(team, columns),
        "summary": {k: _json_value(v) for k, v in funnel.summary(team).items()},
        "unknown_stage": funnel.unknown_count(con, flt, args.basis),
        "reps": {owner: [dict(rec, far_below=(owner, rec["stage"]) in flags) for rec in _records(g, columns)]
                 for owner, g in per_rep.groupby("owner", sort=True)},
    }
    if args.json:
        print(json.dumps(out, ensure_ascii=False))
    else:
        for rec in out["stages"]:
            conv = rec["conversion_next"]
            # rounded half up, as the page rounds (analytics/outputs/format.py)
            print(f"{rec['stage']}: {rec['reached']}"
                  + (f" -> {fmt.percent(conv, 'en', 1)}" if conv is not None else "")
                  + (" (could change)" if rec["could_change"] else ""))
        print(f"unknown stage: {out['unknown_stage']}")
    return 0


def _amount(text: str) -> float:
    cleaned = text.strip().replace(" ", "").replace("\u00a0", "").replace("\u202f", "").replace("_", "")
    if "," in cleaned and "." not in cleaned:
        cleaned = cleaned.replace(",", ".")
    try:
        return float(cleaned)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}")


def cmd_plan(args) -> int:
    from analytics.outputs import format as fmt
    from analytics.views import plan

    rates: list = [None, None, None]
    if args.rates:
        parts = args.rates.split(";") if ";" in args.rates else args.rates.split(",")
        if len(parts) != 3:
            print("--rates takes three rates: proposal->deal, opportunity->proposal, conversation->opportunity"
                  " (e.g. 40%,50%,1/6; leave one empty to measure it: 40%,,1/6)", file=sys.stderr)
            return 2
        try:
            rates = [plan.parse_rate(p) if p.strip() else None for p in parts]
        except plan.PlanError as exc:
            print(str(exc), file=sys.stderr)
            return 2
    try:
        if args.workspace:
            out = plan.plan(_connect(args), _filter(args), args.goal, args.average_deal, rates, args.weeks)
        else:
            out = plan.reverse_funnel(args.goal, args.average_deal, rates, args.weeks)
    except plan.PlanError as exc:
        hint = "" if args.workspace else " (give it, or --workspace to take it from the workspace's measured values)"
        print(f"{exc}{hint}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(out, ensure_ascii=False))
    else:
        for key in plan.STEPS:
            print(f"{key}: {fmt.number(out[key], 'en', 1)} ({fmt.number(out['per_week'][key], 'en', 1)} per week)")
    return 0


def _print(values: dict, as_json: bool) -> None:
    if as_json:
        print(json.dumps(values, ensure_ascii=False, sort_keys=True))
    else:
        for key, value in values.items():
            print(f"{key}: {value}")


def _number(value):
    """An exact Decimal amount as a JSON number (cents kept), other values as _json_value does."""
    from decimal import Decimal

    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return _json_value(value)


def cmd_movement(args) -> int:
    """The movement between two uploads, as the Pipeline changes page shows it."""
    from analytics.i18n import t
    from analytics.views.movement import MovementError, movement_summary, resolve_pair

    con = _connect(args)
    try:
        a_id, b_id = resolve_pair(con, args.date_from, args.date_to)
    except MovementError as err:
        print(t(err.key, args.lang, **{k: str(v) for k, v in err.params.items()}), file=sys.stderr)
        return 1
    summary = movement_summary(con, _filter(args), a_id, b_id)
    values = {k: _number(v) for k, v in summary.items() if k not in ("waterfall", "reps")}
    values["waterfall"] = [{"step": s["step"], "amount": _number(s["amount"])} for s in summary["waterfall"]]
    values["reps"] = [{k: _number(v) for k, v in r.items()} for r in summary["reps"]]
    _print(values, args.json)
    return 0


def cmd_forecast(args) -> int:
    """Forecast reliability per rep and for the team, as the page shows it."""
    from analytics.views.forecast import reliability
    from analytics.i18n import t

    con = _connect(args)
    result = reliability(con, _filter(args), args.as_of)
    if result["method"] is None:
        print(t(result["reason"], args.lang), file=sys.stderr)
        return 1
    values = {k: _json_value(v) for k, v in result.items() if k not in ("team", "reps")}
    values["team"] = {k: _json_value(v) for k, v in result["team"].items()}
    values["reps"] = [{k: _json_value(v) for k, v in r.items()} for r in result["reps"]]
    _print(values, args.json)
    return 0


def cmd_projection(args) -> int:
    """Where the period will land, with its range and backtest, as the flash page's tile shows it."""
    from analytics.i18n import t
    from analytics.views import projection

    con = _connect(args)
    result = projection.summary(con, _filter(args), args.period, args.as_of)
    if result["reason"] in ("projection.no_data", "projection.no_upload_before"):
        print(t(result["reason"], args.lang), file=sys.stderr)
        return 1
    if result["reason"] is not None:  # no past period: every projected figure is null, and it says why
        print(t(result["reason"], args.lang), file=sys.stderr)
    keys = ("as_of", "won_to_date", "from_open", "from_new", "central", "low", "high", "quota", "naive",
            "open_deals", "past_periods", "reason")
    values = {k: _json_value(result[k]) for k in keys}
    period = result["period"] or {}
    values["period"] = {"start": _json_value(period.get("start")), "end": _json_value(period.get("end")),
                        "preset": args.period}
    values["sources"] = {k: _json_value(v) for k, v in result["sources"].items()}
    values["reps"] = _review_records(result["reps"])
    test = result["backtest"]
    values["backtest"] = {k: _json_value(test[k]) for k in ("periods", "mae_pct", "naive_mae_pct", "coverage",
                                                            "better_by")}
    values["backtest"]["points"] = _review_records(test["points"])
    _print(values, args.json)
    return 0


def cmd_report(args) -> int:
    """The review pack (xlsx) and/or the deck (pptx) of the filter, as the flash page's buttons build them."""
    from dataclasses import replace

    from analytics.outputs import deck, report
    from analytics.filters import filter_options, period_bounds, reference_date
    from analytics.i18n import t

    lang = args.lang

    def fail(key: str, **params) -> int:
        print(t(key, lang, **params), file=sys.stderr)
        return 2

    out, pptx = Path(args.out), (Path(args.pptx) if args.pptx else None)
    if out.suffix.lower() not in (".xlsx", ".pptx"):
        return fail("report.cli.bad_out", out=str(out))
    if pptx is not None and pptx.suffix.lower() != ".pptx":
        return fail("report.cli.bad_out", out=str(pptx))
    outputs = [out] + ([pptx] if pptx else [])
    for path in outputs:
        if not path.parent.is_dir():
            return fail("report.cli.no_folder", folder=str(path.parent))
    if (args.start is None) != (args.end is None):
        return fail("report.cli.half_period")
    if args.start is not None and args.start > args.end:
        return fail("report.cli.bad_period", start=args.start.isoformat(), end=args.end.isoformat())
    if not _workspace_file(args.workspace).exists():
        return fail("report.cli.no_workspace", workspace=args.workspace)
    con = _connect(args)
    if store.table_count(con, "opportunities") == 0:
        return fail("report.cli.no_opportunities", workspace=args.workspace)
    options = filter_options(con)
    for dim in ("owner", "team", "segment", "region", "source"):
        value = getattr(args, dim)
        if value is not None and value not in options.get(dim, []):
            return fail("report.cli.unknown_owner" if dim == "owner" else "report.cli.unknown_value",
                        owner=value, value=value, dimension=dim)
    flt = _filter(args)
    if flt.start is None:  # the pages' default: the current month of the data
        start, end = period_bounds("month", reference_date(con))
        flt = replace(flt, start=start, end=end)
    ctx = report.context(con, flt, lang, args.compare)
    parts = report.build_parts(con, flt, ctx)
    for out in outputs:
        data = deck.deck_bytes(parts, flt, ctx) if out.suffix.lower() == ".pptx" else report.workbook_bytes(parts, lang)
        out.write_bytes(data)
        print(t("report.cli.written", lang, path=str(out)))
    return 0


def _review_records(df) -> list[dict]:
    """A DataFrame as JSON-friendly records (NaN -> null, dates as ISO text)."""
    if df is None:
        return None
    return [{k: _json_value(v) for k, v in row.items()} for row in df.to_dict("records")]


def _plain_tree(value):
    """The review's dict of DataFrames and values as plain JSON-friendly values."""
    import pandas as pd

    if isinstance(value, pd.DataFrame):
        return _review_records(value)
    if isinstance(value, dict):
        return {str(k): _plain_tree(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain_tree(v) for v in value]
    return _json_value(value)


def cmd_review(args) -> int:
    """The individual review of --owner, or the collective review of --team (the whole selection when
    --team is given no value), for the period (default: the current month of the latest upload, as the
    pages' sidebar opens)."""
    from analytics.views import reviews
    from analytics.filters import Filter, period_bounds, reference_date
    from analytics.outputs.summary import sentence

    if (args.owner is None) == (args.team is None):
        print("review: give either --owner NAME (individual review) or --team [TEAM] (collective review)",
              file=sys.stderr)
        return 2
    if (args.start is None) != (args.end is None):
        print("review: give both --start and --end, or neither (the current month)", file=sys.stderr)
        return 2
    con = _connect(args)
    if con.execute("SELECT count(*) FROM snapshots").fetchall()[0][0] == 0:
        print(f"review: no opportunities in the workspace {args.workspace}; import a CRM export first",
              file=sys.stderr)
        return 1
    today = reference_date(con)
    start, end = (args.start, args.end) if args.start else period_bounds("month", today)
    if start > end:
        print(f"review: --start {start} is after --end {end}", file=sys.stderr)
        return 2
    team = args.team or None
    flt = Filter(start=start, end=end, team=team, segment=args.segment, region=args.region, source=args.source)
    if args.owner is not None:
        known = reviews.owners(con, flt)
        if args.owner not in known:
            print(f"review: no deal or target for the owner {args.owner!r}; owners: {', '.join(known)}",
                  file=sys.stderr)
            return 1
        result = reviews.individual(con, flt, args.owner, today)
        result["summary"] = [item | {"text": sentence(item, args.lang, currency=store.workspace_currency(con))}
                             for item in result["summary"]]
        result["view"] = "individual"
    else:
        from analytics.filters import filter_options

        teams = filter_options(con)["team"]
        if team is not None and team not in teams:
            print(f"review: no team {team!r} in the workspace; teams: {', '.join(teams) or '(no reps sheet)'}",
                  file=sys.stderr)
            return 1
        result = reviews.collective(con, flt, today)
        result["view"] = "collective"
    result["period"] = {"start": start, "end": end}
    out = _plain_tree(result)
    if args.json:
        print(json.dumps(out, ensure_ascii=False, sort_keys=True))
    else:
        for key, value in out.items():
            if isinstance(value, list) and value and isinstance(value[0], dict) and "text" in value[0]:
                print(f"{key}:")
                for item in value:
                    print(f"  - {item['text']}")
            elif isinstance(value, list):
                print(f"{key}: {len(value)} row(s)")
            else:
                print(f"{key}: {value}")
    return 0


def cmd_members(args) -> int:
    """Team mode's registry (analytics/members.py): add, remove or list the members of an app workspace."""
    from analytics import members
    from analytics.filters import filter_options

    if args.action == "list":
        rows = members.members(store.workspace_slug(args.workspace)) if args.workspace else [
            m for ws in members.workspaces() for m in members.members(ws)]
        out = [{"workspace": m.workspace, "email": m.email, "rep": m.rep} for m in rows]
        if args.json:
            print(json.dumps(out, ensure_ascii=False))
        for row in [] if args.json else out:
            print(f"{row['workspace']}: {row['email']}" + (f" (rep: {row['rep']})" if row["rep"] else ""))
        return 0
    if not args.workspace or not args.email:
        raise CliError(f"members {args.action}: give --workspace and --email")
    slug = store.workspace_slug(args.workspace)
    con = _connect(argparse.Namespace(workspace=slug, create=args.create, lang=None))
    try:
        if args.action == "remove":
            if not members.remove(slug, args.email):
                raise CliError(f"{args.email} is not a member of {slug}", 1)
            print(f"{members.normalize_email(args.email)} removed from {slug}")
            return 0
        member = members.add(slug, args.email, args.rep)
    except ValueError as error:
        raise CliError(str(error))
    print(f"{member.email} is a member of {slug}" + (f", limited to the individual review of {member.rep}"
                                                      if member.rep else ""))
    if member.rep and member.rep not in filter_options(con).get("owner", []):
        print(f"note: no deal or target for the rep {member.rep!r} in {slug} yet: check the spelling",
              file=sys.stderr)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m analytics", description="Cockpit commercial")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("import", help="import CRM exports into a workspace")
    p.add_argument("files", nargs="+")
    _add_workspace(p)
    p.add_argument("--snapshot-date", type=_iso_date)
    p.add_argument("--lang", choices=["fr", "en"], default="fr")
    p.add_argument("--table", choices=sorted(TABLES), help="the table every sheet holds (else recognised)")
    p.add_argument("--map", action="append", metavar="HEADER=FIELD",
                   help='map a header of the file to a field, e.g. --map "Proba=probability"; repeatable')
    p.add_argument("--stage", action="append", metavar="CRM_STAGE=STAGE",
                   help='map a CRM stage to a funnel stage, e.g. --stage "Devis envoyé=proposal"; repeatable')
    p.add_argument("--rate", action="append", metavar="CURRENCY=RATE",
                   help="value of 1 unit of a currency in the workspace's, e.g. --rate USD=0.92; repeatable "
                        "(deals in a currency without a rate are counted but not valued)")
    p.add_argument("--replace", action="store_true",
                   help="replace the whole snapshot of that date (by default the deals are added to it)")
    p.add_argument("--accept-stages", action="store_true",
                   help="import the stage mappings proposed below 'sure' (else the import stops and lists them)")
    p.add_argument("--again", action="store_true",
                   help="import a file already imported (same content), replacing its earlier import")
    p.add_argument("--missing", choices=["drop", "keep"],
                   help="an upload on a new date that lacks reps, teams or regions of the previous one: "
                        "drop = the whole team (their deals are gone), keep = a part (their deals are kept from "
                        "the previous upload); without it such an upload stops and names them")
    p.set_defaults(run=cmd_import)
    p = sub.add_parser("kpis", help="print the flash figures")
    _add_workspace(p)
    p.add_argument("--start", type=_iso_date)
    p.add_argument("--end", type=_iso_date)
    _add_dimensions(p)
    p.add_argument("--compare", choices=["previous", "last_year"],
                   help="add the comparison period's figures, read like for like (as the page's deltas)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(run=cmd_kpis)
    p = sub.add_parser("movement", help="what moved in the pipeline between two uploads")
    _add_workspace(p)
    p.add_argument("--from", dest="date_from", type=_iso_date, help="snapshot A: the upload on or before this date")
    p.add_argument("--to", dest="date_to", type=_iso_date, help="snapshot B: the upload on or before this date")
    _add_dimensions(p)
    p.add_argument("--lang", choices=["fr", "en"], default="fr")
    p.add_argument("--json", action="store_true")
    p.set_defaults(run=cmd_movement)
    p = sub.add_parser("forecast", help="forecast reliability: announced probabilities against outcomes")
    _add_workspace(p)
    p.add_argument("--as-of", type=_iso_date, help="judge the upload on or before this date (default: the earliest)")
    _add_dimensions(p)
    p.add_argument("--lang", choices=["fr", "en"], default="fr")
    p.add_argument("--json", action="store_true")
    p.set_defaults(run=cmd_forecast)
    p = sub.add_parser("projection", help="where the month, quarter or year will land: projection, range, backtest")
    p.add_argument("--workspace", required=True)
    p.add_argument("--period", choices=["month", "quarter", "year"], default="month")
    p.add_argument("--as-of", type=_iso_date, help="project from the upload on or before this date (default: the latest)")
    _add_dimensions(p)
    p.add_argument("--lang", choices=["fr", "en"], default="fr")
    p.add_argument("--json", action="store_true")
    p.set_defaults(run=cmd_projection)
    p = sub.add_parser("segments", help="effort against result per segment (or another axis)")
    _add_workspace(p)
    p.add_argument("--by", choices=["segment", "region", "source", "team", "product", "owner"], default="segment")
    p.add_argument("--start", type=_iso_date)
    p.add_argument("--end", type=_iso_date)
    _add_dimensions(p)
    p.add_argument("--json", action="store_true")
    p.set_defaults(run=cmd_segments)
    p = sub.add_parser("demo", help="load the demo company into a workspace")
    _add_workspace(p)
    p.set_defaults(run=cmd_demo)
    p = sub.add_parser("funnel", help="print the funnel: reached counts and conversions, team and per rep")
    _add_workspace(p)
    p.add_argument("--start", type=_iso_date)
    p.add_argument("--end", type=_iso_date)
    _add_dimensions(p)
    p.add_argument("--basis", choices=["cohort", "closed"], default="cohort",
                   help="deals created in the period (cohort) or closed in it")
    p.add_argument("--json", action="store_true")
    p.set_defaults(run=cmd_funnel)
    p = sub.add_parser("plan", help="reverse funnel: from a revenue goal to the deals, proposals, opportunities"
                                    " and conversations needed")
    p.add_argument("--goal", type=_amount)
    p.add_argument("--average-deal", type=_amount)
    p.add_argument("--rates", help="proposal->deal, opportunity->proposal, conversation->opportunity: 0.4, 40%% or 1/6")
    p.add_argument("--weeks", type=_amount)
    _add_workspace(p, required=False)
    p.add_argument("--start", type=_iso_date)
    p.add_argument("--end", type=_iso_date)
    _add_dimensions(p)
    p.add_argument("--json", action="store_true")
    p.set_defaults(run=cmd_plan)
    p = sub.add_parser("report", help="build the review pack (xlsx) and/or the slide deck (pptx)")
    _add_workspace(p)
    p.add_argument("--start", type=_iso_date, help="first day of the period (default: the data's current month)")
    p.add_argument("--end", type=_iso_date, help="last day of the period")
    _add_dimensions(p)
    p.add_argument("--compare", choices=["previous", "last_year"], default="previous")
    p.add_argument("--lang", choices=["fr", "en"], default="fr")
    p.add_argument("--out", required=True, help="pack.xlsx, or deck.pptx")
    p.add_argument("--pptx", help="also write the slide deck to this .pptx file")
    p.set_defaults(run=cmd_report)
    p = sub.add_parser("review", help="print the individual (--owner) or collective (--team) review")
    _add_workspace(p)
    who = p.add_mutually_exclusive_group()
    who.add_argument("--owner", help="the rep of the individual review")
    who.add_argument("--team", nargs="?", const="", help="the collective review of TEAM (all reps without a value)")
    p.add_argument("--start", type=_iso_date)
    p.add_argument("--end", type=_iso_date)
    for dim in ("segment", "region", "source"):
        p.add_argument(f"--{dim}")
    p.add_argument("--lang", choices=["fr", "en"], default="fr")
    p.add_argument("--json", action="store_true")
    p.set_defaults(run=cmd_review)
    p = sub.add_parser("members", help="team mode: who may open an app workspace (add, remove, list)")
    p.add_argument("action", choices=["add", "remove", "list"])
    p.add_argument("--workspace", help="the app workspace's name (as in the sidebar)")
    p.add_argument("--create", action="store_true", help="make the workspace when it does not exist yet")
    p.add_argument("--email", help="the member's sign-in address")
    p.add_argument("--rep", help="limit the member to this rep's individual review")
    p.add_argument("--json", action="store_true")
    p.set_defaults(run=cmd_members)
    args = parser.parse_args(argv)
    try:
        return args.run(args)
    except CliError as error:
        print(str(error), file=sys.stderr)
        return error.code
    except store.WorkspaceBusy as busy:  # a write other than an import (demo) kept waiting past the bound
        from analytics.i18n import t

        print(t("store.busy", _lang(args), workspace=str(busy.path), seconds=round(busy.waited)), file=sys.stderr)
        return 3


if __name__ == "__main__":
    sys.exit(main())
