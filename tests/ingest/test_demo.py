"""The demo generator writes real files that look like Meta's deliveries; parse them back: one
small run's files, entry points, event variants, dirty input and the click log. Runs of their own
(determinism, defaults, the chat plugin's lifetime): test_demo_runs.py."""

from __future__ import annotations

import csv
import datetime as dt
import json
import re
from collections import Counter
from pathlib import Path

import pytest

from ingest import clicklog, demo_ads, insight_rows
from ingest.demo import ADS, PAGES, QR_REFS, write_links_csv
from ingest.logwriter import log_file
from tests.ingest.demo_setup import END, Parsed, body_of, is_receiver_log, ms, run

ENVELOPE = re.compile(rb'\{"received_at":\d+,"body":(.*)\}')


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Parsed:
    return run(tmp_path_factory.mktemp("small"), days=60, end=END, scale=0.3)


# --- the files ------------------------------------------------------------------------------------


def test_lines_are_compact_ascii_in_time_order(small: Parsed) -> None:
    for _, line, body in small.bodies:
        assert line.isascii() and b", " not in line[:40]
        assert list(body)[:2] == ["object", "entry"]
    assert any(b"\\u00" in line for _, line, _ in small.bodies)  # Meta's \uXXXX escaping
    for name, lines in small.lines.items():
        if name.startswith("webhooks-") and not is_receiver_log(name):  # Meta's bodies, by month
            bodies = [body_of(name, line) for line in lines]
            times = [ms(b["entry"][0]["time"]) for b in bodies if b]
            late = sum(1 for x, y in zip(times, times[1:], strict=False) if y < x - 1000)
            assert late <= 0.03 * len(times)


def test_receiver_envelopes_for_the_last_days(small: Parsed) -> None:
    """The last days are the logs `refscope serve` writes: named as it names them
    (webhooks-YYYY-MM-DD.<host>-<pid>-<run>.ndjson, the UTC day each delivery was received)."""
    receiver = [n for n in small.lines if is_receiver_log(n)]
    end = small.summary.end
    days = [f"webhooks-{end - dt.timedelta(days=k)}.demo-1.ndjson" for k in (2, 1, 0)]
    assert receiver == days
    envelopes = [json.loads(x) for n in receiver for x in small.lines[n] if x and body_of(n, x)]
    assert envelopes and all(set(e) == {"received_at", "body"} for e in envelopes)
    assert all(e["received_at"] >= e["body"]["entry"][0]["time"] for e in envelopes)
    for name in receiver:
        stamps = [json.loads(x)["received_at"] for x in small.lines[name] if x and body_of(name, x)]
        assert stamps
        assert {log_file(Path(), "webhooks", at, "demo-1").name for at in stamps} == {name}


# --- entry points and event variants ------------------------------------------------------------


def test_every_entry_point_is_present(small: Parsed) -> None:
    refs = small.referrals()
    seen = Counter((where, r["source"]) for where, r, _ in refs)
    assert seen[("postback", "SHORTLINK")] and seen[("top", "SHORTLINK")]
    assert seen[("message", "ADS")] and seen[("postback", "ADS")] and seen[("top", "ADS")]
    qr = [(it["recipient"]["id"], r["ref"]) for _, r, it in refs if r.get("ref", "")[:3] == "qr_"]
    assert qr and all(ref in QR_REFS[page] for page, ref in qr)
    assert any(r.get("ref", "").startswith("newsletter_") for _, r, _ in refs)
    unknown = [
        r for where, r, _ in refs if where == "top" and r["source"] not in ("SHORTLINK", "ADS")
    ]
    assert len(unknown) >= 2
    organic_start = [it for it in small.of("postback") if "referral" not in it["postback"]]
    assert organic_start


