"""The dashboard reads while an ingest writes the same file: readers wait, never fail, and catch
up with the last run once the writer stops."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
import streamlit as st

from dashboard import queries, store
from dashboard.filters import Filters
from ingest import db, links, retention
from ingest.privacy import Privacy

ROOT = Path(__file__).resolve().parents[2]
WRITE_SECONDS = 8.0  # how long the ingest loop runs
PER_RUN = 5  # new contacts each ingest run adds
RANGE = Filters(dt.date(2026, 11, 1), dt.date(2026, 11, 24))

# Appends PER_RUN new contacts (a postback from an m.me link, then a message) to a log and
# ingests it, about once a second, until WRITE_SECONDS have passed; prints the runs made.
INGEST_LOOP = """
import sys, time
from pathlib import Path
from ingest import pipeline
from tests import factories as fx

db_file, log, seconds, per_run = Path(sys.argv[1]), Path(sys.argv[2]), float(sys.argv[3]), \\
    int(sys.argv[4])
t0 = 1_795_176_000_000  # 2026-11-20 12:00 UTC
stop = time.monotonic() + seconds
runs = 0
while time.monotonic() < stop:
    lines = []
    for j in range(per_run):
        n = runs * per_run + j
        psid, ts = f"9{n:015d}", t0 + n * fx.MINUTE
        ref = fx.referral_obj("live_ref")
        lines.append(fx.delivery(fx.postback(referral=ref, psid=psid, ts=ts)))
        lines.append(fx.delivery(fx.message("hi", psid=psid, ts=ts + 1000)))
    fx.write_ndjson(log, lines, mode="a")
    result = pipeline.run([str(log)], db_file)
    assert result.new_contacts == per_run, result
    runs += 1
    time.sleep(1.0)
print(runs)
"""


def while_ingesting(db_file: Path, log: Path, step: Callable[[], None]) -> int:
    """Runs INGEST_LOOP on db_file and log in another process, calling step() until it is done;
    the runs it made."""
    args = [str(db_file), str(log), str(WRITE_SECONDS), str(PER_RUN)]
    writer = subprocess.Popen(
        [sys.executable, "-c", INGEST_LOOP, *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        while writer.poll() is None:
            step()
        out, err = writer.communicate(timeout=60)
    finally:
        if writer.poll() is None:
            writer.kill()
            writer.communicate()
    assert writer.returncode == 0, err
    return int(out.split()[-1])


def fresh(path: Path, name: str) -> pd.DataFrame:
    con = db.connect(path, read_only=True)
    queries.install_macros(con)
    try:
        frame: pd.DataFrame = getattr(queries, name)(con, RANGE)
        return frame
    finally:
        con.close()


def test_reads_during_an_ingest_loop_never_fail_and_catch_up(demo_copy, tmp_path, monkeypatch):
    monkeypatch.setenv("REFSCOPE_DB", str(demo_copy))
    st.cache_data.clear()
    before = int(fresh(demo_copy, "kpis")["new_contacts"].iloc[0])
    seen: list[int] = []

    def read() -> None:
        kpis = store.fetch("kpis", RANGE)
        store.fetch("channel_totals", RANGE)
        store.fetch("refs", RANGE)
        with store.reading() as con:
            by_day = queries.new_contacts_by_day(con, RANGE)
        seen.append(int(kpis["new_contacts"].iloc[0]))
        assert int(by_day["contacts"].sum()) >= seen[-1]  # read later, never older

    runs = while_ingesting(demo_copy, tmp_path / "live.ndjson", read)
    assert runs >= 3, f"the writer was starved: {runs} runs in {WRITE_SECONDS} s"
    assert len(seen) >= 10  # reads
    assert seen == sorted(seen) and seen[0] >= before
    assert len(set(seen)) > 1, "the reads never saw an ingest land"

    # After the loop: the cached reads equal a fresh read and count every contact added.
    after = before + runs * PER_RUN
    assert store.status()[0] == 1 + runs
    for name in ("kpis", "channel_totals", "refs"):
        pd.testing.assert_frame_equal(store.fetch(name, RANGE), fresh(demo_copy, name))
    assert int(store.fetch("kpis", RANGE)["new_contacts"].iloc[0]) == after
    live = store.fetch("refs", RANGE).set_index("ref").loc["live_ref"]
    assert live["new_contacts"] == runs * PER_RUN
    assert live["too_few"] == (runs * PER_RUN < queries.MIN_SAMPLE)


def test_commands_other_than_an_ingest_refresh_the_cached_views(demo_copy, monkeypatch):
    """Registering a QR ref re-labels its contacts at once, and `forget` removes a person:
    neither writes an ingest run, and the cache must not keep the old figures."""
    monkeypatch.setenv("REFSCOPE_DB", str(demo_copy))
    st.cache_data.clear()
    totals = store.fetch("channel_totals", RANGE).set_index("channel")["new_contacts"]
    con = db.connect(demo_copy)
    try:
        # The busiest ref whose contacts are m_me_link now: registering it as a QR code moves them.
        ref, page, n = con.execute(
            """SELECT ref, page_id, count(*) FROM contacts
               WHERE channel = 'm_me_link' AND first_seen_at >= ? AND first_seen_at < ?
               GROUP BY ALL ORDER BY 3 DESC, 1 LIMIT 1""",
            [RANGE.start, RANGE.end + dt.timedelta(days=1)],
        ).fetchone()
        links.register(con, [links.make_link(page, ref, "qr")])
    finally:
        con.close()
    after = store.fetch("channel_totals", RANGE).set_index("channel")["new_contacts"]
    assert after["m_me_link"] == totals["m_me_link"] - n
    assert after.get("qr_code", 0) == totals.get("qr_code", 0) + n

    before = int(store.fetch("kpis", RANGE)["new_contacts"].iloc[0])
    con = db.connect(demo_copy)
    try:
        (psid, page) = con.execute(
            "SELECT psid, page_id FROM contacts WHERE first_seen_at >= ? LIMIT 1", [RANGE.start]
        ).fetchone()
        retention.forget(con, psid, page, Privacy())
    finally:
        con.close()
    assert int(store.fetch("kpis", RANGE)["new_contacts"].iloc[0]) == before - 1

    # A commenter is no contact: forgetting one deletes comment events only.
    comments = int(store.fetch("comments", RANGE)["comments"].sum())
    con = db.connect(demo_copy)
    try:
        (commenter, page, n) = con.execute(
            """SELECT commenter_id, page_id, count(*) FROM events
               WHERE kind = 'comment' AND detail = 'add' AND ts >= ? AND ts < ?
               GROUP BY ALL ORDER BY 3 DESC, 1 LIMIT 1""",
            [RANGE.start, RANGE.end + dt.timedelta(days=1)],
        ).fetchone()
        retention.forget(con, commenter, page, Privacy())
    finally:
        con.close()
    assert int(store.fetch("comments", RANGE)["comments"].sum()) == comments - n


@pytest.fixture(autouse=True)
def _empty_cache() -> None:
    """Cached frames of this test's temporary database must not outlive it."""
    st.cache_data.clear()
