"""botbuilder-dotnet, jgorset/facebook-messenger and messenger4j fixtures as log lines, with
the rows refscope must store."""

from __future__ import annotations

from tests.factories import utc
from tests.ingest.public_fixtures import Json, contact, entry, ev

# ---------------------------------------------------------------------------------------------
# microsoft/botbuilder-dotnet tests/Adapters/Microsoft.Bot.Builder.Adapters.Facebook.Tests/
# Files/*.json and jgorset/facebook-messenger spec/facebook/messenger/incoming/*_spec.rb use one
# placeholder id for the page and the person ("0", "fakeId", "3") and botbuilder's messages are
# dated 1970 (2222222): ids are replaced by a page and a PSID as Meta sends them (sender = the
# person, recipient = the page; an echo the other way), instants kept where believable.
M_PAGE, M_USER, M_TS = "1134713619900975", "1244813222196986", 1572630578783

# fmt: off
OTHERS: dict[str, tuple[Json, list[Json], list[Json]]] = {
    # botbuilder Files/PayloadWithStandby.json: standby items without a timestamp of their
    # own, beside a messaging message (ids and its instant replaced)
    "botbuilder/PayloadWithStandby": (
        {"object": "page", "entry": [{"id": M_PAGE, "time": 1458692752478,
            "standby": [{"sender": {"id": "user1"}, "recipient": {"id": M_PAGE}},
                        {"sender": {"id": "user2"}, "recipient": {"id": M_PAGE}}],
            "messaging": [{"sender": {"id": M_USER}, "recipient": {"id": M_PAGE},
                           "timestamp": 1458692752478,
                           "message": {"mid": "AAAA-BBBB-CCCC", "text": "text"}}]}]},
        [ev(kind="message", page_id=M_PAGE, psid=M_USER, ts=utc(1458692752478),
            mid="AAAA-BBBB-CCCC", text_length=4),
         ev(kind="other", detail="?", page_id=M_PAGE, psid="user1", ts=utc(1458692752478),
            is_standby=True),
         ev(kind="other", detail="?", page_id=M_PAGE, psid="user2", ts=utc(1458692752478),
            is_standby=True)],
        [contact(page_id=M_PAGE, psid=M_USER, channel="organic",
                 first_seen_at=utc(1458692752478), first_message_at=utc(1458692752478),
                 message_count=1)],
    ),
    # botbuilder Files/PayloadWithPostBack.json (ids and instant replaced)
    "botbuilder/PayloadWithPostBack": (
        entry(M_PAGE, {"sender": {"id": M_USER}, "recipient": {"id": M_PAGE}, "timestamp": M_TS,
                       "postback": {"mid": "m_1457764197618:41d102a3e1ae206a38", "title": "title",
                                    "payload": "USER_DEFINED_PAYLOAD",
                                    "referral": {"ref": "USER_DEFINED_REFERRAL_PARAM",
                                                 "source": "SHORTLINK", "type": "OPEN_THREAD"}}},
              time=M_TS),
        [ev(kind="postback", page_id=M_PAGE, psid=M_USER, ts=utc(M_TS), channel="m_me_link",
            ref="USER_DEFINED_REFERRAL_PARAM", source="SHORTLINK",
            mid="m_1457764197618:41d102a3e1ae206a38", postback_payload="USER_DEFINED_PAYLOAD")],
        [contact(page_id=M_PAGE, psid=M_USER, channel="m_me_link",
                 ref="USER_DEFINED_REFERRAL_PARAM", source="SHORTLINK", first_seen_at=utc(M_TS),
                 first_touch_at=utc(M_TS), postback_count=1)],
    ),
    # botbuilder Files/PayloadWithTakeThreadControl.json (ids replaced)
    "botbuilder/PayloadWithTakeThreadControl": (
        entry(M_PAGE, {"recipient": {"id": M_PAGE}, "timestamp": 1572630386105,
                       "sender": {"id": M_USER}, "take_thread_control": {
                           "previous_owner_app_id": 1234567890,
                           "metadata": "Take thread control from a secondary receiver"}},
              time=1572630386105),
        [ev(kind="handover", detail="take_thread_control", page_id=M_PAGE, psid=M_USER,
            ts=utc(1572630386105))],
        [],
    ),
    # jgorset message_echo_spec.rb `payload` (ids replaced): an app_id past 2^53
    "facebook-messenger/message_echo": (
        entry(M_PAGE, {"sender": {"id": M_PAGE}, "recipient": {"id": M_USER},
                       "timestamp": 1457764197627, "message": {
                           "is_echo": True, "app_id": 184719329217930000,
                           "mid": "mid.1457764197618:41d102a3e1ae206a38", "seq": 73,
                           "text": "Hello, bot!",
                           "quick_reply": {"payload": "Hi, I am a quick reply!"},
                           "attachments": [{"type": "image", "payload": {
                               "url": "https://www.example.com/1.jpg"}}]}}, time=1457764197627),
        [ev(kind="message_echo", page_id=M_PAGE, psid=M_USER, ts=utc(1457764197627),
            mid="mid.1457764197618:41d102a3e1ae206a38", text_length=11,
            attachment_types=["image"], quick_reply_payload="Hi, I am a quick reply!",
            app_id="184719329217930000")],
        [],
    ),
    # jgorset delivery_spec.rb (ids replaced): two mids, no timestamp of its own
    "facebook-messenger/delivery": (
        entry(M_PAGE, {"sender": {"id": M_USER}, "recipient": {"id": M_PAGE}, "delivery": {
            "mids": ["mid.1457764197618:41d102a3e1ae206a38",
                     "mid.1458668856218:ed81099e15d3f4f233"],
            "watermark": 1458668856253, "seq": 37}}, time=1458668856300),
        [ev(kind="delivery", page_id=M_PAGE, psid=M_USER, ts=utc(1458668856300),
            watermark_at=utc(1458668856253))],
        [],
    ),
    # jgorset optin_spec.rb (ids replaced): a Send to Messenger data-ref
    "facebook-messenger/optin": (
        entry(M_PAGE, {"sender": {"id": M_USER}, "recipient": {"id": M_PAGE},
                       "timestamp": 1457764197627, "optin": {"ref": "PASS_THROUGH_PARAM"}},
              time=1457764197627),
        [ev(kind="optin", page_id=M_PAGE, psid=M_USER, ts=utc(1457764197627), channel="other",
            ref="PASS_THROUGH_PARAM")],
        [contact(page_id=M_PAGE, psid=M_USER, channel="other", ref="PASS_THROUGH_PARAM",
                 first_seen_at=utc(1457764197627), first_touch_at=utc(1457764197627))],
    ),
}

