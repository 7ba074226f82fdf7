"""`refscope pull logs` when the connection drops before a body's end (a proxy or a flaky link
that cuts large downloads): the download goes on from the bytes already spooled (a Range, with
an If-Range naming the version cut, so a file replaced meanwhile is never spliced to it; without
one, from 4 KiB before the cut, those bytes proving the same file), is asked anew where it
cannot (no Range, a gzip Content-Encoding, a chunked answer without a validator), and is given up
only after 5 attempts in a row that bring it no further. What lands equals one clean pull."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import pytest

from ingest import fetch, remote
from ingest.errors import SourceError
from tests.conftest import Query
from tests.ingest.fetch_server import lines
from tests.ingest.logs import snapshot

pytestmark = pytest.mark.usefixtures("fast_retries")  # no backoff waits

BODY = lines(0, 3000)  # 770,890 bytes
FIRST = lines(0, 1000)  # what a first pull of a log that grows to BODY reads
# BODY replaced by a file of the same size from other senders (the events' psid and mid, both
# stored: 9000…11999 become 8000…8999 and 20000…21999): a splice of the two holds some of both
NEW = BODY
for was, now in ((b"9", b"8"), (b"1", b"2")):
    NEW = NEW.replace(b'"sender": {"id": "' + was, b'"sender": {"id": "' + now)
    NEW = NEW.replace(b'"mid": "m_' + was, b'"mid": "m_' + now)


def senders(*bodies: bytes) -> set[str]:
    return {
        json.loads(line)["entry"][0]["messaging"][0]["sender"]["id"]
        for b in bodies
        for line in b.splitlines()
    }


def psids(query: Query) -> set[str]:
    """Every event's and contact's psid."""
    return {row[0] for row in query("SELECT psid FROM events UNION SELECT psid FROM contacts")}


def clean(site: Any, tmp_path: Path, path: str, *grown: bytes) -> dict[str, Any]:
    """The tables the pulls of path leave without a cut: one of what it serves now, or one of
    each of grown in turn; what it served is served again after."""
    s, base = site
    was, cuts, s.cuts = s.files[path], s.cuts, []
    db_file = tmp_path / "clean" / "refscope.duckdb"
    db_file.parent.mkdir()
    for body in grown or (was,):
        s.files[path] = body
        assert remote.pull_logs(base + path, {}, db_file) is not None
    s.files[path], s.cuts = was, cuts
    s.requests.clear()
    return snapshot(Query(db_file))


def read_first(site: Any, db_path: Path, tmp_path: Path, then: bytes) -> dict[str, Any]:
    """The tables clean pulls of FIRST then of `then` leave; FIRST pulled into db_path, then
    BODY served (FIRST grown)."""
    s, base = site
    s.files["/log.ndjson"] = BODY
    want = clean(site, tmp_path, "/log.ndjson", FIRST, then)
    s.files["/log.ndjson"] = FIRST
    assert remote.pull_logs(base + "/log.ndjson", {}, db_path) is not None
    s.files["/log.ndjson"] = BODY
    s.requests.clear()
    return want


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_a_download_cut_again_and_again_goes_on_where_it_was_cut(
    site: Any, db_path: Path, tmp_path: Path, query: Any, chunked: bool
) -> None:
    s, base = site
    s.chunked = chunked
    s.files["/log.ndjson"] = BODY
    want = clean(site, tmp_path, "/log.ndjson")
    sent = s.sent
    s.cuts = [70_000] * 8  # more cuts than the 5 attempts, each a step further
    seen: list[tuple[int, int | None]] = []
    res = remote.pull_logs(base + "/log.ndjson", {}, db_path, on_bytes=lambda *a: seen.append(a))
    assert res is not None and res.events_added == 3000
    assert snapshot(query) == want
    assert s.sent - sent == len(BODY)  # no byte sent twice
    assert [r.get("Range") for r in s.requests] == [None] + [
        f"bytes={70_000 * n}-" for n in range(1, 9)
    ]
    etag = s.requests[0].get("If-Range") or s.requests[1]["If-Range"]
    assert etag.startswith('"') and {r.get("If-Range") for r in s.requests[1:]} == {etag}
    total = None if chunked else len(BODY)
    assert seen[-1] == (len(BODY), total)  # the progress counts the whole file, not a part


def test_a_part_that_says_no_validator_is_the_version_its_if_range_named(
    site: Any, db_path: Path, tmp_path: Path, query: Any
) -> None:
    """A server that leaves the ETag out of its 206s (RFC 9110 §15.3.7 asks for it) but honours
    If-Range sends a part only of the version named: the download goes on from the cut."""
    s, base = site
    s.files["/log.ndjson"], s.part_validators = BODY, False
    want = clean(site, tmp_path, "/log.ndjson")
    s.cuts = [70_000] * 8
    res = remote.pull_logs(base + "/log.ndjson", {}, db_path)
    assert res is not None and res.events_added == 3000
    assert snapshot(query) == want
    assert [r.get("Range") for r in s.requests] == [None] + [
        f"bytes={70_000 * n}-" for n in range(1, 9)
    ]


def test_a_chunked_answer_cut_before_its_last_chunk_has_all_come(
    site: Any, db_path: Path, tmp_path: Path, query: Any
) -> None:
    """Every byte came but the last chunk (which is empty): the resume's 416 says the file
    ends there, and nothing is asked again."""
    s, base = site
    s.chunked, s.files["/log.ndjson"] = True, BODY
    want = clean(site, tmp_path, "/log.ndjson")
    s.cuts = [len(BODY)]
    assert remote.pull_logs(base + "/log.ndjson", {}, db_path) is not None
    assert snapshot(query) == want
    assert [r.get("Range") for r in s.requests] == [None, f"bytes={len(BODY)}-"]


def test_a_part_of_a_grown_log_cut_goes_on_where_it_was_cut(
    site: Any, db_path: Path, tmp_path: Path, query: Any
) -> None:
    """A later pull's Range (its bytes after what was read) cut: the part is asked on from
    where it was cut, and the two pulls leave what two clean ones do."""
    s, base = site
    want = read_first(site, db_path, tmp_path, BODY)
    s.cuts = [60_000] * 7
    res = remote.pull_logs(base + "/log.ndjson", {}, db_path)
    assert res is not None and res.events_added == 2000
    assert snapshot(query) == want
    start = int(s.requests[0]["Range"].removeprefix("bytes=").rstrip("-"))
    assert [r["Range"] for r in s.requests[1:]] == [
        f"bytes={start + 60_000 * n}-" for n in range(1, 8)
    ]


def test_a_resumed_part_that_stops_short_of_the_files_end_is_not_taken_for_its_rest(
    site: Any, db_path: Path, tmp_path: Path, query: Any
) -> None:
    """A chunked answer (no size said) cut, and a server that sends parts of 100,000 bytes at
    most: the part is not the rest of the file, so the download reads on from its end, part
    after part, not ended there (a partial file taken for the whole)."""
    s, base = site
    s.files["/log.ndjson"], s.chunked, s.part_cap = BODY, True, 100_000
    want = clean(site, tmp_path, "/log.ndjson")
    s.cuts = [70_000]
    res = remote.pull_logs(base + "/log.ndjson", {}, db_path)
    assert res is not None and res.events_added == 3000
    assert snapshot(query) == want
    assert [r.get("Range") for r in s.requests] == [None] + [
        f"bytes={at}-" for at in range(70_000, len(BODY), 100_000)
    ]


def test_a_part_cut_that_said_not_where_it_starts_is_asked_anew(
    site: Any, db_path: Path, tmp_path: Path, query: Any
) -> None:
    """A 206 without a Content-Range (taken as the part asked for) cut: where its bytes end in
    the file is not said, so no Range is asked from them (bytes=<its length>- would splice
    the file's start to them); the part is asked anew."""
    s, base = site
    want = read_first(site, db_path, tmp_path, BODY)
    s.cuts, s.bare_parts = [60_000], 1
    res = remote.pull_logs(base + "/log.ndjson", {}, db_path)
    assert res is not None and res.events_added == 2000
    assert snapshot(query) == want
    assert [r["Range"] for r in s.requests] == [s.requests[0]["Range"]] * 2


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
@pytest.mark.parametrize("if_range", [True, False], ids=["if-range", "if-range-ignored"])
def test_a_file_replaced_between_the_cut_and_the_resume_is_not_spliced(
    site: Any, db_path: Path, tmp_path: Path, query: Any, if_range: bool, chunked: bool
) -> None:
    """The bytes before the cut are of the old version: the new one is read whole, as a
    server honouring If-Range sends it (a 200), or asked anew when a server that does not
    sends a part of it (its ETag is another, its size the same)."""
    s, base = site
    s.if_range, s.chunked = if_range, chunked
    assert len(NEW) == len(BODY) and len(senders(NEW)) == 3000 and not senders(NEW) & senders(BODY)
    s.files["/log.ndjson"] = NEW
    want = clean(site, tmp_path, "/log.ndjson")
    s.files["/log.ndjson"] = BODY
    s.cuts = [200_000]
    s.on_cut = lambda: s.files.update({"/log.ndjson": NEW})
    res = remote.pull_logs(base + "/log.ndjson", {}, db_path)
    assert res is not None and res.events_added == 3000
    assert psids(query) == senders(NEW)  # none of the old version's (its first 200,000 bytes)
    assert snapshot(query) == want
    assert s.requests[1]["Range"] == "bytes=200000-"
    assert len(s.requests) == (2 if if_range else 3)  # a part of the new one refused


@pytest.mark.parametrize("kind", ["no-validator", "weak-etag"])
def test_a_cut_answer_without_a_strong_validator_goes_on_from_4_kib_before_the_cut(
    site: Any, db_path: Path, tmp_path: Path, query: Any, kind: str
) -> None:
    """No If-Range can name its version (none, or a weak ETag): its bytes before the cut are
    asked again, with no If-Range, and prove the same file, so it goes on from the cut."""
    s, base = site
    s.files["/log.ndjson"] = BODY
    s.etag, s.weak_etag = kind != "no-validator", kind == "weak-etag"
    want = clean(site, tmp_path, "/log.ndjson")
    s.cuts = [20_000] * 3
    res = remote.pull_logs(base + "/log.ndjson", {}, db_path)
    assert res is not None and res.events_added == 3000
    assert snapshot(query) == want
    assert [r.get("Range") for r in s.requests] == [
        None, "bytes=15904-", "bytes=31808-", "bytes=47712-"
    ]  # fmt: skip
    assert not any("If-Range" in r for r in s.requests)


@pytest.mark.parametrize("kind", ["gzip-encoding", "chunked-without-validator"])
def test_a_cut_answer_that_cannot_be_gone_on_from_is_asked_anew(
    site: Any, db_path: Path, tmp_path: Path, query: Any, kind: str
) -> None:
    """A gzip Content-Encoding's bytes are not the file's (nor are any decoded twice); a chunked
    answer without a strong validator says no size to prove a resume's against: the answer is
    asked anew, as it was."""
    s, base = site
    s.files["/log.ndjson"] = BODY
    s.gzip_encoding = kind == "gzip-encoding"
    s.chunked = kind == "chunked-without-validator"
    s.etag = not s.chunked
    want = clean(site, tmp_path, "/log.ndjson")
    s.cuts = [20_000] * 3
    res = remote.pull_logs(base + "/log.ndjson", {}, db_path)
    assert res is not None and res.events_added == 3000
    assert snapshot(query) == want
    assert [r.get("Range") for r in s.requests] == [None] * 4
    assert not any("If-Range" in r for r in s.requests)


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_a_server_without_ranges_sends_the_whole_file_and_each_step_further_counts(
    site: Any, db_path: Path, tmp_path: Path, query: Any, chunked: bool
) -> None:
    """A server that ignores Range answers the resume whole (a 200): read from its start, not
    spliced; an attempt that gets further than any before is progress, also past 5 cuts."""
    s, base = site
    s.files["/log.ndjson"], s.ranges, s.chunked = BODY, False, chunked
    want = clean(site, tmp_path, "/log.ndjson")
    s.cuts = [70_000 * n for n in range(1, 8)]
    res = remote.pull_logs(base + "/log.ndjson", {}, db_path)
    assert res is not None and res.events_added == 3000
    assert snapshot(query) == want
    assert [r.get("Range") for r in s.requests] == [None] + [
        f"bytes={70_000 * n}-" for n in range(1, 8)
    ]


@pytest.mark.parametrize("ranges", [True, False])
def test_a_download_that_gets_no_further_is_given_up_with_nothing_kept(
    site: Any, tmp_path: Path, ranges: bool
) -> None:
    s, base = site
    s.files["/log.ndjson"], s.ranges = BODY, ranges
    s.cuts = [70_000] + [0 if ranges else 70_000] * 10  # then no byte more
    waits: list[float] = []
    spool = tmp_path / "spool"
    spool.mkdir()
    with pytest.raises(SourceError) as err:
        fetch.pull(base + "/log.ndjson", None, spool_dir=spool, sleep=waits.append)
    assert str(err.value).startswith(
        f"{base}/log.ndjson: giving up after 5 attempts in a row that brought no new bytes (the "
        "download had come to byte 70,000): RemoteProtocolError"
    ), err.value
    assert len(s.requests) == 6 and len(waits) == 5
    assert waits == [0.0] * 5  # fast_retries
    assert list(spool.iterdir()) == []


@pytest.mark.parametrize("validator", ["etag", "last-modified"])
def test_a_gz_export_cut_goes_on_in_its_compressed_bytes(
    site: Any, db_path: Path, tmp_path: Path, query: Any, validator: str
) -> None:
    """A .gz is kept as its bytes come (compressed): a cut one goes on from its bytes spooled,
    its version named by its ETag, or its Last-Modified when it has no ETag."""
    s, base = site
    s.files["/export.ndjson.gz"] = gzip.compress(BODY, mtime=0)
    if validator == "last-modified":
        s.etag, s.last_modified = False, "Wed, 15 Nov 2023 08:00:00 GMT"
    want = clean(site, tmp_path, "/export.ndjson.gz")
    s.cuts = [8_000] * 6  # of its some 54 kB
    res = remote.pull_logs(base + "/export.ndjson.gz", {}, db_path)
    assert res is not None and res.events_added == 3000
    assert snapshot(query) == want
    assert [r.get("Range") for r in s.requests] == [None] + [
        f"bytes={8_000 * n}-" for n in range(1, 7)
    ]
    named = s.last_modified or s.requests[-1]["If-Range"]
    assert {r.get("If-Range") for r in s.requests[1:]} == {named}


def test_a_grown_log_replaced_between_the_cut_and_the_resume_is_read_whole(
    site: Any, db_path: Path, tmp_path: Path, query: Any
) -> None:
    """A later pull's part cut, then the file replaced: the If-Range brings the new file whole
    (a 200), which is read whole as a replaced file is, not spliced to the part."""
    s, base = site
    want = read_first(site, db_path, tmp_path, NEW)
    s.cuts = [60_000]
    s.on_cut = lambda: s.files.update({"/log.ndjson": NEW})
    assert remote.pull_logs(base + "/log.ndjson", {}, db_path) is not None
    assert psids(query) == senders(FIRST, NEW)  # FIRST's 1,000, then all NEW's 3,000
    assert snapshot(query) == want
    assert len(s.requests) == 2 and "If-Range" in s.requests[1]
