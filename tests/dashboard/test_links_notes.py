"""A registered link's notes on Links & QR codes and in the period report: the last column of
each table and download, whole, also a note of several lines or with control characters."""

from __future__ import annotations

import html
import io
import re
from pathlib import Path

import openpyxl
import pandas as pd
import pyarrow.parquet as pq
import pytest

from dashboard import queries, reports
from dashboard.filters import Filters
from dashboard.report_data import connection_fetch, gather
from ingest import db, links, pipeline
from tests import factories as fx
from tests.dashboard.conftest import opened
from tests.dashboard.screen import headers, show

# Typed in a CSV import or `links create --notes`: lines, a tab, an ESC, a formula's start.
NOTE = "=Main St window,\r\nleft of the door\tprinted 500\x1b[31m (ask Ana)\u2028back"
DAY = fx.utc(fx.T0).date()
F = Filters(DAY, DAY)


def as_excel_reads(value: object) -> object:
    """A cell's text as Excel reads it: the file format writes a control character as _xHHHH_
    (ECMA-376 ST_Xstring, as xlsxwriter does), which openpyxl leaves as written."""
    if not isinstance(value, str):
        return value
    return re.sub("_x(00[01][0-9A-F])_", lambda m: chr(int(m[1], 16)), value)


@pytest.fixture
def noted_db(db_path: Path) -> Path:
    """flyer: a registered QR code with NOTE and a contact; menu: registered with a short note,
    clicked, no touch; walkin: a ref seen in the logs, not registered."""
    lines: list[fx.Json] = []
    for n, ref in enumerate(("flyer", "walkin")):
        psid = f"75{n:014d}"
        lines.append(fx.delivery(fx.postback(referral=fx.referral_obj(ref), psid=psid,
                                             ts=fx.T0 + n * fx.MINUTE)))  # fmt: skip
    lines.append({"object": "refscope_click", "ts": fx.T0, "ref": "menu", "page": fx.PAGE_ID,
                  "qr": False, "device": "mobile"})  # fmt: skip
    con = db.connect(db_path)
    try:
        made = [links.make_link(fx.PAGE_ID, "flyer", "qr", notes=NOTE),
                links.make_link(fx.PAGE_ID, "menu", notes="on the menu card")]  # fmt: skip
        links.register(con, made)
    finally:
        con.close()
    log = fx.write_ndjson(db_path.parent / "logs" / "mixed.ndjson", lines)
    pipeline.run([str(log)], db_path)
    return db_path


def test_refs_carry_each_registered_links_note_last(noted_db):
    with opened(noted_db) as con:
        df = queries.refs(con, F)
    assert list(df.columns)[-1] == "notes"
    notes = df.set_index("ref")["notes"]
    assert notes["flyer"] == NOTE  # whole, as stored
    assert notes["menu"] == "on the menu card"  # clicked, no contact: a row of its own
    assert pd.isna(notes["walkin"])  # not registered: no note


def test_links_page_shows_the_notes_last(open_app, noted_db):
    at = show(open_app(noted_db), "links")
    assert headers(at)[-1] == "Notes"
    shown = at.dataframe[0].value.set_index("ref")["notes"]
    assert shown["menu"] == "on the menu card" and pd.isna(shown["walkin"])
    assert set(shown.index) == {"flyer", "menu", "walkin"}


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "parquet"], ids=["csv", "xlsx", "parquet"])
def test_links_downloads_hold_each_note_whole_in_its_row(noted_db, fmt):
    """A note's line breaks and control characters neither split its row nor are lost: each
    download reads back one row per ref, the note as stored (a CSV's formula start quoted)."""
    with opened(noted_db) as con:
        df = queries.with_page_labels(queries.refs(con, F), queries.page_list(con))
    data = io.BytesIO(reports.table_bytes(fmt, df, "refs", F))
    if fmt == "csv":
        back = pd.read_csv(data, skiprows=1, dtype=str, keep_default_na=False)
        rows = back.to_dict("records")
    elif fmt == "xlsx":
        ws = openpyxl.load_workbook(data)["refs"]
        head, *values = ws.iter_rows(values_only=True)
        rows = [dict(zip(head, map(as_excel_reads, r), strict=True)) for r in values]
    else:
        rows = pq.read_table(data).to_pylist()
    assert list(rows[0])[-1] == "notes"
    notes = {r["ref"]: r["notes"] for r in rows}
    assert len(rows) == 3 and set(notes) == {"flyer", "menu", "walkin"}
    assert notes["flyer"] == ("'" + NOTE if fmt == "csv" else NOTE)
    assert notes["walkin"] in ("", None)


def test_the_reports_top_refs_end_with_each_links_note_in_xlsx_and_html(noted_db):
    """A manager's report named a ref without what the link is for: the XLSX and HTML Top refs
    tables end with its notes, whole; the PDF's table (its columns) has no room for them."""
    with opened(noted_db) as con:
        report = gather(connection_fetch(con), F)
    refs = report.section("refs")
    assert "notes" not in [c.name for c in refs.columns]  # the PDF's
    ws = openpyxl.load_workbook(io.BytesIO(reports.render(report, "xlsx")))["Top refs"]
    head, *values = ws.iter_rows(values_only=True)
    assert head[-1] == "Notes"
    notes = {r[0]: as_excel_reads(r[-1]) for r in values}
    assert notes == {"flyer": NOTE, "menu": "on the menu card", "walkin": None}
    page = reports.render(report, "html").decode()
    top = page[page.index('<h2 id="refs"') : page.index('<h2 id="placements"')]
    assert "<th>Notes</th></tr>" in top and f"<td dir='auto'>{html.escape(NOTE)}</td></tr>" in top
