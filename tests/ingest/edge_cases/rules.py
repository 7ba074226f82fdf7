"""Hand-made lines, one person per attribution rule (PSIDs 9001 on)."""

from __future__ import annotations

import json

from tests.ingest.edge_cases import PAGE, PAGE2, S, T, ad, echo, item, link, msg, post, send_log


def rule_lines() -> list[object]:
    pb = {"title": "Get Started", "payload": "GET_STARTED"}
    return [
        # a top-level referral in seconds just before the first message, in milliseconds
        post(item("9001", (T - 5 * S) // 1000, "referral", link("sec_ref"))),
        post(msg("9001", T)),
        # digit-string timestamps, in milliseconds and in seconds
        post(msg("9002", str(T)), msg("9002", str((T + 60 * S) // 1000), n=1)),
        # an echo in the old direction (sender = PSID) alone makes no contact
        post(
            {
                "sender": {"id": "9003"},
                "recipient": {"id": PAGE},
                "timestamp": T,
                "message": {"is_echo": True, "mid": "m_echo_old_9003"},
            }
        ),
        # a private reply known by its echo's bare metadata, then the user's first message
        post(echo("9004", T, 0, metadata="1500_2600")),
        post(msg("9004", T + 60 * S)),
        # a Get Started with an m.me ref at the very instant of a private reply: the referral wins
        send_log("9005", T, "1500_2601"),
        post(item("9005", T, "postback", {**pb, "mid": "m_pb_9005", "referral": link("same_t")})),
        # a private reply, then a first message carrying an ad's referral: comment_reply, 1 re-entry
        send_log("9006", T, "1500_2602"),
        post(msg("9006", T + 60 * S, referral=ad("7001"))),
        # a link referral, later an ad referral, then the first message: the link's, 1 re-entry
        post(item("9007", T, "referral", link("first_link"))),
        post(item("9007", T + 60 * S, "referral", ad("7002"))),
        post(msg("9007", T + 120 * S)),
        # the chat plugin, addressed by user_ref
        post(
            {
                "sender": {"user_ref": "ur_9008"},
                "recipient": {"id": PAGE},
                "timestamp": T,
                "referral": link(
                    "home",
                    "CUSTOMER_CHAT_PLUGIN",
                    referer_uri="https://x.test/",
                    is_guest_user=False,
                ),
            }
        ),
        # a first message the chat plugin tagged, and none other
        post(msg("9009", T, tags=[{"source": "customer_chat_plugin"}])),
        # a message from a Shops product page
        post(msg("9010", T, referral={"product": {"id": "123456"}})),
        # Send to Messenger: an optin with a ref and no source
        post(item("9011", T, "optin", {"ref": "stm_button"})),
        # the postback sample as the docs wrap it: string seconds, SHORT-URL, in changes[]
        {
            "object": "page",
            "entry": [
                {
                    "id": PAGE,
                    "time": T,
                    "changes": [
                        {
                            "field": "messaging_postbacks",
                            "value": item(
                                "9012",
                                str(T // 1000),
                                "postback",
                                {**pb, "referral": link("wrapped", "SHORT-URL")},
                            ),
                        }
                    ],
                }
            ],
        },
        # sources refscope does not know, and a legacy Messenger Code
        post(item("9013", T, "referral", link("igme", "IGME-SOURCE-LINK"))),
        post(item("9014", T, "referral", link("code", "MESSENGER_CODE"))),
        # a reaction after a private reply and nothing else: the reply's
        send_log("9015", T, "1500_2603"),
        post(
            item(
                "9015",
                T + 60 * S,
                "reaction",
                {"reaction": "love", "action": "react", "mid": "m_echo_9015"},
            )
        ),
        # a referral alone
        post(item("9016", T, "referral", link("only_ref"))),
        # a referral after the first message: organic, 1 re-entry
        post(msg("9017", T)),
        post(item("9017", T + 60 * S, "referral", link("later"))),
        # Get Started without a referral, then a message with an ad's referral
        post(item("9018", T, "postback", {**pb, "mid": "m_pb_9018"})),
        post(msg("9018", T + 60 * S, referral=ad("7003"))),
        # a first message in standby, in seconds
        post(msg("9019", T // 1000), container="standby"),
        # two messages at one instant
        post(msg("9020", T), msg("9020", T, n=1)),
        # a send-log line in an envelope without a timestamp: dated by received_at
        {"received_at": T, "body": send_log("9021", None, "1500_2604")},
        post(msg("9021", T + 60 * S)),
        # the checkbox plugin's optin without a ref
        post(
            {
                "sender": {"user_ref": "ur_9022"},
                "recipient": {"id": PAGE},
                "timestamp": T,
                "optin": {"user_ref": "ur_9022"},
            }
        ),
        # the checkbox plugin's optin, as Meta's optin doc shows it: no sender, a user_ref
        post(
            {"recipient": {"id": PAGE}, "timestamp": T, "optin": {"ref": "cb", "user_ref": "ur_cb"}}
        ),
        # deliveries, reads and handovers alone make no contact
        post(item("9023", T, "delivery", {"watermark": T})),
        post(item("9024", T, "read", {"watermark": T})),
        post(item("9025", T, "pass_thread_control", {"new_owner_app_id": "263902037430900"})),
        # echo metadata as JSON with other keys
        post(echo("9026", T, 0, metadata=json.dumps({"flow": "x", "comment_id": "1500_2605"}))),
        post(msg("9026", T + 60 * S)),
        # an ad referral with no source, only its ad_id
        post(msg("9027", T, referral={"ad_id": "7004", "type": "OPEN_THREAD"})),
        # one PSID on two pages: two contacts
        post(msg("9028", T, referral=ad("7005"))),
        post(msg("9028", T + S, page=PAGE2), page=PAGE2),
        # a message retried in a later POST with another entry time: one event
        {
            "object": "page",
            "entry": [{"id": PAGE, "time": T + 9 * S, "messaging": [msg("9029", T)]}],
        },
        post(msg("9029", T)),
        # an item without a sender beside a good one: partly rejected
        post(
            msg("9030", T),
            {
                "recipient": {"id": PAGE},
                "timestamp": T,
                "message": {"mid": "m_nobody", "text": "?"},
            },
        ),
        # a batch with a broken entry beside a good one
        {"object": "page", "entry": [{"id": PAGE, "time": T, "messaging": [msg("9031", T)]}, 7]},
        # QR code ref registered for the page
        post(item("9032", T, "postback", {**pb, "mid": "m_pb_9032", "referral": link("qr_edge")})),
        # the same QR ref on the other page, where it is not registered: an m.me link
        post(
            item(
                "9033",
                T,
                "postback",
                {**pb, "mid": "m_pb_9033", "referral": link("qr_edge")},
                page=PAGE2,
            ),
            page=PAGE2,
        ),
    ]
