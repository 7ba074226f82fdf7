"""The XLSX report, read back: its sheets (KPIs, ads, placements, funnel, retention) hold the
numbers SQL gives for the range, in cells formatted as on screen, beside native charts."""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile

import openpyxl
import pytest

from dashboard import charts, reports
from dashboard.rounding import half_up
from ingest.demo_catalog import AD_PRODUCTS
from tests.dashboard.report_setup import (
    BEFORE,
    DEMO_SECTIONS,
    IN_RANGE,
    PRODUCTS,
    QR_LINKS,
    RANGE,
    SPENT_ADS,
    contacts_by_channel,
    rows,
)
from tests.dashboard.xlsx_fit import unfit_cells


def test_xlsx_report_has_a_summary_a_chart_sheet_and_one_sheet_per_section(book):
    assert book.sheetnames == ["Summary", "Charts", *DEMO_SECTIONS]
    for name in DEMO_SECTIONS:
        header = next(book[name].iter_rows(max_row=1))
        assert all(c.font.b for c in header), name


def test_xlsx_daily_sheet_totals_equal_sql(book, sql):
    daily = rows(book["New contacts per day"])
    assert [r["Day"] for r in daily] == [
        dt.datetime(2026, 10, 28) + dt.timedelta(days=i) for i in range(RANGE.days)
    ]
    by_channel = contacts_by_channel(sql, RANGE)
    assert sum(r["Total"] for r in daily) == sum(by_channel.values()) > 100
    for channel, n in by_channel.items():
        assert sum(r[charts.channel_label(channel)] for r in daily) == n, channel
    per_day = dict(sql(f"SELECT CAST(first_seen_at AS DATE), count(*) FROM contacts "
                       f"WHERE {IN_RANGE} GROUP BY 1", RANGE.start, RANGE.end))  # fmt: skip
    assert {r["Day"].date(): r["Total"] for r in daily if r["Total"]} == per_day
    assert all(type(v) is int for r in daily for k, v in r.items() if k != "Day")


def test_xlsx_products_sheet_counts_the_demo_product_ads_new_contacts(book, sql):
    got = {(r["Product id"], r["Channel"], r["New contacts"]) for r in rows(book[PRODUCTS])}
    want = sql(
        f"SELECT product_id, 'Click-to-Messenger ad', count(*) FROM contacts "
        f"WHERE {IN_RANGE} AND product_id IS NOT NULL GROUP BY 1",
        RANGE.start,
        RANGE.end,
    )
    assert got and got == set(want) and {p for p, _, _ in got} <= set(AD_PRODUCTS.values())


def test_xlsx_kpis_are_numbers_against_the_previous_period(book, sql):
    ws = book["Summary"]
    labels = {r[0]: r[1:] for r in ws.iter_rows(values_only=True) if r[0]}
    assert labels["From"][0] == dt.datetime(2026, 10, 28)
    assert labels["Compared with"][0] == dt.datetime(2026, 9, 30)
    now, before = (sum(contacts_by_channel(sql, f).values()) for f in (RANGE, BEFORE))
    value, previous, change, relative = labels["New contacts"][:4]
    assert (value, previous, change) == (now, before, now - before)
    assert relative == pytest.approx((now - before) / before)
    spend = sql.scalar("SELECT sum(spend) FROM ad_insights WHERE date BETWEEN ? AND ?",
                       RANGE.start, RANGE.end)  # fmt: skip
    assert labels["Ad spend"][0] == pytest.approx(spend)
    ads_now = contacts_by_channel(sql, RANGE)["ctm_ad"]
    assert labels["Cost per ad contact"][0] == pytest.approx(spend / ads_now)  # ads' contacts only
    assert ws.cell(row=ws.max_row, column=1).value  # section notes follow the KPIs


def test_xlsx_a_rates_change_is_in_points_with_no_change_percent(book, report):
    """A rate's change is a difference of points: a Change % of it (25% -> 30% as "+20%")
    would read as a growth of the rate itself."""
    ws = book["Summary"]
    labels = {r[0]: r[1:] for r in ws.iter_rows(values_only=True) if r[0]}
    k = next(k for k in report.kpis if k.key == "engaged_rate")
    assert k.value and k.previous and k.value != k.previous
    value, previous, change, relative = labels["Engaged rate"][:4]
    assert change == float(half_up(value - previous, 3))  # in points, as written: +1.1 pts
    assert relative is None
    assert labels["New contacts"][3] is not None  # a count's Change % is there


def test_xlsx_ads_sheet_has_spend_and_cost_per_contact_from_sql(book, sql):
    ads = {r["Ad id"]: r for r in rows(book["Ads"])}
    for ad_id, _ in SPENT_ADS:
        spend = sql.scalar("SELECT sum(spend) FROM ad_insights WHERE ad_id = ? AND date "
                           "BETWEEN ? AND ?", ad_id, RANGE.start, RANGE.end)  # fmt: skip
        n = sql.scalar(f"SELECT count(*) FROM contacts WHERE channel = 'ctm_ad' AND ad_id = ? "
                       f"AND {IN_RANGE}", ad_id, RANGE.start, RANGE.end)  # fmt: skip
        assert ads[ad_id]["Spend"] == pytest.approx(spend)
        assert ads[ad_id]["New contacts"] == n > 0
        assert ads[ad_id]["Cost per contact"] == pytest.approx(spend / n)
    unspent = [r for r in ads.values() if r["Ad id"] not in dict(SPENT_ADS)]
    assert unspent and all(r["Spend"] is None for r in unspent)


