"""`refscope rebuild` and the rejected lines a prune removed from a log that kept growing: read
by runs before the prune's date and after it, the log's early rejects went with their runs, and
the rebuilt file must not bring them back (their ids and words), while a later run's stay."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import tests.factories as f
from ingest import pipeline
from tests.conftest import Query
from tests.factories import DAY, T0
from tests.ingest.rebuild_setup import prune, run_rebuild, runs_long_ago

SAID = '{"sender": {"id": "3141592653589793"}, "text": "call me on 070-123", broken'


def test_rejected_lines_a_prune_removed_from_a_growing_log_stay_out(tmp_path: Path) -> None:
    log = tmp_path / "webhooks.ndjson"
    log.write_text(f.line(f.delivery(f.message("hi", psid="u1", ts=T0))) + "\n" + SAID + "\n")
    old = tmp_path / "old.duckdb"
    pipeline.run([str(log)], old)
    runs_long_ago(old)
    with log.open("a") as out:  # the receiver appends; a later run reads on
        out.write("not json\n")
        out.write(f.line(f.delivery(f.message("again", psid="u2", ts=T0 + 400 * DAY))) + "\n")
    pipeline.run([str(log)], old)
    prune(old, dt.date.today() - dt.timedelta(days=30))
    sql = "SELECT file, line_no, raw FROM rejects ORDER BY line_no"
    assert Query(old)(sql) == [(str(log), 3, "not json")]
    new = tmp_path / "new.duckdb"
    res = run_rebuild("--db", str(old), "--out", str(new))
    assert res.exit_code == 0, res.output
    assert Query(new)(sql) == Query(old)(sql)
    assert "rejects 1 → 1" in res.output


def test_without_a_prune_a_rebuild_keeps_every_rejected_line(tmp_path: Path) -> None:
    log = tmp_path / "webhooks.ndjson"
    log.write_text(f.line(f.delivery(f.message("hi", psid="u1", ts=T0))) + "\n" + SAID + "\n")
    old = tmp_path / "old.duckdb"
    pipeline.run([str(log)], old)
    with log.open("a") as out:
        out.write("not json\n")
    pipeline.run([str(log)], old)
    new = tmp_path / "new.duckdb"
    res = run_rebuild("--db", str(old), "--out", str(new))
    assert res.exit_code == 0, res.output
    sql = "SELECT file, line_no FROM rejects ORDER BY line_no"
    assert Query(new)(sql) == Query(old)(sql) == [(str(log), 2), (str(log), 3)]
