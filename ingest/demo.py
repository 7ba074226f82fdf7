"""Seeded demo Messenger webhook logs for refscope: a pure generator (no network).

No network and no clock except for the default `end` (yesterday, UTC); the same
(days, end, seed, scale) gives byte-identical files. In the output folder it owns only:

- ``webhooks-YYYY-MM.ndjson``: one webhook POST body per line, exactly as Meta sends it
  (``.ndjson.gz`` for months more than 12 months before `end`);
- ``receiver-YYYY-MM-DD.ndjson`` for the last 3 days: ``{"received_at": <ms>, "body": <body>}``
  envelopes, as our own receiver writes them (always written, possibly empty);
- ``sendlog-YYYY-MM.ndjson``: our Send API log of private replies to comments.

It simulates contacts arriving through every entry point (m.me links, QR codes, Click-to-Messenger
ads, the dead chat plugin, private replies to comments, optins, organic), their conversations and
returns, then packs the events into POSTs the way Meta delivers them: batched, retried, sometimes
re-delivered, with a few malformed and blank lines. Payload shapes and the catalogue (PAGES,
QR_REFS, ADS, ...) live in `demo_payloads`; https://developers.facebook.com/docs/messenger-platform/webhook
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
import math
import random
import re
from bisect import bisect_left
from collections.abc import Callable
from dataclasses import dataclass
from itertools import accumulate
from pathlib import Path
from typing import NamedTuple

from . import demo_payloads as p
from .demo_payloads import ADS, LINK_REFS, PAGES, QR_REFS

__all__ = ["ADS", "LINK_REFS", "PAGES", "QR_REFS", "DemoSummary", "write_demo"]

DAY_MS = 86_400_000
HOUR_MS = 3_600_000
EPOCH = dt.date(1970, 1, 1)
RECEIVER_DAYS = 3
PAGE_IDS = [page for page, _, _ in PAGES]
PAGE_SHARE = {p.ACME: 0.6, p.NORTHWIND: 0.4}
BASE_CONTACTS = 7.0  # new contacts per day for both pages at scale 1, before growth and rhythm
FEED_NOISE = 1.2  # other comment activity per day at scale 1
WEEKDAY = (1.1, 1.15, 1.1, 1.05, 1.0, 0.85, 0.7)
# Traffic by UTC hour for pages around UTC+1: quiet nights, lunch and evening peaks.
HOUR_CUM = list(
    accumulate(
        (1, 0.6, 0.3, 0.2, 0.2, 0.4, 1.2, 2.5, 3.5, 4.2, 5, 5.5, 5, 4.5, 4.5, 5, 5.5, 6.5, 7, 6.5)
        + (5.5, 4, 2.5, 1.5)
    )
)
CHANNELS = {"organic": 28, "mme": 14, "qr": 12, "comment": 13, "optin": 4, "other": 1.2}
PLUGIN_WEIGHT = 10
AD_WEIGHT = 8  # per active evergreen ad; a campaign counts 3x
BATCH_P = 0.19  # try to pack the next events into the same POST
RETRY_P = 0.01  # a POST line repeated verbatim
REDELIVER_P = 0.003  # a message re-sent in a different POST
SECONDS_P = 0.02  # top-level referral timestamp in seconds
OLD_ECHO_P = 0.1  # echo with sender = PSID (older docs)
PLUGIN_TAGS = [{"source": "customer_chat_plugin"}]
MALFORMED_EVERY = 5000
MALFORMED_KINDS = ("truncated", "array", "no_entry", "not_utf8")
OWN_FILE = re.compile(
    r"webhooks-\d{4}-\d{2}\.ndjson(\.gz)?|receiver-\d{4}-\d{2}-\d{2}\.ndjson|sendlog-\d{4}-\d{2}\.ndjson"
)


@dataclass(frozen=True)
class DemoSummary:
    """What `write_demo` wrote. `lines` counts every non-blank line of every file."""

    files: list[Path]
    lines: int
    malformed_lines: int  # not JSON, not UTF-8, or not a delivery object
    duplicate_lines: int  # verbatim retries of an earlier POST body (in any file)
    pages: dict[str, str]  # page_id -> username
    start: dt.date
    end: dt.date


def write_demo(
    out: Path,
    days: int = 730,
    end: dt.date | None = None,
    seed: int = 7,
    scale: float = 1.0,
) -> DemoSummary:
    """Write `days` days of demo logs ending on `end` (default: yesterday, UTC) into `out`."""
    if days < 1 or scale <= 0:
        raise ValueError("days must be >= 1 and scale > 0")
    if isinstance(end, dt.datetime):
        end = end.date()
    end = end or dt.datetime.now(dt.UTC).date() - dt.timedelta(days=1)
    start = end - dt.timedelta(days=days - 1)
    rng = random.Random(seed)
    sim = _Sim(rng, start, end, scale)
    sim.run()
    posts = _with_retries(_assemble(sim.events, rng), rng, _boundaries(start, end))
    posts += _malformed(rng, sim, len(posts)) + _blanks(rng, start, end, len(posts))
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    for old in sorted(out.iterdir()):
        if old.is_file() and OWN_FILE.fullmatch(old.name):
            old.unlink()
    files, counts = _write(out, posts, sim.sends, start, end, rng)
    return DemoSummary(
        files=files,
        lines=counts["lines"],
        malformed_lines=counts["bad"],
        duplicate_lines=counts["dup"],
        pages={page: username for page, username, _ in PAGES},
        start=start,
        end=end,
    )


# --- simulation ---------------------------------------------------------------------------------


class _Ev(NamedTuple):
    at: int  # when the event happens (ms); orders the log
    seq: int
    page: str
    key: str  # messaging | standby | changes
    item: dict


@dataclass
class _Contact:
    page: str
    psid: str | None = None
    user_ref: str | None = None
    until: int | None = None  # nothing from this contact at or after (chat plugin shutdown)

    @property
    def who(self) -> dict:
        return {"id": self.psid} if self.psid else {"user_ref": self.user_ref}


def _ms(day: dt.date) -> int:
    return (day - EPOCH).days * DAY_MS


def _day(ms: int) -> dt.date:
    return EPOCH + dt.timedelta(days=ms // DAY_MS)


def _newsletter_ref(day: dt.date) -> str:
    """Ref of the newsletter sent on the latest Tuesday up to `day`."""
    tuesday = day - dt.timedelta(days=(day.weekday() - 1) % 7)
    year, week, _ = tuesday.isocalendar()
    return p.NEWSLETTER_REF.format(year=year, week=week)


def _poisson(rng: random.Random, lam: float) -> int:
    if lam > 30:
        return max(0, round(rng.gauss(lam, math.sqrt(lam))))
    k, prod, limit = 0, rng.random(), math.exp(-lam)
    while prod > limit:
        k += 1
        prod *= rng.random()
    return k


class _Sim:
    """Walks the days, creating contacts and their events in `events` and `sends`."""

    def __init__(self, rng: random.Random, start: dt.date, end: dt.date, scale: float) -> None:
        self.rng, self.ids = rng, p.Ids(rng)
        self.start, self.end, self.scale = start, end, scale
        self.start_ms, self.end_ms = _ms(start), _ms(end) + DAY_MS
        self.events: list[_Ev] = []
        self.sends: list[tuple[int, int, dict]] = []
        self.contacts: dict[str, list[_Contact]] = {page: [] for page in PAGE_IDS}
        self.posts: dict[str, list[str]] = {page: [] for page in PAGE_IDS}
        self.comments: dict[str, list[tuple[str, str, dict, int]]] = {pg: [] for pg in PAGE_IDS}
        self.flows: dict[str, Callable[[str, int], None]] = {
            "organic": self.new_organic,
            "mme": self.new_mme,
            "qr": self.new_qr,
            "ads": self.new_ads,
            "plugin": self.new_plugin,
            "comment": self.new_comment,
            "optin": self.new_optin,
            "other": self.new_other,
        }
        self._seq = 0

    def run(self) -> None:
        n = (self.end - self.start).days + 1
        plan = self._showcase(n)
        for i in range(n):
            day = self.start + dt.timedelta(days=i)
            for page in PAGE_IDS:
                self._page_day(page, day, i / n)
            for flow in plan.get(i, []):
                flow(self._time_on(day))

    # -- rhythm

    def _page_day(self, page: str, day: dt.date, progress: float) -> None:
        rng = self.rng
        lam = BASE_CONTACTS * self.scale * PAGE_SHARE[page] * (0.7 + 0.6 * progress)
        lam *= WEEKDAY[day.weekday()] * self._burst(page, day)
        names, weights = self._channels(page, day)
        for _ in range(_poisson(rng, lam)):
            self.flows[rng.choices(names, weights)[0]](page, self._time_on(day))
        for _ in range(_poisson(rng, FEED_NOISE * self.scale * PAGE_SHARE[page])):
            self.feed_noise(page, self._time_on(day))

    def _burst(self, page: str, day: dt.date) -> float:
        launch = any(a[1] == page and a[4] and 0 <= (day - a[3]).days < 7 for a in ADS)
        newsletter = page == p.ACME and day.weekday() in (1, 2)
        return (1.6 if launch else 1.0) * (1.2 if newsletter else 1.0)

    def _channels(self, page: str, day: dt.date) -> tuple[list[str], list[float]]:
        weights = dict(CHANNELS)
        ads = sum(1 if a[4] is None else 3 for a in self._active_ads(page, day))
        if ads:
            weights["ads"] = AD_WEIGHT * ads
        if day < p.PLUGIN_SHUTDOWN:
            weights["plugin"] = PLUGIN_WEIGHT
        return list(weights), list(weights.values())

    def _time_on(self, day: dt.date) -> int:
        hour = self.rng.choices(range(24), cum_weights=HOUR_CUM)[0]
        return _ms(day) + hour * HOUR_MS + self.rng.randrange(HOUR_MS)

    def _active_ads(self, page: str, day: dt.date) -> list[tuple]:
        return [a for a in ADS if a[1] == page and a[3] <= day and (a[4] is None or day <= a[4])]

    def _pick_ad(self, page: str, day: dt.date) -> tuple | None:
        ads = self._active_ads(page, day)
        if not ads:
            return None
        return self.rng.choices(ads, [1 if a[4] is None else 3 for a in ads])[0]

    def _link_ref(self, page: str, t: int) -> str:
        day = _day(t)
        if page == p.ACME and day.weekday() in (1, 2) and self.rng.random() < 0.6:
            return _newsletter_ref(day)
        return self.rng.choice(LINK_REFS[page])

    def _turns(self) -> int:
        return self.rng.choices((1, 2, 3, 4, 5), (30, 30, 20, 12, 8))[0]

    # -- emitting

    def _emit(self, at: int, page: str, key: str, item: dict) -> None:
        if self.start_ms <= at < self.end_ms:
            self._seq += 1
            self.events.append(_Ev(at, self._seq, page, key, item))

    def _user(
        self, c: _Contact, t: int, key: str = "messaging", ts: int | None = None, **event: object
    ) -> None:
        """An event the person causes: sender = PSID or user_ref, recipient = page."""
        if c.until is not None and t >= c.until:
            return
        item = p.item(c.who, {"id": c.page}, t if ts is None else ts, **event)
        self._emit(t, c.page, key, item)
        if "message" in event and self.rng.random() < REDELIVER_P:
            self._redeliver(c, t, key, item)

    def _redeliver(self, c: _Contact, t: int, key: str, item: dict) -> None:
        """Meta sends the same message (same mid) again, in a new POST."""
        t += self.rng.randint(30_000, 20 * 60_000)
        if c.until is None or t < c.until:
            self._emit(t, c.page, key, item)

    def _echo(self, c: _Contact, t: int, message: dict, key: str = "messaging") -> None:
        if c.psid is None:  # no echoes for sends to a user_ref (since 2018-02-19)
            return
        sender, recipient = {"id": c.page}, {"id": c.psid}
        if self.rng.random() < OLD_ECHO_P:
            sender, recipient = recipient, sender
        self._emit(t, c.page, key, p.item(sender, recipient, t, message=message))

    def _contact(self, page: str, user_ref: bool = False) -> _Contact:
        psid, ref = (None, self.ids.token()) if user_ref else (self.ids.psid(), None)
        c = _Contact(page, psid, ref)
        self.contacts[page].append(c)
        return c

    # -- conversation pieces

    def _reply(
        self, c: _Contact, t: int, text: str | None = None, key: str = "messaging", **kw: bool
    ) -> tuple[int, str | None]:
        """The page answers (bot, or a human through the Page Inbox); receipts follow."""
        rng, human = self.rng, kw.get("human", False)
        if c.psid is None:
            return t + rng.randint(5_000, 60_000), None
        t += rng.randint(60_000, 3 * HOUR_MS) if human else rng.randint(1_200, 9_000)
        mid = self.ids.mid()
        app = p.PAGE_INBOX_APP_ID if human else p.APP_ID
        self._echo(c, t, p.echo_message(mid, text or rng.choice(p.PAGE_TEXTS), app), key)
        self._receipts(c, t, mid, key, kw.get("react", False))
        return t, mid

    def _receipts(self, c: _Contact, t: int, mid: str, key: str, react: bool = False) -> None:
        rng = self.rng
        if rng.random() < 0.8:
            mids = [mid] if rng.random() < 0.9 else None  # older clients send no mids
            self._user(c, t + rng.randint(300, 20_000), key, delivery=p.delivery(mids, t))
        if react or rng.random() < 0.65:
            seen = t + rng.randint(2_000, 40 * 60_000)
            self._user(c, seen, key, read={"watermark": t})
            if react or rng.random() < 0.06:
                self._react(c, seen + rng.randint(1_000, 60_000), mid, key)

    def _react(self, c: _Contact, t: int, mid: str, key: str) -> None:
        name, emoji = self.rng.choice(p.REACTIONS)
        self._user(c, t, key, reaction=p.reaction(mid, "react", name, emoji))
        if self.rng.random() < 0.2:
            undo = p.reaction(mid, "unreact", name, emoji)
            self._user(c, t + self.rng.randint(5_000, HOUR_MS), key, reaction=undo)

    def _user_message(self, c: _Contact, t: int, last: str | None, tags: list | None) -> dict:
        rng, mid, r = self.rng, self.ids.mid(), self.rng.random()
        if r < 0.1 and last:
            payload = rng.choice(list(p.QUICK_REPLIES))
            return p.text_message(mid, p.QUICK_REPLIES[payload], quick_reply={"payload": payload})
        if r < 0.2:
            kind = rng.choices(("image", "sticker", "audio", "video", "file"), (50, 25, 10, 8, 7))
            return p.attachment_message(mid, kind[0], rng.randrange(10**14, 10**15), _day(t))
        text = rng.choice(p.USER_TEXTS[c.page] if r < 0.6 else p.SMALL_TALK)
        reply_to = {"mid": last, "is_self_reply": False} if last and rng.random() < 0.05 else None
        return p.text_message(mid, text, reply_to=reply_to, tags=tags)

    def _chat(self, c: _Contact, t: int, turns: int, **kw) -> int:
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

    def _get_started(self, c: _Contact, t: int, referral: dict | None) -> tuple[int, str | None]:
        """Get Started tap: `postback`, with `postback.referral` when opened from a link or ad."""
        mid = self.ids.mid() if _day(t) >= p.POSTBACK_MID_SINCE else None
        self._user(c, t, postback=p.postback("GET_STARTED", mid, referral))
        t, welcome = self._reply(c, t, p.WELCOME)
        return t + self.rng.randint(5_000, 90_000), welcome

    def _top_referral(
        self, c: _Contact, t: int, referral: dict, seconds: bool | None = None
    ) -> int:
        """`messaging_referrals`: Meta sometimes stamps these in seconds."""
        if seconds is None:
            seconds = self.rng.random() < SECONDS_P
        self._user(c, t, ts=t // 1000 if seconds else t, referral=referral)
        return t + self.rng.randint(2_000, 60_000)

    def _control(self, c: _Contact, t: int, kind: str, previous: int, new: int) -> int:
        t += self.rng.randint(10 * 60_000, DAY_MS)
        meta = "agent_takeover" if kind == "take_thread_control" else "resolved"
        self._user(c, t, **{kind: p.thread_control(previous, new, meta)})
        return t

    # -- entry points (new contacts)

    def new_mme(self, page: str, t: int, ref: str | None = None) -> None:
        c = self._contact(page)
        t, last = self._get_started(c, t, p.shortlink(ref or self._link_ref(page, t)))
        self._follow(c, self._chat(c, t, self._turns(), last=last))

    def new_qr(self, page: str, t: int) -> None:
        self.new_mme(page, t, self.rng.choice(QR_REFS[page]))

    def new_ads(self, page: str, t: int, via_postback: bool | None = None) -> None:
        ad = self._pick_ad(page, _day(t))
        if ad is None:
            return
        c, rng = self._contact(page), self.rng
        if via_postback or (via_postback is None and rng.random() < 0.3):
            ref = p.ads_referral(ad[0], page, ad[2], with_context=False)
            t, last = self._get_started(c, t, ref)
            t = self._chat(c, t, self._turns(), last=last)
        else:
            ref = p.ads_referral(ad[0], page, ad[2])
            first = p.text_message(self.ids.mid(), rng.choice(p.AD_OPENERS), referral=ref)
            t = self._chat(c, t, self._turns(), first=first)
        self._follow(c, t)

    def new_plugin(self, page: str, t: int, via_postback: bool | None = None) -> None:
        day, rng = _day(t), self.rng
        if day >= p.PLUGIN_SHUTDOWN:
            return
        c = self._contact(page, user_ref=day >= p.PLUGIN_USER_REF_SINCE or rng.random() < 0.2)
        if c.psid is None:
            c.until = _ms(p.PLUGIN_SHUTDOWN)
        if via_postback or (
            via_postback is None and rng.random() < (0.6 if day.year < 2021 else 0.25)
        ):
            t, last = self._get_started(c, t, self._plugin_referral(page, day))
        else:
            t, last = self._top_referral(c, t, self._plugin_referral(page, day)), None
        self._follow(c, self._chat(c, t, self._turns(), last=last, tags=PLUGIN_TAGS))

    def _plugin_referral(self, page: str, day: dt.date) -> dict:
        rng = self.rng
        ref = rng.choice(p.PLUGIN_REFS) if rng.random() < 0.5 else None
        guest = day < p.GUEST_MODE_UNTIL and rng.random() < 0.35
        return p.plugin_referral(ref, p.SITES[page] + rng.choice(p.SITE_PATHS), guest)

    def new_comment(self, page: str, t: int, metadata: bool | None = None, **kw: bool) -> None:
        """A comment, our private reply (send log + echo), then maybe the person's first message."""
        rng = self.rng
        known = [c for c in self.contacts[page][-200:] if c.psid]
        c = rng.choice(known) if known and rng.random() < 0.15 else self._contact(page)
        comment_id = self._comment(page, t, "add")
        sent = t + rng.randint(40_000, 12 * 60_000)
        with_meta = rng.random() < 0.5 if metadata is None else metadata
        meta = p.comment_metadata(comment_id) if with_meta else None
        text, mid = rng.choice(p.PRIVATE_REPLIES), self.ids.mid()
        message = {"text": text, **({"metadata": meta} if meta else {})}
        if self.start_ms <= sent < self.end_ms:
            line = p.send_log(page, sent, comment_id, message, c.psid, mid)
            self.sends.append((sent, len(self.sends), line))
        echo_t = sent + rng.randint(300, 2_500)
        self._echo(c, echo_t, p.echo_message(mid, text, p.APP_ID, meta))
        self._receipts(c, echo_t, mid, "messaging")
        if kw.get("answer") or rng.random() < 0.4:
            t = echo_t + rng.randint(2 * 60_000, 6 * HOUR_MS)
            self._follow(c, self._chat(c, t, self._turns(), last=mid))

    def new_organic(self, page: str, t: int, **kw: bool) -> None:
        """No referral at all; kw: standby (first seen in `standby[]`), postback, redeliver."""
        c, rng, last = self._contact(page), self.rng, None
        if kw.get("standby") or rng.random() < 0.03:
            t = self._chat(c, t, self._turns(), key="standby", redeliver=kw.get("redeliver"))
            t = self._control(c, t, "pass_thread_control", p.PAGE_INBOX_APP_ID, p.APP_ID)
            return self._follow(c, t)
        if kw.get("postback") or rng.random() < 0.25:
            t, last = self._get_started(c, t, None)
        t = self._chat(c, t, self._turns(), last=last, redeliver=kw.get("redeliver"))
        self._follow(c, t)

    def new_optin(self, page: str, t: int, kind: str | None = None) -> None:
        """Send to Messenger (PSID + optin.ref) or checkbox plugin (user_ref only)."""
        rng = self.rng
        kind = kind or ("send_to_messenger" if rng.random() < 0.55 else "checkbox")
        if kind == "checkbox":
            c = self._contact(page, user_ref=True)
            self._user(c, t, optin={"ref": "checkout_checkbox", "user_ref": c.user_ref})
            return
        c = self._contact(page)
        self._user(c, t, optin={"ref": rng.choice(("stm_order_confirmation", "stm_receipt"))})
        t, _ = self._reply(c, t, "Thanks! Your order updates will arrive here.")
        self._follow(c, t)

    def new_other(self, page: str, t: int, source: str | None = None) -> None:
        """Dead (DISCOVER_TAB, MESSENGER_CODE) or unknown sources, kept raw by refscope."""
        day, rng = _day(t), self.rng
        if source is None:
            choices = list(p.UNKNOWN_SOURCES)
            choices += ["DISCOVER_TAB"] * 3 if day < p.DISCOVER_TAB_UNTIL else []
            choices += ["MESSENGER_CODE"] * 2 if day < p.MESSENGER_CODE_UNTIL else []
            source = rng.choice(choices)
        refs = {"MESSENGER_CODE": "code_counter", "IGME-SOURCE-LINK": "ig_profile"}
        ref = rng.choice(LINK_REFS[page]) if source == "SHORTLINKS" else refs.get(source)
        c = self._contact(page)
        t = self._top_referral(c, t, p.plain_referral(source, ref))
        self._follow(c, self._chat(c, t, self._turns()))

    # -- returning contacts

    def _follow(self, c: _Contact, t: int) -> None:
        """Some people come back days or weeks later; each return is less likely."""
        chance, gap = 0.42, 4.0
        while self.rng.random() < chance:
            nxt = t + int(DAY_MS * (0.5 + self.rng.expovariate(1 / gap)))
            if nxt >= self.end_ms:
                return
            t = self.session(c, max(self._time_on(_day(nxt)), t + HOUR_MS))
            chance, gap = chance * 0.55, gap * 1.8

    def session(self, c: _Contact, t: int, **kw: bool) -> int:
        """A later visit. kw forces: reentry, seconds, ads, handover, notif, otn, react."""
        rng = self.rng
        if c.psid is None:  # a website visitor can only come back through the widget
            if c.until is None or t >= c.until:
                return t
            t = self._top_referral(c, t, self._plugin_referral(c.page, _day(t)))
            return self._chat(c, t, self._turns(), tags=PLUGIN_TAGS)
        if kw.get("reentry") or rng.random() < 0.2:
            t = self._reentry(c, t, kw.get("seconds"), kw.get("ads"))
        if kw.get("handover") or rng.random() < 0.04:
            t = self._handover(c, t)
        else:
            t = self._chat(c, t, rng.choice((1, 1, 2, 3)))
        if kw.get("react"):
            t, _ = self._reply(c, t, react=True)
        if kw.get("notif") or rng.random() < 0.03:
            t = self._notif(c, t, stop=bool(kw.get("notif")))
        if kw.get("otn") or rng.random() < 0.01:
            t, _ = self._reply(c, t, "Sold out today \u2013 want a message when it's back?")
            t += rng.randint(10_000, 5 * 60_000)
            self._user(c, t, optin=p.otn_optin(self.ids.token(24)))
        return t

    def _reentry(self, c: _Contact, t: int, seconds: bool | None, ads: bool | None) -> int:
        """Top-level `referral`: an existing thread re-opened from a link, QR code or ad."""
        rng, ad = self.rng, self._pick_ad(c.page, _day(t))
        if ad and (ads or (ads is None and rng.random() < 0.35)):
            ref = p.ads_referral(ad[0], c.page, ad[2])
        elif rng.random() < 0.6:
            ref = p.shortlink(self._link_ref(c.page, t))
        else:
            ref = p.shortlink(rng.choice(QR_REFS[c.page]))
        return self._top_referral(c, t, ref, seconds)

    def _handover(self, c: _Contact, t: int) -> int:
        """The person asks for a human: Page Inbox takes the thread; `standby` until it is back."""
        human = p.QUICK_REPLIES["TALK_TO_HUMAN"]
        msg = p.text_message(self.ids.mid(), human, quick_reply={"payload": "TALK_TO_HUMAN"})
        self._user(c, t, message=msg)
        t, _ = self._reply(c, t, p.HANDOFF)
        t += self.rng.randint(30_000, 15 * 60_000)
        self._user(c, t, take_thread_control=p.thread_control(p.APP_ID, p.PAGE_INBOX_APP_ID, ""))
        t = self._chat(c, t + self.rng.randint(5_000, 60_000), self._turns(), key="standby")
        return self._control(c, t, "pass_thread_control", p.PAGE_INBOX_APP_ID, p.APP_ID)

    def _notif(self, c: _Contact, t: int, stop: bool) -> int:
        """Marketing-messages opt-in (`notification_messages`), sometimes stopped later."""
        t, _ = self._reply(c, t, "Want a heads-up when the seasonal menu drops?")
        t += self.rng.randint(10_000, 10 * 60_000)
        token, expiry = self.ids.token(), t + 180 * DAY_MS
        self._user(c, t, optin=p.notification_optin(token, expiry, _day(t), stop=False))
        if stop or self.rng.random() < 0.2:
            later = t + self.rng.randint(1, 40) * DAY_MS
            self._user(c, later, optin=p.notification_optin(token, expiry, _day(later), stop=True))
        return t

    # -- the feed

    def _comment(self, page: str, t: int, verb: str = "add", target: tuple | None = None) -> str:
        """Emit one feed comment change and return its id: a new comment on a post (no target),
        a reply to `target` (parent_id = that comment), or an edit/removal of `target`."""
        rng = self.rng
        if verb in ("add", "reply"):
            post_id = target[0] if target else self._post(page, t)
            cid = f"{post_id.split('_')[1]}_{self.ids.obj()}"
            who = {"id": self.ids.fb_user(), "name": rng.choice(p.NAMES)}
            if verb == "reply" and rng.random() < 0.4:  # the page answers in public
                who = {"id": page, "name": PAGES[PAGE_IDS.index(page)][2]}
            parent_id = target[1] if target else post_id
            if target is None:
                self.comments[page].append((post_id, cid, who, t))
        else:
            post_id, cid, who, _ = target or ()
            parent_id = post_id
        text = None if verb == "remove" else rng.choice(p.COMMENTS)
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
            value = p.post_value(page_row, post_id, self.rng.choice(p.PAGE_POSTS), at // 1000)
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

    # -- guaranteed variants

    def _showcase(self, n: int) -> dict[int, list[Callable[[int], None]]]:
        """At least one of each variant, spread over the range (within its valid dates)."""
        a, b = PAGE_IDS
        plugin_end = (p.PLUGIN_SHUTDOWN - self.start).days
        discover_end = (p.DISCOVER_TAB_UNTIL - self.start).days
        items: list[tuple[int | None, Callable[[int], None]]] = [
            (None, lambda t: self._returning(a, t, ads=False)),
            (None, lambda t: self._returning(b, t, ads=True)),
            (None, lambda t: self.new_mme(a, t, _newsletter_ref(_day(t)))),
            (None, lambda t: self.new_qr(b, t)),
            (None, lambda t: self.new_ads(a, t, via_postback=False)),
            (None, lambda t: self.new_ads(b, t, via_postback=True)),
            (plugin_end, lambda t: self.new_plugin(a, t, via_postback=False)),
            (plugin_end, lambda t: self.new_plugin(b, t, via_postback=True)),
            (None, lambda t: self.new_comment(a, t, metadata=True, answer=True)),
            (None, lambda t: self.new_comment(b, t, metadata=False, answer=True)),
            (None, lambda t: self.feed_noise(a, t, "reply")),
            (None, lambda t: self.feed_noise(b, t, "edited")),
            (None, lambda t: self.feed_noise(a, t, "remove")),
            (None, lambda t: self.new_organic(b, t, standby=True, redeliver=True)),
            (None, lambda t: self.new_organic(a, t, postback=True)),
            (None, lambda t: self.new_other(a, t, "IGME-SOURCE-LINK")),
            (None, lambda t: self.new_other(b, t, "SHORTLINKS")),
            (discover_end, lambda t: self.new_other(a, t, "DISCOVER_TAB")),
            (None, lambda t: self.new_optin(a, t, "send_to_messenger")),
            (None, lambda t: self.new_optin(b, t, "checkbox")),
        ]
        plan: dict[int, list[Callable[[int], None]]] = {}
        for j, (hi, flow) in enumerate(items):
            hi = n if hi is None else min(hi, n)
            if hi > 0:
                plan.setdefault(int((j + 0.5) / len(items) * hi), []).append(flow)
        return plan

    def _returning(self, page: str, t: int, ads: bool) -> None:
        c = self._contact(page)
        self._chat(c, t, 1)
        kw = {"reentry": True, "seconds": True, "ads": ads, "react": True}
        self.session(c, t + 6 * HOUR_MS, handover=True, notif=True, otn=True, **kw)


# --- POSTs: batching, retries, broken lines -----------------------------------------------------


class _Post(NamedTuple):
    at: int  # when Meta (or the broken client) delivered it, ms
    seq: int
    raw: bytes
    kind: str = "ok"  # ok | dup | bad | blank
    cut: float = 0.0  # truncate the written line to this fraction


def _meta_json(obj: object) -> bytes:
    """Meta's serialisation: compact, \\uXXXX for non-ASCII, and `/` escaped as `\\/`."""
    text = json.dumps(obj, separators=(",", ":"), ensure_ascii=True)
    return text.replace("/", "\\/").encode("ascii")


def _assemble(events: list[_Ev], rng: random.Random) -> list[_Post]:
    posts: list[_Post] = []
    for page in PAGE_IDS:
        evs = sorted((e for e in events if e.page == page), key=lambda e: (e.at, e.seq))
        i = 0
        while i < len(evs):
            group = _batch(evs, i, rng)
            posts.append(_post(page, group, rng))
            i += len(group)
    return posts


def _batch(evs: list[_Ev], i: int, rng: random.Random) -> list[_Ev]:
    """~10% of POSTs carry 2-3 close events of the same page."""
    group = [evs[i]]
    if evs[i].key == "changes" or rng.random() >= BATCH_P:
        return group
    for e in evs[i + 1 : i + rng.choice((2, 2, 3))]:
        if e.key == "changes" or e.at - group[0].at > 60_000:
            break
        group.append(e)
    return group


def _post(page: str, group: list[_Ev], rng: random.Random) -> _Post:
    if group[0].key == "changes":  # Graph changes: entry.time in seconds
        at = group[0].at + rng.randint(500, 4_000)
        entries = [p.entry(page, at // 1000, "changes", [group[0].item])]
    else:
        times = [e.at + rng.randint(150, 1_500) for e in group]
        at = max(times)
        same_key = all(e.key == group[0].key for e in group)
        if len(group) > 1 and same_key and rng.random() < 0.35:
            entries = [p.entry(page, at, group[0].key, [e.item for e in group])]
        else:
            entries = [p.entry(page, t, e.key, [e.item]) for e, t in zip(group, times, strict=True)]
    return _Post(at, group[0].seq, _meta_json(p.delivery_body(entries)))


def _boundaries(start: dt.date, end: dt.date) -> list[int]:
    """Where one file ends and the next begins (months, then each receiver day)."""
    receiver = max(start, end - dt.timedelta(days=RECEIVER_DAYS - 1))
    out, day = [], start
    while day < receiver:
        day = (day.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
        out.append(_ms(min(day, receiver)))
    out += [_ms(receiver) + k * DAY_MS for k in range(1, (end - receiver).days + 1)]
    return sorted(set(out))


def _with_retries(posts: list[_Post], rng: random.Random, boundaries: list[int]) -> list[_Post]:
    """~1% of POSTs repeated verbatim later, plus one across each file boundary."""
    out = list(posts)
    for post in posts:
        if rng.random() < RETRY_P:
            out.append(post._replace(at=post.at + _retry_delay(rng), kind="dup"))
    ordered = sorted(posts, key=lambda q: (q.at, q.seq))
    ats = [q.at for q in ordered]
    for edge in boundaries:
        k = bisect_left(ats, edge) - 1
        if k >= 0 and edge - ats[k] < 30 * HOUR_MS:
            out.append(ordered[k]._replace(at=edge + rng.randint(5_000, 600_000), kind="dup"))
    return out


def _retry_delay(rng: random.Random) -> int:
    r = rng.random()
    if r < 0.55:
        return 20_000 + rng.randint(0, 2_000)  # "every 20 seconds until a 200 OK"
    if r < 0.9:
        return rng.randint(60_000, 15 * 60_000)
    return rng.randint(HOUR_MS, 30 * HOUR_MS)


def _malformed(rng: random.Random, sim: _Sim, n_posts: int) -> list[_Post]:
    """About one line in 5,000 (at least 4): truncated, array, no `entry`, not UTF-8."""
    n = max(len(MALFORMED_KINDS), round(n_posts / MALFORMED_EVERY))
    out = []
    for j in range(n):
        at = rng.randrange(sim.start_ms, sim.end_ms)
        page, psid = rng.choice(PAGE_IDS), sim.ids.psid()
        body = p.sample_delivery(page, psid, sim.ids.mid(), at)
        kind = MALFORMED_KINDS[j % len(MALFORMED_KINDS)]
        if kind == "not_utf8":  # a proxy re-encoded the body as Latin-1
            raw = json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode("latin-1")
        elif kind == "array":
            raw = _meta_json([body])
        elif kind == "no_entry":  # a body that lost its entries on the way
            raw = _meta_json({"object": "page"})
        else:
            raw = _meta_json(body)
        cut = rng.uniform(0.3, 0.9) if kind == "truncated" else 0.0  # the writer died mid-line
        out.append(_Post(at, -1 - j, raw, "bad", cut))
    return out


def _blanks(rng: random.Random, start: dt.date, end: dt.date, n_posts: int) -> list[_Post]:
    lo, hi = _ms(start), _ms(end) + DAY_MS
    n = 1 + n_posts // 3000
    return [_Post(rng.randrange(lo, hi), -10_000 - j, b"", "blank") for j in range(n)]


# --- files ----------------------------------------------------------------------------------------


def _write(
    out: Path,
    posts: list[_Post],
    sends: list[tuple[int, int, dict]],
    start: dt.date,
    end: dt.date,
    rng: random.Random,
) -> tuple[list[Path], dict[str, int]]:
    receiver = max(start, end - dt.timedelta(days=RECEIVER_DAYS - 1))
    files: dict[str, list[bytes]] = {}
    for k in range((end - receiver).days + 1):
        files[f"receiver-{receiver + dt.timedelta(days=k)}.ndjson"] = []
    counts = {"lines": 0, "bad": 0, "dup": 0}
    for post in sorted(posts, key=lambda q: (q.at, q.seq)):
        day = _day(post.at)
        if day > end:
            continue
        if day >= receiver:
            name, line = f"receiver-{day}.ndjson", _envelope(post, rng)
        else:
            name, line = f"webhooks-{day:%Y-%m}.ndjson", post.raw
        if post.cut:
            line = line[: int(len(line) * post.cut)]
        files.setdefault(name, []).append(line)
        counts["lines"] += post.kind != "blank"
        counts[post.kind] = counts.get(post.kind, 0) + 1
    for at, _, entry in sorted(sends, key=lambda s: (s[0], s[1])):
        name = f"sendlog-{_day(at):%Y-%m}.ndjson"
        files.setdefault(name, []).append(json.dumps(entry, separators=(",", ":")).encode())
        counts["lines"] += 1
    paths = [_write_file(out, name, lines, end) for name, lines in sorted(files.items())]
    return sorted(paths), counts


def _envelope(post: _Post, rng: random.Random) -> bytes:
    """Our receiver's line: the raw body bytes, untouched, inside `{"received_at","body"}`."""
    if post.kind == "blank":
        return b""
    received = post.at + rng.randint(20, 400)
    return b'{"received_at":%d,"body":%s}' % (received, post.raw)


def _write_file(out: Path, name: str, lines: list[bytes], end: dt.date) -> Path:
    data = b"".join(line + b"\n" for line in lines)
    if name.startswith("webhooks-"):
        year, month = int(name[9:13]), int(name[14:16])
        if (end.year * 12 + end.month) - (year * 12 + month) > 12:
            name, data = name + ".gz", gzip.compress(data, compresslevel=6, mtime=0)
    path = out / name
    path.write_bytes(data)
    return path
