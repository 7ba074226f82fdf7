"""Hand-made lines in the odd shapes Meta's fields come in: missing timestamps and mids, ids as
numbers, floats and digit strings, standby and wrapped items (PSIDs 7001 on)."""

from __future__ import annotations

import json

from tests.ingest.edge_cases import PAGE, S, T, ad, item, link, msg, post


def shape_lines() -> list[object]:
    return [
        {
            "object": "page",
            "entry": [
                {
                    "id": PAGE,
                    "time": T + 5 * S,
                    "messaging": [
                        {
                            "sender": {"id": "7001"},
                            "recipient": {"id": PAGE},
                            "message": {"mid": "m_7001", "text": "x"},
                        }
                    ],
                }
            ],
        },
        # sender with both id and user_ref
        post(
            {
                "sender": {"id": "7002", "user_ref": "ur_7002"},
                "recipient": {"id": PAGE},
                "timestamp": T,
                "message": {"mid": "m_7002", "text": "x"},
            }
        ),
        # postback without mid retried, and two distinct ones
        post(item("7003", T, "postback", {"title": "A", "payload": "A"})),
        post(item("7003", T, "postback", {"title": "A", "payload": "A"})),
        post(item("7003", T, "postback", {"title": "B", "payload": "B"})),
        # message without mid
        post(item("7004", T, "message", {"text": "no mid"})),
        post(item("7004", T, "message", {"text": "no mid"})),
        # message_edit only
        post(item("7005", T, "message_edit", {"mid": "m_x", "text": "edited", "num_edit": 1})),
        # ADS without ad_id
        post(msg("7006", T, referral={"source": "ADS", "type": "OPEN_THREAD"})),
        # empty ref SHORTLINK
        post(
            item("7007", T, "referral", {"ref": "", "source": "SHORTLINK", "type": "OPEN_THREAD"})
        ),
        # visitor-post private reply
        {
            "object": "send_api",
            "page_id": PAGE,
            "timestamp": T,
            "request": {"recipient": {"post_id": "1122334455667788_55"}, "message": {"text": "hi"}},
            "response": {"recipient_id": "7008", "message_id": "m_send_7008"},
        },
        post(msg("7008", T + S)),
        # send log with numeric page id
        {
            "object": "send_api",
            "page_id": 1122334455667788,
            "timestamp": T,
            "request": {"recipient": {"comment_id": "1500_4009"}, "message": {"text": "hi"}},
            "response": {"recipient_id": "7009", "message_id": "m_send_7009"},
        },
        post(msg("7009", T + S)),
        # send log timestamp as a digit string
        {
            "object": "send_api",
            "page_id": PAGE,
            "timestamp": str(T),
            "request": {"recipient": {"comment_id": "1500_4010"}, "message": {"text": "hi"}},
            "response": {"recipient_id": "7010", "message_id": "m_send_7010"},
        },
        post(msg("7010", T + S)),
        # recipient_id as an integer
        {
            "object": "send_api",
            "page_id": PAGE,
            "timestamp": T,
            "request": {"recipient": {"comment_id": "1500_4011"}, "message": {"text": "hi"}},
            "response": {"recipient_id": 7011, "message_id": "m_send_7011"},
        },
        post(msg("7011", T + S)),
        # sender id integer
        post(
            {
                "sender": {"id": 7012},
                "recipient": {"id": PAGE},
                "timestamp": T,
                "message": {"mid": "m_7012", "text": "x"},
            }
        ),
        # echo with integer recipient id and metadata
        post(
            {
                "sender": {"id": PAGE},
                "recipient": {"id": 7013},
                "timestamp": T,
                "message": {"is_echo": True, "mid": "m_e_7013", "metadata": "1500_4013"},
            }
        ),
        post(msg("7013", T + S)),
        # referral ad: top-level referral with ad then message with ref other
        post(item("7014", T, "referral", ad("7514"))),
        post(msg("7014", T + S)),
        # timestamp as float ms
        post(msg("7015", float(T))),
        # postback referral in standby
        post(
            item(
                "7016",
                T,
                "postback",
                {"title": "GS", "payload": "GS", "mid": "m_pb_7016", "referral": link("sb")},
            ),
            container="standby",
        ),
        # wrapped standby message in changes
        {
            "object": "page",
            "entry": [
                {"id": PAGE, "time": T, "changes": [{"field": "standby", "value": msg("7017", T)}]}
            ],
        },
        # a wrapped sample as a whole line, Meta's postback doc style
        {
            "field": "messaging_postbacks",
            "value": {
                "sender": {"id": "7018"},
                "recipient": {"id": PAGE},
                "timestamp": str(T // 1000),
                "postback": {
                    "title": "GS",
                    "payload": "GS",
                    "referral": {"ref": "whole", "source": "SHORT-URL", "type": "OPEN_THREAD"},
                },
            },
        },
        # send logs of form-encoded requests: recipient and message as JSON strings
        *(
            {
                "object": "send_api",
                "page_id": PAGE,
                "timestamp": T,
                "request": {
                    "recipient": json.dumps(recipient),
                    "message": json.dumps({"text": "hi", "metadata": '{"comment_id":"1500_4019"}'}),
                },
                "response": {"recipient_id": psid, "message_id": f"m_send_{psid}"},
            }
            for psid, recipient in [
                ("7019", {"comment_id": "1500_4019"}),
                ("7020", {"post_id": "1122334455667788_56"}),
                ("7021", "comment_id=1500_4021"),  # a string holding no JSON object: no recipient
            ]
        ),
        post(msg("7019", T + S)),
        post(msg("7020", T + S)),
        post(msg("7021", T + S)),
    ]
