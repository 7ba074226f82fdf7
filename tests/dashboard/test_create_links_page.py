"""The Create links page: registering a link, refusing a ref of another meaning, naming
unregistered refs' pages, and registering nothing on a lake."""

from __future__ import annotations

import re
from typing import Any

from streamlit.testing.v1 import AppTest

from dashboard import reports
from ingest import db, links
from ingest.demo_catalog import ACME
from ingest.link_rules import REF_RULE
from tests.dashboard.conftest import lake_of, opened
from tests.dashboard.screen import APP, TIMEOUT, _name_acme, headers, show, shown


def _fill_link(at: AppTest, campaign: str, placement: str, ref: str) -> None:
    """Type a link's campaign, placement and ref into the Create links form."""
    for i, value in enumerate((campaign, placement, ref)):  # each run redraws the form
        at.text_input[i].input(value).run()


def _qr_code_through_a_server(at: AppTest) -> tuple[str, Any]:
    """Fill the form with the QR code spring_window of the first page; its page, and the field
    of the redirect server's address."""
    page = at.selectbox[0].value
    at.radio[0].set_value("qr").run()
    _fill_link(at, "spring", "window", "spring_window")
    (server,) = [t for t in at.text_input if t.label.startswith("Count clicks and scans")]
    return page, server


def _refused(at: AppTest, server: Any, address: str, rule: str) -> None:
    """The redirect server's address typed in: refused with the rule, and no code offered."""
    server.input(address).run()
    assert [shown(e.value) for e in at.error] == [f"invalid redirect address {address!r}: {rule}"]
    assert not at.code and not at.get("image")


def test_create_links_page_registers_a_link(open_app, demo_copy):
    at = show(open_app(demo_copy), "create_links")
    assert "No links registered yet." in [c.value for c in at.caption]
    # The demo's pages have no username: each is shown by its id, once.
    assert at.selectbox[0].options[:2] == sorted(at.selectbox[0].options[:2]) and all(
        o.isdigit() for o in at.selectbox[0].options[:2])  # fmt: skip
    _fill_link(at, "spring", "window", "spring_window")
    assert [c.value for c in at.code] == [f"https://m.me/{at.selectbox[0].value}?ref=spring_window"]
    (register,) = [b for b in at.button if b.label == "Register"]
    register.click().run()
    assert not at.exception
    with opened(demo_copy) as con:
        rows = con.execute("SELECT ref, channel, campaign, placement FROM tracked_links").fetchall()
    assert rows == [("spring_window", "m_me_link", "spring", "window")]
    assert list(at.dataframe[0].value["ref"]) == ["spring_window"]
    shown = headers(at)  # the registry reads like every other table
    assert "Engaged rate" in shown and not [h for h in shown if "_" in h], shown
    assert set(at.dataframe[0].value["channel"]) == {"m.me link"}


def test_create_links_hint_says_a_campaign_or_a_placement_alone_builds_a_ref(open_app, demo_copy):
    """The empty form asked for "a campaign and placement", though either alone builds a ref
    (as `links create --placement Door` gives `door-YYYY_MM`): the hint says so."""
    at = show(open_app(demo_copy), "create_links")
    assert [shown(i.value) for i in at.info] == [
        "Give a campaign, a placement or both (the ref is built from what is given and the "
        "month: campaign-placement-YYYY_MM), or a ref."
    ]
    at.text_input[1].input("Door").run()  # the placement alone
    (url,) = [c.value for c in at.code]
    assert re.fullmatch(rf"https://m\.me/{at.selectbox[0].value}\?ref=door-\d{{4}}_\d\d", url)
    assert not at.info and not at.error


def test_create_links_shows_each_registered_links_note(open_app, demo_copy):
    """The note typed in the form was stored and shown nowhere: the registry shows it."""
    at = show(open_app(demo_copy), "create_links")
    _fill_link(at, "spring", "window", "spring_window")
    (notes,) = [t for t in at.text_input if t.label == "Notes"]
    notes.input("Main St, left of the door").run()
    (register,) = [b for b in at.button if b.label == "Register"]
    register.click().run()
    assert not at.exception
    assert list(at.dataframe[0].value["notes"]) == ["Main St, left of the door"]
    assert "Notes" in headers(at)


