"""`refscope pull logs` from a server that ignores Range (Python's http.server, many export
endpoints): its 200 holds the whole log, and a log that grew is read on from where the last pull
stopped, as a 206 of a server with ranges is, not read whole again as a new file."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from ingest import remote
from tests.ingest.fetch_server import lines, run_totals
from tests.ingest.graph_setup import ACCOUNT, TODAY, FakeGraph, insight
from tests.ingest.graph_setup import pull as pull_ads

pytestmark = pytest.mark.usefixtures("fast_retries")


def test_a_grown_log_adds_its_new_lines_only(site: Any, db_path: Path, query: Any) -> None:
    """The 200 was read whole under a new file's flag: the lines read before came back as
    duplicates and the bad line as a reject added again, so the runs' rejects (what the
    dashboard's totals add up) grew with every pull while the rejects table held one."""
    s, base = site
    s.ranges = False
    s.files["/log.ndjson"] = lines(0, 20) + b"not json\n"
    first = remote.pull_logs(base + "/log.ndjson", {}, db_path)
    assert first is not None and (first.events_added, first.rejects_added) == (20, 1)
    for n in range(2):
        s.files["/log.ndjson"] += lines(20 + 3 * n, 3)
        res = remote.pull_logs(base + "/log.ndjson", {}, db_path)
        assert res is not None
        assert (res.lines, res.events_added, res.duplicates, res.rejects_added) == (3, 3, 0, 0)
    assert query.scalar("SELECT count(*) FROM events") == 26
    assert query.scalar("SELECT count(*) FROM rejects") == 1
    assert run_totals(db_path) == (27, 26, 1)
    assert query("SELECT offset_done, lines_done FROM ingest_files") == [
        (len(s.files["/log.ndjson"]), 27)
    ]
    # Nothing new: a 200 of the same bytes is no run at all.
    assert remote.pull_logs(base + "/log.ndjson", {}, db_path) is None


def test_a_replaced_log_is_still_read_whole(site: Any, db_path: Path, query: Any) -> None:
    s, base = site
    s.ranges = False
    s.files["/log.ndjson"] = lines(0, 20)
    remote.pull_logs(base + "/log.ndjson", {}, db_path)
    s.files["/log.ndjson"] = lines(100, 25)  # longer, other bytes: a new file
    res = remote.pull_logs(base + "/log.ndjson", {}, db_path)
    assert res is not None and (res.events_added, res.duplicates) == (25, 0)
    assert query.scalar("SELECT count(*) FROM events") == 45
    assert query.scalar("SELECT max(line_no) FROM events WHERE psid = '9124'") == 25


def test_a_grown_log_does_not_bring_back_its_older_insights_over_a_later_pull(
    site: Any, graph: FakeGraph, db_path: Path, query: Any
) -> None:
    """An insights row of the log, read as of its first pull, came back as of the second when
    the whole log was read again, and replaced the newer numbers of a `pull ads` between."""
    s, base = site
    s.ranges = False
    day = str(TODAY - dt.timedelta(days=1))
    page = {"data": [insight(day, "601", "10.00")]}
    s.files["/log.ndjson"] = lines(0, 5) + json.dumps(page).encode() + b"\n"
    remote.pull_logs(base + "/log.ndjson", {}, db_path)
    assert query.scalar("SELECT spend FROM ad_insights") == 10.0
    graph.rows = [insight(day, "601", "12.50")]  # Meta revised it since
    pull_ads(graph, db_path, since=TODAY - dt.timedelta(days=3))
    assert query("SELECT spend, account_id FROM ad_insights") == [(12.5, ACCOUNT[4:])]
    s.files["/log.ndjson"] += lines(5, 2)
    res = remote.pull_logs(base + "/log.ndjson", {}, db_path)
    assert res is not None and res.events_added == 2
    assert query.scalar("SELECT spend FROM ad_insights") == 12.5


@pytest.mark.parametrize("first", [17, 60])  # a part of the gzip stream (206), or none (416)
def test_a_log_stored_gzip_encoded_is_read_on_from_where_the_last_pull_stopped(
    site: Any, db_path: Path, query: Any, first: int
) -> None:
    """A server that sends the file gzip-encoded whatever is asked (S3, an object stored with
    Content-Encoding: gzip) counts a Range in compressed bytes: a slice of the gzip stream
    (refused), or a 416 once the offset is past the compressed size. The log fetched whole
    then was read as a new file: its bad line came back as a reject added again, so the runs'
    rejects grew with every pull while the rejects table held one."""
    s, base = site
    s.gzip_always = True
    s.files["/log.ndjson"] = lines(0, first) + b"not json\n"
    res = remote.pull_logs(base + "/log.ndjson", {}, db_path)
    assert res is not None and (res.events_added, res.rejects_added) == (first, 1)
    s.files["/log.ndjson"] += lines(first, 3)
    before = len(s.requests)
    res = remote.pull_logs(base + "/log.ndjson", {}, db_path)
    assert res is not None
    assert (res.lines, res.events_added, res.duplicates, res.rejects_added) == (3, 3, 0, 0)
    assert ["Range" in r for r in s.requests[before:]] == [True, False]  # the part, the whole
    assert s.requests[-2]["Accept-Encoding"] == "identity"
    assert query.scalar("SELECT count(*) FROM events") == first + 3
    assert run_totals(db_path) == (first + 4, first + 3, 1)
    assert query("SELECT offset_done, lines_done FROM ingest_files") == [
        (len(s.files["/log.ndjson"]), first + 4)
    ]
