"""The demo's traffic: who starts a conversation on which day and hour, through which entry point
(m.me links, QR codes, ads, the chat plugin, comments, optins, organic), and who comes back.
`Sim` runs it over the range, with at least one of each variant guaranteed."""

from __future__ import annotations

import datetime as dt
import math
import random
from collections.abc import Callable
from itertools import accumulate

from . import demo_catalog as cat
from . import demo_payloads as p
from .demo_catalog import ADS, LINK_REFS, PAGE_IDS, QR_REFS
from .demo_conversation import DAY_MS, HOUR_MS, Contact, Conversations, day_of, ms_of

PAGE_SHARE = {cat.ACME: 0.6, cat.NORTHWIND: 0.4}
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
PLUGIN_TAGS = [{"source": "customer_chat_plugin"}]


def _newsletter_ref(day: dt.date) -> str:
    """Ref of the newsletter sent on the latest Tuesday up to `day`."""
    tuesday = day - dt.timedelta(days=(day.weekday() - 1) % 7)
    year, week, _ = tuesday.isocalendar()
    return cat.NEWSLETTER_REF.format(year=year, week=week)


def poisson(rng: random.Random, lam: float) -> int:
    """A Poisson draw of mean lam (Knuth's product of uniforms; a rounded normal above 30)."""
    if lam > 30:
        return max(0, round(rng.gauss(lam, math.sqrt(lam))))
    k, prod, limit = 0, rng.random(), math.exp(-lam)
    while prod > limit:
        k += 1
        prod *= rng.random()
    return k


