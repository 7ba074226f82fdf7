"""A CSV download read back as the README says keeps its ids whole: an ad id column with blank
cells (contacts of other channels) read as floats, and an 18-digit ad id lost its last digits."""

from __future__ import annotations

import datetime as dt
import io
import re

import pandas as pd

from dashboard import reports
from dashboard.filters import Filters
from tests.test_docs import README


def test_a_contacts_csv_read_back_as_the_readme_says_keeps_every_id():
    rows = pd.DataFrame(
        {
            "page_id": ["1122334455667788", "203948571620394"],
            "page": ["Acme Bakery", "Northwind Coffee"],
            "psid": ["59740184263215283", "7200000000000042"],
            "channel": ["ctm_ad", "organic"],
            "ad_id": ["120215678901234567", None],  # an organic contact came through no ad
            "post_id": [None, "203948571620394_9613606536109630"],
            "message_count": [3, 1],
        }
    )
    f = Filters(dt.date(2026, 11, 6), dt.date(2026, 12, 3))
    data = reports.table_csv(rows, "contacts", f)
    text = " ".join(README.split())
    csv_bullet = text.split("- CSV: a first line", 1)[1].split(" - XLSX:", 1)[0]
    call = re.search(r"`(pandas\.read_csv\(path[^`]*\))`", csv_bullet)
    assert call, csv_bullet
    back = eval(call.group(1), {"pandas": pd, "path": io.BytesIO(data)})  # the README's own line
    for column in ("page_id", "psid", "ad_id", "post_id"):
        want = [None if pd.isna(v) else v for v in rows[column]]
        got = [None if pd.isna(v) else v for v in back[column]]
        assert got == want, column
    assert back["message_count"].tolist() == [3, 1]  # counts stay numbers


def test_a_digits_only_ref_read_back_as_the_readme_says_keeps_its_zeros():
    """A ref may be digits only (`0042`, a receipt's number): read back as the README says, the
    refs and contacts downloads kept it as a number, `0042` as 42, and as 42.0 beside a contact
    that came through no ref."""
    rows = pd.DataFrame({"ref": ["0042", None, "2026"], "new_contacts": [3, 1, 2]})
    f = Filters(dt.date(2026, 11, 6), dt.date(2026, 12, 3))
    data = reports.table_csv(rows, "refs", f)
    csv_bullet = " ".join(README.split()).split("- CSV: a first line", 1)[1].split(" - XLSX:")[0]
    call = re.search(r"`(pandas\.read_csv\(path[^`]*\))`", csv_bullet)
    assert call, csv_bullet
    back = eval(call.group(1), {"pandas": pd, "path": io.BytesIO(data)})  # the README's own line
    assert [None if pd.isna(v) else v for v in back["ref"]] == ["0042", None, "2026"]


def test_the_xlsx_download_holds_long_ids_and_a_digits_only_ref_as_text():
    """The README sends a reader whom Excel's CSV reading cut an id or a ref's zeros to the XLSX
    download: its cells of ids and refs are text (a number cell would keep 15 digits)."""
    import openpyxl

    rows = pd.DataFrame({"page_id": ["1122334455667788"], "psid": ["59740184263215283"],
                         "ad_id": ["120215678901234567"], "ref": ["0042"],
                         "new_contacts": [3]})  # fmt: skip
    f = Filters(dt.date(2026, 11, 6), dt.date(2026, 12, 3))
    book = openpyxl.load_workbook(io.BytesIO(reports.table_bytes("xlsx", rows, "contacts", f)))
    header, cells = list(book["contacts"].iter_rows(max_row=2))
    got = {h.value: (c.value, c.data_type) for h, c in zip(header, cells, strict=True)}
    assert got == {"page_id": ("1122334455667788", "s"), "psid": ("59740184263215283", "s"),
                   "ad_id": ("120215678901234567", "s"), "ref": ("0042", "s"),
                   "new_contacts": (3, "n")}  # fmt: skip
    assert "the XLSX download there, which holds every id and ref as text" in " ".join(
        README.split()
    )
