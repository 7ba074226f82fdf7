"""A customer feedback form's answers in a rejected line (`messaging_feedback`, as the public
code the facts cite reads it: `feedback_screens[].questions.<id>` holds the score as `payload`
and, for a free-form follow-up, the words the person typed as `follow_up.payload`). The typed
answer is what the person wrote, as a message's text is: a salted database without --keep-text
keeps only its length, and a forget takes it with the person's id; the score stays."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from ingest import pipeline
from ingest.privacy import SALT_ENV
from tests import factories as f
from tests.conftest import Query
from tests.ingest.forget_setup import rejects_both_ways

SALT = "pepper-for-feedback"
ANSWER = "Tom at the Elm Street shop was rude to me"


def _feedback(psid: str = f.PSID) -> dict[str, object]:
    question = {"type": "csat", "payload": "4",
                "follow_up": {"type": "free_form", "payload": ANSWER}}  # fmt: skip
    screens = [{"screen_id": 0, "questions": {"hauydmns8": question}}]
    item = f.other_item("messaging_feedback", {"feedback_screens": screens}, psid=psid)
    item["timestamp"] = "TIMESTAMP"  # as a doc sample quotes it: rejected
    return f.delivery(item, time="TIMESTAMP")


def _question(raw: str) -> dict[str, object]:
    item = json.loads(raw)["entry"][0]["messaging"][0]
    screen = item["messaging_feedback"]["feedback_screens"][0]
    return screen["questions"]["hauydmns8"]  # type: ignore[no-any-return]


def _rejected(tmp_path: Path, keep_text: bool) -> str:
    db_file = tmp_path / "db.duckdb"
    log = f.write_ndjson(tmp_path / "a.ndjson", [f.line(_feedback())])
    pipeline.run([str(log)], db_file, keep_text=keep_text)
    ((reason, raw),) = Query(db_file)("SELECT reason, raw FROM rejects")
    assert "timestamp" in reason, reason
    return raw  # type: ignore[no-any-return]


def test_a_salted_database_keeps_the_length_of_a_typed_answer_and_the_score(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(SALT_ENV, SALT)
    raw = _rejected(tmp_path, keep_text=False)
    assert "Elm Street" not in raw, raw
    assert _question(raw) == {"type": "csat", "payload": "4", "follow_up": {
        "type": "free_form", "payload": f"<text removed: {len(ANSWER)} characters>"}}  # fmt: skip


def test_with_keep_text_the_typed_answer_stays(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(SALT_ENV, SALT)
    assert _question(_rejected(tmp_path, keep_text=True))["follow_up"] == {
        "type": "free_form", "payload": ANSWER}  # fmt: skip


def test_forget_takes_the_typed_answer(tmp_path: Path, runner: CliRunner) -> None:
    other = "6598765432101234"
    lines = [f.line(_feedback()), f.line(_feedback(other))]
    seen, forgot = rejects_both_ways(
        tmp_path, runner, lines, f.PSID, "SELECT raw FROM rejects ORDER BY line_no"
    )
    assert forgot == seen
    theirs, others = (_question(raw) for (raw,) in seen)
    assert theirs["follow_up"] == {
        "type": "free_form", "payload": f"<text removed: {len(ANSWER)} characters>"}  # fmt: skip
    assert theirs["payload"] == "4"
    assert others["follow_up"] == {"type": "free_form", "payload": ANSWER}  # another person's
