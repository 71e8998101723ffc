"""Each page's full render at 1 000 000 opportunities and 5 000 000 activities, through Streamlit's AppTest (the entry
script app.py, then the page, as a browser session would run them), with the rows each chart sends to the browser
and the process's peak memory. Goals: every page under 2 s on this 2-core machine, no chart over 5 000 rows.

"Cold" is the first render after st.cache_data is cleared (the first visitor after an import); "warm" is the same
page rendered again (cached figures). The goal is judged on the cold render.
"""
from __future__ import annotations

import gc
import json
import os
import re
import time
from pathlib import Path

import common  # noqa: F401  (puts the repo on sys.path)
from common import REPO, Result, log, parser, peak_rss_mb, report, workdir

import pyarrow as pa

import generate

RENDER_GOAL_S = 2.0
CHART_ROWS_GOAL = 5000
WORKSPACE = "bench"
RUN_TIMEOUT = 300  # seconds: AppTest's default of 3 s would stop a slow page instead of measuring it


def page_files() -> list[str]:
    """The pages as app.py's st.navigation lists them, in its order."""
    return re.findall(r'st\.Page\(\s*"([^"]+)"', (REPO / "app.py").read_text(encoding="utf-8"))


def _arrow_rows(data: bytes) -> int:
    if not data:
        return 0
    return pa.ipc.open_stream(pa.py_buffer(data)).read_all().num_rows


def chart_rows(at) -> list[int]:
    """Rows each Vega-Lite chart of the run sends to the browser: its Arrow data and named datasets, plus any
    values inlined in the spec."""
    out = []
    for element in at.get("vega_lite_chart"):
        proto = element.proto
        rows = _arrow_rows(proto.data.data) + sum(_arrow_rows(ds.data.data) for ds in proto.datasets)
        spec = json.loads(proto.spec or "{}")
        rows += sum(len(v.get("values", [])) for v in _data_nodes(spec))
        out.append(rows)
    return out


def _data_nodes(node):
    if isinstance(node, dict):
        if isinstance(node.get("data"), dict):
            yield node["data"]
        for key, value in node.items():
            if key == "datasets" and isinstance(value, dict):
                for values in value.values():
                    yield {"values": values}
            elif key != "data":
                yield from _data_nodes(value)
    elif isinstance(node, list):
        for item in node:
            yield from _data_nodes(item)


def table_rows(at) -> list[int]:
    """Rows each st.dataframe / st.table of the run sends to the browser with the page (a lazily loaded
    dataframe sends its first chunk, the rest as the user scrolls)."""
    out = []
    for kind in ("dataframe", "table"):
        for element in at.get(kind):
            proto = element.proto
            rows = _arrow_rows(proto.arrow_data.data)
            if kind == "dataframe" and proto.HasField("lazy_data"):
                rows += _arrow_rows(proto.lazy_data.initial_chunk)
            out.append(rows)
    return out


def _render(at, page: str | None) -> float:
    if page is not None:
        at.switch_page(page)
    gc.collect()
    t0 = time.perf_counter()
    at.run(timeout=RUN_TIMEOUT)
    elapsed = time.perf_counter() - t0
    if at.exception:
        raise RuntimeError(f"{page or 'app.py'} raised: {at.exception[0].message}")
    return elapsed


def run(folder: Path, n_opp: int, n_act: int) -> list[Result]:
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    os.environ["COCKPIT_WORKSPACES"] = str(folder)
    results = []
    pages = page_files()
    log(f"render: pages {', '.join(pages)}")
    # The entry script alone once, to open the workspace (its DuckDB file) outside the measures.
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=RUN_TIMEOUT)
    at.session_state["workspace"] = WORKSPACE
    at.session_state["granted_workspaces"] = {WORKSPACE}  # as its private link would (ui.state.grant)
    at.run()
    for page in pages:
        name = Path(page).stem
        st.cache_data.clear()
        cold = _render(at, page)
        charts, tables = chart_rows(at), table_rows(at)
        warm = _render(at, page)
        log(f"render: {name}: cold {cold:.2f} s, warm {warm:.2f} s, chart rows {charts}, table rows {tables}")
        results.append(Result(f"render {name} (cold) at {n_opp / 1e6:g}M/{n_act / 1e6:g}M", cold, None, RENDER_GOAL_S,
                              kind="max", note=f"warm (cached) {warm:.2f} s"))
        results.append(Result(f"rows to browser, largest chart of {name}", max(charts, default=0), None,
                              CHART_ROWS_GOAL, kind="max", unit="rows",
                              note=f"{len(charts)} chart(s): {charts}; tables: {tables}"))
    results.append(Result(f"peak memory of the app process at {n_opp / 1e6:g}M/{n_act / 1e6:g}M", peak_rss_mb(),
                          None, 0, kind="info", unit="MB", note="ru_maxrss after rendering every page twice"))
    return results


def main() -> None:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--workspace", type=Path, help="an existing generated workspace file (else one is generated)")
    p.add_argument("--opportunities", type=int, default=1_000_000)
    p.add_argument("--activities", type=int, default=5_000_000)
    args = p.parse_args()
    with workdir(args.workdir) as folder:
        path = folder / f"{WORKSPACE}.duckdb"
        if args.workspace:
            if args.workspace.resolve() != path.resolve():
                if path.exists() or path.is_symlink():
                    path.unlink()
                path.symlink_to(args.workspace.resolve())
        else:
            generate.build_workspace(path, args.opportunities, args.activities)
        import duckdb

        con = duckdb.connect(str(path), read_only=True)
        n_opp = con.execute("SELECT count(*) FROM opportunities_current").fetchall()[0][0]
        n_act = con.execute("SELECT count(*) FROM activities").fetchall()[0][0]
        con.close()
        report(run(folder, n_opp, n_act), args.json)


if __name__ == "__main__":
    main()
