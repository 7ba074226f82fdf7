"""`refscope forget`'s summary: what it removed, named as it is, and a second forget of the same
person, which has nothing left to remove and records them once."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from click.testing import CliRunner

from ingest import pipeline
from ingest.cli import cli
from tests import factories as f
from tests import factories_feed as ff
from tests.conftest import Query

JANE = "10158230000000001"  # a commenter: from.id, not a PSID
PSID = "5550001112223334"


def reaction(who: str, t: int) -> Any:
    """A feed change for a reaction to a post: no comment, but `from` names who reacted."""
    return {"field": "feed", "value": {
        "from": {"id": who, "name": "Jane Doe"}, "item": "reaction", "verb": "add",
        "reaction_type": "like", "post_id": f"{f.PAGE_ID}_4455667788",
        "parent_id": f"{f.PAGE_ID}_4455667788", "created_time": (f.T0 + t) // 1000}}  # fmt: skip


def test_forget_names_a_commenters_reactions_apart_from_their_comments(
    runner: CliRunner, db_path: Path, log_dir: Path, query: Query
) -> None:
    comments = [ff.comment(comment_id=f"4455667788_{i}", from_id=JANE,
                           created_time=(f.T0 + i * 60_000) // 1000) for i in (1, 2)]  # fmt: skip
    lines = [ff.feed(*comments), ff.feed(reaction(JANE, 300_000), reaction(JANE, 360_000)),
             ff.feed(reaction(JANE, 420_000))]  # fmt: skip
    pipeline.run([str(f.write_ndjson(log_dir / "a.ndjson", lines))], db_path)
    assert query("SELECT kind, count(*) FROM events GROUP BY ALL ORDER BY ALL") == [
        ("comment", 2), ("other", 3)]  # fmt: skip
    res = runner.invoke(cli, ["forget", JANE, "--db", str(db_path)])
    assert res.exit_code == 0, res.output
    assert "2 comments, 3 other feed changes" in res.output
    assert query.scalar("SELECT count(*) FROM events") == 0


def test_forgetting_the_same_person_again_records_them_once(
    runner: CliRunner, db_path: Path, log_dir: Path, query: Query
) -> None:
    lines = [f.delivery(f.message("hi", psid=PSID, ts=f.T0))]
    pipeline.run([str(f.write_ndjson(log_dir / "a.ndjson", lines))], db_path)
    first = runner.invoke(cli, ["forget", PSID, "--db", str(db_path)])
    assert first.exit_code == 0, first.output
    assert "1 event" in first.output and "already" not in first.output
    again = runner.invoke(cli, ["forget", PSID, "--db", str(db_path)])
    assert again.exit_code == 0, again.output
    assert f"{PSID} was already forgotten on every page: nothing left to remove" in again.output
    assert query.scalar("SELECT count(*) FROM forgotten") == 1
    # Forgotten everywhere already: forgetting them on one page adds nothing either.
    page = runner.invoke(cli, ["forget", PSID, "--page", f.PAGE_ID, "--db", str(db_path)])
    assert page.exit_code == 0 and "already forgotten" in page.output, page.output
    assert query("SELECT page_id FROM forgotten") == [(None,)]


def test_a_person_forgotten_on_one_page_is_forgotten_on_every_page_when_asked(
    runner: CliRunner, db_path: Path, query: Query
) -> None:
    for i, page in enumerate((f.PAGE_ID, f.PAGE_ID, f.OTHER_PAGE_ID)):
        res = runner.invoke(cli, ["forget", PSID, "--page", page, "--db", str(db_path)])
        assert res.exit_code == 0, res.output
        assert ("was already forgotten on page" in res.output) == (i == 1), res.output
    assert query.scalar("SELECT count(*) FROM forgotten") == 2
    res = runner.invoke(cli, ["forget", PSID, "--db", str(db_path)])
    assert res.exit_code == 0 and "already" not in res.output, res.output
    # One row per page until forgotten on every page, which stands for them all.
    assert query("SELECT page_id FROM forgotten") == [(None,)]


def test_forget_on_one_page_blanks_rejected_lines_of_every_page(
    runner: CliRunner, db_path: Path, log_dir: Path, query: Query
) -> None:
    """A rejected line is often cut off, its page unknown: `--page` spares none of them, while
    the events of other pages stay."""
    on_page = f.delivery(f.message("hi", psid=PSID, ts=f.T0))
    hey = f.message("hey", psid=PSID, page_id=f.OTHER_PAGE_ID, ts=f.T0 + 1)
    elsewhere = f.delivery(hey, page_id=f.OTHER_PAGE_ID)
    lines = [on_page, elsewhere, f.line(on_page)[:-3], f.line(elsewhere)[:-3]]
    pipeline.run([str(f.write_ndjson(log_dir / "a.ndjson", lines))], db_path)
    res = runner.invoke(cli, ["forget", PSID, "--page", f.OTHER_PAGE_ID, "--db", str(db_path)])
    assert res.exit_code == 0, res.output
    assert "2 rejected lines" in res.output
    assert query("SELECT page_id FROM events") == [(f.PAGE_ID,)]
    raws = [r[0] for r in query("SELECT raw FROM rejects ORDER BY line_no")]
    assert len(raws) == 2 and all(PSID not in raw and "<forgotten>" in raw for raw in raws)
    assert all("<text removed: " in raw for raw in raws)