def test_only_a_qr_code_gets_a_code_to_print(open_app, demo_copy):
    """An m.me link shows its URL and no code: a printed code's scans would count as link
    clicks. Choosing QR code offers the image and its downloads."""
    at = show(open_app(demo_copy), "create_links")
    _fill_link(at, "spring", "window", "spring_window")
    downloads = ("PNG", "SVG", "Print sheet")
    assert [c.value for c in at.code] == [f"https://m.me/{at.selectbox[0].value}?ref=spring_window"]
    assert not at.get("image") and not at.expander and not at.color_picker
    assert "An m.me link has no QR code: choose QR code to print one." in [
        c.value for c in at.caption
    ]
    at.radio[0].set_value("qr").run()
    assert not at.exception and [e.label for e in at.expander] == ["QR style"]
    assert len(at.get("image")) == 1
    assert [b.proto.label for b in at.get("download_button")] == list(downloads)


def test_create_links_refuses_a_ref_of_another_meaning_before_offering_its_code(
    open_app, demo_copy
):
    """A ref registered for the page with other attributes breaks the one-meaning rule: the
    form says so at once, with no code to download (it offered the code and Register, and
    only a toast after the click said no)."""
    con = db.connect(demo_copy)
    try:
        con.execute("INSERT INTO tracked_links VALUES ('spring_window', ?, 'm_me_link', "
                    "'spring', 'window', NULL, ?, TIMESTAMP '2026-01-01')",
                    [ACME, f"https://m.me/{ACME}?ref=spring_window"])  # fmt: skip
    finally:
        con.close()
    at = show(open_app(demo_copy), "create_links")
    at.selectbox[0].set_value(ACME).run()
    _fill_link(at, "autumn", "window", "spring_window")
    assert [shown(e.value) for e in at.error] == [
        f"ref 'spring_window' is already registered for page '{ACME}' with campaign 'spring' "
        f"(here 'autumn'): {links.ONE_MEANING_RULE}"
    ]
    assert not at.code and not [b for b in at.button if b.label == "Register"]
    at.text_input[0].input("spring").run()  # the registered meaning: its code again
    assert not at.error and [c.value for c in at.code] == [f"https://m.me/{ACME}?ref=spring_window"]


def test_create_links_names_the_page_of_each_unregistered_ref(open_app, demo_copy):
    """The refs seen but not registered are listed by page name, as on Links & QR codes (they
    read 1122334455667788 · bio_link); picking one still registers it for that page id."""
    _name_acme(demo_copy)
    at = show(open_app(demo_copy), "create_links")
    (seen,) = [s for s in at.selectbox if s.label == "Ref"]
    acme = [o for o in seen.options if o.startswith("Acme Bakery · ")]
    assert acme and not [o for o in seen.options if o.startswith(f"{ACME} ")], seen.options
    seen.set_value(f"{ACME} · {acme[0].split(' · ', 1)[1]}").run()
    (register,) = [b for b in at.button if b.label == "Register as m.me link"]
    register.click().run()
    assert not at.exception
    with opened(demo_copy) as con:
        rows = con.execute("SELECT page, ref FROM tracked_links").fetchall()
    assert rows == [(ACME, acme[0].split(" · ", 1)[1])]


def test_create_links_on_a_lake_without_a_database_registers_nothing(
    monkeypatch, demo_db, tmp_path
):
    """`dashboard --lake` reads no database: registering must not make a new, empty one (the
    link would never reach the lake, yet the page said it was registered)."""
    lake_dir = lake_of(demo_db, tmp_path / "lake")
    missing = tmp_path / "data" / "refscope.duckdb"
    monkeypatch.setenv("REFSCOPE_LAKE", str(lake_dir))
    monkeypatch.setenv("REFSCOPE_DB", str(missing))
    at = show(AppTest.from_file(str(APP), default_timeout=TIMEOUT), "create_links")
    at.text_input[2].input("spring_window").run()  # ref
    (register,) = [b for b in at.button if b.label == "Register"]
    register.click().run()
    assert not at.exception
    assert not missing.exists()
    (toast,) = [shown(t.value) for t in at.toast]
    assert toast.startswith("Not registered:") and str(lake_dir) in toast, toast


def test_create_links_refuses_a_ref_with_surrounding_spaces_with_the_rule(open_app, demo_copy):
    """The form passes what was typed to make_link, which refuses it as the CLI does: a ref
    pasted with a space was stripped, and the code offered was not of the ref typed."""
    at = show(open_app(demo_copy), "create_links")
    _fill_link(at, "spring", "window", "spring_window ")
    assert [shown(e.value) for e in at.error] == [
        f"invalid ref 'spring_window ' (leading or trailing whitespace): {REF_RULE}"
    ]
    assert not at.code and not [b for b in at.button if b.label == "Register"]
    with opened(demo_copy) as con:
        assert con.execute("SELECT count(*) FROM tracked_links").fetchone() == (0,)