def test_ad_referrals_match_the_ads_catalogue(small: Parsed) -> None:
    ads = {ad_id: (page, title, start, end) for ad_id, page, title, start, end in ADS}
    found = [(r, it) for _, r, it in small.referrals() if r["source"] == "ADS"]
    for r, it in found:
        page, title, start, end = ads[r["ad_id"]]
        day = dt.datetime.fromtimestamp(ms(it["timestamp"]) / 1000, dt.UTC).date()
        assert page == it["recipient"]["id"] and start <= day and (end is None or day <= end)
        assert r["type"] == "OPEN_THREAD"
        if "ads_context_data" in r:
            assert r["ads_context_data"]["ad_title"] == title
    assert any("ads_context_data" in r for r, _ in found)


def test_ad_insights_hold_each_ad_and_day_it_ran_once(small: Parsed) -> None:
    """A row per ad and day in the range it ran (Graph's level=ad, time_increment=1), in pages
    of one account each, the account of the ad's page."""
    start, end = small.summary.start, small.summary.end
    rows = [r for p in small.insight_pages for r in p["data"]]
    assert all(len(p["data"]) <= demo_ads.PAGE_ROWS for p in small.insight_pages)
    assert all(len({r["account_id"] for r in p["data"]}) == 1 for p in small.insight_pages)
    expected = set()
    for ad_id, _, _, ran_from, ran_to in ADS:
        day = max(ran_from, start)
        while day <= min(ran_to or end, end):
            expected.add((ad_id, str(day)))
            day += dt.timedelta(days=1)
    assert expected and sorted((r["ad_id"], r["date_start"]) for r in rows) == sorted(expected)
    page_of = {ad_id: page for ad_id, page, *_ in ADS}
    for r in rows:
        assert r["account_id"] == demo_ads.ACCOUNTS[page_of[r["ad_id"]]]
        assert r["date_stop"] == r["date_start"] and float(r["spend"]) > 0


def test_ad_insights_count_at_least_the_ads_conversations(small: Parsed) -> None:
    """Meta's conversations started, per ad and day, are the ad's referrals that day or one more
    (a thread already open): never fewer than the logs show."""
    seen: dict[tuple[str, str], int] = {}
    for _, r, it in small.referrals():
        if r["source"] == "ADS":
            day = str(dt.datetime.fromtimestamp(ms(it["timestamp"]) / 1000, dt.UTC).date())
            seen[(r["ad_id"], day)] = seen.get((r["ad_id"], day), 0) + 1
    started = insight_rows.CONVERSATIONS_STARTED
    for p in small.insight_pages:
        for r in p["data"]:
            n = sum(int(a["value"]) for a in r["actions"] if a["action_type"] == started)
            assert n - seen.get((r["ad_id"], r["date_start"]), 0) in (0, 1), r
    assert seen  # the check ran over real ad days


def test_comments_private_replies_and_their_links(small: Parsed) -> None:
    verbs = Counter(v["verb"] for _, v in small.changes if v["item"] == "comment")
    assert verbs["add"] and verbs["edited"] and verbs["remove"]
    assert all("message" not in v for _, v in small.changes if v["verb"] == "remove")
    assert any(v["parent_id"] != v["post_id"] for _, v in small.changes if v["item"] == "comment")
    for entry, v in small.changes:
        assert entry["time"] < 1e12 and v["created_time"] < 1e12  # Graph changes: seconds
        assert v["post_id"].startswith(entry["id"] + "_")
    comments = {v["comment_id"]: v for _, v in small.changes if v["item"] == "comment"}
    psids = {it.get("sender", {}).get("id") for _, _, it in small.items} | {
        it["recipient"]["id"] for _, _, it in small.items
    }
    replies = [s for s in small.sends if "comment_id" in s["request"]["recipient"]]
    assert replies
    for line in replies:
        assert line["object"] == "send_api" and line["response"]["message_id"].startswith("m_")
        assert line["request"]["recipient"]["comment_id"] in comments
    assert not {v["from"]["id"] for v in comments.values()} & (psids - {p for p, _, _ in PAGES})
    sent = {s["response"]["message_id"]: s for s in small.sends}
    tagged = [it for it in small.of("message") if it["message"].get("metadata")]
    assert tagged
    for it in tagged:
        comment_id = json.loads(it["message"]["metadata"])["comment_id"]
        psid = (
            it["recipient"]["id"]
            if it["sender"]["id"] in comments[comment_id]["post_id"]
            else it["sender"]["id"]
        )
        assert sent[it["message"]["mid"]]["response"]["recipient_id"] == psid


