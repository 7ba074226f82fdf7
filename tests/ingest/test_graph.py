"""`refscope pull ads` against a fake Graph API on 127.0.0.1: paging, throttling, revisions."""

from __future__ import annotations

import datetime as dt
import json
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, urlencode, urlsplit

import duckdb
import pytest
from click.testing import CliRunner

from ingest import remote
from ingest.cli import cli
from ingest.errors import ValidationError
from ingest.graph import GraphError

TOKEN = "EAAB-fake-graph-token-123"
ACCOUNT = "act_1234567890"
TODAY = dt.date(2026, 11, 24)


@dataclass
class FakeGraph:
    """A fake insights endpoint with a fake clock that the client's sleep advances."""

    rows: list[dict[str, Any]] = field(default_factory=list)
    page_size: int = 3
    # request number (1-based) → (HTTP status, error code, usage header); code None: a body
    # that is not JSON
    faults: dict[int, tuple[int, int | None, dict[str, Any] | None]] = field(default_factory=dict)
    usage_pct: int = 10  # call_count in X-App-Usage of the pages answered
    now: float = 0.0
    blocked_until: float = 0.0
    requests: list[dict[str, list[str]]] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)
    base: str = ""
    auth: str = ""  # the Authorization header of the request being answered
    circular: bool = False  # every next link leads to the second page, itself included
    echo: str = ""  # a text body answered with HTTP 400 ({token}: the token it was sent)

    def sleep(self, seconds: float) -> None:
        self.now += seconds

    def answer(self, path: str, query: dict[str, list[str]]) -> tuple[int, Any, dict]:
        self.requests.append(query)
        n = len(self.requests)
        if self.echo:
            return 400, self.echo.format(token=self.auth.removeprefix("Bearer ")), {}
        if self.auth != f"Bearer {TOKEN}" or "access_token" in query:
            return 400, {"error": {"code": 190, "message": "Invalid OAuth access token"}}, {}
        if self.now < self.blocked_until:
            self.violations.append(f"request {n} at {self.now} before {self.blocked_until}")
        if n in self.faults:
            status, code, usage = self.faults[n]
            headers = {}
            if usage is not None:
                headers["X-Business-Use-Case-Usage"] = json.dumps({"1234567890": [usage]})
                wait = usage.get("estimated_time_to_regain_access", 0) * 60
                self.blocked_until = self.now + wait
            if code is None:
                return status, "<html>upstream cut</html>", headers
            return status, {"error": {"code": code, "message": "slow down"}}, headers
        after = int(query.get("after", ["0"])[0])
        window = json.loads(query["time_range"][0]) if "time_range" in query else None
        # A row whose date_start is missing or no date is served whatever the window.
        rows = [r for r in self.rows if not window or not str(r.get("date_start", "-"))[:1]
                .isdigit() or window["since"] <= r["date_start"] <= window["until"]]  # fmt: skip
        page = rows[after : after + self.page_size]
        body: dict[str, Any] = {"data": page, "paging": {"cursors": {"after": str(after)}}}
        if after + self.page_size < len(rows):
            # Meta's next links carry the token; the client must not send it back in the URL.
            q = {k: v[0] for k, v in query.items()} | {
                "after": str(self.page_size if self.circular else after + self.page_size),
                "access_token": TOKEN,
            }
            body["paging"]["next"] = f"{self.base}{path}?{urlencode(q)}"
        return 200, body, {"X-App-Usage": json.dumps({"call_count": self.usage_pct,
                                                      "total_time": 5})}  # fmt: skip


STARTED = "onsite_conversion.messaging_conversation_started_7d"


def insight(day: str, ad: str, spend: str, started: str = "3") -> dict[str, Any]:
    return {
        "date_start": day, "date_stop": day, "account_id": "1234567890",
        "campaign_id": "c1", "campaign_name": "Spring", "adset_id": "s1", "adset_name": "All",
        "ad_id": ad, "ad_name": f"Ad {ad}", "spend": spend, "impressions": "1000",
        "clicks": "40",
        "actions": [
            {"action_type": STARTED, "value": started},
            {"action_type": "link_click", "value": "40"},
        ],
        "cost_per_action_type": [
            {"action_type": STARTED, "value": "1.5"}
        ],
    }  # fmt: skip


