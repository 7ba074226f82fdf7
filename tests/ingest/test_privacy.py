"""Privacy: no message text by default, keyed-hash ids with a salt, prune, forget for good, and
receivers' log file names that never clash (rejected lines: test_privacy_rejects.py)."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import os
import re
import socket
from pathlib import Path
from typing import Any

import duckdb
import pytest
from click.testing import CliRunner

from dashboard import queries
from dashboard.filters import Filters
from ingest import db, pipeline, receiver, retention
from ingest.cli import cli
from ingest.errors import ValidationError
from ingest.privacy import PSEUDONYMISE
from tests import factories as f
from tests import factories_feed as ff
from tests.conftest import Query

SALT = "pepper-for-tests"


def conversation(psid: str, ts: int) -> list[Any]:
    ref = f.referral_obj("bio_link")
    return [
        f.delivery(f.postback(referral=ref, psid=psid, ts=ts)),
        f.delivery(f.message("Hej, my phone is 0701234567", psid=psid, ts=ts + 1000,
                             attachments=[{"type": "image", "payload": {"url": "https://x"}}])),
        f.delivery(f.message("second", psid=psid, ts=ts + 2000, quick_reply={"payload": "MENU"})),
    ]  # fmt: skip


def test_text_is_not_kept_by_default(ingest_lines: Any, query: Query) -> None:
    ingest_lines(conversation("111", f.T0), keep_text=False)
    rows = query.dicts(
        "SELECT text, text_length, attachment_types, quick_reply_payload, postback_payload "
        "FROM events WHERE kind IN ('message', 'postback') ORDER BY ts"
    )
    assert [r["text"] for r in rows] == [None, None, None]
    assert [r["text_length"] for r in rows] == [None, 27, 6]
    assert rows[1]["attachment_types"] == ["image"]
    assert rows[2]["quick_reply_payload"] == "MENU"
    assert rows[0]["postback_payload"] == "GET_STARTED"


def test_text_is_not_kept_without_the_flag_or_the_setting(
    runner: CliRunner, db_path: Path, log_dir: Path, query: Query, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("REFSCOPE_KEEP_TEXT", raising=False)
    log = f.write_ndjson(log_dir / "a.ndjson", conversation("111", f.T0))
    res = runner.invoke(cli, ["ingest", str(log), "--db", str(db_path)])
    assert res.exit_code == 0, res.output
    assert query.scalar("SELECT count(text_length) FROM events") == 2
    assert query.scalar("SELECT count(text) FROM events") == 0


def test_keep_text_opts_in(runner: CliRunner, db_path: Path, log_dir: Path, query: Query) -> None:
    log = f.write_ndjson(log_dir / "a.ndjson", conversation("111", f.T0))
    res = runner.invoke(cli, ["ingest", str(log), "--db", str(db_path), "--keep-text"])
    assert res.exit_code == 0, res.output
    assert query.scalar("SELECT text FROM events WHERE text_length = 6") == "second"


def test_salted_ids_are_keyed_hashes_stable_across_runs(
    db_path: Path, log_dir: Path, monkeypatch: pytest.MonkeyPatch, query: Query
) -> None:
    monkeypatch.setenv("REFSCOPE_ID_SALT", SALT)
    pipeline.run([str(f.write_ndjson(log_dir / "a.ndjson", conversation("111", f.T0)))], db_path)
    pipeline.run([str(f.write_ndjson(log_dir / "b.ndjson", conversation("111", f.T0)))], db_path)
    expected = hmac.new(SALT.encode(), b"111", hashlib.sha256).hexdigest()
    assert query("SELECT DISTINCT psid FROM events WHERE psid IS NOT NULL") == [(expected,)]
    assert query("SELECT psid, channel FROM contacts") == [(expected, "m_me_link")]
    assert query.scalar("SELECT count(*) FROM events") == 3  # the second file deduplicated
    dump = "\n".join(str(r) for rows in query.tables().values() for r in rows)
    assert "'111'" not in dump and SALT not in dump


def test_salted_comment_funnel_leaves_out_the_pages_own_public_replies(
    db_path: Path, log_dir: Path, monkeypatch: pytest.MonkeyPatch, query: Query
) -> None:
    # The page id is no person's id: hashed, the page's own replies became comments received.
    monkeypatch.setenv("REFSCOPE_ID_SALT", SALT)
    lines = [
        ff.feed(ff.comment()),
        ff.feed(ff.comment(comment_id="4455667788_2468", from_id=f.PAGE_ID, text="See inbox!",
                         created_time=f.T0 // 1000 + 60)),
    ]  # fmt: skip
    pipeline.run([str(f.write_ndjson(log_dir / "a.ndjson", lines))], db_path)
    hashed = hmac.new(SALT.encode(), b"10158230000000001", hashlib.sha256).hexdigest()
    assert sorted(query("SELECT commenter_id FROM events")) == sorted([(hashed,), (f.PAGE_ID,)])
    day = f.utc(f.T0).date()
    con = db.connect(db_path, read_only=True)
    try:
        (row,) = queries.comments(con, Filters(day, day)).to_dict("records")
    finally:
        con.close()
    assert row["comments"] == 1


def test_forget_removes_a_person_and_a_reingest_leaves_them_out(
    runner: CliRunner, db_path: Path, log_dir: Path, query: Query
) -> None:
    broken = (
        '{"object":"page","entry":[{"id":"'
        + f.PAGE_ID
        + '","messaging":[{"sender":{"id":"5550001112223334"}}]}]}'
    )
    lines = [*conversation("5550001112223334", f.T0), *conversation("222", f.T0 + 10_000), broken]
    log = f.write_ndjson(log_dir / "a.ndjson", lines)
    pipeline.run([str(log)], db_path)
    assert query.scalar("SELECT count(*) FROM contacts") == 2
    res = runner.invoke(cli, ["forget", "5550001112223334", "--db", str(db_path)])
    assert res.exit_code == 0, res.output
    for table in ("events", "touches", "contacts", "contact_days"):
        assert query.scalar(f"SELECT count(*) FROM {table} WHERE psid = '5550001112223334'") == 0
    assert query.scalar("SELECT count(*) FROM contacts") == 1
    assert "5550001112223334" not in query.scalar("SELECT raw FROM rejects")
    # Old logs read again from scratch (offsets forgotten, as after a move): still left out.
    with_copy = f.write_ndjson(log_dir / "copy.ndjson", lines)
    pipeline.run([str(with_copy)], db_path)
    assert query.scalar("SELECT count(*) FROM events WHERE psid = '5550001112223334'") == 0
    assert query.scalar("SELECT count(*) FROM contacts") == 1
    assert query("SELECT count(*), count(DISTINCT file || line_no) FROM rejects") == [(2, 2)]
    assert all("5550001112223334" not in r[0] for r in query("SELECT raw FROM rejects"))
    (stored,) = query("SELECT id_hash FROM forgotten")[0]
    assert stored == hashlib.sha256(b"5550001112223334").hexdigest()


def test_forget_with_a_salt_matches_the_stored_id(
    runner: CliRunner, db_path: Path, log_dir: Path, query: Query,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    monkeypatch.setenv("REFSCOPE_ID_SALT", SALT)
    log = f.write_ndjson(log_dir / "a.ndjson", conversation("333", f.T0))
    pipeline.run([str(log)], db_path)
    res = runner.invoke(cli, ["forget", "333", "--page", f.PAGE_ID, "--db", str(db_path)])
    assert res.exit_code == 0, res.output
    assert query.scalar("SELECT count(*) FROM events") == 0
    pipeline.run([str(f.write_ndjson(log_dir / "b.ndjson", conversation("333", f.T0)))], db_path)
    assert query.scalar("SELECT count(*) FROM events") == 0


def test_prune_removes_old_rows_and_empty_contacts(
    db_path: Path, log_dir: Path, query: Query, runner: CliRunner
) -> None:
    old, new = f.T0, f.T0 + 400 * f.DAY
    lines = [*conversation("1", old), *conversation("2", new), *conversation("3", old),
             f.delivery(f.message("back", psid="3", ts=new + 5))]  # fmt: skip
    pipeline.run([str(f.write_ndjson(log_dir / "a.ndjson", lines))], db_path)
    cut = dt.datetime.fromtimestamp(new / 1000, dt.UTC).date() - dt.timedelta(days=30)
    con = db.connect(db_path)
    try:
        r = retention.prune(con, cut)
    finally:
        con.close()
    assert r.events == 6 and r.contacts == 1
    assert query("SELECT psid FROM contacts ORDER BY psid") == [("2",), ("3",)]
    assert query.scalar("SELECT min(ts) FROM events") >= dt.datetime(cut.year, cut.month, cut.day)
    res = runner.invoke(cli, ["prune", "--older-than", "25m", "--db", str(db_path)])
    assert res.exit_code == 0 and "removed data before" in res.output


@pytest.mark.parametrize(
    ("age", "expected"),
    [("30d", dt.date(2026, 10, 26)), ("2w", dt.date(2026, 11, 11)),
     ("25m", dt.date(2024, 10, 25)), ("1y", dt.date(2025, 11, 25))],
    ids=["days", "weeks", "months", "years"],
)  # fmt: skip
def test_ages(age: str, expected: dt.date) -> None:
    assert retention.cutoff(age, dt.date(2026, 11, 25)) == expected


@pytest.mark.parametrize("age", ["", "25", "m", "0d", "3h", "-2d"])
def test_bad_ages_are_refused(age: str) -> None:
    with pytest.raises(ValidationError, match="d \\(days\\)"):
        retention.parse_age(age)


# --- the receiver's log files -----------------------------------------------------------------


def test_writer_ids_of_distinct_long_hostnames_differ(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "getpid", lambda: 1)
    ids = []
    for host in ("refscope-webhook-receiver-prod-7f9c8d6b5-x7k2p",
                 "refscope-webhook-receiver-prod-7f9c8d6b5-x9q4z", "web1.example.com",
                 "web1_example_com", "web-1"):  # fmt: skip
        monkeypatch.setattr(socket, "gethostname", lambda h=host: h)
        ids.append(receiver.writer_id())
    assert len(set(ids)) == len(ids)
    # A short, filename-safe name is kept as it is; then the pid and the run id.
    assert re.fullmatch(r"web-1-1-[0-9a-f]{8}", ids[-1]), ids[-1]
    assert all(re.fullmatch(r"[A-Za-z0-9_-]{1,59}", i) for i in ids)
    assert ids[0].startswith("refscope-webhook-receiver-prod")
    hosts = [re.sub(r"-1-[0-9a-f]{8}$", "", i) for i in ids[:2]]
    assert [len(h) for h in hosts] == [40, 40]  # cut to 40, hash included


def test_two_receivers_of_one_hostname_both_pid_1_write_different_files(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Two containers sharing a hostname, each running `serve` as pid 1 on one shared volume,
    named their files alike (`<host>-1`) and appended to the same file; each start now has a
    run id of its own."""
    monkeypatch.setattr(os, "getpid", lambda: 1)
    monkeypatch.setattr(socket, "gethostname", lambda: "receiver")
    first, second = receiver.writer_id(), receiver.writer_id()
    assert first != second and first.startswith("receiver-1-") and second.startswith("receiver-1-")


