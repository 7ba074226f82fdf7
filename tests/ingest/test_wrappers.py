"""Every documented variant, in every wrapper a real log holds it in, gives the same rows.

Each scenario is a short history of one person (or a comment and its private reply) built as
Meta documents the deliveries (https://developers.facebook.com/docs/messenger-platform/webhooks,
https://developers.facebook.com/docs/graph-api/webhooks/reference/page/). It is written as plain
POST bodies (the reference), then in the receiver's envelope, in `standby[]`, batched with other
pages and people, gzipped, pulled over HTTP, with its instants as seconds or digit strings, and
delivered twice; events, touches and contacts must be those of the plain bodies.
"""

from __future__ import annotations

import copy
import gzip
import json
import os
import threading
from collections.abc import Callable, Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import tests.factories as f
from ingest import db as refscope_db
from ingest import links, pipeline, remote
from ingest.cli import cli
from tests.factories import MINUTE, OTHER_PAGE_ID, PAGE_ID, T0
from tests.ingest.receiver_server import StartReceiver, meta_json

P = "6512345678901234"
NOISE = "7700000000000077"
USER_REF = "chat-plugin-user-ref-42"
COMMENT = "4455667788_1357924680"
# A unit: ("item", item) for a messaging item, ("change", change) for a feed change of the page,
# ("send", line) for a send-log line.
Unit = tuple[str, Any]
# When each delivery was sent (entry.time): after every item of the scenarios.
SENT = T0 + 10 * MINUTE


def _items(*items: Any) -> list[Unit]:
    return [("item", i) for i in items]


def _msg(ts: int, text: str | None = "hi", psid: str = P, **kw: Any) -> Any:
    return f.message(text, psid=psid, ts=ts, **kw)


