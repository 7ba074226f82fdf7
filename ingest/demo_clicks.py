"""The demo's click log: the scans and clicks `refscope serve` logs at `GET /r/<ref>` for the
demo's registered links and QR codes (`demo.write_links_csv`), one
`clicks-YYYY-MM-DD.demo-1.ndjson` per day with clicks, named as `refscope serve` names them
(`log_file`, with the demo receiver's `RECEIVER_WRITER`), lines as `clicklog.click_line` writes
them.

Derived from the simulated events, with a random stream of its own (the other files do not
change): every contact who first wrote through a registered ref (a SHORTLINK referral) clicked it
a few seconds to minutes before; some re-entries through one did too; and more people clicked
than wrote (1.5 to 4 times as many, by placement), on the days the ref brought people in and
around them. QR codes are scanned with phones; plain links are clicked on phones and computers,
and a few of their GETs are link previews (device `bot`, no one's click).
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterable
from pathlib import Path

from .clicklog import click_line
from .demo_catalog import LINK_REFS, QR_REFS, RECEIVER_WRITER
from .demo_conversation import DAY_MS, HOUR_MS, Ev, day_of, ms_of
from .demo_traffic import HOUR_CUM, poisson  # the demo's rhythm of the day, its counts
from .logwriter import log_file

#: Clicks per contact brought in, by placement (before a little jitter per page): a shop window
#: is scanned by passers-by who never write, a receipt by customers with a question.
CLICKS_PER_CONTACT = {
    "qr_store12_window": 3.6, "qr_store12_counter": 2.0, "qr_flyer_spring": 2.7,
    "qr_receipt": 1.6, "qr_cup_sleeve": 2.3, "qr_table_tent": 1.7, "bio_link": 3.1,
    "site_footer": 2.5, "email_signature": 1.7, "loyalty_email": 2.0,
}  # fmt: skip
DEFAULT_CLICKS_PER_CONTACT = 2.5
REENTRY_CLICK_P = 0.6  # a re-entry through the tracked URL, not an old m.me link or the app
MAX_LEAD_MS = 4 * 60_000  # a click comes at most this long before the referral it led to
BOT_P = 0.03  # of a plain link's extra GETs: a link preview (WhatsApp, a Mastodon server)
DEVICES = ("mobile", "tablet", "desktop", "other")
QR_DEVICES = (94, 4, 0, 2)  # a camera app on a phone, now and then a tablet
LINK_DEVICES = {  # by where the link is: an Instagram bio is tapped, an email footer clicked
    "bio_link": (88, 4, 7, 1),
    "site_footer": (48, 5, 45, 2),
}
DEFAULT_LINK_DEVICES = (55, 6, 37, 2)  # email signatures and newsletters
Click = tuple[int, str, str, bool, str]  # (at ms, ref, page, qr, device)


def registered() -> dict[tuple[str, str], bool]:
    """(page, ref) of every link the demo's links CSV registers -> whether it is a QR code."""
    out = {(page, ref): True for page, refs in QR_REFS.items() for ref in refs}
    out.update({(page, ref): False for page, refs in LINK_REFS.items() for ref in refs})
    return out


def shortlink_ref(item: dict) -> str | None:
    """The ref of the item's SHORTLINK referral (top-level or on a Get Started postback)."""
    for holder in (item, item.get("postback") or {}):
        ref = holder.get("referral")
        if isinstance(ref, dict) and ref.get("source") == "SHORTLINK" and ref.get("ref"):
            return str(ref["ref"])
    return None


def clicks(events: Iterable[Ev], start: dt.date, end: dt.date, seed: int) -> list[Click]:
    """Every click of the range, in time order."""
    rng = random.Random(f"clicks-{seed}")  # a stream of its own: the logs do not change
    links = registered()
    ratio = {}  # clicks per contact of each link, its placement's with a little jitter
    for key in sorted(links):
        base = CLICKS_PER_CONTACT.get(key[1], DEFAULT_CLICKS_PER_CONTACT)
        ratio[key] = min(4.0, max(1.5, base * rng.uniform(0.9, 1.1)))
    lo, hi = ms_of(start), ms_of(end) + DAY_MS
    first_day: dict[tuple[str, str], dt.date] = {}  # when each link first brought someone
    seen: set[tuple[str, str]] = set()  # (page, PSID) of everyone who acted already
    out: list[Click] = []
    for ev in sorted(events, key=lambda e: (e.at, e.seq)):
        sender = ev.item.get("sender", {}).get("id")
        echo = (ev.item.get("message") or {}).get("is_echo")
        if ev.key == "changes" or echo or not sender or sender == ev.page:
            continue
        new = (ev.page, sender) not in seen
        seen.add((ev.page, sender))
        ref = shortlink_ref(ev.item)
        key = (ev.page, ref or "")
        if ref is None or key not in links or not (new or rng.random() < REENTRY_CLICK_P):
            continue
        first_day.setdefault(key, day_of(ev.at))
        lead = min(MAX_LEAD_MS, 2_000 + int(rng.expovariate(1 / 40_000)))
        out.append(_click(rng, max(lo, ev.at - lead), key, links[key], person=True))
        if not new:
            continue
        for _ in range(poisson(rng, ratio[key] - 1)):  # people who clicked and did not write
            day = day_of(ev.at) + dt.timedelta(days=rng.choice((-1, 0, 0, 0, 1)))
            day = min(end, max(day, first_day[key], start))
            hour = rng.choices(range(24), cum_weights=HOUR_CUM)[0]
            at = ms_of(day) + hour * HOUR_MS + rng.randrange(HOUR_MS)
            if lo <= at < hi:
                out.append(_click(rng, at, key, links[key], person=False))
    return sorted(out)


def _click(rng: random.Random, at: int, key: tuple[str, str], qr: bool, person: bool) -> Click:
    page, ref = key
    if not qr and not person and rng.random() < BOT_P:
        return (at, ref, page, qr, "bot")
    weights = QR_DEVICES if qr else LINK_DEVICES.get(ref, DEFAULT_LINK_DEVICES)
    return (at, ref, page, qr, rng.choices(DEVICES, weights)[0])


def write(out: Path, events: Iterable[Ev], start: dt.date, end: dt.date, seed: int) -> list[Path]:
    """One click log per day with clicks, as `refscope serve` appends them."""
    days: dict[Path, list[bytes]] = {}
    for at, ref, page, qr, device in clicks(events, start, end, seed):
        days.setdefault(log_file(out, "clicks", at, RECEIVER_WRITER), []).append(
            click_line(at, ref, page, qr, device)
        )
    for path, lines in days.items():
        path.write_bytes(b"".join(lines))
    return sorted(days)
