"""`refscope rebuild`: the rows of the new file, and what no log holds carried over.

Which files it reads: test_rebuild_inputs.py. The new file, whole or not at all:
test_rebuild_out.py. The old database every test starts from: rebuild_setup.py.
"""

from __future__ import annotations

import datetime as dt
import gzip
import os
from pathlib import Path

import duckdb
import pytest

import tests.factories as f
from ingest import db, lake, pipeline
from ingest import rebuild as rebuild_mod
from ingest.shared_contact import EMAIL_REMOVED
from tests.conftest import Query
from tests.factories import DAY, MINUTE, T0
from tests.ingest.graph_setup import FakeGraph, insight, pull
from tests.ingest.logs import mixed_log
from tests.ingest.rebuild_setup import every_row, prune, run_rebuild, runs_long_ago


def test_a_rebuild_gives_again_every_row_and_carries_what_no_log_holds(old: Path) -> None:
    new = old.with_name("new.duckdb")
    res = run_rebuild("--db", str(old), "--out", str(new))
    assert res.exit_code == 0, res.output
    assert every_row(new) == every_row(old)
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
    assert run_rebuild("--db", str(old), "--out", str(new), str(tmp_path / "logs" / "a.ndjson"),
                    str(tmp_path / "logs" / "b.ndjson")).exit_code == 0  # fmt: skip
    assert Query(new).scalar("SELECT channel FROM contacts WHERE psid = 'u5'") == "qr_code"
    # The log gzipped since adds nothing to the rebuilt file; the old one stores its comment
    # again under today's key.
    assert pipeline.run([str(gz)], new).events_added == 0
    assert pipeline.run([str(gz)], old).events_added == 1


def test_texts_are_kept_as_the_old_database_kept_them_unless_told(old: Path) -> None:
    new = old.with_name("new.duckdb")
    assert run_rebuild("--db", str(old), "--out", str(new)).exit_code == 0
    texts = "SELECT event_key, text FROM events WHERE text IS NOT NULL ORDER BY ALL"
    assert Query(new)(texts) == Query(old)(texts) != []
    bare = old.with_name("bare.duckdb")
    res = run_rebuild("--db", str(old), "--out", str(bare), "--no-keep-text")
    assert res.exit_code == 0 and "message text not kept" in res.output
    assert Query(bare).scalar("SELECT count(text) FROM events") == 0


def test_text_kept_because_refscope_keep_text_is_set_is_said_to_be_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = f.write_ndjson(tmp_path / "a.ndjson", mixed_log())
    old = tmp_path / "old.duckdb"
    pipeline.run([str(log)], old, keep_text=False)
    monkeypatch.setenv("REFSCOPE_KEEP_TEXT", "1")
    new = tmp_path / "new.duckdb"
    res = run_rebuild("--db", str(old), "--out", str(new))
    assert res.exit_code == 0, res.output
    kept = tmp_path / "kept.duckdb"  # the log read with its text kept
    pipeline.run([str(log)], kept, keep_text=True)
    texts = "SELECT event_key, text FROM events WHERE text IS NOT NULL ORDER BY ALL"
    assert Query(new)(texts) == Query(kept)(texts) != []
    assert "message text kept" in res.output


def test_a_salted_database_is_rebuilt_under_its_salt_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = f.write_ndjson(tmp_path / "a.ndjson", mixed_log())
    salted = tmp_path / "salted.duckdb"
    monkeypatch.setenv("REFSCOPE_ID_SALT", "pepper-for-tests")
    pipeline.run([str(log)], salted)
    monkeypatch.delenv("REFSCOPE_ID_SALT")
    new = tmp_path / "new.duckdb"
    res = run_rebuild("--db", str(salted), "--out", str(new))
    # Rebuilt without it, the ids would be stored as they came.
    assert res.exit_code == 1 and "REFSCOPE_ID_SALT" in res.output
    assert "pepper" not in res.output
    assert not new.exists() and not new.with_name("new.duckdb.wal").exists()
    monkeypatch.setenv("REFSCOPE_ID_SALT", "pepper-for-tests")
    assert run_rebuild("--db", str(salted), "--out", str(new)).exit_code == 0
    assert every_row(new) == every_row(salted)


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
    res = run_rebuild("--db", str(old), "--out", str(new))
    assert res.exit_code == 0, res.output
    assert Query(old).scalar("SELECT count(*) FROM id_scheme") == 0
    assert Query(new).scalar("SELECT any_value(scheme) FROM id_scheme") == "plain"


