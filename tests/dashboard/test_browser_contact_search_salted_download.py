"""A Contacts download in a salted database, in a real browser, records the search as the URL
holds it: an id in the stored form typed in upper case (a copy a spreadsheet upper-cased) as
stored, in lower case, and a PSID as Meta gives it that found its contact by its hash as the id
is stored, in every format the page offers; it was recorded as typed, so the file and the URL
disagreed, and the file could hold the PSID."""

from __future__ import annotations

import io
import re
from pathlib import Path
from urllib.parse import quote

import openpyxl
import pyarrow.parquet as pq
import pytest
from playwright.sync_api import Page, expect

from dashboard.contact_widgets import SEARCH
from ingest import pipeline
from ingest.privacy import SALT_ENV
from tests import factories as fx
from tests.dashboard import test_browser as tb
from tests.dashboard.test_contact_search_salted import OTHER_PSID, PSID, SALT, build, stored

pytestmark = tb.pytestmark
browser = tb.browser


def _search(page: Page, text: str) -> None:
    box = page.get_by_label(SEARCH, exact=True)
    box.fill(text)
    box.press("Enter")


def _recorded(page: Page) -> dict[str, str]:
    """The search each download records: the CSV's first line, the XLSX's filters sheet and
    the Parquet's refscope.search."""
    files = {}
    for fmt in ("CSV", "XLSX", "Parquet"):
        with page.expect_download() as download:
            page.get_by_role("button", name=f"Download {fmt}").click()
        files[fmt] = Path(download.value.path()).read_bytes()
    header = files["CSV"].decode("utf-8-sig").split("\r\n", 1)[0]
    said = re.search(r", search: ([^,]*),", header)
    sheet = openpyxl.load_workbook(io.BytesIO(files["XLSX"]))["filters"]
    meta = pq.read_schema(io.BytesIO(files["Parquet"])).metadata
    return {
        "CSV": said.group(1) if said else "",
        "XLSX": dict(sheet.iter_rows(min_row=2, values_only=True)).get("search") or "",
        "Parquet": meta.get(b"refscope.search", b"").decode(),
    }


def _downloads_record(
    browser, request, db: Path, salt: str | None, typed: str, link: str = ""
) -> None:
    """Open the Contacts page (link: its query string), search for typed until one contact is
    listed, and check that the URL and each download record the search as stored(PSID)."""
    recorded, env = {}, {SALT_ENV: salt} if salt else {}
    with tb.run_dashboard(db, db.parent / "dashboard.log", extra_env=env) as server:
        for page in tb.open_page(browser, server, request):
            page.goto(f"{server.url}/contacts{link}")
            tb.finished(page, "Contacts", '[data-testid="stDataFrame"]')
            _search(page, typed)
            expect(page.get_by_text("1 contact acquired")).to_be_visible()
            tb.finished(page, "Contacts", '[data-testid="stDataFrame"]')
            expect(page).to_have_url(re.compile(rf"[?&]search={stored(PSID)}(&|$)"))
            recorded = _recorded(page)
    assert recorded == dict.fromkeys(("CSV", "XLSX", "Parquet"), stored(PSID))


@pytest.mark.parametrize("salt", [SALT, None], ids=["the salt", "no salt"])
def test_an_upper_case_stored_id_is_recorded_as_stored(browser, tmp_path, request, salt):
    _downloads_record(browser, request, build(tmp_path, SALT), salt, stored(PSID).upper())


def test_a_psid_found_by_its_hash_is_recorded_as_stored_under_a_pick(browser, tmp_path, request):
    """The PSID typed finds its contact by its hash and another whose ref holds its digits as
    text; the ref picked lists the other alone. The URL held the id as stored (the search found
    it) and the download the PSID as typed (its rows did not hold the id)."""
    ref = f"code{PSID}"
    lines = [
        fx.delivery(fx.referral("spring_menu", psid=PSID, ts=fx.T0)),
        fx.delivery(fx.referral(ref, psid=OTHER_PSID, ts=fx.T0 + fx.MINUTE)),
    ]
    path = tmp_path / "salted.duckdb"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(SALT_ENV, SALT)
        pipeline.run([str(fx.write_ndjson(tmp_path / "logs" / "webhooks.ndjson", lines))], path)
    _downloads_record(
        browser, request, path, SALT, PSID, f"?ref={quote(ref)}&ref_page={fx.PAGE_ID}"
    )
