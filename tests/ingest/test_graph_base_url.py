"""`refscope pull ads --base-url` (or REFSCOPE_GRAPH_URL): what an address may hold.

The API version and `/{account}/insights` are appended to the base URL's path, and the access
token is the request's only credential: a query or fragment would swallow that path (the
request went to `/`), and a `user:password@` made httpx send Basic credentials in place of the
token (Meta then answers "invalid OAuth access token"). Both are refused before any request,
naming the rule and never quoting the password.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from ingest import fetch, remote
from ingest.cli import cli
from ingest.errors import ValidationError
from ingest.graph import GraphClient, check_base_url
from tests.ingest.graph_setup import ACCOUNT, TODAY, TOKEN, Answer, FakeGraph, serving
from tests.local_http import this_machine_as

PASSWORD = "PR0XY-PASSW0RD"
CREDENTIALS = "a user name or password before '@'"  # the refusal's words for user:password@


@pytest.mark.parametrize(
    ("at", "rule"),
    [
        (lambda b: b.replace("//", f"//reader:{PASSWORD}@"), CREDENTIALS),
        (lambda b: b.replace("http://", f"ftp://reader:{PASSWORD}@"), CREDENTIALS),
        (lambda b: b + "/?appsecret_proof=1", "a query or fragment"),
        (lambda b: b + "/graph#v", "a query or fragment"),
        (lambda b: b + "?", "a query or fragment"),
    ],
)
def test_a_base_url_with_credentials_a_query_or_a_fragment_is_refused(
    graph: FakeGraph, db_path: Path, at: Callable[[str], str], rule: str
) -> None:
    """Against the fake Graph API on 127.0.0.1: before this rule, these reached it (with Basic
    credentials in place of the token, answered "invalid OAuth access token", or asking `/`),
    or were refused with the password quoted."""
    base = at(graph.base)
    with pytest.raises(ValidationError, match=rule) as exc:
        remote.pull_ads(ACCOUNT, TOKEN, db_path, base_url=base, sleep=graph.sleep,
                        since=TODAY, today=TODAY)  # fmt: skip
    assert PASSWORD not in str(exc.value) and TOKEN not in str(exc.value)
    assert graph.requests == []


def test_the_fake_graph_gets_the_token_and_the_insights_path_from_a_plain_base_url(
    graph: FakeGraph, db_path: Path
) -> None:
    """The base URL as it should be (a path prefix is fine: a proxy's) still pulls."""
    graph.rows = []
    for base in (graph.base, graph.base + "/"):
        res = remote.pull_ads(ACCOUNT, TOKEN, db_path, base_url=base, sleep=graph.sleep,
                              since=TODAY - dt.timedelta(days=1), today=TODAY)  # fmt: skip
        assert res.pages == 1
    assert "time_range" in graph.requests[-1]  # the insights call, with its parameters
    check_base_url("https://proxy.example/graph")  # a path prefix: no error


def test_refscope_graph_url_with_a_password_is_refused_without_showing_it(
    graph: FakeGraph, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REFSCOPE_META_TOKEN", TOKEN)
    monkeypatch.setenv("REFSCOPE_GRAPH_URL", graph.base.replace("//", f"//reader:{PASSWORD}@"))
    res = CliRunner().invoke(cli, ["pull", "ads", "--account", ACCOUNT, "--db", str(db_path)])
    assert res.exit_code == 1, res.output
    assert f"({CREDENTIALS})" in res.output
    assert PASSWORD not in res.output and TOKEN not in res.output
    assert graph.requests == []


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
def test_a_proxy_from_the_environment_never_gets_a_request_to_this_machine(
    graph: FakeGraph, db_path: Path, monkeypatch: pytest.MonkeyPatch, host: str
) -> None:
    """Plain http is taken only to this machine because the token goes with every request: an
    HTTP_PROXY from the environment (a corporate one, set for everything) got each request,
    token and all, in clear text, and answered for a server it cannot reach."""
    proxied: list[str] = []

    def proxy(path: str, query: dict[str, list[str]], auth: str) -> Answer:
        proxied.append(auth)
        return 502, "proxy: no route to the client's own machine", {}

    with serving(proxy) as proxy_url, this_machine_as("localhost"):  # 127.0.0.1 only, not ::1
        for name in ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "ALL_PROXY", "all_proxy"):
            monkeypatch.setenv(name, proxy_url)
        for name in ("NO_PROXY", "no_proxy"):
            monkeypatch.delenv(name, raising=False)
        res = remote.pull_ads(ACCOUNT, TOKEN, db_path, since=TODAY, today=TODAY,
                              base_url=graph.base.replace("127.0.0.1", host),
                              sleep=graph.sleep)  # fmt: skip
    assert proxied == []
    assert res.pages == 1 and len(graph.requests) == 1


@pytest.mark.parametrize("mark", ["/?access_token=", "/v23.0#access_token=", "?x=1&access_token="])
def test_a_base_url_with_a_token_in_its_query_is_refused_without_showing_it(
    graph: FakeGraph, db_path: Path, monkeypatch: pytest.MonkeyPatch, mark: str
) -> None:
    """A Graph API URL copied from Meta's examples or the Graph API Explorer carries the token
    in its query (`?access_token=EAA…`): the refusal quoted the address up to 60 characters,
    the token (or its start) included."""
    monkeypatch.setenv("REFSCOPE_META_TOKEN", TOKEN)
    monkeypatch.setenv("REFSCOPE_GRAPH_URL", graph.base + mark + TOKEN)
    res = CliRunner().invoke(cli, ["pull", "ads", "--account", ACCOUNT, "--db", str(db_path)])
    assert res.exit_code == 1, res.output
    assert "(a query or fragment)" in res.output
    assert f"'{graph.base}" in res.output  # the address, up to its query or fragment
    assert TOKEN[:4] not in res.output and "access_token" not in res.output
    assert graph.requests == []


@pytest.mark.parametrize(
    ("at", "fault"),
    [(lambda b: b.replace("127.0.0.1", "a..b"), "no valid host name"),
     (lambda b: b.replace("127.0.0.1", "xn--a.com"), "no valid host name"),
     (lambda b: b.replace("127.0.0.1", "exa mple.com"), "no valid host name"),
     (lambda b: b + "/\ngraph", "a line break"),
     (lambda b: b.rsplit(":", 1)[0] + ":0", "http(s)://host[:port][/path]"),
     (lambda b: b + "/" + "g" * 70_000, "longer than 65,536 characters")],
)  # fmt: skip
def test_a_base_url_httpx_or_a_lookup_cannot_take_is_refused_at_once_by_name(
    graph: FakeGraph, db_path: Path, monkeypatch: pytest.MonkeyPatch,
    at: Callable[[str], str], fault: str,
) -> None:  # fmt: skip
    """These ended in a raw traceback (the idna codec's UnicodeError, idna's InvalidCodepoint)
    or were asked eight times over minutes, backing off, as if the network were down."""
    monkeypatch.setenv("REFSCOPE_META_TOKEN", TOKEN)
    monkeypatch.setenv("REFSCOPE_GRAPH_URL", at(graph.base))
    waits: list[float] = []
    monkeypatch.setattr(GraphClient, "wait", lambda self, seconds, *_: waits.append(seconds))
    res = CliRunner().invoke(cli, ["pull", "ads", "--account", ACCOUNT, "--db", str(db_path)])
    assert res.exit_code == 1, res.output
    assert res.output.startswith("Error: invalid Graph API base URL '") and fault in res.output
    assert len(res.output.strip().splitlines()) == 1 and TOKEN not in res.output
    assert res.exception is None or isinstance(res.exception, SystemExit)
    assert graph.requests == []
    assert waits == []


def test_the_clients_reprs_hold_no_token_url_or_header() -> None:
    """A repr reaches a traceback's locals (rich, pytest) and log records: GraphClient's showed
    the access token, the pull's its URL (user info, a signed query) and --header values."""
    api = GraphClient(TOKEN, "https://graph.example")
    assert TOKEN not in repr(api) and "graph.example" in repr(api)
    url = "https://reader:PASSW0RD@logs.example/x.ndjson?sig=SIGNED"
    with httpx.Client() as client:
        puller = fetch._Puller(url, {"Authorization": "Bearer HEADERSECRET"}, client, Path("."),
                               lambda s: None)  # fmt: skip
    assert all(s not in repr(puller) for s in ("PASSW0RD", "SIGNED", "HEADERSECRET"))
