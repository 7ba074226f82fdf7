"""A REFSCOPE_ID_SALT of blanks alone (a `.env` line `REFSCOPE_ID_SALT= `) is a key everyone
knows: HMAC-SHA256 keyed by it is a hash anyone can compute again over candidate ids, so a
database "shared without the ids that name a person" would name them. ingest, rebuild and
forget refuse it, in processes of their own, before any file is made; a salt with blanks
around real characters is a salt as it always was."""

from __future__ import annotations

import hashlib
import hmac
from pathlib import Path

import pytest

from tests.conftest import Query
from tests.ingest.cli_setup import _log, _run_refscope

BLANKS = (" ", "\t", "  \t ")


def _refused(run_args: tuple[str, ...], cwd: Path, salt: str) -> str:
    """The one error line of a run refused for its blank salt, checked to show no traceback."""
    run = _run_refscope(*run_args, cwd=cwd, env={"REFSCOPE_ID_SALT": salt})
    assert run.returncode == 1, run.stdout + run.stderr
    assert "Traceback" not in run.stderr
    errors = [line for line in run.stderr.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1, run.stderr
    return errors[0]


@pytest.mark.parametrize("salt", BLANKS, ids=["space", "tab", "mixed"])
def test_ingest_and_forget_refuse_a_blank_salt_before_making_the_database(
    tmp_path: Path, salt: str
) -> None:
    log = _log(tmp_path / "logs")
    db_file = tmp_path / "refscope.duckdb"
    for args in (
        ("ingest", str(log), "--db", str(db_file), "--no-progress"),
        ("forget", "u1", "--db", str(db_file)),
    ):
        error = _refused(args, tmp_path, salt)
        assert "REFSCOPE_ID_SALT is blank" in error, error
        assert not db_file.exists(), args  # refused before anything was written
        assert not list(tmp_path.glob("refscope.duckdb*")), args


def test_rebuild_refuses_a_blank_salt_and_writes_no_new_file(tmp_path: Path) -> None:
    log = _log(tmp_path / "logs")
    db_file, out = tmp_path / "refscope.duckdb", tmp_path / "new.duckdb"
    made = _run_refscope("ingest", str(log), "--db", str(db_file), "--no-progress", cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    args = ("rebuild", str(log), "--db", str(db_file), "--out", str(out), "--no-progress")
    assert "REFSCOPE_ID_SALT is blank" in _refused(args, tmp_path, " ")
    assert not list(tmp_path.glob("new.duckdb*"))


def test_a_salt_with_blanks_around_it_keys_the_hash_as_it_is(tmp_path: Path) -> None:
    salt = " pepper \t"
    log = _log(tmp_path / "logs")
    db_file = tmp_path / "refscope.duckdb"
    run = _run_refscope(
        "ingest", str(log), "--db", str(db_file), "--no-progress",
        cwd=tmp_path, env={"REFSCOPE_ID_SALT": salt},
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    expected = sorted(
        (hmac.new(salt.encode(), p.encode(), hashlib.sha256).hexdigest(),) for p in ("u1", "u2")
    )
    assert Query(db_file)("SELECT DISTINCT psid FROM events ORDER BY psid") == expected
