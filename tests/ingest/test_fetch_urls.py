"""`refscope pull logs`: the URL, redirects and headers: bad URLs and headers refused without
showing credentials, the user's headers kept to the URL's origin, a web page or a 401 clear."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from ingest import fetch, remote, spool_marks
from ingest.errors import SourceError
from tests.factories import batch, entry, message
from tests.ingest.fetch_server import (
    TOKEN,
    Site,
    lines,
    log_behind_credentials,
    make_handler,
    pull_cli,
)
from tests.local_http import OTHER_HOST, served, this_machine_as

pytestmark = pytest.mark.usefixtures("fast_retries")  # no backoff waits (one test sets its own)


def test_a_web_page_instead_of_a_log_is_refused_and_nothing_is_read(
    site: Any, db_path: Path, runner: CliRunner, query: Any
) -> None:
    s, base = site
    s.files["/log.ndjson"] = b"<!DOCTYPE html>\n<html><body>Sign in</body></html>\n"
    s.content_types["/log.ndjson"] = "text/html; charset=utf-8"
    res = pull_cli(runner, base + "/log.ndjson", db_path)
    assert res.exit_code == 1 and "answered with a web page" in res.output, res.output
    # Once the URL serves the log, all of it is read: nothing was recorded as read before.
    s.files["/log.ndjson"] = lines(0, 3)
    s.content_types["/log.ndjson"] = "text/html"  # a mislabelled log is still a log
    res = pull_cli(runner, base + "/log.ndjson", db_path)
    assert res.exit_code == 0, res.output
    assert query("SELECT count(*) FROM events") == [(3,)]
    assert query("SELECT count(*) FROM rejects") == [(0,)]


# Pages as servers and templates start them: a comment or an XML declaration before the rest,
# the <html> tag left out (HTML lets it), a doctype split over lines (HTML allows any blanks).
PAGES = {
    "doctype": b"<!DOCTYPE html>\n<html><body>Sign in</body></html>\n",
    "bom-html": b"\xef\xbb\xbf  <HTML lang=en>\n<body>Maintenance</body></HTML>\n",
    "comment": b"<!-- login.example v2 -->\n<!DOCTYPE html>\n<html><body>Sign in</body></html>\n",
    "xml": b'\xef\xbb\xbf<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE html PUBLIC "-//W3C//DTD'
    b' XHTML 1.0 Strict//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd">\n<html>\n',
    "head": b"\r\n\r\n<head><title>Sign in</title></head>\n<body>Sign in</body>\n",
    "doctype-lines": b"\t<!DOCTYPE\n  html>\n<html><body>Sign in</body></html>\n",
}


@pytest.mark.parametrize("label", ["", "text/plain", "application/octet-stream"])
@pytest.mark.parametrize("page", list(PAGES.values()), ids=list(PAGES))
def test_a_web_page_labelled_as_something_else_is_refused_too(
    site: Any, db_path: Path, runner: CliRunner, query: Any, label: str, page: bytes
) -> None:
    """A login or maintenance page served without a Content-Type, or as text or bytes, was read
    as the log: its lines rejects, and recorded as read. A log line never starts with "<"."""
    s, base = site
    s.files["/log.ndjson"] = page
    if label:
        s.content_types["/log.ndjson"] = label
    res = pull_cli(runner, base + "/log.ndjson", db_path)
    assert res.exit_code == 1 and "answered with a web page" in res.output, res.output
    assert query("SELECT count(*) FROM rejects") == [(0,)]
    assert query("SELECT count(*) FROM ingest_files") == [(0,)]


def test_a_later_pull_whose_range_starts_at_a_less_than_sign_reads_on(
    site: Any, db_path: Path, runner: CliRunner, query: Any
) -> None:
    """A later pull asks from a few KiB before the offset read, in the middle of a line: a
    message's text may put "<" first in the answer, which is no web page."""
    s, base = site
    first = json.dumps(batch(entry(message("<3 " + "x" * 5000, psid="9100"))))
    pad = len(first) - first.index("<3") + 1 - spool_marks.OVERLAP  # the range's start on "<"
    first = json.dumps(batch(entry(message("<3 " + "x" * (5000 - pad), psid="9100"))))
    s.files["/log.ndjson"] = first.encode() + b"\n"
    assert pull_cli(runner, base + "/log.ndjson", db_path).exit_code == 0
    s.files["/log.ndjson"] += lines(0, 2)
    res = pull_cli(runner, base + "/log.ndjson", db_path)
    assert res.exit_code == 0, res.output
    asked = int(s.requests[-1]["Range"].removeprefix("bytes=").rstrip("-"))
    assert s.files["/log.ndjson"][asked : asked + 2] == b"<3"
    assert query("SELECT count(*) FROM events") == [(3,)]


