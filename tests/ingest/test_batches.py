"""Runs in batches: each batch commits on its own, the end result is that of one clean run, a
batch size is kept to, and lines are cut into record batches the same whatever their sizes.
Killed and stopped runs: test_batches_crash.py; memory: test_batches_memory.py."""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path

import pytest

import tests.factories as f
from ingest import lines, load, pipeline, sources
from ingest.errors import SourceError
from tests.conftest import Query
from tests.ingest.logs import mixed_log, snapshot


def _corrupt_gz() -> bytes:
    """A .gz whose compressed data is damaged from its start (one cut short is no error): its
    first block has the reserved block type, so not one byte of it decompresses."""
    data = bytearray(gzip.compress(b'{"object":"page"}\n' * 100, mtime=0))
    data[10] |= 0b111
    return bytes(data)


def test_corrupt_gz_stops_the_run_and_the_next_run_finishes_it(
    db_path: Path, query: Query, log_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REFSCOPE_INGEST_BATCH", "64")  # a.ndjson commits before b.gz is read
    good = f.write_ndjson(log_dir / "a.ndjson", [f.delivery(f.message(psid="u1"))])
    bad = log_dir / "b.ndjson.gz"
    bad.write_bytes(_corrupt_gz())
    with pytest.raises(SourceError, match=re.escape(str(bad))) as err:
        pipeline.run([str(log_dir)], db_path)
    assert "run 1 stays open" in str(err.value) and "resumes it" in str(err.value)
    # What was committed stays, but the run is open: no contacts until it is finished.
    assert query("SELECT count(*) FROM events") == [(1,)]
    assert query("SELECT count(*) FROM contacts") == [(0,)]
    assert query("SELECT run_id, finished_at FROM ingest_runs") == [(1, None)]
    assert query("SELECT path FROM ingest_files") == [(str(good.resolve()),)]
    bad.unlink()
    result = pipeline.run([str(log_dir)], db_path)
    assert (result.run_id, result.resumed, result.events_added, result.new_contacts) == (
        1, True, 1, 1)  # fmt: skip
    assert query("SELECT run_id, finished_at IS NOT NULL, events_added FROM ingest_runs") == [
        (1, True, 1)
    ]


def test_tiny_batches_give_the_same_tables_as_one_batch(
    tmp_path: Path, log_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    f.write_ndjson(log_dir / "a.ndjson", mixed_log())
    f.write_ndjson(log_dir / "b.ndjson", [*mixed_log()[:3], f.delivery(f.message(psid="u9"))])
    tables = []
    for batch in ("", "300"):  # 300 bytes: every line or two commits on its own
        monkeypatch.setenv("REFSCOPE_INGEST_BATCH", batch)
        db_file = tmp_path / f"batch{batch}.duckdb"
        result = pipeline.run([str(log_dir)], db_file, keep_text=True)
        assert (result.files_read, result.events_added, result.rejects_added) == (2, 9, 2)
        query = Query(db_file)
        tables.append(
            (
                snapshot(query),
                query("SELECT * EXCLUDE (started_at, finished_at, seconds) FROM ingest_runs"),
            )  # fmt: skip
        )
    assert tables[0] == tables[1]


def test_a_batch_holds_at_most_the_batch_size(
    db_path: Path, log_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, n in (("a", 7), ("b", 2), ("c", 3)):
        f.write_ndjson(log_dir / f"{name}.ndjson",
                       [f.delivery(f.message(psid=f"{name}{i}", mid=f"m.{name}{i}"))
                        for i in range(n)])  # fmt: skip
    longest = max(len(ln) + 1 for p in log_dir.iterdir() for ln in p.read_text().splitlines())
    limit = 4 * longest  # four lines fit, five never (they are nearly equal in length)
    monkeypatch.setenv("REFSCOPE_INGEST_BATCH", str(limit))
    batches: list[bytes] = []
    load_batch = load.load_batch
    monkeypatch.setattr(load, "load_batch", lambda con, chunks, *a, **k: (
        batches.append(b"".join(c.data for _, c in chunks))
        or load_batch(con, chunks, *a, **k)))  # fmt: skip
    assert pipeline.run([str(log_dir)], db_path).events_added == 12
    # a's 7 lines as 4 + 3; b's 2 join nothing (3 + 2 lines would not fit), c's 3 neither.
    assert [b.count(b"\n") for b in batches] == [4, 3, 2, 3]
    assert max(len(b) for b in batches) <= limit


def test_the_progress_bar_ends_at_its_total_for_plain_and_gz_logs(
    db_path: Path, log_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The bar's total is the inputs' size on disk: its steps add up to it, a .gz's counted in
    compressed bytes (in decompressed ones the bar ran far past its end)."""
    lines_ = [f.delivery(f.message(psid=f"u{i}", mid=f"m.{i}")) for i in range(3000)]
    f.write_ndjson(log_dir / "a.ndjson", lines_[:1000])
    plain = (log_dir / "a.ndjson").read_bytes()
    f.write_ndjson(log_dir / "b.ndjson", lines_[1000:])
    (log_dir / "b.ndjson.gz").write_bytes(gzip.compress((log_dir / "b.ndjson").read_bytes()))
    (log_dir / "b.ndjson").unlink()
    monkeypatch.setenv("REFSCOPE_INGEST_BATCH", "64KB")  # many batches, several chunks a .gz
    totals: list[int] = []
    steps: list[int] = []
    result = pipeline.run([str(log_dir)], db_path, on_plan=totals.append, progress=steps.append)
    assert result.events_added == 3000
    on_disk = len(plain) + (log_dir / "b.ndjson.gz").stat().st_size
    assert totals == [on_disk]
    assert len(steps) > 3 and sum(steps) == on_disk


def test_the_progress_bar_ends_at_its_total_for_files_of_json_documents(
    db_path: Path, log_dir: Path
) -> None:
    """A file of JSON documents is read as its bodies made one line each, shorter than the file
    (no brackets, commas, blank lines between): the bar counts the file's bytes, not theirs."""
    bodies = [f.delivery(f.message(psid=f"u{i}", mid=f"m.{i}")) for i in range(6)]
    (log_dir / "array.json").write_text(json.dumps(bodies[:3], indent=2) + "\n")
    (log_dir / "several.json").write_text(
        "\n\n".join(json.dumps(b, indent=2) for b in bodies[3:5]) + "\n")  # fmt: skip
    (log_dir / "one.json.gz").write_bytes(gzip.compress(json.dumps(bodies[5], indent=4).encode()))
    totals: list[int] = []
    steps: list[int] = []
    result = pipeline.run([str(log_dir)], db_path, on_plan=totals.append, progress=steps.append)
    assert result.events_added == 6
    on_disk = sum(p.stat().st_size for p in log_dir.iterdir())
    assert totals == [on_disk]
    assert sum(steps) == on_disk


def test_a_batch_size_that_is_not_a_size_is_refused(
    db_path: Path, log_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = f.write_ndjson(log_dir / "a.ndjson", [f.delivery(f.message())])
    monkeypatch.setenv("REFSCOPE_INGEST_BATCH", "lots")
    with pytest.raises(SourceError, match="REFSCOPE_INGEST_BATCH='lots': give a size"):
        pipeline.run([str(path)], db_path)


def test_failure_in_the_first_batch_leaves_no_run(
    db_path: Path, query: Query, log_dir: Path
) -> None:
    f.write_ndjson(log_dir / "a.ndjson", [f.delivery(f.message())])
    bad = log_dir / "b.ndjson.gz"
    bad.write_bytes(_corrupt_gz())
    with pytest.raises(SourceError, match=re.escape(str(bad))):
        pipeline.run([str(log_dir)], db_path)
    for table in ("events", "rejects", "ingest_runs", "ingest_files", "contacts"):
        assert query(f"SELECT count(*) FROM {table}") == [(0,)], table


def test_record_batches_hold_few_long_lines_and_many_short_ones(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(lines, "BATCH_TEXT_BYTES", 100)
    monkeypatch.setattr(lines, "BATCH_ROWS", 4)
    sizes = [10] * 9 + [250] + [40, 40, 40] + [99, 1]
    data = b"".join(b"x" * (n - 1) + b"\n" for n in sizes)
    chunk = sources.Chunk(memoryview(data), 1, len(data), len(sizes))
    table, rejects = lines.lines_table([(0, chunk)])
    batches = table.to_batches()
    lengths = [[len(s) for s in b.column(3).to_pylist()] for b in batches]
    assert lengths == [[10] * 4, [10] * 4, [10], [250], [40, 40], [40], [99, 1]]
    assert table.column("line_no").to_pylist() == list(range(1, len(sizes) + 1))
    assert rejects == []


@pytest.mark.parametrize("block", [1, 2, 3, 7, 64])
def test_lines_are_cut_the_same_whatever_the_newline_scan_block(
    monkeypatch: pytest.MonkeyPatch, block: int
) -> None:
    """Newlines on either side of a scan block's edge, blank lines, and a last line with no
    newline: the same lines for every block size."""
    monkeypatch.setattr(lines, "SCAN_BLOCK", block)
    data = b'{"a":1}\n\n\n{"b":22}\r\nx\n{"last":true}'
    chunk = sources.Chunk(memoryview(data), 5, len(data), 10)
    table, rejects = lines.lines_table([(0, chunk)])
    expected = ['{"a":1}\n', "\n", "\n", '{"b":22}\r\n', "x\n", '{"last":true}']
    assert table.column("raw").to_pylist() == expected
    assert table.column("line_no").to_pylist() == [5, 6, 7, 8, 9, 10]
    assert rejects == []


def test_many_small_files_share_record_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    """A batch of many small files (a day per file) is parsed in record batches of up to
    BATCH_ROWS lines, not one per file; a chunk of JOIN_BELOW_ROWS lines or more is kept whole
    (not copied)."""
    monkeypatch.setattr(lines, "BATCH_ROWS", 10)
    monkeypatch.setattr(lines, "JOIN_BELOW_ROWS", 5)
    small = b'{"a":1}\n{"b":2}\n'
    big = b'{"c":3}\n' * 6
    chunks = [(i, sources.Chunk(memoryview(small), 1, len(small), 2)) for i in range(12)]
    chunks.insert(6, (99, sources.Chunk(memoryview(big), 7, len(big), 12)))
    table, rejects = lines.lines_table(chunks)
    assert [b.num_rows for b in table.to_batches()] == [10, 2, 6, 10, 2]
    assert table.column("rid").to_pylist() == list(range(30))
    assert table.column("file_id").to_pylist() == (
        [i for i in range(6) for _ in "ab"] + [99] * 6 + [i for i in range(6, 12) for _ in "ab"]
    )
    assert table.column("line_no").to_pylist() == [1, 2] * 6 + list(range(7, 13)) + [1, 2] * 6
    assert table.column("raw").to_pylist()[-1] == '{"b":2}\n'
    assert rejects == []
