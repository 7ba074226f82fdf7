"""A post a visitor made on the Page, in a rejected line: a feed change of a photo post carries
the photo as `value.link` (a `scontent` URL, as public code receiving such changes shows it),
as a comment's photo comes as `value.photo`. A salted database without --keep-text keeps no
such link, and a forget takes it with the person's id."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from ingest import pipeline
from ingest.privacy import SALT_ENV
from tests import factories as f
from tests import factories_feed as ff
from tests.conftest import Query
from tests.ingest.forget_setup import rejects_both_ways

SALT = "pepper-for-post-links"
JANE, JOE = "10158230000000001", "10158230000000002"
LINK = "https://scontent.xx.fbcdn.net/v/t1.0-9/17352225_2887_n.jpg?oh=18b3c9fd&oe=59619394"


def _post(who: str) -> dict[str, object]:
    return {"field": "feed", "value": {
        "item": "photo", "verb": "add", "post_id": f"{f.PAGE_ID}_2887339648", "published": 1,
        "link": LINK, "message": "Look at my cake", "from": {"id": who, "name": "Jane Roe"},
        "created_time": f.T0 // 1000}}  # fmt: skip


def _lines() -> list[str]:
    # Beside a change that is no object, the line is rejected whole.
    return [f.line(ff.feed(_post(JANE), "not a change")),
            f.line(ff.feed(_post(JOE), "not a change"))]  # fmt: skip


def _value(raw: str) -> dict[str, object]:
    return json.loads(raw)["entry"][0]["changes"][0]["value"]  # type: ignore[no-any-return]


def _rejected(tmp_path: Path, keep_text: bool) -> list[str]:
    db_file = tmp_path / "db.duckdb"
    pipeline.run([str(f.write_ndjson(tmp_path / "a.ndjson", _lines()))], db_file,
                 keep_text=keep_text)  # fmt: skip
    rows = Query(db_file)("SELECT reason, raw FROM rejects ORDER BY line_no")
    assert [reason.startswith("partly rejected") for reason, _ in rows] == [True, True], rows
    return [raw for _, raw in rows]


def test_a_salted_database_keeps_no_link_of_a_post(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(SALT_ENV, SALT)
    for raw in _rejected(tmp_path, keep_text=False):
        assert "scontent" not in raw and "fbcdn" not in raw, raw
        assert _value(raw)["link"] == f"<text removed: {len(LINK)} characters>"


def test_with_keep_text_the_link_stays(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(SALT_ENV, SALT)
    assert all(_value(raw)["link"] == LINK for raw in _rejected(tmp_path, keep_text=True))


def test_forget_takes_the_link_of_their_post(tmp_path: Path, runner: CliRunner) -> None:
    seen, forgot = rejects_both_ways(
        tmp_path, runner, _lines(), JANE, "SELECT raw FROM rejects ORDER BY line_no"
    )
    assert forgot == seen
    theirs, others = (_value(raw) for (raw,) in seen)
    assert theirs["link"] == f"<text removed: {len(LINK)} characters>"
    assert others["link"] == LINK  # another person's post
