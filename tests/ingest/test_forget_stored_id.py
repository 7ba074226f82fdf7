"""`refscope forget` given the id as a salted database stores it (HMAC-SHA256, 64 hex digits:
what the dashboard's contacts table and every query show there) forgets that person, as the id
that came would: the team often knows a person by the stored id only."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from ingest import pipeline
from ingest.cli import cli
from ingest.privacy import FORGOTTEN, SALT_ENV, Privacy, forgotten_hash
from tests import factories as f
from tests.conftest import Query
from tests.ingest.cli_setup import _run_refscope

SALT = "pepper-for-stored-ids"
PSID, OTHER = "5550001112223334", "5550001112229999"


def _read_a_log(tmp_path: Path) -> tuple[Path, Path]:
    """(log, database) of PSID's messages, one rejected (cut off, its PSID shown hashed), and
    OTHER's, the log read into the database under the salt."""
    cut = f.line(f.delivery(f.message("I live at Storgatan 1", psid=PSID, ts=f.T0 + 9)))
    log = f.write_ndjson(tmp_path / "a.ndjson", [
        f.delivery(f.message("hi", psid=PSID, ts=f.T0)),
        f.delivery(f.message("hello", psid=OTHER, ts=f.T0 + 1)),
        cut[: cut.index("Storgatan") + 5],  # rejected: cut off, its PSID shown hashed
    ])  # fmt: skip
    db_file = tmp_path / "db.duckdb"
    pipeline.run([str(log)], db_file)
    return log, db_file


def _forgotten(log: Path, db_file: Path, stored: str) -> None:
    """The person of that stored id is gone from db_file, and stays out of log read again."""
    query = Query(db_file)
    assert query("SELECT count(*) FROM events WHERE psid = ?", stored) == [(0,)]
    assert query("SELECT count(*) FROM contacts WHERE psid = ?", stored) == [(0,)]
    assert query("SELECT count(*) FROM contacts") == [(1,)]  # the other person stays
    assert query("SELECT id_hash FROM forgotten") == [(forgotten_hash(stored),)]
    ((raw,),) = query("SELECT raw FROM rejects")
    assert stored[:16] not in raw and "Storg" not in raw and FORGOTTEN in raw, raw

    pipeline.run([str(log)], db_file)  # the same log read again: they stay out
    assert query("SELECT count(*) FROM events WHERE psid = ?", stored) == [(0,)]


def test_forget_takes_the_stored_id_of_a_salted_database(
    tmp_path: Path, runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(SALT_ENV, SALT)
    stored = Privacy(salt=SALT.encode()).stored_id(PSID)
    log, db_file = _read_a_log(tmp_path)
    assert Query(db_file)("SELECT count(*) FROM events WHERE psid = ?", stored) == [(1,)]

    res = runner.invoke(cli, ["forget", stored, "--db", str(db_file)])
    assert res.exit_code == 0, res.output
    assert "no row held that id" not in res.output, res.output
    _forgotten(log, db_file, stored)


def test_a_stored_id_holding_no_one_is_still_taken_as_given(
    tmp_path: Path, runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    """64 hex digits that no row holds as stored (a user_ref of that shape, say) are an id as
    it came, hashed as every id given is."""
    monkeypatch.setenv(SALT_ENV, SALT)
    given = "ab" * 32
    db_file = tmp_path / "db.duckdb"
    pipeline.run([str(f.write_ndjson(tmp_path / "a.ndjson", [f.delivery(f.message())]))], db_file)
    res = runner.invoke(cli, ["forget", given, "--db", str(db_file)])
    assert res.exit_code == 0, res.output
    stored = Privacy(salt=SALT.encode()).stored_id(given)
    assert Query(db_file)("SELECT id_hash FROM forgotten") == [(forgotten_hash(stored),)]


def test_a_stored_id_in_upper_case_is_the_stored_id(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The stored id copied in upper case (a spreadsheet upper-cased it; the dashboard's search
    finds its contact so) forgets that person too, as in lower case: it is no id Meta gives.
    It was hashed as typed, and forget said no row held it while their rows stayed."""
    monkeypatch.setenv(SALT_ENV, SALT)
    stored = Privacy(salt=SALT.encode()).stored_id(PSID)
    log, db_file = _read_a_log(tmp_path)

    res = _run_refscope("forget", stored.upper(), "--db", str(db_file), cwd=tmp_path,
                        env={SALT_ENV: SALT})  # fmt: skip
    assert res.returncode == 0, res.stderr
    assert "no row held that id" not in res.stderr, res.stderr
    assert "forgotten: 1 event, 0 touches, 1 contact," in res.stdout, res.stdout
    _forgotten(log, db_file, stored)


def test_upper_case_hex_holding_no_one_is_still_taken_as_given(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """64 upper-case hex digits that no row holds in lower case are an id as it came (a
    user_ref of that shape), hashed as typed, as in lower case."""
    monkeypatch.setenv(SALT_ENV, SALT)
    given = "AB" * 32
    db_file = tmp_path / "db.duckdb"
    pipeline.run([str(f.write_ndjson(tmp_path / "a.ndjson", [f.delivery(f.message())]))], db_file)
    res = _run_refscope("forget", given, "--db", str(db_file), cwd=tmp_path, env={SALT_ENV: SALT})
    assert res.returncode == 0, res.stderr
    stored = Privacy(salt=SALT.encode()).stored_id(given)
    assert Query(db_file)("SELECT id_hash FROM forgotten") == [(forgotten_hash(stored),)]
