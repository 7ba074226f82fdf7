"""`refscope pull ads` stopped (Ctrl-C, SIGTERM) once its rows are committed, before the store
returns to the command, in a process of its own against a Graph API served on 127.0.0.1: it
says the rows are stored, as they are; and so does one whose --deadline passes there.

It said `stopped: nothing was stored (…); the next refscope pull ads asks again` (its
--deadline: `did not end within … nothing was stored`), the rows in the database all the
same."""

from __future__ import annotations

import datetime as dt
import signal
from pathlib import Path

import pytest

from tests.ingest.cli_setup import ENTRIES, _signalled_at_call
from tests.ingest.graph_setup import ACCOUNT, TODAY, TOKEN, FakeGraph, days
from tests.ingest.test_stop_after_the_work import SIGNALS, _count

STORED = "stopped: the pulled rows are stored"
LAKE_BEHIND = "; the lake is brought in line at the next run or pull given it"


def _pull_ads(graph: FakeGraph, lake: bool, *more: str) -> list[str]:
    graph.rows = days(2)
    since = str(TODAY - dt.timedelta(days=1))
    args = ["pull", "ads", "--account", ACCOUNT, "--base-url", graph.base, "--since", since,
            "--until", str(TODAY), "--db", "r.duckdb", *more]  # fmt: skip
    return args + (["--lake", "lake"] if lake else [])


@SIGNALS
@pytest.mark.parametrize("lake", [False, True], ids=["no-lake", "lake"])
def test_pull_ads_stopped_as_its_store_returns_says_the_rows_are_stored(
    graph: FakeGraph, tmp_path: Path, lake: bool, sig: int, code: int
) -> None:
    done = _signalled_at_call("ingest/remote.py:_store_ads:return", sig, *_pull_ads(graph, lake),
                              cwd=tmp_path, env={"REFSCOPE_META_TOKEN": TOKEN},
                              entry=ENTRIES["refscope"])  # fmt: skip
    assert "Traceback" not in done.stderr and "Aborted" not in done.stdout + done.stderr
    assert (done.returncode, done.stderr) == (code, STORED + (LAKE_BEHIND if lake else "") + "\n")
    assert _count(tmp_path / "r.duckdb", "ad_insights") == 4
    assert not (tmp_path / "lake").exists()  # not brought in line: the next run or pull does


@pytest.mark.parametrize("lake", [False, True], ids=["no-lake", "lake"])
def test_pull_ads_whose_deadline_passes_as_its_store_returns_says_the_rows_are_stored(
    graph: FakeGraph, tmp_path: Path, lake: bool
) -> None:
    """SIGALRM is the --deadline's timer (cli_deadline.Timer), sent at that point."""
    args = _pull_ads(graph, lake, "--deadline", "10m")
    done = _signalled_at_call("ingest/remote.py:_store_ads:return", signal.SIGALRM, *args,
                              cwd=tmp_path, env={"REFSCOPE_META_TOKEN": TOKEN},
                              entry=ENTRIES["refscope"])  # fmt: skip
    assert "Traceback" not in done.stderr
    assert (done.returncode, done.stderr) == (
        1, "Error: pull ads reached its --deadline (10 min) as its rows were stored: they are "
        f"stored{LAKE_BEHIND if lake else ''}\n"
    )  # fmt: skip
    assert _count(tmp_path / "r.duckdb", "ad_insights") == 4
