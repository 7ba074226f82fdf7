"""`refscope rebuild`: the logs read again into a new file, with what no log holds carried over."""

from __future__ import annotations

import datetime as dt
import gzip
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import tests.factories as f
from ingest import db, lake, pipeline, retention, sources
from ingest import rebuild as rebuild_mod
from ingest.cli import cli
from ingest.privacy import Privacy
from tests.conftest import Query
from tests.factories import DAY, MINUTE, PAGE_ID, T0
from tests.ingest.logs import get_started, mixed_log
from tests.ingest.test_graph import FakeGraph, graph, insight, pull  # noqa: F401 (a fixture)


def _later_log() -> list[Any]:
    return [
        *get_started("u5", ref="qr_window", ts=T0 + 2 * DAY),
        f.delivery(f.message("hi", psid="u6", ts=T0 + 2 * DAY + MINUTE)),
        f.delivery(f.message("bye", psid="u2", ts=T0 + 2 * DAY + 2 * MINUTE)),
        f.feed(f.comment(comment_id="c_9", from_id="F9", created_time=(T0 + 2 * DAY) // 1000)),
    ]


@pytest.fixture
def old(tmp_path: Path) -> Path:
    """A database as a team's looks after a while: two runs, a page named, a QR code, a person
    forgotten and a prune."""
    logs = tmp_path / "logs"
    logs.mkdir()
    path = tmp_path / "old.duckdb"
    f.register_qr(path, "qr_window")
    a = f.write_ndjson(logs / "a.ndjson", mixed_log())
    pipeline.run([str(a)], path, keep_text=True)
    b = f.write_ndjson(logs / "b.ndjson", _later_log())
    pipeline.run([str(b)], path, keep_text=True)
    con = db.connect(path)
    try:
        con.execute("INSERT INTO pages VALUES (?, 'acme', 'Acme Bakery')", [PAGE_ID])
        retention.forget(con, "u2", None, Privacy())
        retention.prune(con, (f.utc(T0) + dt.timedelta(days=1)).date())
    finally:
        con.close()
    return path


def _rows(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every table but the run log, without run ids: what a rebuild must give again."""
    query = Query(path)
    out = {}
    for table in query.tables():
        if table == "ingest_runs":
            continue
        cols = [r[0] for r in query(f"SELECT column_name FROM duckdb_columns() WHERE table_name = "
                                    f"'{table}' AND column_name <> 'run_id'")]  # fmt: skip
        out[table] = query(f"SELECT {', '.join(cols)} FROM {table} ORDER BY ALL")
    return out


def _rebuild(*args: str) -> Any:
    return CliRunner().invoke(cli, ["rebuild", *args])


def test_a_rebuild_gives_again_every_row_and_carries_what_no_log_holds(old: Path) -> None:
    new = old.with_name("new.duckdb")
    res = _rebuild("--db", str(old), "--out", str(new))
    assert res.exit_code == 0, res.output
    assert _rows(new) == _rows(old)
    q = Query(new)
    # The forgotten person stays out, the prune's history stays, the QR code still counts.
    assert q.scalar("SELECT count(*) FROM events WHERE psid = 'u2'") == 0
    assert q.scalar("SELECT min(ts) FROM events") >= f.utc(T0) + dt.timedelta(hours=2)
    assert q.scalar("SELECT channel FROM contacts WHERE psid = 'u5'") == "qr_code"
    assert q.scalar("SELECT channel FROM contacts WHERE psid = 'u1'") == "m_me_link"
    n = q.scalar("SELECT count(*) FROM events")
    assert f"rows before → after: events {n} → {n}" in res.output
    assert "message text kept" in res.output
    assert f"{old} is unchanged" in res.output
    # The prune kept no touch dated before it: nothing is said of kept events.
    assert Query(old).scalar(f"SELECT count(*) FROM events WHERE {rebuild_mod.KEPT}") == 0
    assert "kept by a prune" not in res.output


def test_rows_an_earlier_version_stored_take_todays_rules(old: Path, tmp_path: Path) -> None:
    # As an earlier version would have left them: another key, another channel.
    con = db.connect(old)
    try:
        con.execute("UPDATE events SET event_key = event_key + 1 WHERE kind = 'comment'")
        con.execute("UPDATE contacts SET channel = 'organic' WHERE psid = 'u5'")
    finally:
        con.close()
    gz = tmp_path / "logs" / "b.ndjson.gz"
    gz.write_bytes(gzip.compress((tmp_path / "logs" / "b.ndjson").read_bytes()))
    new = old.with_name("new.duckdb")
    assert _rebuild("--db", str(old), "--out", str(new), str(tmp_path / "logs" / "a.ndjson"),
                    str(tmp_path / "logs" / "b.ndjson")).exit_code == 0  # fmt: skip
    assert Query(new).scalar("SELECT channel FROM contacts WHERE psid = 'u5'") == "qr_code"
    # The log gzipped since adds nothing to the rebuilt file; the old one stores its comment
    # again under today's key.
    assert pipeline.run([str(gz)], new).events_added == 0
    assert pipeline.run([str(gz)], old).events_added == 1


@pytest.mark.parametrize("change", ["deleted", "rewritten", "pulled"])
def test_an_input_not_read_again_refuses_the_rebuild_unless_allowed(
    old: Path, tmp_path: Path, change: str
) -> None:
    b = tmp_path / "logs" / "b.ndjson"
    if change == "deleted":
        b.unlink()
        said = f"read before and not found now: {b}"
    elif change == "rewritten":
        f.write_ndjson(b, [f.delivery(f.message("new", psid="u7", ts=T0 + 3 * DAY))])
        said = f"changed since they were read (rotated or rewritten: the lines read then are no longer in them): {b}"  # noqa: E501
    else:
        con = db.connect(old)
        try:
            con.execute("INSERT INTO ingest_files VALUES ('https://logs.example/x.ndjson', 1, 1, "
                        "'h', 1, 1, 1)")  # fmt: skip
        finally:
            con.close()
        said = "pulled over HTTP, not files (pull them again into the new file after the rebuild): https://logs.example/x.ndjson"  # noqa: E501
    new = old.with_name("new.duckdb")
    res = _rebuild("--db", str(old), "--out", str(new))
    assert res.exit_code == 1
    assert said in " ".join(res.output.split())
    assert "--allow-missing" in res.output
    assert not new.exists()
    res = _rebuild("--db", str(old), "--out", str(new), "--allow-missing")
    assert res.exit_code == 0, res.output
    assert said in " ".join(res.output.split())
    held = Query(new)("SELECT DISTINCT psid FROM events WHERE psid IN ('u5', 'u7') ORDER BY 1")
    assert held == {"deleted": [], "rewritten": [("u7",)], "pulled": [("u5",)]}[change]
    count = "SELECT count(*) FROM events"
    assert f"events {Query(old).scalar(count)} → {Query(new).scalar(count)}," in res.output
    if change == "deleted":
        assert Query(new).scalar(count) < Query(old).scalar(count)


def test_a_log_gzipped_since_it_was_read_is_read_as_gz(old: Path, tmp_path: Path) -> None:
    a = tmp_path / "logs" / "a.ndjson"
    with open(a, "rb") as src, gzip.open(a.with_name("a.ndjson.gz"), "wb") as dst:
        shutil.copyfileobj(src, dst)
    a.unlink()
    new = old.with_name("new.duckdb")
    res = _rebuild("--db", str(old), "--out", str(new))
    assert res.exit_code == 0, res.output
    assert Query(new)("SELECT DISTINCT file FROM events ORDER BY 1") == [
        (str(a) + ".gz",), (str(tmp_path / "logs" / "b.ndjson"),)]  # fmt: skip
    assert _rows(new)["contacts"] == _rows(old)["contacts"]


def test_texts_are_kept_as_the_old_database_kept_them_unless_told(old: Path) -> None:
    new = old.with_name("new.duckdb")
    assert _rebuild("--db", str(old), "--out", str(new)).exit_code == 0
    assert Query(new).scalar("SELECT count(text) FROM events") > 0
    bare = old.with_name("bare.duckdb")
    res = _rebuild("--db", str(old), "--out", str(bare), "--no-keep-text")
    assert res.exit_code == 0 and "message text not kept" in res.output
    assert Query(bare).scalar("SELECT count(text) FROM events") == 0


def test_a_target_that_exists_or_is_the_database_itself_is_refused(old: Path) -> None:
    there = old.with_name("there.duckdb")
    there.write_bytes(b"keep me")
    res = _rebuild("--db", str(old), "--out", str(there))
    assert res.exit_code == 1 and "already there" in res.output
    assert there.read_bytes() == b"keep me"
    res = _rebuild("--db", str(old), "--out", str(old))
    assert res.exit_code == 1 and "that is the database to rebuild" in res.output
    # Its write-ahead log's name: the next write to the database would delete the new file.
    res = _rebuild("--db", str(old), "--out", str(old) + ".wal")
    assert res.exit_code == 1 and "write-ahead log of the database to rebuild" in res.output
    assert not old.with_name(old.name + ".wal").exists()
    res = _rebuild("--db", str(old.with_name("none.duckdb")), "--out", str(there) + "2")
    assert res.exit_code == 1 and "no database to rebuild" in res.output


def test_a_salted_database_is_rebuilt_under_its_salt_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = f.write_ndjson(tmp_path / "a.ndjson", mixed_log())
    salted = tmp_path / "salted.duckdb"
    monkeypatch.setenv("REFSCOPE_ID_SALT", "pepper-for-tests")
    pipeline.run([str(log)], salted)
    monkeypatch.delenv("REFSCOPE_ID_SALT")
    new = tmp_path / "new.duckdb"
    res = _rebuild("--db", str(salted), "--out", str(new))
    # Rebuilt without it, the ids would be stored as they came.
    assert res.exit_code == 1 and "REFSCOPE_ID_SALT" in res.output
    assert "pepper" not in res.output
    assert not new.exists() and not new.with_name("new.duckdb.wal").exists()
    monkeypatch.setenv("REFSCOPE_ID_SALT", "pepper-for-tests")
    assert _rebuild("--db", str(salted), "--out", str(new)).exit_code == 0
    assert _rows(new) == _rows(salted)


def test_a_rebuild_stopped_part_way_leaves_no_new_file(
    old: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = pipeline.run

    def stopped(*args: Any, **kw: Any) -> pipeline.IngestResult:
        real(*args, **kw)
        raise KeyboardInterrupt  # Ctrl-C once the run is written

    monkeypatch.setattr(pipeline, "run", stopped)
    new = old.with_name("new.duckdb")
    res = _rebuild("--db", str(old), "--out", str(new))
    assert res.exit_code == 1
    assert not new.exists() and not new.with_name("new.duckdb.wal").exists()


def test_the_lake_follows_the_rebuilt_file_at_the_next_ingest(old: Path, tmp_path: Path) -> None:
    lake_dir = tmp_path / "lake"
    con = db.connect(old)
    try:
        con.execute("UPDATE contacts SET channel = 'organic' WHERE psid = 'u5'")  # an old rule
        lake.sync(con, lake_dir)
    finally:
        con.close()
    new = old.with_name("new.duckdb")
    assert _rebuild("--db", str(old), "--out", str(new)).exit_code == 0
    new.replace(old)
    pipeline.run([], old, lake_dir=lake_dir)
    con = db.connect_memory()
    try:
        (channel,) = con.execute(
            "SELECT channel FROM read_parquet(?, hive_partitioning = true) WHERE psid = 'u5'",
            [str(lake_dir / "contacts" / "*" / "*" / "*.parquet")],
        ).fetchone() or (None,)
    finally:
        con.close()
    assert channel == "qr_code"


def test_a_touch_a_prune_kept_still_acquires_its_contact_after_a_rebuild(tmp_path: Path) -> None:
    # u9 came through a link before the prune's date and wrote only after it: the prune keeps
    # that touch (the logs read again cannot give it back, being dated before the prune).
    log = f.write_ndjson(tmp_path / "a.ndjson", [
        f.delivery(f.referral("spring_menu", psid="u9", ts=T0)),
        f.delivery(f.message("hi", psid="u1", ts=T0 + MINUTE)),
        f.delivery(f.message("later", psid="u9", ts=T0 + 3 * DAY)),
        f.delivery(f.message("later", psid="u1", ts=T0 + 3 * DAY)),
    ])  # fmt: skip
    old = tmp_path / "old.duckdb"
    pipeline.run([str(log)], old)
    con = db.connect(old)
    try:
        retention.prune(con, (f.utc(T0) + dt.timedelta(days=1)).date())
    finally:
        con.close()
    assert Query(old).scalar("SELECT channel FROM contacts WHERE psid = 'u9'") == "m_me_link"
    new = tmp_path / "new.duckdb"
    res = _rebuild("--db", str(old), "--out", str(new))
    assert res.exit_code == 0, res.output
    assert Query(new).scalar("SELECT channel FROM contacts WHERE psid = 'u9'") == "m_me_link"
    assert _rows(new) == _rows(old)
    assert "events kept by a prune 1" in res.output


@pytest.mark.parametrize("where", ["rotated", "moved"])
def test_an_input_renamed_since_is_found_in_the_paths_given(
    old: Path, tmp_path: Path, where: str
) -> None:
    logs = tmp_path / "logs"
    b = logs / "b.ndjson"
    if where == "rotated":  # logrotate: b.ndjson.1 holds what was read, b.ndjson starts anew
        b.rename(logs / "b.ndjson.1")
        f.write_ndjson(b, [f.delivery(f.message("new", psid="u7", ts=T0 + 3 * DAY))])
        paths = [str(logs / "a.ndjson"), str(logs / "b.ndjson.1"), str(b)]
    else:
        (tmp_path / "archive").mkdir()
        b.rename(tmp_path / "archive" / "b-2023.ndjson")
        paths = [str(logs), str(tmp_path / "archive")]
    new = old.with_name("new.duckdb")
    res = _rebuild("--db", str(old), "--out", str(new), *paths)
    assert res.exit_code == 0, res.output
    assert "--allow-missing" not in res.output
    assert set(_rows(old)["contacts"]) <= set(_rows(new)["contacts"])
    held = Query(new)("SELECT DISTINCT psid FROM events WHERE psid IN ('u5', 'u6') ORDER BY 1")
    assert held == [("u5",), ("u6",)]


def test_a_day_and_ad_a_later_pull_left_out_stays_out_of_the_rebuilt_file(
    tmp_path: Path,
    graph: FakeGraph,  # noqa: F811 (the fixture imported above)
) -> None:
    # An export read first; then a pull of the same days, where Meta left out ad 602's
    # 2026-11-21 (revised to no delivery): the pull removed it.
    export = [
        insight(day, ad, "10.00") for day in ("2026-11-20", "2026-11-21") for ad in ("601", "602")
    ]
    log = f.write_ndjson(tmp_path / "insights.ndjson", [*export, *mixed_log()])
    stamp = dt.datetime(2026, 11, 22, tzinfo=dt.UTC).timestamp()
    os.utime(log, (stamp, stamp))
    old = tmp_path / "old.duckdb"
    pipeline.run([str(log)], old)
    graph.rows = [r for r in export if (r["date_start"], r["ad_id"]) != ("2026-11-21", "602")]
    pull(graph, old, since=dt.date(2026, 11, 20), until=dt.date(2026, 11, 21))
    held = "SELECT date, ad_id FROM ad_insights ORDER BY ALL"
    assert len(Query(old)(held)) == 3
    new = tmp_path / "new.duckdb"
    assert _rebuild("--db", str(old), "--out", str(new)).exit_code == 0
    assert Query(new)(held) == Query(old)(held)
    assert Query(new).scalar("SELECT sum(spend) FROM ad_insights") == 30.0


@pytest.mark.parametrize(
    ("sig", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)], ids=["ctrl-c", "sigterm"]
)
def test_a_rebuild_stopped_by_a_signal_removes_its_file_and_says_so(
    tmp_path: Path, sig: signal.Signals, code: int
) -> None:
    log = tmp_path / "webhooks.ndjson"
    log.write_text("\n".join(f.big_log_lines(60_000)) + "\n")
    old = tmp_path / "old.duckdb"
    pipeline.run([str(log)], old)
    before = old.read_bytes()
    new = tmp_path / "new.duckdb"
    cmd = [sys.executable, "-m", "ingest", "rebuild", "--db", str(old), "--out", str(new)]
    proc = subprocess.Popen(cmd, cwd=Path(pipeline.__file__).parent.parent, env={
        **os.environ, "REFSCOPE_INGEST_BATCH": "4MB"}, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE)  # fmt: skip
    while proc.poll() is None and not new.with_name("new.duckdb.partial").exists():  # written
        time.sleep(0.01)
    time.sleep(0.3)
    assert proc.poll() is None, "the rebuild finished before the stop"
    proc.send_signal(sig)
    out, err = proc.communicate()
    text = (out + err).decode()
    assert proc.returncode == code, text
    assert "Traceback" not in text
    assert f"stopped: {new} is not written" in " ".join(text.split())
    assert not new.exists() and not new.with_name("new.duckdb.wal").exists()
    assert list(tmp_path.glob("new.duckdb*")) == []
    assert old.read_bytes() == before


def test_a_gz_is_taken_for_a_log_only_when_it_holds_what_was_read(
    old: Path, tmp_path: Path
) -> None:
    a = tmp_path / "logs" / "a.ndjson"
    lines = a.read_bytes().splitlines(keepends=True)
    # Gzipped since, but only its first lines (a gzip still running, a copy cut short).
    a.with_name("a.ndjson.gz").write_bytes(gzip.compress(b"".join(lines[:2])))
    a.unlink()
    new = old.with_name("new.duckdb")
    res = _rebuild("--db", str(old), "--out", str(new))
    assert res.exit_code == 1, res.output
    assert f"no longer in them): {a} (now a.ndjson.gz)" in " ".join(res.output.split())
    assert not new.exists()
    # Rotated and compressed by logrotate under another name, and given as PATH: it holds them.
    a.with_name("a.ndjson.gz").unlink()
    rotated = a.with_name("a.ndjson.1.gz")
    rotated.write_bytes(gzip.compress(b"".join(lines)))
    res = _rebuild("--db", str(old), "--out", str(new), str(rotated), str(tmp_path / "logs"))
    assert res.exit_code == 0, res.output
    assert _rows(new)["contacts"] == _rows(old)["contacts"]


def test_rejected_lines_a_prune_removed_stay_out_of_the_rebuilt_file(tmp_path: Path) -> None:
    # A rejected line holding someone's id and words, read by a run long before the prune's
    # date: the prune removed it with its run (retention.prune); a newer run's reject stays.
    early = tmp_path / "early.ndjson"
    said = '{"sender": {"id": "3141592653589793"}, "text": "call me", broken'
    early.write_text(f.line(f.delivery(f.message("hi", psid="u1", ts=T0))) + "\n" + said + "\n")
    late = f.write_ndjson(tmp_path / "late.ndjson", ["not json", f.delivery(f.message(
        "hi", psid="u1", ts=T0 + 400 * DAY))])  # fmt: skip
    old = tmp_path / "old.duckdb"
    pipeline.run([str(early)], old)
    con = db.connect(old)
    try:
        con.execute("UPDATE ingest_runs SET started_at = started_at - INTERVAL 60 DAY")
    finally:
        con.close()
    pipeline.run([str(late)], old)
    con = db.connect(old)
    try:
        retention.prune(con, dt.date.today() - dt.timedelta(days=30))
    finally:
        con.close()
    assert Query(old)("SELECT file FROM rejects") == [(str(late),)]
    new = tmp_path / "new.duckdb"
    res = _rebuild("--db", str(old), "--out", str(new))
    assert res.exit_code == 0, res.output
    assert Query(new)("SELECT file, line_no, raw FROM rejects") == Query(old)(
        "SELECT file, line_no, raw FROM rejects")  # fmt: skip
    assert "rejects 1 → 1" in res.output


def test_an_input_left_out_of_the_paths_given_is_not_called_gone(old: Path, tmp_path: Path) -> None:
    a, b = tmp_path / "logs" / "a.ndjson", tmp_path / "logs" / "b.ndjson"
    res = _rebuild("--db", str(old), "--out", str(old.with_name("new.duckdb")), str(a))
    assert res.exit_code == 1
    assert f"read before and not among the PATHs given: {b}" in " ".join(res.output.split())
    assert b.exists()


def test_a_rebuild_killed_part_way_leaves_no_file_under_the_new_name(tmp_path: Path) -> None:
    log = tmp_path / "webhooks.ndjson"
    log.write_text("\n".join(f.big_log_lines(60_000)) + "\n")
    old = tmp_path / "old.duckdb"
    pipeline.run([str(log)], old)
    new = tmp_path / "new.duckdb"
    cmd = [sys.executable, "-m", "ingest", "rebuild", "--db", str(old), "--out", str(new)]
    proc = subprocess.Popen(cmd, cwd=Path(pipeline.__file__).parent.parent, env={
        **os.environ, "REFSCOPE_INGEST_BATCH": "4MB"}, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE)  # fmt: skip
    work = new.with_name("new.duckdb.partial")
    while proc.poll() is None and not (work.exists() or new.exists()):
        time.sleep(0.01)
    time.sleep(0.3)
    assert proc.poll() is None, "the rebuild finished before the kill"
    proc.kill()  # SIGKILL, a power cut: nothing runs to clean up
    proc.communicate()
    # Nothing named new.duckdb to be moved into place as if whole; the next rebuild says why.
    assert not new.exists() and work.exists()
    res = _rebuild("--db", str(old), "--out", str(new))
    assert res.exit_code == 1
    assert f"{work}: left by a rebuild that did not finish" in " ".join(res.output.split())
    work.unlink()
    work.with_name(work.name + ".wal").unlink(missing_ok=True)
    res = _rebuild("--db", str(old), "--out", str(new))
    assert res.exit_code == 0, res.output
    assert _rows(new) == _rows(old)
    assert list(tmp_path.glob("new.duckdb*")) == [new]


def test_an_error_names_ten_inputs_and_counts_the_rest() -> None:
    ten = [f"/logs/{i:02}.ndjson" for i in range(10)]
    said = rebuild_mod.Inputs([], missing=ten).problem()
    assert said == f"read before and not found now: {', '.join(ten)}"
    twelve = rebuild_mod.Inputs([], missing=[*ten, "/logs/10.ndjson", "/logs/11.ndjson"])
    assert twelve.problem() == f"read before and not found now: {', '.join(ten)} and 2 more"


def test_a_log_kept_beside_its_gz_is_read_under_its_own_name(old: Path, tmp_path: Path) -> None:
    # `gzip -k`: both are there, and both hold what was read; the log is read as it was.
    a = tmp_path / "logs" / "a.ndjson"
    a.with_name("a.ndjson.gz").write_bytes(gzip.compress(a.read_bytes()))
    new = old.with_name("new.duckdb")
    res = _rebuild("--db", str(old), "--out", str(new))
    assert res.exit_code == 0, res.output
    assert _rows(new) == _rows(old)


def test_a_gz_that_ends_before_what_was_read_is_not_taken_for_the_log(tmp_path: Path) -> None:
    # Past the fingerprint's first bytes: only its last bytes read tell the gz cut short.
    log = tmp_path / "webhooks.ndjson"
    lines = [line + "\n" for line in f.big_log_lines(400)]
    log.write_text("".join(lines))
    old = tmp_path / "old.duckdb"
    pipeline.run([str(log)], old)
    cut = "".join(lines[: len(lines) * 3 // 4]).encode()
    assert len(cut) > 2 * sources.HEAD_BYTES
    log.with_name("webhooks.ndjson.gz").write_bytes(gzip.compress(cut))
    log.unlink()
    new = tmp_path / "new.duckdb"
    res = _rebuild("--db", str(old), "--out", str(new))
    assert res.exit_code == 1, res.output
    assert f"no longer in them): {log} (now webhooks.ndjson.gz)" in " ".join(res.output.split())
    assert not new.exists()


def test_rejected_lines_a_prune_removed_stay_out_when_their_log_was_rotated_since(
    tmp_path: Path,
) -> None:
    # As above, the log rotated away since (logrotate: early.ndjson.1) and given as PATH.
    early = tmp_path / "early.ndjson"
    said = '{"sender": {"id": "3141592653589793"}, "text": "call me", broken'
    early.write_text(f.line(f.delivery(f.message("hi", psid="u1", ts=T0))) + "\n" + said + "\n")
    old = tmp_path / "old.duckdb"
    pipeline.run([str(early)], old)
    con = db.connect(old)
    try:
        con.execute("UPDATE ingest_runs SET started_at = started_at - INTERVAL 60 DAY")
        retention.prune(con, dt.date.today() - dt.timedelta(days=30))
    finally:
        con.close()
    assert Query(old).scalar("SELECT count(*) FROM rejects") == 0
    rotated = early.rename(tmp_path / "early.ndjson.1")
    new = tmp_path / "new.duckdb"
    res = _rebuild("--db", str(old), "--out", str(new), str(rotated))
    assert res.exit_code == 0, res.output
    assert Query(new).scalar("SELECT count(*) FROM rejects") == 0
    assert "rejects 0 → 0" in res.output


def test_a_rebuild_with_every_input_gone_reads_nothing_and_writes_nothing(
    old: Path, tmp_path: Path
) -> None:
    # --allow-missing leaves the gone inputs out, but a file of carried rows alone is no rebuild.
    shutil.rmtree(tmp_path / "logs")
    new = old.with_name("new.duckdb")
    res = _rebuild("--db", str(old), "--out", str(new), "--allow-missing")
    assert res.exit_code == 1
    assert f"nothing to read: {old} read no file that is still there" in " ".join(
        res.output.split())  # fmt: skip
    assert list(tmp_path.glob("new.duckdb*")) == []


def test_an_event_at_the_prunes_very_instant_is_read_again_not_carried(tmp_path: Path) -> None:
    # An ingest keeps what is dated at the prune's instant (only what is before it is left out),
    # so the logs give it back: it is no event the prune kept.
    day = (f.utc(T0) + dt.timedelta(days=1)).date()
    midnight = int(dt.datetime.combine(day, dt.time(), dt.UTC).timestamp() * 1000)
    log = f.write_ndjson(tmp_path / "a.ndjson", [
        f.delivery(f.message("early", psid="u1", ts=T0)),
        f.delivery(f.message("on the dot", psid="u1", ts=midnight)),
    ])  # fmt: skip
    old = tmp_path / "old.duckdb"
    pipeline.run([str(log)], old)
    con = db.connect(old)
    try:
        retention.prune(con, day)
    finally:
        con.close()
    assert Query(old).scalar("SELECT count(*) FROM events") == 1
    new = tmp_path / "new.duckdb"
    res = _rebuild("--db", str(old), "--out", str(new))
    assert res.exit_code == 0, res.output
    assert "kept by a prune" not in res.output
    assert Query(new)("SELECT run_id, ts FROM events") == [(1, f.utc(midnight))]


def test_a_gz_renamed_to_a_name_read_as_plain_does_not_stand_for_it(tmp_path: Path) -> None:
    # Its bytes are what was read, but compressed: read as plain lines they would be garbage.
    gz = tmp_path / "logs" / "a.ndjson.gz"
    gz.parent.mkdir()
    gz.write_bytes(gzip.compress(b"".join(f.line(e).encode() + b"\n" for e in mixed_log())))
    old = tmp_path / "old.duckdb"
    pipeline.run([str(gz)], old)
    rotated = gz.rename(gz.with_name("a.ndjson.gz.1"))
    new = tmp_path / "new.duckdb"
    res = _rebuild("--db", str(old), "--out", str(new), str(rotated))
    assert res.exit_code == 1, res.output
    assert f"read before and not among the PATHs given: {gz}" in " ".join(res.output.split())
    assert not new.exists()


def test_a_write_ahead_log_left_by_a_rebuild_that_did_not_finish_is_refused_too(
    old: Path,
) -> None:
    # Its .partial removed but not its log: the new file would start by replaying it.
    new = old.with_name("new.duckdb")
    stale = old.with_name("new.duckdb.partial.wal")
    stale.write_bytes(b"left behind")
    res = _rebuild("--db", str(old), "--out", str(new))
    assert res.exit_code == 1
    assert f"{stale}: left by a rebuild that did not finish" in " ".join(res.output.split())
    assert stale.read_bytes() == b"left behind"
    assert list(old.parent.glob("new.duckdb*")) == [stale]


def test_a_file_put_under_the_new_name_while_rebuilding_is_not_replaced(
    old: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    new = old.with_name("new.duckdb")
    real = pipeline.run

    def meanwhile(*args: Any, **kw: Any) -> pipeline.IngestResult:
        done = real(*args, **kw)
        new.write_bytes(b"put there meanwhile")  # another rebuild, a copy, an editor
        return done

    monkeypatch.setattr(pipeline, "run", meanwhile)
    res = _rebuild("--db", str(old), "--out", str(new))
    assert res.exit_code == 1
    assert f"{new}: already there" in " ".join(res.output.split())
    assert new.read_bytes() == b"put there meanwhile"
    assert list(old.parent.glob("new.duckdb*")) == [new]


def test_text_kept_because_refscope_keep_text_is_set_is_said_to_be_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = f.write_ndjson(tmp_path / "a.ndjson", mixed_log())
    old = tmp_path / "old.duckdb"
    pipeline.run([str(log)], old, keep_text=False)
    monkeypatch.setenv("REFSCOPE_KEEP_TEXT", "1")
    new = tmp_path / "new.duckdb"
    res = _rebuild("--db", str(old), "--out", str(new))
    assert res.exit_code == 0, res.output
    assert Query(new).scalar("SELECT count(text) FROM events") > 0
    assert "message text kept" in res.output


def test_a_database_made_before_the_id_scheme_was_recorded_is_rebuilt_and_left_as_it_is(
    old: Path,
) -> None:
    # The old file is opened read-only: its scheme is checked, not recorded there.
    con = db.connect(old)
    try:
        con.execute("DELETE FROM id_scheme")
    finally:
        con.close()
    new = old.with_name("new.duckdb")
    res = _rebuild("--db", str(old), "--out", str(new))
    assert res.exit_code == 0, res.output
    assert Query(old).scalar("SELECT count(*) FROM id_scheme") == 0
    assert Query(new).scalar("SELECT any_value(scheme) FROM id_scheme") == "plain"


def test_a_gz_read_as_gz_and_moved_since_is_found_in_the_paths_given(tmp_path: Path) -> None:
    # Its size on disk, not the lines it decompressed to, is what a file holding it must reach.
    gz = tmp_path / "logs" / "a.ndjson.gz"
    gz.parent.mkdir()
    gz.write_bytes(gzip.compress(b"".join(f.line(e).encode() + b"\n" for e in mixed_log())))
    old = tmp_path / "old.duckdb"
    pipeline.run([str(gz)], old)
    (tmp_path / "archive").mkdir()
    moved = gz.rename(tmp_path / "archive" / "a-2023.ndjson.gz")
    new = tmp_path / "new.duckdb"
    res = _rebuild("--db", str(old), "--out", str(new), str(moved))
    assert res.exit_code == 0, res.output
    assert _rows(new)["contacts"] == _rows(old)["contacts"]
