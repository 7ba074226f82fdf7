"""Attribution: the channel each contact is acquired through (test_contacts.py: re-entries,
which events make a contact, engagement; test_attribute_private_replies.py: comment replies;
test_attribute_chat_plugin.py: a website's chat plugin).

The rule (ingest/attribute.py): a contact's channel is that of its earliest touch at or before its
conversation opened; with no touch it is `organic`.
"""

from __future__ import annotations

from typing import Any

import pytest

import tests.factories as f
from tests.conftest import Query
from tests.factories import HOUR, MINUTE, OTHER_PAGE_ID, PAGE_ID, PAGE_USERNAME, T0, utc
from tests.ingest.logs import contact, get_started


def _register(execute, ref: str, page: str, channel: str = "qr_code") -> None:
    execute(
        """INSERT INTO tracked_links (ref, page, channel, url, created_at)
           VALUES (?, ?, ?, ?, TIMESTAMP '2023-11-01 09:00:00')""",
        ref,
        page,
        channel,
        f"https://m.me/{page}?ref={ref}",
    )


def test_shortlink_postback_referral_is_m_me_link(ingest_lines, query: Query) -> None:
    result = ingest_lines(get_started("u1", ref="bio_link"))
    c = contact(query, "u1")
    assert (c["channel"], c["ref"], c["source"]) == ("m_me_link", "bio_link", "SHORTLINK")
    assert (c["first_seen_at"], c["first_touch_at"]) == (utc(T0), utc(T0))
    assert result.new_contacts_by_channel == {"m_me_link": 1}


REGISTRATIONS = [
    pytest.param([(PAGE_ID, "qr_code")], [], id="page-id"),
    pytest.param(
        [(PAGE_USERNAME, "qr_code"), ("northwindcoffee", "m_me_link")],
        [(PAGE_ID, PAGE_USERNAME), (OTHER_PAGE_ID, "northwindcoffee")],
        id="username-mapped-by-pages",
    ),
    pytest.param([(PAGE_USERNAME, "qr_code")], [], id="username-only-page-with-the-ref"),
]


@pytest.mark.parametrize("links, pages", REGISTRATIONS)
def test_ref_registered_as_qr_code_is_qr_code(
    ingest_lines, query: Query, execute, links: list[tuple[str, str]], pages: list[tuple[str, str]]
) -> None:
    for page, channel in links:
        _register(execute, "qr_store12_window", page, channel)
    for page_id, username in pages:
        execute("INSERT INTO pages VALUES (?, ?, ?)", page_id, username, username.title())
    ingest_lines(get_started("u1", ref="qr_store12_window"))
    c = contact(query, "u1")
    assert (c["channel"], c["ref"], c["source"]) == ("qr_code", "qr_store12_window", "SHORTLINK")


def test_same_ref_on_a_page_without_the_registration_stays_m_me_link(
    ingest_lines, query: Query, execute
) -> None:
    _register(execute, "qr_flyer", PAGE_USERNAME)
    _register(execute, "qr_flyer", "northwindcoffee", "m_me_link")
    execute("INSERT INTO pages VALUES (?, ?, ?)", PAGE_ID, PAGE_USERNAME, "Acme")
    execute("INSERT INTO pages VALUES (?, ?, ?)", OTHER_PAGE_ID, "northwindcoffee", "Northwind")
    ingest_lines(
        [
            f.delivery(f.referral("qr_flyer", psid="u1", ts=T0)),
            f.delivery(f.referral("qr_flyer", psid="u2", ts=T0, page_id=OTHER_PAGE_ID),
                       page_id=OTHER_PAGE_ID),
        ]
    )  # fmt: skip
    assert contact(query, "u1")["channel"] == "qr_code"
    assert contact(query, "u2", OTHER_PAGE_ID)["channel"] == "m_me_link"


@pytest.mark.parametrize(
    "page",
    [OTHER_PAGE_ID, "northwindcoffee"],
    ids=["other-page-id", "username-of-another-page"],
)
def test_qr_ref_of_another_page_does_not_make_a_qr_code(
    ingest_lines, query: Query, execute, page: str
) -> None:
    _register(execute, "qr_table_tent", page)
    execute("INSERT INTO pages VALUES (?, ?, ?)", OTHER_PAGE_ID, "northwindcoffee", "Northwind")
    ingest_lines(get_started("u1", ref="qr_table_tent"))
    assert contact(query, "u1")["channel"] == "m_me_link"


