"""Touches of one contact at the same instant (Meta dates some items in whole seconds): which one
acquired it, and which one a message repeats, is decided by what they say (README
"Attribution"), never by the event key, which a salted database stores as a keyed hash
(README "Privacy"): the same logs give the same channels, refs and re-entries with
REFSCOPE_ID_SALT as without.
"""

from __future__ import annotations

import hashlib
import hmac
from pathlib import Path
from typing import Any

import pytest

import tests.factories as f
import tests.factories_feed as ff
from ingest import pipeline
from tests.conftest import Query
from tests.factories import MINUTE, T0, Json, utc

SALT = "ties-test-salt"
AD_1, AD_2 = "23843301927710456", "23843301927710999"
# Several contacts per case: which of two keys is the smaller is a coin toss per contact.
PEOPLE = [f"65000000000{n:05d}" for n in range(8)]


def _at(n: int) -> int:
    return T0 + n * 10 * MINUTE


def _two_links(psid: str, n: int) -> list[Json]:
    """Two top-level m.me referrals in one second, then the first message."""
    return [f.delivery(f.referral("summer_menu", psid=psid, ts=_at(n)),
                       f.referral("spring_menu", psid=psid, ts=_at(n))),
            f.delivery(f.message("hi", psid=psid, ts=_at(n) + MINUTE))]  # fmt: skip


def _ad_and_link(psid: str, n: int) -> list[Json]:
    """An ad's referral and an m.me link's in one second, then the first message."""
    return [f.delivery(f.referral(None, "ADS", ad_id=AD_1, psid=psid, ts=_at(n))),
            f.delivery(f.referral("bio_link", psid=psid, ts=_at(n))),
            f.delivery(f.message("hi", psid=psid, ts=_at(n) + MINUTE))]  # fmt: skip


def _get_started_and_referral(psid: str, n: int) -> list[Json]:
    """A Get Started's referral and a top-level one in one second, then the first message."""
    return [f.delivery(f.referral("a_poster", psid=psid, ts=_at(n))),
            f.delivery(f.postback(referral=f.referral_obj("window_qr"), psid=psid, ts=_at(n))),
            f.delivery(f.message("hi", psid=psid, ts=_at(n) + MINUTE))]  # fmt: skip


def _two_ads_then_repeat(psid: str, n: int) -> list[Json]:
    """Two ads' referrals in one second, then the first message carrying the second ad's: it
    repeats the touch just before it, the later of the two in the rule's order (AD_2)."""
    return [f.delivery(f.referral(None, "ADS", ad_id=AD_2, psid=psid, ts=_at(n)),
                       f.referral(None, "ADS", ad_id=AD_1, psid=psid, ts=_at(n))),
            f.delivery(f.message("hi", psid=psid, ts=_at(n) + MINUTE,
                                 referral=f.ads_referral(ad_id=AD_2)))]  # fmt: skip


def _reply_logged_twice(psid: str, n: int) -> list[Json]:
    """A private reply in the send log and its echo, dated to one second, then the answer."""
    comment = f"4455667788_{n}"
    return [
        f.delivery(f.private_reply_echo(comment, psid=psid, ts=_at(n), mid=f"m_reply_{comment}")),
        ff.send_log(comment, psid, ts=_at(n)),
        f.delivery(f.message("yes please", psid=psid, ts=_at(n) + MINUTE)),
    ]


def _two_chat_pages(user_ref: str, n: int) -> list[Json]:
    """Two chat plugin referrals in one second from two website pages, their queries unlike
    (a salted database stores the pages without them), then the first message."""
    shop = "https://www.acmebakery.example"
    return [f.delivery(f.chat_plugin_referral(user_ref, ref="menu_page", ts=_at(n),
                                              referer_uri=f"{shop}/menu?utm_source=ig"),
                       f.chat_plugin_referral(user_ref, ref="cakes_page", ts=_at(n),
                                              referer_uri=f"{shop}/cakes?email=j%40x.example")),
            f.delivery(f.message("hi", psid=user_ref, sender={"user_ref": user_ref},
                                 ts=_at(n) + MINUTE))]  # fmt: skip


