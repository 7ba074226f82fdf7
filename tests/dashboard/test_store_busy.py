"""A long ingest holds the database for minutes: the app keeps serving what it read before (at
once, saying so) and catches up when the writer lets go; only a first look waits for it."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from dashboard import store
from ingest.errors import DatabaseLocked
from tests.dashboard.test_concurrency import RANGE

ROOT = Path(__file__).resolve().parents[2]
APP = ROOT / "dashboard" / "streamlit_app.py"

# Opens the database for writing (as an ingest does), registers the busiest m.me ref as a QR
# code when asked (moving its contacts to qr_code), says "ready" and holds the file until its
# stdin closes.
HOLD = """
import sys
from pathlib import Path
from ingest import db, links
con = db.connect(Path(sys.argv[1]))
if sys.argv[2] == "relabel":
    ref, page = con.execute(
        "SELECT ref, page_id FROM contacts WHERE channel = 'm_me_link' "
        "GROUP BY ALL ORDER BY count(*) DESC, 1 LIMIT 1").fetchone()
    links.register(con, [links.make_link(page, ref, "qr")])
print("ready", flush=True)
sys.stdin.read()
con.close()
"""


class Holder:
    """A process holding the database's write lock, as a long ingest does."""

    def __init__(self, path: Path, change: str = "") -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-c", HOLD, str(path), change or "-"],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        assert line == "ready\n", self.proc.stderr.read() if self.proc.stderr else line

    def release(self) -> None:
        _, err = self.proc.communicate("", timeout=60)
        assert self.proc.returncode == 0, err


@pytest.fixture
def held(demo_copy: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Path, list[Holder]]]:
    monkeypatch.setenv("REFSCOPE_DB", str(demo_copy))
    holders: list[Holder] = []
    yield demo_copy, holders
    for h in holders:
        if h.proc.poll() is None:
            h.proc.kill()
            h.proc.communicate()


def test_cached_views_are_served_at_once_while_a_writer_holds_the_file(held):
    path, holders = held
    state = store.status()
    totals = store.fetch("channel_totals", RANGE)
    kpis = store.fetch("kpis", RANGE)
    assert not store.writer_busy()

    holders.append(Holder(path, "relabel"))
    started = time.monotonic()
    assert store.status() == state
    pd.testing.assert_frame_equal(store.fetch("channel_totals", RANGE), totals)
    pd.testing.assert_frame_equal(store.fetch("kpis", RANGE), kpis)
    # Not the READ_RETRY_SECONDS a first look waits: the writer was never waited for.
    assert time.monotonic() - started < store.READ_RETRY_SECONDS
    assert store.writer_busy()

    holders[0].release()
    assert store.status() == state  # the same contacts and run: only a link changed
    assert not store.writer_busy()
    after = store.fetch("channel_totals", RANGE).set_index("channel")["new_contacts"]
    before = totals.set_index("channel")["new_contacts"]
    moved = before["m_me_link"] - after["m_me_link"]
    assert moved > 0 and after["qr_code"] == before.get("qr_code", 0) + moved


def test_a_first_look_waits_for_the_writer_then_says_it_is_busy(held, monkeypatch):
    path, holders = held
    monkeypatch.setattr(store, "READ_RETRY_SECONDS", 0.5)
    holders.append(Holder(path))
    with pytest.raises(DatabaseLocked, match="locked by another process"):
        store.status()
    assert not store.writer_busy()
    holders[0].release()
    assert store.status()[1] > 0


def test_the_app_reloaded_during_a_long_ingest_shows_its_last_data_and_says_so(held):
    path, holders = held

    def overview() -> AppTest:
        at = AppTest.from_file(str(APP), default_timeout=120)
        at.query_params.update(range="Custom", **{"from": str(RANGE.start), "to": str(RANGE.end)})
        return at.run()

    def shown(at: AppTest) -> dict[str, str]:
        assert not at.exception, [e.message for e in at.exception]
        assert not at.error and not at.warning, [e.value for e in (*at.error, *at.warning)]
        return {m.label: str(m.value) for m in at.metric}

    before = shown(overview())
    assert before["New contacts"] and not [i for i in overview().info if "⏳" in str(i.icon)]
    holders.append(Holder(path, "relabel"))  # a writer that has changed the file
    during = overview()
    assert shown(during) == before
    (note,) = [i.value for i in during.info if "being written by another process" in i.value]
    assert f"as of ingest run {store.status()[0]}" in note
    holders[0].release()
    after = overview()
    assert shown(after) == before
    assert not [i for i in after.info if "being written" in i.value]


@pytest.fixture(autouse=True)
def _fresh_state() -> Iterator[None]:
    """No state read of another test's database (or of this one before it) carries over."""
    st.cache_data.clear()
    store._LAST.clear()
    yield
    st.cache_data.clear()
    store._LAST.clear()