def test_username_ref_registered_by_two_unmapped_pages_is_not_guessed(
    ingest_lines, query: Query, execute
) -> None:
    _register(execute, "qr_shared", PAGE_USERNAME)
    _register(execute, "qr_shared", "northwindcoffee", "m_me_link")
    ingest_lines(get_started("u1", ref="qr_shared"))
    assert contact(query, "u1")["channel"] == "m_me_link"


def test_ref_registered_as_link_is_m_me_link(ingest_lines, query: Query, execute) -> None:
    _register(execute, "bio_link", PAGE_ID, "m_me_link")
    ingest_lines(get_started("u1", ref="bio_link"))
    assert contact(query, "u1")["channel"] == "m_me_link"


def test_messenger_code_is_qr_code(ingest_lines, query: Query) -> None:
    ingest_lines(get_started("u1", source="MESSENGER_CODE", ref="billboard"))
    c = contact(query, "u1")
    assert (c["channel"], c["source"], c["ref"]) == ("qr_code", "MESSENGER_CODE", "billboard")


def test_message_referral_from_an_ad_is_ctm_ad(ingest_lines, query: Query) -> None:
    ad = f.ads_referral(ad_id="120208765432109876", ad_title="Spring croissant launch")
    ingest_lines([f.delivery(f.message("Is this available?", psid="u1", referral=ad))])
    c = contact(query, "u1")
    assert (c["channel"], c["ad_id"], c["ad_title"], c["source"]) == (
        "ctm_ad",
        "120208765432109876",
        "Spring croissant launch",
        "ADS",
    )
    assert c["first_message_at"] == utc(T0)


@pytest.mark.parametrize(
    "referral, channel",
    [
        (f.referral_obj("site_footer"), "m_me_link"),
        (f.ads_referral(), "ctm_ad"),
        (f.referral_obj("billboard", "MESSENGER_CODE"), "qr_code"),
        # README: ctm_ad is source ADS "or an ad_id": a referral naming only its ad is one.
        ({"ad_id": "23843301927710456", "type": "OPEN_THREAD"}, "ctm_ad"),
    ],
    ids=["shortlink", "ads", "messenger-code", "ad-id-without-source"],
)
def test_top_level_referral_just_before_the_first_message_decides(
    ingest_lines, query: Query, referral: dict[str, Any], channel: str
) -> None:
    item = f.referral(psid="u1", ts=T0)
    item["referral"] = referral
    ingest_lines([f.delivery(item), f.delivery(f.message(psid="u1", ts=T0 + 2000))])
    c = contact(query, "u1")
    assert (c["channel"], c["first_touch_at"], c["first_message_at"]) == (
        channel,
        utc(T0),
        utc(T0 + 2000),
    )
    assert query("SELECT via, is_first, is_reentry FROM touches") == [("referral", True, False)]


@pytest.mark.parametrize(
    ("messages", "channel", "ad_id", "touches", "reentries"),
    [
        pytest.param(
            [(MINUTE, True)], "ctm_ad", "777", [(MINUTE, True, False)], 0, id="first-message-ad"
        ),
        pytest.param(
            [(MINUTE, False), (2 * MINUTE, True)], "organic", None, [(2 * MINUTE, False, True)],
            1, id="second-message-ad",
        ),
        pytest.param(
            [(25 * HOUR, True)], "organic", None, [(25 * HOUR, False, True)], 1,
            id="a-day-later",
        ),
    ],
)  # fmt: skip
def test_a_postback_without_referral_leaves_the_first_messages_ad_referral_first(
    ingest_lines,
    query: Query,
    messages: list[tuple[int, bool]],
    channel: str,
    ad_id: str | None,
    touches: list[tuple[int, bool, bool]],
    reentries: int,
) -> None:
    """Whether an ice breaker's postback carries its Click-to-Messenger ad's referral is not
    documented (https://developers.facebook.com/documentation/business-messaging/messenger-platform/reference/messenger-profile-api/ice-breakers):
    when it does not, the ad's referral comes on the first message. That message, within 24 hours of
    the postback that opened the conversation, acquires the contact for the ad. It was organic
    with one re-entry. A later message's referral, or a first one a day later, is a re-entry."""
    ice_breaker = f.postback("ICE_PRICES", title="What are your prices?", psid="ib2", ts=T0)
    sent = [
        f.message("hi", psid="ib2", ts=T0 + at,
                  **({"referral": f.ads_referral(ad_id="777")} if ad else {}))
        for at, ad in messages
    ]  # fmt: skip
    ingest_lines([f.delivery(ice_breaker), *(f.delivery(m) for m in sent)])
    c = contact(query, "ib2")
    assert (c["channel"], c["ad_id"], c["reentry_count"]) == (channel, ad_id, reentries)
    assert query("SELECT via, ts, is_first, is_reentry FROM touches") == [
        ("message", utc(T0 + at), first, again) for at, first, again in touches
    ]


