"""Money named by its currency: the ad insights' account_currency (one per database) beside every
spend and cost per contact the Overview, the Ads page and the reports show; without one known,
the labels as they were."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import openpyxl
import pypdf
import pytest
from streamlit.testing.v1 import AppTest

from dashboard import queries, reports
from dashboard.cli import cli
from ingest import db
from tests.dashboard.conftest import SMALL_RANGE, lake_of, opened
from tests.dashboard.report_setup import needs_chromium, rows
from tests.dashboard.screen import headers, metric, plotly_specs, show

DATES = {"range": "Custom", "from": "2023-11-14", "to": "2023-11-20"}


def in_sek(path: Path) -> Path:
    """The small database with its ad insights pulled from an account in Swedish kronor."""
    con = db.connect(path)
    try:
        con.execute("UPDATE ad_insights SET account_currency = 'SEK'")
    finally:
        con.close()
    return path


def cost_chart(at: AppTest) -> dict[str, Any]:
    """The Ads page's cost per new contact chart, as its Plotly spec."""
    (cost,) = [
        s for s in plotly_specs(at) if s["layout"]["title"]["text"] == "Cost per new contact"
    ]
    return cost


def money_headers(at: AppTest) -> list[str]:
    """The Ads table's spend and cost headers, in order."""
    return [h for h in headers(at) if h.startswith(("Spend", "Cost"))]


def test_the_currency_query_names_the_insights_currency_or_none(small_db, db_path):
    with opened(small_db) as con:
        assert queries.spend_currency(con)["currency"].tolist() == [None]
    with opened(in_sek(small_db)) as con:
        assert queries.spend_currency(con)["currency"].tolist() == ["SEK"]
    with opened(db_path) as con:  # no insights at all
        assert queries.spend_currency(con)["currency"].tolist() == [None]


def test_overview_kpis_name_the_currency_of_the_spend(open_app, small_db):
    at = show(open_app(in_sek(small_db), **DATES), "overview")
    assert metric(at, "Ad spend (SEK)").value == "37.50"
    assert metric(at, "Cost per ad contact (SEK)").value == "7.50"
    money = [m.label for m in at.metric if m.label.startswith(("Ad spend", "Cost per"))]
    assert money == ["Ad spend (SEK)", "Cost per ad contact (SEK)"]


def test_overview_kpis_keep_their_labels_without_a_currency(open_app, small_db):
    at = show(open_app(small_db, **DATES), "overview")
    assert metric(at, "Ad spend").value == "37.50"
    assert metric(at, "Cost per ad contact").value == "7.50"
    money = [m.label for m in at.metric if m.label.startswith(("Ad spend", "Cost per"))]
    assert money == ["Ad spend", "Cost per ad contact"]


def test_ads_page_table_and_chart_name_the_currency(open_app, small_db):
    at = show(open_app(in_sek(small_db), **DATES), "ads")
    assert money_headers(at) == ["Spend (SEK)", "Cost / new contact (SEK)", "Cost / engaged (SEK)"]
    cost = cost_chart(at)
    assert cost["layout"]["yaxis"]["title"]["text"] == "spend / new contact (SEK)"
    assert "SEK per new contact" in cost["data"][0]["hovertemplate"]


def test_ads_page_keeps_its_labels_without_a_currency(open_app, small_db):
    at = show(open_app(small_db, **DATES), "ads")
    assert money_headers(at) == ["Spend", "Cost / new contact", "Cost / engaged"]
    cost = cost_chart(at)
    assert cost["layout"]["yaxis"]["title"]["text"] == "spend / new contact"


def _report(path: Path) -> reports.Report:
    with opened(path) as con:
        return reports.gather(reports.connection_fetch(con), SMALL_RANGE)


def _labels(report: reports.Report) -> tuple[list[str], list[str]]:
    return [k.label for k in report.kpis], [c.label for c in report.section("ads").columns]


