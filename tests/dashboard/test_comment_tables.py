"""The comments' tables the ingest keeps (ingest/comment_tables.py): after every run, prune and
forget they hold what a computation over all of `events` gives; a file no ingest has brought up
to date, and a lake, are read through views that give the same Comments page."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path
from typing import Any

import duckdb
import pytest

from dashboard import queries
from dashboard.filters import Filters
from ingest import comment_tables, db, lake, migrations, pipeline, retention
from ingest.demo import write_demo
from ingest.privacy import Privacy
from tests import factories as fx
from tests import factories_feed as ff
from tests.dashboard.conftest import DEMO_END, lake_of, opened

POST = f"{fx.PAGE_ID}_777"
DAY = fx.utc(fx.T0).date()
_ORDER = {"comment_posts": "comment_id", "replies_sent": "page_id, comment_id, post_id"}


def _held(con: duckdb.DuckDBPyConnection) -> dict[str, list[tuple[Any, ...]]]:
    return {t: con.execute(f"SELECT * FROM {t} ORDER BY {o}").fetchall() for t, o in _ORDER.items()}


def _computed(con: duckdb.DuckDBPyConnection) -> dict[str, list[tuple[Any, ...]]]:
    """Both tables as a computation over every event gives them."""
    for table in _ORDER:
        con.execute(f"CREATE OR REPLACE TEMP TABLE rs_t_{table} AS SELECT * FROM {table} LIMIT 0")
    con.execute("INSERT INTO rs_t_comment_posts " + comment_tables._POSTS.format(scope="true"))
    con.execute("INSERT INTO rs_t_replies_sent " + comment_tables._REPLIES.format(scope="true"))
    return {
        t: con.execute(f"SELECT * FROM rs_t_{t} ORDER BY {o}").fetchall() for t, o in _ORDER.items()
    }


def _check(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    con = db.connect(path)
    try:
        held = _held(con)
        assert held == _computed(con)
        return held
    finally:
        con.close()


def _run(
    tmp_path: Path, name: str, lines: list[Any], path: Path
) -> dict[str, list[tuple[Any, ...]]]:
    pipeline.run([str(fx.write_ndjson(tmp_path / name, lines))], path)
    return _check(path)


def _to_visitor_post(ts: int) -> dict[str, Any]:
    """A send log of a private reply to a visitor post (recipient.post_id, no comment)."""
    line = ff.send_log("unused", "v", ts=ts, message_id="m_reply_post")
    line["request"]["recipient"] = {"post_id": f"{fx.PAGE_ID}_888"}
    return line


def test_each_run_keeps_them_as_a_computation_over_every_event_gives(tmp_path: Path) -> None:
    """Runs that each change what an earlier one stored: a reply's echo dated before its send
    log (the reply is dated anew), a comment's `add` after its `edited` (its post is the add's),
    a visitor post's reply; and a run of other events only leaves them as they were."""
    path, ts = tmp_path / "refscope.duckdb", fx.T0
    first = _run(tmp_path, "1.ndjson", [
        ff.feed(ff.comment(comment_id="777_1", post_id=POST, from_id="10001")),
        ff.feed(ff.comment("edited", comment_id="777_2", post_id=f"{fx.PAGE_ID}_999",
                           from_id="10002", created_time=(ts + 9000) // 1000)),
        ff.send_log("777_1", "a", ts=ts + 5000),
    ], path)  # fmt: skip
    assert first["comment_posts"] == [("777_1", POST), ("777_2", f"{fx.PAGE_ID}_999")]
    assert first["replies_sent"] == [(fx.PAGE_ID, "777_1", None, fx.utc(ts + 5000))]
    second = _run(tmp_path, "2.ndjson", [
        fx.delivery(fx.private_reply_echo("777_1", psid="a", ts=ts + 1000)),
        ff.feed(ff.comment(comment_id="777_2", post_id=POST, from_id="10002")),
        fx.delivery(fx.private_reply_echo("777_2", psid="b", ts=ts + 2000)),
        _to_visitor_post(ts + 3000),
    ], path)  # fmt: skip
    assert second["comment_posts"] == [("777_1", POST), ("777_2", POST)]
    assert second["replies_sent"] == [
        (fx.PAGE_ID, "777_1", None, fx.utc(ts + 1000)),
        (fx.PAGE_ID, "777_2", None, fx.utc(ts + 2000)),
        (fx.PAGE_ID, None, f"{fx.PAGE_ID}_888", fx.utc(ts + 3000)),
    ]
    assert _run(tmp_path, "3.ndjson", [fx.delivery(fx.message("hi", psid="z"))], path) == second
    with opened(path) as con:
        (row,) = (
            queries.comments(con, Filters(DAY, DAY))
            .query(f"post_id == '{POST}'")
            .to_dict("records")
        )
    assert (row["comments"], row["private_replies"]) == (2, 2)


@pytest.fixture(scope="module")
def demo_logs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("logs")
    write_demo(root, days=30, end=DEMO_END, seed=11, scale=0.3)
    return root


def test_the_demo_read_file_by_file_keeps_what_one_run_keeps(demo_logs: Path, tmp_path: Path):
    """Each log its own run, newest first (replies before the comments they answer): the same
    tables as one run of them all."""
    whole, parts = tmp_path / "whole.duckdb", tmp_path / "parts.duckdb"
    pipeline.run([str(demo_logs)], whole)
    logs = sorted(p for p in demo_logs.rglob("*") if p.is_file())
    assert len(logs) > 2
    for log in reversed(logs):
        pipeline.run([str(log)], parts)
    held = _check(whole)
    assert held["comment_posts"] and held["replies_sent"]
    assert _check(parts) == held


def test_a_prune_and_a_forget_keep_them_so(demo_logs: Path, tmp_path: Path) -> None:
    path = tmp_path / "refscope.duckdb"
    pipeline.run([str(demo_logs)], path)
    before = _check(path)
    con = db.connect(path)
    try:
        (psid, comment) = con.execute(
            "SELECT psid, comment_id FROM replies_sent JOIN events USING (page_id, comment_id) "
            "WHERE kind = 'private_reply' AND psid IS NOT NULL ORDER BY ALL LIMIT 1"
        ).fetchone() or (None, None)
        retention.forget(con, psid, None, Privacy())
        (commenter,) = con.execute(
            "SELECT commenter_id FROM events WHERE kind = 'comment' ORDER BY ALL LIMIT 1"
        ).fetchone() or (None,)
        retention.forget(con, commenter, None, Privacy())
    finally:
        con.close()
    forgotten = _check(path)
    assert comment not in {r[1] for r in forgotten["replies_sent"]}
    assert len(forgotten["comment_posts"]) < len(before["comment_posts"])
    con = db.connect(path)
    try:
        retention.prune(con, DEMO_END - dt.timedelta(days=10))
    finally:
        con.close()
    pruned = _check(path)
    assert 0 < len(pruned["replies_sent"]) < len(forgotten["replies_sent"])


def _as_older_refscope(path: Path) -> None:
    """The file as a refscope without the comments' tables left it."""
    con = duckdb.connect(str(path))
    try:
        con.execute("DROP TABLE comment_posts")
        con.execute("DROP TABLE replies_sent")
        con.execute(f"COMMENT ON TABLE events IS '{db.MIGRATED.format(5)}'")
    finally:
        con.close()


def _comments(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    queries.install_macros(con)
    records = queries.comments(con, Filters(DEMO_END - dt.timedelta(days=27), DEMO_END))
    return records.to_dict("records")


def test_an_older_file_is_read_through_views_then_filled_by_the_next_writer(
    demo_logs: Path, tmp_path: Path
) -> None:
    path = tmp_path / "refscope.duckdb"
    pipeline.run([str(demo_logs)], path)
    with opened(path) as con:
        shown = _comments(con)
    held = _check(path)
    older = tmp_path / "older.duckdb"
    shutil.copy(path, older)
    _as_older_refscope(older)
    with opened(older) as con:
        assert _comments(con) == shown
    assert _check(older) == held  # a writer's connect migrated it
    with opened(older) as con:
        assert _comments(con) == shown
        assert con.execute("SELECT comment FROM duckdb_tables() WHERE table_name = 'events'")\
            .fetchone() == (db.MIGRATED.format(len(migrations.MIGRATIONS)),)  # fmt: skip


def test_a_lake_computes_them_from_its_events(demo_logs: Path, tmp_path: Path) -> None:
    path = tmp_path / "refscope.duckdb"
    pipeline.run([str(demo_logs)], path)
    with opened(path) as con:
        shown = _comments(con)
    assert any(r["private_replies"] for r in shown)
    lake_dir = lake_of(path, tmp_path / "lake")
    assert not list(lake_dir.glob("comment_posts*")) and not list(lake_dir.glob("replies_sent*"))
    con = db.connect_memory()
    try:
        lake.attach_views(con, lake_dir)
        assert _comments(con) == shown
    finally:
        con.close()
