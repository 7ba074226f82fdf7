"""The inputs a run reads: .gz logs, folders, globs and links, each file once; paths refused."""

from __future__ import annotations

import gzip
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import duckdb
import pytest

import tests.factories as f
from ingest import pipeline, sources
from ingest.errors import SourceError
from tests.conftest import Query
from tests.factories import T0
from tests.ingest.logs import messages

# --- inputs: .gz, directories, globs ------------------------------------------------------------


def _gz(path: Path, lines: list[Any], mode: str = "wb") -> Path:
    with gzip.open(path, mode) as fh:
        fh.write(b"".join(f.line(x).encode() + b"\n" for x in lines))
    return path


def test_gz_log_is_read_and_appended_members_only_once(db_path: Path, query: Query,
                                                       log_dir: Path) -> None:  # fmt: skip
    path = _gz(log_dir / "webhooks.ndjson.gz", [f.delivery(f.message(psid="u1", ts=T0))])
    pipeline.run([str(path)], db_path)
    _gz(path, [f.delivery(f.message(psid="u2", ts=T0 + 1))], mode="ab")  # a new gzip member
    result = pipeline.run([str(path)], db_path)
    assert (result.lines, result.events_added) == (1, 1)
    assert query("SELECT psid, line_no FROM events ORDER BY line_no") == [("u1", 1), ("u2", 2)]


def test_a_gz_only_touched_is_not_read_again(db_path: Path, query: Query, log_dir: Path) -> None:
    """Same bytes, new modification time (a backup restored it, `touch`): nothing new to read,
    as for a plain file; its rejected line is not counted again."""
    path = _gz(log_dir / "webhooks.ndjson.gz", [f.delivery(f.message(psid="u1", ts=T0)), [1]])
    pipeline.run([str(path)], db_path)
    os.utime(path, ns=(1_700_000_060_000_000_000, 1_700_000_060_000_000_000))
    result = pipeline.run([str(path)], db_path)
    assert (result.lines, result.events_parsed, result.rejects_added) == (0, 0, 0)
    assert query("SELECT count(*) FROM rejects") == [(1,)]


def test_gz_replaced_by_one_of_the_same_size_is_read_again(
    db_path: Path, query: Query, log_dir: Path
) -> None:
    """Same size, new modification time: another .gz, read from its start (not skipped)."""
    path = log_dir / "webhooks.ndjson.gz"

    def write(mid: str, mtime_ns: int) -> int:
        line = f.line(f.delivery(f.message(psid="u1", ts=T0, mid=mid))).encode() + b"\n"
        path.write_bytes(gzip.compress(line, mtime=0))
        os.utime(path, ns=(mtime_ns, mtime_ns))
        return path.stat().st_size

    size = write("m_aaaa", 1_700_000_000_000_000_000)
    pipeline.run([str(path)], db_path)
    assert write("m_bbbb", 1_700_000_060_000_000_000) == size
    result = pipeline.run([str(path)], db_path)
    assert (result.files_read, result.lines, result.events_added) == (1, 1, 1)
    assert query("SELECT mid FROM events ORDER BY mid") == [("m_aaaa",), ("m_bbbb",)]


def test_a_gz_rewritten_from_a_copy_of_its_start_is_read_from_the_start(
    db_path: Path, query: Query, log_dir: Path
) -> None:
    """A .gz compressed anew (header time 0, as Go, Java and Node write it) from the same first
    lines and others after: its first 4 KiB are the old file's, it is no larger, yet it is no
    grown file. Read on from the old offset, the lines after the common ones were missed."""
    import random

    rnd = random.Random(5)
    words = ["".join(rnd.choices("abcdefghijklmnopqrstuvwxyz", k=200)) for _ in range(120)]
    common = [f.delivery(f.message(w, psid=f"u{i:03}", ts=T0 + i)) for i, w in enumerate(words)]
    path = log_dir / "webhooks.ndjson.gz"

    def write(lines: list[Any]) -> bytes:
        data = gzip.compress(b"".join(f.line(x).encode() + b"\n" for x in lines), mtime=0)
        path.write_bytes(data)
        return data

    old = write([*common, *messages("a", 20, T0 + 1000)])
    pipeline.run([str(path)], db_path)
    new = write([*common, *messages("b", 30, T0 + 2000)])
    assert new[: sources.HEAD_BYTES] == old[: sources.HEAD_BYTES] and len(new) >= len(old)
    result = pipeline.run([str(path)], db_path)
    assert (result.lines, result.events_added) == (150, 30)
    assert query("SELECT count(*) FROM events WHERE psid LIKE 'b%'") == [(30,)]
    assert query("SELECT count(*) FROM rejects") == [(0,)]


