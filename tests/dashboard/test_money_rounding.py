"""Money to the cent, rounded half up as the XLSX report's number format shows it: a cost per
contact of exactly 6.175 (12.35 spent, 2 contacts) is 6.18 in the KPIs, the tables and every
report. Python's own formatting rounded the binary double (6.17499999...) down to 6.17, and
2.345 up: the HTML and PDF reports and the dashboard said 6.17 where the XLSX said 6.18."""

from __future__ import annotations

import datetime as dt
import io
import re

import openpyxl

from dashboard import reports
from dashboard.filters import Filters
from dashboard.report_model import Kpi, Report
from ingest import pipeline
from tests import factories as fx
from tests.dashboard.conftest import ad_contact_lines, opened
from tests.dashboard.screen import metric, show

DAY = fx.utc(fx.T0).date()
RANGE = Filters(DAY, DAY + dt.timedelta(days=1))
AD = "6000000000001"


def test_a_half_cent_cost_per_contact_rounds_up_everywhere(db_path, open_app, execute):
    lines = ad_contact_lines(AD, "Sourdough", 2, "73")  # two contacts, 12.35 spent
    pipeline.run([str(fx.write_ndjson(db_path.parent / "logs" / "w.ndjson", lines))], db_path)
    execute("INSERT INTO ad_insights (date, ad_id, ad_name, spend) VALUES (?, ?, 'S', ?)",
            DAY, AD, 12.35)  # fmt: skip
    with opened(db_path) as c:
        report = reports.gather(reports.connection_fetch(c), RANGE)
    cost = next(k for k in report.kpis if k.key == "cost_per_contact")
    assert cost.value == 12.35 / 2  # unrounded: the XLSX cell, and any sum or change, use it
    assert reports.kpi_table(report).set_index("Metric").loc[cost.label, "This period"] == "6.18"
    html = reports.render(report, "html").decode()
    cells = re.findall(r">([\d.,]+)</td>", html)
    assert cells.count("6.18") == 2 and "6.17" not in cells  # the KPI and the Ads table's cost
    book = openpyxl.load_workbook(io.BytesIO(reports.render(report, "xlsx")))
    cells = [c for ws in book for row in ws.iter_rows() for c in row if c.value == 12.35 / 2]
    assert cells and {c.number_format for c in cells} == {"#,##0.00"}  # Excel shows 6.18

    at = show(open_app(db_path, range="Custom", **{"from": str(RANGE.start),
                                                   "to": str(RANGE.end)}), "overview")  # fmt: skip
    assert metric(at, "Cost per ad contact").value == "6.18"
    ads = show(at, "ads").dataframe[0].value  # the browser writes the cents it is given
    assert ads["cost_per_contact"].tolist() == [6.18] and ads["spend"].tolist() == [12.35]


def test_a_half_tenth_percent_rate_rounds_up_everywhere(db_path, open_app):
    """1 of 16 contacts engaged: exactly 6.25%. Python's formatting made it 6.2% (halves to
    even) in the KPI and the HTML report, the browser 6.3% in the channel table beside it, as
    the XLSX report does (its "0.0%" rounds half up)."""
    lines = []
    for n in range(16):
        psid, ts = f"74{n:014d}", fx.T0 + n * fx.MINUTE
        lines.append(fx.delivery(fx.postback(referral=fx.referral_obj("flyer"), psid=psid, ts=ts)))
        lines.append(fx.delivery(fx.message("hi", psid=psid, ts=ts + 1000)))
        if n == 0:
            lines.append(fx.delivery(fx.message("price?", psid=psid, ts=ts + 2000)))
    pipeline.run([str(fx.write_ndjson(db_path.parent / "logs" / "w.ndjson", lines))], db_path)
    with opened(db_path) as c:
        report = reports.gather(reports.connection_fetch(c), RANGE)
    rate = next(k for k in report.kpis if k.key == "engaged_rate")
    assert rate.value == 1 / 16
    assert reports.kpi_table(report).set_index("Metric").loc[rate.label, "This period"] == "6.3%"
    cells = re.findall(r">([\d.]+%)</td>", reports.render(report, "html").decode())
    assert "6.3%" in cells and "6.2%" not in cells  # the KPI, the channel and the ref

    at = show(open_app(db_path, range="Custom", **{"from": str(RANGE.start),
                                                   "to": str(RANGE.end)}), "overview")  # fmt: skip
    assert metric(at, "Engaged rate").value == "6.3%"
    assert at.dataframe[0].value["engaged_rate"].tolist() == [6.3]  # percent, as shown