def test_auth_errors_are_clear_and_never_show_the_token(
    site: Any, db_path: Path, runner: CliRunner
) -> None:
    s, base = site
    url = log_behind_credentials(site)
    res = pull_cli(runner, url, db_path)
    assert res.exit_code != 0 and "wants credentials" in res.output
    res = pull_cli(runner, url, db_path, "--header", "Authorization: Bearer wrong")
    assert res.exit_code != 0 and "refused the credentials given" in res.output
    assert "wrong" not in res.output
    res = pull_cli(runner, url, db_path, "--header", f"Authorization: {TOKEN}")
    assert res.exit_code == 0, res.output
    assert "s3cr3t" not in res.output
    s.require_auth = False
    res = pull_cli(runner, base + "/nope.ndjson", db_path)
    assert res.exit_code != 0 and "no log at this URL" in res.output


def test_redirects_are_followed_and_a_loop_is_a_clear_error(
    site: Any, db_path: Path, runner: CliRunner
) -> None:
    s, base = site
    s.files["/log.ndjson"] = lines(0, 3)
    s.redirects = {"/latest": "/log.ndjson", "/loop": "/loop"}
    res = remote.pull_logs(base + "/latest", {}, db_path)
    assert res is not None and res.events_added == 3
    out = pull_cli(runner, base + "/loop?sig=abc", db_path)
    assert out.exit_code == 1 and "redirects" in out.output.lower(), out.output
    assert "/loop:" in out.output and "sig=abc" not in out.output
    assert out.exception is None or isinstance(out.exception, SystemExit)