def test_a_gz_recorded_by_an_earlier_version_still_reads_its_appended_members_only(
    db_path: Path, query: Query, log_dir: Path
) -> None:
    path = _gz(log_dir / "webhooks.ndjson.gz", [f.delivery(f.message(psid="u1", ts=T0))])
    pipeline.run([str(path)], db_path)
    con = duckdb.connect(str(db_path))
    try:  # the fingerprint as it was stored before: the md5 of the first 4 KiB alone
        con.execute("UPDATE ingest_files SET head_hash = ?", [sources.prefix_hash(path, 10**9)])
    finally:
        con.close()
    _gz(path, [f.delivery(f.message(psid="u2", ts=T0 + 1))], mode="ab")
    result = pipeline.run([str(path)], db_path)
    assert (result.lines, result.events_added) == (1, 1)
    assert query("SELECT psid, line_no FROM events ORDER BY line_no") == [("u1", 1), ("u2", 2)]


def test_directories_are_read_recursively_and_globs_expand(
    db_path: Path, query: Query, tmp_path: Path
) -> None:
    root = tmp_path / "incoming"
    f.write_ndjson(root / "a.ndjson", [f.delivery(f.message(psid="u1", ts=T0))])
    (root / "2023" / "11").mkdir(parents=True)
    _gz(root / "2023" / "11" / "b.jsonl.gz", [f.delivery(f.message(psid="u2", ts=T0))])
    f.write_ndjson(root / "2023" / "c.json", [f.delivery(f.message(psid="u3", ts=T0))])
    (root / "2023" / "notes.txt").write_text("not a log\n")
    result = pipeline.run([str(root)], db_path)
    assert (result.files, result.rejects_added) == (3, 0)
    assert query("SELECT psid FROM events ORDER BY psid") == [("u1",), ("u2",), ("u3",)]

    other = tmp_path / "other.duckdb"
    result = pipeline.run([str(tmp_path / "incoming" / "**" / "*.ndjson"),
                           str(root / "2023" / "*.json")], other)  # fmt: skip
    assert result.files == 2
    assert Query(other)("SELECT psid FROM events ORDER BY psid") == [("u1",), ("u3",)]


def test_log_names_in_upper_case_are_read_from_a_folder_a_glob_and_by_name(
    db_path: Path, query: Query, tmp_path: Path
) -> None:
    """`X.JSON`, `b.Ndjson`, `c.NDJSON.GZ` (a Windows tool's or an export's names): a folder
    left them out, silently beside a `webhooks.ndjson`, and `c.NDJSON.GZ` given by name was
    refused as "gzip data in a file not named .gz: rename it c.NDJSON.GZ.gz"."""
    root = tmp_path / "incoming"
    f.write_ndjson(root / "webhooks.ndjson", [f.delivery(f.message(psid="u0", ts=T0))])
    f.write_ndjson(root / "A.JSON", [f.delivery(f.message(psid="u1", ts=T0))])
    f.write_ndjson(root / "b.Ndjson", [f.delivery(f.message(psid="u2", ts=T0))])
    gz = _gz(root / "c.NDJSON.GZ", [f.delivery(f.message(psid="u3", ts=T0))])
    (root / "notes.TXT").write_text("not a log\n")
    result = pipeline.run([str(root)], db_path)
    assert (result.files, result.rejects_added, result.warnings) == (4, 0, [])
    assert query("SELECT psid FROM events ORDER BY psid") == [("u0",), ("u1",), ("u2",), ("u3",)]
    for spec in (f"{root}/*", str(gz)):
        other = tmp_path / f"{len(spec)}.duckdb"
        result = pipeline.run([spec], other)
        assert result.rejects_added == 0, spec
        assert ("u3",) in Query(other)("SELECT psid FROM events"), spec


