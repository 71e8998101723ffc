"""The layers stay honest: analytics/ is pure Python over DuckDB, and no page renders HTML from data."""
import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ANALYTICS = sorted((ROOT / "analytics").rglob("*.py"))
UI = [ROOT / "app.py", *sorted((ROOT / "pages").glob("*.py"))]


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("path", ANALYTICS, ids=lambda p: p.name)
def test_analytics_does_not_import_streamlit(path):
    assert "streamlit" not in imported_modules(path)


@pytest.mark.parametrize("path", ANALYTICS, ids=lambda p: str(p.relative_to(ROOT)))
def test_analytics_does_not_import_the_interface(path):
    """Data flows one way: nothing under analytics/ (the CLI's summary text included, imports inside functions
    too) imports ui/ or pages/; what both need lives in analytics/ (issue 16, the layers)."""
    assert not {"ui", "pages", "app"} & imported_modules(path)


@pytest.mark.parametrize("path", UI, ids=lambda p: p.name)
def test_no_unsafe_html_in_the_interface(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    unsafe = [kw for node in ast.walk(tree) if isinstance(node, ast.Call) for kw in node.keywords
              if kw.arg == "unsafe_allow_html" and not (isinstance(kw.value, ast.Constant) and kw.value.value is False)]
    assert unsafe == []


def test_every_page_has_a_url_path_that_is_no_file_stem_of_pages():
    """A page whose url_path is missing or equals a pages/ file stem is run by Streamlit alone, without app.py
    (no sidebar, no workspace, no demo): seen with both pages before this test existed."""
    tree = ast.parse((ROOT / "app.py").read_text(encoding="utf-8"))
    calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call) and getattr(n.func, "attr", "") == "Page"]
    stems = {p.stem for p in (ROOT / "pages").glob("*.py")}
    url_paths = [next((kw.value.value for kw in c.keywords if kw.arg == "url_path"), None) for c in calls]
    assert len(calls) >= 2
    assert all(u and u not in stems for u in url_paths), url_paths
