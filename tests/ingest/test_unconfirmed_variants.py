"""Payload variants that no primary source settles, each accepted as every form it may take:
read through the real pipeline into a real DuckDB file. Attribution rule: README "Attribution".
Payloads: https://developers.facebook.com/docs/messenger-platform/reference/webhook-events
"""

from __future__ import annotations

import json
from typing import Any

import pytest

import tests.factories as f
import tests.factories_feed as ff
from tests.conftest import IngestLines, Query
from tests.factories import MINUTE, T0
from tests.ingest.insight_setup import STARTED, row
from tests.ingest.logs import contact


@pytest.mark.parametrize(
    "ref",
    [
        pytest.param("order+42/blue.shirt:L=1_x-y", id="plus-slash-dot-colon"),
        pytest.param("a+/.:" * 29 + "abcd", id="149-characters"),
    ],
)
def test_a_send_to_messenger_data_ref_of_any_character_it_allows_is_kept_as_sent(
    ingest_lines: IngestLines, query: Query, ref: str
) -> None:
    """The Send to Messenger plugin's data-ref is said to allow `+-./:=_` besides alphanumerics
    (under 150 characters), beyond the m.me ref's [A-Za-z0-9_=-]: the optin (and the checkbox
    plugin's, by user_ref) is read, its ref stored as sent, its channel `other`.
    https://developers.facebook.com/documentation/business-messaging/messenger-platform/webhooks/webhook-events/messaging_optins"""
    res = ingest_lines(
        [
            f.delivery(f.optin(psid="s2m", ts=T0, ref=ref)),
            f.delivery(f.message("hi", psid="s2m", ts=T0 + MINUTE)),
            f.delivery(f.optin(psid=None, ts=T0, ref=ref, user_ref="cb-1")),
        ]
    )
    assert res.rejects_added == 0
    for psid in ("s2m", "cb-1"):
        c = contact(query, psid)
        assert (c["channel"], c["ref"], c["source"]) == ("other", ref, None), psid


ICE_BREAKER = {"payload": "ICE_PRICES", "title": "What are your prices?"}


@pytest.mark.parametrize(
    "referral, channel, ad_id",
    [
        pytest.param(f.ads_referral(ad_id="777"), "ctm_ad", "777", id="ads-referral"),
        pytest.param({"ad_id": "778", "type": "OPEN_THREAD"}, "ctm_ad", "778", id="ad-id-only"),
        pytest.param(None, "organic", None, id="no-referral"),
    ],
)
def test_an_ice_breaker_postback_with_or_without_the_ads_referral(
    ingest_lines: IngestLines,
    query: Query,
    referral: dict[str, Any] | None,
    channel: str,
    ad_id: str | None,
) -> None:
    """An ice breaker arrives as a postback whose payload is the question's; whether it carries
    the Click-to-Messenger ad's referral is not documented. With it, the contact is the ad's;
    without it (and no other touch), organic. Either way the postback opens the conversation.
    https://developers.facebook.com/documentation/business-messaging/messenger-platform/webhooks/webhook-events/messaging_postbacks"""
    res = ingest_lines(
        [
            f.delivery(f.postback(**ICE_BREAKER, referral=referral, psid="ib", ts=T0)),
            f.delivery(f.message("and delivery?", psid="ib", ts=T0 + MINUTE)),
        ]
    )
    assert res.rejects_added == 0
    c = contact(query, "ib")
    assert (c["channel"], c["ad_id"], c["postback_count"], c["reentry_count"]) == (
        channel, ad_id, 1, 0)  # fmt: skip
    assert query("SELECT postback_payload FROM events WHERE kind = 'postback'") == [("ICE_PRICES",)]


@pytest.mark.parametrize(
    "app_id",
    [
        pytest.param(263902037430900, id="page-inbox"),
        pytest.param("1234567890123", id="another-app-as-text"),
        pytest.param(None, id="null"),
        pytest.param("absent", id="absent"),
    ],
)
def test_a_private_reply_echo_names_its_comment_whichever_app_sent_it(
    ingest_lines: IngestLines, query: Query, app_id: Any
) -> None:
    """Which app_id the echo of a comment reply sent by another app (Meta's own automations)
    carries is unknown: an echo whose metadata names the comment is that private reply, from
    whichever app, or none. https://developers.facebook.com/docs/messenger-platform/reference/webhook-events/message-echoes/"""
    echo = f.private_reply_echo("1500_2600", psid="pr", ts=T0)
    if app_id == "absent":
        del echo["message"]["app_id"]
    else:
        echo["message"]["app_id"] = app_id
    res = ingest_lines([f.delivery(echo), f.delivery(f.message("thanks", psid="pr", ts=T0 + 1))])
    assert res.rejects_added == 0
    c = contact(query, "pr")
    assert (c["channel"], c["comment_id"]) == ("comment_reply", "1500_2600")


def test_a_send_log_without_recipient_id_is_kept_and_its_echo_links_the_reply(
    ingest_lines: IngestLines, query: Query
) -> None:
    """Whether the Send API answers a comment_id send with a recipient_id is not shown by an
    official example: a send log without one is read (no reject) and keeps its comment, and the
    echo of that reply, naming the comment in its metadata, makes the link (one touch).
    https://developers.facebook.com/docs/messenger-platform/reference/send-api"""
    res = ingest_lines(
        [
            ff.send_log("1500_2601", None, ts=T0, message_id="m_reply_1"),
            f.delivery(f.private_reply_echo("1500_2601", psid="pr", ts=T0 + 100, mid="m_reply_1")),
            f.delivery(f.message("thanks", psid="pr", ts=T0 + MINUTE)),
        ]
    )
    assert res.rejects_added == 0
    assert query("SELECT psid, detail, comment_id FROM events WHERE kind = 'private_reply'") == [
        (None, "no recipient_id", "1500_2601")
    ]
    c = contact(query, "pr")
    assert (c["channel"], c["comment_id"]) == ("comment_reply", "1500_2601")
    assert query("SELECT via, is_first FROM touches") == [("message_echo", True)]


def test_messaging_action_types_of_any_name_are_kept_in_actions(
    ingest_lines: IngestLines, query: Query
) -> None:
    """The messaging action_type names are public code's, not Meta's reference: every name an
    insights row brings is stored in `actions` as it came, whether or not refscope knows it.
    https://developers.facebook.com/docs/marketing-api/reference/ads-action-stats/"""
    actions = [
        {"action_type": "onsite_conversion.messaging_first_reply", "value": "2"},
        {"action_type": "onsite_conversion.total_messaging_connection", "value": "5"},
    ]
    res = ingest_lines(
        [
            row("2026-11-02", actions=actions),
            row("2026-11-03", actions=[*actions, {"action_type": STARTED, "value": "4"}]),
        ]
    )
    assert res.rejects_added == 0
    got = query("SELECT conversations_started, actions FROM ad_insights ORDER BY date")
    assert [(n, json.loads(a)[:2]) for n, a in got] == [(None, actions), (4, actions)]
