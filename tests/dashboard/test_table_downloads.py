"""The table downloads, read back: CSV, XLSX and Parquet equal their frame, carry their
filters, and format each column as the screen does."""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
from collections.abc import Iterator
from pathlib import Path

import duckdb
import openpyxl
import pandas as pd
import pyarrow.parquet as pq
import pytest

from dashboard import queries, reports
from dashboard.filters import ContactPick, Filters
from ingest.demo_payloads import ACME, NORTHWIND
from tests.dashboard.conftest import opened
from tests.dashboard.report_setup import RANGE


def without_none(df: pd.DataFrame) -> pd.DataFrame:
    """CSV and XLSX have no null text, only an empty cell: compare all-None columns as such."""
    return df.astype({c: "str" for c in df.columns if df[c].dtype == object})


@pytest.fixture
def con(report_db: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    with opened(report_db) as c:
        yield c


@pytest.fixture(params=["refs", "contact_rows"])
def table(request: pytest.FixtureRequest, con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Frames with text ids, ints, floats with gaps, booleans, timestamps and all-None columns."""
    df = getattr(queries, request.param)(con, RANGE)
    assert len(df) > 10
    return df


def test_csv_download_reads_back_equal_with_the_filters_in_a_comment(table):
    data = reports.table_bytes("csv", table, "refs", RANGE)
    first, _ = data.decode("utf-8-sig").split("\r\n", 1)
    assert first == "# refscope refs, 2026-10-28 – 2026-11-24, pages: all, channels: all, UTC"
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
        "timezone": "UTC",
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
    # A text column no row fills reads back as text, as it does where rows fill it.
    pd.testing.assert_frame_equal(pd.read_parquet(io.BytesIO(data)), without_none(table))
    meta = pq.read_schema(io.BytesIO(data)).metadata
    assert meta[b"refscope.table"] == b"refs"
    assert meta[b"refscope.from"] == b"2026-10-28"
    assert meta[b"refscope.to"] == b"2026-11-24"
    assert meta[b"refscope.pages"] == b"all"


def test_download_names_each_chosen_page_by_its_name_and_id():
    """A page `pages set` named is named in every file's filters, with its id (two pages may
    share a name); one no name is known for keeps its id alone. They read by id only, though
    the sidebar picks pages by name."""
    f = Filters(RANGE.start, RANGE.end, (ACME, NORTHWIND))
    labels = {ACME: "Acme Bakery", NORTHWIND: NORTHWIND}  # as page_list: an unnamed page's id
    df = pd.DataFrame({"ref": ["spring"], "new_contacts": [3]})
    named = f"Acme Bakery ({ACME}), {NORTHWIND}"
    csv = reports.table_bytes("csv", df, "refs", f, None, labels).decode("utf-8-sig")
    assert csv.splitlines()[0] == (
        f"# refscope refs, 2026-10-28 – 2026-11-24, pages: {named}, channels: all, UTC"
    )
    book = openpyxl.load_workbook(io.BytesIO(reports.table_bytes("xlsx", df, "refs", f, None,
                                                                 labels)))  # fmt: skip
    assert dict(book["filters"].iter_rows(min_row=2, values_only=True))["pages"] == named
    data = reports.table_bytes("parquet", df, "refs", f, None, labels)
    meta = pq.read_schema(io.BytesIO(data)).metadata
    # A program reads the pages of the metadata by id: a name may hold ", ".
    assert meta[b"refscope.pages"].decode() == f"{ACME}, {NORTHWIND}"
    assert f"pages: {named}," in meta[b"refscope.header"].decode()


def test_download_records_pages_channels_and_search():
    f = Filters(RANGE.start, RANGE.end, (ACME,), ("qr_code", "m_me_link"))
    df = pd.DataFrame({"psid": ["1"], "contacts": [3]})
    extra = {"search": "spring"}
    head = reports.table_bytes("csv", df, "contacts", f, extra).decode("utf-8-sig")
    head = head.splitlines()[0]
    assert head == (
        f"# refscope contacts, 2026-10-28 – 2026-11-24, pages: {ACME}, "
        "channels: qr_code, m_me_link, search: spring, UTC"
    )
    book = openpyxl.load_workbook(io.BytesIO(reports.table_bytes("xlsx", df, "contacts", f, extra)))
    filters = dict(book["filters"].iter_rows(min_row=2, values_only=True))
    assert (filters["pages"], filters["channels"], filters["search"]) == (
        ACME, "qr_code, m_me_link", "spring")  # fmt: skip
    meta = pq.read_schema(io.BytesIO(reports.table_bytes("parquet", df, "c", f, extra))).metadata
    assert meta[b"refscope.channels"] == b"qr_code, m_me_link"
    assert meta[b"refscope.search"] == b"spring"
    assert filters["timezone"] == "UTC" and meta[b"refscope.timezone"] == b"UTC"
    empty_search = reports.table_bytes("csv", df, "contacts", f, {"search": ""}).decode()
    assert "search" not in empty_search.splitlines()[0]


def test_csv_comment_line_runs_no_formula_from_a_picked_ref():
    """A ref is whatever a link's sharer typed, commas too: picked on Contacts, it is written
    into the CSV's first line, which a spreadsheet splits at its commas like any row. A part
    there starting with = (or a quote, opening a field that runs into the rows below) was a
    formula cell, or swallowed the header; it is written as text, like the table's cells."""
    pick = ContactPick(ref="x,=cmd|' /C calc'!A0", referer_uri='https://a.test/?q=1,"@SUM(1)')
    df = pd.DataFrame({"psid": ["1", "2"]})
    data = reports.table_bytes("csv", df, "contacts", RANGE, {"search": "a,+b", **pick.described()})
    first, header, *rest = csv.reader(io.StringIO(data.decode("utf-8-sig")))
    assert not [c for c in first if c.lstrip('"').startswith(("=", "+", "-", "@"))], first
    assert "'=cmd|' /C calc'!A0" in first
    assert header == ["psid"] and rest == [["1"], ["2"]]


def test_csv_download_starts_with_a_byte_order_mark_for_excel():
    """Excel opens a CSV without a UTF-8 byte order mark in the system's code page: every
    file's first line (its en dash) and a page named Café read as mojibake ("Caf\u00c3\u00a9")."""
    df = pd.DataFrame({"page": ["Café Ünïcødé", "日本語"], "new_contacts": [1, 2]})
    data = reports.table_bytes("csv", df, "refs", RANGE)
    assert data.startswith(codecs.BOM_UTF8)
    first, header, *rest = csv.reader(io.StringIO(data.decode("utf-8-sig")))
    assert first[0] == "# refscope refs" and first[1] == " 2026-10-28 – 2026-11-24"
    assert rest == [["Café Ünïcødé", "1"], ["日本語", "2"]]
    back = pd.read_csv(io.BytesIO(data), skiprows=1)  # as the README says to read it back
    assert back["page"].tolist() == ["Café Ünïcødé", "日本語"]


def test_csv_text_with_a_carriage_return_stays_in_its_cell():
    """A ref may hold a carriage return (README): written unquoted, a reader split its row
    there, and the cell after it began a row of its own: `'\\r=cmd…` became a row "'" and a row
    starting with the formula the apostrophe was to defuse."""
    df = pd.DataFrame({"ref": ["\r=cmd|' /C calc'!A0", "ok\rx", "a\r\nb"], "n": [1, 2, 3]})
    data = reports.table_bytes("csv", df, "refs", RANGE)
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert rows[1:] == [["ref", "n"], ["'\r=cmd|' /C calc'!A0", "1"], ["ok\rx", "2"],
                        ["a\r\nb", "3"]]  # fmt: skip
    back = pd.read_csv(io.BytesIO(data), skiprows=1)
    assert back["ref"].tolist() == ["'\r=cmd|' /C calc'!A0", "ok\rx", "a\r\nb"]


def test_parquet_downloads_of_any_range_read_as_one_table(con, tmp_path):
    """A text column no row of the range fills (referer_uri without a chat-widget contact; every
    one in a period with no data) was written as Parquet's null type, and a folder of downloads
    did not read as one table: DuckDB and pyarrow cast no text to null."""
    quiet = queries.contact_rows(con, RANGE)
    assert quiet["referer_uri"].isna().all() and len(quiet) > 10
    chat = quiet.head(2).assign(referer_uri="https://acme.example/menu", channel="chat_widget")
    empty = queries.contact_rows(con, Filters(dt.date(2020, 1, 1), dt.date(2020, 1, 28)))
    assert empty.empty
    for name, df in (("a", empty), ("b", quiet), ("c", chat)):
        (tmp_path / f"contacts-{name}.parquet").write_bytes(
            reports.table_bytes("parquet", df, "contacts", RANGE)
        )
    kinds = {
        name: duckdb.sql(f"DESCRIBE SELECT * FROM '{tmp_path}/contacts-{name}.parquet'").fetchall()
        for name in "abc"
    }
    assert kinds["a"] == kinds["b"] == kinds["c"], kinds
    assert ("referer_uri", "VARCHAR") in [row[:2] for row in kinds["b"]]
    both = duckdb.sql(f"SELECT count(*), count(referer_uri) FROM '{tmp_path}/contacts-*.parquet'")
    assert both.fetchall() == [(len(quiet) + 2, 2)]


def test_xlsx_kpis_download_shows_each_change_share_in_percent_as_the_page_does():
    """The Reports page's table reads "-6 (-2.5%)"; its XLSX download's change_share cell read
    -0.0246913580246914 (General) beside it."""
    from dashboard.report_model import Kpi, Report

    kpis = (Kpi("new_contacts", "New contacts", "int", 237, 243),
            Kpi("spend", "Ad spend", "money", 597.85, 500.42))  # fmt: skip
    df = reports.kpi_frame(Report(RANGE, kpis, ()))
    book = openpyxl.load_workbook(io.BytesIO(reports.table_bytes("xlsx", df, "kpis", RANGE)))
    (header,) = book["kpis"].iter_rows(max_row=1, values_only=True)
    shares = [row[header.index("change_share")] for row in book["kpis"].iter_rows(min_row=2)]
    assert [c.value for c in shares] == pytest.approx([-6 / 243, 97.43 / 500.42])
    assert [c.number_format for c in shares] == ["0.0%", "0.0%"]