def test_a_linked_folder_below_a_directory_is_read_as_a_glob_reads_it(
    db_path: Path, query: Query, tmp_path: Path
) -> None:
    """An archive on another disk linked into the log folder was left out without a word (a
    glob over the folder read it); a link back up the tree is not walked round and round."""
    logs, archive = tmp_path / "logs", tmp_path / "disk2" / "archive"
    f.write_ndjson(logs / "today.ndjson", [f.delivery(f.message(psid="u1", ts=T0))])
    f.write_ndjson(archive / "old.ndjson", [f.delivery(f.message(psid="u2", ts=T0))])
    os.symlink(archive, logs / "archive")
    os.symlink(logs, archive / "back")
    result = pipeline.run([str(logs)], db_path)
    assert (result.files, result.rejects_added) == (2, 0)
    assert query("SELECT psid FROM events ORDER BY psid") == [("u1",), ("u2",)]


def test_a_folder_linked_back_up_its_tree_twice_is_walked_once(tmp_path: Path) -> None:
    """A folder reached again is not walked below either: two links back up the tree (a
    `current` and a `latest` link to the log folder inside it) would otherwise double the
    walk at each level, down to the kernel's limit of links in a path. Run in a process of its
    own, so that a hang is a failure."""
    logs = tmp_path / "logs"
    f.write_ndjson(logs / "today.ndjson", [f.delivery(f.message(psid="u1", ts=T0))])
    os.symlink(logs, logs / "current")
    os.symlink(logs, logs / "latest")
    code = "import sys; from ingest import discovery; print(discovery.discover(sys.argv[1:]))"
    args = [sys.executable, "-c", code, str(logs)]
    root = Path(__file__).resolve().parents[2]
    out = subprocess.run(args, capture_output=True, text=True, timeout=60, cwd=root)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == repr([(logs / "today.ndjson").resolve()])


@pytest.mark.parametrize("pattern", ["**/*.ndjson", "**", "**/2026-*/*.ndjson"])
def test_a_recursive_glob_over_a_folder_linked_back_up_its_tree_ends(
    tmp_path: Path, pattern: str
) -> None:
    """The folder above, given as a glob (`'logs/**/*.ndjson'`, quoted for --follow): Python's
    glob followed both links at every level, down to the kernel's limit of links in a path,
    and the run never ended. Each folder is searched once, and what the glob matches is
    unchanged: a nested folder's logs, not a hidden folder's."""
    logs = tmp_path / "logs"
    f.write_ndjson(logs / "today.ndjson", [f.delivery(f.message(psid="u1", ts=T0))])
    f.write_ndjson(logs / "2026-12" / "2026-11" / "a.ndjson", [f.delivery(f.message(ts=T0))])
    f.write_ndjson(logs / ".hidden" / "2026-10" / "b.ndjson", [f.delivery(f.message(ts=T0))])
    os.symlink(logs, logs / "current")
    os.symlink(logs, logs / "latest")
    code = "import sys; from ingest import discovery; print(discovery.discover(sys.argv[1:]))"
    args = [sys.executable, "-c", code, f"{logs}/{pattern}"]
    root = Path(__file__).resolve().parents[2]
    out = subprocess.run(args, capture_output=True, text=True, timeout=60, cwd=root)
    assert out.returncode == 0, out.stderr
    nested = (logs / "2026-12" / "2026-11" / "a.ndjson").resolve()
    expected = {
        "**/*.ndjson": [nested, (logs / "today.ndjson").resolve()],
        "**": [nested, (logs / "today.ndjson").resolve()],  # folders: their logs, not hidden
        "**/2026-*/*.ndjson": [nested],
    }[pattern]
    assert out.stdout.strip() == repr(expected)


def test_a_glob_matching_folders_reads_their_logs_as_the_shell_would(
    db_path: Path, query: Query, tmp_path: Path
) -> None:
    """`refscope ingest --follow '/srv/refscope/*'` (quoted, so each round finds new folders)
    matched one folder per day and read none of them: only files matched were read."""
    root = tmp_path / "srv"
    f.write_ndjson(root / "2023-11-14" / "webhooks.ndjson", [f.delivery(f.message(psid="u1"))])
    f.write_ndjson(root / "2023-11-15" / "webhooks.ndjson", [f.delivery(f.message(psid="u2"))])
    f.write_ndjson(root / "loose.ndjson", [f.delivery(f.message(psid="u3"))])
    result = pipeline.run([str(root / "*")], db_path)
    assert (result.files, result.rejects_added) == (3, 0)
    assert query("SELECT psid FROM events ORDER BY psid") == [("u1",), ("u2",), ("u3",)]
    with pytest.raises(SourceError, match="no files match"):
        pipeline.run([str(tmp_path / "srv" / "2023-11-1[4]" / "*.jsonl")], db_path)


