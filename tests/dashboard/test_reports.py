"""Downloads and period reports, read back: CSV / XLSX / Parquet tables equal their frame and
carry their filters; the report's XLSX, HTML and PDF hold the numbers SQL gives for the range."""

from __future__ import annotations

import base64
import datetime as dt
import io
import json
import math
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import openpyxl
import pandas as pd
import pyarrow.parquet as pq
import pypdf
import pytest
from streamlit.testing.v1 import AppTest

from dashboard import charts, queries, report_data, reports
from dashboard import cli as dashboard_cli
from dashboard.cli import cli
from dashboard.filters import Filters
from ingest import db, demo_ads, pdf_text, pipeline
from ingest.demo import write_demo
from ingest.demo_payloads import ACME, NORTHWIND
from tests.conftest import Query
from tests.dashboard.conftest import DEMO_DAYS, DEMO_END, build_pruned_db, lake_of, opened

ROOT = Path(__file__).resolve().parents[2]
RANGE = Filters(dt.date(2026, 10, 28), dt.date(2026, 11, 24))  # the last 28 days of the demo
BEFORE = Filters(dt.date(2026, 9, 30), dt.date(2026, 10, 27))
EMPTY = Filters(dt.date(2020, 1, 1), dt.date(2020, 1, 28))
IN_RANGE = "first_seen_at >= ? AND first_seen_at < ? + INTERVAL 1 DAY"
# (ref, page, placement): QR codes registered before the ingest, two refs sharing a placement.
QR_LINKS = [
    ("qr_store12_window", ACME, "store 12"),
    ("qr_store12_counter", ACME, "store 12"),
    ("qr_receipt", ACME, "receipt"),
    ("qr_flyer_spring", ACME, "spring flyer"),
    ("qr_cup_sleeve", NORTHWIND, "cup sleeve"),
]
SPENT_ADS = [("120215678901234567", "Autumn catering menu"), ("23846598765432101", "First")]
SECTIONS = ["New contacts per day", "Channels", "Top refs", "QR placements", "Ads",
            "Comment funnel", "Retention by channel"]  # fmt: skip
CHROMIUM = reports.report_pdf.chromium_path()
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None,
    reason="PDF charts need Chromium (/usr/bin/chromium: apt-get install chromium)",
)


@pytest.fixture(scope="module")
def report_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo logs with QR codes registered (placements) and daily ad spend, ingested (this
    spend, SPENT_ADS, in place of the demo's own: some ads have none)."""
    root = tmp_path_factory.mktemp("report")
    write_demo(root / "logs", days=DEMO_DAYS, end=DEMO_END, seed=7, scale=0.5)
    (root / "logs" / demo_ads.FILE).unlink()
    path = root / "refscope.duckdb"
    con = db.connect(path)
    try:
        for ref, page, placement in QR_LINKS:
            con.execute(
                "INSERT INTO tracked_links VALUES (?, ?, 'qr_code', 'demo', ?, NULL, ?, "
                "TIMESTAMP '2026-01-01')",
                [ref, page, placement, f"https://m.me/{page}?ref={ref}"],
            )
        for i, (ad_id, name) in enumerate(SPENT_ADS):
            con.execute(
                """INSERT INTO ad_insights (date, ad_id, ad_name, spend, conversations_started)
                   SELECT CAST(d AS DATE), ?, ?, 2.5 + dayofmonth(d) % 4 + ?, 1
                   FROM range(DATE '2026-09-01', DATE '2026-11-25', INTERVAL 1 DAY) t(d)""",
                [ad_id, name, i * 1.25],
            )
    finally:
        con.close()
    pipeline.run([str(root / "logs")], path)
    return path


@pytest.fixture(scope="module")
def sql(report_db: Path) -> Query:
    return Query(report_db)


@pytest.fixture(scope="module")
def report(report_db: Path) -> reports.Report:
    con = db.connect(report_db, read_only=True)
    try:
        return reports.gather(reports.connection_fetch(con), RANGE)
    finally:
        con.close()


@pytest.fixture(scope="module")
def book(report: reports.Report) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(reports.render(report, "xlsx")))


