"""The command line, on the same code path as the pages: scheduled imports and checking figures.

  python -m analytics import FILE [FILE ...] --workspace DIR [--snapshot-date YYYY-MM-DD] [--lang fr|en]
  python -m analytics kpis --workspace DIR [--start D] [--end D] [--owner NAME] [--segment NAME] [--team NAME]
                           [--region NAME] [--source NAME] --json
  python -m analytics demo --workspace DIR
  python -m analytics segments --workspace DIR [--by segment|region|source|team|product|owner] [--start D] [--end D]
                               [--owner NAME] [--segment NAME] [--team NAME] [--region NAME] [--source NAME] --json

--workspace is the workspace's DuckDB file, or a folder (its workspace.duckdb is then used).
"""
from __future__ import annotations

import argparse
import json
import math
import sys
from datetime import date
from pathlib import Path

import duckdb

from analytics import store
from analytics.problems import ImportProblem


def _connect(workspace: str) -> duckdb.DuckDBPyConnection:
    path = Path(workspace)
    if path.suffix != ".duckdb":
        path = path / "workspace.duckdb"
    path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(path))
    store.init_schema(con)
    return con


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
    from analytics.importer import import_files

    files = []
    for name in args.files:
        path = Path(name)
        try:
            files.append((path.name, path.read_bytes()))
        except OSError as exc:
            print(f"{name}: {exc.strerror}", file=sys.stderr)
            return 2
    con = _connect(args.workspace)
    try:
        report = import_files(con, files, snapshot_date=args.snapshot_date)
    except ImportProblem as problem:
        print(problem.render(args.lang), file=sys.stderr)
        return 1
    for note in report.notes:
        print(note.render(args.lang))
    for table, count in report.counts.items():
        print(f"{table}: {count}")
    return 0


def cmd_kpis(args) -> int:
    from analytics.filters import Filter
    from analytics.kpis import flash_kpis

    con = _connect(args.workspace)
    flt = Filter(start=args.start, end=args.end, owner=args.owner, segment=args.segment, team=args.team,
                 region=args.region, source=args.source)
    values = {k: _json_value(v) for k, v in flash_kpis(con, flt).items()}
    if args.json:
        print(json.dumps(values, ensure_ascii=False, sort_keys=True))
    else:
        for key, value in values.items():
            print(f"{key}: {value}")
    return 0


def cmd_segments(args) -> int:
    from analytics.filters import Filter
    from analytics.segments import cli_rows

    if args.start and args.end and args.start > args.end:
        print(f"--start {args.start} is after --end {args.end}", file=sys.stderr)
        return 2
    con = _connect(args.workspace)
    flt = Filter(start=args.start, end=args.end, owner=args.owner, segment=args.segment, team=args.team,
                 region=args.region, source=args.source)
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

    load_demo(_connect(args.workspace))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m analytics", description="Cockpit commercial")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("import", help="import CRM exports into a workspace")
    p.add_argument("files", nargs="+")
    p.add_argument("--workspace", required=True)
    p.add_argument("--snapshot-date", type=_iso_date)
    p.add_argument("--lang", choices=["fr", "en"], default="fr")
    p.set_defaults(run=cmd_import)
    p = sub.add_parser("kpis", help="print the flash figures")
    p.add_argument("--workspace", required=True)
    p.add_argument("--start", type=_iso_date)
    p.add_argument("--end", type=_iso_date)
    for dim in ("owner", "segment", "team", "region", "source"):
        p.add_argument(f"--{dim}")
    p.add_argument("--json", action="store_true")
    p.set_defaults(run=cmd_kpis)
    p = sub.add_parser("segments", help="effort against result per segment (or another axis)")
    p.add_argument("--workspace", required=True)
    p.add_argument("--by", choices=["segment", "region", "source", "team", "product", "owner"], default="segment")
    p.add_argument("--start", type=_iso_date)
    p.add_argument("--end", type=_iso_date)
    for dim in ("owner", "segment", "team", "region", "source"):
        p.add_argument(f"--{dim}")
    p.add_argument("--json", action="store_true")
    p.set_defaults(run=cmd_segments)
    p = sub.add_parser("demo", help="load the demo company into a workspace")
    p.add_argument("--workspace", required=True)
    p.set_defaults(run=cmd_demo)
    args = parser.parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
