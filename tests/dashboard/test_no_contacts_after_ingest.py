"""A database whose ingest runs stored no contact: the app says what the runs read (every line
rejected, or events none of which makes a contact), not only "ingest some logs first"."""

from __future__ import annotations

from pathlib import Path

from ingest import pipeline
from tests import factories as fx
from tests.dashboard.conftest import lake_of
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


def test_one_line_and_one_event_are_said_in_the_singular(open_app, db_path, query):
    """ "1 line of the 2 read were rejected", "the 1 event stored hold no user's own action"."""
    ingest(db_path, ["not json", fx.delivery(fx.echo())])
    assert query.scalar("SELECT count(*) FROM events") == 1
    info = first_info(open_app, db_path)
    assert "1 line of the 2 read was rejected" in info, info
    assert "the 1 event stored holds no user's own action" in info, info


def test_on_a_lake_the_note_names_the_lake_and_its_commands_keep_it(
    open_app, db_path, tmp_path, monkeypatch
):
    """`dashboard --lake`: the note named the database path, absent there, and its commands
    ingested without --lake and started the dashboard on the database: run as shown, they left
    the lake, which the dashboard read, as it was."""
    ingest(db_path, ["not json"])
    lake_dir = lake_of(db_path, tmp_path / "lake")
    monkeypatch.setenv("REFSCOPE_LAKE", str(lake_dir))
    absent = tmp_path / "absent.duckdb"
    info = first_info(open_app, absent)
    assert info.startswith(f"No contacts in the lake {lake_dir} yet")
    assert "1 line of the 1 read was rejected" in info and "in the database" in info
    assert str(absent) not in info
    at = open_app(absent)
    at.run()
    commands = at.code[0].value.splitlines()
    assert f"refscope ingest data/demo --db {absent} --lake {lake_dir}" in commands
    assert f"refscope dashboard --db {absent} --lake {lake_dir}" in commands
