"""The Contacts page's search in a salted database (REFSCOPE_ID_SALT), through AppTest on a
database the real ingest wrote with the salt set: a PSID or user_ref as Meta gives it finds its
contact when the dashboard has the database's salt, and the page says how to search when it
has none (or another); a browser downloads what it found."""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd
import pytest
from playwright.sync_api import expect
from streamlit.testing.v1 import AppTest

from dashboard.contact_widgets import SEARCH, SEARCH_NOTES
from dashboard.filters import ContactSearch
from ingest import pipeline
from ingest.privacy import SALT_ENV, Privacy
from tests import factories as fx
from tests.dashboard import test_browser as tb
from tests.dashboard.conftest import lake_of
from tests.dashboard.screen import APP, show

browser = tb.browser  # headless Chromium, for the download

SALT = "team-salt-of-this-database"
PSID = "7100000000000042"  # acquired through an m.me link
USER_REF = "chat-user-7"  # a website chat plugin guest, named by the user_ref the plugin gave
OTHER_PSID = "7100000000000043"


def stored(an_id: str, salt: str = SALT) -> str:
    return Privacy(salt=salt.encode()).stored_id(an_id)


def build(tmp_path: Path, salt: str | None) -> Path:
    """Three contacts ingested by the real pipeline, with salt as REFSCOPE_ID_SALT (or none)."""
    sender = {"user_ref": USER_REF}
    lines = [
        fx.delivery(fx.referral("spring_menu", psid=PSID, ts=fx.T0)),
        fx.delivery(fx.message("hi", psid=PSID, ts=fx.T0 + fx.MINUTE)),
        fx.delivery(fx.referral("flyer", psid=OTHER_PSID, ts=fx.T0 + 2 * fx.MINUTE)),
        fx.delivery(fx.chat_plugin_referral(USER_REF, ts=fx.T0 + 3 * fx.MINUTE)),
        fx.delivery(fx.message("hi", psid=USER_REF, sender=sender, ts=fx.T0 + 4 * fx.MINUTE)),
    ]
    path = tmp_path / "salted.duckdb"
    with pytest.MonkeyPatch.context() as mp:
        if salt is None:
            mp.delenv(SALT_ENV, raising=False)
        else:
            mp.setenv(SALT_ENV, salt)
        pipeline.run([str(fx.write_ndjson(tmp_path / "logs" / "webhooks.ndjson", lines))], path)
    return path


@pytest.fixture
def salted_db(tmp_path: Path) -> Path:
    return build(tmp_path, SALT)


def searched(at: AppTest, text: str) -> AppTest:
    at.text_input(key="rs_contacts_search").input(text).run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def found(at: AppTest) -> list[str]:
    """The psids the table shows; none when the page says no contact matches."""
    if not at.dataframe:
        assert any(i.value.startswith("No contacts match.") for i in at.info)
        return []
    return list(at.dataframe[0].value["psid"])


def captions(at: AppTest) -> list[str]:
    return [c.value for c in at.caption]


def test_the_salt_set_finds_a_psid_and_a_user_ref_as_meta_gives_them(
    open_app, salted_db, monkeypatch
):
    """The ids are stored hashed: a PSID pasted from the Page inbox found nothing."""
    monkeypatch.setenv(SALT_ENV, SALT)
    at = show(open_app(salted_db), "contacts")
    assert SEARCH_NOTES["salt"] in captions(at)
    assert sorted(found(at)) == sorted(stored(i) for i in (PSID, OTHER_PSID, USER_REF))
    assert found(searched(at, PSID)) == [stored(PSID)]
    assert found(searched(at, f"  {USER_REF} ")) == [stored(USER_REF)]
    assert found(searched(at, stored(OTHER_PSID))) == [stored(OTHER_PSID)]  # as the column shows
    assert found(searched(at, PSID[:-1])) == []  # an id is found whole, by its hash
    assert SEARCH_NOTES["salt"] in captions(at)


