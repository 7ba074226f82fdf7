"""`refscope pull ads` against Graph API behaviours Meta documents: is_transient errors, usage
headers on answered pages, paging links naming another host, the 37-month limit, bad URLs.

https://developers.facebook.com/docs/graph-api/results and
https://developers.facebook.com/docs/graph-api/overview/rate-limiting
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pandas as pd
import pytest

from dashboard import queries
from dashboard.filters import Filters, spend_gap
from ingest import db, graph, insight_rows, remote
from ingest.errors import ValidationError
from ingest.graph import GraphError
from tests.ingest.graph_setup import STARTED, Answer, serving

TOKEN = "EAAB-facts-graph-token-789"
ACCOUNT = "act_555"
TODAY = dt.date(2026, 11, 24)


@dataclass
class Server:
    """An insights endpoint paging by `after`; `script` overrides the answer to request n."""

    rows: list[dict[str, Any]] = field(default_factory=list)
    page_size: int = 2
    script: dict[int, Answer] = field(default_factory=dict)
    page_headers: Callable[[int], dict[str, str]] = lambda n: {}
    next_base: str = ""  # the origin paging.next names (default: this server's)
    base: str = ""
    requests: list[tuple[str, dict[str, list[str]], str, float]] = field(default_factory=list)
    now: float = 0.0  # a fake clock the client's sleep advances

    def sleep(self, seconds: float) -> None:
        self.now += seconds

    def answer(self, path: str, query: dict[str, list[str]], auth: str) -> Answer:
        self.requests.append((path, query, auth, self.now))
        n = len(self.requests)
        if n in self.script:
            return self.script[n]
        if auth != f"Bearer {TOKEN}":
            return 400, {"error": {"code": 190, "message": "Invalid OAuth access token"}}, {}
        after = int(query.get("after", ["0"])[0])
        page = self.rows[after : after + self.page_size]
        cursors = {"before": "MA==", "after": "MQ=="}  # opaque; the client follows next
        body: dict[str, Any] = {"data": page, "paging": {"cursors": cursors}}
        if after + self.page_size < len(self.rows):
            q = {k: v[0] for k, v in query.items()} | {
                "after": str(after + self.page_size),
                "access_token": TOKEN,
            }
            body["paging"]["next"] = f"{self.next_base or self.base}{path}?{urlencode(q)}"
        return 200, body, self.page_headers(n)


@pytest.fixture
def api() -> Iterator[Server]:
    fake = Server()
    with serving(fake.answer) as fake.base:
        yield fake


def row(day: dt.date, ad: str, spend: str, *, account: bool = True) -> dict[str, Any]:
    r = {
        "date_start": str(day), "date_stop": str(day), "ad_id": ad, "ad_name": f"Ad {ad}",
        "adset_id": "s1", "campaign_id": "c1", "spend": spend, "impressions": "100",
        "clicks": "7", "actions": [{"action_type": STARTED, "value": "2"}],
    }  # fmt: skip
    if account:
        r["account_id"] = "555"
    return r


def pull(api: Server, db_path: Path, **kw: Any) -> graph.PullResult:
    kw.setdefault("today", TODAY)
    return remote.pull_ads(ACCOUNT, TOKEN, db_path, base_url=api.base, sleep=api.sleep, **kw)


def test_an_error_marked_is_transient_is_retried(api: Server, db_path: Path, query: Any) -> None:
    api.rows = [row(TODAY, "9", "1.25")]
    err = {"code": 21, "message": "Temporary failure, retry", "type": "OAuthException",
           "is_transient": True, "fbtrace_id": "Ab"}  # fmt: skip
    api.script = {1: (400, {"error": err}, {})}
    res = pull(api, db_path, since=TODAY)
    assert res.rows == 1 and len(api.requests) == 2
    assert query.scalar("SELECT spend FROM ad_insights") == 1.25


def test_giving_up_says_what_meta_said(api: Server, db_path: Path) -> None:
    # (code 1 asking for less data is asked in halves: test_graph_less_data.py)
    err = {"code": 1, "message": "An unknown error occurred"}
    api.script = {n: (500, {"error": err}, {}) for n in range(1, 20)}
    with pytest.raises(GraphError, match="An unknown error occurred") as exc:
        pull(api, db_path, since=TODAY)
    assert len(api.requests) == graph.MAX_RETRIES and TOKEN not in str(exc.value)


def test_a_page_saying_when_access_returns_is_waited_out(api: Server, db_path: Path) -> None:
    """A 200 whose X-Business-Use-Case-Usage gives estimated_time_to_regain_access (minutes):
    the next page is not asked for before then, whatever the percentages say."""
    api.rows = [row(TODAY, str(ad), "2.00") for ad in range(4)]  # two pages
    usage = {"555": [{"type": "ads_insights", "call_count": 40, "total_cputime": 20,
                      "total_time": 30, "estimated_time_to_regain_access": 3,
                      "ads_api_access_tier": "standard_access"}]}  # fmt: skip
    api.page_headers = lambda n: {"X-Business-Use-Case-Usage": json.dumps(usage)} if n == 1 else {}
    res = pull(api, db_path, since=TODAY)
    assert (res.rows, res.pages) == (4, 2)
    assert api.requests[1][3] >= 180 and res.waited_seconds == 180


@pytest.mark.parametrize("key", ["app_id_util_pct", "acc_id_util_pct"])
def test_the_insights_throttle_header_near_its_limit_slows_down(
    api: Server, db_path: Path, key: str
) -> None:
    """The Insights API's own usage header, x-fb-ads-insights-throttle, near 100% for the app
    or the ad account: the next page waits (60 s, as nothing says how long). It was not read:
    the next page was asked for at once."""
    api.rows = [row(TODAY, str(ad), "2.00") for ad in range(4)]  # two pages
    usage = {"app_id_util_pct": 5, "acc_id_util_pct": 5} | {key: 95}
    api.page_headers = lambda n: {"x-fb-ads-insights-throttle": json.dumps(usage)} if n == 1 else {}
    res = pull(api, db_path, since=TODAY)
    assert (res.rows, res.pages) == (4, 2)
    assert api.requests[1][3] >= graph.DEFAULT_THROTTLE_WAIT
    assert res.waited_seconds == graph.DEFAULT_THROTTLE_WAIT


def test_the_token_goes_only_to_the_configured_origin(
    api: Server, db_path: Path, query: Any
) -> None:
    """Meta's paging.next names graph.facebook.com even when the base URL is a proxy: the next
    page is asked of the base URL's origin, and the token is never sent to another host."""
    other = Server()
    with serving(other.answer) as other.base:  # another origin: 127.0.0.1, another port
        api.next_base = other.base
        api.rows = [row(TODAY - dt.timedelta(days=i), "7", f"{i}.00") for i in range(5)]
        res = pull(api, db_path, since=TODAY - dt.timedelta(days=4))
    assert other.requests == []
    assert (res.rows, res.pages) == (5, 3) and len(api.requests) == 3
    assert [q.get("after", ["0"])[0] for _, q, _, _ in api.requests] == ["0", "2", "4"]
    assert all("access_token" not in q for _, q, _, _ in api.requests)
    assert query.scalar("SELECT count(*) FROM ad_insights") == 5


