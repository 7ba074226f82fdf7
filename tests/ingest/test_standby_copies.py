"""One user action logged by two apps of a page: the thread owner's (messaging[]) and another
app's (standby[]), each copy as Meta sends it to that app, read through the real pipeline into a
real DuckDB file. Dedupe rule: README "Guarantees". Payloads:
https://developers.facebook.com/documentation/business-messaging/messenger-platform/webhooks/webhook-events/messaging_handovers
"""

from __future__ import annotations

import tests.factories as f
from tests.conftest import Query


def test_a_postback_without_mid_in_messaging_and_standby_is_one_postback(
    ingest_lines, query: Query
) -> None:
    """A Get Started from a link, before postbacks carried a mid (v11.0), as the app that sent
    the button logged it and as a second app of the page logged it in standby[]: the payload
    is only sent to the app that sent the button, so the second copy has none. One tap is one
    postback and no re-entry. (The payload was in the key: two postbacks, one a re-entry.)
    https://developers.facebook.com/documentation/business-messaging/messenger-platform/webhooks/webhook-events/messaging_postbacks"""
    ref = f.referral_obj("window_sticker")
    owner = f.postback(referral=ref, psid="tap", with_mid=False)
    other_app = f.postback(None, referral=ref, psid="tap", with_mid=False)
    result = ingest_lines([f.delivery(other_app, container="standby"), f.delivery(owner)])
    assert (result.events_added, result.duplicates) == (1, 1)
    assert query("SELECT kind, is_standby, postback_payload FROM events") == [
        ("postback", False, "GET_STARTED")
    ]
    assert query("SELECT channel, postback_count, reentry_count FROM contacts") == [
        ("m_me_link", 1, 0)
    ]


def test_a_postback_without_mid_read_in_standby_first_gives_way_to_messaging(
    ingest_lines, query: Query
) -> None:
    """The same copies over two runs, the second app's log read first: the thread owner's copy
    (with its payload) takes the place of the stored standby one."""
    ref = f.referral_obj("window_sticker")
    other_app = f.postback(None, referral=ref, psid="tap", with_mid=False)
    ingest_lines([f.delivery(other_app, container="standby")], "second_app.ndjson")
    owner = f.postback(referral=ref, psid="tap", with_mid=False)
    result = ingest_lines([f.delivery(owner)], "owner_app.ndjson")
    assert (result.events_added, result.duplicates) == (0, 1)
    assert query("SELECT kind, is_standby, postback_payload FROM events") == [
        ("postback", False, "GET_STARTED")
    ]
    assert query("SELECT channel, postback_count, reentry_count FROM contacts") == [
        ("m_me_link", 1, 0)
    ]
