"""The browser helpers checked against a throwaway Streamlit script, so that a page that raises or draws an empty
chart is known to fail the page tests (tests/e2e/test_pages.py), not to pass them silently.
"""
from __future__ import annotations

import textwrap

import pytest

from .browser import ARTIFACTS, expect_charts, streamlit_server, wait_for_app

# One script, one case per query parameter, so that a single server serves every test here.
SCRIPT = textwrap.dedent('''
    import altair as alt
    import pandas as pd
    import streamlit as st

    case = st.query_params.get("case", "ok")
    st.title("helper check: " + case)
    if case == "raise":
        raise RuntimeError("boom from the throwaway page")
    if case == "st_exception":
        st.exception(ValueError("shown with st.exception"))
    if case in ("ok", "two"):
        bars = pd.DataFrame({"stage": ["lead", "proposal", "won"], "deals": [30, 12, 5]})
        st.altair_chart(alt.Chart(bars).mark_bar().encode(x="stage", y="deals"))
    if case == "two":
        st.altair_chart(alt.Chart(pd.DataFrame({"stage": [], "deals": []})).mark_bar().encode(x="stage", y="deals"))
    if case == "canvas":  # over 2 000 points: Streamlit has Vega draw on a canvas instead of SVG
        points = pd.DataFrame({"x": range(3000), "y": [i % 97 for i in range(3000)]})
        st.altair_chart(alt.Chart(points).mark_circle(color="#d62728").encode(x="x", y="y"))
    if case == "blank_canvas":
        points = pd.DataFrame({"x": range(3000), "y": [None] * 3000})
        st.altair_chart(alt.Chart(points).mark_circle().encode(x="x", y="y:Q"))
''')


@pytest.fixture(scope="module")
def throwaway_url(tmp_path_factory):
    folder = tmp_path_factory.mktemp("throwaway")
    script = folder / "throwaway_app.py"
    script.write_text(SCRIPT)
    with streamlit_server(script, folder / "workspaces", ARTIFACTS / "streamlit-throwaway.log") as url:
        yield url


def test_a_page_that_raises_fails_the_wait(page, throwaway_url):
    page.goto(throwaway_url + "/?case=raise")
    with pytest.raises(pytest.fail.Exception, match="the page shows an exception") as caught:
        wait_for_app(page)
    # .streamlit/config.toml redacts error details: the user never sees the exception's text or traceback.
    assert "boom from the throwaway page" not in str(caught.value)


def test_a_page_that_raises_fails_a_wait_for_what_it_should_show(page, throwaway_url):
    page.goto(throwaway_url + "/?case=raise")
    with pytest.raises(pytest.fail.Exception, match="the page shows an exception"):
        wait_for_app(page, until=page.get_by_text("never shown"))


def test_what_never_shows_fails_the_wait(page, throwaway_url):
    page.goto(throwaway_url + "/?case=ok")
    with pytest.raises(pytest.fail.Exception, match="did not appear"):
        wait_for_app(page, timeout=3_000, until=page.get_by_text("never shown"))


def test_an_st_exception_box_fails_the_wait(page, throwaway_url):
    page.goto(throwaway_url + "/?case=st_exception")
    with pytest.raises(pytest.fail.Exception, match="shown with st.exception"):
        wait_for_app(page)


def test_a_page_with_a_chart_passes_and_its_marks_are_counted(page, throwaway_url):
    page.goto(throwaway_url + "/?case=ok")
    wait_for_app(page)
    assert expect_charts(page) == [3]  # three bars


def test_an_empty_chart_fails(page, throwaway_url):
    page.goto(throwaway_url + "/?case=two")
    wait_for_app(page)
    with pytest.raises(pytest.fail.Exception, match="has no marks"):
        expect_charts(page, minimum=2, timeout=3_000)


def test_a_missing_chart_fails(page, throwaway_url):
    page.goto(throwaway_url + "/?case=none")
    wait_for_app(page)
    with pytest.raises(pytest.fail.Exception, match="at least 1 chart"):
        expect_charts(page, timeout=1_000)


def test_a_canvas_chart_counts_coloured_pixels(page, throwaway_url):
    page.goto(throwaway_url + "/?case=canvas")
    wait_for_app(page)
    assert expect_charts(page)[0] > 1000


def test_a_blank_canvas_chart_fails(page, throwaway_url):
    page.goto(throwaway_url + "/?case=blank_canvas")
    wait_for_app(page)
    with pytest.raises(pytest.fail.Exception, match="has no marks"):
        expect_charts(page, timeout=3_000)
