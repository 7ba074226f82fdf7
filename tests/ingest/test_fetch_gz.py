"""`refscope pull logs` of gzip: .gz exports fetched again only when changed, .gz objects
served decompressed, servers that gzip their answers, and a .gz cut short or damaged."""

from __future__ import annotations

import gzip
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from ingest import remote
from tests.ingest.fetch_server import lines, pull_cli, pull_of_no_content

pytestmark = pytest.mark.usefixtures("fast_retries")  # no backoff waits (one test sets its own)


def test_gz_export_uses_a_conditional_get(site: Any, db_path: Path, query: Any) -> None:
    s, base = site
    s.files["/export.ndjson.gz"] = gzip.compress(lines(0, 40))
    res = remote.pull_logs(base + "/export.ndjson.gz", {}, db_path)
    assert res is not None and res.events_added == 40
    assert remote.pull_logs(base + "/export.ndjson.gz", {}, db_path) is None
    assert s.requests[-1].get("If-None-Match")


def test_gz_export_uses_last_modified_when_the_server_sends_no_etag(
    site: Any, db_path: Path, query: Any
) -> None:
    s, base = site
    s.last_modified = "Wed, 15 Nov 2023 08:00:00 GMT"
    s.files["/export.ndjson.gz"] = gzip.compress(lines(0, 40))
    res = remote.pull_logs(base + "/export.ndjson.gz", {}, db_path)
    assert res is not None and res.events_added == 40
    sent = s.sent
    assert remote.pull_logs(base + "/export.ndjson.gz", {}, db_path) is None
    assert s.requests[-1].get("If-Modified-Since") == s.last_modified
    assert s.sent == sent  # a 304: not downloaded again
    s.last_modified = "Thu, 16 Nov 2023 08:00:00 GMT"
    s.files["/export.ndjson.gz"] = gzip.compress(lines(0, 45))
    res = remote.pull_logs(base + "/export.ndjson.gz", {}, db_path)
    assert res is not None and (res.events_added, res.rejects_added) == (5, 0)
    assert query("SELECT count(*) FROM events") == [(45,)]


def test_a_last_modified_in_asctime_form_is_asked_with(site: Any, db_path: Path) -> None:
    """RFC 9110 §5.6.7: a recipient takes an HTTP date in any of three forms, asctime's (no
    zone: GMT) among them. Such a Last-Modified beside the answer's Date (with its zone) was
    taken for no validator, so an unchanged .gz was downloaded whole at every pull."""
    s, base = site
    s.last_modified = "Wed Nov 15 08:00:00 2023"
    s.files["/export.ndjson.gz"] = gzip.compress(lines(0, 40))
    assert remote.pull_logs(base + "/export.ndjson.gz", {}, db_path) is not None
    sent = s.sent
    assert remote.pull_logs(base + "/export.ndjson.gz", {}, db_path) is None
    assert s.requests[-1].get("If-Modified-Since") == s.last_modified
    assert s.sent == sent  # a 304: not downloaded again


def test_a_gz_object_served_decompressed_is_read_as_plain_text(
    site: Any, db_path: Path, query: Any
) -> None:
    """Cloud Storage serves a gzip object stored with Content-Encoding: gzip decompressed to a
    request that does not accept gzip (decompressive transcoding), so the .gz URL answers plain
    NDJSON: https://cloud.google.com/storage/docs/transcoding. It was "Not a gzipped file"."""
    s, base = site
    s.files["/logs/day.ndjson.gz"] = lines(0, 30)  # what the identity request gets back
    res = remote.pull_logs(base + "/logs/day.ndjson.gz", {}, db_path)
    assert res is not None and (res.events_added, res.rejects_added) == (30, 0)
    assert remote.pull_logs(base + "/logs/day.ndjson.gz", {}, db_path) is None  # same ETag
    s.files["/logs/day.ndjson.gz"] = lines(0, 45)
    res = remote.pull_logs(base + "/logs/day.ndjson.gz", {}, db_path)
    assert res is not None and (res.events_added, res.rejects_added) == (15, 0)
    assert query("SELECT count(*), count(DISTINCT event_key) FROM events") == [(45, 45)]


def test_a_gz_object_served_decompressed_with_a_byte_order_mark_is_read(
    site: Any, db_path: Path, query: Any
) -> None:
    """A log saved by a Windows tool starts with a byte order mark: served decompressed at its
    .gz URL, it is still NDJSON text, not "Not a gzipped file"."""
    s, base = site
    s.files["/logs/win.ndjson.gz"] = b"\xef\xbb\xbf" + lines(0, 3)
    res = remote.pull_logs(base + "/logs/win.ndjson.gz", {}, db_path)
    assert res is not None and (res.events_added, res.rejects_added) == (3, 0)
    assert query("SELECT count(*) FROM events") == [(3,)]


