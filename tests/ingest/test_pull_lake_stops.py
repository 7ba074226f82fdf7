"""`pull logs` and `pull ads` given `--lake`, stopped (Ctrl-C, SIGTERM) while they bring the lake
in line or once they have: one line saying what they left, exit 130 or 143, as `ingest --lake`
stopped in its sync says `stopped: the ingest is committed; …` (test_ingest_lake_stops.py).

The lake was brought in line after the command's stop handler was taken down (`pull ads`, and
`pull logs` with nothing new), and the summary printed after it with no line to end on: a stop
there fell back to Python's default, click's "Aborted!" with exit 1 (Ctrl-C) or an end without a
word (SIGTERM). Run from the real entry point (`refscope`), the signal sent as the named function
is first called."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler
from pathlib import Path

import pytest

from ingest.cli_stop import LAKE_BEHIND
from ingest.lake import is_stale
from tests.ingest.cli_setup import ENTRIES, _log, _run_refscope, _signalled_at_call
from tests.ingest.graph_setup import ACCOUNT, TODAY, TOKEN, FakeGraph, days
from tests.ingest.lake_setup import counts_by_channel_arrow
from tests.ingest.test_stop_after_the_work import SIGNALS, _count
from tests.local_http import served


def _stopped(tmp_path: Path, at: str, sig: int, *args: str) -> tuple[int, str]:
    """refscope's exit code and stderr, sent sig at `at`; no traceback nor "Aborted!"."""
    done = _signalled_at_call(at, sig, *args, cwd=tmp_path, env={"REFSCOPE_META_TOKEN": TOKEN},
                              entry=ENTRIES["refscope"])  # fmt: skip
    assert "Traceback" not in done.stderr and "Aborted" not in done.stdout + done.stderr
    return done.returncode, done.stderr


@pytest.fixture
def log_url(tmp_path: Path) -> Iterator[str]:
    """A two-delivery log served over HTTP on 127.0.0.1."""
    _log(tmp_path / "served", "log.ndjson")
    handler = functools.partial(SimpleHTTPRequestHandler, directory=str(tmp_path / "served"))
    with served(handler) as base:
        yield f"{base}/log.ndjson"


@SIGNALS
def test_pull_logs_with_nothing_new_stopped_bringing_a_stale_lake_in_line(
    tmp_path: Path, log_url: str, sig: int, code: int
) -> None:
    pull = ["pull", "logs", log_url, "--db", "r.duckdb", "--lake", "lake"]
    assert _run_refscope(*pull, cwd=tmp_path).returncode == 0
    saved = _run_refscope("pages", "set", "123", "--name", "A", "--db", "r.duckdb", cwd=tmp_path)
    assert saved.returncode == 0, saved.stderr  # the lake is behind the database now
    assert _stopped(tmp_path, "ingest/lake.py:sync", sig, *pull) == (
        code, "stopped: the pull is committed" + LAKE_BEHIND + "\n"
    )  # fmt: skip
    again = _run_refscope(*pull, cwd=tmp_path)  # the stale lake is brought in line then
    assert again.returncode == 0 and "lake: " in again.stdout, again.stdout + again.stderr


@SIGNALS
# As the sync starts, and once its partitions are written, before the small tables and manifest.
@pytest.mark.parametrize("at", ["ingest/lake.py:sync", "ingest/lake.py:_as_written"],
                         ids=["as-it-starts", "part-way"])  # fmt: skip
def test_pull_logs_stopped_bringing_the_lake_in_line_says_the_pull_is_committed_the_lake_behind(
    tmp_path: Path, log_url: str, at: str, sig: int, code: int
) -> None:
    """Its run committed, the lake's sync cut short: the lake is behind, not what was committed
    alone (it said ``what was committed stays; the next `refscope pull logs` … goes on``); the
    next pull, nothing new at the URL, brings the lake in line, and ingests nothing again."""
    pull = ["pull", "logs", log_url, "--db", "r.duckdb", "--lake", "lake"]
    assert _stopped(tmp_path, at, sig, *pull) == (
        code, "stopped: the pull is committed" + LAKE_BEHIND + "\n"
    )  # fmt: skip
    assert _count(tmp_path / "r.duckdb", "events") == 2
    assert is_stale(tmp_path / "lake", tmp_path / "r.duckdb")
    again = _run_refscope(*pull, cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert again.stdout.startswith("lake: 3 partitions written") and "nothing new" in again.stdout
    assert not is_stale(tmp_path / "lake", tmp_path / "r.duckdb")
    assert counts_by_channel_arrow(tmp_path / "lake") == {"m_me_link": 1, "organic": 1}
    assert _count(tmp_path / "r.duckdb", "ingest_runs") == 1


@SIGNALS
@pytest.mark.parametrize(("lake", "said"), [([], ""), (["--lake", "lake"], LAKE_BEHIND)],
                         ids=["no-lake", "lake"])  # fmt: skip
def test_pull_logs_stopped_once_its_run_is_committed_says_the_pull_is_committed(
    tmp_path: Path, log_url: str, lake: list[str], said: str, sig: int, code: int
) -> None:
    """Stopped as the committed run is written into the database file, before any sync: the
    run is committed whole, none left open for the next pull to go on with; the lake, given
    one, not brought in line yet."""
    done = _stopped(tmp_path, "ingest/db.py:checkpoint", sig, "pull", "logs", log_url,
                    "--db", "r.duckdb", *lake)  # fmt: skip
    assert done == (code, "stopped: the pull is committed" + said + "\n")
    assert _count(tmp_path / "r.duckdb", "events") == 2
    assert _count(tmp_path / "r.duckdb", "ingest_runs WHERE finished_at IS NOT NULL") == 1
    if lake:
        assert is_stale(tmp_path / "lake", tmp_path / "r.duckdb")


@SIGNALS
def test_pull_logs_with_lake_stopped_as_it_prints_its_summary_says_it_is_committed(
    tmp_path: Path, log_url: str, sig: int, code: int
) -> None:
    done = _stopped(tmp_path, "ingest/summary.py:print_summary", sig, "pull", "logs", log_url,
                    "--db", "r.duckdb", "--lake", "lake")  # fmt: skip
    assert done == (code, "stopped: the pull is committed\n")
    assert _count(tmp_path / "r.duckdb", "events") == 2


def _pull_ads(graph: FakeGraph) -> list[str]:
    graph.rows = days(2)
    since = str(TODAY - dt.timedelta(days=1))
    return ["pull", "ads", "--account", ACCOUNT, "--base-url", graph.base, "--since", since,
            "--until", str(TODAY), "--db", "r.duckdb", "--lake", "lake"]  # fmt: skip


@SIGNALS
@pytest.mark.parametrize(
    ("at", "said"),
    [
        ("ingest/lake.py:sync", "stopped: the pulled rows are stored; the lake is brought in "
         "line at the next run or pull given it"),
        ("ingest/summary.py:print_lake", "stopped: the pulled rows are stored"),
    ],
    ids=["syncing", "synced"],
)  # fmt: skip
def test_pull_ads_with_lake_stopped_in_or_after_its_sync_says_the_rows_are_stored(
    graph: FakeGraph, tmp_path: Path, at: str, said: str, sig: int, code: int
) -> None:
    done = _stopped(tmp_path, at, sig, *_pull_ads(graph))
    assert done == (code, said + "\n")
    assert _count(tmp_path / "r.duckdb", "ad_insights") == 4
