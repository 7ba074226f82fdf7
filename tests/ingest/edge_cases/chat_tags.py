"""Hand-made lines of the chat plugin's message tags (PSIDs 5001 on), and whole-line wrapped
echoes (PSIDs 3000 on)."""

from __future__ import annotations

from tests.ingest.edge_cases import PAGE, S, T, item, link, msg, post, send_log


def tag_lines() -> list[object]:
    return [
        # untagged first message, tagged later one
        post(msg("5001", T)),
        post(msg("5001", T + S, n=1, tags=[{"source": "customer_chat_plugin"}])),
        # tagged first message after a private reply: the reply's
        send_log("5002", T, "1500_5002"),
        post(msg("5002", T + S, tags=[{"source": "customer_chat_plugin"}])),
        # tagged first message, then a referral: chat_widget, 1 re-entry
        post(msg("5003", T, tags=[{"source": "customer_chat_plugin"}])),
        post(item("5003", T + S, "referral", link("after_tag"))),
        # referral, then tagged first message: referral's
        post(item("5004", T, "referral", link("before_tag"))),
        post(msg("5004", T + S, tags=[{"source": "customer_chat_plugin"}])),
        # every message tagged: one chat widget contact, no re-entries
        post(msg("5005", T, tags=[{"source": "customer_chat_plugin"}])),
        post(msg("5005", T + S, n=1, tags=[{"source": "customer_chat_plugin"}])),
        # postback first, then a tagged message
        post(item("5006", T, "postback", {"title": "GS", "payload": "GS", "mid": "m_pb_5006"})),
        post(msg("5006", T + S, tags=[{"source": "customer_chat_plugin"}])),
        # a later Shops product message
        post(msg("5007", T)),
        post(msg("5007", T + S, n=1, referral={"product": {"id": "9"}})),
        # shortlink with an ad_id
        post(item("5008", T, "referral", link("lnk", ad_id="777"))),
        # lowercase source
        post(item("5009", T, "referral", link("low", "shortlink"))),
        # lowercase chat plugin source
        post(item("5011", T, "referral", link("low_plugin", "customer_chat_plugin"))),
        # tagged message same instant as private reply
        send_log("5010", T, "1500_5010"),
        post(msg("5010", T, tags=[{"source": "customer_chat_plugin"}])),
        # whole-line wrapped echoes: in the old direction (the page known), and the new
        post(msg("3000", T)),
        {
            "field": "message_echoes",
            "value": {
                "sender": {"id": "3001"},
                "recipient": {"id": PAGE},
                "timestamp": T,
                "message": {"is_echo": True, "mid": "m_e3001", "metadata": "1500_6001"},
            },
        },
        post(msg("3001", T + S)),
        {
            "field": "message_echoes",
            "value": {
                "sender": {"id": PAGE},
                "recipient": {"id": "3002"},
                "timestamp": T,
                "message": {
                    "is_echo": True,
                    "mid": "m_e3002",
                    "metadata": '{"comment_id": "1500_6002"}',
                },
            },
        },
        post(msg("3002", T + S)),
    ]
