"""`refscope pull ads` and a 3xx answer (a proxy at --base-url that moved, or adds a slash):
followed on the base URL's origin, with the token; to another host, refused with a clear
message, that host never asked. httpx follows no redirect by default: each was an error."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ingest import remote
from ingest.graph import GraphError
from tests.ingest.graph_setup import Answer, serving
from tests.ingest.test_graph_facts import row
from tests.local_http import OTHER_HOST, this_machine_as

TOKEN = "EAAB-redirect-token-654"
ACCOUNT = "act_555"
TODAY = dt.date(2026, 11, 24)


class Moved:
    """Answers /old/... with a redirect to `target` + the same path under /new (or /old: a
    loop), and /new/... with one row; records each request (path, Authorization)."""

    def __init__(self) -> None:
        self.target = ""  # default: this server
        self.status = 301
        self.loop = False  # redirect /old/... to itself
        self.base = ""
        self.seen: list[tuple[str, str]] = []

    def answer(self, path: str, query: dict[str, list[str]], auth: str) -> Answer:
        self.seen.append((path, auth))
        if path.startswith("/old/"):
            qs = "&".join(f"{k}={v[0]}" for k, v in query.items() if k != "time_range")
            to = "/old/" if self.loop else "/new/"
            where = (self.target or self.base) + to + path.removeprefix("/old/")
            return self.status, "", {"Location": f"{where}?{qs}&time_range=x"}
        if auth != f"Bearer {TOKEN}":
            return 400, {"error": {"code": 190, "message": "Invalid OAuth access token"}}, {}
        return 200, {"data": [row(TODAY, "9", "3.50")], "paging": {}}, {}


@pytest.fixture
def moved() -> Iterator[Moved]:
    fake = Moved()
    with serving(fake.answer) as fake.base:
        yield fake


def pull(base: str, db_path: Path) -> Any:
    return remote.pull_ads(ACCOUNT, TOKEN, db_path, base_url=base, today=TODAY, since=TODAY,
                           sleep=lambda s: None)  # fmt: skip


@pytest.mark.parametrize("status", [301, 302, 307, 308])
def test_a_redirect_on_the_same_origin_is_followed(
    moved: Moved, db_path: Path, query: Any, status: int
) -> None:
    moved.status = status
    res = pull(moved.base + "/old", db_path)
    assert res.rows == 1
    assert query.scalar("SELECT spend FROM ad_insights") == 3.5
    assert [p for p, _ in moved.seen] == ["/old/v23.0/act_555/insights",
                                          "/new/v23.0/act_555/insights"]  # fmt: skip
    assert all(a == f"Bearer {TOKEN}" for _, a in moved.seen)


def test_a_redirect_to_another_host_is_refused_and_that_host_never_asked(
    moved: Moved, db_path: Path
) -> None:
    """The other host is this machine's other server under another name (so a request there
    would be seen), reached on 127.0.0.1 only."""
    with serving(moved.answer) as other, this_machine_as(OTHER_HOST):
        moved.target = other.replace("127.0.0.1", OTHER_HOST)
        with pytest.raises(GraphError, match=f"redirects to http://{OTHER_HOST}, not the --base-"
                           ) as exc:  # fmt: skip
            pull(moved.base + "/old", db_path)
    assert [p for p, _ in moved.seen] == ["/old/v23.0/act_555/insights"]
    assert TOKEN not in str(exc.value)


def test_a_redirect_loop_stops(moved: Moved, db_path: Path) -> None:
    moved.loop = True
    with pytest.raises(GraphError, match="redirected more than 5 times"):
        pull(moved.base + "/old", db_path)
    assert len(moved.seen) == 6
