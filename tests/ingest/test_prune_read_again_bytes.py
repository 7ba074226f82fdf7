"""A log read again after `prune --rewrite`: the events dated before the prune are left out
before their batch is committed, so none of their bytes comes back into the database file
(as a forgotten person's do not), and none is in the table while the run is unfinished."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

import tests.factories as f
from ingest import pipeline, retention, run_finish
from ingest.cli import cli
from tests.conftest import Query
from tests.factories import DAY, T0

PRUNED = "4440001112223334"  # a person whose every event is older than the prune's date
SAID = "aardvark-pruned-words-0815"  # their message, stored with --keep-text
RECENT = "5550009998887776"


def _pruned(tmp_path: Path) -> tuple[Path, Path]:
    """(the database, its log): the log read with --keep-text, then pruned with --rewrite."""
    now = int(dt.datetime.now(dt.UTC).timestamp() * 1000)
    log = f.write_ndjson(tmp_path / "logs" / "webhooks.ndjson", [
        f.delivery(f.postback(referral=f.referral_obj("bio_link"), psid=PRUNED, ts=T0)),
        f.delivery(f.message(SAID, psid=PRUNED, ts=T0 + f.MINUTE)),
        f.delivery(f.message("recent words", psid=RECENT, ts=now - DAY)),
    ])  # fmt: skip
    db_file = tmp_path / "refscope.duckdb"
    pipeline.run([str(log)], db_file, keep_text=True)
    prune = ["prune", "--older-than", "30d", "--rewrite", "--db", str(db_file)]
    res = CliRunner().invoke(cli, prune)
    assert res.exit_code == 0, res.output
    for gone in (PRUNED, SAID):
        assert gone.encode() not in db_file.read_bytes(), gone
    return db_file, log


def _held(db_file: Path) -> bytes:
    """The database file's bytes and its .wal's, if one is left."""
    wal = db_file.with_name(db_file.name + ".wal")
    return db_file.read_bytes() + (wal.read_bytes() if wal.exists() else b"")


def test_a_log_read_again_after_a_prune_brings_no_byte_of_it_back(tmp_path: Path) -> None:
    db_file, log = _pruned(tmp_path)
    again = shutil.copy(log, tmp_path / "logs" / "webhooks-copy.ndjson")
    res = pipeline.run([str(again)], db_file, keep_text=True)
    assert res.left_out == 2
    assert Query(db_file)("SELECT psid, text FROM events") == [(RECENT, "recent words")]
    held = _held(db_file)
    # Whole, or the start a column's statistics keep of the smallest text: "aardvark".
    for gone in (PRUNED, SAID, SAID[:8]):
        assert gone.encode() not in held, gone
    assert RECENT.encode() in held


def test_an_unfinished_run_holds_no_event_dated_before_the_prune(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Its batches are committed, its end never came (killed, a full disk): the table holds
    # nothing the prune removed meanwhile, and the run finished later leaves it so.
    db_file, log = _pruned(tmp_path)
    again = shutil.copy(log, tmp_path / "logs" / "webhooks-copy.ndjson")

    def killed(*_: object) -> None:
        raise RuntimeError("killed before the run's end")

    monkeypatch.setattr(run_finish, "finish", killed)
    with pytest.raises(RuntimeError, match="killed"):
        pipeline.run([str(again)], db_file, keep_text=True)
    assert Query(db_file)("SELECT psid, text FROM events") == [(RECENT, "recent words")]
    monkeypatch.undo()
    pipeline.run([str(again)], db_file, keep_text=True)
    assert Query(db_file)("SELECT psid, text FROM events") == [(RECENT, "recent words")]


def _like(sent: int) -> dict[str, object]:
    """A like of a page's post: a feed change without created_time, dated by its entry's `time`
    (when Meta sent it, another for each retry)."""
    value = {"item": "reaction", "verb": "add", "reaction_type": "like",
             "post_id": f"{f.PAGE_ID}_44556677", "parent_id": f"{f.PAGE_ID}_44556677",
             "from": {"id": "10158230000004242", "name": "Jo Doe"}}  # fmt: skip
    change = {"field": "feed", "value": value}
    return {"object": "page", "entry": [{"id": f.PAGE_ID, "time": sent, "changes": [change]}]}


def test_a_retry_dated_after_the_prune_of_an_event_it_removed_stays_out_in_a_later_batch(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Sent a minute before the prune's date and retried a minute after: the first copy is the
    # event, which the prune removes. Read again in small batches, the retry is in a later batch
    # than the copy left out: it is a copy of pruned history, not an event of its own.
    cut = retention.cutoff("30d", dt.datetime.now(dt.UTC).date())
    cut_s = int(dt.datetime.combine(cut, dt.time(), dt.UTC).timestamp())
    now = int(dt.datetime.now(dt.UTC).timestamp() * 1000)
    others = [f.delivery(f.message(f"recent {i}", psid=RECENT, ts=now - DAY + i)) for i in range(5)]
    log = f.write_ndjson(tmp_path / "logs" / "a.ndjson", [_like(cut_s - 60), *others,
                                                          _like(cut_s + 60)])  # fmt: skip
    db_file = tmp_path / "refscope.duckdb"
    pipeline.run([str(log)], db_file)
    kept = "SELECT kind, ts FROM events WHERE kind <> 'message'"
    assert Query(db_file)(kept) == [
        ("other", dt.datetime.fromtimestamp(cut_s - 60, dt.UTC).replace(tzinfo=None))
    ]
    res = CliRunner().invoke(cli, ["prune", "--older-than", "30d", "--db", str(db_file)])
    assert res.exit_code == 0, res.output
    assert Query(db_file)(kept) == []
    monkeypatch.setenv("REFSCOPE_INGEST_BATCH", "1KB")  # a few lines a batch
    again = shutil.copy(log, tmp_path / "logs" / "b.ndjson")
    pipeline.run([str(again)], db_file)
    assert Query(db_file)(kept) == []
    assert Query(db_file).scalar("SELECT count(*) FROM events") == 5
