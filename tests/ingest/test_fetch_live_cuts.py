"""`refscope pull logs` of a live log (the server appends to it between requests) over a link
that cuts every answer: the grown log's new ETag fails the resume's If-Range, so its 200 would
start the download over each time. A resume of a version that changed goes on from the cut
when the new version's bytes there are those spooled (asked from 4 KiB before them), and a
file whose bytes there differ is read whole, never spliced."""

from __future__ import annotations

from collections.abc import Iterator
from email.utils import formatdate
from pathlib import Path
from typing import Any

import pytest

from ingest import remote
from tests.conftest import Query
from tests.ingest.fetch_server import lines
from tests.ingest.logs import snapshot

pytestmark = pytest.mark.usefixtures("fast_retries")  # no backoff waits

BODY = lines(0, 3000)  # 770,890 bytes


def _appends(s: Any, path: str) -> Iterator[None]:
    """Ten more lines appended to path at each call."""
    n = 3000
    while True:
        s.files[path] += lines(n, 10)
        n += 10
        yield


def _pulled_as_clean(site: Any, db_path: Path, tmp_path: Path) -> list[dict[str, str]]:
    """The live log pulled into db_path, cut every 100,000 bytes (s.on_cut grows it): what it
    leaves is what a clean pull of the log as long as the download ended leaves (no line twice,
    none spliced from elsewhere). The requests after the first."""
    s, base = site
    s.cuts = [100_000] * 40
    res = remote.pull_logs(base + "/log.ndjson", {}, db_path)
    assert res is not None and res.events_added >= 3000 and res.events_added % 10 == 0
    asked = s.requests[1:]
    s.cuts, s.on_cut = [], None
    s.files["/log.ndjson"] = lines(0, res.events_added)
    clean = tmp_path / "clean" / "refscope.duckdb"
    clean.parent.mkdir()
    assert remote.pull_logs(base + "/log.ndjson", {}, clean) is not None
    assert snapshot(Query(db_path)) == snapshot(Query(clean))
    return asked


def _replaced_at_the_cut(site: Any, db_path: Path, tmp_path: Path, new: bytes) -> None:
    """BODY pulled into db_path, replaced by new when cut at byte 200,000: what lands is what
    a clean pull of new leaves (read whole, not spliced to the old bytes)."""
    s, base = site
    s.files["/log.ndjson"] = new
    clean = tmp_path / "clean" / "refscope.duckdb"
    clean.parent.mkdir()
    assert remote.pull_logs(base + "/log.ndjson", {}, clean) is not None
    s.files["/log.ndjson"], s.requests = BODY, []
    s.cuts, s.on_cut = [200_000], lambda: s.files.update({"/log.ndjson": new})
    res = remote.pull_logs(base + "/log.ndjson", {}, db_path)
    assert res is not None and res.events_added == new.count(b"\n")
    assert snapshot(Query(db_path)) == snapshot(Query(clean))


def test_a_live_log_cut_again_and_again_goes_on_from_each_cut(
    site: Any, db_path: Path, tmp_path: Path
) -> None:
    s, _ = site
    s.files["/log.ndjson"] = BODY
    grow = _appends(s, "/log.ndjson")
    s.on_cut = lambda: next(grow)
    asked = _pulled_as_clean(site, db_path, tmp_path)
    # Never started over: every resume asked a Range, and the bytes asked again are the 4 KiB
    # proofs, not the log anew.
    assert asked and all("Range" in r for r in asked)
    proofs = [r for r in asked if "If-Range" not in r]
    assert proofs, "the log's version never changed: no proof asked"


@pytest.mark.parametrize("if_range", [True, False], ids=["if-range", "if-range-ignored"])
def test_a_log_replaced_by_a_longer_one_between_cut_and_resume_is_read_whole(
    site: Any, db_path: Path, tmp_path: Path, if_range: bool
) -> None:
    """Larger, so maybe grown: its bytes before the cut are asked again, and differ; it is read
    whole, not spliced to the old bytes."""
    s, _ = site
    s.if_range = if_range
    _replaced_at_the_cut(site, db_path, tmp_path, lines(5000, 3100))
    assert [(r.get("Range"), r.get("If-Range") is not None) for r in s.requests] == [
        (None, False),
        ("bytes=200000-", True),
        (f"bytes={200_000 - 4096}-", False),  # the proof, refused
        (None, False),
    ]