@pytest.fixture
def graph() -> Iterator[FakeGraph]:
    fake = FakeGraph()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def do_GET(self) -> None:  # noqa: N802 (the stdlib's name)
            parts = urlsplit(self.path)
            fake.auth = self.headers.get("Authorization", "")
            status, body, headers = fake.answer(parts.path, parse_qs(parts.query))
            data = (body if isinstance(body, str) else json.dumps(body)).encode()
            self.send_response(status)
            for k, v in headers.items():
                self.send_header(k, v)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    fake.base = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()


def pull(graph: FakeGraph, db_path: Path, **kw: Any) -> Any:
    return remote.pull_ads(
        ACCOUNT, TOKEN, db_path, base_url=graph.base, sleep=graph.sleep, today=TODAY, **kw
    )


def days(n: int, ads: tuple[str, ...] = ("601", "602")) -> list[dict[str, Any]]:
    start = TODAY - dt.timedelta(days=n - 1)
    return [
        insight(str(start + dt.timedelta(days=i)), ad, f"{10 + i}.50")
        for i in range(n) for ad in ads
    ]  # fmt: skip


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
    assert res.rows == 2 and res.waited_seconds >= 60


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


def test_a_pull_removes_nothing_of_another_accounts_same_days(
    graph: FakeGraph, db_path: Path, query: Any
) -> None:
    """Rows a pull's answer does not hold go only for the account pulled: another account's
    ads are not in its answer."""
    con = duckdb.connect(str(db_path))
    try:
        other = "INSERT INTO ad_insights (date, ad_id, account_id, spend) VALUES (?, '9', '555', 1)"
        con.executemany(other, [[TODAY - dt.timedelta(days=d)] for d in range(5)])
    finally:
        con.close()
    graph.rows = days(5)
    pull(graph, db_path, since=TODAY - dt.timedelta(days=4))
    assert query.scalar("SELECT count(*) FROM ad_insights WHERE account_id = '555'") == 5
    assert query.scalar("SELECT count(*) FROM ad_insights WHERE account_id = '1234567890'") == 10


def test_a_repull_replaces_revised_numbers(graph: FakeGraph, db_path: Path, query: Any) -> None:
    graph.rows = days(30)
    pull(graph, db_path, since=TODAY - dt.timedelta(days=29))
    for r in graph.rows:
        r["spend"] = "99.00"
    res = pull(graph, db_path)  # default: the last 28 days again
    assert res.since == TODAY - dt.timedelta(days=28)
    assert query.scalar("SELECT count(*) FROM ad_insights") == 60
    assert query.scalar("SELECT count(*) FROM ad_insights WHERE spend = 99") == 2 * 29
    assert query.scalar("SELECT min(date) FROM ad_insights WHERE spend = 99") == res.since


def test_a_first_pull_of_an_account_goes_90_days_back_whatever_others_pulled(
    graph: FakeGraph, db_path: Path, query: Any
) -> None:
    """Another account's days say nothing of this one's: started from them, its first pull
    would leave out the 60 days before them for good."""
    con = duckdb.connect(str(db_path))
    try:
        other = "INSERT INTO ad_insights (date, ad_id, account_id, spend) VALUES (?, '9', '555', 1)"
        con.execute(other, [TODAY - dt.timedelta(days=2)])
    finally:
        con.close()
    graph.rows = days(100)
    res = pull(graph, db_path)
    assert res.since == TODAY - dt.timedelta(days=90)
    assert query.scalar("SELECT count(*) FROM ad_insights WHERE account_id = '1234567890'") == 182


