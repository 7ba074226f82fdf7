"""The pages themselves, loaded again and again while an ingest writes run after run: no error
reaches the user, and once the writer stops they show the numbers of its last run."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from tests.dashboard.test_concurrency import PER_RUN, RANGE, fresh, while_ingesting

ROOT = Path(__file__).resolve().parents[2]
APP = ROOT / "dashboard" / "streamlit_app.py"
PAGES = ("overview", "links", "retention", "contacts", "comments")


def load(page: str) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=120)
    at.query_params.update(range="Custom", **{"from": str(RANGE.start), "to": str(RANGE.end)})
    if page != "overview":
        at.switch_page(f"app_pages/{page}.py")
    at.run()
    return at


def shown_new_contacts(at: AppTest) -> str:
    (m,) = [m for m in at.metric if m.label == "New contacts"]
    return str(m.value)


def test_pages_loaded_during_an_ingest_loop_show_no_error_and_catch_up(
    demo_copy, tmp_path, monkeypatch
):
    monkeypatch.setenv("REFSCOPE_DB", str(demo_copy))
    before = int(fresh(demo_copy, "kpis")["new_contacts"].iloc[0])
    loads: list[str] = []
    seen: list[int] = []

    def load_next() -> None:
        page = PAGES[len(loads) % len(PAGES)]
        at = load(page)
        assert not at.exception, (page, [e.message for e in at.exception])
        assert not at.error, (page, [e.value for e in at.error])
        if page == "overview":
            seen.append(int(shown_new_contacts(at).replace(",", "")))
        loads.append(page)

    runs = while_ingesting(demo_copy, tmp_path / "live.ndjson", load_next)
    assert runs >= 2 and len(loads) >= len(PAGES)
    assert seen == sorted(seen) and seen[0] >= before

    # After the run: every page shows what a fresh read of the database says.
    after = before + runs * PER_RUN
    assert int(fresh(demo_copy, "kpis")["new_contacts"].iloc[0]) == after
    assert shown_new_contacts(load("overview")) == f"{after:,}"
    contacts = load("contacts")
    assert f"{after:,} contacts acquired {RANGE.start} – {RANGE.end}" in [
        c.value for c in contacts.caption
    ]
    links = load("links")
    live = fresh(demo_copy, "refs").set_index("ref").loc["live_ref"]
    assert live["new_contacts"] == runs * PER_RUN
    assert len(links.dataframe[0].value) == len(fresh(demo_copy, "refs"))


@pytest.fixture(autouse=True)
def _empty_cache() -> Iterator[None]:
    st.cache_data.clear()
    yield
    st.cache_data.clear()


# Holds the database's write lock, as a long first ingest or a prune does, after committing a
# change (with "write") so the app's status is read again, until its stdin closes.
HOLD_LOCK = """
import sys
import duckdb
con = duckdb.connect(sys.argv[1])
if sys.argv[2] == "write":
    con.execute("UPDATE pages SET name = name || ' (held)'")
print("held", flush=True)
sys.stdin.read()
"""


@pytest.mark.parametrize("change", ["hold", "write"])
def test_a_writer_holding_the_file_past_the_wait_is_a_notice_not_a_traceback(
    small_db, monkeypatch, change
):
    """A writer that keeps the file longer than the app waits (a first ingest of years of logs,
    a prune) made every page not in the cache a DatabaseError traceback, or, once it had
    committed something, the empty database's "point the dashboard at..." advice."""
    monkeypatch.setenv("REFSCOPE_DB", str(small_db))
    monkeypatch.setattr("dashboard.store.READ_RETRY_SECONDS", 1.0)
    assert not load("overview").exception  # the views of these filters are cached
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, str(small_db), change],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "held\n"
        at = AppTest.from_file(str(APP), default_timeout=120)
        at.query_params.update(range="Custom", **{"from": "2023-11-02", "to": "2023-11-20"})
        at.run()
    finally:
        holder.communicate(timeout=60)
    assert not at.exception, [e.message for e in at.exception]
    assert not at.code, [c.value for c in at.code]  # no demo commands for a database in use
    (notice,) = [w.value for w in at.warning if "another process" in w.value]
    assert "is being written by another process" in notice
    assert "reload" in notice
