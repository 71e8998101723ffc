"""Run every benchmark, each in its own process (so that each peak memory is its own), on data generated once in a
temporary folder, and print one summary table: name, ours, reference, ratio, goal, pass.

    .venv/bin/python benchmarks/run_all.py            the sizes of the goals (about 3 minutes on 2 cores)
    .venv/bin/python benchmarks/run_all.py --quick    small sizes, to check that everything runs (about a minute)

Exits 1 when a goal is missed or a benchmark fails, so that it can gate a release by hand; it is not part of
the test suite.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import common
from common import Result, log, table, workdir

HERE = Path(__file__).resolve().parent

FULL = {"xlsx_rows": 100_000, "csv_rows": 1_000_000, "opportunities": 1_000_000, "activities": 5_000_000,
        "movement_weeks": 52, "movement_deals": 100_000}
QUICK = {"xlsx_rows": 10_000, "csv_rows": 100_000, "opportunities": 100_000, "activities": 500_000,
         "movement_weeks": 8, "movement_deals": 20_000}


def _run(script: str, args: list[str]) -> tuple[list[Result], str | None]:
    """Run one benchmark script with --json; its results, and an error text when it failed."""
    cmd = [sys.executable, str(HERE / script), "--json", *args]
    log(f"== {script} {' '.join(args)}")
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=common.REPO)
    results = []
    for line in proc.stdout.splitlines():
        if line.startswith("BENCH "):
            d = json.loads(line[len("BENCH "):])
            results.append(Result(d["name"], d["ours"], d["reference"], d["goal"], d["kind"], d["unit"], d["note"],
                                  d.get("valid", True)))
    log(f"   {time.perf_counter() - t0:.0f} s")
    if proc.returncode != 0:
        tail = "\n".join(proc.stderr.strip().splitlines()[-15:])
        return results, f"{script} failed (exit {proc.returncode}):\n{tail}"
    return results, None


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="small sizes: checks that every benchmark runs")
    p.add_argument("--workdir", type=Path, default=None, help="keep the generated data in this folder")
    args = p.parse_args()
    sizes = QUICK if args.quick else FULL
    t0 = time.perf_counter()
    results, errors = [], []
    with workdir(args.workdir) as folder:
        import generate

        workspace = folder / "bench.duckdb"
        log(f"== generating {sizes['opportunities']:,} opportunities and {sizes['activities']:,} activities")
        generate.build_workspace(workspace, sizes["opportunities"], sizes["activities"])
        data = ["--workdir", str(folder)]
        for script, extra in [
            ("bench_xlsx.py", ["--rows", str(sizes["xlsx_rows"])] + data),
            ("bench_csv.py", ["--rows", str(sizes["csv_rows"])] + data),
            ("bench_kpis.py", ["--workspace", str(workspace)]),
            ("bench_reviews.py", ["--workspace", str(workspace)]),
            ("bench_segments.py", ["--workspace", str(workspace)]),
            ("bench_render.py", ["--workspace", str(workspace), "--workdir", str(folder / "render")]),
            ("bench_movement.py", ["--weeks", str(sizes["movement_weeks"]), "--deals", str(sizes["movement_deals"]),
                                   "--workdir", str(folder / "movement")]),
            ("bench_report.py", ["--workspace", str(workspace)]),
            ("bench_funnel.py", ["--workspace", str(workspace), "--workdir", str(folder / "funnel")]),
            ("bench_store.py", ["--workspace", str(workspace)]),
            # the movement benchmark's year of weekly uploads is reused when it is there
            ("bench_projection.py", ["--workspace", str(workspace), "--uploads-workspace",
                                     str(folder / "movement" / "movement.duckdb"), "--weeks",
                                     str(sizes["movement_weeks"]), "--deals", str(sizes["movement_deals"]),
                                     "--workdir", str(folder / "projection")]),
            ("bench_drop_to_figure.py", data),
        ]:
            got, error = _run(script, extra)
            results += got
            if error:
                errors.append(error)
    print()
    print(f"Cockpit benchmarks ({'quick sizes' if args.quick else 'goal sizes'}), "
          f"{time.perf_counter() - t0:.0f} s in all")
    print(table(results))
    for error in errors:
        print("\n" + error)
    sys.exit(0 if results and all(r.passed for r in results) and not errors else 1)


if __name__ == "__main__":
    main()