@pytest.mark.parametrize(
    "base",
    [
        "http://graph.facebook.com",
        "http://10.0.0.8:8080",
        "http://[2001:db8::1]",
        "HTTP://proxy.example",
    ],
)
def test_plain_http_to_another_machine_is_refused_before_any_request(
    db_path: Path, base: str
) -> None:
    """The access token travels in every request's Authorization header: over plain http to
    another machine anyone on the way reads it. Only https, or http to this machine (a local
    proxy, a test server), is taken; the message names the host, never the token."""
    with pytest.raises(ValidationError, match="plain http would send the access token") as exc:
        remote.pull_ads(ACCOUNT, TOKEN, db_path, base_url=base, since=TODAY, today=TODAY)
    assert TOKEN not in str(exc.value)
    for local in ("http://localhost:1", "http://127.0.0.2:1", "http://[::1]:1"):
        graph.check_base_url(local)  # no error: this machine
    graph.check_base_url("https://graph.facebook.com")


@pytest.mark.parametrize("base", ["graph.facebook.com", "ftp://127.0.0.1", "http://"])
def test_a_bad_base_url_is_refused_before_any_request(db_path: Path, base: str) -> None:
    waits: list[float] = []
    started = time.monotonic()
    with pytest.raises(ValidationError, match="base URL"):
        remote.pull_ads(ACCOUNT, TOKEN, db_path, base_url=base, sleep=waits.append,
                        since=TODAY, today=TODAY)  # fmt: skip
    assert waits == [] and time.monotonic() - started < 5