def test_a_gz_export_at_a_url_without_gz_is_read_as_one(
    site: Any, db_path: Path, query: Any
) -> None:
    s, base = site
    s.files["/export"] = gzip.compress(lines(0, 30))
    s.content_types["/export"] = "application/gzip"
    s.files["/day1.ndjson.gz"] = gzip.compress(lines(30, 20))
    s.redirects = {"/latest": "/day1.ndjson.gz"}
    for path, n in (("/export", 30), ("/latest", 20)):
        res = remote.pull_logs(base + path, {}, db_path)
        assert res is not None and (res.events_added, res.rejects_added) == (n, 0), path
    assert query("SELECT count(*) FROM events") == [(50,)]
    # Pulled again: read whole again, and nothing is added twice.
    res = remote.pull_logs(base + "/export", {}, db_path)
    assert res is None or (res.events_added, res.rejects_added) == (0, 0)
    assert query("SELECT count(*) FROM rejects") == [(0,)]


def test_ranges_count_the_file_bytes_when_the_server_gzips(
    site: Any, db_path: Path, query: Any
) -> None:
    s, base = site
    s.gzip_encoding = True
    s.files["/log.ndjson"] = lines(0, 50)
    first = remote.pull_logs(base + "/log.ndjson", {}, db_path)
    assert first is not None and first.events_added == 50  # gzip-encoded, decoded on the way
    s.files["/log.ndjson"] += lines(50, 10)
    second = remote.pull_logs(base + "/log.ndjson", {}, db_path)
    assert second is not None and second.events_added == 10 and second.duplicates == 0
    assert s.requests[-1]["Range"].startswith("bytes=")
    assert s.requests[-1]["Accept-Encoding"] == "identity"
    assert query.scalar("SELECT count(*) FROM events") == 60
    assert query.scalar("SELECT count(*) FROM rejects") == 0


def test_a_range_gzipped_against_the_identity_asked_is_refused_and_the_file_read_whole(
    site: Any, db_path: Path, query: Any
) -> None:
    """A server that gzips its answer to a Range asking for the identity encoding sends a slice
    of a gzip stream, which no decoder can read: the part is kept raw and refused, and the file
    is fetched whole, not the pull failed."""
    s, base = site
    s.gzip_always = True
    s.files["/log.ndjson"] = lines(0, 17)  # more than OVERLAP: the range starts past byte 0
    first = remote.pull_logs(base + "/log.ndjson", {}, db_path)
    assert first is not None and first.events_added == 17
    s.files["/log.ndjson"] += lines(17, 3)
    before = len(s.requests)
    second = remote.pull_logs(base + "/log.ndjson", {}, db_path)
    assert second is not None and (second.events_added, second.rejects_added) == (3, 0)
    assert ["Range" in r for r in s.requests[before:]] == [True, False]  # the part, the whole
    assert query("SELECT count(*) FROM events") == [(20,)]