# messenger4j/messenger4j src/test/java/com/github/messenger4j/test/integration/WebhookTest.java
# (Meta's documented samples of its time, placeholders kept)
MESSENGER4J: dict[str, tuple[Json, list[Json], list[Json]]] = {
    # shouldHandleMessengerCodeReferralEvent: the dead parametric code is a QR code
    "messenger4j/messenger_code_referral": (
        entry("<PAGE_ID>", {"sender": {"id": "<USER_ID>"}, "recipient": {"id": "<PAGE_ID>"},
                            "timestamp": 1458692752478, "referral": {
                                "ref": "<REF DATA PASSED IN CODE>", "source": "MESSENGER_CODE",
                                "type": "OPEN_THREAD"}}, time=1458692752478),
        [ev(kind="referral", page_id="<PAGE_ID>", psid="<USER_ID>", ts=utc(1458692752478),
            channel="qr_code", ref="<REF DATA PASSED IN CODE>", source="MESSENGER_CODE")],
        [contact(page_id="<PAGE_ID>", psid="<USER_ID>", channel="qr_code",
                 ref="<REF DATA PASSED IN CODE>", source="MESSENGER_CODE",
                 first_seen_at=utc(1458692752478), first_touch_at=utc(1458692752478))],
    ),
    # shouldHandleDiscoverTabReferralEvent: no ref; a source refscope has no channel for
    "messenger4j/discover_tab_referral": (
        entry("<PAGE_ID>", {"sender": {"id": "<USER_ID>"}, "recipient": {"id": "<PAGE_ID>"},
                            "timestamp": 1458692752478, "referral": {
                                "source": "DISCOVER_TAB", "type": "OPEN_THREAD"}},
              time=1458692752478),
        [ev(kind="referral", page_id="<PAGE_ID>", psid="<USER_ID>", ts=utc(1458692752478),
            channel="other", source="DISCOVER_TAB")],
        [contact(page_id="<PAGE_ID>", psid="<USER_ID>", channel="other", source="DISCOVER_TAB",
                 first_seen_at=utc(1458692752478), first_touch_at=utc(1458692752478))],
    ),
    # shouldHandleMessageDeliveredEventWithoutMids: no mids, no timestamp of its own
    "messenger4j/delivery_without_mids": (
        entry("PAGE_ID", {"sender": {"id": "USER_ID"}, "recipient": {"id": "PAGE_ID"},
                          "delivery": {"watermark": 1458668856253}}, time=1458692752478),
        [ev(kind="delivery", page_id="PAGE_ID", psid="USER_ID", ts=utc(1458692752478),
            watermark_at=utc(1458668856253))],
        [],
    ),
    # shouldHandleEventTypeThatIsUnsupported
    "messenger4j/unsupported_event_type": (
        entry("PAGE_ID", {"sender": {"id": "USER_ID"}, "recipient": {"id": "PAGE_ID"},
                          "timestamp": 1458692752478, "EVENT_TYPE_THAT_IS_UNSUPPORTED": {
                              "mid": "mid.1457764197618:41d102a3e1ae206a38"}},
              time=1458692752478),
        [ev(kind="other", detail="EVENT_TYPE_THAT_IS_UNSUPPORTED", page_id="PAGE_ID",
            psid="USER_ID", ts=utc(1458692752478))],
        [],
    ),
}

# fmt: on
