"""The reference of the attribution property test (test_attribution_property.py): an `Act`,
one thing that happened to a contact, with what the README says it means and the log item it
shows as; and `reference()`, the README's rule ("Attribution") computing each contact's
channel, ref, ad_id, first_seen_at, message counts, re-entries and each touch's role from the
acts.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

import tests.factories as f
import tests.factories_feed as ff
from tests.factories import DAY, PAGE_ID, Json, utc

QR_REF = "qr_store12"  # registered as a QR code of PAGE_ID only
ADS = ("23840000000000001", "23840000000000002")


@dataclass
class Act:
    """One thing that happened, with what the README says it means for its contact."""

    kind: str
    page: str
    who: str
    n: int  # unique per act: its mid, comment id …
    ts: int = 0  # ms, set once the order is drawn
    is_user_ref: bool = False
    standby: bool = False
    seconds: bool = False  # a top-level referral dated in seconds
    reverse: bool = False  # an echo in the old doc's direction
    source: str | None = None
    ref: str | None = None
    ad_id: str | None = None
    metadata: int = 0  # an echo's comment id: 0 JSON, 1 JSON with other keys, 2 bare id
    reply_to: int | None = None  # the act whose comment a private reply answers (else its own)
    post: bool = False  # a send-log private reply to a visitor post (recipient.post_id)
    undated: bool = False  # a send-log line without a timestamp, dated by its envelope
    form: bool = False  # a send-log line of a form-encoded request: recipient a JSON string

    # --- what the act is, for the reference --------------------------------------------------

    @property
    def is_own_action(self) -> bool:
        return self.kind in {
            "message", "message_ad", "message_tag", "message_shop", "postback", "postback_ref",
            "referral", "optin_ref", "optin_plain", "reaction", "plugin_referral",
            "plugin_postback", "checkbox_optin",
        }  # fmt: skip

    @property
    def is_message(self) -> bool:
        return self.kind in {"message", "message_ad", "message_tag", "message_shop"}

    @property
    def is_postback(self) -> bool:
        return self.kind in {"postback", "postback_ref", "plugin_postback"}

    @property
    def via(self) -> str | None:
        """The kind of event that carries the act's touch, if it carries one."""
        return {
            "message_ad": "message",
            "message_shop": "message",
            "postback_ref": "postback",
            "plugin_postback": "postback",
            "referral": "referral",
            "plugin_referral": "referral",
            "optin_ref": "optin",
            "checkbox_optin": "optin",
            "echo_reply": "message_echo",
            "send_reply": "private_reply",
        }.get(self.kind)

    @property
    def channel(self) -> str:
        """The channel of the act's touch (README's channel table)."""
        if self.kind in {"echo_reply", "send_reply"}:
            return "comment_reply"
        if self.kind in {"optin_ref", "checkbox_optin", "message_shop"}:
            return "other"
        if self.kind in {"plugin_referral", "plugin_postback"}:
            return "chat_widget"
        if self.source == "ADS" or self.ad_id is not None:
            return "ctm_ad"
        if self.source in {"SHORTLINK", "SHORT-URL"}:
            return "qr_code" if (self.page, self.ref) == (PAGE_ID, QR_REF) else "m_me_link"
        if self.source == "MESSENGER_CODE":
            return "qr_code"
        return "other"

    @property
    def is_referral(self) -> bool:
        """The user's own referral (or optin with a ref), not the page's private reply."""
        return self.via is not None and self.kind not in {"echo_reply", "send_reply"}

    # --- how it shows in a log ----------------------------------------------------------------

    @property
    def mid(self) -> str:
        return f"m_{self.n}"

    @property
    def comment_id(self) -> str:
        return f"4455667788_{9000 + (self.n if self.reply_to is None else self.reply_to)}"

    @property
    def replied_to(self) -> str:
        """What a private reply answered: one touch each (README)."""
        return f"post_{self.n}" if self.post else self.comment_id

    def referral(self) -> Json:
        if self.source == "ADS":
            return f.ads_referral(ad_id=self.ad_id or ADS[0], ref=self.ref)
        return f.referral_obj(self.ref, self.source or "SHORTLINK")

    def item(self) -> Json:
        """The messaging item (or, for a send log, the whole line) of the act."""
        kw: Json = {"page_id": self.page, "ts": self.ts}
        psid = self.who
        k = self.kind
        if k == "message":
            return f.message(f"hi {self.n}", psid=psid, mid=self.mid, **kw)
        if k == "message_ad":
            return f.message(psid=psid, mid=self.mid, referral=self.referral(), **kw)
        if k == "message_shop":
            return f.message(psid=psid, mid=self.mid, referral={"product": {"id": "p1"}}, **kw)
        if k == "message_tag":
            tags = [{"source": "customer_chat_plugin"}]
            return f.message(psid=psid, mid=self.mid, tags=tags, **kw)
        if k == "postback":
            return f.postback(psid=psid, mid=self.mid, **kw)
        if k == "postback_ref":
            return f.postback(psid=psid, mid=self.mid, referral=self.referral(), **kw)
        if k == "referral":
            item = f.referral(psid=psid, **kw)
            item["referral"] = self.referral()
            if self.seconds:
                item["timestamp"] = self.ts // 1000
            return item
        if k == "optin_ref":
            return f.optin(psid=psid, ref=self.ref, **kw)
        if k == "optin_plain":
            return f.optin(psid=psid, type="notification_messages", payload="P", **kw)
        if k == "reaction":
            return f.reaction(f"m_reacted_{self.n}", psid=psid, **kw)
        if k == "echo":
            return f.echo(psid=psid, mid=self.mid, reverse=self.reverse, **kw)
        if k == "echo_reply":
            metadata = [
                json.dumps({"comment_id": self.comment_id}),
                json.dumps({"flow": "welcome", "comment_id": self.comment_id}),
                self.comment_id,
            ][self.metadata]
            return f.echo(psid=psid, mid=self.mid, reverse=self.reverse, metadata=metadata, **kw)
        if k == "send_reply":
            to = {"post_id": f"{self.page}_{7000 + self.n}"} if self.post else None
            line = ff.send_log(
                self.comment_id, psid, message_id=self.mid, recipient=to, form=self.form, **kw
            )
            if self.undated:
                del line["timestamp"]
            return line
        if k == "delivery":
            return f.delivery_receipt([f"m_page_{self.n}"], self.ts, psid=psid, **kw)
        if k == "read":
            return f.read_receipt(self.ts, psid=psid, **kw)
        if k == "plugin_referral":
            return f.chat_plugin_referral(self.who, ref=self.ref or "menu_page", **kw)
        if k == "plugin_postback":
            ref = f.referral_obj(
                self.ref, "CUSTOMER_CHAT_PLUGIN", referer_uri="https://acme.example/menu",
                is_guest_user=False,
            )  # fmt: skip
            return f.postback(
                psid=psid, mid=self.mid, referral=ref, sender={"user_ref": psid}, **kw
            )
        if k == "checkbox_optin":
            return f.optin(psid=None, ref=self.ref, user_ref=self.who, **kw)
        raise AssertionError(k)


