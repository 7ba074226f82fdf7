"""The payloads of the black-box logs (blackbox_logs.py): conversations of users over two
pages, every way into a conversation and every later item kind, as the POST bodies Meta sends,
built from Meta's documented shapes, not with tests/factories.py:
https://developers.facebook.com/docs/messenger-platform/reference/webhook-events
https://developers.facebook.com/docs/graph-api/webhooks/reference/page/
https://developers.facebook.com/docs/messenger-platform/reference/send-api
"""

from __future__ import annotations

import json
import random
from typing import Any

PAGES = ("1029384756102938", "5647382910564738")
APP_ID = 1517776481860111
INBOX_APP = 263902037430900  # the Page Inbox: owner of threads in standby
T0 = 1_750_000_000_000  # 2025-06-15 15:06:40 UTC, in ms
MIN = 60_000
Json = dict[str, Any]

OPENINGS = ("get_started", "ads_message", "referral", "plugin", "optin", "organic", "reply")


def dumps(obj: object) -> bytes:
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode()


class Conversations:
    """Conversations of n users over the pages, as POST bodies (and the page's send log)."""

    def __init__(self, seed: int, users: int) -> None:
        self.rng = random.Random(seed)
        self.users = users
        self.bodies: list[tuple[Json, bool]] = []  # (POST body, fit for an exact retry)
        self.sends: list[Json] = []
        self.n = 0

    # --- spelling ------------------------------------------------------------------------------
    def uid(self, prefix: str = "") -> str:
        self.n += 1
        return f"{prefix}{self.rng.randrange(10**15, 10**16)}{self.n:04}"[-16:]

    def ts(self, ms: int) -> Any:
        """An item's timestamp as Meta spells it: mostly ms, sometimes a string of digits."""
        return str(ms) if self.rng.random() < 0.15 else ms

    @staticmethod
    def item(page: str, who: Json | None, ts: Any, key: str, body: Json) -> Json:
        out: Json = {} if who is None else {"sender": who}
        return out | {"recipient": {"id": page}, "timestamp": ts, key: body}

    def post(self, page: str, items: list[Json], container: str = "messaging") -> Json:
        stamps = [int(i["timestamp"]) for i in items if str(i.get("timestamp", "")).isdigit()]
        time = max(stamps, default=T0) + self.rng.randrange(50, 900)
        return {"object": "page", "entry": [{"id": page, "time": time, container: items}]}

    # --- one user's conversation ---------------------------------------------------------------
    def conversation(self, u: int) -> None:
        rng = self.rng
        page = PAGES[u % 2]
        psid = self.uid()
        me = {"id": psid}
        t = T0 + u * 7 * MIN + rng.randrange(0, MIN)
        mids: list[str] = []

        def send(items: list[Json], container: str = "messaging", retry: bool = True) -> None:
            self.bodies.append((self.post(page, items, container), retry))

        def msg(**extra: Any) -> Json:
            mid = f"m_{self.uid()}"
            mids.append(mid)
            return self.item(page, me, self.ts(t), "message", {"mid": mid} | extra)

        opening = OPENINGS[u % len(OPENINGS)]  # every way in, each a few times
        if opening == "get_started":
            source = ("SHORTLINK", "ADS")[u // len(OPENINGS) % 2]
            ref: Json = {"ref": f"qr_store{u % 5}" if u % 3 else f"bio_{u % 4}", "source": source,
                         "type": "OPEN_THREAD"}  # fmt: skip
            if source == "ADS":
                ref |= {"ad_id": f"2385{u:08}", "ads_context_data": {"ad_title": "Summer menu"}}
            body = {"title": "Get Started", "payload": "GET_STARTED", "mid": f"m_{self.uid()}"}
            send([self.item(page, me, self.ts(t), "postback", body | {"referral": ref})])
        elif opening == "ads_message":
            context = {"ad_title": "Free coffee", "post_id": f"{page}_77{u}"}
            ref = {"ref": f"ad_{u % 3}", "ad_id": f"2385{u:08}", "source": "ADS",
                   "type": "OPEN_THREAD", "ads_context_data": context}  # fmt: skip
            send([msg(text="Is this still on?", referral=ref)])
        elif opening == "referral":
            # A referral in seconds (Meta sometimes sends these), on a whole second.
            t = t // 1000 * 1000
            when = t // 1000 if rng.random() < 0.5 else self.ts(t)
            ref = {"ref": f"poster_{u % 3}", "source": "SHORTLINK", "type": "OPEN_THREAD"}
            send([self.item(page, me, when, "referral", ref)])
        elif opening == "plugin":
            me = {"user_ref": f"ur_{self.uid()}"}
            ref = {"ref": "site", "source": "CUSTOMER_CHAT_PLUGIN", "type": "OPEN_THREAD",
                   "referer_uri": "https://shop.example.com/menu",
                   "is_guest_user": u % 2 == 0}  # fmt: skip
            send([self.item(page, me, self.ts(t), "referral", ref)])
        elif opening == "optin":
            optin = rng.choice([
                {"type": "notification_messages", "payload": "weekly", "title": "Deals",
                 "notification_messages_token": self.uid("nt"), "notification_messages_timezone":
                 "Europe/Paris", "token_expiry_timestamp": t + 10**10, "user_token_status":
                 "NOT_REFRESHED", "ref": "rn_deals", "source": "SHORTLINK",
                 "notification_messages_topic": "deals"},
                {"type": "one_time_notif_req", "payload": "restock", "one_time_notif_token":
                 self.uid("ot")},
                {"ref": "send_to_messenger_home"},
            ])  # fmt: skip
            send([self.item(page, me, self.ts(t), "optin", optin)])
        elif opening == "reply":
            # A comment on a post, the page's private reply (send log, echo with the comment id).
            cid = f"77{u:04}_{self.uid()}"
            post_id = f"{page}_77{u:04}"
            value = {"from": {"id": self.uid(), "name": "Ana Lopez"}, "item": "comment",
                     "verb": "add", "comment_id": cid, "post_id": post_id, "parent_id": post_id,
                     "created_time": t // 1000, "message": "Price? 🙂"}  # fmt: skip
            body = {"object": "page", "entry": [{"id": page, "time": t // 1000 + 1,
                    "changes": [{"field": "feed", "value": value}]}]}  # fmt: skip
            self.bodies.append((body, True))
            t += MIN
            self.sends.append({
                "object": "send_api", "page_id": page, "timestamp": t,
                "request": {"recipient": {"comment_id": cid}, "message": {"text": "See inbox"}},
                "response": {"recipient_id": psid, "message_id": f"m_{self.uid()}"},
            })  # fmt: skip
            echo = {"is_echo": True, "app_id": APP_ID, "metadata": cid, "mid": f"m_{self.uid()}",
                    "text": "See inbox"}  # fmt: skip
            send([self.item(page, {"id": page}, t, "message", echo) | {"recipient": me}])
            if rng.random() < 0.5:  # the comment edited, then removed (no message)
                value2 = value | {"verb": "edited", "message": "Price please?"}
                removed = {k: v for k, v in value.items() if k != "message"} | {"verb": "remove"}
                body = {"object": "page", "entry": [{"id": page, "time": t // 1000,
                        "changes": [{"field": "feed", "value": value2},
                                    {"field": "feed", "value": removed}]}]}  # fmt: skip
                self.bodies.append((body, True))
        t += rng.randrange(1, 5) * MIN
        send([msg(text=rng.choice(["hi", "Café ☕ open?", "Bonjour à tous", "hello"]))])
        for _ in range(rng.randrange(1, 6)):
            t += rng.randrange(1, 30) * MIN
            send([self.later(page, me, psid, t, mids, msg)])
        if rng.random() < 0.3:  # handed to the Page Inbox: the user's next items in standby
            t += MIN
            ctl = {"new_owner_app_id": INBOX_APP, "previous_owner_app_id": APP_ID,
                   "metadata": "human"}  # fmt: skip
            send([self.item(page, me, t, "pass_thread_control", ctl)])
            t += MIN
            send([msg(text="still there?")], "standby")
            t += MIN
            send([self.item(page, me, t, "read", {"watermark": t - MIN})], "standby")
            t += MIN
            key = rng.choice(["take_thread_control", "request_thread_control"])
            ctl = {"previous_owner_app_id": INBOX_APP, "new_owner_app_id": APP_ID}
            if key == "request_thread_control":
                ctl = {"requested_owner_app_id": APP_ID, "metadata": "back"}
            send([self.item(page, me, t, key, ctl)])

    def later(self, page: str, me: Json, psid: str, t: int, mids: list[str], msg: Any) -> Json:
        """One later item of a conversation: a message of some kind, an echo, a receipt..."""
        rng = self.rng
        what = rng.randrange(12)
        if what == 0:
            return msg(text="this one", quick_reply={"payload": "SIZE_L"})
        if what == 1:
            att = [{"type": "image", "payload": {"url": "https://x.example/1.jpg"}},
                   {"type": "sticker", "payload": {"url": "https://x.example/s.png",
                                                   "sticker_id": 369239263222822}}]  # fmt: skip
            return msg(attachments=att)
        if what == 2:
            return msg(text="this", referral={"product": {"id": f"99{rng.randrange(10**6)}"}})
        if what == 3 and "id" in me:  # none for a send to a user_ref
            echo = {"is_echo": True, "app_id": APP_ID, "mid": f"m_{self.uid()}", "text": "Sure!"}
            if rng.random() < 0.3:  # the older docs' direction: sender = PSID
                return {"sender": me, "recipient": {"id": page}, "timestamp": t, "message": echo}
            return {"sender": {"id": page}, "recipient": me, "timestamp": t, "message": echo}
        if what == 4:
            body = {"title": "Menu", "payload": "MENU"} | ({"mid": f"m_{self.uid()}"} if
                                                          rng.random() < 0.5 else {})  # fmt: skip
            return self.item(page, me, self.ts(t), "postback", body)
        if what == 5:
            ref = {"ref": f"reentry_{rng.randrange(3)}", "source": "SHORTLINK",
                   "type": "OPEN_THREAD"}  # fmt: skip
            return self.item(page, me, self.ts(t), "referral", ref)
        if what == 6:
            d: Json = {"watermark": t - 1000}
            if mids and rng.random() < 0.7:
                d = {"mids": mids[-1:]} | d
            return self.item(page, me, self.ts(t), "delivery", d)
        if what == 7:
            return self.item(page, me, self.ts(t), "read", {"watermark": t - 500})
        if what == 8 and mids:
            action = rng.choice([{"reaction": "love", "emoji": "❤", "action": "react"},
                                 {"action": "unreact"}])  # fmt: skip
            return self.item(page, me, self.ts(t), "reaction", action | {"mid": mids[-1]})
        if what == 9 and mids:  # a kind refscope does not know: stored as `other`
            edit = {"mid": mids[-1], "text": "edited", "num_edit": 1}
            return self.item(page, me, self.ts(t), "message_edit", edit)
        return msg(text=f"order {rng.randrange(100)} please")
