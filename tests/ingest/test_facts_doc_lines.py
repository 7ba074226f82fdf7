"""Payload variants of Meta's webhook docs that no other test read as Meta writes them: each line
here is JSON text as the docs show the delivery (not built by tests/factories.py), ingested into
a real DuckDB file, and its events, touches and contacts rows checked against README
"What the ingest reads" and "Attribution". Docs:
https://developers.facebook.com/documentation/business-messaging/messenger-platform/webhooks/webhook-events
and, for the Page's feed, https://developers.facebook.com/docs/graph-api/webhooks/reference/page/
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest

from ingest import pipeline
from tests.conftest import Query

T = dt.datetime(2024, 11, 25, 8, 0)  # 1732521600000 ms, 1732521600 s
Ingest = Callable[..., None]

# messaging_referrals: an existing thread re-entered from a Click-to-Messenger ad, with every
# ads_context_data field the doc names (photo_url or video_url, product_id, flow_id).
ADS_REFERRAL = (
    '{"object":"page","entry":[{"id":"1234","time":1732521600000,"messaging":[{"sender":'
    '{"id":"5678"},"recipient":{"id":"1234"},"timestamp":1732521600000,"referral":{"ref":'
    '"spring","source":"ADS","type":"OPEN_THREAD","ad_id":"6045","referer_uri":'
    '"https:\\/\\/m.me\\/shop","ads_context_data":{"ad_title":"Spring sale","photo_url":'
    '"https:\\/\\/x.example\\/p.jpg","video_url":"https:\\/\\/x.example\\/v.jpg","post_id":'
    '"1234_99","product_id":"77","flow_id":"f1"}}}]}]}'
)
# messages: a quick reply tapped in reply to an earlier message, with attachments of types the
# doc lists (appointment_booking, reel) and a command.
FULL_MESSAGE = (
    '{"object":"page","entry":[{"id":"1234","time":1732521600000,"messaging":[{"sender":'
    '{"id":"5678"},"recipient":{"id":"1234"},"timestamp":1732521600000,"message":{"mid":"m1",'
    '"text":"book","quick_reply":{"payload":"BOOK"},"reply_to":{"mid":"m0","is_self_reply":'
    'false},"attachments":[{"type":"appointment_booking","payload":{"url":"https:\\/\\/x"}},'
    '{"type":"reel","payload":{"url":"https:\\/\\/x"}}],"commands":[{"name":"book"}]}}]}]}'
)
# messaging_handovers: the thread passed from no owner (previous_owner_app_id null).
PASS_FROM_NONE = (
    '{"object":"page","entry":[{"id":"1234","time":1732521600000,"messaging":[{"sender":'
    '{"id":"5678"},"recipient":{"id":"1234"},"timestamp":1732521600000,"pass_thread_control":'
    '{"previous_owner_app_id":null,"new_owner_app_id":"123456789","metadata":"hi"}}]}]}'
)
# feed: a comment hidden (verb hide), and a comment in a group the Page owns (group_feed),
# both dated in seconds as Graph changes are.
HIDDEN_COMMENT = (
    '{"object":"page","entry":[{"id":"1234","time":1732521600,"changes":[{"field":"feed",'
    '"value":{"item":"comment","verb":"hide","comment_id":"99_1","post_id":"1234_99",'
    '"parent_id":"1234_99","from":{"id":"777","name":"Ann"},"created_time":1732521600}}]}]}'
)
GROUP_COMMENT = (
    '{"object":"page","entry":[{"id":"1234","time":1732521600,"changes":[{"field":"group_feed",'
    '"value":{"item":"comment","verb":"add","comment_id":"5_6","post_id":"5_7","group_id":"5",'
    '"from":{"id":"777","name":"Ann"},"message":"hi","created_time":1732521600}}]}]}'
)


@pytest.fixture
def ingest(log_dir: Path, db_path: Path) -> Ingest:
    """Reads the lines, as one log, into db_path's database: none of them rejected."""

    def run(*lines: str) -> None:
        path = log_dir / "webhooks.ndjson"
        path.write_text("".join(x + "\n" for x in lines))
        assert pipeline.run([str(path)], db_path).rejects_added == 0

    return run


def test_an_ad_referral_with_every_ads_context_data_field(ingest: Ingest, query: Query) -> None:
    ingest(ADS_REFERRAL)
    assert query(
        "SELECT kind, psid, ts, channel, ref, source, ad_id, ad_title, referer_uri, post_id"
        " FROM events"
    ) == [
        ("referral", "5678", T, "ctm_ad", "spring", "ADS", "6045", "Spring sale",
         "https://m.me/shop", "1234_99"),
    ]  # fmt: skip
    assert query("SELECT via, channel, ad_id, is_first, is_reentry FROM touches") == [
        ("referral", "ctm_ad", "6045", True, False)
    ]
    assert query("SELECT psid, first_seen_at, channel, ref, ad_id FROM contacts") == [
        ("5678", T, "ctm_ad", "spring", "6045")
    ]


def test_a_quick_reply_with_a_reply_to_attachments_and_a_command(
    ingest: Ingest, query: Query
) -> None:
    ingest(FULL_MESSAGE)
    assert query(
        "SELECT kind, mid, ts, channel, attachment_types, quick_reply_payload FROM events"
    ) == [("message", "m1", T, None, ["appointment_booking", "reel"], "BOOK")]
    assert query("SELECT count(*) FROM touches") == [(0,)]
    assert query("SELECT psid, channel, first_message_at, message_count FROM contacts") == [
        ("5678", "organic", T, 1)
    ]


def test_a_thread_passed_from_no_owner_is_a_handover_and_opens_no_contact(
    ingest: Ingest, query: Query
) -> None:
    ingest(PASS_FROM_NONE)
    assert query("SELECT kind, detail, psid, ts FROM events") == [
        ("handover", "pass_thread_control", "5678", T)
    ]
    assert query("SELECT count(*) FROM contacts") == [(0,)]


def test_a_hidden_comment_and_a_group_comment_are_kept_and_open_no_contact(
    ingest: Ingest, query: Query
) -> None:
    """A comment's from.id is not a PSID: neither change is a contact's action."""
    ingest(HIDDEN_COMMENT, GROUP_COMMENT)
    assert query(
        "SELECT kind, detail, page_id, psid, ts, post_id, comment_id, commenter_id FROM events"
        " ORDER BY kind"
    ) == [
        ("comment", "hide", "1234", None, T, "1234_99", "99_1", "777"),
        ("other", "group_feed.comment", "1234", None, T, "5_7", "5_6", "777"),
    ]
    assert query("SELECT count(*) FROM contacts") == [(0,)]
    assert query("SELECT count(*) FROM touches") == [(0,)]
