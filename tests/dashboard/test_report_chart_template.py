"""The report's charts look the same whoever writes the file. Streamlit makes its own plotly
template the default in the dashboard's process ("streamlit": placeholder colours #000001…
that its web page swaps for the theme's): a PDF or HTML report downloaded from the Reports
page drew its charts with it, while `refscope report` (no Streamlit) used plotly's. The issue:
"a Reports page in the dashboard produces the same files for the current filters"."""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import replace
from typing import Any

import plotly.io as pio
import streamlit  # noqa: F401  (registers the "streamlit" template, as the dashboard does)

from dashboard import reports
from tests.dashboard.conftest import opened
from tests.dashboard.report_setup import RANGE

WRITTEN = dt.datetime(2026, 11, 25, 7, 0, tzinfo=dt.UTC)


def _html(report_db, template: str) -> bytes:
    """The HTML report of RANGE, its figures built with template as plotly's default."""
    kept = pio.templates.default
    pio.templates.default = template
    try:
        with opened(report_db) as c:
            report = reports.gather(reports.connection_fetch(c), RANGE)
    finally:
        pio.templates.default = kept
    assert sum(s.figure is not None for s in report.sections) >= 5  # every chart but one
    return reports.render(replace(report, generated_at=WRITTEN), "html")


CHART = re.compile(r'<script type="application/json" data-chart="[^"]+">(.*?)</script>', re.S)


def _parts(html: bytes) -> tuple[str, list[Any]]:
    """The page without its charts, and each chart's figure (plotly writes a template's keys in
    the order it was given: compared as data)."""
    text = html.decode()
    return CHART.sub("", text), [json.loads(m) for m in CHART.findall(text)]


def test_the_dashboards_html_report_is_the_commands(report_db):
    in_dashboard, in_command = _html(report_db, "streamlit"), _html(report_db, "plotly")
    assert b"#000001" not in in_dashboard  # Streamlit's placeholder colours, unswapped
    page, figures = _parts(in_dashboard)
    assert len(figures) >= 5
    assert (page, figures) == _parts(in_command)
