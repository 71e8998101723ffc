"""Segments page (placeholder until its issue lands)."""
import streamlit as st

from ui import state

st.title(state.tr("nav.segments"))
st.info(state.tr("page.coming"))
