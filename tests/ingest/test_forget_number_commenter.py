"""`refscope forget` of a commenter whose id a rejected line holds as a JSON number: the name
beside it in `from` goes with it (as a later ingest of the line leaves it out), also in a body
the receiver kept as a string; another commenter's name stays."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from tests import factories as f
from tests import factories_feed as ff
from tests.ingest.forget_setup import rejects_both_ways

JANE, JOE = "10158230000000001", "10158230000000002"


def numbered(from_id: str, name: str) -> dict[str, object]:
    """A comment without its comment_id (rejected), its author's id a JSON number."""
    change = ff.comment(comment_id="4455667788_2", from_id=from_id)
    del change["value"]["comment_id"]
    change["value"]["from"] = {"id": int(from_id), "name": name}
    return change


def test_forget_removes_the_name_beside_a_numeric_commenter_id(
    tmp_path: Path, runner: CliRunner
) -> None:
    whole = f.line(ff.feed(numbered(JANE, "Jane Doe"), numbered(JOE, "Joe Bloggs")))
    cut = f.line(f.envelope(whole[:-3]))  # a cut body, kept by the receiver as a string
    sql = "SELECT raw FROM rejects ORDER BY line_no"
    after, before = rejects_both_ways(tmp_path, runner, [whole, cut], JANE, sql)
    assert after == before
    raws = [raw for (raw,) in after]
    assert len(raws) == 2
    assert '"from":{"id":"<forgotten>","name":"<forgotten>"}' in raws[0]
    assert '\\"from\\":{\\"id\\":\\"<forgotten>\\",\\"name\\":\\"<forgotten>\\"}' in raws[1]
    for raw in raws:
        assert "Jane Doe" not in raw and JANE not in raw
        assert "Joe Bloggs" in raw
    seen_first = tmp_path / "seen.duckdb"  # rejects_both_ways's, read then forgotten
    assert b"Jane Doe" not in seen_first.read_bytes()
