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
