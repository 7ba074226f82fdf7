"""The old database a rebuild test starts from (the fixture `old`, in conftest.py), and the
command run in-process."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import tests.factories as f
import tests.factories_feed as ff
from ingest import db, pipeline, retention
from ingest.cli import cli
from ingest.privacy import Privacy
from tests.conftest import Query
from tests.factories import DAY, MINUTE, PAGE_ID, T0
from tests.ingest.logs import get_started, mixed_log


def later_log() -> list[Any]:
    return [
        *get_started("u5", ref="qr_window", ts=T0 + 2 * DAY),
        f.delivery(f.message("hi", psid="u6", ts=T0 + 2 * DAY + MINUTE)),
        f.delivery(f.message("bye", psid="u2", ts=T0 + 2 * DAY + 2 * MINUTE)),
        ff.feed(ff.comment(comment_id="c_9", from_id="F9", created_time=(T0 + 2 * DAY) // 1000)),
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
    b = f.write_ndjson(logs / "b.ndjson", later_log())
    pipeline.run([str(b)], path, keep_text=True)
    con = db.connect(path)
    try:
        con.execute("INSERT INTO pages VALUES (?, 'acme', 'Acme Bakery')", [PAGE_ID])
        retention.forget(con, "u2", None, Privacy())
        retention.prune(con, (f.utc(T0) + dt.timedelta(days=1)).date())
    finally:
        con.close()
    return path


def every_row(path: Path) -> dict[str, list[tuple[Any, ...]]]:
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


def run_rebuild(*args: str) -> Any:
    return CliRunner().invoke(cli, ["rebuild", *args])


def failed_then_carried(old: Path, monkeypatch: pytest.MonkeyPatch, said: str) -> Path:
    """A rebuild of old while the hooks monkeypatch set write there fails whole, saying what
    happened (said) on old during it, its new file removed; run again without them, it is
    written, with every row of old: the new file."""
    new = old.with_name("new.duckdb")
    res = run_rebuild("--db", str(old), "--out", str(new))
    words = " ".join(res.output.split())
    assert res.exit_code == 1 and not isinstance(res.exception, AssertionError), res.exception
    assert f"{said} on {old} during the rebuild" in words, words
    assert f"{new} is not written" in words and "run the rebuild again" in words, words
    assert list(old.parent.glob("new.duckdb*")) == []
    monkeypatch.undo()
    res = run_rebuild("--db", str(old), "--out", str(new))
    assert res.exit_code == 0, res.output
    assert every_row(new) == every_row(old)
    return new


def prune(path: Path, before: dt.date) -> None:
    """`refscope prune` of the database at path, to before."""
    con = db.connect(path)
    try:
        retention.prune(con, before)
    finally:
        con.close()


def runs_long_ago(path: Path) -> None:
    """Date the runs of the database at path so far 60 days back: read before a prune of the
    last 30 days, which removes their rejected lines with them (retention.prune)."""
    con = db.connect(path)
    try:
        con.execute("UPDATE ingest_runs SET started_at = started_at - INTERVAL 60 DAY")
    finally:
        con.close()
