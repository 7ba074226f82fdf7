"""`refscope pull ads --db FILE`, FILE a DuckDB file that holds nothing (`duckdb.connect(path)
.close()`), in a process of its own against a fake Graph API on 127.0.0.1: a pull that fails or
is stopped before it stores leaves the file as it was, as it makes no missing one; a pull that
stores makes it a refscope database."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import duckdb
import pytest

from tests.ingest.cli_setup import _refused_in_process, _run_refscope, _signalled_at_call
from tests.ingest.graph_setup import ACCOUNT, TOKEN, FakeGraph, days

RANGE = ("--since", "2026-11-23", "--until", "2026-11-24")


def _empty(folder: Path) -> tuple[Path, bytes]:
    """A DuckDB file that holds nothing in folder, and its bytes."""
    path = folder / "refscope.duckdb"
    duckdb.connect(str(path)).close()
    return path, path.read_bytes()


def _args(graph: FakeGraph, path: Path, *more: str) -> tuple[str, ...]:
    return ("pull", "ads", "--account", ACCOUNT, "--base-url", graph.base, "--db", str(path),
            *more)  # fmt: skip


@pytest.mark.parametrize("since", [(), RANGE], ids=["default", "--since"])
def test_a_token_meta_refuses_leaves_an_empty_file_as_it_was(
    graph: FakeGraph, tmp_path: Path, since: tuple[str, ...]
) -> None:
    """refscope's schema was written into it before Meta was asked, and stayed: 21 tables."""
    path, before = _empty(tmp_path)
    error = _refused_in_process(*_args(graph, path, *since), cwd=tmp_path,
                                env={"REFSCOPE_META_TOKEN": "EAAB-revoked-token"})  # fmt: skip
    assert "Graph API error 190" in error, error
    assert graph.requests  # asked: only Meta can tell the token is refused
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["refscope.duckdb"]  # no .wal beside it


def test_a_pull_stopped_as_it_stores_leaves_an_empty_file_as_it_was(
    graph: FakeGraph, tmp_path: Path
) -> None:
    graph.rows = days(2)
    path, before = _empty(tmp_path)
    done = _signalled_at_call("ingest/insight_rows.py:store", signal.SIGINT,
                              *_args(graph, path, *RANGE), cwd=tmp_path,
                              env={"REFSCOPE_META_TOKEN": TOKEN})  # fmt: skip
    assert done.returncode == 130, done.stderr
    assert done.stderr.startswith("stopped: nothing was stored"), done.stderr
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["refscope.duckdb"]


def test_a_pull_that_stores_makes_an_empty_file_a_refscope_database(
    graph: FakeGraph, tmp_path: Path
) -> None:
    graph.rows = days(2)
    path, _ = _empty(tmp_path)
    done = _run_refscope(*_args(graph, path, *RANGE), cwd=tmp_path,
                         env={"REFSCOPE_META_TOKEN": TOKEN}, timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stderr
    with duckdb.connect(str(path), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM ad_insights").fetchone() == (4,)