def test_page_side_and_user_side_events(small: Parsed) -> None:
    echoes = [it for it in small.of("message") if it["message"].get("is_echo")]
    pages = {p for p, _, _ in PAGES}
    old = sum(1 for it in echoes if it["sender"]["id"] not in pages)
    assert echoes and 0 < old < 0.25 * len(echoes)
    assert all(isinstance(it["message"]["app_id"], int) for it in echoes)
    for kind in ("delivery", "read", "reaction", "pass_thread_control", "take_thread_control"):
        assert small.of(kind), kind
    assert {it["reaction"]["action"] for it in small.of("reaction")} <= {"react", "unreact"}
    assert all("watermark" in it["delivery"] for it in small.of("delivery"))
    assert [k for _, k, _ in small.items if k == "standby"]
    optins = [it["optin"] for it in small.of("optin")]
    assert {o.get("type") for o in optins} >= {None, "notification_messages", "one_time_notif_req"}
    assert any("user_ref" in o for o in optins) and any("ref" in o for o in optins)
    messages = [it["message"] for it in small.of("message") if not it["message"].get("is_echo")]
    assert any("attachments" in m for m in messages) and any("quick_reply" in m for m in messages)


def test_checkbox_optins_name_the_person_in_the_optin_alone(small: Parsed) -> None:
    """The checkbox plugin's optin as Meta's optin doc shows it: no sender, the user_ref in
    `optin.user_ref`. The page's message to that user_ref is in the send log, answered without
    `recipient_id`, and never echoed (no echo for sends to a user_ref); the person's reply comes
    from a PSID, not from the user_ref."""
    pages = {p for p, _, _ in PAGES}
    checkbox = [it for it in small.of("optin") if "user_ref" in it["optin"]]
    assert checkbox
    for it in checkbox:
        assert "sender" not in it and it["recipient"]["id"] in pages
        assert it["optin"]["ref"] == "checkout_checkbox"
    refs = {it["optin"]["user_ref"] for it in checkbox}
    named = [
        it
        for _, _, it in small.items
        if "optin" not in it
        and {it.get("sender", {}).get("user_ref"), it["recipient"].get("user_ref")} & refs
    ]
    assert named == []
    sends = [s for s in small.sends if "user_ref" in s["request"]["recipient"]]
    assert sends and {s["request"]["recipient"]["user_ref"] for s in sends} <= refs
    assert len(sends) >= len(refs) - 1  # one optin may come in the range's last minute
    for s in sends:
        assert "recipient_id" not in s["response"] and s["response"]["message_id"].startswith("m_")
    firsts: dict[tuple[str, str], int] = {}
    for page, _, it in small.items:
        psid = it.get("sender", {}).get("id")
        if psid and psid not in pages and "delivery" not in it:
            firsts[(page, psid)] = min(firsts.get((page, psid), 2**63), ms(it["timestamp"]))
    assert any(
        0 < at - s["timestamp"] <= 6 * 3_600_000 + 60_000
        for s in sends
        for (page, _), at in firsts.items()
        if page == s["page_id"]
    )


def test_ids_and_timestamps(small: Parsed) -> None:
    pages = {p for p, _, _ in PAGES}
    assert all(len(p) in (15, 16) and p.isdigit() for p in pages)
    for _, _, it in small.items:
        for side in (it.get("sender", {}), it["recipient"]):
            if "id" in side and side["id"] not in pages:
                assert side["id"].isdigit() and len(side["id"]) in (16, 17)
        if "message" in it:
            assert it["message"]["mid"].startswith("m_")
    # A delivery receipt has no timestamp, as in Meta's message_deliveries example; every
    # other item has one.
    assert all(("timestamp" in it) == ("delivery" not in it) for _, _, it in small.items)
    assert small.of("delivery")
    seconds = [it for _, _, it in small.items if it.get("timestamp", 1e12) < 1e12]
    assert seconds and all("referral" in it for it in seconds)
    top = [it for w, _, it in small.referrals() if w == "top"]
    assert len(seconds) <= 2 + max(3, 0.1 * len(top))  # ~2%, plus two forced