# Each case: its logs, and what the README's rule may make of each contact (channel, ref, ad_id,
# re-entries) and of its acquiring touch (via). Where kind or channel decide, one outcome; where
# only the hash of what the touches say does, either touch may win, but the same one for every
# contact (the hash holds no id) and in both databases.
CASES = [
    pytest.param(
        _two_links,
        {
            ("m_me_link", "spring_menu", None, 1, "referral"),
            ("m_me_link", "summer_menu", None, 1, "referral"),
        },
        id="two-refs",
    ),  # fmt: skip
    pytest.param(_ad_and_link, {("m_me_link", "bio_link", None, 1, "referral")}, id="ad-and-link"),
    pytest.param(
        _get_started_and_referral,
        {("m_me_link", "window_qr", None, 1, "postback")},
        id="get-started-and-referral",
    ),
    # AD_1 first: the message repeats AD_2's referral, just before it (one re-entry). AD_2
    # first: the message does not repeat AD_1's, the touch just before it, so both are
    # re-entries.
    pytest.param(
        _two_ads_then_repeat,
        {("ctm_ad", None, AD_1, 1, "referral"), ("ctm_ad", None, AD_2, 2, "referral")},
        id="two-ads",
    ),
    pytest.param(
        _two_chat_pages,
        {
            ("chat_widget", "menu_page", None, 1, "referral"),
            ("chat_widget", "cakes_page", None, 1, "referral"),
        },
        id="two-chat-pages",
    ),  # fmt: skip
    pytest.param(
        _reply_logged_twice,
        {("comment_reply", None, None, 0, "private_reply")},
        id="reply-logged-twice",
    ),
]


def _ingest(tmp: Path, lines: list[Any], monkeypatch: pytest.MonkeyPatch, salt: bool) -> Query:
    path = tmp / ("salted" if salt else "plain") / "refscope.duckdb"
    log = f.write_ndjson(path.parent / "logs" / "webhooks.ndjson", lines)
    with monkeypatch.context() as m:
        if salt:
            m.setenv("REFSCOPE_ID_SALT", SALT)
        pipeline.run([str(log)], path)
    return Query(path)


def _people(query: Query, stored: dict[str, str]) -> dict[str, tuple[Any, ...]]:
    """Each person's contact, by the id as the logs give it: what it keeps of its acquisition,
    with the touch that acquired it, and its touches' roles."""
    rows = query("""SELECT c.psid, c.channel, c.ref, c.ad_id, c.reentry_count, t.via, c.source,
                           c.ad_title, c.post_id, c.comment_id, c.first_touch_at,
                           (SELECT list(struct_pack(u.ts, u.via, u.ref, u.ad_id, u.is_first,
                                                    u.is_reentry) ORDER BY u.ts, u.via, u.ref,
                                                                           u.ad_id)
                            FROM touches u WHERE u.psid = c.psid)
                    FROM contacts c JOIN touches t ON t.psid = c.psid AND t.is_first""")
    return {stored[r[0]]: r[1:] for r in rows}


@pytest.mark.parametrize(("case", "want"), CASES)
def test_touches_at_one_instant_acquire_alike_with_and_without_a_salt(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, case: Any, want: set[tuple[Any, ...]]
) -> None:
    lines = [x for n, psid in enumerate(PEOPLE) for x in case(psid, n)]
    plain = _people(_ingest(tmp_path, lines, monkeypatch, salt=False), {p: p for p in PEOPLE})
    hashed = {hmac.new(SALT.encode(), p.encode(), hashlib.sha256).hexdigest(): p for p in PEOPLE}
    salted = _people(_ingest(tmp_path, lines, monkeypatch, salt=True), hashed)

    assert sorted(plain) == sorted(PEOPLE)
    assert {plain[psid][:5] for psid in PEOPLE} <= want
    assert len({plain[psid][:5] for psid in PEOPLE}) == 1
    for n, psid in enumerate(PEOPLE):
        assert plain[psid][9] == utc(_at(n))
    assert salted == plain