def test_first_message_without_referral_is_organic(ingest_lines, query: Query) -> None:
    result = ingest_lines([f.delivery(f.message("hi", psid="u1"))])
    c = contact(query, "u1")
    assert (c["channel"], c["ref"], c["source"], c["first_touch_at"]) == (
        "organic",
        None,
        None,
        None,
    )
    assert result.new_contacts == 1


def test_contact_can_first_appear_in_standby(ingest_lines, query: Query) -> None:
    referral = f.referral_obj("bio_link")
    ingest_lines(
        [
            f.delivery(f.postback(referral=referral, psid="u1", ts=T0), container="standby"),
            f.delivery(f.message(psid="u1", ts=T0 + MINUTE), container="standby"),
        ]
    )
    c = contact(query, "u1")
    assert (c["channel"], c["message_count"], c["first_seen_at"]) == ("m_me_link", 1, utc(T0))


def test_get_started_without_referral_is_organic(ingest_lines, query: Query) -> None:
    ingest_lines([f.delivery(f.postback(psid="u1"))])
    assert contact(query, "u1")["channel"] == "organic"


# SHORTLINKS: a third party's spelling, not Meta's; unknown sources stay `other`.
@pytest.mark.parametrize("source", ["IGME-SOURCE-LINK", "DISCOVER_TAB", "SHORTLINKS", "SHORT.URL"])
def test_unknown_source_is_other_with_the_raw_source_kept(
    ingest_lines, query: Query, source: str
) -> None:
    ingest_lines(get_started("u1", source=source, ref="ig_bio"))
    c = contact(query, "u1")
    assert (c["channel"], c["source"], c["ref"]) == ("other", source, "ig_bio")


# The messaging_postbacks page's sample spells it SHORT-URL, the Postback Button Setup page's
# (Marketing Messages) SHORT_URL:
# https://developers.facebook.com/documentation/business-messaging/messenger-platform/webhooks/webhook-events/messaging_postbacks
# https://developers.facebook.com/documentation/business-messaging/messenger-platform/marketing-messages-on-messenger/send-messages/postback
@pytest.mark.parametrize("source", ["SHORT-URL", "SHORT_URL"])
def test_the_postback_doc_samples_short_url_is_a_link(
    ingest_lines, query: Query, source: str
) -> None:
    ingest_lines(get_started("u1", source=source, ref="bio_link"))
    c = contact(query, "u1")
    assert (c["channel"], c["source"], c["ref"]) == ("m_me_link", source, "bio_link")


def test_a_referral_with_a_ref_and_no_source_is_other(ingest_lines, query: Query) -> None:
    item = f.referral("mystery", psid="u1", ts=T0)
    del item["referral"]["source"]
    ingest_lines([f.delivery(item), f.delivery(f.message(psid="u1", ts=T0 + MINUTE))])
    c = contact(query, "u1")
    assert (c["channel"], c["ref"], c["source"]) == ("other", "mystery", None)


def test_message_from_a_shops_product_page_is_other(ingest_lines, query: Query) -> None:
    product = {"product": {"id": "4489216584501234"}}
    ingest_lines(
        [
            f.delivery(f.message("Is this in stock?", psid="u1", ts=T0, referral=product)),
            f.delivery(f.message("hello", psid="u2", ts=T0)),
            f.delivery(f.message("and this?", psid="u2", ts=T0 + HOUR, referral=product)),
        ]
    )
    assert (contact(query, "u1")["channel"], contact(query, "u2")["channel"]) == (
        "other", "organic")  # fmt: skip
    assert query("SELECT psid, detail FROM events WHERE detail IS NOT NULL ORDER BY psid") == [
        ("u1", "shops_product"), ("u2", "shops_product")]  # fmt: skip
    # A product page after the conversation opened is a re-entry, as any later referral.
    assert query("SELECT psid, is_first, is_reentry FROM touches ORDER BY psid") == [
        ("u1", True, False), ("u2", False, True)]  # fmt: skip
