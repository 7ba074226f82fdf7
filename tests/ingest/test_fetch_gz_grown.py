"""`refscope pull logs` of a gzip export that grew since the last pull (a member appended, or
the export compressed anew with more lines): read on from where the last pull stopped, as a
plain log is and as a local .gz is, not read whole again as a new file."""

from __future__ import annotations

import datetime as dt
import gzip
import json
from pathlib import Path
from typing import Any

import pytest

from ingest import remote
from tests.ingest.fetch_server import lines, run_totals
from tests.ingest.graph_setup import ACCOUNT, TODAY, FakeGraph, insight
from tests.ingest.graph_setup import pull as pull_ads

pytestmark = pytest.mark.usefixtures("fast_retries")

URL = "/export.ndjson.gz"


@pytest.mark.parametrize("appended", [True, False], ids=["member-appended", "compressed-anew"])
def test_a_grown_gz_adds_its_new_lines_only(
    site: Any, db_path: Path, query: Any, appended: bool
) -> None:
    """The changed .gz was read whole under a new file's flag: the lines read before came back
    as duplicates and the bad line as a reject added again, so the runs' rejects (what the
    dashboard's totals add up) grew with every pull while the rejects table held one."""
    s, base = site
    text = lines(0, 20) + b"not json\n"
    s.files[URL] = gzip.compress(text)
    first = remote.pull_logs(base + URL, {}, db_path)
    assert first is not None and (first.events_added, first.rejects_added) == (20, 1)
    for n in range(2):
        more = lines(20 + 3 * n, 3)
        text += more
        s.files[URL] = s.files[URL] + gzip.compress(more) if appended else gzip.compress(text)
        res = remote.pull_logs(base + URL, {}, db_path)
        assert res is not None
        assert (res.lines, res.events_added, res.duplicates, res.rejects_added) == (3, 3, 0, 0)
    assert query.scalar("SELECT count(*) FROM events") == 26
    assert query.scalar("SELECT count(*) FROM rejects") == 1
    assert run_totals(db_path) == (27, 26, 1)
    assert query("SELECT offset_done, lines_done FROM ingest_files") == [(len(text), 27)]
    assert remote.pull_logs(base + URL, {}, db_path) is None  # unchanged: a 304


def test_a_replaced_gz_is_still_read_whole(site: Any, db_path: Path, query: Any) -> None:
    s, base = site
    s.files[URL] = gzip.compress(lines(0, 20))
    remote.pull_logs(base + URL, {}, db_path)
    s.files[URL] = gzip.compress(lines(100, 25))  # longer, other lines: a new export
    res = remote.pull_logs(base + URL, {}, db_path)
    assert res is not None and (res.lines, res.events_added, res.duplicates) == (25, 25, 0)
    assert query.scalar("SELECT count(*) FROM events") == 45


def test_a_grown_gz_does_not_bring_back_its_older_insights_over_a_later_pull(
    site: Any, graph: FakeGraph, db_path: Path, query: Any
) -> None:
    """An insights row of the export, read as of its first pull, came back as of the second
    when the whole export was read again, and replaced the newer numbers of a `pull ads`."""
    s, base = site
    day = str(TODAY - dt.timedelta(days=1))
    page = {"data": [insight(day, "601", "10.00")]}
    text = lines(0, 5) + json.dumps(page).encode() + b"\n"
    s.files[URL] = gzip.compress(text)
    remote.pull_logs(base + URL, {}, db_path)
    assert query.scalar("SELECT spend FROM ad_insights") == 10.0
    graph.rows = [insight(day, "601", "12.50")]  # Meta revised it since
    pull_ads(graph, db_path, since=TODAY - dt.timedelta(days=3))
    assert query("SELECT spend, account_id FROM ad_insights") == [(12.5, ACCOUNT[4:])]
    s.files[URL] = gzip.compress(text + lines(5, 2))
    res = remote.pull_logs(base + URL, {}, db_path)
    assert res is not None and res.events_added == 2
    assert query.scalar("SELECT spend FROM ad_insights") == 12.5


def test_a_grown_gz_export_at_a_url_without_gz_adds_its_new_lines_only(
    site: Any, db_path: Path, query: Any
) -> None:
    s, base = site
    text = lines(0, 10)
    s.files["/export"] = gzip.compress(text)
    remote.pull_logs(base + "/export", {}, db_path)
    assert remote.pull_logs(base + "/export", {}, db_path) is None  # asked with its ETag
    s.files["/export"] = gzip.compress(text + lines(10, 4))
    res = remote.pull_logs(base + "/export", {}, db_path)
    assert res is not None and (res.lines, res.events_added, res.duplicates) == (4, 4, 0)
    assert remote.pull_logs(base + "/export", {}, db_path) is None