@pytest.fixture
def con(report_db: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    with opened(report_db) as c:
        yield c


def rows(ws: Any) -> list[dict[str, Any]]:
    """A section sheet as records keyed by its header labels."""
    values = list(ws.iter_rows(values_only=True))
    return [dict(zip(values[0], r, strict=True)) for r in values[1:]]


def numbers(data: Any) -> list[float]:
    """A trace's numbers from Plotly's JSON, plain or typed-array ({dtype, bdata})."""
    if isinstance(data, dict):
        return np.frombuffer(base64.b64decode(data["bdata"]), dtype=data["dtype"]).tolist()
    return list(data)


def without_none(df: pd.DataFrame) -> pd.DataFrame:
    """CSV and XLSX have no null text, only an empty cell: compare all-None columns as such."""
    return df.astype({c: "str" for c in df.columns if df[c].dtype == object})


def contacts_by_channel(sql: Query, f: Filters) -> dict[str, int]:
    got = sql(f"SELECT channel, count(*) FROM contacts WHERE {IN_RANGE} GROUP BY 1", f.start, f.end)
    return dict(got)


# --- table downloads ---------------------------------------------------------------------------


@pytest.fixture(params=["refs", "contact_rows"])
def table(request: pytest.FixtureRequest, con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Frames with text ids, ints, floats with gaps, booleans, timestamps and all-None columns."""
    df = getattr(queries, request.param)(con, RANGE)
    assert len(df) > 10
    return df


def test_csv_download_reads_back_equal_with_the_filters_in_a_comment(table):
    data = reports.table_bytes("csv", table, "refs", RANGE)
    first, _ = data.decode().split("\n", 1)
    assert first == "# refscope refs, 2026-10-28 – 2026-11-24, pages: all, channels: all"
    dates = [c for c in table.columns if pd.api.types.is_datetime64_any_dtype(table[c])]
    texts = {c: "str" for c in table.columns if table[c].dtype == object or c.endswith("_id")}
    texts |= {c: "str" for c in ("psid", "ref", "channel", "ad_title") if c in table.columns}
    back = pd.read_csv(io.BytesIO(data), skiprows=1, parse_dates=dates, dtype=texts)
    pd.testing.assert_frame_equal(back, without_none(table), check_dtype=False)


def test_csv_download_writes_formula_like_texts_as_text():
    """A ref or ad title is chosen by whoever shares the link or runs the ad: in a spreadsheet
    `=HYPERLINK(...)` would run. Such cells get a leading apostrophe; numbers stay numbers."""
    df = pd.DataFrame(
        {
            "ref": ['=HYPERLINK("http://x.test","go")', "+cmd|' /C calc'!A0", "@SUM(1+1)", "ok"],
            "ad_title": ["-2+3", "\tlead", "spring=sale", None],
            "spend": [-1.5, 2.0, 0.0, 3.0],
        }
    )
    back = pd.read_csv(io.BytesIO(reports.table_bytes("csv", df, "refs", RANGE)), skiprows=1)
    assert back["ref"].tolist() == [
        "'" + df["ref"][0], "'" + df["ref"][1], "'@SUM(1+1)", "ok"]  # fmt: skip
    assert back["ad_title"].tolist()[:3] == ["'-2+3", "'\tlead", "spring=sale"]
    assert back["spend"].tolist() == [-1.5, 2.0, 0.0, 3.0]


def test_xlsx_download_shows_a_whole_float_without_a_trailing_point():
    df = pd.DataFrame({"ref": ["a", "b"], "contacts_per_click": [280.0, 2.75]})
    book = openpyxl.load_workbook(io.BytesIO(reports.table_bytes("xlsx", df, "refs", RANGE)))
    cells = [row[1] for row in book["refs"].iter_rows(min_row=2)]
    assert [c.value for c in cells] == [280, 2.75]
    # Excel draws 280 under "0.####" as "280."; "General" draws "280" and "2.75".
    assert {c.number_format for c in cells} == {"General"}


def test_xlsx_download_shows_spend_and_costs_as_money_with_thousands():
    """4570.46 of spend read "4570.46" in the Ads download and "4,570.46" in the report."""
    df = pd.DataFrame({"ad_id": ["1"], "spend": [4570.46], "cost_per_contact": [9.89],
                       "cost_per_engaged": [12.0], "contacts_per_click": [2.75]})  # fmt: skip
    book = openpyxl.load_workbook(io.BytesIO(reports.table_bytes("xlsx", df, "ads", RANGE)))
    (row,) = book["ads"].iter_rows(min_row=2)
    assert [c.number_format for c in row[1:]] == ["#,##0.00"] * 3 + ["General"]
    assert row[1].value == 4570.46


def test_xlsx_download_shows_rates_as_percent_as_the_report_does():
    """An engaged rate of 0.8247 read "0.8247" in a downloaded table, "82.5%" in the report's
    sheet and on screen."""
    df = pd.DataFrame({"channel": ["organic"], "engaged_rate": [0.8247], "d7": [0.35],
                       "week_1": [0.2], "past_week_1": [10]})  # fmt: skip
    book = openpyxl.load_workbook(io.BytesIO(reports.table_bytes("xlsx", df, "cohorts", RANGE)))
    (row,) = book["cohorts"].iter_rows(min_row=2)
    assert [c.number_format for c in row[1:]] == ["0.0%"] * 3 + ["#,##0"]
    assert row[1].value == 0.8247


def test_xlsx_download_formats_every_rate_and_money_column_as_the_screen_does():
    """Each column a table shows in percent (the web chat's guest share, retention's read
    rate...) or as money is a percent or money cell in its XLSX download: a guest share read
    0.75 in the download beside 75.0% on screen."""
    from dashboard import widgets

    shown = {name: c["type_config"]["format"] for name, c in widgets._columns().items()
             if c.get("type_config", {}).get("format") in (widgets.PERCENT, "%,.2f")}  # fmt: skip
    assert {"guest_share", "read_rate", "reply_rate", "spend"} <= set(shown)
    df = pd.DataFrame({name: [0.75] for name in shown})
    book = openpyxl.load_workbook(io.BytesIO(reports.table_bytes("xlsx", df, "table", RANGE)))
    (header,) = book["table"].iter_rows(max_row=1, values_only=True)
    (row,) = book["table"].iter_rows(min_row=2)
    want = {widgets.PERCENT: "0.0%", "%,.2f": "#,##0.00"}
    assert {h: c.number_format for h, c in zip(header, row, strict=True)} == {
        name: want[fmt] for name, fmt in shown.items()
    }


def test_xlsx_download_writes_a_date_column_as_a_date():
    """A DATE column (a cohort's week) reaches pandas as midnight timestamps: it read
    "2026-11-02 00:00:00" in a downloaded table; a timestamp column keeps its time."""
    con = duckdb.connect()
    df = con.execute(
        "SELECT DATE '2026-11-02' AS cohort_week, TIMESTAMP '2026-11-02 09:30:00' AS first_seen_at,"
        " TIMESTAMP '2026-11-02 00:00:00' AS at_midnight_too"
        " UNION ALL SELECT DATE '2026-11-09', TIMESTAMP '2026-11-09 00:00:00', NULL"
    ).df()
    book = openpyxl.load_workbook(io.BytesIO(reports.table_bytes("xlsx", df, "cohorts", RANGE)))
    first, second = book["cohorts"].iter_rows(min_row=2)
    assert [c.number_format for c in first] == ["yyyy-mm-dd", "yyyy-mm-dd hh:mm:ss", "yyyy-mm-dd"]
    assert first[0].value == dt.datetime(2026, 11, 2) and second[0].value == dt.datetime(
        2026, 11, 9
    )
    assert first[1].value == dt.datetime(2026, 11, 2, 9, 30)


def test_xlsx_download_reads_back_equal_with_a_filters_sheet(table):
    data = reports.table_bytes("xlsx", table, "contacts", RANGE)
    book = openpyxl.load_workbook(io.BytesIO(data))
    assert book.sheetnames == ["contacts", "filters"]
    filters = dict(book["filters"].iter_rows(min_row=2, values_only=True))
    assert filters == {
        "table": "contacts",
        "from": dt.datetime(2026, 10, 28),
        "to": dt.datetime(2026, 11, 24),
        "pages": "all",
        "channels": "all",
    }
    sheet = book["contacts"]
    header = [c.value for c in sheet[1]]
    for c in ("page_id", "ad_id", "psid"):  # long ids stay text: as numbers they would round
        if c in header:
            cells = [row[header.index(c)] for row in sheet.iter_rows(min_row=2)]
            assert {x.data_type for x in cells if x.value is not None} == {"s"}, c
    texts = {c: "str" for c in table.columns if pd.api.types.is_string_dtype(table[c])}
    back = pd.read_excel(io.BytesIO(data), sheet_name="contacts", dtype=texts)
    for c in table.columns:  # Excel keeps time to the millisecond at best
        if pd.api.types.is_datetime64_any_dtype(table[c]):
            assert (back[c] - table[c]).abs().max() < pd.Timedelta(milliseconds=1), c
            back[c] = table[c]
    pd.testing.assert_frame_equal(back, without_none(table), check_dtype=False)


def test_parquet_download_reads_back_equal_with_the_filters_as_metadata(table):
    data = reports.table_bytes("parquet", table, "refs", RANGE)
    pd.testing.assert_frame_equal(pd.read_parquet(io.BytesIO(data)), table)
    meta = pq.read_schema(io.BytesIO(data)).metadata
    assert meta[b"refscope.table"] == b"refs"
    assert meta[b"refscope.from"] == b"2026-10-28"
    assert meta[b"refscope.to"] == b"2026-11-24"
    assert meta[b"refscope.pages"] == b"all"


def test_download_records_pages_channels_and_search():
    f = Filters(RANGE.start, RANGE.end, (ACME,), ("qr_code", "m_me_link"))
    df = pd.DataFrame({"psid": ["1"], "contacts": [3]})
    extra = {"search": "spring"}
    head = reports.table_bytes("csv", df, "contacts", f, extra).decode().splitlines()[0]
    assert head == (
        f"# refscope contacts, 2026-10-28 – 2026-11-24, pages: {ACME}, "
        "channels: qr_code, m_me_link, search: spring"
    )
    book = openpyxl.load_workbook(io.BytesIO(reports.table_bytes("xlsx", df, "contacts", f, extra)))
    filters = dict(book["filters"].iter_rows(min_row=2, values_only=True))
    assert (filters["pages"], filters["channels"], filters["search"]) == (
        ACME, "qr_code, m_me_link", "spring")  # fmt: skip
    meta = pq.read_schema(io.BytesIO(reports.table_bytes("parquet", df, "c", f, extra))).metadata
    assert meta[b"refscope.channels"] == b"qr_code, m_me_link"
    assert meta[b"refscope.search"] == b"spring"
    empty_search = reports.table_bytes("csv", df, "contacts", f, {"search": ""}).decode()
    assert "search" not in empty_search.splitlines()[0]


# --- the XLSX report ---------------------------------------------------------------------------


def test_xlsx_report_has_a_summary_a_chart_sheet_and_one_sheet_per_section(book):
    assert book.sheetnames == ["Summary", "Charts", *SECTIONS]
    for name in SECTIONS:
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
    assert change == pytest.approx(value - previous)
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


def test_an_ads_table_cut_to_the_top_says_so_and_what_the_rest_spent():
    n = report_data.TOP_ADS + 3
    ads = pd.DataFrame({
        "ad_title": [f"ad {i}" for i in range(n)], "ad_id": [str(i) for i in range(n)],
        "new_contacts": [n - i for i in range(n)], "engaged": [0] * n, "spend": [10.0] * n,
        "cost_per_contact": [10.0 / (n - i) for i in range(n)], "cost_per_engaged": [None] * n,
        "conversations_started": [0] * n,
    })  # fmt: skip
    section = report_data._ads(ads)
    assert len(section.table) == report_data.TOP_ADS
    assert (
        section.note
        == f"Top {report_data.TOP_ADS} of {n} ads by new contacts; the other 3 spent 30.00."
    )


def test_an_ads_table_cut_to_the_top_claims_no_spend_of_ads_without_spend_rows():
    """Without ad insights the ads not listed spent nothing known: "spent 0.00" after "No ad
    spend loaded" contradicted it."""
    n = report_data.TOP_ADS + 3
    ads = pd.DataFrame({
        "ad_title": [f"ad {i}" for i in range(n)], "ad_id": [str(i) for i in range(n)],
        "new_contacts": [n - i for i in range(n)], "engaged": [0] * n, "spend": [math.nan] * n,
        "cost_per_contact": [math.nan] * n, "cost_per_engaged": [math.nan] * n,
        "conversations_started": [math.nan] * n,
    })  # fmt: skip
    assert report_data._ads(ads).note == (
        f"No ad spend loaded for this range. Top {report_data.TOP_ADS} of {n} ads by new "
        "contacts; the other 3 have no spend loaded."
    )
    ads["spend"] = [10.0] * report_data.TOP_ADS + [math.nan, 2.5, math.nan]
    assert report_data._ads(ads).note.endswith("; the other 3 spent 2.50.")


def test_an_ads_table_with_some_spend_does_not_say_none_was_loaded(book, report):
    """ "No ad spend loaded" is for ads none of which has spend: here two ads spent, the others
    brought contacts without spend rows, and the note would deny the spend beside it."""
    ads = report.section("ads")
    assert ads.table["spend"].notna().any() and ads.table["spend"].isna().any()
    assert "No ad spend loaded" not in ads.note
    notes = [r[0] for r in book["Summary"].iter_rows(values_only=True) if r[0]]
    assert not any("No ad spend loaded" in str(n) for n in notes)
    unspent = ads.table.assign(spend=None, cost_per_contact=None, cost_per_engaged=None)
    assert report_data._ads(unspent).note == "No ad spend loaded for this range."


def test_a_refs_table_says_it_is_cut_only_when_it_is():
    def refs(n: int) -> pd.DataFrame:
        return pd.DataFrame({
            "page_id": ["1"] * n, "ref": [f"r{i}" for i in range(n)], "channel": ["m_me_link"] * n,
            "new_contacts": [n - i for i in range(n)], "engaged": [0] * n,
        })  # fmt: skip

    assert report_data._refs(refs(3)).note == ""
    assert report_data._refs(refs(report_data.TOP_REFS)).note == ""
    n = report_data.TOP_REFS + 2
    assert (
        report_data._refs(refs(n)).note
        == f"Top {report_data.TOP_REFS} of {n} refs by new contacts."
    )


def test_qr_placements_count_a_ref_two_pages_share_as_two_codes():
    refs = pd.DataFrame({
        "page_id": ["1", "2", "1"], "ref": ["qr_flyer", "qr_flyer", "qr_door"],
        "channel": ["qr_code"] * 3, "placement": ["flyer", "flyer", None],
        "new_contacts": [8, 3, 1], "engaged": [4, 1, 0], "scans": [40, 12, 2],
    })  # fmt: skip
    table = report_data._placements(refs).table.set_index("placement")
    assert table.loc["flyer", ["refs", "new_contacts", "scans"]].tolist() == [2, 11, 52]
    assert table.loc["qr_door", "refs"] == 1


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


# --- the HTML report ---------------------------------------------------------------------------


def test_html_report_is_one_file_that_opens_offline(report):
    html = reports.render(report, "html").decode()
    assert not re.search(r"<script[^>]*\bsrc\s*=", html, re.I)
    assert not re.search(r"<link[^>]*\bhref\s*=", html, re.I)
    assert "Plotly.newPlot" in html and len(html) > 3_000_000  # plotly.js itself is inlined


def test_html_charts_hold_the_daily_numbers_per_channel(report, sql):
    html = reports.render(report, "html").decode()
    blocks = dict(re.findall(r'<script type="application/json" data-chart="([^"]+)">(.*?)</script>',
                             html, re.S))  # fmt: skip
    assert set(blocks) == {f"chart-{k}" for k in
                           ("daily", "channels", "refs", "ads", "funnel", "retention")}  # fmt: skip
    daily = json.loads(blocks["chart-daily"])
    got = {
        (t["name"], day[:10]): n
        for t in daily["data"]
        for day, n in zip(t["x"], numbers(t["y"]), strict=True)
    }
    want = sql(f"SELECT channel, CAST(CAST(first_seen_at AS DATE) AS VARCHAR), count(*) "
               f"FROM contacts WHERE {IN_RANGE} GROUP BY ALL", RANGE.start, RANGE.end)  # fmt: skip
    assert got == {(charts.channel_label(c), d): n for c, d, n in want}
    funnel = json.loads(blocks["chart-funnel"])["data"][0]
    assert numbers(funnel["x"])[0] == report.section("funnel").table["count"].iloc[0]


def test_html_report_prints_the_kpis(report, sql):
    html = reports.render(report, "html").decode()
    now, before = (sum(contacts_by_channel(sql, f).values()) for f in (RANGE, BEFORE))
    assert (
        f"<td>New contacts</td><td class='num'>{now:,}</td><td class='num'>{before:,}</td>" in html
    )


def test_html_report_prints_each_kpis_change_and_its_share(report, sql):
    html = reports.render(report, "html").decode()
    now, before = (sum(contacts_by_channel(sql, f).values()) for f in (RANGE, BEFORE))
    change = f"{now - before:+,} ({(now - before) / before:+.1%})"
    assert f"<td class='num'>{before:,}</td><td class='num'>{change}</td></tr>" in html


def test_html_tables_align_percentages_right_as_numbers(report):
    """A rate column reads down its decimal points like the counts beside it."""
    html = reports.render(report, "html").decode()
    shares = re.findall(r"<td( class='num')?>\d+\.\d%</td>", html)
    assert len(shares) > 10 and set(shares) == {" class='num'"}


# --- the CLI and the PDF -----------------------------------------------------------------------


@needs_chromium
def test_pdf_report_from_the_cli_holds_the_kpis_and_charts(runner, report_db, tmp_path, sql):
    out = tmp_path / "weekly.pdf"
    result = runner.invoke(cli, ["report", "--db", str(report_db), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"wrote {out} (pdf, 2026-10-28 – 2026-11-24")
    pdf = pypdf.PdfReader(out)
    text = "\n".join(p.extract_text() for p in pdf.pages)
    now, before = (sum(contacts_by_channel(sql, f).values()) for f in (RANGE, BEFORE))
    assert f"New contacts {now:,} {before:,} {now - before:+,}" in text
    assert "2026-10-28 – 2026-11-24 (28 days), compared with 2026-09-30 – 2026-10-27" in text
    for title in SECTIONS:
        assert title in text
    assert sum(len(p.images) for p in pdf.pages) == 6


@needs_chromium
def test_pdf_tables_print_rates_as_percent_and_money_with_cents(report):
    text = "\n".join(
        p.extract_text() for p in pypdf.PdfReader(io.BytesIO(reports.render(report, "pdf"))).pages
    )
    retention = report.section("retention").table.dropna(subset=["d7"])
    d7 = [f"{v:.1%}" for v in retention["d7"]]
    assert d7 and all(v in text for v in d7), d7
    spend = [f"{v:,.2f}" for v in report.section("ads").table["spend"].dropna()]
    assert spend and all(v in text for v in spend), spend


@pytest.mark.parametrize("fmt", [pytest.param("pdf", marks=needs_chromium), "html"])
def test_a_one_day_report_says_1_day(report_db, fmt):
    day = RANGE.end
    con = db.connect(report_db, read_only=True)
    try:
        one = reports.gather(reports.connection_fetch(con), Filters(day, day))
    finally:
        con.close()
    out = reports.render(one, fmt)
    text = (pypdf.PdfReader(io.BytesIO(out)).pages[0].extract_text() if fmt == "pdf"
            else out.decode())  # fmt: skip
    assert f"{day} – {day} (1 day), compared with" in text


@pytest.mark.parametrize("fmt", [pytest.param("pdf", marks=needs_chromium), "xlsx", "html"])
def test_a_report_of_chosen_pages_and_channels_names_them(report_db, tmp_path, fmt):
    """A manager reads "Acme Bakery (id)" and "QR code", as in the report's tables, not the
    bare page id and channel key (the header said pages: 1122334455667788, channels: qr_code)."""
    path = tmp_path / "named.duckdb"
    path.write_bytes(report_db.read_bytes())
    con = db.connect(path)
    try:
        con.execute("INSERT OR REPLACE INTO pages VALUES (?, 'acmebakery', 'Acme Bakery')", [ACME])
        f = Filters(RANGE.start, RANGE.end, (ACME,), ("qr_code", "m_me_link"))
        out = reports.render(reports.gather(reports.connection_fetch(con), f), fmt)
    finally:
        con.close()
    if fmt == "xlsx":
        ws = openpyxl.load_workbook(io.BytesIO(out))["Summary"]
        text = " ".join(str(c) for row in ws.iter_rows(values_only=True) for c in row if c)
    elif fmt == "pdf":
        text = pypdf.PdfReader(io.BytesIO(out)).pages[0].extract_text()
    else:
        text = out.decode()
    assert f"Acme Bakery ({ACME})" in text and "QR code, m.me link" in text
    assert "qr_code" not in text and "m_me_link" not in text


def test_a_comment_funnel_of_one_post_says_post():
    one = pd.DataFrame({"comments": [3], "private_replies": [2], "conversations": [1]})
    assert report_data._funnel(one).note == "Over 1 post."


def test_a_long_range_writes_its_days_with_a_thousands_separator():
    """Counts are written 1,066 everywhere else in the report, not "(1066 days)"."""
    assert report_data.length(Filters(dt.date(2024, 1, 1), dt.date(2026, 12, 1))) == "1,066 days"


@pytest.mark.parametrize("fmt", ["pdf", "xlsx", "html"], ids=["pdf", "xlsx", "html"])
def test_a_range_without_data_says_so(runner, report_db, tmp_path, fmt):
    out = tmp_path / f"empty.{fmt}"
    args = ["report", "--db", str(report_db), "--from", "2020-01-01", "--to", "2020-01-28"]
    result = runner.invoke(cli, [*args, "--out", str(out)])
    assert result.exit_code == 0, result.output
    message = "No data for 2020-01-01 – 2020-01-28 (pages: all, channels: all)"
    assert message in result.stderr
    if fmt == "pdf":
        text = "\n".join(p.extract_text() for p in pypdf.PdfReader(out).pages)
    elif fmt == "xlsx":
        book = openpyxl.load_workbook(out)
        text = "\n".join(str(c) for ws in book for r in ws.iter_rows(values_only=True) for c in r)
        assert book.sheetnames == ["Summary", "Charts", *SECTIONS]
    else:
        text = out.read_text(encoding="utf-8")
        assert "<script" not in text
    assert message in text


def test_pdf_tables_narrow_long_texts_not_numbers_and_mark_missing_glyphs():
    """An ad title with emoji keeps a mark where each emoji was (fpdf2 drops them silently);
    a long title wraps while a 15-digit page id and the numbers stay whole."""
    pdf = reports.report_pdf._Pdf("t")
    if pdf.face == "Helvetica":
        pytest.skip("no TrueType font installed")
    pdf.add_page()
    title = "Flat white \u2615\U0001f389 50% off \u2014 \u4eca\u65e5 " + "spring sale " * 12
    head = ["Ad", "Page", "New contacts", "Spend"]
    rows = [[title, "203948571620394", "1,234", "€5,678.90"]] * 3
    reports.report_pdf._table(pdf, head, rows, [False, False, True, True])
    text = pypdf.PdfReader(io.BytesIO(bytes(pdf.output()))).pages[0].extract_text()
    assert "Flat white \u2615\ufffd 50% off \u2014 \ufffd\ufffd" in text
    assert text.count("203948571620394") == 3 and text.count("€5,678.90") == 3
    widths = reports.report_pdf._fit([120.0, 25.0, 20.0, 40.0, 90.0])
    assert widths[1:4] == [25.0, 20.0, 40.0] and sum(widths) == pytest.approx(180)


def test_pdf_without_truetype_fonts_falls_back_to_latin_1(report_db, monkeypatch):
    monkeypatch.setattr(pdf_text, "FONTS", ())
    con = db.connect(report_db, read_only=True)
    try:
        empty = reports.gather(reports.connection_fetch(con), EMPTY)
    finally:
        con.close()
    pdf = pypdf.PdfReader(io.BytesIO(reports.render(empty, "pdf")))
    assert "No data for 2020-01-01 - 2020-01-28" in pdf.pages[0].extract_text()


def test_default_report_is_the_last_28_days_named_by_its_range(
    runner, report_db, tmp_path, monkeypatch
):
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(cli, ["report", "--db", str(report_db), "--format", "xlsx"])
    assert result.exit_code == 0, result.output
    out = tmp_path / "refscope-report-2026-10-28-2026-11-24.xlsx"
    sheet = openpyxl.load_workbook(out)["Summary"]
    summary = {r[0]: r[1] for r in sheet.iter_rows(values_only=True)}
    assert (summary["From"], summary["To"]) == (
        dt.datetime(2026, 10, 28),
        dt.datetime(2026, 11, 24),
    )


def test_a_report_starting_before_a_prune_starts_on_its_date(runner, tmp_path):
    """Before a prune only the contacts active after it are left: a report there would count
    them as that period's, as the dashboard's ranges do not."""
    path = tmp_path / "pruned.duckdb"
    cut = build_pruned_db(path)
    out = tmp_path / "r.xlsx"
    args = ["report", "--db", str(path), "--out", str(out), "--to", str(cut + dt.timedelta(12))]
    result = runner.invoke(cli, [*args, "--from", str(cut - dt.timedelta(5))])
    assert result.exit_code == 0, result.output
    assert f"the report starts on {cut}, not {cut - dt.timedelta(5)}" in result.output
    summary = {
        r[0]: r[1] for r in openpyxl.load_workbook(out)["Summary"].iter_rows(values_only=True)
    }
    assert summary["From"] == dt.datetime.combine(cut, dt.time())
    before = ["report", "--db", str(path), "--out", str(out), "--from",
              str(cut - dt.timedelta(8)), "--to", str(cut - dt.timedelta(1))]  # fmt: skip
    result = runner.invoke(cli, before)
    assert result.exit_code == 2
    assert f"is before {cut}, the date the data was pruned from" in result.output


def test_the_default_range_ends_on_the_newest_whole_day(db_path):
    """A report from cron at 07:00 must not compare seven hours of today with whole days."""
    today = dt.date(2026, 11, 30)
    con = db.connect(db_path)
    try:
        assert dashboard_cli.newest_day(con, today) is None
        row = "INSERT INTO events (event_key, page_id, is_user_ref, ts, kind, is_standby, file, " \
              "line_no, run_id) VALUES (?, 'p', false, ?, 'message', false, 'f', 1, 1)"  # fmt: skip
        con.execute(row, [1, dt.datetime(2026, 11, 30, 6, 59)])
        assert dashboard_cli.newest_day(con, today) == today  # nothing else: today it is
        con.execute(row, [2, dt.datetime(2026, 11, 28, 12)])
        assert dashboard_cli.newest_day(con, today) == dt.date(2026, 11, 28)
        assert dashboard_cli.newest_day(con, dt.date(2026, 12, 1)) == today
    finally:
        con.close()


def test_an_event_at_midnight_today_does_not_make_today_the_newest_whole_day(db_path):
    """Today starts at its 00:00:00: an event on that instant is today's, not yesterday's."""
    today = dt.date(2026, 11, 30)
    con = db.connect(db_path)
    try:
        row = "INSERT INTO events (event_key, page_id, is_user_ref, ts, kind, is_standby, file, " \
              "line_no, run_id) VALUES (?, 'p', false, ?, 'message', false, 'f', 1, 1)"  # fmt: skip
        con.execute(row, [1, dt.datetime(2026, 11, 28, 12)])
        con.execute(row, [2, dt.datetime(2026, 11, 30)])
        assert dashboard_cli.newest_day(con, today) == dt.date(2026, 11, 28)
    finally:
        con.close()


def test_days_sets_a_rolling_range_up_to_the_newest_day(runner, report_db, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(cli, ["report", "--db", str(report_db), "--days", "7"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "refscope-report-2026-11-18-2026-11-24.pdf").is_file()
    assert reports.report_command(RANGE, "xlsx", rolling=True) == (
        "refscope report --days 28 --format xlsx"
    )


def test_an_empty_database_gives_a_report_that_says_so(runner, db_path, tmp_path):
    out = tmp_path / "r.html"
    result = runner.invoke(cli, ["report", "--db", str(db_path), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "No data for" in out.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("option", "value", "column", "shown"),
    # A page without a name in `pages` is shown by its id; a channel by its name.
    [("--page", ACME, "page_id", ACME), ("--channel", "qr_code", "channel", "QR code")],
    ids=["page", "channel"],
)
def test_page_and_channel_options_limit_the_report(
    runner, report_db, tmp_path, sql, option, value, column, shown
):
    out = tmp_path / "part.xlsx"
    args = [option, value, "--from", "2026-10-28", "--to", "2026-11-24", "--out", str(out)]
    result = runner.invoke(cli, ["report", "--db", str(report_db), *args])
    assert result.exit_code == 0, result.output
    n = sql.scalar(f"SELECT count(*) FROM contacts WHERE {column} = ? AND {IN_RANGE}",
                   value, RANGE.start, RANGE.end)  # fmt: skip
    assert 0 < n < sum(contacts_by_channel(sql, RANGE).values())
    book = openpyxl.load_workbook(out)
    assert sum(r["Total"] for r in rows(book["New contacts per day"])) == n
    summary = {r[0]: r[1] for r in book["Summary"].iter_rows(values_only=True)}
    assert summary["Pages" if option == "--page" else "Channels"] == shown


def test_a_missing_database_is_an_error_not_a_report(runner, tmp_path):
    result = runner.invoke(cli, ["report", "--db", str(tmp_path / "none.duckdb"), "--format",
                                 "html", "--out", str(tmp_path / "r.html")])  # fmt: skip
    assert result.exit_code == 1
    assert "no database yet" in result.stderr
    assert not (tmp_path / "r.html").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--out", "report.txt"], "cannot tell the format from report.txt"),
        (["--format", "xlsx", "--out", "report.pdf"], "report.pdf is named as pdf, not xlsx"),
        (["--format", "xlsx", "--out", "REPORT.PDF"], "REPORT.PDF is named as pdf, not xlsx"),
        (["--from", "2026-12-01"], "2026-12-01 is after 2026-11-24"),
        (["--from", "2026-11-02", "--to", "2026-11-01"], "2026-11-02 is after 2026-11-01"),
        (["--format", "docx"], "'docx' is not one of 'pdf', 'xlsx', 'html'"),
        (["--from", "2026-11-20", "--days", "5"], "--from and --days both set the first day"),
        (["--from", "0001-01-01", "--to", "0001-01-02"], "0001-01-01 is outside 2000-01-01"),
        (["--to", "9999-12-31"], "9999-12-31 is outside 2000-01-01 – 2099-12-31"),
    ],
    ids=[
        "unknown-suffix",
        "format-and-suffix-disagree",
        "format-and-capital-suffix-disagree",
        "from-after-newest-data",
        "from-after-to",
        "unknown-format",
        "from-and-days",
        "year-1",
        "year-9999",
    ],  # fmt: skip
)
def test_report_refuses_what_it_cannot_write(
    runner, report_db, tmp_path, monkeypatch, args, message
):
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(cli, ["report", "--db", str(report_db), *args])
    assert list(tmp_path.iterdir()) == []
    assert result.exit_code == 2
    assert message in result.stderr


def test_refscope_command_keeps_every_ingest_command_and_adds_report(runner):
    result = runner.invoke(cli, ["--help"])
    assert result.exit_code == 0
    for name in ("ingest", "demo-data", "dashboard", "links", "pull", "serve", "report"):
        assert f"  {name} " in result.output, name
    assert dashboard_cli.FORMATS == tuple(reports.REPORT_FORMATS)


def test_missing_chromium_is_a_clear_error(report, monkeypatch, tmp_path):
    monkeypatch.setenv("BROWSER_PATH", str(tmp_path / "no-such-chromium"))
    with pytest.raises(reports.report_pdf.ChromiumMissingError, match="apt-get install chromium"):
        reports.render(report, "pdf")
    assert not reports.pdf_available()


def test_a_browser_path_naming_no_file_is_named_not_asked_for(report, monkeypatch, tmp_path):
    """BROWSER_PATH set to a wrong path: the error names it; "set BROWSER_PATH" misled."""
    wrong = tmp_path / "no-such-chromium"
    monkeypatch.setenv("BROWSER_PATH", str(wrong))
    with pytest.raises(reports.report_pdf.ChromiumMissingError) as err:
        reports.render(report, "pdf")
    assert f"BROWSER_PATH names no file ({wrong})" in str(err.value)
    assert "or set BROWSER_PATH" not in str(err.value)
    monkeypatch.delenv("BROWSER_PATH")
    monkeypatch.setenv("PATH", str(tmp_path))  # no Chromium anywhere
    with pytest.raises(reports.report_pdf.ChromiumMissingError, match="or set BROWSER_PATH"):
        reports.render(report, "pdf")


# --- the dashboard -----------------------------------------------------------------------------


def test_reports_page_and_table_pages_offer_their_downloads(report_db, monkeypatch, sql):
    monkeypatch.setenv("REFSCOPE_DB", str(report_db))
    at = AppTest.from_file(str(ROOT / "dashboard" / "streamlit_app.py"), default_timeout=60)
    at.run()
    at.switch_page("app_pages/reports.py").run()
    assert not at.exception, [e.message for e in at.exception]
    assert [t.value for t in at.title] == ["Reports"]
    labels = [b.proto.label for b in at.get("download_button")]
    assert labels == ["Download PDF", "Download XLSX", "Download HTML"]
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


def test_report_refuses_a_database_and_a_lake_together(runner, report_db, tmp_path):
    args = ["report", "--db", str(report_db), "--lake", str(tmp_path), "--format", "xlsx"]
    result = runner.invoke(cli, args)
    assert result.exit_code == 2
    assert "--db and --lake both name what to read: give one of them" in result.output


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
    disabled = {b.proto.label: b.proto.disabled for b in at.get("download_button")}
    assert disabled == {"Download PDF": True, "Download XLSX": False, "Download HTML": False}


def test_a_previous_period_the_data_covers_in_part_is_not_compared(report_db):
    """The data starts on 2026-07-28: a week from 07-31 is compared with 07-24 – 07-30, of which
    it holds three days only. Those few contacts against a whole week are a growth that never
    happened: the report has no previous figure there, as the Overview has none."""
    f = Filters(dt.date(2026, 7, 31), dt.date(2026, 8, 6))
    con = db.connect(report_db, read_only=True)
    try:
        part = reports.gather(reports.connection_fetch(con), f)
        assert queries.kpis(con, f.previous())["new_contacts"].iloc[0] > 0  # there are some
    finally:
        con.close()
    kpis = {k.key: k for k in part.kpis}
    assert kpis["new_contacts"].value and kpis["new_contacts"].previous is None
    table = reports.kpi_table(part).set_index("Metric")
    assert table.loc["New contacts", ["Previous period", "Change"]].tolist() == ["—", "—"]


def test_a_money_change_keeps_its_cents_and_a_count_is_whole():
    spend = report_data.Kpi("spend", "Ad spend", "money", 110.5, 100.0)
    assert report_data.format_change(spend) == "+10.50 (+10.5%)"
    count = report_data.Kpi("new_contacts", "New contacts", "int", 1180.0, 1000.0)
    assert report_data.format_change(count) == "+180 (+18.0%)"


def test_a_rates_change_prints_in_percentage_points():
    """Engaged rate 20% -> 25% is +5.0 pts, as the KPI row says, not +0.1."""
    k = report_data.Kpi("engaged_rate", "Engaged rate", "pct", 0.25, 0.2)
    assert report_data.format_change(k) == "+5.0 pts"


def test_a_share_prints_as_a_percentage():
    """A rate is stored 0-1 and printed as a percentage: 0.253 is 25.3%, not 0.3."""
    assert report_data.format_value(0.253, "pct") == "25.3%"
