"""The Reports page's downloads in a real browser: the files are the report of the filters the
page shows, as `refscope report` writes it for them."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path
from typing import Any

import openpyxl
from click.testing import CliRunner

from dashboard.cli import cli
from ingest.demo_catalog import ACME
from tests.dashboard import test_browser as tb

pytestmark = tb.pytestmark

browser, server, page = tb.browser, tb.server, tb.page  # a dashboard on the demo
last_day = tb.last_day


def _sheets(data: bytes) -> dict[str, list[tuple[Any, ...]]]:
    """Each sheet's rows but the Summary's time of writing, which differs from run to run."""
    book = openpyxl.load_workbook(io.BytesIO(data))
    return {ws.title: [r for r in ws.iter_rows(values_only=True) if r[0] != "Generated (UTC)"]
            for ws in book.worksheets}  # fmt: skip


def test_the_reports_pages_xlsx_is_the_report_command_of_its_filters(
    page, server, demo_db: Path, last_day: dt.date, tmp_path: Path
):
    """A page, a channel and a range picked in the URL: the XLSX the Reports page gives is the
    one `refscope report` writes for them, sheet by sheet (the issue: "a Reports page in the
    dashboard produces the same files for the current filters")."""
    page.goto(f"{server.url}/reports?range=Last+7+days&channel=ctm_ad&channel=organic&page={ACME}")
    tb.finished(page, "Reports", '[data-testid="stCode"]')
    with page.expect_download() as download:
        page.get_by_role("button", name="Download XLSX").last.click()
    got = Path(download.value.path()).read_bytes()
    start = last_day - dt.timedelta(days=6)
    out = tmp_path / "r.xlsx"
    args = ["report", "--db", str(demo_db), "--from", str(start), "--to", str(last_day), "--page",
            ACME, "--channel", "ctm_ad", "--channel", "organic", "--out", str(out)]  # fmt: skip
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    want = _sheets(out.read_bytes())
    assert _sheets(got) == want
    summary = dict(r[:2] for r in want["Summary"] if r[0])
    assert summary["From"] == dt.datetime.combine(start, dt.time()) and ACME in summary["Pages"]
    assert summary["Channels"] != "all"