def test_without_the_salt_the_page_says_ids_are_hashed_and_how_to_search(
    open_app, salted_db, monkeypatch
):
    monkeypatch.delenv(SALT_ENV, raising=False)
    at = show(open_app(salted_db), "contacts")
    assert SEARCH_NOTES["no salt"] in captions(at)
    assert found(searched(at, PSID)) == []
    assert SEARCH_NOTES["no salt"] in captions(at)  # said beside "No contacts match."
    assert found(searched(at, stored(PSID))) == [stored(PSID)]


def test_another_salt_is_said_and_finds_no_one(open_app, salted_db, monkeypatch):
    monkeypatch.setenv(SALT_ENV, "another-salt")
    at = show(open_app(salted_db), "contacts")
    assert SEARCH_NOTES["other salt"] in captions(at)
    assert found(searched(at, PSID)) == []


def test_a_database_of_ids_as_they_came_says_nothing_of_hashes(open_app, tmp_path, monkeypatch):
    """A salt in the dashboard's environment is no reason to hash a search of a plain one."""
    path = build(tmp_path, None)
    monkeypatch.setenv(SALT_ENV, SALT)
    at = show(open_app(path), "contacts")
    assert not [c for c in captions(at) if SALT_ENV in c]
    assert found(searched(at, PSID)) == [PSID]
    assert sorted(found(searched(at, PSID[:6]))) == [PSID, OTHER_PSID]


def test_a_salted_lake_finds_a_psid_with_the_salt(salted_db, tmp_path, monkeypatch):
    """`dashboard --lake`: the lake holds no id_scheme; its hashed ids tell it is salted."""
    lake_dir = lake_of(salted_db, tmp_path / "lake")
    monkeypatch.setenv("REFSCOPE_LAKE", str(lake_dir))
    monkeypatch.setenv("REFSCOPE_DB", str(salted_db))
    monkeypatch.setenv(SALT_ENV, SALT)
    at = show(AppTest.from_file(str(APP), default_timeout=60), "contacts")
    assert SEARCH_NOTES["salt"] in captions(at)
    assert found(searched(at, PSID)) == [stored(PSID)]


def test_a_download_records_an_id_found_by_its_hash_as_stored() -> None:
    """The search is written into the downloaded file: a PSID as typed beside its stored id
    would name the person in a salted database's file."""
    search = ContactSearch(PSID, stored(PSID))
    assert search.described([stored(OTHER_PSID), stored(PSID)]) == {"search": stored(PSID)}
    assert search.described([stored(OTHER_PSID)]) == {"search": PSID}  # found as text only
    assert ContactSearch("spring").described(["x"]) == {"search": "spring"}


@pytest.mark.browser
@pytest.mark.skipif(not Path(tb.CHROMIUM).exists(), reason=f"{tb.CHROMIUM} is missing")
def test_in_a_browser_a_psid_finds_its_contact_and_the_download_names_it_as_stored(
    browser, salted_db, tmp_path, request
):
    """`refscope dashboard` started with the database's salt: the PSID typed finds its row,
    and the CSV holds the id as stored, in its row and in its search, never as typed."""
    log = tmp_path / "dashboard.log"
    with tb.run_dashboard(salted_db, log, extra_env={SALT_ENV: SALT}) as server:
        for page in tb.open_page(browser, server, request):
            page.goto(f"{server.url}/contacts")
            tb.finished(page, "Contacts", '[data-testid="stDataFrame"]')
            expect(page.get_by_text(SEARCH_NOTES["salt"])).to_be_visible()
            box = page.get_by_label(SEARCH, exact=True)
            box.fill(PSID)
            box.press("Enter")
            expect(page.get_by_text("1 contact acquired")).to_be_visible()
            tb.finished(page, "Contacts", '[data-testid="stDataFrame"]')
            with page.expect_download() as download:
                page.get_by_role("button", name="Download CSV").click()
            data = Path(download.value.path()).read_bytes().decode("utf-8-sig")
    header, _, body = data.partition("\r\n")
    assert header.endswith(f"search: {stored(PSID)}, UTC")
    assert list(pd.read_csv(io.StringIO(body), dtype=str)["psid"]) == [stored(PSID)]
    assert PSID not in data
