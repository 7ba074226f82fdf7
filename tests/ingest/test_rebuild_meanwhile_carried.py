"""`refscope rebuild` while other commands write the old database, past forget and prune: what
the rebuild carries over from it (tracked links, page names, pulled ad insights, the id a Parquet
lake names) that changed after the carry read it was missing from the new file. A link
registered, a page named or a pull then fails the rebuild whole; an ingest (`--follow` runs all
the time), of logs, of an insights export or with `--lake`, does not: the lake's id is carried."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import tests.factories as f
from ingest import pipeline
from tests.conftest import Query
from tests.factories import DAY, PAGE_ID, T0
from tests.ingest import graph_setup as gs
from tests.ingest import insight_setup as ins
from tests.ingest.cli_setup import _run_refscope
from tests.ingest.rebuild_setup import failed_then_carried, run_rebuild


def _meanwhile(monkeypatch: pytest.MonkeyPatch, write: Any) -> None:
    """write() run while the rebuild reads the logs: after its carry, the old file unlocked."""
    real = pipeline.run

    def run(*args: Any, **kw: Any) -> pipeline.IngestResult:
        write()
        return real(*args, **kw)

    monkeypatch.setattr(pipeline, "run", run)


@pytest.mark.parametrize(
    ("command", "said"),
    [
        (["links", "create", "--page", PAGE_ID, "--ref", "door_sign", "--channel", "link"],
         "tracked links were registered"),
        (["pages", "set", PAGE_ID, "--name", "Acme Bakery & Cafe"], "pages were named or renamed"),
    ],
)  # fmt: skip
def test_a_link_registered_or_a_page_named_meanwhile_fails_the_rebuild(
    old: Path, monkeypatch: pytest.MonkeyPatch, command: list[str], said: str
) -> None:
    def registered() -> None:  # a process of its own, as the dashboard's Create links page is
        res = _run_refscope(*command, "--db", str(old), cwd=old.parent)
        assert res.returncode == 0, res.stdout + res.stderr

    _meanwhile(monkeypatch, registered)
    failed_then_carried(old, monkeypatch, said)


def test_ad_insights_pulled_meanwhile_fail_the_rebuild(
    old: Path, monkeypatch: pytest.MonkeyPatch, graph: gs.FakeGraph
) -> None:
    graph.rows = gs.days(2)
    _meanwhile(monkeypatch, lambda: gs.pull(graph, old))  # another connection to the old file
    new = failed_then_carried(old, monkeypatch, "ad insights were pulled")
    assert Query(new).scalar("SELECT count(*) FROM ad_insights") == 4


def test_an_ingest_of_insights_with_a_first_lake_meanwhile_is_carried_not_refused(
    old: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An ingest writes ad insights from an export it reads, and the first `ingest --lake` gives
    the database the id the lake's manifest names: the rebuild is written, with that id (else
    the next `ingest --lake` on the new file was refused as another database's)."""
    logs = tmp_path / "later"
    export = f.write_ndjson(logs / "insights.ndjson", [ins.page(ins.row("2026-11-02"))])
    line = f.delivery(f.message("new here", psid="u9", ts=T0 + 3 * DAY))
    log = f.write_ndjson(logs / "c.ndjson", [line])
    lake = tmp_path / "lake"

    def ingested() -> None:
        res = _run_refscope("ingest", str(export), str(log), "--db", str(old), "--lake",
                            str(lake), cwd=tmp_path)  # fmt: skip
        assert res.returncode == 0, res.stdout + res.stderr

    _meanwhile(monkeypatch, ingested)
    new = old.with_name("new.duckdb")
    res = run_rebuild("--db", str(old), "--out", str(new))
    assert res.exit_code == 0, res.output
    assert Query(old).scalar("SELECT count(*) FROM ad_insights") == 1
    owner = "SELECT any_value(id) FROM database_id"
    assert Query(old).scalar(owner) is not None
    assert Query(new).scalar(owner) == Query(old).scalar(owner)
    res = _run_refscope("ingest", str(log), "--db", str(new), "--lake", str(lake), cwd=tmp_path)
    assert res.returncode == 0, res.stdout + res.stderr