def test_a_day_and_ad_meta_no_longer_returns_is_removed_on_repull(
    graph: FakeGraph, db_path: Path, query: Any
) -> None:
    """Meta leaves out a day and ad with no delivery: one revised to nothing stops coming."""
    graph.rows = days(5)
    since = TODAY - dt.timedelta(days=4)
    pull(graph, db_path, since=since)
    con = duckdb.connect(str(db_path))
    try:  # another account's row on the same days stays
        con.execute("""INSERT INTO ad_insights (date, ad_id, account_id, spend)
                       VALUES (?, '999', '555', 1.0)""", [since])  # fmt: skip
    finally:
        con.close()
    gone = (str(since + dt.timedelta(days=2)), "602")
    graph.rows = [r for r in graph.rows if (r["date_start"], r["ad_id"]) != gone]
    pull(graph, db_path, since=since + dt.timedelta(days=1))
    assert query.scalar("SELECT count(*) FROM ad_insights WHERE account_id = '1234567890'") == 9
    assert (
        query.scalar(
            "SELECT count(*) FROM ad_insights WHERE CAST(date AS VARCHAR) = ? AND ad_id = ?", *gone
        )
        == 0
    )
    assert query.scalar("SELECT count(*) FROM ad_insights WHERE account_id = '555'") == 1
    graph.rows = []  # a failed pull removes nothing
    graph.faults = {len(graph.requests) + 1: (400, 100, None)}
    with pytest.raises(GraphError):
        pull(graph, db_path, since=since)
    assert query.scalar("SELECT count(*) FROM ad_insights") == 10


def test_a_day_and_ad_gone_on_the_first_or_last_pulled_day_is_removed(
    graph: FakeGraph, db_path: Path, query: Any
) -> None:
    """The days of a re-pull count from --since to --until, both included."""
    graph.rows = days(5)
    since = TODAY - dt.timedelta(days=4)
    pull(graph, db_path, since=since)
    edges = {(str(since), "602"), (str(TODAY), "601")}
    graph.rows = [r for r in graph.rows if (r["date_start"], r["ad_id"]) not in edges]
    pull(graph, db_path, since=since, until=TODAY)
    left = query("SELECT CAST(date AS VARCHAR), ad_id FROM ad_insights")
    assert len(left) == 8 and not edges & set(left)


def test_ranges_older_than_37_months_are_refused(graph: FakeGraph, db_path: Path) -> None:
    with pytest.raises(ValidationError, match="37 months"):
        pull(graph, db_path, since=dt.date(2023, 1, 1))
    assert graph.requests == []


def test_the_token_never_appears_in_output(
    graph: FakeGraph, db_path: Path, runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    graph.rows = days(2)
    monkeypatch.setenv("REFSCOPE_META_TOKEN", "EAAB-wrong-token-456")
    args = ["pull", "ads", "--account", ACCOUNT, "--base-url", graph.base,
            "--since", str(TODAY), "--db", str(db_path)]  # fmt: skip
    res = runner.invoke(cli, args)
    assert res.exit_code != 0 and "Invalid OAuth access token" in res.output
    assert "EAAB-wrong" not in res.output
    monkeypatch.setenv("REFSCOPE_META_TOKEN", TOKEN)
    res = runner.invoke(cli, args)
    assert res.exit_code == 0, res.output
    assert TOKEN not in res.output and "2 insight rows" in res.output


def test_the_pull_summary_is_one_line_in_a_log(
    graph: FakeGraph, db_path: Path, runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A cron job's log (stdout not a terminal, 80 columns) keeps the summary on one line."""
    graph.rows = days(40)
    monkeypatch.setenv("REFSCOPE_META_TOKEN", TOKEN)
    since = TODAY - dt.timedelta(days=39)
    args = ["pull", "ads", "--account", ACCOUNT, "--base-url", graph.base,
            "--since", str(since), "--until", str(TODAY), "--db", str(db_path)]  # fmt: skip
    res = runner.invoke(cli, args)
    assert res.exit_code == 0, res.output
    assert len(res.output.strip().splitlines()) == 1, res.output
    assert re.fullmatch(rf"80 insight rows \(\d+ result pages? of the Graph API\) for {since} – "
                        rf"{TODAY}; waited 0 s "
                        "for rate limits", res.output.strip()), res.output  # fmt: skip


def test_bad_account_and_missing_token_are_refused(graph: FakeGraph, db_path: Path) -> None:
    # Digits are 0-9: Arabic-Indic or superscript digits are no ad account, and are not sent.
    for account in ("1234", "act_١٢٣", "act_²", "act_", "act_12a"):
        with pytest.raises(ValidationError, match="act_<digits>"):
            remote.pull_ads(account, TOKEN, db_path, base_url=graph.base)
    for version in ("23", "v23", "23.0", "v23.0/..", "latest"):
        with pytest.raises(ValidationError, match=r"a Graph API version is v<major>\.<minor>"):
            remote.pull_ads(ACCOUNT, TOKEN, db_path, base_url=graph.base, api_version=version)
    assert graph.requests == []
    with pytest.raises(ValidationError, match="REFSCOPE_META_TOKEN"):
        remote.pull_ads(ACCOUNT, "", db_path, base_url=graph.base)


def test_graph_errors_are_clear(graph: FakeGraph, db_path: Path) -> None:
    graph.faults = {1: (400, 100, None)}
    with pytest.raises(GraphError, match="Graph API error 100"):
        pull(graph, db_path, since=TODAY)


def test_giving_up_on_throttling_says_metas_message(graph: FakeGraph, db_path: Path) -> None:
    graph.rows = days(1)
    graph.faults = {n: (400, 17, None) for n in range(1, 20)}
    with pytest.raises(GraphError) as err:
        pull(graph, db_path, since=TODAY)
    assert "throttled (code 17: slow down); giving up after" in str(err.value)


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("date_start", None, "an insights row without date_start (it has "),
        ("ad_id", None, "an insights row without ad_id (it has "),
        ("date_start", "yesterday", "an insights row with date_start 'yesterday', not a date"),
    ],
)
def test_an_insights_row_missing_its_day_or_ad_is_a_clear_error(
    graph: FakeGraph, db_path: Path, query: Any, field: str, value: Any, message: str
) -> None:
    graph.rows = days(2)
    bad = graph.rows[3]
    if value is None:
        del bad[field]
    else:
        bad[field] = value
    with pytest.raises(GraphError, match=re.escape(message)):
        pull(graph, db_path, since=TODAY - dt.timedelta(days=1))
    assert query("SELECT count(*) FROM ad_insights") == [(0,)]  # nothing half-stored


