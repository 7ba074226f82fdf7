"""The dashboard's Reports page: its downloads and commands, on a database and on a lake,
and its PDF button without Chromium."""

from __future__ import annotations

import io

import openpyxl
import pytest
from streamlit.testing.v1 import AppTest

from dashboard import markdown_text, reports
from dashboard.cli import cli
from ingest import db
from tests.dashboard.conftest import lake_of
from tests.dashboard.report_setup import RANGE, contacts_by_channel
from tests.dashboard.screen import ROOT, shown


def test_reports_page_and_table_pages_offer_their_downloads(report_db, monkeypatch, sql):
    monkeypatch.setenv("REFSCOPE_DB", str(report_db))
    at = AppTest.from_file(str(ROOT / "dashboard" / "streamlit_app.py"), default_timeout=60)
    at.run()
    at.switch_page("app_pages/reports.py").run()
    assert not at.exception, [e.message for e in at.exception]
    assert [t.value for t in at.title] == ["Reports"]
    labels = [b.proto.label for b in at.get("download_button")]
    assert labels == ["Download CSV", "Download XLSX", "Download Parquet",  # the KPI table
                      "Download PDF", "Download XLSX", "Download HTML"]  # fmt: skip
    kpis = at.dataframe[0].value.set_index("Metric")
    now = sum(contacts_by_channel(sql, RANGE).values())
    assert kpis.loc["New contacts", "This period"] == f"{now:,}"
    assert at.code[0].value == (
        f"refscope report --from 2026-10-28 --to 2026-11-24 --db {report_db.resolve()} --format pdf"
    )
    assert at.code[1].value == (
        f"refscope report --days 28 --db {report_db.resolve()} --format pdf"
    )
    at.switch_page("app_pages/ads.py").run()
    labels = [b.proto.label for b in at.get("download_button")]
    assert labels == ["Download CSV", "Download XLSX", "Download Parquet"]


def test_reports_page_on_a_lake_gives_a_command_that_reads_the_lake(
    report_db, monkeypatch, runner, tmp_path
):
    """`dashboard --lake` has no database: its command must read the same lake, not a
    database file that is not there (or another one)."""
    lake_dir = lake_of(report_db, tmp_path / "lake")
    monkeypatch.setenv("REFSCOPE_LAKE", str(lake_dir))
    monkeypatch.setenv("REFSCOPE_DB", str(tmp_path / "no-such.duckdb"))
    at = AppTest.from_file(str(ROOT / "dashboard" / "streamlit_app.py"), default_timeout=60)
    at.run()
    at.switch_page("app_pages/reports.py").run()
    assert not at.exception, [e.message for e in at.exception]
    shown = at.dataframe[0].value.set_index("Metric")
    assert at.code[0].value == (
        f"refscope report --from 2026-10-28 --to 2026-11-24 --lake {lake_dir.resolve()} "
        "--format pdf"
    )
    assert at.code[1].value == f"refscope report --days 28 --lake {lake_dir.resolve()} --format pdf"
    out = tmp_path / "lake.xlsx"
    args = at.code[0].value.split()[2:-2]
    result = runner.invoke(cli, ["report", *args, "--format", "xlsx", "--out", str(out)])
    assert result.exit_code == 0, result.output
    book = openpyxl.load_workbook(out)
    summary = {r[0]: r[5] for r in book["Summary"].iter_rows(values_only=True)}
    assert summary["New contacts"] == shown.loc["New contacts", "Change"]
    assert summary["Ad spend"] == shown.loc["Ad spend", "Change"]


def test_pdf_button_is_off_without_chromium(report_db, monkeypatch, tmp_path):
    monkeypatch.setenv("REFSCOPE_DB", str(report_db))
    monkeypatch.setenv("BROWSER_PATH", str(tmp_path / "no-such-chromium"))
    at = AppTest.from_file(str(ROOT / "dashboard" / "streamlit_app.py"), default_timeout=60)
    at.run()
    at.switch_page("app_pages/reports.py").run()
    disabled = {b.key: b.proto.disabled for b in at.get("download_button")}
    assert disabled == {"download-kpis-csv": False, "download-kpis-xlsx": False,
                        "download-kpis-parquet": False, "report-pdf": True,
                        "report-xlsx": False, "report-html": False}  # fmt: skip


