"""Privacy against the issue's words, where the other tests left a point open: a month-based
age keeps exactly that many months, the text setting in the environment, `prune` on clicks
through the CLI, `forget --page` on one page only, and the dashboard on loopback by default."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from ingest import pipeline, retention
from ingest.access import AUTH_ENV
from ingest.cli import cli
from tests import factories as f
from tests.conftest import Query
from tests.local_http import free_port


@pytest.mark.parametrize(
    ("age", "today", "expected"),
    [("1m", dt.date(2026, 11, 30), dt.date(2026, 10, 30)),
     ("1m", dt.date(2026, 12, 31), dt.date(2026, 11, 30)),
     ("1m", dt.date(2026, 3, 31), dt.date(2026, 2, 28)),
     ("1m", dt.date(2028, 3, 30), dt.date(2028, 2, 29)),
     ("25m", dt.date(2026, 12, 29), dt.date(2024, 11, 29)),
     ("1y", dt.date(2028, 2, 29), dt.date(2027, 2, 28)),
     ("1y", dt.date(2026, 8, 31), dt.date(2025, 8, 31))],
)  # fmt: skip
def test_a_month_age_keeps_exactly_that_many_months(
    age: str, today: dt.date, expected: dt.date
) -> None:
    """Not a day more: `1m` on the 30th removes what is older than the 30th of the month before."""
    assert retention.cutoff(age, today) == expected


def conversation(psid: str, ts: int, page: str = f.PAGE_ID) -> list[Any]:
    return [
        f.delivery(f.postback(referral=f.referral_obj("bio_link"), psid=psid, ts=ts), page_id=page),
        f.delivery(f.message("call me on 0701234567", psid=psid, ts=ts + 1000), page_id=page),
    ]


@pytest.mark.parametrize(
    ("setting", "kept"),
    [("1", True), ("true", True), ("0", False), ("1\r", True), (" on ", True), ("off", False)],
)
def test_the_keep_text_setting(
    runner: CliRunner, db_path: Path, log_dir: Path, query: Query,
    monkeypatch: pytest.MonkeyPatch, setting: str, kept: bool,
) -> None:  # fmt: skip
    monkeypatch.setenv("REFSCOPE_KEEP_TEXT", setting)
    log = f.write_ndjson(log_dir / "a.ndjson", conversation("111", f.T0))
    res = runner.invoke(cli, ["ingest", str(log), "--db", str(db_path)])
    assert res.exit_code == 0, res.output
    expected = "call me on 0701234567" if kept else None
    assert query("SELECT text, text_length FROM events WHERE kind = 'message'") == [(expected, 21)]


def test_a_keep_text_setting_that_is_neither_yes_nor_no_is_refused(
    runner: CliRunner, db_path: Path, log_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Read as no, "keep" (or "1" with a Windows line end) stored no text, silently, and the
    events it made keep none when the logs are read again."""
    monkeypatch.setenv("REFSCOPE_KEEP_TEXT", "keep")
    log = f.write_ndjson(log_dir / "a.ndjson", conversation("111", f.T0))
    res = runner.invoke(cli, ["ingest", str(log), "--db", str(db_path)])
    assert res.exit_code == 1, res.output
    assert "Error: REFSCOPE_KEEP_TEXT='keep': give 1 to keep message text, 0 not to" in res.output
    assert "Traceback" not in res.output


def test_prune_through_the_cli_removes_old_clicks_events_and_empty_contacts(
    runner: CliRunner, db_path: Path, log_dir: Path, query: Query
) -> None:
    now = int(dt.datetime.now(dt.UTC).timestamp() * 1000)
    old, recent = now - 100 * f.DAY, now - 2 * f.DAY
    click = {"object": "refscope_click", "ref": "bio_link", "page": f.PAGE_ID, "qr": False,
             "device": "mobile"}  # fmt: skip
    lines = [*conversation("1", old), *conversation("2", recent),
             click | {"ts": old}, click | {"ts": recent}]  # fmt: skip
    pipeline.run([str(f.write_ndjson(log_dir / "a.ndjson", lines))], db_path)
    assert query.scalar("SELECT count(*) FROM clicks") == 2
    res = runner.invoke(cli, ["prune", "--older-than", "4w", "--db", str(db_path)])
    assert res.exit_code == 0, res.output
    assert "2 events, " in res.output and "1 click, " in res.output and "1 contact, " in res.output
    assert query("SELECT psid FROM contacts") == [("2",)]
    assert query.scalar("SELECT count(*) FROM clicks") == 1
    since = dt.datetime.fromtimestamp(recent / 1000, dt.UTC).replace(tzinfo=None)
    assert query.scalar("SELECT min(ts) FROM clicks") >= since - dt.timedelta(seconds=1)
    assert query.scalar("SELECT count(*) FROM touches WHERE psid = '1'") == 0


def test_forget_on_one_page_keeps_the_person_on_the_others(
    runner: CliRunner, db_path: Path, log_dir: Path, query: Query
) -> None:
    psid = "5550001112223334"
    lines = [*conversation(psid, f.T0), *conversation(psid, f.T0, f.OTHER_PAGE_ID)]
    pipeline.run([str(f.write_ndjson(log_dir / "a.ndjson", lines))], db_path)
    res = runner.invoke(cli, ["forget", psid, "--page", f.PAGE_ID, "--db", str(db_path)])
    assert res.exit_code == 0, res.output
    on_pages = "SELECT DISTINCT page_id FROM {} WHERE psid = ?"
    for table in ("events", "touches", "contacts", "contact_days"):
        assert query(on_pages.format(table), psid) == [(f.OTHER_PAGE_ID,)], table
    assert query("SELECT page_id FROM forgotten") == [(f.PAGE_ID,)]
    pipeline.run([str(f.write_ndjson(log_dir / "copy.ndjson", lines))], db_path)
    for table in ("events", "contacts"):
        assert query(on_pages.format(table), psid) == [(f.OTHER_PAGE_ID,)], table
    assert query.scalar("SELECT count(*) FROM events WHERE psid = ?", psid) == 2


def test_the_dashboard_listens_on_loopback_by_default(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[tuple[list[str], dict[str, str]]] = []

    def execve(path: str, args: list[str], env: dict[str, str]) -> None:
        calls.append((args, env))
        raise RuntimeError("stopped before Streamlit")

    monkeypatch.setattr(os, "execve", execve)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.chdir(tmp_path)
    port = str(free_port())  # 8501 may be held: a `make demo` left running
    res = runner.invoke(cli, ["dashboard", "--db", str(tmp_path / "x.duckdb"), "--port", port])
    assert isinstance(res.exception, RuntimeError), res.output
    ((args, env),) = calls
    assert args[args.index("--server.address") + 1] == "127.0.0.1"
    assert env[AUTH_ENV] == "none"
