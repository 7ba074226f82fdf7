"""Black-box checks of the ingest's guarantees on realistic mixed logs (blackbox_logs.py): the
same inputs again change nothing; every non-blank line gives events or one specific reject; the
order, the split over runs and the growth of the files change nothing; a replaced or truncated
file is read anew without copies. The crash checks are in test_guarantees_crash.py."""

from __future__ import annotations

import gzip
import random
import re
from pathlib import Path
from typing import Any

import duckdb
import pytest

from ingest import pipeline
from tests.conftest import Query
from tests.ingest.blackbox_logs import Generator, Line, Log, dumps, split_points, visible

SEED = 20251203
TIMING = "started_at, finished_at, seconds"
# Digits 1-9 turned round, 0 kept: every id, mid and instant changes, no number gains a
# leading zero, and the file keeps its size.
OTHER_DIGITS = bytes.maketrans(b"123456789", b"234567891")
KINDS = ("message", "message_echo", "postback", "referral", "optin", "delivery", "read",
         "reaction", "handover", "comment", "private_reply", "other")  # fmt: skip


@pytest.fixture(scope="module")
def logs() -> list[Log]:
    return Generator(SEED, users=60).logs()


def write_all(root: Path, logs: list[Log]) -> Path:
    for log in logs:
        log.write(root)
    # Not a log's name: never read.
    (root / "notes.txt").write_bytes(logs[0].lines[0].text + b"\n")
    return root


def ingest(paths: list[Path], db_file: Path) -> pipeline.IngestResult:
    return pipeline.run([str(p) for p in paths], db_file, keep_text=True)


def every_table(db_file: Path) -> dict[str, list[tuple[Any, ...]]]:
    tables = Query(db_file).tables()
    tables["ingest_runs"] = Query(db_file)(
        f"SELECT * EXCLUDE ({TIMING}) FROM ingest_runs ORDER BY ALL"
    )
    return tables


def outcome(db_file: Path, required: bool = True) -> dict[str, list[tuple[Any, ...]]]:
    """What the logs say, whatever file and run read each event first."""
    q = Query(db_file)
    out = q.read_tables()
    out["rejects"] = q("SELECT * EXCLUDE (reject_key, run_id) FROM rejects ORDER BY ALL")
    for table, rows in out.items():
        assert rows or not required, f"{table} is empty: the comparison proves nothing"
    return out


def differing(a: dict[str, list[Any]], b: dict[str, list[Any]]) -> dict[str, tuple[int, int]]:
    """The tables that differ, with their row counts: a readable assertion."""
    return {t: (len(a[t]), len(b.get(t, []))) for t in a if a[t] != b.get(t)}


def test_the_same_inputs_again_change_no_row(tmp_path: Path, logs: list[Log]) -> None:
    root = write_all(tmp_path / "logs", logs)
    db_file = tmp_path / "r.duckdb"
    first = ingest([root], db_file)
    assert first.events_added > 0 and first.rejects_added > 0 and first.files_read == len(logs)
    before = every_table(db_file)
    for table in ("events", "touches", "contacts", "rejects", "ingest_files"):
        assert before[table], table
    # Again by the folder, by each file, and by globs: nothing new, no run row.
    ingest([root], db_file)
    ingest([root / log.name for log in logs], db_file)
    pipeline.run([f"{root}/*.nd*", f"{root}/*.jsonl", f"{root}/*/*.gz", f"{root}/*/*/*"], db_file)
    assert differing(before, every_table(db_file)) == {}


def test_every_non_blank_line_gives_events_or_one_specific_reject(
    tmp_path: Path, logs: list[Log]
) -> None:
    root = write_all(tmp_path / "logs", logs)
    db_file = tmp_path / "r.duckdb"
    ingest([root], db_file)
    q = Query(db_file)
    files = {str((root / log.name).resolve()) for log in logs}
    assert {r[0] for r in q("SELECT path FROM ingest_files")} == files  # notes.txt is not read
    assert {r[0] for r in q("SELECT file FROM events UNION SELECT file FROM rejects")} <= files
    # The logs hold every kind of event, through every way in.
    kinds = {r[0] for r in q("SELECT DISTINCT kind FROM events")}
    assert kinds == set(KINDS)
    channels = {r[0] for r in q("SELECT DISTINCT channel FROM contacts")}
    assert channels >= {"m_me_link", "ctm_ad", "chat_widget", "comment_reply", "organic"}
    assert q("SELECT bool_or(is_standby), bool_or(is_user_ref) FROM events") == [(True, True)]
    assert_accounted(db_file, root, logs)