def test_create_links_points_a_code_at_the_redirect_server_given(open_app, demo_copy):
    """As `links create --via-redirect`: with refscope serve's address the code encodes its
    /r/<ref>, where each scan is counted, and that URL is registered; a bad address is
    refused with the rule it broke, and no code is offered."""
    at = show(open_app(demo_copy), "create_links")
    page, server = _qr_code_through_a_server(at)
    _refused(at, server, "go.example.com", "give http(s)://host[:port][/path], with no spaces, "
             "query or fragment")  # fmt: skip
    server.input("https://go.example.com/").run()
    url = f"https://go.example.com/r/spring_window?page={page}&qr=1"
    assert not at.error and [c.value for c in at.code] == [url]
    assert len(at.get("image")) == 1
    (register,) = [b for b in at.button if b.label == "Register"]
    register.click().run()
    assert not at.exception
    with opened(demo_copy) as con:
        assert con.execute("SELECT ref, channel, url FROM tracked_links").fetchall() == [
            ("spring_window", "qr_code", url)
        ]


def test_create_links_writes_a_redirect_address_beyond_ascii_in_its_ascii_form(open_app, demo_copy):
    """As `links create --via-redirect`: a host or path beyond ASCII is written in IDNA and
    percent-encoded (raw UTF-8 in a code is Latin-1 to many readers), and both forms are shown."""
    at = show(open_app(demo_copy), "create_links")
    page, server = _qr_code_through_a_server(at)
    server.input("https://bäckerei.example/straße").run()
    ascii_base = "https://xn--bckerei-5wa.example/stra%C3%9Fe"
    url = f"{ascii_base}/r/spring_window?page={page}&qr=1"
    assert not at.error and [c.value for c in at.code] == [url]
    assert (
        "the redirect address https://bäckerei.example/straße is written "
        f"{ascii_base} in links and codes (its ASCII form)"
    ) in [shown(c.value) for c in at.caption]
    (register,) = [b for b in at.button if b.label == "Register"]
    register.click().run()
    with opened(demo_copy) as con:
        assert con.execute("SELECT url FROM tracked_links").fetchall() == [(url,)]


def test_create_links_warns_of_a_redirect_address_ending_in_r(open_app, demo_copy):
    """As `links create --via-redirect`: https://go.example/r makes …/r/r/<ref>, a 404 on every
    printed code unless a proxy serves refscope under /r; the form says so above the code."""
    at = show(open_app(demo_copy), "create_links")
    page, server = _qr_code_through_a_server(at)
    server.input("https://go.example/r").run()
    assert [c.value for c in at.code] == [f"https://go.example/r/r/spring_window?page={page}&qr=1"]
    (warning,) = [shown(w.value) for w in at.warning]
    assert "ends in /r, so links are https://go.example/r/r/<ref>" in warning
    server.input("https://go.example").run()
    assert not at.warning


def test_create_links_refuses_an_emoji_host_by_idna_and_takes_a_fullwidth_one(open_app, demo_copy):
    """As `links create --via-redirect`: an emoji is no letter of a host name under IDNA 2008,
    which the refusal says; fullwidth letters are ASCII ones (UTS #46), written so."""
    at = show(open_app(demo_copy), "create_links")
    page, server = _qr_code_through_a_server(at)
    _refused(at, server, "https://🍞.example", "it has a host that is no valid host name under "
             "IDNA 2008: U+1F35E '🍞' is not allowed: a host name holds letters, digits and "
             "hyphens, no emoji or other symbol (RFC 5892)")  # fmt: skip
    server.input("https://ｂａｋｅｒｙ．ｅｘａｍｐｌｅ").run()
    url = f"https://bakery.example/r/spring_window?page={page}&qr=1"
    assert not at.error and [c.value for c in at.code] == [url]
    assert (
        "the redirect address https://ｂａｋｅｒｙ．ｅｘａｍｐｌｅ is written "
        "https://bakery.example in links and codes (its ASCII form)"
    ) in [shown(c.value) for c in at.caption]


def test_create_links_without_contacts_downloads_the_registry_it_shows(open_app, tmp_path):
    """Links are registered before anyone scans them: the registry shown then downloads as the
    one with contacts does, its file saying it covers all dates (there is no range yet)."""
    path = tmp_path / "links-only.duckdb"
    con = db.connect(path)
    try:
        links.register(con, [links.make_link(ACME, "spring_window", "qr", "spring", "window")])
    finally:
        con.close()
    at = show(open_app(path), "create_links")
    assert not at.exception
    assert list(at.dataframe[0].value["ref"]) == ["spring_window"]
    keys = [b.key for b in at.get("download_button")]
    assert [k for k in keys if k.startswith("download-tracked_links-")] == [
        "download-tracked_links-csv", "download-tracked_links-xlsx",
        "download-tracked_links-parquet"]  # fmt: skip
    data = reports.table_bytes("csv", at.dataframe[0].value, "tracked_links", None)
    first, rest = data.decode("utf-8-sig").split("\r\n", 1)
    assert first == "# refscope tracked_links, all dates, pages: all, channels: all, UTC"
    assert "spring_window" in rest
    assert reports.table_file_name("tracked_links", None, "csv") == "refscope-tracked_links.csv"


