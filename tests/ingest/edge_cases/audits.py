"""Hand-made lines of the audited cases 1 to 30 (PSIDs 8001 on)."""

from __future__ import annotations

from tests.ingest.edge_cases import PAGE, PAGE2, S, T, ad, echo, item, link, msg, post, send_log


def audit_lines() -> list[object]:
    return [
        # 1 referral at the instant of the first message
        post(item("8001", T, "referral", link("same_inst"))),
        post(msg("8001", T)),
        # 2 private reply after first message
        post(msg("8002", T)),
        send_log("8002", T + 60 * S, "1500_3002"),
        # 3 two private replies before first message
        send_log("8003", T, "1500_3003"),
        send_log("8003", T + S, "1500_3004"),
        post(msg("8003", T + 60 * S)),
        # 4 reaction, referral, message
        post(item("8004", T, "reaction", {"reaction": "like", "action": "react", "mid": "m_x"})),
        post(item("8004", T + S, "referral", link("after_react"))),
        post(msg("8004", T + 2 * S)),
        # 5 m.me/rn optin SHORTLINK registered QR
        post(
            item(
                "8005",
                T,
                "optin",
                {
                    "type": "notification_messages",
                    "ref": "qr_edge",
                    "source": "SHORTLINK",
                    "notification_messages_token": "tok",
                },
            )
        ),
        # 6 DISCOVER_TAB without ref
        post(item("8006", T, "referral", {"source": "DISCOVER_TAB", "type": "OPEN_THREAD"})),
        # 7 ad_id as integer
        post(msg("8007", T, referral={"source": "ADS", "type": "OPEN_THREAD", "ad_id": 6045123})),
        # 8 entry id as an integer
        {
            "object": "page",
            "entry": [{"id": 1122334455667788, "time": T, "messaging": [msg("8008", T)]}],
        },
        # 9 postback without referral and top-level referral at the same instant
        post(
            item(
                "8009", T, "postback", {"title": "Get Started", "payload": "GS", "mid": "m_pb_8009"}
            )
        ),
        post(item("8009", T, "referral", link("tie_pb"))),
        # 10 is_echo false
        post(msg("8010", T, is_echo=False)),
        # 11 copies of one message, the later-stamped first
        post(msg("8011", T + 60 * S)),
        post(msg("8011", T)),
        # 13 ADS with a ref
        post(msg("8013", T, referral=ad("7013", ref="adref"))),
        # 14 later message with ad referral
        post(msg("8014", T)),
        post(msg("8014", T + 60 * S, n=1, referral=ad("7014"))),
        # 16 chat plugin postback with user_ref then message by user_ref
        post(
            {
                "sender": {"user_ref": "ur_8016"},
                "recipient": {"id": PAGE},
                "timestamp": T,
                "postback": {
                    "title": "Get Started",
                    "payload": "GS",
                    "referral": link(
                        "cp",
                        "CUSTOMER_CHAT_PLUGIN",
                        referer_uri="https://x.test/a",
                        is_guest_user=True,
                    ),
                },
            }
        ),
        post(
            {
                "sender": {"user_ref": "ur_8016"},
                "recipient": {"id": PAGE},
                "timestamp": T + S,
                "message": {"mid": "m_ur_8016", "text": "hey"},
            }
        ),
        # 18 referral in string seconds
        post(item("8018", str(T // 1000 - 5), "referral", link("strsec"))),
        post(msg("8018", T)),
        # 19 send log in seconds
        send_log("8019", T // 1000 - 5, "1500_3019"),
        post(msg("8019", T)),
        # 21 private reply on page, message on page2
        send_log("8021", T, "1500_3021"),
        post(msg("8021", T + S, page=PAGE2), page=PAGE2),
        # 22 notification optin only
        post(
            item(
                "8022",
                T,
                "optin",
                {
                    "type": "notification_messages",
                    "payload": "P",
                    "notification_messages_token": "t",
                },
            )
        ),
        # 24 echo metadata old direction (sender = PSID)
        post(
            {
                "sender": {"id": "8024"},
                "recipient": {"id": PAGE},
                "timestamp": T,
                "message": {"is_echo": True, "mid": "m_echo_8024", "metadata": "1500_3024"},
            }
        ),
        post(msg("8024", T + 60 * S)),
        # 29 source null with ref
        post(
            item("8029", T, "referral", {"ref": "nullsrc", "source": None, "type": "OPEN_THREAD"})
        ),
        # 30 echo metadata private reply at same instant as the first message
        post(echo("8030", T, 0, metadata="1500_3030")),
        post(msg("8030", T)),
        # message without its own timestamp: dated by entry time?
    ]