@pytest.mark.parametrize(
    "url",
    ["ftp://127.0.0.1/log.ndjson", "127.0.0.1/log.ndjson", "http://127.0.0.1:99999/log.ndjson",
     "http:///log.ndjson", "http://127.0.0.1:0/log.ndjson"],
)  # fmt: skip
def test_a_bad_url_is_refused_at_once(
    url: str, db_path: Path, runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    waits: list[float] = []
    monkeypatch.setattr("ingest.fetch.time.sleep", waits.append)
    out = pull_cli(runner, url, db_path)
    assert out.exit_code == 1 and "http:// or https:// URL" in out.output, out.output
    assert out.exception is None or isinstance(out.exception, SystemExit)
    assert waits == []


@pytest.mark.parametrize(
    ("url", "fault"),
    [("http://a..b/log.ndjson", "no valid host name"),  # a label no lookup takes
     ("http://xn--a.com/log.ndjson", "no valid host name"),  # a broken punycode label
     ("http://exa mple.com/log.ndjson", "no valid host name"),
     ("http://127.0.0.1/log\n.ndjson", "a line break"),
     ("http://127.0.0.1/" + "a" * 70_000, "longer than 65,536 characters")],
)  # fmt: skip
def test_a_url_httpx_or_a_lookup_cannot_take_is_refused_at_once_by_name(
    url: str, fault: str, db_path: Path, runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    """These ended in a raw traceback (httpx's InvalidURL, the idna codec's UnicodeError) or
    were looked up five times, backing off, as if the network were down."""
    waits: list[float] = []
    monkeypatch.setattr("ingest.fetch.time.sleep", waits.append)
    out = pull_cli(runner, url, db_path)
    assert out.exit_code == 1 and "Error: pull logs: the URL " in out.output, out.output
    assert fault in out.output and len(out.output.strip().splitlines()) == 1, out.output
    assert out.exception is None or isinstance(out.exception, SystemExit)
    assert waits == []


@pytest.mark.parametrize(
    "url", ["ftp://reader:PASSW0RD@127.0.0.1/log.ndjson", "http:reader:PASSW0RD@127.0.0.1/x"]
)
def test_a_bad_url_is_refused_without_showing_its_credentials(
    url: str, db_path: Path, runner: CliRunner
) -> None:
    out = pull_cli(runner, url, db_path)
    assert out.exit_code == 1 and "http:// or https:// URL" in out.output, out.output
    assert "PASSW0RD" not in out.output and "reader" not in out.output


def test_an_ipv6_host_keeps_its_brackets_in_the_stored_name() -> None:
    assert (
        fetch.safe_url("http://u:p@[::1]:8080/log.ndjson?sig=1") == "http://[::1]:8080/log.ndjson"
    )


def test_a_redirect_to_another_host_gets_none_of_the_users_headers(
    site: Any, db_path: Path
) -> None:
    s, base = site
    s.files["/f.ndjson"] = lines(0, 3)
    other = base.replace("127.0.0.1", OTHER_HOST)  # the same server, another host name
    s.redirects = {"/ext.ndjson": f"{other}/f.ndjson", "/same.ndjson": "/f.ndjson"}
    headers = {"Authorization": TOKEN, "X-Api-Key": "KEYSECRET11"}
    with this_machine_as(OTHER_HOST):
        assert remote.pull_logs(base + "/ext.ndjson", headers, db_path) is not None
    sent = s.requests[-1]
    assert sent["Host"].startswith(OTHER_HOST) and "X-Api-Key" not in sent
    assert "Authorization" not in sent
    # On the same origin they follow the redirect.
    remote.pull_logs(base + "/same.ndjson", headers, db_path)
    assert s.requests[-1].get("X-Api-Key") == "KEYSECRET11"


def test_a_redirect_to_another_port_of_the_same_host_gets_none_of_the_users_headers(
    site: Any, db_path: Path
) -> None:
    """Another port is another origin (another server, maybe another user's): the README's
    "scheme, host or port"."""
    s, base = site
    other = Site(files={"/f.ndjson": lines(0, 3)})
    with served(make_handler(other)) as other_base:
        s.redirects = {"/ext.ndjson": f"{other_base}/f.ndjson"}
        headers = {"Authorization": TOKEN, "X-Api-Key": "KEYSECRET11"}
        res = remote.pull_logs(base + "/ext.ndjson", headers, db_path)
        assert res is not None and res.events_added == 3
    assert s.requests[-1].get("X-Api-Key") == "KEYSECRET11"  # asked of the URL's own origin
    assert len(other.requests) == 1
    assert "X-Api-Key" not in other.requests[0] and "Authorization" not in other.requests[0]


@pytest.mark.parametrize("header", ["X-A: é", "X-Key: abc\r\ndef"])
def test_a_header_no_request_can_carry_is_refused_without_showing_it(header: str) -> None:
    with pytest.raises(SourceError, match="a header holds printable ASCII only") as err:
        fetch.parse_headers([header])
    assert header.split(":")[1].strip()[:3] not in str(err.value)


@pytest.mark.parametrize(
    ("header", "rule"),
    [
        ("Bearer s3cr3t-t0ken", "a header is 'Name: value'"),  # the name and its colon forgotten
        (": s3cr3t-t0ken", "a header is 'Name: value'"),
        ("Authorization Bearer s3cr3t-t0ken: x", "a header name is letters, digits and"),
        ("X-Key: s3cr3t-t0kén", "a header holds printable ASCII only"),
    ],
)
def test_no_part_of_a_refused_header_is_shown_and_its_place_is_named(
    header: str, rule: str
) -> None:
    with pytest.raises(SourceError) as err:
        fetch.parse_headers(["Accept: text/plain", header])
    said = str(err.value)
    assert said.startswith(f"--header #2 of 2: {rule}"), said
    assert "s3cr" not in said and "t0k" not in said and "Bearer" not in said
    with pytest.raises(SourceError, match="^--header: "):
        fetch.parse_headers([header])


@pytest.mark.parametrize("header", ["Bad Name: v", "X-Key(1): v", "X/Y: v"])
def test_a_header_name_no_request_can_carry_is_refused_before_any_request(
    site: Any, db_path: Path, runner: CliRunner, header: str
) -> None:
    s, base = site
    s.files["/log.ndjson"] = lines(0, 2)
    res = pull_cli(runner, base + "/log.ndjson", db_path, "--header", header)
    assert res.exit_code != 0
    assert "a header name is letters, digits and" in res.output, res.output
    assert "attempts" not in res.output and s.requests == []


def test_a_proxy_from_the_environment_never_gets_a_pull_from_this_machine(
    site: Any, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A proxy set for everything (HTTP_PROXY, ALL_PROXY) cannot reach this machine's own
    server: it got the request, with the --header credentials, and its answer was taken for
    the log's ("no log at this URL")."""
    s, base = site
    s.files["/f.ndjson"] = lines(0, 3)
    proxy = Site()
    with served(make_handler(proxy)) as proxy_url:
        for name in ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "ALL_PROXY", "all_proxy"):
            monkeypatch.setenv(name, proxy_url)
        for name in ("NO_PROXY", "no_proxy"):
            monkeypatch.delenv(name, raising=False)
        res = remote.pull_logs(base + "/f.ndjson", {"Authorization": TOKEN}, db_path)
    assert proxy.requests == []
    assert res is not None and res.events_added == 3
    assert s.requests[-1]["Authorization"] == TOKEN


def test_a_refusal_from_the_host_a_redirect_led_to_says_the_headers_stayed_behind(
    site: Any, db_path: Path, runner: CliRunner
) -> None:
    """A redirect to another origin (http to https, another host or port) gets none of the
    --header headers; its 401 told the user to pass the --header they had passed."""
    s, base = site
    s.require_auth = True  # on every origin of the server: the redirect's target too
    s.files["/f.ndjson"] = lines(0, 3)
    other = base.replace("127.0.0.1", OTHER_HOST)  # the same server, another host name
    s.redirects = {"/ext.ndjson": f"{other}/f.ndjson?sig=QSECRET"}
    with this_machine_as(OTHER_HOST):
        res = pull_cli(runner, base + "/ext.ndjson", db_path, "--header", f"Authorization: {TOKEN}")
    assert res.exit_code == 1, res.output
    assert "pass --header" not in res.output
    assert f"redirected to {other}, which gets none of the --header headers" in res.output
    assert "s3cr3t" not in res.output and "QSECRET" not in res.output
    assert s.requests[-1]["Host"].startswith(OTHER_HOST) and "Authorization" not in s.requests[-1]
    # Asked at the URL's own origin, a refusal says what it said.
    res = pull_cli(runner, base + "/f.ndjson", db_path, "--header", "Authorization: Bearer wrong")
    assert res.exit_code == 1
    assert "refused the credentials given with REFSCOPE_PULL_HEADERS or --header" in res.output
    assert "redirected" not in res.output


@pytest.mark.parametrize(
    ("status", "header", "said"),
    [(401, False, "the server wants credentials (HTTP 401): set them in REFSCOPE_PULL_HEADERS "
                  "('Authorization: ...', one header a line)"),
     (401, True, "the server refused the credentials given with REFSCOPE_PULL_HEADERS or "
                 "--header (HTTP 401): check them (they are not shown)"),
     (403, False, "the server refused access (HTTP 403), and no header was given: set the "
                  "credentials it needs in REFSCOPE_PULL_HEADERS ('Authorization: ...', one "
                  "header a line)"),
     (403, True, "the server refused access with the credentials given with "
                 "REFSCOPE_PULL_HEADERS or --header (HTTP 403): check them (they are not "
                 "shown)")],
    ids=["401", "401-with-header", "403", "403-with-header"],
)  # fmt: skip
def test_a_refusal_says_whether_credentials_were_given(
    site: Any, db_path: Path, runner: CliRunner, status: int, header: bool, said: str
) -> None:
    """A 401 to a request with credentials refuses those (RFC 9110 §15.5.2): it asked to pass
    the header just given; a 403 to one without said "refused these credentials"."""
    s, base = site
    s.answers["/log.ndjson"] = status
    env = {"REFSCOPE_PULL_HEADERS": f"Authorization: {TOKEN}"} if header else {}
    res = pull_cli(runner, base + "/log.ndjson", db_path, env=env)
    assert res.exit_code == 1 and res.output == f"Error: {base}/log.ndjson: {said}\n", res.output
    assert len(s.requests) == 1  # not retried