def test_the_xlsx_summary_stores_each_change_as_the_report_writes_it():
    """A change's cell held the difference with its float tail (a spend's 12.499999, a rate's
    0.29999999999999993) beside a text of "+12.50" and "+30.0 pts": it is stored as written,
    in the KPI's number format."""
    kpis = (Kpi("new_contacts", "New contacts", "int", 4, 7),
            Kpi("engaged_rate", "Engaged rate", "pct", 0.7, 0.4),
            Kpi("spend", "Ad spend", "money", 112.499999, 100.0))  # fmt: skip
    assert (kpis[1].change, kpis[2].change) != (0.3, 12.5)  # the tails the cells held
    book = openpyxl.load_workbook(io.BytesIO(reports.render(Report(RANGE, kpis, ()), "xlsx")))
    cells = {r[0].value: r[1:] for r in book["Summary"].iter_rows() if r[0].value}
    stored = {k: (v[2].value, v[3].value, v[4].value) for k, v in cells.items() if k in
              ("New contacts", "Engaged rate", "Ad spend")}  # fmt: skip
    assert stored == {
        "New contacts": (-3, -0.429, "-3 (-42.9%)"),
        "Engaged rate": (0.3, None, "+30.0 pts"),
        "Ad spend": (12.5, 0.125, "+12.50 (+12.5%)"),
    }
    formats = {k: (v[2].number_format, v[3].number_format) for k, v in cells.items()}
    assert formats["Ad spend"] == ("#,##0.00", "0.0%")


def test_the_kpi_download_holds_each_change_without_a_float_tail():
    """The Reports page's kpis download (CSV, XLSX, Parquet) held the demo's spend change as
    126.77999999999997 (855.49 - 728.71 in doubles): a change is now the difference of the
    values as stored, 126.78, and its share is of that; unrounded values stay unrounded."""
    kpis = (Kpi("engaged_rate", "Engaged rate", "pct", 0.7, 0.4),
            Kpi("spend", "Ad spend", "money", 855.49, 728.71),
            Kpi("cost_per_contact", "Cost per ad contact", "money", 10.693625, 10.25))  # fmt: skip
    frame = reports.kpi_frame(Report(RANGE, kpis, ())).set_index("metric")
    assert frame["change"].tolist() == [0.3, 126.78, 0.443625]
    assert frame.loc["Ad spend", "change_share"] == 126.78 / 728.71
    csv = reports.table_bytes("csv", frame.reset_index(), "kpis", RANGE).decode("utf-8-sig")
    assert "Ad spend,855.49,728.71,126.78," in csv


def test_the_overview_and_the_reports_round_a_change_of_half_a_cent_alike(
    db_path, open_app, execute
):
    """A cost per ad contact of 10.145 (20.29 spent, 2 contacts) one week and 8.71 (17.42, 2)
    the next changed by exactly -1.435: the reports wrote -1.44 (half away from zero, of the
    decimals), the Overview -1.43 (the doubles' -1.43499999…). Both write -1.44 now."""
    ref = fx.ads_referral(ad_id=AD, ad_title="Sourdough")
    lines = [fx.delivery(fx.postback(referral=ref, psid=f"75{n:014d}",
                                     ts=fx.T0 + week * 7 * fx.DAY + n * fx.MINUTE))
             for week in (0, 1) for n in (2 * week, 2 * week + 1)]  # fmt: skip
    pipeline.run([str(fx.write_ndjson(db_path.parent / "logs" / "w.ndjson", lines))], db_path)
    later = DAY + dt.timedelta(days=7)
    for day, spend in ((DAY, 20.29), (later, 17.42)):
        execute("INSERT INTO ad_insights (date, ad_id, ad_name, spend) VALUES (?, ?, 'S', ?)",
                day, AD, spend)  # fmt: skip
    with opened(db_path) as c:
        report = reports.gather(reports.connection_fetch(c), Filters(later, later))
    table = reports.kpi_table(report).set_index("Metric")
    assert table.loc["Cost per ad contact", "Change"] == "-1.44 (-14.1%)"

    at = show(open_app(db_path, range="Custom", **{"from": str(later), "to": str(later)}),
              "overview")  # fmt: skip
    assert metric(at, "Cost per ad contact").delta == "-1.44"
