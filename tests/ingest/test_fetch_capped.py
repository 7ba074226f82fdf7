"""`refscope pull logs` from a server or CDN that answers a `Range: bytes=N-` with less than
asked (a 206 of `bytes N-M/T`, M + 1 < T): the download reads on from M + 1, part after part,
rather than taking the first part for the whole; a 206 whose Content-Range has numbers that do
not hold together is refused, saying so, with nothing read; one whose size is `*` (unknown, as RFC
9110 allows) is taken as the file so far."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ingest import remote
from ingest.errors import SourceError
from tests.conftest import Query
from tests.ingest.fetch_server import lines
from tests.ingest.logs import snapshot

pytestmark = pytest.mark.usefixtures("fast_retries")  # no backoff waits

FIRST = lines(0, 1000)
BODY = lines(0, 3000)  # FIRST grown


def _clean(site: Any, tmp_path: Path) -> dict[str, Any]:
    """The tables clean pulls of FIRST, then BODY, leave."""
    s, base = site
    db_file = tmp_path / "clean" / "refscope.duckdb"
    db_file.parent.mkdir()
    for body in (FIRST, BODY):
        s.files["/log.ndjson"] = body
        assert remote.pull_logs(base + "/log.ndjson", {}, db_file) is not None
    return snapshot(Query(db_file))


@pytest.mark.parametrize("validator", ["etag", "none"])
def test_a_capped_range_is_read_on_part_after_part(
    site: Any, db_path: Path, tmp_path: Path, validator: str
) -> None:
    s, base = site
    s.etag = validator == "etag"
    want = _clean(site, tmp_path)
    s.files["/log.ndjson"] = FIRST
    assert remote.pull_logs(base + "/log.ndjson", {}, db_path) is not None
    s.files["/log.ndjson"], s.part_cap, s.requests = BODY, 100_000, []
    res = remote.pull_logs(base + "/log.ndjson", {}, db_path)
    assert res is not None and res.events_added == 2000
    assert snapshot(Query(db_path)) == want
    start = int(s.requests[0]["Range"].removeprefix("bytes=").rstrip("-"))
    if validator == "etag":  # the next part of the same version
        ends = range(start + 100_000, len(BODY), 100_000)
        assert [r["Range"] for r in s.requests] == [f"bytes={start}-"] + [
            f"bytes={end}-" for end in ends
        ]
        assert all(r["If-Range"] == s.requests[1]["If-Range"] for r in s.requests[1:])
    else:  # no version to name: each part starts with the last 4 KiB of the one before
        froms, end = [start], start + 100_000
        while end < len(BODY):
            froms.append(end - 4096)
            end += 100_000 - 4096
        assert [r["Range"] for r in s.requests] == [f"bytes={at}-" for at in froms]
        assert not any("If-Range" in r for r in s.requests)


@pytest.mark.parametrize(
    ("said", "why"),
    [
        ("bytes {first}-{last}/{last}", "does not hold together"),
        ("bytes {first}-{total}/{total}", "does not hold together"),
        ("bytes {last}-{first}/{total}", "does not hold together"),
        ("bytes {first}-{first}/{total}", "does not hold together"),
    ],
    ids=["past-its-size", "last-is-size", "backwards", "not-its-length"],
)
def test_a_part_whose_content_range_does_not_hold_together_is_refused(
    site: Any, db_path: Path, said: str, why: str
) -> None:
    s, base = site
    s.files["/log.ndjson"] = FIRST
    assert remote.pull_logs(base + "/log.ndjson", {}, db_path) is not None
    s.files["/log.ndjson"], s.part_range = BODY, said
    with pytest.raises(SourceError) as err:
        remote.pull_logs(base + "/log.ndjson", {}, db_path)
    assert str(err.value).startswith(f"{base}/log.ndjson: the server's Content-Range"), err.value
    assert why in str(err.value) and "nothing of it was read" in str(err.value)
    assert Query(db_path).scalar("SELECT count(*) FROM events") == 1000
    assert list((db_path.parent / ".pull").glob("refscope-pull-*")) == []


def test_a_part_of_unknown_size_is_taken_as_the_log_so_far(
    site: Any, db_path: Path, tmp_path: Path
) -> None:
    """RFC 9110 lets a server say `*` for a size it does not know yet (a log still written):
    the part, whole as its numbers say, is the log so far; the next pull asks from its end."""
    s, base = site
    want = _clean(site, tmp_path)
    s.files["/log.ndjson"] = FIRST
    assert remote.pull_logs(base + "/log.ndjson", {}, db_path) is not None
    s.files["/log.ndjson"], s.part_range = BODY, "bytes {first}-{last}/*"
    res = remote.pull_logs(base + "/log.ndjson", {}, db_path)
    assert res is not None and res.events_added == 2000
    assert snapshot(Query(db_path)) == want


def test_the_download_bar_of_capped_parts_counts_to_the_files_end(site: Any, db_path: Path) -> None:
    """Each part's Content-Length added to the bytes before it made the bar's total the part's
    end: it filled at every part, its total moving on."""
    s, base = site
    s.files["/log.ndjson"], s.part_cap = FIRST, 100_000
    assert remote.pull_logs(base + "/log.ndjson", {}, db_path) is not None
    s.files["/log.ndjson"], s.requests = BODY, []
    seen: list[tuple[int, int | None]] = []
    res = remote.pull_logs(base + "/log.ndjson", {}, db_path, on_bytes=lambda *a: seen.append(a))
    assert res is not None and res.events_added == 2000
    start = int(s.requests[0]["Range"].removeprefix("bytes=").rstrip("-"))
    assert {total for _, total in seen} == {len(BODY) - start}
    assert seen[-1][0] == len(BODY) - start
    assert [done for done, _ in seen] == sorted(done for done, _ in seen)
