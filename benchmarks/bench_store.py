"""Several processes, one store: what reading through a published copy and writing under the lock cost.

    .venv/bin/python benchmarks/bench_store.py [--workspace W.duckdb | --opportunities N --activities M] [--json]

- the flash figures read through a store.Reader (the latest published copy, resolved at each statement) against a
  plain read-only DuckDB connection to the same file: the Reader may cost at most 10 % more;
- the same figures read while an import holds the write lock: a page does not wait for an import;
- the first page load after an import, which opens the newly published copy;
- one write with nothing in it (lock, open, CHECKPOINT, close, publish the copy): the fixed cost each import adds,
  mostly the copy, so it grows with the file (the note gives the file's size).
"""
from __future__ import annotations

import math
import shutil
import tempfile
from pathlib import Path

import duckdb

from common import Result, best_time, log, run_on_workspace


def run(path: Path) -> list[Result]:
    from analytics import store
    from analytics.filters import Filter
    from analytics.measures.kpis import flash_kpis

    with tempfile.TemporaryDirectory() as folder:
        main = Path(folder) / "bench.duckdb"
        shutil.copyfile(path, main)  # the copies go beside it, not beside the caller's workspace
        size_mb = main.stat().st_size / 1e6
        log(f"== workspace of {size_mb:.0f} MB")
        reader = store.open_path(main)
        plain = duckdb.connect(str(store._copies(main)[-1][1]), read_only=True)
        flt = Filter()
        # interleaved, each side first every other round, best of 8 each: on a shared machine the others' work only
        # ever adds time, to either side
        t_plain = t_reader = t_during = t_first = float("inf")
        for round_ in range(8):
            for side in (("plain", "reader") if round_ % 2 else ("reader", "plain")):
                if side == "plain":
                    t, expected = best_time(lambda: flash_kpis(plain, flt), repeat=1)
                    t_plain = min(t_plain, t)
                else:
                    t, got = best_time(lambda: flash_kpis(reader, flt), repeat=1)
                    t_reader = min(t_reader, t)
        for _ in range(4):
            with store.writing(main):  # a page loads while an import holds the lock
                t, during = best_time(lambda: flash_kpis(reader, flt), repeat=1)
            t_during = min(t_during, t)
            # the import just published a copy: the next page load opens it (cold)
            t, _ = best_time(lambda: flash_kpis(reader, flt), repeat=1)
            t_first = min(t_first, t)
        t_write, _ = best_time(lambda: _empty_write(store, main))
        t_resolve, _ = best_time(lambda: [store._copies(main) for _ in range(1000)])
        plain.close()
        return [
            Result("flash figures through a Reader (vs a plain connection)", t_reader, t_plain, 0.9,
                   valid=_same(got, expected)),
            Result("flash figures while an import holds the lock (vs a plain connection)", t_during, t_plain, 0.9,
                   valid=_same(during, expected)),
            Result("the first page load after an import (opens the new copy)", t_first, None, 0, kind="info"),
            Result("one empty write: lock, checkpoint, publish the copy", t_write, None, 0, kind="info",
                   note=f"workspace file {size_mb:.0f} MB"),
            Result("finding the latest copy (what a Reader adds to each statement)", t_resolve / 1000 * 1e6, None, 0,
                   kind="info", unit="µs"),
        ]


def _same(a: dict, b: dict) -> bool:
    """The same figures; floating sums to 1e-9 (DuckDB's parallel sums may add in another order)."""
    def same(x, y):
        if isinstance(x, float) and isinstance(y, float):
            return math.isclose(x, y, rel_tol=1e-9) or (math.isnan(x) and math.isnan(y))
        return x == y
    return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)


def _empty_write(store, main: Path) -> None:
    with store.writing(main):
        pass


if __name__ == "__main__":
    run_on_workspace(__doc__.splitlines()[0], run)
