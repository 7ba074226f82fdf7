"""`refscope forget` and message ids: a mid names its message to Graph (`GET /{message-id}`
with the page's token gives its sender and recipient), so none of a forgotten person's stays
in any table, their rejected lines included; the lines stay, and others' mids with them."""

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
PSID, OTHER = "5550001112223334", "5550001112229999"
# Message ids as Meta writes them (no PSID inside), one per place a webhook or send log puts one.
_MID = "m_AG5Hz2Uq7tuwNEhXfYYKj8mJEM_QPpz5jdCK48PnKAjSdjfipqxqMvK8ma6AC8fplwlqLP_5cgXIbu7I3rBN"
HERS = {k: f"{_MID}{k}" for k in ("Msg", "Rep", "Dlv", "Rct", "Snd", "Echo", "Cut")}
THEIRS = f"{_MID}Oth"  # another person's message, in the same line as one of hers


def lines() -> list[str]:
    """Rejected lines (whole or in part) holding PSID's mids, one beside another person's."""
    mine = f.message("hi", psid=PSID, ts=f.T0, mid=HERS["Msg"], reply_to={"mid": HERS["Rep"]})
    theirs = f.message("hello", psid=OTHER, ts=f.T0 + 1, mid=THEIRS)
    mine["timestamp"] = "not a time"  # rejected (its entry's time too): OTHER's is kept
    both = {"object": "page", "entry": [f.entry(theirs), f.entry(mine, time="not a time")]}
    receipt = f.delivery_receipt([HERS["Dlv"]], psid=PSID, ts=f.T0 + 2)
    react = f.reaction(HERS["Rct"], psid=PSID, ts=f.T0 + 3)
    for item in (receipt, react):
        del item["sender"]  # rejected: no sender id (the recipient is the page)
        item["recipient"] = {"id": PSID}
    send = ff.send_log("4455667788_1", PSID, ts=f.T0 + 4, message_id=HERS["Snd"])
    del send["page_id"]
    echo = f.line(f.delivery(f.echo(psid=PSID, ts=f.T0 + 5, mid=HERS["Echo"])))
    cut = f.line(f.delivery(f.message("bye", psid=PSID, ts=f.T0 + 6, mid=HERS["Cut"])))
    return [f.line(both), f.line(f.delivery(receipt)), f.line(f.delivery(react)),
            f.line(send), echo[: echo.index("Echo") + 4], cut[: cut.index("Cut") + 5]]  # fmt: skip


def every_text(query: Query) -> str:
    """Every value of every table, as text."""
    return repr(query.tables())


@pytest.mark.parametrize("salt", [None, SALT], ids=["plain", "salted"])
def test_forget_leaves_none_of_the_persons_message_ids(
    tmp_path: Path, runner: CliRunner, monkeypatch: pytest.MonkeyPatch, salt: str | None
) -> None:
    if salt:
        monkeypatch.setenv("REFSCOPE_ID_SALT", salt)
    sql = "SELECT file, line_no, reason, raw FROM rejects ORDER BY line_no"
    after, before = rejects_both_ways(tmp_path, runner, lines(), PSID, sql)
    assert after == before
    assert [r[1] for r in after] == [1, 2, 3, 4, 5, 6]  # every line still accounted for
    for path in (tmp_path / "seen.duckdb", tmp_path / "forgot.duckdb"):
        held = every_text(Query(path))
        assert [m for m in HERS.values() if m in held] == [], path.name
        assert THEIRS in held  # kept: the other person's message, and its line
    raws = [r[3] for r in after]
    assert THEIRS in raws[0]  # the other person's item beside hers keeps its mid
    assert '"mid":"<forgotten>"' in raws[0] and '"mids":["<forgotten>"]' in raws[1]
    assert '"message_id":"<forgotten>"' in raws[3]
    assert raws[4].endswith('"mid":"<forgotten>"')  # the page's echo to her, cut off in it
    assert '"mid":"<forgotten>"' in raws[5]


def test_a_mid_is_no_text_to_forget_beside_another_persons_item(
    tmp_path: Path, runner: CliRunner
) -> None:
    """Only the items holding the person: another's rejected item keeps its mid."""
    theirs: dict[str, Any] = f.message("hello", psid=OTHER, ts=f.T0 + 1, mid=THEIRS)
    mine = f.message("hi", psid=PSID, ts=f.T0, mid=HERS["Msg"])
    for item in (theirs, mine):
        item["timestamp"] = "not a time"
    line = f.line(f.delivery(mine, theirs, time="not a time"))
    after, before = rejects_both_ways(tmp_path, runner, [line], PSID, "SELECT raw FROM rejects")
    assert after == before
    assert THEIRS in after[0][0] and HERS["Msg"] not in after[0][0]


def test_an_older_forgets_message_ids_go_at_the_next_open(
    tmp_path: Path, runner: CliRunner
) -> None:
    """A database an older refscope's forget left with the person's mids in their rejected
    lines: opened for writing, they become `<forgotten>` as a forget now makes them."""
    sql = "SELECT line_no, reason, raw FROM rejects ORDER BY line_no"
    now, _ = rejects_both_ways(tmp_path, runner, lines(), PSID, sql)
    path = tmp_path / "seen.duckdb"
    edits = [('"mid":"<forgotten>"', '"mid":"m_old"'),
             ('"mids":["<forgotten>"]', '"mids":["m_old"]'),
             ('"message_id":"<forgotten>"', '"message_id":"m_old"')]  # fmt: skip
    as_an_older_forget_left(path, edits, 7)
    assert repr(Query(path)(sql)).count("m_old") == 7
    db.connect(path).close()
    assert Query(path)(sql) == now
