"""xlsx ingest, 100 000 rows: the project's reader (analytics.ingest.read.read_file, python-calamine) against
pandas.read_excel(engine="openpyxl"), on the same workbook bytes, side by side in one run. Goal: >= 5x faster.
"""
from __future__ import annotations

import io

import common  # noqa: F401  (puts the repo on sys.path)
from common import Result, best_time, log, parser, report, workdir

import pandas as pd

import generate
from analytics.ingest.read import read_file

GOAL = 5.0


def run(rows: int, folder) -> list[Result]:
    path = folder / f"export-{rows}.xlsx"
    if not path.exists():
        log(f"xlsx: writing a {rows:,}-row workbook (openpyxl, untimed)...")
        generate.write_xlsx(generate.opportunities_export(rows), path)
    data = path.read_bytes()

    log("xlsx: the project's reader...")
    ours, sheets = best_time(lambda: read_file(path.name, data), repeat=3)
    log("xlsx: pandas.read_excel(engine='openpyxl')...")
    reference, frame = best_time(lambda: pd.read_excel(io.BytesIO(data), engine="openpyxl"), repeat=1)

    # Both must have read the same table: same headers, same number of rows.
    (sheet,) = sheets
    assert sheet.headers == [str(c) for c in frame.columns], (sheet.headers, list(frame.columns))
    assert sheet.table.num_rows == len(frame) == rows, (sheet.table.num_rows, len(frame), rows)
    return [Result(f"xlsx ingest {rows:,} rows", ours, reference, GOAL,
                   note=f"{len(data) / 1e6:.1f} MB workbook, {len(frame.columns)} columns; same headers and rows")]


def main() -> None:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--rows", type=int, default=100_000)
    args = p.parse_args()
    with workdir(args.workdir) as folder:
        report(run(args.rows, folder), args.json)


if __name__ == "__main__":
    main()
