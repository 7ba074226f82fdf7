"""An empty ref is no ref: an m.me link `?ref=` with nothing after it arrives as `"ref": ""`
beside `source: "SHORTLINK"` (a ref is one or more of `[A-Za-z0-9_=-]`), in whichever of the
four places a ref is read: `postback.referral`, `message.referral`, the top-level `referral`
and `optin.ref`. Read through the real pipeline into a real DuckDB file.
https://developers.facebook.com/documentation/business-messaging/messenger-platform/discovery/m-me-links
"""

from __future__ import annotations

import datetime as dt

import pytest

import tests.factories as f
from dashboard import queries
from dashboard.filters import Filters
from tests.conftest import Query
from tests.dashboard.conftest import opened

SECOND = 1000


@pytest.mark.parametrize("blank", ["", "   "])
def test_an_empty_ref_is_stored_as_no_ref_with_the_channel_of_its_source(
    ingest_lines, query: Query, db_path, blank: str
) -> None:
    """Each place a ref is read: the ref is NULL in events, touches and contacts (not an
    empty string the Links page listed as an unregistered ref); the channel is its source's."""
    ingest_lines(
        [
            f.delivery(f.postback(referral=f.referral_obj(blank), psid="p1", mid="pb1")),
            f.delivery(f.referral(blank, psid="p2")),
            f.delivery(f.message(psid="p3", mid="m3", referral=f.ads_referral(ref=blank))),
            f.delivery(f.optin(psid="p4", ref=blank, type="one_time_notif_req")),
            # A real ref beside them, so the Links page has a row of its own.
            f.delivery(f.referral("spring_menu", psid="p5")),
        ]
    )
    assert query("SELECT psid, kind, channel, ref FROM events ORDER BY psid") == [
        ("p1", "postback", "m_me_link", None),
        ("p2", "referral", "m_me_link", None),
        ("p3", "message", "ctm_ad", None),
        ("p4", "optin", None, None),
        ("p5", "referral", "m_me_link", "spring_menu"),
    ]
    assert query("SELECT psid, channel, ref FROM touches ORDER BY psid") == [
        ("p1", "m_me_link", None),
        ("p2", "m_me_link", None),
        ("p3", "ctm_ad", None),
        ("p5", "m_me_link", "spring_menu"),
    ]
    # An optin with an empty ref and nothing else to name an entry point is no touch.
    assert query("SELECT psid, channel, ref FROM contacts ORDER BY psid") == [
        ("p1", "m_me_link", None),
        ("p2", "m_me_link", None),
        ("p3", "ctm_ad", None),
        ("p4", "organic", None),
        ("p5", "m_me_link", "spring_menu"),
    ]
    day = dt.datetime.fromtimestamp(f.T0 / SECOND, dt.UTC).date()
    with opened(db_path) as con:
        refs = queries.refs(con, Filters(day, day))
    assert list(refs["ref"]) == ["spring_menu"]


@pytest.mark.parametrize("blank", ["", "  "])
def test_a_referral_or_optin_with_only_an_empty_ref_is_read_and_names_no_entry_point(
    ingest_lines, query: Query, blank: str
) -> None:
    """A top-level referral or an optin holding nothing but an empty ref is still the person's
    own action: read as it was before refs were checked (nothing lost), their contact made,
    but no ref and no touch: organic."""
    item = f.referral(blank, psid="p1", ts=f.T0 + SECOND)
    item["referral"] = {"ref": blank}
    ingest_lines([
        f.delivery(f.message(psid="p1", mid="m1")),
        f.delivery(item),
        f.delivery(f.optin(psid="p2", ref=blank)),
    ])  # fmt: skip
    assert query("SELECT kind, psid, ref FROM events ORDER BY psid, kind") == [
        ("message", "p1", None), ("referral", "p1", None), ("optin", "p2", None)
    ]  # fmt: skip
    assert query("SELECT psid, channel, ref FROM contacts ORDER BY psid") == [
        ("p1", "organic", None), ("p2", "organic", None)
    ]  # fmt: skip
    assert query("SELECT count(*) FROM touches") == [(0,)]
    assert query("SELECT count(*) FROM rejects") == [(0,)]


@pytest.mark.parametrize("blank", ["", "  "])
def test_an_empty_source_referer_uri_or_ad_context_is_stored_as_none(
    ingest_lines, query: Query, blank: str
) -> None:
    """An empty `source`, `referer_uri`, `ad_id` or ads_context_data field says nothing, as an
    empty ref does: NULL in events, touches and contacts (not `''`). A ref with no source is
    still a referral (`other`); a referral or message naming nothing at all is no touch, its
    contact organic; a Shops product message with an empty source is still the product's."""
    ad = f.ads_referral(ad_title=blank, post_id=blank)
    plugin = f.chat_plugin_referral("u4", referer_uri=blank)
    product = {"product": {"id": "1254123123"}, "source": blank, "ad_id": blank}
    ingest_lines([
        f.delivery(f.postback(referral=f.referral_obj("r1", source=blank), psid="p1", mid="pb1")),
        f.delivery(f.referral("r2", source=blank, psid="p2")),
        f.delivery(f.message(psid="p3", mid="m3", referral=ad)),
        f.delivery(plugin),
        f.delivery(f.referral(None, source=blank, psid="p5")),
        f.delivery(f.message(
            psid="p6", mid="m6", referral={"source": blank, "ad_id": blank, "type": "OPEN_THREAD"}
        )),
        f.delivery(f.message(psid="p7", mid="m7", referral=product)),
    ])  # fmt: skip
    columns = "psid, kind, channel, ref, source, ad_id, ad_title, post_id, referer_uri"
    assert query(f"SELECT {columns} FROM events ORDER BY psid") == [
        ("p1", "postback", "other", "r1", None, None, None, None, None),
        ("p2", "referral", "other", "r2", None, None, None, None, None),
        ("p3", "message", "ctm_ad", None, "ADS", "23843301927710456", None, None, None),
        ("p5", "referral", None, None, None, None, None, None, None),
        ("p6", "message", None, None, None, None, None, None, None),
        ("p7", "message", "other", None, None, None, None, None, None),
        ("u4", "referral", "chat_widget", "menu_page", "CUSTOMER_CHAT_PLUGIN", None, None,
         None, None),
    ]  # fmt: skip
    touched = "psid, channel, ref, source, ad_id, ad_title, post_id, referer_uri"
    expected = [
        ("p1", "other", "r1", None, None, None, None, None),
        ("p2", "other", "r2", None, None, None, None, None),
        ("p3", "ctm_ad", None, "ADS", "23843301927710456", None, None, None),
        ("p7", "other", None, None, None, None, None, None),
        ("u4", "chat_widget", "menu_page", "CUSTOMER_CHAT_PLUGIN", None, None, None, None),
    ]
    assert query(f"SELECT {touched} FROM touches ORDER BY psid") == expected
    assert query(f"SELECT {touched} FROM contacts ORDER BY psid") == [
        *expected[:3],
        ("p5", "organic", None, None, None, None, None, None),
        ("p6", "organic", None, None, None, None, None, None),
        *expected[3:],
    ]
    assert query("SELECT count(*) FROM rejects") == [(0,)]
