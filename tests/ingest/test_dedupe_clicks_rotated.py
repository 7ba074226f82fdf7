"""A click log rotated (renamed while a new one starts, then gzipped, then renamed again) counts
its clicks once, as many as one ingest of the files left in the end; two clicks alike in the
same millisecond and ref (two scans, or another visitor's) stay two."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

import tests.factories as f
from ingest import click_logs, db, pipeline
from tests.factories import T0

# logrotate's own names (read through a glob that names them), and its `dateext` with
# `extension .ndjson` (log names a folder's ingest reads): the log, its first rotation, its
# first rotation gzipped, its second.
NAMINGS = {
    "numbered": ("clicks.ndjson", "clicks.ndjson.1", "clicks.ndjson.1.gz", "clicks.ndjson.2.gz"),
    "dated": ("clicks.ndjson", "clicks-20261130.ndjson", "clicks-20261130.ndjson.gz",
              "clicks-20261129.ndjson.gz"),
}  # fmt: skip


def _click(i: int, ts: int, device: str = "mobile") -> dict[str, object]:
    return {"object": "refscope_click", "ts": ts, "ref": f"qr_{i % 3}", "page": "acmebakery",
            "qr": True, "device": device}  # fmt: skip


def _clicks(db_path: Path) -> list[tuple[object, ...]]:
    con = db.connect(db_path, read_only=True)
    try:
        return con.execute(
            "SELECT ts, ref, page, qr, device, count(*) FROM clicks GROUP BY ALL ORDER BY ALL"
        ).fetchall()
    finally:
        con.close()


def _gzip(path: Path, to: Path) -> None:
    to.write_bytes(gzip.compress(path.read_bytes()))
    path.unlink()


@pytest.mark.parametrize("naming", sorted(NAMINGS))
def test_a_rotated_click_log_counts_its_clicks_once(naming: str, tmp_path: Path) -> None:
    live, rotated, packed, older = NAMINGS[naming]
    logs = tmp_path / "logs"
    inputs = [str(logs / "clicks*")] if naming == "numbered" else [str(logs)]
    db_path = tmp_path / "rotated.duckdb"

    def ingest() -> int:
        pipeline.run(inputs, db_path)
        return sum(int(str(r[-1])) for r in _clicks(db_path))

    first = [_click(i, T0 + 1000 * i) for i in range(30)]
    first[11] = first[10]  # two scans in one millisecond: the same line twice, two clicks
    f.write_ndjson(logs / live, first)
    assert ingest() == 30
    # Rotated: renamed, written on by the receiver until it reopens its log, and a new log.
    (logs / live).rename(logs / rotated)
    f.write_ndjson(logs / rotated, [_click(30, T0 + 30_000), _click(31, T0 + 31_000)], mode="a")
    # The new log's first click: the old one's last millisecond and ref, another visitor's.
    second = [_click(31, T0 + 31_000, "desktop")] + [
        _click(i, T0 + 1000 * i) for i in range(40, 44)
    ]
    f.write_ndjson(logs / live, second)
    assert ingest() == 37
    # The rotated log gzipped (logrotate's delaycompress, at its next run); the new one grows.
    _gzip(logs / rotated, logs / packed)
    f.write_ndjson(logs / live, [_click(44, T0 + 44_000), _click(45, T0 + 45_000)], mode="a")
    assert ingest() == 39
    # Rotated again: the gzipped log renamed, the live one rotated and a third started.
    (logs / packed).rename(logs / older)
    (logs / live).rename(logs / rotated)
    f.write_ndjson(logs / live, [_click(i, T0 + 1000 * i) for i in range(50, 53)])
    assert ingest() == 42
    assert ingest() == 42  # nothing new
    # As many, and the same, as one ingest of the files there now.
    fresh = tmp_path / "fresh.duckdb"
    pipeline.run(inputs, fresh)
    assert _clicks(db_path) == _clicks(fresh)
    assert sum(int(str(r[-1])) for r in _clicks(fresh)) == 42


def test_a_copy_of_a_click_log_elsewhere_counts_its_clicks_once(tmp_path: Path) -> None:
    """A log moved to an archive folder, and a copy of it kept there, are the log read before."""
    clicks = [_click(i, T0 + 1000 * i) for i in range(12)]
    log = f.write_ndjson(tmp_path / "logs" / "clicks-2026-11-30.vm-1.ndjson", clicks)
    db_path = tmp_path / "copied.duckdb"
    pipeline.run([str(log)], db_path)
    archive = tmp_path / "archive"
    archive.mkdir()
    _gzip(log, archive / (log.name + ".gz"))
    (archive / "copy.ndjson").write_bytes(
        gzip.decompress((archive / (log.name + ".gz")).read_bytes())
    )
    pipeline.run([str(archive)], db_path)
    assert sum(int(str(r[-1])) for r in _clicks(db_path)) == 12


def test_click_logs_that_start_differently_are_two_logs_of_their_own(tmp_path: Path) -> None:
    """Two receivers' logs holding the same clicks past their first lines (the same
    millisecond, ref and device: other visitors) are each counted whole."""
    same = [_click(i, T0 + 1000 * i) for i in range(1, 6)]
    a = f.write_ndjson(tmp_path / "logs" / "clicks-2026-11-30.vm-1.ndjson", [_click(0, T0)] + same)
    b = f.write_ndjson(
        tmp_path / "logs" / "clicks-2026-11-30.vm-2.ndjson", [_click(0, T0, "tablet")] + same
    )
    db_path = tmp_path / "two.duckdb"
    pipeline.run([str(a)], db_path)
    pipeline.run([str(b)], db_path)
    assert sum(int(str(r[-1])) for r in _clicks(db_path)) == 12


def test_click_documents_that_open_alike_are_two_logs_of_their_own(tmp_path: Path) -> None:
    """Two pretty-printed JSON files of clicks both start with `[`: no first line of a click,
    so each is a log of its own, and a click alike in both (another visitor's) counts twice."""
    alike = _click(0, T0)
    db_path = tmp_path / "documents.duckdb"
    for name, other in (("a.json", _click(1, T0 + 1000)), ("b.json", _click(2, T0 + 2000))):
        path = tmp_path / "logs" / name
        path.parent.mkdir(exist_ok=True)
        path.write_text(json.dumps([alike, other], indent=2))
        pipeline.run([str(path)], db_path)
    assert sum(int(str(r[-1])) for r in _clicks(db_path)) == 4


def test_a_log_rotated_while_it_was_read_is_known_by_the_first_line_of_the_file_read(
    tmp_path: Path,
) -> None:
    """The first line is read from the file the batch was read from (its device and inode as
    planned): once a rotation put a new log under its name, that one's is not taken for it."""
    log = f.write_ndjson(tmp_path / "clicks.ndjson", [_click(1, T0), _click(2, T0 + 1)])
    st = log.stat()
    read = (st.st_dev, st.st_ino)
    assert click_logs.first_line(log, read) == f.line(_click(1, T0))
    log.rename(tmp_path / "clicks.ndjson.1")
    f.write_ndjson(log, [_click(3, T0 + 2)])
    assert click_logs.first_line(log) == f.line(_click(3, T0 + 2))
    assert click_logs.first_line(log, read) is None
    assert click_logs.first_line(tmp_path / "clicks.ndjson.1", read) == f.line(_click(1, T0))
