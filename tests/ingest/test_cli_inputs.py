"""`refscope ingest` through click's runner against a real DuckDB file: the paths it is given
(missing, unreadable, empty, a broken symlink, a folder it cannot list, a name that is not
UTF-8, none at all) and a gz still being written."""

from __future__ import annotations

import gzip
import os
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import tests.factories as f
from ingest.cli import cli
from tests.conftest import Query
from tests.factories import T0
from tests.ingest.cli_setup import _log_with_retry, _words


def test_missing_path_exits_non_zero_naming_it(
    runner: CliRunner, db_path: Path, tmp_path: Path
) -> None:
    missing = tmp_path / "no-such-dir" / "webhooks.ndjson"
    result = runner.invoke(cli, ["ingest", str(missing), "--db", str(db_path)])
    assert result.exit_code == 1
    assert f"Error: {missing}: no such file or directory" in result.output
    assert "Traceback" not in result.output


def _corrupt(at: int) -> bytes:
    """A .gz with bytes damaged at `at` (from the end when negative): at 10, its first block
    has the reserved block type; at -6, the CRC is wrong."""
    data = bytearray(gzip.compress(b'{"object": "page"}\n' * 5000, mtime=0))
    data[at] |= 0b111
    data[at + 1] ^= 0xFF
    return bytes(data)


@pytest.mark.parametrize(
    "spec, content, message",
    [
        ("*.ndjson", b"", "no files match"),
        ("broken.ndjson.gz", b"hello\n", "cannot read: Not a gzipped file"),
        ("broken.ndjson.gz", _corrupt(-6), "cannot read: CRC check failed"),
        ("broken.ndjson.gz", _corrupt(10), "cannot read: Error -3 while decompressing"),
    ],
    ids=["glob-matching-nothing", "not-gz", "bad-crc", "corrupt-deflate"],
)
def test_unreadable_input_exits_non_zero_with_a_clear_message(
    runner: CliRunner, db_path: Path, tmp_path: Path, spec: str, content: bytes, message: str
) -> None:
    (tmp_path / "broken.ndjson.gz").write_bytes(content)
    result = runner.invoke(cli, ["ingest", str(tmp_path / spec), "--db", str(db_path)])
    assert result.exit_code == 1
    assert message in _words(result) and str(tmp_path) in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


@pytest.mark.parametrize("spec", ["", "  "])
def test_an_empty_path_is_refused_not_read_as_the_current_folder(
    runner: CliRunner, db_path: Path, log_dir: Path, monkeypatch: pytest.MonkeyPatch, spec: str,
    query: Query,
) -> None:  # fmt: skip
    _log_with_retry(log_dir)
    monkeypatch.chdir(log_dir)  # a folder with a log in it: "" must not read it
    result = runner.invoke(cli, ["ingest", spec, "--db", str(db_path)])
    assert result.exit_code == 1
    assert "an empty PATH: give a file, a directory or a glob" in result.output
    assert query("SELECT count(*) FROM events") == [(0,)]


