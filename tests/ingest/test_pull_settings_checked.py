"""`refscope pull logs` refuses a setting of its environment that is no value (a blank salt, a
REFSCOPE_KEEP_TEXT that is neither yes nor no...) as `ingest` does: before the log's server
is asked and before a database or its download folder is made, not after a whole download
into a new database. A salt that is not the database's is refused before the download too."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.ingest.cli_setup import _log, _refused_in_process, _run_refscope
from tests.ingest.fetch_server import Site, lines


def _refused(url: str, cwd: Path, db_file: Path, env: dict[str, str]) -> str:
    return _refused_in_process("pull", "logs", url, "--db", str(db_file), "--no-progress",
                               cwd=cwd, env=env)  # fmt: skip


@pytest.mark.parametrize(
    "name, value, said",
    [("REFSCOPE_ID_SALT", " \t", "REFSCOPE_ID_SALT is blank"),
     ("REFSCOPE_KEEP_TEXT", "maybe", "REFSCOPE_KEEP_TEXT='maybe': give 1"),
     ("REFSCOPE_INGEST_BATCH", "big", "REFSCOPE_INGEST_BATCH='big': give a size such as 8MB"),
     ("REFSCOPE_INGEST_MEMORY", "1KB", "REFSCOPE_INGEST_MEMORY='1KB': give at least 128MB")],
)  # fmt: skip
def test_a_setting_that_is_no_value_is_refused_before_asking_and_before_any_file(
    site: tuple[Site, str], tmp_path: Path, name: str, value: str, said: str
) -> None:
    s, base = site
    s.files["/log.ndjson"] = lines(0, 2)
    work = tmp_path / "work"
    work.mkdir()
    error = _refused(base + "/log.ndjson", work, work / "refscope.duckdb", {name: value})
    assert said in error, error
    assert s.requests == []  # the server was never asked
    assert list(work.iterdir()) == []  # no database, no .pull folder


def test_a_salt_that_is_not_the_databases_is_refused_before_asking(
    site: tuple[Site, str], tmp_path: Path
) -> None:
    db_file = tmp_path / "refscope.duckdb"
    made = _run_refscope("ingest", str(_log(tmp_path / "logs")), "--db", str(db_file),
                         "--no-progress", cwd=tmp_path)  # fmt: skip
    assert made.returncode == 0, made.stderr
    before = db_file.stat().st_mtime_ns
    s, base = site
    s.files["/log.ndjson"] = lines(0, 2)
    error = _refused(base + "/log.ndjson", tmp_path, db_file, {"REFSCOPE_ID_SALT": "pepper"})
    assert "stores ids as they came" in error, error
    assert s.requests == []
    assert db_file.stat().st_mtime_ns == before