def test_37_months_back_keeps_the_day_at_a_months_end(api: Server, db_path: Path) -> None:
    today = dt.date(2026, 11, 30)  # 37 months back: 2023-10-30
    with pytest.raises(ValidationError, match="37 months"):
        pull(api, db_path, since=dt.date(2023, 10, 29), until=dt.date(2023, 11, 5), today=today)
    assert api.requests == []
    pull(api, db_path, since=dt.date(2023, 10, 30), until=dt.date(2023, 11, 5), today=today)
    assert len(api.requests) == 1
    assert graph.months_back(dt.date(2026, 5, 31), 37) == dt.date(2023, 4, 30)


def test_rows_without_account_id_still_resume_28_days_back(
    api: Server, db_path: Path, query: Any
) -> None:
    """account_id is only in the rows when Meta sends it: the account asked for is stored, so
    the next default pull starts 28 days before the last pulled day, leaving no gap."""
    last = TODAY - dt.timedelta(days=150)
    api.rows = [row(last - dt.timedelta(days=i), "8", "3.00", account=False) for i in range(3)]
    pull(api, db_path, since=last - dt.timedelta(days=2), until=last)
    assert query.scalar("SELECT DISTINCT account_id FROM ad_insights") == "555"
    api.rows = []
    res = pull(api, db_path)
    assert res.since == last - dt.timedelta(days=graph.REVISION_DAYS)


def test_storing_many_rows_is_one_quick_statement(tmp_path: Path) -> None:
    """A 37-month pull of many ads is 100,000s of rows: stored in one statement, not row by row
    (which took ~3 ms a row), with a day and ad met twice kept once, as last seen."""
    path = tmp_path / "refscope.duckdb"
    con = db.connect(path)
    try:
        at = dt.datetime(2026, 11, 24, 12)
        rows = [
            insight_rows.insight_row(row(TODAY - dt.timedelta(days=d), str(ad), "1.00"), at)
            for d in range(100) for ad in range(40)
        ]  # fmt: skip
        rows.append(insight_rows.insight_row(row(TODAY, "0", "9.50"), at))
        started = time.perf_counter()
        insight_rows.store(con, rows)
        took = time.perf_counter() - started
        assert con.execute("SELECT count(*) FROM ad_insights").fetchone() == (4000,)
        assert con.execute(
            "SELECT spend, conversations_started, actions::VARCHAR FROM ad_insights "
            "WHERE date = ? AND ad_id = '0'", [TODAY]
        ).fetchone() == (9.5, 2, json.dumps([{"action_type": STARTED, "value": "2"}]))  # fmt: skip
        assert took < 3, took
    finally:
        con.close()


