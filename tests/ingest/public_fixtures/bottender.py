"""Yoctol/bottender's Messenger event fixtures as log lines, with the rows refscope must
store."""

from __future__ import annotations

from tests.factories import utc
from tests.ingest.public_fixtures import Json, contact, entry, ev, s

# ---------------------------------------------------------------------------------------------
# Yoctol/bottender packages/bottender/src/messenger/__tests__/MessengerEvent.spec.ts: bare
# items (keys back in snake_case), each in an entry of its recipient page's id; its delivery,
# read and handover items have sender = page, recipient = person.
B_PAGE, B_USER = "404217156637689", "1423587017700273"
B2_PAGE, B2_USER = "707356222221168", "1476077422222289"
B_TEXT_MID = "mid.$cAAE1UUyiiwthh0NPrVbVf4HFNDGl"

# fmt: off
BOTTENDER: dict[str, tuple[Json, list[Json], list[Json]]] = {
    # textMessage
    "bottender/text": (
        entry(B_PAGE, {"sender": {"id": B_USER}, "recipient": {"id": B_PAGE},
                       "timestamp": 1491796363181, "message": {
                           "mid": B_TEXT_MID, "seq": 348847,
                           "text": "Sharp tools make good work."}}, time=1491796363181),
        [ev(kind="message", page_id=B_PAGE, psid=B_USER, ts=utc(1491796363181), mid=B_TEXT_MID,
            text_length=27)],
        [contact(page_id=B_PAGE, psid=B_USER, channel="organic", first_seen_at=utc(1491796363181),
                 first_message_at=utc(1491796363181), message_count=1)],
    ),
    # quickReplyMessage
    "bottender/quick_reply": (
        entry(B_PAGE, {"sender": {"id": B_USER}, "recipient": {"id": B_PAGE},
                       "timestamp": 1491798262319, "message": {
                           "quick_reply": {"payload": "DEVELOPER_DEFINED_PAYLOAD_FOR_PICKING_RED"},
                           "mid": "mid.$cAAE1UUyiiwthh2BKL1bVhsBhVxvm", "seq": 348865,
                           "text": "Red"}}, time=1491798262319),
        [ev(kind="message", page_id=B_PAGE, psid=B_USER, ts=utc(1491798262319),
            mid="mid.$cAAE1UUyiiwthh2BKL1bVhsBhVxvm", text_length=3,
            quick_reply_payload="DEVELOPER_DEFINED_PAYLOAD_FOR_PICKING_RED")],
        [contact(page_id=B_PAGE, psid=B_USER, channel="organic", first_seen_at=utc(1491798262319),
                 first_message_at=utc(1491798262319), message_count=1)],
    ),
    # fallbackMessage: a fallback attachment whose payload is null
    "bottender/fallback": (
        entry(B_PAGE, {"sender": {"id": B_USER}, "recipient": {"id": B_PAGE},
                       "timestamp": 1491797604411, "message": {
                           "mid": "mid.$cAAE1UUyiiwthh1ZAO1bVhDxGk2N0", "seq": 348855,
                           "attachments": [{"type": "fallback", "payload": None,
                                            "title": "TITLE_OF_THE_URL_ATTACHMENT",
                                            "URL": "URL_OF_THE_ATTACHMENT"}]}},
              time=1491797604411),
        [ev(kind="message", page_id=B_PAGE, psid=B_USER, ts=utc(1491797604411),
            mid="mid.$cAAE1UUyiiwthh1ZAO1bVhDxGk2N0", attachment_types=["fallback"])],
        [contact(page_id=B_PAGE, psid=B_USER, channel="organic", first_seen_at=utc(1491797604411),
                 first_message_at=utc(1491797604411), message_count=1)],
    ),
    # echoMessage (sender = page)
    "bottender/echo": (
        entry(B_PAGE, {"sender": {"id": B_PAGE}, "recipient": {"id": B_USER},
                       "timestamp": 1491798024994, "message": {
                           "is_echo": True, "app_id": 205552219930699,
                           "mid": "mid.$cAAE1UUyiiwthh1yrIlbVhdisQW8M", "seq": 348859,
                           "text": "Difficult the first time, easy the second."}},
              time=1491798024994),
        [ev(kind="message_echo", page_id=B_PAGE, psid=B_USER, ts=utc(1491798024994),
            mid="mid.$cAAE1UUyiiwthh1yrIlbVhdisQW8M", text_length=42,
            app_id="205552219930699")],
        [],
    ),
    # delivery: no timestamp of its own, dated by its entry
    "bottender/delivery": (
        entry(B_PAGE, {"sender": {"id": B_PAGE}, "recipient": {"id": B_USER},
                       "delivery": {"mids": ["mid.1458668856218:ed81099e15d3f4f233"],
                                    "watermark": 1458668856253, "seq": 37}},
              time=1458668856300),
        [ev(kind="delivery", page_id=B_PAGE, psid=B_USER, ts=utc(1458668856300),
            watermark_at=utc(1458668856253))],
        [],
    ),
    # read
    "bottender/read": (
        entry(B_PAGE, {"sender": {"id": B_PAGE}, "recipient": {"id": B_USER},
                       "timestamp": 1458668856463,
                       "read": {"watermark": 1458668856253, "seq": 38}}, time=1458668856463),
        [ev(kind="read", page_id=B_PAGE, psid=B_USER, ts=utc(1458668856463),
            watermark_at=utc(1458668856253))],
        [],
    ),
    # postback without referral
    "bottender/postback": (
        entry(B_PAGE, {"recipient": {"id": B_PAGE}, "timestamp": 1491798782090,
                       "sender": {"id": B_USER}, "postback": {"payload": "USER_DEFINED_PAYLOAD"}},
              time=1491798782090),
        [ev(kind="postback", page_id=B_PAGE, psid=B_USER, ts=utc(1491798782090),
            postback_payload="USER_DEFINED_PAYLOAD")],
        [contact(page_id=B_PAGE, psid=B_USER, channel="organic", first_seen_at=utc(1491798782090),
                 postback_count=1)],
    ),
    # optin: a Send to Messenger data-ref, its timestamp in seconds (1234567890)
    "bottender/optin": (
        entry("PAGE_ID", {"sender": {"id": "USER_ID"}, "recipient": {"id": "PAGE_ID"},
                          "timestamp": 1234567890, "optin": {"ref": "PASS_THROUGH_PARAM"}},
              time=1234567890000),
        [ev(kind="optin", page_id="PAGE_ID", psid="USER_ID", ts=s(1234567890), channel="other",
            ref="PASS_THROUGH_PARAM")],
        [contact(page_id="PAGE_ID", psid="USER_ID", channel="other", ref="PASS_THROUGH_PARAM",
                 first_seen_at=s(1234567890), first_touch_at=s(1234567890))],
    ),
    # gamePlay: a kind refscope does not read
    "bottender/game_play": (
        entry("PAGE_ID", {"sender": {"id": "USER_ID"}, "recipient": {"id": "PAGE_ID"},
                          "timestamp": 1469111400000, "game_play": {
                              "game_id": "GAME_ID", "player_id": "PLAYER_ID",
                              "context_type": "SOLO", "context_id": "CONTEXT_ID", "score": 99,
                              "payload": '{"some_key":"SOME_VALUE"}'}}, time=1469111400000),
        [ev(kind="other", detail="game_play", page_id="PAGE_ID", psid="USER_ID",
            ts=utc(1469111400000))],
        [],
    ),
    # payment
    "bottender/payment": (
        entry("PAGE_ID", {"recipient": {"id": "PAGE_ID"}, "timestamp": 1473208792799,
                          "sender": {"id": "USER_ID"}, "payment": {
                              "payload": "DEVELOPER_DEFINED_PAYLOAD",
                              "requested_user_info": {"shipping_address": {},
                                                      "contact_name": "Peter Chang"},
                              "amount": {"currency": "USD", "amount": "29.62"},
                              "shipping_option_id": "123"}}, time=1473208792799),
        [ev(kind="other", detail="payment", page_id="PAGE_ID", psid="USER_ID",
            ts=utc(1473208792799))],
        [],
    ),
    # policyEnforcement: the old hyphenated key, addressed to the page alone
    "bottender/policy_enforcement": (
        entry(B_PAGE, {"recipient": {"id": B_PAGE}, "timestamp": 1458692752478,
                       "policy-enforcement": {"action": "block",
                                              "reason": "The bot violated our Platform Policies"}},
              time=1458692752478),
        [ev(kind="other", detail="policy-enforcement", page_id=B_PAGE, ts=utc(1458692752478))],
        [],
    ),
    # appRoles: addressed to the page alone
    "bottender/app_roles": (
        entry(B_PAGE, {"recipient": {"id": B_PAGE}, "timestamp": 1458692752478,
                       "app_roles": {"123456789": ["automation"]}}, time=1458692752478),
        [ev(kind="handover", detail="app_roles", page_id=B_PAGE, ts=utc(1458692752478))],
        [],
    ),
    # passThreadControl
    "bottender/pass_thread_control": (
        entry(B_PAGE, {"sender": {"id": B_PAGE}, "recipient": {"id": B_USER},
                       "timestamp": 1458692752478, "pass_thread_control": {
                           "new_owner_app_id": "123456789",
                           "metadata": "additional content that the caller wants to set"}},
              time=1458692752478),
        [ev(kind="handover", detail="pass_thread_control", page_id=B_PAGE, psid=B_USER,
            ts=utc(1458692752478))],
        [],
    ),
    # requestThreadControlFromInbox (the Page Inbox's app id)
    "bottender/request_thread_control": (
        entry(B_PAGE, {"sender": {"id": B_PAGE}, "recipient": {"id": B_USER},
                       "timestamp": 1458692752478, "request_thread_control": {
                           "requested_owner_app_id": 263902037430900,
                           "metadata": "additional content that the caller wants to set"}},
              time=1458692752478),
        [ev(kind="handover", detail="request_thread_control", page_id=B_PAGE, psid=B_USER,
            ts=utc(1458692752478))],
        [],
    ),
    # textMessageFromCustomerChatPlugin: the plugin's tag, the only trace of the widget
    "bottender/chat_plugin_tag": (
        entry(B_PAGE, {"sender": {"id": B_USER}, "recipient": {"id": B_PAGE},
                       "timestamp": 1491796363181, "message": {
                           "mid": B_TEXT_MID, "seq": 348847,
                           "text": "Sharp tools make good work.",
                           "tags": [{"source": "customer_chat_plugin"}]}}, time=1491796363181),
        [ev(kind="message", detail="chat_plugin_tag", page_id=B_PAGE, psid=B_USER,
            ts=utc(1491796363181), channel="chat_widget", mid=B_TEXT_MID, text_length=27)],
        [contact(page_id=B_PAGE, psid=B_USER, channel="chat_widget",
                 first_seen_at=utc(1491796363181), first_touch_at=utc(1491796363181),
                 first_message_at=utc(1491796363181), message_count=1)],
    ),
    # linkReferral: an existing thread re-entered from an m.me link
    "bottender/link_referral": (
        entry("701111199441168", {"recipient": {"id": "701111199441168"},
                                  "timestamp": 1511111143921, "sender": {"id": "1476077111119289"},
                                  "referral": {"ref": "aaaa", "source": "SHORTLINK",
                                               "type": "OPEN_THREAD"}}, time=1511111143921),
        [ev(kind="referral", page_id="701111199441168", psid="1476077111119289",
            ts=utc(1511111143921), channel="m_me_link", ref="aaaa", source="SHORTLINK")],
        [contact(page_id="701111199441168", psid="1476077111119289", channel="m_me_link",
                 ref="aaaa", source="SHORTLINK", first_seen_at=utc(1511111143921),
                 first_touch_at=utc(1511111143921))],
    ),
    # postbackReferral: Get Started from an m.me link
    "bottender/postback_referral": (
        entry(B2_PAGE, {"recipient": {"id": B2_PAGE}, "timestamp": 1522222894827,
                        "sender": {"id": B2_USER}, "postback": {
                            "payload": "__GET_STARTED__",
                            "referral": {"source": "SHORTLINK", "type": "OPEN_THREAD",
                                         "ref": "aaaa"},
                            "title": "Get Started"}}, time=1522222894827),
        [ev(kind="postback", page_id=B2_PAGE, psid=B2_USER, ts=utc(1522222894827),
            channel="m_me_link", ref="aaaa", source="SHORTLINK",
            postback_payload="__GET_STARTED__")],
        [contact(page_id=B2_PAGE, psid=B2_USER, channel="m_me_link", ref="aaaa",
                 source="SHORTLINK", first_seen_at=utc(1522222894827),
                 first_touch_at=utc(1522222894827), postback_count=1)],
    ),
    # customerChatPluginReferral (2017: a PSID sender, the page as origin_domain)
    "bottender/chat_plugin_referral": (
        entry("693344444818699", {"recipient": {"id": "693344444818699"},
                                  "timestamp": 1512552044444, "sender": {"id": "1242684444404904"},
                                  "referral": {"ref": "bbbb", "source": "CUSTOMER_CHAT_PLUGIN",
                                               "type": "OPEN_THREAD",
                                               "origin_domain": "https://test.domain.tw/"}},
              time=1512552044444),
        [ev(kind="referral", page_id="693344444818699", psid="1242684444404904",
            ts=utc(1512552044444), channel="chat_widget", ref="bbbb",
            source="CUSTOMER_CHAT_PLUGIN")],
        [contact(page_id="693344444818699", psid="1242684444404904", channel="chat_widget",
                 ref="bbbb", source="CUSTOMER_CHAT_PLUGIN", first_seen_at=utc(1512552044444),
                 first_touch_at=utc(1512552044444))],
    ),
    # brandedCamera, accountLinkingLinked: kinds refscope does not read
    "bottender/branded_camera": (
        entry(B2_PAGE, {"sender": {"id": B2_USER}, "recipient": {"id": B2_PAGE},
                        "timestamp": 1469111400000, "branded_camera": {
                            "content_ids": ["<CAMERA-EFFECT-ID>", "<CAMERA-EFFECT-ID>"],
                            "event": "dismiss"}}, time=1469111400000),
        [ev(kind="other", detail="branded_camera", page_id=B2_PAGE, psid=B2_USER,
            ts=utc(1469111400000))],
        [],
    ),
    "bottender/account_linking": (
        entry(B2_PAGE, {"sender": {"id": B2_USER}, "recipient": {"id": B2_PAGE},
                        "timestamp": 1469111400000, "account_linking": {
                            "status": "linked",
                            "authorization_code": "PASS_THROUGH_AUTHORIZATION_CODE"}},
              time=1469111400000),
        [ev(kind="other", detail="account_linking", page_id=B2_PAGE, psid=B2_USER,
            ts=utc(1469111400000))],
        [],
    ),
    # reactionReact: a reaction is the person's own act
    "bottender/reaction": (
        entry(B2_PAGE, {"sender": {"id": B2_USER}, "recipient": {"id": B2_PAGE},
                        "timestamp": 1469111400000, "reaction": {
                            "reaction": "smile", "emoji": "\u2764\ufe0f", "action": "react",
                            "mid": B_TEXT_MID}}, time=1469111400000),
        [ev(kind="reaction", detail="react", page_id=B2_PAGE, psid=B2_USER,
            ts=utc(1469111400000), mid=B_TEXT_MID)],
        [contact(page_id=B2_PAGE, psid=B2_USER, channel="organic",
                 first_seen_at=utc(1469111400000))],
    ),
    # packages/bottender/src/messenger/__tests__/MessengerConnector.spec.ts: echoRequest,
    # instants written as floats (1492414608982.0)
    "bottender/connector_echo": (
        {"object": "page", "entry": [{"id": "1134713619900975", "time": 1492414608999.0,
                                      "messaging": [{
            "sender": {"id": "1134713619900975"}, "recipient": {"id": "1244813222196986"},
            "timestamp": 1492414608982.0, "message": {
                "is_echo": True, "app_id": 1821152484774199,
                "mid": "mid.$cAARS90328R5hrBz-Vlbete17ftIb", "seq": 661428, "text": "text"}}]}]},
        [ev(kind="message_echo", page_id="1134713619900975", psid="1244813222196986",
            ts=utc(1492414608982), mid="mid.$cAARS90328R5hrBz-Vlbete17ftIb", text_length=4,
            app_id="1821152484774199")],
        [],
    ),
    # MessengerConnector.spec.ts batchRequest: two entries, the second of another page id
    "bottender/connector_batch": (
        {"object": "page", "entry": [
            {"id": "1895382890692545", "time": 1486464322257, "messaging": [{
                "sender": {"id": "1412611362105802"}, "recipient": {"id": "1895382890692545"},
                "timestamp": 1486464322190, "message": {
                    "mid": "mid.1486464322190:cb04e5a654", "seq": 339979, "text": "test 1"}}]},
            {"id": "189538289069256", "time": 1486464322257, "messaging": [{
                "sender": {"id": "1412611362105802"}, "recipient": {"id": "1895382890692545"},
                "timestamp": 1486464322190, "message": {
                    "mid": "mid.1486464322190:cb04e5a656", "seq": 339979,
                    "text": "test 2"}}]}]},
        [ev(kind="message", page_id="1895382890692545", psid="1412611362105802",
            ts=utc(1486464322190), mid="mid.1486464322190:cb04e5a654", text_length=6),
         ev(kind="message", page_id="189538289069256", psid="1412611362105802",
            ts=utc(1486464322190), mid="mid.1486464322190:cb04e5a656", text_length=6)],
        [contact(page_id="1895382890692545", psid="1412611362105802", channel="organic",
                 first_seen_at=utc(1486464322190), first_message_at=utc(1486464322190),
                 message_count=1),
         contact(page_id="189538289069256", psid="1412611362105802", channel="organic",
                 first_seen_at=utc(1486464322190), first_message_at=utc(1486464322190),
                 message_count=1)],
    ),
    # MessengerConnector.spec.ts standbyRequest: a standby item with nothing but its ends
    "bottender/connector_standby": (
        {"object": "page", "entry": [{"id": "<PAGE_ID>", "time": 1458692752478, "standby": [{
            "sender": {"id": "<USER_ID>"}, "recipient": {"id": "<PAGE_ID>"}}]}]},
        [ev(kind="other", detail="?", page_id="<PAGE_ID>", psid="<USER_ID>",
            ts=utc(1458692752478), is_standby=True)],
        [],
    ),
}

# fmt: on
