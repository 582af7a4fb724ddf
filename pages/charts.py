"""How the pages draw a plotly figure: with plotly's own white template, not Streamlit's chart theme.

Why: Streamlit applies its theme to a figure in the browser, on every draw. On Review that was ~0.3 s of Chromium's
CPU per scene shown (Next over 100,000 scenes: 1.21-1.47 s -> 0.91-1.05 s of browser CPU, /proc-measured A/B,
bench/bench_browser.py has the wall times); the template below is applied by plotly itself while it lays the figure
out, as it does for any figure."""

import plotly.io as pio
import streamlit as st
from plotly.graph_objects import Figure

TEMPLATE = "plotly_white"
FONT = "Source Sans, sans-serif"  # the app's own font, as Streamlit's theme set it
# Plotly's app-wide default: every figure the pages build carries it from its construction (this module is imported
# by the server's start-up and by each page that draws). Set per figure, with update_layout, the whole template was
# validated again: ~12 ms a chart on every run.
pio.templates.default = TEMPLATE


def plotly_chart(fig: Figure, *, key: str, where=st) -> None:
    """Draw fig (in `where`: st, a column or a container) under the key."""
    fig.update_layout(font_family=FONT)
    where.plotly_chart(fig, key=key, theme=None)