def test_xlsx_qr_placements_and_comment_funnel_equal_sql(book, sql):
    placements = {r["Placement"]: r for r in rows(book["QR placements"])}
    got = sql(f"SELECT ref, count(*) FROM contacts WHERE channel = 'qr_code' AND {IN_RANGE} "
              "GROUP BY 1", RANGE.start, RANGE.end)  # fmt: skip
    where = {ref: place for ref, _, place in QR_LINKS}
    want: dict[str, int] = {}
    for ref, n in got:
        want[where[ref]] = want.get(where[ref], 0) + n
    assert {p: r["New contacts"] for p, r in placements.items() if r["New contacts"]} == want
    assert len(want) > 1 and set(placements) <= set(where.values())
    listed = [r["New contacts"] for r in rows(book["QR placements"])]
    assert listed == sorted(listed, reverse=True) and len(set(listed)) > 1  # most first
    funnel = {r["Stage"]: r["Count"] for r in rows(book["Comment funnel"])}
    args = (RANGE.start, RANGE.end)
    ts = "ts >= ? AND ts < ? + INTERVAL 1 DAY"
    assert funnel == {
        "Comments received": sql.scalar(
            "SELECT count(*) FROM events WHERE kind = 'comment' AND detail = 'add' "
            f"AND commenter_id IS DISTINCT FROM page_id AND {ts}",
            *args,
        ),
        "Private replies sent": sql.scalar(
            "SELECT count(*) FROM (SELECT min(ts) AS ts FROM events WHERE comment_id IS NOT NULL"
            " AND (kind = 'message_echo' OR (kind = 'private_reply' AND psid IS NOT NULL))"
            f" GROUP BY page_id, comment_id) WHERE {ts}",
            *args,
        ),
        "Conversations opened": contacts_by_channel(sql, RANGE)["comment_reply"],
    }


def test_xlsx_comment_funnel_shares_are_fractions_of_the_comments(book):
    """Each stage's share is of the comments received (as the funnel chart's "percent
    initial"), stored as a fraction the cell's format shows as a percentage."""
    funnel = rows(book["Comment funnel"])
    comments = funnel[0]["Count"]
    assert [r["Stage"] for r in funnel][0] == "Comments received" and comments > 0
    assert funnel[1]["Count"] != comments  # else a share of another stage would pass
    for r in funnel:
        assert r["Share of comments"] == pytest.approx(r["Count"] / comments), r["Stage"]


def test_xlsx_retention_sheet_covers_every_new_contact(book, sql):
    retention = rows(book["Retention by channel"])
    by_channel = contacts_by_channel(sql, RANGE)
    assert {r["Channel"]: r["Contacts"] for r in retention} == {
        charts.channel_label(c): n for c, n in by_channel.items()
    }
    assert all(0 <= r["Back within 7 days"] <= 1 for r in retention)


def test_xlsx_cells_show_rates_as_percent_money_with_cents_and_counts_whole(book):
    """The numbers are stored as they are (a rate 0-1) and drawn by their cell's format: a
    rate with no percent format reads 0.3, a spend without cents hides them."""
    ws = book["Summary"]
    cells = {r[0].value: r[1:] for r in ws.iter_rows() if r[0].value}
    fmt = {k: [c.number_format for c in v[:3]] for k, v in cells.items()}
    assert fmt["New contacts"] == ["#,##0"] * 3
    assert fmt["Engaged rate"] == ["0.0%"] * 3
    assert fmt["Ad spend"] == ["#,##0.00"] * 3
    assert cells["New contacts"][3].value is not None  # Change %: of the previous value
    assert {cells[k][3].number_format for k in ("New contacts", "Ad spend")} == {"0.0%"}
    ads = book["Ads"]
    header = [c.value for c in ads[1]]
    spend = [r[header.index("Spend")] for r in ads.iter_rows(min_row=2)]
    assert {c.number_format for c in spend if c.value is not None} == {"#,##0.00"}
    retention = book["Retention by channel"]
    header = [c.value for c in retention[1]]
    week = [r[header.index("Back within 7 days")] for r in retention.iter_rows(min_row=2)]
    assert {c.number_format for c in week if c.value is not None} == {"0.0%"}


def test_xlsx_daily_chart_stacks_the_channels_not_their_total(report):
    """A Total series stacked on the channels would draw every day twice as high."""
    data = reports.render(report, "xlsx")
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        daily = z.read("xl/charts/chart1.xml").decode()
    channels = report.section("daily").columns[1:-1]
    assert daily.count("<c:ser>") == len(channels) > 1
    assert "'New contacts per day'!$" + chr(ord("A") + len(channels) + 1) not in daily


def test_xlsx_chart_sheet_holds_native_charts(report):
    data = reports.render(report, "xlsx")
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        chart_files = [n for n in z.namelist() if re.fullmatch(r"xl/charts/chart\d+\.xml", n)]
        daily = z.read("xl/charts/chart1.xml").decode()
    assert len(chart_files) == 6
    assert "'New contacts per day'!$A$2:$A$29" in daily  # the days, as real category cells
    assert len(openpyxl.load_workbook(io.BytesIO(data))["Charts"]._charts) == 6


def test_xlsx_every_number_and_date_fits_its_column(book):
    """A spreadsheet shows a number or date wider than its column as "#######": the Summary's
    "Generated (UTC)" (yyyy-mm-dd hh:mm:ss, 19 characters) stood in a column 16 wide."""
    assert unfit_cells(book) == []
