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
