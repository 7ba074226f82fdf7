"""`refscope pull ads` against a fake Graph API on 127.0.0.1: paging, throttling and retries.
Revisions: test_graph_revisions.py; refusals, errors and the token: test_graph_errors.py."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from ingest.cli import cli
from ingest.graph import GraphError
from tests.ingest.graph_setup import ACCOUNT, TODAY, TOKEN, FakeGraph, days, pull


def test_pages_are_followed_until_next_is_absent(
    graph: FakeGraph, db_path: Path, query: Any
) -> None:
    graph.rows = days(5)
    res = pull(graph, db_path, since=TODAY - dt.timedelta(days=4))
    assert res.rows == 10 and res.pages == 4  # 3 + 3 + 3 + 1
    rows = query.dicts("SELECT * FROM ad_insights ORDER BY date, ad_id")
    assert len(rows) == 10
    assert rows[0]["spend"] == 10.5 and rows[0]["impressions"] == 1000
    assert rows[0]["conversations_started"] == 3
    assert rows[0]["date"] == TODAY - dt.timedelta(days=4)
    assert json.loads(rows[0]["actions"])[1] == {"action_type": "link_click", "value": "40"}
    first = graph.requests[0]
    assert first["level"] == ["ad"] and first["time_increment"] == ["1"]
    assert "spend" in first["fields"][0] and "cost_per_action_type" in first["fields"][0]


def test_a_day_and_ad_served_on_two_pages_is_one_row_told_and_stored(
    graph: FakeGraph,
    db_path: Path,
    runner: CliRunner,
    monkeypatch: pytest.MonkeyPatch,
    query: Any,
) -> None:
    """Pages shift while Meta revises: a day and ad met again on a later page is stored once,
    as last seen, and counted once in what the pull says."""
    graph.rows = days(2)
    graph.rows.append(dict(graph.rows[0], spend="11.00"))  # page 2 repeats page 1's first row
    monkeypatch.setenv("REFSCOPE_META_TOKEN", TOKEN)
    since = str(TODAY - dt.timedelta(days=1))
    out = runner.invoke(cli, ["pull", "ads", "--account", ACCOUNT, "--since", since,
                              "--until", str(TODAY), "--base-url", graph.base,
                              "--db", str(db_path)])  # fmt: skip
    assert out.exit_code == 0, out.output
    assert query.scalar("SELECT count(*) FROM ad_insights") == 4
    assert query.scalar("SELECT sum(spend) FROM ad_insights") == 11.0 + 10.5 + 11.5 + 11.5
    assert "4 insight rows (2 result pages" in out.output, out.output


def test_paging_in_a_circle_stops_with_a_clear_error(graph: FakeGraph, db_path: Path) -> None:
    graph.rows, graph.circular = days(5), True
    with pytest.raises(GraphError, match="leads back to a page already read"):
        pull(graph, db_path, since=TODAY - dt.timedelta(days=4))
    assert len(graph.requests) == 2


@pytest.mark.parametrize("code", [4, 17, 32, 613, *range(80000, 80015)])
def test_throttling_waits_as_the_headers_say(graph: FakeGraph, db_path: Path, code: int) -> None:
    graph.rows = days(3)
    usage = {"type": "ads_insights", "call_count": 100, "estimated_time_to_regain_access": 2}
    graph.faults = {2: (400, code, usage)}
    res = pull(graph, db_path, since=TODAY - dt.timedelta(days=2))
    assert res.rows == 6
    assert graph.violations == []
    assert res.waited_seconds == 120  # once: the usage header says the same as the error


def test_each_wait_is_told_why_and_for_how_long(graph: FakeGraph, db_path: Path) -> None:
    graph.rows = days(2)  # two pages
    usage = {"type": "ads_insights", "call_count": 100, "estimated_time_to_regain_access": 2}
    graph.faults = {1: (400, 80000, usage)}
    told: list[str] = []
    res = pull(graph, db_path, since=TODAY - dt.timedelta(days=1), on_wait=told.append)
    assert res.rows == 4
    assert len(told) == 1, told
    assert told[0].startswith("throttled (code 80000") and told[0].endswith(
        "retrying in 120 s (attempt 2 of 8)"), told  # fmt: skip


def test_a_cron_log_shows_the_retries_of_a_pull(
    graph: FakeGraph, db_path: Path, runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Not a terminal: each wait is a line on stderr (a pull retrying for minutes said nothing)."""
    graph.rows = days(1)
    graph.faults = {1: (500, 2, None)}  # transient: retried after 2 s
    monkeypatch.setenv("REFSCOPE_META_TOKEN", TOKEN)
    args = ["pull", "ads", "--account", ACCOUNT, "--base-url", graph.base,
            "--since", str(TODAY), "--until", str(TODAY), "--db", str(db_path)]  # fmt: skip
    res = runner.invoke(cli, args)
    assert res.exit_code == 0, res.output
    (line,) = res.stderr.splitlines()
    assert line.startswith("pull ads: HTTP 500, error 2") and line.endswith(
        "retrying in 2 s (attempt 2 of 8)"), line  # fmt: skip
    assert TOKEN not in res.stderr


