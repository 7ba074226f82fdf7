"""Attribution does not depend on how the logs were cut into files, their order or the runs.

A small reference of the README's rule ("Attribution", in attribution_model.py) computes, per
(page_id, psid or user_ref), the channel, ref, ad_id, first_seen_at, message counts, re-entries
and each touch's role from realistic event sequences (as Meta's webhook reference shows them,
https://developers.facebook.com/docs/messenger-platform/webhooks:
messages with and without an ad's referral or the chat plugin's tag, postbacks with and without
referral, top-level referrals also dated in seconds, optins, echoes in both directions carrying
a comment id, send-log private replies, reactions, deliveries, reads, standby items). The events
are written as delivery lines with retried copies, cut into 1 to 4 files (some growing between
runs), ingested in 1 to 3 runs in a random order, and the database must match the reference and
a single run of all the lines.
"""

from __future__ import annotations

import gzip
import hashlib
import hmac
import os
from dataclasses import dataclass
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import tests.factories as f
from ingest import pipeline
from tests.conftest import Query
from tests.factories import DAY, HOUR, MINUTE, OTHER_PAGE_ID, PAGE_ID, T0, Json
from tests.ingest.attribution_model import ADS, QR_REF, Act, reference

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
REFS = ("bio_link", QR_REF)
UNKNOWN_SOURCE = "IGME-SOURCE-LINK"
SALT = "property-test-salt"


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
            act.form = draw(st.integers(0, 4)) == 0
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
    # another private reply: such ties go by the rule's order, which the model leaves out).
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
    assert got.read_tables() == want.read_tables()
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
