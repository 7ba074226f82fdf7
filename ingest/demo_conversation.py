"""The demo's conversations: the events one contact and a page exchange (messages, echoes,
receipts, reactions, handovers, opt-ins) and the page feed's posts and comments, emitted into the
`events` and `sends` of `Conversations`, the base of the simulation in `demo_traffic`."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from typing import Any, NamedTuple

from . import demo_catalog as cat
from . import demo_payloads as p
from .demo_catalog import PAGE_IDS, PAGES

DAY_MS = 86_400_000
HOUR_MS = 3_600_000
EPOCH = dt.date(1970, 1, 1)
REDELIVER_P = 0.003  # a message re-sent in a different POST
SECONDS_P = 0.02  # top-level referral timestamp in seconds
OLD_ECHO_P = 0.1  # echo with sender = PSID (older docs)


class Ev(NamedTuple):
    at: int  # when the event happens (ms); orders the log
    seq: int
    page: str
    key: str  # messaging | standby | changes
    item: dict


@dataclass
class Contact:
    page: str
    psid: str | None = None
    user_ref: str | None = None
    until: int | None = None  # nothing from this contact at or after (chat plugin shutdown)

    @property
    def who(self) -> dict:
        return {"id": self.psid} if self.psid else {"user_ref": self.user_ref}


def ms_of(day: dt.date) -> int:
    return (day - EPOCH).days * DAY_MS


def day_of(ms: int) -> dt.date:
    return EPOCH + dt.timedelta(days=ms // DAY_MS)


class Conversations:
    """The simulated range, what it emitted so far, and the pieces conversations are made of."""

    def __init__(self, rng: random.Random, start: dt.date, end: dt.date) -> None:
        self.rng, self.ids = rng, p.Ids(rng)
        self.start, self.end = start, end
        self.start_ms, self.end_ms = ms_of(start), ms_of(end) + DAY_MS
        self.events: list[Ev] = []
        self.sends: list[tuple[int, int, dict]] = []
        self.contacts: dict[str, list[Contact]] = {page: [] for page in PAGE_IDS}
        self.posts: dict[str, list[str]] = {page: [] for page in PAGE_IDS}
        self.comments: dict[str, list[tuple[str, str, dict, int]]] = {pg: [] for pg in PAGE_IDS}
        self._seq = 0

    # -- emitting

    def _emit(self, at: int, page: str, key: str, item: dict) -> None:
        if self.start_ms <= at < self.end_ms:
            self._seq += 1
            self.events.append(Ev(at, self._seq, page, key, item))

    def _user(
        self, c: Contact, t: int, key: str = "messaging", ts: int | None = None, **event: object
    ) -> None:
        """An event the person causes: sender = PSID or user_ref, recipient = page."""
        if c.until is not None and t >= c.until:
            return
        item = p.item(c.who, {"id": c.page}, t if ts is None else ts, **event)
        self._emit(t, c.page, key, item)
        if "message" in event and self.rng.random() < REDELIVER_P:
            self._redeliver(c, t, key, item)

    def _redeliver(self, c: Contact, t: int, key: str, item: dict) -> None:
        """Meta sends the same message (same mid) again, in a new POST."""
        t += self.rng.randint(30_000, 20 * 60_000)
        if c.until is None or t < c.until:
            self._emit(t, c.page, key, item)

    def _echo(self, c: Contact, t: int, message: dict, key: str = "messaging") -> None:
        if c.psid is None:  # no echoes for sends to a user_ref (since 2018-02-19)
            return
        sender, recipient = {"id": c.page}, {"id": c.psid}
        if self.rng.random() < OLD_ECHO_P:
            sender, recipient = recipient, sender
        self._emit(t, c.page, key, p.item(sender, recipient, t, message=message))

    def _contact(self, page: str, user_ref: bool = False) -> Contact:
        psid, ref = (None, self.ids.token()) if user_ref else (self.ids.psid(), None)
        c = Contact(page, psid, ref)
        self.contacts[page].append(c)
        return c

    # -- conversation pieces

    def _reply(
        self, c: Contact, t: int, text: str | None = None, key: str = "messaging", **kw: bool
    ) -> tuple[int, str | None]:
        """The page answers (bot, or a human through the Page Inbox); receipts follow."""
        rng, human = self.rng, kw.get("human", False)
        if c.psid is None:
            return t + rng.randint(5_000, 60_000), None
        t += rng.randint(60_000, 3 * HOUR_MS) if human else rng.randint(1_200, 9_000)
        mid = self.ids.mid()
        app = cat.PAGE_INBOX_APP_ID if human else cat.APP_ID
        self._echo(c, t, p.echo_message(mid, text or rng.choice(cat.PAGE_TEXTS), app), key)
        self._receipts(c, t, mid, key, kw.get("react", False))
        return t, mid

    def _receipts(self, c: Contact, t: int, mid: str, key: str, react: bool = False) -> None:
        rng = self.rng
        if rng.random() < 0.8:
            mids = [mid] if rng.random() < 0.9 else None  # older clients send no mids
            self._user(c, t + rng.randint(300, 20_000), key, delivery=p.delivery(mids, t))
        if react or rng.random() < 0.65:
            seen = t + rng.randint(2_000, 40 * 60_000)
            self._user(c, seen, key, read={"watermark": t})
            if react or rng.random() < 0.06:
                self._react(c, seen + rng.randint(1_000, 60_000), mid, key)

    def _react(self, c: Contact, t: int, mid: str, key: str) -> None:
        name, emoji = self.rng.choice(cat.REACTIONS)
        self._user(c, t, key, reaction=p.reaction(mid, "react", name, emoji))
        if self.rng.random() < 0.2:
            undo = p.reaction(mid, "unreact", name, emoji)
            self._user(c, t + self.rng.randint(5_000, HOUR_MS), key, reaction=undo)

    def _user_message(self, c: Contact, t: int, last: str | None, tags: list | None) -> dict:
        rng, mid, r = self.rng, self.ids.mid(), self.rng.random()
        if r < 0.1 and last:
            payload = rng.choice(list(cat.QUICK_REPLIES))
            return p.text_message(mid, cat.QUICK_REPLIES[payload], quick_reply={"payload": payload})
        if r < 0.2:
            kind = rng.choices(("image", "sticker", "audio", "video", "file"), (50, 25, 10, 8, 7))
            return p.attachment_message(mid, kind[0], rng.randrange(10**14, 10**15), day_of(t))
        text = rng.choice(cat.USER_TEXTS[c.page] if r < 0.6 else cat.SMALL_TALK)
        reply_to = {"mid": last, "is_self_reply": False} if last and rng.random() < 0.05 else None
        return p.text_message(mid, text, reply_to=reply_to, tags=tags)

    def _chat(self, c: Contact, t: int, turns: int, **kw) -> int:
        """User messages, each maybe answered. kw: first, last, key, tags, redeliver."""
        key, last, rng = kw.get("key", "messaging"), kw.get("last"), self.rng
        for k in range(turns):
            first = kw.get("first") if k == 0 else None
            msg = first or self._user_message(c, t, last, kw.get("tags"))
            self._user(c, t, key, message=msg)
            if k == 0 and kw.get("redeliver"):
                self._redeliver(c, t, key, p.item(c.who, {"id": c.page}, t, message=msg))
            if rng.random() < 0.85:
                human = key == "standby" or rng.random() < 0.12
                t, last = self._reply(c, t, key=key, human=human)
            t += rng.randint(15_000, 6 * 60_000)
        return t

    def _get_started(self, c: Contact, t: int, referral: dict | None) -> tuple[int, str | None]:
        """Get Started tap: `postback`, with `postback.referral` when opened from a link or ad."""
        mid = self.ids.mid() if day_of(t) >= cat.POSTBACK_MID_SINCE else None
        self._user(c, t, postback=p.postback("GET_STARTED", mid, referral))
        t, welcome = self._reply(c, t, cat.WELCOME)
        return t + self.rng.randint(5_000, 90_000), welcome

    def _top_referral(self, c: Contact, t: int, referral: dict, seconds: bool | None = None) -> int:
        """`messaging_referrals`: Meta sometimes stamps these in seconds."""
        if seconds is None:
            seconds = self.rng.random() < SECONDS_P
        self._user(c, t, ts=t // 1000 if seconds else t, referral=referral)
        return t + self.rng.randint(2_000, 60_000)

    def _control(self, c: Contact, t: int, kind: str, previous: int, new: int) -> int:
        t += self.rng.randint(10 * 60_000, DAY_MS)
        meta = "agent_takeover" if kind == "take_thread_control" else "resolved"
        event: dict[str, Any] = {kind: p.thread_control(previous, new, meta)}  # not key or ts
        self._user(c, t, **event)
        return t

    def _turns(self) -> int:
        return self.rng.choices((1, 2, 3, 4, 5), (30, 30, 20, 12, 8))[0]

    def _handover(self, c: Contact, t: int) -> int:
        """The person asks for a human: Page Inbox takes the thread; `standby` until it is back."""
        human = cat.QUICK_REPLIES["TALK_TO_HUMAN"]
        msg = p.text_message(self.ids.mid(), human, quick_reply={"payload": "TALK_TO_HUMAN"})
        self._user(c, t, message=msg)
        t, _ = self._reply(c, t, cat.HANDOFF)
        t += self.rng.randint(30_000, 15 * 60_000)
        self._user(
            c, t, take_thread_control=p.thread_control(cat.APP_ID, cat.PAGE_INBOX_APP_ID, "")
        )
        t = self._chat(c, t + self.rng.randint(5_000, 60_000), self._turns(), key="standby")
        return self._control(c, t, "pass_thread_control", cat.PAGE_INBOX_APP_ID, cat.APP_ID)

    def _notif(self, c: Contact, t: int, stop: bool) -> int:
        """Marketing-messages opt-in (`notification_messages`), sometimes stopped later."""
        t, _ = self._reply(c, t, "Want a heads-up when the seasonal menu drops?")
        t += self.rng.randint(10_000, 10 * 60_000)
        token, expiry = self.ids.token(), t + 180 * DAY_MS
        self._user(c, t, optin=p.notification_optin(token, expiry, day_of(t), stop=False))
        if stop or self.rng.random() < 0.2:
            later = t + self.rng.randint(1, 40) * DAY_MS
            self._user(
                c, later, optin=p.notification_optin(token, expiry, day_of(later), stop=True)
            )
        return t

    # -- the feed

    def _comment(self, page: str, t: int, verb: str = "add", target: tuple | None = None) -> str:
        """Emit one feed comment change and return its id: a new comment on a post (no target),
        a reply to `target` (parent_id = that comment), or an edit/removal of `target`."""
        rng = self.rng
        if verb in ("add", "reply"):
            post_id = target[0] if target else self._post(page, t)
            cid = f"{post_id.split('_')[1]}_{self.ids.obj()}"
            who = {"id": self.ids.fb_user(), "name": rng.choice(cat.NAMES)}
            if verb == "reply" and rng.random() < 0.4:  # the page answers in public
                who = {"id": page, "name": PAGES[PAGE_IDS.index(page)][2]}
            parent_id = target[1] if target else post_id
            if target is None:
                self.comments[page].append((post_id, cid, who, t))
        else:
            post_id, cid, who, _ = target or ()
            parent_id = post_id
        text = None if verb == "remove" else rng.choice(cat.COMMENTS)
        verb = "add" if verb == "reply" else verb
        value = p.comment_value(who, post_id, cid, parent_id, verb, text, t // 1000)
        self._emit(t, page, "changes", p.feed_change(value))
        return cid

    def _post(self, page: str, t: int) -> str:
        posts = self.posts[page]
        if not posts or self.rng.random() < 0.08:
            post_id = f"{page}_{self.ids.obj()}"
            at = t - self.rng.randint(HOUR_MS, 2 * DAY_MS)
            page_row = PAGES[PAGE_IDS.index(page)]
            value = p.post_value(page_row, post_id, self.rng.choice(cat.PAGE_POSTS), at // 1000)
            self._emit(at, page, "changes", p.feed_change(value))
            posts.append(post_id)
        return self.rng.choice(posts[-4:])

    def feed_noise(self, page: str, t: int, verb: str | None = None) -> None:
        """Comments without a private reply: new ones, replies to comments, edits, removals."""
        rng, old = self.rng, self.comments[page]
        verb = verb or rng.choices(("add", "reply", "edited", "remove"), (45, 25, 15, 15))[0]
        if verb == "add" or not old:
            self._comment(page, t)
            if verb == "add":
                return
            t += rng.randint(60_000, HOUR_MS)
        target = rng.choice(old[-30:])
        self._comment(page, max(t, target[3] + rng.randint(60_000, HOUR_MS)), verb, target)
