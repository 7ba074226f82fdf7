"""A database whose ingest runs stored no contact: the app says what the runs read (every line
rejected, or events none of which makes a contact), not only "ingest some logs first"."""

from __future__ import annotations

from pathlib import Path

from ingest import pipeline
from tests import factories as fx
from tests.dashboard.screen import shown


def ingest(path: Path, lines: list[object]) -> None:
    log = fx.write_ndjson(path.parent / "logs" / "webhooks.ndjson", lines)
    pipeline.run([str(log)], path)


def first_info(open_app, path: Path) -> str:
    at = open_app(path)
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    assert "refscope ingest" in at.code[0].value  # the demo's commands still follow
    return shown(at.info[0].value)


def test_every_line_rejected_says_so(open_app, db_path, query):
    no_sender = fx.delivery(fx.message(sender={}))
    ingest(db_path, ['{"object": "page"', "[1, 2]", no_sender, "not json"])
    assert query.scalar("SELECT count(*) FROM rejects") == 4
    info = first_info(open_app, db_path)
    assert info.startswith(f"No contacts in {db_path} yet")
    assert "4 lines of the 4 read were rejected" in info
    assert "FROM rejects" in info and "Ingest some Messenger logs first" not in info


def test_events_without_a_users_action_say_so(open_app, db_path, query):
    ingest(db_path, [fx.delivery(fx.echo(ts=fx.T0 + n * fx.MINUTE)) for n in range(3)])
    assert query.scalar("SELECT count(*) FROM events") == 3
    assert query.scalar("SELECT count(*) FROM contacts") == 0
    info = first_info(open_app, db_path)
    assert "the 3 events stored hold no user's own action" in info
    assert "rejected" not in info
