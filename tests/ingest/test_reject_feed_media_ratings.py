"""What a person sent in a Page change, in a rejected line: a comment's photo or video (the
change's `value.photo`, `value.video`: a link to it, as a message's attachment has its
`payload.url`) and a page rating's review (field `ratings`: `review_text` and the reviewer's
name, `reviewer_name`, beside their `reviewer_id`). A salted database without --keep-text keeps
none of them, as it keeps no comment text and no commenter's name; a forget takes them with the
person's id."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from ingest import pipeline
from ingest.privacy import FORGOTTEN, NAME_REMOVED, SALT_ENV
from tests import factories as f
from tests import factories_feed as ff
from tests.conftest import Query
from tests.ingest.forget_setup import rejects_both_ways

SALT = "pepper-for-page-changes"
JANE, JOE = "10158230000000001", "10158230000000002"  # a commenter, a reviewer
PHOTO = "https://scontent.xx.fbcdn.net/v/t1.0-9/12345_n.jpg?oh=abc"
VIDEO = "https://video.xx.fbcdn.net/v/t42.1790-2/6789_n.mp4?oh=def"
REVIEW = "Lovely cakes, ask for Tom at the counter"
SECRETS = ("scontent", "fbcdn", "Lovely cakes", "Joe Roe")


def _lines() -> list[str]:
    photo = ff.comment(from_id=JANE)
    del photo["value"]["comment_id"]  # rejected
    photo["value"] |= {"photo": PHOTO}
    video = ff.comment(from_id=JANE)
    del video["value"]["comment_id"]
    video["value"] |= {"video": VIDEO}
    rating = {"field": "ratings", "value": {
        "item": "rating", "verb": "add", "reviewer_id": JOE, "reviewer_name": "Joe Roe",
        "review_text": REVIEW, "rating": 5, "recommendation_type": "positive",
        "created_time": f.T0 // 1000}}  # fmt: skip
    return [f.line(ff.feed(photo)), f.line(ff.feed(video)),
            f.line(ff.feed(rating, "not a change"))]  # fmt: skip


def _values(raw: str) -> dict[str, object]:
    return json.loads(raw)["entry"][0]["changes"][0]["value"]  # type: ignore[no-any-return]


def test_a_salted_database_keeps_no_media_link_review_or_reviewers_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(SALT_ENV, SALT)
    db_file = tmp_path / "db.duckdb"
    pipeline.run([str(f.write_ndjson(tmp_path / "a.ndjson", _lines()))], db_file)
    raws = [raw for (raw,) in Query(db_file)("SELECT raw FROM rejects ORDER BY line_no")]
    assert len(raws) == 3
    for raw in raws:
        for secret in SECRETS:
            assert secret not in raw, raw
    photo, video, rating = map(_values, raws)
    assert photo["photo"] == f"<text removed: {len(PHOTO)} characters>"
    assert video["video"] == f"<text removed: {len(VIDEO)} characters>"
    assert rating["review_text"] == f"<text removed: {len(REVIEW)} characters>"
    assert rating["reviewer_name"] == NAME_REMOVED
    assert rating["rating"] == 5 and rating["recommendation_type"] == "positive"


def test_with_keep_text_the_media_link_and_review_stay_but_not_the_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(SALT_ENV, SALT)
    db_file = tmp_path / "db.duckdb"
    pipeline.run([str(f.write_ndjson(tmp_path / "a.ndjson", _lines()))], db_file, keep_text=True)
    raws = [raw for (raw,) in Query(db_file)("SELECT raw FROM rejects ORDER BY line_no")]
    photo, _, rating = map(_values, raws)
    assert photo["photo"] == PHOTO and rating["review_text"] == REVIEW
    assert rating["reviewer_name"] == NAME_REMOVED


@pytest.mark.parametrize("who", [JANE, JOE], ids=["commenter", "reviewer"])
def test_forget_takes_the_media_link_review_and_reviewers_name(
    tmp_path: Path, runner: CliRunner, who: str
) -> None:
    seen, forgot = rejects_both_ways(
        tmp_path, runner, _lines(), who, "SELECT raw FROM rejects ORDER BY line_no"
    )
    assert forgot == seen
    photo, video, rating = (_values(raw) for (raw,) in seen)
    if who == JANE:
        assert photo["photo"] == f"<text removed: {len(PHOTO)} characters>"
        assert video["video"] == f"<text removed: {len(VIDEO)} characters>"
        assert rating["review_text"] == REVIEW  # another person's
    else:
        assert photo["photo"] == PHOTO
        assert rating["review_text"] == f"<text removed: {len(REVIEW)} characters>"
        assert rating["reviewer_id"] == rating["reviewer_name"] == FORGOTTEN
