"""`refscope pull logs`: a real HTTP server on 127.0.0.1 with Range support, and resumption
(the server: tests/ingest/fetch_server.py)."""

from __future__ import annotations

import gzip
import os
import time
import tracemalloc
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from ingest import fetch, pipeline, remote
from ingest.errors import SourceError
from tests.ingest.fetch_server import lines, pull_cli, pull_of_no_content

pytestmark = pytest.mark.usefixtures("fast_retries")  # no backoff waits (one test sets its own)


def test_second_pull_asks_only_for_new_bytes(site: Any, db_path: Path, query: Any) -> None:
    s, base = site
    s.files["/log.ndjson"] = lines(0, 50)
    first = remote.pull_logs(base + "/log.ndjson", {}, db_path)
    assert first is not None and first.events_added == 50
    sent_first = s.sent
    s.files["/log.ndjson"] += lines(50, 10)
    second = remote.pull_logs(base + "/log.ndjson", {}, db_path)
    assert second is not None and second.events_added == 10
    assert s.requests[-1]["Range"].startswith("bytes=")
    assert s.sent - sent_first < len(lines(50, 10)) + 4096 + 1  # new bytes + the overlap only
    # Nothing new: a 206 of the overlap alone (the Range starts 4 KiB before the end).
    assert remote.pull_logs(base + "/log.ndjson", {}, db_path) is None
    assert query.scalar("SELECT count(*) FROM events") == 60
    assert query.scalar("SELECT count(DISTINCT line_no) FROM events") == 60
    assert query.scalar("SELECT max(line_no) FROM events") == 60
    assert query.scalar("SELECT DISTINCT file FROM events") == base + "/log.ndjson"


def test_a_signed_url_whose_query_changes_still_asks_only_for_new_bytes(
    site: Any, db_path: Path, query: Any
) -> None:
    """The input is the URL without its query (a signature that changes with each pull): the
    second pull finds what the first read and asks for the bytes after it."""
    s, base = site
    s.files["/log.ndjson?sig=one"] = lines(0, 50)
    first = remote.pull_logs(base + "/log.ndjson?sig=one", {}, db_path)
    assert first is not None and first.events_added == 50
    s.files["/log.ndjson?sig=two"] = lines(0, 50) + lines(50, 10)
    sent = s.sent
    second = remote.pull_logs(base + "/log.ndjson?sig=two", {}, db_path)
    assert second is not None and (second.events_added, second.duplicates) == (10, 0)
    assert s.requests[-1]["Range"].startswith("bytes=")
    assert s.sent - sent < len(lines(50, 10)) + 4096 + 1
    assert query("SELECT path, lines_done FROM ingest_files") == [(base + "/log.ndjson", 60)]


def test_nothing_new_names_the_url_without_its_query_or_user_info(
    site: Any, db_path: Path, runner: CliRunner
) -> None:
    s, base = site
    s.files["/log.ndjson?sig=QUERYSECRET"] = lines(0, 5)
    url = base.replace("//", "//reader:PASSW0RD@") + "/log.ndjson?sig=QUERYSECRET"
    first = pull_cli(runner, url, db_path)
    assert first.exit_code == 0, first.output
    again = pull_cli(runner, url, db_path)
    assert again.exit_code == 0, again.output
    assert f"nothing new at {base}/log.ndjson\n" in again.output, again.output
    for out in (first.output, again.output):
        assert "QUERYSECRET" not in out and "PASSW0RD" not in out


def test_ingest_files_holds_a_pulled_logs_size_as_served(
    site: Any, db_path: Path, query: Any
) -> None:
    """ingest_files.size of a pulled log is the log's size, as for a file on disk, also after a
    pull of only its new bytes."""
    s, base = site
    s.files["/log.ndjson"] = lines(0, 30)
    remote.pull_logs(base + "/log.ndjson", {}, db_path)
    n = len(s.files["/log.ndjson"])
    assert query("SELECT size, offset_done FROM ingest_files") == [(n, n)]
    s.files["/log.ndjson"] += lines(30, 5)
    remote.pull_logs(base + "/log.ndjson", {}, db_path)
    n = len(s.files["/log.ndjson"])
    assert query("SELECT size, offset_done, lines_done FROM ingest_files") == [(n, n, 35)]


def test_a_killed_pulls_download_is_swept_and_a_running_ones_kept(
    site: Any, db_path: Path, query: Any
) -> None:
    s, base = site
    s.files["/log.ndjson"] = lines(0, 5)
    spool = db_path.parent / ".pull"
    spool.mkdir(parents=True)
    killed, running = spool / "refscope-pull-4242-1", spool / "refscope-pull-4343-2"
    for f in (killed, running):
        f.write_bytes(b"x" * 1000)
    two_days_ago = time.time() - 2 * 86400
    os.utime(killed, (two_days_ago, two_days_ago))
    remote.pull_logs(base + "/log.ndjson", {}, db_path)
    assert sorted(p.name for p in spool.iterdir()) == [running.name]
    assert query.scalar("SELECT count(*) FROM events") == 5