def test_the_lake_follows_the_rebuilt_file_at_the_next_ingest(old: Path, tmp_path: Path) -> None:
    lake_dir = tmp_path / "lake"
    con = db.connect(old)
    try:
        con.execute("UPDATE contacts SET channel = 'organic' WHERE psid = 'u5'")  # an old rule
        lake.sync(con, lake_dir)
    finally:
        con.close()
    new = old.with_name("new.duckdb")
    assert run_rebuild("--db", str(old), "--out", str(new)).exit_code == 0
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
    prune(old, (f.utc(T0) + dt.timedelta(days=1)).date())
    assert Query(old).scalar("SELECT channel FROM contacts WHERE psid = 'u9'") == "m_me_link"
    new = tmp_path / "new.duckdb"
    res = run_rebuild("--db", str(old), "--out", str(new))
    assert res.exit_code == 0, res.output
    assert Query(new).scalar("SELECT channel FROM contacts WHERE psid = 'u9'") == "m_me_link"
    assert every_row(new) == every_row(old)
    assert "events kept by a prune 1" in res.output


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
    prune(old, day)
    assert Query(old).scalar("SELECT count(*) FROM events") == 1
    new = tmp_path / "new.duckdb"
    res = run_rebuild("--db", str(old), "--out", str(new))
    assert res.exit_code == 0, res.output
    assert "kept by a prune" not in res.output
    assert Query(new)("SELECT run_id, ts FROM events") == [(1, f.utc(midnight))]


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
    runs_long_ago(old)
    pipeline.run([str(late)], old)
    prune(old, dt.date.today() - dt.timedelta(days=30))
    assert Query(old)("SELECT file FROM rejects") == [(str(late),)]
    new = tmp_path / "new.duckdb"
    res = run_rebuild("--db", str(old), "--out", str(new))
    assert res.exit_code == 0, res.output
    assert Query(new)("SELECT file, line_no, raw FROM rejects") == Query(old)(
        "SELECT file, line_no, raw FROM rejects")  # fmt: skip
    assert "rejects 1 → 1" in res.output


def test_rejected_lines_a_prune_removed_stay_out_when_their_log_was_rotated_since(
    tmp_path: Path,
) -> None:
    # As above, the log rotated away since (logrotate: early.ndjson.1) and given as PATH.
    early = tmp_path / "early.ndjson"
    said = '{"sender": {"id": "3141592653589793"}, "text": "call me", broken'
    early.write_text(f.line(f.delivery(f.message("hi", psid="u1", ts=T0))) + "\n" + said + "\n")
    old = tmp_path / "old.duckdb"
    pipeline.run([str(early)], old)
    runs_long_ago(old)
    prune(old, dt.date.today() - dt.timedelta(days=30))
    assert Query(old).scalar("SELECT count(*) FROM rejects") == 0
    rotated = early.rename(tmp_path / "early.ndjson.1")
    new = tmp_path / "new.duckdb"
    res = run_rebuild("--db", str(old), "--out", str(new), str(rotated))
    assert res.exit_code == 0, res.output
    assert Query(new).scalar("SELECT count(*) FROM rejects") == 0
    assert "rejects 0 → 0" in res.output


def test_a_day_and_ad_a_later_pull_left_out_stays_out_of_the_rebuilt_file(
    tmp_path: Path,
    graph: FakeGraph,
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
    assert run_rebuild("--db", str(old), "--out", str(new)).exit_code == 0
    assert Query(new)(held) == Query(old)(held)
    assert Query(new).scalar("SELECT sum(spend) FROM ad_insights") == 30.0


def test_events_a_prune_kept_are_carried_as_this_refscope_stores_them(tmp_path: Path) -> None:
    """The old database as an older refscope left it (read, not written, by a rebuild): a kept
    event's email payload beside a text not kept is replaced in the new file, as the old one's
    next writer would have (the new file itself needs no migration)."""
    log = f.write_ndjson(tmp_path / "a.ndjson", [
        f.delivery(f.private_reply_echo("c_1", psid="u9", ts=T0)),
        f.delivery(f.message("later", psid="u9", ts=T0 + 3 * DAY)),
    ])  # fmt: skip
    old = tmp_path / "old.duckdb"
    pipeline.run([str(log)], old)
    prune(old, (f.utc(T0) + dt.timedelta(days=1)).date())
    con = duckdb.connect(str(old))
    con.execute("UPDATE events SET quick_reply_payload = 'ann@example.com' WHERE ts < $t",
                {"t": f.utc(T0 + DAY)})  # fmt: skip
    con.execute("COMMENT ON TABLE events IS NULL")
    con.close()
    new = tmp_path / "new.duckdb"
    res = run_rebuild("--db", str(old), "--out", str(new))
    assert res.exit_code == 0, res.output
    assert "events kept by a prune 1" in res.output
    kept = Query(new)("SELECT kind, quick_reply_payload FROM events WHERE ts < ?", f.utc(T0 + DAY))
    assert kept == [("message_echo", EMAIL_REMOVED)]
