"""Clicks and scans deduplicated: a click log replaced by a later window, read before its last
newline, gzipped after it was read or keyed by an earlier version adds no click; two clicks that
look alike (the same line twice, two scans in one millisecond) stay two."""

from __future__ import annotations

import gzip
from pathlib import Path

import tests.factories as f
from ingest import pipeline
from tests.conftest import Query
from tests.factories import T0


def _click(i: int, ts: int) -> dict[str, object]:
    return {"object": "refscope_click", "ts": ts, "ref": f"qr_{i % 3}", "page": "acmebakery",
            "qr": True, "device": "mobile"}  # fmt: skip


def test_a_click_log_replaced_by_a_later_window_adds_only_its_new_clicks(
    ingest_lines, query: Query
) -> None:
    # Clicks 0-99, then the file holds clicks 50-119 (a rolling window). Clicks 10 and 11 are
    # two scans in one millisecond: the same line twice, two clicks.
    clicks = [_click(i, T0 + 1000 * i) for i in range(120)]
    clicks[11] = clicks[10]
    ingest_lines(clicks[:100], name="clicks.ndjson")
    assert query("SELECT count(*) FROM clicks") == [(100,)]
    ingest_lines(clicks[50:], name="clicks.ndjson")
    assert query("SELECT count(*), count(DISTINCT ts) FROM clicks") == [(120, 119)]
    ingest_lines(clicks[5:15], name="other.ndjson")  # another file: clicks of its own
    assert query("SELECT count(*) FROM clicks") == [(130,)]


def test_the_same_click_line_twice_in_two_batches_is_two_clicks(
    ingest_lines, query: Query, monkeypatch
) -> None:
    monkeypatch.setenv("REFSCOPE_INGEST_BATCH", "64")  # a batch per line
    same = _click(1, T0)
    ingest_lines([same, _click(2, T0 + 1), same, same], name="clicks.ndjson")
    assert query("SELECT count(*), count(DISTINCT click_key) FROM clicks") == [(4, 4)]


def test_a_last_click_line_read_before_its_newline_is_one_click(
    ingest_lines, query: Query, log_dir: Path
) -> None:
    ingest_lines([_click(1, T0), _click(2, T0 + 1)], name="clicks.ndjson")
    path = log_dir / "clicks.ndjson"
    path.write_bytes(path.read_bytes().rstrip(b"\n"))  # the writer had not ended the line yet
    fresh = pipeline.run([str(path)], query.path)  # replaced: read again from the start
    assert fresh.rejects_added == 0
    with open(path, "ab") as fh:
        fh.write(b"\n")
    pipeline.run([str(path)], query.path)
    assert query("SELECT count(*) FROM clicks") == [(2,)]


def test_two_scans_in_one_millisecond_the_second_before_its_newline_are_two_clicks(
    query: Query, log_dir: Path
) -> None:
    """The same line twice, the last one read before the writer ended it: two clicks, as many
    once its newline is there."""
    path = f.write_ndjson(log_dir / "clicks.ndjson", [_click(1, T0), _click(1, T0)])
    path.write_bytes(path.read_bytes().rstrip(b"\n"))  # the writer had not ended the line yet
    pipeline.run([str(path)], query.path)
    assert query("SELECT count(*), count(DISTINCT click_key) FROM clicks") == [(2, 2)]
    with open(path, "ab") as fh:
        fh.write(b"\n")
    pipeline.run([str(path)], query.path)
    assert query("SELECT count(*), count(DISTINCT click_key) FROM clicks") == [(2, 2)]


def test_a_click_log_gzipped_after_it_was_read_adds_no_clicks(
    ingest_lines, query: Query, execute, log_dir: Path
) -> None:
    """`gzip clicks-….ndjson` (an old day's log compressed) is the same log, not a renamed one:
    its clicks, two scans in one millisecond among them, are not counted again; a click added
    before it was compressed is."""
    clicks = [_click(i, T0 + 1000 * i) for i in range(12)]
    clicks[6] = clicks[5]
    ingest_lines(clicks[:10], name="clicks-2026-11-30.vm-1.ndjson")
    ingest_lines(clicks[10:], name="clicks-2026-11-30.vm-1.ndjson", append=True)
    assert query("SELECT count(*) FROM clicks") == [(12,)]
    log = log_dir / "clicks-2026-11-30.vm-1.ndjson"
    ingest_lines(clicks + [_click(12, T0 + 12_000)], name=log.name)  # one more, then gzipped
    gz = log.with_name(log.name + ".gz")
    gz.write_bytes(gzip.compress(log.read_bytes()))
    log.unlink()
    result = pipeline.run([str(log_dir)], query.path)
    assert result.files_read == 1
    assert query("SELECT count(*), count(DISTINCT ts) FROM clicks") == [(13, 12)]
    # `gzip -k`: the log and its .gz side by side, read in one run, are one log.
    kept = log_dir / "clicks-2026-12-01.vm-1.ndjson"
    ingest_lines([_click(20, T0 + 20_000), _click(20, T0 + 20_000)], name=kept.name)
    kept.with_name(kept.name + ".gz").write_bytes(gzip.compress(kept.read_bytes()))
    execute("DELETE FROM clicks WHERE file = ?", str(kept))
    execute("DELETE FROM ingest_files WHERE path = ?", str(kept))
    pipeline.run([str(log_dir)], query.path)
    assert query("SELECT count(*), count(DISTINCT ts) FROM clicks") == [(15, 13)]


def test_a_gz_click_log_keyed_by_an_earlier_version_under_its_gz_name_adds_no_clicks(
    query: Query, execute, log_dir: Path
) -> None:
    """An earlier version named a gzipped click log's clicks by its `.gz` name: read again (its
    ingest_files row deleted), the log adds none of them."""
    line = f.line(_click(1, T0))
    gz = log_dir / "clicks-2026-11-30.vm-1.ndjson.gz"
    gz.write_bytes(gzip.compress((line + "\n").encode()))
    pipeline.run([str(gz)], query.path)
    execute("UPDATE clicks SET click_key = md5_number(array_to_string([file, ?, '1'], chr(31)))",
            line)  # fmt: skip
    execute("DELETE FROM ingest_files")
    again = pipeline.run([str(gz)], query.path)
    assert (again.clicks_read, again.clicks_added) == (1, 0)
    assert query("SELECT count(*), min(file) FROM clicks") == [(1, str(gz.resolve()))]


def test_two_scans_in_one_millisecond_read_in_two_runs_stay_two_when_read_again(
    ingest_lines, query: Query, execute
) -> None:
    """The first scan is read, the second appended after it; then the whole file is read again
    (its ingest_files row deleted): the clicks it already had, no more."""
    clicks = [_click(i, T0 + 1000 * i) for i in range(20)]
    clicks[11] = clicks[10]
    ingest_lines(clicks[:11], name="clicks.ndjson")
    ingest_lines(clicks[11:], name="clicks.ndjson", append=True)
    assert query("SELECT count(*) FROM clicks") == [(20,)]
    execute("DELETE FROM ingest_files")
    ingest_lines(clicks, name="clicks.ndjson")
    assert query("SELECT count(*), count(DISTINCT click_key) FROM clicks") == [(20, 20)]