def test_days_meta_left_out_for_no_delivery_are_pulled_days(api: Server, db_path: Path) -> None:
    """Meta leaves out a day and ad with no delivery: the days a pull asked for are covered even
    when the ads stopped before its end or started after its start. The dashboard must not call
    their spend understated, nor a previous period inside them one without spend to compare."""
    since, until = TODAY - dt.timedelta(days=20), TODAY - dt.timedelta(days=1)
    api.rows = [row(TODAY - dt.timedelta(days=d), "9", "4.00") for d in (8, 9, 10)]
    pull(api, db_path, since=since, until=until)
    week = Filters(TODAY - dt.timedelta(days=7), TODAY - dt.timedelta(days=1))  # no delivery
    con = db.connect(db_path, read_only=True)
    try:
        days = queries.spend_days(con).iloc[0]
        got = (pd.Timestamp(days["first_day"]).date(), pd.Timestamp(days["last_day"]).date())
        assert got == (since, until)
        assert spend_gap(week, *got) == ""
        before = week.previous()  # 14 - 20 days back: pulled, no delivery either
        assert before.start >= since
        compared = queries.kpis(con, Filters(before.start, week.end), True).iloc[0]
        assert compared["spend"] == 12.0
    finally:
        con.close()


def test_days_after_today_are_not_recorded_as_pulled(api: Server, db_path: Path) -> None:
    """A pull `--until` the end of a month still running asks Meta for days that have not
    happened: they hold no spend yet, so they must not count as covered once their contacts
    come in (their cost per contact would look free)."""
    since, until = TODAY - dt.timedelta(days=3), TODAY + dt.timedelta(days=6)
    api.rows = [row(TODAY - dt.timedelta(days=d), "9", "4.00") for d in (0, 1, 2, 3)]
    pull(api, db_path, since=since, until=until)
    con = db.connect(db_path, read_only=True)
    try:
        days = queries.spend_days(con).iloc[0]
        got = (pd.Timestamp(days["first_day"]).date(), pd.Timestamp(days["last_day"]).date())
        assert got == (since, TODAY)
        later = Filters(TODAY - dt.timedelta(days=1), TODAY + dt.timedelta(days=5))
        assert f"cover {later.start} – {TODAY} of this range" in spend_gap(later, *got)
    finally:
        con.close()
    # A pull entirely in the future covers nothing.
    pull(api, db_path, since=TODAY + dt.timedelta(days=1), until=until)
    con = db.connect(db_path, read_only=True)
    try:
        last = con.execute("SELECT max(until) FROM ad_pulls").fetchone()
        assert last == (TODAY,)
    finally:
        con.close()


@pytest.mark.parametrize(
    "body",
    [{"data": {"id": "1"}}, {"data": ["2026-11-24"]}, {"data": [], "paging": ["next"]}],
    ids=["data-object", "row-not-object", "paging-list"],
)
def test_an_answer_not_shaped_like_insights_is_a_clear_error(
    api: Server, db_path: Path, body: dict[str, Any]
) -> None:
    """A --base-url that names another JSON API (or a proxy that rewrites answers): a traceback
    said nothing of which answer was wrong."""
    api.script = {1: (200, body, {})}
    with pytest.raises(GraphError, match="Graph API: an answer not shaped like insights"):
        pull(api, db_path, since=TODAY)


@pytest.mark.parametrize("body", [{}, {"paging": {"cursors": {}}}, {"data": None}],
                         ids=["empty", "paging-only", "data-null"])  # fmt: skip
def test_an_answer_without_data_removes_nothing(
    api: Server, db_path: Path, query: Any, body: dict[str, Any]
) -> None:
    """Meta's insights answer always has `data` (`[]` for days without delivery). A 200 with
    none (a proxy's or another API's JSON) was taken for an empty answer: the re-pull removed
    every stored row of its days and recorded them as pulled, without spend."""
    api.rows = [row(TODAY - dt.timedelta(days=d), "9", "4.00") for d in range(3)]
    pull(api, db_path, since=TODAY - dt.timedelta(days=2))
    assert query.scalar("SELECT sum(spend) FROM ad_insights") == 12.0
    api.script = {len(api.requests) + 1: (200, body, {})}
    with pytest.raises(GraphError, match="Graph API: an answer not shaped like insights"):
        pull(api, db_path, since=TODAY - dt.timedelta(days=2))
    assert query.scalar("SELECT sum(spend) FROM ad_insights") == 12.0
    assert query.scalar("SELECT count(*) FROM ad_pulls") == 1


