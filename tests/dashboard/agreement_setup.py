"""A hand-made database whose every figure is counted by hand in test_figures_agree.py: two
pages, every channel, re-entries (one of a contact acquired before the range), contacts on both
sides of a UTC midnight, a QR code registered by the page's username, its scans and clicks, a
comment funnel, and ad spend pulled with a gap of two days.

Payload shapes as Meta documents them:
https://developers.facebook.com/docs/messenger-platform/reference/webhook-events
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from dashboard.filters import Filters
from ingest import db, pipeline
from tests import factories as fx
from tests import factories_feed as ff

P1, P2 = fx.PAGE_ID, fx.OTHER_PAGE_ID  # Acme Bakery (username acmebakery), Northwind
AD1, AD2 = "6000000000001", "6000000000002"  # Sourdough (brought contacts), Rye (none)
POST = f"{P1}_4455667788"

ALL = Filters(dt.date(2023, 11, 13), dt.date(2023, 11, 19))  # Monday to Sunday
ONE_PAGE = Filters(ALL.start, ALL.end, (P1,))
ADS_ONLY = Filters(ALL.start, ALL.end, (), ("ctm_ad",))
# Starts after "a" was acquired (11-13) and before its re-entry (11-16); ends a day later,
# taking in "d" (00:00:00 on 11-20) and a day of spend after a gap.
CUT = Filters(dt.date(2023, 11, 14), dt.date(2023, 11, 20))


def at(month: int, day: int, hour: int, minute: int = 0, second: int = 0) -> int:
    """The instant in ms, as Messenger stamps it, of that UTC time in 2023."""
    when = dt.datetime(2023, month, day, hour, minute, second, tzinfo=dt.UTC)
    return int(when.timestamp() * 1000)


def _d(*items: fx.Json, page_id: str = P1) -> fx.Json:
    return fx.delivery(*items, page_id=page_id)


def _link(psid: str, ref: str, ts: int, page_id: str = P1, source: str = "SHORTLINK") -> list:
    """A new thread opened from a link (Get Started with its referral), then a first message."""
    pb = fx.postback(referral=fx.referral_obj(ref, source), psid=psid, page_id=page_id, ts=ts)
    first = fx.message("hi", psid=psid, page_id=page_id, ts=ts + fx.MINUTE)
    return [_d(pb, page_id=page_id), _d(first, page_id=page_id)]


def _msg(psid: str, ts: int, page_id: str = P1, text: str = "hello", **kw: object) -> fx.Json:
    return _d(fx.message(text, psid=psid, page_id=page_id, ts=ts, **kw), page_id=page_id)


def _ad_message(psid: str, ad_id: str, ts: int, page_id: str = P1) -> fx.Json:
    """The first message after a Click-to-Messenger ad, carrying its referral."""
    ref = fx.ads_referral(ad_id=ad_id, ad_title="Sourdough", post_id=f"{page_id}_99")
    return _msg(psid, ts, page_id, "is it fresh?", referral=ref)


def _reentry(psid: str, ref: str | None, ts: int, source: str = "SHORTLINK", **kw: object):
    return _d(fx.referral(ref, source, psid=psid, ts=ts, **kw))


def webhook_lines() -> list[fx.Json]:
    h_ref = fx.referral("spring", psid="h", ts=at(11, 19, 15))
    chat = fx.chat_plugin_referral("chat-user-i", referer_uri="https://acme.example/menu",
                                   ts=at(11, 14, 13))  # fmt: skip
    chat_msg = fx.message("hi", psid="chat-user-i", sender={"user_ref": "chat-user-i"},
                          ts=at(11, 14, 13, 0, 1))  # fmt: skip
    return [
        # h: organic, acquired long before; back through the spring link on the range's last day.
        _msg("h", at(11, 1, 9)),
        _d(h_ref),
        _msg("h", at(11, 19, 15, 1)),
        _msg("h", at(12, 20, 10)),  # the newest event: every 30 days of the range have passed
        # m: the spring link in the previous period; re-enters through the QR code at 00:00:00
        # on the range's first day, and again after the range.
        *_link("m", "spring", at(11, 10, 10)),
        _reentry("m", "qr_window", at(11, 13, 0)),
        _msg("m", at(11, 13, 0, 1)),
        _reentry("m", "qr_window", at(11, 21, 8)),
        # n: the spring link at 23:50 on the day before the range.
        *_link("n", "spring", at(11, 12, 23, 50)),
        # a: the spring link; back the next day; re-enters through it on 11-16.
        *_link("a", "spring", at(11, 13, 10)),
        _msg("a", at(11, 14, 9)),
        _reentry("a", "spring", at(11, 16, 12)),
        # b: the QR code; re-enters from the Rye ad (so that ad is seen on Acme's touches).
        *_link("b", "qr_window", at(11, 14, 8)),
        _reentry("b", None, at(11, 18, 10), "ADS", ad_id=AD2),
        # c: the QR code at 23:30 on the range's last day; a second message after midnight UTC.
        *_link("c", "qr_window", at(11, 19, 23, 30)),
        _msg("c", at(11, 20, 0, 10)),
        # d: organic, at 00:00:00 UTC the day after the range.
        _msg("d", at(11, 20, 0)),
        # e (Acme) and f (Northwind): the Sourdough ad; e is back 7 days later.
        _ad_message("e", AD1, at(11, 15, 12)),
        _msg("e", at(11, 22, 10)),
        _ad_message("f", AD1, at(11, 17, 9), page_id=P2),
        # g: organic on Northwind, twice the same day (engaged, not back the next day).
        _msg("g", at(11, 16, 8), P2),
        _msg("g", at(11, 16, 9), P2),
        # i: the chat plugin.
        _d(chat),
        _d(chat_msg),
        # k: an Instagram profile link on Northwind, a source refscope does not know.
        *_link("k", "ig_bio", at(11, 18, 20), P2, "IGME-SOURCE-LINK"),
        # j: replied to privately after a comment; writes, and is back the next day.
        _msg("j", at(11, 15, 11)),
        _msg("j", at(11, 16, 11)),
    ]


def feed_lines() -> list[fx.Json]:
    def comment(cid: str, who: str, ts: int) -> fx.Json:
        return ff.feed(ff.comment(comment_id=cid, post_id=POST, from_id=who,
                                  created_time=ts // 1000), time=ts // 1000)  # fmt: skip

    return [
        comment("c1", "900001", at(11, 15, 10)),
        comment("c2", "900002", at(11, 15, 10, 30)),
        comment("c3", P1, at(11, 15, 10, 40)),  # the page's own public reply
        comment("c4", "900004", at(11, 12, 10)),  # in the previous period
        ff.send_log("c1", "j", ts=at(11, 15, 10, 5)),
        ff.send_log("c2", "x", ts=at(11, 15, 10, 35)),  # x never writes
    ]


# (ts, ref, page, qr, device): the receiver's click log.
CLICKS = [
    (at(11, 13, 9), "qr_window", "acmebakery", True, "mobile"),
    (at(11, 14, 7, 55), "qr_window", "acmebakery", True, "mobile"),
    (at(11, 15, 12), "qr_window", "acmebakery", True, "bot"),  # a link preview: nobody's
    (at(11, 16, 18), "qr_window", "acmebakery", False, "desktop"),
    (at(11, 19, 23, 29), "qr_window", "acmebakery", True, "mobile"),
    (at(11, 21, 7, 59), "qr_window", "acmebakery", True, "mobile"),
    (at(11, 13, 9, 59), "spring", P1, False, "mobile"),
    (at(11, 16, 11, 59), "spring", P1, False, "desktop"),
]


def click_lines() -> list[fx.Json]:
    return [{"object": "refscope_click", "ts": ts, "ref": ref, "page": page, "qr": qr,
             "device": device} for ts, ref, page, qr, device in CLICKS]  # fmt: skip


def build(path: Path) -> None:
    con = db.connect(path)
    try:
        con.execute(f"INSERT INTO pages VALUES ('{P1}', 'acmebakery', 'Acme Bakery'), "
                    f"('{P2}', 'northwind', 'Northwind')")  # fmt: skip
        con.execute(
            f"""INSERT INTO tracked_links VALUES
               ('qr_window', 'acmebakery', 'qr_code', 'autumn', 'window', NULL,
                'https://m.me/acmebakery?ref=qr_window', TIMESTAMP '2023-10-30'),
               ('spring', '{P1}', 'm_me_link', 'spring', NULL, NULL,
                'https://m.me/{P1}?ref=spring', TIMESTAMP '2023-10-30')"""
        )
    finally:
        con.close()
    logs = path.parent / "logs"
    fx.write_ndjson(logs / "webhooks.ndjson", webhook_lines())
    fx.write_ndjson(logs / "feed.ndjson", feed_lines())
    fx.write_ndjson(logs / "clicks.ndjson", click_lines())
    pipeline.run([str(logs)], path)
    con = db.connect(path)
    try:
        # Pulled 11-01 – 11-14 and 11-17 – 11-30: 11-15 and 11-16 no pull asked for. No row
        # on 11-18 (a pulled day without delivery: 0).
        con.execute(
            """INSERT INTO ad_pulls VALUES ('act_1', '2023-11-01', '2023-11-14', now()),
                                            ('act_1', '2023-11-17', '2023-11-30', now())"""
        )
        con.execute(
            f"""INSERT INTO ad_insights (date, ad_id, ad_name, account_id, spend,
                                         conversations_started)
                VALUES ('2023-11-08', '{AD1}', 'Sourdough', 'act_1', 7.0, 1),
                       ('2023-11-13', '{AD1}', 'Sourdough', 'act_1', 10.0, 3),
                       ('2023-11-14', '{AD1}', 'Sourdough', 'act_1', 5.5, 1),
                       ('2023-11-17', '{AD1}', 'Sourdough', 'act_1', 3.25, 2),
                       ('2023-11-19', '{AD2}', 'Rye', 'act_1', 2.0, 0),
                       ('2023-11-20', '{AD1}', 'Sourdough', 'act_1', 50.0, 4)"""
        )
    finally:
        con.close()


Figures = dict[str, Any]
D = dt.date


def day(n: int) -> D:
    return D(2023, 11, n)


# What each filter's figures are, counted by hand from agreement_setup's logs.
# kpis: (new contacts, engaged, engaged rate, reachable, spend, cost per ad contact), this
# period then the previous one; channels: channel -> (new, engaged, re-entries); daily:
# (day, channel) -> new contacts; refs: (page, ref) -> (new, engaged, re-entries, clicks,
# scans); placements: placement -> (codes, new, engaged, scans); ads: ad -> (new, engaged,
# spend, cost per contact, Meta's conversations); funnel: (comments, private replies,
# conversations); retention: channel -> (contacts, D1, D7, D30).
EXPECTED: dict[str, Figures] = {
    "all": {
        # a b c e f g i j k are new; a c e g j engaged; h and c acted on 11-19; 10 + 5.50 +
        # 3.25 + 2 spent (11-15/16 not pulled) over the ad contacts e and f. Before: m and n
        # (m engaged), n at 23:50 on 11-12 reachable; 7.00 spent, no ad contact.
        "kpis": ((9, 5, 5 / 9, 2, 20.75, 10.375), (2, 1, 0.5, 1, 7.0, None)),
        "channels": {"m_me_link": (1, 1, 2), "qr_code": (2, 1, 1), "chat_widget": (1, 0, 0),
                     "ctm_ad": (2, 1, 1), "comment_reply": (1, 1, 0), "organic": (1, 1, 0),
                     "other": (1, 0, 0)},
        "daily": {(day(13), "m_me_link"): 1, (day(14), "qr_code"): 1,
                  (day(14), "chat_widget"): 1, (day(15), "ctm_ad"): 1,
                  (day(15), "comment_reply"): 1, (day(16), "organic"): 1,
                  (day(17), "ctm_ad"): 1, (day(18), "other"): 1, (day(19), "qr_code"): 1},
        "refs": {(P1, "qr_window"): (2, 1, 1, 4, 3), (P1, "spring"): (1, 1, 2, 2, 0)},
        "placements": {"window": (1, 2, 1, 3)},
        "ads": {AD1: (2, 1, 18.75, 9.375, 6), AD2: (0, 0, 2.0, None, 0)},
        "funnel": (2, 2, 1),
        "retention": {"m_me_link": (1, 1, 1, 1), "qr_code": (2, 0.5, 0.5, 0.5),
                      "chat_widget": (1, 0, 0, 0), "ctm_ad": (2, 0, 0.5, 0.5),
                      "comment_reply": (1, 1, 1, 1), "organic": (1, 0, 0, 0),
                      "other": (1, 0, 0, 0)},
    },
    "one page": {
        # Acme only: a b c e i j; the Sourdough ad (e's) and the Rye ad (b's re-entry) are
        # seen on its touches: both spent, over one ad contact.
        "kpis": ((6, 4, 4 / 6, 2, 20.75, 20.75), (2, 1, 0.5, 1, 7.0, None)),
        "channels": {"m_me_link": (1, 1, 2), "qr_code": (2, 1, 1), "chat_widget": (1, 0, 0),
                     "ctm_ad": (1, 1, 1), "comment_reply": (1, 1, 0)},
        "daily": {(day(13), "m_me_link"): 1, (day(14), "qr_code"): 1,
                  (day(14), "chat_widget"): 1, (day(15), "ctm_ad"): 1,
                  (day(15), "comment_reply"): 1, (day(19), "qr_code"): 1},
        "refs": {(P1, "qr_window"): (2, 1, 1, 4, 3), (P1, "spring"): (1, 1, 2, 2, 0)},
        "placements": {"window": (1, 2, 1, 3)},
        "ads": {AD1: (1, 1, 18.75, 18.75, 6), AD2: (0, 0, 2.0, None, 0)},
        "funnel": (2, 2, 1),
        "retention": {"m_me_link": (1, 1, 1, 1), "qr_code": (2, 0.5, 0.5, 0.5),
                      "chat_widget": (1, 0, 0, 0), "ctm_ad": (1, 0, 1, 1),
                      "comment_reply": (1, 1, 1, 1)},
    },
    "one channel": {
        # Click-to-Messenger ads: e and f, neither acting on 11-19; b's re-entry from an ad.
        "kpis": ((2, 1, 0.5, 0, 20.75, 10.375), (0, 0, None, 0, 7.0, None)),
        "channels": {"ctm_ad": (2, 1, 1)},
        "daily": {(day(15), "ctm_ad"): 1, (day(17), "ctm_ad"): 1},
        "refs": {},
        "placements": {},
        "ads": {AD1: (2, 1, 18.75, 9.375, 6), AD2: (0, 0, 2.0, None, 0)},
        "funnel": (0, 0, 0),
        "retention": {"ctm_ad": (2, 0, 0.5, 0.5)},
    },
    "other page": {
        # Northwind only: f g k; only the Sourdough ad (f's) is seen on its touches, so only
        # its spend counts, before too (7.00 on 11-08); it has no comments.
        "kpis": ((3, 1, 1 / 3, 0, 18.75, 18.75), (0, 0, None, 0, 7.0, None)),
        "channels": {"ctm_ad": (1, 0, 0), "organic": (1, 1, 0), "other": (1, 0, 0)},
        "daily": {(day(16), "organic"): 1, (day(17), "ctm_ad"): 1, (day(18), "other"): 1},
        "refs": {},
        "placements": {},
        "ads": {AD1: (1, 0, 18.75, 18.75, 6)},
        "funnel": (0, 0, 0),
        "retention": {"ctm_ad": (1, 0, 0, 0), "organic": (1, 0, 0, 0), "other": (1, 0, 0, 0)},
    },
    "cut re-entry": {
        # 11-14 – 11-20: a (11-13) is no longer new, its re-entry on 11-16 still counts, m's of
        # 11-13 00:00 no longer; d (00:00 on 11-20) is new, and reachable with c. Spend 5.50
        # + 3.25 + 2 + 50. Before (11-07 – 11-13): m n a, m and a engaged and acting on 11-13.
        "kpis": ((9, 4, 4 / 9, 2, 60.75, 30.375), (3, 2, 2 / 3, 2, 17.0, None)),
        "channels": {"m_me_link": (0, 0, 2), "qr_code": (2, 1, 0), "chat_widget": (1, 0, 0),
                     "ctm_ad": (2, 1, 1), "comment_reply": (1, 1, 0), "organic": (2, 1, 0),
                     "other": (1, 0, 0)},
        "daily": {(day(14), "qr_code"): 1, (day(14), "chat_widget"): 1,
                  (day(15), "ctm_ad"): 1, (day(15), "comment_reply"): 1,
                  (day(16), "organic"): 1, (day(17), "ctm_ad"): 1, (day(18), "other"): 1,
                  (day(19), "qr_code"): 1, (day(20), "organic"): 1},
        "refs": {(P1, "qr_window"): (2, 1, 0, 3, 2), (P1, "spring"): (0, 0, 2, 1, 0)},
        "placements": {"window": (1, 2, 1, 2)},
        "ads": {AD1: (2, 1, 58.75, 29.375, 7), AD2: (0, 0, 2.0, None, 0)},
        "funnel": (2, 2, 1),
        "retention": {"qr_code": (2, 0.5, 0.5, 0.5), "chat_widget": (1, 0, 0, 0),
                      "ctm_ad": (2, 0, 0.5, 0.5), "comment_reply": (1, 1, 1, 1),
                      "organic": (2, 0, 0, 0), "other": (1, 0, 0, 0)},
    },
}  # fmt: skip
FILTERS = {
    "all": ALL,
    "one page": ONE_PAGE,
    "one channel": ADS_ONLY,
    "cut re-entry": CUT,
    "other page": Filters(ALL.start, ALL.end, (P2,)),
}
KPI_KEYS = ("new_contacts", "engaged", "engaged_rate", "reachable", "spend", "cost_per_contact")
