"""A database an older refscope wrote keeps each `unsupported object` reason as it wrote it, the
line's object quoted whole (a person's id or words): opened for writing, each is said in
today's words, as an ingest now says it, and every other reason stays."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from ingest import db
from tests import factories as f
from tests.conftest import IngestLines, Query

SALT = "pepper-for-tests"
PSID = "5550001112223334"
SECRET = f"jane.doe@example.com wrote to the page as {PSID}: call me on 070-123 45 67"
OBJECTS: list[object] = ["instagram", SECRET, PSID, "Instagram",
                         "it's: refscope reads Page webhooks", int(PSID), 1.5, {"id": PSID},
                         [SECRET], True]  # fmt: skip


def _lines() -> list[str]:
    """A line per object, one inside an envelope kept as a string, and others rejected so."""
    out = [f.line(f.delivery(f.message("hi", psid=PSID), obj=obj)) for obj in OBJECTS]
    body = f.line(f.delivery(f.message("hi", psid=PSID), obj=SECRET))
    return [*out, f.line(f.envelope(body)), "not json", f.line({"object": "page"})]


def _as_an_older_refscope_wrote(path: Path) -> list[str]:
    """Each reason quoting its object as older refscopes did (Python's repr, whole); the reasons
    as the database then holds them, by line."""
    con = duckdb.connect(str(path))
    old = [f"unsupported object {obj!r}: refscope reads Page webhooks" for obj in OBJECTS]
    old.append(f"envelope body is not an object but a string: {old[1]}")  # SECRET, as a body
    con.executemany("UPDATE rejects SET reason = ? WHERE line_no = ?",
                    [(reason, n) for n, reason in enumerate(old, start=1)])  # fmt: skip
    # A quote that cannot be read back (as changed since, or cut): said only as a value.
    con.execute("INSERT INTO rejects SELECT * REPLACE ('unsupported object ''ab: refscope "
                "reads Page webhooks' AS reason, line_no + 100 AS line_no) FROM rejects "
                "WHERE line_no = 1")  # fmt: skip
    con.execute("COMMENT ON TABLE events IS 'refscope migrations: 10'")
    con.close()
    return [r for (r,) in Query(path)("SELECT reason FROM rejects ORDER BY line_no")]


@pytest.mark.parametrize("salt", [None, SALT], ids=["plain", "salted"])
def test_an_older_databases_object_reasons_are_said_as_now(
    ingest_lines: IngestLines, db_path: Path, monkeypatch: pytest.MonkeyPatch, salt: str | None
) -> None:
    if salt:
        monkeypatch.setenv("REFSCOPE_ID_SALT", salt)
    ingest_lines(_lines())
    sql = "SELECT reason FROM rejects ORDER BY line_no"
    now = [r for (r,) in Query(db_path)(sql)]
    older = _as_an_older_refscope_wrote(db_path)
    assert sum(PSID in r for r in older) == 6 and older[-1].endswith(
        "'ab: refscope reads Page webhooks"
    )
    assert older[0] == now[0]  # a name was quoted, and is
    assert older[11:13] == now[11:13]  # the other reasons
    db.connect(db_path).close()
    after = [r for (r,) in Query(db_path)(sql)]
    assert after == [*now, "unsupported object (a value): refscope reads Page webhooks"]
    assert not any(PSID in r or "jane.doe" in r for r in after)
    assert after[10].startswith(
        "envelope body is not an object but a string: unsupported object (a"
    )
    db.connect(db_path).close()  # once only: the file records it
    assert [r for (r,) in Query(db_path)(sql)] == after
