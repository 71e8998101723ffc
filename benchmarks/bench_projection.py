"""The projection of the period (analytics/views/projection.py) at scale, cold.

Two workspaces, as the issue asks:
- uploads: a year of weekly uploads of 100 000 deals each (5.2 M snapshot rows; bench_movement.build), where the
  open deals' rates are measured on past uploads (the projection's first source);
- opportunities: 1 M opportunities with their stage history (generate.build_workspace; two uploads), where the
  rates come from the stage history (its second source).
On each, the month's projection of the team is timed on a freshly opened connection (cold: DuckDB's buffers empty,
as after a restart; the operating system's file cache may be warm), then warm (best of 3); the backtest (a
projection per past upload in a closed month, up to projection.MAX_BACKTEST) is timed for information.
Goal: the cold projection under 2 s on each.
"""
from __future__ import annotations

import time
from pathlib import Path

import common  # noqa: F401  (puts the repo on sys.path)
from common import Result, best_time, log, parser, report, workdir

import duckdb

from analytics.views import projection

GOAL_S = 2.0


def _cold(path: Path, fn) -> tuple[float, float, object]:
    """Wall seconds, CPU seconds (every thread of the process: what a loaded machine does not inflate as much)
    and the value of fn on a freshly opened connection."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        t0, c0 = time.perf_counter(), time.process_time()
        value = fn(con)
        return time.perf_counter() - t0, time.process_time() - c0, value
    finally:
        con.close()


def measure(path: Path, name: str) -> list[Result]:
    cold, cpu, result = _cold(path, lambda con: projection.project(con, period="month"))
    log(f"{name}: central {result['central']:,.0f} (low {result['low']:,.0f}, high {result['high']:,.0f}),"
        f" {result['open_deals']:,} open deals, sources {result['sources']}")
    con = duckdb.connect(str(path), read_only=True)
    warm, _ = best_time(lambda: projection.project(con, period="month"))
    back, test = best_time(lambda: projection.backtest(con, period="month"), repeat=1)
    con.close()
    log(f"{name}: backtest {test['periods']} projections, error {test['mae_pct']} % against"
        f" {test['naive_mae_pct']} % for the naive call, coverage {test['coverage']}")
    ok = result["central"] is not None
    return [
        Result(f"projection cold ({name})", cold, None, GOAL_S, kind="max", valid=ok,
               note=f"{result['open_deals']:,} open deals; CPU {cpu:.2f} s; warm {warm:.3f} s"),
        Result(f"projection backtest ({name})", back, None, 0, kind="info", note=_backtest_note(test)),
    ]


def _backtest_note(test: dict) -> str:
    """The backtest's figures, or that there was nothing to test (one upload): unknown, not an error of 0 %."""
    if not test["periods"] or test["mae_pct"] is None:
        return f"{test['periods']} past projections: no earlier upload to test against"
    naive = "unknown" if test["naive_mae_pct"] is None else f"{test['naive_mae_pct']:.1f} %"
    coverage = "unknown" if test["coverage"] is None else f"{test['coverage']:.2f}"
    return (f"{test['periods']} past projections, error {test['mae_pct']:.1f} % against {naive} for the naive"
            f" call, coverage {coverage}")


def main() -> None:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--workspace", type=Path, help="a generated workspace of 1 M opportunities (else generated)")
    p.add_argument("--uploads-workspace", type=Path,
                   help="a workspace of weekly uploads (bench_movement.build; built when absent)")
    p.add_argument("--opportunities", type=int, default=1_000_000)
    p.add_argument("--weeks", type=int, default=52)
    p.add_argument("--deals", type=int, default=100_000)
    args = p.parse_args()
    import bench_movement
    import generate

    with workdir(args.workdir) as folder:
        uploads = args.uploads_workspace
        if uploads is None or not uploads.exists():
            uploads = bench_movement.build((uploads or folder / "uploads.duckdb"), args.weeks, args.deals)
        big = args.workspace
        if big is None or not big.exists():
            big = generate.build_workspace(big or folder / "bench.duckdb", args.opportunities, 0)
        results = measure(uploads, f"{args.weeks} uploads of {args.deals:,}")
        results += measure(big, f"{args.opportunities:,} opportunities")
        report(results, args.json)


if __name__ == "__main__":
    main()
