"""The HTML report as a manager opens it, in headless Chromium with no network: every chart
drawn with the data the file holds, no error in the console, no request leaving the file."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

from dashboard import reports
from dashboard.chromium import HEADLESS_ARGS, INSTALL_HINT, chromium_path

CHROMIUM = chromium_path() or "/usr/bin/chromium"
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not Path(CHROMIUM).exists(), reason=f"{CHROMIUM} is missing: {INSTALL_HINT}"
    ),
]
BLOCK = r'<script type="application/json" data-chart="([^"]+)">(.*?)</script>'


def test_html_report_draws_every_chart_offline_without_console_errors(report, tmp_path):
    html = reports.render(report, "html")
    traces = {chart: len(json.loads(data)["data"])
              for chart, data in re.findall(BLOCK, html.decode(), re.S)}  # fmt: skip
    assert len(traces) == 6
    out = tmp_path / "report.html"
    out.write_bytes(html)
    problems: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=HEADLESS_ARGS)
        try:
            context = browser.new_context(offline=True, viewport={"width": 1280, "height": 900})
            page = context.new_page()
            page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: problems.append(str(e)))
            page.on("request", lambda r: None if r.url.startswith(("file:", "data:", "blob:"))
                    else problems.append(f"request to {r.url}"))  # fmt: skip
            page.goto(out.as_uri())
            page.wait_for_load_state("load")
            drawn = page.evaluate(
                "Object.fromEntries(Array.from(document.querySelectorAll('.js-plotly-plot'))"
                ".filter(d => d.querySelector('.main-svg')).map(d => [d.id, d.data.length]))"
            )
        finally:
            browser.close()
    assert problems == []
    assert drawn == traces
