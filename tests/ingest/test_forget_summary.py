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
