"""A salted database an older refscope wrote holds a send's recipient's phone number in its
rejected lines (a send by phone number) beside ids shown hashed: only a run of 10 digits or more
was hashed, so `+1(212)555-2368`, as Meta's Send API page writes one, stayed whole. Opened for
writing by this refscope, it is shown as a salted ingest now stores it (`id:` and its hash)
when the database's salt is set, else as `<phone number removed>`; a database without a salt
keeps its lines as they came."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from ingest import db, pipeline, retention
from ingest.privacy import FORGOTTEN, SALT_ENV, Privacy
from ingest.shared_contact import PHONE_REMOVED
from tests import factories as f
from tests.conftest import Query

SALT = "pepper-for-phone-numbers"
PHONE = "+1(212)555-2368"
CUT = "+1(212)55"  # what a line cut off inside the number holds of it


def _send(phone: str = PHONE) -> dict[str, object]:
    return {"object": "send_api", "page_id": f.PAGE_ID,  # no timestamp: rejected
            "request": {"recipient": {"phone_number": phone},
                        "message": {"text": "Your order is ready"}},
            "response": {"message_id": "m_sent_1"}}  # fmt: skip


def _lines() -> list[str]:
    cut = f.line(_send())
    return [f.line(_send()),
            f.line(f.envelope(f.line(_send()) + " ")),  # a body kept as a string
            cut[: cut.index(CUT) + len(CUT)]]  # fmt: skip


def _as_older_refscope_stored(db_file: Path) -> None:
    """The numbers as an older salted refscope kept them (no run of 10 digits in them: whole),
    and no count of migrations."""
    privacy = Privacy(salt=SALT.encode())
    con = duckdb.connect(str(db_file))
    con.execute("UPDATE rejects SET raw = replace(raw, ?, ?)", [privacy.shown_id(PHONE), PHONE])
    con.execute(  # a cut line kept the string cut, as it came
        "UPDATE rejects SET raw = replace(raw, ?, ?)",
        [json.dumps(privacy.shown_id(CUT)), '"' + CUT],
    )
    con.execute("COMMENT ON TABLE events IS NULL")
    con.close()


def _rejects(query: Query) -> list[tuple[int, str]]:
    return query("SELECT line_no, raw FROM rejects ORDER BY line_no")


def _older_salted_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, list]:
    monkeypatch.setenv(SALT_ENV, SALT)
    db_file = tmp_path / "db.duckdb"
    pipeline.run([str(f.write_ndjson(tmp_path / "a.ndjson", _lines()))], db_file, keep_text=True)
    now = _rejects(Query(db_file))
    assert len(now) == 3 and not any("555" in raw for _, raw in now), now
    _as_older_refscope_stored(db_file)
    older = _rejects(Query(db_file))
    assert all("+1(212)55" in raw for _, raw in older), older
    return db_file, now


def test_with_its_salt_the_numbers_are_shown_as_an_ingest_now_shows_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db_file, now = _older_salted_database(tmp_path, monkeypatch)
    db.connect(db_file).close()
    assert _rejects(Query(db_file)) == now

    # So a forget of the number finds the line, and the text beside it (kept) goes too.
    con = db.connect(db_file)
    try:
        retention.forget(con, PHONE, None, Privacy(keep_text=True, salt=SALT.encode()))
    finally:
        con.close()
    (first,) = Query(db_file)("SELECT raw FROM rejects WHERE line_no = 1")
    recipient = json.loads(first[0])["request"]
    assert recipient["recipient"]["phone_number"] == FORGOTTEN, first
    assert "Your order" not in first[0], first


def test_without_the_salt_the_numbers_are_removed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db_file, now = _older_salted_database(tmp_path, monkeypatch)
    monkeypatch.delenv(SALT_ENV)  # any writer's first open migrates (links, prune…)
    db.connect(db_file).close()
    got = _rejects(Query(db_file))
    assert not any("555" in raw or "212" in raw for _, raw in got), got
    assert json.loads(got[0][1])["request"]["recipient"]["phone_number"] == PHONE_REMOVED
    db.connect(db_file).close()  # once: a second open changes nothing
    assert _rejects(Query(db_file)) == got


def test_a_database_without_a_salt_keeps_the_numbers(tmp_path: Path) -> None:
    db_file = tmp_path / "db.duckdb"
    pipeline.run([str(f.write_ndjson(tmp_path / "a.ndjson", _lines()))], db_file)
    now = _rejects(Query(db_file))
    assert all(CUT in raw for _, raw in now), now
    con = duckdb.connect(str(db_file))
    con.execute("COMMENT ON TABLE events IS NULL")
    con.close()
    db.connect(db_file).close()
    assert _rejects(Query(db_file)) == now