def test_high_usage_slows_down_before_the_next_page_only(graph: FakeGraph, db_path: Path) -> None:
    graph.rows = days(2)  # 4 rows: two pages
    graph.usage_pct = 95
    res = pull(graph, db_path, since=TODAY - dt.timedelta(days=1))
    assert (res.rows, res.pages) == (4, 2)
    assert res.waited_seconds == 60  # before the second page, not after the last


@pytest.mark.parametrize(("usage_pct", "waited"), [(89, 0), (90, 60)])
def test_usage_of_90_percent_or_more_slows_down(
    graph: FakeGraph, db_path: Path, usage_pct: int, waited: int
) -> None:
    """The boundary: a usage header at exactly 90% pauses before the next page, 89% does not."""
    graph.rows = days(2)  # 4 rows: two pages
    graph.usage_pct = usage_pct
    res = pull(graph, db_path, since=TODAY - dt.timedelta(days=1))
    assert (res.rows, res.pages) == (4, 2)
    assert res.waited_seconds == waited


def test_an_answer_that_is_not_json_is_asked_again(graph: FakeGraph, db_path: Path) -> None:
    graph.rows = days(1)
    graph.faults = {1: (200, None, None)}
    res = pull(graph, db_path, since=TODAY)
    assert res.rows == 2 and len(graph.requests) == 2


def test_throttle_without_header_waits_a_default(graph: FakeGraph, db_path: Path) -> None:
    graph.rows = days(1)
    graph.faults = {1: (400, 80000, None)}
    res = pull(graph, db_path, since=TODAY)
    assert res.rows == 2 and res.waited_seconds == 60 and len(graph.requests) == 2


def test_throttle_with_a_zero_wait_in_its_header_waits_the_default(
    graph: FakeGraph, db_path: Path
) -> None:
    """ "Regain access in 0 minutes" while throttled is no time to wait: asking again at once
    would spend the attempts in a burst."""
    graph.rows = days(1)
    usage = {"type": "ads_insights", "call_count": 100, "estimated_time_to_regain_access": 0}
    graph.faults = {1: (400, 80000, usage)}
    res = pull(graph, db_path, since=TODAY)
    assert res.rows == 2 and res.waited_seconds == 60


def test_transient_failures_are_retried(graph: FakeGraph, db_path: Path) -> None:
    graph.rows = days(2)
    graph.faults = {1: (500, 2, None), 2: (503, 1, None)}
    assert pull(graph, db_path, since=TODAY - dt.timedelta(days=1)).rows == 4


def test_a_plain_http_500_is_retried(graph: FakeGraph, db_path: Path) -> None:
    """A proxy's bare 500 page (no Graph error code) is a server failure like a 503."""
    graph.rows = days(1)
    graph.faults = {1: (500, None, None)}
    res = pull(graph, db_path, since=TODAY)
    assert res.rows == 2 and len(graph.requests) == 2


def test_only_rate_limits_count_as_waited_for_rate_limits(graph: FakeGraph, db_path: Path) -> None:
    """The summary says "waited N s for rate limits": the backoff after a server failure or a
    cut answer (2 s, 4 s...) was counted in it too (a pull that met one 60 s throttle and three
    failures said 74 s)."""
    graph.rows = days(1)
    graph.faults = {1: (502, None, None), 2: (200, None, None), 3: (400, 17, None)}
    res = pull(graph, db_path, since=TODAY)
    assert res.rows == 2 and len(graph.requests) == 4
    assert res.waited_seconds == 60 and graph.now == 66  # 2 s and 4 s of backoff besides


def test_progress_counts_the_rows_of_each_page_as_it_comes(
    graph: FakeGraph, db_path: Path, query: Any
) -> None:
    """Issue 6: "show progress". The spinner is told the rows read so far after every page,
    before anything is stored (the rows are stored at once, when every page has come)."""
    graph.rows = days(5)  # 10 rows, pages of 3
    told: list[tuple[int, int]] = []

    def on_page(rows: int) -> None:
        told.append((rows, query.scalar("SELECT count(*) FROM ad_insights")))

    res = pull(graph, db_path, since=TODAY - dt.timedelta(days=4), on_page=on_page)
    assert res.rows == 10
    assert told == [(3, 0), (6, 0), (9, 0), (10, 0)]
