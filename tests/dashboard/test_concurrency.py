"""The dashboard reads while an ingest writes the same file: readers wait, never fail, and catch
up with the last run once the writer stops."""

from __future__ import annotations

import contextlib
import datetime as dt
import queue
import subprocess
import sys
import threading
import time
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
RUNS = 4  # the ingest runs the writer makes
READS_BETWEEN = 3  # reads begun after a run landed before the writer makes the next
DEADLINE_SECONDS = 600  # for the whole loop, on however loaded a machine
PER_RUN = 5  # new contacts each ingest run adds
RANGE = Filters(dt.date(2026, 11, 1), dt.date(2026, 11, 24))

# Appends PER_RUN new contacts (a postback from an m.me link, then a message) to a log and
# ingests it, the given number of runs; after each it says "landed" and waits for a line on
# its stdin (the readers have read since) before the next.
INGEST_LOOP = """
import sys
from pathlib import Path
from ingest import pipeline
from tests import factories as fx

db_file, log, runs, per_run = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3]), \\
    int(sys.argv[4])
t0 = 1_795_176_000_000  # 2026-11-20 12:00 UTC
for run in range(runs):
    lines = []
    for j in range(per_run):
        n = run * per_run + j
        psid, ts = f"9{n:015d}", t0 + n * fx.MINUTE
        ref = fx.referral_obj("live_ref")
        lines.append(fx.delivery(fx.postback(referral=ref, psid=psid, ts=ts)))
        lines.append(fx.delivery(fx.message("hi", psid=psid, ts=ts + 1000)))
    fx.write_ndjson(log, lines, mode="a")
    result = pipeline.run([str(log)], db_file)
    assert result.new_contacts == per_run, result
    print("landed", flush=True)
    sys.stdin.readline()
"""


def while_ingesting(
    db_file: Path,
    log: Path,
    step: Callable[[], None],
    runs: int = RUNS,
    reads_between: int = READS_BETWEEN,
) -> int:
    """Runs INGEST_LOOP on db_file and log in another process, calling step() until it is done;
    the runs it made. The writer goes on to its next run once step() has been called
    reads_between times after the last run landed, not after a delay: on a loaded machine
    the reads between runs still happen, and the reads during a run too."""
    args = [str(db_file), str(log), str(runs), str(PER_RUN)]
    with subprocess.Popen(
        [sys.executable, "-c", INGEST_LOOP, *args],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as writer:
        assert writer.stdin and writer.stdout and writer.stderr
        said: queue.Queue[str] = queue.Queue()  # the writer's lines, one per run landed
        out = writer.stdout
        lines = threading.Thread(target=lambda: [said.put(line) for line in out], daemon=True)
        lines.start()
        landed, reads = 0, 0  # reads begun since the last run landed
        deadline = time.monotonic() + DEADLINE_SECONDS
        try:
            while writer.poll() is None:
                assert time.monotonic() < deadline, f"{landed} runs in {DEADLINE_SECONDS} s"
                step()
                reads += 1
                with contextlib.suppress(queue.Empty):
                    assert said.get_nowait() == "landed\n"
                    landed, reads = landed + 1, 0
                if landed and reads == reads_between:  # read enough since: the next run
                    with contextlib.suppress(BrokenPipeError):  # it ended: its error follows
                        writer.stdin.write("\n")
                        writer.stdin.flush()
            err = writer.stderr.read()
        finally:
            if writer.poll() is None:
                writer.kill()
            writer.wait()
            lines.join(timeout=60)  # its stdout read to the end before it is closed
    assert writer.returncode == 0, err
    return landed


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
    assert runs == RUNS, f"the writer was starved: {runs} of {RUNS} runs"
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
