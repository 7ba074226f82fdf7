"""`refscope rebuild` of a pruned database: the events and rejected lines the prune removed are
read again from the logs and left out, and none of their bytes stays in the new file (the
ingest stores a run's events before it leaves out those dated before the prune)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from click.testing import CliRunner

import tests.factories as f
from ingest import pipeline
from ingest.cli import cli
from tests.conftest import Query
from tests.factories import DAY, T0
from tests.ingest.rebuild_setup import run_rebuild, runs_long_ago
from tests.ingest.rewrite_setup import leftovers

PRUNED = "4440001112223334"  # a person whose every event is older than the prune's date
SAID = "aardvark-pruned-words"  # their messages, stored with --keep-text
REJECTED = "platypus-pruned-reject"  # a line an early run rejected
RECENT = "5550009998887776"


def test_a_rebuild_after_a_prune_keeps_no_byte_of_what_it_removed(tmp_path: Path) -> None:
    now = int(dt.datetime.now(dt.UTC).timestamp() * 1000)
    log = f.write_ndjson(tmp_path / "logs" / "webhooks.ndjson", [
        *(f.delivery(f.message(f"{SAID}-{i}", psid=PRUNED, ts=T0 + i * 1000)) for i in range(50)),
        f'{{"sender": {{"id": "{PRUNED}"}}, "text": "{REJECTED}", broken',
        f.delivery(f.message("recent words", psid=RECENT, ts=now - DAY)),
    ])  # fmt: skip
    old = tmp_path / "old.duckdb"
    pipeline.run([str(log)], old, keep_text=True)
    runs_long_ago(old)  # the run that read the log started before the prune's date
    res = CliRunner().invoke(cli, ["prune", "--older-than", "30d", "--rewrite", "--db", str(old)])
    assert res.exit_code == 0, res.output
    for gone in (PRUNED, SAID, REJECTED):
        assert gone.encode() not in old.read_bytes(), gone
    new = tmp_path / "new.duckdb"
    res = run_rebuild("--db", str(old), "--out", str(new))
    assert res.exit_code == 0, res.output
    assert Query(new)("SELECT psid, text FROM events") == [(RECENT, "recent words")]
    assert Query(new)("SELECT count(*) FROM rejects") == [(0,)]
    held = new.read_bytes()
    for gone in (PRUNED, SAID, REJECTED):
        assert gone.encode() not in held, gone
    assert RECENT.encode() in held
    assert leftovers(new) == []
