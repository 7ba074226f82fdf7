"""A page id longer than a folder name can hold (a broken or hostile log): its line is rejected
with its reason, and `ingest --lake` goes on syncing. As a lake's partition folder its name
passed the file system's 255 bytes, and every sync failed from then on."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner
from rich.console import Console

from dashboard.cli import cli
from ingest import attribute, db, lake, lines, sources, stage, webhook
from ingest import cli as cli_module
from tests import factories as f
from tests.conftest import Query
from tests.ingest.fetch_server import lines as log_lines
from tests.ingest.fetch_server import pull_cli
from tests.ingest.graph_setup import ACCOUNT, TODAY, TOKEN, days

Said = tuple[str, str]  # what a command said on stdout, and on stderr


def test_a_page_id_too_long_for_a_folder_name_is_rejected_and_the_lake_synced(
    runner: CliRunner, tmp_path: Path, db_path: Path, query: Query
) -> None:
    long_id = "1" * 300
    log = f.write_ndjson(tmp_path / "logs" / "a.ndjson", [
        f.delivery(f.message(psid="7001", ts=f.T0)),
        f.delivery(f.message(psid="7002", ts=f.T0 + 1, page_id=long_id), page_id=long_id),
        {"object": "refscope_click", "ts": f.T0 + 2, "ref": "flyer", "page": "é" * 90},
        {"object": "refscope_click", "ts": f.T0 + 3, "ref": "flyer", "page": "acmebakery"},
    ])  # fmt: skip
    lake_dir = tmp_path / "lake"
    res = runner.invoke(cli, ["ingest", str(log), "--db", str(db_path), "--lake", str(lake_dir)])
    assert res.exit_code == 0, res.output
    assert query("SELECT psid FROM events") == [("7001",)]
    assert query("SELECT page FROM clicks") == [("acmebakery",)]
    rejects = query("SELECT line_no, reason FROM rejects ORDER BY line_no")
    assert [n for n, _ in rejects] == [2, 3], rejects
    assert all("page id longer than 80 bytes" in reason for _, reason in rejects), rejects
    assert (lake_dir / lake.MANIFEST).exists()
    again = runner.invoke(cli, ["ingest", str(log), "--db", str(db_path), "--lake", str(lake_dir)])
    assert again.exit_code == 0, again.output
    assert query("SELECT line_no, reason FROM rejects ORDER BY line_no") == rejects  # not again


LEFT_OUT = (
    "warning: left out of the lake: 1 events row, 1 clicks row with a page id longer "
    "than 80 bytes (no page's: stored by an earlier version; no folder name holds it)"
)


def _ingested_with_long_rows(runner: CliRunner, tmp_path: Path, db_path: Path, execute) -> Path:
    """A database holding rows of a page id too long, as a version before they were rejected
    stored them (an event and a click); the log it was ingested from."""
    log = f.write_ndjson(tmp_path / "logs" / "a.ndjson", [
        f.delivery(f.message(psid="7001", ts=f.T0)),
        {"object": "refscope_click", "ts": f.T0 + 2, "ref": "flyer", "page": "acmebakery"},
    ])  # fmt: skip
    assert runner.invoke(cli, ["ingest", str(log), "--db", str(db_path)]).exit_code == 0
    execute("""INSERT INTO events SELECT * REPLACE (repeat('1', 300) AS page_id,
                                                   event_key + 1 AS event_key) FROM events""")
    execute("""INSERT INTO clicks SELECT * REPLACE (repeat('é', 90) AS page,
                                                   click_key + 1 AS click_key) FROM clicks""")
    return log


def _said_apart(out: str, err: str) -> None:
    """The sync's line on stdout, holding no warning; what it left out, a warning on stderr."""
    assert "lake: " in out, out
    assert "left out" not in out and "warning" not in out, out
    assert LEFT_OUT in " ".join(err.split()), err


def test_rows_an_earlier_version_stored_with_a_page_id_too_long_are_left_out_of_the_lake(
    runner: CliRunner, tmp_path: Path, db_path: Path, execute
) -> None:
    """A database holding such rows (stored before they were rejected) failed every sync:
    `File name too long`, and "the next sync brings the lake in line", which it never did. The
    lake is written without them, and a warning on stderr says how many it left out and why."""
    log = _ingested_with_long_rows(runner, tmp_path, db_path, execute)
    lake_dir = tmp_path / "lake"
    res = runner.invoke(cli, ["ingest", str(log), "--db", str(db_path), "--lake", str(lake_dir)])
    assert res.exit_code == 0, res.output
    _said_apart(res.stdout, res.stderr)
    assert (lake_dir / lake.MANIFEST).exists()
    events = sorted(p.parent.name for p in (lake_dir / "events").glob("*/*"))
    assert events == ["page_id=" + f.PAGE_ID], events
    clicks = sorted(p.parent.name for p in (lake_dir / "clicks").glob("*/*"))
    assert clicks == ["page_id=acmebakery"], clicks


def _follow(request: pytest.FixtureRequest, log: Path, db_path: Path, lake_dir: Path) -> Said:
    """A round of `ingest --follow --lake` that reads nothing new (the log was ingested)."""
    request.getfixturevalue("monkeypatch").setattr(cli_module.time, "sleep", lambda s: None)
    out, err = io.StringIO(), io.StringIO()
    cli_module._follow(Console(file=out, width=200), [str(log)], db_path, 2.0, None, lake_dir,
                       cycles=1, err_console=Console(file=err, width=200))  # fmt: skip
    return out.getvalue(), err.getvalue()