def test_days_one_account_left_unpulled_are_a_gap_in_the_spend(api: Server, db_path: Path) -> None:
    """Each ad account is pulled on its own. One pulled to yesterday covered the days another's
    pulls stopped short of (a cron job of its own that broke): their spend, never pulled,
    went missing from the spend and the cost per contact without a note."""
    for account, spend, stop in (("555", "4.00", 1), ("777", "2.00", 6)):
        since, until = TODAY - dt.timedelta(days=9), TODAY - dt.timedelta(days=stop)
        api.rows = [row(since + dt.timedelta(days=d), f"{account}0", spend)
                    for d in range((until - since).days + 1)]  # fmt: skip
        for r in api.rows:
            r["account_id"] = account
        remote.pull_ads(f"act_{account}", TOKEN, db_path, since=since, until=until,
                        base_url=api.base, sleep=api.sleep, today=TODAY)  # fmt: skip
    f = Filters(TODAY - dt.timedelta(days=9), TODAY - dt.timedelta(days=1))
    con = db.connect(db_path, read_only=True)
    try:
        missing = [pd.Timestamp(d).date() for d in queries.spend_missing(con, f)["day"]]
        assert missing == [TODAY - dt.timedelta(days=d) for d in (5, 4, 3, 2, 1)]
        days = queries.spend_days(con).iloc[0]
        got = (pd.Timestamp(days["first_day"]).date(), pd.Timestamp(days["last_day"]).date())
        assert "spend counts the pulled days only" in spend_gap(f, *got, missing)
        # Nor is it a previous period to compare with; the days both pulled are.
        assert pd.isna(queries.kpis(con, f, True).iloc[0]["spend"])
        both = Filters(TODAY - dt.timedelta(days=9), TODAY - dt.timedelta(days=6))
        assert queries.spend_missing(con, both).empty
        assert queries.kpis(con, both, True).iloc[0]["spend"] == 24.0
    finally:
        con.close()
    # A row that names no account (an insights file without account_id) may be any account's.
    con = db.connect(db_path)
    try:
        con.execute("INSERT INTO ad_insights (date, ad_id, spend) VALUES (?, '1', 1.0)",
                    [TODAY - dt.timedelta(days=5)])  # fmt: skip
        missing = [pd.Timestamp(d).date() for d in queries.spend_missing(con, f)["day"]]
        assert missing == [TODAY - dt.timedelta(days=d) for d in (4, 3, 2, 1)]
    finally:
        con.close()


def test_an_account_of_another_currency_is_refused(api: Server, db_path: Path, query: Any) -> None:
    """Spend is added up across ad accounts (the KPIs, the reports): an account that spends in
    euros beside one in dollars made a sum of both, in no currency. Its pull stops, nothing
    stored; an account of the same currency is pulled as before."""
    since = TODAY - dt.timedelta(days=1)

    def pull_account(account: str, currency: str) -> graph.PullResult:
        api.rows = [row(since + dt.timedelta(days=d), f"{account}0", "4.00") for d in (0, 1)]
        for r in api.rows:
            r |= {"account_id": account, "account_currency": currency}
        return remote.pull_ads(f"act_{account}", TOKEN, db_path, since=since, until=TODAY,
                               base_url=api.base, sleep=api.sleep, today=TODAY)  # fmt: skip

    pull_account("555", "USD")
    assert "account_currency" in api.requests[-1][1]["fields"][0].split(",")
    refused = r"act_777 spends in EUR; this database holds ad spend in USD \(account 555\)"
    with pytest.raises(ValidationError, match=refused):
        pull_account("777", "EUR")
    assert query.scalar("SELECT count(*) FROM ad_insights WHERE account_id = '777'") == 0
    assert query.scalar("SELECT count(*) FROM ad_pulls WHERE account_id = '777'") == 0
    assert pull_account("888", "USD").rows == 2
    assert pull_account("555", "USD").rows == 2  # a re-pull of the first as well
    assert query("SELECT DISTINCT account_currency FROM ad_insights") == [("USD",)]
