"""A lake's manifest that holds no JSON object (empty, cut short, edited by hand): one error line
naming it and what to do, nothing in the lake written or deleted; it was a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

import tests.factories as f
from ingest import lake, pipeline
from ingest.cli import cli
from tests.conftest import Query
from tests.ingest.cli_setup import _one_error_line
from tests.ingest.lake_setup import lake_files, lake_views


@pytest.mark.parametrize(
    "text",
    [b"", b'{"_format": 3, "events": {', b"[3]", b"null", b"\xff\xfe{}"],
    ids=["empty", "cut-short", "a-list", "null", "not-utf8"],
)
def test_a_damaged_manifest_is_one_error_line_and_nothing_in_the_lake_changes(
    text: bytes, tmp_path: Path, db_path: Path, query: Query, runner: CliRunner
) -> None:
    lake_dir = tmp_path / "lake"
    log = f.write_ndjson(tmp_path / "logs" / "a.ndjson", [
        f.delivery(f.message(psid=f"700{n}", ts=f.T0 + n * f.DAY)) for n in range(3)
    ])  # fmt: skip
    pipeline.run([str(log)], db_path, lake_dir=lake_dir)
    manifest = lake_dir / lake.MANIFEST
    manifest.write_bytes(text)
    before = lake_files(lake_dir)
    more = f.write_ndjson(tmp_path / "more" / "b.ndjson", [f.delivery(f.message(psid="7100"))])
    for _ in range(2):  # a run with new lines, then one with none that only checks the lake
        args = ["ingest", str(more), "--db", str(db_path), "--lake", str(lake_dir)]
        res = runner.invoke(cli, args)
        line = _one_error_line(res)
        assert str(manifest) in line and "not a lake manifest" in line, line
        assert "nothing in the lake was written or deleted" in line and "delete" in line, line
        assert lake_files(lake_dir) == before
    assert query("SELECT count(*) FROM events") == [(4,)]  # the database keeps its run
    manifest.unlink()  # as the error says: the next sync writes the lake anew
    res = runner.invoke(cli, ["ingest", str(more), "--db", str(db_path), "--lake", str(lake_dir)])
    assert res.exit_code == 0, res.output
    with lake_views(lake_dir) as con:
        assert con.execute("SELECT count(*) FROM events").fetchall() == [(4,)]