class Sim(Conversations):
    """Walks the days, creating contacts and their events in `events` and `sends`."""

    def __init__(self, rng: random.Random, start: dt.date, end: dt.date, scale: float) -> None:
        super().__init__(rng, start, end)
        self.scale = scale
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
        self.checkboxes: list[tuple[str, int, str, bool]] = []  # (page, at, user_ref, reply)

    def run(self) -> None:
        n = (self.end - self.start).days + 1
        plan = self._showcase(n)
        for i in range(n):
            day = self.start + dt.timedelta(days=i)
            for page in PAGE_IDS:
                self._page_day(page, day, i / n)
            for flow in plan.get(i, []):
                flow(self._time_on(day))
        self._checkbox_follow_ups()

    # -- rhythm

    def _page_day(self, page: str, day: dt.date, progress: float) -> None:
        rng = self.rng
        lam = BASE_CONTACTS * self.scale * PAGE_SHARE[page] * (0.7 + 0.6 * progress)
        lam *= WEEKDAY[day.weekday()] * self._burst(page, day)
        names, weights = self._channels(page, day)
        for _ in range(poisson(rng, lam)):
            self.flows[rng.choices(names, weights)[0]](page, self._time_on(day))
        for _ in range(poisson(rng, FEED_NOISE * self.scale * PAGE_SHARE[page])):
            self.feed_noise(page, self._time_on(day))

    def _burst(self, page: str, day: dt.date) -> float:
        launch = any(a[1] == page and a[4] and 0 <= (day - a[3]).days < 7 for a in ADS)
        newsletter = page == cat.ACME and day.weekday() in (1, 2)
        return (1.6 if launch else 1.0) * (1.2 if newsletter else 1.0)

    def _channels(self, page: str, day: dt.date) -> tuple[list[str], list[float]]:
        weights = dict(CHANNELS)
        ads = sum(1 if a[4] is None else 3 for a in self._active_ads(page, day))
        if ads:
            weights["ads"] = AD_WEIGHT * ads
        if day < cat.PLUGIN_SHUTDOWN:
            weights["plugin"] = PLUGIN_WEIGHT
        return list(weights), list(weights.values())

    def _time_on(self, day: dt.date) -> int:
        hour = self.rng.choices(range(24), cum_weights=HOUR_CUM)[0]
        return ms_of(day) + hour * HOUR_MS + self.rng.randrange(HOUR_MS)

    def _active_ads(self, page: str, day: dt.date) -> list[tuple]:
        return [a for a in ADS if a[1] == page and a[3] <= day and (a[4] is None or day <= a[4])]

    def _pick_ad(self, page: str, day: dt.date) -> tuple | None:
        ads = self._active_ads(page, day)
        if not ads:
            return None
        return self.rng.choices(ads, [1 if a[4] is None else 3 for a in ads])[0]

    def _link_ref(self, page: str, t: int) -> str:
        day = day_of(t)
        if page == cat.ACME and day.weekday() in (1, 2) and self.rng.random() < 0.6:
            return _newsletter_ref(day)
        return self.rng.choice(LINK_REFS[page])

    # -- entry points (new contacts)

    def new_mme(self, page: str, t: int, ref: str | None = None) -> None:
        c = self._contact(page)
        t, last = self._get_started(c, t, p.shortlink(ref or self._link_ref(page, t)))
        self._follow(c, self._chat(c, t, self._turns(), last=last))

    def new_qr(self, page: str, t: int) -> None:
        self.new_mme(page, t, self.rng.choice(QR_REFS[page]))

    def new_ads(self, page: str, t: int, via_postback: bool | None = None) -> None:
        ad = self._pick_ad(page, day_of(t))
        if ad is None:
            return
        c, rng = self._contact(page), self.rng
        if via_postback or (via_postback is None and rng.random() < 0.3):
            ref = p.ads_referral(ad[0], page, ad[2], with_context=False)
            t, last = self._get_started(c, t, ref)
            t = self._chat(c, t, self._turns(), last=last)
        else:
            ref = p.ads_referral(ad[0], page, ad[2])
            first = p.text_message(self.ids.mid(), rng.choice(cat.AD_OPENERS), referral=ref)
            t = self._chat(c, t, self._turns(), first=first)
        self._follow(c, t)

    def new_plugin(self, page: str, t: int, via_postback: bool | None = None) -> None:
        day, rng = day_of(t), self.rng
        if day >= cat.PLUGIN_SHUTDOWN:
            return
        c = self._contact(page, user_ref=day >= cat.PLUGIN_USER_REF_SINCE or rng.random() < 0.2)
        if c.psid is None:
            c.until = ms_of(cat.PLUGIN_SHUTDOWN)
        if via_postback or (
            via_postback is None and rng.random() < (0.6 if day.year < 2021 else 0.25)
        ):
            t, last = self._get_started(c, t, self._plugin_referral(page, day))
        else:
            t, last = self._top_referral(c, t, self._plugin_referral(page, day)), None
        self._follow(c, self._chat(c, t, self._turns(), last=last, tags=PLUGIN_TAGS))

    def _plugin_referral(self, page: str, day: dt.date) -> dict:
        rng = self.rng
        ref = rng.choice(cat.PLUGIN_REFS) if rng.random() < 0.5 else None
        guest = day < cat.GUEST_MODE_UNTIL and rng.random() < 0.35
        return p.plugin_referral(ref, cat.SITES[page] + rng.choice(cat.SITE_PATHS), guest)

    def new_comment(self, page: str, t: int, metadata: bool | None = None, **kw: bool) -> None:
        """A comment, our private reply (send log + echo), then maybe the person's first message."""
        rng = self.rng
        known = [c for c in self.contacts[page][-200:] if c.psid]
        c = rng.choice(known) if known and rng.random() < 0.15 else self._contact(page)
        assert c.psid is not None  # a known contact has one, and so has a new one by PSID
        comment_id = self._comment(page, t, "add")
        sent = t + rng.randint(40_000, 12 * 60_000)
        with_meta = rng.random() < 0.5 if metadata is None else metadata
        meta = p.comment_metadata(comment_id) if with_meta else None
        text, mid = rng.choice(cat.PRIVATE_REPLIES), self.ids.mid()
        message = {"text": text, **({"metadata": meta} if meta else {})}
        if self.start_ms <= sent < self.end_ms:
            line = p.send_log(page, sent, comment_id, message, c.psid, mid)
            self.sends.append((sent, len(self.sends), line))
        echo_t = sent + rng.randint(300, 2_500)
        self._echo(c, echo_t, p.echo_message(mid, text, cat.APP_ID, meta))
        self._receipts(c, echo_t, mid, "messaging")
        if kw.get("answer") or rng.random() < 0.4:
            t = echo_t + rng.randint(2 * 60_000, 6 * HOUR_MS)
            self._follow(c, self._chat(c, t, self._turns(), last=mid))

    def new_organic(self, page: str, t: int, **kw: bool) -> None:
        """No referral at all; kw: standby (first seen in `standby[]`), postback, redeliver."""
        c, rng, last = self._contact(page), self.rng, None
        if kw.get("standby") or rng.random() < 0.03:
            t = self._chat(c, t, self._turns(), key="standby", redeliver=kw.get("redeliver"))
            t = self._control(c, t, "pass_thread_control", cat.PAGE_INBOX_APP_ID, cat.APP_ID)
            return self._follow(c, t)
        if kw.get("postback") or rng.random() < 0.25:
            t, last = self._get_started(c, t, None)
        t = self._chat(c, t, self._turns(), last=last, redeliver=kw.get("redeliver"))
        self._follow(c, t)

    def new_optin(self, page: str, t: int, kind: str | None = None, reply: bool = False) -> None:
        """Send to Messenger (PSID + optin.ref) or checkbox plugin (user_ref only)."""
        rng = self.rng
        kind = kind or ("send_to_messenger" if rng.random() < 0.55 else "checkbox")
        if kind == "checkbox":
            return self._checkbox(page, t, reply)
        c = self._contact(page)
        self._user(c, t, optin={"ref": rng.choice(("stm_order_confirmation", "stm_receipt"))})
        t, _ = self._reply(c, t, "Thanks! Your order updates will arrive here.")
        self._follow(c, t)

    def _checkbox(self, page: str, t: int, reply: bool) -> None:
        """The checkbox plugin's optin names the person by `optin.user_ref` alone (no sender).
        The page messages that user_ref (Send API: no echo, no recipient_id in the answer); a
        reply comes from the person's PSID, which no webhook ties to the user_ref: a contact of
        its own."""
        c = self._contact(page, user_ref=True)
        assert c.user_ref is not None
        self._emit(t, page, "messaging", p.checkbox_optin(page, t, "checkout_checkbox", c.user_ref))
        self.checkboxes.append((page, t, c.user_ref, reply))

    def _checkbox_follow_ups(self) -> None:
        """The page's message to each checkbox user_ref and the replies, drawn after the rest,
        each from a random stream of its own (seeded by its user_ref): the other events are the
        same with or without them."""
        main = self.rng
        try:
            for page, t, user_ref, reply in self.checkboxes:
                self.rng = self.ids.rng = rng = random.Random(user_ref)
                sent, mid = t + rng.randint(2_000, 60_000), self.ids.mid()
                if self.start_ms <= sent < self.end_ms:
                    line = p.user_ref_send(page, sent, user_ref, cat.CHECKBOX_CONFIRMATION, mid)
                    self.sends.append((sent, len(self.sends), line))
                if reply or rng.random() < 0.4:
                    person = self._contact(page)
                    t = sent + rng.randint(60_000, 6 * HOUR_MS)
                    self._follow(person, self._chat(person, t, self._turns()))
        finally:
            self.rng = self.ids.rng = main

    def new_other(self, page: str, t: int, source: str | None = None) -> None:
        """Dead (DISCOVER_TAB, MESSENGER_CODE) or unknown sources, kept raw by refscope."""
        day, rng = day_of(t), self.rng
        if source is None:
            choices = list(cat.UNKNOWN_SOURCES)
            choices += ["DISCOVER_TAB"] * 3 if day < cat.DISCOVER_TAB_UNTIL else []
            choices += ["MESSENGER_CODE"] * 2 if day < cat.MESSENGER_CODE_UNTIL else []
            source = rng.choice(choices)
        refs = {"MESSENGER_CODE": "code_counter", "IGME-SOURCE-LINK": "ig_profile"}
        ref = rng.choice(LINK_REFS[page]) if source == "SHORTLINKS" else refs.get(source)
        c = self._contact(page)
        t = self._top_referral(c, t, p.plain_referral(source, ref))
        self._follow(c, self._chat(c, t, self._turns()))

    # -- returning contacts

    def _follow(self, c: Contact, t: int) -> None:
        """Some people come back days or weeks later; each return is less likely."""
        chance, gap = 0.42, 4.0
        while self.rng.random() < chance:
            nxt = t + int(DAY_MS * (0.5 + self.rng.expovariate(1 / gap)))
            if nxt >= self.end_ms:
                return
            t = self.session(c, max(self._time_on(day_of(nxt)), t + HOUR_MS))
            chance, gap = chance * 0.55, gap * 1.8

    def session(self, c: Contact, t: int, **kw: bool) -> int:
        """A later visit. kw forces: reentry, seconds, ads, handover, notif, otn, react."""
        rng = self.rng
        if c.psid is None:  # a website visitor can only come back through the widget
            if c.until is None or t >= c.until:
                return t
            t = self._top_referral(c, t, self._plugin_referral(c.page, day_of(t)))
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

    def _reentry(self, c: Contact, t: int, seconds: bool | None, ads: bool | None) -> int:
        """Top-level `referral`: an existing thread re-opened from a link, QR code or ad."""
        rng, ad = self.rng, self._pick_ad(c.page, day_of(t))
        if ad and (ads or (ads is None and rng.random() < 0.35)):
            ref = p.ads_referral(ad[0], c.page, ad[2])
        elif rng.random() < 0.6:
            ref = p.shortlink(self._link_ref(c.page, t))
        else:
            ref = p.shortlink(rng.choice(QR_REFS[c.page]))
        return self._top_referral(c, t, ref, seconds)

    # -- guaranteed variants

    def _showcase(self, n: int) -> dict[int, list[Callable[[int], None]]]:
        """At least one of each variant, spread over the range (within its valid dates)."""
        a, b = PAGE_IDS
        plugin_end = (cat.PLUGIN_SHUTDOWN - self.start).days
        discover_end = (cat.DISCOVER_TAB_UNTIL - self.start).days
        items: list[tuple[int | None, Callable[[int], None]]] = [
            (None, lambda t: self._returning(a, t, ads=False)),
            (None, lambda t: self._returning(b, t, ads=True)),
            (None, lambda t: self.new_mme(a, t, _newsletter_ref(day_of(t)))),
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
            (None, lambda t: self.new_optin(b, t, "checkbox", reply=True)),
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