@pytest.mark.parametrize(
    "echo",
    ["x" * 170 + " token={token} rejected", "bad token {quoted}", "<p>{token}</p>"],
    ids=["cut-after-170", "url-encoded", "html"],
)
def test_an_error_body_echoing_the_token_never_shows_it(
    graph: FakeGraph, db_path: Path, echo: str
) -> None:
    token = "EAAGzSECRETtok3n/ZZqq+9/abcdefXYZ"
    graph.echo = echo.replace("{quoted}", quote(token, safe=""))
    with pytest.raises(GraphError) as err:
        remote.pull_ads(ACCOUNT, token, db_path, base_url=graph.base, sleep=graph.sleep,
                        today=TODAY, since=TODAY)  # fmt: skip
    text = str(err.value)
    assert "Graph API error 400" in text
    assert "SECRET" not in text and "EAAG" not in text


def test_an_error_with_an_empty_answer_says_so(graph: FakeGraph, db_path: Path) -> None:
    """The message ended at "Graph API error 400:", with nothing after it."""
    graph.echo = " "
    with pytest.raises(GraphError) as err:
        remote.pull_ads(ACCOUNT, TOKEN, db_path, base_url=graph.base, sleep=graph.sleep,
                        today=TODAY, since=TODAY)  # fmt: skip
    assert str(err.value) == "Graph API error 400: HTTP 400 with an empty answer"


@pytest.mark.parametrize("token", ["SECRETtøk", "SECRET\r", " ", "SEC RET"])
def test_a_token_no_header_can_carry_is_refused_without_showing_it(
    graph: FakeGraph, db_path: Path, token: str
) -> None:
    with pytest.raises(ValidationError, match="holds characters no access token has") as err:
        remote.pull_ads(ACCOUNT, token, db_path, base_url=graph.base, sleep=graph.sleep,
                        today=TODAY, since=TODAY)  # fmt: skip
    assert "SEC" not in str(err.value) and graph.requests == []


def test_an_until_before_the_default_start_names_the_default_not_a_since(
    graph: FakeGraph, db_path: Path
) -> None:
    """It said "--since 2026-10-27 is after --until …" to someone who gave no --since."""
    graph.rows = days(3)
    pull(graph, db_path, since=TODAY - dt.timedelta(days=2))
    with pytest.raises(ValidationError) as err:
        pull(graph, db_path, until=TODAY - dt.timedelta(days=40))
    assert str(err.value) == (
        f"--until {TODAY - dt.timedelta(days=40)} is before {TODAY - dt.timedelta(days=28)}, "
        "where a pull without --since starts (28 days before the last pulled day, or 90 days "
        "back the first time): give --since too"
    )
    assert "--since 20" not in str(err.value)
