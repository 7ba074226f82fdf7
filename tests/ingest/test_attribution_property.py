"""Attribution does not depend on how the logs were cut into files, their order or the runs.

A small reference of the README's rule ("Attribution") computes, per (page_id, psid or
user_ref), the channel, ref, ad_id, first_seen_at, message counts, re-entries and each touch's
role from realistic event sequences (shared/messenger-webhooks.md §2-§4: messages with and
without an ad's referral or the chat plugin's tag, postbacks with and without referral,
top-level referrals also dated in seconds, optins, echoes in both directions carrying a comment
id, send-log private replies, reactions, deliveries, reads, standby items). The events are
written as delivery lines with retried copies, cut into 1 to 4 files (some growing between
runs), ingested in 1 to 3 runs in a random order, and the database must match the reference
and a single run of all the lines.
"""

from __future__ import annotations

import gzip
import hashlib
import hmac
import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import tests.factories as f
import tests.factories_feed as ff
from ingest import pipeline
from tests.conftest import Query
from tests.factories import DAY, HOUR, MINUTE, OTHER_PAGE_ID, PAGE_ID, T0, utc

SETTINGS = settings(
    max_examples=12,
    deadline=None,
    derandomize=True,  # the same examples on every machine: CI stays stable
    database=None,  # leave no .hypothesis/ directory in the work tree
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

PAGES = (PAGE_ID, OTHER_PAGE_ID)
PSIDS = ("6500000000000001", "6500000000000002", "6500000000000003")
USER_REF = "chat-plugin-user-ref-7"
QR_REF = "qr_store12"  # registered as a QR code of PAGE_ID only
REFS = ("bio_link", QR_REF)
ADS = ("23840000000000001", "23840000000000002")
UNKNOWN_SOURCE = "IGME-SOURCE-LINK"
SALT = "property-test-salt"

Json = dict[str, Any]


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
            line = ff.send_log(self.comment_id, psid, message_id=self.mid, **kw)
            if self.post:
                line["request"]["recipient"] = {"post_id": f"{self.page}_{7000 + self.n}"}
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


PSID_KINDS = (
    "message", "message", "message_ad", "message_tag", "message_shop", "postback",
    "postback_ref", "referral", "referral", "optin_ref", "optin_plain", "reaction", "echo",
    "echo_reply", "send_reply", "send_reply", "delivery", "read",
)  # fmt: skip
USER_REF_KINDS = ("plugin_referral", "plugin_postback", "checkbox_optin")
SOURCES = ("SHORTLINK", "SHORTLINK", "SHORT-URL", "ADS", "MESSENGER_CODE", UNKNOWN_SOURCE)


@st.composite
def acts(draw: st.DrawFn) -> list[Act]:
    """A few contacts' events on two pages, in the order they happened."""
    out: list[Act] = []
    for n in range(draw(st.integers(1, 14))):
        page = draw(st.sampled_from(PAGES))
        if draw(st.integers(0, 7)) == 0:
            kind = draw(st.sampled_from(USER_REF_KINDS))
            ref = draw(st.sampled_from(("menu_page", "checkout")))
            out.append(Act(kind, page, USER_REF, n, is_user_ref=True, ref=ref))
            continue
        kind = draw(st.sampled_from(PSID_KINDS))
        act = Act(kind, page, draw(st.sampled_from(PSIDS)), n)
        if kind in {"postback_ref", "referral"}:
            act.source = draw(st.sampled_from(SOURCES))
            if act.source == "ADS":
                act.ad_id = draw(st.sampled_from(ADS))
            elif act.source != "MESSENGER_CODE":
                act.ref = draw(st.sampled_from(REFS))
            act.seconds = kind == "referral" and draw(st.booleans())
        elif kind == "message_ad":
            act.source, act.ad_id = "ADS", draw(st.sampled_from(ADS))
        elif kind == "optin_ref":
            act.ref = "send_to_messenger"
        elif kind in {"echo", "echo_reply"}:
            act.reverse = draw(st.booleans())
            act.metadata = draw(st.integers(0, 2))
        elif kind == "send_reply":
            act.post = draw(st.integers(0, 4)) == 0
            act.undated = draw(st.integers(0, 4)) == 0
        if kind == "echo_reply":  # maybe the echo of an earlier send-log private reply
            sent = [a for a in out if a.kind == "send_reply" and not a.post and a.who == act.who
                    and a.page == act.page]  # fmt: skip
            if sent and draw(st.booleans()):
                act.reply_to = draw(st.sampled_from(sent)).n
        if kind not in {"optin_ref", "optin_plain", "send_reply"}:
            act.standby = draw(st.integers(0, 5)) == 0
        out.append(act)
    # Distinct instants, whole seconds (a referral dated in seconds loses nothing), sometimes
    # weeks apart (past the 30-day window in which copies are compared).
    order = draw(st.permutations(range(len(out))))
    step = draw(st.sampled_from((1000, MINUTE, HOUR, 9 * DAY)))
    for act, slot in zip(out, order, strict=True):
        act.ts = T0 + slot * step
    # Sometimes a private reply at the very instant of another event of its contact (not of
    # another private reply: such ties are ordered by event_key).
    paired = {a.reply_to for a in out} | {a.n for a in out if a.reply_to is not None}
    taken: set[int] = set()
    for act in out:
        if act.kind not in {"send_reply", "echo_reply"} or act.n in paired:
            continue
        others = [
            a.ts for a in out
            if (a.who, a.page) == (act.who, act.page) and a.ts not in taken
            and a.via not in {"private_reply", "message_echo"}
        ]  # fmt: skip
        if others and draw(st.booleans()):
            act.ts = draw(st.sampled_from(others))
            taken.add(act.ts)
    return out


@st.composite
def deliveries(draw: st.DrawFn, events: list[Act]) -> list[str]:
    """Log lines: one POST per act or a few batched, some retried, some in the receiver's
    envelope, in any order."""
    lines: list[str] = []

    def post(batch: list[Act]) -> Json:
        if batch[0].kind == "send_reply":
            return batch[0].item()
        by_page: dict[tuple[str, bool], list[Json]] = {}
        for a in batch:
            by_page.setdefault((a.page, a.standby), []).append(a.item())
        entries = [
            f.entry(*items, page_id=page, container="standby" if standby else "messaging")
            for (page, standby), items in by_page.items()
        ]
        return f.batch(*entries)

    def write(body: Json, received_at: int, undated: bool = False) -> None:
        wrap = undated or draw(st.booleans())
        lines.append(f.line(f.envelope(body, received_at) if wrap else body))

    i = 0
    while i < len(events):
        batch = [events[i]]
        i += 1
        if batch[0].kind != "send_reply":
            size = draw(st.integers(1, 3))
            while i < len(events) and len(batch) < size and events[i].kind != "send_reply":
                batch.append(events[i])
                i += 1
        body = post(batch)
        undated = batch[0].undated  # dated by its first arrival
        when = batch[0].ts if undated else max(a.ts for a in batch) + 500
        write(body, when, undated)
        if draw(st.integers(0, 3)) == 0:  # the POST retried, maybe after a while
            write(body, when + draw(st.sampled_from((1000, HOUR))), undated)
    for a in draw(st.lists(st.sampled_from(events), max_size=3)) if events else []:
        # The same event again in a delivery of its own.
        write(post([a]), a.ts + (0 if a.undated else 2000), a.undated)
    return draw(st.permutations(lines))


# --- the reference ------------------------------------------------------------------------------


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
        before = [a for a in touching if a.ts <= opened]
        first = min(before, key=lambda a: (a.ts, not a.is_referral)) if before else None
        if first is not None:
            channel = first.channel
        elif openers and openers[0].kind == "message_tag":
            # The plugin's tag, failing any other touch: a touch only as the acquiring one.
            channel = "chat_widget"
            touches[(*key, utc(opened), "message")] = {"is_first": True, "is_reentry": False}
        else:
            channel = "organic"
        # A message repeating the ad id or ref of the touch just before it (at one instant a
        # private reply comes first), within 24 hours, is that same entry.
        ordered = sorted(touching, key=lambda a: (a.ts, a.channel != "comment_reply"))
        before_it = dict(zip((id(a) for a in ordered), [None, *ordered], strict=False))
        reentries = 0
        for a in touching:
            p = before_it[id(a)]
            repeats = (
                a.via == "message" and (a.ad_id is not None or a.ref is not None)
                and p is not None and p.ts >= a.ts - DAY
                and (p.channel, p.ad_id, p.ref) == (a.channel, a.ad_id, a.ref)
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


# --- ingesting ----------------------------------------------------------------------------------

CONTACT_COLUMNS = (
    "is_user_ref", "first_seen_at", "channel", "ref", "ad_id", "first_message_at",
    "message_count", "postback_count", "reentry_count",
)  # fmt: skip


def _contacts(query: Query) -> dict[tuple[str, str], Json]:
    rows = query.dicts(f"SELECT page_id, psid, {', '.join(CONTACT_COLUMNS)} FROM contacts")
    return {(r.pop("page_id"), r.pop("psid")): r for r in rows}


def _touches(query: Query) -> dict[tuple, Json]:
    rows = query.dicts("SELECT page_id, psid, ts, via, is_first, is_reentry FROM touches")
    out: dict[tuple, Json] = {}
    for r in rows:
        key = (r.pop("page_id"), r.pop("psid"), r.pop("ts"), r.pop("via"))
        assert key not in out, f"touch twice: {key}"
        out[key] = r
    return out


def _tables(query: Query) -> dict[str, list[tuple[Any, ...]]]:
    return {
        "contacts": query("SELECT * FROM contacts ORDER BY ALL"),
        "touches": query("SELECT * FROM touches ORDER BY ALL"),
        "contact_days": query("SELECT * FROM contact_days ORDER BY ALL"),
        "events": query("SELECT * EXCLUDE (file, line_no, run_id) FROM events ORDER BY ALL"),
    }


@dataclass
class Schedule:
    """Runs, each a list of (file name, bytes appended to it) in the order given; a run may
    name the folder instead; at the end, maybe all lines again in a copied log."""

    runs: list[list[tuple[str, bytes]]]
    folder: list[bool]
    copy: bool
    salt: bool


@st.composite
def schedules(draw: st.DrawFn, lines: list[str]) -> Schedule:
    """A file may grow between runs, also in the middle of a line (still being written); one
    read in a single run may be gzipped or have CRLF line ends."""
    files = draw(st.integers(1, 4))
    runs = draw(st.integers(1, 3))
    parts: dict[int, list[str]] = {}
    for text in lines:
        parts.setdefault(draw(st.integers(0, files - 1)), []).append(text)
    plan: list[list[tuple[str, bytes]]] = [[] for _ in range(runs)]
    for number, part in parts.items():
        first = draw(st.integers(0, runs - 1))
        last = draw(st.integers(first, runs - 1))
        end = "\r\n" if first == last and draw(st.booleans()) else "\n"
        data = "".join(x + end for x in part).encode()
        if first == last:
            name = draw(st.sampled_from(("ndjson", "ndjson.gz")))
            plan[first].append((f"webhooks-{number}.{name}", data))
            continue
        cut = draw(st.integers(0, len(data)))
        plan[first].append((f"webhooks-{number}.ndjson", data[:cut]))
        plan[last].append((f"webhooks-{number}.ndjson", data[cut:]))
    return Schedule(
        runs=[draw(st.permutations(run)) for run in plan],
        folder=[draw(st.booleans()) for _ in plan],
        copy=draw(st.booleans()),
        salt=draw(st.booleans()),
    )


def _ingest_in_runs(tmp: Path, schedule: Schedule, lines: list[str]) -> Query:
    path = f.register_qr(tmp / "runs.duckdb", QR_REF)
    logs = tmp / "logs"
    logs.mkdir()
    for run, folder in zip(schedule.runs, schedule.folder, strict=True):
        names: list[str] = []
        for name, data in run:
            log = logs / name
            if name.endswith(".gz"):
                log.write_bytes(gzip.compress(data))
            else:
                with open(log, "ab") as fh:
                    fh.write(data)
            if str(log) not in names:
                names.append(str(log))
        if names:
            pipeline.run([str(logs)] if folder else names, path)
    if schedule.copy:  # a log copied under another name: nothing new
        copy = f.write_ndjson(tmp / "copy" / "webhooks-copy.ndjson", lines[::-1])
        assert pipeline.run([str(copy)], path).new_contacts == 0
    return Query(path)


def _check(tmp: Path, events: list[Act], lines: list[str], schedule: Schedule) -> None:
    if schedule.salt:
        os.environ["REFSCOPE_ID_SALT"] = SALT
    try:
        whole = f.register_qr(tmp / "whole.duckdb", QR_REF)
        pipeline.run([str(f.write_ndjson(tmp / "all" / "all.ndjson", lines))], whole)
        want = Query(whole)
        got = _ingest_in_runs(tmp, schedule, lines)
    finally:
        os.environ.pop("REFSCOPE_ID_SALT", None)
    stored = _salted if schedule.salt else (lambda who: who)
    want_contacts, want_touches = reference(events, stored)
    assert _contacts(want) == want_contacts
    assert _touches(want) == want_touches
    assert want.scalar("SELECT count(*) FROM rejects") == 0
    assert _tables(got) == _tables(want)
    assert got.scalar("SELECT count(*) FROM rejects") == 0


def _salted(who: str) -> str:
    """The stored id under REFSCOPE_ID_SALT (README "Privacy": HMAC-SHA256(salt, id))."""
    return hmac.new(SALT.encode(), who.encode(), hashlib.sha256).hexdigest()


@settings(SETTINGS)
@given(data=st.data())
def test_attribution_does_not_depend_on_files_order_or_runs(tmp_path_factory, data) -> None:
    events = data.draw(acts(), label="events")
    lines = data.draw(deliveries(events), label="lines")
    schedule = data.draw(schedules(lines), label="schedule")
    _check(tmp_path_factory.mktemp("p"), events, lines, schedule)