def assert_accounted(db_file: Path, root: Path, logs: list[Log]) -> None:
    """Every non-blank line of the logs under root gives events or one reject, as meant."""
    q = Query(db_file)
    groups: dict[int, list[bool]] = {}
    whole: dict[int, bool] = {}
    for log in logs:
        file = str((root / log.name).resolve())
        with_events = {r[0] for r in q("SELECT DISTINCT line_no FROM events WHERE file = ?", file)}
        rejects = q("SELECT line_no, reason, raw FROM rejects WHERE file = ?", file)
        by_line = {n: (reason, raw) for n, reason, raw in rejects}
        assert len(by_line) == len(rejects), f"{log.name}: a line rejected twice"
        expected = {n for n, line in enumerate(log.lines, 1) if line.reject}
        assert set(by_line) == expected, log.name
        for n, line in enumerate(log.lines, 1):
            where = f"{log.name}:{n}"
            if line.reject:
                reason, raw = by_line[n]
                assert re.search(line.reject, reason), (where, reason)
                assert raw == visible(line.text), where
            if line.group is not None:
                groups.setdefault(line.group, []).append(n in with_events)
                whole[line.group] = line.whole_copy
            elif line.events:
                assert n in with_events, (where, line.text[:200])
            else:
                assert n not in with_events, where
    # Of lines that are copies of one another (a retried POST), exactly one gives the events;
    # of a delivery and a later one batching its entry with others, one at least.
    assert groups and all(
        sum(found) == 1 if whole[g] else any(found) for g, found in groups.items()
    ), groups


def _grow(root: Path, logs: list[Log], db_file: Path, parts: int, seed: int) -> None:
    """Write each file in `parts` appends cut anywhere (mid-line, mid-character, between CR and
    LF; a .gz as one more gzip member each time), with a run over the folder after each."""
    rng = random.Random(seed)
    cuts = {log.name: split_points(rng, len(log.content()), parts) for log in logs}
    for step in range(parts):
        for log in logs:
            data = log.content()
            start = cuts[log.name][step - 1] if step else 0
            piece = data[start : cuts[log.name][step]]
            path = root / log.name
            path.parent.mkdir(parents=True, exist_ok=True)
            with open(path, "ab") as fh:
                fh.write(gzip.compress(piece, mtime=0) if log.name.endswith(".gz") else piece)
        ingest([root], db_file)


def test_order_split_and_growth_change_nothing(
    tmp_path: Path, logs: list[Log], monkeypatch: pytest.MonkeyPatch
) -> None:
    whole = write_all(tmp_path / "whole", logs)
    ingest([whole], tmp_path / "one_run.duckdb")
    expected = outcome(tmp_path / "one_run.duckdb")

    # The same files, one per run, in the reverse order of their names (the same path each).
    reversed_db = tmp_path / "reversed.duckdb"
    for log in sorted(logs, key=lambda x: x.name, reverse=True):
        ingest([whole / log.name], reversed_db)
    assert differing(expected, outcome(reversed_db)) == {}
    assert_accounted(reversed_db, whole, logs)

    # The files written in appends, cut anywhere, a run after each round.
    grown = tmp_path / "grown"
    (grown).mkdir()
    for parts, seed in ((3, 1), (7, 2)):
        for path in sorted(grown.rglob("*"), reverse=True):
            path.unlink() if path.is_file() else path.rmdir()
        grown_db = tmp_path / f"grown{parts}.duckdb"
        _grow(grown, logs, grown_db, parts, seed)
        assert_accounted(grown_db, grown, logs)
        got = outcome(same_paths(grown_db, grown, whole))
        assert differing(expected, got) == {}, f"{parts} appends"

    # Small batches: many commits in one run give what one batch gives.
    monkeypatch.setenv("REFSCOPE_INGEST_BATCH", "4KiB")
    small = tmp_path / "small.duckdb"
    ingest([whole], small)
    assert differing(expected, outcome(small)) == {}


def same_paths(db_file: Path, now: Path, was: Path) -> Path:
    """The database with its rejects' files named as if read from `was`, to compare them."""
    con = duckdb.connect(str(db_file))
    try:
        con.execute("UPDATE rejects SET file = replace(file, ?, ?)",
                    [str(now.resolve()), str(was.resolve())])  # fmt: skip
    finally:
        con.close()
    return db_file


def _changed(data: bytes) -> bytes:
    return data.translate(OTHER_DIGITS)