SCENARIOS: dict[str, list[Unit]] = {
    "message_text": _items(
        _msg(T0), _msg(T0 + MINUTE, "ça va? \U0001f44d https://x/y \u2028 next\u0085line")
    ),
    "message_attachments": _items(
        _msg(
            T0,
            None,
            attachments=[
                {"type": "image", "payload": {"url": "https://x/s.png"}},
                {"type": "sticker", "payload": {"url": "https://x/s.png"}},
            ],
        )
    ),
    "message_quick_reply": _items(_msg(T0, "Yes", quick_reply={"payload": "YES"})),
    "message_ads_referral": _items(_msg(T0, referral=f.ads_referral()), _msg(T0 + MINUTE)),
    "message_shops_product": _items(_msg(T0, referral={"product": {"id": "9876543210"}})),
    "echo_both_directions": _items(
        _msg(T0),
        f.echo("welcome", psid=P, ts=T0 + MINUTE),
        f.echo("old", psid=P, ts=T0 + 2 * MINUTE, reverse=True),
        f.read_receipt(T0 + 2 * MINUTE, psid=P, ts=T0 + 3 * MINUTE),
    ),
    "postback_without_referral": _items(f.postback(psid=P, ts=T0), _msg(T0 + MINUTE)),
    "postback_shortlink": _items(
        f.postback(referral=f.referral_obj("bio_link"), psid=P, ts=T0), _msg(T0 + MINUTE)
    ),
    "postback_ads": _items(f.postback(referral=f.ads_referral(), psid=P, ts=T0), _msg(T0 + MINUTE)),
    "referral_shortlink_before_message": _items(
        f.referral("flyer9", psid=P, ts=T0), _msg(T0 + 1000)
    ),
    "referral_ads_reentry": _items(
        _msg(T0), f.referral(None, "ADS", psid=P, ts=T0 + MINUTE, ad_id="23843301927710456")
    ),
    "referral_messenger_code": _items(
        f.referral("code1", "MESSENGER_CODE", psid=P, ts=T0), _msg(T0 + 1000)
    ),
    "referral_discover_tab": _items(
        f.referral(None, "DISCOVER_TAB", psid=P, ts=T0), _msg(T0 + 1000)
    ),
    "referral_unknown_source": _items(
        f.referral("ig", "IGME-SOURCE-LINK", psid=P, ts=T0), _msg(T0 + 1000)
    ),
    "referral_seconds_precision": _items(f.referral("sec", psid=P, ts=T0 // 1000), _msg(T0 + 1000)),
    "referral_qr_code": _items(f.referral("qr_store12", psid=P, ts=T0), _msg(T0 + 1000)),
    # The messaging_postbacks page's sample: a string timestamp in seconds, SHORT-URL.
    "postback_doc_sample": _items(
        f.postback(referral=f.referral_obj("doc", "SHORT-URL"), psid=P, ts=str(T0 // 1000)),
        _msg(T0 + MINUTE),
    ),
    "chat_plugin_guest": _items(
        f.chat_plugin_referral(USER_REF, ts=T0),
        f.message("hi", psid=USER_REF, sender={"user_ref": USER_REF}, ts=T0 + MINUTE),
    ),
    "chat_plugin_postback": _items(
        f.postback(
            referral=f.referral_obj(
                "menu",
                "CUSTOMER_CHAT_PLUGIN",
                referer_uri="https://shop.example/menu",
                is_guest_user="false",
            ),
            psid=P,
            ts=T0,
        ),
        _msg(T0 + MINUTE),
    ),
    "chat_plugin_user_ref_postback": _items(
        f.postback(
            referral=f.referral_obj(
                "home", "CUSTOMER_CHAT_PLUGIN", referer_uri="https://shop.example/"
            ),
            psid=USER_REF,
            sender={"user_ref": USER_REF},
            ts=T0,
        ),
        f.message("hi", psid=USER_REF, sender={"user_ref": USER_REF}, ts=T0 + MINUTE),
    ),
    "optin_notification_messages": _items(
        f.optin(
            psid=P,
            ts=T0,
            type="notification_messages",
            payload="P",
            ref="rn1",
            source="SHORTLINK",
            notification_messages_token="tok",
            notification_messages_timezone="UTC",
            token_expiry_timestamp=T0 + 10**9,
            notification_messages_topic="news",
        ),
        _msg(T0 + MINUTE),
    ),
    "optin_one_time_notif": _items(
        _msg(T0),
        f.optin(
            psid=P,
            ts=T0 + MINUTE,
            type="one_time_notif_req",
            payload="OTN",
            one_time_notif_token="otn",
        ),
    ),
    "optin_send_to_messenger": _items(f.optin(psid=P, ts=T0, ref="s2m"), _msg(T0 + MINUTE)),
    "optin_checkbox_user_ref": _items(f.optin(psid=None, ts=T0, ref="checkout", user_ref="cb-77")),
    "reaction_delivery_read_handover": _items(
        _msg(T0),
        f.reaction("m_x", psid=P, ts=T0 + MINUTE),
        f.delivery_receipt(["m_e"], T0 + MINUTE, psid=P, ts=T0 + 2 * MINUTE),
        f.read_receipt(T0 + MINUTE, psid=P, ts=T0 + 3 * MINUTE),
        f.handover(psid=P, ts=T0 + 4 * MINUTE),
    ),
    "unknown_item_kinds": _items(
        _msg(T0),
        f.other_item(psid=P, ts=T0 + MINUTE),
        {
            "recipient": {"id": PAGE_ID},
            "timestamp": T0 + 2 * MINUTE,
            "policy_enforcement": {"action": "warning", "reason": "https://x/policy"},
        },
        # An item of a kind refscope does not read, without a timestamp of its own.
        {
            "sender": {"id": P},
            "recipient": {"id": PAGE_ID},
            "messaging_feedback": {"feedback_screens": [{"screen_id": 0}]},
        },
    ),
    "feed_comments": [
        ("change", f.comment("add", created_time=T0 // 1000)),
        ("change", f.comment("edited", text="edited!", created_time=T0 // 1000 + 60)),
        ("change", f.comment("remove", text=None, created_time=T0 // 1000 + 120)),
    ],
    "send_log_private_reply": [
        ("change", f.comment("add", created_time=T0 // 1000)),
        ("send", f.send_log(COMMENT, P, ts=T0 + MINUTE)),
        ("item", _msg(T0 + 2 * MINUTE)),
    ],
    "send_log_and_its_echo": [
        ("send", f.send_log(COMMENT, P, ts=T0 + MINUTE, message_id="m_reply")),
        ("item", f.private_reply_echo(COMMENT, psid=P, ts=T0 + MINUTE, mid="m_reply")),
        ("item", _msg(T0 + 2 * MINUTE)),
        ("item", f.referral(None, "ADS", psid=P, ts=T0 + 3 * MINUTE, ad_id="2384330192771")),
    ],
    "visitor_post_private_reply": [
        (
            "send",
            {
                **f.send_log(psid=P, ts=T0 + MINUTE, message_id="m_post"),
                "request": {"recipient": {"post_id": f"{PAGE_ID}_99887766"}},
            },
        ),
        ("item", _msg(T0 + 2 * MINUTE)),
    ],  # fmt: skip
    "echo_metadata_private_reply": _items(
        f.private_reply_echo(COMMENT, psid=P, ts=T0 + MINUTE), _msg(T0 + 2 * MINUTE)
    ),
}


# --- wrappers: units → {file name: lines} ------------------------------------------------------


def _body(unit: Unit, container: str = "messaging") -> Any:
    kind, x = unit
    if kind == "item":
        return f.delivery(x, container=container, time=SENT)
    if kind == "change":
        return f.feed(x, time=SENT // 1000)
    return x


def plain(units: list[Unit]) -> dict[str, list[Any]]:
    return {"webhooks.ndjson": [_body(u) for u in units]}


def in_envelope(units: list[Unit]) -> dict[str, list[Any]]:
    return {"webhooks.ndjson": [f.envelope(_body(u), received_at=T0 + 3_600_000) for u in units]}


def in_standby(units: list[Unit]) -> dict[str, list[Any]]:
    return {"webhooks.ndjson": [_body(u, "standby") for u in units]}


def _noise(ts: int) -> list[Any]:
    return [
        f.entry(f.message("elsewhere", psid=NOISE, page_id=OTHER_PAGE_ID, ts=ts),
                page_id=OTHER_PAGE_ID, time=SENT),
        f.entry(f.referral("x", psid=NOISE, ts=ts), f.message("me too", psid=NOISE, ts=ts + 5),
                time=SENT),
    ]  # fmt: skip


def batched(units: list[Unit]) -> dict[str, list[Any]]:
    """One POST: other pages' and people's entries around the items, two items per entry."""
    items = [x for k, x in units if k == "item"]
    entries = _noise(T0 - 5000)
    for i in range(0, len(items), 2):
        entries.append(f.entry(*items[i : i + 2], time=SENT))
        entries.extend(_noise(T0 + 7 * i))
    changes = [x for k, x in units if k == "change"]
    if changes:
        entries.append({"id": PAGE_ID, "time": SENT // 1000, "changes": changes})
    sends = [x for k, x in units if k == "send"]
    return {"webhooks.ndjson": [f.batch(*entries), *sends]}


def standby_in_envelope(units: list[Unit]) -> dict[str, list[Any]]:
    return {"webhooks.ndjson": [f.envelope(_body(u, "standby"), SENT + 500) for u in units]}


def one_entry(units: list[Unit]) -> dict[str, list[Any]]:
    """Every messaging item of the scenario in one entry's `messaging` (§1: iterate both)."""
    items = [x for k, x in units if k == "item"]
    rest = [_body(u) for u in units if u[0] != "item"]
    return {"webhooks.ndjson": ([f.delivery(*items, time=SENT)] if items else []) + rest}


def mixed_in_envelope(units: list[Unit]) -> dict[str, list[Any]]:
    """One logged POST: entries of messaging, standby and feed changes, other pages among them."""
    entries = _noise(T0 - 5000)
    for i, (kind, x) in enumerate(units):
        if kind == "item":
            entries.append(f.entry(x, time=SENT, container=("messaging", "standby")[i % 2]))
    changes = [x for k, x in units if k == "change"]
    if changes:
        entries.insert(1, {"id": PAGE_ID, "time": SENT // 1000, "changes": changes})
    sends = [f.envelope(x, SENT + 500) for k, x in units if k == "send"]
    return {"webhooks.ndjson": [f.envelope(f.batch(*entries), SENT + 500), *sends]}


def meta_serialised(units: list[Unit]) -> dict[str, list[Any]]:
    """As Meta writes a body: `\\uXXXX` for non-ASCII, `/` as `\\/`."""
    return {"webhooks.ndjson": [meta_json(_body(u)) for u in units]}


# The webhook field of each item key, for the wrapped form of Meta's samples.
_FIELDS = {
    "postback": "messaging_postbacks",
    "referral": "messaging_referrals",
    "optin": "messaging_optins",
    "delivery": "message_deliveries",
    "read": "message_reads",
    "reaction": "message_reactions",
    "pass_thread_control": "messaging_handovers",
    "message_edit": "message_edits",
    "policy_enforcement": "messaging_policy_enforcement",
    "messaging_feedback": "messaging_feedback",
}


def _field(item: Any) -> str:
    if "message" in item:
        return "message_echoes" if item["message"].get("is_echo") else "messages"
    return next(_FIELDS[k] for k in item if k in _FIELDS)


def samples_in_envelope(units: list[Unit]) -> dict[str, list[Any]]:
    """Each item as Meta's samples show it, `{"field", "value"}` with no entry (README), as the
    receiver logs it: the App Dashboard's test button, or a relay that forwards items so."""
    lines = [{"field": _field(x), "value": x} if k == "item" else x for k, x in units]
    return {"webhooks.ndjson": [f.envelope(x, SENT) for x in lines]}


def gzipped(units: list[Unit]) -> dict[str, list[Any]]:
    return {"webhooks.ndjson.gz": [_body(u) for u in units]}


_INSTANTS = ("timestamp", "time", "watermark", "created_time")


def _restamp(x: Any, how: Callable[[int], Any]) -> Any:
    if isinstance(x, dict):
        return {
            k: how(v) if k in _INSTANTS and isinstance(v, int) else _restamp(v, how)
            for k, v in x.items()
        }
    if isinstance(x, list):
        return [_restamp(v, how) for v in x]
    return x


def _ms(v: int) -> int:
    return v if v >= 10**12 else v * 1000


def restamped(how: Callable[[int], Any], units: list[Unit]) -> dict[str, list[Any]]:
    return plain([(k, _restamp(copy.deepcopy(x), how)) for k, x in units])


WRAPPERS: dict[str, Callable[[list[Unit]], dict[str, list[Any]]]] = {
    "envelope": in_envelope,
    "standby": in_standby,
    "batched": batched,
    "gz": gzipped,
    "standby_in_envelope": standby_in_envelope,
    "one_entry": one_entry,
    "mixed_in_envelope": mixed_in_envelope,
    "meta_serialised": meta_serialised,
    "samples_in_envelope": samples_in_envelope,
    "seconds": partial(restamped, lambda v: _ms(v) // 1000),
    "milliseconds": partial(restamped, _ms),
    "ms_digit_string": partial(restamped, lambda v: str(_ms(v))),
    "s_digit_string": partial(restamped, lambda v: str(_ms(v) // 1000)),
}


def _resent(line: str) -> Any:
    """A retry of a delivery: the same items, its entries' `time` (when it was sent) later."""
    body = json.loads(line)
    for e in body.get("entry", []):
        e["time"] += 20 if "changes" in e else 20_000
    return body


# --- running and comparing ---------------------------------------------------------------------
# Every scenario runs on a page of its own, so that one log holds them all: one ingest per
# wrapper, and each scenario's rows are its page's.
PAGES = {name: f"{PAGE_ID[:-4]}{i:04d}" for i, name in enumerate(SCENARIOS)}


def _on_page(x: Any, page: str) -> Any:
    """A line of a scenario, moved to its page (every id that names the page, post ids too)."""
    text = x.decode() if isinstance(x, bytes) else x if isinstance(x, str) else f.line(x)
    return text.replace(PAGE_ID, page)


def _log(wrap: Callable[[list[Unit]], dict[str, list[Any]]]) -> dict[str, list[str]]:
    """Every scenario in wrap's files, each on its page."""
    files: dict[str, list[str]] = {}
    for name, units in SCENARIOS.items():
        for file, lines in wrap(units).items():
            files.setdefault(file, []).extend(_on_page(x, PAGES[name]) for x in lines)
    return files


def _write(log_dir: Path, files: dict[str, list[Any]]) -> list[Path]:
    paths = []
    for name, lines in files.items():
        path = log_dir / name
        data = b"".join(f._as_bytes(x) + b"\n" for x in lines)
        path.write_bytes(gzip.compress(data) if name.endswith(".gz") else data)
        paths.append(path)
    return paths


# Rows of a scenario's page and people, without where and when they were read.
# (Each query's first column is the page, left out of the rows it gives.)
_ROWS = {
    "events": """SELECT page_id, * EXCLUDE (file, line_no, run_id, is_standby) FROM events
                 WHERE coalesce(psid, '') <> $noise ORDER BY ALL""",
    "touches": "SELECT page_id, * FROM touches WHERE psid <> $noise ORDER BY ALL",
    "contacts": "SELECT page_id, * FROM contacts WHERE psid <> $noise ORDER BY ALL",
    "standby": """SELECT DISTINCT page_id, is_standby FROM events
                  WHERE psid <> $noise AND kind NOT IN ('comment', 'private_reply')
                  ORDER BY ALL""",
}
Rows = dict[str, dict[str, Any]]


def _rows(db: Path) -> Rows:
    """Each scenario's rows, and the rejects of the whole run under "rejects"."""
    con = refscope_db.connect(db, read_only=True)
    try:
        out: Rows = {name: {t: [] for t in _ROWS} for name in PAGES}
        scenario = {page: name for name, page in PAGES.items()}
        for table, sql in _ROWS.items():
            for page, *row in con.execute(sql, {"noise": NOISE}).fetchall():
                if page in scenario:
                    out[scenario[page]][table].append(tuple(row))
        out["rejects"] = {"all": con.execute("SELECT reason, raw FROM rejects").fetchall()}
    finally:
        con.close()
    return out


def _registered(db: Path) -> Path:
    """db, which a new database registers the QR code the scenarios scan in first."""
    if not db.exists():
        con = refscope_db.connect(db)
        try:
            links.register(con, [links.make_link(PAGES["referral_qr_code"], "qr_store12", "qr")])
        finally:
            con.close()
    return db


def _ingest(db: Path, paths: list[Path]) -> None:
    pipeline.run([str(p) for p in paths], _registered(db), keep_text=True)


def _ingested(folder: Path, files: dict[str, list[Any]]) -> Rows:
    db = folder / "db.duckdb"
    _ingest(db, _write(folder, files))
    return _rows(db)


@pytest.fixture(scope="module", autouse=True)
def clean_module_env() -> Iterator[None]:
    """The module's ingests run before each test's clean_env: no REFSCOPE_* of the caller."""
    mp = pytest.MonkeyPatch()
    for name in [n for n in os.environ if n.startswith("REFSCOPE_")]:
        mp.delenv(name)
    yield
    mp.undo()


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> Rows:
    """Each scenario's rows from plain POST bodies, one line each."""
    return _ingested(tmp_path_factory.mktemp("plain"), _log(plain))


@pytest.fixture(scope="module")
def wrapped(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Rows]:
    """Each wrapper's rows, ingested once for all its scenarios."""
    done: dict[str, Rows] = {}

    def rows(wrapper: str) -> Rows:
        if wrapper not in done:
            folder = tmp_path_factory.mktemp(wrapper)
            done[wrapper] = _ingested(folder, _log(WRAPPERS[wrapper]))
        return done[wrapper]

    return rows


def _same(got: Rows, want: Rows, scenario: str) -> None:
    assert got["rejects"]["all"] == []
    for table in ("contacts", "touches", "events"):
        assert got[scenario][table] == want[scenario][table], table


# What "What refscope decides" says of each scenario's contact: (channel, ref, source, ad_id).
DECIDED = {
    "message_text": ("organic", None, None, None),
    "message_ads_referral": ("ctm_ad", None, "ADS", "23843301927710456"),
    "message_shops_product": ("other", None, None, None),
    "postback_without_referral": ("organic", None, None, None),
    "postback_shortlink": ("m_me_link", "bio_link", "SHORTLINK", None),
    "postback_ads": ("ctm_ad", None, "ADS", "23843301927710456"),
    "referral_shortlink_before_message": ("m_me_link", "flyer9", "SHORTLINK", None),
    "referral_ads_reentry": ("organic", None, None, None),
    "referral_messenger_code": ("qr_code", "code1", "MESSENGER_CODE", None),
    "referral_qr_code": ("qr_code", "qr_store12", "SHORTLINK", None),
    "postback_doc_sample": ("m_me_link", "doc", "SHORT-URL", None),
    "chat_plugin_user_ref_postback": ("chat_widget", "home", "CUSTOMER_CHAT_PLUGIN", None),
    "send_log_and_its_echo": ("comment_reply", None, None, None),
    "visitor_post_private_reply": ("comment_reply", None, None, None),
    "referral_unknown_source": ("other", "ig", "IGME-SOURCE-LINK", None),
    "chat_plugin_guest": ("chat_widget", "menu_page", "CUSTOMER_CHAT_PLUGIN", None),
    "chat_plugin_postback": ("chat_widget", "menu", "CUSTOMER_CHAT_PLUGIN", None),
    "optin_notification_messages": ("m_me_link", "rn1", "SHORTLINK", None),
    "optin_send_to_messenger": ("other", "s2m", None, None),
    "send_log_private_reply": ("comment_reply", None, None, None),
    "echo_metadata_private_reply": ("comment_reply", None, None, None),
}


@pytest.mark.parametrize("scenario", DECIDED)
def test_plain_bodies_give_what_refscope_decides(scenario: str, reference: Rows) -> None:
    assert reference["rejects"]["all"] == []
    (contact,) = [c for c in reference[scenario]["contacts"] if c[1] in (P, USER_REF)]
    assert (contact[4], contact[5], contact[6], contact[7]) == DECIDED[scenario]


def test_plain_bodies_give_the_guest_and_the_reentry(reference: Rows) -> None:
    (guest,) = reference["chat_plugin_guest"]["contacts"]
    assert guest[1:3] == (USER_REF, True)  # psid holds the user_ref, is_user_ref
    assert guest[9:11] == ("https://www.acmebakery.example/menu", True)
    (reentry,) = reference["referral_ads_reentry"]["contacts"]
    assert reentry[19] == 1  # reentry_count
    comments = sorted((row[4], row[6]) for row in reference["feed_comments"]["events"])
    assert comments == [(f.utc(T0), "add"), (f.utc(T0 + MINUTE), "edited"),
                        (f.utc(T0 + 2 * MINUTE), "remove")]  # fmt: skip


@pytest.mark.parametrize("scenario", SCENARIOS)
@pytest.mark.parametrize("wrapper", WRAPPERS)
def test_every_wrapper_gives_the_rows_of_plain_bodies(
    wrapper: str, scenario: str, wrapped: Callable[[str], Rows], reference: Rows
) -> None:
    got = wrapped(wrapper)
    _same(got, reference, scenario)
    if wrapper in ("standby", "standby_in_envelope") and scenario != "feed_comments":
        assert got[scenario]["standby"] == [(True,)]


@pytest.fixture(scope="module")
def retried(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Rows]:
    """Every delivery twice: the retry (sent later, logged by the receiver) in another file,
    read by a later run, and both files read in one run."""
    folder = tmp_path_factory.mktemp("retried")
    (first,) = _write(folder, {"webhooks-1.ndjson": _log(plain)["webhooks.ndjson"]})
    resent = [f.envelope(_resent(x), SENT + 20_000) for x in _log(plain)["webhooks.ndjson"]]
    (second,) = _write(folder, {"webhooks-2.ndjson": resent})
    _ingest(folder / "two_runs.duckdb", [first])
    _ingest(folder / "two_runs.duckdb", [first, second])
    _ingest(folder / "one_run.duckdb", [second, first])
    # The retry's log read first (a backfill of older logs comes later).
    _ingest(folder / "retry_first.duckdb", [second])
    _ingest(folder / "retry_first.duckdb", [first, second])
    return {runs: _rows(folder / f"{runs}.duckdb") for runs in RUNS}


RUNS = ("two_runs", "one_run", "retry_first")


@pytest.mark.parametrize("runs", RUNS)
@pytest.mark.parametrize("scenario", SCENARIOS)
def test_a_retry_in_another_file_changes_nothing(
    scenario: str, runs: str, retried: dict[str, Rows], reference: Rows
) -> None:
    _same(retried[runs], reference, scenario)


@pytest.fixture(scope="module")
def pulled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Rows]]:
    """Each scenario's rows from the plain log pulled over HTTP, as it is and gzipped."""
    root = tmp_path_factory.mktemp("served")
    handler = partial(SimpleHTTPRequestHandler, directory=str(root))
    handler.log_message = lambda *a: None  # type: ignore[attr-defined]
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    mp = pytest.MonkeyPatch()
    mp.setenv("REFSCOPE_KEEP_TEXT", "1")
    try:
        out = {}
        for name in ("webhooks.ndjson", "webhooks.ndjson.gz"):
            _write(root, {name: _log(plain)["webhooks.ndjson"]})
            db = root / f"{name}.duckdb"
            url = f"http://127.0.0.1:{server.server_address[1]}/{name}"
            assert remote.pull_logs(url, {}, _registered(db)) is not None
            out[name] = _rows(db)
        yield out
    finally:
        mp.undo()
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize("name", ["webhooks.ndjson", "webhooks.ndjson.gz"])
@pytest.mark.parametrize("scenario", SCENARIOS)
def test_a_pulled_log_gives_the_rows_of_plain_bodies(
    scenario: str, name: str, pulled: dict[str, Rows], reference: Rows
) -> None:
    _same(pulled[name], reference, scenario)


def test_deliveries_posted_to_the_receiver_give_the_rows_of_plain_bodies(
    start_receiver: StartReceiver, tmp_path: Path, reference: Rows
) -> None:
    """Each POST signed and sent as Meta sends it, one alone and one batched, through a real
    receiver; its log (and the page's send log beside it) ingested."""
    receiver = start_receiver()
    sends = []
    for lines in (_log(plain)["webhooks.ndjson"], _log(batched)["webhooks.ndjson"]):
        for text in lines:
            body = json.loads(text)
            if body.get("object") == "send_api":
                sends.append(text)
            else:
                assert receiver.post(meta_json(body)).status_code == 200
    (sent,) = _write(receiver.log_dir, {"sends.ndjson": sends})
    db = tmp_path / "db.duckdb"
    _ingest(db, [*sorted(receiver.log_dir.glob("webhooks-*.ndjson")), sent])
    got = _rows(db)
    for scenario in SCENARIOS:
        _same(got, reference, scenario)


@pytest.mark.parametrize("follow", [[], ["--follow"]], ids=["once", "follow"])
def test_a_url_given_to_ingest_points_to_pull_logs(tmp_path: Path, follow: list[str]) -> None:
    """A log served over HTTP is read with `refscope pull logs URL` (README); `ingest URL`
    said the URL was no such file or directory."""
    url = "http://127.0.0.1:9/webhooks.ndjson"
    db = tmp_path / "db.duckdb"
    res = CliRunner().invoke(cli, ["ingest", *follow, url, "--db", str(db)])
    assert res.exit_code != 0
    assert f"{url}: a URL, not a file or directory: read it with `refscope pull logs URL`" in (
        res.output
    )