def test_a_gz_still_being_written_is_read_up_to_its_cut_then_on_from_there(
    runner: CliRunner, db_path: Path, log_dir: Path, query: Query
) -> None:
    """The other inputs are read; the .gz gives its whole lines now and the rest once it is
    complete, with nothing read twice and nothing lost."""
    lines = [f.line(f.delivery(f.message("hi", psid=f"u{i}", ts=T0 + i))) for i in range(3000)]
    whole = gzip.compress("".join(x + "\n" for x in lines).encode(), mtime=0)
    gz = log_dir / "rotated.ndjson.gz"
    gz.write_bytes(whole[: len(whole) * 2 // 3])
    _log_with_retry(log_dir)
    first = runner.invoke(cli, ["ingest", str(log_dir), "--db", str(db_path)])
    assert first.exit_code == 0, first.output
    assert "compressed stream ends early (still being written?)" in _words(first)
    ((read,),) = query("SELECT lines_done FROM ingest_files WHERE path LIKE '%rotated%'")
    assert 0 < read < 3000
    assert query("SELECT count(*) FROM events WHERE file LIKE '%rotated%'") == [(read,)]
    assert query("SELECT count(*) FROM events WHERE file LIKE '%webhooks%'") == [(3,)]
    gz.write_bytes(whole)
    second = runner.invoke(cli, ["ingest", str(log_dir), "--db", str(db_path)])
    assert second.exit_code == 0, second.output
    assert "still being written" not in second.output
    assert f"{3000 - read:,} lines" in _words(second) and "0 duplicates" in _words(second)
    assert query("SELECT count(*), count(DISTINCT psid) FROM events WHERE file LIKE '%rot%'") == [
        (3000, 3000)]  # fmt: skip


def test_ingest_without_paths_reads_the_receivers_log_folder(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(cli, ["ingest", "--db", "r.duckdb"])
    assert result.exit_code == 2
    assert "without one, ingest reads data/logs" in result.output
    assert not (tmp_path / "r.duckdb").exists()
    logs = tmp_path / "data" / "logs"
    logs.mkdir(parents=True)
    _log_with_retry(logs)
    result = runner.invoke(cli, ["ingest", "--db", "r.duckdb"])
    assert result.exit_code == 0, result.output
    read = Query(tmp_path / "r.duckdb")("SELECT file, count(*) FROM events GROUP BY file")
    assert read == [(str((logs / "webhooks.ndjson").resolve()), 3)]  # its 3 events, once each


def test_a_broken_symlink_is_named_as_such(
    runner: CliRunner, db_path: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "logs"
    folder.mkdir()
    (folder / "gone.ndjson").symlink_to(tmp_path / "deleted.ndjson")
    result = runner.invoke(cli, ["ingest", str(folder), "--db", str(db_path)])
    assert result.exit_code == 1
    assert "gone.ndjson: no such file or directory (a broken symlink)" in result.output


def _refuse_listing(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    """Folders called name cannot be listed, as for a user without the right (root lists any
    folder, so it is refused here)."""
    real_scandir = os.scandir

    def scandir(path: Any) -> Any:
        if Path(path).name == name:
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)


def test_a_folder_that_cannot_be_listed_is_an_error(
    runner: CliRunner, db_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "logs"
    (folder / "sub").mkdir(parents=True)
    f.write_ndjson(folder / "ok.ndjson", [f.delivery(f.message("hi"))])
    _refuse_listing(monkeypatch, "sub")
    result = runner.invoke(cli, ["ingest", str(folder), "--db", str(db_path)])
    assert result.exit_code == 1
    assert "sub: cannot list the folder: Permission denied" in result.output


def _unlistable_is_an_error(
    runner: CliRunner, db_path: Path, monkeypatch: pytest.MonkeyPatch, spec: str
) -> None:
    """`ingest spec` where the folders called sub cannot be listed: exit 1 naming the folder,
    nothing read."""
    _refuse_listing(monkeypatch, "sub")
    result = runner.invoke(cli, ["ingest", spec, "--db", str(db_path)])
    assert result.exit_code == 1, result.output
    assert "sub: cannot list the folder: Permission denied" in result.output
    assert Query(db_path).scalar("SELECT count(*) FROM ingest_files") == 0


@pytest.mark.parametrize("pattern", ["**/*.ndjson", "**"])
def test_a_folder_a_recursive_glob_cannot_list_is_an_error(
    runner: CliRunner, db_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, pattern: str
) -> None:
    """As for the folder named: `'logs/**/*.ndjson'` over a folder it may not list read the
    others and said nothing (exit 0), the logs in that one left unread."""
    folder = tmp_path / "logs"
    (folder / "sub").mkdir(parents=True)
    f.write_ndjson(folder / "ok.ndjson", [f.delivery(f.message("hi"))])
    _unlistable_is_an_error(runner, db_path, monkeypatch, f"{folder}/{pattern}")


@pytest.mark.parametrize(
    "pattern", ["*/*.ndjson", "sub/*.ndjson", "s*/*", "*/*/*.ndjson", "s*/d*/**/*.ndjson"]
)
def test_a_folder_a_glob_cannot_list_is_an_error(
    runner: CliRunner, db_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, pattern: str
) -> None:
    """Python's glob leaves out a folder it cannot list without a word: `'logs/*/*.ndjson'`
    read the other days' folders (exit 0), and `'logs/sub/*.ndjson'` said no files match."""
    folder = tmp_path / "logs"
    (folder / "sub" / "deeper").mkdir(parents=True)
    f.write_ndjson(folder / "day" / "ok.ndjson", [f.delivery(f.message("hi"))])
    f.write_ndjson(folder / "sun" / "deep" / "ok.ndjson", [f.delivery(f.message("hi"))])
    _unlistable_is_an_error(runner, db_path, monkeypatch, f"{folder}/{pattern}")


def test_a_recursive_glob_under_a_folder_not_there_yet_matches_nothing(
    runner: CliRunner, db_path: Path, tmp_path: Path
) -> None:
    """A folder the receiver has yet to make is no folder it cannot list."""
    spec = f"{tmp_path}/logs/**/*.ndjson"
    result = runner.invoke(cli, ["ingest", spec, "--db", str(db_path)])
    assert result.exit_code == 1
    assert f"no files match '{spec}'" in result.output


def test_a_file_name_that_is_not_utf8_is_read_and_found_again(
    runner: CliRunner, db_path: Path, log_dir: Path, query: Query
) -> None:
    odd = Path(os.fsdecode(bytes(log_dir) + b"/x_\xff.ndjson"))
    odd.write_bytes((f.line(f.delivery(f.message("hi", psid="u1"))) + "\n").encode())
    _log_with_retry(log_dir)  # the folder's other log is read too
    first = runner.invoke(cli, ["ingest", str(log_dir), "--db", str(db_path)])
    assert first.exit_code == 0, first.output
    assert query("SELECT path FROM ingest_files WHERE path LIKE '%x_%'") == [
        (str(log_dir) + "/x_\\xff.ndjson",)
    ]
    again = runner.invoke(cli, ["ingest", str(log_dir), "--db", str(db_path)])
    assert again.exit_code == 0 and "nothing new to read in 2 files" in again.output


@pytest.mark.parametrize("pattern", ["**", "*/*", "*/**"], ids=["recursive", "star", "below"])
def test_a_glob_over_a_folder_reads_its_logs_not_the_other_files_it_matches(
    runner: CliRunner, db_path: Path, query: Query, tmp_path: Path, pattern: str
) -> None:
    """`refscope ingest 'data/demo/**'` read `tracked-links.csv` (and any other file the glob
    matched) as a log: each of its lines a reject. A glob matching any name reads the logs among
    its matches, as the folder itself is read; the others are left out."""
    demo = tmp_path / "demo"
    f.write_ndjson(demo / "day" / "webhooks.ndjson", [f.delivery(f.message(psid="u1", ts=T0))])
    (demo / "day" / "tracked-links.csv").write_text("page,ref,channel\nacmebakery,flyer,qr\n")
    (demo / "day" / "notes.txt").write_text("not a log\n")
    result = runner.invoke(cli, ["ingest", f"{demo}/{pattern}", "--db", str(db_path)])
    assert result.exit_code == 0, result.output
    assert query("SELECT count(*) FROM rejects") == [(0,)]
    assert query("SELECT psid FROM events") == [("u1",)]
    assert query("SELECT count(*) FROM ingest_files") == [(1,)]
    assert "warning" not in result.output


def test_a_glob_shaping_the_name_reads_what_it_matches_and_a_bare_star_says_what_it_left_out(
    runner: CliRunner, db_path: Path, query: Query, tmp_path: Path
) -> None:
    """A glob whose file name is more than a bare wildcard is the user's choice of files:
    `'logs/*/webhooks.ndjson*'` reads logrotate's `webhooks.ndjson.1` beside the live log. A
    bare `*` that matched only other names says what it left out, as a folder does."""
    logs = tmp_path / "logs"
    f.write_ndjson(logs / "a" / "webhooks.ndjson", [f.delivery(f.message(psid="u2", ts=T0 + 1))])
    f.write_ndjson(logs / "a" / "webhooks.ndjson.1", [f.delivery(f.message(psid="u1", ts=T0))])
    (logs / "b" / "tracked-links.csv").parent.mkdir()
    (logs / "b" / "tracked-links.csv").write_text("page,ref,channel\nacmebakery,flyer,qr\n")
    result = runner.invoke(cli, ["ingest", f"{logs}/*/webhooks.ndjson*", "--db", str(db_path)])
    assert result.exit_code == 0, result.output
    assert query("SELECT psid FROM events ORDER BY psid") == [("u1",), ("u2",)]
    assert query("SELECT count(*) FROM ingest_files") == [(2,)]
    spec = f"{logs}/b/*"
    result = runner.invoke(cli, ["ingest", spec, "--db", str(db_path)])
    assert result.exit_code == 0, result.output
    assert (
        f"warning: {spec}: no file is read by its name (1 left out: tracked-links.csv): a glob's "
        "wildcard, as a folder, picks *.ndjson, *.jsonl, *.json and their .gz; give such a file "
        "as a PATH to read it"
    ) in _words(result), result.output
    assert query("SELECT count(*) FROM rejects") == [(0,)]
