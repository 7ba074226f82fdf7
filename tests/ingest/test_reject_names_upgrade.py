"""A salted database an older refscope wrote holds people's names in its rejected lines beside
ids shown hashed: a commenter's `from.name`, a send's recipient's `name.first_name` and
`name.last_name`. Opened for writing by this refscope, each becomes `<name removed>`, as a
salted ingest now stores it; a database without a salt keeps its lines as they came."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from ingest import db, pipeline
from ingest.privacy import SALT_ENV
from tests import factories as f
from tests import factories_feed as ff
from tests.conftest import Query

SALT = "pepper-for-names"
NAME = "Jane Doe"  # the commenter's name in ff.comment; the send's recipient's here too


def _lines() -> list[str]:
    broken = ff.comment()
    del broken["value"]["comment_id"]  # rejected
    send = {"object": "send_api", "page_id": f.PAGE_ID,  # no timestamp: rejected
            "request": {"recipient": {"phone_number": "+12125552368",
                                      "name": {"first_name": "Jane", "last_name": "Doe"}}},
            "response": {"message_id": "m_sent_1"}}  # fmt: skip
    as_string = f.envelope(f.line(ff.feed(broken)) + " ")  # a body kept as a string
    cut = f.line(ff.feed(ff.comment()))
    return [f.line(ff.feed(broken)), f.line(send), f.line(as_string),
            cut[: cut.index(NAME) + 4]]  # fmt: skip


def _as_older_refscope_stored(db_file: Path) -> None:
    """The names as they came where this refscope removed them, and no count of migrations."""
    con = duckdb.connect(str(db_file))
    for key, name in (("name", NAME), ("first_name", "Jane"), ("last_name", "Doe")):
        removed, kept = (f'"{key}":{json.dumps(x)}' for x in ("<name removed>", name))
        con.execute("UPDATE rejects SET raw = replace(replace(raw, ?, ?), ?, ?)",
                    [removed, kept, json.dumps(removed)[1:-1], json.dumps(kept)[1:-1]])  # fmt: skip
    con.execute("COMMENT ON TABLE events IS NULL")
    con.close()


def test_an_older_salted_databases_rejected_lines_lose_peoples_names(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(SALT_ENV, SALT)
    db_file = tmp_path / "db.duckdb"
    pipeline.run([str(f.write_ndjson(tmp_path / "a.ndjson", _lines()))], db_file)
    query = Query(db_file)
    now = query("SELECT line_no, raw FROM rejects ORDER BY line_no")
    assert len(now) == 4 and not any("Jane" in raw or "Doe" in raw for _, raw in now), now
    monkeypatch.delenv(SALT_ENV)  # any writer's first open migrates, a salt set or not

    _as_older_refscope_stored(db_file)
    older = query("SELECT line_no, raw FROM rejects ORDER BY line_no")
    assert all("Jane" in raw for _, raw in older), older
    db.connect(db_file).close()
    assert query("SELECT line_no, raw FROM rejects ORDER BY line_no") == now


def test_a_database_without_a_salt_keeps_the_names(tmp_path: Path) -> None:
    db_file = tmp_path / "db.duckdb"
    pipeline.run([str(f.write_ndjson(tmp_path / "a.ndjson", _lines()))], db_file)
    query = Query(db_file)
    now = query("SELECT line_no, raw FROM rejects ORDER BY line_no")
    assert all("Jane" in raw for _, raw in now), now
    con = duckdb.connect(str(db_file))
    con.execute("COMMENT ON TABLE events IS NULL")
    con.close()
    db.connect(db_file).close()
    assert query("SELECT line_no, raw FROM rejects ORDER BY line_no") == now
