"""`refscope forget`: a commenter's comments, and a salted id in every form rejected lines hold."""

from __future__ import annotations

import hashlib
import hmac
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from ingest import db, pipeline
from ingest.cli import cli
from ingest.privacy import Privacy
from tests import factories as f
from tests import factories_feed as ff
from tests.conftest import Query
from tests.ingest.forget_setup import rejects_both_ways

SALT = "pepper-for-tests"
JANE, JOE = "10158230000000001", "10158230000000002"  # commenters: from.id, not PSIDs
PSID = "5550001112223334"


def comment_lines() -> list[Any]:
    """Jane comments twice on the page and once on another page, Joe once; the page replies
    privately to Jane's first comment, which reaches PSID (a different id: never joined)."""

    def on(page: str, cid: str, who: str, t: int) -> Any:
        post = f"{page}_4455667788"
        c = ff.comment(comment_id=f"4455667788_{cid}", post_id=post, from_id=who,
                      created_time=(f.T0 + t) // 1000)  # fmt: skip
        return ff.feed(c, page_id=page)

    return [
        on(f.PAGE_ID, "1", JANE, 0),
        on(f.PAGE_ID, "2", JANE, 60_000),
        on(f.OTHER_PAGE_ID, "3", JANE, 120_000),
        on(f.PAGE_ID, "4", JOE, 180_000),
        ff.send_log("4455667788_1", PSID, ts=f.T0 + 240_000),
        f.delivery(f.message("thanks", psid=PSID, ts=f.T0 + 300_000)),
    ]


def shown_id(given: str) -> str:
    """How a rejected line shows an id with SALT set: `id:` and 16 hex digits of its HMAC."""
    return "id:" + hmac.new(SALT.encode(), given.encode(), hashlib.sha256).hexdigest()[:16]


def comments_by(query: Query) -> list[tuple[str, str]]:
    return query("SELECT page_id, comment_id FROM events WHERE kind = 'comment' ORDER BY ALL")


@pytest.mark.parametrize("salt", [None, SALT], ids=["plain", "salted"])
def test_forget_a_commenter_removes_their_comments_and_keeps_them_out(
    runner: CliRunner, db_path: Path, log_dir: Path, query: Query,
    monkeypatch: pytest.MonkeyPatch, salt: str | None,
) -> None:  # fmt: skip
    if salt:
        monkeypatch.setenv("REFSCOPE_ID_SALT", salt)
    lines = comment_lines()
    pipeline.run([str(f.write_ndjson(log_dir / "a.ndjson", lines))], db_path)
    assert len(comments_by(query)) == 4
    res = runner.invoke(cli, ["forget", JANE, "--page", f.PAGE_ID, "--db", str(db_path)])
    assert res.exit_code == 0, res.output
    assert "2 comments" in res.output
    kept = [(f.PAGE_ID, "4455667788_4"), (f.OTHER_PAGE_ID, "4455667788_3")]
    assert comments_by(query) == kept
    stored_psid = Privacy(salt=salt.encode() if salt else None).stored_id(PSID)
    assert query.scalar("SELECT count(*) FROM events WHERE psid = ?", stored_psid) == 2
    # The same logs read again from scratch: Jane's comments on the page stay out, counted as
    # left out, not as duplicates.
    again = pipeline.run([str(f.write_ndjson(log_dir / "copy.ndjson", lines))], db_path)
    assert comments_by(query) == kept
    assert (again.events_parsed, again.events_added, again.left_out, again.duplicates) == (
        6, 0, 2, 4)  # fmt: skip
    assert query("SELECT duplicates, events_left_out FROM ingest_runs WHERE run_id = ?",
                 again.run_id) == [(4, 2)]  # fmt: skip
    assert query.scalar("SELECT count(*) FROM events WHERE psid = ?", stored_psid) == 2


def test_forget_a_psid_leaves_comments_it_was_replied_to(
    runner: CliRunner, db_path: Path, log_dir: Path, query: Query
) -> None:
    lines = comment_lines()
    pipeline.run([str(f.write_ndjson(log_dir / "a.ndjson", lines))], db_path)
    res = runner.invoke(cli, ["forget", PSID, "--db", str(db_path)])
    assert res.exit_code == 0, res.output
    assert "0 comments" in res.output
    assert query.scalar("SELECT count(*) FROM events WHERE psid IS NOT NULL") == 0
    assert len(comments_by(query)) == 4  # Jane's first comment: replied to, but not the PSID
    pipeline.run([str(f.write_ndjson(log_dir / "copy.ndjson", lines))], db_path)
    assert len(comments_by(query)) == 4


def test_forget_with_a_salt_blanks_the_hashed_ids_rejected_lines_show(
    runner: CliRunner, db_path: Path, log_dir: Path, query: Query,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    monkeypatch.setenv("REFSCOPE_ID_SALT", SALT)
    ref = "chat-plugin-user-ref-42"
    broken = [
        f.line(f.delivery(f.message("hi", psid=PSID, ts=f.T0)))[:-3],
        f.line(f.delivery(f.chat_plugin_referral(ref, ts=f.T0)))[:-3],
        f.line(f.delivery(f.message("hi", psid="5550001112229999", ts=f.T0)))[:-3],
    ]
    pipeline.run([str(f.write_ndjson(log_dir / "a.ndjson", broken))], db_path)
    shown = [shown_id(i) for i in (PSID, ref, "5550001112229999")]
    raws = [r[0] for r in query("SELECT raw FROM rejects ORDER BY line_no")]
    assert [s in raw for s, raw in zip(shown, raws, strict=True)] == [True, True, True]
    for given in (PSID, ref):
        res = runner.invoke(cli, ["forget", given, "--db", str(db_path)])
        assert res.exit_code == 0, res.output
        assert "1 rejected line" in res.output
    raws = [r[0] for r in query("SELECT raw FROM rejects ORDER BY line_no")]
    assert all(s not in "".join(raws) for s in shown[:2])
    assert ['"<forgotten>"' in raw for raw in raws] == [True, True, False]
    assert shown[2] in raws[2]  # someone else's id is left as it was
    assert json.dumps(ref) not in "".join(raws)


@pytest.mark.parametrize("salt", [None, SALT], ids=["plain", "salted"])
def test_forget_refuses_a_page_id(
    runner: CliRunner, db_path: Path, log_dir: Path, query: Query,
    monkeypatch: pytest.MonkeyPatch, salt: str | None,
) -> None:  # fmt: skip
    """The page's own public replies keep its id as their commenter id: a page id given to
    forget (a slip) would take them from the comment funnel, and from every later ingest."""
    if salt:
        monkeypatch.setenv("REFSCOPE_ID_SALT", salt)
    reply = ff.feed(ff.comment(comment_id="4455667788_9", from_id=f.PAGE_ID,
                               created_time=(f.T0 + 360_000) // 1000))  # fmt: skip
    broken = f.line(f.delivery(f.message("hi", psid=PSID, ts=f.T0)))[:-3]
    lines = [*comment_lines(), reply, broken]
    pipeline.run([str(f.write_ndjson(log_dir / "a.ndjson", lines))], db_path)
    rejects = query("SELECT raw FROM rejects")
    for page in (f.PAGE_ID, f.OTHER_PAGE_ID):
        res = runner.invoke(cli, ["forget", page, "--db", str(db_path)])
        assert res.exit_code != 0
        assert f"{page} is a page's id, no person's" in res.output
    assert len(comments_by(query)) == 5
    assert query.scalar("SELECT count(*) FROM forgotten") == 0
    assert query("SELECT raw FROM rejects") == rejects
    pipeline.run([str(f.write_ndjson(log_dir / "copy.ndjson", lines))], db_path)
    assert len(comments_by(query)) == 5


def test_the_summary_counts_a_forgotten_persons_events_apart_from_duplicates(
    runner: CliRunner, db_path: Path, log_dir: Path
) -> None:
    # A database made before ingest_runs had the column gets it when opened for writing.
    con = db.connect(db_path)
    con.execute("ALTER TABLE ingest_runs DROP COLUMN events_left_out")
    con.close()
    lines = comment_lines()
    pipeline.run([str(f.write_ndjson(log_dir / "a.ndjson", lines))], db_path)
    assert runner.invoke(cli, ["forget", JOE, "--db", str(db_path)]).exit_code == 0
    res = runner.invoke(cli, ["ingest", str(f.write_ndjson(log_dir / "b.ndjson", lines)),
                              "--db", str(db_path)])  # fmt: skip
    assert res.exit_code == 0, res.output
    assert "6 events (0 new, 5 duplicates, 1 left out: forgotten or pruned)" in res.output


def test_forget_blanks_only_the_whole_id_in_rejected_lines(
    runner: CliRunner, db_path: Path, log_dir: Path, query: Query
) -> None:
    # The id's digits also stand inside a longer id and a timestamp: those stay as they are.
    bad = ('{"object":"page","entry":[{"id":"20394855550001112223334","time":55500011122233340,'
           '"messaging":[{"sender":{"id":"5550001112223334"},"recipient":{"id":"1"}]}')  # fmt: skip
    pipeline.run([str(f.write_ndjson(log_dir / "a.ndjson", [bad]))], db_path)
    (before,) = query("SELECT raw FROM rejects")[0]
    res = runner.invoke(cli, ["forget", PSID, "--db", str(db_path)])
    assert res.exit_code == 0 and "1 rejected line" in res.output, res.output
    (after,) = query("SELECT raw FROM rejects")[0]
    assert after == before.replace('"id":"5550001112223334"', '"id":"<forgotten>"')
    assert after.count("<forgotten>") == 1


@pytest.mark.parametrize("salt", [None, SALT], ids=["plain", "salted"])
def test_rejected_lines_read_after_a_forget_are_blanked_as_a_forget_blanks_them(
    tmp_path: Path, runner: CliRunner, monkeypatch: pytest.MonkeyPatch, salt: str | None
) -> None:
    """Forget, then read the logs; or read them, then forget: the same rejected lines, the id
    blanked wherever it stands whole (also between underscores, as in a payload or a mid)."""
    if salt:
        monkeypatch.setenv("REFSCOPE_ID_SALT", salt)
    ok = f.message("hi", psid=PSID, ts=f.T0, quick_reply={"payload": f"USER_{PSID}"})
    broken = [
        # Partly rejected: its second item has no sender.
        f.line(f.delivery(ok, {"recipient": {"id": f.PAGE_ID}, "timestamp": f.T0, "message": {}})),
        f.line(f.delivery(f.postback(f"USER_{PSID}_MENU", psid=PSID, ts=f.T0)))[:-3],
    ]
    sql = "SELECT line_no, reason, raw FROM rejects ORDER BY line_no"
    after, before = rejects_both_ways(tmp_path, runner, broken, PSID, sql)
    assert len(after) == 2
    assert all(PSID not in raw and "<forgotten>" in raw for _, _, raw in after)
    assert before == after


@pytest.mark.parametrize("salt", [None, SALT], ids=["plain", "salted"])
def test_a_forgotten_commenters_name_goes_from_rejected_lines_with_their_id(
    tmp_path: Path, runner: CliRunner, monkeypatch: pytest.MonkeyPatch, salt: str | None
) -> None:
    """A comment's `from` holds the commenter's name beside their id: forgotten, before or after
    the line is read, the name goes too; a salted database never keeps it."""
    if salt:
        monkeypatch.setenv("REFSCOPE_ID_SALT", salt)

    def cut(who: str, cid: str) -> str:  # a comment line whose end the writer never wrote
        c = ff.comment(comment_id=f"4455667788_{cid}", from_id=who)
        return f.line(ff.feed(c))[:-5]

    log = f.write_ndjson(tmp_path / "logs" / "a.ndjson", [cut(JANE, "1"), cut(JOE, "2")])
    seen_first, forgot_first = tmp_path / "seen.duckdb", tmp_path / "forgot.duckdb"

    def forget(path: Path) -> None:
        res = runner.invoke(cli, ["forget", JANE, "--db", str(path)])
        assert res.exit_code == 0, res.output

    pipeline.run([str(log)], seen_first)
    if not salt:
        assert "Jane Doe" in Query(seen_first).scalar("SELECT string_agg(raw) FROM rejects")
    forget(seen_first)
    forget(forgot_first)
    pipeline.run([str(log)], forgot_first)
    sql = "SELECT line_no, raw FROM rejects ORDER BY line_no"
    after, before = Query(seen_first)(sql), Query(forgot_first)(sql)
    assert before == after
    (_, jane), (_, joe) = after
    assert '"from":{"id":"<forgotten>","name":"<forgotten>"}' in jane
    assert ("<name removed>" if salt else "Jane Doe") in joe  # Joe's name, not forgotten
    assert "<forgotten>" not in joe


@pytest.mark.parametrize("salt", [None, SALT], ids=["plain", "salted"])
def test_a_forgotten_commenters_name_goes_from_a_body_the_receiver_kept_as_a_string(
    tmp_path: Path, runner: CliRunner, monkeypatch: pytest.MonkeyPatch, salt: str | None
) -> None:
    """A delivery that is not JSON is logged with its body as a JSON string (its quotes
    escaped): the commenter's name goes with their id there too, forgotten before or after."""
    if salt:
        monkeypatch.setenv("REFSCOPE_ID_SALT", salt)
    comment = ff.comment(comment_id="4455667788_1", from_id=JANE)
    body = f.line(ff.feed(comment)) + " and then some"  # not JSON: kept as a string
    log = f.write_ndjson(tmp_path / "logs" / "a.ndjson", [f.envelope(body)])
    seen_first, forgot_first = tmp_path / "seen.duckdb", tmp_path / "forgot.duckdb"
    pipeline.run([str(log)], seen_first)
    if not salt:
        assert '\\"name\\":\\"Jane Doe\\"' in Query(seen_first).scalar("SELECT raw FROM rejects")
    for path in (seen_first, forgot_first):
        res = runner.invoke(cli, ["forget", JANE, "--db", str(path)])
        assert res.exit_code == 0, res.output
    pipeline.run([str(log)], forgot_first)
    sql = "SELECT raw FROM rejects"
    after, before = Query(seen_first).scalar(sql), Query(forgot_first).scalar(sql)
    assert before == after
    assert '\\"from\\":{\\"id\\":\\"<forgotten>\\",\\"name\\":\\"<forgotten>\\"}' in after
    assert "Jane Doe" not in after


def test_a_forgotten_commenters_name_goes_also_when_the_line_ends_inside_it(
    tmp_path: Path, runner: CliRunner
) -> None:
    """A line cut off inside the commenter's name (`"name":"Jane D`, no closing quote) holds
    the start of it beside their id: forgotten, before or after the line is read, it goes too;
    another commenter's cut name stays."""

    def cut(who: str, cid: str) -> str:
        c = ff.comment(comment_id=f"4455667788_{cid}", from_id=who)
        line = f.line(ff.feed(c))
        return line[: line.index("Jane Doe") + len("Jane D")]

    log = f.write_ndjson(tmp_path / "logs" / "a.ndjson", [cut(JANE, "1"), cut(JOE, "2")])
    seen_first, forgot_first = tmp_path / "seen.duckdb", tmp_path / "forgot.duckdb"
    pipeline.run([str(log)], seen_first)
    for path in (seen_first, forgot_first):
        res = runner.invoke(cli, ["forget", JANE, "--db", str(path)])
        assert res.exit_code == 0, res.output
    pipeline.run([str(log)], forgot_first)
    sql = "SELECT line_no, raw FROM rejects ORDER BY line_no"
    after, before = Query(seen_first)(sql), Query(forgot_first)(sql)
    assert before == after
    (_, jane), (_, joe) = after
    assert jane.endswith('"from":{"id":"<forgotten>","name":"<forgotten>"'), jane
    assert "Jane D" not in jane
    assert joe.endswith('"name":"Jane D')  # Joe's, not forgotten