@pytest.mark.parametrize(
    ("first", "then"), [(None, SALT), (SALT, None), (SALT, "another-salt")],
    ids=["salt-set-later", "salt-unset-later", "salt-changed"],
)  # fmt: skip
def test_a_run_under_another_salt_than_the_databases_is_refused(
    db_path: Path, log_dir: Path, monkeypatch: pytest.MonkeyPatch, query: Query,
    runner: CliRunner, first: str | None, then: str | None,
) -> None:  # fmt: skip
    """Ids stored one way and then another would make everyone a second contact, and bring
    back people forgotten under the first salt: refused, with nothing written."""

    def salt(value: str | None) -> None:
        if value is None:
            monkeypatch.delenv("REFSCOPE_ID_SALT", raising=False)
        else:
            monkeypatch.setenv("REFSCOPE_ID_SALT", value)

    salt(first)
    pipeline.run([str(f.write_ndjson(log_dir / "a.ndjson", conversation("111", f.T0)))], db_path)
    res = runner.invoke(cli, ["forget", "222", "--db", str(db_path)])
    assert res.exit_code == 0, res.output
    before = query.tables()
    salt(then)
    later = f.write_ndjson(log_dir / "b.ndjson", conversation("222", f.T0 + f.DAY))
    with pytest.raises(ValidationError, match="REFSCOPE_ID_SALT"):
        pipeline.run([str(later)], db_path)
    # Also with nothing new to read: not "nothing new", as if the salt were right.
    res = runner.invoke(cli, ["ingest", str(log_dir / "a.ndjson"), "--db", str(db_path)])
    assert res.exit_code != 0 and "REFSCOPE_ID_SALT" in res.output, res.output
    res = runner.invoke(cli, ["forget", "111", "--db", str(db_path)])
    assert res.exit_code != 0 and "REFSCOPE_ID_SALT" in res.output, res.output
    assert query.tables() == before
    salt(first)  # the database's own salt again: all is well
    assert pipeline.run([str(later)], db_path).events_added == 0  # 222 was forgotten
    assert query.scalar("SELECT count(*) FROM contacts") == 1