def test_page_form_fields_belong_to_the_page_chosen(open_app, demo_copy):
    """The form's username and name, typed for one page and saved, stayed in their boxes when
    another page was chosen: a name then saved for that page gave it the first one's username
    too, taking it from the first page. Each page's fields are its own."""
    at = show(open_app(demo_copy), "create_links")
    other = next(p for p in at.selectbox(key="pages_pick").options if p not in (ACME, "other…"))
    at.selectbox(key="pages_pick").set_value(ACME).run()
    _page_field(at, "Username").input("acmebakery")
    _page_field(at, "Display name").input("Acme Bakery")
    at.button[-1].click().run()
    assert not at.exception
    at.selectbox(key="pages_pick").set_value(other).run()
    assert _page_field(at, "Username").value == ""
    _page_field(at, "Display name").input("Northwind Coffee")
    at.button[-1].click().run()
    assert not at.exception
    with opened(demo_copy) as con:
        rows = con.execute("SELECT * FROM pages ORDER BY page_id").fetchall()
    assert sorted(rows) == sorted(
        [(ACME, "acmebakery", "Acme Bakery"), (other, None, "Northwind Coffee")]
    )


def _page_field(at: AppTest, label: str) -> Any:
    (box,) = [t for t in at.text_input if t.label == label]
    return box


def test_refs_and_values_the_page_quotes_are_shown_as_given(open_app, demo_copy):
    """A ref may hold underscores: the toast after Register said "Registered __vip__." in
    markdown, which shows "vip" in bold; a code's caption did too. A refusal quoting a
    campaign "*sale*" showed it in italics. Each is shown as given, and the refusal's own
    `pages` still as code."""
    at = show(open_app(demo_copy), "create_links")
    at.selectbox[0].set_value(ACME).run()
    _fill_link(at, "*sale*", "window", "__vip__")
    at.radio[0].set_value("qr").run()
    (image,) = at.get("image")
    (caption,) = [i.caption for i in image.proto.imgs]
    assert shown(caption) == "__vip__" and "__vip__" not in caption, caption
    (register,) = [b for b in at.button if b.label == "Register"]
    register.click().run()
    assert not at.exception
    (toast,) = [t.value for t in at.toast]
    assert shown(toast) == "Registered __vip__." and "__vip__" not in toast, toast
    at.text_input[0].input("*autumn*").run()  # the campaign: another meaning of the ref
    (error,) = [e.value for e in at.error]
    assert shown(error) == (
        f"ref '__vip__' is already registered for page '{ACME}' with campaign '*sale*' "
        f"(here '*autumn*'): {links.ONE_MEANING_RULE}"
    )
    assert "*sale*" not in error and "__vip__" not in error and "`pages`" in error, error


def test_the_link_forms_page_stays_picked_when_a_page_is_named(open_app, demo_copy):
    """The link form's Page picker had no key: naming a page (the form below) changed its
    options (the page by its username, not its id), which made it a new widget, back on the
    first page: a link then made went to another page than the one picked. The pick stays on
    its page, now by its username, and on it when another page is named."""
    at = show(open_app(demo_copy), "create_links")
    first, second = at.selectbox[0].options[:2]
    at.selectbox[0].set_value(second).run()
    at.selectbox(key="pages_pick").set_value(second).run()
    _page_field(at, "Username").input("cornercafe")
    _page_field(at, "Display name").input("Corner Cafe")
    at.button[-1].click().run()
    assert not at.exception
    assert at.selectbox[0].value == second
    # What the browser is told to show (AppTest's own format_func is the first run's).
    assert at.selectbox[0].proto.raw_value == "Corner Cafe (cornercafe)"
    at.selectbox(key="pages_pick").set_value(first).run()
    _page_field(at, "Username").input("acmebakery")
    at.button[-1].click().run()
    assert not at.exception
    assert at.selectbox[0].value == second
    _fill_link(at, "spring", "window", "spring_window")
    assert [c.value for c in at.code] == ["https://m.me/cornercafe?ref=spring_window"]
