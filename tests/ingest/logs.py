"""Helpers shared by the ingest tests: lines ingested into a database of their own, a small log
of every kind, and a snapshot of the tables."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import tests.factories as f
import tests.factories_feed as ff
from ingest import pipeline
from tests.conftest import Query
from tests.factories import DAY, MINUTE, PAGE_ID, T0

DATA_TABLES = ("events", "touches", "contacts", "rejects", "ingest_files", "tracked_links", "pages")


def _ingest_to(tmp: Path, lines: list[Any]) -> Query:
    db_file = tmp / "refscope.duckdb"
    log = f.write_ndjson(tmp / "webhooks.ndjson", lines)
    pipeline.run([str(log)], db_file, keep_text=True)  # these tests read the text back
    return Query(db_file)


def stored(tmp_path: Path, name: str, lines: list[Any]) -> dict[str, list[tuple[Any, ...]]]:
    """events, touches, contacts and rejects of a fresh database (under tmp_path / name) that
    read lines (the log's path, which differs between databases, left out): what two ways of
    logging the same facts must both give."""
    db_file = tmp_path / name / "refscope.duckdb"
    log = f.write_ndjson(tmp_path / name / "sends.ndjson", lines)
    pipeline.run([str(log)], db_file)
    query = Query(db_file)
    return {
        "events": query("SELECT * EXCLUDE (file) FROM events ORDER BY ALL"),
        "touches": query("SELECT * FROM touches ORDER BY ALL"),
        "contacts": query("SELECT * FROM contacts ORDER BY ALL"),
        "rejects": query("SELECT line_no, reason FROM rejects ORDER BY ALL"),
    }


def contact(query: Query, psid: str, page_id: str = PAGE_ID) -> dict[str, Any]:
    """The contacts row of (page_id, psid)."""
    return query.one("SELECT * FROM contacts WHERE page_id = ? AND psid = ?", page_id, psid)


def get_started(psid: str, source: str = "SHORTLINK", ref: str | None = "bio_link", **kw: Any):
    """A new thread from an entry point: Get Started postback with referral, then a message."""
    ts = kw.pop("ts", T0)
    return [
        f.delivery(f.postback(referral=f.referral_obj(ref, source, **kw), psid=psid, ts=ts)),
        f.delivery(f.message("hi", psid=psid, ts=ts + MINUTE)),
    ]


def messages(prefix: str, n: int, ts: int) -> list[Any]:
    return [
        f.delivery(f.message(psid=f"{prefix}{i:02}", ts=ts + i, mid=f"m_{prefix}{i:02}"))
        for i in range(n)
    ]


def full_deliveries(n: int) -> list[f.Json]:
    """n POSTs near the receiver's 1 MiB cap: 1,000 messages of 880 characters each."""
    return [
        f.delivery(*(f.message("x" * 880, psid=f"9{k % 500:015d}", ts=T0 + k, mid=f"m_{k}")
                     for k in range(i * 1000, (i + 1) * 1000)))
        for i in range(n)
    ]  # fmt: skip


def snapshot(query: Query) -> dict[str, list[tuple[Any, ...]]]:
    """Every table but ingest_runs (a run log that grows by design)."""
    tables = query.tables()
    assert set(DATA_TABLES) <= set(tables)
    tables.pop("ingest_runs")
    return tables


def mixed_log() -> list[Any]:
    return [
        f.delivery(f.postback(referral=f.referral_obj("bio_link"), psid="u1", ts=T0)),
        f.delivery(f.message("hi", psid="u1", ts=T0 + MINUTE)),
        f.delivery(f.message("hello", psid="u2", ts=T0 + 2 * MINUTE, referral=f.ads_referral())),
        "{not json",
        "",
        ff.feed(ff.comment(comment_id="c_1", from_id="F1")),
        ff.send_log("c_1", "u3", ts=T0 + 3 * MINUTE),
        f.delivery(f.message("thanks", psid="u3", ts=T0 + 4 * MINUTE)),
        f.delivery(f.read_receipt(T0 + MINUTE, psid="u1", ts=T0 + 5 * MINUTE)),
        {"object": "page", "entry": []},
        f.delivery(f.referral("qr_receipt", psid="u1", ts=T0 + DAY)),
    ]
