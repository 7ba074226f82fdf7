"""`refscope forget` and the text a rejected line holds: where text is kept (no salt, or
--keep-text), the forgotten person's messages and comments go with their id, others' stay."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from ingest import pipeline
from ingest.cli import cli
from ingest.privacy import Privacy, forgotten_hash
from tests import factories as f
from tests import factories_feed as ff
from tests.conftest import Query

SALT = "pepper-for-tests"
PSID, OTHER = "5550001112223334", "5550001112229999"
JANE, JOE = "10158230000000001", "10158230000000002"  # commenters: from.id, not PSIDs
SECRETS = ("070-123", "Storgatan", "inbox", "quoted", "Sundays", "unparsed")
KEPT = ("Other people's words", "Joe asks")  # texts of people not forgotten


def rejected_lines() -> list[str]:
    """Lines rejected whole or in part that hold the forgotten people's text, some beside
    another person's item."""
    mine = f.message("Call me on 070-123 45 67", psid=PSID, ts=f.T0)
    theirs = f.message("Other people's words", psid=OTHER, ts=f.T0 + 1)
    del theirs["message"]["mid"]  # rejected: the line is partly rejected, PSID's item kept
    text_first = f.message("I live at Storgatan 1", psid=PSID, ts=f.T0 + 2)
    text_first = {"message": text_first.pop("message"), **text_first}  # text before the id
    del text_first["message"]["mid"]
    send = ff.send_log("4455667788_1", PSID, ts=f.T0 + 3)  # the page's reply, to PSID
    del send["page_id"]
    cut = f.line(f.delivery(f.message('secret "quoted" words', psid=PSID, ts=f.T0 + 4)))
    jane = ff.comment(comment_id="4455667788_2", from_id=JANE)  # "Do you deliver on Sundays?"
    joe = ff.comment(comment_id="4455667788_3", from_id=JOE, text="Joe asks")
    for c in (jane, joe):
        del c["value"]["comment_id"]  # rejected
    body = f.line(f.delivery(f.message("an unparsed body", psid=PSID, ts=f.T0 + 5))) + " and"
    return [f.line(f.delivery(mine, theirs)), f.line(f.delivery(text_first)), f.line(send),
            cut[: cut.index("words")], f.line(ff.feed(jane, joe)),
            f.line(f.envelope(body))]  # fmt: skip


@pytest.mark.parametrize(
    ("salt", "keep_text"), [(None, False), (None, True), (SALT, True)],
    ids=["plain", "plain-keep-text", "salted-keep-text"],
)  # fmt: skip
def test_forget_removes_the_persons_text_from_rejected_lines(
    tmp_path: Path, runner: CliRunner, monkeypatch: pytest.MonkeyPatch,
    salt: str | None, keep_text: bool,
) -> None:  # fmt: skip
    """Read, then forgotten; or forgotten, then read: the same lines, each text of the items
    that held a forgotten id as a line read without --keep-text in a salted database shows it,
    and the texts of other people's items as they came."""
    if salt:
        monkeypatch.setenv("REFSCOPE_ID_SALT", salt)
    log = f.write_ndjson(tmp_path / "logs" / "a.ndjson", rejected_lines())
    seen_first, forgot_first = tmp_path / "seen.duckdb", tmp_path / "forgot.duckdb"

    def forget(path: Path) -> None:
        for who in (PSID, JANE):
            res = runner.invoke(cli, ["forget", who, "--db", str(path)])
            assert res.exit_code == 0, res.output

    pipeline.run([str(log)], seen_first, keep_text=keep_text)
    sql = "SELECT line_no, raw FROM rejects ORDER BY line_no"
    read = Query(seen_first)(sql)
    assert len(read) == 6
    assert all(s in "".join(raw for _, raw in read) for s in SECRETS + KEPT)
    forget(seen_first)
    forget(forgot_first)
    pipeline.run([str(log)], forgot_first, keep_text=keep_text)
    after, before = Query(seen_first)(sql), Query(forgot_first)(sql)
    assert before == after
    raws = [raw for _, raw in after]
    for secret in SECRETS:
        assert all(secret not in raw for raw in raws), secret
    for kept in KEPT:
        assert any(kept in raw for raw in raws), kept
    assert '"text":"<text removed: 24 characters>"' in raws[0]
    assert '"text":"<text removed: 21 characters>"' in raws[1]
    assert '"text":"<text removed: 25 characters>"' in raws[2]
    assert raws[3].endswith('"text":"<text removed: 16 characters, cut off>"')
    assert '"message":"<text removed: 26 characters>"' in raws[4]
    assert '\\"text\\":\\"<text removed: 16 characters>\\"' in raws[5]
    # Forgotten again: nothing more changes (a placeholder is not taken for a text).
    forget(seen_first)
    assert Query(seen_first)(sql) == after


def test_redact_leaves_a_placeholder_and_others_items_alone() -> None:
    forgotten = {forgotten_hash(PSID)}
    line = f.line(f.delivery(f.message("mine", psid=PSID), f.message("yours", psid=OTHER)))
    out = Privacy().redact(line, forgotten)
    assert re.findall(r'"text":"([^"]*)"', out) == ["<text removed: 4 characters>", "yours"]
