"""A page id longer than a folder name can hold (a broken or hostile log): its line is rejected
with its reason, and `ingest --lake` goes on syncing. As a lake's partition folder its name
passed the file system's 255 bytes, and every sync failed from then on."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from dashboard.cli import cli
from ingest import lake
from tests import factories as f
from tests.conftest import Query


def test_a_page_id_too_long_for_a_folder_name_is_rejected_and_the_lake_synced(
    runner: CliRunner, tmp_path: Path, db_path: Path, query: Query
) -> None:
    long_id = "1" * 300
    log = f.write_ndjson(tmp_path / "logs" / "a.ndjson", [
        f.delivery(f.message(psid="7001", ts=f.T0)),
        f.delivery(f.message(psid="7002", ts=f.T0 + 1, page_id=long_id), page_id=long_id),
        {"object": "refscope_click", "ts": f.T0 + 2, "ref": "flyer", "page": "é" * 90},
        {"object": "refscope_click", "ts": f.T0 + 3, "ref": "flyer", "page": "acmebakery"},
    ])  # fmt: skip
    lake_dir = tmp_path / "lake"
    res = runner.invoke(cli, ["ingest", str(log), "--db", str(db_path), "--lake", str(lake_dir)])
    assert res.exit_code == 0, res.output
    assert query("SELECT psid FROM events") == [("7001",)]
    assert query("SELECT page FROM clicks") == [("acmebakery",)]
    rejects = query("SELECT line_no, reason FROM rejects ORDER BY line_no")
    assert [n for n, _ in rejects] == [2, 3], rejects
    assert all("page id longer than 80 bytes" in reason for _, reason in rejects), rejects
    assert (lake_dir / lake.MANIFEST).exists()
    again = runner.invoke(cli, ["ingest", str(log), "--db", str(db_path), "--lake", str(lake_dir)])
    assert again.exit_code == 0, again.output
    assert query("SELECT line_no, reason FROM rejects ORDER BY line_no") == rejects  # not again


def test_rows_an_earlier_version_stored_with_a_page_id_too_long_are_left_out_of_the_lake(
    runner: CliRunner, tmp_path: Path, db_path: Path, execute
) -> None:
    """A database holding such rows (stored before they were rejected) failed every sync:
    `File name too long`, and "the next sync brings the lake in line", which it never did. The
    lake is written without them, and says how many it left out and why."""
    log = f.write_ndjson(tmp_path / "logs" / "a.ndjson", [
        f.delivery(f.message(psid="7001", ts=f.T0)),
        {"object": "refscope_click", "ts": f.T0 + 2, "ref": "flyer", "page": "acmebakery"},
    ])  # fmt: skip
    assert runner.invoke(cli, ["ingest", str(log), "--db", str(db_path)]).exit_code == 0
    execute("""INSERT INTO events SELECT * REPLACE (repeat('1', 300) AS page_id,
                                                   event_key + 1 AS event_key) FROM events""")
    execute("""INSERT INTO clicks SELECT * REPLACE (repeat('é', 90) AS page,
                                                   click_key + 1 AS click_key) FROM clicks""")
    lake_dir = tmp_path / "lake"
    res = runner.invoke(cli, ["ingest", str(log), "--db", str(db_path), "--lake", str(lake_dir)])
    assert res.exit_code == 0, res.output
    words = " ".join(res.output.split())
    assert (
        "left out of the lake: 1 events row, 1 clicks row with a page id longer than 80 bytes "
        "(no page's: stored by an earlier version; no folder name holds it)"
    ) in words, words
    assert (lake_dir / lake.MANIFEST).exists()
    events = sorted(p.parent.name for p in (lake_dir / "events").glob("*/*"))
    assert events == ["page_id=" + f.PAGE_ID], events
    clicks = sorted(p.parent.name for p in (lake_dir / "clicks").glob("*/*"))
    assert clicks == ["page_id=acmebakery"], clicks