def test_a_file_named_twice_in_one_run_is_read_once(db_path: Path, query: Query,
                                                     log_dir: Path) -> None:  # fmt: skip
    path = f.write_ndjson(log_dir / "webhooks.ndjson", [f.delivery(f.message()), "{oops"])
    os.symlink(path, log_dir / "latest.ndjson")
    spellings = [str(path), str(log_dir / ".." / "logs" / "webhooks.ndjson"), str(log_dir)]
    result = pipeline.run(spellings, db_path)
    assert (result.files, result.lines, result.rejects_added) == (1, 2, 1)
    assert query("SELECT line_no FROM rejects") == [(2,)]
    assert query("SELECT files_read, lines_read FROM ingest_runs") == [(1, 2)]


def test_the_database_named_beside_the_logs_is_left_out(runner, tmp_path: Path) -> None:
    """`refscope ingest data/*` in the default layout names data/refscope.duckdb too: it was read
    as a log, its bytes stored as rejects, again on every run (each run changes it)."""
    from dashboard.cli import cli

    data = tmp_path / "data"
    f.write_ndjson(data / "logs" / "webhooks.ndjson", [f.delivery(f.message(psid="u1", ts=T0))])
    db_file = data / "refscope.duckdb"
    pipeline.run([str(data / "logs")], db_file)
    for _ in range(2):
        result = runner.invoke(cli, ["ingest", *map(str, sorted(data.iterdir())),
                                     "--db", str(db_file)])  # fmt: skip
        assert result.exit_code == 0, result.output
        assert f"warning: {db_file}: the database itself, not a log: left out" in result.output
        assert "nothing new to read in 1 file (" in result.output
    q = Query(db_file)
    assert q("SELECT count(*) FROM rejects") == [(0,)]
    assert q("SELECT count(*) FROM ingest_files WHERE path = ?", str(db_file)) == [(0,)]


def test_rejects_of_several_files_in_one_run_name_their_own_file(
    db_path: Path, query: Query, log_dir: Path
) -> None:
    for i, name in enumerate(("a.ndjson", "b.ndjson", "c.ndjson")):
        lines = [f.delivery(f.message(psid=f"{name}{n}", ts=T0 + n)) for n in range(3)]
        lines.insert(i, f"bad line of {name}")
        f.write_ndjson(log_dir / name, lines)
    pipeline.run([str(log_dir)], db_path)
    assert query("SELECT file, line_no, raw FROM rejects ORDER BY file") == [
        (str((log_dir / n).resolve()), i + 1, f"bad line of {n}")
        for i, n in enumerate(("a.ndjson", "b.ndjson", "c.ndjson"))
    ]
    assert query("SELECT count(*), count(DISTINCT file || line_no) FROM events") == [(9, 9)]
    assert query(
        "SELECT DISTINCT psid, line_no FROM events WHERE file LIKE '%b.ndjson' ORDER BY 2"
    ) == [
        ("b.ndjson0", 1),
        ("b.ndjson1", 3),
        ("b.ndjson2", 4),
    ]


# --- unreadable inputs --------------------------------------------------------------------------


def test_missing_path_is_a_source_error(db_path: Path, tmp_path: Path) -> None:
    missing = tmp_path / "nowhere" / "webhooks.ndjson"
    with pytest.raises(SourceError, match=re.escape(str(missing))):
        pipeline.run([str(missing)], db_path)


def test_glob_matching_nothing_is_a_source_error(db_path: Path, tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="no files match"):
        pipeline.run([str(tmp_path / "*.ndjson")], db_path)


def test_path_that_is_not_a_file_is_a_source_error(db_path: Path, tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.ndjson"
    os.mkfifo(fifo)
    with pytest.raises(SourceError, match="not a regular file"):
        pipeline.run([str(fifo)], db_path)


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads every file")
def test_unreadable_file_is_a_source_error(db_path: Path, tmp_path: Path) -> None:
    path = f.write_ndjson(tmp_path / "secret.ndjson", [f.delivery(f.message())])
    path.chmod(0)
    with pytest.raises(SourceError, match="permission denied"):
        pipeline.run([str(path)], db_path)