def test_reports_page_kpi_table_downloads_as_numbers(report_db, monkeypatch, sql):
    """The KPI table the page shows downloads as every table does, its figures as numbers (the
    text on screen, "+12 (+8.0%)", would be no figure in a spreadsheet)."""
    monkeypatch.setenv("REFSCOPE_DB", str(report_db))
    at = AppTest.from_file(str(ROOT / "dashboard" / "streamlit_app.py"), default_timeout=60)
    at.run()
    at.switch_page("app_pages/reports.py").run()
    assert not at.exception, [e.message for e in at.exception]
    keys = [b.key for b in at.get("download_button")]
    assert keys[:3] == ["download-kpis-csv", "download-kpis-xlsx", "download-kpis-parquet"]
    # Two XLSX buttons: the report's are told apart from the table's
    assert "The whole report, every section with its charts:" in [c.value for c in at.caption]
    con = db.connect(report_db, read_only=True)
    try:
        report = reports.gather(reports.connection_fetch(con), RANGE)
    finally:
        con.close()
    frame = reports.kpi_frame(report)
    assert list(frame["metric"]) == list(at.dataframe[0].value["Metric"])
    book = openpyxl.load_workbook(io.BytesIO(reports.table_bytes("xlsx", frame, "kpis", RANGE)))
    got = {r[0]: r[1:] for r in book["kpis"].iter_rows(min_row=2, values_only=True)}
    now = sum(contacts_by_channel(sql, RANGE).values())
    before = sum(contacts_by_channel(sql, RANGE.previous()).values())
    assert got["New contacts"] == (
        now,
        before,
        now - before,
        pytest.approx((now - before) / before),
    )
    assert all(isinstance(v, int | float) for v in got["Ad spend"])


def _reports_page_with_a_broken_chromium(broken, report_db, monkeypatch):
    """The Reports page, with BROWSER_PATH naming a Chromium that is there but does not run."""
    broken.parent.mkdir(parents=True, exist_ok=True)
    broken.write_text("#!/bin/sh\nexit 1\n")
    broken.chmod(0o755)
    monkeypatch.setenv("REFSCOPE_DB", str(report_db))
    monkeypatch.setenv("BROWSER_PATH", str(broken))
    at = AppTest.from_file(str(ROOT / "dashboard" / "streamlit_app.py"), default_timeout=60)
    at.run()
    at.switch_page("app_pages/reports.py").run()
    return at


def test_pdf_button_is_off_with_a_chromium_that_does_not_run(report_db, monkeypatch, tmp_path):
    """A Chromium that is there but does not run (a broken install): the PDF button did nothing
    at all when clicked (the error went to the server's log only); now it is off and says why."""
    broken = tmp_path / "chromium"
    at = _reports_page_with_a_broken_chromium(broken, report_db, monkeypatch)
    assert not at.exception, [e.message for e in at.exception]
    disabled = {b.key: b.proto.disabled for b in at.get("download_button")}
    assert disabled["report-pdf"] and not disabled["report-html"]
    said = [shown(c.value) for c in at.caption]
    assert any(f"the one at {broken} does not run" in c for c in said), said
    assert not reports.pdf_available()


def test_a_chromium_path_in_the_pdf_caption_is_shown_as_given(report_db, monkeypatch, tmp_path):
    """BROWSER_PATH went into the caption's markdown as it was: a folder "*beta*" showed "beta"
    in italics, "__x__" in bold. The path is shown as given, in the command too."""
    broken = tmp_path / "__x__" / "*beta*" / "chromium"
    at = _reports_page_with_a_broken_chromium(broken, report_db, monkeypatch)
    assert not at.exception, [e.message for e in at.exception]
    (caption,) = [c.value for c in at.caption if "does not run" in c.value]
    assert shown(caption) == (
        f"The PDF draws its charts with Chromium, and the one at {broken} does not run "
        f"(`{broken} --headless --version` fails): reinstall it or point BROWSER_PATH at "
        "another."
    )
    assert f"the one at {broken}" not in caption, caption  # its * and _ escaped


@pytest.mark.parametrize(
    ("text", "span"),
    [("/opt/chrome", "`/opt/chrome`"), ("/opt/a`b", "``/opt/a`b``"), ("`x", "`` `x ``")],
    ids=["plain", "backtick-inside", "backtick-first"],
)
def test_a_code_span_holds_its_text_as_given(text, span):
    assert markdown_text.code(text) == span


def test_reports_page_says_below_the_figures_what_they_cover(report_db, monkeypatch):
    """The page showed the key figures with the data note alone: what a KPI counts, and that
    some ad contacts came through ads no pulled insights name, were only in the files."""
    monkeypatch.setenv("REFSCOPE_DB", str(report_db))
    at = AppTest.from_file(str(ROOT / "dashboard" / "streamlit_app.py"), default_timeout=60)
    at.run()
    at.switch_page("app_pages/reports.py").run()
    assert not at.exception, [e.message for e in at.exception]
    captions = [c.value.replace("\\", "") for c in at.caption]  # as literal() escaped them
    cost = [c for c in captions if c.startswith("Cost per ad contact: ")]
    assert len(cost) == 2, captions
    assert cost[0].startswith("Cost per ad contact: Ad spend divided by the new contacts")
    assert "that no pulled ad insights name (ad account not pulled?)" in cost[1]
    reachable = "Reachable at the end (24 h): Contacts of the chosen pages"
    assert any(c.startswith(reachable) for c in captions)
