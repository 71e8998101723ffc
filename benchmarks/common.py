"""What every benchmark shares: timing, peak memory, and one result line that run_all.py gathers.

A benchmark script prints its results as a table for a person, and with --json one `BENCH {...}` line per
result, which run_all.py reads to print the summary table.
"""
from __future__ import annotations

import argparse
import gc
import json
import resource
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))
sys.path.insert(0, str(Path(__file__).resolve().parent))


@dataclass
class Result:
    """One line of the summary table.

    kind "ratio": `ours` and `reference` are seconds, the ratio is reference / ours, and passes when it is
    >= goal. kind "max": `ours` is a measure (seconds, rows, MB) that passes when it is <= goal.
    kind "info": a measure shown for information, with no goal.
    valid False: the measure's own check failed (the two sides disagree): the line fails whatever the numbers.
    """

    name: str
    ours: float
    reference: float | None
    goal: float
    kind: str = "ratio"
    unit: str = "s"
    note: str = ""
    valid: bool = True

    @property
    def ratio(self) -> float | None:
        if self.kind != "ratio" or not self.reference or not self.ours:
            return None
        return self.reference / self.ours

    @property
    def passed(self) -> bool:
        if not self.valid:
            return False
        if self.kind == "ratio":
            return self.ratio is not None and self.ratio >= self.goal
        if self.kind == "info":
            return True
        return self.ours <= self.goal

    def as_dict(self) -> dict:
        return asdict(self) | {"ratio": self.ratio, "passed": self.passed}


def best_time(fn: Callable[[], object], repeat: int = 3) -> tuple[float, object]:
    """The best wall time of `repeat` calls of fn (seconds), and the last call's value.

    The best, not the mean: the machine's other work only ever adds time.
    """
    best, value = float("inf"), None
    for _ in range(repeat):
        gc.collect()
        t0 = time.perf_counter()
        value = fn()
        best = min(best, time.perf_counter() - t0)
    return best, value


def peak_rss_mb() -> float:
    """The process's peak resident memory so far, in MB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def parser(description: str) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--workdir", type=Path, default=None,
                   help="folder for the generated data (default: a temporary folder, removed at the end)")
    p.add_argument("--json", action="store_true", help="print one BENCH {json} line per result (for run_all.py)")
    return p


def workdir(path: Path | None):
    """A context manager yielding the folder for generated data: `path` when given, else a temporary one."""
    if path is not None:
        path.mkdir(parents=True, exist_ok=True)
        from contextlib import nullcontext

        return nullcontext(path)
    return _temporary()


def _temporary():
    from contextlib import contextmanager

    @contextmanager
    def cm():
        with tempfile.TemporaryDirectory(prefix="cockpit-bench-") as tmp:
            yield Path(tmp)

    return cm()


def fmt(value: float | None, unit: str = "") -> str:
    if value is None:
        return "-"
    if unit == "s":
        return f"{value:.3f} s" if value < 10 else f"{value:.1f} s"
    if unit == "x":
        return f"{value:.1f}x"
    if unit in ("rows", ""):
        return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"
    return f"{value:,.0f} {unit}"


def table(results: list[Result]) -> str:
    """The summary table: name, ours, reference, ratio, goal, pass."""
    head = ("benchmark", "ours", "reference", "ratio", "goal", "pass")
    rows = [head]
    for r in results:
        goal = {"ratio": f">= {r.goal:g}x", "max": f"<= {fmt(r.goal, r.unit)}"}.get(r.kind, "-")
        passed = "NO: differ" if not r.valid else "-" if r.kind == "info" else "yes" if r.passed else "NO"
        rows.append((r.name, fmt(r.ours, r.unit), fmt(r.reference, r.unit), fmt(r.ratio, "x"), goal, passed))
    widths = [max(len(row[i]) for row in rows) for i in range(len(head))]
    lines = []
    for k, row in enumerate(rows):
        lines.append("  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths))))
        if k == 0:
            lines.append("  ".join("-" * w for w in widths))
    notes = [f"  {r.name}: {r.note}" for r in results if r.note]
    return "\n".join(lines + (["notes:"] + notes if notes else []))


def report(results: list[Result], as_json: bool) -> None:
    if as_json:
        for r in results:
            print("BENCH " + json.dumps(r.as_dict(), default=str), flush=True)
    else:
        print(table(results))


def log(message: str) -> None:
    """Progress for the person waiting, on stderr so that --json output stays clean."""
    print(message, file=sys.stderr, flush=True)


def run_on_workspace(description: str, run: Callable[[Path], list[Result]]) -> None:
    """The command line of a benchmark over a generated workspace: --workspace reuses one, else one of
    --opportunities / --activities is generated in --workdir (a temporary folder by default); prints the results."""
    import generate

    p = parser(description)
    p.add_argument("--workspace", type=Path, help="an existing generated workspace (else one is generated)")
    p.add_argument("--opportunities", type=int, default=1_000_000)
    p.add_argument("--activities", type=int, default=5_000_000)
    args = p.parse_args()
    if args.workspace:
        report(run(args.workspace), args.json)
        return
    with workdir(args.workdir) as folder:
        path = generate.build_workspace(folder / "bench.duckdb", args.opportunities, args.activities)
        report(run(path), args.json)