def test_a_gz_cut_short_says_what_was_read_under_its_url(
    site: Any, db_path: Path, runner: CliRunner, query: Any
) -> None:
    s, base = site
    whole = gzip.compress(lines(0, 3000))
    s.files["/t.ndjson.gz"] = whole[: len(whole) * 2 // 3]
    out = pull_cli(runner, base + "/t.ndjson.gz", db_path)
    assert out.exit_code == 0, out.output
    (n,) = query("SELECT count(*) FROM events")[0]
    assert 0 < n < 3000
    assert f"warning: {base}/t.ndjson.gz: the compressed stream ends early" in out.output
    assert "refscope-pull-" not in out.output and "nothing new to read" not in out.output
    assert f"{n:,} events ({n:,} new" in out.output


def test_a_damaged_gz_is_an_error_under_its_url_not_the_download_file(
    site: Any, db_path: Path, runner: CliRunner
) -> None:
    """The pull reads a download file the user never named: its error names the URL."""
    s, base = site
    whole = gzip.compress(lines(0, 300))
    s.files["/d.ndjson.gz"] = whole[:30] + bytes(b ^ 0x55 for b in whole[30:60]) + whole[60:]
    out = pull_cli(runner, base + "/d.ndjson.gz", db_path)
    assert out.exit_code == 1, out.output
    assert f"{base}/d.ndjson.gz: cannot read" in out.output
    assert "refscope-pull-" not in out.output


def test_an_error_or_warning_under_a_signed_url_shows_neither_its_query_nor_user_info(
    site: Any, db_path: Path, runner: CliRunner
) -> None:
    """The download file's name is replaced by the URL as `nothing new at` shows it: without
    the signature or the password a terminal, or cron's log, would keep."""
    s, base = site
    whole = gzip.compress(lines(0, 3000))
    s.files["/d.ndjson.gz?sig=QUERYSECRET"] = whole[:30] + bytes(b ^ 0x55 for b in whole[30:60])
    s.files["/t.ndjson.gz?sig=QUERYSECRET"] = whole[: len(whole) * 2 // 3]
    signed = base.replace("//", "//reader:PASSW0RD@") + "/{}.ndjson.gz?sig=QUERYSECRET"
    damaged = pull_cli(runner, signed.format("d"), db_path)
    assert damaged.exit_code == 1, damaged.output
    assert f"Error: {base}/d.ndjson.gz: cannot read" in damaged.output
    cut = pull_cli(runner, signed.format("t"), db_path)
    assert cut.exit_code == 0, cut.output
    assert f"warning: {base}/t.ndjson.gz: the compressed stream ends early" in cut.output
    for out in (damaged.output, cut.output):
        assert "QUERYSECRET" not in out and "PASSW0RD" not in out
        assert "refscope-pull-" not in out


@pytest.mark.parametrize("path", ["/t.ndjson.gz", "/t.ndjson"])
def test_a_last_modified_of_the_second_the_answer_was_sent_is_not_asked_with(
    site: Any, db_path: Path, query: Any, path: str
) -> None:
    """A file written again within the second its answer was sent keeps that Last-Modified (a
    second's resolution), so such a one is weak (RFC 9110 §8.8.2.2): If-Modified-Since with it
    would be a 304 and the rest of the file never read."""
    s, base = site
    s.last_modified = s.date = "Wed, 15 Nov 2023 08:00:00 GMT"
    whole = lines(0, 3000)
    half = whole[: whole.rindex(b"\n", 0, len(whole) // 2) + 1]
    s.files[path] = gzip.compress(half) if path.endswith(".gz") else half
    remote.pull_logs(base + path, {}, db_path)
    assert query("SELECT count(*) FROM events") == [(half.count(b"\n"),)]
    s.files[path] = gzip.compress(whole) if path.endswith(".gz") else whole  # the same second
    s.date = "Wed, 15 Nov 2023 08:00:05 GMT"
    res = remote.pull_logs(base + path, {}, db_path)
    assert res is not None and res.events_added == 3000 - half.count(b"\n")
    assert query("SELECT count(*) FROM events") == [(3000,)]
    assert not any("If-Modified-Since" in r for r in s.requests)


def test_an_unchanged_gz_export_at_a_url_without_gz_is_not_downloaded_again(
    site: Any, db_path: Path, query: Any
) -> None:
    """A gzip export at /export is read whole, as one at a .gz URL, and asked again as that one
    is: with its ETag, so an unchanged export is a 304, nothing new."""
    s, base = site
    s.files["/export"] = gzip.compress(lines(0, 30))
    s.content_types["/export"] = "application/gzip"
    remote.pull_logs(base + "/export", {}, db_path)
    sent = s.sent
    assert remote.pull_logs(base + "/export", {}, db_path) is None
    assert s.sent == sent and s.requests[-1].get("If-None-Match")
    s.files["/export"] = gzip.compress(lines(0, 35))
    res = remote.pull_logs(base + "/export", {}, db_path)
    assert res is not None and (res.events_added, res.rejects_added) == (5, 0)
    assert query("SELECT count(*) FROM events") == [(35,)]


def test_a_gz_export_answering_no_content_is_nothing_new_not_an_error(
    site: Any, db_path: Path, runner: CliRunner, query: Any
) -> None:
    """An export endpoint with nothing in it yet may answer 204 No Content, at a .gz URL as at
    another (whose 204 is nothing new): it was an error, "HTTP 204 to a plain GET"."""
    s, base = site
    pull_of_no_content(site, "/export.ndjson.gz", runner, db_path)
    # Once it has lines, they are read; answering 204 again later is nothing new either.
    del s.answers["/export.ndjson.gz"]
    s.files["/export.ndjson.gz"] = gzip.compress(lines(0, 4))
    res = pull_cli(runner, base + "/export.ndjson.gz", db_path)
    assert res.exit_code == 0, res.output
    s.answers["/export.ndjson.gz"] = 204
    res = pull_cli(runner, base + "/export.ndjson.gz", db_path)
    assert res.exit_code == 0 and "nothing new" in res.output, res.output
    assert query("SELECT count(*) FROM events") == [(4,)]