@pytest.mark.parametrize("if_range", [True, False], ids=["if-range", "if-range-ignored"])
def test_a_later_pull_of_a_live_log_cut_again_and_again_goes_on_from_each_cut(
    site: Any, db_path: Path, tmp_path: Path, if_range: bool
) -> None:
    """The part after what the last pull read, cut while the log grows: a server honouring
    If-Range sends the grown log whole (a 200), one ignoring it a part of it (a 206): either
    way the part goes on from its cut, proved by its 4 KiB before it."""
    s, base = site
    s.files["/log.ndjson"], s.if_range = lines(0, 1000), if_range
    assert remote.pull_logs(base + "/log.ndjson", {}, db_path) is not None
    s.files["/log.ndjson"], s.requests = BODY, []
    grow = _appends(s, "/log.ndjson")
    s.cuts, s.on_cut = [100_000] * 30, lambda: next(grow)
    res = remote.pull_logs(base + "/log.ndjson", {}, db_path)
    assert res is not None and res.events_added >= 2000 and res.events_added % 10 == 0
    asked = s.requests[:]
    s.cuts, s.on_cut = [], None
    clean = tmp_path / "clean" / "refscope.duckdb"
    clean.parent.mkdir()
    for n in (1000, 1000 + res.events_added):
        s.files["/log.ndjson"] = lines(0, n)
        assert remote.pull_logs(base + "/log.ndjson", {}, clean) is not None
    assert snapshot(Query(db_path)) == snapshot(Query(clean))
    assert all("Range" in r for r in asked)  # never the log anew
    assert any("If-Range" not in r for r in asked[1:])  # a proof was asked


def _stamped(s: Any, lag: int) -> Iterator[None]:
    """Ten more lines appended to /log.ndjson at each call, two seconds on, its Last-Modified
    lag seconds before the answers' Date (0: the second it is sent, as a log written to now)."""
    n, now = 3000, 1_700_000_000
    while True:
        s.last_modified = formatdate(now - lag, usegmt=True)
        s.date = formatdate(now, usegmt=True)
        yield
        s.files["/log.ndjson"] += lines(n, 10)
        n, now = n + 10, now + 2


def test_a_live_log_gone_on_in_a_later_version_is_asked_next_with_that_versions_last_modified(
    site: Any, db_path: Path
) -> None:
    """A log served with Last-Modified only, grown between cut and resume: the download goes
    on in the grown version, and the next pull asks with its Last-Modified (a Last-Modified is
    a validator only beside the Date of its own answer), so an unchanged log is not sent."""
    s, base = site
    s.files["/log.ndjson"], s.etag = BODY, False
    grow = _stamped(s, 5)
    next(grow)
    s.cuts, s.on_cut = [100_000] * 3, lambda: next(grow)
    assert remote.pull_logs(base + "/log.ndjson", {}, db_path) is not None
    # Each If-Range fails (the log grew: its 200 is cut too), and the proof goes on from the cut.
    assert [r.get("Range") for r in s.requests] == [
        None, "bytes=100000-", "bytes=95904-", "bytes=195904-", "bytes=191808-"
    ]  # fmt: skip
    s.cuts, s.on_cut, s.requests = [], None, []
    assert remote.pull_logs(base + "/log.ndjson", {}, db_path) is None
    assert s.requests[0].get("If-Modified-Since") == s.last_modified


@pytest.mark.parametrize("kind", ["no-validator", "last-modified-now", "weak-etag"])
def test_a_live_log_without_a_strong_validator_cut_again_and_again_goes_on_from_each_cut(
    site: Any, db_path: Path, tmp_path: Path, kind: str
) -> None:
    """A log served with no validator an If-Range may name (RFC 9110 §13.1.5): none at all, a
    Last-Modified of the second it is sent (a log written to now), or a weak ETag. Each resume
    asks from 4 KiB before the cut and goes on from it when those are the bytes spooled."""
    s, _ = site
    s.files["/log.ndjson"], s.etag, s.weak_etag = BODY, kind == "weak-etag", True
    grow = _stamped(s, 0)
    next(grow)
    if kind != "last-modified-now":
        s.last_modified = s.date = ""
    s.on_cut = lambda: next(grow)
    asked = _pulled_as_clean(site, db_path, tmp_path)
    # Never the log anew: each resume is a proof from 4 KiB before the cut, with no If-Range.
    first = 100_000 - 4096
    assert [r.get("Range") for r in asked[:3]] == [f"bytes={first + k * 95_904}-" for k in range(3)]
    assert all("Range" in r and "If-Range" not in r for r in asked)


@pytest.mark.parametrize("size", ["longer", "same-size"])
def test_a_log_without_a_validator_replaced_between_cut_and_resume_is_read_whole(
    site: Any, db_path: Path, tmp_path: Path, size: str
) -> None:
    """Nothing names the version cut, and the bytes asked again before the cut are another
    file's: it is read whole, never spliced to the old bytes."""
    s, _ = site
    s.etag = False
    # Other people's lines: longer, or of the same size (other sender ids throughout).
    new = lines(5000, 3100) if size == "longer" else BODY.replace(b'"9', b'"8')
    _replaced_at_the_cut(site, db_path, tmp_path, new)
    assert [r.get("Range") for r in s.requests] == [None, f"bytes={200_000 - 4096}-", None]