def test_the_report_names_the_currency_in_its_kpis_and_ads_columns(small_db):
    kpis, ads = _labels(_report(in_sek(small_db)))
    assert kpis[-2:] == ["Ad spend (SEK)", "Cost per ad contact (SEK)"]
    assert ads[4:7] == ["Spend (SEK)", "Cost per contact (SEK)", "Cost per engaged (SEK)"]


def test_the_report_keeps_its_labels_without_a_currency(small_db):
    kpis, ads = _labels(_report(small_db))
    assert kpis[-2:] == ["Ad spend", "Cost per ad contact"]
    assert ads[4:7] == ["Spend", "Cost per contact", "Cost per engaged"]


def test_html_and_xlsx_reports_name_the_currency(small_db):
    report = _report(in_sek(small_db))
    page = reports.render(report, "html").decode()
    assert "<td>Ad spend (SEK)</td>" in page
    assert "<th>Cost per contact (SEK)</th>" in page
    (ads_chart,) = [json.loads(s.split(">", 1)[1].split("</script>")[0].replace("<\\/", "</"))
                    for s in page.split("<script type=\"application/json\"")[1:]
                    if 'data-chart="chart-ads"' in s.split(">", 1)[0]]  # fmt: skip
    assert ads_chart["layout"]["yaxis"]["title"]["text"] == "spend / new contact (SEK)"
    book = openpyxl.load_workbook(io.BytesIO(reports.render(report, "xlsx")))
    summary = [r[0] for r in book["Summary"].iter_rows(values_only=True)]
    assert "Ad spend (SEK)" in summary and "Cost per ad contact (SEK)" in summary
    assert list(rows(book["Ads"])[0])[4:7] == [
        "Spend (SEK)", "Cost per contact (SEK)", "Cost per engaged (SEK)"
    ]  # fmt: skip
    # The KPI table the Reports page downloads carries the labels too.
    assert reports.kpi_frame(report)["metric"].tolist()[-2:] == [
        "Ad spend (SEK)", "Cost per ad contact (SEK)"
    ]  # fmt: skip


def test_html_and_xlsx_reports_keep_their_labels_without_a_currency(small_db):
    report = _report(small_db)
    page = reports.render(report, "html").decode()
    assert "<td>Ad spend</td>" in page and "<th>Cost per contact</th>" in page
    assert "(SEK)" not in page
    book = openpyxl.load_workbook(io.BytesIO(reports.render(report, "xlsx")))
    assert list(rows(book["Ads"])[0])[4:7] == ["Spend", "Cost per contact", "Cost per engaged"]


@needs_chromium
@pytest.mark.parametrize("sek", [True, False])
def test_pdf_report_names_the_currency_when_known(small_db, sek):
    report = _report(in_sek(small_db) if sek else small_db)
    pdf = pypdf.PdfReader(io.BytesIO(reports.render(report, "pdf")))
    text = "\n".join(p.extract_text() for p in pdf.pages)
    if sek:
        assert "Ad spend (SEK) 37.50" in text
        assert "Cost per ad contact (SEK) 7.50" in text
        assert "Spend (SEK)" in text
    else:
        assert "Ad spend 37.50" in text
        assert "Cost per ad contact 7.50" in text
        assert "(SEK)" not in text


def test_report_from_a_lake_names_the_currency(runner, small_db, tmp_path):
    lake_dir = lake_of(in_sek(small_db), tmp_path / "lake")
    out = tmp_path / "report.xlsx"
    args = ["--from", "2023-11-14", "--to", "2023-11-20", "--format", "xlsx", "--out", str(out)]
    result = runner.invoke(cli, ["report", "--lake", str(lake_dir), *args])
    assert result.exit_code == 0, result.output
    summary = [r[0] for r in openpyxl.load_workbook(out)["Summary"].iter_rows(values_only=True)]
    assert "Ad spend (SEK)" in summary
