"""`refscope forget` and comment ids: with the page's token, Graph gives a comment's author by
its id (`GET /{comment-id}`), so none of a forgotten commenter's stays in any table, their
rejected lines included; the lines stay, and the page's and other people's comments keep theirs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from ingest import db
from tests import factories as f
from tests import factories_feed as ff
from tests.conftest import Query
from tests.ingest.forget_setup import as_an_older_forget_left, rejects_both_ways

SALT = "pepper-for-tests"
HER, PSID, OTHER = "10158230000000001", "5550001112223334", "10158230000000999"
POST = f"{f.PAGE_ID}_4455667788"
# Her comments (as Graph writes them, `<post>_<comment>`), one per place a line puts one.
HERS = {k: f"4455667788_{n}" for k, n in
        (("Rej", 2468013570), ("Cut", 2468013571), ("Ok", 2468013572), ("Snd", 2468013573),
         ("Form", 2468013574), ("Echo", 2468013575), ("Meta", 2468013576))}  # fmt: skip
VISIT = f"{f.PAGE_ID}_7766554433"  # her visitor post, which a private reply answered
THEIRS, PAGES = "4455667788_1122334455", "4455667788_9988776655"  # another's, the page's


def _comment(who: str, cid: str, **kw: Any) -> dict[str, Any]:
    return ff.comment(comment_id=cid, post_id=POST, from_id=who, **kw)


def lines() -> list[str]:
    """Lines holding her comment ids: rejected (whole or in part) but for `ok`, read as events."""
    mine = _comment(HER, HERS["Rej"], created_time="not a time")  # rejected: no time at all
    both = {"object": "page", "entry": [f.entry(
        _comment(OTHER, THEIRS), mine, _comment(f.PAGE_ID, PAGES, text="Thanks!"),
        container="changes", time="not a time")]}  # fmt: skip
    cut = f.line(ff.feed(_comment(HER, HERS["Cut"])))
    ok = ff.feed(_comment(HER, HERS["Ok"]))
    send = ff.send_log(HERS["Snd"], PSID, ts=f.T0 + 4)
    form = ff.send_log(HERS["Form"], PSID, ts=f.T0 + 5, form=True)
    visit = ff.send_log(psid=PSID, ts=f.T0 + 6, recipient={"post_id": VISIT})
    for rejected in (send, form, visit):
        del rejected["page_id"]
    echo = f.echo(psid=PSID, ts="not a time", metadata=HERS["Echo"])  # the bare id
    meta = f.private_reply_echo(HERS["Meta"], psid=PSID, ts="not a time")
    return [f.line(both), cut[: cut.index("2468013571") + 10], f.line(ok), f.line(send),
            f.line(form), f.line(visit), f.line(f.delivery(echo, time="not a time")),
            f.line(f.delivery(meta, time="not a time"))]  # fmt: skip


def forgotten_twice(tmp_path: Path, runner: CliRunner, sql: str) -> list[tuple[Any, ...]]:
    """Rows of sql after forgetting her commenter id and her PSID, read both ways (equal)."""
    after, before = rejects_both_ways(tmp_path, runner, lines(), [HER, PSID], sql)
    assert after == before
    return after


@pytest.mark.parametrize("salt", [None, SALT], ids=["plain", "salted"])
def test_forget_leaves_none_of_the_persons_comment_ids(
    tmp_path: Path, runner: CliRunner, monkeypatch: pytest.MonkeyPatch, salt: str | None
) -> None:
    if salt:
        monkeypatch.setenv("REFSCOPE_ID_SALT", salt)
    sql = "SELECT file, line_no, reason, raw FROM rejects ORDER BY line_no"
    after = forgotten_twice(tmp_path, runner, sql)
    assert [r[1] for r in after] == [1, 2, 4, 5, 6, 7, 8]  # every rejected line still there
    for path in (tmp_path / "seen.duckdb", tmp_path / "forgot.duckdb"):
        held = repr(Query(path).tables())  # every value of every table, events' and comments'
        digits = [cid.split("_")[1] for cid in (*HERS.values(), VISIT)]
        assert [d for d in digits if d in held] == [], path.name
        if not salt:  # salted, a line shows them hashed
            assert THEIRS in held and PAGES in held  # kept: not hers, and their line's
    raws = [r[3] for r in after]
    assert raws[0].count('"comment_id":"<forgotten>"') == 1  # hers; the others' keep theirs
    assert raws[1].endswith('"comment_id":"<forgotten>"')  # cut off in it
    assert '"comment_id":"<forgotten>"' in raws[2]
    assert '\\"comment_id\\": \\"<forgotten>\\"' in raws[3]  # a recipient logged form-encoded
    assert '"post_id":"<forgotten>"' in raws[4]  # a private reply to her visitor post
    assert '"metadata":"<forgotten>"' in raws[5]  # the page's echo to her, naming her comment
    assert '"metadata":"{\\"comment_id\\": \\"<forgotten>\\"}"' in raws[6]


def test_only_the_forgotten_commenters_items_lose_their_comment_ids(
    tmp_path: Path, runner: CliRunner
) -> None:
    """Forgetting her commenter id: her comments go, the page's reply and another's comment
    keep their ids, and so does a private reply to her PSID, which refscope never joins to it."""
    sql = "SELECT raw FROM rejects ORDER BY line_no"
    after, before = rejects_both_ways(tmp_path, runner, lines(), HER, sql)
    assert after == before
    raws = [r[0] for r in after]
    assert HERS["Rej"] not in raws[0] and THEIRS in raws[0] and PAGES in raws[0]
    assert f'"parent_id":"{POST}"' in raws[0] and f'"post_id":"{POST}"' in raws[0]
    assert HERS["Snd"] in raws[2] and HERS["Echo"] in raws[5]  # her PSID is not forgotten


def test_an_older_forgets_comment_ids_go_at_the_next_open(
    tmp_path: Path, runner: CliRunner
) -> None:
    """A database an older refscope's forget left with her comment ids in her rejected lines:
    opened for writing, they become `<forgotten>` as a forget now makes them."""
    sql = "SELECT line_no, reason, raw FROM rejects ORDER BY line_no"
    now = forgotten_twice(tmp_path, runner, sql)
    path = tmp_path / "seen.duckdb"
    edits = [('"comment_id":"<forgotten>"', '"comment_id":"1_2"'),
             ('\\"comment_id\\": \\"<forgotten>\\"', '\\"comment_id\\": \\"1_2\\"'),
             ('"post_id":"<forgotten>"', '"post_id":"1_2"'),
             ('"metadata":"<forgotten>"', '"metadata":"1_2"')]  # fmt: skip
    as_an_older_forget_left(path, edits, 9)
    assert repr(Query(path)(sql)).count("1_2") == 7
    db.connect(path).close()
    assert Query(path)(sql) == now