def test_batches_and_redeliveries(small: Parsed) -> None:
    sizes = [
        sum(len(e.get(k, [])) for e in b["entry"] for k in ("messaging", "standby", "changes"))
        for _, _, b in small.bodies
    ]
    batched = sum(1 for n in sizes if n > 1) / len(sizes)
    assert 0.04 < batched < 0.2 and max(sizes) <= 3
    assert any(len(b["entry"]) > 1 for _, _, b in small.bodies)
    lines_of_mid: dict[str, set[bytes]] = {}
    for _, line, body in small.bodies:
        for e in body["entry"]:
            for it in e.get("messaging", []) + e.get("standby", []):
                if "message" in it and not it["message"].get("is_echo"):
                    lines_of_mid.setdefault(it["message"]["mid"], set()).add(line)
    assert any(len(lines) > 1 for lines in lines_of_mid.values())  # same mid, new POST


# --- dirty input ----------------------------------------------------------------------------------


def test_malformed_lines_are_counted(small: Parsed) -> None:
    assert len(small.bad) == small.summary.malformed_lines >= 3
    reasons = set()
    for name, line in small.bad:
        try:
            obj = json.loads(line)
        except UnicodeDecodeError:
            reasons.add("not utf-8")
            continue
        except ValueError:
            reasons.add("invalid json")
            continue
        body = obj.get("body") if is_receiver_log(name) else obj
        reasons.add("array" if isinstance(body, list) else "no entry")
    assert reasons == {"not utf-8", "invalid json", "array", "no entry"}
    blanks = sum(1 for lines in small.lines.values() for x in lines if not x)
    assert blanks == small.summary.blank_lines >= 1
    assert small.summary.lines == sum(1 for ls in small.lines.values() for x in ls if x)


def test_retried_duplicates_cross_files(small: Parsed) -> None:
    seen: Counter[bytes] = Counter()
    files_of: dict[bytes, set[str]] = {}
    for name, line, _ in small.bodies:
        # the receiver keeps Meta's raw body bytes inside its envelope
        raw = ENVELOPE.fullmatch(line).group(1) if is_receiver_log(name) else line
        seen[raw] += 1
        files_of.setdefault(raw, set()).add(name)
    assert sum(n - 1 for n in seen.values()) == small.summary.duplicate_lines > 0
    assert any(len(names) > 1 for names in files_of.values())
    webhooks = [n for n in small.lines if n.startswith("webhooks-") and not is_receiver_log(n)]
    shared = set(small.lines[webhooks[0]]) & set(small.lines[webhooks[1]]) - {b""}
    assert shared


# --- the click log --------------------------------------------------------------------------------

LEAD_MS = 5 * 60_000  # a click is at most a few minutes before the referral it led to


def registered_links(tmp_path: Path) -> dict[tuple[str, str], bool]:
    """(page, ref) -> is a QR code, as the demo's links CSV registers them."""
    with write_links_csv(tmp_path).open(encoding="utf-8") as f:
        return {(r["page"], r["ref"]): r["channel"] == "qr" for r in csv.DictReader(f)}


