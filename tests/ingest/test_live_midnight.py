"""The live pipeline across 00:00 UTC: a receiver whose clock passes midnight opens the next
day's file, and ingest rounds read beside it (as `ingest --follow` does) lose nothing,
duplicate nothing, and leave what one ingest of the same logs leaves in a fresh database."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from ingest import db, pipeline
from ingest.receiver import ReceiverConfig
from tests import factories as f
from tests.conftest import Query
from tests.ingest.receiver_server import SECRET, TOKEN, StartReceiver, meta_json

MIDNIGHT = dt.datetime(2026, 3, 8, tzinfo=dt.UTC).timestamp()  # 00:00 UTC, 8 March 2026
TABLES = {
    "events": "* EXCLUDE (run_id)",  # which round read a line differs, by design
    "touches": "*",
    "contacts": "*",
    "contact_days": "*",
}


def test_rounds_beside_a_receiver_passing_midnight_equal_one_ingest_afterwards(
    start_receiver: StartReceiver, tmp_path: Path
) -> None:
    now = [MIDNIGHT - 2.0]
    log_dir = tmp_path / "logs"
    config = ReceiverConfig(log_dir, None, (SECRET,), TOKEN, writer="h-1", registry_refresh=0.0)
    receiver = start_receiver(config, clock=lambda: now[0])
    live, fresh = tmp_path / "live.duckdb", tmp_path / "fresh.duckdb"

    def body(psid: str, ref: str | None = None) -> bytes:
        ts = int(now[0] * 1000)
        items = [f.referral(ref, psid=psid, ts=ts)] if ref else []
        items.append(f.message("hi", psid=psid, ts=ts + 1, mid=f"m_{psid}"))
        return meta_json(f.delivery(*items))

    def post(raw: bytes) -> None:
        assert receiver.post(raw).status_code == 200

    evening = [body("7001", "menu"), body("7002")]
    for raw in evening:
        post(raw)
    pipeline.run([str(log_dir)], live)  # a round before midnight
    now[0] = MIDNIGHT - 0.5
    late = body("7003", "spring")
    post(late)
    now[0] = MIDNIGHT + 0.5
    post(evening[0])  # Meta's retry of a delivery first logged yesterday
    post(body("7004", "menu"))
    pipeline.run([str(log_dir)], live)  # reads the end of yesterday's file and today's start
    now[0] = MIDNIGHT + 3.0
    post(late)
    post(body("7005"))
    pipeline.run([str(log_dir)], live)
    assert pipeline.run([str(log_dir)], live).files_read == 0  # nothing left unread

    names = sorted(p.name for p in log_dir.iterdir())
    assert names == ["webhooks-2026-03-07.h-1.ndjson", "webhooks-2026-03-08.h-1.ndjson"]
    got = Query(live)
    mids = got("SELECT mid, count(*) FROM events WHERE kind = 'message' GROUP BY ALL ORDER BY 1")
    assert mids == [(f"m_700{i}", 1) for i in range(1, 6)]
    assert got("SELECT count(*) FROM rejects") == [(0,)]

    pipeline.run([str(log_dir)], fresh)
    con_sql = f"ATTACH '{fresh}' AS fresh (READ_ONLY)"
    for table, cols in TABLES.items():
        diff = f"""SELECT count(*) FROM (
            (SELECT {cols} FROM {table} EXCEPT ALL SELECT {cols} FROM fresh.{table})
            UNION ALL
            (SELECT {cols} FROM fresh.{table} EXCEPT ALL SELECT {cols} FROM {table}))"""
        assert _attached(live, con_sql, diff) == 0, table
    assert _attached(live, con_sql, "SELECT count(*) FROM contacts") == 5


def _attached(path: Path, attach: str, sql: str) -> int:
    con = db.connect(path, read_only=True)
    try:
        con.execute(attach)
        row = con.execute(sql).fetchone()
        return int(row[0]) if row else 0
    finally:
        con.close()