def test_salted_keys_are_hashed_from_their_decimal_digits_without_duckdbs_slow_cast() -> None:
    """A salted event's key is the HMAC of its plain key's decimal digits. DuckDB's cast of a
    UHUGEINT to text took 40 us a key (a salted ingest ran 5x slower): key_text gives the same
    digits, also at the edges of the 64- and 127-bit halves."""
    assert "CAST(event_key AS VARCHAR)" not in PSEUDONYMISE
    con = duckdb.connect()
    edges = [0, 1, 9, 10, 99, 2**64 - 1, 2**64, 2**127 - 1, 2**127, 2**127 + 9, 2**127 + 10,
             10**38, 2**128 - 10, 2**128 - 1]  # fmt: skip
    con.execute("CREATE TABLE k (x UHUGEINT)")
    con.execute("INSERT INTO k SELECT CAST(unnest($v) AS UHUGEINT)", {"v": [str(e) for e in edges]})
    con.execute("INSERT INTO k SELECT md5_number(CAST(i AS VARCHAR)) FROM range(5000) t(i)")
    rows = con.execute(f"SELECT CAST(x AS VARCHAR), {db.key_text('x')} FROM k").fetchall()
    assert len(rows) == 5000 + len(edges)
    assert [b for _, b in rows[: len(edges)]] == [str(e) for e in edges]
    assert all(a == b for a, b in rows)