def reference(
    events: list[Act], stored: Callable[[str], str]
) -> tuple[dict[tuple[str, str], Json], dict[tuple, Json]]:
    """Contacts and the touches' roles, by the README's rule; ids as stored(id) keeps them."""
    by_contact: dict[tuple[str, str], list[Act]] = {}
    for a in events:
        by_contact.setdefault((a.page, stored(a.who)), []).append(a)
    contacts: dict[tuple[str, str], Json] = {}
    touches: dict[tuple, Json] = {}
    for key, acts_ in by_contact.items():
        own = [a for a in acts_ if a.is_own_action]
        touching = [a for a in acts_ if a.via is not None and a.channel != "comment_reply"]
        replies: dict[str, Act] = {}
        for a in sorted(acts_, key=lambda a: (a.ts, a.kind != "send_reply")):
            if a.channel == "comment_reply" and a.via is not None:
                replies.setdefault(a.replied_to, a)  # a send log and its echo: one touch
        touching += replies.values()
        if not own:
            for a in touching:
                touches[(*key, utc(a.ts), a.via)] = {"is_first": False, "is_reentry": False}
            continue
        first_seen = min(a.ts for a in own)
        openers = sorted((a for a in acts_ if a.is_message or a.is_postback), key=lambda a: a.ts)
        opened = openers[0].ts if openers else first_seen
        # The first message's own touch (an ad's referral, the plugin's tag) also counts when
        # a postback without referral opened the conversation less than 24 hours before it.
        first_message = min((a.ts for a in acts_ if a.is_message), default=None)
        in_time = first_message is not None and first_message <= opened + DAY
        before = [
            a for a in touching
            if a.ts <= opened or (a.via == "message" and a.ts == first_message and in_time)
        ]  # fmt: skip
        first = min(before, key=lambda a: (a.ts, not a.is_referral)) if before else None
        tagged = any(a.kind == "message_tag" and a.ts == first_message for a in acts_)
        if first is not None:
            channel = first.channel
        elif tagged and in_time:
            # The plugin's tag, failing any other touch: a touch only as the acquiring one.
            channel = "chat_widget"
            touches[(*key, utc(first_message), "message")] = {"is_first": True, "is_reentry": False}
        else:
            channel = "organic"
        # A message repeating the ad id or ref of the touch just before it (at one instant a
        # private reply comes first), within 24 hours, is that same entry, when it is the
        # first message since that touch (a message between, or the touch's own, makes it
        # another click).
        ordered = sorted(touching, key=lambda a: (a.ts, a.channel != "comment_reply"))
        before_it = dict(zip((id(a) for a in ordered), [None, *ordered], strict=False))
        message_times = [x.ts for x in acts_ if x.is_message]
        reentries = 0
        for a in touching:
            p = before_it[id(a)]
            repeats = (
                a.via == "message" and (a.ad_id is not None or a.ref is not None)
                and p is not None and p.ts >= a.ts - DAY
                and (p.channel, p.ad_id, p.ref) == (a.channel, a.ad_id, a.ref)
                and not any(p.ts <= m < a.ts for m in message_times)
            )  # fmt: skip
            is_reentry = a is not first and not repeats and a.is_referral and a.ts >= first_seen
            reentries += is_reentry
            touches[(*key, utc(a.ts), a.via)] = {"is_first": a is first, "is_reentry": is_reentry}
        messages = sorted(a.ts for a in acts_ if a.is_message)
        contacts[key] = {
            "is_user_ref": acts_[0].is_user_ref,
            "first_seen_at": utc(first_seen),
            "channel": channel,
            "ref": first.ref if first is not None else None,
            "ad_id": first.ad_id if first is not None else None,
            "first_message_at": utc(messages[0]) if messages else None,
            "message_count": len(messages),
            "postback_count": sum(a.is_postback for a in acts_),
            "reentry_count": reentries,
        }
    return contacts, touches