def _pull_logs(request: pytest.FixtureRequest, log: Path, db_path: Path, lake_dir: Path) -> Said:
    """`pull logs --lake` with nothing new at the URL: the lake caught up."""
    s, base = request.getfixturevalue("site")
    s.files["/log.ndjson"] = log_lines(0, 3)
    runner = CliRunner()
    assert pull_cli(runner, base + "/log.ndjson", db_path).exit_code == 0
    res = pull_cli(runner, base + "/log.ndjson", db_path, "--lake", str(lake_dir))
    assert res.exit_code == 0 and "nothing new at" in res.stdout, res.output
    return res.stdout, res.stderr


def _pull_ads(request: pytest.FixtureRequest, log: Path, db_path: Path, lake_dir: Path) -> Said:
    graph = request.getfixturevalue("graph")
    graph.rows = days(1)
    res = CliRunner().invoke(cli, [
        "pull", "ads", "--account", ACCOUNT, "--base-url", graph.base, "--since", str(TODAY),
        "--until", str(TODAY), "--db", str(db_path), "--lake", str(lake_dir),
    ], env={"REFSCOPE_META_TOKEN": TOKEN})  # fmt: skip
    assert res.exit_code == 0, res.output
    return res.stdout, res.stderr


def _invoked(*args: str) -> Callable[[pytest.FixtureRequest, Path, Path, Path], Said]:
    """A command of the test runner, given --db and --lake, once `ingest --lake` wrote the
    lake (they bring in line a lake there is, and make none)."""

    def run(request: pytest.FixtureRequest, log: Path, db_path: Path, lake_dir: Path) -> Said:
        runner, where = CliRunner(), ["--db", str(db_path), "--lake", str(lake_dir)]
        assert runner.invoke(cli, ["ingest", str(log), *where]).exit_code == 0
        res = runner.invoke(cli, [*args, *where])
        assert res.exit_code == 0, res.output
        return res.stdout, res.stderr

    return run


@pytest.mark.parametrize("command", [
    pytest.param(_follow, id="ingest-follow"),
    pytest.param(_pull_logs, id="pull-logs"),
    pytest.param(_pull_ads, id="pull-ads"),
    pytest.param(_invoked("prune", "--older-than", "100y"), id="prune"),
    pytest.param(_invoked("forget", "7999", "--no-rewrite"), id="forget"),
])  # fmt: skip
def test_every_command_syncing_the_lake_warns_of_rows_left_out_on_stderr(
    command: Callable[[pytest.FixtureRequest, Path, Path, Path], Said],
    request: pytest.FixtureRequest, runner: CliRunner, tmp_path: Path, db_path: Path, execute,
) -> None:  # fmt: skip
    """The warning ended the lake line on stdout, which a summary kept (`… > summary.txt`)
    held where every other warning of theirs is on stderr."""
    log = _ingested_with_long_rows(runner, tmp_path, db_path, execute)
    lake_dir = tmp_path / "lake"
    out, err = command(request, log, db_path, lake_dir)
    _said_apart(out, err)
    assert (lake_dir / lake.MANIFEST).exists()


def test_a_page_id_too_long_is_each_kinds_problem_as_it_is_staged(tmp_path: Path) -> None:
    """The stage itself says so, for every kind of line (no pass over the stage after it): a
    messaging item, a standby one, a feed change, a send log and a click; an item's own
    problem is the one said."""
    long_id = "9" * 81
    comment = {
        "field": "feed",
        "value": {
            "item": "comment",
            "verb": "add",
            "comment_id": "c_1",
            "post_id": "p_1",
            "created_time": f.T0 // 1000,
        },
    }
    rows = [
        f.delivery(f.message(psid="7001", ts=f.T0, page_id=long_id), page_id=long_id),
        f.delivery(f.message(psid="7002", ts=f.T0, page_id=long_id), page_id=long_id,
                   container="standby"),
        {"object": "page", "entry": [{"id": long_id, "time": f.T0 // 1000,
                                      "changes": [comment]}]},
        {"object": "send_api", "page_id": long_id, "timestamp": f.T0,
         "request": {"recipient": {"comment_id": "c_1"}},
         "response": {"recipient_id": "7003", "message_id": "m_send_1"}},
        {"object": "refscope_click", "ts": f.T0, "ref": "flyer", "page": long_id},
        {"object": "refscope_click", "ts": "soon", "ref": "flyer", "page": long_id},
        f.delivery(f.message(psid="7004", ts=f.T0)),
    ]  # fmt: skip
    data = "".join(f.line(r) + "\n" for r in rows).encode()
    chunk = sources.Chunk(memoryview(data), 1, len(data), len(rows))
    table, _ = lines.lines_table([(1, chunk)])
    con = db.connect(tmp_path / "stage.duckdb")
    try:
        con.execute(webhook.MACROS)
        attribute.install_macros(con)
        with db.registered(con, "chunk", table):
            con.execute(stage.RARE_LINES)
            rare = con.execute(stage.RARE_FOUND).fetchone() or ()
            found = {m for m, hit in zip(stage.RARE_MARKERS, rare, strict=True) if hit}
            for keep_text in (True, False):
                con.execute(stage.stage_sql(found, keep_text))
                got = con.execute(
                    "SELECT line_no, kind, problem FROM rs_stage ORDER BY line_no"
                ).fetchall()
                too_long = "page id longer than 80 bytes"
                assert got == [(1, "message", too_long), (2, "message", too_long),
                               (3, "comment", too_long), (4, "private_reply", too_long),
                               (5, "click", too_long), (6, "click", "no valid timestamp"),
                               (7, "message", None)]  # fmt: skip
    finally:
        con.close()