def test_a_replaced_file_of_the_same_size_is_read_anew_without_copies(
    tmp_path: Path, logs: list[Log]
) -> None:
    root = write_all(tmp_path / "logs", logs)
    db_file = tmp_path / "r.duckdb"
    ingest([root], db_file)
    replaced = [logs[0], logs[2]]  # a plain file and a .gz
    for log in replaced:
        before = (root / log.name).stat().st_size
        log.write(root, _changed(log.content()))
        if not log.name.endswith(".gz"):
            assert (root / log.name).stat().st_size == before
    ingest([root], db_file)
    # As one run over the old files and, under other names, the new ones.
    ref = write_all(tmp_path / "ref", logs)
    for log in replaced:
        Log(f"new/{log.name}", log.crlf, log.final_newline, log.lines).write(
            ref, _changed(log.content())
        )
    ingest([ref], tmp_path / "ref.duckdb")
    got, want = outcome(db_file), outcome(tmp_path / "ref.duckdb")
    for t in ("events", "touches", "contacts", "contact_days"):
        assert got[t] == want[t], t
    # The replaced files' rejects are those of their new lines, no more.
    q, r = Query(db_file), Query(tmp_path / "ref.duckdb")
    for log in replaced:
        sql = "SELECT line_no, reason, raw FROM rejects WHERE file = ? ORDER BY ALL"
        old_text = {visible(x.text) for x in log.lines if x.reject and _changed(x.text) != x.text}
        now = q(sql, str((root / log.name).resolve()))
        assert now == r(sql, str((ref / "new" / log.name).resolve())), log.name
        assert not old_text & {raw for _, _, raw in now}, log.name


def test_a_truncated_file_is_read_anew_without_copies(tmp_path: Path, logs: list[Log]) -> None:
    root = write_all(tmp_path / "logs", logs)
    db_file = tmp_path / "r.duckdb"
    ingest([root], db_file)
    before = outcome(db_file)
    log = logs[1]  # CRLF line ends
    end = b"\r\n"
    keep = log.content().split(end)[: len(log.lines) // 2]
    path = root / log.name
    path.write_bytes(end.join(keep) + end)
    ingest([root], db_file)
    after = outcome(db_file)
    for t in ("events", "touches", "contacts", "contact_days"):
        assert after[t] == before[t], t
    # Grown again with other lines, past its old size: they are read, the kept ones not again.
    extra = Generator(SEED + 7, users=30).logs()[1]
    with open(path, "ab") as fh:
        fh.write(_changed(extra.content()))
    assert path.stat().st_size > len(log.content())
    ingest([root], db_file)
    ref = write_all(tmp_path / "ref", logs)
    Log("new/extra.jsonl").write(ref, _changed(extra.content()))
    ingest([ref], tmp_path / "ref.duckdb")
    got, want = outcome(db_file), outcome(tmp_path / "ref.duckdb")
    for t in ("events", "touches", "contacts", "contact_days"):
        assert got[t] == want[t], t


@pytest.mark.parametrize("salt", [None, "s3cret-salt"], ids=["plain", "salted"])
def test_an_old_direction_sample_echo_finds_its_page_from_a_later_batch_of_the_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, salt: str | None
) -> None:
    """A sample (no entry id) echo in the old direction (sender = PSID), read a batch before the
    first message of its page in the same run: filed as in one batch, whatever the batch size.
    https://developers.facebook.com/docs/messenger-platform/reference/webhook-events/message-echoes/"""
    if salt:
        monkeypatch.setenv("REFSCOPE_ID_SALT", salt)
    page, psid, t = "1029384756102938", "6512345678901234", 1_750_000_000_000
    echo = {"sender": {"id": psid}, "recipient": {"id": page}, "timestamp": t,
            "message": {"is_echo": True, "app_id": 1, "mid": "m_echo", "text": "Hi!"}}  # fmt: skip
    logs = tmp_path / "logs"
    sample = Line(dumps({"field": "message_echoes", "value": echo}))
    Log("a.ndjson", lines=[sample]).write(logs)
    # Its page's first message, and the same sample again (a copy: one event).
    Log("b.ndjson", lines=[Line(dumps(_message(page, psid, t + 5, "m_1"))), sample]).write(logs)
    ingest([logs], tmp_path / "one.duckdb")
    monkeypatch.setenv("REFSCOPE_INGEST_BATCH", "200")  # a batch a line
    ingest([logs], tmp_path / "small.duckdb")
    one, small = (outcome(tmp_path / f"{n}.duckdb", required=False) for n in ("one", "small"))
    assert Query(tmp_path / "one.duckdb")("SELECT page_id, kind FROM events ORDER BY ALL") == [
        (page, "message"), (page, "message_echo")]  # fmt: skip
    assert differing(one, small) == {}
    assert Query(tmp_path / "small.duckdb").scalar("SELECT events_added FROM ingest_runs") == 2


def _message(page: str, psid: str, t: int, mid: str) -> dict[str, Any]:
    item = {"sender": {"id": psid}, "recipient": {"id": page}, "timestamp": t,
            "message": {"mid": mid, "text": "hello"}}  # fmt: skip
    return {"object": "page", "entry": [{"id": page, "time": t, "messaging": [item]}]}
