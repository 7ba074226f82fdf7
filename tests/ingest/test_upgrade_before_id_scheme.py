"""A salted database made before refscope recorded how it stores ids (`id_scheme` empty: its
next salted ingest records it) is salted all the same: its stored ids are hashed. The
migrations of salted rejected lines (people's names, a send's recipient's phone number) apply
to it too at the first open for writing, as to one whose `id_scheme` says so; they were skipped,
then counted as done, and its lines kept the names and numbers for good."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from ingest import db, pipeline
from ingest.privacy import NAME_REMOVED, SALT_ENV, Privacy
from ingest.shared_contact import PHONE_REMOVED
from tests import factories as f
from tests import factories_feed as ff
from tests.conftest import Query

SALT = "pepper-before-id-scheme"
PHONE = "+1(212)555-2368"
NAME = "Jane Doe"  # the commenter's name in ff.comment


def _lines() -> list[str]:
    broken = ff.comment()
    del broken["value"]["comment_id"]  # rejected
    send = {"object": "send_api", "page_id": f.PAGE_ID,  # no timestamp: rejected
            "request": {"recipient": {"phone_number": PHONE}}}  # fmt: skip
    return [f.line(f.delivery(f.message())), f.line(ff.feed(broken)), f.line(send)]


def _as_made_before_id_scheme(db_file: Path) -> None:
    """No id_scheme row, the name and number as they came, no count of migrations."""
    shown = Privacy(salt=SALT.encode()).shown_id(PHONE)
    con = duckdb.connect(str(db_file))
    con.execute("DELETE FROM id_scheme")
    con.execute("UPDATE rejects SET raw = replace(replace(raw, ?, ?), ?, ?)",
                [json.dumps(NAME_REMOVED), json.dumps(NAME), shown, PHONE])  # fmt: skip
    con.execute("COMMENT ON TABLE events IS NULL")
    con.close()


def _rejects(db_file: Path) -> list[tuple[int, str]]:
    return Query(db_file)("SELECT line_no, raw FROM rejects ORDER BY line_no")


def _database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, list]:
    monkeypatch.setenv(SALT_ENV, SALT)
    db_file = tmp_path / "db.duckdb"
    pipeline.run([str(f.write_ndjson(tmp_path / "a.ndjson", _lines()))], db_file)
    now = _rejects(db_file)
    assert len(now) == 2 and not any(NAME in raw or "555" in raw for _, raw in now), now
    _as_made_before_id_scheme(db_file)
    older = _rejects(db_file)
    assert NAME in older[0][1] and PHONE in older[1][1], older
    return db_file, now


def test_with_the_salt_its_lines_become_what_an_ingest_now_stores(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db_file, now = _database(tmp_path, monkeypatch)
    db.connect(db_file).close()
    assert _rejects(db_file) == now


def test_without_the_salt_the_name_and_number_go_all_the_same(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db_file, now = _database(tmp_path, monkeypatch)
    monkeypatch.delenv(SALT_ENV)
    db.connect(db_file).close()
    got = _rejects(db_file)
    assert got[0] == now[0]
    assert json.loads(got[1][1])["request"]["recipient"]["phone_number"] == PHONE_REMOVED


def test_a_database_made_without_a_salt_keeps_its_lines(tmp_path: Path) -> None:
    db_file = tmp_path / "db.duckdb"
    pipeline.run([str(f.write_ndjson(tmp_path / "a.ndjson", _lines()))], db_file)
    now = _rejects(db_file)
    assert NAME in now[0][1] and PHONE in now[1][1], now
    con = duckdb.connect(str(db_file))
    con.execute("DELETE FROM id_scheme")
    con.execute("COMMENT ON TABLE events IS NULL")
    con.close()
    db.connect(db_file).close()
    assert _rejects(db_file) == now