def test_click_logs_are_the_receivers_lines_for_registered_links(
    small: Parsed, tmp_path: Path
) -> None:
    """One `clicks-YYYY-MM-DD.<host>-<pid>-<run>.ndjson` per day with clicks, named and written as
    `refscope serve` does, for the links the demo's CSV registers only, with their QR flag."""
    links = registered_links(tmp_path)
    start_ms = int(dt.datetime.combine(small.summary.start, dt.time(), dt.UTC).timestamp()) * 1000
    end_ms = start_ms + ((small.summary.end - small.summary.start).days + 1) * 86_400_000
    names = [n for n in small.lines if n.startswith("clicks-")]
    assert len(names) >= 20 and all(
        re.fullmatch(r"clicks-\d{4}-\d{2}-\d{2}\.demo-1\.ndjson", n) for n in names
    )
    for name in names:
        lines = small.lines[name]
        docs = [json.loads(x) for x in lines]
        assert docs and [d["ts"] for d in docs] == sorted(d["ts"] for d in docs)
        for raw, d in zip(lines, docs, strict=True):
            line = clicklog.click_line(d["ts"], d["ref"], d["page"], d["qr"], d["device"])
            assert raw + b"\n" == line
            assert log_file(Path(), "clicks", d["ts"], "demo-1").name == name
            assert links[(d["page"], d["ref"])] is d["qr"]  # a KeyError: not registered
            assert start_ms <= d["ts"] < end_ms and d["device"] in clicklog.DEVICES
    clicks = [d for _, d in small.clicks]
    assert len(clicks) == sum(len(small.lines[n]) for n in names)
    scans = [d for d in clicks if d["qr"]]
    assert scans and len(scans) < len(clicks)
    assert Counter(d["device"] for d in scans)["mobile"] >= 0.8 * len(scans)
    assert "bot" not in {d["device"] for d in scans}
    assert {d["device"] for d in clicks if not d["qr"]} >= {"mobile", "desktop"}


def first_touches(small: Parsed) -> dict[tuple[str, str], tuple[int, dict]]:
    """(page, psid) -> the time and item of the person's first action of their own."""
    first: dict[tuple[str, str], tuple[int, dict]] = {}
    for page, _, it in small.items:
        psid = it.get("sender", {}).get("id")
        if not psid or psid == page or (it.get("message") or {}).get("is_echo"):
            continue
        if "delivery" in it:  # no timestamp, and no action of the person's own
            continue
        at = ms(it["timestamp"])
        if (page, psid) not in first or at < first[(page, psid)][0]:
            first[(page, psid)] = (at, it)
    return first


def test_every_contact_through_a_tracked_link_clicked_it_first(
    small: Parsed, tmp_path: Path
) -> None:
    """Clicks -> contacts is a funnel: each contact who first wrote through a registered ref
    clicked it a few minutes before at most, and more people clicked than wrote."""
    links = registered_links(tmp_path)
    times: dict[tuple[str, str], list[int]] = {}
    for _, d in small.clicks:
        times.setdefault((d["page"], d["ref"]), []).append(d["ts"])
    contacts: Counter[tuple[str, str]] = Counter()
    for (page, _), (at, it) in first_touches(small).items():
        ref = it.get("referral") or (it.get("postback") or {}).get("referral") or {}
        if ref.get("source") != "SHORTLINK" or (page, ref.get("ref")) not in links:
            continue
        contacts[(page, ref["ref"])] += 1
        assert any(at - LEAD_MS <= t <= at for t in times[(page, ref["ref"])]), (page, ref, at)
    assert len(contacts) >= 6 and any(ref.startswith("qr_") for _, ref in contacts)
    total = sum(len(t) for t in times.values())
    assert 1.5 * sum(contacts.values()) <= total <= 5 * sum(contacts.values())
    ratios = {key: len(times[key]) / n for key, n in contacts.items() if n >= 5}
    assert max(ratios.values()) - min(ratios.values()) >= 0.5  # placements differ
    # A link is clicked from the day it first brought someone in (as a contact or a re-entry);
    # some who come back through it click it again.
    first: dict[tuple[str, str], int] = {}
    again = []
    for where, r, it in small.referrals():
        key, at = (it["recipient"]["id"], r.get("ref")), ms(it["timestamp"])
        if r["source"] == "SHORTLINK" and key in links:
            first[key] = min(first.get(key, at), at)
            if where == "top":
                again.append(any(at - LEAD_MS <= t <= at for t in times.get(key, [])))
    assert any(again) and not all(again)
    for key, ts in times.items():
        assert min(ts) >= first[key] // 86_400_000 * 86_400_000 - LEAD_MS, key