def test_a_replaced_file_is_read_whole_without_duplicates(
    site: Any, db_path: Path, query: Any
) -> None:
    s, base = site
    s.files["/log.ndjson"] = lines(0, 30)
    remote.pull_logs(base + "/log.ndjson", {}, db_path)
    s.files["/log.ndjson"] = lines(100, 5) + lines(0, 30)  # rotated: new content first
    res = remote.pull_logs(base + "/log.ndjson", {}, db_path)
    assert res is not None and res.events_added == 5
    assert query.scalar("SELECT count(*) FROM events") == 35


def test_a_pull_stopped_part_way_records_its_committed_lines_and_the_next_pull_finishes_it(
    site: Any, db_path: Path, query: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The download is gone after a run that stops after its first batch: the lines it
    committed are recorded as read part-way (mtime -1), fingerprinted where they end, not at
    the download's end (test_pull_resumed.py)."""
    s, base = site
    s.files["/log.ndjson"] = lines(0, 50)
    monkeypatch.setenv("REFSCOPE_INGEST_BATCH", "2KB")
    load, batches = pipeline._load, []

    def second_batch_fails(*args: Any) -> None:
        batches.append(1)
        if len(batches) == 2:
            raise SourceError("stopped by the test")
        load(*args)

    monkeypatch.setattr(pipeline, "_load", second_batch_fails)
    with pytest.raises(SourceError, match="stopped by the test"):
        remote.pull_logs(base + "/log.ndjson", {}, db_path)
    read = query.scalar("SELECT count(*) FROM events")
    assert 0 < read < 50
    assert query("SELECT offset_done, lines_done, mtime_ns FROM ingest_files") == [
        (len(lines(0, read)), read, -1)
    ]
    monkeypatch.setattr(pipeline, "_load", load)
    res = remote.pull_logs(base + "/log.ndjson", {}, db_path)
    assert res is not None and res.resumed
    assert query.scalar("SELECT count(*) FROM events") == 50
    assert query("SELECT offset_done, lines_done FROM ingest_files") == [
        (len(s.files["/log.ndjson"]), 50)
    ]


def _pulled_then_grown_without_ranges(site: Any, db_path: Path) -> str:
    """A server that ignores Range: 20 lines pulled, then 3 more served; the log's URL."""
    s, base = site
    s.ranges = False
    s.files["/log.ndjson"] = lines(0, 20)
    remote.pull_logs(base + "/log.ndjson", {}, db_path)
    s.files["/log.ndjson"] += lines(20, 3)
    return base + "/log.ndjson"


def test_a_server_without_ranges_still_works(site: Any, db_path: Path, query: Any) -> None:
    url = _pulled_then_grown_without_ranges(site, db_path)
    res = remote.pull_logs(url, {}, db_path)
    # read on from where the first pull stopped (test_fetch_no_ranges.py), not whole again
    assert res is not None and res.events_added == 3 and res.duplicates == 0
    assert query.scalar("SELECT count(*) FROM events") == 23


def test_an_unfinished_last_line_is_pulled_again_once_complete(
    site: Any, db_path: Path, query: Any
) -> None:
    s, base = site
    full = lines(0, 4)
    cut = full.rindex(b"{")
    s.files["/log.ndjson"] = full[: cut + 20]
    remote.pull_logs(base + "/log.ndjson", {}, db_path)
    assert query.scalar("SELECT count(*) FROM events") == 3
    assert query.scalar("SELECT count(*) FROM rejects") == 1
    s.files["/log.ndjson"] = full
    remote.pull_logs(base + "/log.ndjson", {}, db_path)
    assert query.scalar("SELECT count(*) FROM events") == 4
    assert query.scalar("SELECT count(*) FROM rejects") == 0


def test_an_export_answering_no_content_is_nothing_new_not_an_error(
    site: Any, db_path: Path, runner: CliRunner
) -> None:
    """An export endpoint with nothing in it yet may answer 204 No Content."""
    pull_of_no_content(site, "/export", runner, db_path)


def test_a_pull_that_brings_only_part_of_a_line_keeps_the_next_one_to_a_range(
    site: Any, db_path: Path, query: Any
) -> None:
    """A pull whose new bytes end no line keeps the fingerprint of what was read whole, so the
    pull after it still asks only for the bytes after that, not for the whole file again."""
    s, base = site
    s.files["/log.ndjson"] = lines(0, 50)
    remote.pull_logs(base + "/log.ndjson", {}, db_path)
    s.files["/log.ndjson"] = lines(0, 50) + lines(50, 1)[:40]
    remote.pull_logs(base + "/log.ndjson", {}, db_path)
    assert query("SELECT count(*) FROM events") == [(50,)]
    s.files["/log.ndjson"] = lines(0, 52)
    sent = s.sent
    res = remote.pull_logs(base + "/log.ndjson", {}, db_path)
    assert res is not None and (res.events_added, res.duplicates) == (2, 0)
    assert s.requests[-1]["Range"].startswith("bytes=")
    assert s.sent - sent < len(lines(50, 2)) + 4096 + 1
    assert query("SELECT count(*) FROM events") == [(52,)]
    assert query("SELECT count(*) FROM rejects") == [(0,)]


def test_a_shrunk_file_is_read_whole_even_without_a_size_in_the_416(
    site: Any, db_path: Path, query: Any
) -> None:
    s, base = site
    s.range_total = False  # Content-Range on a 416 is only a SHOULD (RFC 9110 §15.5.17)
    s.files["/log.ndjson"] = lines(0, 40)
    remote.pull_logs(base + "/log.ndjson", {}, db_path)
    s.files["/log.ndjson"] = lines(200, 2)  # rotated: a new, short file
    res = remote.pull_logs(base + "/log.ndjson", {}, db_path)
    assert res is not None and res.events_added == 2
    assert query.scalar("SELECT count(*) FROM events") == 42


def test_a_range_ignored_is_not_downloaded_twice(site: Any, db_path: Path, query: Any) -> None:
    s, _ = site
    url = _pulled_then_grown_without_ranges(site, db_path)
    before, sent = len(s.requests), s.sent
    res = remote.pull_logs(url, {}, db_path)
    assert res is not None and res.events_added == 3
    assert len(s.requests) - before == 1  # the 200 to the Range request is the whole file
    assert s.sent - sent == len(s.files["/log.ndjson"])
    assert query.scalar("SELECT count(*) FROM events") == 23


def test_no_spool_file_is_left_behind(site: Any, db_path: Path) -> None:
    s, base = site
    s.files["/export.ndjson.gz"] = gzip.compress(lines(0, 5))
    s.files["/log.ndjson"] = lines(0, 30)
    for _ in range(2):  # the second: a 304, and a 206 with nothing new
        remote.pull_logs(base + "/export.ndjson.gz", {}, db_path)
        remote.pull_logs(base + "/log.ndjson", {}, db_path)
    s.files["/log.ndjson"] = lines(0, 1)  # shrank: a 416, then the whole file
    remote.pull_logs(base + "/log.ndjson", {}, db_path)
    assert list((db_path.parent / ".pull").iterdir()) == []


@pytest.mark.parametrize("validator", ["etag", "last-modified"])
def test_an_unchanged_log_on_a_server_without_ranges_is_not_downloaded_again(
    site: Any, db_path: Path, query: Any, validator: str
) -> None:
    """A server that ignores Range but sends a validator (Python's http.server sends only
    Last-Modified) is asked conditionally: an unchanged log is a 304, nothing is read again."""
    s, base = site
    s.ranges = False
    if validator == "last-modified":
        s.last_modified = "Wed, 15 Nov 2023 08:00:00 GMT"
    s.files["/log.ndjson"] = lines(0, 20)
    remote.pull_logs(base + "/log.ndjson", {}, db_path)
    sent = s.sent
    assert remote.pull_logs(base + "/log.ndjson", {}, db_path) is None
    assert s.sent == sent  # a 304: not downloaded again
    s.files["/log.ndjson"] += lines(20, 3)
    s.last_modified = s.last_modified and "Thu, 16 Nov 2023 08:00:00 GMT"
    res = remote.pull_logs(base + "/log.ndjson", {}, db_path)
    assert res is not None and res.events_added == 3
    assert query.scalar("SELECT count(*) FROM events") == 23
    assert query.scalar("SELECT count(*) FROM rejects") == 0


def test_a_download_is_streamed_to_disk_never_held_in_memory(site: Any, tmp_path: Path) -> None:
    """A log of 16 MB comes to the spool file block by block: the pull's Python memory peaks
    far below the body's size (the server's copy was made before counting)."""
    s, base = site
    s.files["/big.ndjson"] = body = lines(0, 62_000)
    assert len(body) > 16_000_000
    tracemalloc.start()
    try:
        got = fetch.pull(base + "/big.ndjson", None, spool_dir=tmp_path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert got.plan is not None and got.plan.path.read_bytes() == body
    assert peak < len(body) / 4, f"peak {peak:,} bytes for a body of {len(body):,}"
